//! 128-bit vector temporaries: the ops that define and read them ([`Op::VLoadState`] ..
//! [`Op::VShift`]), their exact definitions (the interpreter's and the backend conformance
//! suite's reference) and the type rules [`super::verify`] checks.
//!
//! A vector temporary is an ordinary [`Temp`] of the block's one index space whose defining
//! op is one of [`defines_vector`]'s: the type of every temporary follows from the op that
//! writes it, so a block carries no type table and every pass that only follows temporaries
//! (liveness, dead-code elimination, renaming, the allocator's live ranges) works unchanged.
//! Each op says which of its sources are vectors ([`for_each_vector_src`]); every other
//! source is a 64-bit temporary, and the verifier refuses a mismatch.
//!
//! The lane-wise ops are those of [`LaneOp`] that exist as one instruction over 128 bits on
//! both hosts (SSE2 and AdvSIMD, [`has_vlane`], [`has_vshift`]); each is defined as
//! [`super::lanes::eval`] on each 64-bit half.

use super::{lanes, Block, LaneOp, Op, Temp, Width};

/// Bitwise operations on all 128 bits ([`Op::VBit`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum VBitOp {
    And,
    Or,
    Xor,
    /// `a & !b` (A64 BIC; x86 pandn is `AndNot` with the operands swapped).
    AndNot,
}

impl VBitOp {
    /// Every operation, for tests that cover them all.
    pub const ALL: [VBitOp; 4] = [VBitOp::And, VBitOp::Or, VBitOp::Xor, VBitOp::AndNot];
}

/// The low and high 64-bit halves of `v`.
pub fn halves(v: u128) -> (u64, u64) {
    (v as u64, (v >> 64) as u64)
}

/// The 128-bit value with halves `lo` and `hi`.
pub fn pack(lo: u64, hi: u64) -> u128 {
    lo as u128 | (hi as u128) << 64
}

/// `a op b` over 128 bits (see [`VBitOp`]).
pub fn eval_bit(op: VBitOp, a: u128, b: u128) -> u128 {
    match op {
        VBitOp::And => a & b,
        VBitOp::Or => a | b,
        VBitOp::Xor => a ^ b,
        VBitOp::AndNot => a & !b,
    }
}

/// `a op b` on each `lane`-bit lane of 128-bit values: [`lanes::eval`] on each half.
pub fn eval_lanes(op: LaneOp, lane: Width, a: u128, b: u128) -> u128 {
    let ((al, ah), (bl, bh)) = (halves(a), halves(b));
    pack(lanes::eval(op, lane, al, bl), lanes::eval(op, lane, ah, bh))
}

/// Every `lane`-bit lane of `a` shifted by `count` ([`LaneOp::Shl`], [`LaneOp::Lshr`],
/// [`LaneOp::Ashr`], with their rule for counts of the lane width or more).
pub fn eval_shift(op: LaneOp, lane: Width, a: u128, count: u8) -> u128 {
    let (al, ah) = halves(a);
    pack(lanes::eval(op, lane, al, u64::from(count)), lanes::eval(op, lane, ah, u64::from(count)))
}

/// Whether [`Op::VLanes`] exists for `op` on `lane`-bit lanes: one SSE2 instruction and one
/// AdvSIMD instruction each (other lane-wise forms stay [`Op::Lanes`] on halves).
pub fn has_vlane(op: LaneOp, lane: Width) -> bool {
    use LaneOp::*;
    use Width::*;
    match op {
        Add | Sub | CmpEq | CmpGtS => matches!(lane, W8 | W16 | W32),
        AddSatU | AddSatS | SubSatU | SubSatS | AvgU => matches!(lane, W8 | W16),
        MinU | MaxU => lane == W8,
        MinS | MaxS | MulLo => lane == W16,
        _ => false,
    }
}

/// Whether [`Op::VShift`] exists for `op` on `lane`-bit lanes (SSE2 has no 8-bit shifts and
/// no 64-bit arithmetic one).
pub fn has_vshift(op: LaneOp, lane: Width) -> bool {
    use Width::*;
    match op {
        LaneOp::Shl | LaneOp::Lshr => matches!(lane, W16 | W32 | W64),
        LaneOp::Ashr => matches!(lane, W16 | W32),
        _ => false,
    }
}

/// Whether `op` writes a vector temporary.
pub fn defines_vector(op: &Op) -> bool {
    matches!(
        op,
        Op::VLoadState { .. }
            | Op::VLoad { .. }
            | Op::VPack { .. }
            | Op::VBit { .. }
            | Op::VLanes { .. }
            | Op::VShift { .. }
    )
}

/// Calls `f` on each source of `op` that must be a vector temporary.
pub fn for_each_vector_src(op: &Op, mut f: impl FnMut(Temp)) {
    match op {
        Op::VStoreState { src, .. } | Op::VStore { src, .. } | Op::VHalf { src, .. } => f(*src),
        Op::VBit { a, b, .. } | Op::VLanes { a, b, .. } => {
            f(*a);
            f(*b)
        }
        Op::VShift { a, .. } => f(*a),
        _ => {}
    }
}

/// Which temporaries of `block` are vectors (indexed by `Temp.0`).
pub fn vector_temps(block: &Block) -> super::scratch::Lent<bool> {
    let mut vector = super::scratch::filled(block.temps as usize, false);
    for op in &block.ops {
        if let Some(d) = op.dst().filter(|_| defines_vector(op)) {
            if let Some(slot) = vector.get_mut(d.0 as usize) {
                *slot = true;
            }
        }
    }
    vector
}

/// Whether some op of `block` reads or writes a vector temporary.
pub fn uses_vectors(block: &Block) -> bool {
    block.ops.iter().any(defines_vector)
}

/// The type rules: every source is a vector exactly where [`for_each_vector_src`] says so,
/// the lane forms exist, and vector memory accesses are not `SeqCst` (nothing makes 16 bytes
/// single-copy atomic on both hosts). Part of [`super::verify`].
pub fn check(block: &Block) -> Result<(), String> {
    let vector = vector_temps(block);
    let is_vec = |t: Temp| vector.get(t.0 as usize).copied().unwrap_or(false);
    for (i, op) in block.ops.iter().enumerate() {
        let mut want = Vec::new();
        for_each_vector_src(op, |t| want.push(t));
        let mut err = None;
        op.for_each_src(|t| {
            let expected = want.contains(&t);
            if err.is_none() && is_vec(t) != expected {
                let what = if expected { "a 64-bit" } else { "a vector" };
                err = Some(format!("op {i}: {t:?} is {what} temporary here"));
            }
        });
        if let Some(e) = err {
            return Err(e);
        }
        match op {
            Op::VLanes { op, lane, .. } if !has_vlane(*op, *lane) => {
                return Err(format!("op {i}: no 128-bit {op:?} on {}-bit lanes", lane.bits()))
            }
            Op::VShift { op, lane, .. } if !has_vshift(*op, *lane) => {
                return Err(format!("op {i}: no 128-bit {op:?} shift of {}-bit lanes", lane.bits()))
            }
            Op::VLoad { order, .. } | Op::VStore { order, .. } if *order == super::MemOrder::SeqCst => {
                return Err(format!("op {i}: a SeqCst vector access"))
            }
            _ => {}
        }
    }
    let mut err = Ok(());
    block.exit.for_each_src(|t| {
        if err.is_ok() && is_vec(t) {
            err = Err(format!("exit reads the vector temporary {t:?}"));
        }
    });
    err
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Builder, Exit, GuestAddr, StateOffset};

    #[test]
    fn lanes_and_shifts_are_the_half_definitions() {
        let a = pack(0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210);
        let b = pack(0x1111_1111_ffff_ffff, 0x8000_0000_0000_0001);
        let r = eval_lanes(LaneOp::Add, Width::W32, a, b);
        assert_eq!(halves(r), (0x1234_5678_89ab_cdee, 0x7edc_ba98_7654_3211));
        let s = eval_shift(LaneOp::Ashr, Width::W16, a, 20);
        assert_eq!(halves(s), (0x0000_0000_ffff_ffff, 0xffff_ffff_0000_0000));
        assert_eq!(eval_bit(VBitOp::AndNot, a, b), a & !b);
    }

    #[test]
    fn the_verifier_checks_vector_types() {
        let mut b = Builder::new();
        let v = b.vload_state(StateOffset(16));
        let s = b.load_state(StateOffset(0), Width::W64);
        let w = b.vlanes(LaneOp::Add, Width::W32, v, v);
        b.vstore_state(StateOffset(32), w);
        let lo = b.vhalf(w, false);
        b.store_state(StateOffset(8), lo, Width::W64);
        let ok = b.finish(GuestAddr(0), 0, 0, Exit::Indirect(s));
        assert_eq!(crate::ir::verify(&ok), Ok(()));

        let mut b = Builder::new();
        let v = b.vload_state(StateOffset(16));
        let s = b.load_state(StateOffset(0), Width::W64);
        b.vbit(VBitOp::Or, v, s);
        let bad = b.finish(GuestAddr(0), 0, 0, Exit::Jump(GuestAddr(0)));
        assert!(crate::ir::verify(&bad).is_err());

        let mut b = Builder::new();
        let v = b.vload_state(StateOffset(16));
        let bad = b.finish(GuestAddr(0), 0, 0, Exit::Indirect(v));
        assert!(crate::ir::verify(&bad).is_err());
    }
}
