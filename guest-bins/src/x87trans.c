/* x87 transcendentals and partial remainders through inline assembly (glibc's sinl & co. are
 * mostly software): fsin, fcos, fsincos, fptan, fpatan, f2xm1, fyl2x, fyl2xp1, fxtract and
 * fprem/fprem1 loops over a fixed set of inputs (small, large, near multiples of pi/2,
 * denormals, zeros, infinities, NaNs, |x| >= 2^63) under each rounding mode, printing each
 * 80-bit result in hex with the status word's condition codes and exception flags.
 * The SDM defines the transcendental results only to within one ulp (processors differ in the
 * last bit, and so C1, which reports the rounding direction): their significands are printed
 * without the low 12 bits and C1 is left out; the fxtract and fprem results are exact and
 * printed in full. Elsewhere (the AArch64 build) it prints nothing. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef __x86_64__
typedef long double ld;

/* Transcendental results: 1 while printing them (significand less 12 bits, no C1). */
static int approx;

static void hex(ld v) {
    unsigned char b[10];
    memcpy(b, &v, 10);
    uint64_t m;
    uint16_t e;
    memcpy(&m, b, 8);
    memcpy(&e, b + 8, 2);
    if (approx)
        printf(" %04x_%013llx~", e, (unsigned long long)(m >> 12));
    else
        printf(" %04x_%016llx", e, (unsigned long long)m);
}

static ld from_bits(uint16_t se, uint64_t m) {
    ld v = 0;
    unsigned char b[16] = {0};
    memcpy(b, &m, 8);
    memcpy(b + 8, &se, 2);
    memcpy(&v, b, 10);
    return v;
}

static void set_rc(int rc) {
    uint16_t cw = 0x37f | rc << 10;
    __asm__ volatile("fldcw %0" ::"m"(cw));
}

/* The status word after the operation: C3 C2 C1 C0 and the exception flags. */
static void sw_print(uint16_t sw) {
    printf(" sw=%04x\n", sw & 0x47ff & ~0x80 & (approx ? ~0x200 : 0xffff));
    approx = 0;
}

#define ONE_OP(name, insn)                                                                      \
    static void name(ld x) {                                                                    \
        ld r;                                                                                   \
        uint16_t sw;                                                                            \
        __asm__ volatile("fnclex; " insn "; fnstsw %%ax" : "=t"(r), "=a"(sw) : "0"(x));          \
        printf(#insn);                                                                          \
        hex(x);                                                                                 \
        printf(" ->");                                                                          \
        approx = 1;                                                                             \
        hex(r);                                                                                 \
        sw_print(sw);                                                                           \
    }
ONE_OP(do_fsin, "fsin")
ONE_OP(do_fcos, "fcos")
ONE_OP(do_f2xm1, "f2xm1")

#define TWO_RES(name, insn, ap)                                                                 \
    static void name(ld x) {                                                                    \
        ld a, b;                                                                                \
        uint16_t sw;                                                                            \
        __asm__ volatile("fnclex; " insn "; fnstsw %%ax" : "=t"(a), "=u"(b), "=a"(sw) : "0"(x)); \
        printf(#insn);                                                                          \
        hex(x);                                                                                 \
        printf(" ->");                                                                          \
        approx = ap;                                                                            \
        hex(a);                                                                                 \
        hex(b);                                                                                 \
        sw_print(sw);                                                                           \
    }
TWO_RES(do_fsincos, "fsincos", 1)
TWO_RES(do_fptan, "fptan", 1)
TWO_RES(do_fxtract, "fxtract", 0)

#define POP_OP(name, insn, ap)                                                                  \
    static void name(ld y, ld x) {                                                              \
        ld r;                                                                                   \
        uint16_t sw;                                                                            \
        __asm__ volatile("fnclex; " insn "; fnstsw %%ax" : "=t"(r), "=a"(sw) : "0"(x), "u"(y) : "st(1)"); \
        printf(#insn);                                                                          \
        hex(y);                                                                                 \
        hex(x);                                                                                 \
        printf(" ->");                                                                          \
        approx = ap;                                                                            \
        hex(r);                                                                                 \
        sw_print(sw);                                                                           \
    }
POP_OP(do_fpatan, "fpatan", 1)
POP_OP(do_fyl2x, "fyl2x", 1)
POP_OP(do_fyl2xp1, "fyl2xp1", 1)

/* fprem/fprem1 until complete; prints the remainder, the final status word and the steps. */
#define REM_OP(name, insn)                                                                      \
    static void name(ld a, ld b) {                                                              \
        ld r = a;                                                                               \
        uint16_t sw;                                                                            \
        int steps = 0;                                                                          \
        __asm__ volatile("fnclex" ::: "memory");                                                \
        do {                                                                                    \
            __asm__ volatile(insn "; fnstsw %%ax" : "=t"(r), "=a"(sw) : "0"(r), "u"(b));         \
            steps++;                                                                            \
        } while (sw & 0x400);                                                                   \
        printf(#insn);                                                                          \
        hex(a);                                                                                 \
        hex(b);                                                                                 \
        printf(" ->");                                                                          \
        hex(r);                                                                                 \
        printf(" first-step-partial=%d", steps > 1);                                            \
        sw_print(sw);                                                                           \
    }
REM_OP(do_fprem, "fprem")
REM_OP(do_fprem1, "fprem1")

static uint64_t seed = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

int main(void) {
    const uint64_t pi66 = 0xc90fdaa22168c234ull; /* top 64 bits of pi */
    ld trig[] = {
        0.0L, -0.0L, 1.0L, -1.0L, 0.5L, 3.0L, 1e-5L, 1e10L, 1e18L, -7.5L,
        from_bits(0x4000, pi66),     /* pi rounded to 64 bits */
        from_bits(0x3fff, pi66),     /* pi/2 */
        from_bits(0x4001, pi66 + 1), /* 2 pi, one ulp up */
        from_bits(0x4012, 0xc90fdaa22168c234ull), from_bits(0x403d, 0xfffffffffffffffeull),
        from_bits(0x403e, 1ull << 63), /* 2^63: out of range */
        from_bits(0x0000, 0x123456789ull), from_bits(0x8000, 1),
        from_bits(0x7fff, 1ull << 63), from_bits(0xffff, 1ull << 63),
        from_bits(0x7fff, 0xc000000000000001ull), from_bits(0x7fff, 0x8000000000000001ull),
        from_bits(0x3f00, 0xabcdef0123456789ull),
    };
    int nt = sizeof trig / sizeof trig[0];
    for (int rc = 0; rc < 4; rc++) {
        printf("rounding control %d\n", rc);
        set_rc(rc);
        for (int i = 0; i < nt; i++) {
            do_fsin(trig[i]);
            do_fcos(trig[i]);
            do_fsincos(trig[i]);
            do_fptan(trig[i]);
            do_fxtract(trig[i]);
        }
        for (int i = 0; i < 12; i++) {
            ld x = from_bits(0x3ff0 + (rnd() % 16), rnd() | 1ull << 63);
            do_fsin(x);
            do_fcos(x);
            do_fptan(x);
        }
        ld unit[] = {0.0L, -0.0L, 1.0L, -1.0L, 0.5L, -0.5L, 1e-3L, -0.7L, 1e-300L, from_bits(0x0000, 77)};
        for (int i = 0; i < (int)(sizeof unit / sizeof unit[0]); i++) do_f2xm1(unit[i]);
        ld ys[] = {1.0L, -3.0L, 0.0L, 1e300L, from_bits(0x7fff, 1ull << 63)};
        ld xs[] = {2.0L, 8.0L, 0.5L, 10.0L, 1.0L, 0.0L, 1e-20L, 3e100L, -1.0L, from_bits(0x7fff, 1ull << 63)};
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 10; j++) {
                do_fyl2x(ys[i], xs[j]);
                do_fpatan(ys[i], xs[j]);
            }
        ld lp[] = {0.0L, -0.0L, 0.25L, -0.25L, 1e-10L, -3e-5L, 0.125L};
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 7; j++) do_fyl2xp1(ys[i], lp[j]);
    }
    set_rc(0);
    ld rem_a[] = {10.0L, -10.0L, 1e300L, -1e4000L, 7.25L, 0.0L, from_bits(0x7fff, 1ull << 63), 5.0L, 1e-4900L};
    ld rem_b[] = {3.0L, -0.75L, 1e-300L, 0.0L, from_bits(0x0000, 12345), 2.5L};
    for (int i = 0; i < 9; i++)
        for (int j = 0; j < 6; j++) {
            do_fprem(rem_a[i], rem_b[j]);
            do_fprem1(rem_a[i], rem_b[j]);
        }
    return 0;
}
#else
int main(void) { return 0; }
#endif
