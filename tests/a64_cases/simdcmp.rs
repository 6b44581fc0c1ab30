//! The A64 differential cases of the AdvSIMD floating-point compares, FPSR read back after
//! each: FCMEQ/FCMGE/FCMGT/FACGE/FACGT (vector 4S and 2D, scalar S and D) and
//! FCMEQ/FCMGE/FCMGT/FCMLE/FCMLT against zero, on special operands (zeros, denormals,
//! infinities, quiet and signalling NaNs) with and without FPCR.FZ. Operands are x1 and x2,
//! replicated into every lane of v1 and v2.

use crate::a64_cases::{splitmix, CaseSrc};
use crate::a64_cases_intcvt::{DOUBLES, SINGLES};

/// The special operands of the conversion cases: 0, -0, 1, -0.75, the smallest denormal and
/// the largest negative one, infinities, a quiet and a signalling NaN.
fn specials(values: &[u64], picks: [usize; 10]) -> Vec<u64> {
    picks.iter().map(|&i| values[i]).collect()
}

/// FPCR values: none, FZ, DN (no effect on compares), FZ with a rounding mode.
const FPCRS: &[u64] = &[0, 1 << 24, 1 << 25, 1 << 24 | 3 << 22];

fn case(s: &mut u64, insn: &str, mov: &str, a: u64, b: u64) -> CaseSrc {
    let fpcr = FPCRS[(splitmix(s) % FPCRS.len() as u64) as usize];
    CaseSrc {
        name: format!("{insn} of {a:#x}, {b:#x} fpcr {fpcr:#x}"),
        asm: format!(
            "mov x9, #{fpcr:#x}; msr fpcr, x9; msr fpsr, xzr; {mov}{insn}; mrs x10, fpsr; msr fpcr, xzr"
        ),
        seed: splitmix(s),
        fixed: vec![(1, a), (2, b)],
    }
}

pub fn generated_simdcmp_cases() -> Vec<CaseSrc> {
    let mut out = Vec::new();
    let mut s = 0x5eed_a64c_3c3f_0001u64;
    for (t, v, mov, values) in [
        (
            "d",
            "2d",
            "dup v1.2d, x1; dup v2.2d, x2; ",
            specials(DOUBLES, [0, 1, 2, 7, 18, 19, 20, 21, 22, 23]),
        ),
        (
            "s",
            "4s",
            "dup v1.4s, w1; dup v2.4s, w2; ",
            specials(SINGLES, [0, 1, 2, 7, 17, 18, 19, 20, 21, 22]),
        ),
    ] {
        for op in ["fcmeq", "fcmge", "fcmgt", "facge", "facgt"] {
            for insn in [format!("{op} {t}0, {t}1, {t}2"), format!("{op} v0.{v}, v1.{v}, v2.{v}")] {
                // Every pair of operands.
                for &a in &values {
                    for &b in &values {
                        out.push(case(&mut s, &insn, mov, a, b));
                    }
                }
            }
        }
        for op in ["fcmeq", "fcmge", "fcmgt", "fcmle", "fcmlt"] {
            for insn in [format!("{op} {t}0, {t}1, #0.0"), format!("{op} v0.{v}, v1.{v}, #0.0")] {
                for &a in &values {
                    out.push(case(&mut s, &insn, mov, a, 0));
                }
            }
        }
    }
    out
}
