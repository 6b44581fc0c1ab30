/* libc's string and memory functions over every length 0..300 and every source/destination
 * alignment 0..15, with results folded into one checksum per function; then qsort. glibc picks
 * SIMD variants of these at startup (ifuncs), so this exercises the vector integer ops. Pointer
 * results are folded as offsets, comparison results as their sign only (libcs differ in the
 * magnitude). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXLEN 300
#define MAXOFF 16
#define BUFSZ (MAXLEN + 2 * MAXOFF + 64)

static unsigned char src_buf[BUFSZ] __attribute__((aligned(64)));
static unsigned char dst_buf[BUFSZ] __attribute__((aligned(64)));
static uint64_t h;

static void fold(uint64_t v)
{
    h = (h ^ v) * 1099511628211ull;
}

static void fold_buf(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fold(p[i]);
}

static int sign(int v) { return (v > 0) - (v < 0); }

static uint64_t offset_of(const void *p, const void *base)
{
    return p ? (uint64_t)((const char *)p - (const char *)base) : 0xffffffffull;
}

/* Fills src with non-zero bytes that depend on position and a seed. */
static void pattern(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(1 + (i * 7 + seed * 13) % 251);
}

static void report(const char *name)
{
    printf("%-8s %016llx\n", name, (unsigned long long)h);
    h = 1469598103934665603ull;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    h = 1469598103934665603ull;

    for (size_t len = 0; len <= MAXLEN; len++)
        for (int so = 0; so < MAXOFF; so++)
            for (int d = 0; d < MAXOFF; d += 3) {
                pattern(src_buf, BUFSZ, (unsigned)len);
                memset(dst_buf, 0, BUFSZ);
                memcpy(dst_buf + d, src_buf + so, len);
                fold_buf(dst_buf, len + 2 * MAXOFF);
            }
    report("memcpy");

    for (size_t len = 0; len <= MAXLEN; len++)
        for (int shift = -MAXOFF; shift <= MAXOFF; shift += 5) {
            pattern(dst_buf, BUFSZ, (unsigned)len);
            memmove(dst_buf + MAXOFF + shift, dst_buf + MAXOFF, len);
            fold_buf(dst_buf, len + 3 * MAXOFF);
        }
    report("memmove");

    for (size_t len = 0; len <= MAXLEN; len++)
        for (int d = 0; d < MAXOFF; d++) {
            memset(dst_buf, 0x11, BUFSZ);
            memset(dst_buf + d, (int)(len & 0xff), len);
            fold_buf(dst_buf, len + 2 * MAXOFF);
        }
    report("memset");

    for (size_t len = 0; len <= MAXLEN; len++)
        for (int so = 0; so < MAXOFF; so++)
            for (int d = 0; d < MAXOFF; d += 5) {
                pattern(src_buf + so, len, 3);
                pattern(dst_buf + d, len, 3);
                fold((uint64_t)sign(memcmp(src_buf + so, dst_buf + d, len)));
                if (len) {
                    size_t at = (len * 5 + so) % len;
                    dst_buf[d + at] ^= (unsigned char)(1 + so);
                    fold((uint64_t)sign(memcmp(src_buf + so, dst_buf + d, len)) + 7);
                    fold((uint64_t)sign(memcmp(dst_buf + d, src_buf + so, len)) + 11);
                }
            }
    report("memcmp");

    for (size_t len = 0; len <= MAXLEN; len++)
        for (int so = 0; so < MAXOFF; so++) {
            pattern(src_buf, BUFSZ, 5);
            src_buf[so + len] = 0;
            fold(strlen((char *)src_buf + so));
            fold(strnlen((char *)src_buf + so, len / 2));
        }
    report("strlen");

    for (size_t len = 0; len <= MAXLEN; len++)
        for (int so = 0; so < MAXOFF; so++) {
            pattern(src_buf, BUFSZ, (unsigned)len);
            src_buf[so + len] = 0;
            char *s = (char *)src_buf + so;
            int c1 = len ? s[len / 3] : 'x';
            fold(offset_of(strchr(s, c1), s));
            fold(offset_of(strchr(s, 0), s));
            fold(offset_of(strrchr(s, c1), s));
            fold(offset_of(strchr(s, 255), s));
            fold(offset_of(memchr(s, c1, len), s));
            fold(offset_of(memchr(s, 0, len + 1), s));
            fold(offset_of(memrchr(s, c1, len), s));
        }
    report("strchr");

    for (size_t len = 0; len <= MAXLEN; len++)
        for (int so = 0; so < MAXOFF; so++)
            for (int d = 0; d < MAXOFF; d += 7) {
                pattern(src_buf + so, len, 9);
                src_buf[so + len] = 0;
                pattern(dst_buf + d, len, 9);
                dst_buf[d + len] = 0;
                char *a = (char *)src_buf + so, *b = (char *)dst_buf + d;
                fold((uint64_t)sign(strcmp(a, b)));
                if (len) {
                    b[(len * 3 + d) % len] += 1;
                    fold((uint64_t)sign(strcmp(a, b)) + 3);
                    fold((uint64_t)sign(strcmp(b, a)) + 5);
                    fold((uint64_t)sign(strncmp(a, b, len / 2)) + 9);
                    b[len - 1] = 0; /* b is now a prefix of a */
                    fold((uint64_t)sign(strcmp(a, b)) + 13);
                }
            }
    report("strcmp");

    for (size_t len = 0; len <= MAXLEN; len++)
        for (int so = 0; so < MAXOFF; so++)
            for (int d = 0; d < MAXOFF; d += 3) {
                pattern(src_buf + so, len, 1);
                src_buf[so + len] = 0;
                memset(dst_buf, 0x77, BUFSZ);
                char *r = strcpy((char *)dst_buf + d, (char *)src_buf + so);
                fold(offset_of(r, dst_buf));
                fold_buf(dst_buf, len + 2 * MAXOFF);
                char *e = stpcpy((char *)dst_buf + d, "tail");
                fold(offset_of(e, dst_buf));
                strcat((char *)dst_buf + d, "+more");
                fold(strlen((char *)dst_buf + d));
            }
    report("strcpy");

    static const char *needles[] = {"", "a", "ab", "abc", "aab", "abcabd", "zz", "cabcab",
                                     "abcabcabcabcabcabcabd", "bca"};
    char hay[MAXLEN + 1];
    for (size_t len = 0; len <= MAXLEN; len++) {
        for (size_t i = 0; i < len; i++)
            hay[i] = "abc"[(i * i + i / 7) % 3];
        hay[len] = 0;
        for (size_t k = 0; k < sizeof needles / sizeof needles[0]; k++)
            fold(offset_of(strstr(hay, needles[k]), hay));
    }
    report("strstr");

    /* qsort of ints with many duplicates, and of strings. */
    enum { N = 100000 };
    static int v[N];
    uint32_t x = 7;
    for (int i = 0; i < N; i++) {
        x = x * 1664525u + 1013904223u;
        v[i] = (int)(x >> 8) % 5000 - 2500;
    }
    qsort(v, N, sizeof v[0], cmp_int);
    int sorted = 1;
    for (int i = 1; i < N; i++)
        if (v[i - 1] > v[i])
            sorted = 0;
    for (int i = 0; i < N; i += 97)
        fold((uint64_t)(int64_t)v[i]);
    printf("qsort ints sorted: %s, min %d, median %d, max %d\n", sorted ? "yes" : "no", v[0],
           v[N / 2], v[N - 1]);
    report("qsort");

    enum { S = 5000 };
    static char store[S][16];
    static char *words[S];
    for (int i = 0; i < S; i++) {
        x = x * 1664525u + 1013904223u;
        int n = 1 + (int)(x >> 28);
        for (int j = 0; j < n; j++) {
            x = x * 1664525u + 1013904223u;
            store[i][j] = (char)('a' + (x >> 24) % 26);
        }
        store[i][n] = 0;
        words[i] = store[i];
    }
    qsort(words, S, sizeof words[0], cmp_str);
    for (int i = 0; i < S; i++)
        fold_buf((unsigned char *)words[i], strlen(words[i]));
    printf("qsort strings: first \"%s\", last \"%s\"\n", words[0], words[S - 1]);
    report("qsortstr");
    return 0;
}
