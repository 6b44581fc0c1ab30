//! Floating-point compares and conversions (`Op::FpCmp`, `Op::FpCvt`).
//!
//! [`FpRule::X86Sse`] on this host, as `fp` does for `Op::Fp`: a native fast path where A64
//! computes x86's answer, a cheap check around it, and the exact reference
//! ([`crate::ir::fp_cmp::eval_x86_call`], [`crate::ir::fp_cvt::eval_x86_call`]) otherwise.
//! - Compares: FCMP and a condition. Operands that are NaN, infinite or denormal take the
//!   reference (NaNs decide the invalid flag by predicate, denormals raise DE or read as zero
//!   under DAZ); for the others no flag is raised and MXCSR changes nothing.
//! - Integer to float: SCVTF when MXCSR rounds to nearest (DAZ and FTZ cannot matter: the
//!   result is an integer); inexact is FPSR.IXC.
//! - Float to integer: FCVTZS (truncating) or FCVTNS (MXCSR rounding to nearest, ties to
//!   even), when DAZ is clear. A64 saturates where x86 gives the integer indefinite, and a NaN
//!   gives 0: both raise FPSR.IOC, which sends the conversion to the reference.
//! - f32 to f64: FCVT for operands that are not NaN, infinite or denormal (exact, no flag).
//! - f64 to f32: FCVT under MXCSR's default controls when the result is a normal number away
//!   from the ends of the exponent range (so no overflow, underflow or FTZ); inexact is IXC.
//! - [`CvtRound::Zero`] is native only into integers (and f32 -> f64, which is exact): the
//!   other forms take the reference.

use super::abi::*;
use super::fp::{FPSR, MSR_FPSR_XZR, MXCSR_MODES};
use super::Emitter;
use crate::backend::fp_pair::FpDsts;
use crate::ir::{fp_cmp, fp_cvt, CvtRound, FpCmpOp, FpPrec, FpResult, FpRule, NumFormat, Temp};
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};

/// MXCSR rounding control (13-14).
const MXCSR_RC: u32 = 0x6000;
/// MXCSR DAZ (6).
const MXCSR_DAZ: u32 = 0x40;

impl Emitter {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn fp_cmp(
        &mut self,
        op: FpCmpOp,
        prec: FpPrec,
        rule: FpRule,
        dsts: FpDsts,
        a: Temp,
        b: Temp,
        ctrl: Temp,
    ) {
        match rule {
            FpRule::X86Sse => {}
            FpRule::A64 => unreachable!("FpCmp/FpCvt under the A64 rule: rejected by ir::verify"),
        }
        let slow = self.a.new_dynamic_label();
        let done = self.a.new_dynamic_label();
        let x = self.src(a, S0);
        let y = self.src(b, S1);
        self.branch_if_special(x, prec, slow);
        self.branch_if_special(y, prec, slow);
        match prec {
            FpPrec::F64 => dynasm!(self.a ; .arch aarch64 ; fmov d0, X(x) ; fmov d1, X(y) ; fcmp d0, d1),
            FpPrec::F32 | FpPrec::F16 => {
                dynasm!(self.a ; .arch aarch64 ; fmov s0, W(x) ; fmov s1, W(y) ; fcmp s0, s1)
            }
        }
        if let Some(dst) = dsts.value {
            let d = self.dst(dst, S3);
            // Ordered operands: less is MI, less or equal LS, greater HI.
            macro_rules! mask {
                ($cond:tt) => {
                    match prec {
                        FpPrec::F64 => dynasm!(self.a ; .arch aarch64 ; csetm X(d), $cond),
                        FpPrec::F32 | FpPrec::F16 => dynasm!(self.a ; .arch aarch64 ; csetm W(d), $cond),
                    }
                };
            }
            match op {
                FpCmpOp::Eq => mask!(eq),
                FpCmpOp::Lt => mask!(mi),
                FpCmpOp::Le => mask!(ls),
                FpCmpOp::Unord => dynasm!(self.a ; .arch aarch64 ; mov X(d), xzr),
                FpCmpOp::Neq => mask!(ne),
                FpCmpOp::Nlt => mask!(pl),
                FpCmpOp::Nle => mask!(hi),
                // CSETM cannot take AL (it would encode NV, giving zero).
                FpCmpOp::Ord => match prec {
                    FpPrec::F64 => dynasm!(self.a ; .arch aarch64 ; movn X(d), #0),
                    FpPrec::F32 | FpPrec::F16 => dynasm!(self.a ; .arch aarch64 ; movn W(d), #0),
                },
                // ZF | CF << 2 (PF is clear for ordered operands).
                FpCmpOp::Cond | FpCmpOp::CondSignalling => dynasm!(self.a
                    ; .arch aarch64
                    ; cset W(S4), mi
                    ; cset W(d), eq
                    ; orr W(d), W(d), W(S4), lsl #2
                ),
            }
            self.finish(dst, d);
        }
        if let Some(dst) = dsts.flags {
            let d = self.dst(dst, S4);
            dynasm!(self.a ; .arch aarch64 ; mov X(d), xzr);
            self.finish(dst, d);
        }
        dynasm!(self.a ; .arch aarch64 ; b =>done ; =>slow);
        let func = fp_cmp::eval_x86_call as crate::ir::HelperFn as usize;
        for (result, dst) in [(FpResult::Value, dsts.value), (FpResult::Flags, dsts.flags)] {
            if let Some(dst) = dst {
                self.call_reference(func, fp_cmp::encode_sel(op, prec, result), &[a, b, ctrl], dst);
            }
        }
        dynasm!(self.a ; .arch aarch64 ; =>done);
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn fp_cvt(
        &mut self,
        from: NumFormat,
        to: NumFormat,
        round: CvtRound,
        rule: FpRule,
        dsts: FpDsts,
        a: Temp,
        ctrl: Temp,
    ) {
        use NumFormat::*;
        match rule {
            FpRule::X86Sse => {}
            FpRule::A64 => unreachable!("FpCmp/FpCvt under the A64 rule: rejected by ir::verify"),
        }
        let slow = self.a.new_dynamic_label();
        let done = self.a.new_dynamic_label();
        // Rounding towards zero is native only into integers (FCVTZS; f32 -> f64 is exact);
        // the other forms round as FPCR says (to nearest). Impossible pairs: the reference.
        let zero_ok = to.is_int() || (from, to) == (F32, F64);
        let fast = from.converts_to(to) && (round == CvtRound::Ctrl || zero_ok);
        if fast {
            let x = self.src(a, S0);
            let c = self.src(ctrl, S2);
            // The MXCSR controls the fast path needs at their defaults.
            let modes = match (from, to) {
                (I32 | I64, _) => MXCSR_RC,
                (_, I32 | I64) if round == CvtRound::Zero => MXCSR_DAZ,
                (_, I32 | I64) => MXCSR_RC | MXCSR_DAZ,
                (F32, F64) => 0,
                _ => MXCSR_MODES,
            };
            if modes != 0 {
                dynasm!(self.a
                    ; .arch aarch64
                    ; movz W(S3), #modes
                    ; tst W(c), W(S3)
                    ; b.ne =>slow
                );
            }
            match from {
                F64 => dynasm!(self.a ; .arch aarch64 ; fmov d0, X(x)),
                F32 => dynasm!(self.a ; .arch aarch64 ; fmov s0, W(x)),
                I32 | I64 => {}
            }
            if from == F32 && to == F64 {
                self.branch_if_special(x, FpPrec::F32, slow);
            }
            // Every form but the exact f32 -> f64 reads FPSR (the flags, or IOC for the check).
            let reads_fpsr = !(from == F32 && to == F64);
            if reads_fpsr {
                self.a.push_u32(MSR_FPSR_XZR);
            }
            let value = S3;
            let trunc = round == CvtRound::Zero;
            match (from, to) {
                (I32, F64) => dynasm!(self.a ; .arch aarch64 ; scvtf d0, W(x) ; fmov X(value), d0),
                (I64, F64) => dynasm!(self.a ; .arch aarch64 ; scvtf d0, X(x) ; fmov X(value), d0),
                (I32, F32) => dynasm!(self.a ; .arch aarch64 ; scvtf s0, W(x) ; fmov W(value), s0),
                (I64, F32) => dynasm!(self.a ; .arch aarch64 ; scvtf s0, X(x) ; fmov W(value), s0),
                (F64, I32) if trunc => dynasm!(self.a ; .arch aarch64 ; fcvtzs W(value), d0),
                (F64, I32) => dynasm!(self.a ; .arch aarch64 ; fcvtns W(value), d0),
                (F64, I64) if trunc => dynasm!(self.a ; .arch aarch64 ; fcvtzs X(value), d0),
                (F64, I64) => dynasm!(self.a ; .arch aarch64 ; fcvtns X(value), d0),
                (F32, I32) if trunc => dynasm!(self.a ; .arch aarch64 ; fcvtzs W(value), s0),
                (F32, I32) => dynasm!(self.a ; .arch aarch64 ; fcvtns W(value), s0),
                (F32, I64) if trunc => dynasm!(self.a ; .arch aarch64 ; fcvtzs X(value), s0),
                (F32, I64) => dynasm!(self.a ; .arch aarch64 ; fcvtns X(value), s0),
                (F32, F64) => dynasm!(self.a ; .arch aarch64 ; fcvt d0, s0 ; fmov X(value), d0),
                _ => dynasm!(self.a ; .arch aarch64 ; fcvt s0, d0 ; fmov W(value), s0),
            }
            if to.is_int() {
                // Invalid (NaN, out of range): A64 saturates, x86 gives the indefinite.
                dynasm!(self.a
                    ; .arch aarch64
                    ; mrs X(S4), FPSR
                    ; tbnz W(S4), #0, =>slow
                );
            }
            if from == F64 && to == F32 {
                self.branch_if_not_plain_f32(value, slow);
            }
            self.sse_fast_results(dsts, value, reads_fpsr);
            dynasm!(self.a ; .arch aarch64 ; b =>done);
        }
        dynasm!(self.a ; .arch aarch64 ; =>slow);
        let func = fp_cvt::eval_x86_call as crate::ir::HelperFn as usize;
        for (result, dst) in [(FpResult::Value, dsts.value), (FpResult::Flags, dsts.flags)] {
            if let Some(dst) = dst {
                self.call_reference(func, fp_cvt::encode_sel(from, to, round, result), &[a, ctrl], dst);
            }
        }
        dynasm!(self.a ; .arch aarch64 ; =>done);
    }

    /// Branches to `slow` if the float in `reg` (`prec`'s bits at the bottom) is NaN,
    /// infinite or denormal; zeros and normal numbers fall through. Uses `S4`.
    fn branch_if_special(&mut self, reg: u8, prec: FpPrec, slow: DynamicLabel) {
        let ok = self.a.new_dynamic_label();
        // Without the sign: zero passes; else the biased exponent + 1 has bits other than
        // its top one exactly when the exponent is neither all zeros nor all ones.
        match prec {
            FpPrec::F64 => dynasm!(self.a
                ; .arch aarch64
                ; lsl X(S4), X(reg), #1
                ; cbz X(S4), =>ok
                ; lsr X(S4), X(S4), #53
                ; add WSP(S4), WSP(S4), #1
                ; tst W(S4), #0x7fe
                ; b.eq =>slow
            ),
            FpPrec::F32 | FpPrec::F16 => dynasm!(self.a
                ; .arch aarch64
                ; lsl W(S4), W(reg), #1
                ; cbz W(S4), =>ok
                ; lsr W(S4), W(S4), #24
                ; add WSP(S4), WSP(S4), #1
                ; tst W(S4), #0xfe
                ; b.eq =>slow
            ),
        }
        dynasm!(self.a ; .arch aarch64 ; =>ok);
    }

    /// Branches to `slow` unless the f32 in `reg` has a biased exponent other than the two
    /// lowest and the two highest (not zero, denormal, infinite, NaN, or near them). Uses `S4`.
    fn branch_if_not_plain_f32(&mut self, reg: u8, slow: DynamicLabel) {
        dynasm!(self.a
            ; .arch aarch64
            ; ubfx W(S4), W(reg), #23, #8
            ; add WSP(S4), WSP(S4), #2
            ; tst W(S4), #0xfc
            ; b.eq =>slow
        );
    }

    /// `dst = func(state, sel, args...)`: a reference with the helper signature, called
    /// without flushing guest state (it reads only its arguments).
    fn call_reference(&mut self, func: usize, sel: u64, args: &[Temp], dst: Temp) {
        self.call_reference_into(func, sel, args, [(Some(dst), 0), (None, 1)]);
    }

    /// Calls `func(state, sel, args...)` (a reference that reads only its arguments: no
    /// guest state is flushed) and moves each result register to its destination (x0, and
    /// x1 for a two-register result).
    pub(super) fn call_reference_into(
        &mut self,
        func: usize,
        sel: u64,
        args: &[Temp],
        results: [(Option<Temp>, u8); 2],
    ) {
        // The reference reads only its arguments; the state registers it may change are kept.
        self.save_state_regs(false);
        // Temporaries live in callee-saved registers or spill slots (see `call_helper`), so
        // loading the argument registers cannot overwrite another argument's source.
        for (reg, &t) in (2u8..).zip(args) {
            let r = self.src(t, reg);
            if r != reg {
                dynasm!(self.a ; .arch aarch64 ; mov X(reg), X(r));
            }
        }
        self.mov_imm(1, sel);
        dynasm!(self.a ; .arch aarch64 ; mov x0, X(STATE));
        self.mov_imm(FAR, func as u64);
        dynasm!(self.a ; .arch aarch64 ; blr X(FAR));
        // No destination is x0 or x1 unless it is that very register's spill (callee-saved
        // registers or spill slots, as above), so the first move cannot clobber the second.
        for (dst, reg) in results {
            if let Some(dst) = dst {
                let d = self.dst(dst, reg);
                if d != reg {
                    dynasm!(self.a ; .arch aarch64 ; mov X(d), X(reg));
                }
                self.finish(dst, d);
            }
        }
        self.restore_state_regs(false);
    }
}
