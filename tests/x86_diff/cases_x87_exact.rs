//! More x87 cases (beside `cases_x87`): every arithmetic form against random 80-bit operands
//! in every rounding mode (precision control stays at 64 bits: the x87 helpers do not honour
//! it), conversions, compares. The x87 registers are not part of the compared state, so every case stores its
//! results to memory (80-bit stores keep every bit) or to flags/ax, and the comparison sees
//! them there. Operands: random 80-bit values, doubles full of special values, integers, and
//! a random control word (rounding mode and precision control).
//!
//! Memory at rsi: +0x00 a (m80), +0x10 b (m80), +0x20 and +0x40 results (m80), +0x30 the
//! control word, +0x50/+0x58 doubles, +0x60 a 64-bit integer.

use crate::case::{generate, mem, Case, Rng, SCRATCH_BASE};
use iced_x86::{Code, Instruction, MemoryOperand, Register};

const RSI: usize = 6;

pub fn b(r: Result<Instruction, iced_x86::IcedError>) -> Instruction {
    crate::case::built(r)
}
pub fn m(d: i64) -> MemoryOperand {
    mem(Register::RSI, d)
}
pub fn i1m(code: Code, d: i64) -> Instruction {
    b(Instruction::with1(code, m(d)))
}
pub fn st(n: u32) -> Register {
    [Register::ST0, Register::ST1, Register::ST2, Register::ST3][n as usize]
}
fn i2(code: Code, x: u32, y: u32) -> Instruction {
    b(Instruction::with2(code, st(x), st(y)))
}

/// A random valid 80-bit value (integer bit set for non-zero exponents), sometimes special.
fn f80(rng: &mut Rng, clean: bool) -> [u8; 10] {
    let (mant, se): (u64, u16) = match rng.below(if clean { 5 } else { 8 }) {
        0 => (0, (rng.below(2) as u16) << 15),
        1 => (1 << 63, 0x7fff | (rng.below(2) as u16) << 15),
        2 => {
            let x = f64::from_bits(rng.interesting_f64());
            let x = if clean && (x.is_nan() || x.is_subnormal()) { 1.5 } else { x };
            return f64_to_f80(x);
        }
        3 => (1 << 63 | rng.next() >> 1, (0x3fff - 5 + rng.below(10)) as u16 | (rng.below(2) as u16) << 15),
        4 => (1 << 63 | rng.next() >> 1, (0x3fff - 70 + rng.below(140)) as u16 | (rng.below(2) as u16) << 15),
        5 => (0xc000_0000_0000_0000 | rng.next() >> 2, 0x7fff | (rng.below(2) as u16) << 15),
        6 => (rng.next() >> 1, 0),
        _ => (1 << 63 | rng.next() >> 1, (rng.below(0x7ffe) + 1) as u16),
    };
    let mut out = [0u8; 10];
    out[..8].copy_from_slice(&mant.to_le_bytes());
    out[8..].copy_from_slice(&se.to_le_bytes());
    out
}

/// A double widened exactly to 80 bits (for finite normal values and zeros/infinities/NaNs).
fn f64_to_f80(x: f64) -> [u8; 10] {
    let bits = x.to_bits();
    let sign = (bits >> 63) as u16;
    let e = ((bits >> 52) & 0x7ff) as u16;
    let frac = bits & ((1 << 52) - 1);
    let (m, se) = match e {
        0 if frac == 0 => (0, 0),
        0 => (1 << 63, 0x3fff), // denormal doubles: use 1.0 instead
        0x7ff => (1 << 63 | frac << 11 | if frac != 0 { 1 << 62 } else { 0 }, 0x7fff),
        _ => (1 << 63 | frac << 11, (e as i32 - 1023 + 0x3fff) as u16),
    };
    let mut out = [0u8; 10];
    out[..8].copy_from_slice(&m.to_le_bytes());
    out[8..].copy_from_slice(&(se | sign << 15).to_le_bytes());
    out
}

/// Cases running `body` after loading the control word; `clean` keeps NaNs and denormals out
/// (for sequences whose result shows the status word, whose exception flags are not modelled).
fn program(name: &str, body: &[Instruction], n: usize, clean: bool, any_precision: bool) -> Vec<Case> {
    let mut seq = vec![i1m(Code::Fldcw_m2byte, 0x30)];
    seq.extend_from_slice(body);
    generate(name, n, |rng| {
        let mut c = Case::insns("", &seq).random_state(rng, &[RSI]);
        let base = (c.init.gpr[RSI] - SCRATCH_BASE) as u32;
        let rc = rng.below(4) as u16;
        let pc = if any_precision { [0u16, 2, 3][rng.below(3) as usize] } else { 3 };
        let cw: u16 = 0x7f | 0x40 | pc << 8 | rc << 10;
        c = c
            .mem(base, &f80(rng, clean))
            .mem(base + 0x10, &f80(rng, clean))
            .mem(base + 0x30, &cw.to_le_bytes());
        let d1 = rng.interesting_f64();
        let d2 = rng.interesting_f64();
        let (d1, d2) = if clean {
            (
                1.25f64.to_bits() ^ (d1 & 0x800f_0000_0000_0000),
                d2 & !0x7ff0_0000_0000_0000 | 0x4000_0000_0000_0000,
            )
        } else {
            (d1, d2)
        };
        c = c.mem(base + 0x50, &d1.to_le_bytes()).mem(base + 0x58, &d2.to_le_bytes());
        c = c.mem(base + 0x60, &rng.interesting_u64().to_le_bytes());
        c
    })
}

pub fn cases() -> Vec<Case> {
    use Code::*;
    let mut out = Vec::new();
    let lda = i1m(Fld_m80fp, 0);
    let ldb = i1m(Fld_m80fp, 0x10);
    let out1 = i1m(Fstp_m80fp, 0x20);
    let out2 = i1m(Fstp_m80fp, 0x40);
    const N: usize = 12;
    // Two-register arithmetic, popping and not, both directions.
    for code in [Faddp_sti_st0, Fsubp_sti_st0, Fsubrp_sti_st0, Fmulp_sti_st0, Fdivp_sti_st0, Fdivrp_sti_st0] {
        out.extend(program(&format!("{code:?}"), &[lda, ldb, i2(code, 1, 0), out1], N, false, false));
    }
    for code in [Fadd_st0_sti, Fsub_st0_sti, Fsubr_st0_sti, Fmul_st0_sti, Fdiv_st0_sti, Fdivr_st0_sti] {
        out.extend(program(&format!("{code:?}"), &[lda, ldb, i2(code, 0, 1), out1, out2], N, false, false));
    }
    for code in [Fadd_sti_st0, Fsub_sti_st0, Fsubr_sti_st0, Fmul_sti_st0, Fdiv_sti_st0, Fdivr_sti_st0] {
        out.extend(program(&format!("{code:?}"), &[lda, ldb, i2(code, 1, 0), out1, out2], N, false, false));
    }
    // Memory operands: doubles, floats, integers.
    for code in [
        Fadd_m64fp,
        Fsub_m64fp,
        Fsubr_m64fp,
        Fmul_m64fp,
        Fdiv_m64fp,
        Fdivr_m64fp,
        Fadd_m32fp,
        Fsub_m32fp,
        Fsubr_m32fp,
        Fmul_m32fp,
        Fdiv_m32fp,
        Fdivr_m32fp,
    ] {
        out.extend(program(&format!("{code:?}"), &[lda, i1m(code, 0x58), out1], N, false, false));
    }
    for code in [
        Fiadd_m32int,
        Fisub_m32int,
        Fisubr_m32int,
        Fimul_m32int,
        Fidiv_m32int,
        Fidivr_m32int,
        Fiadd_m16int,
        Fisub_m16int,
        Fisubr_m16int,
        Fimul_m16int,
        Fidiv_m16int,
        Fidivr_m16int,
    ] {
        out.extend(program(&format!("{code:?}"), &[lda, i1m(code, 0x60), out1], N, false, false));
    }
    // Loads and stores with conversion and rounding.
    for (name, body) in [
        ("fld-m64", vec![i1m(Fld_m64fp, 0x50), out1]),
        ("fld-m32", vec![i1m(Fld_m32fp, 0x50), out1]),
        ("fst-m64", vec![lda, i1m(Fst_m64fp, 0x20), i1m(Fstp_m64fp, 0x28)]),
        ("fst-m32", vec![lda, i1m(Fst_m32fp, 0x20), i1m(Fstp_m32fp, 0x24)]),
        ("fild-m64", vec![i1m(Fild_m64int, 0x60), out1]),
        ("fild-m32", vec![i1m(Fild_m32int, 0x60), out1]),
        ("fild-m16", vec![i1m(Fild_m16int, 0x60), out1]),
        ("fistp-m64", vec![lda, i1m(Fistp_m64int, 0x20)]),
        ("fistp-m32", vec![lda, i1m(Fist_m32int, 0x20), i1m(Fistp_m32int, 0x24)]),
        ("fistp-m16", vec![lda, i1m(Fist_m16int, 0x20), i1m(Fistp_m16int, 0x24)]),
        ("fld1-fldz", vec![i0(Fld1), i0(Fldz), out1, out2]),
        ("fld-sti", vec![lda, ldb, b(Instruction::with1(Fld_sti, st(1))), out1, out2, i1m(Fstp_m80fp, 0x60)]),
        ("fst-sti", vec![lda, ldb, b(Instruction::with1(Fst_sti, st(1))), out1, out2]),
        ("fstp-sti", vec![lda, ldb, b(Instruction::with1(Fstp_sti, st(1))), out1]),
        ("fxch", vec![lda, ldb, i2(Fxch_st0_sti, 0, 1), out1, out2]),
        ("fchs", vec![lda, i0(Fchs), out1]),
        ("fabs", vec![lda, i0(Fabs), out1]),
        ("frndint", vec![lda, i0(Frndint), out1]),
        ("ffree", vec![lda, ldb, b(Instruction::with1(Ffree_sti, st(1))), out1]),
        ("ffreep", vec![lda, ldb, b(Instruction::with1(Ffreep_sti, st(0))), out1]),
    ] {
        out.extend(program(name, &body, N, false, false));
    }
    // fprem on operands of close magnitude (the reduction completes in one step).
    out.extend(program(
        "fprem",
        &[i1m(Fld_m64fp, 0x58), i1m(Fld_m64fp, 0x50), i0(Fprem), out1, out2],
        N,
        true,
        false,
    ));
    // Compares: flags, and the condition codes through fnstsw on clean operands.
    for code in [Fcomi_st0_sti, Fucomi_st0_sti] {
        out.extend(program(&format!("{code:?}"), &[ldb, lda, i2(code, 0, 1), out1, out2], N, false, false));
    }
    for code in [Fcomip_st0_sti, Fucomip_st0_sti] {
        out.extend(program(&format!("{code:?}"), &[ldb, lda, i2(code, 0, 1), out1], N, false, false));
    }
    let fnstsw = b(Instruction::with1(Fnstsw_AX, Register::AX));
    for (name, body) in [
        ("fcom", vec![ldb, lda, i2(Fcom_st0_sti, 0, 1), fnstsw, out1, out2]),
        ("fcomp", vec![ldb, lda, i2(Fcomp_st0_sti, 0, 1), fnstsw, out1]),
        ("fucom", vec![ldb, lda, i2(Fucom_st0_sti, 0, 1), fnstsw, out1, out2]),
        ("fucomp", vec![ldb, lda, i2(Fucomp_st0_sti, 0, 1), fnstsw, out1]),
        ("fcompp", vec![ldb, lda, i0(Fcompp), fnstsw]),
        ("fucompp", vec![ldb, lda, i0(Fucompp), fnstsw]),
        ("fcom-m64", vec![lda, i1m(Fcom_m64fp, 0x50), fnstsw, out1]),
        ("fcomp-m64", vec![lda, i1m(Fcomp_m64fp, 0x50), fnstsw]),
        ("fcom-m32", vec![lda, i1m(Fcom_m32fp, 0x50), fnstsw, out1]),
        ("fcomp-m32", vec![lda, i1m(Fcomp_m32fp, 0x50), fnstsw]),
        ("ftst", vec![lda, i0(Ftst), fnstsw, out1]),
        ("fxam", vec![lda, i0(Fxam), fnstsw, out1]),
        ("fnstsw-m16", vec![lda, ldb, i1m(Fnstsw_m2byte, 0x20), out1, out2]),
        ("fninit", vec![lda, i0(Fninit), fnstsw, i1m(Fnstcw_m2byte, 0x20)]),
    ] {
        out.extend(program(name, &body, N, true, false));
    }
    out
}

pub fn i0(code: Code) -> Instruction {
    Instruction::with(code)
}
