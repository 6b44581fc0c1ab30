/* Sorting a few million ints: libc qsort with a comparison callback (indirect calls) and a
 * hand-written bottom-up merge sort (loads, stores, branches), checked against each other.
 * argv[1] is the count (default 100000); perf/ runs it with millions. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static void merge_sort(int *v, int *tmp, size_t n)
{
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = v[j] < v[i] ? v[j++] : v[i++];
            while (i < mid)
                tmp[k++] = v[i++];
            while (j < hi)
                tmp[k++] = v[j++];
        }
        memcpy(v, tmp, n * sizeof *v);
    }
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
    int *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *tmp = malloc(n * sizeof *tmp);
    if (!a || !b || !tmp) {
        puts("out of memory");
        return 1;
    }
    uint64_t x = 42;
    for (size_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        a[i] = b[i] = (int)(x >> 32);
    }
    qsort(a, n, sizeof *a, cmp_int);
    merge_sort(b, tmp, n);
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint32_t)a[i]) * 1099511628211ull;
    printf("n=%zu equal=%s min=%d max=%d hash=%016llx\n", n,
           memcmp(a, b, n * sizeof *a) == 0 ? "yes" : "no", n ? a[0] : 0, n ? a[n - 1] : 0,
           (unsigned long long)h);
    free(a);
    free(b);
    free(tmp);
    return 0;
}
