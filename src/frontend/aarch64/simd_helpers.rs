//! AdvSIMD semantics, executed by one helper on the guest state: translated code calls
//! [`super::simd_form::run`] with the form [`super::simd_form::decode`] made of the
//! instruction at translation time, which runs the row's function here on the decoded fields
//! and updates the vector (and, for UMOV/SMOV/DUP/INS, general) registers. Whether an
//! encoding is implemented (Q, size, the opcodes a row has) the decoder decides, once; the
//! functions here do not check those fields again (their `return false` arms are for forms
//! `decode` never makes).
//!
//! Vectors are handled as `u128` (element 0 in the low bits); a 64-bit (`Q` = 0) result
//! clears the upper half, as every AdvSIMD write to a vector register does.

use super::fp_helpers::{self as fh, Op2, Ty};
use super::simd_form::{fmul_elem_ty, SimdForm};
use super::A64State;

pub(super) fn get(st: &A64State, n: u32) -> u128 {
    let r = st.vreg[n as usize & 31];
    r[0] as u128 | (r[1] as u128) << 64
}

pub(super) fn set(st: &mut A64State, n: u32, v: u128) {
    st.vreg[n as usize & 31] = [v as u64, (v >> 64) as u64];
}

pub(super) fn set_q(st: &mut A64State, n: u32, v: u128, q: bool) {
    set(st, n, if q { v } else { v & u64::MAX as u128 });
}

pub(super) fn mask(esize: u32) -> u64 {
    if esize >= 64 {
        u64::MAX
    } else {
        (1u64 << esize) - 1
    }
}

pub(super) fn elem(v: u128, i: u32, esize: u32) -> u64 {
    (v >> (i * esize)) as u64 & mask(esize)
}

pub(super) fn with_elem(v: u128, i: u32, esize: u32, x: u64) -> u128 {
    let m = (mask(esize) as u128) << (i * esize);
    (v & !m) | (((x & mask(esize)) as u128) << (i * esize))
}

pub(super) fn sx(x: u64, esize: u32) -> i64 {
    ((x << (64 - esize)) as i64) >> (64 - esize)
}

/// `f` applied lane by lane to `lanes` elements of `esize` bits.
pub(super) fn map2(a: u128, b: u128, esize: u32, lanes: u32, f: impl Fn(u64, u64) -> u64) -> u128 {
    (0..lanes).fold(0u128, |acc, i| with_elem(acc, i, esize, f(elem(a, i, esize), elem(b, i, esize))))
}

pub(super) fn map1(a: u128, esize: u32, lanes: u32, f: impl Fn(u64) -> u64) -> u128 {
    (0..lanes).fold(0u128, |acc, i| with_elem(acc, i, esize, f(elem(a, i, esize))))
}

fn replicate(x: u64, esize: u32) -> u128 {
    (0..128 / esize).fold(0u128, |acc, i| with_elem(acc, i, esize, x))
}

pub(super) fn all_ones(c: bool) -> u64 {
    if c {
        u64::MAX
    } else {
        0
    }
}

pub(super) fn ty_of(sz: bool) -> Ty {
    if sz {
        Ty::D
    } else {
        Ty::S
    }
}

/// ADDP (scalar); the FP pairwise reductions are [`super::simd_fparith`]'s.
pub(super) fn scalar_pairwise(st: &mut A64State, f: SimdForm) -> bool {
    let SimdForm { rn, rd, .. } = f;
    let a = get(st, rn);
    set(st, rd, elem(a, 0, 64).wrapping_add(elem(a, 1, 64)) as u128);
    true
}

/// DUP (element, scalar), alias MOV: one element into a scalar register.
pub(super) fn scalar_dup(st: &mut A64State, f: SimdForm) -> bool {
    let Some((esize, idx)) = imm5_elem(f.imm) else { return false };
    let v = elem(get(st, f.rn), idx, esize);
    set(st, f.rd, v as u128);
    true
}

/// Three same and scalar three same, the integer and bitwise opcodes (floating point, 11xxx,
/// is [`super::simd_fparith`]'s).
pub(super) fn three_same(st: &mut A64State, f: SimdForm) -> bool {
    let SimdForm { q, u, size, rm, opc, rn, rd, scalar, .. } = f;
    let width = if q { 128 } else { 64 };
    let (a, b, d) = (get(st, rn), get(st, rm), get(st, rd));
    if opc == 0b00011 {
        let r = match (u, size) {
            (false, 0) => a & b,
            (false, 1) => a & !b,
            (false, 2) => a | b,
            (false, _) => a | !b,
            (true, 0) => a ^ b,
            (true, 1) => (d & a) | (!d & b),
            (true, 2) => (a & b) | (d & !b),
            (true, _) => (a & !b) | (d & b),
        };
        set_q(st, rd, r, q);
        return true;
    }
    let esize = 8 << size;
    let lanes = if scalar { 1 } else { width / esize };
    let m = mask(esize);
    let s = |x: u64| sx(x, esize);
    let r = match (u, opc) {
        (false, 0b10000) => map2(a, b, esize, lanes, |x, y| x.wrapping_add(y)),
        (true, 0b10000) => map2(a, b, esize, lanes, |x, y| x.wrapping_sub(y)),
        (false, 0b00110) => map2(a, b, esize, lanes, |x, y| all_ones(s(x) > s(y))),
        (true, 0b00110) => map2(a, b, esize, lanes, |x, y| all_ones(x > y)),
        (false, 0b00111) => map2(a, b, esize, lanes, |x, y| all_ones(s(x) >= s(y))),
        (true, 0b00111) => map2(a, b, esize, lanes, |x, y| all_ones(x >= y)),
        (false, 0b10001) => map2(a, b, esize, lanes, |x, y| all_ones(x & y != 0)),
        (true, 0b10001) => map2(a, b, esize, lanes, |x, y| all_ones(x == y)),
        (false, 0b10011) if size != 3 => map2(a, b, esize, lanes, |x, y| x.wrapping_mul(y)),
        (false, 0b10111) => pairwise(a, b, esize, lanes, |x, y| x.wrapping_add(y)),
        (false, 0b10100) if size != 3 => {
            pairwise(a, b, esize, lanes, |x, y| if s(x) >= s(y) { x } else { y })
        }
        (true, 0b10100) if size != 3 => pairwise(a, b, esize, lanes, |x, y| x.max(y)),
        (false, 0b10101) if size != 3 => {
            pairwise(a, b, esize, lanes, |x, y| if s(x) <= s(y) { x } else { y })
        }
        (true, 0b10101) if size != 3 => pairwise(a, b, esize, lanes, |x, y| x.min(y)),
        (false, 0b01100) if size != 3 => map2(a, b, esize, lanes, |x, y| if s(x) >= s(y) { x } else { y }),
        (true, 0b01100) if size != 3 => map2(a, b, esize, lanes, |x, y| x.max(y)),
        (false, 0b01101) if size != 3 => map2(a, b, esize, lanes, |x, y| if s(x) <= s(y) { x } else { y }),
        (true, 0b01101) if size != 3 => map2(a, b, esize, lanes, |x, y| x.min(y)),
        (_, 0b10010) if size != 3 => (0..lanes).fold(0u128, |acc, i| {
            let p = elem(a, i, esize).wrapping_mul(elem(b, i, esize));
            let di = elem(d, i, esize);
            with_elem(acc, i, esize, if u { di.wrapping_sub(p) } else { di.wrapping_add(p) })
        }),
        (_, 0b01110) if size != 3 => {
            map2(a, b, esize, lanes, |x, y| if u { x.abs_diff(y) } else { s(x).abs_diff(s(y)) })
        }
        (_, 0b01000) => map2(a, b, esize, lanes, |x, y| {
            // SSHL/USHL: shift by the signed low byte of y; negative shifts right.
            let sh = y as u8 as i8 as i32;
            if sh >= 0 {
                if sh as u32 >= esize {
                    0
                } else {
                    x << sh
                }
            } else {
                let r = (-sh) as u32;
                if u {
                    if r >= esize {
                        0
                    } else {
                        x >> r
                    }
                } else {
                    (s(x) >> r.min(esize - 1)) as u64
                }
            }
        }),
        // SQADD, UQADD, SQSUB, UQSUB: saturation sets FPSR.QC.
        (_, 0b00001 | 0b00101) => {
            let sub = opc == 0b00101;
            let qc = std::cell::Cell::new(false);
            let r = map2(a, b, esize, lanes, |x, y| {
                let (x, y) = if u { (x as i128, y as i128) } else { (s(x) as i128, s(y) as i128) };
                let exact = if sub { x - y } else { x + y };
                let (lo, hi) =
                    if u { (0, m as i128) } else { (-(1i128 << (esize - 1)), (1i128 << (esize - 1)) - 1) };
                let v = exact.clamp(lo, hi);
                if v != exact {
                    qc.set(true);
                }
                v as u64 & m
            });
            if qc.get() {
                st.fpsr |= 1 << 27;
            }
            r
        }
        (_, 0b00000) if size != 3 => map2(a, b, esize, lanes, |x, y| {
            if u {
                ((x as u128 + y as u128) >> 1) as u64
            } else {
                ((s(x) as i128 + s(y) as i128) >> 1) as u64
            }
        }),
        (_, 0b00010) if size != 3 => map2(a, b, esize, lanes, |x, y| {
            if u {
                ((x as u128 + y as u128 + 1) >> 1) as u64
            } else {
                ((s(x) as i128 + s(y) as i128 + 1) >> 1) as u64
            }
        }),
        _ => return false,
    };
    set_q(st, rd, r, q && !scalar);
    true
}

/// Pairwise operation over the concatenation `b:a`: element i of the result combines
/// elements 2i and 2i+1.
pub(super) fn pairwise(a: u128, b: u128, esize: u32, lanes: u32, f: impl Fn(u64, u64) -> u64) -> u128 {
    let src = |k: u32| if k < lanes { elem(a, k, esize) } else { elem(b, k - lanes, esize) };
    (0..lanes).fold(0u128, |acc, i| with_elem(acc, i, esize, f(src(2 * i), src(2 * i + 1))))
}

/// Two-register miscellaneous and its scalar group, the integer opcodes (floating point,
/// 1xxxx with size<1> as an opcode bit and 011xx, is [`super::simd_fparith`]'s).
pub(super) fn two_reg_misc(st: &mut A64State, f: SimdForm) -> bool {
    let SimdForm { q, u, size, opc, rn, rd, scalar, .. } = f;
    let width = if q { 128 } else { 64 };
    let a = get(st, rn);
    let esize = 8 << size;
    let lanes = if scalar { 1 } else { width / esize };
    let s = |x: u64| sx(x, esize);
    if u && opc == 0b10011 && size != 3 {
        // SHLL / SHLL2: widen the lower or upper half, shifted left by the element size.
        let src = if q { a >> 64 } else { a };
        let r =
            (0..64 / esize).fold(0u128, |acc, i| with_elem(acc, i, 2 * esize, elem(src, i, esize) << esize));
        set(st, rd, r);
        return true;
    }
    let r = match (u, opc) {
        (false, 0b00000) | (true, 0b00000) | (false, 0b00001) => {
            // REV64 / REV32 / REV16: reverse elements within containers.
            let container = match (u, opc) {
                (false, 0b00000) => 64,
                (true, _) => 32,
                _ => 16,
            };
            let per = container / esize;
            (0..lanes).fold(0u128, |acc, i| {
                let base = i / per * per;
                let src = base + (per - 1 - (i - base));
                with_elem(acc, i, esize, elem(a, src, esize))
            })
        }
        (false, 0b00101) if size == 0 => map1(a, 8, lanes, |x| x.count_ones() as u64),
        (true, 0b00101) if size == 0 => !a,
        (true, 0b00101) if size == 1 => map1(a, 8, width / 8, |x| (x as u8).reverse_bits() as u64),
        (false, 0b01000) => map1(a, esize, lanes, |x| all_ones(s(x) > 0)),
        (true, 0b01000) => map1(a, esize, lanes, |x| all_ones(s(x) >= 0)),
        (false, 0b01001) => map1(a, esize, lanes, |x| all_ones(x == 0)),
        (true, 0b01001) => map1(a, esize, lanes, |x| all_ones(s(x) <= 0)),
        (false, 0b01010) => map1(a, esize, lanes, |x| all_ones(s(x) < 0)),
        (false, 0b01011) => map1(a, esize, lanes, |x| s(x).unsigned_abs()),
        (true, 0b01011) => map1(a, esize, lanes, |x| x.wrapping_neg()),
        (false, 0b00100) if size != 3 => map1(a, esize, lanes, |x| {
            let v = s(x);
            ((v ^ (v >> 1)) << (64 - esize)).leading_zeros().min(esize) as u64 - 1
        }),
        (true, 0b00100) if size != 3 => {
            map1(a, esize, lanes, |x| (x << (64 - esize)).leading_zeros().min(esize) as u64)
        }
        (_, 0b00010) | (_, 0b00110) if size != 3 => {
            // [SU]ADDLP / [SU]ADALP: add adjacent pairs into double-width elements.
            let d = get(st, rd);
            let acc = opc == 0b00110;
            let out = lanes / 2;
            (0..out).fold(0u128, |r, i| {
                let (x, y) = (elem(a, 2 * i, esize), elem(a, 2 * i + 1, esize));
                let sum = if u { x.wrapping_add(y) } else { (s(x) + s(y)) as u64 };
                let sum = if acc { sum.wrapping_add(elem(d, i, 2 * esize)) } else { sum };
                with_elem(r, i, 2 * esize, sum)
            })
        }
        (false, 0b10010) | (_, 0b10100) | (true, 0b10010) if size != 3 => {
            // XTN / SQXTN / UQXTN / SQXTUN (and the "2" forms into the upper half).
            let src = a;
            let d = get(st, rd);
            let wide = 2 * esize;
            let mut saturated = false;
            let narrowed = (0..64 / esize).fold(0u128, |r, i| {
                let x = elem(src, i, wide);
                let (v, exact) = match (u, opc) {
                    (false, 0b10010) => (x, true),
                    (true, 0b10010) => {
                        let v = (sx(x, wide)).clamp(0, mask(esize) as i64);
                        (v as u64, v == sx(x, wide))
                    }
                    (false, _) => {
                        let v = sx(x, wide).clamp(-(1i64 << (esize - 1)), (1i64 << (esize - 1)) - 1);
                        (v as u64, v == sx(x, wide))
                    }
                    (true, _) => (x.min(mask(esize)), x <= mask(esize)),
                };
                saturated |= !exact;
                with_elem(r, i, esize, v)
            });
            if saturated {
                // FPSR.QC, cumulative.
                st.fpsr |= 1 << 27;
            }
            let r = if q { (d & u64::MAX as u128) | (narrowed << 64) } else { narrowed };
            set(st, rd, r);
            return true;
        }
        _ => return false,
    };
    set_q(st, rd, r, q && !scalar);
    true
}

pub(super) fn across_lanes(st: &mut A64State, f: SimdForm) -> bool {
    let SimdForm { q, u, size, opc, rn, rd, .. } = f;
    let esize = 8 << size;
    let lanes = if q { 128 } else { 64 } / esize;
    let a = get(st, rn);
    let xs = (0..lanes).map(|i| elem(a, i, esize));
    let s = |x: u64| sx(x, esize);
    let (r, rsize) = match (u, opc) {
        (false, 0b11011) => (xs.fold(0u64, |acc, x| acc.wrapping_add(x)), esize),
        (false, 0b01010) => (xs.max_by_key(|&x| s(x)).unwrap_or(0), esize),
        (true, 0b01010) => (xs.max().unwrap_or(0), esize),
        (false, 0b11010) => (xs.min_by_key(|&x| s(x)).unwrap_or(0), esize),
        (true, 0b11010) => (xs.min().unwrap_or(0), esize),
        (false, 0b00011) => (xs.fold(0i64, |acc, x| acc + s(x)) as u64, 2 * esize),
        (true, 0b00011) => (xs.sum::<u64>(), 2 * esize),
        _ => return false,
    };
    set(st, rd, (r & mask(rsize)) as u128);
    true
}

/// Element size and index from a copy instruction's imm5.
pub(super) fn imm5_elem(imm5: u32) -> Option<(u32, u32)> {
    let size = imm5.trailing_zeros();
    if size > 3 {
        return None;
    }
    Some((8 << size, imm5 >> (size + 1)))
}

pub(super) fn copy(st: &mut A64State, f: SimdForm) -> bool {
    let SimdForm { q, u: op, rn, rd, .. } = f;
    let (imm5, imm4) = (f.imm & 31, f.imm >> 5);
    let Some((esize, idx)) = imm5_elem(imm5) else { return false };
    if op {
        // INS (element)
        let src_idx = imm4 >> esize.trailing_zeros().saturating_sub(3);
        let v = elem(get(st, rn), src_idx, esize);
        let d = with_elem(get(st, rd), idx, esize, v);
        set(st, rd, d);
        return true;
    }
    let xn = |st: &A64State| if rn == 31 { 0 } else { st.x[rn as usize] };
    match imm4 {
        0b0000 => {
            let v = elem(get(st, rn), idx, esize);
            set_q(st, rd, replicate(v, esize), q);
        }
        0b0001 => {
            let v = xn(st);
            set_q(st, rd, replicate(v, esize), q);
        }
        0b0011 => {
            let v = xn(st);
            let d = with_elem(get(st, rd), idx, esize, v);
            set(st, rd, d);
        }
        0b0101 | 0b0111 => {
            let signed = imm4 == 0b0101;
            let v = elem(get(st, rn), idx, esize);
            let v = if signed { sx(v, esize) as u64 } else { v };
            let v = if q { v } else { v & 0xffff_ffff };
            if rd != 31 {
                st.x[rd as usize] = v;
            }
        }
        _ => return false,
    }
    true
}

pub(super) fn permute(st: &mut A64State, f: SimdForm) -> bool {
    let SimdForm { q, size, rm, opc, rn, rd, .. } = f;
    let esize = 8 << size;
    let lanes = if q { 128 } else { 64 } / esize;
    let (a, b) = (get(st, rn), get(st, rm));
    let part = (opc >> 2) & 1;
    let pairs = lanes / 2;
    let r = match opc & 3 {
        1 => (0..lanes).fold(0u128, |acc, i| {
            // UZP: even (part 0) or odd (part 1) elements of a then b.
            let k = 2 * i + part;
            let v = if k < lanes { elem(a, k, esize) } else { elem(b, k - lanes, esize) };
            with_elem(acc, i, esize, v)
        }),
        2 => (0..pairs).fold(0u128, |acc, p| {
            let acc = with_elem(acc, 2 * p, esize, elem(a, 2 * p + part, esize));
            with_elem(acc, 2 * p + 1, esize, elem(b, 2 * p + part, esize))
        }),
        3 => (0..pairs).fold(0u128, |acc, p| {
            let base = part * pairs;
            let acc = with_elem(acc, 2 * p, esize, elem(a, base + p, esize));
            with_elem(acc, 2 * p + 1, esize, elem(b, base + p, esize))
        }),
        _ => return false,
    };
    set_q(st, rd, r, q);
    true
}

pub(super) fn extract(st: &mut A64State, f: SimdForm) -> bool {
    let SimdForm { q, rm, imm: imm4, rn, rd, .. } = f;
    let (a, b) = (get(st, rn), get(st, rm));
    let r = if q {
        if imm4 == 0 {
            a
        } else {
            (a >> (8 * imm4)) | (b << (128 - 8 * imm4))
        }
    } else {
        let cat = (a & u64::MAX as u128) | ((b & u64::MAX as u128) << 64);
        cat >> (8 * imm4)
    };
    set_q(st, rd, r, q);
    true
}

pub(super) fn table(st: &mut A64State, f: SimdForm) -> bool {
    let SimdForm { q, rm, imm: len, rn, rd, .. } = f;
    let tbx = f.opc == 1;
    let idx = get(st, rm);
    let d = get(st, rd);
    let regs: Vec<u128> = (0..len).map(|i| get(st, (rn + i) % 32)).collect();
    let bytes = if q { 16 } else { 8 };
    let r = (0..bytes).fold(0u128, |acc, i| {
        let k = elem(idx, i, 8) as u32;
        let v = if k < 16 * len {
            elem(regs[(k / 16) as usize], k % 16, 8)
        } else if tbx {
            elem(d, i, 8)
        } else {
            0
        };
        with_elem(acc, i, 8, v)
    });
    set_q(st, rd, r, q);
    true
}

pub(super) fn three_different(st: &mut A64State, f: SimdForm) -> bool {
    let SimdForm { q, u, size, rm, opc, rn, rd, .. } = f;
    let esize = 8 << size;
    let wide = 2 * esize;
    let lanes = 64 / esize;
    let (a, b, d) = (get(st, rn), get(st, rm), get(st, rd));
    let half = |v: u128| if q { v >> 64 } else { v };
    let ext = |x: u64| if u { x } else { sx(x, esize) as u64 };
    let (ha, hb) = (half(a), half(b));
    let r = match opc {
        0b0000 | 0b0010 => (0..lanes).fold(0u128, |acc, i| {
            let (x, y) = (ext(elem(ha, i, esize)), ext(elem(hb, i, esize)));
            with_elem(acc, i, wide, if opc == 0 { x.wrapping_add(y) } else { x.wrapping_sub(y) })
        }),
        0b0001 | 0b0011 => (0..lanes).fold(0u128, |acc, i| {
            let (x, y) = (elem(a, i, wide), ext(elem(hb, i, esize)));
            with_elem(acc, i, wide, if opc == 1 { x.wrapping_add(y) } else { x.wrapping_sub(y) })
        }),
        0b1100 | 0b1000 | 0b1010 => (0..lanes).fold(0u128, |acc, i| {
            let p = ext(elem(ha, i, esize)).wrapping_mul(ext(elem(hb, i, esize)));
            let v = match opc {
                0b1100 => p,
                0b1000 => elem(d, i, wide).wrapping_add(p),
                _ => elem(d, i, wide).wrapping_sub(p),
            };
            with_elem(acc, i, wide, v)
        }),
        0b0111 | 0b0101 => (0..lanes).fold(0u128, |acc, i| {
            let (x, y) = (elem(ha, i, esize), elem(hb, i, esize));
            let diff = if u { x.abs_diff(y) } else { sx(x, esize).abs_diff(sx(y, esize)) };
            let v = if opc == 0b0101 { elem(d, i, wide).wrapping_add(diff) } else { diff };
            with_elem(acc, i, wide, v)
        }),
        0b0100 | 0b0110 if !u => {
            // ADDHN / SUBHN: high half of each wide sum, into the lower or upper half.
            let n = (0..lanes).fold(0u128, |acc, i| {
                let (x, y) = (elem(a, i, wide), elem(b, i, wide));
                let v = if opc == 0b0100 { x.wrapping_add(y) } else { x.wrapping_sub(y) };
                with_elem(acc, i, esize, v >> esize)
            });
            let r = if q { (d & u64::MAX as u128) | (n << 64) } else { n };
            set(st, rd, r);
            return true;
        }
        _ => return false,
    };
    set(st, rd, r);
    true
}

/// Vector x indexed element; `f.imm` is the element index, `f.rm` the register it selects
/// from ([`super::simd_form`] decodes both).
pub(super) fn by_element(st: &mut A64State, f: SimdForm) -> bool {
    let SimdForm { q, u, size, rm, opc, rn, rd, imm: index, .. } = f;
    let (a, d) = (get(st, rn), get(st, rd));
    let fpcr = st.fpcr;
    // FMUL (by element); FMLA/FMLS are IR (`super::simd_fma`).
    if !u && opc == 0b1001 && size != 1 {
        let ty = fmul_elem_ty(size);
        let esize = ty.bits();
        let e = elem(get(st, rm), index, esize);
        let lanes = if q { 128 } else { 64 } / esize;
        let r = (0..lanes).fold(0u128, |acc, i| {
            let x = elem(a, i, esize);
            let (v, flags) = fh::arith_flags(ty, Some(Op2::Mul), x, e, fpcr);
            st.fpsr |= flags;
            with_elem(acc, i, esize, v)
        });
        set_q(st, rd, r, q);
        return true;
    }
    // Integer MUL / MLA / MLS and the long forms.
    let esize = 8 << size;
    let e = elem(get(st, rm), index, esize);
    let lanes = if q { 128 } else { 64 } / esize;
    let r = match (u, opc) {
        (false, 0b1000) => map1(a, esize, lanes, |x| x.wrapping_mul(e)),
        (true, 0b0000) | (true, 0b0100) => (0..lanes).fold(0u128, |acc, i| {
            let p = elem(a, i, esize).wrapping_mul(e);
            let di = elem(d, i, esize);
            with_elem(acc, i, esize, if opc == 0 { di.wrapping_add(p) } else { di.wrapping_sub(p) })
        }),
        (_, 0b1010) | (_, 0b0010) | (_, 0b0110) => {
            let wide = 2 * esize;
            let src = if q { a >> 64 } else { a };
            let ext = |x: u64| if u { x } else { sx(x, esize) as u64 };
            (0..64 / esize).fold(0u128, |acc, i| {
                let p = ext(elem(src, i, esize)).wrapping_mul(ext(e));
                let v = match opc {
                    0b1010 => p,
                    0b0010 => elem(d, i, wide).wrapping_add(p),
                    _ => elem(d, i, wide).wrapping_sub(p),
                };
                with_elem(acc, i, wide, v)
            })
        }
        _ => return false,
    };
    let long = matches!(opc, 0b1010 | 0b0010 | 0b0110);
    if long {
        set(st, rd, r);
    } else {
        set_q(st, rd, r, q);
    }
    true
}

/// ARM `AdvSIMDExpandImm` for the MOVI/MVNI/ORR/BIC/FMOV (vector, immediate) family, with
/// the operation: returns (64-bit pattern, kind) where kind 0 = move, 1 = move inverted,
/// 2 = OR, 3 = AND NOT.
pub(super) fn modified_imm(st: &mut A64State, f: SimdForm) -> bool {
    let SimdForm { q, u: op, opc: cmode, rd, .. } = f;
    let imm8 = (f.imm & 0xff) as u64;
    // o2 = 1: FMOV (vector, immediate) half precision, the only form with it.
    let half = f.imm >> 8 & 1 == 1;
    let rep32 = |x: u64| x | x << 32;
    let rep16 = |x: u64| x | x << 16 | x << 32 | x << 48;
    let (imm, kind) = match cmode {
        0b0000 | 0b0010 | 0b0100 | 0b0110 => (rep32(imm8 << (8 * (cmode >> 1))), if op { 1 } else { 0 }),
        0b0001 | 0b0011 | 0b0101 | 0b0111 => (rep32(imm8 << (8 * (cmode >> 1))), if op { 3 } else { 2 }),
        0b1000 | 0b1010 => (rep16(imm8 << (8 * ((cmode >> 1) & 1))), if op { 1 } else { 0 }),
        0b1001 | 0b1011 => (rep16(imm8 << (8 * ((cmode >> 1) & 1))), if op { 3 } else { 2 }),
        0b1100 => (rep32((imm8 << 8) | 0xff), if op { 1 } else { 0 }),
        0b1101 => (rep32((imm8 << 16) | 0xffff), if op { 1 } else { 0 }),
        0b1110 if !op => (imm8 * 0x0101_0101_0101_0101, 0),
        0b1110 => ((0..8).fold(0u64, |acc, i| acc | if imm8 >> i & 1 == 1 { 0xff << (8 * i) } else { 0 }), 0),
        0b1111 if half => (rep16(fh::expand_imm(Ty::H, imm8 as u32)), 0),
        0b1111 if !op => (rep32(fh::expand_imm(Ty::S, imm8 as u32)), 0),
        _ => (fh::expand_imm(Ty::D, imm8 as u32), 0),
    };
    let imm128 = imm as u128 | (imm as u128) << 64;
    let d = get(st, rd);
    let r = match kind {
        0 => imm128,
        1 => !imm128,
        2 => d | imm128,
        _ => d & !imm128,
    };
    set_q(st, rd, r, q);
    true
}

pub(super) fn shift_imm(st: &mut A64State, f: SimdForm) -> bool {
    let SimdForm { q, u, opc, rn, rd, scalar, .. } = f;
    let (immh, immb) = (f.imm >> 3, f.imm & 7);
    let hsb = 31 - immh.leading_zeros();
    let esize = 8 << hsb;
    let immhb = (immh << 3) | immb;
    let (a, d) = (get(st, rn), get(st, rd));
    let s = |x: u64| sx(x, esize);
    let narrow_or_long = matches!(opc, 0b10000 | 0b10001 | 0b10100);
    if narrow_or_long {
        let wide = 2 * esize;
        let lanes = 64 / esize;
        if opc == 0b10100 {
            // SSHLL / USHLL (UXTL / SXTL for shift 0), from the lower or upper half.
            let shift = immhb - esize;
            let src = if q { a >> 64 } else { a };
            let r = (0..lanes).fold(0u128, |acc, i| {
                let x = elem(src, i, esize);
                let x = if u { x } else { sx(x, esize) as u64 };
                with_elem(acc, i, wide, x << shift)
            });
            set(st, rd, r);
            return true;
        }
        // SHRN / RSHRN into the lower or upper half.
        let shift = 2 * esize - immhb;
        let round = opc == 0b10001;
        let n = (0..lanes).fold(0u128, |acc, i| {
            let x = elem(a, i, wide) as u128;
            let x = if round { x + (1u128 << (shift - 1)) } else { x };
            with_elem(acc, i, esize, (x >> shift) as u64)
        });
        let r = if q { (d & u64::MAX as u128) | (n << 64) } else { n };
        set(st, rd, r);
        return true;
    }
    let lanes = if scalar { 1 } else { (if q { 128 } else { 64 }) / esize };
    let right = 2 * esize - immhb;
    let left = immhb - esize;
    let shr = |x: u64, sh: u32| -> u64 {
        if u {
            if sh >= esize {
                0
            } else {
                x >> sh
            }
        } else {
            (s(x) >> sh.min(esize - 1)) as u64
        }
    };
    let rshr = |x: u64, sh: u32| -> u64 {
        let v = if u { x as i128 } else { s(x) as i128 };
        ((v + (1i128 << (sh - 1))) >> sh) as u64
    };
    let r = match (u, opc) {
        (_, 0b00000) => map1(a, esize, lanes, |x| shr(x, right)),
        (_, 0b00010) => map2(a, d, esize, lanes, |x, y| y.wrapping_add(shr(x, right))),
        (_, 0b00100) => map1(a, esize, lanes, |x| rshr(x, right)),
        (_, 0b00110) => map2(a, d, esize, lanes, |x, y| y.wrapping_add(rshr(x, right))),
        (false, 0b01010) => map1(a, esize, lanes, |x| x << left),
        (true, 0b01010) => map2(a, d, esize, lanes, |x, y| {
            let m = mask(esize) << left & mask(esize);
            (y & !m) | (x << left & m)
        }),
        (true, 0b01000) => map2(a, d, esize, lanes, |x, y| {
            let m = if right >= esize { 0 } else { mask(esize) >> right };
            (y & !m) | (if right >= esize { 0 } else { x >> right } & m)
        }),
        _ => return false,
    };
    set_q(st, rd, r, q && !scalar);
    true
}
