//! Bit and extension family: bt bts btr btc (register and immediate bit offsets, including a
//! register offset that addresses memory outside the operand), bsf bsr, tzcnt lzcnt popcnt,
//! bswap, movzx movsx movsxd, cbw cwde cdqe cwd cdq cqo.
//!
//! tzcnt, lzcnt and popcnt are implemented, and the cpuid feature constants in the module
//! root report POPCNT (leaf 1 ECX), LZCNT/ABM (leaf 0x8000_0001 ECX) and BMI1 (leaf 7 EBX,
//! with the rest of BMI1 in `bmi`) to match. Undefined
//! flags (bt*: OF SF AF PF; bsf/bsr: CF OF SF AF PF; tzcnt/lzcnt: OF SF AF PF) are left
//! unchanged.

use super::flags::Flags;
use super::operand::Operand;
use super::state::{off, reg};
use super::{Ctx, Handler, Unsupported};
use crate::ir::{BinOp, RmwOp, UnOp, Width};
use iced_x86::{Instruction, Mnemonic};

/// What a bit-test instruction does to the tested bit.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BitOp {
    Test,
    Set,
    Reset,
    Complement,
}

/// The bit-scan and counting instructions.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CountOp {
    Bsf,
    Bsr,
    Tzcnt,
    Lzcnt,
    Popcnt,
}

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    use Mnemonic as M;
    Some(match m {
        M::Bt => |c, i| bit_test(c, i, BitOp::Test),
        M::Bts => |c, i| bit_test(c, i, BitOp::Set),
        M::Btr => |c, i| bit_test(c, i, BitOp::Reset),
        M::Btc => |c, i| bit_test(c, i, BitOp::Complement),
        M::Bsf => |c, i| count(c, i, CountOp::Bsf),
        M::Bsr => |c, i| count(c, i, CountOp::Bsr),
        M::Tzcnt => |c, i| count(c, i, CountOp::Tzcnt),
        M::Lzcnt => |c, i| count(c, i, CountOp::Lzcnt),
        M::Popcnt => |c, i| count(c, i, CountOp::Popcnt),
        M::Bswap => bswap,
        M::Movzx => |c, i| extend(c, i, false),
        M::Movsx | M::Movsxd => |c, i| extend(c, i, true),
        M::Cbw => |c, _| extend_rax(c, Width::W8, Width::W16),
        M::Cwde => |c, _| extend_rax(c, Width::W16, Width::W32),
        M::Cdqe => |c, _| extend_rax(c, Width::W32, Width::W64),
        M::Cwd => |c, _| sign_into_rdx(c, Width::W16),
        M::Cdq => |c, _| sign_into_rdx(c, Width::W32),
        M::Cqo => |c, _| sign_into_rdx(c, Width::W64),
        _ => return None,
    })
}

fn bit_test(ctx: &mut Ctx, insn: &Instruction, op: BitOp) -> Result<(), Unsupported> {
    let mut dst = ctx.operand(insn, 0)?;
    let offset = ctx.operand(insn, 1)?;
    let w = dst.width();
    let log2_bits = w.bits().trailing_zeros() as u64;
    let bit = match offset {
        Operand::Imm { value, .. } => ctx.constant(value & (w.bits() as u64 - 1)),
        Operand::Gpr { .. } => {
            let off_val = ctx.read(offset);
            if let Operand::Mem { addr, width } = dst {
                // A register bit offset is a signed index from the operand's address: move the
                // address by whole operands (arithmetic shift), test the bit within one.
                let signed = ctx.ext(off_val, w, true);
                let units = ctx.bin_imm(BinOp::Ashr, signed, log2_bits, Width::W64);
                let bytes = ctx.bin_imm(BinOp::Shl, units, w.bytes().trailing_zeros() as u64, Width::W64);
                let moved = ctx.bin(BinOp::Add, addr, bytes, Width::W64);
                dst = Operand::Mem { addr: moved, width };
            }
            ctx.bin_imm(BinOp::And, off_val, w.bits() as u64 - 1, Width::W64)
        }
        Operand::Mem { .. } => return Err(Unsupported),
    };
    let one = ctx.constant(1);
    let mask = ctx.bin(BinOp::Shl, one, bit, Width::W64);
    let old = match (insn.has_lock_prefix(), dst, op) {
        (true, Operand::Mem { addr, .. }, BitOp::Set | BitOp::Reset | BitOp::Complement) => {
            let rmw = match op {
                BitOp::Set => RmwOp::Or,
                BitOp::Reset => RmwOp::AndNot,
                _ => RmwOp::Xor,
            };
            ctx.atomic_rmw(rmw, addr, mask, w)
        }
        (true, _, _) => return Err(Unsupported),
        _ => {
            let old = ctx.read(dst);
            let new = match op {
                BitOp::Test => None,
                BitOp::Set => Some(ctx.bin(BinOp::Or, old, mask, w)),
                BitOp::Reset => {
                    let inv = ctx.un(UnOp::Not, mask, w);
                    Some(ctx.bin(BinOp::And, old, inv, w))
                }
                BitOp::Complement => Some(ctx.bin(BinOp::Xor, old, mask, w)),
            };
            if let Some(new) = new {
                ctx.write(dst, new)?;
            }
            old
        }
    };
    let shifted = ctx.bin(BinOp::Lshr, old, bit, Width::W64);
    let cf = ctx.bin_imm(BinOp::And, shifted, 1, Width::W64);
    ctx.store_state(off::CF, cf, Width::W8);
    Ok(())
}

fn count(ctx: &mut Ctx, insn: &Instruction, op: CountOp) -> Result<(), Unsupported> {
    let dst = ctx.operand(insn, 0)?;
    let src = ctx.operand(insn, 1)?;
    let w = dst.width();
    let v = ctx.read(src);
    let src_zero = ctx.is_zero(v, w);
    let zero = ctx.constant(0);
    let (r, flags) = match op {
        CountOp::Bsf | CountOp::Bsr => {
            let index = if op == CountOp::Bsf {
                ctx.un(UnOp::Ctz, v, w)
            } else {
                let lz = ctx.un(UnOp::Clz, v, w);
                let top = ctx.constant(w.bits() as u64 - 1);
                ctx.bin(BinOp::Sub, top, lz, Width::W64)
            };
            // A zero source leaves the destination unchanged: all 64 bits of it, even for a
            // 32-bit destination (which is otherwise zero-extended), as the hardware does.
            if let Operand::Gpr { index: n, width: Width::W32, .. } = dst {
                let old = ctx.read_gpr(n, Width::W64);
                let r = ctx.select(src_zero, old, index);
                ctx.write_gpr(n, Width::W64, r);
                ctx.store_state(off::ZF, src_zero, Width::W8);
                return Ok(());
            }
            let old = ctx.read(dst);
            let r = ctx.select(src_zero, old, index);
            (r, Flags { zf: Some(src_zero), ..Flags::default() })
        }
        CountOp::Tzcnt | CountOp::Lzcnt => {
            let r = ctx.un(if op == CountOp::Tzcnt { UnOp::Ctz } else { UnOp::Clz }, v, w);
            let zf = ctx.is_zero(r, w);
            (r, Flags { cf: Some(src_zero), zf: Some(zf), ..Flags::default() })
        }
        CountOp::Popcnt => {
            let r = ctx.un(UnOp::Popcnt, v, w);
            let f = Flags {
                cf: Some(zero),
                pf: Some(zero),
                af: Some(zero),
                zf: Some(src_zero),
                sf: Some(zero),
                of: Some(zero),
            };
            (r, f)
        }
    };
    ctx.write(dst, r)?;
    ctx.set_flags(&flags);
    Ok(())
}

fn bswap(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let dst = ctx.operand(insn, 0)?;
    // bswap of a 16-bit register is undefined.
    if dst.width() == Width::W16 {
        return Err(Unsupported);
    }
    let v = ctx.read(dst);
    let r = ctx.un(UnOp::Bswap, v, dst.width());
    ctx.write(dst, r)
}

fn extend(ctx: &mut Ctx, insn: &Instruction, signed: bool) -> Result<(), Unsupported> {
    let dst = ctx.operand(insn, 0)?;
    let src = ctx.operand(insn, 1)?;
    let v = ctx.read(src);
    let r = if signed { ctx.ext(v, src.width(), true) } else { v };
    ctx.write(dst, r)
}

/// cbw/cwde/cdqe: sign-extend the low half of the accumulator into all of it.
fn extend_rax(ctx: &mut Ctx, from: Width, to: Width) -> Result<(), Unsupported> {
    let v = ctx.read_gpr(reg::RAX, from);
    let r = ctx.ext(v, from, true);
    ctx.write_gpr(reg::RAX, to, r);
    Ok(())
}

/// cwd/cdq/cqo: fill rdx (at width `w`) with the sign of rax.
fn sign_into_rdx(ctx: &mut Ctx, w: Width) -> Result<(), Unsupported> {
    let v = ctx.read_gpr(reg::RAX, w);
    let wide = ctx.ext(v, w, true);
    let r = ctx.bin_imm(BinOp::Ashr, wide, 63, Width::W64);
    ctx.write_gpr(reg::RDX, w, r);
    Ok(())
}
