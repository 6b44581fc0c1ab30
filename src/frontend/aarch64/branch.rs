//! ARM ARM C4.1.93 "Branches": B, BL, B.cond, CBZ/CBNZ, TBZ/TBNZ, BR, BLR, RET. Each ends
//! the block; conditional branches become [`Exit::Branch`], RET becomes [`Exit::Return`].

use super::decode::{row, Row};
use super::state::off;
use super::{bit, bits, sext, width_of, Ctx, Flow};
use crate::ir::{CmpOp, Exit, GuestAddr, Width};

pub const ROWS: &[Row] = &[
    row!(B_uncond, "B/BL", "o00101 iiiiiiiiiiiiiiiiiiiiiiiiii", b_uncond),
    row!(B_cond, "B.cond", "01010100 iiiiiiiiiiiiiiiiiii 0 cccc", b_cond),
    row!(CBZ, "CBZ/CBNZ", "z011010o iiiiiiiiiiiiiiiiiii ttttt", cbz),
    row!(TBZ, "TBZ/TBNZ", "b011011o bbbbb iiiiiiiiiiiiii ttttt", tbz),
    row!(BR, "BR/BLR/RET", "11010110 0oo11111 000000 nnnnn 00000", br),
];

fn target(pc: u64, offset_words: i64) -> GuestAddr {
    GuestAddr(pc.wrapping_add((offset_words << 2) as u64))
}

fn b_uncond(cx: &mut Ctx, w: u32) -> Flow {
    if bit(w, 31) {
        let link = cx.imm(cx.pc + 4);
        cx.b.store_state(off::x(30), link, Width::W64);
    }
    Flow::End(Exit::Jump(target(cx.pc, sext(bits(w, 0, 26) as u64, 26))))
}

fn b_cond(cx: &mut Ctx, w: u32) -> Flow {
    let taken = target(cx.pc, sext(bits(w, 5, 19) as u64, 19));
    let cond = bits(w, 0, 4);
    if cond >= 14 {
        return Flow::End(Exit::Jump(taken));
    }
    let c = cx.cond_holds(cond);
    Flow::End(Exit::Branch { cond: c, taken, not_taken: GuestAddr(cx.pc + 4) })
}

fn cbz(cx: &mut Ctx, w: u32) -> Flow {
    let width = width_of(bit(w, 31));
    let v = cx.xr(bits(w, 0, 5), width);
    let op = if bit(w, 24) { CmpOp::Ne } else { CmpOp::Eq };
    let c = cx.b.cmp_imm(op, v, 0, width);
    let taken = target(cx.pc, sext(bits(w, 5, 19) as u64, 19));
    Flow::End(Exit::Branch { cond: c, taken, not_taken: GuestAddr(cx.pc + 4) })
}

fn tbz(cx: &mut Ctx, w: u32) -> Flow {
    let bitpos = (bits(w, 31, 1) << 5) | bits(w, 19, 5);
    let v = cx.xr(bits(w, 0, 5), Width::W64);
    let t = cx.b.bit(v, bitpos);
    let c = if bit(w, 24) { t } else { cx.b.cmp_imm(CmpOp::Eq, t, 0, Width::W64) };
    let taken = target(cx.pc, sext(bits(w, 5, 14) as u64, 14));
    Flow::End(Exit::Branch { cond: c, taken, not_taken: GuestAddr(cx.pc + 4) })
}

fn br(cx: &mut Ctx, w: u32) -> Flow {
    let dest = cx.xr(bits(w, 5, 5), Width::W64);
    match bits(w, 21, 2) {
        0 => Flow::End(Exit::Indirect(dest)),
        1 => {
            // The target is read before the link register is written (`blr x30`).
            let link = cx.imm(cx.pc + 4);
            cx.b.store_state(off::x(30), link, Width::W64);
            Flow::End(Exit::Indirect(dest))
        }
        2 => Flow::End(Exit::Return(dest)),
        _ => Flow::Unimplemented("unallocated branch (register)"),
    }
}
