//! VEX forms with per-element selection and no legacy-SSE equivalent of the same shape:
//! vpblendvb/vblendvps/vblendvpd (four operands, the mask a register), vpblendd, the
//! per-element variable shifts vpsllv/vpsrlv/vpsrav, vpermd/vpermps, vpermilps/vpermilpd
//! (immediate and variable), vmovddup, vtestps/vtestpd, for xmm and ymm. Plain 64-bit IR over the halves (selects for vpermd's dynamic indexes).

use super::sse_move::V128;
use super::vex::zero_upper;
use super::{Ctx, Handler, Unsupported};
use crate::ir::{BinOp, LaneOp, Temp, UnOp, Width};
use iced_x86::{Instruction, Mnemonic, OpKind};

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    use Width::*;
    Some(match m {
        Mnemonic::Vpblendvb => |c, i| blendv(c, i, W8),
        Mnemonic::Vblendvps => |c, i| blendv(c, i, W32),
        Mnemonic::Vblendvpd => |c, i| blendv(c, i, W64),
        Mnemonic::Vpblendd => vpblendd,
        Mnemonic::Vpsllvd => |c, i| shift_var(c, i, LaneOp::Shl, W32),
        Mnemonic::Vpsllvq => |c, i| shift_var(c, i, LaneOp::Shl, W64),
        Mnemonic::Vpsrlvd => |c, i| shift_var(c, i, LaneOp::Lshr, W32),
        Mnemonic::Vpsrlvq => |c, i| shift_var(c, i, LaneOp::Lshr, W64),
        Mnemonic::Vpsravd => |c, i| shift_var(c, i, LaneOp::Ashr, W32),
        Mnemonic::Vpermd | Mnemonic::Vpermps => vpermd,
        Mnemonic::Vpermilps => vpermilps,
        Mnemonic::Vpermilpd => vpermilpd,
        Mnemonic::Vmovddup => vmovddup,
        Mnemonic::Vtestps => |c, i| vtest(c, i, 0x8000_0000_8000_0000),
        Mnemonic::Vtestpd => |c, i| vtest(c, i, 0x8000_0000_0000_0000),
        _ => return None,
    })
}

/// A vector operand as 64-bit words, lowest first: 2 for xmm/m128, 4 for ymm/m256.
pub(super) fn read_words(ctx: &mut Ctx, insn: &Instruction, i: u32) -> Result<Vec<Temp>, Unsupported> {
    match insn.op_kind(i) {
        OpKind::Register => {
            let r = insn.op_register(i);
            let n = r.number();
            if n >= 16 || !(r.is_xmm() || r.is_ymm()) {
                return Err(Unsupported);
            }
            let lo = ctx.xmm_get(n);
            let mut w = vec![lo.lo, lo.hi];
            if r.is_ymm() {
                let hi = ctx.xmm_get(16 + n);
                w.extend([hi.lo, hi.hi]);
            }
            Ok(w)
        }
        OpKind::Memory => {
            let addr = ctx.mem_addr(insn)?;
            let n = insn.memory_size().size() as u64 / 8;
            Ok((0..n)
                .map(|k| {
                    let at = if k == 0 { addr } else { ctx.bin_imm(BinOp::Add, addr, 8 * k, Width::W64) };
                    ctx.load(at, Width::W64)
                })
                .collect())
        }
        _ => Err(Unsupported),
    }
}

/// Writes words (2: xmm, upper half zeroed; 4: ymm) to the vector register operand 0.
pub(super) fn write_words(ctx: &mut Ctx, insn: &Instruction, w: &[Temp]) -> Result<(), Unsupported> {
    let r = insn.op_register(0);
    let n = r.number();
    if insn.op_kind(0) != OpKind::Register || n >= 16 || !(r.is_xmm() || r.is_ymm()) {
        return Err(Unsupported);
    }
    ctx.xmm_set(n, V128 { lo: w[0], hi: w[1] });
    match w.len() {
        2 => zero_upper(ctx, n),
        4 => ctx.xmm_set(16 + n, V128 { lo: w[2], hi: w[3] }),
        _ => return Err(Unsupported),
    }
    Ok(())
}

/// `(a & !m) | (b & m)`.
fn merge(ctx: &mut Ctx, a: Temp, b: Temp, m: Temp) -> Temp {
    let w = Width::W64;
    let not_m = ctx.un(UnOp::Not, m, w);
    let keep = ctx.bin(BinOp::And, a, not_m, w);
    let take = ctx.bin(BinOp::And, b, m, w);
    ctx.bin(BinOp::Or, keep, take, w)
}

/// vpblendvb/vblendvps/vblendvpd x1, x2, x3/m, x4: each element from x3/m where x4's element
/// has its sign bit set, else from x2.
fn blendv(ctx: &mut Ctx, insn: &Instruction, lane: Width) -> Result<(), Unsupported> {
    let a = read_words(ctx, insn, 1)?;
    let b = read_words(ctx, insn, 2)?;
    let m = read_words(ctx, insn, 3)?;
    let zero = ctx.constant(0);
    let mut out = Vec::new();
    for k in 0..a.len() {
        // The sign of each element spread over it.
        let mask = match lane {
            Width::W64 => ctx.bin_imm(BinOp::Ashr, m[k], 63, Width::W64),
            _ => ctx.lanes(LaneOp::CmpGtS, lane, zero, m[k]),
        };
        out.push(merge(ctx, a[k], b[k], mask));
    }
    write_words(ctx, insn, &out)
}

/// vpblendd x1, x2, x3/m, imm8: dword i from x3/m where imm bit i is set, else from x2.
fn vpblendd(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let a = read_words(ctx, insn, 1)?;
    let b = read_words(ctx, insn, 2)?;
    let imm = insn.immediate(3);
    let mut out = Vec::new();
    for k in 0..a.len() {
        let bits = imm >> (2 * k) & 3;
        let m = ((bits & 1) * 0xffff_ffff) | ((bits >> 1) * 0xffff_ffff_0000_0000);
        let mask = ctx.constant(m);
        out.push(merge(ctx, a[k], b[k], mask));
    }
    write_words(ctx, insn, &out)
}

/// vpsllv/vpsrlv/vpsrav: each element shifted by the count in the same element of x3/m
/// (counts of the element width or more give zero, or sign copies for vpsrav).
fn shift_var(ctx: &mut Ctx, insn: &Instruction, op: LaneOp, lane: Width) -> Result<(), Unsupported> {
    let a = read_words(ctx, insn, 1)?;
    let c = read_words(ctx, insn, 2)?;
    let mut out = Vec::new();
    for k in 0..a.len() {
        let r = if lane == Width::W64 {
            ctx.lanes(op, lane, a[k], c[k])
        } else {
            // Each dword on its own: the count zero-extended to 64 bits shifts both dwords,
            // and the dword it belongs to is kept.
            let c0 = ctx.ext(c[k], Width::W32, false);
            let c1 = ctx.bin_imm(BinOp::Lshr, c[k], 32, Width::W64);
            let r0 = ctx.lanes(op, lane, a[k], c0);
            let r1 = ctx.lanes(op, lane, a[k], c1);
            let r0 = ctx.bin_imm(BinOp::And, r0, 0xffff_ffff, Width::W64);
            let r1 = ctx.bin_imm(BinOp::And, r1, 0xffff_ffff_0000_0000, Width::W64);
            ctx.bin(BinOp::Or, r0, r1, Width::W64)
        };
        out.push(r);
    }
    write_words(ctx, insn, &out)
}

/// vpermd/vpermps ymm1, ymm2, ymm3/m256: dword i of the result is dword `ymm2[i] & 7` of
/// ymm3/m256.
fn vpermd(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let idx = read_words(ctx, insn, 1)?;
    let src = read_words(ctx, insn, 2)?;
    if idx.len() != 4 || src.len() != 4 {
        return Err(Unsupported);
    }
    let w = Width::W64;
    let mut dwords = Vec::new();
    for i in 0..8 {
        let word = idx[i / 2];
        let j = if i % 2 == 0 { word } else { ctx.bin_imm(BinOp::Lshr, word, 32, w) };
        let b1 = ctx.bit(j, 1);
        let b2 = ctx.bit(j, 2);
        let q01 = ctx.select(b1, src[1], src[0]);
        let q23 = ctx.select(b1, src[3], src[2]);
        let q = ctx.select(b2, q23, q01);
        let odd = ctx.bin_imm(BinOp::And, j, 1, w);
        let shift = ctx.bin_imm(BinOp::Shl, odd, 5, w);
        let d = ctx.bin(BinOp::Lshr, q, shift, w);
        dwords.push(ctx.ext(d, Width::W32, false));
    }
    let mut out = Vec::new();
    for k in 0..4 {
        let hi = ctx.bin_imm(BinOp::Shl, dwords[2 * k + 1], 32, w);
        out.push(ctx.bin(BinOp::Or, dwords[2 * k], hi, w));
    }
    write_words(ctx, insn, &out)
}

/// vtestps/vtestpd x1, x2/m: ptest's flags over the elements' sign bits only.
fn vtest(ctx: &mut Ctx, insn: &Instruction, signs: u64) -> Result<(), Unsupported> {
    let a = read_words(ctx, insn, 0)?;
    let b = read_words(ctx, insn, 1)?;
    let a: Vec<Temp> = a.iter().map(|&x| ctx.bin_imm(BinOp::And, x, signs, Width::W64)).collect();
    let b: Vec<Temp> = b.iter().map(|&x| ctx.bin_imm(BinOp::And, x, signs, Width::W64)).collect();
    super::sse41_int::test_flags(ctx, &a, &b);
    Ok(())
}

/// Dword `k` (0-3) of the 128-bit value in words `w[0]`, `w[1]`, zero-extended.
fn dword(ctx: &mut Ctx, w: &[Temp], k: usize) -> Temp {
    let q = w[k / 2];
    let q = if k % 2 == 1 { ctx.bin_imm(BinOp::Lshr, q, 32, Width::W64) } else { q };
    ctx.ext(q, Width::W32, false)
}

/// Two zero-extended dwords as one word.
fn pair(ctx: &mut Ctx, lo: Temp, hi: Temp) -> Temp {
    let hi = ctx.bin_imm(BinOp::Shl, hi, 32, Width::W64);
    ctx.bin(BinOp::Or, lo, hi, Width::W64)
}

/// The operands of vpermilps/vpermilpd: the source words, and the control words (variable
/// form) or the immediate.
type PermilOperands = (Vec<Temp>, Option<Vec<Temp>>, u64);

fn permil_operands(ctx: &mut Ctx, insn: &Instruction) -> Result<PermilOperands, Unsupported> {
    let variable = insn.op_count() == 3 && insn.op_kind(2) != OpKind::Immediate8;
    let src = read_words(ctx, insn, 1)?;
    let ctl = if variable { Some(read_words(ctx, insn, 2)?) } else { None };
    let imm = if variable { 0 } else { insn.immediate(2) };
    Ok((src, ctl, imm))
}

/// vpermilps x1, x2/m, imm8 (dword i of each 128-bit lane is the lane's dword imm[2i+1:2i])
/// and vpermilps x1, x2, x3/m (the index in bits 1:0 of x3's dword i).
fn vpermilps(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let (src, ctl, imm) = permil_operands(ctx, insn)?;
    let mut out = Vec::new();
    for lane in src.chunks(2) {
        let base = out.len();
        let mut d = Vec::new();
        for i in 0..4 {
            let v = match &ctl {
                None => dword(ctx, lane, (imm >> (2 * i) & 3) as usize),
                Some(c) => {
                    let j = dword(ctx, &c[base..base + 2], i);
                    let b1 = ctx.bit(j, 1);
                    let q = ctx.select(b1, lane[1], lane[0]);
                    let odd = ctx.bin_imm(BinOp::And, j, 1, Width::W64);
                    let shift = ctx.bin_imm(BinOp::Shl, odd, 5, Width::W64);
                    let x = ctx.bin(BinOp::Lshr, q, shift, Width::W64);
                    ctx.ext(x, Width::W32, false)
                }
            };
            d.push(v);
        }
        let lo = pair(ctx, d[0], d[1]);
        let hi = pair(ctx, d[2], d[3]);
        out.extend([lo, hi]);
    }
    write_words(ctx, insn, &out)
}

/// vpermilpd x1, x2/m, imm8 (qword i of lane l is the lane's qword imm[2l+i]) and
/// vpermilpd x1, x2, x3/m (the index in bit 1 of x3's qword i).
fn vpermilpd(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let (src, ctl, imm) = permil_operands(ctx, insn)?;
    let mut out = Vec::new();
    for k in 0..src.len() {
        let lane = &src[k & !1..(k & !1) + 2];
        let v = match &ctl {
            None => lane[(imm >> k & 1) as usize],
            Some(c) => {
                let b1 = ctx.bit(c[k], 1);
                ctx.select(b1, lane[1], lane[0])
            }
        };
        out.push(v);
    }
    write_words(ctx, insn, &out)
}

/// vmovddup ymm, ymm/m256: each lane's low qword in both of its qwords (the xmm form is the
/// legacy movddup's, through the lowering).
fn vmovddup(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    if !insn.op_register(0).is_ymm() {
        return super::vex::lower(ctx, insn);
    }
    let src = read_words(ctx, insn, 1)?;
    if src.len() != 4 {
        return Err(Unsupported);
    }
    write_words(ctx, insn, &[src[0], src[0], src[2], src[2]])
}
