/* The scalar x86-64 ISA extensions as compilers emit them: POPCNT, LZCNT, BMI1 (andn, bextr,
 * blsi, blsmsk, blsr, tzcnt), BMI2 (bzhi, mulx, pdep, pext, rorx, sarx, shlx, shrx), MOVBE
 * (big-endian loads and stores), ADX (adcx/adox carry chains), CRC32 (CRC-32C) and RDRAND/RDSEED
 * (only whether they succeed and vary is printed). On x86-64 the file is compiled as with
 * -mpopcnt -mlzcnt -mbmi -mbmi2 -mmovbe -madx -mcrc32 -mrdrnd -mrdseed (the pragma
 * below: build.sh uses one set of flags for every program), through builtins, intrinsics and
 * plain C that gcc -O2 turns into these instructions (adcx/adox, which gcc never emits, by
 * inline assembly). Other ISAs compute the same values in portable C, so every target prints
 * the same lines. The inputs come from a PRNG seeded through a volatile, so nothing is folded
 * at compile time. Also checks the CRC-32C check value ("123456789" -> e3069283). */
#ifdef __x86_64__
#pragma GCC target("popcnt,lzcnt,bmi,bmi2,movbe,adx,crc32,rdrnd,rdseed")
#include <immintrin.h>
#endif
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static volatile uint64_t seed = 0x9e3779b97f4a7c15ull;

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Edge values first, then pseudo-random ones. */
#define N 24
static uint64_t vals[N];

static void fill(void)
{
    static const uint64_t edge[] = {0, 1, ~0ull, 1ull << 63, (1ull << 63) - 1, 0xffffffffull,
                                    0x80000000ull, 0x00ff00ff00ff00ffull};
    uint64_t s = seed;
    for (int i = 0; i < N; i++)
        vals[i] = i < 8 ? edge[i] : next(&s);
}

static int clz64(uint64_t x) { return x ? __builtin_clzll(x) : 64; }
static int ctz64(uint64_t x) { return x ? __builtin_ctzll(x) : 64; }
static int clz32(uint32_t x) { return x ? __builtin_clz(x) : 32; }

#ifdef __x86_64__
#define ANDN64(a, b) _andn_u64(a, b)
#define BEXTR64(a, s, l) _bextr_u64(a, s, l)
/* Out of line: inlined, gcc shares the `a - 1` of blsmsk and blsr and emits lea, xor, and. */
static __attribute__((noinline)) uint64_t BLSI64(uint64_t a) { return _blsi_u64(a); }
static __attribute__((noinline)) uint64_t BLSMSK64(uint64_t a) { return _blsmsk_u64(a); }
static __attribute__((noinline)) uint64_t BLSR64(uint64_t a) { return _blsr_u64(a); }
#define BZHI64(a, n) _bzhi_u64(a, n)
#define BZHI32(a, n) _bzhi_u32(a, n)
#define PDEP64(a, m) _pdep_u64(a, m)
#define PEXT64(a, m) _pext_u64(a, m)
#define PDEP32(a, m) _pdep_u32(a, m)
#define PEXT32(a, m) _pext_u32(a, m)
#define TZCNT64(a) _tzcnt_u64(a)
#define LZCNT64(a) _lzcnt_u64(a)
static uint64_t mulx64(uint64_t a, uint64_t b, uint64_t *hi)
{
    unsigned long long h;
    uint64_t lo = _mulx_u64(a, b, &h);
    *hi = h;
    return lo;
}
static uint32_t crc32c_u8(uint32_t c, uint8_t v) { return _mm_crc32_u8(c, v); }
static uint32_t crc32c_u16(uint32_t c, uint16_t v) { return _mm_crc32_u16(c, v); }
static uint32_t crc32c_u32(uint32_t c, uint32_t v) { return _mm_crc32_u32(c, v); }
static uint32_t crc32c_u64(uint32_t c, uint64_t v) { return (uint32_t)_mm_crc32_u64(c, v); }
/* a + b + carry in CF (adcx) and c + d + carry in OF (adox), two independent chains over
 * four limbs: the sums and the final carries. */
static void add_two_chains(const uint64_t a[4], const uint64_t b[4], const uint64_t c[4],
                           const uint64_t d[4], uint64_t r1[4], uint64_t r2[4], int *c1, int *c2)
{
    uint64_t x0 = a[0], x1 = a[1], x2 = a[2], x3 = a[3];
    uint64_t y0 = c[0], y1 = c[1], y2 = c[2], y3 = c[3];
    unsigned char cf, of;
    __asm__("xor %%eax, %%eax\n\t" /* CF = OF = 0 */
            "adcx %[b0], %[x0]\n\tadox %[d0], %[y0]\n\t"
            "adcx %[b1], %[x1]\n\tadox %[d1], %[y1]\n\t"
            "adcx %[b2], %[x2]\n\tadox %[d2], %[y2]\n\t"
            "adcx %[b3], %[x3]\n\tadox %[d3], %[y3]\n\t"
            "setc %[cf]\n\tseto %[of]"
            : [x0] "+r"(x0), [x1] "+r"(x1), [x2] "+r"(x2), [x3] "+r"(x3), [y0] "+r"(y0),
              [y1] "+r"(y1), [y2] "+r"(y2), [y3] "+r"(y3), [cf] "=r"(cf), [of] "=r"(of)
            : [b0] "m"(b[0]), [b1] "m"(b[1]), [b2] "m"(b[2]), [b3] "m"(b[3]), [d0] "m"(d[0]),
              [d1] "m"(d[1]), [d2] "m"(d[2]), [d3] "m"(d[3])
            : "rax", "cc");
    r1[0] = x0, r1[1] = x1, r1[2] = x2, r1[3] = x3;
    r2[0] = y0, r2[1] = y1, r2[2] = y2, r2[3] = y3;
    *c1 = cf, *c2 = of;
}
/* Two random values from rdrand and two from rdseed: how many steps succeeded (a step may
 * fail when the hardware runs dry: retried up to 100 times, as Intel advises) and whether
 * the values differ. */
static void random_steps(int *ok, int *differ)
{
    unsigned long long v[4] = {0};
    *ok = 0;
    for (int i = 0; i < 4; i++)
        for (int tries = 0; tries < 100; tries++)
            if (i < 2 ? _rdrand64_step(&v[i]) : _rdseed64_step(&v[i])) {
                ++*ok;
                break;
            }
    *differ = v[0] != v[1] && v[2] != v[3];
}
#else
static void random_steps(int *ok, int *differ) { *ok = 4, *differ = 1; }
#define ANDN64(a, b) (~(a) & (b))
static uint64_t BEXTR64(uint64_t a, unsigned s, unsigned l)
{
    uint64_t v = s >= 64 ? 0 : a >> s;
    return l >= 64 ? v : v & ((1ull << l) - 1);
}
#define BLSI64(a) ((a) & -(a))
#define BLSMSK64(a) ((a) ^ ((a)-1))
#define BLSR64(a) ((a) & ((a)-1))
static uint64_t BZHI64(uint64_t a, unsigned n) { return n >= 64 ? a : a & ((1ull << n) - 1); }
static uint32_t BZHI32(uint32_t a, unsigned n) { return n >= 32 ? a : a & ((1u << n) - 1); }
static uint64_t PDEP64(uint64_t a, uint64_t m)
{
    uint64_t r = 0;
    for (int k = 0; m; m &= m - 1, k++)
        if (a >> k & 1) r |= m & -m;
    return r;
}
static uint64_t PEXT64(uint64_t a, uint64_t m)
{
    uint64_t r = 0;
    for (int k = 0; m; m &= m - 1, k++)
        if (a & m & -m) r |= 1ull << k;
    return r;
}
#define PDEP32(a, m) ((uint32_t)PDEP64((uint32_t)(a), (uint32_t)(m)))
#define PEXT32(a, m) ((uint32_t)PEXT64((uint32_t)(a), (uint32_t)(m)))
#define TZCNT64(a) ctz64(a)
#define LZCNT64(a) clz64(a)
static uint64_t mulx64(uint64_t a, uint64_t b, uint64_t *hi)
{
    unsigned __int128 p = (unsigned __int128)a * b;
    *hi = (uint64_t)(p >> 64);
    return (uint64_t)p;
}
static uint32_t crc32c_byte(uint32_t c, uint8_t v)
{
    c ^= v;
    for (int k = 0; k < 8; k++) c = c & 1 ? c >> 1 ^ 0x82f63b78u : c >> 1;
    return c;
}
static uint32_t crc32c_n(uint32_t c, uint64_t v, int n)
{
    for (int k = 0; k < n; k++) c = crc32c_byte(c, (uint8_t)(v >> 8 * k));
    return c;
}
static uint32_t crc32c_u8(uint32_t c, uint8_t v) { return crc32c_n(c, v, 1); }
static uint32_t crc32c_u16(uint32_t c, uint16_t v) { return crc32c_n(c, v, 2); }
static uint32_t crc32c_u32(uint32_t c, uint32_t v) { return crc32c_n(c, v, 4); }
static uint32_t crc32c_u64(uint32_t c, uint64_t v) { return crc32c_n(c, v, 8); }
static void add_two_chains(const uint64_t a[4], const uint64_t b[4], const uint64_t c[4],
                           const uint64_t d[4], uint64_t r1[4], uint64_t r2[4], int *c1, int *c2)
{
    unsigned carry1 = 0, carry2 = 0;
    for (int i = 0; i < 4; i++) {
        unsigned __int128 s = (unsigned __int128)a[i] + b[i] + carry1;
        unsigned __int128 t = (unsigned __int128)c[i] + d[i] + carry2;
        r1[i] = (uint64_t)s, carry1 = (unsigned)(s >> 64);
        r2[i] = (uint64_t)t, carry2 = (unsigned)(t >> 64);
    }
    *c1 = carry1, *c2 = carry2;
}
#endif

/* A big-endian load and store (movbe on x86-64 with -mmovbe). */
static uint64_t load_be64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}
static uint32_t load_be32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return __builtin_bswap32(v);
}
static void store_be64(unsigned char *p, uint64_t v)
{
    v = __builtin_bswap64(v);
    memcpy(p, &v, 8);
}
static void store_be16(unsigned char *p, uint16_t v)
{
    v = __builtin_bswap16(v);
    memcpy(p, &v, 2);
}

/* Rotates and variable shifts (rorx, shlx, shrx, sarx with -mbmi2). */
static uint64_t rotr17(uint64_t x) { return x >> 17 | x << 47; }
static uint32_t rotr7(uint32_t x) { return x >> 7 | x << 25; }
static uint64_t shl_var(uint64_t x, unsigned n) { return x << (n & 63); }
static uint64_t shr_var(uint64_t x, unsigned n) { return x >> (n & 63); }
static int64_t sar_var(int64_t x, unsigned n) { return x >> (n & 63); }
static uint32_t shr_var32(uint32_t x, unsigned n) { return x >> (n & 31); }

int main(void)
{
    fill();
    uint64_t sum = 0;
    for (int i = 0; i < N; i++) {
        uint64_t a = vals[i], b = vals[(i * 7 + 3) % N];
        unsigned n = (unsigned)(b & 0xff), len = (unsigned)(b >> 8 & 0xff);
        uint64_t hi, lo = mulx64(a, b, &hi);
        printf("%2d a=%016llx cnt: pop %2d clz %2d ctz %2d lz %2lld tz %2lld clz32 %2d\n", i,
               (unsigned long long)a, __builtin_popcountll(a), clz64(a), ctz64(a),
               (long long)LZCNT64(a), (long long)TZCNT64(a), clz32((uint32_t)a));
        printf("   bmi1: andn %016llx bextr %016llx blsi %016llx blsmsk %016llx blsr %016llx\n",
               (unsigned long long)ANDN64(a, b), (unsigned long long)BEXTR64(a, n % 70, len % 70),
               (unsigned long long)BLSI64(a), (unsigned long long)BLSMSK64(a),
               (unsigned long long)BLSR64(a));
        printf("   bmi2: bzhi %016llx %08x pdep %016llx %08x pext %016llx %08x mulx %016llx:%016llx\n",
               (unsigned long long)BZHI64(a, n % 70), (unsigned)BZHI32((uint32_t)a, n % 40),
               (unsigned long long)PDEP64(a, b), (unsigned)PDEP32((uint32_t)a, (uint32_t)b),
               (unsigned long long)PEXT64(a, b), (unsigned)PEXT32((uint32_t)a, (uint32_t)b),
               (unsigned long long)hi, (unsigned long long)lo);
        printf("   shifts: rorx %016llx %08x shlx %016llx shrx %016llx %08x sarx %016llx\n",
               (unsigned long long)rotr17(a), (unsigned)rotr7((uint32_t)a),
               (unsigned long long)shl_var(a, n), (unsigned long long)shr_var(a, n),
               (unsigned)shr_var32((uint32_t)a, n), (unsigned long long)sar_var((int64_t)a, n));
        sum += lo ^ hi ^ PDEP64(b, a) ^ PEXT64(b, a);
    }
    /* Big-endian fields in a buffer. */
    unsigned char buf[32];
    for (int i = 0; i < 32; i++) buf[i] = (unsigned char)(vals[9] >> (i % 8 * 8)) ^ i;
    printf("movbe: %016llx %08x", (unsigned long long)load_be64(buf + 3),
           (unsigned)load_be32(buf + 13));
    store_be64(buf + 1, vals[10]);
    store_be16(buf + 20, (uint16_t)vals[11]);
    printf(" -> %016llx %016llx %016llx\n", (unsigned long long)load_be64(buf),
           (unsigned long long)load_be64(buf + 8), (unsigned long long)load_be64(buf + 16));
    /* Two interleaved 256-bit additions. */
    uint64_t r1[4], r2[4];
    int c1, c2;
    add_two_chains(vals + 2, vals + 4, vals + 8, vals + 12, r1, r2, &c1, &c2);
    printf("adx: %016llx %016llx %016llx %016llx c%d / %016llx %016llx %016llx %016llx c%d\n",
           (unsigned long long)r1[3], (unsigned long long)r1[2], (unsigned long long)r1[1],
           (unsigned long long)r1[0], c1, (unsigned long long)r2[3], (unsigned long long)r2[2],
           (unsigned long long)r2[1], (unsigned long long)r2[0], c2);
    /* CRC-32C of a message, 8 bytes at a time then the tail by 4, 2 and 1. */
    const char *check = "123456789";
    uint32_t crc = ~0u;
    for (const char *p = check; *p; p++) crc = crc32c_u8(crc, (uint8_t)*p);
    printf("crc32c(\"123456789\") = %08x%s\n", ~crc, ~crc == 0xe3069283u ? " (check value)" : " WRONG");
    unsigned char msg[160];
    for (int i = 0; i < 160; i++) msg[i] = (unsigned char)(vals[8 + i % 16] >> (i % 7 * 8));
    for (int len = 0; len <= 159; len += 53) {
        uint32_t c = ~0u;
        int k = 0;
        for (; k + 8 <= len; k += 8) c = crc32c_u64(c, load_be64(msg + k));
        if (k + 4 <= len) c = crc32c_u32(c, load_be32(msg + k)), k += 4;
        if (k + 2 <= len) c = crc32c_u16(c, (uint16_t)(msg[k] | msg[k + 1] << 8)), k += 2;
        if (k < len) c = crc32c_u8(c, msg[k]);
        printf("crc32c(msg, %3d) = %08x\n", len, ~c);
    }
    int ok, differ;
    random_steps(&ok, &differ);
    printf("rdrand/rdseed: %d of 4 succeeded, values %s\n", ok, differ ? "differ" : "repeat");
    printf("sum %016llx\n", (unsigned long long)sum);
    return 0;
}
