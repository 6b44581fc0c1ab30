//! Lane-wise integer ops (`Op::Lanes`): both values moved to `d0`/`d1`, one AdvSIMD
//! instruction (two for the high half of a 16-bit product, plus the count's clamp for a
//! shift by a register) on their 8-byte vectors, the result moved back.
//!
//! Scratch: `v0`, `v1`, `S0` (operands), `S1` (a shift count).

use super::abi::*;
use super::Emitter;
use crate::ir::{LaneOp, Temp, Width};
use dynasmrt::{dynasm, DynasmApi};

impl Emitter {
    /// `Op::Lanes` (see the module doc).
    pub(super) fn lanes(&mut self, op: LaneOp, lane: Width, dst: Temp, a: Temp, b: Temp) {
        use LaneOp::*;
        use Width::*;
        let x = self.src(a, S0);
        dynasm!(self.a ; .arch aarch64 ; fmov d0, X(x));
        if matches!(op, Shl | Lshr | Ashr) {
            return self.lane_shift(op, lane, dst, b);
        }
        let y = self.src(b, S0);
        dynasm!(self.a ; .arch aarch64 ; fmov d1, X(y));
        match (op, lane) {
            (Add, W8) => dynasm!(self.a ; .arch aarch64 ; add v0.b8, v0.b8, v1.b8),
            (Add, W16) => dynasm!(self.a ; .arch aarch64 ; add v0.h4, v0.h4, v1.h4),
            (Add, _) => dynasm!(self.a ; .arch aarch64 ; add v0.s2, v0.s2, v1.s2),
            (Sub, W8) => dynasm!(self.a ; .arch aarch64 ; sub v0.b8, v0.b8, v1.b8),
            (Sub, W16) => dynasm!(self.a ; .arch aarch64 ; sub v0.h4, v0.h4, v1.h4),
            (Sub, _) => dynasm!(self.a ; .arch aarch64 ; sub v0.s2, v0.s2, v1.s2),
            (AddSatU, W8) => dynasm!(self.a ; .arch aarch64 ; uqadd v0.b8, v0.b8, v1.b8),
            (AddSatU, _) => dynasm!(self.a ; .arch aarch64 ; uqadd v0.h4, v0.h4, v1.h4),
            (AddSatS, W8) => dynasm!(self.a ; .arch aarch64 ; sqadd v0.b8, v0.b8, v1.b8),
            (AddSatS, _) => dynasm!(self.a ; .arch aarch64 ; sqadd v0.h4, v0.h4, v1.h4),
            (SubSatU, W8) => dynasm!(self.a ; .arch aarch64 ; uqsub v0.b8, v0.b8, v1.b8),
            (SubSatU, _) => dynasm!(self.a ; .arch aarch64 ; uqsub v0.h4, v0.h4, v1.h4),
            (SubSatS, W8) => dynasm!(self.a ; .arch aarch64 ; sqsub v0.b8, v0.b8, v1.b8),
            (SubSatS, _) => dynasm!(self.a ; .arch aarch64 ; sqsub v0.h4, v0.h4, v1.h4),
            (CmpEq, W8) => dynasm!(self.a ; .arch aarch64 ; cmeq v0.b8, v0.b8, v1.b8),
            (CmpEq, W16) => dynasm!(self.a ; .arch aarch64 ; cmeq v0.h4, v0.h4, v1.h4),
            (CmpEq, _) => dynasm!(self.a ; .arch aarch64 ; cmeq v0.s2, v0.s2, v1.s2),
            (CmpGtS, W8) => dynasm!(self.a ; .arch aarch64 ; cmgt v0.b8, v0.b8, v1.b8),
            (CmpGtS, W16) => dynasm!(self.a ; .arch aarch64 ; cmgt v0.h4, v0.h4, v1.h4),
            (CmpGtS, _) => dynasm!(self.a ; .arch aarch64 ; cmgt v0.s2, v0.s2, v1.s2),
            (CmpGtU, W8) => dynasm!(self.a ; .arch aarch64 ; cmhi v0.b8, v0.b8, v1.b8),
            (CmpGtU, W16) => dynasm!(self.a ; .arch aarch64 ; cmhi v0.h4, v0.h4, v1.h4),
            (CmpGtU, _) => dynasm!(self.a ; .arch aarch64 ; cmhi v0.s2, v0.s2, v1.s2),
            (MinS, W8) => dynasm!(self.a ; .arch aarch64 ; smin v0.b8, v0.b8, v1.b8),
            (MinS, W16) => dynasm!(self.a ; .arch aarch64 ; smin v0.h4, v0.h4, v1.h4),
            (MinS, _) => dynasm!(self.a ; .arch aarch64 ; smin v0.s2, v0.s2, v1.s2),
            (MinU, W8) => dynasm!(self.a ; .arch aarch64 ; umin v0.b8, v0.b8, v1.b8),
            (MinU, W16) => dynasm!(self.a ; .arch aarch64 ; umin v0.h4, v0.h4, v1.h4),
            (MinU, _) => dynasm!(self.a ; .arch aarch64 ; umin v0.s2, v0.s2, v1.s2),
            (MaxS, W8) => dynasm!(self.a ; .arch aarch64 ; smax v0.b8, v0.b8, v1.b8),
            (MaxS, W16) => dynasm!(self.a ; .arch aarch64 ; smax v0.h4, v0.h4, v1.h4),
            (MaxS, _) => dynasm!(self.a ; .arch aarch64 ; smax v0.s2, v0.s2, v1.s2),
            (MaxU, W8) => dynasm!(self.a ; .arch aarch64 ; umax v0.b8, v0.b8, v1.b8),
            (MaxU, W16) => dynasm!(self.a ; .arch aarch64 ; umax v0.h4, v0.h4, v1.h4),
            (MaxU, _) => dynasm!(self.a ; .arch aarch64 ; umax v0.s2, v0.s2, v1.s2),
            (AvgU, W8) => dynasm!(self.a ; .arch aarch64 ; urhadd v0.b8, v0.b8, v1.b8),
            (AvgU, _) => dynasm!(self.a ; .arch aarch64 ; urhadd v0.h4, v0.h4, v1.h4),
            (MulLo, W16) => dynasm!(self.a ; .arch aarch64 ; mul v0.h4, v0.h4, v1.h4),
            (MulLo, _) => dynasm!(self.a ; .arch aarch64 ; mul v0.s2, v0.s2, v1.s2),
            (MulHiS, _) => {
                dynasm!(self.a ; .arch aarch64 ; smull v0.s4, v0.h4, v1.h4 ; shrn v0.h4, v0.s4, #16)
            }
            (MulHiU, _) => {
                dynasm!(self.a ; .arch aarch64 ; umull v0.s4, v0.h4, v1.h4 ; shrn v0.h4, v0.s4, #16)
            }
            (ZipLo, W8) => dynasm!(self.a ; .arch aarch64 ; zip1 v0.b8, v0.b8, v1.b8),
            (ZipLo, W16) => dynasm!(self.a ; .arch aarch64 ; zip1 v0.h4, v0.h4, v1.h4),
            (ZipLo, _) => dynasm!(self.a ; .arch aarch64 ; zip1 v0.s2, v0.s2, v1.s2),
            (ZipHi, W8) => dynasm!(self.a ; .arch aarch64 ; zip2 v0.b8, v0.b8, v1.b8),
            (ZipHi, W16) => dynasm!(self.a ; .arch aarch64 ; zip2 v0.h4, v0.h4, v1.h4),
            (ZipHi, _) => dynasm!(self.a ; .arch aarch64 ; zip2 v0.s2, v0.s2, v1.s2),
            (UzpEven, W8) => dynasm!(self.a ; .arch aarch64 ; uzp1 v0.b8, v0.b8, v1.b8),
            (UzpEven, W16) => dynasm!(self.a ; .arch aarch64 ; uzp1 v0.h4, v0.h4, v1.h4),
            (UzpEven, _) => dynasm!(self.a ; .arch aarch64 ; uzp1 v0.s2, v0.s2, v1.s2),
            (UzpOdd, W8) => dynasm!(self.a ; .arch aarch64 ; uzp2 v0.b8, v0.b8, v1.b8),
            (UzpOdd, W16) => dynasm!(self.a ; .arch aarch64 ; uzp2 v0.h4, v0.h4, v1.h4),
            (UzpOdd, _) => dynasm!(self.a ; .arch aarch64 ; uzp2 v0.s2, v0.s2, v1.s2),
            (NarrowSatS | NarrowSatSU | NarrowSatU, _) => {
                // The 128-bit `b:a`, narrowed.
                dynasm!(self.a ; .arch aarch64 ; mov v0.d[1], v1.d[0]);
                match (op, lane) {
                    (NarrowSatS, W8) => dynasm!(self.a ; .arch aarch64 ; sqxtn v0.b8, v0.h8),
                    (NarrowSatS, _) => dynasm!(self.a ; .arch aarch64 ; sqxtn v0.h4, v0.s4),
                    (NarrowSatSU, _) => dynasm!(self.a ; .arch aarch64 ; sqxtun v0.b8, v0.h8),
                    _ => dynasm!(self.a ; .arch aarch64 ; uqxtn v0.b8, v0.h8),
                }
            }
            (Shl | Lshr | Ashr, _) => unreachable!("shifts are lowered by lane_shift"),
        }
        self.lane_result(dst);
    }

    /// `dst` = the low 64 bits of `v0`.
    fn lane_result(&mut self, dst: Temp) {
        let d = self.dst(dst, S0);
        dynasm!(self.a ; .arch aarch64 ; fmov X(d), d0);
        self.finish(dst, d);
    }

    /// A shift of every lane of `d0` by `count`: the immediate form for a constant count, else
    /// USHL/SSHL by the count clamped to the lane width (negated for right shifts), which
    /// gives 0 or sign fill there as [`LaneOp::Shl`] defines.
    fn lane_shift(&mut self, op: LaneOp, lane: Width, dst: Temp, count: Temp) {
        use LaneOp::*;
        use Width::*;
        let lw = lane.bits();
        if let Some(c) = self.consts[count.0 as usize] {
            let n = c.min(lw as u64) as u32;
            match (op, n) {
                (_, 0) => {}
                (Shl | Lshr, _) if n == lw => dynasm!(self.a ; .arch aarch64 ; movi d0, #0),
                (Shl, _) => match lane {
                    W8 => dynasm!(self.a ; .arch aarch64 ; shl v0.b8, v0.b8, n),
                    W16 => dynasm!(self.a ; .arch aarch64 ; shl v0.h4, v0.h4, n),
                    W32 => dynasm!(self.a ; .arch aarch64 ; shl v0.s2, v0.s2, n),
                    W64 => dynasm!(self.a ; .arch aarch64 ; shl d0, d0, n),
                },
                (Lshr, _) => match lane {
                    W8 => dynasm!(self.a ; .arch aarch64 ; ushr v0.b8, v0.b8, n),
                    W16 => dynasm!(self.a ; .arch aarch64 ; ushr v0.h4, v0.h4, n),
                    W32 => dynasm!(self.a ; .arch aarch64 ; ushr v0.s2, v0.s2, n),
                    W64 => dynasm!(self.a ; .arch aarch64 ; ushr d0, d0, n),
                },
                _ => match lane {
                    W8 => dynasm!(self.a ; .arch aarch64 ; sshr v0.b8, v0.b8, n),
                    W16 => dynasm!(self.a ; .arch aarch64 ; sshr v0.h4, v0.h4, n),
                    W32 => dynasm!(self.a ; .arch aarch64 ; sshr v0.s2, v0.s2, n),
                    W64 => dynasm!(self.a ; .arch aarch64 ; sshr d0, d0, n),
                },
            }
            return self.lane_result(dst);
        }
        let y = self.src(count, S0);
        dynasm!(self.a
            ; .arch aarch64
            ; mov X(S1), lw as u64
            ; cmp X(y), X(S1)
            ; csel X(S1), X(y), X(S1), lo
        );
        if op != Shl {
            dynasm!(self.a ; .arch aarch64 ; neg X(S1), X(S1));
        }
        match lane {
            W8 => dynasm!(self.a ; .arch aarch64 ; dup v1.b8, W(S1)),
            W16 => dynasm!(self.a ; .arch aarch64 ; dup v1.h4, W(S1)),
            W32 => dynasm!(self.a ; .arch aarch64 ; dup v1.s2, W(S1)),
            W64 => dynasm!(self.a ; .arch aarch64 ; fmov d1, X(S1)),
        }
        match (op == Ashr, lane) {
            (false, W8) => dynasm!(self.a ; .arch aarch64 ; ushl v0.b8, v0.b8, v1.b8),
            (false, W16) => dynasm!(self.a ; .arch aarch64 ; ushl v0.h4, v0.h4, v1.h4),
            (false, W32) => dynasm!(self.a ; .arch aarch64 ; ushl v0.s2, v0.s2, v1.s2),
            (false, W64) => dynasm!(self.a ; .arch aarch64 ; ushl d0, d0, d1),
            (true, W8) => dynasm!(self.a ; .arch aarch64 ; sshl v0.b8, v0.b8, v1.b8),
            (true, W16) => dynasm!(self.a ; .arch aarch64 ; sshl v0.h4, v0.h4, v1.h4),
            (true, W32) => dynasm!(self.a ; .arch aarch64 ; sshl v0.s2, v0.s2, v1.s2),
            (true, W64) => dynasm!(self.a ; .arch aarch64 ; sshl d0, d0, d1),
        }
        self.lane_result(dst);
    }
}
