/* Self-modifying and JIT-generated code: a program writes machine code, runs it, rewrites it
 * and runs it again, by each path a JIT (or a patcher) uses. Usage: smc CASE
 *   rwx        an RWX mapping: write "return 1", call, rewrite to 2, call, to 9, call
 *   next-insn  a store that rewrites the next instruction of the same straight-line code
 *   memfd      two mappings of one memfd, one writable, one executable (V8, the JVM, .NET)
 *   text       mprotect the program's own text writable, patch a function, call it
 *   read       read() new code from a pipe into a code page
 *   threads    one thread runs the code in a loop while another rewrites it
 * Each prints the values the code returned. AArch64 code is made visible to instruction
 * fetch with __builtin___clear_cache, as real code must. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef int (*fn_t)(void);

/* Machine code for a function returning `v` (0 <= v < 65536); returns its length. */
static size_t ret_const(unsigned char *p, int v) {
#if defined(__x86_64__)
    unsigned char code[] = {0xb8, (unsigned char)v, (unsigned char)(v >> 8), 0, 0, 0xc3}; /* mov eax, v; ret */
#elif defined(__aarch64__)
    uint32_t words[2] = {0x52800000u | ((uint32_t)v << 5), 0xd65f03c0u}; /* movz w0, #v; ret */
    unsigned char code[8];
    memcpy(code, words, 8);
#endif
    memcpy(p, code, sizeof code);
    return sizeof code;
}

static void sync_code(void *p, size_t n) {
    __builtin___clear_cache((char *)p, (char *)p + n);
}

static void *map_rwx(void) {
    void *p = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    return p;
}

static void put(unsigned char *code, int v) {
    sync_code(code, ret_const(code, v));
}

static int case_rwx(void) {
    unsigned char *code = map_rwx();
    fn_t f = (fn_t)code;
    put(code, 1);
    int a = f();
    put(code, 2);
    int b = f();
    put(code, 9);
    int c = f();
    printf("%d %d %d\n", a, b, c);
    return 0;
}

static int case_next_insn(void) {
    unsigned char *code = map_rwx();
#if defined(__x86_64__)
    /* mov dword [rip+1], 7   (the immediate of the next instruction)
     * mov eax, 1
     * ret */
    unsigned char body[] = {0xc7, 0x05, 1, 0, 0, 0, 7, 0, 0, 0, 0xb8, 1, 0, 0, 0, 0xc3};
    memcpy(code, body, sizeof body);
    fn_t f = (fn_t)code;
    int a = f();
    /* Back to "mov eax, 1", then once more. */
    code[11] = 1;
    int b = f();
    printf("%d %d\n", a, b);
#elif defined(__aarch64__)
    /* The new instruction word comes in w0:
     *   adr x1, patched
     *   str w0, [x1]
     *   dc cvau, x1; dsb ish; ic ivau, x1; dsb ish; isb
     * patched:
     *   movz w0, #1
     *   ret */
    uint32_t body[] = {0x100000e1u, 0xb9000020u, 0xd50b7b21u, 0xd5033b9fu, 0xd50b7521u,
                       0xd5033b9fu, 0xd5033fdfu, 0x52800020u, 0xd65f03c0u};
    memcpy(code, body, sizeof body);
    sync_code(code, sizeof body);
    int (*f)(uint32_t) = (int (*)(uint32_t))code;
    int a = f(0x52800000u | (7u << 5));
    int b = f(0x52800000u | (1u << 5));
    printf("%d %d\n", a, b);
#endif
    return 0;
}

static int case_memfd(void) {
    int fd = memfd_create("smc", 0);
    if (fd < 0 || ftruncate(fd, 4096) != 0) {
        perror("memfd");
        return 1;
    }
    unsigned char *w = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    unsigned char *x = mmap(0, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    if (w == MAP_FAILED || x == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    fn_t f = (fn_t)x;
    size_t n = ret_const(w, 1);
    sync_code(x, n);
    int a = f();
    ret_const(w, 2);
    sync_code(x, n);
    int b = f();
    printf("%d %d\n", a, b);
    return 0;
}

__attribute__((noinline, aligned(64))) int patched_text(void) {
    __asm__ volatile("");
    return 1;
}

static int case_text(void) {
    fn_t volatile f = patched_text;
    uintptr_t page = (uintptr_t)f & ~(uintptr_t)4095;
    int a = f();
    size_t len = ((uintptr_t)f + 16 - page + 4095) & ~(size_t)4095;
    if (mprotect((void *)page, len, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) {
        perror("mprotect");
        return 1;
    }
    put((unsigned char *)f, 5);
    int b = f();
    mprotect((void *)page, len, PROT_READ | PROT_EXEC);
    int c = f();
    printf("%d %d %d\n", a, b, c);
    return 0;
}

static int case_read(void) {
    unsigned char *code = map_rwx();
    fn_t f = (fn_t)code;
    put(code, 1);
    int a = f();
    unsigned char fresh[16];
    size_t n = ret_const(fresh, 3);
    int pipefd[2];
    if (pipe(pipefd) != 0 || write(pipefd[1], fresh, n) != (ssize_t)n) {
        perror("pipe");
        return 1;
    }
    ssize_t got = read(pipefd[0], code, n);
    if (got != (ssize_t)n) {
        perror("read");
        return 1;
    }
    sync_code(code, n);
    int b = f();
    printf("%d %d\n", a, b);
    return 0;
}

static unsigned char *shared_code;
static atomic_int ran_once;

static void *runner(void *arg) {
    (void)arg;
    fn_t f = (fn_t)shared_code;
    int first = f();
    atomic_store(&ran_once, 1);
    long spins = 0;
    int v;
    /* On AArch64 another thread's new code is only guaranteed after a context
     * synchronization event (ISB) on this one: call through a barrier each time. */
    while ((v = f()) == first && spins++ < 2000000000L) {
#if defined(__aarch64__)
        __asm__ volatile("isb" ::: "memory");
#endif
    }
    printf("runner: %d then %d\n", first, v);
    return NULL;
}

static int case_threads(void) {
    shared_code = map_rwx();
    put(shared_code, 1);
    pthread_t t;
    if (pthread_create(&t, NULL, runner, NULL) != 0) {
        return 1;
    }
    while (!atomic_load(&ran_once)) {
    }
    put(shared_code, 2);
    pthread_join(t, NULL);
    printf("writer: wrote 2\n");
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: smc rwx|next-insn|memfd|text|read|threads\n");
        return 2;
    }
    const char *c = argv[1];
    if (!strcmp(c, "rwx")) return case_rwx();
    if (!strcmp(c, "next-insn")) return case_next_insn();
    if (!strcmp(c, "memfd")) return case_memfd();
    if (!strcmp(c, "text")) return case_text();
    if (!strcmp(c, "read")) return case_read();
    if (!strcmp(c, "threads")) return case_threads();
    fprintf(stderr, "smc: unknown case %s\n", c);
    return 2;
}
