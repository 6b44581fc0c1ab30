// build-x86_64: -O2 -mavx2
/* x86-64-v3 at the edge of a mapping, against the native run: masked loads and stores whose
 * disabled elements lie on an unmapped page (no fault, nothing written there), an enabled
 * element there (SIGSEGV at that element's address, nothing written), and a gather whose
 * element 5 faults: the handler prints the destination and mask registers from the signal
 * frame (the SDM: the elements before the faulting one are done, their mask elements
 * cleared). Then xgetbv's x87/SSE/AVX bits and an xsave/xrstor round trip of the SSE and AVX
 * components. AArch64 builds print a fixed line. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <immintrin.h>
#include <ucontext.h>

static sigjmp_buf env;
static unsigned char *page;
static long pagesize;
static uint32_t frame_dst[8], frame_mask[8];

static void handler(int sig, siginfo_t *si, void *ctx) {
    ucontext_t *uc = ctx;
    unsigned char *fp = (unsigned char *)uc->uc_mcontext.fpregs;
    /* ymm0 (destination) and ymm2 (mask): low halves in the FXSAVE image, upper halves in
     * the XSAVE area's YMM_Hi128 at 576. */
    memcpy(frame_dst, fp + 160, 16);
    memcpy(frame_dst + 4, fp + 576, 16);
    memcpy(frame_mask, fp + 160 + 32, 16);
    memcpy(frame_mask + 4, fp + 576 + 32, 16);
    printf("  signal %d at page+%ld\n", sig, (long)((unsigned char *)si->si_addr - page));
    siglongjmp(env, 1);
}

static void print8(const char *what, const uint32_t *v) {
    printf("  %s", what);
    for (int i = 0; i < 8; i++)
        printf(" %08x", v[i]);
    printf("\n");
}

static void masked(void) {
    /* The last 16 bytes of the mapped page, then the unmapped one. */
    float *at = (float *)(page + pagesize - 16);
    for (int i = 0; i < 4; i++)
        at[i] = 1.5f + i;
    __m256i some = _mm256_setr_epi32(-1, 0, -1, -1, 0, 0, 0, 0);
    __m256 v = _mm256_maskload_ps(at, some);
    uint32_t out[8];
    memcpy(out, &v, 32);
    print8("maskload:", out);
    __m256 src = _mm256_set1_ps(-7.0f);
    __m256i store = _mm256_setr_epi32(0, -1, 0, -1, 0, 0, 0, 0);
    _mm256_maskstore_ps(at, store, src);
    print8("after maskstore:", (uint32_t *)at - 4);
    __m128i q = _mm_set_epi64x(0, -1);
    __m128i lq = _mm_maskload_epi64((long long *)(page + pagesize - 8), q);
    printf("  maskload q: %016llx %016llx\n", (unsigned long long)_mm_extract_epi64(lq, 0),
           (unsigned long long)_mm_extract_epi64(lq, 1));
    if (sigsetjmp(env, 1) == 0) {
        /* Only element 5 enabled, on the unmapped page. */
        __m256i past = _mm256_setr_epi32(0, 0, 0, 0, 0, -1, 0, 0);
        volatile __m256 r = _mm256_maskload_ps(at, past);
        (void)r;
        printf("  no fault\n");
    }
    if (sigsetjmp(env, 1) == 0) {
        __m256i past = _mm256_setr_epi32(0, 0, 0, 0, 0, 0, -1, 0);
        _mm256_maskstore_ps(at, past, src);
        printf("  no fault\n");
    }
    print8("memory:", (uint32_t *)at - 4);
}

static void gather(void) {
    uint32_t *base = (uint32_t *)(page + pagesize - 64);
    for (int i = 0; i < 16; i++)
        base[i] = 0x100 + i;
    /* Element 5's index reaches the unmapped page; element 3 is disabled. */
    static const int32_t idx[8] = {0, 3, 6, 9, 12, 20, 1, 2};
    static const int32_t msk[8] = {-1, -1, -1, 0, -1, -1, -1, -1};
    static const int32_t old[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
    if (sigsetjmp(env, 1) == 0) {
        __asm__ volatile("vmovdqu (%0), %%ymm1\n\t"
                         "vmovdqu (%1), %%ymm2\n\t"
                         "vmovdqu (%2), %%ymm0\n\t"
                         "vpgatherdd %%ymm2, (%3,%%ymm1,4), %%ymm0\n\t"
                         :
                         : "r"(idx), "r"(msk), "r"(old), "r"(base)
                         : "xmm0", "xmm1", "xmm2", "memory");
        printf("  no fault\n");
    }
    /* Done elements: 0, 1, 2 loaded, 3 disabled; the mask cleared for those before 5. */
    print8("gather dst at fault:", frame_dst);
    print8("gather mask at fault:", frame_mask);
    /* A complete one: the mask ends zero. */
    static const int32_t near[8] = {0, 3, 6, 9, 12, 15, 1, 2};
    uint32_t d[8], m[8];
    __asm__ volatile("vmovdqu (%2), %%ymm1\n\t"
                     "vmovdqu (%3), %%ymm2\n\t"
                     "vmovdqu (%4), %%ymm0\n\t"
                     "vpgatherdd %%ymm2, (%5,%%ymm1,4), %%ymm0\n\t"
                     "vmovdqu %%ymm0, (%0)\n\t"
                     "vmovdqu %%ymm2, (%1)\n\t"
                     :
                     : "r"(d), "r"(m), "r"(near), "r"(msk), "r"(old), "r"(base)
                     : "xmm0", "xmm1", "xmm2", "memory");
    print8("gather dst:", d);
    print8("gather mask:", m);
}

static void xstate(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    printf("  xgetbv: x87 %u sse %u avx %u\n", eax & 1, eax >> 1 & 1, eax >> 2 & 1);
    static unsigned char area[4096] __attribute__((aligned(64)));
    static const uint32_t pattern[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint32_t back[8];
    memset(area, 0, sizeof area);
    __asm__ volatile("vmovdqu (%0), %%ymm5\n\t"
                     "xsave (%1)\n\t"
                     "vpxor %%ymm5, %%ymm5, %%ymm5\n\t"
                     "xrstor (%1)\n\t"
                     "vmovdqu %%ymm5, (%2)\n\t"
                     :
                     : "r"(pattern), "r"(area), "r"(back), "a"(6), "d"(0)
                     : "xmm5", "memory");
    uint64_t bv;
    memcpy(&bv, area + 512, 8);
    printf("  xstate_bv sse|avx: %llu, x87 byte untouched: %u\n", (unsigned long long)(bv & 6), area[0]);
    printf("  ymm5 in the area: %08x %08x\n", *(uint32_t *)(area + 160 + 5 * 16), *(uint32_t *)(area + 576 + 5 * 16));
    print8("ymm5 after xrstor:", back);
}

int main(void) {
    pagesize = sysconf(_SC_PAGESIZE);
    page = mmap(NULL, 2 * pagesize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED || munmap(page + pagesize, pagesize) != 0)
        return 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    printf("masked moves:\n");
    masked();
    printf("gather:\n");
    gather();
    printf("xsave:\n");
    xstate();
    return 0;
}
#else
int main(void) {
    printf("x86-64 only\n");
    return 0;
}
#endif
