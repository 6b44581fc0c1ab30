//! The A64 differential cases of the FPSR flags and FPCR.FZ/FZ16/DN/RMode of the reciprocal
//! estimates and Newton-Raphson steps (FRECPE, FRSQRTE, FRECPX, FRECPS, FRSQRTS: vector and
//! scalar, half, single and double precision) and of FCVTXN (round to odd). Operands are
//! special values for these operations (zeros, denormals, values whose reciprocal overflows
//! or, under FZ, underflows, negatives for FRSQRTE, infinities times zeros for the steps,
//! doubles on the single range's edges for FCVTXN, quiet and signalling NaNs), in every lane
//! of v1 (x3:x1) and v2 (x4:x2); FPSR is read back into x10 after each.

use crate::a64_cases::{splitmix, CaseSrc};
use crate::a64_cases_fp16::FPCR16;
use crate::a64_cases_simdarith::flags_case;

/// FPCR values: every rounding mode, FZ, DN and mixes.
const FPCRS: &[u64] = &[
    0,
    0,
    1 << 24,
    1 << 25,
    1 << 22,
    2 << 22,
    3 << 22,
    1 << 24 | 2 << 22,
    1 << 24 | 1 << 25,
    1 << 24 | 1 << 22,
];

const HALVES: &[u64] = &[
    0, 0x8000, 0x3c00, 0xbc00, 0x4400, 0x3c01, 0x0001, 0x00ff, 0x0100, 0x83ff, 0x0400, 0x7800, 0x77ff,
    0x7bff, 0xfbff, 0x7c00, 0xfc00, 0x7e01, 0x7c01, 0xfd23, 0x1400, 0x5bff, 0x3555,
];

const SINGLES: &[u64] = &[
    0,
    0x8000_0000,
    0x3f80_0000, // 1
    0xbf80_0000, // -1
    0x4080_0000, // 4
    0x3f80_0001,
    0x3eaa_aaab, // 1/3
    0x0000_0001,
    0x001f_ffff, // below 2^-128: the reciprocal overflows
    0x0020_0000, // 2^-128
    0x807f_ffff,
    0x0080_0000,
    0x7e80_0000, // 2^126: the reciprocal is denormal
    0x7e7f_ffff,
    0x7f7f_ffff,
    0x6000_0000,
    0x1f80_0000,
    0x7f80_0000,
    0xff80_0000,
    0x7fc0_0001,
    0xff80_0005,
];

const DOUBLES: &[u64] = &[
    0,
    0x8000_0000_0000_0000,
    0x3ff0_0000_0000_0000, // 1
    0xbff0_0000_0000_0000, // -1
    0x3ff0_0000_0000_0001,
    0x3fd5_5555_5555_5555, // 1/3
    0x0000_0000_0000_0001,
    0x0003_ffff_ffff_ffff, // below 2^-1024: the reciprocal overflows
    0x0004_0000_0000_0000,
    0x800f_ffff_ffff_ffff,
    0x7fd0_0000_0000_0000, // 2^1022
    0x7fef_ffff_ffff_ffff,
    0x36a0_0000_0000_0000, // 2^-149: FCVTXN's smallest single denormal
    0x3800_0000_0000_0001, // just above 2^-127
    0x380f_ffff_ffff_ffff, // just below 2^-126
    0x3810_0000_0000_0001,
    0x47ef_ffff_f000_0001, // above the largest single, below 2^128
    0x47f0_0000_0000_0000, // 2^128
    0xc7f0_0000_0000_0001,
    0x7ff0_0000_0000_0000,
    0xfff0_0000_0000_0000,
    0x7ff8_0000_0000_0001,
    0xfff0_0000_0000_0005,
];

fn pick(s: &mut u64, from: &[u64]) -> u64 {
    from[(splitmix(s) % from.len() as u64) as usize]
}

/// A case of `insn` on lanes of `bits` bits drawn from `values`, under an FPCR from `fpcrs`.
fn case(s: &mut u64, insn: &str, bits: u32, values: &[u64], fpcrs: &[u64]) -> CaseSrc {
    let fpcr = pick(s, fpcrs);
    let ops: Vec<u64> =
        (0..4).map(|_| (0..64 / bits).fold(0, |w, i| w | pick(s, values) << (bits * i))).collect();
    flags_case(s, insn, fpcr, &ops)
}

pub fn generated_fpestimate_cases() -> Vec<CaseSrc> {
    let mut out = Vec::new();
    let mut s = 0x5eed_a64e_57ee_0011u64;
    let s = &mut s;
    let mut forms: Vec<(String, u32)> = Vec::new();
    for op in ["frecpe", "frsqrte"] {
        forms.extend([
            (format!("{op} v0.4s, v1.4s"), 32),
            (format!("{op} v0.2s, v1.2s"), 32),
            (format!("{op} v0.2d, v1.2d"), 64),
            (format!("{op} s0, s1"), 32),
            (format!("{op} d0, d1"), 64),
            (format!("{op} v0.8h, v1.8h"), 16),
            (format!("{op} v0.4h, v1.4h"), 16),
            (format!("{op} h0, h1"), 16),
        ]);
    }
    forms.extend([("frecpx s0, s1".into(), 32), ("frecpx d0, d1".into(), 64), ("frecpx h0, h1".into(), 16)]);
    for op in ["frecps", "frsqrts"] {
        forms.extend([
            (format!("{op} v0.4s, v1.4s, v2.4s"), 32),
            (format!("{op} v0.2d, v1.2d, v2.2d"), 64),
            (format!("{op} s0, s1, s2"), 32),
            (format!("{op} d0, d1, d2"), 64),
            (format!("{op} v0.8h, v1.8h, v2.8h"), 16),
            (format!("{op} h0, h1, h2"), 16),
        ]);
    }
    forms.extend([
        ("fcvtxn v0.2s, v1.2d".into(), 64),
        ("fcvtxn2 v0.4s, v1.2d".into(), 64),
        ("fcvtxn s0, d1".into(), 64),
    ]);
    for (insn, bits) in &forms {
        let (values, fpcrs) = match bits {
            16 => (HALVES, FPCR16),
            32 => (SINGLES, FPCRS),
            _ => (DOUBLES, FPCRS),
        };
        // The scalar forms see one lane: more cases for the same coverage.
        let n = if insn.contains(" v0.") { 40 } else { 60 };
        for _ in 0..n {
            out.push(case(s, insn, *bits, values, fpcrs));
        }
    }
    out
}
