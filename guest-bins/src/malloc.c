/* Allocator work that crosses both of malloc's paths: many small blocks from the brk heap,
 * blocks above the mmap threshold (128 KiB by default in glibc), realloc growth and shrink,
 * calloc zeroing, and a checksum of the contents. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t next(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng >> 33);
}

static uint64_t sum;

static void mix(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sum = (sum ^ p[i]) * 1099511628211ull;
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i * 31);
}

int main(void)
{
    enum { SLOTS = 4096 };
    static unsigned char *slot[SLOTS];
    static size_t size[SLOTS];

    /* 1. Churn of small blocks: 200000 operations, random sizes 1..512. */
    size_t live = 0, peak = 0;
    for (int op = 0; op < 200000; op++) {
        unsigned i = next() % SLOTS;
        if (slot[i]) {
            mix(slot[i], size[i]);
            free(slot[i]);
            slot[i] = NULL;
            live -= size[i];
        } else {
            size[i] = 1 + next() % 512;
            slot[i] = malloc(size[i]);
            if (!slot[i]) {
                puts("malloc failed");
                return 1;
            }
            fill(slot[i], size[i], i);
            live += size[i];
            if (live > peak)
                peak = live;
        }
    }
    printf("small churn: peak live bytes %zu, checksum %016llx\n", peak, (unsigned long long)sum);

    /* 2. Big blocks (mmap path), written at both ends and in the middle. */
    sum = 0;
    for (int round = 0; round < 20; round++) {
        size_t n = (size_t)(128 * 1024) + (size_t)round * 97 * 1024 + next() % 4096;
        unsigned char *p = malloc(n);
        if (!p) {
            puts("big malloc failed");
            return 1;
        }
        fill(p, n, round);
        mix(p, 64);
        mix(p + n / 2, 64);
        mix(p + n - 64, 64);
        free(p);
    }
    printf("big blocks: checksum %016llx\n", (unsigned long long)sum);

    /* 3. realloc growth from 1 byte to 8 MiB, checking the old contents survive each move. */
    sum = 0;
    size_t n = 1;
    unsigned char *p = malloc(n);
    p[0] = 0xa5;
    int moves_ok = 1;
    while (n < 8u * 1024 * 1024) {
        size_t m = n * 2 + next() % 100;
        unsigned char *q = realloc(p, m);
        if (!q) {
            puts("realloc failed");
            return 1;
        }
        for (size_t i = 0; i < n; i += 1 + n / 64)
            if (q[i] != (unsigned char)(i == 0 ? 0xa5 : (i * 7)))
                moves_ok = 0;
        for (size_t i = n; i < m; i++)
            q[i] = (unsigned char)(i * 7);
        p = q;
        n = m;
    }
    mix(p, n);
    /* and shrink back */
    p = realloc(p, 1000);
    mix(p, 1000);
    free(p);
    printf("realloc growth to %zu bytes: contents kept %s, checksum %016llx\n", n,
           moves_ok ? "yes" : "no", (unsigned long long)sum);

    /* 4. calloc returns zeroed memory, also for memory malloc just freed dirty. */
    int zero_ok = 1;
    for (int round = 0; round < 50; round++) {
        size_t count = 1 + next() % 5000, each = 1 + round % 64;
        unsigned char *d = malloc(count * each);
        memset(d, 0xff, count * each);
        free(d);
        unsigned char *c = calloc(count, each);
        for (size_t i = 0; i < count * each; i++)
            if (c[i])
                zero_ok = 0;
        free(c);
    }
    unsigned char *bigc = calloc(1, 3u << 20);
    for (size_t i = 0; i < (3u << 20); i += 4096)
        if (bigc[i])
            zero_ok = 0;
    free(bigc);
    printf("calloc zeroed: %s\n", zero_ok ? "yes" : "no");

    /* 5. A linked list of 100000 nodes, summed and freed. */
    struct node {
        struct node *next;
        uint64_t value;
    } *head = NULL;
    for (uint64_t i = 0; i < 100000; i++) {
        struct node *nd = malloc(sizeof *nd);
        nd->value = i * i;
        nd->next = head;
        head = nd;
    }
    uint64_t total = 0;
    while (head) {
        struct node *nx = head->next;
        total += head->value;
        free(head);
        head = nx;
    }
    printf("list sum %llu\n", (unsigned long long)total);

    /* free what is left of part 1 */
    for (int i = 0; i < SLOTS; i++)
        free(slot[i]);
    puts("done");
    return 0;
}
