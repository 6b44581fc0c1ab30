//! AdvSIMD floating-point forms the main helper ([`super::simd_helpers`]) does not cover:
//! FRINTN/M/P/Z/A/X/I (vector), FCVTNS/NU/MS/MU/AS/AU/PS/PU (vector and scalar), the
//! fixed-point conversions SCVTF/UCVTF/FCVTZS/FCVTZU (shift by immediate, vector and
//! scalar), FACGE/FACGT, FRECPS and FMULX (vector, scalar and by element), and through
//! [`super::simd_estimate`] FRECPE, FRSQRTE, FRSQRTS (vector and scalar), URECPE, URSQRTE,
//! FRECPX and FCVTXN (scalar and vector).
//! Single, double and (FEAT_FP16, `half`: see [`super::simd_fparith::half_form`]) half
//! precision. The arithmetic is [`super::fp_helpers`]'. The functions take the form
//! [`decode`] (or, for FP16, [`super::simd_form::decode`]) made at translation time; each
//! row's `*_op` function maps its fields to the operation and is the row's field checks.

use super::fp_helpers::{self as fh, Op2, Round, Ty};
use super::simd_estimate as est;
use super::simd_form::{fields, SimdForm, SimdRow};
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

/// The form of an AdvSIMD word (not an FP16 class: [`super::simd_form`] maps those onto the
/// single-precision rows) if it is one of this module's, with its fields decoded: the FP
/// opcodes of three same and two-register miscellaneous (vector and scalar) this module has,
/// FMULX of vector and scalar x indexed element (its element index in `imm`, `rm` the
/// register it selects from, `half` for H lanes), and the conversions between floating point
/// and fixed point of shift by immediate (immh:immb in `imm`).
pub(super) fn decode(w: u32) -> Option<SimdForm> {
    use SimdRow::*;
    let op0 = bits(w, 24, 5);
    if op0 & 0b10000 != 0 && (bit(w, 31) || !bit(w, 30)) {
        return None;
    }
    let form = match op0 & 0b01111 {
        0b1110 if bit(w, 21) => match bits(w, 10, 2) {
            0b01 | 0b11 => fields(w, FpThreeSameStep, bits(w, 11, 5), 0),
            0b10 if bits(w, 17, 4) == 0 => fields(w, FpTwoRegMiscConvert, bits(w, 12, 5), 0),
            _ => return None,
        },
        0b1111 if !bit(w, 10) => {
            let (ty, index, rm) = by_element_operand(w)?;
            SimdForm { rm, half: ty == Ty::H, ..fields(w, FpXIndexedElement, bits(w, 12, 4), index) }
        }
        0b1111 if bits(w, 19, 4) != 0 => fields(w, FpShiftByImmediate, bits(w, 11, 5), bits(w, 16, 7)),
        _ => return None,
    };
    allocated(form).then_some(form)
}

/// Whether `f`, a form of one of this module's rows, is an encoding it implements (all its
/// field checks: [`decode`] and the FP16 rows use it, the row functions rely on it).
pub(super) fn allocated(f: SimdForm) -> bool {
    match f.row {
        SimdRow::FpThreeSameStep => three_same_op(f).is_some(),
        SimdRow::FpTwoRegMiscConvert => two_reg_misc_op(f).is_some(),
        SimdRow::FpXIndexedElement => by_element_lanes(f).is_some(),
        SimdRow::FpShiftByImmediate => fixed_point_lanes(f).is_some(),
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

/// The operations of [`three_same`].
#[derive(Clone, Copy)]
enum Step {
    Mulx,
    Recps,
    Rsqrts,
    /// FACGE (`false`), FACGT (`true`).
    Acmp(bool),
}

/// The operation, lane type and count of an FMULX, FRECPS, FRSQRTS, FACGE or FACGT form.
fn three_same_op(f: SimdForm) -> Option<(Step, Ty, u32)> {
    let SimdForm { q, u, size, scalar, opc, half, .. } = f;
    let (ty, lanes) = arrangement(size & 1 == 1, half, q, scalar)?;
    let op = match (u, size >> 1 == 1, opc) {
        (false, false, 0b11011) => Step::Mulx,
        (false, false, 0b11111) => Step::Recps,
        (false, true, 0b11111) => Step::Rsqrts,
        (true, hi, 0b11101) => Step::Acmp(hi),
        _ => return None,
    };
    Some((op, ty, lanes))
}

/// FMULX, FRECPS, FRSQRTS, FACGE, FACGT (three same, vector and scalar, and FP16).
pub(super) fn three_same(st: &mut A64State, f: SimdForm) -> bool {
    let Some((op, ty, lanes)) = three_same_op(f) else { return false };
    let SimdForm { q, scalar, rm, rn, rd, .. } = f;
    let (a, b, fpcr) = (get(st, rn), get(st, rm), st.fpcr);
    let e = ty.bits();
    let abs = |x: u64| x & !ty.sign();
    // FACGE/FACGT: FPCompareGE/GT of the absolute values (IOC for any NaN), flags in `raised`.
    let raised = Cell::new(0);
    let f = |x: u64, y: u64| -> u64 {
        match op {
            Step::Mulx => mulx(&raised, ty, x, y, fpcr),
            Step::Recps => flagged(&raised, recps(ty, x, y, fpcr)),
            Step::Rsqrts => flagged(&raised, est::rsqrts(ty, x, y, fpcr)),
            Step::Acmp(false) => {
                all_ones(matches!(fcmp_lane(&raised, ty, abs(x), abs(y), fpcr, true), 0b0110 | 0b0010))
            }
            Step::Acmp(true) => all_ones(fcmp_lane(&raised, ty, abs(x), abs(y), fpcr, true) == 0b0010),
        }
    };
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

/// The operations of [`two_reg_misc`].
#[derive(Clone, Copy)]
enum Kind {
    /// FRINT* in a named mode or (`None`) FPCR's; FRINTX (`true`) raises IXC.
    Rint(Option<Round>, bool),
    /// FCVT[NMAP][SU]: the rounding, signed.
    ToInt(Round, bool),
    Recpe,
    Rsqrte,
    URecpe,
    URsqrte,
    Recpx,
}

/// What [`two_reg_misc`] does: an operation lane by lane (with the lane type and count), or
/// FCVTXN, which narrows.
#[derive(Clone, Copy)]
enum Misc {
    Lanes(Kind, Ty, u32),
    Fcvtxn,
}

/// The operation of one of [`two_reg_misc`]'s forms.
fn two_reg_misc_op(f: SimdForm) -> Option<Misc> {
    let SimdForm { q, u, size, scalar, opc, half, .. } = f;
    let (sz, hi) = (size & 1 == 1, size >> 1 == 1);
    if (u, size, opc) == (true, 0b01, 0b10110) {
        return Some(Misc::Fcvtxn);
    }
    let (ty, lanes) = arrangement(sz, half, q, scalar)?;
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
        _ => return None,
    };
    Some(Misc::Lanes(kind, ty, lanes))
}

/// FRINT*, FCVT[NMAP][SU], FRECPE, FRSQRTE, URECPE, URSQRTE, FRECPX, FCVTXN (two-register
/// miscellaneous, vector and scalar, and FP16).
pub(super) fn two_reg_misc(st: &mut A64State, f: SimdForm) -> bool {
    let (kind, ty, lanes) = match two_reg_misc_op(f) {
        Some(Misc::Lanes(kind, ty, lanes)) => (kind, ty, lanes),
        Some(Misc::Fcvtxn) => {
            fcvtxn(st, f);
            return true;
        }
        None => return false,
    };
    let SimdForm { q, size, scalar, rn, rd, .. } = f;
    let (sz, fpcr) = (size & 1 == 1, st.fpcr);
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
fn fcvtxn(st: &mut A64State, f: SimdForm) {
    let SimdForm { scalar, rn, rd, .. } = f;
    let q = f.q && !scalar;
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
}

/// The lane type and count of FMULX (by element), the only form of its row here.
fn by_element_lanes(f: SimdForm) -> Option<(Ty, u32)> {
    let SimdForm { q, u, size, scalar, opc, half, .. } = f;
    if !(u && opc == 0b1001 && size != 1) {
        return None;
    }
    arrangement(size == 3, half, q, scalar)
}

/// FMULX (by element, vector and scalar); `f.imm` is the element index, `f.rm` the register
/// it selects from.
pub(super) fn by_element(st: &mut A64State, f: SimdForm) -> bool {
    let Some((ty, lanes)) = by_element_lanes(f) else { return false };
    let SimdForm { q, scalar, rm, rn, rd, imm: index, .. } = f;
    let e = ty.bits();
    let y = elem(get(st, rm), index, e);
    let (a, fpcr) = (get(st, rn), st.fpcr);
    let raised = Cell::new(0);
    let r = (0..lanes).fold(0u128, |acc, i| with_elem(acc, i, e, mulx(&raised, ty, elem(a, i, e), y, fpcr)));
    st.fpsr |= raised.get();
    set_q(st, rd, r, q && !scalar);
    true
}

/// The lane type and count of a fixed-point conversion (immh 001x: half precision, FEAT_FP16).
fn fixed_point_lanes(f: SimdForm) -> Option<(Ty, u32)> {
    let SimdForm { q, scalar, opc, imm, .. } = f;
    let immh = imm >> 3;
    if !matches!(opc, 0b11100 | 0b11111) || immh < 0b0010 {
        return None;
    }
    arrangement(immh >= 0b1000, immh < 0b0100, q, scalar)
}

/// SCVTF / UCVTF / FCVTZS / FCVTZU (shift by immediate, vector and scalar, fixed-point): the
/// fraction bits are `2 * esize - immh:immb`.
pub(super) fn fixed_point(st: &mut A64State, f: SimdForm) -> bool {
    let Some((ty, lanes)) = fixed_point_lanes(f) else { return false };
    let SimdForm { q, u, scalar, opc, rn, rd, imm, .. } = f;
    let sz = ty == Ty::D;
    let e = ty.bits();
    let fbits = 2 * e - imm;
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
