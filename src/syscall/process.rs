//! Calls about the process and its threads that xlate answers itself or adapts: arch_prctl
//! (the guest's fs/gs bases live in the guest state, not in the host's registers), uname (the
//! guest's machine name), and process creation (fork and fork-like clone; execve of a new
//! guest program through a new xlate; threads are not supported yet and return -ENOSYS).

use super::memory::{read_bytes, read_cstr, write_bytes, write_u64};
use super::{err, host, Action, Ctx, Errno, Segment, Sysno};
use std::ffi::CString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

const ARCH_SET_GS: u64 = 0x1001;
const ARCH_SET_FS: u64 = 0x1002;
const ARCH_GET_FS: u64 = 0x1003;
const ARCH_GET_GS: u64 = 0x1004;
const ARCH_SHSTK_ENABLE: u64 = 0x5001;
const ARCH_SHSTK_DISABLE: u64 = 0x5002;
const ARCH_SHSTK_LOCK: u64 = 0x5003;
const ARCH_SHSTK_UNLOCK: u64 = 0x5004;
const ARCH_SHSTK_STATUS: u64 = 0x5005;
/// The ARCH_SHSTK_* feature bits.
const ARCH_SHSTK_SHSTK: u64 = 1 << 0;
const ARCH_SHSTK_WRSS: u64 = 1 << 1;

/// The features locked by ARCH_SHSTK_LOCK. The kernel keeps them per thread; xlate runs one
/// guest thread per process, and a fork copies them as the kernel does (an execve starts a
/// new xlate, which starts with none, as the kernel resets them).
static SHSTK_LOCKED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Highest user-space address + 1 on x86-64 with 4-level paging: the kernel rejects fs/gs
/// bases at or above it (EPERM).
const TASK_SIZE_MAX: u64 = (1 << 47) - 4096;

/// arch_prctl(code, addr): reads and writes the guest state's segment bases; answers the
/// shadow-stack requests as Linux does on a machine without user shadow stacks. Other codes
/// (CPUID faulting, AMX, ...) get EINVAL, as from a kernel without those features.
pub(crate) fn arch_prctl(cx: &mut Ctx, a: [u64; 6]) -> Action {
    let (code, addr) = (a[0], a[1]);
    let segment = match code {
        ARCH_SET_FS | ARCH_GET_FS => Segment::Fs,
        ARCH_SET_GS | ARCH_GET_GS => Segment::Gs,
        ARCH_SHSTK_ENABLE..=ARCH_SHSTK_STATUS => return shadow_stack(cx, code, addr),
        _ => return err(libc::EINVAL),
    };
    let Some(base) = cx.regs.segment_base(segment) else {
        return err(libc::EINVAL);
    };
    match code {
        ARCH_SET_FS | ARCH_SET_GS => {
            if addr >= TASK_SIZE_MAX {
                return err(libc::EPERM);
            }
            *base = addr;
            Action::Ret(0)
        }
        _ => {
            let value = *base;
            match write_u64(&*cx.mem, addr, value) {
                Ok(()) => Action::Ret(0),
                Err(e) => err(e),
            }
        }
    }
}

/// arch_prctl's ARCH_SHSTK_* requests, answered as a kernel built with user shadow-stack
/// support (CONFIG_X86_USER_SHADOW_STACK, as distribution kernels since 6.6 are) answers them
/// on a processor without the feature, which is what xlate's cpuid describes (no CET_SS):
/// STATUS writes 0 (nothing enabled), LOCK records the features and succeeds, and a request
/// to enable or disable shadow stacks or WRSS is EOPNOTSUPP; checked in the kernel's order
/// (locked features EPERM, more than one feature EINVAL, an unknown one EINVAL). UNLOCK from
/// the process itself takes the enable path there too (only a ptracer may unlock).
fn shadow_stack(cx: &mut Ctx, code: u64, arg: u64) -> Action {
    use std::sync::atomic::Ordering;
    match code {
        ARCH_SHSTK_STATUS => match write_u64(&*cx.mem, arg, 0) {
            Ok(()) => Action::Ret(0),
            Err(e) => err(e),
        },
        ARCH_SHSTK_LOCK => {
            SHSTK_LOCKED.fetch_or(arg, Ordering::Relaxed);
            Action::Ret(0)
        }
        _ => {
            if arg & SHSTK_LOCKED.load(Ordering::Relaxed) != 0 {
                err(libc::EPERM)
            } else if arg.count_ones() > 1 {
                err(libc::EINVAL)
            } else if arg & (ARCH_SHSTK_SHSTK | ARCH_SHSTK_WRSS) != 0 {
                debug_assert!(matches!(code, ARCH_SHSTK_ENABLE | ARCH_SHSTK_DISABLE | ARCH_SHSTK_UNLOCK));
                err(libc::EOPNOTSUPP)
            } else {
                err(libc::EINVAL)
            }
        }
    }
}

/// uname: the host's answer, except `machine`, which is the guest's ("x86_64", "aarch64").
pub(crate) fn uname(cx: &mut Ctx, a: [u64; 6]) -> Action {
    // struct utsname: six fields of 65 bytes; `machine` is the fifth.
    const FIELD: usize = 65;
    const MACHINE_OFFSET: u64 = 4 * FIELD as u64;
    let r = host::call(Sysno::uname, a);
    if r < 0 {
        return Action::Ret(r);
    }
    let mut machine = [0u8; FIELD];
    machine[..cx.abi.machine.len()].copy_from_slice(cx.abi.machine.as_bytes());
    match write_bytes(&*cx.mem, a[0] + MACHINE_OFFSET, &machine) {
        Ok(()) => Action::Ret(r),
        Err(e) => err(e),
    }
}

/// fork, vfork, clone.
///
/// A new process is a copy of xlate with the guest in it, so fork is safe: the child
/// continues the same translated program (only the calling thread, as in the kernel; the
/// runtime holds its lock across the call, so no other thread holds it in the child). vfork,
/// and clone(CLONE_VM | CLONE_VFORK | SIGCHLD) as posix_spawn and Go's os/exec use it, are
/// real vforks ([`Vfork`], run by the runtime): the child shares the guest's memory and the
/// parent waits until it execs or exits. clone without CLONE_VM or CLONE_THREAD is a fork
/// with extras (the tid stores glibc's fork asks for, a new stack), and so is
/// CLONE_VM | CLONE_VFORK with tid flags (which no libc passes). A thread (CLONE_THREAD, or
/// CLONE_VM without CLONE_VFORK) is [`super::thread::clone_thread`]. clone3 is the same
/// call with its arguments in a struct ([`clone3_as_clone`]).
pub(crate) fn spawn(cx: &mut Ctx, sys: Sysno, a: [u64; 6]) -> Action {
    match sys {
        Sysno::clone3 => match clone3_as_clone(cx, a[0], a[1]) {
            Ok(args) => spawn(cx, Sysno::clone, args),
            Err(e) => err(e),
        },
        Sysno::fork => Action::Ret(fork(cx, 0, 0, 0, 0)),
        Sysno::vfork => Action::Vfork(Vfork { stack: 0 }),
        Sysno::clone => {
            let flags = a[0];
            let stack = a[1];
            let parent_tid = a[2];
            let child_tid = if cx.abi.clone_tls_before_child_tid { a[4] } else { a[3] };
            if super::thread::is_thread_clone(flags) {
                return super::thread::clone_thread(cx, a);
            }
            let vfork = (libc::CLONE_VM | libc::CLONE_VFORK) as u64;
            if flags & !libc::CSIGNAL as u64 == vfork && flags & libc::CSIGNAL as u64 == libc::SIGCHLD as u64
            {
                return Action::Vfork(Vfork { stack });
            }
            // Flags a fork honours by itself (or that only matter with shared memory), and
            // the ones this emulation applies.
            let supported = (libc::CSIGNAL
                | libc::CLONE_VM
                | libc::CLONE_VFORK
                | libc::CLONE_PARENT_SETTID
                | libc::CLONE_CHILD_SETTID
                | libc::CLONE_CHILD_CLEARTID) as u64;
            if flags & !supported != 0 || (flags & libc::CSIGNAL as u64) != libc::SIGCHLD as u64 {
                return err(libc::ENOSYS);
            }
            Action::Ret(fork(cx, flags, stack, parent_tid, child_tid))
        }
        _ => err(libc::ENOSYS),
    }
}

/// clone3(args, size): the kernel's `struct clone_args` (linux/sched.h: 64 bytes in its first
/// version, 88 with set_tid and cgroup) read from the guest, checked as kernel/fork.c checks
/// it, and turned into the arguments of the equivalent clone call in the guest ABI's order:
/// the exit signal joins the flags, and the stack pointer is the top of `stack`/`stack_size`.
/// What clone cannot say (a pid to take, a cgroup, clearing the signal handlers) is refused
/// with ENOSYS, as clone refuses what xlate does not emulate (pidfds, namespaces).
fn clone3_as_clone(cx: &Ctx, addr: u64, size: u64) -> Result<[u64; 6], Errno> {
    const SIZE_VER0: u64 = 64;
    const SIZE_KNOWN: u64 = 88;
    const CLONE_CLEAR_SIGHAND: u64 = 0x1_0000_0000;
    const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;
    const CLONE_NEWTIME: u64 = 0x80;
    if size < SIZE_VER0 {
        return Err(libc::EINVAL);
    }
    if size > 4096 {
        return Err(libc::E2BIG);
    }
    let bytes = read_bytes(&*cx.mem, addr, size as usize)?;
    // A newer caller's fields must be zero where this kernel version has none (E2BIG).
    if bytes.iter().skip(SIZE_KNOWN as usize).any(|&b| b != 0) {
        return Err(libc::E2BIG);
    }
    let field = |i: usize| {
        bytes.get(i * 8..i * 8 + 8).map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
    };
    let [flags, _pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup] =
        std::array::from_fn(field);
    let csignal = libc::CSIGNAL as u64;
    let invalid = set_tid_size > 32
        || (set_tid == 0) != (set_tid_size == 0)
        || exit_signal & !csignal != 0
        || exit_signal > 64
        || (flags & CLONE_INTO_CGROUP != 0 && (cgroup > i32::MAX as u64 || size < SIZE_KNOWN))
        || flags & !(0xffff_ffff | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP) != 0
        || flags & (libc::CLONE_DETACHED as u64 | (csignal & !CLONE_NEWTIME)) != 0
        || (flags & libc::CLONE_SIGHAND as u64 != 0 && flags & CLONE_CLEAR_SIGHAND != 0)
        || (flags & (libc::CLONE_THREAD | libc::CLONE_PARENT) as u64 != 0 && exit_signal != 0)
        || (stack == 0) != (stack_size == 0);
    if invalid {
        return Err(libc::EINVAL);
    }
    if set_tid != 0 || flags & (CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP) != 0 {
        return Err(libc::ENOSYS);
    }
    let top = if stack == 0 { 0 } else { stack.wrapping_add(stack_size) };
    let (fourth, fifth) = if cx.abi.clone_tls_before_child_tid { (tls, child_tid) } else { (child_tid, tls) };
    Ok([flags | exit_signal, top, parent_tid, fourth, fifth, 0])
}

/// A vfork the runtime runs: a child process that shares the guest's memory (and xlate's)
/// starts from a copy of the caller's state with the call's result 0 and `stack` (if not 0)
/// as stack pointer, while the calling thread waits until the child execs or exits; then
/// the parent's result is the child's pid.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Vfork {
    pub stack: u64,
}

/// A fork of xlate with the clone extras in `flags`. Returns the child's pid in the parent
/// and 0 in the child.
fn fork(cx: &mut Ctx, flags: u64, stack: u64, parent_tid: u64, child_tid: u64) -> i64 {
    let pid = crate::host::syscall::fork();
    if pid < 0 {
        return pid;
    }
    let has = |f: i32| flags & f as u64 != 0;
    if pid > 0 {
        if has(libc::CLONE_PARENT_SETTID) {
            let _ = write_bytes(&*cx.mem, parent_tid, &(pid as i32).to_le_bytes());
        }
        return pid;
    }
    // The child.
    // (CLONE_PARENT_SETTID writes the parent's memory only.)
    let tid = host::call(Sysno::gettid, [0; 6]) as i32;
    if has(libc::CLONE_CHILD_SETTID) {
        let _ = write_bytes(&*cx.mem, child_tid, &tid.to_le_bytes());
    }
    super::thread::after_fork_child();
    super::thread::set_clear_child_tid(if has(libc::CLONE_CHILD_CLEARTID) { child_tid } else { 0 });
    if stack != 0 {
        cx.regs.set_stack_pointer(stack);
    }
    0
}

/// The most argv or envp entries the kernel accepts (MAX_ARG_STRINGS).
const MAX_ARG_STRINGS: usize = 0x7fff_ffff;
/// PATH_MAX, with the NUL.
const PATH_MAX: usize = 4096;

/// Reads a NULL-terminated guest array of string pointers (argv, envp); a NULL array is empty.
fn read_strings(cx: &Ctx, mut addr: u64) -> Result<Vec<CString>, Errno> {
    let mut out = Vec::new();
    if addr == 0 {
        return Ok(out);
    }
    loop {
        let b = read_bytes(&*cx.mem, addr, 8)?;
        let p = u64::from_le_bytes(b.try_into().unwrap());
        if p == 0 {
            return Ok(out);
        }
        if out.len() >= MAX_ARG_STRINGS {
            return Err(libc::E2BIG);
        }
        // MAX_ARG_STRLEN: 32 pages.
        let s = read_cstr(&*cx.mem, p, 32 * 4096).map_err(|e| {
            if e == libc::ENAMETOOLONG {
                libc::E2BIG
            } else {
                e
            }
        })?;
        out.push(CString::new(s).expect("read_cstr stops at the NUL"));
        addr += 8;
    }
}

/// execve(path, argv, envp): the new program is a guest too, so it is run by a new xlate
/// (`translator`, with `--strace` if this one traces) in this process: nothing runs the
/// guest's target natively. The errors the guest's own execve would give for a file it
/// cannot run (missing, not executable, not a regular file, bad pointers) are checked here and
/// returned to the guest; problems only xlate can see (e.g. a dynamically linked program)
/// are reported by the new xlate, which then exits with 126 or 127. The guest's argv[0] is
/// passed with `--argv0`. An execve of /proc/self/exe runs the guest program again. (`--stats`
/// is not passed on: the layer does not know it.)
pub(crate) fn execve(cx: &mut Ctx, a: [u64; 6], exec: &Exec) -> Action {
    match read_cstr(&*cx.mem, a[0], PATH_MAX) {
        Ok(path) => exec_path(cx, path, [a[1], a[2]], exec),
        Err(e) => err(e),
    }
}

/// execveat(dirfd, path, argv, envp, flags): [`execve`] of the file that `dirfd` and `path`
/// name. The new xlate gets a path: `dirfd`'s directory (or, with AT_EMPTY_PATH and an empty
/// path, the file itself) as `/proc/self/fd/N` names it, or that link itself for a file with
/// no path (a memfd), which the new xlate can open only if it is not close-on-exec.
pub(crate) fn execveat(cx: &mut Ctx, a: [u64; 6], exec: &Exec) -> Action {
    let (dirfd, flags) = (a[0] as i32, a[4] as i32);
    if flags & !(libc::AT_EMPTY_PATH | libc::AT_SYMLINK_NOFOLLOW) != 0 {
        return err(libc::EINVAL);
    }
    let path = match read_cstr(&*cx.mem, a[1], PATH_MAX) {
        Ok(p) => p,
        Err(e) => return err(e),
    };
    if flags & libc::AT_SYMLINK_NOFOLLOW != 0 && !path.is_empty() {
        let mut st = super::convert::HostStat::default();
        let stp = &mut st as *mut super::convert::HostStat as u64;
        let cpath = CString::new(path.clone()).expect("read_cstr stops at the NUL");
        let nofollow = libc::AT_SYMLINK_NOFOLLOW as u64;
        let r = host::call(Sysno::newfstatat, [a[0], cpath.as_ptr() as u64, stp, nofollow, 0, 0]);
        if r < 0 {
            return Action::Ret(r);
        }
        if st.st_mode & libc::S_IFMT == libc::S_IFLNK {
            return err(libc::ELOOP);
        }
    }
    let full = if path.starts_with(b"/") || (dirfd == libc::AT_FDCWD && !path.is_empty()) {
        path
    } else if path.is_empty() && flags & libc::AT_EMPTY_PATH == 0 {
        return err(libc::ENOENT);
    } else {
        let link = format!("/proc/self/fd/{dirfd}");
        let target = match std::fs::read_link(&link) {
            Ok(t) => t.into_os_string().into_vec(),
            Err(_) => return err(libc::EBADF),
        };
        let anonymous = !target.starts_with(b"/") || target.ends_with(b" (deleted)");
        match (path.is_empty(), anonymous) {
            (true, true) => link.into_bytes(),
            (true, false) => target,
            (false, _) => [target.as_slice(), b"/", path.as_slice()].concat(),
        }
    };
    exec_path(cx, full, [a[2], a[3]], exec)
}

/// What a guest's execve needs to start the new xlate.
pub(crate) struct Exec<'a> {
    /// The xlate binary to run (`None`: the guest gets ENOEXEC).
    pub translator: Option<&'a Path>,
    /// The running guest program, for an exec of /proc/self/exe.
    pub exe: &'a Path,
    /// Pass `--strace` on.
    pub strace: bool,
    /// Where the new program is looked up first, and whether to pass the sysroot on as `-L`
    /// (only when the user chose it: the default one depends on the new program's ISA).
    pub sysroot: (Option<&'a super::paths::Sysroot>, bool),
}

/// The common part of execve and execveat: runs the guest program at `path` with the guest's
/// argv and envp arrays at `arrays`.
fn exec_path(cx: &mut Ctx, mut path: Vec<u8>, arrays: [u64; 2], exec: &Exec) -> Action {
    let (translator, exe, strace) = (exec.translator, exec.exe, exec.strace);
    let (sysroot, pass_sysroot) = exec.sysroot;
    // A guest re-executing itself: /proc/self/exe is the guest program, not xlate.
    if super::fs::is_proc_self_exe(&path) {
        path = exe.as_os_str().as_bytes().to_vec();
    }
    let (argv, envp) = match (read_strings(cx, arrays[0]), read_strings(cx, arrays[1])) {
        (Ok(argv), Ok(envp)) => (argv, envp),
        (Err(e), _) | (_, Err(e)) => return err(e),
    };
    if path.is_empty() {
        return err(libc::ENOENT);
    }
    if let Some(inside) = sysroot.and_then(|r| r.resolve(&path)) {
        path = inside;
    }
    let cpath = CString::new(path.clone()).expect("read_cstr stops at the NUL");
    let at_fdcwd = libc::AT_FDCWD as i64 as u64;
    let r = host::call(Sysno::faccessat, [at_fdcwd, cpath.as_ptr() as u64, libc::X_OK as u64, 0, 0, 0]);
    if r < 0 {
        return Action::Ret(r);
    }
    let mut st = super::convert::HostStat::default();
    let stp = &mut st as *mut super::convert::HostStat as u64;
    let r = host::call(Sysno::newfstatat, [at_fdcwd, cpath.as_ptr() as u64, stp, 0, 0, 0]);
    if r < 0 {
        return Action::Ret(r);
    }
    if st.st_mode & libc::S_IFMT != libc::S_IFREG {
        return err(libc::EACCES);
    }
    let Some(translator) = translator else {
        return err(libc::ENOEXEC);
    };
    let Ok(xlate) = CString::new(translator.as_os_str().as_bytes()) else {
        return err(libc::ENOEXEC);
    };
    // A program name that starts with '-' would be read as an option.
    let mut program = path;
    if program.starts_with(b"-") {
        program.splice(0..0, *b"./");
    }
    let mut args = vec![xlate.clone()];
    if strace {
        args.push(CString::new("--strace").unwrap());
    }
    if let (Some(root), true) = (sysroot, pass_sysroot) {
        let mut opt = b"--sysroot=".to_vec();
        opt.extend_from_slice(root.root().as_os_str().as_bytes());
        if let Ok(opt) = CString::new(opt) {
            args.push(opt);
        }
    }
    let mut argv = argv.into_iter();
    if let Some(argv0) = argv.next() {
        // One word, so that an argv[0] starting with '-' cannot be read as an option.
        let mut opt = b"--argv0=".to_vec();
        opt.extend_from_slice(argv0.as_bytes());
        args.push(CString::new(opt).expect("no NUL in a string read up to its NUL"));
    }
    args.push(CString::new(program).expect("no NUL in a path read up to its NUL"));
    args.extend(argv);
    let arg_ptrs: Vec<*const libc::c_char> =
        args.iter().map(|s| s.as_ptr()).chain(std::iter::once(std::ptr::null())).collect();
    let env_ptrs: Vec<*const libc::c_char> =
        envp.iter().map(|s| s.as_ptr()).chain(std::iter::once(std::ptr::null())).collect();
    let r = host::call(
        Sysno::execve,
        [xlate.as_ptr() as u64, arg_ptrs.as_ptr() as u64, env_ptrs.as_ptr() as u64, 0, 0, 0],
    );
    // Only reached if the exec failed.
    Action::Ret(r)
}
