//! The byte-vector helper of the SSSE3 and SSE4.1 integer forms that are neither lane-wise
//! nor a few 64-bit IR ops (pshufb, the horizontal adds and subtracts, pmaddubsw, pmulhrsw,
//! psign, palignr, packusdw, phminposuw, mpsadbw): one Rust function, [`eval`], over the
//! whole register as bytes, so that both hosts share one definition. The family files
//! (`ssse3`, `sse41_int`) choose which forms come here.

use super::sse_int::dst_xmm;
use super::{Ctx, Unsupported};
use crate::frontend::x86_64::X86State;
use crate::ir::Helper;
use iced_x86::Instruction;

/// The operations of [`eval`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum VecOp {
    Pshufb,
    Phaddw,
    Phaddd,
    Phaddsw,
    Phsubw,
    Phsubd,
    Phsubsw,
    Pmaddubsw,
    Pmulhrsw,
    Psignb,
    Psignw,
    Psignd,
    Palignr,
    Packusdw,
    Phminposuw,
    Mpsadbw,
}

const ALL: [VecOp; 16] = [
    VecOp::Pshufb,
    VecOp::Phaddw,
    VecOp::Phaddd,
    VecOp::Phaddsw,
    VecOp::Phsubw,
    VecOp::Phsubd,
    VecOp::Phsubsw,
    VecOp::Pmaddubsw,
    VecOp::Pmulhrsw,
    VecOp::Psignb,
    VecOp::Psignw,
    VecOp::Psignd,
    VecOp::Palignr,
    VecOp::Packusdw,
    VecOp::Phminposuw,
    VecOp::Mpsadbw,
];

const VEC_HELPER: Helper = Helper { name: "x86_vec", func: vec_helper, touches_memory: false };

/// `xmm dst = op(dst, xmm/m128, imm8)` through [`vec_helper`] (aligned memory, as legacy
/// SSE requires).
pub fn call(ctx: &mut Ctx, insn: &Instruction, op: VecOp) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let src = ctx.sse_read128(insn, 1, false)?;
    let imm = if insn.op_count() > 2 { insn.immediate(2) & 0xff } else { 0 };
    let dst = ctx.constant(d as u64);
    let sel = ctx.constant(op as u64 | imm << 8);
    ctx.call_void(VEC_HELPER, &[dst, src.lo, src.hi, sel]);
    Ok(())
}

/// `xmm[dst] = op(xmm[dst], (lo, hi), imm)` for `sel = op | imm << 8`.
pub extern "C" fn vec_helper(state: *mut u8, dst: u64, lo: u64, hi: u64, sel: u64) -> u64 {
    // SAFETY: translated code passes its live X86State; `dst` is a vector slot number.
    let st = unsafe { &mut *(state as *mut X86State) };
    let Some(&op) = ALL.get((sel & 0xff) as usize) else { return 0 };
    let d = st.vector_slot(dst);
    let mut a = [0u8; 16];
    a[..8].copy_from_slice(&d[0].to_le_bytes());
    a[8..].copy_from_slice(&d[1].to_le_bytes());
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&lo.to_le_bytes());
    b[8..].copy_from_slice(&hi.to_le_bytes());
    let r = eval(op, &a, &b, (sel >> 8) as u8);
    d[0] = u64::from_le_bytes(r[..8].try_into().expect("8 bytes"));
    d[1] = u64::from_le_bytes(r[8..].try_into().expect("8 bytes"));
    0
}

/// `op(a, b, imm)` on 8-byte (mm) operands for `sel = op | imm << 8`.
pub extern "C" fn vec_mmx_helper(_: *mut u8, a: u64, b: u64, sel: u64, _: u64) -> u64 {
    let Some(&op) = ALL.get((sel & 0xff) as usize) else { return 0 };
    let r = eval(op, &a.to_le_bytes(), &b.to_le_bytes(), (sel >> 8) as u8);
    u64::from_le_bytes(r[..8].try_into().expect("8 bytes"))
}

/// Lane `i` of `bytes`-byte lanes, little-endian, zero-extended.
fn get(v: &[u8], bytes: usize, i: usize) -> u64 {
    (0..bytes).fold(0u64, |acc, k| acc | (v[i * bytes + k] as u64) << (8 * k))
}

fn set(v: &mut [u8], bytes: usize, i: usize, x: u64) {
    for k in 0..bytes {
        v[i * bytes + k] = (x >> (8 * k)) as u8;
    }
}

fn sext(x: u64, bytes: usize) -> i64 {
    let s = 64 - 8 * bytes as u32;
    ((x << s) as i64) >> s
}

fn sat16(x: i64) -> u64 {
    x.clamp(i16::MIN as i64, i16::MAX as i64) as u64
}

/// A vector of `a.len()` bytes whose `bytes`-byte lane `i` is `f(i)`.
fn build(n: usize, bytes: usize, f: impl Fn(usize) -> u64) -> Vec<u8> {
    let mut r = vec![0u8; n];
    for i in 0..n / bytes {
        set(&mut r, bytes, i, f(i));
    }
    r
}

/// Horizontal pairs: lane `i` of the result combines lanes `2i` and `2i+1` of `a` for the
/// first half of the lanes, of `b` for the second.
fn horizontal(a: &[u8], b: &[u8], bytes: usize, f: impl Fn(i64, i64) -> u64) -> Vec<u8> {
    let half = a.len() / bytes / 2;
    build(a.len(), bytes, |i| {
        let (v, j) = if i < half { (a, i) } else { (b, i - half) };
        f(sext(get(v, bytes, 2 * j), bytes), sext(get(v, bytes, 2 * j + 1), bytes))
    })
}

/// psign: `a`'s lane negated where `b`'s is negative, zeroed where it is zero.
fn sign(a: &[u8], b: &[u8], bytes: usize) -> Vec<u8> {
    build(a.len(), bytes, |i| {
        let (x, y) = (sext(get(a, bytes, i), bytes), sext(get(b, bytes, i), bytes));
        match y.signum() {
            -1 => x.wrapping_neg() as u64,
            0 => 0,
            _ => x as u64,
        }
    })
}

/// The semantics of every [`VecOp`] over `a` (the destination) and `b` (the source), both
/// of 16 bytes (xmm) or 8 (mm, where the form exists).
pub fn eval(op: VecOp, a: &[u8], b: &[u8], imm: u8) -> Vec<u8> {
    let n = a.len();
    match op {
        VecOp::Pshufb => {
            build(n, 1, |i| if b[i] & 0x80 != 0 { 0 } else { a[b[i] as usize & (n - 1)] as u64 })
        }
        VecOp::Phaddw => horizontal(a, b, 2, |x, y| x.wrapping_add(y) as u64),
        VecOp::Phaddd => horizontal(a, b, 4, |x, y| x.wrapping_add(y) as u64),
        VecOp::Phaddsw => horizontal(a, b, 2, |x, y| sat16(x + y)),
        VecOp::Phsubw => horizontal(a, b, 2, |x, y| x.wrapping_sub(y) as u64),
        VecOp::Phsubd => horizontal(a, b, 4, |x, y| x.wrapping_sub(y) as u64),
        VecOp::Phsubsw => horizontal(a, b, 2, |x, y| sat16(x - y)),
        VecOp::Pmaddubsw => build(n, 2, |i| {
            let p = |k: usize| a[k] as i64 * b[k] as i8 as i64;
            sat16(p(2 * i) + p(2 * i + 1))
        }),
        VecOp::Pmulhrsw => build(n, 2, |i| {
            let p = sext(get(a, 2, i), 2) * sext(get(b, 2, i), 2);
            (((p >> 14) + 1) >> 1) as u64
        }),
        VecOp::Psignb => sign(a, b, 1),
        VecOp::Psignw => sign(a, b, 2),
        VecOp::Psignd => sign(a, b, 4),
        VecOp::Palignr => {
            // The concatenation a:b (b in the low bytes) shifted right by imm bytes.
            let cat: Vec<u8> = b.iter().chain(a.iter()).copied().collect();
            build(n, 1, |i| cat.get(i + imm as usize).copied().unwrap_or(0) as u64)
        }
        VecOp::Packusdw => build(n, 2, |i| {
            let (v, j) = if i < n / 4 { (a, i) } else { (b, i - n / 4) };
            sext(get(v, 4, j), 4).clamp(0, u16::MAX as i64) as u64
        }),
        VecOp::Phminposuw => {
            // The first minimum word of the source and its index; the rest zero.
            let (idx, min) = (0..8).map(|i| (i, get(b, 2, i))).min_by_key(|&(i, w)| (w, i)).expect("8 words");
            build(n, 2, |i| match i {
                0 => min,
                1 => idx as u64,
                _ => 0,
            })
        }
        VecOp::Mpsadbw => {
            // Eight sums of absolute differences of a 4-byte block of the source (dword
            // imm[1:0]) against sliding 4-byte windows of the destination from byte
            // 4 * imm[2].
            let s = 4 * (imm as usize & 3);
            let d = 4 * (imm as usize >> 2 & 1);
            build(n, 2, |i| (0..4).map(|k| a[d + i + k].abs_diff(b[s + k]) as u64).sum())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(f: impl Fn(usize) -> u8) -> Vec<u8> {
        (0..16).map(f).collect()
    }

    #[test]
    fn pshufb_zeroes_on_the_high_bit_and_wraps_indexes() {
        let a = bytes(|i| 0x10 + i as u8);
        let b = bytes(|i| if i == 3 { 0x80 } else { (15 - i as u8) | 0x30 });
        let r = eval(VecOp::Pshufb, &a, &b, 0);
        assert_eq!(r[0], 0x1f);
        assert_eq!(r[3], 0);
        assert_eq!(r[15], 0x10);
    }

    #[test]
    fn palignr_shifts_the_concatenation_and_clears_past_it() {
        let a = bytes(|i| 0x20 + i as u8);
        let b = bytes(|i| i as u8);
        assert_eq!(eval(VecOp::Palignr, &a, &b, 0), b);
        assert_eq!(eval(VecOp::Palignr, &a, &b, 16), a);
        assert_eq!(eval(VecOp::Palignr, &a, &b, 5)[11], 0x20);
        assert_eq!(eval(VecOp::Palignr, &a, &b, 32), vec![0u8; 16]);
    }
}
