/* Robust mutexes: a thread that ends while it holds one leaves it marked "owner died", so the
 * next lock returns EOWNERDEAD instead of waiting forever (the kernel walks the thread's
 * robust list at its exit).
 *   robust          the owner ends; then the main thread locks
 *   robust waiting  the main thread is already waiting when the owner ends
 *   robust exit-group  a process-shared robust mutex in shared memory: a child process's
 *                   second thread takes it, then the child's main thread ends the process
 *                   (exit, i.e. exit_group) while that thread still holds it; the parent's
 *                   lock returns EOWNERDEAD (the kernel walks every thread's list as the
 *                   thread group dies)
 *   robust kill     the same, but the child's main thread dies by SIGKILL
 *   robust segv     the same, but the child's main thread dies by a SIGSEGV it raises by a
 *                   store to address 0 (the default action)
 *   robust exec     the same, but the child's main thread execs this program again (with
 *                   the argument exec-done, which exits 0): execve ends the other thread
 *   (the kernel walks each thread's robust list whenever the thread dies: exit, a fatal
 *   signal, or execve) */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t m;
static volatile int locked;

static void *owner(void *arg) {
  pthread_mutex_lock(&m);
  locked = 1;
  if (arg) {
    struct timespec ts = {0, 200 * 1000 * 1000};
    nanosleep(&ts, NULL); /* let the main thread block on the lock */
  }
  return NULL; /* ends holding the lock */
}

static const char *name(int e) {
  return e == 0 ? "0" : e == EOWNERDEAD ? "EOWNERDEAD" : e == ETIMEDOUT ? "ETIMEDOUT" : strerror(e);
}

static pthread_mutex_t *shared_m;
static volatile int *shared_locked;

static void *shared_owner(void *arg) {
  (void)arg;
  pthread_mutex_lock(shared_m);
  *shared_locked = 1;
  /* Holds the lock until the process ends. (nanosleep, not pause: on an AArch64 host xlate
   * emulates x86-64's pause under its world lock, which would stop the main thread.) */
  for (;;) {
    struct timespec ts = {1, 0};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

/* How the child process ends while its second thread holds the lock. */
static void end_child(const char *how, char **argv) {
  if (strcmp(how, "kill") == 0) {
    raise(SIGKILL);
  } else if (strcmp(how, "segv") == 0) {
    *(volatile int *)0 = 1;
  } else if (strcmp(how, "exec") == 0) {
    char *args[] = {argv[0], "exec-done", NULL};
    char *env[] = {NULL};
    execve("/proc/self/exe", args, env);
    perror("execve");
    _exit(99);
  }
  exit(7); /* exit_group with the other thread holding the lock */
}

static int exit_group_case(const char *how, char **argv) {
  char *mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  shared_m = (pthread_mutex_t *)mem;
  shared_locked = (volatile int *)(mem + 2048);
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  int e = pthread_mutex_init(shared_m, &a);
  printf("init: %s\n", name(e));
  fflush(stdout);
  if (e) return 1;
  pid_t child = fork();
  if (child == 0) {
    pthread_t t;
    pthread_create(&t, NULL, shared_owner, NULL);
    while (!*shared_locked) sched_yield();
    end_child(how, argv);
  }
  int status;
  waitpid(child, &status, 0);
  if (WIFSIGNALED(status))
    printf("child killed by signal %d\n", WTERMSIG(status));
  else
    printf("child exited: %d status %d\n", WIFEXITED(status), WEXITSTATUS(status));
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 5;
  e = pthread_mutex_timedlock(shared_m, &until);
  printf("lock after the owner's process ended: %s\n", name(e));
  if (e == EOWNERDEAD) printf("consistent: %s\n", name(pthread_mutex_consistent(shared_m)));
  if (e != 0 && e != EOWNERDEAD) return 0;
  printf("unlock: %s\n", name(pthread_mutex_unlock(shared_m)));
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "exec-done") == 0) return 0;
  if (argc > 1 && strcmp(argv[1], "exit-group") == 0) return exit_group_case("exit", argv);
  if (argc > 1 && (strcmp(argv[1], "kill") == 0 || strcmp(argv[1], "segv") == 0 ||
                   strcmp(argv[1], "exec") == 0))
    return exit_group_case(argv[1], argv);
  int waiting = argc > 1 && strcmp(argv[1], "waiting") == 0;
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  int e = pthread_mutex_init(&m, &a);
  printf("init: %s\n", name(e));
  if (e) return 1;
  pthread_t t;
  pthread_create(&t, NULL, owner, waiting ? (void *)1 : NULL);
  if (waiting) {
    while (!locked) sched_yield();
  } else {
    pthread_join(t, NULL);
  }
  /* Bounded, so that a system without robust lists (qemu-user refuses set_robust_list) ends
   * with ETIMEDOUT instead of hanging. */
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 5;
  e = pthread_mutex_timedlock(&m, &until);
  printf("lock after the owner ended: %s\n", name(e));
  if (e == EOWNERDEAD) printf("consistent: %s\n", name(pthread_mutex_consistent(&m)));
  if (e != 0 && e != EOWNERDEAD) return 0;
  printf("unlock: %s\n", name(pthread_mutex_unlock(&m)));
  printf("lock again: %s\n", name(pthread_mutex_lock(&m)));
  printf("unlock: %s\n", name(pthread_mutex_unlock(&m)));
  if (waiting) pthread_join(t, NULL);
  return 0;
}
