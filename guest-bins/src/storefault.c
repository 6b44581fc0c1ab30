// build-x86_64: -O2 -mavx2
/* Stores that fault part-way: a processor writes none of a store's bytes when any of them
 * faults. The argument picks the family; each case maps two pages, makes one of them
 * PROT_NONE or PROT_READ, stores ones at a few offsets around the boundary, and prints
 * whether it faulted, si_code, the bytes written and si_addr relative to the boundary:
 *   wide:    32-byte stores (vmovdqu, vmovups ymm), also wholly inside either page
 *   narrow:  16-, 8- and 4-byte stores (movups, movdqu, mov) crossing the boundary
 *   masked:  vmaskmovps/pd, vpmaskmovd/q (ymm and xmm), every element enabled and with
 *            only the elements on the accessible page enabled (which must not fault), and
 *            maskmovdqu with every byte enabled
 * AArch64 builds print a fixed line (the cases are x86-64 ones). Nothing printed is an
 * address. */
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__)
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>

static sigjmp_buf back;
static char *fault_addr;
static int fault_code;

static void handler(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)ctx;
    fault_addr = si->si_addr;
    fault_code = si->si_code;
    siglongjmp(back, 1);
}

static char *pages;

typedef void (*store_fn)(char *a, const void *mask);

/* A store of ones: `code` with the address in %0. */
#define STORE(fn, code)                                                                             \
    static void fn(char *a, const void *m) {                                                        \
        (void)m;                                                                                    \
        __asm__ volatile(code : : "r"(a) : "xmm0", "memory");                                       \
    }
STORE(s_vmovdqu, "vpcmpeqb %%ymm0, %%ymm0, %%ymm0\n\tvmovdqu %%ymm0, (%0)\n\tvzeroupper")
STORE(s_vmovups, "vpcmpeqb %%ymm0, %%ymm0, %%ymm0\n\tvmovups %%ymm0, (%0)\n\tvzeroupper")
STORE(s_movups, "pcmpeqb %%xmm0, %%xmm0\n\tmovups %%xmm0, (%0)")
STORE(s_movdqu, "pcmpeqb %%xmm0, %%xmm0\n\tmovdqu %%xmm0, (%0)")
STORE(s_mov8, "movq $-1, (%0)")
STORE(s_mov4, "movl $-1, (%0)")

/* A ymm masked store of ones with the mask at m. */
#define MASKED_YMM(fn, insn)                                                                        \
    static void fn(char *a, const void *m) {                                                        \
        __asm__ volatile("vmovdqu (%1), %%ymm1\n\tvpcmpeqb %%ymm0, %%ymm0, %%ymm0\n\t" insn          \
                         " %%ymm0, %%ymm1, (%0)\n\tvzeroupper"                                      \
                         :                                                                          \
                         : "r"(a), "r"(m)                                                           \
                         : "xmm0", "xmm1", "memory");                                               \
    }
MASKED_YMM(s_vmaskmovps, "vmaskmovps")
MASKED_YMM(s_vmaskmovpd, "vmaskmovpd")
MASKED_YMM(s_vpmaskmovd, "vpmaskmovd")
MASKED_YMM(s_vpmaskmovq, "vpmaskmovq")
static void s_vmaskmovps_x(char *a, const void *m) {
    __asm__ volatile("vmovdqu (%1), %%xmm1\n\tvpcmpeqb %%xmm0, %%xmm0, %%xmm0\n\tvmaskmovps %%xmm0, %%xmm1, (%0)"
                     : : "r"(a), "r"(m) : "xmm0", "xmm1", "memory");
}
static void s_maskmovdqu(char *a, const void *m) {
    __asm__ volatile("movdqu (%1), %%xmm1\n\tpcmpeqb %%xmm0, %%xmm0\n\tmaskmovdqu %%xmm1, %%xmm0"
                     : : "D"(a), "r"(m) : "xmm0", "xmm1", "memory");
}

/* One store at boundary - before, the first or second page protected as `prot`. */
static void one(const char *name, store_fn f, int size, int before, int first, int prot, int elem, int only_good) {
    unsigned char mask[32];
    memset(mask, 0, sizeof mask);
    /* Every element enabled, or only those wholly on the accessible page. */
    for (int i = 0; i < 32; i++) {
        int e = i / elem * elem;
        int lo_page = e < before; /* the element starts on the first page */
        int crosses = e < before && e + elem > before;
        int good = first ? !lo_page : lo_page && !crosses;
        if (!only_good || good) mask[i] = 0x80;
    }
    char *boundary = pages + 4096;
    memset(pages, 0, 2 * 4096);
    mprotect(first ? pages : boundary, 4096, prot);
    char *a = boundary - before;
    fault_addr = 0;
    volatile int faulted = 0;
    if (sigsetjmp(back, 1) == 0)
        f(a, mask);
    else
        faulted = 1;
    mprotect(pages, 2 * 4096, PROT_READ | PROT_WRITE);
    int written = 0;
    for (int i = 0; i < 2 * 4096; i++) written += pages[i] != 0;
    printf("%-13s %2d bytes, %s page %s, %2d before it%s: ", name, size, first ? "first" : "second",
           prot == PROT_NONE ? "PROT_NONE" : "PROT_READ", before, only_good ? ", enabled where accessible" : "");
    if (faulted)
        printf("faulted, si_code %d, written %d, si_addr %+ld\n", fault_code, written, (long)(fault_addr - boundary));
    else
        printf("no fault, written %d\n", written);
}

int main(int argc, char **argv) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    pages = mmap(0, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pages == MAP_FAILED) return 1;
    const char *mode = argc > 1 ? argv[1] : "";
    static const int prots[] = {PROT_NONE, PROT_READ};
    if (strcmp(mode, "wide") == 0) {
        static const int befores[] = {-64, 4, 8, 12, 16, 20, 24, 28, 96};
        for (int p = 0; p < 2; p++)
            for (int first = 0; first < 2; first++)
                for (unsigned b = 0; b < sizeof befores / sizeof befores[0]; b++) {
                    one("vmovdqu", s_vmovdqu, 32, befores[b], first, prots[p], 32, 0);
                    one("vmovups", s_vmovups, 32, befores[b], first, prots[p], 32, 0);
                }
    } else if (strcmp(mode, "narrow") == 0) {
        for (int p = 0; p < 2; p++)
            for (int first = 0; first < 2; first++) {
                for (int before = 1; before < 16; before += 3) {
                    one("movups", s_movups, 16, before, first, prots[p], 16, 0);
                    one("movdqu", s_movdqu, 16, before, first, prots[p], 16, 0);
                }
                for (int before = 1; before < 8; before += 2) one("mov", s_mov8, 8, before, first, prots[p], 8, 0);
                for (int before = 1; before < 4; before++) one("mov", s_mov4, 4, before, first, prots[p], 4, 0);
            }
    } else if (strcmp(mode, "masked") == 0) {
        for (int p = 0; p < 2; p++)
            for (int first = 0; first < 2; first++)
                for (int only_good = 0; only_good < 2; only_good++)
                    for (int before = 4; before < 32; before += 8) {
                        one("vmaskmovps", s_vmaskmovps, 32, before, first, prots[p], 4, only_good);
                        one("vmaskmovpd", s_vmaskmovpd, 32, before, first, prots[p], 8, only_good);
                        one("vpmaskmovd", s_vpmaskmovd, 32, before, first, prots[p], 4, only_good);
                        one("vpmaskmovq", s_vpmaskmovq, 32, before, first, prots[p], 8, only_good);
                        if (before < 16) one("vmaskmovps", s_vmaskmovps_x, 16, before, first, prots[p], 4, only_good);
                        /* (maskmovdqu may fault on a byte it does not write: the SDM leaves it
                         * to the implementation, so only its all-enabled form is compared.) */
                        if (before < 16 && !only_good)
                            one("maskmovdqu", s_maskmovdqu, 16, before, first, prots[p], 1, only_good);
                    }
    } else {
        fprintf(stderr, "usage: storefault wide|narrow|masked\n");
        return 2;
    }
    return 0;
}
#else
int main(void) {
    puts("x86-64 stores only");
    return 0;
}
#endif
