//! Data movement without arithmetic: mov (all forms incl. moffs and movabs), xchg (atomic with
//! memory), cmovcc, setcc, lea, nop (0x90) and pause (the 0F 1F nops, endbr and prefetches are in `nop_space`),
//! the flag instructions cmc/clc/stc/cld/std and lahf/sahf, and movbe (a move between a
//! register and memory with the bytes reversed).

use super::operand::Operand;
use super::state::{off, reg};
use super::{Ctx, Handler, Unsupported};
use crate::ir::{BinOp, RmwOp, UnOp, Width};
use iced_x86::{Instruction, Mnemonic};

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    use Mnemonic as M;
    Some(match m {
        M::Mov => mov,
        M::Movbe => movbe,
        M::Xchg => xchg,
        M::Lea => lea,
        M::Cmovo
        | M::Cmovno
        | M::Cmovb
        | M::Cmovae
        | M::Cmove
        | M::Cmovne
        | M::Cmovbe
        | M::Cmova
        | M::Cmovs
        | M::Cmovns
        | M::Cmovp
        | M::Cmovnp
        | M::Cmovl
        | M::Cmovge
        | M::Cmovle
        | M::Cmovg => cmov,
        M::Seto
        | M::Setno
        | M::Setb
        | M::Setae
        | M::Sete
        | M::Setne
        | M::Setbe
        | M::Seta
        | M::Sets
        | M::Setns
        | M::Setp
        | M::Setnp
        | M::Setl
        | M::Setge
        | M::Setle
        | M::Setg => setcc,
        // nop is 0x90 here (the 0F 1F forms are in `nop_space`); pause is F3 90.
        M::Nop | M::Pause => |_, _| Ok(()),
        M::Clc => |c, _| set_flag_const(c, off::CF, 0),
        M::Stc => |c, _| set_flag_const(c, off::CF, 1),
        M::Cld => |c, _| set_flag_const(c, off::DF, 0),
        M::Std => |c, _| set_flag_const(c, off::DF, 1),
        M::Cmc => cmc,
        M::Lahf => lahf,
        M::Sahf => sahf,
        _ => return None,
    })
}

fn mov(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let dst = ctx.operand(insn, 0)?;
    let src = ctx.operand(insn, 1)?;
    let v = ctx.read(src);
    ctx.write(dst, v)
}

/// movbe r, m / movbe m, r (16, 32, 64 bits): the value with its bytes reversed; a 16-bit
/// register keeps its upper bits, a 32-bit one is zero-extended. No flags.
fn movbe(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let dst = ctx.operand(insn, 0)?;
    let src = ctx.operand(insn, 1)?;
    let v = ctx.read(src);
    let r = ctx.un(UnOp::Bswap, v, dst.width());
    ctx.write(dst, r)
}

fn xchg(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let a = ctx.operand(insn, 0)?;
    let b = ctx.operand(insn, 1)?;
    match (a, b) {
        // xchg with memory is always atomic (implicit lock).
        (Operand::Mem { addr, width }, r) | (r, Operand::Mem { addr, width }) => {
            let v = ctx.read(r);
            let old = ctx.atomic_rmw(RmwOp::Xchg, addr, v, width);
            ctx.write(r, old)
        }
        _ => {
            let va = ctx.read(a);
            let vb = ctx.read(b);
            ctx.write(a, vb)?;
            ctx.write(b, va)
        }
    }
}

fn lea(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let dst = ctx.operand(insn, 0)?;
    let ea = ctx.effective_addr(insn)?;
    ctx.write(dst, ea)
}

fn cmov(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let dst = ctx.operand(insn, 0)?;
    let src = ctx.operand(insn, 1)?;
    // The source is read (and a memory source may fault) whatever the condition; a 32-bit
    // destination is zero-extended even when the move does not happen.
    let new = ctx.read(src);
    let old = ctx.read(dst);
    let cond = ctx.condition(insn.condition_code()).ok_or(Unsupported)?;
    let v = ctx.select(cond, new, old);
    ctx.write(dst, v)
}

fn setcc(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let dst = ctx.operand(insn, 0)?;
    let cond = ctx.condition(insn.condition_code()).ok_or(Unsupported)?;
    ctx.write(dst, cond)
}

fn set_flag_const(ctx: &mut Ctx, slot: crate::ir::StateOffset, value: u64) -> Result<(), Unsupported> {
    let v = ctx.constant(value);
    ctx.store_state(slot, v, Width::W8);
    Ok(())
}

fn cmc(ctx: &mut Ctx, _: &Instruction) -> Result<(), Unsupported> {
    let cf = ctx.flag(off::CF);
    let v = ctx.bin_imm(BinOp::Xor, cf, 1, Width::W8);
    ctx.store_state(off::CF, v, Width::W8);
    Ok(())
}

/// The flags lahf/sahf move, as (bit in AH, state slot).
const AH_FLAGS: [(u32, crate::ir::StateOffset); 5] =
    [(0, off::CF), (2, off::PF), (4, off::AF), (6, off::ZF), (7, off::SF)];

fn lahf(ctx: &mut Ctx, _: &Instruction) -> Result<(), Unsupported> {
    // Bit 1 of the flags byte always reads as one.
    let mut ah = ctx.constant(2);
    for (bit, slot) in AH_FLAGS {
        let f = ctx.flag(slot);
        let shifted = ctx.bin_imm(BinOp::Shl, f, bit as u64, Width::W8);
        ah = ctx.bin(BinOp::Or, ah, shifted, Width::W8);
    }
    ctx.write(Operand::Gpr { index: reg::RAX, width: Width::W8, high_byte: true }, ah)
}

fn sahf(ctx: &mut Ctx, _: &Instruction) -> Result<(), Unsupported> {
    let ah = ctx.read(Operand::Gpr { index: reg::RAX, width: Width::W8, high_byte: true });
    for (bit, slot) in AH_FLAGS {
        let f = ctx.bit(ah, bit);
        ctx.store_state(slot, f, Width::W8);
    }
    Ok(())
}
