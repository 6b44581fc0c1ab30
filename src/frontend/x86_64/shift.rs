//! Shift and rotate family: shl/sal shr sar rol ror rcl rcr shld shrd.
//!
//! The count is masked to 5 bits (6 for 64-bit operands). When the masked count is zero the
//! flags are left alone: every rule below computes its flags for a non-zero count, and
//! [`Ctx::select_flags`] keeps the old values when the count turns out to be zero. OF is
//! computed with the count-1 rule for every count; where the SDM leaves a flag undefined
//! (OF for counts other than 1, AF) the differential tests ignore it (iced's
//! `rflags_undefined`).
//!
//! Narrow operands are shifted as 64-bit values, so that a count of up to 31 on an 8- or
//! 16-bit operand shifts every bit out (the IR's own shift counts wrap at the width).
//! rcl/rcr rotate through CF over `width + 1` bits; they are rare and awkward in IR, so a
//! helper ([`super::shift_helpers`]) does them.

use super::flags::Flags;
use super::operand::Operand;
use super::{Ctx, Handler, Unsupported};
use crate::ir::{BinOp, CmpOp, Temp, UnOp, Width};
use iced_x86::{Instruction, Mnemonic};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ShiftOp {
    Shl,
    Shr,
    Sar,
    Rol,
    Ror,
    Rcl,
    Rcr,
    Shld,
    Shrd,
}

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    Some(match m {
        Mnemonic::Shl | Mnemonic::Sal => |c, i| shift(c, i, ShiftOp::Shl),
        Mnemonic::Shr => |c, i| shift(c, i, ShiftOp::Shr),
        Mnemonic::Sar => |c, i| shift(c, i, ShiftOp::Sar),
        Mnemonic::Rol => |c, i| shift(c, i, ShiftOp::Rol),
        Mnemonic::Ror => |c, i| shift(c, i, ShiftOp::Ror),
        Mnemonic::Rcl => |c, i| shift(c, i, ShiftOp::Rcl),
        Mnemonic::Rcr => |c, i| shift(c, i, ShiftOp::Rcr),
        Mnemonic::Shld => |c, i| shift(c, i, ShiftOp::Shld),
        Mnemonic::Shrd => |c, i| shift(c, i, ShiftOp::Shrd),
        _ => return None,
    })
}

/// The count mask: 63 for 64-bit operands, 31 otherwise.
fn count_mask(w: Width) -> u64 {
    if w == Width::W64 {
        63
    } else {
        31
    }
}

fn shift(ctx: &mut Ctx, insn: &Instruction, op: ShiftOp) -> Result<(), Unsupported> {
    let dst = ctx.operand(insn, 0)?;
    let w = dst.width();
    let double = matches!(op, ShiftOp::Shld | ShiftOp::Shrd);
    let count_op = ctx.operand(insn, if double { 2 } else { 1 })?;
    let src = if double {
        let s = ctx.operand(insn, 1)?;
        Some(ctx.read(s))
    } else {
        None
    };
    let a = ctx.read(dst);
    let count = match count_op {
        Operand::Imm { value, .. } => ctx.constant(value & count_mask(w)),
        Operand::Gpr { .. } => {
            let cl = ctx.read(count_op);
            ctx.bin_imm(BinOp::And, cl, count_mask(w), Width::W64)
        }
        Operand::Mem { .. } => return Err(Unsupported),
    };
    if matches!(op, ShiftOp::Rcl | ShiftOp::Rcr) {
        let r = super::shift_helpers::rotate_through_carry(ctx, op == ShiftOp::Rcl, a, count, w);
        return ctx.write(dst, r);
    }
    let (r, flags) = match op {
        ShiftOp::Shl => shl(ctx, a, count, w),
        ShiftOp::Shr => shr(ctx, a, count, w, false),
        ShiftOp::Sar => shr(ctx, a, count, w, true),
        ShiftOp::Rol => rotate(ctx, a, count, w, true),
        ShiftOp::Ror => rotate(ctx, a, count, w, false),
        ShiftOp::Shld => double_shift(ctx, a, src.ok_or(Unsupported)?, count, w, true),
        ShiftOp::Shrd => double_shift(ctx, a, src.ok_or(Unsupported)?, count, w, false),
        ShiftOp::Rcl | ShiftOp::Rcr => unreachable!("handled above"),
    };
    let nonzero = ctx.cmp_imm(CmpOp::Ne, count, 0, Width::W64);
    let value = ctx.select(nonzero, r, a);
    ctx.write(dst, value)?;
    let flags = ctx.select_flags(nonzero, &flags);
    ctx.set_flags(&flags);
    Ok(())
}

/// `(v >> n) & 1` over 64 bits.
fn bit_at(ctx: &mut Ctx, v: Temp, n: Temp) -> Temp {
    let s = ctx.bin(BinOp::Lshr, v, n, Width::W64);
    ctx.bin_imm(BinOp::And, s, 1, Width::W64)
}

/// SF ZF PF of the result, AF cleared (undefined).
fn result_flags(ctx: &mut Ctx, r: Temp, w: Width) -> Flags {
    let mut f = ctx.flags_szp(r, w);
    f.af = Some(ctx.constant(0));
    f
}

fn shl(ctx: &mut Ctx, a: Temp, count: Temp, w: Width) -> (Temp, Flags) {
    let r = ctx.bin(BinOp::Shl, a, count, Width::W64);
    let mut f = result_flags(ctx, r, w);
    // CF: the last bit shifted out, bit (width - count) of a.
    let c1 = ctx.bin_imm(BinOp::Sub, count, 1, Width::W64);
    let before_last = ctx.bin(BinOp::Shl, a, c1, Width::W64);
    let cf = ctx.bit(before_last, w.bits() - 1);
    let msb = ctx.sign(r, w);
    f.of = Some(ctx.bin(BinOp::Xor, msb, cf, Width::W8));
    f.cf = Some(cf);
    (r, f)
}

fn shr(ctx: &mut Ctx, a: Temp, count: Temp, w: Width, arithmetic: bool) -> (Temp, Flags) {
    let (wide, op) = if arithmetic { (ctx.ext(a, w, true), BinOp::Ashr) } else { (a, BinOp::Lshr) };
    let r = ctx.bin(op, wide, count, Width::W64);
    let mut f = result_flags(ctx, r, w);
    let c1 = ctx.bin_imm(BinOp::Sub, count, 1, Width::W64);
    let before_last = ctx.bin(op, wide, c1, Width::W64);
    f.cf = Some(ctx.bit(before_last, 0));
    // OF: the sign of the original operand for shr, always 0 for sar.
    f.of = Some(if arithmetic { ctx.constant(0) } else { ctx.sign(a, w) });
    (r, f)
}

fn rotate(ctx: &mut Ctx, a: Temp, count: Temp, w: Width, left: bool) -> (Temp, Flags) {
    // Rotr at width w takes the count modulo w; a left rotate is a right rotate by -count.
    let amount = if left { ctx.un(UnOp::Neg, count, Width::W64) } else { count };
    let r = ctx.bin(BinOp::Rotr, a, amount, w);
    let msb = ctx.sign(r, w);
    let (cf, of) = if left {
        let lsb = ctx.bit(r, 0);
        (lsb, ctx.bin(BinOp::Xor, msb, lsb, Width::W8))
    } else {
        let next = ctx.bit(r, w.bits() - 2);
        (msb, ctx.bin(BinOp::Xor, msb, next, Width::W8))
    };
    (r, Flags { cf: Some(cf), of: Some(of), ..Flags::default() })
}

/// shld (`left`) / shrd: shift `a`, filling from `src`.
fn double_shift(ctx: &mut Ctx, a: Temp, src: Temp, count: Temp, w: Width, left: bool) -> (Temp, Flags) {
    let bits = w.bits() as u64;
    let c1 = ctx.bin_imm(BinOp::Sub, count, 1, Width::W64);
    let (r, cf) = if w == Width::W64 {
        let back = ctx.constant(64);
        let back = ctx.bin(BinOp::Sub, back, count, Width::W64);
        if left {
            let hi = ctx.bin(BinOp::Shl, a, count, Width::W64);
            let lo = ctx.bin(BinOp::Lshr, src, back, Width::W64);
            let r = ctx.bin(BinOp::Or, hi, lo, Width::W64);
            let last = ctx.bin(BinOp::Shl, a, c1, Width::W64);
            (r, ctx.bit(last, 63))
        } else {
            let lo = ctx.bin(BinOp::Lshr, a, count, Width::W64);
            let hi = ctx.bin(BinOp::Shl, src, back, Width::W64);
            let r = ctx.bin(BinOp::Or, hi, lo, Width::W64);
            (r, bit_at(ctx, a, c1))
        }
    } else {
        // Concatenate into one 64-bit value (a:src for shld, src:a for shrd) and shift that.
        let (hi, lo) = if left { (a, src) } else { (src, a) };
        let hi = ctx.bin_imm(BinOp::Shl, hi, bits, Width::W64);
        let joined = ctx.bin(BinOp::Or, hi, lo, Width::W64);
        if left {
            let shifted = ctx.bin(BinOp::Shl, joined, count, Width::W64);
            let r = ctx.bin_imm(BinOp::Lshr, shifted, bits, Width::W64);
            let last = ctx.bin(BinOp::Shl, joined, c1, Width::W64);
            (r, ctx.bit(last, 2 * w.bits() - 1))
        } else {
            let r = ctx.bin(BinOp::Lshr, joined, count, Width::W64);
            (r, bit_at(ctx, joined, c1))
        }
    };
    let mut f = result_flags(ctx, r, w);
    f.cf = Some(cf);
    // OF: the sign changed.
    let sa = ctx.sign(a, w);
    let sr = ctx.sign(r, w);
    f.of = Some(ctx.bin(BinOp::Xor, sa, sr, Width::W8));
    (r, f)
}
