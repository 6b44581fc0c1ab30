// build-aarch64: -O3 -march=armv8.2-a+fp16 -fno-math-errno
// AdvSIMD half-precision arithmetic (FEAT_FP16) through arm_neon.h's float16x8_t/float16x4_t
// intrinsics: three same (arithmetic, pairwise, compares, FMULX, FRECPS, FRSQRTS), fused
// multiply-add (vector and by element), two-register misc (FABS, FNEG, FSQRT, FRINT*, the
// conversions, estimates, compares with zero), across lanes, fixed-point conversions, and an
// auto-vectorised loop over _Float16 arrays, under several FPCR modes (rounding, FZ16, DN),
// printing the result bits (the FPSR flags only for the forms whose flags are modelled: the
// conversions, rounding and compares). AArch64 only (see build.sh).
#include <arm_neon.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void set_fpcr(uint64_t v) { __asm__ volatile("msr fpcr, %0" ::"r"(v)); }
static void clear_fpsr(void) { __asm__ volatile("msr fpsr, xzr"); }
static uint64_t get_fpsr(void) {
    uint64_t v;
    __asm__ volatile("mrs %0, fpsr" : "=r"(v));
    return v;
}

static const uint16_t A[16] = {0x3c00, 0x3555, 0xc500, 0x0001, 0x7c00, 0x8000, 0x7e01, 0x7c01,
                               0x7bff, 0x0400, 0x5bff, 0xbc00, 0x03ff, 0x4248, 0xfc00, 0x1400};
static const uint16_t B[16] = {0x3555, 0x0001, 0x7bff, 0x7c00, 0x0000, 0xc500, 0x3c00, 0x5bff,
                               0x7bff, 0x83ff, 0x0200, 0xfd23, 0x4248, 0x3bff, 0x7c00, 0x1400};

static float16x8_t load(const uint16_t *p) { return vreinterpretq_f16_u16(vld1q_u16(p)); }

static void show(const char *name, float16x8_t v) {
    uint16_t b[8];
    vst1q_u16(b, vreinterpretq_u16_f16(v));
    printf(" %s", name);
    for (int i = 0; i < 8; i++) printf(" %04x", b[i]);
    printf("\n");
}

static void show_u(const char *name, uint16x8_t v) { show(name, vreinterpretq_f16_u16(v)); }

static void flags(const char *name) {
    printf(" %s fpsr %02x\n", name, (unsigned)(get_fpsr() & 0x9f));
    clear_fpsr();
}

static void halves(int k) {
    float16x8_t a = load(A + 8 * k), b = load(B + 8 * k), c = load(B + 8 * (1 - k));
    show("add", vaddq_f16(a, b));
    show("sub", vsubq_f16(a, b));
    show("mul", vmulq_f16(a, b));
    show("div", vdivq_f16(a, b));
    show("max", vmaxq_f16(a, b));
    show("min", vminq_f16(a, b));
    show("maxnm", vmaxnmq_f16(a, b));
    show("minnm", vminnmq_f16(a, b));
    show("abd", vabdq_f16(a, b));
    show("addp", vpaddq_f16(a, b));
    show("maxp", vpmaxq_f16(a, b));
    show("minnmp", vpminnmq_f16(a, b));
    show("mulx", vmulxq_f16(a, b));
    show("recps", vrecpsq_f16(a, b));
    show("rsqrts", vrsqrtsq_f16(a, b));
    show("fma", vfmaq_f16(c, a, b));
    show("fms", vfmsq_f16(c, a, b));
    show("fma lane", vfmaq_laneq_f16(c, a, b, 5));
    show("mul lane", vmulq_laneq_f16(a, b, 6));
    show("mulx lane", vmulxq_laneq_f16(a, b, 1));
    show("abs", vabsq_f16(a));
    show("neg", vnegq_f16(b));
    show("sqrt", vsqrtq_f16(a));
    show("recpe", vrecpeq_f16(a));
    show("rsqrte", vrsqrteq_f16(b));
    float16x4_t lo = vget_low_f16(a);
    printf(" across %04x %04x %04x %04x\n", vreinterpret_u16_f16(vdup_n_f16(vmaxvq_f16(a)))[0],
           vreinterpret_u16_f16(vdup_n_f16(vminnmvq_f16(b)))[0],
           vreinterpret_u16_f16(vdup_n_f16(vmaxnmv_f16(lo)))[0],
           vreinterpret_u16_f16(vdup_n_f16(vminv_f16(lo)))[0]);
    clear_fpsr();
    show("rintn", vrndnq_f16(a));
    show("rintx", vrndxq_f16(b));
    show("rinta", vrndaq_f16(c));
    flags("rint");
    show_u("cvtzs", vreinterpretq_u16_s16(vcvtq_s16_f16(a)));
    show_u("cvtnu", vcvtnq_u16_f16(b));
    show_u("cvtms", vreinterpretq_u16_s16(vcvtmq_s16_f16(b)));
    show_u("cvtzs4", vreinterpretq_u16_s16(vcvtq_n_s16_f16(a, 4)));
    flags("to int");
    show("scvtf", vcvtq_f16_s16(vreinterpretq_s16_f16(b)));
    show("ucvtf8", vcvtq_n_f16_u16(vreinterpretq_u16_f16(a), 8));
    flags("from int");
    show_u("cmeq", vceqq_f16(a, b));
    show_u("cmge", vcgeq_f16(a, b));
    show_u("cagt", vcagtq_f16(a, b));
    show_u("cmltz", vcltzq_f16(a));
    flags("compare");
}

/* Auto-vectorised: -O3 turns these loops into .8h FMLA/FMUL/FADD/FMAX. */
static void loops(void) {
    _Float16 x[64], y[64], z[64];
    for (int i = 0; i < 64; i++) {
        x[i] = (_Float16)(i * 0.37f - 7.0f);
        y[i] = (_Float16)(1.0f / (i + 1));
    }
    for (int i = 0; i < 64; i++) z[i] = x[i] * y[i] + x[i];
    _Float16 m = 0;
    for (int i = 0; i < 64; i++) m = z[i] > m ? z[i] : m;
    uint16_t b[64];
    memcpy(b, z, sizeof b);
    unsigned h = 0;
    for (int i = 0; i < 64; i++) h = h * 31 + b[i];
    uint16_t mb;
    memcpy(&mb, &m, 2);
    printf(" loops %08x max %04x\n", h, mb);
}

int main(void) {
    static const struct { const char *name; uint64_t fpcr; } modes[] = {
        {"nearest", 0}, {"up", 1 << 22}, {"zero", 3 << 22}, {"fz16", 1 << 19}, {"dn", 1 << 25},
    };
    for (unsigned m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        printf("%s:\n", modes[m].name);
        set_fpcr(modes[m].fpcr);
        clear_fpsr();
        halves(0);
        halves(1);
        loops();
        set_fpcr(0);
    }
    return 0;
}
