//! The A64 differential cases of FPSR.QC for the saturating adds and subtracts (SQADD, UQADD,
//! SQSUB, UQSUB: every vector arrangement, which the frontend lowers inline for 8- and 16-bit
//! lanes, and the scalar forms, which the helper runs). Lanes of v1 (x3:x1) and v2 (x4:x2)
//! are extremes (zero, one, -1, the signed and unsigned limits and their neighbours) or
//! random; FPSR is read back into x10 after each.

use crate::a64_cases::{splitmix, CaseSrc};
use crate::a64_cases_simdarith::flags_case;

/// A lane of `bits` bits: an extreme or a random value.
fn lane(s: &mut u64, bits: u32) -> u64 {
    let m = if bits == 64 { u64::MAX } else { (1 << bits) - 1 };
    let smax = m >> 1;
    let extremes = [0, 1, m, smax, smax + 1, smax - 1, smax + 2, m - 1, 2];
    let k = splitmix(s) % 12;
    let v = if (k as usize) < extremes.len() { extremes[k as usize] } else { splitmix(s) };
    v & m
}

pub fn generated_satqc_cases() -> Vec<CaseSrc> {
    let mut out = Vec::new();
    let mut s = 0x5eed_a64e_5a7c_0011u64;
    let s = &mut s;
    let vector = [("8b", 8), ("16b", 8), ("4h", 16), ("8h", 16), ("2s", 32), ("4s", 32), ("2d", 64)];
    let scalar = [("b", 8), ("h", 16), ("s", 32), ("d", 64)];
    for op in ["sqadd", "uqadd", "sqsub", "uqsub"] {
        let forms = vector
            .iter()
            .map(|&(t, bits)| (format!("{op} v0.{t}, v1.{t}, v2.{t}"), bits))
            .chain(scalar.iter().map(|&(r, bits)| (format!("{op} {r}0, {r}1, {r}2"), bits)));
        for (insn, bits) in forms {
            for _ in 0..24 {
                let ops: Vec<u64> =
                    (0..4).map(|_| (0..64 / bits).fold(0, |w, i| w | lane(s, bits) << (bits * i))).collect();
                out.push(flags_case(s, &insn, 0, &ops));
            }
        }
    }
    out
}
