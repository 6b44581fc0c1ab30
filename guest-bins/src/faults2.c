/* Fault signals of the CPU's protection rules, as the kernel reports them (the second part of
 * faults.c: same report line). The argument picks the scenario:
 *   noexec:     a call into a mapped page without PROT_EXEC: SIGSEGV SEGV_ACCERR at the page
 *               (both ISAs)
 *   misaligned: (AArch64) a branch to an address that is not a multiple of 4: SIGBUS
 *               BUS_ADRALN; (x86-64: prints a line only)
 *   noncanon:   (x86-64) loads from a non-canonical address: through rax (#GP: SIGSEGV
 *               SI_KERNEL, si_addr 0), through rbp and through rsp (#SS, the stack segment:
 *               what the kernel gives for it), on an alternate signal stack
 *   noncanon2:  (x86-64) non-canonical addresses that an AArch64 host would not fault on by
 *               itself (xlate --exact-addresses): a mapped variable's address with a non-zero
 *               top byte or bit 47 set, through a load, a store, a locked add, an SSE load,
 *               rep movsb (either operand) and rep stosb: #GP each, SIGSEGV SI_KERNEL
 *   priv:       (x86-64) privileged and I/O instructions in user mode (#GP: SIGSEGV
 *               SI_KERNEL, si_addr 0) and int with a vector other than 3 and 0x80
 *   int80:      (x86-64) the 32-bit system call entry in a 64-bit process: write, getpid,
 *               an unknown number (-ENOSYS), registers truncated to 32 bits, then exit
 * Nothing printed is an address. */
#define _GNU_SOURCE
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
static volatile uintptr_t expect_addr, expect_pc;

static uintptr_t uc_pc(void *ctx)
{
    ucontext_t *uc = ctx;
#if defined(__x86_64__)
    return uc->uc_mcontext.gregs[REG_RIP];
#else
    return uc->uc_mcontext.pc;
#endif
}

static void jump_out(int sig, siginfo_t *si, void *ctx)
{
    printf("  handler: sig %d si_code %d si_addr %s pc %s\n", sig, si->si_code,
           (uintptr_t)si->si_addr == expect_addr ? "as expected"
           : si->si_addr == NULL                 ? "null"
                                                 : "other",
           uc_pc(ctx) == expect_pc ? "at the instruction" : "other");
    fflush(stdout);
    siglongjmp(back, 1);
}

static void on(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = jump_out;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void handlers(void)
{
    static char altstack[65536];
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
    sigaltstack(&ss, NULL);
    on(SIGSEGV);
    on(SIGBUS);
    on(SIGILL);
    on(SIGTRAP);
}

static void noexec(void)
{
    unsigned char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
#if defined(__x86_64__)
    page[0] = 0xc3; /* ret */
#else
    memcpy(page, "\xc0\x03\x5f\xd6", 4); /* ret */
#endif
    expect_addr = expect_pc = (uintptr_t)page;
    puts("call into a read-write page");
    if (sigsetjmp(back, 1) == 0) {
        ((void (*)(void))page)();
        puts("  no fault (wrong)");
    }
}

static void misaligned(void)
{
#if defined(__aarch64__)
    extern char misaligned_target[];
    expect_addr = expect_pc = (uintptr_t)misaligned_target + 2;
    puts("branch to an address 2 bytes into an instruction");
    if (sigsetjmp(back, 1) == 0) {
        __asm__ volatile("adr x16, misaligned_target\n add x16, x16, #2\n br x16\n"
                         ".globl misaligned_target\nmisaligned_target: nop\n nop" ::: "x16", "memory");
        puts("  no fault (wrong)");
    }
#else
    puts("x86-64 branches to any byte");
#endif
}

#if defined(__x86_64__)
extern char nc_rax[], nc_rbp[], nc_rsp[], nc_push[];

static void noncanon(void)
{
    expect_addr = 0;
    puts("load through rax = 0x8000000000000000");
    expect_pc = (uintptr_t)nc_rax;
    if (sigsetjmp(back, 1) == 0) {
        __asm__ volatile("movabs $0x8000000000000000, %%rax\n.globl nc_rax\nnc_rax: mov (%%rax), %%rax" :::
                             "rax", "memory");
        puts("  no fault (wrong)");
    }
    puts("load through rbp = 0x8000000000000000");
    expect_pc = (uintptr_t)nc_rbp;
    if (sigsetjmp(back, 1) == 0) {
        __asm__ volatile("push %%rbp\n movabs $0x8000000000000000, %%rbp\n.globl nc_rbp\nnc_rbp: mov 8(%%rbp), %%rax\n"
                         "pop %%rbp" ::: "rax", "memory");
        puts("  no fault (wrong)");
    }
    puts("load through rsp = 0x8000000000000000");
    expect_pc = (uintptr_t)nc_rsp;
    if (sigsetjmp(back, 1) == 0) {
        __asm__ volatile("mov %%rsp, %%rbx\n movabs $0x8000000000000000, %%rsp\n.globl nc_rsp\nnc_rsp: mov 8(%%rsp), %%rax\n"
                         "mov %%rbx, %%rsp" ::: "rax", "rbx", "memory");
        puts("  no fault (wrong)");
    }
    puts("push with rsp = 0x8000000000000008");
    expect_pc = (uintptr_t)nc_push;
    if (sigsetjmp(back, 1) == 0) {
        __asm__ volatile("mov %%rsp, %%rbx\n movabs $0x8000000000000008, %%rsp\n.globl nc_push\nnc_push: push %%rax\n"
                         "mov %%rbx, %%rsp" ::: "rax", "rbx", "memory");
        puts("  no fault (wrong)");
    }
}

static char nc_data[64] __attribute__((aligned(16), used));

/* Prints `text`, then runs the statement after it, whose instruction at `label` must fault
 * (the handler reports the fault and jumps back). */
#define FAULT_AT(label, text, ...)                                                                 \
    do {                                                                                           \
        extern char label[];                                                                       \
        puts(text);                                                                                \
        expect_addr = 0;                                                                           \
        expect_pc = (uintptr_t)label;                                                              \
        if (sigsetjmp(back, 1) == 0) {                                                             \
            __VA_ARGS__;                                                                           \
            puts("  no fault (wrong)");                                                            \
        }                                                                                          \
    } while (0)

/* One access with rax = the non-canonical address `bad` (rsi = rdi = a canonical buffer,
 * rcx = 8, unless the instruction text sets them). */
#define NC2(label, text, bad, insn)                                                                \
    FAULT_AT(label, text,                                                                          \
             __asm__ volatile("mov %0, %%rax\n lea nc_data(%%rip), %%rsi\n mov %%rsi, %%rdi\n"      \
                              " mov $8, %%ecx\n" insn ::"r"((uintptr_t)(bad))                       \
                              : "rax", "rcx", "rsi", "rdi", "xmm0", "memory"))

static void noncanon2(void)
{
    uintptr_t top = (uintptr_t)nc_data | 0x0100000000000000ull; /* top byte only */
    uintptr_t b47 = (uintptr_t)nc_data | 0x0000800000000000ull; /* bit 47 only */
    NC2(nc2_load, "load [rax], rax = data | 1 << 56", top, ".globl nc2_load\nnc2_load: mov (%%rax), %%rax");
    NC2(nc2_load47, "load [rax], rax = data | 1 << 47", b47, ".globl nc2_load47\nnc2_load47: mov (%%rax), %%rax");
    NC2(nc2_store, "store [rax+8], rax = data | 1 << 56", top, ".globl nc2_store\nnc2_store: mov %%ecx, 8(%%rax)");
    NC2(nc2_lock, "lock add [rax], rax = data | 1 << 47", b47, ".globl nc2_lock\nnc2_lock: lock addl %%ecx, (%%rax)");
    NC2(nc2_sse, "movdqu xmm0, [rax], rax = data | 1 << 56", top, ".globl nc2_sse\nnc2_sse: movdqu (%%rax), %%xmm0");
    NC2(nc2_movs_si, "rep movsb, rsi = data | 1 << 56", top,
        "mov %%rax, %%rsi\n.globl nc2_movs_si\nnc2_movs_si: rep movsb");
    NC2(nc2_movs_di, "rep movsb, rdi = data | 1 << 47", b47,
        "mov %%rax, %%rdi\n.globl nc2_movs_di\nnc2_movs_di: rep movsb");
    NC2(nc2_stos, "rep stosb, rdi = data | 1 << 56", top,
        "mov %%rax, %%rdi\n.globl nc2_stos\nnc2_stos: rep stosb");
}

/* One privileged instruction: its name and its bytes, run at a known address. */
#define PRIV(label, text, insn)                                                                    \
    FAULT_AT(label, text,                                                                          \
             __asm__ volatile("xor %%eax, %%eax\n xor %%ecx, %%ecx\n xor %%edx, %%edx\n lea 64(%%rsp), %%rbx\n" \
                              ".globl " #label "\n" #label ": " insn ::: "rax", "rbx", "rcx", "rdx", "memory"))

static void priv(void)
{
    PRIV(p_hlt, "hlt", "hlt");
    PRIV(p_cli, "cli", "cli");
    PRIV(p_sti, "sti", "sti");
    PRIV(p_in, "in al, dx", "in %%dx, %%al");
    PRIV(p_out, "out dx, al", "out %%al, %%dx");
    PRIV(p_inimm, "in al, 0x60", "in $0x60, %%al");
    PRIV(p_rdmsr, "rdmsr", "rdmsr");
    PRIV(p_wrmsr, "wrmsr", "wrmsr");
    PRIV(p_lgdt, "lgdt [rbx]", "lgdt (%%rbx)");
    PRIV(p_lidt, "lidt [rbx]", "lidt (%%rbx)");
    PRIV(p_invlpg, "invlpg [rbx]", "invlpg (%%rbx)");
    PRIV(p_movcr, "mov rax, cr0", "mov %%cr0, %%rax");
    PRIV(p_tocr, "mov cr3, rax", "mov %%rax, %%cr3");
    PRIV(p_movdr, "mov rax, dr7", "mov %%db7, %%rax");
    PRIV(p_wbinvd, "wbinvd", "wbinvd");
    PRIV(p_clts, "clts", "clts");
    PRIV(p_int21, "int 0x21", "int $0x21");
    PRIV(p_int81, "int 0x81", "int $0x81");
}

static long int80(long nr, long a, long b, long c)
{
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
    return r;
}

static void ia32(void)
{
    static const char msg[] = "  written by the ia32 write\n";
    fflush(stdout);
    long n = int80(4, 1, (long)(uintptr_t)msg, sizeof msg - 1); /* ia32 write */
    printf("  write returned %ld\n", n);
    printf("  getpid matches: %d\n", int80(20, 0, 0, 0) == getpid()); /* ia32 getpid */
    /* The upper halves are dropped: fd 1 | (1 << 32) is fd 1. */
    fflush(stdout);
    n = int80(4, 1L | 1L << 32, (long)(uintptr_t)msg, sizeof msg - 1);
    printf("  write with high bits set returned %ld\n", n);
    printf("  number 500: %ld\n", int80(500, 0, 0, 0));
    /* The result is eax sign-extended: a 32-bit error code. */
    printf("  close(-1): %ld\n", int80(6, -1, 0, 0));
    fflush(stdout);
    int80(1, 3, 0, 0); /* ia32 exit(3) */
    puts("  exit returned (wrong)");
}
#endif

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    handlers();
    const char *what = argc > 1 ? argv[1] : "";
    if (!strcmp(what, "noexec"))
        noexec();
    else if (!strcmp(what, "misaligned"))
        misaligned();
#if defined(__x86_64__)
    else if (!strcmp(what, "noncanon"))
        noncanon();
    else if (!strcmp(what, "noncanon2"))
        noncanon2();
    else if (!strcmp(what, "priv"))
        priv();
    else if (!strcmp(what, "int80"))
        ia32();
#else
    else if (!strcmp(what, "noncanon") || !strcmp(what, "noncanon2") || !strcmp(what, "priv") ||
             !strcmp(what, "int80"))
        puts("x86-64 only");
#endif
    else {
        printf("unknown scenario %s\n", what);
        return 2;
    }
    return 0;
}
