//! Multiply and divide family: mul, imul (one, two and three operands), div, idiv.
//!
//! mul/imul set CF = OF = "the high half is significant"; SF ZF AF PF are undefined and left
//! unchanged. div/idiv raise #DE (SIGFPE) when the divisor is zero or the quotient does not
//! fit, before any register changes; their flags are undefined and left unchanged. Divisions
//! up to 32 bits are done in 64-bit IR; the 128-by-64-bit ones call a helper
//! ([`super::div_helpers`]).

use super::operand::Operand;
use super::state::reg;
use super::{Ctx, Handler, Unsupported};
use crate::ir::{BinOp, CmpOp, Exit, GuestAddr, Temp, TrapKind, Width};
use iced_x86::{Instruction, Mnemonic};

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    Some(match m {
        Mnemonic::Mul => |c, i| mul(c, i, false),
        Mnemonic::Imul => |c, i| mul(c, i, true),
        Mnemonic::Div => |c, i| div(c, i, false),
        Mnemonic::Idiv => |c, i| div(c, i, true),
        _ => return None,
    })
}

/// CF = OF = whether the full product differs from its low half (zero- or sign-extended).
fn set_overflow(ctx: &mut Ctx, lo: Temp, hi: Temp, w: Width, signed: bool) {
    let expected_hi = if signed {
        let wide = ctx.ext(lo, w, true);
        ctx.bin_imm(BinOp::Ashr, wide, w.bits() as u64 - 1, Width::W64)
    } else {
        ctx.constant(0)
    };
    let o = ctx.cmp(CmpOp::Ne, hi, expected_hi, w);
    ctx.set_flags(&super::flags::Flags { cf: Some(o), of: Some(o), ..Default::default() });
}

fn mul(ctx: &mut Ctx, insn: &Instruction, signed: bool) -> Result<(), Unsupported> {
    let hi_op = if signed { BinOp::MulHiS } else { BinOp::MulHiU };
    if insn.op_count() == 1 {
        // rdx:rax (ax for bytes) = rax * src.
        let src = ctx.operand(insn, 0)?;
        let w = src.width();
        let b = ctx.read(src);
        let a = ctx.read_gpr(reg::RAX, w);
        let lo = ctx.bin(BinOp::Mul, a, b, w);
        let hi = ctx.bin(hi_op, a, b, w);
        if w == Width::W8 {
            let hi_shifted = ctx.bin_imm(BinOp::Shl, hi, 8, Width::W16);
            let ax = ctx.bin(BinOp::Or, hi_shifted, lo, Width::W16);
            ctx.write_gpr(reg::RAX, Width::W16, ax);
        } else {
            ctx.write_gpr(reg::RAX, w, lo);
            ctx.write_gpr(reg::RDX, w, hi);
        }
        set_overflow(ctx, lo, hi, w, signed);
        return Ok(());
    }
    // imul dst, src1[, src2]: the low half only.
    let dst = ctx.operand(insn, 0)?;
    let w = dst.width();
    let (a, b) = if insn.op_count() == 2 {
        let s = ctx.operand(insn, 1)?;
        (ctx.read(dst), ctx.read(s))
    } else {
        let s1 = ctx.operand(insn, 1)?;
        let s2 = ctx.operand(insn, 2)?;
        (ctx.read(s1), ctx.read(s2))
    };
    let lo = ctx.bin(BinOp::Mul, a, b, w);
    let hi = ctx.bin(hi_op, a, b, w);
    ctx.write(dst, lo)?;
    set_overflow(ctx, lo, hi, w, signed);
    Ok(())
}

fn div(ctx: &mut Ctx, insn: &Instruction, signed: bool) -> Result<(), Unsupported> {
    let src: Operand = ctx.operand(insn, 0)?;
    let w = src.width();
    let divisor = ctx.read(src);
    let pc = GuestAddr(ctx.pc);
    let trap = Exit::Trap { kind: TrapKind::DivideError, pc, message: None };
    if w == Width::W64 {
        let failed = super::div_helpers::divide_128(ctx, divisor, signed);
        ctx.exit_if(failed, trap);
        return Ok(());
    }
    // The dividend (2w bits: ax, dx:ax or edx:eax) as one 64-bit value.
    let dividend = if w == Width::W8 {
        ctx.read_gpr(reg::RAX, Width::W16)
    } else {
        let lo = ctx.read_gpr(reg::RAX, w);
        let hi = ctx.read_gpr(reg::RDX, w);
        let hi = ctx.bin_imm(BinOp::Shl, hi, w.bits() as u64, Width::W64);
        ctx.bin(BinOp::Or, hi, lo, Width::W64)
    };
    let double = Width::from_bytes(2 * w.bytes()).ok_or(Unsupported)?;
    let (n, d) = if signed {
        (ctx.ext(dividend, double, true), ctx.ext(divisor, w, true))
    } else {
        (dividend, divisor)
    };
    let (div_op, rem_op) = if signed { (BinOp::DivS, BinOp::RemS) } else { (BinOp::DivU, BinOp::RemU) };
    // The IR's divisions never trap (x/0 = 0, MIN/-1 = MIN), so compute, then check.
    let q = ctx.bin(div_op, n, d, Width::W64);
    let r = ctx.bin(rem_op, n, d, Width::W64);
    let zero = ctx.is_zero(divisor, w);
    let fits = if signed {
        let q_narrow = ctx.ext(q, w, true);
        ctx.cmp(CmpOp::Eq, q_narrow, q, Width::W64)
    } else {
        ctx.cmp_imm(CmpOp::Ule, q, w.mask(), Width::W64)
    };
    let overflow = ctx.cmp_imm(CmpOp::Eq, fits, 0, Width::W64);
    let fault = ctx.bin(BinOp::Or, zero, overflow, Width::W64);
    ctx.exit_if(fault, trap);
    if w == Width::W8 {
        let r_shifted = ctx.bin_imm(BinOp::Shl, r, 8, Width::W16);
        let q8 = ctx.bin_imm(BinOp::And, q, 0xff, Width::W16);
        let ax = ctx.bin(BinOp::Or, r_shifted, q8, Width::W16);
        ctx.write_gpr(reg::RAX, Width::W16, ax);
    } else {
        ctx.write_gpr(reg::RAX, w, q);
        ctx.write_gpr(reg::RDX, w, r);
    }
    Ok(())
}
