//! Fused multiply-add (`Op::FpFma`) as FMADD/FMSUB/FNMADD/FNMSUB.
//!
//! [`FpRule::A64`] is this host's behaviour: the instruction runs under the guest's FPCR
//! ([`Emitter::under_guest_fpcr`], as `Op::Fp` does). `fmadd d, n, m, a` is `a + n * m`;
//! FMSUB negates `n`, FNMADD `n` and `a`, FNMSUB `a`, each by `FPNeg` before the NaN rules,
//! which is what the op's `neg` means under this rule.
//!
//! [`FpRule::X86Sse`] takes the instruction when MXCSR has its default controls and the three
//! operands and the result are plain (biased exponent neither of the two lowest nor of the
//! two highest), as `Op::Fp` does ([`super::fp`] says why): no NaN, infinity, denormal,
//! zero or invalid operation reaches it, no overflow or underflow is near, so its value is
//! x86's and the only flag is inexact (FPSR.IXC, MXCSR.PE). Anything else calls the exact
//! reference ([`crate::ir::fma::reference`], one helper for both rules), which half precision
//! always calls.

use super::abi::*;
use super::fp::MSR_FPSR_XZR;
use super::Emitter;
use crate::backend::fp_pair::FpDsts;
use crate::ir::{fma, FmaNeg, FpPrec, FpResult, FpRule, Temp};
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};

impl Emitter {
    pub(super) fn fma(&mut self, prec: FpPrec, rule: FpRule, neg: FmaNeg, dsts: FpDsts, srcs: [Temp; 4]) {
        let [a, b, c, ctrl] = srcs;
        if prec == FpPrec::F16 {
            // The host need not have FEAT_FP16: the reference is the definition.
            for (result, dst) in [(FpResult::Value, dsts.value), (FpResult::Flags, dsts.flags)] {
                if let Some(dst) = dst {
                    self.call_helper(Some(dst), fma::reference(prec, rule, result, neg) as usize, &srcs);
                }
            }
            return;
        }
        if rule == FpRule::A64 {
            self.fma_operands(prec, [a, b, c], None);
            return self.under_guest_fpcr(prec, dsts, ctrl, |e| e.fma_insn(prec, neg));
        }
        let slow = self.a.new_dynamic_label();
        let done = self.a.new_dynamic_label();
        let m = self.src(ctrl, S2);
        self.branch_unless_default_mxcsr(m, slow);
        self.fma_operands(prec, [a, b, c], Some(slow));
        if dsts.flags.is_some() {
            self.a.push_u32(MSR_FPSR_XZR);
        }
        self.fma_insn(prec, neg);
        let value = S3;
        match prec {
            FpPrec::F64 => dynasm!(self.a ; .arch aarch64 ; fmov X(value), d0),
            FpPrec::F32 | FpPrec::F16 => dynasm!(self.a ; .arch aarch64 ; fmov W(value), s0),
        }
        self.branch_if_not_plain(value, prec, slow);
        self.sse_fast_results(dsts, value, true);
        dynasm!(self.a ; .arch aarch64 ; b =>done ; =>slow);
        for (result, dst) in [(FpResult::Value, dsts.value), (FpResult::Flags, dsts.flags)] {
            if let Some(dst) = dst {
                self.call_helper(Some(dst), fma::reference(prec, rule, result, neg) as usize, &srcs);
            }
        }
        dynasm!(self.a ; .arch aarch64 ; =>done);
    }

    /// `a`, `b`, `c` into `v0`, `v1`, `v2`; with `plain_or`, branching there unless each is
    /// plain.
    fn fma_operands(&mut self, prec: FpPrec, srcs: [Temp; 3], plain_or: Option<dynasmrt::DynamicLabel>) {
        for (v, t) in srcs.into_iter().enumerate() {
            let x = self.src(t, S0);
            if let Some(slow) = plain_or {
                self.branch_if_not_plain(x, prec, slow);
            }
            let v = v as u8;
            match prec {
                FpPrec::F64 => dynasm!(self.a ; .arch aarch64 ; fmov D(v), X(x)),
                FpPrec::F32 | FpPrec::F16 => dynasm!(self.a ; .arch aarch64 ; fmov S(v), W(x)),
            }
        }
    }

    /// `v0 = (±v0 * v1) ± v2`.
    fn fma_insn(&mut self, prec: FpPrec, neg: FmaNeg) {
        match (neg.product, neg.addend, prec) {
            (false, false, FpPrec::F64) => dynasm!(self.a ; .arch aarch64 ; fmadd d0, d0, d1, d2),
            (true, false, FpPrec::F64) => dynasm!(self.a ; .arch aarch64 ; fmsub d0, d0, d1, d2),
            (true, true, FpPrec::F64) => dynasm!(self.a ; .arch aarch64 ; fnmadd d0, d0, d1, d2),
            (false, true, FpPrec::F64) => dynasm!(self.a ; .arch aarch64 ; fnmsub d0, d0, d1, d2),
            (false, false, FpPrec::F32 | FpPrec::F16) => {
                dynasm!(self.a ; .arch aarch64 ; fmadd s0, s0, s1, s2)
            }
            (true, false, FpPrec::F32 | FpPrec::F16) => {
                dynasm!(self.a ; .arch aarch64 ; fmsub s0, s0, s1, s2)
            }
            (true, true, FpPrec::F32 | FpPrec::F16) => {
                dynasm!(self.a ; .arch aarch64 ; fnmadd s0, s0, s1, s2)
            }
            (false, true, FpPrec::F32 | FpPrec::F16) => {
                dynasm!(self.a ; .arch aarch64 ; fnmsub s0, s0, s1, s2)
            }
        }
    }
}
