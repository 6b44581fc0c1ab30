//! NZCV helpers shared by every flag-setting A64 instruction, and condition code evaluation.
//!
//! The flags are four byte slots in [`super::A64State`], each 0 or 1. ARM's C after a
//! subtraction is NOT borrow (`a >= b` unsigned), unlike x86's CF.

use super::state::off;
use super::Ctx;
use crate::ir::{BinOp, CmpOp, Temp, UnOp, Width};

/// The kinds of ARM `AddWithCarry` the integer instructions use.
#[derive(Clone, Copy)]
pub enum AddKind {
    /// `a + b`
    Add,
    /// `a - b` (= `a + NOT b + 1`)
    Sub,
    /// `a + b + C`
    Adc,
    /// `a - b - NOT C` (= `a + NOT b + C`)
    Sbc,
}

impl Ctx<'_> {
    /// Computes `a (+|-) b` at width `w`; with `set_flags`, writes NZCV as ARM's
    /// `AddWithCarry` defines them.
    pub fn add_sub(&mut self, kind: AddKind, a: Temp, b: Temp, w: Width, set_flags: bool) -> Temp {
        let (r, flags) = self.arith(kind, a, b, w, set_flags);
        if let Some([n, z, c, v]) = flags {
            self.set_nzcv_temps(n, z, c, v);
        }
        r
    }

    /// `a (+|-) b` at width `w` and, when asked, its N, Z, C, V (0 or 1 each) without storing
    /// them.
    pub fn arith(
        &mut self,
        kind: AddKind,
        a: Temp,
        b: Temp,
        w: Width,
        want_flags: bool,
    ) -> (Temp, Option<[Temp; 4]>) {
        match kind {
            AddKind::Add => {
                let r = self.b.bin(BinOp::Add, a, b, w);
                if !want_flags {
                    return (r, None);
                }
                let c = self.b.cmp(CmpOp::Ult, r, a, w);
                (r, Some(self.nzcv_of(r, a, b, c, w, false)))
            }
            AddKind::Sub => {
                let r = self.b.bin(BinOp::Sub, a, b, w);
                if !want_flags {
                    return (r, None);
                }
                let c = self.b.cmp(CmpOp::Uge, a, b, w);
                (r, Some(self.nzcv_of(r, a, b, c, w, true)))
            }
            AddKind::Adc | AddKind::Sbc => {
                let operand = if matches!(kind, AddKind::Sbc) { self.b.un(UnOp::Not, b, w) } else { b };
                let cin = self.b.load_state(off::C, Width::W8);
                let s = self.b.bin(BinOp::Add, a, operand, w);
                let r = self.b.bin(BinOp::Add, s, cin, w);
                if !want_flags {
                    return (r, None);
                }
                // Carry out of a + y + cin: the sum wrapped below a, or it equals a with a
                // carry in (y all ones).
                let lt = self.b.cmp(CmpOp::Ult, r, a, w);
                let eq = self.b.cmp(CmpOp::Eq, r, a, w);
                let eq_c = self.b.bin(BinOp::And, eq, cin, Width::W64);
                let c = self.b.bin(BinOp::Or, lt, eq_c, Width::W64);
                (r, Some(self.nzcv_of(r, a, operand, c, w, false)))
            }
        }
    }

    /// N, Z from `r`, C from `c`, and V: for an addition `r = a + y (+c)`, the sign of
    /// `(a ^ r) & (y ^ r)`; for a subtraction `r = a - y`, the sign of `(a ^ y) & (a ^ r)`.
    fn nzcv_of(&mut self, r: Temp, a: Temp, y: Temp, c: Temp, w: Width, sub: bool) -> [Temp; 4] {
        let ar = self.b.bin(BinOp::Xor, a, r, w);
        let other = if sub { self.b.bin(BinOp::Xor, a, y, w) } else { self.b.bin(BinOp::Xor, y, r, w) };
        let both = self.b.bin(BinOp::And, ar, other, w);
        // A sign bit as 0/1 is one signed comparison with zero.
        let v = self.b.cmp_imm(CmpOp::Slt, both, 0, w);
        let n = self.b.cmp_imm(CmpOp::Slt, r, 0, w);
        let z = self.b.cmp_imm(CmpOp::Eq, r, 0, w);
        [n, z, c, v]
    }

    /// Writes N and Z from `r` at width `w`.
    pub fn set_nz(&mut self, r: Temp, w: Width) {
        let n = self.b.cmp_imm(CmpOp::Slt, r, 0, w);
        let z = self.b.cmp_imm(CmpOp::Eq, r, 0, w);
        self.b.store_state(off::N, n, Width::W8);
        self.b.store_state(off::Z, z, Width::W8);
    }

    /// Flags of a logical operation (ANDS, BICS, TST): N and Z from `r`, C = V = 0.
    pub fn set_nzcv_logical(&mut self, r: Temp, w: Width) {
        self.set_nz(r, w);
        let zero = self.b.constant(0);
        self.b.store_state(off::C, zero, Width::W8);
        self.b.store_state(off::V, zero, Width::W8);
    }

    /// Writes the four flags from the low 4 bits of a constant (CCMP's `nzcv` field).
    pub fn set_nzcv_const(&mut self, nzcv: u32) {
        for (i, slot) in [off::V, off::C, off::Z, off::N].into_iter().enumerate() {
            let f = self.b.constant(((nzcv >> i) & 1) as u64);
            self.b.store_state(slot, f, Width::W8);
        }
    }

    /// Writes the four flags from temps holding 0 or 1 each.
    pub fn set_nzcv_temps(&mut self, n: Temp, z: Temp, c: Temp, v: Temp) {
        self.b.store_state(off::N, n, Width::W8);
        self.b.store_state(off::Z, z, Width::W8);
        self.b.store_state(off::C, c, Width::W8);
        self.b.store_state(off::V, v, Width::W8);
    }

    /// 1 if condition `cond` (the 4-bit A64 condition field) holds, else 0.
    pub fn cond_holds(&mut self, cond: u32) -> Temp {
        let base = cond >> 1;
        let r = match base {
            0 => self.b.load_state(off::Z, Width::W8),
            1 => self.b.load_state(off::C, Width::W8),
            2 => self.b.load_state(off::N, Width::W8),
            3 => self.b.load_state(off::V, Width::W8),
            4 => {
                // HI: C == 1 && Z == 0
                let c = self.b.load_state(off::C, Width::W8);
                let z = self.b.load_state(off::Z, Width::W8);
                self.b.cmp(CmpOp::Ugt, c, z, Width::W8)
            }
            5 => {
                // GE: N == V
                let n = self.b.load_state(off::N, Width::W8);
                let v = self.b.load_state(off::V, Width::W8);
                self.b.cmp(CmpOp::Eq, n, v, Width::W8)
            }
            6 => {
                // GT: Z == 0 && N == V
                let n = self.b.load_state(off::N, Width::W8);
                let v = self.b.load_state(off::V, Width::W8);
                let z = self.b.load_state(off::Z, Width::W8);
                let ne = self.b.bin(BinOp::Xor, n, v, Width::W8);
                let either = self.b.bin(BinOp::Or, ne, z, Width::W8);
                self.b.cmp_imm(CmpOp::Eq, either, 0, Width::W8)
            }
            // AL and NV (cond 15 also means "always" in A64).
            _ => return self.b.constant(1),
        };
        if cond & 1 == 1 {
            self.b.cmp_imm(CmpOp::Eq, r, 0, Width::W64)
        } else {
            r
        }
    }
}
