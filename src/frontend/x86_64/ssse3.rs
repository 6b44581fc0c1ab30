//! SSSE3, xmm forms: pabsb/w/d are IR lane ops (`MinU(x, 0 - x)` on each half: the
//! unsigned minimum of a lane and its negation is its absolute value, 0x80.. for MIN as
//! the SDM defines); pshufb, phadd/phsub (w, d, sw), pmaddubsw, pmulhrsw, psign (b, w, d)
//! and palignr go to the byte-vector helper ([`super::vec_helper`]). The MMX forms are in
//! `mmx`.

use super::sse_int::dst_xmm;
use super::sse_move::V128;
use super::vec_helper::{self, VecOp};
use super::{Ctx, Handler, Unsupported};
use crate::ir::{LaneOp, Width};
use iced_x86::{Instruction, Mnemonic};

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    use VecOp::*;
    macro_rules! h {
        ($op:expr) => {
            |c, i| vec_helper::call(c, i, $op)
        };
    }
    Some(match m {
        Mnemonic::Pabsb => |c, i| pabs(c, i, Width::W8),
        Mnemonic::Pabsw => |c, i| pabs(c, i, Width::W16),
        Mnemonic::Pabsd => |c, i| pabs(c, i, Width::W32),
        Mnemonic::Pshufb => h!(Pshufb),
        Mnemonic::Phaddw => h!(Phaddw),
        Mnemonic::Phaddd => h!(Phaddd),
        Mnemonic::Phaddsw => h!(Phaddsw),
        Mnemonic::Phsubw => h!(Phsubw),
        Mnemonic::Phsubd => h!(Phsubd),
        Mnemonic::Phsubsw => h!(Phsubsw),
        Mnemonic::Pmaddubsw => h!(Pmaddubsw),
        Mnemonic::Pmulhrsw => h!(Pmulhrsw),
        Mnemonic::Psignb => h!(Psignb),
        Mnemonic::Psignw => h!(Psignw),
        Mnemonic::Psignd => h!(Psignd),
        Mnemonic::Palignr => h!(Palignr),
        _ => return None,
    })
}

/// pabsb/w/d xmm, xmm/m128: per half, `MinU(x, 0 - x)`.
fn pabs(ctx: &mut Ctx, insn: &Instruction, lane: Width) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let s = ctx.sse_read128(insn, 1, false)?;
    let zero = ctx.constant(0);
    let abs = |ctx: &mut Ctx, x| {
        let neg = ctx.lanes(LaneOp::Sub, lane, zero, x);
        ctx.lanes(LaneOp::MinU, lane, x, neg)
    };
    let lo = abs(ctx, s.lo);
    let hi = abs(ctx, s.hi);
    ctx.xmm_set(d, V128 { lo, hi });
    Ok(())
}
