//! ARM ARM C4.1.94 "Advanced SIMD load/store multiple structures" and "single structure":
//! LD1-LD4 / ST1-ST4 (multiple structures, with and without post-index), LD1-LD4/ST1-ST4 to
//! or from one lane, and LD1R-LD4R (load and replicate).
//!
//! Memory is always touched by IR loads and stores, so a fault is the guest's fault at the
//! instruction, exactly as for any other access. LD1/ST1 move whole registers (the byte
//! layout does not depend on the element size); the interleaving LD2-LD4/ST2-ST4 stage the
//! memory image in `A64State::simd_scratch` and let a helper move the elements.

use super::decode::{row, Row};
use super::loadstore::{transfer, Access, Xfer};
use super::state::off;
use super::{bit, bits, A64State, Ctx, Flow};
use crate::ir::{BinOp, Helper, Temp, Width};

pub const ROWS: &[Row] = &[
    row!(
        LDST_multi,
        "LD1-LD4/ST1-ST4 (multiple structures)",
        "0Q0011000L000000 oooo ss nnnnn ttttt",
        multiple
    ),
    row!(
        LDST_multi_post,
        "LD1-LD4/ST1-ST4 (multiple structures, post-index)",
        "0Q0011001L0 mmmmm oooo ss nnnnn ttttt",
        multiple
    ),
    row!(
        LDST_single,
        "LD1-LD4/ST1-ST4 (single structure), LD1R-LD4R",
        "0Q0011010L R 00000 ooo S ss nnnnn ttttt",
        single
    ),
    row!(
        LDST_single_post,
        "LD1-LD4/ST1-ST4 (single structure), LD1R-LD4R, post-index",
        "0Q0011011L R mmmmm ooo S ss nnnnn ttttt",
        single
    ),
];

/// Writes back the base register of a post-indexed form: `Rm` = 31 means "by the number of
/// bytes transferred".
fn post_index(cx: &mut Ctx, w: u32, base: Temp, bytes: u32) {
    if bit(w, 23) {
        let (rm, rn) = (bits(w, 16, 5), bits(w, 5, 5));
        let inc = if rm == 31 { cx.imm(bytes as u64) } else { cx.xr(rm, Width::W64) };
        let nb = cx.b.bin(BinOp::Add, base, inc, Width::W64);
        cx.set_xsp(rn, nb, Width::W64);
    }
}

fn multiple(cx: &mut Ctx, w: u32) -> Flow {
    // (registers, elements per structure)
    let (regs, selem) = match bits(w, 12, 4) {
        0b0000 => (4, 4),
        0b0010 => (4, 1),
        0b0100 => (3, 3),
        0b0110 => (3, 1),
        0b0111 => (1, 1),
        0b1000 => (2, 2),
        0b1010 => (2, 1),
        _ => return Flow::Unimplemented("unallocated structure load/store opcode"),
    };
    let q = bit(w, 30);
    if selem > 1 && bits(w, 10, 2) == 3 && !q {
        return Flow::Unimplemented("reserved structure load/store size");
    }
    let load = bit(w, 22);
    let (rn, rt) = (bits(w, 5, 5), bits(w, 0, 5));
    let reg_bytes = if q { 16 } else { 8 };
    let base = cx.xsp(rn, Width::W64);
    let first = cx.data_addr(base, rn);
    let at = |cx: &mut Ctx, off: u32| {
        if off == 0 {
            first
        } else {
            cx.b.bin_imm(BinOp::Add, first, off as u64, Width::W64)
        }
    };
    if selem == 1 {
        for i in 0..regs {
            let r = (rt + i) % 32;
            let a = at(cx, i * reg_bytes);
            if q {
                let xfer = if load { Xfer::Load } else { Xfer::Store };
                transfer(cx, Access { bytes: 16, vector: true, xfer }, a, r);
            } else if load {
                let v = cx.b.load(a, Width::W64);
                let zero = cx.imm(0);
                cx.b.store_state(off::v(r as usize), v, Width::W64);
                cx.b.store_state(off::v_hi(r as usize), zero, Width::W64);
            } else {
                let v = cx.b.load_state(off::v(r as usize), Width::W64);
                cx.b.store(a, v, Width::W64);
            }
        }
    } else {
        let chunks = regs * reg_bytes / 8;
        let word = cx.imm(w as u64);
        if load {
            for k in 0..chunks {
                let a = at(cx, 8 * k);
                let v = cx.b.load(a, Width::W64);
                cx.b.store_state(off::simd_scratch(k as usize), v, Width::W64);
            }
            cx.b.call_void(
                Helper { name: "a64_deinterleave", func: shuffle_helper(w, true), touches_memory: false },
                &[word],
            );
        } else {
            cx.b.call_void(
                Helper { name: "a64_interleave", func: shuffle_helper(w, false), touches_memory: false },
                &[word],
            );
            for k in 0..chunks {
                let a = at(cx, 8 * k);
                let v = cx.b.load_state(off::simd_scratch(k as usize), Width::W64);
                cx.b.store(a, v, Width::W64);
            }
        }
    }
    post_index(cx, w, base, regs * reg_bytes);
    Flow::Next
}

/// Element geometry of an interleaving access: (registers, element bytes, elements per
/// register).
fn geometry(w: u32) -> (u32, u32, u32) {
    let regs = match bits(w, 12, 4) {
        0b0000 => 4,
        0b0100 => 3,
        _ => 2,
    };
    let ebytes = 1 << bits(w, 10, 2);
    let reg_bytes = if bit(w, 30) { 16 } else { 8 };
    (regs, ebytes, reg_bytes / ebytes)
}

// The helpers below are instantiated per geometry so the element loops have constant bounds
// and every element copy has a constant size (a variable-length slice copy per element
// became a `memmove` call each, which dominated them).

/// LD2-LD4 (`load`) or ST2-ST4: the (de)interleaving helper for the geometry of `w`.
fn shuffle_helper(w: u32, load: bool) -> crate::ir::HelperFn {
    macro_rules! pick {
        ($($regs:literal, $eb:literal, $q:literal;)*) => {
            match (geometry(w), load) {
                $(
                    (($regs, $eb, e), true) if e * $eb == 8 * (1 + $q) => deinterleave::<$regs, $eb, $q>,
                    (($regs, $eb, e), false) if e * $eb == 8 * (1 + $q) => interleave::<$regs, $eb, $q>,
                )*
                (_, true) => deinterleave_any,
                (_, false) => interleave_any,
            }
        };
    }
    pick! {
        2, 1, 0; 2, 1, 1; 2, 2, 0; 2, 2, 1; 2, 4, 0; 2, 4, 1; 2, 8, 1;
        3, 1, 0; 3, 1, 1; 3, 2, 0; 3, 2, 1; 3, 4, 0; 3, 4, 1; 3, 8, 1;
        4, 1, 0; 4, 1, 1; 4, 2, 0; 4, 2, 1; 4, 4, 0; 4, 4, 1; 4, 8, 1;
    }
}

/// Moves the elements of the memory image in `simd_scratch` into `regs` registers from Rt
/// (`elems` elements of `ebytes` bytes each). Inlined into every caller so constant
/// arguments give constant loop bounds and fixed-size element copies (byte arrays: no
/// read-modify-write of a word per element).
#[inline(always)]
fn deinterleave_into(st: &mut A64State, rt: u32, regs: u32, ebytes: u32, elems: u32) {
    let mut mem = [0u8; 64];
    for (k, q) in st.simd_scratch.iter().enumerate() {
        mem[8 * k..8 * k + 8].copy_from_slice(&q.to_le_bytes());
    }
    let eb = ebytes as usize;
    for r in 0..regs as usize {
        let mut v = [0u8; 16];
        for e in 0..elems as usize {
            let src = (e * regs as usize + r) * eb;
            v[e * eb..e * eb + eb].copy_from_slice(&mem[src..src + eb]);
        }
        st.vreg[(rt as usize + r) % 32] = [
            u64::from_le_bytes(v[..8].try_into().unwrap_or_default()),
            u64::from_le_bytes(v[8..].try_into().unwrap_or_default()),
        ];
    }
}

/// The inverse of [`deinterleave_into`]: registers Rt.. into the memory image.
#[inline(always)]
fn interleave_from(st: &mut A64State, rt: u32, regs: u32, ebytes: u32, elems: u32) {
    let mut mem = [0u8; 64];
    let eb = ebytes as usize;
    for r in 0..regs as usize {
        let q = st.vreg[(rt as usize + r) % 32];
        let mut v = [0u8; 16];
        v[..8].copy_from_slice(&q[0].to_le_bytes());
        v[8..].copy_from_slice(&q[1].to_le_bytes());
        for e in 0..elems as usize {
            let dst = (e * regs as usize + r) * eb;
            mem[dst..dst + eb].copy_from_slice(&v[e * eb..e * eb + eb]);
        }
    }
    for (k, q) in st.simd_scratch.iter_mut().enumerate() {
        *q = u64::from_le_bytes(mem[8 * k..8 * k + 8].try_into().unwrap_or_default());
    }
}

/// LD2-LD4 for REGS registers of EBYTES-byte elements (Q: 128-bit registers).
extern "C" fn deinterleave<const REGS: u32, const EBYTES: u32, const Q: u32>(
    state: *mut u8,
    word: u64,
    _: u64,
    _: u64,
    _: u64,
) -> u64 {
    // SAFETY: translated code passes the live A64State it runs on.
    let st = unsafe { &mut *(state as *mut A64State) };
    deinterleave_into(st, bits(word as u32, 0, 5), REGS, EBYTES, 8 * (1 + Q) / EBYTES);
    0
}

/// ST2-ST4 for REGS registers of EBYTES-byte elements (Q: 128-bit registers).
extern "C" fn interleave<const REGS: u32, const EBYTES: u32, const Q: u32>(
    state: *mut u8,
    word: u64,
    _: u64,
    _: u64,
    _: u64,
) -> u64 {
    // SAFETY: translated code passes the live A64State it runs on.
    let st = unsafe { &mut *(state as *mut A64State) };
    interleave_from(st, bits(word as u32, 0, 5), REGS, EBYTES, 8 * (1 + Q) / EBYTES);
    0
}

/// Any geometry, decoded from the word at run time (every valid encoding has an
/// instantiation above; this keeps the choice total).
extern "C" fn deinterleave_any(state: *mut u8, word: u64, _: u64, _: u64, _: u64) -> u64 {
    // SAFETY: translated code passes the live A64State it runs on.
    let st = unsafe { &mut *(state as *mut A64State) };
    let (regs, ebytes, elems) = geometry(word as u32);
    deinterleave_into(st, bits(word as u32, 0, 5), regs, ebytes, elems);
    0
}

extern "C" fn interleave_any(state: *mut u8, word: u64, _: u64, _: u64, _: u64) -> u64 {
    // SAFETY: translated code passes the live A64State it runs on.
    let st = unsafe { &mut *(state as *mut A64State) };
    let (regs, ebytes, elems) = geometry(word as u32);
    interleave_from(st, bits(word as u32, 0, 5), regs, ebytes, elems);
    0
}

/// LD1-LD4/ST1-ST4 to or from one lane of 1-4 consecutive registers, and LD1R-LD4R. Every
/// element is loaded before any register is written, so a fault leaves the registers as they
/// were.
fn single(cx: &mut Ctx, w: u32) -> Flow {
    let (q, load, r_bit) = (bit(w, 30), bit(w, 22), bit(w, 21));
    let (opcode, s, size) = (bits(w, 13, 3), bits(w, 12, 1), bits(w, 10, 2));
    let (rn, rt) = (bits(w, 5, 5), bits(w, 0, 5));
    // Elements per structure, each in its own register from Rt (wrapping past V31).
    let selem = (((opcode & 1) << 1) | r_bit as u32) + 1;
    let reg = |j: u32| ((rt + j) % 32) as usize;
    let base = cx.xsp(rn, Width::W64);
    let addr = cx.data_addr(base, rn);
    let elem_addr = |cx: &mut Ctx, ew: Width, j: u32| {
        if j == 0 {
            addr
        } else {
            cx.b.bin_imm(BinOp::Add, addr, (j * ew.bytes()) as u64, Width::W64)
        }
    };
    if opcode >> 1 == 3 {
        // LD1R-LD4R: load one structure and replicate each element to every lane of its
        // register.
        if !load || s == 1 {
            return Flow::Unimplemented("unallocated load-and-replicate");
        }
        let ew = [Width::W8, Width::W16, Width::W32, Width::W64][size as usize];
        let rep = match ew {
            Width::W8 => 0x0101_0101_0101_0101u64,
            Width::W16 => 0x0001_0001_0001_0001,
            Width::W32 => 0x0000_0001_0000_0001,
            Width::W64 => 1,
        };
        let mut loaded = Vec::with_capacity(selem as usize);
        for j in 0..selem {
            let a = elem_addr(cx, ew, j);
            loaded.push(cx.b.load(a, ew));
        }
        for (j, v) in (0..selem).zip(loaded) {
            let full = cx.b.bin_imm(BinOp::Mul, v, rep, Width::W64);
            let hi = if q { full } else { cx.imm(0) };
            cx.b.store_state(off::v(reg(j)), full, Width::W64);
            cx.b.store_state(off::v_hi(reg(j)), hi, Width::W64);
        }
        post_index(cx, w, base, selem * ew.bytes());
        return Flow::Next;
    }
    // Element size and lane index (ARM ARM: index = Q:S:size with the low bits used by
    // larger elements removed).
    let (ew, index) = match opcode >> 1 {
        0 => (Width::W8, (q as u32) << 3 | s << 2 | size),
        1 if size & 1 == 0 => (Width::W16, (q as u32) << 2 | s << 1 | size >> 1),
        2 if size == 0 => (Width::W32, (q as u32) << 1 | s),
        2 if size == 1 && s == 0 => (Width::W64, q as u32),
        _ => return Flow::Unimplemented("unallocated single-structure size"),
    };
    let byte = index * ew.bytes();
    let slot = |j: u32| if byte >= 8 { off::v_hi(reg(j)) } else { off::v(reg(j)) };
    let shift = (byte % 8) * 8;
    if load {
        let mut loaded = Vec::with_capacity(selem as usize);
        for j in 0..selem {
            let a = elem_addr(cx, ew, j);
            loaded.push(cx.b.load(a, ew));
        }
        for (j, v) in (0..selem).zip(loaded) {
            let r = if ew == Width::W64 {
                v
            } else {
                let half = cx.b.load_state(slot(j), Width::W64);
                let cleared = cx.b.bin_imm(BinOp::And, half, !(ew.mask() << shift), Width::W64);
                let moved = cx.b.bin_imm(BinOp::Shl, v, shift as u64, Width::W64);
                cx.b.bin(BinOp::Or, cleared, moved, Width::W64)
            };
            cx.b.store_state(slot(j), r, Width::W64);
        }
    } else {
        for j in 0..selem {
            let half = cx.b.load_state(slot(j), Width::W64);
            let v = if shift == 0 { half } else { cx.b.bin_imm(BinOp::Lshr, half, shift as u64, Width::W64) };
            let a = elem_addr(cx, ew, j);
            cx.b.store(a, v, ew);
        }
    }
    post_index(cx, w, base, selem * ew.bytes());
    Flow::Next
}
