//! AdvSIMD floating-point forms the main helper ([`super::simd_helpers`]) does not cover:
//! FRINTN/M/P/Z/A/X/I (vector), FCVTNS/NU/MS/MU/AS/AU/PS/PU (vector and scalar), the
//! fixed-point conversions SCVTF/UCVTF/FCVTZS/FCVTZU (shift by immediate, vector and
//! scalar), FACGE/FACGT, FRECPS and FMULX (vector, scalar and by element), and through
//! [`super::simd_estimate`] FRECPE, FRSQRTE, FRSQRTS (vector and scalar), URECPE, URSQRTE,
//! FRECPX and FCVTXN (scalar and vector).
//! Single, double and (FEAT_FP16, `half`: see [`super::simd_fparith::half_form`]) half
//! precision. The arithmetic is [`super::fp_helpers`]'.

use super::fp_helpers::{self as fh, Op2, Round, Ty};
use super::simd_estimate as est;
use super::simd_fparith::{by_element_operand, from_int_lane, lane_ty, to_int_lane};
use super::simd_helpers::{elem, get, set_q, with_elem};
use super::{bit, bits, A64State};
use std::cell::Cell;

/// `FPCompareEQ` (`signalling` false) or `FPCompareGE`/`FPCompareGT` (true) of one lane under
/// FPCR: FZ flushes denormal operands (IDC), a signalling NaN (with `signalling` any NaN)
/// raises IOC; the NZCV nibble of `x` against `y`, the flags ORed into `raised`.
pub(super) fn fcmp_lane(raised: &Cell<u32>, ty: Ty, x: u64, y: u64, fpcr: u32, signalling: bool) -> u64 {
    let (nzcv, flags) = fh::compare_fpcr(ty, x, y, fpcr, signalling);
    raised.set(raised.get() | flags);
    nzcv
}

/// A lane's value, its FPSR flags ORed into `raised`.
pub(super) fn flagged(raised: &Cell<u32>, (v, flags): (u64, u32)) -> u64 {
    raised.set(raised.get() | flags);
    v
}

fn exp_mask(ty: Ty) -> u64 {
    match ty {
        Ty::S => 0x7f80_0000,
        Ty::D => 0x7ff0_0000_0000_0000,
        Ty::H => 0x7c00,
    }
}

fn is_inf(ty: Ty, x: u64) -> bool {
    x & !ty.sign() == exp_mask(ty)
}

/// Zero as FPUnpack sees it: also a denormal that FPCR flushes (FZ, or FZ16 for halves).
fn is_zero(ty: Ty, x: u64, fpcr: u32) -> bool {
    x & !ty.sign() == 0 || (x & exp_mask(ty) == 0 && est::flush_to_zero(ty, fpcr))
}

/// 2^e as `ty` (e within the normal range).
fn pow2(ty: Ty, e: i32) -> u64 {
    match ty {
        Ty::S => ((127 + e) as u64) << 23,
        Ty::D => ((1023 + e) as u64) << 52,
        Ty::H => ((15 + e) as u64) << 10,
    }
}

/// FMULX: FMUL, except that zero times infinity is 2.0 (signed) instead of the default NaN;
/// the FPSR flags ORed into `raised`.
fn mulx(raised: &Cell<u32>, ty: Ty, a: u64, b: u64, fpcr: u32) -> u64 {
    let zero_inf = (is_inf(ty, a) && is_zero(ty, b, fpcr)) || (is_zero(ty, a, fpcr) && is_inf(ty, b));
    if zero_inf {
        ((a ^ b) & ty.sign()) | pow2(ty, 1)
    } else {
        flagged(raised, fh::arith_flags(ty, Some(Op2::Mul), a, b, fpcr))
    }
}

/// FRECPS: 2.0 - a * b, fused, and the FPSR flags; zero times infinity gives 2.0.
fn recps(ty: Ty, a: u64, b: u64, fpcr: u32) -> (u64, u32) {
    let na = a ^ ty.sign();
    match est::step_special(ty, na, b, fpcr) {
        Some(Some(idc)) => (pow2(ty, 1), idc),
        _ => fh::muladd_flags(ty, pow2(ty, 1), na, b, fpcr),
    }
}

/// Executes `w` if it is one of this module's forms.
pub fn exec(st: &mut A64State, w: u32) -> bool {
    let op0 = bits(w, 24, 5);
    if op0 & 0b10000 != 0 && (bit(w, 31) || !bit(w, 30)) {
        return false;
    }
    match op0 & 0b01111 {
        0b1110 if bit(w, 21) => match bits(w, 10, 2) {
            0b01 | 0b11 => three_same(st, w, false),
            0b10 if bits(w, 17, 4) == 0 => two_reg_misc(st, w, false),
            _ => false,
        },
        0b1111 if !bit(w, 10) => by_element(st, w),
        0b1111 if bits(w, 19, 4) != 0 => fixed_point(st, w),
        _ => false,
    }
}

/// Element type and lane count of an FP form; `None` for a reserved arrangement (.1d).
fn arrangement(sz: bool, half: bool, q: bool, scalar: bool) -> Option<(Ty, u32)> {
    if sz && !q && !scalar {
        return None;
    }
    let ty = lane_ty(sz, half);
    let lanes = if scalar { 1 } else { (if q { 128 } else { 64 }) / ty.bits() };
    Some((ty, lanes))
}

pub(super) fn three_same(st: &mut A64State, w: u32, half: bool) -> bool {
    let (q, u, size, scalar) = (bit(w, 30), bit(w, 29), bits(w, 22, 2), bit(w, 28));
    let (rm, opc, rn, rd) = (bits(w, 16, 5), bits(w, 11, 5), bits(w, 5, 5), bits(w, 0, 5));
    let hi = size >> 1 == 1;
    let Some((ty, lanes)) = arrangement(size & 1 == 1, half, q, scalar) else { return false };
    let (a, b, fpcr) = (get(st, rn), get(st, rm), st.fpcr);
    let e = ty.bits();
    let abs = |x: u64| x & !ty.sign();
    // FACGE/FACGT: FPCompareGE/GT of the absolute values (IOC for any NaN), flags in `raised`.
    let raised = Cell::new(0);
    let f = |x: u64, y: u64| -> u64 {
        match (u, hi, opc) {
            (false, false, 0b11011) => mulx(&raised, ty, x, y, fpcr),
            (false, false, 0b11111) => flagged(&raised, recps(ty, x, y, fpcr)),
            (false, true, 0b11111) => flagged(&raised, est::rsqrts(ty, x, y, fpcr)),
            (true, false, 0b11101) => {
                all_ones(matches!(fcmp_lane(&raised, ty, abs(x), abs(y), fpcr, true), 0b0110 | 0b0010))
            }
            _ => all_ones(fcmp_lane(&raised, ty, abs(x), abs(y), fpcr, true) == 0b0010),
        }
    };
    if !matches!((u, hi, opc), (false, false, 0b11011) | (false, _, 0b11111) | (true, _, 0b11101)) {
        return false;
    }
    let r = (0..lanes).fold(0u128, |acc, i| with_elem(acc, i, e, f(elem(a, i, e), elem(b, i, e))));
    st.fpsr |= raised.get();
    set_q(st, rd, r, q && !scalar);
    true
}

fn all_ones(c: bool) -> u64 {
    if c {
        u64::MAX
    } else {
        0
    }
}

pub(super) fn two_reg_misc(st: &mut A64State, w: u32, half: bool) -> bool {
    let (q, u, size, scalar) = (bit(w, 30), bit(w, 29), bits(w, 22, 2), bit(w, 28));
    let (opc, rn, rd) = (bits(w, 12, 5), bits(w, 5, 5), bits(w, 0, 5));
    let (sz, hi) = (size & 1 == 1, size >> 1 == 1);
    if (u, size, opc) == (true, 0b01, 0b10110) {
        return fcvtxn(st, w);
    }
    let Some((ty, lanes)) = arrangement(sz, half, q, scalar) else { return false };
    let fpcr = st.fpcr;
    #[derive(Clone, Copy)]
    enum Kind {
        /// FRINT* in a named mode or (`None`) FPCR's; FRINTX (`true`) raises IXC.
        Rint(Option<Round>, bool),
        ToInt(Round, bool),
        Recpe,
        Rsqrte,
        URecpe,
        URsqrte,
        Recpx,
    }
    let kind = match (u, hi, opc) {
        (false, false, 0b11000) if !scalar => Kind::Rint(Some(Round::TiesEven), false),
        (false, false, 0b11001) if !scalar => Kind::Rint(Some(Round::Down), false),
        (false, true, 0b11000) if !scalar => Kind::Rint(Some(Round::Up), false),
        (false, true, 0b11001) if !scalar => Kind::Rint(Some(Round::Zero), false),
        (true, false, 0b11000) if !scalar => Kind::Rint(Some(Round::TiesAway), false),
        // FRINTX (hi clear) and FRINTI round in the FPCR mode; FRINTX raises Inexact.
        (true, hi, 0b11001) if !scalar => Kind::Rint(None, !hi),
        (_, false, 0b11010) => Kind::ToInt(Round::TiesEven, !u),
        (_, false, 0b11011) => Kind::ToInt(Round::Down, !u),
        (_, false, 0b11100) => Kind::ToInt(Round::TiesAway, !u),
        (_, true, 0b11010) => Kind::ToInt(Round::Up, !u),
        (false, true, 0b11101) => Kind::Recpe,
        (true, true, 0b11101) => Kind::Rsqrte,
        (false, true, 0b11100) if !sz && !scalar && !half => Kind::URecpe,
        (true, true, 0b11100) if !sz && !scalar && !half => Kind::URsqrte,
        (false, true, 0b11111) if scalar => Kind::Recpx,
        _ => return false,
    };
    let e = ty.bits();
    let a = get(st, rn);
    let mut raised = 0;
    let r = (0..lanes).fold(0u128, |acc, i| {
        let x = elem(a, i, e);
        let mut flagged = |(v, flags): (u64, u32)| {
            raised |= flags;
            v
        };
        let v = match kind {
            Kind::Rint(mode, exact) => flagged(fh::exact::round_int(ty, x, mode, exact, fpcr)),
            Kind::ToInt(mode, signed) => flagged(to_int_lane(ty, x, mode, signed, sz, 0, fpcr)),
            Kind::Recpe => flagged(est::frecpe(ty, x, fpcr)),
            Kind::Rsqrte => flagged(est::frsqrte(ty, x, fpcr)),
            Kind::URecpe => est::urecpe(x),
            Kind::URsqrte => est::ursqrte(x),
            Kind::Recpx => flagged(est::frecpx(ty, x, fpcr)),
        };
        with_elem(acc, i, e, v)
    });
    st.fpsr |= raised;
    set_q(st, rd, r, q && !scalar);
    true
}

/// FCVTXN, FCVTXN2 (vector) and FCVTXN (scalar): double to single precision, rounding to odd.
fn fcvtxn(st: &mut A64State, w: u32) -> bool {
    let (scalar, rn, rd) = (bit(w, 28), bits(w, 5, 5), bits(w, 0, 5));
    let q = bit(w, 30) && !scalar;
    let (a, fpcr) = (get(st, rn), st.fpcr);
    let lanes = if scalar { 1 } else { 2 };
    let mut raised = 0;
    let r = (0..lanes).fold(0u128, |acc, i| {
        let (v, flags) = est::fcvtxn(elem(a, i, 64), fpcr);
        raised |= flags;
        with_elem(acc, i, 32, v)
    });
    st.fpsr |= raised;
    if q {
        // FCVTXN2: the upper half, the lower one kept.
        let keep = get(st, rd) & u64::MAX as u128;
        set_q(st, rd, keep | r << 64, true);
    } else {
        set_q(st, rd, r, false);
    }
    true
}

fn by_element(st: &mut A64State, w: u32) -> bool {
    let (q, u, size, scalar) = (bit(w, 30), bit(w, 29), bits(w, 22, 2), bit(w, 28));
    let (opc, rn, rd) = (bits(w, 12, 4), bits(w, 5, 5), bits(w, 0, 5));
    // FMULX (by element).
    if !(u && opc == 0b1001 && size != 1) {
        return false;
    }
    let Some((ty, index, rm)) = by_element_operand(w) else { return false };
    let Some((ty, lanes)) = arrangement(ty == Ty::D, ty == Ty::H, q, scalar) else { return false };
    let e = ty.bits();
    let y = elem(get(st, rm), index, e);
    let (a, fpcr) = (get(st, rn), st.fpcr);
    let raised = Cell::new(0);
    let r = (0..lanes).fold(0u128, |acc, i| with_elem(acc, i, e, mulx(&raised, ty, elem(a, i, e), y, fpcr)));
    st.fpsr |= raised.get();
    set_q(st, rd, r, q && !scalar);
    true
}

/// SCVTF / UCVTF / FCVTZS / FCVTZU (vector and scalar, fixed-point): the fraction bits are
/// `2 * esize - immh:immb`.
fn fixed_point(st: &mut A64State, w: u32) -> bool {
    let (q, u, scalar) = (bit(w, 30), bit(w, 29), bit(w, 28));
    let (immh, immb, opc, rn, rd) =
        (bits(w, 19, 4), bits(w, 16, 3), bits(w, 11, 5), bits(w, 5, 5), bits(w, 0, 5));
    // immh 001x: half precision (FEAT_FP16).
    if !matches!(opc, 0b11100 | 0b11111) || immh < 0b0010 {
        return false;
    }
    let sz = immh >= 0b1000;
    let Some((ty, lanes)) = arrangement(sz, immh < 0b0100, q, scalar) else { return false };
    let e = ty.bits();
    let fbits = 2 * e - ((immh << 3) | immb);
    let (a, fpcr) = (get(st, rn), st.fpcr);
    let mut raised = 0;
    let r = (0..lanes).fold(0u128, |acc, i| {
        let x = elem(a, i, e);
        let (v, flags) = if opc == 0b11100 {
            from_int_lane(ty, x, !u, sz, fbits, fpcr)
        } else {
            to_int_lane(ty, x, Round::Zero, !u, sz, fbits, fpcr)
        };
        raised |= flags;
        with_elem(acc, i, e, v)
    });
    st.fpsr |= raised;
    set_q(st, rd, r, q && !scalar);
    true
}
