//! Bit-manipulation families BMI1 (andn, bextr, blsi, blsmsk, blsr; its tzcnt is in `bits`)
//! and BMI2 (bzhi, mulx, pdep, pext, rorx, sarx, shlx, shrx): VEX-encoded, 32- and 64-bit
//! operands, each handler written once over the width.
//!
//! Flags as the SDM defines them. The flags it leaves undefined (AF and PF for all the flag
//! writers, SF for bextr) are left unchanged; mulx, pdep, pext, rorx and the shifts change no
//! flag. pdep and pext are loops over the mask's bits in the manual: rare and long as IR, so
//! one pure helper each ([`deposit`], [`extract`]).

use super::flags::Flags;
use super::{Ctx, Handler, Unsupported};
use crate::ir::{BinOp, CmpOp, Helper, Temp, UnOp, Width};
use iced_x86::{Instruction, Mnemonic};

/// The three-operand bit-field instructions (destination, source, control).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Field {
    /// Bit-field extract: start in control bits 7:0, length in bits 15:8.
    Bextr,
    /// Zero the bits from the index in control bits 7:0 up.
    Bzhi,
}

/// The lowest-set-bit instructions.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum LowestBit {
    /// Isolate it: `src & -src`.
    Blsi,
    /// Mask up to it: `src ^ (src - 1)`.
    Blsmsk,
    /// Reset it: `src & (src - 1)`.
    Blsr,
}

/// The flagless shifts and rotate.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Shift {
    Sarx,
    Shlx,
    Shrx,
    Rorx,
}

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    use Mnemonic as M;
    Some(match m {
        M::Andn => andn,
        M::Bextr => |c, i| bit_field(c, i, Field::Bextr),
        M::Bzhi => |c, i| bit_field(c, i, Field::Bzhi),
        M::Blsi => |c, i| lowest_bit(c, i, LowestBit::Blsi),
        M::Blsmsk => |c, i| lowest_bit(c, i, LowestBit::Blsmsk),
        M::Blsr => |c, i| lowest_bit(c, i, LowestBit::Blsr),
        M::Mulx => mulx,
        M::Pdep => |c, i| deposit_extract(c, i, PDEP),
        M::Pext => |c, i| deposit_extract(c, i, PEXT),
        M::Sarx => |c, i| shift(c, i, Shift::Sarx),
        M::Shlx => |c, i| shift(c, i, Shift::Shlx),
        M::Shrx => |c, i| shift(c, i, Shift::Shrx),
        M::Rorx => |c, i| shift(c, i, Shift::Rorx),
        _ => return None,
    })
}

/// andn dst, src1, src2: `dst = !src1 & src2`; SF ZF from the result, CF = OF = 0.
fn andn(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let dst = ctx.operand(insn, 0)?;
    let w = dst.width();
    let a = ctx.read_operand(insn, 1)?;
    let b = ctx.read_operand(insn, 2)?;
    let not_a = ctx.un(UnOp::Not, a, w);
    let r = ctx.bin(BinOp::And, not_a, b, w);
    ctx.write(dst, r)?;
    let zero = ctx.constant(0);
    let flags = Flags {
        cf: Some(zero),
        of: Some(zero),
        sf: Some(ctx.sign(r, w)),
        zf: Some(ctx.is_zero(r, w)),
        ..Flags::default()
    };
    ctx.set_flags(&flags);
    Ok(())
}

/// `(1 << n) - 1` at 64 bits for `n` in 0..64, all ones for `n >= 64` (n is a byte, 0..=255).
fn low_mask(ctx: &mut Ctx, n: Temp) -> Temp {
    let one = ctx.constant(1);
    let bit = ctx.bin(BinOp::Shl, one, n, Width::W64);
    let mask = ctx.bin_imm(BinOp::Sub, bit, 1, Width::W64);
    let wide = ctx.cmp_imm(CmpOp::Uge, n, 64, Width::W64);
    let ones = ctx.constant(u64::MAX);
    ctx.select(wide, ones, mask)
}

/// bextr dst, src, control: `dst = (src >> start) & ((1 << len) - 1)` with bits beyond the
/// operand zero (start >= width gives 0, len >= width keeps everything); ZF from the
/// result, CF = OF = 0.
///
/// bzhi dst, src, index: `dst = src` with bits from `index` (control bits 7:0) up cleared;
/// an index >= width keeps everything and sets CF (else CF = 0); SF ZF from the result,
/// OF = 0.
fn bit_field(ctx: &mut Ctx, insn: &Instruction, op: Field) -> Result<(), Unsupported> {
    let dst = ctx.operand(insn, 0)?;
    let w = dst.width();
    let src = ctx.read_operand(insn, 1)?;
    let control = ctx.read_operand(insn, 2)?;
    let bits = w.bits() as u64;
    let zero = ctx.constant(0);
    let low = ctx.bin_imm(BinOp::And, control, 0xff, Width::W64);
    let (r, flags) = match op {
        Field::Bextr => {
            let len = ctx.bin_imm(BinOp::Lshr, control, 8, Width::W64);
            let len = ctx.bin_imm(BinOp::And, len, 0xff, Width::W64);
            // `src` is zero-extended, so a 64-bit shift by start < 64 brings in zeros; a
            // start of 64 or more (the IR's count would wrap) gives 0.
            let shifted = ctx.bin(BinOp::Lshr, src, low, Width::W64);
            let gone = ctx.cmp_imm(CmpOp::Uge, low, bits, Width::W64);
            let shifted = ctx.select(gone, zero, shifted);
            let mask = low_mask(ctx, len);
            let r = ctx.bin(BinOp::And, shifted, mask, w);
            let zf = ctx.is_zero(r, w);
            (r, Flags { cf: Some(zero), of: Some(zero), zf: Some(zf), ..Flags::default() })
        }
        Field::Bzhi => {
            let mask = low_mask(ctx, low);
            let r = ctx.bin(BinOp::And, src, mask, w);
            let cf = ctx.cmp_imm(CmpOp::Uge, low, bits, Width::W64);
            let flags = Flags {
                cf: Some(cf),
                of: Some(zero),
                sf: Some(ctx.sign(r, w)),
                zf: Some(ctx.is_zero(r, w)),
                ..Flags::default()
            };
            (r, flags)
        }
    };
    ctx.write(dst, r)?;
    ctx.set_flags(&flags);
    Ok(())
}

/// blsi / blsmsk / blsr dst, src. SF from the result, OF = 0; ZF from the result (blsmsk:
/// ZF = 0); CF: blsi sets it for a non-zero source, blsmsk and blsr for a zero source.
fn lowest_bit(ctx: &mut Ctx, insn: &Instruction, op: LowestBit) -> Result<(), Unsupported> {
    let dst = ctx.operand(insn, 0)?;
    let w = dst.width();
    let src = ctx.read_operand(insn, 1)?;
    let src_zero = ctx.is_zero(src, w);
    let zero = ctx.constant(0);
    let (r, cf) = match op {
        LowestBit::Blsi => {
            let neg = ctx.un(UnOp::Neg, src, w);
            let r = ctx.bin(BinOp::And, src, neg, w);
            (r, ctx.bin_imm(BinOp::Xor, src_zero, 1, Width::W8))
        }
        LowestBit::Blsmsk | LowestBit::Blsr => {
            let less = ctx.bin_imm(BinOp::Sub, src, 1, w);
            let combine = if op == LowestBit::Blsmsk { BinOp::Xor } else { BinOp::And };
            (ctx.bin(combine, src, less, w), src_zero)
        }
    };
    ctx.write(dst, r)?;
    let zf = if op == LowestBit::Blsmsk { zero } else { ctx.is_zero(r, w) };
    let flags =
        Flags { cf: Some(cf), of: Some(zero), sf: Some(ctx.sign(r, w)), zf: Some(zf), ..Flags::default() };
    ctx.set_flags(&flags);
    Ok(())
}

/// mulx hi, lo, src: `hi:lo = rdx * src` (edx at 32 bits), unsigned; no flags. When both
/// destinations are one register it ends with the high half.
fn mulx(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let hi = ctx.operand(insn, 0)?;
    let lo = ctx.operand(insn, 1)?;
    let w = hi.width();
    let src = ctx.read_operand(insn, 2)?;
    let rdx = ctx.read_gpr(super::state::reg::RDX, w);
    let low = ctx.bin(BinOp::Mul, rdx, src, w);
    let high = ctx.bin(BinOp::MulHiU, rdx, src, w);
    ctx.write(lo, low)?;
    ctx.write(hi, high)
}

/// sarx / shlx / shrx dst, src, count (count masked to 5 or 6 bits, as the IR's shifts do),
/// and rorx dst, src, imm8; no flags.
fn shift(ctx: &mut Ctx, insn: &Instruction, op: Shift) -> Result<(), Unsupported> {
    let dst = ctx.operand(insn, 0)?;
    let w = dst.width();
    let src = ctx.read_operand(insn, 1)?;
    let count = ctx.read_operand(insn, 2)?;
    let bin = match op {
        Shift::Sarx => BinOp::Ashr,
        Shift::Shlx => BinOp::Shl,
        Shift::Shrx => BinOp::Lshr,
        Shift::Rorx => BinOp::Rotr,
    };
    let r = ctx.bin(bin, src, count, w);
    ctx.write(dst, r)
}

const PDEP: Helper = Helper { name: "x86_pdep", func: pdep_helper, touches_memory: false };
const PEXT: Helper = Helper { name: "x86_pext", func: pext_helper, touches_memory: false };

/// pdep / pext dst, src, mask: a pure helper of (src, mask); a 32-bit form passes the
/// operands zero-extended, so the result fits in 32 bits. No flags.
fn deposit_extract(ctx: &mut Ctx, insn: &Instruction, helper: Helper) -> Result<(), Unsupported> {
    let dst = ctx.operand(insn, 0)?;
    let src = ctx.read_operand(insn, 1)?;
    let mask = ctx.read_operand(insn, 2)?;
    let r = ctx.call(helper, &[src, mask]);
    ctx.write(dst, r)
}

/// Parallel bits deposit: the low bits of `src`, in order, go to the set bits of `mask`.
pub fn deposit(src: u64, mut mask: u64) -> u64 {
    let mut r = 0;
    let mut k = 0;
    while mask != 0 {
        let bit = mask & mask.wrapping_neg();
        if src >> k & 1 != 0 {
            r |= bit;
        }
        mask &= mask - 1;
        k += 1;
    }
    r
}

/// Parallel bits extract: the bits of `src` at the set bits of `mask`, packed at the bottom.
pub fn extract(src: u64, mut mask: u64) -> u64 {
    let mut r = 0;
    let mut k = 0;
    while mask != 0 {
        let bit = mask & mask.wrapping_neg();
        if src & bit != 0 {
            r |= 1 << k;
        }
        mask &= mask - 1;
        k += 1;
    }
    r
}

extern "C" fn pdep_helper(_: *mut u8, src: u64, mask: u64, _: u64, _: u64) -> u64 {
    deposit(src, mask)
}

extern "C" fn pext_helper(_: *mut u8, src: u64, mask: u64, _: u64, _: u64) -> u64 {
    extract(src, mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deposit_and_extract_move_bits_through_the_mask() {
        // Mask bits 1, 4, 5, 7 and 40: source bits 0..5 land there in order.
        let mask = 0b1011_0010u64 | 1 << 40;
        assert_eq!(deposit(0b10101, mask), 1 << 1 | 1 << 5 | 1 << 40);
        assert_eq!(extract(1 << 1 | 1 << 5 | 1 << 40, mask), 0b10101);
        assert_eq!(deposit(u64::MAX, 0), 0);
        assert_eq!(extract(u64::MAX, 0), 0);
        assert_eq!(extract(u64::MAX, u64::MAX), u64::MAX);
        assert_eq!(deposit(0x1234_5678_9abc_def0, u64::MAX), 0x1234_5678_9abc_def0);
        let m = 0xff00_ff00_f0f0_0ff0u64;
        assert_eq!(extract(deposit(0x1234_5678_9abc_def0, m), m), 0x9abc_def0);
    }
}
