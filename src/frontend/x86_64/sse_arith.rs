//! SSE/SSE2 floating-point arithmetic and comparisons: add/sub/mul/div/min/max/sqrt and
//! cmp (predicates 0-7) for ps/pd/ss/sd, and comiss/comisd/ucomiss/ucomisd.
//!
//! The arithmetic is IR: one [`crate::ir::Op::Fp`] per lane for the value and one for the exception
//! flags, under [`FpRule::X86Sse`] with the guest's MXCSR as the control input (rounding,
//! DAZ, FTZ). The flags of all lanes are ORed into MXCSR; when one of them is unmasked the
//! instruction leaves with SIGFPE (#XM) before any lane is written.
//!
//! Compares still use one helper, [`sse_fp_helper`], over the whole destination register
//! with the explicit x86 rules of [`crate::ir::fp`]; it returns non-zero when an exception it
//! raised is unmasked in MXCSR, with the same #XM exit.

use super::sse_move::xmm_operand;
use super::{Ctx, Handler, Unsupported};
use crate::frontend::x86_64::state::off;
use crate::frontend::x86_64::X86State;
use crate::ir::fp::{self, Env, Fp};
use crate::ir::{
    BinOp, Exit, FpOp, FpPrec, FpResult, FpRule, GuestAddr, Helper, StateOffset, Temp, TrapKind, Width,
};
use iced_x86::{Instruction, Mnemonic};

/// Packed or scalar, single or double.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Shape {
    Ps,
    Pd,
    Ss,
    Sd,
}

impl Shape {
    const ALL: [Shape; 4] = [Shape::Ps, Shape::Pd, Shape::Ss, Shape::Sd];
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

/// What the helper computes: an [`FpOp`] or a compare.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
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

const KINDS: [Kind; 8] =
    [Kind::Add, Kind::Sub, Kind::Mul, Kind::Div, Kind::Sqrt, Kind::Min, Kind::Max, Kind::Cmp];

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

/// Leaves with SIGFPE when a helper reported an unmasked SSE exception.
pub fn trap_if_unmasked(ctx: &mut Ctx, status: Temp) {
    let exit = Exit::Trap { kind: TrapKind::DivideError, pc: GuestAddr(ctx.pc), message: None };
    ctx.exit_if(status, exit);
}

const SSE_FP_HELPER: Helper = Helper { name: "sse_fp", func: sse_fp_helper, touches_memory: false };

fn op(ctx: &mut Ctx, insn: &Instruction, kind: Kind, shape: Shape) -> Result<(), Unsupported> {
    let fp_op = match kind {
        Kind::Add => FpOp::Add,
        Kind::Sub => FpOp::Sub,
        Kind::Mul => FpOp::Mul,
        Kind::Div => FpOp::Div,
        Kind::Sqrt => FpOp::Sqrt,
        Kind::Min => FpOp::Min,
        Kind::Max => FpOp::Max,
        Kind::Cmp => return compare(ctx, insn, shape),
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
        let a = if fp_op == FpOp::Sqrt { b } else { ctx.load_state(at, width) };
        let value = ctx.fp(fp_op, prec, FpRule::X86Sse, FpResult::Value, a, b, mxcsr);
        let raised = ctx.fp(fp_op, prec, FpRule::X86Sse, FpResult::Flags, a, b, mxcsr);
        flags = ctx.bin(BinOp::Or, flags, raised, Width::W32);
        results.push((at, value));
    }
    let merged = ctx.bin(BinOp::Or, mxcsr, flags, Width::W32);
    ctx.store_state(off::MXCSR, merged, Width::W32);
    // Unmasked: a raised flag whose mask bit (flag bit + 7) is clear.
    let masks = ctx.bin_imm(BinOp::Lshr, mxcsr, 7, Width::W32);
    let unmasked = ctx.bin(BinOp::And, flags, masks, Width::W32);
    let unmasked = ctx.bin(BinOp::Xor, unmasked, flags, Width::W32);
    trap_if_unmasked(ctx, unmasked);
    for (at, value) in results {
        ctx.store_state(at, value, width);
    }
    Ok(())
}

/// cmpps/cmppd/cmpss/cmpsd through [`sse_fp_helper`].
fn compare(ctx: &mut Ctx, insn: &Instruction, shape: Shape) -> Result<(), Unsupported> {
    let kind = Kind::Cmp;
    let d = xmm_operand(insn, 0).ok_or(Unsupported)?;
    let (lo, hi) = source(ctx, insn, 1, shape)?;
    let imm = if kind == Kind::Cmp { insn.immediate(2) & 0xff } else { 0 };
    let dst = ctx.constant(d as u64);
    let sel = ctx.constant(kind as u64 | (shape as u64) << 8 | imm << 16);
    let status = ctx.call(SSE_FP_HELPER, &[dst, lo, hi, sel]);
    trap_if_unmasked(ctx, status);
    Ok(())
}

/// Applies `f` to each lane of `a` and `b` that the shape covers (scalar shapes: lane 0,
/// the other lanes of `a` pass through).
fn per_lane<F: Fp>(a: [u64; 2], b: [u64; 2], scalar: bool, mut f: impl FnMut(F, F) -> u64) -> [u64; 2] {
    let (av, bv) = (a[0] as u128 | (a[1] as u128) << 64, b[0] as u128 | (b[1] as u128) << 64);
    let bits = F::BITS;
    let mask = u64::MAX >> (64 - bits);
    let lanes = if scalar { 1 } else { 128 / bits };
    let mut r = av;
    for i in 0..lanes {
        let x = F::from_u64((av >> (i * bits)) as u64 & mask);
        let y = F::from_u64((bv >> (i * bits)) as u64 & mask);
        let v = f(x, y) & mask;
        r = (r & !((mask as u128) << (i * bits))) | (v as u128) << (i * bits);
    }
    [r as u64, (r >> 64) as u64]
}

fn compute<F: Fp>(kind: Kind, a: [u64; 2], b: [u64; 2], scalar: bool, imm: u8, env: &mut Env) -> [u64; 2] {
    let arith = match kind {
        Kind::Add => FpOp::Add,
        Kind::Sub => FpOp::Sub,
        Kind::Mul => FpOp::Mul,
        Kind::Div => FpOp::Div,
        Kind::Sqrt => FpOp::Sqrt,
        Kind::Min => FpOp::Min,
        Kind::Max => FpOp::Max,
        Kind::Cmp => {
            return per_lane::<F>(a, b, scalar, |x, y| if fp::compare(imm, x, y, env) { u64::MAX } else { 0 })
        }
    };
    per_lane::<F>(a, b, scalar, |x, y| fp::arith(arith, x, y, env).to_u64())
}

/// `xmm[dst] = kind(xmm[dst], (lo, hi))` for `sel = kind | shape << 8 | imm << 16`; raises
/// the MXCSR flags. Returns 1 (and leaves the register alone) if a raised exception is
/// unmasked.
pub extern "C" fn sse_fp_helper(state: *mut u8, dst: u64, lo: u64, hi: u64, sel: u64) -> u64 {
    // SAFETY: translated code passes its live X86State; `dst` < 16 comes from the decoder.
    let st = unsafe { &mut *(state as *mut X86State) };
    let (Some(&kind), Some(&shape)) =
        (KINDS.get((sel & 0xff) as usize), Shape::ALL.get((sel >> 8 & 0xff) as usize))
    else {
        return 0;
    };
    let imm = (sel >> 16) as u8;
    let mut env = Env::new(st.mxcsr);
    let a = st.xmm[dst as usize & 15];
    let scalar = shape.scalar_width().is_some();
    let r = if shape.is_double() {
        compute::<f64>(kind, a, [lo, hi], scalar, imm, &mut env)
    } else {
        compute::<f32>(kind, a, [lo, hi], scalar, imm, &mut env)
    };
    st.mxcsr |= env.flags;
    if env.unmasked(st.mxcsr) {
        return 1;
    }
    st.xmm[dst as usize & 15] = r;
    0
}

const SSE_COMI_HELPER: Helper = Helper { name: "sse_comi", func: sse_comi_helper, touches_memory: false };

/// comis*/ucomis*: ZF PF CF from the compare, OF SF AF cleared.
fn compare_flags(
    ctx: &mut Ctx,
    insn: &Instruction,
    double: bool,
    signal_qnan: bool,
) -> Result<(), Unsupported> {
    let d = xmm_operand(insn, 0).ok_or(Unsupported)?;
    let w = if double { Width::W64 } else { Width::W32 };
    let a = ctx.load_state(off::xmm(d), w);
    let b = ctx.sse_read_low(insn, 1, w)?;
    let sel = ctx.constant(double as u64 | (signal_qnan as u64) << 1);
    let r = ctx.call(SSE_COMI_HELPER, &[a, b, sel]);
    let status = ctx.bin_imm(BinOp::Lshr, r, 8, Width::W64);
    trap_if_unmasked(ctx, status);
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

/// Compares `a` and `b` (f64 if `sel` bit 0, else f32; bit 1: quiet NaNs signal too) and
/// returns ZF | PF << 1 | CF << 2, plus 1 << 8 if an unmasked exception was raised (the flags
/// are then left for the trap).
pub extern "C" fn sse_comi_helper(state: *mut u8, a: u64, b: u64, sel: u64, _: u64) -> u64 {
    // SAFETY: translated code passes its live X86State.
    let st = unsafe { &mut *(state as *mut X86State) };
    let mut env = Env::new(st.mxcsr);
    let signal = sel & 2 != 0;
    let (z, p, c) = if sel & 1 != 0 {
        fp::compare_flags(f64::from_bits(a), f64::from_bits(b), signal, &mut env)
    } else {
        fp::compare_flags(f32::from_bits(a as u32), f32::from_bits(b as u32), signal, &mut env)
    };
    st.mxcsr |= env.flags;
    if env.unmasked(st.mxcsr) {
        return 1 << 8;
    }
    z as u64 | (p as u64) << 1 | (c as u64) << 2
}
