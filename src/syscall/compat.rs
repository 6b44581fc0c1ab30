//! Emulations of calls the host kernel lacks, through the calls that replace them (AArch64 has
//! no open, stat, pipe, dup2, poll, select, fork, ...: only their *at / 2 / 3 / p / clone
//! forms). Used only where [`super::host::number`] says the host lacks the guest's call, so
//! the choice is made by the host's table, never by which guest is running. Each emulation
//! keeps the original call's semantics, including its errors.

use super::memory::{read_bytes, write_bytes};
use super::{host, Ctx, Sysno};

const AT_FDCWD: u64 = libc::AT_FDCWD as i64 as u64;

fn enosys() -> i64 {
    -(libc::ENOSYS as i64)
}

fn efault() -> i64 {
    -(libc::EFAULT as i64)
}

/// Whether [`emulate`] replaces `sys` (the calls x86-64 has and asm-generic lacks; the
/// treatment table's test checks that every forwarded call is either the host's own or one
/// of these).
pub fn replaces(sys: Sysno) -> bool {
    use Sysno::*;
    matches!(
        sys,
        open | creat
            | stat
            | lstat
            | access
            | pipe
            | dup2
            | poll
            | select
            | pause
            | alarm
            | time
            | getdents
            | readlink
            | unlink
            | rmdir
            | mkdir
            | mknod
            | rename
            | link
            | symlink
            | chmod
            | chown
            | lchown
            | getpgrp
            | epoll_create
            | epoll_wait
            | inotify_init
            | eventfd
            | signalfd
            | utime
            | utimes
            | futimesat
    )
}

/// Emulates `sys` with the guest's arguments `a` through other host calls, or -ENOSYS.
pub(crate) fn emulate(cx: &mut Ctx, sys: Sysno, a: [u64; 6]) -> i64 {
    use Sysno::*;
    let c = host::call;
    match sys {
        open => c(openat, [AT_FDCWD, a[0], a[1], a[2], 0, 0]),
        creat => {
            let flags = (libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC) as u64;
            c(openat, [AT_FDCWD, a[0], flags, a[1], 0, 0])
        }
        stat => c(newfstatat, [AT_FDCWD, a[0], a[1], 0, 0, 0]),
        lstat => c(newfstatat, [AT_FDCWD, a[0], a[1], libc::AT_SYMLINK_NOFOLLOW as u64, 0, 0]),
        // faccessat without flags is exactly access.
        access => c(faccessat, [AT_FDCWD, a[0], a[1], 0, 0, 0]),
        pipe => c(pipe2, [a[0], 0, 0, 0, 0, 0]),
        dup2 => emulate_dup2(a),
        pause | poll | select => match blocking_call(cx, sys, a) {
            Some(call) => run_blocking(cx, call),
            None => enosys(),
        },
        alarm => emulate_alarm(a),
        time => emulate_time(cx, a),
        getdents => emulate_getdents(cx, a),
        readlink => c(readlinkat, [AT_FDCWD, a[0], a[1], a[2], 0, 0]),
        unlink => c(unlinkat, [AT_FDCWD, a[0], 0, 0, 0, 0]),
        rmdir => c(unlinkat, [AT_FDCWD, a[0], libc::AT_REMOVEDIR as u64, 0, 0, 0]),
        mkdir => c(mkdirat, [AT_FDCWD, a[0], a[1], 0, 0, 0]),
        mknod => c(mknodat, [AT_FDCWD, a[0], a[1], a[2], 0, 0]),
        rename => c(renameat, [AT_FDCWD, a[0], AT_FDCWD, a[1], 0, 0]),
        link => c(linkat, [AT_FDCWD, a[0], AT_FDCWD, a[1], 0, 0]),
        symlink => c(symlinkat, [a[0], AT_FDCWD, a[1], 0, 0, 0]),
        chmod => c(fchmodat, [AT_FDCWD, a[0], a[1], 0, 0, 0]),
        chown => c(fchownat, [AT_FDCWD, a[0], a[1], a[2], 0, 0]),
        lchown => c(fchownat, [AT_FDCWD, a[0], a[1], a[2], libc::AT_SYMLINK_NOFOLLOW as u64, 0]),
        getpgrp => c(getpgid, [0; 6]),
        epoll_create => {
            if a[0] as i32 <= 0 {
                -(libc::EINVAL as i64)
            } else {
                c(epoll_create1, [0; 6])
            }
        }
        epoll_wait => c(epoll_pwait, [a[0], a[1], a[2], a[3], 0, 8]),
        inotify_init => c(inotify_init1, [0; 6]),
        eventfd => c(eventfd2, [a[0], 0, 0, 0, 0, 0]),
        signalfd => c(signalfd4, [a[0], a[1], a[2], 0, 0, 0]),
        utime => emulate_utime(cx, a),
        utimes => emulate_utimes(cx, AT_FDCWD, a[0], a[1]),
        futimesat => emulate_utimes(cx, a[0], a[1], a[2]),
        _ => enosys(),
    }
}

/// dup2 is dup3 without flags, except that dup2(fd, fd) returns fd (if open) where dup3
/// fails with EINVAL.
fn emulate_dup2(a: [u64; 6]) -> i64 {
    if a[0] as i32 == a[1] as i32 {
        let r = host::call(Sysno::fcntl, [a[0], libc::F_GETFD as u64, 0, 0, 0, 0]);
        return if r < 0 { r } else { a[1] as i32 as i64 };
    }
    host::call(Sysno::dup3, [a[0], a[1], 0, 0, 0, 0])
}

/// A `struct timespec` (the same on both ABIs).
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
struct Timespec {
    sec: i64,
    nsec: i64,
}

/// The host call that replaces a guest call that may block, built so that the runtime can
/// issue it without the world lock, as it issues every forwarded call (a thread in `poll` or
/// `pause` must not stop the other threads); `None` for calls that [`emulate`] runs itself.
/// The host call's timeout lives in the returned [`HostTimeout`], which must outlive it.
pub(crate) fn blocking_call(cx: &Ctx, sys: Sysno, a: [u64; 6]) -> Option<Result<BlockingCall, i64>> {
    use Sysno::*;
    Some(match sys {
        // pause is ppoll with no descriptors, no timeout and the mask unchanged.
        pause => Ok(BlockingCall { sys: ppoll, args: [0, 0, 0, 0, 8, 0], timeout: HostTimeout::none() }),
        poll => Ok(poll_call(a)),
        select => select_call(cx, a),
        _ => return None,
    })
}

/// A host call replacing a blocking guest call (see [`blocking_call`]).
#[derive(Debug)]
pub struct BlockingCall {
    pub sys: Sysno,
    pub args: [u64; 6],
    pub timeout: HostTimeout,
}

/// The host timespec a replacing call reads (and, for pselect6, writes back the time left
/// in), boxed so that its address stays put while the call is passed around; and where the
/// guest's select wants the time left, as a timeval.
#[derive(Debug)]
pub struct HostTimeout {
    ts: Option<Box<Timespec>>,
    guest_timeval: u64,
}

impl HostTimeout {
    fn none() -> Self {
        HostTimeout { ts: None, guest_timeval: 0 }
    }

    fn new(ts: Timespec, guest_timeval: u64) -> Self {
        HostTimeout { ts: Some(Box::new(ts)), guest_timeval }
    }

    /// The host address of the timespec (0 for none).
    fn ptr(&mut self) -> u64 {
        self.ts.as_deref_mut().map_or(0, |ts| ts as *mut Timespec as u64)
    }

    /// The guest's result of the host call that returned `r`: for select, the time left
    /// written back into the guest's timeval, as select does (the kernel ignores a failure
    /// to write it).
    pub(crate) fn finish(self, mem: &dyn super::GuestMm, r: i64) -> i64 {
        if let (Some(ts), true) = (self.ts, self.guest_timeval != 0) {
            let mut left = ts.sec.to_le_bytes().to_vec();
            left.extend((ts.nsec / 1000).to_le_bytes());
            let _ = write_bytes(mem, self.guest_timeval, &left);
        }
        r
    }
}

/// poll(fds, n, timeout_ms) is ppoll with the timeout as a timespec (none if negative).
fn poll_call(a: [u64; 6]) -> BlockingCall {
    let ms = a[2] as i32;
    let mut timeout = if ms < 0 {
        HostTimeout::none()
    } else {
        HostTimeout::new(Timespec { sec: (ms / 1000) as i64, nsec: (ms % 1000) as i64 * 1_000_000 }, 0)
    };
    let tsp = timeout.ptr();
    BlockingCall { sys: Sysno::ppoll, args: [a[0], a[1], tsp, 0, 8, 0], timeout }
}

/// select(n, r, w, e, timeval) is pselect6 with a timespec; like select, it writes the time
/// left back into the guest's timeval.
fn select_call(cx: &Ctx, a: [u64; 6]) -> Result<BlockingCall, i64> {
    let mut timeout = HostTimeout::none();
    if a[4] != 0 {
        let Ok(b) = read_bytes(&*cx.mem, a[4], 16) else {
            return Err(efault());
        };
        let sec = i64::from_le_bytes(b[..8].try_into().unwrap());
        let usec = i64::from_le_bytes(b[8..].try_into().unwrap());
        if sec < 0 || !(0..1_000_000).contains(&usec) {
            return Err(-(libc::EINVAL as i64));
        }
        timeout = HostTimeout::new(Timespec { sec, nsec: usec * 1000 }, a[4]);
    }
    let tsp = timeout.ptr();
    Ok(BlockingCall { sys: Sysno::pselect6, args: [a[0], a[1], a[2], a[3], tsp, 0], timeout })
}

/// Runs a [`blocking_call`] here, under the lock (for callers that do not forward it).
fn run_blocking(cx: &mut Ctx, call: Result<BlockingCall, i64>) -> i64 {
    match call {
        Ok(call) => {
            let r = host::call(call.sys, call.args);
            call.timeout.finish(&*cx.mem, r)
        }
        Err(e) => e,
    }
}

/// An `struct itimerval` (the same on both ABIs).
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Itimerval {
    interval: (i64, i64),
    value: (i64, i64),
}

/// alarm(s) is setitimer(ITIMER_REAL) with a one-shot value; it returns the seconds that were
/// left, rounded as the kernel's alarm_setitimer does (up from half a second, at least 1 if
/// any time was left).
fn emulate_alarm(a: [u64; 6]) -> i64 {
    let new = Itimerval { interval: (0, 0), value: (a[0] as u32 as i64, 0) };
    let mut old = Itimerval::default();
    let r = host::call(
        Sysno::setitimer,
        [
            libc::ITIMER_REAL as u64,
            &new as *const Itimerval as u64,
            &mut old as *mut Itimerval as u64,
            0,
            0,
            0,
        ],
    );
    if r < 0 {
        return r;
    }
    let (sec, usec) = old.value;
    if (sec == 0 && usec != 0) || usec >= 500_000 {
        sec + 1
    } else {
        sec
    }
}

/// time(t) is the seconds of clock_gettime(CLOCK_REALTIME_COARSE), also stored at `t` if
/// not NULL. The kernel's time() reads the tick-updated wall clock, which is what the coarse
/// clock reads too; CLOCK_REALTIME can already be a second ahead of it.
fn emulate_time(cx: &mut Ctx, a: [u64; 6]) -> i64 {
    let mut ts = Timespec::default();
    let r = host::call(
        Sysno::clock_gettime,
        [libc::CLOCK_REALTIME_COARSE as u64, &mut ts as *mut Timespec as u64, 0, 0, 0, 0],
    );
    if r < 0 {
        return r;
    }
    if a[0] != 0 && write_bytes(&*cx.mem, a[0], &ts.sec.to_le_bytes()).is_err() {
        return efault();
    }
    ts.sec
}

/// getdents (the old `struct linux_dirent`) through getdents64. Both records have the same
/// length for the same name (8+8+2 bytes, the name and its NUL, then d_type in the old
/// record's last byte versus before the name in the new one; both rounded up to 8), so the
/// buffer the kernel filled is rewritten in place.
fn emulate_getdents(cx: &mut Ctx, a: [u64; 6]) -> i64 {
    let r = host::call(Sysno::getdents64, [a[0], a[1], a[2], 0, 0, 0]);
    if r <= 0 {
        return r;
    }
    let Ok(mut buf) = read_bytes(&*cx.mem, a[1], r as usize) else {
        return efault();
    };
    let mut at = 0;
    while at + 19 <= buf.len() {
        let reclen = u16::from_le_bytes([buf[at + 16], buf[at + 17]]) as usize;
        if reclen < 20 || at + reclen > buf.len() {
            break;
        }
        let d_type = buf[at + 18];
        let rec = &mut buf[at..at + reclen];
        // Name (with its NUL) moves one byte down, over the old d_type.
        rec.copy_within(19..reclen, 18);
        rec[reclen - 1] = d_type;
        at += reclen;
    }
    if write_bytes(&*cx.mem, a[1], &buf).is_err() {
        return efault();
    }
    r
}

/// Reads a guest `[i64; 2 * n]` (pairs of seconds and sub-seconds).
fn read_pairs(cx: &Ctx, addr: u64, n: usize) -> Option<Vec<(i64, i64)>> {
    let b = read_bytes(&*cx.mem, addr, 16 * n).ok()?;
    Some(
        b.chunks(16)
            .map(|p| {
                let x = i64::from_le_bytes(p[..8].try_into().unwrap());
                let y = i64::from_le_bytes(p[8..].try_into().unwrap());
                (x, y)
            })
            .collect(),
    )
}

fn utimensat(dirfd: u64, path: u64, times: Option<[Timespec; 2]>) -> i64 {
    let ptr = times.as_ref().map_or(0, |t| t.as_ptr() as u64);
    host::call(Sysno::utimensat, [dirfd, path, ptr, 0, 0, 0])
}

/// utime(path, {actime, modtime}) is utimensat with whole seconds.
fn emulate_utime(cx: &mut Ctx, a: [u64; 6]) -> i64 {
    if a[1] == 0 {
        return utimensat(AT_FDCWD, a[0], None);
    }
    let Some(t) = read_pairs(cx, a[1], 1) else {
        return efault();
    };
    let (actime, modtime) = t[0];
    utimensat(AT_FDCWD, a[0], Some([Timespec { sec: actime, nsec: 0 }, Timespec { sec: modtime, nsec: 0 }]))
}

/// utimes/futimesat(dirfd, path, timeval[2]) is utimensat with microseconds as nanoseconds.
fn emulate_utimes(cx: &mut Ctx, dirfd: u64, path: u64, times: u64) -> i64 {
    if times == 0 {
        return utimensat(dirfd, path, None);
    }
    let Some(t) = read_pairs(cx, times, 2) else {
        return efault();
    };
    if t.iter().any(|&(_, usec)| !(0..1_000_000).contains(&usec)) {
        return -(libc::EINVAL as i64);
    }
    let ts = |(sec, usec): (i64, i64)| Timespec { sec, nsec: usec * 1000 };
    utimensat(dirfd, path, Some([ts(t[0]), ts(t[1])]))
}

/// Each emulation against the host's own call (these run on x86-64 hosts, which have both).
#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use crate::syscall::abi::x86_64::INFO;
    use crate::syscall::memory::TestMm;
    use crate::syscall::signal::SignalDelivery;
    use crate::syscall::{Errno, GuestMm, GuestRegs, Segment};
    use std::ffi::CString;
    use std::path::PathBuf;

    /// Registers with no guest behind them, for the handlers' unit tests.
    #[derive(Default)]
    struct TestRegs;

    impl GuestRegs for TestRegs {
        fn syscall_number(&self) -> u64 {
            0
        }
        fn syscall_args(&self) -> [u64; 6] {
            [0; 6]
        }
        fn set_syscall_result(&mut self, _value: u64) {}
        fn rewind_syscall(&mut self) {}
        fn signal_recorded(&self) -> bool {
            false
        }
        fn segment_base(&mut self, _segment: Segment) -> Option<&mut u64> {
            None
        }
        fn stack_pointer(&self) -> u64 {
            0
        }
        fn set_stack_pointer(&mut self, _sp: u64) {}
        fn set_thread_pointer(&mut self, _tp: u64) {}
        fn push_signal_frame(&mut self, _mem: &dyn GuestMm, _d: &SignalDelivery) -> Result<(), Errno> {
            Err(libc::EFAULT)
        }
        fn pop_signal_frame(
            &mut self,
            _mem: &dyn GuestMm,
        ) -> Result<super::super::signal::PoppedFrame, Errno> {
            Err(libc::EFAULT)
        }
    }

    fn emu(sys: Sysno, a: &[u64]) -> i64 {
        let mut args = [0u64; 6];
        args[..a.len()].copy_from_slice(a);
        let mut mem = TestMm;
        let mut regs = TestRegs;
        let mut cx = Ctx { abi: &INFO, mem: &mut mem, regs: &mut regs };
        emulate(&mut cx, sys, args)
    }

    fn native(sys: Sysno, a: &[u64]) -> i64 {
        let mut args = [0u64; 6];
        args[..a.len()].copy_from_slice(a);
        host::call(sys, args)
    }

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("xlate-compat-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn cstr(p: &std::path::Path) -> CString {
        CString::new(p.to_str().unwrap()).unwrap()
    }

    fn close(fd: i64) {
        assert!(fd >= 0);
        host::call(Sysno::close, [fd as u64, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn open_stat_lstat_access_match_native() {
        let d = temp_dir("stat");
        std::fs::write(d.join("f"), b"12345").unwrap();
        std::os::unix::fs::symlink(d.join("f"), d.join("l")).unwrap();
        for name in ["f", "l", "missing"] {
            let p = cstr(&d.join(name));
            let pp = p.as_ptr() as u64;
            for sys in [Sysno::stat, Sysno::lstat] {
                let (mut a, mut b) = ([0u8; 144], [0u8; 144]);
                let ra = emu(sys, &[pp, a.as_mut_ptr() as u64]);
                let rb = native(sys, &[pp, b.as_mut_ptr() as u64]);
                assert_eq!(ra, rb, "{name} {sys:?}");
                assert_eq!(a, b, "{name} {sys:?}");
            }
            for mode in [libc::F_OK, libc::R_OK, libc::W_OK | libc::X_OK] {
                let m = mode as u64;
                assert_eq!(emu(Sysno::access, &[pp, m]), native(Sysno::access, &[pp, m]));
            }
            let (fa, fb) = (emu(Sysno::open, &[pp, 0, 0]), native(Sysno::open, &[pp, 0, 0]));
            assert_eq!(fa < 0, fb < 0, "{name}");
            if fa >= 0 {
                close(fa);
                close(fb);
            } else {
                assert_eq!(fa, fb);
            }
        }
        // creat makes an empty file, truncating an existing one.
        let p = cstr(&d.join("f"));
        let fd = emu(Sysno::creat, &[p.as_ptr() as u64, 0o600]);
        close(fd);
        assert_eq!(std::fs::metadata(d.join("f")).unwrap().len(), 0);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn directory_calls_match_native_effects() {
        let d = temp_dir("dirs");
        let p = |n: &str| cstr(&d.join(n));
        let (a, b, c) = (p("a"), p("b"), p("c"));
        let ptr = |s: &CString| s.as_ptr() as u64;
        assert_eq!(emu(Sysno::mkdir, &[ptr(&a), 0o755]), 0);
        assert!(d.join("a").is_dir());
        assert_eq!(emu(Sysno::mkdir, &[ptr(&a), 0o755]), -(libc::EEXIST as i64));
        assert_eq!(emu(Sysno::rename, &[ptr(&a), ptr(&b)]), 0);
        assert!(d.join("b").is_dir() && !d.join("a").exists());
        assert_eq!(emu(Sysno::rmdir, &[ptr(&b)]), 0);
        assert!(!d.join("b").exists());
        std::fs::write(d.join("a"), b"x").unwrap();
        assert_eq!(emu(Sysno::link, &[ptr(&a), ptr(&b)]), 0);
        assert_eq!(std::fs::read(d.join("b")).unwrap(), b"x");
        assert_eq!(emu(Sysno::symlink, &[ptr(&a), ptr(&c)]), 0);
        let mut buf = [0u8; 256];
        let n = emu(Sysno::readlink, &[ptr(&c), buf.as_mut_ptr() as u64, 256]);
        assert_eq!(&buf[..n as usize], d.join("a").to_str().unwrap().as_bytes());
        assert_eq!(emu(Sysno::chmod, &[ptr(&a), 0o640]), 0);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(d.join("a")).unwrap().permissions().mode() & 0o777, 0o640);
        // SAFETY: getuid and getgid take no arguments and cannot fail.
        let (uid, gid) = (unsafe { libc::getuid() } as u64, unsafe { libc::getgid() } as u64);
        assert_eq!(emu(Sysno::chown, &[ptr(&a), uid, gid]), 0);
        assert_eq!(emu(Sysno::lchown, &[ptr(&c), uid, gid]), 0);
        assert_eq!(emu(Sysno::unlink, &[ptr(&b)]), 0);
        assert_eq!(emu(Sysno::unlink, &[ptr(&b)]), -(libc::ENOENT as i64));
        // utime and utimes set the modification time.
        let times: [i64; 2] = [1_000_000_000, 1_100_000_000];
        assert_eq!(emu(Sysno::utime, &[ptr(&a), times.as_ptr() as u64]), 0);
        use std::os::unix::fs::MetadataExt;
        assert_eq!(std::fs::metadata(d.join("a")).unwrap().mtime(), 1_100_000_000);
        let tv: [i64; 4] = [5, 0, 1_200_000_000, 250_000];
        assert_eq!(emu(Sysno::utimes, &[ptr(&a), tv.as_ptr() as u64]), 0);
        let m = std::fs::metadata(d.join("a")).unwrap();
        assert_eq!((m.mtime(), m.mtime_nsec()), (1_200_000_000, 250_000_000));
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// The old `linux_dirent` records, parsed: (ino, off, reclen, name, type).
    fn parse_dirents(buf: &[u8]) -> Vec<(u64, u64, u16, Vec<u8>, u8)> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < buf.len() {
            let ino = u64::from_le_bytes(buf[at..at + 8].try_into().unwrap());
            let off = u64::from_le_bytes(buf[at + 8..at + 16].try_into().unwrap());
            let reclen = u16::from_le_bytes([buf[at + 16], buf[at + 17]]);
            let rec = &buf[at..at + reclen as usize];
            let name: Vec<u8> = rec[18..].iter().take_while(|&&b| b != 0).copied().collect();
            out.push((ino, off, reclen, name, rec[reclen as usize - 1]));
            at += reclen as usize;
        }
        out
    }

    #[test]
    fn getdents_matches_native_getdents() {
        let d = temp_dir("getdents");
        for n in ["a", "bb", "ccccccc", "dddddddd", "a-much-longer-name-of-a-file.txt"] {
            std::fs::write(d.join(n), b"").unwrap();
        }
        std::fs::create_dir(d.join("sub")).unwrap();
        let p = cstr(&d);
        let flags = (libc::O_RDONLY | libc::O_DIRECTORY) as u64;
        let fa = native(Sysno::open, &[p.as_ptr() as u64, flags, 0]);
        let fb = native(Sysno::open, &[p.as_ptr() as u64, flags, 0]);
        let (mut a, mut b) = (vec![0u8; 4096], vec![0u8; 4096]);
        let ra = emu(Sysno::getdents, &[fa as u64, a.as_mut_ptr() as u64, 4096]);
        let rb = native(Sysno::getdents, &[fb as u64, b.as_mut_ptr() as u64, 4096]);
        assert!(rb > 0);
        assert_eq!(ra, rb);
        let (pa, pb) = (parse_dirents(&a[..ra as usize]), parse_dirents(&b[..rb as usize]));
        assert_eq!(pa.len(), 8, "., .., five files and sub");
        assert_eq!(pa, pb);
        close(fa);
        close(fb);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn pipe_dup2_poll_select_match_native() {
        let mut fds = [0i32; 2];
        assert_eq!(emu(Sysno::pipe, &[fds.as_mut_ptr() as u64]), 0);
        let (r, w) = (fds[0] as u64, fds[1] as u64);
        // dup2 onto itself returns the fd; of a closed fd, EBADF; onto another fd, that fd.
        assert_eq!(emu(Sysno::dup2, &[r, r]), native(Sysno::dup2, &[r, r]));
        assert_eq!(emu(Sysno::dup2, &[999, 999]), native(Sysno::dup2, &[999, 999]));
        assert_eq!(emu(Sysno::dup2, &[999, 998]), native(Sysno::dup2, &[999, 998]));
        assert_eq!(emu(Sysno::dup2, &[r, 500]), 500);
        close(500);
        // poll: nothing to read yet (timeout 0), then readable.
        let mut pfd: [i32; 2] = [fds[0], libc::POLLIN as i32];
        let pp = pfd.as_mut_ptr() as u64;
        assert_eq!(emu(Sysno::poll, &[pp, 1, 0]), native(Sysno::poll, &[pp, 1, 0]));
        assert_eq!(host::call(Sysno::write, [w, b"x".as_ptr() as u64, 1, 0, 0, 0]), 1);
        let e = emu(Sysno::poll, &[pp, 1, 1000]);
        let e_revents = pfd[1] >> 16;
        let n = native(Sysno::poll, &[pp, 1, 1000]);
        assert_eq!((e, e_revents), (n, pfd[1] >> 16));
        assert_eq!((e, e_revents), (1, libc::POLLIN as i32));
        // select on the readable pipe, and with a 10 ms timeout on the empty write side's
        // read set (times out, leaves zero time).
        let mut set = [0u64; 16];
        set[0] = 1 << fds[0];
        let mut tv: [i64; 2] = [0, 10_000];
        let nfds = fds[0] as u64 + 1;
        let r1 = emu(Sysno::select, &[nfds, set.as_mut_ptr() as u64, 0, 0, tv.as_mut_ptr() as u64]);
        assert_eq!((r1, set[0]), (1, 1 << fds[0]));
        let mut buf = [0u8; 1];
        host::call(Sysno::read, [r, buf.as_mut_ptr() as u64, 1, 0, 0, 0]);
        let mut tv: [i64; 2] = [0, 10_000];
        let r2 = emu(Sysno::select, &[nfds, set.as_mut_ptr() as u64, 0, 0, tv.as_mut_ptr() as u64]);
        assert_eq!((r2, set[0], tv), (0, 0, [0, 0]));
        close(r as i64);
        close(w as i64);
    }

    #[test]
    fn alarm_time_and_small_calls_match_native() {
        // alarm returns the seconds left on the previous alarm (none at first), rounded as
        // the kernel rounds: each side reads the other's timer.
        assert_eq!(emu(Sysno::alarm, &[100]), 0);
        assert_eq!(native(Sysno::alarm, &[50]), 100);
        assert_eq!(emu(Sysno::alarm, &[0]), 50);
        assert_eq!(native(Sysno::alarm, &[0]), 0);
        let mut t_emu = 0i64;
        let e = emu(Sysno::time, &[&mut t_emu as *mut i64 as u64]);
        let n = native(Sysno::time, &[0]);
        assert!(e == t_emu && (n - e) <= 1 && n >= e);
        assert_eq!(emu(Sysno::time, &[8]), -(libc::EFAULT as i64));
        assert_eq!(emu(Sysno::getpgrp, &[]), native(Sysno::getpgrp, &[]));
        assert_eq!(emu(Sysno::epoll_create, &[0]), native(Sysno::epoll_create, &[0]));
        for sys in [Sysno::epoll_create, Sysno::eventfd, Sysno::inotify_init] {
            let fd = emu(sys, &[1]);
            assert!(fd >= 0, "{sys:?}");
            close(fd);
        }
        let mask: u64 = 1 << (libc::SIGUSR2 - 1);
        let m = &mask as *const u64 as u64;
        let fd = emu(Sysno::signalfd, &[-1i64 as u64, m, 8]);
        close(fd);
        assert_eq!(
            emu(Sysno::signalfd, &[-1i64 as u64, m, 4]),
            native(Sysno::signalfd, &[-1i64 as u64, m, 4])
        );
    }
}
