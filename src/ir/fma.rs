//! The reference semantics of [`super::Op::FpFma`]: `(±a * b) ± c` rounded once, under
//! both rules, and the helper that backends call for it.
//!
//! The exact value of `a * b + c` is formed from the operands' integer significands (the
//! product has at most 106 bits; both terms are shifted to a common scale, the smaller one
//! keeping a sticky bit when it lies entirely below the larger one's precision), so overflow,
//! tininess and inexactness are decided on it exactly; the round-to-nearest result comes from
//! the host's fused multiply-add (IEEE-correct on both hosts), and [`fp::finish`] applies the
//! rounding mode, overflow, underflow and FTZ as it does for the other operations.
//!
//! Where the rules differ:
//! - `X86Sse` (VFMADD/VFMSUB/VFNMADD/VFNMSUB under MXCSR, checked against this x86-64 host's
//!   FMA unit): a NaN operand gives the first NaN of `a`, `b`, `c` made quiet, with its sign
//!   as read (the negations apply to the product and the addend, never to a NaN operand);
//!   a signalling NaN raises IE. `inf * 0 + c` is invalid (IE, the default NaN `0xfff8..`)
//!   unless `c` is a NaN, which then propagates without IE. DAZ, DE, FTZ and tininess after
//!   rounding as for [`fp::arith`].
//! - `A64` (the Arm ARM's `FPMulAdd(addend, op1, op2)` with FPCR.AH = 0, `addend` = `c`,
//!   `op1` = `a`, `op2` = `b`): the negations are `FPNeg` of `a` and of `c` before anything
//!   looks at them (a NaN's sign flips); FZ flushes denormal operands (IDC); NaNs follow
//!   `FPProcessNaNs3` over (addend, op1, op2): the first signalling NaN, else the first quiet
//!   one, made quiet, or the default NaN with DN; but `inf * 0` plus a quiet NaN addend gives
//!   the default NaN with IOC. Tininess before rounding; under FZ a tiny result is a zero of
//!   its sign with UFC only.
//!
//! In both, an exactly zero result of nonzero terms is +0 (-0 rounding down), and `±0 * x ±
//! 0` keeps the zeros' sign when they agree.

use super::fp::{self, cmp_exact, decompose, err_sign, finish, Env, Exact, Fp, Round};
#[cfg(test)]
use super::fp_a64::IDC;
use super::fp_a64::{self, FPCR_DN, FPCR_FZ, IOC, IXC, OFC, UFC};
use super::fp_half::F16;
use super::{FpPrec, FpResult, FpRule, HelperFn};

/// What an [`super::Op::FpFma`] negates: the product (`-(a * b)`), the addend (`-c`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct FmaNeg {
    pub product: bool,
    pub addend: bool,
}

impl FmaNeg {
    /// Every combination, for tests that cover them all.
    pub const ALL: [FmaNeg; 4] = [
        FmaNeg { product: false, addend: false },
        FmaNeg { product: true, addend: false },
        FmaNeg { product: false, addend: true },
        FmaNeg { product: true, addend: true },
    ];
}

fn negate<F: Fp>(x: F, neg: bool) -> F {
    if neg {
        F::from_u64(x.to_u64() ^ F::sign_bit())
    } else {
        x
    }
}

/// A finite nonzero term `m * 2^e` scaled so that `m`'s top bit is bit 123.
fn scaled(m: u128, e: i32) -> (u128, i32) {
    let shift = m.leading_zeros() as i32 - 4;
    (m << shift, e - shift)
}

/// The exact value of `a * b + c` (finite operands) as its sign and magnitude, or `None` if it
/// is zero.
fn exact_fma<F: Fp>(a: F, b: F, c: F) -> Option<(bool, Exact)> {
    let ((ma, ea), (mb, eb), (mc, ec)) = (decompose(a), decompose(b), decompose(c));
    let (mp, pneg, cneg) = (ma * mb, a.is_neg() != b.is_neg(), c.is_neg());
    if mp == 0 && mc == 0 {
        return None;
    }
    if mp == 0 {
        return Some((cneg, Exact { m: mc, e: ec, sticky: false }));
    }
    if mc == 0 {
        return Some((pneg, Exact { m: mp, e: ea + eb, sticky: false }));
    }
    let (p, c) = (scaled(mp, ea + eb), scaled(mc, ec));
    // `big` has the larger exponent, which at the same scale is the larger magnitude.
    let ((mbig, ebig, nbig), (msmall, esmall, nsmall)) =
        if p.1 >= c.1 { ((p.0, p.1, pneg), (c.0, c.1, cneg)) } else { ((c.0, c.1, cneg), (p.0, p.1, pneg)) };
    let diff = ebig - esmall;
    if diff <= 2 {
        // Both exactly at the smaller exponent: below 2^126 + 2^124.
        let big = (mbig << diff) as i128;
        let small = msmall as i128;
        let sum = if nbig == nsmall { big + small } else { big - small };
        if sum == 0 {
            return None;
        }
        let neg = if sum < 0 { !nbig } else { nbig };
        return Some((neg, Exact { m: sum.unsigned_abs(), e: esmall, sticky: false }));
    }
    // The small term lies below `big`'s top three bits: it shifts down with a sticky bit, and
    // the difference keeps more than 120 bits.
    let (aligned, lost) =
        if diff >= 128 { (0, true) } else { (msmall >> diff, msmall & ((1u128 << diff) - 1) != 0) };
    let m = if nbig == nsmall { mbig + aligned } else { mbig - aligned - lost as u128 };
    Some((nbig, Exact { m, e: ebig, sticky: lost }))
}

/// `a * b + c` for finite operands (already negated and flushed as the rule says), rounded in
/// `env`: the value, with the flags in `env`. Also the exact value's sign and magnitude.
fn fused_finite<F: Fp>(a: F, b: F, c: F, env: &mut Env) -> (F, Option<(bool, Exact)>) {
    let Some((neg, x)) = exact_fma(a, b, c) else {
        // An exact zero: the zeros' common sign, else +0 (-0 rounding down).
        let pneg = a.is_neg() != b.is_neg();
        let both_zero = (a.is_zero() || b.is_zero()) && c.is_zero();
        let neg = if both_zero && pneg == c.is_neg() { pneg } else { env.round == Round::Down };
        return (F::signed_zero(neg), None);
    };
    // Round to nearest on the host (its sign is the exact value's, also when it is zero).
    let r = a.mul_add(b, c);
    if r.is_inf() {
        return (finish(r, 0, Some(x), env), Some((neg, x)));
    }
    let (mr, er) = decompose(r);
    let mut ord = cmp_exact(x.m, x.e, mr, er);
    if ord == core::cmp::Ordering::Equal && x.sticky {
        ord = core::cmp::Ordering::Greater;
    }
    (finish(r, err_sign(ord, neg), Some(x), env), Some((neg, x)))
}

/// `(±a * b) ± c` with x86 SSE/AVX semantics (VFMADD... with `a`, `b`, `c` in the order
/// the instruction form gives them NaN priority).
pub fn fma_x86<F: Fp>(a: F, b: F, c: F, neg: FmaNeg, env: &mut Env) -> F {
    if let Some(nan) = [a, b, c].into_iter().find(|x| x.is_nan()) {
        if a.is_snan() || b.is_snan() || c.is_snan() {
            env.flags |= fp::IE;
        }
        return nan.quiet();
    }
    // Denormal operands are noted, but an invalid operation takes precedence over them.
    let flags_before = env.flags;
    let (a, b, c) = (fp::operand(a, env), fp::operand(b, env), fp::operand(c, env));
    let (a, c) = (negate(a, neg.product), negate(c, neg.addend));
    let invalid_product = (a.is_inf() && b.is_zero()) || (a.is_zero() && b.is_inf());
    let (p_inf, pneg) = (a.is_inf() || b.is_inf(), a.is_neg() != b.is_neg());
    if invalid_product || (p_inf && c.is_inf() && pneg != c.is_neg()) {
        env.flags = flags_before | fp::IE;
        return F::default_nan();
    }
    if p_inf {
        return F::inf(pneg);
    }
    if c.is_inf() {
        return c;
    }
    fused_finite(a, b, c, env).0
}

/// `FPMulAdd(c, ±a, b)` with `c` negated as `neg` says, under FPCR `fpcr`: the value and the
/// FPSR flags.
pub fn fma_a64<F: Fp>(a: F, b: F, c: F, neg: FmaNeg, fpcr: u32) -> (F, u32) {
    let (fz, dn) = (fpcr & FPCR_FZ != 0, fpcr & FPCR_DN != 0);
    let mut flags = 0;
    let (a, c) = (negate(a, neg.product), negate(c, neg.addend));
    let (c, a, b) = (
        fp_a64::unpack(c, fz, &mut flags),
        fp_a64::unpack(a, fz, &mut flags),
        fp_a64::unpack(b, fz, &mut flags),
    );
    let invalid_product = (a.is_inf() && b.is_zero()) || (a.is_zero() && b.is_inf());
    if c.is_nan() && !c.is_snan() && invalid_product {
        return (fp_a64::default_nan(), flags | IOC);
    }
    let nan = [c, a, b].into_iter().find(|x| x.is_snan()).or([c, a, b].into_iter().find(|x| x.is_nan()));
    if let Some(nan) = nan {
        if nan.is_snan() {
            flags |= IOC;
        }
        return (if dn { fp_a64::default_nan() } else { nan.quiet() }, flags);
    }
    let (p_inf, pneg) = (a.is_inf() || b.is_inf(), a.is_neg() != b.is_neg());
    if invalid_product || (p_inf && c.is_inf() && pneg != c.is_neg()) {
        return (fp_a64::default_nan(), flags | IOC);
    }
    if p_inf {
        return (F::inf(pneg), flags);
    }
    if c.is_inf() {
        return (c, flags);
    }
    let mut env =
        Env { round: fp_a64::rounding(fpcr), daz: false, ftz: false, underflow_masked: true, flags: 0 };
    let (r, exact) = fused_finite(a, b, c, &mut env);
    // Tininess before rounding: the exact value's top bit below the smallest normal's.
    let bias = (F::exp_mask() >> F::MANT_BITS) as i32 / 2;
    let tiny = exact.is_some_and(|(_, x)| 127 - x.m.leading_zeros() as i32 + x.e < 1 - bias);
    if tiny && fz {
        return (F::signed_zero(exact.is_some_and(|(neg, _)| neg)), flags | UFC);
    }
    for (x, a) in [(fp::OE, OFC), (fp::PE, IXC)] {
        if env.flags & x != 0 {
            flags |= a;
        }
    }
    if tiny && flags & IXC != 0 {
        flags |= UFC;
    }
    (r, flags)
}

/// The value or the flags of an [`super::Op::FpFma`]: the interpreter's definition.
#[allow(clippy::too_many_arguments)]
pub fn eval(
    prec: FpPrec,
    rule: FpRule,
    result: FpResult,
    neg: FmaNeg,
    a: u64,
    b: u64,
    c: u64,
    ctrl: u64,
) -> u64 {
    let (value, flags) = eval_both(prec, rule, neg, a, b, c, ctrl);
    match result {
        FpResult::Value => value,
        FpResult::Flags => flags,
    }
}

/// The value and the flags of an [`super::Op::FpFma`] from one evaluation (what [`eval`]
/// returns one of).
pub fn eval_both(prec: FpPrec, rule: FpRule, neg: FmaNeg, a: u64, b: u64, c: u64, ctrl: u64) -> (u64, u64) {
    fn run<F: Fp>(rule: FpRule, neg: FmaNeg, a: F, b: F, c: F, ctrl: u64) -> (u64, u64) {
        match rule {
            FpRule::X86Sse => {
                let mut env = Env::new(ctrl as u32);
                let r = fma_x86(a, b, c, neg, &mut env);
                (r.to_u64(), env.flags as u64)
            }
            FpRule::A64 => {
                let (r, flags) = fma_a64(a, b, c, neg, ctrl as u32);
                (r.to_u64(), flags as u64)
            }
        }
    }
    match prec {
        FpPrec::F64 => run(rule, neg, f64::from_bits(a), f64::from_bits(b), f64::from_bits(c), ctrl),
        FpPrec::F32 => {
            let f = |x: u64| f32::from_bits(x as u32);
            run(rule, neg, f(a), f(b), f(c), ctrl)
        }
        FpPrec::F16 => {
            let f = |x: u64| F16(x as u16);
            // A64 only (`ir::verify`): FZ16 in place of FZ, no IDC for flushed halves.
            let (v, flags) = run(rule, neg, f(a), f(b), f(c), fp_a64::half_fpcr(ctrl as u32) as u64);
            (v, fp_a64::half_flags(flags as u32) as u64)
        }
    }
}

/// The index of an op's variant among [`reference`]'s helpers.
fn variant(prec: FpPrec, rule: FpRule, result: FpResult, neg: FmaNeg) -> usize {
    (prec == FpPrec::F64) as usize
        | ((prec == FpPrec::F16) as usize) << 5
        | ((rule == FpRule::A64) as usize) << 1
        | ((result == FpResult::Flags) as usize) << 2
        | (neg.product as usize) << 3
        | (neg.addend as usize) << 4
}

/// [`eval`] with the helper signature for variant `V` (see [`variant`]); the state pointer is
/// not read.
extern "C" fn eval_call<const V: usize>(_state: *mut u8, a: u64, b: u64, c: u64, ctrl: u64) -> u64 {
    let prec = match (V & 1 != 0, V & 32 != 0) {
        (_, true) => FpPrec::F16,
        (true, false) => FpPrec::F64,
        _ => FpPrec::F32,
    };
    let rule = if V & 2 != 0 { FpRule::A64 } else { FpRule::X86Sse };
    let result = if V & 4 != 0 { FpResult::Flags } else { FpResult::Value };
    eval(prec, rule, result, FmaNeg { product: V & 8 != 0, addend: V & 16 != 0 }, a, b, c, ctrl)
}

macro_rules! variants {
    ($($v:literal)*) => { [$(eval_call::<$v> as HelperFn),*] };
}

const CALLS: [HelperFn; 64] = variants!(
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
    32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63
);

/// The exact reference of an [`super::Op::FpFma`] as a helper for backends' slow paths:
/// `f(state, a, b, c, ctrl)` gives the op's value or flags (one function per variant, so the
/// four operands fit the helper signature).
pub fn reference(prec: FpPrec, rule: FpRule, result: FpResult, neg: FmaNeg) -> HelperFn {
    CALLS[variant(prec, rule, result, neg)]
}

#[cfg(test)]
mod tests;
