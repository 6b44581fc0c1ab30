//! Algebraic simplification: ops whose result is already at hand become that value.
//!
//! * A zero extension of a value that is already clean at the width (`ir::bits`), and a sign
//!   extension of one whose sign bit is clear, is its input. Frontends zero-extend 32-bit
//!   results and forwarded narrow state loads; most of those are already clean.
//! * `x ^ x` and `x - x` are 0; `x & x` and `x | x` are `x` (at a width holding `x`).
//! * An op with its identity constant is its input when the input fits the width: `x & m`
//!   where `m` keeps every bit `x` may have (`(x >> 63) & 1`, an and with all-ones), `x | 0`,
//!   `x ^ 0`, `x + 0`, `x - 0`, a shift or rotation by a multiple of the width; `x & 0` is 0.
//! * `c ^ 1` of a comparison `c`, when a side exit or the block's branch tests it, is the
//!   inverse comparison: the backends then branch on the comparison's flags.
//! * The or of `a < b` and `a == b` (unsigned or signed, either order; `>` likewise; the
//!   equality also as `a - b == 0` at the subtraction's width) is `a <= b` (`>=`): x86
//!   conditions made of CF and ZF (jbe, ja) become one comparison.
//!
//! Each rewrite replaces a temporary by another holding the same value, so every bound of
//! `ir::bits` stays true. It is not a pass of its own: [`super::opt::forward_and_fold`] asks
//! [`Simplifier`] of each pure op in its walk, after forwarding and folding it, and folds and
//! deduplicates the result at once (`x ^ x` is a constant its readers fold).

use super::bits::op_bits;
use super::{scratch, BinOp, Block, CmpOp, Exit, Op, Temp, Width};

/// What simplification learns of the ops a forward walk has emitted so far; the walk
/// (`ir::opt::forward_and_fold`) asks [`Simplifier::rewrite`] of each op whose operands it has
/// renamed and folded, and hands each op it emits to [`Simplifier::record`].
pub struct Simplifier {
    /// `ir::bits::op_bits` of each emitted op's result.
    bits: scratch::Lent<u8>,
    /// The comparison each `Cmp` result is: (op, a, b, width).
    compare: scratch::Lent<Option<(CmpOp, Temp, Temp, Width)>>,
    /// The subtraction each `Sub` result is: (a, b, width).
    difference: scratch::Lent<Option<(Temp, Temp, Width)>>,
    /// The temporaries a side exit or the block's branch tests (as the block names them
    /// before the walk).
    is_condition: scratch::Lent<bool>,
}

impl Simplifier {
    /// Nothing known yet of `block`'s temporaries but which ones its exits test.
    pub fn new(block: &Block) -> Self {
        let n = block.temps as usize;
        let mut is_condition = scratch::filled(n, false);
        for op in &block.ops {
            if let Op::ExitIf { cond, .. } = op {
                is_condition[cond.0 as usize] = true;
            }
        }
        if let Exit::Branch { cond, .. } = block.exit {
            is_condition[cond.0 as usize] = true;
        }
        Simplifier {
            bits: scratch::filled(n, 64u8),
            compare: scratch::filled(n, None),
            difference: scratch::filled(n, None),
            is_condition,
        }
    }

    /// What `op` (its operands renamed to the emitted ops' results) simplifies to, if
    /// anything; `constant` holds the constant temporaries.
    #[inline]
    pub fn rewrite(&self, op: &Op, constant: &[Option<u64>]) -> Option<Rewrite> {
        let facts = Facts {
            bits: &self.bits,
            constant,
            compare: &self.compare,
            difference: &self.difference,
            is_condition: &self.is_condition,
        };
        facts.rewrite(op)
    }

    /// Notes what an emitted op computes (after `constant` has its result if it is one).
    #[inline]
    pub fn record(&mut self, op: &Op, constant: &[Option<u64>]) {
        match *op {
            Op::Cmp { op, dst, a, b, width } => self.compare[dst.0 as usize] = Some((op, a, b, width)),
            Op::Bin { op: BinOp::Sub, dst, a, b, width } => {
                self.difference[dst.0 as usize] = Some((a, b, width))
            }
            _ => {}
        }
        if let Some((dst, b)) = op_bits(op, &self.bits, constant) {
            self.bits[dst.0 as usize] = b;
        }
    }
}

/// What an op simplifies to.
pub enum Rewrite {
    /// The op's result is this temporary's value.
    Same(Temp, Temp),
    /// The op becomes this one (same destination): a constant or a comparison.
    Op(Op),
}

/// What the pass knows at an op.
struct Facts<'a> {
    /// `ir::bits::value_bits` of the block.
    bits: &'a [u8],
    constant: &'a [Option<u64>],
    /// The comparison each `Cmp` result is: (op, a, b, width).
    compare: &'a [Option<(CmpOp, Temp, Temp, Width)>],
    /// The subtraction each `Sub` result is: (a, b, width).
    difference: &'a [Option<(Temp, Temp, Width)>],
    /// The temporaries a side exit or the block's branch tests.
    is_condition: &'a [bool],
}

impl Facts<'_> {
    /// How many low bits `t`'s value may occupy.
    fn bits(&self, t: Temp) -> u32 {
        u32::from(self.bits[t.0 as usize])
    }

    /// `a < b | a == b`: `a <= b` (the or of two 0/1 values, at any width); `>` likewise.
    fn or_of_comparisons(&self, dst: Temp, a: Temp, b: Temp) -> Option<Rewrite> {
        let (Some(p), Some(q)) = (self.compare[a.0 as usize], self.compare[b.0 as usize]) else {
            return None;
        };
        let (strict, (_, mut ea, mut eb, ew)) = match (p.0, q.0) {
            (CmpOp::Eq, _) => (q, p),
            (_, CmpOp::Eq) => (p, q),
            _ => return None,
        };
        // `a - b == 0` at the subtraction's width (how x86 computes ZF) is `a == b`.
        let zero = self.constant[eb.0 as usize].is_some_and(|k| k & ew.mask() == 0);
        if let Some((x, y, _)) = self.difference[ea.0 as usize].filter(|&(_, _, w)| zero && w == ew) {
            (ea, eb) = (x, y);
        }
        let (sop, sa, sb, sw) = strict;
        // The same operand: the same temporary, or constants equal at the width.
        let c = |t: Temp| self.constant[t.0 as usize].map(|k| k & sw.mask());
        let is = |x: Temp, y: Temp| x == y || c(x).is_some_and(|k| c(y) == Some(k));
        let same = sw == ew && ((is(ea, sa) && is(eb, sb)) || (is(ea, sb) && is(eb, sa)));
        let or_equal = match sop {
            CmpOp::Ult => CmpOp::Ule,
            CmpOp::Ugt => CmpOp::Uge,
            CmpOp::Slt => CmpOp::Sle,
            CmpOp::Sgt => CmpOp::Sge,
            _ => return None,
        };
        same.then_some(Rewrite::Op(Op::Cmp { op: or_equal, dst, a: sa, b: sb, width: sw }))
    }

    fn rewrite(&self, op: &Op) -> Option<Rewrite> {
        match *op {
            Op::Ext { dst, a, from, signed } => {
                // Clean at the width; for a sign extension, also with the sign bit clear.
                let same = if signed && from != Width::W64 {
                    self.bits(a) < from.bits()
                } else {
                    self.bits(a) <= from.bits()
                };
                same.then_some(Rewrite::Same(dst, a))
            }
            Op::Bin { op, dst, a, b, width } => {
                if op == BinOp::Or && a != b {
                    if let Some(r) = self.or_of_comparisons(dst, a, b) {
                        return Some(r);
                    }
                }
                let w = width.bits();
                if a == b {
                    return match op {
                        BinOp::Xor | BinOp::Sub => Some(Rewrite::Op(Op::Const { dst, value: 0 })),
                        BinOp::And | BinOp::Or if self.bits(a) <= w => Some(Rewrite::Same(dst, a)),
                        _ => None,
                    };
                }
                // The non-constant operand and the constant (either side where the op commutes).
                let commutes = matches!(op, BinOp::And | BinOp::Or | BinOp::Xor | BinOp::Add);
                let c = |t: Temp| self.constant[t.0 as usize];
                let (x, k) = match (c(a), c(b)) {
                    (None, Some(k)) => (a, k),
                    (Some(k), None) if commutes => (b, k),
                    _ => return None,
                };
                let k = k & width.mask();
                let identity = match op {
                    BinOp::And if k == 0 => return Some(Rewrite::Op(Op::Const { dst, value: 0 })),
                    // Every bit x may have is kept.
                    BinOp::And => k & low_bits(self.bits(x)) == low_bits(self.bits(x)),
                    BinOp::Or | BinOp::Xor | BinOp::Add | BinOp::Sub => k == 0,
                    BinOp::Shl | BinOp::Lshr | BinOp::Ashr | BinOp::Rotr => k % u64::from(w) == 0,
                    _ => false,
                };
                if identity && self.bits(x) <= w {
                    return Some(Rewrite::Same(dst, x));
                }
                // `cmp ^ 1` that an exit tests: the inverse comparison.
                if op == BinOp::Xor && k == 1 && self.is_condition[dst.0 as usize] {
                    if let Some((cop, ca, cb, cw)) = self.compare[x.0 as usize] {
                        return Some(Rewrite::Op(Op::Cmp {
                            op: cop.inverse(),
                            dst,
                            a: ca,
                            b: cb,
                            width: cw,
                        }));
                    }
                }
                None
            }
            _ => None,
        }
    }
}

/// All-ones in the low `n` bits.
fn low_bits(n: u32) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::testgen::{random_block, shaped_block, Layout, Rng};
    use crate::ir::{interp, verify, Builder, GuestAddr, StateOffset};

    /// The block after `simplify` (and after the whole of `optimize`) leaves exactly the
    /// state, memory and exit of the original, on random and shaped blocks.
    #[test]
    fn simplified_blocks_match_the_original() {
        let base = Layout::default();
        let mut rng = Rng::new(31);
        for case in 0..4000u64 {
            let mut mem = vec![0u64; base.mem_len as usize / 8];
            let mut init = Rng::new(case);
            mem.iter_mut().for_each(|m| *m = init.interesting());
            let layout = Layout { mem_base: mem.as_mut_ptr() as u64, ..base.clone() };
            let block =
                if case % 2 == 0 { random_block(&mut rng, &layout) } else { shaped_block(&mut rng, &layout) };
            let mut simple = block.clone();
            crate::ir::opt::forward_and_fold(&mut simple);
            let mut optimized = block.clone();
            crate::ir::opt::optimize(&mut optimized);
            let state: Vec<u64> = (0..base.state_len / 8).map(|_| init.interesting()).collect();
            let snapshot = mem.clone();
            let mut run = |b: &Block| {
                verify(b).unwrap_or_else(|e| panic!("case {case}: {e}\n{b}"));
                mem.copy_from_slice(&snapshot);
                let mut s = state.clone();
                // SAFETY: the block touches only its state buffer and `mem`.
                let out = unsafe { interp::run_block(b, s.as_mut_ptr() as *mut u8) };
                (out, s, mem.clone())
            };
            let want = run(&block);
            assert!(run(&simple) == want, "case {case}: simplify changed the outcome\n{block}\n{simple}");
            assert!(
                run(&optimized) == want,
                "case {case}: optimize changed the outcome\n{block}\n{optimized}"
            );
        }
    }

    /// x86 `cmp a, b` then `ja` / `jbe` / `jge`-style conditions: ZF as `a - b == 0`, CF as
    /// `a < b`, their or, inverted for the branch; one comparison after simplification, and
    /// the same values as before for every pair of interesting operands.
    #[test]
    fn difference_tests_and_or_equal_conditions_become_one_comparison() {
        let cases: [(CmpOp, bool, &str); 6] = [
            (CmpOp::Ult, true, "cmp.ugt.w32"),
            (CmpOp::Ult, false, "cmp.ule.w32"),
            (CmpOp::Ugt, false, "cmp.uge.w32"),
            (CmpOp::Slt, true, "cmp.sgt.w32"),
            (CmpOp::Sgt, false, "cmp.sge.w32"),
            (CmpOp::Slt, false, "cmp.sle.w32"),
        ];
        let mut rng = crate::ir::testgen::Rng::new(3);
        for (strict, invert, want) in cases {
            for eq_first in [false, true] {
                let mut b = Builder::new();
                let x = b.load_state(StateOffset(64), Width::W32);
                let y = b.load_state(StateOffset(72), Width::W64);
                let d = b.bin(BinOp::Sub, x, y, Width::W32);
                let z = b.cmp_imm(CmpOp::Eq, d, 0, Width::W32);
                let lt = b.cmp(strict, x, y, Width::W32);
                let or = if eq_first {
                    b.bin(BinOp::Or, z, lt, Width::W8)
                } else {
                    b.bin(BinOp::Or, lt, z, Width::W8)
                };
                let cond = if invert { b.bin_imm(BinOp::Xor, or, 1, Width::W8) } else { or };
                b.store_state(StateOffset(80), cond, Width::W8);
                let exit = Exit::Branch { cond, taken: GuestAddr(8), not_taken: GuestAddr(4) };
                let original = b.finish(GuestAddr(0), 4, 1, exit);
                let mut block = original.clone();
                crate::ir::opt::optimize(&mut block);
                verify(&block).unwrap();
                let text = block.to_string();
                assert!(text.contains(want), "{want}: {text}");
                assert!(!text.contains("or."), "{text}");
                for _ in 0..200 {
                    let mut state = [0u64; 11];
                    (state[8], state[9]) = (rng.interesting(), rng.interesting());
                    let mut other = state;
                    // SAFETY: the blocks touch only their state buffers.
                    let (a, b) = unsafe {
                        (
                            crate::ir::interp::run_block(&original, state.as_mut_ptr() as *mut u8),
                            crate::ir::interp::run_block(&block, other.as_mut_ptr() as *mut u8),
                        )
                    };
                    assert_eq!((a, state), (b, other), "{want}");
                }
            }
        }
    }

    #[test]
    fn clean_extensions_identities_and_inverted_conditions() {
        let mut b = Builder::new();
        let x = b.load_state(StateOffset(64), Width::W32);
        let z = b.ext(x, Width::W32, false); // x is clean: z = x
        let s = b.bin_imm(BinOp::Lshr, z, 31, Width::W64);
        let f = b.bin_imm(BinOp::And, s, 1, Width::W64); // (x >> 31) & 1 = x >> 31
        b.store_state(StateOffset(72), f, Width::W8);
        let zero = b.bin(BinOp::Xor, z, x, Width::W32); // x ^ x = 0
        b.store_state(StateOffset(80), zero, Width::W64);
        let c = b.cmp_imm(CmpOp::Eq, x, 0, Width::W32);
        b.store_state(StateOffset(88), c, Width::W8);
        let n = b.bin_imm(BinOp::Xor, c, 1, Width::W8); // tested by the branch: cmp.ne
        let mut block = b.finish(
            GuestAddr(0),
            4,
            1,
            Exit::Branch { cond: n, taken: GuestAddr(8), not_taken: GuestAddr(4) },
        );
        crate::ir::opt::forward_and_fold(&mut block);
        verify(&block).unwrap();
        let text = block.to_string();
        assert!(!text.contains("zext"), "{text}");
        assert!(!text.contains("and"), "{text}");
        assert!(text.contains("cmp.ne.w32"), "{text}");
        assert!(
            block.ops.iter().any(|op| matches!(op, Op::Const { dst, value: 0 } if *dst == zero)),
            "{text}"
        );
    }
}
