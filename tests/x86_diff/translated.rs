//! The side under test: the case's bytes through the x86-64 frontend into IR, run by the IR
//! interpreter (the reference semantics of the IR, so a difference here is a frontend bug).
//! Once a backend runs blocks in tests it plugs in here as a second engine.

use crate::case::{Case, CpuState, Outcome, CODE_PC, FLAGS_MASK};
use crate::scratch;
use xlate::frontend::x86_64::{X86Frontend, X86State};
use xlate::frontend::{Frontend, SliceCode};
use xlate::ir::{interp, GuestAddr};
use xlate::runtime::ExitReason;

/// Upper bound on blocks one case may run (a rep instruction may loop through the dispatcher).
const MAX_BLOCKS: usize = 10_000;

/// The guest state a case starts from.
pub fn initial_state(init: &CpuState) -> X86State {
    let mut st = X86State { gpr: init.gpr, mxcsr: init.mxcsr, xmm: init.xmm, ..Default::default() };
    st.set_rflags(init.rflags);
    st
}

/// The registers of a guest state, in the form the native side reports.
pub fn final_state(st: &X86State) -> CpuState {
    CpuState { gpr: st.gpr, rflags: st.rflags() & FLAGS_MASK, mxcsr: st.mxcsr, xmm: st.xmm }
}

/// Runs `case` translated; the scratch memory must be set to the case's initial memory. A trap
/// at the first address after the case's bytes (where the frontend finds no more code) is the
/// normal end. Returns the outcome, or a description of a run that left the case's bytes.
pub fn run(case: &Case) -> Result<Outcome, String> {
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
        // SAFETY: the state is a live X86State; the block only touches guest memory the case
        // points into (the scratch mapping) as the native run does.
        let out = unsafe { interp::run_block(&block, &mut st as *mut X86State as *mut u8) };
        match out.reason {
            ExitReason::Trap if out.next_pc.0 == end => {
                pc = end;
                break;
            }
            ExitReason::Trap => {
                let kind = out.trap.expect("trap exit has a kind");
                if let xlate::ir::Exit::Trap { message: Some(m), .. } = &block.exit {
                    if m.contains("unimplemented") {
                        return Err(format!("translation trapped: {m}"));
                    }
                }
                return Ok(Outcome::Signal(kind.signal()));
            }
            ExitReason::Syscall => return Err(format!("syscall exit at {:#x}", out.next_pc.0)),
            // x86 code never asks for invalidation, but continuing is what the runtime does.
            ExitReason::Chain | ExitReason::Lookup | ExitReason::Invalidate => pc = out.next_pc.0,
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
