//! The AdvSIMD floating-point arithmetic of the main helper ([`super::simd_helpers`]):
//! three same (FADD, FSUB, FMUL, FDIV, FMAX, FMIN, FMAXNM, FMINNM, FABD, the pairwise
//! FADDP/FMAXP/FMINP/FMAXNMP/FMINNMP, FCMEQ/FCMGE/FCMGT), two-register miscellaneous (FABS,
//! FNEG, FSQRT, SCVTF/UCVTF, FCVTZS/FCVTZU, the compares against zero, FCVTN/FCVTL), the
//! scalar pairwise reductions and FMAXNMV/FMINNMV/FMAXV/FMINV. Same contract as the main
//! helper: false, changing nothing, for an encoding not implemented.

use super::fp_half;
use super::fp_helpers::{self as fh, Op2, Ty};
use super::simd_fp::{fcmp_lane, flagged};
use super::simd_helpers::{all_ones, elem, get, map1, map2, pairwise, set, set_q, ty_of, with_elem};
use super::{bit, bits, A64State};
use std::cell::Cell;

/// The FP pairwise reductions of two elements (scalar FADDP, FMAXP, FMINP, FMAXNMP, FMINNMP).
pub(super) fn scalar_pairwise(st: &mut A64State, w: u32) -> bool {
    let (size, opc, rn, rd) = (bits(w, 22, 2), bits(w, 12, 5), bits(w, 5, 5), bits(w, 0, 5));
    let a = get(st, rn);
    let fpcr = st.fpcr;
    let r = {
        let ty = ty_of(size & 1 == 1);
        let e = ty.bits();
        let (x, y) = (elem(a, 0, e), elem(a, 1, e));
        match (size >> 1, opc) {
            (0, 0b01101) => fh::binop(ty, Op2::Add, x, y, fpcr),
            (0, 0b01111) => fh::binop(ty, Op2::Max, x, y, fpcr),
            (1, 0b01111) => fh::binop(ty, Op2::Min, x, y, fpcr),
            (0, 0b01100) => fh::binop(ty, Op2::MaxNm, x, y, fpcr),
            (1, 0b01100) => fh::binop(ty, Op2::MinNm, x, y, fpcr),
            _ => return false,
        }
    };
    set(st, rd, r as u128);
    true
}

/// The FP three same forms (opcode 11xxx: size<1> extends the opcode, size<0> is the type).
pub(super) fn three_same(st: &mut A64State, w: u32) -> bool {
    let (q, u, size, scalar) = (bit(w, 30), bit(w, 29), bits(w, 22, 2), bit(w, 28));
    let (rm, opc, rn, rd) = (bits(w, 16, 5), bits(w, 11, 5), bits(w, 5, 5), bits(w, 0, 5));
    let width = if q { 128 } else { 64 };
    let (a, b) = (get(st, rn), get(st, rm));
    let sz = size & 1 == 1;
    if sz && !q && !scalar {
        return false;
    }
    let ty = ty_of(sz);
    let esize = ty.bits();
    let lanes = if scalar { 1 } else { width / esize };
    let fpcr = st.fpcr;
    let bin = |op: Op2| map2(a, b, esize, lanes, |x, y| fh::binop(ty, op, x, y, fpcr));
    let hi = size >> 1 == 1;
    // The compares' FPSR flags.
    let raised = Cell::new(0);
    let cmp = |x, y, signalling| fcmp_lane(&raised, ty, x, y, fpcr, signalling);
    let r = match (u, hi, opc) {
        (false, false, 0b11010) => bin(Op2::Add),
        (false, true, 0b11010) => bin(Op2::Sub),
        (true, false, 0b11011) => bin(Op2::Mul),
        (true, false, 0b11111) => bin(Op2::Div),
        (false, false, 0b11110) => bin(Op2::Max),
        (false, true, 0b11110) => bin(Op2::Min),
        (false, false, 0b11000) => bin(Op2::MaxNm),
        (false, true, 0b11000) => bin(Op2::MinNm),
        (true, true, 0b11010) => {
            // FABD: |a - b|, with the sign cleared even on a NaN result.
            map2(a, b, esize, lanes, |x, y| fh::binop(ty, Op2::Sub, x, y, fpcr) & !ty.sign())
        }
        (true, false, 0b11010) => pairwise(a, b, esize, lanes, |x, y| fh::binop(ty, Op2::Add, x, y, fpcr)),
        (true, false, 0b11110) => pairwise(a, b, esize, lanes, |x, y| fh::binop(ty, Op2::Max, x, y, fpcr)),
        (true, true, 0b11110) => pairwise(a, b, esize, lanes, |x, y| fh::binop(ty, Op2::Min, x, y, fpcr)),
        (true, false, 0b11000) => pairwise(a, b, esize, lanes, |x, y| fh::binop(ty, Op2::MaxNm, x, y, fpcr)),
        (true, true, 0b11000) => pairwise(a, b, esize, lanes, |x, y| fh::binop(ty, Op2::MinNm, x, y, fpcr)),
        (false, false, 0b11100) => map2(a, b, esize, lanes, |x, y| all_ones(cmp(x, y, false) == 0b0110)),
        (true, false, 0b11100) => {
            map2(a, b, esize, lanes, |x, y| all_ones(matches!(cmp(x, y, true), 0b0110 | 0b0010)))
        }
        (true, true, 0b11100) => map2(a, b, esize, lanes, |x, y| all_ones(cmp(x, y, true) == 0b0010)),
        _ => return false,
    };
    st.fpsr |= raised.get();
    set_q(st, rd, r, q && !scalar);
    true
}

/// The FP two-register miscellaneous forms.
pub(super) fn two_reg_misc(st: &mut A64State, w: u32) -> bool {
    let (q, u, size) = (bit(w, 30), bit(w, 29), bits(w, 22, 2));
    let scalar = bit(w, 28);
    let (opc, rn, rd) = (bits(w, 12, 5), bits(w, 5, 5), bits(w, 0, 5));
    let a = get(st, rn);
    let fpcr = st.fpcr;
    let sz = size & 1 == 1;
    let hi = size >> 1 == 1;
    // FCVTN / FCVTL: narrow double to single (into the lower or upper half) and widen.
    if !u && !hi && !scalar && (opc == 0b10110 || opc == 0b10111) {
        if opc == 0b10110 {
            if !sz {
                // To half precision: four lanes into the lower or (FCVTN2) upper half.
                let narrowed = (0..4).fold(0u128, |r, i| {
                    with_elem(r, i, 16, fp_half::f32_to_f16(elem(a, i, 32) as u32, fpcr) as u64)
                });
                let d = get(st, rd);
                set(st, rd, if q { (d & u64::MAX as u128) | (narrowed << 64) } else { narrowed });
                return true;
            }
            let narrowed = (0..2)
                .fold(0u128, |r, i| with_elem(r, i, 32, fh::convert(Ty::D, Ty::S, elem(a, i, 64), fpcr)));
            let d = get(st, rd);
            let r = if q { (d & u64::MAX as u128) | (narrowed << 64) } else { narrowed };
            set(st, rd, r);
        } else {
            let src = if q { a >> 64 } else { a };
            if !sz {
                let r = (0..4).fold(0u128, |r, i| {
                    with_elem(r, i, 32, fp_half::f16_to_f32(elem(src, i, 16) as u16, fpcr) as u64)
                });
                set(st, rd, r);
                return true;
            }
            let r = (0..2)
                .fold(0u128, |r, i| with_elem(r, i, 64, fh::convert(Ty::S, Ty::D, elem(src, i, 32), fpcr)));
            set(st, rd, r);
        }
        return true;
    }
    if sz && !q && !scalar {
        return false;
    }
    let ty = ty_of(sz);
    let esize = ty.bits();
    let lanes = if scalar { 1 } else { (if q { 128 } else { 64 }) / esize };
    // The conversions' and compares' FPSR flags.
    let raised = Cell::new(0);
    let cmp = |x, signalling| fcmp_lane(&raised, ty, x, 0, fpcr, signalling);
    let r = match (u, hi, opc) {
        (false, true, 0b01111) => map1(a, esize, lanes, |x| x & !ty.sign()),
        (true, true, 0b01111) => map1(a, esize, lanes, |x| x ^ ty.sign()),
        (true, true, 0b11111) => map1(a, esize, lanes, |x| fh::unop(ty, fh::Op1::Sqrt, x, fpcr)),
        (_, false, 0b11101) => {
            map1(a, esize, lanes, |x| flagged(&raised, fh::exact::from_int(ty, x, !u, sz, 0, fpcr)))
        }
        (_, true, 0b11011) => map1(a, esize, lanes, |x| {
            flagged(&raised, fh::exact::to_int(ty, x, fh::Round::Zero, !u, sz, 0, fpcr))
        }),
        // FCMGT/FCMGE/FCMEQ/FCMLE/FCMLT against zero: FPCompareGT(x, 0), GE(x, 0), EQ(x, 0),
        // GE(0, x), GT(0, x); only EQ is quiet.
        (false, true, 0b01100) => map1(a, esize, lanes, |x| all_ones(cmp(x, true) == 0b0010)),
        (true, true, 0b01100) => map1(a, esize, lanes, |x| all_ones(matches!(cmp(x, true), 0b0010 | 0b0110))),
        (false, true, 0b01101) => map1(a, esize, lanes, |x| all_ones(cmp(x, false) == 0b0110)),
        (true, true, 0b01101) => map1(a, esize, lanes, |x| all_ones(matches!(cmp(x, true), 0b1000 | 0b0110))),
        (false, true, 0b01110) => map1(a, esize, lanes, |x| all_ones(cmp(x, true) == 0b1000)),
        _ => return false,
    };
    st.fpsr |= raised.get();
    set_q(st, rd, r, q && !scalar);
    true
}

/// FMAXNMV, FMINNMV, FMAXV, FMINV.
pub(super) fn across_lanes(st: &mut A64State, w: u32) -> bool {
    let (q, size) = (bit(w, 30), bits(w, 22, 2));
    let (opc, rn, rd) = (bits(w, 12, 5), bits(w, 5, 5), bits(w, 0, 5));
    // FMAXNMV, FMINNMV, FMAXV, FMINV (single precision, .4s only; U = 0 is FP16): the ARM
    // ARM's Reduce, a tree of pairs: op(op(e0, e1), op(e2, e3)).
    if !q || size & 1 == 1 {
        return false;
    }
    let op = match (opc, size >> 1) {
        (0b01100, 0) => Op2::MaxNm,
        (0b01100, _) => Op2::MinNm,
        (_, 0) => Op2::Max,
        _ => Op2::Min,
    };
    let (a, fpcr) = (get(st, rn), st.fpcr);
    let f = |x: u64, y: u64| fh::binop(Ty::S, op, x, y, fpcr);
    let r = f(f(elem(a, 0, 32), elem(a, 1, 32)), f(elem(a, 2, 32), elem(a, 3, 32)));
    set(st, rd, r as u128);
    true
}
