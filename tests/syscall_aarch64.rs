//! The syscall layer driven with a hand-built AArch64 guest state: asm-generic numbers, x8 and
//! x0..x5, the asm-generic `struct stat` and open flags. Expected values come from the host
//! kernel (the same call made natively) and from the kernel headers' layouts.

use std::ffi::CString;
use std::ops::Range;
use xlate::frontend::aarch64::A64State;
use xlate::syscall::abi::aarch64::Aarch64;
use xlate::syscall::convert::{from_bytes, GenericStat};
use xlate::syscall::{GuestMm, SyscallLayer, SyscallOutcome};

struct TestMm {
    brk: u64,
}

impl GuestMm for TestMm {
    fn brk(&mut self, addr: u64) -> u64 {
        if addr != 0 {
            self.brk = addr;
        }
        self.brk
    }
    fn mmap(&mut self, _: u64, _: u64, _: u64, _: u64, _: u64, _: u64) -> i64 {
        -(libc::ENOMEM as i64)
    }
    fn munmap(&mut self, _: u64, _: u64) -> i64 {
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
    fn take_invalidated(&mut self) -> Vec<Range<u64>> {
        Vec::new()
    }
    fn is_accessible(&self, addr: u64, _len: u64, _write: bool) -> bool {
        addr >= 4096
    }
    /// No mappings: these tests never read /proc/self/maps.
    fn regions(&self) -> Vec<(std::ops::Range<u64>, i32)> {
        Vec::new()
    }
}

fn call(l: &mut SyscallLayer, mm: &mut TestMm, nr: u64, args: &[u64]) -> (SyscallOutcome, A64State) {
    let mut s = A64State::default();
    s.x[8] = nr;
    s.x[..args.len()].copy_from_slice(args);
    s.x[9] = 0x9999;
    s.pc = 0x40_0000;
    let outcome = l.handle::<Aarch64>(&mut s, mm);
    (outcome, s)
}

fn layer() -> SyscallLayer {
    SyscallLayer::new(std::path::Path::new("/bin/guest"), false)
}

#[test]
fn write_getpid_unknown_exit() {
    let (mut l, mut mm) = (layer(), TestMm { brk: 0x50_0000 });
    let mut fds = [0i32; 2];
    // SAFETY: a libc call on buffers, paths and fds this test owns and keeps alive.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let msg = b"arm says hi";
    let (o, s) = call(&mut l, &mut mm, 64, &[fds[1] as u64, msg.as_ptr() as u64, msg.len() as u64]);
    assert_eq!((o, s.x[0]), (SyscallOutcome::Continue, msg.len() as u64));
    // Only x0 changes.
    assert_eq!((s.x[8], s.x[9], s.x[1]), (64, 0x9999, msg.as_ptr() as u64));
    let mut buf = [0u8; 32];
    // SAFETY: a libc call on buffers, paths and fds this test owns and keeps alive.
    let n = unsafe { libc::read(fds[0], buf.as_mut_ptr().cast(), 32) };
    assert_eq!(&buf[..n as usize], msg);
    unsafe {
        libc::close(fds[0]);
        libc::close(fds[1]);
    }
    let (_, s) = call(&mut l, &mut mm, 172, &[]);
    assert_eq!(s.x[0], std::process::id() as u64);
    // 244 and 259 are asm-generic's range for per-architecture calls, unused on arm64; 1000
    // is beyond the table.
    for nr in [244u64, 1000, 259] {
        let (_, s) = call(&mut l, &mut mm, nr, &[]);
        assert_eq!(s.x[0] as i64, -(libc::ENOSYS as i64), "nr {nr}");
    }
    assert_eq!(call(&mut l, &mut mm, 94, &[42]).0, SyscallOutcome::Exit(42));
    assert_eq!(call(&mut l, &mut mm, 214, &[0]).1.x[0], 0x50_0000);
}

#[test]
fn fstat_is_asm_generic_layout() {
    let path = std::env::temp_dir().join(format!("xlate-a64-fstat-{}", std::process::id()));
    std::fs::write(&path, vec![0u8; 777]).unwrap();
    let c = CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a libc call on buffers, paths and fds this test owns and keeps alive.
    let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDONLY) };
    let mut native: libc::stat = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::fstat(fd, &mut native) }, 0);
    let (mut l, mut mm) = (layer(), TestMm { brk: 0 });
    let mut buf = [0xaau8; 160];
    let (_, s) = call(&mut l, &mut mm, 80, &[fd as u64, buf.as_mut_ptr() as u64]);
    assert_eq!(s.x[0], 0);
    // Exactly 128 bytes written (sizeof(struct stat) in asm-generic).
    assert!(buf[128..].iter().all(|&b| b == 0xaa));
    let st: GenericStat = from_bytes(&buf);
    assert_eq!(st.st_ino, native.st_ino);
    assert_eq!(st.st_mode, native.st_mode);
    assert_eq!(st.st_nlink as u64, native.st_nlink as u64);
    assert_eq!(st.st_size, 777);
    assert_eq!(st.st_blocks, native.st_blocks);
    assert_eq!(st.st_blksize as i64, native.st_blksize as i64);
    assert_eq!(st.st_mtime, native.st_mtime);
    assert_eq!(st.st_mtime_nsec as i64, native.st_mtime_nsec as i64);
    // SAFETY: a libc call on buffers, paths and fds this test owns and keeps alive.
    unsafe { libc::close(fd) };
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn arm64_open_flags_and_uname() {
    let (mut l, mut mm) = (layer(), TestMm { brk: 0 });
    let file = CString::new("/proc/self/status").unwrap();
    let at_fdcwd = libc::AT_FDCWD as i64 as u64;
    // arm64's O_DIRECTORY (0o40000) on a regular file: ENOTDIR, whatever the host's value.
    let (_, s) = call(&mut l, &mut mm, 56, &[at_fdcwd, file.as_ptr() as u64, 0o40000, 0]);
    assert_eq!(s.x[0] as i64, -(libc::ENOTDIR as i64));
    let dir = CString::new("/proc").unwrap();
    let (_, s) = call(&mut l, &mut mm, 56, &[at_fdcwd, dir.as_ptr() as u64, 0o40000, 0]);
    let fd = s.x[0] as i64;
    assert!(fd >= 0);
    // F_GETFL reports arm64's O_DIRECTORY bit, and arm64's O_LARGEFILE exactly when the host
    // kernel reports its own (a 64-bit kernel adds it to every open; qemu-user, under which the
    // AArch64 build of this test runs, does not show it).
    let (_, s) = call(&mut l, &mut mm, 25, &[fd as u64, libc::F_GETFL as u64]);
    assert_eq!(s.x[0] & 0o40000, 0o40000);
    assert_eq!(s.x[0] & 0o200000, 0, "no x86 O_DIRECTORY bit (arm64 O_DIRECT)");
    // SAFETY: a libc call on buffers, paths and fds this test owns and keeps alive.
    let native = unsafe { libc::fcntl(fd as i32, libc::F_GETFL) } as u64;
    let host_largefile = if cfg!(target_arch = "x86_64") { 0o100000 } else { 0o400000 };
    let expect_largefile = if native & host_largefile != 0 { 0o400000 } else { 0 };
    assert_eq!(s.x[0] & 0o400000, expect_largefile);
    unsafe { libc::close(fd as i32) };
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    let (_, s) = call(&mut l, &mut mm, 160, &[&mut u as *mut libc::utsname as u64]);
    assert_eq!(s.x[0], 0);
    let machine: String = u.machine.iter().take_while(|&&c| c != 0).map(|&c| c as u8 as char).collect();
    assert_eq!(machine, "aarch64");
}

#[test]
fn clone_as_fork_runs_the_child() {
    let (mut l, mut mm) = (layer(), TestMm { brk: 0 });
    // glibc's fork: clone(CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD, 0, NULL,
    // tls, &tid) in arm64's argument order (tls before child_tid).
    let mut tid: i32 = 0;
    let flags = (libc::CLONE_CHILD_SETTID | libc::CLONE_CHILD_CLEARTID | libc::SIGCHLD) as u64;
    let (_, s) = call(&mut l, &mut mm, 220, &[flags, 0, 0, 0, &mut tid as *mut i32 as u64]);
    let pid = s.x[0] as i64;
    if pid == 0 {
        // The child: its own tid was stored at child_tid.
        // SAFETY: gettid takes no arguments and cannot fail.
        let code = if tid == unsafe { libc::gettid() } { 7 } else { 1 };
        unsafe { libc::_exit(code) };
    }
    assert!(pid > 0);
    let mut status = 0;
    assert_eq!(unsafe { libc::waitpid(pid as i32, &mut status, 0) }, pid as i32);
    assert!(libc::WIFEXITED(status));
    assert_eq!(libc::WEXITSTATUS(status), 7);
    // Threads are not supported yet.
    let thread = (libc::CLONE_VM | libc::CLONE_THREAD | libc::CLONE_SIGHAND) as u64;
    let (_, s) = call(&mut l, &mut mm, 220, &[thread, 0x1000_0000, 0, 0, 0]);
    assert_eq!(s.x[0] as i64, -(libc::ENOSYS as i64));
}

/// epoll with asm-generic's 16-byte `struct epoll_event` (x86-64 hosts use a packed 12-byte
/// one): the data word registered comes back with the event.
#[test]
fn epoll_events_in_the_guest_layout() {
    let (mut l, mut mm) = (layer(), TestMm { brk: 0 });
    let (_, s) = call(&mut l, &mut mm, 20, &[libc::EPOLL_CLOEXEC as u64]); // epoll_create1
    let ep = s.x[0] as i64;
    assert!(ep >= 0);
    let mut fds = [0i32; 2];
    // SAFETY: a libc call on buffers, paths and fds this test owns and keeps alive.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // events (u32), padding, data (u64)
    let mut ev = [0u8; 16];
    ev[..4].copy_from_slice(&(libc::EPOLLIN as u32).to_le_bytes());
    ev[8..].copy_from_slice(&0x1122_3344_5566_7788u64.to_le_bytes());
    let add = libc::EPOLL_CTL_ADD as u64;
    let (_, s) = call(&mut l, &mut mm, 21, &[ep as u64, add, fds[0] as u64, ev.as_ptr() as u64]);
    assert_eq!(s.x[0], 0);
    // SAFETY: a libc call on buffers, paths and fds this test owns and keeps alive.
    assert_eq!(unsafe { libc::write(fds[1], b"x".as_ptr().cast(), 1) }, 1);
    let mut out = [0xeeu8; 40];
    // epoll_pwait(ep, events, maxevents 2, timeout 1000 ms, NULL, 8)
    let (_, s) = call(&mut l, &mut mm, 22, &[ep as u64, out.as_mut_ptr() as u64, 2, 1000, 0, 8]);
    assert_eq!(s.x[0], 1);
    assert_eq!(u32::from_le_bytes(out[..4].try_into().unwrap()), libc::EPOLLIN as u32);
    assert_eq!(u64::from_le_bytes(out[8..16].try_into().unwrap()), 0x1122_3344_5566_7788);
    assert!(out[16..].iter().all(|&b| b == 0xee), "one 16-byte event written");
    let (_, s) = call(&mut l, &mut mm, 22, &[ep as u64, out.as_mut_ptr() as u64, 0, 0, 0, 8]);
    assert_eq!(s.x[0] as i64, -(libc::EINVAL as i64));
    // SAFETY: a libc call on buffers, paths and fds this test owns and keeps alive.
    unsafe {
        libc::close(fds[0]);
        libc::close(fds[1]);
        libc::close(ep as i32);
    }
}
