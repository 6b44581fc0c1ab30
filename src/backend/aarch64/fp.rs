//! Floating-point ops (`Op::Fp`) under [`FpRule::X86Sse`] ([`FpRule::A64`] is lowered natively
//! in [`super::fp_a64`]).
//!
//! [`FpRule::X86Sse`] differs from this host's FPU in NaN propagation (x86 takes the first
//! NaN operand, A64 prefers a signalling one), the default NaN's sign, min/max of NaNs and
//! zeros, the denormal-operand flag (DE, which A64 does not raise with FZ clear), where
//! underflow is detected (x86 after rounding, A64 before) and in the modes MXCSR selects.
//! None of these arise when MXCSR has its default controls (round to nearest, no DAZ or FTZ;
//! the exception masks do not change what the op computes) and every operand and the result
//! is a normal number away from the ends of the exponent range (biased exponent neither of
//! the two lowest nor of the two highest values; zeros included in those): then the native
//! A64 instruction computes x86's value, and the only flag the op can raise is inexact (an
//! invalid operation yields a NaN, division by zero needs a zero divisor, overflow and
//! underflow a result at the ends of the range), which is FPSR.IXC. That is the fast path;
//! anything else branches to the exact reference, [`crate::ir::fp::eval_x86_call`] (no
//! guest state is flushed: it reads only its arguments). Min/max take the fast path's
//! compare and select (the first operand if it is strictly less / greater, else the second,
//! which is x86's rule for non-NaN operands) and raise nothing there.

use super::abi::*;
use super::Emitter;
use crate::backend::fp_pair::FpDsts;
use crate::ir::fp::{encode_sel, eval_x86_call};
use crate::ir::fp_a64::eval_a64_call;
use crate::ir::{FpOp, FpPrec, FpResult, FpRule, Temp};
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};

/// MXCSR bits that select other than x86's default computation: rounding control (13-14),
/// flush-to-zero (15), denormals-are-zero (6).
pub(super) const MXCSR_MODES: u32 = 0xe040;
/// FPSR as the immediate of `mrs`/`msr` (op0 3, op1 3, CRn 4, CRm 4, op2 1).
pub(super) const FPSR: u32 = 0x5a21;
/// `msr fpsr, xzr` (clears the cumulative exception flags), as one fixed word.
pub(super) const MSR_FPSR_XZR: u32 = 0xd510_0000 | FPSR << 5 | 31;

/// The AArch64 scalar FP instruction for `op` at `prec`: `d0 = d0 op d1` (`s0` for f32), or
/// `d0 = sqrt(d1)`; both rules' fast paths emit it. The Arm ARM's "Floating-point
/// data-processing (2 source)" class (FMUL, FDIV, FADD, FSUB, FMAX, FMIN, FMAXNM, FMINNM by
/// opcode) and FSQRT from the 1-source class; `ftype` 0 is single, 1 double, 3 half.
pub(super) fn fp_insn(op: FpOp, prec: FpPrec) -> u32 {
    let ftype = match prec {
        FpPrec::F32 => 0,
        FpPrec::F64 => 1,
        FpPrec::F16 => 3,
    } << 22;
    let (rd, rn, rm) = (0u32, 0u32, 1u32);
    let two_source = |opcode: u32| 0x1e20_0800 | ftype | rm << 16 | opcode << 12 | rn << 5 | rd;
    match op {
        FpOp::Mul => two_source(0),
        FpOp::Div => two_source(1),
        FpOp::Add => two_source(2),
        FpOp::Sub => two_source(3),
        FpOp::Max => two_source(4),
        FpOp::Min => two_source(5),
        FpOp::MaxNum => two_source(6),
        FpOp::MinNum => two_source(7),
        FpOp::Sqrt => 0x1e21_c000 | ftype | rm << 5 | rd,
    }
}

impl Emitter {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn fp(
        &mut self,
        op: FpOp,
        prec: FpPrec,
        rule: FpRule,
        dsts: FpDsts,
        a: Temp,
        b: Temp,
        ctrl: Temp,
    ) {
        if prec == FpPrec::F16 {
            // The host need not have FEAT_FP16: the reference is the definition (the native
            // paths never see F16).
            for (result, dst) in [(FpResult::Value, dsts.value), (FpResult::Flags, dsts.flags)] {
                if let Some(dst) = dst {
                    let func = match rule {
                        FpRule::X86Sse => eval_x86_call as crate::ir::HelperFn,
                        FpRule::A64 => eval_a64_call,
                    };
                    self.fp_reference(func, encode_sel(op, prec, result), dst, [a, b, ctrl]);
                }
            }
            return;
        }
        match rule {
            FpRule::X86Sse => {}
            FpRule::A64 => return self.fp_a64(op, prec, dsts, a, b, ctrl),
        }
        let slow = self.a.new_dynamic_label();
        let done = self.a.new_dynamic_label();
        let x = self.src(a, S0);
        let y = self.src(b, S1);
        let c = self.src(ctrl, S2);
        self.branch_unless_default_mxcsr(c, slow);
        // Sqrt reads one operand (`a == b`).
        if op != FpOp::Sqrt {
            self.branch_if_not_plain(x, prec, slow);
        }
        self.branch_if_not_plain(y, prec, slow);
        match prec {
            FpPrec::F64 => dynasm!(self.a ; .arch aarch64 ; fmov d0, X(x) ; fmov d1, X(y)),
            FpPrec::F32 | FpPrec::F16 => dynasm!(self.a ; .arch aarch64 ; fmov s0, W(x) ; fmov s1, W(y)),
        }
        let min_max = matches!(op, FpOp::Min | FpOp::Max | FpOp::MinNum | FpOp::MaxNum);
        if dsts.flags.is_some() && !min_max {
            self.a.push_u32(MSR_FPSR_XZR);
        }
        let value = S3;
        match op {
            FpOp::Min | FpOp::Max | FpOp::MinNum | FpOp::MaxNum => match prec {
                FpPrec::F64 => dynasm!(self.a ; .arch aarch64 ; fcmp d0, d1),
                FpPrec::F32 | FpPrec::F16 => dynasm!(self.a ; .arch aarch64 ; fcmp s0, s1),
            },
            _ => self.a.push_u32(fp_insn(op, prec)),
        }
        match (op, prec) {
            // x86: the first operand if it is less (greater), else the second. An f32 result
            // is the low 32 bits, zero-extended (the operands' upper halves are not theirs).
            (FpOp::Min | FpOp::MinNum, FpPrec::F64) => {
                dynasm!(self.a ; .arch aarch64 ; csel X(value), X(x), X(y), mi)
            }
            (FpOp::Max | FpOp::MaxNum, FpPrec::F64) => {
                dynasm!(self.a ; .arch aarch64 ; csel X(value), X(x), X(y), gt)
            }
            (FpOp::Min | FpOp::MinNum, FpPrec::F32 | FpPrec::F16) => {
                dynasm!(self.a ; .arch aarch64 ; csel W(value), W(x), W(y), mi)
            }
            (FpOp::Max | FpOp::MaxNum, FpPrec::F32 | FpPrec::F16) => {
                dynasm!(self.a ; .arch aarch64 ; csel W(value), W(x), W(y), gt)
            }
            (_, FpPrec::F64) => dynasm!(self.a ; .arch aarch64 ; fmov X(value), d0),
            (_, FpPrec::F32 | FpPrec::F16) => dynasm!(self.a ; .arch aarch64 ; fmov W(value), s0),
        }
        if !min_max {
            self.branch_if_not_plain(value, prec, slow);
        }
        self.sse_fast_results(dsts, value, !min_max);
        dynasm!(self.a ; .arch aarch64 ; b =>done ; =>slow);
        for (result, dst) in [(FpResult::Value, dsts.value), (FpResult::Flags, dsts.flags)] {
            if let Some(dst) = dst {
                self.fp_reference(eval_x86_call, encode_sel(op, prec, result), dst, [a, b, ctrl]);
            }
        }
        dynasm!(self.a ; .arch aarch64 ; =>done);
    }

    /// Branches to `slow` unless the MXCSR in `reg` has x86's default modes. Uses `S3`.
    pub(super) fn branch_unless_default_mxcsr(&mut self, reg: u8, slow: DynamicLabel) {
        dynasm!(self.a
            ; .arch aarch64
            ; movz W(S3), #MXCSR_MODES
            ; tst W(reg), W(S3)
            ; b.ne =>slow
        );
    }

    /// The end of an `X86Sse` fast path: `value` (a register) to `dsts.value`, and to
    /// `dsts.flags` MXCSR.PE read from FPSR.IXC when `inexact` (the only flag the path can
    /// raise), else no flag. Shared with the conversions and the fused multiply-add.
    pub(super) fn sse_fast_results(&mut self, dsts: FpDsts, value: u8, inexact: bool) {
        if let Some(dst) = dsts.value {
            let d = self.dst(dst, value);
            if d != value {
                dynasm!(self.a ; .arch aarch64 ; mov X(d), X(value));
            }
            self.finish(dst, d);
        }
        if let Some(dst) = dsts.flags {
            let d = self.dst(dst, S4);
            if inexact {
                // FPSR.IXC (bit 4) is MXCSR.PE (bit 5).
                dynasm!(self.a
                    ; .arch aarch64
                    ; mrs X(d), FPSR
                    ; ubfx W(d), W(d), #4, #1
                    ; lsl W(d), W(d), #5
                );
            } else {
                dynasm!(self.a ; .arch aarch64 ; mov X(d), xzr);
            }
            self.finish(dst, d);
        }
    }

    /// Branches to `slow` unless the float in `reg` (`prec`'s bits at the bottom) has a biased
    /// exponent other than the two lowest and the two highest (so it is not zero, denormal,
    /// infinite or NaN, and a result is not near underflow or overflow). Uses `S4`.
    pub(super) fn branch_if_not_plain(&mut self, reg: u8, prec: FpPrec, slow: DynamicLabel) {
        // Exponent + 2 has its bits above the lowest two clear exactly for those four values.
        match prec {
            FpPrec::F64 => dynasm!(self.a
                ; .arch aarch64
                ; ubfx X(S4), X(reg), #52, #11
                ; add WSP(S4), WSP(S4), #2
                ; tst W(S4), #0x7fc
                ; b.eq =>slow
            ),
            FpPrec::F32 | FpPrec::F16 => dynasm!(self.a
                ; .arch aarch64
                ; ubfx W(S4), W(reg), #23, #8
                ; add WSP(S4), WSP(S4), #2
                ; tst W(S4), #0xfc
                ; b.eq =>slow
            ),
        }
    }

    /// `dst` = `func(state, sel, a, b, ctrl)`: the exact reference's value or flags of the op.
    fn fp_reference(&mut self, func: crate::ir::HelperFn, sel: u64, dst: Temp, [a, b, ctrl]: [Temp; 3]) {
        let func = func as usize;
        // The reference reads only its arguments; the state registers it may change are kept.
        self.save_state_regs(false);
        // Temporaries live in callee-saved registers or spill slots (see `call_helper`), so
        // loading the argument registers cannot overwrite another argument's source.
        for (reg, t) in [(2u8, a), (3, b), (4, ctrl)] {
            let r = self.src(t, reg);
            if r != reg {
                dynasm!(self.a ; .arch aarch64 ; mov X(reg), X(r));
            }
        }
        self.mov_imm(1, sel);
        dynasm!(self.a ; .arch aarch64 ; mov x0, X(STATE));
        self.mov_imm(FAR, func as u64);
        dynasm!(self.a ; .arch aarch64 ; blr X(FAR));
        let d = self.dst(dst, 0);
        if d != 0 {
            dynasm!(self.a ; .arch aarch64 ; mov X(d), x0);
        }
        self.finish(dst, d);
        self.restore_state_regs(false);
    }
}

#[cfg(test)]
mod tests {
    use super::fp_insn;
    use crate::ir::{FpOp, FpPrec};
    use dynasmrt::{aarch64::Aarch64Relocation, dynasm, VecAssembler};

    /// `fp_insn` gives the words dynasm assembles for each op and precision.
    #[test]
    fn fp_insn_matches_the_assembler() {
        let mut a = VecAssembler::<Aarch64Relocation>::new(0);
        dynasm!(a ; .arch aarch64
            ; fadd d0, d0, d1 ; fsub d0, d0, d1 ; fmul d0, d0, d1 ; fdiv d0, d0, d1 ; fsqrt d0, d1
            ; fmin d0, d0, d1 ; fmax d0, d0, d1 ; fminnm d0, d0, d1 ; fmaxnm d0, d0, d1
            ; fadd s0, s0, s1 ; fsub s0, s0, s1 ; fmul s0, s0, s1 ; fdiv s0, s0, s1 ; fsqrt s0, s1
            ; fmin s0, s0, s1 ; fmax s0, s0, s1 ; fminnm s0, s0, s1 ; fmaxnm s0, s0, s1);
        let bytes = a.finalize().expect("assembles");
        let ops = FpOp::ALL;
        let ours: Vec<u8> = [FpPrec::F64, FpPrec::F32]
            .into_iter()
            .flat_map(|prec| ops.iter().map(move |&op| fp_insn(op, prec)))
            .flat_map(u32::to_le_bytes)
            .collect();
        assert_eq!(ours, bytes);
    }
}
