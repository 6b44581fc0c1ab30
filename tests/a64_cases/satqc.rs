//! The A64 differential cases of FPSR.QC for the saturating adds and subtracts (SQADD, UQADD,
//! SQSUB, UQSUB: every vector arrangement, which the frontend lowers inline for 8- and 16-bit
//! lanes, and the scalar forms, which the helper runs), and for the saturating narrowing
//! moves (SQXTN, UQXTN, SQXTUN and their `2` forms: inline for some lane sizes, the helper
//! for the others; and the scalar forms). Lanes of v1 (x3:x1) and v2 (x4:x2)
//! are extremes (zero, one, -1, the signed and unsigned limits and their neighbours) or
//! random; FPSR is read back into x10 after each.

use crate::a64_cases::{splitmix, CaseSrc};
use crate::a64_cases_simdarith::flags_case;

/// A lane of `bits` bits: an extreme or a random value.
pub fn lane(s: &mut u64, bits: u32) -> u64 {
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
    narrowing_cases(s, &mut out);
    out
}

/// A lane of `wide` bits for a narrowing to `wide / 2`: a value at or next to a limit of the
/// narrow range (signed or unsigned, sign-extended to the lane), a wide extreme, a value
/// whose low half equals its saturated value (e.g. 0x017f for SQXTN of 16-bit lanes), or,
/// when `in_range`, a value that fits every narrowing (a non-negative value of `wide / 2 - 1`
/// bits).
fn narrow_lane(s: &mut u64, wide: u32, in_range: bool) -> u64 {
    let m = if wide == 64 { u64::MAX } else { (1 << wide) - 1 };
    let h = wide / 2;
    if in_range {
        return splitmix(s) & ((1 << (h - 1)) - 1);
    }
    let smax = (1u64 << (h - 1)) - 1;
    let smin = (1u64 << (h - 1)).wrapping_neg();
    let umax = (1u64 << h) - 1;
    let picks =
        [0, 1, smax, smax + 1, smin, smin.wrapping_sub(1), umax, umax + 1, u64::MAX, m >> 1, (m >> 1) + 1];
    let k = splitmix(s) % 14;
    let v = match k {
        k if (k as usize) < picks.len() => picks[k as usize],
        11 => (1 << h) | smax,
        _ => splitmix(s),
    };
    v & m
}

fn narrowing_cases(s: &mut u64, out: &mut Vec<CaseSrc>) {
    let vector = [("8b", "16b", "8h", 16), ("4h", "8h", "4s", 32), ("2s", "4s", "2d", 64)];
    let scalar = [("b", "h", 16), ("h", "s", 32), ("s", "d", 64)];
    for op in ["sqxtn", "uqxtn", "sqxtun"] {
        let mut forms: Vec<(String, u32)> = Vec::new();
        for &(lo, hi, src, wide) in &vector {
            forms.push((format!("{op} v0.{lo}, v1.{src}"), wide));
            forms.push((format!("{op}2 v0.{hi}, v1.{src}"), wide));
        }
        for &(d, n, wide) in &scalar {
            forms.push((format!("{op} {d}0, {n}1"), wide));
        }
        for (insn, wide) in forms {
            for k in 0..24 {
                // A third of the cases with every lane in range: QC must stay clear.
                let in_range = k % 3 == 0;
                let ops: Vec<u64> = (0..4)
                    .map(|_| (0..64 / wide).fold(0, |w, i| w | narrow_lane(s, wide, in_range) << (wide * i)))
                    .collect();
                out.push(flags_case(s, &insn, 0, &ops));
            }
        }
    }
}
