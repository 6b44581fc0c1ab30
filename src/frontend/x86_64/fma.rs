//! FMA3 (VEX): VFMADD/VFMSUB/VFNMADD/VFNMSUB{132,213,231}{PS,PD,SS,SD} and
//! VFMADDSUB/VFMSUBADD{132,213,231}{PS,PD}, xmm and ymm: one handler for the family, each
//! lane one [`crate::ir::Op::FpFma`] under [`FpRule::X86Sse`] with the guest's MXCSR.
//!
//! The number names the operands (1 = the destination, 2 = VEX.vvvv, 3 = the r/m operand) in
//! the order of the SDM's formula `x * y + z`: 132 is `op1 * op3 + op2`, 213 `op2 * op1 +
//! op3`, 231 `op2 * op3 + op1`. The op's `a`, `b`, `c` are `x`, `y`, `z`, which is also the
//! order in which a NaN operand is returned (measured: tests/data/x86_diff/fma.txt). VFMSUB
//! negates the addend, VFNMADD the product, VFNMSUB both; VFMADDSUB subtracts in the even
//! lanes and adds in the odd ones, VFMSUBADD the other way round.
//!
//! The exception flags of all lanes are ORed into MXCSR, and an unmasked one leaves with
//! SIGFPE before anything is written ([`super::sse_arith::raise_flags`]). The scalar forms
//! keep the destination's other bits 127:32 (63:64); every VEX.128 form zeroes the upper half
//! of the destination's ymm register. Memory operands have no alignment rule.

use super::avx2_lanes::vreg;
use super::sse_arith::raise_flags;
use super::state::off;
use super::vex::zero_upper;
use super::{Ctx, Handler, Unsupported};
use crate::ir::{BinOp, FmaNeg, FpPrec, FpResult, FpRule, StateOffset, Temp, Width};
use iced_x86::{Instruction, Mnemonic, OpKind};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Which lanes subtract the addend.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Addend {
    Add,
    Sub,
    /// VFMADDSUB: even lanes subtract, odd lanes add.
    SubEven,
    /// VFMSUBADD: even lanes add, odd lanes subtract.
    SubOdd,
}

/// One FMA mnemonic, parsed from its name (`Vfnmsub231sd`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Form {
    negate_product: bool,
    addend: Addend,
    /// The operand indices of the product's factors and of the addend.
    order: [u32; 3],
    double: bool,
    scalar: bool,
}

fn parse(name: &str) -> Option<Form> {
    let rest = name.strip_prefix("vf")?;
    let (negate_product, rest) = match rest.strip_prefix('n') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let digits_at = rest.find(|c: char| c.is_ascii_digit())?;
    let (kind, rest) = rest.split_at(digits_at);
    let addend = match (negate_product, kind) {
        (_, "madd") => Addend::Add,
        (_, "msub") => Addend::Sub,
        (false, "maddsub") => Addend::SubEven,
        (false, "msubadd") => Addend::SubOdd,
        _ => return None,
    };
    let order = match rest.get(..3)? {
        "132" => [0, 2, 1],
        "213" => [1, 0, 2],
        "231" => [1, 2, 0],
        _ => return None,
    };
    let (double, scalar) = match rest.get(3..)? {
        "ps" => (false, false),
        "pd" => (true, false),
        "ss" if matches!(addend, Addend::Add | Addend::Sub) => (false, true),
        "sd" if matches!(addend, Addend::Add | Addend::Sub) => (true, true),
        _ => return None,
    };
    Some(Form { negate_product, addend, order, double, scalar })
}

/// A mnemonic's name, lower case, in a buffer on the stack: building the table below from
/// a `String` per mnemonic (two allocations each, for some 1900 names) cost 1.5 M host
/// instructions at start-up, the table's first use.
#[derive(Default)]
struct Name {
    buf: [u8; 24],
    len: usize,
}

impl std::fmt::Write for Name {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The form of mnemonic `m`, from its name (None for a name longer than any FMA3 one).
fn form_of(m: Mnemonic) -> Option<Form> {
    use std::fmt::Write;
    let mut name = Name::default();
    write!(name, "{m:?}").ok()?;
    let name = &mut name.buf[..name.len];
    name.make_ascii_lowercase();
    parse(std::str::from_utf8(name).ok()?)
}

/// The FMA mnemonics and their forms (built once from iced's mnemonic names).
fn forms() -> &'static HashMap<Mnemonic, Form> {
    static FORMS: OnceLock<HashMap<Mnemonic, Form>> = OnceLock::new();
    FORMS.get_or_init(|| Mnemonic::values().filter_map(|m| form_of(m).map(|f| (m, f))).collect())
}

/// The handler of an FMA3 mnemonic.
pub fn lookup(m: Mnemonic) -> Option<Handler> {
    forms().contains_key(&m).then_some(fma as Handler)
}

/// Element `k` (of `width`) of operand `i`: a vector register (ymm upper half from byte 16)
/// or memory at `addr`.
fn element(
    ctx: &mut Ctx,
    insn: &Instruction,
    i: u32,
    addr: Option<Temp>,
    k: u32,
    width: Width,
) -> Result<Temp, Unsupported> {
    let byte = k * width.bytes();
    if insn.op_kind(i) == OpKind::Memory {
        let base = addr.ok_or(Unsupported)?;
        let at = if byte == 0 { base } else { ctx.bin_imm(BinOp::Add, base, u64::from(byte), Width::W64) };
        return Ok(ctx.load(at, width));
    }
    let n = vreg(insn, i)?;
    let slot = if byte >= 16 { 16 + n } else { n };
    Ok(ctx.load_state(StateOffset(off::xmm(slot).0 + byte % 16), width))
}

fn fma(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let form = *forms().get(&insn.mnemonic()).ok_or(Unsupported)?;
    let d = vreg(insn, 0)?;
    let wide = insn.op_register(0).is_ymm();
    let (prec, width) = if form.double { (FpPrec::F64, Width::W64) } else { (FpPrec::F32, Width::W32) };
    let lanes = if form.scalar { 1 } else { (if wide { 32 } else { 16 }) / width.bytes() };
    let addr = if insn.op_kind(2) == OpKind::Memory { Some(ctx.mem_addr(insn)?) } else { None };
    let mxcsr = ctx.load_state(off::MXCSR, Width::W32);
    let mut flags = ctx.constant(0);
    let mut results = Vec::with_capacity(lanes as usize);
    for k in 0..lanes {
        let [a, b, c] = form.order;
        let a = element(ctx, insn, a, addr, k, width)?;
        let b = element(ctx, insn, b, addr, k, width)?;
        let c = element(ctx, insn, c, addr, k, width)?;
        let even = k % 2 == 0;
        let addend = match form.addend {
            Addend::Add => false,
            Addend::Sub => true,
            Addend::SubEven => even,
            Addend::SubOdd => !even,
        };
        let neg = FmaNeg { product: form.negate_product, addend };
        let rule = FpRule::X86Sse;
        let value = ctx.fp_fma(prec, rule, FpResult::Value, neg, a, b, c, mxcsr);
        let raised = ctx.fp_fma(prec, rule, FpResult::Flags, neg, a, b, c, mxcsr);
        flags = ctx.bin(BinOp::Or, flags, raised, Width::W32);
        results.push(value);
    }
    raise_flags(ctx, mxcsr, flags);
    for (k, value) in (0u32..).zip(results) {
        let byte = k * width.bytes();
        let slot = if byte >= 16 { 16 + d } else { d };
        ctx.store_state(StateOffset(off::xmm(slot).0 + byte % 16), value, width);
    }
    if !wide {
        zero_upper(ctx, d);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fma3_mnemonic_has_a_form() {
        // 4 kinds x 3 orders x 4 shapes, and 2 alternating kinds x 3 orders x 2 shapes.
        assert_eq!(forms().len(), 4 * 3 * 4 + 2 * 3 * 2);
        let f = parse("vfnmsub132sd").unwrap();
        assert_eq!(
            (f.negate_product, f.addend, f.order, f.double, f.scalar),
            (true, Addend::Sub, [0, 2, 1], true, true)
        );
        assert_eq!(parse("vfmaddsub231ps").unwrap().addend, Addend::SubEven);
        assert!(parse("vfmaddsub231ss").is_none());
        assert!(parse("vfrczps").is_none());
    }
}
