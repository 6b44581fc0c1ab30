//! Known-zero high bits: for each temporary of a block, a bound on how many low bits its
//! value may occupy (its value is below `2^bits`). It follows from the value model (every op
//! with a width writes its result zero-extended) and the ops themselves: a backend uses it to
//! skip a zero extension of a value that is already clean, the simplifier to drop `zext`s.

use super::{BinOp, Block, FpResult, FpRule, Op, Temp, UnOp};

/// Bits an unsigned value occupies (0 for 0).
fn bits_of(value: u64) -> u8 {
    (64 - value.leading_zeros()) as u8
}

/// Bits an FP op's exception-flag word occupies under `rule` (the layouts [`FpRule`] gives:
/// MXCSR's IE..PE in bits 0..5, FPSR's IOC..IXC in bits 0..4 and IDC in bit 7).
fn fp_flag_bits(rule: FpRule) -> u8 {
    let all = match rule {
        FpRule::X86Sse => {
            super::fp::IE | super::fp::DE | super::fp::ZE | super::fp::OE | super::fp::UE | super::fp::PE
        }
        FpRule::A64 => super::fp_a64::ALL_FLAGS,
    };
    bits_of(u64::from(all))
}

/// For each temporary of `block`, an upper bound on the number of low bits its value
/// occupies (64 when nothing better is known).
pub fn value_bits(block: &Block) -> super::scratch::Lent<u8> {
    let mut bits = super::scratch::filled(block.temps as usize, 64u8);
    let mut constant = super::scratch::filled(block.temps as usize, None);
    for op in &block.ops {
        if let Op::Const { dst, value } = *op {
            constant[dst.0 as usize] = Some(value);
        }
        if let Some((dst, b)) = op_bits(op, &bits, &constant) {
            bits[dst.0 as usize] = b;
        }
    }
    bits
}

/// The bound of the result of `op` (its destination and bits), from the bounds of the
/// temporaries before it (`bits`) and the constants among them (`constant`); `None` for an op
/// that defines nothing or nothing better than 64 bits is known of. [`value_bits`] applies it
/// op by op; `ir::opt::forward_and_fold` as it emits each op.
#[inline(always)]
pub fn op_bits(op: &Op, bits: &[u8], constant: &[Option<u64>]) -> Option<(Temp, u8)> {
    let of = |t: Temp| bits[t.0 as usize];
    let (dst, b) = match *op {
        Op::Const { dst, value } => (dst, bits_of(value)),
        Op::LoadState { dst, width, .. } | Op::Load { dst, width, .. } => (dst, width.bits() as u8),
        Op::Cmp { dst, .. } => (dst, 1),
        Op::Select { dst, if_true, if_false, .. } => (dst, of(if_true).max(of(if_false))),
        Op::Ext { dst, a, from, signed } => {
            let w = from.bits() as u8;
            // A sign extension of a value whose sign bit is clear is a zero extension.
            let b = if !signed || of(a) < w { of(a).min(w) } else { 64 };
            (dst, b)
        }
        Op::Un { op, dst, a, width } => {
            let w = width.bits() as u8;
            let b = match op {
                // At most 64.
                UnOp::Popcnt | UnOp::Clz | UnOp::Ctz => 7,
                UnOp::Bswap if width.bits() == 8 => of(a).min(w),
                _ => w,
            };
            (dst, b.min(w))
        }
        Op::Bin { op, dst, a, b, width } => {
            let w = width.bits() as u8;
            let x = of(a).min(w);
            let r = match op {
                BinOp::And => x.min(of(b)),
                BinOp::Or | BinOp::Xor => x.max(of(b).min(w)),
                BinOp::Lshr => match constant[b.0 as usize] {
                    Some(c) => x.saturating_sub((c % u64::from(w)) as u8),
                    None => x,
                },
                BinOp::DivU => x,
                // (`a % 0 = a`.)
                BinOp::RemU => x,
                _ => w,
            };
            (dst, r)
        }
        Op::Fp { rule, result: FpResult::Flags, dst, .. }
        | Op::FpFma { rule, result: FpResult::Flags, dst, .. }
        | Op::FpCmp { rule, result: FpResult::Flags, dst, .. }
        | Op::FpCvt { rule, result: FpResult::Flags, dst, .. } => (dst, fp_flag_bits(rule)),
        _ => return None,
    };
    Some((dst, b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::interp::{eval_bin, eval_cmp, eval_ext, eval_un};
    use crate::ir::testgen;

    /// On random blocks with random loaded values, every value the pure ops compute (by the
    /// interpreter's definitions) fits the bound.
    #[test]
    fn bounds_hold_on_random_blocks() {
        let layout = testgen::Layout::default();
        let mut rng = testgen::Rng::new(5);
        for _ in 0..3000 {
            let block = testgen::random_block(&mut rng, &layout);
            let bits = value_bits(&block);
            let mut v = vec![0u64; block.temps as usize];
            for op in &block.ops {
                let val = |t: Temp| v[t.0 as usize];
                let r = match *op {
                    Op::Const { value, .. } => value,
                    Op::LoadState { width, .. } | Op::Load { width, .. } => rng.interesting() & width.mask(),
                    Op::Cmp { op, a, b, width, .. } => eval_cmp(op, v[a.0 as usize], v[b.0 as usize], width),
                    Op::Select { cond, if_true, if_false, .. } => {
                        v[if v[cond.0 as usize] != 0 { if_true } else { if_false }.0 as usize]
                    }
                    Op::Ext { a, from, signed, .. } => eval_ext(v[a.0 as usize], from, signed),
                    Op::Un { op, a, width, .. } => eval_un(op, v[a.0 as usize], width),
                    Op::Bin { op, a, b, width, .. } => eval_bin(op, v[a.0 as usize], v[b.0 as usize], width),
                    Op::Fp { op, prec, rule, result, a, b, ctrl, .. } => {
                        crate::ir::interp::eval_fp(op, prec, rule, result, val(a), val(b), val(ctrl))
                    }
                    Op::FpFma { prec, rule, result, neg, a, b, c, ctrl, .. } => {
                        crate::ir::fma::eval(prec, rule, result, neg, val(a), val(b), val(c), val(ctrl))
                    }
                    Op::FpCmp { op, prec, rule, result, a, b, ctrl, .. } => {
                        crate::ir::fp_cmp::eval(op, prec, rule, result, val(a), val(b), val(ctrl))
                    }
                    Op::FpCvt { from, to, round, rule, result, a, ctrl, .. } => {
                        crate::ir::fp_cvt::eval(from, to, round, rule, result, val(a), val(ctrl))
                    }
                    _ => match op.dst() {
                        // Anything: the bound says 64 bits.
                        Some(_) => rng.next_u64(),
                        None => continue,
                    },
                };
                let t = op.dst().expect("ops with values have a destination");
                v[t.0 as usize] = r;
                assert!(
                    bits_of(r) <= bits[t.0 as usize],
                    "{t:?} = {r:#x} exceeds {} bits in\n{block}",
                    bits[t.0 as usize]
                );
            }
        }
    }

    /// The flag words of every FP op kind, under both rules, on random and special operands
    /// and random control registers, fit the bound `value_bits` gives them.
    #[test]
    fn fp_flag_words_fit_their_rule_layout() {
        use crate::ir::fp_cvt::{CvtRound, NumFormat};
        use crate::ir::{fma::FmaNeg, fp_cmp::FpCmpOp, FpOp, FpPrec};
        let mut rng = testgen::Rng::new(11);
        let mut widest = [0u64; 2];
        for rule in [FpRule::X86Sse, FpRule::A64] {
            let bound = fp_flag_bits(rule);
            let precs: &[FpPrec] = if rule == FpRule::A64 {
                &[FpPrec::F32, FpPrec::F64, FpPrec::F16]
            } else {
                &[FpPrec::F32, FpPrec::F64]
            };
            for _ in 0..400 {
                let ctrl = rng.next_u64() & 0xffff_ffff;
                for &prec in precs {
                    let (a, b, c) = (rng.float(prec), rng.float(prec), rng.float(prec));
                    let mut words = Vec::new();
                    for op in FpOp::ALL {
                        words.push(crate::ir::interp::eval_fp(op, prec, rule, FpResult::Flags, a, b, ctrl));
                    }
                    for neg in FmaNeg::ALL {
                        words.push(crate::ir::fma::eval(prec, rule, FpResult::Flags, neg, a, b, c, ctrl));
                    }
                    // FpCmp and FpCvt exist under the x86 rule only (ir::verify).
                    for op in FpCmpOp::ALL.into_iter().filter(|_| rule == FpRule::X86Sse) {
                        words.push(crate::ir::fp_cmp::eval(op, prec, rule, FpResult::Flags, a, b, ctrl));
                    }
                    for from in NumFormat::ALL.into_iter().filter(|_| rule == FpRule::X86Sse) {
                        for to in NumFormat::ALL.into_iter().filter(|&to| from.converts_to(to)) {
                            for round in [CvtRound::Ctrl, CvtRound::Zero] {
                                let x = match from {
                                    NumFormat::F32 => rng.float(FpPrec::F32),
                                    NumFormat::F64 => rng.float(FpPrec::F64),
                                    _ => rng.interesting(),
                                };
                                words.push(crate::ir::fp_cvt::eval(
                                    from,
                                    to,
                                    round,
                                    rule,
                                    FpResult::Flags,
                                    x,
                                    ctrl,
                                ));
                            }
                        }
                    }
                    for w in words {
                        assert!(bits_of(w) <= bound, "{rule:?} {prec:?}: flags {w:#x} exceed {bound} bits");
                        widest[(rule == FpRule::A64) as usize] |= w;
                    }
                }
            }
        }
        // The inputs reach the top flag of each layout (PE; IDC), so the bound is tight.
        assert_eq!(bits_of(widest[0]), 6, "{:#x}", widest[0]);
        assert_eq!(bits_of(widest[1]), 8, "{:#x}", widest[1]);
    }
}
