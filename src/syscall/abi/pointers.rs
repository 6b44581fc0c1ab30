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
//! EFAULT by itself, and nothing of xlate's is mapped at 0. Every forwarded call either is
//! described here, or is in [`NO_POINTERS`] (no pointer argument), or in [`UNDESCRIBED`]
//! with the reason its pointers reach the host unchecked; a test keeps it so.

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
    /// The value of argument `i` as the kernel's `int`, when it is at most `max`; none when it
    /// is negative or larger (the kernel's EINVAL or E2BIG before it reads anything).
    ArgUpTo(usize, u64),
    /// A `struct file_handle` at argument `i`: its 8-byte header and as many bytes as its
    /// handle_bytes says; the header only when that is above MAX_HANDLE_SZ (128: EINVAL).
    FileHandle(usize),
    /// A struct at argument `arg` that gives its own size in the 32-bit field at byte `at`
    /// (`zero` bytes when that says 0; none above a page, the kernel's E2BIG): sched_attr,
    /// perf_event_attr.
    SizeField { arg: usize, at: u64, zero: u64 },
    /// mincore's vector: one byte per 4 KiB page of the length in argument `i`.
    Pages(usize),
    /// A node mask of argument `i` nodes (the memory-policy calls): whole 64-bit words of
    /// `i - 1` bits, as the kernel reads and writes them; none above a page of bits (EINVAL).
    NodeMask(usize),
    /// The 32-bit field at byte `at` of the struct at argument `arg` (keyctl_pkey_params's
    /// in_len and out_len).
    Field { arg: usize, at: u64 },
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
/// (`syscall::ipc` checks and converts it), and semctl GETALL/SETALL's array, as long as the
/// set, which the call does not give, is checked there too.
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
    /// A `struct msghdr` at argument `i` (recvmsg, sendmsg), or with `vlen` an array of
    /// `struct mmsghdr` with argument `vlen` entries (recvmmsg, sendmmsg). Receiving (`write`),
    /// the kernel writes each header (msg_namelen, msg_controllen, msg_flags, msg_len), its
    /// name and control buffers and the buffers of its iovec array, and reads the array;
    /// sending, it reads all of them and writes only each mmsghdr's msg_len.
    Msg { i: usize, vlen: Option<usize>, write: bool },
    /// An array of argument `n` pointers to `struct iocb` at argument `i` (io_submit): the
    /// kernel reads the array and each iocb, writes each iocb's aio_key, and reads or writes
    /// the buffer (or the iovec array's buffers) it names, by its opcode.
    Aio { i: usize, n: usize },
    /// process_vm_readv/writev's remote iovec array at argument `i` with argument `n` entries
    /// (read), and, when argument `pid` names a thread of this process, its buffers, which are
    /// then this process's memory (read, or written for `write`).
    RemoteIov { pid: usize, i: usize, n: usize, write: bool },
    /// A range of mappings (address argument `i`, length argument `n`) that the call changes
    /// without copying: ENOMEM, as Linux answers for unmapped pages, unless all of it (in
    /// whole pages) is guest memory, whatever its protection.
    Range(usize, usize),
    /// A struct of `size` bytes at argument `i` that the kernel reads (or, with `n`, an array
    /// of argument `n` of them, at most [`STRUCTS_MAX`]), and the pointers it follows from it:
    /// `fields`, whose arguments are the struct's first six 64-bit words (little-endian on
    /// every guest and host xlate has; a 32-bit field is a word's low or high half).
    Struct { i: usize, n: Option<usize>, size: u64, fields: &'static [Ptr] },
    /// `then`, when argument `arg` masked with `mask` is one of `ops` (a call whose pointer
    /// arguments depend on its operation: futex, fcntl, prctl, syslog, ...).
    If { arg: usize, mask: u64, ops: &'static [u64], then: &'static Ptr },
    /// ioctl's argument `arg` with request `req`: written for as many bytes as the request's
    /// number says (_IOC_READ and _IOC_SIZE; the same encoding on both 64-bit ABIs), or for
    /// the few terminal and file requests whose number has no size
    /// ([`ioctl_output`]). Not checked before the call (the size is the driver's claim and
    /// some drivers write less), only made writable for the kernel.
    Ioctl { req: usize, arg: usize },
}

/// The most structs of a [`Ptr::Struct`] array whose pointers are checked: more is the
/// kernel's EINVAL for every call described so (futex_waitv: FUTEX_WAITV_MAX, 128).
pub const STRUCTS_MAX: u64 = 128;

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

/// struct sembuf: three shorts.
const SEMBUF: u64 = 6;
/// The kernel's sigset_t: a call given another size fails with EINVAL.
const SIGSET: u64 = 8;
/// struct flock on the 64-bit ABIs.
const FLOCK: u64 = 32;
/// struct iocb.
const IOCB: u64 = 64;
const PAGE: u64 = 4096;
/// futex's FUTEX_CMD_MASK: the operation without FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME.
const FUTEX_CMD: u64 = INT & !0x180;
/// The mask of an `int` argument (the kernel ignores the register's upper half).
const INT: u64 = 0xffff_ffff;

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
        // The futex word, and by operation (the command bits, with FUTEX_PRIVATE_FLAG where
        // it matters): the timeout of WAIT, LOCK_PI, WAIT_BITSET, WAIT_REQUEUE_PI and LOCK_PI2;
        // uaddr2, which WAKE_OP, WAIT_REQUEUE_PI and CMP_REQUEUE_PI write, and whose page
        // REQUEUE and CMP_REQUEUE look up only for a shared futex (a private one is only a key).
        futex => &[
            In(0, Fixed(4)),
            If { arg: 1, mask: FUTEX_CMD, ops: &[0, 6, 9, 11, 13], then: &In(3, Fixed(TIMESPEC)) },
            If { arg: 1, mask: FUTEX_CMD, ops: &[5, 11, 12], then: &Out(4, Fixed(4)) },
            If { arg: 1, mask: FUTEX_CMD | 0x80, ops: &[3, 4], then: &In(4, Fixed(4)) },
        ],
        // struct futex_waitv (24 bytes): the kernel reads each waiter's 32-bit futex word, at
        // the address in its second word.
        futex_waitv => {
            &[Struct { i: 0, n: Some(1), size: 24, fields: &[In(1, Fixed(4))] }, In(3, Fixed(TIMESPEC))]
        }
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
        openat | faccessat | faccessat2 | mkdirat | unlinkat | fchmodat | fchownat | mknodat | newfstatat
        | inotify_add_watch | futimesat | open_tree | fspick => &[Str(1)],
        // struct open_how: at least 24 bytes, at most a page (E2BIG).
        openat2 => &[Str(1), In(2, ArgUpTo(3, PAGE))],
        utimensat => &[Str(1), In(2, Fixed(2 * TIMESPEC))],
        rename | link | symlink | pivot_root => &[Str(0), Str(1)],
        renameat | renameat2 | linkat => &[Str(1), Str(3)],
        symlinkat => &[Str(0), Str(2)],
        utime => &[Str(0), In(1, Fixed(16))],
        utimes => &[Str(0), In(1, Fixed(2 * TIMEVAL))],
        name_to_handle_at => &[Str(1), Out(2, FileHandle(2)), Out(3, Fixed(4))],
        open_by_handle_at => &[In(1, FileHandle(1))],
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
        recvmsg => &[Msg { i: 1, vlen: None, write: true }],
        recvmmsg => &[Msg { i: 1, vlen: Some(2), write: true }, In(4, Fixed(TIMESPEC))],
        sendmsg => &[Msg { i: 1, vlen: None, write: false }],
        sendmmsg => &[Msg { i: 1, vlen: Some(2), write: false }],
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
        process_vm_readv => {
            &[Iov { i: 1, n: 2, write: true }, RemoteIov { pid: 0, i: 3, n: 4, write: false }]
        }
        process_vm_writev => {
            &[Iov { i: 1, n: 2, write: false }, RemoteIov { pid: 0, i: 3, n: 4, write: true }]
        }
        // The iovecs name ranges of the other process: only the array is ours.
        process_madvise => &[In(1, ArgTimes(2, 16))],
        // Reads the buffers into a pipe, writes them out of one: the direction is the
        // descriptor's, so only mapped guest memory is asked for.
        vmsplice => &[Iov { i: 1, n: 2, write: false }],
        setsockopt => &[In(3, ArgUpTo(4, i32::MAX as u64))],
        capset => &[In(0, Fixed(8)), In(1, CapData(0))],
        semop => &[In(1, ArgTimes(2, SEMBUF))],
        semtimedop => &[In(1, ArgTimes(2, SEMBUF)), In(3, Fixed(TIMESPEC))],
        rt_sigsuspend => &[In(0, ArgUpTo(1, SIGSET))],
        signalfd | signalfd4 => &[In(1, ArgUpTo(2, SIGSET))],
        rt_sigqueueinfo | pidfd_send_signal => &[In(2, Fixed(SIGINFO))],
        rt_tgsigqueueinfo => &[In(3, Fixed(SIGINFO))],
        // struct utsname: six fields of 65 bytes (emulated: the host writes it first).
        uname => &[Out(0, Fixed(390))],
        // __NEW_UTS_LEN: a longer name is EINVAL.
        sethostname | setdomainname => &[In(0, ArgUpTo(1, 64))],
        // SYSLOG_ACTION_READ, _READ_ALL, _READ_CLEAR write the buffer.
        syslog => &[If { arg: 0, mask: INT, ops: &[2, 3, 4], then: &Out(1, ArgUpTo(2, i32::MAX as u64)) }],
        mincore => &[Out(2, Pages(1))],
        time => &[Out(0, Fixed(8))],
        sched_setparam => &[In(1, Fixed(4))],
        sched_setscheduler => &[In(2, Fixed(4))],
        // struct sched_attr: as long as its own first word says (SCHED_ATTR_SIZE_VER0: 48).
        sched_setattr => &[In(1, SizeField { arg: 1, at: 0, zero: 48 })],
        // struct perf_event_attr's size is its second word (PERF_ATTR_SIZE_VER0: 64).
        perf_event_open => &[In(0, SizeField { arg: 0, at: 4, zero: 64 })],
        // By operation: JOIN_SESSION_KEYRING, SEARCH, RESTRICT_KEYRING name keys and
        // keyrings; UPDATE, INSTANTIATE and INSTANTIATE_IOV read a payload; DESCRIBE, READ,
        // GET_SECURITY and CAPABILITIES write a buffer. DH_COMPUTE reads struct
        // keyctl_dh_params (three key ids), writes the buffer and reads the optional struct
        // keyctl_kdf_params (56 bytes): its hash name and its otherinfo (at most
        // KEYCTL_KDF_MAX_OI_LEN, 64: EMSGSIZE). PKEY_QUERY reads the info string and writes
        // struct keyctl_pkey_query (56). PKEY_ENCRYPT, _DECRYPT, _SIGN and _VERIFY read struct
        // keyctl_pkey_params (40) and the info string, then in_len bytes (at byte 4), and
        // write out_len (at byte 8) bytes, or for VERIFY read in2_len there.
        keyctl => &[
            If { arg: 0, mask: INT, ops: &[23], then: &In(1, Fixed(12)) },
            If { arg: 0, mask: INT, ops: &[23], then: &Out(2, Arg(3)) },
            If {
                arg: 0,
                mask: INT,
                ops: &[23],
                then: &Struct { i: 4, n: None, size: 56, fields: &[Str(0), In(1, ArgUpTo(2, 64))] },
            },
            If { arg: 0, mask: INT, ops: &[24], then: &Str(3) },
            If { arg: 0, mask: INT, ops: &[24], then: &Out(4, Fixed(56)) },
            If { arg: 0, mask: INT, ops: &[25, 26, 27, 28], then: &In(1, Fixed(40)) },
            If { arg: 0, mask: INT, ops: &[25, 26, 27, 28], then: &Str(2) },
            If { arg: 0, mask: INT, ops: &[25, 26, 27, 28], then: &In(3, Field { arg: 1, at: 4 }) },
            If { arg: 0, mask: INT, ops: &[25, 26, 27], then: &Out(4, Field { arg: 1, at: 8 }) },
            If { arg: 0, mask: INT, ops: &[28], then: &In(4, Field { arg: 1, at: 8 }) },
            If { arg: 0, mask: INT, ops: &[1], then: &Str(1) },
            If { arg: 0, mask: INT, ops: &[10, 29], then: &Str(2) },
            If { arg: 0, mask: INT, ops: &[10, 29], then: &Str(3) },
            If { arg: 0, mask: INT, ops: &[2, 12], then: &In(2, Arg(3)) },
            If { arg: 0, mask: INT, ops: &[20], then: &Iov { i: 2, n: 3, write: false } },
            If { arg: 0, mask: INT, ops: &[6, 11, 17], then: &Out(2, Arg(3)) },
            If { arg: 0, mask: INT, ops: &[31], then: &Out(1, Arg(2)) },
        ],
        // (mount's data: the kernel copies what it can of a page, so only its start.)
        mount => &[Str(0), Str(1), Str(2), In(4, Fixed(1))],
        umount2 | swapon | fsopen | delete_module | memfd_create => &[Str(0)],
        // With sigev_notify (the high half of struct sigevent's second word) SIGEV_THREAD (2),
        // the kernel reads a 32-byte cookie at sigev_value.
        mq_notify => &[Struct {
            i: 1,
            n: None,
            size: SIGEVENT,
            fields: &[If { arg: 1, mask: INT << 32, ops: &[2 << 32], then: &In(0, Fixed(32)) }],
        }],
        // The kernel reads the context id (which must be 0) and writes the new one.
        io_setup => &[Out(1, Fixed(8))],
        io_submit => &[Aio { i: 2, n: 1 }],
        // The iocb's aio_key is read (the result argument is unused).
        io_cancel => &[In(1, Fixed(IOCB))],
        init_module => &[In(0, Arg(1)), Str(2)],
        finit_module => &[Str(1)],
        // LINUX_REBOOT_CMD_RESTART2's command string.
        reboot => &[If { arg: 2, mask: INT, ops: &[0xa1b2_c3d4], then: &Str(3) }],
        kexec_file_load => &[In(3, Arg(2))],
        add_key => &[Str(0), Str(1), In(2, Arg(3))],
        request_key => &[Str(0), Str(1), Str(2)],
        mbind => &[In(3, NodeMask(4))],
        set_mempolicy => &[In(1, NodeMask(2))],
        get_mempolicy => &[Out(0, Fixed(4)), Out(1, NodeMask(2))],
        migrate_pages => &[In(2, NodeMask(1)), In(3, NodeMask(1))],
        move_pages => &[In(2, ArgTimes(1, 8)), In(3, ArgTimes(1, 4)), Out(4, ArgTimes(1, 4))],
        fanotify_mark => &[Str(4)],
        move_mount => &[Str(1), Str(3)],
        // FSCONFIG_SET_STRING, _SET_PATH, _SET_PATH_EMPTY: a string; _SET_BINARY: bytes.
        fsconfig => &[
            Str(2),
            If { arg: 1, mask: INT, ops: &[1, 3, 4], then: &Str(3) },
            If { arg: 1, mask: INT, ops: &[2], then: &In(3, Arg(4)) },
        ],
        mount_setattr => &[Str(1), In(3, ArgUpTo(4, PAGE))],
        landlock_create_ruleset => &[In(0, ArgUpTo(1, PAGE))],
        // struct landlock_path_beneath_attr (packed, 12 bytes), landlock_net_port_attr (16).
        landlock_add_rule => &[
            If { arg: 1, mask: INT, ops: &[1], then: &In(2, Fixed(12)) },
            If { arg: 1, mask: INT, ops: &[2], then: &In(2, Fixed(16)) },
        ],
        // KCMP_EPOLL_TFD's struct kcmp_epoll_slot.
        kcmp => &[If { arg: 2, mask: INT, ops: &[7], then: &In(4, Fixed(12)) }],
        // struct flock (32 bytes) for F_GETLK, F_SETLK, F_SETLKW and the OFD ones; struct
        // f_owner_ex (8) for F_SETOWN_EX, F_GETOWN_EX; a u64 for F_GET_RW_HINT, F_SET_RW_HINT.
        fcntl => &[
            If { arg: 1, mask: INT, ops: &[5, 36], then: &Out(2, Fixed(FLOCK)) },
            If { arg: 1, mask: INT, ops: &[6, 7, 37, 38], then: &In(2, Fixed(FLOCK)) },
            If { arg: 1, mask: INT, ops: &[16, 1035], then: &Out(2, Fixed(8)) },
            If { arg: 1, mask: INT, ops: &[15, 1036], then: &In(2, Fixed(8)) },
        ],
        // PR_SET_NAME reads a name, PR_GET_NAME writes 16 bytes; PR_GET_PDEATHSIG and
        // PR_GET_CHILD_SUBREAPER write an int, PR_GET_TID_ADDRESS a pointer. (The other
        // PR_GET_* with an int pointer are EINVAL on one of the two hosts; PR_SET_MM,
        // PR_SET_SECCOMP and PR_SET_SYSCALL_USER_DISPATCH are refused: `treatment::REFUSED_OPS`.)
        prctl => &[
            If { arg: 0, mask: INT, ops: &[15], then: &Str(1) },
            If { arg: 0, mask: INT, ops: &[16], then: &Out(1, Fixed(16)) },
            If { arg: 0, mask: INT, ops: &[2, 37], then: &Out(1, Fixed(4)) },
            If { arg: 0, mask: INT, ops: &[40], then: &Out(1, Fixed(8)) },
            // PR_SET_VMA with PR_SET_VMA_ANON_NAME: the name.
            If {
                arg: 0,
                mask: INT,
                ops: &[0x5356_4d41],
                then: &If { arg: 1, mask: !0, ops: &[0], then: &Str(4) },
            },
        ],
        mq_getsetattr => &[In(1, Fixed(MQ_ATTR)), Out(2, Fixed(MQ_ATTR))],
        msgctl => &[Out(2, IpcCtl(1, Ipc::Msg))],
        shmctl => &[Out(2, IpcCtl(1, Ipc::Shm))],
        semctl => &[Out(3, IpcCtl(2, Ipc::Sem))],
        // (The kernel writes the header's version back when it does not know the guest's.)
        capget => &[Out(0, Fixed(8)), Out(1, CapData(0))],
        io_getevents => &[Out(3, ArgTimes(2, IO_EVENT)), In(4, Fixed(TIMESPEC))],
        io_pgetevents => &[Out(3, ArgTimes(2, IO_EVENT)), In(4, Fixed(TIMESPEC)), In(5, Fixed(16))],
        // The device, then by command (those of [`QUOTA_CMDS`]; the others are refused).
        quotactl => &QUOTACTL,
        quotactl_fd => &QUOTACTL_FD,
        // The advice that discards or changes memory (MADV_DONTNEED, _FREE, _REMOVE,
        // _DONTFORK, _WIPEONFORK, _HWPOISON, _SOFT_OFFLINE, _DONTNEED_LOCKED, _GUARD_INSTALL)
        // must not reach xlate's own; the others only hint.
        madvise => {
            &[If { arg: 2, mask: INT, ops: &[4, 8, 9, 10, 18, 24, 100, 101, 102], then: &Range(0, 1) }]
        }
        adjtimex => &[Out(0, Fixed(TIMEX))],
        clock_adjtime => &[Out(1, Fixed(TIMEX))],
        _ => &[],
    }
}

/// QCMD's command part of a quotactl command argument (the low byte is the quota type).
pub const QUOTA_CMD: u64 = INT & !0xff;

/// The quotactl commands xlate describes (QCMD's command, shifted by 8: Q_SYNC, Q_QUOTAON,
/// Q_QUOTAOFF, Q_GETFMT, Q_GETINFO, Q_SETINFO, Q_GETQUOTA, Q_SETQUOTA, Q_GETNEXTQUOTA, then
/// XFS's Q_XQUOTAON to Q_XGETNEXTQUOTA); `treatment::REFUSED_OPS` refuses the others.
pub const QUOTA_CMDS: &[u64] = &[
    Q_SYNC,
    Q_QUOTAON,
    Q_QUOTAOFF,
    Q_GETFMT,
    Q_GETINFO,
    Q_SETINFO,
    Q_GETQUOTA,
    Q_SETQUOTA,
    Q_GETNEXTQUOTA,
    Q_XQUOTAON,
    Q_XQUOTAOFF,
    Q_XGETQUOTA,
    Q_XSETQLIM,
    Q_XGETQSTAT,
    Q_XQUOTARM,
    Q_XQUOTASYNC,
    Q_XGETQSTATV,
    Q_XGETNEXTQUOTA,
];
const Q_SYNC: u64 = 0x80_0001 << 8;
const Q_QUOTAON: u64 = 0x80_0002 << 8;
const Q_QUOTAOFF: u64 = 0x80_0003 << 8;
const Q_GETFMT: u64 = 0x80_0004 << 8;
const Q_GETINFO: u64 = 0x80_0005 << 8;
const Q_SETINFO: u64 = 0x80_0006 << 8;
const Q_GETQUOTA: u64 = 0x80_0007 << 8;
const Q_SETQUOTA: u64 = 0x80_0008 << 8;
const Q_GETNEXTQUOTA: u64 = 0x80_0009 << 8;
const Q_XQUOTAON: u64 = 0x5801 << 8;
const Q_XQUOTAOFF: u64 = 0x5802 << 8;
const Q_XGETQUOTA: u64 = 0x5803 << 8;
const Q_XSETQLIM: u64 = 0x5804 << 8;
const Q_XGETQSTAT: u64 = 0x5805 << 8;
const Q_XQUOTARM: u64 = 0x5806 << 8;
const Q_XQUOTASYNC: u64 = 0x5807 << 8;
const Q_XGETQSTATV: u64 = 0x5808 << 8;
const Q_XGETNEXTQUOTA: u64 = 0x5809 << 8;

/// What quotactl's (command at argument `cmd`) and quotactl_fd's address (argument 3) covers,
/// by command: struct if_dqblk and if_nextdqblk (72 bytes), if_dqinfo (24), the format (a
/// u32), XFS's struct fs_disk_quota (112), fs_quota_stat (80), fs_quota_statv (160, whose
/// version the kernel reads first), and the flags of Q_XQUOTAON, _OFF and _RM (a u32).
/// Q_SYNC, Q_QUOTAOFF and Q_XQUOTASYNC take none; quotactl's Q_QUOTAON a path (quotactl_fd's
/// none: the kernel refuses Q_QUOTAON there without reading one).
const fn quota(cmd: usize, path: &'static [u64]) -> [Ptr; 11] {
    const fn on(cmd: usize, ops: &'static [u64], then: &'static Ptr) -> Ptr {
        If { arg: cmd, mask: QUOTA_CMD, ops, then }
    }
    [
        on(cmd, &[Q_GETQUOTA, Q_GETNEXTQUOTA], &Out(3, Fixed(72))),
        on(cmd, &[Q_SETQUOTA], &In(3, Fixed(72))),
        on(cmd, &[Q_GETINFO], &Out(3, Fixed(24))),
        on(cmd, &[Q_SETINFO], &In(3, Fixed(24))),
        on(cmd, &[Q_GETFMT], &Out(3, Fixed(4))),
        on(cmd, &[Q_XQUOTAON, Q_XQUOTAOFF, Q_XQUOTARM], &In(3, Fixed(4))),
        on(cmd, &[Q_XGETQUOTA, Q_XGETNEXTQUOTA], &Out(3, Fixed(112))),
        on(cmd, &[Q_XSETQLIM], &In(3, Fixed(112))),
        on(cmd, &[Q_XGETQSTAT], &Out(3, Fixed(80))),
        on(cmd, &[Q_XGETQSTATV], &Out(3, Fixed(160))),
        on(cmd, path, &Str(3)),
    ]
}
static QUOTACTL_FD: [Ptr; 11] = quota(1, &[]);
static QUOTACTL: [Ptr; 12] = {
    let q = quota(0, &[Q_QUOTAON]);
    [Str(1), q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], q[9], q[10]]
};

/// The forwarded calls without a pointer argument the kernel reads or writes (from the
/// kernel's prototypes). msync, mlock, munlock, mlock2 and set_mempolicy_home_node take an
/// address range of mappings, not memory the kernel copies, nor change its contents;
/// io_destroy's context is an id.
#[rustfmt::skip]
pub const NO_POINTERS: &[Sysno] = {
    use Sysno::*;
    &[
        close, lseek, sched_yield, msync, shmget, dup, dup2, pause, alarm, getpid, socket,
        shutdown, listen, kill, semget, msgget, flock, fsync, fdatasync, ftruncate, fchdir, fchmod,
        fchown, umask, getuid, getgid, setuid, setgid, geteuid, getegid, setpgid, getppid, getpgrp,
        setsid, setreuid, setregid, setresuid, setresgid, getpgid, setfsuid, setfsgid, getsid,
        personality, getpriority, setpriority, sched_getscheduler, sched_get_priority_max,
        sched_get_priority_min, mlock, munlock, mlockall, munlockall, vhangup, sync, gettid,
        readahead, fadvise64, tkill, io_destroy, epoll_create, timer_getoverrun, timer_delete, tgkill,
        ioprio_set, ioprio_get, inotify_init, inotify_rm_watch, unshare, tee, sync_file_range,
        timerfd_create, eventfd, fallocate, eventfd2, epoll_create1, dup3, inotify_init1, syncfs,
        setns, userfaultfd, membarrier, mlock2, fsmount, pidfd_open, close_range, pidfd_getfd,
        landlock_restrict_self, memfd_secret, process_mrelease, set_mempolicy_home_node,
    ]
};

/// Calls with pointer arguments [`pointers`] does not (fully) describe, and why: those
/// pointers reach the host unchecked. (None now: what could not be described is refused,
/// `treatment`: bpf, kexec_load, and prctl's PR_SET_MM, PR_SET_SECCOMP and
/// PR_SET_SYSCALL_USER_DISPATCH.)
pub const UNDESCRIBED: &[(Sysno, &str)] = &[];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syscall::abi::{aarch64, x86_64};
    use crate::syscall::treatment::{treatment, Treatment};

    /// A forwarded call reaches the host with the guest's pointers: each must be described,
    /// or listed as having none, or listed with the reason it is not described.
    #[test]
    fn every_forwarded_call_with_a_pointer_is_described() {
        let mut bad = Vec::new();
        for table in [&x86_64::TABLE, &aarch64::TABLE] {
            for &(_, sys) in table.entries() {
                let listed = NO_POINTERS.contains(&sys) || UNDESCRIBED.iter().any(|&(s, _)| s == sys);
                if treatment(sys) == Treatment::Forwarded && pointers(sys).is_empty() && !listed {
                    bad.push(sys.name());
                }
            }
        }
        assert!(bad.is_empty(), "forwarded, not described and not listed: {bad:?}");
    }

    /// The list of calls without pointers holds only forwarded calls that describe none.
    #[test]
    fn no_call_without_pointers_describes_one() {
        for &sys in NO_POINTERS {
            assert!(pointers(sys).is_empty(), "{}", sys.name());
            assert_eq!(treatment(sys), Treatment::Forwarded, "{}", sys.name());
        }
    }
}
