//! The x86-64 guest ABI: syscall numbers (from the kernel's
//! `arch/x86/entry/syscalls/syscall_64.tbl`, as installed in `asm/unistd_64.h`; a test checks
//! every row against that header) and the x86-64 struct layouts.

use super::{AbiInfo, SyscallTable};
use crate::syscall::convert::{OpenFlagBits, StatLayout};
use crate::syscall::{GuestAbi, Sysno::*};

/// `(number, call)` rows, in number order.
#[rustfmt::skip]
pub const ENTRIES: &[(u32, crate::syscall::Sysno)] = &[
    (0, read), (1, write), (2, open), (3, close), (4, stat), (5, fstat), (6, lstat), (7, poll),
    (8, lseek), (9, mmap), (10, mprotect), (11, munmap), (12, brk), (13, rt_sigaction),
    (14, rt_sigprocmask), (15, rt_sigreturn), (16, ioctl), (17, pread64), (18, pwrite64),
    (19, readv), (20, writev), (21, access), (22, pipe), (23, select), (24, sched_yield),
    (25, mremap), (26, msync), (27, mincore), (28, madvise), (32, dup), (33, dup2), (34, pause),
    (35, nanosleep), (36, getitimer), (37, alarm), (38, setitimer), (39, getpid), (40, sendfile),
    (41, socket), (42, connect), (43, accept), (44, sendto), (45, recvfrom), (46, sendmsg),
    (47, recvmsg), (48, shutdown), (49, bind), (50, listen), (51, getsockname), (52, getpeername),
    (53, socketpair), (54, setsockopt), (55, getsockopt), (56, clone), (57, fork), (58, vfork),
    (59, execve), (60, exit), (61, wait4), (62, kill), (63, uname), (72, fcntl), (73, flock),
    (74, fsync), (75, fdatasync), (76, truncate), (77, ftruncate), (78, getdents), (79, getcwd),
    (80, chdir), (81, fchdir), (82, rename), (83, mkdir), (84, rmdir), (85, creat), (86, link),
    (87, unlink), (88, symlink), (89, readlink), (90, chmod), (91, fchmod), (92, chown),
    (93, fchown), (94, lchown), (95, umask), (96, gettimeofday), (97, getrlimit), (98, getrusage),
    (99, sysinfo), (100, times), (102, getuid), (104, getgid), (105, setuid), (106, setgid),
    (107, geteuid), (108, getegid), (109, setpgid), (110, getppid), (111, getpgrp), (112, setsid),
    (113, setreuid), (114, setregid), (115, getgroups), (116, setgroups), (118, getresuid),
    (120, getresgid), (121, getpgid), (124, getsid), (125, capget), (126, capset),
    (127, rt_sigpending), (128, rt_sigtimedwait), (129, rt_sigqueueinfo), (130, rt_sigsuspend),
    (131, sigaltstack), (132, utime), (133, mknod), (135, personality), (137, statfs),
    (138, fstatfs), (140, getpriority), (141, setpriority), (142, sched_setparam),
    (143, sched_getparam), (144, sched_setscheduler), (145, sched_getscheduler),
    (146, sched_get_priority_max), (147, sched_get_priority_min), (148, sched_rr_get_interval),
    (149, mlock), (150, munlock), (151, mlockall), (152, munlockall), (157, prctl),
    (158, arch_prctl), (160, setrlimit), (162, sync), (186, gettid), (187, readahead),
    (188, setxattr), (189, lsetxattr), (190, fsetxattr), (191, getxattr), (192, lgetxattr),
    (193, fgetxattr), (194, listxattr), (195, llistxattr), (196, flistxattr), (197, removexattr),
    (198, lremovexattr), (199, fremovexattr), (200, tkill), (201, time), (202, futex),
    (203, sched_setaffinity), (204, sched_getaffinity), (213, epoll_create), (217, getdents64),
    (218, set_tid_address), (221, fadvise64), (222, timer_create), (223, timer_settime),
    (224, timer_gettime), (225, timer_getoverrun), (226, timer_delete), (228, clock_gettime),
    (229, clock_getres), (230, clock_nanosleep), (231, exit_group), (232, epoll_wait),
    (233, epoll_ctl), (234, tgkill), (235, utimes), (247, waitid), (253, inotify_init),
    (254, inotify_add_watch), (255, inotify_rm_watch), (257, openat), (258, mkdirat),
    (259, mknodat), (260, fchownat), (261, futimesat), (262, newfstatat), (263, unlinkat),
    (264, renameat), (265, linkat), (266, symlinkat), (267, readlinkat), (268, fchmodat),
    (269, faccessat), (270, pselect6), (271, ppoll), (273, set_robust_list),
    (274, get_robust_list), (275, splice), (276, tee), (277, sync_file_range), (280, utimensat),
    (281, epoll_pwait), (282, signalfd), (283, timerfd_create), (284, eventfd), (285, fallocate),
    (286, timerfd_settime), (287, timerfd_gettime), (288, accept4), (289, signalfd4),
    (290, eventfd2), (291, epoll_create1), (292, dup3), (293, pipe2), (294, inotify_init1),
    (295, preadv), (296, pwritev), (297, rt_tgsigqueueinfo), (299, recvmmsg), (302, prlimit64),
    (306, syncfs), (307, sendmmsg), (309, getcpu), (316, renameat2), (318, getrandom),
    (319, memfd_create), (324, membarrier), (326, copy_file_range), (327, preadv2),
    (328, pwritev2), (332, statx), (334, rseq), (424, pidfd_send_signal), (434, pidfd_open),
    (435, clone3), (436, close_range), (439, faccessat2), (441, epoll_pwait2),
];

pub static TABLE: SyscallTable = SyscallTable::new(ENTRIES);

pub static INFO: AbiInfo = AbiInfo {
    machine: "x86_64",
    table: &TABLE,
    stat: StatLayout::X86_64,
    epoll_packed: true,
    open_flags: OpenFlagBits::X86_64,
    clone_tls_before_child_tid: false,
    min_sigstksz: 2048,
    sigreturn_trampoline: &[],
};

/// The x86-64 syscall ABI, for [`crate::syscall::SyscallLayer::handle`]. Where a call's
/// number, arguments and result live is the guest state's business ([`GuestRegs`]).
///
/// [`GuestRegs`]: crate::syscall::GuestRegs
pub struct X86_64;

impl GuestAbi for X86_64 {
    const INFO: &'static AbiInfo = &INFO;
}
