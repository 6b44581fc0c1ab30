/* Memory-ordering litmus tests with two threads (and increments from several). Each mode
 * prints only what the memory model decides, never what the scheduling happened to show:
 * "forbidden outcome seen: no" for an outcome the model forbids, a count for increments.
 *   mp N        message passing, N rounds: a writer stores data then a flag (release), a
 *               reader sees the flag (acquire) and must see the data. On x86-64 both are
 *               plain movs (TSO keeps them in order); on AArch64 STLR and LDAR.
 *   sb-fence N  store buffering, N rounds: each thread stores its variable, a full fence,
 *               loads the other's; both loads 0 is forbidden (x86 mfence, A64 dmb ish).
 *   sb-sc N     the same with sequentially consistent store and load and no fence (x86:
 *               mov + mfence or xchg; A64: STLR then LDAR, which must not be reordered).
 *   sb N        store buffering without a fence: both loads 0 is allowed (x86 itself does
 *               it), so only that the rounds complete is printed.
 *   inc N       4 threads x N increments by each read-modify-write this ISA has: x86
 *               lock add, lock xadd, lock cmpxchg loop; A64 LDXR/STXR loop, LSE LDADD, CAS.
 * Only real weakly ordered hardware (an AArch64 machine) can show a reordering that a
 * missing barrier allows; an emulator on an x86-64 machine orders more than asked.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOAD(p, o) __atomic_load_n(p, o)
#define STORE(p, v, o) __atomic_store_n(p, v, o)
#define RELAXED __ATOMIC_RELAXED
#define ACQUIRE __ATOMIC_ACQUIRE
#define RELEASE __ATOMIC_RELEASE
#define SEQ_CST __ATOMIC_SEQ_CST

static long rounds;

/* ---- a two-thread round barrier (sense-reversing, on sequentially consistent atomics) ---- */
static int arrived;
static int sense;

static void round_barrier(int *local_sense) {
    *local_sense = !*local_sense;
    if (__atomic_add_fetch(&arrived, 1, SEQ_CST) == 2) {
        STORE(&arrived, 0, SEQ_CST);
        STORE(&sense, *local_sense, SEQ_CST);
    } else {
        int spins = 0;
        while (LOAD(&sense, SEQ_CST) != *local_sense) {
            if (++spins > 64) {
                sched_yield();
                spins = 0;
            }
        }
    }
}

/* Each test variable on its own cache line. */
struct line {
    long v;
    char pad[120];
};
static struct line x, y, data, flag;
static long r1, r2;
static long forbidden_seen;
static long both_zero;

/* ---- mp ---- */
static void *mp_writer(void *arg) {
    int s = 0;
    (void)arg;
    for (long i = 1; i <= rounds; i++) {
        round_barrier(&s);
        STORE(&data.v, i, RELAXED);
        STORE(&flag.v, i, RELEASE);
        round_barrier(&s);
    }
    return NULL;
}

static void mp_reader(void) {
    int s = 0;
    for (long i = 1; i <= rounds; i++) {
        round_barrier(&s);
        while (LOAD(&flag.v, ACQUIRE) != i) {
        }
        if (LOAD(&data.v, RELAXED) != i) {
            forbidden_seen++;
        }
        round_barrier(&s);
    }
}

/* ---- sb, sb-fence, sb-sc ---- */
enum sb_kind { SB_PLAIN, SB_FENCE, SB_SC };
static enum sb_kind sb_kind;

static long sb_side(struct line *mine, struct line *other) {
    long r;
    switch (sb_kind) {
    case SB_FENCE:
        STORE(&mine->v, 1, RELAXED);
        __atomic_thread_fence(SEQ_CST);
        r = LOAD(&other->v, RELAXED);
        break;
    case SB_SC:
        STORE(&mine->v, 1, SEQ_CST);
        r = LOAD(&other->v, SEQ_CST);
        break;
    default:
        STORE(&mine->v, 1, RELAXED);
        r = LOAD(&other->v, RELAXED);
        break;
    }
    return r;
}

static void *sb_second(void *arg) {
    int s = 0;
    (void)arg;
    for (long i = 1; i <= rounds; i++) {
        round_barrier(&s);
        r2 = sb_side(&y, &x);
        round_barrier(&s);
        round_barrier(&s); /* the first thread checks and resets */
    }
    return NULL;
}

static void sb_first(void) {
    int s = 0;
    for (long i = 1; i <= rounds; i++) {
        round_barrier(&s);
        r1 = sb_side(&x, &y);
        round_barrier(&s);
        if (r1 == 0 && r2 == 0) {
            both_zero++;
        }
        STORE(&x.v, 0, RELAXED);
        STORE(&y.v, 0, RELAXED);
        round_barrier(&s);
    }
}

/* ---- inc ---- */
#define INC_THREADS 4
static long per_thread;
static unsigned int counter_a, counter_b, counter_c;

static void inc_a(unsigned int *p) {
#if defined(__x86_64__)
    __asm__ volatile("lock addl $1, %0" : "+m"(*p) : : "memory");
#elif defined(__aarch64__)
    unsigned int v, failed;
    __asm__ volatile("1: ldxr %w0, %2\n\tadd %w0, %w0, #1\n\tstxr %w1, %w0, %2\n\tcbnz %w1, 1b"
                     : "=&r"(v), "=&r"(failed), "+Q"(*p)
                     :
                     : "memory");
#endif
}

static void inc_b(unsigned int *p) {
#if defined(__x86_64__)
    unsigned int one = 1;
    __asm__ volatile("lock xaddl %0, %1" : "+r"(one), "+m"(*p) : : "memory");
#elif defined(__aarch64__)
    unsigned int old;
    __asm__ volatile(".arch armv8.1-a\n\tldaddal %w2, %w0, %1" : "=r"(old), "+Q"(*p) : "r"(1u) : "memory");
#endif
}

static void inc_c(unsigned int *p) {
#if defined(__x86_64__)
    unsigned int old = LOAD(p, RELAXED), seen;
    for (;;) {
        seen = old;
        __asm__ volatile("lock cmpxchgl %2, %1" : "+a"(seen), "+m"(*p) : "r"(old + 1) : "memory");
        if (seen == old) {
            break;
        }
        old = seen;
    }
#elif defined(__aarch64__)
    unsigned int old = LOAD(p, RELAXED), seen;
    for (;;) {
        seen = old;
        __asm__ volatile(".arch armv8.1-a\n\tcasal %w0, %w2, %1" : "+r"(seen), "+Q"(*p) : "r"(old + 1) : "memory");
        if (seen == old) {
            break;
        }
        old = seen;
    }
#endif
}

static void *inc_worker(void *arg) {
    (void)arg;
    for (long i = 0; i < per_thread; i++) {
        inc_a(&counter_a);
        inc_b(&counter_b);
        inc_c(&counter_c);
    }
    return NULL;
}

static void start(pthread_t *t, void *(*f)(void *)) {
    int err = pthread_create(t, NULL, f, NULL);
    if (err != 0) {
        printf("pthread_create failed: %s\n", strerror(err));
        exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc != 3 || (rounds = atol(argv[2])) <= 0) {
        fprintf(stderr, "usage: litmus mp|sb|sb-fence|sb-sc|inc N\n");
        return 2;
    }
    const char *mode = argv[1];
    pthread_t t[INC_THREADS];
    if (strcmp(mode, "mp") == 0) {
        start(&t[0], mp_writer);
        mp_reader();
        pthread_join(t[0], NULL);
        printf("mp: %ld rounds, forbidden outcome (flag seen, data old) seen: %s\n", rounds,
               forbidden_seen ? "yes" : "no");
    } else if (strcmp(mode, "sb") == 0 || strcmp(mode, "sb-fence") == 0 || strcmp(mode, "sb-sc") == 0) {
        sb_kind = strcmp(mode, "sb") == 0 ? SB_PLAIN : strcmp(mode, "sb-sc") == 0 ? SB_SC : SB_FENCE;
        start(&t[0], sb_second);
        sb_first();
        pthread_join(t[0], NULL);
        if (sb_kind == SB_PLAIN) {
            /* Both loads 0 is allowed and happens on x86 hardware: not printed. */
            printf("sb: %ld rounds done\n", rounds);
        } else {
            printf("%s: %ld rounds, forbidden outcome (both loads 0) seen: %s\n", mode, rounds,
                   both_zero ? "yes" : "no");
        }
    } else if (strcmp(mode, "inc") == 0) {
        per_thread = rounds;
        for (int i = 0; i < INC_THREADS; i++) {
            start(&t[i], inc_worker);
        }
        for (int i = 0; i < INC_THREADS; i++) {
            pthread_join(t[i], NULL);
        }
        printf("inc: %d threads x %ld: %u %u %u (expected %ld each)\n", INC_THREADS, rounds,
               counter_a, counter_b, counter_c, INC_THREADS * rounds);
    } else {
        fprintf(stderr, "litmus: unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
