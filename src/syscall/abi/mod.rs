//! Guest syscall ABIs as data: each guest ISA's number table (to and from [`Sysno`]) and the
//! struct layouts and flag encodings its calls use. The same data for the host ISA tells the
//! host side which number to issue ([`crate::syscall::host`]).

pub mod aarch64;
pub mod ia32;
pub mod pointers;
pub mod x86_64;

use super::convert::{OpenFlagBits, StatLayout};
use super::Sysno;

/// Syscall numbers at or above this are unknown on every ABI xlate supports (both tables end
/// below 460).
pub const MAX_NUMBER: usize = 512;

/// A guest or host ABI's number table, indexed both ways. Built at compile time from a list
/// of `(number, Sysno)` rows.
pub struct SyscallTable {
    entries: &'static [(u32, Sysno)],
    by_number: [Option<Sysno>; MAX_NUMBER],
    by_sysno: [Option<u32>; Sysno::COUNT],
}

impl SyscallTable {
    /// Indexes `entries`. Panics at compile time on a number out of range.
    pub const fn new(entries: &'static [(u32, Sysno)]) -> SyscallTable {
        let mut by_number = [None; MAX_NUMBER];
        let mut by_sysno = [None; Sysno::COUNT];
        let mut i = 0;
        while i < entries.len() {
            let (nr, sys) = entries[i];
            by_number[nr as usize] = Some(sys);
            by_sysno[sys as usize] = Some(nr);
            i += 1;
        }
        SyscallTable { entries, by_number, by_sysno }
    }

    /// The call a number stands for, if this ABI has it and xlate knows it.
    pub fn sysno(&self, nr: u64) -> Option<Sysno> {
        *self.by_number.get(usize::try_from(nr).ok()?)?
    }

    /// This ABI's number for a call, if it has one.
    pub fn number(&self, sys: Sysno) -> Option<u32> {
        self.by_sysno[sys as usize]
    }

    /// The rows the table was built from.
    pub fn entries(&self) -> &'static [(u32, Sysno)] {
        self.entries
    }
}

/// Everything about a guest (or host) ABI that the handlers need, as data.
pub struct AbiInfo {
    /// What `uname` reports in `machine` ("x86_64", "aarch64").
    pub machine: &'static str,
    pub table: &'static SyscallTable,
    /// The layout of `struct stat` (stat, fstat, lstat, newfstatat).
    pub stat: StatLayout,
    /// Whether `struct epoll_event` is packed (12 bytes, x86-64) or naturally aligned
    /// (16 bytes, asm-generic).
    pub epoll_packed: bool,
    /// Whether `struct semid64_ds` has a padding word after sem_otime and after sem_ctime
    /// (104 bytes, x86-64) or not (88 bytes, asm-generic).
    pub semid_ds_padded: bool,
    /// Where this ABI puts the open flags that differ between architectures.
    pub open_flags: OpenFlagBits,
    /// `clone`'s argument order: x86-64 passes (flags, stack, parent_tid, child_tid, tls);
    /// AArch64 (CLONE_BACKWARDS) passes (flags, stack, parent_tid, tls, child_tid).
    pub clone_tls_before_child_tid: bool,
    /// MINSIGSTKSZ: the smallest alternate signal stack sigaltstack accepts.
    pub min_sigstksz: u64,
    /// The code of the vDSO's rt_sigreturn trampoline, where a signal handler set without
    /// SA_RESTORER returns (xlate maps it into the guest on first use); empty where the ABI
    /// requires SA_RESTORER (x86-64).
    pub sigreturn_trampoline: &'static [u8],
}
