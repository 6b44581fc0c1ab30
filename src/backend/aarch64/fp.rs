//! Floating-point ops (`Op::Fp`) under [`FpRule::X86Sse`] ([`FpRule::A64`] is lowered natively
//! in [`super::fp_a64`]).
//!
//! [`FpRule::X86Sse`] differs from this host's FPU in NaN propagation (x86 takes the first
//! NaN operand, A64 prefers a signalling one), the default NaN's sign, min/max of NaNs, the
//! denormal-operand flag (DE, which A64 does not raise with FZ clear), where underflow is
//! detected (x86 after rounding, A64 before) and in the modes MXCSR selects. The fast path
//! runs the native instruction (host FPCR: round to nearest, FZ, DN and AH clear, as Linux
//! leaves it) and keeps its result when that is provably x86's:
//! - MXCSR has its default modes (RC nearest, no DAZ or FTZ) and UM set. The other masks
//!   change neither the value nor the flags word (the masked response's flags, which the
//!   frontend tests against the masks); with UM clear an exact tiny result raises UE too
//!   ([`crate::ir::fp`]), which FPSR does not show, so that goes to the reference.
//! - The result is not a NaN (`fcmp d0, d0`: every NaN rule that differs yields one).
//! - With the flags wanted, FPSR (cleared before the op) holds at most IXC: IOC, DZC, OFC,
//!   UFC, IDC go to the reference. IEEE defines the value, DZ and OF alike on both; A64's
//!   tininess before rounding makes UFC a superset of x86's masked UE (tiny after rounding
//!   and inexact), so when UFC is clear neither raises it; a value that rounds is IXC = PE.
//!   Zero and infinite operands and results compute the same IEEE value and flags on both.
//! - With the flags wanted, no operand is denormal (x86 raises DE; the value would be the
//!   same): an operand whose exponent field is zero branches to a stub after the fast path
//!   that returns zeros to it and sends denormals to the reference.
//!
//! Then MXCSR.PE is FPSR.IXC moved up one bit. Anything else runs the exact reference,
//! [`crate::ir::fp::eval_x86_both_call`], one call for the value and the flags (no guest state
//! is flushed: it reads only its arguments). Min/max take the fast path's compare and select
//! (the first operand if it is strictly less / greater, else the second, which is x86's rule
//! for non-NaN operands, zeros of either sign included) and raise nothing there; a NaN
//! operand (unordered compare) or a denormal one (DE) goes to the reference.

use super::abi::*;
use super::Emitter;
use crate::backend::fp_pair::FpDsts;
use crate::ir::fp::{encode_sel, eval_x86_both_call, eval_x86_call};
use crate::ir::fp_a64::eval_a64_call;
use crate::ir::{FpOp, FpPrec, FpResult, FpRule, Temp};
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};

/// MXCSR bits that select other than x86's default computation: rounding control (13-14),
/// flush-to-zero (15), denormals-are-zero (6).
pub(super) const MXCSR_MODES: u32 = 0xe040;
/// MXCSR.UM, the underflow exception mask (bit 11).
pub(super) const MXCSR_UM: u32 = 0x800;
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
        let min_max = matches!(op, FpOp::Min | FpOp::Max | FpOp::MinNum | FpOp::MaxNum);
        let flags = dsts.flags.is_some();
        let slow = self.a.new_dynamic_label();
        let done = self.a.new_dynamic_label();
        let x = self.src(a, S0);
        let y = self.src(b, S1);
        let c = self.src(ctrl, S2);
        self.branch_unless_default_mxcsr(c, slow);
        // Inputs with a zero exponent field: zeros stay on the fast path, denormals (DE) go to
        // the reference, through a stub after the fast path. Only the flags depend on it.
        let mut stubs = Vec::new();
        if flags {
            // Sqrt reads one operand (`a == b`).
            let inputs: &[u8] = if op == FpOp::Sqrt { &[y] } else { &[x, y] };
            for &reg in inputs {
                let (stub, back) = (self.a.new_dynamic_label(), self.a.new_dynamic_label());
                self.branch_if_exponent_zero(reg, prec, stub);
                dynasm!(self.a ; .arch aarch64 ; =>back);
                stubs.push((reg, stub, back));
            }
        }
        match prec {
            FpPrec::F64 => dynasm!(self.a ; .arch aarch64 ; fmov d0, X(x) ; fmov d1, X(y)),
            FpPrec::F32 | FpPrec::F16 => dynasm!(self.a ; .arch aarch64 ; fmov s0, W(x) ; fmov s1, W(y)),
        }
        if min_max {
            // x86: the first operand if it is less (greater), else the second; a NaN operand
            // (unordered) goes to the reference. An f32 result is the low 32 bits,
            // zero-extended (the operands' upper halves are not theirs).
            match prec {
                FpPrec::F64 => dynasm!(self.a ; .arch aarch64 ; fcmp d0, d1 ; b.vs =>slow),
                FpPrec::F32 | FpPrec::F16 => dynasm!(self.a ; .arch aarch64 ; fcmp s0, s1 ; b.vs =>slow),
            }
            if let Some(dst) = dsts.value {
                let d = self.dst(dst, S3);
                match (op, prec) {
                    (FpOp::Min | FpOp::MinNum, FpPrec::F64) => {
                        dynasm!(self.a ; .arch aarch64 ; csel X(d), X(x), X(y), mi)
                    }
                    (_, FpPrec::F64) => dynasm!(self.a ; .arch aarch64 ; csel X(d), X(x), X(y), gt),
                    (FpOp::Min | FpOp::MinNum, _) => {
                        dynasm!(self.a ; .arch aarch64 ; csel W(d), W(x), W(y), mi)
                    }
                    (_, _) => dynasm!(self.a ; .arch aarch64 ; csel W(d), W(x), W(y), gt),
                }
                self.finish(dst, d);
            }
            if let Some(dst) = dsts.flags {
                let d = self.dst(dst, S4);
                dynasm!(self.a ; .arch aarch64 ; mov X(d), xzr);
                self.finish(dst, d);
            }
        } else {
            if flags {
                self.a.push_u32(MSR_FPSR_XZR);
            }
            self.a.push_u32(fp_insn(op, prec));
            // A NaN result is x86's only when the reference says so (NaN rules differ); with
            // the flags, FPSR must hold nothing but IXC (IOC, DZC, OFC, UFC, IDC: reference).
            if flags {
                dynasm!(self.a
                    ; .arch aarch64
                    ; mrs X(S4), FPSR
                    ; tst W(S4), #0xefef_efef
                );
                match prec {
                    FpPrec::F64 => dynasm!(self.a ; .arch aarch64 ; fccmp d0, d0, #1, eq),
                    FpPrec::F32 | FpPrec::F16 => dynasm!(self.a ; .arch aarch64 ; fccmp s0, s0, #1, eq),
                }
            } else {
                match prec {
                    FpPrec::F64 => dynasm!(self.a ; .arch aarch64 ; fcmp d0, d0),
                    FpPrec::F32 | FpPrec::F16 => dynasm!(self.a ; .arch aarch64 ; fcmp s0, s0),
                }
            }
            dynasm!(self.a ; .arch aarch64 ; b.vs =>slow);
            if let Some(dst) = dsts.value {
                self.fp0_to(dst, prec, S3);
            }
            if let Some(dst) = dsts.flags {
                // FPSR bits 0-3 are clear here: bits 0-4 moved up one put IXC (bit 4) at
                // MXCSR.PE (bit 5) and nothing else.
                let d = self.dst(dst, S4);
                dynasm!(self.a ; .arch aarch64 ; ubfiz W(d), W(S4), #1, #5);
                self.finish(dst, d);
            }
        }
        dynasm!(self.a ; .arch aarch64 ; b =>done);
        let last = stubs.len();
        for (i, (reg, stub, back)) in stubs.into_iter().enumerate() {
            // A zero goes back to the fast path; a denormal falls through to the reference.
            dynasm!(self.a ; .arch aarch64 ; =>stub);
            match prec {
                FpPrec::F64 => dynasm!(self.a ; .arch aarch64 ; tst X(reg), #0x7fff_ffff_ffff_ffff),
                FpPrec::F32 | FpPrec::F16 => dynasm!(self.a ; .arch aarch64 ; tst W(reg), #0x7fff_ffff),
            }
            dynasm!(self.a ; .arch aarch64 ; b.eq =>back);
            if i + 1 < last {
                dynasm!(self.a ; .arch aarch64 ; b =>slow);
            }
        }
        dynasm!(self.a ; .arch aarch64 ; =>slow);
        self.fp_reference_pair(encode_sel(op, prec, FpResult::Value), dsts, [a, b, ctrl]);
        dynasm!(self.a ; .arch aarch64 ; =>done);
    }

    /// `dst` = the result in `d0` (`s0` for f32, zero-extended), through `scratch` if `dst`
    /// is spilled.
    pub(super) fn fp0_to(&mut self, dst: Temp, prec: FpPrec, scratch: u8) {
        let d = self.dst(dst, scratch);
        match prec {
            FpPrec::F64 => dynasm!(self.a ; .arch aarch64 ; fmov X(d), d0),
            FpPrec::F32 | FpPrec::F16 => dynasm!(self.a ; .arch aarch64 ; fmov W(d), s0),
        }
        self.finish(dst, d);
    }

    /// Branches to `stub` if the float in `reg` (`prec`'s bits at the bottom) has a zero
    /// exponent field (a zero or a denormal).
    fn branch_if_exponent_zero(&mut self, reg: u8, prec: FpPrec, stub: DynamicLabel) {
        match prec {
            FpPrec::F64 => dynasm!(self.a ; .arch aarch64 ; tst X(reg), #0x7ff0_0000_0000_0000 ; b.eq =>stub),
            FpPrec::F32 | FpPrec::F16 => {
                dynasm!(self.a ; .arch aarch64 ; tst W(reg), #0x7f80_0000 ; b.eq =>stub)
            }
        }
    }

    /// Branches to `slow` unless the MXCSR in `reg` has x86's default modes and UM set: with
    /// UM clear an exact tiny result is an underflow too (SDM vol. 1, 11.5.2.4), which the
    /// host's FPSR does not show (UFC only when inexact). Uses `S3`.
    pub(super) fn branch_unless_default_mxcsr(&mut self, reg: u8, slow: DynamicLabel) {
        const MODES_AND_UM: u32 = MXCSR_MODES | MXCSR_UM;
        dynasm!(self.a
            ; .arch aarch64
            ; movz W(S3), #MODES_AND_UM
            ; and W(S3), W(reg), W(S3)
            ; eor WSP(S3), W(S3), #MXCSR_UM
            ; cbnz W(S3), =>slow
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

    /// `dsts` = the exact reference's value and flags of the op, from one call of
    /// [`eval_x86_both_call`] (which returns them in x0 and x1).
    fn fp_reference_pair(&mut self, sel: u64, dsts: FpDsts, [a, b, ctrl]: [Temp; 3]) {
        let func = eval_x86_both_call as *const () as usize;
        self.call_reference_into(func, sel, &[a, b, ctrl], [(dsts.value, 0), (dsts.flags, 1)]);
    }

    /// `dst` = `func(state, sel, a, b, ctrl)`: the exact reference's value or flags of the op.
    fn fp_reference(&mut self, func: crate::ir::HelperFn, sel: u64, dst: Temp, [a, b, ctrl]: [Temp; 3]) {
        self.call_reference_into(func as usize, sel, &[a, b, ctrl], [(Some(dst), 0), (None, 1)]);
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
