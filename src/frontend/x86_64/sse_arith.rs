//! SSE/SSE2 floating-point arithmetic and comparisons: add/sub/mul/div/min/max/sqrt and
//! cmp (predicates 0-7, and VEX's 8-31) for ps/pd/ss/sd, and comiss/comisd/ucomiss/ucomisd.
//!
//! The arithmetic is IR: one [`crate::ir::Op::Fp`] per lane for the value and one for the exception
//! flags, under [`FpRule::X86Sse`] with the guest's MXCSR as the control input (rounding,
//! DAZ, FTZ). The flags of all lanes are ORed into MXCSR; when one of them is unmasked the
//! instruction leaves with SIGFPE (#XM) before any lane is written.
//!
//! The compares are IR too: cmpps/cmppd/cmpss/cmpsd one [`crate::ir::Op::FpCmp`] per lane
//! with the immediate's predicate (its mask and its flags), comis*/ucomis* one giving ZF, PF
//! and CF, with the same MXCSR merge and #XM exit.

use super::sse_move::xmm_operand;
use super::{Ctx, Handler, Unsupported};
use crate::frontend::x86_64::state::off;
use crate::ir::{
    BinOp, Exit, FpCmpOp, FpOp, FpPrec, FpResult, FpRule, GuestAddr, StateOffset, Temp, TrapKind, Width,
};
use iced_x86::{Instruction, Mnemonic};

/// Packed or scalar, single or double.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Shape {
    Ps,
    Pd,
    Ss,
    Sd,
}

impl Shape {
    fn scalar_width(self) -> Option<Width> {
        match self {
            Shape::Ss => Some(Width::W32),
            Shape::Sd => Some(Width::W64),
            _ => None,
        }
    }
    fn is_double(self) -> bool {
        matches!(self, Shape::Pd | Shape::Sd)
    }
}

/// What an instruction computes: an [`FpOp`] or a compare.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Add,
    Sub,
    Mul,
    Div,
    Sqrt,
    Min,
    Max,
    Cmp,
}

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    use Kind::*;
    use Shape::*;
    macro_rules! h {
        ($k:expr, $s:expr) => {
            |c, i| op(c, i, $k, $s)
        };
    }
    Some(match m {
        Mnemonic::Addps => h!(Add, Ps),
        Mnemonic::Addpd => h!(Add, Pd),
        Mnemonic::Addss => h!(Add, Ss),
        Mnemonic::Addsd => h!(Add, Sd),
        Mnemonic::Subps => h!(Sub, Ps),
        Mnemonic::Subpd => h!(Sub, Pd),
        Mnemonic::Subss => h!(Sub, Ss),
        Mnemonic::Subsd => h!(Sub, Sd),
        Mnemonic::Mulps => h!(Mul, Ps),
        Mnemonic::Mulpd => h!(Mul, Pd),
        Mnemonic::Mulss => h!(Mul, Ss),
        Mnemonic::Mulsd => h!(Mul, Sd),
        Mnemonic::Divps => h!(Div, Ps),
        Mnemonic::Divpd => h!(Div, Pd),
        Mnemonic::Divss => h!(Div, Ss),
        Mnemonic::Divsd => h!(Div, Sd),
        Mnemonic::Sqrtps => h!(Sqrt, Ps),
        Mnemonic::Sqrtpd => h!(Sqrt, Pd),
        Mnemonic::Sqrtss => h!(Sqrt, Ss),
        Mnemonic::Sqrtsd => h!(Sqrt, Sd),
        Mnemonic::Minps => h!(Min, Ps),
        Mnemonic::Minpd => h!(Min, Pd),
        Mnemonic::Minss => h!(Min, Ss),
        Mnemonic::Minsd => h!(Min, Sd),
        Mnemonic::Maxps => h!(Max, Ps),
        Mnemonic::Maxpd => h!(Max, Pd),
        Mnemonic::Maxss => h!(Max, Ss),
        Mnemonic::Maxsd => h!(Max, Sd),
        Mnemonic::Cmpps => h!(Cmp, Ps),
        Mnemonic::Cmppd => h!(Cmp, Pd),
        Mnemonic::Cmpss => h!(Cmp, Ss),
        Mnemonic::Comiss => |c, i| compare_flags(c, i, false, true),
        Mnemonic::Comisd => |c, i| compare_flags(c, i, true, true),
        Mnemonic::Ucomiss => |c, i| compare_flags(c, i, false, false),
        Mnemonic::Ucomisd => |c, i| compare_flags(c, i, true, false),
        _ => return None,
    })
}

/// cmpsd with xmm operands (the string cmpsd shares the mnemonic; see `string`).
pub fn cmpsd_sse(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    op(ctx, insn, Kind::Cmp, Shape::Sd)
}

/// Reads the source operand: 128 bits for packed shapes (aligned memory), the low lane for
/// scalar ones.
pub fn source(ctx: &mut Ctx, insn: &Instruction, i: u32, shape: Shape) -> Result<(Temp, Temp), Unsupported> {
    Ok(match shape.scalar_width() {
        Some(w) => {
            let lo = ctx.sse_read_low(insn, i, w)?;
            (lo, ctx.constant(0))
        }
        None => {
            let v = ctx.sse_read128(insn, i, false)?;
            (v.lo, v.hi)
        }
    })
}

/// Leaves with SIGFPE when `status` is non-zero (an unmasked SSE exception).
pub fn trap_if_unmasked(ctx: &mut Ctx, status: Temp) {
    let exit = Exit::Trap { kind: TrapKind::DivideError, pc: GuestAddr(ctx.pc), message: None };
    ctx.exit_if(status, exit);
}

/// ORs the exception `flags` an instruction raised into MXCSR (read before it as `mxcsr`)
/// and leaves with SIGFPE (#XM) when one of them is unmasked; the caller writes its results
/// after this, so a trapping instruction leaves its destination alone.
pub fn raise_flags(ctx: &mut Ctx, mxcsr: Temp, flags: Temp) {
    let merged = ctx.bin(BinOp::Or, mxcsr, flags, Width::W32);
    ctx.store_state(off::MXCSR, merged, Width::W32);
    // Unmasked: a raised flag whose mask bit (flag bit + 7) is clear.
    let masks = ctx.bin_imm(BinOp::Lshr, mxcsr, 7, Width::W32);
    let unmasked = ctx.bin(BinOp::And, flags, masks, Width::W32);
    let unmasked = ctx.bin(BinOp::Xor, unmasked, flags, Width::W32);
    trap_if_unmasked(ctx, unmasked);
}

fn op(ctx: &mut Ctx, insn: &Instruction, kind: Kind, shape: Shape) -> Result<(), Unsupported> {
    // The compare's predicate: imm8 bits 0-2 (the legacy SSE encodings have eight), 0-4
    // for VEX.
    let pred_bits = if ctx.vex_predicates { 31 } else { 7 };
    let lane_op = match kind {
        Kind::Add => Ok(FpOp::Add),
        Kind::Sub => Ok(FpOp::Sub),
        Kind::Mul => Ok(FpOp::Mul),
        Kind::Div => Ok(FpOp::Div),
        Kind::Sqrt => Ok(FpOp::Sqrt),
        Kind::Min => Ok(FpOp::Min),
        Kind::Max => Ok(FpOp::Max),
        Kind::Cmp => Err(insn.immediate(2) as u8 & pred_bits),
    };
    let d = xmm_operand(insn, 0).ok_or(Unsupported)?;
    let (lo, hi) = source(ctx, insn, 1, shape)?;
    let (prec, width) = if shape.is_double() { (FpPrec::F64, Width::W64) } else { (FpPrec::F32, Width::W32) };
    let lanes = match shape {
        Shape::Ss | Shape::Sd => 1,
        Shape::Pd => 2,
        Shape::Ps => 4,
    };
    let mxcsr = ctx.load_state(off::MXCSR, Width::W32);
    let mut flags = ctx.constant(0);
    let mut results: Vec<(StateOffset, Temp)> = Vec::with_capacity(lanes);
    for lane in 0..lanes {
        let bytes = lane as u32 * width.bytes();
        let half = if bytes < 8 { lo } else { hi };
        // A lane's bits sit at the bottom of `b` (F32 ops read the low 32 bits only).
        let b = if bytes % 8 == 4 { ctx.bin_imm(BinOp::Lshr, half, 32, Width::W64) } else { half };
        let at = StateOffset(off::xmm(d).0 + bytes);
        let a = if lane_op == Ok(FpOp::Sqrt) { b } else { ctx.load_state(at, width) };
        let rule = FpRule::X86Sse;
        let (value, raised) = match lane_op {
            Err(p) => compare(ctx, p, prec, a, b, mxcsr),
            Ok(fp_op) => (
                ctx.fp(fp_op, prec, rule, FpResult::Value, a, b, mxcsr),
                ctx.fp(fp_op, prec, rule, FpResult::Flags, a, b, mxcsr),
            ),
        };
        flags = ctx.bin(BinOp::Or, flags, raised, Width::W32);
        results.push((at, value));
    }
    raise_flags(ctx, mxcsr, flags);
    for (at, value) in results {
        ctx.store_state(at, value, width);
    }
    Ok(())
}

/// Predicate `p` (0-31) of cmpps/vcmpps on one lane: its mask and its exception flags.
/// Predicates 8-15 are 0-7 with the unordered outcome inverted (EQ_UQ, NGE_US, NGT_US,
/// FALSE_OQ, NEQ_OQ, GE_OS, GT_OS, TRUE_UQ); 16-31 are 0-15 with quiet and signalling
/// swapped, which changes only whether a quiet NaN raises IE. The flags are those of a
/// predicate 0-7 with the same signalling (EQ quiet, LT signalling).
fn compare(ctx: &mut Ctx, p: u8, prec: FpPrec, a: Temp, b: Temp, mxcsr: Temp) -> (Temp, Temp) {
    let rule = FpRule::X86Sse;
    let base = FpCmpOp::from_x86_predicate(p);
    let mut value = ctx.fp_cmp(base, prec, rule, FpResult::Value, a, b, mxcsr);
    if p & 8 != 0 {
        let unordered = ctx.fp_cmp(FpCmpOp::Unord, prec, rule, FpResult::Value, a, b, mxcsr);
        value = ctx.bin(BinOp::Xor, value, unordered, Width::W64);
    }
    let signalling = matches!(p & 7, 1 | 2 | 5 | 6) != (p & 16 != 0);
    let flags_of = match (p < 8, signalling) {
        (true, _) => base,
        (false, true) => FpCmpOp::Lt,
        (false, false) => FpCmpOp::Eq,
    };
    let flags = ctx.fp_cmp(flags_of, prec, rule, FpResult::Flags, a, b, mxcsr);
    (value, flags)
}

/// comis*/ucomis*: ZF PF CF from the compare, OF SF AF cleared.
fn compare_flags(
    ctx: &mut Ctx,
    insn: &Instruction,
    double: bool,
    signal_qnan: bool,
) -> Result<(), Unsupported> {
    let d = xmm_operand(insn, 0).ok_or(Unsupported)?;
    let (w, prec) = if double { (Width::W64, FpPrec::F64) } else { (Width::W32, FpPrec::F32) };
    let a = ctx.load_state(off::xmm(d), w);
    let b = ctx.sse_read_low(insn, 1, w)?;
    let mxcsr = ctx.load_state(off::MXCSR, Width::W32);
    let op = if signal_qnan { FpCmpOp::CondSignalling } else { FpCmpOp::Cond };
    let r = ctx.fp_cmp(op, prec, FpRule::X86Sse, FpResult::Value, a, b, mxcsr);
    let raised = ctx.fp_cmp(op, prec, FpRule::X86Sse, FpResult::Flags, a, b, mxcsr);
    raise_flags(ctx, mxcsr, raised);
    let zf = ctx.bit(r, 0);
    let pf = ctx.bit(r, 1);
    let cf = ctx.bit(r, 2);
    let zero = ctx.constant(0);
    ctx.store_state(off::ZF, zf, Width::W8);
    ctx.store_state(off::PF, pf, Width::W8);
    ctx.store_state(off::CF, cf, Width::W8);
    for slot in [off::OF, off::SF, off::AF] {
        ctx.store_state(slot, zero, Width::W8);
    }
    Ok(())
}
