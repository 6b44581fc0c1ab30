//! FMLA and FMLS, the AdvSIMD fused multiply-adds: vector (2S, 4S, 2D), vector by element
//! (2S, 4S, 2D) and scalar by element (S, D). Each lane is one [`crate::ir::Op::FpFma`] under
//! the A64 rule ([`super::fp::fused`], value and FPSR flags): `Vd[i] + Vn[i] * Vm[i]`, or
//! `Vm[index]` for the by-element forms; FMLS negates the `Vn` lane (FPNeg, NaNs too) before
//! the NaN rules see it. A 64-bit lane is one half of the register; a 32-bit lane is the low
//! or high half of one (an f32 op reads the low 32 bits and zero-extends its result).

use super::fp::fused;
use super::fp_helpers::Ty;
use super::state::off;
use super::{bit, bits, Ctx};
use crate::ir::{BinOp, FmaNeg, Temp, Width};

/// The form an instruction word encodes: its element type, number of lanes, whether it is
/// FMLS, and `Vm`'s element index for the by-element forms.
struct Form {
    ty: Ty,
    lanes: u32,
    sub: bool,
    index: Option<u32>,
}

fn decode(w: u32) -> Option<Form> {
    let (q, u, sz) = (bit(w, 30), bit(w, 29), bit(w, 22));
    let ty = if sz { Ty::D } else { Ty::S };
    let vector_lanes = |q: bool| if q { 128 / ty.bits() } else { 64 / ty.bits() };
    // Vector three same: 0 Q 0 01110 op sz 1 Rm 11001 1 Rn Rd.
    if w & 0xbf20_fc00 == 0x0e20_cc00 {
        if sz && !q {
            return None;
        }
        return Some(Form { ty, lanes: vector_lanes(q), sub: bit(w, 23), index: None });
    }
    // By element, vector (0 Q 0 01111 1 sz L M Rm 0 o 01 H 0 Rn Rd) or scalar (01 0 11111 ...).
    let vector = w & 0xbf80_b400 == 0x0f80_1000;
    let scalar = w & 0xff80_b400 == 0x5f80_1000;
    if !(vector || scalar) || u {
        return None;
    }
    let (l, h) = (bit(w, 21), bit(w, 11));
    let index = match (sz, l) {
        (false, _) => (h as u32) << 1 | l as u32,
        (true, false) => h as u32,
        (true, true) => return None,
    };
    if vector && sz && !q {
        return None;
    }
    let lanes = if scalar { 1 } else { vector_lanes(q) };
    Some(Form { ty, lanes, sub: bit(w, 14), index: Some(index) })
}

/// Lane `i` (of `esize` bits) of the register whose halves are `v`, in the low bits (a 32-bit
/// lane keeps whatever is above it: f32 ops do not read it).
fn lane(cx: &mut Ctx, v: &[Temp], i: u32, esize: u32) -> Temp {
    let (half, shift) = (v[(i * esize / 64) as usize], (i * esize % 64) as u64);
    if shift == 0 {
        half
    } else {
        cx.b.bin_imm(BinOp::Lshr, half, shift, Width::W64)
    }
}

fn halves(cx: &mut Ctx, n: u32) -> Vec<Temp> {
    vec![cx.b.load_state(off::v(n as usize), Width::W64), cx.b.load_state(off::v_hi(n as usize), Width::W64)]
}

/// Translates `w` if it is FMLA or FMLS (vector, or by element).
pub fn try_inline(cx: &mut Ctx, w: u32) -> bool {
    let Some(f) = decode(w) else { return false };
    let (rm, rn, rd) = (bits(w, 16, 5), bits(w, 5, 5), bits(w, 0, 5));
    let esize = f.ty.bits();
    let neg = FmaNeg { product: f.sub, addend: false };
    let (n, d) = (halves(cx, rn), halves(cx, rd));
    // By element, Rm is M:Rm<3:0> (bit 20, M, is part of the register number for S and D).
    let m = halves(cx, rm);
    let element = f.index.map(|index| lane(cx, &m, index, esize));
    let mut out: Vec<Temp> = Vec::new();
    for i in 0..f.lanes {
        let x = lane(cx, &n, i, esize);
        let y = match element {
            Some(e) => e,
            None => lane(cx, &m, i, esize),
        };
        let acc = lane(cx, &d, i, esize);
        let r = fused(cx, f.ty, neg, x, y, acc);
        if esize == 64 || i % 2 == 0 {
            out.push(r);
        } else {
            let last = out.pop().unwrap_or(r);
            let hi = cx.b.bin_imm(BinOp::Shl, r, 32, Width::W64);
            out.push(cx.b.bin(BinOp::Or, last, hi, Width::W64));
        }
    }
    // The scalar and 64-bit forms clear what they do not write.
    let zero = cx.imm(0);
    let lo = out.first().copied().unwrap_or(zero);
    let hi = out.get(1).copied().unwrap_or(zero);
    cx.b.store_state(off::v(rd as usize), lo, Width::W64);
    cx.b.store_state(off::v_hi(rd as usize), hi, Width::W64);
    true
}
