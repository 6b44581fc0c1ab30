//! Assigns each temporary of a block a host register or a spill slot, shared by all backends.
//!
//! A block is straight-line code, so liveness is one backward scan and allocation one forward
//! scan: a temporary holds its location from the op that defines it to its last use, after
//! which the location is free for the next definition. A backend says how many host registers
//! it gives to temporaries and keeps them across helper calls its own way (x86-64 saves the
//! caller-saved ones that are live; AArch64 gives caller-saved ones only to blocks that call
//! nothing). When every register is taken, the new temporary gets a spill slot.
//!
//! Guarantee for backends: an op's destination never shares a location with any of that op's
//! sources, so an op may write its destination before it has read all of its sources.

use super::scratch::{self, Lent};
use super::{deferred, Block, Op, Temp};

/// Where a temporary lives while it is live.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Loc {
    /// Index into the backend's list of registers for temporaries.
    Reg(u8),
    /// 8-byte slot number in the backend's spill area.
    Spill(u16),
}

/// The result of [`allocate`].
#[derive(Clone, Debug)]
pub struct Allocation {
    /// Location of each temporary, indexed by `Temp.0` (lent from `ir::scratch`).
    pub locs: Lent<Loc>,
    /// Number of spill slots used (the highest slot number + 1).
    pub spill_slots: u16,
}

impl Allocation {
    pub fn loc(&self, t: Temp) -> Loc {
        self.locs[t.0 as usize]
    }
}

/// For each temporary, the index of the last op reading it (`ops.len()` for the block
/// exit), and which temporaries are fault-only (`ir::deferred::fault_only`: they get no
/// location). Ops that only describe a deferred state value emit nothing; what they are
/// computed from stays live up to each `StateAtFault` reading them.
pub fn last_uses(block: &Block) -> (Lent<Option<usize>>, Lent<bool>) {
    let mut last_use = scratch::filled(block.temps as usize, None);
    if !block.ops.iter().any(|op| matches!(op, Op::StateAtFault { .. })) {
        for (i, op) in block.ops.iter().enumerate() {
            op.for_each_src(|t| last_use[t.0 as usize] = Some(i));
        }
        block.exit.for_each_src(|t| last_use[t.0 as usize] = Some(block.ops.len()));
        return (last_use, scratch::filled(block.temps as usize, false));
    }
    let only = deferred::fault_only(block);
    let def = deferred::definitions(block);
    let mut leaves = Vec::new();
    for (i, op) in block.ops.iter().enumerate() {
        if let Op::StateAtFault { src, .. } = op {
            leaves.clear();
            deferred::leaves(block, &def, &only, *src, &mut leaves);
            leaves.iter().for_each(|t| last_use[t.0 as usize] = Some(i));
        } else if !op.dst().is_some_and(|d| only[d.0 as usize]) {
            op.for_each_src(|t| last_use[t.0 as usize] = Some(i));
        }
    }
    block.exit.for_each_src(|t| last_use[t.0 as usize] = Some(block.ops.len()));
    (last_use, only)
}

/// Allocates the temporaries of `block` over `regs` host registers (at most 255).
pub fn allocate(block: &Block, regs: usize) -> Allocation {
    let (last_use, only) = last_uses(block);
    allocate_with(block, regs, &last_use, &only)
}

/// [`allocate`] with the block's [`last_uses`] at hand, giving no location to the temporaries
/// marked in `no_location` (the fault-only ones, and any a backend materialises itself).
pub fn allocate_with(
    block: &Block,
    regs: usize,
    last_use: &[Option<usize>],
    no_location: &[bool],
) -> Allocation {
    allocate_reusing(block, regs, last_use, no_location, |_| [None, None])
}

/// [`allocate_with`] for a two-address host: `reusable(op)` names up to two of the op's
/// sources whose register its destination may take when the op is that source's last use
/// (the first that qualifies wins). This relaxes the guarantee above for those ops only: the
/// backend must emit them so that they read such a source before writing the destination
/// (x86-64's `mov d, a; op d, b` becomes `op d, b` with `d` = `a`).
pub fn allocate_reusing(
    block: &Block,
    regs: usize,
    last_use: &[Option<usize>],
    no_location: &[bool],
    reusable: impl Fn(&Op) -> [Option<Temp>; 2],
) -> Allocation {
    let regs = regs.min(255);
    let n = block.temps as usize;
    let only = no_location;
    // Temporaries to release after op i, in the order they were defined: a list per op
    // threaded through `next` (each temporary expires once), not a Vec per op.
    const NONE: u32 = u32::MAX;
    let mut head = scratch::filled(block.ops.len() + 1, NONE);
    let mut tail = scratch::filled(block.ops.len() + 1, NONE);
    let mut next = scratch::filled(n, NONE);
    let mut locs = scratch::filled(n, Loc::Spill(0));
    let mut free_regs = scratch::collected((0..regs as u8).rev());
    let mut free_slots = scratch::filled(0, 0u16);
    let mut spill_slots: u16 = 0;

    // Temporaries whose register an op's destination took over: not released again.
    let mut handed_on = scratch::filled(n, false);
    for (i, op) in block.ops.iter().enumerate() {
        if let Some(d) = op.dst().filter(|d| !only[d.0 as usize]) {
            let dying_reg = reusable(op).into_iter().flatten().find_map(|s| {
                let dies_here = last_use[s.0 as usize] == Some(i) && !only[s.0 as usize];
                match locs[s.0 as usize] {
                    Loc::Reg(r) if dies_here && !handed_on[s.0 as usize] => Some((s, r)),
                    _ => None,
                }
            });
            let loc = if let Some((s, r)) = dying_reg {
                handed_on[s.0 as usize] = true;
                Loc::Reg(r)
            } else if let Some(r) = free_regs.pop() {
                Loc::Reg(r)
            } else if let Some(s) = free_slots.pop() {
                Loc::Spill(s)
            } else {
                spill_slots += 1;
                Loc::Spill(spill_slots - 1)
            };
            locs[d.0 as usize] = loc;
            // A temporary nobody reads is released right after its op.
            let end = last_use[d.0 as usize].unwrap_or(i);
            match tail[end] {
                NONE => head[end] = d.0,
                last => next[last as usize] = d.0,
            }
            tail[end] = d.0;
        }
        // Release after the op, so that the destination never reuses a source's location.
        let mut t = head[i];
        while t != NONE {
            if handed_on[t as usize] {
                t = next[t as usize];
                continue;
            }
            match locs[t as usize] {
                Loc::Reg(r) => free_regs.push(r),
                Loc::Spill(s) => free_slots.push(s),
            }
            t = next[t as usize];
        }
    }
    Allocation { locs, spill_slots }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{testgen, BinOp, Builder, Exit, GuestAddr, Width};

    /// Checks that no two temporaries live at the same time share a location, and that a
    /// destination never shares its op's sources' location.
    fn check(block: &Block, a: &Allocation) {
        let mut live: Vec<(Temp, Loc)> = Vec::new();
        let mut last = vec![usize::MAX; block.temps as usize];
        for (i, op) in block.ops.iter().enumerate() {
            op.for_each_src(|t| last[t.0 as usize] = i);
        }
        block.exit.for_each_src(|t| last[t.0 as usize] = block.ops.len());
        for (i, op) in block.ops.iter().enumerate() {
            if let Some(d) = op.dst() {
                let loc = a.loc(d);
                for (t, l) in &live {
                    assert!(*l != loc, "op {i}: {d:?} reuses {loc:?} of live {t:?}");
                }
                live.push((d, loc));
            }
            live.retain(|(t, _)| last[t.0 as usize] != usize::MAX && last[t.0 as usize] > i);
        }
    }

    #[test]
    fn registers_are_reused_after_last_use() {
        let mut b = Builder::new();
        let x = b.constant(1);
        let y = b.constant(2);
        let z = b.bin(BinOp::Add, x, y, Width::W64);
        let w = b.bin(BinOp::Add, z, z, Width::W64);
        let block = b.finish(GuestAddr(0), 0, 0, Exit::Indirect(w));
        let a = allocate(&block, 2);
        check(&block, &a);
        assert_eq!(a.spill_slots, 1, "z needs a slot while x and y are live");
    }

    #[test]
    fn a_destination_takes_only_the_register_of_a_source_read_last() {
        let reuse_a = |op: &Op| match *op {
            Op::Bin { a, .. } => [Some(a), None],
            _ => [None, None],
        };
        let mut rng = testgen::Rng::new(11);
        for _ in 0..500 {
            let block = testgen::random_block(&mut rng, &testgen::Layout::default());
            let (last_use, only) = last_uses(&block);
            for regs in [0, 1, 3, 8] {
                let a = allocate_reusing(&block, regs, &last_use, &only, reuse_a);
                let mut live: Vec<(Temp, Loc)> = Vec::new();
                for (i, op) in block.ops.iter().enumerate() {
                    if let Some(d) = op.dst().filter(|d| !only[d.0 as usize]) {
                        let loc = a.loc(d);
                        for (t, l) in &live {
                            let handed_on = reuse_a(op)[0] == Some(*t)
                                && last_use[t.0 as usize] == Some(i)
                                && matches!(l, Loc::Reg(_));
                            assert!(*l != loc || handed_on, "op {i}: {d:?} reuses {loc:?} of live {t:?}");
                        }
                        live.push((d, loc));
                    }
                    live.retain(|(t, _)| last_use[t.0 as usize].is_some_and(|u| u > i));
                }
            }
        }
    }

    #[test]
    fn random_blocks_never_share_live_locations() {
        let mut rng = testgen::Rng::new(7);
        for _ in 0..500 {
            let block = testgen::random_block(&mut rng, &testgen::Layout::default());
            for regs in [0, 1, 3, 8] {
                check(&block, &allocate(&block, regs));
            }
        }
    }
}
