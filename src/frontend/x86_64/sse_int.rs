//! SSE2 integer SIMD (what glibc's and musl's string and memory functions and gcc's
//! vectoriser use) and the lane shuffles shared with the float forms.
//!
//! - Bitwise and/andn/or/xor (p*, *ps, *pd), paddq/psubq, pmovmskb/movmskps/movmskpd,
//!   pextrw/pinsrw, and (for the string functions' hot loops) pcmpeqb and pminub as SWAR:
//!   plain 64-bit IR on the two halves.
//! - Everything lane-wise (add/sub with and without saturation, compares, min/max, multiplies,
//!   psadbw, unpack, pack, shifts, shuffles): one Rust helper, [`sse_int_helper`], that runs
//!   [`lanes`] on the whole register with the operation as a parameter. The helper is
//!   portable, so both hosts share the exact semantics.

use super::sse_move::{xmm_operand, V128};
use super::{Ctx, Handler, Unsupported};
use crate::frontend::x86_64::state::off;
use crate::frontend::x86_64::X86State;
use crate::ir::{BinOp, Helper, LaneOp, StateOffset, Temp, Width};
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

int_ops!(
    Paddb, Paddw, Paddd, Psubb, Psubw, Psubd, Paddusb, Paddusw, Psubusb, Psubusw, Paddsb, Paddsw, Psubsb,
    Psubsw, Pcmpeqb, Pcmpeqw, Pcmpeqd, Pcmpgtb, Pcmpgtw, Pcmpgtd, Pminub, Pmaxub, Pminsw, Pmaxsw, Pavgb,
    Pavgw, Pmullw, Pmulhw, Pmulhuw, Pmuludq, Pmaddwd, Psadbw, Punpcklbw, Punpcklwd, Punpckldq, Punpcklqdq,
    Punpckhbw, Punpckhwd, Punpckhdq, Punpckhqdq, Packsswb, Packssdw, Packuswb, Psllw, Pslld, Psllq, Psrlw,
    Psrld, Psrlq, Psraw, Psrad, Pslldq, Psrldq, Pshufd, Pshuflw, Pshufhw, Shufps, Shufpd,
);

/// How the frontend feeds an [`IntOp`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// `dst = op(dst, src)`, src an xmm register or aligned m128.
    Binary,
    /// `dst = op(dst, src, imm8)`.
    BinaryImm,
    /// `dst = op(src, imm8)` (pshufd and friends).
    UnaryImm,
    /// A shift whose count is an xmm register, m128 or an immediate.
    Shift,
    /// pslldq/psrldq: byte shift by an immediate.
    ByteShift,
}

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    use IntOp::*;
    macro_rules! h {
        ($op:expr, $form:expr) => {
            |c, i| lanewise(c, i, $op, $form)
        };
    }
    Some(match m {
        Mnemonic::Pand | Mnemonic::Andps | Mnemonic::Andpd => |c, i| bitwise(c, i, BinOp::And, false),
        Mnemonic::Pandn | Mnemonic::Andnps | Mnemonic::Andnpd => |c, i| bitwise(c, i, BinOp::And, true),
        Mnemonic::Por | Mnemonic::Orps | Mnemonic::Orpd => |c, i| bitwise(c, i, BinOp::Or, false),
        Mnemonic::Pxor | Mnemonic::Xorps | Mnemonic::Xorpd => |c, i| bitwise(c, i, BinOp::Xor, false),
        Mnemonic::Paddq => |c, i| add_sub_q(c, i, BinOp::Add),
        Mnemonic::Psubq => |c, i| add_sub_q(c, i, BinOp::Sub),
        Mnemonic::Pmovmskb => |c, i| movemask(c, i, 8),
        Mnemonic::Movmskps => |c, i| movemask(c, i, 32),
        Mnemonic::Movmskpd => |c, i| movemask(c, i, 64),
        Mnemonic::Pextrw => pextrw,
        Mnemonic::Pinsrw => pinsrw,
        Mnemonic::Paddb => |c, i| lane_arith(c, i, LaneOp::Add, Width::W8),
        Mnemonic::Paddw => |c, i| lane_arith(c, i, LaneOp::Add, Width::W16),
        Mnemonic::Paddd => |c, i| lane_arith(c, i, LaneOp::Add, Width::W32),
        Mnemonic::Psubb => |c, i| lane_arith(c, i, LaneOp::Sub, Width::W8),
        Mnemonic::Psubw => |c, i| lane_arith(c, i, LaneOp::Sub, Width::W16),
        Mnemonic::Psubd => |c, i| lane_arith(c, i, LaneOp::Sub, Width::W32),
        Mnemonic::Paddusb => |c, i| lane_arith(c, i, LaneOp::AddSatU, Width::W8),
        Mnemonic::Paddusw => |c, i| lane_arith(c, i, LaneOp::AddSatU, Width::W16),
        Mnemonic::Psubusb => |c, i| lane_arith(c, i, LaneOp::SubSatU, Width::W8),
        Mnemonic::Psubusw => |c, i| lane_arith(c, i, LaneOp::SubSatU, Width::W16),
        Mnemonic::Paddsb => |c, i| lane_arith(c, i, LaneOp::AddSatS, Width::W8),
        Mnemonic::Paddsw => |c, i| lane_arith(c, i, LaneOp::AddSatS, Width::W16),
        Mnemonic::Psubsb => |c, i| lane_arith(c, i, LaneOp::SubSatS, Width::W8),
        Mnemonic::Psubsw => |c, i| lane_arith(c, i, LaneOp::SubSatS, Width::W16),
        // The hot loops of glibc's SSE2 string functions: plain IR, no helper call.
        Mnemonic::Pcmpeqb => |c, i| swar(c, i, cmpeq_bytes),
        Mnemonic::Pcmpeqw => h!(Pcmpeqw, Form::Binary),
        Mnemonic::Pcmpeqd => h!(Pcmpeqd, Form::Binary),
        Mnemonic::Pcmpgtb => h!(Pcmpgtb, Form::Binary),
        Mnemonic::Pcmpgtw => h!(Pcmpgtw, Form::Binary),
        Mnemonic::Pcmpgtd => h!(Pcmpgtd, Form::Binary),
        Mnemonic::Pminub => |c, i| swar(c, i, min_bytes),
        Mnemonic::Pmaxub => h!(Pmaxub, Form::Binary),
        Mnemonic::Pminsw => h!(Pminsw, Form::Binary),
        Mnemonic::Pmaxsw => h!(Pmaxsw, Form::Binary),
        Mnemonic::Pavgb => h!(Pavgb, Form::Binary),
        Mnemonic::Pavgw => h!(Pavgw, Form::Binary),
        Mnemonic::Pmullw => h!(Pmullw, Form::Binary),
        Mnemonic::Pmulhw => h!(Pmulhw, Form::Binary),
        Mnemonic::Pmulhuw => h!(Pmulhuw, Form::Binary),
        Mnemonic::Pmuludq => h!(Pmuludq, Form::Binary),
        Mnemonic::Pmaddwd => h!(Pmaddwd, Form::Binary),
        Mnemonic::Psadbw => h!(Psadbw, Form::Binary),
        Mnemonic::Punpcklbw => h!(Punpcklbw, Form::Binary),
        Mnemonic::Punpcklwd => h!(Punpcklwd, Form::Binary),
        Mnemonic::Punpckldq | Mnemonic::Unpcklps => h!(Punpckldq, Form::Binary),
        Mnemonic::Punpcklqdq | Mnemonic::Unpcklpd => h!(Punpcklqdq, Form::Binary),
        Mnemonic::Punpckhbw => h!(Punpckhbw, Form::Binary),
        Mnemonic::Punpckhwd => h!(Punpckhwd, Form::Binary),
        Mnemonic::Punpckhdq | Mnemonic::Unpckhps => h!(Punpckhdq, Form::Binary),
        Mnemonic::Punpckhqdq | Mnemonic::Unpckhpd => h!(Punpckhqdq, Form::Binary),
        Mnemonic::Packsswb => h!(Packsswb, Form::Binary),
        Mnemonic::Packssdw => h!(Packssdw, Form::Binary),
        Mnemonic::Packuswb => h!(Packuswb, Form::Binary),
        Mnemonic::Psllw => h!(Psllw, Form::Shift),
        Mnemonic::Pslld => h!(Pslld, Form::Shift),
        Mnemonic::Psllq => h!(Psllq, Form::Shift),
        Mnemonic::Psrlw => h!(Psrlw, Form::Shift),
        Mnemonic::Psrld => h!(Psrld, Form::Shift),
        Mnemonic::Psrlq => h!(Psrlq, Form::Shift),
        Mnemonic::Psraw => h!(Psraw, Form::Shift),
        Mnemonic::Psrad => h!(Psrad, Form::Shift),
        Mnemonic::Pslldq => h!(Pslldq, Form::ByteShift),
        Mnemonic::Psrldq => h!(Psrldq, Form::ByteShift),
        Mnemonic::Pshufd => h!(Pshufd, Form::UnaryImm),
        Mnemonic::Pshuflw => h!(Pshuflw, Form::UnaryImm),
        Mnemonic::Pshufhw => h!(Pshufhw, Form::UnaryImm),
        Mnemonic::Shufps => h!(Shufps, Form::BinaryImm),
        Mnemonic::Shufpd => h!(Shufpd, Form::BinaryImm),
        _ => return None,
    })
}

/// The destination xmm register of a two-operand SSE instruction (MMX forms are rejected).
fn dst_xmm(insn: &Instruction) -> Result<usize, Unsupported> {
    xmm_operand(insn, 0).ok_or(Unsupported)
}

/// and/andn/or/xor on both halves; `invert_dst` gives andn (`!dst & src`).
fn bitwise(ctx: &mut Ctx, insn: &Instruction, op: BinOp, invert_dst: bool) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let s = ctx.sse_read128(insn, 1, false)?;
    let a = ctx.xmm_get(d);
    let half = |ctx: &mut Ctx, x: Temp, y: Temp| {
        let x = if invert_dst { ctx.un(crate::ir::UnOp::Not, x, Width::W64) } else { x };
        ctx.bin(op, x, y, Width::W64)
    };
    let lo = half(ctx, a.lo, s.lo);
    let hi = half(ctx, a.hi, s.hi);
    ctx.xmm_set(d, V128 { lo, hi });
    Ok(())
}

/// paddq/psubq: one 64-bit op per half.
/// paddb/w/d, psubb/w/d and the saturating forms: one [`LaneOp`] per 64-bit half.
fn lane_arith(ctx: &mut Ctx, insn: &Instruction, op: LaneOp, lane: Width) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let s = ctx.sse_read128(insn, 1, false)?;
    let a = ctx.xmm_get(d);
    let lo = ctx.lanes(op, lane, a.lo, s.lo);
    let hi = ctx.lanes(op, lane, a.hi, s.hi);
    ctx.xmm_set(d, V128 { lo, hi });
    Ok(())
}

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
    let mask = ctx.bin(BinOp::Or, lo, hi, Width::W64);
    let dst = ctx.operand(insn, 0)?;
    ctx.write(dst, mask)
}

/// pextrw r32/r64, xmm, imm8: the selected word, zero-extended.
fn pextrw(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let s = xmm_operand(insn, 1).ok_or(Unsupported)?;
    let lane = (insn.immediate(2) & 7) as u32;
    let v = ctx.load_state(StateOffset(off::xmm(s).0 + 2 * lane), Width::W16);
    let dst = ctx.operand(insn, 0)?;
    if dst.is_mem() {
        return Err(Unsupported);
    }
    ctx.write(dst, v)
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

/// Applies a per-half byte-wise operation written in 64-bit IR (SWAR) to dst and src.
fn swar(ctx: &mut Ctx, insn: &Instruction, f: fn(&mut Ctx, Temp, Temp) -> Temp) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let s = ctx.sse_read128(insn, 1, false)?;
    let a = ctx.xmm_get(d);
    let lo = f(ctx, a.lo, s.lo);
    let hi = f(ctx, a.hi, s.hi);
    ctx.xmm_set(d, V128 { lo, hi });
    Ok(())
}

const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HIGH1: u64 = 0x8080_8080_8080_8080;

/// 0x80 in each byte of `x` whose top bit is set, 0 elsewhere, widened to 0xff / 0x00.
fn widen_top_bits(ctx: &mut Ctx, x: Temp) -> Temp {
    let bits = ctx.bin_imm(BinOp::And, x, HIGH1, Width::W64);
    let ones = ctx.bin_imm(BinOp::Lshr, bits, 7, Width::W64);
    // 0x01 * 0xff per byte: no carries between bytes.
    ctx.bin_imm(BinOp::Mul, ones, 0xff, Width::W64)
}

/// pcmpeqb on 64 bits: 0xff where the bytes are equal. A byte of `a ^ b` is zero iff adding
/// 0x7f to its low seven bits and or-ing the byte leaves the top bit clear (no carry leaves
/// the byte).
fn cmpeq_bytes(ctx: &mut Ctx, a: Temp, b: Temp) -> Temp {
    let x = ctx.bin(BinOp::Xor, a, b, Width::W64);
    let low = ctx.bin_imm(BinOp::And, x, LOW7, Width::W64);
    let sum = ctx.bin_imm(BinOp::Add, low, LOW7, Width::W64);
    let nonzero = ctx.bin(BinOp::Or, sum, x, Width::W64);
    let zero = ctx.un(crate::ir::UnOp::Not, nonzero, Width::W64);
    widen_top_bits(ctx, zero)
}

/// pminub on 64 bits: the per-byte unsigned minimum. The borrow out of each byte of `a - b`
/// (computed without borrows crossing bytes) says `a < b` there.
fn min_bytes(ctx: &mut Ctx, a: Temp, b: Temp) -> Temp {
    use crate::ir::UnOp::Not;
    // Per-byte difference: ((a | 0x80..) - (b & 0x7f..)) ^ ((a ^ !b) & 0x80..).
    let a_hi = ctx.bin_imm(BinOp::Or, a, HIGH1, Width::W64);
    let b_lo = ctx.bin_imm(BinOp::And, b, LOW7, Width::W64);
    let partial = ctx.bin(BinOp::Sub, a_hi, b_lo, Width::W64);
    let not_b = ctx.un(Not, b, Width::W64);
    let same_top = ctx.bin(BinOp::Xor, a, not_b, Width::W64);
    let fix = ctx.bin_imm(BinOp::And, same_top, HIGH1, Width::W64);
    let diff = ctx.bin(BinOp::Xor, partial, fix, Width::W64);
    // Borrow out of bit 7: (!a & b) | (!(a ^ b) & diff).
    let not_a = ctx.un(Not, a, Width::W64);
    let t1 = ctx.bin(BinOp::And, not_a, b, Width::W64);
    let a_xor_b = ctx.bin(BinOp::Xor, a, b, Width::W64);
    let eq_bits = ctx.un(Not, a_xor_b, Width::W64);
    let t2 = ctx.bin(BinOp::And, eq_bits, diff, Width::W64);
    let borrow = ctx.bin(BinOp::Or, t1, t2, Width::W64);
    let a_less = widen_top_bits(ctx, borrow);
    let from_a = ctx.bin(BinOp::And, a, a_less, Width::W64);
    let not_less = ctx.un(Not, a_less, Width::W64);
    let from_b = ctx.bin(BinOp::And, b, not_less, Width::W64);
    ctx.bin(BinOp::Or, from_a, from_b, Width::W64)
}

const SSE_INT_HELPER: Helper = Helper { name: "sse_int", func: sse_int_helper };

/// Every lane-wise operation: the operands go to [`sse_int_helper`].
fn lanewise(ctx: &mut Ctx, insn: &Instruction, op: IntOp, form: Form) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let (src, imm) = match form {
        Form::Binary => (ctx.sse_read128(insn, 1, false)?, 0),
        Form::BinaryImm | Form::UnaryImm => (ctx.sse_read128(insn, 1, false)?, insn.immediate(2) as u8),
        Form::Shift | Form::ByteShift
            if insn.op_kind(1) != OpKind::Register && insn.op_kind(1) != OpKind::Memory =>
        {
            let count = ctx.constant(insn.immediate(1) & 0xff);
            let zero = ctx.constant(0);
            (V128 { lo: count, hi: zero }, 0)
        }
        Form::Shift => (ctx.sse_read128(insn, 1, false)?, 0),
        Form::ByteShift => return Err(Unsupported),
    };
    let dst = ctx.constant(d as u64);
    let sel = ctx.constant(op as u64 | (imm as u64) << 8);
    ctx.call_void(SSE_INT_HELPER, &[dst, src.lo, src.hi, sel]);
    Ok(())
}

/// `xmm[dst] = op(xmm[dst], (lo, hi), imm)` for `sel = op | imm << 8`.
pub extern "C" fn sse_int_helper(state: *mut u8, dst: u64, lo: u64, hi: u64, sel: u64) -> u64 {
    // SAFETY: translated code passes its live X86State; `dst` < 16 comes from the decoder.
    let st = unsafe { &mut *(state as *mut X86State) };
    let Some(&op) = ALL_OPS.get((sel & 0xff) as usize) else { return 0 };
    let d = &mut st.xmm[dst as usize & 15];
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

/// Lane-wise `f(a_lane, b_lane)`.
fn map2(a: u128, b: u128, bits: u32, f: impl Fn(u64, u64) -> u64) -> u128 {
    build(bits, |i| f(lane(a, bits, i), lane(b, bits, i)))
}

fn saturate_signed(v: i64, bits: u32) -> u64 {
    let max = (1i64 << (bits - 1)) - 1;
    v.clamp(-max - 1, max) as u64
}

fn saturate_unsigned(v: i64, bits: u32) -> u64 {
    v.clamp(0, (1i64 << bits) - 1) as u64
}

/// Interleaves the low (or high) halves of `a` and `b`: a0 b0 a1 b1 ...
fn unpack(a: u128, b: u128, bits: u32, high: bool) -> u128 {
    let base = if high { 64 / bits } else { 0 };
    build(bits, |i| if i % 2 == 0 { lane(a, bits, base + i / 2) } else { lane(b, bits, base + i / 2) })
}

/// Narrows the `2*bits` lanes of `a` then `b` to `bits` with saturation.
fn pack(a: u128, b: u128, bits: u32, signed_out: bool) -> u128 {
    let wide = 2 * bits;
    let n = 64 / bits; // source lanes per register
    build(bits, |i| {
        let (src, j) = if i < n { (a, i) } else { (b, i - n) };
        let v = sext(lane(src, wide, j), wide);
        if signed_out {
            saturate_signed(v, bits)
        } else {
            saturate_unsigned(v, bits)
        }
    })
}

/// Lane shift by the 64-bit count in the low half of `b`: counts past the lane width give
/// zero (or all sign bits for arithmetic shifts).
fn shift(a: u128, b: u128, bits: u32, kind: BinOp) -> u128 {
    let count = b as u64;
    build(bits, |i| {
        let x = lane(a, bits, i);
        match kind {
            BinOp::Shl if count < bits as u64 => x << count,
            BinOp::Lshr if count < bits as u64 => x >> count,
            BinOp::Ashr => (sext(x, bits) >> count.min(bits as u64 - 1)) as u64,
            _ => 0,
        }
    })
}

/// The semantics of every [`IntOp`] on whole 128-bit values.
pub fn lanes(op: IntOp, a: u128, b: u128, imm: u8) -> u128 {
    use IntOp::*;
    let wrap = |bits, f: fn(u64, u64) -> u64| map2(a, b, bits, f);
    let sat = |bits: u32, signed: bool, sub: bool| {
        map2(a, b, bits, |x, y| {
            let (x, y) = if signed { (sext(x, bits), sext(y, bits)) } else { (x as i64, y as i64) };
            let v = if sub { x - y } else { x + y };
            if signed {
                saturate_signed(v, bits)
            } else {
                saturate_unsigned(v, bits)
            }
        })
    };
    let mask = |c: bool| if c { u64::MAX } else { 0 };
    match op {
        Paddb => wrap(8, u64::wrapping_add),
        Paddw => wrap(16, u64::wrapping_add),
        Paddd => wrap(32, u64::wrapping_add),
        Psubb => wrap(8, u64::wrapping_sub),
        Psubw => wrap(16, u64::wrapping_sub),
        Psubd => wrap(32, u64::wrapping_sub),
        Paddusb => sat(8, false, false),
        Paddusw => sat(16, false, false),
        Psubusb => sat(8, false, true),
        Psubusw => sat(16, false, true),
        Paddsb => sat(8, true, false),
        Paddsw => sat(16, true, false),
        Psubsb => sat(8, true, true),
        Psubsw => sat(16, true, true),
        Pcmpeqb => map2(a, b, 8, |x, y| mask(x == y)),
        Pcmpeqw => map2(a, b, 16, |x, y| mask(x == y)),
        Pcmpeqd => map2(a, b, 32, |x, y| mask(x == y)),
        Pcmpgtb => map2(a, b, 8, |x, y| mask(sext(x, 8) > sext(y, 8))),
        Pcmpgtw => map2(a, b, 16, |x, y| mask(sext(x, 16) > sext(y, 16))),
        Pcmpgtd => map2(a, b, 32, |x, y| mask(sext(x, 32) > sext(y, 32))),
        Pminub => wrap(8, u64::min),
        Pmaxub => wrap(8, u64::max),
        Pminsw => map2(a, b, 16, |x, y| sext(x, 16).min(sext(y, 16)) as u64),
        Pmaxsw => map2(a, b, 16, |x, y| sext(x, 16).max(sext(y, 16)) as u64),
        Pavgb => wrap(8, |x, y| (x + y + 1) >> 1),
        Pavgw => wrap(16, |x, y| (x + y + 1) >> 1),
        Pmullw => wrap(16, |x, y| x.wrapping_mul(y)),
        Pmulhw => map2(a, b, 16, |x, y| ((sext(x, 16) * sext(y, 16)) >> 16) as u64),
        Pmulhuw => wrap(16, |x, y| (x * y) >> 16),
        Pmuludq => build(64, |i| lane(a, 64, i) as u32 as u64 * lane(b, 64, i) as u32 as u64),
        Pmaddwd => build(32, |i| {
            let p = |j| sext(lane(a, 16, j), 16) * sext(lane(b, 16, j), 16);
            (p(2 * i) + p(2 * i + 1)) as u64
        }),
        Psadbw => build(64, |i| (0..8).map(|j| lane(a, 8, 8 * i + j).abs_diff(lane(b, 8, 8 * i + j))).sum()),
        Punpcklbw => unpack(a, b, 8, false),
        Punpcklwd => unpack(a, b, 16, false),
        Punpckldq => unpack(a, b, 32, false),
        Punpcklqdq => unpack(a, b, 64, false),
        Punpckhbw => unpack(a, b, 8, true),
        Punpckhwd => unpack(a, b, 16, true),
        Punpckhdq => unpack(a, b, 32, true),
        Punpckhqdq => unpack(a, b, 64, true),
        Packsswb => pack(a, b, 8, true),
        Packssdw => pack(a, b, 16, true),
        Packuswb => pack(a, b, 8, false),
        Psllw => shift(a, b, 16, BinOp::Shl),
        Pslld => shift(a, b, 32, BinOp::Shl),
        Psllq => shift(a, b, 64, BinOp::Shl),
        Psrlw => shift(a, b, 16, BinOp::Lshr),
        Psrld => shift(a, b, 32, BinOp::Lshr),
        Psrlq => shift(a, b, 64, BinOp::Lshr),
        Psraw => shift(a, b, 16, BinOp::Ashr),
        Psrad => shift(a, b, 32, BinOp::Ashr),
        Pslldq => {
            let n = (b as u64).min(16) as u32;
            if n >= 16 {
                0
            } else {
                a << (8 * n)
            }
        }
        Psrldq => {
            let n = (b as u64).min(16) as u32;
            if n >= 16 {
                0
            } else {
                a >> (8 * n)
            }
        }
        Pshufd => build(32, |i| lane(b, 32, (imm as u32 >> (2 * i)) & 3)),
        Pshuflw => {
            build(16, |i| if i < 4 { lane(b, 16, (imm as u32 >> (2 * i)) & 3) } else { lane(b, 16, i) })
        }
        Pshufhw => build(16, |i| {
            if i >= 4 {
                lane(b, 16, 4 + ((imm as u32 >> (2 * (i - 4))) & 3))
            } else {
                lane(b, 16, i)
            }
        }),
        Shufps => build(32, |i| {
            let sel = (imm as u32 >> (2 * i)) & 3;
            if i < 2 {
                lane(a, 32, sel)
            } else {
                lane(b, 32, sel)
            }
        }),
        Shufpd => {
            build(
                64,
                |i| if i == 0 { lane(a, 64, imm as u32 & 1) } else { lane(b, 64, (imm as u32 >> 1) & 1) },
            )
        }
    }
}
