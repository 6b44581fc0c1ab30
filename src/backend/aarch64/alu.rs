//! Integer ops: `Bin`, `Un`, `Ext`, `Cmp`, `Select`.
//!
//! W64 ops use X registers and W32 ops W registers, which read the low 32 bits and zero the
//! upper half as the IR requires. AArch64 has no 8- or 16-bit arithmetic, so W8/W16 ops are
//! done in W registers with their inputs zero- or sign-extended where the result depends on
//! bits above the width (right shifts, division, high multiply, comparisons) and the result
//! masked afterwards. Division needs no guard: UDIV/SDIV already give `x / 0 = 0` and
//! `MIN / -1 = MIN`, the IR's rules.

use super::abi::*;
use super::{imm, Emitter, Fused};
use crate::ir::{BinOp, CmpOp, Temp, UnOp, Width};
use dynasmrt::{dynasm, DynasmApi};

/// `mn d, x, y` in the X form for 64-bit ops and the W form otherwise.
macro_rules! xw3 {
    ($e:expr, $w64:expr, $mn:ident, $d:expr, $x:expr, $y:expr) => {
        if $w64 {
            dynasm!($e.a ; .arch aarch64 ; $mn X($d), X($x), X($y))
        } else {
            dynasm!($e.a ; .arch aarch64 ; $mn W($d), W($x), W($y))
        }
    };
}

/// `mn d, x` in the X form for 64-bit ops and the W form otherwise.
macro_rules! xw2 {
    ($e:expr, $w64:expr, $mn:ident, $d:expr, $x:expr) => {
        if $w64 {
            dynasm!($e.a ; .arch aarch64 ; $mn X($d), X($x))
        } else {
            dynasm!($e.a ; .arch aarch64 ; $mn W($d), W($x))
        }
    };
}

impl Emitter {
    pub(super) fn bin(&mut self, op: BinOp, dst: Temp, a: Temp, b: Temp, width: Width) {
        if self.bin_folded(op, dst, a, b, width) {
            return;
        }
        if self.fuse_next && self.bit_test(op, dst, a, b, width) {
            return;
        }
        let d = self.dst(dst, S0);
        let commutes = matches!(op, BinOp::Add | BinOp::And | BinOp::Or | BinOp::Xor | BinOp::Mul);
        let (a, b) = if commutes && self.imm(a).is_some() && self.imm(b).is_none() { (b, a) } else { (a, b) };
        if let Some(v) = self.imm(b) {
            if self.bin_imm(op, width, d, a, v) {
                self.finish(dst, d);
                return;
            }
        }
        match width {
            Width::W32 | Width::W64 => {
                let x = self.src(a, S1);
                let y = self.src(b, S2);
                self.bin_full(op, width == Width::W64, d, x, y);
            }
            Width::W8 | Width::W16 => self.bin_narrow(op, width, d, a, b),
        }
        self.finish(dst, d);
    }

    /// A single-bit test for the exit right after it: `a & (1 << k)`, or `a >> (bits - 1)`
    /// (the sign bit), becomes a `tbz`/`tbnz` on `a` (see `Fused::Bit`).
    fn bit_test(&mut self, op: BinOp, dst: Temp, a: Temp, b: Temp, width: Width) -> bool {
        let bits = width.bits();
        let (x, bit) = match (op, self.imm(a), self.imm(b)) {
            (BinOp::And, _, Some(v)) if v.is_power_of_two() && v.trailing_zeros() < bits => {
                (a, v.trailing_zeros())
            }
            (BinOp::And, Some(v), _) if v.is_power_of_two() && v.trailing_zeros() < bits => {
                (b, v.trailing_zeros())
            }
            (BinOp::Lshr, _, Some(c)) if c % u64::from(bits) == u64::from(bits - 1) => (a, bits - 1),
            _ => return false,
        };
        let reg = self.src(x, S1);
        self.fused = Some((dst, super::Fused::Bit { reg, bit }));
        true
    }

    /// `d = a op value` with `value` as an immediate operand, if the op has such a form for
    /// it (else nothing is emitted and the caller materialises it).
    fn bin_imm(&mut self, op: BinOp, width: Width, d: u8, a: Temp, value: u64) -> bool {
        let w64 = width == Width::W64;
        let bits = width.bits();
        let narrow = bits < 32;
        // The bits of the constant that matter (the op reads the low `width` bits).
        let v = value & width.mask();
        match op {
            BinOp::Add | BinOp::Sub => {
                let (sub, (imm12, shifted)) =
                    match (imm::arith(v), imm::arith(v.wrapping_neg() & width.mask())) {
                        (Some(e), _) => (op == BinOp::Sub, e),
                        (None, Some(e)) => (op == BinOp::Add, e),
                        _ => return false,
                    };
                let x = self.src(a, S1);
                self.add_imm(w64, sub, d, x, imm12, shifted);
                if narrow {
                    self.zext_in_place(d, width);
                }
            }
            BinOp::And | BinOp::Or | BinOp::Xor => {
                if !imm::logical(v, w64) {
                    return false;
                }
                let x = self.src(a, S1);
                match (op, w64) {
                    (BinOp::And, true) => dynasm!(self.a ; .arch aarch64 ; and XSP(d), X(x), #v),
                    (BinOp::Or, true) => dynasm!(self.a ; .arch aarch64 ; orr XSP(d), X(x), #v),
                    (BinOp::Xor, true) => dynasm!(self.a ; .arch aarch64 ; eor XSP(d), X(x), #v),
                    (BinOp::And, false) => dynasm!(self.a ; .arch aarch64 ; and WSP(d), W(x), #v as u32),
                    (BinOp::Or, false) => dynasm!(self.a ; .arch aarch64 ; orr WSP(d), W(x), #v as u32),
                    _ => dynasm!(self.a ; .arch aarch64 ; eor WSP(d), W(x), #v as u32),
                }
                // An and with a mask of the width is clean; an or or xor of a clean value too.
                if narrow && op != BinOp::And && !self.clean(a, width) {
                    self.zext_in_place(d, width);
                }
            }
            BinOp::Shl | BinOp::Lshr | BinOp::Ashr | BinOp::Rotr => {
                let c = (value % u64::from(bits)) as u32;
                if c == 0 || (narrow && op == BinOp::Rotr) {
                    return false;
                }
                let x = self.src(a, S1);
                match (op, w64, narrow) {
                    (BinOp::Shl, true, _) => dynasm!(self.a ; .arch aarch64 ; lsl X(d), X(x), c),
                    (BinOp::Lshr, true, _) => dynasm!(self.a ; .arch aarch64 ; lsr X(d), X(x), c),
                    (BinOp::Ashr, true, _) => dynasm!(self.a ; .arch aarch64 ; asr X(d), X(x), c),
                    (BinOp::Rotr, true, _) => dynasm!(self.a ; .arch aarch64 ; ror X(d), X(x), c),
                    (BinOp::Shl, false, _) => dynasm!(self.a ; .arch aarch64 ; lsl W(d), W(x), c),
                    (BinOp::Lshr, false, false) => dynasm!(self.a ; .arch aarch64 ; lsr W(d), W(x), c),
                    (BinOp::Ashr, false, false) => dynasm!(self.a ; .arch aarch64 ; asr W(d), W(x), c),
                    (BinOp::Rotr, false, _) => dynasm!(self.a ; .arch aarch64 ; ror W(d), W(x), c),
                    // 8 and 16 bits: extract the field above the count, zero- or sign-extended.
                    (BinOp::Lshr, false, true) => {
                        let n = bits - c;
                        dynasm!(self.a ; .arch aarch64 ; ubfx W(d), W(x), c, n)
                    }
                    _ => {
                        let n = bits - c;
                        dynasm!(self.a ; .arch aarch64 ; sbfx W(d), W(x), c, n)
                    }
                }
                if narrow && op != BinOp::Lshr {
                    self.zext_in_place(d, width);
                }
            }
            _ => return false,
        }
        true
    }

    /// `d = x + imm` (or `- imm` with `sub`), `imm = imm12 << (12 if shifted)`.
    pub(super) fn add_imm(&mut self, w64: bool, sub: bool, d: u8, x: u8, imm12: u32, shifted: bool) {
        match (w64, sub, shifted) {
            (true, false, false) => dynasm!(self.a ; .arch aarch64 ; add XSP(d), XSP(x), imm12),
            (true, true, false) => dynasm!(self.a ; .arch aarch64 ; sub XSP(d), XSP(x), imm12),
            (true, false, true) => dynasm!(self.a ; .arch aarch64 ; add XSP(d), XSP(x), imm12, lsl 12),
            (true, true, true) => dynasm!(self.a ; .arch aarch64 ; sub XSP(d), XSP(x), imm12, lsl 12),
            (false, false, false) => dynasm!(self.a ; .arch aarch64 ; add WSP(d), WSP(x), imm12),
            (false, true, false) => dynasm!(self.a ; .arch aarch64 ; sub WSP(d), WSP(x), imm12),
            (false, false, true) => dynasm!(self.a ; .arch aarch64 ; add WSP(d), WSP(x), imm12, lsl 12),
            (false, true, true) => dynasm!(self.a ; .arch aarch64 ; sub WSP(d), WSP(x), imm12, lsl 12),
        }
    }

    /// 32- and 64-bit binary ops, where the host instruction has the IR's exact semantics.
    fn bin_full(&mut self, op: BinOp, w64: bool, d: u8, x: u8, y: u8) {
        match op {
            BinOp::Add => xw3!(self, w64, add, d, x, y),
            BinOp::Sub => xw3!(self, w64, sub, d, x, y),
            BinOp::And => xw3!(self, w64, and, d, x, y),
            BinOp::Or => xw3!(self, w64, orr, d, x, y),
            BinOp::Xor => xw3!(self, w64, eor, d, x, y),
            // The variable shifts take the count modulo the register width, as the IR does.
            BinOp::Shl => xw3!(self, w64, lsl, d, x, y),
            BinOp::Lshr => xw3!(self, w64, lsr, d, x, y),
            BinOp::Ashr => xw3!(self, w64, asr, d, x, y),
            BinOp::Rotr => xw3!(self, w64, ror, d, x, y),
            BinOp::Mul => xw3!(self, w64, mul, d, x, y),
            BinOp::DivU => xw3!(self, w64, udiv, d, x, y),
            BinOp::DivS => xw3!(self, w64, sdiv, d, x, y),
            BinOp::RemU | BinOp::RemS => {
                if op == BinOp::RemU {
                    xw3!(self, w64, udiv, S3, x, y);
                } else {
                    xw3!(self, w64, sdiv, S3, x, y);
                }
                // d = x - (x / y) * y
                if w64 {
                    dynasm!(self.a ; .arch aarch64 ; msub X(d), X(S3), X(y), X(x));
                } else {
                    dynasm!(self.a ; .arch aarch64 ; msub W(d), W(S3), W(y), W(x));
                }
            }
            BinOp::MulHiU => {
                if w64 {
                    dynasm!(self.a ; .arch aarch64 ; umulh X(d), X(x), X(y));
                } else {
                    dynasm!(self.a ; .arch aarch64 ; umull X(d), W(x), W(y) ; lsr X(d), X(d), #32);
                }
            }
            BinOp::MulHiS => {
                if w64 {
                    dynasm!(self.a ; .arch aarch64 ; smulh X(d), X(x), X(y));
                } else {
                    dynasm!(self.a ; .arch aarch64 ; smull X(d), W(x), W(y) ; lsr X(d), X(d), #32);
                }
            }
        }
    }

    /// 8- and 16-bit binary ops, computed in W registers.
    fn bin_narrow(&mut self, op: BinOp, width: Width, d: u8, a: Temp, b: Temp) {
        let bits = width.bits();
        match op {
            BinOp::Add | BinOp::Sub | BinOp::And | BinOp::Or | BinOp::Xor | BinOp::Mul => {
                // The low bits of these results depend only on the low bits of the inputs.
                let x = self.src(a, S1);
                let y = self.src(b, S2);
                self.bin_full(op, false, d, x, y);
            }
            BinOp::Shl | BinOp::Lshr | BinOp::Ashr | BinOp::Rotr => {
                let y = self.src(b, S2);
                let count_mask = bits - 1;
                dynasm!(self.a ; .arch aarch64 ; and WSP(S3), W(y), #count_mask);
                match op {
                    BinOp::Shl => {
                        let x = self.src(a, S1);
                        dynasm!(self.a ; .arch aarch64 ; lsl W(d), W(x), W(S3));
                    }
                    BinOp::Lshr => {
                        let x = self.src_zext(a, width, S1);
                        dynasm!(self.a ; .arch aarch64 ; lsr W(d), W(x), W(S3));
                    }
                    BinOp::Ashr => {
                        let x = self.src_sext(a, width, S1);
                        dynasm!(self.a ; .arch aarch64 ; asr W(d), W(x), W(S3));
                    }
                    _ => {
                        // Rotating a value repeated across the 32-bit register by less than
                        // its width leaves the rotated value in the low bits.
                        let x = self.src_zext(a, width, S1);
                        if width == Width::W8 {
                            dynasm!(self.a ; .arch aarch64
                                ; orr W(S1), W(x), W(x), lsl #8
                                ; orr W(S1), W(S1), W(S1), lsl #16);
                        } else {
                            dynasm!(self.a ; .arch aarch64 ; orr W(S1), W(x), W(x), lsl #16);
                        }
                        dynasm!(self.a ; .arch aarch64 ; ror W(d), W(S1), W(S3));
                    }
                }
            }
            BinOp::MulHiU | BinOp::DivU | BinOp::RemU => {
                let x = self.src_zext(a, width, S1);
                let y = self.src_zext(b, width, S2);
                if op == BinOp::MulHiU {
                    dynasm!(self.a ; .arch aarch64 ; mul W(d), W(x), W(y) ; lsr W(d), W(d), #bits);
                } else {
                    self.bin_full(op, false, d, x, y);
                }
            }
            BinOp::MulHiS | BinOp::DivS | BinOp::RemS => {
                let x = self.src_sext(a, width, S1);
                let y = self.src_sext(b, width, S2);
                if op == BinOp::MulHiS {
                    // The 32-bit product of two sign-extended 16-bit values is exact.
                    dynasm!(self.a ; .arch aarch64 ; mul W(d), W(x), W(y) ; asr W(d), W(d), #bits);
                } else {
                    self.bin_full(op, false, d, x, y);
                }
            }
        }
        // Results that cannot exceed the width: of zero-extended inputs (unsigned division
        // and remainder, high product, right shift), or of a clean input under a mask.
        let clean = match op {
            BinOp::DivU | BinOp::RemU | BinOp::MulHiU | BinOp::Lshr => true,
            BinOp::And => self.clean(a, width) || self.clean(b, width),
            BinOp::Or | BinOp::Xor => self.clean(a, width) && self.clean(b, width),
            _ => false,
        };
        if !clean {
            self.zext_in_place(d, width);
        }
    }

    pub(super) fn un(&mut self, op: UnOp, dst: Temp, a: Temp, width: Width) {
        let d = self.dst(dst, S0);
        let w64 = width == Width::W64;
        let narrow = matches!(width, Width::W8 | Width::W16);
        let bits = width.bits();
        match op {
            UnOp::Not => {
                let x = self.src(a, S1);
                xw2!(self, w64, mvn, d, x);
            }
            UnOp::Neg => {
                let x = self.src(a, S1);
                xw2!(self, w64, neg, d, x);
            }
            UnOp::Clz => {
                let x = self.src_zext(a, width, S1);
                xw2!(self, w64, clz, d, x);
                if narrow {
                    let extra = 32 - bits;
                    dynasm!(self.a ; .arch aarch64 ; sub WSP(d), WSP(d), #extra);
                }
            }
            UnOp::Ctz => {
                let x = self.src(a, S1);
                if narrow {
                    // A bit just above the width bounds the count at `bits` for zero.
                    let stop = 1u32 << bits;
                    dynasm!(self.a ; .arch aarch64 ; orr WSP(S1), W(x), #stop);
                    xw2!(self, false, rbit, S1, S1);
                } else {
                    xw2!(self, w64, rbit, S1, x);
                }
                xw2!(self, w64, clz, d, S1);
            }
            UnOp::Popcnt => {
                let x = self.src_zext(a, width, S1);
                self.popcount(d, x);
            }
            UnOp::Bswap => {
                let x = self.src(a, S1);
                match width {
                    Width::W64 => dynasm!(self.a ; .arch aarch64 ; rev X(d), X(x)),
                    Width::W32 => dynasm!(self.a ; .arch aarch64 ; rev W(d), W(x)),
                    Width::W16 => dynasm!(self.a ; .arch aarch64 ; rev16 W(d), W(x)),
                    Width::W8 => dynasm!(self.a ; .arch aarch64 ; mov W(d), W(x)),
                }
            }
            UnOp::Rbit => {
                let x = self.src(a, S1);
                xw2!(self, w64, rbit, d, x);
                if narrow {
                    let shift = 32 - bits;
                    dynasm!(self.a ; .arch aarch64 ; lsr W(d), W(d), #shift);
                }
            }
        }
        // Counts are at most 8 or 16, a reversed field is shifted down into place.
        let clean = matches!(op, UnOp::Clz | UnOp::Ctz | UnOp::Popcnt | UnOp::Rbit)
            || (op == UnOp::Bswap && width == Width::W8 && self.clean(a, width));
        if narrow && !clean {
            self.zext_in_place(d, width);
        }
        self.finish(dst, d);
    }

    /// `d = popcount(x)`. No scalar popcount before FEAT_CSSC: count the bytes in a vector
    /// register.
    pub(super) fn popcount(&mut self, d: u8, x: u8) {
        dynasm!(self.a ; .arch aarch64
            ; fmov d0, X(x)
            ; cnt v0.b8, v0.b8
            ; addv b0, v0.b8
            ; umov W(d), v0.b[0]);
    }

    pub(super) fn ext(&mut self, dst: Temp, a: Temp, from: Width, signed: bool) {
        let d = self.dst(dst, S0);
        let x = self.src(a, S1);
        match (from, signed) {
            (Width::W64, _) => dynasm!(self.a ; .arch aarch64 ; mov X(d), X(x)),
            (Width::W32, false) => dynasm!(self.a ; .arch aarch64 ; mov W(d), W(x)),
            (Width::W16, false) => dynasm!(self.a ; .arch aarch64 ; uxth W(d), W(x)),
            (Width::W8, false) => dynasm!(self.a ; .arch aarch64 ; uxtb W(d), W(x)),
            (Width::W32, true) => dynasm!(self.a ; .arch aarch64 ; sxtw X(d), W(x)),
            (Width::W16, true) => dynasm!(self.a ; .arch aarch64 ; sxth X(d), W(x)),
            (Width::W8, true) => dynasm!(self.a ; .arch aarch64 ; sxtb X(d), W(x)),
        }
        self.finish(dst, d);
    }

    pub(super) fn cmp(&mut self, op: CmpOp, dst: Temp, a: Temp, b: Temp, width: Width) {
        // A constant goes second, as an immediate where it fits.
        let (op, a, b) =
            if self.imm(a).is_some() && self.imm(b).is_none() { (op.swapped(), b, a) } else { (op, a, b) };
        let signed = op.is_signed();
        let w64 = width == Width::W64;
        // Narrow operands are compared as 32-bit values, zero- or sign-extended.
        let x = match width {
            Width::W64 | Width::W32 => self.src(a, S1),
            _ if signed => self.src_sext(a, width, S1),
            _ => self.src_zext(a, width, S1),
        };
        match self.imm(b).map(|v| self.cmp_operand(v, width, signed)) {
            Some(0) if self.fuse_next && matches!(op, CmpOp::Eq | CmpOp::Ne) => {
                // Against zero: the exit tests the register (`cbz`/`cbnz`).
                self.fused = Some((dst, Fused::Zero { reg: x, w64, nonzero: op == CmpOp::Ne }));
                return;
            }
            Some(v) if imm::arith(v).is_some() => {
                let (imm12, shifted) = imm::arith(v).unwrap_or_default();
                self.cmp_imm(w64, false, x, imm12, shifted);
            }
            Some(v) if imm::arith(self.negate_operand(v, w64)).is_some() => {
                // `cmn x, #-v` sets the flags as `cmp x, #v` does for any v but 0 and the
                // minimum (neither has a negation in the immediate's range).
                let (imm12, shifted) = imm::arith(self.negate_operand(v, w64)).unwrap_or_default();
                self.cmp_imm(w64, true, x, imm12, shifted);
            }
            _ => {
                let y = match width {
                    Width::W64 | Width::W32 => self.src(b, S2),
                    _ if signed => self.src_sext(b, width, S2),
                    _ => self.src_zext(b, width, S2),
                };
                if w64 {
                    dynasm!(self.a ; .arch aarch64 ; cmp X(x), X(y));
                } else {
                    dynasm!(self.a ; .arch aarch64 ; cmp W(x), W(y));
                }
            }
        }
        if self.fuse_next {
            self.fused = Some((dst, Fused::Flags(op)));
            return;
        }
        let d = self.dst(dst, S0);
        self.cset(d, op);
        self.finish(dst, d);
    }

    /// The constant `value` as the compared register sees it: its low `width` bits, zero- or
    /// sign-extended to the 32 bits of a narrow comparison.
    fn cmp_operand(&self, value: u64, width: Width, signed: bool) -> u64 {
        match width {
            Width::W64 => value,
            Width::W32 => value & width.mask(),
            Width::W16 if signed => u64::from(value as i16 as i32 as u32),
            Width::W8 if signed => u64::from(value as i8 as i32 as u32),
            _ => value & width.mask(),
        }
    }

    /// `-value` over the 64 or 32 bits of the comparison.
    fn negate_operand(&self, value: u64, w64: bool) -> u64 {
        if w64 {
            value.wrapping_neg()
        } else {
            u64::from((value as u32).wrapping_neg())
        }
    }

    /// `cmp x, #imm` (or `cmn` with `negated`), `imm = imm12 << (12 if shifted)`.
    fn cmp_imm(&mut self, w64: bool, negated: bool, x: u8, imm12: u32, shifted: bool) {
        match (w64, negated, shifted) {
            (true, false, false) => dynasm!(self.a ; .arch aarch64 ; cmp XSP(x), imm12),
            (true, true, false) => dynasm!(self.a ; .arch aarch64 ; cmn XSP(x), imm12),
            (true, false, true) => dynasm!(self.a ; .arch aarch64 ; cmp XSP(x), imm12, lsl 12),
            (true, true, true) => dynasm!(self.a ; .arch aarch64 ; cmn XSP(x), imm12, lsl 12),
            (false, false, false) => dynasm!(self.a ; .arch aarch64 ; cmp WSP(x), imm12),
            (false, true, false) => dynasm!(self.a ; .arch aarch64 ; cmn WSP(x), imm12),
            (false, false, true) => dynasm!(self.a ; .arch aarch64 ; cmp WSP(x), imm12, lsl 12),
            (false, true, true) => dynasm!(self.a ; .arch aarch64 ; cmn WSP(x), imm12, lsl 12),
        }
    }

    /// `d = condition ? 1 : 0` after a `cmp x, y`.
    pub(super) fn cset(&mut self, d: u8, op: CmpOp) {
        match op {
            CmpOp::Eq => dynasm!(self.a ; .arch aarch64 ; cset X(d), eq),
            CmpOp::Ne => dynasm!(self.a ; .arch aarch64 ; cset X(d), ne),
            CmpOp::Ult => dynasm!(self.a ; .arch aarch64 ; cset X(d), lo),
            CmpOp::Ule => dynasm!(self.a ; .arch aarch64 ; cset X(d), ls),
            CmpOp::Ugt => dynasm!(self.a ; .arch aarch64 ; cset X(d), hi),
            CmpOp::Uge => dynasm!(self.a ; .arch aarch64 ; cset X(d), hs),
            CmpOp::Slt => dynasm!(self.a ; .arch aarch64 ; cset X(d), lt),
            CmpOp::Sle => dynasm!(self.a ; .arch aarch64 ; cset X(d), le),
            CmpOp::Sgt => dynasm!(self.a ; .arch aarch64 ; cset X(d), gt),
            CmpOp::Sge => dynasm!(self.a ; .arch aarch64 ; cset X(d), ge),
        }
    }

    pub(super) fn select(&mut self, dst: Temp, cond: Temp, if_true: Temp, if_false: Temp) {
        let d = self.dst(dst, S0);
        let c = self.src(cond, S1);
        let t = self.src(if_true, S2);
        let f = self.src(if_false, S3);
        dynasm!(self.a ; .arch aarch64 ; cmp XSP(c), #0 ; csel X(d), X(t), X(f), ne);
        self.finish(dst, d);
    }
}
