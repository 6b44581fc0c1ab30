//! SSE4.2 string compares: pcmpestri, pcmpestrm, pcmpistri, pcmpistrm (Intel SDM vol. 1
//! 4.1 / vol. 2 PCMPESTRI): one helper, [`pcmpstr_helper`], for every aggregation mode
//! (equal any, ranges, equal each, equal ordered), polarity, element size and sign, and
//! output selection; the IR writes ECX (the index forms) and the flags it returns, the
//! helper writes xmm0 itself (the mask forms). Memory operands need no alignment.

use super::sse_move::xmm_operand;
use super::state::off;
use super::{Ctx, Handler, Unsupported};
use crate::frontend::x86_64::X86State;
use crate::ir::{Helper, Width};
use iced_x86::{Instruction, Mnemonic};

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    Some(match m {
        Mnemonic::Pcmpestri | Mnemonic::Pcmpestri64 => |c, i| pcmpstr(c, i, true, false),
        Mnemonic::Pcmpestrm | Mnemonic::Pcmpestrm64 => |c, i| pcmpstr(c, i, true, true),
        Mnemonic::Pcmpistri => |c, i| pcmpstr(c, i, false, false),
        Mnemonic::Pcmpistrm => |c, i| pcmpstr(c, i, false, true),
        _ => return None,
    })
}

const PCMPSTR_HELPER: Helper = Helper { name: "x86_pcmpstr", func: pcmpstr_helper, touches_memory: false };

/// Bits of the helper's `sel` above the immediate.
const EXPLICIT: u64 = 1 << 8;
const MASK_OUT: u64 = 1 << 9;
const WIDE_LENGTHS: u64 = 1 << 10;

fn pcmpstr(ctx: &mut Ctx, insn: &Instruction, explicit: bool, mask: bool) -> Result<(), Unsupported> {
    let a = xmm_operand(insn, 0).ok_or(Unsupported)?;
    let b = ctx.sse_read128(insn, 1, true)?;
    let imm = insn.immediate(2) & 0xff;
    // REX.W makes the explicit lengths RAX and RDX instead of EAX and EDX.
    let wide = matches!(insn.mnemonic(), Mnemonic::Pcmpestri64 | Mnemonic::Pcmpestrm64);
    let flag = |on: bool, bit: u64| if on { bit } else { 0 };
    let sel = imm | flag(explicit, EXPLICIT) | flag(mask, MASK_OUT) | flag(wide, WIDE_LENGTHS);
    let (a, sel) = (ctx.constant(a as u64), ctx.constant(sel));
    let r = ctx.call(PCMPSTR_HELPER, &[a, b.lo, b.hi, sel]);
    if !mask {
        let index = ctx.ext(r, Width::W8, false);
        ctx.write_gpr(1, Width::W32, index);
    }
    for (bit, slot) in [(8, off::CF), (9, off::ZF), (10, off::SF), (11, off::OF)] {
        let f = ctx.bit(r, bit);
        ctx.store_state(slot, f, Width::W8);
    }
    let zero = ctx.constant(0);
    ctx.store_state(off::AF, zero, Width::W8);
    ctx.store_state(off::PF, zero, Width::W8);
    Ok(())
}

/// Element `i` of `v` for the format imm[1:0] (unsigned/signed bytes/words), sign-extended
/// for the signed formats.
fn element(v: u128, imm: u8, i: usize) -> i32 {
    let word = imm & 1 != 0;
    let signed = imm & 2 != 0;
    match (word, signed) {
        (false, false) => (v >> (8 * i)) as u8 as i32,
        (false, true) => (v >> (8 * i)) as u8 as i8 as i32,
        (true, false) => (v >> (16 * i)) as u16 as i32,
        (true, true) => (v >> (16 * i)) as u16 as i16 as i32,
    }
}

/// An explicit length: the absolute value of the register, at most `n`.
fn explicit_len(reg: u64, wide: bool, n: usize) -> usize {
    let v = if wide { reg as i64 as i128 } else { reg as i32 as i128 };
    v.unsigned_abs().min(n as u128) as usize
}

/// An implicit length: the index of the first zero element, or `n`.
fn implicit_len(v: u128, imm: u8, n: usize) -> usize {
    (0..n).find(|&i| element(v, imm, i) == 0).unwrap_or(n)
}

/// IntRes2 (after polarity) of the compare of `a` (xmm1, the set, ranges or needle) and `b`
/// (xmm2/m128, the string), with their valid lengths.
pub fn compare(a: u128, b: u128, la: usize, lb: usize, imm: u8) -> u32 {
    let n = if imm & 1 != 0 { 8 } else { 16 };
    let e = |v, i| element(v, imm, i);
    let mut res1 = 0u32;
    for j in 0..n {
        let hit = match imm >> 2 & 3 {
            // Equal any: b[j] is one of the valid elements of a.
            0 => j < lb && (0..la).any(|i| e(a, i) == e(b, j)),
            // Ranges: b[j] lies in one of the valid pairs [a[2k], a[2k+1]].
            1 => {
                j < lb
                    && (0..n / 2).any(|k| {
                        let (lo, hi) = (2 * k, 2 * k + 1);
                        lo < la && hi < la && e(a, lo) <= e(b, j) && e(b, j) <= e(a, hi)
                    })
            }
            // Equal each: both invalid is true, one invalid false.
            2 => match (j < la, j < lb) {
                (true, true) => e(a, j) == e(b, j),
                (false, false) => true,
                _ => false,
            },
            // Equal ordered: the needle a starts at b[j]; the needle's end matches anything,
            // the string's end only the needle's end, the register's end anything.
            _ => (0..n - j).all(|k| match (k < la, j + k < lb) {
                (false, _) => true,
                (true, false) => false,
                (true, true) => e(a, k) == e(b, j + k),
            }),
        };
        res1 |= (hit as u32) << j;
    }
    let all = (1u32 << n) - 1;
    match imm >> 4 & 3 {
        0 | 2 => res1,
        1 => !res1 & all,
        // Masked negative: negated only where b is valid.
        _ => res1 ^ ((1u32 << lb) - 1),
    }
}

/// pcmpXstrX of xmm[`a`] and (`lo`, `hi`) for `sel` = imm8 | [`EXPLICIT`] | [`MASK_OUT`] |
/// [`WIDE_LENGTHS`]. Writes xmm0 for the mask forms; returns the index (bits 0..7) and CF,
/// ZF, SF, OF (bits 8..11).
pub extern "C" fn pcmpstr_helper(state: *mut u8, a: u64, lo: u64, hi: u64, sel: u64) -> u64 {
    // SAFETY: translated code passes its live X86State; `a` is a vector slot number.
    let st = unsafe { &mut *(state as *mut X86State) };
    let imm = sel as u8;
    let n = if imm & 1 != 0 { 8 } else { 16 };
    let av = *st.vector_slot(a);
    let av = av[0] as u128 | (av[1] as u128) << 64;
    let bv = lo as u128 | (hi as u128) << 64;
    let (la, lb) = if sel & EXPLICIT != 0 {
        let wide = sel & WIDE_LENGTHS != 0;
        (explicit_len(st.gpr[0], wide, n), explicit_len(st.gpr[2], wide, n))
    } else {
        (implicit_len(av, imm, n), implicit_len(bv, imm, n))
    };
    let res = compare(av, bv, la, lb, imm);
    let mut out = 0u64;
    if sel & MASK_OUT != 0 {
        let m: u128 = if imm & 0x40 == 0 {
            res as u128
        } else {
            let bits = 128 / n as u32;
            let lane = u128::MAX >> (128 - bits);
            (0..n as u32).filter(|&i| res >> i & 1 != 0).fold(0, |m, i| m | lane << (i * bits))
        };
        st.xmm[0] = [m as u64, (m >> 64) as u64];
    } else {
        out = match (res, imm & 0x40 != 0) {
            (0, _) => n as u64,
            (r, false) => r.trailing_zeros() as u64,
            (r, true) => 31 - r.leading_zeros() as u64,
        };
    }
    let flags = [res != 0, lb < n, la < n, res & 1 != 0];
    flags.iter().enumerate().fold(out, |acc, (k, &f)| acc | (f as u64) << (8 + k))
}
