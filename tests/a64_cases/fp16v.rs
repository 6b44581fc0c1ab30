//! The A64 differential cases of AdvSIMD half-precision arithmetic (FEAT_FP16): every form of
//! the three same (FP16), two-register miscellaneous (FP16), their scalar classes, by element
//! (FMLA, FMLS, FMUL, FMULX, vector and scalar), across lanes, scalar pairwise, the
//! fixed-point conversions (immh 001x) and FMOV (vector, immediate) on .4h/.8h lanes and H
//! registers, under the scalar suite's FPCR values (every rounding mode, FZ16, FZ, which halves
//! ignore, and DN). Operands are x1..x6: v1 is x4:x1, v2 x5:x2, v3 x6:x3 (four halves to each), so every
//! lane sees special halves. FPSR is read back (x10) after every form but the estimates and
//! the Newton-Raphson steps (FRECPE, FRSQRTE, FRECPX, FRECPS, FRSQRTS), whose flags the
//! `fpestimate` suite checks.

use crate::a64_cases::{splitmix, CaseSrc};
use crate::a64_cases_fp16::FPCR16;

/// Special halves: zeros, one and its neighbours, denormals, the smallest normal, the largest
/// finite (65504) and its negation, infinities, quiet and signalling NaNs with payloads,
/// values near underflow or overflow in products, and ordinary ones (also as 16-bit integers
/// for SCVTF/UCVTF: 0x7fff, 0x8000, 0xffff and small ones).
const HALVES: &[u64] = &[
    0, 0x8000, 0x3c00, 0xbc00, 0x3c01, 0x3bff, 0x0001, 0x83ff, 0x0200, 0x0400, 0x7bff, 0xfbff, 0x7c00,
    0xfc00, 0x7e01, 0xfe55, 0x7c01, 0xfd23, 0x1400, 0x5bff, 0x3555, 0x4248, 0xc500, 0x7fff, 0xffff, 0x0003,
];

fn pick(s: &mut u64, from: &[u64]) -> u64 {
    from[(splitmix(s) % from.len() as u64) as usize]
}

/// Four random special halves in one 64-bit word.
fn quad(s: &mut u64) -> u64 {
    (0..4).fold(0, |acc, i| acc | pick(s, HALVES) << (16 * i))
}

fn case(s: &mut u64, insn: &str, fpsr: bool) -> CaseSrc {
    let fpcr = pick(s, FPCR16);
    let ops: Vec<u64> = (0..6).map(|_| quad(s)).collect();
    let (clear, read) = if fpsr { ("msr fpsr, xzr; ", "; mrs x10, fpsr") } else { ("", "") };
    CaseSrc {
        name: format!("{insn} of {:x?} fpcr {fpcr:#x}", ops),
        asm: format!(
            "mov x9, #{fpcr:#x}; msr fpcr, x9; {clear}fmov d1, x1; mov v1.d[1], x4; fmov d2, x2; \
             mov v2.d[1], x5; fmov d3, x3; mov v3.d[1], x6; {insn}{read}; msr fpcr, xzr"
        ),
        seed: splitmix(s),
        fixed: ops.iter().enumerate().map(|(i, &v)| (i + 1, v)).collect(),
    }
}

fn push(out: &mut Vec<CaseSrc>, s: &mut u64, insns: &[String], n: usize, fpsr: bool) {
    for insn in insns {
        for _ in 0..n {
            out.push(case(s, insn, fpsr));
        }
    }
}

/// `op v0.T, v1.T, v2.T` for .4h and .8h (`d` names the destination: v3 for the accumulating
/// forms).
fn vec3(ops: &[&str], d: &str) -> Vec<String> {
    ops.iter().flat_map(|op| ["4h", "8h"].map(|t| format!("{op} {d}.{t}, v1.{t}, v2.{t}"))).collect()
}

fn vec2(ops: &[&str], tail: &str) -> Vec<String> {
    ops.iter().flat_map(|op| ["4h", "8h"].map(|t| format!("{op} v0.{t}, v1.{t}{tail}"))).collect()
}

fn scalar(ops: &[&str], operands: &str) -> Vec<String> {
    ops.iter().map(|op| format!("{op} {operands}")).collect()
}

pub fn generated_fp16v_cases() -> Vec<CaseSrc> {
    let mut out = Vec::new();
    let mut s = 0x5eed_a64d_f16a_0002u64;
    let s = &mut s;
    let arith = [
        "fadd", "fsub", "fmul", "fdiv", "fmax", "fmin", "fmaxnm", "fminnm", "fabd", "faddp", "fmaxp",
        "fminp", "fmaxnmp", "fminnmp", "fmulx",
    ];
    push(&mut out, s, &vec3(&arith, "v0"), 14, true);
    push(&mut out, s, &vec3(&["frecps", "frsqrts"], "v0"), 14, false);
    push(&mut out, s, &vec3(&["fmla", "fmls"], "v3"), 14, true);
    let compares = ["fcmeq", "fcmge", "fcmgt", "facge", "facgt"];
    push(&mut out, s, &vec3(&compares, "v0"), 14, true);
    push(&mut out, s, &scalar(&["fabd", "fmulx"], "h0, h1, h2"), 16, true);
    push(&mut out, s, &scalar(&["frecps", "frsqrts"], "h0, h1, h2"), 16, false);
    push(&mut out, s, &scalar(&compares, "h0, h1, h2"), 16, true);
    // Two-register miscellaneous.
    push(&mut out, s, &vec2(&["fabs", "fneg", "fsqrt"], ""), 12, true);
    push(&mut out, s, &vec2(&["frecpe", "frsqrte"], ""), 12, false);
    let rint = ["frintn", "frintm", "frintp", "frintz", "frinta", "frintx", "frinti"];
    let cvt = [
        "fcvtns", "fcvtnu", "fcvtms", "fcvtmu", "fcvtas", "fcvtau", "fcvtps", "fcvtpu", "fcvtzs", "fcvtzu",
        "scvtf", "ucvtf",
    ];
    push(&mut out, s, &vec2(&rint, ""), 10, true);
    push(&mut out, s, &vec2(&cvt, ""), 10, true);
    let zero = ["fcmeq", "fcmge", "fcmgt", "fcmle", "fcmlt"];
    push(&mut out, s, &vec2(&zero, ", #0.0"), 10, true);
    push(&mut out, s, &scalar(&cvt, "h0, h1"), 12, true);
    push(&mut out, s, &scalar(&zero, "h0, h1, #0.0"), 12, true);
    push(&mut out, s, &scalar(&["frecpe", "frsqrte", "frecpx"], "h0, h1"), 12, false);
    // Across lanes and scalar pairwise.
    let across: Vec<String> = ["fmaxnmv", "fminnmv", "fmaxv", "fminv"]
        .iter()
        .flat_map(|op| ["4h", "8h"].map(|t| format!("{op} h0, v1.{t}")))
        .collect();
    push(&mut out, s, &across, 10, true);
    push(&mut out, s, &scalar(&["faddp", "fmaxp", "fminp", "fmaxnmp", "fminnmp"], "h0, v1.2h"), 12, true);
    // Fixed-point conversions: 1, 8 and 16 fraction bits.
    let mut fixed = Vec::new();
    for op in ["scvtf", "ucvtf", "fcvtzs", "fcvtzu"] {
        for fbits in [1, 8, 16] {
            fixed.push(format!("{op} v0.4h, v1.4h, #{fbits}"));
            fixed.push(format!("{op} v0.8h, v1.8h, #{fbits}"));
            fixed.push(format!("{op} h0, h1, #{fbits}"));
        }
    }
    push(&mut out, s, &fixed, 4, true);
    // By element: every index, and a register above v15's reach for S (H has Vm 0..15).
    let mut elem = Vec::new();
    for op in ["fmla", "fmls", "fmul", "fmulx"] {
        let d = if op.starts_with("fml") { "v3" } else { "v0" };
        let hd = if op.starts_with("fml") { "h3" } else { "h0" };
        for i in 0..8 {
            elem.push(format!("{op} {d}.8h, v1.8h, v2.h[{i}]"));
            elem.push(format!("{op} {d}.4h, v1.4h, v2.h[{i}]"));
            elem.push(format!("{op} {hd}, h1, v2.h[{i}]"));
        }
    }
    push(&mut out, s, &elem, 2, true);
    let high: Vec<String> =
        ["fmla v3.8h, v1.8h, v15.h[5]", "fmul v0.4h, v2.4h, v9.h[2]", "fmulx h0, h1, v12.h[7]"]
            .map(String::from)
            .to_vec();
    push(&mut out, s, &high, 4, true);
    // FMOV (vector, immediate).
    for imm in ["#1.0", "#-2.0", "#0.125", "#31.0", "#-0.1328125", "#1.9375"] {
        for t in ["4h", "8h"] {
            out.push(case(s, &format!("fmov v0.{t}, {imm}"), false));
        }
    }
    // FMULX and FRECPS see a denormal that FPCR.FZ flushes as zero (zero times infinity is
    // 2.0), single and double precision too.
    for insn in
        ["fmulx s0, s1, s2", "frecps s0, s1, s2", "fmulx v0.4s, v1.4s, v2.4s", "frecps v0.4s, v1.4s, v2.4s"]
    {
        for (a, b, fpcr) in
            [(1u64, 0x7f80_0000u64, 1u64 << 24), (0x7f80_0000, 0x8000_0001, 1 << 24), (1, 0x7f80_0000, 0)]
        {
            out.push(CaseSrc {
                name: format!("{insn} of {a:#x}, {b:#x} fpcr {fpcr:#x}"),
                asm: format!(
                    "mov x9, #{fpcr:#x}; msr fpcr, x9; dup v1.4s, w1; dup v2.4s, w2; {insn}; msr fpcr, xzr"
                ),
                seed: splitmix(s),
                fixed: vec![(1, a), (2, b)],
            });
        }
    }
    for insn in ["fmulx d0, d1, d2", "frecps v0.2d, v1.2d, v2.2d"] {
        out.push(CaseSrc {
            name: format!("{insn} of a denormal and infinity under FZ"),
            asm: format!(
                "mov x9, #0x1000000; msr fpcr, x9; dup v1.2d, x1; dup v2.2d, x2; {insn}; msr fpcr, xzr"
            ),
            seed: splitmix(s),
            fixed: vec![(1, 0x8000_0000_0000_0003), (2, 0x7ff0_0000_0000_0000)],
        });
    }
    out
}
