//! File-system calls whose arguments or results need more than forwarding: the stat family
//! (struct layout), open and fcntl (open-flag encodings), readlink of /proc/self/exe (the
//! guest's path, not xlate's), and epoll (event layout).

use super::convert::{self, HostStat, Stat};
use super::memory::{read_bytes, read_cstr, write_bytes};
use super::{err, forward, host, procfs, Action, Ctx, Sysno};
use std::path::Path;

/// PATH_MAX: the longest path the kernel accepts, with its NUL.
const PATH_MAX: usize = 4096;

/// stat, lstat, fstat, newfstatat: the host fills its own `struct stat`, converted to the
/// guest's layout.
pub(crate) fn stat(cx: &mut Ctx, sys: Sysno, a: [u64; 6]) -> Action {
    let at_fdcwd = libc::AT_FDCWD as i64 as u64;
    let nofollow = libc::AT_SYMLINK_NOFOLLOW as u64;
    let mut hs = HostStat::default();
    let buf = &mut hs as *mut HostStat as u64;
    let (ret, guest_buf) = match sys {
        Sysno::fstat => (host::call(Sysno::fstat, [a[0], buf, 0, 0, 0, 0]), a[1]),
        Sysno::stat => (host::call(Sysno::newfstatat, [at_fdcwd, a[0], buf, 0, 0, 0]), a[1]),
        Sysno::lstat => (host::call(Sysno::newfstatat, [at_fdcwd, a[0], buf, nofollow, 0, 0]), a[1]),
        Sysno::newfstatat => (host::call(Sysno::newfstatat, [a[0], a[1], buf, a[3], 0, 0]), a[2]),
        _ => return err(libc::ENOSYS),
    };
    if ret < 0 {
        return Action::Ret(ret);
    }
    let bytes = match Stat::from(hs).to_layout(cx.abi.stat) {
        Ok(b) => b,
        Err(e) => return err(e),
    };
    match write_bytes(&*cx.mem, guest_buf, &bytes) {
        Ok(()) => Action::Ret(0),
        Err(e) => err(e),
    }
}

/// open, openat, creat: the open flags re-encoded for the host, and /proc/self/exe opened as
/// the guest program (not xlate).
///
/// Also the calls whose flags include open flags: openat2 (`struct open_how`'s `flags`,
/// copied and converted), open_by_handle_at, and fanotify_init's `event_f_flags`.
pub(crate) fn open(cx: &mut Ctx, sys: Sysno, a: [u64; 6], exe: &Path, view: &procfs::ProcView) -> Action {
    let to_host = |f: u64| cx.abi.open_flags.convert(&host::HOST.open_flags, f);
    // openat2's open_how, converted; it must live until the call.
    let mut how: Vec<u8> = Vec::new();
    let mut args = match sys {
        Sysno::open => [a[0], to_host(a[1]), a[2], 0, 0, 0],
        Sysno::openat => [a[0], a[1], to_host(a[2]), a[3], 0, 0],
        Sysno::openat2 => {
            // Linux: EINVAL below the first version's 24 bytes, E2BIG above a page.
            if a[3] < 24 {
                return err(libc::EINVAL);
            }
            if a[3] > 4096 {
                return err(libc::E2BIG);
            }
            how = match read_bytes(&*cx.mem, a[2], a[3] as usize) {
                Ok(b) => b,
                Err(e) => return err(e),
            };
            let flags = u64::from_le_bytes(how[..8].try_into().expect("24 bytes or more"));
            how[..8].copy_from_slice(&to_host(flags).to_le_bytes());
            [a[0], a[1], how.as_ptr() as u64, a[3], 0, 0]
        }
        Sysno::open_by_handle_at => [a[0], a[1], to_host(a[2]), 0, 0, 0],
        Sysno::fanotify_init => return Action::Ret(forward(cx, sys, [a[0], to_host(a[1]), 0, 0, 0, 0])),
        _ => a,
    };
    let path_slot = match sys {
        Sysno::openat | Sysno::openat2 => 1,
        Sysno::open_by_handle_at => return Action::Ret(forward(cx, sys, args)),
        _ => 0,
    };
    let path = read_cstr(&*cx.mem, args[path_slot], PATH_MAX);
    if let Some(file) = path.as_deref().ok().and_then(procfs::which) {
        // The access mode, in the host's encoding; creat always opens for writing.
        let flags = match sys {
            Sysno::open => args[1],
            Sysno::openat => args[2],
            Sysno::openat2 => u64::from_le_bytes(how[..8].try_into().expect("read 24 bytes or more")),
            _ => libc::O_WRONLY as u64,
        };
        return procfs::open(file, flags, view, cx.mem);
    }
    let exe_c;
    if path.is_ok_and(|p| is_proc_self_exe(&p)) {
        use std::os::unix::ffi::OsStrExt;
        let Ok(c) = std::ffi::CString::new(exe.as_os_str().as_bytes()) else {
            return err(libc::ENOENT);
        };
        exe_c = c;
        args[path_slot] = exe_c.as_ptr() as u64;
    }
    Action::Ret(forward(cx, sys, args))
}

/// fcntl: F_GETFL's result and F_SETFL's argument are open flags.
pub(crate) fn fcntl(cx: &mut Ctx, a: [u64; 6]) -> Action {
    let guest = cx.abi.open_flags;
    let hostf = host::HOST.open_flags;
    match a[1] as i32 {
        libc::F_GETFL => {
            let r = forward(cx, Sysno::fcntl, a);
            Action::Ret(if r < 0 { r } else { hostf.convert(&guest, r as u64) as i64 })
        }
        libc::F_SETFL => {
            Action::Ret(forward(cx, Sysno::fcntl, [a[0], a[1], guest.convert(&hostf, a[2]), 0, 0, 0]))
        }
        _ => Action::Ret(forward(cx, Sysno::fcntl, a)),
    }
}

/// Whether `path` names this process's executable through /proc.
pub(crate) fn is_proc_self_exe(path: &[u8]) -> bool {
    let Some(rest) = path.strip_prefix(b"/proc/") else {
        return false;
    };
    let Some(who) = rest.strip_suffix(b"/exe") else {
        return false;
    };
    who == b"self" || who == b"thread-self" || who == std::process::id().to_string().as_bytes()
}

/// readlink, readlinkat: /proc/self/exe (and /proc/<pid>/exe) is the guest program, not xlate.
pub(crate) fn readlink(cx: &mut Ctx, sys: Sysno, a: [u64; 6], exe: &Path) -> Action {
    let (path_ptr, buf, size) = match sys {
        Sysno::readlink => (a[0], a[1], a[2]),
        _ => (a[1], a[2], a[3]),
    };
    let Ok(path) = read_cstr(&*cx.mem, path_ptr, PATH_MAX) else {
        return Action::Ret(forward(cx, sys, a));
    };
    if !is_proc_self_exe(&path) {
        return Action::Ret(forward(cx, sys, a));
    }
    // The kernel takes the size as an `int` and wants it positive.
    let size = size as i32;
    if size <= 0 {
        return err(libc::EINVAL);
    }
    use std::os::unix::ffi::OsStrExt;
    let target = exe.as_os_str().as_bytes();
    let n = target.len().min(size as usize);
    match write_bytes(&*cx.mem, buf, &target[..n]) {
        Ok(()) => Action::Ret(n as i64),
        Err(e) => err(e),
    }
}

/// epoll_ctl, epoll_wait, epoll_pwait, epoll_pwait2: forwarded when guest and host agree on
/// `struct epoll_event`, otherwise through a host-layout buffer.
pub(crate) fn epoll(cx: &mut Ctx, sys: Sysno, a: [u64; 6]) -> Action {
    let guest_packed = cx.abi.epoll_packed;
    let host_packed = host::HOST.epoll_packed;
    if guest_packed == host_packed {
        return Action::Ret(forward(cx, sys, a));
    }
    let gsize = convert::epoll_event_size(guest_packed);
    if sys == Sysno::epoll_ctl {
        // EPOLL_CTL_DEL ignores the event (and it may be NULL).
        let mut host_event = Vec::new();
        let mut ptr = 0;
        if a[1] as i32 != libc::EPOLL_CTL_DEL || a[3] != 0 {
            let Ok(b) = read_bytes(&*cx.mem, a[3], gsize) else {
                return err(libc::EFAULT);
            };
            let (events, data) = convert::epoll_event_read(guest_packed, &b);
            host_event = convert::epoll_event_bytes(host_packed, events, data);
            ptr = host_event.as_mut_ptr() as u64;
        }
        let r = host::call(Sysno::epoll_ctl, [a[0], a[1], a[2], ptr, 0, 0]);
        drop(host_event);
        return Action::Ret(r);
    }
    match epoll_wait_call(cx, sys, a) {
        Ok((host_sys, host_args, wait)) => {
            let r = host::call(host_sys, host_args);
            Action::Ret(wait.finish(&*cx.mem, r))
        }
        Err(action) => action,
    }
}

/// Before an epoll wait that the host kernel answers in the guest's own event layout: the
/// kernel writes at most maxevents events (argument 2) at argument 1, so code pages there
/// lose the translator's write protection first, as for the calls that
/// `memory::prepare_outputs` covers (whose layouts are the same in every ABI).
pub(crate) fn prepare_epoll_events(cx: &mut Ctx, a: &[u64; 6]) {
    let max = a[2] as i32;
    if max > 0 && a[1] != 0 {
        let size = convert::epoll_event_size(cx.abi.epoll_packed) as u64;
        cx.mem.prepare_kernel_write(a[1], max as u64 * size);
    }
}

/// An epoll wait whose events have another layout on the host: the host buffer the host
/// call fills, and where the guest's events go. The call may block, so the runtime issues it
/// unlocked (a forwarded call, `super::ForwardedCall`) and [`Self::finish`] converts after.
#[derive(Debug)]
pub struct EpollWait {
    host_events: Vec<u8>,
    guest_events: u64,
    guest_packed: bool,
}

/// epoll_wait, epoll_pwait or epoll_pwait2 across layouts: the host call (epoll_pwait for
/// epoll_wait, which AArch64 hosts lack) on a host buffer, and its [`EpollWait`]; or the
/// guest's error.
pub(crate) fn epoll_wait_call(
    cx: &mut Ctx,
    sys: Sysno,
    a: [u64; 6],
) -> Result<(Sysno, [u64; 6], EpollWait), Action> {
    let guest_packed = cx.abi.epoll_packed;
    let gsize = convert::epoll_event_size(guest_packed);
    // The kernel rejects maxevents <= 0 and larger than INT_MAX / sizeof(event); a shorter
    // host buffer is fine, since epoll_wait may return fewer events than asked for.
    let max = a[2] as i32;
    if max <= 0 || max as usize > i32::MAX as usize / gsize {
        return Err(err(libc::EINVAL));
    }
    let n = (max as usize).min(1024);
    let hsize = convert::epoll_event_size(host::HOST.epoll_packed);
    let mut host_events = vec![0u8; n * hsize];
    let p = host_events.as_mut_ptr() as u64;
    let call = match sys {
        Sysno::epoll_wait => (Sysno::epoll_pwait, [a[0], p, n as u64, a[3], 0, 8]),
        _ => (sys, [a[0], p, n as u64, a[3], a[4], a[5]]),
    };
    Ok((call.0, call.1, EpollWait { host_events, guest_events: a[1], guest_packed }))
}

impl EpollWait {
    /// The guest's result of the host call that returned `r`: its events written in the
    /// guest's layout.
    pub(crate) fn finish(self, mem: &dyn super::GuestMm, r: i64) -> i64 {
        if r <= 0 {
            return r;
        }
        let host_packed = host::HOST.epoll_packed;
        let hsize = convert::epoll_event_size(host_packed);
        let mut out = Vec::with_capacity(r as usize * convert::epoll_event_size(self.guest_packed));
        for ev in self.host_events.chunks(hsize).take(r as usize) {
            let (events, data) = convert::epoll_event_read(host_packed, ev);
            out.extend(convert::epoll_event_bytes(self.guest_packed, events, data));
        }
        match write_bytes(mem, self.guest_events, &out) {
            Ok(()) => r,
            Err(e) => -(e as i64),
        }
    }
}
