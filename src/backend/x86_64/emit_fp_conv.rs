//! Floating-point compares and conversions (`Op::FpCmp`, `Op::FpCvt`) as SSE2 scalar
//! instructions, run natively under the guest's MXCSR as `emit_fp` runs `Op::Fp`:
//! [`FpRule::X86Sse`] is this host's own FPU behaviour (cmpsd's predicates, ucomisd's flags,
//! cvt*'s integer indefinite and NaN quieting, DAZ, the flags raised).
//!
//! Scratch: `rax`, `rcx`, `rdx`, `xmm0`, `xmm1` and 16 bytes of the red zone below `rsp`
//! (see `emit_fp`).

use super::abi::{RAX, RCX, RDX};
use super::emit_fp::{enter_guest_mxcsr, load_controls, read_guest_flags, underflow_when_unmasked};
use super::Emitter;
use crate::backend::fp_pair::FpDsts;
use crate::ir::{CvtRound, FpCmpOp, FpPrec, FpRule, NumFormat, Temp};
use dynasmrt::{dynasm, DynasmApi};

/// `op` of `a` and `b`: cmpsd/cmpss with the predicate, or ucomisd/comisd (and the ss forms)
/// with ZF, PF and CF gathered into ZF | PF << 1 | CF << 2.
#[allow(clippy::too_many_arguments)]
pub(super) fn fp_cmp(
    e: &mut Emitter,
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
    e.load(RCX, a);
    e.load(RDX, b);
    load_controls(e, ctrl);
    enter_guest_mxcsr(e, false);
    match prec {
        FpPrec::F64 => dynasm!(e.asm ; .arch x64 ; movq xmm0, rcx ; movq xmm1, rdx),
        FpPrec::F32 | FpPrec::F16 => dynasm!(e.asm ; .arch x64 ; movd xmm0, ecx ; movd xmm1, edx),
    }
    match op.x86_predicate() {
        Some(imm) => {
            let imm = imm as i8;
            match prec {
                FpPrec::F64 => dynasm!(e.asm ; .arch x64 ; cmpsd xmm0, xmm1, imm ; movq rax, xmm0),
                FpPrec::F32 | FpPrec::F16 => {
                    dynasm!(e.asm ; .arch x64 ; cmpss xmm0, xmm1, imm ; movd eax, xmm0)
                }
            }
        }
        None => {
            match (op == FpCmpOp::CondSignalling, prec) {
                (false, FpPrec::F64) => dynasm!(e.asm ; .arch x64 ; ucomisd xmm0, xmm1),
                (true, FpPrec::F64) => dynasm!(e.asm ; .arch x64 ; comisd xmm0, xmm1),
                (false, FpPrec::F32 | FpPrec::F16) => dynasm!(e.asm ; .arch x64 ; ucomiss xmm0, xmm1),
                (true, FpPrec::F32 | FpPrec::F16) => dynasm!(e.asm ; .arch x64 ; comiss xmm0, xmm1),
            }
            dynasm!(e.asm
                ; .arch x64
                ; setz al
                ; setp cl
                ; setc dl
                ; movzx eax, al
                ; movzx ecx, cl
                ; movzx edx, dl
                ; lea eax, [rax + rcx * 2]
                ; lea eax, [rax + rdx * 4]
            );
        }
    }
    if let Some(dst) = dsts.value {
        e.store(dst, RAX);
    }
    read_guest_flags(e, dsts.flags);
}

/// `a` converted from `from` to `to`: cvtsi2sd/cvtsi2ss (32- or 64-bit source),
/// cvt(t)sd2si/cvt(t)ss2si (32- or 64-bit result), cvtss2sd, cvtsd2ss. [`CvtRound::Zero`]
/// also sets MXCSR.RC to towards zero, for the forms that have no truncating instruction.
#[allow(clippy::too_many_arguments)]
pub(super) fn fp_cvt(
    e: &mut Emitter,
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
    e.load(RCX, a);
    load_controls(e, ctrl);
    // cvtt* truncate whatever MXCSR.RC says; the others need the rounding forced.
    enter_guest_mxcsr(e, round == CvtRound::Zero && !matches!(to, I32 | I64));
    match from {
        F64 => dynasm!(e.asm ; .arch x64 ; movq xmm0, rcx),
        F32 => dynasm!(e.asm ; .arch x64 ; movd xmm0, ecx),
        I32 | I64 => {}
    }
    let trunc = round == CvtRound::Zero;
    match (from, to) {
        (I32, F64) => dynasm!(e.asm ; .arch x64 ; cvtsi2sd xmm0, ecx ; movq rax, xmm0),
        (I64, F64) => dynasm!(e.asm ; .arch x64 ; cvtsi2sd xmm0, rcx ; movq rax, xmm0),
        (I32, F32) => dynasm!(e.asm ; .arch x64 ; cvtsi2ss xmm0, ecx ; movd eax, xmm0),
        (I64, F32) => dynasm!(e.asm ; .arch x64 ; cvtsi2ss xmm0, rcx ; movd eax, xmm0),
        (F64, I32) if trunc => dynasm!(e.asm ; .arch x64 ; cvttsd2si eax, xmm0),
        (F64, I32) => dynasm!(e.asm ; .arch x64 ; cvtsd2si eax, xmm0),
        (F64, I64) if trunc => dynasm!(e.asm ; .arch x64 ; cvttsd2si rax, xmm0),
        (F64, I64) => dynasm!(e.asm ; .arch x64 ; cvtsd2si rax, xmm0),
        (F32, I32) if trunc => dynasm!(e.asm ; .arch x64 ; cvttss2si eax, xmm0),
        (F32, I32) => dynasm!(e.asm ; .arch x64 ; cvtss2si eax, xmm0),
        (F32, I64) if trunc => dynasm!(e.asm ; .arch x64 ; cvttss2si rax, xmm0),
        (F32, I64) => dynasm!(e.asm ; .arch x64 ; cvtss2si rax, xmm0),
        (F32, F64) => dynasm!(e.asm ; .arch x64 ; cvtss2sd xmm0, xmm0 ; movq rax, xmm0),
        (F64, F32) => dynasm!(e.asm ; .arch x64 ; cvtsd2ss xmm0, xmm0 ; movd eax, xmm0),
        // `verify` rejects the others; the value is then `a`, as the interpreter gives.
        _ => dynasm!(e.asm ; .arch x64 ; mov rax, rcx),
    }
    // Narrowing to single precision is the one conversion with a tiny result (in xmm0).
    if (from, to) == (F64, F32) {
        underflow_when_unmasked(e, dsts.flags, ctrl, 0, FpPrec::F32);
    }
    if let Some(dst) = dsts.value {
        e.store(dst, RAX);
    }
    read_guest_flags(e, dsts.flags);
}
