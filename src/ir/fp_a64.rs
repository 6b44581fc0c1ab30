//! The reference semantics of [`super::Op::Fp`] under [`super::FpRule::A64`]: the Arm ARM's
//! `FPAdd`, `FPSub`, `FPMul`, `FPDiv`, `FPSqrt`, `FPMax`, `FPMin`, `FPMaxNum`, `FPMinNum`
//! over `FPUnpack`, `FPProcessNaNs` and `FPRoundBase`, with FPCR.AH = 0.
//!
//! The rounding itself is IEEE 754 and shared with the x86 reference ([`super::fp::arith`]
//! run with neither DAZ nor FTZ); what A64 decides differently is done here around it:
//! - FPCR.FZ flushes denormal operands to zero (IDC) before anything else looks at them;
//! - a NaN operand: the first signalling NaN, else the first quiet NaN, made quiet (with
//!   FPCR.DN the default NaN); any signalling NaN raises IOC. An invalid operation gives the
//!   default NaN, which on A64 is positive (`0x7ff8..`);
//! - tininess is detected before rounding (`FPRoundBase` tests the exponent of the exact
//!   value): an inexact result whose exact value is below the smallest normal raises UFC
//!   even when it rounds up to the smallest normal. Under FZ such a result (exact or not)
//!   becomes a zero of its sign and raises UFC only (no IXC);
//! - there is no denormal-operand flag (x86's DE), only IDC for flushed operands;
//! - FMAX/FMIN propagate NaNs and order -0 below +0; FMAXNM/FMINNM replace a single quiet
//!   NaN by the infinity that loses (-inf for max) and are then FMAX/FMIN.

use super::fp::{self, decompose, Env, Fp, Round};
use super::fp_half::F16;
use super::{FpOp, FpPrec, FpResult};

/// FPSR cumulative exception flags.
pub const IOC: u32 = 1 << 0;
pub const DZC: u32 = 1 << 1;
pub const OFC: u32 = 1 << 2;
pub const UFC: u32 = 1 << 3;
pub const IXC: u32 = 1 << 4;
pub const IDC: u32 = 1 << 7;
/// Every flag an op can raise.
pub const ALL_FLAGS: u32 = IOC | DZC | OFC | UFC | IXC | IDC;

/// FPCR controls.
pub const FPCR_FZ: u32 = 1 << 24;
pub const FPCR_DN: u32 = 1 << 25;
/// FPCR.FZ16: flush half-precision denormals (operands and results) to zero.
pub const FPCR_FZ16: u32 = 1 << 19;
/// FPCR.RMode (bits 23:22).
pub const FPCR_RMODE: u32 = 3 << 22;
/// The FPCR bits that change what an op computes (RMode, FZ, DN).
pub const FPCR_MODES: u32 = FPCR_RMODE | FPCR_FZ | FPCR_DN;

/// FPCR.RMode: 00 nearest, 01 towards +inf, 10 towards -inf, 11 towards zero.
pub fn rounding(fpcr: u32) -> Round {
    match (fpcr >> 22) & 3 {
        0 => Round::Nearest,
        1 => Round::Up,
        2 => Round::Down,
        _ => Round::Zero,
    }
}

/// A64's default NaN: positive, quiet, zero payload.
pub fn default_nan<F: Fp>() -> F {
    F::from_u64(F::DEFAULT_NAN & !F::sign_bit())
}

/// `FPUnpack` under FZ: a denormal operand reads as a zero of its sign and raises IDC.
pub(super) fn unpack<F: Fp>(x: F, fz: bool, flags: &mut u32) -> F {
    if fz && x.is_denormal() {
        *flags |= IDC;
        F::signed_zero(x.is_neg())
    } else {
        x
    }
}

/// `FPProcessNaNs`: the NaN result of an op with a NaN operand, if it has one.
pub(super) fn process_nans<F: Fp>(a: F, b: F, dn: bool, flags: &mut u32) -> Option<F> {
    let nan = [a, b].into_iter().find(|x| x.is_snan()).or([a, b].into_iter().find(|x| x.is_nan()))?;
    if nan.is_snan() {
        *flags |= IOC;
    }
    Some(if dn { default_nan() } else { nan.quiet() })
}

/// The x86 reference's flags as FPSR flags, without the ones A64 decides itself (DE has no
/// A64 counterpart; UE follows x86's tininess).
fn from_x86_flags(x86: u32) -> u32 {
    let mut f = 0;
    for (x, a) in [(fp::IE, IOC), (fp::ZE, DZC), (fp::OE, OFC), (fp::PE, IXC)] {
        if x86 & x != 0 {
            f |= a;
        }
    }
    f
}

/// Whether the exact value of `a * b` or `a / b` (finite, nonzero operands) is below the
/// smallest normal: the position of its top bit, before any rounding.
fn exact_is_tiny<F: Fp>(op: FpOp, a: F, b: F) -> bool {
    let ((ma, ea), (mb, eb)) = (decompose(a), decompose(b));
    let top = if op == FpOp::Mul {
        let m = ma * mb;
        127 - m.leading_zeros() as i32 + ea + eb
    } else {
        // The quotient to at least 66 bits: truncating it keeps its top bit.
        let shift = ma.leading_zeros() as i32 - 8;
        let q = (ma << shift) / mb;
        127 - q.leading_zeros() as i32 + ea - shift - eb
    };
    let bias = (F::exp_mask() >> F::MANT_BITS) as i32 / 2;
    top < 1 - bias
}

/// `a op b` under FPCR `fpcr` (`sqrt(b)` for [`FpOp::Sqrt`]): the value and the FPSR flags.
pub fn arith<F: Fp>(op: FpOp, a: F, b: F, fpcr: u32) -> (F, u32) {
    let (fz, dn) = (fpcr & FPCR_FZ != 0, fpcr & FPCR_DN != 0);
    let mut flags = 0;
    let b = unpack(b, fz, &mut flags);
    let mut a = if op == FpOp::Sqrt { b } else { unpack(a, fz, &mut flags) };
    let mut b = b;
    if matches!(op, FpOp::MinNum | FpOp::MaxNum) {
        let loser = F::inf(op == FpOp::MaxNum);
        let (qa, qb) = (a.is_nan() && !a.is_snan(), b.is_nan() && !b.is_snan());
        if qa && !b.is_nan() {
            a = loser;
        } else if qb && !a.is_nan() {
            b = loser;
        }
    }
    if let Some(nan) = process_nans(a, b, dn, &mut flags) {
        return (nan, flags);
    }
    if matches!(op, FpOp::Min | FpOp::Max | FpOp::MinNum | FpOp::MaxNum) {
        let max = matches!(op, FpOp::Max | FpOp::MaxNum);
        if a.is_zero() && b.is_zero() {
            let neg = if max { a.is_neg() && b.is_neg() } else { a.is_neg() || b.is_neg() };
            return (F::signed_zero(neg), flags);
        }
        let pick_a = if max { a > b } else { a < b };
        return (if pick_a { a } else { b }, flags);
    }
    let mut env = Env { round: rounding(fpcr), daz: false, ftz: false, underflow_masked: true, flags: 0 };
    let r = fp::arith(op, a, b, &mut env);
    if r.is_nan() {
        // No NaN operand is left: an invalid operation.
        return (default_nan(), flags | IOC);
    }
    let finite_nonzero = |x: F| !x.is_zero() && !x.is_inf();
    let (tiny, neg) = match op {
        // A tiny sum is exact, so the result tells.
        FpOp::Add | FpOp::Sub => (r.is_denormal(), r.is_neg()),
        FpOp::Mul | FpOp::Div if finite_nonzero(a) && finite_nonzero(b) => {
            (exact_is_tiny(op, a, b), a.is_neg() != b.is_neg())
        }
        _ => (false, false),
    };
    if tiny && fz {
        return (F::signed_zero(neg), flags | UFC);
    }
    flags |= from_x86_flags(env.flags);
    if tiny && flags & IXC != 0 {
        flags |= UFC;
    }
    (r, flags)
}

/// The FPCR a half-precision op runs under: FZ16 in place of FZ (FZ does not apply to
/// halves; the Arm ARM's `FPUnpackBase` and `FPRoundBase` read FZ16 for N = 16).
pub fn half_fpcr(fpcr: u32) -> u32 {
    (fpcr & !FPCR_FZ) | if fpcr & FPCR_FZ16 != 0 { FPCR_FZ } else { 0 }
}

/// The FPSR flags of a half-precision op from those the engine raised under [`half_fpcr`]:
/// a half denormal operand flushed by FZ16 raises no IDC (`FPUnpackBase` calls
/// `FPProcessDenorm` only for single and double precision).
pub fn half_flags(flags: u32) -> u32 {
    flags & !IDC
}

/// The value or the flags of `a op b` under [`super::FpRule::A64`] with FPCR `ctrl`: the
/// interpreter's definition of [`super::Op::Fp`] for that rule.
pub fn eval_a64(op: FpOp, prec: FpPrec, result: FpResult, a: u64, b: u64, ctrl: u64) -> u64 {
    let (value, flags) = eval_a64_both(op, prec, a, b, ctrl);
    match result {
        FpResult::Value => value,
        FpResult::Flags => flags as u64,
    }
}

/// The value and the FPSR flags of `a op b` under [`super::FpRule::A64`] with FPCR `ctrl`,
/// from one evaluation (what [`eval_a64`] returns one of).
pub fn eval_a64_both(op: FpOp, prec: FpPrec, a: u64, b: u64, ctrl: u64) -> (u64, u32) {
    match prec {
        FpPrec::F64 => {
            let (r, f) = arith(op, f64::from_bits(a), f64::from_bits(b), ctrl as u32);
            (r.to_bits(), f)
        }
        FpPrec::F32 => {
            let (r, f) = arith(op, f32::from_bits(a as u32), f32::from_bits(b as u32), ctrl as u32);
            (r.to_bits() as u64, f)
        }
        FpPrec::F16 => {
            let (r, f) = arith(op, F16(a as u16), F16(b as u16), half_fpcr(ctrl as u32));
            (r.to_u64(), half_flags(f))
        }
    }
}

/// [`eval_a64`] with the helper signature, for backends that lower [`super::Op::Fp`] by a
/// call: `sel` = [`fp::encode_sel`] of the op; the state pointer is not read.
pub extern "C" fn eval_a64_call(_state: *mut u8, sel: u64, a: u64, b: u64, ctrl: u64) -> u64 {
    let (op, prec, result) = fp::decode_sel(sel);
    eval_a64(op, prec, result, a, b, ctrl)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(op: FpOp, a: u64, b: u64, fpcr: u32) -> (u64, u32) {
        let (r, f) = arith(op, f64::from_bits(a), f64::from_bits(b), fpcr);
        (r.to_bits(), f)
    }

    const SNAN: u64 = 0x7ff0_0000_0000_0001;
    const QNAN: u64 = 0xfff8_0000_0000_0002;
    const ONE: u64 = 0x3ff0_0000_0000_0000;

    #[test]
    fn nans() {
        // A signalling NaN wins over an earlier quiet one.
        assert_eq!(d(FpOp::Add, QNAN, SNAN, 0), (0x7ff8_0000_0000_0001, IOC));
        assert_eq!(d(FpOp::Mul, QNAN, ONE, 0), (QNAN, 0));
        assert_eq!(d(FpOp::Mul, QNAN, ONE, FPCR_DN), (0x7ff8_0000_0000_0000, 0));
        // inf - inf: the positive default NaN.
        let inf = f64::INFINITY.to_bits();
        assert_eq!(d(FpOp::Sub, inf, inf, 0), (0x7ff8_0000_0000_0000, IOC));
        assert_eq!(d(FpOp::Sqrt, 0, 0xbff0_0000_0000_0000, 0), (0x7ff8_0000_0000_0000, IOC));
    }

    #[test]
    fn min_max() {
        let neg_zero = 0x8000_0000_0000_0000;
        assert_eq!(d(FpOp::Max, neg_zero, 0, 0), (0, 0));
        assert_eq!(d(FpOp::Min, 0, neg_zero, 0), (neg_zero, 0));
        assert_eq!(d(FpOp::Max, QNAN, ONE, 0), (QNAN, 0));
        assert_eq!(d(FpOp::MaxNum, QNAN, ONE, 0), (ONE, 0));
        assert_eq!(d(FpOp::MinNum, ONE, QNAN, 0), (ONE, 0));
        assert_eq!(d(FpOp::MinNum, ONE, SNAN, 0), (0x7ff8_0000_0000_0001, IOC));
    }

    #[test]
    fn tininess_before_rounding_and_flush() {
        // (1 + 2^-52) * (2^-1022 (1 - 2^-52)) = 2^-1022 (1 - 2^-104): tiny before rounding,
        // rounds up to the smallest normal.
        let (a, b) = (0x3ff0_0000_0000_0001, 0x000f_ffff_ffff_ffff);
        assert_eq!(d(FpOp::Mul, a, b, 0), (0x0010_0000_0000_0000, UFC | IXC));
        assert_eq!(d(FpOp::Mul, a, b, FPCR_FZ), (0, IDC));
        // A denormal operand under FZ reads as zero; a denormal result becomes zero.
        assert_eq!(d(FpOp::Add, 0x0000_0000_0000_0001, ONE, FPCR_FZ), (ONE, IDC));
        let min_normal = 0x0010_0000_0000_0000;
        assert_eq!(d(FpOp::Sub, 0x0010_0000_0000_0001, min_normal, FPCR_FZ), (0, UFC));
        assert_eq!(d(FpOp::Sub, 0x0010_0000_0000_0001, min_normal, 0), (1, 0));
        // Round towards zero.
        assert_eq!(d(FpOp::Div, ONE, 0x4008_0000_0000_0000, 3 << 22), (0x3fd5_5555_5555_5555, IXC));
    }
}
