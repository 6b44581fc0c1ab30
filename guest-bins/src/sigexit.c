/* A process-directed signal sent while a thread that could take it is ending is never lost:
 * Linux delivers it to that thread before its exit call, or leaves it pending for the
 * process (it never picks a thread that is exiting, and a thread's exit hands the signals
 * pending for the process to the others).
 *   joined        the main thread blocks SIGUSR1; a thread unblocks it and ends; once it is
 *                 gone (its clear-tid word cleared), the main thread sends SIGUSR1 to the
 *                 process: it must be pending (no thread is left that could take it)
 *   racing        the same, but the signal is sent while the thread is ending (it makes its
 *                 exit call right after it said it runs): the thread's handler takes it before
 *                 its exit call, or it is pending once the thread is gone
 *   segv-racing   racing with SIGSEGV and SIGBUS sent by kill() (every other round each), with
 *                 a handler: the signals a translator catches for its own faults
 *   segv-default, bus-default
 *                 the same race with no handler (the default action): the main thread blocks
 *                 the signal, so it kills the process when the thread takes it before its exit
 *                 call, or when the main thread unblocks it after the last round; "survived"
 *                 is never printed
 *   tgkill-joined once a thread is joined (its clear-tid word cleared and the waiter woken),
 *                 tgkill (signal 0 and SIGUSR1) and tkill of its tid succeed or fail with
 *                 ESRCH, nothing else, and signal no one else: Linux releases the task a few
 *                 microseconds after the wake, so how many succeed is the scheduler's (0 of
 *                 900 on an idle machine, 2 of 900 natively under CI's load): not printed
 * Each repeated 300 times; prints how many signals were lost (neither handled nor pending).
 * Output is deterministic: counts only. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/syscall.h>
#include <errno.h>
#include <unistd.h>

static volatile sig_atomic_t handled;
static volatile int started;
/* The signals the thread unblocks (the kernel's 64-bit mask). */
static unsigned long ender_unblocks = 1UL << (SIGUSR1 - 1);

static void on_usr1(int sig) {
  (void)sig;
  handled++;
}

/* The thread: raw calls only (it has no thread pointer of its own), then its exit call right
 * after it said it runs: no loop and no other call in between. */
static int ender(void *arg) {
  (void)arg;
  unsigned long unblock = ender_unblocks;
  syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &unblock, NULL, sizeof unblock);
  started = 1;
  syscall(SYS_exit, 0);
  return 0;
}

#define FUTEX_WAIT 0

static char stack[65536] __attribute__((aligned(16)));
static volatile int child_tid;

/* A thread made by clone (glibc's and musl's pthread_exit take locks and loop), joined by
 * waiting for the kernel's clear of its tid (CLONE_CHILD_CLEARTID). */
static int start_ender(void) {
  int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
              CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
  int tid = clone(ender, stack + sizeof stack, flags, NULL, &child_tid, NULL, &child_tid);
  if (tid < 0) {
    perror("clone");
    exit(1);
  }
  return tid;
}

static void join_ender(void) {
  int tid;
  while ((tid = child_tid) != 0) syscall(SYS_futex, &child_tid, FUTEX_WAIT, tid, NULL, NULL, 0);
}

/* segv-racing: SIGSEGV and SIGBUS, sent with kill() to the process while a thread that
 * unblocked them ends, are each handled once or pending for the process. */
static int segv_racing(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  sigset_t both;
  sigemptyset(&both);
  sigaddset(&both, SIGSEGV);
  sigaddset(&both, SIGBUS);
  sigprocmask(SIG_BLOCK, &both, NULL);
  ender_unblocks = (1UL << (SIGSEGV - 1)) | (1UL << (SIGBUS - 1));
  int rounds = 300, lost = 0;
  for (int i = 0; i < rounds; i++) {
    int sig = i % 2 ? SIGBUS : SIGSEGV;
    handled = 0;
    started = 0;
    start_ender();
    while (!started) {
    }
    kill(getpid(), sig);
    join_ender();
    sigset_t pending;
    sigpending(&pending);
    int is_pending = sigismember(&pending, sig);
    if (is_pending) {
      sigset_t one;
      sigemptyset(&one);
      sigaddset(&one, sig);
      int got;
      sigwait(&one, &got);
    }
    if (handled + is_pending != 1) lost++;
  }
  printf("rounds: %d\nlost: %d\n", rounds, lost);
  return 0;
}

/* segv-default, bus-default: the race under the default action; the process dies by `sig`. */
static int racing_default(int sig) {
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, sig);
  sigprocmask(SIG_BLOCK, &one, NULL);
  ender_unblocks = 1UL << (sig - 1);
  for (int i = 0; i < 300; i++) {
    started = 0;
    start_ender();
    while (!started) {
    }
    kill(getpid(), sig);
    join_ender();
  }
  sigprocmask(SIG_UNBLOCK, &one, NULL);
  printf("survived\n");
  return 0;
}

/* tgkill-joined: signalling a joined thread's tid gives success or ESRCH, nothing else. */
static int tgkill_joined(void) {
  int rounds = 300, other = 0;
  ender_unblocks = 0;
  for (int i = 0; i < rounds; i++) {
    started = 0;
    int tid = start_ender();
    join_ender();
    for (int k = 0; k < 3; k++) {
      long r = k == 2 ? syscall(SYS_tkill, tid, SIGUSR1) : syscall(SYS_tgkill, getpid(), tid, k ? SIGUSR1 : 0);
      if (r != 0 && errno != ESRCH)
        other++;
    }
  }
  printf("rounds: %d\nother errors: %d\n", rounds, other);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "segv-racing") == 0) return segv_racing();
  if (argc > 1 && strcmp(argv[1], "segv-default") == 0) return racing_default(SIGSEGV);
  if (argc > 1 && strcmp(argv[1], "bus-default") == 0) return racing_default(SIGBUS);
  if (argc > 1 && strcmp(argv[1], "tgkill-joined") == 0) return tgkill_joined();
  int racing = argc > 1 && strcmp(argv[1], "racing") == 0;
  if (argc < 2 || (!racing && strcmp(argv[1], "joined") != 0)) {
    fprintf(stderr, "usage: sigexit joined|racing|segv-racing|segv-default|bus-default|tgkill-joined\n");
    return 2;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, NULL);
  int rounds = 300, lost = 0, bad = 0;
  for (int i = 0; i < rounds; i++) {
    handled = 0;
    started = 0;
    start_ender();
    if (racing) {
      while (!started) {
      }
      kill(getpid(), SIGUSR1);
      join_ender();
    } else {
      join_ender();
      kill(getpid(), SIGUSR1);
    }
    sigset_t pending;
    sigpending(&pending);
    int is_pending = sigismember(&pending, SIGUSR1);
    if (is_pending) {
      int sig;
      sigwait(&usr1, &sig);
    }
    if (!racing && handled) bad++; /* no thread could take it */
    if (handled + is_pending != 1) lost++;
  }
  printf("rounds: %d\nlost: %d\nhandled by the thread after it was gone: %d\n", rounds, lost, bad);
  return 0;
}
