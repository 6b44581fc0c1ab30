//! Inline IR for the AdvSIMD instructions that hot loops use (gcc's vectorised rotates and
//! additions, glibc's string scans): bitwise operations, the integer lane arithmetic,
//! compares, min/max, shifts by immediate, ZIP/UZP, the narrowing moves (XTN, SQXTN, UQXTN,
//! SQXTUN) and the widening shifts. Each vector is handled as its two 64-bit halves; lanes
//! narrower than 64 bits are IR lane ops ([`LaneOp`], the definition the x86 SSE forms
//! share), a few forms are plain 64-bit IR (SIMD within a register). The 128-bit (`Q`)
//! forms of the bitwise instructions and of the lane-wise ones both hosts have as one
//! instruction (`ir::vector::has_vlane`, `has_vshift`) are 128-bit IR ops on vector
//! temporaries instead. Everything else goes to the AdvSIMD helper ([`super::simd_helpers`]), which remains the reference the differential
//! tests check both against.

use super::state::off;
use super::{bit, bits, Ctx};
use crate::ir::vector::{has_vlane, has_vshift};
use crate::ir::{BinOp, CmpOp, FpOp, LaneOp, Temp, UnOp, VBitOp, Width};

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

/// The IR lane width of `esize`-bit lanes.
fn lane_width(esize: u32) -> Width {
    Width::from_bytes(esize / 8).unwrap_or(Width::W64)
}

/// `a + b` or `a - b` lane by lane within one 64-bit half.
fn add_sub(cx: &mut Ctx, a: Temp, b: Temp, esize: u32, sub: bool) -> Temp {
    if esize == 64 {
        return cx.b.bin(if sub { BinOp::Sub } else { BinOp::Add }, a, b, Width::W64);
    }
    cx.b.lanes(if sub { LaneOp::Sub } else { LaneOp::Add }, lane_width(esize), a, b)
}

/// The compares of three same (`CMGT`, `CMHI`, `CMGE`, `CMHS`, `CMEQ`; `opc` names which):
/// all-ones lanes where true.
fn compare(cx: &mut Ctx, a: Temp, b: Temp, esize: u32, op: CmpOp) -> Temp {
    let w = Width::W64;
    if esize == 64 {
        let c = cx.b.cmp(op, a, b, w);
        return cx.b.un(UnOp::Neg, c, w);
    }
    let lane = lane_width(esize);
    // a >= b is !(b > a).
    let (lop, x, y, invert) = match op {
        CmpOp::Eq => (LaneOp::CmpEq, a, b, false),
        CmpOp::Sgt => (LaneOp::CmpGtS, a, b, false),
        CmpOp::Ugt => (LaneOp::CmpGtU, a, b, false),
        CmpOp::Sge => (LaneOp::CmpGtS, b, a, true),
        _ => (LaneOp::CmpGtU, b, a, true),
    };
    let r = cx.b.lanes(lop, lane, x, y);
    if invert {
        cx.b.un(UnOp::Not, r, w)
    } else {
        r
    }
}

/// The sums of adjacent `esize`-bit lane pairs of a 64-bit half, packed into its low 32
/// bits (the whole 64 bits hold the single sum when `esize` is 64).
fn pair_sums(cx: &mut Ctx, x: Temp, esize: u32) -> Temp {
    let w = Width::W64;
    if esize == 64 {
        return x;
    }
    // Even lanes plus odd lanes, each in a 2*esize container; keep the low esize bits.
    let m = rep(lane_mask(esize), 2 * esize);
    let even = cx.b.bin_imm(BinOp::And, x, m, w);
    let odd = cx.b.bin_imm(BinOp::Lshr, x, esize as u64, w);
    let odd = cx.b.bin_imm(BinOp::And, odd, m, w);
    let sum = cx.b.bin(BinOp::Add, even, odd, w);
    let mut y = cx.b.bin_imm(BinOp::And, sum, m, w);
    // Squeeze out the empty upper half of every container, doubling the container each time.
    let mut size = esize;
    while 2 * size < 64 {
        let moved = cx.b.bin_imm(BinOp::Lshr, y, size as u64, w);
        let merged = cx.b.bin(BinOp::Or, y, moved, w);
        y = cx.b.bin_imm(BinOp::And, merged, rep(lane_mask(2 * size), 4 * size), w);
        size *= 2;
    }
    y
}

/// `lo` in the low 32 bits and `hi` above (64-bit lanes: the two pair sums themselves).
fn concat_halves(cx: &mut Ctx, lo: Temp, hi: Temp, esize: u32) -> Temp {
    let w = Width::W64;
    if esize == 64 {
        // Only reached for Q: the pair sum of each source register is a full half.
        return cx.b.bin(BinOp::Add, lo, hi, w);
    }
    let up = cx.b.bin_imm(BinOp::Shl, hi, 32, w);
    cx.b.bin(BinOp::Or, lo, up, w)
}

/// All-ones in every lane of `x` that is zero, zero elsewhere.
fn lanes_zero(cx: &mut Ctx, x: Temp, esize: u32) -> Temp {
    let w = Width::W64;
    if esize == 64 {
        let z = cx.b.cmp_imm(crate::ir::CmpOp::Eq, x, 0, w);
        return cx.b.un(UnOp::Neg, z, w);
    }
    let zero = cx.imm(0);
    cx.b.lanes(LaneOp::CmpEq, lane_width(esize), x, zero)
}

/// Shift right by `s` (1 ..= esize) of every lane, logical or arithmetic.
fn shift_right(cx: &mut Ctx, x: Temp, esize: u32, s: u32, signed: bool) -> Temp {
    let count = cx.imm(s as u64);
    cx.b.lanes(if signed { LaneOp::Ashr } else { LaneOp::Lshr }, lane_width(esize), x, count)
}

/// Shift left by `s` (0 .. esize) of every lane.
fn shift_left(cx: &mut Ctx, x: Temp, esize: u32, s: u32) -> Temp {
    if s == 0 {
        return x;
    }
    if esize == 64 {
        return cx.b.bin_imm(BinOp::Shl, x, s as u64, Width::W64);
    }
    let count = cx.imm(s as u64);
    cx.b.lanes(LaneOp::Shl, lane_width(esize), x, count)
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
/// twice their size and shifted left by `shift`. Extending is interleaving with zero lanes
/// (or with the lanes' signs: all-ones where a lane is negative).
fn widen(cx: &mut Ctx, rn: u32, rd: u32, q: bool, esize: u32, shift: u32, signed: bool) {
    let src = cx.b.load_state(if q { off::v_hi(rn as usize) } else { off::v(rn as usize) }, Width::W64);
    let lane = lane_width(esize);
    let zero = cx.imm(0);
    let top = if signed { cx.b.lanes(LaneOp::CmpGtS, lane, zero, src) } else { zero };
    let out: Vec<Temp> = [LaneOp::ZipLo, LaneOp::ZipHi]
        .into_iter()
        .map(|zip| {
            let wide = cx.b.lanes(zip, lane, src, top);
            shift_left(cx, wide, 2 * esize, shift)
        })
        .collect();
    store(cx, rd, &out);
}

/// ZIP1/ZIP2/UZP1/UZP2 (`opc` 011, 111, 001, 101); TRN is left to the helper.
fn permute(cx: &mut Ctx, w: u32) -> bool {
    let (q, size, opc) = (bit(w, 30), bits(w, 22, 2), bits(w, 12, 3));
    let (rm, rn, rd) = (bits(w, 16, 5), bits(w, 5, 5), bits(w, 0, 5));
    if !matches!(opc, 0b001 | 0b011 | 0b101 | 0b111) || (size == 3 && !q) {
        return false;
    }
    let second = opc & 0b100 != 0;
    let a = halves(cx, rn, q);
    let b = halves(cx, rm, q);
    let lane = lane_width(8 << size);
    let r = match (opc & 0b011 == 0b011, q, size == 3) {
        // 64-bit lanes: whole halves.
        (true, _, true) if second => vec![a[1], b[1]],
        (true, _, true) => vec![a[0], b[0]],
        (false, _, true) if second => vec![a[1], b[1]],
        (false, _, true) => vec![a[0], b[0]],
        // ZIP: from the low halves (ZIP1) or the high halves (ZIP2; of a 64-bit vector, the
        // upper 32 bits of its only half).
        (true, true, _) => {
            let h = usize::from(second);
            let lo = cx.b.lanes(LaneOp::ZipLo, lane, a[h], b[h]);
            let hi = cx.b.lanes(LaneOp::ZipHi, lane, a[h], b[h]);
            vec![lo, hi]
        }
        (true, false, _) => {
            let zip = if second { LaneOp::ZipHi } else { LaneOp::ZipLo };
            vec![cx.b.lanes(zip, lane, a[0], b[0])]
        }
        // UZP: the even or odd lanes of Vn then of Vm.
        (false, true, _) => {
            let uzp = if second { LaneOp::UzpOdd } else { LaneOp::UzpEven };
            let lo = cx.b.lanes(uzp, lane, a[0], a[1]);
            let hi = cx.b.lanes(uzp, lane, b[0], b[1]);
            vec![lo, hi]
        }
        (false, false, _) => {
            let uzp = if second { LaneOp::UzpOdd } else { LaneOp::UzpEven };
            vec![cx.b.lanes(uzp, lane, a[0], b[0])]
        }
    };
    store(cx, rd, &r);
    true
}

/// XTN, SQXTN, UQXTN, SQXTUN and their `2` forms (`q`: write the upper half of Vd, keep the
/// lower): Vn's 128 bits narrowed to half-width lanes. A saturating form sets FPSR.QC when
/// a lane saturated: when the result, widened back (sign-extended for SQXTN, zero-extended
/// for the unsigned results), differs from the source. Comparing with the truncation would
/// miss a lane whose saturated value happens to equal its low half (0x017f -> 0x7f).
fn narrow(cx: &mut Ctx, w: u32) -> bool {
    let (q, u, size, opc) = (bit(w, 30), bit(w, 29), bits(w, 22, 2), bits(w, 12, 5));
    let (rn, rd) = (bits(w, 5, 5), bits(w, 0, 5));
    let (op, lanes): (LaneOp, &[u32]) = match (u, opc) {
        (false, 0b10010) => (LaneOp::UzpEven, &[0, 1, 2]),
        (true, 0b10010) => (LaneOp::NarrowSatSU, &[0]),
        (false, 0b10100) => (LaneOp::NarrowSatS, &[0, 1]),
        (true, 0b10100) => (LaneOp::NarrowSatU, &[0]),
        _ => return false,
    };
    if !lanes.contains(&size) {
        return false;
    }
    let n = halves(cx, rn, true);
    let lane = lane_width(8 << size);
    let r = cx.b.lanes(op, lane, n[0], n[1]);
    if op != LaneOp::UzpEven {
        let zero = cx.imm(0);
        let wide = lane_width(16 << size);
        let diffs: Vec<Temp> = [(LaneOp::ZipLo, n[0]), (LaneOp::ZipHi, n[1])]
            .into_iter()
            .map(|(zip, src)| {
                let mut back = cx.b.lanes(zip, lane, r, zero);
                if op == LaneOp::NarrowSatS {
                    let by = cx.imm(8 << size);
                    back = cx.b.lanes(LaneOp::Shl, wide, back, by);
                    back = cx.b.lanes(LaneOp::Ashr, wide, back, by);
                }
                cx.b.bin(BinOp::Xor, back, src, Width::W64)
            })
            .collect();
        set_qc(cx, &diffs);
    }
    if q {
        cx.b.store_state(off::v_hi(rd as usize), r, Width::W64);
    } else {
        store(cx, rd, &[r]);
    }
    true
}

/// The three-same integer forms that are one lane op per half (`None`: not one of them).
fn three_same_lanes(
    cx: &mut Ctx,
    u: bool,
    opc: u32,
    esize: u32,
    a: &[Temp],
    b: &[Temp],
) -> Option<Vec<Temp>> {
    let op = three_same_lane_op(u, opc, esize)?;
    let lane = lane_width(esize);
    let r: Vec<Temp> = (0..a.len()).map(|i| cx.b.lanes(op, lane, a[i], b[i])).collect();
    if let Some(wrap) = wrapping_op(op) {
        let diffs: Vec<Temp> = (0..a.len())
            .map(|i| {
                let w = cx.b.lanes(wrap, lane, a[i], b[i]);
                cx.b.bin(BinOp::Xor, r[i], w, Width::W64)
            })
            .collect();
        set_qc(cx, &diffs);
    }
    Some(r)
}

/// The wrapping op of a saturating add or subtract (a lane saturated where the two differ).
fn wrapping_op(op: LaneOp) -> Option<LaneOp> {
    match op {
        LaneOp::AddSatS | LaneOp::AddSatU => Some(LaneOp::Add),
        LaneOp::SubSatS | LaneOp::SubSatU => Some(LaneOp::Sub),
        _ => None,
    }
}

/// Sets FPSR.QC if any of `diffs` (saturated XOR wrapped results) is nonzero.
fn set_qc(cx: &mut Ctx, diffs: &[Temp]) {
    let any = diffs[1..].iter().fold(diffs[0], |acc, &d| cx.b.bin(BinOp::Or, acc, d, Width::W64));
    let sat = cx.b.cmp_imm(CmpOp::Ne, any, 0, Width::W64);
    let qc = cx.b.bin_imm(BinOp::Shl, sat, 27, Width::W32);
    let fpsr = cx.b.load_state(off::FPSR, Width::W32);
    let fpsr = cx.b.bin(BinOp::Or, fpsr, qc, Width::W32);
    cx.b.store_state(off::FPSR, fpsr, Width::W32);
}

/// The lane op of a three-same integer form that is one lane op per half.
fn three_same_lane_op(u: bool, opc: u32, esize: u32) -> Option<LaneOp> {
    use LaneOp::*;
    Some(match (u, opc, esize) {
        (false, 0b00001, 8 | 16) => AddSatS,
        (true, 0b00001, 8 | 16) => AddSatU,
        (false, 0b00101, 8 | 16) => SubSatS,
        (true, 0b00101, 8 | 16) => SubSatU,
        (true, 0b00010, 8 | 16) => AvgU,
        (false, 0b01100, 8 | 16 | 32) => MaxS,
        (true, 0b01100, 8 | 16 | 32) => MaxU,
        (false, 0b01101, 8 | 16 | 32) => MinS,
        (true, 0b01101, 8 | 16 | 32) => MinU,
        (false, 0b10011, 16 | 32) => MulLo,
        _ => return None,
    })
}

/// The three-same integer forms of a 128-bit vector (`Q`) that are 128-bit IR ops
/// (`ir::vector`): AND, BIC, ORR, EOR, BSL, BIT, BIF, and the lane-wise forms both hosts have
/// as one instruction (ADD, SUB, CMEQ, CMGT and [`three_same_lane_op`]'s where `has_vlane`).
/// `false`: not one of them (the caller's per-half forms then apply).
fn three_same_q(cx: &mut Ctx, u: bool, size: u32, opc: u32, regs: [u32; 3]) -> bool {
    let [rn, rm, rd] = regs.map(|r| off::v(r as usize));
    let (esize, lane) = (8 << size, lane_width(8 << size));
    let lane_op = match (u, opc) {
        (_, 0b00011) => None,
        (_, 0b10000) => Some(if u { LaneOp::Sub } else { LaneOp::Add }),
        (true, 0b10001) => Some(LaneOp::CmpEq),
        (false, 0b00110) => Some(LaneOp::CmpGtS),
        _ => match three_same_lane_op(u, opc, esize) {
            Some(op) => Some(op),
            None => return false,
        },
    };
    let r = match lane_op {
        Some(op) if has_vlane(op, lane) && wrapping_op(op).is_none_or(|w| has_vlane(w, lane)) => {
            let (a, b) = (cx.b.vload_state(rn), cx.b.vload_state(rm));
            let r = cx.b.vlanes(op, lane, a, b);
            if let Some(wrap) = wrapping_op(op) {
                let w = cx.b.vlanes(wrap, lane, a, b);
                let diff = cx.b.vbit(VBitOp::Xor, r, w);
                let halves = [cx.b.vhalf(diff, false), cx.b.vhalf(diff, true)];
                set_qc(cx, &halves);
            }
            r
        }
        Some(_) => return false,
        // ORN has no 128-bit op.
        None if (u, size) == (false, 3) => return false,
        None => {
            let (a, b) = (cx.b.vload_state(rn), cx.b.vload_state(rm));
            match (u, size) {
                (false, 0) => cx.b.vbit(VBitOp::And, a, b),
                (false, 1) => cx.b.vbit(VBitOp::AndNot, a, b),
                (false, _) => cx.b.vbit(VBitOp::Or, a, b),
                (true, 0) => cx.b.vbit(VBitOp::Xor, a, b),
                (true, s) => {
                    // BSL: sel = d, take a where set; BIT: sel = b, take a where set, else d;
                    // BIF: take d where b set, else a.
                    let d = cx.b.vload_state(rd);
                    let (sel, t, f) = match s {
                        1 => (d, a, b),
                        2 => (b, a, d),
                        _ => (b, d, a),
                    };
                    let diff = cx.b.vbit(VBitOp::Xor, t, f);
                    let m = cx.b.vbit(VBitOp::And, diff, sel);
                    cx.b.vbit(VBitOp::Xor, f, m)
                }
            }
        }
    };
    cx.b.vstore_state(rd, r);
    true
}

/// SHL, USHR, SSHR, USRA, SSRA of a 128-bit vector (`Q`) as 128-bit IR ops where both hosts
/// have them (`has_vshift`, and `has_vlane` for the accumulating add); `false` otherwise.
fn shift_imm_q(cx: &mut Ctx, u: bool, opc: u32, esize: u32, counts: (u32, u32), regs: [u32; 2]) -> bool {
    let (right, left) = counts;
    let [rn, rd] = regs.map(|r| off::v(r as usize));
    let lane = lane_width(esize);
    let (op, count, accumulate) = match (u, opc) {
        (_, 0b00000 | 0b00010) => (if u { LaneOp::Lshr } else { LaneOp::Ashr }, right, opc == 0b00010),
        (false, 0b01010) => (LaneOp::Shl, left, false),
        _ => return false,
    };
    if !has_vshift(op, lane) || (accumulate && !has_vlane(LaneOp::Add, lane)) {
        return false;
    }
    let a = cx.b.vload_state(rn);
    let mut r = cx.b.vshift(op, lane, a, count as u8);
    if accumulate {
        let d = cx.b.vload_state(rd);
        r = cx.b.vlanes(LaneOp::Add, lane, d, r);
    }
    cx.b.vstore_state(rd, r);
    true
}

/// FADD/FSUB/FMUL/FDIV on two doubles (`.2d`): per lane, the IR op the scalar instructions
/// use (see [`super::fp`]), instead of the general AdvSIMD helper's decode and lane loop.
/// (FMLA/FMLS are [`super::simd_fma`]'s.)
fn fp_2d(cx: &mut Ctx, w: u32) -> bool {
    let (u, hi, opc) = (bit(w, 29), bit(w, 23), bits(w, 11, 5));
    let (rm, rn, rd) = (bits(w, 16, 5), bits(w, 5, 5), bits(w, 0, 5));
    let op = match (u, hi, opc) {
        (false, false, 0b11010) => FpOp::Add,
        (false, true, 0b11010) => FpOp::Sub,
        (true, false, 0b11011) => FpOp::Mul,
        (true, false, 0b11111) => FpOp::Div,
        _ => return false,
    };
    let a = halves(cx, rn, true);
    let b = halves(cx, rm, true);
    let r: Vec<Temp> =
        (0..2).map(|i| super::fp::arith(cx, op, super::fp_helpers::Ty::D, a[i], b[i])).collect();
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
                if q && three_same_q(cx, u, size, opc, [rn, rm, rd]) {
                    return true;
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
                    (false, 0b10111) if q || size != 3 => {
                        // ADDP: the pair sums of Vn, then those of Vm (each packed to half
                        // as many bits as its source).
                        let sums: Vec<Temp> =
                            a.iter().chain(b.iter()).map(|&x| pair_sums(cx, x, esize)).collect();
                        if q {
                            vec![
                                concat_halves(cx, sums[0], sums[1], esize),
                                concat_halves(cx, sums[2], sums[3], esize),
                            ]
                        } else {
                            vec![concat_halves(cx, sums[0], sums[1], esize)]
                        }
                    }
                    (true, 0b10001) if q || size != 3 => {
                        (0..a.len()).map(|i| compare(cx, a[i], b[i], esize, CmpOp::Eq)).collect()
                    }
                    (_, 0b00110 | 0b00111) if q || size != 3 => {
                        let op = match (u, opc) {
                            (false, 0b00110) => CmpOp::Sgt,
                            (true, 0b00110) => CmpOp::Ugt,
                            (false, _) => CmpOp::Sge,
                            (true, _) => CmpOp::Uge,
                        };
                        (0..a.len()).map(|i| compare(cx, a[i], b[i], esize, op)).collect()
                    }
                    _ => match three_same_lanes(cx, u, opc, esize, &a, &b) {
                        Some(r) => r,
                        None => return false,
                    },
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
            // XTN, SQXTN, UQXTN, SQXTUN.
            if bits(w, 10, 2) == 0b10 && bits(w, 17, 4) == 0 && matches!(bits(w, 12, 5), 0b10010 | 0b10100) {
                return narrow(cx, w);
            }
            // CMGT, CMGE, CMLT, CMLE #0 (two-register misc, opcodes 01000 and 01010).
            if bits(w, 10, 2) == 0b10
                && bits(w, 17, 4) == 0
                && (bits(w, 12, 5) == 0b01000
                    || (bits(w, 12, 5) == 0b01001 && u)
                    || (bits(w, 12, 5) == 0b01010 && !u))
                && (q || size != 3)
            {
                let a = halves(cx, rn, q);
                let zero = cx.imm(0);
                // CMGT x > 0, CMGE !(0 > x), CMLE !(x > 0), CMLT 0 > x.
                let (op, swap) = match (u, bits(w, 12, 5)) {
                    (false, 0b01000) => (CmpOp::Sgt, false),
                    (true, 0b01000) => (CmpOp::Sge, false),
                    (true, _) => (CmpOp::Sge, true),
                    (false, _) => (CmpOp::Sgt, true),
                };
                let r: Vec<Temp> =
                    a.iter()
                        .map(|&x| {
                            if swap {
                                compare(cx, zero, x, esize, op)
                            } else {
                                compare(cx, x, zero, esize, op)
                            }
                        })
                        .collect();
                store(cx, rd, &r);
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
        // AdvSIMD permute: ZIP1/ZIP2/UZP1/UZP2.
        0b01110 if !bit(w, 31) && !u && !bit(w, 21) && !bit(w, 15) && bits(w, 10, 2) == 0b10 => {
            permute(cx, w)
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
            if q && shift_imm_q(cx, u, opc, esize, (right, left), [rn, rd]) {
                return true;
            }
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
