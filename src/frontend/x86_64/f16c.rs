//! F16C: vcvtph2ps (half to single precision, xmm and ymm destination). vcvtps2ph is not
//! implemented yet (SIGILL with the one-line message).
//!
//! A half's magnitude bits shifted left by 13 are the single whose value is the half's times
//! 2^-112 (the exponent biases are 15 and 127), denormal halves included; one exact multiply
//! by 2^112 (round to nearest, no DAZ, whatever MXCSR says) gives the value. Infinities and
//! NaNs (exponent 31) keep their fraction, NaNs made quiet; a signalling NaN raises IE
//! (with SIGFPE before anything is written when IE is unmasked). MXCSR.DAZ does not apply
//! to half inputs.

use super::avx2_lanes::vreg;
use super::sse_arith::raise_flags;
use super::state::off;
use super::vex::zero_upper;
use super::{Ctx, Handler, Unsupported};
use crate::ir::{BinOp, CmpOp, FpOp, FpPrec, FpResult, FpRule, StateOffset, Temp, Width};
use iced_x86::{Instruction, Mnemonic, OpKind};

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    match m {
        Mnemonic::Vcvtph2ps => Some(cvtph2ps),
        _ => None,
    }
}

/// Half `h` (low 16 bits) as single-precision bits, and whether it is a signalling NaN (1/0).
fn half_to_single(ctx: &mut Ctx, h: Temp) -> (Temp, Temp) {
    let magnitude = ctx.bin_imm(BinOp::And, h, 0x7fff, Width::W32);
    let scaled = ctx.bin_imm(BinOp::Shl, magnitude, 13, Width::W32);
    let ctrl = ctx.constant(0x1f80);
    let two_112 = ctx.constant(0x7780_0000);
    let finite = ctx.fp(FpOp::Mul, FpPrec::F32, FpRule::X86Sse, FpResult::Value, scaled, two_112, ctrl);
    // Exponent 31: infinity (fraction 0) or NaN (made quiet).
    let special = ctx.cmp_imm(CmpOp::Uge, magnitude, 0x7c00, Width::W32);
    let nan = ctx.cmp_imm(CmpOp::Ugt, magnitude, 0x7c00, Width::W32);
    let quiet_bit = ctx.bin_imm(BinOp::Shl, nan, 22, Width::W32);
    let inf_nan = ctx.bin_imm(BinOp::Or, scaled, 0x7f80_0000 - (0x7c00 << 13), Width::W32);
    let inf_nan = ctx.bin(BinOp::Or, inf_nan, quiet_bit, Width::W32);
    let value = ctx.select(special, inf_nan, finite);
    let sign = ctx.bin_imm(BinOp::And, h, 0x8000, Width::W32);
    let sign = ctx.bin_imm(BinOp::Shl, sign, 16, Width::W32);
    let value = ctx.bin(BinOp::Or, value, sign, Width::W32);
    // Signalling: a NaN whose quiet bit (fraction bit 9) is clear.
    let quiet = ctx.bin_imm(BinOp::And, magnitude, 0x200, Width::W32);
    let loud = ctx.cmp_imm(CmpOp::Eq, quiet, 0, Width::W32);
    let snan = ctx.bin(BinOp::And, nan, loud, Width::W32);
    (value, snan)
}

fn cvtph2ps(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let d = vreg(insn, 0)?;
    let wide = insn.op_register(0).is_ymm();
    let n = if wide { 8 } else { 4 };
    let addr = if insn.op_kind(1) == OpKind::Memory { Some(ctx.mem_addr(insn)?) } else { None };
    let src = if addr.is_none() { Some(vreg(insn, 1)?) } else { None };
    let mut invalid = ctx.constant(0);
    let mut values = Vec::with_capacity(n);
    for k in 0..n as u32 {
        let h = match (addr, src) {
            (Some(a), _) => {
                let at = if k == 0 { a } else { ctx.bin_imm(BinOp::Add, a, u64::from(2 * k), Width::W64) };
                ctx.load(at, Width::W16)
            }
            (None, Some(s)) => ctx.load_state(StateOffset(off::xmm(s).0 + 2 * k), Width::W16),
            _ => return Err(Unsupported),
        };
        let (value, snan) = half_to_single(ctx, h);
        invalid = ctx.bin(BinOp::Or, invalid, snan, Width::W32);
        values.push(value);
    }
    let mxcsr = ctx.load_state(off::MXCSR, Width::W32);
    // IE is MXCSR bit 0.
    raise_flags(ctx, mxcsr, invalid);
    for (k, v) in (0u32..).zip(values) {
        let slot = if k >= 4 { 16 + d } else { d };
        ctx.store_state(StateOffset(off::xmm(slot).0 + 4 * (k % 4)), v, Width::W32);
    }
    if !wide {
        zero_upper(ctx, d);
    }
    Ok(())
}
