/* x87 stores that fault change nothing: fst/fstp/fist/fistp/fisttp and fnstenv to a
 * read-only page, and 80-bit, 64-bit and environment stores crossing into one. A SIGSEGV
 * handler prints what it sees in the signal frame's FXSAVE image (control and status word,
 * TOP, abridged tag byte, st(0) and st(1)), the faulting address relative to the store's
 * and the bytes at the destination, then makes the pages writable and returns, so the
 * store runs again; the program then prints the status word, the control word, the bytes
 * stored (an environment's first 12) and st(0) after it. A processor faults before
 * changing anything: the handler sees the state before the instruction (TOP not yet
 * popped, no flags set, the control word unmasked) and bytes all 0xaa.
 * AArch64 builds print a fixed line (the cases are x86-64 ones). Nothing printed is an
 * address. */
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__)
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <ucontext.h>

static unsigned char *pages;
static unsigned char *dst;
static int len;

static void print_bytes(const unsigned char *p, int n) {
    for (int i = 0; i < n; i++) printf("%02x", p[i]);
}

/* An 80-bit register image: exponent word, then significand. */
static void print_f80(const unsigned char *p) {
    printf("%02x%02x:", p[9], p[8]);
    for (int i = 7; i >= 0; i--) printf("%02x", p[i]);
}

static void handler(int sig, siginfo_t *si, void *uc_) {
    (void)sig;
    ucontext_t *uc = uc_;
    /* The FXSAVE image: fcw at 0, fsw at 2, abridged tags at 4, st(i) at 32 + 16 i. */
    const unsigned char *fx = (const unsigned char *)uc->uc_mcontext.fpregs;
    unsigned cw = fx[0] | fx[1] << 8, sw = fx[2] | fx[3] << 8;
    long at = (long)((unsigned char *)si->si_addr - dst);
    /* Which byte of a 28-byte environment a processor reports is its own choice. */
    if (len > 10)
        printf("  fault: si_addr %s, ", (unsigned char *)si->si_addr >= pages + 4096 ? "read-only page" : "elsewhere");
    else
        printf("  fault: si_addr %+ld, ", at);
    printf("cw %04x, sw %04x (TOP %u), tags %02x, st0 ", cw, sw, sw >> 11 & 7, fx[4]);
    print_f80(fx + 32);
    printf(", st1 ");
    print_f80(fx + 48);
    printf(", bytes ");
    print_bytes(dst, len);
    printf("\n");
    mprotect(pages, 2 * 4096, PROT_READ | PROT_WRITE);
}

static const long double v1 = 2.5L;
static const long double v0 = -3703.0L / 3.0L;

/* fninit; fldcw cw; push v1, v0; the store to (%rdi); then the status and control words
 * and st(0) after it (popped into out); fninit. */
#define CASE(fn, store)                                                                             \
    static void fn(unsigned char *d, unsigned short cw, unsigned short *sw, unsigned short *cw_after,   \
                   unsigned char *out) {                                                            \
        __asm__ volatile("fninit\n\tfldcw (%[cw])\n\tfldt (%[v1])\n\tfldt (%[v0])\n\t" store        \
                         "\n\tfnstsw (%[sw])\n\tfnstcw (%[cwa])\n\tfstpt (%[out])\n\tfninit"         \
                         :                                                                          \
                         : "D"(d), [cw] "r"(&cw), [v1] "r"(&v1), [v0] "r"(&v0), [sw] "r"(sw),       \
                           [cwa] "r"(cw_after), [out] "r"(out)                                      \
                         : "st", "st(1)", "memory");                                                \
    }
CASE(c_fstps, "fstps (%%rdi)")
CASE(c_fstpl, "fstpl (%%rdi)")
CASE(c_fstl, "fstl (%%rdi)")
CASE(c_fstpt, "fstpt (%%rdi)")
CASE(c_fists, "fists (%%rdi)")
CASE(c_fistpl, "fistpl (%%rdi)")
CASE(c_fistpll, "fistpll (%%rdi)")
CASE(c_fisttpl, "fisttpl (%%rdi)")
CASE(c_fnstenv, "fnstenv (%%rdi)")

typedef void (*case_fn)(unsigned char *, unsigned short, unsigned short *, unsigned short *, unsigned char *);

/* One store of n bytes starting `before` bytes ahead of the read-only second page (a
 * negative `before`: wholly inside it). */
static void one(const char *name, case_fn f, int n, int before, unsigned short cw) {
    memset(pages, 0xaa, 2 * 4096);
    mprotect(pages + 4096, 4096, PROT_READ);
    dst = pages + 4096 - before;
    len = n;
    unsigned short sw = 0, cw_after = 0;
    unsigned char out[10];
    printf("%-8s %2d bytes, %2d before the read-only page, cw %04x\n", name, n, before, cw);
    f(dst, cw, &sw, &cw_after, out);
    printf("  after: sw %04x (TOP %u), cw %04x, bytes ", sw, sw >> 11 & 7, cw_after);
    /* An environment's instruction and operand pointers (bytes 12..28) are not modelled. */
    print_bytes(dst, n > 12 ? 12 : n);
    printf(", st0 ");
    print_f80(out);
    printf("\n");
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    pages = mmap(0, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pages == MAP_FAILED) return 1;
    const unsigned short def = 0x37f;
    one("fstps", c_fstps, 4, -16, def);
    one("fstpl", c_fstpl, 8, -16, def);
    one("fstpl", c_fstpl, 8, 4, def);
    one("fstl", c_fstl, 8, -16, def);
    one("fstpt", c_fstpt, 10, -16, def);
    one("fstpt", c_fstpt, 10, 8, def);
    one("fstpt", c_fstpt, 10, 4, def);
    one("fists", c_fists, 2, -16, def);
    one("fistpl", c_fistpl, 4, -16, def);
    one("fistpll", c_fistpll, 8, 4, def);
    /* Round up: C1 set by the store. */
    one("fistpl", c_fistpl, 4, -16, (0x37f & ~0xc00) | 0x400);
    one("fisttpl", c_fisttpl, 4, -16, def);
    /* Invalid, overflow and divide-by-zero unmasked (nothing pending): fnstenv masks them all
     * once it has stored; faulting, it must not. */
    one("fnstenv", c_fnstenv, 28, -16, 0x372);
    one("fnstenv", c_fnstenv, 28, 12, 0x372);
    return 0;
}
#else
int main(void) {
    printf("x87fault: x86-64 cases only\n");
    return 0;
}
#endif
