//! 128-bit vector temporaries (`ir::vector`) as SSE2 instructions on xmm registers.
//!
//! A vector temporary lives in one of [`abi::VECTOR_REGS`] (blocks that call nothing) or a
//! 16-byte slot of the frame's vector area (`Emitter::vlocs`); every op is one SSE2
//! instruction on its operands' registers, plus a `movdqa` to copy its first operand into the
//! destination (SSE2 instructions overwrite their first operand) and the loads and stores of
//! spilled operands. Scratch: `xmm0` (a spilled destination), `xmm1` (a spilled second
//! operand or a half), `rax` and `rcx` (addresses and halves).

use super::abi::{HostLoc, RAX, RCX};
use super::Emitter;
use crate::ir::{LaneOp, Temp, VBitOp, Width};
use dynasmrt::{dynasm, DynasmApi};

impl Emitter {
    /// The vector location of `t`.
    fn vloc(&self, t: Temp) -> HostLoc {
        self.vlocs[t.0 as usize]
    }

    /// The xmm register holding the vector `t` for reading: its own, or `scratch` after
    /// loading it from its slot.
    fn vsrc(&mut self, t: Temp, scratch: u8) -> u8 {
        match self.vloc(t) {
            HostLoc::Reg(x) => x,
            HostLoc::Stack(d) => {
                dynasm!(self.asm ; .arch x64 ; movdqu Rx(scratch), [rsp + d]);
                scratch
            }
        }
    }

    /// The xmm register to compute the vector `t` in: its own, or `xmm0` (then
    /// [`Self::vfinish`] spills it).
    fn vdst(&self, t: Temp) -> u8 {
        match self.vloc(t) {
            HostLoc::Reg(x) => x,
            HostLoc::Stack(_) => 0,
        }
    }

    /// Stores `x` to `t`'s slot if `t` lives in one.
    fn vfinish(&mut self, t: Temp, x: u8) {
        if let HostLoc::Stack(d) = self.vloc(t) {
            dynasm!(self.asm ; .arch x64 ; movdqu [rsp + d], Rx(x));
        }
    }

    /// `d = a` for an op that then overwrites `d` with `d op b`.
    fn vcopy_into(&mut self, d: u8, a: Temp) {
        match self.vloc(a) {
            HostLoc::Reg(x) => dynasm!(self.asm ; .arch x64 ; movdqa Rx(d), Rx(x)),
            HostLoc::Stack(s) => dynasm!(self.asm ; .arch x64 ; movdqu Rx(d), [rsp + s]),
        }
    }

    pub(super) fn vload_state(&mut self, dst: Temp, offset: u32) {
        let (d, off) = (self.vdst(dst), offset as i32);
        dynasm!(self.asm ; .arch x64 ; movdqu Rx(d), [r15 + off]);
        self.vfinish(dst, d);
    }

    pub(super) fn vstore_state(&mut self, offset: u32, src: Temp) {
        let (s, off) = (self.vsrc(src, 1), offset as i32);
        dynasm!(self.asm ; .arch x64 ; movdqu [r15 + off], Rx(s));
    }

    /// Every order is a plain access on x86-64 (TSO), as for the scalar ones (`emit_mem`).
    pub(super) fn vload(&mut self, dst: Temp, addr: Temp) {
        let a = self.src_reg(addr, RAX);
        let d = self.vdst(dst);
        dynasm!(self.asm ; .arch x64 ; movdqu Rx(d), [Rq(a)]);
        self.vfinish(dst, d);
    }

    pub(super) fn vstore(&mut self, addr: Temp, src: Temp) {
        let s = self.vsrc(src, 1);
        let a = self.src_reg(addr, RAX);
        dynasm!(self.asm ; .arch x64 ; movdqu [Rq(a)], Rx(s));
    }

    pub(super) fn vpack(&mut self, dst: Temp, lo: Temp, hi: Temp) {
        let d = self.vdst(dst);
        let l = self.src_reg(lo, RAX);
        dynasm!(self.asm ; .arch x64 ; movq Rx(d), Rq(l));
        let h = self.src_reg(hi, RCX);
        dynasm!(self.asm ; .arch x64 ; movq xmm1, Rq(h) ; punpcklqdq Rx(d), xmm1);
        self.vfinish(dst, d);
    }

    pub(super) fn vhalf(&mut self, dst: Temp, src: Temp, high: bool) {
        let s = self.vsrc(src, 1);
        let d = self.dst_reg(dst, RAX);
        if high {
            let upper = 0xee_u8 as i8; // dwords 2, 3, 2, 3
            dynasm!(self.asm ; .arch x64 ; pshufd xmm1, Rx(s), upper ; movq Rq(d), xmm1);
        } else {
            dynasm!(self.asm ; .arch x64 ; movq Rq(d), Rx(s));
        }
        self.store(dst, d);
    }

    pub(super) fn vbit(&mut self, op: VBitOp, dst: Temp, a: Temp, b: Temp) {
        let d = self.vdst(dst);
        if op == VBitOp::AndNot {
            // pandn is `!d & src`: `d = b`, then `!b & a`.
            self.vcopy_into(d, b);
            let x = self.vsrc(a, 1);
            dynasm!(self.asm ; .arch x64 ; pandn Rx(d), Rx(x));
            return self.vfinish(dst, d);
        }
        self.vcopy_into(d, a);
        let y = self.vsrc(b, 1);
        match op {
            VBitOp::And => dynasm!(self.asm ; .arch x64 ; pand Rx(d), Rx(y)),
            VBitOp::Or => dynasm!(self.asm ; .arch x64 ; por Rx(d), Rx(y)),
            _ => dynasm!(self.asm ; .arch x64 ; pxor Rx(d), Rx(y)),
        }
        self.vfinish(dst, d);
    }

    /// The forms of `ir::vector::has_vlane`, one SSE2 instruction each.
    pub(super) fn vlanes(&mut self, op: LaneOp, lane: Width, dst: Temp, a: Temp, b: Temp) {
        use LaneOp::*;
        use Width::*;
        let d = self.vdst(dst);
        self.vcopy_into(d, a);
        let y = self.vsrc(b, 1);
        match (op, lane) {
            (Add, W8) => dynasm!(self.asm ; .arch x64 ; paddb Rx(d), Rx(y)),
            (Add, W16) => dynasm!(self.asm ; .arch x64 ; paddw Rx(d), Rx(y)),
            (Add, _) => dynasm!(self.asm ; .arch x64 ; paddd Rx(d), Rx(y)),
            (Sub, W8) => dynasm!(self.asm ; .arch x64 ; psubb Rx(d), Rx(y)),
            (Sub, W16) => dynasm!(self.asm ; .arch x64 ; psubw Rx(d), Rx(y)),
            (Sub, _) => dynasm!(self.asm ; .arch x64 ; psubd Rx(d), Rx(y)),
            (AddSatU, W8) => dynasm!(self.asm ; .arch x64 ; paddusb Rx(d), Rx(y)),
            (AddSatU, _) => dynasm!(self.asm ; .arch x64 ; paddusw Rx(d), Rx(y)),
            (AddSatS, W8) => dynasm!(self.asm ; .arch x64 ; paddsb Rx(d), Rx(y)),
            (AddSatS, _) => dynasm!(self.asm ; .arch x64 ; paddsw Rx(d), Rx(y)),
            (SubSatU, W8) => dynasm!(self.asm ; .arch x64 ; psubusb Rx(d), Rx(y)),
            (SubSatU, _) => dynasm!(self.asm ; .arch x64 ; psubusw Rx(d), Rx(y)),
            (SubSatS, W8) => dynasm!(self.asm ; .arch x64 ; psubsb Rx(d), Rx(y)),
            (SubSatS, _) => dynasm!(self.asm ; .arch x64 ; psubsw Rx(d), Rx(y)),
            (CmpEq, W8) => dynasm!(self.asm ; .arch x64 ; pcmpeqb Rx(d), Rx(y)),
            (CmpEq, W16) => dynasm!(self.asm ; .arch x64 ; pcmpeqw Rx(d), Rx(y)),
            (CmpEq, _) => dynasm!(self.asm ; .arch x64 ; pcmpeqd Rx(d), Rx(y)),
            (CmpGtS, W8) => dynasm!(self.asm ; .arch x64 ; pcmpgtb Rx(d), Rx(y)),
            (CmpGtS, W16) => dynasm!(self.asm ; .arch x64 ; pcmpgtw Rx(d), Rx(y)),
            (CmpGtS, _) => dynasm!(self.asm ; .arch x64 ; pcmpgtd Rx(d), Rx(y)),
            (MinU, _) => dynasm!(self.asm ; .arch x64 ; pminub Rx(d), Rx(y)),
            (MaxU, _) => dynasm!(self.asm ; .arch x64 ; pmaxub Rx(d), Rx(y)),
            (MinS, _) => dynasm!(self.asm ; .arch x64 ; pminsw Rx(d), Rx(y)),
            (MaxS, _) => dynasm!(self.asm ; .arch x64 ; pmaxsw Rx(d), Rx(y)),
            (AvgU, W8) => dynasm!(self.asm ; .arch x64 ; pavgb Rx(d), Rx(y)),
            (AvgU, _) => dynasm!(self.asm ; .arch x64 ; pavgw Rx(d), Rx(y)),
            (MulLo, _) => dynasm!(self.asm ; .arch x64 ; pmullw Rx(d), Rx(y)),
            _ => unreachable!("no 128-bit {op:?} on {lane:?} lanes (ir::verify refuses it)"),
        }
        self.vfinish(dst, d);
    }

    /// The forms of `ir::vector::has_vshift`: SSE2's shifts by immediate give 0 (or copies
    /// of the sign bit) for counts of the lane width or more, as the IR defines them.
    pub(super) fn vshift(&mut self, op: LaneOp, lane: Width, dst: Temp, a: Temp, count: u8) {
        use LaneOp::*;
        use Width::*;
        let d = self.vdst(dst);
        self.vcopy_into(d, a);
        let n = count.min(64) as i8;
        match (op, lane) {
            (Shl, W16) => dynasm!(self.asm ; .arch x64 ; psllw Rx(d), n),
            (Shl, W32) => dynasm!(self.asm ; .arch x64 ; pslld Rx(d), n),
            (Shl, _) => dynasm!(self.asm ; .arch x64 ; psllq Rx(d), n),
            (Lshr, W16) => dynasm!(self.asm ; .arch x64 ; psrlw Rx(d), n),
            (Lshr, W32) => dynasm!(self.asm ; .arch x64 ; psrld Rx(d), n),
            (Lshr, _) => dynasm!(self.asm ; .arch x64 ; psrlq Rx(d), n),
            (Ashr, W16) => dynasm!(self.asm ; .arch x64 ; psraw Rx(d), n),
            _ => dynasm!(self.asm ; .arch x64 ; psrad Rx(d), n),
        }
        self.vfinish(dst, d);
    }
}

/// Whether a vector temporary of `block` may stay in an xmm register: every xmm register is
/// caller-saved, so only in blocks where no op may call a function
/// ([`crate::backend::may_call`]; conservative here for the atomics, which call only on
/// AArch64 hosts).
pub(super) fn vector_regs_allowed(block: &crate::ir::Block) -> bool {
    !block.ops.iter().any(crate::backend::may_call)
}
