//! Guest frontends: each turns the guest instructions at a [`GuestAddr`] into one IR
//! [`Block`]. A frontend knows its guest ISA and the layout of its guest state struct; it knows
//! nothing of the host.
//!
//! Frontends read guest code through [`CodeSource`] (guest memory, or a byte slice in tests).
//! Which frontend runs a program is decided by the guest descriptions above this layer.

pub mod aarch64;
pub mod crc32;
pub mod lookahead;
pub mod x86_64;

use crate::ir::{Block, GuestAddr, MemoryModel};
pub use crate::memory::code::{CodeSource, SliceCode};

/// Upper bound on guest instructions in one block, so that blocks stay small enough for
/// quick compilation and precise statistics.
pub const MAX_BLOCK_INSNS: u32 = 64;

/// The one-line message of a SIGILL for an instruction that decodes but that xlate does not
/// implement (as opposed to one that is undefined on the guest ISA, which traps silently as
/// it would natively): the guest ISA, its address, its bytes and its disassembly, and what to
/// do about it. The dispatcher prints it after "xlate: ".
pub fn unimplemented_message(isa: &str, pc: u64, bytes: &str, disassembly: &str) -> String {
    format!(
        "{pc:#x}: unimplemented {isa} instruction {bytes} ({disassembly}); \
         please report it to the xlate project with this line"
    )
}

/// The one-line message of a SIGSEGV for a guest PC that reaches memory that is not mapped
/// with PROT_EXEC (a jump to unmapped or data memory, or running off the end of code): native
/// execution dies silently there, but under a translator the line says which address it was.
pub fn unreadable_code_message(pc: u64) -> String {
    format!("{pc:#x}: the guest jumped to or ran into memory that is unmapped or not executable")
}

/// The trap for code at `pc` that cannot be fetched: an access error (SEGV_ACCERR) where
/// `pc` is mapped but not executable, else a missing mapping (SEGV_MAPERR), as the kernel
/// tells them apart; with the one-line message.
pub fn unreadable_code_trap(code: &dyn CodeSource, pc: u64) -> crate::ir::Exit {
    use crate::ir::{Exit, GuestAddr, TrapKind};
    let kind = if code.is_mapped(GuestAddr(pc)) { TrapKind::CodeFetchDenied } else { TrapKind::CodeFetch };
    Exit::Trap { kind, pc: GuestAddr(pc), message: Some(unreadable_code_message(pc)) }
}

/// A guest ISA's decoder and semantics.
pub trait Frontend {
    /// Translates the basic block starting at `pc`. Never panics on guest bytes: an
    /// undecodable, unimplemented or unreadable instruction ends the block with an
    /// [`crate::ir::Exit::Trap`] at its address (after the instructions before it).
    fn translate(&mut self, code: &dyn CodeSource, pc: GuestAddr) -> Block;

    /// Ends every block after at most `max` guest instructions (1 under a debugger, so that
    /// the dispatcher sees every guest PC; [`MAX_BLOCK_INSNS`] otherwise).
    fn set_max_block_insns(&mut self, max: u32);

    /// The order of the guest's ordinary loads and stores: [`MemoryModel::Tso`] keeps x86-64's
    /// total store order (its default), [`MemoryModel::Relaxed`] drops it (`--memory-model`).
    /// A guest whose ordinary accesses are unordered anyway (AArch64) ignores it.
    fn set_memory_model(&mut self, model: MemoryModel);

    /// With `exact`, every block exit keeps every guest flag as the architecture defines it
    /// there (`--exact-flags`); without, a frontend that looks ahead ([`lookahead`]) lets a
    /// block skip the flags that the code at an exit's target overwrites before reading them.
    /// A frontend that does not look ahead ignores it.
    fn set_exact_flags(&mut self, _exact: bool) {}
}
