//! The reference semantics of [`super::Op::Fp`] under [`super::FpRule::X86Sse`], and the
//! x86 SSE floating-point engine that the x86 frontend's remaining helpers (packed forms,
//! compares, conversions) share: NaN propagation, the default NaN, MXCSR rounding modes,
//! DAZ/FTZ and the exception flags, written out explicitly so that a host whose FPU has other
//! rules (AArch64) computes exactly what an x86 CPU does.
//!
//! The host computes each result in round-to-nearest (IEEE-correct on both hosts); the exact
//! error of that result (TwoSum for add/sub, fused multiply-add for mul/div/sqrt) tells
//! whether it was inexact and on which side the exact value lies, which gives the result in
//! the other rounding modes. Rules (Intel SDM vol. 1, 4.8.3 and 11.5):
//! - a NaN operand: the result is the first NaN operand (destination first) made quiet;
//!   a signalling NaN also raises invalid (IE);
//! - an invalid operation (inf-inf, 0*inf, 0/0, inf/inf, sqrt of a negative) raises IE and
//!   returns the default NaN (negative, quiet, zero payload);
//! - min/max return the second operand when either is NaN (IE even for quiet NaNs) or both
//!   are zero;
//! - denormal operands raise DE (or read as zero with DAZ); tiny results raise UE when
//!   inexact (tininess after rounding, to the format's precision with an unbounded
//!   exponent, so an exact value just below the smallest normal that rounds up to it can
//!   still be tiny), and with FTZ become zero with UE and PE; with UE unmasked (UM clear)
//!   tininess alone raises UE, exact or not (SDM vol. 1, 11.5.2.4), and the instruction
//!   traps. The hardware ignores FTZ when UM is clear; here FTZ still flushes, which only
//!   a handler of that trap could tell (the instruction writes nothing, but the MXCSR it
//!   sees has PE set for an exact tiny result): FTZ with UM clear is a contradictory
//!   setting, and honouring it exactly would cost every SSE op on the x86-64 host a test.

use super::fp_half::F16;
use super::{FpOp, FpPrec, FpResult};
use core::ops::{Add, Div, Mul, Neg, Sub};

/// MXCSR exception flag bits.
pub const IE: u32 = 1 << 0;
pub const DE: u32 = 1 << 1;
pub const ZE: u32 = 1 << 2;
pub const OE: u32 = 1 << 3;
pub const UE: u32 = 1 << 4;
pub const PE: u32 = 1 << 5;

/// Rounding modes (MXCSR.RC).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Round {
    Nearest,
    Down,
    Up,
    Zero,
}

/// The MXCSR controls an operation runs under, and the flags it raised.
#[derive(Clone, Copy, Debug)]
pub struct Env {
    pub round: Round,
    pub daz: bool,
    pub ftz: bool,
    /// MXCSR.UM: masked, a tiny result raises UE only when it is also inexact; unmasked,
    /// tininess alone raises UE (SDM vol. 1, 11.5.2.4), and the instruction traps. The A64
    /// rule, which has no underflow trap here, keeps it set.
    pub underflow_masked: bool,
    pub flags: u32,
}

impl Env {
    pub fn new(mxcsr: u32) -> Env {
        let round = match (mxcsr >> 13) & 3 {
            0 => Round::Nearest,
            1 => Round::Down,
            2 => Round::Up,
            _ => Round::Zero,
        };
        Env {
            round,
            daz: mxcsr & (1 << 6) != 0,
            ftz: mxcsr & (1 << 15) != 0,
            underflow_masked: mxcsr & (1 << 11) != 0,
            flags: 0,
        }
    }
    /// True if a raised flag is unmasked in `mxcsr` (the instruction then traps with #XM).
    pub fn unmasked(&self, mxcsr: u32) -> bool {
        self.flags & !(mxcsr >> 7) & 0x3f != 0
    }
}

/// What the float core needs of `f32` and `f64`.
pub trait Fp:
    Copy
    + PartialEq
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
{
    const BITS: u32;
    const MANT_BITS: u32;
    /// The default NaN: sign set, quiet, zero payload.
    const DEFAULT_NAN: u64;
    const ZERO: Self;
    fn to_u64(self) -> u64;
    fn from_u64(b: u64) -> Self;
    fn mul_add(self, a: Self, b: Self) -> Self;
    fn sqrt(self) -> Self;
    fn from_i64(v: i64) -> Self;
    /// Round to an integral value in the given mode.
    fn round_int(self, r: Round) -> Self;
    fn to_f64(self) -> f64;

    fn sign_bit() -> u64 {
        1 << (Self::BITS - 1)
    }
    fn exp_mask() -> u64 {
        ((1u64 << (Self::BITS - 1 - Self::MANT_BITS)) - 1) << Self::MANT_BITS
    }
    fn mant_mask() -> u64 {
        (1u64 << Self::MANT_BITS) - 1
    }
    fn quiet_bit() -> u64 {
        1 << (Self::MANT_BITS - 1)
    }
    fn is_nan(self) -> bool {
        let b = self.to_u64();
        b & Self::exp_mask() == Self::exp_mask() && b & Self::mant_mask() != 0
    }
    fn is_snan(self) -> bool {
        self.is_nan() && self.to_u64() & Self::quiet_bit() == 0
    }
    fn is_inf(self) -> bool {
        self.to_u64() & !Self::sign_bit() == Self::exp_mask()
    }
    fn is_zero(self) -> bool {
        self.to_u64() & !Self::sign_bit() == 0
    }
    fn is_denormal(self) -> bool {
        let b = self.to_u64();
        b & Self::exp_mask() == 0 && b & Self::mant_mask() != 0
    }
    fn is_neg(self) -> bool {
        self.to_u64() & Self::sign_bit() != 0
    }
    fn quiet(self) -> Self {
        Self::from_u64(self.to_u64() | Self::quiet_bit())
    }
    fn default_nan() -> Self {
        Self::from_u64(Self::DEFAULT_NAN)
    }
    fn max_finite(neg: bool) -> Self {
        let m = Self::exp_mask() - (1 << Self::MANT_BITS) + Self::mant_mask();
        Self::from_u64(m | if neg { Self::sign_bit() } else { 0 })
    }
    fn inf(neg: bool) -> Self {
        Self::from_u64(Self::exp_mask() | if neg { Self::sign_bit() } else { 0 })
    }
    fn signed_zero(neg: bool) -> Self {
        Self::from_u64(if neg { Self::sign_bit() } else { 0 })
    }
    /// True if |self| is below the smallest normal (zero included).
    fn is_tiny(self) -> bool {
        self.to_u64() & Self::exp_mask() == 0
    }
    /// The next representable value towards +inf (`up`) or -inf; finite inputs only.
    fn step(self, up: bool) -> Self {
        let b = self.to_u64();
        if self.is_zero() {
            return Self::from_u64(if up { 1 } else { Self::sign_bit() | 1 });
        }
        // Away from zero when the direction matches the sign.
        if up != self.is_neg() {
            Self::from_u64(b + 1)
        } else {
            Self::from_u64(b - 1)
        }
    }
}

impl Fp for f64 {
    const BITS: u32 = 64;
    const MANT_BITS: u32 = 52;
    const DEFAULT_NAN: u64 = 0xfff8_0000_0000_0000;
    const ZERO: f64 = 0.0;
    fn to_u64(self) -> u64 {
        self.to_bits()
    }
    fn from_u64(b: u64) -> f64 {
        f64::from_bits(b)
    }
    fn mul_add(self, a: f64, b: f64) -> f64 {
        f64::mul_add(self, a, b)
    }
    fn sqrt(self) -> f64 {
        f64::sqrt(self)
    }
    fn from_i64(v: i64) -> f64 {
        v as f64
    }
    fn round_int(self, r: Round) -> f64 {
        match r {
            Round::Nearest => self.round_ties_even(),
            Round::Down => self.floor(),
            Round::Up => self.ceil(),
            Round::Zero => self.trunc(),
        }
    }
    fn to_f64(self) -> f64 {
        self
    }
}

impl Fp for f32 {
    const BITS: u32 = 32;
    const MANT_BITS: u32 = 23;
    const DEFAULT_NAN: u64 = 0xffc0_0000;
    const ZERO: f32 = 0.0;
    fn to_u64(self) -> u64 {
        self.to_bits() as u64
    }
    fn from_u64(b: u64) -> f32 {
        f32::from_bits(b as u32)
    }
    fn mul_add(self, a: f32, b: f32) -> f32 {
        f32::mul_add(self, a, b)
    }
    fn sqrt(self) -> f32 {
        f32::sqrt(self)
    }
    fn from_i64(v: i64) -> f32 {
        v as f32
    }
    fn round_int(self, r: Round) -> f32 {
        match r {
            Round::Nearest => self.round_ties_even(),
            Round::Down => self.floor(),
            Round::Up => self.ceil(),
            Round::Zero => self.trunc(),
        }
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
}

/// Reads an operand: DAZ turns denormals into zeros, otherwise they raise DE (when `note_de`).
pub(super) fn operand<F: Fp>(x: F, env: &mut Env) -> F {
    if x.is_denormal() {
        if env.daz {
            return F::signed_zero(x.is_neg());
        }
        env.flags |= DE;
    }
    x
}

/// Applies the rounding mode, overflow, underflow and FTZ to a round-to-nearest result `r`
/// whose exact value is `r + err` (`err_sign`: -1, 0 or +1), for finite operands.
/// `exact`, when the caller knows the exact value, decides overflow and tininess (see
/// [`rounded_top`]); otherwise the rounded result does, which is right except next to the
/// largest finite and the smallest normal value, where sqrt and integer conversions never
/// land.
pub fn finish<F: Fp>(mut r: F, err_sign: i32, exact: Option<Exact>, env: &mut Env) -> F {
    let neg = r.is_neg();
    let bias = (F::exp_mask() >> F::MANT_BITS) as i32 / 2;
    let (tiny, overflow) = match exact {
        Some(x) if x.m != 0 => {
            let top = rounded_top::<F>(x, neg, env.round);
            (Some(top < 1 - bias), Some(top > bias))
        }
        Some(_) => (Some(false), Some(false)),
        None => (None, None),
    };
    if r.is_inf() && overflow == Some(false) {
        // Infinite in round-to-nearest, but the mode rounds it to the largest finite.
        env.flags |= PE;
        return F::max_finite(neg);
    }
    if r.is_inf() {
        // Overflow in round-to-nearest: the directed modes may stop at the largest finite.
        env.flags |= OE | PE;
        return match env.round {
            Round::Nearest => r,
            Round::Zero => F::max_finite(neg),
            Round::Down if !neg => F::max_finite(false),
            Round::Up if neg => F::max_finite(true),
            _ => r,
        };
    }
    if err_sign != 0 {
        env.flags |= PE;
        let adjust = match env.round {
            Round::Nearest => None,
            Round::Down => (err_sign < 0).then_some(false),
            Round::Up => (err_sign > 0).then_some(true),
            // Towards zero: step back when the exact value is nearer zero than r (a zero r
            // stays: the exact value lies between it and the first denormal).
            Round::Zero => (!r.is_zero() && (err_sign < 0) != neg).then_some(neg),
        };
        if let Some(up) = adjust {
            r = r.step(up);
            if r.is_inf() {
                env.flags |= OE;
            }
        }
        if tiny.unwrap_or(r.is_tiny()) {
            env.flags |= UE;
            if env.ftz {
                return F::signed_zero(r.is_neg() || (r.is_zero() && neg));
            }
        }
    } else if env.ftz && r.is_denormal() {
        env.flags |= UE | PE;
        return F::signed_zero(r.is_neg());
    } else if !env.underflow_masked && r.is_denormal() {
        // Exact and tiny: with UM clear, tininess alone is the underflow exception.
        env.flags |= UE;
    }
    r
}

/// An exact real value's magnitude: `m * 2^e`, plus less than one unit of `m` when `sticky`
/// (a sticky `m` has more bits than any format's precision).
#[derive(Clone, Copy, Debug)]
pub struct Exact {
    pub m: u128,
    pub e: i32,
    pub sticky: bool,
}

/// For a nonzero exact value of sign `neg`: the position of its top bit after rounding to
/// `F`'s precision in mode `round` with an unbounded exponent. IEEE 754 defines tininess
/// after rounding (which x86 uses) and overflow on that rounded value.
fn rounded_top<F: Fp>(x: Exact, neg: bool, round: Round) -> i32 {
    let precision = F::MANT_BITS as i32 + 1;
    let bits = 128 - x.m.leading_zeros() as i32;
    let (mut q, mut exp) = (x.m, x.e);
    if bits > precision {
        let drop = bits - precision;
        let rem = x.m & ((1u128 << drop) - 1);
        let half = 1u128 << (drop - 1);
        q = x.m >> drop;
        exp = x.e + drop;
        let inexact = rem != 0 || x.sticky;
        let up = match round {
            Round::Nearest => rem > half || (rem == half && (x.sticky || q & 1 == 1)),
            Round::Up => inexact && !neg,
            Round::Down => inexact && neg,
            Round::Zero => false,
        };
        if up {
            q += 1;
        }
    }
    127 - q.leading_zeros() as i32 + exp
}

/// The exact sum of two finite values given as (negative, magnitude).
fn exact_sum<F: Fp>(a: F, b: F) -> Exact {
    let ((ma, ea), (mb, eb)) = (decompose(a), decompose(b));
    let (na, nb) = (a.is_neg(), b.is_neg());
    // Order by exponent: `big` has the larger one.
    let ((mbig, ebig, nbig), (msmall, esmall, nsmall)) =
        if ea >= eb { ((ma, ea, na), (mb, eb, nb)) } else { ((mb, eb, nb), (ma, ea, na)) };
    let diff = ebig - esmall;
    if diff <= 70 {
        // Both fit at the smaller exponent (at most 54 + 70 bits).
        let big = (mbig << diff) as i128 * if nbig { -1 } else { 1 };
        let small = msmall as i128 * if nsmall { -1 } else { 1 };
        return Exact { m: (big + small).unsigned_abs(), e: esmall, sticky: false };
    }
    // The small one lies below every bit of `big << 70`: shift it down, keeping a sticky bit.
    let down = diff - 70;
    let (aligned, lost) =
        if down >= 128 { (0, msmall != 0) } else { (msmall >> down, msmall & ((1u128 << down) - 1) != 0) };
    let big = mbig << 70;
    let m = if nbig == nsmall { big + aligned } else { big - aligned - lost as u128 };
    Exact { m, e: ebig - 70, sticky: lost }
}

fn sign_of<F: Fp>(x: F) -> i32 {
    if x.is_zero() || x.is_nan() {
        0
    } else if x.is_neg() {
        -1
    } else {
        1
    }
}

/// `x` as `mantissa * 2^exponent` (finite values; the sign is dropped).
pub(super) fn decompose<F: Fp>(x: F) -> (u128, i32) {
    let b = x.to_u64();
    let bias = (F::exp_mask() >> F::MANT_BITS) as i32 / 2;
    let e = ((b & F::exp_mask()) >> F::MANT_BITS) as i32;
    let m = (b & F::mant_mask()) as u128;
    if e == 0 {
        (m, 1 - bias - F::MANT_BITS as i32)
    } else {
        (m | 1 << F::MANT_BITS, e - bias - F::MANT_BITS as i32)
    }
}

/// Compares `m1 * 2^e1` with `m2 * 2^e2` exactly.
pub(super) fn cmp_exact(m1: u128, e1: i32, m2: u128, e2: i32) -> core::cmp::Ordering {
    use core::cmp::Ordering::*;
    match (m1 == 0, m2 == 0) {
        (true, true) => return Equal,
        (true, false) => return Less,
        (false, true) => return Greater,
        _ => {}
    }
    let top1 = (128 - m1.leading_zeros()) as i32 + e1;
    let top2 = (128 - m2.leading_zeros()) as i32 + e2;
    if top1 != top2 {
        return top1.cmp(&top2);
    }
    // Same magnitude: the one with the larger exponent has the shorter mantissa, so it can be
    // shifted left to the other's exponent without overflow.
    if e1 >= e2 {
        (m1 << (e1 - e2)).cmp(&m2)
    } else {
        m1.cmp(&(m2 << (e2 - e1)))
    }
}

/// The sign of `exact - r` where `|exact|` compares to `|r|` as `ord` and `exact` is negative
/// if `neg`.
pub(super) fn err_sign(ord: core::cmp::Ordering, neg: bool) -> i32 {
    let s = match ord {
        core::cmp::Ordering::Greater => 1,
        core::cmp::Ordering::Less => -1,
        core::cmp::Ordering::Equal => 0,
    };
    if neg {
        -s
    } else {
        s
    }
}

/// `a op b` with x86 SSE semantics (`a` is the destination operand).
pub fn arith<F: Fp>(op: FpOp, a: F, b: F, env: &mut Env) -> F {
    if op == FpOp::Sqrt {
        return sqrt(b, env);
    }
    if matches!(op, FpOp::Min | FpOp::Max | FpOp::MinNum | FpOp::MaxNum) {
        // x86 has no minNum/maxNum: they are min/max (see `FpOp::MinNum`).
        return min_max(matches!(op, FpOp::Max | FpOp::MaxNum), a, b, env);
    }
    if a.is_nan() || b.is_nan() {
        if a.is_snan() || b.is_snan() {
            env.flags |= IE;
        }
        return if a.is_nan() { a.quiet() } else { b.quiet() };
    }
    // Denormal operands are noted, but a divide-by-zero takes precedence over them.
    let flags_before = env.flags;
    let a = operand(a, env);
    let b = operand(b, env);
    let invalid = match op {
        FpOp::Add => a.is_inf() && b.is_inf() && a.is_neg() != b.is_neg(),
        FpOp::Sub => a.is_inf() && b.is_inf() && a.is_neg() == b.is_neg(),
        FpOp::Mul => (a.is_inf() && b.is_zero()) || (a.is_zero() && b.is_inf()),
        _ => (a.is_zero() && b.is_zero()) || (a.is_inf() && b.is_inf()),
    };
    if invalid {
        env.flags |= IE;
        return F::default_nan();
    }
    if a.is_inf() || b.is_inf() {
        // Exact infinite (or zero, for x/inf) results.
        return match op {
            FpOp::Add => a + b,
            FpOp::Sub => a - b,
            FpOp::Mul => a * b,
            _ => a / b,
        };
    }
    let neg = a.is_neg() != b.is_neg();
    match op {
        FpOp::Add | FpOp::Sub => {
            let b = if op == FpOp::Sub { -b } else { b };
            let r = a + b;
            if r.is_inf() {
                return finish(r, 0, Some(exact_sum(a, b)), env);
            }
            // TwoSum: err = (a + b) - r exactly (exact even when the sum underflows). Its
            // intermediate sums overflow when both operands are near the largest finite:
            // then the halves (exact there) give the error's sign.
            let two_sum_err = |a: F, b: F, r: F| {
                let bb = r - a;
                (a - (r - bb)) + (b - bb)
            };
            let mut err = two_sum_err(a, b, r);
            if err.is_nan() || err.is_inf() {
                let two = F::from_i64(2);
                let (ha, hb) = (a / two, b / two);
                err = two_sum_err(ha, hb, ha + hb);
            }
            let r = if r.is_zero() && err.is_zero() {
                // An exact zero sum: -0 only if both are -0, or in round-down for opposite signs.
                let both_neg = a.is_neg() && b.is_neg();
                let both_pos = !a.is_neg() && !b.is_neg();
                F::signed_zero(both_neg || (!both_pos && env.round == Round::Down))
            } else {
                r
            };
            finish(r, sign_of(err), None, env)
        }
        FpOp::Mul => {
            let r = a * b;
            let ((ma, ea), (mb, eb)) = (decompose(a), decompose(b));
            let exact = Exact { m: ma * mb, e: ea + eb, sticky: false };
            if r.is_inf() {
                return finish(r, 0, Some(exact), env);
            }
            let (mr, er) = decompose(r);
            finish(r, err_sign(cmp_exact(ma * mb, ea + eb, mr, er), neg), Some(exact), env)
        }
        _ => {
            if b.is_zero() {
                env.flags = flags_before | ZE;
                return F::inf(neg);
            }
            let r = a / b;
            let ((ma, ea), (mb, eb)) = (decompose(a), decompose(b));
            // The quotient to at least 66 bits, and whether bits remain below them.
            let shift = ma.leading_zeros() as i32 - 8;
            let (q, rem) = ((ma << shift) / mb, (ma << shift) % mb);
            let exact = Exact { m: q, e: ea - shift - eb, sticky: rem != 0 };
            if r.is_inf() {
                return finish(r, 0, Some(exact), env);
            }
            // |a / b| vs |r|  <=>  |a| vs |r| * |b|.
            let (mr, er) = decompose(r);
            finish(r, err_sign(cmp_exact(ma, ea, mr * mb, er + eb), neg), Some(exact), env)
        }
    }
}

fn sqrt<F: Fp>(b: F, env: &mut Env) -> F {
    if b.is_nan() {
        if b.is_snan() {
            env.flags |= IE;
        }
        return b.quiet();
    }
    // Invalid (a negative operand) takes precedence over the denormal flag.
    let flags_before = env.flags;
    let b = operand(b, env);
    if b.is_zero() {
        return b;
    }
    if b.is_neg() {
        env.flags = flags_before | IE;
        return F::default_nan();
    }
    if b.is_inf() {
        return b;
    }
    let r = b.sqrt();
    // sqrt(b) vs r  <=>  b vs r * r.
    let ((mb, eb), (mr, er)) = (decompose(b), decompose(r));
    finish(r, err_sign(cmp_exact(mb, eb, mr * mr, 2 * er), false), None, env)
}

/// minps/maxps and their scalar forms: the second operand unless `a` is strictly
/// smaller/larger.
fn min_max<F: Fp>(max: bool, a: F, b: F, env: &mut Env) -> F {
    if a.is_nan() || b.is_nan() {
        env.flags |= IE;
        // The second operand is returned as read: a denormal one is zero under DAZ.
        return if env.daz && b.is_denormal() { F::signed_zero(b.is_neg()) } else { b };
    }
    let (x, y) = (operand(a, env), operand(b, env));
    let pick_a = if max { x > y } else { x < y };
    // DAZ reads denormals as zero for the comparison, but the result is the original operand
    // as flushed.
    if pick_a {
        x
    } else {
        y
    }
}

/// cmpps/cmpss predicates 0-7: EQ LT LE UNORD NEQ NLT NLE ORD. The ordered-less predicates
/// (LT LE NLT NLE) raise IE for quiet NaNs too, the others only for signalling NaNs.
pub fn compare<F: Fp>(pred: u8, a: F, b: F, env: &mut Env) -> bool {
    let unordered = a.is_nan() || b.is_nan();
    let signalling = matches!(pred & 7, 1 | 2 | 5 | 6);
    if unordered {
        if signalling || a.is_snan() || b.is_snan() {
            env.flags |= IE;
        }
    } else {
        operand(a, env);
        operand(b, env);
    }
    let (a, b) = (if env.daz { daz(a) } else { a }, if env.daz { daz(b) } else { b });
    match pred & 7 {
        0 => !unordered && a == b,
        1 => !unordered && a < b,
        2 => !unordered && a <= b,
        3 => unordered,
        4 => unordered || a != b,
        5 => unordered || a >= b,
        6 => unordered || a > b,
        _ => !unordered,
    }
}

fn daz<F: Fp>(x: F) -> F {
    if x.is_denormal() {
        F::signed_zero(x.is_neg())
    } else {
        x
    }
}

/// comiss/ucomiss and the sd forms: (ZF, PF, CF). Unordered gives all three set. `signal_qnan`
/// (comis*) raises IE for quiet NaNs too.
pub fn compare_flags<F: Fp>(a: F, b: F, signal_qnan: bool, env: &mut Env) -> (bool, bool, bool) {
    if a.is_nan() || b.is_nan() {
        if signal_qnan || a.is_snan() || b.is_snan() {
            env.flags |= IE;
        }
        return (true, true, true);
    }
    let a = operand(a, env);
    let b = operand(b, env);
    (a == b, false, a < b)
}

/// Float to signed integer of `bits` (32 or 64) in rounding mode `r` (truncation for the
/// cvtt* forms): NaN and out-of-range values give the "integer indefinite" (only the sign bit
/// set) and IE; inexact in-range results raise PE.
pub fn to_int<F: Fp>(x: F, bits: u32, r: Round, env: &mut Env) -> u64 {
    let indefinite = 1u64 << (bits - 1);
    if x.is_nan() {
        env.flags |= IE;
        return indefinite;
    }
    // Conversions to integers do not raise DE; DAZ still reads denormals as zero.
    let x = if env.daz { daz(x) } else { x };
    let i = x.round_int(r).to_f64();
    let limit = 2f64.powi(bits as i32 - 1);
    if !(i >= -limit && i < limit) {
        env.flags |= IE;
        return indefinite;
    }
    if i != x.to_f64() {
        env.flags |= PE;
    }
    let v = i as i64 as u64;
    if bits == 32 {
        v & 0xffff_ffff
    } else {
        v
    }
}

/// Signed integer to float in the current rounding mode.
pub fn from_int<F: Fp>(v: i64, env: &mut Env) -> F {
    let r = F::from_i64(v);
    // r is integral and at most 2^63 in magnitude, so it converts to i128 exactly.
    let back = r.to_f64() as i128;
    let err = (v as i128 - back).signum() as i32;
    let out = finish(r, err, None, env);
    // Integer conversions never underflow; `finish` only flags tiny results, which are zero.
    env.flags &= !UE;
    out
}

/// f64 -> f32 (cvtsd2ss, cvtpd2ps) in the current rounding mode.
pub fn narrow(x: f64, env: &mut Env) -> f32 {
    if x.is_nan() {
        if x.is_snan() {
            env.flags |= IE;
        }
        let b = x.to_bits();
        let payload = ((b >> 29) as u32 & 0x003f_ffff) | 0x7fc0_0000;
        return f32::from_bits(payload | if b >> 63 != 0 { 0x8000_0000 } else { 0 });
    }
    let x = operand(x, env);
    if x.is_inf() || x.is_zero() {
        return x as f32;
    }
    let r = x as f32;
    let (m, e) = decompose(x);
    if r.is_infinite() {
        return finish(r, 0, Some(Exact { m, e, sticky: false }), env);
    }
    let back = r as f64;
    let err = if x > back {
        1
    } else if x < back {
        -1
    } else {
        0
    };
    finish(r, err, Some(Exact { m, e, sticky: false }), env)
}

/// f32 -> f64 (cvtss2sd, cvtps2pd): exact; NaNs keep their payload, made quiet.
pub fn widen(x: f32, env: &mut Env) -> f64 {
    if x.is_nan() {
        if x.is_snan() {
            env.flags |= IE;
        }
        let b = x.to_bits() as u64;
        return f64::from_bits((b >> 31) << 63 | 0x7ff8_0000_0000_0000 | (b & 0x003f_ffff) << 29);
    }
    operand(x, env) as f64
}

/// The value or the flags of `a op b` under [`super::FpRule::X86Sse`] with MXCSR `ctrl`: the
/// interpreter's definition of [`super::Op::Fp`] for that rule.
pub fn eval_x86(op: FpOp, prec: FpPrec, result: FpResult, a: u64, b: u64, ctrl: u64) -> u64 {
    let both = eval_x86_both(op, prec, a, b, ctrl);
    match result {
        FpResult::Value => both.value,
        FpResult::Flags => both.flags,
    }
}

/// The value and the flags of one op together (what [`eval_x86`] selects from); `#[repr(C)]`
/// so that a call returns it in two registers (x0 and x1 on AArch64).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ValueFlags {
    pub value: u64,
    pub flags: u64,
}

/// `a op b` under [`super::FpRule::X86Sse`] with MXCSR `ctrl`: its value and its flags.
pub fn eval_x86_both(op: FpOp, prec: FpPrec, a: u64, b: u64, ctrl: u64) -> ValueFlags {
    let mut env = Env::new(ctrl as u32);
    let value = match prec {
        FpPrec::F64 => arith(op, f64::from_bits(a), f64::from_bits(b), &mut env).to_bits(),
        FpPrec::F32 => {
            arith(op, f32::from_bits(a as u32), f32::from_bits(b as u32), &mut env).to_bits() as u64
        }
        // Rejected by `ir::verify` (x86 has no halves); the engine is generic all the same.
        FpPrec::F16 => arith(op, F16(a as u16), F16(b as u16), &mut env).to_u64(),
    };
    ValueFlags { value, flags: env.flags as u64 }
}

/// [`eval_x86`] with the helper signature, for backends that lower [`super::Op::Fp`] by a
/// call: `sel` = [`encode_sel`] of the op; the state pointer is not read.
pub extern "C" fn eval_x86_call(_state: *mut u8, sel: u64, a: u64, b: u64, ctrl: u64) -> u64 {
    let (op, prec, result) = decode_sel(sel);
    eval_x86(op, prec, result, a, b, ctrl)
}

/// [`eval_x86_both`] with the helper arguments (`sel`'s result kind is ignored): one call for
/// an op whose value and flags are both wanted.
pub extern "C" fn eval_x86_both_call(_state: *mut u8, sel: u64, a: u64, b: u64, ctrl: u64) -> ValueFlags {
    let (op, prec, _) = decode_sel(sel);
    eval_x86_both(op, prec, a, b, ctrl)
}

/// The op, format and result kind [`encode_sel`] packed.
pub fn decode_sel(sel: u64) -> (FpOp, FpPrec, FpResult) {
    let op = FpOp::ALL[(sel & 0xff) as usize % FpOp::ALL.len()];
    let result = if sel >> 9 & 1 != 0 { FpResult::Flags } else { FpResult::Value };
    (op, decode_prec(sel), result)
}

/// The format [`encode_prec`] packed in bits 8 and 10 of a `sel`.
pub fn decode_prec(sel: u64) -> FpPrec {
    if sel >> 10 & 1 != 0 {
        FpPrec::F16
    } else if sel >> 8 & 1 != 0 {
        FpPrec::F64
    } else {
        FpPrec::F32
    }
}

/// A format as bits 8 (F64) and 10 (F16) of a `sel`.
pub fn encode_prec(prec: FpPrec) -> u64 {
    ((prec == FpPrec::F64) as u64) << 8 | ((prec == FpPrec::F16) as u64) << 10
}

/// The `sel` argument of [`eval_x86_call`] for an op.
pub fn encode_sel(op: FpOp, prec: FpPrec, result: FpResult) -> u64 {
    let index = FpOp::ALL.iter().position(|&o| o == op).unwrap_or(0) as u64;
    index | encode_prec(prec) | ((result == FpResult::Flags) as u64) << 9
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(round: Round) -> Env {
        Env { round, daz: false, ftz: false, underflow_masked: true, flags: 0 }
    }

    #[test]
    fn nan_rules() {
        let mut e = env(Round::Nearest);
        let snan = f64::from_bits(0x7ff0_0000_0000_0001);
        let qnan = f64::from_bits(0xfff8_0000_0000_0002);
        assert_eq!(arith(FpOp::Add, qnan, snan, &mut e).to_bits(), 0xfff8_0000_0000_0002);
        assert_eq!(e.flags, IE);
        let r = arith(FpOp::Sub, f64::INFINITY, f64::INFINITY, &mut env(Round::Nearest));
        assert_eq!(r.to_bits(), 0xfff8_0000_0000_0000);
        let mut e = env(Round::Nearest);
        assert_eq!(arith(FpOp::Max, 1.0f32, f32::NAN, &mut e).to_bits(), f32::NAN.to_bits());
        assert_eq!(arith(FpOp::Min, -0.0f32, 0.0, &mut e).to_bits(), 0);
    }

    #[test]
    fn directed_rounding() {
        let third = |r| arith(FpOp::Div, 1.0f64, 3.0, &mut env(r));
        assert!(third(Round::Down) < third(Round::Up));
        assert_eq!(third(Round::Zero), third(Round::Down));
        assert_eq!(third(Round::Nearest), 1.0 / 3.0);
        let mut e = env(Round::Zero);
        assert_eq!(arith(FpOp::Mul, f64::MAX, 2.0, &mut e), f64::MAX);
        assert_eq!(e.flags, OE | PE);
        assert_eq!(arith(FpOp::Add, 1.0f64, -1.0, &mut env(Round::Down)).to_bits(), 0x8000_0000_0000_0000);
        assert_eq!(to_int(2.5f64, 32, Round::Nearest, &mut env(Round::Nearest)), 2);
        assert_eq!(to_int(-2.5f64, 32, Round::Down, &mut env(Round::Nearest)), (-3i32) as u32 as u64);
        assert_eq!(to_int(3e9f64, 32, Round::Zero, &mut env(Round::Nearest)), 0x8000_0000);
    }
}
