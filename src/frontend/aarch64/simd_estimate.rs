//! The AdvSIMD reciprocal estimates and steps the other files do not cover, as the ARM ARM's
//! shared pseudo-code defines them (FPRecipEstimate, FPRSqrtEstimate, RecipEstimate,
//! RecipSqrtEstimate, UnsignedRecipEstimate, UnsignedRSqrtEstimate, FPRSqrtStepFused, FPRecpX):
//! FRECPE and FRSQRTE (vector and scalar), URECPE and URSQRTE, FRSQRTS (vector and scalar),
//! FRECPX; and FCVTXN's round-to-odd conversion. Half, single and double precision, without
//! FEAT_RPRES (Neoverse-N1 has none). The FP ones return the value and the FPSR flags raised:
//! IDC for a denormal operand FZ flushes (not for halves, which FZ16 flushes silently), IOC
//! for a signalling NaN (FRSQRTE: also a negative operand), DZC for an estimate of a zero,
//! OFC and IXC for FRECPE's overflow, UFC alone for a result FZ flushes.

use super::fp_helpers::{self as fh, Ty};

const FPCR_FZ: u32 = 1 << 24;
const IOC: u32 = 1;
const DZC: u32 = 1 << 1;
const OFC: u32 = 1 << 2;
const UFC: u32 = 1 << 3;
const IXC: u32 = 1 << 4;
const IDC: u32 = 1 << 7;

/// The 9-bit reciprocal estimate of `a` / 512 (256 <= a < 512), in units of 1/256.
fn recip_estimate(a: u64) -> u64 {
    let a = a * 2 + 1;
    let b = (1 << 19) / a;
    b.div_ceil(2)
}

/// The 9-bit reciprocal square root estimate of `a` / 512 (128 <= a < 512), in units of 1/256.
fn recip_sqrt_estimate(a: u64) -> u64 {
    let a = if a < 256 { a * 2 + 1 } else { (((a >> 1) << 1) + 1) << 1 };
    // The Arm ARM counts b up from 512 while a * (b + 1)^2 < 2^28: the largest such b, found
    // by halving steps (a >= 257, so b < 1024).
    let mut b = 512u64;
    let mut step = 256;
    while step > 0 {
        if a * (b + step) * (b + step) < 1 << 28 {
            b += step;
        }
        step >>= 1;
    }
    b.div_ceil(2)
}

/// (exponent width, fraction width) of `ty`.
fn layout(ty: Ty) -> (u32, u32) {
    match ty {
        Ty::S => (8, 23),
        Ty::D => (11, 52),
        Ty::H => (5, 10),
    }
}

/// Exponent field and fraction (left-aligned to 52 bits) of a finite non-zero `x`.
fn unpack(ty: Ty, x: u64) -> (i64, u64) {
    let (ew, fw) = layout(ty);
    let exp = (x >> fw & ((1 << ew) - 1)) as i64;
    let frac = (x & ((1 << fw) - 1)) << (52 - fw);
    (exp, frac)
}

/// Whether FPCR flushes `ty`'s denormals: FZ16 (bit 19) for halves, FZ for the others.
pub(super) fn flush_to_zero(ty: Ty, fpcr: u32) -> bool {
    let fz = if ty == Ty::H { 1 << 19 } else { FPCR_FZ };
    fpcr & fz != 0
}

/// `FPUnpack`'s flush: a denormal `x` under FZ (FZ16) reads as a zero of its sign, raising IDC
/// (not for halves).
fn flushed(ty: Ty, x: u64, fpcr: u32) -> (u64, u32) {
    let (exp, _) = unpack(ty, x);
    if flush_to_zero(ty, fpcr) && exp == 0 && x & !ty.sign() != 0 {
        (x & ty.sign(), if ty == Ty::H { 0 } else { IDC })
    } else {
        (x, 0)
    }
}

/// `FPProcessNaN`: the quieted (or default) NaN, IOC for a signalling one.
fn nan_result(ty: Ty, x: u64, fpcr: u32) -> (u64, u32) {
    (fh::process_nan(ty, x, fpcr), if ty.is_snan(x) { IOC } else { 0 })
}

fn infinity(ty: Ty, sign: u64) -> u64 {
    let (ew, fw) = layout(ty);
    sign | ((1 << ew) - 1) << fw
}

/// ARM FPRecipEstimate: the value and the FPSR flags.
pub fn frecpe(ty: Ty, x: u64, fpcr: u32) -> (u64, u32) {
    let (ew, fw) = layout(ty);
    let sign = x & ty.sign();
    let (x, idc) = flushed(ty, x, fpcr);
    let mag = x & !ty.sign();
    let (exp, mut frac) = unpack(ty, x);
    if ty.is_nan(x) {
        return nan_result(ty, x, fpcr);
    }
    if mag == infinity(ty, 0) {
        return (sign, 0);
    }
    if mag == 0 {
        return (infinity(ty, sign), idc | DZC);
    }
    // |x| < 2^-(bias + 1): the estimate overflows.
    if exp == 0 && frac >> 50 == 0 {
        let to_inf = match fpcr >> 22 & 3 {
            0 => true,
            1 => sign == 0,
            2 => sign != 0,
            _ => false,
        };
        let r = if to_inf { infinity(ty, sign) } else { infinity(ty, sign) - 1 };
        return (r, OFC | IXC);
    }
    let bias = (1i64 << (ew - 1)) - 1;
    // |x| >= 2^(bias - 1) under FZ (FZ16 for halves): the result would be subnormal, flushed.
    if flush_to_zero(ty, fpcr) && exp >= 2 * bias - 1 {
        return (sign, UFC);
    }
    let mut exp = exp;
    if exp == 0 {
        if frac >> 51 == 0 {
            exp = -1;
            frac = (frac << 2) & ((1 << 52) - 1);
        } else {
            frac = (frac << 1) & ((1 << 52) - 1);
        }
    }
    let scaled = 256 | frac >> 44;
    let mut result_exp = 2 * bias - 1 - exp;
    let estimate = recip_estimate(scaled);
    let mut f = (estimate & 0xff) << 44;
    if result_exp == 0 {
        f = 1 << 51 | f >> 1;
    } else if result_exp == -1 {
        f = 1 << 50 | f >> 2;
        result_exp = 0;
    }
    (sign | (result_exp as u64) << fw | f >> (52 - fw), 0)
}

/// ARM FPRSqrtEstimate: the value and the FPSR flags.
pub fn frsqrte(ty: Ty, x: u64, fpcr: u32) -> (u64, u32) {
    let (ew, fw) = layout(ty);
    let sign = x & ty.sign();
    let (x, idc) = flushed(ty, x, fpcr);
    let mag = x & !ty.sign();
    if ty.is_nan(x) {
        return nan_result(ty, x, fpcr);
    }
    if mag == 0 {
        return (infinity(ty, sign), idc | DZC);
    }
    if sign != 0 {
        return (ty.default_nan(), IOC);
    }
    if mag == infinity(ty, 0) {
        return (0, 0);
    }
    let (mut exp, mut frac) = unpack(ty, x);
    if exp == 0 {
        while frac >> 51 == 0 {
            frac <<= 1;
            exp -= 1;
        }
        frac = (frac << 1) & ((1 << 52) - 1);
    }
    // An even exponent scales to [0.5, 1), an odd one to [0.25, 0.5).
    let scaled = if exp & 1 == 0 { 256 | frac >> 44 } else { 128 | frac >> 45 };
    let bias = (1i64 << (ew - 1)) - 1;
    // (3 * bias - 1 - exp) DIV 2, rounding towards minus infinity.
    let result_exp = (3 * bias - 1 - exp).div_euclid(2);
    let estimate = recip_sqrt_estimate(scaled);
    ((result_exp as u64) << fw | (estimate & 0xff) << (fw - 8), 0)
}

/// ARM UnsignedRecipEstimate (URECPE, 32-bit lanes).
pub fn urecpe(x: u64) -> u64 {
    if x >> 31 & 1 == 0 {
        return 0xffff_ffff;
    }
    recip_estimate(x >> 23 & 0x1ff) << 23
}

/// ARM UnsignedRSqrtEstimate (URSQRTE, 32-bit lanes).
pub fn ursqrte(x: u64) -> u64 {
    if x >> 30 & 3 == 0 {
        return 0xffff_ffff;
    }
    // The operand times 2^-32 is in [0.5, 1) (bit 31 set) or in [0.25, 0.5).
    let scaled = if x >> 31 & 1 == 1 { 256 | (x >> 23 & 0xff) } else { 128 | (x >> 23 & 0x7f) };
    recip_sqrt_estimate(scaled) << 23
}

/// ARM FPRSqrtStepFused: (3 - a * b) / 2 with one rounding, and the FPSR flags; zero times
/// infinity gives 1.5.
pub fn rsqrts(ty: Ty, a: u64, b: u64, fpcr: u32) -> (u64, u32) {
    let (ew, fw) = layout(ty);
    let bias = (1u64 << (ew - 1)) - 1;
    let three_halves = bias << fw | 1 << (fw - 1);
    let na = a ^ ty.sign();
    let Some(idc) = step_special(ty, na, b, fpcr) else {
        return fh::muladd_flags(ty, three_halves, na, b, fpcr);
    };
    if let Some(idc) = idc {
        return (three_halves, idc);
    }
    // 1.5 + (-a / 2) * b: halving an operand whose exponent field is at least 2 (neither
    // denormal nor flushed) is exact; when neither is, the product is far below half an ulp
    // of 1.5 and its halving cannot change the rounded sum or the flags. The reference
    // flushes (IDC) the operand passed as it is.
    let inf = infinity(ty, 0);
    let halvable = |x: u64| x & !ty.sign() != inf && unpack(ty, x).0 >= 2;
    if halvable(na) {
        fh::muladd_flags(ty, three_halves, na - (1 << fw), b, fpcr)
    } else if halvable(b) {
        fh::muladd_flags(ty, three_halves, na, b - (1 << fw), fpcr)
    } else {
        fh::muladd_flags(ty, three_halves, na, b, fpcr)
    }
}

/// What FRECPS and FRSQRTS (`FPRecipStepFused`, `FPRSqrtStepFused`) of the negated first
/// operand `na` and `b` do before their fused sum: `None` if an operand is a NaN (the
/// reference's NaN rules are theirs), `Some(Some(idc))` if one is infinite and the other zero
/// once FPCR flushes denormals (the result is the constant, the flags the flushes' IDC),
/// `Some(None)` otherwise.
pub(super) fn step_special(ty: Ty, na: u64, b: u64, fpcr: u32) -> Option<Option<u32>> {
    if ty.is_nan(na) || ty.is_nan(b) {
        return None;
    }
    let ((fa, fla), (fb, flb)) = (flushed(ty, na, fpcr), flushed(ty, b, fpcr));
    let inf = infinity(ty, 0);
    let (za, zb) = (fa & !ty.sign() == 0, fb & !ty.sign() == 0);
    let (ia, ib) = (fa & !ty.sign() == inf, fb & !ty.sign() == inf);
    Some(((ia && zb) || (za && ib)).then_some(fla | flb))
}

/// ARM FPRecpX (FRECPX): the exponent inverted, the fraction cleared (zeros and subnormals
/// get the largest finite exponent), and the FPSR flags.
pub fn frecpx(ty: Ty, x: u64, fpcr: u32) -> (u64, u32) {
    let (ew, fw) = layout(ty);
    if ty.is_nan(x) {
        return nan_result(ty, x, fpcr);
    }
    let max = (1u64 << ew) - 1;
    let (exp, _) = unpack(ty, x);
    let e = if exp == 0 { max - 1 } else { !(exp as u64) & max };
    (x & ty.sign() | e << fw, flushed(ty, x, fpcr).1)
}

/// FCVTXN's conversion: double to single precision rounding to odd (truncate, then set the
/// lowest bit if inexact); overflow gives the largest finite value, FPCR.FZ flushes a
/// denormal operand (IDC) and a result below the normal range (UFC only) to zero. The value
/// and the FPSR flags.
pub fn fcvtxn(x: u64, fpcr: u32) -> (u64, u32) {
    let d = f64::from_bits(x);
    if d.is_nan() {
        return (fh::convert(Ty::D, Ty::S, x, fpcr), if Ty::D.is_snan(x) { IOC } else { 0 });
    }
    let sign = (x >> 32) as u32 & 0x8000_0000;
    let (flushed_x, idc) = flushed(Ty::D, x, fpcr);
    if flushed_x & !Ty::D.sign() == 0 {
        return (sign as u64, idc);
    }
    let tiny = d.abs() < f32::MIN_POSITIVE as f64;
    if fpcr & FPCR_FZ != 0 && tiny {
        return (sign as u64, UFC);
    }
    if d.is_infinite() {
        return ((sign | 0x7f80_0000) as u64, 0);
    }
    let mut r = d as f32;
    if (r as f64).abs() > d.abs() {
        // Towards zero by one step (r is non-zero here, or infinite after overflow).
        r = f32::from_bits(r.to_bits() - 1);
    }
    let mut bits = r.to_bits();
    if r as f64 == d {
        return (bits as u64, 0);
    }
    bits |= 1;
    let overflow = d.abs() >= 2f64.powi(128);
    (bits as u64, IXC | if overflow { OFC } else { 0 } | if tiny { UFC } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsqrt_estimate_is_the_counting_loop() {
        for a in 128..512 {
            let x = if a < 256 { a * 2 + 1 } else { (((a >> 1) << 1) + 1) << 1 };
            let mut b = 512u64;
            while x * (b + 1) * (b + 1) < 1 << 28 {
                b += 1;
            }
            assert_eq!(recip_sqrt_estimate(a), b.div_ceil(2), "{a}");
        }
    }

    #[test]
    fn estimates_of_simple_values() {
        // FRECPE(1.0) = 0.998046875 (511/512), FRSQRTE(1.0) = 0.998046875, FRSQRTE(4.0) = 0.4990234375.
        assert_eq!(f32::from_bits(frecpe(Ty::S, 1f32.to_bits() as u64, 0).0 as u32), 0.998_046_9);
        assert_eq!(f64::from_bits(frsqrte(Ty::D, 1f64.to_bits(), 0).0), 0.998046875);
        assert_eq!(f64::from_bits(frsqrte(Ty::D, 4f64.to_bits(), 0).0), 0.4990234375);
        assert_eq!(
            rsqrts(Ty::S, 2f32.to_bits() as u64, 0.5f32.to_bits() as u64, 0),
            (1f32.to_bits() as u64, 0)
        );
    }
}
