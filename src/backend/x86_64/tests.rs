//! Tests of the x86-64 backend. The oracle is the IR interpreter (`crate::ir::interp`, the
//! reference semantics): every block runs through the interpreter and through compiled code
//! from the same state bytes and memory, and everything must match. Each test runs with the
//! optional instructions this CPU has and again without them ([`HostFeatures::BASELINE`]),
//! so the fallback sequences are covered too.

use super::*;
use crate::ir::interp::{self, Outcome};
use crate::ir::protocol::{header, ExitReason};
use crate::ir::testgen::{self, Layout, Rng};
use crate::ir::{
    verify, BinOp, Builder, CmpOp, Exit, GuestAddr, Helper, RmwOp, StateOffset, TrapKind, UnOp, Width,
};

const WIDTHS: [Width; 4] = [Width::W8, Width::W16, Width::W32, Width::W64];

/// Operand values at the edges of every width, with and without bits above the width.
const EDGE_VALUES: [u64; 34] = [
    0,
    1,
    2,
    3,
    5,
    7,
    8,
    9,
    15,
    16,
    17,
    31,
    32,
    33,
    63,
    64,
    65,
    0x7f,
    0x80,
    0xff,
    0x100,
    0x7fff,
    0x8000,
    0xffff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0x7fff_ffff_ffff_ffff,
    0x8000_0000_0000_0000,
    u64::MAX,
    u64::MAX - 1,
    u64::MAX - 6,
    0xdead_beef_8765_43a9,
];

fn feature_sets() -> Vec<HostFeatures> {
    let native = HostFeatures::detect();
    if native == HostFeatures::BASELINE {
        vec![native]
    } else {
        vec![native, HostFeatures::BASELINE]
    }
}

/// Backend configurations the op tests run under: the CPU's features and the baseline, and
/// temporaries in all eight registers, in the five callee-saved ones only, mostly spilled
/// (one register) or all spilled, so that every operand form (register or frame slot) of
/// every op is exercised.
fn configs() -> Vec<(HostFeatures, usize)> {
    let mut configs: Vec<(HostFeatures, usize)> = feature_sets().into_iter().map(|f| (f, 8)).collect();
    configs.push((HostFeatures::detect(), 5));
    configs.push((HostFeatures::detect(), 1));
    configs.push((HostFeatures::detect(), 0));
    configs
}

/// A code cache with a backend in it.
struct Harness {
    cache: CodeCache,
    backend: X86_64Backend,
}

/// How compiled code left, read from the state header.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
struct HostExit {
    reason: ExitReason,
    next_pc: u64,
    arg: u64,
}

impl Harness {
    fn new(features: HostFeatures) -> Harness {
        let mut cache = CodeCache::new(8 << 20).expect("code cache");
        let backend = X86_64Backend::with_features(&mut cache, features).expect("fixed code");
        Harness { cache, backend }
    }

    fn with_config((features, regs): (HostFeatures, usize)) -> Harness {
        let mut h = Harness::new(features);
        h.backend.set_alloc_regs(regs);
        h
    }

    /// Compiles `block`, first emptying the cache if it is nearly full (so that no test
    /// may rely on a block staying in the cache across another `compile`).
    fn compile(&mut self, block: &Block) -> CompiledBlock {
        verify(block).expect("test block must verify");
        if self.cache.free() < 1 << 20 {
            self.cache.flush();
            self.backend.reset(&mut self.cache).expect("fixed code");
        }
        self.backend.compile(block, &mut self.cache).expect("compile")
    }

    /// Runs compiled code on `state` (at least the header) until it exits.
    fn run(&mut self, code: HostCode, state: &mut [u64]) -> HostExit {
        assert!(state.len() * 8 >= header::SIZE as usize);
        // SAFETY: `state` is a live buffer large enough for every offset the test blocks use
        // (each test sizes it), `code` was compiled by this backend into this cache, and test
        // blocks touch no memory but the buffers their test keeps alive.
        unsafe { self.backend.enter(&self.cache, state.as_mut_ptr() as *mut u8, code) };
        HostExit {
            reason: ExitReason::from_u64(state[1]).expect("valid exit reason"),
            next_pc: state[0],
            arg: state[2],
        }
    }
}

/// Runs `block` through the interpreter and through compiled code, each from `state` and
/// `mem` as given, and checks that state bytes, memory and the exit agree. Returns the exit.
fn check_against_interp(h: &mut Harness, block: &Block, state: &[u64], mem: &mut [u64]) -> HostExit {
    let mem_before = mem.to_vec();
    let mut want_state = state.to_vec();
    // SAFETY: the blocks of these tests touch only state offsets inside `state` and guest
    // addresses inside `mem`, which stays alive and in place for both runs.
    let want: Outcome = unsafe { interp::run_block(block, want_state.as_mut_ptr() as *mut u8) };
    let want_mem = mem.to_vec();
    mem.copy_from_slice(&mem_before);

    let compiled = h.compile(block);
    let mut got_state = state.to_vec();
    let got = h.run(compiled.entry, &mut got_state);

    assert_eq!(got.reason, want.reason, "exit reason\n{block:#?}");
    assert_eq!(got.next_pc, want.next_pc.0, "next_pc\n{block:#?}");
    match got.reason {
        ExitReason::Chain => {
            // The interpreter reports no site; the host reports its jmp rel32.
            let site = got.arg as usize;
            let code = compiled.entry.0..compiled.entry.0 + compiled.host_len;
            assert!(code.contains(&site), "chain site {site:#x} outside the block");
            let opcode = h.cache.bytes(HostCode(site), 2);
            assert!(
                opcode[0] == 0xe9 || (opcode[0] == 0x0f && opcode[1] & 0xf0 == 0x80),
                "chain site is a jmp rel32 or jcc rel32: {opcode:x?}"
            );
            got_state[2] = want_state[2];
        }
        ExitReason::Trap => {
            assert_eq!(Some(got.arg), want.trap.map(|k| k.index()), "trap kind");
        }
        _ => assert_eq!(got.arg, 0, "exit_arg"),
    }
    for (i, (g, w)) in got_state.iter().zip(&want_state).enumerate() {
        assert_eq!(g, w, "state word {i} (byte offset {})\n{block:#?}", i * 8);
    }
    assert_eq!(mem, &want_mem[..], "memory\n{block:#?}");
    got
}

/// One block per (op, width): for every pair of edge values, `r = a op b` stored to its own
/// state slot. Inputs come alternately from constants and from state loads.
fn binary_block(
    width: Width,
    pairs: &[(u64, u64)],
    mut emit: impl FnMut(&mut Builder, crate::ir::Temp, crate::ir::Temp) -> crate::ir::Temp,
) -> (Block, Vec<u64>) {
    let mut b = Builder::new();
    // State: header, then one input pair area, then results.
    let inputs_at = header::SIZE;
    let results_at = inputs_at + 16 * pairs.len() as u32;
    let mut state = vec![0u64; (results_at as usize + 8 * pairs.len()) / 8];
    for (i, &(x, y)) in pairs.iter().enumerate() {
        let (a, c) = if i % 2 == 0 {
            (b.constant(x), b.constant(y))
        } else {
            state[(inputs_at as usize + 16 * i) / 8] = x;
            state[(inputs_at as usize + 16 * i + 8) / 8] = y;
            (
                b.load_state(StateOffset(inputs_at + 16 * i as u32), Width::W64),
                b.load_state(StateOffset(inputs_at + 16 * i as u32 + 8), Width::W64),
            )
        };
        let r = emit(&mut b, a, c);
        b.store_state(StateOffset(results_at + 8 * i as u32), r, Width::W64);
    }
    let _ = width;
    (b.finish(GuestAddr(0x1000), 4, 1, Exit::Syscall { next: GuestAddr(0x1004) }), state)
}

fn edge_pairs() -> Vec<(u64, u64)> {
    let mut pairs = Vec::new();
    for &x in &EDGE_VALUES {
        for &y in &EDGE_VALUES {
            pairs.push((x, y));
        }
    }
    pairs
}

#[test]
fn binary_ops_on_edge_operands_match_interp() {
    let pairs = edge_pairs();
    for config in configs() {
        let mut h = Harness::with_config(config);
        for op in BinOp::ALL {
            for w in WIDTHS {
                let (block, state) = binary_block(w, &pairs, |b, x, y| b.bin(op, x, y, w));
                check_against_interp(&mut h, &block, &state, &mut []);
            }
        }
    }
}

#[test]
fn comparisons_on_edge_operands_match_interp() {
    let pairs = edge_pairs();
    for config in configs() {
        let mut h = Harness::with_config(config);
        for op in CmpOp::ALL {
            for w in WIDTHS {
                let (block, state) = binary_block(w, &pairs, |b, x, y| b.cmp(op, x, y, w));
                check_against_interp(&mut h, &block, &state, &mut []);
            }
        }
    }
}

#[test]
fn unary_ops_and_extensions_on_edge_operands_match_interp() {
    // Every edge value, and every single bit set (for the bit counts and reversals).
    let mut values: Vec<u64> = EDGE_VALUES.to_vec();
    values.extend((0..64).map(|i| 1u64 << i));
    values.extend((0..64).map(|i| !0u64 << i));
    let pairs: Vec<(u64, u64)> = values.iter().map(|&v| (v, 0)).collect();
    for config in configs() {
        let mut h = Harness::with_config(config);
        for op in UnOp::ALL {
            for w in WIDTHS {
                let (block, state) = binary_block(w, &pairs, |b, x, _| b.un(op, x, w));
                check_against_interp(&mut h, &block, &state, &mut []);
            }
        }
        for from in WIDTHS {
            for signed in [false, true] {
                let (block, state) = binary_block(from, &pairs, |b, x, _| b.ext(x, from, signed));
                check_against_interp(&mut h, &block, &state, &mut []);
            }
        }
    }
}

/// A few results straight from the IR documentation, so that the backend and the
/// interpreter cannot be wrong together on the cases the docs spell out.
#[test]
fn documented_edge_cases() {
    let cases: [(BinOp, u64, u64, Width, u64); 10] = [
        (BinOp::DivU, 5, 0, Width::W64, 0),
        (BinOp::RemU, 5, 0, Width::W32, 5),
        (BinOp::DivS, 0x8000_0000_0000_0000, u64::MAX, Width::W64, 0x8000_0000_0000_0000),
        (BinOp::RemS, 0x8000_0000_0000_0000, u64::MAX, Width::W64, 0),
        (BinOp::DivS, 0x80, 0xff, Width::W8, 0x80),
        (BinOp::RemS, 0x80, 0x00, Width::W8, 0x80),
        (BinOp::Shl, 1, 9, Width::W8, 2),
        (BinOp::Lshr, 0x8000, 17, Width::W16, 0x4000),
        (BinOp::Add, 0xffff_ffff, 1, Width::W32, 0),
        (BinOp::Rotr, 1, 1, Width::W16, 0x8000),
    ];
    let mut h = Harness::new(HostFeatures::detect());
    for (op, a, b_val, w, want) in cases {
        let mut b = Builder::new();
        let x = b.constant(a);
        let y = b.constant(b_val);
        let r = b.bin(op, x, y, w);
        let block = b.finish(GuestAddr(0x1000), 4, 1, Exit::Indirect(r));
        let code = h.compile(&block);
        let mut state = vec![0u64; 4];
        let exit = h.run(code.entry, &mut state);
        assert_eq!(exit.reason, ExitReason::Lookup);
        assert_eq!(exit.next_pc, want, "{op:?} {a:#x} {b_val:#x} {w:?}");
    }
    let un_cases: [(UnOp, u64, Width, u64); 6] = [
        (UnOp::Clz, 0, Width::W16, 16),
        (UnOp::Clz, 0, Width::W64, 64),
        (UnOp::Ctz, 0, Width::W8, 8),
        (UnOp::Ctz, 0, Width::W64, 64),
        (UnOp::Bswap, 0x00ff_1234, Width::W16, 0x3412),
        (UnOp::Rbit, 1, Width::W32, 0x8000_0000),
    ];
    for features in feature_sets() {
        let mut h = Harness::new(features);
        for (op, a, w, want) in un_cases {
            let mut b = Builder::new();
            let x = b.constant(a);
            let r = b.un(op, x, w);
            let block = b.finish(GuestAddr(0x1000), 4, 1, Exit::Return(r));
            let code = h.compile(&block);
            let mut state = vec![0u64; 4];
            assert_eq!(h.run(code.entry, &mut state).next_pc, want, "{op:?} {a:#x} {w:?}");
        }
    }
}

/// Branches and early exits on a comparison made right before them (which the backend fuses
/// into a compare-and-jump), for every comparison, width and operand form.
#[test]
fn branches_on_fresh_comparisons_match_interp() {
    let values = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0x8000_0000, u64::MAX, 0x1_0000_0001];
    for config in configs() {
        let mut h = Harness::with_config(config);
        for op in CmpOp::ALL {
            for w in WIDTHS {
                for (i, &x) in values.iter().enumerate() {
                    for (j, &y) in values.iter().enumerate() {
                        let mut b = Builder::new();
                        // Operands from state (registers) or constants (immediates).
                        let a = b.load_state(StateOffset(32), Width::W64);
                        let c = if (i + j) % 2 == 0 {
                            b.load_state(StateOffset(40), Width::W64)
                        } else {
                            b.constant(y)
                        };
                        let cond = b.cmp(op, a, c, w);
                        let block = if (i + j) % 3 == 0 {
                            b.exit_if(cond, Exit::Jump(GuestAddr(0x5000)));
                            b.finish(GuestAddr(0x1000), 4, 1, Exit::Syscall { next: GuestAddr(0x6000) })
                        } else {
                            let exit =
                                Exit::Branch { cond, taken: GuestAddr(0x2000), not_taken: GuestAddr(0x3000) };
                            b.finish(GuestAddr(0x1000), 4, 1, exit)
                        };
                        check_against_interp(&mut h, &block, &[0, 0, 0, 0, x, y], &mut []);
                    }
                }
            }
        }
    }
}

#[test]
fn select_and_state_access_widths_match_interp() {
    for config in configs() {
        select_and_state_access(&mut Harness::with_config(config));
    }
}

fn select_and_state_access(h: &mut Harness) {
    let mut b = Builder::new();
    let mut state = vec![0u64; 32];
    for (i, v) in state.iter_mut().enumerate().skip(4) {
        *v = 0x0123_4567_89ab_cdefu64.rotate_left(i as u32 * 5) ^ (i as u64);
    }
    // Loads of every width at odd offsets, stores of every width over them.
    for (i, w) in WIDTHS.iter().enumerate() {
        let x = b.load_state(StateOffset(33 + 8 * i as u32), *w);
        b.store_state(StateOffset(101 + 16 * i as u32), x, *w);
        let cond = b.bin_imm(BinOp::And, x, 1, Width::W64);
        let y = b.constant(0x1111_2222_3333_4444);
        let s = b.select(cond, x, y);
        b.store_state(StateOffset(200 + 8 * i as u32), s, Width::W64);
    }
    let block = b.finish(GuestAddr(0x1000), 4, 1, Exit::Jump(GuestAddr(0x2000)));
    check_against_interp(h, &block, &state, &mut []);
}

#[test]
fn memory_access_and_atomics_match_interp() {
    for config in configs() {
        memory_access_and_atomics(&mut Harness::with_config(config));
    }
}

fn memory_access_and_atomics(h: &mut Harness) {
    let mut mem = vec![0u64; 64];
    let base = mem.as_mut_ptr() as u64;
    for op in RmwOp::ALL {
        for w in WIDTHS {
            let mut b = Builder::new();
            let mut slot = 0u32;
            for (i, &operand) in EDGE_VALUES.iter().enumerate().step_by(3) {
                let addr = b.constant(base + 8 * (i as u64 % 32));
                let src = b.constant(operand);
                let old = b.atomic_rmw(op, addr, src, w);
                b.store_state(StateOffset(32 + 8 * slot), old, Width::W64);
                slot += 1;
            }
            let block = b.finish(GuestAddr(0x1000), 4, 1, Exit::Syscall { next: GuestAddr(0) });
            for (i, m) in mem.iter_mut().enumerate() {
                *m = EDGE_VALUES[(i * 7) % EDGE_VALUES.len()];
            }
            let state = vec![0u64; 4 + slot as usize];
            check_against_interp(h, &block, &state, &mut mem);
        }
    }
    // Compare-exchange: succeeding and failing, with bits above the width in `expected`
    // (which must not make a match fail, nor leak into the result).
    for w in WIDTHS {
        let mut b = Builder::new();
        for i in 0..8u64 {
            let addr = b.constant(base + 8 * i);
            let current = b.load(addr, w);
            let expected = if i % 2 == 0 {
                let garbage = b.constant(0xa5a5_a5a5_a5a5_a5a5 << w.bits().min(63));
                b.bin(BinOp::Or, current, garbage, Width::W64)
            } else {
                b.bin_imm(BinOp::Add, current, 1, Width::W64)
            };
            let new = b.constant(0x0102_0304_0506_0708 * (i + 1));
            let old = b.compare_exchange(addr, expected, new, w);
            b.store_state(StateOffset(32 + 8 * i as u32), old, Width::W64);
            // Unaligned plain accesses too.
            let odd = b.constant(base + 8 * i + 3);
            let v = b.load(odd, w);
            let v2 = b.bin_imm(BinOp::Xor, v, 0x5a5a_5a5a_5a5a_5a5a, Width::W64);
            let odd2 = b.constant(base + 200 + 5 * i);
            b.store(odd2, v2, w);
        }
        b.fence();
        let block = b.finish(GuestAddr(0x1000), 4, 1, Exit::Syscall { next: GuestAddr(0) });
        for (i, m) in mem.iter_mut().enumerate() {
            *m = EDGE_VALUES[(i * 11) % EDGE_VALUES.len()];
        }
        check_against_interp(h, &block, &[0u64; 12], &mut mem);
    }
}

/// Records its arguments in state bytes 32..72 and returns a mix of them.
extern "C" fn record_args(state: *mut u8, a0: u64, a1: u64, a2: u64, a3: u64) -> u64 {
    // Alignment check: the compiler places this 16-aligned local assuming the SysV stack
    // alignment at the call; a misaligned caller shows up as a misaligned address.
    #[repr(align(16))]
    struct Aligned(#[allow(dead_code)] [u8; 16]);
    let probe = Aligned([0; 16]);
    let aligned = (std::hint::black_box(&probe) as *const Aligned as usize).is_multiple_of(16);
    // Clobber the caller-saved registers the backend gives to temporaries, as any helper may.
    // SAFETY: only writes registers declared as clobbered outputs.
    unsafe {
        std::arch::asm!(
            "mov r9, -1",
            "mov r10, -1",
            "mov r11, -1",
            out("r9") _,
            out("r10") _,
            out("r11") _,
        );
    }
    // SAFETY: the tests that use this helper pass a state of at least 72 bytes.
    unsafe {
        let p = state.add(32) as *mut u64;
        p.write(a0);
        p.add(1).write(a1);
        p.add(2).write(a2);
        p.add(3).write(a3);
        p.add(4).write(aligned as u64);
    }
    a0.wrapping_mul(1_000_003) ^ a1.rotate_left(17) ^ a2.wrapping_add(a3)
}

const RECORD_ARGS: Helper = Helper { name: "record_args", func: record_args, touches_memory: false };

#[test]
fn helper_calls_pass_state_and_arguments() {
    let mut h = Harness::new(HostFeatures::detect());
    for argc in 0..=4usize {
        let mut b = Builder::new();
        // Temps live across the call in callee-saved registers, in caller-saved ones (which
        // the helper clobbers) and in spill slots: computed from a state word that is zero.
        let zero = b.load_state(StateOffset(88), Width::W64);
        let live: Vec<_> = (0..12).map(|i| b.bin_imm(BinOp::Add, zero, 0x1000 + i, Width::W64)).collect();
        // Arguments from constants (immediates) and from registers.
        let args: Vec<_> = (0..argc as u64)
            .map(|i| {
                if i % 2 == 0 {
                    b.constant(0xa0a0_0000_0000_0000 + i)
                } else {
                    b.bin_imm(BinOp::Or, zero, 0xa0a0_0000_0000_0000 + i, Width::W64)
                }
            })
            .collect();
        let r = b.call(RECORD_ARGS, &args);
        let mut sum = r;
        for t in live {
            sum = b.bin(BinOp::Add, sum, t, Width::W64);
        }
        b.store_state(StateOffset(80), sum, Width::W64);
        let block = b.finish(GuestAddr(0x1000), 4, 1, Exit::Indirect(r));
        let mut state = vec![0u64; 12];
        // Non-zero garbage where absent arguments will be recorded.
        for s in &mut state[4..8] {
            *s = 0xdead;
        }
        let code = h.compile(&block);
        let exit = h.run(code.entry, &mut state);
        let want: Vec<u64> =
            (0..4).map(|i| if i < argc as u64 { 0xa0a0_0000_0000_0000 + i } else { 0 }).collect();
        assert_eq!(&state[4..8], &want[..], "arguments with {argc} args");
        assert_eq!(state[8], 1, "stack 16-byte aligned at the call");
        assert_eq!(exit.reason, ExitReason::Lookup);
        let ret = record_args(vec![0u8; 80].as_mut_ptr(), want[0], want[1], want[2], want[3]);
        assert_eq!(exit.next_pc, ret);
        let live_sum: u64 = (0..12).map(|i| 0x1000 + i).sum();
        assert_eq!(state[10], ret.wrapping_add(live_sum));
        // And the same through the interpreter.
        check_against_interp(&mut h, &block, &[0u64; 12], &mut []);
    }
}

#[test]
fn every_exit_kind_fills_the_header() {
    let mut h = Harness::new(HostFeatures::detect());
    let exits = [
        (Exit::Syscall { next: GuestAddr(0x7fff_1234_5678) }, ExitReason::Syscall, 0x7fff_1234_5678, 0),
        (
            Exit::Trap { kind: TrapKind::DivideError, pc: GuestAddr(0x40_1000), message: None },
            ExitReason::Trap,
            0x40_1000,
            TrapKind::DivideError.index(),
        ),
        (
            Exit::Trap { kind: TrapKind::GeneralProtection, pc: GuestAddr(0x40_1000), message: None },
            ExitReason::Trap,
            0x40_1000,
            TrapKind::GeneralProtection.index(),
        ),
    ];
    for (exit, reason, pc, arg) in exits {
        let block = Block {
            start: GuestAddr(0x1000),
            guest_len: 1,
            guest_insns: 1,
            ops: vec![],
            exit,
            temps: 0,
            dead_on_entry: vec![],
        };
        let code = h.compile(&block);
        let mut state = vec![u64::MAX; 4];
        assert_eq!(h.run(code.entry, &mut state), HostExit { reason, next_pc: pc, arg });
    }
}

#[test]
fn exit_if_leaves_early_only_when_its_condition_holds() {
    let mut h = Harness::new(HostFeatures::detect());
    for taken in [false, true] {
        let mut b = Builder::new();
        let x = b.load_state(StateOffset(32), Width::W64);
        let c = b.cmp_imm(CmpOp::Eq, x, 7, Width::W64);
        let before = b.constant(1);
        b.store_state(StateOffset(40), before, Width::W64);
        b.exit_if(c, Exit::Trap { kind: TrapKind::Breakpoint, pc: GuestAddr(0x1234), message: None });
        let after = b.constant(2);
        b.store_state(StateOffset(48), after, Width::W64);
        let cj = b.cmp_imm(CmpOp::Eq, x, 8, Width::W64);
        b.exit_if(cj, Exit::Jump(GuestAddr(0x9999)));
        let block = b.finish(GuestAddr(0x1000), 4, 1, Exit::Return(x));
        let mut state = vec![0u64; 7];
        state[4] = if taken { 7 } else { 3 };
        let exit = check_against_interp(&mut h, &block, &state, &mut []);
        assert_eq!(exit.reason, if taken { ExitReason::Trap } else { ExitReason::Lookup });
        state[4] = 8;
        let exit = check_against_interp(&mut h, &block, &state, &mut []);
        assert_eq!((exit.reason, exit.next_pc), (ExitReason::Chain, 0x9999));
    }
}

#[test]
fn chained_blocks_run_through_without_the_dispatcher() {
    let mut h = Harness::new(HostFeatures::detect());
    // Block A: counter += 1; Branch(counter < 10, A, B).
    let a_pc = GuestAddr(0x1000);
    let b_pc = GuestAddr(0x2000);
    let mut b = Builder::new();
    let n = b.load_state(StateOffset(32), Width::W64);
    let n1 = b.bin_imm(BinOp::Add, n, 1, Width::W64);
    b.store_state(StateOffset(32), n1, Width::W64);
    let more = b.cmp_imm(CmpOp::Ult, n1, 10, Width::W64);
    let block_a = b.finish(a_pc, 4, 1, Exit::Branch { cond: more, taken: a_pc, not_taken: b_pc });
    // Block B: state[40] = counter * 3; Jump(A) (left unlinked) .. then Syscall.
    let mut b = Builder::new();
    let n = b.load_state(StateOffset(32), Width::W64);
    let three = b.constant(3);
    let m = b.bin(BinOp::Mul, n, three, Width::W64);
    b.store_state(StateOffset(40), m, Width::W64);
    let block_b = b.finish(b_pc, 4, 1, Exit::Syscall { next: GuestAddr(0x3000) });

    let ca = h.compile(&block_a);
    let cb = h.compile(&block_b);
    let mut state = vec![0u64; 6];

    // First run: A leaves through its taken side's stub, naming its site.
    let exit = h.run(ca.entry, &mut state);
    assert_eq!((exit.reason, exit.next_pc, state[4]), (ExitReason::Chain, a_pc.0, 1));
    let taken_site = ChainSite(exit.arg as usize);
    h.backend.link(&mut h.cache, taken_site, ca.entry);
    // Now A loops on itself until the counter reaches 10, then leaves by its other side.
    let exit = h.run(ca.entry, &mut state);
    assert_eq!((exit.reason, exit.next_pc, state[4]), (ExitReason::Chain, b_pc.0, 10));
    let not_taken_site = ChainSite(exit.arg as usize);
    assert_ne!(taken_site, not_taken_site);
    h.backend.link(&mut h.cache, not_taken_site, cb.entry);
    // Both sides linked: one entry runs A to 10 and then B, which returns for its syscall.
    state[4] = 0;
    let exit = h.run(ca.entry, &mut state);
    assert_eq!((exit.reason, exit.next_pc), (ExitReason::Syscall, 0x3000));
    assert_eq!((state[4], state[5]), (10, 30));
}

#[test]
fn blocks_with_more_live_temps_than_the_spill_area() {
    // 400 live constants: more than the 256 slots of the fixed frame, so the block extends
    // its frame; a helper call in the middle checks the stack is still aligned.
    let mut h = Harness::new(HostFeatures::detect());
    for exit_kind in 0..3 {
        let mut b = Builder::new();
        let vals: Vec<_> = (0..400u64).map(|i| b.constant(i * i + 1)).collect();
        let r = b.call(RECORD_ARGS, &[vals[0], vals[399]]);
        let mut sum = r;
        for &v in &vals {
            sum = b.bin(BinOp::Add, sum, v, Width::W64);
        }
        b.store_state(StateOffset(80), sum, Width::W64);
        let exit = match exit_kind {
            0 => Exit::Jump(GuestAddr(0x4000)),
            1 => Exit::Indirect(sum),
            _ => Exit::Branch { cond: sum, taken: GuestAddr(0x10), not_taken: GuestAddr(0x20) },
        };
        let block = b.finish(GuestAddr(0x1000), 4, 1, exit);
        check_against_interp(&mut h, &block, &[0u64; 11], &mut []);
        // The trampoline's frame is intact after the block: running it again works.
        let code = h.compile(&block);
        let mut state = vec![0u64; 11];
        h.run(code.entry, &mut state);
        assert_eq!(state[8], 1, "stack aligned at the helper call");
    }
}

#[test]
fn indirect_exits_to_translated_blocks_skip_the_dispatcher() {
    let mut h = Harness::new(HostFeatures::detect());
    // Block A at 0x40_1000: state[32] += 1, then a syscall exit.
    let a_pc = GuestAddr(0x40_1000);
    let mut b = Builder::new();
    let n = b.load_state(StateOffset(32), Width::W64);
    let n = b.bin_imm(BinOp::Add, n, 1, Width::W64);
    b.store_state(StateOffset(32), n, Width::W64);
    let block_a = b.finish(a_pc, 4, 1, Exit::Syscall { next: GuestAddr(0x40_2000) });
    // Block B: returns to the address in state[40].
    let mut b = Builder::new();
    let target = b.load_state(StateOffset(40), Width::W64);
    let block_b = b.finish(GuestAddr(0x50_0000), 4, 1, Exit::Return(target));

    let code_b = h.compile(&block_b);
    let mut state = vec![0u64; 6];
    state[5] = a_pc.0;
    // A not translated yet: the return goes to the dispatcher.
    let exit = h.run(code_b.entry, &mut state);
    assert_eq!((exit.reason, exit.next_pc, state[4]), (ExitReason::Lookup, a_pc.0, 0));
    // A translated and in the jump table (the dispatcher enters every block it compiles):
    // the same return runs A without leaving translated code.
    let code_a = h.compile(&block_a);
    h.cache.jump_table_mut().insert(a_pc, code_a.entry);
    let exit = h.run(code_b.entry, &mut state);
    assert_eq!((exit.reason, exit.next_pc, state[4]), (ExitReason::Syscall, 0x40_2000, 1));
    // An address sharing A's bucket but not A's misses; so does guest address 0.
    for miss in [a_pc.0 ^ (1 << 40), 0] {
        state[5] = miss;
        let exit = h.run(code_b.entry, &mut state);
        assert_eq!((exit.reason, exit.next_pc, state[4]), (ExitReason::Lookup, miss, 1));
    }
    // After a flush the table is empty again.
    h.cache.flush();
    h.backend.reset(&mut h.cache).unwrap();
    let code_b = h.compile(&block_b);
    state[5] = a_pc.0;
    let exit = h.run(code_b.entry, &mut state);
    assert_eq!((exit.reason, exit.next_pc, state[4]), (ExitReason::Lookup, a_pc.0, 1));
}

#[test]
fn host_len_is_the_bytes_emitted() {
    let mut h = Harness::new(HostFeatures::detect());
    let mut b = Builder::new();
    let x = b.constant(5);
    let block = b.finish(GuestAddr(0x1000), 4, 1, Exit::Return(x));
    let before = h.cache.used();
    let c = h.compile(&block);
    assert_eq!(c.entry.0, h.cache.exec_range().start + before);
    // The cache rounds each allocation up to 16 bytes.
    assert_eq!(h.cache.used(), before + ((c.host_len + 15) & !15));
    assert!(h.backend.fixed_code_len() > 0);
}

#[test]
fn reset_after_flush_emits_the_fixed_code_again() {
    let mut h = Harness::new(HostFeatures::detect());
    h.cache.flush();
    h.backend.reset(&mut h.cache).unwrap();
    let mut b = Builder::new();
    let x = b.constant(0x77);
    let block = b.finish(GuestAddr(0x1000), 4, 1, Exit::Return(x));
    let c = h.compile(&block);
    let mut state = vec![0u64; 4];
    assert_eq!(h.run(c.entry, &mut state).next_pc, 0x77);
}

#[test]
fn a_full_cache_reports_cache_full() {
    let mut cache = CodeCache::new(4096).unwrap();
    let mut backend = X86_64Backend::new(&mut cache).unwrap();
    let mut b = Builder::new();
    let mut x = b.constant(1);
    for _ in 0..4000 {
        x = b.bin_imm(BinOp::Add, x, 1, Width::W64);
    }
    let block = b.finish(GuestAddr(0x1000), 4, 1, Exit::Return(x));
    assert!(matches!(backend.compile(&block, &mut cache), Err(CompileError::CacheFull)));
}

/// Random blocks: the backend must agree with the interpreter on all of them.
fn random_blocks(seed: u64, count: usize) {
    let mut mem = vec![0u64; 32];
    let layout = Layout {
        state_len: 256,
        mem_base: mem.as_mut_ptr() as u64,
        mem_len: 256,
        max_ops: 40,
        helpers: vec![testgen::MIX_HELPER, RECORD_ARGS],
    };
    let mut rng = Rng::new(seed);
    for config in configs() {
        let mut h = Harness::with_config(config);
        for _ in 0..count {
            let block = testgen::random_block(&mut rng, &layout);
            let mut state: Vec<u64> = (0..32).map(|_| rng.interesting()).collect();
            state[..4].fill(0);
            for m in mem.iter_mut() {
                *m = rng.interesting();
            }
            check_against_interp(&mut h, &block, &state, &mut mem);
        }
    }
}

#[test]
fn random_blocks_match_interp() {
    // Override the count with XLATE_RANDOM_BLOCKS for longer runs.
    let count = std::env::var("XLATE_RANDOM_BLOCKS").ok().and_then(|s| s.parse().ok()).unwrap_or(2000);
    random_blocks(0x5eed_0001, count);
}

/// Prints a block's IR and its host code (for looking at codegen; see
/// `guest::tests::show_frontend_block_code`).
pub(crate) fn show(block: &Block) {
    println!("{block}");
    let mut h = Harness::new(HostFeatures::detect());
    let c = h.compile(block);
    println!("{}", listing(h.cache.bytes(c.entry, c.host_len), c.entry.0 as u64));
    println!("host bytes {} for {} guest insns", c.host_len, block.guest_insns);
}

/// The host code of a small block, pinned (the guide's codegen golden test: the oracle is
/// review; a codegen change shows up here as a diff). Offsets are from the block start;
/// jumps into the fixed code show as offsets below it.
#[test]
fn codegen_listing_of_a_small_block() {
    let mut b = Builder::new();
    let x = b.load_state(StateOffset(32), Width::W64);
    let y = b.bin_imm(BinOp::Add, x, 1, Width::W32);
    b.store_state(StateOffset(40), y, Width::W8);
    let c = b.cmp_imm(CmpOp::Ult, y, 10, Width::W32);
    let block = b.finish(
        GuestAddr(0x1000),
        4,
        1,
        Exit::Branch { cond: c, taken: GuestAddr(0x2000), not_taken: GuestAddr(0x3000) },
    );
    let mut h = Harness::new(HostFeatures::detect());
    let c = h.compile(&block);
    let text = listing(h.cache.bytes(c.entry, c.host_len), 0);
    let want = "\
0000: mov rbx,[r15+0x20]
0007: add ebx,1
000b: mov [r15+0x28],bl
0012: cmp ebx,0xA
0019: jb 0x0000000000000024
001f: jmp 0x0000000000000036
0024: mov eax,0x2000
002a: lea rcx,[0x19]
0031: jmp 0xFFFFFFFFFFFFFF25
0036: mov eax,0x3000
003c: lea rcx,[0x1F]
0043: jmp 0xFFFFFFFFFFFFFF25
";
    assert_eq!(text, want, "\n{text}");
}

/// Two threads, each running its own compiled loop (a block chained to itself), hammer the
/// same memory: `lock xadd` increments and a compare-exchange increment whose successes each
/// thread counts. Without real atomics increments get lost (or a compare-exchange succeeds
/// on a value another thread already replaced), and the totals stop adding up. This can only
/// catch a missing `lock` when the two threads really run at once: on a machine whose cores
/// are all busy (seen here with the load far above the core count) they may not, and a
/// dropped prefix went unnoticed; the single-threaded tests check the values either way.
#[test]
fn atomics_are_atomic_across_threads() {
    use std::sync::atomic::{AtomicU64, Ordering};
    const ITERATIONS: u64 = 1_000_000;
    let start = std::sync::Barrier::new(2);
    let counters = [AtomicU64::new(0), AtomicU64::new(0)];
    let xadd_addr = counters[0].as_ptr() as u64;
    let cas_addr = counters[1].as_ptr() as u64;

    let run_thread = || -> u64 {
        let mut h = Harness::new(HostFeatures::detect());
        let pc = GuestAddr(0x1000);
        let mut b = Builder::new();
        // The lock xadd path.
        let addr = b.constant(xadd_addr);
        let one = b.constant(1);
        b.atomic_rmw(RmwOp::Add, addr, one, Width::W64);
        // The compare-exchange path: successes counted in state[40].
        let addr = b.constant(cas_addr);
        let old = b.load(addr, Width::W64);
        let new = b.bin_imm(BinOp::Add, old, 1, Width::W64);
        let seen = b.compare_exchange(addr, old, new, Width::W64);
        let ok = b.cmp(CmpOp::Eq, seen, old, Width::W64);
        let wins = b.load_state(StateOffset(40), Width::W64);
        let wins = b.bin(BinOp::Add, wins, ok, Width::W64);
        b.store_state(StateOffset(40), wins, Width::W64);
        // Loop counter in state[32].
        let n = b.load_state(StateOffset(32), Width::W64);
        let n = b.bin_imm(BinOp::Add, n, 1, Width::W64);
        b.store_state(StateOffset(32), n, Width::W64);
        let more = b.cmp_imm(CmpOp::Ult, n, ITERATIONS, Width::W64);
        let block = b.finish(pc, 4, 1, Exit::Branch { cond: more, taken: pc, not_taken: GuestAddr(0x2000) });
        let code = h.compile(&block);
        let mut state = vec![0u64; 6];
        let exit = h.run(code.entry, &mut state);
        assert_eq!(exit.next_pc, pc.0);
        h.backend.link(&mut h.cache, ChainSite(exit.arg as usize), code.entry);
        // Both threads compiled and linked: run the loops at the same time.
        start.wait();
        let exit = h.run(code.entry, &mut state);
        assert_eq!((exit.reason, exit.next_pc, state[4]), (ExitReason::Chain, 0x2000, ITERATIONS));
        state[5]
    };
    let wins: u64 = std::thread::scope(|s| {
        let a = s.spawn(run_thread);
        let b = s.spawn(run_thread);
        a.join().unwrap() + b.join().unwrap()
    });
    assert_eq!(counters[0].load(Ordering::SeqCst), 2 * ITERATIONS);
    assert_eq!(counters[1].load(Ordering::SeqCst), wins);
}

/// The suite every host backend passes (random blocks, linking, the jump table).
#[test]
fn shared_conformance_suite() {
    crate::backend::conformance::run_all::<X86_64Backend>();
}

/// Every lane op and width on edge operands and shift counts.
#[test]
fn lane_ops_match_the_interpreter() {
    crate::backend::conformance::lane_ops_match_the_interpreter::<X86_64Backend>();
}

/// Every floating-point compare and conversion on special operands under random MXCSR values.
#[test]
fn fp_compares_and_conversions_match_the_interpreter() {
    crate::backend::conformance::fp_compares_and_conversions_match_the_interpreter::<X86_64Backend>();
}

/// Every fused multiply-add form on special and cancelling operands under random MXCSR and
/// FPCR values (the `X86Sse` ones on this host's FMA unit when it has one).
#[test]
fn fma_ops_match_the_interpreter() {
    crate::backend::conformance_fma::fma_ops_match_the_interpreter::<X86_64Backend>();
}

/// Fused multiply-adds under every feature set and register count: with FMA the instruction
/// (and the `A64` rule's checks), without it the reference call for everything, against the
/// interpreter. Operands are both constants and state loads, the control registers too.
#[test]
fn fused_multiply_adds_match_interp_with_and_without_fma() {
    use crate::ir::{FmaNeg, FpPrec, FpResult, FpRule};
    let mut rng = Rng::new(0xf3a);
    for config in configs() {
        let mut h = Harness::with_config(config);
        for (rule, prec) in [FpRule::X86Sse, FpRule::A64]
            .into_iter()
            .flat_map(|r| [(r, FpPrec::F32), (r, FpPrec::F64)])
            .chain([(FpRule::A64, FpPrec::F16)])
        {
            for round in 0..6 {
                let ctrl = match rule {
                    FpRule::X86Sse if round == 0 => 0x1f80,
                    FpRule::X86Sse => rng.mxcsr(),
                    FpRule::A64 if round == 0 => 0,
                    FpRule::A64 => rng.fpcr(),
                };
                let triples: Vec<[u64; 3]> =
                    (0..4).map(|_| [rng.float(prec), rng.float(prec), rng.float(prec)]).collect();
                let mut b = Builder::new();
                let inputs_at = header::SIZE;
                let results_at = inputs_at + 8 * 13;
                let mut state = vec![0u64; (results_at as usize) / 8 + 4 * 8];
                state[(inputs_at / 8) as usize + 12] = ctrl;
                let c = if round % 2 == 0 {
                    b.constant(ctrl)
                } else {
                    b.load_state(StateOffset(inputs_at + 8 * 12), Width::W64)
                };
                let mut out = 0;
                for (i, t) in triples.iter().enumerate() {
                    let ops: Vec<crate::ir::Temp> = (0..3)
                        .map(|k| {
                            let slot = (3 * i + k) as u32;
                            state[(inputs_at / 8 + slot) as usize] = t[k];
                            if (i + k) % 3 == 0 {
                                b.constant(t[k])
                            } else {
                                b.load_state(StateOffset(inputs_at + 8 * slot), Width::W64)
                            }
                        })
                        .collect();
                    for neg in [FmaNeg::ALL[i % 4], FmaNeg::ALL[(i + 1) % 4]] {
                        for result in [FpResult::Value, FpResult::Flags] {
                            let r = b.fp_fma(prec, rule, result, neg, ops[0], ops[1], ops[2], c);
                            b.store_state(StateOffset(results_at + 8 * out), r, Width::W64);
                            out += 1;
                        }
                    }
                }
                let block = b.finish(GuestAddr(0x1000), 4, 1, Exit::Syscall { next: GuestAddr(0x1004) });
                check_against_interp(&mut h, &block, &state, &mut []);
            }
        }
    }
}

#[test]
fn vector_ops_match_the_interpreter() {
    crate::backend::conformance_vector::vector_ops_match_the_interpreter::<X86_64Backend>();
}

#[test]
fn page_crossing_stores_match_the_interpreter() {
    crate::backend::conformance_probe::page_crossing_stores_match_the_interpreter::<X86_64Backend>();
}

/// Test inputs in the state's 64-bit words from `at` on, round robin over `slots` of them: the
/// closure stores a value in the next slot of `state` and loads it in the block.
fn state_inputs(state: &mut [u64], at: u32, slots: u32) -> impl FnMut(&mut Builder, u64) -> Temp + '_ {
    let mut next = 0;
    move |b: &mut Builder, value: u64| {
        let slot = next % slots;
        next += 1;
        state[(at / 8 + slot) as usize] = value;
        b.load_state(StateOffset(at + 8 * slot), Width::W64)
    }
}

/// Result stores to the state's 64-bit words from `at` on, round robin over `slots` of them.
fn state_results(at: u32, slots: u32) -> impl FnMut(&mut Builder, Temp) {
    let mut out = 0;
    move |b: &mut Builder, t: Temp| {
        b.store_state(StateOffset(at + 8 * (out % slots)), t, Width::W64);
        out += 1;
    }
}

mod mxcsr_region;
mod mxcsr_run;
