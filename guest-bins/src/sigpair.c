/* Two signals that become deliverable at the same moment, with SA_ONSTACK handlers on a
 * sigaltstack: SIGUSR1 and SIGUSR2 are blocked, raised (both pending), then unblocked by one
 * sigprocmask call, so the kernel delivers both on its return. Every line printed is
 * deterministic (no addresses, no pids).
 *   masked: each handler's sa_mask blocks the other signal. The kernel delivers SIGUSR1
 *           first; SIGUSR2 stays pending while that handler runs and is delivered after
 *           its rt_sigreturn, each handler at depth 1.
 *   nested: the handlers block nothing else. SIGUSR2's frame goes on top of SIGUSR1's, on
 *           the same alternate stack below it, so SIGUSR2's handler runs first (at the first
 *           instruction of SIGUSR1's), then SIGUSR1's, which must still find its own siginfo
 *           and return to main.
 * Each handler reports its depth, whether it runs on the alternate stack, what
 * sigaltstack(NULL) says (SS_ONSTACK while on it) and that the stack cannot be changed there
 * (EPERM). This is the case that made Go's os/signal test hang now and then under xlate. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char altstack_mem[65536];
static volatile int depth;

static void handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    depth++;
    char local;
    uintptr_t p = (uintptr_t)&local, lo = (uintptr_t)altstack_mem;
    stack_t now, other = {.ss_sp = altstack_mem, .ss_size = sizeof altstack_mem, .ss_flags = 0};
    sigaltstack(NULL, &now);
    int changed = sigaltstack(&other, NULL);
    int change_errno = errno;
    sigset_t pending;
    sigpending(&pending);
    printf("handler %d: si_signo %d, depth %d, on the alternate stack %d, ss_flags SS_ONSTACK %d, "
           "change refused with EPERM %d, SIGUSR2 pending %d\n",
           sig, si->si_signo, depth, p >= lo && p < lo + sizeof altstack_mem,
           (now.ss_flags & SS_ONSTACK) != 0, changed == -1 && change_errno == EPERM,
           sigismember(&pending, SIGUSR2));
    fflush(stdout);
    depth--;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "masked";
    int masked = strcmp(mode, "masked") == 0;
    if (!masked && strcmp(mode, "nested") != 0) {
        fprintf(stderr, "usage: sigpair masked|nested\n");
        return 2;
    }
    stack_t ss = {.ss_sp = altstack_mem, .ss_size = sizeof altstack_mem, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) {
        perror("sigaltstack");
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (masked)
        sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(SIGUSR1, &sa, NULL);
    sigemptyset(&sa.sa_mask);
    if (masked)
        sigaddset(&sa.sa_mask, SIGUSR1);
    sigaction(SIGUSR2, &sa, NULL);

    sigset_t both;
    sigemptyset(&both);
    sigaddset(&both, SIGUSR1);
    sigaddset(&both, SIGUSR2);
    for (int round = 1; round <= 3; round++) {
        sigprocmask(SIG_BLOCK, &both, NULL);
        raise(SIGUSR2);
        raise(SIGUSR1);
        printf("round %d: both pending, unblocking\n", round);
        fflush(stdout);
        sigprocmask(SIG_UNBLOCK, &both, NULL);
        stack_t after;
        sigaltstack(NULL, &after);
        printf("round %d: back in main, depth %d, ss_flags SS_ONSTACK %d\n", round, depth,
               (after.ss_flags & SS_ONSTACK) != 0);
    }
    return 0;
}
