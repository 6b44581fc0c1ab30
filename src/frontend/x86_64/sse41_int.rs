//! SSE4.1 integer forms and SSE4.2's pcmpgtq (xmm only).
//!
//! - Lane ops ([`LaneOp`] per 64-bit half): pminsb/sd, pminuw/ud, pmaxsb/sd, pmaxuw/ud,
//!   pmulld; the sign masks of pblendvb (`CmpGtS(0, xmm0)`) and blendvps (`Ashr` by 31); the
//!   widenings pmovsx*/pmovzx* (`ZipLo`/`ZipHi` with zero or with the sign mask, once per
//!   doubling).
//! - Plain 64-bit IR: pcmpeqq, pcmpgtq, pmuldq, the immediate blends (blendps/pd,
//!   pblendw: constant masks), blendvpd, pinsrb/d/q, pextrb/d/q, extractps, insertps, ptest,
//!   movntdqa.
//! - The byte-vector helper ([`super::vec_helper`]): packusdw, phminposuw, mpsadbw.

use super::sse_int::{dst_xmm, lane_arith};
use super::sse_move::{xmm_operand, V128};
use super::state::off;
use super::vec_helper::{self, VecOp};
use super::{Ctx, Handler, Unsupported};
use crate::ir::{BinOp, CmpOp, LaneOp, StateOffset, Temp, UnOp, Width};
use iced_x86::{Instruction, Mnemonic};

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    use LaneOp::*;
    use Width::*;
    macro_rules! l {
        ($op:expr, $lane:expr) => {
            |c, i| lane_arith(c, i, $op, $lane)
        };
    }
    macro_rules! wide {
        ($from:expr, $to:expr, $signed:expr) => {
            |c, i| pmov_extend(c, i, $from, $to, $signed)
        };
    }
    Some(match m {
        Mnemonic::Pminsb => l!(MinS, W8),
        Mnemonic::Pminsd => l!(MinS, W32),
        Mnemonic::Pminuw => l!(MinU, W16),
        Mnemonic::Pminud => l!(MinU, W32),
        Mnemonic::Pmaxsb => l!(MaxS, W8),
        Mnemonic::Pmaxsd => l!(MaxS, W32),
        Mnemonic::Pmaxuw => l!(MaxU, W16),
        Mnemonic::Pmaxud => l!(MaxU, W32),
        Mnemonic::Pmulld => l!(MulLo, W32),
        Mnemonic::Pcmpeqq => |c, i| compare_q(c, i, CmpOp::Eq),
        Mnemonic::Pcmpgtq => |c, i| compare_q(c, i, CmpOp::Sgt),
        Mnemonic::Pmuldq => pmuldq,
        Mnemonic::Packusdw => |c, i| vec_helper::call(c, i, VecOp::Packusdw),
        Mnemonic::Phminposuw => |c, i| vec_helper::call(c, i, VecOp::Phminposuw),
        Mnemonic::Mpsadbw => |c, i| vec_helper::call(c, i, VecOp::Mpsadbw),
        Mnemonic::Blendps => |c, i| blend_imm(c, i, 32),
        Mnemonic::Blendpd => |c, i| blend_imm(c, i, 64),
        Mnemonic::Pblendw => |c, i| blend_imm(c, i, 16),
        Mnemonic::Pblendvb => |c, i| blend_var(c, i, W8),
        Mnemonic::Blendvps => |c, i| blend_var(c, i, W32),
        Mnemonic::Blendvpd => |c, i| blend_var(c, i, W64),
        Mnemonic::Pmovsxbw => wide!(W8, W16, true),
        Mnemonic::Pmovsxbd => wide!(W8, W32, true),
        Mnemonic::Pmovsxbq => wide!(W8, W64, true),
        Mnemonic::Pmovsxwd => wide!(W16, W32, true),
        Mnemonic::Pmovsxwq => wide!(W16, W64, true),
        Mnemonic::Pmovsxdq => wide!(W32, W64, true),
        Mnemonic::Pmovzxbw => wide!(W8, W16, false),
        Mnemonic::Pmovzxbd => wide!(W8, W32, false),
        Mnemonic::Pmovzxbq => wide!(W8, W64, false),
        Mnemonic::Pmovzxwd => wide!(W16, W32, false),
        Mnemonic::Pmovzxwq => wide!(W16, W64, false),
        Mnemonic::Pmovzxdq => wide!(W32, W64, false),
        Mnemonic::Pinsrb => |c, i| pinsr(c, i, W8),
        Mnemonic::Pinsrd => |c, i| pinsr(c, i, W32),
        Mnemonic::Pinsrq => |c, i| pinsr(c, i, W64),
        Mnemonic::Pextrb => |c, i| pextr(c, i, W8),
        Mnemonic::Pextrd | Mnemonic::Extractps => |c, i| pextr(c, i, W32),
        Mnemonic::Pextrq => |c, i| pextr(c, i, W64),
        Mnemonic::Insertps => insertps,
        Mnemonic::Ptest => ptest,
        Mnemonic::Movntdqa => movntdqa,
        _ => return None,
    })
}

/// pcmpeqq/pcmpgtq: all ones where the compare of the quadwords holds (0/1 negated).
fn compare_q(ctx: &mut Ctx, insn: &Instruction, op: CmpOp) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let s = ctx.sse_read128(insn, 1, false)?;
    let a = ctx.xmm_get(d);
    let half = |ctx: &mut Ctx, x, y| {
        let c = ctx.cmp(op, x, y, Width::W64);
        ctx.un(UnOp::Neg, c, Width::W64)
    };
    let lo = half(ctx, a.lo, s.lo);
    let hi = half(ctx, a.hi, s.hi);
    ctx.xmm_set(d, V128 { lo, hi });
    Ok(())
}

/// pmuldq: the signed 64-bit product of the low dwords of each half.
fn pmuldq(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let s = ctx.sse_read128(insn, 1, false)?;
    let a = ctx.xmm_get(d);
    let half = |ctx: &mut Ctx, x, y| {
        let x = ctx.ext(x, Width::W32, true);
        let y = ctx.ext(y, Width::W32, true);
        ctx.bin(BinOp::Mul, x, y, Width::W64)
    };
    let lo = half(ctx, a.lo, s.lo);
    let hi = half(ctx, a.hi, s.hi);
    ctx.xmm_set(d, V128 { lo, hi });
    Ok(())
}

/// `a` where `mask` is clear, `b` where it is set: `a ^ ((a ^ b) & mask)`.
fn select_bits(ctx: &mut Ctx, a: Temp, b: Temp, mask: Temp) -> Temp {
    let w = Width::W64;
    let diff = ctx.bin(BinOp::Xor, a, b, w);
    let picked = ctx.bin(BinOp::And, diff, mask, w);
    ctx.bin(BinOp::Xor, a, picked, w)
}

/// blendps/blendpd/pblendw xmm, xmm/m128, imm8: lane `i` (of `lane_bits`) from the source
/// where imm bit `i` is set.
fn blend_imm(ctx: &mut Ctx, insn: &Instruction, lane_bits: u32) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let s = ctx.sse_read128(insn, 1, false)?;
    let a = ctx.xmm_get(d);
    let imm = insn.immediate(2);
    let per_half = 64 / lane_bits;
    let lane_mask = u64::MAX >> (64 - lane_bits);
    let half = |ctx: &mut Ctx, x: Temp, y: Temp, first: u32| {
        let mask = (0..per_half)
            .filter(|k| imm >> (first + k) & 1 != 0)
            .fold(0u64, |m, k| m | lane_mask << (k * lane_bits));
        match mask {
            0 => x,
            u64::MAX => y,
            _ => {
                let m = ctx.constant(mask);
                select_bits(ctx, x, y, m)
            }
        }
    };
    let lo = half(ctx, a.lo, s.lo, 0);
    let hi = half(ctx, a.hi, s.hi, per_half);
    ctx.xmm_set(d, V128 { lo, hi });
    Ok(())
}

/// pblendvb/blendvps/blendvpd xmm, xmm/m128, <xmm0>: lane from the source where the sign
/// bit of xmm0's lane is set.
fn blend_var(ctx: &mut Ctx, insn: &Instruction, lane: Width) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let s = ctx.sse_read128(insn, 1, false)?;
    let a = ctx.xmm_get(d);
    let sel = ctx.xmm_get(0);
    let zero = ctx.constant(0);
    let half = |ctx: &mut Ctx, x: Temp, y: Temp, m: Temp| {
        let mask = match lane {
            Width::W8 => ctx.lanes(LaneOp::CmpGtS, Width::W8, zero, m),
            Width::W32 => {
                let count = ctx.constant(31);
                ctx.lanes(LaneOp::Ashr, Width::W32, m, count)
            }
            _ => ctx.bin_imm(BinOp::Ashr, m, 63, Width::W64),
        };
        select_bits(ctx, x, y, mask)
    };
    let lo = half(ctx, a.lo, s.lo, sel.lo);
    let hi = half(ctx, a.hi, s.hi, sel.hi);
    ctx.xmm_set(d, V128 { lo, hi });
    Ok(())
}

/// `x`'s `lane`-bit lanes widened to twice the width, zero- or sign-extended: (the lanes of
/// the low 32 bits, the lanes of the high 32 bits).
fn widen(ctx: &mut Ctx, x: Temp, lane: Width, signed: bool) -> (Temp, Temp) {
    let zero = ctx.constant(0);
    let fill = if signed { ctx.lanes(LaneOp::CmpGtS, lane, zero, x) } else { zero };
    let lo = ctx.lanes(LaneOp::ZipLo, lane, x, fill);
    let hi = ctx.lanes(LaneOp::ZipHi, lane, x, fill);
    (lo, hi)
}

fn double(w: Width) -> Width {
    match w {
        Width::W8 => Width::W16,
        Width::W16 => Width::W32,
        _ => Width::W64,
    }
}

/// pmovsx*/pmovzx* xmm, xmm/m: the low lanes of the source widened from `from` to `to`.
fn pmov_extend(
    ctx: &mut Ctx,
    insn: &Instruction,
    from: Width,
    to: Width,
    signed: bool,
) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    // The source is the 128 bits of result divided by the widening factor.
    let src_width = match to.bits() / from.bits() {
        2 => Width::W64,
        4 => Width::W32,
        _ => Width::W16,
    };
    let mut x = ctx.sse_read_low(insn, 1, src_width)?;
    let mut lane = from;
    while double(lane) != to {
        x = widen(ctx, x, lane, signed).0;
        lane = double(lane);
    }
    let (lo, hi) = widen(ctx, x, lane, signed);
    ctx.xmm_set(d, V128 { lo, hi });
    Ok(())
}

/// The state slot of lane `imm % lanes` of `width` in xmm `n`.
fn lane_slot(n: usize, width: Width, imm: u64) -> StateOffset {
    let lanes = 16 / width.bytes() as u64;
    StateOffset(off::xmm(n).0 + (imm % lanes) as u32 * width.bytes())
}

/// pinsrb/pinsrd/pinsrq xmm, r/m, imm8: replaces one lane.
fn pinsr(ctx: &mut Ctx, insn: &Instruction, width: Width) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let v = ctx.read_operand(insn, 1)?;
    ctx.store_state(lane_slot(d, width, insn.immediate(2)), v, width);
    Ok(())
}

/// pextrb/pextrw/pextrd/pextrq/extractps r/m, xmm, imm8: one lane, zero-extended into a
/// register or stored at its own width.
pub(super) fn pextr(ctx: &mut Ctx, insn: &Instruction, width: Width) -> Result<(), Unsupported> {
    let s = xmm_operand(insn, 1).ok_or(Unsupported)?;
    let v = ctx.load_state(lane_slot(s, width, insn.immediate(2)), width);
    let dst = ctx.operand(insn, 0)?;
    ctx.write(dst, v)
}

/// insertps xmm, xmm/m32, imm8: dword imm[7:6] of a register source (a memory source is
/// one dword) into dword imm[5:4], then the dwords of imm[3:0] cleared.
fn insertps(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let imm = insn.immediate(2);
    let v = match xmm_operand(insn, 1) {
        Some(s) => ctx.load_state(lane_slot(s, Width::W32, imm >> 6), Width::W32),
        None => ctx.sse_read_low(insn, 1, Width::W32)?,
    };
    ctx.store_state(lane_slot(d, Width::W32, imm >> 4), v, Width::W32);
    let zero = ctx.constant(0);
    for k in (0..4).filter(|k| imm >> k & 1 != 0) {
        ctx.store_state(lane_slot(d, Width::W32, k), zero, Width::W32);
    }
    Ok(())
}

/// ptest xmm, xmm/m128: ZF when `dst & src` is zero, CF when `!dst & src` is; AF, OF, PF
/// and SF cleared.
fn ptest(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let s = ctx.sse_read128(insn, 1, false)?;
    let a = ctx.xmm_get(d);
    test_flags(ctx, &[a.lo, a.hi], &[s.lo, s.hi]);
    Ok(())
}

/// ptest's flags for the vectors `a` and `b` given as 64-bit words (vptest ymm has four).
pub(super) fn test_flags(ctx: &mut Ctx, a: &[Temp], b: &[Temp]) {
    let w = Width::W64;
    let mut and = None;
    let mut andn = None;
    for (&x, &y) in a.iter().zip(b) {
        let both = ctx.bin(BinOp::And, x, y, w);
        let not_x = ctx.un(UnOp::Not, x, w);
        let only_y = ctx.bin(BinOp::And, not_x, y, w);
        and = Some(match and {
            Some(t) => ctx.bin(BinOp::Or, t, both, w),
            None => both,
        });
        andn = Some(match andn {
            Some(t) => ctx.bin(BinOp::Or, t, only_y, w),
            None => only_y,
        });
    }
    let (Some(and), Some(andn)) = (and, andn) else { return };
    let zf = ctx.cmp_imm(CmpOp::Eq, and, 0, w);
    let cf = ctx.cmp_imm(CmpOp::Eq, andn, 0, w);
    ctx.store_state(off::ZF, zf, Width::W8);
    ctx.store_state(off::CF, cf, Width::W8);
    let zero = ctx.constant(0);
    for slot in [off::AF, off::OF, off::PF, off::SF] {
        ctx.store_state(slot, zero, Width::W8);
    }
}

/// movntdqa xmm, m128: an aligned load (the non-temporal hint has no effect here).
fn movntdqa(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let v = ctx.sse_read128(insn, 1, false)?;
    ctx.xmm_set(d, v);
    Ok(())
}
