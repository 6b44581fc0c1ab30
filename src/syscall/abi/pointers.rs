//! Which arguments of a call are pointers the kernel reads or writes, and how many bytes: the
//! facts the syscall layer checks against the guest's mappings before a call reaches the host,
//! so that no call reads or writes xlate's own memory for the guest (the guest gets EFAULT,
//! as from Linux for a pointer to memory it has not mapped).
//!
//! The sizes used are those of the 64-bit Linux ABIs, which agree between x86-64 and
//! asm-generic for every struct listed (timespec 16, timeval 16, rusage 144, sysinfo 112,
//! tms 32, rlimit 16, statfs 120, siginfo 128, statx 256, iovec 16, msghdr 56, mmsghdr 64,
//! itimerspec and itimerval 32, sigevent 64, mq_attr 64, timex 208, termios 36, io_event 32, and
//! the SysV IPC structs of [`ipc_ctl_output`]). `struct epoll_event` differs (packed on
//! x86-64): the epoll calls prepare their own events array (`syscall::fs::epoll`).
//!
//! The same facts say which guest memory the kernel will write: before the call, code pages
//! there lose the translator's write protection (`syscall::memory::prepare_outputs`).
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
    /// An fd set of argument `i` descriptors: whole 64-bit words of bits (none for a
    /// negative count, the kernel's EINVAL; at most 65 536 bits, as the kernel never looks
    /// past its own table of descriptors).
    FdSet(usize),
    /// The 32-bit length the guest keeps at the address in argument `i` (getsockopt's
    /// optlen: the kernel reads it, then writes at most that much).
    AtArg(usize),
    /// The buffer of a SysV IPC control call whose command is argument `i`: what the kernel
    /// writes there for that command ([`ipc_ctl_output`]; 0 for a command that writes nothing
    /// or that is not covered).
    IpcCtl(usize, Ipc),
    /// capget's data: as many `__user_cap_data_struct`s (12 bytes) as the version in the
    /// header at argument `i` says (1 for version 1, 2 for versions 2 and 3, none for an
    /// unknown version, which the kernel refuses after writing its own into the header).
    CapData(usize),
}

/// The three kinds of SysV IPC object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ipc {
    Msg,
    Sem,
    Shm,
}

/// How many bytes a SysV IPC control call with command `cmd` writes at its buffer (the
/// 64-bit layouts, the same on x86-64 and asm-generic: msqid64_ds 120, shmid64_ds 112,
/// msginfo 32, seminfo 40, shminfo64 80, shm_info 48). semctl's semid64_ds is not the same
/// (`syscall::ipc` checks and converts it), and semctl GETALL (an array as long as the set,
/// which the call does not give) is not covered.
pub fn ipc_ctl_output(kind: Ipc, cmd: u64) -> u64 {
    const IPC_STAT: u64 = 2;
    const IPC_INFO: u64 = 3;
    // (The kernel ignores IPC_64, which 64-bit C libraries do not pass anyway.)
    let cmd = cmd & !0x100;
    match (kind, cmd) {
        // MSG_STAT, MSG_STAT_ANY
        (Ipc::Msg, IPC_STAT | 11 | 13) => 120,
        // MSG_INFO
        (Ipc::Msg, IPC_INFO | 12) => 32,
        // SEM_INFO (semctl's semid64_ds differs between the ABIs: `syscall::ipc`)
        (Ipc::Sem, IPC_INFO | 19) => 40,
        // SHM_STAT, SHM_STAT_ANY
        (Ipc::Shm, IPC_STAT | 13 | 15) => 112,
        (Ipc::Shm, IPC_INFO) => 80,
        // SHM_INFO
        (Ipc::Shm, 14) => 48,
        _ => 0,
    }
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
    /// A `struct msghdr` at argument `i` (recvmsg), or with `vlen` an array of `struct
    /// mmsghdr` with argument `vlen` entries (recvmmsg): the kernel writes each header
    /// (msg_namelen, msg_controllen, msg_flags, msg_len), its name and control buffers and the
    /// buffers of its iovec array, and reads the array.
    Msg { i: usize, vlen: Option<usize> },
    /// ioctl's argument `arg` with request `req`: written for as many bytes as the request's
    /// number says (_IOC_READ and _IOC_SIZE; the same encoding on both 64-bit ABIs), or for
    /// the few terminal and file requests whose number has no size
    /// ([`ioctl_output`]). Not checked before the call (the size is the driver's claim and
    /// some drivers write less), only made writable for the kernel.
    Ioctl { req: usize, arg: usize },
}

/// How many bytes ioctl request `req` writes at its argument (0: none known).
pub fn ioctl_output(req: u32) -> u64 {
    const IOC_READ: u32 = 2;
    if (req >> 30) & IOC_READ != 0 {
        return u64::from((req >> 16) & 0x3fff);
    }
    // Requests from before the encoding, with the same numbers on x86-64 and asm-generic:
    // TCGETS and TIOCGLCKTRMIOS (struct termios, 36 bytes), TIOCGWINSZ (struct winsize),
    // TIOCGPGRP, TIOCOUTQ, TIOCMGET, FIONREAD, TIOCGETD, TIOCGSID (int), FIOQSIZE (loff_t),
    // FIBMAP and FIGETBSZ (int).
    match req {
        0x5401 | 0x5456 => 36,
        0x5413 => 8,
        0x540f | 0x5411 | 0x5415 | 0x541b | 0x5424 | 0x5429 => 4,
        0x5460 => 8,
        1 | 2 => 4,
        _ => 0,
    }
}

use Len::*;
use Ptr::*;

const TIMESPEC: u64 = 16;
const TIMEVAL: u64 = 16;
const RUSAGE: u64 = 144;
const SIGINFO: u64 = 128;
/// struct itimerspec, and struct itimerval (two timevals): 32 bytes each.
const ITIMERSPEC: u64 = 32;
const SIGEVENT: u64 = 64;
const MQ_ATTR: u64 = 64;
const TIMEX: u64 = 208;
/// struct io_event (AIO): 32 bytes.
const IO_EVENT: u64 = 32;

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
        recvmsg => &[Msg { i: 1, vlen: None }],
        recvmmsg => &[Msg { i: 1, vlen: Some(2) }, In(4, Fixed(TIMESPEC))],
        ioctl => &[Ioctl { req: 1, arg: 2 }],
        getsockopt => &[Out(4, Fixed(4)), Out(3, AtArg(4))],
        // (Linux writes the timeout back, but ignores a failure to: only read.)
        select => &[Out(1, FdSet(0)), Out(2, FdSet(0)), Out(3, FdSet(0)), In(4, Fixed(TIMEVAL))],
        pselect6 => &[Out(1, FdSet(0)), Out(2, FdSet(0)), Out(3, FdSet(0)), In(4, Fixed(TIMESPEC))],
        rt_sigtimedwait => &[In(0, Arg(3)), Out(1, Fixed(SIGINFO)), In(2, Fixed(TIMESPEC))],
        getitimer | timer_gettime | timerfd_gettime => &[Out(1, Fixed(ITIMERSPEC))],
        setitimer => &[In(1, Fixed(ITIMERSPEC)), Out(2, Fixed(ITIMERSPEC))],
        timer_settime | timerfd_settime => &[In(2, Fixed(ITIMERSPEC)), Out(3, Fixed(ITIMERSPEC))],
        timer_create => &[In(1, Fixed(SIGEVENT)), Out(2, Fixed(4))],
        sched_getparam => &[Out(1, Fixed(4))],
        sched_rr_get_interval => &[Out(1, Fixed(TIMESPEC))],
        sched_getattr => &[Out(1, Arg(2))],
        getcpu => &[Out(0, Fixed(4)), Out(1, Fixed(4))],
        // The file offsets the kernel reads and writes back.
        sendfile => &[Out(2, Fixed(8))],
        splice | copy_file_range => &[Out(1, Fixed(8)), Out(3, Fixed(8))],
        process_vm_readv => &[Iov { i: 1, n: 2, write: true }],
        mq_getsetattr => &[In(1, Fixed(MQ_ATTR)), Out(2, Fixed(MQ_ATTR))],
        msgctl => &[Out(2, IpcCtl(1, Ipc::Msg))],
        shmctl => &[Out(2, IpcCtl(1, Ipc::Shm))],
        semctl => &[Out(3, IpcCtl(2, Ipc::Sem))],
        // (The kernel writes the header's version back when it does not know the guest's.)
        capget => &[Out(0, Fixed(8)), Out(1, CapData(0))],
        io_getevents => &[Out(3, ArgTimes(2, IO_EVENT)), In(4, Fixed(TIMESPEC))],
        io_pgetevents => &[Out(3, ArgTimes(2, IO_EVENT)), In(4, Fixed(TIMESPEC)), In(5, Fixed(16))],
        adjtimex => &[Out(0, Fixed(TIMEX))],
        clock_adjtime => &[Out(1, Fixed(TIMEX))],
        _ => &[],
    }
}
