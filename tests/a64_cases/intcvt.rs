//! The A64 differential cases of the scalar conversions between floating point and integers
//! and of the scalar round-to-integral instructions, with FPSR read back after each:
//! FCVT[NPMZA][SU] to W and X registers, FCVTZ[SU] and [SU]CVTF fixed-point, [SU]CVTF from W
//! and X, FRINT[NPMZAIX], for single, double and half precision, under FPCR values with every
//! rounding mode, FZ, FZ16 and DN. Float operands are moved in with `fmov` from x1 (a half is
//! the low 16 bits of `fmov s1, w1`); integer operands are x1. The AdvSIMD forms (scalar
//! FCVT*, [SU]CVTF, fixed-point ones, vector ones and vector FRINT*) run on the operand
//! replicated into every lane of v1.

use crate::a64_cases::{splitmix, CaseSrc};

/// Doubles: zeros, exact and inexact values, ties (0.5, 1.5, 2.5, -2.5), values next to the
/// 32- and 64-bit integer limits, out of range, a denormal, infinities, quiet and signalling
/// NaNs.
pub const DOUBLES: &[u64] = &[
    0,
    0x8000_0000_0000_0000,
    0x3ff0_0000_0000_0000, // 1
    0x3fe0_0000_0000_0000, // 0.5
    0x3ff8_0000_0000_0000, // 1.5
    0x4004_0000_0000_0000, // 2.5
    0xc004_0000_0000_0000, // -2.5
    0xbfe8_0000_0000_0000, // -0.75
    0x4003_ffff_ffff_ffff, // 2.4999...
    0x41df_ffff_ffc0_0000, // 2^31 - 1
    0x41e0_0000_0000_0000, // 2^31
    0xc1e0_0000_0020_0000, // -(2^31 + 1)
    0x41ef_ffff_fffe_0000, // 2^32 - 0.5
    0x43e0_0000_0000_0000, // 2^63
    0xc3e0_0000_0000_0000, // -2^63
    0x43f0_0000_0000_0000, // 2^64
    0x4330_0000_0000_0001, // 2^52 + 1
    0x7fe0_0000_0000_0000, // huge
    0x0000_0000_0000_0001, // smallest denormal
    0x800f_ffff_ffff_ffff, // largest negative denormal
    0x7ff0_0000_0000_0000,
    0xfff0_0000_0000_0000,
    0x7ff8_0000_0000_0001,
    0xfff0_0000_0000_0005,
];

/// Singles: the same kinds of values.
pub const SINGLES: &[u64] = &[
    0,
    0x8000_0000,
    0x3f80_0000, // 1
    0x3f00_0000, // 0.5
    0x3fc0_0000, // 1.5
    0x4020_0000, // 2.5
    0xc020_0000, // -2.5
    0xbf40_0000, // -0.75
    0x401f_ffff, // 2.4999...
    0x4f00_0000, // 2^31
    0xcf00_0001, // -(2^31 + 256)
    0x4f7f_ffff, // 2^32 - 256
    0x5f00_0000, // 2^63
    0xdf00_0000, // -2^63
    0x5f80_0000, // 2^64
    0x4b00_0001, // 2^23 + 1
    0x7f7f_ffff, // largest finite
    0x0000_0001,
    0x807f_ffff,
    0x7f80_0000,
    0xff80_0000,
    0x7fc0_0001,
    0xff80_0005,
];

/// Halves: zeros, one, ties, 65504, denormals, infinities, NaNs.
const HALVES: &[u64] = &[
    0, 0x8000, 0x3c00, 0x3800, 0x3e00, 0x4100, 0xc100, 0xba00, 0x40ff, 0x7bff, 0xfbff, 0x0001, 0x83ff,
    0x3c01, 0x7c00, 0xfc00, 0x7e01, 0xfc05,
];

/// Integers (as 64 bits; the W forms read the low half): zero, small, ties and inexact values
/// at 2^24, 2^53 and half precision's limit, the extremes.
const INTS: &[u64] = &[
    0,
    1,
    3,
    u64::MAX,
    (1 << 24) + 1,
    (1 << 24) + 3,
    0xffff_ffff_feff_ffff,
    (1 << 53) + 1,
    0x7fff_ffff,
    0x8000_0001,
    0xffff_ffff,
    65504,
    65519,
    65520,
    65535,
    0x8000_0000_0000_0001,
    0x7fff_ffff_ffff_ffff,
    0x0000_0000_0123_4567,
];

/// FPCR values: every rounding mode, FZ, FZ16, DN, and mixes.
const FPCRS: &[u64] = &[
    0,
    1 << 22,
    2 << 22,
    3 << 22,
    1 << 24,
    1 << 19,
    1 << 25,
    1 << 24 | 1 << 22,
    1 << 19 | 2 << 22,
    1 << 24 | 1 << 19 | 3 << 22 | 1 << 25,
];

/// Every operand of `values` once, each under a random FPCR (the reference program's tables
/// limit a suite to about 4000 cases).
fn push_cases(out: &mut Vec<CaseSrc>, s: &mut u64, insn: &str, mov: &str, values: &[u64]) {
    for &a in values {
        let fpcr = FPCRS[(splitmix(s) % FPCRS.len() as u64) as usize];
        out.push(CaseSrc {
            name: format!("{insn} of {a:#x} fpcr {fpcr:#x}"),
            asm: format!(
                "mov x9, #{fpcr:#x}; msr fpcr, x9; msr fpsr, xzr; {mov}{insn}; mrs x10, fpsr; msr fpcr, xzr"
            ),
            seed: splitmix(s),
            fixed: vec![(1, a)],
        });
    }
}

pub fn generated_intcvt_cases() -> Vec<CaseSrc> {
    let mut out = Vec::new();
    let mut s = 0x5eed_a64c_7c71_0001u64;
    let types: [(&str, &str, &[u64]); 3] =
        [("d", "fmov d1, x1; ", DOUBLES), ("s", "fmov s1, w1; ", SINGLES), ("h", "fmov s1, w1; ", HALVES)];
    for (t, mov, values) in types {
        for op in [
            "fcvtns", "fcvtnu", "fcvtps", "fcvtpu", "fcvtms", "fcvtmu", "fcvtzs", "fcvtzu", "fcvtas",
            "fcvtau",
        ] {
            for r in ["w0", "x0"] {
                push_cases(&mut out, &mut s, &format!("{op} {r}, {t}1"), mov, values);
            }
        }
        for (op, r, fbits) in
            [("fcvtzs", "w0", 3), ("fcvtzu", "x0", 40), ("fcvtzs", "x0", 64), ("fcvtzu", "w0", 1)]
        {
            push_cases(&mut out, &mut s, &format!("{op} {r}, {t}1, #{fbits}"), mov, values);
        }
        for op in ["frintn", "frintp", "frintm", "frintz", "frinta", "frinti", "frintx"] {
            push_cases(&mut out, &mut s, &format!("{op} {t}0, {t}1"), mov, values);
        }
        for op in ["scvtf", "ucvtf"] {
            for r in ["w1", "x1"] {
                push_cases(&mut out, &mut s, &format!("{op} {t}0, {r}"), "", INTS);
            }
        }
        for (op, r, fbits) in
            [("scvtf", "x1", 7), ("ucvtf", "w1", 32), ("ucvtf", "x1", 64), ("scvtf", "w1", 1)]
        {
            push_cases(&mut out, &mut s, &format!("{op} {t}0, {r}, #{fbits}"), "", INTS);
        }
    }
    // AdvSIMD: scalar and vector FCVT*/[SU]CVTF (integer and fixed-point) and vector FRINT*,
    // single and double lanes (operands replicated with DUP).
    for (t, v, mov, values) in
        [("d", "2d", "dup v1.2d, x1; ", DOUBLES), ("s", "4s", "dup v1.4s, w1; ", SINGLES)]
    {
        for op in ["fcvtns", "fcvtnu", "fcvtps", "fcvtms", "fcvtzs", "fcvtzu", "fcvtas", "fcvtau"] {
            push_cases(&mut out, &mut s, &format!("{op} {t}0, {t}1"), mov, values);
            push_cases(&mut out, &mut s, &format!("{op} v0.{v}, v1.{v}"), mov, values);
        }
        push_cases(&mut out, &mut s, &format!("fcvtzs v0.{v}, v1.{v}, #5"), mov, values);
        push_cases(&mut out, &mut s, &format!("fcvtzu {t}0, {t}1, #1"), mov, values);
        for op in ["frintn", "frintp", "frintm", "frintz", "frinta", "frinti", "frintx"] {
            push_cases(&mut out, &mut s, &format!("{op} v0.{v}, v1.{v}"), mov, values);
        }
        let imov = if t == "d" { "dup v1.2d, x1; " } else { "dup v1.4s, w1; " };
        for op in ["scvtf", "ucvtf"] {
            push_cases(&mut out, &mut s, &format!("{op} {t}0, {t}1"), imov, INTS);
            push_cases(&mut out, &mut s, &format!("{op} v0.{v}, v1.{v}"), imov, INTS);
        }
        push_cases(&mut out, &mut s, &format!("scvtf v0.{v}, v1.{v}, #3"), imov, INTS);
        push_cases(&mut out, &mut s, &format!("ucvtf {t}0, {t}1, #9"), imov, INTS);
    }
    out
}
