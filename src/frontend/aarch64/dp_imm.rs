//! ARM ARM C4.1.92 "Data Processing -- Immediate": add/sub (immediate), logical (immediate,
//! with `DecodeBitMasks`), move wide, PC-relative addressing, bitfield and extract.

use super::decode::{row, Row};
use super::flags::AddKind;
use super::{bit, bits, sext, width_of, Ctx, Flow};
use crate::ir::{BinOp, UnOp, Width};

pub const ROWS: &[Row] = &[
    row!(ADD_imm, "ADD/ADDS/SUB/SUBS (immediate)", "zoS100010h iiiiiiiiiiii nnnnn ddddd", add_sub_imm),
    row!(LOG_imm, "AND/ORR/EOR/ANDS (immediate)", "zoo100100N rrrrrr ssssss nnnnn ddddd", logical_imm),
    row!(MOVE_wide, "MOVN/MOVZ/MOVK", "zoo100101 hh iiiiiiiiiiiiiiii ddddd", move_wide),
    row!(ADR, "ADR/ADRP", "pii10000 iiiiiiiiiiiiiiiiiii ddddd", adr),
    row!(BITFIELD, "SBFM/BFM/UBFM", "zoo100110N rrrrrr ssssss nnnnn ddddd", bitfield),
    row!(EXTR, "EXTR", "z00100111N0 mmmmm ssssss nnnnn ddddd", extr),
];

fn add_sub_imm(cx: &mut Ctx, w: u32) -> Flow {
    let (sf, sub, set_flags) = (bit(w, 31), bit(w, 30), bit(w, 29));
    let width = width_of(sf);
    let imm = (bits(w, 10, 12) as u64) << if bit(w, 22) { 12 } else { 0 };
    let (rn, rd) = (bits(w, 5, 5), bits(w, 0, 5));
    let a = cx.xsp(rn, width);
    let b = cx.imm(imm);
    let kind = if sub { AddKind::Sub } else { AddKind::Add };
    let r = cx.add_sub(kind, a, b, width, set_flags);
    if set_flags {
        cx.set_x(rd, r, width);
    } else {
        cx.set_xsp(rd, r, width);
    }
    Flow::Next
}

/// ARM's `DecodeBitMasks(N, imms, immr, immediate)` for a `datasize`-bit operation: the
/// `(wmask, tmask)` pair, or `None` for a reserved encoding.
pub fn decode_bit_masks(n: u32, imms: u32, immr: u32, immediate: bool, datasize: u32) -> Option<(u64, u64)> {
    let combined = (n << 6) | (!imms & 0x3f);
    if combined == 0 {
        return None;
    }
    let len = 31 - combined.leading_zeros();
    if len < 1 || (1u32 << len) > datasize {
        return None;
    }
    let levels = (1u32 << len) - 1;
    if immediate && imms & levels == levels {
        return None;
    }
    let s = imms & levels;
    let r = immr & levels;
    let diff = s.wrapping_sub(r) & levels;
    let esize = 1u32 << len;
    let ones = |k: u32| if k >= 64 { u64::MAX } else { (1u64 << k) - 1 };
    let emask = ones(esize);
    let welem = ones(s + 1);
    let telem = ones(diff + 1);
    let rot = if r == 0 { welem } else { ((welem >> r) | (welem << (esize - r))) & emask };
    let replicate = |e: u64| {
        let mut out = 0u64;
        let mut pos = 0;
        while pos < datasize {
            out |= e << pos;
            pos += esize;
        }
        out
    };
    Some((replicate(rot), replicate(telem)))
}

fn logical_imm(cx: &mut Ctx, w: u32) -> Flow {
    let sf = bit(w, 31);
    let n = bits(w, 22, 1);
    if !sf && n == 1 {
        return Flow::Unimplemented("reserved (N=1 with 32-bit operation)");
    }
    let width = width_of(sf);
    let Some((imm, _)) = decode_bit_masks(n, bits(w, 10, 6), bits(w, 16, 6), true, width.bits()) else {
        return Flow::Unimplemented("reserved bitmask immediate");
    };
    let (rn, rd) = (bits(w, 5, 5), bits(w, 0, 5));
    let a = cx.xr(rn, width);
    let b = cx.imm(imm);
    let op = [BinOp::And, BinOp::Or, BinOp::Xor, BinOp::And][bits(w, 29, 2) as usize];
    let r = cx.b.bin(op, a, b, width);
    if bits(w, 29, 2) == 3 {
        cx.set_nzcv_logical(r, width);
        cx.set_x(rd, r, width);
    } else {
        cx.set_xsp(rd, r, width);
    }
    Flow::Next
}

fn move_wide(cx: &mut Ctx, w: u32) -> Flow {
    let sf = bit(w, 31);
    let hw = bits(w, 21, 2);
    let opc = bits(w, 29, 2);
    if opc == 1 {
        return Flow::Unimplemented("unallocated move-wide opc");
    }
    if !sf && hw >= 2 {
        return Flow::Unimplemented("reserved hw for 32-bit move wide");
    }
    let width = width_of(sf);
    let shift = hw * 16;
    let imm = (bits(w, 5, 16) as u64) << shift;
    let rd = bits(w, 0, 5);
    let r = match opc {
        0 => cx.imm(!imm & width.mask()),
        2 => cx.imm(imm),
        _ => {
            let old = cx.xr(rd, width);
            let cleared = cx.b.bin_imm(BinOp::And, old, !(0xffffu64 << shift), width);
            cx.b.bin_imm(BinOp::Or, cleared, imm, width)
        }
    };
    cx.set_x(rd, r, width);
    Flow::Next
}

fn adr(cx: &mut Ctx, w: u32) -> Flow {
    let imm = sext(((bits(w, 5, 19) << 2) | bits(w, 29, 2)) as u64, 21);
    let value = if bit(w, 31) {
        (cx.pc & !0xfff).wrapping_add((imm << 12) as u64)
    } else {
        cx.pc.wrapping_add(imm as u64)
    };
    let t = cx.imm(value);
    cx.set_x(bits(w, 0, 5), t, Width::W64);
    Flow::Next
}

fn bitfield(cx: &mut Ctx, w: u32) -> Flow {
    let sf = bit(w, 31);
    let n = bits(w, 22, 1);
    let (immr, imms) = (bits(w, 16, 6), bits(w, 10, 6));
    let opc = bits(w, 29, 2);
    if opc == 3 {
        return Flow::Unimplemented("unallocated bitfield opc");
    }
    if (sf && n != 1) || (!sf && (n != 0 || immr >= 32 || imms >= 32)) {
        return Flow::Unimplemented("reserved bitfield encoding");
    }
    let width = width_of(sf);
    let Some((wmask, tmask)) = decode_bit_masks(n, imms, immr, false, width.bits()) else {
        return Flow::Unimplemented("reserved bitmask");
    };
    let (rn, rd) = (bits(w, 5, 5), bits(w, 0, 5));
    let src = cx.xr(rn, width);
    let rotated = if immr == 0 { src } else { cx.b.bin_imm(BinOp::Rotr, src, immr as u64, width) };
    let bot = cx.b.bin_imm(BinOp::And, rotated, wmask, width);
    let r = match opc {
        // SBFM: bits outside tmask are copies of source bit `imms`.
        0 => {
            let sign = cx.b.bit(src, imms);
            let top = cx.b.un(UnOp::Neg, sign, width);
            let top = cx.b.bin_imm(BinOp::And, top, !tmask, width);
            let low = cx.b.bin_imm(BinOp::And, bot, tmask, width);
            cx.b.bin(BinOp::Or, top, low, width)
        }
        // BFM: insert into the old destination.
        1 => {
            let dst = cx.xr(rd, width);
            let keep = cx.b.bin_imm(BinOp::And, dst, !wmask, width);
            let merged = cx.b.bin(BinOp::Or, keep, bot, width);
            let low = cx.b.bin_imm(BinOp::And, merged, tmask, width);
            let high = cx.b.bin_imm(BinOp::And, dst, !tmask, width);
            cx.b.bin(BinOp::Or, high, low, width)
        }
        // UBFM
        _ => cx.b.bin_imm(BinOp::And, bot, tmask, width),
    };
    cx.set_x(rd, r, width);
    Flow::Next
}

fn extr(cx: &mut Ctx, w: u32) -> Flow {
    let sf = bit(w, 31);
    let lsb = bits(w, 10, 6);
    if sf != bit(w, 22) || (!sf && lsb >= 32) {
        return Flow::Unimplemented("reserved EXTR encoding");
    }
    let width = width_of(sf);
    let (rm, rn, rd) = (bits(w, 16, 5), bits(w, 5, 5), bits(w, 0, 5));
    let low = cx.xr(rm, width);
    let r = if lsb == 0 {
        low
    } else if rn == rm {
        // ROR (immediate): one rotate instead of two shifts and an OR.
        cx.b.bin_imm(BinOp::Rotr, low, lsb as u64, width)
    } else {
        let high = cx.xr(rn, width);
        let lo = cx.b.bin_imm(BinOp::Lshr, low, lsb as u64, width);
        let hi = cx.b.bin_imm(BinOp::Shl, high, (width.bits() - lsb) as u64, width);
        cx.b.bin(BinOp::Or, lo, hi, width)
    };
    cx.set_x(rd, r, width);
    Flow::Next
}

#[cfg(test)]
mod tests {
    use super::decode_bit_masks;

    #[test]
    fn bit_masks_match_known_immediates() {
        // and x0, x0, #0xff  => N=1 immr=0 imms=7
        assert_eq!(decode_bit_masks(1, 7, 0, true, 64).unwrap().0, 0xff);
        // orr w0, w0, #0x55555555 => N=0 immr=0 imms=0b111100
        assert_eq!(decode_bit_masks(0, 0b111100, 0, true, 32).unwrap().0, 0x5555_5555);
        // all ones is reserved for immediates
        assert!(decode_bit_masks(1, 0b111111, 0, true, 64).is_none());
        // and x0, x0, #0xfffffffffffffff0 => N=1 immr=60 imms=59
        assert_eq!(decode_bit_masks(1, 59, 60, true, 64).unwrap().0, 0xffff_ffff_ffff_fff0);
    }
}
