//! Floating-point ops (`Op::Fp`) as SSE2 scalar instructions.
//!
//! [`FpRule::X86Sse`] is this host's own FPU behaviour, so the op runs natively under the
//! guest's MXCSR: the guest's control bits (rounding, DAZ, FTZ) are loaded with every
//! exception masked and the flags cleared, the SSE instruction runs, and for
//! [`FpResult::Flags`] the flags it raised are read back with `stmxcsr` ([`FpRule::A64`] has
//! its own lowering, [`super::emit_fp_a64`]). NaN propagation, the default NaN, min/max
//! operand order, denormals and the masked exception responses are then the hardware's,
//! which is what the rule names.
//!
//! # The guest's MXCSR region
//!
//! Rust code (the dispatcher, helpers) must never run under the guest's modes, but the host
//! MXCSR need not be restored after every op: the trampoline keeps the host's at
//! [`super::abi::HOST_MXCSR`], and after an `X86Sse` op the guest's stays loaded
//! ([`super::Emitter::guest_mxcsr`]) through the ops that neither depend on MXCSR nor call a
//! function ([`keeps_guest_mxcsr`]: integer and state ops, guest memory accesses, vector
//! moves and integer lanes, side exits) up to the next `X86Sse` op, which loads its own
//! controls again. Anything else (a helper call, an `A64`-rule op, an atomic, the end of
//! the block) and the taken side of a side exit reload the host's first; so does the
//! fault exit, where a faulting guest access inside a region leaves. A signal handler runs
//! with the kernel's fresh FPU state and `sigreturn` restores the interrupted one.
//!
//! This is a backend choice, not an IR rewrite, because every op keeps its exact meaning:
//! each still clears the flags and loads its `ctrl`'s controls (one `ldmxcsr`, which is
//! what the exact per-op flags need: the sticky bits cannot be cleared any other way), and
//! its flags are read right after it. What goes is the save of the host MXCSR before every
//! op and its restore after every op (a `stmxcsr` and an `ldmxcsr`), except at the end of a
//! region. The guest's sticky flags in its state are the frontend's business as before.
//! Within an MXCSR run (`ir::mxcsr_run`) under all-masked exceptions, [`super::emit_fp_run`]
//! does better: one `ldmxcsr` and one `stmxcsr` for the whole run.
//!
//! Scratch: `rax` (MXCSR values, result), `rcx` and `rdx` (operands), `xmm0` and `xmm1`, and
//! 8 bytes of the red zone below `rsp` (the kernel leaves 128 bytes there untouched when it
//! delivers a signal; translated code makes no calls between the writes and reads).

use super::abi::{RAX, RCX, RDX};
use super::Emitter;
use crate::backend::fp_pair::FpDsts;
use crate::ir::{FpOp, FpPrec, FpRule, Op, Temp};
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};

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
    load_controls(e, ctrl);
    // The operands straight from their registers (or through `rcx`, `rdx`).
    let (ra, rb) = (e.src_reg(a, RCX), e.src_reg(b, RDX));
    enter_guest_mxcsr(e, false);
    match prec {
        FpPrec::F64 => dynasm!(e.asm ; .arch x64 ; movq xmm0, Rq(ra) ; movq xmm1, Rq(rb)),
        FpPrec::F32 | FpPrec::F16 => dynasm!(e.asm ; .arch x64 ; movd xmm0, Rd(ra) ; movd xmm1, Rd(rb)),
    }
    sse_scalar(e, op, prec);
    // min and max return an operand: a denormal one raises DE, never UE.
    if !matches!(op, FpOp::Min | FpOp::Max | FpOp::MinNum | FpOp::MaxNum) {
        underflow_when_unmasked(e, dsts.flags, ctrl, 0, prec);
    }
    if let Some(dst) = dsts.value {
        // Every input is in xmm0, xmm1 or read already: the destination may be written.
        let r = e.dst_reg(dst, RAX);
        match prec {
            FpPrec::F64 => dynasm!(e.asm ; .arch x64 ; movq Rq(r), xmm0),
            FpPrec::F32 | FpPrec::F16 => dynasm!(e.asm ; .arch x64 ; movd Rd(r), xmm0),
        }
        e.store(dst, r);
    }
    read_guest_flags(e, dsts.flags);
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

/// Loads the guest's controls, which the caller has put in `eax`, with every exception
/// masked and no flag raised; rounding towards zero if `round_zero`. Shared by `Op::Fp`, the
/// compares and conversions (`emit_fp_conv`) and fused multiply-add (`emit_fma`). The host's
/// MXCSR is at [`super::abi::HOST_MXCSR`]; the region of the guest's lasts until
/// [`Emitter::leave_guest_mxcsr_region`].
pub(super) fn enter_guest_mxcsr(e: &mut Emitter, round_zero: bool) {
    if e.mxcsr_run {
        // The run's MXCSR is loaded (`emit_fp_run`), which never holds a conversion that
        // rounds towards zero.
        debug_assert!(!round_zero);
        return;
    }
    let force = ALL_MASKED | if round_zero { ROUND_ZERO } else { 0 };
    e.guest_mxcsr = true;
    dynasm!(e.asm
        ; .arch x64
        ; or eax, force
        ; and eax, CONTROL_BITS
        ; mov [rsp - 8], eax
        ; ldmxcsr [rsp - 8]
    );
}

/// `eax` = the control input `ctrl` for [`enter_guest_mxcsr`] (nothing inside an MXCSR run,
/// whose MXCSR is loaded: see `emit_fp_run`).
pub(super) fn load_controls(e: &mut Emitter, ctrl: Temp) {
    if !e.mxcsr_run {
        e.load(RAX, ctrl);
    }
}

/// Stores the flags raised since [`enter_guest_mxcsr`] to `flags` (when wanted). The guest's
/// MXCSR stays loaded (see the module doc).
pub(super) fn read_guest_flags(e: &mut Emitter, flags: Option<Temp>) {
    if let Some(dst) = flags {
        // (The destination is none of the op's inputs, all read by now.)
        let r = e.dst_reg(dst, RAX);
        dynasm!(e.asm
            ; .arch x64
            ; stmxcsr [rsp - 8]
            ; mov Rd(r), [rsp - 8]
            ; and Rd(r), 0x3f
        );
        e.store(dst, r);
    }
}

/// Adds UE to the flags the op just raised when the guest's UM is clear and the result in
/// `xmm` is a denormal: unmasked, tininess alone is an underflow (SDM vol. 1, 11.5.2.4),
/// but the op ran with every exception masked, where the hardware raises UE only for a
/// tiny result that is also inexact. Multiplying the result by 1.0 with FTZ set (DAZ
/// clear) raises UE for a denormal and for nothing else. The guest's controls come from
/// `ctrl`; with UM set (always so in an MXCSR run) this is one test and a branch. Call it
/// right after the op, before any destination is written (a destination may take `ctrl`'s
/// register) and while `xmm` holds the result; it uses `rcx`, `rdx` and `xmm3`.
pub(super) fn underflow_when_unmasked(
    e: &mut Emitter,
    flags: Option<Temp>,
    ctrl: Temp,
    xmm: u8,
    prec: FpPrec,
) {
    if flags.is_none() || e.mxcsr_run {
        return;
    }
    const UM: i32 = 1 << 11;
    const UE: i32 = 1 << 4;
    // FTZ, every exception masked, round to nearest, no DAZ, no flag.
    const FTZ_MASKED: i32 = 0x9f80;
    let r = e.src_reg(ctrl, RCX);
    dynasm!(e.asm
        ; .arch x64
        ; test Rd(r), UM
        ; jnz >done
        ; stmxcsr [rsp - 8]
        ; mov edx, [rsp - 8]
        ; mov DWORD [rsp - 8], FTZ_MASKED
        ; ldmxcsr [rsp - 8]
    );
    match prec {
        FpPrec::F64 => dynasm!(e.asm
            ; .arch x64
            ; mov rcx, QWORD 0x3ff0_0000_0000_0000
            ; movq xmm3, rcx
            ; mulsd xmm3, Rx(xmm)
        ),
        FpPrec::F32 | FpPrec::F16 => dynasm!(e.asm
            ; .arch x64
            ; mov ecx, 0x3f80_0000
            ; movd xmm3, ecx
            ; mulss xmm3, Rx(xmm)
        ),
    }
    // Back to the op's MXCSR with UE added when the product raised it.
    dynasm!(e.asm
        ; .arch x64
        ; stmxcsr [rsp - 8]
        ; mov ecx, [rsp - 8]
        ; and ecx, UE
        ; or edx, ecx
        ; mov [rsp - 8], edx
        ; ldmxcsr [rsp - 8]
        ; done:
    );
}

/// Whether the guest's MXCSR may stay loaded through `op` (see the module doc): an `X86Sse`
/// op loads the guest's itself; of the others, only the floating-point ops and function
/// calls ([`crate::backend::may_call`], which lists every op kind) care about MXCSR.
pub(super) fn keeps_guest_mxcsr(op: &Op, features: super::HostFeatures) -> bool {
    match op {
        Op::Fp { rule, .. } | Op::FpCmp { rule, .. } | Op::FpCvt { rule, .. } => *rule == FpRule::X86Sse,
        // Without FMA (and for half precision) the op calls its reference.
        Op::FpFma { rule, prec, .. } => *rule == FpRule::X86Sse && features.fma && *prec != FpPrec::F16,
        _ => !crate::backend::may_call(op),
    }
}

impl Emitter {
    /// Reloads the host's MXCSR if the guest's is loaded: before an op that needs the host's
    /// and before leaving the block's code.
    pub(super) fn leave_guest_mxcsr_region(&mut self) {
        if std::mem::take(&mut self.guest_mxcsr) {
            self.reload_host_mxcsr();
        }
    }

    /// `ldmxcsr` of the host's MXCSR (the trampoline's copy), leaving the region as it is:
    /// the taken side of a side exit.
    pub(super) fn reload_host_mxcsr(&mut self) {
        let at = super::abi::HOST_MXCSR + self.frame_extra;
        dynasm!(self.asm ; .arch x64 ; ldmxcsr [rsp + at]);
    }
}
