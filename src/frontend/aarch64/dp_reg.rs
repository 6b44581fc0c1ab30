//! ARM ARM C4.1.95 "Data Processing -- Register": add/sub (shifted and extended register,
//! with carry), logical (shifted register), conditional compare and select, the 1- and
//! 2-source groups (bit reversal, byte reversal, clz/cls, division, variable shifts, CRC32) and the
//! 3-source multiply group.

use super::decode::{row, Row};
use super::flags::AddKind;
use super::{bit, bits, width_of, Ctx, Flow};
use crate::ir::{BinOp, Temp, UnOp, Width};

pub const ROWS: &[Row] = &[
    row!(
        LOG_shift,
        "AND/BIC/ORR/ORN/EOR/EON/ANDS/BICS (shifted register)",
        "zoo01010 hh N mmmmm iiiiii nnnnn ddddd",
        logical_shifted
    ),
    row!(
        ADDSUB_shift,
        "ADD/ADDS/SUB/SUBS (shifted register)",
        "zoS01011 hh 0 mmmmm iiiiii nnnnn ddddd",
        add_sub_shifted
    ),
    row!(
        ADDSUB_ext,
        "ADD/ADDS/SUB/SUBS (extended register)",
        "zoS01011 00 1 mmmmm xxx iii nnnnn ddddd",
        add_sub_extended
    ),
    row!(ADC, "ADC/ADCS/SBC/SBCS", "zoS11010000 mmmmm 000000 nnnnn ddddd", adc_sbc),
    row!(CCMP, "CCMN/CCMP (register and immediate)", "zo111010010 mmmmm cccc i0 nnnnn 0 ffff", cond_compare),
    row!(CSEL, "CSEL/CSINC/CSINV/CSNEG", "zo011010100 mmmmm cccc 0o nnnnn ddddd", cond_select),
    row!(DP2, "UDIV/SDIV/LSLV/LSRV/ASRV/RORV", "z0011010110 mmmmm 00 oooo nnnnn ddddd", dp_2src),
    row!(CRC32, "CRC32B/H/W/X, CRC32CB/H/W/X", "z0011010110 mmmmm 010 C ss nnnnn ddddd", crc32),
    row!(DP1, "RBIT/REV16/REV32/REV/CLZ/CLS", "z101101011000000 000 ooo nnnnn ddddd", dp_1src),
    row!(
        DP3,
        "MADD/MSUB/SMADDL/SMSUBL/UMADDL/UMSUBL/SMULH/UMULH",
        "z0011011 ooo mmmmm o aaaaa nnnnn ddddd",
        dp_3src
    ),
];

/// `ShiftReg`: `v` shifted by the 2-bit `shift` type (LSL, LSR, ASR, ROR) and `amount`.
pub fn shift_reg(cx: &mut Ctx, v: Temp, shift: u32, amount: u32, w: Width) -> Temp {
    if amount == 0 {
        return v;
    }
    let op = [BinOp::Shl, BinOp::Lshr, BinOp::Ashr, BinOp::Rotr][shift as usize];
    cx.b.bin_imm(op, v, amount as u64, w)
}

/// `ExtendReg`: the low byte/half/word/all of `v` extended by `option` (UXTB .. SXTX), then
/// shifted left by `shift`, at width `w`.
pub fn extend_reg(cx: &mut Ctx, v: Temp, option: u32, shift: u32, w: Width) -> Temp {
    let from = [Width::W8, Width::W16, Width::W32, Width::W64][(option & 3) as usize];
    let signed = option & 4 != 0;
    let e = if from == Width::W64 || from.bits() >= w.bits() { v } else { cx.b.ext(v, from, signed) };
    if shift == 0 {
        e
    } else {
        cx.b.bin_imm(BinOp::Shl, e, shift as u64, w)
    }
}

fn logical_shifted(cx: &mut Ctx, w: u32) -> Flow {
    let sf = bit(w, 31);
    let amount = bits(w, 10, 6);
    if !sf && amount >= 32 {
        return Flow::Unimplemented("reserved shift amount");
    }
    let width = width_of(sf);
    let (rm, rn, rd) = (bits(w, 16, 5), bits(w, 5, 5), bits(w, 0, 5));
    let opc = bits(w, 29, 2);
    let m = cx.xr(rm, width);
    let mut op2 = shift_reg(cx, m, bits(w, 22, 2), amount, width);
    if bit(w, 21) {
        op2 = cx.b.un(UnOp::Not, op2, width);
    }
    // `mov xd, xm` (orr with xzr) is the most common form: no need for the OR.
    let r = if opc == 1 && rn == 31 {
        op2
    } else {
        let a = cx.xr(rn, width);
        let op = [BinOp::And, BinOp::Or, BinOp::Xor, BinOp::And][opc as usize];
        cx.b.bin(op, a, op2, width)
    };
    if opc == 3 {
        cx.set_nzcv_logical(r, width);
    }
    cx.set_x(rd, r, width);
    Flow::Next
}

fn add_sub_shifted(cx: &mut Ctx, w: u32) -> Flow {
    let sf = bit(w, 31);
    let shift = bits(w, 22, 2);
    let amount = bits(w, 10, 6);
    if shift == 3 || (!sf && amount >= 32) {
        return Flow::Unimplemented("reserved shift");
    }
    let width = width_of(sf);
    let (rm, rn, rd) = (bits(w, 16, 5), bits(w, 5, 5), bits(w, 0, 5));
    let a = cx.xr(rn, width);
    let m = cx.xr(rm, width);
    let b = shift_reg(cx, m, shift, amount, width);
    let kind = if bit(w, 30) { AddKind::Sub } else { AddKind::Add };
    let r = cx.add_sub(kind, a, b, width, bit(w, 29));
    cx.set_x(rd, r, width);
    Flow::Next
}

fn add_sub_extended(cx: &mut Ctx, w: u32) -> Flow {
    let sf = bit(w, 31);
    let shift = bits(w, 10, 3);
    if shift > 4 {
        return Flow::Unimplemented("reserved extend shift");
    }
    let width = width_of(sf);
    let (rm, rn, rd) = (bits(w, 16, 5), bits(w, 5, 5), bits(w, 0, 5));
    let a = cx.xsp(rn, width);
    let m = cx.xr(rm, Width::W64);
    let b = extend_reg(cx, m, bits(w, 13, 3), shift, width);
    let kind = if bit(w, 30) { AddKind::Sub } else { AddKind::Add };
    let set_flags = bit(w, 29);
    let r = cx.add_sub(kind, a, b, width, set_flags);
    if set_flags {
        cx.set_x(rd, r, width);
    } else {
        cx.set_xsp(rd, r, width);
    }
    Flow::Next
}

fn adc_sbc(cx: &mut Ctx, w: u32) -> Flow {
    let width = width_of(bit(w, 31));
    let (rm, rn, rd) = (bits(w, 16, 5), bits(w, 5, 5), bits(w, 0, 5));
    let a = cx.xr(rn, width);
    let b = cx.xr(rm, width);
    let kind = if bit(w, 30) { AddKind::Sbc } else { AddKind::Adc };
    let r = cx.add_sub(kind, a, b, width, bit(w, 29));
    cx.set_x(rd, r, width);
    Flow::Next
}

fn cond_compare(cx: &mut Ctx, w: u32) -> Flow {
    let width = width_of(bit(w, 31));
    let rn = bits(w, 5, 5);
    let a = cx.xr(rn, width);
    let b = if bit(w, 11) { cx.imm(bits(w, 16, 5) as u64) } else { cx.xr(bits(w, 16, 5), width) };
    let kind = if bit(w, 30) { AddKind::Sub } else { AddKind::Add };
    let holds = cx.cond_holds(bits(w, 12, 4));
    let (_, flags) = cx.arith(kind, a, b, width, true);
    let computed = flags.expect("flags were asked for");
    let nzcv = bits(w, 0, 4);
    let mut out = [computed[0]; 4];
    for (i, f) in computed.into_iter().enumerate() {
        let imm = cx.imm(((nzcv >> (3 - i)) & 1) as u64);
        out[i] = cx.b.select(holds, f, imm);
    }
    cx.set_nzcv_temps(out[0], out[1], out[2], out[3]);
    Flow::Next
}

fn cond_select(cx: &mut Ctx, w: u32) -> Flow {
    let width = width_of(bit(w, 31));
    let (rm, rn, rd) = (bits(w, 16, 5), bits(w, 5, 5), bits(w, 0, 5));
    let holds = cx.cond_holds(bits(w, 12, 4));
    let a = cx.xr(rn, width);
    let m = cx.xr(rm, width);
    let b = match (bit(w, 30), bit(w, 10)) {
        (false, false) => m,
        (false, true) => cx.b.bin_imm(BinOp::Add, m, 1, width),
        (true, false) => cx.b.un(UnOp::Not, m, width),
        (true, true) => cx.b.un(UnOp::Neg, m, width),
    };
    let r = cx.b.select(holds, a, b);
    cx.set_x(rd, r, width);
    Flow::Next
}

fn dp_2src(cx: &mut Ctx, w: u32) -> Flow {
    let width = width_of(bit(w, 31));
    let op = match bits(w, 10, 4) {
        0b0010 => BinOp::DivU,
        0b0011 => BinOp::DivS,
        0b1000 => BinOp::Shl,
        0b1001 => BinOp::Lshr,
        0b1010 => BinOp::Ashr,
        0b1011 => BinOp::Rotr,
        _ => return Flow::Unimplemented("data-processing (2 source) opcode"),
    };
    let (rm, rn, rd) = (bits(w, 16, 5), bits(w, 5, 5), bits(w, 0, 5));
    let a = cx.xr(rn, width);
    let b = cx.xr(rm, width);
    // IR shifts take the count modulo the width and IR division gives x/0 = 0: both exactly
    // the A64 rules.
    let r = cx.b.bin(op, a, b, width);
    cx.set_x(rd, r, width);
    Flow::Next
}

/// CRC32{B,H,W,X} (CRC-32) and CRC32C{B,H,W,X} (CRC-32C): the accumulator Wn over the low
/// 1, 2, 4 or 8 bytes of Rm into Wd, by the helper the x86 crc32 shares. The X forms need
/// sf = 1 and the others sf = 0.
fn crc32(cx: &mut Ctx, w: u32) -> Flow {
    let size = bits(w, 10, 2);
    if bit(w, 31) != (size == 3) {
        return Flow::Unimplemented("unallocated CRC32 size");
    }
    let helper = if bit(w, 12) { crate::frontend::crc32::CRC32C } else { crate::frontend::crc32::CRC32 };
    let (rm, rn, rd) = (bits(w, 16, 5), bits(w, 5, 5), bits(w, 0, 5));
    let acc = cx.xr(rn, Width::W32);
    let data = cx.xr(rm, Width::W64);
    let bytes = cx.imm(1 << size);
    let r = cx.b.call(helper, &[acc, data, bytes]);
    cx.set_x(rd, r, Width::W32);
    Flow::Next
}

fn dp_1src(cx: &mut Ctx, w: u32) -> Flow {
    let sf = bit(w, 31);
    let width = width_of(sf);
    let (rn, rd) = (bits(w, 5, 5), bits(w, 0, 5));
    let opc = bits(w, 10, 3);
    let a = cx.xr(rn, width);
    let r = match (opc, sf) {
        (0, _) => cx.b.un(UnOp::Rbit, a, width),
        (1, _) => {
            // REV16: swap the bytes of every halfword.
            let m = 0x00ff_00ff_00ff_00ffu64 & width.mask();
            let lo = cx.b.bin_imm(BinOp::Lshr, a, 8, width);
            let lo = cx.b.bin_imm(BinOp::And, lo, m, width);
            let hi = cx.b.bin_imm(BinOp::And, a, m, width);
            let hi = cx.b.bin_imm(BinOp::Shl, hi, 8, width);
            cx.b.bin(BinOp::Or, lo, hi, width)
        }
        (2, false) | (3, true) => cx.b.un(UnOp::Bswap, a, width),
        (2, true) => {
            // REV32: byte-reverse each word = byte-reverse all, then swap the words.
            let s = cx.b.un(UnOp::Bswap, a, width);
            cx.b.bin_imm(BinOp::Rotr, s, 32, width)
        }
        (4, _) => cx.b.un(UnOp::Clz, a, width),
        (5, _) => {
            // CLS(x) = CLZ(x ^ (x >>arith 1)) - 1
            let sh = cx.b.bin_imm(BinOp::Ashr, a, 1, width);
            let x = cx.b.bin(BinOp::Xor, a, sh, width);
            let z = cx.b.un(UnOp::Clz, x, width);
            cx.b.bin_imm(BinOp::Sub, z, 1, width)
        }
        _ => return Flow::Unimplemented("data-processing (1 source) opcode"),
    };
    cx.set_x(rd, r, width);
    Flow::Next
}

fn dp_3src(cx: &mut Ctx, w: u32) -> Flow {
    let sf = bit(w, 31);
    let op31 = bits(w, 21, 3);
    let o0 = bit(w, 15);
    let (rm, ra, rn, rd) = (bits(w, 16, 5), bits(w, 10, 5), bits(w, 5, 5), bits(w, 0, 5));
    let width = width_of(sf);
    let r = match (op31, sf) {
        (0, _) => {
            let n = cx.xr(rn, width);
            let m = cx.xr(rm, width);
            let acc = cx.xr(ra, width);
            let p = cx.b.bin(BinOp::Mul, n, m, width);
            cx.b.bin(if o0 { BinOp::Sub } else { BinOp::Add }, acc, p, width)
        }
        (1, true) | (5, true) => {
            let signed = op31 == 1;
            let n = cx.xr(rn, Width::W32);
            let m = cx.xr(rm, Width::W32);
            let (n, m) =
                if signed { (cx.b.ext(n, Width::W32, true), cx.b.ext(m, Width::W32, true)) } else { (n, m) };
            let acc = cx.xr(ra, Width::W64);
            let p = cx.b.bin(BinOp::Mul, n, m, Width::W64);
            cx.b.bin(if o0 { BinOp::Sub } else { BinOp::Add }, acc, p, Width::W64)
        }
        // Ra is should-be-one for SMULH/UMULH; like qemu, treat other values as UNDEFINED.
        (2, true) | (6, true) if !o0 && ra == 31 => {
            let n = cx.xr(rn, Width::W64);
            let m = cx.xr(rm, Width::W64);
            cx.b.bin(if op31 == 2 { BinOp::MulHiS } else { BinOp::MulHiU }, n, m, Width::W64)
        }
        _ => return Flow::Unimplemented("data-processing (3 source) opcode"),
    };
    cx.set_x(rd, r, width);
    Flow::Next
}
