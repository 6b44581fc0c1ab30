//! Floating-point ops under [`FpRule::A64`](crate::ir::FpRule::A64): this host's own FPU
//! behaviour (with FPCR.AH = 0, which Linux leaves clear), so the native instruction runs
//! under the guest's FPCR modes and is exact by construction. When the guest's modes (RMode,
//! FZ, DN) are not all clear, the host FPCR is saved, the guest's modes loaded (trap enables
//! stay clear: flags are only accumulated), and the host FPCR restored after; Rust code
//! never runs under the guest's modes. For the flags, FPSR is cleared before the
//! instruction and its cumulative exception bits (IOC DZC OFC UFC IXC IDC) read after,
//! which is the rule's flag layout.

use super::abi::*;
use super::fp::{FPSR, MSR_FPSR_XZR};
use super::Emitter;
use crate::backend::fp_pair::FpDsts;
use crate::ir::fp_a64::{ALL_FLAGS, FPCR_MODES};
use crate::ir::{FpOp, FpPrec, Temp};
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};

/// FPCR as the immediate of `mrs`/`msr` (op0 3, op1 3, CRn 4, CRm 4, op2 0; FPSR, op2 1, is
/// `fp::FPSR`).
const FPCR: u32 = 0x5a20;
/// `msr fpcr, x<S2>` and `msr fpcr, x<S3>`, as fixed words.
const MSR_FPCR_S2: u32 = 0xd510_0000 | FPCR << 5 | S2 as u32;
const MSR_FPCR_S3: u32 = 0xd510_0000 | FPCR << 5 | S3 as u32;

impl Emitter {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn fp_a64(&mut self, op: FpOp, prec: FpPrec, dsts: FpDsts, a: Temp, b: Temp, ctrl: Temp) {
        let x = self.src(a, S0);
        let y = self.src(b, S1);
        match prec {
            FpPrec::F64 => dynasm!(self.a ; .arch aarch64 ; fmov d0, X(x) ; fmov d1, X(y)),
            FpPrec::F32 | FpPrec::F16 => dynasm!(self.a ; .arch aarch64 ; fmov s0, W(x) ; fmov s1, W(y)),
        }
        self.under_guest_fpcr(prec, dsts, ctrl, |e| e.a.push_u32(super::fp::fp_insn(op, prec)));
    }

    /// Runs the instruction `insn` emits (operands in `v0`.., result in `v0`) under the guest's
    /// FPCR modes from `ctrl`, and writes its value and FPSR flags to `dsts`.
    pub(super) fn under_guest_fpcr(
        &mut self,
        prec: FpPrec,
        dsts: FpDsts,
        ctrl: Temp,
        insn: impl FnOnce(&mut Self),
    ) {
        let native = self.a.new_dynamic_label();
        let restored = self.a.new_dynamic_label();
        let c = self.src(ctrl, S2);
        // S2 = the guest's modes, S3 = the host FPCR while the guest's is loaded.
        dynasm!(self.a
            ; .arch aarch64
            ; and WSP(S2), W(c), #FPCR_MODES
            ; cbz W(S2), =>native
            ; mrs X(S3), FPCR
        );
        self.a.push_u32(MSR_FPCR_S2);
        dynasm!(self.a ; .arch aarch64 ; =>native);
        if dsts.flags.is_some() {
            self.a.push_u32(MSR_FPSR_XZR);
        }
        insn(self);
        if dsts.flags.is_some() {
            dynasm!(self.a
                ; .arch aarch64
                ; mrs X(S1), FPSR
                ; movz W(S4), #ALL_FLAGS
                ; and W(S1), W(S1), W(S4)
            );
        }
        dynasm!(self.a ; .arch aarch64 ; cbz W(S2), =>restored);
        self.a.push_u32(MSR_FPCR_S3);
        dynasm!(self.a ; .arch aarch64 ; =>restored);
        if let Some(dst) = dsts.value {
            self.fp0_to(dst, prec, S0);
        }
        if let Some(dst) = dsts.flags {
            let d = self.dst(dst, S1);
            if d != S1 {
                dynasm!(self.a ; .arch aarch64 ; mov X(d), X(S1));
            }
            self.finish(dst, d);
        }
    }
}
