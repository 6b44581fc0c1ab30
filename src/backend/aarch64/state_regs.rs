//! Guest state fields kept in host registers across blocks (see [`super::abi`], "State
//! registers"): the table, the state accesses that become register moves, and the plan that
//! lets a block read such a register in place and compute a value straight into it.

use super::abi::*;
use super::Emitter;
use crate::ir::deferred::may_fault;
use crate::ir::scratch::{self, pooled, Lent};
use crate::ir::{Block, Op, Temp, Width};
use dynasmrt::{dynasm, DynasmApi};

/// Which 8-byte state fields live in which host registers.
#[derive(Clone, Debug, Default)]
pub(super) struct StateRegs {
    /// (state offset, host register), by offset.
    pub fields: Vec<(u32, u8)>,
}

/// Largest offset an `ldr`/`str` of an X register reaches (`imm12` scaled by 8).
const MAX_OFFSET: u32 = 4095 * 8;

/// Whether the 8-byte field at `field` and the access `offset .. offset + width` overlap.
fn overlaps(field: u32, offset: u32, width: Width) -> bool {
    field < offset + width.bytes() && offset < field + 8
}

impl StateRegs {
    /// The table for `offsets` (8-byte fields), in [`STATE_REGS`] order; `None` if there are
    /// too many, or one is unaligned, repeated or beyond a scaled immediate offset.
    pub fn new(offsets: &[u32]) -> Option<StateRegs> {
        if offsets.len() > STATE_REGS.len() || offsets.iter().any(|&o| o % 8 != 0 || o > MAX_OFFSET) {
            return None;
        }
        let mut fields: Vec<(u32, u8)> = offsets.iter().copied().zip(STATE_REGS).collect();
        fields.sort_unstable();
        if fields.windows(2).any(|w| w[0].0 == w[1].0) {
            return None;
        }
        Some(StateRegs { fields })
    }

    /// The register of the field that `offset .. offset + width` lies in, and the bit
    /// position of the access in it.
    pub fn containing(&self, offset: u32, width: Width) -> Option<(u8, u32)> {
        let &(field, reg) = self.fields.iter().find(|&&(f, _)| f <= offset && offset < f + 8)?;
        let shift = offset - field;
        (shift + width.bytes() <= 8).then_some((reg, 8 * shift))
    }

    /// The fields that `offset .. offset + width` overlaps.
    #[cfg(test)]
    pub fn overlapping(&self, offset: u32, width: Width) -> Vec<(u32, u8)> {
        self.fields.iter().copied().filter(|&(f, _)| overlaps(f, offset, width)).collect()
    }

    /// The register that a whole-field (`W64` at the field's offset) access names.
    fn whole(&self, offset: u32, width: Width) -> Option<u8> {
        (width == Width::W64).then(|| self.fields.iter().find(|&&(f, _)| f == offset).map(|&(_, r)| r))?
    }

    /// Registers without state fields, in `pool`'s order (lent for the block: this runs
    /// once per block translated).
    pub fn free_of(&self, pool: &[u8]) -> Lent<u8> {
        scratch::collected(pool.iter().copied().filter(|r| !self.fields.iter().any(|&(_, m)| m == *r)))
    }

    /// Emits `str` (`store`) or `ldr` of each field `keep` selects (by offset and register),
    /// as pairs where adjacent.
    pub fn transfer(&self, a: &mut super::Asm, store: bool, keep: impl Fn(u32, u8) -> bool) {
        let mut list = self.fields.iter().copied().filter(|&(f, r)| keep(f, r)).peekable();
        while let Some((off, r)) = list.next() {
            match list.peek() {
                Some(&(next, r2)) if next == off + 8 && off <= 504 => {
                    let off = off as i32;
                    if store {
                        dynasm!(a ; .arch aarch64 ; stp X(r), X(r2), [X(STATE), #off]);
                    } else {
                        dynasm!(a ; .arch aarch64 ; ldp X(r), X(r2), [X(STATE), #off]);
                    }
                    list.next();
                }
                _ => {
                    if store {
                        dynasm!(a ; .arch aarch64 ; str X(r), [X(STATE), #off]);
                    } else {
                        dynasm!(a ; .arch aarch64 ; ldr X(r), [X(STATE), #off]);
                    }
                }
            }
        }
    }
}

/// Which temporaries of a block that calls nothing live in a state register, and which one:
///
/// - a whole-field `LoadState` whose register no store changes before the value's last use
///   reads the register in place (no code);
/// - a value that a whole-field `StoreState` writes is computed straight into the register
///   (the store emits nothing) when nothing between its definition and the store reads the
///   field, writes it, may fault or exits (so the state any of those would see is unchanged),
///   and nothing writes the register again while the value lives.
///
/// `excluded`: temporaries the backend gives no location (constants left to readers, folded
/// ops, fault-only values). An op's destination never shares a register with its sources
/// (the `regalloc` guarantee) under this plan either, except a value read in place whose last
/// use is an op of one instruction that reads it before writing ([`reads_then_writes`]):
/// `rax += 1` is `add x0, x0, #1`.
pub(super) fn plan(
    block: &Block,
    regs: &StateRegs,
    last_use: &[Option<usize>],
    excluded: &[bool],
) -> Lent<Option<u8>> {
    let n = block.ops.len();
    // Every table here is lent from the thread's pools: this runs once per block translated.
    let mut pins = scratch::filled(block.temps as usize, None);
    if regs.fields.is_empty() {
        return pins;
    }
    // The state registers each op writes and reads (as bit masks over STATE_REGS' numbers),
    // computed once: the scans below test them often.
    let mask = |offset: u32, width: Width| {
        regs.fields.iter().filter(|&&(f, _)| overlaps(f, offset, width)).fold(0u32, |m, &(_, r)| m | 1 << r)
    };
    let (mut write_mask, mut read_mask) = (scratch::filled(n, 0u32), scratch::filled(n, 0u32));
    for (i, op) in block.ops.iter().enumerate() {
        match *op {
            Op::StoreState { offset, width, .. } => write_mask[i] = mask(offset.0, width),
            Op::LoadState { offset, width, .. } => read_mask[i] = mask(offset.0, width),
            Op::VStoreState { offset, .. } => {
                write_mask[i] = mask(offset.0, Width::W64) | mask(offset.0 + 8, Width::W64)
            }
            Op::VLoadState { offset, .. } => {
                read_mask[i] = mask(offset.0, Width::W64) | mask(offset.0 + 8, Width::W64)
            }
            _ => {}
        }
    }
    let writes = |i: usize, r: u8| write_mask[i] & 1 << r != 0;
    let reads = |i: usize, r: u8| read_mask[i] & 1 << r != 0;
    let end_of = |t: Temp, from: usize| last_use[t.0 as usize].unwrap_or(from);
    // In-place reads, with the span of ops over which each reads its register.
    let mut spans = scratch::filled(0, (0u8, 0usize, 0usize));
    for (i, op) in block.ops.iter().enumerate() {
        let Op::LoadState { dst, offset, width } = *op else { continue };
        let Some(r) = regs.whole(offset.0, width) else { continue };
        if excluded[dst.0 as usize] {
            continue;
        }
        let end = end_of(dst, i);
        let clobbered = (i + 1..end.min(n)).any(|j| writes(j, r))
            || (end < n
                && writes(end, r)
                && !matches!(block.ops[end], Op::StoreState { src, offset: o, width: Width::W64 }
                    if src == dst && o == offset));
        if !clobbered {
            pins[dst.0 as usize] = Some(r);
            spans.push((r, i, end));
        }
    }
    let mut def = scratch::filled(block.temps as usize, usize::MAX);
    for (i, op) in block.ops.iter().enumerate() {
        if let Some(d) = op.dst() {
            def[d.0 as usize] = i;
        }
    }
    // Values computed into their register, with the span each holds it.
    let mut held = scratch::filled(0, (0u8, 0usize, 0usize));
    for (s, op) in block.ops.iter().enumerate() {
        let Op::StoreState { offset, src: t, width } = *op else { continue };
        let Some(r) = regs.whole(offset.0, width) else { continue };
        let d = def[t.0 as usize];
        if d == usize::MAX || pins[t.0 as usize].is_some() || excluded[t.0 as usize] {
            continue;
        }
        let end = end_of(t, s).max(s);
        let between = (d + 1..s).any(|j| {
            reads(j, r)
                || writes(j, r)
                || may_fault(&block.ops[j])
                || matches!(block.ops[j], Op::ExitIf { .. })
        });
        let after = (s + 1..=end.min(n.saturating_sub(1))).any(|j| {
            writes(j, r)
                && !matches!(block.ops[j], Op::StoreState { src, offset: o, width: Width::W64 }
                    if src == t && o == offset)
        });
        // A value read in place may end at the op that computes the new value into the
        // same register when that op is one instruction reading its sources before it
        // writes (`add x8, x8, #4`).
        let read_in_place = spans.iter().any(|&(m, from, to)| {
            m == r && from < s && (to > d || (to == d && !reads_then_writes(&block.ops[d])))
        });
        let taken = held.iter().any(|&(m, from, to)| m == r && from <= end && to >= d);
        if between || after || read_in_place || taken {
            continue;
        }
        pins[t.0 as usize] = Some(r);
        held.push((r, d, end));
    }
    pins
}

pooled!(SPANS: (u8, usize, usize));

/// Whether the emitter computes `op` in one instruction that reads every source before it
/// writes the destination (every path of [`Emitter::bin`] for these ops at 32 and 64 bits:
/// operands it folds or materialises go through scratch registers first), so the destination
/// may be the register of a source whose last use it is.
fn reads_then_writes(op: &Op) -> bool {
    use crate::ir::BinOp::*;
    matches!(
        op,
        Op::Bin {
            op: Add | Sub | And | Or | Xor | Shl | Lshr | Ashr | Rotr | Mul,
            width: Width::W32 | Width::W64,
            ..
        }
    )
}

impl Emitter {
    /// `LoadState` of a field that lives in a register, or that overlaps some.
    pub(super) fn load_state_reg(&mut self, dst: Temp, offset: u32, width: Width) -> bool {
        if let Some((r, shift)) = self.state_regs.containing(offset, width) {
            if self.pins[dst.0 as usize] == Some(r) && shift == 0 && width == Width::W64 {
                return true; // read in place
            }
            let d = self.dst(dst, S0);
            let bits = width.bits();
            match (shift, width) {
                (0, Width::W64) => dynasm!(self.a ; .arch aarch64 ; mov X(d), X(r)),
                (0, Width::W32) => dynasm!(self.a ; .arch aarch64 ; mov W(d), W(r)),
                _ => dynasm!(self.a ; .arch aarch64 ; ubfx X(d), X(r), shift, bits),
            }
            self.finish(dst, d);
            return true;
        }
        // An access across fields: through memory, with the fields made current first.
        self.flush_overlapping(offset, width, true);
        false
    }

    /// `StoreState` to a field that lives in a register; for one that overlaps some, makes
    /// them current and returns false (the caller stores to memory, then calls
    /// [`Self::after_state_store`]).
    pub(super) fn store_state_reg(&mut self, offset: u32, src: Temp, width: Width) -> bool {
        if let Some((r, shift)) = self.state_regs.containing(offset, width) {
            if shift == 0 && width == Width::W64 {
                if self.pins[src.0 as usize] == Some(r) {
                    return true; // computed in place
                }
                match self.imm(src) {
                    Some(v) => self.mov_imm(r, v),
                    None => {
                        let s = self.src(src, S1);
                        dynasm!(self.a ; .arch aarch64 ; mov X(r), X(s));
                    }
                }
            } else {
                let s = match self.imm(src) {
                    Some(0) => ZR,
                    _ => self.src(src, S1),
                };
                let bits = width.bits();
                dynasm!(self.a ; .arch aarch64 ; bfi X(r), X(s), shift, bits);
            }
            return true;
        }
        self.flush_overlapping(offset, width, true);
        false
    }

    /// After a memory store across fields: loads the fields it overlaps again.
    pub(super) fn after_state_store(&mut self, offset: u32, width: Width) {
        self.flush_overlapping(offset, width, false);
    }

    /// Before a 16-byte state access (`ir::vector`): stores the registers of the fields it
    /// overlaps, so a load reads them and a store's [`Self::after_vector_state_store`] does
    /// not lose the rest of a field.
    pub(super) fn before_vector_state_access(&mut self, offset: u32) {
        self.flush_overlapping(offset, Width::W64, true);
        self.flush_overlapping(offset + 8, Width::W64, true);
    }

    /// After a 16-byte state store: loads the fields it overlaps again.
    pub(super) fn after_vector_state_store(&mut self, offset: u32) {
        self.flush_overlapping(offset, Width::W64, false);
        self.flush_overlapping(offset + 8, Width::W64, false);
    }

    /// Stores (`store`) or loads the registers of the fields `offset .. offset + width`
    /// overlaps.
    fn flush_overlapping(&mut self, offset: u32, width: Width, store: bool) {
        self.state_regs.transfer(&mut self.a, store, |f, _| overlaps(f, offset, width));
    }

    /// Before a call: stores the state registers (`all`, for a helper that may read the
    /// state) or only those the call may change.
    pub(super) fn save_state_regs(&mut self, all: bool) {
        self.state_regs.transfer(&mut self.a, true, |_, r| all || caller_saved(r));
    }

    /// After a call: loads what [`Self::save_state_regs`] stored (a helper may have changed
    /// the fields).
    pub(super) fn restore_state_regs(&mut self, all: bool) {
        self.state_regs.transfer(&mut self.a, false, |_, r| all || caller_saved(r));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::regalloc::last_uses;
    use crate::ir::{BinOp, Builder, Exit, GuestAddr, StateOffset};

    fn pins_of(block: &Block, regs: &StateRegs) -> Vec<Option<u8>> {
        let (last_use, only) = last_uses(block);
        plan(block, regs, &last_use, &only).to_vec()
    }

    #[test]
    fn tables_refuse_what_registers_cannot_hold() {
        assert!(StateRegs::new(&[32, 40]).is_some());
        assert!(StateRegs::new(&[33]).is_none(), "unaligned");
        assert!(StateRegs::new(&[32, 32]).is_none(), "repeated");
        assert!(StateRegs::new(&(0..17).map(|i| 8 * i).collect::<Vec<_>>()).is_none(), "too many");
        let regs = StateRegs::new(&[40, 32]).unwrap();
        assert_eq!(regs.fields, [(32, STATE_REGS[1]), (40, STATE_REGS[0])]);
        assert_eq!(regs.containing(33, Width::W8), Some((STATE_REGS[1], 8)));
        assert_eq!(regs.containing(36, Width::W64), None);
        assert_eq!(regs.overlapping(36, Width::W64).len(), 2);
    }

    /// `rbx = rax + 1; rax = rbx` style: the read is in place, the sum goes straight into the
    /// stored field's register, and a value whose field is overwritten while it lives is not.
    #[test]
    fn reads_in_place_and_computes_into_the_stored_register() {
        let (a, b) = (StateOffset(32), StateOffset(40));
        let regs = StateRegs::new(&[a.0, b.0]).unwrap();
        let mut bd = Builder::new();
        bd.guest_insn(GuestAddr(0x1000), 4);
        let x = bd.load_state(a, Width::W64);
        let y = bd.bin_imm(BinOp::Add, x, 1, Width::W64);
        bd.store_state(b, y, Width::W64);
        let z = bd.load_state(b, Width::W64);
        let w = bd.bin_imm(BinOp::Add, x, 2, Width::W64);
        bd.store_state(a, w, Width::W64);
        let block = bd.finish(GuestAddr(0x1000), 4, 1, Exit::Indirect(z));
        let pins = pins_of(&block, &regs);
        let reg = |o: StateOffset| regs.containing(o.0, Width::W64).unwrap().0;
        assert_eq!(pins[x.0 as usize], Some(reg(a)), "x read in place");
        assert_eq!(pins[y.0 as usize], Some(reg(b)), "y computed into b's register");
        assert_eq!(pins[z.0 as usize], Some(reg(b)), "z read in place");
        // w is computed from x (a's old value, read in place up to w's op) in one `add`
        // reading x before it writes: straight into a's register too.
        assert_eq!(pins[w.0 as usize], Some(reg(a)), "w computed over x");

        // An old value read after the store is a copy, not read in place; an op of several
        // instructions never computes over its source.
        let mut bd = Builder::new();
        bd.guest_insn(GuestAddr(0x1000), 4);
        let x = bd.load_state(a, Width::W64);
        let w = bd.bin_imm(BinOp::Add, x, 2, Width::W64);
        bd.store_state(a, w, Width::W64);
        let v = bd.bin_imm(BinOp::Xor, x, 3, Width::W64);
        let block = bd.finish(GuestAddr(0x1000), 4, 1, Exit::Indirect(v));
        let pins = pins_of(&block, &regs);
        assert_eq!(pins[x.0 as usize], None, "x read after the store");
        assert_eq!(pins[w.0 as usize], Some(reg(a)));
        // Two values over one in-place read: only the last reader may take its register.
        let mut bd = Builder::new();
        bd.guest_insn(GuestAddr(0x1000), 4);
        let x = bd.load_state(a, Width::W64);
        let w = bd.bin_imm(BinOp::Add, x, 2, Width::W64);
        let u = bd.bin_imm(BinOp::Add, x, 3, Width::W64);
        bd.store_state(a, w, Width::W64);
        bd.store_state(b, u, Width::W64);
        let block = bd.finish(GuestAddr(0x1000), 4, 1, Exit::Indirect(u));
        let pins = pins_of(&block, &regs);
        assert_eq!(pins[x.0 as usize], Some(reg(a)));
        assert_eq!(pins[w.0 as usize], None, "x still read by u after w");
        let mut bd = Builder::new();
        bd.guest_insn(GuestAddr(0x1000), 4);
        let x = bd.load_state(a, Width::W64);
        let w = bd.bin_imm(BinOp::RemU, x, 7, Width::W64);
        bd.store_state(a, w, Width::W64);
        let block = bd.finish(GuestAddr(0x1000), 4, 1, Exit::Indirect(w));
        assert_eq!(pins_of(&block, &regs)[w.0 as usize], None, "remu writes before its last read");

        // A memory access between a value and its store keeps the value out of the register
        // (a fault there must see the field unchanged).
        let mut bd = Builder::new();
        bd.guest_insn(GuestAddr(0x1000), 4);
        let addr = bd.constant(0x2000);
        let y = bd.bin_imm(BinOp::Add, addr, 1, Width::W64);
        let m = bd.load(addr, Width::W64);
        bd.store_state(a, y, Width::W64);
        let block = bd.finish(GuestAddr(0x1000), 4, 1, Exit::Indirect(m));
        assert_eq!(pins_of(&block, &regs)[y.0 as usize], None);
    }
}
