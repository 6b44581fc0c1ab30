// build-aarch64: -O3 -march=armv8.2-a+fp16 -fno-math-errno
// Scalar half-precision arithmetic (FEAT_FP16) through C's _Float16: chains of add, sub, mul,
// div, sqrt, fused multiply-add, min/max, compares, selects and conversions to and from
// integers, under every FPCR rounding mode, with FZ16 and with DN, printing the result bits
// and the FPSR flags. Every step depends on the one before, so nothing is vectorised (the
// AdvSIMD FP16 forms are another matter). AArch64 only (see build.sh).
#include <math.h>
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

static unsigned bits16(_Float16 h) {
    uint16_t b;
    memcpy(&b, &h, 2);
    return b;
}
static _Float16 from16(uint16_t b) {
    _Float16 h;
    memcpy(&h, &b, 2);
    return h;
}

/* Inputs the compiler cannot fold. */
static volatile uint16_t inputs[] = {
    0x3c00, /* 1 */
    0x3555, /* 0.333 */
    0x4248, /* 3.14 */
    0xc500, /* -5 */
    0x7bff, /* 65504 */
    0x0001, /* smallest denormal */
    0x0400, /* smallest normal */
    0x1400, /* 2^-10 */
    0x3c01, /* 1 + 2^-10 */
    0x7c00, /* inf */
    0x7e01, /* quiet NaN */
    0x7c01, /* signalling NaN */
    0x8000, /* -0 */
    0x5bff, /* 255.9 */
};
#define N (sizeof inputs / sizeof inputs[0])

static _Float16 in(unsigned i) { return from16(inputs[i % N]); }

/* One dependent chain over the inputs: every operation feeds the next. */
static _Float16 chain(unsigned seed) {
    _Float16 x = in(seed);
    for (unsigned i = 0; i < 24; i++) {
        _Float16 y = in(seed + i * 7 + 1);
        switch ((seed + i) % 9) {
        case 0: x = x + y; break;
        case 1: x = x - y * (_Float16)0.5f; break;
        case 2: x = x * y; break;
        case 3: x = x / (y == 0 ? (_Float16)3.0f : y); break;
        case 4: x = __builtin_sqrtf16(x < 0 ? -x : x); break;
        case 5: x = __builtin_fmaf16(x, y, (_Float16)0.25f); break;
        case 6: x = __builtin_fmaxf16(x, y); break;
        case 7: x = __builtin_fminf16(x, y) * (_Float16)1.5f; break;
        default: x = x > y ? x - y : y - x; break;
        }
    }
    return x;
}

int main(void) {
    static const struct {
        const char *name;
        uint64_t fpcr;
    } modes[] = {
        {"nearest", 0},
        {"up", 1 << 22},
        {"down", 2 << 22},
        {"zero", 3 << 22},
        {"fz16", 1 << 19},
        {"fz (not halves)", 1 << 24},
        {"dn", 1 << 25},
        {"fz16 dn down", 1 << 19 | 1 << 25 | 2 << 22},
    };
    for (unsigned m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        printf("%s:\n", modes[m].name);
        for (unsigned seed = 0; seed < 12; seed++) {
            set_fpcr(modes[m].fpcr);
            clear_fpsr();
            _Float16 r = chain(seed);
            uint64_t fpsr = get_fpsr();
            set_fpcr(0);
            printf(" %04x/%02x", bits16(r), (unsigned)(fpsr & 0x9f));
        }
        printf("\n");
        /* Each operation alone on the edge cases, with its flags. */
        for (unsigned a = 0; a < N; a += 3) {
            for (unsigned b = 1; b < N; b += 4) {
                set_fpcr(modes[m].fpcr);
                clear_fpsr();
                _Float16 x = in(a), y = in(b);
                unsigned s = bits16(x + y), d = bits16(x - y), p = bits16(x * y), q = bits16(x / y);
                unsigned f = bits16(__builtin_fmaf16(x, y, in(a + b)));
                uint64_t fpsr = get_fpsr();
                set_fpcr(0);
                printf(" [%04x %04x: %04x %04x %04x %04x %04x %02x]", bits16(x), bits16(y), s, d, p, q, f,
                       (unsigned)(fpsr & 0x9f));
            }
        }
        printf("\n");
    }
    /* Conversions and compares. */
    for (unsigned i = 0; i < N; i++) {
        _Float16 x = in(i);
        int lt = x < in(i + 1), eq = x == in(i + 2);
        long n = (x == x && x < (_Float16)65504.0f && x > (_Float16)-65504.0f) ? (long)x : 0;
        _Float16 back = (_Float16)(int)(n * 3 + 1);
        printf("%04x: lt %d eq %d int %ld back %04x rnd %04x\n", bits16(x), lt, eq, n, bits16(back),
               bits16(__builtin_roundf16(x * (_Float16)2.5f)));
    }
    return 0;
}
