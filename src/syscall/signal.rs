//! Signal dispositions and related per-process records.
//!
//! Delivering signals to guest handlers is not implemented yet, so xlate never installs a host
//! handler for a guest handler. rt_sigaction records what the guest asked for and reports it
//! back (as the kernel would); dispositions the host can carry out by itself (SIG_DFL,
//! SIG_IGN) are also installed on the host, so that e.g. a guest that ignores SIGPIPE is not
//! killed by it, and a guest that restores SIG_DFL before raising SIGABRT dies by it. A guest
//! handler sets the host disposition to SIG_DFL: a signal the guest wanted to catch then ends
//! the process (loudly) instead of being silently ignored.
//!
//! SIGSEGV and SIGBUS are the runtime's: its host handler (`runtime::signals`) catches them
//! for its own purposes and applies the guest's disposition, which this layer publishes for
//! it in an async-signal-safe table ([`guest_handler`]). Their host disposition is never
//! changed here.
//!
//! rt_sigprocmask is forwarded, not recorded (see the dispatcher): the guest's mask is the
//! process's mask.

use super::memory::{read_bytes, write_bytes};
use super::{err, forward, host, Action, Ctx, Sysno};
use std::sync::atomic::{AtomicU64, Ordering};

/// Highest signal number (`_NSIG`, the same on x86-64 and AArch64).
const NSIG: usize = 64;
/// The kernel's `sigset_t` size on both 64-bit ABIs.
const SIGSET_SIZE: u64 = 8;
pub const SIG_DFL: u64 = 0;
pub const SIG_IGN: u64 = 1;
const SS_ONSTACK: i32 = 1;
const SS_DISABLE: i32 = 2;
const SS_AUTODISARM: u32 = 1 << 31;

/// The kernel's `struct sigaction` for rt_sigaction: the same on x86-64 and AArch64 (both
/// define SA_RESTORER: handler, flags, restorer, mask).
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct KernelSigaction {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: u64,
}

impl KernelSigaction {
    fn to_bytes(self) -> [u8; 32] {
        let mut b = [0u8; 32];
        for (i, v) in [self.handler, self.flags, self.restorer, self.mask].iter().enumerate() {
            b[8 * i..8 * i + 8].copy_from_slice(&v.to_le_bytes());
        }
        b
    }

    fn from_bytes(b: &[u8]) -> KernelSigaction {
        let w = |i: usize| u64::from_le_bytes(b[8 * i..8 * i + 8].try_into().unwrap());
        KernelSigaction { handler: w(0), flags: w(1), restorer: w(2), mask: w(3) }
    }
}

/// What the layer records about signals and robust futex lists for the guest process.
pub struct SignalState {
    /// Dispositions the guest set, by signal number - 1; `None` until it sets one (then the
    /// host's inherited disposition is reported).
    actions: [Option<KernelSigaction>; NSIG],
    /// The alternate signal stack (ss_sp, ss_flags, ss_size), if set.
    altstack: Option<(u64, i32, u64)>,
    /// set_robust_list's (head, len).
    robust_list: (u64, u64),
}

/// Sets the host's SIGPIPE disposition back to SIG_DFL (see [`super::SyscallLayer::new`]):
/// the one place that undoes what the Rust runtime changed in the process's signal
/// dispositions at start-up. Rust ignores SIGPIPE, which would turn a guest's write to a
/// closed pipe into EPIPE instead of death by SIGPIPE. (Rust's SIGSEGV/SIGBUS handlers stay:
/// for a fault outside xlate's own stack guard they restore the default action and let the
/// fault kill the process, as it would the native program.) No Rust code of xlate relies on
/// SIGPIPE being ignored: it writes only to stderr, and a failed write there is harmless.
pub(crate) fn reset_sigpipe() {
    let dfl = KernelSigaction::default();
    let p = &dfl as *const KernelSigaction as u64;
    host::call(Sysno::rt_sigaction, [libc::SIGPIPE as u64, p, 0, SIGSET_SIZE, 0, 0]);
}

impl Default for SignalState {
    fn default() -> Self {
        SignalState { actions: [None; NSIG], altstack: None, robust_list: (0, 0) }
    }
}

/// The signals whose host handler is the runtime's (see the module documentation).
fn is_runtime_owned(sig: i32) -> bool {
    matches!(sig, libc::SIGSEGV | libc::SIGBUS)
}

/// The guest's handler value (SIG_DFL, SIG_IGN or a guest address) for each runtime-owned
/// signal, by signal number - 1: what the runtime's host handler applies. Atomics, because a
/// host signal handler reads them.
static GUEST_HANDLERS: [AtomicU64; NSIG] = [const { AtomicU64::new(SIG_DFL) }; NSIG];

/// The guest's handler value for `sig` (1-based) as the guest set it (SIG_DFL until then);
/// async-signal-safe. Kept for the runtime-owned signals (SIGSEGV, SIGBUS).
pub fn guest_handler(sig: i32) -> u64 {
    match GUEST_HANDLERS.get((sig as usize).wrapping_sub(1)) {
        Some(h) => h.load(Ordering::Relaxed),
        None => SIG_DFL,
    }
}

/// Records the disposition xlate inherited for a runtime-owned signal (SIG_IGN survives
/// execve), before the runtime installs its own host handler.
pub fn set_inherited_handler(sig: i32, handler: u64) {
    if let Some(h) = GUEST_HANDLERS.get((sig as usize).wrapping_sub(1)) {
        h.store(handler, Ordering::Relaxed);
    }
}

impl SignalState {
    /// rt_sigaction, sigaltstack, rt_sigreturn.
    pub(crate) fn handle(&mut self, cx: &mut Ctx, sys: Sysno, a: [u64; 6]) -> Action {
        match sys {
            Sysno::rt_sigaction => self.sigaction(cx, a),
            Sysno::sigaltstack => self.sigaltstack(cx, a),
            // No signal is ever delivered to a guest handler, so there is no frame to return
            // from.
            _ => err(libc::ENOSYS),
        }
    }

    /// The disposition in force for `sig` (1-based): the guest's, or the host's inherited one.
    pub fn action(&self, sig: i32) -> KernelSigaction {
        if sig < 1 || sig as usize > NSIG {
            return KernelSigaction::default();
        }
        if let Some(act) = self.actions[sig as usize - 1] {
            return act;
        }
        if is_runtime_owned(sig) {
            return KernelSigaction { handler: guest_handler(sig), ..KernelSigaction::default() };
        }
        let mut old = KernelSigaction::default();
        let p = &mut old as *mut KernelSigaction as u64;
        let r = host::call(Sysno::rt_sigaction, [sig as u64, 0, p, SIGSET_SIZE, 0, 0]);
        if r < 0 || old.handler > SIG_IGN {
            // A handler of xlate's own is not the guest's business.
            return KernelSigaction::default();
        }
        KernelSigaction { restorer: 0, ..old }
    }

    fn sigaction(&mut self, cx: &mut Ctx, a: [u64; 6]) -> Action {
        let (sig, act_ptr, old_ptr, setsize) = (a[0] as i32, a[1], a[2], a[3]);
        if setsize != SIGSET_SIZE {
            return err(libc::EINVAL);
        }
        if sig < 1 || sig as usize > NSIG {
            return err(libc::EINVAL);
        }
        let new = if act_ptr != 0 {
            if sig == libc::SIGKILL || sig == libc::SIGSTOP {
                return err(libc::EINVAL);
            }
            match read_bytes(&*cx.mem, act_ptr, 32) {
                Ok(b) => Some(KernelSigaction::from_bytes(&b)),
                Err(e) => return err(e),
            }
        } else {
            None
        };
        let old = self.action(sig);
        if let Some(mut new) = new {
            // SIGKILL and SIGSTOP can never be blocked.
            new.mask &= !((1u64 << (libc::SIGKILL - 1)) | (1u64 << (libc::SIGSTOP - 1)));
            if is_runtime_owned(sig) {
                GUEST_HANDLERS[sig as usize - 1].store(new.handler, Ordering::Relaxed);
            } else {
                let handler = if new.handler == SIG_IGN { SIG_IGN } else { SIG_DFL };
                let keep = (libc::SA_NOCLDSTOP | libc::SA_NOCLDWAIT) as u64;
                let host_act = KernelSigaction { handler, flags: new.flags & keep, restorer: 0, mask: 0 };
                let p = &host_act as *const KernelSigaction as u64;
                let r = host::call(Sysno::rt_sigaction, [sig as u64, p, 0, SIGSET_SIZE, 0, 0]);
                if r < 0 {
                    return Action::Ret(r);
                }
            }
            self.actions[sig as usize - 1] = Some(new);
        }
        if old_ptr != 0 {
            if let Err(e) = write_bytes(&*cx.mem, old_ptr, &old.to_bytes()) {
                return err(e);
            }
        }
        Action::Ret(0)
    }

    /// sigaltstack(ss, old_ss), recorded. `stack_t` is (void *ss_sp; int ss_flags; size_t
    /// ss_size) on both ABIs: 24 bytes.
    fn sigaltstack(&mut self, cx: &mut Ctx, a: [u64; 6]) -> Action {
        let (sp, flags, size) = self.altstack.unwrap_or((0, SS_DISABLE, 0));
        let old = {
            let mut b = [0u8; 24];
            b[..8].copy_from_slice(&sp.to_le_bytes());
            b[8..12].copy_from_slice(&flags.to_le_bytes());
            b[16..].copy_from_slice(&size.to_le_bytes());
            b
        };
        if a[0] != 0 {
            let b = match read_bytes(&*cx.mem, a[0], 24) {
                Ok(b) => b,
                Err(e) => return err(e),
            };
            let new_sp = u64::from_le_bytes(b[..8].try_into().unwrap());
            let new_flags = i32::from_le_bytes(b[8..12].try_into().unwrap());
            let new_size = u64::from_le_bytes(b[16..].try_into().unwrap());
            let mode = new_flags & !(SS_AUTODISARM as i32);
            if mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK {
                return err(libc::EINVAL);
            }
            if mode == SS_DISABLE {
                self.altstack = None;
            } else {
                if new_size < cx.abi.min_sigstksz {
                    return err(libc::ENOMEM);
                }
                self.altstack = Some((new_sp, new_flags, new_size));
            }
        }
        if a[1] != 0 {
            if let Err(e) = write_bytes(&*cx.mem, a[1], &old) {
                return err(e);
            }
        }
        Action::Ret(0)
    }

    /// set_robust_list is recorded (xlate's own libc keeps its list registered with the
    /// kernel); get_robust_list of this process answers the record.
    pub(crate) fn robust_list(&mut self, cx: &mut Ctx, sys: Sysno, a: [u64; 6]) -> Action {
        // sizeof(struct robust_list_head) on 64-bit ABIs.
        const HEAD_SIZE: u64 = 24;
        if sys == Sysno::set_robust_list {
            if a[1] != HEAD_SIZE {
                return err(libc::EINVAL);
            }
            self.robust_list = (a[0], a[1]);
            return Action::Ret(0);
        }
        let pid = a[0] as i32;
        if pid != 0 && pid as u32 != std::process::id() {
            return Action::Ret(forward(cx, sys, a));
        }
        let (head, len) = self.robust_list;
        if let Err(e) = write_bytes(&*cx.mem, a[1], &head.to_le_bytes())
            .and_then(|()| write_bytes(&*cx.mem, a[2], &len.to_le_bytes()))
        {
            return err(e);
        }
        Action::Ret(0)
    }
}
