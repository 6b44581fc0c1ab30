//! The runtime's host signal handler for the signals it catches for its own purposes
//! (SIGSEGV and SIGBUS), and the rule that none of them is ever swallowed.
//!
//! A SIGSEGV or SIGBUS reaching xlate is one of three things:
//!
//! * **sent** (`kill`, `tgkill`, `raise`, `sigqueue`: `si_code <= 0`): the guest's disposition
//!   applies exactly as the kernel would apply it to the native program: ignored if the guest
//!   ignores it, otherwise (default action) the process dies by it, with its core. The signal
//!   is re-sent to this thread with the default disposition installed; it stays pending while
//!   the handler runs (the handler blocks it) and kills as the handler returns.
//! * **a guest fault** (raised by the kernel while translated code, or a helper that it called
//!   to touch guest memory, ran): with a guest handler, the fault is recorded with the host
//!   address of its guest instruction in the code cache (the PC; for a helper, the guest
//!   address its caller stored: [`helper_guest_pc`]) and the context resumed at the backend's fault
//!   exit, from where the dispatcher delivers it at the faulting guest instruction
//!   ([`Response::FaultExit`]). Otherwise the default action, as for the native program: the
//!   kernel never lets a fault be ignored, and neither does xlate: the default disposition
//!   is installed and the handler returns, so the faulting instruction runs again and the
//!   process dies by it.
//! * **a fault in xlate's own code** (the dispatcher, the translator, the syscall layer): an
//!   xlate bug. One line on stderr says so, naming the host PC and the fault address; then the
//!   process dies by the signal. It is never passed to the guest.
//!
//! A sent SIGSEGV/SIGBUS with a guest handler is recorded and delivered like any other
//! asynchronous signal.
//!
//! Asynchronous delivery: for a signal with a guest handler, the syscall layer installs
//! [`on_guest_signal`] (through the hook it offers). It records the signal and its siginfo in
//! the interrupted thread's own record (a thread-local), raises the [`SignalFlag`] in that
//! thread's guest state (which [`watch`] named) and returns. Every translated block tests the
//! flag at its entry and returns to the dispatcher when it is raised, so a guest spinning in
//! chained blocks comes back too; the dispatcher tests it after every return from translated
//! code and has the syscall layer build the guest's frame there, at a block boundary, where
//! the guest state is complete in memory. A blocking host syscall interrupted
//! by it returns EINTR (or is restarted by the kernel when the guest asked for SA_RESTART).
//!
//! Guest dispositions are read from [`crate::syscall::signal::guest_handler`], which is
//! async-signal-safe (atomics). "Translated code is running" is a per-thread flag set by the
//! dispatcher around each entry into the code cache ([`set_in_translated_code`]).

use crate::host::syscall;
use crate::ir::protocol::SignalFlag;
use crate::syscall::signal::{
    guest_handler, hold_realtime, set_host_handler_installer, set_inherited_handler, SIG_IGN,
};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};

thread_local! {
    /// True while this thread runs translated code (and the helpers it calls). Each guest
    /// thread has its own host thread, so this is per thread; const-initialised and without
    /// a destructor, it is a plain thread-local word that the host handler may read.
    static IN_TRANSLATED_CODE: AtomicBool = const { AtomicBool::new(false) };
    /// This thread's signals recorded for delivery to guest handlers (see [`Pending`]).
    static PENDING: Pending = const { Pending::new() };
    /// The last fault of translated code sent to the fault exit: the host PC, then the
    /// siginfo as 16 words.
    static FAULT: [AtomicU64; 17] = const { [const { AtomicU64::new(0) }; 17] };
    /// For a fault inside a helper: the guest address of the instruction that called it (from
    /// the state header, see [`helper_guest_pc`]) plus one; 0 when [`FAULT`]'s host PC names
    /// the instruction.
    static FAULT_GUEST_PC: AtomicU64 = const { AtomicU64::new(0) };
    /// Set with [`FAULT`]'s host PC when translated code went to the fault exit after a
    /// write to a protected code page (not a guest fault).
    static CODE_WRITE: AtomicBool = const { AtomicBool::new(false) };
    /// The [`SignalFlag`] in the guest state this thread runs (null outside [`watch`]).
    static FLAG: AtomicPtr<SignalFlag> = const { AtomicPtr::new(std::ptr::null_mut()) };
}

/// The backend's fault exit ([`crate::backend::Backend::fault_exit`]), 0 for none.
static FAULT_EXIT: AtomicUsize = AtomicUsize::new(0);

/// The backend's fault exit for a fault inside a helper that translated code called
/// ([`crate::backend::Backend::helper_fault_exit`]).
static HELPER_FAULT_EXIT: AtomicUsize = AtomicUsize::new(0);

/// Whether every fault of translated code goes to the dispatcher, handler or not, for
/// `Guest::kernel_fault_signal` to classify (see [`set_classify_all_faults`]).
static CLASSIFY_ALL_FAULTS: AtomicBool = AtomicBool::new(false);

/// Sends every guest fault at a known site to the dispatcher, as SI_KERNEL faults always are:
/// on a host that does not fault on non-canonical x86-64 addresses by itself, a fault's
/// signal and si_code can only be told from the guest instruction.
pub fn set_classify_all_faults(on: bool) {
    CLASSIFY_ALL_FAULTS.store(on, Ordering::Relaxed);
}

/// See [`set_classify_all_faults`].
pub fn classify_all_faults() -> bool {
    CLASSIFY_ALL_FAULTS.load(Ordering::Relaxed)
}

/// Records the backend's current fault exits, for faults of translated code and of the
/// helpers it calls (they move when the fixed code is emitted again).
pub fn set_fault_exit(address: usize, helper: usize) {
    FAULT_EXIT.store(address, Ordering::Relaxed);
    HELPER_FAULT_EXIT.store(helper, Ordering::Relaxed);
}

/// Takes the fault that sent translated code to the fault exit on this thread: the host PC
/// where it happened and its siginfo bytes.
pub fn take_fault() -> (usize, [u8; 128]) {
    FAULT.with(|f| {
        let mut info = [0u8; 128];
        for (i, w) in f[1..].iter().enumerate() {
            info[8 * i..8 * i + 8].copy_from_slice(&w.load(Ordering::Relaxed).to_le_bytes());
        }
        (f[0].load(Ordering::Relaxed) as usize, info)
    })
}

/// For the last fault exit on this thread, if it was a fault inside a helper: the guest
/// address of the instruction that called the helper (then [`take_fault`]'s host PC means
/// nothing); clears it.
pub fn take_fault_guest_pc() -> Option<u64> {
    FAULT_GUEST_PC.with(|f| f.swap(0, Ordering::Relaxed).checked_sub(1))
}

/// Whether the last fault exit on this thread was a write to a protected code page (see
/// [`crate::memory::protect`]); clears it. The host PC is [`take_fault`]'s.
pub fn take_code_write() -> bool {
    CODE_WRITE.with(|f| f.swap(false, Ordering::Relaxed))
}

/// `si_code` of a write to a page mapped without write permission.
const SEGV_ACCERR: i32 = 2;

/// While the returned guard lives, the host handler raises `flag` (the running guest state's)
/// whenever it records a signal for this thread. Raised at once if a signal was recorded
/// before.
///
/// # Safety
/// `flag` stays where it is, alive, until the guard is dropped (it is written through a
/// pointer from the signal handler).
pub unsafe fn watch(flag: &SignalFlag) -> Watch {
    FLAG.with(|f| f.store(std::ptr::from_ref(flag).cast_mut(), Ordering::Release));
    if pending() {
        flag.raise();
    }
    Watch(())
}

/// See [`watch`]: the host handler forgets the flag when this is dropped (before the guest
/// state it lives in can go).
pub struct Watch(());

impl Drop for Watch {
    fn drop(&mut self) {
        FLAG.with(|f| f.store(std::ptr::null_mut(), Ordering::Release));
    }
}

/// Keeps this thread's watched flag ([`watch`]) across a vfork child, which runs on this
/// thread's thread-locals with a flag of its own and may exec without dropping its
/// [`Watch`]: when this is dropped, in the parent after the child is gone, the parent's
/// flag is watched again (and the child's, on its unmapped host stack, never written).
pub struct KeptWatch(*mut SignalFlag);

/// See [`KeptWatch`].
pub fn keep_watch() -> KeptWatch {
    KeptWatch(FLAG.with(|f| f.load(Ordering::Acquire)))
}

impl Drop for KeptWatch {
    fn drop(&mut self) {
        FLAG.with(|f| f.store(self.0, Ordering::Release));
    }
}

/// Marks whether this thread runs translated code now (the dispatcher, around each entry).
#[inline]
pub fn set_in_translated_code(running: bool) {
    IN_TRANSLATED_CODE.with(|f| f.store(running, Ordering::Relaxed));
}
/// The executable range of the code cache, `[start, end)`.
static CODE_START: AtomicUsize = AtomicUsize::new(0);
static CODE_END: AtomicUsize = AtomicUsize::new(0);

/// Records the code cache's executable range (it moves when a threaded cache is flushed;
/// code in retired regions is still known as the guest's by the per-thread flag).
pub fn set_code_range(code_range: std::ops::Range<usize>) {
    CODE_START.store(code_range.start, Ordering::Relaxed);
    CODE_END.store(code_range.end, Ordering::Relaxed);
}

/// The signals whose host handler is the runtime's.
pub const RUNTIME_SIGNALS: [i32; 2] = [libc::SIGSEGV, libc::SIGBUS];

/// Where a SIGSEGV/SIGBUS came from (see the module documentation).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Origin {
    Sent,
    GuestFault,
    XlateBug,
}

/// Classifies a SIGSEGV/SIGBUS by its `si_code`, whether the host PC was in the code cache,
/// and whether translated code (or a helper it called) was running.
pub fn classify(si_code: i32, pc_in_code_cache: bool, in_translated_code: bool) -> Origin {
    if si_code <= 0 {
        Origin::Sent
    } else if pc_in_code_cache || in_translated_code {
        Origin::GuestFault
    } else {
        Origin::XlateBug
    }
}

/// What the handler does about a signal of this origin, given the guest's handler value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Response {
    /// Return; the signal is gone (a sent signal the guest ignores).
    Ignore,
    /// Record it for delivery to the guest's handler at the next block boundary.
    Pend,
    /// Install the default disposition and send the signal again to this thread.
    ResendWithDefault,
    /// Install the default disposition and return: the faulting instruction faults again.
    RefaultWithDefault,
    /// A fault of translated code that the guest handles: record it and resume at the
    /// backend's fault exit, which returns to the dispatcher; it delivers the signal with the
    /// guest PC of the faulting instruction.
    FaultExit,
    /// Print the xlate-bug line, then as `RefaultWithDefault`.
    ReportBug,
}

/// `site_known`: the faulting guest instruction can be found (the PC in the code cache, or
/// the address a helper's caller stored; the thread runs a watched guest state and the
/// backend has a fault exit), where the state is precise at every instruction that can fault
/// (see `ir::opt`).
///
/// `kernel_fault`: the host raised it with SI_KERNEL (an x86-64 host's #GP or #SS), which says
/// which signal the *host* instruction got; the dispatcher works out the guest's from the guest
/// instruction (`Guest::kernel_fault_signal`), so it goes there even without a guest handler.
pub fn respond(origin: Origin, guest_handler: u64, site_known: bool, kernel_fault: bool) -> Response {
    match origin {
        Origin::Sent if guest_handler == SIG_IGN => Response::Ignore,
        Origin::Sent if guest_handler > SIG_IGN => Response::Pend,
        Origin::Sent => Response::ResendWithDefault,
        Origin::GuestFault if (guest_handler > SIG_IGN || kernel_fault) && site_known => Response::FaultExit,
        Origin::GuestFault => Response::RefaultWithDefault,
        Origin::XlateBug => Response::ReportBug,
    }
}

/// Installs the runtime's handler for SIGSEGV and SIGBUS (replacing the Rust runtime's stack
/// overflow handler, whose job the xlate-bug report takes over) and records the code cache's
/// executable range. The handler runs on the alternate stack the Rust runtime set up for
/// this thread, if any (SA_ONSTACK), so that an overflow of xlate's own stack is reported.
pub fn install(code_range: std::ops::Range<usize>) {
    set_host_handler_installer(install_guest_handler);
    CODE_START.store(code_range.start, Ordering::Relaxed);
    CODE_END.store(code_range.end, Ordering::Relaxed);
    for sig in RUNTIME_SIGNALS {
        // SAFETY: `act` is a fully initialised sigaction whose handler is an
        // `extern "C" fn(c_int, *mut siginfo_t, *mut c_void)` as SA_SIGINFO requires; `old`
        // is a local the kernel fills.
        let old = unsafe {
            let mut act: libc::sigaction = std::mem::zeroed();
            let mut old: libc::sigaction = std::mem::zeroed();
            act.sa_sigaction = on_fault_signal as *const () as usize;
            act.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut act.sa_mask);
            libc::sigaction(sig, &act, &mut old);
            old
        };
        if old.sa_sigaction == libc::SIG_IGN {
            set_inherited_handler(sig, SIG_IGN);
        }
    }
}

/// The host PC of the interrupted context.
///
/// # Safety
/// `ctx` is the `ucontext_t` the kernel passed to an SA_SIGINFO handler.
unsafe fn interrupted_pc(ctx: *mut libc::c_void) -> usize {
    let uc = ctx as *const libc::ucontext_t;
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: per the contract, `uc` is a valid ucontext_t.
        unsafe { (*uc).uc_mcontext.gregs[libc::REG_RIP as usize] as usize }
    }
    #[cfg(target_arch = "aarch64")]
    {
        // SAFETY: per the contract, `uc` is a valid ucontext_t.
        unsafe { (*uc).uc_mcontext.pc as usize }
    }
}

/// For a fault inside a helper that touches guest memory (Rust code that translated code
/// called): the guest address of the instruction that called it. Translated code stores it
/// in the state header's `next_pc` before every call of such a helper (`ir::Builder::call`,
/// `ir::Helper::touches_memory`); the word is otherwise written only when a block exits.
///
/// # Safety
/// `state` is the address of the guest state this thread runs (it starts with the header).
unsafe fn helper_guest_pc(state: usize) -> u64 {
    let next_pc = (state + crate::ir::protocol::header::NEXT_PC as usize) as *const u64;
    // SAFETY: per the contract; the word is an aligned u64 of the state, and this thread,
    // interrupted in the helper, is the one that writes it.
    unsafe { next_pc.read_volatile() }
}

/// Makes the interrupted context continue at `fault_exit` with the entry trampoline's stack
/// pointer `sp` and the guest state pointer `state` in the backend's state register (a
/// helper, which may have used that callee-saved register, may be what was interrupted; its
/// frames are abandoned: the helpers that touch guest memory hold no lock and own nothing to
/// drop at that point).
///
/// # Safety
/// `ctx` is the `ucontext_t` the kernel passed to an SA_SIGINFO handler.
unsafe fn resume_at_fault_exit(ctx: *mut libc::c_void, fault_exit: usize, sp: usize, state: usize) {
    let uc = ctx as *mut libc::ucontext_t;
    #[cfg(target_arch = "x86_64")]
    {
        const _: () = assert!(crate::backend::x86_64::STATE_REGISTER == 15, "the state is in r15");
        // SAFETY: per the contract, `uc` is a valid ucontext_t.
        unsafe {
            (*uc).uc_mcontext.gregs[libc::REG_RIP as usize] = fault_exit as i64;
            (*uc).uc_mcontext.gregs[libc::REG_RSP as usize] = sp as i64;
            (*uc).uc_mcontext.gregs[libc::REG_R15 as usize] = state as i64;
        }
    }
    #[cfg(target_arch = "aarch64")]
    {
        // SAFETY: per the contract, `uc` is a valid ucontext_t.
        unsafe {
            (*uc).uc_mcontext.pc = fault_exit as u64;
            (*uc).uc_mcontext.sp = sp as u64;
            (*uc).uc_mcontext.regs[crate::backend::aarch64::STATE_REGISTER as usize] = state as u64;
        }
    }
}

extern "C" fn on_fault_signal(sig: i32, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo_t and ucontext_t to an SA_SIGINFO handler.
    let (si_code, addr, pc) = unsafe { ((*info).si_code, (*info).si_addr() as usize, interrupted_pc(ctx)) };
    let in_cache = (CODE_START.load(Ordering::Relaxed)..CODE_END.load(Ordering::Relaxed)).contains(&pc);
    // A write to a page that is read-only only because translations were made from it (see
    // memory::protect): never the guest's fault. The page is writable again and marked
    // written; a store of translated code leaves its block through the fault exit, so the
    // dispatcher drops what the store made stale before the guest goes on (a store into the
    // rest of its own block included); anything else (a helper, xlate's own copy to guest
    // memory) runs the access again.
    if sig == libc::SIGSEGV
        && si_code == SEGV_ACCERR
        && crate::memory::protect::unprotect_written_page(addr as u64)
    {
        let fault_exit = FAULT_EXIT.load(Ordering::Relaxed);
        let state = FLAG.with(|f| f.load(Ordering::Acquire)) as usize;
        if in_cache && fault_exit != 0 && state != 0 {
            CODE_WRITE.with(|f| f.store(true, Ordering::Relaxed));
            FAULT.with(|f| f[0].store(pc as u64, Ordering::Relaxed));
            // SAFETY: a fault of translated code on this thread (`in_cache`).
            unsafe { super::fault_state::save(ctx) };
            // The guest state this thread runs: its signal flag's header starts it.
            let state = state - crate::ir::protocol::header::SIGNAL_PENDING as usize;
            // SAFETY: as for `Response::FaultExit` below.
            unsafe { resume_at_fault_exit(ctx, fault_exit, crate::backend::entry_sp(), state) };
        }
        return;
    }
    let origin = classify(si_code, in_cache, IN_TRANSLATED_CODE.with(|f| f.load(Ordering::Relaxed)));
    let fault_exit = FAULT_EXIT.load(Ordering::Relaxed);
    let handler = guest_handler(sig);
    let kernel_fault = si_code == 0x80 || classify_all_faults(); // SI_KERNEL
                                                                 // The guest state this thread runs: its signal flag's header starts it (0: none).
    let state = match FLAG.with(|f| f.load(Ordering::Acquire)) as usize {
        0 => 0,
        flag => flag - crate::ir::protocol::header::SIGNAL_PENDING as usize,
    };
    // Where the faulting guest instruction is: the PC in the code cache, or for a fault
    // inside a helper the guest address its caller stored (looked at only when it matters).
    let helper_pc = match origin {
        Origin::GuestFault if !in_cache && state != 0 => {
            // SAFETY: `state` is the guest state of this thread, watched while it runs.
            Some(unsafe { helper_guest_pc(state) })
        }
        _ => None,
    };
    match respond(origin, handler, state != 0 && fault_exit != 0, kernel_fault) {
        Response::Ignore => {}
        Response::FaultExit => {
            FAULT_GUEST_PC.with(|f| f.store(helper_pc.map_or(0, |pc| pc + 1), Ordering::Relaxed));
            FAULT.with(|f| {
                f[0].store(pc as u64, Ordering::Relaxed);
                let words = info as *const u64;
                for (i, w) in f[1..].iter().enumerate() {
                    // SAFETY: siginfo_t is 128 bytes and 8-aligned.
                    w.store(unsafe { words.add(i).read() }, Ordering::Relaxed);
                }
            });
            let fault_exit = if in_cache {
                // SAFETY: a fault of translated code on this thread.
                unsafe { super::fault_state::save(ctx) };
                fault_exit
            } else {
                // The helper's registers are not translated code's: the exit that leaves the
                // state as the call left it.
                HELPER_FAULT_EXIT.load(Ordering::Relaxed)
            };
            // SAFETY: `ctx` is the kernel's ucontext for this handler; translated code (or a
            // helper it called) was interrupted, entered with this thread's `entry_sp` on
            // the guest state that `state` points to.
            unsafe { resume_at_fault_exit(ctx, fault_exit, crate::backend::entry_sp(), state) };
        }
        // SAFETY: `info` is the kernel's siginfo for this handler.
        Response::Pend => unsafe { record(sig, info) },
        Response::ResendWithDefault => {
            set_default(sig);
            // SAFETY: plain syscalls; the signal stays pending (blocked while this handler
            // runs) and takes its default action when the handler returns.
            unsafe {
                libc::syscall(libc::SYS_tgkill, libc::getpid(), libc::syscall(libc::SYS_gettid), sig);
            }
        }
        Response::RefaultWithDefault => set_default(sig),
        Response::ReportBug => {
            let mut line = LineBuf::default();
            line.push(b"xlate: internal error (a bug in xlate, not in the guest): ");
            line.push(if sig == libc::SIGBUS { b"SIGBUS" } else { b"SIGSEGV" });
            line.push(b" at host pc ");
            line.hex(pc as u64);
            line.push(b", address ");
            line.hex(addr as u64);
            line.push(b"\n");
            // SAFETY: write(2) of a local buffer to stderr, async-signal-safe.
            unsafe { libc::write(2, line.buf.as_ptr().cast(), line.len) };
            set_default(sig);
        }
    }
}

/// One thread's signals recorded for delivery to its guest handlers. The kernel picks the
/// thread that takes a process-directed signal (one that does not block it), and that thread
/// delivers it, as the kernel would deliver it to that thread.
struct Pending {
    /// Bit `sig - 1` for each recorded signal.
    set: AtomicU64,
    /// The siginfo of each recorded signal, as 16 words (the last one recorded wins, as
    /// standard signals coalesce in the kernel too).
    info: [[AtomicU64; 16]; 64],
}

impl Pending {
    const fn new() -> Pending {
        Pending { set: AtomicU64::new(0), info: [const { [const { AtomicU64::new(0) }; 16] }; 64] }
    }
}

/// Whether a signal waits for delivery to a guest handler on this thread (the dispatcher
/// tests the state's [`SignalFlag`] instead, which [`watch`] keeps in step with this).
#[inline]
pub fn pending() -> bool {
    PENDING.with(|p| p.set.load(Ordering::Relaxed) != 0)
}

/// Takes this thread's lowest recorded signal and its siginfo bytes.
pub fn take_pending() -> Option<(i32, [u8; 128])> {
    PENDING.with(|p| {
        let set = p.set.load(Ordering::Acquire);
        if set == 0 {
            return None;
        }
        let sig = set.trailing_zeros() as i32 + 1;
        p.set.fetch_and(!(1 << (sig - 1)), Ordering::AcqRel);
        let mut info = [0u8; 128];
        for (i, w) in p.info[sig as usize - 1].iter().enumerate() {
            info[8 * i..8 * i + 8].copy_from_slice(&w.load(Ordering::Relaxed).to_le_bytes());
        }
        Some((sig, info))
    })
}

/// Records `sig` with its siginfo for delivery on this thread.
///
/// # Safety
/// `info` points to a readable 128-byte siginfo_t.
unsafe fn record(sig: i32, info: *const libc::siginfo_t) {
    PENDING.with(|p| {
        let Some(slot) = p.info.get((sig as usize).wrapping_sub(1)) else { return };
        let words = info as *const u64;
        for (i, w) in slot.iter().enumerate() {
            // SAFETY: siginfo_t is 128 bytes and 8-aligned, per the contract.
            w.store(unsafe { words.add(i).read() }, Ordering::Relaxed);
        }
        p.set.fetch_or(1 << (sig - 1), Ordering::Release);
    });
    let flag = FLAG.with(|f| f.load(Ordering::Acquire));
    if !flag.is_null() {
        // SAFETY: a non-null FLAG points into the guest state of the thread this handler
        // interrupted, which outlives its `Watch` (see `watch`); the flag is an atomic.
        unsafe { (*flag).raise() };
    }
}

/// The host handler for a signal with a guest handler: records it (see the module docs).
/// If it interrupted a forwarded call that has not started (past its test of the signal
/// flag) or that the kernel is about to restart (the PC moved back to the call's syscall
/// instruction), the call returns `host::syscall::RESTART` instead, so that the guest's
/// handler runs before the guest issues the call again. (Before that test the raised flag
/// itself makes the call return RESTART without starting.)
extern "C" fn on_guest_signal(sig: i32, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo_t and ucontext_t to an SA_SIGINFO handler.
    unsafe {
        record(sig, info);
        hold_realtime(sig, interrupted_mask(ctx));
        if syscall::in_restart_window(interrupted_pc(ctx)) {
            return_restart(ctx);
        }
    }
}

/// The signal mask that the kernel restores when the handler returns: the first word of the
/// context's `uc_sigmask` (the kernel's 64-bit sigset, where libc's larger sigset_t begins).
///
/// # Safety
/// `ctx` is the `ucontext_t` the kernel passed to an SA_SIGINFO handler, not otherwise
/// borrowed while the result lives.
unsafe fn interrupted_mask<'a>(ctx: *mut libc::c_void) -> &'a mut u64 {
    let uc = ctx as *mut libc::ucontext_t;
    // SAFETY: per the contract; uc_sigmask is 8-aligned and at least 8 bytes long.
    unsafe { &mut *std::ptr::addr_of_mut!((*uc).uc_sigmask).cast::<u64>() }
}

/// Makes the interrupted context return [`syscall::RESTART`] from the forwarded call.
///
/// # Safety
/// `ctx` is the `ucontext_t` the kernel passed to an SA_SIGINFO handler, stopped in
/// [`syscall::in_restart_window`].
unsafe fn return_restart(ctx: *mut libc::c_void) {
    let uc = ctx as *mut libc::ucontext_t;
    let resume = syscall::restart_return();
    // SAFETY (both): per the contract; the kernel restores these registers from `uc`.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        (*uc).uc_mcontext.gregs[libc::REG_RAX as usize] = syscall::RESTART;
        (*uc).uc_mcontext.gregs[libc::REG_RIP as usize] = resume as i64;
    }
    #[cfg(target_arch = "aarch64")]
    unsafe {
        (*uc).uc_mcontext.regs[0] = syscall::RESTART as u64;
        (*uc).uc_mcontext.pc = resume as u64;
    }
}

/// Installs [`on_guest_signal`] for `sig` (the syscall layer's hook for rt_sigaction with a
/// guest handler); 0 or -errno. The handler's host mask is empty: the guest's handler mask is
/// applied when the frame is built.
fn install_guest_handler(sig: i32, restart: bool) -> i64 {
    // SAFETY: `act` is a fully initialised sigaction with an SA_SIGINFO-style handler.
    let r = unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = on_guest_signal as *const () as usize;
        act.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | if restart { libc::SA_RESTART } else { 0 };
        libc::sigemptyset(&mut act.sa_mask);
        libc::sigaction(sig, &act, std::ptr::null_mut())
    };
    if r == 0 {
        0
    } else {
        -i64::from(std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EINVAL))
    }
}

fn set_default(sig: i32) {
    // SAFETY: signal(2) with SIG_DFL is async-signal-safe and touches no memory.
    unsafe { libc::signal(sig, libc::SIG_DFL) };
}

/// A fixed buffer for one line written from a signal handler (no allocation there).
struct LineBuf {
    buf: [u8; 160],
    len: usize,
}

impl Default for LineBuf {
    fn default() -> Self {
        LineBuf { buf: [0; 160], len: 0 }
    }
}

impl LineBuf {
    fn push(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
    }

    fn hex(&mut self, v: u64) {
        let mut digits = [0u8; 18];
        digits[..2].copy_from_slice(b"0x");
        for i in 0..16 {
            digits[2 + i] = b"0123456789abcdef"[((v >> (60 - 4 * i)) & 0xf) as usize];
        }
        self.push(&digits);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syscall::signal::SIG_DFL;

    #[test]
    fn sent_signals_take_the_guests_disposition() {
        // SI_USER (kill), SI_TKILL (tgkill/raise), SI_QUEUE (sigqueue).
        for code in [0, -6, -1] {
            assert_eq!(classify(code, false, false), Origin::Sent);
            assert_eq!(classify(code, true, true), Origin::Sent);
        }
        assert_eq!(respond(Origin::Sent, SIG_IGN, true, false), Response::Ignore);
        assert_eq!(respond(Origin::Sent, SIG_DFL, true, false), Response::ResendWithDefault);
        assert_eq!(respond(Origin::Sent, 0x401000, true, false), Response::Pend);
    }

    #[test]
    fn faults_are_the_guests_only_in_translated_code() {
        const SEGV_MAPERR: i32 = 1;
        assert_eq!(classify(SEGV_MAPERR, true, true), Origin::GuestFault);
        assert_eq!(classify(SEGV_MAPERR, false, true), Origin::GuestFault, "helper for the guest");
        assert_eq!(classify(SEGV_MAPERR, false, false), Origin::XlateBug);
        // A fault cannot be ignored, not even by a guest that ignores the signal.
        assert_eq!(respond(Origin::GuestFault, SIG_IGN, true, false), Response::RefaultWithDefault);
        assert_eq!(respond(Origin::XlateBug, SIG_IGN, true, false), Response::ReportBug);
        // A handled fault goes to the guest's handler where its guest instruction is known
        // (in translated code, or the address a helper's caller stored); else the default action.
        assert_eq!(respond(Origin::GuestFault, 0x401000, true, false), Response::FaultExit);
        assert_eq!(respond(Origin::GuestFault, 0x401000, false, false), Response::RefaultWithDefault);
        assert_eq!(respond(Origin::XlateBug, 0x401000, false, false), Response::ReportBug);
        // A host #GP/#SS (SI_KERNEL) at a known site goes to the dispatcher, which gives the
        // guest's signal, handler or not.
        assert_eq!(respond(Origin::GuestFault, SIG_DFL, true, true), Response::FaultExit);
        assert_eq!(respond(Origin::GuestFault, SIG_DFL, false, true), Response::RefaultWithDefault);
    }

    #[test]
    fn the_bug_line_prints_addresses_in_hex() {
        let mut line = LineBuf::default();
        line.push(b"at ");
        line.hex(0xdead_beef);
        assert_eq!(&line.buf[..line.len], b"at 0x00000000deadbeef");
    }
}
