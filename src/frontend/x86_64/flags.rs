//! Flag rules shared by every family, each written once over the operand width, and the
//! condition codes of jcc/setcc/cmovcc.
//!
//! Each flag lives in its own state byte (0 or 1). A rule returns a [`Flags`] value (one
//! temporary per flag it defines, `None` for flags it leaves alone); [`Ctx::set_flags`] stores
//! them. Dead stores are left for the IR optimiser to delete.

use super::state::off;
use super::Ctx;
use crate::ir::{BinOp, CmpOp, StateOffset, Temp, UnOp, Width};
use iced_x86::ConditionCode;

/// New values of the six status flags; `None` = unchanged.
#[derive(Clone, Copy, Debug, Default)]
pub struct Flags {
    pub cf: Option<Temp>,
    pub pf: Option<Temp>,
    pub af: Option<Temp>,
    pub zf: Option<Temp>,
    pub sf: Option<Temp>,
    pub of: Option<Temp>,
}

/// The status flags in RFLAGS bit order, with their state slots.
pub const STATUS_FLAGS: [(u32, StateOffset); 6] =
    [(0, off::CF), (2, off::PF), (4, off::AF), (6, off::ZF), (7, off::SF), (11, off::OF)];

impl Flags {
    fn slots(&self) -> [(Option<Temp>, StateOffset); 6] {
        [
            (self.cf, off::CF),
            (self.pf, off::PF),
            (self.af, off::AF),
            (self.zf, off::ZF),
            (self.sf, off::SF),
            (self.of, off::OF),
        ]
    }
}

impl Ctx {
    /// Reads one flag (0 or 1).
    pub fn flag(&mut self, slot: StateOffset) -> Temp {
        self.load_state(slot, Width::W8)
    }

    /// Stores every flag `flags` defines.
    pub fn set_flags(&mut self, flags: &Flags) {
        for (value, slot) in flags.slots() {
            if let Some(v) = value {
                self.store_state(slot, v, Width::W8);
            }
        }
    }

    /// Keeps the new flag values where `cond != 0`, the current ones elsewhere (shifts by a
    /// count that turns out to be zero leave the flags alone).
    pub fn select_flags(&mut self, cond: Temp, flags: &Flags) -> Flags {
        let mut out = Flags::default();
        let pick = |ctx: &mut Ctx, v: Option<Temp>, slot| {
            v.map(|v| {
                let old = ctx.flag(slot);
                ctx.select(cond, v, old)
            })
        };
        out.cf = pick(self, flags.cf, off::CF);
        out.pf = pick(self, flags.pf, off::PF);
        out.af = pick(self, flags.af, off::AF);
        out.zf = pick(self, flags.zf, off::ZF);
        out.sf = pick(self, flags.sf, off::SF);
        out.of = pick(self, flags.of, off::OF);
        out
    }

    /// The sign bit of `v` at width `w`, as 0/1.
    pub fn sign(&mut self, v: Temp, w: Width) -> Temp {
        self.bit(v, w.bits() - 1)
    }

    /// PF: 1 when the low byte of `r` has an even number of one bits.
    pub fn parity(&mut self, r: Temp) -> Temp {
        let ones = self.un(UnOp::Popcnt, r, Width::W8);
        let odd = self.bin_imm(BinOp::And, ones, 1, Width::W8);
        self.bin_imm(BinOp::Xor, odd, 1, Width::W8)
    }

    /// ZF: `r == 0` at width `w`.
    pub fn is_zero(&mut self, r: Temp, w: Width) -> Temp {
        self.cmp_imm(CmpOp::Eq, r, 0, w)
    }

    /// AF: carry/borrow out of bit 3, i.e. bit 4 of `a ^ b ^ r`.
    pub fn aux_carry(&mut self, a: Temp, b: Temp, r: Temp) -> Temp {
        let ab = self.bin(BinOp::Xor, a, b, Width::W64);
        let abr = self.bin(BinOp::Xor, ab, r, Width::W64);
        self.bit(abr, 4)
    }

    /// SF, ZF, PF of a result.
    pub fn flags_szp(&mut self, r: Temp, w: Width) -> Flags {
        Flags {
            sf: Some(self.sign(r, w)),
            zf: Some(self.is_zero(r, w)),
            pf: Some(self.parity(r)),
            ..Flags::default()
        }
    }

    /// Flags of `r = a + b + carry_in` at width `w` (add, adc, inc).
    pub fn flags_add(&mut self, a: Temp, b: Temp, carry_in: Option<Temp>, r: Temp, w: Width) -> Flags {
        let mut f = self.flags_szp(r, w);
        f.cf = Some(match carry_in {
            // No carry in: the sum wrapped iff it is below an addend.
            None => self.cmp(CmpOp::Ult, r, a, w),
            // Carry out of the top bit: (a & b) | ((a | b) & !r).
            Some(_) => {
                let and = self.bin(BinOp::And, a, b, w);
                let or = self.bin(BinOp::Or, a, b, w);
                let not_r = self.un(UnOp::Not, r, w);
                let t = self.bin(BinOp::And, or, not_r, w);
                let c = self.bin(BinOp::Or, and, t, w);
                self.sign(c, w)
            }
        });
        // Signed overflow: both addends differ in sign from the result.
        let ar = self.bin(BinOp::Xor, a, r, w);
        let br = self.bin(BinOp::Xor, b, r, w);
        let o = self.bin(BinOp::And, ar, br, w);
        f.of = Some(self.sign(o, w));
        f.af = Some(self.aux_carry(a, b, r));
        f
    }

    /// Flags of `r = a - b - borrow_in` at width `w` (sub, sbb, cmp, dec, neg).
    pub fn flags_sub(&mut self, a: Temp, b: Temp, borrow_in: Option<Temp>, r: Temp, w: Width) -> Flags {
        let mut f = self.flags_szp(r, w);
        f.cf = Some(match borrow_in {
            None => self.cmp(CmpOp::Ult, a, b, w),
            // Borrow out of the top bit: (!a & b) | (!(a ^ b) & r).
            Some(_) => {
                let not_a = self.un(UnOp::Not, a, w);
                let t1 = self.bin(BinOp::And, not_a, b, w);
                let xab = self.bin(BinOp::Xor, a, b, w);
                let nx = self.un(UnOp::Not, xab, w);
                let t2 = self.bin(BinOp::And, nx, r, w);
                let c = self.bin(BinOp::Or, t1, t2, w);
                self.sign(c, w)
            }
        });
        // Signed overflow: operands differ in sign and the result's sign differs from a's.
        let ab = self.bin(BinOp::Xor, a, b, w);
        let ar = self.bin(BinOp::Xor, a, r, w);
        let o = self.bin(BinOp::And, ab, ar, w);
        f.of = Some(self.sign(o, w));
        f.af = Some(self.aux_carry(a, b, r));
        f
    }

    /// Flags of a logical result (and, or, xor, test): CF = OF = 0, AF = 0 (undefined; the
    /// hardware clears it), SF ZF PF from the result.
    pub fn flags_logic(&mut self, r: Temp, w: Width) -> Flags {
        let mut f = self.flags_szp(r, w);
        let zero = self.constant(0);
        f.cf = Some(zero);
        f.of = Some(zero);
        f.af = Some(zero);
        f
    }

    /// The condition `cc` over the current flags, as 0 or 1.
    pub fn condition(&mut self, cc: ConditionCode) -> Option<Temp> {
        use ConditionCode as C;
        let (base, negate) = match cc {
            C::None => return None,
            C::o => (self.flag(off::OF), false),
            C::no => (self.flag(off::OF), true),
            C::b => (self.flag(off::CF), false),
            C::ae => (self.flag(off::CF), true),
            C::e => (self.flag(off::ZF), false),
            C::ne => (self.flag(off::ZF), true),
            C::be | C::a => {
                let cf = self.flag(off::CF);
                let zf = self.flag(off::ZF);
                (self.bin(BinOp::Or, cf, zf, Width::W8), cc == C::a)
            }
            C::s => (self.flag(off::SF), false),
            C::ns => (self.flag(off::SF), true),
            C::p => (self.flag(off::PF), false),
            C::np => (self.flag(off::PF), true),
            C::l | C::ge => {
                let sf = self.flag(off::SF);
                let of = self.flag(off::OF);
                (self.bin(BinOp::Xor, sf, of, Width::W8), cc == C::ge)
            }
            C::le | C::g => {
                let sf = self.flag(off::SF);
                let of = self.flag(off::OF);
                let lt = self.bin(BinOp::Xor, sf, of, Width::W8);
                let zf = self.flag(off::ZF);
                (self.bin(BinOp::Or, lt, zf, Width::W8), cc == C::g)
            }
        };
        Some(if negate { self.bin_imm(BinOp::Xor, base, 1, Width::W8) } else { base })
    }
}
