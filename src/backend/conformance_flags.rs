//! Random blocks of an add or sub and the guests' flag computations on it, for the backends
//! that read those flags from the host's own (`aarch64::nzcv`, `x86_64::eflags`): each
//! backend's test runs them against the interpreter.

use crate::ir::protocol::header;
use crate::ir::testgen::{Layout, Rng};
use crate::ir::{BinOp, Block, Builder, CmpOp, Exit, GuestAddr, StateOffset, Temp, UnOp, Width};

/// An add or sub (32 or 64 bits; operands from state words with garbage above 32 bits, or
/// edge constants) and the x86-64 and A64 flag computations on it, in a random order and
/// subset, each stored to a state byte, sometimes with an op between them that sets the
/// host flags (a comparison, another add, logic, a shift, a bit count) or that does not (an
/// extension), sometimes with a part of the overflow computation read twice, and sometimes
/// a flag as the exit's condition.
pub fn flags_block(rng: &mut Rng, _: &Layout) -> Block {
    const EDGES: [u64; 10] = [0, 1, 2, 0x7f, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 1 << 63, !0, !0 >> 1];
    let mut b = Builder::new();
    b.guest_insn(GuestAddr(0x40_1000), 3);
    let word = |rng: &mut Rng| StateOffset(header::SIZE + 8 * rng.below(8) as u32);
    let width = rng.pick(&[Width::W32, Width::W64]);
    let bits = u64::from(width.bits());
    let a = b.load_state(word(rng), Width::W64);
    let y = if rng.below(3) == 0 {
        let v = if rng.below(2) == 0 { rng.pick(&EDGES) } else { rng.interesting() };
        b.constant(v)
    } else {
        b.load_state(word(rng), Width::W64)
    };
    let kind = rng.pick(&[BinOp::Add, BinOp::Sub]);
    let r = b.bin(kind, a, y, width);
    // The overflow's and: `(a ^ r) & (y ^ r)` for an add, `(a ^ y) & (a ^ r)` for a sub.
    let overflow_and = |b: &mut Builder, rng: &mut Rng| {
        let (p, q) = if kind == BinOp::Add { ((a, r), (y, r)) } else { ((a, y), (a, r)) };
        let x1 = b.bin(BinOp::Xor, p.0, p.1, width);
        let x2 = if rng.below(2) == 0 {
            b.bin(BinOp::Xor, q.0, q.1, width)
        } else {
            b.bin(BinOp::Xor, q.1, q.0, width)
        };
        (x1, b.bin(BinOp::And, x2, x1, width))
    };
    let mut flags: Vec<Temp> = Vec::new();
    let mut order: Vec<u64> = (0..11).filter(|_| rng.below(3) != 0).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    for step in order {
        let f = match step {
            0 => {
                let zero = b.constant(0);
                let op = rng.pick(&[CmpOp::Eq, CmpOp::Ne]);
                if rng.below(2) == 0 {
                    b.cmp(op, r, zero, width)
                } else {
                    b.cmp(op, zero, r, width)
                }
            }
            1 if kind == BinOp::Add => {
                let x = if rng.below(2) == 0 { a } else { y };
                match rng.below(4) {
                    0 => b.cmp(CmpOp::Ult, r, x, width),
                    1 => b.cmp(CmpOp::Uge, r, x, width),
                    2 => b.cmp(CmpOp::Ugt, x, r, width),
                    _ => b.cmp(CmpOp::Ule, x, r, width),
                }
            }
            1 => {
                let op = rng.pick(&CmpOp::ALL);
                if rng.below(2) == 0 {
                    b.cmp(op, a, y, width)
                } else {
                    b.cmp(op, y, a, width)
                }
            }
            // x86-64's OF: the and's sign bit shifted down.
            2 => {
                let (_, m) = overflow_and(&mut b, rng);
                let shift_width = rng.pick(&[Width::W64, width]);
                b.bin_imm(BinOp::Lshr, m, bits - 1, shift_width)
            }
            // x86-64's SF.
            3 => b.bin_imm(BinOp::Lshr, r, bits - 1, rng.pick(&[Width::W64, width])),
            // x86-64's PF.
            4 => {
                let p = b.un(UnOp::Popcnt, r, Width::W8);
                let p = b.bin_imm(BinOp::And, p, 1, Width::W8);
                b.bin_imm(BinOp::Xor, p, 1, Width::W8)
            }
            // Something that sets the host flags in between.
            5 => {
                let other = b.load_state(word(rng), Width::W64);
                match rng.below(5) {
                    0 => b.cmp(rng.pick(&CmpOp::ALL), other, a, width),
                    1 => b.bin(rng.pick(&[BinOp::Add, BinOp::Sub]), other, y, width),
                    2 => b.bin(rng.pick(&[BinOp::And, BinOp::Or, BinOp::Xor]), other, a, width),
                    3 => b.bin_imm(rng.pick(&[BinOp::Shl, BinOp::Ashr]), other, rng.below(bits), width),
                    _ => b.un(rng.pick(&[UnOp::Popcnt, UnOp::Not]), other, width),
                }
            }
            // x86-64's AF.
            6 => {
                let ab = b.bin(BinOp::Xor, a, y, Width::W64);
                let ar = b.bin(BinOp::Xor, ab, r, Width::W64);
                let sh = b.bin_imm(BinOp::Lshr, ar, 4, Width::W64);
                b.bin_imm(BinOp::And, sh, 1, Width::W64)
            }
            // A64's N (or its negation), as a comparison with zero either way round.
            7 => {
                let zero = b.constant(0);
                match rng.below(4) {
                    0 => b.cmp(CmpOp::Slt, r, zero, width),
                    1 => b.cmp(CmpOp::Sge, r, zero, width),
                    2 => b.cmp(CmpOp::Sgt, zero, r, width),
                    _ => b.cmp(CmpOp::Sle, zero, r, width),
                }
            }
            // A64's V.
            8 => {
                let (_, m) = overflow_and(&mut b, rng);
                b.cmp_imm(CmpOp::Slt, m, 0, width)
            }
            // The overflow computation with one of its xors read again.
            9 => {
                let (x1, m) = overflow_and(&mut b, rng);
                b.store_state(StateOffset(header::SIZE + 80), x1, Width::W64);
                b.cmp_imm(CmpOp::Slt, m, 0, width)
            }
            // An extension (no host flags set).
            _ => {
                let e = b.ext(r, rng.pick(&[Width::W8, Width::W16, Width::W32]), rng.below(2) == 0);
                b.store_state(StateOffset(header::SIZE + 88), e, Width::W64);
                b.cmp_imm(CmpOp::Eq, r, 0, width)
            }
        };
        b.store_state(StateOffset(header::SIZE + 64 + flags.len() as u32), f, Width::W8);
        flags.push(f);
    }
    b.store_state(word(rng), r, width);
    let branch = |cond| Exit::Branch { cond, taken: GuestAddr(0x40_2000), not_taken: GuestAddr(0x40_3000) };
    let exit = match (rng.below(3), flags.last()) {
        (0, Some(&cond)) => branch(cond),
        // A comparison read only by the exit right after it (the backend may fuse them).
        (1, _) => {
            let zero = b.constant(0);
            branch(match (kind, rng.below(3)) {
                (_, 0) => b.cmp(rng.pick(&[CmpOp::Eq, CmpOp::Ne]), r, zero, width),
                (_, 1) => b.cmp(rng.pick(&[CmpOp::Slt, CmpOp::Sge]), r, zero, width),
                (BinOp::Add, _) => b.cmp(rng.pick(&[CmpOp::Ult, CmpOp::Uge]), r, a, width),
                _ => b.cmp(rng.pick(&CmpOp::ALL), a, y, width),
            })
        }
        _ => Exit::Jump(GuestAddr(0x40_1003)),
    };
    b.finish(GuestAddr(0x40_1000), 3, 1, exit)
}
