//! The fused multiply-add part of the conformance suite: `Op::FpFma` compiled against the
//! interpreter (the reference, `ir::fma`) on special, random and nearly cancelling operands,
//! under several control registers, every rule, format, negation and result kind. On an
//! x86-64 host with FMA the `X86Sse` cases run the host's VFMADD231 under the guest's MXCSR,
//! so they compare the reference with the hardware.

use super::conformance::{compile_flushing, control_register, rules_and_formats};
use super::Backend;
use crate::cache::CodeCache;
use crate::ir::fp_half::F16;
use crate::ir::protocol::header;
use crate::ir::testgen::Rng;
use crate::ir::{interp, Builder, Exit, FmaNeg, FpPrec, FpResult, GuestAddr, StateOffset, Width};

/// An addend for `x * y`: usually special or random, sometimes minus the product rounded (or
/// a neighbour of it), so that the fused sum cancels down to the rounding error.
fn addend(rng: &mut Rng, prec: FpPrec, x: u64, y: u64) -> u64 {
    if rng.below(3) != 0 {
        return rng.float(prec);
    }
    let near = match prec {
        FpPrec::F64 => (-(f64::from_bits(x) * f64::from_bits(y))).to_bits(),
        FpPrec::F32 => (-(f32::from_bits(x as u32) * f32::from_bits(y as u32))).to_bits() as u64,
        FpPrec::F16 => (-(F16(x as u16) * F16(y as u16))).0 as u64,
    };
    near.wrapping_add(rng.below(3)).wrapping_sub(1)
        & match prec {
            FpPrec::F16 => 0xffff,
            FpPrec::F32 => 0xffff_ffff,
            FpPrec::F64 => u64::MAX,
        }
}

pub fn fma_ops_match_the_interpreter<B: Backend>() {
    let mut cache = CodeCache::new(CodeCache::DEFAULT_SIZE).expect("code cache");
    let mut backend = super::conformance::new_backend::<B>(&mut cache);
    let mut rng = Rng::new(12);
    let at = |i: u32| StateOffset(header::SIZE + 8 * i);
    let base = (header::SIZE / 8) as usize;
    for (rule, prec) in rules_and_formats() {
        for round in 0..400 {
            // Six operand triples and a control register per block; every negation and result.
            let mut b = Builder::new();
            b.guest_insn(GuestAddr(0x1000), 4);
            let ctrl = b.load_state(at(18), Width::W64);
            let mut out = 19;
            for k in 0..6 {
                let x = b.load_state(at(3 * k), Width::W64);
                let y = b.load_state(at(3 * k + 1), Width::W64);
                let z = b.load_state(at(3 * k + 2), Width::W64);
                for neg in FmaNeg::ALL {
                    for result in [FpResult::Value, FpResult::Flags] {
                        let r = b.fp_fma(prec, rule, result, neg, x, y, z, ctrl);
                        b.store_state(at(out), r, Width::W64);
                        out += 1;
                    }
                }
            }
            let block = b.finish(GuestAddr(0x1000), 4, 1, Exit::Jump(GuestAddr(0x2000)));
            let mut state = vec![0u64; base + out as usize];
            for k in 0..6 {
                let (x, y) = (rng.float(prec), rng.float(prec));
                let z = addend(&mut rng, prec, x, y);
                // In odd rounds the bits above a narrow operand hold garbage.
                let garbage = |rng: &mut Rng| super::conformance::upper_garbage(rng, prec, round);
                state[base + 3 * k] = x | garbage(&mut rng);
                state[base + 3 * k + 1] = y | garbage(&mut rng);
                state[base + 3 * k + 2] = z | garbage(&mut rng);
            }
            state[base + 18] = control_register(&mut rng, rule, round < 16);
            let mut want = state.clone();
            // SAFETY: the block touches only state words below `state.len()`.
            unsafe { interp::run_block(&block, want.as_mut_ptr() as *mut u8) };
            let compiled = compile_flushing(&mut backend, &mut cache, &block);
            let mut got = state.clone();
            // SAFETY: as above; the block was just compiled into `cache` by `backend`.
            unsafe { backend.enter(&cache, got.as_mut_ptr() as *mut u8, compiled.entry) };
            for i in base + 19..got.len() {
                let j = i - base - 19;
                let (k, neg, result) = (j / 8, FmaNeg::ALL[j % 8 / 2], ["value", "flags"][j % 2]);
                let ops = &state[base + 3 * k..base + 3 * k + 3];
                assert_eq!(
                    got[i],
                    want[i],
                    "{rule:?} {prec:?} {neg:?} {result} of {ops:#x?} under ctrl {:#x}: got {:#x} want {:#x}",
                    state[base + 18],
                    got[i],
                    want[i]
                );
            }
        }
    }
}
