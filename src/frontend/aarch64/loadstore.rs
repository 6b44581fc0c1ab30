//! ARM ARM C4.1.94 "Loads and Stores" (non-atomic part): LDR/STR of every size with unsigned
//! offset, unscaled offset (LDUR/STUR, and the unprivileged LDTR/STTR, which act the same at
//! EL0), pre/post-index, register offset with extend and shift, PC-relative literal; LDP/STP
//! (incl. LDPSW and the non-temporal LDNP/STNP); sign-extending loads; PRFM as a no-op; the
//! SIMD&FP register forms of all of these; and LD1/ST1 (multiple structures).

use super::decode::{row, Row};
use super::dp_reg::extend_reg;
use super::state::off;
use super::{bit, bits, sext, Ctx, Flow};
use crate::ir::{BinOp, Temp, Width};

pub const ROWS: &[Row] = &[
    row!(
        LDR_lit,
        "LDR/LDRSW/PRFM (literal), LDR (literal, SIMD&FP)",
        "oo011V00 iiiiiiiiiiiiiiiiiii ttttt",
        load_literal
    ),
    row!(
        LDSTP,
        "LDP/STP/LDPSW/LDNP/STNP (incl. SIMD&FP)",
        "oo101V0 pp L iiiiiii uuuuu nnnnn ttttt",
        load_store_pair
    ),
    row!(
        LDST_imm9,
        "LDR/STR (unscaled, pre/post-index, unprivileged)",
        "ss111V00 oo0 iiiiiiiii pp nnnnn ttttt",
        load_store_imm9
    ),
    row!(LDST_reg, "LDR/STR (register offset)", "ss111V00 oo1 mmmmm xxx S 10 nnnnn ttttt", load_store_reg),
    row!(LDST_uimm, "LDR/STR (unsigned offset)", "ss111V01 oo iiiiiiiiiiii nnnnn ttttt", load_store_uimm),
];

/// What a load/store does with its register.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Xfer {
    Store,
    /// Load, zero-extended into the whole register.
    Load,
    /// Load, sign-extended to this width (then zero-extended above it).
    LoadSigned(Width),
    Prefetch,
}

/// One register's transfer: `bytes` (1 .. 16) to or from a general (`vector` false) or
/// SIMD&FP register.
#[derive(Clone, Copy, Debug)]
pub struct Access {
    pub bytes: u32,
    pub vector: bool,
    pub xfer: Xfer,
}

impl Access {
    /// log2 of the access size: the scale of unsigned offsets and register-offset shifts.
    pub fn scale(self) -> u32 {
        self.bytes.trailing_zeros()
    }
}

/// The access of the single-register forms from `size`, `V` and `opc`. `prefetch_ok` is
/// false for the indexed forms, where size 11 opc 10 is unallocated instead of PRFM.
pub fn decode_access(size: u32, vector: bool, opc: u32, prefetch_ok: bool) -> Option<Access> {
    let bytes = 1u32 << size;
    if vector {
        return match (size, opc) {
            (_, 0) => Some(Access { bytes, vector, xfer: Xfer::Store }),
            (_, 1) => Some(Access { bytes, vector, xfer: Xfer::Load }),
            (0, 2) => Some(Access { bytes: 16, vector, xfer: Xfer::Store }),
            (0, 3) => Some(Access { bytes: 16, vector, xfer: Xfer::Load }),
            _ => None,
        };
    }
    let xfer = match (size, opc) {
        (_, 0) => Xfer::Store,
        (_, 1) => Xfer::Load,
        (3, 2) if prefetch_ok => Xfer::Prefetch,
        (0..=2, 2) => Xfer::LoadSigned(Width::W64),
        (0..=1, 3) => Xfer::LoadSigned(Width::W32),
        _ => return None,
    };
    Some(Access { bytes, vector, xfer })
}

fn width_bytes(bytes: u32) -> Width {
    Width::from_bytes(bytes).unwrap_or(Width::W64)
}

/// Performs `acc` at `addr` with register `rt`.
pub fn transfer(cx: &mut Ctx, acc: Access, addr: Temp, rt: u32) {
    let rt_us = rt as usize;
    match (acc.vector, acc.xfer) {
        (_, Xfer::Prefetch) => {}
        (false, Xfer::Store) => {
            let v = cx.xr(rt, Width::W64);
            cx.b.store(addr, v, width_bytes(acc.bytes));
        }
        (false, Xfer::Load) => {
            let v = cx.b.load(addr, width_bytes(acc.bytes));
            cx.set_x(rt, v, Width::W64);
        }
        (false, Xfer::LoadSigned(to)) => {
            let v = cx.b.load(addr, width_bytes(acc.bytes));
            let e = cx.b.ext(v, width_bytes(acc.bytes), true);
            cx.set_x(rt, e, to);
        }
        (true, Xfer::Store) => {
            if acc.bytes == 16 {
                // One 128-bit vector temporary (`ir::vector`).
                let v = cx.b.vload_state(off::v(rt_us));
                cx.b.vstore(addr, v);
            } else {
                let w = width_bytes(acc.bytes);
                // Read as 64 bits (state forwarding matches widths); the store narrows.
                let v = cx.b.load_state(off::v(rt_us), Width::W64);
                cx.b.store(addr, v, w);
            }
        }
        (true, _) => {
            if acc.bytes == 16 {
                let v = cx.b.vload(addr);
                cx.b.vstore_state(off::v(rt_us), v);
            } else {
                // A scalar SIMD&FP load clears the rest of the vector register.
                let v = cx.b.load(addr, width_bytes(acc.bytes));
                let zero = cx.imm(0);
                cx.b.store_state(off::v(rt_us), v, Width::W64);
                cx.b.store_state(off::v_hi(rt_us), zero, Width::W64);
            }
        }
    }
}

fn load_literal(cx: &mut Ctx, w: u32) -> Flow {
    let vector = bit(w, 26);
    let opc = bits(w, 30, 2);
    let acc = match (vector, opc) {
        (false, 0) => Access { bytes: 4, vector, xfer: Xfer::Load },
        (false, 1) => Access { bytes: 8, vector, xfer: Xfer::Load },
        (false, 2) => Access { bytes: 4, vector, xfer: Xfer::LoadSigned(Width::W64) },
        (false, _) => Access { bytes: 8, vector, xfer: Xfer::Prefetch },
        (true, 0) => Access { bytes: 4, vector, xfer: Xfer::Load },
        (true, 1) => Access { bytes: 8, vector, xfer: Xfer::Load },
        (true, 2) => Access { bytes: 16, vector, xfer: Xfer::Load },
        (true, _) => return Flow::Unimplemented("unallocated literal load"),
    };
    let addr = cx.pc.wrapping_add((sext(bits(w, 5, 19) as u64, 19) << 2) as u64);
    let a = cx.imm(addr);
    transfer(cx, acc, a, bits(w, 0, 5));
    Flow::Next
}

/// Base register plus a signed byte offset.
fn base_plus(cx: &mut Ctx, rn: u32, offset: i64) -> Temp {
    let base = cx.xsp(rn, Width::W64);
    let base = cx.data_addr(base, rn);
    if offset == 0 {
        base
    } else {
        cx.b.bin_imm(BinOp::Add, base, offset as u64, Width::W64)
    }
}

/// Addressing of the indexed forms: returns the access address and, for pre/post-index,
/// the new base value to write back after the access.
fn indexed(cx: &mut Ctx, rn: u32, offset: i64, post: bool, writeback: bool) -> (Temp, Option<Temp>) {
    let base = cx.xsp(rn, Width::W64);
    let moved = if offset == 0 { base } else { cx.b.bin_imm(BinOp::Add, base, offset as u64, Width::W64) };
    let data = cx.data_addr(base, rn);
    let addr =
        if post || offset == 0 { data } else { cx.b.bin_imm(BinOp::Add, data, offset as u64, Width::W64) };
    (addr, writeback.then_some(moved))
}

fn load_store_pair(cx: &mut Ctx, w: u32) -> Flow {
    let (opc, vector, idx, load) = (bits(w, 30, 2), bit(w, 26), bits(w, 23, 2), bit(w, 22));
    let (rt2, rn, rt) = (bits(w, 10, 5), bits(w, 5, 5), bits(w, 0, 5));
    let (bytes, xfer) = match (vector, opc, load) {
        (false, 0, false) => (4, Xfer::Store),
        (false, 0, true) => (4, Xfer::Load),
        (false, 1, true) if idx != 0 => (4, Xfer::LoadSigned(Width::W64)),
        (false, 2, false) => (8, Xfer::Store),
        (false, 2, true) => (8, Xfer::Load),
        (true, 0..=2, _) => (4 << opc, if load { Xfer::Load } else { Xfer::Store }),
        _ => return Flow::Unimplemented("unallocated or unsupported load/store pair (STGP?)"),
    };
    let acc = Access { bytes, vector, xfer };
    let offset = sext(bits(w, 15, 7) as u64, 7) * bytes as i64;
    // idx: 00 no-allocate offset, 01 post-index, 10 offset, 11 pre-index.
    let (addr, wb) = indexed(cx, rn, offset, idx == 1, idx == 1 || idx == 3);
    let addr2 = cx.b.bin_imm(BinOp::Add, addr, bytes as u64, Width::W64);
    if load && !vector {
        // Load both before writing either (the destination may be a base register).
        let wv = width_bytes(bytes);
        let a = cx.b.load(addr, wv);
        let b = cx.b.load(addr2, wv);
        let (a, b) = if let Xfer::LoadSigned(_) = xfer {
            (cx.b.ext(a, wv, true), cx.b.ext(b, wv, true))
        } else {
            (a, b)
        };
        cx.set_x(rt, a, Width::W64);
        cx.set_x(rt2, b, Width::W64);
    } else {
        transfer(cx, acc, addr, rt);
        transfer(cx, acc, addr2, rt2);
    }
    if let Some(nb) = wb {
        cx.set_xsp(rn, nb, Width::W64);
    }
    Flow::Next
}

fn load_store_imm9(cx: &mut Ctx, w: u32) -> Flow {
    let idx = bits(w, 10, 2);
    if idx == 2 && bit(w, 26) {
        return Flow::Unimplemented("unallocated (no SIMD&FP unprivileged load/store)");
    }
    let Some(acc) = decode_access(bits(w, 30, 2), bit(w, 26), bits(w, 22, 2), idx == 0) else {
        return Flow::Unimplemented("unallocated load/store size/opc");
    };
    let (rn, rt) = (bits(w, 5, 5), bits(w, 0, 5));
    let offset = sext(bits(w, 12, 9) as u64, 9);
    // idx: 00 unscaled, 01 post-index, 10 unprivileged (same as unscaled at EL0), 11 pre-index.
    let (addr, wb) = indexed(cx, rn, offset, idx == 1, idx == 1 || idx == 3);
    transfer(cx, acc, addr, rt);
    if let Some(nb) = wb {
        cx.set_xsp(rn, nb, Width::W64);
    }
    Flow::Next
}

fn load_store_reg(cx: &mut Ctx, w: u32) -> Flow {
    let Some(acc) = decode_access(bits(w, 30, 2), bit(w, 26), bits(w, 22, 2), true) else {
        return Flow::Unimplemented("unallocated load/store size/opc");
    };
    let option = bits(w, 13, 3);
    if option & 2 == 0 {
        return Flow::Unimplemented("reserved register-offset extend");
    }
    let (rm, rn, rt) = (bits(w, 16, 5), bits(w, 5, 5), bits(w, 0, 5));
    let shift = if bit(w, 12) { acc.scale() } else { 0 };
    let m = cx.xr(rm, Width::W64);
    let offset = extend_reg(cx, m, option, shift, Width::W64);
    // The tag is cleared from the sum here, not from the base: compilers put either operand
    // of a commutative add in either register (e.g. `ldrb w0, [x1, x2]` with x1 = -2 and x2
    // the pointer), and a negative base with its top byte cleared would carry into bit 56.
    let base = cx.xsp(rn, Width::W64);
    let sum = cx.b.bin(BinOp::Add, base, offset, Width::W64);
    let addr = cx.data_addr(sum, rn);
    transfer(cx, acc, addr, rt);
    Flow::Next
}

fn load_store_uimm(cx: &mut Ctx, w: u32) -> Flow {
    let Some(acc) = decode_access(bits(w, 30, 2), bit(w, 26), bits(w, 22, 2), true) else {
        return Flow::Unimplemented("unallocated load/store size/opc");
    };
    let (rn, rt) = (bits(w, 5, 5), bits(w, 0, 5));
    let offset = (bits(w, 10, 12) as i64) << acc.scale();
    let addr = base_plus(cx, rn, offset);
    transfer(cx, acc, addr, rt);
    Flow::Next
}
