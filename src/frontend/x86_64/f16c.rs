//! F16C: vcvtph2ps (half to single precision, xmm and ymm destination) and vcvtps2ph (single
//! to half, xmm or m64 from xmm, xmm or m128 from ymm).
//!
//! A half's magnitude bits shifted left by 13 are the single whose value is the half's times
//! 2^-112 (the exponent biases are 15 and 127), denormal halves included; one exact multiply
//! by 2^112 (round to nearest, no DAZ, whatever MXCSR says) gives the value. Infinities and
//! NaNs (exponent 31) keep their fraction, NaNs made quiet; a signalling NaN raises IE
//! (with SIGFPE before anything is written when IE is unmasked). MXCSR.DAZ does not apply
//! to half inputs.

use super::avx2_lanes::vreg;
use super::sse_arith::raise_flags;
use super::sse_move::V128;
use super::state::off;
use super::vex::zero_upper;
use super::{Ctx, Handler, Unsupported};
use crate::ir::fp::{DE, IE, OE, PE, UE};
use crate::ir::{BinOp, CmpOp, FpOp, FpPrec, FpResult, FpRule, Helper, StateOffset, Temp, Width};
use iced_x86::{Instruction, Mnemonic, OpKind};

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    match m {
        Mnemonic::Vcvtph2ps => Some(cvtph2ps),
        Mnemonic::Vcvtps2ph => Some(cvtps2ph),
        _ => None,
    }
}

/// Half `h` (low 16 bits) as single-precision bits, and whether it is a signalling NaN (1/0).
fn half_to_single(ctx: &mut Ctx, h: Temp) -> (Temp, Temp) {
    let magnitude = ctx.bin_imm(BinOp::And, h, 0x7fff, Width::W32);
    let scaled = ctx.bin_imm(BinOp::Shl, magnitude, 13, Width::W32);
    let ctrl = ctx.constant(0x1f80);
    let two_112 = ctx.constant(0x7780_0000);
    let finite = ctx.fp(FpOp::Mul, FpPrec::F32, FpRule::X86Sse, FpResult::Value, scaled, two_112, ctrl);
    // Exponent 31: infinity (fraction 0) or NaN (made quiet).
    let special = ctx.cmp_imm(CmpOp::Uge, magnitude, 0x7c00, Width::W32);
    let nan = ctx.cmp_imm(CmpOp::Ugt, magnitude, 0x7c00, Width::W32);
    let quiet_bit = ctx.bin_imm(BinOp::Shl, nan, 22, Width::W32);
    let inf_nan = ctx.bin_imm(BinOp::Or, scaled, 0x7f80_0000 - (0x7c00 << 13), Width::W32);
    let inf_nan = ctx.bin(BinOp::Or, inf_nan, quiet_bit, Width::W32);
    let value = ctx.select(special, inf_nan, finite);
    let sign = ctx.bin_imm(BinOp::And, h, 0x8000, Width::W32);
    let sign = ctx.bin_imm(BinOp::Shl, sign, 16, Width::W32);
    let value = ctx.bin(BinOp::Or, value, sign, Width::W32);
    // Signalling: a NaN whose quiet bit (fraction bit 9) is clear.
    let quiet = ctx.bin_imm(BinOp::And, magnitude, 0x200, Width::W32);
    let loud = ctx.cmp_imm(CmpOp::Eq, quiet, 0, Width::W32);
    let snan = ctx.bin(BinOp::And, nan, loud, Width::W32);
    (value, snan)
}

fn cvtph2ps(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let d = vreg(insn, 0)?;
    let wide = insn.op_register(0).is_ymm();
    let n = if wide { 8 } else { 4 };
    let addr = if insn.op_kind(1) == OpKind::Memory { Some(ctx.mem_addr(insn)?) } else { None };
    let src = if addr.is_none() { Some(vreg(insn, 1)?) } else { None };
    let mut invalid = ctx.constant(0);
    let mut values = Vec::with_capacity(n);
    for k in 0..n as u32 {
        let h = match (addr, src) {
            (Some(a), _) => {
                let at = if k == 0 { a } else { ctx.bin_imm(BinOp::Add, a, u64::from(2 * k), Width::W64) };
                ctx.load(at, Width::W16)
            }
            (None, Some(s)) => ctx.load_state(StateOffset(off::xmm(s).0 + 2 * k), Width::W16),
            _ => return Err(Unsupported),
        };
        let (value, snan) = half_to_single(ctx, h);
        invalid = ctx.bin(BinOp::Or, invalid, snan, Width::W32);
        values.push(value);
    }
    let mxcsr = ctx.load_state(off::MXCSR, Width::W32);
    // IE is MXCSR bit 0.
    raise_flags(ctx, mxcsr, invalid);
    for (k, v) in (0u32..).zip(values) {
        let slot = if k >= 4 { 16 + d } else { d };
        ctx.store_state(StateOffset(off::xmm(slot).0 + 4 * (k % 4)), v, Width::W32);
    }
    if !wide {
        zero_upper(ctx, d);
    }
    Ok(())
}

const PS2PH_HELPER: Helper = Helper { name: "x86_cvtps2ph", func: cvtps2ph_helper, touches_memory: false };

/// vcvtps2ph xmm/m64, xmm, imm8 and xmm/m128, ymm, imm8: each single rounded to a half by
/// imm8's rounding control (bits 1:0: nearest even, down, up, towards zero), or MXCSR's when
/// imm8 bit 2 is set. The rounding itself is the helper [`cvtps2ph_helper`] (integer code,
/// one definition for both hosts): the IR has no half-precision format. MXCSR.DAZ reads
/// denormal singles as zero; flags are raised as for the other conversions (SIGFPE before
/// anything is written when one is unmasked); the xmm destination's upper bits are zeroed.
fn cvtps2ph(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let src = vreg(insn, 1)?;
    let wide = insn.op_register(1).is_ymm();
    let mxcsr = ctx.load_state(off::MXCSR, Width::W32);
    let imm = ctx.constant(insn.immediate(2) & 7);
    let ctrl = ctx.bin_imm(BinOp::Shl, mxcsr, 8, Width::W64);
    let ctrl = ctx.bin(BinOp::Or, ctrl, imm, Width::W64);
    let flags_ctrl = ctx.bin_imm(BinOp::Or, ctrl, FLAGS, Width::W64);
    let halves: Vec<V128> =
        if wide { vec![ctx.xmm_get(src), ctx.xmm_get(16 + src)] } else { vec![ctx.xmm_get(src)] };
    let mut words = Vec::new();
    let mut flags = ctx.constant(0);
    for v in &halves {
        words.push(ctx.call(PS2PH_HELPER, &[v.lo, v.hi, ctrl]));
        let f = ctx.call(PS2PH_HELPER, &[v.lo, v.hi, flags_ctrl]);
        flags = ctx.bin(BinOp::Or, flags, f, Width::W32);
    }
    let addr = if insn.op_kind(0) == OpKind::Memory { Some(ctx.mem_addr(insn)?) } else { None };
    raise_flags(ctx, mxcsr, flags);
    match addr {
        Some(a) => {
            for (k, w) in (0u64..).zip(words) {
                let at = if k == 0 { a } else { ctx.bin_imm(BinOp::Add, a, 8, Width::W64) };
                ctx.store(at, w, Width::W64);
            }
        }
        None => {
            let d = vreg(insn, 0)?;
            let zero = ctx.constant(0);
            let hi = words.get(1).copied().unwrap_or(zero);
            ctx.xmm_set(d, V128 { lo: words[0], hi });
            zero_upper(ctx, d);
        }
    }
    Ok(())
}

/// `ctrl` bit: the helper returns the MXCSR flags instead of the halves.
const FLAGS: u64 = 1 << 63;

/// Four singles (`lo`, `hi`) to four halves packed in 64 bits, or (`ctrl` & [`FLAGS`]) the
/// MXCSR exception flags they raise; `ctrl` is imm8 bits 2:0 and MXCSR << 8.
pub extern "C" fn cvtps2ph_helper(_: *mut u8, lo: u64, hi: u64, ctrl: u64, _: u64) -> u64 {
    let mxcsr = (ctrl >> 8) as u32;
    let rc = if ctrl & 4 != 0 { mxcsr >> 13 & 3 } else { (ctrl & 3) as u32 };
    let mut out = 0u64;
    let mut flags = 0u32;
    for (k, x) in [lo as u32, (lo >> 32) as u32, hi as u32, (hi >> 32) as u32].into_iter().enumerate() {
        let (h, f) = single_to_half(x, rc, mxcsr);
        out |= u64::from(h) << (16 * k);
        flags |= f;
    }
    if ctrl & FLAGS != 0 {
        u64::from(flags)
    } else {
        out
    }
}

/// One single to a half under rounding control `rc` (0 nearest even, 1 down, 2 up, 3 towards
/// zero) and `mxcsr`'s DAZ and underflow mask: the half and the flags raised. Tininess is
/// detected after rounding, as x86 does; a masked underflow is flagged only when inexact.
pub fn single_to_half(x: u32, rc: u32, mxcsr: u32) -> (u16, u32) {
    let sign = (x >> 16 & 0x8000) as u16;
    let exp = (x >> 23 & 0xff) as i32;
    let frac = x & 0x7f_ffff;
    if exp == 0xff {
        if frac == 0 {
            return (sign | 0x7c00, 0);
        }
        let invalid = if frac & 0x40_0000 == 0 { IE } else { 0 };
        return (sign | 0x7e00 | (frac >> 13) as u16, invalid);
    }
    let mut flags = 0;
    if exp == 0 && frac != 0 {
        if mxcsr & 0x40 != 0 {
            return (sign, 0);
        }
        flags |= DE;
    }
    if exp == 0 && frac == 0 {
        return (sign, flags);
    }
    // value = sig * 2^(e - 23), sig < 2^24 with its top bit at 23 for normals.
    let (sig, e) = if exp == 0 { (frac as u64, -126) } else { ((frac | 0x80_0000) as u64, exp - 127) };
    let top = 63 - sig.leading_zeros() as i32; // value's binade: 2^(e - 23 + top)
    let binade = e - 23 + top;
    let negative = sign != 0;
    // Rounds sig * 2^(e - 23) to a multiple of 2^q: the multiple, and whether it is inexact.
    let round = |q: i32| -> (u64, bool) {
        let shift = (q - (e - 23)).clamp(0, 63) as u32;
        let kept = sig >> shift;
        let rem = sig & ((1u64 << shift) - 1);
        let half = if shift == 0 { 0 } else { 1u64 << (shift - 1) };
        let up = match rc {
            0 => rem > half || rem == half && rem != 0 && kept & 1 == 1,
            1 => rem != 0 && negative,
            2 => rem != 0 && !negative,
            _ => false,
        };
        (kept + u64::from(up), rem != 0)
    };
    // Tininess after rounding: to 11 bits with an unbounded exponent, still below 2^-14.
    let (unbounded, _) = round(binade - 10);
    let tiny = binade < -14 && !(binade == -15 && unbounded >> 11 != 0);
    let eh = binade.max(-14);
    let (kept, inexact) = round(eh - 10);
    let bits = (((eh + 14) as u64) << 10) + kept;
    if bits >= 0x7c00 {
        let to_inf = match rc {
            0 => true,
            1 => negative,
            2 => !negative,
            _ => false,
        };
        return (sign | if to_inf { 0x7c00 } else { 0x7bff }, flags | OE | PE);
    }
    if inexact {
        flags |= PE;
    }
    if tiny && (inexact || mxcsr & 0x800 == 0) {
        flags |= UE;
    }
    (sign | bits as u16, flags)
}
