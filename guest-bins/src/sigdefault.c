/* Default and ignored dispositions of SIGSEGV and SIGBUS: a signal sent to the program (not a
 * fault) must take the program's disposition, as the kernel applies it. The argument picks:
 *   raise-segv, raise-bus: raise() with the default action -> dies by the signal
 *   kill-segv: kill(getpid()) with the default action -> SIGSEGV
 *   child-kills: a forked child sends SIGSEGV to the parent, which waits -> SIGSEGV
 *   ignore-segv: SIGSEGV ignored, then raised: the program carries on and exits 0
 *   ignore-fault: SIGSEGV ignored, then a real fault: the kernel kills anyway -> SIGSEGV */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    printf("mode %s\n", mode);
    fflush(stdout);
    if (strcmp(mode, "raise-segv") == 0) {
        raise(SIGSEGV);
    } else if (strcmp(mode, "raise-bus") == 0) {
        raise(SIGBUS);
    } else if (strcmp(mode, "kill-segv") == 0) {
        kill(getpid(), SIGSEGV);
    } else if (strcmp(mode, "child-kills") == 0) {
        pid_t parent = getpid();
        if (fork() == 0) {
            kill(parent, SIGSEGV);
            _exit(0);
        }
        for (int i = 0; i < 50; i++)
            usleep(100000);
    } else if (strcmp(mode, "ignore-segv") == 0) {
        signal(SIGSEGV, SIG_IGN);
        raise(SIGSEGV);
        kill(getpid(), SIGSEGV);
        puts("ignored SIGSEGV twice");
        return 0;
    } else if (strcmp(mode, "ignore-fault") == 0) {
        signal(SIGSEGV, SIG_IGN);
        volatile int *volatile null_ptr = NULL;
        *null_ptr = 1;
    } else {
        puts("unknown mode");
        return 2;
    }
    puts("still alive (wrong)");
    return 0;
}
