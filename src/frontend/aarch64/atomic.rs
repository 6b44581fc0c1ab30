//! ARM ARM C4.1.94 atomic and ordered memory access: the exclusive monitor (LDXR/STXR,
//! LDAXR/STLXR and the pair forms, CLREX lives in `system`), load-acquire/store-release
//! (LDAR/STLR, LDLAR/STLLR), and the LSE atomics (CAS, CASP, LDADD, LDCLR, LDEOR, LDSET,
//! LD{S,U}{MAX,MIN}, SWP, with every ordering variant).
//!
//! The exclusive monitor is emulated on host atomics: a load-exclusive records the address,
//! size and value it read in the guest state; a store-exclusive succeeds only if that record
//! is valid, for the same address and size, and a compare-exchange against the recorded value
//! succeeds (so the location still holds what the load-exclusive saw). Like every
//! CAS-based emulation it cannot see an ABA change (the value changed and changed back),
//! which no lock-free algorithm built on LL/SC depends on in practice.
//!
//! The 64-bit pair forms (LDXP/STXP/LDAXP/STLXP of two X registers, CASP of two pairs of X
//! registers) access 16 bytes, which no IR atomic covers: their compare-and-swap is a helper
//! around the host's 128-bit CAS (`host::atomic::cas128`, shared with x86 cmpxchg16b), so
//! they are atomic against other guest threads on both hosts. A 64-bit LDXP reads its two
//! doublewords with two loads: the ARM ARM makes the pair single-copy atomic only together
//! with a successful STXP, and that STXP's CAS against both recorded values fails if the two
//! loads saw different writes. They require 16-byte alignment (the hardware raises an
//! alignment fault; here a misaligned address is a SIGBUS BUS_ADRALN whose si_addr is the
//! data address, as Linux gives it: `TrapKind::MisalignedData`).
//!
//! Ordering: IR atomics are sequentially consistent, so the acquire/release variants of the
//! LSE atomics are all exact. LDAR and STLR (RCsc) are `SeqCst` loads and stores, LDAPR
//! (RCpc) an `Acquire` load; a load-acquire-exclusive's load is `SeqCst`, and a
//! store-release-exclusive is a compare-exchange, sequentially consistent already.

use super::decode::{row, Row};
use super::state::off;
use super::A64State;
use super::{bit, bits, Ctx, Flow};
use crate::host::atomic::cas128;
use crate::ir::{BinOp, CmpOp, Exit, GuestAddr, Helper, MemOrder, RmwOp, Temp, TrapKind, Width};

pub const ROWS: &[Row] = &[
    row!(LDXR, "LDXR/LDAXR (and B, H)", "ss001000010 11111 o 11111 nnnnn ttttt", ldxr),
    row!(STXR, "STXR/STLXR (and B, H)", "ss001000000 sssss o 11111 nnnnn ttttt", stxr),
    row!(LDXP, "LDXP/LDAXP", "1s001000011 11111 o uuuuu nnnnn ttttt", ldxp),
    row!(STXP, "STXP/STLXP", "1s001000001 sssss o uuuuu nnnnn ttttt", stxp),
    row!(LDAR, "LDAR/LDLAR (and B, H)", "ss001000110 11111 o 11111 nnnnn ttttt", ldar),
    row!(STLR, "STLR/STLLR (and B, H)", "ss001000100 11111 o 11111 nnnnn ttttt", stlr),
    row!(CAS, "CAS/CASA/CASL/CASAL (and B, H)", "ss0010001L1 sssss o 11111 nnnnn ttttt", cas),
    row!(CASP, "CASP/CASPA/CASPL/CASPAL", "0z0010000L1 sssss o 11111 nnnnn ttttt", casp),
    row!(
        LSE_rmw,
        "LDADD/LDCLR/LDEOR/LDSET/LDSMAX/LDSMIN/LDUMAX/LDUMIN/SWP",
        "ss111000 AR1 sssss o ooo 00 nnnnn ttttt",
        lse_rmw
    ),
];

fn size_width(w: u32) -> Width {
    [Width::W8, Width::W16, Width::W32, Width::W64][bits(w, 30, 2) as usize]
}

/// Records an open exclusive access in the monitor.
fn monitor_open(cx: &mut Ctx, addr: Temp, bytes: u64, v0: Temp, v1: Option<Temp>) {
    let size = cx.imm(bytes);
    let one = cx.imm(1);
    cx.b.store_state(off::EXCL_ADDR, addr, Width::W64);
    cx.b.store_state(off::EXCL_SIZE, size, Width::W64);
    cx.b.store_state(off::EXCL_VALUE0, v0, Width::W64);
    if let Some(v1) = v1 {
        cx.b.store_state(off::EXCL_VALUE1, v1, Width::W64);
    }
    cx.b.store_state(off::EXCL_VALID, one, Width::W64);
}

/// 1 if the monitor holds an open access to `addr` of `bytes` bytes. Closes the monitor.
fn monitor_check(cx: &mut Ctx, addr: Temp, bytes: u64) -> Temp {
    let valid = cx.b.load_state(off::EXCL_VALID, Width::W64);
    let a = cx.b.load_state(off::EXCL_ADDR, Width::W64);
    let s = cx.b.load_state(off::EXCL_SIZE, Width::W64);
    let same_addr = cx.b.cmp(CmpOp::Eq, a, addr, Width::W64);
    let same_size = cx.b.cmp_imm(CmpOp::Eq, s, bytes, Width::W64);
    let ok = cx.b.bin(BinOp::And, same_addr, same_size, Width::W64);
    let ok = cx.b.bin(BinOp::And, ok, valid, Width::W64);
    let zero = cx.imm(0);
    cx.b.store_state(off::EXCL_VALID, zero, Width::W64);
    ok
}

/// Stores `new` at `addr` if the monitor is open for it and memory still holds the recorded
/// `expected`; returns the status (0 = stored, 1 = failed). When the monitor check fails the
/// compare-exchange writes `expected` back over itself, which no observer can tell from no
/// store at all.
fn store_exclusive(cx: &mut Ctx, addr: Temp, bytes: u64, expected: Temp, new: Temp, w: Width) -> Temp {
    let ok = monitor_check(cx, addr, bytes);
    let value = cx.b.select(ok, new, expected);
    let old = cx.b.compare_exchange(addr, expected, value, w);
    let same = cx.b.cmp(CmpOp::Eq, old, expected, w);
    let stored = cx.b.bin(BinOp::And, same, ok, Width::W64);
    cx.b.bin_imm(BinOp::Xor, stored, 1, Width::W64)
}

/// The order of an exclusive load: o0 (bit 15) set = acquire (LDAXR, LDAXP; RCsc).
fn exclusive_load_order(w: u32) -> MemOrder {
    if bit(w, 15) {
        MemOrder::SeqCst
    } else {
        MemOrder::Plain
    }
}

fn ldxr(cx: &mut Ctx, w: u32) -> Flow {
    let width = size_width(w);
    let addr = cx.xsp(bits(w, 5, 5), Width::W64);
    let addr = cx.data_addr(addr, bits(w, 5, 5));
    let v = cx.b.load_ordered(addr, width, exclusive_load_order(w));
    monitor_open(cx, addr, width.bytes() as u64, v, None);
    cx.set_x(bits(w, 0, 5), v, Width::W64);
    Flow::Next
}

fn stxr(cx: &mut Ctx, w: u32) -> Flow {
    let width = size_width(w);
    let addr = cx.xsp(bits(w, 5, 5), Width::W64);
    let addr = cx.data_addr(addr, bits(w, 5, 5));
    let new = cx.xr(bits(w, 0, 5), width);
    let expected = cx.b.load_state(off::EXCL_VALUE0, width);
    let status = store_exclusive(cx, addr, width.bytes() as u64, expected, new, width);
    cx.set_x(bits(w, 16, 5), status, Width::W32);
    Flow::Next
}

fn ldxp(cx: &mut Ctx, w: u32) -> Flow {
    let addr = cx.xsp(bits(w, 5, 5), Width::W64);
    let addr = cx.data_addr(addr, bits(w, 5, 5));
    let (rt, rt2) = (bits(w, 0, 5), bits(w, 10, 5));
    if bit(w, 30) {
        require_align16(cx, addr);
        let order = exclusive_load_order(w);
        let lo = cx.b.load_ordered(addr, Width::W64, order);
        let addr_hi = cx.b.bin_imm(BinOp::Add, addr, 8, Width::W64);
        let hi = cx.b.load_ordered(addr_hi, Width::W64, order);
        monitor_open(cx, addr, 16, lo, Some(hi));
        cx.set_x(rt, lo, Width::W64);
        cx.set_x(rt2, hi, Width::W64);
        return Flow::Next;
    }
    let both = cx.b.load_ordered(addr, Width::W64, exclusive_load_order(w));
    monitor_open(cx, addr, 8, both, None);
    let hi = cx.b.bin_imm(BinOp::Lshr, both, 32, Width::W64);
    cx.set_x(rt, both, Width::W32);
    cx.set_x(rt2, hi, Width::W32);
    Flow::Next
}

fn stxp(cx: &mut Ctx, w: u32) -> Flow {
    let addr = cx.xsp(bits(w, 5, 5), Width::W64);
    let addr = cx.data_addr(addr, bits(w, 5, 5));
    if bit(w, 30) {
        require_align16(cx, addr);
        let lo = cx.xr(bits(w, 0, 5), Width::W64);
        let hi = cx.xr(bits(w, 10, 5), Width::W64);
        let ok = monitor_check(cx, addr, 16);
        let status = cx.b.call(STXP128, &[addr, lo, hi, ok]);
        cx.set_x(bits(w, 16, 5), status, Width::W32);
        return Flow::Next;
    }
    let lo = cx.xr(bits(w, 0, 5), Width::W32);
    let hi = cx.xr(bits(w, 10, 5), Width::W64);
    let hi = cx.b.bin_imm(BinOp::Shl, hi, 32, Width::W64);
    let new = cx.b.bin(BinOp::Or, lo, hi, Width::W64);
    let expected = cx.b.load_state(off::EXCL_VALUE0, Width::W64);
    let status = store_exclusive(cx, addr, 8, expected, new, Width::W64);
    cx.set_x(bits(w, 16, 5), status, Width::W32);
    Flow::Next
}

/// Leaves the block with SIGBUS BUS_ADRALN unless `addr` is 16-byte aligned (the 128-bit
/// exclusive and CASP forms; `cas128` needs it on both hosts).
fn require_align16(cx: &mut Ctx, addr: Temp) {
    let low = cx.b.bin_imm(BinOp::And, addr, 15, Width::W64);
    let misaligned = cx.b.cmp_imm(CmpOp::Ne, low, 0, Width::W64);
    cx.b.exit_if(
        misaligned,
        Exit::Trap { kind: TrapKind::MisalignedData, pc: GuestAddr(cx.pc), message: None },
    );
}

const STXP128: Helper = Helper { name: "a64_stxp128", func: stxp128_helper, touches_memory: true };
const CASP128: Helper = Helper { name: "a64_casp128", func: casp128_helper, touches_memory: true };

/// STXP/STLXP of two X registers: `(addr, lo, hi, ok)` where `ok` is the monitor check. A
/// 128-bit CAS of the monitor's recorded pair against `hi:lo` (or against itself when the
/// check failed, as `store_exclusive` does). Returns the status (0 = stored).
extern "C" fn stxp128_helper(state: *mut u8, addr: u64, lo: u64, hi: u64, ok: u64) -> u64 {
    // SAFETY: translated code passes its live A64State.
    let st = unsafe { &*(state as *const A64State) };
    let expected = st.excl_value[0] as u128 | (st.excl_value[1] as u128) << 64;
    let new = if ok != 0 { lo as u128 | (hi as u128) << 64 } else { expected };
    // SAFETY: the frontend checked 16-byte alignment; the address is the guest's own operand
    // (a fault is the guest's fault, delivered at this instruction).
    let old = unsafe { cas128(addr as *mut u128, expected, new) };
    (ok == 0 || old != expected) as u64
}

/// CASP/CASPA/CASPL/CASPAL of X registers: `(addr, s, t)` with the even register numbers
/// of the compared pair Xs, X(s+1) and of the new pair Xt, X(t+1) (X31 is XZR); Xs, X(s+1)
/// receive the old memory value, after the CAS (so a fault leaves them as they were).
extern "C" fn casp128_helper(state: *mut u8, addr: u64, s: u64, t: u64, _: u64) -> u64 {
    // SAFETY: translated code passes its live A64State.
    let st = unsafe { &mut *(state as *mut A64State) };
    let x = |st: &A64State, n: u64| u128::from(if n >= 31 { 0 } else { st.x[n as usize] });
    let expected = x(st, s) | x(st, s + 1) << 64;
    let new = x(st, t) | x(st, t + 1) << 64;
    // SAFETY: as in `stxp128_helper`.
    let old = unsafe { cas128(addr as *mut u128, expected, new) };
    st.x[s as usize] = old as u64;
    if s + 1 < 31 {
        st.x[s as usize + 1] = (old >> 64) as u64;
    }
    0
}

/// LDAR, LDLAR (the LOR variant, given LDAR's stronger order): RCsc.
fn ldar(cx: &mut Ctx, w: u32) -> Flow {
    load_acquire(cx, w, MemOrder::SeqCst)
}

/// LDAPR: RCpc (it may pass an earlier STLR).
fn ldapr(cx: &mut Ctx, w: u32) -> Flow {
    load_acquire(cx, w, MemOrder::Acquire)
}

fn load_acquire(cx: &mut Ctx, w: u32, order: MemOrder) -> Flow {
    let width = size_width(w);
    let addr = cx.xsp(bits(w, 5, 5), Width::W64);
    let addr = cx.data_addr(addr, bits(w, 5, 5));
    let v = cx.b.load_ordered(addr, width, order);
    cx.set_x(bits(w, 0, 5), v, Width::W64);
    Flow::Next
}

/// STLR, STLLR (given STLR's order): RCsc.
fn stlr(cx: &mut Ctx, w: u32) -> Flow {
    let width = size_width(w);
    let addr = cx.xsp(bits(w, 5, 5), Width::W64);
    let addr = cx.data_addr(addr, bits(w, 5, 5));
    let v = cx.xr(bits(w, 0, 5), width);
    cx.b.store_ordered(addr, v, width, MemOrder::SeqCst);
    Flow::Next
}

fn cas(cx: &mut Ctx, w: u32) -> Flow {
    let width = size_width(w);
    let (rs, rn, rt) = (bits(w, 16, 5), bits(w, 5, 5), bits(w, 0, 5));
    let addr = cx.xsp(rn, Width::W64);
    let addr = cx.data_addr(addr, rn);
    let expected = cx.xr(rs, width);
    let new = cx.xr(rt, width);
    let old = cx.b.compare_exchange(addr, expected, new, width);
    cx.set_x(rs, old, Width::W64);
    Flow::Next
}

fn casp(cx: &mut Ctx, w: u32) -> Flow {
    let (rs, rn, rt) = (bits(w, 16, 5), bits(w, 5, 5), bits(w, 0, 5));
    if rs % 2 == 1 || rt % 2 == 1 {
        return Flow::Unimplemented("CASP with an odd register");
    }
    let addr = cx.xsp(rn, Width::W64);
    let addr = cx.data_addr(addr, rn);
    if bit(w, 30) {
        require_align16(cx, addr);
        let (s, t) = (cx.imm(rs as u64), cx.imm(rt as u64));
        cx.b.call_void(CASP128, &[addr, s, t]);
        return Flow::Next;
    }
    let pair = |cx: &mut Ctx, r: u32| {
        let lo = cx.xr(r, Width::W32);
        let hi = cx.xr(if r == 31 { 31 } else { r + 1 }, Width::W64);
        let hi = cx.b.bin_imm(BinOp::Shl, hi, 32, Width::W64);
        cx.b.bin(BinOp::Or, lo, hi, Width::W64)
    };
    let expected = pair(cx, rs);
    let new = pair(cx, rt);
    let old = cx.b.compare_exchange(addr, expected, new, Width::W64);
    let hi = cx.b.bin_imm(BinOp::Lshr, old, 32, Width::W64);
    cx.set_x(rs, old, Width::W32);
    cx.set_x(rs + 1, hi, Width::W32);
    Flow::Next
}

fn lse_rmw(cx: &mut Ctx, w: u32) -> Flow {
    if bit(w, 26) {
        return Flow::Unimplemented("SIMD&FP atomic");
    }
    let width = size_width(w);
    let op = match (bit(w, 15), bits(w, 12, 3)) {
        (false, 0) => RmwOp::Add,
        (false, 1) => RmwOp::AndNot,
        (false, 2) => RmwOp::Xor,
        (false, 3) => RmwOp::Or,
        (false, 4) => RmwOp::SMax,
        (false, 5) => RmwOp::SMin,
        (false, 6) => RmwOp::UMax,
        (false, 7) => RmwOp::UMin,
        (true, 0) => RmwOp::Xchg,
        (true, 4) if bits(w, 16, 5) == 31 && bit(w, 23) && !bit(w, 22) => {
            return ldapr(cx, w);
        }
        _ => return Flow::Unimplemented("atomic memory operation opcode"),
    };
    let (rs, rn, rt) = (bits(w, 16, 5), bits(w, 5, 5), bits(w, 0, 5));
    let addr = cx.xsp(rn, Width::W64);
    let addr = cx.data_addr(addr, rn);
    let src = cx.xr(rs, width);
    let old = cx.b.atomic_rmw(op, addr, src, width);
    cx.set_x(rt, old, Width::W64);
    Flow::Next
}
