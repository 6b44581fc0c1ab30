/* printf of integers, floats and doubles over edge values: signed zero, infinities, NaN,
 * denormals, extreme exponents, rounding ties; plus strtod round trips and a little float
 * arithmetic (sqrt, division, conversions). The text is libc's, so glibc and musl results
 * may differ from each other; each build is compared with its own oracle. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double doubles[] = {
    0.0, -0.0, 1.0, -1.0, 0.5, 1.5, 2.5, -2.5, 0.1, 0.2, 0.3, 1.0 / 3.0, 2.0 / 3.0,
    3.141592653589793, 2.718281828459045, 123456789.123456789, 1e15, 1e16, 1e17, 1e22, 1e23,
    9007199254740993.0, 1e300, -1e300, 1e-300, 1e-310 /* denormal */, 4.9406564584124654e-324,
    2.2250738585072014e-308, 2.2250738585072009e-308, DBL_MAX, -DBL_MAX, DBL_MIN, DBL_EPSILON,
    0.000123456789, 12345.6789e-20, 999999.5, 0.9999999999, 5e-5, 1234.5, 0.125, 1e-5, 1e-4,
};

static const char *formats[] = {"%f", "%.0f", "%.3f", "%.20f", "%e", "%.0e", "%.12e", "%g",
                                "%.1g", "%.17g", "%#g", "%a", "%.3a", "%+12.4f", "%-14.3e|",
                                "% g", "%012.3f"};

static void print_double(double d)
{
    char buf[512];
    for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
        /* %f of 1e300 is long; print it anyway but it must fit */
        snprintf(buf, sizeof buf, formats[f], d);
        printf(" %s", buf);
    }
    printf("\n");
}

int main(void)
{
    puts("== integers");
    long long ints[] = {0, 1, -1, 7, -7, 42, 255, 256, 65535, 65536, INT_MAX, INT_MIN,
                        (long long)INT_MAX + 1, UINT_MAX, LLONG_MAX, LLONG_MIN, 1000000007LL,
                        -123456789012345LL};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        long long v = ints[i];
        printf("%d %i %u %x %X %o | %ld %lu %lx | %lld %llu %llx %#llo | %hd %hhd %hu %hhx\n",
               (int)v, (int)v, (unsigned)v, (unsigned)v, (unsigned)v, (unsigned)v, (long)v,
               (unsigned long)v, (unsigned long)v, v, (unsigned long long)v,
               (unsigned long long)v, (unsigned long long)v, (short)v, (signed char)v,
               (unsigned short)v, (unsigned char)v);
        printf("  [%8d] [%-8d] [%08d] [%+d] [% d] [%#x] [%#o] [%*d] [%-*d] [%.5d] [%ju] [%zd]\n",
               (int)v, (int)v, (int)v, (int)v, (int)v, (unsigned)v, (unsigned)v, 12, (int)v,
               6, (int)v, (int)v, (uintmax_t)v, (ssize_t)v);
    }
    printf("[%s] [%10s] [%-10s] [%.3s] [%c] [%5c] [%%]\n", "str", "right", "left", "truncate",
           'A', 'z');

    puts("== doubles");
    for (size_t i = 0; i < sizeof doubles / sizeof doubles[0]; i++)
        print_double(doubles[i]);
    puts("== special");
    print_double(INFINITY);
    print_double(-INFINITY);
    print_double(NAN);
    print_double(-NAN);

    puts("== floats (promoted)");
    float floats[] = {0.0f, -0.0f, 1.0f / 3.0f, 16777217.0f, FLT_MAX, FLT_MIN, 1e-45f, 0.1f,
                      -2.5f, 3.4e38f};
    for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++)
        printf("%g %.9g %e %a\n", floats[i], floats[i], floats[i], floats[i]);

    puts("== strtod round trips");
    const char *texts[] = {"0", "-0", "1e308", "1e309", "-1e309", "1e-320", "4.9e-324",
                           "2.4e-324", "0x1.fffffffffffffp1023", "0.1", "123.456e-7",
                           "nan", "-inf", "  42abc", "1.7976931348623157e308",
                           "2.2250738585072011e-308", "0.30000000000000004"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char *end;
        double d = strtod(texts[i], &end);
        float f = strtof(texts[i], NULL);
        printf("%-26s -> %.17g %a (rest \"%s\") float %.9g\n", texts[i], d, d, end, f);
    }

    puts("== arithmetic");
    volatile double a = 1.0, b = 3.0, z = 0.0;
    printf("1/3 = %.17g\n", a / b);
    printf("sqrt(2) = %.17g\n", sqrt(2.0 * a));
    printf("sqrt(-1) is nan: %d\n", isnan(sqrt(-a)));
    printf("1/0 = %g, -1/0 = %g, 0/0 is nan: %d\n", a / z, -a / z, isnan(z / z));
    printf("0.1+0.2 = %.17g\n", 0.1 * a + 0.2 * a);
    printf("fma-free product %.17g\n", (a / b) * b);
    double acc = 0;
    for (int i = 1; i <= 100000; i++)
        acc += 1.0 / ((double)i * i);
    printf("sum 1/n^2 (1e5 terms) = %.17g\n", acc);
    float facc = 0;
    for (int i = 1; i <= 100000; i++)
        facc += 1.0f / (float)i;
    printf("float harmonic (1e5 terms) = %.9g\n", facc);
    volatile double conv[] = {2.5, -2.5, 2.9999, -2.9999, 1e10, -1e10, 4294967295.5,
                              9.2e18, -9.2e18, 0.0};
    for (size_t i = 0; i < sizeof conv / sizeof conv[0]; i++)
        printf("(long)%g = %ld, (unsigned)%g = %u, lround = %ld, rint = %g, floor = %g, "
               "ceil = %g, trunc = %g\n",
               conv[i], (long)conv[i], conv[i],
               conv[i] >= 0 && conv[i] < 4294967296.0 ? (unsigned)conv[i] : 0u, lround(conv[i]),
               rint(conv[i]), floor(conv[i]), ceil(conv[i]), trunc(conv[i]));
    /* Out of range for the destination type: C leaves it undefined, the hardware does not
     * (x86 cvtt* gives the "integer indefinite" value, AArch64 fcvtz* saturates); the
     * oracle of each ISA says which. volatile keeps the compiler from folding. */
    volatile double wild[] = {1e10, -1e10, 3e9, -3e9, 1e20, -1e20, INFINITY, -INFINITY, NAN};
    for (size_t i = 0; i < sizeof wild / sizeof wild[0]; i++) {
        volatile double w = wild[i];
        volatile float wf = (float)wild[i];
        printf("(int)%g = %d, (long)%g = %ld, (int)(float)%g = %d, (long)(float)%g = %ld\n", w,
               (int)w, w, (long)w, w, (int)wf, w, (long)wf);
    }
    volatile float ff = 1.1f;
    printf("float*float = %.9g, (double)float = %.17g, (float)double = %.9g\n", ff * ff,
           (double)ff, (float)(a / b));
    printf("exp(1) = %.17g, log(10) = %.17g, sin(1) = %.17g, pow(2,0.5) = %.17g\n", exp(a),
           log(10 * a), sin(a), pow(2 * a, 0.5));
    return 0;
}
