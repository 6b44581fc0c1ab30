//! SSE/SSE2 conversions between integers, floats and doubles: cvtsi2ss/cvtsi2sd (32- and
//! 64-bit sources), cvt(t)ss2si/cvt(t)sd2si (32- and 64-bit results), cvtss2sd/cvtsd2ss, and the
//! packed cvtdq2ps/cvtdq2pd/cvt(t)ps2dq/cvt(t)pd2dq/cvtps2pd/cvtpd2ps, and their MMX forms
//! cvtpi2ps/cvtpi2pd/cvt(t)ps2pi/cvt(t)pd2pi.
//!
//! Each is IR: one [`crate::ir::Op::FpCvt`] per lane for the value and one for the exception
//! flags, under [`FpRule::X86Sse`] with the guest's MXCSR (rounding, or truncation for the
//! cvtt* forms; "integer indefinite" for NaN and out-of-range sources; NaN payloads kept and
//! quieted). The flags of all lanes are ORed into MXCSR; when one is unmasked the instruction
//! leaves with SIGFPE (#XM) before its destination is written.

use super::mmx;
use super::sse_arith::raise_flags;
use super::sse_move::xmm_operand;
use super::{Ctx, Handler, Unsupported};
use crate::frontend::x86_64::state::off;
use crate::ir::{BinOp, CvtRound, FpResult, FpRule, NumFormat, StateOffset, Temp, Width};
use iced_x86::{Instruction, Mnemonic, OpKind};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Cvt {
    /// Integer (of the source operand's width) to the low float / double.
    Si2ss,
    Si2sd,
    /// Low float / double to a general register, rounding per MXCSR or truncating.
    Ss2si,
    Tss2si,
    Sd2si,
    Tsd2si,
    Ss2sd,
    Sd2ss,
    Dq2ps,
    Dq2pd,
    Ps2dq,
    Tps2dq,
    Pd2dq,
    Tpd2dq,
    Ps2pd,
    Pd2ps,
    /// The MMX forms: two 32-bit integers in an MMX register (or m64) to floats / doubles,
    /// and two floats / doubles to two 32-bit integers in an MMX register.
    Pi2ps,
    Pi2pd,
    Ps2pi,
    Tps2pi,
    Pd2pi,
    Tpd2pi,
}

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    macro_rules! h {
        ($c:expr) => {
            |ctx, i| convert(ctx, i, $c)
        };
    }
    Some(match m {
        Mnemonic::Cvtsi2ss => h!(Cvt::Si2ss),
        Mnemonic::Cvtsi2sd => h!(Cvt::Si2sd),
        Mnemonic::Cvtss2si => h!(Cvt::Ss2si),
        Mnemonic::Cvttss2si => h!(Cvt::Tss2si),
        Mnemonic::Cvtsd2si => h!(Cvt::Sd2si),
        Mnemonic::Cvttsd2si => h!(Cvt::Tsd2si),
        Mnemonic::Cvtss2sd => h!(Cvt::Ss2sd),
        Mnemonic::Cvtsd2ss => h!(Cvt::Sd2ss),
        Mnemonic::Cvtdq2ps => h!(Cvt::Dq2ps),
        Mnemonic::Cvtdq2pd => h!(Cvt::Dq2pd),
        Mnemonic::Cvtps2dq => h!(Cvt::Ps2dq),
        Mnemonic::Cvttps2dq => h!(Cvt::Tps2dq),
        Mnemonic::Cvtpd2dq => h!(Cvt::Pd2dq),
        Mnemonic::Cvttpd2dq => h!(Cvt::Tpd2dq),
        Mnemonic::Cvtps2pd => h!(Cvt::Ps2pd),
        Mnemonic::Cvtpd2ps => h!(Cvt::Pd2ps),
        Mnemonic::Cvtpi2ps => h!(Cvt::Pi2ps),
        Mnemonic::Cvtpi2pd => h!(Cvt::Pi2pd),
        Mnemonic::Cvtps2pi => h!(Cvt::Ps2pi),
        Mnemonic::Cvttps2pi => h!(Cvt::Tps2pi),
        Mnemonic::Cvtpd2pi => h!(Cvt::Pd2pi),
        Mnemonic::Cvttpd2pi => h!(Cvt::Tpd2pi),
        _ => return None,
    })
}

/// Where a conversion's lanes go.
enum Dest {
    /// Lanes of `lane`-bit values from the bottom of xmm `reg`; `zero_upper`: the bytes above
    /// them up to bit 128 become zero (the pd2dq/pd2ps forms), else they stay.
    Xmm { reg: usize, lane: Width, zero_upper: bool },
    /// A general register of this width (zero-extended from 32 bits, as x86 writes).
    Gpr { index: usize, width: Width },
    /// An MMX register: two 32-bit lanes.
    Mm(usize),
}

/// 32-bit lane `i` of `(lo, hi)` at the bottom of a temporary (bits above it are not read).
fn lane32(ctx: &mut Ctx, (lo, hi): (Temp, Temp), i: usize) -> Temp {
    let half = if i < 2 { lo } else { hi };
    if i % 2 == 1 {
        ctx.bin_imm(BinOp::Lshr, half, 32, Width::W64)
    } else {
        half
    }
}

fn convert(ctx: &mut Ctx, insn: &Instruction, cvt: Cvt) -> Result<(), Unsupported> {
    use Cvt::*;
    use NumFormat::{F32, F64, I32, I64};
    let trunc = matches!(cvt, Tss2si | Tsd2si | Tps2dq | Tpd2dq | Tps2pi | Tpd2pi);
    let round = if trunc { CvtRound::Zero } else { CvtRound::Ctrl };
    let xmm = |lane, zero_upper| -> Result<Dest, Unsupported> {
        Ok(Dest::Xmm { reg: xmm_operand(insn, 0).ok_or(Unsupported)?, lane, zero_upper })
    };
    // The source lanes (each at the bottom of a temporary), their formats and the destination.
    let (sources, from, to, dest): (Vec<Temp>, NumFormat, NumFormat, Dest) = match cvt {
        Si2ss | Si2sd => {
            let src = ctx.operand(insn, 1)?;
            let from = if src.width() == Width::W64 { I64 } else { I32 };
            let v = ctx.read(src);
            let (to, lane) = if cvt == Si2ss { (F32, Width::W32) } else { (F64, Width::W64) };
            (vec![v], from, to, xmm(lane, false)?)
        }
        Ss2si | Tss2si | Sd2si | Tsd2si => {
            let (index, width, _) = super::operand::gpr(insn.op_register(0)).ok_or(Unsupported)?;
            let to = if width == Width::W64 { I64 } else { I32 };
            let (from, w) = if matches!(cvt, Ss2si | Tss2si) { (F32, Width::W32) } else { (F64, Width::W64) };
            let v = ctx.sse_read_low(insn, 1, w)?;
            (vec![v], from, to, Dest::Gpr { index, width })
        }
        Ss2sd => (vec![ctx.sse_read_low(insn, 1, Width::W32)?], F32, F64, xmm(Width::W64, false)?),
        Sd2ss => (vec![ctx.sse_read_low(insn, 1, Width::W64)?], F64, F32, xmm(Width::W32, false)?),
        Dq2pd | Ps2pd => {
            let v = ctx.sse_read_low(insn, 1, Width::W64)?;
            let hi = ctx.bin_imm(BinOp::Lshr, v, 32, Width::W64);
            let from = if cvt == Dq2pd { I32 } else { F32 };
            (vec![v, hi], from, F64, xmm(Width::W64, false)?)
        }
        Dq2ps | Ps2dq | Tps2dq => {
            if insn.op_kind(1) != OpKind::Register && insn.op_kind(1) != OpKind::Memory {
                return Err(Unsupported);
            }
            let v = ctx.sse_read128(insn, 1, false)?;
            let lanes = (0..4).map(|i| lane32(ctx, (v.lo, v.hi), i)).collect();
            let (from, to) = if cvt == Dq2ps { (I32, F32) } else { (F32, I32) };
            (lanes, from, to, xmm(Width::W32, false)?)
        }
        Pd2dq | Tpd2dq | Pd2ps => {
            if insn.op_kind(1) != OpKind::Register && insn.op_kind(1) != OpKind::Memory {
                return Err(Unsupported);
            }
            let v = ctx.sse_read128(insn, 1, false)?;
            let to = if cvt == Pd2ps { F32 } else { I32 };
            (vec![v.lo, v.hi], F64, to, xmm(Width::W32, true)?)
        }
        // An MMX register source makes the x87-to-MMX transition; an m64 source does not.
        Pi2ps | Pi2pd => {
            let v = match mmx::mm_operand(insn, 1) {
                Some(s) => {
                    mmx::enter(ctx);
                    mmx::get(ctx, s)
                }
                None => ctx.sse_read_low(insn, 1, Width::W64)?,
            };
            let hi = ctx.bin_imm(BinOp::Lshr, v, 32, Width::W64);
            let (to, lane) = if cvt == Pi2ps { (F32, Width::W32) } else { (F64, Width::W64) };
            (vec![v, hi], I32, to, xmm(lane, false)?)
        }
        Ps2pi | Tps2pi | Pd2pi | Tpd2pi => {
            let d = mmx::mm_operand(insn, 0).ok_or(Unsupported)?;
            let (lanes, from) = if matches!(cvt, Ps2pi | Tps2pi) {
                let v = ctx.sse_read_low(insn, 1, Width::W64)?;
                let hi = ctx.bin_imm(BinOp::Lshr, v, 32, Width::W64);
                (vec![v, hi], F32)
            } else {
                let v = ctx.sse_read128(insn, 1, false)?;
                (vec![v.lo, v.hi], F64)
            };
            mmx::enter(ctx);
            (lanes, from, I32, Dest::Mm(d))
        }
    };
    let mxcsr = ctx.load_state(off::MXCSR, Width::W32);
    let mut flags = ctx.constant(0);
    let mut values = Vec::with_capacity(sources.len());
    for a in sources {
        let value = ctx.fp_cvt(from, to, round, FpRule::X86Sse, FpResult::Value, a, mxcsr);
        let raised = ctx.fp_cvt(from, to, round, FpRule::X86Sse, FpResult::Flags, a, mxcsr);
        flags = ctx.bin(BinOp::Or, flags, raised, Width::W32);
        values.push(value);
    }
    raise_flags(ctx, mxcsr, flags);
    match dest {
        Dest::Xmm { reg, lane, zero_upper } => {
            let base = off::xmm(reg).0;
            for (i, &v) in values.iter().enumerate() {
                ctx.store_state(StateOffset(base + i as u32 * lane.bytes()), v, lane);
            }
            if zero_upper {
                let zero = ctx.constant(0);
                ctx.store_state(StateOffset(base + 8), zero, Width::W64);
            }
        }
        Dest::Gpr { index, width } => ctx.write_gpr(index, width, values[0]),
        Dest::Mm(d) => {
            let hi = ctx.bin_imm(BinOp::Shl, values[1], 32, Width::W64);
            let both = ctx.bin(BinOp::Or, values[0], hi, Width::W64);
            mmx::set(ctx, d, both);
        }
    }
    Ok(())
}
