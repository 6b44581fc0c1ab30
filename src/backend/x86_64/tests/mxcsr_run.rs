//! MXCSR runs (`emit_fp_run`): blocks shaped as the x86 frontend shapes SSE instructions (the
//! flags of every lane merged into an MXCSR field, stored, and checked for an unmasked
//! exception), with plain ops, guest memory accesses, helper calls, side exits and new MXCSR
//! values between them, optimised (which marks the runs) and compiled, against the
//! interpreter under random MXCSR values: all masked (the fast path), some exception
//! unmasked (the slow path, and its traps), flags already set, every rounding mode.

use super::*;
use crate::ir::{CvtRound, FmaNeg, FpCmpOp, FpOp, FpPrec, FpResult, FpRule, NumFormat, Temp};

const INPUTS: u32 = header::SIZE;
const SLOTS: u32 = 64;
const RESULTS: u32 = INPUTS + 8 * SLOTS;
/// The MXCSR field, after the results.
const MXCSR: StateOffset = StateOffset(RESULTS + 8 * SLOTS);
const WORDS: usize = (MXCSR.0 / 8) as usize + 1;

/// One SSE instruction of `lanes` lanes under the control value `m`, as the frontend emits
/// it; returns the merged MXCSR.
fn sse_insn(
    rng: &mut Rng,
    b: &mut Builder,
    m: Temp,
    input: &mut dyn FnMut(&mut Builder, u64) -> Temp,
) -> (Temp, Vec<Temp>) {
    let sse = FpRule::X86Sse;
    let prec = if rng.below(2) == 0 { FpPrec::F32 } else { FpPrec::F64 };
    let kind = rng.below(5);
    let mut flags = None;
    let mut values = Vec::new();
    for _ in 0..1 + rng.below(2) {
        let (a, c) = (rng.float(prec), rng.float(prec));
        let (a, c) = (input(b, a), input(b, c));
        let (v, f) = match kind {
            0 | 1 => {
                let op = [FpOp::Add, FpOp::Sub, FpOp::Mul, FpOp::Div, FpOp::Sqrt, FpOp::Min, FpOp::Max]
                    [rng.below(7) as usize];
                // (Sqrt is of `c`, with `a` the same temp.)
                let a = if op == FpOp::Sqrt { c } else { a };
                (b.fp(op, prec, sse, FpResult::Value, a, c, m), b.fp(op, prec, sse, FpResult::Flags, a, c, m))
            }
            2 => {
                let op =
                    [FpCmpOp::Lt, FpCmpOp::Eq, FpCmpOp::Cond, FpCmpOp::CondSignalling][rng.below(4) as usize];
                (
                    b.fp_cmp(op, prec, sse, FpResult::Value, a, c, m),
                    b.fp_cmp(op, prec, sse, FpResult::Flags, a, c, m),
                )
            }
            3 => {
                let (to, round) = [(NumFormat::I64, CvtRound::Ctrl), (NumFormat::I32, CvtRound::Zero)]
                    [rng.below(2) as usize];
                (
                    b.fp_cvt(NumFormat::F64, to, round, sse, FpResult::Value, a, m),
                    b.fp_cvt(NumFormat::F64, to, round, sse, FpResult::Flags, a, m),
                )
            }
            _ => {
                let neg = FmaNeg::ALL[rng.below(4) as usize];
                (
                    b.fp_fma(prec, sse, FpResult::Value, neg, a, c, a, m),
                    b.fp_fma(prec, sse, FpResult::Flags, neg, a, c, a, m),
                )
            }
        };
        flags = Some(match flags {
            None => f,
            Some(g) => b.bin(BinOp::Or, g, f, Width::W32),
        });
        values.push(v);
    }
    let flags = flags.unwrap_or_else(|| unreachable!("one lane at least"));
    (crate::ir::mxcsr_run::merge_and_check(b, MXCSR, m, flags), values)
}

fn run_block(rng: &mut Rng, state: &mut [u64], mem: &mut [u64]) -> Block {
    // (The word's high half is not MXCSR: it stays as it is.)
    state[WORDS - 1] = rng.mxcsr() | rng.below(2) << 32;
    let mut b = Builder::new();
    let mut store = state_results(RESULTS, SLOTS);
    let mut input = state_inputs(state, INPUTS, SLOTS);
    let mut m = b.load_state(MXCSR, Width::W32);
    for _ in 0..12 {
        match rng.below(12) {
            0..=6 => {
                let (merged, values) = sse_insn(rng, &mut b, m, &mut input);
                values.into_iter().for_each(|v| store(&mut b, v));
                m = merged;
            }
            7 => {
                let x = rng.next_u64();
                let x = input(&mut b, x);
                let y = b.bin_imm(BinOp::Add, x, 0x1234, Width::W64);
                store(&mut b, y);
                // A state load only zero-extended from its low bytes (one narrow load).
                let x = input(&mut b, 0x8765_4321_0fed_cba9);
                let y = b.ext(x, Width::W32, false);
                store(&mut b, y);
            }
            8 => {
                // A new MXCSR value (LDMXCSR) ends the run.
                let x = rng.mxcsr();
                let x = input(&mut b, x);
                b.store_state(MXCSR, x, Width::W32);
                m = b.load_state(MXCSR, Width::W32);
            }
            9 => {
                let x = rng.below(8);
                let x = input(&mut b, x);
                let cond = b.cmp_imm(CmpOp::Eq, x, 0, Width::W64);
                b.exit_if(cond, Exit::Jump(GuestAddr(0x2000)));
            }
            10 => {
                let i = rng.below(mem.len() as u64);
                mem[i as usize] = rng.next_u64();
                let addr = b.constant(mem.as_ptr() as u64 + 8 * i);
                let x = b.load(addr, Width::W64);
                store(&mut b, x);
            }
            _ => {
                let x = input(&mut b, 7);
                let r = b.call(mxcsr_reader(), &[x]);
                store(&mut b, r);
            }
        }
    }
    b.finish(GuestAddr(0x1000), 4, 1, Exit::Syscall { next: GuestAddr(0x1004) })
}

/// A helper that reads the guest's MXCSR field from the state (so a run's flags must be there
/// before the call).
extern "C" fn read_mxcsr(state: *mut u8, a0: u64, _a1: u64, _a2: u64, _a3: u64) -> u64 {
    // SAFETY: the tests pass a state of `WORDS` words, and MXCSR is inside it.
    let v = unsafe { std::ptr::read_unaligned(state.add(MXCSR.0 as usize) as *const u32) };
    u64::from(v) ^ a0
}

fn mxcsr_reader() -> Helper {
    Helper { name: "read_mxcsr", func: read_mxcsr, touches_memory: false }
}

#[test]
fn mxcsr_runs_match_interp_masked_or_not() {
    let mut rng = Rng::new(0x6d78);
    let mut mem = vec![0u64; 8];
    let (mut runs, mut fast) = (0, 0);
    for config in configs() {
        let mut h = Harness::with_config(config);
        for _ in 0..150 {
            let mut state = vec![0u64; WORDS];
            let mut block = run_block(&mut rng, &mut state, &mut mem);
            crate::ir::opt::optimize(&mut block);
            let marks = block.ops.iter().filter(|op| matches!(op, Op::MxcsrRun { .. })).count();
            runs += marks;
            if marks > 0 && state[WORDS - 1] & 0xffff_1f80 == 0x1f80 {
                fast += 1;
            }
            check_against_interp(&mut h, &block, &state, &mut mem);
        }
    }
    // Both paths ran, many times.
    assert!(runs > 300 && fast > 150, "{runs} runs, {fast} blocks on the fast path");
}
