// build-x86_64: -O3 -march=x86-64-v3 -ffp-contract=off
/* Loops gcc -O3 -march=x86-64-v3 auto-vectorises with AVX2 (byte and word widening, compares
 * and selects, variable shifts, reductions, shuffles) and string functions over buffers of
 * many lengths and alignments. Deterministic output: checksums of every result. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 4099

static uint8_t a8[N + 64], b8[N + 64];
static int16_t a16[N], b16[N];
static int32_t a32[N], b32[N];
static uint32_t u32[N];
static int64_t a64[N], b64[N];
static float f32a[N], f32b[N];
static double f64a[N];

static uint64_t seed = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

static uint64_t mix(uint64_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ull + (h >> 29); }

__attribute__((noinline)) static void add_bytes(uint8_t *d, const uint8_t *x, const uint8_t *y, int n) {
    for (int i = 0; i < n; i++) d[i] = (uint8_t)(x[i] + y[i]);
}
__attribute__((noinline)) static void sat_bytes(uint8_t *d, const uint8_t *x, const uint8_t *y, int n) {
    for (int i = 0; i < n; i++) {
        int s = x[i] + y[i];
        d[i] = s > 255 ? 255 : (uint8_t)s;
    }
}
__attribute__((noinline)) static int64_t widen_sum(const uint8_t *x, int n) {
    int64_t s = 0;
    for (int i = 0; i < n; i++) s += x[i];
    return s;
}
__attribute__((noinline)) static void widen16(int32_t *d, const int16_t *x, int n) {
    for (int i = 0; i < n; i++) d[i] = x[i] * 3;
}
__attribute__((noinline)) static int32_t dot16(const int16_t *x, const int16_t *y, int n) {
    int32_t s = 0;
    for (int i = 0; i < n; i++) s += x[i] * y[i];
    return s;
}
__attribute__((noinline)) static void select32(int32_t *d, const int32_t *x, const int32_t *y, int n) {
    for (int i = 0; i < n; i++) d[i] = x[i] > y[i] ? x[i] - y[i] : y[i] ^ 0x55;
}
__attribute__((noinline)) static void minmax32(int32_t *d, const int32_t *x, const int32_t *y, int n) {
    for (int i = 0; i < n; i++) {
        int32_t lo = x[i] < y[i] ? x[i] : y[i];
        int32_t hi = x[i] < y[i] ? y[i] : x[i];
        d[i] = hi - (lo >> 3);
    }
}
__attribute__((noinline)) static void varshift(uint32_t *d, const uint32_t *x, const int32_t *s, int n) {
    for (int i = 0; i < n; i++) d[i] = (x[i] << (s[i] & 31)) ^ (x[i] >> ((s[i] >> 5) & 31));
}
__attribute__((noinline)) static int64_t sum64(const int64_t *x, const int64_t *y, int n) {
    int64_t s = 0;
    for (int i = 0; i < n; i++) s += x[i] * 7 + (y[i] >> 2);
    return s;
}
__attribute__((noinline)) static void mul32(int32_t *d, const int32_t *x, const int32_t *y, int n) {
    for (int i = 0; i < n; i++) d[i] = x[i] * y[i] + (x[i] >> 7);
}
__attribute__((noinline)) static int count_eq(const uint8_t *x, uint8_t c, int n) {
    int k = 0;
    for (int i = 0; i < n; i++) k += x[i] == c;
    return k;
}
__attribute__((noinline)) static uint8_t max_byte(const uint8_t *x, int n) {
    uint8_t m = 0;
    for (int i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}
__attribute__((noinline)) static void reverse32(int32_t *d, const int32_t *x, int n) {
    for (int i = 0; i < n; i++) d[i] = x[n - 1 - i];
}
__attribute__((noinline)) static void to_upper(uint8_t *d, const uint8_t *x, int n) {
    for (int i = 0; i < n; i++) d[i] = (x[i] >= 'a' && x[i] <= 'z') ? x[i] - 32 : x[i];
}
__attribute__((noinline)) static float fsum(const float *x, const float *y, int n) {
    float s = 0;
    for (int i = 0; i < n; i++) s += x[i] * 0.5f - y[i];
    return s;
}
__attribute__((noinline)) static void fscale(float *d, const float *x, int n) {
    for (int i = 0; i < n; i++) d[i] = x[i] > 0.0f ? x[i] * 2.0f : -x[i];
}
__attribute__((noinline)) static void i2d(double *d, const int32_t *x, int n) {
    for (int i = 0; i < n; i++) d[i] = (double)x[i] / 3.0;
}
__attribute__((noinline)) static void interleave(int16_t *d, const int16_t *x, const int16_t *y, int n) {
    for (int i = 0; i < n / 2; i++) {
        d[2 * i] = x[i];
        d[2 * i + 1] = y[i];
    }
}

static uint64_t hash_bytes(const void *p, size_t n) {
    const uint8_t *b = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = mix(h, b[i]);
    return h;
}

int main(void) {
    for (int i = 0; i < N + 64; i++) {
        a8[i] = (uint8_t)rnd();
        b8[i] = (uint8_t)(rnd() % 97 + 'a' - 10);
    }
    for (int i = 0; i < N; i++) {
        a16[i] = (int16_t)rnd();
        b16[i] = (int16_t)rnd();
        a32[i] = (int32_t)rnd();
        b32[i] = (int32_t)(rnd() >> 3);
        u32[i] = (uint32_t)rnd();
        a64[i] = (int64_t)rnd();
        b64[i] = (int64_t)rnd();
        f32a[i] = (float)(int32_t)(rnd() % 20001 - 10000) / 64.0f;
        f32b[i] = (float)(int32_t)(rnd() % 2001 - 1000) / 16.0f;
    }
    static uint8_t d8[N + 64];
    static int32_t d32[N];
    static uint32_t du[N];
    static int16_t d16[N];
    static float df[N];
    int lens[] = {0, 1, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 255, 256, 1000, N};
    for (unsigned k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        int n = lens[k];
        uint64_t h = 0;
        for (int off = 0; off < 3; off++) {
            int m = n - off > 0 ? n - off : 0;
            add_bytes(d8 + off, a8 + off, b8 + 2 * off, m);
            h = mix(h, hash_bytes(d8, n));
            sat_bytes(d8, a8 + off, b8, m);
            h = mix(h, hash_bytes(d8, n));
            h = mix(h, (uint64_t)widen_sum(a8 + off, m));
            h = mix(h, (uint64_t)count_eq(a8 + off, 0x41, m));
            h = mix(h, max_byte(a8 + off, m));
            to_upper(d8, b8 + off, m);
            h = mix(h, hash_bytes(d8, m));
        }
        widen16(d32, a16, n);
        h = mix(h, hash_bytes(d32, 4 * n));
        h = mix(h, (uint32_t)dot16(a16, b16, n));
        select32(d32, a32, b32, n);
        h = mix(h, hash_bytes(d32, 4 * n));
        minmax32(d32, a32, b32, n);
        h = mix(h, hash_bytes(d32, 4 * n));
        varshift(du, u32, b32, n);
        h = mix(h, hash_bytes(du, 4 * n));
        h = mix(h, (uint64_t)sum64(a64, b64, n));
        mul32(d32, a32, b32, n);
        h = mix(h, hash_bytes(d32, 4 * n));
        reverse32(d32, a32, n);
        h = mix(h, hash_bytes(d32, 4 * n));
        float fs = fsum(f32a, f32b, n);
        uint32_t fb;
        memcpy(&fb, &fs, 4);
        h = mix(h, fb);
        fscale(df, f32a, n);
        h = mix(h, hash_bytes(df, 4 * n));
        i2d(f64a, a32, n);
        h = mix(h, hash_bytes(f64a, 8 * n));
        interleave(d16, a16, b16, n);
        h = mix(h, hash_bytes(d16, 2 * (n & ~1)));
        printf("n=%d %016llx\n", n, (unsigned long long)h);
    }
    /* String functions over many lengths and alignments. */
    static char s[600], t[600];
    uint64_t h = 0;
    for (int len = 0; len < 300; len += 7) {
        for (int al = 0; al < 33; al += 5) {
            for (int i = 0; i < len; i++) s[al + i] = (char)('a' + (i * 7 + len) % 26);
            s[al + len] = 0;
            h = mix(h, strlen(s + al));
            char *p = strchr(s + al, 'q');
            h = mix(h, p ? (uint64_t)(p - (s + al)) : 999);
            p = memchr(s + al, 'z', len);
            h = mix(h, p ? (uint64_t)(p - (s + al)) : 999);
            strcpy(t + (al ^ 3), s + al);
            h = mix(h, (uint64_t)(strcmp(t + (al ^ 3), s + al) + 5));
            if (len) t[(al ^ 3) + len / 2] ^= 1;
            h = mix(h, (uint64_t)(memcmp(t + (al ^ 3), s + al, len) > 0) + 3 * (uint64_t)(strcmp(t + (al ^ 3), s + al) < 0));
            memset(t, 'x' + al % 3, len);
            h = mix(h, hash_bytes(t, len));
            memmove(t + 3, t, len);
            h = mix(h, hash_bytes(t, len + 3));
            p = strrchr(s + al, 'b');
            h = mix(h, p ? (uint64_t)(p - (s + al)) : 999);
        }
    }
    printf("strings %016llx\n", (unsigned long long)h);
    return 0;
}
