//! Raw system calls of the host kernel: the one place xlate issues a system call by number.
//! Which number to issue, and whether a call may be issued at all, is the syscall layer's
//! business ([`crate::syscall`]'s host table); this module only performs it.

/// Issues host syscall `nr` with six arguments; returns the kernel's raw result (a value, or
/// `-errno`).
///
/// # Safety
/// The call must not unmap, overwrite or re-protect memory that xlate uses, nor end or
/// reshape the process behind Rust's back: any pointer among the arguments must be valid for
/// what the call does with it (the kernel answers EFAULT for unmapped ones, but not for
/// mapped memory that belongs to someone else).
pub unsafe fn syscall6(nr: u32, a: [u64; 6]) -> i64 {
    // SAFETY: per the contract.
    let r = unsafe {
        libc::syscall(
            nr as libc::c_long,
            a[0] as libc::c_long,
            a[1] as libc::c_long,
            a[2] as libc::c_long,
            a[3] as libc::c_long,
            a[4] as libc::c_long,
            a[5] as libc::c_long,
        )
    };
    if r == -1 {
        -(std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::ENOSYS) as i64)
    } else {
        r as i64
    }
}

/// fork(2) of xlate itself, through libc so that xlate's own libc state (its cached thread
/// id, at-fork handlers, stdio locks) stays right in the child. Returns the child's pid, 0 in
/// the child, or `-errno`.
pub fn fork() -> i64 {
    // SAFETY: xlate runs the guest on one thread, so the child is a complete copy with no
    // lock held by a thread that does not exist in it.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        -(std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EAGAIN) as i64)
    } else {
        pid as i64
    }
}
