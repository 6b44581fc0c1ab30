//! The guest's MXCSR region (see `emit_fp`): `X86Sse` ops of one block with other ops, side
//! exits, helper calls and `A64`-rule ops between them, under random MXCSR values, against
//! the interpreter; and Rust code (a helper, the test after the block) runs under the host's
//! MXCSR whichever way the block left.

use super::*;
use crate::ir::{CvtRound, FmaNeg, FpCmpOp, FpOp, FpPrec, FpResult, FpRule, NumFormat};

/// Results of Rust floating point that differ under every rounding mode but to nearest
/// (1 + 3/4 ulp and -1 - 3/4 ulp) and under FTZ (half the smallest normal), mixed with `a0`.
extern "C" fn host_fp_modes(_state: *mut u8, a0: u64, _a1: u64, _a2: u64, _a3: u64) -> u64 {
    let one = std::hint::black_box(1.0f64);
    let tiny = std::hint::black_box(0.75 * f64::EPSILON);
    let denormal = std::hint::black_box(f64::MIN_POSITIVE) * std::hint::black_box(0.5);
    (one + tiny).to_bits() ^ (-one - tiny).to_bits().rotate_left(1) ^ denormal.to_bits().rotate_left(2) ^ a0
}

const HOST_FP_MODES: Helper = Helper { name: "host_fp_modes", func: host_fp_modes, touches_memory: false };

/// Builds one block of `items` random steps reading operands and MXCSR values from `state`
/// (which it fills) and `mem`, storing every result in its own state slot.
fn region_block(rng: &mut Rng, state: &mut [u64], mem: &mut [u64], fma: bool) -> Block {
    const INPUTS: u32 = header::SIZE;
    const SLOTS: u32 = 64;
    let results = INPUTS + 8 * SLOTS;
    let mut b = Builder::new();
    let mut store = state_results(results, SLOTS);
    let mut input = state_inputs(state, INPUTS, SLOTS);
    for _ in 0..14 {
        let prec = if rng.below(2) == 0 { FpPrec::F32 } else { FpPrec::F64 };
        let sse = FpRule::X86Sse;
        match rng.below(9) {
            0..=2 => {
                let op = [FpOp::Add, FpOp::Sub, FpOp::Mul, FpOp::Div, FpOp::Sqrt, FpOp::Min, FpOp::Max]
                    [rng.below(7) as usize];
                let (a, b_) = (rng.float(prec), rng.float(prec));
                let c = rng.mxcsr();
                let (a, b_, c) = (input(&mut b, a), input(&mut b, b_), input(&mut b, c));
                // (Sqrt is of `b`, with `a` the same temp.)
                let a = if op == FpOp::Sqrt { b_ } else { a };
                let v = b.fp(op, prec, sse, FpResult::Value, a, b_, c);
                let f = b.fp(op, prec, sse, FpResult::Flags, a, b_, c);
                store(&mut b, v);
                store(&mut b, f);
            }
            3 => {
                let (to, round) = [
                    (NumFormat::I32, CvtRound::Zero),
                    (NumFormat::I64, CvtRound::Ctrl),
                    (NumFormat::F32, CvtRound::Ctrl),
                ][rng.below(3) as usize];
                let a = rng.float(FpPrec::F64);
                let c = rng.mxcsr();
                let (a, c) = (input(&mut b, a), input(&mut b, c));
                let v = b.fp_cvt(NumFormat::F64, to, round, sse, FpResult::Value, a, c);
                let f = b.fp_cvt(NumFormat::F64, to, round, sse, FpResult::Flags, a, c);
                store(&mut b, v);
                store(&mut b, f);
            }
            4 => {
                let (a, b_) = (rng.float(prec), rng.float(prec));
                let c = rng.mxcsr();
                let (a, b_, c) = (input(&mut b, a), input(&mut b, b_), input(&mut b, c));
                let f = b.fp_cmp(FpCmpOp::Lt, prec, sse, FpResult::Flags, a, b_, c);
                store(&mut b, f);
                if fma {
                    let v = b.fp_fma(prec, sse, FpResult::Value, FmaNeg::ALL[0], a, b_, a, c);
                    store(&mut b, v);
                }
            }
            5 => {
                // A side exit taken in about one run in eight.
                let x = rng.below(8);
                let x = input(&mut b, x);
                let cond = b.cmp_imm(CmpOp::Eq, x, 0, Width::W64);
                b.exit_if(
                    cond,
                    Exit::Trap { kind: TrapKind::DivideError, pc: GuestAddr(0x1004), message: None },
                );
            }
            6 => {
                let x = rng.next_u64();
                let x = input(&mut b, x);
                let r = b.call(HOST_FP_MODES, &[x]);
                store(&mut b, r);
            }
            7 => {
                // The A64 rule's fast path runs under the host's controls.
                let (a, b_) = (rng.float(prec), rng.float(prec));
                let (a, b_, c) = (input(&mut b, a), input(&mut b, b_), input(&mut b, 0));
                let v = b.fp(FpOp::Add, prec, FpRule::A64, FpResult::Value, a, b_, c);
                let f = b.fp(FpOp::Add, prec, FpRule::A64, FpResult::Flags, a, b_, c);
                store(&mut b, v);
                store(&mut b, f);
            }
            _ => {
                let i = rng.below(mem.len() as u64);
                mem[i as usize] = rng.float(FpPrec::F64);
                let addr = b.constant(mem.as_ptr() as u64 + 8 * i);
                let x = b.load(addr, Width::W64);
                let y = b.bin_imm(BinOp::Xor, x, 0x55, Width::W64);
                b.store(addr, y, Width::W64);
                store(&mut b, x);
            }
        }
    }
    b.finish(GuestAddr(0x1000), 4, 1, Exit::Syscall { next: GuestAddr(0x1004) })
}

#[test]
fn sse_ops_in_one_block_match_interp_and_leave_the_host_mxcsr() {
    let host = host_fp_modes(std::ptr::null_mut(), 0, 0, 0, 0);
    let mut rng = Rng::new(0x3c5f);
    let mut mem = vec![0u64; 8];
    for config in configs() {
        let mut h = Harness::with_config(config);
        for _ in 0..150 {
            let mut state = vec![0u64; (header::SIZE / 8) as usize + 64 + 64];
            let block = region_block(&mut rng, &mut state, &mut mem, config.0.fma);
            check_against_interp(&mut h, &block, &state, &mut mem);
            assert_eq!(host_fp_modes(std::ptr::null_mut(), 0, 0, 0, 0), host, "host MXCSR after\n{block:#?}");
        }
    }
}
