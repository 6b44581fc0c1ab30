//! The side under test: the case's bytes through the x86-64 frontend into IR, then run by one
//! of two engines: the IR interpreter (the reference semantics of the IR, so a difference
//! there is a frontend bug) and the host backend after the IR optimiser, as the dispatcher
//! runs blocks (a difference only there is an optimiser or backend bug).

use crate::case::{Case, CpuState, Outcome, CODE_PC, FLAGS_MASK};
use crate::scratch;
use xlate::backend::{Backend, CompileError, HostBackend};
use xlate::cache::CodeCache;
use xlate::frontend::x86_64::{X86Frontend, X86State};
use xlate::frontend::{Frontend, SliceCode};
use xlate::ir::{interp, GuestAddr};
use xlate::runtime::ExitReason;

/// Runs one translated block on a state; returns how it left.
pub trait Engine {
    fn name(&self) -> &'static str;
    /// Runs `block` on `st`; returns the exit reason and the next PC from the header.
    fn run(&mut self, block: xlate::ir::Block, st: &mut X86State) -> Result<(ExitReason, u64), String>;
}

/// The IR interpreter, on the frontend's block as it is.
pub struct Interp;

impl Engine for Interp {
    fn name(&self) -> &'static str {
        "interpreter"
    }
    fn run(&mut self, block: xlate::ir::Block, st: &mut X86State) -> Result<(ExitReason, u64), String> {
        // SAFETY: the state is a live X86State; the block only touches guest memory the case
        // points into (the scratch mapping) as the native run does.
        let out = unsafe { interp::run_block(&block, st as *mut X86State as *mut u8) };
        Ok((out.reason, out.next_pc.0))
    }
}

/// The host backend, on the optimised block, in its own code cache.
pub struct Compiled {
    backend: HostBackend,
    cache: CodeCache,
}

impl Compiled {
    pub fn new() -> Compiled {
        let mut cache = CodeCache::new(4 << 20).expect("code cache");
        let backend = HostBackend::new(&mut cache).unwrap_or_else(|_| panic!("backend fixed code"));
        Compiled { backend, cache }
    }
}

impl Engine for Compiled {
    fn name(&self) -> &'static str {
        "backend"
    }
    fn run(&mut self, mut block: xlate::ir::Block, st: &mut X86State) -> Result<(ExitReason, u64), String> {
        xlate::ir::opt::optimize(&mut block);
        xlate::ir::verify(&block).map_err(|e| format!("IR verifier after the optimiser: {e}"))?;
        let compiled = match self.backend.compile(&block, &mut self.cache) {
            Ok(c) => c,
            Err(CompileError::CacheFull) => {
                self.cache.flush();
                self.backend.reset(&mut self.cache).map_err(|_| "backend reset failed".to_string())?;
                self.backend.compile(&block, &mut self.cache).map_err(|_| "block does not fit".to_string())?
            }
        };
        // SAFETY: `st` is a live X86State and the code was just compiled by this backend into
        // this cache; it touches guest memory only where the case points (the scratch memory).
        unsafe { self.backend.enter(&self.cache, st as *mut X86State as *mut u8, compiled.entry) };
        let reason = ExitReason::from_u64(st.header.exit_reason).ok_or("bad exit reason")?;
        Ok((reason, st.header.next_pc))
    }
}

/// Upper bound on blocks one case may run (a rep instruction may loop through the dispatcher).
const MAX_BLOCKS: usize = 10_000;

/// The guest state a case starts from.
pub fn initial_state(init: &CpuState) -> X86State {
    let mut st = X86State {
        gpr: init.gpr,
        mxcsr: init.mxcsr,
        xmm: init.xmm,
        ymm_hi: init.ymm_hi,
        ..Default::default()
    };
    st.set_rflags(init.rflags);
    st
}

/// The registers of a guest state, in the form the native side reports.
pub fn final_state(st: &X86State) -> CpuState {
    CpuState {
        gpr: st.gpr,
        rflags: st.rflags() & FLAGS_MASK,
        mxcsr: st.mxcsr,
        xmm: st.xmm,
        ymm_hi: st.ymm_hi,
    }
}

/// Runs `case` translated; the scratch memory must be set to the case's initial memory. A trap
/// at the first address after the case's bytes (where the frontend finds no more code) is the
/// normal end. Returns the outcome, or a description of a run that left the case's bytes.
pub fn run(case: &Case, engine: &mut dyn Engine) -> Result<Outcome, String> {
    let mut st = initial_state(&case.init);
    let code = SliceCode { base: GuestAddr(CODE_PC), bytes: &case.code };
    let end = CODE_PC + case.code.len() as u64;
    let mut fe = X86Frontend::new();
    let mut pc = CODE_PC;
    for _ in 0..MAX_BLOCKS {
        if pc == end {
            break;
        }
        let block = fe.translate(&code, GuestAddr(pc));
        xlate::ir::verify(&block).map_err(|e| format!("IR verifier: {e}"))?;
        if let xlate::ir::Exit::Trap { message: Some(m), .. } = &block.exit {
            if m.contains("unimplemented") {
                return Err(format!("translation trapped: {m}"));
            }
        }
        let (reason, next) = engine.run(block, &mut st)?;
        match reason {
            ExitReason::Trap if next == end => {
                pc = end;
                break;
            }
            ExitReason::Trap => {
                let kind = xlate::ir::TrapKind::from_index(st.header.exit_arg).ok_or("bad trap kind")?;
                return Ok(Outcome::Signal(kind.signal()));
            }
            ExitReason::Syscall => return Err(format!("syscall exit at {next:#x}")),
            // Only the runtime's host signal handler sends code to the fault exit.
            ExitReason::Fault => return Err("fault exit without the runtime".into()),
            // x86 code never asks for invalidation, but continuing is what the runtime does.
            ExitReason::Chain | ExitReason::Lookup | ExitReason::Invalidate => pc = next,
        }
        if !(CODE_PC..=end).contains(&pc) {
            return Err(format!("control left the case's bytes: next pc {pc:#x}"));
        }
    }
    if pc != end {
        return Err(format!("still running after {MAX_BLOCKS} blocks"));
    }
    Ok(Outcome::Done { state: final_state(&st), mem: scratch::diff(&case.mem.build()) })
}
