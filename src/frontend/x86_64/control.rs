//! Control-flow family: jmp, jcc, call, ret (with imm16), jrcxz/jecxz, loop/loope/loopne.
//! Direct targets become chainable exits, indirect ones `Exit::Indirect`, returns
//! `Exit::Return`. Far transfers are not supported (SIGILL).

use super::state::{off, reg};
use super::{Ctx, Handler, Unsupported};
use crate::ir::{BinOp, CmpOp, Exit, GuestAddr, Temp, Width};
use iced_x86::{Code, Instruction, Mnemonic, OpKind};

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    Some(match m {
        Mnemonic::Jmp => jmp,
        Mnemonic::Call => call,
        Mnemonic::Ret => ret,
        Mnemonic::Jo
        | Mnemonic::Jno
        | Mnemonic::Jb
        | Mnemonic::Jae
        | Mnemonic::Je
        | Mnemonic::Jne
        | Mnemonic::Jbe
        | Mnemonic::Ja
        | Mnemonic::Js
        | Mnemonic::Jns
        | Mnemonic::Jp
        | Mnemonic::Jnp
        | Mnemonic::Jl
        | Mnemonic::Jge
        | Mnemonic::Jle
        | Mnemonic::Jg => jcc,
        Mnemonic::Jrcxz | Mnemonic::Jecxz => jrcxz,
        Mnemonic::Loop | Mnemonic::Loope | Mnemonic::Loopne => loop_,
        _ => return None,
    })
}

/// The target of a near branch: a direct address, or a value read from a register/memory.
enum Target {
    Direct(u64),
    Computed(Temp),
}

fn target(ctx: &mut Ctx, insn: &Instruction) -> Result<Target, Unsupported> {
    match insn.op_kind(0) {
        OpKind::NearBranch64 => Ok(Target::Direct(insn.near_branch_target())),
        OpKind::Register | OpKind::Memory => {
            let op = ctx.operand(insn, 0)?;
            if op.width() != Width::W64 {
                return Err(Unsupported);
            }
            Ok(Target::Computed(ctx.read(op)))
        }
        _ => Err(Unsupported),
    }
}

fn jmp(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    ctx.exit = Some(match target(ctx, insn)? {
        Target::Direct(t) => Exit::Jump(GuestAddr(t)),
        Target::Computed(t) => Exit::Indirect(t),
    });
    Ok(())
}

fn call(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    // The target is read before the push (`call [rsp+8]` reads the old rsp).
    let t = target(ctx, insn)?;
    let next = ctx.next_pc;
    let ret_addr = ctx.constant(next);
    ctx.push_value(ret_addr, Width::W64);
    ctx.exit = Some(match t {
        Target::Direct(t) => Exit::Jump(GuestAddr(t)),
        Target::Computed(t) => Exit::Indirect(t),
    });
    Ok(())
}

fn ret(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let extra = match insn.code() {
        Code::Retnq => 0,
        Code::Retnq_imm16 => insn.immediate(0) & 0xffff,
        _ => return Err(Unsupported),
    };
    let addr = ctx.pop_value(Width::W64);
    if extra != 0 {
        let sp = ctx.read_gpr(reg::RSP, Width::W64);
        let sp = ctx.bin_imm(BinOp::Add, sp, extra, Width::W64);
        ctx.write_gpr(reg::RSP, Width::W64, sp);
    }
    ctx.exit = Some(Exit::Return(addr));
    Ok(())
}

fn branch(ctx: &mut Ctx, insn: &Instruction, cond: Temp) -> Result<(), Unsupported> {
    let Target::Direct(taken) = target(ctx, insn)? else {
        return Err(Unsupported);
    };
    ctx.exit = Some(Exit::Branch { cond, taken: GuestAddr(taken), not_taken: GuestAddr(ctx.next_pc) });
    Ok(())
}

fn jcc(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let cond = ctx.condition(insn.condition_code()).ok_or(Unsupported)?;
    branch(ctx, insn, cond)
}

/// The count register of jrcxz/jecxz/loop: rcx, or ecx with an address-size prefix.
fn counter_width(insn: &Instruction) -> Result<Width, Unsupported> {
    match insn.code() {
        Code::Jrcxz_rel8_64 | Code::Loop_rel8_64_RCX | Code::Loope_rel8_64_RCX | Code::Loopne_rel8_64_RCX => {
            Ok(Width::W64)
        }
        Code::Jecxz_rel8_64 | Code::Loop_rel8_64_ECX | Code::Loope_rel8_64_ECX | Code::Loopne_rel8_64_ECX => {
            Ok(Width::W32)
        }
        _ => Err(Unsupported),
    }
}

fn jrcxz(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let w = counter_width(insn)?;
    let count = ctx.read_gpr(reg::RCX, w);
    let cond = ctx.is_zero(count, w);
    branch(ctx, insn, cond)
}

fn loop_(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let w = counter_width(insn)?;
    let count = ctx.read_gpr(reg::RCX, w);
    let count = ctx.bin_imm(BinOp::Sub, count, 1, w);
    ctx.write_gpr(reg::RCX, w, count);
    let mut cond = ctx.cmp_imm(CmpOp::Ne, count, 0, w);
    let zf_wanted = match insn.mnemonic() {
        Mnemonic::Loope => Some(1),
        Mnemonic::Loopne => Some(0),
        _ => None,
    };
    if let Some(want) = zf_wanted {
        let zf = ctx.flag(off::ZF);
        let zf_ok = ctx.cmp_imm(CmpOp::Eq, zf, want, Width::W8);
        cond = ctx.bin(BinOp::And, cond, zf_ok, Width::W8);
    }
    branch(ctx, insn, cond)
}
