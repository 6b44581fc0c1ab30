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
//!
//! Each rewrite replaces a temporary by another holding the same value, so every bound of
//! `ir::bits` stays true; [`super::opt::optimize`] folds and deduplicates what this exposes.

use super::bits::value_bits;
use super::{scratch, BinOp, Block, CmpOp, Exit, Op, Temp, Width};

/// Simplifies `block` in one forward pass; returns whether it made an op a constant or a
/// comparison (which folding and deduplication may take further), not only renamed.
pub fn simplify(block: &mut Block) -> bool {
    let n = block.temps as usize;
    let bits = value_bits(block);
    let mut rename = scratch::filled(0, Temp(0));
    rename.extend((0..block.temps).map(Temp));
    let mut constant = scratch::filled(n, None);
    let mut compare: Vec<Option<(CmpOp, Temp, Temp, Width)>> = vec![None; n];
    let mut is_condition = scratch::filled(n, false);
    for op in &block.ops {
        if let Op::ExitIf { cond, .. } = op {
            is_condition[cond.0 as usize] = true;
        }
    }
    if let Exit::Branch { cond, .. } = block.exit {
        is_condition[cond.0 as usize] = true;
    }
    let mut refold = false;
    let mut out = scratch::ops(block.ops.len());
    let mut ops = std::mem::take(&mut block.ops);
    for mut op in ops.drain(..) {
        op.map_srcs(|t| rename[t.0 as usize]);
        let facts =
            Facts { bits: &bits, constant: &constant, compare: &compare, is_condition: &is_condition };
        match facts.rewrite(&op) {
            Some(Rewrite::Same(dst, t)) => {
                rename[dst.0 as usize] = t;
                continue;
            }
            Some(Rewrite::Op(new)) => {
                op = new;
                refold = true;
            }
            None => {}
        }
        match op {
            Op::Const { dst, value } => constant[dst.0 as usize] = Some(value),
            Op::Cmp { op, dst, a, b, width } => compare[dst.0 as usize] = Some((op, a, b, width)),
            _ => {}
        }
        out.push(op);
    }
    scratch::recycle_ops(ops);
    block.ops = out;
    block.exit.map_srcs(|t| rename[t.0 as usize]);
    refold
}

enum Rewrite {
    /// The op's result is this temporary's value.
    Same(Temp, Temp),
    /// The op becomes this one (same destination).
    Op(Op),
}

/// What the pass knows at an op.
struct Facts<'a> {
    /// `ir::bits::value_bits` of the block.
    bits: &'a [u8],
    constant: &'a [Option<u64>],
    /// The comparison each `Cmp` result is: (op, a, b, width).
    compare: &'a [Option<(CmpOp, Temp, Temp, Width)>],
    /// The temporaries a side exit or the block's branch tests.
    is_condition: &'a [bool],
}

impl Facts<'_> {
    /// How many low bits `t`'s value may occupy.
    fn bits(&self, t: Temp) -> u32 {
        u32::from(self.bits[t.0 as usize])
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
            simplify(&mut simple);
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
        assert!(simplify(&mut block));
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
