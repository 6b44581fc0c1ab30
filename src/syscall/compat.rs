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
        poll => emulate_poll(cx, a),
        select => emulate_select(cx, a),
        pause => c(ppoll, [0, 0, 0, 0, 8, 0]),
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
#[derive(Clone, Copy, Default)]
struct Timespec {
    sec: i64,
    nsec: i64,
}

/// poll(fds, n, timeout_ms) is ppoll with the timeout as a timespec (none if negative).
fn emulate_poll(_cx: &mut Ctx, a: [u64; 6]) -> i64 {
    let ms = a[2] as i32;
    let mut ts = Timespec { sec: (ms / 1000) as i64, nsec: (ms % 1000) as i64 * 1_000_000 };
    let tsp = if ms < 0 { 0 } else { &mut ts as *mut Timespec as u64 };
    host::call(Sysno::ppoll, [a[0], a[1], tsp, 0, 8, 0])
}

/// select(n, r, w, e, timeval) is pselect6 with a timespec; like select, it writes the time
/// left back into the guest's timeval.
fn emulate_select(cx: &mut Ctx, a: [u64; 6]) -> i64 {
    let mut ts = Timespec::default();
    let mut tsp = 0;
    if a[4] != 0 {
        let Ok(b) = read_bytes(&*cx.mem, a[4], 16) else {
            return efault();
        };
        let sec = i64::from_le_bytes(b[..8].try_into().unwrap());
        let usec = i64::from_le_bytes(b[8..].try_into().unwrap());
        if sec < 0 || !(0..1_000_000).contains(&usec) {
            return -(libc::EINVAL as i64);
        }
        ts = Timespec { sec, nsec: usec * 1000 };
        tsp = &mut ts as *mut Timespec as u64;
    }
    let r = host::call(Sysno::pselect6, [a[0], a[1], a[2], a[3], tsp, 0]);
    if a[4] != 0 {
        let mut left = ts.sec.to_le_bytes().to_vec();
        left.extend((ts.nsec / 1000).to_le_bytes());
        // The kernel ignores a failure to write the remaining time back.
        let _ = write_bytes(&*cx.mem, a[4], &left);
    }
    r
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

/// time(t) is the seconds of clock_gettime(CLOCK_REALTIME), also stored at `t` if not NULL.
fn emulate_time(cx: &mut Ctx, a: [u64; 6]) -> i64 {
    let mut ts = Timespec::default();
    let r = host::call(
        Sysno::clock_gettime,
        [libc::CLOCK_REALTIME as u64, &mut ts as *mut Timespec as u64, 0, 0, 0, 0],
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
