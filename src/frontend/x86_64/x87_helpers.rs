//! x87 arithmetic as Rust helpers over the x87 state in [`X86State`] (stack registers, TOP,
//! tags, status word). 80-bit arithmetic uses `rustc_apfloat`'s `X87DoubleExtended`, which
//! rounds exactly as IEEE 754 requires, in the rounding mode of the control word.
//!
//! fsqrt (APFloat has none) is an integer square root of the significand, rounded exactly.
//! The transcendentals and partial remainders are in [`super::x87_transcend`].
//!
//! Not modelled: precision control (always extended precision), unmasked exceptions (every
//! exception is treated as masked: the result is the masked response, e.g. the "real
//! indefinite" NaN), denormal-operand flags, C1 after rounding.
//!
//! Translated code does the memory accesses; helpers exchange values with it through their
//! arguments and return value, and 80-bit values through `fpu_scratch`.

use super::state::X86State;
use rustc_apfloat::ieee::{Double, Single, X87DoubleExtended as F80};
use rustc_apfloat::{Float, FloatConvert, Round, Status, StatusAnd};
use std::cmp::Ordering;

/// The x87 "real indefinite": the quiet NaN masked invalid operations produce.
pub(super) const INDEFINITE: u128 = 0xffff_c000_0000_0000_0000;

/// Formats of values moved between memory (or constants) and the stack.
pub mod kind {
    pub const F32: u64 = 0;
    pub const F64: u64 = 1;
    pub const F80: u64 = 2;
    pub const I16: u64 = 3;
    pub const I32: u64 = 4;
    pub const I64: u64 = 5;
    /// A copy of st(i) (`fld st(i)`, `fst st(i)`); the index is the value argument.
    pub const ST: u64 = 6;
    /// Integer stores that truncate whatever the rounding mode (fisttp).
    pub const I16_TRUNC: u64 = 7;
    pub const I32_TRUNC: u64 = 8;
    pub const I64_TRUNC: u64 = 9;
    /// Constants: the value argument selects 0.0, 1.0, pi, log2(10), log2(e), log10(2), ln(2).
    pub const CONST: u64 = 10;
}

/// Arithmetic operations: `dst = dst op src`, with `Subr`/`Divr` reversing the operands.
pub mod op {
    pub const ADD: u64 = 0;
    pub const MUL: u64 = 1;
    pub const SUB: u64 = 2;
    pub const SUBR: u64 = 3;
    pub const DIV: u64 = 4;
    pub const DIVR: u64 = 5;
}

/// One-operand and stack-management operations on st(0) (or st(i) where noted).
pub mod unary {
    pub const CHS: u64 = 0;
    pub const ABS: u64 = 1;
    pub const SQRT: u64 = 2;
    pub const RNDINT: u64 = 3;
    pub const XAM: u64 = 4;
    pub const TST: u64 = 5;
    pub const SCALE: u64 = 8;
    /// Exchange st(0) and st(i).
    pub const XCH: u64 = 9;
    /// Mark st(i) empty.
    pub const FREE: u64 = 10;
    pub const INCSTP: u64 = 11;
    pub const DECSTP: u64 = 12;
    pub const INIT: u64 = 13;
    /// Clear the exception flags.
    pub const CLEX: u64 = 14;
    pub const POP: u64 = 15;
}

/// Denormal-operand exception flag.
pub(super) const DE: u16 = 1 << 1;
pub(super) const C0: u16 = 1 << 8;
pub(super) const C1: u16 = 1 << 9;
pub(super) const C2: u16 = 1 << 10;
pub(super) const C3: u16 = 1 << 14;

pub(super) struct Fpu<'a>(pub(super) &'a mut X86State);

impl Fpu<'_> {
    fn top(&self) -> usize {
        (self.0.fpu_sw >> 11 & 7) as usize
    }
    fn set_top(&mut self, top: usize) {
        self.0.fpu_sw = (self.0.fpu_sw & !(7 << 11)) | ((top as u16 & 7) << 11);
    }
    pub(super) fn phys(&self, i: usize) -> usize {
        (self.top() + i) & 7
    }
    pub(super) fn round(&self) -> Round {
        match self.0.fpu_cw >> 10 & 3 {
            0 => Round::NearestTiesToEven,
            1 => Round::TowardNegative,
            2 => Round::TowardPositive,
            _ => Round::TowardZero,
        }
    }
    pub(super) fn flag(&mut self, status: Status) {
        let mut sw = 0u16;
        if status.contains(Status::INVALID_OP) {
            sw |= 1;
        }
        if status.contains(Status::DIV_BY_ZERO) {
            sw |= 1 << 2;
        }
        if status.contains(Status::OVERFLOW) {
            sw |= 1 << 3;
        }
        if status.contains(Status::UNDERFLOW) {
            sw |= 1 << 4;
        }
        if status.contains(Status::INEXACT) {
            sw |= 1 << 5;
        }
        self.0.fpu_sw |= sw;
    }
    fn raw(&self, i: usize) -> u128 {
        let r = self.0.fpr[self.phys(i)];
        (r[0] as u128 | (r[1] as u128) << 64) & ((1u128 << 80) - 1)
    }
    /// st(i); an empty register is a stack underflow, whose masked response is indefinite.
    pub(super) fn get(&mut self, i: usize) -> F80 {
        if self.0.fpu_tags & (1 << self.phys(i)) == 0 {
            self.0.fpu_sw |= 1 | 1 << 6;
            return F80::from_bits(INDEFINITE);
        }
        F80::from_bits(self.raw(i))
    }
    fn set_raw(&mut self, i: usize, bits: u128) {
        let p = self.phys(i);
        self.0.fpr[p] = [bits as u64, (bits >> 64) as u64 & 0xffff];
        self.0.fpu_tags |= 1 << p;
    }
    /// Stores a result and raises its exception flags.
    pub(super) fn set(&mut self, i: usize, r: StatusAnd<F80>) {
        self.flag(r.status);
        self.set_raw(i, r.value.to_bits());
    }
    pub(super) fn push(&mut self, v: StatusAnd<F80>) {
        let top = (self.top() + 7) & 7;
        self.set_top(top);
        if self.0.fpu_tags & (1 << top) != 0 {
            // Stack overflow: masked response is indefinite.
            self.0.fpu_sw |= 1 | 1 << 6 | C1;
            self.set_raw(0, INDEFINITE);
        } else {
            self.set(0, v);
            self.0.fpu_sw &= !C1;
        }
    }
    pub(super) fn pop(&mut self) {
        let top = self.top();
        self.0.fpu_tags &= !(1 << top);
        self.set_top(top + 1);
    }
}

/// A value of format `kind` (bits in `lo`, `hi`) as an 80-bit float. A signalling NaN stays
/// signalling (the operation using it decides what that means).
fn to_f80(fpu: &mut Fpu, kind: u64, lo: u64, hi: u64) -> StatusAnd<F80> {
    let mut loses = false;
    let ok = |v: F80| Status::OK.and(v);
    match kind {
        // NaNs keep their payload (APFloat's conversion drops it) and become quiet.
        kind::F32 if Single::from_bits(lo as u32 as u128).is_nan() => nan_to_f80(lo as u32 as u64, 32, 23),
        kind::F64 if Double::from_bits(lo as u128).is_nan() => nan_to_f80(lo, 64, 52),
        kind::F32 => Single::from_bits(lo as u32 as u128).convert(&mut loses),
        kind::F64 => Double::from_bits(lo as u128).convert(&mut loses),
        kind::F80 => ok(F80::from_bits(lo as u128 | ((hi & 0xffff) as u128) << 64)),
        kind::I16 => F80::from_i128(lo as i16 as i128),
        kind::I32 => F80::from_i128(lo as i32 as i128),
        kind::I64 => F80::from_i128(lo as i64 as i128),
        kind::ST => ok(fpu.get(lo as usize)),
        kind::CONST => ok(F80::from_bits(match lo {
            0 => 0,
            1 => 0x3fff_8000_0000_0000_0000,
            2 => 0x4000_c90f_daa2_2168_c235,
            3 => 0x4000_d49a_784b_cd1b_8afe,
            4 => 0x3fff_b8aa_3b29_5c17_f0bc,
            5 => 0x3ffd_9a20_9a84_fbcf_f799,
            _ => 0x3ffe_b172_17f7_d1cf_79ac,
        })),
        _ => ok(F80::from_bits(INDEFINITE)),
    }
}

/// A float/double NaN (`bits` wide, `frac` fraction bits) as an 80-bit NaN with the same
/// sign, payload and quietness.
fn nan_to_f80(v: u64, bits: u32, frac: u32) -> StatusAnd<F80> {
    let sign = (v >> (bits - 1) & 1) as u128;
    let fraction = v & ((1u64 << frac) - 1);
    let mantissa = 1u64 << 63 | fraction << (63 - frac);
    Status::OK.and(F80::from_bits(sign << 79 | 0x7fff << 64 | mantissa as u128))
}

/// Whether a float/double source operand is denormal (the hardware flags DE for those).
fn is_denormal_source(kind: u64, bits: u64) -> bool {
    match kind {
        kind::F32 => Single::from_bits(bits as u32 as u128).is_denormal(),
        kind::F64 => Double::from_bits(bits as u128).is_denormal(),
        _ => false,
    }
}

/// A NaN quieted, with the invalid-operation flag if it was signalling.
fn quieted(v: StatusAnd<F80>) -> StatusAnd<F80> {
    if v.value.is_signaling() {
        Status::INVALID_OP.and(F80::from_bits(v.value.to_bits() | 1 << 62))
    } else {
        v
    }
}

/// An 80-bit NaN as a float/double NaN (`bits` wide, `frac` fraction bits): quiet, same sign,
/// the top of the payload.
fn nan_from_f80(v: F80, bits: u32, frac: u32) -> u64 {
    let raw = v.to_bits();
    let sign = (raw >> 79) as u64 & 1;
    let exp_all_ones = ((1u64 << (bits - 1 - frac)) - 1) << frac;
    let fraction = ((raw as u64) << 1 >> (64 - frac)) | 1 << (frac - 1);
    sign << (bits - 1) | exp_all_ones | fraction
}

/// Returns the helper state.
pub(super) fn fpu(state: *mut u8) -> Fpu<'static> {
    // SAFETY: translated code passes the pointer to the live X86State it runs on (the helper
    // contract of `ir::Helper`); nothing else accesses that state during the call, and the
    // reference does not outlive the helper call that made it.
    Fpu(unsafe { &mut *(state as *mut X86State) })
}

/// `fld`/`fild`/constants: pushes a value of format `kind` (`lo`, `hi` as in [`to_f80`]).
pub extern "C" fn x87_load(state: *mut u8, kind: u64, lo: u64, hi: u64, _: u64) -> u64 {
    let mut f = fpu(state);
    // Loading converts: a signalling NaN from memory arrives quiet (an 80-bit one is loaded
    // as it is).
    let v = to_f80(&mut f, kind, lo, hi);
    let v = if kind == kind::F32 || kind == kind::F64 { quieted(v) } else { v };
    if kind <= kind::F64 && is_denormal_source(kind, lo) {
        f.0.fpu_sw |= DE;
    }
    f.push(v);
    0
}

/// `fst`/`fstp`/`fist`/`fistp`/`fisttp`: st(0) in format `kind`, returned (an 80-bit value's
/// low 64 bits are returned and its top 16 bits left in bits 0..16 of `fpu_scratch[1]`).
/// A store to memory changes no guest state here, so that a store that faults leaves the
/// x87 state as it was: the status word it would leave (C1, exception flags, and TOP after
/// the pop if `pop`) goes to bits 16..32 of `fpu_scratch[1]` and the tags to bits 32..40,
/// for translated code to commit after its memory store ([`STORE_COMMIT_SW`]).
/// For `kind::ST`, copies st(0) to st(`index`) (and pops if `pop`) at once.
pub extern "C" fn x87_store(state: *mut u8, kind: u64, pop: u64, index: u64, _: u64) -> u64 {
    let mut f = fpu(state);
    let (sw, tags) = (f.0.fpu_sw, f.0.fpu_tags);
    let out = store_value(&mut f, kind, pop, index);
    if kind != kind::ST {
        let hi = f.0.fpu_scratch[1] & 0xffff;
        f.0.fpu_scratch[1] = hi | (f.0.fpu_sw as u64) << 16 | (f.0.fpu_tags as u64) << 32;
        (f.0.fpu_sw, f.0.fpu_tags) = (sw, tags);
    }
    out
}

/// Byte offsets in `fpu_scratch` of the status word and tags that a store to memory leaves
/// (see [`x87_store`]; both hosts are little-endian).
pub const STORE_COMMIT_SW: u32 = 10;
pub const STORE_COMMIT_TAGS: u32 = 12;

fn store_value(f: &mut Fpu, kind: u64, pop: u64, index: u64) -> u64 {
    let v = f.get(0);
    let round = f.round();
    let mut loses = false;
    // C1: whether the stored value was rounded away from zero.
    let mut up = false;
    let out = match kind {
        kind::F32 | kind::F64 if v.is_nan() => {
            if v.is_signaling() {
                f.flag(Status::INVALID_OP);
            }
            if kind == kind::F32 {
                nan_from_f80(v, 32, 23)
            } else {
                nan_from_f80(v, 64, 52)
            }
        }
        kind::F32 => {
            let r: StatusAnd<Single> = v.convert_r(round, &mut loses);
            let z: StatusAnd<Single> = v.convert_r(Round::TowardZero, &mut loses);
            up = !r.value.bitwise_eq(z.value);
            f.flag(r.status);
            r.value.to_bits() as u64
        }
        kind::F64 => {
            let r: StatusAnd<Double> = v.convert_r(round, &mut loses);
            let z: StatusAnd<Double> = v.convert_r(Round::TowardZero, &mut loses);
            up = !r.value.bitwise_eq(z.value);
            f.flag(r.status);
            r.value.to_bits() as u64
        }
        kind::F80 => {
            let bits = v.to_bits();
            f.0.fpu_scratch = [bits as u64, (bits >> 64) as u64];
            bits as u64
        }
        kind::ST => {
            f.set(index as usize, Status::OK.and(v));
            0
        }
        _ => {
            let (bits, truncate) = match kind {
                kind::I16 => (16, false),
                kind::I32 => (32, false),
                kind::I64 => (64, false),
                kind::I16_TRUNC => (16, true),
                kind::I32_TRUNC => (32, true),
                _ => (64, true),
            };
            let r = v.to_i128_r(bits, if truncate { Round::TowardZero } else { round }, &mut loses);
            let z = v.to_i128_r(bits, Round::TowardZero, &mut loses);
            up = !r.status.contains(Status::INVALID_OP) && r.value != z.value;
            f.flag(r.status);
            // Out of range or NaN: the "integer indefinite", the most negative integer.
            let value = if r.status.contains(Status::INVALID_OP) { -1i128 << (bits - 1) } else { r.value };
            value as u64
        }
    };
    f.set_c1(up);
    if pop != 0 {
        f.pop();
    }
    out
}

/// The x87 rule for NaN operands: a signalling NaN is quieted (and flags invalid); with two
/// NaNs the one with the larger significand wins (the first on a tie).
pub(super) fn propagate_nan(a: F80, b: F80) -> Option<StatusAnd<F80>> {
    let (an, bn) = (a.is_nan(), b.is_nan());
    if !an && !bn {
        return None;
    }
    let status = if a.is_signaling() || b.is_signaling() { Status::INVALID_OP } else { Status::OK };
    let significand = |v: F80| v.to_bits() as u64 & !(1 << 62);
    let pick = match (an, bn) {
        // A quiet NaN wins over a signalling one, otherwise the larger significand.
        (true, true) if a.is_signaling() != b.is_signaling() => {
            if a.is_signaling() {
                b
            } else {
                a
            }
        }
        (true, true) if significand(b) > significand(a) => b,
        (true, _) => a,
        _ => b,
    };
    Some(status.and(F80::from_bits(pick.to_bits() | 1 << 62)))
}

fn arith_exact(a: F80, b: F80, op: u64, round: Round) -> StatusAnd<F80> {
    match op {
        op::ADD => a.add_r(b, round),
        op::MUL => a.mul_r(b, round),
        op::SUB => a.sub_r(b, round),
        op::SUBR => b.sub_r(a, round),
        op::DIV => a.div_r(b, round),
        _ => b.div_r(a, round),
    }
}

/// Whether `a op b` divides by zero (x / 0 for div, 0 / x for divr).
fn divides_by_zero(a: F80, b: F80, op: u64) -> bool {
    (op == op::DIV && b.is_zero()) || (op == op::DIVR && a.is_zero())
}

/// Whether the hardware flags a denormal operand for `a op b` (not for a division by zero,
/// which it reports as such).
fn denormal_operand(a: F80, b: F80, op: u64) -> bool {
    (a.is_denormal() || b.is_denormal()) && !divides_by_zero(a, b, op)
}

/// `a op b` with the x87's NaN rules; also whether the result was rounded away from zero
/// (which the hardware reports in C1).
fn arith(a: F80, b: F80, op: u64, round: Round) -> (StatusAnd<F80>, bool) {
    if let Some(nan) = propagate_nan(a, b) {
        return (nan, false);
    }
    let mut r = arith_exact(a, b, op, round);
    if r.value.is_nan() {
        // An invalid operation on non-NaN operands (inf - inf, 0 * inf, 0 / 0): the masked
        // response is the real indefinite.
        r.value = F80::from_bits(INDEFINITE);
    }
    let up = r.status.contains(Status::INEXACT)
        && !r.value.bitwise_eq(arith_exact(a, b, op, Round::TowardZero).value);
    (r, up)
}

impl Fpu<'_> {
    pub(super) fn set_c1(&mut self, up: bool) {
        self.0.fpu_sw = (self.0.fpu_sw & !C1) | if up { C1 } else { 0 };
    }
}

/// `fadd`/`fsub`/... between stack registers: st(dst) = st(dst) op st(src); pops if `pop`.
pub extern "C" fn x87_arith(state: *mut u8, op: u64, dst: u64, src: u64, pop: u64) -> u64 {
    let mut f = fpu(state);
    let a = f.get(dst as usize);
    let b = f.get(src as usize);
    if denormal_operand(a, b, op) {
        f.0.fpu_sw |= DE;
    }
    let (r, up) = arith(a, b, op, f.round());
    f.set(dst as usize, r);
    f.set_c1(up);
    if pop != 0 {
        f.pop();
    }
    0
}

/// `fadd m32`/`fiadd m16`/...: st(0) = st(0) op value, the value of format `kind` in `bits`.
pub extern "C" fn x87_arith_mem(state: *mut u8, op: u64, kind: u64, bits: u64, _: u64) -> u64 {
    let mut f = fpu(state);
    let b = to_f80(&mut f, kind, bits, 0);
    f.flag(b.status);
    let a = f.get(0);
    if denormal_operand(a, b.value, op)
        || (is_denormal_source(kind, bits) && !divides_by_zero(a, b.value, op))
    {
        f.0.fpu_sw |= DE;
    }
    let (r, up) = arith(a, b.value, op, f.round());
    f.set(0, r);
    f.set_c1(up);
    0
}

/// Compares st(0) with st(`index`) (or, for `kind` other than `kind::ST`, a memory value in
/// `bits`). Returns the comparison as RFLAGS bits (ZF PF CF, as fcomi sets them) and also sets
/// C3 C2 C0 (as fcom sets them). `mode` is the number of pops (bits 0..8) and, in bit 8,
/// whether the comparison is ordered (fcom, fcomi: invalid for any NaN, where the unordered
/// fucom/fucomi flag invalid only for signalling NaNs); the masked result is the same. Bit 9
/// set: the RFLAGS form (fcomi), which leaves C3 C2 C0 alone.
pub extern "C" fn x87_compare(state: *mut u8, index: u64, kind: u64, bits: u64, mode: u64) -> u64 {
    let mut f = fpu(state);
    let (pops, ordered) = (mode & 0xff, mode & 0x100 != 0);
    let a = f.get(0);
    let b = if kind == kind::ST { f.get(index as usize) } else { to_f80(&mut f, kind, bits, 0).value };
    if a.is_signaling() || b.is_signaling() || (ordered && (a.is_nan() || b.is_nan())) {
        f.0.fpu_sw |= 1;
    } else if a.is_denormal() || b.is_denormal() || (kind != kind::ST && is_denormal_source(kind, bits)) {
        f.0.fpu_sw |= DE;
    }
    let (rflags, cc) = match a.partial_cmp(&b) {
        None => (0x45, C3 | C2 | C0),
        Some(Ordering::Less) => (0x01, C0),
        Some(Ordering::Equal) => (0x40, C3),
        Some(Ordering::Greater) => (0x00, 0),
    };
    if mode & 0x200 != 0 {
        // fcomi/fucomi: RFLAGS only; C1 cleared, C3 C2 C0 unchanged.
        f.0.fpu_sw &= !C1;
    } else {
        f.0.fpu_sw = (f.0.fpu_sw & !(C3 | C2 | C1 | C0)) | cc;
    }
    for _ in 0..pops {
        f.pop();
    }
    rflags
}

/// One-operand and stack operations (see [`unary`]); `index` is the i of st(i) where used.
/// Returns the status word.
pub extern "C" fn x87_unary(state: *mut u8, what: u64, index: u64, _: u64, _: u64) -> u64 {
    let mut f = fpu(state);
    let round = f.round();
    let i = index as usize;
    match what {
        unary::CHS => {
            let v = f.get(0);
            f.set(0, Status::OK.and(-v));
            f.set_c1(false);
        }
        unary::ABS => {
            let v = f.get(0);
            f.set(0, Status::OK.and(v.abs()));
            f.set_c1(false);
        }
        unary::SQRT => {
            let v = f.get(0);
            if v.is_denormal() {
                f.0.fpu_sw |= DE;
            }
            let r = sqrt(v, round);
            let up =
                r.status.contains(Status::INEXACT) && !r.value.bitwise_eq(sqrt(v, Round::TowardZero).value);
            f.set(0, r);
            f.set_c1(up);
        }
        unary::RNDINT => {
            let v = f.get(0);
            let r = v.round_to_integral(round);
            let up = !r.value.bitwise_eq(v.round_to_integral(Round::TowardZero).value);
            f.set(0, r);
            f.set_c1(up);
        }
        unary::XAM => {
            let p = f.phys(0);
            let v = F80::from_bits(f.raw(0));
            let class = if f.0.fpu_tags & (1 << p) == 0 {
                C3 | C0
            } else if v.is_nan() {
                C0
            } else if v.is_infinite() {
                C2 | C0
            } else if v.is_zero() {
                C3
            } else if v.is_denormal() {
                C3 | C2
            } else {
                C2
            };
            let sign = if v.is_negative() { C1 } else { 0 };
            f.0.fpu_sw = (f.0.fpu_sw & !(C3 | C2 | C1 | C0)) | class | sign;
        }
        unary::TST => {
            x87_compare(state, 0, kind::CONST, 0, 0x100);
            return fpu(state).0.fpu_sw as u64;
        }
        unary::SCALE => {
            let a = f.get(0);
            let b = f.get(1);
            let mut exact = false;
            let n = b.to_i128_r(32, Round::TowardZero, &mut exact).value as i32;
            f.set(0, Status::OK.and(a.scalbn_r(n, round)));
        }
        unary::XCH => {
            let a = f.get(0);
            let b = f.get(i);
            f.set(0, Status::OK.and(b));
            f.set(i, Status::OK.and(a));
            f.set_c1(false);
        }
        unary::FREE => {
            let p = f.phys(i);
            f.0.fpu_tags &= !(1 << p);
        }
        unary::INCSTP => {
            let t = f.top();
            f.set_top(t + 1);
        }
        unary::DECSTP => {
            let t = f.top();
            f.set_top(t + 7);
        }
        unary::INIT => {
            f.0.fpu_cw = 0x37f;
            f.0.fpu_sw = 0;
            f.0.fpu_tags = 0;
        }
        unary::CLEX => f.0.fpu_sw &= !0x80ff,
        _ => f.pop(),
    }
    f.0.fpu_sw as u64
}

/// The integer square root of `n` and the remainder `n - root^2`, bit by bit.
fn isqrt(n: u128) -> (u128, u128) {
    let mut rem = n;
    let mut root = 0u128;
    let mut bit = 1u128 << 126;
    while bit > n {
        bit >>= 2;
    }
    while bit != 0 {
        if rem >= root + bit {
            rem -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    (root, rem)
}

/// Square root of an 80-bit value, exactly rounded in `round`.
fn sqrt(v: F80, round: Round) -> StatusAnd<F80> {
    if v.is_nan() {
        return propagate_nan(v, v).unwrap_or(Status::OK.and(v));
    }
    if v.is_zero() || (v.is_infinite() && !v.is_negative()) {
        return Status::OK.and(v);
    }
    if v.is_negative() {
        return Status::INVALID_OP.and(F80::from_bits(INDEFINITE));
    }
    let bits = v.to_bits();
    let mut mant = bits as u64;
    // value = mant * 2^(t - 63), t the unbiased exponent (denormals: exponent field 0 means
    // 2^-16382 with no implicit bit); normalise so that bit 63 of mant is set.
    let exp_field = (bits >> 64) as i32 & 0x7fff;
    let mut t = if exp_field == 0 { 1 - 16383 } else { exp_field - 16383 };
    let shift = mant.leading_zeros() as i32;
    mant <<= shift;
    t -= shift;
    // value = N * 2^(t - 127) with N = mant * 2^64, or N * 2^(t - 126) with N = mant * 2^63:
    // pick the one with an even power of two; N in [2^126, 2^128) has a 64-bit root.
    let (n, half_exp) = if t.rem_euclid(2) == 1 {
        ((mant as u128) << 64, (t - 127) / 2)
    } else {
        ((mant as u128) << 63, (t - 126) / 2)
    };
    let (mut root, rem) = isqrt(n);
    let inexact = rem != 0;
    // Round: the exact root lies in (root, root+1); round to nearest goes up when
    // rem > root (no ties are possible for square roots).
    let up = match round {
        Round::NearestTiesToEven | Round::NearestTiesToAway => rem > root,
        Round::TowardPositive => inexact,
        _ => false,
    };
    let mut e = half_exp + 63;
    if up {
        root += 1;
        if root >> 64 != 0 {
            root >>= 1;
            e += 1;
        }
    }
    let result = ((e + 16383) as u128) << 64 | root;
    (if inexact { Status::INEXACT } else { Status::OK }).and(F80::from_bits(result))
}

/// The full x87 tag word (two bits per physical register: 00 valid, 01 zero, 10 special, 11
/// empty), as fnstenv stores it.
fn tag_word(f: &Fpu) -> u16 {
    let mut tw = 0u16;
    for p in 0..8 {
        let tag = if f.0.fpu_tags & (1 << p) == 0 {
            3
        } else {
            let r = f.0.fpr[p];
            let v = F80::from_bits((r[0] as u128 | (r[1] as u128) << 64) & ((1u128 << 80) - 1));
            let integer_bit = r[0] >> 63 != 0;
            if v.is_zero() {
                1
            } else if !v.is_finite() || v.is_denormal() || !integer_bit {
                2
            } else {
                0
            }
        };
        tw |= tag << (2 * p);
    }
    tw
}

/// fnstenv: returns the control word, status word and tag word packed as
/// `cw | sw << 16 | tw << 32`. Changes nothing: translated code masks the exceptions in the
/// control word (as the instruction does) once the environment is stored.
pub extern "C" fn x87_store_env(state: *mut u8, _: u64, _: u64, _: u64, _: u64) -> u64 {
    let f = fpu(state);
    f.0.fpu_cw as u64 | (f.0.fpu_sw as u64) << 16 | (tag_word(&f) as u64) << 32
}

/// fldenv: loads the control word, status word (with TOP) and tag word (a register is empty
/// exactly when its tag is 11).
pub extern "C" fn x87_load_env(state: *mut u8, cw: u64, sw: u64, tw: u64, _: u64) -> u64 {
    let f = fpu(state);
    f.0.fpu_cw = cw as u16;
    f.0.fpu_sw = sw as u16;
    f.0.fpu_tags = (0..8).filter(|p| tw >> (2 * p) & 3 != 3).fold(0u8, |t, p| t | 1 << p);
    0
}
