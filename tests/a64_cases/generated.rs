//! The A64 differential cases generated with a fixed seed: random words of the decode
//! table's rows, scalar FP under directed rounding, special FP operands, conversions to and
//! from half precision and the fused multiply-add forms.

use crate::a64_cases::{splitmix, CaseSrc};
use std::fmt::Write as _;
use xlate::frontend::aarch64::decode;
use xlate::frontend::aarch64::A64Frontend;
use xlate::frontend::{Frontend, SliceCode};
use xlate::ir::{Exit, GuestAddr, TrapKind};

/// Rows whose random encodings are safe to run from any initial state (no branches, no
/// system registers, and memory rows constrained below).
const GENERATED_ROWS: &[&str] = &[
    "ADD_imm",
    "LOG_imm",
    "MOVE_wide",
    "BITFIELD",
    "EXTR",
    "LOG_shift",
    "ADDSUB_shift",
    "ADDSUB_ext",
    "ADC",
    "CCMP",
    "CSEL",
    "DP2",
    "DP1",
    "DP3",
    "LDST_imm9",
    "LDST_uimm",
    "LDSTP",
    "LDST_reg",
    "LSE_rmw",
    "CAS",
    "LDAR",
    "STLR",
    "FP_1src",
    "FP_cmp",
    "FP_imm",
    "FP_ccmp",
    "FP_2src",
    "FP_csel",
    "FP_3src",
    "FP_int",
    "FP_fixed",
    "SIMD_3same",
    "SIMD_3diff",
    "SIMD_2misc",
    "SIMD_across",
    "SIMD_copy",
    "SIMD_permute",
    "SIMD_ext",
    "SIMD_tbl",
    "SIMD_modimm",
    "SIMD_shift",
    "SIMD_elem",
    "SIMD_3ext",
    "SIMD_s3ext",
    "SIMD_s3diff",
    "SIMD_selem",
    "SIMD_3same_fp16",
    "SIMD_2misc_fp16",
    "SIMD_s3same_fp16",
    "SIMD_s2misc_fp16",
    "Crypto_AES",
    "Crypto_SHA3",
    "Crypto_SHA2",
    "LDST_multi",
    "LDST_single",
];

/// Forces the fields of a memory-access word so that it touches only the scratch memory:
/// the base is one of x20..x27 or sp, offsets are small, and register offsets come from a
/// register with a fixed small value. Returns the fixed registers.
fn constrain_memory(name: &str, w: &mut u32, s: &mut u64) -> Vec<(usize, u64)> {
    let mut fixed = vec![];
    let base = [20, 21, 22, 23, 24, 25, 26, 27, 31][(splitmix(s) % 9) as usize];
    *w = (*w & !(0x1f << 5)) | (base << 5);
    match name {
        "LDST_uimm" => *w &= !(0xff0 << 10), // imm12 < 16
        "LDSTP" => {
            let imm7 = ((splitmix(s) % 16) as i32 - 8) as u32 & 0x7f;
            *w = (*w & !(0x7f << 15)) | (imm7 << 15);
        }
        "LDST_reg" => {
            let rm = (splitmix(s) % 20) as u32;
            *w = (*w & !(0x1f << 16)) | (rm << 16);
            let option = (*w >> 13) & 7;
            let v = splitmix(s) % 16;
            let value = match option {
                0b110 => (-(v as i64) as u32) as u64,
                0b111 => -(v as i64) as u64,
                _ => v,
            };
            fixed.push((rm as usize, value));
        }
        _ => {}
    }
    fixed
}

/// Register combinations the architecture leaves CONSTRAINED UNPREDICTABLE (writeback into
/// the transferred register, a load pair into one register twice).
fn unpredictable_registers(name: &str, w: u32) -> bool {
    let (rt, rn, rt2) = (w & 31, (w >> 5) & 31, (w >> 10) & 31);
    match name {
        "LDST_imm9" => {
            let writeback = (w >> 10) & 1 == 1;
            writeback && rt == rn && rn != 31
        }
        "LDSTP" => {
            let writeback = (w >> 23) & 1 == 1;
            let load = (w >> 22) & 1 == 1;
            (writeback && (rt == rn || rt2 == rn) && rn != 31) || (load && rt == rt2)
        }
        _ => false,
    }
}

/// Whether the A64 frontend translates `w` as one ordinary instruction.
fn translates(w: u32) -> bool {
    let bytes = w.to_le_bytes();
    let code = SliceCode { base: GuestAddr(0x1000), bytes: &bytes };
    let block = A64Frontend::new().translate(&code, GuestAddr(0x1000));
    // One instruction, then the fetch fault after the 4 bytes (not an illegal-instruction trap).
    block.guest_insns == 1 && matches!(block.exit, Exit::Trap { kind: TrapKind::CodeFetch, .. })
}

pub fn generated_cases() -> Vec<CaseSrc> {
    generated_cases_with(48, 0x5eed_a64d_1ff0_0001)
}

/// `per_row` random words for every row of [`GENERATED_ROWS`], from `seed`.
pub fn generated_cases_with(per_row: usize, seed: u64) -> Vec<CaseSrc> {
    #[allow(non_snake_case)]
    let PER_ROW = per_row;
    let mut out = Vec::new();
    let mut s = seed;
    let rows: Vec<_> = decode::table().rows().filter(|r| GENERATED_ROWS.contains(&r.2.name)).collect();
    for (mask, value, row) in rows {
        let mut made = 0;
        let mut tries = 0;
        while made < PER_ROW && tries < PER_ROW * 50 {
            tries += 1;
            let mut w = value | (splitmix(&mut s) as u32 & !mask);
            let is_mem = row.name.starts_with("LD")
                || row.name.starts_with("ST")
                || row.name.starts_with("LSE")
                || row.name == "CAS";
            let fixed = if is_mem { constrain_memory(row.name, &mut w, &mut s) } else { vec![] };
            if is_mem && unpredictable_registers(row.name, w) {
                continue;
            }
            if !translates(w) {
                continue;
            }
            made += 1;
            out.push(CaseSrc {
                name: format!("{} {w:08x}", row.name),
                asm: format!(".inst {w:#010x}"),
                seed: splitmix(&mut s),
                fixed,
            });
        }
    }
    out
}

/// Scalar FP arithmetic words from the table's patterns, each run under one of the three
/// directed FPCR rounding modes.
pub fn generated_rounding_cases() -> Vec<CaseSrc> {
    let mut out = Vec::new();
    let mut s = 0x5eed_a64d_0000_0fcau64;
    let rows: Vec<_> = decode::table().rows().filter(|r| matches!(r.2.name, "FP_2src" | "FP_1src")).collect();
    for (mask, value, row) in rows {
        let mut made = 0;
        let mut tries = 0;
        while made < 96 && tries < 10_000 {
            tries += 1;
            let w = value | (splitmix(&mut s) as u32 & !mask);
            if !translates(w) {
                continue;
            }
            made += 1;
            let mode = (1 + splitmix(&mut s) % 3) << 22;
            out.push(CaseSrc {
                name: format!("{} {w:08x} rmode {}", row.name, mode >> 22),
                asm: format!("mov x9, #{mode:#x}; msr fpcr, x9; .inst {w:#010x}; msr fpcr, xzr"),
                seed: splitmix(&mut s),
                fixed: vec![],
            });
        }
    }
    out
}

/// Special f64 operands: zeros, ones, neighbours of 1, denormals, the smallest normal and
/// its neighbour, values whose products land near underflow, the largest finite, infinities,
/// quiet and signalling NaNs of both signs with payloads, and 2^53 + 2.
const SPECIAL_D: &[u64] = &[
    0,
    0x8000_0000_0000_0000,
    0x3ff0_0000_0000_0000,
    0xbff8_0000_0000_0000,
    0x4008_0000_0000_0000,
    0x3ff0_0000_0000_0001,
    0x3fef_ffff_ffff_ffff,
    0x0000_0000_0000_0001,
    0x800f_ffff_ffff_ffff,
    0x000f_ffff_ffff_ffff,
    0x0010_0000_0000_0000,
    0x0010_0000_0000_0001,
    0x1f10_0000_0000_0000,
    0x2000_0000_0000_0003,
    0x7fef_ffff_ffff_ffff,
    0x7ff0_0000_0000_0000,
    0xfff0_0000_0000_0000,
    0x7ff8_0000_0000_0123,
    0xfff8_0000_0000_0456,
    0x7ff0_0000_0000_0789,
    0xfff4_0000_0000_0abc,
    0x4340_0000_0000_0001,
];

/// The same for f32.
const SPECIAL_S: &[u64] = &[
    0,
    0x8000_0000,
    0x3f80_0000,
    0xbfc0_0000,
    0x4040_0000,
    0x3f80_0001,
    0x3f7f_ffff,
    0x0000_0001,
    0x807f_ffff,
    0x007f_ffff,
    0x0080_0000,
    0x0080_0001,
    0x1f80_0000,
    0x2000_0003,
    0x7f7f_ffff,
    0x7f80_0000,
    0xff80_0000,
    0x7fc0_0123,
    0xffc0_0456,
    0x7f80_0789,
    0xffa0_0abc,
    0x4b00_0001,
];

/// FPCR values for the FP cases: round to nearest (twice as often), the three directed modes,
/// FZ, DN, FZ with DN, and those with directed rounding.
const FPCR: &[u64] =
    &[0, 0, 1 << 22, 2 << 22, 3 << 22, 1 << 24, 1 << 25, 3 << 24, 3 << 24 | 1 << 22, 3 << 24 | 2 << 22];

/// Scalar FP arithmetic (FADD FSUB FMUL FNMUL FDIV FMAX FMIN FMAXNM FMINNM FSQRT, S and D) on
/// special operands (NaN payloads of both kinds and signs, zeros, denormals, the smallest
/// normal, infinities, the largest finite, values whose products and quotients land next to
/// the smallest normal) under FPCR values with every rounding mode, FZ and DN. The operands
/// are x1 and x2, moved into s1/d1 and s2/d2; FPSR is cleared before the instruction and
/// read into x10 after it, so the exception flags are compared too.
pub fn generated_fp_special_cases() -> Vec<CaseSrc> {
    const OPS: &[&str] =
        &["fadd", "fsub", "fmul", "fnmul", "fdiv", "fmax", "fmin", "fmaxnm", "fminnm", "fsqrt"];
    let mut out = Vec::new();
    let mut s = 0x5eed_a64d_f00d_0011u64;
    for op in OPS {
        for (reg, values) in [("d", SPECIAL_D), ("s", SPECIAL_S)] {
            for _ in 0..48 {
                let pick = |s: &mut u64| values[(splitmix(s) % values.len() as u64) as usize];
                let (a, b) = (pick(&mut s), pick(&mut s));
                let fpcr = FPCR[(splitmix(&mut s) % FPCR.len() as u64) as usize];
                let gp = if reg == "d" { "x" } else { "w" };
                let insn = if *op == "fsqrt" {
                    format!("{op} {reg}0, {reg}2")
                } else {
                    format!("{op} {reg}0, {reg}1, {reg}2")
                };
                out.push(CaseSrc {
                    name: format!("{insn} of {a:#x}, {b:#x} fpcr {fpcr:#x}"),
                    asm: format!(
                        "mov x9, #{fpcr:#x}; msr fpcr, x9; msr fpsr, xzr; fmov {reg}1, {gp}1; \
                         fmov {reg}2, {gp}2; {insn}; mrs x10, fpsr; msr fpcr, xzr"
                    ),
                    seed: splitmix(&mut s),
                    fixed: vec![(1, a), (2, b)],
                });
            }
        }
    }
    out
}

/// Operands near the edges of half precision, for the conversions to it: the largest half and
/// the halfway point above it (65520), beyond it (70000, 131072: AHP's range), the smallest
/// subnormal and half of it, 1.5 times it, the smallest normal and the halfway point below it,
/// 1 + 2^-11 (a tie) and values just above the tie (through single precision the f64 one would
/// round twice).
const HALF_EDGES_D: &[u64] = &[
    0x40ef_fe00_0000_0000,
    0x40ef_fc00_0000_0000,
    0x40f1_1700_0000_0000,
    0x4100_0000_0000_0000,
    0x3e70_0000_0000_0000,
    0x3e60_0000_0000_0000,
    0x3e68_0000_0000_0000,
    0x3f10_0000_0000_0000,
    0x3f0f_fe00_0000_0000,
    0x3ff0_0200_0000_0000,
    0x3ff0_0200_0000_1000,
    0xbff0_0200_2000_0000,
];

/// The same for f32.
const HALF_EDGES_S: &[u64] = &[
    0x477f_f000,
    0x477f_e000,
    0x4788_b800,
    0x4800_0000,
    0x3380_0000,
    0x3300_0000,
    0x3340_0000,
    0x3880_0000,
    0x387f_f000,
    0x3f80_1000,
    0xbf80_1001,
];

/// Half-precision operands: zeros, one, the smallest subnormal, the largest subnormal (negative),
/// the smallest normal, the largest finite, infinities, quiet and signalling NaNs of both signs
/// with payloads, and all ones (a NaN, or -131008 under FPCR.AHP).
const SPECIAL_H: &[u64] = &[
    0, 0x8000, 0x3c00, 0x0001, 0x83ff, 0x0400, 0x7bff, 0x7c00, 0xfc00, 0x7e01, 0xfe55, 0x7c01, 0xfd23,
    0xffff, 0x3555,
];

/// FCVT between half, single and double precision (base ARMv8.0, scalar) on special operands
/// and the edges of half precision, under FPCR values with every rounding mode, FZ, DN and AHP
/// (alone and with the others); FPSR read back into x10 after each. Halves are moved in with
/// `fmov s1, w1` (FMOV of an H register is FEAT_FP16).
pub fn generated_fcvt_cases() -> Vec<CaseSrc> {
    const AHP: u64 = 1 << 26;
    let fpcrs: Vec<u64> =
        FPCR.iter().copied().chain([AHP, AHP | 1 << 22, AHP | 3 << 22, AHP | 3 << 24]).collect();
    let d: Vec<u64> = SPECIAL_D.iter().chain(HALF_EDGES_D).copied().collect();
    let f: Vec<u64> = SPECIAL_S.iter().chain(HALF_EDGES_S).copied().collect();
    let forms: &[(&str, &str, &[u64])] = &[
        ("fcvt h0, s1", "fmov s1, w1", &f),
        ("fcvt h0, d1", "fmov d1, x1", &d),
        ("fcvt s0, h1", "fmov s1, w1", SPECIAL_H),
        ("fcvt d0, h1", "fmov s1, w1", SPECIAL_H),
        ("fcvt s0, d1", "fmov d1, x1", &d),
        ("fcvt d0, s1", "fmov s1, w1", &f),
    ];
    let mut out = Vec::new();
    let mut s = 0x5eed_a64d_f16c_0001u64;
    for (insn, mov, values) in forms {
        for i in 0..64 {
            // Every operand at least once, then random ones.
            let a = if i < values.len() {
                values[i]
            } else {
                values[(splitmix(&mut s) % values.len() as u64) as usize]
            };
            let fpcr = fpcrs[(splitmix(&mut s) % fpcrs.len() as u64) as usize];
            out.push(CaseSrc {
                name: format!("{insn} of {a:#x} fpcr {fpcr:#x}"),
                asm: format!("mov x9, #{fpcr:#x}; msr fpcr, x9; msr fpsr, xzr; {mov}; {insn}; mrs x10, fpsr; msr fpcr, xzr"),
                seed: splitmix(&mut s),
                fixed: vec![(1, a)],
            });
        }
    }
    out
}

/// Every fused multiply-add form (FMADD/FMSUB/FNMADD/FNMSUB S and D; FMLA/FMLS vector 2S, 4S,
/// 2D, by element 2S, 4S, 2D, and scalar by element S and D) on the special operands of
/// [`generated_fp_special_cases`] plus products that cancel against the addend, under FPCR
/// values with every rounding mode, FZ and DN; FPSR read back after each.
pub fn generated_fma_cases() -> Vec<CaseSrc> {
    // The special operands, and 2^-52 (2^-23), whose products fall within an ulp of 1.
    let d: Vec<u64> = SPECIAL_D.iter().copied().chain([0x3cb0_0000_0000_0000]).collect();
    let f: Vec<u64> = SPECIAL_S.iter().copied().chain([0x3400_0000]).collect();
    // (instruction, arrangement of its operands).
    let forms: &[(&str, &str)] = &[
        ("fmadd d0, d1, d2, d3", "d"),
        ("fmsub d0, d1, d2, d3", "d"),
        ("fnmadd d0, d1, d2, d3", "d"),
        ("fnmsub d0, d1, d2, d3", "d"),
        ("fmadd s0, s1, s2, s3", "s"),
        ("fmsub s0, s1, s2, s3", "s"),
        ("fnmadd s0, s1, s2, s3", "s"),
        ("fnmsub s0, s1, s2, s3", "s"),
        ("fmla v3.2d, v1.2d, v2.2d", "2d"),
        ("fmls v3.2d, v1.2d, v2.2d", "2d"),
        ("fmla v3.4s, v1.4s, v2.4s", "4s"),
        ("fmls v3.4s, v1.4s, v2.4s", "4s"),
        ("fmla v3.2s, v1.2s, v2.2s", "2s"),
        ("fmls v3.2s, v1.2s, v2.2s", "2s"),
        ("fmla v3.2d, v1.2d, v2.d[1]", "2d"),
        ("fmls v3.2d, v1.2d, v2.d[0]", "2d"),
        ("fmla v3.4s, v1.4s, v2.s[2]", "4s"),
        ("fmls v3.4s, v1.4s, v2.s[1]", "4s"),
        ("fmla v3.2s, v1.2s, v2.s[3]", "2s"),
        ("fmls v3.2s, v1.2s, v2.s[0]", "2s"),
        ("fmla d3, d1, v2.d[1]", "d"),
        ("fmls d3, d1, v2.d[0]", "d"),
        ("fmla s3, s1, v2.s[2]", "s"),
        ("fmls s3, s1, v2.s[1]", "s"),
    ];
    let mut out = Vec::new();
    let mut s = 0x5eed_a64f_aaaa_0011u64;
    for &(insn, shape) in forms {
        let double = matches!(shape, "d" | "2d");
        let values = if double { &d } else { &f };
        for _ in 0..24 {
            let pick = |s: &mut u64| values[(splitmix(s) % values.len() as u64) as usize];
            let fpcr = FPCR[(splitmix(&mut s) % FPCR.len() as u64) as usize];
            // Three lanes of each operand register get special values (x1..x3 for Vn, x4..x6
            // for Vm, x7..x9 for Vd); one case in four makes Vd's lane 0 cancel Vn * Vm.
            let mut fixed = Vec::new();
            for r in 1..=9 {
                fixed.push((r, pick(&mut s)));
            }
            if splitmix(&mut s).is_multiple_of(4) {
                let (a, b) = (fixed[0].1, fixed[3].1);
                // A NaN product's payload is the host's choice: only numbers, so that the case
                // list is the same on every host.
                let neg = if double {
                    let p = f64::from_bits(a) * f64::from_bits(b);
                    (!p.is_nan()).then(|| (-p).to_bits())
                } else {
                    let p = f32::from_bits(a as u32) * f32::from_bits(b as u32);
                    (!p.is_nan()).then(|| (-p).to_bits() as u64)
                };
                let (mask, sign) = if double { (u64::MAX, 1 << 63) } else { (0xffff_ffff, 1 << 31) };
                let flip = if splitmix(&mut s).is_multiple_of(2) { sign } else { 0 };
                let step = splitmix(&mut s) % 3;
                if let Some(neg) = neg {
                    fixed[6].1 = (neg ^ flip).wrapping_add(step).wrapping_sub(1) & mask;
                }
            }
            let (lane, gp, count) = match shape {
                "2d" | "d" => ("d", "x", 2),
                _ => ("s", "w", 3),
            };
            let mut set = String::new();
            for (v, base) in [(1, 1), (2, 4), (3, 7)] {
                for i in 0..count {
                    // The by-element forms read Vm's lane 0..3; fill the low three.
                    let _ = write!(set, "mov v{v}.{lane}[{i}], {gp}{}; ", base + i);
                }
            }
            // The FMADD family reads d1, d2, d3 as n, m, a: the addend is v3, as for FMLA.
            let asm = format!(
                "mov x10, #{fpcr:#x}; msr fpcr, x10; msr fpsr, xzr; {set}{insn}; mrs x10, fpsr; msr fpcr, xzr"
            );
            out.push(CaseSrc {
                name: format!("{insn} fpcr {fpcr:#x} {:x?}", fixed.iter().map(|f| f.1).collect::<Vec<_>>()),
                asm,
                seed: splitmix(&mut s),
                fixed,
            });
        }
    }
    out
}
