//! Dispatcher tests with test doubles: a toy guest ISA (one two-byte instruction per block)
//! and a toy backend that "runs" a block by acting out its exit, including chained jumps. They
//! check the dispatcher's bookkeeping (lookups, translation, chaining, flushes, syscalls,
//! traps), not any real instruction semantics.

use super::*;
use crate::backend::CompiledBlock;
use crate::guest::SyncSignal;
use crate::ir::protocol::StateHeader;
use crate::ir::{Block, Builder, StateOffset, Width};
use std::cell::RefCell;
use std::mem::offset_of;

// Toy instruction encoding: opcode byte, argument byte.
const JUMP: u8 = 1; // jump to BASE + arg
const SYSCALL: u8 = 2;
const TRAP: u8 = 3; // trap of kind index arg
const INDIRECT: u8 = 4; // jump to the address in ToyState::reg
const INVALIDATE: u8 = 5; // drop translations, continue at the next instruction
const BASE: u64 = 0x1000;

#[repr(C)]
#[derive(Clone, Default)]
struct ToyState {
    header: StateHeader,
    pc: u64,
    reg: u64,
    /// Start address of every block run, in order.
    trace: Vec<u64>,
}

struct ToyGuest;

impl Guest for ToyGuest {
    type State = ToyState;
    type Frontend = ToyFrontend;
    fn frontend() -> ToyFrontend {
        ToyFrontend
    }
    fn initial_state(pc: GuestAddr, _sp: u64) -> ToyState {
        ToyState { pc: pc.0, ..ToyState::default() }
    }
    fn pc(state: &ToyState) -> GuestAddr {
        GuestAddr(state.pc)
    }
    fn set_pc(state: &mut ToyState, pc: GuestAddr) {
        state.pc = pc.0;
    }
    fn header(state: &mut ToyState) -> &mut StateHeader {
        &mut state.header
    }
    fn trap_signal(_state: &ToyState, _code: &dyn CodeSource, kind: TrapKind, pc: GuestAddr) -> SyncSignal {
        SyncSignal { sig: kind.signal(), code: 0x80, addr: pc.0, pc }
    }
}

struct ToyFrontend;

impl Frontend for ToyFrontend {
    /// Every toy block is one instruction already.
    fn set_max_block_insns(&mut self, _max: u32) {}

    /// The toy guest has no memory accesses.
    fn set_memory_model(&mut self, _model: crate::ir::MemoryModel) {}

    fn translate(&mut self, code: &dyn CodeSource, pc: GuestAddr) -> Block {
        let mut insn = [0u8; 2];
        let mut b = Builder::new();
        let exit = if code.read_code(pc, &mut insn) < 2 {
            Exit::Trap { kind: TrapKind::GeneralProtection, pc, message: None }
        } else {
            b.guest_insn(pc, 2);
            match insn {
                [JUMP, to] => Exit::Jump(GuestAddr(BASE + u64::from(to))),
                [SYSCALL, _] => Exit::Syscall { next: GuestAddr(pc.0 + 2) },
                [TRAP, kind] => Exit::Trap {
                    kind: TrapKind::from_index(kind.into()).unwrap(),
                    pc,
                    message: Some(format!("{pc}: toy trap {kind}")),
                },
                [INVALIDATE, _] => Exit::Invalidate { next: GuestAddr(pc.0 + 2) },
                [INDIRECT, _] => {
                    Exit::Indirect(b.load_state(StateOffset(offset_of!(ToyState, reg) as u32), Width::W64))
                }
                _ => Exit::Trap { kind: TrapKind::IllegalInstruction, pc, message: None },
            }
        };
        b.finish(pc, 2, 1, exit)
    }
}

/// Host bytes each toy block takes in the code cache.
const TOY_BLOCK_BYTES: usize = 512;

/// Where an unlinked toy chain site "jumps" (its exit to the dispatcher).
const TOY_STUB: HostCode = HostCode(usize::MAX);

#[derive(Default)]
struct ToyBackend {
    /// Compiled blocks by entry address.
    blocks: HashMap<usize, Block>,
    /// Linked chain sites (a block's single chainable exit, named by its entry) -> target.
    links: HashMap<usize, HostCode>,
}

impl Backend for ToyBackend {
    fn new(_cache: &mut CodeCache) -> Result<Self, CompileError> {
        Ok(ToyBackend::default())
    }
    fn set_entry_counter(&mut self, _counter: Option<usize>) {}
    fn compile(&mut self, block: &Block, cache: &mut CodeCache) -> Result<CompiledBlock, CompileError> {
        let entry = cache.append(&[0xcc; TOY_BLOCK_BYTES]).ok_or(CompileError::CacheFull)?;
        self.blocks.insert(entry.0, block.clone());
        Ok(CompiledBlock {
            entry,
            host_len: TOY_BLOCK_BYTES,
            insn_starts: Vec::new(),
            exits_at: 0,
            fault_sites: Vec::new(),
        })
    }
    fn chain_target(&self, _cache: &CodeCache, site: ChainSite) -> HostCode {
        self.links.get(&site.0).copied().unwrap_or(TOY_STUB)
    }
    fn link(&mut self, _cache: &mut CodeCache, site: ChainSite, target: HostCode) {
        assert!(self.blocks.contains_key(&site.0), "linking a site of a flushed block");
        if target == TOY_STUB {
            self.links.remove(&site.0);
            return;
        }
        assert!(self.blocks.contains_key(&target.0), "linking to a flushed block");
        self.links.insert(site.0, target);
    }
    fn reset(&mut self, _cache: &mut CodeCache) -> Result<(), CompileError> {
        self.blocks.clear();
        self.links.clear();
        Ok(())
    }
    /// The backend itself: the toy "runs" blocks by reading its own table. The tests run one
    /// thread, so nothing changes the backend while it is entered.
    type Entry = *const ToyBackend;
    fn entry(&self) -> *const ToyBackend {
        self
    }
    unsafe fn enter_with(this: *const ToyBackend, state: *mut u8, mut code: HostCode) {
        // SAFETY: the dispatcher passes a pointer to the live ToyState it runs, and `this`
        // points to the dispatcher's backend, which one thread only uses (see above).
        let (state, this) = unsafe { (&mut *(state as *mut ToyState), &*this) };
        loop {
            let block = &this.blocks[&code.0];
            state.trace.push(block.start.0);
            let (next_pc, reason, arg) = match &block.exit {
                Exit::Jump(to) => match this.links.get(&code.0) {
                    Some(&linked) => {
                        code = linked;
                        continue;
                    }
                    None => (to.0, ExitReason::Chain, code.0 as u64),
                },
                Exit::Syscall { next } => (next.0, ExitReason::Syscall, 0),
                Exit::Invalidate { next } => (next.0, ExitReason::Invalidate, 0),
                Exit::Trap { kind, pc, .. } => (pc.0, ExitReason::Trap, kind.index()),
                Exit::Indirect(_) => (state.reg, ExitReason::Lookup, 0),
                other => panic!("toy backend cannot run {other:?}"),
            };
            state.header = StateHeader {
                next_pc,
                exit_reason: reason as u64,
                exit_arg: arg,
                signal_pending: Default::default(),
            };
            return;
        }
    }
}

/// Guest code that the test can change while the guest runs.
struct ToyCode(RefCell<Vec<u8>>);

impl ToyCode {
    fn new(insns: &[[u8; 2]]) -> Self {
        ToyCode(RefCell::new(insns.concat()))
    }
}

impl CodeSource for ToyCode {
    fn read_code(&self, addr: GuestAddr, buf: &mut [u8]) -> usize {
        let bytes = self.0.borrow();
        crate::frontend::SliceCode { base: GuestAddr(BASE), bytes: &bytes }.read_code(addr, buf)
    }
}

/// The toy guest's world: its code, a syscall handler and, where it sees code writes (as
/// write protection does for real guests), the code ranges written since the last look.
struct ToyEnv<'a, F> {
    code: &'a ToyCode,
    syscall: F,
    written: Option<&'a RefCell<Vec<std::ops::Range<u64>>>>,
}

impl<F: FnMut(&mut ToyState) -> SyscallAction> GuestEnv<ToyState> for ToyEnv<'_, F> {
    fn code(&self) -> &dyn CodeSource {
        self.code
    }
    fn syscall(&mut self, state: &mut ToyState) -> SyscallAction {
        (self.syscall)(state)
    }
    fn take_written_code(&mut self) -> Vec<std::ops::Range<u64>> {
        self.written.map(|w| std::mem::take(&mut *w.borrow_mut())).unwrap_or_default()
    }
    fn sees_code_writes(&self) -> bool {
        self.written.is_some()
    }
}

fn run(
    d: &mut Dispatcher<ToyGuest, ToyBackend>,
    state: &mut ToyState,
    code: &ToyCode,
    syscall: impl FnMut(&mut ToyState) -> SyscallAction,
) -> Outcome {
    d.run(state, &mut ToyEnv { code, syscall, written: None })
}

fn dispatcher(cache_bytes: usize) -> Dispatcher<ToyGuest, ToyBackend> {
    Dispatcher::new(ToyFrontend, CodeCache::new(cache_bytes).unwrap()).unwrap()
}

fn start() -> ToyState {
    ToyGuest::initial_state(GuestAddr(BASE), 0)
}

#[test]
fn loop_with_syscalls_is_translated_once_and_chained() {
    // 0x1000: jump 0x1002; 0x1002: syscall; 0x1004: jump 0x1000
    let code = ToyCode::new(&[[JUMP, 2], [SYSCALL, 0], [JUMP, 0]]);
    let mut d = dispatcher(1 << 20);
    let mut state = start();
    let mut calls = 0;
    let outcome = run(&mut d, &mut state, &code, |_| {
        calls += 1;
        if calls == 3 {
            SyscallAction::Exit(7)
        } else {
            SyscallAction::Continue
        }
    });
    assert_eq!(outcome, Outcome::Exit(7));
    assert_eq!(state.pc, 0x1004, "pc after the exiting syscall");
    assert_eq!(state.trace, [0x1000, 0x1002, 0x1004, 0x1000, 0x1002, 0x1004, 0x1000, 0x1002], "blocks run");
    let s = d.stats();
    assert_eq!(s.blocks_translated, 3);
    assert_eq!((s.guest_insns, s.guest_bytes), (3, 6));
    assert_eq!(s.host_bytes, 3 * TOY_BLOCK_BYTES as u64);
    assert_eq!(s.syscalls, 3);
    assert_eq!(s.chain_links, 2, "0x1000 -> 0x1002 and 0x1004 -> 0x1000");
    assert_eq!(s.lookups - s.lookup_hits, 3, "one miss per block");
    // Entries: the first two jumps exit to be linked, then only syscalls return.
    assert_eq!(s.dispatcher_entries, 2 + 3);
    assert_eq!(s.flushes, 0);
}

#[test]
fn full_cache_is_flushed_and_stale_sites_are_not_linked() {
    // A chain of 20 jumps, then a syscall; the cache holds 8 toy blocks.
    let mut insns: Vec<[u8; 2]> = (1..=20).map(|i| [JUMP, 2 * i]).collect();
    insns.push([SYSCALL, 0]);
    let code = ToyCode::new(&insns);
    let mut d = dispatcher(8 * TOY_BLOCK_BYTES);
    let mut state = start();
    let outcome = run(&mut d, &mut state, &code, |_| SyscallAction::Exit(0));
    assert_eq!(outcome, Outcome::Exit(0));
    let expected: Vec<u64> = (0..=20).map(|i| BASE + 2 * i).collect();
    assert_eq!(state.trace, expected);
    let s = d.stats();
    assert_eq!(s.blocks_translated, 21);
    assert_eq!(s.flushes, 2, "21 blocks through a cache of 8");
    assert_eq!(s.chain_links, 20 - 2, "no link across a flush");
}

#[test]
fn flushed_translations_see_modified_code() {
    // 0x1000: syscall; 0x1002: jump 0x1000. The first syscall rewrites 0x1002 into a syscall
    // and asks for a flush; the guest must then run the new code.
    let code = ToyCode::new(&[[SYSCALL, 0], [JUMP, 0]]);
    let mut d = dispatcher(1 << 20);
    let mut state = start();
    let mut calls = 0;
    let outcome = run(&mut d, &mut state, &code, |_| {
        calls += 1;
        match calls {
            1 => {
                code.0.borrow_mut()[2] = SYSCALL;
                SyscallAction::FlushTranslations
            }
            _ => SyscallAction::Exit(calls),
        }
    });
    assert_eq!(outcome, Outcome::Exit(2));
    assert_eq!(state.trace, [0x1000, 0x1002]);
    assert_eq!(d.stats().flushes, 1);
}

#[test]
fn indirect_exit_looks_up_the_computed_target() {
    // 0x1000: syscall (sets reg = 0x1006); 0x1002: indirect; 0x1004: trap; 0x1006: syscall
    let code = ToyCode::new(&[[SYSCALL, 0], [INDIRECT, 0], [TRAP, 0], [SYSCALL, 0]]);
    let mut d = dispatcher(1 << 20);
    let mut state = start();
    let outcome = run(&mut d, &mut state, &code, |s: &mut ToyState| {
        if s.pc == 0x1002 {
            s.reg = 0x1006;
            SyscallAction::Continue
        } else {
            SyscallAction::Exit(3)
        }
    });
    assert_eq!(outcome, Outcome::Exit(3));
    assert_eq!(state.trace, [0x1000, 0x1002, 0x1006]);
    let target = d.blocks.get(GuestAddr(0x1006)).unwrap().code;
    assert_eq!(d.cache.jump_table().get(GuestAddr(0x1006)), Some(target), "jump table filled");
}

#[test]
fn trap_ends_the_run_with_its_signal_and_keeps_its_message() {
    for (kind, signal) in [
        (TrapKind::IllegalInstruction, libc::SIGILL),
        (TrapKind::DivideError, libc::SIGFPE),
        (TrapKind::Breakpoint, libc::SIGTRAP),
        (TrapKind::GeneralProtection, libc::SIGSEGV),
        (TrapKind::MisalignedPc, libc::SIGBUS),
        (TrapKind::MisalignedData, libc::SIGBUS),
        (TrapKind::CodeFetch, libc::SIGSEGV),
        (TrapKind::CodeFetchDenied, libc::SIGSEGV),
    ] {
        let code = ToyCode::new(&[[JUMP, 2], [TRAP, kind.index() as u8]]);
        let mut d = dispatcher(1 << 20);
        let mut state = start();
        let outcome = run(&mut d, &mut state, &code, |_| unreachable!("no syscall"));
        assert_eq!(outcome, Outcome::Signal(signal), "{kind:?}");
        assert_eq!(state.pc, 0x1002, "pc at the trapping instruction");
        let message = d.trap_messages.get(&GuestAddr(0x1002)).map(String::as_str);
        assert_eq!(message, Some(format!("0x1002: toy trap {}", kind.index()).as_str()));
    }
}

#[test]
fn unreadable_code_traps_without_a_message() {
    let code = ToyCode::new(&[[JUMP, 0x40]]);
    let mut d = dispatcher(1 << 20);
    let mut state = start();
    let outcome = run(&mut d, &mut state, &code, |_| unreachable!("no syscall"));
    assert_eq!(outcome, Outcome::Signal(libc::SIGSEGV));
    assert_eq!(state.pc, 0x1040);
    assert!(d.trap_messages.is_empty());
}

#[test]
fn invalidate_exit_drops_translations_and_continues_after_it() {
    // 0x1000: invalidate; 0x1002: jump 0x1004; 0x1004: syscall; 0x1006: jump 0x1000.
    // The first syscall rewrites 0x1002 into a syscall without asking for a flush; only the
    // second pass through the invalidate makes the guest see the new code.
    let code = ToyCode::new(&[[INVALIDATE, 0], [JUMP, 4], [SYSCALL, 0], [JUMP, 0]]);
    let mut d = dispatcher(1 << 20);
    let mut state = start();
    let mut calls = 0;
    let outcome = run(&mut d, &mut state, &code, |_| {
        calls += 1;
        if calls == 1 {
            code.0.borrow_mut()[2] = SYSCALL;
            SyscallAction::Continue
        } else {
            SyscallAction::Exit(calls)
        }
    });
    assert_eq!(state.trace, [0x1000, 0x1002, 0x1004, 0x1006, 0x1000, 0x1002]);
    assert_eq!(outcome, Outcome::Exit(2));
    assert_eq!(d.stats().flushes, 2, "one flush per invalidate exit");
}

#[test]
fn invalidate_exit_drops_only_written_code_when_writes_are_seen() {
    // 0x1000: syscall; 0x1002: invalidate; 0x1004: jump 0x1080; 0x1080: jump 0x1000. The
    // second syscall rewrites 0x1080 into a syscall, and the write is seen (as write
    // protection reports it): the invalidate (A64 IC IVAU) drops 0x1080's translation alone,
    // with no flush, and the guest runs the new code there.
    let code = code_with_far_block(&[[SYSCALL, 0], [INVALIDATE, 0], [JUMP, 0x80]], [JUMP, 0]);
    let written = RefCell::new(Vec::new());
    let mut d = dispatcher(1 << 20);
    let mut state = start();
    let mut calls = 0;
    let syscall = |_: &mut ToyState| {
        calls += 1;
        match calls {
            1 => SyscallAction::Continue,
            2 => {
                code.0.borrow_mut()[0x80] = SYSCALL;
                written.borrow_mut().push(BASE + 0x80..BASE + 0x82);
                SyscallAction::Continue
            }
            _ => SyscallAction::Exit(calls),
        }
    };
    let outcome = d.run(&mut state, &mut ToyEnv { code: &code, syscall, written: Some(&written) });
    assert_eq!(outcome, Outcome::Exit(3));
    assert_eq!(state.trace, [0x1000, 0x1002, 0x1004, 0x1080, 0x1000, 0x1002, 0x1004, 0x1080]);
    let s = d.stats();
    assert_eq!((s.flushes, s.range_invalidations, s.blocks_invalidated), (0, 1, 1));
    assert_eq!(s.blocks_translated, 5, "only 0x1080 is translated again");
}

/// Toy code with `insns` at BASE and `far` at BASE + 0x80, illegal instructions between.
fn code_with_far_block(insns: &[[u8; 2]], far: [u8; 2]) -> ToyCode {
    let mut all = vec![[0xff, 0]; 0x41];
    all[..insns.len()].copy_from_slice(insns);
    all[0x40] = far;
    ToyCode::new(&all)
}

/// The guest runs 0x1000 (syscall), 0x1002 (`reach` 0x1080), 0x1080 (jump 0x1000); at the
/// second syscall it rewrites 0x1080 into a syscall and reports the range changed.
fn run_with_changed_far_block(reach: [u8; 2]) -> (Dispatcher<ToyGuest, ToyBackend>, ToyState, Outcome) {
    let code = code_with_far_block(&[[SYSCALL, 0], reach], [JUMP, 0]);
    let mut d = dispatcher(1 << 20);
    let mut state = start();
    let mut calls = 0;
    let outcome = run(&mut d, &mut state, &code, |state| {
        calls += 1;
        match calls {
            1 => {
                state.reg = BASE + 0x80;
                SyscallAction::Continue
            }
            2 => {
                code.0.borrow_mut()[0x80] = SYSCALL;
                SyscallAction::InvalidateTranslations { start: BASE + 0x80, end: BASE + 0x82 }
            }
            _ => SyscallAction::Exit(calls),
        }
    });
    (d, state, outcome)
}

#[test]
fn changed_range_drops_only_its_blocks() {
    // 0x1080 is reached by an indirect branch (the jump table, no chain into it): dropping it
    // alone is enough, and the guest then runs the new code there.
    let (d, state, outcome) = run_with_changed_far_block([INDIRECT, 0]);
    assert_eq!(outcome, Outcome::Exit(3));
    assert_eq!(state.trace, [0x1000, 0x1002, 0x1080, 0x1000, 0x1002, 0x1080]);
    let s = d.stats();
    assert_eq!((s.flushes, s.range_invalidations, s.blocks_invalidated), (0, 1, 1));
    assert_eq!(s.blocks_translated, 4, "0x1000 and 0x1002 survive; 0x1080 is translated again");
}

#[test]
fn changed_range_with_a_chain_into_it_unlinks_the_chain() {
    // 0x1002 jumps to 0x1080 directly and was linked to it: the chain must not survive, and
    // it goes back to its exit stub without a flush.
    let (d, state, outcome) = run_with_changed_far_block([JUMP, 0x80]);
    assert_eq!(outcome, Outcome::Exit(3));
    assert_eq!(state.trace, [0x1000, 0x1002, 0x1080, 0x1000, 0x1002, 0x1080]);
    let s = d.stats();
    assert_eq!((s.flushes, s.range_invalidations, s.chains_unlinked), (0, 1, 1));
    assert_eq!(s.blocks_translated, 4, "only 0x1080 is translated again");
}

#[test]
fn generation_moves_on_with_every_flush_and_range_invalidation() {
    let mut d = dispatcher(1 << 20);
    let code = ToyCode::new(&[[JUMP, 0]]);
    let before = d.cache.generation();
    d.flush();
    assert_eq!(d.cache.generation(), before + 1);
    let _ = d.block_at(GuestAddr(BASE), &code);
    d.invalidate(BASE..BASE + 2);
    assert_eq!(d.cache.generation(), before + 2);
    assert!(d.blocks.is_empty());
}
