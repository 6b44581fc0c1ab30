//! Exchange-and-add and compare-exchange: xadd, cmpxchg, cmpxchg8b, cmpxchg16b, with the
//! `lock` prefix done as real atomics. xchg is in `mov` and the lock-prefixed ALU
//! read-modify-writes are in `alu` (same flags as the plain forms).
//!
//! cmpxchg16b needs a 128-bit compare-and-swap, which stable Rust's `core::sync::atomic` does
//! not offer: the helper calls the host primitive [`cas128`] (`lock cmpxchg16b` on x86-64, an
//! `ldaxp`/`stlxp` loop on AArch64).

use super::operand::Operand;
use super::state::{off, reg};
use super::{Ctx, Handler, Unsupported};
use crate::frontend::x86_64::X86State;
use crate::host::atomic::cas128;
use crate::ir::{BinOp, CmpOp, Helper, RmwOp, Temp, Width};
use iced_x86::{Code, Instruction, Mnemonic};

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    Some(match m {
        Mnemonic::Xadd => xadd,
        Mnemonic::Cmpxchg => cmpxchg,
        Mnemonic::Cmpxchg8b => cmpxchg8b,
        Mnemonic::Cmpxchg16b => cmpxchg16b,
        _ => return None,
    })
}

/// xadd dst, src: `tmp = dst + src; src = dst; dst = tmp`, flags as add.
fn xadd(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let dst = ctx.operand(insn, 0)?;
    let src = ctx.operand(insn, 1)?;
    let w = dst.width();
    let s = ctx.read(src);
    let old = match dst {
        Operand::Mem { addr, .. } if insn.has_lock_prefix() => ctx.atomic_rmw(RmwOp::Add, addr, s, w),
        _ => ctx.read(dst),
    };
    let sum = ctx.bin(BinOp::Add, old, s, w);
    let flags = ctx.flags_add(old, s, None, sum, w);
    // The source register gets the old value first, so `xadd r, r` ends with the sum.
    ctx.write(src, old)?;
    if !(dst.is_mem() && insn.has_lock_prefix()) {
        ctx.write(dst, sum)?;
    }
    ctx.set_flags(&flags);
    Ok(())
}

/// cmpxchg dst, src: if the accumulator equals dst, ZF=1 and dst = src; else ZF=0 and the
/// accumulator = dst. Flags as `cmp accumulator, dst`. A memory destination is always written
/// (with its old value on failure), as the CPU does; with `lock` it is one compare-exchange.
fn cmpxchg(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let dst = ctx.operand(insn, 0)?;
    let src = ctx.operand(insn, 1)?;
    let w = dst.width();
    let acc = ctx.read_gpr(reg::RAX, w);
    let s = ctx.read(src);
    let old = match dst {
        Operand::Mem { addr, .. } if insn.has_lock_prefix() => ctx.compare_exchange(addr, acc, s, w),
        _ => ctx.read(dst),
    };
    let equal = ctx.cmp(CmpOp::Eq, acc, old, w);
    let diff = ctx.bin(BinOp::Sub, acc, old, w);
    let flags = ctx.flags_sub(acc, old, None, diff, w);
    match dst {
        Operand::Mem { .. } if insn.has_lock_prefix() => {}
        Operand::Mem { .. } => {
            let new = ctx.select(equal, s, old);
            ctx.write(dst, new)?;
        }
        _ => write_if(ctx, dst, equal, s)?,
    }
    // The accumulator is written only on failure (a 32-bit write zero-extends only then).
    let not_equal = ctx.cmp_imm(CmpOp::Eq, equal, 0, Width::W64);
    write_if(ctx, Operand::Gpr { index: reg::RAX, width: w, high_byte: false }, not_equal, old)?;
    ctx.set_flags(&flags);
    Ok(())
}

/// Writes `value` to register operand `op` if `cond != 0`, leaving the register exactly as
/// it was otherwise (a 32-bit register write zero-extends, so the choice is made on the full
/// 64-bit value).
fn write_if(ctx: &mut Ctx, op: Operand, cond: Temp, value: Temp) -> Result<(), Unsupported> {
    let Operand::Gpr { index, width: Width::W32, .. } = op else {
        let cur = ctx.read(op);
        let v = ctx.select(cond, value, cur);
        return ctx.write(op, v);
    };
    let full = ctx.read_gpr(index, Width::W64);
    let zext = ctx.ext(value, Width::W32, false);
    let v = ctx.select(cond, zext, full);
    ctx.write_gpr(index, Width::W64, v);
    Ok(())
}

/// cmpxchg8b m64: compare edx:eax with m64; equal: ZF=1, m64 = ecx:ebx; else ZF=0,
/// edx:eax = m64. Only ZF changes. The memory is always written (locked: one CAS).
fn cmpxchg8b(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    if insn.code() != Code::Cmpxchg8b_m64 {
        return Err(Unsupported);
    }
    let addr = ctx.mem_addr(insn)?;
    let pair = |ctx: &mut Ctx, hi: usize, lo: usize| {
        let h = ctx.read_gpr(hi, Width::W32);
        let l = ctx.read_gpr(lo, Width::W32);
        let h = ctx.bin_imm(BinOp::Shl, h, 32, Width::W64);
        ctx.bin(BinOp::Or, h, l, Width::W64)
    };
    let expected = pair(ctx, reg::RDX, reg::RAX);
    let new = pair(ctx, reg::RCX, reg::RBX);
    let old = if insn.has_lock_prefix() {
        ctx.compare_exchange(addr, expected, new, Width::W64)
    } else {
        let old = ctx.load(addr, Width::W64);
        let eq = ctx.cmp(CmpOp::Eq, old, expected, Width::W64);
        let v = ctx.select(eq, new, old);
        ctx.store(addr, v, Width::W64);
        old
    };
    let equal = ctx.cmp(CmpOp::Eq, old, expected, Width::W64);
    let not_equal = ctx.cmp_imm(CmpOp::Eq, equal, 0, Width::W64);
    let old_hi = ctx.bin_imm(BinOp::Lshr, old, 32, Width::W64);
    write_if(ctx, Operand::Gpr { index: reg::RAX, width: Width::W32, high_byte: false }, not_equal, old)?;
    write_if(ctx, Operand::Gpr { index: reg::RDX, width: Width::W32, high_byte: false }, not_equal, old_hi)?;
    ctx.store_state(off::ZF, equal, Width::W8);
    Ok(())
}

const CMPXCHG16B_HELPER: Helper =
    Helper { name: "cmpxchg16b", func: cmpxchg16b_helper, touches_memory: true };

/// cmpxchg16b m128 (16-byte aligned, else #GP): as cmpxchg8b with rdx:rax and rcx:rbx. Done
/// atomically whether or not `lock` is present (the unlocked form may be atomic too).
fn cmpxchg16b(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let addr = ctx.sse_mem_addr(insn, true)?;
    ctx.call_void(CMPXCHG16B_HELPER, &[addr]);
    Ok(())
}

/// The cmpxchg16b of the guest: CAS on guest memory at `addr` with the state's registers.
pub extern "C" fn cmpxchg16b_helper(state: *mut u8, addr: u64, _: u64, _: u64, _: u64) -> u64 {
    // SAFETY: translated code passes its live X86State.
    let st = unsafe { &mut *(state as *mut X86State) };
    let expected = st.gpr[reg::RAX] as u128 | (st.gpr[reg::RDX] as u128) << 64;
    let new = st.gpr[reg::RBX] as u128 | (st.gpr[reg::RCX] as u128) << 64;
    // SAFETY: the frontend checked 16-byte alignment; the address is the guest's own operand
    // (a fault is the guest's fault).
    let old = unsafe { cas128(addr as *mut u128, expected, new) };
    st.zf = (old == expected) as u8;
    if old != expected {
        st.gpr[reg::RAX] = old as u64;
        st.gpr[reg::RDX] = (old >> 64) as u64;
    }
    0
}
