//! State bytes that are dead where a block leaves, because the code it continues at
//! overwrites them before anything can read them.
//!
//! Within a block, `opt::eliminate_dead_state_stores` deletes a state store that a later
//! store overwrites. Across blocks a frontend may look ahead: for an exit with a known target
//! it translates a few instructions there (a scratch block, never compiled), and
//! [`dead_on_entry`] says which of the bytes it asks about (its guest's flags) that code
//! writes before it reads them, calls a helper, or leaves. The answer goes into
//! [`Block::dead_on_entry`], and [`dead_at_exit`] is what the dead-store pass asks of it:
//! a byte is dead at an exit when it is dead on entry at every target the exit may continue
//! at. Nothing here knows a guest: the bytes are the frontend's to choose.
//!
//! What the scratch block may do before the write and still leave a byte dead: compute, load
//! and store guest memory. A memory access there that faults shows the guest's signal handler
//! the byte as the exit left it (see docs/ARCHITECTURE.md, "Flags across blocks"); reading
//! state, calling a helper (it may read any state) and leaving the block (the dispatcher, the
//! syscall layer and the next block may read any state) keep it live, as does the end of the
//! scratch block.

use super::scratch::{self, Lent};
use super::{Block, DeadOnEntry, Exit, GuestAddr, Op, StateOffset};

/// The guest addresses `exit` may continue at when they are known at translation time: the
/// target of a jump, both sides of a branch. None for an indirect exit or a return, a system
/// call (the syscall layer reads state), an invalidation or a trap.
pub fn exit_targets(exit: &Exit) -> impl Iterator<Item = GuestAddr> {
    let targets = match *exit {
        Exit::Jump(t) => [Some(t), None],
        Exit::Branch { taken, not_taken, .. } => [Some(taken), Some(not_taken)],
        Exit::Indirect(_)
        | Exit::Return(_)
        | Exit::Syscall { .. }
        | Exit::Invalidate { .. }
        | Exit::Trap { .. } => [None, None],
    };
    targets.into_iter().flatten()
}

/// The bytes of `candidates` (single state bytes) that `block` overwrites before it reads
/// them, calls a helper or leaves (by a side exit or its final exit), sorted.
pub fn dead_on_entry(block: &Block, candidates: &[StateOffset]) -> Vec<StateOffset> {
    let mut scan = DeadScan::new(candidates);
    scan.ops(block);
    scan.finish()
}

/// [`dead_on_entry`] over code translated piece by piece: the blocks given to [`Self::ops`]
/// are taken to run one after the other.
#[derive(Default)]
pub struct DeadScan {
    undecided: Vec<StateOffset>,
    dead: Vec<StateOffset>,
}

impl DeadScan {
    pub fn new(candidates: &[StateOffset]) -> DeadScan {
        DeadScan { undecided: candidates.to_vec(), dead: Vec::new() }
    }

    /// Starts a new scan for `candidates`, keeping this one's buffers.
    pub fn restart(&mut self, candidates: &[StateOffset]) {
        self.undecided.clear();
        self.undecided.extend_from_slice(candidates);
        self.dead.clear();
    }

    /// Scans `block`'s ops (not its final exit); returns whether code after it may still
    /// decide something: no op stopped the scan (a helper call, a side exit) and some byte is
    /// undecided. A state load counts as a read only if its value is used ([`used_temps`]:
    /// a select on a constant condition uses only the side it picks).
    pub fn ops(&mut self, block: &Block) -> bool {
        // Found only when a load of an undecided byte asks (most instructions load no flag).
        let mut used: Option<Lent<bool>> = None;
        let overlaps = |b: StateOffset, o: StateOffset, w: super::Width| o.0 <= b.0 && b.0 < o.0 + w.bytes();
        for op in &block.ops {
            match op {
                Op::LoadState { dst, offset, width }
                    if self.undecided.iter().any(|&b| overlaps(b, *offset, *width))
                        && used.get_or_insert_with(|| used_temps(block))[dst.0 as usize] =>
                {
                    self.undecided.retain(|&b| !overlaps(b, *offset, *width));
                }
                Op::StateAtFault { offset, width, .. } => {
                    self.undecided.retain(|&b| !overlaps(b, *offset, *width));
                }
                Op::VLoadState { offset, .. } => {
                    self.undecided.retain(|&b| !(offset.0..offset.0 + 16).contains(&b.0))
                }
                Op::VStoreState { offset, .. } => {
                    let dead = &mut self.dead;
                    self.undecided.retain(|&b| {
                        let written = (offset.0..offset.0 + 16).contains(&b.0);
                        if written {
                            dead.push(b);
                        }
                        !written
                    })
                }
                Op::StoreState { offset, width, .. } => {
                    let dead = &mut self.dead;
                    self.undecided.retain(|&b| {
                        let written = overlaps(b, *offset, *width);
                        if written {
                            dead.push(b);
                        }
                        !written
                    })
                }
                Op::CallHelper { .. } | Op::ExitIf { .. } => return false,
                _ => {}
            }
            if self.undecided.is_empty() {
                return false;
            }
        }
        true
    }

    /// The candidate bytes not decided yet.
    pub fn undecided(&self) -> &[StateOffset] {
        &self.undecided
    }

    /// The bytes found dead so far, in the order found.
    pub fn dead(&self) -> &[StateOffset] {
        &self.dead
    }

    /// The bytes found dead, sorted.
    pub fn finish(mut self) -> Vec<StateOffset> {
        self.dead.sort();
        self.dead
    }
}

/// Which temporaries of `block` some effect depends on: a state or memory store, a memory
/// access's address, a helper's arguments, an exit's condition or target. Constants are
/// followed through the pure integer ops (with the interpreter's definitions), so that a
/// select whose condition is constant uses only the value it picks: a shift by a constant
/// count does not use the flags it would keep for a zero count. A cheap stand-in for
/// `opt::forward_and_fold` and the dead code elimination of `opt::optimize` on the small scratch blocks of a
/// lookahead.
pub fn used_temps(block: &Block) -> Lent<bool> {
    use super::interp::{eval_bin, eval_cmp, eval_ext, eval_un};
    let n = block.temps as usize;
    let mut constant = scratch::filled(n, None);
    for op in &block.ops {
        let c = |t: &super::Temp| constant[t.0 as usize];
        let value = match op {
            Op::Const { value, .. } => Some(*value),
            Op::Bin { op, a, b, width, .. } => c(a).zip(c(b)).map(|(x, y)| eval_bin(*op, x, y, *width)),
            Op::Un { op, a, width, .. } => c(a).map(|x| eval_un(*op, x, *width)),
            Op::Ext { a, from, signed, .. } => c(a).map(|x| eval_ext(x, *from, *signed)),
            Op::Cmp { op, a, b, width, .. } => c(a).zip(c(b)).map(|(x, y)| eval_cmp(*op, x, y, *width)),
            Op::Select { cond, if_true, if_false, .. } => {
                c(cond).and_then(|v| if v != 0 { c(if_true) } else { c(if_false) })
            }
            _ => None,
        };
        if let (Some(v), Some(d)) = (value, op.dst()) {
            constant[d.0 as usize] = Some(v);
        }
    }
    let mut used = scratch::filled(n, false);
    block.exit.for_each_src(|t| used[t.0 as usize] = true);
    for op in block.ops.iter().rev() {
        let pure = op.is_pure();
        if pure && !op.dst().is_some_and(|d| used[d.0 as usize]) {
            continue;
        }
        match op {
            Op::Select { cond, if_true, if_false, .. } => match constant[cond.0 as usize] {
                Some(v) => used[if v != 0 { if_true.0 } else { if_false.0 } as usize] = true,
                None => [cond, if_true, if_false].iter().for_each(|t| used[t.0 as usize] = true),
            },
            op => op.for_each_src(|t| used[t.0 as usize] = true),
        }
    }
    used
}

/// The bytes dead at `exit` of `block`: dead on entry at every target the exit may continue
/// at ([`exit_targets`]; none when a target is not in [`Block::dead_on_entry`] or the exit
/// has no known target), sorted.
pub fn dead_at_exit(block: &Block, exit: &Exit) -> Lent<StateOffset> {
    let mut dead = scratch::filled(0, StateOffset(0));
    if block.dead_on_entry.is_empty() {
        return dead;
    }
    for (k, t) in exit_targets(exit).enumerate() {
        let at: &[StateOffset] =
            block.dead_on_entry.iter().find(|d| d.target == t).map_or(&[], |d| d.bytes.as_slice());
        if k == 0 {
            dead.extend_from_slice(at);
        } else {
            dead.retain(|b| at.contains(b));
        }
    }
    dead
}

/// Every known target of `block`'s exits (its final exit, then its side exits), each once.
pub fn block_targets(block: &Block) -> Lent<GuestAddr> {
    let mut out = scratch::filled(0, GuestAddr(0));
    let side_exits = block.ops.iter().filter_map(|op| match op {
        Op::ExitIf { exit, .. } => Some(exit),
        _ => None,
    });
    for t in std::iter::once(&block.exit).chain(side_exits).flat_map(exit_targets) {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// Records what is dead on entry at `target` (nothing recorded when `bytes` is empty).
pub fn record(block: &mut Block, target: GuestAddr, bytes: Vec<StateOffset>) {
    if !bytes.is_empty() {
        block.dead_on_entry.push(DeadOnEntry { target, bytes });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Builder, Width};

    const A: StateOffset = StateOffset(100);
    const B: StateOffset = StateOffset(101);
    const C: StateOffset = StateOffset(102);

    fn finish(b: Builder) -> Block {
        b.finish(GuestAddr(0x1000), 4, 1, Exit::Jump(GuestAddr(0x1004)))
    }

    #[test]
    fn a_byte_written_before_it_is_read_is_dead_and_one_read_first_is_live() {
        let mut b = Builder::new();
        let x = b.load_state(B, Width::W8); // B read first: live
        b.store_state(A, x, Width::W8);
        b.store_state(B, x, Width::W8);
        let block = finish(b);
        assert_eq!(dead_on_entry(&block, &[A, B, C]), vec![A]);
    }

    #[test]
    fn a_wide_load_or_store_covers_every_byte_it_spans() {
        let mut b = Builder::new();
        let x = b.load_state(StateOffset(96), Width::W32); // bytes 96..100: not A
        b.store_state(StateOffset(100), x, Width::W16); // A and B
        let _ = b.load_state(StateOffset(102), Width::W8); // C read
        let block = finish(b);
        assert_eq!(dead_on_entry(&block, &[C, B, A]), vec![A, B]);
    }

    #[test]
    fn helpers_and_side_exits_end_the_search_but_memory_accesses_do_not() {
        let mut b = Builder::new();
        let addr = b.constant(0x2000);
        let v = b.load(addr, Width::W64);
        b.store_state(A, v, Width::W8);
        let cond = b.constant(1);
        b.push(Op::ExitIf { cond, exit: Exit::Jump(GuestAddr(0x3000)) });
        b.store_state(B, v, Width::W8);
        let block = finish(b);
        assert_eq!(dead_on_entry(&block, &[A, B]), vec![A]);

        let mut b = Builder::new();
        b.call(crate::ir::testgen::MIX_HELPER, &[]);
        let x = b.constant(1);
        b.store_state(A, x, Width::W8);
        assert_eq!(dead_on_entry(&finish(b), &[A]), vec![]);
    }

    #[test]
    fn a_load_feeding_only_the_unpicked_side_of_a_constant_select_is_no_read() {
        for (cond, dead) in [(1, vec![A]), (0, vec![])] {
            let mut b = Builder::new();
            let old = b.load_state(A, Width::W8);
            let new = b.constant(1);
            let zero = b.constant(0);
            let c = b.constant(cond);
            let is = b.cmp(crate::ir::CmpOp::Ne, c, zero, Width::W64);
            let v = b.select(is, new, old);
            b.store_state(A, v, Width::W8);
            let _unused = b.load_state(B, Width::W8);
            assert_eq!(dead_on_entry(&finish(b), &[A, B]), dead, "cond {cond}");
        }
    }

    #[test]
    fn an_exit_is_dead_only_where_every_target_overwrites() {
        let mut b = Builder::new();
        let cond = b.constant(1);
        let mut block = b.finish(
            GuestAddr(0x1000),
            4,
            1,
            Exit::Branch { cond, taken: GuestAddr(0x2000), not_taken: GuestAddr(0x1004) },
        );
        record(&mut block, GuestAddr(0x2000), vec![A, B]);
        record(&mut block, GuestAddr(0x1004), vec![B, C]);
        record(&mut block, GuestAddr(0x5000), vec![]);
        assert_eq!(block.dead_on_entry.len(), 2);
        assert_eq!(*dead_at_exit(&block, &block.exit.clone()), vec![B]);
        assert_eq!(*dead_at_exit(&block, &Exit::Jump(GuestAddr(0x2000))), vec![A, B]);
        assert_eq!(*dead_at_exit(&block, &Exit::Jump(GuestAddr(0x6000))), vec![]);
        assert_eq!(*dead_at_exit(&block, &Exit::Syscall { next: GuestAddr(0x2000) }), vec![]);
        assert_eq!(*block_targets(&block), vec![GuestAddr(0x2000), GuestAddr(0x1004)]);
    }
}
