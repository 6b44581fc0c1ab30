//! The A64 differential cases of the rows `simd_sat` and `crypto` run (the saturating,
//! rounding, halving and doubling families, SDOT/UDOT, PMUL/PMULL, scalar FMUL by element,
//! AES and SHA1/SHA256): every form in every arrangement the ARM ARM allocates, vector and
//! scalar, by element and by immediate, with lanes of v1 (x3:x1) and v2 (x4:x2) extremes or
//! random, random element indices and shift amounts in range; FPSR (QC, and the FP flags of
//! FMUL) is read back into x10 after each.

use crate::a64_cases::{splitmix, CaseSrc};
use crate::a64_cases_satqc::lane;
use crate::a64_cases_simdarith::flags_case;

const VEC: [(&str, u32); 7] =
    [("8b", 8), ("16b", 8), ("4h", 16), ("8h", 16), ("2s", 32), ("4s", 32), ("2d", 64)];
const SCALAR: [(&str, u32); 4] = [("b", 8), ("h", 16), ("s", 32), ("d", 64)];
/// Narrow arrangement, its `2` arrangement, the wide one, and the narrow lane size.
const NARROW: [(&str, &str, &str, u32); 3] =
    [("8b", "16b", "8h", 8), ("4h", "8h", "4s", 16), ("2s", "4s", "2d", 32)];
/// Scalar narrow and wide registers, narrow lane size.
const SNARROW: [(&str, &str, u32); 3] = [("b", "h", 8), ("h", "s", 16), ("s", "d", 32)];
/// The forms with 16- and 32-bit lanes only (the doubling multiplies).
const HS: [(&str, u32); 4] = [("4h", 16), ("8h", 16), ("2s", 32), ("4s", 32)];
const CASES_PER_FORM: usize = 4;

fn pick(s: &mut u64, n: u64) -> u64 {
    splitmix(s) % n
}

/// `(insn, lane bits of the operands)` of every form.
fn forms(s: &mut u64) -> Vec<(String, u32)> {
    let mut f: Vec<(String, u32)> = Vec::new();
    // Three same and scalar three same.
    for op in ["sqdmulh", "sqrdmulh"] {
        f.extend(HS.iter().map(|&(t, b)| (format!("{op} v0.{t}, v1.{t}, v2.{t}"), b)));
        f.extend(SCALAR[1..3].iter().map(|&(r, b)| (format!("{op} {r}0, {r}1, {r}2"), b)));
    }
    for op in ["sqshl", "uqshl", "sqrshl", "uqrshl", "srshl", "urshl"] {
        f.extend(VEC.iter().map(|&(t, b)| (format!("{op} v0.{t}, v1.{t}, v2.{t}"), b)));
        let scalars = if op.ends_with("rshl") && !op.contains('q') { &SCALAR[3..] } else { &SCALAR[..] };
        f.extend(scalars.iter().map(|&(r, b)| (format!("{op} {r}0, {r}1, {r}2"), b)));
    }
    for op in ["shsub", "uhsub", "saba", "uaba"] {
        f.extend(VEC[..6].iter().map(|&(t, b)| (format!("{op} v0.{t}, v1.{t}, v2.{t}"), b)));
    }
    f.extend(VEC[..2].iter().map(|&(t, b)| (format!("pmul v0.{t}, v1.{t}, v2.{t}"), b)));
    // Three different and scalar three different.
    for op in ["sqdmull", "sqdmlal", "sqdmlsl"] {
        for (w, n, n2, b) in [("4s", "4h", "8h", 16), ("2d", "2s", "4s", 32)] {
            f.push((format!("{op} v0.{w}, v1.{n}, v2.{n}"), b));
            f.push((format!("{op}2 v0.{w}, v1.{n2}, v2.{n2}"), b));
        }
        f.push((format!("{op} s0, h1, h2"), 16));
        f.push((format!("{op} d0, s1, s2"), 32));
    }
    for op in ["raddhn", "rsubhn"] {
        for (n, n2, w, b) in NARROW {
            f.push((format!("{op} v0.{n}, v1.{w}, v2.{w}"), 2 * b));
            f.push((format!("{op}2 v0.{n2}, v1.{w}, v2.{w}"), 2 * b));
        }
    }
    for insn in [
        "pmull v0.8h, v1.8b, v2.8b",
        "pmull2 v0.8h, v1.16b, v2.16b",
        "pmull v0.1q, v1.1d, v2.1d",
        "pmull2 v0.1q, v1.2d, v2.2d",
    ] {
        f.push((insn.into(), 64));
    }
    // Two-register miscellaneous and its scalar row.
    for op in ["sqabs", "sqneg", "suqadd", "usqadd"] {
        f.extend(VEC.iter().map(|&(t, b)| (format!("{op} v0.{t}, v1.{t}"), b)));
        f.extend(SCALAR.iter().map(|&(r, b)| (format!("{op} {r}0, {r}1"), b)));
    }
    // Three same extra and its scalar row.
    for op in ["sqrdmlah", "sqrdmlsh"] {
        f.extend(HS.iter().map(|&(t, b)| (format!("{op} v0.{t}, v1.{t}, v2.{t}"), b)));
        f.extend(SCALAR[1..3].iter().map(|&(r, b)| (format!("{op} {r}0, {r}1, {r}2"), b)));
    }
    for op in ["sdot", "udot"] {
        f.push((format!("{op} v0.2s, v1.8b, v2.8b"), 8));
        f.push((format!("{op} v0.4s, v1.16b, v2.16b"), 8));
    }
    // Vector and scalar x indexed element.
    for op in ["sqdmulh", "sqrdmulh", "sqrdmlah", "sqrdmlsh"] {
        for &(t, b) in &HS {
            let e = if b == 16 { "h" } else { "s" };
            let i = pick(s, 128 / b as u64);
            f.push((format!("{op} v0.{t}, v1.{t}, v2.{e}[{i}]"), b));
        }
        for (r, b) in [("h", 16), ("s", 32)] {
            let i = pick(s, 128 / b);
            f.push((format!("{op} {r}0, {r}1, v2.{r}[{i}]"), b as u32));
        }
    }
    for op in ["sqdmull", "sqdmlal", "sqdmlsl"] {
        for (w, n, n2, e, b) in [("4s", "4h", "8h", "h", 16), ("2d", "2s", "4s", "s", 32)] {
            let i = pick(s, 128 / b);
            f.push((format!("{op} v0.{w}, v1.{n}, v2.{e}[{i}]"), b as u32));
            let i = pick(s, 128 / b);
            f.push((format!("{op}2 v0.{w}, v1.{n2}, v2.{e}[{i}]"), b as u32));
        }
        let i = pick(s, 8);
        f.push((format!("{op} s0, h1, v2.h[{i}]"), 16));
        let i = pick(s, 4);
        f.push((format!("{op} d0, s1, v2.s[{i}]"), 32));
    }
    for op in ["sdot", "udot"] {
        let i = pick(s, 4);
        f.push((format!("{op} v0.2s, v1.8b, v2.4b[{i}]"), 8));
        let i = pick(s, 4);
        f.push((format!("{op} v0.4s, v1.16b, v2.4b[{i}]"), 8));
    }
    for (r, b) in [("h", 16), ("s", 32), ("d", 64)] {
        let i = pick(s, 128 / b);
        f.push((format!("fmul {r}0, {r}1, v2.{r}[{i}]"), b as u32));
    }
    // Shift by immediate and its scalar row, the saturating opcodes.
    for op in ["sqshl", "uqshl", "sqshlu"] {
        for &(t, b) in &VEC {
            f.push((format!("{op} v0.{t}, v1.{t}, #{}", pick(s, b as u64)), b));
        }
        for &(r, b) in &SCALAR {
            f.push((format!("{op} {r}0, {r}1, #{}", pick(s, b as u64)), b));
        }
    }
    for op in ["sqshrn", "sqrshrn", "uqshrn", "uqrshrn", "sqshrun", "sqrshrun"] {
        for (n, n2, w, b) in NARROW {
            f.push((format!("{op} v0.{n}, v1.{w}, #{}", 1 + pick(s, b as u64)), 2 * b));
            f.push((format!("{op}2 v0.{n2}, v1.{w}, #{}", 1 + pick(s, b as u64)), 2 * b));
        }
        for (n, w, b) in SNARROW {
            f.push((format!("{op} {n}0, {w}1, #{}", 1 + pick(s, b as u64)), 2 * b));
        }
    }
    // The cryptographic AES and SHA rows.
    for insn in [
        "aese v0.16b, v1.16b",
        "aesd v0.16b, v1.16b",
        "aesmc v0.16b, v1.16b",
        "aesimc v0.16b, v1.16b",
        "sha1c q0, s1, v2.4s",
        "sha1p q0, s1, v2.4s",
        "sha1m q0, s1, v2.4s",
        "sha1su0 v0.4s, v1.4s, v2.4s",
        "sha256h q0, q1, v2.4s",
        "sha256h2 q0, q1, v2.4s",
        "sha256su1 v0.4s, v1.4s, v2.4s",
        "sha1h s0, s1",
        "sha1su1 v0.4s, v1.4s",
        "sha256su0 v0.4s, v1.4s",
    ] {
        f.push((insn.into(), 64));
    }
    f
}

pub fn generated_satrows_cases() -> Vec<CaseSrc> {
    let mut out = Vec::new();
    let mut s = 0x5eed_a64e_5a70_0011u64;
    let s = &mut s;
    for (insn, bits) in forms(s) {
        for _ in 0..CASES_PER_FORM {
            let ops: Vec<u64> =
                (0..4).map(|_| (0..64 / bits).fold(0, |w, i| w | lane(s, bits) << (bits * i))).collect();
            // FMUL: also under FZ and a directed rounding mode.
            let fpcr = if insn.starts_with("fmul") { [0, 1 << 24, 3 << 22][pick(s, 3) as usize] } else { 0 };
            out.push(flags_case(s, &insn, fpcr, &ops));
        }
    }
    out
}
