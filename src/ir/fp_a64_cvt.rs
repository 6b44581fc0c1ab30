//! The A64 conversions between floating point and integers, and the round-to-integral
//! instructions, under FPCR (AH = 0): the Arm ARM's `FixedToFP`, `FPToFixed` and
//! `FPRoundInt` over `FPUnpack` and `FPRoundBase`, value and FPSR flags, for half, single and
//! double precision. The A64 frontend's SCVTF/UCVTF, FCVT[NPMZA][SU] (scalar, general-register
//! and AdvSIMD forms, fixed-point ones included) and FRINT[NPMZAIX] (scalar and vector) call
//! these, from helpers that run on both hosts.
//!
//! Everything is exact integer arithmetic on the operand's significand:
//! - integer (times 2^-fbits) to float rounds once in FPCR.RMode; inexact raises IXC, a tiny
//!   inexact result UFC (tininess before rounding), a half-precision overflow OFC and IXC;
//!   a tiny result under FZ (FZ16 for halves) is a zero of its sign with UFC only;
//! - float (times 2^fbits) to integer rounds in the instruction's mode and saturates: a NaN
//!   gives 0, a NaN or out-of-range operand raises IOC (and then no IXC), an inexact in-range
//!   one IXC;
//! - round to integral keeps infinities and zeros, quiets NaNs (`FPProcessNaN`: IOC for a
//!   signalling one, the default NaN under DN); FRINTX raises IXC when the result differs;
//! - a denormal operand under FZ reads as a zero of its sign and raises IDC (single and
//!   double precision; FZ16 flushes halves without IDC).

use super::fp::{decompose, Fp};
use super::fp_a64::{half_flags, half_fpcr, process_nans, FPCR_DN, FPCR_FZ, IDC, IOC, IXC, OFC, UFC};
use super::fp_half::F16;
use super::FpPrec;

/// The rounding of a conversion to an integer or an integral value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum IntRound {
    TiesEven,
    TiesAway,
    Up,
    Down,
    Zero,
}

impl IntRound {
    /// FPCR.RMode (bits 23:22): 00 nearest, 01 +inf, 10 -inf, 11 zero.
    pub fn from_fpcr(fpcr: u32) -> IntRound {
        [IntRound::TiesEven, IntRound::Up, IntRound::Down, IntRound::Zero][(fpcr >> 22 & 3) as usize]
    }
}

/// An integer operand or result: signedness and width (32 or 64 bits).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct IntFormat {
    pub signed: bool,
    pub bits64: bool,
}

impl IntFormat {
    /// The integer in the low bits of `v` as a sign and magnitude.
    fn read(self, v: u64) -> (bool, u128) {
        let v: i128 = match (self.signed, self.bits64) {
            (true, true) => v as i64 as i128,
            (false, true) => v as i128,
            (true, false) => v as u32 as i32 as i128,
            (false, false) => v as u32 as i128,
        };
        (v < 0, v.unsigned_abs())
    }
}

/// Whether a magnitude dropped below its last kept bit rounds that bit up: `rem` of `shift`
/// bits was dropped (`shift` may exceed the width of `m`), `odd` is the kept last bit.
fn round_up(mode: IntRound, neg: bool, odd: bool, m: u128, shift: u32) -> (bool, bool) {
    let (rem_gt, rem_eq, inexact) = if shift == 0 {
        (false, false, false)
    } else if shift > 128 {
        (false, false, m != 0)
    } else {
        let rem = if shift == 128 { m } else { m & ((1u128 << shift) - 1) };
        let half = 1u128 << (shift - 1);
        (rem > half, rem == half, rem != 0)
    };
    let up = match mode {
        IntRound::TiesEven => rem_gt || (rem_eq && odd),
        IntRound::TiesAway => rem_gt || rem_eq,
        IntRound::Up => inexact && !neg,
        IntRound::Down => inexact && neg,
        IntRound::Zero => false,
    };
    (up, inexact)
}

/// `m >> shift` for any shift.
fn shr(m: u128, shift: u32) -> u128 {
    if shift >= 128 {
        0
    } else {
        m >> shift
    }
}

/// `FPRoundBase` of the exact nonzero value `(-1)^neg * m * 2^e` to `F` under `fpcr` (FZ
/// meaning the flush of `F`'s results): the value and the FPSR flags.
fn round_exact<F: Fp>(neg: bool, m: u128, e: i32, fpcr: u32) -> (F, u32) {
    let mant = F::MANT_BITS as i32;
    let bias = (F::exp_mask() >> F::MANT_BITS) as i32 / 2;
    let sign = if neg { F::sign_bit() } else { 0 };
    let top = 127 - m.leading_zeros() as i32 + e;
    let tiny = top < 1 - bias;
    if tiny && fpcr & FPCR_FZ != 0 {
        return (F::from_u64(sign), UFC);
    }
    // The weight of the result's last bit: the precision's, or the denormals' fixed one.
    let lsb = (top - mant).max(1 - bias - mant);
    let mut flags = 0;
    let q = if lsb > e {
        let shift = (lsb - e) as u32;
        let q = shr(m, shift);
        let (up, inexact) = round_up(IntRound::from_fpcr(fpcr), neg, q & 1 == 1, m, shift);
        if inexact {
            flags |= IXC | if tiny { UFC } else { 0 };
        }
        q + up as u128
    } else {
        m << (e - lsb) as u32
    };
    // The biased exponent field minus one, plus a significand with its leading bit: a carry
    // into the next binade, or from the denormals into the normals, lands right.
    let bits = (((lsb + mant + bias - 1) as u128) << mant) + q;
    if bits >= F::exp_mask() as u128 {
        let inf = match IntRound::from_fpcr(fpcr) {
            IntRound::Zero => false,
            IntRound::Up => !neg,
            IntRound::Down => neg,
            _ => true,
        };
        let mag = if inf { F::exp_mask() } else { F::exp_mask() - 1 };
        return (F::from_u64(sign | mag), OFC | IXC);
    }
    (F::from_u64(sign | bits as u64), flags)
}

/// SCVTF/UCVTF: the integer `v` of format `int` times 2^-`fbits`, rounded to `F` under `fpcr`.
fn from_int_t<F: Fp>(v: u64, int: IntFormat, fbits: u32, fpcr: u32) -> (F, u32) {
    let (neg, m) = int.read(v);
    if m == 0 {
        return (F::ZERO, 0);
    }
    round_exact(neg, m, -(fbits as i32), fpcr)
}

/// `FPUnpack`'s flush of a denormal operand under FZ (the caller maps FZ16 for halves).
fn unpack<F: Fp>(x: F, fpcr: u32, flags: &mut u32) -> F {
    if fpcr & FPCR_FZ != 0 && x.is_denormal() {
        *flags |= IDC;
        F::from_u64(x.to_u64() & F::sign_bit())
    } else {
        x
    }
}

/// FCVT*: `x` times 2^`fbits` rounded in `mode` to the integer format `int`, saturated.
fn to_int_t<F: Fp>(x: F, int: IntFormat, fbits: u32, mode: IntRound, fpcr: u32) -> (u64, u32) {
    let mut flags = 0;
    let x = unpack(x, fpcr, &mut flags);
    let width = if int.bits64 { 64 } else { 32 };
    let (max, min_mag): (u128, u128) =
        if int.signed { ((1 << (width - 1)) - 1, 1 << (width - 1)) } else { ((1 << width) - 1, 0) };
    let neg = x.is_neg();
    let saturate = |flags: u32| {
        let v = if neg { (min_mag as i128).wrapping_neg() as u64 } else { max as u64 };
        (v & (u64::MAX >> (64 - width)), flags | IOC)
    };
    if x.is_nan() {
        return (0, flags | IOC);
    }
    if x.is_inf() {
        return saturate(flags);
    }
    if x.is_zero() {
        return (0, flags);
    }
    let (m, e) = decompose(x);
    let e = e + fbits as i32;
    let (mag, inexact) = if e >= 0 {
        if 128 - m.leading_zeros() as i32 + e > 65 {
            return saturate(flags);
        }
        (m << e as u32, false)
    } else {
        let shift = (-e) as u32;
        let q = shr(m, shift);
        let (up, inexact) = round_up(mode, neg, q & 1 == 1, m, shift);
        (q + up as u128, inexact)
    };
    let in_range = if neg { mag <= min_mag } else { mag <= max };
    if !in_range {
        return saturate(flags);
    }
    let v = if neg { (mag as i128).wrapping_neg() as u64 } else { mag as u64 };
    (v & (u64::MAX >> (64 - width)), flags | if inexact { IXC } else { 0 })
}

/// FRINT*: `x` rounded to an integral value in `mode`; `exact` (FRINTX) raises IXC when
/// that changes it.
fn round_int_t<F: Fp>(x: F, mode: IntRound, exact: bool, fpcr: u32) -> (F, u32) {
    let mut flags = 0;
    let x = unpack(x, fpcr, &mut flags);
    if let Some(nan) = process_nans(x, x, fpcr & FPCR_DN != 0, &mut flags) {
        return (nan, flags);
    }
    if x.is_inf() || x.is_zero() {
        return (x, flags);
    }
    let neg = x.is_neg();
    let (m, e) = decompose(x);
    if e >= 0 {
        return (x, flags);
    }
    let shift = (-e) as u32;
    let q = shr(m, shift);
    let (up, inexact) = round_up(mode, neg, q & 1 == 1, m, shift);
    let q = q + up as u128;
    if inexact && exact {
        flags |= IXC;
    }
    if q == 0 {
        return (F::from_u64(if neg { F::sign_bit() } else { 0 }), flags);
    }
    // An integer no wider than the operand's significand (plus a carry): exact.
    (round_exact::<F>(neg, q, 0, 0).0, flags)
}

/// Runs `f` on the operand of format `prec` in raw bits, with the FPCR of that format (FZ16
/// as FZ for halves, whose flush raises no IDC).
fn by_prec(
    prec: FpPrec,
    fpcr: u32,
    f16: impl FnOnce(u32) -> (u64, u32),
    f32: impl FnOnce(u32) -> (u64, u32),
    f64: impl FnOnce(u32) -> (u64, u32),
) -> (u64, u32) {
    match prec {
        FpPrec::F16 => {
            let (v, flags) = f16(half_fpcr(fpcr));
            (v, half_flags(flags))
        }
        FpPrec::F32 => f32(fpcr),
        FpPrec::F64 => f64(fpcr),
    }
}

/// SCVTF/UCVTF (scalar, fixed-point with `fbits` > 0): the raw result and the FPSR flags.
pub fn from_int(prec: FpPrec, v: u64, int: IntFormat, fbits: u32, fpcr: u32) -> (u64, u32) {
    by_prec(
        prec,
        fpcr,
        |c| {
            let (r, f) = from_int_t::<F16>(v, int, fbits, c);
            (r.to_u64(), f)
        },
        |c| {
            let (r, f) = from_int_t::<f32>(v, int, fbits, c);
            (r.to_u64(), f)
        },
        |c| {
            let (r, f) = from_int_t::<f64>(v, int, fbits, c);
            (r.to_u64(), f)
        },
    )
}

/// FCVT[NPMZA][SU] (scalar, to a general register, fixed-point with `fbits` > 0): the integer
/// zero-extended to 64 bits and the FPSR flags.
pub fn to_int(prec: FpPrec, a: u64, int: IntFormat, fbits: u32, mode: IntRound, fpcr: u32) -> (u64, u32) {
    by_prec(
        prec,
        fpcr,
        |c| to_int_t(F16(a as u16), int, fbits, mode, c),
        |c| to_int_t(f32::from_bits(a as u32), int, fbits, mode, c),
        |c| to_int_t(f64::from_bits(a), int, fbits, mode, c),
    )
}

/// FRINT[NPMZA] (`exact` false), FRINTI (the FPCR mode) and FRINTX (`exact`): the raw result
/// and the FPSR flags.
pub fn round_int(prec: FpPrec, a: u64, mode: IntRound, exact: bool, fpcr: u32) -> (u64, u32) {
    by_prec(
        prec,
        fpcr,
        |c| {
            let (r, f) = round_int_t(F16(a as u16), mode, exact, c);
            (r.to_u64(), f)
        },
        |c| {
            let (r, f) = round_int_t(f32::from_bits(a as u32), mode, exact, c);
            (r.to_u64(), f)
        },
        |c| {
            let (r, f) = round_int_t(f64::from_bits(a), mode, exact, c);
            (r.to_u64(), f)
        },
    )
}

/// Every expected value and flag set below is what qemu-aarch64-static -cpu neoverse-n1 gives
/// for the same instruction, operand and FPCR (checked with a small static program; the
/// `intcvt` a64_diff suite covers these forms at large).
#[cfg(test)]
mod tests {
    use super::*;

    const S64: IntFormat = IntFormat { signed: true, bits64: true };
    const U32: IntFormat = IntFormat { signed: false, bits64: false };
    const S32: IntFormat = IntFormat { signed: true, bits64: false };
    const UP: u32 = 1 << 22;
    const DOWN: u32 = 2 << 22;
    const ZERO: u32 = 3 << 22;

    #[test]
    fn int_to_float_rounds_in_the_fpcr_mode() {
        let v = (1u64 << 24) + 1;
        assert_eq!(from_int(FpPrec::F32, v, S64, 0, 0), (16777216f32.to_bits() as u64, IXC));
        assert_eq!(from_int(FpPrec::F32, v, S64, 0, UP), (16777218f32.to_bits() as u64, IXC));
        let n = (-(v as i64)) as u64;
        assert_eq!(from_int(FpPrec::F32, n, S64, 0, DOWN), ((-16777218f32).to_bits() as u64, IXC));
        assert_eq!(from_int(FpPrec::F32, n, S64, 0, ZERO), ((-16777216f32).to_bits() as u64, IXC));
        assert_eq!(from_int(FpPrec::F64, 3, S64, 1, 0), (1.5f64.to_bits(), 0));
        assert_eq!(from_int(FpPrec::F64, 0, S64, 0, DOWN), (0, 0));
        // Half precision: 65520 overflows to nearest and upwards, rounds to 65504 towards zero.
        assert_eq!(from_int(FpPrec::F16, 65520, U32, 0, 0), (0x7c00, OFC | IXC));
        assert_eq!(from_int(FpPrec::F16, 65520, U32, 0, ZERO), (0x7bff, IXC));
        assert_eq!(from_int(FpPrec::F16, 65520, U32, 0, UP), (0x7c00, OFC | IXC));
        // 1 * 2^-25 is tiny for a half: the smallest denormal is 2^-24; ties-to-even gives 0.
        assert_eq!(from_int(FpPrec::F16, 1, U32, 25, 0), (0, IXC | UFC));
        assert_eq!(from_int(FpPrec::F16, 1, U32, 25, UP), (1, IXC | UFC));
        assert_eq!(from_int(FpPrec::F16, 1, U32, 20, 1 << 19), (0, UFC));
    }

    #[test]
    fn float_to_int_saturates_and_flags() {
        let m = IntRound::Zero;
        assert_eq!(to_int(FpPrec::F64, 2.5f64.to_bits(), S32, 0, m, 0), (2, IXC));
        assert_eq!(to_int(FpPrec::F64, 2.5f64.to_bits(), S32, 0, IntRound::TiesEven, 0), (2, IXC));
        assert_eq!(to_int(FpPrec::F64, 2.5f64.to_bits(), S32, 0, IntRound::TiesAway, 0), (3, IXC));
        assert_eq!(to_int(FpPrec::F64, (-2.5f64).to_bits(), S32, 0, IntRound::Down, 0), (0xffff_fffd, IXC));
        assert_eq!(to_int(FpPrec::F64, f64::NAN.to_bits(), S64, 0, m, 0), (0, IOC));
        assert_eq!(to_int(FpPrec::F64, 1e300f64.to_bits(), S32, 0, m, 0), (0x7fff_ffff, IOC));
        assert_eq!(to_int(FpPrec::F64, (-1e300f64).to_bits(), S64, 0, m, 0), (1 << 63, IOC));
        assert_eq!(to_int(FpPrec::F64, (-0.5f64).to_bits(), U32, 0, m, 0), (0, IXC));
        assert_eq!(to_int(FpPrec::F64, (-1.0f64).to_bits(), U32, 0, m, 0), (0, IOC));
        assert_eq!(to_int(FpPrec::F32, 1.5f32.to_bits() as u64, S32, 1, m, 0), (3, 0));
        assert_eq!(to_int(FpPrec::F32, 1, S32, 0, IntRound::Up, 0), (1, IXC));
        assert_eq!(to_int(FpPrec::F32, 1, S32, 0, IntRound::Up, 1 << 24), (0, IDC));
        assert_eq!(to_int(FpPrec::F16, 0x3e00, S32, 0, m, 0), (1, IXC));
        assert_eq!(to_int(FpPrec::F64, (-(2f64.powi(63))).to_bits(), S64, 0, m, 0), (1 << 63, 0));
    }

    #[test]
    fn round_to_integral() {
        let f = |x: f64, mode, exact, fpcr| {
            let (r, fl) = round_int(FpPrec::F64, x.to_bits(), mode, exact, fpcr);
            (f64::from_bits(r), fl)
        };
        assert_eq!(f(2.5, IntRound::TiesEven, true, 0), (2.0, IXC));
        assert_eq!(f(2.5, IntRound::TiesAway, false, 0), (3.0, 0));
        assert_eq!(f(-0.25, IntRound::Up, true, 0).0.to_bits(), (-0.0f64).to_bits());
        assert_eq!(f(3.0, IntRound::Zero, true, 0), (3.0, 0));
        assert_eq!(f(0.75, IntRound::TiesEven, true, 0), (1.0, IXC));
        assert_eq!(
            round_int(FpPrec::F64, 0x7ff0_0000_0000_0001, IntRound::Zero, true, 0),
            (0x7ff8_0000_0000_0001, IOC)
        );
        assert_eq!(round_int(FpPrec::F32, 1, IntRound::Up, true, 1 << 24), (0, IDC));
        assert_eq!(round_int(FpPrec::F16, 0x3c01, IntRound::Up, true, 0), (0x4000, IXC));
    }
}
