//! The A64 differential cases of scalar half-precision arithmetic (FEAT_FP16, `ftype` 11)
//! and of the FPSR flags of the scalar compares (also S):
//! every scalar floating-point form on H registers, on special halves, under FPCR values with
//! every rounding mode, FZ16 (bit 19), FZ (which halves ignore) and DN. Operands are x1..x3,
//! moved in with `fmov s<n>, w<n>` (base FMOV: the half is the low 16 bits, the rest zero).

use crate::a64_cases::CaseSrc;

/// Special halves: zeros, one and its neighbours, denormals (smallest, largest, a middle
/// one), the smallest normal and its neighbour, the largest finite (65504), infinities,
/// quiet and signalling NaNs of both signs with payloads, values whose products and quotients
/// land near underflow or overflow, and a few ordinary ones.
const HALVES: &[u64] = &[
    0, 0x8000, 0x3c00, 0xbc00, 0x3c01, 0x3bff, 0x0001, 0x83ff, 0x0200, 0x0400, 0x0401, 0x7bff, 0xfbff,
    0x7c00, 0xfc00, 0x7e01, 0xfe55, 0x7c01, 0xfd23, 0x1400, 0x2c00, 0x5bff, 0x3555, 0x4248, 0xc500, 0x1001,
];

/// Single-precision operands for the compares: zeros, one, a denormal, infinity, quiet and
/// signalling NaNs.
const SINGLES: &[u64] =
    &[0, 0x8000_0000, 0x3f80_0000, 0x0000_0001, 0x807f_ffff, 0x7f80_0000, 0x7fc0_0001, 0xff80_0001];

/// FPCR values: every rounding mode, FZ16, FZ alone (no effect on halves), DN, and mixes.
pub const FPCR16: &[u64] = &[
    0,
    0,
    1 << 22,
    2 << 22,
    3 << 22,
    1 << 19,
    1 << 24,
    1 << 25,
    1 << 19 | 1 << 25,
    1 << 19 | 1 << 22,
    1 << 19 | 3 << 22 | 1 << 25,
    1 << 24 | 2 << 22,
];

fn splitmix(s: &mut u64) -> u64 {
    *s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *s;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn pick(s: &mut u64, from: &[u64]) -> u64 {
    from[(splitmix(s) % from.len() as u64) as usize]
}

/// `insn` with x1..x3 fixed to `ops` (moved into h1..h3) under `fpcr`; with `fpsr`, FPSR is
/// cleared before and read into x10 after.
fn case(s: &mut u64, insn: &str, ops: &[u64], fpcr: u64, fpsr: bool) -> CaseSrc {
    let moves: String = (1..=ops.len()).map(|i| format!("fmov s{i}, w{i}; ")).collect();
    let (clear, read) = if fpsr { ("msr fpsr, xzr; ", "; mrs x10, fpsr") } else { ("", "") };
    let values: Vec<String> = ops.iter().map(|v| format!("{v:#x}")).collect();
    CaseSrc {
        name: format!("{insn} of {} fpcr {fpcr:#x}", values.join(", ")),
        asm: format!("mov x9, #{fpcr:#x}; msr fpcr, x9; {clear}{moves}{insn}{read}; msr fpcr, xzr"),
        seed: splitmix(s),
        fixed: ops.iter().enumerate().map(|(i, &v)| (i + 1, v)).collect(),
    }
}

pub fn generated_fp16_cases() -> Vec<CaseSrc> {
    let mut out = Vec::new();
    let mut s = 0x5eed_a64d_f16a_0001u64;
    // Arithmetic and fused multiply-add, with the FPSR flags.
    let arith: &[(&str, usize)] = &[
        ("fadd h0, h1, h2", 2),
        ("fsub h0, h1, h2", 2),
        ("fmul h0, h1, h2", 2),
        ("fnmul h0, h1, h2", 2),
        ("fdiv h0, h1, h2", 2),
        ("fmax h0, h1, h2", 2),
        ("fmin h0, h1, h2", 2),
        ("fmaxnm h0, h1, h2", 2),
        ("fminnm h0, h1, h2", 2),
        ("fsqrt h0, h1", 1),
        ("fmadd h0, h1, h2, h3", 3),
        ("fmsub h0, h1, h2, h3", 3),
        ("fnmadd h0, h1, h2, h3", 3),
        ("fnmsub h0, h1, h2, h3", 3),
    ];
    for &(insn, n) in arith {
        for _ in 0..40 {
            let ops: Vec<u64> = (0..n).map(|_| pick(&mut s, HALVES)).collect();
            let fpcr = pick(&mut s, FPCR16);
            out.push(case(&mut s, insn, &ops, fpcr, true));
        }
    }
    // Compares: NZCV and the FPSR flags (IOC for signalling NaNs, FCMPE for any NaN; FZ16
    // flushes half denormals without IDC), and the single and double forms beside them.
    let compares: &[(&str, usize, &[u64])] = &[
        ("fcmp h1, h2", 2, HALVES),
        ("fcmpe h1, h2", 2, HALVES),
        ("fcmp h1, #0.0", 1, HALVES),
        ("fcmpe h1, #0.0", 1, HALVES),
        ("fccmp h1, h2, #0x5, eq", 2, HALVES),
        ("fccmpe h1, h2, #0xa, ne", 2, HALVES),
        ("fcmp s1, s2", 2, SINGLES),
        ("fcmpe s1, s2", 2, SINGLES),
        ("fccmpe s1, s2, #0x3, ge", 2, SINGLES),
    ];
    for &(insn, n, values) in compares {
        for _ in 0..24 {
            let ops: Vec<u64> = (0..n).map(|_| pick(&mut s, values)).collect();
            let fpcr = pick(&mut s, FPCR16);
            out.push(case(&mut s, insn, &ops, fpcr, true));
        }
    }
    // Sign and moves, selects, rounding to integral, and conversions to and
    // from integers (also fixed-point): values only, as for single and double precision.
    let other: &[(&str, usize)] = &[
        ("fmov h0, h1", 1),
        ("fabs h0, h1", 1),
        ("fneg h0, h1", 1),
        ("fmov w0, h1", 1),
        ("fmov x0, h1", 1),
        ("fmov h0, w1", 1),
        ("fmov h0, x1", 1),
        ("fcsel h0, h1, h2, mi", 2),
        ("frintn h0, h1", 1),
        ("frintp h0, h1", 1),
        ("frintm h0, h1", 1),
        ("frintz h0, h1", 1),
        ("frinta h0, h1", 1),
        ("frintx h0, h1", 1),
        ("frinti h0, h1", 1),
        ("fcvtzs w0, h1", 1),
        ("fcvtzu x0, h1", 1),
        ("fcvtns w0, h1", 1),
        ("fcvtau x0, h1", 1),
        ("fcvtps x0, h1", 1),
        ("fcvtmu w0, h1", 1),
        ("fcvtzs w0, h1, #4", 1),
        ("fcvtzu x0, h1, #20", 1),
    ];
    for &(insn, n) in other {
        for _ in 0..12 {
            let ops: Vec<u64> = (0..n).map(|_| pick(&mut s, HALVES)).collect();
            let fpcr = pick(&mut s, &FPCR16[..5]);
            out.push(case(&mut s, insn, &ops, fpcr, false));
        }
    }
    // Integer to half: small and large, signed and unsigned, through every width.
    let ints: &[u64] =
        &[0, 1, 3, 2049, 65504, 65519, 65520, 70000, 0xffff_ffff, 0x8000_0000, u64::MAX, 1 << 63];
    for insn in [
        "scvtf h0, w1",
        "ucvtf h0, w1",
        "scvtf h0, x1",
        "ucvtf h0, x1",
        "scvtf h0, w1, #8",
        "ucvtf h0, x1, #40",
    ] {
        for &v in ints {
            out.push(CaseSrc {
                name: format!("{insn} of {v:#x}"),
                asm: insn.to_string(),
                seed: splitmix(&mut s),
                fixed: vec![(1, v)],
            });
        }
    }
    // FMOV (immediate): the ends of the immediate range and values between.
    for imm in ["#1.0", "#-2.0", "#0.125", "#31.0", "#-0.1328125", "#1.9375"] {
        out.push(CaseSrc {
            name: format!("fmov h0, {imm}"),
            asm: format!("fmov h0, {imm}"),
            seed: splitmix(&mut s),
            fixed: vec![],
        });
    }
    out
}
