//! Random IR blocks from a seed, for differential tests of backends against the interpreter
//! (and of IR passes against the unoptimised block).
//!
//! A block only touches the state bytes and the memory buffer its [`Layout`] names, reads
//! only defined temporaries, and exercises every op, width and exit kind, with operand values
//! biased towards edge cases (0, 1, all-ones, sign bits, shift counts at and past the width).

use super::*;
use crate::ir::protocol::header;
use crate::ir::vector::{has_vlane, has_vshift};

/// A small deterministic PRNG (xorshift64*), so test cases are the same on every host.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A value in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
    /// A value biased towards the edges of the integer widths.
    pub fn interesting(&mut self) -> u64 {
        const EDGES: [u64; 14] =
            [0, 1, 2, 7, 8, 31, 32, 63, 64, 0x7f, 0x80, 0xffff, 0x8000_0000, 0x7fff_ffff_ffff_ffff];
        match self.below(4) {
            0 => self.pick(&EDGES),
            1 => self.pick(&EDGES).wrapping_neg(),
            _ => self.next_u64(),
        }
    }
}

impl Rng {
    /// Floating-point bits biased towards the special classes: zeros, infinities, quiet and
    /// signalling NaNs, denormals, the extremes, values near 1, and random bits.
    pub fn float(&mut self, prec: FpPrec) -> u64 {
        const F64: [u64; 16] = [
            0,
            0x8000_0000_0000_0000,
            0x3ff0_0000_0000_0000,
            0xbff0_0000_0000_0000,
            0x7ff0_0000_0000_0000,
            0xfff0_0000_0000_0000,
            0x7ff8_0000_0000_0001,
            0xfff0_0000_0000_0002,
            0x0000_0000_0000_0001,
            0x800f_ffff_ffff_ffff,
            0x7fef_ffff_ffff_ffff,
            0x0010_0000_0000_0000,
            // The ends of the AArch64 backend's fast path (biased exponents 2 and 0x7fd),
            // and values whose products land near underflow and overflow.
            0x0020_0000_0000_0000,
            0x7fdf_ffff_ffff_ffff,
            0x1ff0_0000_0000_0001,
            0x5fe0_0000_0000_0000,
        ];
        const F32: [u64; 16] = [
            0,
            0x8000_0000,
            0x3f80_0000,
            0xbf80_0000,
            0x7f80_0000,
            0xff80_0000,
            0x7fc0_0001,
            0xff80_0002,
            0x0000_0001,
            0x807f_ffff,
            0x7f7f_ffff,
            0x0080_0000,
            0x0100_0000,
            0x7eff_ffff,
            0x1f80_0001,
            0x5f00_0000,
        ];
        const F16: [u64; 16] = [
            0, 0x8000, 0x3c00, 0xbc00, 0x7c00, 0xfc00, 0x7e01, 0xfc02, 0x0001, 0x83ff, 0x7bff, 0x0400,
            0x0800, 0x77ff, 0x1401, 0x5bff,
        ];
        let (edges, random) = match prec {
            FpPrec::F64 => (&F64, self.next_u64()),
            FpPrec::F32 => (&F32, self.next_u64() & 0xffff_ffff),
            FpPrec::F16 => (&F16, self.next_u64() & 0xffff),
        };
        match self.below(3) {
            0 => self.pick(edges),
            // Near the edges (1 + ulp, denormal neighbours, ...), so results round.
            1 => {
                self.pick(edges).wrapping_add(self.below(3)).wrapping_sub(1)
                    & match prec {
                        FpPrec::F16 => 0xffff,
                        FpPrec::F32 => 0xffff_ffff,
                        FpPrec::F64 => u64::MAX,
                    }
            }
            _ => random,
        }
    }

    /// An x86 MXCSR: usually the default, sometimes with another rounding mode, DAZ, FTZ,
    /// unmasked exceptions or flags already set.
    pub fn mxcsr(&mut self) -> u64 {
        match self.below(4) {
            0 | 1 => 0x1f80,
            2 => 0x1f80 | self.below(4) << 13 | self.below(2) << 6 | self.below(2) << 15 | self.below(64),
            _ => self.next_u64() & 0xffff,
        }
    }
    /// An A64 FPCR: mostly the default, else random modes (RMode, FZ, DN) or random bits.
    pub fn fpcr(&mut self) -> u64 {
        match self.below(4) {
            0 | 1 => 0,
            2 => self.below(4) << 22 | self.below(2) << 24 | self.below(2) << 25 | self.below(2) << 19,
            _ => self.next_u64() & 0xffff_ffff,
        }
    }
}

/// What a random block may touch.
#[derive(Clone, Debug)]
pub struct Layout {
    /// Size of the state buffer; state ops use offsets in `header::SIZE .. state_len`.
    pub state_len: u32,
    /// Guest memory buffer the block may load from and store to (8-byte aligned).
    pub mem_base: u64,
    pub mem_len: u64,
    /// Maximum number of ops (before the exit).
    pub max_ops: usize,
    /// Helpers the block may call.
    pub helpers: Vec<Helper>,
}

impl Default for Layout {
    fn default() -> Self {
        Layout { state_len: 256, mem_base: 0x1000, mem_len: 256, max_ops: 40, helpers: vec![MIX_HELPER] }
    }
}

/// A helper for tests: mixes its arguments, adds the result into state bytes 32..40 and
/// returns it.
pub const MIX_HELPER: Helper = Helper { name: "test_mix", func: test_mix, touches_memory: false };

extern "C" fn test_mix(state: *mut u8, a0: u64, a1: u64, a2: u64, a3: u64) -> u64 {
    let r = a0.rotate_left(7) ^ a1.wrapping_mul(3) ^ a2.wrapping_add(0x55) ^ a3.rotate_right(13);
    // SAFETY: test layouts always have a state buffer larger than 40 bytes, 8-byte aligned.
    unsafe {
        let p = state.add(32) as *mut u64;
        *p = p.read().wrapping_add(r);
    }
    r
}

const WIDTHS: [Width; 4] = [Width::W8, Width::W16, Width::W32, Width::W64];

/// A random, valid block within `layout`.
pub fn random_block(rng: &mut Rng, layout: &Layout) -> Block {
    let mut b = Builder::new();
    let mut temps: Vec<Temp> = Vec::new();
    let n_ops = 1 + rng.below(layout.max_ops.max(1) as u64) as usize;
    let pc = GuestAddr(0x40_0000 + 4 * rng.below(0x1000));

    // A temp, usually an existing one, sometimes a fresh interesting constant.
    fn operand(b: &mut Builder, rng: &mut Rng, temps: &mut Vec<Temp>) -> Temp {
        if temps.is_empty() || rng.below(4) == 0 {
            let t = b.constant(rng.interesting());
            temps.push(t);
            t
        } else {
            rng.pick(temps)
        }
    }
    fn state_offset(rng: &mut Rng, layout: &Layout, w: Width) -> StateOffset {
        let lo = header::SIZE as u64;
        let span = layout.state_len as u64 - lo - w.bytes() as u64;
        StateOffset((lo + rng.below(span + 1)) as u32)
    }
    /// An address in the buffer; `aligned` for atomics, which AArch64 hosts cannot do
    /// unaligned.
    fn address(b: &mut Builder, rng: &mut Rng, layout: &Layout, w: Width, aligned: bool) -> Temp {
        let mut off = rng.below(layout.mem_len - w.bytes() as u64 + 1);
        if aligned {
            off &= !(w.bytes() as u64 - 1);
        }
        b.constant(layout.mem_base + off)
    }

    b.guest_insn(pc, 4);
    while b.len() < n_ops {
        let w = rng.pick(&WIDTHS);
        let made = match rng.below(16) {
            0 => Some(b.constant(rng.interesting())),
            1 => Some(b.load_state(state_offset(rng, layout, w), w)),
            2 => {
                let src = operand(&mut b, rng, &mut temps);
                b.store_state(state_offset(rng, layout, w), src, w);
                None
            }
            // Every order: the backends emit other instructions for each (SeqCst ones need
            // an aligned address, as the guest instructions that ask for them do).
            // The order comes from the op count, not the generator, so that the random blocks
            // stay the ones every backend has long passed.
            3 => {
                let order = [MemOrder::Plain, MemOrder::Acquire, MemOrder::SeqCst][b.len() % 3];
                let a = address(&mut b, rng, layout, w, order == MemOrder::SeqCst);
                Some(b.load_ordered(a, w, order))
            }
            4 => {
                let order = [MemOrder::Plain, MemOrder::Release, MemOrder::SeqCst][b.len() % 3];
                let a = address(&mut b, rng, layout, w, order == MemOrder::SeqCst);
                let src = operand(&mut b, rng, &mut temps);
                b.store_ordered(a, src, w, order);
                None
            }
            5..=7 => {
                let x = operand(&mut b, rng, &mut temps);
                let y = operand(&mut b, rng, &mut temps);
                Some(b.bin(rng.pick(&BinOp::ALL), x, y, w))
            }
            8 => {
                let x = operand(&mut b, rng, &mut temps);
                Some(b.un(rng.pick(&UnOp::ALL), x, w))
            }
            9 => {
                let x = operand(&mut b, rng, &mut temps);
                Some(b.ext(x, w, rng.below(2) == 1))
            }
            10 => {
                let x = operand(&mut b, rng, &mut temps);
                let y = operand(&mut b, rng, &mut temps);
                Some(b.cmp(rng.pick(&CmpOp::ALL), x, y, w))
            }
            11 => {
                let c = operand(&mut b, rng, &mut temps);
                let x = operand(&mut b, rng, &mut temps);
                let y = operand(&mut b, rng, &mut temps);
                Some(b.select(c, x, y))
            }
            12 => {
                let a = address(&mut b, rng, layout, w, true);
                let x = operand(&mut b, rng, &mut temps);
                if rng.below(2) == 0 {
                    Some(b.atomic_rmw(rng.pick(&RmwOp::ALL), a, x, w))
                } else {
                    // Expect the current value half of the time so that the exchange happens.
                    let expected = if rng.below(2) == 0 { b.load(a, w) } else { x };
                    let new = operand(&mut b, rng, &mut temps);
                    Some(b.compare_exchange(a, expected, new, w))
                }
            }
            15 => {
                let op = rng.pick(&LaneOp::ALL);
                let lane = rng.pick(op.lanes());
                let x = operand(&mut b, rng, &mut temps);
                // Shift counts mostly within the lane, sometimes at or past its width.
                let y = if matches!(op, LaneOp::Shl | LaneOp::Lshr | LaneOp::Ashr) && rng.below(2) == 0 {
                    b.constant(rng.below(lane.bits() as u64 + 2))
                } else {
                    operand(&mut b, rng, &mut temps)
                };
                Some(b.lanes(op, lane, x, y))
            }
            14 => {
                let op = rng.pick(&FpOp::ALL);
                // Half precision is A64's only: its ops take the last arm.
                let prec = rng.pick(&[FpPrec::F32, FpPrec::F64, FpPrec::F16]);
                let result = rng.pick(&[FpResult::Value, FpResult::Flags]);
                let x = if rng.below(3) == 0 {
                    operand(&mut b, rng, &mut temps)
                } else {
                    b.constant(rng.float(prec))
                };
                let y = if op == FpOp::Sqrt {
                    x
                } else if rng.below(3) == 0 {
                    operand(&mut b, rng, &mut temps)
                } else {
                    b.constant(rng.float(prec))
                };
                let ctrl = b.constant(rng.mxcsr());
                match if prec == FpPrec::F16 { 3 } else { rng.below(4) } {
                    0 => Some(b.fp_cmp(rng.pick(&FpCmpOp::ALL), prec, FpRule::X86Sse, result, x, y, ctrl)),
                    1 => {
                        let from = rng.pick(&NumFormat::ALL);
                        let to = rng.pick(&NumFormat::ALL);
                        let round = rng.pick(&[CvtRound::Ctrl, CvtRound::Zero]);
                        from.converts_to(to)
                            .then(|| b.fp_cvt(from, to, round, FpRule::X86Sse, result, x, ctrl))
                    }
                    _ => {
                        let rule = if prec == FpPrec::F16 {
                            FpRule::A64
                        } else {
                            rng.pick(&[FpRule::X86Sse, FpRule::A64])
                        };
                        let ctrl = match rule {
                            FpRule::X86Sse => ctrl,
                            FpRule::A64 => b.constant(rng.fpcr()),
                        };
                        if rng.below(4) == 0 {
                            // A fused multiply-add of x, y and a third operand.
                            let z = operand(&mut b, rng, &mut temps);
                            let neg = rng.pick(&FmaNeg::ALL);
                            Some(b.fp_fma(prec, rule, result, neg, x, y, z, ctrl))
                        } else {
                            Some(b.fp(op, prec, rule, result, x, y, ctrl))
                        }
                    }
                }
            }
            _ => match rng.below(4) {
                0 if !layout.helpers.is_empty() => {
                    let h = rng.pick(&layout.helpers);
                    let argc = rng.below(5) as usize;
                    let args: Vec<Temp> = (0..argc).map(|_| operand(&mut b, rng, &mut temps)).collect();
                    Some(b.call(h, &args))
                }
                1 => {
                    b.fence();
                    None
                }
                2 => {
                    // A side exit that fires rarely: on a comparison with a random constant.
                    let x = operand(&mut b, rng, &mut temps);
                    let c = b.cmp_imm(CmpOp::Eq, x, rng.below(3), Width::W8);
                    let exit = random_exit(rng, &mut b, &temps, pc, false);
                    b.exit_if(c, exit);
                    None
                }
                _ => {
                    b.guest_insn(GuestAddr(pc.0 + 4), 4);
                    None
                }
            },
        };
        if let Some(t) = made {
            temps.push(t);
        }
    }
    // A write probe in a quarter of the blocks, chosen by the op count so that the random
    // generator's sequence (and the blocks before this op was added) stay as they were.
    if b.len().is_multiple_of(4) && layout.mem_len >= 16 {
        let off = (b.len() as u64 * 8) % (layout.mem_len - 15);
        let a = b.constant(layout.mem_base + off);
        b.probe_write(a, 16);
    }
    let exit = random_exit(rng, &mut b, &temps, pc, true);
    b.finish(pc, 8, 2, exit)
}

/// Random [`Block::dead_on_entry`] sets for `block`'s known targets: each target, at random,
/// gets a random subset of the 16 state bytes from `header::SIZE` on (the stand-in for a
/// guest's flags), as a frontend's lookahead would record. `liveness::dead_on_entry`'s
/// checker then compares the optimised block with the original on every other byte.
pub fn random_dead_on_entry(rng: &mut Rng, block: &mut Block) {
    for &target in liveness::block_targets(block).iter() {
        if rng.below(4) == 0 {
            continue;
        }
        let mask = rng.next_u64();
        let bytes =
            (0..16u32).filter(|i| mask >> i & 1 == 1).map(|i| StateOffset(header::SIZE + i)).collect();
        liveness::record(block, target, bytes);
    }
}

/// Constants at the edges of the hosts' immediate fields: 12-bit and shifted 12-bit values
/// and their negations, bitmask patterns and near misses, shift counts, width masks.
const IMMEDIATE_EDGES: [u64; 30] = [
    0,
    1,
    2,
    7,
    31,
    63,
    64,
    0x7f,
    0x80,
    0xfe,
    0xff,
    0xfff,
    0x1000,
    0x1001,
    0xfff000,
    0xffff,
    0x8000,
    0xff00,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_fff0,
    0xffff_ffff,
    0x1_0000_0000,
    0x5555_5555_5555_5555,
    0x0f0f_0f0f_0f0f_0f0f,
    0x8000_0000_0000_0000,
    0x7fff_ffff_ffff_ffff,
    u64::MAX,
    u64::MAX - 1,
    0u64.wrapping_sub(0x1000),
];

/// A random block made of the shapes backends compile specially: ops with a constant
/// operand on either side (immediate forms), comparisons and single-bit tests that only the
/// next exit reads (compare-and-branch), parity (`and (popcnt x), 1`), loads and stores at
/// `base + constant` and `base + (index << scale)`, and narrow ops on values that are
/// already zero-extended.
pub fn shaped_block(rng: &mut Rng, layout: &Layout) -> Block {
    let mut b = Builder::new();
    let pc = GuestAddr(0x40_0000 + 4 * rng.below(0x1000));
    let at = |rng: &mut Rng, w: Width| {
        let lo = header::SIZE as u64;
        StateOffset((lo + rng.below(layout.state_len as u64 - lo - w.bytes() as u64 + 1)) as u32)
    };
    let imm = |rng: &mut Rng| match rng.below(4) {
        0 => rng.pick(&IMMEDIATE_EDGES).wrapping_neg(),
        1 => rng.interesting(),
        _ => rng.pick(&IMMEDIATE_EDGES),
    };
    b.guest_insn(pc, 4);
    // Values in registers: state words, and narrow loads (already clean).
    let mut temps: Vec<Temp> = Vec::new();
    for _ in 0..3 {
        let w = rng.pick(&WIDTHS);
        temps.push(b.load_state(at(rng, w), w));
    }
    let base = b.constant(layout.mem_base);
    let n_ops = 4 + rng.below(layout.max_ops.max(1) as u64) as usize;
    while b.len() < n_ops {
        let w = rng.pick(&WIDTHS);
        let x = rng.pick(&temps);
        let made = match rng.below(9) {
            0..=2 => {
                let c = b.constant(imm(rng));
                let op = rng.pick(&BinOp::ALL);
                Some(if rng.below(3) == 0 { b.bin(op, c, x, w) } else { b.bin(op, x, c, w) })
            }
            3 => {
                let y = rng.pick(&temps);
                Some(b.bin(rng.pick(&[BinOp::And, BinOp::Or, BinOp::Xor, BinOp::Add]), x, y, w))
            }
            4 => {
                let p = b.un(UnOp::Popcnt, x, w);
                Some(b.bin_imm(BinOp::And, p, 1, rng.pick(&WIDTHS)))
            }
            5 => Some(b.ext(x, w, rng.below(2) == 1)),
            6 => {
                // A memory access at base + offset or base + (index << scale), in the buffer.
                let scale = rng.below(4);
                let span = (layout.mem_len - 8) >> scale;
                let addr = if rng.below(2) == 0 {
                    let off = b.constant(rng.below(layout.mem_len - 7));
                    b.bin(BinOp::Add, base, off, Width::W64)
                } else {
                    let index = b.bin_imm(BinOp::RemU, x, span.max(1), Width::W64);
                    let shifted = b.bin_imm(BinOp::Shl, index, scale, Width::W64);
                    b.bin(BinOp::Add, base, shifted, Width::W64)
                };
                if rng.below(2) == 0 {
                    Some(b.load(addr, w))
                } else {
                    let v = rng.pick(&temps);
                    b.store(addr, v, w);
                    None
                }
            }
            7 => {
                let v = rng.pick(&temps);
                b.store_state(at(rng, w), v, w);
                None
            }
            _ => {
                // A condition only the exit right after reads: a comparison (with a constant
                // or a register) or a single-bit test.
                let cond = match rng.below(3) {
                    0 => {
                        let c = b.constant(imm(rng));
                        let op = rng.pick(&CmpOp::ALL);
                        if rng.below(3) == 0 {
                            b.cmp(op, c, x, w)
                        } else {
                            b.cmp(op, x, c, w)
                        }
                    }
                    1 => {
                        let y = rng.pick(&temps);
                        b.cmp(rng.pick(&CmpOp::ALL), x, y, w)
                    }
                    _ if rng.below(2) == 0 => {
                        b.bin_imm(BinOp::And, x, 1 << rng.below(u64::from(w.bits())), w)
                    }
                    _ => b.bin_imm(BinOp::Lshr, x, u64::from(w.bits()) - 1, w),
                };
                if rng.below(2) == 0 {
                    let target = GuestAddr(0x40_0000 + 4 * rng.below(0x1000));
                    return b.finish(
                        pc,
                        8,
                        2,
                        Exit::Branch { cond, taken: target, not_taken: GuestAddr(pc.0 + 8) },
                    );
                }
                let exit = random_exit(rng, &mut b, &temps, pc, false);
                b.exit_if(cond, exit);
                None
            }
        };
        if let Some(t) = made {
            temps.push(t);
        }
    }
    let exit = random_exit(rng, &mut b, &temps, pc, true);
    b.finish(pc, 8, 2, exit)
}

fn random_exit(rng: &mut Rng, b: &mut Builder, temps: &[Temp], pc: GuestAddr, allow_branch: bool) -> Exit {
    let target = |rng: &mut Rng| GuestAddr(0x40_0000 + 4 * rng.below(0x1000));
    let any = |rng: &mut Rng, b: &mut Builder| {
        if temps.is_empty() {
            b.constant(rng.next_u64())
        } else {
            rng.pick(temps)
        }
    };
    // `ExitIf` exits never branch: 0..7 covers every other kind, 7 is the branch.
    match rng.below(if allow_branch { 8 } else { 7 }) {
        0 | 1 => Exit::Jump(target(rng)),
        2 => Exit::Indirect(any(rng, b)),
        3 => Exit::Return(any(rng, b)),
        4 => Exit::Syscall { next: GuestAddr(pc.0 + 8) },
        6 => Exit::Invalidate { next: GuestAddr(pc.0 + 4) },
        5 => Exit::Trap {
            kind: rng.pick(&[
                TrapKind::IllegalInstruction,
                TrapKind::DivideError,
                TrapKind::Breakpoint,
                TrapKind::GeneralProtection,
                TrapKind::MisalignedPc,
                TrapKind::MisalignedData,
                TrapKind::CodeFetch,
            ]),
            pc,
            message: None,
        },
        _ => Exit::Branch { cond: any(rng, b), taken: target(rng), not_taken: target(rng) },
    }
}

/// Every (op, lane) for which `exists` (`has_vlane`, `has_vshift`) holds.
fn vector_forms(exists: fn(LaneOp, Width) -> bool) -> Vec<(LaneOp, Width)> {
    LaneOp::ALL.iter().flat_map(|&op| WIDTHS.map(|w| (op, w))).filter(|&(op, w)| exists(op, w)).collect()
}

/// A random, valid block of vector ops (`ir::vector`: state and memory accesses at any
/// alignment and in every order they allow, packing and halves, every bitwise, lane-wise
/// and shift form with counts within, at and past the lane width) among scalar ops, state
/// accesses that overlap the vectors' and, in some blocks, helper calls; long blocks keep
/// more vectors live than a host has registers.
pub fn vector_block(rng: &mut Rng, layout: &Layout) -> Block {
    let (lane_forms, shift_forms) = (vector_forms(has_vlane), vector_forms(has_vshift));
    let mut b = Builder::new();
    let pc = GuestAddr(0x40_0000 + 4 * rng.below(0x1000));
    let n_ops = 4 + rng.below(60) as usize;
    let calls = rng.below(4) == 0;
    let mut scalars: Vec<Temp> = Vec::new();
    let mut vectors: Vec<Temp> = Vec::new();
    // Any offset, or (half of the time) a multiple of 8, where 64-bit fields and the halves
    // of 128-bit ones meet exactly.
    let state_offset = |rng: &mut Rng, bytes: u32| {
        let off = rng.below(u64::from(layout.state_len - header::SIZE - bytes) + 1) as u32;
        StateOffset(header::SIZE + if rng.below(2) == 0 { off & !7 } else { off })
    };
    fn scalar(b: &mut Builder, rng: &mut Rng, scalars: &[Temp]) -> Temp {
        if scalars.is_empty() || rng.below(3) == 0 {
            b.constant(rng.interesting())
        } else {
            rng.pick(scalars)
        }
    }
    b.guest_insn(pc, 4);
    while b.len() < n_ops {
        if vectors.is_empty() || rng.below(8) == 0 {
            let v = b.vload_state(state_offset(rng, 16));
            vectors.push(v);
            continue;
        }
        let v = rng.pick(&vectors);
        let w = rng.pick(&vectors);
        let made = match rng.below(12) {
            0 => {
                b.vstore_state(state_offset(rng, 16), v);
                None
            }
            1 => {
                let addr = b.constant(layout.mem_base + rng.below(layout.mem_len - 15));
                let order = rng.pick(&[MemOrder::Plain, MemOrder::Acquire]);
                let dst = b.new_temp();
                b.push(Op::VLoad { dst, addr, order });
                Some(dst)
            }
            2 => {
                let addr = b.constant(layout.mem_base + rng.below(layout.mem_len - 15));
                let order = rng.pick(&[MemOrder::Plain, MemOrder::Release]);
                b.push(Op::VStore { addr, src: v, order });
                None
            }
            3 => {
                let lo = scalar(&mut b, rng, &scalars);
                let hi = scalar(&mut b, rng, &scalars);
                Some(b.vpack(lo, hi))
            }
            4 => {
                let h = b.vhalf(v, rng.below(2) == 1);
                scalars.push(h);
                if rng.below(2) == 0 {
                    b.store_state(state_offset(rng, 8), h, Width::W64);
                }
                None
            }
            5 => Some(b.vbit(rng.pick(&VBitOp::ALL), v, w)),
            6 | 7 => {
                let (op, lane) = rng.pick(&lane_forms);
                Some(b.vlanes(op, lane, v, w))
            }
            8 => {
                let (op, lane) = rng.pick(&shift_forms);
                let count = match rng.below(4) {
                    0 => rng.pick(&[0, 255, lane.bits() as u8, lane.bits() as u8 + 1]),
                    _ => rng.below(u64::from(lane.bits())) as u8,
                };
                Some(b.vshift(op, lane, v, count))
            }
            9 if rng.below(2) == 0 => {
                let x = scalar(&mut b, rng, &scalars);
                b.store_state(state_offset(rng, 8), x, Width::W64);
                scalars.push(b.load_state(state_offset(rng, 8), Width::W64));
                None
            }
            9 if calls => {
                let x = scalar(&mut b, rng, &scalars);
                scalars.push(b.call(MIX_HELPER, &[x]));
                None
            }
            _ => {
                let x = scalar(&mut b, rng, &scalars);
                let y = scalar(&mut b, rng, &scalars);
                scalars.push(b.bin(BinOp::Add, x, y, Width::W64));
                None
            }
        };
        vectors.extend(made);
    }
    // Every vector made last is observed.
    for &v in vectors.iter().rev().take(4) {
        b.vstore_state(state_offset(rng, 16), v);
    }
    b.finish(pc, 4, 1, Exit::Jump(GuestAddr(pc.0 + 4)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_blocks_verify_and_run() {
        let layout = Layout::default();
        let mut rng = Rng::new(1);
        let mut mem = vec![0u64; layout.mem_len as usize / 8];
        let layout = Layout { mem_base: mem.as_mut_ptr() as u64, ..layout };
        for i in 0..4000 {
            let block =
                if i % 2 == 0 { random_block(&mut rng, &layout) } else { shaped_block(&mut rng, &layout) };
            verify(&block).unwrap();
            let mut state = vec![0u64; layout.state_len as usize / 8];
            // SAFETY: the block touches only the state buffer and `mem`, both live and large
            // enough per `layout`.
            unsafe { interp::run_block(&block, state.as_mut_ptr() as *mut u8) };
        }
    }
}
