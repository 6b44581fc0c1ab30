//! SSE3 (fisttp is in `x87`).
//!
//! - movddup, movshdup, movsldup, lddqu: plain 64-bit IR on the two halves.
//! - addsubps/pd, haddps/pd, hsubps/pd: one [`crate::ir::Op::Fp`] per result lane for the
//!   value and one for the exception flags under [`FpRule::X86Sse`], as `sse_arith` does:
//!   every lane is computed before any is written, the flags are ORed into MXCSR, and an
//!   unmasked one leaves with SIGFPE (#XM) with the register unchanged.

use super::sse_arith::trap_if_unmasked;
use super::sse_int::dst_xmm;
use super::sse_move::V128;
use super::state::off;
use super::{Ctx, Handler, Unsupported};
use crate::ir::{BinOp, FpOp, FpPrec, FpResult, FpRule, LaneOp, StateOffset, Temp, Width};
use iced_x86::{Instruction, Mnemonic};

/// Which FP lane operation a form computes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Horizontal {
    /// Even lanes `a - b`, odd lanes `a + b`.
    AddSub,
    /// Pairs of adjacent lanes of the destination, then of the source, added (or subtracted:
    /// the lower lane minus the upper).
    Hadd,
    Hsub,
}

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    use Horizontal::*;
    Some(match m {
        Mnemonic::Movddup => movddup,
        Mnemonic::Movshdup => |c, i| mov_dup_dwords(c, i, true),
        Mnemonic::Movsldup => |c, i| mov_dup_dwords(c, i, false),
        Mnemonic::Lddqu => lddqu,
        Mnemonic::Addsubps => |c, i| fp_pairs(c, i, AddSub, false),
        Mnemonic::Addsubpd => |c, i| fp_pairs(c, i, AddSub, true),
        Mnemonic::Haddps => |c, i| fp_pairs(c, i, Hadd, false),
        Mnemonic::Haddpd => |c, i| fp_pairs(c, i, Hadd, true),
        Mnemonic::Hsubps => |c, i| fp_pairs(c, i, Hsub, false),
        Mnemonic::Hsubpd => |c, i| fp_pairs(c, i, Hsub, true),
        _ => return None,
    })
}

/// movddup xmm, xmm/m64: the low quadword in both halves.
fn movddup(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let x = ctx.sse_read_low(insn, 1, Width::W64)?;
    ctx.xmm_set(d, V128 { lo: x, hi: x });
    Ok(())
}

/// movshdup (`odd`) / movsldup xmm, xmm/m128: the odd (even) dwords duplicated.
fn mov_dup_dwords(ctx: &mut Ctx, insn: &Instruction, odd: bool) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let s = ctx.sse_read128(insn, 1, false)?;
    let op = if odd { LaneOp::ZipHi } else { LaneOp::ZipLo };
    let lo = ctx.lanes(op, Width::W32, s.lo, s.lo);
    let hi = ctx.lanes(op, Width::W32, s.hi, s.hi);
    ctx.xmm_set(d, V128 { lo, hi });
    Ok(())
}

/// lddqu xmm, m128: an unaligned load.
fn lddqu(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let v = ctx.sse_read128(insn, 1, true)?;
    ctx.xmm_set(d, v);
    Ok(())
}

/// Lane `k` of `v` at the bottom of a temp (F32 ops read the low 32 bits only).
fn lane(ctx: &mut Ctx, v: V128, k: u32, double: bool) -> Temp {
    let per_half = if double { 1 } else { 2 };
    let half = if k < per_half { v.lo } else { v.hi };
    if !double && k % 2 == 1 {
        ctx.bin_imm(BinOp::Lshr, half, 32, Width::W64)
    } else {
        half
    }
}

/// addsub/hadd/hsub ps/pd xmm, xmm/m128.
fn fp_pairs(ctx: &mut Ctx, insn: &Instruction, kind: Horizontal, double: bool) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let s = ctx.sse_read128(insn, 1, false)?;
    let a = ctx.xmm_get(d);
    let (prec, width, lanes) =
        if double { (FpPrec::F64, Width::W64, 2) } else { (FpPrec::F32, Width::W32, 4) };
    let mxcsr = ctx.load_state(off::MXCSR, Width::W32);
    let mut flags = ctx.constant(0);
    let mut results = Vec::with_capacity(lanes as usize);
    for k in 0..lanes {
        let (op, x, y) = match kind {
            Horizontal::AddSub => {
                let op = if k % 2 == 0 { FpOp::Sub } else { FpOp::Add };
                (op, lane(ctx, a, k, double), lane(ctx, s, k, double))
            }
            Horizontal::Hadd | Horizontal::Hsub => {
                let (v, j) = if k < lanes / 2 { (a, k) } else { (s, k - lanes / 2) };
                let op = if kind == Horizontal::Hadd { FpOp::Add } else { FpOp::Sub };
                (op, lane(ctx, v, 2 * j, double), lane(ctx, v, 2 * j + 1, double))
            }
        };
        let value = ctx.fp(op, prec, FpRule::X86Sse, FpResult::Value, x, y, mxcsr);
        let raised = ctx.fp(op, prec, FpRule::X86Sse, FpResult::Flags, x, y, mxcsr);
        flags = ctx.bin(BinOp::Or, flags, raised, Width::W32);
        results.push((StateOffset(off::xmm(d).0 + k * width.bytes()), value));
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
