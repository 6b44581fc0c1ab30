//! The A64 differential cases of the FPSR flags and FPCR.FZ of the AdvSIMD single- and
//! double-precision arithmetic (FADD, FSUB, FMUL, FDIV, FMAX, FMIN, FMAXNM, FMINNM, FABD, the
//! pairwise forms, FMULX, FSQRT, FMLA/FMLS, FMUL by element, FMAXV/FMINNMV, scalar FADDP) on
//! .2s/.4s/.2d, and FCVTN/FCVTL: operands are special values (zeros, denormals, infinities, quiet and
//! signalling NaNs, values whose products and quotients overflow or underflow), two per
//! register (x1:x3 in v1, x2:x4 in v2), under FPCR with every rounding mode, FZ and DN; FPSR
//! is read back into x10 after each.

use crate::a64_cases::{splitmix, CaseSrc};
use crate::a64_cases_intcvt::{DOUBLES, SINGLES};

const FPCRS: &[u64] = &[0, 1 << 24, 1 << 25, 1 << 22, 2 << 22, 3 << 22, 1 << 24 | 2 << 22, 1 << 24 | 1 << 25];

/// Extremes that overflow, underflow or are denormal, beside the conversion cases' specials.
const SINGLES_EXTRA: &[u64] = &[0x7f7f_ffff, 0x0080_0000, 0x0000_0001, 0x807f_ffff, 0x1f80_0000, 0x6000_0000];
const DOUBLES_EXTRA: &[u64] = &[
    0x7fef_ffff_ffff_ffff,
    0x0010_0000_0000_0000,
    0x0000_0000_0000_0001,
    0x800f_ffff_ffff_ffff,
    0x1ff0_0000_0000_0000,
    0x6000_0000_0000_0000,
];

fn pick(s: &mut u64, a: &[u64], b: &[u64]) -> u64 {
    let k = splitmix(s) % (a.len() + b.len()) as u64;
    if (k as usize) < a.len() {
        a[k as usize]
    } else {
        b[k as usize - a.len()]
    }
}

fn case(s: &mut u64, insn: &str, double: bool) -> CaseSrc {
    let fpcr = FPCRS[(splitmix(s) % FPCRS.len() as u64) as usize];
    let (base, extra) = if double { (DOUBLES, DOUBLES_EXTRA) } else { (SINGLES, SINGLES_EXTRA) };
    let mut ops = vec![];
    for _ in 0..4 {
        if double {
            ops.push(pick(s, base, extra));
        } else {
            ops.push(pick(s, base, extra) | pick(s, base, extra) << 32);
        }
    }
    flags_case(s, insn, fpcr, &ops)
}

/// The case of `insn` under FPCR `fpcr` with x1..x4 = `ops` (v1 = x3:x1, v2 = x4:x2), FPSR
/// cleared before and read into x10 after.
pub fn flags_case(s: &mut u64, insn: &str, fpcr: u64, ops: &[u64]) -> CaseSrc {
    CaseSrc {
        name: format!("{insn} of {:x?} fpcr {fpcr:#x}", ops),
        asm: format!(
            "mov x9, #{fpcr:#x}; msr fpcr, x9; msr fpsr, xzr; fmov d1, x1; mov v1.d[1], x3; fmov d2, x2; \
             mov v2.d[1], x4; {insn}; mrs x10, fpsr; msr fpcr, xzr"
        ),
        seed: splitmix(s),
        fixed: ops.iter().enumerate().map(|(i, &v)| (i + 1, v)).collect(),
    }
}

/// A conversion case: also under FPCR.AHP (bit 26), the alternative half-precision format.
fn cvt_case(s: &mut u64, insn: &str, double: bool) -> CaseSrc {
    let mut c = case(s, insn, double);
    if splitmix(s).is_multiple_of(4) {
        c.asm = c.asm.replacen("msr fpcr, x9;", "orr x9, x9, #0x4000000; msr fpcr, x9;", 1);
        c.name += " ahp";
    }
    c
}

pub fn generated_simdarith_cases() -> Vec<CaseSrc> {
    let mut out = Vec::new();
    let mut s = 0x5eed_a64a_417f_0001u64;
    let s = &mut s;
    let ops = [
        "fadd", "fsub", "fmul", "fdiv", "fmax", "fmin", "fmaxnm", "fminnm", "fabd", "faddp", "fmaxp",
        "fminp", "fmaxnmp", "fminnmp", "fmulx",
    ];
    for op in ops {
        for (t, double) in [("2s", false), ("4s", false), ("2d", true)] {
            for _ in 0..10 {
                out.push(case(s, &format!("{op} v0.{t}, v1.{t}, v2.{t}"), double));
            }
        }
    }
    let other: &[(&str, bool)] = &[
        ("fsqrt v0.4s, v1.4s", false),
        ("fsqrt v0.2d, v1.2d", true),
        ("fmla v2.4s, v1.4s, v1.4s", false),
        ("fmls v2.2d, v1.2d, v1.2d", true),
        ("fmul v0.4s, v1.4s, v2.s[3]", false),
        ("fmul v0.2d, v1.2d, v2.d[1]", true),
        ("fmul s0, s1, v2.s[1]", false),
        ("fmulx v0.2d, v1.2d, v2.d[0]", true),
        ("fmaxv s0, v1.4s", false),
        ("fminnmv s0, v1.4s", false),
        ("faddp s0, v1.2s", false),
        ("faddp d0, v1.2d", true),
        ("fmaxnmp d0, v1.2d", true),
    ];
    for &(insn, double) in other {
        for _ in 0..12 {
            out.push(case(s, insn, double));
        }
    }
    // FCVTN/FCVTL and their "2" forms: FPSR flags, FZ on the single/double side, DN, AHP.
    let cvt: &[(&str, bool)] = &[
        ("fcvtn v0.4h, v1.4s", false),
        ("fcvtn2 v0.8h, v1.4s", false),
        ("fcvtn v0.2s, v1.2d", true),
        ("fcvtn2 v0.4s, v1.2d", true),
        ("fcvtl v0.4s, v1.4h", false),
        ("fcvtl2 v0.4s, v1.8h", false),
        ("fcvtl v0.2d, v1.2s", false),
        ("fcvtl2 v0.2d, v1.4s", false),
    ];
    for &(insn, double) in cvt {
        for _ in 0..14 {
            out.push(cvt_case(s, insn, double));
        }
    }
    out
}
