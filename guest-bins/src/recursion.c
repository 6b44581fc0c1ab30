/* Deep recursion: a non-tail-recursive function 100000 frames deep (argv can change the
 * depth), mutual recursion, Ackermann, and a recursive quicksort. Every result is computed, so
 * a lost frame or a clobbered callee-saved register changes the output. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* noinline and the use of the result after the call keep gcc from turning it into a loop. */
__attribute__((noinline)) static uint64_t deep(uint64_t n, uint64_t salt)
{
    if (n == 0)
        return salt;
    uint64_t below = deep(n - 1, salt ^ (n * 0x9e3779b97f4a7c15ull));
    return below * 31 + (n ^ (below >> 7));
}

__attribute__((noinline)) static int is_odd(unsigned n);
__attribute__((noinline)) static int is_even(unsigned n)
{
    return n == 0 ? 1 : is_odd(n - 1) + 0 * (int)n;
}
__attribute__((noinline)) static int is_odd(unsigned n)
{
    return n == 0 ? 0 : is_even(n - 1) + 0 * (int)n;
}

static unsigned long ackermann(unsigned long m, unsigned long n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

static void quicksort(int *v, long lo, long hi)
{
    if (lo >= hi)
        return;
    int pivot = v[(lo + hi) / 2];
    long i = lo, j = hi;
    while (i <= j) {
        while (v[i] < pivot)
            i++;
        while (v[j] > pivot)
            j--;
        if (i <= j) {
            int t = v[i];
            v[i] = v[j];
            v[j] = t;
            i++;
            j--;
        }
    }
    quicksort(v, lo, j);
    quicksort(v, i, hi);
}

int main(int argc, char **argv)
{
    uint64_t depth = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
    printf("deep(%llu) = %016llx\n", (unsigned long long)depth,
           (unsigned long long)deep(depth, 1));
    printf("is_even(20001) = %d, is_odd(20001) = %d\n", is_even(20001), is_odd(20001));
    printf("ackermann(2, 300) = %lu, ackermann(3, 6) = %lu\n", ackermann(2, 300),
           ackermann(3, 6));
    enum { N = 200000 };
    static int v[N];
    uint32_t x = 99;
    for (int i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        v[i] = (int)(x >> 1);
    }
    quicksort(v, 0, N - 1);
    uint64_t h = 0;
    int ok = 1;
    for (int i = 0; i < N; i++) {
        h = h * 1000003 + (uint64_t)v[i];
        if (i && v[i - 1] > v[i])
            ok = 0;
    }
    printf("quicksort sorted: %s, hash %016llx\n", ok ? "yes" : "no", (unsigned long long)h);
    return 0;
}
