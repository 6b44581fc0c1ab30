//! Guest threads as the syscall layer sees them: clone of a thread (checked here, started by
//! the runtime, which owns host threads), exit of one thread versus the process, and the
//! records the kernel keeps per thread that xlate keeps itself: the CLONE_CHILD_CLEARTID /
//! set_tid_address word, the robust futex list and the alternate signal stack.
//!
//! Each guest thread runs on its own host thread, so these records are host thread-locals,
//! and the guest's thread id is the host thread's (gettid, tgkill and futex are forwarded).
//! The clear-tid word is xlate's, not the kernel's: the host thread's own one belongs to the
//! host's libc, and the kernel would clear the guest's word only when the host thread ends,
//! after the guest may have reused the memory. So at a guest thread's exit xlate stores 0
//! there and wakes one futex waiter on it (what pthread_join waits for), as the kernel does.

use super::memory::{compare_exchange_u32, read_bytes, write_bytes};
use super::{err, host, Action, Ctx, Sysno};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

thread_local! {
    /// set_tid_address / CLONE_CHILD_CLEARTID: the guest word cleared at this thread's exit.
    static CLEAR_CHILD_TID: Cell<u64> = const { Cell::new(0) };
    /// set_robust_list's head for this thread (0 for none).
    static ROBUST_LIST: Cell<u64> = const { Cell::new(0) };
    /// sigaltstack's (ss_sp, ss_flags, ss_size) for this thread, if set.
    static ALTSTACK: Cell<Option<(u64, i32, u64)>> = const { Cell::new(None) };
    /// Set while a vfork child runs. The child shares the suspended parent thread's
    /// thread-locals (see `process::Vfork`), so the parent's runtime sets this before the
    /// child starts and clears it when the child has exec'd or exited.
    static IN_VFORK_CHILD: Cell<bool> = const { Cell::new(false) };
}

/// Whether this host thread is running a vfork child (see `IN_VFORK_CHILD`).
pub fn in_vfork_child() -> bool {
    IN_VFORK_CHILD.with(|c| c.get())
}

/// Marks the start (`true`) and the end (`false`) of a vfork child.
pub fn set_in_vfork_child(running: bool) {
    IN_VFORK_CHILD.with(|c| c.set(running));
}

/// Guest threads alive in this process (the main thread included).
static LIVE_THREADS: AtomicUsize = AtomicUsize::new(1);

/// Every guest thread's robust list head, with its tid: the process's end (exit_group, or
/// exit of the last thread) walks them all, as the kernel walks each thread's list while the
/// thread group dies. Changed only under the world's lock (the syscall layer's).
static ROBUST_HEADS: Mutex<Vec<(u32, u64)>> = Mutex::new(Vec::new());

fn robust_heads() -> std::sync::MutexGuard<'static, Vec<(u32, u64)>> {
    ROBUST_HEADS.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The guest threads that made their exit call while their host thread may still live (not
/// the main thread, whose task Linux keeps until the process ends): a signal sent to one of
/// them (tgkill, tkill, rt_tgsigqueueinfo, kill) fails with ESRCH, as it does in Linux once
/// the exiting task is released (a few microseconds after its clear-tid wake; xlate's host
/// thread takes longer to end, and would widen that window). A tid leaves the table
/// when a new thread of this process gets it, or when the host thread is found gone
/// ([`signals_exited_thread`]). Under the world's lock.
static EXITED: Mutex<Vec<u32>> = Mutex::new(Vec::new());

fn exited() -> std::sync::MutexGuard<'static, Vec<u32>> {
    EXITED.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether host thread `tid` of this process still exists (tgkill with signal 0).
fn host_thread_alive(tid: u32) -> bool {
    let pid = host::call(Sysno::getpid, [0; 6]) as u64;
    host::call(Sysno::tgkill, [pid, u64::from(tid), 0, 0, 0, 0]) != -i64::from(libc::ESRCH)
}

/// Whether the guest's `sys` (kill, tkill, tgkill, rt_tgsigqueueinfo) with arguments `a`
/// targets a guest thread that has exited ([`EXITED`]) while its host thread still ends:
/// the call then fails with ESRCH without reaching the host. (kill with a thread's tid sends
/// to its process in Linux, and fails the same way once that thread is gone.)
pub(crate) fn signals_exited_thread(sys: Sysno, a: &[u64; 6]) -> bool {
    let tid = match sys {
        Sysno::tkill | Sysno::kill => a[0] as i32,
        Sysno::tgkill | Sysno::rt_tgsigqueueinfo
            if i64::from(a[0] as i32) == host::call(Sysno::getpid, [0; 6]) =>
        {
            a[1] as i32
        }
        _ => return false,
    };
    if tid <= 0 {
        return false;
    }
    let tid = tid as u32;
    let mut exited = exited();
    if !exited.contains(&tid) {
        return false;
    }
    if host_thread_alive(tid) {
        return true;
    }
    exited.retain(|&t| t != tid);
    false
}

fn gettid() -> u32 {
    host::call(Sysno::gettid, [0; 6]) as u32
}

/// The clone flags that make a thread, all required (the kernel refuses CLONE_THREAD without
/// CLONE_SIGHAND, and CLONE_SIGHAND without CLONE_VM); xlate's host threads also share the
/// filesystem context and the file table.
const THREAD_FLAGS: u64 =
    (libc::CLONE_VM | libc::CLONE_SIGHAND | libc::CLONE_THREAD | libc::CLONE_FS | libc::CLONE_FILES) as u64;
/// Flags a thread clone may add: what glibc, musl and Go pass.
const THREAD_EXTRAS: u64 = (libc::CLONE_SYSVSEM
    | libc::CLONE_SETTLS
    | libc::CLONE_PARENT_SETTID
    | libc::CLONE_CHILD_SETTID
    | libc::CLONE_CHILD_CLEARTID
    | libc::CLONE_DETACHED) as u64;

/// A thread the guest asked for with clone: the runtime starts a host thread whose guest
/// state is a copy of the caller's with `stack` (if not 0) as stack pointer, `tls` (with
/// CLONE_SETTLS) as thread pointer, and 0 as the call's result; it writes the new tid to
/// `child_tid` (CLONE_CHILD_SETTID, in the child, before it runs) and to `parent_tid`
/// (CLONE_PARENT_SETTID), and records `child_tid` to clear at exit (CLONE_CHILD_CLEARTID).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct NewThread {
    pub flags: u64,
    pub stack: u64,
    pub parent_tid: u64,
    pub child_tid: u64,
    pub tls: u64,
}

impl NewThread {
    pub fn has(&self, flag: i32) -> bool {
        self.flags & flag as u64 != 0
    }
}

/// Whether clone `flags` ask for a thread (CLONE_THREAD, or shared memory without vfork).
pub(crate) fn is_thread_clone(flags: u64) -> bool {
    flags & libc::CLONE_THREAD as u64 != 0
        || (flags & libc::CLONE_VM as u64 != 0 && flags & libc::CLONE_VFORK as u64 == 0)
}

/// clone(flags, stack, parent_tid, child_tid, tls) of a thread (argument order per the ABI):
/// checked, then handed to the runtime. Shared memory without CLONE_THREAD (a process that
/// shares the address space) and namespaces, pidfds and the like are refused with ENOSYS.
pub(crate) fn clone_thread(cx: &Ctx, a: [u64; 6]) -> Action {
    let flags = a[0];
    let (tls, child_tid) = if cx.abi.clone_tls_before_child_tid { (a[3], a[4]) } else { (a[4], a[3]) };
    if flags & THREAD_FLAGS != THREAD_FLAGS
        || flags & !(THREAD_FLAGS | THREAD_EXTRAS | libc::CSIGNAL as u64) != 0
    {
        return err(libc::ENOSYS);
    }
    if in_vfork_child() {
        // A thread would belong to the child process, which shares the parent's memory and
        // runs on the parent thread's thread-locals until it execs: refused.
        return err(libc::EAGAIN);
    }
    Action::NewThread(NewThread { flags, stack: a[1], parent_tid: a[2], child_tid, tls })
}

/// A new guest thread starts on this host thread: records its clear-tid word. Returns its
/// tid.
pub fn start_thread(request: &NewThread) -> i64 {
    if request.has(libc::CLONE_CHILD_CLEARTID) {
        CLEAR_CHILD_TID.with(|c| c.set(request.child_tid));
    }
    register_with_host(0);
    host::call(Sysno::gettid, [0; 6])
}

/// The parent's side once the new thread's tid is known (the child runs no guest code
/// before this): the tid is no longer an exited thread's ([`EXITED`]); CLONE_CHILD_SETTID
/// and CLONE_PARENT_SETTID stores (a bad address is ignored, as the kernel's put_user
/// failures are).
pub fn write_tids(mem: &dyn super::GuestMm, request: &NewThread, tid: i64) {
    // The tid of a thread that exited before is this new thread's now.
    exited().retain(|&t| i64::from(t) != tid);
    let bytes = (tid as u32).to_le_bytes();
    if request.has(libc::CLONE_CHILD_SETTID) {
        let _ = write_bytes(mem, request.child_tid, &bytes);
    }
    if request.has(libc::CLONE_PARENT_SETTID) {
        let _ = write_bytes(mem, request.parent_tid, &bytes);
    }
}

/// Counts a thread that is about to start (before its host thread exists, so that an exit of
/// another thread in between does not take the process down).
pub fn thread_created() {
    LIVE_THREADS.fetch_add(1, Ordering::AcqRel);
}

/// A thread counted by [`thread_created`] could not be started.
pub fn thread_not_created() {
    LIVE_THREADS.fetch_sub(1, Ordering::AcqRel);
}

/// In a forked child: only the calling thread exists, and it has no robust list (the kernel
/// gives a new process none: `futex_init_task`; the host libc's fork registered its own).
pub fn after_fork_child() {
    LIVE_THREADS.store(1, Ordering::Release);
    ROBUST_LIST.with(|c| c.set(0));
    robust_heads().clear();
    exited().clear();
    register_with_host(0);
}

/// exit of one thread: the process ends if it is the last one (exit_group then), else this
/// thread's clear-tid word is cleared and woken and the thread ends.
pub(crate) fn exit(cx: &mut Ctx, status: i32) -> Action {
    let mut live = LIVE_THREADS.load(Ordering::Acquire);
    if live > 1 && !in_vfork_child() {
        if let Some(action) = stop_taking_signals(cx) {
            return action;
        }
    }
    loop {
        // (A vfork child is a process of one thread; the count is its parent's.)
        if live <= 1 || in_vfork_child() {
            return exit_group(cx, status);
        }
        match LIVE_THREADS.compare_exchange(live, live - 1, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => break,
            Err(now) => live = now,
        }
    }
    let tid = gettid();
    robust_heads().retain(|&(t, _)| t != tid);
    let head = ROBUST_LIST.with(|c| c.replace(0));
    release_robust_list(cx, head, tid);
    if i64::from(tid) != host::call(Sysno::getpid, [0; 6]) {
        // From here the guest may see the thread gone (its join may return): it is signalled
        // no more. Entries whose host thread has ended since are dropped on the way.
        let mut exited = exited();
        exited.retain(|&t| host_thread_alive(t));
        exited.push(tid);
    }
    // The host thread lives on for a while (and the guest may reuse the list's memory once
    // it is woken below): the kernel must not walk the list again when it ends.
    register_with_host(0);
    let addr = CLEAR_CHILD_TID.with(|c| c.replace(0));
    if addr != 0 {
        // (SIGSEGV is blocked now: a code page there must not make the store fault.)
        cx.mem.prepare_kernel_write(addr, 4);
        if write_bytes(&*cx.mem, addr, &0u32.to_le_bytes()).is_ok() {
            // FUTEX_WAKE (shared, as the kernel's own wake at thread exit) of one waiter.
            host::call(Sysno::futex, [addr, libc::FUTEX_WAKE as u64, 1, 0, 0, 0]);
        }
    }
    Action::ExitThread(status)
}

/// The start of one thread's exit, for its signals. The kernel never gives a thread that is
/// exiting a process-directed signal (`wants_signal` skips PF_EXITING, and `exit_signals`
/// hands the ones pending for the process to another thread) and drops the ones sent to the
/// thread itself that are still pending when it ends; one that arrived before the exit call
/// is delivered before the call runs. Here the host thread outlives the guest's exit call
/// (the clear-tid wake, the robust walk, the host thread's own end), and a signal the host
/// handler records for it then would never reach a guest handler. So the host thread blocks
/// every signal first, SIGSEGV and SIGBUS included: from then on the host kernel gives a
/// process-directed signal to another thread or keeps it pending for the process, and one
/// sent to this thread dies with it, as in Linux. (A SIGSEGV or SIGBUS sent with kill would
/// otherwise be recorded here for a guest handler that never runs; a fault the host raises
/// while they are blocked kills the process, so xlate's own writes for the exiting thread,
/// the robust walk and the clear-tid store, first take the translator's write protection
/// off code pages there, as for the kernel's writes.) If one was recorded before that (the
/// signal flag is raised), the mask goes back and the call is rewound: the guest's handler
/// runs, then the guest issues exit again (as if the signal had come just before the call).
/// `None` to go on exiting.
fn stop_taking_signals(cx: &mut Ctx) -> Option<Action> {
    // The host's sigset_t as the kernel sees it: 64 bits (SIGKILL and SIGSTOP stay
    // unblocked whatever is asked).
    let all: u64 = !0;
    let mut old: u64 = 0;
    let set = |how: i32, new: &u64, old: &mut u64| {
        host::call(
            Sysno::rt_sigprocmask,
            [how as u64, std::ptr::from_ref(new) as u64, std::ptr::from_mut(old) as u64, 8, 0, 0],
        )
    };
    set(libc::SIG_BLOCK, &all, &mut old);
    if cx.regs.signal_recorded() {
        let mut unused = 0;
        set(libc::SIG_SETMASK, &old, &mut unused);
        return Some(Action::Rewind);
    }
    None
}

/// exit_group (and exit of the last thread): the process ends; first every thread's robust
/// list is walked for it, as the kernel does for each thread of the dying group (this
/// matters for a process-shared robust mutex that another process waits for). Not in a
/// vfork child: the records are its parent's (its own list, if it set one, is registered
/// with the host kernel, which walks it). The kernel walks the lists registered with it
/// again as the host threads end; that second walk finds no lock owned by the dead thread
/// any more (at most it wakes a waiter once more, which a futex waiter must expect). When
/// the process dies by a signal, or execve ends its threads, only the kernel's walk runs
/// (see [`set_robust_list`]).
pub(crate) fn exit_group(cx: &mut Ctx, status: i32) -> Action {
    if !in_vfork_child() {
        let heads = std::mem::take(&mut *robust_heads());
        for (tid, head) in heads {
            release_robust_list(cx, head, tid);
        }
    }
    Action::Exit(status)
}

/// sizeof(struct robust_list_head) on both 64-bit ABIs.
pub(crate) const ROBUST_HEAD_SIZE: u64 = 24;
/// The most entries of a robust list the kernel walks (ROBUST_LIST_LIMIT), so that a
/// circular list cannot hold it forever.
const ROBUST_LIST_LIMIT: usize = 2048;
/// Futex word bits (linux/futex.h).
const FUTEX_WAITERS: u32 = 0x8000_0000;
const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
const FUTEX_TID_MASK: u32 = 0x3fff_ffff;

/// What the kernel does at a thread's exit for the robust list the thread registered
/// (set_robust_list; kernel/futex/core.c, exit_robust_list): every lock in it that the thread
/// still owns is marked FUTEX_OWNER_DIED and one waiter is woken, so that the next
/// pthread_mutex_lock of a robust mutex returns EOWNERDEAD instead of waiting forever. The
/// list (struct robust_list_head: next, futex_offset, list_op_pending; the same on both
/// 64-bit ABIs) at `head` of thread `tid` is the guest's, kept by xlate (see
/// `set_robust_list`), so xlate walks it. A bad pointer ends the walk, as in the kernel.
fn release_robust_list(cx: &mut Ctx, head: u64, tid: u32) {
    if head == 0 {
        return;
    }
    let read_u64 = |cx: &Ctx, addr: u64| {
        read_bytes(&*cx.mem, addr, 8).ok().map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
    };
    let (Some(mut entry), Some(offset), Some(pending)) =
        (read_u64(cx, head), read_u64(cx, head + 8), read_u64(cx, head + 16))
    else {
        return;
    };
    // Bit 0 of an entry pointer marks a priority-inheritance futex.
    for _ in 0..ROBUST_LIST_LIMIT {
        if entry == head {
            break;
        }
        let Some(next) = read_u64(cx, entry & !1) else { return };
        if entry != pending {
            owner_died(cx, (entry & !1).wrapping_add(offset), tid, entry & 1 != 0, false);
        }
        entry = next;
    }
    if pending != 0 {
        owner_died(cx, (pending & !1).wrapping_add(offset), tid, pending & 1 != 0, true);
    }
}

/// The kernel's handle_futex_death for one futex word of an exiting thread `tid`.
fn owner_died(cx: &mut Ctx, addr: u64, tid: u32, pi: bool, pending_op: bool) {
    let wake = |addr: u64| {
        // A shared wake, as the kernel's own.
        host::call(Sysno::futex, [addr, libc::FUTEX_WAKE as u64, 1, 0, 0, 0]);
    };
    let Ok(bytes) = read_bytes(&*cx.mem, addr, 4) else { return };
    let mut word = u32::from_le_bytes(bytes.try_into().expect("4 bytes"));
    loop {
        // A lock being taken when the thread died, not yet owned: wake a waiter so that it
        // does not wait for this thread.
        if pending_op && !pi && word == 0 {
            wake(addr);
            return;
        }
        if word & FUTEX_TID_MASK != tid {
            return;
        }
        let died = (word & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
        // (At a thread's exit SIGSEGV is blocked: a code page there must not make it fault.)
        cx.mem.prepare_kernel_write(addr, 4);
        match compare_exchange_u32(&*cx.mem, addr, word, died) {
            Ok(Ok(_)) => break,
            Ok(Err(seen)) => word = seen,
            Err(_) => return,
        }
    }
    if !pi && word & FUTEX_WAITERS != 0 {
        wake(addr);
    }
}

/// set_tid_address(addr): recorded for this thread (see the module documentation); returns
/// the caller's tid.
pub(crate) fn set_tid_address(addr: u64) -> Action {
    CLEAR_CHILD_TID.with(|c| c.set(addr));
    Action::Ret(host::call(Sysno::gettid, [0; 6]))
}

/// A fork child's CLONE_CHILD_CLEARTID.
pub(crate) fn set_clear_child_tid(addr: u64) {
    CLEAR_CHILD_TID.with(|c| c.set(addr));
}

/// This thread's robust list head (0 for none), as get_robust_list reports it; `None` in a
/// vfork child, whose list is only the host kernel's record of the child's task.
pub(crate) fn robust_list() -> Option<u64> {
    (!in_vfork_child()).then(|| ROBUST_LIST.with(|c| c.get()))
}

/// set_robust_list(head) of this thread (the length was checked: [`ROBUST_HEAD_SIZE`]).
///
/// Recorded, for xlate's own walk at the thread's exit and at exit_group, and registered with
/// the host kernel for this host thread, in place of the host libc's list (xlate takes no
/// robust lock of its own): the list's layout (`struct robust_list_head`: next,
/// futex_offset, list_op_pending, 24 bytes; the futex word's bits) is the same on both
/// 64-bit ABIs, guest memory is host memory at the same addresses, and the guest's tid is
/// the host thread's, so the host kernel's walk at the host thread's death is the guest's:
/// when a signal kills the process (SIGKILL included, which no handler sees) and when
/// execve ends the other threads and releases the caller's own list, exactly as for a native
/// thread (kernel/futex/core.c: exit_robust_list from futex_exit_release and
/// futex_exec_release). Where the host refuses it (qemu-user, which runs the AArch64 build
/// in tests, refuses set_robust_list) only xlate's own walks remain.
pub(crate) fn set_robust_list(head: u64) {
    register_with_host(head);
    // A vfork child's thread-locals are its parent thread's: the child's list is only the
    // host kernel's (its own task's), and the parent's record stays.
    if in_vfork_child() {
        return;
    }
    ROBUST_LIST.with(|c| c.set(head));
    let tid = gettid();
    let mut heads = robust_heads();
    heads.retain(|&(t, _)| t != tid);
    if head != 0 {
        heads.push((tid, head));
    }
}

/// Registers `head` (0: none) as this host thread's robust list with the host kernel; a
/// refusal (qemu-user) is ignored. With 0 at the start of every guest thread (and after a
/// fork), so that the host libc's own list is never walked for, nor shown to, the guest.
pub(crate) fn register_with_host(head: u64) {
    let _ = host::call(Sysno::set_robust_list, [head, ROBUST_HEAD_SIZE, 0, 0, 0, 0]);
}

pub(crate) fn altstack() -> Option<(u64, i32, u64)> {
    ALTSTACK.with(|c| c.get())
}

pub(crate) fn set_altstack(stack: Option<(u64, i32, u64)>) {
    ALTSTACK.with(|c| c.set(stack));
}
