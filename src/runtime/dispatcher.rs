//! The dispatcher: the loop that runs a guest by finding (or translating) the block at the
//! guest's PC, entering its host code, and acting on why that code came back.
//!
//! ```text
//!   pc ──> block_at(pc) ──hit──> enter host code ──> block exit, reason in the StateHeader
//!            │ miss                                     ├─ Lookup:  block_at(next_pc), jump table
//!            v                                          ├─ Chain:   block_at(next_pc), link the site
//!   frontend ─> opt ─> backend                          ├─ Syscall: syscall layer, then next_pc
//!   (into the code cache; full: flush, retry)           │    (changed code: drop its blocks)
//!                                                       ├─ Invalidate: drop written code, then next_pc
//!                                                       └─ Trap:    message, guest handler or death
//! ```
//!
//! Everything the loop touches per block is a hash lookup and a few `u64` counters; the
//! expensive work (translation, linking, syscalls) happens only on the rarer exits.
//!
//! Threads: every guest thread runs this loop ([`run_thread`]) on its own host thread, over
//! one [`World`] (the dispatcher with its code cache, and the guest's environment) behind
//! one mutex. A thread holds the lock except while it runs translated code and while it is in
//! a system call that is forwarded unchanged to the host (read, futex, wait4, nanosleep, ...:
//! the calls that block), so translation, linking, flushes and the syscall layer's records
//! are only ever changed by one thread at a time, and a blocked thread does not stop others.

use super::perfmap::PerfMap;
use super::persist::Persist;
use super::report::Profile;
use super::signals;
use super::stats::Stats;
use crate::backend::{Backend, ChainSite, CompileError};
use crate::cache::{BlockEntry, BlockMap, CodeCache, HostCode};
use crate::frontend::Frontend;
use crate::guest::Guest;
use crate::ir::deferred::FaultSite;
use crate::ir::protocol::ExitReason;
use crate::ir::{self, Exit, GuestAddr, Op, TrapKind};
use crate::memory::code::CodeSource;
use crate::syscall::process::Vfork;
use crate::syscall::ForwardedCall;
use hashbrown::HashMap;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

/// What the syscall layer tells the dispatcher after a guest system call.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SyscallAction {
    /// Continue at the guest's PC (normally the instruction after the syscall).
    Continue,
    /// A new guest thread was made (it waits for the world's lock): from now on several
    /// threads run ([`Dispatcher::set_threaded`]); continue.
    ContinueThreaded,
    /// The guest process exited (exit_group, or exit of its last thread) with this status.
    Exit(i32),
    /// This guest thread exited (exit with other threads alive) with this status.
    ExitThread(i32),
    /// Guest code may have changed somewhere: drop every translation, then continue.
    FlushTranslations,
    /// Guest code in `[start, end)` may have changed (munmap/mprotect/mremap of code): drop
    /// the translations that depend on it, then continue.
    InvalidateTranslations { start: u64, end: u64 },
    /// vfork: run the child ([`run_vfork_child`]), then continue.
    Vfork(Vfork),
}

/// The world around the translated guest: its code in memory and its system calls. The
/// runtime implements it over guest memory and the syscall layer; tests use doubles.
pub trait GuestEnv<S> {
    /// Where guest code is read from.
    fn code(&self) -> &dyn CodeSource;
    /// Runs one guest system call. Its number and arguments are in `state`, whose PC already
    /// points after the syscall instruction.
    fn syscall(&mut self, state: &mut S) -> SyscallAction;
    /// [`Self::syscall`] in two halves: `Err` hands out a call that the dispatcher issues
    /// with its lock released (one that may block), then gives its result to
    /// [`Self::finish_syscall`]. By default the whole call runs in the first half.
    fn begin_syscall(&mut self, state: &mut S) -> Result<SyscallAction, ForwardedCall> {
        Ok(self.syscall(state))
    }
    /// The second half of a call that [`Self::begin_syscall`] handed out.
    fn finish_syscall(&mut self, state: &mut S, call: ForwardedCall, result: i64) -> SyscallAction {
        let _ = (state, call, result);
        unreachable!("begin_syscall handed out no call")
    }
    /// Delivers signal `sig` (host siginfo bytes `info`) to the guest's handler, with the
    /// state complete and its PC where the guest continues; `Some` if the guest must end.
    /// `blocked_here` starts empty at each stop that delivers signals and gathers the
    /// signals that the handlers entered there block: one of those waits (the host kernel
    /// holds it pending again) instead of nesting into the handler that blocks it.
    /// Test doubles without signal handling die by it.
    fn deliver_signal(
        &mut self,
        state: &mut S,
        sig: i32,
        info: &[u8; 128],
        blocked_here: &mut u64,
    ) -> Option<Outcome> {
        let _ = (state, info, blocked_here);
        Some(Outcome::Signal(sig))
    }
    /// Delivers a synchronous signal (a fault or trap of the guest instruction whose state is
    /// in `state`, its PC set as the kernel saves it) to the guest's handler; `Some` if the
    /// guest must die by it. As the kernel forces such a signal, a guest that ignores or
    /// blocks it dies by it too. Test doubles without signal handling die by it.
    fn deliver_fault(&mut self, state: &mut S, sig: i32, info: &[u8; 128]) -> Option<Outcome> {
        let _ = (state, info);
        Some(Outcome::Signal(sig))
    }
    /// The guest ranges whose code was written since the last call (write-protected code
    /// pages that a store or a system call wrote: see `memory::protect`); their translations
    /// are dropped before the guest goes on. Called before every entry into translated code,
    /// so it must be cheap when nothing was written. Test doubles write no code.
    fn take_written_code(&mut self) -> Vec<std::ops::Range<u64>> {
        Vec::new()
    }
    /// Whether every write to guest code that translations came from is seen
    /// ([`Self::take_written_code`]); if not, an A64 `IC IVAU` flushes every translation.
    fn sees_code_writes(&self) -> bool {
        false
    }
    /// Under a debugger ([`Dispatcher::set_debugged`]): called before every guest instruction,
    /// with the state complete and its PC at that instruction. The debugger may change the
    /// state and guest memory.
    fn debug_stop(&mut self, state: &mut S) -> DebugAction {
        let _ = state;
        DebugAction::Run
    }
    /// For a [`SyscallAction::Vfork`]: the state the child starts from (the caller's, with
    /// the call's result 0 and the requested stack), made just before the child runs.
    fn vfork_child(&mut self, parent: &S, request: &Vfork) -> S {
        let _ = (parent, request);
        unreachable!("no vfork without a vfork action")
    }
    /// For a [`SyscallAction::Vfork`], in the parent once the child has exec'd or exited:
    /// `pid` (or -errno) is the call's result.
    fn vfork_done(&mut self, state: &mut S, pid: i64) {
        let _ = (state, pid);
        unreachable!("no vfork without a vfork action")
    }
}

/// What the dispatcher does after [`GuestEnv::debug_stop`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DebugAction {
    /// Run the instruction at the state's PC (which the debugger may have moved).
    Run,
    /// The same, after dropping every translation: the debugger wrote guest memory.
    RunChangedCode,
    /// End the run (the debugger killed the guest).
    End(Outcome),
}

/// How a guest run ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
    /// The guest process exits with this status (exit_group, or exit of its last thread).
    Exit(i32),
    /// The guest must die by this host signal (a trap such as SIGILL or SIGFPE).
    Signal(i32),
    /// This thread exited (exit with other threads still running); the process goes on.
    ThreadExit(i32),
}

/// Everything the guest's threads share: the dispatcher (translation, the code cache) and
/// the guest's environment (memory, the syscall layer), behind one mutex (see the module
/// documentation).
pub struct World<'a, G: Guest, B: Backend, E> {
    pub dispatcher: &'a mut Dispatcher<G, B>,
    pub env: &'a mut E,
}

/// Locks the world; a thread that panicked with it held left it consistent enough for the
/// others to finish (the panic ends the process anyway).
pub fn lock<'w, 'a, G: Guest, B: Backend, E>(
    world: &'w Mutex<World<'a, G, B, E>>,
) -> MutexGuard<'w, World<'a, G, B, E>> {
    world.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs one guest thread from `G::pc(state)` until it exits, the process exits, or it
/// traps; returns how, with the world still locked (so that nothing else changes the world
/// while a process that ends reports on it).
pub fn run_thread<'w, 'a, G: Guest, B: Backend, E: GuestEnv<G::State>>(
    world: &'w Mutex<World<'a, G, B, E>>,
    state: &mut G::State,
) -> (Outcome, MutexGuard<'w, World<'a, G, B, E>>) {
    // SAFETY: `state` outlives this function and does not move (it is borrowed for all of
    // it), and the guard is dropped when it returns.
    let _watch = unsafe { signals::watch(&G::header(state).signal_pending) };
    let mut w = lock(world);
    let mut host = {
        let World { dispatcher, env } = &mut *w;
        dispatcher.block_at(G::pc(state), env.code())
    };
    // `--report` only: when translated code last returned (see `Stats::outside_code_time`).
    let mut left_code = w.dispatcher.profile.is_some().then(Instant::now);
    loop {
        if w.dispatcher.debugged {
            let World { dispatcher: d, env } = &mut *w;
            match env.debug_stop(state) {
                DebugAction::Run => {}
                DebugAction::RunChangedCode => d.flush(),
                DebugAction::End(outcome) => return (outcome, w),
            }
            // The debugger may have moved the PC.
            host = d.block_at(G::pc(state), env.code());
        }
        {
            // Code written since `host` was found (by a system call, a signal frame, another
            // thread): its translations go first, and so does `host` if it was one of them.
            let World { dispatcher: d, env } = &mut *w;
            if d.drop_written_code(&mut **env) {
                host = d.block_at(d.block_pc(host), env.code());
            }
        }
        if let Some(left) = left_code {
            w.dispatcher.stats.outside_code_time += left.elapsed();
        }
        let entry = w.dispatcher.backend.entry();
        let generation = w.dispatcher.cache.generation();
        drop(w);
        // Faults while translated code runs are the guest's (runtime::signals).
        signals::set_in_translated_code(true);
        // SAFETY: `state` is a live state struct of guest `G` (the only kind of block in this
        // cache), `entry` is the backend's current entry and `host` the entry of a block
        // that it compiled; neither is unmapped while the process runs (a flush rewinds the
        // cache only while one thread exists, which is this one, not running translated code).
        unsafe { B::enter_with(entry, (state as *mut G::State).cast(), host) };
        signals::set_in_translated_code(false);
        if left_code.is_some() {
            left_code = Some(Instant::now());
        }
        w = lock(world);
        w.dispatcher.stats.dispatcher_entries += 1;

        // Field by field, not a copy of the whole header: the block has just stored these
        // as single words, and a wider load of them would stall on store forwarding.
        let header = G::header(state);
        let (next, reason, arg) = (GuestAddr(header.next_pc), header.exit_reason, header.exit_arg);
        let World { dispatcher: d, env } = &mut *w;
        host = match ExitReason::from_u64(reason) {
            Some(ExitReason::Lookup) => d.block_at_and_remember(next, env.code()),
            Some(ExitReason::Chain) => {
                d.block_at_and_link(ChainSite(arg as usize), next, env.code(), generation)
            }
            Some(ExitReason::Syscall) => {
                let (guard, result) = syscall(world, w, state, next);
                w = guard;
                match result {
                    Ok(host) => host,
                    Err(exited) => return (exited, w),
                }
            }
            Some(ExitReason::Invalidate) => {
                // A64 IC IVAU. Every write to a page translations came from was caught by
                // write protection, and the translations of the pages written are dropped
                // here; a full flush only where protection is not complete.
                d.drop_written_code(&mut **env);
                if !env.sees_code_writes() {
                    d.flush();
                }
                d.block_at(next, env.code())
            }
            Some(ExitReason::Fault) if signals::take_code_write() => {
                // A store to a write-protected code page (the handler made it writable).
                let (host_pc, _) = signals::take_fault();
                let Some(pc) = d.guest_pc_at(host_pc) else {
                    eprintln!(
                        "xlate: internal error (a bug in xlate, not in the guest): a code write at host pc {host_pc:#x} in no known block"
                    );
                    return (Outcome::Signal(libc::SIGSEGV), w);
                };
                G::set_pc(state, pc);
                complete_deferred_state::<G, B>(d, state, host_pc);
                d.drop_written_code(&mut **env);
                d.resume_after_code_write(host_pc, pc, env.code())
            }
            Some(ExitReason::Fault) => {
                let (host_pc, info) = signals::take_fault();
                let sig = i32::from_le_bytes([info[0], info[1], info[2], info[3]]);
                // Inside a helper, the guest address its caller stored; else the host PC's.
                let guest_pc = signals::take_fault_guest_pc().map(GuestAddr);
                let Some(pc) = guest_pc.or_else(|| d.guest_pc_at(host_pc)) else {
                    // One line, as for any fault in xlate's own code, then death by the signal.
                    eprintln!(
                        "xlate: internal error (a bug in xlate, not in the guest): {} at host pc {host_pc:#x} in the code cache, in no known block",
                        if sig == libc::SIGBUS { "SIGBUS" } else { "SIGSEGV" }
                    );
                    return (Outcome::Signal(sig), w);
                };
                // The state is as of the start of that instruction (ir::opt keeps it so, with
                // the fields it deferred past the access written now).
                G::set_pc(state, pc);
                complete_deferred_state::<G, B>(d, state, host_pc);
                let si_code = i32::from_le_bytes([info[8], info[9], info[10], info[11]]);
                let guest_view = (si_code == crate::guest::si_code::SI_KERNEL
                    || signals::classify_all_faults())
                .then(|| G::kernel_fault_signal(state, env.code(), pc))
                .flatten();
                let (sig, info) = guest_view.map_or((sig, info), |f| (f.sig, f.siginfo()));
                if let Some(outcome) = env.deliver_fault(state, sig, &info) {
                    return (outcome, w);
                }
                d.block_at(G::pc(state), env.code())
            }
            Some(ExitReason::Trap) => {
                let fault = G::trap_signal(state, env.code(), d.trap(next, arg), next);
                G::set_pc(state, fault.pc);
                if let Some(outcome) = env.deliver_fault(state, fault.sig, &fault.siginfo()) {
                    return (outcome, w);
                }
                d.block_at(G::pc(state), env.code())
            }
            None => panic!("backend bug: unknown exit reason {reason}"),
        };
        // Raised by the host handler; a block that finds it raised at its entry returns here
        // with `Lookup` at its own PC. Lowered before the recorded signals are taken, so a
        // signal recorded after this raises it again.
        if G::header(state).signal_pending.take() {
            if reason != ExitReason::Syscall as u64 {
                // (After a syscall the PC is set, and rt_sigreturn may have moved it.)
                G::set_pc(state, next);
            }
            let World { dispatcher: d, env } = &mut *w;
            let mut blocked_here = 0;
            while let Some((sig, info)) = signals::take_pending() {
                if let Some(outcome) = env.deliver_signal(state, sig, &info, &mut blocked_here) {
                    return (outcome, w);
                }
            }
            host = d.block_at(G::pc(state), env.code());
        } else if w.dispatcher.debugged && reason != ExitReason::Syscall as u64 {
            // The debugger sees the state complete, PC included.
            G::set_pc(state, next);
        }
    }
}

/// Runs the guest's system call (with the world unlocked while a forwarded call blocks),
/// then finds the block where the guest continues; `Err` if the thread or the process exited.
#[allow(clippy::type_complexity)]
fn syscall<'w, 'a, G: Guest, B: Backend, E: GuestEnv<G::State>>(
    world: &'w Mutex<World<'a, G, B, E>>,
    mut w: MutexGuard<'w, World<'a, G, B, E>>,
    state: &mut G::State,
    next: GuestAddr,
) -> (MutexGuard<'w, World<'a, G, B, E>>, Result<HostCode, Outcome>) {
    G::set_pc(state, next);
    let started = Instant::now();
    let action = match w.env.begin_syscall(state) {
        Ok(action) => action,
        Err(call) => {
            drop(w);
            let ret = call.issue(&G::header(state).signal_pending);
            w = lock(world);
            w.env.finish_syscall(state, call, ret)
        }
    };
    if let SyscallAction::Vfork(request) = action {
        run_vfork_child(&mut w, state, &request);
    }
    let World { dispatcher: d, env } = &mut *w;
    d.stats.syscall_time += started.elapsed();
    d.stats.syscalls += 1;
    match action {
        SyscallAction::Vfork(_) => {}
        SyscallAction::Continue => {}
        SyscallAction::ContinueThreaded => d.set_threaded(),
        SyscallAction::FlushTranslations => d.flush(),
        SyscallAction::InvalidateTranslations { start, end } => d.invalidate(start..end),
        SyscallAction::Exit(status) => return (w, Err(Outcome::Exit(status))),
        SyscallAction::ExitThread(status) => {
            // The exit's own writes (clear-tid, robust list) may have opened a code page.
            d.drop_written_code(&mut **env);
            return (w, Err(Outcome::ThreadExit(status)));
        }
    }
    // The call may have written code (read into a code page).
    d.drop_written_code(&mut **env);
    // The syscall may have moved the PC (e.g. rt_sigreturn).
    let host = d.block_at(G::pc(state), env.code());
    (w, Ok(host))
}

/// One block's host length, its guest address and the start of each guest instruction's host
/// code (offset, pc).
/// Writes into `state` the fields whose stores were deferred past the faulting access at
/// `host_pc` (see `fault_state`).
fn complete_deferred_state<G: Guest, B: Backend>(d: &Dispatcher<G, B>, state: &mut G::State, host_pc: usize) {
    let values = d.deferred_state_at(host_pc);
    if !values.is_empty() {
        // SAFETY: `state` is the guest state the faulting block ran on (exclusively borrowed
        // here); the fields are its frontend's.
        unsafe { super::fault_state::complete_state((state as *mut G::State).cast(), &values) };
    }
}

type HostInsns = (u32, GuestAddr, Box<[(u32, GuestAddr)]>, Box<[FaultSite]>);

/// Runs a vfork child (see `syscall::process::Vfork`) to its exec or exit, then gives the
/// parent its result. The world stays locked throughout: the child is another process that
/// shares this one's memory, and it runs the guest through this same dispatcher and
/// environment (behind a mutex of its own) while the kernel keeps this thread suspended;
/// the guest's other threads, if any, wait for the world at their next return to the
/// dispatcher until the child is gone. Whatever the child changed (translations, guest
/// memory and mappings) is the parent's too, as with the kernel's vfork.
fn run_vfork_child<G: Guest, B: Backend, E: GuestEnv<G::State>>(
    w: &mut World<'_, G, B, E>,
    state: &mut G::State,
    request: &Vfork,
) {
    let mut child = w.env.vfork_child(state, request);
    let dispatcher: *mut Dispatcher<G, B> = &mut *w.dispatcher;
    let env: *mut E = &mut *w.env;
    let mut body = || -> i32 {
        // SAFETY: the parent thread, the only other user of `dispatcher` and `env` (through
        // the world's lock, which it holds), is suspended by the kernel until this child
        // execs or exits, so these are the only live references to them meanwhile.
        let own = Mutex::new(World { dispatcher: unsafe { &mut *dispatcher }, env: unsafe { &mut *env } });
        let (outcome, guard) = run_thread(&own, &mut child);
        drop(guard);
        match outcome {
            Outcome::Exit(status) | Outcome::ThreadExit(status) => status,
            Outcome::Signal(sig) => crate::host::syscall::die_by_signal_raw(sig),
        }
    };
    // The child watches a signal flag of its own on this thread's thread-locals.
    let kept = signals::keep_watch();
    // SAFETY: the body uses only what this thread holds (the world, through the pointers
    // above, and `child`), leaves it consistent at every return to the dispatcher, does not
    // unwind (a panic in the child aborts it), and ends the child by returning its status or
    // by raw syscalls.
    let pid = unsafe { crate::host::syscall::vfork_run(&mut body) };
    drop(kept);
    w.env.vfork_done(state, pid);
}

/// The translator of one guest: its frontend, the host backend, the code cache and the map from
/// guest addresses to translated blocks.
pub struct Dispatcher<G: Guest, B: Backend> {
    frontend: G::Frontend,
    backend: B,
    cache: CodeCache,
    blocks: BlockMap,
    /// Messages of the traps in translated blocks, by the trapping guest address, printed when
    /// a block exits with [`ExitReason::Trap`] there.
    trap_messages: HashMap<GuestAddr, String>,
    /// For each block by its host entry: its host length and where each guest instruction's
    /// host code starts (offset, guest pc), to find the guest instruction of a faulting host
    /// PC ([`Self::guest_pc_at`]).
    host_insns: BTreeMap<usize, HostInsns>,
    stats: Stats,
    /// `--perfmap`: where each translated block is announced to host profilers.
    perf_map: Option<PerfMap>,
    /// `--report`: execution counters compiled into every block, and copies of its code.
    profile: Option<Profile>,
    /// `-g`: blocks of one guest instruction, no chaining and no jump table, so that every
    /// guest instruction starts in the dispatcher, which asks the debugger first.
    debugged: bool,
    /// The chain sites linked to each block (by its guest address), with where each jumped
    /// before: dropping the block points them back there ([`Self::invalidate`]).
    incoming: HashMap<GuestAddr, Vec<(ChainSite, HostCode)>>,
    /// The persistent translation cache, unless `--no-cache` (see `runtime::persist`).
    persist: Option<Persist>,
}

impl<G: Guest, B: Backend> Dispatcher<G, B> {
    pub fn new(frontend: G::Frontend, mut cache: CodeCache) -> Result<Self, CompileError> {
        let mut backend = B::new(&mut cache)?;
        backend.set_state_registers(&mut cache, &G::register_fields())?;
        signals::set_fault_exit(backend.fault_exit(), backend.helper_fault_exit());
        // Non-canonical x86-64 addresses on an AArch64 host: every fault goes to
        // `Guest::kernel_fault_signal`, which tells them apart (and `--exact-addresses` makes
        // those the host would not fault on fault).
        signals::set_classify_all_faults(
            G::canonical_address_bits().is_some() && cfg!(target_arch = "aarch64"),
        );
        Ok(Dispatcher {
            frontend,
            backend,
            cache,
            blocks: BlockMap::default(),
            trap_messages: HashMap::new(),
            host_insns: BTreeMap::new(),
            stats: Stats::default(),
            perf_map: None,
            profile: None,
            debugged: false,
            incoming: HashMap::new(),
            persist: None,
        })
    }

    /// `--exact-addresses`: the blocks translated from now on fault on every non-canonical
    /// data address of a guest that has them (`Guest::canonical_address_bits`), also where the
    /// host would not (`Backend::set_canonical_addresses`).
    pub fn set_exact_addresses(&mut self, on: bool) {
        self.backend.set_canonical_addresses(G::canonical_address_bits().filter(|_| on));
    }

    /// Announces every block translated from now on in `map` (`--perfmap`).
    pub fn set_perf_map(&mut self, map: PerfMap) {
        self.perf_map = Some(map);
    }

    /// Takes blocks from `persist` when their guest bytes are unchanged, and keeps the blocks
    /// translated from now on there (the persistent translation cache).
    pub fn set_persist(&mut self, persist: Persist) {
        self.stats.cache_loaded = persist.loaded();
        self.persist = Some(persist);
    }

    /// Writes the persistent translation cache's file, if this process translated new blocks.
    pub fn save_persist(&mut self) {
        if let Some(persist) = &mut self.persist {
            self.stats.cache_stored += persist.save();
        }
    }

    /// Counts the executions of every block translated from now on, and keeps a copy of its
    /// code, in `profile` (`--report`).
    pub fn set_profile(&mut self, profile: Profile) {
        self.profile = Some(profile);
    }

    /// The profile given to [`Self::set_profile`], once the guest no longer runs.
    pub fn take_profile(&mut self) -> Option<Profile> {
        self.backend.set_entry_counter(None);
        self.profile.take()
    }

    /// Runs the guest under a debugger: from now on every guest instruction is a block of its
    /// own that the dispatcher enters itself, after [`GuestEnv::debug_stop`]. Translated code
    /// never runs on into the next instruction, so breakpoints and single steps need no
    /// change to guest memory or to the host code.
    pub fn set_debugged(&mut self) {
        self.frontend.set_max_block_insns(1);
        self.debugged = true;
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Runs the guest from `G::pc(state)` on this thread alone until it exits or traps (see
    /// [`run_thread`]).
    pub fn run(&mut self, state: &mut G::State, env: &mut impl GuestEnv<G::State>) -> Outcome {
        let world = Mutex::new(World { dispatcher: self, env });
        let (outcome, guard) = run_thread(&world, state);
        drop(guard);
        outcome
    }

    /// From now on several guest threads run: the code cache never rewinds (see
    /// [`CodeCache::set_threaded`]).
    pub fn set_threaded(&mut self) {
        self.cache.set_threaded();
    }

    /// The host code of the block at `pc`, translated now if it is not in the cache.
    #[inline]
    fn block_at(&mut self, pc: GuestAddr, code: &dyn CodeSource) -> HostCode {
        self.stats.lookups += 1;
        if let Some(entry) = self.blocks.get(pc) {
            self.stats.lookup_hits += 1;
            return entry.code;
        }
        self.translate(pc, code)
    }

    /// [`Self::block_at`] for an indirect branch or return whose inline jump-table probe
    /// missed: tries the table first anyway (one probe, cheaper than the hash map), then
    /// enters the target there, so that this target (the one the guest uses now) wins the
    /// table slot it shares with another block.
    fn block_at_and_remember(&mut self, pc: GuestAddr, code: &dyn CodeSource) -> HostCode {
        if self.debugged {
            return self.block_at(pc, code);
        }
        if let Some(target) = self.cache.jump_table().get(pc) {
            self.stats.lookups += 1;
            self.stats.lookup_hits += 1;
            return target;
        }
        let target = self.block_at(pc, code);
        self.cache.jump_table_mut().insert(pc, target);
        target
    }

    /// [`Self::block_at`] for a chainable exit: also patches `site` to jump straight to the
    /// target next time, unless translations were dropped since the thread entered the code
    /// that holds `site` (`generation`, the cache's generation then) or while finding the
    /// target: the site's block may be gone (or, with several threads, in a retired region).
    fn block_at_and_link(
        &mut self,
        site: ChainSite,
        pc: GuestAddr,
        code: &dyn CodeSource,
        generation: u64,
    ) -> HostCode {
        let target = self.block_at(pc, code);
        if self.cache.generation() == generation && !self.debugged && self.blocks.get(pc).is_some() {
            let stub = self.backend.chain_target(&self.cache, site);
            self.backend.link(&mut self.cache, site, target);
            self.blocks.mark_chained_into(pc);
            self.incoming.entry(pc).or_default().push((site, stub));
            self.stats.chain_links += 1;
        }
        target
    }

    /// Translates and compiles the block at `pc` and enters it in the block map.
    #[cold]
    #[inline(never)]
    fn translate(&mut self, pc: GuestAddr, code: &dyn CodeSource) -> HostCode {
        let (entry, block) = self.compile(pc, code, true);
        // Indirect branches and returns find the block from translated code from now on
        // (not under a debugger, which must see every block entered).
        if !self.debugged {
            self.cache.jump_table_mut().insert(pc, entry);
        }
        self.blocks.insert(pc, block);
        entry
    }

    /// A block translated and compiled at `pc` and kept in no map (see
    /// [`Self::resume_after_code_write`]).
    fn compile_block(&mut self, pc: GuestAddr, code: &dyn CodeSource) -> HostCode {
        self.compile(pc, code, false).0
    }

    /// Translates and compiles the block at `pc`: its host code and its block-map entry. A
    /// block that is `kept` (entered in the block map) may come from the persistent cache,
    /// and goes there if it does not.
    fn compile(&mut self, pc: GuestAddr, code: &dyn CodeSource, kept: bool) -> (HostCode, BlockEntry) {
        let started = Instant::now();
        let block = match self.stored_block(pc, code, kept) {
            Some(block) => block,
            None => self.translate_ir(pc, code, kept),
        };
        if let Some(profile) = &mut self.profile {
            self.backend.set_entry_counter(Some(profile.next_counter()));
        }
        let mut compiled = match self.backend.compile(&block, &mut self.cache) {
            Ok(compiled) => compiled,
            Err(CompileError::CacheFull) => {
                self.flush();
                match self.backend.compile(&block, &mut self.cache) {
                    Ok(compiled) => compiled,
                    Err(CompileError::CacheFull) => {
                        panic!("block at {pc} does not fit in an empty code cache")
                    }
                }
            }
        };
        self.remember_trap_messages(&block);
        let starts = compiled.insn_starts.iter().map(|s| (s.offset, s.pc)).collect();
        // Moved, not cloned: nothing below reads them.
        let sites = std::mem::take(&mut compiled.fault_sites).into_boxed_slice();
        self.host_insns.insert(compiled.entry.0, (compiled.host_len as u32, pc, starts, sites));
        let entry = BlockEntry {
            code: compiled.entry,
            guest_len: block.guest_len,
            guest_insns: block.guest_insns,
            host_len: compiled.host_len as u32,
            chained_into: false,
        };
        self.stats.blocks_translated += 1;
        self.stats.guest_insns += u64::from(block.guest_insns);
        self.stats.guest_bytes += u64::from(block.guest_len);
        self.stats.host_bytes += compiled.host_len as u64;
        self.stats.translate_time += started.elapsed();
        if let Some(map) = &mut self.perf_map {
            map.block(compiled.entry.0 as u64, compiled.host_len, pc.0);
        }
        if let Some(profile) = &mut self.profile {
            let host_code = self.cache.bytes(compiled.entry, compiled.host_len);
            profile.record(&block, code, compiled.entry.0 as u64, host_code, &compiled);
        }
        (compiled.entry, entry)
    }

    /// The persistent cache's block at `pc`, if it has one made from the guest bytes there now.
    fn stored_block(&mut self, pc: GuestAddr, code: &dyn CodeSource, kept: bool) -> Option<ir::Block> {
        let persist = self.persist.as_mut().filter(|_| kept)?;
        match persist.lookup(pc, code) {
            Ok(Some(block)) => {
                self.stats.cache_used += 1;
                Some(block)
            }
            Ok(None) => None,
            Err(()) => {
                self.stats.cache_rejected += 1;
                None
            }
        }
    }

    /// The optimised IR of the block at `pc`, from the frontend (recording what it reads for
    /// the persistent cache when the block is `kept`).
    fn translate_ir(&mut self, pc: GuestAddr, code: &dyn CodeSource, kept: bool) -> ir::Block {
        let ahead = crate::memory::code::ReadAhead::new(code);
        let code: &dyn CodeSource = &ahead;
        let recorder = self.persist.as_ref().filter(|_| kept).map(|_| Persist::recorder(code));
        let source: &dyn CodeSource = match &recorder {
            Some(recorder) => recorder,
            None => code,
        };
        let mut block = self.frontend.translate(source, pc);
        if cfg!(debug_assertions) {
            if let Err(e) = ir::verify(&block) {
                panic!("frontend bug: IR block at {pc} is invalid: {e}\n{block:#?}");
            }
        }
        ir::opt::optimize(&mut block);
        if cfg!(debug_assertions) {
            if let Err(e) = ir::verify(&block) {
                panic!("optimiser bug: IR block at {pc} is invalid: {e}\n{block:#?}");
            }
        }
        if let (Some(persist), Some(recorder)) = (&mut self.persist, recorder) {
            persist.keep(recorder, &block);
        }
        block
    }

    fn remember_trap_messages(&mut self, block: &ir::Block) {
        let early_exits = block.ops.iter().filter_map(|op| match op {
            Op::ExitIf { exit, .. } => Some(exit),
            _ => None,
        });
        for exit in early_exits.chain(std::iter::once(&block.exit)) {
            if let Exit::Trap { pc, message: Some(message), .. } = exit {
                self.trap_messages.insert(*pc, message.clone());
            }
        }
    }

    /// Drops the translations that depend on guest bytes in `range`. The chain sites linked
    /// to them jump to their exit stubs again (one atomic store each, as linking: another
    /// thread in that code takes the old jump or the stub, and a thread in a dropped block
    /// finishes it and comes back to the dispatcher at its next exit).
    fn invalidate(&mut self, range: std::ops::Range<u64>) {
        let removed = self.blocks.remove_overlapping(&range);
        for (pc, entry) in &removed {
            if !entry.chained_into {
                continue;
            }
            for (site, stub) in self.incoming.remove(pc).unwrap_or_default() {
                self.backend.link(&mut self.cache, site, stub);
                self.stats.chains_unlinked += 1;
            }
        }
        // (`host_insns` keeps the retired blocks: their host code stays in place until a flush,
        // and another thread may still run it.)
        self.cache.retire(&removed);
        // Every block that could trap at an address in the range depended on the range.
        self.trap_messages.retain(|pc, _| !range.contains(&pc.0));
        self.stats.range_invalidations += 1;
        self.stats.blocks_invalidated += removed.len() as u64;
    }

    /// Drops every translation (full cache, or guest code changed where no range is known).
    fn flush(&mut self) {
        self.cache.flush();
        signals::set_code_range(self.cache.exec_range());
        self.blocks.clear();
        self.trap_messages.clear();
        self.backend.reset(&mut self.cache).expect("the backend's fixed code fits in an empty code cache");
        signals::set_fault_exit(self.backend.fault_exit(), self.backend.helper_fault_exit());
        self.host_insns.clear();
        self.incoming.clear();
        self.stats.flushes += 1;
    }

    /// Drops the translations of guest code written since the last call
    /// ([`GuestEnv::take_written_code`]); true if some was.
    fn drop_written_code<S, E: GuestEnv<S> + ?Sized>(&mut self, env: &mut E) -> bool {
        let mut written = env.take_written_code();
        if written.is_empty() {
            return false;
        }
        written.sort_by_key(|r| r.start);
        let mut merged: Vec<std::ops::Range<u64>> = Vec::new();
        for r in written {
            match merged.last_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => merged.push(r),
            }
        }
        for r in merged {
            self.invalidate(r);
        }
        self.stats.code_writes += 1;
        true
    }

    /// The guest address of the block whose host code starts at `host`.
    fn block_pc(&self, host: HostCode) -> GuestAddr {
        self.host_insns.get(&host.0).map(|&(_, pc, _, _)| pc).expect("a block the dispatcher compiled")
    }

    /// Where a guest continues after a store to a write-protected code page at guest `pc`
    /// (host PC `host_pc`), once the written code's translations are dropped: if that dropped
    /// the block the store was in, the store may have changed that block's later
    /// instructions, so the store runs alone in a block of its own, translated without
    /// protecting its page (it may write that page again) and not kept; the next block is
    /// then translated from the new bytes. Otherwise the block at `pc`.
    fn resume_after_code_write(&mut self, host_pc: usize, pc: GuestAddr, code: &dyn CodeSource) -> HostCode {
        let running =
            self.host_insns.range(..=host_pc).next_back().map(|(&entry, &(_, start, _, _))| (entry, start));
        let still_live =
            running.is_some_and(|(entry, start)| self.blocks.get(start).is_some_and(|b| b.code.0 == entry));
        if still_live {
            return self.block_at(pc, code);
        }
        self.frontend.set_max_block_insns(1);
        let once = self.compile_block(pc, &crate::memory::code::Unprotected(code));
        self.frontend.set_max_block_insns(if self.debugged { 1 } else { u32::MAX });
        once
    }

    /// The guest instruction whose host code holds `host_pc`.
    fn guest_pc_at(&self, host_pc: usize) -> Option<GuestAddr> {
        let (&entry, (len, _, starts, _)) = self.host_insns.range(..=host_pc).next_back()?;
        let offset = u32::try_from(host_pc - entry).ok().filter(|o| o < len)?;
        let i = starts.partition_point(|&(start, _)| start <= offset);
        Some(starts.get(i.checked_sub(1)?)?.1)
    }

    /// The state fields whose stores were deferred past the guest memory access at
    /// `host_pc` (a fault there), with their values from the registers and stack saved at
    /// the fault (see `fault_state`).
    fn deferred_state_at(&self, host_pc: usize) -> Vec<(u32, crate::ir::Width, u64)> {
        let Some((&entry, (_, _, _, sites))) = self.host_insns.range(..=host_pc).next_back() else {
            return Vec::new();
        };
        let offset = (host_pc - entry) as u32;
        match sites.iter().find(|s| (s.start..s.end).contains(&offset)) {
            Some(site) => super::fault_state::deferred_values(&site.fields),
            None => Vec::new(),
        }
    }

    /// A block trapped at `pc`: prints the trap's message, if it has one (an unimplemented
    /// instruction is loud even when the guest handles its SIGILL), and returns its kind.
    fn trap(&self, pc: GuestAddr, kind_index: u64) -> TrapKind {
        if let Some(message) = self.trap_messages.get(&pc) {
            eprintln!("xlate: {message}");
        }
        match TrapKind::from_index(kind_index) {
            Some(kind) => kind,
            None => panic!("backend bug: unknown trap kind {kind_index} at {pc}"),
        }
    }
}

#[cfg(test)]
mod tests;
