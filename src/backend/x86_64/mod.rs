//! x86-64 host backend (dynasmrt x64): compiles IR blocks to x86-64 code in the code cache.
//!
//! The register convention and the frame are described once, in [`abi`]. Code generation is
//! split by op family: [`emit_alu`] (constants, arithmetic, bit operations, comparisons),
//! [`emit_mem`] (guest state, guest memory, atomics), [`emit_call`] (helper calls) and
//! [`exits`] (block exits, chaining stubs, `link`).
//!
//! Each op is emitted on its own: its inputs are copied from their locations (a callee-saved
//! register or a spill slot, see [`abi::HostLoc`]) into scratch registers, the result is
//! computed there and copied to the destination's location. Nothing (flags included) is kept
//! in scratch registers from one op to the next.

// dynasm!'s expansion converts dynamic register numbers with `.into()`, which clippy flags
// when the number already has the target type.
#![allow(clippy::useless_conversion)]

mod abi;
mod emit_alu;
mod emit_call;
mod emit_mem;
mod exits;
#[cfg(test)]
mod tests;

use crate::backend::{Backend, ChainSite, CompileError, CompiledBlock};
use crate::cache::{CodeCache, HostCode};
use crate::ir::regalloc::{self, Loc};
use crate::ir::{Block, Op, Temp};
use abi::{FixedCode, HostLoc};
use dynasmrt::x64::X64Relocation;
use dynasmrt::{dynasm, DynasmApi, VecAssembler};

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
}

impl HostFeatures {
    /// No optional instruction: the code runs on every x86-64 CPU.
    pub const BASELINE: HostFeatures = HostFeatures { lzcnt: false, tzcnt: false, popcnt: false };

    /// What this CPU has.
    pub fn detect() -> HostFeatures {
        HostFeatures {
            lzcnt: std::arch::is_x86_feature_detected!("lzcnt"),
            tzcnt: std::arch::is_x86_feature_detected!("bmi1"),
            popcnt: std::arch::is_x86_feature_detected!("popcnt"),
        }
    }
}

/// The x86-64 code generator. Holds the addresses of its fixed code (trampoline and shared
/// exit path) in the current code cache generation.
pub struct X86_64Backend {
    fixed: FixedCode,
    features: HostFeatures,
    /// How many of [`abi::ALLOCATABLE`] the register allocator may use (all of them, except
    /// in tests that force temporaries into spill slots).
    alloc_regs: usize,
}

impl X86_64Backend {
    /// A backend that uses exactly `features` (tests use this to cover the fallback code of
    /// instructions the CPU has).
    pub fn with_features(cache: &mut CodeCache, features: HostFeatures) -> Result<Self, CompileError> {
        Ok(X86_64Backend { fixed: emit_fixed(cache)?, features, alloc_regs: abi::ALLOCATABLE.len() })
    }

    /// Limits the host registers given to temporaries (tests: 0 puts every temporary in a
    /// spill slot).
    #[cfg(test)]
    fn set_alloc_regs(&mut self, regs: usize) {
        self.alloc_regs = regs;
    }

    /// Bytes of fixed code (trampoline and exit path) emitted by `new` and `reset`.
    pub fn fixed_code_len(&self) -> usize {
        self.fixed.len
    }
}

fn emit_fixed(cache: &mut CodeCache) -> Result<FixedCode, CompileError> {
    let base = cache.next_code().0;
    let (bytes, fixed) = abi::emit_trampoline(base);
    let at = cache.append(&bytes).ok_or(CompileError::CacheFull)?;
    debug_assert_eq!(at.0, base);
    Ok(fixed)
}

impl Backend for X86_64Backend {
    fn new(cache: &mut CodeCache) -> Result<Self, CompileError> {
        Self::with_features(cache, HostFeatures::detect())
    }

    fn compile(&mut self, block: &Block, cache: &mut CodeCache) -> Result<CompiledBlock, CompileError> {
        let base = cache.next_code().0;
        let mut e = Emitter::new(block, base, self.fixed, self.features, self.alloc_regs);
        if e.frame_extra > 0 {
            let extra = e.frame_extra;
            dynasm!(e.asm ; .arch x64 ; sub rsp, extra);
        }
        for op in &block.ops {
            e.op(op);
        }
        exits::emit_exit(&mut e, &block.exit);
        exits::emit_chain_stubs(&mut e);
        // Every relocation is a jump inside the block or to the exit path, both within the
        // cache (well inside +-2 GiB), so committing cannot fail.
        let bytes = e.asm.finalize().expect("x86-64 block relocations are always in range");
        let entry = cache.append(&bytes).ok_or(CompileError::CacheFull)?;
        debug_assert_eq!(entry.0, base, "code must land where it was assembled for");
        Ok(CompiledBlock { entry, host_len: bytes.len() })
    }

    fn link(&mut self, cache: &mut CodeCache, site: ChainSite, target: HostCode) {
        exits::link(cache, site, target)
    }

    fn reset(&mut self, cache: &mut CodeCache) -> Result<(), CompileError> {
        self.fixed = emit_fixed(cache)?;
        Ok(())
    }

    unsafe fn enter(&self, cache: &CodeCache, state: *mut u8, code: HostCode) {
        debug_assert!(cache.exec_range().contains(&code.0));
        debug_assert!(cache.exec_range().contains(&self.fixed.enter));
        // SAFETY: `fixed.enter` is the trampoline emitted by `emit_fixed` into this cache's
        // executable view; it follows the SysV ABI (saves and restores every callee-saved
        // register, keeps the stack aligned) with this signature. The caller guarantees that
        // `state` is a live guest state and `code` a block compiled by this backend, so the
        // translated code only touches the state, its own frame and guest memory.
        unsafe {
            let trampoline: extern "C" fn(*mut u8, usize) = std::mem::transmute(self.fixed.enter);
            trampoline(state, code.0);
        }
    }
}

/// A chainable exit waiting for its stub (emitted after the block's body).
struct ChainStub {
    /// The stub's label (the site's `jmp rel32` initially jumps here).
    label: dynasmrt::DynamicLabel,
    /// Executable-view address of the site's `jmp rel32`.
    site: usize,
    /// Guest address the exit continues at.
    target: u64,
}

/// The state of compiling one block.
struct Emitter {
    asm: Asm,
    /// Executable-view address of the block's first byte.
    base: usize,
    /// Where each temporary lives.
    locs: Vec<HostLoc>,
    /// Bytes the block lowers `rsp` by at entry beyond the fixed frame (a multiple of 16; 0
    /// unless the block needs more spill slots than [`abi::SPILL_AREA_BYTES`]).
    frame_extra: i32,
    fixed: FixedCode,
    features: HostFeatures,
    stubs: Vec<ChainStub>,
}

impl Emitter {
    fn new(
        block: &Block,
        base: usize,
        fixed: FixedCode,
        features: HostFeatures,
        alloc_regs: usize,
    ) -> Emitter {
        let (locs, spill_slots) = allocate(block, alloc_regs);
        let spill_bytes = spill_slots as i32 * 8;
        let frame_extra = if spill_bytes > abi::SPILL_AREA_BYTES {
            (spill_bytes - abi::SPILL_AREA_BYTES + 15) & !15
        } else {
            0
        };
        Emitter { asm: Asm::new(base), base, locs, frame_extra, fixed, features, stubs: Vec::new() }
    }

    fn loc(&self, t: Temp) -> HostLoc {
        self.locs[t.0 as usize]
    }

    /// `reg = t` (64 bits).
    fn load(&mut self, reg: u8, t: Temp) {
        let loc = self.loc(t);
        abi::load_loc(&mut self.asm, reg, loc);
    }

    /// `t = reg` (64 bits).
    fn store(&mut self, t: Temp, reg: u8) {
        let loc = self.loc(t);
        abi::store_loc(&mut self.asm, loc, reg);
    }

    /// The register holding `t` for reading: its home register (which the op must not
    /// modify), or `scratch` after loading it there.
    fn src_reg(&mut self, t: Temp, scratch: u8) -> u8 {
        match self.loc(t) {
            HostLoc::Reg(r) => r,
            HostLoc::Stack(_) => {
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

    /// Executable-view address of the next byte emitted.
    fn here(&self) -> usize {
        self.base + self.asm.offset().0
    }

    fn op(&mut self, op: &Op) {
        match op {
            Op::GuestInsn { .. } => {}
            Op::Const { dst, value } => emit_alu::constant(self, *dst, *value),
            Op::Bin { op, dst, a, b, width } => emit_alu::bin(self, *op, *dst, *a, *b, *width),
            Op::Un { op, dst, a, width } => emit_alu::un(self, *op, *dst, *a, *width),
            Op::Ext { dst, a, from, signed } => emit_alu::ext(self, *dst, *a, *from, *signed),
            Op::Cmp { op, dst, a, b, width } => emit_alu::cmp(self, *op, *dst, *a, *b, *width),
            Op::Select { dst, cond, if_true, if_false } => {
                emit_alu::select(self, *dst, *cond, *if_true, *if_false)
            }
            Op::LoadState { dst, offset, width } => emit_mem::load_state(self, *dst, offset.0, *width),
            Op::StoreState { offset, src, width } => emit_mem::store_state(self, offset.0, *src, *width),
            Op::Load { dst, addr, width } => emit_mem::load(self, *dst, *addr, *width),
            Op::Store { addr, src, width } => emit_mem::store(self, *addr, *src, *width),
            Op::AtomicRmw { op, dst, addr, src, width } => {
                emit_mem::atomic_rmw(self, *op, *dst, *addr, *src, *width)
            }
            Op::CompareExchange { dst, addr, expected, new, width } => {
                emit_mem::compare_exchange(self, *dst, *addr, *expected, *new, *width)
            }
            Op::Fence => emit_mem::fence(self),
            Op::CallHelper { dst, helper, args } => emit_call::call_helper(self, *dst, helper, args),
            Op::ExitIf { cond, exit } => exits::emit_exit_if(self, *cond, exit),
        }
    }
}

/// Places every temporary (with the shared allocator [`crate::ir::regalloc`] over the first
/// `regs` of [`abi::ALLOCATABLE`]): returns its location and the number of spill slots used.
fn allocate(block: &Block, regs: usize) -> (Vec<HostLoc>, usize) {
    let alloc = regalloc::allocate(block, regs.min(abi::ALLOCATABLE.len()));
    let locs = alloc
        .locs
        .iter()
        .map(|loc| match *loc {
            Loc::Reg(i) => HostLoc::Reg(abi::ALLOCATABLE[i as usize]),
            Loc::Spill(slot) => HostLoc::Stack(8 * slot as i32),
        })
        .collect();
    (locs, alloc.spill_slots as usize)
}
