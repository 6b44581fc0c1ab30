//! MMX: the 64-bit integer SIMD instructions on mm0-mm7 (the MMX instruction set, and the SSE,
//! SSE2 and SSSE3 additions with MMX operands (SSSE3: pabs as lane ops, the rest through
//! [`vec_helper`] on 8 bytes): pavg, pmin/pmax, psadbw, pmulhuw, pshufw, pextrw,
//! pinsrw, pmovmskb, movntq, pmuludq, paddq/psubq, movq2dq/movdq2q, and the conversions
//! cvtpi2ps/cvtpi2pd/cvt(t)ps2pi/cvt(t)pd2pi, which `sse_convert` implements). Not maskmovq. glibc's dynamic loader
//! refuses to start without MMX in CPUID (its x86-64 baseline ISA level), so xlate implements
//! it; programs seldom use it.
//!
//! An instruction goes to this family when one of its operands is an MMX register (or it is
//! emms): the mnemonics are the SSE integer family's, told apart by operand.
//!
//! State (Intel SDM Vol. 1 9.5): mm`i` is the low 64 bits of physical x87 register R`i`. An
//! MMX instruction sets TOP to 0 and tags every register valid; a write to mm`i` also sets
//! R`i`'s sign and exponent bits to ones. emms tags every register empty.
//!
//! Bitwise ops, moves, paddq/psubq and pmuludq are plain 64-bit IR; everything lane-wise,
//! the unpacks (`ZipLo`/`ZipHi`), the packs (saturating narrowing of dst then src) and the
//! shifts are one IR `Lanes` op, the definition the SSE forms and the A64 guest share; pshufw
//! is the SSE word shuffle's IR; pmaddwd and psadbw run [`sse_int::lanes`] (the SSE helper's
//! semantics) on the 64-bit values in the low half of a 128-bit one.

use super::sse_int::{self, IntOp};
use super::state::off;
use super::vec_helper::{self, VecOp};
use super::{Ctx, Handler, Unsupported};
use crate::ir::{BinOp, Helper, LaneOp, StateOffset, Temp, UnOp, Width};
use iced_x86::{Instruction, Mnemonic, OpKind, Register};

/// Whether `insn` belongs to this family: emms, or an instruction with an MMX register operand.
pub fn covers(insn: &Instruction) -> bool {
    insn.mnemonic() == Mnemonic::Emms
        || (0..insn.op_count())
            .any(|i| insn.op_kind(i) == OpKind::Register && mm_index(insn.op_register(i)).is_some())
}

/// The MMX forms' handlers, by mnemonic (only for instructions [`covers`] accepts).
pub fn lookup(m: Mnemonic) -> Option<Handler> {
    use IntOp::*;
    macro_rules! h {
        ($op:expr) => {
            |c, i| helper_op(c, i, $op)
        };
    }
    Some(match m {
        Mnemonic::Emms => |c, _| {
            let empty = c.constant(0);
            c.store_state(off::FPU_TAGS, empty, Width::W8);
            Ok(())
        },
        Mnemonic::Movd => |c, i| mov(c, i, Width::W32),
        Mnemonic::Movq | Mnemonic::Movntq => |c, i| mov(c, i, Width::W64),
        Mnemonic::Movq2dq => movq2dq,
        Mnemonic::Movdq2q => movdq2q,
        Mnemonic::Paddb => |c, i| lane_op(c, i, LaneOp::Add, Width::W8),
        Mnemonic::Paddw => |c, i| lane_op(c, i, LaneOp::Add, Width::W16),
        Mnemonic::Paddd => |c, i| lane_op(c, i, LaneOp::Add, Width::W32),
        Mnemonic::Psubb => |c, i| lane_op(c, i, LaneOp::Sub, Width::W8),
        Mnemonic::Psubw => |c, i| lane_op(c, i, LaneOp::Sub, Width::W16),
        Mnemonic::Psubd => |c, i| lane_op(c, i, LaneOp::Sub, Width::W32),
        Mnemonic::Paddusb => |c, i| lane_op(c, i, LaneOp::AddSatU, Width::W8),
        Mnemonic::Paddusw => |c, i| lane_op(c, i, LaneOp::AddSatU, Width::W16),
        Mnemonic::Psubusb => |c, i| lane_op(c, i, LaneOp::SubSatU, Width::W8),
        Mnemonic::Psubusw => |c, i| lane_op(c, i, LaneOp::SubSatU, Width::W16),
        Mnemonic::Paddsb => |c, i| lane_op(c, i, LaneOp::AddSatS, Width::W8),
        Mnemonic::Paddsw => |c, i| lane_op(c, i, LaneOp::AddSatS, Width::W16),
        Mnemonic::Psubsb => |c, i| lane_op(c, i, LaneOp::SubSatS, Width::W8),
        Mnemonic::Psubsw => |c, i| lane_op(c, i, LaneOp::SubSatS, Width::W16),
        Mnemonic::Paddq => |c, i| bin_op(c, i, BinOp::Add, false),
        Mnemonic::Psubq => |c, i| bin_op(c, i, BinOp::Sub, false),
        Mnemonic::Pand => |c, i| bin_op(c, i, BinOp::And, false),
        Mnemonic::Pandn => |c, i| bin_op(c, i, BinOp::And, true),
        Mnemonic::Por => |c, i| bin_op(c, i, BinOp::Or, false),
        Mnemonic::Pxor => |c, i| bin_op(c, i, BinOp::Xor, false),
        Mnemonic::Pcmpeqb => |c, i| lane_op(c, i, LaneOp::CmpEq, Width::W8),
        Mnemonic::Pcmpeqw => |c, i| lane_op(c, i, LaneOp::CmpEq, Width::W16),
        Mnemonic::Pcmpeqd => |c, i| lane_op(c, i, LaneOp::CmpEq, Width::W32),
        Mnemonic::Pcmpgtb => |c, i| lane_op(c, i, LaneOp::CmpGtS, Width::W8),
        Mnemonic::Pcmpgtw => |c, i| lane_op(c, i, LaneOp::CmpGtS, Width::W16),
        Mnemonic::Pcmpgtd => |c, i| lane_op(c, i, LaneOp::CmpGtS, Width::W32),
        Mnemonic::Pminub => |c, i| lane_op(c, i, LaneOp::MinU, Width::W8),
        Mnemonic::Pmaxub => |c, i| lane_op(c, i, LaneOp::MaxU, Width::W8),
        Mnemonic::Pminsw => |c, i| lane_op(c, i, LaneOp::MinS, Width::W16),
        Mnemonic::Pmaxsw => |c, i| lane_op(c, i, LaneOp::MaxS, Width::W16),
        Mnemonic::Pavgb => |c, i| lane_op(c, i, LaneOp::AvgU, Width::W8),
        Mnemonic::Pavgw => |c, i| lane_op(c, i, LaneOp::AvgU, Width::W16),
        Mnemonic::Pmullw => |c, i| lane_op(c, i, LaneOp::MulLo, Width::W16),
        Mnemonic::Pmulhw => |c, i| lane_op(c, i, LaneOp::MulHiS, Width::W16),
        Mnemonic::Pmulhuw => |c, i| lane_op(c, i, LaneOp::MulHiU, Width::W16),
        Mnemonic::Pmuludq => pmuludq,
        Mnemonic::Pmaddwd => h!(Pmaddwd),
        Mnemonic::Psadbw => h!(Psadbw),
        Mnemonic::Pabsb => |c, i| pabs(c, i, Width::W8),
        Mnemonic::Pabsw => |c, i| pabs(c, i, Width::W16),
        Mnemonic::Pabsd => |c, i| pabs(c, i, Width::W32),
        Mnemonic::Pshufb => |c, i| ssse3_op(c, i, VecOp::Pshufb),
        Mnemonic::Phaddw => |c, i| ssse3_op(c, i, VecOp::Phaddw),
        Mnemonic::Phaddd => |c, i| ssse3_op(c, i, VecOp::Phaddd),
        Mnemonic::Phaddsw => |c, i| ssse3_op(c, i, VecOp::Phaddsw),
        Mnemonic::Phsubw => |c, i| ssse3_op(c, i, VecOp::Phsubw),
        Mnemonic::Phsubd => |c, i| ssse3_op(c, i, VecOp::Phsubd),
        Mnemonic::Phsubsw => |c, i| ssse3_op(c, i, VecOp::Phsubsw),
        Mnemonic::Pmaddubsw => |c, i| ssse3_op(c, i, VecOp::Pmaddubsw),
        Mnemonic::Pmulhrsw => |c, i| ssse3_op(c, i, VecOp::Pmulhrsw),
        Mnemonic::Psignb => |c, i| ssse3_op(c, i, VecOp::Psignb),
        Mnemonic::Psignw => |c, i| ssse3_op(c, i, VecOp::Psignw),
        Mnemonic::Psignd => |c, i| ssse3_op(c, i, VecOp::Psignd),
        Mnemonic::Palignr => |c, i| ssse3_op(c, i, VecOp::Palignr),
        Mnemonic::Punpcklbw => |c, i| lane_op(c, i, LaneOp::ZipLo, Width::W8),
        Mnemonic::Punpcklwd => |c, i| lane_op(c, i, LaneOp::ZipLo, Width::W16),
        Mnemonic::Punpckldq => |c, i| lane_op(c, i, LaneOp::ZipLo, Width::W32),
        Mnemonic::Punpckhbw => |c, i| lane_op(c, i, LaneOp::ZipHi, Width::W8),
        Mnemonic::Punpckhwd => |c, i| lane_op(c, i, LaneOp::ZipHi, Width::W16),
        Mnemonic::Punpckhdq => |c, i| lane_op(c, i, LaneOp::ZipHi, Width::W32),
        Mnemonic::Packsswb => |c, i| lane_op(c, i, LaneOp::NarrowSatS, Width::W8),
        Mnemonic::Packssdw => |c, i| lane_op(c, i, LaneOp::NarrowSatS, Width::W16),
        Mnemonic::Packuswb => |c, i| lane_op(c, i, LaneOp::NarrowSatSU, Width::W8),
        Mnemonic::Psllw => |c, i| lane_op(c, i, LaneOp::Shl, Width::W16),
        Mnemonic::Pslld => |c, i| lane_op(c, i, LaneOp::Shl, Width::W32),
        Mnemonic::Psllq => |c, i| lane_op(c, i, LaneOp::Shl, Width::W64),
        Mnemonic::Psrlw => |c, i| lane_op(c, i, LaneOp::Lshr, Width::W16),
        Mnemonic::Psrld => |c, i| lane_op(c, i, LaneOp::Lshr, Width::W32),
        Mnemonic::Psrlq => |c, i| lane_op(c, i, LaneOp::Lshr, Width::W64),
        Mnemonic::Psraw => |c, i| lane_op(c, i, LaneOp::Ashr, Width::W16),
        Mnemonic::Psrad => |c, i| lane_op(c, i, LaneOp::Ashr, Width::W32),
        Mnemonic::Pshufw => pshufw,
        Mnemonic::Pextrw => pextrw,
        Mnemonic::Pinsrw => pinsrw,
        Mnemonic::Pmovmskb => pmovmskb,
        // The conversions between MMX integers and SSE floats are the conversion family's.
        Mnemonic::Cvtpi2ps
        | Mnemonic::Cvtpi2pd
        | Mnemonic::Cvtps2pi
        | Mnemonic::Cvttps2pi
        | Mnemonic::Cvtpd2pi
        | Mnemonic::Cvttpd2pi => return super::sse_convert::lookup(m),
        _ => return None,
    })
}

fn mm_index(r: Register) -> Option<usize> {
    (Register::MM0..=Register::MM7).contains(&r).then(|| r as usize - Register::MM0 as usize)
}

/// Operand `i` as an MMX register number.
pub(super) fn mm_operand(insn: &Instruction, i: u32) -> Option<usize> {
    (insn.op_kind(i) == OpKind::Register).then(|| mm_index(insn.op_register(i))).flatten()
}

/// What every MMX instruction but emms does to the x87 state: TOP 0, every register valid.
pub(super) fn enter(ctx: &mut Ctx) {
    let valid = ctx.constant(0xff);
    ctx.store_state(off::FPU_TAGS, valid, Width::W8);
    let sw = ctx.load_state(off::FPU_SW, Width::W16);
    let sw = ctx.bin_imm(BinOp::And, sw, !(7 << 11), Width::W16);
    ctx.store_state(off::FPU_SW, sw, Width::W16);
}

pub(super) fn get(ctx: &mut Ctx, n: usize) -> Temp {
    ctx.load_state(off::fpr(n), Width::W64)
}

pub(super) fn set(ctx: &mut Ctx, n: usize, v: Temp) {
    ctx.store_state(off::fpr(n), v, Width::W64);
    let ones = ctx.constant(0xffff);
    ctx.store_state(off::fpr_exp(n), ones, Width::W16);
}

/// Source operand `i`: an MMX register or m64.
fn source(ctx: &mut Ctx, insn: &Instruction, i: u32) -> Result<Temp, Unsupported> {
    match (insn.op_kind(i), mm_operand(insn, i)) {
        (_, Some(n)) => Ok(get(ctx, n)),
        (OpKind::Memory, _) => {
            let addr = ctx.mem_addr(insn)?;
            Ok(ctx.load(addr, Width::W64))
        }
        _ => Err(Unsupported),
    }
}

/// movd/movq/movntq between an MMX register and a GPR, memory or another MMX register.
fn mov(ctx: &mut Ctx, insn: &Instruction, width: Width) -> Result<(), Unsupported> {
    enter(ctx);
    if let Some(d) = mm_operand(insn, 0) {
        let v = match mm_operand(insn, 1) {
            Some(s) => get(ctx, s),
            None => ctx.read_operand(insn, 1)?,
        };
        set(ctx, d, v);
        return Ok(());
    }
    let s = mm_operand(insn, 1).ok_or(Unsupported)?;
    let v = get(ctx, s);
    match insn.op_kind(0) {
        OpKind::Memory => {
            let addr = ctx.mem_addr(insn)?;
            ctx.store(addr, v, width);
            Ok(())
        }
        _ => {
            let dst = ctx.operand(insn, 0)?;
            ctx.write(dst, v)
        }
    }
}

/// movq2dq xmm, mm: the xmm register's low half, its high half zeroed.
fn movq2dq(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let s = mm_operand(insn, 1).ok_or(Unsupported)?;
    let d = super::sse_move::xmm_operand(insn, 0).ok_or(Unsupported)?;
    enter(ctx);
    let lo = get(ctx, s);
    let hi = ctx.constant(0);
    ctx.xmm_set(d, super::sse_move::V128 { lo, hi });
    Ok(())
}

/// movdq2q mm, xmm: the low half of the xmm register.
fn movdq2q(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let d = mm_operand(insn, 0).ok_or(Unsupported)?;
    let s = super::sse_move::xmm_operand(insn, 1).ok_or(Unsupported)?;
    enter(ctx);
    let v = ctx.load_state(off::xmm(s), Width::W64);
    set(ctx, d, v);
    Ok(())
}

/// `mm = op(mm, src)` as one IR lane op; a shift's count is an MMX register, m64 or imm8.
fn lane_op(ctx: &mut Ctx, insn: &Instruction, op: LaneOp, lane: Width) -> Result<(), Unsupported> {
    let d = mm_operand(insn, 0).ok_or(Unsupported)?;
    let b = match insn.op_kind(1) {
        OpKind::Immediate8 => ctx.constant(insn.immediate(1) & 0xff),
        _ => source(ctx, insn, 1)?,
    };
    enter(ctx);
    let a = get(ctx, d);
    let r = ctx.lanes(op, lane, a, b);
    set(ctx, d, r);
    Ok(())
}

/// A 64-bit operation; `invert_dst` gives pandn (`!dst & src`).
fn bin_op(ctx: &mut Ctx, insn: &Instruction, op: BinOp, invert_dst: bool) -> Result<(), Unsupported> {
    let d = mm_operand(insn, 0).ok_or(Unsupported)?;
    let b = source(ctx, insn, 1)?;
    enter(ctx);
    let a = get(ctx, d);
    let a = if invert_dst { ctx.un(UnOp::Not, a, Width::W64) } else { a };
    let r = ctx.bin(op, a, b, Width::W64);
    set(ctx, d, r);
    Ok(())
}

/// pmuludq mm, mm/m64: the unsigned product of the low dwords.
fn pmuludq(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let d = mm_operand(insn, 0).ok_or(Unsupported)?;
    let b = source(ctx, insn, 1)?;
    enter(ctx);
    let a = get(ctx, d);
    let r = sse_int::mul_low_dwords(ctx, a, b);
    set(ctx, d, r);
    Ok(())
}

/// pshufw mm, mm/m64, imm8: the words of the source rearranged.
fn pshufw(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let d = mm_operand(insn, 0).ok_or(Unsupported)?;
    let b = source(ctx, insn, 1)?;
    enter(ctx);
    let r = super::sse_shuffle::shuffle_words(ctx, b, insn.immediate(2) as u8);
    set(ctx, d, r);
    Ok(())
}

const LANES_HELPER: Helper = Helper { name: "mmx_lanes", func: mmx_lanes_helper, touches_memory: false };

/// `mm[dst] = op(mm[dst], src)` through [`mmx_lanes_helper`] (pmaddwd, psadbw).
fn helper_op(ctx: &mut Ctx, insn: &Instruction, op: IntOp) -> Result<(), Unsupported> {
    let d = mm_operand(insn, 0).ok_or(Unsupported)?;
    let b = source(ctx, insn, 1)?;
    enter(ctx);
    let a = get(ctx, d);
    let sel = ctx.constant(op as u64);
    let r = ctx.call(LANES_HELPER, &[a, b, sel]);
    set(ctx, d, r);
    Ok(())
}

/// SSSE3's pabsb/w/d mm, mm/m64: `MinU(x, 0 - x)`, as the xmm forms.
fn pabs(ctx: &mut Ctx, insn: &Instruction, lane: Width) -> Result<(), Unsupported> {
    let d = mm_operand(insn, 0).ok_or(Unsupported)?;
    let b = source(ctx, insn, 1)?;
    enter(ctx);
    let zero = ctx.constant(0);
    let neg = ctx.lanes(LaneOp::Sub, lane, zero, b);
    let r = ctx.lanes(LaneOp::MinU, lane, b, neg);
    set(ctx, d, r);
    Ok(())
}

const VEC_HELPER: Helper =
    Helper { name: "mmx_vec", func: vec_helper::vec_mmx_helper, touches_memory: false };

/// The other SSSE3 forms with mm operands: the byte-vector helper on 8 bytes.
fn ssse3_op(ctx: &mut Ctx, insn: &Instruction, op: VecOp) -> Result<(), Unsupported> {
    let d = mm_operand(insn, 0).ok_or(Unsupported)?;
    let b = source(ctx, insn, 1)?;
    enter(ctx);
    let a = get(ctx, d);
    let imm = if insn.op_count() > 2 { insn.immediate(2) & 0xff } else { 0 };
    let sel = ctx.constant(op as u64 | imm << 8);
    let r = ctx.call(VEC_HELPER, &[a, b, sel]);
    set(ctx, d, r);
    Ok(())
}

/// `op(a, b)` on 64-bit values for `sel = op`: the 128-bit semantics on the low halves
/// (pmaddwd's and psadbw's lanes do not cross the halves).
pub extern "C" fn mmx_lanes_helper(_: *mut u8, a: u64, b: u64, sel: u64, _: u64) -> u64 {
    let Some(&op) = sse_int::ALL_OPS.get((sel & 0xff) as usize) else { return 0 };
    sse_int::lanes(op, u128::from(a), u128::from(b), 0) as u64
}

/// pextrw r32/r64, mm, imm8: the selected word, zero-extended.
fn pextrw(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let s = mm_operand(insn, 1).ok_or(Unsupported)?;
    let lane = (insn.immediate(2) & 3) as u32;
    enter(ctx);
    let v = ctx.load_state(StateOffset(off::fpr(s).0 + 2 * lane), Width::W16);
    let dst = ctx.operand(insn, 0)?;
    ctx.write(dst, v)
}

/// pinsrw mm, r32/m16, imm8: replaces the selected word.
fn pinsrw(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let d = mm_operand(insn, 0).ok_or(Unsupported)?;
    let lane = (insn.immediate(2) & 3) as u32;
    let v = match insn.op_kind(1) {
        OpKind::Memory => {
            let addr = ctx.mem_addr(insn)?;
            ctx.load(addr, Width::W16)
        }
        _ => ctx.read_operand(insn, 1)?,
    };
    enter(ctx);
    let old = get(ctx, d);
    set(ctx, d, old);
    ctx.store_state(StateOffset(off::fpr(d).0 + 2 * lane), v, Width::W16);
    Ok(())
}

/// pmovmskb r32, mm: the sign bits of the eight bytes.
fn pmovmskb(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let s = mm_operand(insn, 1).ok_or(Unsupported)?;
    enter(ctx);
    let v = get(ctx, s);
    let signs = ctx.bin_imm(BinOp::And, v, 0x8080_8080_8080_8080, Width::W64);
    let packed = ctx.bin_imm(BinOp::Mul, signs, sse_int::GATHER_BYTE_SIGNS, Width::W64);
    let mask = ctx.bin_imm(BinOp::Lshr, packed, 56, Width::W64);
    let dst = ctx.operand(insn, 0)?;
    ctx.write(dst, mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_helper_works_on_the_low_halves() {
        let sel = |op: IntOp| op as u64;
        // psadbw: the sum of the byte differences, in the low word.
        let r = mmx_lanes_helper(std::ptr::null_mut(), 0x00ff_0010, 0x0001_0020, sel(IntOp::Psadbw), 0);
        assert_eq!(r, 0xfe + 0x10);
        // pmaddwd: (-1 * 2) + (3 * 4) in the low dword, 0 in the high one.
        let r = mmx_lanes_helper(std::ptr::null_mut(), 0x0003_ffff, 0x0004_0002, sel(IntOp::Pmaddwd), 0);
        assert_eq!(r, 10);
    }
}
