//! `--strace`: one line per guest syscall on stderr in qemu-user's `-strace` format, which
//! users of qemu know:
//!
//! ```text
//! 7549 openat(AT_FDCWD,"/nonexist",O_RDONLY) = -1 errno=2 (No such file or directory)
//! 7549 brk(NULL) = 0x0000000000498000
//! 7549 exit_group(3)
//! 7549 Unknown syscall 999
//! ```
//!
//! As in qemu, the call is printed before it runs and its result after, so a blocking call
//! shows up while it blocks. Arguments are shown as the guest passed them, in the guest's
//! encodings (its open flags), with path strings read from guest memory.

use super::abi::AbiInfo;
use super::convert::OpenFlagBits;
use super::memory::{read_cstr, GuestMm};
use super::{Action, Sysno};
use std::io::Write;

/// How one argument is shown.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Arg {
    /// Signed decimal (int-sized: fds, counts, flags that qemu prints in decimal).
    Dec,
    /// `0x` hex without padding (qemu's `%#x` of plain arguments: `0` stays `0`).
    Hex,
    /// A pointer: `NULL`, or `0x` and 16 hex digits (qemu's print_pointer).
    Ptr,
    /// A NUL-terminated path in guest memory, quoted.
    Str,
    /// A directory fd: `AT_FDCWD` or decimal.
    DirFd,
    /// Open flags, symbolic, in the guest's encoding.
    OpenFlags,
    /// The mode of open/openat: octal, shown only when the flags create a file.
    OpenMode,
    /// A file mode, octal.
    Mode,
    /// PROT_* bits.
    Prot,
    /// MAP_* bits.
    MapFlags,
    /// A signal number: `SIGINT`.
    Signal,
    /// An RLIMIT_* resource.
    Resource,
    /// SIG_BLOCK / SIG_UNBLOCK / SIG_SETMASK.
    How,
    /// A clock id: `CLOCK_MONOTONIC`.
    Clock,
    /// lseek's whence: `SEEK_SET`.
    Whence,
    /// An fcntl command: `F_GETFL`.
    FcntlCmd,
    /// access mode bits: `R_OK|W_OK`, `F_OK`.
    AccessMode,
    /// unlinkat's flags: `AT_REMOVEDIR`.
    UnlinkFlags,
    /// A prctl option: `PR_SET_NAME`, else decimal.
    PrctlOption,
    /// An ioctl request: its name for the common terminal and file requests (the same numbers
    /// on x86-64 and asm-generic), else hex.
    IoctlRequest,
}

use Arg::*;

/// The arguments of each call, as shown; calls not listed show six hex arguments.
fn shape(sys: Sysno) -> &'static [Arg] {
    use Sysno::*;
    match sys {
        read | write => &[Dec, Hex, Dec],
        pread64 | pwrite64 => &[Dec, Ptr, Dec, Dec],
        truncate => &[Str, Dec],
        ftruncate => &[Dec, Dec],
        readv | writev => &[Dec, Ptr, Dec],
        open => &[Str, OpenFlags, OpenMode],
        openat => &[DirFd, Str, OpenFlags, OpenMode],
        creat => &[Str, Mode],
        close | dup | fsync | fdatasync | fchdir | exit | exit_group | umask => &[Dec],
        dup2 => &[Dec, Dec],
        dup3 => &[Dec, Dec, Dec],
        stat | lstat => &[Str, Ptr],
        fstat => &[Dec, Ptr],
        newfstatat => &[DirFd, Str, Ptr, Hex],
        statx => &[DirFd, Str, Hex, Hex, Ptr],
        lseek => &[Dec, Dec, Whence],
        mmap => &[Ptr, Dec, Prot, MapFlags, Dec, Hex],
        mprotect => &[Ptr, Dec, Prot],
        munmap => &[Ptr, Dec],
        mremap => &[Ptr, Dec, Dec, Hex, Ptr],
        madvise => &[Ptr, Dec, Dec],
        brk => &[Ptr],
        rt_sigaction => &[Signal, Ptr, Ptr],
        rt_sigprocmask => &[How, Ptr, Ptr],
        sigaltstack => &[Ptr, Ptr],
        ioctl => &[Dec, IoctlRequest, Ptr],
        fcntl => &[Dec, FcntlCmd, Dec],
        access => &[Str, AccessMode],
        faccessat | faccessat2 => &[DirFd, Str, AccessMode, Hex],
        pipe => &[Ptr],
        pipe2 => &[Hex, Dec],
        getpid | getppid | gettid | getuid | geteuid | getgid | getegid | getpgrp | setsid | sched_yield
        | pause | fork | vfork | sync => &[],
        kill => &[Dec, Signal],
        tkill => &[Dec, Signal],
        tgkill => &[Dec, Dec, Signal],
        uname | sysinfo | times | time => &[Ptr],
        getcwd => &[Hex, Dec],
        chdir | rmdir | unlink => &[Str],
        unlinkat => &[DirFd, Str, UnlinkFlags],
        mkdir | chmod => &[Str, Mode],
        mkdirat | fchmodat => &[DirFd, Str, Mode],
        rename | link | symlink => &[Str, Str],
        renameat => &[DirFd, Str, DirFd, Str],
        renameat2 => &[DirFd, Str, DirFd, Str, Hex],
        readlink => &[Str, Ptr, Dec],
        readlinkat => &[DirFd, Str, Ptr, Dec],
        getdents | getdents64 => &[Dec, Ptr, Dec],
        arch_prctl => &[Hex, Hex],
        prctl => &[PrctlOption, Hex, Hex, Hex, Hex],
        set_tid_address => &[Hex],
        set_robust_list => &[Hex, Dec],
        prlimit64 => &[Dec, Resource, Ptr, Ptr],
        getrlimit | setrlimit => &[Resource, Ptr],
        getrandom => &[Hex, Dec, Dec],
        clock_gettime | clock_getres => &[Clock, Ptr],
        gettimeofday => &[Ptr, Ptr],
        nanosleep => &[Ptr, Ptr],
        clock_nanosleep => &[Clock, Dec, Ptr, Ptr],
        futex => &[Hex, Dec, Dec, Hex, Hex, Dec],
        rseq => &[Hex, Dec, Dec, Hex],
        wait4 => &[Dec, Ptr, Hex, Ptr],
        execve => &[Str, Ptr, Ptr],
        clone => &[Hex, Ptr, Ptr, Ptr, Ptr],
        clone3 => &[Ptr, Dec],
        poll => &[Ptr, Dec, Dec],
        ppoll => &[Ptr, Dec, Ptr, Ptr, Dec],
        sched_getaffinity | sched_setaffinity => &[Dec, Dec, Ptr],
        alarm => &[Dec],
        _ => &[Hex, Hex, Hex, Hex, Hex, Hex],
    }
}

const SIGNALS: [&str; 31] = [
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

const RESOURCES: [&str; 16] = [
    "RLIMIT_CPU",
    "RLIMIT_FSIZE",
    "RLIMIT_DATA",
    "RLIMIT_STACK",
    "RLIMIT_CORE",
    "RLIMIT_RSS",
    "RLIMIT_NPROC",
    "RLIMIT_NOFILE",
    "RLIMIT_MEMLOCK",
    "RLIMIT_AS",
    "RLIMIT_LOCKS",
    "RLIMIT_SIGPENDING",
    "RLIMIT_MSGQUEUE",
    "RLIMIT_NICE",
    "RLIMIT_RTPRIO",
    "RLIMIT_RTTIME",
];

const CLOCKS: [&str; 8] = [
    "CLOCK_REALTIME",
    "CLOCK_MONOTONIC",
    "CLOCK_PROCESS_CPUTIME_ID",
    "CLOCK_THREAD_CPUTIME_ID",
    "CLOCK_MONOTONIC_RAW",
    "CLOCK_REALTIME_COARSE",
    "CLOCK_MONOTONIC_COARSE",
    "CLOCK_BOOTTIME",
];

/// asm-generic/fcntl.h and linux/fcntl.h (the same on x86-64).
const FCNTL_CMDS: [(u32, &str); 11] = [
    (0, "F_DUPFD"),
    (1, "F_GETFD"),
    (2, "F_SETFD"),
    (3, "F_GETFL"),
    (4, "F_SETFL"),
    (5, "F_GETLK"),
    (6, "F_SETLK"),
    (7, "F_SETLKW"),
    (1030, "F_DUPFD_CLOEXEC"),
    (1033, "F_ADD_SEALS"),
    (1034, "F_GET_SEALS"),
];

/// linux/prctl.h's options (the same numbers on every architecture).
const PRCTL_OPTIONS: [(u32, &str); 51] = [
    (1, "PR_SET_PDEATHSIG"),
    (2, "PR_GET_PDEATHSIG"),
    (3, "PR_GET_DUMPABLE"),
    (4, "PR_SET_DUMPABLE"),
    (5, "PR_GET_UNALIGN"),
    (6, "PR_SET_UNALIGN"),
    (7, "PR_GET_KEEPCAPS"),
    (8, "PR_SET_KEEPCAPS"),
    (9, "PR_GET_FPEMU"),
    (10, "PR_SET_FPEMU"),
    (11, "PR_GET_FPEXC"),
    (12, "PR_SET_FPEXC"),
    (13, "PR_GET_TIMING"),
    (14, "PR_SET_TIMING"),
    (15, "PR_SET_NAME"),
    (16, "PR_GET_NAME"),
    (19, "PR_GET_ENDIAN"),
    (20, "PR_SET_ENDIAN"),
    (21, "PR_GET_SECCOMP"),
    (22, "PR_SET_SECCOMP"),
    (23, "PR_CAPBSET_READ"),
    (24, "PR_CAPBSET_DROP"),
    (25, "PR_GET_TSC"),
    (26, "PR_SET_TSC"),
    (27, "PR_GET_SECUREBITS"),
    (28, "PR_SET_SECUREBITS"),
    (29, "PR_SET_TIMERSLACK"),
    (30, "PR_GET_TIMERSLACK"),
    (35, "PR_SET_MM"),
    (36, "PR_SET_CHILD_SUBREAPER"),
    (37, "PR_GET_CHILD_SUBREAPER"),
    (38, "PR_SET_NO_NEW_PRIVS"),
    (39, "PR_GET_NO_NEW_PRIVS"),
    (40, "PR_GET_TID_ADDRESS"),
    (41, "PR_SET_THP_DISABLE"),
    (42, "PR_GET_THP_DISABLE"),
    (45, "PR_SET_FP_MODE"),
    (46, "PR_GET_FP_MODE"),
    (47, "PR_CAP_AMBIENT"),
    (50, "PR_SVE_SET_VL"),
    (51, "PR_SVE_GET_VL"),
    (52, "PR_GET_SPECULATION_CTRL"),
    (53, "PR_SET_SPECULATION_CTRL"),
    (54, "PR_PAC_RESET_KEYS"),
    (55, "PR_SET_TAGGED_ADDR_CTRL"),
    (56, "PR_GET_TAGGED_ADDR_CTRL"),
    (57, "PR_SET_IO_FLUSHER"),
    (58, "PR_GET_IO_FLUSHER"),
    (59, "PR_SET_SYSCALL_USER_DISPATCH"),
    (0x5356_4d41, "PR_SET_VMA"),
    (0x5961_6d61, "PR_SET_PTRACER"),
];

/// asm-generic/ioctls.h, which x86-64 uses too.
const IOCTLS: [(u32, &str); 14] = [
    (0x5401, "TCGETS"),
    (0x5402, "TCSETS"),
    (0x5403, "TCSETSW"),
    (0x5404, "TCSETSF"),
    (0x540b, "TCFLSH"),
    (0x540e, "TIOCSCTTY"),
    (0x540f, "TIOCGPGRP"),
    (0x5410, "TIOCSPGRP"),
    (0x5413, "TIOCGWINSZ"),
    (0x5414, "TIOCSWINSZ"),
    (0x541b, "FIONREAD"),
    (0x5421, "FIONBIO"),
    (0x5450, "FIONCLEX"),
    (0x5451, "FIOCLEX"),
];

/// `NAME|NAME|0x<rest>` for the bits of `v` named in `names`; `zero` when `v` is 0.
fn bit_names(v: u64, names: &[(u64, &str)], zero: &str) -> String {
    if v == 0 {
        return zero.to_string();
    }
    let mut parts = Vec::new();
    let mut rest = v;
    for &(bit, name) in names {
        if bit != 0 && rest & bit == bit {
            parts.push(name.to_string());
            rest &= !bit;
        }
    }
    if rest != 0 {
        parts.push(format!("{rest:#x}"));
    }
    parts.join("|")
}

fn open_flags(v: u64, bits: &OpenFlagBits) -> String {
    let acc = match v & 3 {
        0 => "O_RDONLY",
        1 => "O_WRONLY",
        2 => "O_RDWR",
        _ => "O_ACCMODE",
    };
    // qemu's order (O_SYNC shows as O_DSYNC|__O_SYNC, O_TMPFILE as O_DIRECTORY|__O_TMPFILE).
    let names: [(u64, &str); 16] = [
        (0o2000, "O_APPEND"),
        (0o100, "O_CREAT"),
        (bits.directory as u64, "O_DIRECTORY"),
        (0o200, "O_EXCL"),
        (bits.largefile as u64, "O_LARGEFILE"),
        (0o400, "O_NOCTTY"),
        (bits.nofollow as u64, "O_NOFOLLOW"),
        (0o4000, "O_NONBLOCK"),
        (0o10000, "O_DSYNC"),
        (0o4000000, "__O_SYNC"),
        (0o1000, "O_TRUNC"),
        (bits.direct as u64, "O_DIRECT"),
        (0o1000000, "O_NOATIME"),
        (0o2000000, "O_CLOEXEC"),
        (0o10000000, "O_PATH"),
        (0o20000000, "__O_TMPFILE"),
    ];
    let rest = v & !3;
    if rest == 0 {
        acc.to_string()
    } else {
        format!("{acc}|{}", bit_names(rest, &names, ""))
    }
}

/// A path from guest memory, quoted; a pointer if it cannot be read.
fn string_arg(mem: &dyn GuestMm, addr: u64) -> String {
    if addr == 0 {
        return "NULL".into();
    }
    match read_cstr(mem, addr, 4096) {
        Ok(bytes) => {
            let mut s = String::from("\"");
            for c in String::from_utf8_lossy(&bytes).chars() {
                match c {
                    '"' => s.push_str("\\\""),
                    '\\' => s.push_str("\\\\"),
                    '\n' => s.push_str("\\n"),
                    c if (c as u32) < 0x20 => s.push_str(&format!("\\{:03o}", c as u32)),
                    c => s.push(c),
                }
            }
            s.push('"');
            s
        }
        Err(_) => format!("{addr:#x}"),
    }
}

fn format_arg(kind: Arg, v: u64, abi: &AbiInfo, mem: &dyn GuestMm) -> String {
    match kind {
        Dec => (v as i64 as i32 as i64).to_string(),
        // C's `%#x` and `%#o` print zero without a prefix.
        Hex | OpenMode | Mode if v == 0 => "0".into(),
        Hex => format!("{v:#x}"),
        Ptr if v == 0 => "NULL".into(),
        Ptr => format!("0x{v:016x}"),
        Str => string_arg(mem, v),
        DirFd if v as i32 == libc::AT_FDCWD => "AT_FDCWD".into(),
        DirFd => (v as i32).to_string(),
        OpenFlags => open_flags(v, &abi.open_flags),
        OpenMode | Mode => format!("0{v:o}"),
        // qemu's order.
        Prot => bit_names(v, &[(4, "PROT_EXEC"), (1, "PROT_READ"), (2, "PROT_WRITE")], "PROT_NONE"),
        MapFlags => {
            let kind = match v & 0xf {
                1 => "MAP_SHARED",
                2 => "MAP_PRIVATE",
                3 => "MAP_SHARED_VALIDATE",
                _ => "",
            };
            // qemu's (alphabetical) order.
            let names = [
                (0x20, "MAP_ANONYMOUS"),
                (0x800, "MAP_DENYWRITE"),
                (0x1000, "MAP_EXECUTABLE"),
                (0x10, "MAP_FIXED"),
                (0x100000, "MAP_FIXED_NOREPLACE"),
                (0x100, "MAP_GROWSDOWN"),
                (0x40000, "MAP_HUGETLB"),
                (0x2000, "MAP_LOCKED"),
                (0x10000, "MAP_NONBLOCK"),
                (0x4000, "MAP_NORESERVE"),
                (0x8000, "MAP_POPULATE"),
                (0x20000, "MAP_STACK"),
            ];
            let rest = bit_names(v & !0xf, &names, "");
            match (kind, rest.is_empty()) {
                ("", _) => format!("{v:#x}"),
                (k, true) => k.to_string(),
                (k, false) => format!("{k}|{rest}"),
            }
        }
        Signal => match (v as i32).checked_sub(1).and_then(|i| SIGNALS.get(i as usize)) {
            Some(name) => name.to_string(),
            None => (v as i32).to_string(),
        },
        Resource => match RESOURCES.get(v as usize) {
            Some(name) => name.to_string(),
            None => (v as i32).to_string(),
        },
        Clock => match CLOCKS.get(v as usize) {
            Some(name) => name.to_string(),
            None => (v as i32).to_string(),
        },
        Whence => match ["SEEK_SET", "SEEK_CUR", "SEEK_END", "SEEK_DATA", "SEEK_HOLE"].get(v as usize) {
            Some(name) => name.to_string(),
            None => format!("{v:#x}"),
        },
        FcntlCmd => match FCNTL_CMDS.iter().find(|&&(c, _)| c == v as u32) {
            Some((_, name)) => name.to_string(),
            None => (v as i32).to_string(),
        },
        AccessMode => bit_names(v, &[(4, "R_OK"), (2, "W_OK"), (1, "X_OK")], "F_OK"),
        UnlinkFlags => bit_names(v, &[(0x200, "AT_REMOVEDIR")], "0"),
        PrctlOption => match PRCTL_OPTIONS.iter().find(|&&(o, _)| o == v as u32) {
            Some((_, name)) => name.to_string(),
            None => (v as i32).to_string(),
        },
        IoctlRequest => match IOCTLS.iter().find(|&&(nr, _)| nr == v as u32) {
            Some((_, name)) => name.to_string(),
            None => format!("{:#x}", v as u32),
        },
        How => match v as i32 {
            libc::SIG_BLOCK => "SIG_BLOCK".into(),
            libc::SIG_UNBLOCK => "SIG_UNBLOCK".into(),
            libc::SIG_SETMASK => "SIG_SETMASK".into(),
            other => other.to_string(),
        },
    }
}

/// `name(args)` as qemu prints it (without pid or result).
pub fn format_call(sys: Sysno, args: &[u64; 6], abi: &AbiInfo, mem: &dyn GuestMm) -> String {
    let shape = shape(sys);
    // open's and openat's mode is shown only when the flags create a file.
    let flags = match sys {
        Sysno::open => args[1],
        Sysno::openat => args[2],
        _ => 0,
    };
    // qemu shows the mode for O_CREAT only.
    let creates = flags & 0o100 != 0;
    // fcntl's commands without an argument (F_GETFD, F_GETFL, F_GET_SEALS) show none.
    let shown = match (sys, args[1]) {
        (Sysno::fcntl, 1 | 3 | 1034) => 2,
        _ => shape.len(),
    };
    let parts: Vec<String> = shape[..shown]
        .iter()
        .zip(args)
        .filter(|(&kind, _)| kind != OpenMode || creates)
        .map(|(&kind, &v)| format_arg(kind, v, abi, mem))
        .collect();
    format!("{}({})", sys.name(), parts.join(","))
}

/// ` = result` as qemu prints it: errors as `-1 errno=N (message)`, addresses from brk, mmap
/// and mremap in 16 hex digits, everything else in decimal; nothing for exits.
/// `ret` is `None` for a call that does not return (exit, exit_group).
pub fn format_result(sys: Sysno, ret: Option<i64>) -> String {
    let Some(ret) = ret else {
        return String::new();
    };
    if (-4095..0).contains(&ret) {
        let errno = -ret as i32;
        let message = std::io::Error::from_raw_os_error(errno).to_string();
        let message = match message.rfind(" (os error") {
            Some(i) => message[..i].to_string(),
            None => message,
        };
        return format!(" = -1 errno={errno} ({message})");
    }
    match sys {
        Sysno::brk | Sysno::mmap | Sysno::mremap => format!(" = 0x{ret:016x}"),
        _ => format!(" = {ret}"),
    }
}

fn emit(s: &str) {
    // One write per piece, so that the line is not split by our own buffering; a failure to
    // write the trace must not disturb the guest.
    let _ = std::io::stderr().write_all(s.as_bytes());
}

/// Prints `<pid> name(args)` before the call runs.
pub(crate) fn call(sys: Sysno, args: &[u64; 6], abi: &AbiInfo, mem: &dyn GuestMm) {
    emit(&format!("{} {}", std::process::id(), format_call(sys, args, abi, mem)));
}

/// Prints ` = result` and ends the line.
/// The result; a call xlate refused on purpose is marked with the reason.
/// A path the sysroot redirected is shown after the result.
pub(crate) fn result(sys: Sysno, action: &Action, refused: Option<&str>, redirected: Option<&[u8]>) {
    let ret = match *action {
        Action::Exit(_)
        | Action::ExitThread(_)
        | Action::NewThread(_)
        | Action::Vfork(_)
        | Action::RegistersRestored
        | Action::Rewind => None,
        Action::Ret(r) | Action::RetCodeModified { ret: r, .. } => Some(r),
    };
    let mark = refused.map(|why| format!(" [refused by xlate: {why}]")).unwrap_or_default();
    let path = redirected
        .map(|p| format!(" [path in the sysroot: {}]", String::from_utf8_lossy(p)))
        .unwrap_or_default();
    emit(&format!("{}{mark}{path}\n", format_result(sys, ret)));
}

/// Ends the line of a call that a signal interrupted and the guest issues again after its
/// handler (strace's own words for it).
pub(crate) fn restarted() {
    emit(" = ? ERESTARTSYS (To be restarted if SA_RESTART is set)\n");
}

/// The line for a number the guest's table does not know.
pub(crate) fn unknown(nr: u64) {
    if nr & super::abi::ia32::REFUSED != 0 {
        let ia32 = nr as u32;
        emit(&format!(
            "{} int 0x80 ia32 syscall {ia32} = -1 ENOSYS (refused: xlate runs only the ia32 calls of its int 0x80 table)\n",
            std::process::id()
        ));
        return;
    }
    emit(&format!("{} Unknown syscall {nr}\n", std::process::id()));
}
