//! The AdvSIMD floating-point arithmetic of the main helper ([`super::simd_helpers`]):
//! three same (FADD, FSUB, FMUL, FDIV, FMAX, FMIN, FMAXNM, FMINNM, FABD, the pairwise
//! FADDP/FMAXP/FMINP/FMAXNMP/FMINNMP, FCMEQ/FCMGE/FCMGT), two-register miscellaneous (FABS,
//! FNEG, FSQRT, SCVTF/UCVTF, FCVTZS/FCVTZU, the compares against zero, FCVTN/FCVTL), the
//! scalar pairwise reductions and FMAXNMV/FMINNMV/FMAXV/FMINV. Same contract as the main
//! helper: false, changing nothing, for an encoding not implemented.
//!
//! The handlers take the form [`super::simd_form::decode`] made at translation time. Half
//! precision (FEAT_FP16) goes through the same handlers with the form's `half` set: its three
//! same and two-register miscellaneous classes are the single-precision encodings with other
//! fixed bits ([`half_form`] maps one onto the other, once, in the decoder), the pairwise and
//! across-lanes ones are the single-precision forms with U clear; an H lane is
//! [`super::fp_helpers`]' `Ty::H`.

use super::fp_half;
use super::fp_helpers::{self as fh, Op2, Ty};
use super::simd_form::SimdForm;
use super::simd_fp::{fcmp_lane, flagged};
use super::simd_helpers::{all_ones, elem, get, map1, map2, pairwise, set, set_q, sx, ty_of, with_elem};
use super::{bit, bits, A64State};
use std::cell::Cell;

/// The lane type of an FP form: half precision for the FEAT_FP16 encodings, else size<0>.
pub(super) fn lane_ty(sz: bool, half: bool) -> Ty {
    if half {
        Ty::H
    } else {
        ty_of(sz)
    }
}

/// The single-precision word of a FEAT_FP16 three same (`0 Q U 01110 a 10 Rm 00 opc 1 Rn Rd`,
/// opcode 11:opc there) or two-register miscellaneous (`0 Q U 01110 a 1111 00 opc 10 Rn Rd`,
/// bits 21..17 10000 there) form, vector or scalar (bit 28).
pub(super) fn half_form(w: u32) -> Option<u32> {
    if bit(w, 28) && !bit(w, 30) {
        return None;
    }
    if w & 0x8f60_c400 == 0x0e40_0400 {
        return Some((w & !0x0060_f800) | 1 << 21 | (0b11000 | bits(w, 11, 3)) << 11);
    }
    if w & 0x8f7e_0c00 == 0x0e78_0800 {
        return Some((w & !0x007e_0000) | 1 << 21);
    }
    None
}

/// FPToFixed of one lane into an integer of the lane's width (`bits64` for 64-bit lanes): a
/// half converts into 32 bits (which its range never overflows with fraction bits up to 16
/// unless the 16-bit result does) and saturates to 16 bits, Invalid Operation replacing
/// Inexact when it does.
#[allow(clippy::too_many_arguments)]
pub(super) fn to_int_lane(
    ty: Ty,
    x: u64,
    mode: fh::Round,
    signed: bool,
    bits64: bool,
    fbits: u32,
    fpcr: u32,
) -> (u64, u32) {
    let (v, flags) = fh::exact::to_int(ty, x, mode, signed, bits64, fbits, fpcr);
    if ty != Ty::H {
        return (v, flags);
    }
    let (lo, hi) = if signed { (-0x8000i64, 0x7fff) } else { (0, 0xffff) };
    let wide = if signed { v as u32 as i32 as i64 } else { v as u32 as i64 };
    let clamped = wide.clamp(lo, hi);
    if clamped != wide {
        (clamped as u64 & 0xffff, (flags & !IXC) | IOC)
    } else {
        (wide as u64 & 0xffff, flags)
    }
}

/// The element type, index and `Vm` of an FP by-element form (FMUL, FMULX, FMLA, FMLS): size
/// 00 half (index H:L:M, `Vm` 0..15), 10 single (H:L), 11 double (H; L set is unallocated).
pub(super) fn by_element_operand(w: u32) -> Option<(Ty, u32, u32)> {
    let (l, m, rm4, h) = (bits(w, 21, 1), bits(w, 20, 1), bits(w, 16, 4), bits(w, 11, 1));
    match bits(w, 22, 2) {
        0b00 => Some((Ty::H, h << 2 | l << 1 | m, rm4)),
        0b10 => Some((Ty::S, h << 1 | l, m << 4 | rm4)),
        0b11 if l == 0 => Some((Ty::D, h, m << 4 | rm4)),
        _ => None,
    }
}

const IOC: u32 = 1;
const IXC: u32 = 1 << 4;

/// FixedToFP of one lane's integer (of the lane's width) to the lane's type.
pub(super) fn from_int_lane(ty: Ty, x: u64, signed: bool, bits64: bool, fbits: u32, fpcr: u32) -> (u64, u32) {
    let x = if ty == Ty::H && signed { sx(x, 16) as u64 & 0xffff_ffff } else { x };
    fh::exact::from_int(ty, x, signed, bits64, fbits, fpcr)
}

/// The operation of an FP scalar pairwise form, `None` for one not allocated.
pub(super) fn scalar_pairwise_op(f: SimdForm) -> Option<Op2> {
    let SimdForm { size, opc, half, .. } = f;
    if half && size & 1 == 1 {
        return None;
    }
    Some(match (size >> 1, opc) {
        (0, 0b01101) => Op2::Add,
        (0, 0b01111) => Op2::Max,
        (1, 0b01111) => Op2::Min,
        (0, 0b01100) => Op2::MaxNm,
        (1, 0b01100) => Op2::MinNm,
        _ => return None,
    })
}

/// The FP pairwise reductions of two elements (scalar FADDP, FMAXP, FMINP, FMAXNMP, FMINNMP).
pub(super) fn scalar_pairwise(st: &mut A64State, f: SimdForm) -> bool {
    let Some(op) = scalar_pairwise_op(f) else { return false };
    let SimdForm { size, rn, rd, half, .. } = f;
    let a = get(st, rn);
    let fpcr = st.fpcr;
    let ty = lane_ty(size & 1 == 1, half);
    let e = ty.bits();
    let (r, flags) = fh::arith_flags(ty, Some(op), elem(a, 0, e), elem(a, 1, e), fpcr);
    st.fpsr |= flags;
    set(st, rd, r as u128);
    true
}

/// The operations of [`three_same`].
#[derive(Clone, Copy)]
pub(super) enum ThreeOp {
    /// Lane by lane.
    Map(Op2),
    Abd,
    Pairwise(Op2),
    CmEq,
    CmGe,
    CmGt,
}

/// The operation of an FP three same form (opcode 11xxx: size<1> extends the opcode, size<0>
/// is the type), `None` for one not allocated or not this function's.
pub(super) fn three_same_op(f: SimdForm) -> Option<ThreeOp> {
    use ThreeOp::*;
    let SimdForm { q, u, size, scalar, opc, .. } = f;
    if size & 1 == 1 && !q && !scalar {
        return None;
    }
    Some(match (u, size >> 1 == 1, opc) {
        (false, false, 0b11010) => Map(Op2::Add),
        (false, true, 0b11010) => Map(Op2::Sub),
        (true, false, 0b11011) => Map(Op2::Mul),
        (true, false, 0b11111) => Map(Op2::Div),
        (false, false, 0b11110) => Map(Op2::Max),
        (false, true, 0b11110) => Map(Op2::Min),
        (false, false, 0b11000) => Map(Op2::MaxNm),
        (false, true, 0b11000) => Map(Op2::MinNm),
        (true, true, 0b11010) => Abd,
        (true, false, 0b11010) => Pairwise(Op2::Add),
        (true, false, 0b11110) => Pairwise(Op2::Max),
        (true, true, 0b11110) => Pairwise(Op2::Min),
        (true, false, 0b11000) => Pairwise(Op2::MaxNm),
        (true, true, 0b11000) => Pairwise(Op2::MinNm),
        (false, false, 0b11100) => CmEq,
        (true, false, 0b11100) => CmGe,
        (true, true, 0b11100) => CmGt,
        _ => return None,
    })
}

/// The FP three same forms [`three_same_op`] has.
pub(super) fn three_same(st: &mut A64State, f: SimdForm) -> bool {
    let Some(op) = three_same_op(f) else { return false };
    let SimdForm { q, size, scalar, rm, rn, rd, half, .. } = f;
    let width = if q { 128 } else { 64 };
    let (a, b) = (get(st, rn), get(st, rm));
    let sz = size & 1 == 1;
    let ty = lane_ty(sz, half);
    let esize = ty.bits();
    let lanes = if scalar { 1 } else { width / esize };
    let fpcr = st.fpcr;
    // The arithmetic's and the compares' FPSR flags.
    let raised = Cell::new(0);
    let lane = |op: Op2, x: u64, y: u64| flagged(&raised, fh::arith_flags(ty, Some(op), x, y, fpcr));
    let cmp = |x, y, signalling| fcmp_lane(&raised, ty, x, y, fpcr, signalling);
    let r = match op {
        ThreeOp::Map(op) => map2(a, b, esize, lanes, |x, y| lane(op, x, y)),
        // FABD: |a - b|, with the sign cleared even on a NaN result.
        ThreeOp::Abd => map2(a, b, esize, lanes, |x, y| lane(Op2::Sub, x, y) & !ty.sign()),
        ThreeOp::Pairwise(op) => pairwise(a, b, esize, lanes, |x, y| lane(op, x, y)),
        ThreeOp::CmEq => map2(a, b, esize, lanes, |x, y| all_ones(cmp(x, y, false) == 0b0110)),
        ThreeOp::CmGe => {
            map2(a, b, esize, lanes, |x, y| all_ones(matches!(cmp(x, y, true), 0b0110 | 0b0010)))
        }
        ThreeOp::CmGt => map2(a, b, esize, lanes, |x, y| all_ones(cmp(x, y, true) == 0b0010)),
    };
    st.fpsr |= raised.get();
    set_q(st, rd, r, q && !scalar);
    true
}

/// The operations of [`two_reg_misc`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum MiscOp {
    /// FCVTN (`false`), FCVTL (`true`).
    Fcvt(bool),
    Abs,
    Neg,
    Sqrt,
    /// SCVTF, UCVTF.
    FromInt,
    /// FCVTZS, FCVTZU.
    ToInt,
    /// The compares against zero: FPCompareGT(x, 0), GE(x, 0), EQ(x, 0), GE(0, x), GT(0, x).
    CmGt0,
    CmGe0,
    CmEq0,
    CmLe0,
    CmLt0,
}

/// The operation of an FP two-register miscellaneous form, `None` for one not allocated or
/// not this function's.
pub(super) fn two_reg_misc_op(f: SimdForm) -> Option<MiscOp> {
    use MiscOp::*;
    let SimdForm { q, u, size, scalar, opc, half, .. } = f;
    let hi = size >> 1 == 1;
    if !u && !hi && !scalar && !half && (opc == 0b10110 || opc == 0b10111) {
        return Some(Fcvt(opc == 0b10111));
    }
    if size & 1 == 1 && !q && !scalar {
        return None;
    }
    Some(match (u, hi, opc) {
        (false, true, 0b01111) => Abs,
        (true, true, 0b01111) => Neg,
        (true, true, 0b11111) => Sqrt,
        (_, false, 0b11101) => FromInt,
        (_, true, 0b11011) => ToInt,
        (false, true, 0b01100) => CmGt0,
        (true, true, 0b01100) => CmGe0,
        (false, true, 0b01101) => CmEq0,
        (true, true, 0b01101) => CmLe0,
        (false, true, 0b01110) => CmLt0,
        _ => return None,
    })
}

/// The FP two-register miscellaneous forms [`two_reg_misc_op`] has.
pub(super) fn two_reg_misc(st: &mut A64State, f: SimdForm) -> bool {
    let Some(op) = two_reg_misc_op(f) else { return false };
    let SimdForm { q, u, size, scalar, rn, rd, half, .. } = f;
    let a = get(st, rn);
    let fpcr = st.fpcr;
    let sz = size & 1 == 1;
    let ty = lane_ty(sz, half);
    let esize = ty.bits();
    let lanes = if scalar { 1 } else { (if q { 128 } else { 64 }) / esize };
    // The conversions' and compares' FPSR flags.
    let raised = Cell::new(0);
    let cmp = |x, signalling| fcmp_lane(&raised, ty, x, 0, fpcr, signalling);
    let r = match op {
        MiscOp::Fcvt(long) => return fcvt_narrow_widen(st, f, long),
        MiscOp::Abs => map1(a, esize, lanes, |x| x & !ty.sign()),
        MiscOp::Neg => map1(a, esize, lanes, |x| x ^ ty.sign()),
        MiscOp::Sqrt => map1(a, esize, lanes, |x| flagged(&raised, fh::arith_flags(ty, None, x, x, fpcr))),
        MiscOp::FromInt => map1(a, esize, lanes, |x| flagged(&raised, from_int_lane(ty, x, !u, sz, 0, fpcr))),
        MiscOp::ToInt => {
            map1(a, esize, lanes, |x| flagged(&raised, to_int_lane(ty, x, fh::Round::Zero, !u, sz, 0, fpcr)))
        }
        // Against zero; only FCMEQ is quiet.
        MiscOp::CmGt0 => map1(a, esize, lanes, |x| all_ones(cmp(x, true) == 0b0010)),
        MiscOp::CmGe0 => map1(a, esize, lanes, |x| all_ones(matches!(cmp(x, true), 0b0010 | 0b0110))),
        MiscOp::CmEq0 => map1(a, esize, lanes, |x| all_ones(cmp(x, false) == 0b0110)),
        MiscOp::CmLe0 => map1(a, esize, lanes, |x| all_ones(matches!(cmp(x, true), 0b1000 | 0b0110))),
        MiscOp::CmLt0 => map1(a, esize, lanes, |x| all_ones(cmp(x, true) == 0b1000)),
    };
    st.fpsr |= raised.get();
    set_q(st, rd, r, q && !scalar);
    true
}

/// FCVTN / FCVTL (`long`): narrow single to half or double to single (into the lower or, FCVTN2,
/// upper half) and widen (from the lower or, FCVTL2, upper half), with fp_half's FPCR
/// (RMode, FZ on the single/double side, DN, AHP) and FPSR flags.
fn fcvt_narrow_widen(st: &mut A64State, f: SimdForm, long: bool) -> bool {
    let SimdForm { q, size, rn, rd, .. } = f;
    let (a, fpcr, sz) = (get(st, rn), st.fpcr, size & 1 == 1);
    let mut raised = 0;
    let mut lane = |(v, flags): (u64, u32)| {
        raised |= flags;
        v
    };
    let (esize, wide) = if sz { (32, 64) } else { (16, 32) };
    let lanes = 64 / esize;
    let r = if !long {
        let narrowed = (0..lanes).fold(0u128, |r, i| {
            let x = elem(a, i, wide);
            let v = if sz {
                lane(widen(fp_half::f64_to_f32_flags(x, fpcr)))
            } else {
                lane(widen(fp_half::f32_to_f16_flags(x as u32, fpcr)))
            };
            with_elem(r, i, esize, v)
        });
        let d = get(st, rd);
        if q {
            (d & u64::MAX as u128) | (narrowed << 64)
        } else {
            narrowed
        }
    } else {
        let src = if q { a >> 64 } else { a };
        (0..lanes).fold(0u128, |r, i| {
            let x = elem(src, i, esize);
            let v = if sz {
                lane(fp_half::f32_to_f64_flags(x as u32, fpcr))
            } else {
                lane(widen(fp_half::f16_to_f32_flags(x as u16, fpcr)))
            };
            with_elem(r, i, wide, v)
        })
    };
    st.fpsr |= raised;
    set(st, rd, r);
    true
}

fn widen<T: Into<u64>>((v, flags): (T, u32)) -> (u64, u32) {
    (v.into(), flags)
}

/// FMAXNMV, FMINNMV, FMAXV, FMINV: single precision (.4s only) or, with `half` (U clear),
/// half precision (.4h, .8h). The ARM ARM's Reduce, a tree of pairs: op(op(e0, e1), op(e2, e3)).
pub(super) fn across_lanes(st: &mut A64State, f: SimdForm) -> bool {
    let Some(op) = across_lanes_op(f) else { return false };
    let SimdForm { q, rn, rd, half, .. } = f;
    let ty = lane_ty(false, half);
    let e = ty.bits();
    let (a, fpcr) = (get(st, rn), st.fpcr);
    let xs: Vec<u64> = (0..(if q { 128 } else { 64 }) / e).map(|i| elem(a, i, e)).collect();
    let raised = Cell::new(0);
    let r = reduce(&xs, &|x, y| flagged(&raised, fh::arith_flags(ty, Some(op), x, y, fpcr)));
    st.fpsr |= raised.get();
    set(st, rd, r as u128);
    true
}

/// The operation of an FP across-lanes form (opcode 01100 or 01111), `None` for one not
/// allocated.
pub(super) fn across_lanes_op(f: SimdForm) -> Option<Op2> {
    let SimdForm { q, size, opc, half, .. } = f;
    if size & 1 == 1 || !(q || half) {
        return None;
    }
    Some(match (opc, size >> 1) {
        (0b01100, 0) => Op2::MaxNm,
        (0b01100, _) => Op2::MinNm,
        (_, 0) => Op2::Max,
        _ => Op2::Min,
    })
}

fn reduce(xs: &[u64], f: &dyn Fn(u64, u64) -> u64) -> u64 {
    match xs {
        [x] => *x,
        _ => {
            let (lo, hi) = xs.split_at(xs.len() / 2);
            f(reduce(lo, f), reduce(hi, f))
        }
    }
}
