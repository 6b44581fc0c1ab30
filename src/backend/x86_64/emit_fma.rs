//! Fused multiply-add (`Op::FpFma`) as VFMADD231SD/SS and its negated forms, when the host has
//! FMA ([`super::HostFeatures::fma`]); otherwise, for half precision, and on the slow path, the
//! exact reference
//! ([`crate::ir::fma::reference`], one helper for both rules).
//!
//! [`FpRule::X86Sse`] is this host's behaviour: the instruction runs under the guest's MXCSR
//! as `Op::Fp` does ([`super::emit_fp::enter_guest_mxcsr`]). VFMADD231 computes `src2 * src3
//! + dst` and gives a NaN operand priority in that order, which is the op's `a`, `b`, `c`.
//!
//! [`FpRule::A64`] takes the instruction when FPCR rounds to nearest without FZ and the
//! result is plain (biased exponent neither of the two lowest nor of the two highest), as
//! `Op::Fp` does ([`super::emit_fp_a64`], which says why the result alone decides): a NaN or
//! infinite operand or an invalid operation gives a result that is not plain, so FPCR.DN,
//! FZ and the NaN order cannot matter, and no overflow or underflow is near; the only flag is
//! then inexact (MXCSR.PE, FPSR.IXC).
//!
//! Scratch: `rax`, `rcx`, `rdx`, `xmm0`..`xmm2` and 16 bytes of the red zone below `rsp`.

use super::abi::{RAX, RCX, RDX};
use super::emit_fp::{enter_guest_mxcsr, load_controls, read_guest_flags, underflow_when_unmasked};
use super::emit_fp_a64::{branch_if_not_plain, branch_unless_plain_modes, clear_mxcsr_flags, inexact_as_ixc};
use super::Emitter;
use crate::backend::fp_pair::FpDsts;
use crate::ir::{fma, FmaNeg, FpPrec, FpResult, FpRule, Helper, Temp};
use dynasmrt::{dynasm, DynasmLabelApi};

#[allow(clippy::too_many_arguments)]
pub(super) fn fma(
    e: &mut Emitter,
    prec: FpPrec,
    rule: FpRule,
    neg: FmaNeg,
    dsts: FpDsts,
    [a, b, c, ctrl]: [Temp; 4],
) {
    if !e.features.fma || prec == FpPrec::F16 {
        return reference(e, prec, rule, neg, dsts, [a, b, c, ctrl]);
    }
    let (slow, done) = (e.asm.new_dynamic_label(), e.asm.new_dynamic_label());
    load_controls(e, ctrl);
    if rule == FpRule::A64 {
        branch_unless_plain_modes(e, slow);
    }
    e.load(RCX, a);
    e.load(RDX, b);
    match prec {
        FpPrec::F64 => dynasm!(e.asm ; .arch x64 ; movq xmm0, rcx ; movq xmm1, rdx),
        FpPrec::F32 | FpPrec::F16 => dynasm!(e.asm ; .arch x64 ; movd xmm0, ecx ; movd xmm1, edx),
    }
    e.load(RCX, c);
    match prec {
        FpPrec::F64 => dynasm!(e.asm ; .arch x64 ; movq xmm2, rcx),
        FpPrec::F32 | FpPrec::F16 => dynasm!(e.asm ; .arch x64 ; movd xmm2, ecx),
    }
    match rule {
        FpRule::X86Sse => enter_guest_mxcsr(e, false),
        // Round to nearest, everything masked: the host's own controls; only PE is read.
        FpRule::A64 => clear_mxcsr_flags(e),
    }
    match (neg.product, neg.addend, prec) {
        (false, false, FpPrec::F64) => dynasm!(e.asm ; .arch x64 ; vfmadd231sd xmm2, xmm0, xmm1),
        (false, true, FpPrec::F64) => dynasm!(e.asm ; .arch x64 ; vfmsub231sd xmm2, xmm0, xmm1),
        (true, false, FpPrec::F64) => dynasm!(e.asm ; .arch x64 ; vfnmadd231sd xmm2, xmm0, xmm1),
        (true, true, FpPrec::F64) => dynasm!(e.asm ; .arch x64 ; vfnmsub231sd xmm2, xmm0, xmm1),
        (false, false, FpPrec::F32 | FpPrec::F16) => {
            dynasm!(e.asm ; .arch x64 ; vfmadd231ss xmm2, xmm0, xmm1)
        }
        (false, true, FpPrec::F32 | FpPrec::F16) => dynasm!(e.asm ; .arch x64 ; vfmsub231ss xmm2, xmm0, xmm1),
        (true, false, FpPrec::F32 | FpPrec::F16) => {
            dynasm!(e.asm ; .arch x64 ; vfnmadd231ss xmm2, xmm0, xmm1)
        }
        (true, true, FpPrec::F32 | FpPrec::F16) => dynasm!(e.asm ; .arch x64 ; vfnmsub231ss xmm2, xmm0, xmm1),
    }
    if rule == FpRule::X86Sse {
        // Before `rcx` takes the result and any destination is written.
        underflow_when_unmasked(e, dsts.flags, ctrl, 2, prec);
    }
    match prec {
        FpPrec::F64 => dynasm!(e.asm ; .arch x64 ; movq rcx, xmm2),
        FpPrec::F32 | FpPrec::F16 => dynasm!(e.asm ; .arch x64 ; movd ecx, xmm2),
    }
    if rule == FpRule::X86Sse {
        if let Some(dst) = dsts.value {
            e.store(dst, RCX);
        }
        return read_guest_flags(e, dsts.flags);
    }
    branch_if_not_plain(e, RCX, prec, slow);
    if let Some(dst) = dsts.flags {
        inexact_as_ixc(e);
        e.store(dst, RAX);
    }
    if let Some(dst) = dsts.value {
        e.store(dst, RCX);
    }
    dynasm!(e.asm ; .arch x64 ; jmp =>done ; =>slow);
    reference(e, prec, rule, neg, dsts, [a, b, c, ctrl]);
    dynasm!(e.asm ; .arch x64 ; =>done);
}

/// `dsts` = the reference's value and flags: a helper call each.
fn reference(e: &mut Emitter, prec: FpPrec, rule: FpRule, neg: FmaNeg, dsts: FpDsts, args: [Temp; 4]) {
    for (result, dst) in [(FpResult::Value, dsts.value), (FpResult::Flags, dsts.flags)] {
        if let Some(dst) = dst {
            let func = fma::reference(prec, rule, result, neg);
            let helper = Helper { name: "fma_reference", func, touches_memory: false };
            super::emit_call::call_helper(e, Some(dst), &helper, &args);
            // A value computed before the flags' call must survive it like any live temporary.
            e.defined[dst.0 as usize] = true;
        }
    }
}
