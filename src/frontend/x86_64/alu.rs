//! Integer ALU family: add adc sub sbb and or xor cmp test (two operands, one handler with the
//! operation as a parameter) and inc dec neg not (one operand). Exact CF OF SF ZF AF PF.
//! ADX's adcx and adox (add with carry through CF alone, or through OF alone) are here too.
//!
//! With a `lock` prefix on a memory destination the read-modify-write is atomic: an
//! [`crate::ir::Op::AtomicRmw`] where one exists (add sub and or xor inc dec not), otherwise
//! a compare-exchange that, when another thread changed the location in between, leaves the
//! block to run the instruction again (adc sbb neg).

use super::operand::Operand;
use super::state::off;
use super::{Ctx, Handler, Unsupported};
use crate::ir::{BinOp, CmpOp, Exit, GuestAddr, RmwOp, Temp, UnOp, Width};
use iced_x86::{Instruction, Mnemonic};

/// The two-operand operations.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AluOp {
    Add,
    Adc,
    Sub,
    Sbb,
    And,
    Or,
    Xor,
    /// `sub` that only sets flags.
    Cmp,
    /// `and` that only sets flags.
    Test,
}

/// The one-operand operations.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum UnaryOp {
    Inc,
    Dec,
    Neg,
    Not,
}

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    Some(match m {
        Mnemonic::Add => |c, i| binary(c, i, AluOp::Add),
        Mnemonic::Adc => |c, i| binary(c, i, AluOp::Adc),
        Mnemonic::Sub => |c, i| binary(c, i, AluOp::Sub),
        Mnemonic::Sbb => |c, i| binary(c, i, AluOp::Sbb),
        Mnemonic::And => |c, i| binary(c, i, AluOp::And),
        Mnemonic::Or => |c, i| binary(c, i, AluOp::Or),
        Mnemonic::Xor => |c, i| binary(c, i, AluOp::Xor),
        Mnemonic::Cmp => |c, i| binary(c, i, AluOp::Cmp),
        Mnemonic::Test => |c, i| binary(c, i, AluOp::Test),
        Mnemonic::Inc => |c, i| unary(c, i, UnaryOp::Inc),
        Mnemonic::Dec => |c, i| unary(c, i, UnaryOp::Dec),
        Mnemonic::Neg => |c, i| unary(c, i, UnaryOp::Neg),
        Mnemonic::Not => |c, i| unary(c, i, UnaryOp::Not),
        Mnemonic::Adcx => |c, i| add_carry_through(c, i, off::CF),
        Mnemonic::Adox => |c, i| add_carry_through(c, i, off::OF),
        _ => return None,
    })
}

/// `r = a op b` and its flags.
fn compute(
    ctx: &mut Ctx,
    op: AluOp,
    a: Temp,
    b: Temp,
    carry: Option<Temp>,
    w: Width,
) -> (Temp, super::flags::Flags) {
    match op {
        AluOp::Add | AluOp::Adc => {
            let s = ctx.bin(BinOp::Add, a, b, w);
            let r = match carry {
                Some(c) => ctx.bin(BinOp::Add, s, c, w),
                None => s,
            };
            let f = ctx.flags_add(a, b, carry, r, w);
            (r, f)
        }
        AluOp::Sub | AluOp::Sbb | AluOp::Cmp => {
            let d = ctx.bin(BinOp::Sub, a, b, w);
            let r = match carry {
                Some(c) => ctx.bin(BinOp::Sub, d, c, w),
                None => d,
            };
            let f = ctx.flags_sub(a, b, carry, r, w);
            (r, f)
        }
        AluOp::And | AluOp::Or | AluOp::Xor | AluOp::Test => {
            let bop = match op {
                AluOp::Or => BinOp::Or,
                AluOp::Xor => BinOp::Xor,
                _ => BinOp::And,
            };
            let r = ctx.bin(bop, a, b, w);
            let f = ctx.flags_logic(r, w);
            (r, f)
        }
    }
}

/// Reads `[addr]`, computes `new = f(old)` and stores it atomically; if another writer got in
/// between, leaves the block to run this instruction again. Returns `(old, new)`.
fn locked_update(
    ctx: &mut Ctx,
    addr: Temp,
    w: Width,
    f: impl FnOnce(&mut Ctx, Temp) -> (Temp, super::flags::Flags),
) -> (Temp, super::flags::Flags) {
    let old = ctx.load(addr, w);
    let (new, flags) = f(ctx, old);
    let seen = ctx.compare_exchange(addr, old, new, w);
    let lost = ctx.cmp(CmpOp::Ne, seen, old, w);
    let pc = ctx.pc;
    ctx.exit_if(lost, Exit::Jump(GuestAddr(pc)));
    (new, flags)
}

fn binary(ctx: &mut Ctx, insn: &Instruction, op: AluOp) -> Result<(), Unsupported> {
    let dst = ctx.operand(insn, 0)?;
    let src = ctx.operand(insn, 1)?;
    let w = dst.width();
    let b = ctx.read(src);
    let carry = matches!(op, AluOp::Adc | AluOp::Sbb).then(|| ctx.flag(off::CF));
    let writes = !matches!(op, AluOp::Cmp | AluOp::Test);
    if let (true, Operand::Mem { addr, .. }) = (insn.has_lock_prefix(), dst) {
        if !writes {
            return Err(Unsupported);
        }
        let rmw = match op {
            AluOp::Add => Some((RmwOp::Add, b)),
            AluOp::Sub => Some((RmwOp::Add, ctx.un(UnOp::Neg, b, w))),
            AluOp::And => Some((RmwOp::And, b)),
            AluOp::Or => Some((RmwOp::Or, b)),
            AluOp::Xor => Some((RmwOp::Xor, b)),
            _ => None,
        };
        let flags = match rmw {
            Some((rmw, operand)) => {
                let old = ctx.atomic_rmw(rmw, addr, operand, w);
                compute(ctx, op, old, b, carry, w).1
            }
            None => locked_update(ctx, addr, w, |ctx, old| compute(ctx, op, old, b, carry, w)).1,
        };
        ctx.set_flags(&flags);
        return Ok(());
    }
    let a = ctx.read(dst);
    let (r, flags) = compute(ctx, op, a, b, carry, w);
    if writes {
        ctx.write(dst, r)?;
    }
    ctx.set_flags(&flags);
    Ok(())
}

/// `r = op a` and its flags (inc/dec keep CF; not changes no flag).
fn compute_unary(ctx: &mut Ctx, op: UnaryOp, a: Temp, w: Width) -> (Temp, super::flags::Flags) {
    match op {
        UnaryOp::Inc | UnaryOp::Dec => {
            let one = ctx.constant(1);
            let (r, mut f) = if op == UnaryOp::Inc {
                let r = ctx.bin(BinOp::Add, a, one, w);
                (r, ctx.flags_add(a, one, None, r, w))
            } else {
                let r = ctx.bin(BinOp::Sub, a, one, w);
                (r, ctx.flags_sub(a, one, None, r, w))
            };
            f.cf = None;
            (r, f)
        }
        UnaryOp::Neg => {
            let zero = ctx.constant(0);
            let r = ctx.bin(BinOp::Sub, zero, a, w);
            let f = ctx.flags_sub(zero, a, None, r, w);
            (r, f)
        }
        UnaryOp::Not => (ctx.un(UnOp::Not, a, w), super::flags::Flags::default()),
    }
}

fn unary(ctx: &mut Ctx, insn: &Instruction, op: UnaryOp) -> Result<(), Unsupported> {
    let dst = ctx.operand(insn, 0)?;
    let w = dst.width();
    if let (true, Operand::Mem { addr, .. }) = (insn.has_lock_prefix(), dst) {
        let rmw = match op {
            UnaryOp::Inc => Some((RmwOp::Add, 1)),
            UnaryOp::Dec => Some((RmwOp::Add, w.mask())),
            UnaryOp::Not => Some((RmwOp::Xor, w.mask())),
            UnaryOp::Neg => None,
        };
        let flags = match rmw {
            Some((rmw, value)) => {
                let operand = ctx.constant(value);
                let old = ctx.atomic_rmw(rmw, addr, operand, w);
                compute_unary(ctx, op, old, w).1
            }
            None => locked_update(ctx, addr, w, |ctx, old| compute_unary(ctx, op, old, w)).1,
        };
        ctx.set_flags(&flags);
        return Ok(());
    }
    let a = ctx.read(dst);
    let (r, flags) = compute_unary(ctx, op, a, w);
    ctx.write(dst, r)?;
    ctx.set_flags(&flags);
    Ok(())
}

/// adcx / adox dst, src (ADX): `dst = dst + src + flag`, unsigned, with the carry out in the
/// same flag (CF for adcx, OF for adox); no other flag changes. Two carry chains can then run
/// interleaved, as in multi-precision multiplication with mulx.
fn add_carry_through(
    ctx: &mut Ctx,
    insn: &Instruction,
    flag: crate::ir::StateOffset,
) -> Result<(), Unsupported> {
    let dst = ctx.operand(insn, 0)?;
    let w = dst.width();
    let b = ctx.read_operand(insn, 1)?;
    let a = ctx.read(dst);
    let carry = ctx.flag(flag);
    let s = ctx.bin(BinOp::Add, a, b, w);
    let r = ctx.bin(BinOp::Add, s, carry, w);
    // Carry out of the top bit: (a & b) | ((a | b) & !r).
    let and = ctx.bin(BinOp::And, a, b, w);
    let or = ctx.bin(BinOp::Or, a, b, w);
    let not_r = ctx.un(UnOp::Not, r, w);
    let t = ctx.bin(BinOp::And, or, not_r, w);
    let c = ctx.bin(BinOp::Or, and, t, w);
    let out = ctx.sign(c, w);
    ctx.write(dst, r)?;
    ctx.store_state(flag, out, Width::W8);
    Ok(())
}
