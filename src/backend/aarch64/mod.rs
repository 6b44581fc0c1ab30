//! AArch64 host backend (dynasmrt aarch64): IR blocks -> A64 code in the code cache.
//!
//! Layout of the code: [`abi`] fixes the registers; [`Emitter`] walks the ops of one block,
//! with one method per op family in `alu.rs`, `mem.rs` and `exits.rs`. Constants that fit
//! an instruction's immediate field (`imm.rs`) are left to their readers; an op whose only
//! reader can do its work in the same instruction is emitted there (`fold.rs`); a comparison
//! or bit test that only the next exit reads becomes its branch (`Fused`). The entry
//! trampoline and the shared exit path are emitted once at the start of the cache
//! ([`Backend::new`], [`Backend::reset`]).
//!
//! AArch64 needs instruction-cache maintenance after code is written or patched (unlike
//! x86-64, which keeps its caches coherent): every append and every link ends with
//! [`crate::host::icache::synchronize`] over the written bytes.

// dynasm's aarch64 register operands (`X(reg)`) expand to `.into()` conversions that are
// identities for our `u8` register numbers.
#![allow(clippy::useless_conversion)]

mod abi;
mod alu;
#[cfg(test)]
mod encodings;
mod exits;
mod fma;
mod fold;
mod fp;
mod fp_a64;
mod fp_conv;
mod imm;
mod lanes;
mod mem;
mod nzcv;
mod profile;
mod state_regs;
#[cfg(all(test, target_arch = "aarch64"))]
mod tests;
mod unaligned;
mod vector;

use super::{fp_pair, Backend, ChainSite, CompileError, CompiledBlock, InsnStart};
use crate::cache::{CodeCache, HostCode};
use crate::ir::deferred::{may_fault, FaultNode, SiteRecorder};
use crate::ir::protocol::{header, ExitReason};
use crate::ir::regalloc::{self, Allocation, Loc};
use crate::ir::{BinOp, Block, Op, StateOffset, Temp, Width};
use abi::*;
use dynasmrt::aarch64::Aarch64Relocation;
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi, VecAssembler};

/// The host register (`x` number) that holds the guest state pointer in translated code.
pub const STATE_REGISTER: u8 = abi::STATE;

type Asm = VecAssembler<Aarch64Relocation>;

/// The AArch64 backend. It owns the addresses of its fixed code in the cache.
pub struct Aarch64Backend {
    /// `extern "C" fn(state: *mut u8, code: usize, sp_slot: *mut usize)`: saves registers,
    /// stores its stack pointer at `sp_slot` ([`super::entry_sp`]), jumps to `code`.
    trampoline: HostCode,
    /// The shared exit path: restores registers and returns from the trampoline.
    exit_path: HostCode,
    /// See [`Backend::fault_exit`].
    fault_exit: usize,
    /// See [`Backend::helper_fault_exit`].
    helper_fault_exit: usize,
    /// See [`Backend::set_entry_counter`].
    entry_counter: Option<usize>,
    /// See [`Backend::set_canonical_addresses`].
    canonical: Option<u32>,
    /// The guest state fields that live in host registers ([`Backend::set_state_registers`]).
    state_regs: state_regs::StateRegs,
}

/// Encodes `B target` placed at `at` (both in the executable view).
fn encode_b(at: usize, target: usize) -> u32 {
    let delta = (target as i64 - at as i64) >> 2;
    assert!((-(1 << 25)..(1 << 25)).contains(&delta), "branch beyond +-128 MiB");
    0x1400_0000 | (delta as u32 & 0x03ff_ffff)
}

/// Makes freshly written bytes of the executable view visible to instruction fetch.
fn sync_icache(cache: &CodeCache, at: HostCode, len: usize) {
    crate::host::icache::synchronize(cache.bytes(at, len));
}

fn append(cache: &mut CodeCache, code: &[u8]) -> Result<HostCode, CompileError> {
    let at = cache.append(code).ok_or(CompileError::CacheFull)?;
    sync_icache(cache, at, code.len());
    Ok(at)
}

impl Aarch64Backend {
    fn emit_fixed(
        cache: &mut CodeCache,
        state_regs: state_regs::StateRegs,
    ) -> Result<Aarch64Backend, CompileError> {
        let base = cache.next_code().0;
        let mut a = Asm::new(base);
        let exit_label = a.new_dynamic_label();
        dynasm!(a
            ; .arch aarch64
            // Trampoline: x0 = state, x1 = code.
            ; stp x29, x30, [sp, #-96]!
            ; mov x29, sp
            ; stp x19, x20, [sp, #16]
            ; stp x21, x22, [sp, #32]
            ; stp x23, x24, [sp, #48]
            ; stp x25, x26, [sp, #64]
            ; stp x27, x28, [sp, #80]
            ; sub sp, sp, #SPILL_BYTES
            ; mov x9, sp
            ; str x9, [x2]
            ; mov X(STATE), x0
            ; mov X(FAR), x1
        );
        // The state registers get their fields' values (x0 and x1 may be among them).
        state_regs.transfer(&mut a, false, |_, _| true);
        dynasm!(a
            ; .arch aarch64
            ; br X(FAR)
            ; .align 16
            ; =>exit_label
        );
        // Every exit makes the state complete: the state registers go back to their fields.
        state_regs.transfer(&mut a, true, |_, _| true);
        let complete_label = a.new_dynamic_label();
        dynasm!(a
            ; .arch aarch64
            ; =>complete_label
            ; add sp, sp, #SPILL_BYTES
            ; ldp x19, x20, [sp, #16]
            ; ldp x21, x22, [sp, #32]
            ; ldp x23, x24, [sp, #48]
            ; ldp x25, x26, [sp, #64]
            ; ldp x27, x28, [sp, #80]
            ; ldp x29, x30, [sp], #96
            ; ret
        );
        // The fault exit: entered from the host signal handler with sp = the entry's and
        // x28 = the state.
        let fault_off = a.offset().0;
        let (fault, reason_at) = (ExitReason::Fault as u64, header::EXIT_REASON);
        dynasm!(a
            ; .arch aarch64
            ; mov x9, fault
            ; str x9, [X(STATE), reason_at]
            ; b =>exit_label
        );
        // The fault exit of a helper: the call stored the state registers before it (see
        // `Emitter::save_state_regs`), and the registers now are the helper's.
        let helper_fault_off = a.offset().0;
        dynasm!(a
            ; .arch aarch64
            ; mov x9, fault
            ; str x9, [X(STATE), reason_at]
            ; b =>complete_label
        );
        let exit_off = a.labels().resolve_dynamic(exit_label).expect("exit label").0;
        let code = a.finalize().expect("fixed code assembles");
        let at = append(cache, &code)?;
        Ok(Aarch64Backend {
            trampoline: at,
            exit_path: HostCode(at.0 + exit_off),
            fault_exit: at.0 + fault_off,
            helper_fault_exit: at.0 + helper_fault_off,
            entry_counter: None,
            canonical: None,
            state_regs,
        })
    }
}

impl Backend for Aarch64Backend {
    fn new(cache: &mut CodeCache) -> Result<Self, CompileError> {
        Self::emit_fixed(cache, state_regs::StateRegs::default())
    }

    fn set_state_registers(
        &mut self,
        cache: &mut CodeCache,
        fields: &[StateOffset],
    ) -> Result<(), CompileError> {
        let offsets: Vec<u32> = fields.iter().map(|f| f.0).collect();
        // A table this backend cannot keep (more fields than registers, unaligned or far
        // offsets) leaves every field in memory.
        let table = state_regs::StateRegs::new(&offsets).unwrap_or_default();
        let (entry_counter, canonical) = (self.entry_counter, self.canonical);
        *self = Self::emit_fixed(cache, table)?;
        self.entry_counter = entry_counter;
        self.canonical = canonical;
        Ok(())
    }

    fn set_entry_counter(&mut self, counter: Option<usize>) {
        self.entry_counter = counter;
    }

    fn set_canonical_addresses(&mut self, bits: Option<u32>) {
        self.canonical = bits.filter(|b| (2..64).contains(b));
    }

    fn compile(&mut self, block: &Block, cache: &mut CodeCache) -> Result<CompiledBlock, CompileError> {
        let uses = super::use_counts(block);
        // Constants one instruction rebuilds, or read once, get no register: each reader uses
        // the value as an immediate operand or rebuilds it in a scratch register.
        let imms = super::immediate_constants(block, &uses, imm::one_move);
        let (mut last_use, only) = regalloc::last_uses(block);
        // Ops emitted inside their reader get no location either.
        let folded = fold::plan(block, &uses, &imms, &only);
        fold::extend_lifetimes(block, &folded, &mut last_use);
        let nzcv = nzcv::plan(block, &uses, &imms, &only, &folded);
        let mut no_location =
            crate::ir::scratch::collected((0..block.temps as usize).map(|t| {
                only[t] || imms[t].is_some() || folded[t].is_some() || nzcv.skipped(Temp(t as u32))
            }));
        let calls = calls_helpers(block);
        let regs = self.state_regs.free_of(if calls { &TEMP_REGS } else { &MORE_TEMP_REGS });
        // Values in state registers: only in blocks that call nothing (around a call the
        // registers go through the state struct, and the helpers' argument registers may be
        // state registers).
        let pins = if calls {
            crate::ir::scratch::filled(block.temps as usize, None)
        } else {
            state_regs::plan(block, &self.state_regs, &last_use, &no_location)
        };
        let vector = crate::ir::vector::vector_temps(block);
        for (t, pin) in pins.iter().enumerate() {
            no_location[t] |= pin.is_some() || vector[t];
        }
        let alloc = regalloc::allocate_with(block, regs.len(), &last_use, &no_location);
        assert!(alloc.spill_slots <= SPILL_SLOTS, "block needs {} spill slots", alloc.spill_slots);
        // Vector temporaries: v16-v31 in blocks that call nothing, else 16-byte slots after
        // the spill slots (see `vector`).
        let vregs = if calls { 0 } else { VECTOR_REGS.len() };
        let not_vector =
            crate::ir::scratch::collected(only.iter().zip(vector.iter()).map(|(o, v)| *o || !*v));
        let valloc = regalloc::allocate_with(block, vregs, &last_use, &not_vector);
        let vbase = (8 * u32::from(alloc.spill_slots) + 15) & !15;
        assert!(
            vbase + 16 * u32::from(valloc.spill_slots) <= SPILL_BYTES,
            "block needs {} spill slots and {} vector slots",
            alloc.spill_slots,
            valloc.spill_slots
        );
        let base = cache.next_code().0;
        let jump_table = cache.jump_table().address();
        let mut consts = crate::ir::scratch::filled(block.temps as usize, None);
        for op in &block.ops {
            if let Op::Const { dst, value } = op {
                consts[dst.0 as usize] = Some(*value);
            }
        }
        let mut e = Emitter {
            a: crate::backend::block_assembler(base, block),
            base,
            alloc,
            regs,
            // Lent for the block (given back below), not cloned.
            state_regs: std::mem::take(&mut self.state_regs),
            pins,
            valloc,
            vbase,
            exit_path: self.exit_path.0,
            jump_table,
            consts,
            imms,
            folded,
            nzcv,
            bits: crate::ir::bits::value_bits(block),
            fuse_next: false,
            fused: None,
            canonical: self.canonical,
            probed: Vec::new(),
        };
        let signal_exit = crate::backend::needs_signal_check(block).then(|| e.signal_check());
        if let Some(counter) = self.entry_counter {
            e.count_entry(counter);
        }
        let mut insn_starts = Vec::with_capacity(block.guest_insns as usize);
        let mut sites = SiteRecorder::new(block);
        let mut skip = false;
        for (i, op) in block.ops.iter().enumerate() {
            if let Op::GuestInsn { pc, len } = op {
                insn_starts.push(InsnStart { pc: *pc, len: *len, offset: e.a.offset().0 as u32 });
            }
            if std::mem::take(&mut skip) || sites.skips(op) {
                continue;
            }
            if let Op::StateAtFault { offset, src, width } = op {
                let (alloc, regs, pins) = (&e.alloc, &e.regs, &e.pins);
                sites.field(block, offset.0, *width, *src, &|t| match (pins[t.0 as usize], alloc.loc(t)) {
                    (Some(r), _) => FaultNode::Reg(r),
                    (None, Loc::Reg(i)) => FaultNode::Reg(regs[i as usize]),
                    (None, Loc::Spill(s)) => FaultNode::Stack(8 * u32::from(s)),
                });
                continue;
            }
            if let (Some(flags), Some(dst)) = (fp_pair::flags_partner(op, block.ops.get(i + 1)), op.dst()) {
                // The flags op reads the same inputs, so they are live through both.
                let dsts = fp_pair::FpDsts { value: Some(dst), flags: Some(flags) };
                e.fp_family(op, dsts);
                skip = true;
                continue;
            }
            let start = e.a.offset().0 as u32;
            e.fuse_next = super::feeds_only_next_exit(block, i, &uses);
            e.op(op);
            e.fuse_next = false;
            if may_fault(op) {
                sites.access(start, e.a.offset().0 as u32);
            }
        }
        let exits_at = e.a.offset().0 as u32;
        e.exit(&block.exit);
        if let Some(label) = signal_exit {
            e.signal_exit(label, block.start.0);
        }
        let code = e.a.finalize().expect("block assembles");
        self.state_regs = e.state_regs;
        let entry = append(cache, &code)?;
        Ok(CompiledBlock { entry, host_len: code.len(), insn_starts, exits_at, fault_sites: sites.finish() })
    }

    fn link(&mut self, cache: &mut CodeCache, site: ChainSite, target: HostCode) {
        let insn = encode_b(site.0, target.0);
        cache.patch_u32(HostCode(site.0), insn);
        sync_icache(cache, HostCode(site.0), 4);
    }

    fn chain_target(&self, cache: &CodeCache, site: ChainSite) -> HostCode {
        let b = cache.bytes(HostCode(site.0), 4);
        let insn = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        assert_eq!(insn & 0xfc00_0000, 0x1400_0000, "not a chain site");
        // imm26, sign-extended, in words.
        let delta = (((insn & 0x03ff_ffff) << 6) as i32 >> 6) as i64 * 4;
        HostCode((site.0 as i64 + delta) as usize)
    }

    fn reset(&mut self, cache: &mut CodeCache) -> Result<(), CompileError> {
        let (entry_counter, canonical) = (self.entry_counter, self.canonical);
        *self = Self::emit_fixed(cache, std::mem::take(&mut self.state_regs))?;
        self.entry_counter = entry_counter;
        self.canonical = canonical;
        Ok(())
    }

    type Entry = usize;

    fn entry(&self) -> usize {
        self.trampoline.0
    }

    fn fault_exit(&self) -> usize {
        self.fault_exit
    }

    fn helper_fault_exit(&self) -> usize {
        self.helper_fault_exit
    }

    unsafe fn enter_with(entry: usize, state: *mut u8, code: HostCode) {
        // SAFETY: `entry` is the trampoline emitted by `emit_fixed` into the cache (per the
        // contract; the region stays mapped), with the signature
        // `extern "C" fn(*mut u8, usize)`; it preserves every callee-saved register and
        // returns once a block exits. The caller guarantees `state` and `code`.
        unsafe {
            let f: extern "C" fn(*mut u8, usize, *mut usize) = std::mem::transmute(entry);
            f(state, code.0, crate::backend::entry_sp_slot());
        }
    }
}

/// Whether some op of `block` may call a function (`blr`), which may change the caller-saved
/// registers: helper calls, the floating-point ops' reference paths, and the atomics' path
/// for unaligned addresses ([`crate::backend::may_call`]).
fn calls_helpers(block: &Block) -> bool {
    block.ops.iter().any(crate::backend::may_call)
}

/// Emits the code of one block.
struct Emitter {
    a: Asm,
    /// Executable-view address where this block's code will start.
    base: usize,
    alloc: Allocation,
    /// The host register of each `Loc::Reg` ([`TEMP_REGS`] or [`MORE_TEMP_REGS`] without
    /// the state registers).
    regs: crate::ir::scratch::Lent<u8>,
    /// The state fields in host registers.
    state_regs: state_regs::StateRegs,
    /// The temporaries that live in a state register ([`state_regs::plan`]).
    pins: crate::ir::scratch::Lent<Option<u8>>,
    /// Where each vector temporary lives (`Loc::Reg(i)`: [`VECTOR_REGS`]`[i]`; see `vector`).
    valloc: Allocation,
    /// Offset from `sp` of the vector temporaries' 16-byte slots.
    vbase: u32,
    /// Executable-view address of the shared exit path.
    exit_path: usize,
    /// Address of the code cache's jump table (see `crate::cache::jump_table`).
    jump_table: usize,
    /// The value of each temporary an `Op::Const` defines (so an op can take it as an
    /// immediate).
    consts: crate::ir::scratch::Lent<Option<u64>>,
    /// The constants that have no location (see `compile`): their readers use the value.
    imms: crate::ir::scratch::Lent<Option<u64>>,
    /// The ops emitted inside their only reader (see [`fold`]), by the temporary they define.
    folded: crate::ir::scratch::Lent<Option<fold::Folded>>,
    /// The adds and subs whose flags are read from one host compare (see [`nzcv`]).
    nzcv: crate::ir::flag_readers::Plan,
    /// How many low bits each temporary's value may occupy (`ir::bits`): a value already
    /// clean at a width needs no zero extension.
    bits: crate::ir::scratch::Lent<u8>,
    /// Set while emitting an op whose only reader is the exit right after it
    /// (`backend::feeds_only_next_exit`): a comparison or bit test may then leave its result
    /// for the branch ([`Self::fused`]) instead of computing 0/1.
    fuse_next: bool,
    /// The condition the exit right after tests without a register value: (its temp, how).
    fused: Option<(Temp, Fused)>,
    /// Guest data addresses must be canonical at this many bits ([`Emitter::data_address`]).
    canonical: Option<u32>,
    /// Within the current guest instruction, temporaries holding an address from which on
    /// this many bytes an `Op::ProbeWrite` probed (its address, and that plus a constant):
    /// a `VStore` there needs no probe of its own (an x86 256-bit store's halves).
    probed: Vec<(Temp, u32)>,
}

/// How an exit tests a condition that its op left for it (see [`Emitter::fuse_next`]).
#[derive(Clone, Copy, Debug)]
enum Fused {
    /// The flags of a `cmp` hold this comparison.
    Flags(crate::ir::CmpOp),
    /// The condition is `reg != 0` (`nonzero`) or `reg == 0`, over 64 or 32 bits.
    Zero { reg: u8, w64: bool, nonzero: bool },
    /// The condition is bit `bit` of `reg`.
    Bit { reg: u8, bit: u32 },
}

impl Emitter {
    fn op(&mut self, op: &Op) {
        match op {
            Op::GuestInsn { .. } => self.probed.clear(),
            Op::Const { dst, .. } if self.imms[dst.0 as usize].is_some() => {}
            // Emitted by their reader.
            Op::Bin { dst, .. } | Op::Un { dst, .. } if self.folded(*dst).is_some() => {}
            // Flags read from NZCV (see `nzcv`).
            Op::Bin { dst, .. } if self.nzcv.skipped(*dst) => {}
            Op::Bin { dst, .. } | Op::Cmp { dst, .. } if self.nzcv.reads(*dst).is_some() => {
                let cond = self.nzcv.reads(*dst).unwrap_or(crate::ir::flag_readers::Cond::Overflow);
                self.read_nzcv(*dst, cond);
            }
            Op::Bin { op, dst, a, b, width } if self.nzcv.sets(*dst) => {
                self.bin_setting_nzcv(*op, *dst, *a, *b, *width)
            }
            Op::Const { dst, value } => {
                let d = self.dst(*dst, S0);
                self.mov_imm(d, *value);
                self.finish(*dst, d);
            }
            Op::Bin { op, dst, a, b, width } => {
                self.bin(*op, *dst, *a, *b, *width);
                self.note_probed_offset(*op, *dst, *a, *b, *width);
            }
            Op::Un { op, dst, a, width } => self.un(*op, *dst, *a, *width),
            Op::Ext { dst, a, from, signed } => self.ext(*dst, *a, *from, *signed),
            Op::Cmp { op, dst, a, b, width } => self.cmp(*op, *dst, *a, *b, *width),
            Op::Select { dst, cond, if_true, if_false } => self.select(*dst, *cond, *if_true, *if_false),
            Op::LoadState { dst, offset, width } => self.load_state(*dst, offset.0, *width),
            Op::StoreState { offset, src, width } => self.store_state(offset.0, *src, *width),
            Op::Load { dst, addr, width, order } => self.load(*dst, *addr, *width, *order),
            Op::Store { addr, src, width, order } => self.store(*addr, *src, *width, *order),
            Op::AtomicRmw { op, dst, addr, src, width } => self.atomic_rmw(*op, *dst, *addr, *src, *width),
            Op::CompareExchange { dst, addr, expected, new, width } => {
                self.compare_exchange(*dst, *addr, *expected, *new, *width)
            }
            Op::Fence => dynasm!(self.a ; .arch aarch64 ; dmb ish),
            Op::ProbeWrite { addr, len } => {
                self.probe_write(*addr, *len);
                self.probed.push((*addr, u32::from(*len)));
            }
            Op::Lanes { op, lane, dst, a, b } => self.lanes(*op, *lane, *dst, *a, *b),
            Op::VLoadState { dst, offset } => self.vload_state(*dst, offset.0),
            Op::VStoreState { offset, src } => self.vstore_state(offset.0, *src),
            Op::VLoad { dst, addr, order } => self.vload(*dst, *addr, *order),
            Op::VStore { addr, src, order } => self.vstore(*addr, *src, *order),
            Op::VPack { dst, lo, hi } => self.vpack(*dst, *lo, *hi),
            Op::VHalf { dst, src, high } => self.vhalf(*dst, *src, *high),
            Op::VBit { op, dst, a, b } => self.vbit(*op, *dst, *a, *b),
            Op::VLanes { op, lane, dst, a, b } => self.vlanes(*op, *lane, *dst, *a, *b),
            Op::VShift { op, lane, dst, a, count } => self.vshift(*op, *lane, *dst, *a, *count),
            Op::Fp { result, dst, .. }
            | Op::FpFma { result, dst, .. }
            | Op::FpCmp { result, dst, .. }
            | Op::FpCvt { result, dst, .. } => self.fp_family(op, fp_pair::FpDsts::of(*result, *dst)),
            Op::CallHelper { dst, helper, args } => self.call_helper(*dst, helper.func as usize, args),
            Op::ExitIf { cond, exit } => self.exit_if(*cond, exit),
            // Recorded by `compile`, no code.
            // This backend runs the ops of an MXCSR run one by one.
            Op::StateAtFault { .. } | Op::MxcsrRun { .. } => {}
        }
    }

    /// An `Op::Fp`, `Op::FpCmp` or `Op::FpCvt` into `dsts` (its value, flags or both).
    fn fp_family(&mut self, op: &Op, dsts: fp_pair::FpDsts) {
        match *op {
            Op::Fp { op, prec, rule, a, b, ctrl, .. } => self.fp(op, prec, rule, dsts, a, b, ctrl),
            Op::FpFma { prec, rule, neg, a, b, c, ctrl, .. } => {
                self.fma(prec, rule, neg, dsts, [a, b, c, ctrl])
            }
            Op::FpCmp { op, prec, rule, a, b, ctrl, .. } => self.fp_cmp(op, prec, rule, dsts, a, b, ctrl),
            Op::FpCvt { from, to, round, rule, a, ctrl, .. } => {
                self.fp_cvt(from, to, round, rule, dsts, a, ctrl)
            }
            _ => unreachable!("not a floating-point op: {op}"),
        }
    }

    /// A register holding `t`: its own, or `scratch` after loading it from its spill slot
    /// (or setting it to the constant `t` is).
    fn src(&mut self, t: Temp, scratch: u8) -> u8 {
        if let Some(value) = self.imms[t.0 as usize] {
            self.mov_imm(scratch, value);
            return scratch;
        }
        if let Some(f) = self.folded(t) {
            // (Readers take their folded operands themselves; this is the general way.)
            self.emit_folded(f, scratch);
            return scratch;
        }
        if let Some(r) = self.pins[t.0 as usize] {
            return r;
        }
        match self.alloc.loc(t) {
            Loc::Reg(i) => self.regs[i as usize],
            Loc::Spill(s) => {
                let off = s as u32 * 8;
                dynasm!(self.a ; .arch aarch64 ; ldr X(scratch), [sp, #off]);
                scratch
            }
        }
    }

    /// The register to compute `t` into: its own, or `scratch` (then [`Self::finish`] spills).
    fn dst(&mut self, t: Temp, scratch: u8) -> u8 {
        if let Some(r) = self.pins[t.0 as usize] {
            return r;
        }
        match self.alloc.loc(t) {
            Loc::Reg(i) => self.regs[i as usize],
            Loc::Spill(_) => scratch,
        }
    }

    /// Stores `reg` to `t`'s spill slot if `t` lives in one.
    fn finish(&mut self, t: Temp, reg: u8) {
        if self.pins[t.0 as usize].is_some() {
            return;
        }
        if let Loc::Spill(s) = self.alloc.loc(t) {
            let off = s as u32 * 8;
            dynasm!(self.a ; .arch aarch64 ; str X(reg), [sp, #off]);
        }
    }

    /// The value of `t` if it is a constant without a location (to use as an immediate).
    /// `dst = a + k` with `a` probed for more than `k` bytes: `dst` is probed for the rest.
    fn note_probed_offset(&mut self, op: BinOp, dst: Temp, a: Temp, b: Temp, width: Width) {
        if op != BinOp::Add || width != Width::W64 || self.probed.is_empty() {
            return;
        }
        let value = |t: Temp| self.imms[t.0 as usize].or(self.consts[t.0 as usize]);
        let found = self.probed.iter().find_map(|&(t, rest)| {
            let k = if t == a {
                value(b)
            } else if t == b {
                value(a)
            } else {
                None
            }?;
            (k < u64::from(rest)).then(|| rest - k as u32)
        });
        if let Some(rest) = found {
            self.probed.push((dst, rest));
        }
    }

    /// Whether `addr .. addr + len` was probed in the current guest instruction.
    fn was_probed(&self, addr: Temp, len: u32) -> bool {
        self.probed.iter().any(|&(t, rest)| t == addr && rest >= len)
    }

    fn imm(&self, t: Temp) -> Option<u64> {
        self.imms[t.0 as usize]
    }

    /// Whether `t`'s value is already zero-extended from `width` (its bits above are 0).
    fn clean(&self, t: Temp, width: Width) -> bool {
        u32::from(self.bits[t.0 as usize]) <= width.bits()
    }

    /// `reg = value` in at most four instructions.
    fn mov_imm(&mut self, reg: u8, value: u64) {
        if !imm::wide_move(value) && imm::logical(value, true) {
            // A bitmask that no single movz/movn builds: one orr from the zero register.
            dynasm!(self.a ; .arch aarch64 ; orr XSP(reg), xzr, #value);
            return;
        }
        let chunks = [
            value as u32 & 0xffff,
            (value >> 16) as u32 & 0xffff,
            (value >> 32) as u32 & 0xffff,
            (value >> 48) as u32 & 0xffff,
        ];
        let inverted =
            chunks.iter().filter(|&&c| c == 0xffff).count() > chunks.iter().filter(|&&c| c == 0).count();
        if inverted {
            // movn writes the inverse of its chunk and all-ones elsewhere.
            let first = chunks.iter().position(|&c| c != 0xffff).unwrap_or(0);
            let inv = !chunks[first] & 0xffff;
            let shift = first as u32 * 16;
            dynasm!(self.a ; .arch aarch64 ; movn X(reg), #inv, lsl #shift);
            for (i, &c) in chunks.iter().enumerate().skip(first + 1) {
                if c != 0xffff {
                    let shift = i as u32 * 16;
                    dynasm!(self.a ; .arch aarch64 ; movk X(reg), #c, lsl #shift);
                }
            }
        } else {
            let first = chunks.iter().position(|&c| c != 0).unwrap_or(0);
            let shift = first as u32 * 16;
            let c0 = chunks[first];
            dynasm!(self.a ; .arch aarch64 ; movz X(reg), #c0, lsl #shift);
            for (i, &c) in chunks.iter().enumerate().skip(first + 1) {
                if c != 0 {
                    let shift = i as u32 * 16;
                    dynasm!(self.a ; .arch aarch64 ; movk X(reg), #c, lsl #shift);
                }
            }
        }
    }

    /// Zero-extends the low `width` bits of `reg` in place (no-op for W64).
    fn zext_in_place(&mut self, reg: u8, width: Width) {
        match width {
            Width::W8 => dynasm!(self.a ; .arch aarch64 ; uxtb W(reg), W(reg)),
            Width::W16 => dynasm!(self.a ; .arch aarch64 ; uxth W(reg), W(reg)),
            Width::W32 => dynasm!(self.a ; .arch aarch64 ; mov W(reg), W(reg)),
            Width::W64 => {}
        }
    }

    /// `out = zero_extend(low width bits of t)`; may return `t`'s own register for W64 or a
    /// value that is already clean.
    fn src_zext(&mut self, t: Temp, width: Width, out: u8) -> u8 {
        let r = self.src(t, out);
        if self.clean(t, width) {
            return r;
        }
        match width {
            Width::W64 => r,
            Width::W32 => {
                dynasm!(self.a ; .arch aarch64 ; mov W(out), W(r));
                out
            }
            Width::W16 => {
                dynasm!(self.a ; .arch aarch64 ; uxth W(out), W(r));
                out
            }
            Width::W8 => {
                dynasm!(self.a ; .arch aarch64 ; uxtb W(out), W(r));
                out
            }
        }
    }

    /// `out = sign_extend(low width bits of t)` to 64 bits (`t`'s own register when its
    /// value's sign bit and all above are 0).
    fn src_sext(&mut self, t: Temp, width: Width, out: u8) -> u8 {
        let r = self.src(t, out);
        if u32::from(self.bits[t.0 as usize]) < width.bits() {
            return r;
        }
        match width {
            Width::W64 => return r,
            Width::W32 => dynasm!(self.a ; .arch aarch64 ; sxtw X(out), W(r)),
            Width::W16 => dynasm!(self.a ; .arch aarch64 ; sxth X(out), W(r)),
            Width::W8 => dynasm!(self.a ; .arch aarch64 ; sxtb X(out), W(r)),
        }
        out
    }

    /// Jumps to the shared exit path.
    fn jump_to_exit_path(&mut self) {
        let here = self.a.offset().0 + self.base;
        let insn = encode_b(here, self.exit_path);
        self.a.push_u32(insn);
    }
}
