//! IEEE 754 binary16 for the FP engine ([`super::fp::Fp`]), so that [`super::FpPrec::F16`]
//! runs through the same reference code as `f32` and `f64` ([`super::fp_a64::arith`],
//! [`super::fma::fma_a64`]).
//!
//! The engine needs each basic operation correctly rounded to nearest-even; the rounding
//! mode, flags, flushing and NaN rules are its own. A half widens exactly to `f64`, and:
//! - the sum, difference or product of two halves is exact in `f64` (at most 40 significant
//!   bits), so one rounding to half is the correctly rounded result;
//! - a quotient or square root rounded to `f64` and then to half is correctly rounded,
//!   because 53 >= 2 * 11 + 2 (double rounding is innocuous at that precision);
//! - a fused multiply-add: the product is exact in `f64`, the sum is rounded to `f64` with
//!   its exact error (TwoSum), and an inexact sum is made odd (round to odd, which rounding
//!   to 11 bits afterwards leaves correct since 53 >= 11 + 2).

use super::fp::{Fp, Round};
use core::cmp::Ordering;
use core::ops::{Add, Div, Mul, Neg, Sub};

/// A binary16 value by its bits.
#[derive(Clone, Copy, Debug)]
pub struct F16(pub u16);

impl F16 {
    /// Exactly as `f64`.
    pub fn widen(self) -> f64 {
        let b = self.0 as u64;
        let sign = if b & 0x8000 != 0 { -1.0 } else { 1.0 };
        let (exp, frac) = ((b >> 10 & 0x1f) as i32, b & 0x3ff);
        let magnitude = match exp {
            0x1f if frac != 0 => {
                // Keep the payload and quiet bit: the NaN widens as an f64 NaN with the same top
                // fraction bits, so `from_f64` gives it back.
                return f64::from_bits((b & 0x8000) << 48 | 0x7ff0_0000_0000_0000 | frac << 42);
            }
            0x1f => f64::INFINITY,
            0 => frac as f64 * 2f64.powi(-24),
            _ => (frac | 0x400) as f64 * 2f64.powi(exp - 25),
        };
        sign * magnitude
    }

    /// `x` rounded to nearest-even half (overflow to infinity, NaNs keep their top fraction
    /// bits).
    pub fn from_f64(x: f64) -> F16 {
        let b = x.to_bits();
        let sign = (b >> 48 & 0x8000) as u16;
        let (exp, frac) = ((b >> 52 & 0x7ff) as i32, b & 0x000f_ffff_ffff_ffff);
        if exp == 0x7ff {
            let nan = if frac != 0 { 0x200 | (frac >> 42) as u16 } else { 0 };
            return F16(sign | 0x7c00 | nan);
        }
        if exp == 0 {
            // Zero, or an f64 denormal: far below half the smallest half denormal.
            return F16(sign);
        }
        // x = m * 2^e; the result's quantum is 2^q (11 significant bits, or the denormals').
        let (m, e) = (frac | 1 << 52, exp - 1075);
        let q = (52 + e - 10).max(-24);
        let s = (q - e) as u32;
        if s >= 64 {
            return F16(sign);
        }
        let (mut n, rem, half) = (m >> s, m & ((1u64 << s) - 1), 1u64 << (s - 1));
        if rem > half || (rem == half && n & 1 == 1) {
            n += 1;
        }
        // n * 2^q with n <= 2^11: the biased exponent and fraction add up to this.
        let bits = (((q + 24) as u64) << 10) + n;
        F16(sign | if bits >= 0x7c00 { 0x7c00 } else { bits as u16 })
    }
}

impl PartialEq for F16 {
    fn eq(&self, other: &F16) -> bool {
        self.widen() == other.widen()
    }
}

impl PartialOrd for F16 {
    fn partial_cmp(&self, other: &F16) -> Option<Ordering> {
        self.widen().partial_cmp(&other.widen())
    }
}

macro_rules! via_f64 {
    ($($trait:ident $method:ident $op:tt),*) => {$(
        impl $trait for F16 {
            type Output = F16;
            fn $method(self, other: F16) -> F16 {
                F16::from_f64(self.widen() $op other.widen())
            }
        }
    )*};
}
via_f64!(Add add +, Sub sub -, Mul mul *, Div div /);

impl Neg for F16 {
    type Output = F16;
    fn neg(self) -> F16 {
        F16(self.0 ^ 0x8000)
    }
}

impl Fp for F16 {
    const BITS: u32 = 16;
    const MANT_BITS: u32 = 10;
    const DEFAULT_NAN: u64 = 0xfe00;
    const ZERO: F16 = F16(0);
    fn to_u64(self) -> u64 {
        self.0 as u64
    }
    fn from_u64(b: u64) -> F16 {
        F16(b as u16)
    }
    fn mul_add(self, a: F16, b: F16) -> F16 {
        let (p, c) = (self.widen() * a.widen(), b.widen());
        let s = p + c;
        if !s.is_finite() {
            return F16::from_f64(s);
        }
        let bb = s - p;
        let err = (p - (s - bb)) + (c - bb);
        // Round to odd: an inexact sum with an even last bit steps one unit towards the error.
        let odd = if err != 0.0 && s.to_bits() & 1 == 0 {
            f64::from_bits(if (err > 0.0) == (s > 0.0) { s.to_bits() + 1 } else { s.to_bits() - 1 })
        } else {
            s
        };
        F16::from_f64(odd)
    }
    fn sqrt(self) -> F16 {
        F16::from_f64(self.widen().sqrt())
    }
    fn from_i64(v: i64) -> F16 {
        // Only a |v| of 2^17 and more rounds in f64, and it overflows a half either way.
        F16::from_f64(v as f64)
    }
    fn round_int(self, r: Round) -> F16 {
        F16::from_f64(self.widen().round_int(r))
    }
    fn to_f64(self) -> f64 {
        self.widen()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_half_round_trips_through_f64() {
        for b in 0..=u16::MAX {
            let x = F16(b);
            let back = F16::from_f64(x.widen()).0;
            // A NaN comes back quiet.
            assert_eq!(back, if x.is_nan() { b | 0x200 } else { b }, "{b:#06x}");
        }
    }

    #[test]
    fn rounding_to_half() {
        // 65504 is the largest half; halfway to 65536 (2^16) rounds to even: infinity.
        assert_eq!(F16::from_f64(65504.0).0, 0x7bff);
        assert_eq!(F16::from_f64(65519.99).0, 0x7bff);
        assert_eq!(F16::from_f64(65520.0).0, 0x7c00);
        // The smallest denormal 2^-24; half of it ties to zero, a bit more rounds up.
        assert_eq!(F16::from_f64(2f64.powi(-25)).0, 0);
        assert_eq!(F16::from_f64(2f64.powi(-25) * 1.0001).0, 1);
        assert_eq!(F16::from_f64(-3.0 * 2f64.powi(-25)).0, 0x8002);
        // 1 + 2^-11 ties to 1, 1 + 3 * 2^-11 to 1 + 2^-9.
        assert_eq!(F16::from_f64(1.0 + 2f64.powi(-11)).0, 0x3c00);
        assert_eq!(F16::from_f64(1.0 + 3.0 * 2f64.powi(-11)).0, 0x3c02);
    }

    #[test]
    fn fused_multiply_add_rounds_once() {
        // (1 + 2^-10)(1 - 2^-10) - 1 = -2^-20 (a denormal half); the product rounded first
        // would be 1, and the result 0.
        let r = F16(0x3c01).mul_add(F16(0x3bfe), F16(0xbc00));
        assert_eq!(r.0, 0x8010);
        assert_eq!((F16(0x3c01) * F16(0x3bfe)).0, 0x3c00);
        // 2^15 + 2^-48 is not an f64, and is 2^15 as a half.
        let r = F16(0x0001).mul_add(F16(0x0001), F16(0x7800));
        assert_eq!(r.0, 0x7800);
    }
}
