//! x86-64 host backend (dynasmrt x64): compiles IR blocks to x86-64 code in the code cache.
//!
//! The register convention and the frame are described once, in `abi`. Code generation is
//! split by op family: `emit_alu` (constants, arithmetic, bit operations, comparisons),
//! `emit_mem` (guest state, guest memory, atomics), `emit_fp` (floating point, and the region
//! of ops that keeps the guest's MXCSR loaded), `emit_call`
//! (helper calls), `eflags` (flags of an add or sub read from the host's) and
//! `exits` (block exits, chaining stubs, `link`); `lookup` is the inline lookup table of
//! indirect exits, `listing` disassembles host code for tests and debugging.
//!
//! Each op is emitted on its own: it reads its inputs where they live (a register or a spill
//! slot, see `abi::HostLoc`, or as an immediate for constants, see
//! `Emitter::immediates`), computes in the destination's register (or a scratch register
//! when the destination is spilled) and leaves the result there. Nothing is kept in scratch
//! registers from one op to the next, and the host flags only from a comparison to the
//! branch or `ExitIf` right after it that is its only reader (`Emitter::fused_cmp`), and
//! from an add or sub to the flag computations on it that read them (`eflags`).

// dynasm!'s expansion converts dynamic register numbers with `.into()`, which clippy flags
// when the number already has the target type.
#![allow(clippy::useless_conversion)]

mod abi;
mod eflags;
mod emit_alu;
mod emit_call;
mod emit_fma;
mod emit_fp;
mod emit_fp_a64;
mod emit_fp_conv;
mod emit_fp_run;
mod emit_lanes;
mod emit_mem;
mod emit_vector;
mod exits;
mod listing;
mod lookup;
mod profile;
#[cfg(all(test, target_arch = "x86_64"))]
pub(crate) mod tests;

use crate::backend::{
    feeds_only_next_exit, use_counts, Backend, ChainSite, CompileError, CompiledBlock, InsnStart,
};
use crate::cache::{CodeCache, HostCode};
use crate::ir::deferred::{may_fault, FaultNode, SiteRecorder};
use crate::ir::regalloc::{self, Loc};
use crate::ir::scratch::{self, Lent};
use crate::ir::{Block, Op, Temp};
pub use listing::listing;

use abi::{FixedCode, HostLoc};
use dynasmrt::x64::X64Relocation;
use dynasmrt::{dynasm, DynasmApi, VecAssembler};

scratch::pooled!(HOST_LOCS: HostLoc);

/// The host register (x86 numbering) that holds the guest state pointer in translated code.
pub const STATE_REGISTER: u8 = abi::STATE;

/// The assembler every emitter writes into: a byte vector assembled for the address where
/// the bytes will run in the code cache's executable view.
type Asm = VecAssembler<X64Relocation>;

/// Optional host instructions the backend uses when the CPU has them (checked once, with
/// cpuid, when the backend is created). Without them it emits equivalent sequences.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostFeatures {
    /// `lzcnt` (ABM / LZCNT). Without it, `bsr` with a zero check.
    pub lzcnt: bool,
    /// `tzcnt` (BMI1). Without it, `bsf` with a zero check.
    pub tzcnt: bool,
    /// `popcnt`. Without it, a SWAR bit count.
    pub popcnt: bool,
    /// FMA3 (`vfmadd231sd` ...; with the OS saving AVX state). Without it, `Op::FpFma` calls
    /// its exact reference.
    pub fma: bool,
}

impl HostFeatures {
    /// No optional instruction: the code runs on every x86-64 CPU.
    pub const BASELINE: HostFeatures = HostFeatures { lzcnt: false, tzcnt: false, popcnt: false, fma: false };

    /// Every optional instruction the backend knows.
    pub const ALL: HostFeatures = HostFeatures { lzcnt: true, tzcnt: true, popcnt: true, fma: true };

    /// What this CPU has (nothing on other hosts, where this backend only emits code).
    #[cfg(not(target_arch = "x86_64"))]
    pub fn detect() -> HostFeatures {
        HostFeatures::BASELINE
    }

    /// What this CPU has.
    #[cfg(target_arch = "x86_64")]
    pub fn detect() -> HostFeatures {
        HostFeatures {
            lzcnt: std::arch::is_x86_feature_detected!("lzcnt"),
            tzcnt: std::arch::is_x86_feature_detected!("bmi1"),
            popcnt: std::arch::is_x86_feature_detected!("popcnt"),
            fma: std::arch::is_x86_feature_detected!("fma"),
        }
    }
}

/// The x86-64 code generator. Holds the addresses of its fixed code (trampoline, exit
/// routines, lookup probe) in the current code cache generation.
pub struct X86_64Backend {
    fixed: FixedCode,
    features: HostFeatures,
    /// How many of [`abi::ALLOCATABLE`] the register allocator may use (all of them, except
    /// in tests that force temporaries into spill slots).
    alloc_regs: usize,
    /// See [`Backend::set_entry_counter`].
    entry_counter: Option<usize>,
}

impl X86_64Backend {
    /// A backend that uses exactly `features` (tests use this to cover the fallback code of
    /// instructions the CPU has).
    pub fn with_features(cache: &mut CodeCache, features: HostFeatures) -> Result<Self, CompileError> {
        let fixed = emit_fixed(cache)?;
        Ok(X86_64Backend { fixed, features, alloc_regs: abi::ALLOCATABLE.len(), entry_counter: None })
    }

    /// Limits the host registers given to temporaries (tests: 0 puts every temporary in a
    /// spill slot).
    #[cfg(all(test, target_arch = "x86_64"))]
    fn set_alloc_regs(&mut self, regs: usize) {
        self.alloc_regs = regs;
    }

    /// Bytes of fixed code (trampoline and exit path) emitted by `new` and `reset`.
    pub fn fixed_code_len(&self) -> usize {
        self.fixed.len
    }
}

/// Emits the fixed code into `cache` (its lookup probe reads the cache's jump table).
fn emit_fixed(cache: &mut CodeCache) -> Result<FixedCode, CompileError> {
    let base = cache.next_code().0;
    let (bytes, fixed) = abi::emit_trampoline(base, cache.jump_table().address());
    let at = cache.append(&bytes).ok_or(CompileError::CacheFull)?;
    debug_assert_eq!(at.0, base);
    Ok(fixed)
}

impl Backend for X86_64Backend {
    fn new(cache: &mut CodeCache) -> Result<Self, CompileError> {
        Self::with_features(cache, HostFeatures::detect())
    }

    fn set_entry_counter(&mut self, counter: Option<usize>) {
        self.entry_counter = counter;
    }

    fn compile(&mut self, block: &Block, cache: &mut CodeCache) -> Result<CompiledBlock, CompileError> {
        let base = cache.next_code().0;
        let mut e = Emitter::new(block, base, self.fixed, self.features, self.alloc_regs);
        let signal_exit = crate::backend::needs_signal_check(block).then(|| exits::emit_signal_check(&mut e));
        if let Some(counter) = self.entry_counter {
            profile::count_entry(&mut e.asm, counter);
        }
        if e.frame_extra > 0 {
            let extra = e.frame_extra;
            dynasm!(e.asm ; .arch x64 ; sub rsp, extra);
        }
        let uses = use_counts(block);
        let mut insn_starts = Vec::with_capacity(block.guest_insns as usize);
        let mut sites = SiteRecorder::new(block);
        let mut skip = false;
        // The end of the MXCSR run being emitted (its slow path) and where its fast path joins.
        let mut run_join = None;
        for (i, op) in block.ops.iter().enumerate() {
            e.op_index = i;
            if let Some((_, done)) = run_join.filter(|&(end, _)| end == i) {
                join_mxcsr_run(&mut e, done);
                run_join = None;
            }
            if let Op::GuestInsn { pc, len } = op {
                insn_starts.push(InsnStart { pc: *pc, len: *len, offset: e.asm.offset().0 as u32 });
            }
            if std::mem::take(&mut skip) || sites.skips(op) {
                continue;
            }
            if let Op::StateAtFault { offset, src, width } = op {
                let locs = &e.locs;
                sites.field(block, offset.0, *width, *src, &|t| match locs[t.0 as usize] {
                    HostLoc::Reg(r) => FaultNode::Reg(r),
                    HostLoc::Stack(d) => FaultNode::Stack(d as u32),
                });
                continue;
            }
            if let Op::MxcsrRun { .. } = op {
                if run_join.is_none() {
                    run_join = emit_fp_run::fast_path(&mut e, block, i, &uses);
                }
                continue;
            }
            if e.guest_mxcsr && !emit_fp::keeps_guest_mxcsr(op, e.features) {
                e.leave_guest_mxcsr_region();
            }
            let start = e.asm.offset().0 as u32;
            if let (Some(flags), Some(dst)) =
                (crate::backend::fp_pair::flags_partner(op, block.ops.get(i + 1)), op.dst())
            {
                // The flags op reads the same inputs, so they are live through both.
                let dsts = crate::backend::fp_pair::FpDsts { value: Some(dst), flags: Some(flags) };
                e.fp_family(op, dsts);
                e.defined[dst.0 as usize] = true;
                e.defined[flags.0 as usize] = true;
                skip = true;
                continue;
            }
            let narrow = narrow_state_load(op, block.ops.get(i + 1), &uses);
            if let Some((dst, offset, from)) = narrow.filter(|&(dst, ..)| !sites.skips_temp(dst)) {
                // A 64-bit field read only to be zero-extended from its low bytes: one load
                // of those bytes, which zero-extends itself.
                emit_mem::load_state(&mut e, dst, offset, from);
                e.defined[dst.0 as usize] = true;
                skip = true;
                continue;
            }
            e.fuse_next_cmp = matches!(op, Op::Cmp { .. }) && feeds_only_next_exit(block, i, &uses);
            e.op(op);
            if let Some(d) = op.dst() {
                e.defined[d.0 as usize] = true;
            }
            if may_fault(op) {
                sites.access(start, e.asm.offset().0 as u32);
            }
        }
        if let Some((_, done)) = run_join {
            join_mxcsr_run(&mut e, done);
        }
        // (`ldmxcsr` leaves the host flags of a fused comparison alone.)
        e.leave_guest_mxcsr_region();
        let exits_at = e.asm.offset().0 as u32;
        exits::emit_exit(&mut e, &block.exit);
        exits::emit_chain_stubs(&mut e);
        if let Some(label) = signal_exit {
            exits::emit_signal_exit(&mut e, label, block.start);
        }
        // Every relocation is a jump inside the block or to the exit path, both within the
        // cache (well inside +-2 GiB), so committing cannot fail.
        let bytes = e.asm.finalize().expect("x86-64 block relocations are always in range");
        let entry = cache.append(&bytes).ok_or(CompileError::CacheFull)?;
        debug_assert_eq!(entry.0, base, "code must land where it was assembled for");
        Ok(CompiledBlock { entry, host_len: bytes.len(), insn_starts, exits_at, fault_sites: sites.finish() })
    }

    fn link(&mut self, cache: &mut CodeCache, site: ChainSite, target: HostCode) {
        exits::link(cache, site, target)
    }

    fn chain_target(&self, cache: &CodeCache, site: ChainSite) -> HostCode {
        exits::chain_target(cache, site)
    }

    fn reset(&mut self, cache: &mut CodeCache) -> Result<(), CompileError> {
        self.fixed = emit_fixed(cache)?;
        Ok(())
    }

    type Entry = usize;

    fn entry(&self) -> usize {
        self.fixed.enter
    }

    fn fault_exit(&self) -> usize {
        self.fixed.fault_exit
    }

    unsafe fn enter_with(entry: usize, state: *mut u8, code: HostCode) {
        // SAFETY: `entry` is the trampoline emitted by `emit_fixed` into the cache's
        // executable view (per the contract; the region stays mapped); it follows the SysV ABI
        // (saves and restores every callee-saved register, keeps the stack aligned) with this
        // signature. The caller guarantees that `state` is a live guest state and `code` a
        // block compiled by this backend, so the translated code only touches the state, its
        // own frame and guest memory.
        unsafe {
            let trampoline: extern "C" fn(*mut u8, usize, *mut usize) = std::mem::transmute(entry);
            trampoline(state, code.0, crate::backend::entry_sp_slot());
        }
    }
}

/// Places the label where an MXCSR run's fast path joins its slow path: both leave a guest
/// MXCSR loaded (see `emit_fp_run`).
fn join_mxcsr_run(e: &mut Emitter, done: dynasmrt::DynamicLabel) {
    use dynasmrt::DynasmLabelApi;
    dynasm!(e.asm ; .arch x64 ; =>done);
    e.guest_mxcsr = true;
}

/// A chainable exit waiting for its stub (emitted after the block's body).
struct ChainStub {
    /// The stub's label (the site's `jmp rel32` initially jumps here).
    label: dynasmrt::DynamicLabel,
    /// The site's `jmp rel32` (the stub reports its address).
    site_label: dynasmrt::DynamicLabel,
    /// Guest address the exit continues at.
    target: u64,
}

/// What an op reads for one of its inputs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Operand {
    /// The temp's home register (which the op must not modify).
    Reg(u8),
    /// The temp's spill slot `[rsp + disp]`.
    Stack(i32),
    /// A constant that was not materialised (see [`Emitter::immediates`]): use it as an
    /// immediate where the instruction has such a form, else load it into a scratch register.
    Imm(u64),
}

/// The state of compiling one block.
struct Emitter {
    asm: Asm,
    /// Executable-view address of the block's first byte.
    base: usize,
    /// Where each temporary lives.
    locs: Lent<HostLoc>,
    /// Where each vector temporary lives: an xmm register number or a 16-byte slot (see
    /// `emit_vector`); unused for the others.
    vlocs: Lent<HostLoc>,
    /// `Some(value)` for the `Op::Const` temporaries that get no code and no location: their
    /// readers use the value as an immediate or put it in a scratch register themselves.
    immediates: Lent<Option<u64>>,
    /// Index of the last op reading each temporary (`ops.len()` for the exit).
    last_use: Lent<usize>,
    /// Which temporaries the ops emitted so far have written.
    defined: Lent<bool>,
    /// Index of the op being emitted.
    op_index: usize,
    /// Set while emitting a `Cmp` whose only reader is the exit right after it: the compare
    /// then leaves its result in the host flags only (see [`exits`]).
    fuse_next_cmp: bool,
    /// The comparison whose result is in the host flags: (its temp, its condition).
    fused_cmp: Option<(Temp, crate::ir::CmpOp)>,
    /// The adds and subs whose flags are read from the host's (see [`eflags`]).
    flags: crate::ir::flag_readers::Plan,
    /// `[rsp + save_area + 8*k]` saves the k-th caller-saved register around helper calls.
    save_area: i32,
    /// Bytes the block lowers `rsp` by at entry beyond the fixed frame (a multiple of 16; 0
    /// unless the block needs more spill slots than [`abi::SPILL_AREA_BYTES`]).
    frame_extra: i32,
    fixed: FixedCode,
    features: HostFeatures,
    stubs: Vec<ChainStub>,
    /// Whether the guest's MXCSR is loaded (an `X86Sse` op ran and nothing since needed the
    /// host's): see `emit_fp`.
    guest_mxcsr: bool,
    /// Set while emitting the fast path of an MXCSR run: the run's MXCSR is loaded, flags
    /// included, and the floating-point ops neither load their controls nor read their
    /// flags (see `emit_fp_run`).
    mxcsr_run: bool,
}

impl Emitter {
    fn new(
        block: &Block,
        base: usize,
        fixed: FixedCode,
        features: HostFeatures,
        alloc_regs: usize,
    ) -> Emitter {
        let uses = use_counts(block);
        let immediates = immediate_constants(block, &uses);
        let (last_use, only) = regalloc::last_uses(block);
        let vector = crate::ir::vector::vector_temps(block);
        let flags = eflags::plan(block, &uses, &immediates, &only);
        let (locs, spill_slots) = allocate(block, &immediates, alloc_regs, &last_use, &only, &vector, &flags);
        // After the allocator's slots: one save slot per caller-saved register (see
        // `emit_call`), then the vector temporaries' 16-byte slots.
        let save_area = 8 * spill_slots as i32;
        let vector_area =
            (save_area + 8 * (abi::ALLOCATABLE.len() - abi::CALLER_SAVED_FROM) as i32 + 15) & !15;
        let (vlocs, vector_slots) =
            allocate_vectors(block, alloc_regs, &last_use, &only, &vector, vector_area);
        let spill_bytes = vector_area + 16 * vector_slots as i32;
        let frame_extra = if spill_bytes > abi::SPILL_AREA_BYTES {
            (spill_bytes - abi::SPILL_AREA_BYTES + 15) & !15
        } else {
            0
        };
        let mut last_use_or_0 = scratch::filled(0, 0usize);
        last_use_or_0.extend(last_use.iter().map(|u| u.unwrap_or(0)));
        Emitter {
            asm: crate::backend::block_assembler(base, block),
            base,
            locs,
            vlocs,
            immediates,
            last_use: last_use_or_0,
            defined: scratch::filled(block.temps as usize, false),
            op_index: 0,
            fuse_next_cmp: false,
            fused_cmp: None,
            flags,
            save_area,
            frame_extra,
            fixed,
            features,
            stubs: Vec::new(),
            guest_mxcsr: false,
            mxcsr_run: false,
        }
    }

    /// Where an op's destination `t` lives (never an immediate).
    fn loc(&self, t: Temp) -> HostLoc {
        debug_assert!(self.immediates[t.0 as usize].is_none());
        self.locs[t.0 as usize]
    }

    /// How an op reads its input `t`.
    fn operand(&self, t: Temp) -> Operand {
        match self.immediates[t.0 as usize] {
            Some(v) => Operand::Imm(v),
            None => match self.locs[t.0 as usize] {
                HostLoc::Reg(r) => Operand::Reg(r),
                HostLoc::Stack(d) => Operand::Stack(d),
            },
        }
    }

    /// Whether `t` is a constant that no code materialised.
    fn is_immediate(&self, t: Temp) -> bool {
        self.immediates[t.0 as usize].is_some()
    }

    /// `reg = t` (64 bits).
    fn load(&mut self, reg: u8, t: Temp) {
        match self.operand(t) {
            // Only `mov`s: flags survive (select relies on it).
            Operand::Imm(v) => emit_alu::mov_imm(&mut self.asm, reg, v),
            Operand::Reg(r) => abi::load_loc(&mut self.asm, reg, HostLoc::Reg(r)),
            Operand::Stack(d) => abi::load_loc(&mut self.asm, reg, HostLoc::Stack(d)),
        }
    }

    /// `t = reg` (64 bits).
    fn store(&mut self, t: Temp, reg: u8) {
        let loc = self.loc(t);
        abi::store_loc(&mut self.asm, loc, reg);
    }

    /// The register holding `t` for reading: its home register (which the op must not
    /// modify), or `scratch` after loading it there.
    fn src_reg(&mut self, t: Temp, scratch: u8) -> u8 {
        match self.operand(t) {
            Operand::Reg(r) => r,
            Operand::Stack(_) | Operand::Imm(_) => {
                self.load(scratch, t);
                scratch
            }
        }
    }

    /// The register an op computes `t` in: its home register, or `scratch` when `t` lives
    /// in a spill slot (then [`Self::store`] puts it there). The register allocator never
    /// gives an op's destination the location of one of its sources, so writing this
    /// register early cannot clobber an input.
    fn dst_reg(&self, t: Temp, scratch: u8) -> u8 {
        match self.loc(t) {
            HostLoc::Reg(r) => r,
            HostLoc::Stack(_) => scratch,
        }
    }

    /// The caller-saved registers holding a temporary that is live after the current op
    /// (written before it, read after it), with their save slots' displacements.
    fn caller_saved_live_after_op(&self) -> Vec<(u8, i32)> {
        let mut live = Vec::new();
        for (t, loc) in self.locs.iter().enumerate() {
            if let HostLoc::Reg(r) = *loc {
                let k = abi::ALLOCATABLE[abi::CALLER_SAVED_FROM..].iter().position(|&c| c == r);
                if let Some(k) = k {
                    if self.defined[t] && self.last_use[t] > self.op_index {
                        live.push((r, self.save_area + 8 * k as i32));
                    }
                }
            }
        }
        live
    }

    /// Executable-view address of the next byte emitted.
    fn here(&self) -> usize {
        self.base + self.asm.offset().0
    }

    /// An `Op::Fp`, `Op::FpCmp` or `Op::FpCvt` into `dsts` (its value, flags or both).
    fn fp_family(&mut self, op: &Op, dsts: crate::backend::fp_pair::FpDsts) {
        match *op {
            Op::Fp { op, prec, rule, a, b, ctrl, .. } => emit_fp::fp(self, op, prec, rule, dsts, a, b, ctrl),
            Op::FpCmp { op, prec, rule, a, b, ctrl, .. } => {
                emit_fp_conv::fp_cmp(self, op, prec, rule, dsts, a, b, ctrl)
            }
            Op::FpCvt { from, to, round, rule, a, ctrl, .. } => {
                emit_fp_conv::fp_cvt(self, from, to, round, rule, dsts, a, ctrl)
            }
            Op::FpFma { prec, rule, neg, a, b, c, ctrl, .. } => {
                emit_fma::fma(self, prec, rule, neg, dsts, [a, b, c, ctrl])
            }
            _ => unreachable!("not a floating-point op: {op}"),
        }
    }

    fn op(&mut self, op: &Op) {
        match op {
            Op::GuestInsn { .. } => {}
            Op::Const { dst, .. } if self.is_immediate(*dst) => {}
            Op::Const { dst, value } => emit_alu::constant(self, *dst, *value),
            // Flags read from the host's (see `eflags`).
            Op::Bin { dst, .. } | Op::Un { dst, .. } if self.flags.skipped(*dst) => {}
            Op::Bin { dst, .. } | Op::Cmp { dst, .. } if self.flags.reads(*dst).is_some() => {
                let cond = self.flags.reads(*dst).unwrap_or(crate::ir::flag_readers::Cond::Overflow);
                eflags::read(self, *dst, cond);
            }
            Op::Bin { op, dst, a, b, width } => emit_alu::bin(self, *op, *dst, *a, *b, *width),
            Op::Un { op, dst, a, width } => emit_alu::un(self, *op, *dst, *a, *width),
            Op::Ext { dst, a, from, signed } => emit_alu::ext(self, *dst, *a, *from, *signed),
            Op::Cmp { op, dst, a, b, width } => emit_alu::cmp(self, *op, *dst, *a, *b, *width),
            Op::Select { dst, cond, if_true, if_false } => {
                emit_alu::select(self, *dst, *cond, *if_true, *if_false)
            }
            Op::LoadState { dst, offset, width } => emit_mem::load_state(self, *dst, offset.0, *width),
            Op::StoreState { offset, src, width } => emit_mem::store_state(self, offset.0, *src, *width),
            // Every load order is a plain x86 load (see `emit_mem`).
            Op::Load { dst, addr, width, .. } => emit_mem::load(self, *dst, *addr, *width),
            Op::Store { addr, src, width, order } => emit_mem::store(self, *addr, *src, *width, *order),
            Op::AtomicRmw { op, dst, addr, src, width } => {
                emit_mem::atomic_rmw(self, *op, *dst, *addr, *src, *width)
            }
            Op::CompareExchange { dst, addr, expected, new, width } => {
                emit_mem::compare_exchange(self, *dst, *addr, *expected, *new, *width)
            }
            Op::Fence => emit_mem::fence(self),
            Op::ProbeWrite { addr, len } => emit_mem::probe_write(self, *addr, *len),
            Op::Lanes { op, lane, dst, a, b } => emit_lanes::lanes(self, *op, *lane, *dst, *a, *b),
            Op::VLoadState { dst, offset } => self.vload_state(*dst, offset.0),
            Op::VStoreState { offset, src } => self.vstore_state(offset.0, *src),
            Op::VLoad { dst, addr, .. } => self.vload(*dst, *addr),
            Op::VStore { addr, src, .. } => self.vstore(*addr, *src),
            Op::VPack { dst, lo, hi } => self.vpack(*dst, *lo, *hi),
            Op::VHalf { dst, src, high } => self.vhalf(*dst, *src, *high),
            Op::VBit { op, dst, a, b } => self.vbit(*op, *dst, *a, *b),
            Op::VLanes { op, lane, dst, a, b } => self.vlanes(*op, *lane, *dst, *a, *b),
            Op::VShift { op, lane, dst, a, count } => self.vshift(*op, *lane, *dst, *a, *count),
            Op::Fp { result, dst, .. }
            | Op::FpFma { result, dst, .. }
            | Op::FpCmp { result, dst, .. }
            | Op::FpCvt { result, dst, .. } => {
                self.fp_family(op, crate::backend::fp_pair::FpDsts::of(*result, *dst))
            }
            Op::CallHelper { dst, helper, args } => emit_call::call_helper(self, *dst, helper, args),
            Op::ExitIf { cond, exit } => exits::emit_exit_if(self, *cond, exit),
            // Recorded by `compile`, no code.
            // (`compile` lowers the run it starts.)
            Op::StateAtFault { .. } | Op::MxcsrRun { .. } => {}
        }
    }
}

/// Which constants are left to their readers ([`crate::backend::immediate_constants`]):
/// those whose value a `mov` with a 32-bit immediate can rebuild (no longer than loading it
/// from a spill slot) and those read only once. Most of them end up as immediate operands
/// (`add r, imm`, `shl r, imm`, `cmp r, imm`, `mov [r15 + off], imm`).
fn immediate_constants(block: &Block, uses: &[u32]) -> Lent<Option<u64>> {
    crate::backend::immediate_constants(block, uses, |value| {
        value <= u32::MAX as u64 || value as i64 == value as i32 as i64
    })
}

/// Places every temporary but the immediates (with the shared allocator
/// [`crate::ir::regalloc`] over the first `regs` of [`abi::ALLOCATABLE`]): returns each one's
/// location and the number of spill slots used.
fn allocate(
    block: &Block,
    immediates: &[Option<u64>],
    regs: usize,
    last_use: &[Option<usize>],
    only: &[bool],
    vector: &[bool],
    flags: &crate::ir::flag_readers::Plan,
) -> (Lent<HostLoc>, usize) {
    let regs = regs.min(abi::ALLOCATABLE.len());
    // The immediates take no location (their reads do not matter to the allocator), nor do
    // the fault-only temporaries, the vectors (see `allocate_vectors`) and the flag
    // computations read from the host flags (`eflags`).
    let no_location = scratch::collected(
        only.iter()
            .zip(immediates)
            .zip(vector)
            .enumerate()
            .map(|(t, ((o, i), v))| *o || i.is_some() || *v || flags.skipped(Temp(t as u32))),
    );
    let alloc = regalloc::allocate_reusing(block, regs, last_use, &no_location, reusable_source);
    let locs = scratch::collected(alloc.locs.iter().map(|loc| match *loc {
        Loc::Reg(i) => HostLoc::Reg(abi::ALLOCATABLE[i as usize]),
        Loc::Spill(slot) => HostLoc::Stack(8 * slot as i32),
    }));
    (locs, alloc.spill_slots as usize)
}

/// `(ext's destination, offset, width)` when `op` loads a whole 64-bit state field that only
/// `next`, a zero extension from its low bytes, reads: the two are one narrower load.
fn narrow_state_load(op: &Op, next: Option<&Op>, uses: &[u32]) -> Option<(Temp, u32, crate::ir::Width)> {
    match (op, next) {
        (
            &Op::LoadState { dst, offset, width: crate::ir::Width::W64 },
            Some(&Op::Ext { dst: ext, a, from, signed: false }),
        ) if a == dst && uses[dst.0 as usize] == 1 && from != crate::ir::Width::W64 => {
            Some((ext, offset.0, from))
        }
        _ => None,
    }
}

/// The sources whose register an op's destination may take where the op reads them last
/// ([`regalloc::allocate_reusing`]): x86 arithmetic has two operands, so `d = a op b` is
/// `mov d, a; op d, b`, and with `d` in `a`'s register only `op d, b` is left. The emitters
/// of these ops read `a` (or, for a commutative op, `b`, which `emit_alu::bin` then swaps
/// in first) into the destination's register before writing it, and read the other source
/// from its own location.
fn reusable_source(op: &Op) -> [Option<Temp>; 2] {
    use crate::ir::BinOp::*;
    match *op {
        Op::Bin { op: Add | And | Or | Xor | Mul, a, b, .. } => [Some(a), Some(b)],
        Op::Bin { op: Sub | Shl | Lshr | Ashr | Rotr, a, .. } => [Some(a), None],
        Op::Un { a, .. } | Op::Ext { a, .. } => [Some(a), None],
        _ => [None, None],
    }
}

/// Places the vector temporaries (the same allocator over [`abi::VECTOR_REGS`], none of them
/// in a block that calls a function or when `regs` is 0, as tests ask) in xmm registers or
/// 16-byte slots from `[rsp + area]`: returns each one's location and the number of slots.
fn allocate_vectors(
    block: &Block,
    regs: usize,
    last_use: &[Option<usize>],
    only: &[bool],
    vector: &[bool],
    area: i32,
) -> (Lent<HostLoc>, usize) {
    if !vector.contains(&true) {
        return (scratch::filled(0, HostLoc::Stack(0)), 0);
    }
    let regs = if regs > 0 && emit_vector::vector_regs_allowed(block) { abi::VECTOR_REGS.len() } else { 0 };
    let no_location = scratch::collected(only.iter().zip(vector).map(|(o, v)| *o || !*v));
    let alloc = regalloc::allocate_with(block, regs, last_use, &no_location);
    let locs = scratch::collected(alloc.locs.iter().map(|loc| match *loc {
        Loc::Reg(i) => HostLoc::Reg(abi::VECTOR_REGS[i as usize]),
        Loc::Spill(slot) => HostLoc::Stack(area + 16 * slot as i32),
    }));
    (locs, alloc.spill_slots as usize)
}
