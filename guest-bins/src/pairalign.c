// build-aarch64: -O2 -march=armv8.1-a
/* Alignment faults of the 128-bit pair accesses (LDXP, LDAXP, STXP, STLXP of two X
 * registers; CASP, CASPA, CASPL, CASPAL of X pairs) on addresses that are not 16-byte
 * aligned: SIGBUS BUS_ADRALN, si_addr the data address (the kernel's FAR), the saved PC at
 * the instruction, and no register or memory changed. Prints, per instruction and
 * misalignment, the signal, si_code, si_addr relative to the data address, whether the PC
 * is the instruction's, and whether memory kept its values. A misaligned STXP/STLXP is left
 * out: the Arm ARM checks its alignment before the monitor, qemu (the oracle) checks the
 * monitor first and fails it without a fault. Nothing printed is an address. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

static sigjmp_buf back;
static volatile int got_sig, got_code;
static volatile uintptr_t got_addr, got_pc;

static void handler(int sig, siginfo_t *si, void *ctx) {
    ucontext_t *uc = ctx;
    got_sig = sig;
    got_code = si->si_code;
    got_addr = (uintptr_t)si->si_addr;
    got_pc = uc->uc_mcontext.pc;
    siglongjmp(back, 1);
}

extern char i_ldxp[], i_ldaxp[], i_stxp[], i_stlxp[], i_casp[], i_caspa[], i_caspl[], i_caspal[];

static _Alignas(64) unsigned char buf[64];

/* Runs instruction `which` with x0 = address, x2, x3 = 0x1111..., x4, x5 = 0x2222...; the
 * LDXP forms load into x2, x3, the STXP forms store x4, x5 with status in x6, CASP compares
 * x2, x3 and stores x4, x5. Returns x2, x3, x6 afterwards in out[]. */
static void run(int which, unsigned char *addr, uint64_t out[3]) {
    register uint64_t x0 __asm__("x0") = (uint64_t)addr;
    register uint64_t x1 __asm__("x1") = (uint64_t)which;
    register uint64_t x2 __asm__("x2") = 0x1111111111111111ull;
    register uint64_t x3 __asm__("x3") = 0x1111111111111111ull;
    register uint64_t x4 __asm__("x4") = 0x2222222222222222ull;
    register uint64_t x5 __asm__("x5") = 0x2222222222222222ull;
    register uint64_t x6 __asm__("x6") = 0x3333333333333333ull;
    __asm__ volatile(
        "cmp x1, #0\n b.ne 1f\n .globl i_ldxp\n i_ldxp: ldxp x2, x3, [x0]\n b 9f\n"
        "1: cmp x1, #1\n b.ne 1f\n .globl i_ldaxp\n i_ldaxp: ldaxp x2, x3, [x0]\n b 9f\n"
        "1: cmp x1, #2\n b.ne 1f\n .globl i_stxp\n i_stxp: stxp w6, x4, x5, [x0]\n b 9f\n"
        "1: cmp x1, #3\n b.ne 1f\n .globl i_stlxp\n i_stlxp: stlxp w6, x4, x5, [x0]\n b 9f\n"
        "1: cmp x1, #4\n b.ne 1f\n .globl i_casp\n i_casp: casp x2, x3, x4, x5, [x0]\n b 9f\n"
        "1: cmp x1, #5\n b.ne 1f\n .globl i_caspa\n i_caspa: caspa x2, x3, x4, x5, [x0]\n b 9f\n"
        "1: cmp x1, #6\n b.ne 1f\n .globl i_caspl\n i_caspl: caspl x2, x3, x4, x5, [x0]\n b 9f\n"
        "1: .globl i_caspal\n i_caspal: caspal x2, x3, x4, x5, [x0]\n"
        "9: clrex\n"
        : "+r"(x2), "+r"(x3), "+r"(x6)
        : "r"(x0), "r"(x1), "r"(x4), "r"(x5)
        : "cc", "memory");
    out[0] = x2;
    out[1] = x3;
    out[2] = x6;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    static const char *names[] = {"ldxp", "ldaxp", "stxp", "stlxp", "casp", "caspa", "caspl", "caspal"};
    char *insns[] = {i_ldxp, i_ldaxp, i_stxp, i_stlxp, i_casp, i_caspa, i_caspl, i_caspal};
    static const int offsets[] = {1, 4, 8, 12, 15};
    for (int which = 0; which < 8; which++)
        for (unsigned k = 0; which != 2 && which != 3 && k < sizeof offsets / sizeof offsets[0]; k++) {
            unsigned char *a = buf + 16 + offsets[k];
            memset(buf, 0x11, sizeof buf);
            uint64_t out[3] = {0, 0, 0};
            got_sig = 0;
            volatile int faulted = 0;
            if (sigsetjmp(back, 1) == 0)
                run(which, a, out);
            else
                faulted = 1;
            int mem_kept = 1;
            for (unsigned i = 0; i < sizeof buf; i++) mem_kept &= buf[i] == 0x11;
            printf("%-6s at 16n+%-2d: ", names[which], offsets[k]);
            if (faulted)
                printf("signal %d si_code %d si_addr %+ld pc %s, memory %s\n", got_sig, got_code,
                       (long)(got_addr - (uintptr_t)a),
                       got_pc == (uintptr_t)insns[which] ? "at the instruction" : "elsewhere",
                       mem_kept ? "kept" : "changed");
            else
                printf("no fault, x2 %016llx x3 %016llx w6 %llx, memory %s\n", (unsigned long long)out[0],
                       (unsigned long long)out[1], (unsigned long long)out[2], mem_kept ? "kept" : "changed");
        }
    /* The aligned forms still work. */
    for (volatile int which = 0; which < 8; which++) {
        memset(buf, 0x11, sizeof buf);
        uint64_t out[3];
        if (sigsetjmp(back, 1) == 0) {
            run(which, buf + 16, out);
            printf("%-6s aligned: x2 %016llx x3 %016llx memory[16] %02x\n", names[which],
                   (unsigned long long)out[0], (unsigned long long)out[1], buf[16]);
        } else {
            printf("%-6s aligned: signal %d (wrong)\n", names[which], got_sig);
        }
    }
    return 0;
}
