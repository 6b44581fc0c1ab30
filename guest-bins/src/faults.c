/* Synchronous faults delivered to the program's own handlers, as the kernel delivers them.
 * Every fault happens at a labelled instruction in inline assembly, so the handler can
 * compare si_addr and the PC in its ucontext with known addresses; nothing printed is an
 * address. The argument picks the scenario:
 *   null-write: store to address 0: SIGSEGV, handler siglongjmps out
 *   ro-retry:   store to a read-only page: SIGSEGV SEGV_ACCERR; the handler makes the page
 *               writable and returns, the store runs again and succeeds
 *   bus:        load from a file mapping past the end of the file: SIGBUS BUS_ADRERR
 *   div0:       x86-64 idiv by zero: SIGFPE FPE_INTDIV (AArch64 sdiv gives 0: no signal)
 *   ill:        ud2 / udf #0: SIGILL, siglongjmp out
 *   brk:        int3 / brk #0: SIGTRAP; the handler returns (on AArch64 it steps the PC
 *               over the brk, as a debugger would)
 *   regs:       registers in the ucontext at a faulting load: the instruction before it has
 *               run, the one after it has not
 *   flags:      every arithmetic flag in the ucontext at a faulting load, set by the
 *               instruction before it in a mix (x86-64: CF PF AF OF set, ZF SF clear; AArch64:
 *               Z C V set, N clear) and overwritten by the instruction after it
 *   fixup:      the handler points the faulting load's base register at valid memory and
 *               returns: the load runs again with it
 *   nested:     a second fault inside the SIGSEGV handler (SIGSEGV blocked there): death by
 *               SIGSEGV, as the kernel forces it
 *   helper:     faults on a PROT_NONE page in instructions that xlate runs in a helper (Rust
 *               code that translated code calls) on x86-64: movsq, rep stosb, fxsave; AArch64
 *               has no such instruction that touches memory, so there LD4 with post-index
 *               (lowered to plain loads) stands in. Each handler sees the instruction's PC,
 *               si_addr in the page, the address registers as before it, and siglongjmps */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static sigjmp_buf back;
static volatile int handled;
static volatile uintptr_t expect_addr, expect_pc;
static char *ro_page;
static uint64_t good_word = 0x600dbeef;

extern char fault_null[], fault_ro[], fault_bus[], fault_div[], fault_ill[], fault_brk[],
    fault_regs[], fault_fixup[], fault_nested[], fault_flags[];
#if defined(__x86_64__)
extern char fault_movs[], fault_stos[], fault_fxsave[];
#else
extern char fault_ld4[];
#endif
static char *none_page;
static volatile uintptr_t expect_reg0, expect_reg1, expect_reg2;

static uintptr_t uc_pc(void *ctx)
{
    ucontext_t *uc = ctx;
#if defined(__x86_64__)
    return uc->uc_mcontext.gregs[REG_RIP];
#else
    return uc->uc_mcontext.pc;
#endif
}

static void report(int sig, siginfo_t *si, void *ctx)
{
    int code = si->si_code;
#if defined(__aarch64__)
    /* Linux raises ILL_ILLOPC for an UNDEFINED instruction, qemu-user ILL_ILLOPN (the
     * oracle): only the signal's class is compared. */
    if (sig == SIGILL && (code == ILL_ILLOPC || code == ILL_ILLOPN))
        code = -1;
#endif
    printf("handler: sig %d si_signo %d si_code %d si_addr %s pc %s\n", sig, si->si_signo, code,
           (uintptr_t)si->si_addr == expect_addr ? "as expected"
           : si->si_addr == NULL                 ? "null"
                                                 : "other",
           uc_pc(ctx) == expect_pc ? "at the instruction" : "other");
    fflush(stdout);
    handled++;
}

static void jump_out(int sig, siginfo_t *si, void *ctx)
{
    report(sig, si, ctx);
    siglongjmp(back, 1);
}

static void ro_fix(int sig, siginfo_t *si, void *ctx)
{
    report(sig, si, ctx);
    mprotect(ro_page, 4096, PROT_READ | PROT_WRITE);
}

static void brk_return(int sig, siginfo_t *si, void *ctx)
{
    report(sig, si, ctx);
#if defined(__aarch64__)
    ((ucontext_t *)ctx)->uc_mcontext.pc += 4;
#endif
}

static void regs_handler(int sig, siginfo_t *si, void *ctx)
{
    report(sig, si, ctx);
    ucontext_t *uc = ctx;
#if defined(__x86_64__)
    greg_t *g = uc->uc_mcontext.gregs;
    printf("rbx %llx rdx %llx rsi %llx rdi %llx r8 %llx r9 %llx\n", (long long)g[REG_RBX],
           (long long)g[REG_RDX], (long long)g[REG_RSI], (long long)g[REG_RDI], (long long)g[REG_R8],
           (long long)g[REG_R9]);
    printf("carry %d zero %d\n", (int)(g[REG_EFL] & 1), (int)((g[REG_EFL] >> 6) & 1));
#else
    unsigned long long *x = uc->uc_mcontext.regs;
    printf("x9 %llx x10 %llx x12 %llx x13 %llx\n", x[9], x[10], x[12], x[13]);
    printf("carry %d zero %d\n", (int)((uc->uc_mcontext.pstate >> 29) & 1),
           (int)((uc->uc_mcontext.pstate >> 30) & 1));
#endif
    siglongjmp(back, 1);
}

static void flags_handler(int sig, siginfo_t *si, void *ctx)
{
    report(sig, si, ctx);
    ucontext_t *uc = ctx;
#if defined(__x86_64__)
    /* CF PF AF ZF SF OF */
    printf("eflags arithmetic bits %#llx\n", (long long)(uc->uc_mcontext.gregs[REG_EFL] & 0x8d5));
#else
    printf("nzcv %#llx\n", (long long)((uc->uc_mcontext.pstate >> 28) & 0xf));
#endif
    siglongjmp(back, 1);
}

static void fixup_handler(int sig, siginfo_t *si, void *ctx)
{
    report(sig, si, ctx);
    ucontext_t *uc = ctx;
#if defined(__x86_64__)
    uc->uc_mcontext.gregs[REG_RCX] = (greg_t)&good_word;
#else
    uc->uc_mcontext.regs[11] = (unsigned long long)&good_word;
#endif
}

static void nested_handler(int sig, siginfo_t *si, void *ctx)
{
    report(sig, si, ctx);
    puts("faulting again inside the handler");
    fflush(stdout);
    volatile int *volatile bad = (int *)8;
    *bad = 2;
    puts("survived the nested fault (wrong)");
}

static void helper_handler(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    uintptr_t a = (uintptr_t)si->si_addr, page = (uintptr_t)none_page;
#if defined(__x86_64__)
    greg_t *g = uc->uc_mcontext.gregs;
    int kept = (uintptr_t)g[REG_RSI] == expect_reg0 && (uintptr_t)g[REG_RDI] == expect_reg1 &&
               (uintptr_t)g[REG_RCX] == expect_reg2;
#else
    int kept = uc->uc_mcontext.regs[0] == expect_reg0;
#endif
    printf("handler: sig %d si_code %d si_addr in the page %d pc %s registers as before %d\n", sig,
           si->si_code, a >= page && a < page + 4096,
           uc_pc(ctx) == expect_pc ? "at the instruction" : "other", kept);
    fflush(stdout);
    handled++;
    siglongjmp(back, 1);
}

static void on(int sig, void (*fn)(int, siginfo_t *, void *))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void null_write(void)
{
    on(SIGSEGV, jump_out);
    expect_addr = 0;
    expect_pc = (uintptr_t)fault_null;
    if (sigsetjmp(back, 1) == 0) {
#if defined(__x86_64__)
        __asm__ volatile("xor %%eax, %%eax\n.globl fault_null\nfault_null: movl $1, (%%rax)" ::
                             : "rax", "memory");
#else
        __asm__ volatile("mov x0, #0\n.globl fault_null\nfault_null: str w0, [x0]" ::: "x0", "memory");
#endif
        puts("no fault (wrong)");
    } else {
        puts("back from the handler by siglongjmp");
    }
}

static void ro_retry(void)
{
    ro_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    on(SIGSEGV, ro_fix);
    expect_addr = (uintptr_t)ro_page + 8;
    expect_pc = (uintptr_t)fault_ro;
#if defined(__x86_64__)
    __asm__ volatile(".globl fault_ro\nfault_ro: movl $7, 8(%0)" ::"r"(ro_page) : "memory");
#else
    __asm__ volatile("mov w1, #7\n.globl fault_ro\nfault_ro: str w1, [%0, #8]" ::"r"(ro_page)
                     : "x1", "memory");
#endif
    printf("after the retried store: %d (handled %d)\n", ((int *)ro_page)[2], handled);
}

static void bus(void)
{
    char path[] = "/tmp/xlate-faults-XXXXXX";
    int fd = mkstemp(path);
    unlink(path);
    if (fd < 0 || write(fd, "x", 1) != 1) {
        puts("no temporary file");
        exit(1);
    }
    char *p = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
    on(SIGBUS, jump_out);
    expect_addr = (uintptr_t)p + 4096;
    expect_pc = (uintptr_t)fault_bus;
    if (sigsetjmp(back, 1) == 0) {
        int v;
#if defined(__x86_64__)
        __asm__ volatile(".globl fault_bus\nfault_bus: movl 4096(%1), %0" : "=r"(v) : "r"(p) : "memory");
#else
        __asm__ volatile(".globl fault_bus\nfault_bus: ldr %w0, [%1, #4096]" : "=r"(v) : "r"(p) : "memory");
#endif
        printf("no fault (wrong): %d\n", v);
    } else {
        puts("back from the handler by siglongjmp");
    }
}

static void div0(void)
{
    on(SIGFPE, jump_out);
    expect_addr = (uintptr_t)fault_div;
    expect_pc = (uintptr_t)fault_div;
    if (sigsetjmp(back, 1) == 0) {
        long q;
#if defined(__x86_64__)
        __asm__ volatile("mov $100, %%eax\ncqo\nxor %%ecx, %%ecx\n.globl fault_div\nfault_div: idiv %%rcx"
                         : "=a"(q)
                         :
                         : "rcx", "rdx");
#else
        __asm__ volatile("mov x1, #100\nmov x2, #0\n.globl fault_div\nfault_div: sdiv %0, x1, x2"
                         : "=r"(q)
                         :
                         : "x1", "x2");
#endif
        printf("no trap, quotient %ld\n", q);
    } else {
        puts("back from the handler by siglongjmp");
    }
}

static void ill(void)
{
    on(SIGILL, jump_out);
    expect_addr = (uintptr_t)fault_ill;
    expect_pc = (uintptr_t)fault_ill;
    if (sigsetjmp(back, 1) == 0) {
#if defined(__x86_64__)
        __asm__ volatile(".globl fault_ill\nfault_ill: ud2");
#else
        __asm__ volatile(".globl fault_ill\nfault_ill: udf #0");
#endif
        puts("no fault (wrong)");
    } else {
        puts("back from the handler by siglongjmp");
    }
}

static void breakpoint(void)
{
    on(SIGTRAP, brk_return);
#if defined(__x86_64__)
    expect_addr = 0;
    expect_pc = (uintptr_t)fault_brk + 1; /* the kernel reports the PC after int3 */
    __asm__ volatile(".globl fault_brk\nfault_brk: int3");
#else
    expect_addr = (uintptr_t)fault_brk;
    expect_pc = (uintptr_t)fault_brk;
    __asm__ volatile(".globl fault_brk\nfault_brk: brk #0");
#endif
    printf("resumed after the breakpoint (handled %d)\n", handled);
}

static void regs(void)
{
    on(SIGSEGV, regs_handler);
    expect_addr = 16;
    expect_pc = (uintptr_t)fault_regs;
    if (sigsetjmp(back, 1) == 0) {
#if defined(__x86_64__)
        __asm__ volatile("mov $0x1111, %%ebx\nmov $0x2222, %%edx\nmov $0x3333, %%esi\n"
                         "mov $0x4444, %%edi\nmov $0x5555, %%r8d\nmov $0x6666, %%r9d\n"
                         "mov $16, %%ecx\n"
                         "add $5, %%rbx\n"
                         "cmp %%rbx, %%rbx\n"
                         "lea 1(%%rsi), %%rsi\n"
                         ".globl fault_regs\nfault_regs: mov (%%rcx), %%rdx\n"
                         "mov $0x9999, %%edi\n"
                         "add $1, %%r8\n" ::
                             : "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "cc", "memory");
#else
        __asm__ volatile("mov x9, #0x1111\nmov x10, #0x2222\nmov x12, #0x3333\nmov x13, #0x4444\n"
                         "mov x11, #16\n"
                         "add x9, x9, #5\n"
                         "cmp x9, x9\n"
                         "add x12, x12, #1\n"
                         ".globl fault_regs\nfault_regs: ldr x10, [x11]\n"
                         "mov x13, #0x9999\n" ::
                             : "x9", "x10", "x11", "x12", "x13", "cc", "memory");
#endif
        puts("no fault (wrong)");
    } else {
        puts("back from the handler by siglongjmp");
    }
}

static void flags(void)
{
    on(SIGSEGV, flags_handler);
    expect_addr = 32;
    expect_pc = (uintptr_t)fault_flags;
    if (sigsetjmp(back, 1) == 0) {
#if defined(__x86_64__)
        __asm__ volatile("movabs $0x800000000000000f, %%rax\n"
                         "mov $32, %%ecx\n"
                         "add %%rax, %%rax\n"
                         ".globl fault_flags\nfault_flags: mov (%%rcx), %%rdx\n"
                         "cmp %%rdx, %%rdx\n" ::
                             : "rax", "rcx", "rdx", "cc", "memory");
#else
        __asm__ volatile("mov x9, #0x8000000000000000\n"
                         "mov x11, #32\n"
                         "adds x9, x9, x9\n"
                         ".globl fault_flags\nfault_flags: ldr x10, [x11]\n"
                         "cmn x10, #1\n" ::
                             : "x9", "x10", "x11", "cc", "memory");
#endif
        puts("no fault (wrong)");
    } else {
        puts("back from the handler by siglongjmp");
    }
}

static void fixup(void)
{
    on(SIGSEGV, fixup_handler);
    expect_addr = 24;
    expect_pc = (uintptr_t)fault_fixup;
    uint64_t v;
#if defined(__x86_64__)
    __asm__ volatile("mov $24, %%ecx\n.globl fault_fixup\nfault_fixup: mov (%%rcx), %0"
                     : "=r"(v)
                     :
                     : "rcx", "memory");
#else
    __asm__ volatile("mov x11, #24\n.globl fault_fixup\nfault_fixup: ldr %0, [x11]"
                     : "=r"(v)
                     :
                     : "x11", "memory");
#endif
    printf("the retried load read %llx (handled %d)\n", (unsigned long long)v, handled);
}

static void nested(void)
{
    on(SIGSEGV, nested_handler);
    expect_addr = 0;
    expect_pc = (uintptr_t)fault_nested;
#if defined(__x86_64__)
    __asm__ volatile("xor %%eax, %%eax\n.globl fault_nested\nfault_nested: movl $1, (%%rax)" ::: "rax", "memory");
#else
    __asm__ volatile("mov x0, #0\n.globl fault_nested\nfault_nested: str w0, [x0]" ::: "x0", "memory");
#endif
    puts("returned (wrong)");
}

static void helper(void)
{
    none_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    on(SIGSEGV, helper_handler);
#if defined(__x86_64__)
    static char buf[64];
    expect_pc = (uintptr_t)fault_movs;
    expect_reg0 = (uintptr_t)none_page, expect_reg1 = (uintptr_t)buf, expect_reg2 = 3;
    if (sigsetjmp(back, 1) == 0) {
        __asm__ volatile("mov %0, %%rsi\nmov %1, %%rdi\nmov $3, %%ecx\n"
                         ".globl fault_movs\nfault_movs: movsq" ::"r"(none_page),
                         "r"(buf)
                         : "rsi", "rdi", "rcx", "memory");
        puts("movsq: no fault (wrong)");
    }
    expect_pc = (uintptr_t)fault_stos;
    expect_reg0 = 0, expect_reg1 = (uintptr_t)none_page, expect_reg2 = 8;
    if (sigsetjmp(back, 1) == 0) {
        __asm__ volatile("xor %%esi, %%esi\nmov %0, %%rdi\nmov $8, %%ecx\nmov $0x5a, %%eax\n"
                         ".globl fault_stos\nfault_stos: rep stosb" ::"r"(none_page)
                         : "rax", "rsi", "rdi", "rcx", "memory");
        puts("rep stosb: no fault (wrong)");
    }
    expect_pc = (uintptr_t)fault_fxsave;
    expect_reg0 = 0, expect_reg1 = (uintptr_t)none_page, expect_reg2 = 0;
    if (sigsetjmp(back, 1) == 0) {
        __asm__ volatile("xor %%esi, %%esi\nxor %%ecx, %%ecx\nmov %0, %%rdi\n"
                         ".globl fault_fxsave\nfault_fxsave: fxsave (%%rdi)" ::"r"(none_page)
                         : "rsi", "rdi", "rcx", "memory");
        puts("fxsave: no fault (wrong)");
    }
#else
    expect_pc = (uintptr_t)fault_ld4;
    expect_reg0 = (uintptr_t)none_page;
    if (sigsetjmp(back, 1) == 0) {
        __asm__ volatile("mov x0, %0\n.globl fault_ld4\n"
                         "fault_ld4: ld4 {v0.16b, v1.16b, v2.16b, v3.16b}, [x0], #64" ::"r"(none_page)
                         : "x0", "v0", "v1", "v2", "v3", "memory");
        puts("ld4: no fault (wrong)");
    }
#endif
    printf("faults in helper instructions handled: %d\n", handled);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    static const struct {
        const char *name;
        void (*fn)(void);
    } modes[] = {{"null-write", null_write}, {"ro-retry", ro_retry}, {"bus", bus},
                 {"div0", div0},             {"ill", ill},           {"brk", breakpoint},
                 {"regs", regs},             {"fixup", fixup},       {"nested", nested},
                 {"helper", helper},         {"flags", flags}};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        if (strcmp(mode, modes[i].name) == 0) {
            printf("faults: %s\n", mode);
            fflush(stdout);
            modes[i].fn();
            return 0;
        }
    }
    puts("unknown mode");
    return 2;
}
