/* POSIX threads: each mode prints only what does not depend on scheduling.
 *   mutex          4 threads x 100000 increments of a counter under a pthread mutex
 *   atomic [N]     8 threads x N (default 1000000) __atomic_fetch_add on one counter, and
 *                  as many compare-exchange increments on another
 *   condvar        a producer and a consumer over a 16-slot ring with two condition
 *                  variables: 100000 items, checksums on both sides
 *   tls            __thread variables: each of 6 threads sees its own copy (initial value,
 *                  writes), and the main thread's copy is untouched
 *   join-detach    joined threads return values; detached threads report through a
 *                  semaphore-like counter under a mutex; pthread_join after exit of a thread
 *                  that already ended; pthread_self/equal; a thread that calls pthread_exit
 *   blocking       a thread blocked in poll, select and then pause while the main thread
 *                  runs: the main thread must get on (it wakes the poll and the select
 *                  through a pipe only after its own work, and the pause with a signal)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

static void check(int err, const char *what) {
    if (err != 0) {
        printf("%s failed: %s\n", what, strerror(err));
        exit(1);
    }
}

/* ---- mutex ---- */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *mutex_worker(void *arg) {
    (void)arg;
    for (int i = 0; i < 100000; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

static void run_mutex(void) {
    pthread_t t[4];
    for (int i = 0; i < 4; i++) check(pthread_create(&t[i], NULL, mutex_worker, NULL), "pthread_create");
    for (int i = 0; i < 4; i++) check(pthread_join(t[i], NULL), "pthread_join");
    printf("mutex: counter = %ld (expected %d)\n", counter, 4 * 100000);
}

/* ---- atomic ---- */
static long atomic_n = 1000000;
static uint64_t atomic_add_counter;
static uint64_t atomic_cas_counter;

static void *atomic_worker(void *arg) {
    (void)arg;
    for (long i = 0; i < atomic_n; i++) {
        __atomic_fetch_add(&atomic_add_counter, 1, __ATOMIC_SEQ_CST);
        uint64_t old = __atomic_load_n(&atomic_cas_counter, __ATOMIC_RELAXED);
        while (!__atomic_compare_exchange_n(&atomic_cas_counter, &old, old + 1, 1, __ATOMIC_ACQ_REL,
                                            __ATOMIC_RELAXED)) {
        }
    }
    return NULL;
}

static void run_atomic(void) {
    pthread_t t[8];
    for (int i = 0; i < 8; i++) check(pthread_create(&t[i], NULL, atomic_worker, NULL), "pthread_create");
    for (int i = 0; i < 8; i++) check(pthread_join(t[i], NULL), "pthread_join");
    printf("atomic: fetch_add counter = %llu, cas counter = %llu (expected %ld each)\n",
           (unsigned long long)atomic_add_counter, (unsigned long long)atomic_cas_counter, 8 * atomic_n);
}

/* ---- condvar: producer/consumer ---- */
#define RING 16
#define ITEMS 100000
static long ring[RING];
static int head, tail, count;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;

static void *producer(void *arg) {
    long *sum = arg;
    for (long i = 1; i <= ITEMS; i++) {
        long item = i * 7 % 1000003;
        pthread_mutex_lock(&lock);
        while (count == RING) pthread_cond_wait(&not_full, &lock);
        ring[tail] = item;
        tail = (tail + 1) % RING;
        count++;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&lock);
        *sum += item;
    }
    return NULL;
}

static void *consumer(void *arg) {
    long *sum = arg;
    for (long i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&lock);
        while (count == 0) pthread_cond_wait(&not_empty, &lock);
        long item = ring[head];
        head = (head + 1) % RING;
        count--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&lock);
        *sum += item;
    }
    return NULL;
}

static void run_condvar(void) {
    long produced = 0, consumed = 0;
    pthread_t p, c;
    check(pthread_create(&c, NULL, consumer, &consumed), "pthread_create");
    check(pthread_create(&p, NULL, producer, &produced), "pthread_create");
    check(pthread_join(p, NULL), "pthread_join");
    check(pthread_join(c, NULL), "pthread_join");
    printf("condvar: %d items, produced sum %ld, consumed sum %ld, left %d\n", ITEMS, produced, consumed, count);
}

/* ---- tls ---- */
static __thread long tls_value = 42;
static __thread char tls_name[16] = "main";

struct tls_result {
    int id;
    long initial;
    long final;
    char name[16];
};

static void *tls_worker(void *arg) {
    struct tls_result *r = arg;
    r->initial = tls_value;
    snprintf(tls_name, sizeof tls_name, "thread-%d", r->id);
    for (int i = 0; i < 1000; i++) {
        tls_value += r->id;
        if (i % 100 == 0) sched_yield();
    }
    r->final = tls_value;
    memcpy(r->name, tls_name, sizeof tls_name);
    return NULL;
}

static void run_tls(void) {
    pthread_t t[6];
    struct tls_result r[6];
    tls_value = 7;
    for (int i = 0; i < 6; i++) {
        r[i].id = i + 1;
        check(pthread_create(&t[i], NULL, tls_worker, &r[i]), "pthread_create");
    }
    for (int i = 0; i < 6; i++) check(pthread_join(t[i], NULL), "pthread_join");
    for (int i = 0; i < 6; i++)
        printf("tls: %s started with %ld, ended with %ld\n", r[i].name, r[i].initial, r[i].final);
    printf("tls: main still has %ld and name %s\n", tls_value, tls_name);
}

/* ---- join and detach ---- */
static int detached_done;
static pthread_cond_t detached_cv = PTHREAD_COND_INITIALIZER;

static void *joined_worker(void *arg) {
    long n = (long)arg;
    long s = 0;
    for (long i = 1; i <= n; i++) s += i;
    return (void *)s;
}

static void *detached_worker(void *arg) {
    (void)arg;
    pthread_mutex_lock(&lock);
    detached_done++;
    pthread_cond_signal(&detached_cv);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *exiting_worker(void *arg) {
    (void)arg;
    pthread_exit((void *)1234);
    return NULL;
}

static pthread_t main_thread;

static void *self_worker(void *arg) {
    (void)arg;
    return (void *)(long)(pthread_equal(pthread_self(), main_thread) ? 1 : 2);
}

static void run_join_detach(void) {
    pthread_t t[5];
    void *ret;
    for (long i = 0; i < 5; i++)
        check(pthread_create(&t[i], NULL, joined_worker, (void *)(1000 * (i + 1))), "pthread_create");
    for (int i = 0; i < 5; i++) {
        check(pthread_join(t[i], &ret), "pthread_join");
        printf("join: thread %d returned %ld\n", i, (long)ret);
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 10; i++) {
            pthread_t d;
            check(pthread_create(&d, &attr, detached_worker, NULL), "pthread_create detached");
        }
    }
    pthread_mutex_lock(&lock);
    while (detached_done < 30) pthread_cond_wait(&detached_cv, &lock);
    pthread_mutex_unlock(&lock);
    printf("detach: %d detached threads reported\n", detached_done);
    pthread_t one;
    check(pthread_create(&one, NULL, joined_worker, (void *)10), "pthread_create");
    usleep(20000); /* it has ended (or not): join works either way */
    check(pthread_join(one, &ret), "pthread_join");
    printf("join after end: %ld\n", (long)ret);
    check(pthread_create(&one, NULL, exiting_worker, NULL), "pthread_create");
    check(pthread_join(one, &ret), "pthread_join");
    printf("pthread_exit value: %ld\n", (long)ret);
    main_thread = pthread_self();
    check(pthread_create(&one, NULL, self_worker, NULL), "pthread_create");
    check(pthread_join(one, &ret), "pthread_join");
    printf("pthread_self in a thread differs from main: %s\n", (long)ret == 2 ? "yes" : "no");
    /* Many short-lived threads, joined: stacks and thread ids are reused. */
    long total = 0;
    for (int i = 0; i < 200; i++) {
        check(pthread_create(&one, NULL, joined_worker, (void *)(long)i), "pthread_create");
        check(pthread_join(one, &ret), "pthread_join");
        total += (long)ret;
    }
    printf("200 create/join pairs: total %ld\n", total);
}

static int wake_pipe[2];
static volatile int blocker_stage;

static void on_usr1(int sig) { (void)sig; }

static void *blocker(void *arg) {
    (void)arg;
    char c;
    struct pollfd pfd = {.fd = wake_pipe[0], .events = POLLIN};
    blocker_stage = 1;
    int n = poll(&pfd, 1, -1);
    printf("poll returned %d, revents %#x\n", n, pfd.revents);
    check(read(wake_pipe[0], &c, 1) == 1 ? 0 : errno, "read after poll");
    fd_set set;
    FD_ZERO(&set);
    FD_SET(wake_pipe[0], &set);
    blocker_stage = 2;
    n = select(wake_pipe[0] + 1, &set, NULL, NULL, NULL);
    printf("select returned %d, readable %d\n", n, FD_ISSET(wake_pipe[0], &set) != 0);
    check(read(wake_pipe[0], &c, 1) == 1 ? 0 : errno, "read after select");
    blocker_stage = 3;
    n = pause();
    printf("pause returned %d (%s)\n", n, n == -1 && errno == EINTR ? "EINTR" : "?");
    return NULL;
}

/* Work the main thread does while the other one blocks: it finishes only if the blocked
 * thread does not hold it up. */
static long busy_work(void) {
    long s = 0;
    for (long i = 0; i < 2000000; i++) s += i % 7;
    return s;
}

static void run_blocking(void) {
    struct sigaction sa = {.sa_handler = on_usr1};
    sigemptyset(&sa.sa_mask);
    check(sigaction(SIGUSR1, &sa, NULL), "sigaction");
    check(pipe(wake_pipe), "pipe");
    pthread_t t;
    check(pthread_create(&t, NULL, blocker, NULL), "pthread_create");
    for (int stage = 1; stage <= 3; stage++) {
        while (blocker_stage < stage) sched_yield();
        usleep(20000); /* let it enter the blocking call */
        printf("main: work done while the thread blocks (%d): %ld\n", stage, busy_work());
        fflush(stdout);
        if (stage < 3) {
            check(write(wake_pipe[1], "x", 1) == 1 ? 0 : errno, "write");
        } else {
            /* pause may not have started yet: send until the thread ends. */
            struct timespec ts;
            for (;;) {
                check(pthread_kill(t, SIGUSR1), "pthread_kill");
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_nsec += 50000000;
                if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
                if (pthread_timedjoin_np(t, NULL, &ts) == 0) break;
            }
        }
    }
    printf("blocking: done\n");
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (argc > 2) atomic_n = atol(argv[2]);
    if (strcmp(mode, "mutex") == 0) run_mutex();
    else if (strcmp(mode, "atomic") == 0) run_atomic();
    else if (strcmp(mode, "condvar") == 0) run_condvar();
    else if (strcmp(mode, "tls") == 0) run_tls();
    else if (strcmp(mode, "join-detach") == 0) run_join_detach();
    else if (strcmp(mode, "blocking") == 0) run_blocking();
    else {
        fprintf(stderr, "usage: threads mutex|atomic [N]|condvar|tls|join-detach|blocking\n");
        return 2;
    }
    return 0;
}
