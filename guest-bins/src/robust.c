/* Robust mutexes: a thread that ends while it holds one leaves it marked "owner died", so the
 * next lock returns EOWNERDEAD instead of waiting forever (the kernel walks the thread's
 * robust list at its exit).
 *   robust          the owner ends; then the main thread locks
 *   robust waiting  the main thread is already waiting when the owner ends */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <time.h>

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

int main(int argc, char **argv) {
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
