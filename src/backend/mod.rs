//! Host backends: each turns an IR [`Block`] into host machine code in the code cache. A
//! backend knows its host ISA and nothing of the guest.
//!
//! The host backend is chosen at compile time by `cfg(target_arch)`: [`HostBackend`]. Both
//! backends are built on every host: emitting code is plain byte writing, so the codegen
//! golden files (`tests/codegen_golden.rs`) list both backends' code on any machine; only
//! the host's own backend ever runs what it emits.

pub mod aarch64;
#[cfg(test)]
pub mod conformance;
#[cfg(test)]
mod conformance_flags;
#[cfg(test)]
mod conformance_fma;
#[cfg(test)]
mod conformance_probe;
#[cfg(test)]
mod conformance_vector;
mod fp_pair;
pub mod x86_64;

#[cfg(target_arch = "aarch64")]
pub use aarch64::Aarch64Backend as HostBackend;
#[cfg(target_arch = "x86_64")]
pub use x86_64::X86_64Backend as HostBackend;

use crate::cache::{CodeCache, HostCode};
use std::cell::Cell;

thread_local! {
    /// The host stack pointer that this thread's entry trampoline set up (after saving the
    /// callee-saved registers and reserving the spill area), stored by the trampoline on
    /// every entry. A fault exit resumes with it. Const-initialised without a destructor: a
    /// plain thread-local word that a signal handler may read.
    static ENTRY_SP: Cell<usize> = const { Cell::new(0) };
}

/// Where this thread's entry trampoline stores its stack pointer (see [`entry_sp`]).
pub(crate) fn entry_sp_slot() -> *mut usize {
    ENTRY_SP.with(|c| c.as_ptr())
}

/// The host stack pointer of translated code on this thread, as the fault exit
/// ([`Backend::fault_exit`]) expects it; async-signal-safe.
pub fn entry_sp() -> usize {
    ENTRY_SP.with(|c| c.get())
}

use crate::ir::{Block, Exit, Op};

/// A place in emitted code where a chainable exit jumps; [`Backend::link`] redirects it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct ChainSite(pub usize);

/// What compiling one block produced.
#[derive(Clone, Debug)]
pub struct CompiledBlock {
    /// Where the block's host code starts.
    pub entry: HostCode,
    /// Host bytes emitted for the block.
    pub host_len: usize,
    /// Where the host code of each guest instruction starts, in order: what maps a faulting
    /// host PC to its guest instruction (and `--report`'s expansion per instruction class).
    pub insn_starts: Vec<InsnStart>,
    /// Offset of the block's exit code (after the last guest instruction's own code).
    pub exits_at: u32,
    /// The guest memory accesses that state stores were deferred past, with where each
    /// deferred value lives there (see `ir::deferred`), in host code order.
    pub fault_sites: Vec<crate::ir::deferred::FaultSite>,
}

/// The start of one guest instruction's host code: the op [`crate::ir::Op::GuestInsn`]'s
/// place in the emitted block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InsnStart {
    pub pc: crate::ir::GuestAddr,
    pub len: u8,
    /// Byte offset from the block's entry.
    pub offset: u32,
}

#[derive(Debug)]
pub enum CompileError {
    /// The code cache is full; the caller flushes it and retries.
    CacheFull,
}

/// A host code generator.
///
/// Execution protocol: [`Backend::enter`] runs host code with the guest state pointer in the
/// backend's state register until some block exits to the dispatcher. Every exit leaves the
/// guest state complete in memory and fills in the [`crate::ir::protocol::StateHeader`]
/// (`next_pc`, `exit_reason`, `exit_arg`).
pub trait Backend: Sized {
    /// Creates the backend and emits its fixed code (entry trampoline, exit stubs) into `cache`.
    fn new(cache: &mut CodeCache) -> Result<Self, CompileError>;

    /// Makes every block compiled from now on add one to the `u64` at address `counter` when
    /// it is entered (`--report` counts block executions this way); `None`, the default,
    /// emits nothing. Non-atomic: with several guest threads, counts may miss increments.
    fn set_entry_counter(&mut self, counter: Option<usize>);

    /// Makes every guest data access of the blocks compiled from now on fault when its
    /// address is not canonical at `bits` bits (bits 63..bits-1 not all equal: x86-64's rule,
    /// `Guest::canonical_address_bits`), where the host would not fault on it by itself.
    /// `None`, the default, lets the host decide. An x86-64 host checks 48 bits in hardware,
    /// so its backend ignores this.
    fn set_canonical_addresses(&mut self, _bits: Option<u32>) {}

    /// Keeps the guest state fields at `fields` (8 bytes each, the guest description's list,
    /// hottest first) in host registers across blocks, if the backend has a convention for
    /// that; the state struct is still complete at every exit. Re-emits the fixed code, so it
    /// is called before any block is compiled. The default keeps every field in memory.
    fn set_state_registers(
        &mut self,
        _cache: &mut CodeCache,
        _fields: &[crate::ir::StateOffset],
    ) -> Result<(), CompileError> {
        Ok(())
    }

    /// Compiles `block` into `cache`.
    fn compile(&mut self, block: &Block, cache: &mut CodeCache) -> Result<CompiledBlock, CompileError>;

    /// Redirects a chainable exit (reported in `exit_arg` with
    /// [`crate::ir::protocol::ExitReason::Chain`]) to jump straight to `target`.
    fn link(&mut self, cache: &mut CodeCache, site: ChainSite, target: HostCode);

    /// Where the chain site jumps now (its exit stub until it is linked): what
    /// [`Self::link`] restores when the target block is dropped.
    fn chain_target(&self, cache: &CodeCache, site: ChainSite) -> HostCode;

    /// Emits the fixed code again after [`CodeCache::flush`].
    fn reset(&mut self, cache: &mut CodeCache) -> Result<(), CompileError>;

    /// What entering translated code needs (the trampoline's address), copied out of the
    /// backend so that a thread enters its code without holding the dispatcher's lock.
    type Entry: Copy;

    /// The current [`Self::Entry`]; valid until the next [`Self::reset`] (and, with several
    /// threads, for as long as the code cache keeps the region it is in: always).
    fn entry(&self) -> Self::Entry;

    /// The fault exit of the current fixed code, 0 if the backend has none: host code that,
    /// entered with the stack pointer at [`entry_sp`] and the state register as translated
    /// code has it, leaves translated code like a block exit with
    /// [`crate::ir::protocol::ExitReason::Fault`]. The host signal handler sends a faulting
    /// context there.
    fn fault_exit(&self) -> usize {
        0
    }

    /// The fault exit for a fault inside a helper that translated code called (the host
    /// registers are the helper's): the same as [`Self::fault_exit`] unless the backend keeps
    /// state fields in registers, which a call stores to the state before it and this exit
    /// leaves as they are there.
    fn helper_fault_exit(&self) -> usize {
        self.fault_exit()
    }

    /// Runs translated code starting at `code` until a block exits to the dispatcher.
    ///
    /// # Safety
    /// `state` must point to a live guest state struct of the guest whose blocks are in the
    /// cache, `entry` must come from [`Self::entry`] of the backend that compiled `code`, and
    /// `code` must be the entry of a block that is still mapped.
    unsafe fn enter_with(entry: Self::Entry, state: *mut u8, code: HostCode);

    /// [`Self::enter_with`] with this backend's current entry.
    ///
    /// # Safety
    /// `state` must point to a live guest state struct of the guest whose blocks are in the
    /// cache, and `code` must be the entry of a block compiled by this backend into `cache`.
    unsafe fn enter(&self, cache: &CodeCache, state: *mut u8, code: HostCode) {
        debug_assert!(cache.exec_range().contains(&code.0));
        // SAFETY: the caller's guarantees, with this backend's own entry.
        unsafe { Self::enter_with(self.entry(), state, code) }
    }
}

/// An assembler for `block`'s host code at `base`, with room for what blocks of its size
/// mostly take (a few host bytes per op, the exit stubs, a few labels), so that the buffer
/// is allocated once instead of growing by doubling as the code is emitted.
pub fn block_assembler<R: dynasmrt::relocations::Relocation>(
    base: usize,
    block: &Block,
) -> dynasmrt::VecAssembler<R> {
    dynasmrt::VecAssembler::new_with_capacity(base, 256 + 16 * block.ops.len(), 0, 0, 16, 0, 16)
}

/// Whether `block` tests the signal flag at its entry (see
/// [`crate::ir::protocol::SignalFlag`]): when one of its exits may continue in translated code
/// at or before its own start, i.e. a direct jump backwards (or to itself), an indirect
/// branch or a return. Every cycle of blocks that never returns to the dispatcher has such
/// an exit (going round it only forwards is impossible), so a guest spinning in one passes
/// a test on every turn; blocks whose exits only lead forwards, or back to the dispatcher
/// (syscalls, traps), go without the two instructions.
pub fn needs_signal_check(block: &Block) -> bool {
    let backwards = |exit: &Exit| match exit {
        Exit::Jump(target) => *target <= block.start,
        Exit::Branch { taken, not_taken, .. } => *taken <= block.start || *not_taken <= block.start,
        Exit::Indirect(_) | Exit::Return(_) => true,
        Exit::Syscall { .. } | Exit::Invalidate { .. } | Exit::Trap { .. } => false,
    };
    backwards(&block.exit)
        || block.ops.iter().any(|op| matches!(op, Op::ExitIf { exit, .. } if backwards(exit)))
}

/// How many times each temporary is read (by ops, `StateAtFault`s included, and the exit).
pub(crate) fn use_counts(block: &Block) -> crate::ir::scratch::Lent<u32> {
    let mut uses = crate::ir::scratch::filled(block.temps as usize, 0u32);
    for op in &block.ops {
        op.for_each_src(|t| uses[t.0 as usize] += 1);
    }
    block.exit.for_each_src(|t| uses[t.0 as usize] += 1);
    uses
}

/// Which constants a backend leaves to their readers instead of materialising them in a
/// location of their own: those whose value the host rebuilds in one instruction (`cheap`)
/// and those read only once. A reader uses the value as an immediate operand where the host
/// instruction has such a form, else puts it in a scratch register itself.
pub(crate) fn immediate_constants(
    block: &Block,
    uses: &[u32],
    cheap: impl Fn(u64) -> bool,
) -> crate::ir::scratch::Lent<Option<u64>> {
    let mut immediates = crate::ir::scratch::filled(block.temps as usize, None);
    for op in &block.ops {
        if let Op::Const { dst, value } = *op {
            if cheap(value) || uses[dst.0 as usize] <= 1 {
                immediates[dst.0 as usize] = Some(value);
            }
        }
    }
    immediates
}

/// Whether op `i` computes the condition of the exit right after it (the `ExitIf` that is
/// the next op, or the block's `Branch` when it is the last op) and nothing else reads it:
/// a backend may then leave the condition in its host flags (or test the op's input
/// directly) and branch on that, instead of materialising 0/1 and testing it.
pub(crate) fn feeds_only_next_exit(block: &Block, i: usize, uses: &[u32]) -> bool {
    let Some(dst) = block.ops[i].dst() else { return false };
    let next = match block.ops.get(i + 1) {
        Some(Op::ExitIf { cond, .. }) => *cond == dst,
        None => matches!(block.exit, Exit::Branch { cond, .. } if cond == dst),
        _ => false,
    };
    next && uses[dst.0 as usize] == 1
}

/// Whether a backend may emit a function call (`call`, `blr`) for `op`, which may change the
/// host's caller-saved registers: helper calls, the floating-point ops' reference paths, and
/// (AArch64 hosts) the atomics' path for unaligned addresses. Every op kind is listed, so that
/// a new one must be decided here.
pub(crate) fn may_call(op: &crate::ir::Op) -> bool {
    use crate::ir::Op;
    match op {
        Op::CallHelper { .. }
        | Op::Fp { .. }
        | Op::FpFma { .. }
        | Op::FpCmp { .. }
        | Op::FpCvt { .. }
        | Op::AtomicRmw { .. }
        | Op::CompareExchange { .. } => true,
        Op::GuestInsn { .. }
        | Op::Const { .. }
        | Op::LoadState { .. }
        | Op::StoreState { .. }
        | Op::Load { .. }
        | Op::Store { .. }
        | Op::Bin { .. }
        | Op::Un { .. }
        | Op::Ext { .. }
        | Op::Cmp { .. }
        | Op::Select { .. }
        | Op::Fence
        | Op::ProbeWrite { .. }
        | Op::Lanes { .. }
        | Op::ExitIf { .. }
        | Op::StateAtFault { .. }
        | Op::MxcsrRun { .. }
        | Op::VLoadState { .. }
        | Op::VStoreState { .. }
        | Op::VLoad { .. }
        | Op::VStore { .. }
        | Op::VPack { .. }
        | Op::VHalf { .. }
        | Op::VBit { .. }
        | Op::VLanes { .. }
        | Op::VShift { .. } => false,
    }
}
