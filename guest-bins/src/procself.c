/* What a program sees of itself in /proc/self. The argument picks the file:
 *   cmdline: prints /proc/self/cmdline with each NUL shown as '|'
 *   auxv:    compares each entry of /proc/self/auxv with getauxval()
 *   maps:    checks /proc/self/maps: the mapping of main is executable and names the
 *            program, the one of a local variable is [stack], no other executable mapping
 *            than the program's, [vdso] and [vsyscall], and smaps has the same mappings
 * Prints only facts that do not depend on addresses, so runs can be compared. */
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

static char buf[1 << 20], smaps_buf[1 << 20];

static size_t slurp_into(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        perror(path);
        exit(1);
    }
    size_t n = 0;
    ssize_t r;
    while ((r = read(fd, buf + n, size - 1 - n)) > 0)
        n += (size_t)r;
    close(fd);
    buf[n] = 0;
    return n;
}

static size_t slurp(const char *path)
{
    return slurp_into(path, buf, sizeof buf);
}

static int cmdline(void)
{
    size_t n = slurp("/proc/self/cmdline");
    /* argv[0] is a path that depends on the checkout: print its last component only. */
    size_t first = strlen(buf), base = 0;
    for (size_t i = 0; i < first; i++)
        if (buf[i] == '/')
            base = i + 1;
    for (size_t i = base; i < n; i++)
        putchar(buf[i] ? buf[i] : '|');
    putchar('\n');
    return 0;
}

static int auxv(void)
{
    size_t n = slurp("/proc/self/auxv");
    unsigned long *v = (unsigned long *)buf;
    int entries = 0, mismatches = 0, ended = 0;
    for (size_t i = 0; i + 1 < n / sizeof *v; i += 2) {
        if (v[i] == AT_NULL) {
            ended = 1;
            break;
        }
        entries++;
        if (getauxval(v[i]) != v[i + 1]) {
            printf("entry type %lu differs from getauxval\n", v[i]);
            mismatches++;
        }
    }
    printf("auxv: ends with AT_NULL: %s; %s entries; mismatches: %d\n", ended ? "yes" : "no",
           entries > 10 ? "more than 10" : "10 or fewer", mismatches);
    return 0;
}

/* The maps line that contains `addr`, or NULL. */
static const char *line_of(const char *maps, unsigned long addr, char *out, size_t size)
{
    for (const char *p = maps; *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        unsigned long lo, hi;
        if (sscanf(p, "%lx-%lx", &lo, &hi) == 2 && lo <= addr && addr < hi) {
            snprintf(out, size, "%.*s", (int)len, p);
            return out;
        }
        p += len + (end != NULL);
    }
    return NULL;
}

static int is_header(const char *line)
{
    unsigned long lo, hi;
    char perms[5];
    return sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && strlen(perms) == 4;
}

static int maps(void)
{
    /* Both files first, before anything allocates memory (which could add a mapping). */
    slurp("/proc/self/maps");
    slurp_into("/proc/self/smaps", smaps_buf, sizeof smaps_buf);
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[len > 0 ? len : 0] = 0;
    char *copy = strdup(buf);

    char line[4096];
    int local = 0;
    const char *text = line_of(copy, (unsigned long)(void *)&maps, line, sizeof line);
    char perms[5] = "?";
    if (text)
        sscanf(text, "%*x-%*x %4s", perms);
    printf("main: mapping %s, executable: %s, names the program: %s\n", text ? "found" : "missing",
           perms[2] == 'x' ? "yes" : "no", text && strstr(text, exe) ? "yes" : "no");
    const char *stack = line_of(copy, (unsigned long)&local, line, sizeof line);
    printf("stack variable: %s\n", stack && strstr(stack, "[stack]") ? "in [stack]" : "elsewhere");

    int others = 0, lines = 0;
    for (char *p = strtok(copy, "\n"); p; p = strtok(NULL, "\n")) {
        lines++;
        char pm[5];
        if (sscanf(p, "%*x-%*x %4s", pm) == 1 && pm[2] == 'x' && !strstr(p, exe) &&
            !strstr(p, "[vdso]") && !strstr(p, "[vsyscall]")) {
            printf("other executable mapping: %s\n", p);
            others++;
        }
    }
    printf("other executable mappings: %d\n", others);

    /* smaps: the same mapping lines, in the same order (the figures under them change). */
    int same = 1, headers = 0;
    char *m = buf;
    for (char *p = strtok(smaps_buf, "\n"); p; p = strtok(NULL, "\n")) {
        if (!is_header(p))
            continue;
        headers++;
        char *end = strchr(m, '\n');
        size_t n = end ? (size_t)(end - m) : strlen(m);
        if (strlen(p) != n || strncmp(p, m, n) != 0)
            same = 0;
        m = end ? end + 1 : m + n;
    }
    printf("smaps: %s\n", same && headers == lines ? "the same mappings as maps" : "differs from maps");
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "cmdline") == 0)
        return cmdline();
    if (strcmp(mode, "auxv") == 0)
        return auxv();
    if (strcmp(mode, "maps") == 0)
        return maps();
    fputs("usage: procself cmdline|auxv|maps [ARGS]\n", stderr);
    return 2;
}
