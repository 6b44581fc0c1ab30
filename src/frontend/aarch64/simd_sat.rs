//! AdvSIMD forms the main helper ([`super::simd_helpers`]) does not cover: the saturating,
//! rounding and doubling integer families (SQDMULH, SQRDMULH, SQRDMLAH/SQRDMLSH, SQDMLAL/
//! SQDMLSL/SQDMULL, SQSHL/UQSHL/SQRSHL/UQRSHL/SRSHL/URSHL, SQSHL/UQSHL/SQSHLU by immediate,
//! SQSHRN/SQRSHRN/UQSHRN/UQRSHRN/SQSHRUN/SQRSHRUN, SQABS/SQNEG/SUQADD/USQADD, scalar
//! SQXTN/UQXTN/SQXTUN), SHSUB/UHSUB, SABA/UABA, RADDHN/RSUBHN, the dot products (SDOT, UDOT),
//! the polynomial multiplies (PMUL, PMULL with 8- and 64-bit elements) and the scalar
//! by-element FP multiplies, in their vector, scalar and by-element forms (ARM ARM C4.1.96).
//!
//! [`decode`] makes the form of a word at translation time, in the rows `SatThreeSame`,
//! `SatThreeDifferent`, `SatTwoRegMisc`, `ThreeSameExtra`, `SatXIndexedElement` and
//! `SatShiftByImmediate` of [`SimdRow`] (each with its scalar class), and decides there which
//! size, Q and U combinations are allocated; [`run`] matches on the row and the opcode only.
//! Saturation sets FPSR.QC, as the architecture says.

use super::fp_helpers::{self as fh, Op2};
use super::simd_form::{fields, fmul_elem_ty, SimdForm, SimdRow};
use super::simd_helpers::{elem, get, mask, set, set_q, sx, with_elem};
use super::{bit, bits, A64State};
use std::cell::Cell;

/// FPSR.QC, the cumulative saturation flag.
const QC: u32 = 1 << 27;

/// Signed saturation of `v` to `esize` bits (noting saturation in `qc`).
fn sat_s(v: i128, esize: u32, qc: &Cell<bool>) -> u64 {
    let (lo, hi) = (-(1i128 << (esize - 1)), (1i128 << (esize - 1)) - 1);
    if v < lo || v > hi {
        qc.set(true);
    }
    v.clamp(lo, hi) as u64 & mask(esize)
}

/// Unsigned saturation of `v` to `esize` bits.
fn sat_u(v: i128, esize: u32, qc: &Cell<bool>) -> u64 {
    let hi = mask(esize) as i128;
    if v < 0 || v > hi {
        qc.set(true);
    }
    v.clamp(0, hi) as u64
}

fn sat(v: i128, esize: u32, unsigned: bool, qc: &Cell<bool>) -> u64 {
    if unsigned {
        sat_u(v, esize, qc)
    } else {
        sat_s(v, esize, qc)
    }
}

fn int(x: u64, esize: u32, unsigned: bool) -> i128 {
    if unsigned {
        (x & mask(esize)) as i128
    } else {
        sx(x, esize) as i128
    }
}

/// Carry-less product of the low `esize` bits of `a` and `b`.
fn clmul(a: u64, b: u64, esize: u32) -> u128 {
    (0..esize).filter(|i| b >> i & 1 == 1).fold(0u128, |acc, i| acc ^ ((a & mask(esize)) as u128) << i)
}

/// Decodes `w` at translation time if it is one of this module's forms: the row (ARM ARM
/// C4.1.96) with its fields, after the family's allocation checks (the size, Q and U
/// combinations each opcode has), so that [`run`] tests no field for validity. `None` leaves
/// the word to the other families.
pub fn decode(w: u32) -> Option<SimdForm> {
    use SimdRow::*;
    let op0 = bits(w, 24, 5);
    // The scalar groups have bit 30 set and bit 31 clear.
    if op0 & 0b10000 != 0 && (bit(w, 31) || !bit(w, 30)) {
        return None;
    }
    let (q, u, size, scalar) = (bit(w, 30), bit(w, 29), bits(w, 22, 2), bit(w, 28));
    let f = |row, opc, imm| fields(w, row, opc, imm);
    match op0 & 0b01111 {
        0b1110 if bit(w, 21) => match bits(w, 10, 2) {
            0b01 | 0b11 => {
                let opc = bits(w, 11, 5);
                let ok = match opc {
                    0b10110 => size == 1 || size == 2,
                    0b01001 | 0b01011 => true,
                    0b01010 => !scalar || size == 3,
                    0b00100 | 0b01111 => !scalar && size != 3,
                    0b10011 => !scalar && u && size == 0,
                    _ => false,
                };
                (ok && !(size == 3 && !q && !scalar)).then(|| f(SatThreeSame, opc, 0))
            }
            0b00 => {
                let opc = bits(w, 12, 4);
                let ok = match (u, opc) {
                    (false, 0b1001 | 0b1011 | 0b1101) => size == 1 || size == 2,
                    (true, 0b0100 | 0b0110) => !scalar && size != 3,
                    (false, 0b1110) => !scalar && (size == 0 || size == 3),
                    _ => false,
                };
                ok.then(|| f(SatThreeDifferent, opc, 0))
            }
            _ if bits(w, 17, 4) == 0 => {
                let opc = bits(w, 12, 5);
                let ok = match opc {
                    0b00011 | 0b00111 => !(size == 3 && !q && !scalar),
                    // Scalar SQXTN / UQXTN / SQXTUN (the vector forms are in the main helper).
                    0b10100 => scalar && size != 3,
                    0b10010 => scalar && size != 3 && u,
                    _ => false,
                };
                ok.then(|| f(SatTwoRegMisc, opc, 0))
            }
            _ => None,
        },
        0b1110 if bit(w, 15) && bit(w, 10) => {
            let opc = bits(w, 11, 4);
            let ok = match opc {
                0b0000 | 0b0001 => u && (size == 1 || size == 2),
                0b0010 => !scalar && size == 2,
                _ => false,
            };
            ok.then(|| f(ThreeSameExtra, opc, 0))
        }
        0b1111 if !bit(w, 10) => by_element_form(w),
        0b1111 if bits(w, 19, 4) != 0 => {
            let (immh, opc) = (bits(w, 19, 4), bits(w, 11, 5));
            let hsb = 31 - immh.leading_zeros();
            let ok = match (u, opc) {
                (_, 0b01110) | (true, 0b01100) => !(hsb == 3 && !q && !scalar),
                (_, 0b10010 | 0b10011) | (true, 0b10000 | 0b10001) => hsb != 3,
                _ => false,
            };
            ok.then(|| SimdForm { size: hsb, ..f(SatShiftByImmediate, opc, bits(w, 16, 7)) })
        }
        _ => None,
    }
}

/// Vector and scalar x indexed element: the element index (in `imm`) and the register it
/// selects from, which depend on the element size (H:L:M with a 4-bit Rm for 16-bit
/// elements, H:L with M:Rm for 32-bit ones); scalar FMUL's from its FP type.
fn by_element_form(w: u32) -> Option<SimdForm> {
    let (u, size, scalar, opc) = (bit(w, 29), bits(w, 22, 2), bit(w, 28), bits(w, 12, 4));
    let form = |index, rm| Some(SimdForm { rm, ..fields(w, SimdRow::SatXIndexedElement, opc, index) });
    // Scalar FMUL (by element); the vector form is in the main helper, FMLA/FMLS are IR
    // (`super::simd_fma`).
    if scalar && !u && opc == 0b1001 && size != 1 {
        let (_, index, rm) = super::simd_fparith::by_element_operand(w)?;
        return form(index, rm);
    }
    let ok = match (u, opc) {
        (false, 0b1100 | 0b1101 | 0b0011 | 0b0111 | 0b1011) | (true, 0b1101 | 0b1111) => {
            size == 1 || size == 2
        }
        (_, 0b1110) => !scalar && size == 2,
        _ => false,
    };
    if !ok {
        return None;
    }
    let (l, m, rm4, h) = (bits(w, 21, 1), bits(w, 20, 1), bits(w, 16, 4), bits(w, 11, 1));
    if size == 1 {
        form(h << 2 | l << 1 | m, rm4)
    } else {
        form(h << 1 | l, m << 4 | rm4)
    }
}

/// Executes a form [`decode`] made (false, changing nothing, for a row of another module).
pub fn run(st: &mut A64State, f: SimdForm) -> bool {
    use SimdRow::*;
    let qc = Cell::new(false);
    match f.row {
        SatThreeSame => three_same(st, f, &qc),
        SatThreeDifferent => three_different(st, f, &qc),
        SatTwoRegMisc => two_reg_misc(st, f, &qc),
        ThreeSameExtra => three_same_extra(st, f, &qc),
        SatXIndexedElement => by_element(st, f, &qc),
        SatShiftByImmediate => shift_imm(st, f, &qc),
        _ => return false,
    }
    if qc.get() {
        st.fpsr |= QC;
    }
    true
}

/// Writes a vector result (upper half cleared when `Q` = 0) or a scalar one (element 0 only).
fn write(st: &mut A64State, rd: u32, r: u128, q: bool, scalar: bool) {
    set_q(st, rd, r, q && !scalar);
}

/// The lanes a vector or scalar form works on.
fn lanes(q: bool, scalar: bool, esize: u32) -> u32 {
    if scalar {
        1
    } else {
        (if q { 128 } else { 64 }) / esize
    }
}

/// `(2 * x * y [+ round]) >> esize`, saturated: SQDMULH / SQRDMULH.
fn doubling_mulh(x: u64, y: u64, esize: u32, round: bool, qc: &Cell<bool>) -> u64 {
    let p = 2 * sx(x, esize) as i128 * sx(y, esize) as i128 + if round { 1i128 << (esize - 1) } else { 0 };
    sat_s(p >> esize, esize, qc)
}

/// SQRDMLAH / SQRDMLSH: `((d << esize) +/- 2 * x * y + round) >> esize`, saturated.
fn rdmlah(d: u64, x: u64, y: u64, esize: u32, sub: bool, qc: &Cell<bool>) -> u64 {
    let p = 2 * sx(x, esize) as i128 * sx(y, esize) as i128;
    let acc = ((sx(d, esize) as i128) << esize) + if sub { -p } else { p } + (1i128 << (esize - 1));
    sat_s(acc >> esize, esize, qc)
}

/// The shift by register family: shift by the signed low byte of `y` (negative = right),
/// optionally rounding and saturating.
fn shift_reg(
    x: u64,
    y: u64,
    esize: u32,
    unsigned: bool,
    round: bool,
    saturate: bool,
    qc: &Cell<bool>,
) -> u64 {
    let sh = y as u8 as i8 as i32;
    let v = int(x, esize, unsigned);
    let r = if sh >= 0 {
        let sh = sh as u32;
        if v == 0 {
            0
        } else if sh >= esize {
            if !saturate {
                return 0;
            }
            if v > 0 {
                i128::MAX
            } else {
                i128::MIN
            }
        } else {
            v << sh
        }
    } else {
        // Beyond esize + 1 every result is the same (0 or the sign, after rounding).
        let s = ((-sh) as u32).min(esize + 1);
        let rc = if round { 1i128 << (s - 1) } else { 0 };
        (v + rc) >> s
    };
    if saturate {
        sat(r, esize, unsigned, qc)
    } else {
        r as u64 & mask(esize)
    }
}

fn three_same(st: &mut A64State, f: SimdForm, qc: &Cell<bool>) {
    let SimdForm { q, u, size, scalar, opc, rd, rn, rm, .. } = f;
    let esize = 8 << size;
    let (a, b, d) = (get(st, rn), get(st, rm), get(st, rd));
    let r = (0..lanes(q, scalar, esize)).fold(0u128, |acc, i| {
        let (x, y) = (elem(a, i, esize), elem(b, i, esize));
        let v = match opc {
            0b10110 => doubling_mulh(x, y, esize, u, qc),
            0b01001 => shift_reg(x, y, esize, u, false, true, qc),
            0b01011 => shift_reg(x, y, esize, u, true, true, qc),
            0b01010 => shift_reg(x, y, esize, u, true, false, qc),
            0b00100 => ((int(x, esize, u) - int(y, esize, u)) >> 1) as u64,
            0b01111 => {
                let diff = (int(x, esize, u) - int(y, esize, u)).unsigned_abs() as u64;
                elem(d, i, esize).wrapping_add(diff)
            }
            _ => clmul(x, y, 8) as u64,
        };
        with_elem(acc, i, esize, v)
    });
    write(st, rd, r, q, scalar);
}

fn three_different(st: &mut A64State, f: SimdForm, qc: &Cell<bool>) {
    let SimdForm { q, u, size, scalar, opc, rd, rn, rm, .. } = f;
    let (a, b, d) = (get(st, rn), get(st, rm), get(st, rd));
    let half = |v: u128| if q && !scalar { v >> 64 } else { v };
    let esize = 8 << size;
    let wide = 2 * esize;
    let r = match (u, opc) {
        // SQDMLAL / SQDMLSL / SQDMULL, from the lower or upper half.
        (false, 0b1001 | 0b1011 | 0b1101) => {
            let n = if scalar { 1 } else { 64 / esize };
            let (ha, hb) = (half(a), half(b));
            (0..n).fold(0u128, |acc, i| {
                let p = 2 * sx(elem(ha, i, esize), esize) as i128 * sx(elem(hb, i, esize), esize) as i128;
                let p = sx(sat_s(p, wide, qc), wide) as i128;
                let dv = sx(elem(d, i, wide), wide) as i128;
                let v = match opc {
                    0b1001 => sat_s(dv + p, wide, qc),
                    0b1011 => sat_s(dv - p, wide, qc),
                    _ => p as u64,
                };
                with_elem(acc, i, wide, v)
            })
        }
        (true, _) => {
            // RADDHN / RSUBHN: rounded high half of each wide sum or difference.
            let narrowed = (0..64 / esize).fold(0u128, |acc, i| {
                let (x, y) = (elem(a, i, wide), elem(b, i, wide));
                let v = if opc == 0b0100 { x.wrapping_add(y) } else { x.wrapping_sub(y) };
                let v = (v as u128 & mask(wide) as u128) + (1u128 << (esize - 1));
                with_elem(acc, i, esize, (v >> esize) as u64)
            });
            if q {
                (d & u64::MAX as u128) | (narrowed << 64)
            } else {
                narrowed
            }
        }
        // PMULL / PMULL2: carry-less products of the lower or upper half.
        _ if size == 3 => {
            let k = q as u32;
            clmul(elem(a, k, 64), elem(b, k, 64), 64)
        }
        _ => {
            let (ha, hb) = (half(a), half(b));
            (0..8)
                .fold(0u128, |acc, i| with_elem(acc, i, 16, clmul(elem(ha, i, 8), elem(hb, i, 8), 8) as u64))
        }
    };
    set(st, rd, r);
}

fn two_reg_misc(st: &mut A64State, f: SimdForm, qc: &Cell<bool>) {
    let SimdForm { q, u, size, scalar, opc, rd, rn, .. } = f;
    let esize = 8 << size;
    let (a, d) = (get(st, rn), get(st, rd));
    if opc == 0b00011 || opc == 0b00111 {
        let r = (0..lanes(q, scalar, esize)).fold(0u128, |acc, i| {
            let x = elem(a, i, esize);
            let v = match (opc, u) {
                // SUQADD: signed accumulator plus unsigned operand; USQADD the reverse.
                (0b00011, false) => sat_s(sx(elem(d, i, esize), esize) as i128 + x as i128, esize, qc),
                (0b00011, true) => sat_u(elem(d, i, esize) as i128 + sx(x, esize) as i128, esize, qc),
                (_, false) => sat_s((sx(x, esize) as i128).abs(), esize, qc),
                (_, true) => sat_s(-(sx(x, esize) as i128), esize, qc),
            };
            with_elem(acc, i, esize, v)
        });
        write(st, rd, r, q, scalar);
        return;
    }
    // Scalar SQXTN / UQXTN / SQXTUN.
    let wide = 2 * esize;
    let x = elem(a, 0, wide);
    let v = match (opc, u) {
        (0b10100, false) => sat_s(sx(x, wide) as i128, esize, qc),
        (0b10100, true) => sat_u(x as i128, esize, qc),
        _ => sat_u(sx(x, wide) as i128, esize, qc),
    };
    set(st, rd, v as u128);
}

/// AdvSIMD (scalar) three same extra: SQRDMLAH / SQRDMLSH and SDOT / UDOT.
fn three_same_extra(st: &mut A64State, f: SimdForm, qc: &Cell<bool>) {
    let SimdForm { q, u, size, scalar, opc, rd, rn, rm, .. } = f;
    let (a, b, d) = (get(st, rn), get(st, rm), get(st, rd));
    if opc == 0b0010 {
        let r = (0..lanes(q, false, 32)).fold(0u128, |acc, i| {
            with_elem(acc, i, 32, dot(elem(d, i, 32), elem(a, i, 32), elem(b, i, 32), u))
        });
        write(st, rd, r, q, false);
        return;
    }
    let esize = 8 << size;
    let r = (0..lanes(q, scalar, esize)).fold(0u128, |acc, i| {
        let v = rdmlah(elem(d, i, esize), elem(a, i, esize), elem(b, i, esize), esize, opc == 1, qc);
        with_elem(acc, i, esize, v)
    });
    write(st, rd, r, q, scalar);
}

/// One lane of SDOT / UDOT: the accumulator plus the four byte products of `x` and `y`.
fn dot(acc: u64, x: u64, y: u64, unsigned: bool) -> u64 {
    let sum: i128 = (0..4).map(|k| int(x >> (8 * k), 8, unsigned) * int(y >> (8 * k), 8, unsigned)).sum();
    (acc as i128 + sum) as u64 & mask(32)
}

fn by_element(st: &mut A64State, f: SimdForm, qc: &Cell<bool>) {
    let SimdForm { q, u, size, scalar, opc, rd, rn, rm, imm: index, .. } = f;
    let (a, d) = (get(st, rn), get(st, rd));
    if scalar && !u && opc == 0b1001 {
        // Scalar FMUL (by element).
        let ty = fmul_elem_ty(size);
        let esize = ty.bits();
        let e = elem(get(st, rm), index, esize);
        let (x, fpcr) = (elem(a, 0, esize), st.fpcr);
        let (v, flags) = fh::arith_flags(ty, Some(Op2::Mul), x, e, fpcr);
        st.fpsr |= flags;
        set(st, rd, v as u128);
        return;
    }
    let esize = 8 << size;
    let e = elem(get(st, rm), index, esize);
    if opc == 0b1110 {
        let r = (0..lanes(q, false, 32))
            .fold(0u128, |acc, i| with_elem(acc, i, 32, dot(elem(d, i, 32), elem(a, i, 32), e, u)));
        write(st, rd, r, q, false);
        return;
    }
    if matches!(opc, 0b0011 | 0b0111 | 0b1011) {
        // SQDMLAL / SQDMLSL / SQDMULL (by element), from the lower or upper half.
        let wide = 2 * esize;
        let src = if q && !scalar { a >> 64 } else { a };
        let n = if scalar { 1 } else { 64 / esize };
        let r = (0..n).fold(0u128, |acc, i| {
            let p = 2 * sx(elem(src, i, esize), esize) as i128 * sx(e, esize) as i128;
            let p = sx(sat_s(p, wide, qc), wide) as i128;
            let dv = sx(elem(d, i, wide), wide) as i128;
            let v = match opc {
                0b0011 => sat_s(dv + p, wide, qc),
                0b0111 => sat_s(dv - p, wide, qc),
                _ => p as u64,
            };
            with_elem(acc, i, wide, v)
        });
        set(st, rd, r);
        return;
    }
    let r = (0..lanes(q, scalar, esize)).fold(0u128, |acc, i| {
        let x = elem(a, i, esize);
        let v = match (u, opc) {
            (false, 0b1100) => doubling_mulh(x, e, esize, false, qc),
            (false, _) => doubling_mulh(x, e, esize, true, qc),
            (true, 0b1101) => rdmlah(elem(d, i, esize), x, e, esize, false, qc),
            _ => rdmlah(elem(d, i, esize), x, e, esize, true, qc),
        };
        with_elem(acc, i, esize, v)
    });
    write(st, rd, r, q, scalar);
}

/// Shift by immediate, the saturating forms; `size` is the element size [`decode`] found
/// from immh, `imm` immh:immb.
fn shift_imm(st: &mut A64State, f: SimdForm, qc: &Cell<bool>) {
    let SimdForm { q, u, size, scalar, opc, rd, rn, imm: immhb, .. } = f;
    let esize = 8 << size;
    let (a, d) = (get(st, rn), get(st, rd));
    if opc == 0b01110 || opc == 0b01100 {
        // SQSHL / UQSHL / SQSHLU (immediate).
        let shift = immhb - esize;
        let signed_src = !u || opc == 0b01100;
        let r = (0..lanes(q, scalar, esize)).fold(0u128, |acc, i| {
            let v = int(elem(a, i, esize), esize, !signed_src) << shift;
            with_elem(acc, i, esize, sat(v, esize, u, qc))
        });
        write(st, rd, r, q, scalar);
        return;
    }
    // SQSHRN / SQRSHRN / UQSHRN / UQRSHRN, and SQSHRUN / SQRSHRUN.
    let wide = 2 * esize;
    let shift = wide - immhb;
    let round = opc & 1 == 1;
    let signed_src = !u || opc < 0b10010;
    let n = if scalar { 1 } else { 64 / esize };
    let narrowed = (0..n).fold(0u128, |acc, i| {
        let v = int(elem(a, i, wide), wide, !signed_src);
        let v = (v + if round { 1i128 << (shift - 1) } else { 0 }) >> shift;
        with_elem(acc, i, esize, sat(v, esize, u, qc))
    });
    let r = if q && !scalar { (d & u64::MAX as u128) | (narrowed << 64) } else { narrowed };
    set(st, rd, r);
}
