//! ARM floating-point arithmetic for the A64 helpers, with ARM's rules rather than the
//! host's: a NaN operand propagates quieted (signalling NaNs first, then quiet ones, in
//! operand order), FPCR.DN selects the default NaN instead, an invalid operation produces
//! the *positive* default NaN (0x7ff8000000000000 / 0x7fc00000; x86 produces a negative one),
//! FMIN/FMAX order -0 below +0, FMINNM/FMAXNM prefer a number to a quiet NaN.
//!
//! Values travel as raw bits in `u64`s.
//!
//! The AdvSIMD arithmetic (FADD ... FMINNM, FSQRT: [`arith_flags`]) is the IR's A64 reference
//! ([`crate::ir::FpRule::A64`], as the scalar forms): FPCR RMode, FZ, FZ16, DN and the FPSR
//! flags; so is the fused multiply-add of FRECPS and FRSQRTS ([`muladd_flags`], over
//! [`crate::ir::fma`]). [`convert`] is FCVTXN's NaN rule only. The scalar FCVT between half,
//! single and double is [`super::fp_half`]'s; the
//! conversions between floating point and integers and FRINT*, scalar and AdvSIMD, are
//! [`exact`]'s, over [`crate::ir::fp_a64_cvt`], which models them all.

use super::A64State;
use crate::ir::fp_half::F16;
use crate::ir::{FpOp, FpPrec, FpRule};

/// FPCR.DN: NaN results are the default NaN.
pub const FPCR_DN: u32 = 1 << 25;

/// The scalar formats (ARM `ftype` 00 single, 01 double, 11 half).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Ty {
    S,
    D,
    /// Half precision (FEAT_FP16).
    H,
}

impl Ty {
    pub fn from_ftype(ftype: u32) -> Option<Ty> {
        match ftype {
            0 => Some(Ty::S),
            1 => Some(Ty::D),
            3 => Some(Ty::H),
            _ => None,
        }
    }
    /// The format in a helper's code: bit 0 double, bit 6 half (bits 1..5 are the
    /// conversions' rounding and flags).
    pub const fn code(self) -> u64 {
        match self {
            Ty::S => 0,
            Ty::D => 1,
            Ty::H => 0x40,
        }
    }
    pub const fn from_code(c: u64) -> Ty {
        if c & 0x40 != 0 {
            Ty::H
        } else if c & 1 == 0 {
            Ty::S
        } else {
            Ty::D
        }
    }
    pub const fn bits(self) -> u32 {
        match self {
            Ty::S => 32,
            Ty::D => 64,
            Ty::H => 16,
        }
    }
    pub const fn sign(self) -> u64 {
        1u64 << (self.bits() - 1)
    }
    const fn exp_mask(self) -> u64 {
        match self {
            Ty::S => 0x7f80_0000,
            Ty::D => 0x7ff0_0000_0000_0000,
            Ty::H => 0x7c00,
        }
    }
    const fn frac_mask(self) -> u64 {
        match self {
            Ty::S => 0x007f_ffff,
            Ty::D => 0x000f_ffff_ffff_ffff,
            Ty::H => 0x03ff,
        }
    }
    const fn quiet(self) -> u64 {
        match self {
            Ty::S => 0x0040_0000,
            Ty::D => 0x0008_0000_0000_0000,
            Ty::H => 0x0200,
        }
    }
    pub const fn default_nan(self) -> u64 {
        self.exp_mask() | self.quiet()
    }
    pub const fn is_nan(self, b: u64) -> bool {
        b & self.exp_mask() == self.exp_mask() && b & self.frac_mask() != 0
    }
    pub const fn is_snan(self, b: u64) -> bool {
        self.is_nan(b) && b & self.quiet() == 0
    }
}

/// ARM `FPProcessNaN`: the quieted NaN, or the default NaN under FPCR.DN.
pub(super) fn process_nan(ty: Ty, b: u64, fpcr: u32) -> u64 {
    if fpcr & FPCR_DN != 0 {
        ty.default_nan()
    } else {
        b | ty.quiet()
    }
}

/// Rounding directions of FRINT* and FCVT*.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Round {
    TiesEven,
    TiesAway,
    Up,
    Down,
    Zero,
}

impl Round {
    pub const fn code(self) -> u64 {
        self as u64
    }
    pub const fn from_code(c: u64) -> Round {
        match c & 7 {
            0 => Round::TiesEven,
            1 => Round::TiesAway,
            2 => Round::Up,
            3 => Round::Down,
            _ => Round::Zero,
        }
    }
    /// FPCR.RMode (bits 23:22): 00 nearest, 01 +inf, 10 -inf, 11 zero.
    pub const fn from_fpcr(fpcr: u32) -> Round {
        match (fpcr >> 22) & 3 {
            0 => Round::TiesEven,
            1 => Round::Up,
            2 => Round::Down,
            _ => Round::Zero,
        }
    }
}

/// Two-operand arithmetic (the FP data-processing 2-source opcodes).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Op2 {
    Mul = 0,
    Div = 1,
    Add = 2,
    Sub = 3,
    Max = 4,
    Min = 5,
    MaxNm = 6,
    MinNm = 7,
    NMul = 8,
}

impl Op2 {
    /// The IR operation (FNMUL is FMUL, negated by the caller).
    pub fn fp_op(self) -> FpOp {
        match self {
            Op2::Mul | Op2::NMul => FpOp::Mul,
            Op2::Div => FpOp::Div,
            Op2::Add => FpOp::Add,
            Op2::Sub => FpOp::Sub,
            Op2::Max => FpOp::Max,
            Op2::Min => FpOp::Min,
            Op2::MaxNm => FpOp::MaxNum,
            Op2::MinNm => FpOp::MinNum,
        }
    }
    pub fn from_opcode(o: u64) -> Option<Op2> {
        use Op2::*;
        Some(match o {
            0 => Mul,
            1 => Div,
            2 => Add,
            3 => Sub,
            4 => Max,
            5 => Min,
            6 => MaxNm,
            7 => MinNm,
            8 => NMul,
            _ => return None,
        })
    }
}

/// The next representable value above (`up`) or below `b` (infinities and NaNs map to
/// themselves where there is nothing further).
fn next_toward(ty: Ty, b: u64, up: bool) -> u64 {
    if ty.is_nan(b) {
        return b;
    }
    let neg = b & ty.sign() != 0;
    let mag = b & !ty.sign();
    if mag == 0 {
        // From a zero the next value is the smallest subnormal of that direction.
        return if up { 1 } else { ty.sign() | 1 };
    }
    if up != neg {
        // Moving away from zero.
        if mag == ty.exp_mask() {
            b
        } else {
            b + 1
        }
    } else {
        b - 1
    }
}

/// Applies a directed rounding `mode` to the round-to-nearest result `r`, given the sign
/// of (exact result - r).
fn adjust(ty: Ty, r: u64, err: f64, mode: Round) -> u64 {
    let pos = r & ty.sign() == 0;
    let down = match mode {
        Round::Up => return if err > 0.0 { next_toward(ty, r, true) } else { r },
        Round::Down => err < 0.0,
        Round::Zero => {
            if pos {
                err < 0.0
            } else {
                return if err > 0.0 { next_toward(ty, r, true) } else { r };
            }
        }
        _ => false,
    };
    if down {
        next_toward(ty, r, false)
    } else {
        r
    }
}

/// ARM `FPMulAdd(addend, op1, op2)` = addend + op1 * op2, fused, by the IR's A64 reference
/// ([`crate::ir::fma`]): FPCR RMode, FZ (FZ16 for halves) and DN; the value and the FPSR
/// flags. Operand negation (FRECPS, FRSQRTS) is done by the caller on the raw bits, before
/// NaN processing, as ARM does.
pub fn muladd_flags(ty: Ty, addend: u64, op1: u64, op2: u64, fpcr: u32) -> (u64, u32) {
    let prec = match ty {
        Ty::S => FpPrec::F32,
        Ty::D => FpPrec::F64,
        Ty::H => FpPrec::F16,
    };
    let neg = crate::ir::FmaNeg::default();
    let (v, flags) = crate::ir::fma::eval_both(prec, FpRule::A64, neg, op1, op2, addend, fpcr as u64);
    (v, flags as u32)
}

/// `op` (or, with `None`, the square root of `a`) of one lane and the FPSR flags it raises,
/// by the IR's A64 reference: FPCR RMode, FZ (FZ16 for halves) and DN, as the scalar forms.
/// The AdvSIMD helper's arithmetic.
pub fn arith_flags(ty: Ty, op: Option<Op2>, a: u64, b: u64, fpcr: u32) -> (u64, u32) {
    let fp = op.map_or(FpOp::Sqrt, Op2::fp_op);
    let prec = match ty {
        Ty::S => FpPrec::F32,
        Ty::D => FpPrec::F64,
        Ty::H => FpPrec::F16,
    };
    let (v, flags) = crate::ir::fp_a64::eval_a64_both(fp, prec, a, b, fpcr as u64);
    (if op == Some(Op2::NMul) { v ^ ty.sign() } else { v }, flags)
}

/// FCVT between single and double: NaNs keep sign and the top of the payload, quieted.
pub fn convert(from: Ty, to: Ty, a: u64, fpcr: u32) -> u64 {
    if from == to {
        return a;
    }
    if from.is_nan(a) {
        if fpcr & FPCR_DN != 0 {
            return to.default_nan();
        }
        let sign = a & from.sign() != 0;
        let frac = a & from.frac_mask();
        let frac = match (from, to) {
            (Ty::S, Ty::D) => frac << 29,
            _ => frac >> 29,
        };
        return (if sign { to.sign() } else { 0 }) | to.exp_mask() | to.quiet() | frac;
    }
    match (from, to) {
        (Ty::S, Ty::D) => (f32::from_bits(a as u32) as f64).to_bits(),
        _ => {
            let x = f64::from_bits(a);
            let r = x as f32;
            let mode = Round::from_fpcr(fpcr);
            if mode == Round::TiesEven {
                return r.to_bits() as u64;
            }
            let err = if r.is_infinite() && x.is_finite() { -(r as f64).signum() } else { x - r as f64 };
            adjust(Ty::S, r.to_bits() as u64, err, mode)
        }
    }
}

/// `FPUnpack`'s flush of a denormal compare operand: FZ for single and double (IDC), FZ16
/// for half precision (no IDC).
fn unpack_flush(ty: Ty, x: u64, fpcr: u32, flags: &mut u32) -> u64 {
    let fz = if ty == Ty::H { fpcr & (1 << 19) != 0 } else { fpcr & (1 << 24) != 0 };
    if fz && x & ty.exp_mask() == 0 && x & ty.frac_mask() != 0 {
        if ty != Ty::H {
            *flags |= 1 << 7;
        }
        x & ty.sign()
    } else {
        x
    }
}

/// FCMP/FCMPE (`signal_all`) under FPCR `fpcr`: the NZCV nibble (bits 3..0 = N Z C V) of
/// comparing `a` with `b`, and the FPSR flags raised (IOC for a signalling NaN, or with
/// `signal_all` any NaN; IDC for an operand flushed by FZ).
pub fn compare_fpcr(ty: Ty, a: u64, b: u64, fpcr: u32, signal_all: bool) -> (u64, u32) {
    let mut flags = 0;
    let (a, b) = (unpack_flush(ty, a, fpcr, &mut flags), unpack_flush(ty, b, fpcr, &mut flags));
    if (ty.is_nan(a) || ty.is_nan(b)) && (signal_all || ty.is_snan(a) || ty.is_snan(b)) {
        flags |= 1;
    }
    (compare(ty, a, b), flags)
}

/// The NZCV nibble (bits 3..0 = N Z C V) of comparing `a` with `b` as they are.
pub fn compare(ty: Ty, a: u64, b: u64) -> u64 {
    if ty.is_nan(a) || ty.is_nan(b) {
        return 0b0011;
    }
    let (x, y) = match ty {
        Ty::S => (f32::from_bits(a as u32) as f64, f32::from_bits(b as u32) as f64),
        Ty::D => (f64::from_bits(a), f64::from_bits(b)),
        Ty::H => (F16(a as u16).widen(), F16(b as u16).widen()),
    };
    if x == y {
        0b0110
    } else if x < y {
        0b1000
    } else {
        0b0010
    }
}

/// The conversions and roundings of [`crate::ir::fp_a64_cvt`] (FPCR modes, FZ, FZ16, DN; the
/// value and the FPSR flags raised), for the scalar helpers and the AdvSIMD lanes alike.
pub mod exact {
    use super::{Round, Ty};
    use crate::ir::fp_a64_cvt::{self as cvt, IntFormat, IntRound};
    use crate::ir::FpPrec;

    fn prec(ty: Ty) -> FpPrec {
        match ty {
            Ty::S => FpPrec::F32,
            Ty::D => FpPrec::F64,
            Ty::H => FpPrec::F16,
        }
    }

    fn int_round(r: Round) -> IntRound {
        match r {
            Round::TiesEven => IntRound::TiesEven,
            Round::TiesAway => IntRound::TiesAway,
            Round::Up => IntRound::Up,
            Round::Down => IntRound::Down,
            Round::Zero => IntRound::Zero,
        }
    }

    /// FCVT[NPMZA][SU]: `a` times 2^`fbits` rounded in `mode`, saturated to a 32- or 64-bit
    /// integer (zero-extended).
    pub fn to_int(
        ty: Ty,
        a: u64,
        mode: Round,
        signed: bool,
        bits64: bool,
        fbits: u32,
        fpcr: u32,
    ) -> (u64, u32) {
        cvt::to_int(prec(ty), a, IntFormat { signed, bits64 }, fbits, int_round(mode), fpcr)
    }

    /// [SU]CVTF: the 32- or 64-bit integer `v` times 2^-`fbits`, rounded in FPCR's mode.
    pub fn from_int(ty: Ty, v: u64, signed: bool, bits64: bool, fbits: u32, fpcr: u32) -> (u64, u32) {
        cvt::from_int(prec(ty), v, IntFormat { signed, bits64 }, fbits, fpcr)
    }

    /// FRINT* in `mode` (`None`: FPCR's, FRINTI and FRINTX); `exact` (FRINTX) raises IXC.
    pub fn round_int(ty: Ty, a: u64, mode: Option<Round>, exact: bool, fpcr: u32) -> (u64, u32) {
        let mode = mode.map_or(IntRound::from_fpcr(fpcr), int_round);
        cvt::round_int(prec(ty), a, mode, exact, fpcr)
    }
}

/// ARM `VFPExpandImm`: the 8-bit FMOV immediate as a single or double.
pub fn expand_imm(ty: Ty, imm8: u32) -> u64 {
    let sign = (imm8 >> 7) as u64 & 1;
    let b6 = (imm8 >> 6) as u64 & 1;
    let low = (imm8 & 0x3f) as u64;
    match ty {
        Ty::S => {
            let exp = ((b6 ^ 1) << 7) | (if b6 == 1 { 0x7c } else { 0 }) | (low >> 4);
            (sign << 31) | (exp << 23) | ((low & 0xf) << 19)
        }
        Ty::D => {
            let exp = ((b6 ^ 1) << 10) | (if b6 == 1 { 0x3fc } else { 0 }) | (low >> 4);
            (sign << 63) | (exp << 52) | ((low & 0xf) << 48)
        }
        Ty::H => {
            let exp = ((b6 ^ 1) << 4) | (if b6 == 1 { 0xc } else { 0 }) | (low >> 4);
            (sign << 15) | (exp << 10) | ((low & 0xf) << 6)
        }
    }
}

/// FPCR of the guest whose state `state` points to.
///
/// # Safety
/// `state` must point to a live [`A64State`].
pub unsafe fn fpcr_of(state: *mut u8) -> u32 {
    // SAFETY: per the contract.
    unsafe { (*(state as *const A64State)).fpcr }
}

/// ORs the FPSR flags `raised` into the FPSR of the guest whose state `state` points to
/// (helpers may write guest state: the backends flush and reload it around every call).
///
/// # Safety
/// `state` must point to a live [`A64State`] that nothing else accesses during the call.
pub unsafe fn raise_fpsr(state: *mut u8, raised: u32) {
    // SAFETY: per the contract.
    unsafe { (*(state as *mut A64State)).fpsr |= raised }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_rules() {
        let snan = 0x7ff0_0000_0000_0001u64;
        let qnan = 0xfff8_0000_0000_0002u64;
        let one = 1.0f64.to_bits();
        // A signalling NaN wins over an earlier quiet NaN, and comes out quieted.
        assert_eq!(arith_flags(Ty::D, Some(Op2::Add), qnan, snan, 0).0, 0x7ff8_0000_0000_0001);
        assert_eq!(arith_flags(Ty::D, Some(Op2::Add), one, qnan, 0).0, qnan);
        assert_eq!(arith_flags(Ty::D, Some(Op2::Add), one, qnan, FPCR_DN).0, Ty::D.default_nan());
        // inf - inf is the positive default NaN.
        let inf = f64::INFINITY.to_bits();
        assert_eq!(arith_flags(Ty::D, Some(Op2::Sub), inf, inf, 0).0, 0x7ff8_0000_0000_0000);
        assert_eq!(arith_flags(Ty::D, Some(Op2::MinNm), qnan, one, 0).0, one);
        assert_eq!(arith_flags(Ty::D, Some(Op2::Max), (-0.0f64).to_bits(), 0, 0).0, 0);
        assert_eq!(arith_flags(Ty::D, Some(Op2::Min), (-0.0f64).to_bits(), 0, 0).0, (-0.0f64).to_bits());
    }

    #[test]
    fn immediates_and_conversions() {
        assert_eq!(expand_imm(Ty::D, 0x70), 1.0f64.to_bits());
        assert_eq!(expand_imm(Ty::S, 0x00), 2.0f32.to_bits() as u64);
        assert_eq!(expand_imm(Ty::D, 0xf0), (-1.0f64).to_bits());
    }
}
