/* 64-bit and 128-bit multiply and divide on values from a fixed LCG, printed in hex: widening
 * multiplies (mul/imul, umulh/smulh), __int128 products and divisions (libgcc's __udivti3 and
 * __divti3), 32-bit wrap-around, and high halves. */
#include <stdint.h>
#include <stdio.h>

typedef unsigned __int128 u128;
typedef __int128 i128;

static uint64_t state = 0x853c49e6748fea9bull;

static uint64_t next(void)
{
    /* xorshift64*: cheap, full 64-bit outputs */
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 2685821657736338717ull;
}

static void print_u128(const char *label, u128 v)
{
    printf("%s=%016llx%016llx", label, (unsigned long long)(v >> 64), (unsigned long long)v);
}

int main(void)
{
    /* A few fixed edge values first, then random ones. */
    uint64_t edges[] = {0, 1, 2, 3, 0x7fffffffffffffffull, 0x8000000000000000ull,
                        0xffffffffffffffffull, 0xffffffffull, 0x100000000ull, 10};
    int ne = sizeof edges / sizeof edges[0];
    uint64_t acc = 0;
    for (int i = 0; i < 60; i++) {
        uint64_t a = i < ne * 2 ? edges[i % ne] : next();
        uint64_t b = i < ne ? edges[(i * 3 + 1) % ne] : next() >> (i % 64);
        volatile uint64_t va = a, vb = b;
        u128 up = (u128)va * vb;
        i128 sp = (i128)(int64_t)va * (int64_t)vb;
        printf("a=%016llx b=%016llx ", (unsigned long long)a, (unsigned long long)b);
        print_u128("u*", up);
        printf(" ");
        print_u128("s*", (u128)sp);
        printf(" lo=%016llx", (unsigned long long)(va * vb));
        if (vb) {
            printf(" u/=%016llx u%%=%016llx", (unsigned long long)(va / vb),
                   (unsigned long long)(va % vb));
            if (!((int64_t)vb == -1 && (int64_t)va == INT64_MIN))
                printf(" s/=%016llx s%%=%016llx", (unsigned long long)((int64_t)va / (int64_t)vb),
                       (unsigned long long)((int64_t)va % (int64_t)vb));
        }
        printf(" 32: %08x %08x %08x\n", (uint32_t)va * (uint32_t)vb,
               (uint32_t)(((uint64_t)(uint32_t)va * (uint32_t)vb) >> 32),
               (uint32_t)(((int64_t)(int32_t)va * (int32_t)vb) >> 32));
        acc += (uint64_t)(up >> 64) ^ (uint64_t)up;
    }
    /* 128-bit division: full-width dividends and divisors of every size. */
    for (int i = 0; i < 40; i++) {
        volatile u128 n = ((u128)next() << 64) | next();
        volatile u128 d = i % 3 == 0 ? (u128)(next() >> (i % 60))
                                     : (((u128)(next() >> (i % 64)) << 64) | next());
        if (d == 0)
            d = 1;
        print_u128("n", n);
        print_u128(" d", d);
        print_u128(" q", n / d);
        print_u128(" r", n % d);
        i128 sn = (i128)n, sd = (i128)d;
        print_u128(" sq", (u128)(sn / sd));
        print_u128(" sr", (u128)(sn % sd));
        printf("\n");
        acc ^= (uint64_t)(n / d);
    }
    /* 128-bit shifts and a 128-bit factorial (wraps mod 2^128). */
    u128 f = 1;
    for (int i = 1; i <= 40; i++)
        f *= (u128)i;
    print_u128("40! mod 2^128", f);
    printf("\n");
    volatile u128 one = 1;
    for (int s = 0; s < 128; s += 13) {
        print_u128("1<<s", one << s);
        print_u128(" >>", ((u128)-1) >> s);
        print_u128(" sar", (u128)(((i128)((u128)1 << 127)) >> s));
        printf(" s=%d\n", s);
    }
    printf("acc=%016llx\n", (unsigned long long)acc);
    return 0;
}
