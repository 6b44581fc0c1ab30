//! The one table of what xlate does with each system call it knows: forwarded to the host,
//! converted (arguments or results re-encoded between the guest's and the host's layouts),
//! emulated (done by xlate itself because it owns the state the call acts on), or refused on
//! purpose with an errno and the reason. The match below has no wildcard arm, so a call added
//! to [`Sysno`] does not compile until it is classified here; `tests/syscall_tables.rs` checks
//! that every number of both guest ABIs' kernel tables is a [`Sysno`] in that ABI's table.
//!
//! Some forwarded calls have operations xlate refuses ([`REFUSED_OPS`], data like
//! `Ptr::If`: an argument, a mask and the operations); [`for_call`] applies them.
//! [`SyscallLayer`](super::SyscallLayer) returns a refused call's errno before dispatching it,
//! and `--strace` marks it with the reason.

use super::abi::pointers::{QUOTA_CMD, QUOTA_CMDS};
use super::{Errno, Sysno};

/// What xlate does with one system call.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Treatment {
    /// Issued on the host with the guest's arguments unchanged (the layouts agree). Where the
    /// host kernel lacks the call (x86-64's `open`, `fork`, ... on an AArch64 host) it is
    /// replaced by the equivalent host calls in [`super::compat`].
    Forwarded,
    /// Issued on the host with arguments or results converted: struct layouts (`stat`,
    /// `epoll_event`), open-flag encodings, paths that must name the guest (`/proc/self/exe`).
    Converted,
    /// Done by xlate itself, because xlate owns what the call acts on: guest memory (brk,
    /// mmap, shmat), the guest's threads and processes (clone, execve), its signal handlers
    /// and registers (rt_sigaction, arch_prctl), what `uname` reports.
    Emulated,
    /// Refused on purpose: the guest gets `-errno`; `--strace` shows `reason`.
    Refused { errno: Errno, reason: &'static str },
}

/// Linux itself no longer implements these (sys_ni_syscall): ENOSYS, as the kernel answers.
const GONE: Treatment = Treatment::Refused { errno: libc::ENOSYS, reason: "Linux no longer implements it" };

/// How xlate treats `sys`, the same for every guest and host.
#[rustfmt::skip]
pub fn treatment(sys: Sysno) -> Treatment {
    use Sysno::*;
    use Treatment::*;
    let refused = |errno, reason| Refused { errno, reason };
    match sys {
        read | write | close | poll | lseek | rt_sigprocmask | ioctl | pread64 | pwrite64 | readv |
        writev | access | pipe | select | sched_yield | msync | mincore | madvise | dup | dup2 |
        pause | nanosleep | getitimer | alarm | setitimer | getpid | sendfile | socket | connect |
        accept | sendto | recvfrom | sendmsg | recvmsg | shutdown | bind | listen | getsockname |
        getpeername | socketpair | setsockopt | getsockopt | wait4 | kill | flock | fsync |
        fdatasync | truncate | ftruncate | getdents | getcwd | chdir | fchdir | rename | mkdir |
        rmdir | link | unlink | symlink | chmod | fchmod | chown | fchown | lchown | umask |
        gettimeofday | getrlimit | getrusage | sysinfo | times | getuid | getgid | setuid | setgid |
        geteuid | getegid | setpgid | getppid | getpgrp | setsid | setreuid | setregid | getgroups |
        setgroups | getresuid | getresgid | getpgid | getsid | rt_sigpending | rt_sigtimedwait |
        rt_sigsuspend | utime | statfs | fstatfs | getpriority | setpriority | sched_getparam |
        sched_getscheduler | sched_get_priority_max | sched_get_priority_min | prctl | setrlimit |
        sync | gettid | readahead | tkill | time | futex | sched_setaffinity | sched_getaffinity |
        epoll_create | getdents64 | fadvise64 | timer_create | timer_settime |
        timer_gettime | timer_delete | clock_gettime | clock_getres | clock_nanosleep | tgkill |
        utimes | waitid | inotify_init | inotify_add_watch | inotify_rm_watch | mkdirat | mknodat |
        fchownat | futimesat | unlinkat | renameat | linkat | symlinkat | fchmodat | faccessat |
        pselect6 | ppoll | splice | tee | sync_file_range | utimensat | timerfd_create | eventfd |
        fallocate | timerfd_settime | timerfd_gettime | accept4 | eventfd2 | epoll_create1 | dup3 |
        pipe2 | inotify_init1 | preadv | pwritev | prlimit64 | syncfs | getcpu | renameat2 |
        getrandom | memfd_create | copy_file_range | preadv2 | pwritev2 | statx | close_range |
        faccessat2 | mknod | mlock | munlock | mlockall | munlockall | membarrier | capget |
        capset | personality | sendmmsg | recvmmsg | getxattr | lgetxattr | fgetxattr | setxattr |
        lsetxattr | fsetxattr | listxattr | llistxattr | flistxattr | removexattr | lremovexattr |
        fremovexattr | signalfd | signalfd4 | rt_sigqueueinfo | rt_tgsigqueueinfo | pidfd_open |
        pidfd_send_signal | sched_setscheduler | sched_setparam | sched_rr_get_interval |
        timer_getoverrun | shmget | shmctl | semget | semop | msgget | msgsnd | msgrcv |
        msgctl | syslog | setresuid | setresgid | setfsuid | setfsgid | vhangup | pivot_root |
        adjtimex | chroot | acct | settimeofday | mount | umount2 | swapon | swapoff | reboot |
        sethostname | setdomainname | init_module | delete_module | quotactl | io_setup |
        io_destroy | io_getevents | io_submit | io_cancel | semtimedop | clock_settime | mbind |
        set_mempolicy | get_mempolicy | mq_open | mq_unlink | mq_timedsend | mq_timedreceive |
        mq_notify | mq_getsetattr | add_key | request_key | keyctl | ioprio_set |
        ioprio_get | migrate_pages | unshare | vmsplice | move_pages | perf_event_open |
        fanotify_mark | name_to_handle_at | clock_adjtime | setns | process_vm_readv |
        process_vm_writev | kcmp | finit_module | sched_setattr | sched_getattr | kexec_file_load |
        userfaultfd | mlock2 | io_pgetevents | open_tree | move_mount | fsopen | fsconfig |
        fsmount | fspick | pidfd_getfd | process_madvise | mount_setattr | quotactl_fd |
        landlock_create_ruleset | landlock_add_rule | landlock_restrict_self | memfd_secret |
        process_mrelease | futex_waitv | set_mempolicy_home_node => Forwarded,
        stat | lstat | fstat | newfstatat | open | openat | creat | openat2 | open_by_handle_at |
        fanotify_init | fcntl | readlink | readlinkat | epoll_ctl | epoll_wait | epoll_pwait |
        epoll_pwait2 | semctl => Converted,
        brk | mmap | munmap | mprotect | mremap | pkey_mprotect | shmat | shmdt | exit |
        exit_group | arch_prctl | uname | clone | clone3 | fork | vfork | set_tid_address | execve | execveat |
        set_robust_list | get_robust_list | rt_sigaction | sigaltstack | rt_sigreturn => Emulated,
        create_module | get_kernel_syms | query_module | nfsservctl | getpmsg | putpmsg
        | afs_syscall | tuxcall | security | vserver | epoll_ctl_old | epoll_wait_old | _sysctl
        | lookup_dcookie | uselib => GONE,
        ustat | sysfs => refused(libc::ENOSYS,
            "obsolete: asm-generic dropped it and no current libc calls it"),
        rseq => refused(libc::ENOSYS,
            "the kernel would restart critical sections at host addresses; glibc runs without it"),
        ptrace => refused(libc::ENOSYS,
            "a tracer would see xlate's registers and memory, not the guest's"),
        seccomp => refused(libc::ENOSYS,
            "a filter on the guest's calls would also filter xlate's own"),
        // ENOSYS: a kernel without CONFIG_BPF_SYSCALL.
        bpf => refused(libc::ENOSYS,
            "union bpf_attr holds pointers per command, and a loaded program could read xlate's memory"),
        // EPERM: what a caller without CAP_SYS_BOOT gets.
        kexec_load => refused(libc::EPERM,
            "the segments' buffers would be read from anywhere; kexec_file_load takes files"),
        modify_ldt | set_thread_area | get_thread_area => refused(libc::ENOSYS,
            "segment descriptors: translated code has only the fs and gs bases (arch_prctl)"),
        iopl | ioperm => refused(libc::EPERM,
            "translated code does not perform port I/O"),
        restart_syscall => refused(libc::EINTR,
            "only the kernel restarts calls; with none to restart Linux also returns EINTR"),
        io_uring_setup | io_uring_enter | io_uring_register => refused(libc::ENOSYS,
            "queued operations would run with the guest's pointers unchecked and flags unconverted"),
        remap_file_pages => refused(libc::ENOSYS,
            "it would rearrange pages under translated code without xlate seeing it"),
        pkey_alloc => refused(libc::ENOSPC,
            "protection keys would also restrict xlate's own accesses; none are available"),
        pkey_free => refused(libc::EINVAL, "no protection key is ever allocated"),
    }
}

/// Which operations of a call [`RefusedOp`] refuses, by argument `arg` masked with `mask`.
#[derive(Clone, Copy, Debug)]
pub enum Ops {
    /// These operations.
    Only(&'static [u64]),
    /// Every operation but these (those xlate describes).
    AllBut(&'static [u64]),
}

/// Operations of a forwarded call that xlate refuses on purpose, with the errno and reason.
#[derive(Clone, Copy, Debug)]
pub struct RefusedOp {
    pub sys: Sysno,
    pub arg: usize,
    pub mask: u64,
    pub ops: Ops,
    pub errno: Errno,
    pub reason: &'static str,
}

/// prctl's option: an `int`.
const PR_OPTION: u64 = 0xffff_ffff;

/// prctl's option number for syscall user dispatch (linux/prctl.h; the libc crate has it for
/// Android only).
const PR_SET_SYSCALL_USER_DISPATCH: u64 = 59;

/// The operations of forwarded calls that xlate refuses.
pub const REFUSED_OPS: &[RefusedOp] = &[
    // EINVAL: what prctl answers on a kernel without CONFIG_SECCOMP (and for a filter without
    // CONFIG_SECCOMP_FILTER); the seccomp call itself is ENOSYS there, as xlate answers it.
    RefusedOp {
        sys: Sysno::prctl,
        arg: 0,
        mask: PR_OPTION,
        ops: Ops::Only(&[libc::PR_SET_SECCOMP as u64]),
        errno: libc::EINVAL,
        reason: "PR_SET_SECCOMP: strict mode or a filter would also apply to xlate's own calls",
    },
    // EINVAL: what a kernel without syscall user dispatch (CONFIG_GENERIC_ENTRY) answers.
    RefusedOp {
        sys: Sysno::prctl,
        arg: 0,
        mask: PR_OPTION,
        ops: Ops::Only(&[PR_SET_SYSCALL_USER_DISPATCH]),
        errno: libc::EINVAL,
        reason: "PR_SET_SYSCALL_USER_DISPATCH: the range would also trap xlate's own calls",
    },
    // EPERM: what a caller without CAP_SYS_RESOURCE gets.
    RefusedOp {
        sys: Sysno::prctl,
        arg: 0,
        mask: PR_OPTION,
        ops: Ops::Only(&[libc::PR_SET_MM as u64]),
        errno: libc::EPERM,
        reason: "PR_SET_MM: xlate owns the guest's brk, stack and auxv and emulates /proc/self; the host's mm fields are its own",
    },
    // EINVAL: the kernel's answer to a command it does not know.
    RefusedOp {
        sys: Sysno::quotactl,
        arg: 0,
        mask: QUOTA_CMD,
        ops: Ops::AllBut(QUOTA_CMDS),
        errno: libc::EINVAL,
        reason: "a quota command whose address argument xlate does not describe",
    },
    RefusedOp {
        sys: Sysno::quotactl_fd,
        arg: 1,
        mask: QUOTA_CMD,
        ops: Ops::AllBut(QUOTA_CMDS),
        errno: libc::EINVAL,
        reason: "a quota command whose address argument xlate does not describe",
    },
];

/// How xlate treats `sys` called with arguments `a`: [`treatment`], unless [`REFUSED_OPS`]
/// refuses the operation.
pub fn for_call(sys: Sysno, a: &[u64; 6]) -> Treatment {
    let refused = REFUSED_OPS.iter().find(|r| {
        r.sys == sys
            && match r.ops {
                Ops::Only(ops) => ops.contains(&(a[r.arg] & r.mask)),
                Ops::AllBut(ops) => !ops.contains(&(a[r.arg] & r.mask)),
            }
    });
    match refused {
        Some(r) => Treatment::Refused { errno: r.errno, reason: r.reason },
        None => treatment(sys),
    }
}

/// How many of `table`'s calls get each treatment: (forwarded, converted, emulated, refused).
pub fn counts(table: &super::abi::SyscallTable) -> (usize, usize, usize, usize) {
    let mut c = (0, 0, 0, 0);
    for &(_, sys) in table.entries() {
        match treatment(sys) {
            Treatment::Forwarded => c.0 += 1,
            Treatment::Converted => c.1 += 1,
            Treatment::Emulated => c.2 += 1,
            Treatment::Refused { .. } => c.3 += 1,
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syscall::abi::{aarch64, x86_64, SyscallTable};
    use crate::syscall::compat;

    const ABIS: [(&str, &SyscallTable); 2] = [("x86-64", &x86_64::TABLE), ("aarch64", &aarch64::TABLE)];

    /// A forwarded call must exist on every host xlate runs on, natively or through compat's
    /// replacement; otherwise it would fail with ENOSYS there without being refused.
    #[test]
    fn every_forwarded_call_runs_on_both_hosts() {
        let mut bad = Vec::new();
        for (guest, table) in ABIS {
            for &(nr, sys) in table.entries() {
                if treatment(sys) != Treatment::Forwarded {
                    continue;
                }
                for (host, host_table) in ABIS {
                    if host_table.number(sys).is_none() && !compat::replaces(sys) {
                        bad.push(format!("{guest} {nr} {} on a {host} host", sys.name()));
                    }
                }
            }
        }
        assert!(bad.is_empty(), "forwarded but missing on a host:\n{}", bad.join("\n"));
    }

    /// compat only replaces calls some host lacks (a replacement of a call every host has
    /// would never run).
    #[test]
    fn compat_replaces_only_calls_a_host_lacks() {
        for &(_, sys) in x86_64::TABLE.entries() {
            if compat::replaces(sys) {
                assert!(aarch64::TABLE.number(sys).is_none(), "{}", sys.name());
            }
        }
    }

    /// The figures the issue asks for (printed with --nocapture), and a refusal always names
    /// an errno and a reason.
    #[test]
    fn counts_per_guest_abi() {
        for (abi, table) in ABIS {
            let (f, c, e, r) = counts(table);
            assert_eq!(f + c + e + r, table.entries().len());
            println!(
                "{abi}: {} calls: {f} forwarded, {c} converted, {e} emulated, {r} refused",
                table.entries().len()
            );
            for &(_, sys) in table.entries() {
                if let Treatment::Refused { errno, reason } = treatment(sys) {
                    assert!(errno > 0 && !reason.is_empty(), "{}", sys.name());
                }
            }
        }
        for r in REFUSED_OPS {
            assert_eq!(treatment(r.sys), Treatment::Forwarded, "{}", r.sys.name());
            assert!(r.errno > 0 && !r.reason.is_empty(), "{}", r.sys.name());
        }
        println!("and operations of forwarded calls refused: {}", REFUSED_OPS.len());
    }

    /// prctl's seccomp, syscall user dispatch and PR_SET_MM are refused with the errno a
    /// kernel without the feature (or a caller without the capability) gives, its other
    /// options forwarded; quotactl refuses the commands it does not describe.
    #[test]
    fn operations_are_refused_by_their_argument() {
        let refused = |sys, a: [u64; 6]| match for_call(sys, &a) {
            Treatment::Refused { errno, .. } => Some(errno),
            _ => None,
        };
        // PR_SET_SECCOMP with SECCOMP_MODE_STRICT, and with the register's upper half set.
        assert_eq!(refused(Sysno::prctl, [22, 1, 0, 0, 0, 0]), Some(libc::EINVAL));
        assert_eq!(refused(Sysno::prctl, [(1 << 32) | 22, 2, 0, 0, 0, 0]), Some(libc::EINVAL));
        assert_eq!(refused(Sysno::prctl, [59, 1, 0, 0, 0, 0]), Some(libc::EINVAL));
        assert_eq!(refused(Sysno::prctl, [35, 1, 0x1000, 0, 0, 0]), Some(libc::EPERM));
        // PR_GET_SECCOMP, PR_SET_NAME.
        assert_eq!(refused(Sysno::prctl, [21, 0, 0, 0, 0, 0]), None);
        assert_eq!(refused(Sysno::prctl, [15, 0x1000, 0, 0, 0, 0]), None);
        // Q_GETQUOTA of group quotas; Q_XGETQSTAT; an unknown command; quotactl_fd's is arg 1.
        assert_eq!(refused(Sysno::quotactl, [0x8000_0701, 0, 0, 0, 0, 0]), None);
        assert_eq!(refused(Sysno::quotactl, [0x58_0500, 0, 0, 0, 0, 0]), None);
        assert_eq!(refused(Sysno::quotactl, [0x8000_1000, 0, 0, 0, 0, 0]), Some(libc::EINVAL));
        assert_eq!(refused(Sysno::quotactl_fd, [3, 0x8000_1000, 0, 0, 0, 0]), Some(libc::EINVAL));
        assert_eq!(refused(Sysno::quotactl_fd, [0x8000_1000, 0x8000_0700, 0, 0, 0, 0]), None);
        assert_eq!(refused(Sysno::bpf, [0, 0, 0, 0, 0, 0]), Some(libc::ENOSYS));
        assert_eq!(refused(Sysno::kexec_load, [0, 0, 0, 0, 0, 0]), Some(libc::EPERM));
        assert_eq!(refused(Sysno::getpid, [22, 0, 0, 0, 0, 0]), None);
    }
}
