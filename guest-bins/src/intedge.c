/* Integer division edge cases. With no argument: a table of signed and unsigned division and
 * remainder at 8/16/32/64 bits over edge values, skipping the trapping pairs. With an argument,
 * it prints what it is about to do, flushes, and does one trapping division: on x86-64 the
 * hardware raises #DE and the process dies by SIGFPE; AArch64 division does not trap, so there
 * the program prints the result and exits 0. volatile keeps the compiler from folding.
 *   intedge [div0 | mod0 | intmin | llmin | udiv0 | div0_16]  */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define TABLE(T, FMT, VALUES)                                                                   \
    do {                                                                                        \
        static const T vals[] = VALUES;                                                         \
        size_t n = sizeof vals / sizeof vals[0];                                                \
        for (size_t i = 0; i < n; i++)                                                          \
            for (size_t j = 0; j < n; j++) {                                                    \
                volatile T a = vals[i], b = vals[j];                                            \
                if (b == 0 || ((T)-1 < 0 && b == (T)-1 && a == vals[0]))                        \
                    continue; /* vals[0] is the type's minimum for signed types */             \
                T q = a / b, r = a % b;                                                         \
                printf("%s " FMT " / " FMT " = " FMT " rem " FMT "\n", #T, a, b, q, r);         \
            }                                                                                   \
    } while (0)

#define L(...) {__VA_ARGS__}

int main(int argc, char **argv)
{
    if (argc < 2) {
        TABLE(int8_t, "%d", L(INT8_MIN, -7, -1, 0, 1, 3, 7, INT8_MAX));
        TABLE(uint8_t, "%u", L(0, 1, 3, 7, 128, 200, UINT8_MAX));
        TABLE(int16_t, "%d", L(INT16_MIN, -300, -1, 0, 1, 7, 300, INT16_MAX));
        TABLE(uint16_t, "%u", L(0, 1, 7, 300, 40000, UINT16_MAX));
        TABLE(int32_t, "%d", L(INT32_MIN, -100000, -7, -1, 0, 1, 7, 100000, INT32_MAX));
        TABLE(uint32_t, "%u", L(0, 1, 7, 100000, 3000000000u, UINT32_MAX));
        TABLE(long long, "%lld",
              L(INT64_MIN, -10000000000LL, -7, -1, 0, 1, 7, 10000000000LL, INT64_MAX));
        TABLE(unsigned long long, "%llu", L(0, 1, 7, 10000000000ULL, 1ULL << 63, UINT64_MAX));
        return 0;
    }
    volatile int zero = 0, minus1 = -1, imin = INT_MIN, one = 1;
    volatile long long llzero = 0, llminus1 = -1, llmin = LLONG_MIN;
    volatile unsigned uzero = 0;
    volatile short szero = 0, sone = 1;
    const char *what = argv[1];
    printf("about to compute %s\n", what);
    fflush(stdout);
    if (strcmp(what, "div0") == 0)
        printf("result %d\n", one / zero);
    else if (strcmp(what, "mod0") == 0)
        printf("result %d\n", one % zero);
    else if (strcmp(what, "intmin") == 0)
        printf("result %d\n", imin / minus1);
    else if (strcmp(what, "intmin_mod") == 0)
        printf("result %d\n", imin % minus1);
    else if (strcmp(what, "llmin") == 0)
        printf("result %lld\n", llmin / llminus1);
    else if (strcmp(what, "lldiv0") == 0)
        printf("result %lld\n", llmin / llzero);
    else if (strcmp(what, "udiv0") == 0)
        printf("result %u\n", 5u / uzero);
    else if (strcmp(what, "div0_16") == 0)
        printf("result %d\n", (short)(sone / szero));
    else {
        printf("unknown case\n");
        return 2;
    }
    printf("survived\n");
    return 0;
}
