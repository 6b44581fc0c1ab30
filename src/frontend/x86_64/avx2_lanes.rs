//! The VEX forms that are not a legacy-SSE instruction per 128-bit half (see `vex`): the
//! cross-lane 256-bit ones (vperm2i128/f128, vpermq/vpermpd, vinserti128/f128,
//! vextracti128/f128, the broadcasts, vpmovmskb/vmovmskps/vmovmskpd and vptest on ymm) and
//! vzeroupper/vzeroall, plain 64-bit IR over the halves of the registers; vpcmpestrm and
//! vpcmpistrm (the lowering, then the implicit xmm0's upper half zeroed). The selecting forms
//! are in [`super::avx2_select`].

use super::sse_move::V128;
use super::state::off;
use super::vex::zero_upper;
use super::{Ctx, Handler, Unsupported};
use crate::ir::{BinOp, Temp, Width};
use iced_x86::{Instruction, Mnemonic, OpKind};

/// The handler of a cross-lane VEX form (None: the form goes to the lowering).
pub fn lookup(insn: &Instruction) -> Option<Handler> {
    let wide = insn.op_count() > 0 && insn.op_kind(0) == OpKind::Register && insn.op_register(0).is_ymm();
    let src_wide = insn.op_count() > 1 && insn.op_kind(1) == OpKind::Register && insn.op_register(1).is_ymm();
    Some(match insn.mnemonic() {
        Mnemonic::Vzeroupper => |c, _| zero_all(c, false),
        Mnemonic::Vzeroall => |c, _| zero_all(c, true),
        Mnemonic::Vpbroadcastb => |c, i| broadcast(c, i, Width::W8),
        Mnemonic::Vpbroadcastw => |c, i| broadcast(c, i, Width::W16),
        Mnemonic::Vpbroadcastd | Mnemonic::Vbroadcastss => |c, i| broadcast(c, i, Width::W32),
        Mnemonic::Vpbroadcastq | Mnemonic::Vbroadcastsd => |c, i| broadcast(c, i, Width::W64),
        Mnemonic::Vbroadcasti128 | Mnemonic::Vbroadcastf128 => broadcast128,
        Mnemonic::Vinserti128 | Mnemonic::Vinsertf128 => insert128,
        Mnemonic::Vextracti128 | Mnemonic::Vextractf128 => extract128,
        Mnemonic::Vperm2i128 | Mnemonic::Vperm2f128 => perm2x128,
        Mnemonic::Vpermq | Mnemonic::Vpermpd if insn.op_kind(2) == OpKind::Immediate8 => permq,
        Mnemonic::Vpmovmskb if src_wide => |c, i| movemask(c, i, 8),
        Mnemonic::Vmovmskps if src_wide => |c, i| movemask(c, i, 32),
        Mnemonic::Vmovmskpd if src_wide => |c, i| movemask(c, i, 64),
        Mnemonic::Vptest if wide => vptest,
        Mnemonic::Vpcmpestrm | Mnemonic::Vpcmpestrm64 | Mnemonic::Vpcmpistrm => pcmpstrm,
        m => return super::avx2_select::lookup(m),
    })
}

/// A ymm register's value as (lower, upper) halves.
fn ymm_get(ctx: &mut Ctx, n: usize) -> [V128; 2] {
    [ctx.xmm_get(n), ctx.xmm_get(16 + n)]
}

fn ymm_set(ctx: &mut Ctx, n: usize, v: [V128; 2]) {
    ctx.xmm_set(n, v[0]);
    ctx.xmm_set(16 + n, v[1]);
}

/// The ymm/xmm register number of operand `i`.
pub(super) fn vreg(insn: &Instruction, i: u32) -> Result<usize, Unsupported> {
    if insn.op_kind(i) != OpKind::Register {
        return Err(Unsupported);
    }
    let r = insn.op_register(i);
    (r.is_xmm() || r.is_ymm()).then(|| r.number()).filter(|&n| n < 16).ok_or(Unsupported)
}

/// Loads `n` 64-bit words from the memory operand (no alignment rule).
fn load_words(ctx: &mut Ctx, insn: &Instruction, n: u64) -> Result<Vec<Temp>, Unsupported> {
    let addr = ctx.mem_addr(insn)?;
    Ok((0..n)
        .map(|k| {
            let at = if k == 0 { addr } else { ctx.bin_imm(BinOp::Add, addr, 8 * k, Width::W64) };
            ctx.load(at, Width::W64)
        })
        .collect())
}

/// Operand `i` as a 256-bit value (ymm register or m256).
fn read256(ctx: &mut Ctx, insn: &Instruction, i: u32) -> Result<[V128; 2], Unsupported> {
    if insn.op_kind(i) == OpKind::Memory {
        let w = load_words(ctx, insn, 4)?;
        return Ok([V128 { lo: w[0], hi: w[1] }, V128 { lo: w[2], hi: w[3] }]);
    }
    let n = vreg(insn, i)?;
    Ok(ymm_get(ctx, n))
}

/// Operand `i` as a 128-bit value (xmm register or m128).
fn read128(ctx: &mut Ctx, insn: &Instruction, i: u32) -> Result<V128, Unsupported> {
    if insn.op_kind(i) == OpKind::Memory {
        let w = load_words(ctx, insn, 2)?;
        return Ok(V128 { lo: w[0], hi: w[1] });
    }
    let n = vreg(insn, i)?;
    Ok(ctx.xmm_get(n))
}

/// Writes a 128-bit result to xmm register `n` (upper half zeroed) or a 256-bit one.
fn write_dst(ctx: &mut Ctx, n: usize, wide: bool, lo: V128, hi: V128) {
    if wide {
        ymm_set(ctx, n, [lo, hi]);
    } else {
        ctx.xmm_set(n, lo);
        zero_upper(ctx, n);
    }
}

/// vzeroupper (`all` false): the upper halves of ymm0-15 zeroed; vzeroall: whole registers.
fn zero_all(ctx: &mut Ctx, all: bool) -> Result<(), Unsupported> {
    let zero = ctx.constant(0);
    let first = if all { 0 } else { 16 };
    for slot in first..32 {
        ctx.xmm_set(slot, V128 { lo: zero, hi: zero });
    }
    Ok(())
}

/// vpbroadcastb/w/d/q, vbroadcastss/sd: the low element of an xmm register or memory
/// operand in every lane of the destination.
fn broadcast(ctx: &mut Ctx, insn: &Instruction, lane: Width) -> Result<(), Unsupported> {
    let d = vreg(insn, 0)?;
    let wide = insn.op_register(0).is_ymm();
    let x = match insn.op_kind(1) {
        OpKind::Memory => {
            let addr = ctx.mem_addr(insn)?;
            ctx.load(addr, lane)
        }
        _ => {
            let s = vreg(insn, 1)?;
            ctx.load_state(off::xmm(s), lane)
        }
    };
    let ones = match lane {
        Width::W8 => 0x0101_0101_0101_0101,
        Width::W16 => 0x0001_0001_0001_0001,
        Width::W32 => 0x0000_0001_0000_0001,
        _ => 1,
    };
    let v = if ones == 1 { x } else { ctx.bin_imm(BinOp::Mul, x, ones, Width::W64) };
    let half = V128 { lo: v, hi: v };
    write_dst(ctx, d, wide, half, half);
    Ok(())
}

/// vbroadcasti128/f128 ymm, m128: the 16 bytes in both halves.
fn broadcast128(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let d = vreg(insn, 0)?;
    let v = read128(ctx, insn, 1)?;
    ymm_set(ctx, d, [v, v]);
    Ok(())
}

/// vinserti128/f128 ymm1, ymm2, xmm/m128, imm8: ymm2 with half imm[0] replaced.
fn insert128(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let d = vreg(insn, 0)?;
    let mut v = read256(ctx, insn, 1)?;
    let x = read128(ctx, insn, 2)?;
    v[(insn.immediate(3) & 1) as usize] = x;
    ymm_set(ctx, d, v);
    Ok(())
}

/// vextracti128/f128 xmm/m128, ymm, imm8: half imm[0] of the ymm register.
fn extract128(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let v = read256(ctx, insn, 1)?;
    let x = v[(insn.immediate(2) & 1) as usize];
    if insn.op_kind(0) == OpKind::Memory {
        let addr = ctx.mem_addr(insn)?;
        ctx.store(addr, x.lo, Width::W64);
        let hi = ctx.bin_imm(BinOp::Add, addr, 8, Width::W64);
        ctx.store(hi, x.hi, Width::W64);
    } else {
        let d = vreg(insn, 0)?;
        write_dst(ctx, d, false, x, x);
    }
    Ok(())
}

/// vperm2i128/f128 ymm1, ymm2, ymm3/m256, imm8: each half chosen from the four source halves
/// (imm[1:0], imm[5:4]) or zeroed (imm[3], imm[7]).
fn perm2x128(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let d = vreg(insn, 0)?;
    let a = read256(ctx, insn, 1)?;
    let b = read256(ctx, insn, 2)?;
    let srcs = [a[0], a[1], b[0], b[1]];
    let imm = insn.immediate(3);
    let zero = ctx.constant(0);
    let pick = |sel: u64| if sel & 8 != 0 { V128 { lo: zero, hi: zero } } else { srcs[(sel & 3) as usize] };
    let (lo, hi) = (pick(imm), pick(imm >> 4));
    ymm_set(ctx, d, [lo, hi]);
    Ok(())
}

/// vpermq/vpermpd ymm1, ymm2/m256, imm8: quadword i of the result is quadword imm[2i+1:2i].
fn permq(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let d = vreg(insn, 0)?;
    let v = read256(ctx, insn, 1)?;
    let q = [v[0].lo, v[0].hi, v[1].lo, v[1].hi];
    let imm = insn.immediate(2);
    let r: Vec<Temp> = (0..4).map(|i| q[(imm >> (2 * i) & 3) as usize]).collect();
    ymm_set(ctx, d, [V128 { lo: r[0], hi: r[1] }, V128 { lo: r[2], hi: r[3] }]);
    Ok(())
}

/// vpmovmskb/vmovmskps/vmovmskpd r32/r64, ymm: the sign bits of all lanes.
fn movemask(ctx: &mut Ctx, insn: &Instruction, lane_bits: u32) -> Result<(), Unsupported> {
    let s = vreg(insn, 1)?;
    let [lo, hi] = ymm_get(ctx, s);
    let m_lo = super::sse_int::movemask_bits(ctx, lo, lane_bits);
    let m_hi = super::sse_int::movemask_bits(ctx, hi, lane_bits);
    let m_hi = ctx.bin_imm(BinOp::Shl, m_hi, u64::from(128 / lane_bits), Width::W64);
    let mask = ctx.bin(BinOp::Or, m_lo, m_hi, Width::W64);
    let dst = ctx.operand(insn, 0)?;
    ctx.write(dst, mask)
}

/// vpcmpestrm/vpcmpistrm: the legacy form through the lowering, then ymm0's upper half (the
/// implicit destination's) zeroed.
fn pcmpstrm(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    super::vex::lower(ctx, insn)?;
    zero_upper(ctx, 0);
    Ok(())
}

/// vptest ymm, ymm/m256: ptest over 256 bits.
fn vptest(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let a = read256(ctx, insn, 0)?;
    let b = read256(ctx, insn, 1)?;
    super::sse41_int::test_flags(
        ctx,
        &[a[0].lo, a[0].hi, a[1].lo, a[1].hi],
        &[b[0].lo, b[0].hi, b[1].lo, b[1].hi],
    );
    Ok(())
}
