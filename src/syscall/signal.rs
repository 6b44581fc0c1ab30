//! Signal dispositions, delivery to guest handlers, and related per-process records.
//!
//! rt_sigaction records what the guest asked for and reports it back (as the kernel would).
//! Dispositions the host can carry out by itself (SIG_DFL, SIG_IGN) are installed on the host,
//! so that e.g. a guest that ignores SIGPIPE is not killed by it, and a guest that restores
//! SIG_DFL before raising SIGABRT dies by it. For a guest handler the runtime's host handler
//! is installed (through the hook [`set_host_handler_installer`]; without one, SIG_DFL: a
//! signal the guest wanted to catch ends the process loudly instead of being ignored). That
//! handler records the signal; the runtime then calls [`SignalState::deliver`] at the next
//! block boundary, which writes the guest's own signal frame ([`GuestRegs::push_signal_frame`])
//! and enters the handler; rt_sigreturn restores the registers and the mask from the frame.
//!
//! The guest's signal mask is the host's (rt_sigprocmask is forwarded), so a blocked signal
//! stays pending in the kernel; delivery adds the handler's mask as the kernel does, and
//! rt_sigreturn sets the mask saved in the frame.
//!
//! SIGSEGV and SIGBUS are the runtime's: its host handler (`runtime::signals`) catches them
//! for its own purposes and applies the guest's disposition, which this layer publishes for
//! it in an async-signal-safe table ([`guest_handler`]). Their host disposition is never
//! changed here.
//!
//! rt_sigprocmask is forwarded, not recorded (see the dispatcher): the guest's mask is the
//! process's mask.

use super::memory::{read_bytes, write_bytes};
use super::{err, forward, host, AbiInfo, Action, Ctx, GuestMm, GuestRegs, Sysno};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Highest signal number (`_NSIG`, the same on x86-64 and AArch64).
const NSIG: usize = 64;
/// The kernel's `sigset_t` size on both 64-bit ABIs.
const SIGSET_SIZE: u64 = 8;
pub const SIG_DFL: u64 = 0;
pub const SIG_IGN: u64 = 1;
const SS_ONSTACK: i32 = 1;
const SS_DISABLE: i32 = 2;
const SS_AUTODISARM: u32 = 1 << 31;
pub const SA_SIGINFO: u64 = 4;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;
pub const SA_RESTORER: u64 = 0x0400_0000;

/// What a guest signal frame is built from (see [`GuestRegs::push_signal_frame`]).
pub struct SignalDelivery {
    pub sig: i32,
    /// The siginfo as the host kernel gave it: the same 128-byte layout on both ABIs.
    pub info: [u8; 128],
    pub handler: u64,
    /// sa_flags: SA_SIGINFO decides whether the handler gets the siginfo and context pointers.
    pub flags: u64,
    /// Where the handler returns: the guest's sa_restorer (which calls rt_sigreturn).
    pub restorer: u64,
    /// The mask to restore on rt_sigreturn (the mask before delivery).
    pub old_mask: u64,
    /// The alternate stack (ss_sp, ss_flags, ss_size) for the frame's `uc_stack`.
    pub altstack: (u64, i32, u64),
    /// The top of the alternate stack when the frame goes there (SA_ONSTACK, a stack set,
    /// not already on it); `None` for the current stack.
    pub stack_top: Option<u64>,
}

/// Where a signal is delivered: the guest's ABI, its registers and memory, and whether
/// `--strace` reports the delivery.
pub(crate) struct DeliveryContext<'a> {
    pub abi: &'a AbiInfo,
    pub regs: &'a mut dyn GuestRegs,
    pub mem: &'a mut dyn GuestMm,
    pub strace: bool,
}

/// What rt_sigreturn takes from the frame besides the registers.
pub struct PoppedFrame {
    /// The signal mask to set (`uc_sigmask`).
    pub mask: u64,
    /// The alternate stack to set again (`uc_stack`: ss_sp, ss_flags, ss_size), as the
    /// kernel's `restore_altstack` does.
    pub altstack: (u64, i32, u64),
}

/// How a delivery went.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Delivered {
    /// The guest's registers now enter its handler.
    Entered,
    /// Nothing to do: the guest ignores the signal now (its disposition changed since).
    NotNow,
    /// The process must die by this signal (the default action, or the frame could not be
    /// written: the kernel then forces SIGSEGV).
    Die(i32),
}

/// Installs the runtime's host handler for `sig` (with SA_RESTART if `restart`); returns 0 or
/// -errno. Set by the runtime (which owns host signal handlers) before the guest runs.
pub type HostHandlerInstaller = fn(sig: i32, restart: bool) -> i64;
static HOST_HANDLER_INSTALLER: OnceLock<HostHandlerInstaller> = OnceLock::new();

/// Sets the hook through which rt_sigaction installs the runtime's host handler for a guest
/// handler.
pub fn set_host_handler_installer(install: HostHandlerInstaller) {
    let _ = HOST_HANDLER_INSTALLER.set(install);
}

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

/// What the layer records about signals for the guest process (the per-thread records, the
/// alternate stack and the robust list, are in [`super::thread`]).
pub struct SignalState {
    /// Dispositions the guest set, by signal number - 1; `None` until it sets one (then the
    /// host's inherited disposition is reported).
    actions: [Option<KernelSigaction>; NSIG],
    /// Where the sigreturn trampoline is mapped in the guest, once it is.
    trampoline: Option<u64>,
}

/// The guest's dispositions at one moment ([`SignalState::save_dispositions`]).
pub struct SavedDispositions {
    actions: [Option<KernelSigaction>; NSIG],
    handlers: [u64; NSIG],
}

impl SignalState {
    /// The guest's dispositions now, for a vfork child: the child shares xlate's memory but
    /// not the parent's signal handlers (no CLONE_SIGHAND), so what it sets (Go's child
    /// resets every handler to SIG_DFL before it execs) must not stay the parent's.
    pub fn save_dispositions(&self) -> SavedDispositions {
        SavedDispositions {
            actions: self.actions,
            handlers: std::array::from_fn(|i| GUEST_HANDLERS[i].load(Ordering::Acquire)),
        }
    }

    /// Puts back what [`Self::save_dispositions`] saved (in the parent, after its vfork child
    /// has exec'd or exited; the parent's host dispositions were never changed by the child).
    pub fn restore_dispositions(&mut self, saved: &SavedDispositions) {
        self.actions = saved.actions;
        for (slot, &handler) in GUEST_HANDLERS.iter().zip(&saved.handlers) {
            slot.store(handler, Ordering::Release);
        }
    }
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

/// Sets the host disposition that carries out the guest's `act` for `sig` (not a
/// runtime-owned signal): SIG_IGN or SIG_DFL as they are, a guest handler as the runtime's
/// host handler (SA_RESTART passed on, so that the kernel restarts interrupted calls as it
/// would for the guest). Returns 0 or -errno.
fn set_host_disposition(sig: i32, act: &KernelSigaction) -> i64 {
    if act.handler > SIG_IGN {
        if let Some(install) = HOST_HANDLER_INSTALLER.get() {
            return install(sig, act.flags & SA_RESTART != 0);
        }
    }
    let handler = if act.handler == SIG_IGN { SIG_IGN } else { SIG_DFL };
    let keep = (libc::SA_NOCLDSTOP | libc::SA_NOCLDWAIT) as u64;
    let host_act = KernelSigaction { handler, flags: act.flags & keep, restorer: 0, mask: 0 };
    let p = &host_act as *const KernelSigaction as u64;
    host::call(Sysno::rt_sigaction, [sig as u64, p, 0, SIGSET_SIZE, 0, 0])
}

/// rt_sigprocmask(how, &set, &old) on the host; returns the old mask.
fn host_mask(how: i32, set: u64) -> u64 {
    let mut old = 0u64;
    let new_ptr = if how == libc::SIG_BLOCK && set == 0 { 0 } else { &set as *const u64 as u64 };
    let old_ptr = &mut old as *mut u64 as u64;
    host::call(Sysno::rt_sigprocmask, [how as u64, new_ptr, old_ptr, SIGSET_SIZE, 0, 0]);
    old
}

/// Whether `sp` is on the alternate stack `stack` (the kernel's `on_sig_stack`: the stack
/// grows down from `ss_sp + ss_size`, and its top itself counts as on it).
fn on_altstack(sp: u64, stack: Option<(u64, i32, u64)>) -> bool {
    stack.is_some_and(|(ss_sp, _, size)| sp > ss_sp && sp - ss_sp <= size)
}

/// The kernel's generic MINSIGSTKSZ, which rt_sigreturn's restore of the alternate stack
/// checks (sigaltstack checks the ABI's own).
const MINSIGSTKSZ: u64 = 2048;

/// Sets this thread's alternate stack to `(ss_sp, ss_flags, ss_size)` as the kernel's
/// do_sigaltstack does, with the stack pointer at `sp`: refused while `sp` is on the current
/// one (EPERM); SS_DISABLE removes it; a stack smaller than `min_size` is ENOMEM.
fn set_altstack_checked(
    sp: u64,
    (new_sp, new_flags, new_size): (u64, i32, u64),
    min_size: u64,
) -> Result<(), i32> {
    if on_altstack(sp, super::thread::altstack()) {
        return Err(libc::EPERM);
    }
    let mode = new_flags & !(SS_AUTODISARM as i32);
    if mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK {
        return Err(libc::EINVAL);
    }
    if mode == SS_DISABLE {
        super::thread::set_altstack(None);
    } else {
        if new_size < min_size {
            return Err(libc::ENOMEM);
        }
        super::thread::set_altstack(Some((new_sp, new_flags, new_size)));
    }
    Ok(())
}

/// Queues `sig` with its siginfo `info` to this thread again (rt_tgsigqueueinfo to itself
/// may carry any si_code), for a signal taken from the kernel too early. A real-time signal
/// goes back at the head of its queue, as the instance sent first: the instances the kernel
/// still holds for it (blocked now) are taken out first and queued again after it, in order
/// (as this thread's, even one that was sent to the process).
fn requeue(sig: i32, info: &[u8; 128]) {
    let pid = host::call(Sysno::getpid, [0; 6]);
    let tid = host::call(Sysno::gettid, [0; 6]);
    let mut later = Vec::new();
    if is_realtime(sig) {
        let set = 1u64 << (sig - 1);
        let no_wait = [0i64; 2];
        loop {
            let mut next = [0u8; 128];
            let (set_ptr, next_ptr) = (&set as *const u64 as u64, next.as_mut_ptr() as u64);
            let r = host::call(
                Sysno::rt_sigtimedwait,
                [set_ptr, next_ptr, no_wait.as_ptr() as u64, SIGSET_SIZE, 0, 0],
            );
            if r != i64::from(sig) {
                break;
            }
            later.push(next);
        }
    }
    for info in std::iter::once(info).chain(later.iter()) {
        let info_ptr = info.as_ptr() as u64;
        host::call(Sysno::rt_tgsigqueueinfo, [pid as u64, tid as u64, sig as u64, info_ptr, 0, 0]);
    }
}

/// The kernel's first real-time signal (32; the C libraries keep the first few for
/// themselves and start their SIGRTMIN above it): from there on signals queue, each instance
/// with its own siginfo, instead of coalescing.
const KERNEL_SIGRTMIN: i32 = 32;

fn is_realtime(sig: i32) -> bool {
    (KERNEL_SIGRTMIN..=NSIG as i32).contains(&sig)
}

thread_local! {
    /// The real-time signals that the runtime's host handler recorded on this thread and
    /// left blocked (bit `sig - 1`; [`hold_realtime`]), though the guest's mask does not
    /// block them, until the dispatcher has taken them.
    static HELD: AtomicU64 = const { AtomicU64::new(0) };
}

/// For the runtime's host handler, which has just recorded real-time signal `sig` for
/// delivery to a guest handler (async-signal-safe): keeps the next instances of `sig` queued
/// in the kernel until this one is delivered, by adding `sig` to `mask`, the mask that the
/// host kernel restores when the handler returns. The record has room for one instance of
/// each signal, as standard signals need, but Linux queues every instance of a real-time
/// signal with its own siginfo (up to RLIMIT_SIGPENDING) and delivers them in the order they
/// were sent: so the kernel keeps the rest, and delivery ([`SignalState::deliver_recorded`])
/// unblocks `sig` again unless the guest's mask blocks it by then. Nothing for a standard
/// signal, or one that `mask` already blocks (a temporary mask, as sigsuspend's, ended).
/// Every signal held before goes into `mask` too: the kernel may have built this handler's
/// frame before another handler that held one ran (nested frames: the one built last runs
/// first), and this handler's return must not unblock it.
pub fn hold_realtime(sig: i32, mask: &mut u64) {
    let bit = 1u64 << ((sig - 1) & 63);
    if is_realtime(sig) && *mask & bit == 0 {
        HELD.with(|h| h.fetch_or(bit, Ordering::Relaxed));
        *mask |= bit;
    }
    *mask |= held();
}

/// The signals this thread holds blocked for the host handler ([`hold_realtime`]): part of
/// the host mask, not of the guest's.
pub fn held() -> u64 {
    HELD.with(|h| h.load(Ordering::Relaxed))
}

/// A new thread starts with its creator's host mask, which may include signals its creator
/// held ([`hold_realtime`]) but the guest does not block: unblocks those on this thread.
pub fn release_inherited(held: u64) {
    if held != 0 {
        host_mask(libc::SIG_UNBLOCK, held);
    }
}

/// Ends the hold of `sig` once its recorded instance is taken: unblocks it, unless the
/// guest's mask now blocks it (`guest_blocks`), so the kernel delivers its next instance.
fn release(sig: i32, guest_blocks: bool) {
    let bit = 1u64 << (sig - 1);
    if HELD.with(|h| h.fetch_and(!bit, Ordering::Relaxed)) & bit != 0 && !guest_blocks {
        host_mask(libc::SIG_UNBLOCK, bit);
    }
}

/// Sends `sig` to this thread again.
fn resend(sig: i32) {
    let pid = host::call(Sysno::getpid, [0; 6]);
    let tid = host::call(Sysno::gettid, [0; 6]);
    host::call(Sysno::tgkill, [pid as u64, tid as u64, sig as u64, 0, 0, 0]);
}

/// Installs the default action for `sig`, unblocks it and sends it: the process dies by it.
fn resend_default(sig: i32) {
    set_host_disposition(sig, &KernelSigaction::default());
    host_mask(libc::SIG_UNBLOCK, 1u64 << (sig - 1));
    resend(sig);
}

impl Default for SignalState {
    fn default() -> Self {
        SignalState { actions: [None; NSIG], trampoline: None }
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
            _ => self.sigreturn(cx),
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
                let r = set_host_disposition(sig, &new);
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

    /// Delivers a synchronous `sig` (a fault or trap of the current guest instruction) the way
    /// the kernel forces one: to the guest's handler if it has one and does not block `sig`,
    /// else the process dies by it (an ignored or blocked fault is not survivable).
    pub(crate) fn deliver_forced(
        &mut self,
        to: &mut DeliveryContext,
        sig: i32,
        info: &[u8; 128],
    ) -> Delivered {
        let blocked = host_mask(libc::SIG_BLOCK, 0) & (1u64 << (sig - 1)) != 0;
        if blocked || self.action(sig).handler <= SIG_IGN {
            return Delivered::Die(sig);
        }
        self.deliver(to, sig, info)
    }

    /// Delivers a signal that the runtime's host handler recorded, one of those taken at one
    /// stop of the dispatcher. `blocked_here` gathers what the handlers entered at this stop
    /// block (their `sa_mask`, and the signal itself without SA_NODEFER): a recorded signal
    /// among those must wait, as the kernel would keep it pending until the handler's
    /// rt_sigreturn unblocks it, so it goes back to the host kernel as pending on this thread
    /// (queued again with its siginfo, blocked now), and the host handler records it again
    /// when it is unblocked. Delivered at once instead, nested into the handler that blocks
    /// it, it would run in the wrong order under the wrong mask, and (on the alternate stack)
    /// with its frame where the other one's is.
    pub(crate) fn deliver_recorded(
        &mut self,
        to: &mut DeliveryContext,
        sig: i32,
        info: &[u8; 128],
        blocked_here: &mut u64,
    ) -> Delivered {
        let bit = 1u64 << (sig - 1);
        if *blocked_here & bit != 0 {
            requeue(sig, info);
            release(sig, true);
            return Delivered::NotNow;
        }
        let act = self.action(sig);
        let delivered = self.deliver(to, sig, info);
        let mut guest_blocks = false;
        if delivered == Delivered::Entered {
            let block = act.mask | if act.flags & SA_NODEFER == 0 { bit } else { 0 };
            *blocked_here |= block;
            guest_blocks = block & bit != 0;
        }
        release(sig, guest_blocks);
        delivered
    }

    /// Delivers `sig` to the guest's handler (see the module documentation): builds the frame
    /// on the right stack with the mask before delivery, then blocks the handler's mask (and
    /// `sig` unless SA_NODEFER) and resets the disposition for SA_RESETHAND.
    pub(crate) fn deliver(&mut self, to: &mut DeliveryContext, sig: i32, info: &[u8; 128]) -> Delivered {
        let (abi, strace) = (to.abi, to.strace);
        let (regs, mem) = (&mut *to.regs, &mut *to.mem);
        let act = self.action(sig);
        if act.handler == SIG_IGN {
            return Delivered::NotNow;
        }
        if act.handler == SIG_DFL {
            return Delivered::Die(sig);
        }
        let bit = 1u64 << (sig - 1);
        // The signal was unblocked when it arrived (the host handler ran), possibly under a
        // temporary mask (sigsuspend, ppoll, pselect) that the kernel has put back since: as
        // the kernel does, the handler runs now, and the frame keeps the mask in force after
        // the call, which rt_sigreturn restores.
        let old_mask = host_mask(libc::SIG_BLOCK, 0) & !held();
        let restorer = if act.flags & SA_RESTORER != 0 {
            act.restorer
        } else {
            // The kernel returns through the vDSO's sigreturn trampoline: xlate's copy of it.
            match self.trampoline(abi, mem) {
                Some(addr) => addr,
                None => {
                    eprintln!("xlate: signal {sig}: a guest handler without SA_RESTORER is not supported on this ABI");
                    return Delivered::Die(sig);
                }
            }
        };
        let thread_altstack = super::thread::altstack();
        let altstack = thread_altstack.unwrap_or((0, SS_DISABLE, 0));
        // A handler that is already on the alternate stack (a signal delivered while another
        // one's handler runs there) gets its frame below the current one, as from the kernel:
        // at the top again it would overwrite the frame of the handler it interrupts.
        let stack_top = match thread_altstack {
            Some((sp, _, size))
                if act.flags & SA_ONSTACK != 0
                    && !on_altstack(regs.signal_stack_pointer(), thread_altstack) =>
            {
                Some(sp + size)
            }
            _ => None,
        };
        let d = SignalDelivery {
            sig,
            info: *info,
            handler: act.handler,
            flags: act.flags,
            restorer,
            old_mask,
            altstack,
            stack_top,
        };
        if regs.push_signal_frame(&*mem, &d).is_err() {
            return Delivered::Die(libc::SIGSEGV);
        }
        if strace {
            eprintln!(
                "{} --- signal {sig} delivered to the guest handler {:#x} ---",
                std::process::id(),
                act.handler
            );
        }
        // SS_AUTODISARM: the stack is disabled while the handler runs (the frame keeps it in
        // `uc_stack`, and rt_sigreturn sets it again), as the kernel's __save_altstack does
        // for every frame.
        if thread_altstack.is_some_and(|(_, flags, _)| flags & SS_AUTODISARM as i32 != 0) {
            super::thread::set_altstack(None);
        }
        let mut block = act.mask;
        if act.flags & SA_NODEFER == 0 {
            block |= bit;
        }
        host_mask(libc::SIG_BLOCK, block);
        if act.flags & SA_RESETHAND != 0 {
            let dfl = KernelSigaction::default();
            set_host_disposition(sig, &dfl);
            self.actions[sig as usize - 1] = Some(dfl);
            if is_runtime_owned(sig) {
                GUEST_HANDLERS[sig as usize - 1].store(SIG_DFL, Ordering::Relaxed);
            }
        }
        Delivered::Entered
    }

    /// The guest address of the ABI's sigreturn trampoline, mapped (read-execute) on first use.
    fn trampoline(&mut self, abi: &AbiInfo, mem: &mut dyn GuestMm) -> Option<u64> {
        if abi.sigreturn_trampoline.is_empty() {
            return None;
        }
        if self.trampoline.is_none() {
            const PAGE: u64 = 4096;
            let rw = (libc::PROT_READ | libc::PROT_WRITE) as u64;
            let flags = (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS) as u64;
            let addr = mem.mmap(0, PAGE, rw, flags, u64::MAX, 0);
            if addr < 0 {
                return None;
            }
            write_bytes(&*mem, addr as u64, abi.sigreturn_trampoline).ok()?;
            if mem.mprotect(addr as u64, PAGE, (libc::PROT_READ | libc::PROT_EXEC) as u64) < 0 {
                return None;
            }
            self.trampoline = Some(addr as u64);
        }
        self.trampoline
    }

    /// rt_sigreturn: the registers and the mask from the frame at the stack pointer.
    fn sigreturn(&mut self, cx: &mut Ctx) -> Action {
        match cx.regs.pop_signal_frame(&*cx.mem) {
            Ok(popped) => {
                // (With the signals held for the host handler, if one was recorded since.)
                host_mask(libc::SIG_SETMASK, popped.mask | held());
                // restore_altstack: as sigaltstack from the restored stack pointer, with the
                // generic MINSIGSTKSZ; the kernel ignores every error but EFAULT (the frame
                // was readable).
                let _ = set_altstack_checked(cx.regs.stack_pointer(), popped.altstack, MINSIGSTKSZ);
                Action::RegistersRestored
            }
            // The kernel kills a process whose frame is unreadable with SIGSEGV.
            Err(_) => {
                resend_default(libc::SIGSEGV);
                Action::RegistersRestored
            }
        }
    }

    /// sigaltstack(ss, old_ss), recorded. `stack_t` is (void *ss_sp; int ss_flags; size_t
    /// ss_size) on both ABIs: 24 bytes.
    /// The reported flags are the kernel's: SS_DISABLE, or SS_ONSTACK while the stack pointer
    /// is on it (then it cannot be changed: EPERM), with SS_AUTODISARM as set.
    fn sigaltstack(&mut self, cx: &mut Ctx, a: [u64; 6]) -> Action {
        let current = super::thread::altstack();
        let on_stack = on_altstack(cx.regs.stack_pointer(), current);
        let (sp, flags, size) = match current {
            Some((sp, flags, size)) => {
                (sp, if on_stack { SS_ONSTACK } else { 0 } | (flags & SS_AUTODISARM as i32), size)
            }
            None => (0, SS_DISABLE, 0),
        };
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
            let new = (new_sp, new_flags, new_size);
            if let Err(e) = set_altstack_checked(cx.regs.stack_pointer(), new, cx.abi.min_sigstksz) {
                return err(e);
            }
        }
        if a[1] != 0 {
            if let Err(e) = write_bytes(&*cx.mem, a[1], &old) {
                return err(e);
            }
        }
        Action::Ret(0)
    }

    /// set_robust_list is recorded per thread and registered with the host kernel
    /// (`thread::set_robust_list`); get_robust_list of this thread answers the record, with
    /// the kernel's length (always sizeof(struct robust_list_head)).
    pub(crate) fn robust_list(&mut self, cx: &mut Ctx, sys: Sysno, a: [u64; 6]) -> Action {
        use super::thread::ROBUST_HEAD_SIZE;
        if sys == Sysno::set_robust_list {
            if a[1] != ROBUST_HEAD_SIZE {
                return err(libc::EINVAL);
            }
            super::thread::set_robust_list(a[0]);
            return Action::Ret(0);
        }
        let pid = a[0] as i32;
        let own = pid == 0 || i64::from(pid) == host::call(Sysno::gettid, [0; 6]);
        let Some(head) = super::thread::robust_list().filter(|_| own) else {
            return Action::Ret(forward(cx, sys, a));
        };
        if let Err(e) = write_bytes(&*cx.mem, a[1], &head.to_le_bytes())
            .and_then(|()| write_bytes(&*cx.mem, a[2], &ROBUST_HEAD_SIZE.to_le_bytes()))
        {
            return err(e);
        }
        Action::Ret(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alternate_stack_holds_its_top_but_not_its_base() {
        let stack = Some((0x1000, 0, 0x1000));
        // The stack grows down from 0x2000: a handler's frames lie in (0x1000, 0x2000].
        assert!(on_altstack(0x2000, stack), "the top itself (an empty alternate stack in use)");
        assert!(on_altstack(0x1800, stack));
        assert!(!on_altstack(0x1000, stack), "the base is below the last usable byte");
        assert!(!on_altstack(0x2008, stack));
        assert!(!on_altstack(0x1800, None));
    }
}
