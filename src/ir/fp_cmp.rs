//! Floating-point compares ([`super::Op::FpCmp`]): the predicate forms (a lane mask) and the
//! flag-setting forms, and their reference semantics per [`FpRule`].
//!
//! Under [`FpRule::X86Sse`] the predicates are cmpps/cmpss's 0-7 and the flag forms are
//! ucomis*/comis*; the engine is [`super::fp`]'s (`compare`, `compare_flags`), which also
//! backs the exception flags (IE for NaNs as the predicate says, DE for denormal operands,
//! operands read as zero under DAZ).

use super::fp::{self, Env, Fp};
use super::fp_half::F16;
use super::{FpPrec, FpResult, FpRule};

/// What an [`super::Op::FpCmp`] computes. The eight predicates give all ones in the
/// format's width when they hold, else zero; the two condition forms give the rule's condition flags.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum FpCmpOp {
    /// Ordered and equal.
    Eq,
    /// Ordered and less; signals (raises invalid) on quiet NaNs too.
    Lt,
    /// Ordered and less or equal; signals on quiet NaNs.
    Le,
    /// Either operand is NaN.
    Unord,
    /// Unordered or not equal.
    Neq,
    /// Unordered or not less; signals on quiet NaNs.
    Nlt,
    /// Unordered or not less or equal; signals on quiet NaNs.
    Nle,
    /// Neither operand is NaN.
    Ord,
    /// The rule's condition flags; invalid only for signalling NaNs (A64 FCMP's NZCV
    /// would be one). X86Sse: ZF | PF
    /// << 1 | CF << 2 as ucomis* sets them (unordered: all three; less: CF; equal: ZF).
    Cond,
    /// [`FpCmpOp::Cond`], but quiet NaNs raise invalid too (x86 comis*).
    CondSignalling,
}

impl FpCmpOp {
    /// Every compare, for tests that cover them all.
    pub const ALL: [FpCmpOp; 10] = [
        FpCmpOp::Eq,
        FpCmpOp::Lt,
        FpCmpOp::Le,
        FpCmpOp::Unord,
        FpCmpOp::Neq,
        FpCmpOp::Nlt,
        FpCmpOp::Nle,
        FpCmpOp::Ord,
        FpCmpOp::Cond,
        FpCmpOp::CondSignalling,
    ];

    /// The x86 cmpps predicate (imm8 bits 0-2) of a predicate compare.
    pub fn x86_predicate(self) -> Option<u8> {
        FpCmpOp::ALL[..8].iter().position(|&p| p == self).map(|i| i as u8)
    }

    /// The predicate compare of an x86 cmpps immediate (its low three bits).
    pub fn from_x86_predicate(imm: u8) -> FpCmpOp {
        FpCmpOp::ALL[(imm & 7) as usize]
    }
}

/// The value or flags of an [`super::Op::FpCmp`]: the interpreter's definition.
pub fn eval(op: FpCmpOp, prec: FpPrec, rule: FpRule, result: FpResult, a: u64, b: u64, ctrl: u64) -> u64 {
    match rule {
        FpRule::X86Sse => eval_x86(op, prec, result, a, b, ctrl),
        FpRule::A64 => unreachable!("FpCmp/FpCvt under the A64 rule: rejected by ir::verify"),
    }
}

fn compare<F: Fp>(op: FpCmpOp, a: F, b: F, env: &mut Env) -> u64 {
    match op.x86_predicate() {
        Some(p) => {
            let mask = u64::MAX >> (64 - F::BITS);
            if fp::compare(p, a, b, env) {
                mask
            } else {
                0
            }
        }
        None => {
            let (z, p, c) = fp::compare_flags(a, b, op == FpCmpOp::CondSignalling, env);
            z as u64 | (p as u64) << 1 | (c as u64) << 2
        }
    }
}

fn eval_x86(op: FpCmpOp, prec: FpPrec, result: FpResult, a: u64, b: u64, ctrl: u64) -> u64 {
    let mut env = Env::new(ctrl as u32);
    let value = match prec {
        FpPrec::F64 => compare(op, f64::from_bits(a), f64::from_bits(b), &mut env),
        FpPrec::F32 => compare(op, f32::from_bits(a as u32), f32::from_bits(b as u32), &mut env),
        // Rejected by `ir::verify` (x86 has no halves); the engine is generic all the same.
        FpPrec::F16 => compare(op, F16(a as u16), F16(b as u16), &mut env),
    };
    match result {
        FpResult::Value => value,
        FpResult::Flags => env.flags as u64,
    }
}

/// [`eval`] under [`FpRule::X86Sse`] with the helper signature, for a backend's slow path:
/// `sel` = [`encode_sel`]; the state pointer is not read.
pub extern "C" fn eval_x86_call(_state: *mut u8, sel: u64, a: u64, b: u64, ctrl: u64) -> u64 {
    let op = FpCmpOp::ALL[(sel & 0xff) as usize % FpCmpOp::ALL.len()];
    let result = if sel >> 9 & 1 != 0 { FpResult::Flags } else { FpResult::Value };
    eval_x86(op, fp::decode_prec(sel), result, a, b, ctrl)
}

/// The `sel` argument of [`eval_x86_call`].
pub fn encode_sel(op: FpCmpOp, prec: FpPrec, result: FpResult) -> u64 {
    let index = FpCmpOp::ALL.iter().position(|&o| o == op).unwrap_or(0) as u64;
    index | fp::encode_prec(prec) | ((result == FpResult::Flags) as u64) << 9
}

#[cfg(test)]
mod tests {
    use super::*;

    const QNAN: u64 = 0x7ff8_0000_0000_0000;
    const SNAN: u64 = 0x7ff0_0000_0000_0001;

    fn x86(op: FpCmpOp, result: FpResult, a: f64, b: u64) -> u64 {
        eval(op, FpPrec::F64, FpRule::X86Sse, result, a.to_bits(), b, 0x1f80)
    }

    #[test]
    fn predicates_give_a_mask_of_the_format_width() {
        assert_eq!(x86(FpCmpOp::Lt, FpResult::Value, 1.0, 2f64.to_bits()), u64::MAX);
        assert_eq!(x86(FpCmpOp::Nlt, FpResult::Value, 1.0, 2f64.to_bits()), 0);
        let one = 1f32.to_bits() as u64;
        assert_eq!(
            eval(FpCmpOp::Eq, FpPrec::F32, FpRule::X86Sse, FpResult::Value, one, one, 0x1f80),
            0xffff_ffff
        );
        // Unordered: NEQ, NLT, NLE, UNORD hold; LT raises IE on a quiet NaN, EQ does not.
        assert_eq!(x86(FpCmpOp::Neq, FpResult::Value, 1.0, QNAN), u64::MAX);
        assert_eq!(x86(FpCmpOp::Lt, FpResult::Flags, 1.0, QNAN), fp::IE as u64);
        assert_eq!(x86(FpCmpOp::Eq, FpResult::Flags, 1.0, QNAN), 0);
        assert_eq!(x86(FpCmpOp::Eq, FpResult::Flags, 1.0, SNAN), fp::IE as u64);
    }

    #[test]
    fn condition_forms_give_zf_pf_cf() {
        assert_eq!(x86(FpCmpOp::Cond, FpResult::Value, 1.0, 2f64.to_bits()), 0b100);
        assert_eq!(x86(FpCmpOp::Cond, FpResult::Value, 2.0, 2f64.to_bits()), 0b001);
        assert_eq!(x86(FpCmpOp::Cond, FpResult::Value, 3.0, 2f64.to_bits()), 0);
        assert_eq!(x86(FpCmpOp::Cond, FpResult::Value, 3.0, QNAN), 0b111);
        assert_eq!(x86(FpCmpOp::Cond, FpResult::Flags, 3.0, QNAN), 0);
        assert_eq!(x86(FpCmpOp::CondSignalling, FpResult::Flags, 3.0, QNAN), fp::IE as u64);
    }
}
