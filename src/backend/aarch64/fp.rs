//! Floating-point ops (`Op::Fp`) and lane-wise integer ops (`Op::Lanes`, one AdvSIMD
//! instruction on the 64-bit `d` registers).
//!
//! [`FpRule::X86Sse`] differs from this host's FPU in NaN propagation (x86 takes the first
//! NaN operand, A64 prefers a signalling one), the default NaN's sign, min/max of NaNs and
//! zeros, the denormal-operand flag (DE, which A64 does not raise with FZ clear) and where
//! underflow is detected. For now every such op is a call of the rule's reference,
//! [`crate::ir::fp::eval_x86_call`] (no guest state is flushed: it reads only its
//! arguments); the native fast path with a check on the inputs is the next step.

use super::abi::*;
use super::Emitter;
use crate::ir::fp::{encode_sel, eval_x86_call};
use crate::ir::{FpOp, FpPrec, FpResult, FpRule, LaneOp, Temp, Width};
use dynasmrt::{dynasm, DynasmApi};

impl Emitter {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn fp(
        &mut self,
        op: FpOp,
        prec: FpPrec,
        rule: FpRule,
        result: FpResult,
        dst: Temp,
        a: Temp,
        b: Temp,
        ctrl: Temp,
    ) {
        let func = match rule {
            FpRule::X86Sse => eval_x86_call as crate::ir::HelperFn as usize,
        };
        // Temporaries live in callee-saved registers or spill slots (see `call_helper`), so
        // loading the argument registers cannot overwrite another argument's source.
        for (reg, t) in [(2u8, a), (3, b), (4, ctrl)] {
            let r = self.src(t, reg);
            if r != reg {
                dynasm!(self.a ; .arch aarch64 ; mov X(reg), X(r));
            }
        }
        self.mov_imm(1, encode_sel(op, prec, result));
        dynasm!(self.a ; .arch aarch64 ; mov x0, X(STATE));
        self.mov_imm(FAR, func as u64);
        dynasm!(self.a ; .arch aarch64 ; blr X(FAR));
        let d = self.dst(dst, 0);
        if d != 0 {
            dynasm!(self.a ; .arch aarch64 ; mov X(d), x0);
        }
        self.finish(dst, d);
    }

    /// `Op::Lanes`: both values moved to `d0`/`d1`, one AdvSIMD op on their 8-byte vector.
    pub(super) fn lanes(&mut self, op: LaneOp, lane: Width, dst: Temp, a: Temp, b: Temp) {
        let x = self.src(a, S0);
        dynasm!(self.a ; .arch aarch64 ; fmov d0, X(x));
        let y = self.src(b, S0);
        dynasm!(self.a ; .arch aarch64 ; fmov d1, X(y));
        match (op, lane) {
            (LaneOp::Add, Width::W8) => dynasm!(self.a ; .arch aarch64 ; add v0.b8, v0.b8, v1.b8),
            (LaneOp::Add, Width::W16) => dynasm!(self.a ; .arch aarch64 ; add v0.h4, v0.h4, v1.h4),
            (LaneOp::Add, _) => dynasm!(self.a ; .arch aarch64 ; add v0.s2, v0.s2, v1.s2),
            (LaneOp::Sub, Width::W8) => dynasm!(self.a ; .arch aarch64 ; sub v0.b8, v0.b8, v1.b8),
            (LaneOp::Sub, Width::W16) => dynasm!(self.a ; .arch aarch64 ; sub v0.h4, v0.h4, v1.h4),
            (LaneOp::Sub, _) => dynasm!(self.a ; .arch aarch64 ; sub v0.s2, v0.s2, v1.s2),
            (LaneOp::AddSatU, Width::W8) => dynasm!(self.a ; .arch aarch64 ; uqadd v0.b8, v0.b8, v1.b8),
            (LaneOp::AddSatU, _) => dynasm!(self.a ; .arch aarch64 ; uqadd v0.h4, v0.h4, v1.h4),
            (LaneOp::AddSatS, Width::W8) => dynasm!(self.a ; .arch aarch64 ; sqadd v0.b8, v0.b8, v1.b8),
            (LaneOp::AddSatS, _) => dynasm!(self.a ; .arch aarch64 ; sqadd v0.h4, v0.h4, v1.h4),
            (LaneOp::SubSatU, Width::W8) => dynasm!(self.a ; .arch aarch64 ; uqsub v0.b8, v0.b8, v1.b8),
            (LaneOp::SubSatU, _) => dynasm!(self.a ; .arch aarch64 ; uqsub v0.h4, v0.h4, v1.h4),
            (LaneOp::SubSatS, Width::W8) => dynasm!(self.a ; .arch aarch64 ; sqsub v0.b8, v0.b8, v1.b8),
            (LaneOp::SubSatS, _) => dynasm!(self.a ; .arch aarch64 ; sqsub v0.h4, v0.h4, v1.h4),
        }
        let d = self.dst(dst, S0);
        dynasm!(self.a ; .arch aarch64 ; fmov X(d), d0);
        self.finish(dst, d);
    }
}
