//! The syscall layer driven as the runtime drives it: `handle` on a hand-built x86-64 guest
//! state. Expected values come from the host kernel itself (the same call made natively).

mod support;

use std::ffi::CString;
use xlate::frontend::x86_64::state::{reg, X86State};
use xlate::syscall::abi::x86_64::X86_64;
use xlate::syscall::{GuestMm, SyscallLayer, SyscallOutcome};

/// Guest memory for these tests: every address is accessible except the first page (so that
/// EFAULT paths can be exercised), brk moves within a window, and one range counts as code.
struct TestMm {
    brk: u64,
    brk_calls: Vec<u64>,
    code: (u64, u64),
    invalidated: Vec<std::ops::Range<u64>>,
}

impl TestMm {
    fn new() -> TestMm {
        TestMm { brk: 0x10_0000, brk_calls: Vec::new(), code: (0x40_0000, 0x1000), invalidated: Vec::new() }
    }
}

impl GuestMm for TestMm {
    fn brk(&mut self, addr: u64) -> u64 {
        self.brk_calls.push(addr);
        if (0x10_0000..0x20_0000).contains(&addr) {
            self.brk = addr;
        }
        self.brk
    }
    fn mmap(&mut self, _: u64, _: u64, _: u64, _: u64, _: u64, _: u64) -> i64 {
        -(libc::ENOMEM as i64)
    }
    fn munmap(&mut self, addr: u64, len: u64) -> i64 {
        let (c, l) = self.code;
        if addr < c + l && c < addr + len {
            self.invalidated.push(c.max(addr)..(c + l).min(addr + len));
        }
        0
    }
    fn mprotect(&mut self, _: u64, _: u64, _: u64) -> i64 {
        0
    }
    fn mremap(&mut self, _: u64, _: u64, _: u64, _: u64, _: u64) -> i64 {
        -(libc::ENOMEM as i64)
    }
    fn shmat(&mut self, _: u64, _: u64, _: u64) -> i64 {
        -(libc::EINVAL as i64)
    }
    fn shmdt(&mut self, _: u64) -> i64 {
        -(libc::EINVAL as i64)
    }
    fn take_invalidated(&mut self) -> Vec<std::ops::Range<u64>> {
        std::mem::take(&mut self.invalidated)
    }
    fn is_accessible(&self, addr: u64, _len: u64, _write: bool) -> bool {
        addr >= 4096
    }
    /// No mappings: these tests never read /proc/self/maps.
    fn regions(&self) -> Vec<(std::ops::Range<u64>, i32)> {
        Vec::new()
    }
}

fn layer() -> SyscallLayer {
    SyscallLayer::new(std::path::Path::new("guest-bins/x86_64/hello"), false)
}

/// Runs syscall `nr` with `args` in a fresh state; returns the outcome and the state after.
fn call(l: &mut SyscallLayer, mm: &mut TestMm, nr: u64, args: &[u64]) -> (SyscallOutcome, X86State) {
    let mut s = X86State::default();
    s.gpr[reg::RAX] = nr;
    let regs = [reg::RDI, reg::RSI, reg::RDX, reg::R10, reg::R8, reg::R9];
    for (r, &v) in regs.iter().zip(args) {
        s.gpr[*r] = v;
    }
    s.rip = 0x40_1234;
    s.zf = 1;
    let outcome = l.handle::<X86_64>(&mut s, mm);
    (outcome, s)
}

fn ret(s: &X86State) -> i64 {
    s.gpr[reg::RAX] as i64
}

#[test]
fn write_reaches_the_host_and_sets_rcx_r11() {
    let mut fds = [0i32; 2];
    // SAFETY: a libc call on buffers, paths and fds this test owns and keeps alive.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let msg = b"hello from the guest\n";
    let (mut l, mut mm) = (layer(), TestMm::new());
    let (o, s) = call(&mut l, &mut mm, 1, &[fds[1] as u64, msg.as_ptr() as u64, msg.len() as u64]);
    assert_eq!(o, SyscallOutcome::Continue);
    assert_eq!(ret(&s), msg.len() as i64);
    // rcx = the address after the syscall, r11 = RFLAGS (ZF, reserved bit 1, IF).
    assert_eq!(s.gpr[reg::RCX], 0x40_1234);
    assert_eq!(s.gpr[reg::R11], 0x242);
    let mut buf = [0u8; 64];
    // SAFETY: a libc call on buffers, paths and fds this test owns and keeps alive.
    let n = unsafe { libc::read(fds[0], buf.as_mut_ptr().cast(), buf.len()) };
    assert_eq!(&buf[..n as usize], msg);
    unsafe {
        libc::close(fds[0]);
        libc::close(fds[1]);
    }
}

#[test]
fn getpid_and_unknown_numbers() {
    let (mut l, mut mm) = (layer(), TestMm::new());
    let (_, s) = call(&mut l, &mut mm, 39, &[]);
    assert_eq!(ret(&s), std::process::id() as i64);
    // 335 is unassigned on x86-64, 999 beyond the table, and 134 (uselib) refused with
    // ENOSYS, as current kernels answer it.
    for nr in [335, 999, 134, u64::MAX] {
        let (o, s) = call(&mut l, &mut mm, nr, &[]);
        assert_eq!(o, SyscallOutcome::Continue);
        assert_eq!(ret(&s), -(libc::ENOSYS as i64), "nr {nr}");
    }
}

#[test]
fn brk_goes_to_guest_memory() {
    let (mut l, mut mm) = (layer(), TestMm::new());
    let (_, s) = call(&mut l, &mut mm, 12, &[0]);
    assert_eq!(ret(&s), 0x10_0000);
    let (_, s) = call(&mut l, &mut mm, 12, &[0x10_8000]);
    assert_eq!(ret(&s), 0x10_8000);
    assert_eq!(mm.brk_calls, vec![0, 0x10_8000]);
}

#[test]
fn munmap_of_code_asks_for_a_flush() {
    let (mut l, mut mm) = (layer(), TestMm::new());
    let (o, s) = call(&mut l, &mut mm, 11, &[0x40_0000, 0x2000]);
    assert_eq!(ret(&s), 0);
    assert_eq!(o, SyscallOutcome::CodeModified { addr: 0x40_0000, len: 0x1000 });
    let (o, _) = call(&mut l, &mut mm, 11, &[0x50_0000, 0x2000]);
    assert_eq!(o, SyscallOutcome::Continue);
}

#[test]
fn arch_prctl_sets_and_gets_fs_gs() {
    let (mut l, mut mm) = (layer(), TestMm::new());
    let mut s = X86State::default();
    s.gpr[reg::RAX] = 158;
    s.gpr[reg::RDI] = 0x1002; // ARCH_SET_FS
    s.gpr[reg::RSI] = 0x7000_1000;
    l.handle::<X86_64>(&mut s, &mut mm);
    assert_eq!(s.fs_base, 0x7000_1000);
    assert_eq!(ret(&s), 0);
    let mut out = 0u64;
    s.gpr[reg::RAX] = 158;
    s.gpr[reg::RDI] = 0x1003; // ARCH_GET_FS
    s.gpr[reg::RSI] = &mut out as *mut u64 as u64;
    l.handle::<X86_64>(&mut s, &mut mm);
    assert_eq!((ret(&s), out), (0, 0x7000_1000));
    s.gpr[reg::RAX] = 158;
    s.gpr[reg::RDI] = 0x1001; // ARCH_SET_GS
    s.gpr[reg::RSI] = 0x1234_5000;
    l.handle::<X86_64>(&mut s, &mut mm);
    assert_eq!(s.gpr_or_gs(), 0x1234_5000);
    // An unknown code, a non-canonical base and an unwritable destination.
    let (_, s) = call(&mut l, &mut mm, 158, &[0x1999, 0]);
    assert_eq!(ret(&s), -(libc::EINVAL as i64));
    let (_, s) = call(&mut l, &mut mm, 158, &[0x1002, 1 << 63]);
    assert_eq!(ret(&s), -(libc::EPERM as i64));
    let (_, s) = call(&mut l, &mut mm, 158, &[0x1003, 16]);
    assert_eq!(ret(&s), -(libc::EFAULT as i64));
}

/// The shadow-stack requests, as Linux answers them on a processor without user shadow stacks
/// (arch/x86/kernel/shstk.c, shstk_prctl, with the feature absent): nothing to enable or
/// disable, STATUS reports none, LOCK is remembered.
#[test]
fn arch_prctl_shadow_stack_requests_answer_as_without_user_shadow_stacks() {
    let (mut l, mut mm) = (layer(), TestMm::new());
    let errno = |e: i32| -(e as i64);
    let mut status = 0xdead_beefu64;
    let (_, s) = call(&mut l, &mut mm, 158, &[0x5005, &mut status as *mut u64 as u64]);
    assert_eq!((ret(&s), status), (0, 0));
    let (_, s) = call(&mut l, &mut mm, 158, &[0x5005, 16]);
    assert_eq!(ret(&s), errno(libc::EFAULT));
    for (code, features, want) in [
        (0x5001, 1, libc::EOPNOTSUPP), // enable shadow stack
        (0x5001, 2, libc::EOPNOTSUPP), // enable WRSS
        (0x5002, 1, libc::EOPNOTSUPP), // disable shadow stack
        (0x5002, 2, libc::EOPNOTSUPP),
        (0x5001, 3, libc::EINVAL), // one feature at a time
        (0x5001, 0, libc::EINVAL),
        (0x5002, 4, libc::EINVAL),     // no such feature
        (0x5004, 1, libc::EOPNOTSUPP), // unlock by the process itself: the enable path
    ] {
        let (_, s) = call(&mut l, &mut mm, 158, &[code, features]);
        assert_eq!(ret(&s), errno(want), "arch_prctl({code:#x}, {features})");
    }
    let (_, s) = call(&mut l, &mut mm, 158, &[0x5003, 2]);
    assert_eq!(ret(&s), 0);
    let (_, s) = call(&mut l, &mut mm, 158, &[0x5001, 2]);
    assert_eq!(ret(&s), errno(libc::EPERM), "locked");
    let (_, s) = call(&mut l, &mut mm, 158, &[0x5001, 1]);
    assert_eq!(ret(&s), errno(libc::EOPNOTSUPP), "not locked");
}

trait GsBase {
    fn gpr_or_gs(&self) -> u64;
}
impl GsBase for X86State {
    fn gpr_or_gs(&self) -> u64 {
        self.gs_base
    }
}

#[test]
fn exit_and_exit_group_end_the_run() {
    let (mut l, mut mm) = (layer(), TestMm::new());
    assert_eq!(call(&mut l, &mut mm, 231, &[3]).0, SyscallOutcome::Exit(3));
    assert_eq!(call(&mut l, &mut mm, 60, &[256 + 7]).0, SyscallOutcome::Exit(263));
}

#[test]
fn readlink_proc_self_exe_is_the_guest() {
    let (mut l, mut mm) = (layer(), TestMm::new());
    let expected = std::env::current_dir().unwrap().join("guest-bins/x86_64/hello");
    let expected = expected.to_str().unwrap().as_bytes();
    let path = CString::new("/proc/self/exe").unwrap();
    let mut buf = [0u8; 256];
    let (_, s) = call(&mut l, &mut mm, 89, &[path.as_ptr() as u64, buf.as_mut_ptr() as u64, 256]);
    assert_eq!(ret(&s), expected.len() as i64);
    assert_eq!(&buf[..expected.len()], expected);
    // readlinkat, truncated to the buffer (readlink does not terminate).
    let mut small = [0u8; 4];
    let at_fdcwd = libc::AT_FDCWD as i64 as u64;
    let (_, s) = call(&mut l, &mut mm, 267, &[at_fdcwd, path.as_ptr() as u64, small.as_mut_ptr() as u64, 4]);
    assert_eq!(ret(&s), 4);
    assert_eq!(&small, &expected[..4]);
    // Other links are the host's.
    let cwd = CString::new("/proc/self/cwd").unwrap();
    let (_, s) = call(&mut l, &mut mm, 89, &[cwd.as_ptr() as u64, buf.as_mut_ptr() as u64, 256]);
    let native = std::fs::read_link("/proc/self/cwd").unwrap();
    assert_eq!(&buf[..ret(&s) as usize], native.to_str().unwrap().as_bytes());
}

#[test]
fn uname_reports_the_guest_machine() {
    let (mut l, mut mm) = (layer(), TestMm::new());
    // SAFETY: a plain-data libc struct, for which all zero bytes are a valid value.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    let (_, s) = call(&mut l, &mut mm, 63, &[&mut u as *mut libc::utsname as u64]);
    assert_eq!(ret(&s), 0);
    let field = |f: &[libc::c_char]| -> String {
        f.iter().take_while(|&&c| c != 0).map(|&c| c as u8 as char).collect()
    };
    assert_eq!(field(&u.machine), "x86_64");
    // SAFETY: a plain-data libc struct, for which all zero bytes are a valid value.
    let mut native: libc::utsname = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::uname(&mut native) }, 0);
    assert_eq!(field(&u.sysname), field(&native.sysname));
    assert_eq!(field(&u.release), field(&native.release));
}

#[test]
fn fstat_matches_the_host_fstat() {
    let dir = std::env::temp_dir().join(format!("xlate-syscall-fstat-{}", std::process::id()));
    std::fs::write(&dir, vec![7u8; 12345]).unwrap();
    let cpath = CString::new(dir.to_str().unwrap()).unwrap();
    // SAFETY: a libc call on buffers, paths and fds this test owns and keeps alive.
    let fd = unsafe { libc::open(cpath.as_ptr(), libc::O_RDONLY) };
    assert!(fd >= 0);
    let mut native: libc::stat = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::fstat(fd, &mut native) }, 0);

    let (mut l, mut mm) = (layer(), TestMm::new());
    for (nr, args) in [
        (5u64, [fd as u64, 0, 0, 0]),                                       // fstat
        (4, [cpath.as_ptr() as u64, 0, 0, 0]),                              // stat
        (262, [libc::AT_FDCWD as i64 as u64, cpath.as_ptr() as u64, 0, 0]), // newfstatat
    ] {
        let mut buf = [0u8; 144];
        let mut args = args;
        let slot = if nr == 262 { 2 } else { 1 };
        args[slot] = buf.as_mut_ptr() as u64;
        let (_, s) = call(&mut l, &mut mm, nr, &args);
        assert_eq!(ret(&s), 0, "nr {nr}");
        let st: xlate::syscall::convert::X86Stat = xlate::syscall::convert::from_bytes(&buf);
        assert_eq!(st.st_dev, native.st_dev);
        assert_eq!(st.st_ino, native.st_ino);
        assert_eq!(st.st_mode, native.st_mode);
        assert_eq!(st.st_nlink, native.st_nlink as u64);
        assert_eq!(st.st_uid, native.st_uid);
        assert_eq!(st.st_size, 12345);
        assert_eq!(st.st_size, native.st_size);
        assert_eq!(st.st_blksize, native.st_blksize as i64);
        assert_eq!(st.st_blocks, native.st_blocks);
        assert_eq!(st.st_mtime as i64, native.st_mtime);
        assert_eq!(st.st_mtime_nsec as i64, native.st_mtime_nsec);
    }
    // A bad buffer is EFAULT, as from the kernel.
    let (_, s) = call(&mut l, &mut mm, 5, &[fd as u64, 8]);
    assert_eq!(ret(&s), -(libc::EFAULT as i64));
    // SAFETY: a libc call on buffers, paths and fds this test owns and keeps alive.
    unsafe { libc::close(fd) };
    std::fs::remove_file(&dir).unwrap();
}

/// x86-64's O_DIRECTORY and O_LARGEFILE (asm-generic/fcntl.h), which differ from arm64's.
const X86_O_DIRECTORY: u64 = 0o200000;
const X86_O_LARGEFILE: i64 = 0o100000;

#[test]
fn open_flags_keep_their_meaning() {
    // O_DIRECTORY on a regular file must fail with ENOTDIR, as natively.
    let file = CString::new("/proc/self/status").unwrap();
    // SAFETY: a libc call on buffers, paths and fds this test owns and keeps alive.
    let native = unsafe { libc::open(file.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY) };
    let native_errno = std::io::Error::last_os_error().raw_os_error().unwrap();
    assert_eq!((native, native_errno), (-1, libc::ENOTDIR));
    let (mut l, mut mm) = (layer(), TestMm::new());
    let (_, s) = call(&mut l, &mut mm, 2, &[file.as_ptr() as u64, X86_O_DIRECTORY, 0]);
    assert_eq!(ret(&s), -(libc::ENOTDIR as i64));
    // F_GETFL of a read-only file: O_RDONLY | O_LARGEFILE in x86-64's encoding (the kernel
    // adds O_LARGEFILE on 64-bit), which is what a native x86-64 program sees.
    let (_, s) = call(&mut l, &mut mm, 2, &[file.as_ptr() as u64, libc::O_RDONLY as u64, 0]);
    let fd = ret(&s);
    assert!(fd >= 0);
    // The oracle is the host kernel's own answer: qemu-user, under which the AArch64 build of
    // this test runs, does not report O_LARGEFILE as a 64-bit kernel does.
    let (_, s) = call(&mut l, &mut mm, 72, &[fd as u64, libc::F_GETFL as u64]);
    // SAFETY: a libc call on buffers, paths and fds this test owns and keeps alive.
    let native = unsafe { libc::fcntl(fd as i32, libc::F_GETFL) } as i64;
    let host_largefile = if cfg!(target_arch = "x86_64") { 0o100000 } else { 0o400000 };
    let expect_largefile = if native & host_largefile != 0 { X86_O_LARGEFILE } else { 0 };
    assert_eq!(ret(&s) & 3, libc::O_RDONLY as i64);
    assert_eq!(ret(&s) & X86_O_LARGEFILE, expect_largefile);
    #[cfg(target_arch = "x86_64")]
    assert_eq!(ret(&s), native);
    // SAFETY: a libc call on buffers, paths and fds this test owns and keeps alive.
    unsafe { libc::close(fd as i32) };
}

#[test]
fn rt_sigaction_records_and_reports() {
    let (mut l, mut mm) = (layer(), TestMm::new());
    // handler, flags, restorer, mask
    let act: [u64; 4] = [0x40_1000, 0x0400_0004, 0x40_2000, 1 << 1];
    let mut old = [0xffu64; 4];
    let (_, s) =
        call(&mut l, &mut mm, 13, &[libc::SIGUSR1 as u64, act.as_ptr() as u64, old.as_mut_ptr() as u64, 8]);
    assert_eq!(ret(&s), 0);
    assert_eq!(old, [0, 0, 0, 0], "SIGUSR1 starts at SIG_DFL");
    let (_, s) = call(&mut l, &mut mm, 13, &[libc::SIGUSR1 as u64, 0, old.as_mut_ptr() as u64, 8]);
    assert_eq!(ret(&s), 0);
    assert_eq!(old, act);
    // Bad sigset size, SIGKILL, out-of-range signal.
    let (_, s) = call(&mut l, &mut mm, 13, &[libc::SIGUSR1 as u64, 0, 0, 4]);
    assert_eq!(ret(&s), -(libc::EINVAL as i64));
    let (_, s) = call(&mut l, &mut mm, 13, &[libc::SIGKILL as u64, act.as_ptr() as u64, 0, 8]);
    assert_eq!(ret(&s), -(libc::EINVAL as i64));
    let (_, s) = call(&mut l, &mut mm, 13, &[65, 0, 0, 8]);
    assert_eq!(ret(&s), -(libc::EINVAL as i64));
}

#[test]
fn open_proc_self_exe_opens_the_guest() {
    let guest = std::env::temp_dir().join(format!("xlate-guest-exe-{}", std::process::id()));
    std::fs::write(&guest, b"\x7fELF pretend guest").unwrap();
    let mut l = SyscallLayer::new(&guest, false);
    let mut mm = TestMm::new();
    let path = CString::new("/proc/self/exe").unwrap();
    let (_, s) = call(&mut l, &mut mm, 2, &[path.as_ptr() as u64, libc::O_RDONLY as u64, 0]);
    let fd = ret(&s);
    assert!(fd >= 0);
    let mut buf = [0u8; 64];
    // SAFETY: a libc call on buffers, paths and fds this test owns and keeps alive.
    let n = unsafe { libc::read(fd as i32, buf.as_mut_ptr().cast(), 64) };
    assert_eq!(&buf[..n as usize], b"\x7fELF pretend guest");
    unsafe { libc::close(fd as i32) };
    std::fs::remove_file(&guest).unwrap();
}

#[test]
fn fork_and_glibc_clone_run_the_child() {
    let (mut l, mut mm) = (layer(), TestMm::new());
    // fork (57): the child sees 0.
    let (_, s) = call(&mut l, &mut mm, 57, &[]);
    if ret(&s) == 0 {
        // SAFETY: _exit ends the forked child at once, running nothing of the parent's.
        unsafe { libc::_exit(5) };
    }
    let wait = |pid: i64| {
        let mut status = 0;
        assert_eq!(unsafe { libc::waitpid(pid as i32, &mut status, 0) }, pid as i32);
        assert!(libc::WIFEXITED(status));
        libc::WEXITSTATUS(status)
    };
    assert_eq!(wait(ret(&s)), 5);
    // glibc's fork on x86-64: clone(CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD, 0,
    // NULL, &tid, 0): child_tid is the fourth argument (before tls).
    let mut tid: i32 = 0;
    let flags = (libc::CLONE_CHILD_SETTID | libc::CLONE_CHILD_CLEARTID | libc::SIGCHLD) as u64;
    let (_, s) = call(&mut l, &mut mm, 56, &[flags, 0, 0, &mut tid as *mut i32 as u64, 0]);
    if ret(&s) == 0 {
        // SAFETY: gettid takes no arguments and cannot fail.
        let code = if tid == unsafe { libc::gettid() } { 9 } else { 1 };
        unsafe { libc::_exit(code) };
    }
    assert_eq!(wait(ret(&s)), 9);
    // Threads: not supported yet.
    let thread = (libc::CLONE_VM | libc::CLONE_THREAD | libc::CLONE_SIGHAND) as u64;
    let (_, s) = call(&mut l, &mut mm, 56, &[thread, 0x1000_0000, 0, 0, 0]);
    assert_eq!(ret(&s), -(libc::ENOSYS as i64));
}

#[test]
fn guest_starts_with_sigpipe_default_and_sees_it() {
    // Rust's runtime ignores SIGPIPE in this test process; a layer gives the guest SIG_DFL.
    let (mut l, mut mm) = (layer(), TestMm::new());
    let mut old = [0xffu64; 4];
    let (_, s) = call(&mut l, &mut mm, 13, &[libc::SIGPIPE as u64, 0, old.as_mut_ptr() as u64, 8]);
    assert_eq!(ret(&s), 0);
    assert_eq!(old[0], libc::SIG_DFL as u64);
}

/// The errno of a native execve of `path` (which must fail).
fn native_execve_errno(path: &CString) -> i32 {
    let argv = [path.as_ptr(), std::ptr::null()];
    let envp = [std::ptr::null()];
    let failed = support::retry_while_text_busy(|| {
        // SAFETY: NUL-terminated path and NULL-terminated argv/envp that outlive the call.
        assert_eq!(unsafe { libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr()) }, -1);
        Err::<(), _>(std::io::Error::last_os_error())
    });
    failed.unwrap_err().raw_os_error().unwrap()
}

#[test]
fn execve_errors_match_native() {
    let dir = std::env::temp_dir().join(format!("xlate-execve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("plain"), b"not executable").unwrap();
    let (mut l, mut mm) = (layer(), TestMm::new());
    for path in [dir.join("missing"), dir.join("plain"), dir.clone()] {
        let c = CString::new(path.to_str().unwrap()).unwrap();
        let argv = [c.as_ptr() as u64, 0];
        let (_, s) = call(&mut l, &mut mm, 59, &[c.as_ptr() as u64, argv.as_ptr() as u64, 0]);
        assert_eq!(ret(&s), -(native_execve_errno(&c) as i64), "{path:?}");
    }
    let (_, s) = call(&mut l, &mut mm, 59, &[16, 0, 0]);
    assert_eq!(ret(&s), -(libc::EFAULT as i64));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn execve_starts_a_new_xlate() {
    // An executable file that is not an ELF: a native execve fails with ENOEXEC, while the new
    // xlate starts, refuses it and exits with 126.
    let file = std::env::temp_dir().join(format!("xlate-execve-text-{}", std::process::id()));
    std::fs::write(&file, b"just text").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
    let c = CString::new(file.to_str().unwrap()).unwrap();
    assert_eq!(native_execve_errno(&c), libc::ENOEXEC);
    let mut l = layer();
    l.set_translator(env!("CARGO_BIN_EXE_xlate").into());
    let mut mm = TestMm::new();
    // SAFETY: the child calls only async-signal-safe functions (the call under test, _exit).
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let null = CString::new("/dev/null").unwrap();
        unsafe {
            let fd = libc::open(null.as_ptr(), libc::O_WRONLY);
            libc::dup2(fd, 2);
        }
        let argv = [c.as_ptr() as u64, 0];
        let (_, s) = call(&mut l, &mut mm, 59, &[c.as_ptr() as u64, argv.as_ptr() as u64, 0]);
        // Only reached if the exec failed.
        // SAFETY: _exit ends the forked child at once, running nothing of the parent's.
        unsafe { libc::_exit(100 + (-ret(&s)) as i32) };
    }
    let mut status = 0;
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    std::fs::remove_file(&file).unwrap();
    assert!(libc::WIFEXITED(status));
    if cfg!(not(target_arch = "x86_64")) && libc::WEXITSTATUS(status) == 100 + libc::ENOEXEC {
        // The AArch64 build runs under qemu-user here, which cannot exec an AArch64 binary
        // without binfmt_misc.
        eprintln!("note: skipped, this machine cannot exec the xlate binary directly");
        return;
    }
    assert_eq!(libc::WEXITSTATUS(status), 126);
}

/// A guest's execve of another guest program (or of itself through /proc/self/exe): the new
/// program runs under a new xlate with the argv (argv[0] included) and environment the guest
/// passed. The oracle is the same program run natively with the same argv and environment.
#[cfg(target_arch = "x86_64")]
#[test]
fn execve_runs_the_new_guest_with_its_argv_and_env() {
    use std::os::unix::process::CommandExt;
    let program = "guest-bins/prebuilt/x86_64-musl/args";
    let native = std::process::Command::new(program)
        .arg0("-custom name")
        .args(["one", "two words"])
        .env_clear()
        .env("XL_A", "1")
        .output()
        .unwrap();
    assert!(native.status.success());
    for path in [program, "/proc/self/exe"] {
        let mut l = SyscallLayer::new(std::path::Path::new(program), false);
        l.set_translator(env!("CARGO_BIN_EXE_xlate").into());
        let out = execve_in_child(&mut l, path, &["-custom name", "one", "two words"], &["XL_A=1"]);
        assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&native.stdout));
    }
}

/// Forks; the child runs the guest's execve through `l` with its stdout on a pipe; returns
/// what the child wrote, after checking that it exited with 0.
#[cfg(target_arch = "x86_64")]
fn execve_in_child(l: &mut SyscallLayer, path: &str, argv: &[&str], envp: &[&str]) -> Vec<u8> {
    let mut mm = TestMm::new();
    let mut fds = [0i32; 2];
    // SAFETY: a libc call on buffers, paths and fds this test owns and keeps alive.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let cpath = CString::new(path).unwrap();
    let cargv: Vec<CString> = argv.iter().map(|s| CString::new(*s).unwrap()).collect();
    let cenv: Vec<CString> = envp.iter().map(|s| CString::new(*s).unwrap()).collect();
    let mut argv_ptrs: Vec<u64> = cargv.iter().map(|c| c.as_ptr() as u64).collect();
    argv_ptrs.push(0);
    let mut env_ptrs: Vec<u64> = cenv.iter().map(|c| c.as_ptr() as u64).collect();
    env_ptrs.push(0);
    // SAFETY: the child calls only async-signal-safe functions (the call under test, _exit).
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        unsafe {
            libc::dup2(fds[1], 1);
            libc::close(fds[0]);
        }
        let args = [cpath.as_ptr() as u64, argv_ptrs.as_ptr() as u64, env_ptrs.as_ptr() as u64];
        let (_, s) = call(l, &mut mm, 59, &args);
        // SAFETY: _exit ends the forked child at once, running nothing of the parent's.
        unsafe { libc::_exit(100 + (-ret(&s)) as i32) };
    }
    unsafe { libc::close(fds[1]) };
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        // SAFETY: a libc call on buffers, paths and fds this test owns and keeps alive.
        let n = unsafe { libc::read(fds[0], buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            break;
        }
        out.extend_from_slice(&buf[..n as usize]);
    }
    // SAFETY: a libc call on buffers, paths and fds this test owns and keeps alive.
    unsafe { libc::close(fds[0]) };
    let mut status = 0;
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "{path}: {status:#x}");
    out
}

/// epoll with x86-64's packed 12-byte `struct epoll_event` (AArch64 hosts use a 16-byte one):
/// the data word registered comes back with the event, through epoll_wait.
#[test]
fn epoll_events_in_the_guest_layout() {
    let (mut l, mut mm) = (layer(), TestMm::new());
    let (_, s) = call(&mut l, &mut mm, 291, &[libc::EPOLL_CLOEXEC as u64]); // epoll_create1
    let ep = ret(&s);
    assert!(ep >= 0);
    let mut fds = [0i32; 2];
    // SAFETY: a libc call on buffers, paths and fds this test owns and keeps alive.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let mut ev = [0u8; 12];
    ev[..4].copy_from_slice(&(libc::EPOLLIN as u32).to_le_bytes());
    ev[4..].copy_from_slice(&0x1122_3344_5566_7788u64.to_le_bytes());
    let add = libc::EPOLL_CTL_ADD as u64;
    let (_, s) = call(&mut l, &mut mm, 233, &[ep as u64, add, fds[0] as u64, ev.as_ptr() as u64]);
    assert_eq!(ret(&s), 0);
    // SAFETY: a libc call on buffers, paths and fds this test owns and keeps alive.
    assert_eq!(unsafe { libc::write(fds[1], b"x".as_ptr().cast(), 1) }, 1);
    let mut out = [0xeeu8; 30];
    let (_, s) = call(&mut l, &mut mm, 232, &[ep as u64, out.as_mut_ptr() as u64, 2, 1000]);
    assert_eq!(ret(&s), 1);
    assert_eq!(u32::from_le_bytes(out[..4].try_into().unwrap()), libc::EPOLLIN as u32);
    assert_eq!(u64::from_le_bytes(out[4..12].try_into().unwrap()), 0x1122_3344_5566_7788);
    assert!(out[12..].iter().all(|&b| b == 0xee), "one 12-byte event written");
    // SAFETY: a libc call on buffers, paths and fds this test owns and keeps alive.
    unsafe {
        libc::close(fds[0]);
        libc::close(fds[1]);
        libc::close(ep as i32);
    }
}
