/* Environment variables: getenv of what the test sets, setenv with and without overwrite,
 * unsetenv, putenv, enough new variables to make libc grow environ, and the final sorted list
 * of XL_ variables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static void show(const char *name)
{
    const char *v = getenv(name);
    printf("%s=%s%s%s\n", name, v ? "\"" : "", v ? v : "(unset)", v ? "\"" : "");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    show("XL_GREETING");
    show("XL_EMPTY");
    show("XL_SPACES");
    show("XL_MISSING");

    printf("setenv new: %d\n", setenv("XL_NEW", "fresh", 0));
    show("XL_NEW");
    printf("setenv no overwrite: %d\n", setenv("XL_GREETING", "ignored", 0));
    show("XL_GREETING");
    printf("setenv overwrite: %d\n", setenv("XL_GREETING", "replaced", 1));
    show("XL_GREETING");
    printf("setenv bad name: %d\n", setenv("XL=BAD", "x", 1));
    printf("unsetenv: %d\n", unsetenv("XL_SPACES"));
    show("XL_SPACES");
    printf("unsetenv missing: %d\n", unsetenv("XL_NEVER_SET"));
    static char put[] = "XL_PUT=by putenv";
    printf("putenv: %d\n", putenv(put));
    show("XL_PUT");
    put[7] = 'B'; /* putenv keeps the caller's string */
    show("XL_PUT");

    char name[32], value[32];
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "XL_MANY_%03d", i);
        snprintf(value, sizeof value, "%d", i * i);
        setenv(name, value, 1);
    }
    for (int i = 0; i < 200; i += 3) {
        snprintf(name, sizeof name, "XL_MANY_%03d", i);
        unsetenv(name);
    }
    show("XL_MANY_000");
    show("XL_MANY_199");
    show("XL_MANY_198");

    int n = 0, mine = 0;
    for (char **e = environ; *e; e++) {
        n++;
        mine += strncmp(*e, "XL_", 3) == 0;
    }
    char **list = malloc(sizeof *list * (size_t)mine);
    int k = 0;
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "XL_", 3) == 0)
            list[k++] = *e;
    qsort(list, (size_t)k, sizeof *list, cmp_str);
    printf("environ has %d entries, %d of them XL_\n", n, mine);
    for (int i = 0; i < k && i < 8; i++)
        printf("  %s\n", list[i]);
    printf("  ...\n  %s\n", list[k - 1]);
    return 0;
}
