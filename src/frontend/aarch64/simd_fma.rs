//! FMLA and FMLS, the AdvSIMD fused multiply-adds: vector (4H, 8H, 2S, 4S, 2D), vector by
//! element (the same) and scalar by element (H, S, D); the H forms are FEAT_FP16's. Each lane is one [`crate::ir::Op::FpFma`] under
//! the A64 rule ([`super::fp::fused`], value and FPSR flags): `Vd[i] + Vn[i] * Vm[i]`, or
//! `Vm[index]` for the by-element forms; FMLS negates the `Vn` lane (FPNeg, NaNs too) before
//! the NaN rules see it. A 64-bit lane is one half of the register; a 32- or 16-bit lane is
//! shifted down from one (an f32 or f16 op reads only its low bits and zero-extends its result).

use super::fp::fused;
use super::fp_helpers::Ty;
use super::simd_fparith::by_element_operand;
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
    // Vector three same (FP16): 0 Q 0 01110 op 10 Rm 00 001 1 Rn Rd.
    if w & 0xbf60_fc00 == 0x0e40_0c00 {
        return Some(Form { ty: Ty::H, lanes: if q { 8 } else { 4 }, sub: bit(w, 23), index: None });
    }
    // By element, vector (0 Q 0 01111 size L M Rm 0 o 01 H 0 Rn Rd) or scalar (01 0 11111 ...),
    // size 00 (FP16), 10 or 11.
    let vector = w & 0xbf00_b400 == 0x0f00_1000;
    let scalar = w & 0xff00_b400 == 0x5f00_1000;
    if !(vector || scalar) || u {
        return None;
    }
    let (ty, index, _) = by_element_operand(w)?;
    if vector && ty == Ty::D && !q {
        return None;
    }
    let lanes = if scalar { 1 } else { (if q { 128 } else { 64 }) / ty.bits() };
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
    // By element, Rm is M:Rm<3:0> for S and D; for H, M is the low bit of the index.
    let rm = if f.ty == Ty::H && f.index.is_some() { rm & 15 } else { rm };
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
        let shift = (i * esize % 64) as u64;
        if shift == 0 {
            out.push(r);
        } else {
            let last = out.pop().unwrap_or(r);
            let up = cx.b.bin_imm(BinOp::Shl, r, shift, Width::W64);
            out.push(cx.b.bin(BinOp::Or, last, up, Width::W64));
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
