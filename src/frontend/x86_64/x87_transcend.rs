//! x87 transcendentals and partial remainders (FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1,
//! FYL2X, FYL2XP1, FXTRACT, FPREM, FPREM1) as helpers over the x87 state of
//! [`super::x87_helpers`].
//!
//! Each function is evaluated in 256-bit binary floating point (`astro_float`) from the exact
//! 80-bit operands and rounded once to 64 significand bits in the rounding mode of the control
//! word (precision control does not apply: SDM vol. 1, 8.1.5.2 lists the instructions it
//! affects, and these are not among them). C1 reports a rounding away from zero.
//!
//! FSIN, FCOS, FSINCOS and FPTAN reduce their argument modulo pi/2 as the hardware does, with
//! a 66-bit approximation of pi (SDM vol. 1, 8.3.8 "Approximation of Pi"): the reduced
//! argument is `x - k * pi66/2`, exact, and the result is the sine or cosine of it in the
//! quadrant `k`, so results near multiples of pi follow the hardware rather than true pi.
//! Operands with |x| >= 2^63 are out of range: C2 = 1, the operand is left unchanged.
//!
//! FPREM/FPREM1 reduce as SDM vol. 2 describes: with an exponent difference D < 64 the
//! remainder is complete (C2 = 0; C0, C3, C1 = quotient bits 2, 1, 0); otherwise a partial
//! remainder by `st(1) * 2^(D - N)` (C2 = 1), with the implementation-dependent N as AMD
//! documents it, `32 + (D - 64) mod 32` (a guest loops until C2 = 0; the final remainder does
//! not depend on N).

use super::x87_helpers::{fpu, propagate_nan, Fpu, C0, C1, C2, C3, DE, INDEFINITE};
use astro_float::{BigFloat, Consts, RoundingMode as Rm, Sign, Word};
use rustc_apfloat::ieee::X87DoubleExtended as F80;
use rustc_apfloat::{Float, Round, Status, StatusAnd};
use std::cell::RefCell;

/// The operations of [`x87_transcend`].
pub mod tr {
    pub const SIN: u64 = 0;
    pub const COS: u64 = 1;
    pub const SINCOS: u64 = 2;
    pub const PTAN: u64 = 3;
    pub const PATAN: u64 = 4;
    pub const F2XM1: u64 = 5;
    pub const YL2X: u64 = 6;
    pub const YL2XP1: u64 = 7;
    pub const XTRACT: u64 = 8;
    pub const PREM: u64 = 9;
    pub const PREM1: u64 = 10;
}

/// Working precision in bits.
const P: usize = 256;
const RM: Rm = Rm::ToEven;
/// Divide-by-zero exception flag.
const ZE: u16 = 1 << 2;
/// 1.0 as an 80-bit value.
const ONE: u128 = 0x3fff_8000_0000_0000_0000;

thread_local! {
    static CONSTS: RefCell<Option<Consts>> = const { RefCell::new(None) };
}

/// Runs `f` with the constant cache (pi, ln 2) of this thread.
fn with_consts<T>(f: impl FnOnce(&mut Consts) -> T) -> Option<T> {
    CONSTS.with(|c| {
        let mut c = c.borrow_mut();
        if c.is_none() {
            *c = Consts::new().ok();
        }
        c.as_mut().map(f)
    })
}

/// A finite 80-bit value as a big float (exact).
fn big(v: F80) -> BigFloat {
    let bits = v.to_bits();
    let mant = bits as u64;
    if mant == 0 {
        return BigFloat::from_u64(0, P);
    }
    let exp_field = (bits >> 64) as i32 & 0x7fff;
    // value = mant * 2^(t - 63); a big float's value is 0.m * 2^e.
    let t = if exp_field == 0 { -16382 } else { exp_field - 16383 };
    let shift = mant.leading_zeros() as i32;
    let sign = if v.is_negative() { Sign::Neg } else { Sign::Pos };
    BigFloat::from_words(&[mant << shift], sign, t + 1 - shift)
}

fn int(n: i64) -> BigFloat {
    BigFloat::from_i64(n, P)
}

/// Where the true value lies when the computed one has no bits beyond the 64 kept: a
/// transcendental value is not exactly representable, but its next term may be below the
/// working precision (sin x = x - x^3/6 for a denormal x).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tail {
    /// The computed value is the true one.
    Exact,
    /// Just below in magnitude.
    Below,
    /// Just above in magnitude.
    Above,
    /// Reported inexact (the hardware's approximation), the value unchanged.
    Flagged,
}

/// A big float rounded once to an 80-bit value in `round`; also whether the magnitude was
/// rounded up (C1). The status has INEXACT, UNDERFLOW (tiny and inexact) and OVERFLOW.
fn to_f80(b: &BigFloat, round: Round, tail: Tail) -> (StatusAnd<F80>, bool) {
    let Some((words, _, sign, e, _)) = b.as_raw_parts() else {
        return (Status::INVALID_OP.and(F80::from_bits(INDEFINITE)), false);
    };
    let neg = sign == Sign::Neg;
    let sign_bit = (neg as u128) << 79;
    let n = words.len();
    let word = |i: usize| -> u64 {
        if i < n {
            words[n - 1 - i]
        } else {
            0
        }
    };
    if words.iter().all(|&w| w == 0) {
        return (Status::OK.and(F80::from_bits(sign_bit)), false);
    }
    // Normalise (the top word's top bit set), counting the shift into the exponent.
    let mut all: Vec<u64> = (0..n.max(2)).map(word).collect();
    let mut e = e as i64;
    while all[0] >> 63 == 0 {
        let mut carry = 0u64;
        for w in all.iter_mut().rev() {
            let next = *w >> 63;
            *w = *w << 1 | carry;
            carry = next;
        }
        e -= 1;
    }
    // value = 0.1xxx * 2^e = 1.xxx * 2^(e-1): biased exponent e - 1 + 16383.
    let mut biased = e - 1 + 16383;
    let hi = (all[0] as u128) << 64 | all[1] as u128;
    let lower_sticky = all[2..].iter().any(|&w| w != 0);
    // Significand bits kept: 64, fewer for a denormal result.
    let drop = 64 + if biased <= 0 { (1 - biased).min(65) as u32 } else { 0 };
    let (mut mant, rest) = if drop >= 128 { (0u128, hi) } else { (hi >> drop, hi & ((1u128 << drop) - 1)) };
    let half = if drop >= 128 { 1u128 << 127 } else { 1u128 << (drop - 1) };
    let (mut guard, mut sticky) = if drop > 128 {
        (false, rest != 0 || lower_sticky)
    } else {
        (rest & half != 0, rest & (half - 1) != 0 || lower_sticky)
    };
    if !guard && !sticky {
        match tail {
            Tail::Above => sticky = true,
            Tail::Below if mant != 0 => {
                // Just below mant: mant - 1 and a remainder of all ones.
                mant -= 1;
                (guard, sticky) = (true, true);
                if biased > 0 && mant >> 63 == 0 {
                    mant = mant << 1 | 1;
                    biased -= 1;
                }
            }
            _ => {}
        }
    }
    let rounds = guard || sticky;
    let inexact = rounds || tail == Tail::Flagged;
    let tiny = biased <= 0;
    if biased <= 0 {
        biased = 0;
    }
    let up = match round {
        Round::NearestTiesToEven | Round::NearestTiesToAway => guard && (sticky || mant & 1 != 0),
        Round::TowardPositive => rounds && !neg,
        Round::TowardNegative => rounds && neg,
        Round::TowardZero => false,
    };
    if up {
        mant += 1;
        if mant >> 64 != 0 {
            mant >>= 1;
            biased += 1;
        } else if biased == 0 && mant >> 63 != 0 {
            biased = 1;
        }
    }
    let mut status = if inexact { Status::INEXACT } else { Status::OK };
    if tiny && inexact {
        status |= Status::UNDERFLOW;
    }
    if biased >= 0x7fff {
        let to_inf = match round {
            Round::NearestTiesToEven | Round::NearestTiesToAway => true,
            Round::TowardPositive => !neg,
            Round::TowardNegative => neg,
            Round::TowardZero => false,
        };
        let bits = if to_inf { 0x7fffu128 << 64 | 1 << 63 } else { 0x7ffeu128 << 64 | u64::MAX as u128 };
        return ((Status::OVERFLOW | Status::INEXACT).and(F80::from_bits(sign_bit | bits)), to_inf);
    }
    (status.and(F80::from_bits(sign_bit | (biased as u128) << 64 | mant)), up)
}

/// pi66/2 and pi66/4: pi rounded to 66 bits (the x87's approximation), halved and quartered.
fn pi66_parts() -> (BigFloat, BigFloat) {
    // pi = 0xc90fdaa22168c234_c4c6... * 2^-62: its 66 leading bits, then scaled.
    let m: u128 = (0xc90f_daa2_2168_c234u128 << 2) | 3;
    let words = [(m << 62) as Word, (m >> 2) as Word];
    let mut half = BigFloat::from_words(&words, Sign::Pos, 1);
    let mut quarter = half.clone();
    half.set_exponent(1);
    quarter.set_exponent(0);
    (half, quarter)
}

/// The integer part of a non-negative big float below 2^64.
fn trunc_u64(q: &BigFloat) -> u64 {
    let Some((words, _, _, e, _)) = q.as_raw_parts() else { return 0 };
    if e <= 0 || words.is_empty() {
        return 0;
    }
    let top = words[words.len() - 1];
    if e >= 64 {
        top
    } else {
        top >> (64 - e)
    }
}

/// |x| reduced modulo pi66/2: (r, k) with |x| = r + k * pi66/2 exactly, |r| <= pi66/4.
fn reduce(x: &BigFloat) -> (BigFloat, u64) {
    let (half, quarter) = pi66_parts();
    let ax = x.abs();
    let mut k = trunc_u64(&ax.div(&half, P, Rm::ToZero));
    let mut r = ax.sub(&BigFloat::from_u64(k, P).mul(&half, P, RM), P, RM);
    // The division may be off by one in the last place: correct k so that r is in range.
    while r.is_negative() {
        k -= 1;
        r = r.add(&half, P, RM);
    }
    if r.cmp(&quarter).is_some_and(|c| c > 0) {
        k += 1;
        r = r.sub(&half, P, RM);
    }
    (r, k)
}

/// sin and cos of x (|x| < 2^63), with the 66-bit-pi reduction; also the quadrant.
fn sin_cos(x: &BigFloat, cc: &mut Consts) -> (BigFloat, BigFloat, u64) {
    let (r, k) = reduce(x);
    let (s, c) = (r.sin(P, RM, cc), r.cos(P, RM, cc));
    let (mut sin, cos) = match k % 4 {
        0 => (s, c),
        1 => (c, s.neg()),
        2 => (s.neg(), c.neg()),
        _ => (c.neg(), s),
    };
    if x.is_negative() {
        sin = sin.neg();
    }
    (sin, cos, k)
}

/// 2^x - 1 (without cancellation for small x).
fn exp2m1(x: &BigFloat, cc: &mut Consts) -> BigFloat {
    let t = x.mul(&cc.ln_2(P, RM), P, RM);
    if t.exponent().is_some_and(|e| e < -40) {
        // t + t^2/2! + ... + t^6/6!: the next term is below 2^-240 of t.
        let (mut sum, mut term) = (t.clone(), t.clone());
        for n in 2..=6 {
            term = term.mul(&t, P, RM).div(&int(n), P, RM);
            sum = sum.add(&term, P, RM);
        }
        return sum;
    }
    t.exp(P, RM, cc).sub(&int(1), P, RM)
}

/// log2(1 + x) (without cancellation for small x).
fn log2_1p(x: &BigFloat, cc: &mut Consts) -> BigFloat {
    if x.exponent().is_some_and(|e| e < -40) {
        // ln(1 + x) = x - x^2/2 + x^3/3 - ...: the term after x^6/6 is below 2^-240 of x.
        let (mut sum, mut pow) = (x.clone(), x.clone());
        for n in 2..=6 {
            pow = pow.mul(x, P, RM);
            let term = pow.div(&int(n), P, RM);
            sum = if n % 2 == 0 { sum.sub(&term, P, RM) } else { sum.add(&term, P, RM) };
        }
        return sum.div(&cc.ln_2(P, RM), P, RM);
    }
    // 1 + x is exact at this precision (x has 64 bits and an exponent of -40 or more).
    x.add(&int(1), P, RM).log2(P, RM, cc)
}

/// log2(x) for finite x > 0; exact for powers of two.
fn log2(v: F80, cc: &mut Consts) -> BigFloat {
    if v.to_bits() as u64 == 1 << 63 {
        return int(v.ilogb() as i64);
    }
    big(v).log2(P, RM, cc)
}

fn indefinite() -> StatusAnd<F80> {
    Status::INVALID_OP.and(F80::from_bits(INDEFINITE))
}

/// A NaN operand quieted (invalid if it was signalling).
fn nan1(v: F80) -> StatusAnd<F80> {
    propagate_nan(v, v).unwrap_or(Status::OK.and(v))
}

/// The result of a computation, rounded, with C1.
fn rounded(b: Option<BigFloat>, round: Round, tail: Tail) -> (StatusAnd<F80>, bool) {
    match b {
        Some(b) => to_f80(&b, round, tail),
        None => (indefinite(), false),
    }
}

/// pi * num / den, signed, rounded.
fn pi_times(num: i64, den: i64, neg: bool, round: Round) -> (StatusAnd<F80>, bool) {
    rounded(
        with_consts(|cc| {
            let v = cc.pi(P, RM).mul(&int(num), P, RM).div(&int(den), P, RM);
            if neg {
                v.neg()
            } else {
                v
            }
        }),
        round,
        Tail::Exact,
    )
}

fn exact(v: F80) -> (StatusAnd<F80>, bool) {
    (Status::OK.and(v), false)
}

fn signed_zero(neg: bool) -> F80 {
    F80::from_bits((neg as u128) << 79)
}

fn signed_inf(neg: bool) -> F80 {
    F80::from_bits((neg as u128) << 79 | 0x7fffu128 << 64 | 1 << 63)
}

/// atan2(y, x) with IEEE 754's special cases.
fn atan2(y: F80, x: F80, round: Round) -> (StatusAnd<F80>, bool) {
    if let Some(nan) = propagate_nan(x, y) {
        return (nan, false);
    }
    let (yn, xn) = (y.is_negative(), x.is_negative());
    if y.is_zero() {
        return if xn { pi_times(1, 1, yn, round) } else { exact(signed_zero(yn)) };
    }
    if y.is_infinite() {
        return match (x.is_infinite(), xn) {
            (true, false) => pi_times(1, 4, yn, round),
            (true, true) => pi_times(3, 4, yn, round),
            _ => pi_times(1, 2, yn, round),
        };
    }
    if x.is_zero() {
        return pi_times(1, 2, yn, round);
    }
    if x.is_infinite() {
        return if xn { pi_times(1, 1, yn, round) } else { exact(signed_zero(yn)) };
    }
    rounded(
        with_consts(|cc| {
            let a = big(y.abs()).div(&big(x.abs()), P, RM).atan(P, RM, cc);
            let a = if xn { cc.pi(P, RM).sub(&a, P, RM) } else { a };
            if yn {
                a.neg()
            } else {
                a
            }
        }),
        round,
        // atan t < t: only a tiny t (x > 0) has no bits beyond the working precision.
        if xn { Tail::Exact } else { Tail::Below },
    )
}

/// y * log2(x) (FYL2X) with the x87's special cases.
fn yl2x(y: F80, x: F80, round: Round) -> (StatusAnd<F80>, bool, bool) {
    if let Some(nan) = propagate_nan(x, y) {
        return (nan, false, false);
    }
    let one = F80::from_bits(ONE);
    if x.is_negative() && !x.is_zero() {
        return (indefinite(), false, false);
    }
    if x.is_zero() {
        // log2(0) = -inf: 0 * -inf is invalid, a finite y divides by zero.
        return match (y.is_zero(), y.is_infinite()) {
            (true, _) => (indefinite(), false, false),
            (_, true) => (Status::OK.and(signed_inf(!y.is_negative())), false, false),
            _ => (Status::OK.and(signed_inf(!y.is_negative())), false, true),
        };
    }
    if x.is_infinite() {
        return if y.is_zero() {
            (indefinite(), false, false)
        } else {
            (Status::OK.and(signed_inf(y.is_negative())), false, false)
        };
    }
    if y.is_infinite() {
        return match x.partial_cmp(&one) {
            Some(std::cmp::Ordering::Equal) => (indefinite(), false, false),
            Some(std::cmp::Ordering::Less) => (Status::OK.and(signed_inf(!y.is_negative())), false, false),
            _ => (Status::OK.and(signed_inf(y.is_negative())), false, false),
        };
    }
    if y.is_zero() || x.bitwise_eq(one) {
        let below_one = x.partial_cmp(&one) == Some(std::cmp::Ordering::Less);
        return (Status::OK.and(signed_zero(y.is_negative() != below_one)), false, false);
    }
    // An exact product (x a power of two) is still reported inexact, as the hardware does.
    let (r, up) = rounded(with_consts(|cc| big(y).mul(&log2(x, cc), P, RM)), round, Tail::Flagged);
    (r, up, false)
}

/// y * log2(x + 1) (FYL2XP1).
fn yl2xp1(y: F80, x: F80, round: Round) -> (StatusAnd<F80>, bool) {
    if let Some(nan) = propagate_nan(x, y) {
        return (nan, false);
    }
    if x.is_infinite() || (x.is_zero() && y.is_infinite()) {
        return (indefinite(), false);
    }
    if y.is_infinite() {
        return exact(signed_inf(y.is_negative() != x.is_negative()));
    }
    if x.is_zero() || y.is_zero() {
        return exact(signed_zero(y.is_negative() != x.is_negative()));
    }
    rounded(with_consts(|cc| big(y).mul(&log2_1p(&big(x), cc), P, RM)), round, Tail::Flagged)
}

/// Sets C1 to `up` and C2 to `c2`.
fn set_c1_c2(f: &mut Fpu, up: bool, c2: bool) {
    f.set_c1(up);
    f.0.fpu_sw = (f.0.fpu_sw & !C2) | if c2 { C2 } else { 0 };
}

/// The denormal-operand flag, for an operation that did not end invalid or dividing by zero
/// (the hardware reports those alone).
fn flag_denormal(f: &mut Fpu, vs: &[F80], status: Status) {
    let other = status.intersects(Status::INVALID_OP | Status::DIV_BY_ZERO) || vs.iter().any(|v| v.is_nan());
    if !other && vs.iter().any(|v| v.is_denormal()) {
        f.0.fpu_sw |= DE;
    }
}

/// 2^63: the bound of FSIN/FCOS/FSINCOS/FPTAN operands.
fn out_of_range(v: F80) -> bool {
    v.is_finite() && v.ilogb() >= 63
}

/// FSIN, FCOS, FSINCOS, FPTAN.
fn trig(f: &mut Fpu, what: u64) {
    let round = f.round();
    let x = f.get(0);
    flag_denormal(f, &[x], Status::OK);
    if out_of_range(x) {
        set_c1_c2(f, false, true);
        return;
    }
    let (first, second): (StatusAnd<F80>, Option<StatusAnd<F80>>) = if x.is_nan() {
        let q = nan1(x);
        (q, (what == tr::SINCOS || what == tr::PTAN).then_some(Status::OK.and(q.value)))
    } else if x.is_infinite() {
        let two = what == tr::SINCOS || what == tr::PTAN;
        (indefinite(), two.then_some(Status::OK.and(F80::from_bits(INDEFINITE))))
    } else if x.is_zero() {
        match what {
            tr::COS => (Status::OK.and(F80::from_bits(ONE)), None),
            tr::SINCOS => (Status::OK.and(x), Some(Status::OK.and(F80::from_bits(ONE)))),
            tr::PTAN => (Status::OK.and(x), Some(Status::OK.and(F80::from_bits(ONE)))),
            _ => (Status::OK.and(x), None),
        }
    } else {
        let (s, c, k) = match with_consts(|cc| sin_cos(&big(x), cc)) {
            Some((s, c, k)) => (Some(s), Some(c), k),
            None => (None, None, 0),
        };
        // |sin r| < |r| and cos r < 1: below in magnitude whichever of them each result is.
        let (sr, s_up) = rounded(s.clone(), round, Tail::Below);
        let (cr, c_up) = rounded(c.clone(), round, Tail::Below);
        match what {
            tr::SIN => {
                f.set(0, sr);
                set_c1_c2(f, s_up, false);
                return;
            }
            tr::COS => {
                f.set(0, cr);
                set_c1_c2(f, c_up, false);
                return;
            }
            tr::SINCOS => {
                f.set(0, sr);
                f.push(cr);
                // C1 reports the sine's rounding (as measured on hardware).
                let _ = c_up;
                set_c1_c2(f, s_up, false);
                return;
            }
            _ => {
                let t = s.zip(c).map(|(s, c)| s.div(&c, P, RM));
                // |tan r| > |r| (tan for even k); |1/tan r| < 1/|r| (odd k).
                let tail = if k % 2 == 0 { Tail::Above } else { Tail::Below };
                let (tr_, t_up) = rounded(t, round, tail);
                f.set(0, tr_);
                f.push(Status::OK.and(F80::from_bits(ONE)));
                set_c1_c2(f, t_up, false);
                return;
            }
        }
    };
    f.set(0, first);
    if let Some(s) = second {
        f.push(s);
    }
    set_c1_c2(f, false, false);
}

/// FXTRACT: st(0) = the unbiased exponent, then pushes the significand (sign kept, exponent
/// 0).
fn xtract(f: &mut Fpu) {
    let v = f.get(0);
    flag_denormal(f, &[v], Status::OK);
    let (exp, sig) = if v.is_nan() {
        let q = nan1(v);
        (q, Status::OK.and(q.value))
    } else if v.is_infinite() {
        (Status::OK.and(signed_inf(false)), Status::OK.and(v))
    } else if v.is_zero() {
        f.0.fpu_sw |= ZE;
        (Status::OK.and(signed_inf(true)), Status::OK.and(v))
    } else {
        let e = v.ilogb();
        let exp = F80::from_i128(e as i128).value;
        let sig = v.scalbn(-e);
        (Status::OK.and(exp), Status::OK.and(sig))
    };
    f.set(0, exp);
    f.push(sig);
    f.set_c1(false);
}

/// FPREM/FPREM1.
fn prem(f: &mut Fpu, what: u64) {
    let a = f.get(0);
    let b = f.get(1);
    let invalid = a.is_infinite() || b.is_zero() || a.is_signaling() || b.is_signaling();
    flag_denormal(f, &[a, b], if invalid { Status::INVALID_OP } else { Status::OK });
    let nearest = what == tr::PREM1;
    let rem = |a: F80, b: F80| if nearest { a.ieee_rem(b) } else { a.c_fmod(b) };
    let finite_case = a.is_finite() && !b.is_zero() && !b.is_nan() && !a.is_zero() && b.is_finite();
    let d = if finite_case { a.ilogb() - b.ilogb() } else { 0 };
    if finite_case && d >= 64 {
        // Partial: reduce by b * 2^(d - n), the quotient truncated.
        let n = 32 + (d - 64) % 32;
        let r = a.c_fmod(b.scalbn(d - n));
        f.set(0, r);
        f.0.fpu_sw = (f.0.fpu_sw & !(C3 | C2 | C1 | C0)) | C2;
        return;
    }
    let r = match propagate_nan(a, b) {
        Some(nan) => nan,
        None => {
            let mut r = rem(a, b);
            if r.value.is_nan() {
                // Infinite dividend or zero divisor: the real indefinite.
                r.value = F80::from_bits(INDEFINITE);
            }
            r
        }
    };
    if r.value.is_nan() {
        // No quotient: C2 cleared, C0 C3 C1 left as they were (as measured on hardware).
        f.set(0, r);
        f.0.fpu_sw &= !C2;
        return;
    }
    // The low three bits of the quotient's magnitude: with a = 8b*t + r8 (r8 the truncated
    // remainder by 8b) and a = q*b + r, q mod 8 = (r8 - r) / b.
    let q = if !finite_case {
        0
    } else {
        let (aa, ab) = (a.abs(), b.abs());
        let eight = F80::from_bits(0x4002_8000_0000_0000_0000);
        let r8 = aa.c_fmod((ab * eight).value).value;
        let r_abs = rem(aa, ab).value;
        let k = ((r8 - r_abs).value / ab).value;
        let mut exact = false;
        let k = k
            .round_to_integral(Round::NearestTiesToEven)
            .value
            .to_i128_r(8, Round::TowardZero, &mut exact)
            .value;
        k.rem_euclid(8) as u16
    };
    f.set(0, r);
    let cc = (if q & 4 != 0 { C0 } else { 0 })
        | (if q & 2 != 0 { C3 } else { 0 })
        | (if q & 1 != 0 { C1 } else { 0 });
    f.0.fpu_sw = (f.0.fpu_sw & !(C3 | C2 | C1 | C0)) | cc;
}

/// The x87 transcendentals and partial remainders (see [`tr`]) on st(0) (and st(1)).
/// Returns the status word.
pub extern "C" fn x87_transcend(state: *mut u8, what: u64, _: u64, _: u64, _: u64) -> u64 {
    let mut f = fpu(state);
    let round = f.round();
    match what {
        tr::SIN | tr::COS | tr::SINCOS | tr::PTAN => trig(&mut f, what),
        tr::XTRACT => xtract(&mut f),
        tr::PREM | tr::PREM1 => prem(&mut f, what),
        tr::F2XM1 => {
            let x = f.get(0);
            flag_denormal(&mut f, &[x], Status::OK);
            let (r, up) = if x.is_nan() {
                (nan1(x), false)
            } else if x.is_zero() {
                exact(x)
            } else if x.is_infinite() {
                // 2^inf - 1 = inf, 2^-inf - 1 = -1 (outside the defined range of -1..1).
                exact(if x.is_negative() { -F80::from_bits(ONE) } else { x })
            } else if x.bitwise_eq(-F80::from_bits(ONE)) {
                // -0.5, reported inexact (as measured on hardware).
                (Status::INEXACT.and(-F80::from_bits(0x3ffe_8000_0000_0000_0000)), false)
            } else {
                // 2^x - 1 is above x ln 2 for x > 0 and below it in magnitude for x < 0; 2^1 - 1
                // comes out as just below 1 (as measured on hardware).
                if x.bitwise_eq(F80::from_bits(ONE)) {
                    to_f80(&int(1), round, Tail::Below)
                } else {
                    let tail = if x.is_negative() { Tail::Below } else { Tail::Above };
                    rounded(with_consts(|cc| exp2m1(&big(x), cc)), round, tail)
                }
            };
            f.set(0, r);
            f.set_c1(up);
        }
        _ => {
            // Two operands: x in st(0), y in st(1); the result replaces st(1), then a pop.
            let x = f.get(0);
            let y = f.get(1);
            let (r, up) = match what {
                tr::PATAN => atan2(y, x, round),
                tr::YL2X => {
                    let (mut r, up, zero_divide) = yl2x(y, x, round);
                    if zero_divide {
                        r.status |= Status::DIV_BY_ZERO;
                    }
                    (r, up)
                }
                _ => yl2xp1(y, x, round),
            };
            flag_denormal(&mut f, &[x, y], r.status);
            f.set(1, r);
            f.set_c1(up);
            f.pop();
        }
    }
    f.0.fpu_sw as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pi66_is_pi_to_66_bits() {
        let (half, _) = pi66_parts();
        let pi = half.mul(&int(2), P, RM);
        let (words, _, _, e, _) = pi.as_raw_parts().unwrap();
        let n = words.len();
        // 0.11001001... * 2^2; the 66 bits are the fldpi significand truncated, then 11.
        assert_eq!(e, 2);
        assert_eq!(words[n - 1], 0xc90f_daa2_2168_c234);
        assert_eq!(words[n - 2], 0xc000_0000_0000_0000);
    }

    #[test]
    fn just_below_one_rounds_by_mode() {
        let one = int(1);
        let (rn, up_rn) = to_f80(&one, Round::NearestTiesToEven, Tail::Below);
        let (rz, up_rz) = to_f80(&one, Round::TowardZero, Tail::Below);
        assert_eq!((rn.value.to_bits(), up_rn), (ONE, true));
        assert_eq!((rz.value.to_bits(), up_rz), (0x3ffe_ffff_ffff_ffff_ffff, false));
        assert!(rn.status.contains(Status::INEXACT) && rz.status.contains(Status::INEXACT));
        let (exact, up) = to_f80(&one, Round::TowardPositive, Tail::Exact);
        assert_eq!((exact.value.to_bits(), exact.status, up), (ONE, Status::OK, false));
    }

    #[test]
    fn reduction_is_exact_near_pi() {
        // x = pi rounded to 64 bits (fldpi's significand truncated): x - pi66 = -3 * 2^-64.
        let x = F80::from_bits(0x4000_c90f_daa2_2168_c234);
        let (r, k) = reduce(&big(x));
        assert_eq!(k, 2);
        let want = BigFloat::from_i64(-3, P);
        let mut want = want;
        want.set_exponent(want.exponent().unwrap() - 64);
        assert_eq!(r.cmp(&want), Some(0));
    }
}
