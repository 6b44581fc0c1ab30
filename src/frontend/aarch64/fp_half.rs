//! Conversions between single (or double) and half precision (FCVTN/FCVTN2 to, FCVTL/FCVTL2
//! from the half-precision storage format, and the scalar FCVT Hd, Sn/Dn and FCVT Sd/Dd, Hn:
//! part of the base instruction set, not FEAT_FP16), and the scalar FCVT between single and
//! double precision (FZ on either side there), as the ARM ARM's FPConvert does them:
//! the FPCR rounding mode, FPCR.DN, FPCR.AHP (the alternative half-precision format, with no
//! infinities or NaNs), FPCR.FZ on the single- or double-precision input only (the
//! half-precision side is never flushed: FPUnpackCV and FPRoundCV ignore FZ16). The `_flags`
//! forms also give the FPSR cumulative exception bits the conversion raises (the scalar FCVT
//! sets them; the AdvSIMD helpers do not set FPSR yet).

const FPCR_AHP: u32 = 1 << 26;
const FPCR_DN: u32 = 1 << 25;
const FPCR_FZ: u32 = 1 << 24;

/// FPSR cumulative exception bits: invalid operation, overflow, underflow, inexact, input
/// denormal.
pub const IOC: u32 = 1;
pub const OFC: u32 = 1 << 2;
pub const UFC: u32 = 1 << 3;
pub const IXC: u32 = 1 << 4;
pub const IDC: u32 = 1 << 7;

/// `m >> s` rounded by the FPCR rounding mode (`neg`: the value is negative), and whether
/// bits were lost.
fn shift_round(m: u64, s: u32, neg: bool, rmode: u32) -> (u64, bool) {
    if s == 0 {
        return (m, false);
    }
    if s >= 64 {
        // m < 2^64 <= 2^s: below half the quantum, so round to nearest gives 0.
        let up = if rmode == 0 { 0 } else { (m != 0) as u64 & round_up_inexact(neg, rmode) };
        return (up, m != 0);
    }
    let q = m >> s;
    let rem = m & ((1u64 << s) - 1);
    if rem == 0 {
        return (q, false);
    }
    let half = 1u64 << (s - 1);
    let up = match rmode {
        0 => rem > half || (rem == half && q & 1 == 1),
        _ => round_up_inexact(neg, rmode) == 1,
    };
    (q + up as u64, true)
}

/// Whether an inexact result rounds away from zero in the directed modes (1 = +inf, 2 = -inf,
/// 3 = zero); 0 for round to nearest is handled by the caller.
fn round_up_inexact(neg: bool, rmode: u32) -> u64 {
    match rmode {
        1 => !neg as u64,
        2 => neg as u64,
        _ => 0,
    }
}

/// Single (`x`, raw bits) to half precision.
pub fn f32_to_f16(x: u32, fpcr: u32) -> u16 {
    f32_to_f16_flags(x, fpcr).0
}

/// Single (`x`, raw bits) to half precision, and the FPSR bits raised.
pub fn f32_to_f16_flags(x: u32, fpcr: u32) -> (u16, u32) {
    let sign = (x >> 16 & 0x8000) as u16;
    let (exp, frac) = (x >> 23 & 0xff, x & 0x7f_ffff);
    if exp == 0xff {
        let snan = frac != 0 && frac & 0x40_0000 == 0;
        return nan_or_inf_to_f16(sign, frac != 0, snan, (frac >> 13 & 0x1ff) as u16, fpcr);
    }
    if exp == 0 && (frac == 0 || fpcr & FPCR_FZ != 0) {
        return (sign, if frac != 0 { IDC } else { 0 });
    }
    // The value is m * 2^e exactly.
    let (m, e) = if exp == 0 { (frac as u64, -149) } else { ((frac | 0x80_0000) as u64, exp as i32 - 150) };
    round_to_f16(sign, m, e, fpcr)
}

/// Double (`x`, raw bits) to half precision, rounded once (FCVT Hd, Dn), and the FPSR bits
/// raised.
pub fn f64_to_f16_flags(x: u64, fpcr: u32) -> (u16, u32) {
    let sign = (x >> 48 & 0x8000) as u16;
    let (exp, frac) = ((x >> 52 & 0x7ff) as u32, x & 0x000f_ffff_ffff_ffff);
    if exp == 0x7ff {
        let snan = frac != 0 && frac & 1 << 51 == 0;
        return nan_or_inf_to_f16(sign, frac != 0, snan, (frac >> 42 & 0x1ff) as u16, fpcr);
    }
    if exp == 0 && (frac == 0 || fpcr & FPCR_FZ != 0) {
        return (sign, if frac != 0 { IDC } else { 0 });
    }
    let (m, e) = if exp == 0 { (frac, -1074) } else { (frac | 1 << 52, exp as i32 - 1075) };
    round_to_f16(sign, m, e, fpcr)
}

/// A NaN (signalling or not, with the top 9 bits `payload` of its fraction below the quiet
/// bit) or an infinity, to half precision.
fn nan_or_inf_to_f16(sign: u16, nan: bool, snan: bool, payload: u16, fpcr: u32) -> (u16, u32) {
    if fpcr & FPCR_AHP != 0 {
        // No NaNs or infinities in the alternative format: zero, or the largest magnitude.
        return (if nan { sign } else { sign | 0x7fff }, IOC);
    }
    if !nan {
        return (sign | 0x7c00, 0);
    }
    let flags = if snan { IOC } else { 0 };
    if fpcr & FPCR_DN != 0 {
        (0x7e00, flags)
    } else {
        (sign | 0x7e00 | payload, flags)
    }
}

/// A narrower destination format of [`round_to`]: fraction bits and exponent bias.
#[derive(Clone, Copy, PartialEq)]
struct Fmt {
    frac: u32,
    bias: i32,
}
const HALF: Fmt = Fmt { frac: 10, bias: 15 };
const SINGLE: Fmt = Fmt { frac: 23, bias: 127 };

/// The non-zero `m * 2^e` (`m` below 2^64) with the sign bit `sign`, rounded to half
/// precision (see [`round_to`]).
fn round_to_f16(sign: u16, m: u64, e: i32, fpcr: u32) -> (u16, u32) {
    let (r, flags) = round_to(HALF, sign as u64, m, e, fpcr);
    (r as u16, flags)
}

/// The non-zero `m * 2^e` (`m` below 2^64) with the sign bit `sign` (already in place),
/// rounded to `fmt` by the FPCR rounding mode as FPRoundCV does (FZ flushes a tiny single
/// result; half precision is never flushed and follows AHP), and the FPSR bits raised
/// (underflow: tiny before rounding, and inexact).
fn round_to(fmt: Fmt, sign: u64, m: u64, e: i32, fpcr: u32) -> (u64, u32) {
    let ahp = fmt == HALF && fpcr & FPCR_AHP != 0;
    let neg = sign != 0;
    let top = 63 - m.leading_zeros() as i32 + e;
    let tiny = top < 1 - fmt.bias;
    if tiny && fmt != HALF && fpcr & FPCR_FZ != 0 {
        return (sign, UFC);
    }
    // The quantum of the result: frac + 1 significant bits, at least the subnormals'.
    let mut q = (top - fmt.frac as i32).max(1 - fmt.bias - fmt.frac as i32);
    let rmode = fpcr >> 22 & 3;
    let (mut n, inexact) =
        if e >= q { (m << (e - q), false) } else { shift_round(m, (q - e) as u32, neg, rmode) };
    let mut flags = if inexact { IXC } else { 0 };
    if inexact && tiny {
        flags |= UFC;
    }
    let (one, two) = (1u64 << fmt.frac, 2u64 << fmt.frac);
    if n == two {
        n = one;
        q += 1;
    }
    if n < one {
        return (sign | n, flags); // subnormal (or zero)
    }
    let biased = q + fmt.frac as i32 + fmt.bias;
    let exp_all_ones = 2 * fmt.bias + 1;
    let max_biased = if ahp { exp_all_ones } else { exp_all_ones - 1 };
    let max_finite = (max_biased as u64) << fmt.frac | (one - 1);
    if biased > max_biased {
        if ahp {
            return (sign | max_finite, IOC);
        }
        let to_inf = match rmode {
            0 => true,
            1 => !neg,
            2 => neg,
            _ => false,
        };
        let inf = (exp_all_ones as u64) << fmt.frac;
        return (sign | if to_inf { inf } else { max_finite }, OFC | IXC);
    }
    (sign | (biased as u64) << fmt.frac | (n - one), flags)
}

/// Double (`x`, raw bits) to single precision (FCVT Sd, Dn) as FPConvert does it: FZ flushes a
/// denormal input (IDC) and a tiny result (UFC), DN, the rounding mode; and the FPSR bits
/// raised.
pub fn f64_to_f32_flags(x: u64, fpcr: u32) -> (u32, u32) {
    let sign = (x >> 32) & 0x8000_0000;
    let (exp, frac) = ((x >> 52 & 0x7ff) as u32, x & 0x000f_ffff_ffff_ffff);
    if exp == 0x7ff {
        if frac == 0 {
            return (sign as u32 | 0x7f80_0000, 0);
        }
        let flags = if frac & 1 << 51 == 0 { IOC } else { 0 };
        if fpcr & FPCR_DN != 0 {
            return (0x7fc0_0000, flags);
        }
        return (sign as u32 | 0x7fc0_0000 | (frac >> 29 & 0x3f_ffff) as u32, flags);
    }
    if exp == 0 && (frac == 0 || fpcr & FPCR_FZ != 0) {
        return (sign as u32, if frac != 0 { IDC } else { 0 });
    }
    let (m, e) = if exp == 0 { (frac, -1074) } else { (frac | 1 << 52, exp as i32 - 1075) };
    let (r, flags) = round_to(SINGLE, sign, m, e, fpcr);
    (r as u32, flags)
}

/// Single (`x`, raw bits) to double precision (FCVT Dd, Sn): exact, but FZ flushes a denormal
/// input (IDC); NaNs quieted (IOC for a signalling one) or the default NaN under DN.
pub fn f32_to_f64_flags(x: u32, fpcr: u32) -> (u64, u32) {
    let sign = ((x & 0x8000_0000) as u64) << 32;
    let (exp, frac) = (x >> 23 & 0xff, x & 0x7f_ffff);
    if exp == 0xff && frac != 0 {
        let flags = if frac & 0x40_0000 == 0 { IOC } else { 0 };
        if fpcr & FPCR_DN != 0 {
            return (0x7ff8_0000_0000_0000, flags);
        }
        return (sign | 0x7ff8_0000_0000_0000 | (frac as u64) << 29, flags);
    }
    if exp == 0 && frac != 0 && fpcr & FPCR_FZ != 0 {
        return (sign, IDC);
    }
    // Every other single (zeros, denormals, infinities) is exactly a double.
    ((f32::from_bits(x) as f64).to_bits(), 0)
}

/// Half (`h`) to single precision: exact.
pub fn f16_to_f32(h: u16, fpcr: u32) -> u32 {
    f16_to_f32_flags(h, fpcr).0
}

/// Half (`h`) to single precision, and the FPSR bits raised (invalid for a signalling NaN).
pub fn f16_to_f32_flags(h: u16, fpcr: u32) -> (u32, u32) {
    let sign = (h as u32 & 0x8000) << 16;
    let (exp, frac) = (h as u32 >> 10 & 0x1f, h as u32 & 0x3ff);
    if exp == 31 && fpcr & FPCR_AHP == 0 {
        if frac == 0 {
            return (sign | 0x7f80_0000, 0);
        }
        let flags = if frac & 0x200 == 0 { IOC } else { 0 };
        if fpcr & FPCR_DN != 0 {
            return (0x7fc0_0000, flags);
        }
        return (sign | 0x7fc0_0000 | (frac & 0x1ff) << 13, flags);
    }
    if exp == 0 {
        // Zero or subnormal: frac * 2^-24, exact in single precision.
        return (sign | (frac as f32 * (1.0 / 16_777_216.0)).to_bits(), 0);
    }
    (sign | (exp + 127 - 15) << 23 | frac << 13, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_edges() {
        for h in 0..=0xffffu16 {
            let is_nan = h & 0x7c00 == 0x7c00 && h & 0x3ff != 0;
            if !is_nan {
                assert_eq!(f32_to_f16(f16_to_f32(h, 0), 0), h, "{h:#x}");
            }
        }
        assert_eq!(f32_to_f16(1.0f32.to_bits(), 0), 0x3c00);
        assert_eq!(f32_to_f16(65520.0f32.to_bits(), 0), 0x7c00); // rounds up to infinity
        assert_eq!(f32_to_f16(65520.0f32.to_bits(), 3 << 22), 0x7bff); // towards zero: max
        assert_eq!(f32_to_f16(1e-8f32.to_bits(), 0), 0); // below half the smallest subnormal
        assert_eq!(f32_to_f16(1e-8f32.to_bits(), 1 << 22), 1); // towards +inf
    }

    #[test]
    fn double_to_single() {
        for &x in &[1.0f64, -0.1, 1e-40, 3.4e38, 3.5e38, 1e-46, 0.0, -0.0, f64::INFINITY] {
            let expect = (x as f32).to_bits();
            assert_eq!(f64_to_f32_flags(x.to_bits(), 0).0, expect, "{x}");
            let exact = (x as f32) as f64 == x;
            assert_eq!(f64_to_f32_flags(x.to_bits(), 0).1 & IXC != 0, !exact, "{x}");
        }
        assert_eq!(f64_to_f32_flags(1e-40f64.to_bits(), 1 << 24), (0, UFC)); // FZ: tiny result
        assert_eq!(f64_to_f32_flags((-1e-40f64).to_bits(), 1 << 24), (0x8000_0000, UFC));
        assert_eq!(f64_to_f32_flags(3.5e38f64.to_bits(), 0), (0x7f80_0000, OFC | IXC));
        assert_eq!(f64_to_f32_flags(3.5e38f64.to_bits(), 3 << 22), (0x7f7f_ffff, OFC | IXC));
        assert_eq!(f64_to_f32_flags(0x7ff4_0000_0000_0000, 0), (0x7fe0_0000, IOC));
        assert_eq!(f32_to_f64_flags(1, 1 << 24), (0, IDC));
        assert_eq!(f32_to_f64_flags(1, 0), ((f32::from_bits(1) as f64).to_bits(), 0));
        assert_eq!(f32_to_f64_flags(0xffa0_0000, 0), (0xfffc_0000_0000_0000, IOC));
        assert_eq!(f32_to_f64_flags(0xffa0_0000, 1 << 25), (0x7ff8_0000_0000_0000, IOC));
    }

    #[test]
    fn double_rounds_once() {
        // Every half value converts back exactly from double as from single.
        for h in 0..=0xffffu16 {
            let x = f32::from_bits(f16_to_f32(h, 0)) as f64;
            if !x.is_nan() {
                assert_eq!(f64_to_f16_flags(x.to_bits(), 0).0, h, "{h:#x}");
            }
        }
        // 1 + 2^-11 + 2^-40: above the halfway point between 1 and its neighbour, so it rounds
        // up; through single precision it would round to the halfway point, then to even (1).
        let x = 1.0 + 2f64.powi(-11) + 2f64.powi(-40);
        assert_eq!(f64_to_f16_flags(x.to_bits(), 0), (0x3c01, IXC));
        assert_eq!(f32_to_f16((x as f32).to_bits(), 0), 0x3c00);
        let tiny = f64::MIN_POSITIVE.to_bits();
        assert_eq!(f64_to_f16_flags(tiny, 1 << 22), (1, UFC | IXC)); // towards +inf
        assert_eq!(f64_to_f16_flags(tiny, 1 << 24), (0, UFC | IXC)); // FZ: a normal input stays
        assert_eq!(f64_to_f16_flags(1, 1 << 24), (0, IDC)); // FZ flushes the double denormal
        assert_eq!(f64_to_f16_flags(1, 1 << 22), (1, UFC | IXC));
        assert_eq!(f64_to_f16_flags(2f64.powi(-24).to_bits(), 0), (1, 0)); // exact: no UFC
        assert_eq!(f64_to_f16_flags(65520.0f64.to_bits(), 0), (0x7c00, OFC | IXC));
        assert_eq!(f64_to_f16_flags(65520.0f64.to_bits(), 3 << 22), (0x7bff, IXC)); // rounds in range
        assert_eq!(f64_to_f16_flags(70000.0f64.to_bits(), 3 << 22), (0x7bff, OFC | IXC));
        assert_eq!(f64_to_f16_flags(65536.0f64.to_bits(), 1 << 26), (0x7c00, 0)); // AHP: normal
        assert_eq!(f64_to_f16_flags(131072.0f64.to_bits(), 1 << 26), (0x7fff, IOC)); // AHP
        assert_eq!(f64_to_f16_flags(0xfff8_0000_0000_0000 | 0x155 << 42, 0), (0xfe00 | 0x155, 0));
        assert_eq!(f64_to_f16_flags(0x7ff0_0000_0000_0001 | 0x3 << 42, 0), (0x7e03, IOC)); // quieted
        assert_eq!(f64_to_f16_flags(0x7ff8_0000_0000_0000, 1 << 26), (0, IOC)); // AHP: NaN to zero
        assert_eq!(f64_to_f16_flags(0xfff0_0000_0000_0000, 1 << 26), (0xffff, IOC)); // AHP: -inf
        assert_eq!(f16_to_f32_flags(0x7d00, 0), (0x7fe0_0000, IOC));
        assert_eq!(f16_to_f32_flags(0x7d00, 1 << 25), (0x7fc0_0000, IOC));
        assert_eq!(f16_to_f32_flags(0x7d00, 1 << 26), (0x47a0_0000, 0)); // AHP: 81920
    }
}
