/* Exits in the way argv asks, with the status argv gives:
 *   exitcode ret N | exit N | _exit N | atexit N */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_exit_handler(void)
{
    puts("atexit handler ran");
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        puts("usage: exitcode ret|exit|_exit|atexit STATUS");
        return 2;
    }
    int status = atoi(argv[2]);
    printf("mode=%s status=%d\n", argv[1], status);
    if (strcmp(argv[1], "ret") == 0)
        return status;
    if (strcmp(argv[1], "exit") == 0)
        exit(status);
    if (strcmp(argv[1], "_exit") == 0) {
        fflush(stdout);
        _exit(status);
    }
    if (strcmp(argv[1], "atexit") == 0) {
        atexit(on_exit_handler);
        exit(status);
    }
    puts("unknown mode");
    return 2;
}
