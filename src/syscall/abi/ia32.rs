//! The ia32 system calls of `int 0x80` in a 64-bit process. Linux runs them with the 32-bit
//! numbering (`arch/x86/entry/syscalls/syscall_32.tbl`) and registers: number in eax,
//! arguments in ebx, ecx, edx, esi, edi, ebp (each truncated to 32 bits), result in eax; the
//! 64-bit registers are otherwise preserved. xlate runs the calls below, whose arguments
//! mean the same in both ABIs once truncated (file descriptors, 32-bit pointers, sizes,
//! flags, paths) and which need no 32-bit struct layout, as their x86-64 equivalents; every
//! other ia32 number is refused with ENOSYS (and `--strace` says so). A test checks each row
//! against the kernel's asm/unistd_32.h.

use crate::syscall::Sysno::{self, *};

/// `(ia32 number, call)` rows, in number order.
#[rustfmt::skip]
pub const ENTRIES: &[(u32, Sysno)] = &[
    (1, exit), (3, read), (4, write), (5, open), (6, close), (8, creat), (9, link),
    (10, unlink), (12, chdir), (15, chmod), (20, getpid), (33, access), (36, sync), (37, kill),
    (38, rename), (39, mkdir), (40, rmdir), (41, dup), (42, pipe), (60, umask), (63, dup2),
    (64, getppid), (66, setsid), (85, readlink), (94, fchmod), (118, fsync), (133, fchdir),
    (147, getsid), (148, fdatasync), (158, sched_yield), (199, getuid), (200, getgid),
    (201, geteuid), (202, getegid), (224, gettid), (252, exit_group), (295, openat),
    (296, mkdirat), (301, unlinkat),
];

/// Set in a syscall number the guest registers give for an ia32 number outside [`ENTRIES`]:
/// no ABI table has it, so the call fails with ENOSYS and `--strace` names it as the ia32
/// number refused (the low 32 bits).
pub const REFUSED: u64 = 1 << 62;

/// The call an ia32 number stands for, if xlate runs it.
pub fn sysno(nr: u32) -> Option<Sysno> {
    ENTRIES.iter().find(|&&(n, _)| n == nr).map(|&(_, s)| s)
}

/// The number the syscall layer gets for ia32 call `nr`: its x86-64 number, or `nr` with
/// [`REFUSED`] set.
pub fn x86_64_number(nr: u32) -> u64 {
    sysno(nr)
        .and_then(|s| super::x86_64::ENTRIES.iter().find(|&&(_, t)| t == s))
        .map_or(REFUSED | u64::from(nr), |&(n, _)| u64::from(n))
}
