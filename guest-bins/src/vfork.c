/* vfork and posix_spawn: the child shares the parent's memory until it execs or exits, and
 * the parent waits for that (glibc's and musl's posix_spawn report a failed exec to the
 * parent through that shared memory).
 *   vfork            the cases below, in one process
 *   vfork threaded   the same vfork + exec while another thread of the parent runs
 *   vfork child ARG  what the exec'd copy of this program does */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static volatile int shared;
static volatile int child_errno;
static volatile int stop;
static volatile long spins;

static int wait_status(pid_t pid) {
  int st = 0;
  if (waitpid(pid, &st, 0) != pid) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void *spinner(void *arg) {
  (void)arg;
  while (!stop) {
    spins++;
    sched_yield();
  }
  return NULL;
}

static int exec_self(const char *argv0, const char *tag) {
  pid_t pid = vfork();
  if (pid == 0) {
    execl("/proc/self/exe", argv0, "child", tag, (char *)0);
    _exit(126);
  }
  return wait_status(pid);
}

int main(int argc, char **argv) {
  if (argc > 2 && strcmp(argv[1], "child") == 0) {
    printf("child: a new program, from %s\n", argv[2]);
    return 7;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && strcmp(argv[1], "threaded") == 0) {
    pthread_t t;
    pthread_create(&t, NULL, spinner, NULL);
    while (spins == 0) sched_yield();
    printf("vfork+exec with a second thread: exit=%d\n", exec_self(argv[0], "threaded-vfork"));
    long before = spins;
    while (spins == before) sched_yield();
    stop = 1;
    pthread_join(t, NULL);
    printf("the other thread ran on: yes\n");
    return 0;
  }

  shared = 1;
  pid_t pid = vfork();
  if (pid == 0) {
    shared = 42;
    _exit(3);
  }
  int status = wait_status(pid);
  printf("vfork: the parent sees the child's write: shared=%d; child exit=%d\n", shared, status);

  pid = vfork();
  if (pid == 0) {
    execl("/nonexistent/program", "x", (char *)0);
    child_errno = errno;
    _exit(127);
  }
  status = wait_status(pid);
  printf("vfork + exec of a missing file: the child's errno=%s; exit=%d\n", strerror(child_errno), status);

  printf("vfork + exec of itself: exit=%d\n", exec_self(argv[0], "vfork"));

  char *missing[] = {"x", NULL};
  int e = posix_spawn(&pid, "/nonexistent/program", NULL, NULL, missing, environ);
  printf("posix_spawn of a missing file: %s\n", e ? strerror(e) : "success");
  if (e == 0) wait_status(pid);

  char *self[] = {argv[0], "child", "posix_spawn", NULL};
  e = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, self, environ);
  status = e == 0 ? wait_status(pid) : -1;
  printf("posix_spawn of itself: %s; exit=%d\n", e ? strerror(e) : "success", status);
  return 0;
}
