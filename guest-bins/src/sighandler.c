/* Guest signal handlers. The argument picks the scenario; every line printed is
 * deterministic (no addresses, no pids).
 *   raise-usr1: raise(SIGUSR1) with a plain handler; the handler runs before raise returns
 *   siginfo: SA_SIGINFO handler for a sigqueue'd SIGUSR2 reads si_signo, si_code, si_value
 *   alarm-pause: alarm(1) then pause() with a SIGALRM handler; pause returns EINTR
 *   mask: SIGUSR1 blocked, raised (stays pending), then unblocked: delivered then; the
 *         handler's own signal is blocked while it runs, and the mask is back afterwards
 *   altstack: a handler on a sigaltstack sees its locals on that stack
 *   resethand: SA_RESETHAND: the first SIGUSR1 runs the handler, the second kills
 *   nested: a SIGUSR1 handler raises SIGUSR2 (SA_NODEFER-free): both run, inner first
 *   context: the handler's ucontext has the interrupted registers preserved across it
 *   kill-segv-handler: a SIGSEGV sent by kill() reaches a SIGSEGV handler
 *   sigsuspend: SIGUSR1 blocked and raised, then sigsuspend() with an empty mask runs the
 *               handler (under the temporary mask) and the block is back afterwards
 *   autodisarm: a sigaltstack with SS_AUTODISARM is disabled while a handler runs (also
 *               in a handler nested in it) and set again by rt_sigreturn
 *   restore-altstack: a handler (not on the alternate stack) that sets another alternate
 *               stack finds the first one back after it returns (rt_sigreturn sets uc_stack) */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t hits;
static volatile int last_sig;
static char altstack_mem[65536];
static volatile int on_alt;

static void plain(int sig)
{
    hits++;
    last_sig = sig;
}

static void info_handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    printf("handler: sig %d si_signo %d si_code %d value %d\n", sig, si->si_signo, si->si_code,
           si->si_value.sival_int);
    hits++;
}

static void mask_handler(int sig)
{
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    printf("handler: sig %d, own signal blocked inside: %d, SIGUSR2 blocked (sa_mask): %d\n", sig,
           sigismember(&cur, sig), sigismember(&cur, SIGUSR2));
    hits++;
}

static void alt_handler(int sig)
{
    char local;
    uintptr_t p = (uintptr_t)&local, lo = (uintptr_t)altstack_mem;
    on_alt = p >= lo && p < lo + sizeof altstack_mem;
    stack_t ss;
    sigaltstack(NULL, &ss);
    printf("handler: sig %d on the alternate stack: %d\n", sig, on_alt);
    hits++;
}

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif
static char other_altstack_mem[65536];

static void print_altstack(const char *when)
{
    stack_t ss;
    sigaltstack(NULL, &ss);
    printf("%s: disabled %d autodisarm %d first stack %d other stack %d\n", when,
           (ss.ss_flags & SS_DISABLE) != 0, (ss.ss_flags & SS_AUTODISARM) != 0,
           ss.ss_sp == altstack_mem && ss.ss_size == sizeof altstack_mem,
           ss.ss_sp == other_altstack_mem);
}

static void disarm_inner(int sig)
{
    (void)sig;
    print_altstack("nested handler");
}

static void disarm_outer(int sig)
{
    char local;
    uintptr_t p = (uintptr_t)&local, lo = (uintptr_t)altstack_mem;
    printf("handler: on the alternate stack %d\n", p >= lo && p < lo + sizeof altstack_mem);
    print_altstack("handler");
    raise(SIGUSR2);
    (void)sig;
}

static void switch_altstack(int sig)
{
    (void)sig;
    stack_t ss = {.ss_sp = other_altstack_mem, .ss_size = sizeof other_altstack_mem, .ss_flags = 0};
    printf("handler: sigaltstack to the other stack %d\n", sigaltstack(&ss, NULL));
    print_altstack("handler");
}

static void inner(int sig)
{
    printf("inner handler: sig %d\n", sig);
}

static void outer(int sig)
{
    printf("outer handler: sig %d, raising SIGUSR2\n", sig);
    raise(SIGUSR2);
    printf("outer handler: back\n");
}

static void segv_handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    printf("handler: sig %d si_code is SI_USER: %d\n", sig, si->si_code == SI_USER);
    hits++;
}

static void set(int sig, void (*h)(int), int flags, int masked)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    if (masked)
        sigaddset(&sa.sa_mask, masked);
    if (sigaction(sig, &sa, NULL) != 0) {
        perror("sigaction");
        exit(3);
    }
}

static void set_info(int sig, void (*h)(int, siginfo_t *, void *))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("mode %s\n", mode);
    if (strcmp(mode, "raise-usr1") == 0) {
        set(SIGUSR1, plain, 0, 0);
        raise(SIGUSR1);
        printf("after raise: hits %d last %d\n", hits, last_sig);
        raise(SIGUSR1);
        printf("after second raise: hits %d\n", hits);
    } else if (strcmp(mode, "siginfo") == 0) {
        set_info(SIGUSR2, info_handler);
        union sigval v = {.sival_int = 1234};
        sigqueue(getpid(), SIGUSR2, v);
        printf("after sigqueue: hits %d\n", hits);
    } else if (strcmp(mode, "alarm-pause") == 0) {
        set(SIGALRM, plain, 0, 0);
        alarm(1);
        int r = pause();
        printf("pause returned %d errno EINTR: %d; hits %d last %d\n", r, errno == EINTR, hits, last_sig);
    } else if (strcmp(mode, "mask") == 0) {
        set(SIGUSR1, mask_handler, 0, SIGUSR2);
        sigset_t s, old, cur;
        sigemptyset(&s);
        sigaddset(&s, SIGUSR1);
        sigprocmask(SIG_BLOCK, &s, &old);
        raise(SIGUSR1);
        sigset_t pend;
        sigpending(&pend);
        printf("blocked: hits %d, pending %d\n", hits, sigismember(&pend, SIGUSR1));
        sigprocmask(SIG_SETMASK, &old, NULL);
        printf("unblocked: hits %d\n", hits);
        sigprocmask(SIG_BLOCK, NULL, &cur);
        printf("after: SIGUSR1 blocked %d SIGUSR2 blocked %d\n", sigismember(&cur, SIGUSR1),
               sigismember(&cur, SIGUSR2));
    } else if (strcmp(mode, "altstack") == 0) {
        stack_t ss = {.ss_sp = altstack_mem, .ss_size = sizeof altstack_mem, .ss_flags = 0};
        if (sigaltstack(&ss, NULL) != 0) {
            perror("sigaltstack");
            return 3;
        }
        set(SIGUSR1, alt_handler, SA_ONSTACK, 0);
        raise(SIGUSR1);
        set(SIGUSR2, alt_handler, 0, 0);
        raise(SIGUSR2);
        printf("hits %d\n", hits);
    } else if (strcmp(mode, "resethand") == 0) {
        set(SIGUSR1, plain, SA_RESETHAND, 0);
        raise(SIGUSR1);
        printf("first: hits %d\n", hits);
        struct sigaction now;
        sigaction(SIGUSR1, NULL, &now);
        printf("disposition is SIG_DFL now: %d\n", now.sa_handler == SIG_DFL);
        raise(SIGUSR1);
        printf("still alive (wrong)\n");
    } else if (strcmp(mode, "nested") == 0) {
        set(SIGUSR1, outer, 0, 0);
        set(SIGUSR2, inner, 0, 0);
        raise(SIGUSR1);
        printf("main: back\n");
    } else if (strcmp(mode, "context") == 0) {
        /* Values live in callee-saved registers across the raise; a frame that loses them
         * changes the sums. */
        set(SIGUSR1, plain, 0, 0);
        volatile double d = 1.5;
        long acc = 0;
        double facc = 0;
        for (int i = 0; i < 1000; i++) {
            if (i % 100 == 0)
                raise(SIGUSR1);
            acc += i * 3;
            facc += d * i;
        }
        printf("acc %ld facc %.1f hits %d\n", acc, facc, hits);
    } else if (strcmp(mode, "kill-segv-handler") == 0) {
        set_info(SIGSEGV, segv_handler);
        kill(getpid(), SIGSEGV);
        printf("after kill: hits %d\n", hits);
    } else if (strcmp(mode, "sigsuspend") == 0) {
        set(SIGUSR1, mask_handler, 0, SIGUSR2);
        sigset_t s, empty, cur;
        sigemptyset(&s);
        sigaddset(&s, SIGUSR1);
        sigprocmask(SIG_BLOCK, &s, NULL);
        raise(SIGUSR1);
        printf("blocked: hits %d\n", hits);
        sigemptyset(&empty);
        int r = sigsuspend(&empty);
        printf("sigsuspend returned %d errno EINTR: %d; hits %d\n", r, errno == EINTR, hits);
        sigprocmask(SIG_BLOCK, NULL, &cur);
        printf("after: SIGUSR1 blocked %d SIGUSR2 blocked %d\n", sigismember(&cur, SIGUSR1),
               sigismember(&cur, SIGUSR2));
    } else if (strcmp(mode, "autodisarm") == 0) {
        stack_t ss = {.ss_sp = altstack_mem, .ss_size = sizeof altstack_mem, .ss_flags = SS_AUTODISARM};
        if (sigaltstack(&ss, NULL) != 0) {
            /* qemu-user refuses the flag (EINVAL); Linux has it since 4.7 */
            printf("sigaltstack with SS_AUTODISARM refused\n");
            return 0;
        }
        print_altstack("before");
        set(SIGUSR1, disarm_outer, SA_ONSTACK, 0);
        set(SIGUSR2, disarm_inner, SA_ONSTACK, 0);
        raise(SIGUSR1);
        print_altstack("after");
    } else if (strcmp(mode, "restore-altstack") == 0) {
        stack_t ss = {.ss_sp = altstack_mem, .ss_size = sizeof altstack_mem, .ss_flags = 0};
        if (sigaltstack(&ss, NULL) != 0) {
            perror("sigaltstack");
            return 3;
        }
        set(SIGUSR1, switch_altstack, 0, 0);
        raise(SIGUSR1);
        print_altstack("after");
    } else {
        puts("unknown mode");
        return 2;
    }
    return 0;
}
