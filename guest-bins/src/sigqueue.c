/* Real-time signals queue, standard signals coalesce. Each mode blocks its signals, sends
 * them to the process itself with sigqueue (each with its own si_value), then unblocks them
 * with one sigprocmask call; the SA_SIGINFO handlers record what they got (signal, si_code,
 * si_value) and main prints it afterwards. Every line printed is deterministic.
 *   rt:       SIGRTMIN with the values 1..50: all 50 delivered, in the order sent.
 *   rt-two:   SIGRTMIN+1 and SIGRTMIN sent alternately, 20 of each, handlers that block
 *             every signal: the lower signal's 20 first, then the other's, each in order.
 *   standard: SIGUSR1 three times (values 1, 2, 3): one delivery, with the first value.
 *   nodefer:  SIGRTMIN with the values 1..10 and an SA_NODEFER handler: each instance is
 *             delivered inside the previous one's handler (depth 1..10), in order. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX 128
static volatile int got_sig[MAX], got_code[MAX], got_value[MAX], got_depth[MAX];
static volatile int count, depth, max_depth;

static void handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    depth++;
    if (depth > max_depth)
        max_depth = depth;
    int n = count++;
    if (n < MAX) {
        got_sig[n] = sig;
        got_code[n] = si->si_code;
        got_value[n] = si->si_value.sival_int;
        got_depth[n] = depth;
    }
    depth--;
}

static void set(int sig, int flags, int block_all)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | flags;
    if (block_all)
        sigfillset(&sa.sa_mask);
    else
        sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0)
        perror("sigaction");
}

static void send(int sig, int value)
{
    union sigval v = {.sival_int = value};
    if (sigqueue(getpid(), sig, v) != 0)
        perror("sigqueue");
}

static const char *name(int sig)
{
    if (sig == SIGUSR1)
        return "SIGUSR1";
    static char buf[32];
    snprintf(buf, sizeof buf, "SIGRTMIN+%d", sig - SIGRTMIN);
    return buf;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "rt";
    sigset_t block, old;
    sigemptyset(&block);
    if (strcmp(mode, "rt") == 0) {
        set(SIGRTMIN, 0, 0);
        sigaddset(&block, SIGRTMIN);
        sigprocmask(SIG_BLOCK, &block, &old);
        for (int i = 1; i <= 50; i++)
            send(SIGRTMIN, i);
    } else if (strcmp(mode, "rt-two") == 0) {
        set(SIGRTMIN, 0, 1);
        set(SIGRTMIN + 1, 0, 1);
        sigaddset(&block, SIGRTMIN);
        sigaddset(&block, SIGRTMIN + 1);
        sigprocmask(SIG_BLOCK, &block, &old);
        for (int i = 1; i <= 20; i++) {
            send(SIGRTMIN + 1, 100 + i);
            send(SIGRTMIN, i);
        }
    } else if (strcmp(mode, "standard") == 0) {
        set(SIGUSR1, 0, 0);
        sigaddset(&block, SIGUSR1);
        sigprocmask(SIG_BLOCK, &block, &old);
        for (int i = 1; i <= 3; i++)
            send(SIGUSR1, i);
    } else if (strcmp(mode, "nodefer") == 0) {
        set(SIGRTMIN, SA_NODEFER, 0);
        sigaddset(&block, SIGRTMIN);
        sigprocmask(SIG_BLOCK, &block, &old);
        for (int i = 1; i <= 10; i++)
            send(SIGRTMIN, i);
    } else {
        fprintf(stderr, "usage: sigqueue rt|rt-two|standard|nodefer\n");
        return 2;
    }
    sigset_t pending;
    sigpending(&pending);
    printf("%s: sent while blocked; pending %d\n", mode, sigismember(&pending, SIGUSR1) ||
           sigismember(&pending, SIGRTMIN) || sigismember(&pending, SIGRTMIN + 1));
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("delivered %d (deepest nesting %d)\n", count, max_depth);
    for (int i = 0; i < count && i < MAX; i++)
        printf("%s si_code SI_QUEUE %d value %d depth %d\n", name(got_sig[i]),
               got_code[i] == SI_QUEUE, got_value[i], got_depth[i]);
    sigpending(&pending);
    printf("pending after %d\n", sigismember(&pending, SIGUSR1) || sigismember(&pending, SIGRTMIN) ||
           sigismember(&pending, SIGRTMIN + 1));
    return 0;
}
