//! Stack family: push/pop (registers, memory, immediates), pushf/popf, enter (nesting level
//! 0), leave. Also the push/pop primitives `call` and `ret` use.

use super::state::{off, reg};
use super::{Ctx, Handler, Unsupported};
use crate::ir::{BinOp, Temp, Width};
use iced_x86::{Code, Instruction, Mnemonic};

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    Some(match m {
        Mnemonic::Push => push,
        Mnemonic::Pop => pop,
        Mnemonic::Pushf | Mnemonic::Pushfq => pushf,
        Mnemonic::Popf | Mnemonic::Popfq => popf,
        Mnemonic::Enter => enter,
        Mnemonic::Leave => leave,
        _ => return None,
    })
}

impl Ctx {
    /// `rsp -= width; [rsp] = value`.
    pub fn push_value(&mut self, value: Temp, w: Width) {
        let sp = self.read_gpr(reg::RSP, Width::W64);
        let new_sp = self.bin_imm(BinOp::Sub, sp, w.bytes() as u64, Width::W64);
        self.store(new_sp, value, w);
        self.write_gpr(reg::RSP, Width::W64, new_sp);
    }

    /// `value = [rsp]; rsp += width`.
    pub fn pop_value(&mut self, w: Width) -> Temp {
        let sp = self.read_gpr(reg::RSP, Width::W64);
        let value = self.load(sp, w);
        let new_sp = self.bin_imm(BinOp::Add, sp, w.bytes() as u64, Width::W64);
        self.write_gpr(reg::RSP, Width::W64, new_sp);
        value
    }

    /// RFLAGS as pushf stores it: the modelled flags, the always-one bit 1 and IF.
    pub fn rflags_value(&mut self) -> Temp {
        let mut acc = self.constant(0x202);
        for (bit, slot) in super::flags::STATUS_FLAGS.into_iter().chain([(10, off::DF)]) {
            let f = self.flag(slot);
            let shifted = self.bin_imm(BinOp::Shl, f, bit as u64, Width::W64);
            acc = self.bin(BinOp::Or, acc, shifted, Width::W64);
        }
        acc
    }
}

/// Width of a push/pop: the operand size (16 or 64 bits in 64-bit mode).
fn stack_width(insn: &Instruction) -> Width {
    if insn.stack_pointer_increment().unsigned_abs() == 2 {
        Width::W16
    } else {
        Width::W64
    }
}

fn push(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let w = stack_width(insn);
    let src = ctx.operand(insn, 0)?;
    // Immediates are sign-extended to the stack width; `push rsp` pushes the old value.
    let value = match src {
        super::operand::Operand::Imm { value, .. } => ctx.constant(value & w.mask()),
        op => ctx.read(op),
    };
    ctx.push_value(value, w);
    Ok(())
}

fn pop(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let w = stack_width(insn);
    // The destination's address is computed with rsp already incremented (SDM POP).
    let value = ctx.pop_value(w);
    let dst = ctx.operand(insn, 0)?;
    ctx.write(dst, value)
}

fn pushf(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let value = ctx.rflags_value();
    ctx.push_value(value, stack_width(insn));
    Ok(())
}

fn popf(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let value = ctx.pop_value(stack_width(insn));
    // Only the flags xlate models are restored; the rest (TF, AC, ID, ...) are ignored.
    for (bit, slot) in super::flags::STATUS_FLAGS.into_iter().chain([(10, off::DF)]) {
        let f = ctx.bit(value, bit);
        ctx.store_state(slot, f, Width::W8);
    }
    Ok(())
}

fn enter(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    if insn.immediate(1) & 0x1f != 0 || insn.code() != Code::Enterq_imm16_imm8 {
        return Err(Unsupported);
    }
    let size = insn.immediate(0) & 0xffff;
    let rbp = ctx.read_gpr(reg::RBP, Width::W64);
    ctx.push_value(rbp, Width::W64);
    let frame = ctx.read_gpr(reg::RSP, Width::W64);
    ctx.write_gpr(reg::RBP, Width::W64, frame);
    let sp = ctx.bin_imm(BinOp::Sub, frame, size, Width::W64);
    ctx.write_gpr(reg::RSP, Width::W64, sp);
    Ok(())
}

fn leave(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let w = if insn.code() == Code::Leavew { Width::W16 } else { Width::W64 };
    let rbp = ctx.read_gpr(reg::RBP, Width::W64);
    ctx.write_gpr(reg::RSP, Width::W64, rbp);
    let saved = ctx.pop_value(w);
    ctx.write_gpr(reg::RBP, w, saved);
    Ok(())
}
