//! Floating-point ops (`Op::Fp`).
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
use crate::ir::{FpOp, FpPrec, FpResult, FpRule, Temp};
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
}
