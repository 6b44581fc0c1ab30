//! VEX-encoded vector forms (AVX, AVX2): one lowering that reuses the legacy-SSE handlers, and
//! dispatch to the cross-lane 256-bit forms in [`super::avx2_lanes`].
//!
//! A VEX form whose semantics are "the legacy-SSE instruction, with a non-destructive first
//! source, upper YMM bits zeroed" (VEX.128), or "that instruction on each 128-bit half"
//! (lane-wise VEX.256), is rewritten to the legacy instruction (its iced `Code` found by name:
//! `VEX_Vpaddb_ymm_ymm_ymmm256` -> `Paddb_xmm_xmmm128`) and run through the legacy handler:
//! - the VEX first source (`vvvv`, operand 1 when the legacy form has one operand fewer) is
//!   copied into the destination first, or into the scratch slot when another source is the
//!   destination register (then the scratch is copied to the destination after);
//! - a VEX.256 form runs twice: on the upper halves (ymm registers renamed to the upper-half
//!   slots, see `sse_move::xmm_index`, the memory operand 16 bytes on, the immediate shifted
//!   for the forms whose upper lane takes other immediate bits), then on the lower halves.
//!   The upper pass reads only upper halves (and an xmm shift count, unchanged by it), so it
//!   goes first. Only forms whose vector operands are all 256-bit (but the shift count) are
//!   lane-wise;
//! - a VEX.128 form writing an xmm register zeroes that register's upper half;
//! - memory operands have no alignment rule, except for the aligned moves (16 bytes for
//!   VEX.128, 32 for VEX.256);
//! - the compares take VEX's 5-bit predicates (`Ctx::vex_predicates`; legacy ones 3 bits).
//!
//! A 256-bit memory access is two 16-byte ones. A store first probes its 32 bytes for
//! writing (`Op::ProbeWrite`: when they cross a page, an atomic OR of zero into the first
//! byte and into the second page's first byte), so that it faults before writing anything
//! when either of its pages is not writable, at the address a processor reports (the
//! start, or the second page's first byte); then it writes the lower half, then the upper.
//! Other 256-bit forms run the upper half first.
//!
//! Every VEX form without a legacy equivalent or a handler of its own (`avx2_lanes`,
//! `avx2_select`, `fma`, `f16c`, `masked`) stays unimplemented: SIGILL with the one-line message.

use super::sse_move::{xmm_index, SCRATCH_REG, V128};
use super::state::{off, SCRATCH_SLOT};
use super::{Ctx, Unsupported};
use crate::ir::{BinOp, CmpOp, Exit, GuestAddr, TrapKind, Width};
use iced_x86::{
    Code, CpuidFeature, EncodingKind, Instruction, InstructionInfoFactory, Mnemonic, OpAccess, OpKind,
    Register,
};

/// Whether `insn` is one of the VEX vector forms this module handles (the VEX-encoded BMI
/// instructions are scalar and go to their family).
pub fn covers(insn: &Instruction) -> bool {
    insn.encoding() == EncodingKind::VEX
        && !insn.cpuid_features().iter().all(|f| matches!(f, CpuidFeature::BMI1 | CpuidFeature::BMI2))
}

/// Translates a VEX vector instruction.
pub fn translate(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    if let Some(handler) = super::avx2_lanes::lookup(insn) {
        return handler(ctx, insn);
    }
    let m = insn.mnemonic();
    if let Some(handler) =
        super::fma::lookup(m).or_else(|| super::f16c::lookup(m)).or_else(|| super::masked::lookup_vex(m))
    {
        return handler(ctx, insn);
    }
    lower(ctx, insn)
}

/// A VEX code's legacy-SSE equivalent, and whether the VEX form has an extra first source.
#[derive(Clone, Copy, Debug)]
pub struct Legacy {
    pub code: Code,
    pub nds: bool,
    pub shape: Shape,
}

/// How a VEX form's operands relate to the legacy form's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// The same per 128-bit half.
    Same,
    /// ymm destination from a source half its size (vpmovzx/sx, vcvtdq2pd, vcvtps2pd): the
    /// legacy form per half of the destination, on the source's lower and upper part.
    Widen,
    /// xmm destination from a ymm source (vcvtpd2ps, vcvt(t)pd2dq): the legacy form per
    /// half of the source, into the destination's lower and upper 64 bits.
    Narrow,
}

/// The legacy equivalent of a VEX code, if the lowering applies to it: a lookup in
/// [`super::vex_table::LEGACY`], generated from iced's code names by the rule in
/// `tests::derive_table` (building that table at start-up took about 20 M instructions, a
/// sixth of a static hello's run).
pub fn legacy_of(code: Code) -> Option<Legacy> {
    let table = super::vex_table::LEGACY;
    let i = table.binary_search_by_key(&(code as u16), |e| e.0 as u16).ok()?;
    let (_, code, nds, shape) = table[i];
    Some(Legacy { code, nds, shape })
}

/// The aligned moves: the only VEX forms whose memory operand must be aligned.
fn aligned_move(m: Mnemonic) -> bool {
    matches!(
        m,
        Mnemonic::Vmovdqa
            | Mnemonic::Vmovaps
            | Mnemonic::Vmovapd
            | Mnemonic::Vmovntdq
            | Mnemonic::Vmovntps
            | Mnemonic::Vmovntpd
            | Mnemonic::Vmovntdqa
    )
}

/// The 256-bit shifts whose count is an xmm register or m128 used whole by both halves.
fn xmm_count_shift(m: Mnemonic) -> bool {
    matches!(
        m,
        Mnemonic::Vpsllw
            | Mnemonic::Vpslld
            | Mnemonic::Vpsllq
            | Mnemonic::Vpsrlw
            | Mnemonic::Vpsrld
            | Mnemonic::Vpsrlq
            | Mnemonic::Vpsraw
            | Mnemonic::Vpsrad
    )
}

/// The immediate of the upper pass of a lane-wise VEX.256 form: most use the same for both
/// halves; these take their upper lane's controls from higher bits.
fn upper_immediate(m: Mnemonic, imm: u64) -> u64 {
    match m {
        Mnemonic::Vshufpd | Mnemonic::Vblendpd | Mnemonic::Vpermilpd => imm >> 2,
        Mnemonic::Vblendps => imm >> 4,
        Mnemonic::Vmpsadbw => imm >> 3,
        _ => imm,
    }
}

/// Whether operand `i` of `insn` is a 256-bit one (ymm register or m256).
fn is_256(insn: &Instruction, i: u32) -> bool {
    match insn.op_kind(i) {
        OpKind::Register => insn.op_register(i).is_ymm(),
        OpKind::Memory => insn.memory_size().size() == 32,
        _ => false,
    }
}

/// Whether operand `i` is a vector register or memory operand (not a GPR or immediate).
fn is_vector(insn: &Instruction, i: u32) -> bool {
    match insn.op_kind(i) {
        OpKind::Register => {
            let r = insn.op_register(i);
            r.is_xmm() || r.is_ymm()
        }
        OpKind::Memory => true,
        _ => false,
    }
}

/// Which half a pass works on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Half {
    Lower,
    Upper,
}

/// The architectural register number of a vector register operand.
fn vreg(r: Register) -> Option<usize> {
    (r.is_xmm() || r.is_ymm()).then(|| r.number()).filter(|&n| n < 16)
}

/// The register naming register `n`'s slot for `half` (upper: when the operand is 256-bit).
fn slot_name(n: usize, half: Half, wide: bool) -> Register {
    let base = if half == Half::Upper && wide { Register::YMM0 } else { Register::XMM0 };
    // Register numbers are consecutive in iced's enum.
    iced_register(base as usize + n)
}

fn iced_register(value: usize) -> Register {
    Register::values().nth(value).unwrap_or(Register::None)
}

/// Copies vector slot `from` to slot `to`.
fn copy_slot(ctx: &mut Ctx, from: usize, to: usize) {
    if from != to {
        let lo = ctx.load_state(off::xmm(from), Width::W64);
        let hi = ctx.load_state(off::xmm_hi(from), Width::W64);
        ctx.store_state(off::xmm(to), lo, Width::W64);
        ctx.store_state(off::xmm_hi(to), hi, Width::W64);
    }
}

/// Zeroes the upper half of ymm `n`.
pub fn zero_upper(ctx: &mut Ctx, n: usize) {
    let zero = ctx.constant(0);
    ctx.xmm_set(16 + n, V128 { lo: zero, hi: zero });
}

/// Leaves with #GP (SIGSEGV) if the memory operand is not `align`-byte aligned.
pub fn check_alignment(ctx: &mut Ctx, insn: &Instruction, align: u64) -> Result<(), Unsupported> {
    let addr = ctx.mem_addr(insn)?;
    let low = ctx.bin_imm(BinOp::And, addr, align - 1, Width::W64);
    let misaligned = ctx.cmp_imm(CmpOp::Ne, low, 0, Width::W64);
    let exit = Exit::Trap { kind: TrapKind::GeneralProtection, pc: GuestAddr(ctx.pc), message: None };
    ctx.exit_if(misaligned, exit);
    Ok(())
}

/// The lowering described in the module documentation.
pub(super) fn lower(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let legacy = legacy_of(insn.code()).ok_or(Unsupported)?;
    if legacy.shape != Shape::Same {
        ctx.vex_unaligned = true;
        let result = widen_narrow(ctx, insn, legacy);
        ctx.vex_unaligned = false;
        return result;
    }
    let m = insn.mnemonic();
    let n = insn.op_count();
    let wide = (0..n).any(|i| is_256(insn, i));
    if wide {
        // Lane-wise only: every vector operand 256-bit (but a shift count), and a 256-bit
        // destination that the instruction writes.
        let last = n - 1;
        let all_wide =
            (0..n).all(|i| !is_vector(insn, i) || is_256(insn, i) || (i == last && xmm_count_shift(m)));
        if !all_wide || !is_256(insn, 0) {
            return Err(Unsupported);
        }
    }
    let op0_written = {
        let mut factory = InstructionInfoFactory::new();
        let access = factory.info(insn).op0_access();
        matches!(
            access,
            OpAccess::Write | OpAccess::ReadWrite | OpAccess::CondWrite | OpAccess::ReadCondWrite
        )
    };
    if wide && !op0_written {
        return Err(Unsupported);
    }
    let aligned = aligned_move(m);
    if aligned && wide && (insn.op_kind(0) == OpKind::Memory || insn.op_kind(1) == OpKind::Memory) {
        check_alignment(ctx, insn, 32)?;
    }
    let wide_store = wide && insn.op_kind(0) == OpKind::Memory;
    if wide_store {
        // A 256-bit store is two 16-byte ones: a write probe of all 32 bytes first makes
        // one that faults fault before it writes anything, at the address the processor
        // reports (see the module documentation).
        let addr = ctx.mem_addr(insn)?;
        ctx.probe_write(addr, 32);
    }
    let dst = (insn.op_kind(0) == OpKind::Register).then(|| vreg(insn.op_register(0))).flatten();
    let nds = if legacy.nds {
        if insn.op_kind(1) != OpKind::Register {
            return Err(Unsupported);
        }
        Some(vreg(insn.op_register(1)).ok_or(Unsupported)?)
    } else {
        None
    };
    let halves: &[Half] = if wide_store {
        &[Half::Lower, Half::Upper]
    } else if wide {
        &[Half::Upper, Half::Lower]
    } else {
        &[Half::Lower]
    };
    ctx.vex_unaligned = !aligned;
    ctx.vex_predicates = true;
    let result = halves.iter().try_for_each(|&half| pass(ctx, insn, legacy, half, dst, nds));
    ctx.vex_unaligned = false;
    ctx.vex_predicates = false;
    result?;
    if !wide && op0_written {
        if let Some(d) = dst {
            zero_upper(ctx, d);
        }
    }
    Ok(())
}

/// One pass of the lowering: the legacy instruction on `half`.
fn pass(
    ctx: &mut Ctx,
    insn: &Instruction,
    legacy: Legacy,
    half: Half,
    dst: Option<usize>,
    nds: Option<usize>,
) -> Result<(), Unsupported> {
    let mut li = *insn;
    li.set_code(legacy.code);
    // The VEX operands that the legacy ones take, in order.
    let sources: Vec<u32> = (0..insn.op_count()).filter(|&i| !(legacy.nds && i == 1)).collect();
    if sources.len() as u32 != li.op_count() {
        return Err(Unsupported);
    }
    let slot = |n: usize, wide: bool| xmm_index(slot_name(n, half, wide)).ok_or(Unsupported);
    // Another source naming the destination register: compute in the scratch slot.
    let conflict = match (dst, nds) {
        (Some(d), Some(s1)) if d != s1 => sources[1..]
            .iter()
            .any(|&i| insn.op_kind(i) == OpKind::Register && vreg(insn.op_register(i)) == Some(d)),
        _ => false,
    };
    for (j, &i) in sources.iter().enumerate() {
        let j = j as u32;
        match insn.op_kind(i) {
            OpKind::Register => {
                let r = insn.op_register(i);
                let name = match vreg(r) {
                    Some(_) if j == 0 && conflict => SCRATCH_REG,
                    Some(v) => slot_name(v, half, r.is_ymm()),
                    None => r,
                };
                li.set_op_kind(j, OpKind::Register);
                li.set_op_register(j, name);
            }
            OpKind::Memory => {
                li.set_op_kind(j, OpKind::Memory);
                if half == Half::Upper && insn.memory_size().size() == 32 {
                    li.set_memory_displacement64(insn.memory_displacement64().wrapping_add(16));
                }
            }
            OpKind::Immediate8 => {
                let imm = insn.immediate(i);
                let imm = if half == Half::Upper { upper_immediate(insn.mnemonic(), imm) } else { imm };
                li.set_op_kind(j, OpKind::Immediate8);
                li.set_immediate8(imm as u8);
            }
            _ => return Err(Unsupported),
        }
    }
    if let (Some(d), Some(s1)) = (dst, nds) {
        let wide = insn.op_register(0).is_ymm();
        let to = if conflict { SCRATCH_SLOT } else { slot(d, wide)? };
        copy_slot(ctx, slot(s1, wide)?, to);
    }
    super::translate_legacy(ctx, &li)?;
    if conflict {
        let d = dst.ok_or(Unsupported)?;
        let wide = insn.op_register(0).is_ymm();
        copy_slot(ctx, SCRATCH_SLOT, slot(d, wide)?);
    }
    Ok(())
}

/// `li` with operand `j` the register `r`.
fn with_register(mut li: Instruction, j: u32, r: Register) -> Instruction {
    li.set_op_kind(j, OpKind::Register);
    li.set_op_register(j, r);
    li
}

/// The widening and narrowing VEX.256 forms ([`Shape::Widen`], [`Shape::Narrow`]): the legacy
/// form twice, the upper half first, through the scratch slot.
fn widen_narrow(ctx: &mut Ctx, insn: &Instruction, legacy: Legacy) -> Result<(), Unsupported> {
    if insn.op_kind(0) != OpKind::Register {
        return Err(Unsupported);
    }
    let d = vreg(insn.op_register(0)).ok_or(Unsupported)?;
    let mut li = *insn;
    li.set_code(legacy.code);
    if li.op_count() != 2 {
        return Err(Unsupported);
    }
    let src_reg = (insn.op_kind(1) == OpKind::Register).then(|| vreg(insn.op_register(1))).flatten();
    let lower_li = with_register(li, 0, slot_name(d, Half::Lower, false));
    let lower_li = match src_reg {
        Some(s) => with_register(lower_li, 1, slot_name(s, Half::Lower, false)),
        None => lower_li,
    };
    if legacy.shape == Shape::Widen {
        // The source part the upper half widens: bytes n..2n of the source.
        let n = u64::from(li.memory_size().size() as u32);
        let upper_li = with_register(li, 0, slot_name(d, Half::Upper, true));
        let upper_li = match src_reg {
            Some(s) => {
                let v = ctx.xmm_get(s);
                let part = if n == 8 { v.hi } else { ctx.bin_imm(BinOp::Lshr, v.lo, 8 * n, Width::W64) };
                let zero = ctx.constant(0);
                ctx.xmm_set(SCRATCH_SLOT, V128 { lo: part, hi: zero });
                with_register(upper_li, 1, SCRATCH_REG)
            }
            None => {
                let mut m = upper_li;
                m.set_memory_displacement64(insn.memory_displacement64().wrapping_add(n));
                m
            }
        };
        super::translate_legacy(ctx, &upper_li)?;
        super::translate_legacy(ctx, &lower_li)
    } else {
        let upper_li = with_register(li, 0, SCRATCH_REG);
        let upper_li = match src_reg {
            Some(s) => with_register(upper_li, 1, slot_name(s, Half::Upper, true)),
            None => {
                let mut m = upper_li;
                m.set_memory_displacement64(insn.memory_displacement64().wrapping_add(16));
                m
            }
        };
        super::translate_legacy(ctx, &upper_li)?;
        super::translate_legacy(ctx, &lower_li)?;
        let part = ctx.load_state(off::xmm(SCRATCH_SLOT), Width::W64);
        ctx.store_state(off::xmm_hi(d), part, Width::W64);
        zero_upper(ctx, d);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// The operand words of a `Code` name (`Paddb_xmm_xmmm128` -> `[xmm, xmmm128]`), opcode
    /// disambiguators such as `0F11` left out.
    fn operand_words(name: &str) -> Vec<&str> {
        let name = name.strip_prefix("VEX_").unwrap_or(name);
        name.split('_').skip(1).filter(|w| !w.starts_with(|c: char| c.is_ascii_digit())).collect()
    }

    /// Whether a legacy operand word accepts what a VEX operand word (already narrowed to 128
    /// bits) names: the same word, or a register-or-memory word for either.
    fn word_fits(legacy: &str, vex: &str) -> bool {
        legacy == vex
            || legacy.strip_prefix("xmm").is_some_and(|m| m.starts_with('m') && (vex == "xmm" || vex == m))
    }

    /// The VEX operand word for one 128-bit half; None when the word is not a vector one that
    /// narrows (`ymm` -> `xmm`, `ymmm256` -> `xmmm128`, `m256` -> `m128`).
    fn narrow(word: &str) -> String {
        match word {
            "ymm" => "xmm".into(),
            "ymmm256" => "xmmm128".into(),
            "m256" => "m128".into(),
            w => w.into(),
        }
    }

    /// The table of VEX codes with a legacy-SSE equivalent, from iced's code names.
    fn derive_table() -> HashMap<Code, Legacy> {
        {
            let mut legacy_by_mnemonic: HashMap<String, Vec<(Code, String)>> = HashMap::new();
            for code in Code::values() {
                let name = format!("{code:?}");
                if name.starts_with("VEX_") || name.starts_with("EVEX_") || name.starts_with("XOP_") {
                    continue;
                }
                let m = name.split('_').next().unwrap_or("").to_ascii_lowercase();
                legacy_by_mnemonic.entry(m).or_default().push((code, name));
            }
            let mut table = HashMap::new();
            for code in Code::values() {
                let name = format!("{code:?}");
                let Some(rest) = name.strip_prefix("VEX_V") else { continue };
                let m = rest.split('_').next().unwrap_or("").to_ascii_lowercase();
                let Some(candidates) = legacy_by_mnemonic.get(&m) else { continue };
                let words: Vec<String> = operand_words(&name).iter().map(|w| narrow(w)).collect();
                let fits = |skip_nds: bool| {
                    let vex: Vec<&str> = words
                        .iter()
                        .enumerate()
                        .filter(|&(i, _)| !(skip_nds && i == 1))
                        .map(|(_, w)| w.as_str())
                        .collect();
                    candidates.iter().find(|(_, n)| {
                        let l = operand_words(n);
                        l.len() == vex.len() && l.iter().zip(&vex).all(|(l, v)| word_fits(l, v))
                    })
                };
                let found = fits(false).map(|c| (c.0, false)).or_else(|| {
                    (words.len() >= 3 && words[1] == "xmm").then(|| fits(true).map(|c| (c.0, true))).flatten()
                });
                if let Some((legacy, nds)) = found {
                    table.insert(code, Legacy { code: legacy, nds, shape: Shape::Same });
                }
            }
            // The widening and narrowing VEX.256 forms take the legacy form of their VEX.128
            // counterpart (`VEX_Vpmovzxbw_ymm_xmmm128` -> `VEX_Vpmovzxbw_xmm_xmmm64`).
            let by_name: HashMap<String, Code> = Code::values().map(|c| (format!("{c:?}"), c)).collect();
            for code in Code::values() {
                let name = format!("{code:?}");
                if !name.starts_with("VEX_V") {
                    continue;
                }
                let words = operand_words(&name);
                let half = |w: &str| match w {
                    "xmmm128" => Some("xmmm64"),
                    "xmmm64" => Some("xmmm32"),
                    "xmmm32" => Some("xmmm16"),
                    _ => None,
                };
                let (counterpart, shape) = match words.as_slice() {
                    ["ymm", src] if half(src).is_some() => {
                        let from = format!("_ymm_{src}");
                        (name.replace(&from, &format!("_xmm_{}", half(src).unwrap_or(""))), Shape::Widen)
                    }
                    ["xmm", "ymmm256"] => (name.replace("_xmm_ymmm256", "_xmm_xmmm128"), Shape::Narrow),
                    _ => continue,
                };
                let Some(small) = by_name.get(&counterpart) else { continue };
                if let Some(&Legacy { code: legacy, nds: false, shape: Shape::Same }) = table.get(small) {
                    table.insert(code, Legacy { code: legacy, nds: false, shape });
                }
            }
            table
        }
    }

    /// The checked-in table is what the name rule derives from iced's codes
    /// (`XLATE_BLESS=1 cargo test --lib vex::tests::the_legacy_table` rewrites it).
    #[test]
    fn the_legacy_table_is_the_name_rule() {
        let table = derive_table();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/frontend/x86_64/vex_table.rs");
        let file = std::fs::read_to_string(path).unwrap();
        // The file's header, kept as it is.
        let start = "pub(super) static LEGACY: &[(Code, Code, bool, Shape)] = &[\n";
        let mut text = file[..file.find(start).unwrap() + start.len()].to_string();
        for code in Code::values() {
            if let Some(l) = table.get(&code) {
                text.push_str(&format!(
                    "    (Code::{code:?}, Code::{:?}, {}, Shape::{:?}),\n",
                    l.code, l.nds, l.shape
                ));
            }
        }
        text.push_str("];\n");
        if std::env::var("XLATE_BLESS").is_ok_and(|v| v == "1") {
            std::fs::write(path, &text).unwrap();
        } else {
            assert!(file == text, "vex_table.rs is not the name rule's table: rerun with XLATE_BLESS=1");
        }
    }

    #[test]
    fn legacy_equivalents_are_found_by_name() {
        let l = legacy_of(Code::VEX_Vpaddb_ymm_ymm_ymmm256).unwrap();
        assert_eq!((l.code, l.nds), (Code::Paddb_xmm_xmmm128, true));
        let l = legacy_of(Code::VEX_Vpmovzxbw_ymm_xmmm128).unwrap();
        assert_eq!((l.code, l.shape), (Code::Pmovzxbw_xmm_xmmm64, Shape::Widen));
        let l = legacy_of(Code::VEX_Vcvtpd2ps_xmm_ymmm256).unwrap();
        assert_eq!((l.code, l.shape), (Code::Cvtpd2ps_xmm_xmmm128, Shape::Narrow));
        let l = legacy_of(Code::VEX_Vmovdqu_ymmm256_ymm).unwrap();
        assert_eq!((l.code, l.nds), (Code::Movdqu_xmmm128_xmm, false));
        let l = legacy_of(Code::VEX_Vpsllw_xmm_xmm_imm8).unwrap();
        assert_eq!((l.code, l.nds), (Code::Psllw_xmm_imm8, true));
        let l = legacy_of(Code::VEX_Vpshufd_ymm_ymmm256_imm8).unwrap();
        assert_eq!((l.code, l.nds), (Code::Pshufd_xmm_xmmm128_imm8, false));
        let l = legacy_of(Code::VEX_Vmovss_xmm_xmm_xmm).unwrap();
        assert_eq!((l.code, l.nds), (Code::Movss_xmm_xmmm32, true));
        let l = legacy_of(Code::VEX_Vpinsrw_xmm_xmm_r32m16_imm8).unwrap();
        assert_eq!((l.code, l.nds), (Code::Pinsrw_xmm_r32m16_imm8, true));
        assert!(legacy_of(Code::VEX_Vpbroadcastb_ymm_xmmm8).is_none());
        assert!(legacy_of(Code::VEX_Vblendvps_xmm_xmm_xmmm128_xmm).is_none());
    }

    /// Forms without a translation stay loud: a SIGILL trap naming them.
    #[test]
    fn unimplemented_vex_forms_trap() {
        use crate::frontend::{Frontend, SliceCode};
        use crate::ir::{Exit, GuestAddr};
        for (bytes, text) in [
            // vaesenc xmm0, xmm1, xmm2 (AES is not implemented)
            (&[0xc4, 0xe2, 0x71, 0xdc, 0xc2][..], "vaesenc"),
            // vpaddb zmm0, zmm1, zmm2 (EVEX)
            (&[0x62, 0xf1, 0x75, 0x48, 0xfc, 0xc2][..], "vpaddb"),
        ] {
            let block = super::super::X86Frontend::new()
                .translate(&SliceCode { base: GuestAddr(0x1000), bytes }, GuestAddr(0x1000));
            match &block.exit {
                Exit::Trap { message: Some(m), .. } => {
                    assert!(m.contains("unimplemented") && m.contains(text), "{m}")
                }
                e => panic!("{text}: {e:?}"),
            }
        }
    }
}
