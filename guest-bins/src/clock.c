/* Clocks, checked for sanity only (the values themselves differ from run to run): monotonic
 * never goes back, realtime is in a plausible range and agrees with gettimeofday and time(),
 * a short nanosleep advances the monotonic clock, the CPU-time clock moves forward. Prints
 * "ok" or "bad" per check, never a time. */
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

static double secs(struct timespec t) { return (double)t.tv_sec + t.tv_nsec / 1e9; }

static void check(const char *what, int good)
{
    printf("%-44s %s\n", what, good ? "ok" : "bad");
}

int main(void)
{
    struct timespec a, b, res;
    int mono_ok = 1, nsec_ok = 1;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < 10000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (b.tv_sec < a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec < a.tv_nsec))
            mono_ok = 0;
        if (b.tv_nsec < 0 || b.tv_nsec >= 1000000000)
            nsec_ok = 0;
        a = b;
    }
    check("CLOCK_MONOTONIC non-decreasing", mono_ok);
    check("tv_nsec in range", nsec_ok);

    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    /* 2020-01-01 .. 2100-01-01 */
    check("CLOCK_REALTIME plausible", rt.tv_sec > 1577836800 && rt.tv_sec < 4102444800);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    check("gettimeofday agrees with CLOCK_REALTIME",
          tv.tv_usec >= 0 && tv.tv_usec < 1000000 &&
              (double)tv.tv_sec + tv.tv_usec / 1e6 - secs(rt) > -1 &&
              (double)tv.tv_sec + tv.tv_usec / 1e6 - secs(rt) < 5);
    time_t t = time(NULL);
    check("time() agrees with CLOCK_REALTIME", t >= rt.tv_sec - 1 && t <= rt.tv_sec + 5);

    check("clock_getres(CLOCK_MONOTONIC) fine enough",
          clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec <= 1000000);

    clock_gettime(CLOCK_MONOTONIC, &a);
    struct timespec nap = {0, 2000000}; /* 2 ms */
    int slept = nanosleep(&nap, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double dt = secs(b) - secs(a);
    check("nanosleep 2 ms advances CLOCK_MONOTONIC", slept == 0 && dt >= 0.002 && dt < 5);

    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    volatile double x = 0;
    for (int i = 0; i < 3000000; i++)
        x += i * 0.5;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    check("CLOCK_PROCESS_CPUTIME_ID advances", secs(c1) > secs(c0));
    clock_t ck = clock();
    check("clock() non-negative", ck >= 0);
    struct tm tm;
    time_t fixed = 1700000000;
    gmtime_r(&fixed, &tm);
    printf("gmtime(1700000000) = %04d-%02d-%02d %02d:%02d:%02d wday %d yday %d\n",
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
           tm.tm_wday, tm.tm_yday);
    return 0;
}
