//! The host side: the one place that issues the guest's system calls on the host (through
//! [`crate::host::syscall`]). The host's numbers come from the same checked tables as the
//! guests' ([`HOST`] is the table of the ISA xlate is compiled for), so an x86-64 build issues
//! x86-64 numbers and an AArch64 build asm-generic ones.

use super::abi::AbiInfo;
use super::Sysno;
use crate::ir::protocol::SignalFlag;

/// The ABI of the machine xlate runs on.
#[cfg(target_arch = "x86_64")]
pub static HOST: &AbiInfo = &super::abi::x86_64::INFO;
#[cfg(target_arch = "aarch64")]
pub static HOST: &AbiInfo = &super::abi::aarch64::INFO;

/// The host's number for a call, `None` where the host kernel lacks it (e.g. `open` on
/// AArch64).
pub fn number(sys: Sysno) -> Option<u32> {
    HOST.table.number(sys)
}

/// Issues host syscall `nr` with six arguments; returns the kernel's raw result (a value, or
/// `-errno`).
pub fn syscall(nr: u32, a: [u64; 6]) -> i64 {
    // SAFETY: the syscall is one the guest asked for, with the guest's arguments (whose
    // pointers are guest addresses, i.e. host addresses of guest memory), or one the layer
    // builds itself with pointers to its own live buffers. Calls that could unmap or overwrite
    // xlate's own memory (munmap, mremap, brk, exit, ...) are never forwarded blindly: the
    // layer handles those itself (memory.rs, process.rs). The kernel checks every pointer and
    // answers EFAULT for bad ones.
    unsafe { crate::host::syscall::syscall6(nr, a) }
}

/// [`syscall`] for a call forwarded unchanged with the world's lock released (one that may
/// block): also returns [`crate::host::syscall::RESTART`] when a signal interrupted it and
/// the kernel would restart it after the handler, or when `interrupt` (the calling thread's
/// signal flag) is raised before the call starts.
pub fn forwarded(nr: u32, a: [u64; 6], interrupt: &SignalFlag) -> i64 {
    // SAFETY: as in `syscall`: the guest's own call with its arguments; the flag is borrowed
    // for the whole call.
    unsafe { crate::host::syscall::forwarded_syscall(nr, a, interrupt.as_ptr()) }
}

/// Issues a canonical call on the host, or -ENOSYS if the host lacks it. For calls that the
/// layer builds itself (emulations and conversions), whose host equivalents every supported
/// host has.
pub fn call(sys: Sysno, a: [u64; 6]) -> i64 {
    match number(sys) {
        Some(nr) => syscall(nr, a),
        None => -(libc::ENOSYS as i64),
    }
}

/// A raw result as `Result`.
pub fn check(r: i64) -> Result<i64, super::Errno> {
    if (-4095..0).contains(&r) {
        Err(-r as super::Errno)
    } else {
        Ok(r)
    }
}
