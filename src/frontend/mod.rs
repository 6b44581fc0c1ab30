//! Guest frontends: each turns the guest instructions at a [`GuestAddr`] into one IR
//! [`Block`]. A frontend knows its guest ISA and the layout of its guest state struct; it knows
//! nothing of the host.
//!
//! The frontend is chosen by the ELF's `e_machine` (see [`crate::runtime::Guest`]).

pub mod aarch64;
pub mod x86_64;

use crate::ir::{Block, GuestAddr};

/// Upper bound on guest instructions in one block, so that blocks stay small enough for
/// quick compilation and precise statistics.
pub const MAX_BLOCK_INSNS: u32 = 64;

/// Where a frontend reads guest code from.
pub trait CodeSource {
    /// Copies guest code bytes starting at `addr` into `buf`; returns how many bytes could be
    /// read (fewer than `buf.len()` when the executable mapping ends, zero if `addr` is not
    /// executable guest memory).
    fn read_code(&self, addr: GuestAddr, buf: &mut [u8]) -> usize;
}

/// A byte slice placed at a guest address: the [`CodeSource`] of unit tests.
pub struct SliceCode<'a> {
    pub base: GuestAddr,
    pub bytes: &'a [u8],
}

impl CodeSource for SliceCode<'_> {
    fn read_code(&self, addr: GuestAddr, buf: &mut [u8]) -> usize {
        let Some(off) = addr.0.checked_sub(self.base.0) else {
            return 0;
        };
        let Some(rest) = self.bytes.get(off as usize..) else {
            return 0;
        };
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        n
    }
}

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

/// A guest ISA's decoder and semantics.
pub trait Frontend {
    /// Translates the basic block starting at `pc`. Never panics on guest bytes: an
    /// undecodable, unimplemented or unreadable instruction ends the block with an
    /// [`crate::ir::Exit::Trap`] at its address (after the instructions before it).
    fn translate(&mut self, code: &dyn CodeSource, pc: GuestAddr) -> Block;
}
