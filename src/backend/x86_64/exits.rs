//! Block exits: filling in the state header and returning to the dispatcher, chain sites and
//! their stubs, and [`link`].
//!
//! Every exit to the dispatcher puts `next_pc` in `rax` (and `exit_arg` in `rcx` where it has
//! one), restores the frame as the trampoline made it and jumps to the fixed exit routine of
//! its reason ([`super::abi::FixedCode::exit_with`]), which stores `next_pc`, `exit_reason`
//! and `exit_arg` (see [`crate::ir::protocol::StateHeader`]) and returns to the dispatcher.
//!
//! A chainable exit (`Exit::Jump`, both sides of `Exit::Branch`, an `ExitIf` with a `Jump`)
//! is a *chain site*: a `jmp rel32` (the taken side of a branch: a `jcc rel32`) that at first
//! jumps to a stub after the block's body. The stub reports `ExitReason::Chain` with `exit_arg` = the site's address; the dispatcher
//! finds or translates the target block and calls [`link`], which rewrites the site's rel32
//! (through the code cache's writable view) so that the jump goes straight to the target.
//!
//! A branch or `ExitIf` whose condition is a comparison computed by the op right before it
//! (and used nowhere else) tests the host flags of that comparison directly (see
//! [`Emitter::fused_cmp`]) instead of materialising 0/1 and testing it.
//!
//! Indirect exits (`Exit::Indirect`, `Exit::Return`) jump to the inline lookup probe (see
//! [`super::lookup`]): to the target's block when the code cache's jump table has it, else back to
//! the dispatcher with `ExitReason::Lookup`. (A return-address stack for `Exit::Return` would
//! be the next step; it is not done.)

use super::abi::{RAX, RCX};
use super::emit_alu::mov_imm;
use super::{ChainStub, Emitter, Operand};
use crate::backend::ChainSite;
use crate::cache::{CodeCache, HostCode};
use crate::ir::protocol::ExitReason;
use crate::ir::{CmpOp, Exit, GuestAddr, Temp};
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};

/// A chain site is a `jmp rel32` (opcode 0xE9, then the displacement) or, for the taken side
/// of a branch, a `jcc rel32` (0x0F 0x80+cc, then the displacement).
const JMP_REL32: u8 = 0xE9;

/// Emits `j<cond> =>label` with a rel32 displacement, `cond` being the IR comparison that
/// the host flags (of a `cmp` at the op width, or of a `test` for `Ne` against zero) hold.
fn jcc(e: &mut Emitter, cond: CmpOp, label: DynamicLabel) {
    let asm = &mut e.asm;
    match cond {
        CmpOp::Eq => dynasm!(asm ; .arch x64 ; je =>label),
        CmpOp::Ne => dynasm!(asm ; .arch x64 ; jne =>label),
        CmpOp::Ult => dynasm!(asm ; .arch x64 ; jb =>label),
        CmpOp::Ule => dynasm!(asm ; .arch x64 ; jbe =>label),
        CmpOp::Ugt => dynasm!(asm ; .arch x64 ; ja =>label),
        CmpOp::Uge => dynasm!(asm ; .arch x64 ; jae =>label),
        CmpOp::Slt => dynasm!(asm ; .arch x64 ; jl =>label),
        CmpOp::Sle => dynasm!(asm ; .arch x64 ; jle =>label),
        CmpOp::Sgt => dynasm!(asm ; .arch x64 ; jg =>label),
        CmpOp::Sge => dynasm!(asm ; .arch x64 ; jge =>label),
    }
}

/// Sets the host flags for the condition temp `cond` of an exit and returns the comparison
/// they hold when the exit is taken: the fused comparison's own (its `cmp` was just emitted),
/// or `Ne` after testing `cond` against zero.
fn flags_for(e: &mut Emitter, cond: Temp) -> CmpOp {
    match e.fused_cmp.take() {
        Some((t, op)) if t == cond => op,
        _ => {
            test_temp(e, cond);
            CmpOp::Ne
        }
    }
}

/// Undoes the block's own frame extension (if any): from here on the frame is the
/// trampoline's, as the exit path and every other block expect. `lea` rather than `add`, so
/// that the flags of a preceding test survive for a conditional chain site.
fn release_frame_extra(e: &mut Emitter) {
    if e.frame_extra > 0 {
        let extra = e.frame_extra;
        dynasm!(e.asm ; .arch x64 ; lea rsp, [rsp + extra]);
    }
}

/// Returns to the dispatcher through the fixed exit routine for `reason`, with `next_pc`
/// already in `rax` and (for `Trap`) `exit_arg` in `rcx`.
fn jump_to_exit_routine(e: &mut Emitter, reason: ExitReason) {
    release_frame_extra(e);
    let routine = e.fixed.exit_with[reason as usize];
    dynasm!(e.asm ; .arch x64 ; jmp extern routine);
}

/// A chain site for `target` (the frame already released): a `jmp rel32`, or with `cond` a
/// `jcc rel32`, to a stub emitted later by [`emit_chain_stubs`].
fn chain_site(e: &mut Emitter, cond: Option<CmpOp>, target: GuestAddr) {
    let stub = e.asm.new_dynamic_label();
    let site_label = e.asm.new_dynamic_label();
    // The rel32 field stays within an aligned 16 bytes, so that `link` rewrites it with one
    // atomic store (`CodeCache::patch_u32`) while other threads may run the site: padded with
    // one NOP of up to 3 bytes when it would straddle (3 cases in 16).
    let opcode_len = if cond.is_none() { 1 } else { 2 };
    match (e.here() + opcode_len) % 16 {
        13 => e.asm.extend([0x0F, 0x1F, 0x00]),
        14 => e.asm.extend([0x66, 0x90]),
        15 => e.asm.push(0x90),
        _ => {}
    }
    let site = e.here();
    dynasm!(e.asm ; .arch x64 ; =>site_label);
    match cond {
        None => dynasm!(e.asm ; .arch x64 ; jmp =>stub),
        Some(cond) => jcc(e, cond, stub),
    }
    debug_assert_eq!(e.here() - site, if cond.is_none() { 5 } else { 6 }, "a chain site must have a rel32");
    e.stubs.push(ChainStub { label: stub, site_label, target: target.0 });
}

/// Sets ZF if `t` is zero.
fn test_temp(e: &mut Emitter, t: Temp) {
    match e.operand(t) {
        Operand::Reg(r) => dynasm!(e.asm ; .arch x64 ; test Rq(r), Rq(r)),
        Operand::Stack(s) => dynasm!(e.asm ; .arch x64 ; cmp QWORD [rsp + s], 0),
        // A constant condition (rare: the optimiser folds most) is tested like any other.
        Operand::Imm(_) => {
            e.load(RAX, t);
            dynasm!(e.asm ; .arch x64 ; test rax, rax);
        }
    }
}

/// Continue at the computed guest address in `t`: through the inline lookup probe, which
/// jumps to its block or exits to the dispatcher with `ExitReason::Lookup`.
fn leave_to_temp(e: &mut Emitter, t: Temp) {
    e.load(RAX, t);
    release_frame_extra(e);
    let probe = e.fixed.lookup;
    // (The call's return address goes below the frame, where nothing lives.)
    dynasm!(e.asm ; .arch x64 ; call extern probe ; jmp rcx);
}

pub(super) fn emit_exit(e: &mut Emitter, exit: &Exit) {
    match exit {
        Exit::Jump(target) => {
            release_frame_extra(e);
            chain_site(e, None, *target);
        }
        Exit::Branch { cond, taken, not_taken } => {
            let taken_if = flags_for(e, *cond);
            // (`lea`, not `add`: the flags survive.)
            release_frame_extra(e);
            chain_site(e, Some(taken_if), *taken);
            chain_site(e, None, *not_taken);
        }
        Exit::Indirect(t) | Exit::Return(t) => leave_to_temp(e, *t),
        Exit::Syscall { next } => {
            mov_imm(&mut e.asm, RAX, next.0);
            jump_to_exit_routine(e, ExitReason::Syscall);
        }
        Exit::Invalidate { next } => {
            mov_imm(&mut e.asm, RAX, next.0);
            jump_to_exit_routine(e, ExitReason::Invalidate);
        }
        Exit::Trap { kind, pc, .. } => {
            // The message (if any) is the dispatcher's to print (it keeps the messages of
            // the blocks it translated); the header only names the kind.
            mov_imm(&mut e.asm, RAX, pc.0);
            mov_imm(&mut e.asm, RCX, kind.index());
            jump_to_exit_routine(e, ExitReason::Trap);
        }
    }
}

pub(super) fn emit_exit_if(e: &mut Emitter, cond: Temp, exit: &Exit) {
    let skip = e.asm.new_dynamic_label();
    let taken_if = flags_for(e, cond);
    jcc(e, taken_if.inverse(), skip);
    if e.guest_mxcsr {
        // Leaving: the host's MXCSR first (see `emit_fp`); the region goes on after `skip`.
        e.reload_host_mxcsr();
    }
    emit_exit(e, exit);
    dynasm!(e.asm ; .arch x64 ; =>skip);
}

/// The stubs of the block's chain sites, after its body. Each reports
/// `ExitReason::Chain` with `next_pc` = the target and `exit_arg` = the site. (The site
/// already released the block's frame extension.)
pub(super) fn emit_chain_stubs(e: &mut Emitter) {
    let stubs = std::mem::take(&mut e.stubs);
    let routine = e.fixed.exit_with[ExitReason::Chain as usize];
    for stub in stubs {
        dynasm!(e.asm ; .arch x64 ; =>stub.label);
        mov_imm(&mut e.asm, RAX, stub.target);
        let site = stub.site_label;
        dynasm!(e.asm ; .arch x64 ; lea rcx, [=>site] ; jmp extern routine);
    }
}

/// The test at the block's entry (before anything else, so nothing needs undoing) of the
/// signal flag in the state header (see [`crate::ir::protocol::SignalFlag`]): a `jne` to
/// the exit that [`emit_signal_exit`] emits after the block's body. The blocks that may
/// continue backwards have it ([`crate::backend::needs_signal_check`]), so a loop of chained
/// blocks (or of blocks reached through the jump table) comes back to the dispatcher when a
/// signal waits.
pub(super) fn emit_signal_check(e: &mut Emitter) -> DynamicLabel {
    let exit = e.asm.new_dynamic_label();
    // A literal offset, so that dynasm encodes it as a disp8 (5 bytes, not 8).
    const _: () = assert!(crate::ir::protocol::header::SIGNAL_PENDING == 24);
    dynasm!(e.asm ; .arch x64 ; cmp BYTE [r15 + 24], 0 ; jne =>exit);
    exit
}

/// The exit of [`emit_signal_check`]: `ExitReason::Lookup` at the block's own guest address
/// `pc` (the frame is still the trampoline's), so the dispatcher delivers the signal with the
/// state complete and then runs this block.
pub(super) fn emit_signal_exit(e: &mut Emitter, label: DynamicLabel, pc: GuestAddr) {
    dynasm!(e.asm ; .arch x64 ; =>label);
    mov_imm(&mut e.asm, RAX, pc.0);
    let routine = e.fixed.exit_with[ExitReason::Lookup as usize];
    dynasm!(e.asm ; .arch x64 ; jmp extern routine);
}

/// The address of the rel32 field of the chain site's `jmp rel32` or `jcc rel32`.
fn rel32_field(cache: &CodeCache, site: ChainSite) -> usize {
    let opcode = cache.bytes(HostCode(site.0), 2);
    if opcode[0] == JMP_REL32 {
        site.0 + 1
    } else {
        assert!(opcode[0] == 0x0F && opcode[1] & 0xF0 == 0x80, "not a chain site");
        site.0 + 2
    }
}

/// Where the chain site jumps now.
pub(super) fn chain_target(cache: &CodeCache, site: ChainSite) -> HostCode {
    let field = rel32_field(cache, site);
    let bytes = cache.bytes(HostCode(field), 4);
    let rel = i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    HostCode((field as i64 + 4 + i64::from(rel)) as usize)
}

/// Points the chain site's `jmp rel32` or `jcc rel32` at `target`.
pub(super) fn link(cache: &mut CodeCache, site: ChainSite, target: HostCode) {
    let field = rel32_field(cache, site);
    // The displacement counts from the end of the instruction, right after the field.
    let rel = target.0 as i64 - (field + 4) as i64;
    // The whole cache is far smaller than +-2 GiB.
    let rel = i32::try_from(rel).expect("chain target out of rel32 range");
    cache.patch_u32(HostCode(field), rel as u32);
}
