/* A dynamically linked hello: argv, the environment, /proc/self/exe and an exit status. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    printf("hello from a dynamically linked program, argc=%d\n", argc);
    for (int i = 1; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    const char *greeting = getenv("XL_GREETING");
    printf("XL_GREETING=%s\n", greeting ? greeting : "(unset)");
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n < 0) return 10;
    exe[n] = 0;
    const char *base = strrchr(exe, '/');
    printf("/proc/self/exe ends in %s\n", base ? base + 1 : exe);
    return 3;
}
