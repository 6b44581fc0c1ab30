/* rep string instructions that fault part-way: rep movsb/movsq (forward, backward with DF=1,
 * overlapping both ways), rep stosb/stosq, rep lodsb, repe cmpsb and repne scasb running
 * into a PROT_NONE page (or a read-only one for the stores). A SIGSEGV handler prints what
 * the signal frame shows: rcx, rsi and rdi (as offsets from the buffers they point into),
 * rax for lods, the status flags and DF, where the fault was and a hash of the destination;
 * then it makes the pages readable and writable and returns, so the instruction resumes from
 * where it stopped. The program then prints the registers, flags and destination hash after
 * it. A processor stops between elements: the registers show the elements already done
 * (the SDM's REP entry), and memory holds exactly those. Nothing printed is an address.
 * AArch64 builds print a fixed line (the cases are x86-64 ones). */
#define _GNU_SOURCE
#include <stdio.h>

#if defined(__x86_64__)
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <ucontext.h>

#define PAGE 4096
/* Four pages: [0] and [3] are the ones made inaccessible, [1] and [2] stay writable. */
static unsigned char *region;
/* A writable buffer elsewhere (the other side of the copies). */
static unsigned char buf[4 * PAGE];
static int faults;

/* The status flags (CF PF AF ZF SF OF) and DF. */
#define FLAGS_MASK 0xcd5ul

static void print_ptr(const char *name, uint64_t p) {
    uint64_t r = (uint64_t)region, b = (uint64_t)buf;
    if (p >= r && p <= r + 4 * PAGE)
        printf(" %s R%+ld", name, (long)(p - r));
    else if (p >= b && p <= b + sizeof buf)
        printf(" %s B%+ld", name, (long)(p - b));
    else
        printf(" %s ?", name);
}

static uint64_t hash(const unsigned char *p, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static uint64_t hash_all(void) {
    /* Both buffers (the region made readable by the caller first). */
    return hash(region, 4 * PAGE) ^ (hash(buf, sizeof buf) * 3);
}

static void handler(int sig, siginfo_t *si, void *uc_) {
    (void)sig;
    ucontext_t *uc = uc_;
    greg_t *g = uc->uc_mcontext.gregs;
    /* A handler that made no progress would be entered again: stop after a few. */
    if (++faults > 3) {
        printf("  fault again: giving up\n");
        fflush(stdout);
        _exit(3);
    }
    printf("  fault: rcx %lld", (long long)g[REG_RCX]);
    print_ptr("rsi", (uint64_t)g[REG_RSI]);
    print_ptr("rdi", (uint64_t)g[REG_RDI]);
    printf(" rax %016llx flags %03llx", (unsigned long long)g[REG_RAX],
           (unsigned long long)(g[REG_EFL] & FLAGS_MASK));
    print_ptr("at", (uint64_t)si->si_addr);
    mprotect(region, 4 * PAGE, PROT_READ | PROT_WRITE);
    printf(" memory %016llx\n", (unsigned long long)hash_all());
}

struct regs {
    uint64_t rcx, rsi, rdi, rax, flags;
};

/* Sets the flags to `flags` (through popfq: DF included), runs `insn` with rcx, rsi, rdi and
 * rax as given, saves the registers and flags after it and clears DF. */
#define CASE(fn, insn)                                                                              \
    static void fn(struct regs *r) {                                                                \
        uint64_t f;                                                                                 \
        __asm__ volatile("pushq %[fl]\n\tpopfq\n\t" insn "\n\tpushfq\n\tpopq %[fo]\n\tcld"          \
                         : "+c"(r->rcx), "+S"(r->rsi), "+D"(r->rdi), "+a"(r->rax), [fo] "=&r"(f)     \
                         : [fl] "r"(r->flags)                                                       \
                         : "cc", "memory");                                                         \
        r->flags = f;                                                                               \
    }
CASE(rep_movsb, "rep movsb")
CASE(rep_movsq, "rep movsq")
CASE(rep_stosb, "rep stosb")
CASE(rep_stosq, "rep stosq")
CASE(rep_lodsb, "rep lodsb")
CASE(repe_cmpsb, "repe cmpsb")
CASE(repne_scasb, "repne scasb")

static void fill(void) {
    mprotect(region, 4 * PAGE, PROT_READ | PROT_WRITE);
    for (int i = 0; i < 4 * PAGE; i++) region[i] = (unsigned char)((i * 7 + 1) & 0x7f); /* never 0xee */
    for (int i = 0; i < (int)sizeof buf; i++) buf[i] = (unsigned char)(i * 13 + 5);
}

/* prot: page 0's and page 3's protection while the instruction runs. */
static void one(const char *name, void (*f)(struct regs *), int prot, uint64_t rcx, unsigned char *si,
                unsigned char *di, uint64_t rax, uint64_t flags) {
    fill();
    mprotect(region, PAGE, prot);
    mprotect(region + 3 * PAGE, PAGE, prot);
    struct regs r = {rcx, (uint64_t)si, (uint64_t)di, rax, flags};
    printf("%s, rcx %llu, %s", name, (unsigned long long)rcx, prot == PROT_NONE ? "no access" : "read-only");
    print_ptr("rsi", r.rsi);
    print_ptr("rdi", r.rdi);
    printf(" flags %03llx\n", (unsigned long long)flags);
    faults = 0;
    f(&r);
    mprotect(region, 4 * PAGE, PROT_READ | PROT_WRITE);
    printf("  after (%d faults): rcx %llu", faults, (unsigned long long)r.rcx);
    print_ptr("rsi", r.rsi);
    print_ptr("rdi", r.rdi);
    printf(" rax %016llx flags %03llx memory %016llx\n", (unsigned long long)r.rax,
           (unsigned long long)(r.flags & FLAGS_MASK), (unsigned long long)hash_all());
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    region = mmap(0, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) return 1;
    unsigned char *end = region + 3 * PAGE; /* the start of the last page */
    unsigned char *low = region + PAGE;     /* the end of the first page */
    const uint64_t some = 0x8c5;            /* OF SF ZF PF CF: no compare gives them all */

    /* Copies: the source runs into an inaccessible page, or the destination into a read-only
     * one. */
    one("rep movsb source", rep_movsb, PROT_NONE, 3000, end - 1000, buf + 100, 0, 0x202);
    one("rep movsb destination", rep_movsb, PROT_READ, 3000, buf + 100, end - 1001, 0, 0x202);
    one("rep movsb large", rep_movsb, PROT_READ, 3 * PAGE - 16, buf, end - 2 * PAGE + 5, 0, 0x202);
    /* Overlapping: replicating (rdi a little above rsi), and rdi below rsi. */
    one("rep movsb rdi=rsi+3", rep_movsb, PROT_READ, 2000, end - 700, end - 697, 0, 0x202);
    one("rep movsb rdi=rsi-5", rep_movsb, PROT_NONE, 2000, end - 700, end - 705, 0, 0x202);
    one("rep movsq source", rep_movsq, PROT_NONE, 300, end - 803, buf + 8, 0, 0x202);
    one("rep movsq destination", rep_movsq, PROT_READ, 300, buf + 8, end - 804, 0, 0x202);
    /* DF=1: downwards into the first page. */
    one("std; rep movsb source", rep_movsb, PROT_NONE, 3000, low + 999, buf + 3500, 0, 0x602);
    one("std; rep movsq destination", rep_movsq, PROT_READ, 300, buf + 3000, low + 800, 0, 0x602);
    /* Fills. */
    one("rep stosb", rep_stosb, PROT_READ, 5000, 0, end - 3333, 0x1122334455667788ull, 0x202);
    one("rep stosq", rep_stosq, PROT_READ, 700, 0, end - 4004, 0x1122334455667788ull, 0x202);
    one("std; rep stosq", rep_stosq, PROT_READ, 700, 0, low + 4000, 0x1122334455667788ull, 0x602);
    /* Loads: rax holds the last element loaded. */
    one("rep lodsb", rep_lodsb, PROT_NONE, 1000, end - 77, buf, 0x1122334455667788ull, 0x202);
    /* Compares: the flags before the instruction set to a pattern no compare gives. */
    one("repe cmpsb", repe_cmpsb, PROT_NONE, 1000, end - 500, end - 500, 0, 0x202 | some);
    one("repne scasb", repne_scasb, PROT_NONE, 1000, 0, end - 300, 0xee, 0x202 | some);
    one("std; repne scasb", repne_scasb, PROT_NONE, 1000, 0, low + 300, 0xee, 0x602 | some);
    return 0;
}
#else
int main(void) {
    printf("repfault: x86-64 cases only\n");
    return 0;
}
#endif
