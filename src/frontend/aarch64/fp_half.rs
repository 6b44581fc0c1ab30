//! Conversions between single and half precision (FCVTN/FCVTN2 to, FCVTL/FCVTL2 from the
//! half-precision storage format, part of the base AdvSIMD instruction set, not FEAT_FP16),
//! as the ARM ARM's FPConvert does them: the FPCR rounding mode, FPCR.DN, FPCR.AHP (the
//! alternative half-precision format, with no infinities or NaNs), FPCR.FZ on the
//! single-precision input only (the half-precision side is never flushed). FPSR flags are not
//! set, as in the rest of the AdvSIMD FP helpers.

const FPCR_AHP: u32 = 1 << 26;
const FPCR_DN: u32 = 1 << 25;
const FPCR_FZ: u32 = 1 << 24;

/// `m >> s` rounded by the FPCR rounding mode (`neg`: the value is negative).
fn shift_round(m: u64, s: u32, neg: bool, rmode: u32) -> u64 {
    if s == 0 {
        return m;
    }
    if s >= 64 {
        return if rmode == 0 { 0 } else { (m != 0) as u64 & round_up_inexact(neg, rmode) };
    }
    let q = m >> s;
    let rem = m & ((1u64 << s) - 1);
    if rem == 0 {
        return q;
    }
    let half = 1u64 << (s - 1);
    let up = match rmode {
        0 => rem > half || (rem == half && q & 1 == 1),
        _ => round_up_inexact(neg, rmode) == 1,
    };
    q + up as u64
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
    let ahp = fpcr & FPCR_AHP != 0;
    let sign = (x >> 16 & 0x8000) as u16;
    let neg = sign != 0;
    let (exp, frac) = (x >> 23 & 0xff, x & 0x7f_ffff);
    if exp == 0xff {
        if frac != 0 {
            return if ahp {
                sign
            } else if fpcr & FPCR_DN != 0 {
                0x7e00
            } else {
                sign | 0x7e00 | (frac >> 13 & 0x1ff) as u16
            };
        }
        return sign | if ahp { 0x7fff } else { 0x7c00 };
    }
    if exp == 0 && (frac == 0 || fpcr & FPCR_FZ != 0) {
        return sign;
    }
    // The value is m * 2^e exactly.
    let (m, e) = if exp == 0 { (frac as u64, -149) } else { ((frac | 0x80_0000) as u64, exp as i32 - 150) };
    let top = 63 - m.leading_zeros() as i32 + e;
    // The quantum of the result: 11 significant bits, at least 2^-24 (the subnormals').
    let mut q = (top - 10).max(-24);
    let rmode = fpcr >> 22 & 3;
    let mut n = if e >= q { m << (e - q) } else { shift_round(m, (q - e) as u32, neg, rmode) };
    if n == 1 << 11 {
        n = 1 << 10;
        q += 1;
    }
    if n < 1 << 10 {
        return sign | n as u16; // subnormal (or zero)
    }
    let biased = q + 25;
    let max_biased = if ahp { 31 } else { 30 };
    if biased > max_biased {
        let to_inf = !ahp
            && match rmode {
                0 => true,
                1 => !neg,
                2 => neg,
                _ => false,
            };
        return sign
            | if to_inf {
                0x7c00
            } else if ahp {
                0x7fff
            } else {
                0x7bff
            };
    }
    sign | (biased as u16) << 10 | (n - (1 << 10)) as u16
}

/// Half (`h`) to single precision: exact.
pub fn f16_to_f32(h: u16, fpcr: u32) -> u32 {
    let sign = (h as u32 & 0x8000) << 16;
    let (exp, frac) = (h as u32 >> 10 & 0x1f, h as u32 & 0x3ff);
    if exp == 31 && fpcr & FPCR_AHP == 0 {
        if frac == 0 {
            return sign | 0x7f80_0000;
        }
        if fpcr & FPCR_DN != 0 {
            return 0x7fc0_0000;
        }
        return sign | 0x7fc0_0000 | (frac & 0x1ff) << 13;
    }
    if exp == 0 {
        // Zero or subnormal: frac * 2^-24, exact in single precision.
        return sign | (frac as f32 * (1.0 / 16_777_216.0)).to_bits();
    }
    sign | (exp + 127 - 15) << 23 | frac << 13
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
}
