/* Dies by a fault after printing and flushing a line. The argument picks the fault:
 *   write (default): store to address 0 -> SIGSEGV
 *   read: load from address 0 -> SIGSEGV
 *   call0: call a null function pointer -> SIGSEGV
 *   abort: abort() -> SIGABRT
 *   trap: __builtin_trap() -> SIGILL on x86-64 (ud2), SIGTRAP on AArch64 (brk) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "write";
    printf("about to fault: %s\n", mode);
    fflush(stdout);
    volatile int *volatile null_ptr = NULL;
    void (*volatile null_fn)(void) = NULL;
    if (strcmp(mode, "write") == 0)
        *null_ptr = 1;
    else if (strcmp(mode, "read") == 0)
        printf("read %d\n", *null_ptr);
    else if (strcmp(mode, "call0") == 0)
        null_fn();
    else if (strcmp(mode, "abort") == 0)
        abort();
    else if (strcmp(mode, "trap") == 0)
        __builtin_trap();
    else {
        puts("unknown mode");
        return 2;
    }
    puts("still alive (wrong)");
    return 0;
}
