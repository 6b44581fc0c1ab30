//! ARM ARM C4.1.96 "Data Processing -- Scalar Floating-Point and Advanced SIMD" (the scalar
//! floating-point part): arithmetic, fused multiply-add, compare and conditional compare,
//! conditional select, conversions between sizes and to and from integers (also fixed
//! point), rounding, FMOV (register, immediate, general). Single, double and half precision
//! (`ftype` 11, FEAT_FP16, by the same handlers: halves are `FpPrec::F16` in the IR), and FCVT
//! between them.
//! FADD/FSUB/FMUL/FNMUL/FDIV/FSQRT/FMAX/FMIN/FMAXNM/FMINNM are IR ([`crate::ir::Op::Fp`] under
//! [`FpRule::A64`], value and FPSR flags), FMADD/FMSUB/FNMADD/FNMSUB too ([`crate::ir::Op::FpFma`]); the rest is done by the helpers at the bottom of
//! this file, over [`super::fp_helpers`] (ARM NaN rules).

use super::decode::{row, Row};
use super::fp_half;
use super::fp_helpers::{self as fh, Op2, Round, Ty};
use super::state::off;
use super::{bit, bits, Ctx, Flow};
use crate::ir::{BinOp, FmaNeg, FpOp, FpPrec, FpResult, FpRule, Helper, Temp, Width};

pub const ROWS: &[Row] = &[
    row!(
        FP_1src,
        "FMOV/FABS/FNEG/FSQRT/FCVT/FRINT* (scalar)",
        "00011110 tt 1 oooooo 10000 nnnnn ddddd",
        fp_1src
    ),
    row!(FP_cmp, "FCMP/FCMPE", "00011110 tt 1 mmmmm 001000 nnnnn oo000", fp_cmp),
    row!(FP_imm, "FMOV (scalar, immediate)", "00011110 tt 1 iiiiiiii 100 00000 ddddd", fp_imm),
    row!(FP_ccmp, "FCCMP/FCCMPE", "00011110 tt 1 mmmmm cccc 01 nnnnn o ffff", fp_ccmp),
    row!(
        FP_2src,
        "FMUL/FDIV/FADD/FSUB/FMAX/FMIN/FMAXNM/FMINNM/FNMUL (scalar)",
        "00011110 tt 1 mmmmm oooo 10 nnnnn ddddd",
        fp_2src
    ),
    row!(FP_csel, "FCSEL", "00011110 tt 1 mmmmm cccc 11 nnnnn ddddd", fp_csel),
    row!(FP_3src, "FMADD/FMSUB/FNMADD/FNMSUB", "00011111 tt o mmmmm o aaaaa nnnnn ddddd", fp_3src),
    row!(FP_int, "FCVT*[SU]/[SU]CVTF/FMOV (general)", "z0011110 tt 1 rr ooo 000000 nnnnn ddddd", fp_int),
    row!(FP_fixed, "FCVTZ[SU]/[SU]CVTF (fixed-point)", "z0011110 tt 0 rr ooo ssssss nnnnn ddddd", fp_fixed),
];

fn width_of_ty(ty: Ty) -> Width {
    match ty {
        Ty::S => Width::W32,
        Ty::D => Width::W64,
        Ty::H => Width::W16,
    }
}

/// Scalar register `n` of type `ty` (the low bits of the vector register).
pub fn read_fp(cx: &mut Ctx, n: u32, ty: Ty) -> Temp {
    cx.load_low(off::v(n as usize), width_of_ty(ty))
}

/// Writes a scalar result (already zero-extended to 64 bits) and clears the rest of the
/// vector register, as every scalar FP write does.
pub fn write_fp(cx: &mut Ctx, d: u32, v: Temp) {
    let zero = cx.imm(0);
    cx.b.store_state(off::v(d as usize), v, Width::W64);
    cx.b.store_state(off::v_hi(d as usize), zero, Width::W64);
}

fn ftype(w: u32) -> Option<Ty> {
    Ty::from_ftype(bits(w, 22, 2))
}

fn fp_1src(cx: &mut Ctx, w: u32) -> Flow {
    let (n, d) = (bits(w, 5, 5), bits(w, 0, 5));
    let opc = bits(w, 15, 6);
    // FCVT between half, single and double precision (base ARMv8.0, not FEAT_FP16).
    if let (0 | 1 | 3, 4 | 5 | 7) = (bits(w, 22, 2), opc) {
        let from = bits(w, 22, 2) as u64;
        let to = [0, 0, 0, 0, CVT_S, CVT_D, 0, CVT_H][opc as usize];
        if from == to {
            return Flow::Unimplemented("FCVT to the same size");
        }
        let a =
            cx.load_low(off::v(n as usize), [Width::W32, Width::W64, Width::W16, Width::W16][from as usize]);
        let r = convert(cx, a, from | to << 2);
        write_fp(cx, d, r);
        return Flow::Next;
    }
    let Some(ty) = ftype(w) else { return Flow::Unimplemented("unallocated ftype") };
    let a = read_fp(cx, n, ty);
    let r = match opc {
        0 => a,
        // FABS and FNEG only touch the sign bit, NaN or not.
        1 => cx.b.bin_imm(BinOp::And, a, !ty.sign(), Width::W64),
        2 => cx.b.bin_imm(BinOp::Xor, a, ty.sign(), Width::W64),
        3 => arith(cx, FpOp::Sqrt, ty, a, a),
        8..=15 => {
            let mode = match opc {
                8 => Round::TiesEven.code(),
                9 => Round::Up.code(),
                10 => Round::Down.code(),
                11 => Round::Zero.code(),
                12 => Round::TiesAway.code(),
                14 => UNOP_CURRENT_MODE | UNOP_EXACT,
                15 => UNOP_CURRENT_MODE,
                _ => return Flow::Unimplemented("unallocated FRINT"),
            };
            call_unop(cx, a, ty, mode)
        }
        _ => return Flow::Unimplemented("FP 1-source opcode (FRINT32/64, BFCVT)"),
    };
    write_fp(cx, d, r);
    Flow::Next
}

/// FCVT ([`FP_CVT`] with `code`): the value, with the exception flags it raises ORed into
/// FPSR.
fn convert(cx: &mut Ctx, a: Temp, code: u64) -> Temp {
    call_with_flags(cx, FP_CVT, a, code, CVT_FLAGS)
}

/// Calls helper `f` on `a` with `code` for the value and with `code | flags_bit` for the FPSR
/// flags it raises, which are ORed into FPSR.
fn call_with_flags(
    cx: &mut Ctx,
    f: (&'static str, crate::ir::HelperFn),
    a: Temp,
    code: u64,
    flags_bit: u64,
) -> Temp {
    let value_code = cx.imm(code);
    let r = cx.b.call(helper(f), &[a, value_code]);
    let flags_code = cx.imm(code | flags_bit);
    let raised = cx.b.call(helper(f), &[a, flags_code]);
    raise(cx, raised);
    r
}

/// Calls helper `f` on `a` with `code`: the value; the helper ORs the FPSR flags it raises
/// into FPSR itself (one call).
fn call_raising(cx: &mut Ctx, f: (&'static str, crate::ir::HelperFn), a: Temp, code: u64) -> Temp {
    let code = cx.imm(code);
    cx.b.call(helper(f), &[a, code])
}

/// FRINT* ([`FP_UNOP`]): the value, with the flags raised ORed into FPSR.
fn call_unop(cx: &mut Ctx, a: Temp, ty: Ty, kind: u64) -> Temp {
    call_raising(cx, FP_UNOP, a, kind | ty.code() << 8)
}

/// Compares `a` with `b` (FCMPE, FCCMPE: `signal_all`) and returns the NZCV nibble (bits
/// 3..0; the bits above are not NZCV) and the FPSR flags raised: one helper call.
fn compare(cx: &mut Ctx, ty: Ty, a: Temp, b: Temp, signal_all: bool) -> (Temp, Temp) {
    let code = cx.imm(ty.code() | (signal_all as u64) << 8);
    let both = cx.b.call(helper(FP_COMPARE), &[a, b, code]);
    let raised = cx.b.bin_imm(BinOp::Lshr, both, 8, Width::W64);
    (both, raised)
}

fn store_nzcv_nibble(cx: &mut Ctx, f: Temp) {
    let n = cx.b.bit(f, 3);
    let z = cx.b.bit(f, 2);
    let c = cx.b.bit(f, 1);
    let v = cx.b.bit(f, 0);
    cx.set_nzcv_temps(n, z, c, v);
}

fn fp_cmp(cx: &mut Ctx, w: u32) -> Flow {
    let Some(ty) = ftype(w) else { return Flow::Unimplemented("unallocated ftype") };
    if bit(w, 3) && bits(w, 16, 5) != 0 {
        return Flow::Unimplemented("FCMP #0.0 with Rm != 0");
    }
    let (m, n) = (bits(w, 16, 5), bits(w, 5, 5));
    let a = read_fp(cx, n, ty);
    let b = if bit(w, 3) { cx.imm(0) } else { read_fp(cx, m, ty) };
    let (f, raised) = compare(cx, ty, a, b, bit(w, 4));
    raise(cx, raised);
    store_nzcv_nibble(cx, f);
    Flow::Next
}

fn fp_ccmp(cx: &mut Ctx, w: u32) -> Flow {
    let Some(ty) = ftype(w) else { return Flow::Unimplemented("unallocated ftype") };
    let holds = cx.cond_holds(bits(w, 12, 4));
    // bit 3 of this encoding is part of the nzcv immediate, not the "compare with zero" flag.
    let (m, n) = (bits(w, 16, 5), bits(w, 5, 5));
    let a = read_fp(cx, n, ty);
    let b = read_fp(cx, m, ty);
    let (f, raised) = compare(cx, ty, a, b, bit(w, 4));
    // The flags only when the comparison happens.
    let zero = cx.imm(0);
    let raised = cx.b.select(holds, raised, zero);
    raise(cx, raised);
    let imm = cx.imm(bits(w, 0, 4) as u64);
    let f = cx.b.select(holds, f, imm);
    store_nzcv_nibble(cx, f);
    Flow::Next
}

fn fp_imm(cx: &mut Ctx, w: u32) -> Flow {
    let Some(ty) = ftype(w) else { return Flow::Unimplemented("unallocated ftype") };
    let v = cx.imm(fh::expand_imm(ty, bits(w, 13, 8)));
    write_fp(cx, bits(w, 0, 5), v);
    Flow::Next
}

fn fp_2src(cx: &mut Ctx, w: u32) -> Flow {
    let Some(ty) = ftype(w) else { return Flow::Unimplemented("unallocated ftype") };
    let Some(op) = Op2::from_opcode(bits(w, 12, 4) as u64) else {
        return Flow::Unimplemented("unallocated FP 2-source opcode");
    };
    let (m, n, d) = (bits(w, 16, 5), bits(w, 5, 5), bits(w, 0, 5));
    let a = read_fp(cx, n, ty);
    let b = read_fp(cx, m, ty);
    let mut r = arith(cx, op.fp_op(), ty, a, b);
    if op == Op2::NMul {
        // FNMUL is FPNeg(FPMul(..)): the sign of a NaN result flips too.
        r = cx.b.bin_imm(BinOp::Xor, r, ty.sign(), Width::W64);
    }
    write_fp(cx, d, r);
    Flow::Next
}

/// `a op b` (`sqrt(b)`) under the guest's FPCR, as IR: the value, with the exception flags
/// it raises ORed into FPSR.
pub(super) fn arith(cx: &mut Ctx, op: FpOp, ty: Ty, a: Temp, b: Temp) -> Temp {
    let prec = prec_of(ty);
    let fpcr = cx.b.load_state(off::FPCR, Width::W32);
    let value = cx.b.fp(op, prec, FpRule::A64, FpResult::Value, a, b, fpcr);
    let raised = cx.b.fp(op, prec, FpRule::A64, FpResult::Flags, a, b, fpcr);
    raise(cx, raised);
    value
}

/// `FPMulAdd(addend, op1, op2)` (`addend + op1 * op2`, rounded once) with the negations `neg`
/// under the guest's FPCR, as IR: the value, with the exception flags it raises ORed into
/// FPSR.
pub(super) fn fused(cx: &mut Ctx, ty: Ty, neg: FmaNeg, op1: Temp, op2: Temp, addend: Temp) -> Temp {
    let prec = prec_of(ty);
    let fpcr = cx.b.load_state(off::FPCR, Width::W32);
    let value = cx.b.fp_fma(prec, FpRule::A64, FpResult::Value, neg, op1, op2, addend, fpcr);
    let raised = cx.b.fp_fma(prec, FpRule::A64, FpResult::Flags, neg, op1, op2, addend, fpcr);
    raise(cx, raised);
    value
}

/// The IR format of a scalar type.
pub(super) fn prec_of(ty: Ty) -> FpPrec {
    match ty {
        Ty::S => FpPrec::F32,
        Ty::D => FpPrec::F64,
        Ty::H => FpPrec::F16,
    }
}

/// ORs the exception flags `raised` into FPSR.
fn raise(cx: &mut Ctx, raised: Temp) {
    let fpsr = cx.b.load_state(off::FPSR, Width::W32);
    let fpsr = cx.b.bin(BinOp::Or, fpsr, raised, Width::W32);
    cx.b.store_state(off::FPSR, fpsr, Width::W32);
}

fn fp_csel(cx: &mut Ctx, w: u32) -> Flow {
    let Some(ty) = ftype(w) else { return Flow::Unimplemented("unallocated ftype") };
    let (m, n, d) = (bits(w, 16, 5), bits(w, 5, 5), bits(w, 0, 5));
    let holds = cx.cond_holds(bits(w, 12, 4));
    let a = read_fp(cx, n, ty);
    let b = read_fp(cx, m, ty);
    let r = cx.b.select(holds, a, b);
    write_fp(cx, d, r);
    Flow::Next
}

fn fp_3src(cx: &mut Ctx, w: u32) -> Flow {
    let Some(ty) = ftype(w) else { return Flow::Unimplemented("unallocated ftype") };
    let (m, a_reg, n, d) = (bits(w, 16, 5), bits(w, 10, 5), bits(w, 5, 5), bits(w, 0, 5));
    // o1:o0 = 00 FMADD (a + n*m), 01 FMSUB (a - n*m), 10 FNMADD (-a - n*m), 11 FNMSUB (-a + n*m):
    // FMSUB and FNMADD negate Rn, FNMADD and FNMSUB Ra (FPNeg, NaNs too; see `Op::FpFma`).
    let (o1, o0) = (bit(w, 21), bit(w, 15));
    let neg = FmaNeg { product: o1 != o0, addend: o1 };
    let addend = read_fp(cx, a_reg, ty);
    let op1 = read_fp(cx, n, ty);
    let op2 = read_fp(cx, m, ty);
    let r = fused(cx, ty, neg, op1, op2, addend);
    write_fp(cx, d, r);
    Flow::Next
}

fn fp_int(cx: &mut Ctx, w: u32) -> Flow {
    let sf = bit(w, 31);
    let (rmode, opcode, ftype_bits) = (bits(w, 19, 2), bits(w, 16, 3), bits(w, 22, 2));
    let (n, d) = (bits(w, 5, 5), bits(w, 0, 5));
    let iw = if sf { Width::W64 } else { Width::W32 };
    // FMOV (general) first: it also has the 128-bit top-half form with ftype 10.
    match (sf, ftype_bits, rmode, opcode) {
        (false, 0, 0, 6) | (true, 1, 0, 6) => {
            let v = cx.load_low(off::v(n as usize), iw);
            cx.set_x(d, v, Width::W64);
            return Flow::Next;
        }
        (false, 0, 0, 7) | (true, 1, 0, 7) => {
            let v = cx.xr(n, iw);
            write_fp(cx, d, v);
            return Flow::Next;
        }
        // FMOV Wd/Xd, Hn and Hd, Wn/Xn (FEAT_FP16): the low 16 bits, zero-extended.
        (_, 3, 0, 6) => {
            let v = cx.load_low(off::v(n as usize), Width::W16);
            cx.set_x(d, v, Width::W64);
            return Flow::Next;
        }
        (_, 3, 0, 7) => {
            let v = cx.xr(n, Width::W16);
            write_fp(cx, d, v);
            return Flow::Next;
        }
        (true, 2, 1, 6) => {
            let v = cx.b.load_state(off::v_hi(n as usize), Width::W64);
            cx.set_x(d, v, Width::W64);
            return Flow::Next;
        }
        (true, 2, 1, 7) => {
            let v = cx.xr(n, Width::W64);
            cx.b.store_state(off::v_hi(d as usize), v, Width::W64);
            return Flow::Next;
        }
        _ => {}
    }
    let Some(ty) = Ty::from_ftype(ftype_bits) else {
        return Flow::Unimplemented("unallocated ftype");
    };
    let flags = |signed: bool| (sf as u64) << 5 | (signed as u64) << 4;
    match (rmode, opcode) {
        (_, 0 | 1) | (0, 4 | 5) => {
            let mode = match (rmode, opcode) {
                (0, 4 | 5) => Round::TiesAway,
                (0, _) => Round::TiesEven,
                (1, _) => Round::Up,
                (2, _) => Round::Down,
                _ => Round::Zero,
            };
            let signed = opcode & 1 == 0;
            let a = read_fp(cx, n, ty);
            let r = call_raising(cx, FP_TO_INT, a, ty.code() | mode.code() << 1 | flags(signed));
            cx.set_x(d, r, Width::W64);
        }
        (0, 2 | 3) => {
            let signed = opcode == 2;
            let v = cx.xr(n, iw);
            let r = call_raising(cx, FP_FROM_INT, v, ty.code() | flags(signed));
            write_fp(cx, d, r);
        }
        _ => return Flow::Unimplemented("FP/integer conversion opcode (FJCVTZS, half FMOV, ...)"),
    }
    Flow::Next
}

fn fp_fixed(cx: &mut Ctx, w: u32) -> Flow {
    let sf = bit(w, 31);
    let Some(ty) = ftype(w) else { return Flow::Unimplemented("unallocated ftype") };
    let scale = bits(w, 10, 6);
    if !sf && scale < 32 {
        return Flow::Unimplemented("reserved fixed-point scale");
    }
    let fbits = 64 - scale;
    let (n, d) = (bits(w, 5, 5), bits(w, 0, 5));
    let iw = if sf { Width::W64 } else { Width::W32 };
    let flags = |signed: bool| (sf as u64) << 5 | (signed as u64) << 4 | (fbits as u64) << 8;
    match (bits(w, 19, 2), bits(w, 16, 3)) {
        (3, 0 | 1) => {
            let a = read_fp(cx, n, ty);
            let code = ty.code() | Round::Zero.code() << 1 | flags(bits(w, 16, 3) == 0);
            let r = call_raising(cx, FP_TO_INT, a, code);
            cx.set_x(d, r, Width::W64);
        }
        (0, 2 | 3) => {
            let v = cx.xr(n, iw);
            let r = call_raising(cx, FP_FROM_INT, v, ty.code() | flags(bits(w, 16, 3) == 2));
            write_fp(cx, d, r);
        }
        _ => return Flow::Unimplemented("unallocated fixed-point conversion"),
    }
    Flow::Next
}

// ---------------------------------------------------------------------------------------
// Helpers called from translated code.

const UNOP_CURRENT_MODE: u64 = 0x11;
/// In the code of [`FP_UNOP`]: FRINTX (inexact raises IXC).
const UNOP_EXACT: u64 = 1 << 17;

fn helper(f: (&'static str, crate::ir::HelperFn)) -> Helper {
    Helper { name: f.0, func: f.1, touches_memory: false }
}

/// The guest's FPCR.
fn fpcr(state: *mut u8) -> u32 {
    // SAFETY: translated code passes the live A64State it runs on.
    unsafe { fh::fpcr_of(state) }
}

/// The value; the FPSR flags ORed into the guest's FPSR.
fn raising(state: *mut u8, (value, flags): (u64, u32)) -> u64 {
    // SAFETY: translated code passes the live A64State it runs on, which nothing else
    // touches during the call.
    unsafe { fh::raise_fpsr(state, flags) };
    value
}

/// FRINT*: `code` bits 7:0 the rounding ([`Round::code`] or [`UNOP_CURRENT_MODE`]), bits
/// 15:8 the type, [`UNOP_EXACT`]; ORs the FPSR flags into FPSR.
extern "C" fn fp_unop(state: *mut u8, a: u64, code: u64, _: u64, _: u64) -> u64 {
    let mode = match code & 0xff {
        UNOP_CURRENT_MODE => None,
        m => Some(Round::from_code(m)),
    };
    let ty = Ty::from_code(code >> 8 & 0xff);
    raising(state, fh::exact::round_int(ty, a, mode, code & UNOP_EXACT != 0, fpcr(state)))
}
const FP_UNOP: (&str, crate::ir::HelperFn) = ("a64_fp_unop", fp_unop);

/// The formats in the code of [`FP_CVT`] (the ftype encodings): source in bits 1:0,
/// destination in bits 3:2; [`CVT_FLAGS`]: the FPSR bits raised instead of the value.
const CVT_S: u64 = 0;
const CVT_D: u64 = 1;
const CVT_H: u64 = 3;
const CVT_FLAGS: u64 = 16;

/// FCVT between half, single and double precision (see [`CVT_S`]).
extern "C" fn fp_cvt(state: *mut u8, a: u64, code: u64, _: u64, _: u64) -> u64 {
    let fpcr = fpcr(state);
    let (value, flags) = match (code & 3, code >> 2 & 3) {
        (CVT_S, CVT_H) => widen(fp_half::f32_to_f16_flags(a as u32, fpcr)),
        (CVT_D, CVT_H) => widen(fp_half::f64_to_f16_flags(a, fpcr)),
        (CVT_D, CVT_S) => widen(fp_half::f64_to_f32_flags(a, fpcr)),
        (CVT_S, _) => fp_half::f32_to_f64_flags(a as u32, fpcr),
        (CVT_H, CVT_S) => widen(fp_half::f16_to_f32_flags(a as u16, fpcr)),
        // Half to single is exact and never gives a single-precision denormal, which the
        // single-to-double step would flush: that step is exact too (NaNs as FCVT does them).
        _ => {
            let (single, flags) = fp_half::f16_to_f32_flags(a as u16, fpcr);
            (fp_half::f32_to_f64_flags(single, fpcr).0, flags)
        }
    };
    if code & CVT_FLAGS != 0 {
        flags as u64
    } else {
        value
    }
}
const FP_CVT: (&str, crate::ir::HelperFn) = ("a64_fp_cvt", fp_cvt);

fn widen<T: Into<u64>>((v, flags): (T, u32)) -> (u64, u32) {
    (v.into(), flags)
}

/// `code`: the type ([`Ty::code`]), bit 8 FCMPE (any NaN signals). The NZCV nibble in bits
/// 3..0 and the FPSR flags raised from bit 8.
extern "C" fn fp_compare(state: *mut u8, a: u64, b: u64, code: u64, _: u64) -> u64 {
    let (nzcv, flags) = fh::compare_fpcr(Ty::from_code(code & 0xff), a, b, fpcr(state), code & 1 << 8 != 0);
    nzcv | (flags as u64) << 8
}
const FP_COMPARE: (&str, crate::ir::HelperFn) = ("a64_fp_compare", fp_compare);

/// `code`: bit 0 type, bits 3:1 rounding, bit 4 signed, bit 5 64-bit, bits 15:8 fraction
/// bits; ORs the FPSR flags into FPSR.
extern "C" fn fp_to_int(state: *mut u8, a: u64, code: u64, _: u64, _: u64) -> u64 {
    let (ty, signed, bits64) = (Ty::from_code(code & 0xff), code & 0x10 != 0, code & 0x20 != 0);
    let (mode, fbits) = (Round::from_code(code >> 1 & 7), (code >> 8 & 0xff) as u32);
    raising(state, fh::exact::to_int(ty, a, mode, signed, bits64, fbits, fpcr(state)))
}
const FP_TO_INT: (&str, crate::ir::HelperFn) = ("a64_fp_to_int", fp_to_int);

/// `code`: bit 0 type, bit 4 signed, bit 5 64-bit source, bits 15:8 fraction bits;
/// ORs the FPSR flags into FPSR.
extern "C" fn fp_from_int(state: *mut u8, v: u64, code: u64, _: u64, _: u64) -> u64 {
    let (ty, signed, bits64) = (Ty::from_code(code & 0xff), code & 0x10 != 0, code & 0x20 != 0);
    raising(state, fh::exact::from_int(ty, v, signed, bits64, (code >> 8 & 0xff) as u32, fpcr(state)))
}
const FP_FROM_INT: (&str, crate::ir::HelperFn) = ("a64_fp_from_int", fp_from_int);
