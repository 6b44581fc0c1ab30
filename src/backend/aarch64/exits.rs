//! Block exits: how translated code hands control back to the dispatcher or to the next
//! block.
//!
//! A chainable exit (`Jump`, each side of `Branch`) starts with a patchable `B` that at first
//! branches to the next instruction, the slow path: store `next_pc`, `ExitReason::Chain` and
//! the address of that `B` (the [`ChainSite`](crate::backend::ChainSite)) in the state header,
//! and go to the shared exit path. Linking rewrites the `B` to branch to the target block.
//! A single aligned 32-bit store of one `B` over another is an allowed concurrent
//! modification of code on AArch64, and the patch is followed by cache maintenance.

use super::abi::*;
use super::{encode_b, Emitter, Fused};
use crate::cache::jump_table;
use crate::ir::protocol::{header, ExitReason};
use crate::ir::{CmpOp, Exit, Temp};
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};

impl Emitter {
    pub(super) fn exit_if(&mut self, cond: Temp, exit: &Exit) {
        let skip = self.a.new_dynamic_label();
        self.jump_unless(cond, skip);
        self.exit(exit);
        dynasm!(self.a ; .arch aarch64 ; =>skip);
    }

    /// Jumps to `label` if `cond` is 0: tests the condition its op left for this exit
    /// ([`Fused`]) when there is one, else the register.
    fn jump_unless(&mut self, cond: Temp, label: DynamicLabel) {
        match self.fused.take() {
            Some((t, Fused::Flags(op))) if t == cond => match op.inverse() {
                CmpOp::Eq => dynasm!(self.a ; .arch aarch64 ; b.eq =>label),
                CmpOp::Ne => dynasm!(self.a ; .arch aarch64 ; b.ne =>label),
                CmpOp::Ult => dynasm!(self.a ; .arch aarch64 ; b.lo =>label),
                CmpOp::Ule => dynasm!(self.a ; .arch aarch64 ; b.ls =>label),
                CmpOp::Ugt => dynasm!(self.a ; .arch aarch64 ; b.hi =>label),
                CmpOp::Uge => dynasm!(self.a ; .arch aarch64 ; b.hs =>label),
                CmpOp::Slt => dynasm!(self.a ; .arch aarch64 ; b.lt =>label),
                CmpOp::Sle => dynasm!(self.a ; .arch aarch64 ; b.le =>label),
                CmpOp::Sgt => dynasm!(self.a ; .arch aarch64 ; b.gt =>label),
                CmpOp::Sge => dynasm!(self.a ; .arch aarch64 ; b.ge =>label),
            },
            Some((t, Fused::Zero { reg, w64, nonzero })) if t == cond => match (w64, nonzero) {
                (true, true) => dynasm!(self.a ; .arch aarch64 ; cbz X(reg), =>label),
                (true, false) => dynasm!(self.a ; .arch aarch64 ; cbnz X(reg), =>label),
                (false, true) => dynasm!(self.a ; .arch aarch64 ; cbz W(reg), =>label),
                (false, false) => dynasm!(self.a ; .arch aarch64 ; cbnz W(reg), =>label),
            },
            Some((t, Fused::Bit { reg, bit })) if t == cond => {
                dynasm!(self.a ; .arch aarch64 ; tbz X(reg), bit, =>label)
            }
            _ => {
                let c = self.src(cond, S1);
                dynasm!(self.a ; .arch aarch64 ; cbz X(c), =>label);
            }
        }
    }

    pub(super) fn exit(&mut self, exit: &Exit) {
        match exit {
            Exit::Jump(target) => self.chain_exit(target.0),
            Exit::Branch { cond, taken, not_taken } => {
                let other = self.a.new_dynamic_label();
                self.jump_unless(*cond, other);
                self.chain_exit(taken.0);
                dynasm!(self.a ; .arch aarch64 ; =>other);
                self.chain_exit(not_taken.0);
            }
            Exit::Indirect(t) | Exit::Return(t) => {
                let r = self.src(*t, S1);
                self.probe_jump_table(r);
                self.store_header(header::NEXT_PC, r);
                dynasm!(self.a ; .arch aarch64 ; str xzr, [X(STATE), #header::EXIT_REASON]);
                const _: () = assert!(ExitReason::Lookup as u64 == 0);
                self.jump_to_exit_path();
            }
            Exit::Syscall { next } => self.leave(next.0, ExitReason::Syscall, 0),
            Exit::Invalidate { next } => self.leave(next.0, ExitReason::Invalidate, 0),
            Exit::Trap { kind, pc, .. } => self.leave(pc.0, ExitReason::Trap, kind.index()),
        }
    }

    /// Jumps straight to the block for guest address `pc` if the jump table has it; falls
    /// through otherwise. The index computation is `JumpTable::index`. The entry's pc is read
    /// with acquire, then its code: another thread may be filling the entry (see
    /// `crate::cache::jump_table`).
    fn probe_jump_table(&mut self, pc: u8) {
        const { assert!(jump_table::ENTRIES.is_power_of_two()) };
        let mask = (jump_table::ENTRIES - 1) as u64;
        self.mov_imm(S2, self.jump_table as u64);
        dynasm!(self.a ; .arch aarch64
            ; lsr X(S3), X(pc), #2
            ; eor X(S3), X(S3), X(pc), lsr #14
            ; and XSP(S3), X(S3), #mask
            ; add X(S2), X(S2), X(S3), lsl #4
            ; ldar X(S3), [X(S2)]
            ; cmp X(S3), X(pc)
            ; b.ne >miss
            ; ldr X(S4), [X(S2), #8]
            ; br X(S4)
            ; miss:
        );
    }

    fn store_header(&mut self, field: u32, reg: u8) {
        dynasm!(self.a ; .arch aarch64 ; str X(reg), [X(STATE), #field]);
    }

    /// Fills in the header with constants and goes to the exit path.
    fn leave(&mut self, next_pc: u64, reason: ExitReason, arg: u64) {
        self.mov_imm(S0, next_pc);
        self.store_header(header::NEXT_PC, S0);
        self.mov_imm(S0, reason as u64);
        self.store_header(header::EXIT_REASON, S0);
        self.mov_imm(S0, arg);
        self.store_header(header::EXIT_ARG, S0);
        self.jump_to_exit_path();
    }

    /// The test at the block's entry (before anything else) of the signal flag in the state
    /// header (see [`crate::ir::protocol::SignalFlag`]): `ldrb` of its low byte and a `cbnz`
    /// to the exit that [`Self::signal_exit`] emits after the block's body. The blocks that
    /// may continue backwards have it ([`crate::backend::needs_signal_check`]), so a loop of
    /// chained blocks comes back to the dispatcher when a signal waits.
    pub(super) fn signal_check(&mut self) -> DynamicLabel {
        let exit = self.a.new_dynamic_label();
        dynasm!(self.a ; .arch aarch64
            ; ldrb W(S0), [X(STATE), #header::SIGNAL_PENDING]
            ; cbnz W(S0), =>exit
        );
        exit
    }

    /// The exit of [`Self::signal_check`]: `ExitReason::Lookup` at the block's own guest
    /// address `pc`, so the dispatcher delivers the signal with the state complete and then
    /// runs this block.
    pub(super) fn signal_exit(&mut self, label: DynamicLabel, pc: u64) {
        dynasm!(self.a ; .arch aarch64 ; =>label);
        self.mov_imm(S0, pc);
        self.store_header(header::NEXT_PC, S0);
        dynasm!(self.a ; .arch aarch64 ; str xzr, [X(STATE), #header::EXIT_REASON]);
        const _: () = assert!(ExitReason::Lookup as u64 == 0);
        self.jump_to_exit_path();
    }

    /// A patchable direct jump to guest `target`, falling into the slow path until linked.
    fn chain_exit(&mut self, target: u64) {
        let site = self.base + self.a.offset().0;
        self.a.push_u32(encode_b(site, site + 4));
        self.leave(target, ExitReason::Chain, site as u64);
    }
}
