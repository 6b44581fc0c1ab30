//! The conformance suite every host backend must pass: compiled code against the IR
//! interpreter on the same state and memory. Each backend's tests call [`run_all`],
//! [`lane_ops_match_the_interpreter`] and [`fp_compares_and_conversions_match_the_interpreter`].

use super::{Backend, ChainSite, CompiledBlock};
use crate::cache::CodeCache;
use crate::ir::protocol::{header, ExitReason};
use crate::ir::testgen::{random_block, shaped_block, Layout, Rng};
use crate::ir::{
    interp, BinOp, Builder, CmpOp, CvtRound, Exit, FpCmpOp, FpOp, FpPrec, FpResult, FpRule, GuestAddr,
    LaneOp, NumFormat, RmwOp, StateOffset, Width,
};

/// Compiles `block`, flushing the cache first when it is full (the suites compile thousands
/// of blocks into one cache).
pub(super) fn compile_flushing<B: Backend>(
    backend: &mut B,
    cache: &mut CodeCache,
    block: &crate::ir::Block,
) -> CompiledBlock {
    match backend.compile(block, cache) {
        Ok(c) => c,
        Err(_) => {
            cache.flush();
            backend.reset(cache).expect("reset");
            backend.compile(block, cache).expect("compile after flush")
        }
    }
}

/// State words that the fields of [`new_backend`]'s state registers reach: every state
/// buffer of the suite has at least this many.
pub(super) const MAPPED_WORDS: usize = (header::SIZE / 8) as usize + 16;

/// The state fields the suite keeps in host registers: the 16 words after the header, so
/// that the random blocks' state accesses (whole, partial, across fields) and helper calls
/// meet register fields as well as memory ones.
fn mapped_fields() -> Vec<StateOffset> {
    (0..16).map(|i| StateOffset(header::SIZE + 8 * i)).collect()
}

/// A backend whose state registers (`Backend::set_state_registers`) hold [`mapped_fields`].
pub(super) fn new_backend<B: Backend>(cache: &mut CodeCache) -> B {
    let mut backend = B::new(cache).expect("backend");
    backend.set_state_registers(cache, &mapped_fields()).expect("state registers");
    backend
}

/// Number of random blocks; `XLATE_BACKEND_CASES` overrides it.
fn case_count() -> u64 {
    std::env::var("XLATE_BACKEND_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(3000)
}

pub fn run_all<B: Backend>() {
    random_blocks_match_the_interpreter::<B>();
    shaped_blocks_match_the_interpreter::<B>();
    // The same with every field in memory (the convention of guests that name none).
    blocks_match_the_interpreter::<B>(random_block, 2025, case_count() / 3, false);
    blocks_match_the_interpreter::<B>(shaped_block, 78, case_count() / 3, false);
    linked_blocks_run_through::<B>();
    indirect_exits_probe_the_jump_table::<B>();
    unaligned_atomics_match_the_interpreter::<B>();
    entry_counters_count_every_entry::<B>();
    a_raised_signal_flag_stops_a_chained_loop::<B>();
    fp_ops_match_the_interpreter::<B>();
    fp_edge_operands_match_the_interpreter::<B>();
}

/// A 64-bit value whose `lane`-bit lanes are each an edge of the lane's range (0, 1, -1, the
/// signed minimum and maximum, their neighbours) or random.
fn edge_lanes(rng: &mut Rng, lane: Width) -> u64 {
    let (bits, m) = (lane.bits(), lane.mask());
    let edges = [0, 1, 2, m, m - 1, m >> 1, (m >> 1) + 1, (m >> 1) - 1, (m >> 1) + 2];
    (0..64 / bits).fold(0, |acc, i| {
        let v = if rng.below(3) == 0 { rng.next_u64() } else { rng.pick(&edges) };
        acc | (v & m) << (i * bits)
    })
}

/// Every lane op and lane width on edge and random lanes: the compiled value equals the
/// interpreter's (the definition, `ir::lanes::eval`). Operands come from the state; shift
/// counts both from the state and as constants (which backends may encode as immediates),
/// below, at and past the lane width.
pub fn lane_ops_match_the_interpreter<B: Backend>() {
    let mut cache = CodeCache::new(CodeCache::DEFAULT_SIZE).expect("code cache");
    let mut backend = new_backend::<B>(&mut cache);
    let mut rng = Rng::new(17);
    let at = |i: u32| StateOffset(header::SIZE + 8 * i);
    for op in LaneOp::ALL {
        for &lane in op.lanes() {
            let shift = matches!(op, LaneOp::Shl | LaneOp::Lshr | LaneOp::Ashr);
            let lw = lane.bits() as u64;
            let counts = [0, 1, lw - 1, lw, lw + 1, 63, 64, 255, 256, 1 << 40, u64::MAX];
            for _ in 0..32 {
                // Eight operand pairs per block; for shifts, also each constant count.
                let mut b = Builder::new();
                b.guest_insn(GuestAddr(0x1000), 4);
                let mut outs = Vec::new();
                for pair in 0..8 {
                    let x = b.load_state(at(2 * pair), Width::W64);
                    let y = b.load_state(at(2 * pair + 1), Width::W64);
                    outs.push((b.lanes(op, lane, x, y), pair, None));
                    if shift {
                        let c = b.constant(counts[pair as usize]);
                        outs.push((b.lanes(op, lane, x, c), pair, Some(counts[pair as usize])));
                    }
                }
                for (i, &(r, _, _)) in outs.iter().enumerate() {
                    b.store_state(at(16 + i as u32), r, Width::W64);
                }
                let block = b.finish(GuestAddr(0x1000), 4, 1, Exit::Jump(GuestAddr(0x2000)));
                let words = (header::SIZE / 8 + 16) as usize + outs.len();
                let mut state = vec![0u64; words];
                for pair in 0..8 {
                    let base = (header::SIZE / 8 + 2 * pair) as usize;
                    state[base] = edge_lanes(&mut rng, lane);
                    state[base + 1] = if shift && rng.below(2) == 0 {
                        rng.pick(&counts)
                    } else {
                        edge_lanes(&mut rng, lane)
                    };
                }
                let mut want = state.clone();
                // SAFETY: the block touches only state words below `words`.
                unsafe { interp::run_block(&block, want.as_mut_ptr() as *mut u8) };
                let compiled = compile_flushing(&mut backend, &mut cache, &block);
                let mut got = state.clone();
                // SAFETY: as above; the block was just compiled into `cache` by `backend`.
                unsafe { backend.enter(&cache, got.as_mut_ptr() as *mut u8, compiled.entry) };
                for (i, &(_, pair, constant)) in outs.iter().enumerate() {
                    let w = (header::SIZE / 8 + 16) as usize + i;
                    let base = (header::SIZE / 8 + 2 * pair) as usize;
                    let b_value = constant.unwrap_or(state[base + 1]);
                    assert_eq!(
                        got[w],
                        want[w],
                        "{op:?} w{} of {:#x}, {b_value:#x} (constant: {}): got {:#x} want {:#x}",
                        lane.bits(),
                        state[base],
                        constant.is_some(),
                        got[w],
                        want[w]
                    );
                }
            }
        }
    }
}

/// Every floating-point op, format and result kind on special and random operands under
/// several guest control registers: the compiled value and flags equal the interpreter's
/// (the references, `ir::fp` and `ir::fp_a64`). Operands come from the state, so nothing is constant-folded.
pub fn fp_ops_match_the_interpreter<B: Backend>() {
    let mut cache = CodeCache::new(CodeCache::DEFAULT_SIZE).expect("code cache");
    let mut backend = new_backend::<B>(&mut cache);
    let mut rng = Rng::new(11);
    let at = |i: u32| StateOffset(header::SIZE + 8 * i);
    let per_pair = 2 * FpOp::ALL.len();
    for (rule, prec) in rules_and_formats() {
        for round in 0..256 {
            // Eight operand pairs and a control register per block; every op and result kind.
            let mut b = Builder::new();
            b.guest_insn(GuestAddr(0x1000), 4);
            let ctrl = b.load_state(at(16), Width::W64);
            let mut out = 17;
            for pair in 0..8 {
                let x = b.load_state(at(2 * pair), Width::W64);
                let y = b.load_state(at(2 * pair + 1), Width::W64);
                for op in FpOp::ALL {
                    let y = if op == FpOp::Sqrt { x } else { y };
                    for result in [FpResult::Value, FpResult::Flags] {
                        let r = b.fp(op, prec, rule, result, x, y, ctrl);
                        b.store_state(at(out), r, Width::W64);
                        out += 1;
                    }
                }
            }
            let block = b.finish(GuestAddr(0x1000), 4, 1, Exit::Jump(GuestAddr(0x2000)));
            let words = (header::SIZE / 8 + out) as usize;
            let mut state = vec![0u64; words];
            for i in 0..16 {
                // An f32 (f16) operand is the low 32 (16) bits of its temporary: in odd rounds
                // the bits above hold garbage, which no result may carry on.
                let garbage = upper_garbage(&mut rng, prec, round);
                state[(header::SIZE / 8 + i) as usize] = rng.float(prec) | garbage;
            }
            state[(header::SIZE / 8 + 16) as usize] = control_register(&mut rng, rule, round < 8);
            let mut want = state.clone();
            // SAFETY: the block touches only state words below `words`.
            unsafe { interp::run_block(&block, want.as_mut_ptr() as *mut u8) };
            let compiled = compile_flushing(&mut backend, &mut cache, &block);
            let mut got = state.clone();
            // SAFETY: as above; the block was just compiled into `cache` by `backend`.
            unsafe { backend.enter(&cache, got.as_mut_ptr() as *mut u8, compiled.entry) };
            for i in (header::SIZE / 8 + 17) as usize..words {
                let k = i - (header::SIZE / 8 + 17) as usize;
                let (pair, op, result) = (k / per_pair, FpOp::ALL[k % per_pair / 2], k % 2);
                let operands = (
                    state[header::SIZE as usize / 8 + 2 * pair],
                    state[header::SIZE as usize / 8 + 2 * pair + 1],
                );
                assert_eq!(
                    got[i],
                    want[i],
                    "{rule:?} {op:?} {prec:?} {} of {operands:#x?} under ctrl {:#x}: got {:#x} want {:#x}",
                    ["value", "flags"][result],
                    state[(header::SIZE / 8 + 16) as usize],
                    got[i],
                    want[i]
                );
            }
        }
    }
}

/// `X86Sse` ops on operand pairs at the AArch64 fast path's edges (backend/aarch64/fp.rs):
/// zeros and infinities (kept on the fast path), denormal operands (DE), results that are
/// tiny and exact (no UE), tiny before rounding but not after (A64 UFC, no x86 UE),
/// overflow, division by zero and NaNs, under MXCSRs with the exception masks set and clear
/// and with DAZ; each op both with its flags partner and alone (the value-only lowering).
pub fn fp_edge_operands_match_the_interpreter<B: Backend>() {
    const MIN: u64 = 0x0010_0000_0000_0000;
    const F64_PAIRS: [(u64, u64); 26] = [
        (0x3ff0_0000_0000_0000, 0x4008_0000_0000_0000),
        (0, 0x8000_0000_0000_0000),
        (0x8000_0000_0000_0000, 0x8000_0000_0000_0000),
        (0, 0x3ff0_0000_0000_0000),
        (0x3ff0_0000_0000_0000, 0),
        (0xbff0_0000_0000_0000, 0x8000_0000_0000_0000),
        (0, 0),
        (0x7ff0_0000_0000_0000, 0x3ff0_0000_0000_0000),
        (0x7ff0_0000_0000_0000, 0xfff0_0000_0000_0000),
        (0x7ff0_0000_0000_0000, 0),
        (0x3ff0_0000_0000_0000, 0xfff0_0000_0000_0000),
        (0x0000_0000_0000_0003, 0x3ff0_0000_0000_0000),
        (0x3ff0_0000_0000_0000, 0x800f_ffff_ffff_ffff),
        (0x0000_0000_0000_0001, 0),
        (MIN | 0x0008_0000_0000_0000, MIN),
        (MIN, 0x3fe0_0000_0000_0000),
        (MIN, 0x4000_0000_0000_0000),
        (MIN, 0x3fd5_5555_5555_5555),
        (MIN, 0x3fef_ffff_ffff_ffff),
        // Products just below the smallest normal that round up to it with an unbounded
        // exponent: A64 UFC (tiny before rounding), no x86 UE; the second in f32 (f32_of).
        (MIN | 1, 0x3fef_ffff_ffff_fffe),
        (MIN | 0x2000_0000, 0x3fef_ffff_c000_0000),
        (0x7fef_ffff_ffff_ffff, 0x7fef_ffff_ffff_ffff),
        (0x7ff8_0000_0000_0001, 0x3ff0_0000_0000_0000),
        (0x3ff0_0000_0000_0000, 0x7ff0_0000_0000_0002),
        (0xbff0_0000_0000_0000, 0x3ff0_0000_0000_0000),
        (0x4000_0000_0000_0000, 0xc000_0000_0000_0000),
    ];
    let f32_of = |x: u64| -> u64 {
        // The same classes in single precision: sign, exponent rebiased into f32's range
        // (zero, denormal, infinite and NaN exponents kept), mantissa's top 23 bits.
        let sign = (x >> 63) << 31;
        let exp = (x >> 52 & 0x7ff) as i64;
        let mant = (x >> 29) & 0x7f_ffff;
        let mant = if mant == 0 && x & 0xf_ffff_ffff_ffff != 0 { 1 } else { mant };
        let e = match exp {
            0 => 0,
            0x7ff => 0xff,
            e => (e - 1023 + 127).clamp(1, 0xfe),
        } as u64;
        sign | e << 23 | mant
    };
    let mut cache = CodeCache::new(CodeCache::DEFAULT_SIZE).expect("code cache");
    let mut backend = new_backend::<B>(&mut cache);
    let at = |i: u32| StateOffset(header::SIZE + 8 * i);
    for prec in [FpPrec::F64, FpPrec::F32] {
        let pairs: Vec<(u64, u64)> = match prec {
            FpPrec::F64 => F64_PAIRS.to_vec(),
            _ => F64_PAIRS.iter().map(|&(x, y)| (f32_of(x), f32_of(y))).collect(),
        };
        for ctrl_value in [0x1f80u64, 0x1780, 0x1f00, 0x0000, 0x1f40] {
            for with_flags in [true, false] {
                for chunk in pairs.chunks(8) {
                    let mut b = Builder::new();
                    b.guest_insn(GuestAddr(0x1000), 4);
                    let ctrl = b.load_state(at(16), Width::W64);
                    let mut out = 17;
                    for pair in 0..chunk.len() as u32 {
                        let x = b.load_state(at(2 * pair), Width::W64);
                        let y = b.load_state(at(2 * pair + 1), Width::W64);
                        for op in FpOp::ALL {
                            let y = if op == FpOp::Sqrt { x } else { y };
                            let results: &[FpResult] = if with_flags {
                                &[FpResult::Value, FpResult::Flags]
                            } else {
                                &[FpResult::Value]
                            };
                            for &result in results {
                                let r = b.fp(op, prec, FpRule::X86Sse, result, x, y, ctrl);
                                b.store_state(at(out), r, Width::W64);
                                out += 1;
                            }
                        }
                    }
                    let block = b.finish(GuestAddr(0x1000), 4, 1, Exit::Jump(GuestAddr(0x2000)));
                    let words = (header::SIZE / 8 + out) as usize;
                    let mut state = vec![0u64; words];
                    for (i, &(x, y)) in chunk.iter().enumerate() {
                        state[(header::SIZE / 8) as usize + 2 * i] = x;
                        state[(header::SIZE / 8) as usize + 2 * i + 1] = y;
                    }
                    state[(header::SIZE / 8 + 16) as usize] = ctrl_value;
                    let mut want = state.clone();
                    // SAFETY: the block touches only state words below `words`.
                    unsafe { interp::run_block(&block, want.as_mut_ptr() as *mut u8) };
                    let compiled = compile_flushing(&mut backend, &mut cache, &block);
                    let mut got = state.clone();
                    // SAFETY: as above; the block was just compiled into `cache` by `backend`.
                    unsafe { backend.enter(&cache, got.as_mut_ptr() as *mut u8, compiled.entry) };
                    let first = (header::SIZE / 8 + 17) as usize;
                    assert_eq!(
                        got[first..],
                        want[first..],
                        "{prec:?} ops on {chunk:#x?} under MXCSR {ctrl_value:#x}, flags {with_flags}"
                    );
                }
            }
        }
    }
}

/// Every rule with every format.
pub(super) fn rules_and_formats() -> impl Iterator<Item = (FpRule, FpPrec)> {
    [FpRule::X86Sse, FpRule::A64]
        .into_iter()
        .flat_map(|r| [(r, FpPrec::F32), (r, FpPrec::F64)])
        .chain([(FpRule::A64, FpPrec::F16)])
}

/// A control register for `rule`: the default one if `default`, else a random one.
/// Garbage for the bits above a narrow operand in odd rounds.
pub(super) fn upper_garbage(rng: &mut Rng, prec: FpPrec, round: u32) -> u64 {
    match prec {
        FpPrec::F32 if round % 2 == 1 => rng.next_u64() << 32,
        FpPrec::F16 if round % 2 == 1 => rng.next_u64() << 16,
        _ => 0,
    }
}

pub(super) fn control_register(rng: &mut Rng, rule: FpRule, default: bool) -> u64 {
    match rule {
        FpRule::X86Sse if default => 0x1f80,
        FpRule::X86Sse => rng.mxcsr(),
        FpRule::A64 if default => 0,
        FpRule::A64 => rng.fpcr(),
    }
}

/// An operand for a conversion from `from`: special and random floats, floats at and next to
/// the ends of the integer ranges, and edge and random integers.
fn cvt_operand(rng: &mut Rng, from: NumFormat) -> u64 {
    const F64_EDGES: [f64; 8] = [
        2147483647.0,
        2147483647.5,
        2147483648.0,
        -2147483648.0,
        -2147483648.5,
        -2147483649.0,
        9.223372036854775e18,
        -9.223372036854776e18,
    ];
    match from {
        NumFormat::F64 if rng.below(4) == 0 => {
            rng.pick(&F64_EDGES).to_bits().wrapping_add(rng.below(3)).wrapping_sub(1)
        }
        NumFormat::F32 if rng.below(4) == 0 => {
            (rng.pick(&F64_EDGES) as f32).to_bits().wrapping_add(rng.below(3) as u32).wrapping_sub(1) as u64
        }
        NumFormat::F64 => rng.float(FpPrec::F64),
        NumFormat::F32 => rng.float(FpPrec::F32),
        NumFormat::I32 => edge_lanes(rng, Width::W32) | rng.next_u64() << 32,
        NumFormat::I64 => edge_lanes(rng, Width::W64),
    }
}

/// Every floating-point compare and conversion, format and result kind on special and random
/// operands under several guest control registers: the compiled value and flags equal the
/// interpreter's (the references, `ir::fp_cmp` and `ir::fp_cvt`). Operands come from the
/// state, so nothing is constant-folded; in odd rounds the bits above an operand's format hold
/// garbage, which no result may carry on.
pub fn fp_compares_and_conversions_match_the_interpreter<B: Backend>() {
    let mut cache = CodeCache::new(CodeCache::DEFAULT_SIZE).expect("code cache");
    let mut backend = new_backend::<B>(&mut cache);
    let mut rng = Rng::new(17);
    let at = |i: u32| StateOffset(header::SIZE + 8 * i);
    let conversions: Vec<(NumFormat, NumFormat, CvtRound)> = NumFormat::ALL
        .iter()
        .flat_map(|&f| NumFormat::ALL.iter().map(move |&t| (f, t)))
        .filter(|(f, t)| f.converts_to(*t))
        .flat_map(|(f, t)| [(f, t, CvtRound::Ctrl), (f, t, CvtRound::Zero)])
        .collect();
    for round in 0..256 {
        let garbage = |rng: &mut Rng, bits: u64, narrow: bool| {
            if narrow && round % 2 == 1 {
                bits | rng.next_u64() << 32
            } else {
                bits
            }
        };
        let mut b = Builder::new();
        b.guest_insn(GuestAddr(0x1000), 4);
        let mut inputs: Vec<u64> = Vec::new();
        let mut input = |b: &mut Builder, v: u64| {
            inputs.push(v);
            b.load_state(at(inputs.len() as u32 - 1), Width::W64)
        };
        let ctrl_value = if round < 8 { 0x1f80 } else { rng.mxcsr() };
        let ctrl = input(&mut b, ctrl_value);
        let mut outputs: Vec<(crate::ir::Temp, String)> = Vec::new();
        for prec in [FpPrec::F32, FpPrec::F64] {
            let narrow = prec == FpPrec::F32;
            for op in FpCmpOp::ALL {
                let (x, y) = (rng.float(prec), rng.float(prec));
                let (x, y) = (garbage(&mut rng, x, narrow), garbage(&mut rng, y, narrow));
                let (tx, ty) = (input(&mut b, x), input(&mut b, y));
                for result in [FpResult::Value, FpResult::Flags] {
                    let r = b.fp_cmp(op, prec, FpRule::X86Sse, result, tx, ty, ctrl);
                    outputs.push((r, format!("{op:?} {prec:?} {result:?} of {x:#x}, {y:#x}")));
                }
            }
        }
        for &(from, to, cvt_round) in &conversions {
            let x = cvt_operand(&mut rng, from);
            let x = garbage(&mut rng, x, matches!(from, NumFormat::F32 | NumFormat::I32));
            let tx = input(&mut b, x);
            for result in [FpResult::Value, FpResult::Flags] {
                let r = b.fp_cvt(from, to, cvt_round, FpRule::X86Sse, result, tx, ctrl);
                outputs.push((r, format!("{from:?} -> {to:?} {cvt_round:?} {result:?} of {x:#x}")));
            }
        }
        let first_out = inputs.len() as u32;
        for (i, (t, _)) in outputs.iter().enumerate() {
            b.store_state(at(first_out + i as u32), *t, Width::W64);
        }
        let block = b.finish(GuestAddr(0x1000), 4, 1, Exit::Jump(GuestAddr(0x2000)));
        let words = ((header::SIZE / 8 + first_out) as usize + outputs.len()).max(MAPPED_WORDS);
        let mut state = vec![0u64; words];
        state[header::SIZE as usize / 8..][..inputs.len()].copy_from_slice(&inputs);
        let mut want = state.clone();
        // SAFETY: the block touches only state words below `words`.
        unsafe { interp::run_block(&block, want.as_mut_ptr() as *mut u8) };
        let compiled = compile_flushing(&mut backend, &mut cache, &block);
        let mut got = state.clone();
        // SAFETY: as above; the block was just compiled into `cache` by `backend`.
        unsafe { backend.enter(&cache, got.as_mut_ptr() as *mut u8, compiled.entry) };
        for (i, (_, what)) in outputs.iter().enumerate() {
            let w = (header::SIZE / 8 + first_out) as usize + i;
            assert_eq!(
                got[w], want[w],
                "{what} under mxcsr {ctrl_value:#x}: got {:#x} want {:#x}",
                got[w], want[w]
            );
        }
    }
}

fn read_u64(state: &[u64], field: u32) -> u64 {
    state[field as usize / 8]
}

/// Random blocks give the same state, memory and exit compiled as interpreted.
pub fn random_blocks_match_the_interpreter<B: Backend>() {
    blocks_match_the_interpreter::<B>(random_block, 2024, case_count(), true);
}

/// Random blocks of the shapes backends compile specially ([`shaped_block`]: immediates,
/// compare-and-branch, bit tests, parity, address arithmetic) give the same state, memory
/// and exit compiled as interpreted.
pub fn shaped_blocks_match_the_interpreter<B: Backend>() {
    blocks_match_the_interpreter::<B>(shaped_block, 77, case_count(), true);
}

/// Blocks from `generate` (seeded with `seed`) give the same state, memory and exit
/// compiled as interpreted, with [`mapped_fields`] in state registers (`mapped`) or not.
pub(super) fn blocks_match_the_interpreter<B: Backend>(
    generate: fn(&mut Rng, &Layout) -> crate::ir::Block,
    seed: u64,
    cases: u64,
    mapped: bool,
) {
    let mut cache = CodeCache::new(CodeCache::DEFAULT_SIZE).expect("code cache");
    let mut backend =
        if mapped { new_backend::<B>(&mut cache) } else { B::new(&mut cache).expect("backend") };
    let base = Layout::default();
    let mut mem = vec![0u64; base.mem_len as usize / 8];
    let layout = Layout { mem_base: mem.as_mut_ptr() as u64, ..base };
    let mut rng = Rng::new(seed);
    for case in 0..cases {
        let block = generate(&mut rng, &layout);
        let mut init = Rng::new(case);
        let mem_init: Vec<u64> = (0..mem.len()).map(|_| init.interesting()).collect();
        let mut state_init: Vec<u64> = (0..layout.state_len / 8).map(|_| init.interesting()).collect();
        state_init[..header::SIZE as usize / 8].fill(0);

        mem.copy_from_slice(&mem_init);
        let mut want = state_init.clone();
        // SAFETY: the block touches only its state buffer and `mem` (the layout's buffer).
        let out = unsafe { interp::run_block(&block, want.as_mut_ptr() as *mut u8) };
        let want_mem = mem.clone();

        mem.copy_from_slice(&mem_init);
        let mut got = state_init.clone();
        let compiled = compile_flushing(&mut backend, &mut cache, &block);
        // SAFETY: `got` is a state buffer as large as the layout says, the block was just
        // compiled into `cache` by `backend`, and it touches only `got` and `mem`.
        unsafe { backend.enter(&cache, got.as_mut_ptr() as *mut u8, compiled.entry) };

        let reason = read_u64(&got, header::EXIT_REASON);
        let context = || format!("case {case}:\n{block}");
        assert_eq!(reason, out.reason as u64, "exit reason differs; {}", context());
        assert_eq!(read_u64(&got, header::NEXT_PC), out.next_pc.0, "next pc differs; {}", context());
        if out.reason == ExitReason::Chain {
            // The interpreter has no chain sites; the backend reports the site's address.
            assert_ne!(read_u64(&got, header::EXIT_ARG), 0, "no chain site; {}", context());
            got[header::EXIT_ARG as usize / 8] = 0;
        }
        for (i, (g, w)) in got.iter().zip(want.iter()).enumerate() {
            assert_eq!(
                g,
                w,
                "state word {i} (byte {}) differs: got {g:#x} want {w:#x}; {}",
                i * 8,
                context()
            );
        }
        for (i, (g, w)) in mem.iter().zip(want_mem.iter()).enumerate() {
            assert_eq!(g, w, "memory word {i} differs: got {g:#x} want {w:#x}; {}", context());
        }
    }
}

/// A chained exit, once linked, runs the target block without returning to the dispatcher.
pub fn linked_blocks_run_through<B: Backend>() {
    let mut cache = CodeCache::new(1 << 20).expect("code cache");
    let mut backend = new_backend::<B>(&mut cache);

    // Block 1 at 0x1000: state[32] += 1, then jump to 0x2000.
    let mut b = Builder::new();
    let x = b.load_state(crate::ir::StateOffset(32), Width::W64);
    let y = b.bin_imm(BinOp::Add, x, 1, Width::W64);
    b.store_state(crate::ir::StateOffset(32), y, Width::W64);
    let first = b.finish(GuestAddr(0x1000), 4, 1, Exit::Jump(GuestAddr(0x2000)));
    // Block 2 at 0x2000: state[40] = state[32] * 3, then a syscall exit.
    let mut b = Builder::new();
    let x = b.load_state(crate::ir::StateOffset(32), Width::W64);
    let y = b.bin_imm(BinOp::Mul, x, 3, Width::W64);
    b.store_state(crate::ir::StateOffset(40), y, Width::W64);
    let second = b.finish(GuestAddr(0x2000), 4, 1, Exit::Syscall { next: GuestAddr(0x2004) });

    let c1 = backend.compile(&first, &mut cache).unwrap();
    let c2 = backend.compile(&second, &mut cache).unwrap();
    let mut state = [0u64; MAPPED_WORDS];
    state[4] = 10;
    // SAFETY: both blocks touch only bytes 0..48 of the 160-byte state (the trampoline and exits read and write its state-register fields, bytes 32..160); c1 is in `cache`.
    unsafe { backend.enter(&cache, state.as_mut_ptr() as *mut u8, c1.entry) };
    assert_eq!(state[1], ExitReason::Chain as u64);
    assert_eq!(state[0], 0x2000);
    let site = ChainSite(state[2] as usize);
    backend.link(&mut cache, site, c2.entry);

    state = [0u64; MAPPED_WORDS];
    state[4] = 10;
    // SAFETY: as above.
    unsafe { backend.enter(&cache, state.as_mut_ptr() as *mut u8, c1.entry) };
    assert_eq!(state[1], ExitReason::Syscall as u64, "the linked jump must reach block 2");
    assert_eq!(state[0], 0x2004);
    assert_eq!(state[4], 11);
    assert_eq!(state[5], 33);
}

/// An indirect exit whose target is in the jump table goes straight to the target's code; one
/// whose target is not (or collides) returns to the dispatcher with `Lookup`.
pub fn indirect_exits_probe_the_jump_table<B: Backend>() {
    let mut cache = CodeCache::new(1 << 20).expect("code cache");
    let mut backend = new_backend::<B>(&mut cache);
    // Block 1: return to the address in state[32].
    let mut b = Builder::new();
    let target = b.load_state(crate::ir::StateOffset(32), Width::W64);
    let first = b.finish(GuestAddr(0x1000), 1, 1, Exit::Return(target));
    // Block 2 at 0x3000: state[40] = 7, then a syscall exit.
    let mut b = Builder::new();
    let seven = b.constant(7);
    b.store_state(crate::ir::StateOffset(40), seven, Width::W64);
    let second = b.finish(GuestAddr(0x3000), 4, 1, Exit::Syscall { next: GuestAddr(0x3004) });
    let c1 = backend.compile(&first, &mut cache).unwrap();
    let c2 = backend.compile(&second, &mut cache).unwrap();

    let run = |cache: &CodeCache, backend: &B, pc: u64| {
        let mut state = [0u64; MAPPED_WORDS];
        state[4] = pc;
        // SAFETY: both blocks touch only bytes 0..48 of the 160-byte state (the trampoline and exits read and write its state-register fields, bytes 32..160); c1 is in `cache`.
        unsafe { backend.enter(cache, state.as_mut_ptr() as *mut u8, c1.entry) };
        state
    };
    let state = run(&cache, &backend, 0x3000);
    assert_eq!(
        (state[1], state[0]),
        (ExitReason::Lookup as u64, 0x3000),
        "empty table: back to the dispatcher"
    );

    cache.jump_table_mut().insert(GuestAddr(0x3000), c2.entry);
    let state = run(&cache, &backend, 0x3000);
    assert_eq!(
        (state[1], state[0], state[5]),
        (ExitReason::Syscall as u64, 0x3004, 7),
        "table hit: block 2 ran"
    );

    // A different address with the same index must not take block 2's entry.
    let alias = (0..u64::MAX)
        .map(|i| 0x3000 + 4 * (i + 1))
        .find(|&pc| crate::cache::JumpTable::index(pc) == crate::cache::JumpTable::index(0x3000))
        .unwrap();
    let state = run(&cache, &backend, alias);
    assert_eq!((state[1], state[0], state[5]), (ExitReason::Lookup as u64, alias, 0), "colliding address");
}

/// Atomics at every offset of a 32-byte buffer, aligned or not, inside an aligned 16-byte
/// granule or across one: x86 allows unaligned `lock` operations, which an AArch64 host must
/// not turn into alignment faults (regression: `xchg` with an unaligned memory operand died
/// by SIGBUS on the AArch64 backend).
pub fn unaligned_atomics_match_the_interpreter<B: Backend>() {
    let mut cache = CodeCache::new(CodeCache::DEFAULT_SIZE).expect("code cache");
    let mut backend = new_backend::<B>(&mut cache);
    // Accessed only through `buf` (the blocks write it behind the compiler's back).
    let mut mem = Box::new([0u128; 3]);
    let buf = mem.as_mut_ptr() as *mut [u128; 3];
    let base = buf as u64;
    let init: [u128; 3] = [
        0x8899_aabb_ccdd_eeff_0011_2233_4455_6677,
        0xf0e1_d2c3_b4a5_9687_7869_5a4b_3c2d_1e0f,
        0x0123_4567_89ab_cdef_fedc_ba98_7654_3210,
    ];
    let result = StateOffset(header::SIZE);
    let mut blocks = Vec::new();
    for width in [Width::W8, Width::W16, Width::W32, Width::W64] {
        for offset in 0..32 - width.bytes() as u64 {
            let addr = base + 8 + offset;
            let src = 0x8070_6050_4030_2010u64.rotate_left(offset as u32 * 8);
            for op in RmwOp::ALL {
                let mut b = Builder::new();
                let a = b.constant(addr);
                let x = b.constant(src);
                let old = b.atomic_rmw(op, a, x, width);
                b.store_state(result, old, Width::W64);
                blocks.push(b.finish(GuestAddr(0x1000), 4, 1, Exit::Syscall { next: GuestAddr(0x1004) }));
            }
            for matching in [false, true] {
                let mut b = Builder::new();
                let a = b.constant(addr);
                let expected = if matching { b.load(a, width) } else { b.constant(src) };
                let new = b.constant(!src);
                let old = b.compare_exchange(a, expected, new, width);
                let swapped = b.cmp(CmpOp::Eq, old, expected, width);
                b.store_state(result, old, Width::W64);
                b.store_state(StateOffset(header::SIZE + 8), swapped, Width::W64);
                blocks.push(b.finish(GuestAddr(0x1000), 4, 1, Exit::Syscall { next: GuestAddr(0x1004) }));
            }
        }
    }
    // SAFETY (both closures): `buf` points to the live 48-byte, 16-aligned box.
    let set = |v: [u128; 3]| unsafe { buf.write_volatile(v) };
    let get = || unsafe { buf.read_volatile() };
    for block in &blocks {
        set(init);
        let mut want = [0u64; MAPPED_WORDS];
        // SAFETY: the block touches its state buffer and `mem` only.
        unsafe { interp::run_block(block, want.as_mut_ptr() as *mut u8) };
        let want_mem = get();

        set(init);
        let mut got = [0u64; MAPPED_WORDS];
        let compiled = backend.compile(block, &mut cache).expect("compile");
        // SAFETY: as above; the block was just compiled into `cache`.
        unsafe { backend.enter(&cache, got.as_mut_ptr() as *mut u8, compiled.entry) };
        assert_eq!(got, want, "state differs:\n{block}");
        assert_eq!(get(), want_mem, "memory differs:\n{block}");
    }
    drop(mem);
}

/// With an entry counter set, every entry of a block adds one to its counter, whether from the
/// dispatcher or through a linked chain, and the block computes what it did without one; a
/// block compiled after the counter is unset counts nothing.
pub fn entry_counters_count_every_entry<B: Backend>() {
    use std::sync::atomic::{AtomicU64, Ordering};
    let mut cache = CodeCache::new(1 << 20).expect("code cache");
    let mut backend = new_backend::<B>(&mut cache);
    let counters: Vec<AtomicU64> = (0..3).map(|_| AtomicU64::new(0)).collect();
    let counter = |i: usize| counters[i].as_ptr() as usize;

    // Block 1 at 0x1000: state[32] += 1, then jump to 0x2000; block 2: state[40] = state[32] *
    // 3, then a syscall exit; block 3 (uncounted): a syscall exit.
    let mut b = Builder::new();
    let x = b.load_state(StateOffset(32), Width::W64);
    let y = b.bin_imm(BinOp::Add, x, 1, Width::W64);
    b.store_state(StateOffset(32), y, Width::W64);
    let first = b.finish(GuestAddr(0x1000), 4, 1, Exit::Jump(GuestAddr(0x2000)));
    let mut b = Builder::new();
    let x = b.load_state(StateOffset(32), Width::W64);
    let y = b.bin_imm(BinOp::Mul, x, 3, Width::W64);
    b.store_state(StateOffset(40), y, Width::W64);
    let second = b.finish(GuestAddr(0x2000), 4, 1, Exit::Syscall { next: GuestAddr(0x2004) });
    let third = Builder::new().finish(GuestAddr(0x3000), 4, 1, Exit::Syscall { next: GuestAddr(0x3004) });

    backend.set_entry_counter(Some(counter(0)));
    let c1 = backend.compile(&first, &mut cache).unwrap();
    backend.set_entry_counter(Some(counter(1)));
    let c2 = backend.compile(&second, &mut cache).unwrap();
    backend.set_entry_counter(None);
    let c3 = backend.compile(&third, &mut cache).unwrap();

    let mut state = [0u64; MAPPED_WORDS];
    // SAFETY: the blocks touch only bytes 0..48 of the 160-byte state (the trampoline and exits read and write its state-register fields, bytes 32..160) and the counters, which
    // outlive every run; c1 is in `cache`.
    unsafe { backend.enter(&cache, state.as_mut_ptr() as *mut u8, c1.entry) };
    assert_eq!(state[1], ExitReason::Chain as u64);
    backend.link(&mut cache, ChainSite(state[2] as usize), c2.entry);
    for _ in 0..3 {
        state = [0u64; MAPPED_WORDS];
        state[4] = 10;
        // SAFETY: as above.
        unsafe { backend.enter(&cache, state.as_mut_ptr() as *mut u8, c1.entry) };
        assert_eq!((state[4], state[5]), (11, 33), "a counted block computes as before");
    }
    // SAFETY: as above; block 3 touches only the header.
    unsafe { backend.enter(&cache, state.as_mut_ptr() as *mut u8, c3.entry) };
    assert_eq!(state[0], 0x3004);
    let counts: Vec<u64> = counters.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    assert_eq!(counts, [4, 3, 0], "entries of block 1 (4), block 2 via the link (3), block 3 (none)");
}

/// A block linked to itself (a loop that never returns on its own) leaves at its next entry
/// once the state's signal flag is raised, with `Lookup` at its own guest address and the
/// state complete (the increments of the iterations that ran, none of the one that did not);
/// a raised flag also stops a block that the dispatcher enters, before it changes anything.
pub fn a_raised_signal_flag_stops_a_chained_loop<B: Backend>() {
    let mut cache = CodeCache::new(1 << 20).expect("code cache");
    let mut backend = new_backend::<B>(&mut cache);
    // state[4] += 1; raise the flag (a store of 1 to its word, as the host handler does)
    // when state[4] reaches state[5]; jump to itself.
    let mut b = Builder::new();
    let x = b.load_state(StateOffset(32), Width::W64);
    let y = b.bin_imm(BinOp::Add, x, 1, Width::W64);
    b.store_state(StateOffset(32), y, Width::W64);
    let limit = b.load_state(StateOffset(40), Width::W64);
    let reached = b.cmp(CmpOp::Eq, y, limit, Width::W64);
    let old = b.load_state(StateOffset(header::SIGNAL_PENDING), Width::W64);
    let raised = b.bin(BinOp::Or, old, reached, Width::W64);
    b.store_state(StateOffset(header::SIGNAL_PENDING), raised, Width::W64);
    let looping = b.finish(GuestAddr(0x1000), 4, 1, Exit::Jump(GuestAddr(0x1000)));
    let compiled = backend.compile(&looping, &mut cache).unwrap();

    let mut state = [0u64; MAPPED_WORDS];
    state[5] = 1000;
    // SAFETY: the block touches only bytes 0..48 of the 160-byte state (the trampoline and exits read and write its state-register fields, bytes 32..160); it is in `cache`.
    unsafe { backend.enter(&cache, state.as_mut_ptr() as *mut u8, compiled.entry) };
    assert_eq!((state[1], state[4]), (ExitReason::Chain as u64, 1), "the first run reaches its chain site");
    backend.link(&mut cache, ChainSite(state[2] as usize), compiled.entry);

    state = [0u64; MAPPED_WORDS];
    state[5] = 1000;
    // SAFETY: as above.
    unsafe { backend.enter(&cache, state.as_mut_ptr() as *mut u8, compiled.entry) };
    assert_eq!(state[0], 0x1000, "next_pc is the block's own address");
    assert_eq!(state[1], ExitReason::Lookup as u64);
    assert_eq!(state[4], 1000, "the loop ran until the flag was raised, and no further");
    assert_eq!(state[3], 1, "the block leaves the flag raised for the dispatcher");

    // Raised before entry (`SignalFlag::raise` stores 1): nothing runs.
    state = [0u64; MAPPED_WORDS];
    state[3] = 1;
    state[5] = 1000;
    // SAFETY: as above.
    unsafe { backend.enter(&cache, state.as_mut_ptr() as *mut u8, compiled.entry) };
    assert_eq!((state[0], state[1], state[4]), (0x1000, ExitReason::Lookup as u64, 0));
}
