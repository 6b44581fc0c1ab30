//! Which arguments of a call are pointers the kernel reads or writes, and how many bytes: the
//! facts the syscall layer checks against the guest's mappings before a call reaches the host,
//! so that no call reads or writes xlate's own memory for the guest (the guest gets EFAULT,
//! as from Linux for a pointer to memory it has not mapped).
//!
//! The sizes used are those of the 64-bit Linux ABIs, which agree between x86-64 and
//! asm-generic for every struct listed (timespec 16, timeval 16, rusage 144, sysinfo 112,
//! tms 32, rlimit 16, statfs 120, siginfo 128, statx 256, iovec 16).
//!
//! A NULL pointer is never checked: Linux gives it its own meaning (an optional argument) or
//! EFAULT by itself, and nothing of xlate's is mapped at 0. Calls not described here are
//! forwarded unchecked: the gap is listed in docs/ARCHITECTURE.md.

use crate::syscall::Sysno;

/// How many bytes a pointer argument covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Len {
    /// The value of argument `i`.
    Arg(usize),
    /// A fixed struct size.
    Fixed(u64),
    /// Argument `i` times an element size.
    ArgTimes(usize, u64),
    /// Argument `i` plus a header size (msgsnd's `long mtype` before the text).
    ArgPlus(usize, u64),
}

/// One pointer argument of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ptr {
    /// The kernel reads argument `i` (the guest must be able to read it).
    In(usize, Len),
    /// The kernel writes argument `i` (the guest must be able to write it).
    Out(usize, Len),
    /// A NUL-terminated string (a path, an xattr name) at argument `i`.
    Str(usize),
    /// An iovec array at argument `i` with argument `n` entries, whose buffers the kernel
    /// reads (`write` = false) or writes.
    Iov { i: usize, n: usize, write: bool },
}

use Len::*;
use Ptr::*;

const TIMESPEC: u64 = 16;
const TIMEVAL: u64 = 16;
const RUSAGE: u64 = 144;

/// The pointer arguments of `sys` that the layer checks.
pub fn pointers(sys: Sysno) -> &'static [Ptr] {
    use Sysno::*;
    match sys {
        read | pread64 => &[Out(1, Arg(2))],
        write | pwrite64 => &[In(1, Arg(2))],
        readv | preadv | preadv2 => &[Iov { i: 1, n: 2, write: true }],
        writev | pwritev | pwritev2 => &[Iov { i: 1, n: 2, write: false }],
        getrandom | getcwd => &[Out(0, Arg(1))],
        getdents | getdents64 => &[Out(1, Arg(2))],
        recvfrom => &[Out(1, Arg(2)), Out(5, Fixed(4))],
        sendto => &[In(1, Arg(2)), In(4, Arg(5))],
        connect | bind => &[In(1, Arg(2))],
        accept | accept4 | getsockname | getpeername => &[Out(2, Fixed(4))],
        pipe | pipe2 => &[Out(0, Fixed(8))],
        socketpair => &[Out(3, Fixed(8))],
        clock_gettime | clock_getres => &[Out(1, Fixed(TIMESPEC))],
        gettimeofday => &[Out(0, Fixed(TIMEVAL)), Out(1, Fixed(8))],
        settimeofday => &[In(0, Fixed(TIMEVAL)), In(1, Fixed(8))],
        clock_settime => &[In(1, Fixed(TIMESPEC))],
        nanosleep => &[In(0, Fixed(TIMESPEC)), Out(1, Fixed(TIMESPEC))],
        // The futex word (what the other arguments are depends on the operation: uaddr2 and
        // the timeout pointer are not checked).
        futex => &[In(0, Fixed(4))],
        clock_nanosleep => &[In(2, Fixed(TIMESPEC)), Out(3, Fixed(TIMESPEC))],
        getresuid | getresgid => &[Out(0, Fixed(4)), Out(1, Fixed(4)), Out(2, Fixed(4))],
        getgroups => &[Out(1, ArgTimes(0, 4))],
        setgroups => &[In(1, ArgTimes(0, 4))],
        getrusage => &[Out(1, Fixed(RUSAGE))],
        times => &[Out(0, Fixed(32))],
        sysinfo => &[Out(0, Fixed(112))],
        getrlimit => &[Out(1, Fixed(16))],
        setrlimit => &[In(1, Fixed(16))],
        prlimit64 => &[In(2, Fixed(16)), Out(3, Fixed(16))],
        rt_sigprocmask => &[In(1, Arg(3)), Out(2, Arg(3))],
        rt_sigpending => &[Out(0, Arg(1))],
        sched_getaffinity => &[Out(2, Arg(1))],
        sched_setaffinity => &[In(2, Arg(1))],
        wait4 => &[Out(1, Fixed(4)), Out(3, Fixed(RUSAGE))],
        waitid => &[Out(2, Fixed(128)), Out(4, Fixed(RUSAGE))],
        poll | ppoll => &[Out(0, ArgTimes(1, 8))],
        statx => &[Str(1), Out(4, Fixed(256))],
        statfs => &[Str(0), Out(1, Fixed(120))],
        fstatfs => &[Out(1, Fixed(120))],
        open | creat | access | mkdir | rmdir | unlink | chdir | chmod | chown | lchown | truncate
        | mknod | chroot | acct | swapoff | stat | lstat | uselib => &[Str(0)],
        openat | openat2 | faccessat | faccessat2 | mkdirat | unlinkat | fchmodat | fchownat | mknodat
        | newfstatat | inotify_add_watch | futimesat | utimensat => &[Str(1)],
        rename | link | symlink | pivot_root => &[Str(0), Str(1)],
        renameat | renameat2 | linkat => &[Str(1), Str(3)],
        symlinkat => &[Str(0), Str(2)],
        utime => &[Str(0), In(1, Fixed(16))],
        utimes => &[Str(0), In(1, Fixed(2 * TIMEVAL))],
        name_to_handle_at => &[Str(1)],
        readlink => &[Str(0), Out(1, Arg(2))],
        readlinkat => &[Str(1), Out(2, Arg(3))],
        getxattr | lgetxattr => &[Str(0), Str(1), Out(2, Arg(3))],
        fgetxattr => &[Str(1), Out(2, Arg(3))],
        setxattr | lsetxattr => &[Str(0), Str(1), In(2, Arg(3))],
        fsetxattr => &[Str(1), In(2, Arg(3))],
        listxattr | llistxattr => &[Str(0), Out(1, Arg(2))],
        flistxattr => &[Out(1, Arg(2))],
        removexattr | lremovexattr => &[Str(0), Str(1)],
        fremovexattr => &[Str(1)],
        mq_open | mq_unlink => &[Str(0)],
        mq_timedsend => &[In(1, Arg(2)), In(4, Fixed(TIMESPEC))],
        mq_timedreceive => &[Out(1, Arg(2)), Out(3, Fixed(4)), In(4, Fixed(TIMESPEC))],
        msgsnd => &[In(1, ArgPlus(2, 8))],
        msgrcv => &[Out(1, ArgPlus(2, 8))],
        _ => &[],
    }
}
