//! SSE/SSE2 data movement: the xmm operand access every `sse_*` family uses ([`V128`],
//! [`Ctx::xmm_get`], [`Ctx::sse_read128`], ...), and the moves: movaps/movups/movapd/movupd/
//! movdqa/movdqu/movntdq/movntps/movntpd, movd/movq, movss/movsd, movlps/movhps/movlpd/movhpd,
//! movhlps/movlhps, movnti.
//!
//! An xmm register lives in the state as two 64-bit halves, and 128-bit moves are two 64-bit
//! IR loads/stores. Legacy-SSE 128-bit memory operands must be 16-byte aligned except for the
//! explicitly unaligned forms (movups, movupd, movdqu): a misaligned one raises #GP, which
//! Linux delivers as SIGSEGV, and so does the translation.

use super::{Ctx, Handler, Unsupported};
use crate::frontend::x86_64::state::off;
use crate::ir::{BinOp, CmpOp, Exit, GuestAddr, Temp, TrapKind, Width};
use iced_x86::{Code, Instruction, Mnemonic, OpKind, Register};

/// A 128-bit value as two 64-bit temporaries.
#[derive(Clone, Copy, Debug)]
pub struct V128 {
    pub lo: Temp,
    pub hi: Temp,
}

/// The vector slot (see `state::VECTOR_SLOTS`) an operand register names: xmm0-15 are slots
/// 0-15. The VEX lowering (`vex`) also names ymm0-15 for the upper halves (slots 16-31) and
/// [`SCRATCH_REG`] for its scratch slot in the legacy-SSE instructions it rewrites VEX forms
/// to; decoded legacy instructions never have those operands (EVEX ones, which name
/// xmm16-31, have no handler). None for any other register.
pub fn xmm_index(r: Register) -> Option<usize> {
    let n = r.number();
    if r.is_xmm() && n < 16 {
        Some(n)
    } else if r.is_ymm() && n < 16 {
        Some(16 + n)
    } else if r == SCRATCH_REG {
        Some(crate::frontend::x86_64::state::SCRATCH_SLOT)
    } else {
        None
    }
}

/// The name of the scratch vector slot in rewritten instructions (see [`xmm_index`]).
pub const SCRATCH_REG: Register = Register::XMM16;

/// The xmm register number of operand `i`, if it is an xmm register.
pub fn xmm_operand(insn: &Instruction, i: u32) -> Option<usize> {
    (insn.op_kind(i) == OpKind::Register).then(|| xmm_index(insn.op_register(i))).flatten()
}

impl Ctx {
    pub fn xmm_get(&mut self, n: usize) -> V128 {
        let lo = self.load_state(off::xmm(n), Width::W64);
        let hi = self.load_state(off::xmm_hi(n), Width::W64);
        V128 { lo, hi }
    }

    pub fn xmm_set(&mut self, n: usize, v: V128) {
        self.store_state(off::xmm(n), v.lo, Width::W64);
        self.store_state(off::xmm_hi(n), v.hi, Width::W64);
    }

    /// The guest address of the instruction's memory operand; with `align16`, leaves with
    /// #GP (SIGSEGV) first if it is not 16-byte aligned (unless the VEX lowering says its
    /// form has no alignment rule: `Ctx::vex_unaligned`).
    pub fn sse_mem_addr(&mut self, insn: &Instruction, align16: bool) -> Result<Temp, Unsupported> {
        let addr = self.mem_addr(insn)?;
        if align16 && !self.vex_unaligned {
            let low = self.bin_imm(BinOp::And, addr, 15, Width::W64);
            let misaligned = self.cmp_imm(CmpOp::Ne, low, 0, Width::W64);
            let exit =
                Exit::Trap { kind: TrapKind::GeneralProtection, pc: GuestAddr(self.pc), message: None };
            self.exit_if(misaligned, exit);
        }
        Ok(addr)
    }

    /// Operand `i` as 128 bits: an xmm register or a 16-byte memory operand (aligned unless
    /// `unaligned_ok`).
    pub fn sse_read128(
        &mut self,
        insn: &Instruction,
        i: u32,
        unaligned_ok: bool,
    ) -> Result<V128, Unsupported> {
        if let Some(n) = xmm_operand(insn, i) {
            return Ok(self.xmm_get(n));
        }
        if insn.op_kind(i) != OpKind::Memory {
            return Err(Unsupported);
        }
        let addr = self.sse_mem_addr(insn, !unaligned_ok)?;
        let lo = self.load(addr, Width::W64);
        let hi_addr = self.bin_imm(BinOp::Add, addr, 8, Width::W64);
        let hi = self.load(hi_addr, Width::W64);
        Ok(V128 { lo, hi })
    }

    /// Operand `i` as its low `width` bits: the low lane of an xmm register or a memory
    /// operand of that size (scalar operands have no alignment rule).
    pub fn sse_read_low(&mut self, insn: &Instruction, i: u32, width: Width) -> Result<Temp, Unsupported> {
        if let Some(n) = xmm_operand(insn, i) {
            return Ok(self.load_state(off::xmm(n), width));
        }
        if insn.op_kind(i) != OpKind::Memory {
            return Err(Unsupported);
        }
        let addr = self.sse_mem_addr(insn, false)?;
        Ok(self.load(addr, width))
    }

    /// xmm register `n` as one 128-bit vector temporary (`ir::vector`).
    pub fn xmm_get_v(&mut self, n: usize) -> Temp {
        self.vload_state(off::xmm(n))
    }

    pub fn xmm_set_v(&mut self, n: usize, v: Temp) {
        self.vstore_state(off::xmm(n), v)
    }

    /// Operand `i` as a vector temporary: an xmm register or a 16-byte memory operand
    /// (aligned unless `unaligned_ok`), as [`Ctx::sse_read128`].
    pub fn sse_read_v(
        &mut self,
        insn: &Instruction,
        i: u32,
        unaligned_ok: bool,
    ) -> Result<Temp, Unsupported> {
        if let Some(n) = xmm_operand(insn, i) {
            return Ok(self.xmm_get_v(n));
        }
        if insn.op_kind(i) != OpKind::Memory {
            return Err(Unsupported);
        }
        let addr = self.sse_mem_addr(insn, !unaligned_ok)?;
        Ok(self.vload(addr))
    }
}

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    Some(match m {
        Mnemonic::Movaps | Mnemonic::Movapd | Mnemonic::Movdqa => |c, i| mov128(c, i, false),
        Mnemonic::Movntps | Mnemonic::Movntpd | Mnemonic::Movntdq => |c, i| mov128(c, i, false),
        Mnemonic::Movups | Mnemonic::Movupd | Mnemonic::Movdqu => |c, i| mov128(c, i, true),
        Mnemonic::Movd | Mnemonic::Movq => movd_movq,
        Mnemonic::Movss => |c, i| mov_scalar(c, i, Width::W32),
        Mnemonic::Movlps | Mnemonic::Movlpd => |c, i| mov_half(c, i, false),
        Mnemonic::Movhps | Mnemonic::Movhpd => |c, i| mov_half(c, i, true),
        Mnemonic::Movhlps | Mnemonic::Movlhps => movhl_lh,
        Mnemonic::Movnti => movnti,
        _ => return None,
    })
}

/// movsd with an xmm operand (the string movsd shares the mnemonic; see `string`).
pub fn movsd_sse(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    mov_scalar(ctx, insn, Width::W64)
}

/// Full 128-bit moves, register or memory on either side: one vector temporary.
fn mov128(ctx: &mut Ctx, insn: &Instruction, unaligned_ok: bool) -> Result<(), Unsupported> {
    let v = ctx.sse_read_v(insn, 1, unaligned_ok)?;
    match xmm_operand(insn, 0) {
        Some(d) => ctx.xmm_set_v(d, v),
        None => {
            let addr = ctx.sse_mem_addr(insn, !unaligned_ok)?;
            ctx.vstore(addr, v);
        }
    }
    Ok(())
}

/// movd/movq between xmm and general registers or memory (the MMX forms are not
/// implemented: xlate has no MMX state).
fn movd_movq(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let zero = |ctx: &mut Ctx| ctx.constant(0);
    match insn.code() {
        Code::Movd_xmm_rm32 | Code::Movq_xmm_rm64 => {
            let d = xmm_operand(insn, 0).ok_or(Unsupported)?;
            let v = ctx.read_operand(insn, 1)?;
            let hi = zero(ctx);
            ctx.xmm_set(d, V128 { lo: v, hi });
        }
        Code::Movq_xmm_xmmm64 => {
            let d = xmm_operand(insn, 0).ok_or(Unsupported)?;
            let lo = ctx.sse_read_low(insn, 1, Width::W64)?;
            let hi = zero(ctx);
            ctx.xmm_set(d, V128 { lo, hi });
        }
        Code::Movd_rm32_xmm | Code::Movq_rm64_xmm | Code::Movq_xmmm64_xmm => {
            let s = xmm_operand(insn, 1).ok_or(Unsupported)?;
            let w = if insn.code() == Code::Movd_rm32_xmm { Width::W32 } else { Width::W64 };
            let v = ctx.load_state(off::xmm(s), w);
            if let Some(d) = xmm_operand(insn, 0) {
                let hi = zero(ctx);
                ctx.xmm_set(d, V128 { lo: v, hi });
            } else {
                let dst = ctx.operand(insn, 0)?;
                ctx.write(dst, v)?;
            }
        }
        _ => return Err(Unsupported),
    }
    Ok(())
}

/// movss/movsd: from memory the rest of the register is zeroed; between registers only the
/// low lane moves; to memory only the low lane is stored.
fn mov_scalar(ctx: &mut Ctx, insn: &Instruction, w: Width) -> Result<(), Unsupported> {
    match (xmm_operand(insn, 0), xmm_operand(insn, 1)) {
        (Some(d), Some(s)) => {
            let v = ctx.load_state(off::xmm(s), w);
            ctx.store_state(off::xmm(d), v, w);
        }
        (Some(d), None) => {
            let addr = ctx.sse_mem_addr(insn, false)?;
            let lo = ctx.load(addr, w);
            let hi = ctx.constant(0);
            ctx.xmm_set(d, V128 { lo, hi });
        }
        (None, Some(s)) => {
            let v = ctx.load_state(off::xmm(s), w);
            let addr = ctx.sse_mem_addr(insn, false)?;
            ctx.store(addr, v, w);
        }
        (None, None) => return Err(Unsupported),
    }
    Ok(())
}

/// movlps/movlpd/movhps/movhpd: one 64-bit half between an xmm register and memory.
fn mov_half(ctx: &mut Ctx, insn: &Instruction, high: bool) -> Result<(), Unsupported> {
    let slot = |n| if high { off::xmm_hi(n) } else { off::xmm(n) };
    if let Some(d) = xmm_operand(insn, 0) {
        if insn.op_kind(1) != OpKind::Memory {
            return Err(Unsupported);
        }
        let addr = ctx.sse_mem_addr(insn, false)?;
        let v = ctx.load(addr, Width::W64);
        ctx.store_state(slot(d), v, Width::W64);
    } else {
        let s = xmm_operand(insn, 1).ok_or(Unsupported)?;
        let v = ctx.load_state(slot(s), Width::W64);
        let addr = ctx.sse_mem_addr(insn, false)?;
        ctx.store(addr, v, Width::W64);
    }
    Ok(())
}

/// movhlps (dst.lo = src.hi) and movlhps (dst.hi = src.lo).
fn movhl_lh(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let d = xmm_operand(insn, 0).ok_or(Unsupported)?;
    let s = xmm_operand(insn, 1).ok_or(Unsupported)?;
    if insn.mnemonic() == Mnemonic::Movhlps {
        let v = ctx.load_state(off::xmm_hi(s), Width::W64);
        ctx.store_state(off::xmm(d), v, Width::W64);
    } else {
        let v = ctx.load_state(off::xmm(s), Width::W64);
        ctx.store_state(off::xmm_hi(d), v, Width::W64);
    }
    Ok(())
}

/// movnti: a non-temporal store of a general register (an ordinary store here).
fn movnti(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let v = ctx.read_operand(insn, 1)?;
    let dst = ctx.operand(insn, 0)?;
    if !dst.is_mem() {
        return Err(Unsupported);
    }
    ctx.write(dst, v)
}
