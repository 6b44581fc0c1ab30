//! Floating-point ops under [`crate::ir::FpRule::A64`] on this x86-64 host.
//!
//! A64 and SSE differ in NaN propagation, the default NaN's sign, min/max of NaNs and
//! zeros, FZ against FTZ/DAZ, the denormal-operand flag and where tininess is detected
//! (A64 before rounding). None of these arise when FPCR rounds to nearest without FZ and the
//! result is a normal number away from the ends of the exponent range (biased exponent
//! neither of the two lowest nor of the two highest values): a NaN operand or an invalid
//! operation gives a NaN, division by zero an infinity, overflow and underflow a result at
//! the ends of the range, and without FZ denormal operands are plain IEEE operands on both
//! (DN only changes NaN results). Then SSE computes A64's value and the only flag is
//! inexact (MXCSR.PE, FPSR.IXC). That is the fast path, checked on the result alone. Min/max
//! check their operands instead (no zero or NaN may reach `minsd`/`maxsd`, whose result is
//! then A64's) and raise nothing. Anything else calls the exact reference,
//! [`crate::ir::fp_a64::eval_a64_call`], which half-precision ops always call.
//!
//! The fast path clears the host MXCSR's sticky flags to read PE: they mean nothing to the
//! Rust code, and its controls (round to nearest, everything masked) are left alone.
//!
//! Scratch: `rax`, `rcx`, `rdx`, `xmm0`, `xmm1` and 8 bytes of the red zone below `rsp`; the
//! slow path is a helper call (see [`super::emit_call`]).

use super::abi::{R8, RAX, RCX, RDI, RDX, RSI, STATE};
use super::Emitter;
use crate::backend::fp_pair::FpDsts;
use crate::ir::fp::encode_sel;
use crate::ir::fp_a64::{eval_a64_call, FPCR_FZ, FPCR_RMODE};
use crate::ir::{FpOp, FpPrec, FpResult, Temp};
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};

#[allow(clippy::too_many_arguments)]
pub(super) fn fp_a64(e: &mut Emitter, op: FpOp, prec: FpPrec, dsts: FpDsts, a: Temp, b: Temp, ctrl: Temp) {
    if prec == FpPrec::F16 {
        // No half-precision fast path: the reference is the definition (the native paths
        // below never see F16).
        for (result, dst) in [(FpResult::Value, dsts.value), (FpResult::Flags, dsts.flags)] {
            if let Some(dst) = dst {
                reference(e, encode_sel(op, prec, result), dst, a, b, ctrl);
            }
        }
        return;
    }
    let slow = e.asm.new_dynamic_label();
    let done = e.asm.new_dynamic_label();
    e.load(RAX, ctrl);
    branch_unless_plain_modes(e, slow);
    e.load(RCX, a);
    e.load(RDX, b);
    let min_max = matches!(op, FpOp::Min | FpOp::Max | FpOp::MinNum | FpOp::MaxNum);
    if min_max {
        branch_if_not_plain(e, RCX, prec, slow);
        branch_if_not_plain(e, RDX, prec, slow);
    }
    match prec {
        FpPrec::F64 => dynasm!(e.asm ; .arch x64 ; movq xmm0, rcx ; movq xmm1, rdx),
        FpPrec::F32 | FpPrec::F16 => dynasm!(e.asm ; .arch x64 ; movd xmm0, ecx ; movd xmm1, edx),
    }
    let want_flags = dsts.flags.is_some() && !min_max;
    if want_flags {
        clear_mxcsr_flags(e);
    }
    super::emit_fp::sse_scalar(e, op, prec);
    match prec {
        FpPrec::F64 => dynasm!(e.asm ; .arch x64 ; movq rcx, xmm0),
        FpPrec::F32 | FpPrec::F16 => dynasm!(e.asm ; .arch x64 ; movd ecx, xmm0),
    }
    if !min_max {
        branch_if_not_plain(e, RCX, prec, slow);
    }
    if let Some(dst) = dsts.flags {
        if want_flags {
            inexact_as_ixc(e);
        } else {
            dynasm!(e.asm ; .arch x64 ; xor eax, eax);
        }
        if let Some(value) = dsts.value {
            e.store(value, RCX);
        }
        e.store(dst, RAX);
    } else if let Some(value) = dsts.value {
        e.store(value, RCX);
    }
    dynasm!(e.asm ; .arch x64 ; jmp =>done ; =>slow);
    for (result, dst) in [(FpResult::Value, dsts.value), (FpResult::Flags, dsts.flags)] {
        if let Some(dst) = dst {
            reference(e, encode_sel(op, prec, result), dst, a, b, ctrl);
        }
    }
    dynasm!(e.asm ; .arch x64 ; =>done);
}

/// Jumps to `slow` unless FPCR (in `eax`) rounds to nearest without FZ.
pub(super) fn branch_unless_plain_modes(e: &mut Emitter, slow: DynamicLabel) {
    dynasm!(e.asm
        ; .arch x64
        ; test eax, (FPCR_RMODE | FPCR_FZ) as i32
        ; jnz =>slow
    );
}

/// Clears the host MXCSR's flags (its controls stay the host's: nearest, all masked).
pub(super) fn clear_mxcsr_flags(e: &mut Emitter) {
    dynasm!(e.asm
        ; .arch x64
        ; stmxcsr [rsp - 8]
        ; and DWORD [rsp - 8], !0x3f
        ; ldmxcsr [rsp - 8]
    );
}

/// `eax` = MXCSR.PE (bit 5) as FPSR.IXC (bit 4).
pub(super) fn inexact_as_ixc(e: &mut Emitter) {
    dynasm!(e.asm
        ; .arch x64
        ; stmxcsr [rsp - 8]
        ; mov eax, [rsp - 8]
        ; and eax, 0x20
        ; shr eax, 1
    );
}

/// Jumps to `slow` unless the float in `reg` (`prec`'s bits at the bottom) has a biased
/// exponent other than the two lowest and the two highest. Uses `rax`.
pub(super) fn branch_if_not_plain(e: &mut Emitter, reg: u8, prec: FpPrec, slow: DynamicLabel) {
    // Exponent + 2 has its bits above the lowest two clear exactly for those four values.
    match prec {
        FpPrec::F64 => dynasm!(e.asm
            ; .arch x64
            ; mov rax, Rq(reg)
            ; shr rax, 52
            ; and eax, 0x7ff
            ; add eax, 2
            ; test eax, 0x7fc
            ; jz =>slow
        ),
        FpPrec::F32 | FpPrec::F16 => dynasm!(e.asm
            ; .arch x64
            ; mov eax, Rd(reg)
            ; shr eax, 23
            ; and eax, 0xff
            ; add eax, 2
            ; test eax, 0xfc
            ; jz =>slow
        ),
    }
}

/// `dst` = `eval_a64_call(sel, a, b, ctrl)`, a helper call (caller-saved temporaries that
/// live on are kept around it).
fn reference(e: &mut Emitter, sel: u64, dst: Temp, a: Temp, b: Temp, ctrl: Temp) {
    let saved = e.caller_saved_live_after_op();
    for &(reg, disp) in &saved {
        dynasm!(e.asm ; .arch x64 ; mov QWORD [rsp + disp], Rq(reg));
    }
    // Sources are temp homes (never an argument register) or immediates.
    e.load(RDX, a);
    e.load(RCX, b);
    e.load(R8, ctrl);
    super::emit_alu::mov_imm(&mut e.asm, RSI, sel);
    let func = eval_a64_call as crate::ir::HelperFn as usize as i64;
    dynasm!(e.asm
        ; .arch x64
        ; mov Rq(RDI), Rq(STATE)
        ; mov rax, QWORD func
        ; call rax
    );
    for &(reg, disp) in &saved {
        dynasm!(e.asm ; .arch x64 ; mov Rq(reg), QWORD [rsp + disp]);
    }
    e.store(dst, RAX);
    // A value computed before the flags' call must survive it like any live temporary.
    e.defined[dst.0 as usize] = true;
}
