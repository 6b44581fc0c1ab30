//! The cases of the A64 differential tests (`a64_diff.rs`): hand-written sequences covering
//! every implemented form, and words generated from the decode table's patterns with a fixed
//! seed.
#![allow(dead_code)]

use std::fmt::Write as _;
use xlate::frontend::aarch64::decode;
use xlate::frontend::aarch64::A64Frontend;
use xlate::frontend::{Frontend, SliceCode};
use xlate::ir::{Exit, GuestAddr, TrapKind};

/// One case: assembly (`;` separates lines), the seed of its initial state, and registers
/// whose initial values are fixed (for register offsets that must stay small, ...).
#[derive(Clone, Debug)]
pub struct CaseSrc {
    pub name: String,
    pub asm: String,
    pub seed: u64,
    pub fixed: Vec<(usize, u64)>,
}

fn fnv(s: &str) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in s.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// Sequences run from three random initial states each.
const HAND: &[&str] = &[
    // --- add/sub (immediate)
    "add x0, x1, #123",
    "add w0, w1, #4095",
    "add x0, x1, #1, lsl #12",
    "adds x0, x1, #1",
    "adds w0, w1, #1",
    "subs x0, x1, #5",
    "subs w0, w1, #0",
    "cmp x1, #10",
    "cmn w1, #1",
    "sub sp, sp, #32",
    "add x0, sp, #16",
    "mov x0, sp",
    "add sp, x20, #16",
    "sub x0, x1, #4095, lsl #12",
    // --- logical (immediate)
    "and x0, x1, #0xff",
    "and w0, w1, #0xf0f0f0f0",
    "orr x0, xzr, #0x5555555555555555",
    "eor x0, x1, #0xfffffffffffffff0",
    "ands x0, x1, #0x8000000000000000",
    "tst w1, #1",
    "ands w0, w1, #0xff00",
    "mov w0, #0xffff0000",
    "orr x0, x1, #0x3ffffffffffe",
    "and sp, x20, #0xfffffffffffffff0",
    // --- move wide
    "movz x0, #0x1234, lsl #48",
    "movn x0, #0",
    "movn w0, #0x1234, lsl #16",
    "movk x0, #0xbeef, lsl #32",
    "movk w1, #7",
    "mov x0, #-2",
    // --- PC-relative
    "adr x0, 1f; 1: nop",
    "1: adr x0, 1b",
    "adrp x0, .",
    "adrp x0, . + 0x12345000",
    // --- bitfield and extract
    "lsl x0, x1, #3",
    "lsr w0, w1, #31",
    "asr x0, x1, #63",
    "asr w0, w1, #7",
    "ubfx x0, x1, #8, #16",
    "sbfx w0, w1, #4, #8",
    "sbfx x0, x1, #1, #63",
    "sxtw x0, w1",
    "sxtb x0, w1",
    "sxth w0, w1",
    "uxtb w0, w1",
    "uxth w0, w1",
    "bfi x0, x1, #8, #16",
    "bfxil w0, w1, #4, #12",
    "ubfiz x0, x1, #4, #8",
    "sbfiz x0, x1, #60, #4",
    "bfc x0, #4, #8",
    "bfi w0, w1, #31, #1",
    "extr x0, x1, x2, #17",
    "extr w0, w1, w2, #31",
    "ror x0, x1, #5",
    "extr w0, w1, w2, #0",
    // --- add/sub (shifted, extended), with carry
    "add x0, x1, x2",
    "add w0, w1, w2, lsl #31",
    "sub x0, x1, x2, lsr #7",
    "adds x0, x1, x2, asr #63",
    "subs w0, w1, w2",
    "subs x0, x1, x2",
    "adds x0, x1, x2",
    "adds w0, w1, w2",
    "cmp x1, x2",
    "cmn w1, w2",
    "neg x0, x1",
    "negs w0, w1",
    "add x0, sp, w1, uxtw #2",
    "add x0, x1, w2, sxtw",
    "sub x0, x1, w2, uxtb #4",
    "adds x0, x1, w2, sxth #1",
    "cmp x1, w2, uxtw",
    "subs w0, w1, w2, sxtb",
    "add w0, w1, w2, uxth #3",
    "add x0, x1, x2, sxtx #2",
    "sub sp, sp, x1",
    "adc x0, x1, x2",
    "adcs w0, w1, w2",
    "adcs x0, x1, x2",
    "sbc x0, x1, x2",
    "sbcs x0, x1, x2",
    "sbcs w0, w1, w2",
    "ngc w0, w1",
    "adcs x0, x1, x1",
    // --- logical (shifted register)
    "and x0, x1, x2, lsl #4",
    "bic w0, w1, w2",
    "orr x0, x1, x2, ror #13",
    "orn w0, w1, w2, asr #3",
    "eor x0, x1, x2",
    "eon x0, x1, x2, lsr #1",
    "ands w0, w1, w2",
    "bics x0, x1, x2, lsl #60",
    "mov x0, x1",
    "mov w0, w1",
    "mvn w0, w1",
    "tst x1, x2",
    // --- conditional compare and select
    "ccmp x1, x2, #5, eq",
    "ccmp w1, #3, #0, ne",
    "ccmn x1, x2, #15, hi",
    "ccmn w1, #31, #2, lt",
    "ccmp x1, x2, #4, ge",
    "ccmp x1, x2, #1, gt",
    "ccmp w1, w2, #9, le",
    "ccmp x1, #0, #6, mi",
    "ccmp x1, x2, #3, vs",
    "ccmp x1, x2, #10, cs",
    "ccmp x1, x2, #12, ls",
    "csel x0, x1, x2, eq",
    "csel w0, w1, w2, lt",
    "csinc x0, x1, x2, ne",
    "csinv w0, w1, w2, hi",
    "csneg x0, x1, x2, ge",
    "cset w0, eq",
    "csetm x0, cc",
    "cinc x0, x1, le",
    "cneg w0, w1, mi",
    "csel x0, x1, x2, gt",
    "csel x0, x1, x2, vc",
    "csel x0, x1, x2, pl",
    "csel x0, x1, x2, ls",
    "csel x0, x1, x2, cs",
    "csel x0, x1, x2, vs",
    "csel x0, x1, x2, al",
    // --- 1, 2 and 3 source
    "udiv x0, x1, x2",
    "udiv w0, w1, w2",
    "sdiv x0, x1, x2",
    "sdiv w0, w1, w2",
    "sdiv x0, x1, xzr",
    "lsl x0, x1, x2",
    "lsr w0, w1, w2",
    "asr x0, x1, x2",
    "ror w0, w1, w2",
    "asr w0, w1, w2",
    "crc32b w0, w1, w2",
    "crc32h w0, w1, w2",
    "crc32w w0, w1, w2",
    "crc32x w0, w1, x2",
    "crc32cb w0, w1, w2",
    "crc32ch w0, w1, w2",
    "crc32cw w0, w1, w2",
    "crc32cx w0, w1, x2",
    "crc32cx w3, wzr, x3; crc32b w4, w4, wzr",
    "rbit x0, x1",
    "rbit w0, w1",
    "rev16 x0, x1",
    "rev16 w0, w1",
    "rev32 x0, x1",
    "rev w0, w1",
    "rev x0, x1",
    "clz x0, x1",
    "clz w0, w1",
    "cls x0, x1",
    "cls w0, w1",
    "madd x0, x1, x2, x3",
    "msub w0, w1, w2, w3",
    "mul x0, x1, x2",
    "mneg w0, w1, w2",
    "smaddl x0, w1, w2, x3",
    "smsubl x0, w1, w2, x3",
    "umaddl x0, w1, w2, x3",
    "umsubl x0, w1, w2, x3",
    "smull x0, w1, w2",
    "umull x0, w1, w2",
    "smulh x0, x1, x2",
    "umulh x0, x1, x2",
    // --- branches
    "b 1f; mov x0, #1; 1: nop",
    "bl 1f; mov x0, #1; 1: nop",
    "b.eq 1f; mov x0, #1; 1: nop",
    "b.ne 1f; mov x0, #1; 1: nop",
    "b.cs 1f; mov x0, #1; 1: nop",
    "b.cc 1f; mov x0, #1; 1: nop",
    "b.mi 1f; mov x0, #1; 1: nop",
    "b.pl 1f; mov x0, #1; 1: nop",
    "b.vs 1f; mov x0, #1; 1: nop",
    "b.vc 1f; mov x0, #1; 1: nop",
    "b.hi 1f; mov x0, #1; 1: nop",
    "b.ls 1f; mov x0, #1; 1: nop",
    "b.ge 1f; mov x0, #1; 1: nop",
    "b.lt 1f; mov x0, #1; 1: nop",
    "b.gt 1f; mov x0, #1; 1: nop",
    "b.le 1f; mov x0, #1; 1: nop",
    "b.al 1f; mov x0, #1; 1: nop",
    "cbz x1, 1f; mov x0, #1; 1: nop",
    "cbnz w1, 1f; mov x0, #1; 1: nop",
    "tbz x1, #63, 1f; mov x0, #1; 1: nop",
    "tbnz w1, #0, 1f; mov x0, #1; 1: nop",
    "tbnz x1, #35, 1f; mov x0, #1; 1: nop",
    "adr x1, 1f; br x1; mov x0, #1; 1: nop",
    "adr x1, 1f; blr x1; mov x0, #1; 1: nop",
    "adr x30, 1f; ret; mov x0, #1; 1: nop",
    "adr x2, 1f; ret x2; mov x0, #1; 1: nop",
    "mov x0, #3; 1: subs x0, x0, #1; b.ne 1b",
    "mov x0, #5; mov x1, #0; 1: add x1, x1, x0; sub x0, x0, #1; cbnz x0, 1b",
    // --- loads and stores
    "ldr x0, [x20]",
    "ldr w0, [x20, #4]",
    "ldrb w0, [x21, #1]",
    "ldrh w0, [x22, #2]",
    "ldrsb x0, [x20, #3]",
    "ldrsb w0, [x20, #3]",
    "ldrsh x0, [x21]",
    "ldrsh w0, [x21, #6]",
    "ldrsw x0, [x22, #4]",
    "ldr x0, [x20, #248]",
    "ldr q0, [x20, #16]",
    "ldr d1, [x20]",
    "ldr s2, [x20, #4]",
    "ldr h3, [x20, #2]",
    "ldr b4, [x20, #1]",
    "ldr x0, [sp, #8]",
    "str x1, [x20]",
    "str w1, [x21, #8]",
    "strb w1, [x22, #3]",
    "strh w1, [x20, #6]",
    "str q1, [x20, #32]",
    "str d2, [x20]",
    "str s3, [x21, #4]",
    "str h4, [x21]",
    "str b5, [x21]",
    "str xzr, [sp, #16]",
    "ldur x0, [x20, #-3]",
    "stur w1, [x20, #-255]",
    "ldursw x0, [x20, #1]",
    "ldurb w0, [x20, #-1]",
    "ldursh w0, [x20, #-1]",
    "ldur q0, [x20, #7]",
    "stur q1, [x20, #-17]",
    "sturh w1, [x20, #3]",
    "ldtr x0, [x20, #8]",
    "sttr w1, [x20, #-4]",
    "ldr x0, [x20, #8]!",
    "ldr x0, [x20], #-16",
    "str x1, [x20, #-8]!",
    "str w1, [x20], #4",
    "ldrb w0, [x20], #1",
    "strb w1, [x21, #1]!",
    "ldr q0, [x20], #16",
    "str q0, [x20, #-16]!",
    "str x30, [sp, #-16]!",
    "ldr x30, [sp], #16",
    "ldrsw x0, [x20], #4",
    "ldr d0, [x20, #-8]!",
    "ldr x0, 1f; b 2f; 1: .quad 0x1122334455667788; 2: nop",
    "ldr w0, 1f; b 2f; 1: .word 0x80000001; 2: nop",
    "ldrsw x0, 1f; b 2f; 1: .word 0x80000001; 2: nop",
    "ldr q0, 1f; b 2f; 1: .quad 0x0102030405060708, 0x1112131415161718; 2: nop",
    "ldr d0, 1f; b 2f; 1: .quad 0x0102030405060708; 2: nop",
    "ldr s0, 1f; b 2f; 1: .word 0x3f800000; 2: nop",
    "prfm pldl1keep, 1f; 1: nop",
    "ldp x0, x1, [x20]",
    "ldp w0, w1, [x20, #8]",
    "ldp x0, x1, [x20, #16]!",
    "ldp x0, x1, [x20], #-32",
    "stp x1, x2, [x20, #-16]",
    "stp w1, w2, [x20], #8",
    "stp x29, x30, [sp, #-32]!",
    "ldp x29, x30, [sp], #32",
    "ldpsw x0, x1, [x20, #4]",
    "ldpsw x0, x1, [x20], #8",
    "ldp q0, q1, [x20, #-32]",
    "stp q2, q3, [x20, #32]",
    "ldp d0, d1, [x20]",
    "stp s0, s1, [x20, #-8]!",
    "ldnp x0, x1, [x20]",
    "stnp x1, x2, [x21]",
    "ldp x20, x21, [x20]",
    "prfm pldl1keep, [x20]",
    "prfm pstl1strm, [x20, #64]",
    "prfum pldl2keep, [x20, #-3]",
    "ld1 {v0.16b}, [x20]",
    "ld1 {v0.8b}, [x20]",
    "ld1 {v0.16b, v1.16b}, [x20]",
    "ld1 {v0.4s, v1.4s, v2.4s}, [x20]",
    "ld1 {v30.16b, v31.16b, v0.16b, v1.16b}, [x20]",
    "st1 {v0.16b}, [x20]",
    "st1 {v1.2d, v2.2d}, [x20], #32",
    "ld1 {v0.8b, v1.8b}, [x20], #16",
    "st1 {v3.8b, v4.8b, v5.8b, v6.8b}, [x20]",
    "ld2 {v0.16b, v1.16b}, [x20]",
    "ld2 {v0.4h, v1.4h}, [x20], #16",
    "ld3 {v0.4s, v1.4s, v2.4s}, [x20]",
    "ld4 {v0.16b, v1.16b, v2.16b, v3.16b}, [x20]",
    "ld4 {v30.2d, v31.2d, v0.2d, v1.2d}, [x20], #64",
    "st2 {v0.8h, v1.8h}, [x20]",
    "st3 {v0.8b, v1.8b, v2.8b}, [x20], #24",
    "st4 {v0.4s, v1.4s, v2.4s, v3.4s}, [x20]",
    "ld1 {v0.b}[13], [x20]",
    "ld1 {v0.h}[2], [x20], #2",
    "ld1 {v0.s}[3], [x20]",
    "ld1 {v0.d}[1], [x20], #8",
    "st1 {v1.b}[9], [x20]",
    "st1 {v1.s}[1], [x20], #4",
    "st1 {v1.d}[0], [x20]",
    "ld1r {v0.16b}, [x20]",
    "ld1r {v0.4h}, [x20], #2",
    "ld1r {v0.2s}, [x20]",
    "ld1r {v0.2d}, [x20], #8",
    "ld2r {v0.16b, v1.16b}, [x20]",
    "ld2r {v0.4h, v1.4h}, [x20], #4",
    "ld3r {v0.4s, v1.4s, v2.4s}, [x20]",
    "ld3r {v5.8b, v6.8b, v7.8b}, [x20], x22",
    "ld4r {v0.2d, v1.2d, v2.2d, v3.2d}, [x20]",
    "ld4r {v0.4s, v1.4s, v2.4s, v3.4s}, [x20], #16",
    "ld4r {v30.8h, v31.8h, v0.8h, v1.8h}, [x20]",
    "ld2 {v0.b, v1.b}[15], [x20]",
    "ld2 {v0.h, v1.h}[3], [x20], #4",
    "ld3 {v0.s, v1.s, v2.s}[2], [x20]",
    "ld3 {v31.d, v0.d, v1.d}[1], [x20], #24",
    "ld4 {v0.b, v1.b, v2.b, v3.b}[7], [x20], x22",
    "ld4 {v4.d, v5.d, v6.d, v7.d}[0], [x20]",
    "st2 {v0.s, v1.s}[1], [x20]",
    "st3 {v0.h, v1.h, v2.h}[6], [x20], #6",
    "st4 {v0.b, v1.b, v2.b, v3.b}[12], [x20]",
    "st4 {v0.d, v1.d, v2.d, v3.d}[1], [x20], #32",
    // --- exclusives, acquire/release, LSE
    "ldxr x0, [x20]",
    "ldxr w0, [x20]; stxr w1, w2, [x20]",
    "ldaxr x0, [x20]; stlxr w1, x2, [x20]",
    "ldxrb w0, [x20]; stxrb w3, w2, [x20]",
    "ldaxrh w0, [x20]; stlxrh w3, w2, [x20]",
    "stxr w1, x2, [x20]",
    "ldxr x0, [x20]; clrex; stxr w1, x2, [x20]",
    "ldxr x0, [x20]; stxr w1, x2, [x20]; stxr w3, x4, [x20]",
    "ldxr w0, [x20]; stxr w1, w2, [x20, #0]; ldxr x0, [x21]; stxr w3, x4, [x22]",
    "ldxp w0, w1, [x20]; stxp w3, w4, w5, [x20]",
    "ldaxp w0, w1, [x20]; stlxp w3, w4, w5, [x20]",
    "ldxp x0, x1, [x20]; stxp w3, x4, x5, [x20]",
    "ldaxp x0, x1, [x20]; stlxp w3, x4, x5, [x20]",
    "ldxp x0, x1, [x20]; stxp w3, x4, x5, [x21]",
    "ldxp x0, x1, [x20]; clrex; stxp w3, x4, x5, [x20]",
    "stxp w3, x4, x5, [x20]",
    "ldaxp x6, x7, [x20]; stlxp w8, x7, xzr, [x20]; ldp x0, x1, [x20]",
    "ldar x0, [x20]",
    "ldarb w0, [x20]",
    "ldarh w0, [x20]",
    "ldar w0, [x20]",
    "ldapr x0, [x20]",
    "ldapr w0, [x20]",
    "ldaprb w0, [x20]",
    "ldaprh w0, [x20]",
    "stlr x1, [x21]; ldapr x0, [x20]",
    "stlr x1, [x20]",
    "stlrh w1, [x20]",
    "stlrb w1, [x20]",
    "stlr w1, [x20]",
    "cas x0, x1, [x20]",
    "ldr x0, [x20]; cas x0, x1, [x20]",
    "ldr w0, [x20]; casal w0, w1, [x20]",
    "ldrb w0, [x20]; casb w0, w1, [x20]",
    "ldrh w0, [x20]; caslh w0, w1, [x20]",
    "casah w0, w1, [x20]",
    "ldp w2, w3, [x20]; casp w2, w3, w4, w5, [x20]",
    "caspal w2, w3, w4, w5, [x20]",
    "ldp x2, x3, [x20]; casp x2, x3, x4, x5, [x20]",
    "caspal x2, x3, x4, x5, [x20]",
    "ldp x0, x1, [x20]; caspa x0, x1, x30, xzr, [x20]; ldp x6, x7, [x20]",
    "ldr x30, [x20]; caspl x30, xzr, x2, x3, [x20]; ldp x6, x7, [x20]",
    "ldadd x1, x0, [x20]",
    "ldaddal w1, w0, [x20]",
    "ldaddb w1, w0, [x20]",
    "ldclr x1, x0, [x20]",
    "ldclrlh w1, w0, [x20]",
    "ldeor x1, x0, [x20]",
    "ldeora w1, w0, [x20]",
    "ldset x1, x0, [x20]",
    "ldsetb w1, w0, [x20]",
    "ldsmax x1, x0, [x20]",
    "ldsmax w1, w0, [x20]",
    "ldsmaxb w1, w0, [x20]",
    "ldsmin x1, x0, [x20]",
    "ldsminh w1, w0, [x20]",
    "ldumax x1, x0, [x20]",
    "ldumaxh w1, w0, [x20]",
    "ldumin x1, x0, [x20]",
    "ldumin w1, w0, [x20]",
    "swp x1, x0, [x20]",
    "swpal w1, w0, [x20]",
    "swpb w1, w0, [x20]",
    "stadd x1, [x20]",
    "stsetl w1, [x20]",
    // --- scalar floating point
    "fadd d0, d1, d2",
    "fadd s0, s1, s2",
    "fsub d0, d1, d2",
    "fsub s0, s1, s2",
    "fmul s0, s1, s2",
    "fmul d0, d1, d2",
    "fdiv d0, d1, d2",
    "fdiv s0, s1, s2",
    "fnmul d0, d1, d2",
    "fmax d0, d1, d2",
    "fmin s0, s1, s2",
    "fmaxnm d0, d1, d2",
    "fminnm s0, s1, s2",
    "fmadd d0, d1, d2, d3",
    "fmadd s0, s1, s2, s3",
    "fmsub s0, s1, s2, s3",
    "fmsub d0, d1, d2, d3",
    "fnmadd d0, d1, d2, d3",
    "fnmsub s0, s1, s2, s3",
    "fabs d0, d1",
    "fneg s0, s1",
    "fsqrt d0, d1",
    "fsqrt s0, s1",
    "fmov d0, d1",
    "fmov s0, s1",
    "fcvt d0, s1",
    "fcvt s0, d1",
    "frintn d0, d1",
    "frinta s0, s1",
    "frintp d0, d1",
    "frintm s0, s1",
    "frintz d0, d1",
    "frintx d0, d1",
    "frinti s0, s1",
    "fcmp d1, d2",
    "fcmp s1, s2",
    "fcmp s1, #0.0",
    "fcmpe d1, d2",
    "fcmpe d1, #0.0",
    "fccmp d1, d2, #4, eq",
    "fccmpe s1, s2, #8, lt",
    "fcsel d0, d1, d2, gt",
    "fcsel s0, s1, s2, ne",
    "fmov d0, #1.0",
    "fmov s0, #-2.5",
    "fmov d0, #31.0",
    "fmov s0, #0.125",
    "fmov x0, d1",
    "fmov w0, s1",
    "fmov d0, x1",
    "fmov s0, w1",
    "fmov x0, v1.d[1]",
    "fmov v0.d[1], x1",
    "fcvtzs x0, d1",
    "fcvtzs w0, s1",
    "fcvtzu x0, s1",
    "fcvtzu w0, d1",
    "fcvtns x0, d1",
    "fcvtas w0, d1",
    "fcvtau x0, d1",
    "fcvtps x0, s1",
    "fcvtms w0, d1",
    "fcvtpu w0, s1",
    "fcvtmu x0, d1",
    "fcvtnu w0, s1",
    "scvtf d0, x1",
    "scvtf s0, w1",
    "ucvtf d0, w1",
    "ucvtf s0, x1",
    "scvtf d0, x1, #16",
    "ucvtf s0, w1, #3",
    "fcvtzs x0, d1, #10",
    "fcvtzu w0, s1, #31",
    "mov x1, #0x02000000; msr fpcr, x1; fadd d0, d1, d2; fmul s3, s1, s2; msr fpcr, xzr",
    "mov x1, #0x00800000; msr fpcr, x1; frinti d0, d1; frintx s3, s2; msr fpcr, xzr",
    "mov x9, #0x400000; msr fpcr, x9; fadd d0, d1, d2; fsub s3, s1, s2; fmul d4, d1, d2; fdiv s5, s1, s2; fsqrt d6, d1; fcvt s7, d1; fnmul d8, d1, d2; fdiv d9, d1, d2; msr fpcr, xzr",
    "mov x9, #0x800000; msr fpcr, x9; fadd d0, d1, d2; fsub s3, s1, s2; fmul d4, d1, d2; fdiv s5, s1, s2; fsqrt d6, d1; fcvt s7, d1; fnmul d8, d1, d2; fdiv d9, d1, d2; msr fpcr, xzr",
    "mov x9, #0xc00000; msr fpcr, x9; fadd d0, d1, d2; fsub s3, s1, s2; fmul d4, d1, d2; fdiv s5, s1, s2; fsqrt d6, d1; fcvt s7, d1; fnmul d8, d1, d2; fdiv d9, d1, d2; msr fpcr, xzr",
    // --- AdvSIMD
    // --- Cryptographic AES and SHA (crypto.rs)
    "aese v0.16b, v1.16b",
    "aesd v0.16b, v1.16b",
    "aesmc v0.16b, v1.16b",
    "aesimc v0.16b, v1.16b",
    "aese v0.16b, v1.16b; aesmc v0.16b, v0.16b; aesd v2.16b, v1.16b; aesimc v2.16b, v2.16b",
    "sha1c q0, s1, v2.4s",
    "sha1p q0, s1, v2.4s",
    "sha1m q0, s1, v2.4s",
    "sha1h s0, s1",
    "sha1su0 v0.4s, v1.4s, v2.4s",
    "sha1su1 v0.4s, v1.4s",
    "sha256h q0, q1, v2.4s",
    "sha256h2 q0, q1, v2.4s",
    "sha256su0 v0.4s, v1.4s",
    "sha256su1 v0.4s, v1.4s, v2.4s",
    // --- AdvSIMD FP forms of simd_fp.rs
    "frintn v0.4s, v1.4s",
    "frintm v0.2d, v1.2d",
    "frintp v0.2s, v1.2s",
    "frintz v0.4s, v1.4s",
    "frinta v0.2d, v1.2d",
    "frintx v0.4s, v1.4s",
    "frinti v0.2d, v1.2d",
    "fcvtns v0.4s, v1.4s",
    "fcvtnu v0.2d, v1.2d",
    "fcvtms v0.2s, v1.2s",
    "fcvtmu v0.4s, v1.4s",
    "fcvtas v0.2d, v1.2d",
    "fcvtau v0.4s, v1.4s",
    "fcvtps v0.4s, v1.4s",
    "fcvtpu v0.2d, v1.2d",
    "fcvtns s0, s1",
    "fcvtmu d0, d1",
    "fcvtas d0, d1",
    "fcvtpu s0, s1",
    "scvtf v0.4s, v1.4s, #3",
    "ucvtf v0.2d, v1.2d, #64",
    "fcvtzs v0.4s, v1.4s, #16",
    "fcvtzu v0.2d, v1.2d, #1",
    "scvtf s0, s1, #32",
    "ucvtf d0, d1, #12",
    "fcvtzs d0, d1, #63",
    "fcvtzu s0, s1, #5",
    "facge v0.4s, v1.4s, v2.4s",
    "facgt v0.2d, v1.2d, v2.2d",
    "facge s0, s1, s2",
    "facgt d0, d1, d2",
    "frecps v0.4s, v1.4s, v2.4s",
    "frecps d0, d1, d2",
    "frsqrts v0.4s, v1.4s, v2.4s",
    "frsqrts v0.2s, v1.2s, v2.2s",
    "frsqrts v0.2d, v1.2d, v2.2d",
    "frsqrts s0, s1, s2",
    "frsqrts d0, d1, d2",
    "fmov v1.4s, #1.5; fmov v2.4s, #-2.0; frsqrts v0.4s, v1.4s, v2.4s; frsqrts v3.4s, v1.4s, v1.4s",
    "frecpe v0.4s, v1.4s",
    "frecpe v0.2s, v1.2s",
    "frecpe v0.2d, v1.2d",
    "frecpe s0, s1",
    "frecpe d0, d1",
    "frsqrte v0.4s, v1.4s",
    "frsqrte v0.2s, v1.2s",
    "frsqrte v0.2d, v1.2d",
    "frsqrte s0, s1",
    "frsqrte d0, d1",
    "urecpe v0.4s, v1.4s",
    "urecpe v0.2s, v1.2s",
    "ursqrte v0.4s, v1.4s",
    "ursqrte v0.2s, v1.2s",
    "frecpx s0, s1",
    "frecpx d0, d1",
    "frecpx s0, s1; frecpx d2, d3; frecpx s4, s5; frecpx d6, d7",
    "fcvtxn s0, d1",
    "fcvtxn v0.2s, v1.2d",
    "fcvtxn2 v0.4s, v1.2d",
    "fcvtxn v2.2s, v3.2d; fcvtxn2 v2.4s, v4.2d; fcvtxn s5, d6; fcvtxn s7, d8",
    "mov x1, #0x01000000; msr fpcr, x1; fcvtxn v0.2s, v1.2d; fcvtxn2 v0.4s, v2.2d; msr fpcr, xzr",
    "mov x1, #0x02000000; msr fpcr, x1; fcvtxn v0.2s, v1.2d; frecpx s2, s3; msr fpcr, xzr",
    "fmaxnmv s0, v1.4s",
    "fminnmv s0, v1.4s",
    "fmaxv s0, v1.4s",
    "fminv s0, v1.4s",
    "fmaxnmv s0, v2.4s; fminnmv s1, v3.4s; fmaxv s4, v5.4s; fminv s6, v7.4s",
    "fmaxnmp v0.2s, v1.2s, v2.2s",
    "fmaxnmp v0.4s, v1.4s, v2.4s",
    "fmaxnmp v0.2d, v1.2d, v2.2d",
    "fminnmp v0.2s, v1.2s, v2.2s",
    "fminnmp v0.4s, v1.4s, v2.4s",
    "fminnmp v0.2d, v1.2d, v2.2d",
    "fcvtn v0.4h, v1.4s",
    "fcvtn2 v0.8h, v1.4s",
    "fcvtl v0.4s, v1.4h",
    "fcvtl2 v0.4s, v1.8h",
    "fcvtn v0.4h, v1.4s; fcvtl v2.4s, v0.4h; fcvtn2 v3.8h, v4.4s; fcvtl2 v5.4s, v3.8h; fcvtl v6.4s, v7.4h",
    "mov x1, #0x04000000; msr fpcr, x1; fcvtn v0.4h, v1.4s; fcvtl v2.4s, v3.4h; fcvtn2 v4.8h, v5.4s; msr fpcr, xzr",
    "mov x1, #0x02000000; msr fpcr, x1; fcvtn v0.4h, v1.4s; fcvtl v2.4s, v3.4h; msr fpcr, xzr",
    "mov x1, #0x01000000; msr fpcr, x1; fcvtn v0.4h, v1.4s; fcvtl v2.4s, v3.4h; msr fpcr, xzr",
    "mov x1, #0x00400000; msr fpcr, x1; fcvtn v0.4h, v1.4s; fcvtn2 v0.8h, v2.4s; msr fpcr, xzr",
    "mov x1, #0x00800000; msr fpcr, x1; fcvtn v0.4h, v1.4s; fcvtn2 v0.8h, v2.4s; msr fpcr, xzr",
    "mov x1, #0x00c00000; msr fpcr, x1; fcvtn v0.4h, v1.4s; fcvtn2 v0.8h, v2.4s; msr fpcr, xzr",
    "movi v1.4s, #0x47, lsl #24; fcvtn v0.4h, v1.4s; movi v2.4s, #0x33, lsl #24; fcvtn v3.4h, v2.4s; fcvtl v4.4s, v3.4h",
    "frecpe v0.4s, v2.4s; frecpe v3.2d, v4.2d; frsqrte v5.4s, v6.4s; frsqrte v7.2d, v8.2d",
    "mov x1, #0x01000000; msr fpcr, x1; frecpe v0.4s, v1.4s; frsqrte v2.2d, v3.2d; frecpe v4.2d, v5.2d; msr fpcr, xzr",
    "mov x1, #0x02000000; msr fpcr, x1; frecpe v0.4s, v1.4s; frsqrte v2.4s, v3.4s; msr fpcr, xzr",
    "mov x1, #0x00400000; msr fpcr, x1; frecpe v0.2d, v1.2d; frecpe s2, s3; msr fpcr, xzr",
    "mov x1, #0x00800000; msr fpcr, x1; frecpe v0.2d, v1.2d; frecpe s2, s3; msr fpcr, xzr",
    "mov x1, #0x00c00000; msr fpcr, x1; frecpe v0.2d, v1.2d; frecpe s2, s3; msr fpcr, xzr",
    "fmulx v0.2d, v1.2d, v2.2d",
    "fmulx s0, s1, s2",
    "fmulx v0.4s, v1.4s, v2.s[3]",
    "fmulx d0, d1, v2.d[1]",
    // --- AdvSIMD saturating, doubling, dot-product and polynomial families (simd_sat.rs)
    "sqdmulh v0.4s, v1.4s, v2.4s",
    "sqdmulh v0.2s, v1.2s, v2.2s",
    "sqdmulh v0.8h, v1.8h, v2.8h",
    "sqrdmulh v0.4h, v1.4h, v2.4h",
    "sqrdmulh v0.4s, v1.4s, v2.4s",
    "sqdmulh s0, s1, s2",
    "sqrdmulh h0, h1, h2",
    "sqdmulh v0.4s, v1.4s, v2.s[1]",
    "sqdmulh v0.8h, v1.8h, v2.h[5]",
    "sqrdmulh v0.2s, v1.2s, v2.s[3]",
    "sqdmulh s0, s1, v2.s[2]",
    "sqrdmulh h0, h1, v2.h[7]",
    "sqrdmlah v0.8h, v1.8h, v2.8h",
    "sqrdmlsh v0.4s, v1.4s, v2.4s",
    "sqrdmlah s0, s1, s2",
    "sqrdmlsh h0, h1, h2",
    "sqrdmlah v0.4s, v1.4s, v2.s[1]",
    "sqrdmlsh v0.4h, v1.4h, v2.h[6]",
    "sqrdmlah h0, h1, v2.h[3]",
    "sqdmull v0.4s, v1.4h, v2.4h",
    "sqdmull2 v0.2d, v1.4s, v2.4s",
    "sqdmlal v0.2d, v1.2s, v2.2s",
    "sqdmlsl2 v0.4s, v1.8h, v2.8h",
    "sqdmull d0, s1, s2",
    "sqdmlal s0, h1, h2",
    "sqdmlsl d0, s1, s2",
    "sqdmull v0.4s, v1.4h, v2.h[2]",
    "sqdmlal2 v0.2d, v1.4s, v2.s[3]",
    "sqdmlsl v0.4s, v1.4h, v2.h[7]",
    "sqdmull d0, s1, v2.s[1]",
    "sqdmlal s0, h1, v2.h[4]",
    "sdot v0.4s, v1.16b, v2.16b",
    "udot v0.2s, v1.8b, v2.8b",
    "sdot v0.2s, v1.8b, v2.4b[3]",
    "udot v0.4s, v1.16b, v2.4b[1]",
    "sqshl v0.16b, v1.16b, v2.16b",
    "uqshl v0.8h, v1.8h, v2.8h",
    "sqrshl v0.4s, v1.4s, v2.4s",
    "uqrshl v0.2d, v1.2d, v2.2d",
    "srshl v0.8b, v1.8b, v2.8b",
    "urshl v0.2d, v1.2d, v2.2d",
    "sqshl b0, b1, b2",
    "uqrshl s0, s1, s2",
    "srshl d0, d1, d2",
    "urshl d0, d1, d2",
    "sqshl v0.16b, v1.16b, #3",
    "uqshl v0.4s, v1.4s, #17",
    "sqshlu v0.8h, v1.8h, #9",
    "sqshl d0, d1, #40",
    "uqshl h0, h1, #3",
    "sqshlu s0, s1, #31",
    "sqshrn v0.8b, v1.8h, #3",
    "sqrshrn2 v0.8h, v1.4s, #16",
    "uqshrn v0.2s, v1.2d, #1",
    "uqrshrn v0.4h, v1.4s, #7",
    "sqshrun v0.8b, v1.8h, #8",
    "sqrshrun2 v0.4s, v1.2d, #20",
    "sqshrn b0, h1, #2",
    "uqrshrn s0, d1, #31",
    "sqrshrun h0, s1, #5",
    "sqabs v0.16b, v1.16b",
    "sqneg v0.4s, v1.4s",
    "suqadd v0.8h, v1.8h",
    "usqadd v0.2d, v1.2d",
    "sqabs d0, d1",
    "sqneg b0, b1",
    "suqadd s0, s1",
    "usqadd h0, h1",
    "sqxtn b0, h1",
    "uqxtn s0, d1",
    "sqxtun h0, s1",
    "shsub v0.16b, v1.16b, v2.16b",
    "uhsub v0.4s, v1.4s, v2.4s",
    "saba v0.8h, v1.8h, v2.8h",
    "uaba v0.2s, v1.2s, v2.2s",
    "raddhn v0.8b, v1.8h, v2.8h",
    "rsubhn2 v0.4s, v1.2d, v2.2d",
    "pmul v0.16b, v1.16b, v2.16b",
    "pmull v0.8h, v1.8b, v2.8b",
    "pmull2 v0.8h, v1.16b, v2.16b",
    "pmull v0.1q, v1.1d, v2.1d",
    "pmull2 v0.1q, v1.2d, v2.2d",
    "fmul s0, s1, v2.s[3]",
    "fmla d0, d1, v2.d[1]",
    "fmls s0, s1, v17.s[1]",
    "and v0.16b, v1.16b, v2.16b",
    "bic v0.8b, v1.8b, v2.8b",
    "orr v0.16b, v1.16b, v2.16b",
    "mov v0.16b, v1.16b",
    "orn v0.16b, v1.16b, v2.16b",
    "eor v0.8b, v1.8b, v2.8b",
    "bsl v0.16b, v1.16b, v2.16b",
    "bit v0.16b, v1.16b, v2.16b",
    "bif v0.8b, v1.8b, v2.8b",
    "add v0.16b, v1.16b, v2.16b",
    "add v0.2d, v1.2d, v2.2d",
    "add v0.4h, v1.4h, v2.4h",
    "sub v0.4s, v1.4s, v2.4s",
    "mul v0.8h, v1.8h, v2.8h",
    "mul v0.2s, v1.2s, v2.2s",
    "mla v0.4s, v1.4s, v2.4s",
    "mls v0.16b, v1.16b, v2.16b",
    "cmeq v0.16b, v1.16b, v2.16b",
    "cmeq v0.2d, v1.2d, v2.2d",
    "cmhi v0.8h, v1.8h, v2.8h",
    "cmhs v0.4s, v1.4s, v2.4s",
    "cmgt v0.16b, v1.16b, v2.16b",
    "cmge v0.2s, v1.2s, v2.2s",
    "cmtst v0.16b, v1.16b, v2.16b",
    "cmeq v0.16b, v1.16b, #0",
    "cmgt v0.4s, v1.4s, #0",
    "cmge v0.8h, v1.8h, #0",
    "cmle v0.16b, v1.16b, #0",
    "cmlt v0.2d, v1.2d, #0",
    "addp v0.16b, v1.16b, v2.16b",
    "addp v0.2d, v1.2d, v2.2d",
    "addp v0.4s, v1.4s, v2.4s",
    "umaxp v0.16b, v1.16b, v2.16b",
    "uminp v0.8b, v1.8b, v2.8b",
    "smaxp v0.4s, v1.4s, v2.4s",
    "sminp v0.8h, v1.8h, v2.8h",
    "umax v0.16b, v1.16b, v2.16b",
    "umin v0.4s, v1.4s, v2.4s",
    "smax v0.8h, v1.8h, v2.8h",
    "smin v0.2s, v1.2s, v2.2s",
    "uabd v0.16b, v1.16b, v2.16b",
    "sabd v0.4s, v1.4s, v2.4s",
    "ushl v0.4s, v1.4s, v2.4s",
    "sshl v0.16b, v1.16b, v2.16b",
    "uqadd v0.16b, v1.16b, v2.16b",
    "sqadd v0.8h, v1.8h, v2.8h",
    "uqsub v0.16b, v1.16b, v2.16b",
    "sqsub v0.4s, v1.4s, v2.4s",
    "uhadd v0.8b, v1.8b, v2.8b",
    "urhadd v0.16b, v1.16b, v2.16b",
    "shadd v0.4h, v1.4h, v2.4h",
    "addv b0, v1.16b",
    "addv h0, v1.8h",
    "addv s0, v1.4s",
    "umaxv b0, v1.16b",
    "umaxv s0, v1.4s",
    "uminv b0, v1.8b",
    "uminv h0, v1.8h",
    "smaxv b0, v1.16b",
    "sminv s0, v1.4s",
    "uaddlv h0, v1.16b",
    "uaddlv s0, v1.8h",
    "saddlv d0, v1.4s",
    "rev64 v0.16b, v1.16b",
    "rev64 v0.4s, v1.4s",
    "rev32 v0.8h, v1.8h",
    "rev32 v0.16b, v1.16b",
    "rev16 v0.16b, v1.16b",
    "cnt v0.16b, v1.16b",
    "cnt v0.8b, v1.8b",
    "not v0.16b, v1.16b",
    "rbit v0.8b, v1.8b",
    "abs v0.4s, v1.4s",
    "neg v0.2d, v1.2d",
    "cls v0.8h, v1.8h",
    "clz v0.16b, v1.16b",
    "clz v0.4s, v1.4s",
    "uaddlp v0.8h, v1.16b",
    "saddlp v0.2d, v1.4s",
    "uadalp v0.4s, v1.8h",
    "xtn v0.8b, v1.8h",
    "xtn2 v0.16b, v1.8h",
    "xtn v0.2s, v1.2d",
    "sqxtn v0.4h, v1.4s",
    "uqxtn v0.8b, v1.8h",
    "sqxtun v0.8b, v1.8h",
    "shll v0.8h, v1.8b, #8",
    "shll2 v0.4s, v1.8h, #16",
    "dup v0.16b, w1",
    "dup v0.4s, w1",
    "dup v0.2d, x1",
    "dup v0.8h, v1.h[3]",
    "dup v0.16b, v1.b[15]",
    "dup v0.2d, v1.d[1]",
    "ins v0.s[1], w1",
    "ins v0.d[1], x1",
    "ins v0.b[7], v1.b[2]",
    "ins v0.s[3], v1.s[0]",
    "umov w0, v1.b[5]",
    "umov w0, v1.h[7]",
    "umov w0, v1.s[3]",
    "umov x0, v1.d[1]",
    "smov w0, v1.b[3]",
    "smov x0, v1.h[2]",
    "smov x0, v1.s[1]",
    "movi v0.16b, #0x41",
    "movi v0.2d, #0",
    "movi v0.2d, #0xff00ff0000ffff00",
    "movi v0.4s, #0x12, lsl #16",
    "movi v0.8h, #0x80, lsl #8",
    "movi v0.4s, #0x34, msl #8",
    "movi v0.2s, #0x56, msl #16",
    "movi d0, #0xffffffff00000000",
    "mvni v0.4s, #0x12, lsl #24",
    "mvni v0.8h, #0x3",
    "orr v0.4s, #0x7, lsl #8",
    "bic v0.8h, #0xff",
    "fmov v0.4s, #1.5",
    "fmov v0.2d, #-3.0",
    "fmov v0.2s, #0.5",
    "ushr v0.16b, v1.16b, #3",
    "ushr v0.2d, v1.2d, #63",
    "sshr v0.4s, v1.4s, #31",
    "sshr v0.8h, v1.8h, #1",
    "usra v0.4s, v1.4s, #7",
    "ssra v0.2d, v1.2d, #64",
    "urshr v0.16b, v1.16b, #8",
    "srshr v0.4s, v1.4s, #3",
    "shl v0.16b, v1.16b, #7",
    "shl v0.2d, v1.2d, #32",
    "sli v0.4s, v1.4s, #4",
    "sri v0.8h, v1.8h, #3",
    "shrn v0.8b, v1.8h, #4",
    "shrn2 v0.16b, v1.8h, #8",
    "shrn v0.2s, v1.2d, #32",
    "rshrn v0.4h, v1.4s, #5",
    "ushll v0.8h, v1.8b, #0",
    "ushll2 v0.4s, v1.8h, #3",
    "sshll v0.2d, v1.2s, #0",
    "uxtl v0.8h, v1.8b",
    "sxtl2 v0.4s, v1.8h",
    "uzp1 v0.16b, v1.16b, v2.16b",
    "uzp2 v0.8h, v1.8h, v2.8h",
    "uzp1 v0.4s, v1.4s, v2.4s",
    "zip1 v0.16b, v1.16b, v2.16b",
    "zip2 v0.4s, v1.4s, v2.4s",
    "zip1 v0.2d, v1.2d, v2.2d",
    "trn1 v0.8b, v1.8b, v2.8b",
    "trn2 v0.8h, v1.8h, v2.8h",
    // Forms lowered to IR lane ops (64-bit vectors, the other compares, narrowing into the
    // upper half, shifts at the lane width).
    "cmgt v0.8b, v1.8b, v2.8b",
    "cmhi v0.2d, v1.2d, v2.2d",
    "cmhs v0.16b, v1.16b, v2.16b",
    "cmge v0.2d, v1.2d, v2.2d",
    "cmgt v0.8b, v1.8b, #0",
    "cmle v0.4h, v1.4h, #0",
    "cmlt v0.4s, v1.4s, #0",
    "cmge v0.2d, v1.2d, #0",
    "umax v0.4h, v1.4h, v2.4h",
    "smin v0.16b, v1.16b, v2.16b",
    "smax v0.4s, v1.4s, v2.4s",
    "umin v0.8h, v1.8h, v2.8h",
    "urhadd v0.4h, v1.4h, v2.4h",
    "mul v0.4s, v1.4s, v2.4s",
    "uqadd v0.4h, v1.4h, v2.4h",
    "sqsub v0.8b, v1.8b, v2.8b",
    "sqxtn v0.8b, v1.8h",
    "sqxtn2 v0.16b, v1.8h",
    "sqxtun2 v0.16b, v1.8h",
    "uqxtn2 v0.16b, v1.8h",
    "xtn2 v0.8h, v1.4s",
    "zip1 v0.8b, v1.8b, v2.8b",
    "zip2 v0.4h, v1.4h, v2.4h",
    "zip2 v0.16b, v1.16b, v2.16b",
    "zip1 v0.8h, v1.8h, v2.8h",
    "uzp1 v0.8b, v1.8b, v2.8b",
    "uzp2 v0.2s, v1.2s, v2.2s",
    "uzp2 v0.2d, v1.2d, v2.2d",
    "sshll2 v0.8h, v1.16b, #3",
    "sxtl v0.2d, v1.2s",
    "ushll v0.4s, v1.4h, #15",
    "shl v0.4h, v1.4h, #15",
    "sshr v0.16b, v1.16b, #8",
    "ushr v0.4h, v1.4h, #16",
    "usra v0.8b, v1.8b, #8",
    "ext v0.16b, v1.16b, v2.16b, #3",
    "ext v0.8b, v1.8b, v2.8b, #7",
    "ext v0.16b, v1.16b, v2.16b, #0",
    "tbl v0.16b, {v1.16b}, v2.16b",
    "tbl v0.8b, {v1.16b, v2.16b}, v3.8b",
    "tbx v0.16b, {v1.16b}, v2.16b",
    "movi v3.16b, #0x0f; and v3.16b, v3.16b, v2.16b; tbl v0.16b, {v1.16b}, v3.16b",
    "uaddl v0.8h, v1.8b, v2.8b",
    "uaddl2 v0.4s, v1.8h, v2.8h",
    "saddl v0.2d, v1.2s, v2.2s",
    "uaddw v0.8h, v1.8h, v2.8b",
    "saddw2 v0.4s, v1.4s, v2.8h",
    "usubl v0.8h, v1.8b, v2.8b",
    "ssubw v0.2d, v1.2d, v2.2s",
    "umull v0.8h, v1.8b, v2.8b",
    "smull2 v0.4s, v1.8h, v2.8h",
    "umlal v0.2d, v1.2s, v2.2s",
    "smlsl v0.4s, v1.4h, v2.4h",
    "uabdl v0.8h, v1.8b, v2.8b",
    "uabal v0.4s, v1.4h, v2.4h",
    "addhn v0.8b, v1.8h, v2.8h",
    "subhn2 v0.8h, v1.4s, v2.4s",
    "mul v0.4s, v1.4s, v2.s[1]",
    "mul v0.8h, v1.8h, v2.h[5]",
    "mla v0.4s, v1.4s, v2.s[3]",
    "mls v0.4h, v1.4h, v2.h[1]",
    "umull v0.2d, v1.2s, v2.s[1]",
    "smlal2 v0.4s, v1.8h, v2.h[7]",
    "fadd v0.4s, v1.4s, v2.4s",
    "fadd v0.2d, v1.2d, v2.2d",
    "fsub v0.2s, v1.2s, v2.2s",
    "fmul v0.2d, v1.2d, v2.2d",
    "fmul v0.4s, v1.4s, v2.4s",
    "fdiv v0.4s, v1.4s, v2.4s",
    "fmla v0.2d, v1.2d, v2.2d",
    "fmla v0.4s, v1.4s, v2.4s",
    "fmls v0.2s, v1.2s, v2.2s",
    "fmax v0.4s, v1.4s, v2.4s",
    "fmin v0.2d, v1.2d, v2.2d",
    "fmaxnm v0.4s, v1.4s, v2.4s",
    "fminnm v0.2d, v1.2d, v2.2d",
    "fabd v0.4s, v1.4s, v2.4s",
    "faddp v0.4s, v1.4s, v2.4s",
    "faddp v0.2d, v1.2d, v2.2d",
    "fmaxp v0.2s, v1.2s, v2.2s",
    "fcmeq v0.4s, v1.4s, v2.4s",
    "fcmge v0.2d, v1.2d, v2.2d",
    "fcmgt v0.4s, v1.4s, v2.4s",
    "fcmgt v0.4s, v1.4s, #0.0",
    "fcmeq v0.2d, v1.2d, #0.0",
    "fcmle v0.4s, v1.4s, #0.0",
    "fcmlt v0.2d, v1.2d, #0.0",
    "fcmge v0.4s, v1.4s, #0.0",
    "fabs v0.4s, v1.4s",
    "fneg v0.2d, v1.2d",
    "fsqrt v0.4s, v1.4s",
    "scvtf v0.4s, v1.4s",
    "ucvtf v0.2d, v1.2d",
    "fcvtzs v0.4s, v1.4s",
    "fcvtzu v0.2d, v1.2d",
    "fcvtn v0.2s, v1.2d",
    "fcvtn2 v0.4s, v1.2d",
    "fcvtl v0.2d, v1.2s",
    "fcvtl2 v0.2d, v1.4s",
    "fmla v0.4s, v1.4s, v2.s[2]",
    "fmla v0.2d, v1.2d, v2.d[1]",
    "fmul v0.4s, v1.4s, v2.s[3]",
    "fmls v0.2d, v1.2d, v2.d[0]",
    "add d0, d1, d2",
    "sshr v0.16b, v1.16b, #8",
    "sshr v0.8h, v1.8h, #16",
    "sshr v0.2d, v1.2d, #64",
    "ssra v0.16b, v1.16b, #3",
    "usra v0.2d, v1.2d, #64",
    "usra v0.8b, v1.8b, #1",
    "sub v0.16b, v1.16b, v2.16b",
    "sub v0.8h, v1.8h, v2.8h",
    "sub v0.2d, v1.2d, v2.2d",
    "add v0.8b, v1.8b, v2.8b",
    "add v0.4s, v1.4s, v2.4s",
    "cmeq v0.8h, v1.8h, v2.8h",
    "cmeq v0.4s, v1.4s, #0",
    "cmeq v0.8b, v1.8b, #0",
    "sshll v0.8h, v1.8b, #7",
    "ushll2 v0.2d, v1.4s, #31",
    "sxtl v0.2d, v1.2s",
    "sshll2 v0.4s, v1.8h, #15",
    "shl v0.8h, v1.8h, #15",
    "ushr v0.4s, v1.4s, #32",
    "movi v1.16b, #0x80; cmeq v0.16b, v1.16b, #0; sub v2.16b, v1.16b, v0.16b",
    "sub d0, d1, d2",
    "cmeq d0, d1, d2",
    "cmhi d0, d1, d2",
    "cmge d0, d1, #0",
    "cmlt d0, d1, #0",
    "neg d0, d1",
    "abs d0, d1",
    "ushl d0, d1, d2",
    "uqadd b0, b1, b2",
    "sqsub s0, s1, s2",
    "fabd d0, d1, d2",
    "fcmgt s0, s1, s2",
    "fcmeq d0, d1, #0.0",
    "scvtf d0, d1",
    "ucvtf s0, s1",
    "fcvtzs d0, d1",
    "fcvtzu s0, s1",
    "addp d0, v1.2d",
    "faddp s0, v1.2s",
    "faddp d0, v1.2d",
    "fmaxp s0, v1.2s",
    "fminnmp d0, v1.2d",
    "mov s0, v1.s[3]",
    "mov d0, v1.d[1]",
    "mov b0, v1.b[9]",
    "shl d0, d1, #13",
    "ushr d0, d1, #64",
    "sshr d0, d1, #3",
    "usra d0, d1, #9",
    "sli d0, d1, #60",
    "sri d0, d1, #1",
    // --- system
    "msr nzcv, x1",
    "mrs x0, nzcv",
    "msr nzcv, x1; mrs x0, nzcv",
    "msr tpidr_el0, x1; mrs x0, tpidr_el0",
    "mrs x0, fpcr",
    "mov x1, #0x03c00000; msr fpcr, x1; mrs x0, fpcr; msr fpcr, xzr",
    "msr fpsr, x1; mrs x0, fpsr; msr fpsr, xzr",
    "mrs x0, ctr_el0",
    "mrs x0, dczid_el0",
    "mrs x0, midr_el1",
    "mrs x0, mpidr_el1",
    "mrs x0, revidr_el1",
    // The ID registers (HWCAP_CPUID). Masked where xlate reports less than qemu's
    // neoverse-n1 on purpose: ID_AA64PFR0.FP and .AdvSIMD (no FP16).
    "mrs x0, s3_0_c0_c4_0; and x0, x0, #0xffffffffff00ffff; mrs x1, s3_0_c0_c4_1",
    // PSTATE.SSBS: a write read back (qemu starts a process with SSBS 0, Linux and xlate
    // with 1, so the initial value is not compared). The assembler wants +ssbs for the names:
    // s0_3_c4_c0_1 / s0_3_c4_c1_1 with xzr are MSR SSBS, #0 / #1, s3_3_c4_c2_6 is SSBS.
    "msr s0_3_c4_c0_1, xzr; mrs x0, s3_3_c4_c2_6; msr s0_3_c4_c1_1, xzr; mrs x1, s3_3_c4_c2_6; msr s0_3_c4_c0_1, xzr; mrs x2, s3_3_c4_c2_6",
    "msr s3_3_c4_c2_6, x3; mrs x0, s3_3_c4_c2_6; mvn x3, x3; msr s3_3_c4_c2_6, x3; mrs x1, s3_3_c4_c2_6; msr s3_3_c4_c2_6, xzr; mrs x2, s3_3_c4_c2_6",
    "mov x3, #0x1000; msr s3_3_c4_c2_6, x3; mrs x0, s3_3_c4_c2_6; mov x3, #0xffffffffffffefff; msr s3_3_c4_c2_6, x3; mrs x1, s3_3_c4_c2_6",
    "mrs x2, s3_0_c0_c4_2; mrs x3, s3_0_c0_c4_3; mrs x4, s3_0_c0_c4_4; mrs x5, s3_0_c0_c4_5; mrs x6, s3_0_c0_c4_6; mrs x7, s3_0_c0_c4_7",
    "mrs x0, s3_0_c0_c5_0; mrs x1, s3_0_c0_c5_1; mrs x2, s3_0_c0_c5_2; mrs x3, s3_0_c0_c5_3; mrs x4, s3_0_c0_c5_4; mrs x5, s3_0_c0_c5_5; mrs x6, s3_0_c0_c5_6; mrs x7, s3_0_c0_c5_7",
    "mrs x0, s3_0_c0_c6_0; mrs x1, s3_0_c0_c6_1; mrs x2, s3_0_c0_c6_2; mrs x3, s3_0_c0_c6_3; mrs x4, s3_0_c0_c6_4; mrs x5, s3_0_c0_c6_5; mrs x6, s3_0_c0_c6_6; mrs x7, s3_0_c0_c6_7",
    "mrs x0, s3_0_c0_c7_0; mrs x1, s3_0_c0_c7_1; mrs x2, s3_0_c0_c7_2; mrs x3, s3_0_c0_c7_3; mrs x4, s3_0_c0_c7_4; mrs x5, s3_0_c0_c7_5; mrs x6, s3_0_c0_c7_6; mrs x7, s3_0_c0_c7_7",
    "nop",
    "yield",
    "dmb ish",
    "dmb ishld",
    "dsb sy",
    "isb",
    "clrex",
    "dc civac, x20",
    "dc cvau, x20",
    "dc zva, x20",
    "dc cvap, x20",
    "add x1, x20, #100; dc cvap, x1",
    "add x1, x20, #64; dc zva, x1",
];

/// Extra initial-register constraints for the hand cases that need them: register offsets
/// must stay inside the scratch memory.
const HAND_FIXED: &[(&str, &[(usize, u64)])] = &[
    ("ldr x0, [x20, x1]", &[(1, 16)]),
    ("ldr x0, [x20, x1, lsl #3]", &[(1, 3)]),
    ("ldr w0, [x20, w1, uxtw #2]", &[(1, 0xffff_ffff_0000_0005)]),
    ("ldr w0, [x20, w1, sxtw]", &[(1, 0xffff_fff8)]),
    ("ldrb w0, [x20, x1]", &[(1, 7)]),
    ("strh w2, [x20, x1, lsl #1]", &[(1, 9)]),
    ("ldrsw x0, [x20, w1, sxtw #2]", &[(1, 0xffff_fffe)]),
    ("str q0, [x20, x1, lsl #4]", &[(1, 2)]),
    ("ldr d0, [x20, x1, lsl #3]", &[(1, 0xffff_ffff_ffff_fffe)]),
    ("ldr x0, [x20, x1, sxtx]", &[(1, 0xffff_ffff_ffff_fff0)]),
    // The base register holds the negative operand, the offset register the pointer (the
    // memchr crate's rabinkarp under LLVM): top-byte-ignore applies to the sum.
    ("ldrb w0, [x1, x20]", &[(1, 0xffff_ffff_ffff_fff0)]),
    ("ldrsh x0, [x20, w1, uxtw]", &[(1, 0x0000_0000_0000_0021)]),
    ("ldr q1, [x20, x1]", &[(1, 0x30)]),
    ("prfm pstl1strm, [x20, x1]", &[(1, 0)]),
    ("ld1 {v0.16b}, [x20], x1", &[(1, 16)]),
    ("ld4 {v0.8b, v1.8b, v2.8b, v3.8b}, [x20], x1", &[(1, 0xffff_ffff_ffff_ffe0)]),
    ("ld1 {v0.s}[1], [x20], x1", &[(1, 0x24)]),
    ("cbz x1, 1f; mov x0, #1; 1: nop", &[(1, 0)]),
    ("cbnz w1, 1f; mov x0, #1; 1: nop", &[(1, 0xffff_ffff_0000_0000)]),
    ("udiv x0, x1, x2", &[(1, 100), (2, 0)]),
    ("sdiv x0, x1, x2", &[(1, 0x8000_0000_0000_0000), (2, u64::MAX)]),
    ("sdiv w0, w1, w2", &[(1, 0x8000_0000), (2, 0xffff_ffff)]),
    ("subs x0, x1, x2", &[(1, 5), (2, 5)]),
    ("adcs x0, x1, x2", &[(1, u64::MAX), (2, 0)]),
    ("sbcs x0, x1, x2", &[(1, 0), (2, 0)]),
    ("cas x0, x1, [x20]", &[(20, 0x0200_0200), (0, 0)]),
    ("fmov d1, x1; fmov d2, x2; fadd d0, d1, d2", &[(1, 0x7ff0_0000_0000_0001), (2, 0x7ff8_0000_0000_0002)]),
    ("fmov d1, x1; fmov d2, x2; fadd d0, d1, d2", &[(1, 0xfff8_0000_0000_0003), (2, 0x7ff0_0000_0000_0004)]),
    ("fmov d1, x1; fmov d2, x2; fsub d0, d1, d2", &[(1, 0x7ff0_0000_0000_0000), (2, 0x7ff0_0000_0000_0000)]),
    ("fmov d1, x1; fmov d2, x2; fmul d0, d1, d2", &[(1, 0), (2, 0xfff0_0000_0000_0000)]),
    ("fmov d1, x1; fmov d2, x2; fdiv d0, d1, d2", &[(1, 0x8000_0000_0000_0000), (2, 0)]),
    ("fmov d1, x1; fmov d2, x2; fmax d0, d1, d2", &[(1, 0x8000_0000_0000_0000), (2, 0)]),
    ("fmov d1, x1; fmov d2, x2; fmin d0, d1, d2", &[(1, 0), (2, 0x8000_0000_0000_0000)]),
    (
        "fmov d1, x1; fmov d2, x2; fminnm d0, d1, d2",
        &[(1, 0x7ff8_0000_0000_0009), (2, 0x4000_0000_0000_0000)],
    ),
    (
        "fmov d1, x1; fmov d2, x2; fmaxnm d0, d1, d2",
        &[(1, 0x7ff0_0000_0000_0009), (2, 0x4000_0000_0000_0000)],
    ),
    (
        "fmov d1, x1; fmov d2, x2; fmov d3, x3; fmadd d0, d1, d2, d3",
        &[(1, 0), (2, 0x7ff0_0000_0000_0000), (3, 0x7ff8_0000_0000_0005)],
    ),
    (
        "fmov d1, x1; fmov d2, x2; fmov d3, x3; fmsub d0, d1, d2, d3",
        &[(1, 0x7ff8_0000_0000_0007), (2, 0x3ff0_0000_0000_0000), (3, 0x3ff0_0000_0000_0000)],
    ),
    (
        "fmov d1, x1; fmov d2, x2; fmov d3, x3; fnmadd d0, d1, d2, d3",
        &[(1, 0x3ff0_0000_0000_0000), (2, 0x3ff0_0000_0000_0000), (3, 0x7ff8_0000_0000_0007)],
    ),
    ("fmov d1, x1; fsqrt d0, d1", &[(1, 0xbff0_0000_0000_0000)]),
    ("fmov d1, x1; fsqrt d0, d1", &[(1, 0x8000_0000_0000_0000)]),
    ("fmov d1, x1; fcvt s0, d1", &[(1, 0x7ff4_0000_1234_5678)]),
    ("fmov s1, w1; fcvt d0, s1", &[(1, 0xffa0_1234)]),
    ("fmov d1, x1; fcvtzs w0, d1", &[(1, 0x41f0_0000_0000_0000)]),
    ("fmov d1, x1; fcvtzu x0, d1", &[(1, 0xbff8_0000_0000_0000)]),
    ("fmov d1, x1; fcvtas x0, d1", &[(1, 0x4004_0000_0000_0000)]),
    ("fmov d1, x1; fcvtns x0, d1", &[(1, 0x4004_0000_0000_0000)]),
    ("fmov d1, x1; frinta d0, d1", &[(1, 0xc004_0000_0000_0000)]),
    ("fmov d1, x1; frintn d0, d1", &[(1, 0xc004_0000_0000_0000)]),
    ("fmov d1, x1; fmov d2, x2; fcmp d1, d2", &[(1, 0x7ff8_0000_0000_0000), (2, 0)]),
    ("mov x9, #0x400000; msr fpcr, x9; fmov d1, x1; fmov d2, x2; fadd d0, d1, d2; fsub d3, d1, d1; fmul d4, d1, d2; fdiv d5, d1, d2; fsub d6, d2, d1; msr fpcr, xzr", &[(1, 0x3ff0000000000001), (2, 0x3ca0000000000000)]),
    ("mov x9, #0x400000; msr fpcr, x9; fmov d1, x1; fmov d2, x2; fadd d0, d1, d2; fsub d3, d1, d1; fmul d4, d1, d2; fdiv d5, d1, d2; fsub d6, d2, d1; msr fpcr, xzr", &[(1, 0x7fefffffffffffff), (2, 0x7fefffffffffffff)]),
    ("mov x9, #0x400000; msr fpcr, x9; fmov d1, x1; fmov d2, x2; fadd d0, d1, d2; fsub d3, d1, d1; fmul d4, d1, d2; fdiv d5, d1, d2; fsub d6, d2, d1; msr fpcr, xzr", &[(1, 0xbff0000000000000), (2, 0x4008000000000000)]),
    ("mov x9, #0x400000; msr fpcr, x9; fmov d1, x1; fmov d2, x2; fadd d0, d1, d2; fsub d3, d1, d1; fmul d4, d1, d2; fdiv d5, d1, d2; fsub d6, d2, d1; msr fpcr, xzr", &[(1, 0x3), (2, 0x3fe0000000000000)]),
    ("mov x9, #0x800000; msr fpcr, x9; fmov d1, x1; fmov d2, x2; fadd d0, d1, d2; fsub d3, d1, d1; fmul d4, d1, d2; fdiv d5, d1, d2; fsub d6, d2, d1; msr fpcr, xzr", &[(1, 0x3ff0000000000001), (2, 0x3ca0000000000000)]),
    ("mov x9, #0x800000; msr fpcr, x9; fmov d1, x1; fmov d2, x2; fadd d0, d1, d2; fsub d3, d1, d1; fmul d4, d1, d2; fdiv d5, d1, d2; fsub d6, d2, d1; msr fpcr, xzr", &[(1, 0x7fefffffffffffff), (2, 0x7fefffffffffffff)]),
    ("mov x9, #0x800000; msr fpcr, x9; fmov d1, x1; fmov d2, x2; fadd d0, d1, d2; fsub d3, d1, d1; fmul d4, d1, d2; fdiv d5, d1, d2; fsub d6, d2, d1; msr fpcr, xzr", &[(1, 0xbff0000000000000), (2, 0x4008000000000000)]),
    ("mov x9, #0x800000; msr fpcr, x9; fmov d1, x1; fmov d2, x2; fadd d0, d1, d2; fsub d3, d1, d1; fmul d4, d1, d2; fdiv d5, d1, d2; fsub d6, d2, d1; msr fpcr, xzr", &[(1, 0x3), (2, 0x3fe0000000000000)]),
    ("mov x9, #0xc00000; msr fpcr, x9; fmov d1, x1; fmov d2, x2; fadd d0, d1, d2; fsub d3, d1, d1; fmul d4, d1, d2; fdiv d5, d1, d2; fsub d6, d2, d1; msr fpcr, xzr", &[(1, 0x3ff0000000000001), (2, 0x3ca0000000000000)]),
    ("mov x9, #0xc00000; msr fpcr, x9; fmov d1, x1; fmov d2, x2; fadd d0, d1, d2; fsub d3, d1, d1; fmul d4, d1, d2; fdiv d5, d1, d2; fsub d6, d2, d1; msr fpcr, xzr", &[(1, 0x7fefffffffffffff), (2, 0x7fefffffffffffff)]),
    ("mov x9, #0xc00000; msr fpcr, x9; fmov d1, x1; fmov d2, x2; fadd d0, d1, d2; fsub d3, d1, d1; fmul d4, d1, d2; fdiv d5, d1, d2; fsub d6, d2, d1; msr fpcr, xzr", &[(1, 0xbff0000000000000), (2, 0x4008000000000000)]),
    ("mov x9, #0xc00000; msr fpcr, x9; fmov d1, x1; fmov d2, x2; fadd d0, d1, d2; fsub d3, d1, d1; fmul d4, d1, d2; fdiv d5, d1, d2; fsub d6, d2, d1; msr fpcr, xzr", &[(1, 0x3), (2, 0x3fe0000000000000)]),

    ("dup v1.8h, w1; dup v2.8h, w2; sqdmulh v0.8h, v1.8h, v2.8h; sqrdmulh v3.8h, v1.8h, v2.8h; sqdmull v4.4s, v1.4h, v2.4h; sqdmlal v5.4s, v1.4h, v2.4h; sqrdmlah v6.8h, v1.8h, v2.8h; sqdmulh h7, h1, v2.h[3]", &[(1, 0x8000), (2, 0x8000)]),
    ("dup v1.4s, w1; dup v2.4s, w2; sqdmulh v0.4s, v1.4s, v2.4s; sqrdmulh v3.4s, v1.4s, v2.4s; sqdmull2 v4.2d, v1.4s, v2.4s; sqdmlsl v5.2d, v1.2s, v2.2s; sqrdmlsh v6.4s, v1.4s, v2.4s; sqdmulh s7, s1, v2.s[1]", &[(1, 0x8000_0000), (2, 0x8000_0000)]),
    ("dup v1.4s, w1; dup v2.4s, w2; sqdmulh v0.4s, v1.4s, v2.4s; sqrdmulh v3.4s, v1.4s, v2.4s; sqrdmlah v6.4s, v1.4s, v2.4s", &[(1, 0x7fff_ffff), (2, 0x8000_0001)]),
    ("dup v1.8h, w1; dup v2.8h, w2; sqrdmulh v0.8h, v1.8h, v2.8h; sqrdmlah v3.8h, v1.8h, v2.8h; sqrdmlsh v4.8h, v1.8h, v2.8h", &[(1, 0x4000), (2, 0x0001)]),
    ("dup v1.16b, w1; dup v2.16b, w2; sqshl v0.16b, v1.16b, v2.16b; uqshl v3.16b, v1.16b, v2.16b; sqrshl v4.16b, v1.16b, v2.16b; urshl v5.16b, v1.16b, v2.16b; srshl v6.16b, v1.16b, v2.16b", &[(1, 0x81), (2, 0xf9)]),
    ("dup v1.16b, w1; dup v2.16b, w2; sqshl v0.16b, v1.16b, v2.16b; uqshl v3.16b, v1.16b, v2.16b; sqrshl v4.16b, v1.16b, v2.16b; urshl v5.16b, v1.16b, v2.16b; srshl v6.16b, v1.16b, v2.16b", &[(1, 0x41), (2, 0x80)]),
    ("dup v1.2d, x1; dup v2.2d, x2; sqshl v0.2d, v1.2d, v2.2d; uqshl v3.2d, v1.2d, v2.2d; sqrshl v4.2d, v1.2d, v2.2d; urshl v5.2d, v1.2d, v2.2d; uqrshl v6.2d, v1.2d, v2.2d", &[(1, 0xffff_ffff_ffff_ffff), (2, 0xc0)]),
    ("dup v1.2d, x1; dup v2.2d, x2; sqshl v0.2d, v1.2d, v2.2d; uqshl v3.2d, v1.2d, v2.2d; sqrshl v4.2d, v1.2d, v2.2d; urshl v5.2d, v1.2d, v2.2d; uqrshl v6.2d, v1.2d, v2.2d", &[(1, 0x8000_0000_0000_0001), (2, 0x3f)]),
    ("dup v1.2d, x1; dup v2.2d, x2; sqshl v0.2d, v1.2d, v2.2d; uqshl v3.2d, v1.2d, v2.2d; sqrshl v4.2d, v1.2d, v2.2d; urshl v5.2d, v1.2d, v2.2d; uqrshl v6.2d, v1.2d, v2.2d", &[(1, 0x8000_0000_0000_0001), (2, 0xc1)]),
    ("dup v1.4s, w1; sqshrn v0.4h, v1.4s, #1; uqshrn v3.4h, v1.4s, #1; sqshrun v4.4h, v1.4s, #1; sqrshrn v5.4h, v1.4s, #16; sqrshrun v6.4h, v1.4s, #16; uqrshrn v7.4h, v1.4s, #16", &[(1, 0x8000_0000)]),
    ("dup v1.4s, w1; sqshrn v0.4h, v1.4s, #1; uqshrn v3.4h, v1.4s, #1; sqshrun v4.4h, v1.4s, #1; sqrshrn v5.4h, v1.4s, #16; sqrshrun v6.4h, v1.4s, #16; uqrshrn v7.4h, v1.4s, #16", &[(1, 0x7fff_ffff)]),
    ("dup v1.16b, w1; sqabs v0.16b, v1.16b; sqneg v3.16b, v1.16b; sqshl v4.16b, v1.16b, #1; sqshlu v5.16b, v1.16b, #1; uqshl v6.16b, v1.16b, #7", &[(1, 0x80)]),
    ("dup v1.2d, x1; dup v2.2d, x2; sqabs v0.2d, v1.2d; sqneg v3.2d, v1.2d; suqadd v2.2d, v1.2d; mov v4.16b, v1.16b; usqadd v4.2d, v1.2d", &[(1, 0x8000_0000_0000_0000), (2, 0x7fff_ffff_ffff_ffff)]),
    ("dup v1.16b, w1; dup v2.16b, w2; sdot v0.4s, v1.16b, v2.16b; udot v3.4s, v1.16b, v2.16b; sdot v4.4s, v1.16b, v2.4b[2]", &[(1, 0x80), (2, 0xff)]),

    ("dup v1.4s, w1; dup v2.4s, w2; fmulx v0.4s, v1.4s, v2.4s; fmulx v3.4s, v2.4s, v1.4s; frecps v4.4s, v1.4s, v2.4s; facge v5.4s, v1.4s, v2.4s; fmulx s6, s1, v2.s[2]", &[(1, 0x8000_0000), (2, 0x7f80_0000)]),
    ("dup v1.4s, w1; frintn v0.4s, v1.4s; frinta v2.4s, v1.4s; frintm v3.4s, v1.4s; fcvtns v4.4s, v1.4s; fcvtas v5.4s, v1.4s; fcvtzs v6.4s, v1.4s, #1; fcvtpu v7.4s, v1.4s", &[(1, 0x4020_0000)]),
    ("dup v1.4s, w1; frintn v0.4s, v1.4s; frinta v2.4s, v1.4s; frintm v3.4s, v1.4s; fcvtns v4.4s, v1.4s; fcvtas v5.4s, v1.4s; fcvtzs v6.4s, v1.4s, #1; fcvtmu v7.4s, v1.4s", &[(1, 0xc020_0000)]),
    ("dup v1.2d, x1; fcvtzs v0.2d, v1.2d, #10; fcvtzu v2.2d, v1.2d, #10; fcvtns v3.2d, v1.2d; frintx v4.2d, v1.2d", &[(1, 0x43e0_0000_0000_0000)]),
    ("dup v1.2d, x1; scvtf v0.2d, v1.2d, #64; ucvtf v2.2d, v1.2d, #64; scvtf v3.2d, v1.2d, #1", &[(1, 0x8000_0000_0000_0001)]),
    ("mov x9, #0x800000; msr fpcr, x9; dup v1.4s, w1; frinti v0.4s, v1.4s; frintx v2.4s, v1.4s; msr fpcr, xzr", &[(1, 0x3fc0_0000)]),

    ("fmov d1, x1; fmov d2, x2; fcmp d1, d2", &[(1, 0x8000_0000_0000_0000), (2, 0)]),
];

pub fn hand_cases() -> Vec<CaseSrc> {
    let mut out = Vec::new();
    for asm in HAND {
        for k in 0..3u64 {
            out.push(CaseSrc {
                name: format!("{asm} #{k}"),
                asm: asm.to_string(),
                seed: fnv(asm) ^ k,
                fixed: vec![],
            });
        }
    }
    for (i, (asm, fixed)) in HAND_FIXED.iter().enumerate() {
        for k in 0..2u64 {
            out.push(CaseSrc {
                name: format!("{asm} #fixed{i}.{k}"),
                asm: asm.to_string(),
                seed: fnv(asm) ^ (k + 100),
                fixed: fixed.to_vec(),
            });
        }
    }
    out
}

/// The SplitMix64 step: the case generators' random numbers.
pub fn splitmix(s: &mut u64) -> u64 {
    *s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *s;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Rows whose random encodings are safe to run from any initial state (no branches, no
/// system registers, and memory rows constrained below).
const GENERATED_ROWS: &[&str] = &[
    "ADD_imm",
    "LOG_imm",
    "MOVE_wide",
    "BITFIELD",
    "EXTR",
    "LOG_shift",
    "ADDSUB_shift",
    "ADDSUB_ext",
    "ADC",
    "CCMP",
    "CSEL",
    "DP2",
    "DP1",
    "DP3",
    "LDST_imm9",
    "LDST_uimm",
    "LDSTP",
    "LDST_reg",
    "LSE_rmw",
    "CAS",
    "LDAR",
    "STLR",
    "FP_1src",
    "FP_cmp",
    "FP_imm",
    "FP_ccmp",
    "FP_2src",
    "FP_csel",
    "FP_3src",
    "FP_int",
    "FP_fixed",
    "SIMD_3same",
    "SIMD_3diff",
    "SIMD_2misc",
    "SIMD_across",
    "SIMD_copy",
    "SIMD_permute",
    "SIMD_ext",
    "SIMD_tbl",
    "SIMD_modimm",
    "SIMD_shift",
    "SIMD_elem",
    "SIMD_3ext",
    "SIMD_s3ext",
    "SIMD_s3diff",
    "SIMD_selem",
    "Crypto_AES",
    "Crypto_SHA3",
    "Crypto_SHA2",
    "LDST_multi",
    "LDST_single",
];

/// Forces the fields of a memory-access word so that it touches only the scratch memory:
/// the base is one of x20..x27 or sp, offsets are small, and register offsets come from a
/// register with a fixed small value. Returns the fixed registers.
fn constrain_memory(name: &str, w: &mut u32, s: &mut u64) -> Vec<(usize, u64)> {
    let mut fixed = vec![];
    let base = [20, 21, 22, 23, 24, 25, 26, 27, 31][(splitmix(s) % 9) as usize];
    *w = (*w & !(0x1f << 5)) | (base << 5);
    match name {
        "LDST_uimm" => *w &= !(0xff0 << 10), // imm12 < 16
        "LDSTP" => {
            let imm7 = ((splitmix(s) % 16) as i32 - 8) as u32 & 0x7f;
            *w = (*w & !(0x7f << 15)) | (imm7 << 15);
        }
        "LDST_reg" => {
            let rm = (splitmix(s) % 20) as u32;
            *w = (*w & !(0x1f << 16)) | (rm << 16);
            let option = (*w >> 13) & 7;
            let v = splitmix(s) % 16;
            let value = match option {
                0b110 => (-(v as i64) as u32) as u64,
                0b111 => -(v as i64) as u64,
                _ => v,
            };
            fixed.push((rm as usize, value));
        }
        _ => {}
    }
    fixed
}

/// Register combinations the architecture leaves CONSTRAINED UNPREDICTABLE (writeback into
/// the transferred register, a load pair into one register twice).
fn unpredictable_registers(name: &str, w: u32) -> bool {
    let (rt, rn, rt2) = (w & 31, (w >> 5) & 31, (w >> 10) & 31);
    match name {
        "LDST_imm9" => {
            let writeback = (w >> 10) & 1 == 1;
            writeback && rt == rn && rn != 31
        }
        "LDSTP" => {
            let writeback = (w >> 23) & 1 == 1;
            let load = (w >> 22) & 1 == 1;
            (writeback && (rt == rn || rt2 == rn) && rn != 31) || (load && rt == rt2)
        }
        _ => false,
    }
}

/// Whether the A64 frontend translates `w` as one ordinary instruction.
fn translates(w: u32) -> bool {
    let bytes = w.to_le_bytes();
    let code = SliceCode { base: GuestAddr(0x1000), bytes: &bytes };
    let block = A64Frontend::new().translate(&code, GuestAddr(0x1000));
    // One instruction, then the fetch fault after the 4 bytes (not an illegal-instruction trap).
    block.guest_insns == 1 && matches!(block.exit, Exit::Trap { kind: TrapKind::CodeFetch, .. })
}

pub fn generated_cases() -> Vec<CaseSrc> {
    generated_cases_with(48, 0x5eed_a64d_1ff0_0001)
}

/// `per_row` random words for every row of [`GENERATED_ROWS`], from `seed`.
pub fn generated_cases_with(per_row: usize, seed: u64) -> Vec<CaseSrc> {
    #[allow(non_snake_case)]
    let PER_ROW = per_row;
    let mut out = Vec::new();
    let mut s = seed;
    let rows: Vec<_> = decode::table().rows().filter(|r| GENERATED_ROWS.contains(&r.2.name)).collect();
    for (mask, value, row) in rows {
        let mut made = 0;
        let mut tries = 0;
        while made < PER_ROW && tries < PER_ROW * 50 {
            tries += 1;
            let mut w = value | (splitmix(&mut s) as u32 & !mask);
            let is_mem = row.name.starts_with("LD")
                || row.name.starts_with("ST")
                || row.name.starts_with("LSE")
                || row.name == "CAS";
            let fixed = if is_mem { constrain_memory(row.name, &mut w, &mut s) } else { vec![] };
            if is_mem && unpredictable_registers(row.name, w) {
                continue;
            }
            if !translates(w) {
                continue;
            }
            made += 1;
            out.push(CaseSrc {
                name: format!("{} {w:08x}", row.name),
                asm: format!(".inst {w:#010x}"),
                seed: splitmix(&mut s),
                fixed,
            });
        }
    }
    out
}

/// Scalar FP arithmetic words from the table's patterns, each run under one of the three
/// directed FPCR rounding modes.
pub fn generated_rounding_cases() -> Vec<CaseSrc> {
    let mut out = Vec::new();
    let mut s = 0x5eed_a64d_0000_0fcau64;
    let rows: Vec<_> = decode::table().rows().filter(|r| matches!(r.2.name, "FP_2src" | "FP_1src")).collect();
    for (mask, value, row) in rows {
        let mut made = 0;
        let mut tries = 0;
        while made < 96 && tries < 10_000 {
            tries += 1;
            let w = value | (splitmix(&mut s) as u32 & !mask);
            if !translates(w) {
                continue;
            }
            made += 1;
            let mode = (1 + splitmix(&mut s) % 3) << 22;
            out.push(CaseSrc {
                name: format!("{} {w:08x} rmode {}", row.name, mode >> 22),
                asm: format!("mov x9, #{mode:#x}; msr fpcr, x9; .inst {w:#010x}; msr fpcr, xzr"),
                seed: splitmix(&mut s),
                fixed: vec![],
            });
        }
    }
    out
}

/// Special f64 operands: zeros, ones, neighbours of 1, denormals, the smallest normal and
/// its neighbour, values whose products land near underflow, the largest finite, infinities,
/// quiet and signalling NaNs of both signs with payloads, and 2^53 + 2.
const SPECIAL_D: &[u64] = &[
    0,
    0x8000_0000_0000_0000,
    0x3ff0_0000_0000_0000,
    0xbff8_0000_0000_0000,
    0x4008_0000_0000_0000,
    0x3ff0_0000_0000_0001,
    0x3fef_ffff_ffff_ffff,
    0x0000_0000_0000_0001,
    0x800f_ffff_ffff_ffff,
    0x000f_ffff_ffff_ffff,
    0x0010_0000_0000_0000,
    0x0010_0000_0000_0001,
    0x1f10_0000_0000_0000,
    0x2000_0000_0000_0003,
    0x7fef_ffff_ffff_ffff,
    0x7ff0_0000_0000_0000,
    0xfff0_0000_0000_0000,
    0x7ff8_0000_0000_0123,
    0xfff8_0000_0000_0456,
    0x7ff0_0000_0000_0789,
    0xfff4_0000_0000_0abc,
    0x4340_0000_0000_0001,
];

/// The same for f32.
const SPECIAL_S: &[u64] = &[
    0,
    0x8000_0000,
    0x3f80_0000,
    0xbfc0_0000,
    0x4040_0000,
    0x3f80_0001,
    0x3f7f_ffff,
    0x0000_0001,
    0x807f_ffff,
    0x007f_ffff,
    0x0080_0000,
    0x0080_0001,
    0x1f80_0000,
    0x2000_0003,
    0x7f7f_ffff,
    0x7f80_0000,
    0xff80_0000,
    0x7fc0_0123,
    0xffc0_0456,
    0x7f80_0789,
    0xffa0_0abc,
    0x4b00_0001,
];

/// FPCR values for the FP cases: round to nearest (twice as often), the three directed modes,
/// FZ, DN, FZ with DN, and those with directed rounding.
const FPCR: &[u64] =
    &[0, 0, 1 << 22, 2 << 22, 3 << 22, 1 << 24, 1 << 25, 3 << 24, 3 << 24 | 1 << 22, 3 << 24 | 2 << 22];

/// Scalar FP arithmetic (FADD FSUB FMUL FNMUL FDIV FMAX FMIN FMAXNM FMINNM FSQRT, S and D) on
/// special operands (NaN payloads of both kinds and signs, zeros, denormals, the smallest
/// normal, infinities, the largest finite, values whose products and quotients land next to
/// the smallest normal) under FPCR values with every rounding mode, FZ and DN. The operands
/// are x1 and x2, moved into s1/d1 and s2/d2; FPSR is cleared before the instruction and
/// read into x10 after it, so the exception flags are compared too.
pub fn generated_fp_special_cases() -> Vec<CaseSrc> {
    const OPS: &[&str] =
        &["fadd", "fsub", "fmul", "fnmul", "fdiv", "fmax", "fmin", "fmaxnm", "fminnm", "fsqrt"];
    let mut out = Vec::new();
    let mut s = 0x5eed_a64d_f00d_0011u64;
    for op in OPS {
        for (reg, values) in [("d", SPECIAL_D), ("s", SPECIAL_S)] {
            for _ in 0..48 {
                let pick = |s: &mut u64| values[(splitmix(s) % values.len() as u64) as usize];
                let (a, b) = (pick(&mut s), pick(&mut s));
                let fpcr = FPCR[(splitmix(&mut s) % FPCR.len() as u64) as usize];
                let gp = if reg == "d" { "x" } else { "w" };
                let insn = if *op == "fsqrt" {
                    format!("{op} {reg}0, {reg}2")
                } else {
                    format!("{op} {reg}0, {reg}1, {reg}2")
                };
                out.push(CaseSrc {
                    name: format!("{insn} of {a:#x}, {b:#x} fpcr {fpcr:#x}"),
                    asm: format!(
                        "mov x9, #{fpcr:#x}; msr fpcr, x9; msr fpsr, xzr; fmov {reg}1, {gp}1; \
                         fmov {reg}2, {gp}2; {insn}; mrs x10, fpsr; msr fpcr, xzr"
                    ),
                    seed: splitmix(&mut s),
                    fixed: vec![(1, a), (2, b)],
                });
            }
        }
    }
    out
}

/// Operands near the edges of half precision, for the conversions to it: the largest half and
/// the halfway point above it (65520), beyond it (70000, 131072: AHP's range), the smallest
/// subnormal and half of it, 1.5 times it, the smallest normal and the halfway point below it,
/// 1 + 2^-11 (a tie) and values just above the tie (through single precision the f64 one would
/// round twice).
const HALF_EDGES_D: &[u64] = &[
    0x40ef_fe00_0000_0000,
    0x40ef_fc00_0000_0000,
    0x40f1_1700_0000_0000,
    0x4100_0000_0000_0000,
    0x3e70_0000_0000_0000,
    0x3e60_0000_0000_0000,
    0x3e68_0000_0000_0000,
    0x3f10_0000_0000_0000,
    0x3f0f_fe00_0000_0000,
    0x3ff0_0200_0000_0000,
    0x3ff0_0200_0000_1000,
    0xbff0_0200_2000_0000,
];

/// The same for f32.
const HALF_EDGES_S: &[u64] = &[
    0x477f_f000,
    0x477f_e000,
    0x4788_b800,
    0x4800_0000,
    0x3380_0000,
    0x3300_0000,
    0x3340_0000,
    0x3880_0000,
    0x387f_f000,
    0x3f80_1000,
    0xbf80_1001,
];

/// Half-precision operands: zeros, one, the smallest subnormal, the largest subnormal (negative),
/// the smallest normal, the largest finite, infinities, quiet and signalling NaNs of both signs
/// with payloads, and all ones (a NaN, or -131008 under FPCR.AHP).
const SPECIAL_H: &[u64] = &[
    0, 0x8000, 0x3c00, 0x0001, 0x83ff, 0x0400, 0x7bff, 0x7c00, 0xfc00, 0x7e01, 0xfe55, 0x7c01, 0xfd23,
    0xffff, 0x3555,
];

/// FCVT between half, single and double precision (base ARMv8.0, scalar) on special operands
/// and the edges of half precision, under FPCR values with every rounding mode, FZ, DN and AHP
/// (alone and with the others); FPSR read back into x10 after each. Halves are moved in with
/// `fmov s1, w1` (FMOV of an H register is FEAT_FP16).
pub fn generated_fcvt_cases() -> Vec<CaseSrc> {
    const AHP: u64 = 1 << 26;
    let fpcrs: Vec<u64> =
        FPCR.iter().copied().chain([AHP, AHP | 1 << 22, AHP | 3 << 22, AHP | 3 << 24]).collect();
    let d: Vec<u64> = SPECIAL_D.iter().chain(HALF_EDGES_D).copied().collect();
    let f: Vec<u64> = SPECIAL_S.iter().chain(HALF_EDGES_S).copied().collect();
    let forms: &[(&str, &str, &[u64])] = &[
        ("fcvt h0, s1", "fmov s1, w1", &f),
        ("fcvt h0, d1", "fmov d1, x1", &d),
        ("fcvt s0, h1", "fmov s1, w1", SPECIAL_H),
        ("fcvt d0, h1", "fmov s1, w1", SPECIAL_H),
        ("fcvt s0, d1", "fmov d1, x1", &d),
        ("fcvt d0, s1", "fmov s1, w1", &f),
    ];
    let mut out = Vec::new();
    let mut s = 0x5eed_a64d_f16c_0001u64;
    for (insn, mov, values) in forms {
        for i in 0..64 {
            // Every operand at least once, then random ones.
            let a = if i < values.len() {
                values[i]
            } else {
                values[(splitmix(&mut s) % values.len() as u64) as usize]
            };
            let fpcr = fpcrs[(splitmix(&mut s) % fpcrs.len() as u64) as usize];
            out.push(CaseSrc {
                name: format!("{insn} of {a:#x} fpcr {fpcr:#x}"),
                asm: format!("mov x9, #{fpcr:#x}; msr fpcr, x9; msr fpsr, xzr; {mov}; {insn}; mrs x10, fpsr; msr fpcr, xzr"),
                seed: splitmix(&mut s),
                fixed: vec![(1, a)],
            });
        }
    }
    out
}

/// Every fused multiply-add form (FMADD/FMSUB/FNMADD/FNMSUB S and D; FMLA/FMLS vector 2S, 4S,
/// 2D, by element 2S, 4S, 2D, and scalar by element S and D) on the special operands of
/// [`generated_fp_special_cases`] plus products that cancel against the addend, under FPCR
/// values with every rounding mode, FZ and DN; FPSR read back after each.
pub fn generated_fma_cases() -> Vec<CaseSrc> {
    // The special operands, and 2^-52 (2^-23), whose products fall within an ulp of 1.
    let d: Vec<u64> = SPECIAL_D.iter().copied().chain([0x3cb0_0000_0000_0000]).collect();
    let f: Vec<u64> = SPECIAL_S.iter().copied().chain([0x3400_0000]).collect();
    // (instruction, arrangement of its operands).
    let forms: &[(&str, &str)] = &[
        ("fmadd d0, d1, d2, d3", "d"),
        ("fmsub d0, d1, d2, d3", "d"),
        ("fnmadd d0, d1, d2, d3", "d"),
        ("fnmsub d0, d1, d2, d3", "d"),
        ("fmadd s0, s1, s2, s3", "s"),
        ("fmsub s0, s1, s2, s3", "s"),
        ("fnmadd s0, s1, s2, s3", "s"),
        ("fnmsub s0, s1, s2, s3", "s"),
        ("fmla v3.2d, v1.2d, v2.2d", "2d"),
        ("fmls v3.2d, v1.2d, v2.2d", "2d"),
        ("fmla v3.4s, v1.4s, v2.4s", "4s"),
        ("fmls v3.4s, v1.4s, v2.4s", "4s"),
        ("fmla v3.2s, v1.2s, v2.2s", "2s"),
        ("fmls v3.2s, v1.2s, v2.2s", "2s"),
        ("fmla v3.2d, v1.2d, v2.d[1]", "2d"),
        ("fmls v3.2d, v1.2d, v2.d[0]", "2d"),
        ("fmla v3.4s, v1.4s, v2.s[2]", "4s"),
        ("fmls v3.4s, v1.4s, v2.s[1]", "4s"),
        ("fmla v3.2s, v1.2s, v2.s[3]", "2s"),
        ("fmls v3.2s, v1.2s, v2.s[0]", "2s"),
        ("fmla d3, d1, v2.d[1]", "d"),
        ("fmls d3, d1, v2.d[0]", "d"),
        ("fmla s3, s1, v2.s[2]", "s"),
        ("fmls s3, s1, v2.s[1]", "s"),
    ];
    let mut out = Vec::new();
    let mut s = 0x5eed_a64f_aaaa_0011u64;
    for &(insn, shape) in forms {
        let double = matches!(shape, "d" | "2d");
        let values = if double { &d } else { &f };
        for _ in 0..24 {
            let pick = |s: &mut u64| values[(splitmix(s) % values.len() as u64) as usize];
            let fpcr = FPCR[(splitmix(&mut s) % FPCR.len() as u64) as usize];
            // Three lanes of each operand register get special values (x1..x3 for Vn, x4..x6
            // for Vm, x7..x9 for Vd); one case in four makes Vd's lane 0 cancel Vn * Vm.
            let mut fixed = Vec::new();
            for r in 1..=9 {
                fixed.push((r, pick(&mut s)));
            }
            if splitmix(&mut s).is_multiple_of(4) {
                let (a, b) = (fixed[0].1, fixed[3].1);
                // A NaN product's payload is the host's choice: only numbers, so that the case
                // list is the same on every host.
                let neg = if double {
                    let p = f64::from_bits(a) * f64::from_bits(b);
                    (!p.is_nan()).then(|| (-p).to_bits())
                } else {
                    let p = f32::from_bits(a as u32) * f32::from_bits(b as u32);
                    (!p.is_nan()).then(|| (-p).to_bits() as u64)
                };
                let (mask, sign) = if double { (u64::MAX, 1 << 63) } else { (0xffff_ffff, 1 << 31) };
                let flip = if splitmix(&mut s).is_multiple_of(2) { sign } else { 0 };
                let step = splitmix(&mut s) % 3;
                if let Some(neg) = neg {
                    fixed[6].1 = (neg ^ flip).wrapping_add(step).wrapping_sub(1) & mask;
                }
            }
            let (lane, gp, count) = match shape {
                "2d" | "d" => ("d", "x", 2),
                _ => ("s", "w", 3),
            };
            let mut set = String::new();
            for (v, base) in [(1, 1), (2, 4), (3, 7)] {
                for i in 0..count {
                    // The by-element forms read Vm's lane 0..3; fill the low three.
                    let _ = write!(set, "mov v{v}.{lane}[{i}], {gp}{}; ", base + i);
                }
            }
            // The FMADD family reads d1, d2, d3 as n, m, a: the addend is v3, as for FMLA.
            let asm = format!(
                "mov x10, #{fpcr:#x}; msr fpcr, x10; msr fpsr, xzr; {set}{insn}; mrs x10, fpsr; msr fpcr, xzr"
            );
            out.push(CaseSrc {
                name: format!("{insn} fpcr {fpcr:#x} {:x?}", fixed.iter().map(|f| f.1).collect::<Vec<_>>()),
                asm,
                seed: splitmix(&mut s),
                fixed,
            });
        }
    }
    out
}
