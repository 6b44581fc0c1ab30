// build-x86_64: -O3 -march=x86-64-v3
/* Fused multiply-add: loops gcc -O3 -march=x86-64-v3 contracts into vfmadd*ps/pd (ymm and
 * scalar), and the FMA intrinsics of every kind (fmadd, fmsub, fnmadd, fnmsub, fmaddsub,
 * fmsubadd; ps, pd, ss, sd; xmm and ymm) under each rounding mode, checked against the C
 * library's fma()/fmaf() (correctly rounded) and printed as checksums of the result bits.
 * Elsewhere (the AArch64 build) the intrinsics are replaced by fma()/fmaf(). Also the
 * reciprocal estimates rcpps/rsqrtps/rcpss/rsqrtss (ymm and xmm): their bits differ between
 * processors, so only the SDM's bound (relative error <= 1.5 * 2^-12) and special cases are
 * checked and the number of violations printed. */
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#ifdef __x86_64__
#include <immintrin.h>
#endif

#define N 1027

static float fa[N + 8], fb[N + 8], fc[N + 8], fr[N + 8];
static double da[N + 4], db[N + 4], dc[N + 4], dr[N + 4];

static uint64_t seed = 0x243f6a8885a308d3ull;
static uint64_t rnd(void) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

static uint64_t mix(uint64_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ull + (h >> 29); }

/* Values with cancellation, ties and the occasional special. */
static double value(void) {
    uint64_t r = rnd();
    switch (r % 16) {
    case 0: return 0.0;
    case 1: return -1.0 / 3.0;
    case 2: return 1e300;
    case 3: return 1e-310;
    case 4: return INFINITY;
    default: return ((double)(int64_t)(r >> 11) / 4503599627370496.0) * ((r & 1) ? -1.0 : 1.0);
    }
}

static uint64_t sum_f(const float *x, int n) {
    uint64_t h = 0;
    for (int i = 0; i < n; i++) {
        uint32_t b;
        memcpy(&b, &x[i], 4);
        h = mix(h, isnan(x[i]) ? 0x7fc00000u : b);
    }
    return h;
}

static uint64_t sum_d(const double *x, int n) {
    uint64_t h = 0;
    for (int i = 0; i < n; i++) {
        uint64_t b;
        memcpy(&b, &x[i], 8);
        h = mix(h, isnan(x[i]) ? 0x7ff8000000000000ull : b);
    }
    return h;
}

/* Contracted by the compiler (-ffp-contract=fast is gcc's default for GNU C). */
__attribute__((noinline)) static void axpy_f(float *r, const float *x, const float *y, float a, int n) {
    for (int i = 0; i < n; i++) r[i] = a * x[i] + y[i];
}
__attribute__((noinline)) static void poly_d(double *r, const double *x, int n) {
    for (int i = 0; i < n; i++) r[i] = ((0.25 * x[i] - 0.5) * x[i] + 0.75) * x[i] - 1.0;
}
__attribute__((noinline)) static double dot_d(const double *x, const double *y, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s = x[i] * y[i] + s;
    return s;
}

/* kind: 0 fmadd, 1 fmsub, 2 fnmadd, 3 fnmsub, 4 fmaddsub, 5 fmsubadd (lane parity decides). */
static double ref_d(int kind, int lane, double a, double b, double c) {
    int sub = kind == 1 || kind == 3 || (kind == 4 && lane % 2 == 0) || (kind == 5 && lane % 2 == 1);
    double p = (kind == 2 || kind == 3) ? -a : a;
    return fma(p, b, sub ? -c : c);
}
static float ref_f(int kind, int lane, float a, float b, float c) {
    int sub = kind == 1 || kind == 3 || (kind == 4 && lane % 2 == 0) || (kind == 5 && lane % 2 == 1);
    float p = (kind == 2 || kind == 3) ? -a : a;
    return fmaf(p, b, sub ? -c : c);
}

#ifdef __x86_64__
static void intrinsics(int kind) {
    for (int i = 0; i + 8 <= N; i += 8) {
        __m256 a = _mm256_loadu_ps(fa + i), b = _mm256_loadu_ps(fb + i), c = _mm256_loadu_ps(fc + i), r;
        switch (kind) {
        case 0: r = _mm256_fmadd_ps(a, b, c); break;
        case 1: r = _mm256_fmsub_ps(a, b, c); break;
        case 2: r = _mm256_fnmadd_ps(a, b, c); break;
        case 3: r = _mm256_fnmsub_ps(a, b, c); break;
        case 4: r = _mm256_fmaddsub_ps(a, b, c); break;
        default: r = _mm256_fmsubadd_ps(a, b, c); break;
        }
        _mm256_storeu_ps(fr + i, r);
    }
    for (int i = 0; i + 2 <= N; i += 2) {
        __m128d a = _mm_loadu_pd(da + i), b = _mm_loadu_pd(db + i), c = _mm_loadu_pd(dc + i), r;
        switch (kind) {
        case 0: r = _mm_fmadd_pd(a, b, c); break;
        case 1: r = _mm_fmsub_pd(a, b, c); break;
        case 2: r = _mm_fnmadd_pd(a, b, c); break;
        case 3: r = _mm_fnmsub_pd(a, b, c); break;
        case 4: r = _mm_fmaddsub_pd(a, b, c); break;
        default: r = _mm_fmsubadd_pd(a, b, c); break;
        }
        _mm_storeu_pd(dr + i, r);
    }
    if (kind < 4) {
        /* The scalar forms on the last elements. */
        __m128 a = _mm_set_ss(fa[N - 1]), b = _mm_set_ss(fb[N - 1]), c = _mm_set_ss(fc[N - 1]), r;
        __m128d x = _mm_set_sd(da[N - 1]), y = _mm_set_sd(db[N - 1]), z = _mm_set_sd(dc[N - 1]), s;
        switch (kind) {
        case 0: r = _mm_fmadd_ss(a, b, c); s = _mm_fmadd_sd(x, y, z); break;
        case 1: r = _mm_fmsub_ss(a, b, c); s = _mm_fmsub_sd(x, y, z); break;
        case 2: r = _mm_fnmadd_ss(a, b, c); s = _mm_fnmadd_sd(x, y, z); break;
        default: r = _mm_fnmsub_ss(a, b, c); s = _mm_fnmsub_sd(x, y, z); break;
        }
        fr[N - 1] = _mm_cvtss_f32(r);
        dr[N - 1] = _mm_cvtsd_f64(s);
    } else {
        fr[N - 1] = ref_f(kind, 0, fa[N - 1], fb[N - 1], fc[N - 1]);
        dr[N - 1] = ref_d(kind, 0, da[N - 1], db[N - 1], dc[N - 1]);
    }
    /* N is odd: the elements past the vector loops as the reference computes them. */
    for (int i = N / 8 * 8; i < N - 1; i++) fr[i] = ref_f(kind, i, fa[i], fb[i], fc[i]);
}
#else
static void intrinsics(int kind) {
    for (int i = 0; i < N; i++) {
        fr[i] = ref_f(kind, i, fa[i], fb[i], fc[i]);
        dr[i] = ref_d(kind, i, da[i], db[i], dc[i]);
    }
}
#endif

#ifdef __x86_64__
/* Inputs and results of the estimates, one lane at a time through ymm and scalar forms. */
static int estimates(void) {
    int bad = 0;
    for (int e = 1; e < 254; e++) {
        float x[8], r[8], q[8];
        for (int k = 0; k < 8; k++) {
            uint32_t b = (uint32_t)e << 23 | (uint32_t)(rnd() & 0x7fffff);
            memcpy(&x[k], &b, 4);
        }
        _mm256_storeu_ps(r, _mm256_rcp_ps(_mm256_loadu_ps(x)));
        _mm256_storeu_ps(q, _mm256_rsqrt_ps(_mm256_loadu_ps(x)));
        for (int k = 0; k < 8; k++) {
            double v = x[k], rcp = 1.0 / v, rsq = 1.0 / sqrt(v);
            if (rcp >= 0x1p-125 && fabs((r[k] - rcp) / rcp) > 0x1.8p-12) bad++;
            if (rcp < 0x1p-127 && r[k] != 0.0f) bad++;
            if (fabs((q[k] - rsq) / rsq) > 0x1.8p-12) bad++;
        }
    }
    float s = _mm_cvtss_f32(_mm_rcp_ss(_mm_set_ss(0.0f)));
    float t = _mm_cvtss_f32(_mm_rsqrt_ss(_mm_set_ss(-0.0f)));
    float u = _mm_cvtss_f32(_mm_rcp_ss(_mm_set_ss(-INFINITY)));
    float w = _mm_cvtss_f32(_mm_rsqrt_ss(_mm_set_ss(-1.0f)));
    if (!(isinf(s) && s > 0) || !(isinf(t) && t < 0) || !(u == 0 && signbit(u)) || !isnan(w)) bad++;
    return bad;
}
#else
static int estimates(void) { return 0; }
#endif

int main(void) {
    for (int i = 0; i < N; i++) {
        da[i] = value();
        db[i] = value();
        dc[i] = value();
        fa[i] = (float)value();
        fb[i] = (float)value();
        fc[i] = (float)value();
    }
    static const int modes[4] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
    static const char *names[4] = {"nearest", "down", "up", "zero"};
    int bad = 0;
    for (int m = 0; m < 4; m++) {
        fesetround(modes[m]);
        for (int kind = 0; kind < 6; kind++) {
            intrinsics(kind);
            for (int i = 0; i < N; i++) {
                float f = ref_f(kind, i, fa[i], fb[i], fc[i]);
                double d = ref_d(kind, i, da[i], db[i], dc[i]);
                if (memcmp(&f, &fr[i], 4) != 0 && !(isnan(f) && isnan(fr[i]))) bad++;
                if (memcmp(&d, &dr[i], 8) != 0 && !(isnan(d) && isnan(dr[i]))) bad++;
            }
            printf("%-7s kind %d: %016llx %016llx\n", names[m], kind, (unsigned long long)sum_f(fr, N),
                   (unsigned long long)sum_d(dr, N));
        }
        axpy_f(fr, fa, fb, 1.0f / 3.0f, N);
        poly_d(dr, da, N);
        double s = dot_d(da + 1, db + 1, 200);
        uint64_t sb;
        memcpy(&sb, &s, 8);
        printf("%-7s loops: %016llx %016llx %016llx\n", names[m], (unsigned long long)sum_f(fr, N),
               (unsigned long long)sum_d(dr, N), (unsigned long long)sb);
    }
    fesetround(FE_TONEAREST);
    printf("mismatches against fma(): %d\n", bad);
    int est = estimates();
    printf("reciprocal estimates outside the SDM's bound: %d\n", est);
    return bad != 0 || est != 0;
}
