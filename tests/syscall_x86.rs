//! The syscall layer driven as the runtime drives it: `handle` on a hand-built x86-64 guest
//! state. Expected values come from the host kernel itself (the same call made natively).

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
    fn take_invalidated(&mut self) -> Vec<std::ops::Range<u64>> {
        std::mem::take(&mut self.invalidated)
    }
    fn is_accessible(&self, addr: u64, _len: u64, _write: bool) -> bool {
        addr >= 4096
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
    // 335 is unassigned on x86-64, 999 beyond the table, and 134 (uselib) unknown to xlate.
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
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    let (_, s) = call(&mut l, &mut mm, 63, &[&mut u as *mut libc::utsname as u64]);
    assert_eq!(ret(&s), 0);
    let field = |f: &[libc::c_char]| -> String {
        f.iter().take_while(|&&c| c != 0).map(|&c| c as u8 as char).collect()
    };
    assert_eq!(field(&u.machine), "x86_64");
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
    unsafe { libc::close(fd) };
    std::fs::remove_file(&dir).unwrap();
}

#[test]
fn open_flags_keep_their_meaning() {
    // O_DIRECTORY on a regular file must fail with ENOTDIR, as natively.
    let file = CString::new("/proc/self/status").unwrap();
    let native = unsafe { libc::open(file.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY) };
    let native_errno = std::io::Error::last_os_error().raw_os_error().unwrap();
    assert_eq!((native, native_errno), (-1, libc::ENOTDIR));
    let (mut l, mut mm) = (layer(), TestMm::new());
    let flags = (libc::O_RDONLY | libc::O_DIRECTORY) as u64;
    let (_, s) = call(&mut l, &mut mm, 2, &[file.as_ptr() as u64, flags, 0]);
    assert_eq!(ret(&s), -(libc::ENOTDIR as i64));
    // And F_GETFL reports what the host's libc reports.
    let (_, s) = call(&mut l, &mut mm, 2, &[file.as_ptr() as u64, libc::O_RDONLY as u64, 0]);
    let fd = ret(&s);
    assert!(fd >= 0);
    let native_fl = unsafe { libc::fcntl(fd as i32, libc::F_GETFL) };
    let (_, s) = call(&mut l, &mut mm, 72, &[fd as u64, libc::F_GETFL as u64]);
    assert_eq!(ret(&s), native_fl as i64);
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
