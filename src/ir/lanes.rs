//! Integer vector lane operations on a 64-bit value ([`super::Op::Lanes`]): one half of a
//! 128-bit vector register, as both guests' integer SIMD needs it. [`eval`] is the exact
//! definition (the interpreter's, and the reference the backend conformance suite checks
//! both backends against).
//!
//! Every op reads two 64-bit values `a` and `b` and writes one. Most act on each `lane`-bit
//! lane independently; the data movements (zip, unzip, narrowing) read the lanes of `a` and
//! `b` and write a rearrangement of them that fits in one 64-bit result, so a 128-bit guest
//! operation is two ops over halves (see each op for which halves).

use super::Width;

/// Lane-wise integer operations ([`super::Op::Lanes`]); [`LaneOp::has_lane`] lists the lane
/// widths each exists for.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum LaneOp {
    /// Wrapping add and subtract.
    Add,
    Sub,
    /// Saturating add and subtract, unsigned (clamped to `0 ..= MAX`) and signed
    /// (`MIN ..= MAX` of the lane width).
    AddSatU,
    AddSatS,
    SubSatU,
    SubSatS,
    /// All-ones where `a == b`, `a > b` signed, `a > b` unsigned; zero elsewhere.
    CmpEq,
    CmpGtS,
    CmpGtU,
    /// Minimum and maximum, signed and unsigned.
    MinS,
    MinU,
    MaxS,
    MaxU,
    /// Rounding average, unsigned: `(a + b + 1) >> 1` without overflow (x86 pavg, A64 URHADD).
    AvgU,
    /// Low half of the product (signedness does not matter); high half of the signed and of
    /// the unsigned product.
    MulLo,
    MulHiS,
    MulHiU,
    /// Every lane of `a` shifted by the same count: all 64 bits of `b`, unsigned. A count of
    /// the lane width or more gives 0 (`Shl`, `Lshr`) or copies of the sign bit (`Ashr`), as
    /// x86's shifts by an xmm count define it; A64's shifts by immediate are counts below or
    /// equal to the lane width.
    Shl,
    Lshr,
    Ashr,
    /// Interleave: the lanes of the low 32 bits of `a` and `b` alternately, `a0 b0 a1 b1 ..`
    /// (`ZipLo`), or those of their high 32 bits (`ZipHi`). x86 punpckl is
    /// `(ZipLo(a.lo, b.lo), ZipHi(a.lo, b.lo))`, punpckh the same over the high halves; A64
    /// ZIP1/ZIP2 likewise.
    ZipLo,
    ZipHi,
    /// Unzip: the even-numbered (`UzpEven`) or odd-numbered lanes of the 128-bit value with
    /// `a` below `b` (A64 UZP1/UZP2 of 64-bit vectors). `UzpEven` is also the truncating
    /// narrowing of that value into `lane`-bit lanes (A64 XTN).
    UzpEven,
    UzpOdd,
    /// Narrowing of the 128-bit value with `a` below `b`, read as lanes of twice the width,
    /// into `lane`-bit lanes with saturation: signed to signed (x86 packss, A64 SQXTN),
    /// signed to unsigned (x86 packus, A64 SQXTUN), unsigned to unsigned (A64 UQXTN).
    NarrowSatS,
    NarrowSatSU,
    NarrowSatU,
}

impl LaneOp {
    /// Every operation, for tests that cover them all.
    pub const ALL: [LaneOp; 27] = [
        LaneOp::Add,
        LaneOp::Sub,
        LaneOp::AddSatU,
        LaneOp::AddSatS,
        LaneOp::SubSatU,
        LaneOp::SubSatS,
        LaneOp::CmpEq,
        LaneOp::CmpGtS,
        LaneOp::CmpGtU,
        LaneOp::MinS,
        LaneOp::MinU,
        LaneOp::MaxS,
        LaneOp::MaxU,
        LaneOp::AvgU,
        LaneOp::MulLo,
        LaneOp::MulHiS,
        LaneOp::MulHiU,
        LaneOp::Shl,
        LaneOp::Lshr,
        LaneOp::Ashr,
        LaneOp::ZipLo,
        LaneOp::ZipHi,
        LaneOp::UzpEven,
        LaneOp::UzpOdd,
        LaneOp::NarrowSatS,
        LaneOp::NarrowSatSU,
        LaneOp::NarrowSatU,
    ];

    /// The lane widths `op` exists for: what both guests use and both backends lower to a
    /// few host instructions (64-bit lanes of lane-wise arithmetic are [`super::BinOp`]).
    pub fn lanes(self) -> &'static [Width] {
        use Width::*;
        match self {
            LaneOp::Add
            | LaneOp::Sub
            | LaneOp::CmpEq
            | LaneOp::CmpGtS
            | LaneOp::CmpGtU
            | LaneOp::MinS
            | LaneOp::MinU
            | LaneOp::MaxS
            | LaneOp::MaxU
            | LaneOp::ZipLo
            | LaneOp::ZipHi
            | LaneOp::UzpEven
            | LaneOp::UzpOdd => &[W8, W16, W32],
            LaneOp::AddSatU
            | LaneOp::AddSatS
            | LaneOp::SubSatU
            | LaneOp::SubSatS
            | LaneOp::AvgU
            | LaneOp::NarrowSatS => &[W8, W16],
            LaneOp::MulLo => &[W16, W32],
            LaneOp::MulHiS | LaneOp::MulHiU => &[W16],
            LaneOp::Shl | LaneOp::Lshr | LaneOp::Ashr => &[W8, W16, W32, W64],
            LaneOp::NarrowSatSU | LaneOp::NarrowSatU => &[W8],
        }
    }

    /// Whether the op exists for lanes of `lane` bits.
    pub fn has_lane(self, lane: Width) -> bool {
        self.lanes().contains(&lane)
    }
}

fn sext(v: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((v << shift) as i64) >> shift
}

fn lane_of(v: u128, bits: u32, i: u32) -> u64 {
    (v >> (i * bits)) as u64 & (u64::MAX >> (64 - bits))
}

/// The value of `a op b` over `lane`-bit lanes (see [`LaneOp`]).
pub fn eval(op: LaneOp, lane: Width, a: u64, b: u64) -> u64 {
    let bits = lane.bits();
    let m = lane.mask();
    let n = 64 / bits;
    let wide = a as u128 | (b as u128) << 64;
    let build = |f: &dyn Fn(u32) -> u64| (0..n).fold(0u64, |acc, i| acc | (f(i) & m) << (i * bits));
    let (max_u, max_s, min_s) = (m as i128, (m >> 1) as i128, -((m >> 1) as i128) - 1);
    match op {
        LaneOp::ZipLo | LaneOp::ZipHi => {
            let base = if op == LaneOp::ZipHi { n / 2 } else { 0 };
            build(&|i| lane_of(if i % 2 == 0 { a } else { b } as u128, bits, base + i / 2))
        }
        LaneOp::UzpEven => build(&|i| lane_of(wide, bits, 2 * i)),
        LaneOp::UzpOdd => build(&|i| lane_of(wide, bits, 2 * i + 1)),
        LaneOp::NarrowSatS | LaneOp::NarrowSatSU | LaneOp::NarrowSatU => build(&|i| {
            let x = lane_of(wide, 2 * bits, i);
            let s = sext(x, 2 * bits) as i128;
            match op {
                LaneOp::NarrowSatS => s.clamp(min_s, max_s) as u64,
                LaneOp::NarrowSatSU => s.clamp(0, max_u) as u64,
                LaneOp::NarrowSatU => (x as i128).min(max_u) as u64,
                _ => unreachable!(),
            }
        }),
        LaneOp::Shl | LaneOp::Lshr | LaneOp::Ashr => build(&|i| {
            let x = lane_of(a as u128, bits, i);
            match op {
                LaneOp::Shl if b < bits as u64 => x << b,
                LaneOp::Lshr if b < bits as u64 => x >> b,
                LaneOp::Ashr => (sext(x, bits) >> b.min(bits as u64 - 1)) as u64,
                _ => 0,
            }
        }),
        _ => build(&|i| {
            let (x, y) = (lane_of(a as u128, bits, i), lane_of(b as u128, bits, i));
            let (sx, sy) = (sext(x, bits) as i128, sext(y, bits) as i128);
            let (ux, uy) = (x as i128, y as i128);
            let all = |c: bool| if c { u64::MAX } else { 0 };
            match op {
                LaneOp::Add => x.wrapping_add(y),
                LaneOp::Sub => x.wrapping_sub(y),
                LaneOp::AddSatU => (ux + uy).min(max_u) as u64,
                LaneOp::SubSatU => (ux - uy).max(0) as u64,
                LaneOp::AddSatS => (sx + sy).clamp(min_s, max_s) as u64,
                LaneOp::SubSatS => (sx - sy).clamp(min_s, max_s) as u64,
                LaneOp::CmpEq => all(x == y),
                LaneOp::CmpGtS => all(sx > sy),
                LaneOp::CmpGtU => all(x > y),
                LaneOp::MinS => sx.min(sy) as u64,
                LaneOp::MinU => x.min(y),
                LaneOp::MaxS => sx.max(sy) as u64,
                LaneOp::MaxU => x.max(y),
                LaneOp::AvgU => ((ux + uy + 1) >> 1) as u64,
                LaneOp::MulLo => x.wrapping_mul(y),
                LaneOp::MulHiS => ((sx * sy) >> bits) as u64,
                LaneOp::MulHiU => ((ux * uy) >> bits) as u64,
                _ => unreachable!("{op:?} is not lane-wise"),
            }
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lane_wise_ops_on_edge_lanes() {
        let (a, b) = (0x0000_7f80_0001_ff80, 0x0000_0100_0002_0180);
        assert_eq!(eval(LaneOp::Add, Width::W8, a, b), 0x0000_8080_0003_0000);
        assert_eq!(eval(LaneOp::AddSatS, Width::W8, a, b), 0x0000_7f80_0003_0080);
        assert_eq!(eval(LaneOp::AddSatU, Width::W8, a, b), 0x0000_8080_0003_ffff);
        assert_eq!(eval(LaneOp::CmpEq, Width::W8, a, b), 0xffff_0000_ff00_00ff);
        assert_eq!(eval(LaneOp::CmpGtS, Width::W16, 0x8000_0001, 0x7fff_0000), 0x0000_ffff);
        assert_eq!(eval(LaneOp::CmpGtU, Width::W16, 0x8000_0001, 0x7fff_0000), 0xffff_ffff);
        assert_eq!(
            eval(LaneOp::MinS, Width::W32, 0x8000_0000_0000_0005, 0x7fff_ffff_0000_0003),
            0x8000_0000_0000_0003
        );
        assert_eq!(eval(LaneOp::MaxU, Width::W8, 0x80, 0x7f), 0x80);
        assert_eq!(eval(LaneOp::AvgU, Width::W8, 0xff, 0xfe), 0xff);
        assert_eq!(eval(LaneOp::MulHiS, Width::W16, 0x8000, 0x8000), 0x4000);
        assert_eq!(eval(LaneOp::MulHiU, Width::W16, 0xffff, 0xffff), 0xfffe);
        assert_eq!(eval(LaneOp::MulLo, Width::W32, 0x1_0000_0003, 0x2_ffff_ffff), 0x2_ffff_fffd);
    }

    #[test]
    fn shift_counts_at_and_past_the_lane_width() {
        assert_eq!(eval(LaneOp::Shl, Width::W16, 0x0001_8001, 15), 0x8000_8000);
        assert_eq!(eval(LaneOp::Shl, Width::W16, 0x0001_8001, 16), 0);
        assert_eq!(eval(LaneOp::Lshr, Width::W8, 0x80ff, 7), 0x0101);
        assert_eq!(eval(LaneOp::Ashr, Width::W8, 0x7f80, 1 << 40), 0x00ff);
        assert_eq!(eval(LaneOp::Ashr, Width::W64, 1 << 63, 64), u64::MAX);
        assert_eq!(eval(LaneOp::Lshr, Width::W64, u64::MAX, 64), 0);
    }

    #[test]
    fn data_movements() {
        let (a, b) = (0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908);
        assert_eq!(eval(LaneOp::ZipLo, Width::W8, a, b), 0x0b03_0a02_0901_0800);
        assert_eq!(eval(LaneOp::ZipHi, Width::W8, a, b), 0x0f07_0e06_0d05_0c04);
        assert_eq!(eval(LaneOp::ZipHi, Width::W32, a, b), 0x0f0e_0d0c_0706_0504);
        assert_eq!(eval(LaneOp::UzpEven, Width::W8, a, b), 0x0e0c_0a08_0604_0200);
        assert_eq!(eval(LaneOp::UzpOdd, Width::W16, a, b), 0x0f0e_0b0a_0706_0302);
        assert_eq!(eval(LaneOp::UzpEven, Width::W16, a, b), 0x0d0c_0908_0504_0100);
        // Words -32768, -129, 128, -1 (then 256, 255, 128, -1): each saturation's edges.
        assert_eq!(eval(LaneOp::NarrowSatS, Width::W8, 0xffff_0080_ff7f_8000, 0), 0xff7f_8080);
        assert_eq!(eval(LaneOp::NarrowSatSU, Width::W8, 0xffff_0080_00ff_0100, 0), 0x0080_ffff);
        assert_eq!(eval(LaneOp::NarrowSatU, Width::W8, 0xffff_0080_00ff_0100, 0), 0xff80_ffff);
    }
}
