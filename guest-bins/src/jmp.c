/* setjmp/longjmp: plain, from deep recursion, with volatile locals that must survive, the
 * value-0-becomes-1 rule, nested buffers, and sigsetjmp/siglongjmp restoring the signal mask
 * (that path makes rt_sigprocmask calls). */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>

static jmp_buf env, inner;
static sigjmp_buf senv;
static int depth_reached;

/* Every path of dive() ends in longjmp or recursion; that is the point. */
#pragma GCC diagnostic ignored "-Winfinite-recursion"

__attribute__((noinline)) static void dive(int n, int target)
{
    volatile char pad[64];
    pad[n % 64] = (char)n;
    depth_reached = n;
    if (n >= target)
        longjmp(env, n + pad[n % 64] * 0); /* returns n to setjmp */
    dive(n + 1, target);
}

__attribute__((noinline)) static void jump_zero(void)
{
    longjmp(env, 0);
}

int main(void)
{
    volatile int counter = 0;
    int r = setjmp(env);
    counter++;
    printf("setjmp returned %d, counter %d\n", r, counter);
    if (counter < 4)
        longjmp(env, counter * 10);

    r = setjmp(env);
    if (r == 0)
        dive(0, 5000);
    printf("back from depth %d with %d\n", depth_reached, r);

    r = setjmp(env);
    if (r == 0)
        jump_zero();
    printf("longjmp(env, 0) makes setjmp return %d\n", r);

    /* nested: the inner buffer is used first, then the outer one */
    volatile int stage = 0;
    if ((r = setjmp(env)) == 0) {
        stage = 1;
        if ((r = setjmp(inner)) == 0) {
            stage = 2;
            longjmp(inner, 7);
        }
        printf("inner returned %d at stage %d\n", r, stage);
        stage = 3;
        longjmp(env, 9);
    }
    printf("outer returned %d at stage %d\n", r, stage);

    /* sigsetjmp with mask saving: block SIGUSR1 after saving, jump back, mask restored */
    sigset_t set, now;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    if ((r = sigsetjmp(senv, 1)) == 0) {
        sigprocmask(SIG_BLOCK, &set, NULL);
        sigprocmask(SIG_BLOCK, NULL, &now);
        printf("before siglongjmp SIGUSR1 blocked: %d\n", sigismember(&now, SIGUSR1));
        siglongjmp(senv, 3);
    }
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("after siglongjmp (%d) SIGUSR1 blocked: %d\n", r, sigismember(&now, SIGUSR1));
    return 0;
}
