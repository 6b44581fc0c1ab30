//! SSE2 integer SIMD (what glibc's and musl's string and memory functions and gcc's
//! vectoriser use) and the lane shuffles shared with the float forms.
//!
//! - Bitwise and/andn/or/xor (p*, *ps, *pd): one 128-bit IR op ([`VBitOp`], `ir::vector`).
//! - The lane-wise forms that both hosts have as one 128-bit instruction
//!   (`ir::vector::has_vlane`: add/sub with and without saturation, compares, byte and word
//!   min/max, averages, pmullw) and the shifts by immediate (`has_vshift`): one 128-bit IR
//!   op on vector temporaries.
//! - paddq/psubq, pmuludq, pmovmskb/movmskps/movmskpd, pextrw/pinsrw: plain 64-bit IR on the
//!   two halves.
//! - The other lane-wise forms, unpack, pack and the shifts by an xmm count: one IR
//!   [`LaneOp`] per 64-bit half, the definition both guests share (`ir::lanes`). The
//!   shuffles and byte shifts are in [`super::sse_shuffle`].
//! - pmaddwd and psadbw (rare): one Rust helper, [`sse_int_helper`], that runs [`lanes`] on
//!   the whole register; being portable, it gives both hosts the same semantics.

use super::sse_move::{xmm_operand, V128};
use super::{Ctx, Handler, Unsupported};
use crate::frontend::x86_64::state::off;
use crate::frontend::x86_64::X86State;
use crate::ir::vector::{has_vlane, has_vshift};
use crate::ir::{BinOp, Helper, LaneOp, StateOffset, Temp, VBitOp, Width};
use iced_x86::{Instruction, Mnemonic, OpKind};

macro_rules! int_ops {
    ($($name:ident),* $(,)?) => {
        /// The lane-wise operations of [`sse_int_helper`].
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        #[repr(u8)]
        pub enum IntOp { $($name),* }
        pub const ALL_OPS: &[IntOp] = &[$(IntOp::$name),*];
    };
}

int_ops!(Pmaddwd, Psadbw);

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    use LaneOp::*;
    use Width::*;
    macro_rules! l {
        ($op:expr, $lane:expr) => {
            |c, i| lane_arith(c, i, $op, $lane)
        };
    }
    Some(match m {
        Mnemonic::Pand | Mnemonic::Andps | Mnemonic::Andpd => |c, i| bitwise(c, i, VBitOp::And),
        Mnemonic::Pandn | Mnemonic::Andnps | Mnemonic::Andnpd => |c, i| bitwise(c, i, VBitOp::AndNot),
        Mnemonic::Por | Mnemonic::Orps | Mnemonic::Orpd => |c, i| bitwise(c, i, VBitOp::Or),
        Mnemonic::Pxor | Mnemonic::Xorps | Mnemonic::Xorpd => |c, i| bitwise(c, i, VBitOp::Xor),
        Mnemonic::Paddq => |c, i| add_sub_q(c, i, BinOp::Add),
        Mnemonic::Psubq => |c, i| add_sub_q(c, i, BinOp::Sub),
        Mnemonic::Pmovmskb => |c, i| movemask(c, i, 8),
        Mnemonic::Movmskps => |c, i| movemask(c, i, 32),
        Mnemonic::Movmskpd => |c, i| movemask(c, i, 64),
        Mnemonic::Pextrw => pextrw,
        Mnemonic::Pinsrw => pinsrw,
        Mnemonic::Paddb => l!(Add, W8),
        Mnemonic::Paddw => l!(Add, W16),
        Mnemonic::Paddd => l!(Add, W32),
        Mnemonic::Psubb => l!(Sub, W8),
        Mnemonic::Psubw => l!(Sub, W16),
        Mnemonic::Psubd => l!(Sub, W32),
        Mnemonic::Paddusb => l!(AddSatU, W8),
        Mnemonic::Paddusw => l!(AddSatU, W16),
        Mnemonic::Psubusb => l!(SubSatU, W8),
        Mnemonic::Psubusw => l!(SubSatU, W16),
        Mnemonic::Paddsb => l!(AddSatS, W8),
        Mnemonic::Paddsw => l!(AddSatS, W16),
        Mnemonic::Psubsb => l!(SubSatS, W8),
        Mnemonic::Psubsw => l!(SubSatS, W16),
        Mnemonic::Pcmpeqb => l!(CmpEq, W8),
        Mnemonic::Pcmpeqw => l!(CmpEq, W16),
        Mnemonic::Pcmpeqd => l!(CmpEq, W32),
        Mnemonic::Pcmpgtb => l!(CmpGtS, W8),
        Mnemonic::Pcmpgtw => l!(CmpGtS, W16),
        Mnemonic::Pcmpgtd => l!(CmpGtS, W32),
        Mnemonic::Pminub => l!(MinU, W8),
        Mnemonic::Pmaxub => l!(MaxU, W8),
        Mnemonic::Pminsw => l!(MinS, W16),
        Mnemonic::Pmaxsw => l!(MaxS, W16),
        Mnemonic::Pavgb => l!(AvgU, W8),
        Mnemonic::Pavgw => l!(AvgU, W16),
        Mnemonic::Pmullw => l!(MulLo, W16),
        Mnemonic::Pmulhw => l!(MulHiS, W16),
        Mnemonic::Pmulhuw => l!(MulHiU, W16),
        Mnemonic::Pmuludq => pmuludq,
        Mnemonic::Pmaddwd => |c, i| helper_op(c, i, IntOp::Pmaddwd),
        Mnemonic::Psadbw => |c, i| helper_op(c, i, IntOp::Psadbw),
        Mnemonic::Punpcklbw => |c, i| unpack(c, i, W8, false),
        Mnemonic::Punpcklwd => |c, i| unpack(c, i, W16, false),
        Mnemonic::Punpckldq | Mnemonic::Unpcklps => |c, i| unpack(c, i, W32, false),
        Mnemonic::Punpcklqdq | Mnemonic::Unpcklpd => |c, i| unpack(c, i, W64, false),
        Mnemonic::Punpckhbw => |c, i| unpack(c, i, W8, true),
        Mnemonic::Punpckhwd => |c, i| unpack(c, i, W16, true),
        Mnemonic::Punpckhdq | Mnemonic::Unpckhps => |c, i| unpack(c, i, W32, true),
        Mnemonic::Punpckhqdq | Mnemonic::Unpckhpd => |c, i| unpack(c, i, W64, true),
        Mnemonic::Packsswb => |c, i| pack(c, i, NarrowSatS, W8),
        Mnemonic::Packssdw => |c, i| pack(c, i, NarrowSatS, W16),
        Mnemonic::Packuswb => |c, i| pack(c, i, NarrowSatSU, W8),
        Mnemonic::Psllw => |c, i| shift(c, i, Shl, W16),
        Mnemonic::Pslld => |c, i| shift(c, i, Shl, W32),
        Mnemonic::Psllq => |c, i| shift(c, i, Shl, W64),
        Mnemonic::Psrlw => |c, i| shift(c, i, Lshr, W16),
        Mnemonic::Psrld => |c, i| shift(c, i, Lshr, W32),
        Mnemonic::Psrlq => |c, i| shift(c, i, Lshr, W64),
        Mnemonic::Psraw => |c, i| shift(c, i, Ashr, W16),
        Mnemonic::Psrad => |c, i| shift(c, i, Ashr, W32),
        _ => return super::sse_shuffle::lookup(m),
    })
}

/// The destination xmm register of a two-operand SSE instruction (MMX forms are rejected).
pub(super) fn dst_xmm(insn: &Instruction) -> Result<usize, Unsupported> {
    xmm_operand(insn, 0).ok_or(Unsupported)
}

/// and/andn/or/xor over 128 bits; andn is `!dst & src` (`AndNot` of `src` and `dst`).
fn bitwise(ctx: &mut Ctx, insn: &Instruction, op: VBitOp) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let s = ctx.sse_read_v(insn, 1, false)?;
    let a = ctx.xmm_get_v(d);
    let r = if op == VBitOp::AndNot { ctx.vbit(op, s, a) } else { ctx.vbit(op, a, s) };
    ctx.xmm_set_v(d, r);
    Ok(())
}

/// Every lane-wise form: one 128-bit op where both hosts have it (`has_vlane`), else one
/// [`LaneOp`] per 64-bit half.
pub(super) fn lane_arith(
    ctx: &mut Ctx,
    insn: &Instruction,
    op: LaneOp,
    lane: Width,
) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    if has_vlane(op, lane) {
        let s = ctx.sse_read_v(insn, 1, false)?;
        let a = ctx.xmm_get_v(d);
        let r = ctx.vlanes(op, lane, a, s);
        ctx.xmm_set_v(d, r);
        return Ok(());
    }
    let s = ctx.sse_read128(insn, 1, false)?;
    let a = ctx.xmm_get(d);
    let lo = ctx.lanes(op, lane, a.lo, s.lo);
    let hi = ctx.lanes(op, lane, a.hi, s.hi);
    ctx.xmm_set(d, V128 { lo, hi });
    Ok(())
}

/// paddq/psubq: one 64-bit op per half.
fn add_sub_q(ctx: &mut Ctx, insn: &Instruction, op: BinOp) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let s = ctx.sse_read128(insn, 1, false)?;
    let a = ctx.xmm_get(d);
    let lo = ctx.bin(op, a.lo, s.lo, Width::W64);
    let hi = ctx.bin(op, a.hi, s.hi, Width::W64);
    ctx.xmm_set(d, V128 { lo, hi });
    Ok(())
}

/// The sign bits of the 8-bit lanes of a 64-bit value gathered into 8 bits: masking the
/// sign bits and multiplying by this constant moves bit 8k+7 to bit 56+k with no carries.
pub const GATHER_BYTE_SIGNS: u64 = 0x0002_0408_1020_4081;

/// pmovmskb / movmskps / movmskpd: the sign bit of each `lane_bits` lane into a GPR.
fn movemask(ctx: &mut Ctx, insn: &Instruction, lane_bits: u32) -> Result<(), Unsupported> {
    let s = xmm_operand(insn, 1).ok_or(Unsupported)?;
    let v = ctx.xmm_get(s);
    let mask = movemask_bits(ctx, v, lane_bits);
    let dst = ctx.operand(insn, 0)?;
    ctx.write(dst, mask)
}

/// The sign bits of the `lane_bits` lanes of `v`, lane 0 in bit 0.
pub(super) fn movemask_bits(ctx: &mut Ctx, v: V128, lane_bits: u32) -> Temp {
    let lanes_per_half = 64 / lane_bits;
    let gather = |ctx: &mut Ctx, x: Temp| -> Temp {
        match lane_bits {
            8 => {
                let signs = ctx.bin_imm(BinOp::And, x, 0x8080_8080_8080_8080, Width::W64);
                let packed = ctx.bin_imm(BinOp::Mul, signs, GATHER_BYTE_SIGNS, Width::W64);
                ctx.bin_imm(BinOp::Lshr, packed, 56, Width::W64)
            }
            32 => {
                let b0 = ctx.bit(x, 31);
                let b1 = ctx.bit(x, 63);
                let b1 = ctx.bin_imm(BinOp::Shl, b1, 1, Width::W64);
                ctx.bin(BinOp::Or, b0, b1, Width::W64)
            }
            _ => ctx.bit(x, 63),
        }
    };
    let lo = gather(ctx, v.lo);
    let hi = gather(ctx, v.hi);
    let hi = ctx.bin_imm(BinOp::Shl, hi, lanes_per_half as u64, Width::W64);
    ctx.bin(BinOp::Or, lo, hi, Width::W64)
}

/// pextrw r32/r64/m16, xmm, imm8: the selected word, zero-extended (the memory form is
/// SSE4.1's).
fn pextrw(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    super::sse41_int::pextr(ctx, insn, Width::W16)
}

/// pinsrw xmm, r32/m16, imm8: replaces the selected word.
fn pinsrw(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let lane = (insn.immediate(2) & 7) as u32;
    let v = match insn.op_kind(1) {
        OpKind::Memory => {
            let addr = ctx.mem_addr(insn)?;
            ctx.load(addr, Width::W16)
        }
        _ => ctx.read_operand(insn, 1)?,
    };
    ctx.store_state(StateOffset(off::xmm(d).0 + 2 * lane), v, Width::W16);
    Ok(())
}

/// pmuludq: the unsigned 64-bit product of the low dwords of each half.
fn pmuludq(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let s = ctx.sse_read128(insn, 1, false)?;
    let a = ctx.xmm_get(d);
    let lo = mul_low_dwords(ctx, a.lo, s.lo);
    let hi = mul_low_dwords(ctx, a.hi, s.hi);
    ctx.xmm_set(d, V128 { lo, hi });
    Ok(())
}

/// The unsigned product of the low 32 bits of `a` and `b` (pmuludq on one 64-bit half).
pub(super) fn mul_low_dwords(ctx: &mut Ctx, a: Temp, b: Temp) -> Temp {
    let x = ctx.ext(a, Width::W32, false);
    let y = ctx.ext(b, Width::W32, false);
    ctx.bin(BinOp::Mul, x, y, Width::W64)
}

/// punpckl* (`high` false) / punpckh*: the lanes of the low (high) halves of dst and src
/// interleaved; one [`LaneOp::ZipLo`] and one [`LaneOp::ZipHi`] of those halves.
fn unpack(ctx: &mut Ctx, insn: &Instruction, lane: Width, high: bool) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let s = ctx.sse_read128(insn, 1, false)?;
    let a = ctx.xmm_get(d);
    let (x, y) = if high { (a.hi, s.hi) } else { (a.lo, s.lo) };
    let r = if lane == Width::W64 {
        V128 { lo: x, hi: y }
    } else {
        let lo = ctx.lanes(LaneOp::ZipLo, lane, x, y);
        let hi = ctx.lanes(LaneOp::ZipHi, lane, x, y);
        V128 { lo, hi }
    };
    ctx.xmm_set(d, r);
    Ok(())
}

/// packsswb/packssdw/packuswb: dst's lanes narrowed into the low half, src's into the high.
fn pack(ctx: &mut Ctx, insn: &Instruction, op: LaneOp, lane: Width) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let s = ctx.sse_read128(insn, 1, false)?;
    let a = ctx.xmm_get(d);
    let lo = ctx.lanes(op, lane, a.lo, a.hi);
    let hi = ctx.lanes(op, lane, s.lo, s.hi);
    ctx.xmm_set(d, V128 { lo, hi });
    Ok(())
}

/// psll/psrl/psra by an imm8, or by the low quadword of an xmm register or m128 (whole, so
/// counts of the lane width or more give zero or sign fill, as [`LaneOp::Shl`] defines).
fn shift(ctx: &mut Ctx, insn: &Instruction, op: LaneOp, lane: Width) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    if insn.op_kind(1) == OpKind::Immediate8 && has_vshift(op, lane) {
        let a = ctx.xmm_get_v(d);
        let r = ctx.vshift(op, lane, a, insn.immediate(1) as u8);
        ctx.xmm_set_v(d, r);
        return Ok(());
    }
    let count = match insn.op_kind(1) {
        OpKind::Register | OpKind::Memory => ctx.sse_read128(insn, 1, false)?.lo,
        _ => ctx.constant(insn.immediate(1) & 0xff),
    };
    let a = ctx.xmm_get(d);
    let lo = ctx.lanes(op, lane, a.lo, count);
    let hi = ctx.lanes(op, lane, a.hi, count);
    ctx.xmm_set(d, V128 { lo, hi });
    Ok(())
}

const SSE_INT_HELPER: Helper = Helper { name: "sse_int", func: sse_int_helper, touches_memory: false };

/// pmaddwd, psadbw: the operands go to [`sse_int_helper`].
fn helper_op(ctx: &mut Ctx, insn: &Instruction, op: IntOp) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let src = ctx.sse_read128(insn, 1, false)?;
    let dst = ctx.constant(d as u64);
    let sel = ctx.constant(op as u64);
    ctx.call_void(SSE_INT_HELPER, &[dst, src.lo, src.hi, sel]);
    Ok(())
}

/// `xmm[dst] = op(xmm[dst], (lo, hi), imm)` for `sel = op | imm << 8`.
pub extern "C" fn sse_int_helper(state: *mut u8, dst: u64, lo: u64, hi: u64, sel: u64) -> u64 {
    // SAFETY: translated code passes its live X86State; `dst` is a vector slot number.
    let st = unsafe { &mut *(state as *mut X86State) };
    let Some(&op) = ALL_OPS.get((sel & 0xff) as usize) else { return 0 };
    let d = st.vector_slot(dst);
    let r = lanes(op, join(*d), join([lo, hi]), (sel >> 8) as u8);
    *d = [r as u64, (r >> 64) as u64];
    0
}

fn join(v: [u64; 2]) -> u128 {
    v[0] as u128 | (v[1] as u128) << 64
}

/// Lane `i` of `bits` bits.
fn lane(v: u128, bits: u32, i: u32) -> u64 {
    (v >> (i * bits)) as u64 & (u64::MAX >> (64 - bits))
}

fn sext(x: u64, bits: u32) -> i64 {
    ((x << (64 - bits)) as i64) >> (64 - bits)
}

/// Builds a vector of `128 / bits` lanes from `f(lane index)`.
fn build(bits: u32, f: impl Fn(u32) -> u64) -> u128 {
    (0..128 / bits).fold(0u128, |acc, i| acc | ((f(i) & (u64::MAX >> (64 - bits))) as u128) << (i * bits))
}

/// The semantics of every [`IntOp`] on whole 128-bit values.
pub fn lanes(op: IntOp, a: u128, b: u128, _imm: u8) -> u128 {
    match op {
        IntOp::Pmaddwd => build(32, |i| {
            let p = |j| sext(lane(a, 16, j), 16) * sext(lane(b, 16, j), 16);
            (p(2 * i) + p(2 * i + 1)) as u64
        }),
        IntOp::Psadbw => {
            build(64, |i| (0..8).map(|j| lane(a, 8, 8 * i + j).abs_diff(lane(b, 8, 8 * i + j))).sum())
        }
    }
}
