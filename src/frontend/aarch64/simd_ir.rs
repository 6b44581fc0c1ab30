//! Inline IR for the AdvSIMD instructions that hot loops use (gcc's vectorised rotates and
//! additions, glibc's string scans): bitwise operations, ADD/SUB, CMEQ, shifts by immediate
//! and the widening shifts. Each vector is handled as its two 64-bit halves; lanes narrower
//! than 64 bits are processed in parallel within a half (SIMD within a register) where a
//! carry-free formula exists, otherwise lane by lane. Everything else goes to the AdvSIMD
//! helper ([`super::simd_helpers`]), which remains the reference the differential tests
//! check both against.

use super::state::off;
use super::{bit, bits, Ctx};
use crate::ir::{BinOp, Temp, UnOp, Width};

fn rep(x: u64, esize: u32) -> u64 {
    let mut r = 0u64;
    let mut pos = 0;
    while pos < 64 {
        r |= x << pos;
        pos += esize;
    }
    r
}

fn lane_mask(esize: u32) -> u64 {
    if esize == 64 {
        u64::MAX
    } else {
        (1u64 << esize) - 1
    }
}

/// The halves of vector register `n` that a `q`-sized operation reads.
fn halves(cx: &mut Ctx, n: u32, q: bool) -> Vec<Temp> {
    let mut v = vec![cx.b.load_state(off::v(n as usize), Width::W64)];
    if q {
        v.push(cx.b.load_state(off::v_hi(n as usize), Width::W64));
    }
    v
}

/// The lane of vector register `n` that starts at bit `pos`, zero-extended.
fn read_lane(cx: &mut Ctx, n: u32, pos: u32, esize: u32) -> Temp {
    let slot = if pos >= 64 { off::v_hi(n as usize) } else { off::v(n as usize) };
    let half = cx.b.load_state(slot, Width::W64);
    let shift = (pos % 64) as u64;
    let v = if shift == 0 { half } else { cx.b.bin_imm(BinOp::Lshr, half, shift, Width::W64) };
    if esize == 64 {
        v
    } else {
        cx.b.bin_imm(BinOp::And, v, lane_mask(esize), Width::W64)
    }
}

/// Writes the result halves (a missing upper half is written as zero).
fn store(cx: &mut Ctx, d: u32, r: &[Temp]) {
    cx.b.store_state(off::v(d as usize), r[0], Width::W64);
    let hi = if r.len() > 1 { r[1] } else { cx.imm(0) };
    cx.b.store_state(off::v_hi(d as usize), hi, Width::W64);
}

/// Lane-parallel `a + b` or `a - b` within one 64-bit half.
fn add_sub(cx: &mut Ctx, a: Temp, b: Temp, esize: u32, sub: bool) -> Temp {
    if esize == 64 {
        return cx.b.bin(if sub { BinOp::Sub } else { BinOp::Add }, a, b, Width::W64);
    }
    let h = rep(1 << (esize - 1), esize);
    let w = Width::W64;
    if sub {
        // ((a | H) - (b & ~H)) ^ ((a ^ ~b) & H): no borrow crosses a lane.
        let ah = cx.b.bin_imm(BinOp::Or, a, h, w);
        let bl = cx.b.bin_imm(BinOp::And, b, !h, w);
        let diff = cx.b.bin(BinOp::Sub, ah, bl, w);
        let nb = cx.b.un(UnOp::Not, b, w);
        let x = cx.b.bin(BinOp::Xor, a, nb, w);
        let x = cx.b.bin_imm(BinOp::And, x, h, w);
        cx.b.bin(BinOp::Xor, diff, x, w)
    } else {
        // ((a & ~H) + (b & ~H)) ^ ((a ^ b) & H): no carry crosses a lane.
        let al = cx.b.bin_imm(BinOp::And, a, !h, w);
        let bl = cx.b.bin_imm(BinOp::And, b, !h, w);
        let sum = cx.b.bin(BinOp::Add, al, bl, w);
        let x = cx.b.bin(BinOp::Xor, a, b, w);
        let x = cx.b.bin_imm(BinOp::And, x, h, w);
        cx.b.bin(BinOp::Xor, sum, x, w)
    }
}

/// All-ones in every lane of `x` that is zero, zero elsewhere.
fn lanes_zero(cx: &mut Ctx, x: Temp, esize: u32) -> Temp {
    let w = Width::W64;
    if esize == 64 {
        let z = cx.b.cmp_imm(crate::ir::CmpOp::Eq, x, 0, w);
        return cx.b.un(UnOp::Neg, z, w);
    }
    let h = rep(1 << (esize - 1), esize);
    // Top bit of a lane set iff the lane is non-zero: ((x & ~H) + ~H) | x.
    let low = cx.b.bin_imm(BinOp::And, x, !h, w);
    let carry = cx.b.bin_imm(BinOp::Add, low, !h, w);
    let nz = cx.b.bin(BinOp::Or, carry, x, w);
    let zero_top = cx.b.un(UnOp::Not, nz, w);
    let zero_top = cx.b.bin_imm(BinOp::And, zero_top, h, w);
    let ones = cx.b.bin_imm(BinOp::Lshr, zero_top, (esize - 1) as u64, w);
    cx.b.bin_imm(BinOp::Mul, ones, lane_mask(esize), w)
}

/// Lane-parallel shift right by `s` (1 ..= esize), logical or arithmetic.
fn shift_right(cx: &mut Ctx, x: Temp, esize: u32, s: u32, signed: bool) -> Temp {
    let w = Width::W64;
    if esize == 64 {
        return if signed {
            cx.b.bin_imm(BinOp::Ashr, x, s.min(63) as u64, w)
        } else if s >= 64 {
            cx.imm(0)
        } else {
            cx.b.bin_imm(BinOp::Lshr, x, s as u64, w)
        };
    }
    if s >= esize && !signed {
        return cx.imm(0);
    }
    let s = s.min(esize - 1);
    let shifted = cx.b.bin_imm(BinOp::Lshr, x, s as u64, w);
    let low = cx.b.bin_imm(BinOp::And, shifted, rep(lane_mask(esize) >> s, esize), w);
    if !signed {
        return low;
    }
    // Sign fill: the lane's sign bit (as 0/1 in bit 0 of the lane) times the fill pattern;
    // each product stays inside its lane.
    let signs = cx.b.bin_imm(BinOp::Lshr, x, (esize - 1) as u64, w);
    let signs = cx.b.bin_imm(BinOp::And, signs, rep(1, esize), w);
    let fill = lane_mask(esize) & !(lane_mask(esize) >> s);
    let fill = cx.b.bin_imm(BinOp::Mul, signs, fill, w);
    cx.b.bin(BinOp::Or, low, fill, w)
}

fn shift_left(cx: &mut Ctx, x: Temp, esize: u32, s: u32) -> Temp {
    let w = Width::W64;
    if s == 0 {
        return x;
    }
    let shifted = cx.b.bin_imm(BinOp::Shl, x, s as u64, w);
    if esize == 64 {
        return shifted;
    }
    cx.b.bin_imm(BinOp::And, shifted, rep((lane_mask(esize) << s) & lane_mask(esize), esize), w)
}

/// Reverses the `esize` elements within every `container`-bit group of a 64-bit half, by
/// swapping ever larger halves (bytes, then halfwords, then words).
fn reverse_in_containers(cx: &mut Ctx, x: Temp, esize: u32, container: u32) -> Temp {
    let w = Width::W64;
    let mut v = x;
    let mut size = esize;
    while size < container {
        let m = rep(lane_mask(size), 2 * size);
        let lo = cx.b.bin_imm(BinOp::And, v, m, w);
        let lo = cx.b.bin_imm(BinOp::Shl, lo, size as u64, w);
        let hi = cx.b.bin_imm(BinOp::Lshr, v, size as u64, w);
        let hi = cx.b.bin_imm(BinOp::And, hi, m, w);
        v = cx.b.bin(BinOp::Or, lo, hi, w);
        size *= 2;
    }
    v
}

/// USHLL/SSHLL/SHLL: the lanes of the lower (`q` false) or upper half of `rn`, extended to
/// twice their size and shifted left by `shift`.
fn widen(cx: &mut Ctx, rn: u32, rd: u32, q: bool, esize: u32, shift: u32, signed: bool) {
    let src = cx.b.load_state(if q { off::v_hi(rn as usize) } else { off::v(rn as usize) }, Width::W64);
    let wide = 2 * esize;
    let per_half = 64 / wide;
    let from = Width::from_bytes(esize / 8).unwrap_or(Width::W32);
    let mut out = Vec::new();
    for h in 0..2 {
        let mut acc: Option<Temp> = None;
        for i in 0..per_half {
            let lane = h * per_half + i;
            let x = if lane == 0 {
                src
            } else {
                cx.b.bin_imm(BinOp::Lshr, src, (lane * esize) as u64, Width::W64)
            };
            let x = cx.b.ext(x, from, signed);
            let x = shift_left(cx, x, 64, shift);
            let x = if wide == 64 { x } else { cx.b.bin_imm(BinOp::And, x, lane_mask(wide), Width::W64) };
            let x = shift_left(cx, x, 64, i * wide);
            acc = Some(match acc {
                None => x,
                Some(a) => cx.b.bin(BinOp::Or, a, x, Width::W64),
            });
        }
        out.push(acc.unwrap_or_else(|| cx.imm(0)));
    }
    store(cx, rd, &out);
}

/// FADD/FSUB/FMUL/FDIV/FMLA/FMLS on two doubles (`.2d`): one call per lane of the same
/// per-operation scalar helpers the scalar instructions use (ARM NaN and rounding rules, with
/// a cheap common path), instead of the general AdvSIMD helper's decode and lane loop.
fn fp_2d(cx: &mut Ctx, w: u32) -> bool {
    let (u, hi, opc) = (bit(w, 29), bit(w, 23), bits(w, 11, 5));
    let (rm, rn, rd) = (bits(w, 16, 5), bits(w, 5, 5), bits(w, 0, 5));
    let fused = match (u, hi, opc) {
        (false, _, 0b11001) => true,
        (false, _, 0b11010) | (true, false, 0b11011) | (true, false, 0b11111) => false,
        _ => return false,
    };
    let a = halves(cx, rn, true);
    let b = halves(cx, rm, true);
    let r: Vec<Temp> = if fused {
        // FMLS negates the first factor (NaNs too) before the NaN rules see it.
        let d = halves(cx, rd, true);
        let f = super::fp::FP_MULADD_D;
        (0..2)
            .map(|i| {
                let x = if hi { cx.b.bin_imm(BinOp::Xor, a[i], 1 << 63, Width::W64) } else { a[i] };
                cx.b.call(crate::ir::Helper { name: f.0, func: f.1 }, &[d[i], x, b[i]])
            })
            .collect()
    } else {
        let opcode = match (hi, opc) {
            (false, 0b11010) => 2,
            (true, 0b11010) => 3,
            (_, 0b11011) => 0,
            _ => 1,
        };
        let Some(f) = super::fp::arith_helper(super::fp_helpers::Ty::D, opcode) else { return false };
        (0..2).map(|i| cx.b.call(crate::ir::Helper { name: f.0, func: f.1 }, &[a[i], b[i]])).collect()
    };
    store(cx, rd, &r);
    true
}

/// Translates `w` inline if it is one of the forms this file handles.
pub fn try_inline(cx: &mut Ctx, w: u32) -> bool {
    let q = bit(w, 30);
    let u = bit(w, 29);
    let (rn, rd) = (bits(w, 5, 5), bits(w, 0, 5));
    match bits(w, 24, 5) {
        // Vector three same / two-register misc.
        0b01110 if !bit(w, 31) && bit(w, 21) => {
            let size = bits(w, 22, 2);
            let esize = 8 << size;
            if bit(w, 10) {
                let (rm, opc) = (bits(w, 16, 5), bits(w, 11, 5));
                if opc >= 0b11000 && size & 1 == 1 && q {
                    return fp_2d(cx, w);
                }
                let a = halves(cx, rn, q);
                let b = halves(cx, rm, q);
                let r: Vec<Temp> = match (u, opc) {
                    (_, 0b00011) => {
                        let d = if u && size != 0 { halves(cx, rd, q) } else { vec![] };
                        (0..a.len())
                            .map(|i| {
                                let (x, y) = (a[i], b[i]);
                                match (u, size) {
                                    (false, 0) => cx.b.bin(BinOp::And, x, y, Width::W64),
                                    (false, 1) => {
                                        let ny = cx.b.un(UnOp::Not, y, Width::W64);
                                        cx.b.bin(BinOp::And, x, ny, Width::W64)
                                    }
                                    (false, 2) => cx.b.bin(BinOp::Or, x, y, Width::W64),
                                    (false, _) => {
                                        let ny = cx.b.un(UnOp::Not, y, Width::W64);
                                        cx.b.bin(BinOp::Or, x, ny, Width::W64)
                                    }
                                    (true, 0) => cx.b.bin(BinOp::Xor, x, y, Width::W64),
                                    (true, s) => {
                                        // BSL: sel = d, take x where set; BIT: sel = y, take
                                        // x where set, else d; BIF: take d where y set.
                                        let (sel, t, f) = match s {
                                            1 => (d[i], x, y),
                                            2 => (y, x, d[i]),
                                            _ => (y, d[i], x),
                                        };
                                        let diff = cx.b.bin(BinOp::Xor, t, f, Width::W64);
                                        let m = cx.b.bin(BinOp::And, diff, sel, Width::W64);
                                        cx.b.bin(BinOp::Xor, f, m, Width::W64)
                                    }
                                }
                            })
                            .collect()
                    }
                    (_, 0b10000) if q || size != 3 => {
                        (0..a.len()).map(|i| add_sub(cx, a[i], b[i], esize, u)).collect()
                    }
                    (true, 0b10001) if q || size != 3 => (0..a.len())
                        .map(|i| {
                            let x = cx.b.bin(BinOp::Xor, a[i], b[i], Width::W64);
                            lanes_zero(cx, x, esize)
                        })
                        .collect(),
                    _ => return false,
                };
                store(cx, rd, &r);
                return true;
            }
            // REV16 / REV32 / REV64 (two-register misc, opcodes 0000x).
            if bits(w, 10, 2) == 0b10 && bits(w, 17, 4) == 0 && bits(w, 13, 4) == 0 {
                let container = match (u, bit(w, 12)) {
                    (false, false) => 64,
                    (true, false) => 32,
                    (false, true) => 16,
                    _ => return false,
                };
                if esize >= container {
                    return false;
                }
                let a = halves(cx, rn, q);
                let r: Vec<Temp> =
                    a.iter().map(|&x| reverse_in_containers(cx, x, esize, container)).collect();
                store(cx, rd, &r);
                return true;
            }
            // SHLL / SHLL2 (two-register misc, U=1, opcode 10011).
            if bits(w, 10, 2) == 0b10 && bits(w, 17, 4) == 0 && u && bits(w, 12, 5) == 0b10011 && size != 3 {
                widen(cx, rn, rd, q, esize, esize, false);
                return true;
            }
            // CMEQ #0 (two-register misc, U=0, opcode 01001).
            if bits(w, 10, 2) == 0b10
                && bits(w, 17, 4) == 0
                && !u
                && bits(w, 12, 5) == 0b01001
                && (q || size != 3)
            {
                let a = halves(cx, rn, q);
                let r: Vec<Temp> = a.iter().map(|&x| lanes_zero(cx, x, esize)).collect();
                store(cx, rd, &r);
                return true;
            }
            false
        }
        // AdvSIMD copy: DUP (element, general), INS (general), UMOV, SMOV.
        0b01110 if !bit(w, 31) && bits(w, 21, 3) == 0 && !bit(w, 15) && bit(w, 10) && !u => {
            let imm5 = bits(w, 16, 5);
            let size = imm5.trailing_zeros();
            if size > 3 {
                return false;
            }
            let esize = 8 << size;
            let idx = imm5 >> (size + 1);
            let ew = Width::from_bytes(esize / 8).unwrap_or(Width::W64);
            let bit_pos = idx * esize;
            let slot = if bit_pos >= 64 { off::v_hi(rn as usize) } else { off::v(rn as usize) };
            let shift = (bit_pos % 64) as u64;
            let lane_of_vn = |cx: &mut Ctx| {
                let half = cx.b.load_state(slot, Width::W64);
                let v = if shift == 0 { half } else { cx.b.bin_imm(BinOp::Lshr, half, shift, Width::W64) };
                if esize == 64 {
                    v
                } else {
                    cx.b.ext(v, ew, false)
                }
            };
            let dup = |cx: &mut Ctx, lane: Temp| {
                let r = if esize == 64 {
                    lane
                } else {
                    cx.b.bin_imm(BinOp::Mul, lane, rep(1, esize), Width::W64)
                };
                store(cx, rd, &if q { vec![r, r] } else { vec![r] });
            };
            match bits(w, 11, 4) {
                0b0000 => {
                    let lane = lane_of_vn(cx);
                    dup(cx, lane);
                }
                0b0001 => {
                    let x = cx.xr(rn, Width::W64);
                    let lane = if esize == 64 { x } else { cx.b.ext(x, ew, false) };
                    dup(cx, lane);
                }
                0b0111 | 0b0101 => {
                    let lane = lane_of_vn(cx);
                    let v = if bits(w, 11, 4) == 0b0101 { cx.b.ext(lane, ew, true) } else { lane };
                    cx.set_x(rd, v, if q { Width::W64 } else { Width::W32 });
                }
                0b0011 => {
                    // INS (general): replace one lane of Vd.
                    let x = cx.xr(rn, Width::W64);
                    let dslot = if bit_pos >= 64 { off::v_hi(rd as usize) } else { off::v(rd as usize) };
                    let r = if esize == 64 {
                        x
                    } else {
                        let half = cx.b.load_state(dslot, Width::W64);
                        let cleared =
                            cx.b.bin_imm(BinOp::And, half, !(lane_mask(esize) << shift), Width::W64);
                        let lane = cx.b.ext(x, ew, false);
                        let moved = cx.b.bin_imm(BinOp::Shl, lane, shift, Width::W64);
                        cx.b.bin(BinOp::Or, cleared, moved, Width::W64)
                    };
                    cx.b.store_state(dslot, r, Width::W64);
                }
                _ => return false,
            }
            true
        }
        // INS (element): Vd.T[i] = Vn.T[j], the other lanes of Vd unchanged.
        0b01110 if !bit(w, 31) && q && u && bits(w, 21, 3) == 0 && !bit(w, 15) && bit(w, 10) => {
            let (imm5, imm4) = (bits(w, 16, 5), bits(w, 11, 4));
            let size = imm5.trailing_zeros();
            if size > 3 {
                return false;
            }
            let esize = 8 << size;
            let lane = read_lane(cx, rn, (imm4 >> size) * esize, esize);
            let dst_pos = (imm5 >> (size + 1)) * esize;
            let dslot = if dst_pos >= 64 { off::v_hi(rd as usize) } else { off::v(rd as usize) };
            let r = if esize == 64 {
                lane
            } else {
                let shift = (dst_pos % 64) as u64;
                let half = cx.b.load_state(dslot, Width::W64);
                let cleared = cx.b.bin_imm(BinOp::And, half, !(lane_mask(esize) << shift), Width::W64);
                let moved = if shift == 0 { lane } else { cx.b.bin_imm(BinOp::Shl, lane, shift, Width::W64) };
                cx.b.bin(BinOp::Or, cleared, moved, Width::W64)
            };
            cx.b.store_state(dslot, r, Width::W64);
            true
        }
        // Scalar DUP (element), alias MOV: Vd = zero-extended Vn.T[i].
        0b11110 if !bit(w, 31) && q && !u && bits(w, 21, 3) == 0 && bits(w, 10, 6) == 1 => {
            let imm5 = bits(w, 16, 5);
            let size = imm5.trailing_zeros();
            if size > 3 {
                return false;
            }
            let esize = 8 << size;
            let lane = read_lane(cx, rn, (imm5 >> (size + 1)) * esize, esize);
            store(cx, rd, &[lane]);
            true
        }
        // Shift by immediate (vector) with immh != 0.
        0b01111 if !bit(w, 31) && bit(w, 10) && bits(w, 19, 4) != 0 => {
            let (immh, immb, opc) = (bits(w, 19, 4), bits(w, 16, 3), bits(w, 11, 5));
            let hsb = 31 - immh.leading_zeros();
            let esize = 8 << hsb;
            let immhb = (immh << 3) | immb;
            if opc == 0b10100 {
                // USHLL / SSHLL (UXTL / SXTL): widen one half of Vn.
                if esize == 64 {
                    return false;
                }
                widen(cx, rn, rd, q, esize, immhb - esize, !u);
                return true;
            }
            if esize == 64 && !q {
                return false;
            }
            let right = 2 * esize - immhb;
            let left = immhb - esize;
            let a = halves(cx, rn, q);
            let r: Vec<Temp> = match (u, opc) {
                (_, 0b00000) => a.iter().map(|&x| shift_right(cx, x, esize, right, !u)).collect(),
                (_, 0b00010) => {
                    let d = halves(cx, rd, q);
                    (0..a.len())
                        .map(|i| {
                            let s = shift_right(cx, a[i], esize, right, !u);
                            add_sub(cx, d[i], s, esize, false)
                        })
                        .collect()
                }
                (false, 0b01010) => a.iter().map(|&x| shift_left(cx, x, esize, left)).collect(),
                _ => return false,
            };
            store(cx, rd, &r);
            true
        }
        _ => false,
    }
}
