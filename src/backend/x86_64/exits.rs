//! Block exits: filling in the state header and returning to the dispatcher, chain sites and
//! their stubs, and [`link`].
//!
//! Every exit to the dispatcher stores `next_pc`, `exit_reason` and `exit_arg` (see
//! [`crate::runtime::StateHeader`]), restores the frame as the trampoline made it and jumps to
//! the shared exit path ([`super::abi`]).
//!
//! A chainable exit (`Exit::Jump`, both sides of `Exit::Branch`, an `ExitIf` with a `Jump`)
//! is a *chain site*: a `jmp rel32` that at first jumps to a stub after the block's body. The
//! stub reports `ExitReason::Chain` with `exit_arg` = the site's address; the dispatcher
//! finds or translates the target block and calls [`link`], which rewrites the site's rel32
//! (through the code cache's writable view) so that the jump goes straight to the target.
//!
//! Indirect exits (`Exit::Indirect`, `Exit::Return`) go back to the dispatcher with
//! `ExitReason::Lookup`. NOTE: an inline lookup (a small hash table of guest address -> host
//! code probed right here, falling back to the dispatcher on a miss) and a return-address
//! stack for `Exit::Return` are the planned optimisation for these exits; they are not done.

use super::abi::{HostLoc, RAX};
use super::{ChainStub, Emitter};
use crate::backend::ChainSite;
use crate::cache::{CodeCache, HostCode};
use crate::ir::{Exit, GuestAddr, Temp};
use crate::runtime::{header, ExitReason};
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};

/// Length of a chain site's `jmp rel32` (opcode 0xE9 + 4 bytes of displacement).
const SITE_LEN: usize = 5;
const JMP_REL32: u8 = 0xE9;

/// `state.header[offset] = value` (64 bits).
fn store_header_imm(e: &mut Emitter, offset: u32, value: u64) {
    let off = offset as i32;
    if value as i64 == value as i32 as i64 {
        dynasm!(e.asm ; .arch x64 ; mov QWORD [r15 + off], value as i32);
    } else {
        dynasm!(e.asm ; .arch x64 ; mov rax, QWORD value as i64 ; mov QWORD [r15 + off], rax);
    }
}

/// Undoes the block's own frame extension (if any): from here on the frame is the
/// trampoline's, as the exit path and every other block expect.
fn release_frame_extra(e: &mut Emitter) {
    if e.frame_extra > 0 {
        let extra = e.frame_extra;
        dynasm!(e.asm ; .arch x64 ; add rsp, extra);
    }
}

/// With `next_pc` already stored: stores the reason and argument and jumps to the exit path.
fn leave(e: &mut Emitter, reason: ExitReason, arg: u64) {
    store_header_imm(e, header::EXIT_REASON, reason as u64);
    store_header_imm(e, header::EXIT_ARG, arg);
    release_frame_extra(e);
    let exit = e.fixed.exit;
    dynasm!(e.asm ; .arch x64 ; jmp extern exit);
}

/// A chain site for `target`: `jmp rel32` to a stub emitted later by [`emit_chain_stubs`].
fn chain(e: &mut Emitter, target: GuestAddr) {
    release_frame_extra(e);
    let label = e.asm.new_dynamic_label();
    let site = e.here();
    dynasm!(e.asm ; .arch x64 ; jmp =>label);
    debug_assert_eq!(e.here() - site, SITE_LEN, "a chain site must be a jmp rel32");
    e.stubs.push(ChainStub { label, site, target: target.0 });
}

/// Sets ZF if `t` is zero.
fn test_temp(e: &mut Emitter, t: Temp) {
    match e.loc(t) {
        HostLoc::Reg(r) => dynasm!(e.asm ; .arch x64 ; test Rq(r), Rq(r)),
        HostLoc::Stack(s) => dynasm!(e.asm ; .arch x64 ; cmp QWORD [rsp + s], 0),
    }
}

/// Exit to the dispatcher at the computed address in `t`.
fn leave_to_temp(e: &mut Emitter, t: Temp) {
    let r = e.src_reg(t, RAX);
    let off = header::NEXT_PC as i32;
    dynasm!(e.asm ; .arch x64 ; mov QWORD [r15 + off], Rq(r));
    leave(e, ExitReason::Lookup, 0);
}

pub(super) fn emit_exit(e: &mut Emitter, exit: &Exit) {
    match exit {
        Exit::Jump(target) => chain(e, *target),
        Exit::Branch { cond, taken, not_taken } => {
            let not_taken_label = e.asm.new_dynamic_label();
            test_temp(e, *cond);
            dynasm!(e.asm ; .arch x64 ; jz =>not_taken_label);
            chain(e, *taken);
            dynasm!(e.asm ; .arch x64 ; =>not_taken_label);
            chain(e, *not_taken);
        }
        // TODO(perf): inline lookup / return-address stack (see the module doc).
        Exit::Indirect(t) | Exit::Return(t) => leave_to_temp(e, *t),
        Exit::Syscall { next } => {
            store_header_imm(e, header::NEXT_PC, next.0);
            leave(e, ExitReason::Syscall, 0);
        }
        Exit::Trap { kind, pc, .. } => {
            // The message (if any) is the dispatcher's to print: it finds it by translating
            // the block at `pc` again, not through the header.
            store_header_imm(e, header::NEXT_PC, pc.0);
            leave(e, ExitReason::Trap, kind.index());
        }
    }
}

pub(super) fn emit_exit_if(e: &mut Emitter, cond: Temp, exit: &Exit) {
    let skip = e.asm.new_dynamic_label();
    test_temp(e, cond);
    dynasm!(e.asm ; .arch x64 ; jz =>skip);
    emit_exit(e, exit);
    dynasm!(e.asm ; .arch x64 ; =>skip);
}

/// The stubs of the block's chain sites, after its body. Each reports
/// `ExitReason::Chain` with `next_pc` = the target and `exit_arg` = the site.
pub(super) fn emit_chain_stubs(e: &mut Emitter) {
    let stubs = std::mem::take(&mut e.stubs);
    let exit = e.fixed.exit;
    for stub in stubs {
        dynasm!(e.asm ; .arch x64 ; =>stub.label);
        store_header_imm(e, header::NEXT_PC, stub.target);
        store_header_imm(e, header::EXIT_REASON, ExitReason::Chain as u64);
        store_header_imm(e, header::EXIT_ARG, stub.site as u64);
        // The site already released the frame extension.
        dynasm!(e.asm ; .arch x64 ; jmp extern exit);
    }
}

/// Points the chain site's `jmp rel32` at `target`.
pub(super) fn link(cache: &mut CodeCache, site: ChainSite, target: HostCode) {
    debug_assert_eq!(cache.bytes(HostCode(site.0), 1)[0], JMP_REL32, "not a chain site");
    let rel = target.0 as i64 - (site.0 + SITE_LEN) as i64;
    // The whole cache is far smaller than +-2 GiB.
    let rel = i32::try_from(rel).expect("chain target out of rel32 range");
    cache.patch(HostCode(site.0 + 1), &rel.to_le_bytes());
}
