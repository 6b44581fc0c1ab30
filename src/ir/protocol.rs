//! The block-exit protocol between translated code and the dispatcher.
//!
//! Every guest state struct starts with a [`StateHeader`]. A block that returns to the
//! dispatcher leaves the guest state complete in memory and writes three words of the header:
//! where the guest continues (`next_pc`), why the block stopped (`exit_reason`, an
//! [`ExitReason`]) and a detail (`exit_arg`). Backends write the header at the byte offsets in
//! [`header`]; the dispatcher reads it back after every return from translated code; the IR
//! interpreter reports its exits in the same terms. The IR's [`Exit`](super::Exit) kinds map
//! onto these reasons one to one (a `Jump`/`Branch` target is a `Chain` exit).

use super::TrapKind;

/// The first field of every guest state struct (`#[repr(C)]`, offset 0). Blocks write it when
/// they exit to the dispatcher.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct StateHeader {
    /// Guest address where execution continues.
    pub next_pc: u64,
    /// Why the block returned to the dispatcher: an [`ExitReason`] as `u64`.
    pub exit_reason: u64,
    /// Detail for the reason: the chain site (a host address the backend gives meaning to) for
    /// `Chain`, the [`TrapKind`] index for `Trap`.
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
    /// A guest instruction faulted (SIGSEGV/SIGBUS from a guest memory access): the host
    /// signal handler recorded the fault and sent the host context to the backend's fault
    /// exit; nothing else in the header is written (see `runtime::signals`).
    Fault = 5,
}

impl ExitReason {
    pub fn from_u64(v: u64) -> Option<ExitReason> {
        Some(match v {
            0 => ExitReason::Lookup,
            1 => ExitReason::Chain,
            2 => ExitReason::Syscall,
            3 => ExitReason::Trap,
            4 => ExitReason::Invalidate,
            5 => ExitReason::Fault,
            _ => return None,
        })
    }
}

impl TrapKind {
    /// The value stored in `exit_arg` for this trap.
    pub fn index(self) -> u64 {
        use TrapKind::*;
        match self {
            IllegalInstruction => 0,
            DivideError => 1,
            Breakpoint => 2,
            GeneralProtection => 3,
            MisalignedPc => 4,
            CodeFetch => 5,
        }
    }
    pub fn from_index(i: u64) -> Option<Self> {
        use TrapKind::*;
        Some(match i {
            0 => IllegalInstruction,
            1 => DivideError,
            2 => Breakpoint,
            3 => GeneralProtection,
            4 => MisalignedPc,
            5 => CodeFetch,
            _ => return None,
        })
    }
    /// The host signal number the guest receives.
    pub fn signal(self) -> i32 {
        use TrapKind::*;
        match self {
            IllegalInstruction => libc::SIGILL,
            DivideError => libc::SIGFPE,
            Breakpoint => libc::SIGTRAP,
            GeneralProtection | CodeFetch => libc::SIGSEGV,
            MisalignedPc => libc::SIGBUS,
        }
    }
}
