//! The IR interpreter: the reference semantics of every op, and a third engine beside the
//! native run and the host backends. Frontend tests run guest code through it before any
//! backend exists; backend tests compare compiled code with it on random blocks.
//!
//! The `eval_*` functions are the single definition of op arithmetic; the constant folder in
//! [`super::opt`] uses them too.

use super::*;
use crate::ir::protocol::{header, ExitReason};

/// How an interpreted block left, as the dispatcher would see it in the state header.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Outcome {
    pub reason: ExitReason,
    pub next_pc: GuestAddr,
    /// For [`ExitReason::Trap`], the trap kind.
    pub trap: Option<TrapKind>,
}

fn sext(v: u64, w: Width) -> i64 {
    let shift = 64 - w.bits();
    ((v << shift) as i64) >> shift
}

/// `a op b` over the low `width` bits, zero-extended (see [`BinOp`]).
pub fn eval_bin(op: BinOp, a: u64, b: u64, width: Width) -> u64 {
    let m = width.mask();
    let bits = width.bits();
    let (a, b) = (a & m, b & m);
    let count = (b % bits as u64) as u32;
    let r = match op {
        BinOp::Add => a.wrapping_add(b),
        BinOp::Sub => a.wrapping_sub(b),
        BinOp::And => a & b,
        BinOp::Or => a | b,
        BinOp::Xor => a ^ b,
        BinOp::Shl => a << count,
        BinOp::Lshr => a >> count,
        BinOp::Ashr => (sext(a, width) >> count) as u64,
        BinOp::Rotr => {
            if count == 0 {
                a
            } else {
                (a >> count) | (a << (bits - count))
            }
        }
        BinOp::Mul => a.wrapping_mul(b),
        BinOp::MulHiU => ((a as u128 * b as u128) >> bits) as u64,
        BinOp::MulHiS => ((sext(a, width) as i128 * sext(b, width) as i128) >> bits) as u64,
        BinOp::DivU => a.checked_div(b).unwrap_or(0),
        BinOp::RemU => a.checked_rem(b).unwrap_or(a),
        BinOp::DivS => {
            let (x, y) = (sext(a, width), sext(b, width));
            if y == 0 {
                0
            } else {
                x.wrapping_div(y) as u64
            }
        }
        BinOp::RemS => {
            let (x, y) = (sext(a, width), sext(b, width));
            if y == 0 {
                a
            } else {
                x.wrapping_rem(y) as u64
            }
        }
    };
    r & m
}

/// `op a` over the low `width` bits, zero-extended (see [`UnOp`]).
pub fn eval_un(op: UnOp, a: u64, width: Width) -> u64 {
    let m = width.mask();
    let bits = width.bits();
    let a = a & m;
    let r = match op {
        UnOp::Not => !a,
        UnOp::Neg => a.wrapping_neg(),
        UnOp::Clz => (a.leading_zeros() - (64 - bits)) as u64,
        UnOp::Ctz => a.trailing_zeros().min(bits) as u64,
        UnOp::Popcnt => a.count_ones() as u64,
        UnOp::Bswap => a.swap_bytes() >> (64 - bits),
        UnOp::Rbit => a.reverse_bits() >> (64 - bits),
    };
    r & m
}

/// `a cmp b` over the low `width` bits, as 1 or 0 (see [`CmpOp`]).
pub fn eval_cmp(op: CmpOp, a: u64, b: u64, width: Width) -> u64 {
    let m = width.mask();
    let (a, b) = (a & m, b & m);
    let (sa, sb) = (sext(a, width), sext(b, width));
    let r = match op {
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
        CmpOp::Ult => a < b,
        CmpOp::Ule => a <= b,
        CmpOp::Ugt => a > b,
        CmpOp::Uge => a >= b,
        CmpOp::Slt => sa < sb,
        CmpOp::Sle => sa <= sb,
        CmpOp::Sgt => sa > sb,
        CmpOp::Sge => sa >= sb,
    };
    r as u64
}

/// `a op b` over `lane`-bit lanes of 64-bit values: the definition is [`super::lanes::eval`].
pub fn eval_lanes(op: LaneOp, lane: Width, a: u64, b: u64) -> u64 {
    super::lanes::eval(op, lane, a, b)
}

/// The value or flags of a floating-point op (see [`Op::Fp`] and [`FpRule`]).
pub fn eval_fp(op: FpOp, prec: FpPrec, rule: FpRule, result: FpResult, a: u64, b: u64, ctrl: u64) -> u64 {
    match rule {
        FpRule::X86Sse => super::fp::eval_x86(op, prec, result, a, b, ctrl),
        FpRule::A64 => super::fp_a64::eval_a64(op, prec, result, a, b, ctrl),
    }
}

/// `a` extended from `from` bits (see [`Op::Ext`]).
pub fn eval_ext(a: u64, from: Width, signed: bool) -> u64 {
    if signed {
        sext(a, from) as u64
    } else {
        a & from.mask()
    }
}

/// The new memory value of an atomic read-modify-write (see [`RmwOp`]).
pub fn eval_rmw(op: RmwOp, old: u64, src: u64, width: Width) -> u64 {
    let m = width.mask();
    let (old, src) = (old & m, src & m);
    let r = match op {
        RmwOp::Xchg => src,
        RmwOp::Add => old.wrapping_add(src),
        RmwOp::And => old & src,
        RmwOp::Or => old | src,
        RmwOp::Xor => old ^ src,
        RmwOp::AndNot => old & !src,
        RmwOp::SMax => {
            if sext(old, width) >= sext(src, width) {
                old
            } else {
                src
            }
        }
        RmwOp::SMin => {
            if sext(old, width) <= sext(src, width) {
                old
            } else {
                src
            }
        }
        RmwOp::UMax => old.max(src),
        RmwOp::UMin => old.min(src),
    };
    r & m
}

/// Reads `width` bytes little-endian at `ptr`.
///
/// # Safety
/// `ptr .. ptr + width/8` must be readable.
unsafe fn read(ptr: *const u8, width: Width) -> u64 {
    // SAFETY: the caller guarantees the bytes are readable; unaligned reads are used because
    // guest accesses may be unaligned.
    unsafe {
        match width {
            Width::W8 => *ptr as u64,
            Width::W16 => u16::from_le((ptr as *const u16).read_unaligned()) as u64,
            Width::W32 => u32::from_le((ptr as *const u32).read_unaligned()) as u64,
            Width::W64 => u64::from_le((ptr as *const u64).read_unaligned()),
        }
    }
}

/// Writes the low `width` bits of `v` little-endian at `ptr`.
///
/// # Safety
/// `ptr .. ptr + width/8` must be writable.
unsafe fn write(ptr: *mut u8, v: u64, width: Width) {
    // SAFETY: the caller guarantees the bytes are writable.
    unsafe {
        match width {
            Width::W8 => *ptr = v as u8,
            Width::W16 => (ptr as *mut u16).write_unaligned((v as u16).to_le()),
            Width::W32 => (ptr as *mut u32).write_unaligned((v as u32).to_le()),
            Width::W64 => (ptr as *mut u64).write_unaligned(v.to_le()),
        }
    }
}

/// Runs one block on the guest state at `state`, with guest memory at its host addresses,
/// and fills in the state header as a compiled block would (an unlinked direct jump reports
/// [`ExitReason::Chain`] with `exit_arg` 0).
///
/// Atomic ops are done as plain read-modify-writes: the interpreter is single-threaded.
///
/// # Safety
/// `state` must point to a writable guest state struct that is large enough for every
/// `StateOffset` in the block, and every guest address the block touches must be mapped with
/// the access it makes (exactly as for running the compiled block).
pub unsafe fn run_block(block: &Block, state: *mut u8) -> Outcome {
    let mut t = vec![0u64; block.temps as usize];
    // The vector temporaries' values, by the same index (see `ir::vector`).
    let mut vt = vec![0u128; if vector::uses_vectors(block) { block.temps as usize } else { 0 }];
    for op in &block.ops {
        // SAFETY: forwarded from this function's contract.
        if let Some(exit) = unsafe { step(op, &mut t, &mut vt, state) } {
            // SAFETY: as above.
            return unsafe { leave(exit, &t, state) };
        }
    }
    // SAFETY: as above.
    unsafe { leave(&block.exit, &t, state) }
}

/// Executes one op; returns the exit if an `ExitIf` fires.
///
/// # Safety
/// See [`run_block`].
unsafe fn step<'a>(op: &'a Op, t: &mut [u64], vt: &mut [u128], state: *mut u8) -> Option<&'a Exit> {
    let v = |x: &Temp| t[x.0 as usize];
    // SAFETY (whole match): state offsets and guest addresses are valid per the contract.
    unsafe {
        match op {
            Op::GuestInsn { .. } => {}
            Op::Const { dst, value } => t[dst.0 as usize] = *value,
            Op::LoadState { dst, offset, width } => {
                t[dst.0 as usize] = read(state.add(offset.0 as usize), *width)
            }
            Op::StoreState { offset, src, width } => write(state.add(offset.0 as usize), v(src), *width),
            // The interpreter's accesses do not fault into a guest handler.
            Op::StateAtFault { .. } => {}
            // The ops of an MXCSR run keep their meaning; the marker only tells a backend
            // that they may run under one MXCSR switch when every exception is masked
            // (`ir::mxcsr_run`).
            Op::MxcsrRun { .. } => {}
            // One thread: every order reads and writes the same values.
            Op::Load { dst, addr, width, .. } => t[dst.0 as usize] = read(v(addr) as *const u8, *width),
            Op::Store { addr, src, width, .. } => write(v(addr) as *mut u8, v(src), *width),
            Op::Bin { op, dst, a, b, width } => t[dst.0 as usize] = eval_bin(*op, v(a), v(b), *width),
            Op::Un { op, dst, a, width } => t[dst.0 as usize] = eval_un(*op, v(a), *width),
            Op::Ext { dst, a, from, signed } => t[dst.0 as usize] = eval_ext(v(a), *from, *signed),
            Op::Cmp { op, dst, a, b, width } => t[dst.0 as usize] = eval_cmp(*op, v(a), v(b), *width),
            Op::Select { dst, cond, if_true, if_false } => {
                t[dst.0 as usize] = if v(cond) != 0 { v(if_true) } else { v(if_false) }
            }
            Op::Lanes { op, lane, dst, a, b } => t[dst.0 as usize] = eval_lanes(*op, *lane, v(a), v(b)),
            Op::Fp { op, prec, rule, result, dst, a, b, ctrl } => {
                t[dst.0 as usize] = eval_fp(*op, *prec, *rule, *result, v(a), v(b), v(ctrl))
            }
            Op::FpFma { prec, rule, result, neg, dst, a, b, c, ctrl } => {
                t[dst.0 as usize] = super::fma::eval(*prec, *rule, *result, *neg, v(a), v(b), v(c), v(ctrl))
            }
            Op::FpCmp { op, prec, rule, result, dst, a, b, ctrl } => {
                t[dst.0 as usize] = super::fp_cmp::eval(*op, *prec, *rule, *result, v(a), v(b), v(ctrl))
            }
            Op::FpCvt { from, to, round, rule, result, dst, a, ctrl } => {
                t[dst.0 as usize] = super::fp_cvt::eval(*from, *to, *round, *rule, *result, v(a), v(ctrl))
            }
            Op::AtomicRmw { op, dst, addr, src, width } => {
                let p = v(addr) as *mut u8;
                let old = read(p, *width);
                write(p, eval_rmw(*op, old, v(src), *width), *width);
                t[dst.0 as usize] = old;
            }
            Op::CompareExchange { dst, addr, expected, new, width } => {
                let p = v(addr) as *mut u8;
                let old = read(p, *width);
                if old == v(expected) & width.mask() {
                    write(p, v(new), *width);
                }
                t[dst.0 as usize] = old;
            }
            Op::Fence => std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst),
            Op::ProbeWrite { addr, len } => probe_write(v(addr), *len),
            Op::CallHelper { dst, helper, args } => {
                let a = |i: usize| args.get(i).map(v).unwrap_or(0);
                let r = (helper.func)(state, a(0), a(1), a(2), a(3));
                if let Some(d) = dst {
                    t[d.0 as usize] = r;
                }
            }
            Op::ExitIf { cond, exit } => {
                if v(cond) != 0 {
                    return Some(exit);
                }
            }
            Op::VLoadState { .. }
            | Op::VStoreState { .. }
            | Op::VLoad { .. }
            | Op::VStore { .. }
            | Op::VPack { .. }
            | Op::VHalf { .. }
            | Op::VBit { .. }
            | Op::VLanes { .. }
            | Op::VShift { .. } => step_vector(op, t, vt, state),
        }
    }
    None
}

/// [`Op::ProbeWrite`]: when `addr .. addr + len` crosses a 4 KiB boundary, an atomic OR of
/// zero into its first byte, then into the next page's first byte; nothing otherwise.
///
/// # Safety
/// Both bytes must be writable (see [`run_block`]).
unsafe fn probe_write(addr: u64, len: u8) {
    use std::sync::atomic::{AtomicU8, Ordering};
    if addr & 0xfff <= 0x1000 - len as u64 {
        return;
    }
    for byte in [addr, addr.wrapping_add(len as u64 - 1) & !0xfff] {
        // SAFETY: writable per the contract; an atomic OR of zero changes no byte, also
        // under other threads' stores.
        unsafe { AtomicU8::from_ptr(byte as *mut u8).fetch_or(0, Ordering::SeqCst) };
    }
}

/// Executes one op that defines or reads a vector temporary (see [`vector`]).
///
/// # Safety
/// See [`run_block`].
unsafe fn step_vector(op: &Op, t: &mut [u64], vt: &mut [u128], state: *mut u8) {
    let v = |x: &Temp| t[x.0 as usize];
    // SAFETY: state offsets and guest addresses are valid per the contract; accesses may be
    // unaligned.
    unsafe {
        match *op {
            Op::VLoadState { dst, offset } => {
                vt[dst.0 as usize] =
                    u128::from_le((state.add(offset.0 as usize) as *const u128).read_unaligned())
            }
            Op::VStoreState { offset, src } => {
                (state.add(offset.0 as usize) as *mut u128).write_unaligned(vt[src.0 as usize].to_le())
            }
            // One thread: every order reads and writes the same values.
            Op::VLoad { dst, addr, .. } => {
                vt[dst.0 as usize] = u128::from_le((v(&addr) as *const u128).read_unaligned())
            }
            Op::VStore { addr, src, .. } => {
                (v(&addr) as *mut u128).write_unaligned(vt[src.0 as usize].to_le())
            }
            Op::VPack { dst, lo, hi } => vt[dst.0 as usize] = vector::pack(v(&lo), v(&hi)),
            Op::VHalf { dst, src, high } => {
                let (lo, hi) = vector::halves(vt[src.0 as usize]);
                t[dst.0 as usize] = if high { hi } else { lo };
            }
            Op::VBit { op, dst, a, b } => {
                vt[dst.0 as usize] = vector::eval_bit(op, vt[a.0 as usize], vt[b.0 as usize])
            }
            Op::VLanes { op, lane, dst, a, b } => {
                vt[dst.0 as usize] = vector::eval_lanes(op, lane, vt[a.0 as usize], vt[b.0 as usize])
            }
            Op::VShift { op, lane, dst, a, count } => {
                vt[dst.0 as usize] = vector::eval_shift(op, lane, vt[a.0 as usize], count)
            }
            _ => unreachable!("not a vector op: {op}"),
        }
    }
}

/// Writes the header for `exit` and reports it.
///
/// # Safety
/// `state` must point to a writable state header.
unsafe fn leave(exit: &Exit, t: &[u64], state: *mut u8) -> Outcome {
    let v = |x: &Temp| t[x.0 as usize];
    let (reason, pc, arg, trap) = match exit {
        Exit::Jump(target) => (ExitReason::Chain, target.0, 0, None),
        Exit::Branch { cond, taken, not_taken } => {
            (ExitReason::Chain, if v(cond) != 0 { taken.0 } else { not_taken.0 }, 0, None)
        }
        Exit::Indirect(x) | Exit::Return(x) => (ExitReason::Lookup, v(x), 0, None),
        Exit::Syscall { next } => (ExitReason::Syscall, next.0, 0, None),
        Exit::Invalidate { next } => (ExitReason::Invalidate, next.0, 0, None),
        Exit::Trap { kind, pc, .. } => (ExitReason::Trap, pc.0, kind.index(), Some(*kind)),
    };
    // SAFETY: the header is the first 32 bytes of the state (caller's contract).
    unsafe {
        write(state.add(header::NEXT_PC as usize), pc, Width::W64);
        write(state.add(header::EXIT_REASON as usize), reason as u64, Width::W64);
        write(state.add(header::EXIT_ARG as usize), arg, Width::W64);
    }
    Outcome { reason, next_pc: GuestAddr(pc), trap }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_edges() {
        use BinOp::*;
        assert_eq!(eval_bin(Add, 0xff, 1, Width::W8), 0);
        assert_eq!(eval_bin(Sub, 0, 1, Width::W32), 0xffff_ffff);
        assert_eq!(eval_bin(Shl, 1, 65, Width::W64), 2);
        assert_eq!(eval_bin(Shl, 1, 9, Width::W8), 2);
        assert_eq!(eval_bin(Ashr, 0x80, 7, Width::W8), 0xff);
        assert_eq!(eval_bin(Rotr, 1, 1, Width::W16), 0x8000);
        assert_eq!(eval_bin(DivU, 5, 0, Width::W64), 0);
        assert_eq!(eval_bin(RemU, 5, 0, Width::W64), 5);
        assert_eq!(eval_bin(DivS, 0x8000_0000, 0xffff_ffff, Width::W32), 0x8000_0000);
        assert_eq!(eval_bin(RemS, 0x8000_0000, 0xffff_ffff, Width::W32), 0);
        assert_eq!(eval_bin(RemS, (-7i64) as u64, 2, Width::W64), (-1i64) as u64);
        assert_eq!(eval_bin(MulHiU, u64::MAX, u64::MAX, Width::W64), u64::MAX - 1);
        assert_eq!(eval_bin(MulHiS, u64::MAX, u64::MAX, Width::W64), 0);
        assert_eq!(eval_bin(MulHiS, 0xff, 0x02, Width::W8), 0xff);
    }

    #[test]
    fn lane_edges() {
        // Byte lanes: 0x7f + 1 wraps, saturates at 0x7f (signed) and stays 0x80 (unsigned).
        let (a, b) = (0x00ff_7f80_0102_ff7f, 0x0001_0180_ff01_0101);
        assert_eq!(eval_lanes(LaneOp::Add, Width::W8, a, b), 0x0000_8000_0003_0080);
        assert_eq!(eval_lanes(LaneOp::AddSatS, Width::W8, a, b), 0x0000_7f80_0003_007f);
        assert_eq!(eval_lanes(LaneOp::AddSatU, Width::W8, a, b), 0x00ff_80ff_ff03_ff80);
        assert_eq!(eval_lanes(LaneOp::SubSatU, Width::W8, a, b), 0x00fe_7e00_0001_fe7e);
        assert_eq!(eval_lanes(LaneOp::SubSatS, Width::W8, 0x80, 0x01), 0x80);
        assert_eq!(eval_lanes(LaneOp::Sub, Width::W32, 0, 1), 0xffff_ffff);
        assert_eq!(eval_lanes(LaneOp::SubSatS, Width::W16, 0x8000_7fff, 0x0001_ffff), 0x8000_7fff);
    }

    #[test]
    fn unary_edges() {
        use UnOp::*;
        assert_eq!(eval_un(Clz, 0, Width::W16), 16);
        assert_eq!(eval_un(Clz, 1, Width::W32), 31);
        assert_eq!(eval_un(Ctz, 0, Width::W8), 8);
        assert_eq!(eval_un(Bswap, 0x1234, Width::W16), 0x3412);
        assert_eq!(eval_un(Rbit, 1, Width::W32), 0x8000_0000);
        assert_eq!(eval_un(Neg, 1, Width::W8), 0xff);
        assert_eq!(eval_cmp(CmpOp::Slt, 0x80, 0x7f, Width::W8), 1);
        assert_eq!(eval_cmp(CmpOp::Ult, 0x80, 0x7f, Width::W8), 0);
        assert_eq!(eval_ext(0x80, Width::W8, true), u64::MAX - 0x7f);
    }

    #[test]
    fn runs_a_block_and_fills_the_header() {
        let mut state = [0u64; 8];
        let mut b = Builder::new();
        let x = b.load_state(StateOffset(32), Width::W64);
        let y = b.bin_imm(BinOp::Add, x, 5, Width::W32);
        b.store_state(StateOffset(40), y, Width::W64);
        let c = b.cmp_imm(CmpOp::Eq, y, 5, Width::W64);
        let block = b.finish(
            GuestAddr(0x1000),
            4,
            1,
            Exit::Branch { cond: c, taken: GuestAddr(0x2000), not_taken: GuestAddr(0x3000) },
        );
        verify(&block).unwrap();
        state[4] = 0xffff_ffff_0000_0000;
        // SAFETY: the block touches state offsets 0..48 of a 64-byte buffer and no memory.
        let out = unsafe { run_block(&block, state.as_mut_ptr() as *mut u8) };
        assert_eq!(state[5], 5);
        assert_eq!(out, Outcome { reason: ExitReason::Chain, next_pc: GuestAddr(0x2000), trap: None });
        assert_eq!(state[0], 0x2000);
        assert_eq!(state[1], ExitReason::Chain as u64);
    }
}
