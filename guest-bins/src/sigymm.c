// build-x86_64: -O2 -mavx2
/* The upper halves of the ymm registers across a signal: the handler finds them in the
 * signal frame's XSAVE-format FP state (FP_XSTATE_MAGIC1 in the software bytes, AVX in
 * xfeatures and XSTATE_BV, YMM_Hi128 at offset 576, FP_XSTATE_MAGIC2 after the area),
 * clobbers the live register, changes the saved copy, and rt_sigreturn restores the saved
 * copy. AArch64 builds print a fixed line (no ymm registers).
 *   split-store  a 32-byte store (vmovdqu, vmovups) that crosses into or out of a PROT_NONE
 *                page faults without writing any byte, wherever the page boundary falls;
 *                prints, per case, the bytes written and si_addr relative to the boundary */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <setjmp.h>
#include <sys/mman.h>
#include <ucontext.h>

static sigjmp_buf split_jump;
static char *split_addr;

static void split_handler(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)ctx;
    split_addr = si->si_addr;
    siglongjmp(split_jump, 1);
}

static int split_store(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = split_handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    char *p = mmap(0, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 1;
    char *boundary = p + 4096;
    static const char *names[] = {"vmovdqu", "vmovups"};
    for (int insn = 0; insn < 2; insn++)
        for (int none_first = 0; none_first < 2; none_first++)
            for (int before = 4; before < 32; before += 4) {
                memset(p, 0, 2 * 4096);
                mprotect(none_first ? p : boundary, 4096, PROT_NONE);
                char *a = boundary - before;
                split_addr = 0;
                int faulted = 0;
                if (sigsetjmp(split_jump, 1) == 0) {
                    if (insn == 0)
                        __asm__ volatile("vpcmpeqb %%ymm0, %%ymm0, %%ymm0\n\tvmovdqu %%ymm0, (%0)\n\tvzeroupper"
                                         :
                                         : "r"(a)
                                         : "xmm0", "memory");
                    else
                        __asm__ volatile("vpcmpeqb %%ymm0, %%ymm0, %%ymm0\n\tvmovups %%ymm0, (%0)\n\tvzeroupper"
                                         :
                                         : "r"(a)
                                         : "xmm0", "memory");
                } else {
                    faulted = 1;
                }
                mprotect(p, 2 * 4096, PROT_READ | PROT_WRITE);
                int written = 0;
                for (int i = 0; i < 2 * 4096; i++) written += p[i] != 0;
                printf("%s, PROT_NONE %s page, %2d bytes before it: faulted %d, written %d, si_addr %+ld\n",
                       names[insn], none_first ? "first" : "second", before, faulted, written,
                       faulted ? (long)(split_addr - boundary) : 0L);
            }
    return 0;
}

static uint64_t seen[2];
static int magic1_ok, magic2_ok, xfeatures_avx, bv_avx;

static void handler(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)si;
    ucontext_t *uc = ctx;
    unsigned char *fp = (unsigned char *)uc->uc_mcontext.fpregs;
    uint32_t magic1, xstate_size, magic2;
    uint64_t xfeatures, bv;
    memcpy(&magic1, fp + 464, 4);
    memcpy(&xfeatures, fp + 472, 8);
    memcpy(&xstate_size, fp + 480, 4);
    magic1_ok = magic1 == 0x46505853;
    xfeatures_avx = (xfeatures >> 2) & 1;
    if (!magic1_ok) return;
    memcpy(&magic2, fp + xstate_size, 4);
    magic2_ok = magic2 == 0x46505845;
    memcpy(&bv, fp + 512, 8);
    bv_avx = (bv >> 2) & 1;
    /* ymm3's upper half: record it, change the saved copy. */
    memcpy(seen, fp + 576 + 16 * 3, 16);
    uint64_t changed[2] = {seen[0] ^ 0x0123456789abcdefull, ~seen[1]};
    memcpy(fp + 576 + 16 * 3, changed, 16);
    /* Clobber the live register: sigreturn must bring back the frame's copy. */
    __asm__ volatile("vpcmpeqb %%ymm3, %%ymm3, %%ymm3" ::: "xmm3");
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "split-store") == 0) return split_store();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    uint64_t in[4] = {0x1111222233334444ull, 0x5555666677778888ull, 0x99990000aaaabbbbull, 0xccccddddeeeeffffull};
    uint64_t out[4];
    long pid = getpid();
    /* Load ymm3, kill(getpid(), SIGUSR1) (the handler runs on the way back), store ymm3. */
    __asm__ volatile(
        "vmovdqu (%[in]), %%ymm3\n\t"
        "mov $62, %%eax\n\t"
        "mov %[pid], %%rdi\n\t"
        "mov $10, %%esi\n\t"
        "syscall\n\t"
        "vmovdqu %%ymm3, (%[out])\n\t"
        "vzeroupper"
        :
        : [in] "r"(in), [out] "r"(out), [pid] "r"(pid)
        : "rax", "rdi", "rsi", "rcx", "r11", "xmm3", "memory");
    printf("magic1 %d magic2 %d xfeatures-avx %d xstate_bv-avx %d\n", magic1_ok, magic2_ok, xfeatures_avx,
           bv_avx);
    printf("frame ymm3 upper %016llx %016llx\n", (unsigned long long)seen[0], (unsigned long long)seen[1]);
    printf("after ymm3 %016llx %016llx %016llx %016llx\n", (unsigned long long)out[0], (unsigned long long)out[1],
           (unsigned long long)out[2], (unsigned long long)out[3]);
    return 0;
}
#else
int main(void) {
    puts("no ymm registers on this ISA");
    return 0;
}
#endif
