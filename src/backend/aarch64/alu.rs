//! Integer ops: `Bin`, `Un`, `Ext`, `Cmp`, `Select`.
//!
//! W64 ops use X registers and W32 ops W registers, which read the low 32 bits and zero the
//! upper half as the IR requires. AArch64 has no 8- or 16-bit arithmetic, so W8/W16 ops are
//! done in W registers with their inputs zero- or sign-extended where the result depends on
//! bits above the width (right shifts, division, high multiply, comparisons) and the result
//! masked afterwards. Division needs no guard: UDIV/SDIV already give `x / 0 = 0` and
//! `MIN / -1 = MIN`, the IR's rules.

use super::abi::*;
use super::Emitter;
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
        let d = self.dst(dst, S0);
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
        self.zext_in_place(d, width);
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
                // No scalar popcount before FEAT_CSSC: count bytes in a vector register.
                let x = self.src_zext(a, width, S1);
                dynasm!(self.a ; .arch aarch64
                    ; fmov d0, X(x)
                    ; cnt v0.b8, v0.b8
                    ; addv b0, v0.b8
                    ; umov W(d), v0.b[0]);
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
        if narrow {
            self.zext_in_place(d, width);
        }
        self.finish(dst, d);
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
        let d = self.dst(dst, S0);
        let signed = matches!(op, CmpOp::Slt | CmpOp::Sle | CmpOp::Sgt | CmpOp::Sge);
        match width {
            Width::W64 | Width::W32 => {
                let x = self.src(a, S1);
                let y = self.src(b, S2);
                if width == Width::W64 {
                    dynasm!(self.a ; .arch aarch64 ; cmp X(x), X(y));
                } else {
                    dynasm!(self.a ; .arch aarch64 ; cmp W(x), W(y));
                }
            }
            Width::W8 | Width::W16 => {
                let (x, y) = if signed {
                    (self.src_sext(a, width, S1), self.src_sext(b, width, S2))
                } else {
                    (self.src_zext(a, width, S1), self.src_zext(b, width, S2))
                };
                dynasm!(self.a ; .arch aarch64 ; cmp W(x), W(y));
            }
        }
        self.cset(d, op);
        self.finish(dst, d);
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
