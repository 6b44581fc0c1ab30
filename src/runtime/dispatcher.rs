//! The dispatcher: the loop that runs a guest by finding (or translating) the block at the
//! guest's PC, entering its host code, and acting on why that code came back.
//!
//! ```text
//!   pc ──> block_at(pc) ──hit──> enter host code ──> block exit, reason in the StateHeader
//!            │ miss                                     ├─ Lookup:  block_at(next_pc), jump table
//!            v                                          ├─ Chain:   block_at(next_pc), link the site
//!   frontend ─> opt ─> backend                          ├─ Syscall: syscall layer, then next_pc
//!   (into the code cache; full: flush, retry)           │    (changed code: drop its blocks)
//!                                                       ├─ Invalidate: flush, then next_pc
//!                                                       └─ Trap:    message, guest dies by signal
//! ```
//!
//! Everything the loop touches per block is a hash lookup and a few `u64` counters; the
//! expensive work (translation, linking, syscalls) happens only on the rarer exits.

use super::perfmap::PerfMap;
use super::report::Profile;
use super::signals::{self, IN_TRANSLATED_CODE};
use super::stats::Stats;
use crate::backend::{Backend, ChainSite, CompileError};
use crate::cache::{BlockEntry, BlockMap, CodeCache, HostCode};
use crate::frontend::Frontend;
use crate::guest::Guest;
use crate::ir::protocol::ExitReason;
use crate::ir::{self, Exit, GuestAddr, Op, TrapKind};
use crate::memory::code::CodeSource;
use hashbrown::HashMap;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// What the syscall layer tells the dispatcher after a guest system call.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SyscallAction {
    /// Continue at the guest's PC (normally the instruction after the syscall).
    Continue,
    /// The guest exited (exit, exit_group) with this status.
    Exit(i32),
    /// Guest code may have changed somewhere: drop every translation, then continue.
    FlushTranslations,
    /// Guest code in `[start, end)` may have changed (munmap/mprotect/mremap of code): drop
    /// the translations that depend on it, then continue.
    InvalidateTranslations { start: u64, end: u64 },
}

/// The world around the translated guest: its code in memory and its system calls. The
/// runtime implements it over guest memory and the syscall layer; tests use doubles.
pub trait GuestEnv<S> {
    /// Where guest code is read from.
    fn code(&self) -> &dyn CodeSource;
    /// Runs one guest system call. Its number and arguments are in `state`, whose PC already
    /// points after the syscall instruction.
    fn syscall(&mut self, state: &mut S) -> SyscallAction;
    /// Delivers signal `sig` (host siginfo bytes `info`) to the guest's handler, with the
    /// state complete and its PC where the guest continues; `Some` if the guest must end.
    /// Test doubles without signal handling die by it.
    fn deliver_signal(&mut self, state: &mut S, sig: i32, info: &[u8; 128]) -> Option<Outcome> {
        let _ = (state, info);
        Some(Outcome::Signal(sig))
    }
    /// Under a debugger ([`Dispatcher::set_debugged`]): called before every guest instruction,
    /// with the state complete and its PC at that instruction. The debugger may change the
    /// state and guest memory.
    fn debug_stop(&mut self, state: &mut S) -> DebugAction {
        let _ = state;
        DebugAction::Run
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
    /// The guest called exit/exit_group with this status.
    Exit(i32),
    /// The guest must die by this host signal (a trap such as SIGILL or SIGFPE).
    Signal(i32),
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
    stats: Stats,
    /// `--perfmap`: where each translated block is announced to host profilers.
    perf_map: Option<PerfMap>,
    /// `--report`: execution counters compiled into every block, and copies of its code.
    profile: Option<Profile>,
    /// `-g`: blocks of one guest instruction, no chaining and no jump table, so that every
    /// guest instruction starts in the dispatcher, which asks the debugger first.
    debugged: bool,
}

impl<G: Guest, B: Backend> Dispatcher<G, B> {
    pub fn new(frontend: G::Frontend, mut cache: CodeCache) -> Result<Self, CompileError> {
        let backend = B::new(&mut cache)?;
        Ok(Dispatcher {
            frontend,
            backend,
            cache,
            blocks: BlockMap::default(),
            trap_messages: HashMap::new(),
            stats: Stats::default(),
            perf_map: None,
            profile: None,
            debugged: false,
        })
    }

    /// Announces every block translated from now on in `map` (`--perfmap`).
    pub fn set_perf_map(&mut self, map: PerfMap) {
        self.perf_map = Some(map);
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

    /// Runs the guest from `G::pc(state)` until it exits or traps.
    pub fn run(&mut self, state: &mut G::State, env: &mut impl GuestEnv<G::State>) -> Outcome {
        // `--report` only: when translated code last returned (see `Stats::outside_code_time`).
        let mut left_code = self.profile.is_some().then(Instant::now);
        let mut host = self.block_at(G::pc(state), env.code());
        loop {
            if self.debugged {
                match env.debug_stop(state) {
                    DebugAction::Run => {}
                    DebugAction::RunChangedCode => self.flush(),
                    DebugAction::End(outcome) => return outcome,
                }
                // The debugger may have moved the PC.
                host = self.block_at(G::pc(state), env.code());
            }
            if let Some(left) = left_code {
                self.stats.outside_code_time += left.elapsed();
            }
            // Faults while translated code runs are the guest's (runtime::signals).
            IN_TRANSLATED_CODE.store(true, Ordering::Relaxed);
            // SAFETY: `state` is a live state struct of guest `G` (the only kind of block in
            // this cache), and `host` is the entry of a block that `self.backend` compiled into
            // `self.cache` since its last flush.
            unsafe { self.backend.enter(&self.cache, (state as *mut G::State).cast(), host) };
            IN_TRANSLATED_CODE.store(false, Ordering::Relaxed);
            if left_code.is_some() {
                left_code = Some(Instant::now());
            }
            self.stats.dispatcher_entries += 1;

            // Field by field, not a copy of the whole header: the block has just stored these
            // as single words, and a wider load of them would stall on store forwarding.
            let header = G::header(state);
            let (next, reason, arg) = (GuestAddr(header.next_pc), header.exit_reason, header.exit_arg);
            host = match ExitReason::from_u64(reason) {
                Some(ExitReason::Lookup) => self.block_at_and_remember(next, env.code()),
                Some(ExitReason::Chain) => self.block_at_and_link(ChainSite(arg as usize), next, env.code()),
                Some(ExitReason::Syscall) => match self.syscall(state, next, env) {
                    Ok(host) => host,
                    Err(exited) => return exited,
                },
                Some(ExitReason::Invalidate) => {
                    self.flush();
                    self.block_at(next, env.code())
                }
                Some(ExitReason::Trap) => {
                    G::set_pc(state, next);
                    return Outcome::Signal(self.trap(next, arg));
                }
                None => panic!("backend bug: unknown exit reason {reason}"),
            };
            if signals::pending() {
                if reason != ExitReason::Syscall as u64 {
                    // (After a syscall the PC is set, and rt_sigreturn may have moved it.)
                    G::set_pc(state, next);
                }
                while let Some((sig, info)) = signals::take_pending() {
                    if let Some(outcome) = env.deliver_signal(state, sig, &info) {
                        return outcome;
                    }
                }
                host = self.block_at(G::pc(state), env.code());
            } else if self.debugged && reason != ExitReason::Syscall as u64 {
                // The debugger sees the state complete, PC included.
                G::set_pc(state, next);
            }
        }
    }

    /// Runs the guest's system call, then finds the block where the guest continues; `Err`
    /// if the guest exited.
    fn syscall(
        &mut self,
        state: &mut G::State,
        next: GuestAddr,
        env: &mut impl GuestEnv<G::State>,
    ) -> Result<HostCode, Outcome> {
        G::set_pc(state, next);
        let started = Instant::now();
        let action = env.syscall(state);
        self.stats.syscall_time += started.elapsed();
        self.stats.syscalls += 1;
        match action {
            SyscallAction::Continue => {}
            SyscallAction::FlushTranslations => self.flush(),
            SyscallAction::InvalidateTranslations { start, end } => self.invalidate(start..end),
            SyscallAction::Exit(status) => return Err(Outcome::Exit(status)),
        }
        // The syscall may have moved the PC (e.g. rt_sigreturn).
        Ok(self.block_at(G::pc(state), env.code()))
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
    /// target next time, unless finding the target flushed the cache (and with it the block
    /// that holds `site`).
    fn block_at_and_link(&mut self, site: ChainSite, pc: GuestAddr, code: &dyn CodeSource) -> HostCode {
        let generation = self.cache.generation();
        let target = self.block_at(pc, code);
        if self.cache.generation() == generation && !self.debugged {
            self.backend.link(&mut self.cache, site, target);
            self.blocks.mark_chained_into(pc);
            self.stats.chain_links += 1;
        }
        target
    }

    /// Translates and compiles the block at `pc` and enters it in the block map.
    #[cold]
    #[inline(never)]
    fn translate(&mut self, pc: GuestAddr, code: &dyn CodeSource) -> HostCode {
        let started = Instant::now();
        let mut block = self.frontend.translate(code, pc);
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
        if let Some(profile) = &mut self.profile {
            self.backend.set_entry_counter(Some(profile.next_counter()));
        }
        let compiled = match self.backend.compile(&block, &mut self.cache) {
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
        // Indirect branches and returns find the block from translated code from now on
        // (not under a debugger, which must see every block entered).
        if !self.debugged {
            self.cache.jump_table_mut().insert(pc, compiled.entry);
        }
        self.blocks.insert(
            pc,
            BlockEntry {
                code: compiled.entry,
                guest_len: block.guest_len,
                guest_insns: block.guest_insns,
                host_len: compiled.host_len as u32,
                chained_into: false,
            },
        );
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
        compiled.entry
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

    /// Drops the translations that depend on guest bytes in `range`; the whole cache if one of
    /// them has chains linked into it (see [`BlockMap::remove_overlapping`]).
    fn invalidate(&mut self, range: std::ops::Range<u64>) {
        let removed = self.blocks.remove_overlapping(&range);
        if removed.iter().any(|(_, entry)| entry.chained_into) {
            self.flush();
            return;
        }
        self.cache.retire(&removed);
        // Every block that could trap at an address in the range depended on the range.
        self.trap_messages.retain(|pc, _| !range.contains(&pc.0));
        self.stats.range_invalidations += 1;
        self.stats.blocks_invalidated += removed.len() as u64;
    }

    /// Drops every translation (full cache, or guest code changed where no range is known).
    fn flush(&mut self) {
        self.cache.flush();
        self.blocks.clear();
        self.trap_messages.clear();
        self.backend.reset(&mut self.cache).expect("the backend's fixed code fits in an empty code cache");
        self.stats.flushes += 1;
    }

    /// A block trapped at `pc`: prints the trap's message, if it has one, and returns the
    /// signal the guest dies by.
    fn trap(&self, pc: GuestAddr, kind_index: u64) -> i32 {
        if let Some(message) = self.trap_messages.get(&pc) {
            eprintln!("xlate: {message}");
        }
        match TrapKind::from_index(kind_index) {
            Some(kind) => kind.signal(),
            None => panic!("backend bug: unknown trap kind {kind_index} at {pc}"),
        }
    }
}

#[cfg(test)]
mod tests;
