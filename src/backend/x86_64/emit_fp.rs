//! Floating-point ops (`Op::Fp`) as SSE2 scalar instructions.
//!
//! [`FpRule::X86Sse`] is this host's own FPU behaviour, so the op runs natively under the
//! guest's MXCSR: the host MXCSR is saved, the guest's control bits (rounding, DAZ, FTZ) are
//! loaded with every exception masked and the flags cleared, the SSE instruction runs, and
//! for [`FpResult::Flags`] the flags it raised are read back with `stmxcsr`; then the host
//! MXCSR is restored, so Rust code (the dispatcher, helpers) never runs under the guest's
//! modes ([`FpRule::A64`] has its own lowering, [`super::emit_fp_a64`]). NaN propagation, the default NaN, min/max operand order, denormals and the masked
//! exception responses are then the hardware's, which is what the rule names.
//!
//! Scratch: `rax` (MXCSR values, result), `rcx` and `rdx` (operands), `xmm0` and `xmm1`, and
//! 16 bytes of the red zone below `rsp` (the kernel leaves 128 bytes there untouched when it
//! delivers a signal; translated code makes no calls between the writes and reads).

use super::abi::{RAX, RCX, RDX};
use super::Emitter;
use crate::backend::fp_pair::FpDsts;
use crate::ir::{FpOp, FpPrec, FpRule, Temp};
use dynasmrt::{dynasm, DynasmApi};

/// MXCSR with every exception masked (bits 7..12).
const ALL_MASKED: i32 = 0x1f80;
/// MXCSR control bits kept from the guest (rounding, masks, FTZ, DAZ); the flags (bits 0..5)
/// are cleared and the reserved upper half is zero.
const CONTROL_BITS: i32 = 0xffc0;

#[allow(clippy::too_many_arguments)]
pub(super) fn fp(
    e: &mut Emitter,
    op: FpOp,
    prec: FpPrec,
    rule: FpRule,
    dsts: FpDsts,
    a: Temp,
    b: Temp,
    ctrl: Temp,
) {
    match rule {
        FpRule::X86Sse => {}
        FpRule::A64 => return super::emit_fp_a64::fp_a64(e, op, prec, dsts, a, b, ctrl),
    }
    e.load(RAX, ctrl);
    e.load(RCX, a);
    e.load(RDX, b);
    enter_guest_mxcsr(e, false);
    match prec {
        FpPrec::F64 => dynasm!(e.asm ; .arch x64 ; movq xmm0, rcx ; movq xmm1, rdx),
        FpPrec::F32 | FpPrec::F16 => dynasm!(e.asm ; .arch x64 ; movd xmm0, ecx ; movd xmm1, edx),
    }
    sse_scalar(e, op, prec);
    if let Some(dst) = dsts.value {
        match prec {
            FpPrec::F64 => dynasm!(e.asm ; .arch x64 ; movq rax, xmm0),
            FpPrec::F32 | FpPrec::F16 => dynasm!(e.asm ; .arch x64 ; movd eax, xmm0),
        }
        e.store(dst, RAX);
    }
    leave_guest_mxcsr(e, dsts.flags);
}

/// The SSE2 scalar instruction of `op` on xmm0 and xmm1 (result in xmm0), for both rules'
/// lowerings: what differs between the rules is the control word around it and the checks.
pub(super) fn sse_scalar(e: &mut Emitter, op: FpOp, prec: FpPrec) {
    match (op, prec) {
        (FpOp::Add, FpPrec::F64) => dynasm!(e.asm ; .arch x64 ; addsd xmm0, xmm1),
        (FpOp::Sub, FpPrec::F64) => dynasm!(e.asm ; .arch x64 ; subsd xmm0, xmm1),
        (FpOp::Mul, FpPrec::F64) => dynasm!(e.asm ; .arch x64 ; mulsd xmm0, xmm1),
        (FpOp::Div, FpPrec::F64) => dynasm!(e.asm ; .arch x64 ; divsd xmm0, xmm1),
        (FpOp::Sqrt, FpPrec::F64) => dynasm!(e.asm ; .arch x64 ; sqrtsd xmm0, xmm1),
        (FpOp::Min | FpOp::MinNum, FpPrec::F64) => dynasm!(e.asm ; .arch x64 ; minsd xmm0, xmm1),
        (FpOp::Max | FpOp::MaxNum, FpPrec::F64) => dynasm!(e.asm ; .arch x64 ; maxsd xmm0, xmm1),
        (FpOp::Add, FpPrec::F32 | FpPrec::F16) => dynasm!(e.asm ; .arch x64 ; addss xmm0, xmm1),
        (FpOp::Sub, FpPrec::F32 | FpPrec::F16) => dynasm!(e.asm ; .arch x64 ; subss xmm0, xmm1),
        (FpOp::Mul, FpPrec::F32 | FpPrec::F16) => dynasm!(e.asm ; .arch x64 ; mulss xmm0, xmm1),
        (FpOp::Div, FpPrec::F32 | FpPrec::F16) => dynasm!(e.asm ; .arch x64 ; divss xmm0, xmm1),
        (FpOp::Sqrt, FpPrec::F32 | FpPrec::F16) => dynasm!(e.asm ; .arch x64 ; sqrtss xmm0, xmm1),
        (FpOp::Min | FpOp::MinNum, FpPrec::F32 | FpPrec::F16) => {
            dynasm!(e.asm ; .arch x64 ; minss xmm0, xmm1)
        }
        (FpOp::Max | FpOp::MaxNum, FpPrec::F32 | FpPrec::F16) => {
            dynasm!(e.asm ; .arch x64 ; maxss xmm0, xmm1)
        }
    }
}

/// MXCSR.RC set to round towards zero.
const ROUND_ZERO: i32 = 0x6000;

/// Saves the host MXCSR at `[rsp - 16]` and loads the guest's controls, which the caller has
/// put in `eax`, with every exception masked and no flag raised; rounding towards zero if
/// `round_zero`. Shared by `Op::Fp` and the compares and conversions (`emit_fp_conv`).
pub(super) fn enter_guest_mxcsr(e: &mut Emitter, round_zero: bool) {
    let force = ALL_MASKED | if round_zero { ROUND_ZERO } else { 0 };
    dynasm!(e.asm
        ; .arch x64
        ; stmxcsr [rsp - 16]
        ; or eax, force
        ; and eax, CONTROL_BITS
        ; mov [rsp - 8], eax
        ; ldmxcsr [rsp - 8]
    );
}

/// Stores the flags raised since [`enter_guest_mxcsr`] to `flags` (when wanted) and restores
/// the host MXCSR.
pub(super) fn leave_guest_mxcsr(e: &mut Emitter, flags: Option<Temp>) {
    if let Some(dst) = flags {
        dynasm!(e.asm
            ; .arch x64
            ; stmxcsr [rsp - 8]
            ; mov eax, [rsp - 8]
            ; and eax, 0x3f
        );
        e.store(dst, RAX);
    }
    dynasm!(e.asm ; .arch x64 ; ldmxcsr [rsp - 16]);
}
