//! x87 floating point: what musl's printf (`long double` formatting), `long double` code and
//! gcc's x87 conversions execute. Loads and stores of 32/64/80-bit floats and 16/32/64-bit
//! integers, fld1/fldz, fxch, add/sub/subr/mul/div/divr in all operand forms (memory, st(i),
//! popping), fchs/fabs, fprem, frndint, fcom/fucom/fcomi/fucomi (and popping forms), ftst,
//! fxam, fnstsw, fninit, ffree.
//!
//! Every x87 instruction is one call of [`x87_helper`] with the instruction's iced `Code`, the
//! st(i) register it names and its memory address; the helper does the work on the register
//! stack in `X86State` in exact 80-bit arithmetic ([`round`] rounds a wide significand to the
//! precision and rounding mode of the control word). Not modelled: the exception flags of the
//! status word and unmasked x87 exceptions, stack overflow/underflow faults (an empty register
//! reads as whatever it last held), fprem's partial remainders (the whole reduction is done at
//! once, so C2 is always 0), and the transcendental instructions (fsin, fyl2x, ... trap as
//! unimplemented).

use super::{Ctx, Handler, Unsupported};
use crate::frontend::x86_64::X86State;
use crate::ir::{Helper, Width};
use core::cmp::Ordering;
use iced_x86::{Code, Instruction, Mnemonic, OpKind, Register};

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    use Mnemonic::*;
    match m {
        Fld | Fild | Fld1 | Fldz | Fst | Fstp | Fist | Fistp | Fxch | Fadd | Faddp | Fsub | Fsubp | Fsubr
        | Fsubrp | Fmul | Fmulp | Fdiv | Fdivp | Fdivr | Fdivrp | Fiadd | Fisub | Fisubr | Fimul | Fidiv
        | Fidivr | Fchs | Fabs | Fprem | Frndint | Fcom | Fcomp | Fcompp | Fucom | Fucomp | Fucompp
        | Fcomi | Fcomip | Fucomi | Fucomip | Ftst | Fxam | Fnstsw | Fninit | Ffree | Ffreep => Some(x87),
        _ => None,
    }
}

const X87_HELPER: Helper = Helper { name: "x87", func: x87_helper };

fn x87(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    if !implemented(insn.code()) {
        return Err(Unsupported);
    }
    let mut sti = 0u64;
    let mut addr = None;
    for i in 0..insn.op_count() {
        match insn.op_kind(i) {
            OpKind::Memory => addr = Some(ctx.mem_addr(insn)?),
            OpKind::Register => {
                let r = insn.op_register(i);
                if (Register::ST0..=Register::ST7).contains(&r) {
                    sti = sti.max(r as u64 - Register::ST0 as u64);
                }
            }
            _ => return Err(Unsupported),
        }
    }
    let sel = ctx.constant(insn.code() as u64 | sti << 16);
    let addr = match addr {
        Some(a) => a,
        None => ctx.constant(0),
    };
    let ax = ctx.call(X87_HELPER, &[sel, addr]);
    if insn.code() == Code::Fnstsw_AX {
        ctx.write_gpr(0, Width::W16, ax);
    }
    Ok(())
}

/// The forms [`x87_helper`] implements.
fn implemented(code: Code) -> bool {
    use Code::*;
    matches!(
        code,
        Fld_m32fp
            | Fld_m64fp
            | Fld_m80fp
            | Fld_sti
            | Fild_m16int
            | Fild_m32int
            | Fild_m64int
            | Fld1
            | Fldz
            | Fst_m32fp
            | Fst_m64fp
            | Fst_sti
            | Fstp_m32fp
            | Fstp_m64fp
            | Fstp_m80fp
            | Fstp_sti
            | Fist_m16int
            | Fist_m32int
            | Fistp_m16int
            | Fistp_m32int
            | Fistp_m64int
            | Fxch_st0_sti
            | Fadd_m32fp
            | Fadd_m64fp
            | Fadd_st0_sti
            | Fadd_sti_st0
            | Faddp_sti_st0
            | Fsub_m32fp
            | Fsub_m64fp
            | Fsub_st0_sti
            | Fsub_sti_st0
            | Fsubp_sti_st0
            | Fsubr_m32fp
            | Fsubr_m64fp
            | Fsubr_st0_sti
            | Fsubr_sti_st0
            | Fsubrp_sti_st0
            | Fmul_m32fp
            | Fmul_m64fp
            | Fmul_st0_sti
            | Fmul_sti_st0
            | Fmulp_sti_st0
            | Fdiv_m32fp
            | Fdiv_m64fp
            | Fdiv_st0_sti
            | Fdiv_sti_st0
            | Fdivp_sti_st0
            | Fdivr_m32fp
            | Fdivr_m64fp
            | Fdivr_st0_sti
            | Fdivr_sti_st0
            | Fdivrp_sti_st0
            | Fiadd_m16int
            | Fiadd_m32int
            | Fisub_m16int
            | Fisub_m32int
            | Fisubr_m16int
            | Fisubr_m32int
            | Fimul_m16int
            | Fimul_m32int
            | Fidiv_m16int
            | Fidiv_m32int
            | Fidivr_m16int
            | Fidivr_m32int
            | Fchs
            | Fabs
            | Fprem
            | Frndint
            | Fcom_m32fp
            | Fcom_m64fp
            | Fcom_st0_sti
            | Fcomp_m32fp
            | Fcomp_m64fp
            | Fcomp_st0_sti
            | Fcompp
            | Fucom_st0_sti
            | Fucomp_st0_sti
            | Fucompp
            | Fcomi_st0_sti
            | Fcomip_st0_sti
            | Fucomi_st0_sti
            | Fucomip_st0_sti
            | Ftst
            | Fxam
            | Fnstsw_AX
            | Fnstsw_m2byte
            | Fninit
            | Ffree_sti
            | Ffreep_sti
    )
}

/// An 80-bit extended value: significand with explicit integer bit, sign and biased exponent.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct F80 {
    pub m: u64,
    pub se: u16,
}

const BIAS: i32 = 16383;
/// The default (indefinite) NaN.
const INDEFINITE: F80 = F80 { m: 0xc000_0000_0000_0000, se: 0xffff };

/// Rounding modes (control word bits 10-11).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rc {
    Nearest,
    Down,
    Up,
    Zero,
}

impl F80 {
    fn sign(self) -> bool {
        self.se >> 15 != 0
    }
    fn exp(self) -> i32 {
        (self.se & 0x7fff) as i32
    }
    fn is_nan(self) -> bool {
        self.exp() == 0x7fff && self.m << 1 != 0
    }
    fn is_inf(self) -> bool {
        self.exp() == 0x7fff && self.m << 1 == 0
    }
    fn is_zero(self) -> bool {
        self.m == 0 && self.exp() != 0x7fff
    }
    fn quiet(self) -> F80 {
        F80 { m: self.m | 1 << 62, se: self.se }
    }
    fn zero(sign: bool) -> F80 {
        F80 { m: 0, se: (sign as u16) << 15 }
    }
    fn inf(sign: bool) -> F80 {
        F80 { m: 1 << 63, se: (sign as u16) << 15 | 0x7fff }
    }
    fn neg(self) -> F80 {
        F80 { m: self.m, se: self.se ^ 0x8000 }
    }
    /// A finite non-zero value as `m * 2^e` with the top bit of `m` set.
    fn unpack(self) -> (bool, i32, u64) {
        let lz = self.m.leading_zeros() as i32;
        let e = self.exp().max(1) - BIAS - 63;
        (self.sign(), e - lz, self.m << lz)
    }
}

/// Rounds `m * 2^e` (m != 0) to `p` significant bits, the leading bit's exponent in
/// `emin..=emax`, in mode `rc`. Returns `(lead, sig)` with the value `sig * 2^(lead - p + 1)`:
/// normal results have bit `p - 1` of `sig` set; denormal ones have `lead == emin` and a
/// smaller `sig`. Overflow gives None (infinity) or the largest finite value, per the mode.
fn round(sign: bool, e: i32, m: u128, p: u32, emin: i32, emax: i32, rc: Rc) -> Option<(i32, u64)> {
    let lz = m.leading_zeros() as i32;
    let m = m << lz;
    let mut lead = e - lz + 127;
    let keep_bits = if lead < emin { p as i32 - (emin - lead) } else { p as i32 };
    let denormal = lead < emin;
    if denormal {
        lead = emin;
    }
    // `rest`: the dropped bits as a fraction of the last kept bit, top-aligned.
    let (kept, rest) = match keep_bits {
        k if k > 0 => (m >> (128 - k), m << k),
        0 => (0, m),
        _ => (0, 1),
    };
    let half = 1u128 << 127;
    let up = match rc {
        Rc::Nearest => rest > half || (rest == half && kept & 1 == 1),
        Rc::Zero => false,
        Rc::Down => sign && rest != 0,
        Rc::Up => !sign && rest != 0,
    };
    let mut sig = kept + up as u128;
    if !denormal && sig >> p != 0 {
        sig >>= 1;
        lead += 1;
    }
    if lead > emax {
        let to_max = match rc {
            Rc::Nearest => false,
            Rc::Zero => true,
            Rc::Down => !sign,
            Rc::Up => sign,
        };
        return to_max.then_some((emax, u64::MAX >> (64 - p)));
    }
    Some((lead, sig as u64))
}

impl F80 {
    /// `m * 2^e` rounded to precision `p` (64, 53 or 24 bits) in the x87 exponent range.
    fn from_parts(sign: bool, e: i32, m: u128, p: u32, rc: Rc) -> F80 {
        if m == 0 {
            return F80::zero(sign);
        }
        match round(sign, e, m, p, 1 - BIAS, BIAS, rc) {
            None => F80::inf(sign),
            Some((lead, sig)) => {
                let m = sig << (64 - p);
                let biased = if m >> 63 != 0 { lead + BIAS } else { 0 };
                F80 { m, se: (sign as u16) << 15 | biased as u16 }
            }
        }
    }

    fn from_f64(bits: u64) -> F80 {
        let sign = bits >> 63 != 0;
        let e = ((bits >> 52) & 0x7ff) as i32;
        let frac = bits & ((1 << 52) - 1);
        match e {
            0x7ff if frac == 0 => F80::inf(sign),
            // NaN: payload kept at the top, made quiet (a signalling NaN raises IE on load).
            0x7ff => F80 { m: 1 << 63 | 1 << 62 | frac << 11, se: (sign as u16) << 15 | 0x7fff },
            0 if frac == 0 => F80::zero(sign),
            0 => F80::from_parts(sign, -1074, frac as u128, 64, Rc::Nearest),
            _ => F80 { m: 1 << 63 | frac << 11, se: (sign as u16) << 15 | (e - 1023 + BIAS) as u16 },
        }
    }

    fn from_f32(bits: u32) -> F80 {
        let sign = bits >> 31 != 0;
        let e = ((bits >> 23) & 0xff) as i32;
        let frac = (bits & 0x7f_ffff) as u64;
        match e {
            0xff if frac == 0 => F80::inf(sign),
            0xff => F80 { m: 1 << 63 | 1 << 62 | frac << 40, se: (sign as u16) << 15 | 0x7fff },
            0 if frac == 0 => F80::zero(sign),
            0 => F80::from_parts(sign, -149, frac as u128, 64, Rc::Nearest),
            _ => F80 { m: 1 << 63 | frac << 40, se: (sign as u16) << 15 | (e - 127 + BIAS) as u16 },
        }
    }

    fn from_int(v: i64) -> F80 {
        F80::from_parts(v < 0, 0, v.unsigned_abs() as u128, 64, Rc::Nearest)
    }

    /// To an IEEE format with `p` significand bits and `ebits` exponent bits.
    fn to_ieee(self, p: u32, ebits: u32, rc: Rc) -> u64 {
        let sign_bit = (self.sign() as u64) << (p + ebits - 1);
        let emax = (1i32 << (ebits - 1)) - 1;
        let inf = ((1u64 << ebits) - 1) << (p - 1);
        if self.is_nan() {
            // The NaN's fraction bits below the integer bit, truncated, made quiet.
            return sign_bit | inf | 1 << (p - 2) | (self.m << 1) >> (65 - p);
        }
        if self.is_inf() {
            return sign_bit | inf;
        }
        if self.is_zero() {
            return sign_bit;
        }
        let (sign, e, m) = self.unpack();
        match round(sign, e, m as u128, p, 1 - emax, emax, rc) {
            None => sign_bit | inf,
            Some((lead, sig)) => {
                let normal = sig >> (p - 1) != 0;
                let biased = if normal { (lead + emax) as u64 } else { 0 };
                sign_bit | biased << (p - 1) | (sig & ((1 << (p - 1)) - 1))
            }
        }
    }

    /// Rounds to an integer value in mode `rc` (frndint); NaN, infinity and zero unchanged.
    fn round_int(self, rc: Rc) -> F80 {
        if self.is_nan() || self.is_inf() || self.is_zero() {
            return self;
        }
        let (sign, e, m) = self.unpack();
        if e >= 0 {
            return self;
        }
        let shift = -e as u32;
        let int = if shift < 64 { m >> shift } else { 0 };
        let rest = match shift {
            s if s <= 128 => (m as u128) << (128 - s),
            _ => 1,
        };
        let half = 1u128 << 127;
        let up = match rc {
            Rc::Nearest => rest > half || (rest == half && int & 1 == 1),
            Rc::Zero => false,
            Rc::Down => sign && rest != 0,
            Rc::Up => !sign && rest != 0,
        };
        F80::from_parts(sign, 0, int as u128 + up as u128, 64, rc)
    }

    /// To a signed integer of `bits` bits in mode `rc`; the "integer indefinite" (only the
    /// sign bit) for NaN, infinity and out-of-range values.
    fn to_int(self, bits: u32, rc: Rc) -> u64 {
        let indefinite = 1u64 << (bits - 1);
        if self.is_nan() || self.is_inf() {
            return indefinite;
        }
        let r = self.round_int(rc);
        if r.is_zero() {
            return 0;
        }
        let (sign, e, m) = r.unpack();
        let mag: u128 = match e {
            e if e > 0 => return indefinite,
            0 => m as u128,
            e => (m >> -e) as u128,
        };
        let limit = 1u128 << (bits - 1);
        if (!sign && mag >= limit) || (sign && mag > limit) {
            return indefinite;
        }
        let v = if sign { (mag as u64).wrapping_neg() } else { mag as u64 };
        v & (u64::MAX >> (64 - bits))
    }
}

/// The x87 NaN rule for two operands: the NaN with the larger significand (made quiet).
fn nan_result(a: F80, b: F80) -> F80 {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => {
            if (a.m << 1) >= (b.m << 1) {
                a.quiet()
            } else {
                b.quiet()
            }
        }
        (true, false) => a.quiet(),
        _ => b.quiet(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

fn arith(op: Op, a: F80, b: F80, p: u32, rc: Rc) -> F80 {
    if a.is_nan() || b.is_nan() {
        return nan_result(a, b);
    }
    match op {
        Op::Sub => arith(Op::Add, a, b.neg(), p, rc),
        Op::Add => {
            if a.is_inf() || b.is_inf() {
                if a.is_inf() && b.is_inf() && a.sign() != b.sign() {
                    return INDEFINITE;
                }
                return if a.is_inf() { a } else { b };
            }
            if a.is_zero() && b.is_zero() {
                return F80::zero(if a.sign() == b.sign() { a.sign() } else { rc == Rc::Down });
            }
            if a.is_zero() {
                return F80::from_parts(b.sign(), b.unpack().1, b.unpack().2 as u128, p, rc);
            }
            if b.is_zero() {
                return F80::from_parts(a.sign(), a.unpack().1, a.unpack().2 as u128, p, rc);
            }
            let (sa, ea, ma) = a.unpack();
            let (sb, eb, mb) = b.unpack();
            // Both significands with 62 spare low bits; the smaller one shifted right with a
            // sticky bit.
            let (big, small) =
                if ea >= eb { ((sa, ea, ma), (sb, eb, mb)) } else { ((sb, eb, mb), (sa, ea, ma)) };
            let mbig = (big.2 as u128) << 62;
            let msmall = (small.2 as u128) << 62;
            let d = (big.1 - small.1) as u32;
            let msmall = if d == 0 {
                msmall
            } else if d < 126 {
                (msmall >> d) | (msmall << (128 - d) != 0) as u128
            } else {
                1
            };
            let e = big.1 - 62;
            if big.0 == small.0 {
                F80::from_parts(big.0, e, mbig + msmall, p, rc)
            } else if mbig >= msmall {
                let r = mbig - msmall;
                if r == 0 {
                    return F80::zero(rc == Rc::Down);
                }
                F80::from_parts(big.0, e, r, p, rc)
            } else {
                F80::from_parts(small.0, e, msmall - mbig, p, rc)
            }
        }
        Op::Mul => {
            let sign = a.sign() != b.sign();
            if (a.is_inf() && b.is_zero()) || (a.is_zero() && b.is_inf()) {
                return INDEFINITE;
            }
            if a.is_inf() || b.is_inf() {
                return F80::inf(sign);
            }
            if a.is_zero() || b.is_zero() {
                return F80::zero(sign);
            }
            let (_, ea, ma) = a.unpack();
            let (_, eb, mb) = b.unpack();
            F80::from_parts(sign, ea + eb, ma as u128 * mb as u128, p, rc)
        }
        Op::Div => {
            let sign = a.sign() != b.sign();
            if (a.is_inf() && b.is_inf()) || (a.is_zero() && b.is_zero()) {
                return INDEFINITE;
            }
            if a.is_inf() || b.is_zero() {
                return F80::inf(sign);
            }
            if a.is_zero() || b.is_inf() {
                return F80::zero(sign);
            }
            let (_, ea, ma) = a.unpack();
            let (_, eb, mb) = b.unpack();
            // 64-65 quotient bits, then 32 more from the remainder, then a sticky bit.
            let mb = mb as u128;
            let n = (ma as u128) << 64;
            let (q1, r1) = (n / mb, n % mb);
            let (q2, r2) = ((r1 << 32) / mb, (r1 << 32) % mb);
            F80::from_parts(sign, ea - eb - 64 - 33, q1 << 33 | q2 << 1 | (r2 != 0) as u128, p, rc)
        }
    }
}

/// fprem: the exact remainder of truncating division, and the low three quotient bits.
fn prem(a: F80, b: F80) -> (F80, u64) {
    if a.is_nan() || b.is_nan() {
        return (nan_result(a, b), 0);
    }
    if a.is_inf() || b.is_zero() {
        return (INDEFINITE, 0);
    }
    if a.is_zero() || b.is_inf() {
        return (a, 0);
    }
    let (sa, ea, ma) = a.unpack();
    let (_, eb, mb) = b.unpack();
    if ea < eb {
        return (a, 0);
    }
    let mb = mb as u128;
    let mut q = (ma as u128 / mb) as u64;
    let mut r = ma as u128 % mb;
    for _ in 0..(ea - eb) {
        r <<= 1;
        let bit = r >= mb;
        if bit {
            r -= mb;
        }
        q = q << 1 | bit as u64;
    }
    if r == 0 {
        return (F80::zero(sa), q & 7);
    }
    (F80::from_parts(sa, eb, r, 64, Rc::Nearest), q & 7)
}

fn compare(a: F80, b: F80) -> Option<Ordering> {
    if a.is_nan() || b.is_nan() {
        return None;
    }
    if a.is_zero() && b.is_zero() {
        return Some(Ordering::Equal);
    }
    let key = |x: F80| -> (i32, i32, u64) {
        if x.is_zero() {
            return (0, 0, 0);
        }
        let s = if x.sign() { -1 } else { 1 };
        (s, x.exp(), x.m)
    };
    let (ka, kb) = (key(a), key(b));
    if ka.0 != kb.0 {
        return Some(ka.0.cmp(&kb.0));
    }
    let mag = (ka.1, ka.2).cmp(&(kb.1, kb.2));
    Some(if ka.0 < 0 { mag.reverse() } else { mag })
}

const C0: u16 = 1 << 8;
const C1: u16 = 1 << 9;
const C2: u16 = 1 << 10;
const C3: u16 = 1 << 14;

/// Guest memory access for the helper.
///
/// # Safety
/// `addr .. addr + N` must be readable guest memory.
unsafe fn read<const N: usize>(addr: u64) -> [u8; N] {
    // SAFETY: per the contract (guest = host address); unaligned access is allowed.
    unsafe { (addr as *const [u8; N]).read_unaligned() }
}

/// # Safety
/// `addr .. addr + N` must be writable guest memory.
unsafe fn write<const N: usize>(addr: u64, bytes: [u8; N]) {
    // SAFETY: per the contract.
    unsafe { (addr as *mut [u8; N]).write_unaligned(bytes) }
}

struct Fpu<'a> {
    st: &'a mut X86State,
}

impl Fpu<'_> {
    fn phys(&self, i: u64) -> usize {
        (self.st.x87_top as usize + i as usize) & 7
    }
    fn get(&self, i: u64) -> F80 {
        let r = self.st.x87_regs[self.phys(i)];
        F80 { m: r[0], se: r[1] as u16 }
    }
    fn set(&mut self, i: u64, v: F80) {
        let p = self.phys(i);
        self.st.x87_regs[p] = [v.m, v.se as u64];
        self.st.x87_tags |= 1 << p;
    }
    fn push(&mut self, v: F80) {
        self.st.x87_top = (self.st.x87_top + 7) & 7;
        self.set(0, v);
    }
    fn pop(&mut self) {
        let p = self.phys(0);
        self.st.x87_tags &= !(1 << p);
        self.st.x87_top = (self.st.x87_top + 1) & 7;
    }
    fn rc(&self) -> Rc {
        match (self.st.fpu_cw >> 10) & 3 {
            0 => Rc::Nearest,
            1 => Rc::Down,
            2 => Rc::Up,
            _ => Rc::Zero,
        }
    }
    /// Significand bits of arithmetic results (precision control, bits 8-9).
    fn precision(&self) -> u32 {
        match (self.st.fpu_cw >> 8) & 3 {
            0 => 24,
            2 => 53,
            _ => 64,
        }
    }
    fn set_cc(&mut self, cc: u16) {
        self.st.x87_status = (self.st.x87_status & !(C0 | C1 | C2 | C3)) | cc;
    }
    fn status_word(&self) -> u16 {
        self.st.x87_status | (self.st.x87_top as u16) << 11
    }
}

/// Runs x87 instruction `sel & 0xffff` (an iced `Code`) naming st(`sel >> 16`) and memory
/// at `addr`. Returns the status word (for fnstsw ax).
pub extern "C" fn x87_helper(state: *mut u8, sel: u64, addr: u64, _: u64, _: u64) -> u64 {
    use Code::*;
    // SAFETY: translated code passes its live X86State.
    let st = unsafe { &mut *(state as *mut X86State) };
    let Ok(code) = Code::try_from((sel & 0xffff) as usize) else { return 0 };
    let i = (sel >> 16) & 7;
    let mut f = Fpu { st };
    let (p, rc) = (f.precision(), f.rc());
    // SAFETY (memory reads and writes below): `addr` is the instruction's own memory operand,
    // computed by the frontend; a fault is the guest's fault.
    let m32 = || F80::from_f32(u32::from_le_bytes(unsafe { read::<4>(addr) }));
    let m64 = || F80::from_f64(u64::from_le_bytes(unsafe { read::<8>(addr) }));
    let i16m = || F80::from_int(i16::from_le_bytes(unsafe { read::<2>(addr) }) as i64);
    let i32m = || F80::from_int(i32::from_le_bytes(unsafe { read::<4>(addr) }) as i64);
    let arith_op = |code: Code| -> Option<(Op, bool)> {
        // (operation, reversed operands)
        Some(match code {
            Fadd_m32fp | Fadd_m64fp | Fadd_st0_sti | Fadd_sti_st0 | Faddp_sti_st0 | Fiadd_m16int
            | Fiadd_m32int => (Op::Add, false),
            Fsub_m32fp | Fsub_m64fp | Fsub_st0_sti | Fsub_sti_st0 | Fsubp_sti_st0 | Fisub_m16int
            | Fisub_m32int => (Op::Sub, false),
            Fsubr_m32fp | Fsubr_m64fp | Fsubr_st0_sti | Fsubr_sti_st0 | Fsubrp_sti_st0 | Fisubr_m16int
            | Fisubr_m32int => (Op::Sub, true),
            Fmul_m32fp | Fmul_m64fp | Fmul_st0_sti | Fmul_sti_st0 | Fmulp_sti_st0 | Fimul_m16int
            | Fimul_m32int => (Op::Mul, false),
            Fdiv_m32fp | Fdiv_m64fp | Fdiv_st0_sti | Fdiv_sti_st0 | Fdivp_sti_st0 | Fidiv_m16int
            | Fidiv_m32int => (Op::Div, false),
            Fdivr_m32fp | Fdivr_m64fp | Fdivr_st0_sti | Fdivr_sti_st0 | Fdivrp_sti_st0 | Fidivr_m16int
            | Fidivr_m32int => (Op::Div, true),
            _ => return None,
        })
    };
    if let Some((op, reversed)) = arith_op(code) {
        // Destination and the two operands: `dst = x op y` (reversed: `y op x`).
        let name = format!("{code:?}");
        let (dst, x, y) = if name.ends_with("_m32fp") {
            (0, f.get(0), m32())
        } else if name.ends_with("_m64fp") {
            (0, f.get(0), m64())
        } else if name.ends_with("_m16int") {
            (0, f.get(0), i16m())
        } else if name.ends_with("_m32int") {
            (0, f.get(0), i32m())
        } else if name.ends_with("_st0_sti") {
            (0, f.get(0), f.get(i))
        } else {
            // st(i) = st(i) op st(0), and the popping forms.
            (i, f.get(i), f.get(0))
        };
        let r = if reversed { arith(op, y, x, p, rc) } else { arith(op, x, y, p, rc) };
        f.set(dst, r);
        if name.contains("p_sti_st0") {
            f.pop();
        }
        return f.status_word() as u64;
    }
    let cmp_cc = |o: Option<Ordering>| match o {
        None => C3 | C2 | C0,
        Some(Ordering::Greater) => 0,
        Some(Ordering::Less) => C0,
        Some(Ordering::Equal) => C3,
    };
    match code {
        Fld_m32fp => f.push(m32()),
        Fld_m64fp => f.push(m64()),
        Fld_m80fp => {
            // SAFETY: see above.
            let b = unsafe { read::<10>(addr) };
            let m = u64::from_le_bytes(b[..8].try_into().unwrap());
            f.push(F80 { m, se: u16::from_le_bytes([b[8], b[9]]) });
        }
        Fld_sti => {
            let v = f.get(i);
            f.push(v);
        }
        Fild_m16int => f.push(i16m()),
        Fild_m32int => f.push(i32m()),
        Fild_m64int => f.push(F80::from_int(i64::from_le_bytes(unsafe { read::<8>(addr) }))),
        Fld1 => f.push(F80 { m: 1 << 63, se: BIAS as u16 }),
        Fldz => f.push(F80::zero(false)),
        Fst_m32fp | Fstp_m32fp => {
            let v = f.get(0).to_ieee(24, 8, rc) as u32;
            // SAFETY: see above.
            unsafe { write(addr, v.to_le_bytes()) };
            if code == Fstp_m32fp {
                f.pop();
            }
        }
        Fst_m64fp | Fstp_m64fp => {
            let v = f.get(0).to_ieee(53, 11, rc);
            // SAFETY: see above.
            unsafe { write(addr, v.to_le_bytes()) };
            if code == Fstp_m64fp {
                f.pop();
            }
        }
        Fstp_m80fp => {
            let v = f.get(0);
            let mut b = [0u8; 10];
            b[..8].copy_from_slice(&v.m.to_le_bytes());
            b[8..].copy_from_slice(&v.se.to_le_bytes());
            // SAFETY: see above.
            unsafe { write(addr, b) };
            f.pop();
        }
        Fst_sti | Fstp_sti => {
            let v = f.get(0);
            f.set(i, v);
            if code == Fstp_sti {
                f.pop();
            }
        }
        Fist_m16int | Fistp_m16int => {
            let v = f.get(0).to_int(16, rc) as u16;
            // SAFETY: see above.
            unsafe { write(addr, v.to_le_bytes()) };
            if code == Fistp_m16int {
                f.pop();
            }
        }
        Fist_m32int | Fistp_m32int => {
            let v = f.get(0).to_int(32, rc) as u32;
            // SAFETY: see above.
            unsafe { write(addr, v.to_le_bytes()) };
            if code == Fistp_m32int {
                f.pop();
            }
        }
        Fistp_m64int => {
            let v = f.get(0).to_int(64, rc);
            // SAFETY: see above.
            unsafe { write(addr, v.to_le_bytes()) };
            f.pop();
        }
        Fxch_st0_sti => {
            let (a, b) = (f.get(0), f.get(i));
            f.set(0, b);
            f.set(i, a);
        }
        Fchs => {
            let v = f.get(0);
            f.set(0, v.neg());
        }
        Fabs => {
            let v = f.get(0);
            f.set(0, F80 { m: v.m, se: v.se & 0x7fff });
        }
        Frndint => {
            let v = f.get(0).round_int(rc);
            f.set(0, v);
        }
        Fprem => {
            let (r, q) = prem(f.get(0), f.get(1));
            f.set(0, r);
            let cc = if q & 4 != 0 { C0 } else { 0 }
                | if q & 2 != 0 { C3 } else { 0 }
                | if q & 1 != 0 { C1 } else { 0 };
            f.set_cc(cc);
        }
        Fcom_m32fp | Fcomp_m32fp => {
            let cc = cmp_cc(compare(f.get(0), m32()));
            f.set_cc(cc);
            if code == Fcomp_m32fp {
                f.pop();
            }
        }
        Fcom_m64fp | Fcomp_m64fp => {
            let cc = cmp_cc(compare(f.get(0), m64()));
            f.set_cc(cc);
            if code == Fcomp_m64fp {
                f.pop();
            }
        }
        Fcom_st0_sti | Fcomp_st0_sti | Fucom_st0_sti | Fucomp_st0_sti | Fcompp | Fucompp => {
            let other = if matches!(code, Fcompp | Fucompp) { 1 } else { i };
            let cc = cmp_cc(compare(f.get(0), f.get(other)));
            f.set_cc(cc);
            if matches!(code, Fcomp_st0_sti | Fucomp_st0_sti | Fcompp | Fucompp) {
                f.pop();
            }
            if matches!(code, Fcompp | Fucompp) {
                f.pop();
            }
        }
        Fcomi_st0_sti | Fcomip_st0_sti | Fucomi_st0_sti | Fucomip_st0_sti => {
            let (z, pf, c) = match compare(f.get(0), f.get(i)) {
                None => (1, 1, 1),
                Some(Ordering::Greater) => (0, 0, 0),
                Some(Ordering::Less) => (0, 0, 1),
                Some(Ordering::Equal) => (1, 0, 0),
            };
            f.st.zf = z;
            f.st.pf = pf;
            f.st.cf = c;
            f.st.of = 0;
            f.st.sf = 0;
            f.st.af = 0;
            if matches!(code, Fcomip_st0_sti | Fucomip_st0_sti) {
                f.pop();
            }
        }
        Ftst => {
            let cc = cmp_cc(compare(f.get(0), F80::zero(false)));
            f.set_cc(cc);
        }
        Fxam => {
            let v = f.get(0);
            let class = if f.st.x87_tags & (1 << f.phys(0)) == 0 {
                C3 | C0
            } else if v.is_nan() {
                C0
            } else if v.is_inf() {
                C2 | C0
            } else if v.is_zero() {
                C3
            } else if v.exp() == 0 {
                C3 | C2
            } else {
                C2
            };
            f.set_cc(class | if v.sign() { C1 } else { 0 });
        }
        Fnstsw_m2byte => {
            let w = f.status_word();
            // SAFETY: see above.
            unsafe { write(addr, w.to_le_bytes()) };
        }
        Fnstsw_AX => {}
        Fninit => {
            f.st.fpu_cw = 0x37f;
            f.st.x87_status = 0;
            f.st.x87_top = 0;
            f.st.x87_tags = 0;
        }
        Ffree_sti => {
            let ph = f.phys(i);
            f.st.x87_tags &= !(1 << ph);
        }
        Ffreep_sti => {
            let ph = f.phys(i);
            f.st.x87_tags &= !(1 << ph);
            f.pop();
        }
        _ => {}
    }
    f.status_word() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(x: f64) -> F80 {
        F80::from_f64(x.to_bits())
    }
    fn d(x: F80) -> f64 {
        f64::from_bits(x.to_ieee(53, 11, Rc::Nearest))
    }

    #[test]
    fn arithmetic_round_trips_through_double() {
        for (a, b) in [(1.5, 2.25), (1e300, 1e-300), (-3.0, 7.0), (0.1, 0.2), (5e-324, 3.0)] {
            assert_eq!(d(arith(Op::Add, f(a), f(b), 64, Rc::Nearest)), a + b);
            assert_eq!(d(arith(Op::Mul, f(a), f(b), 53, Rc::Nearest)), a * b);
            assert_eq!(d(arith(Op::Div, f(a), f(b), 53, Rc::Nearest)), a / b);
            assert_eq!(d(arith(Op::Sub, f(a), f(b), 53, Rc::Nearest)), a - b);
        }
        assert_eq!(f(2.5).to_int(32, Rc::Nearest), 2);
        assert_eq!(f(-2.5).to_int(32, Rc::Zero), (-2i32) as u32 as u64);
        assert_eq!(f(1e20).to_int(32, Rc::Nearest), 0x8000_0000);
        assert_eq!(d(f(7.5).round_int(Rc::Nearest)), 8.0);
        assert_eq!(d(prem(f(7.5), f(2.0)).0), 1.5);
        assert_eq!(F80::from_int(-1), f(-1.0));
    }
}
