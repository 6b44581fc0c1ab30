// build-aarch64: -O3 -mcpu=neoverse-n1+crypto -mno-outline-atomics
// The Neoverse-N1 features an AArch64 guest may use (AArch64 only, see build.sh): CRC32 and
// CRC32C, AES, SHA1, SHA256 and PMULL through the ACLE intrinsics, the dot product and RDM,
// the atomics of four threads (32-, 64- and 128-bit, here inline LSE: LDADD, CAS, CASP; the
// n1feat_outline and n1feat_llsc builds of this file use libgcc's out-of-line helpers, which
// pick LSE by AT_HWCAP, and inline exclusives with LDAXP/STLXP), auto-vectorised loops, and
// what AT_HWCAP and the ID registers say. Every result is printed and checked against a
// plain C reference or a published test vector.
#include <arm_acle.h>
#include <arm_neon.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

static int failures;
static void check(const char *what, int ok) {
    printf("%s: %s\n", what, ok ? "ok" : "FAIL");
    failures += !ok;
}

static uint8_t buf[4096 + 16];

static uint32_t crc_ref(uint32_t crc, const uint8_t *p, size_t n, uint32_t poly) {
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++) crc = crc & 1 ? crc >> 1 ^ poly : crc >> 1;
    }
    return crc;
}

static uint32_t crc_hw(uint32_t crc, const uint8_t *p, size_t n, int castagnoli) {
    while (n && ((uintptr_t)p & 7)) {
        crc = castagnoli ? __crc32cb(crc, *p) : __crc32b(crc, *p);
        p++, n--;
    }
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t d;
        memcpy(&d, p, 8);
        crc = castagnoli ? __crc32cd(crc, d) : __crc32d(crc, d);
    }
    if (n >= 4) {
        uint32_t d;
        memcpy(&d, p, 4);
        crc = castagnoli ? __crc32cw(crc, d) : __crc32w(crc, d);
        p += 4, n -= 4;
    }
    if (n >= 2) {
        uint16_t d;
        memcpy(&d, p, 2);
        crc = castagnoli ? __crc32ch(crc, d) : __crc32h(crc, d);
        p += 2, n -= 2;
    }
    if (n) crc = castagnoli ? __crc32cb(crc, *p) : __crc32b(crc, *p);
    return crc;
}

static void test_crc(void) {
    int ok = 1;
    uint32_t sum = 0;
    for (int off = 0; off < 8; off++)
        for (size_t n = 0; n < 200; n += 7) {
            for (int c = 0; c < 2; c++) {
                uint32_t poly = c ? 0x82f63b78 : 0xedb88320;
                uint32_t a = ~crc_hw(~0u, buf + off, n, c), b = ~crc_ref(~0u, buf + off, n, poly);
                ok &= a == b;
                sum = sum * 31 + a;
            }
        }
    const uint8_t *s = (const uint8_t *)"123456789";
    printf("crc32 check %08x crc32c check %08x sum %08x\n", ~crc_hw(~0u, s, 9, 0), ~crc_hw(~0u, s, 9, 1), sum);
    check("crc32/crc32c against the bitwise reference", ok && ~crc_hw(~0u, s, 9, 0) == 0xcbf43926 &&
                                                            ~crc_hw(~0u, s, 9, 1) == 0xe3069283);
}

// AES-128 (FIPS-197 appendix C.1).
static uint8_t sbox(uint8_t x) {
    // Multiplicative inverse in GF(2^8) then the affine map.
    uint8_t inv = 0;
    if (x) {
        for (int y = 1; y < 256; y++) {
            uint8_t a = x, b = (uint8_t)y, p = 0;
            for (int i = 0; i < 8; i++) {
                if (b & 1) p ^= a;
                a = (uint8_t)(a << 1 ^ (a & 0x80 ? 0x1b : 0));
                b >>= 1;
            }
            if (p == 1) {
                inv = (uint8_t)y;
                break;
            }
        }
    }
    uint8_t r = inv;
    for (int i = 1; i < 5; i++) r ^= (uint8_t)(inv << i | inv >> (8 - i));
    return r ^ 0x63;
}

static void test_aes(void) {
    uint8_t rk[11][16];
    for (int i = 0; i < 16; i++) rk[0][i] = (uint8_t)i;
    uint8_t rcon = 1;
    for (int r = 1; r <= 10; r++) {
        uint8_t t[4] = {sbox(rk[r - 1][13]), sbox(rk[r - 1][14]), sbox(rk[r - 1][15]), sbox(rk[r - 1][12])};
        t[0] ^= rcon;
        rcon = (uint8_t)(rcon << 1 ^ (rcon & 0x80 ? 0x1b : 0));
        for (int i = 0; i < 16; i++) rk[r][i] = rk[r - 1][i] ^ (i < 4 ? t[i] : rk[r][i - 4]);
    }
    uint8_t pt[16], expect[16] = {0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30,
                                  0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a};
    for (int i = 0; i < 16; i++) pt[i] = (uint8_t)(i * 0x11);
    uint8x16_t s = vld1q_u8(pt);
    for (int r = 0; r < 9; r++) s = vaesmcq_u8(vaeseq_u8(s, vld1q_u8(rk[r])));
    s = veorq_u8(vaeseq_u8(s, vld1q_u8(rk[9])), vld1q_u8(rk[10]));
    uint8_t ct[16];
    vst1q_u8(ct, s);
    printf("aes128:");
    for (int i = 0; i < 16; i++) printf(" %02x", ct[i]);
    printf("\n");
    // Decrypt with the equivalent inverse cipher (InvMixColumns applied to the round keys).
    uint8x16_t d = vld1q_u8(ct);
    d = vaesimcq_u8(vaesdq_u8(d, vld1q_u8(rk[10])));
    for (int r = 9; r > 1; r--) d = vaesimcq_u8(vaesdq_u8(d, vaesimcq_u8(vld1q_u8(rk[r]))));
    d = veorq_u8(vaesdq_u8(d, vaesimcq_u8(vld1q_u8(rk[1]))), vld1q_u8(rk[0]));
    uint8_t back[16];
    vst1q_u8(back, d);
    check("aes128 encrypt (FIPS-197 C.1) and decrypt", !memcmp(ct, expect, 16) && !memcmp(back, pt, 16));
}

static void sha256_block(uint32_t st[8], const uint8_t blk[64]) {
    static const uint32_t K[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
    uint32x4_t abcd = vld1q_u32(st), efgh = vld1q_u32(st + 4), abcd0 = abcd, efgh0 = efgh;
    uint32x4_t m[4];
    for (int i = 0; i < 4; i++) m[i] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(blk + 16 * i)));
    for (int i = 0; i < 16; i++) {
        uint32x4_t wk = vaddq_u32(m[i & 3], vld1q_u32(K + 4 * i));
        uint32x4_t t = abcd;
        abcd = vsha256hq_u32(abcd, efgh, wk);
        efgh = vsha256h2q_u32(efgh, t, wk);
        if (i < 12) m[i & 3] = vsha256su1q_u32(vsha256su0q_u32(m[i & 3], m[(i + 1) & 3]), m[(i + 2) & 3], m[(i + 3) & 3]);
    }
    vst1q_u32(st, vaddq_u32(abcd, abcd0));
    vst1q_u32(st + 4, vaddq_u32(efgh, efgh0));
}

static void sha1_block(uint32_t st[5], const uint8_t blk[64]) {
    uint32x4_t abcd = vld1q_u32(st), abcd0 = abcd;
    uint32_t e = st[4], e0 = e;
    uint32x4_t m[4];
    for (int i = 0; i < 4; i++) m[i] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(blk + 16 * i)));
    static const uint32_t K[4] = {0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6};
    for (int i = 0; i < 20; i++) {
        uint32x4_t wk = vaddq_u32(m[i & 3], vdupq_n_u32(K[i / 5]));
        uint32_t a = vgetq_lane_u32(abcd, 0);
        if (i < 5) abcd = vsha1cq_u32(abcd, e, wk);
        else if (i < 10 || i >= 15) abcd = vsha1pq_u32(abcd, e, wk);
        else abcd = vsha1mq_u32(abcd, e, wk);
        e = vsha1h_u32(a);
        if (i < 16) m[i & 3] = vsha1su1q_u32(vsha1su0q_u32(m[i & 3], m[(i + 1) & 3], m[(i + 2) & 3]), m[(i + 3) & 3]);
    }
    vst1q_u32(st, vaddq_u32(abcd, abcd0));
    st[4] = e + e0;
}

static void test_sha(void) {
    uint8_t blk[64] = {'a', 'b', 'c', 0x80};
    blk[63] = 24;
    uint32_t s2[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    sha256_block(s2, blk);
    uint32_t s1[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
    sha1_block(s1, blk);
    printf("sha256(abc) %08x%08x%08x%08x%08x%08x%08x%08x\n", s2[0], s2[1], s2[2], s2[3], s2[4], s2[5], s2[6], s2[7]);
    printf("sha1(abc) %08x%08x%08x%08x%08x\n", s1[0], s1[1], s1[2], s1[3], s1[4]);
    check("sha256 and sha1 of \"abc\" (FIPS 180 examples)",
          s2[0] == 0xba7816bf && s2[7] == 0xf20015ad && s1[0] == 0xa9993e36 && s1[4] == 0x9cd0d89d);
}

static unsigned __int128 clmul_ref(uint64_t a, uint64_t b) {
    unsigned __int128 r = 0;
    for (int i = 0; i < 64; i++)
        if (b >> i & 1) r ^= (unsigned __int128)a << i;
    return r;
}

static void test_pmull(void) {
    int ok = 1;
    uint64_t a = 0x9e3779b97f4a7c15, b = 0xc2b2ae3d27d4eb4f, x = 0;
    for (int i = 0; i < 64; i++) {
        poly128_t p = vmull_p64(a, b);
        unsigned __int128 r;
        memcpy(&r, &p, 16);
        ok &= r == clmul_ref(a, b);
        x ^= (uint64_t)r ^ (uint64_t)(r >> 64);
        a = a * 6364136223846793005u + 1442695040888963407u;
        b = b << 7 | b >> 57;
    }
    printf("pmull fold %016llx\n", (unsigned long long)x);
    check("pmull (64x64 carry-less) against the bitwise reference", ok);
}

// The target attribute: GCC 12's arm_neon.h declares vdotq_s32 for armv8.2-a, which a caller
// built with +nolse (n1feat_outline, n1feat_llsc) does not match; this function has no atomics.
__attribute__((target("arch=armv8.2-a+dotprod+rdma"))) static void test_dot_rdm(void) {
    int8_t a[16], b[16];
    int16_t h1[8], h2[8], h3[8];
    for (int i = 0; i < 16; i++) a[i] = (int8_t)(i * 37 - 100), b[i] = (int8_t)(120 - i * 29);
    for (int i = 0; i < 8; i++) h1[i] = (int16_t)(i * 9000 - 30000), h2[i] = (int16_t)(32767 - i * 7001), h3[i] = (int16_t)(i * 4000);
    int32_t dot[4], ref[4] = {0};
    int16_t rdm[8];
    vst1q_s32(dot, vdotq_s32(vdupq_n_s32(0), vld1q_s8(a), vld1q_s8(b)));
    vst1q_s16(rdm, vqrdmlahq_s16(vld1q_s16(h3), vld1q_s16(h1), vld1q_s16(h2)));
    for (int i = 0; i < 16; i++) ref[i / 4] += a[i] * b[i];
    int ok = !memcmp(dot, ref, sizeof dot);
    for (int i = 0; i < 8; i++) {
        int64_t v = ((int64_t)h3[i] << 16) + 2 * (int64_t)h1[i] * h2[i] + (1 << 15);
        v >>= 16;
        v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
        ok &= rdm[i] == v;
    }
    printf("sdot %d %d %d %d sqrdmlah %d %d %d %d %d %d %d %d\n", dot[0], dot[1], dot[2], dot[3], rdm[0], rdm[1],
           rdm[2], rdm[3], rdm[4], rdm[5], rdm[6], rdm[7]);
    check("sdot and sqrdmlah against the scalar reference", ok);
}

#define THREADS 4
#define ROUNDS 20000
static uint32_t c32;
static uint64_t c64, cas64;
static unsigned __int128 c128 __attribute__((aligned(16)));
static int lock_word;

static void *worker(void *arg) {
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        __atomic_fetch_add(&c32, 1, __ATOMIC_SEQ_CST);
        __atomic_fetch_add(&c64, 3, __ATOMIC_RELAXED);
        uint64_t old = __atomic_load_n(&cas64, __ATOMIC_RELAXED);
        while (!__atomic_compare_exchange_n(&cas64, &old, old + 5, 1, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
        }
        // A 128-bit counter whose halves must stay in step: low += 1, high += 2.
        unsigned __int128 o = c128, n;
        do {
            n = (unsigned __int128)((uint64_t)(o >> 64) + 2) << 64 | (uint64_t)((uint64_t)o + 1);
        } while (!__sync_bool_compare_and_swap(&c128, o, n) && ((o = c128), 1));
        while (__atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE)) {
        }
        __atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE);
    }
    return 0;
}

static void test_atomics(void) {
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) pthread_create(&t[i], 0, worker, 0);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], 0);
    uint64_t lo = (uint64_t)c128, hi = (uint64_t)(c128 >> 64);
    printf("atomics %u %llu %llu %llu:%llu\n", c32, (unsigned long long)c64, (unsigned long long)cas64,
           (unsigned long long)hi, (unsigned long long)lo);
    uint64_t n = (uint64_t)THREADS * ROUNDS;
    check("atomic counters of four threads", c32 == n && c64 == 3 * n && cas64 == 5 * n && lo == n && hi == 2 * n);
}

static float fa[1024], fb[1024];
static int32_t ia[1024], ib[1024];
static uint8_t ua[1024];

__attribute__((noinline)) static void loops(float k, uint64_t *out) {
    int64_t isum = 0;
    float fsum = 0;
    int32_t mx = INT32_MIN;
    uint32_t usum = 0;
    for (int i = 0; i < 1024; i++) fa[i] = fa[i] * k + fb[i];
    for (int i = 0; i < 1024; i++) isum += (int64_t)ia[i] * ib[i];
    for (int i = 0; i < 1024; i++) mx = ia[i] > mx ? ia[i] : mx;
    for (int i = 0; i < 1024; i++) usum += (uint32_t)ua[i] * ua[1023 - i];
    for (int i = 0; i < 1024; i++) fsum += fa[i] * 0.5f;
    for (int i = 0; i < 1024; i++) ib[i] = (ia[i] >> 3) + (ia[i] & 0xff) - ib[i];
    uint32_t bits;
    memcpy(&bits, &fsum, 4);
    out[0] = (uint64_t)isum, out[1] = (uint64_t)(int64_t)mx, out[2] = usum, out[3] = bits;
    uint64_t h = 0;
    for (int i = 0; i < 1024; i++) h = h * 1000003 + (uint32_t)ib[i];
    out[4] = h;
}

static void test_loops(void) {
    for (int i = 0; i < 1024; i++) {
        fa[i] = (float)i / 7, fb[i] = (float)(1024 - i) / 3;
        ia[i] = (int32_t)(i * 2654435761u), ib[i] = (int32_t)(i * 40503u - 20000);
        ua[i] = (uint8_t)(i * 13 + 7);
    }
    uint64_t r[5];
    loops(1.25f, r);
    printf("loops %016llx %016llx %016llx %016llx %016llx\n", (unsigned long long)r[0], (unsigned long long)r[1],
           (unsigned long long)r[2], (unsigned long long)r[3], (unsigned long long)r[4]);
}

static void test_features(void) {
    // The N1 features the guest may rely on (AT_HWCAP bits, arch/arm64/include/uapi/asm/hwcap.h).
    static const struct { const char *name; int bit; } f[] = {
        {"fp", 0}, {"asimd", 1}, {"aes", 3}, {"pmull", 4}, {"sha1", 5}, {"sha2", 6},
        {"crc32", 7}, {"atomics", 8}, {"cpuid", 11}, {"asimdrdm", 12}, {"lrcpc", 15},
        {"dcpop", 16}, {"asimddp", 20},
    };
    unsigned long hw = getauxval(AT_HWCAP);
    printf("hwcap:");
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (hw >> f[i].bit & 1) printf(" %s", f[i].name);
    printf("\n");
    // HWCAP_CPUID: the ID registers say what AT_HWCAP says (their values depend on the CPU
    // model, so only the agreement is printed).
    uint64_t midr, isar0, isar1;
    __asm__ volatile("mrs %0, midr_el1" : "=r"(midr));
    __asm__ volatile("mrs %0, id_aa64isar0_el1" : "=r"(isar0));
    __asm__ volatile("mrs %0, id_aa64isar1_el1" : "=r"(isar1));
    static const struct { int bit; int isar; int shift; unsigned min; } id[] = {
        {3, 0, 4, 1}, {4, 0, 4, 2}, {5, 0, 8, 1}, {6, 0, 12, 1}, {7, 0, 16, 1}, {8, 0, 20, 2},
        {12, 0, 28, 1}, {20, 0, 44, 1}, {16, 1, 0, 1}, {15, 1, 20, 1},
    };
    int agree = (hw >> 11 & 1) && midr != 0;
    for (size_t i = 0; i < sizeof id / sizeof id[0]; i++) {
        unsigned field = (unsigned)((id[i].isar ? isar1 : isar0) >> id[i].shift & 0xf);
        agree &= (field >= id[i].min) == (int)(hw >> id[i].bit & 1);
    }
    check("ID_AA64ISAR0/1 agree with AT_HWCAP", agree);
    // LDAPR and DC CVAP.
    uint64_t v = 0x1234, got;
    __asm__ volatile("ldapr %0, [%1]" : "=r"(got) : "r"(&v) : "memory");
    __asm__ volatile("dc cvap, %0" ::"r"(&v) : "memory");
    check("ldapr, dc cvap", got == 0x1234);
}

int main(void) {
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(i * 2654435761u >> 13);
    test_features();
    test_crc();
    test_aes();
    test_sha();
    test_pmull();
    test_dot_rdm();
    test_atomics();
    test_loops();
    printf("%s\n", failures ? "FAILED" : "all ok");
    return failures != 0;
}
