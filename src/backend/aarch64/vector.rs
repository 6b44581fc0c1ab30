//! 128-bit vector temporaries (`ir::vector`) as AdvSIMD instructions on q registers.
//!
//! A vector temporary lives in one of [`VECTOR_REGS`] (v16-v31, in blocks that call nothing:
//! the AAPCS64 keeps only the low 64 bits of v8-v15 across calls and none of v16-v31) or in
//! a 16-byte slot after the spill slots (`Emitter::valloc`, `Emitter::vbase`). Every op is
//! one AdvSIMD instruction, plus the loads and stores of spilled operands. Scratch: `v0`
//! (a spilled destination), `v1`, `v2` (spilled sources), [`FAR`] (far state offsets).

use super::abi::*;
use super::Emitter;
use crate::ir::regalloc::Loc;
use crate::ir::{LaneOp, MemOrder, Temp, VBitOp, Width};
use dynasmrt::{dynasm, DynasmApi};

impl Emitter {
    /// A vector register holding `t`: its own, or `scratch` after loading its slot.
    fn vsrc(&mut self, t: Temp, scratch: u8) -> u8 {
        match self.valloc.loc(t) {
            Loc::Reg(i) => VECTOR_REGS[i as usize],
            Loc::Spill(s) => {
                let off = self.vbase + 16 * u32::from(s);
                dynasm!(self.a ; .arch aarch64 ; ldr Q(scratch), [sp, #off]);
                scratch
            }
        }
    }

    /// The vector register to compute `t` in: its own, or `v0` (then [`Self::vfinish`]).
    fn vdst(&self, t: Temp) -> u8 {
        match self.valloc.loc(t) {
            Loc::Reg(i) => VECTOR_REGS[i as usize],
            Loc::Spill(_) => 0,
        }
    }

    /// Stores `v` to `t`'s slot if `t` lives in one.
    fn vfinish(&mut self, t: Temp, v: u8) {
        if let Loc::Spill(s) = self.valloc.loc(t) {
            let off = self.vbase + 16 * u32::from(s);
            dynasm!(self.a ; .arch aarch64 ; str Q(v), [sp, #off]);
        }
    }

    /// `ldr`/`str` of `q(v)` at `state + offset` (scaled, unscaled or through [`FAR`]).
    fn vstate_access(&mut self, load: bool, v: u8, offset: u32) {
        let (base, off) = if offset.is_multiple_of(16) && offset / 16 < 4096 {
            (STATE, offset)
        } else if offset < 256 {
            let off = offset as i32;
            match load {
                true => dynasm!(self.a ; .arch aarch64 ; ldur Q(v), [X(STATE), #off]),
                false => dynasm!(self.a ; .arch aarch64 ; stur Q(v), [X(STATE), #off]),
            }
            return;
        } else {
            dynasm!(self.a ; .arch aarch64 ; add XSP(FAR), XSP(STATE), #offset);
            (FAR, 0)
        };
        match load {
            true => dynasm!(self.a ; .arch aarch64 ; ldr Q(v), [X(base), #off]),
            false => dynasm!(self.a ; .arch aarch64 ; str Q(v), [X(base), #off]),
        }
    }

    pub(super) fn vload_state(&mut self, dst: Temp, offset: u32) {
        let d = self.vdst(dst);
        self.before_vector_state_access(offset);
        self.vstate_access(true, d, offset);
        self.vfinish(dst, d);
    }

    pub(super) fn vstore_state(&mut self, offset: u32, src: Temp) {
        let s = self.vsrc(src, 1);
        self.before_vector_state_access(offset);
        self.vstate_access(false, s, offset);
        self.after_vector_state_store(offset);
    }

    /// `ldr q`, then for `Acquire` the barrier of the scalar loads (`mem`): `dmb ishld`.
    pub(super) fn vload(&mut self, dst: Temp, addr: Temp, order: MemOrder) {
        let a = self.data_address(addr, S1);
        let d = self.vdst(dst);
        dynasm!(self.a ; .arch aarch64 ; ldr Q(d), [X(a)]);
        if order != MemOrder::Plain {
            dynasm!(self.a ; .arch aarch64 ; dmb ishld);
        }
        self.vfinish(dst, d);
    }

    /// For `Release`, the barrier of the scalar stores (`mem`): `dmb ishst`, then `str q`.
    /// A `str q` that crosses a page may write its first part before it faults on the
    /// second (qemu-user writes 8 bytes; the Arm ARM allows it), where `Op::VStore` writes
    /// nothing: so the second page is probed for writing first when the store crosses one
    /// (unless an `Op::ProbeWrite` of the same guest instruction covered it).
    pub(super) fn vstore(&mut self, addr: Temp, src: Temp, order: MemOrder) {
        let s = self.vsrc(src, 1);
        let a = self.data_address(addr, S1);
        if !self.was_probed(addr, 16) {
            self.probe_write_at(a, 16);
        }
        if order != MemOrder::Plain {
            dynasm!(self.a ; .arch aarch64 ; dmb ishst);
        }
        dynasm!(self.a ; .arch aarch64 ; str Q(s), [X(a)]);
    }

    pub(super) fn vpack(&mut self, dst: Temp, lo: Temp, hi: Temp) {
        let d = self.vdst(dst);
        let l = self.src(lo, S0);
        dynasm!(self.a ; .arch aarch64 ; fmov D(d), X(l));
        let h = self.src(hi, S1);
        dynasm!(self.a ; .arch aarch64 ; mov V(d).d[1], X(h));
        self.vfinish(dst, d);
    }

    pub(super) fn vhalf(&mut self, dst: Temp, src: Temp, high: bool) {
        let s = self.vsrc(src, 1);
        let d = self.dst(dst, S0);
        if high {
            dynasm!(self.a ; .arch aarch64 ; mov X(d), V(s).d[1]);
        } else {
            dynasm!(self.a ; .arch aarch64 ; fmov X(d), D(s));
        }
        self.finish(dst, d);
    }

    pub(super) fn vbit(&mut self, op: VBitOp, dst: Temp, a: Temp, b: Temp) {
        let (x, y, d) = (self.vsrc(a, 1), self.vsrc(b, 2), self.vdst(dst));
        match op {
            VBitOp::And => dynasm!(self.a ; .arch aarch64 ; and V(d).b16, V(x).b16, V(y).b16),
            VBitOp::Or => dynasm!(self.a ; .arch aarch64 ; orr V(d).b16, V(x).b16, V(y).b16),
            VBitOp::Xor => dynasm!(self.a ; .arch aarch64 ; eor V(d).b16, V(x).b16, V(y).b16),
            VBitOp::AndNot => dynasm!(self.a ; .arch aarch64 ; bic V(d).b16, V(x).b16, V(y).b16),
        }
        self.vfinish(dst, d);
    }

    /// The forms of `ir::vector::has_vlane`, one AdvSIMD instruction each.
    pub(super) fn vlanes(&mut self, op: LaneOp, lane: Width, dst: Temp, a: Temp, b: Temp) {
        use LaneOp::*;
        use Width::*;
        let (x, y, d) = (self.vsrc(a, 1), self.vsrc(b, 2), self.vdst(dst));
        match (op, lane) {
            (Add, W8) => dynasm!(self.a ; .arch aarch64 ; add V(d).b16, V(x).b16, V(y).b16),
            (Add, W16) => dynasm!(self.a ; .arch aarch64 ; add V(d).h8, V(x).h8, V(y).h8),
            (Add, _) => dynasm!(self.a ; .arch aarch64 ; add V(d).s4, V(x).s4, V(y).s4),
            (Sub, W8) => dynasm!(self.a ; .arch aarch64 ; sub V(d).b16, V(x).b16, V(y).b16),
            (Sub, W16) => dynasm!(self.a ; .arch aarch64 ; sub V(d).h8, V(x).h8, V(y).h8),
            (Sub, _) => dynasm!(self.a ; .arch aarch64 ; sub V(d).s4, V(x).s4, V(y).s4),
            (AddSatU, W8) => dynasm!(self.a ; .arch aarch64 ; uqadd V(d).b16, V(x).b16, V(y).b16),
            (AddSatU, _) => dynasm!(self.a ; .arch aarch64 ; uqadd V(d).h8, V(x).h8, V(y).h8),
            (AddSatS, W8) => dynasm!(self.a ; .arch aarch64 ; sqadd V(d).b16, V(x).b16, V(y).b16),
            (AddSatS, _) => dynasm!(self.a ; .arch aarch64 ; sqadd V(d).h8, V(x).h8, V(y).h8),
            (SubSatU, W8) => dynasm!(self.a ; .arch aarch64 ; uqsub V(d).b16, V(x).b16, V(y).b16),
            (SubSatU, _) => dynasm!(self.a ; .arch aarch64 ; uqsub V(d).h8, V(x).h8, V(y).h8),
            (SubSatS, W8) => dynasm!(self.a ; .arch aarch64 ; sqsub V(d).b16, V(x).b16, V(y).b16),
            (SubSatS, _) => dynasm!(self.a ; .arch aarch64 ; sqsub V(d).h8, V(x).h8, V(y).h8),
            (CmpEq, W8) => dynasm!(self.a ; .arch aarch64 ; cmeq V(d).b16, V(x).b16, V(y).b16),
            (CmpEq, W16) => dynasm!(self.a ; .arch aarch64 ; cmeq V(d).h8, V(x).h8, V(y).h8),
            (CmpEq, _) => dynasm!(self.a ; .arch aarch64 ; cmeq V(d).s4, V(x).s4, V(y).s4),
            (CmpGtS, W8) => dynasm!(self.a ; .arch aarch64 ; cmgt V(d).b16, V(x).b16, V(y).b16),
            (CmpGtS, W16) => dynasm!(self.a ; .arch aarch64 ; cmgt V(d).h8, V(x).h8, V(y).h8),
            (CmpGtS, _) => dynasm!(self.a ; .arch aarch64 ; cmgt V(d).s4, V(x).s4, V(y).s4),
            (MinU, _) => dynasm!(self.a ; .arch aarch64 ; umin V(d).b16, V(x).b16, V(y).b16),
            (MaxU, _) => dynasm!(self.a ; .arch aarch64 ; umax V(d).b16, V(x).b16, V(y).b16),
            (MinS, _) => dynasm!(self.a ; .arch aarch64 ; smin V(d).h8, V(x).h8, V(y).h8),
            (MaxS, _) => dynasm!(self.a ; .arch aarch64 ; smax V(d).h8, V(x).h8, V(y).h8),
            (AvgU, W8) => dynasm!(self.a ; .arch aarch64 ; urhadd V(d).b16, V(x).b16, V(y).b16),
            (AvgU, _) => dynasm!(self.a ; .arch aarch64 ; urhadd V(d).h8, V(x).h8, V(y).h8),
            (MulLo, _) => dynasm!(self.a ; .arch aarch64 ; mul V(d).h8, V(x).h8, V(y).h8),
            _ => unreachable!("no 128-bit {op:?} on {lane:?} lanes (ir::verify refuses it)"),
        }
        self.vfinish(dst, d);
    }

    /// The forms of `ir::vector::has_vshift`. AdvSIMD's immediates are `0 .. esize` for a
    /// left shift and `1 ..= esize` for a right one: count 0 is a copy, a logical shift by
    /// the lane width or more gives 0, an arithmetic one by more than the width is one by the
    /// width (copies of the sign bit).
    pub(super) fn vshift(&mut self, op: LaneOp, lane: Width, dst: Temp, a: Temp, count: u8) {
        use LaneOp::*;
        use Width::*;
        let (x, d) = (self.vsrc(a, 1), self.vdst(dst));
        let esize = lane.bits();
        let n = u32::from(count);
        if n == 0 {
            dynasm!(self.a ; .arch aarch64 ; mov V(d).b16, V(x).b16);
        } else if op != Ashr && n >= esize {
            dynasm!(self.a ; .arch aarch64 ; movi V(d).d2, 0);
        } else {
            let n = n.min(esize);
            match (op, lane) {
                (Shl, W16) => dynasm!(self.a ; .arch aarch64 ; shl V(d).h8, V(x).h8, n),
                (Shl, W32) => dynasm!(self.a ; .arch aarch64 ; shl V(d).s4, V(x).s4, n),
                (Shl, _) => dynasm!(self.a ; .arch aarch64 ; shl V(d).d2, V(x).d2, n),
                (Lshr, W16) => dynasm!(self.a ; .arch aarch64 ; ushr V(d).h8, V(x).h8, n),
                (Lshr, W32) => dynasm!(self.a ; .arch aarch64 ; ushr V(d).s4, V(x).s4, n),
                (Lshr, _) => dynasm!(self.a ; .arch aarch64 ; ushr V(d).d2, V(x).d2, n),
                (Ashr, W16) => dynasm!(self.a ; .arch aarch64 ; sshr V(d).h8, V(x).h8, n),
                _ => dynasm!(self.a ; .arch aarch64 ; sshr V(d).s4, V(x).s4, n),
            }
        }
        self.vfinish(dst, d);
    }
}
