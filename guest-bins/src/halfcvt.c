// build-aarch64: -O2 -march=armv8-a
// The base (ARMv8.0, not FEAT_FP16) conversions between half precision and single and double
// precision through GCC's __fp16 storage type (FCVT Hd, Sn / Hd, Dn / Sd, Hn / Dd, Hn) under
// every FPCR rounding mode, FZ, DN and AHP, with the FPSR flags each raises; and PSTATE.SSBS
// across a signal: the handler sees the value the program wrote in uc_mcontext.pstate, and the
// value it writes there is restored by sigreturn. AArch64 only (see build.sh).
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

static void set_fpcr(uint64_t v) { __asm__ volatile("msr fpcr, %0" ::"r"(v)); }
static void clear_fpsr(void) { __asm__ volatile("msr fpsr, xzr"); }
static uint64_t get_fpsr(void) {
    uint64_t v;
    __asm__ volatile("mrs %0, fpsr" : "=r"(v));
    return v;
}

static uint16_t bits16(__fp16 h) {
    uint16_t b;
    memcpy(&b, &h, 2);
    return b;
}
static __fp16 from16(uint16_t b) {
    __fp16 h;
    memcpy(&h, &b, 2);
    return h;
}

static const uint32_t singles[] = {0,          0x80000000, 0x3f800000, 0x477ff000, 0x477fe000, 0x4788b800,
                                   0x48000000, 0x33800000, 0x33000000, 0x33400000, 0x38800000, 0x387ff000,
                                   0x3f801000, 0xbf801001, 0x00000001, 0x807fffff, 0x7f800000, 0xff800000,
                                   0x7fc00123, 0xff800456, 0x42f6e979};
static const uint64_t doubles[] = {0,
                                   0x8000000000000000,
                                   0x3ff0000000000000,
                                   0x40effe0000000000,
                                   0x40f1170000000000,
                                   0x4100000000000000,
                                   0x3e70000000000000,
                                   0x3e60000000000000,
                                   0x3f0ffe0000000000,
                                   0x3ff0020000001000,
                                   0xbff0020020000000,
                                   0x0000000000000001,
                                   0x7ff0000000000000,
                                   0x7ff8000000000123,
                                   0xfff0000000000456,
                                   0x400921fb54442d18};
static const uint16_t halves[] = {0, 0x8000, 0x3c00, 0x0001, 0x83ff, 0x0400, 0x7bff, 0x7c00,
                                  0xfc00, 0x7e01, 0xfe55, 0x7c01, 0xfd23, 0xffff, 0x3555};
static const uint64_t fpcrs[] = {0, 1 << 22, 2 << 22, 3 << 22, 1 << 24, 1 << 25, 1 << 26, 1 << 26 | 3 << 22};

static volatile uint32_t vs;
static volatile uint64_t vd;
static volatile uint16_t vh;

static void conversions(void) {
    for (unsigned f = 0; f < sizeof fpcrs / sizeof *fpcrs; f++) {
        printf("fpcr %#llx\n", (unsigned long long)fpcrs[f]);
        for (unsigned i = 0; i < sizeof singles / sizeof *singles; i++) {
            vs = singles[i];
            uint32_t s = vs;
            float x;
            memcpy(&x, &s, 4);
            set_fpcr(fpcrs[f]);
            clear_fpsr();
            __fp16 h = (__fp16)x;
            uint64_t fl = get_fpsr();
            set_fpcr(0);
            printf(" s %08x -> h %04x fpsr %02llx\n", s, bits16(h), (unsigned long long)fl);
        }
        for (unsigned i = 0; i < sizeof doubles / sizeof *doubles; i++) {
            vd = doubles[i];
            uint64_t d = vd;
            double x;
            memcpy(&x, &d, 8);
            set_fpcr(fpcrs[f]);
            clear_fpsr();
            __fp16 h = (__fp16)x;
            uint64_t fl = get_fpsr();
            set_fpcr(0);
            printf(" d %016llx -> h %04x fpsr %02llx\n", (unsigned long long)d, bits16(h), (unsigned long long)fl);
        }
        for (unsigned i = 0; i < sizeof halves / sizeof *halves; i++) {
            vh = halves[i];
            __fp16 h = from16(vh);
            set_fpcr(fpcrs[f]);
            clear_fpsr();
            float x = h;
            uint64_t fl1 = get_fpsr();
            vh = halves[i];
            h = from16(vh);
            clear_fpsr();
            double y = h;
            uint64_t fl2 = get_fpsr();
            set_fpcr(0);
            uint32_t xs;
            uint64_t yd;
            memcpy(&xs, &x, 4);
            memcpy(&yd, &y, 8);
            printf(" h %04x -> s %08x fpsr %02llx, d %016llx fpsr %02llx\n", halves[i], xs,
                   (unsigned long long)fl1, (unsigned long long)yd, (unsigned long long)fl2);
        }
    }
}

/* PSTATE.SSBS through the system register S3_3_C4_C2_6 (the assembler wants +ssbs for the
   name). */
static uint64_t get_ssbs(void) {
    uint64_t v;
    __asm__ volatile("mrs %0, s3_3_c4_c2_6" : "=r"(v));
    return v;
}
static void set_ssbs(uint64_t v) { __asm__ volatile("msr s3_3_c4_c2_6, %0" ::"r"(v)); }

static volatile uint64_t seen_pstate_ssbs;
static volatile uint64_t flip;

static void on_usr1(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)si;
    ucontext_t *uc = ctx;
    seen_pstate_ssbs = uc->uc_mcontext.pstate & 0x1000;
    uc->uc_mcontext.pstate ^= flip;
}

static void ssbs_across_signal(uint64_t v, uint64_t f) {
    set_ssbs(v);
    flip = f;
    raise(SIGUSR1);
    printf("ssbs set %#llx, frame %#llx, flip %#llx: after sigreturn %#llx\n", (unsigned long long)v,
           (unsigned long long)seen_pstate_ssbs, (unsigned long long)f, (unsigned long long)get_ssbs());
}

int main(void) {
    conversions();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, 0);
    ssbs_across_signal(0, 0);
    ssbs_across_signal(0x1000, 0);
    ssbs_across_signal(0, 0x1000);
    ssbs_across_signal(0x1000, 0x1000);
    return 0;
}
