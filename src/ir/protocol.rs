//! The block-exit protocol between translated code and the dispatcher.
//!
//! Every guest state struct starts with a [`StateHeader`]. A block that returns to the
//! dispatcher leaves the guest state complete in memory and writes three words of the header:
//! where the guest continues (`next_pc`), why the block stopped (`exit_reason`, an
//! [`ExitReason`]) and a detail (`exit_arg`). Backends write the header at the byte offsets in
//! [`header`]; the dispatcher reads it back after every return from translated code; the IR
//! interpreter reports its exits in the same terms. The IR's [`Exit`](super::Exit) kinds map
//! onto these reasons one to one (a `Jump`/`Branch` target is a `Chain` exit).
//!
//! The fourth word goes the other way: [`SignalFlag`], raised by the runtime's host signal
//! handler when a signal waits for the guest's handler, and tested at the entry of every
//! block that may continue backwards, so that a guest looping through chained blocks comes back to the dispatcher.

use super::TrapKind;
use std::sync::atomic::{AtomicU64, Ordering};

/// The first field of every guest state struct (`#[repr(C)]`, offset 0). Blocks write it when
/// they exit to the dispatcher.
#[repr(C)]
#[derive(Clone, Debug, Default)]
pub struct StateHeader {
    /// Guest address where execution continues.
    pub next_pc: u64,
    /// Why the block returned to the dispatcher: an [`ExitReason`] as `u64`.
    pub exit_reason: u64,
    /// Detail for the reason: the chain site (a host address the backend gives meaning to) for
    /// `Chain`, the [`TrapKind`] index for `Trap`.
    pub exit_arg: u64,
    /// Non-zero when a signal waits for delivery to a guest handler on this thread.
    pub signal_pending: SignalFlag,
}

/// "A signal waits for the guest's handler" (see `runtime::signals`): the host handler raises
/// it (after recording the signal) in the state of the thread it interrupted; every block
/// that may continue backwards (`backend::needs_signal_check`) tests its low byte at entry (`cmp byte [state+24], 0` / `ldrb; cbnz`) and, when it is
/// set, returns to the dispatcher with [`ExitReason::Lookup`] at its own guest address, where
/// the dispatcher takes it down ([`SignalFlag::take`]) and delivers. A word rather than a
/// byte only to keep the header in words; only the runtime writes it.
#[repr(transparent)]
#[derive(Debug, Default)]
pub struct SignalFlag(AtomicU64);

impl SignalFlag {
    /// Raises the flag (the host signal handler, after recording the signal).
    #[inline]
    pub fn raise(&self) {
        self.0.store(1, Ordering::Release);
    }

    /// Whether the flag was raised; lowers it. A plain load when it is not raised (the
    /// dispatcher asks after every return from translated code). A signal recorded after
    /// this raises it again; one recorded before is seen by the caller, which takes every
    /// recorded signal after this.
    #[inline]
    pub fn take(&self) -> bool {
        self.0.load(Ordering::Relaxed) != 0 && self.0.swap(0, Ordering::Acquire) != 0
    }

    pub fn is_raised(&self) -> bool {
        self.0.load(Ordering::Relaxed) != 0
    }

    /// The flag's word, for code that tests it without Rust (the forwarded system call's
    /// restart window, `host::syscall::forwarded_syscall`).
    pub fn as_ptr(&self) -> *const u64 {
        self.0.as_ptr()
    }

    /// A lowered flag.
    pub const fn new() -> SignalFlag {
        SignalFlag(AtomicU64::new(0))
    }
}

impl Clone for SignalFlag {
    /// The copy of a state (a new thread's) carries the flag's value; a raised flag without a
    /// recorded signal only costs one extra return to the dispatcher.
    fn clone(&self) -> Self {
        SignalFlag(AtomicU64::new(self.0.load(Ordering::Relaxed)))
    }
}

/// Byte offsets of the header fields, for backends.
pub mod header {
    use super::{SignalFlag, StateHeader};
    use std::mem::offset_of;

    pub const NEXT_PC: u32 = 0;
    pub const EXIT_REASON: u32 = 8;
    pub const EXIT_ARG: u32 = 16;
    pub const SIGNAL_PENDING: u32 = 24;
    pub const SIZE: u32 = 32;
    const _: () = assert!(offset_of!(StateHeader, signal_pending) == SIGNAL_PENDING as usize);
    const _: () = assert!(size_of::<StateHeader>() == SIZE as usize);
    const _: () = assert!(size_of::<SignalFlag>() == 8);
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
            CodeFetchDenied => 6,
            MisalignedData => 7,
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
            6 => CodeFetchDenied,
            7 => MisalignedData,
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
            GeneralProtection | CodeFetch | CodeFetchDenied => libc::SIGSEGV,
            MisalignedPc | MisalignedData => libc::SIGBUS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signal_flag_is_taken_once_per_raise() {
        let flag = SignalFlag::default();
        assert!(!flag.take());
        flag.raise();
        flag.raise();
        assert!(flag.is_raised());
        assert!(flag.take());
        assert!(!flag.take());
        assert!(!flag.is_raised());
        flag.raise();
        assert!(flag.clone().take(), "a copy of the state carries the flag");
    }
}
