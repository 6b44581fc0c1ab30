//! The runtime: running a program from start to end ([`run_program`]: load, pick the guest,
//! run, report), the dispatcher loop that finds or translates the block at the guest's PC and
//! runs it ([`Dispatcher`]), the per-guest glue ([`Guest`]), guest memory ([`memory`]) and the
//! translation statistics ([`stats`]).

mod dispatcher;
mod guest;
pub mod memory;
mod program;
pub mod stats;

pub use dispatcher::{Dispatcher, GuestEnv, Outcome, SyscallAction};
pub use guest::Guest;
pub use program::{die_by_signal, run_program, Options, StartError};

/// The first field of every guest state struct (`#[repr(C)]`, offset 0). Blocks write it when
/// they exit to the dispatcher.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct StateHeader {
    /// Guest address where execution continues.
    pub next_pc: u64,
    /// Why the block returned to the dispatcher: an [`ExitReason`] as `u64`.
    pub exit_reason: u64,
    /// Detail for the reason: the [`crate::backend::ChainSite`] for `Chain`, the
    /// [`crate::ir::TrapKind`] index for `Trap`.
    pub exit_arg: u64,
    /// Reserved for the backends (e.g. an inline-lookup scratch slot); zero at entry.
    pub scratch: u64,
}

/// Byte offsets of the header fields, for backends.
pub mod header {
    pub const NEXT_PC: u32 = 0;
    pub const EXIT_REASON: u32 = 8;
    pub const EXIT_ARG: u32 = 16;
    pub const SCRATCH: u32 = 24;
    pub const SIZE: u32 = 32;
}

/// Why translated code returned to the dispatcher.
#[repr(u64)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ExitReason {
    /// Continue at `next_pc` (indirect branch, return, or an unchained direct jump).
    Lookup = 0,
    /// A direct jump to `next_pc` whose site (`exit_arg`) may be linked to the target.
    Chain = 1,
    /// The guest made a system call; continue at `next_pc` afterwards.
    Syscall = 2,
    /// The guest instruction at `next_pc` traps; `exit_arg` is the `TrapKind` index.
    Trap = 3,
    /// Guest code may have changed: drop every translation, then continue at `next_pc`.
    Invalidate = 4,
}

impl ExitReason {
    pub fn from_u64(v: u64) -> Option<ExitReason> {
        Some(match v {
            0 => ExitReason::Lookup,
            1 => ExitReason::Chain,
            2 => ExitReason::Syscall,
            3 => ExitReason::Trap,
            4 => ExitReason::Invalidate,
            _ => return None,
        })
    }
}

impl crate::ir::TrapKind {
    /// The value stored in `exit_arg` for this trap.
    pub fn index(self) -> u64 {
        use crate::ir::TrapKind::*;
        match self {
            IllegalInstruction => 0,
            DivideError => 1,
            Breakpoint => 2,
            GeneralProtection => 3,
        }
    }
    pub fn from_index(i: u64) -> Option<Self> {
        use crate::ir::TrapKind::*;
        Some(match i {
            0 => IllegalInstruction,
            1 => DivideError,
            2 => Breakpoint,
            3 => GeneralProtection,
            _ => return None,
        })
    }
    /// The host signal number the guest receives.
    pub fn signal(self) -> i32 {
        use crate::ir::TrapKind::*;
        match self {
            IllegalInstruction => libc::SIGILL,
            DivideError => libc::SIGFPE,
            Breakpoint => libc::SIGTRAP,
            GeneralProtection => libc::SIGSEGV,
        }
    }
}
