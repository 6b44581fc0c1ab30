//! Floating-point conversions ([`super::Op::FpCvt`]) between f32, f64 and signed 32- and
//! 64-bit integers, and their reference semantics per [`FpRule`].
//!
//! Under [`FpRule::X86Sse`] (cvtsi2sd, cvt(t)sd2si, cvtss2sd, cvtsd2ss and their ss/packed
//! forms) the engine is [`super::fp`]'s: a NaN or out-of-range float gives the "integer
//! indefinite" (only the sign bit of the integer set) and raises invalid; NaNs keep their
//! payload, made quiet, between f32 and f64; inexact results raise PE; DAZ reads denormal
//! operands as zero and FTZ flushes tiny f32 results of f64 -> f32.

use super::fp::{self, Env, Round};
use super::{FpResult, FpRule};

/// A number format an [`super::Op::FpCvt`] converts from or to. Integers are signed and read
/// from (written to, zero-extended) the low bits of a temporary, as floats are.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum NumFormat {
    F32,
    F64,
    I32,
    I64,
}

impl NumFormat {
    pub const ALL: [NumFormat; 4] = [NumFormat::F32, NumFormat::F64, NumFormat::I32, NumFormat::I64];

    pub fn is_int(self) -> bool {
        matches!(self, NumFormat::I32 | NumFormat::I64)
    }

    /// Whether an [`super::Op::FpCvt`] from `self` to `to` exists: different formats, at least
    /// one of them a float.
    pub fn converts_to(self, to: NumFormat) -> bool {
        self != to && !(self.is_int() && to.is_int())
    }
}

/// The rounding of an [`super::Op::FpCvt`]: the mode of the control register, or towards
/// zero whatever it says (x86 cvtt*, A64 FCVTZS).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum CvtRound {
    Ctrl,
    Zero,
}

/// The value or flags of an [`super::Op::FpCvt`]: the interpreter's definition. A pair of
/// formats that does not convert (see [`NumFormat::converts_to`]) gives `a`.
pub fn eval(
    from: NumFormat,
    to: NumFormat,
    round: CvtRound,
    rule: FpRule,
    result: FpResult,
    a: u64,
    ctrl: u64,
) -> u64 {
    match rule {
        FpRule::X86Sse => eval_x86(from, to, round, result, a, ctrl),
        FpRule::A64 => unreachable!("FpCmp/FpCvt under the A64 rule: rejected by ir::verify"),
    }
}

fn eval_x86(from: NumFormat, to: NumFormat, round: CvtRound, result: FpResult, a: u64, ctrl: u64) -> u64 {
    use NumFormat::*;
    let mut env = Env::new(ctrl as u32);
    if round == CvtRound::Zero {
        env.round = Round::Zero;
    }
    let int = |bits: NumFormat| if bits == I64 { a as i64 } else { a as u32 as i32 as i64 };
    let bits = |f: NumFormat| if f == I64 { 64 } else { 32 };
    let value = match (from, to) {
        (I32 | I64, F32) => fp::from_int::<f32>(int(from), &mut env).to_bits() as u64,
        (I32 | I64, F64) => fp::from_int::<f64>(int(from), &mut env).to_bits(),
        (F32, I32 | I64) => fp::to_int(f32::from_bits(a as u32), bits(to), env.round, &mut env),
        (F64, I32 | I64) => fp::to_int(f64::from_bits(a), bits(to), env.round, &mut env),
        (F32, F64) => fp::widen(f32::from_bits(a as u32), &mut env).to_bits(),
        (F64, F32) => fp::narrow(f64::from_bits(a), &mut env).to_bits() as u64,
        _ => a,
    };
    match result {
        FpResult::Value => value,
        FpResult::Flags => env.flags as u64,
    }
}

/// [`eval`] under [`FpRule::X86Sse`] with the helper signature, for a backend's slow path:
/// `sel` = [`encode_sel`]; the state pointer and `_b` are not read.
pub extern "C" fn eval_x86_call(_state: *mut u8, sel: u64, a: u64, ctrl: u64, _b: u64) -> u64 {
    let from = NumFormat::ALL[(sel & 3) as usize];
    let to = NumFormat::ALL[(sel >> 2 & 3) as usize];
    let round = if sel >> 4 & 1 != 0 { CvtRound::Zero } else { CvtRound::Ctrl };
    let result = if sel >> 5 & 1 != 0 { FpResult::Flags } else { FpResult::Value };
    eval_x86(from, to, round, result, a, ctrl)
}

/// The `sel` argument of [`eval_x86_call`].
pub fn encode_sel(from: NumFormat, to: NumFormat, round: CvtRound, result: FpResult) -> u64 {
    let index = |f: NumFormat| NumFormat::ALL.iter().position(|&x| x == f).unwrap_or(0) as u64;
    index(from)
        | index(to) << 2
        | ((round == CvtRound::Zero) as u64) << 4
        | ((result == FpResult::Flags) as u64) << 5
}

#[cfg(test)]
mod tests {
    use super::NumFormat::*;
    use super::*;

    fn x86(from: NumFormat, to: NumFormat, round: CvtRound, result: FpResult, a: u64, ctrl: u64) -> u64 {
        eval(from, to, round, FpRule::X86Sse, result, a, ctrl)
    }

    #[test]
    fn float_to_int_gives_the_indefinite_for_nan_and_out_of_range() {
        let v = FpResult::Value;
        assert_eq!(x86(F64, I32, CvtRound::Zero, v, 2.9f64.to_bits(), 0x1f80), 2);
        assert_eq!(x86(F64, I32, CvtRound::Ctrl, v, 2.9f64.to_bits(), 0x1f80), 3);
        assert_eq!(
            x86(F64, I32, CvtRound::Ctrl, v, (-2.5f64).to_bits(), 0x1f80 | 0x2000),
            (-3i32) as u32 as u64
        );
        assert_eq!(x86(F64, I32, CvtRound::Zero, v, 3e9f64.to_bits(), 0x1f80), 0x8000_0000);
        assert_eq!(x86(F32, I64, CvtRound::Zero, v, f32::NAN.to_bits() as u64, 0x1f80), 1 << 63);
        let flags = x86(F64, I32, CvtRound::Zero, FpResult::Flags, f64::NAN.to_bits(), 0x1f80);
        assert_eq!(flags, fp::IE as u64);
        assert_eq!(x86(F64, I32, CvtRound::Zero, FpResult::Flags, 2.5f64.to_bits(), 0x1f80), fp::PE as u64);
    }

    #[test]
    fn int_to_float_and_between_floats() {
        let v = FpResult::Value;
        assert_eq!(x86(I32, F64, CvtRound::Ctrl, v, (-1i32) as u32 as u64, 0x1f80), (-1f64).to_bits());
        assert_eq!(x86(I64, F32, CvtRound::Ctrl, v, (1 << 24) + 1, 0x1f80), (16777216f32).to_bits() as u64);
        assert_eq!(
            x86(I64, F32, CvtRound::Ctrl, v, (1 << 24) + 1, 0x1f80 | 0x4000),
            (16777218f32).to_bits() as u64
        );
        assert_eq!(x86(F32, F64, CvtRound::Ctrl, v, 1.5f32.to_bits() as u64, 0x1f80), 1.5f64.to_bits());
        assert_eq!(x86(F64, F32, CvtRound::Ctrl, v, 1.5f64.to_bits(), 0x1f80), 1.5f32.to_bits() as u64);
        // A signalling NaN is made quiet and keeps its payload's top bits.
        assert_eq!(x86(F32, F64, CvtRound::Ctrl, v, 0x7f80_0001, 0x1f80), 0x7ff8_0000_2000_0000);
    }
}
