//! SSE2 shuffles and byte shifts (pshufd, pshuflw, pshufhw, shufps, shufpd, pslldq, psrldq):
//! plain 64-bit IR on the two halves, picking dwords and words with shifts and masks (a
//! [`LaneOp::ZipLo`] or [`LaneOp::ZipHi`] when both dwords of a half come from the same
//! position).

use super::sse_int::dst_xmm;
use super::sse_move::V128;
use super::{Ctx, Handler, Unsupported};
use crate::ir::{BinOp, LaneOp, Temp, Width};
use iced_x86::{Instruction, Mnemonic};

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    Some(match m {
        Mnemonic::Pshufd => pshufd,
        Mnemonic::Pshuflw => |c, i| pshufw_half(c, i, false),
        Mnemonic::Pshufhw => |c, i| pshufw_half(c, i, true),
        Mnemonic::Shufps => shufps,
        Mnemonic::Shufpd => shufpd,
        Mnemonic::Pslldq => |c, i| byte_shift(c, i, true),
        Mnemonic::Psrldq => |c, i| byte_shift(c, i, false),
        _ => return None,
    })
}

/// Dword `k` (0..4) of a 128-bit value: its half and its position (0 low, 1 high) there.
fn dword(v: V128, k: u32) -> (Temp, u32) {
    (if k < 2 { v.lo } else { v.hi }, k % 2)
}

/// A 64-bit half made of dword `x` (low) and dword `y` (high), each given as (half, position).
fn dword_pair(ctx: &mut Ctx, (x, px): (Temp, u32), (y, py): (Temp, u32)) -> Temp {
    let w = Width::W64;
    match (px, py) {
        (0, 1) if x == y => x,
        (1, 0) if x == y => ctx.bin_imm(BinOp::Rotr, x, 32, w),
        (0, 0) => ctx.lanes(LaneOp::ZipLo, Width::W32, x, y),
        (1, 1) => ctx.lanes(LaneOp::ZipHi, Width::W32, x, y),
        (0, _) => {
            let lo = ctx.ext(x, Width::W32, false);
            let hi = ctx.bin_imm(BinOp::And, y, 0xffff_ffff_0000_0000, w);
            ctx.bin(BinOp::Or, lo, hi, w)
        }
        _ => {
            let lo = ctx.bin_imm(BinOp::Lshr, x, 32, w);
            let hi = ctx.bin_imm(BinOp::Shl, y, 32, w);
            ctx.bin(BinOp::Or, lo, hi, w)
        }
    }
}

/// pshufd xmm, xmm/m128, imm8: dword `i` of the result is dword `imm[2i+1:2i]` of the source.
fn pshufd(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let s = ctx.sse_read128(insn, 1, false)?;
    let imm = insn.immediate(2) as u32;
    let sel = |i: u32| dword(s, (imm >> (2 * i)) & 3);
    let lo = dword_pair(ctx, sel(0), sel(1));
    let hi = dword_pair(ctx, sel(2), sel(3));
    ctx.xmm_set(d, V128 { lo, hi });
    Ok(())
}

/// shufps xmm, xmm/m128, imm8: the low dwords from dst, the high ones from src.
fn shufps(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let s = ctx.sse_read128(insn, 1, false)?;
    let a = ctx.xmm_get(d);
    let imm = insn.immediate(2) as u32;
    let sel = |v: V128, i: u32| dword(v, (imm >> (2 * i)) & 3);
    let lo = dword_pair(ctx, sel(a, 0), sel(a, 1));
    let hi = dword_pair(ctx, sel(s, 2), sel(s, 3));
    ctx.xmm_set(d, V128 { lo, hi });
    Ok(())
}

/// shufpd xmm, xmm/m128, imm8: the low quadword from dst, the high one from src.
fn shufpd(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let s = ctx.sse_read128(insn, 1, false)?;
    let a = ctx.xmm_get(d);
    let imm = insn.immediate(2);
    let lo = if imm & 1 != 0 { a.hi } else { a.lo };
    let hi = if imm & 2 != 0 { s.hi } else { s.lo };
    ctx.xmm_set(d, V128 { lo, hi });
    Ok(())
}

/// The four words of `x` rearranged: word `i` of the result is word `imm[2i+1:2i]` of `x`
/// (pshuflw, pshufhw on one half; MMX pshufw).
pub(super) fn shuffle_words(ctx: &mut Ctx, x: Temp, imm: u8) -> Temp {
    let w = Width::W64;
    if imm == 0xe4 {
        return x;
    }
    let mut acc: Option<Temp> = None;
    for i in 0..4u32 {
        let sel = (imm as u32 >> (2 * i)) & 3;
        let word = if sel == 0 { x } else { ctx.bin_imm(BinOp::Lshr, x, 16 * sel as u64, w) };
        let word = ctx.ext(word, Width::W16, false);
        let word = if i == 0 { word } else { ctx.bin_imm(BinOp::Shl, word, 16 * i as u64, w) };
        acc = Some(match acc {
            None => word,
            Some(a) => ctx.bin(BinOp::Or, a, word, w),
        });
    }
    acc.expect("four words")
}

/// pshuflw (`high` false) / pshufhw: one half's words shuffled, the other half copied.
fn pshufw_half(ctx: &mut Ctx, insn: &Instruction, high: bool) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let s = ctx.sse_read128(insn, 1, false)?;
    let imm = insn.immediate(2) as u8;
    let r = if high {
        V128 { lo: s.lo, hi: shuffle_words(ctx, s.hi, imm) }
    } else {
        V128 { lo: shuffle_words(ctx, s.lo, imm), hi: s.hi }
    };
    ctx.xmm_set(d, r);
    Ok(())
}

/// pslldq (`left`) / psrldq xmm, imm8: the whole register shifted by imm8 bytes (16 or more
/// clears it).
fn byte_shift(ctx: &mut Ctx, insn: &Instruction, left: bool) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let n = insn.immediate(1) & 0xff;
    let a = ctx.xmm_get(d);
    let w = Width::W64;
    // Written for a left shift of (near, far) = (lo, hi); a right shift mirrors it.
    let (near, far) = if left { (a.lo, a.hi) } else { (a.hi, a.lo) };
    let (to_far, to_near) = if left { (BinOp::Shl, BinOp::Lshr) } else { (BinOp::Lshr, BinOp::Shl) };
    let (near_r, far_r) = match n {
        0 => (near, far),
        1..=7 => {
            let bits = 8 * n;
            let n2 = ctx.bin_imm(to_far, near, bits, w);
            let f1 = ctx.bin_imm(to_far, far, bits, w);
            let carried = ctx.bin_imm(to_near, near, 64 - bits, w);
            let f2 = ctx.bin(BinOp::Or, f1, carried, w);
            (n2, f2)
        }
        8..=15 => {
            let zero = ctx.constant(0);
            let f = if n == 8 { near } else { ctx.bin_imm(to_far, near, 8 * (n - 8), w) };
            (zero, f)
        }
        _ => {
            let zero = ctx.constant(0);
            (zero, zero)
        }
    };
    let r = if left { V128 { lo: near_r, hi: far_r } } else { V128 { lo: far_r, hi: near_r } };
    ctx.xmm_set(d, r);
    Ok(())
}
