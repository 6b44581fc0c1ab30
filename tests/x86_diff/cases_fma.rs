//! FMA3 cases (every VFMADD/VFMSUB/VFNMADD/VFNMSUB/VFMADDSUB/VFMSUBADD code, xmm and ymm,
//! register and memory) with floating-point values, and VEX compare predicates 0-31:
//! - generated: special and random values in every lane, a random rounding mode, DAZ and FTZ;
//! - the scalar forms on hand-picked triples (NaN priority among the three operands, quiet
//!   and signalling, `inf * 0 + NaN`, `inf - inf`, denormal operands, results that overflow,
//!   underflow or cancel exactly) under every rounding mode, with and without DAZ and FTZ;
//! - unmasked exceptions: SIGFPE with the destination unchanged;
//! - vcmpps/pd/ss/sd with every predicate on quiet and signalling NaNs, denormals and
//!   ordered pairs (the predicates 16-31 differ from 0-15 only in IE on quiet NaNs);
//! - F16C vcvtph2ps (xmm, ymm, memory) on every kind of half, with DAZ, and with IE or DE
//!   unmasked.

use crate::case::{generate, mem, Case, Rng};
use crate::cases_sse::RSI;
use iced_x86::{Code, Instruction, Register};

/// Every FMA3 code (`VEX_Vfmadd132ps_xmm_xmm_xmmm128`; not FMA4's `VEX_Vfmaddps_...`).
fn fma_codes() -> Vec<Code> {
    Code::values()
        .filter(|c| {
            let n = format!("{c:?}");
            let m = n.split('_').nth(1).unwrap_or("");
            n.starts_with("VEX_Vf") && ["132", "213", "231"].iter().any(|d| m.contains(d))
        })
        .collect()
}

fn name_of(code: Code) -> String {
    format!("{code:?}")
}

fn is_double(code: Code) -> bool {
    let n = name_of(code);
    n.contains("pd_") || n.contains("sd_")
}

fn is_wide(code: Code) -> bool {
    name_of(code).contains("ymm")
}

fn vreg(n: usize, wide: bool) -> Register {
    let base = if wide { Register::YMM0 } else { Register::XMM0 };
    Register::values().nth(base as usize + n).expect("register")
}

/// `code` on registers 1, 2, 3 (or 1, 2, [rsi+0x40]).
fn build(code: Code, memory: bool) -> Instruction {
    let w = is_wide(code);
    let r = |n| vreg(n, w);
    let built = if memory {
        Instruction::with3(code, r(1), r(2), mem(RSI_REG, 0x40))
    } else {
        Instruction::with3(code, r(1), r(2), r(3))
    };
    crate::case::built(built)
}

const RSI_REG: Register = Register::RSI;

/// Random MXCSR: all exceptions masked, a rounding mode, sometimes DAZ and FTZ.
fn random_mxcsr(rng: &mut Rng) -> u32 {
    let mut m = 0x1f80 | (rng.below(4) as u32) << 13;
    if rng.below(3) == 0 {
        m |= 1 << 6;
    }
    if rng.below(3) == 0 {
        m |= 1 << 15;
    }
    m
}

/// A ymm value of floating-point lanes.
fn random_lanes(rng: &mut Rng, double: bool) -> [u64; 4] {
    let half = |rng: &mut Rng| if double { rng.xmm_f64() } else { rng.xmm_f32() };
    let (a, b) = (half(rng), half(rng));
    [a[0], a[1], b[0], b[1]]
}

fn bytes_of(v: [u64; 4]) -> Vec<u8> {
    v.iter().flat_map(|w| w.to_le_bytes()).collect()
}

fn generated() -> Vec<Case> {
    let mut out = Vec::new();
    for code in fma_codes() {
        for memory in [false, true] {
            let insn = build(code, memory);
            out.extend(generate(&format!("{code:?}/{}", if memory { "mem" } else { "reg" }), 6, |rng| {
                let d = is_double(code);
                let mut c = Case::insns("", &[insn]).ptr(RSI, 0x100).mxcsr(random_mxcsr(rng));
                for n in 0..4 {
                    c = c.ymm(n, random_lanes(rng, d));
                }
                let m = random_lanes(rng, d);
                c.mem(0x140, &bytes_of(m))
            }));
        }
    }
    out
}

/// Values for the scalar triples (double bits; the single ones are converted).
const QNAN_A: u64 = 0x7ff8_0000_0000_00a0;
const QNAN_B: u64 = 0xfff8_0000_0000_00b0;
const SNAN_C: u64 = 0x7ff4_0000_0000_00c0;
const INF: u64 = 0x7ff0_0000_0000_0000;
const NINF: u64 = 0xfff0_0000_0000_0000;
const ONE: u64 = 0x3ff0_0000_0000_0000;
const THIRD: u64 = 0x3fd5_5555_5555_5555;
const DENORM: u64 = 0x0008_0000_0000_0001;
const MAX: u64 = 0x7fef_ffff_ffff_ffff;
const MIN_NORMAL: u64 = 0x0010_0000_0000_0000;

/// The single-precision value of the same kind as a double of [`scalar_triples`].
fn to_f32(v: u64) -> u64 {
    (match v {
        QNAN_A => 0x7fc0_00a0,
        QNAN_B => 0xffc0_00b0,
        SNAN_C => 0x7fa0_00c0,
        DENORM => 0x0040_0001,
        MAX => 0x7f7f_ffff,
        MIN_NORMAL => 0x0080_0000,
        v => (f64::from_bits(v) as f32).to_bits(),
    }) as u64
}

/// Triples (x1, x2, x3: the values of operands 1, 2, 3).
fn scalar_triples() -> Vec<[u64; 3]> {
    let neg = |v: u64| v ^ 1 << 63;
    vec![
        [QNAN_A, QNAN_B, ONE],
        [ONE, QNAN_A, QNAN_B],
        [QNAN_B, ONE, QNAN_A],
        [QNAN_A, QNAN_B, SNAN_C],
        [SNAN_C, QNAN_A, QNAN_B],
        [QNAN_A, SNAN_C, ONE],
        [INF, 0, QNAN_A],
        [0, QNAN_A, INF],
        [QNAN_A, INF, 0],
        [INF, 0, ONE],
        [INF, ONE, NINF],
        [NINF, INF, ONE],
        [ONE, THIRD, neg(THIRD)],
        [THIRD, THIRD, ONE],
        [neg(THIRD), THIRD, THIRD],
        [DENORM, ONE, 0],
        [ONE, DENORM, DENORM],
        [MIN_NORMAL, THIRD, 0],
        [MIN_NORMAL, neg(THIRD), MIN_NORMAL],
        [MAX, MAX, ONE],
        [MAX, ONE, MAX],
        [MAX, neg(ONE), MAX],
        [ONE, ONE, neg(ONE)],
        [0, neg(ONE), 0],
        [neg(0), ONE, neg(0)],
    ]
}

/// Every FMA kind and order on the scalar triples, under every rounding mode with and without
/// DAZ|FTZ.
fn scalar_specials() -> Vec<Case> {
    let mut out = Vec::new();
    for code in fma_codes().into_iter().filter(|&c| {
        let n = name_of(c);
        n.contains("ss_") || n.contains("sd_")
    }) {
        let d = is_double(code);
        let insn = build(code, false);
        for (t, triple) in scalar_triples().into_iter().enumerate() {
            let v = triple.map(|x| if d { x } else { to_f32(x) });
            for rc in 0..4u32 {
                for dazftz in [0u32, 1 << 6 | 1 << 15] {
                    let m = 0x1f80 | rc << 13 | dazftz;
                    out.push(
                        Case::insns(format!("{code:?}/t{t}/m{m:x}"), &[insn])
                            .xmm(1, v[0], 0x1111_2222_3333_4444)
                            .xmm(2, v[1], 5)
                            .xmm(3, v[2], 6)
                            .mxcsr(m),
                    );
                }
            }
        }
    }
    out
}

/// Unmasked exceptions: SIGFPE, nothing written (a ymm form with one lane invalid).
fn unmasked() -> Vec<Case> {
    let mut out = Vec::new();
    let c = crate::case::built(Instruction::with3(
        Code::VEX_Vfmadd231pd_ymm_ymm_ymmm256,
        Register::YMM1,
        Register::YMM2,
        Register::YMM3,
    ));
    let lanes = |x| [ONE, ONE, x, ONE];
    for (what, x2, mask) in [("ie", INF, 0), ("pe", THIRD, 5), ("masked", INF, 7)] {
        let m = 0x1f80 & !(1 << (7 + mask)) | if mask == 7 { 1 << 7 } else { 0 };
        out.push(
            Case::insns(format!("vfmadd231pd/unmasked-{what}"), &[c])
                .ymm(1, [1, 2, 3, 4])
                .ymm(2, lanes(x2))
                .ymm(3, [THIRD, THIRD, 0, THIRD])
                .mxcsr(m),
        );
    }
    // An exact tiny product in lane 0: UE only when unmasked (SDM vol. 1, 11.5.2.4).
    let tiny = |e: i32| 2f64.powi(e).to_bits();
    for (what, m) in [("ue-exact", 0x1f80 & !(1 << 11)), ("masked-tiny-exact", 0x1f80)] {
        out.push(
            Case::insns(format!("vfmadd231pd/unmasked-{what}"), &[c])
                .ymm(1, [0, 0, 0, 0])
                .ymm(2, [tiny(-1000), ONE, ONE, ONE])
                .ymm(3, [tiny(-60), ONE, ONE, ONE])
                .mxcsr(m),
        );
    }
    out
}

/// The VEX compares with every predicate on special pairs.
fn compares() -> Vec<Case> {
    use Code::*;
    let mut out = Vec::new();
    let pairs: [(u64, u64); 6] =
        [(ONE, ONE), (ONE, THIRD), (THIRD, ONE), (QNAN_A, ONE), (ONE, SNAN_C), (DENORM, 0)];
    for code in [
        VEX_Vcmpps_xmm_xmm_xmmm128_imm8,
        VEX_Vcmppd_xmm_xmm_xmmm128_imm8,
        VEX_Vcmpss_xmm_xmm_xmmm32_imm8,
        VEX_Vcmpsd_xmm_xmm_xmmm64_imm8,
        VEX_Vcmpps_ymm_ymm_ymmm256_imm8,
        VEX_Vcmppd_ymm_ymm_ymmm256_imm8,
    ] {
        let d = is_double(code);
        let w = is_wide(code);
        for imm in 0..32u32 {
            let insn = crate::case::built(Instruction::with4(code, vreg(1, w), vreg(2, w), vreg(3, w), imm));
            for daz in [0u32, 1 << 6] {
                // Every lane gets a pair; a double lane per 64 bits, two floats per 64 bits.
                let lane = |i: usize, which: usize| {
                    let (a, b) = pairs[i % pairs.len()];
                    let v = if which == 0 { a } else { b };
                    if d {
                        v
                    } else {
                        let j = (i + 3) % pairs.len();
                        let (a2, b2) = pairs[j];
                        let v2 = if which == 0 { a2 } else { b2 };
                        to_f32(v) | to_f32(v2) << 32
                    }
                };
                for start in [0usize, 4] {
                    let reg = |which| [0, 1, 2, 3].map(|i| lane(start + i, which));
                    out.push(
                        Case::insns(format!("{code:?}/p{imm}/s{start}/daz{}", daz != 0), &[insn])
                            .ymm(1, [7, 8, 9, 10])
                            .ymm(2, reg(0))
                            .ymm(3, reg(1))
                            .mxcsr(0x1f80 | daz),
                    );
                }
            }
        }
    }
    out
}

/// vcvtph2ps on zeros, denormals, normals, infinities, quiet and signalling NaNs.
fn halves() -> Vec<Case> {
    const H: [u16; 16] = [
        0x0000, 0x8000, 0x0001, 0x83ff, 0x0200, 0x0400, 0x3c00, 0xfbff, 0x7c00, 0xfc00, 0x7e00, 0xfe01,
        0x7c01, 0x7d00, 0xfd55, 0x3555,
    ];
    let word = |i: usize| (0..4).fold(0u64, |w, k| w | (H[(i * 4 + k) % 16] as u64) << (16 * k));
    let mut out = Vec::new();
    for (code, wide) in [(Code::VEX_Vcvtph2ps_xmm_xmmm64, false), (Code::VEX_Vcvtph2ps_ymm_xmmm128, true)] {
        for memory in [false, true] {
            let dst = vreg(1, wide);
            let insn = if memory {
                crate::case::built(Instruction::with2(code, dst, mem(RSI_REG, 0x40)))
            } else {
                crate::case::built(Instruction::with2(code, dst, Register::XMM2))
            };
            for start in 0..4 {
                for m in [0x1f80u32, 0x1fc0, 0x1f80 & !(1 << 7), 0x1f80 & !(1 << 8)] {
                    let (lo, hi) = (word(start), word(start + 1));
                    let bytes: Vec<u8> = [lo, hi].iter().flat_map(|w| w.to_le_bytes()).collect();
                    out.push(
                        Case::insns(
                            format!("{code:?}/{}/h{start}/m{m:x}", if memory { "mem" } else { "reg" }),
                            &[insn],
                        )
                        .ptr(RSI, 0x100)
                        .mem(0x140, &bytes)
                        .ymm(1, [1, 2, 3, 4])
                        .xmm(2, lo, hi)
                        .mxcsr(m),
                    );
                }
            }
        }
    }
    out
}

pub fn cases() -> Vec<Case> {
    let mut out = generated();
    out.extend(scalar_specials());
    out.extend(unmasked());
    out.extend(compares());
    out.extend(halves());
    out
}

/// Every FMA3 code is in the list: 48 ss/sd/ps/pd of four kinds and 12 addsub/subadd,
/// times xmm and ymm for the packed ones.
#[test]
fn every_fma_code_is_listed() {
    // Packed: 6 kinds x 3 orders x 2 (ps, pd) x 2 (xmm, ymm); scalar: 4 kinds x 3 x 2.
    assert_eq!(fma_codes().len(), 6 * 3 * 2 * 2 + 4 * 3 * 2);
}
