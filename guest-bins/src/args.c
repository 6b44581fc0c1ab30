/* Echoes what the loader put on the initial stack: argc, argv, the environment the test sets
 * (names starting with XL_), and the auxv entries whose values are the same natively, under
 * qemu and under xlate. Addresses are never printed, only checks on them. */
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern const ElfW(Ehdr) __ehdr_start; /* defined by the linker */
extern char _start[];

static const char *basename_of(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *yes(int c) { return c ? "yes" : "no"; }

int main(int argc, char **argv, char **envp)
{
    printf("argc=%d\n", argc);
    printf("argv[0] basename=%s\n", basename_of(argv[0]));
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=\"%s\" len=%zu\n", i, argv[i], strlen(argv[i]));
    printf("argv[argc] is NULL: %s\n", yes(argv[argc] == NULL));
    printf("argc precedes argv on the stack: %s\n", yes(((long *)argv)[-1] == argc));
    printf("argv 8-byte aligned: %s\n", yes(((uintptr_t)argv & 7) == 0));
    printf("envp follows argv: %s\n", yes(envp == argv + argc + 1));

    int envc = 0;
    while (envp[envc])
        envc++;
    printf("envc=%d\n", envc);
    char **mine = calloc(envc + 1, sizeof *mine);
    int n = 0;
    for (int i = 0; i < envc; i++)
        if (strncmp(envp[i], "XL_", 3) == 0)
            mine[n++] = envp[i];
    qsort(mine, n, sizeof *mine, cmp_str);
    for (int i = 0; i < n; i++)
        printf("env: %s\n", mine[i]);

    /* auxv starts after the environment's NULL. */
    ElfW(auxv_t) *auxv = (ElfW(auxv_t) *)(envp + envc + 1);
    unsigned long walked_pagesz = 0, walked_phnum = 0;
    int saw_null = 0, entries = 0;
    for (ElfW(auxv_t) *a = auxv; entries < 256; a++, entries++) {
        if (a->a_type == AT_NULL) {
            saw_null = 1;
            break;
        }
        if (a->a_type == AT_PAGESZ)
            walked_pagesz = a->a_un.a_val;
        if (a->a_type == AT_PHNUM)
            walked_phnum = a->a_un.a_val;
    }
    printf("auxv terminated by AT_NULL: %s\n", yes(saw_null));
    printf("auxv walk agrees with getauxval: %s\n",
           yes(walked_pagesz == getauxval(AT_PAGESZ) && walked_phnum == getauxval(AT_PHNUM)));

    printf("AT_PAGESZ=%lu\n", getauxval(AT_PAGESZ));
    printf("AT_PHENT=%lu\n", getauxval(AT_PHENT));
    printf("AT_PHNUM=%lu\n", getauxval(AT_PHNUM));
    printf("AT_PHNUM matches ELF header: %s\n", yes(getauxval(AT_PHNUM) == __ehdr_start.e_phnum));
    printf("AT_PHDR points at the program headers: %s\n",
           yes(getauxval(AT_PHDR) == (unsigned long)&__ehdr_start + __ehdr_start.e_phoff));
    printf("AT_ENTRY is _start: %s\n", yes(getauxval(AT_ENTRY) == (unsigned long)_start));
    printf("AT_BASE=%lu\n", getauxval(AT_BASE));
    printf("AT_UID is getuid(): %s\n", yes(getauxval(AT_UID) == getuid()));
    printf("AT_EUID is geteuid(): %s\n", yes(getauxval(AT_EUID) == geteuid()));
    printf("AT_GID is getgid(): %s\n", yes(getauxval(AT_GID) == getgid()));
    printf("AT_EGID is getegid(): %s\n", yes(getauxval(AT_EGID) == getegid()));
    printf("AT_SECURE=%lu\n", getauxval(AT_SECURE));
    printf("AT_CLKTCK=%lu\n", getauxval(AT_CLKTCK));
    printf("AT_RANDOM present: %s\n", yes(getauxval(AT_RANDOM) != 0));
    if (getauxval(AT_RANDOM)) {
        /* Readable, 16 bytes; the values are random, so only touch them. */
        const volatile unsigned char *r = (const unsigned char *)getauxval(AT_RANDOM);
        unsigned x = 0;
        for (int i = 0; i < 16; i++)
            x |= r[i];
        (void)x;
        printf("AT_RANDOM readable: yes\n");
    }
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    printf("AT_EXECFN present: %s\n", yes(execfn != NULL));
    if (execfn) {
        /* Only the basename: Linux gives the path passed to execve, qemu-user an absolute
         * one, and xlate the path it was given. */
        printf("AT_EXECFN basename=%s\n", basename_of(execfn));
    }
    const char *platform = (const char *)getauxval(AT_PLATFORM);
    printf("AT_PLATFORM=%s\n", platform ? platform : "(absent)");
    return 0;
}
