//! x87 transcendental and partial-remainder cases (FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1,
//! FYL2X, FYL2XP1, FXTRACT, FPREM, FPREM1): each program starts with fninit and a random
//! control word (rounding control, precision control), loads b then a (m80), runs the
//! instruction, stores the status word to ax (C1, C2, exception flags, TOP) and every stack
//! register left to memory (80-bit stores keep every bit), and ends with fninit.
//!
//! Operands come from classes: small, large, near multiples of pi/2 (the hardware reduces
//! with a 66-bit pi), denormals, zeros, infinities, NaNs (quiet and signalling), |x| >= 2^63
//! and any valid value; each instruction draws from the classes in which the SDM defines its
//! result (F2XM1: -1 <= x <= 1; FYL2XP1: |x| < 1 - sqrt(2)/2).
//!
//! FPREM/FPREM1 run in a loop until C2 = 0 (the intermediate partial remainders depend on an
//! implementation-dependent reduction step; the final remainder and quotient bits do not),
//! and once alone with only C2, TOP and the exception flags kept.
//!
//! Memory at rsi: +0x00 a (m80), +0x10 b (m80), +0x20, +0x40, +0x60 results (m80), +0x30
//! the control word.

use crate::case::{encode, generate, Case, Rng, SCRATCH_BASE};
use crate::cases_x87_exact::{b, i0, i1m};
use iced_x86::{Code, Instruction, Register};

const RSI: usize = 6;
const N: usize = 40;

/// Operand classes.
#[derive(Clone, Copy)]
enum Class {
    Small,
    Large,
    NearPi,
    Denormal,
    Zero,
    Inf,
    Nan,
    Huge,
    Any,
    /// -1 <= x <= 1 (F2XM1's domain).
    Unit,
    /// |x| < 1 - sqrt(2)/2 (FYL2XP1's domain).
    Lp1,
    /// Positive, normal, any exponent.
    Positive,
}

fn bytes(mant: u64, se: u16) -> [u8; 10] {
    let mut out = [0u8; 10];
    out[..8].copy_from_slice(&mant.to_le_bytes());
    out[8..].copy_from_slice(&se.to_le_bytes());
    out
}

/// pi rounded to 66 bits, as an integer (pi = PI66 * 2^-64).
const PI66: u128 = (0xc90f_daa2_2168_c234u128 << 2) | 3;

fn operand(rng: &mut Rng, class: Class) -> [u8; 10] {
    let sign = (rng.below(2) as u16) << 15;
    let frac = |rng: &mut Rng| 1u64 << 63 | rng.next() >> 1;
    match class {
        Class::Small => bytes(frac(rng), (0x3fff - 8 + rng.below(16)) as u16 | sign),
        Class::Large => bytes(frac(rng), (0x3fff + rng.below(63)) as u16 | sign),
        Class::NearPi => {
            // k * pi66/2, a few units in the last place either side.
            let k = 1 + (rng.next() >> (rng.below(62) + 2));
            let prod = k as u128 * PI66;
            let lz = prod.leading_zeros();
            let mant = ((prod << lz) >> 64) as u64;
            let e = 127 - lz as i32 - 65;
            let delta = rng.below(9) as i64 - 4;
            let mant = mant.wrapping_add(delta as u64) | 1 << 63;
            bytes(mant, (0x3fff + e) as u16 | sign)
        }
        Class::Denormal => bytes(rng.next() >> (1 + rng.below(63)), sign),
        Class::Zero => bytes(0, sign),
        Class::Inf => bytes(1 << 63, 0x7fff | sign),
        Class::Nan => {
            let quiet = if rng.below(2) == 0 { 1 << 62 } else { 0 };
            let payload = (rng.next() >> 2) | 1;
            bytes(1 << 63 | quiet | payload, 0x7fff | sign)
        }
        Class::Huge => bytes(frac(rng), (0x3fff + 63 + rng.below(200)) as u16 | sign),
        Class::Any => bytes(frac(rng), (1 + rng.below(0x7ffe)) as u16 | sign),
        Class::Unit => match rng.below(6) {
            0 => bytes(1 << 63, 0x3fff | sign),
            1 => bytes(frac(rng), (0x3fff - 70 + rng.below(70)) as u16 | sign),
            2 => bytes(frac(rng), (0x3fff - 16000 + rng.below(15900)) as u16 | sign),
            _ => bytes(frac(rng), (0x3fff - 6 + rng.below(6)) as u16 | sign),
        },
        Class::Lp1 => match rng.below(4) {
            0 => bytes(frac(rng), (0x3fff - 3) as u16 | sign),
            1 => bytes(frac(rng), (0x3fff - 64 + rng.below(60)) as u16 | sign),
            2 => bytes(frac(rng), (0x3fff - 16000 + rng.below(15900)) as u16 | sign),
            _ => bytes(frac(rng), (0x3fff - 10 + rng.below(7)) as u16 | sign),
        },
        Class::Positive => match rng.below(4) {
            0 => bytes(1 << 63, (0x3fff - 100 + rng.below(200)) as u16),
            1 => bytes(frac(rng), (0x3fff - 2 + rng.below(3)) as u16),
            _ => bytes(frac(rng), (1 + rng.below(0x7ffe)) as u16),
        },
    }
}

/// Status-word bits recorded from AMD behaviour that an Intel processor may set otherwise,
/// which the SDM does not settle: C1 (the rounding direction of a result defined to one
/// ulp), PE on results that are exact (AMD sets it for exact FYL2X products and F2XM1(-1)),
/// UE and DE (AMD reports no denormal operand when the operation is invalid, divides by zero
/// or has a NaN operand), and C0/C3 (AMD leaves them as they were when FPREM has no
/// quotient). xlate does what the recording says; only the check of the recording against a
/// native run on another processor ignores these bits.
const VENDOR_AX_BITS: u64 = 1 << 8 | 1 << 9 | 1 << 14 | 1 << 5 | 1 << 4 | 1 << 1;

fn pick(rng: &mut Rng, classes: &[Class]) -> Class {
    classes[rng.below(classes.len() as u64) as usize]
}

/// Cases of `code`: fninit, fldcw, fld b, fld a, `code`, fnstsw ax, three fstp m80, fninit.
/// With `after` given, that replaces the stores (the stack is left to fninit). `ulp`: the
/// results are defined to within one ulp (see [`crate::ulp`]).
fn program(
    name: &str,
    code: &[u8],
    after: &[Instruction],
    a: &[Class],
    bc: &[Class],
    ulp: bool,
) -> Vec<Case> {
    use Code::*;
    let head = encode(&[i0(Fninit), i1m(Fldcw_m2byte, 0x30), i1m(Fld_m80fp, 0x10), i1m(Fld_m80fp, 0)]);
    let mut tail = vec![b(Instruction::with1(Fnstsw_AX, Register::AX))];
    tail.extend_from_slice(after);
    if after.is_empty() {
        tail.extend([i1m(Fstp_m80fp, 0x20), i1m(Fstp_m80fp, 0x40), i1m(Fstp_m80fp, 0x60)]);
    }
    tail.push(i0(Fninit));
    let mut bytes_all = head;
    bytes_all.extend_from_slice(code);
    bytes_all.extend(encode(&tail));
    generate(&format!("x87t/{name}"), N, |rng| {
        let mut c = Case::new("", bytes_all.clone()).random_state(rng, &[RSI]);
        let base = (c.init.gpr[RSI] - SCRATCH_BASE) as u32;
        let rc = rng.below(4) as u16;
        let pc = [0u16, 2, 3][rng.below(3) as usize];
        let cw: u16 = 0x7f | 0x40 | pc << 8 | rc << 10;
        let ca = pick(rng, a);
        let cb = pick(rng, bc);
        c = c
            .mem(base, &operand(rng, ca))
            .mem(base + 0x10, &operand(rng, cb))
            .mem(base + 0x30, &cw.to_le_bytes());
        if ulp {
            c.ulp_slots = vec![base + 0x20, base + 0x40];
        }
        c.vendor_ax_bits = VENDOR_AX_BITS;
        c
    })
}

pub fn cases() -> Vec<Case> {
    use Class::*;
    let trig = [Small, Small, Large, NearPi, NearPi, Denormal, Zero, Inf, Nan, Huge, Any];
    let any = [Small, Large, Denormal, Zero, Inf, Nan, Any, Positive];
    let mut out = Vec::new();
    for (name, code) in
        [("fsin", [0xd9u8, 0xfe]), ("fcos", [0xd9, 0xff]), ("fsincos", [0xd9, 0xfb]), ("fptan", [0xd9, 0xf2])]
    {
        out.extend(program(name, &code, &[], &trig, &[Small], true));
    }
    out.extend(program(
        "f2xm1",
        &[0xd9, 0xf0],
        &[],
        &[Unit, Unit, Unit, Denormal, Zero, Nan],
        &[Small],
        true,
    ));
    out.extend(program("fxtract", &[0xd9, 0xf4], &[], &any, &[Small], false));
    out.extend(program("fpatan", &[0xd9, 0xf3], &[], &any, &any, true));
    out.extend(program(
        "fyl2x",
        &[0xd9, 0xf1],
        &[],
        &[Positive, Positive, Positive, Denormal, Zero, Inf, Nan, Small],
        &any,
        true,
    ));
    out.extend(program("fyl2xp1", &[0xd9, 0xf9], &[], &[Lp1, Lp1, Lp1, Denormal, Zero, Nan], &any, true));
    // FPREM/FPREM1 to completion: L: fprem; fnstsw ax; test ah, 4; jnz L.
    let rem = [Small, Large, Denormal, Zero, Inf, Nan, Huge, Any];
    for (name, op) in [("fprem", 0xf8u8), ("fprem1", 0xf5)] {
        let code = [0xd9, op, 0xdf, 0xe0, 0xf6, 0xc4, 0x04, 0x75, 0xf7];
        out.extend(program(
            &format!("{name}-loop"),
            &code,
            &[],
            &rem,
            &[Small, Large, Denormal, Zero, Inf, Nan],
            false,
        ));
        // One step: C2 (complete or not), TOP and the exception flags; the remainder is not
        // stored (a partial one depends on the implementation).
        let keep = b(Instruction::with2(Code::And_rm16_imm16, Register::AX, 0x3c3fi32));
        out.extend(program(&format!("{name}-step"), &[0xd9, op], &[keep], &rem, &[Small, Large], false));
    }
    out
}
