/* Asynchronous signals reaching a guest that spins without system calls, and system calls
 * interrupted by a signal (EINTR, or a restart with SA_RESTART).
 *   alarm-spin     alarm(1), then a tight loop until the SIGALRM handler sets a flag
 *   itimer-spin    setitimer(ITIMER_REAL, 10 ms period), spin until 5 handler runs
 *   thread-spin    a thread spins until the main thread's pthread_kill(SIGUSR1) stops it
 *   main-spin      the main thread spins until another thread's pthread_kill stops it
 *   sigchld-spin   fork a child that exits; spin until SIGCHLD
 *   eintr-read     read() on an empty pipe interrupted by SIGALRM (every 50 ms until the
 *                  read returns) without SA_RESTART: EINTR
 *   restart-read   the same with SA_RESTART: the handler runs, writes a byte into the pipe,
 *                  and the restarted read returns it
 *   sigtimedwait   SIGUSR1 blocked and raised, then taken by sigtimedwait (and a timeout)
 *   signalfd       SIGUSR1 blocked and sent by another thread, then read from a signalfd
 * Output is deterministic: counts and results only. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t hits;
static int pipe_fd[2];

static void count(int sig)
{
    (void)sig;
    hits++;
}

static void feed_pipe(int sig)
{
    (void)sig;
    hits++;
    if (write(pipe_fd[1], "x", 1) != 1)
        _exit(3);
}

static void set(int sig, void (*h)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, 0) != 0) {
        perror("sigaction");
        _exit(2);
    }
}

/* No calls in the loop: the compiler keeps it a tight branch back to itself. */
static unsigned long spin_until(int n)
{
    unsigned long turns = 0;
    while (hits < n)
        turns++;
    return turns;
}

static void one_shot_timer(long usec)
{
    struct itimerval t = { { 0, 0 }, { 0, usec } };
    setitimer(ITIMER_REAL, &t, 0);
}

static pthread_t main_thread;

static void *spinner(void *arg)
{
    (void)arg;
    spin_until(1);
    return 0;
}

static void *killer(void *arg)
{
    (void)arg;
    usleep(20000);
    pthread_kill(main_thread, SIGUSR1);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "alarm-spin") == 0) {
        set(SIGALRM, count, 0);
        alarm(1);
        unsigned long turns = spin_until(1);
        printf("alarm-spin: handler ran %d time(s), spun: %s\n", (int)hits, turns > 0 ? "yes" : "no");
    } else if (strcmp(mode, "itimer-spin") == 0) {
        set(SIGALRM, count, SA_RESTART);
        struct itimerval t = { { 0, 10000 }, { 0, 10000 } };
        setitimer(ITIMER_REAL, &t, 0);
        spin_until(5);
        struct itimerval off = { { 0, 0 }, { 0, 0 } };
        setitimer(ITIMER_REAL, &off, 0);
        printf("itimer-spin: at least 5 handler runs: %s\n", hits >= 5 ? "yes" : "no");
    } else if (strcmp(mode, "thread-spin") == 0) {
        set(SIGUSR1, count, 0);
        pthread_t t;
        pthread_create(&t, 0, spinner, 0);
        usleep(20000);
        pthread_kill(t, SIGUSR1);
        pthread_join(t, 0);
        printf("thread-spin: the spinning thread stopped, handler ran %d time(s)\n", (int)hits);
    } else if (strcmp(mode, "main-spin") == 0) {
        set(SIGUSR1, count, 0);
        main_thread = pthread_self();
        pthread_t t;
        pthread_create(&t, 0, killer, 0);
        spin_until(1);
        pthread_join(t, 0);
        printf("main-spin: the main thread stopped, handler ran %d time(s)\n", (int)hits);
    } else if (strcmp(mode, "sigchld-spin") == 0) {
        set(SIGCHLD, count, 0);
        pid_t pid = fork();
        if (pid == 0)
            _exit(7);
        spin_until(1);
        int status = 0;
        waitpid(pid, &status, 0);
        printf("sigchld-spin: handler ran %d time(s), child exit status %d\n", (int)hits,
               WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    } else if (strcmp(mode, "eintr-read") == 0 || strcmp(mode, "restart-read") == 0) {
        int restart = mode[0] == 'r';
        if (pipe(pipe_fd) != 0)
            return 2;
        set(SIGALRM, restart ? feed_pipe : count, restart ? SA_RESTART : 0);
        /* eintr-read: periodic, so that a tick that comes before the read starts (a loaded
         * machine) does not leave it waiting for ever: the next one interrupts it.
         * restart-read: one tick is enough (its handler fills the pipe), and the call
         * sequence stays the one tests/syscall_strace_run.rs compares with native strace. */
        struct itimerval every = { { 0, restart ? 0 : 50000 }, { 0, 50000 } };
        setitimer(ITIMER_REAL, &every, 0);
        char c = 0;
        errno = 0;
        ssize_t n = read(pipe_fd[0], &c, 1);
        int err = errno;
        if (!restart)
            one_shot_timer(0);
        printf("%s: read returned %zd, errno %s, byte '%c', handler ran: %s\n", mode, n,
               n < 0 ? (err == EINTR ? "EINTR" : strerror(err)) : "-", n == 1 ? c : '-',
               hits > 0 ? "yes" : "no");
    } else if (strcmp(mode, "sigtimedwait") == 0) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        sigprocmask(SIG_BLOCK, &set, 0);
        struct timespec timeout = { 0, 20000000 };
        errno = 0;
        int none = sigtimedwait(&set, 0, &timeout);
        printf("sigtimedwait: nothing pending: %d (%s)\n", none, errno == EAGAIN ? "EAGAIN" : strerror(errno));
        raise(SIGUSR1);
        siginfo_t si;
        int got = sigtimedwait(&set, &si, &timeout);
        printf("sigtimedwait: took %s, si_signo %s, si_code SI_TKILL: %s\n", got == SIGUSR1 ? "SIGUSR1" : "?",
               si.si_signo == SIGUSR1 ? "SIGUSR1" : "?", si.si_code == SI_TKILL ? "yes" : "no");
    } else if (strcmp(mode, "signalfd") == 0) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        sigprocmask(SIG_BLOCK, &set, 0);
        int fd = signalfd(-1, &set, 0);
        main_thread = pthread_self();
        pthread_t t;
        pthread_create(&t, 0, killer, 0);
        struct signalfd_siginfo ssi;
        ssize_t n = read(fd, &ssi, sizeof ssi);
        pthread_join(t, 0);
        printf("signalfd: read %s, ssi_signo %s, sender is this process: %s\n",
               n == (ssize_t)sizeof ssi ? "one record" : "?", ssi.ssi_signo == SIGUSR1 ? "SIGUSR1" : "?",
               ssi.ssi_pid == (unsigned)getpid() ? "yes" : "no");
    } else {
        fprintf(stderr, "usage: sigasync alarm-spin|itimer-spin|thread-spin|main-spin|sigchld-spin|eintr-read|restart-read|sigtimedwait|signalfd\n");
        return 2;
    }
    return 0;
}
