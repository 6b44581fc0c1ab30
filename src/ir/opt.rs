//! IR passes run on every block between the frontend and the backend.
//!
//! * **State forwarding**: a `LoadState` of a field whose value the block already holds in a
//!   temporary (it stored or loaded it earlier, at that width or wider) becomes that
//!   temporary (zero-extended from the load's width when narrower). This is what keeps a
//!   guest register in a host register within a block.
//! * **Constant folding**: ops whose inputs are all constants become constants (through the
//!   interpreter's `eval_*`, the single definition of op arithmetic); side exits and branches
//!   on constant conditions are resolved.
//! * **Common subexpressions**: a pure op (`Bin`, `Un`, `Ext`, `Cmp`) that repeats an earlier
//!   one on the same operands (the same temporaries, or constants of the same value) becomes
//!   the earlier result. Temporaries are written once and a block is straight-line code, so
//!   the earlier result always holds. The A64 frontend relies on it to clear a base
//!   register's tag once per block (`Ctx::data_addr`).
//! * **Algebraic simplification** ([`super::simplify`]): clean zero extensions, `x ^ x`,
//!   identities with constants, inverted comparisons that exits test; in the same walk as
//!   the three above ([`forward_and_fold`]), each op's result folded and deduplicated at once.
//! * **Dead state-store elimination**: a `StoreState` whose bytes are all overwritten later in
//!   the block before anything can observe them is deleted, and so is one whose bytes are
//!   dead at every exit that follows it (the code there overwrites them first:
//!   [`Block::dead_on_entry`], see `ir::liveness`). Frontends store every flag they define,
//!   so this is the dead-flag elimination.
//! * **Branch splitting** ([`split_branch_at_dead_bytes`]): a branch whose one side finds
//!   state bytes dead that the other reads becomes a side exit to that side before their
//!   stores, which move after it with the pure ops only they read, and a jump to the other
//!   side: a loop's back edge skips the flags only its exit reads.
//! * **Precise faults**: within a guest instruction, state stores are moved after its last
//!   guest memory access ([`sink_state_stores_past_faults`]); a store that dead state-store
//!   elimination deletes although memory accesses lie before the store that overwrites it
//!   is handed to each of those accesses as an [`Op::StateAtFault`] (see `ir::deferred`). At
//!   any access that faults, the state in memory completed with those values is the state at
//!   the start of the faulting instruction, which is what the guest's signal handler sees.
//! * **Dead code elimination**: pure ops whose result nobody reads are deleted (a
//!   `StateAtFault` reads; the backends then emit nothing for what only it reads), in the
//!   same rebuild of the op list as the dead state stores
//!   ([`eliminate_dead_state_stores_and_code`]).
//! * **Flag stores at their values** ([`store_bytes_at_their_values`]): a one-byte state
//!   store moves up to just after the op computing its value, across pure ops and other
//!   state bytes only, so that an instruction's flags do not all stay live (and spill) until
//!   its end.
//! * **MXCSR runs** ([`super::mxcsr_run`], last): an [`Op::MxcsrRun`] before each run of x86
//!   SSE floating-point ops that may share one MXCSR switch when every exception is masked.
//!
//! What can observe guest state: a `LoadState` of overlapping bytes, a helper call, any exit
//! (side or final), and a guest memory access through its `StateAtFault`s.

use super::deferred::{self, may_fault};
use super::interp::{eval_bin, eval_cmp, eval_ext, eval_fp, eval_lanes, eval_un};
use super::liveness;
use super::scratch;
use super::simplify::{Rewrite, Simplifier};
use super::*;

/// Runs every pass, in an order where each one feeds the next.
pub fn optimize(block: &mut Block) {
    forward_and_fold(block);
    sink_state_stores_past_faults(block);
    split_branch_at_dead_bytes(block);
    eliminate_dead_state_stores_and_code(block);
    store_bytes_at_their_values(block);
    super::mxcsr_run::mark(block);
}

/// An operand of a pure op, for finding repeated ops: a constant is known by its value.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Operand {
    Temp(Temp),
    Const(u64),
}

/// What makes two pure ops compute the same value.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum PureKey {
    Bin(BinOp, Width, Operand, Operand),
    Un(UnOp, Width, Operand),
    Ext(Width, bool, Operand),
    Cmp(CmpOp, Width, Operand, Operand),
}

/// Hashes a [`PureKey`]: a few small integers, so a multiply per word and one folded multiply
/// at the end mix them enough, at a fraction of a general-purpose hasher's cost (this is one
/// of the translator's hottest tables). Fixed, not seeded: nothing iterates the table, and a
/// key's hash is the same in every run.
#[derive(Default, Clone, Copy)]
struct KeyHasher(u64);

/// An odd constant with well-spread bits (the fractional part of the golden ratio).
const KEY_MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;

impl std::hash::Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        bytes.iter().for_each(|&b| self.write_u64(u64::from(b)));
    }
    fn write_u8(&mut self, x: u8) {
        self.write_u64(u64::from(x));
    }
    fn write_u32(&mut self, x: u32) {
        self.write_u64(u64::from(x));
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(23) ^ x).wrapping_mul(KEY_MULTIPLIER);
    }
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
    fn write_isize(&mut self, x: isize) {
        self.write_u64(x as u64);
    }
    fn finish(&self) -> u64 {
        let p = u128::from(self.0) * u128::from(KEY_MULTIPLIER);
        (p as u64) ^ ((p >> 64) as u64)
    }
}

type PureTable = hashbrown::HashMap<PureKey, Temp, std::hash::BuildHasherDefault<KeyHasher>>;

thread_local! {
    /// [`forward_and_fold`]'s table of pure ops, kept from block to block (cleared each time).
    static COMPUTED: std::cell::Cell<PureTable> = Default::default();
}

/// State forwarding, constant folding, common subexpressions and algebraic simplification
/// ([`super::simplify`]), one forward pass. Each op, its operands renamed to what the ops
/// before it became, is forwarded (a state read), folded, looked up among the pure ops
/// before it, and simplified; what simplification makes of it (a constant, a comparison) is
/// folded and looked up again, so that nothing a later pass would have found is left.
pub fn forward_and_fold(block: &mut Block) {
    let n = block.temps as usize;
    let mut rename = scratch::filled(0, Temp(0));
    rename.extend((0..block.temps).map(Temp));
    let mut constant = scratch::filled(n, None);
    let mut simple = Simplifier::new(block);
    // State bytes whose value is known: (offset, width, temp holding it zero-extended or not).
    let mut known = scratch::filled(0, (0u32, Width::W8, Temp(0)));
    let overlaps = |o: u32, w: Width, o2: u32, w2: Width| o < o2 + w2.bytes() && o2 < o + w.bytes();
    // The same for 128-bit fields (offset, vector temp holding them), and the byte-range test.
    let mut known_v = scratch::filled(0, (0u32, Temp(0)));
    let meets = |o: u32, len: u32, o2: u32, len2: u32| o < o2 + len2 && o2 < o + len;

    // The table of this thread's previous block, emptied: growing a fresh one op by op cost
    // more than the pass's own work.
    let mut computed = COMPUTED.take();
    computed.clear();
    let mut exit_now: Option<Exit> = None;
    // Rewritten in place: the ops kept so far are `ops[..kept]` (each op moves only when an
    // earlier one was deleted).
    let mut ops = std::mem::take(&mut block.ops);
    let mut kept = 0;
    for r in 0..ops.len() {
        let op = &mut ops[r];
        op.map_srcs(|t| rename[t.0 as usize]);
        // State forwarding: a read of what the block holds becomes that value.
        match &*op {
            &Op::LoadState { dst, offset, width } => {
                // A field held at this width or wider (its low bytes, little-endian).
                let held = known.iter().find(|(o, w, _)| *o == offset.0 && w.bits() >= width.bits());
                if let Some(&(_, _, held)) = held {
                    if width == Width::W64 {
                        rename[dst.0 as usize] = held;
                        constant[dst.0 as usize] = constant[held.0 as usize];
                        continue;
                    }
                    // Folded and simplified below.
                    *op = Op::Ext { dst, a: held, from: width, signed: false };
                } else {
                    // A half of a 128-bit field held in a vector.
                    let half = known_v.iter().find(|(o, _)| *o == offset.0 || *o + 8 == offset.0);
                    if let (Width::W64, Some(&(o, src))) = (width, half) {
                        *op = Op::VHalf { dst, src, high: o != offset.0 };
                    }
                    known.push((offset.0, width, dst));
                }
            }
            Op::StoreState { offset, src, width } => {
                known.retain(|(o, w, _)| !overlaps(*o, *w, offset.0, *width));
                known_v.retain(|(o, _)| !meets(*o, 16, offset.0, width.bytes()));
                known.push((offset.0, *width, *src));
            }
            &Op::VLoadState { dst, offset } => {
                if let Some(&(_, held)) = known_v.iter().find(|(o, _)| *o == offset.0) {
                    rename[dst.0 as usize] = held;
                    continue;
                }
                // Both halves held in 64-bit temporaries: built from them (no reload of
                // what was just stored, which on x86 hosts would also miss store forwarding).
                let half = |at: u32| known.iter().find(|(o, w, _)| *o == at && *w == Width::W64).map(|k| k.2);
                if let (Some(lo), Some(hi)) = (half(offset.0), half(offset.0 + 8)) {
                    *op = Op::VPack { dst, lo, hi };
                }
                known_v.push((offset.0, dst));
            }
            Op::VStoreState { offset, src } => {
                known.retain(|(o, w, _)| !meets(*o, w.bytes(), offset.0, 16));
                known_v.retain(|(o, _)| !meets(*o, 16, offset.0, 16));
                known_v.push((offset.0, *src));
            }
            Op::CallHelper { .. } => {
                known.clear();
                known_v.clear();
            }
            _ => {}
        }
        if let Some((dst, value)) = fold(op, &constant) {
            *op = Op::Const { dst, value };
        }
        if let Some((dst, key)) = pure_key(op, &constant) {
            // One hash and one probe: the earlier result, or this op's (simplified) recorded.
            match computed.entry(key) {
                hashbrown::hash_map::Entry::Occupied(earlier) => {
                    rename[dst.0 as usize] = *earlier.get();
                    continue;
                }
                hashbrown::hash_map::Entry::Vacant(slot) => match simple.rewrite(op, &constant) {
                    Some(Rewrite::Same(dst, t)) => {
                        slot.insert(t);
                        rename[dst.0 as usize] = t;
                        continue;
                    }
                    Some(Rewrite::Op(new)) => {
                        slot.insert(dst);
                        *op = new;
                        if let Some((dst, value)) = fold(op, &constant) {
                            *op = Op::Const { dst, value };
                        }
                        // A comparison made of others may repeat an earlier one.
                        if let Some((dst, new_key)) = pure_key(op, &constant) {
                            match computed.entry(new_key) {
                                hashbrown::hash_map::Entry::Occupied(earlier) => {
                                    let earlier = *earlier.get();
                                    rename[dst.0 as usize] = earlier;
                                    computed.insert(key, earlier);
                                    continue;
                                }
                                hashbrown::hash_map::Entry::Vacant(slot) => {
                                    slot.insert(dst);
                                }
                            }
                        }
                    }
                    None => {
                        slot.insert(dst);
                    }
                },
            }
        }
        match *op {
            Op::Const { dst, value } => constant[dst.0 as usize] = Some(value),
            Op::Select { dst, cond, if_true, if_false } if constant[cond.0 as usize].is_some() => {
                let chosen = if constant[cond.0 as usize] != Some(0) { if_true } else { if_false };
                rename[dst.0 as usize] = chosen;
                constant[dst.0 as usize] = constant[chosen.0 as usize];
                continue;
            }
            Op::ExitIf { cond, ref exit } => match constant[cond.0 as usize] {
                Some(0) => continue,
                Some(_) => {
                    exit_now = Some(exit.clone());
                    break;
                }
                None => {}
            },
            _ => {}
        }
        simple.record(op, &constant);
        if kept != r {
            ops.swap(kept, r);
        }
        kept += 1;
    }
    ops.truncate(kept);
    block.ops = ops;
    COMPUTED.set(computed);
    if let Some(exit) = exit_now {
        block.exit = exit;
    } else {
        block.exit.map_srcs(|t| rename[t.0 as usize]);
    }
    if let Exit::Branch { cond, taken, not_taken } = block.exit {
        if let Some(v) = constant[cond.0 as usize] {
            block.exit = Exit::Jump(if v != 0 { taken } else { not_taken });
        }
    }
}

/// The constant `op` computes when its operands are all constants: (its destination, value).
#[inline(always)]
fn fold(op: &Op, constant: &[Option<u64>]) -> Option<(Temp, u64)> {
    let c = |t: Temp| constant[t.0 as usize];
    match *op {
        Op::Bin { op: bop, dst, a, b, width } => {
            c(a).zip(c(b)).map(|(x, y)| (dst, eval_bin(bop, x, y, width)))
        }
        Op::Un { op: uop, dst, a, width } => c(a).map(|x| (dst, eval_un(uop, x, width))),
        Op::Ext { dst, a, from, signed } => c(a).map(|x| (dst, eval_ext(x, from, signed))),
        Op::Cmp { op: cop, dst, a, b, width } => {
            c(a).zip(c(b)).map(|(x, y)| (dst, eval_cmp(cop, x, y, width)))
        }
        Op::Lanes { op: lop, lane, dst, a, b } => {
            c(a).zip(c(b)).map(|(x, y)| (dst, eval_lanes(lop, lane, x, y)))
        }
        Op::Fp { op: fop, prec, rule, result, dst, a, b, ctrl } => match (c(a), c(b), c(ctrl)) {
            (Some(x), Some(y), Some(z)) => Some((dst, eval_fp(fop, prec, rule, result, x, y, z))),
            _ => None,
        },
        Op::FpFma { prec, rule, result, neg, dst, a, b, c: cc, ctrl } => match (c(a), c(b), c(cc), c(ctrl)) {
            (Some(x), Some(y), Some(z), Some(w)) => {
                Some((dst, super::fma::eval(prec, rule, result, neg, x, y, z, w)))
            }
            _ => None,
        },
        Op::FpCmp { op: cop, prec, rule, result, dst, a, b, ctrl } => match (c(a), c(b), c(ctrl)) {
            (Some(x), Some(y), Some(z)) => Some((dst, super::fp_cmp::eval(cop, prec, rule, result, x, y, z))),
            _ => None,
        },
        Op::FpCvt { from, to, round, rule, result, dst, a, ctrl } => {
            c(a).zip(c(ctrl)).map(|(x, z)| (dst, super::fp_cvt::eval(from, to, round, rule, result, x, z)))
        }
        _ => None,
    }
}

/// The key under which a pure op (`Bin`, `Un`, `Ext`, `Cmp`) is looked up: its kind and
/// operands, a constant operand by its value.
#[inline(always)]
fn pure_key(op: &Op, constant: &[Option<u64>]) -> Option<(Temp, PureKey)> {
    let operand = |t: Temp| constant[t.0 as usize].map_or(Operand::Temp(t), Operand::Const);
    match *op {
        Op::Bin { op, dst, a, b, width } => Some((dst, PureKey::Bin(op, width, operand(a), operand(b)))),
        Op::Un { op, dst, a, width } => Some((dst, PureKey::Un(op, width, operand(a)))),
        Op::Ext { dst, a, from, signed } => Some((dst, PureKey::Ext(from, signed, operand(a)))),
        Op::Cmp { op, dst, a, b, width } => Some((dst, PureKey::Cmp(op, width, operand(a), operand(b)))),
        _ => None,
    }
}

thread_local! {
    /// [`eliminate_dead_state_stores`]' positions per state byte (see there).
    static COVERED_AT: std::cell::Cell<Vec<usize>> = Default::default();
}

/// How many memory accesses a deleted state store may be handed to. A store overwritten only
/// after more is kept: each `StateAtFault` costs translation time and keeps what the value is
/// computed from live, and a flag is mostly overwritten within a few instructions.
const MAX_DEFERRED_ACCESSES: usize = 4;

/// Deletes `StoreState`s that are overwritten before anything observes them. A guest memory
/// access between the store and the one that overwrites it does not keep it: an
/// [`Op::StateAtFault`] after that access gives the value to a fault there instead (see
/// `ir::deferred`), unless part of the store is overwritten before the access (the access
/// then observes the store, which stays), there are more than [`MAX_DEFERRED_ACCESSES`], or the
/// store is wider than a byte: only flags (one byte each in both guests' states) are deferred,
/// where deleting the store also saves computing the flag; a register's store only costs
/// the store, and deferring it past loads would cost translation time and registers.
///
/// A byte dead at an exit ([`liveness::dead_at_exit`]: the code every target of the exit
/// continues at overwrites it first) counts as overwritten at that exit; at a side exit, a
/// byte stays overwritten only if it is dead there too. Bytes not dead at an exit are
/// observed by it.
pub fn eliminate_dead_state_stores(block: &mut Block) {
    eliminate_dead_stores(block, false);
}

/// [`eliminate_dead_state_stores`], and in the same rebuild of the op list dead code: pure
/// ops whose result nobody reads (a `StateAtFault` reads; the backends then emit nothing for
/// what only it reads), deleted stores reading nothing. One deletion instead of two.
pub fn eliminate_dead_state_stores_and_code(block: &mut Block) {
    eliminate_dead_stores(block, true);
}

fn eliminate_dead_stores(block: &mut Block, and_code: bool) {
    // Bytes of state that are certainly overwritten later (or dead at every exit that follows)
    // with nothing but memory accesses observing them first.
    let mut covered = scratch::filled(0, false);
    // Per covered byte, where the scan forward from a store finds it overwritten: the first
    // later store of it (the block's end for a byte dead at the exit). Kept from block to
    // block and only ever grown (no clearing per block): a byte's entry is read only while
    // it is covered, and covering it writes the entry.
    let mut covered_at = COVERED_AT.take();
    let end = block.ops.len();
    for &b in liveness::dead_at_exit(block, &block.exit).iter() {
        if covered.len() <= b.0 as usize {
            covered.resize(b.0 as usize + 1, false);
        }
        if covered_at.len() <= b.0 as usize {
            covered_at.resize(b.0 as usize + 1, 0);
        }
        covered[b.0 as usize] = true;
        covered_at[b.0 as usize] = end;
    }
    let mut dead = scratch::filled(block.ops.len(), false);
    // Dead stores with no memory access before they are overwritten: nothing to defer, so the
    // scan forward below skips them (most flag stores).
    let mut quiet = scratch::filled(block.ops.len(), false);
    // The first memory access after the op being looked at (`usize::MAX`: none).
    let mut next_access = usize::MAX;
    for (i, op) in block.ops.iter().enumerate().rev() {
        match op {
            Op::StoreState { .. } | Op::VStoreState { .. } => {
                let (start, len) = state_write(op).expect("a state store");
                let range = start as usize..(start + len) as usize;
                if covered.len() < range.end {
                    covered.resize(range.end, false);
                }
                if covered_at.len() < range.end {
                    covered_at.resize(range.end, 0);
                }
                if covered[range.clone()].iter().all(|&b| b) {
                    dead[i] = true;
                    let overwritten_at = covered_at[range.clone()].iter().copied().max().unwrap_or(end);
                    quiet[i] = next_access >= overwritten_at;
                }
                covered[range.clone()].iter_mut().for_each(|b| *b = true);
                covered_at[range].iter_mut().for_each(|at| *at = i);
            }
            Op::LoadState { .. } | Op::StateAtFault { .. } | Op::VLoadState { .. } => {
                let (start, len) = state_read(op).expect("a state read");
                let range = start as usize..(start + len) as usize;
                for b in covered.iter_mut().take(range.end).skip(range.start) {
                    *b = false;
                }
            }
            Op::CallHelper { .. } => covered.clear(),
            Op::ExitIf { exit, .. } => {
                let dead = liveness::dead_at_exit(block, exit);
                if dead.is_empty() {
                    covered.clear();
                } else {
                    for (b, c) in covered.iter_mut().enumerate() {
                        *c = *c && dead.contains(&StateOffset(b as u32));
                    }
                }
            }
            op if deferred::may_fault(op) => next_access = i,
            _ => {}
        }
    }
    COVERED_AT.set(covered_at);
    // The accesses each dead store is deferred past, up to where its bytes are overwritten
    // (or, dead at the exits after it, to the end of the block).
    let mut after: Vec<(usize, Op)> = Vec::new();
    let mut accesses = scratch::filled(0, 0usize);
    for (i, op) in block.ops.iter().enumerate() {
        let Some((start, len)) = state_write(op) else { continue };
        if !dead[i] || quiet[i] {
            continue;
        }
        let end = start + len;
        let mut overwritten = 0u32; // bit per byte of the store
        accesses.clear();
        for (j, op) in block.ops.iter().enumerate().skip(i + 1) {
            match op {
                Op::StoreState { .. } | Op::VStoreState { .. } => {
                    let (o, n) = state_write(op).expect("a state store");
                    for b in o.max(start)..(o + n).min(end) {
                        overwritten |= 1 << (b - start);
                    }
                    if overwritten == ((1u64 << (end - start)) - 1) as u32 {
                        break;
                    }
                }
                op if deferred::may_fault(op) => {
                    // Only byte stores are deferred (never a vector: see above).
                    if overwritten != 0 || len != 1 || accesses.len() == MAX_DEFERRED_ACCESSES {
                        dead[i] = false;
                        break;
                    }
                    accesses.push(j);
                }
                _ => {}
            }
        }
        if let (true, &Op::StoreState { offset, src, width }) = (dead[i], op) {
            after.extend(accesses.iter().map(|&j| (j, Op::StateAtFault { offset, src, width })));
        }
    }
    after.sort_by_key(|&(j, _)| j);
    if and_code {
        mark_dead_code(block, &mut dead, &after);
    }
    let mut i = 0;
    block.ops.retain(|_| {
        i += 1;
        !dead[i - 1]
    });
    if after.is_empty() {
        return;
    }
    // Right after each access (any earlier `StateAtFault`s of it follow these): `after` holds
    // indices into the ops before the deletions, so map them through what was kept.
    let kept_before: Vec<usize> = dead
        .iter()
        .scan(0, |kept, &d| {
            let at = *kept;
            *kept += usize::from(!d);
            Some(at)
        })
        .collect();
    let ops = std::mem::take(&mut block.ops);
    block.ops = Vec::with_capacity(ops.len() + after.len());
    let mut pending = after.into_iter().peekable();
    for (k, op) in ops.into_iter().enumerate() {
        block.ops.push(op);
        while let Some((j, _)) = pending.peek() {
            if kept_before[*j] != k {
                break;
            }
            let (_, extra) = pending.next().expect("peeked");
            block.ops.push(extra);
        }
    }
}

/// The state bytes (offset, length) a state store ([`Op::StoreState`], [`Op::VStoreState`])
/// writes.
fn state_write(op: &Op) -> Option<(u32, u32)> {
    match *op {
        Op::StoreState { offset, width, .. } => Some((offset.0, width.bytes())),
        Op::VStoreState { offset, .. } => Some((offset.0, 16)),
        _ => None,
    }
}

/// The state bytes (offset, length) a state read ([`Op::LoadState`], [`Op::VLoadState`], or
/// [`Op::StateAtFault`], which a fault reads) reads.
fn state_read(op: &Op) -> Option<(u32, u32)> {
    match *op {
        Op::LoadState { offset, width, .. } | Op::StateAtFault { offset, width, .. } => {
            Some((offset.0, width.bytes()))
        }
        Op::VLoadState { offset, .. } => Some((offset.0, 16)),
        _ => None,
    }
}

/// Precise faults: within each guest instruction, moves the state stores that come before
/// its last memory access to just after it, so that a fault there leaves the state as of the
/// start of the instruction (e.g. a push's new stack pointer, an A64 pre-index base write
/// back). A store is not moved past an op that may observe it: a `LoadState` of overlapping
/// bytes, a helper call or a side exit (such a store stays where it is).
pub fn sink_state_stores_past_faults(block: &mut Block) {
    let mut start = 0;
    while start < block.ops.len() {
        let end = block.ops[start + 1..]
            .iter()
            .position(|op| matches!(op, Op::GuestInsn { .. }))
            .map_or(block.ops.len(), |p| start + 1 + p);
        if let Some(last) = block.ops[start..end].iter().rposition(may_fault).map(|p| start + p) {
            let mut moved = Vec::new();
            let mut i = start;
            let mut last = last;
            while i < last {
                if let Op::StoreState { offset, width, .. } = block.ops[i] {
                    let range = offset.0..offset.0 + width.bytes();
                    let observed = block.ops[i + 1..last].iter().any(|op| match op {
                        Op::CallHelper { .. } | Op::ExitIf { .. } => true,
                        op => state_read(op)
                            .or_else(|| state_write(op))
                            .is_some_and(|(o, n)| o < range.end && range.start < o + n),
                    });
                    if !observed {
                        moved.push(block.ops.remove(i));
                        last -= 1;
                        continue;
                    }
                }
                i += 1;
            }
            // As many ops out as in: the instruction still ends at `end`.
            block.ops.splice(last + 1..last + 1, moved);
        }
        start = end;
    }
}

/// A block that ends in a branch where one side (`x`) finds state bytes dead that the other
/// (`y`) reads (a loop's back edge overwrites the flags its exit still reads) leaves to `x`
/// by a side exit instead, placed before the stores of those bytes, and the stores follow it
/// with the pure ops only they read: the branch `cond ? x : y` becomes `ExitIf(cond, x)`,
/// those stores and ops, `Jump(y)`. The path to `x` no longer computes them, and the path to
/// `y` computes the same state as before. A store moves only if nothing after it may observe
/// its bytes (a state read or store of them that stays, a helper call, a side exit, a guest
/// memory access, which may fault), and only pure scalar ops of no state move with it.
pub fn split_branch_at_dead_bytes(block: &mut Block) {
    let Exit::Branch { cond, taken, not_taken } = block.exit else { return };
    if block.dead_on_entry.is_empty() || taken == not_taken {
        return;
    }
    let dead_t = liveness::dead_at_exit(block, &Exit::Jump(taken));
    let dead_n = liveness::dead_at_exit(block, &Exit::Jump(not_taken));
    let more = |a: &[StateOffset], b: &[StateOffset]| a.iter().any(|x| !b.contains(x));
    let (x, y, dead_x, dead_y, invert) = if more(&dead_t, &dead_n) {
        (taken, not_taken, dead_t, dead_n, false)
    } else if more(&dead_n, &dead_t) {
        (not_taken, taken, dead_n, dead_t, true)
    } else {
        return;
    };
    // Leaving to the not-taken side first needs the inverse condition: the comparison that
    // computes it, read by nothing else, is inverted in place.
    let cond_op = if invert {
        let mut reads = 0;
        block.ops.iter().for_each(|op| op.for_each_src(|t| reads += u32::from(t == cond)));
        let def = block.ops.iter().position(|op| matches!(op, Op::Cmp { dst, .. } if *dst == cond));
        match def {
            Some(i) if reads == 0 => Some(i),
            _ => return,
        }
    } else {
        None
    };
    // Backwards: the stores that move (every byte dead at `x`, not every byte dead at `y`,
    // nothing after them observing their bytes), then the pure ops only moved ops read.
    let n = block.ops.len();
    let mut moves = scratch::filled(n, false);
    let mut seen: Vec<(u32, u32)> = Vec::new(); // bytes read or stored (and staying) after
    let mut any = false;
    for (i, op) in block.ops.iter().enumerate().rev() {
        if let Op::StoreState { offset, width, .. } = *op {
            let range = offset.0..offset.0 + width.bytes();
            let dead = |d: &[StateOffset]| range.clone().all(|b| d.contains(&StateOffset(b)));
            let clear = !seen.iter().any(|&(o, len)| o < range.end && range.start < o + len);
            if clear && dead(&dead_x) && !dead(&dead_y) {
                moves[i] = true;
                any = true;
                continue;
            }
        }
        match op {
            Op::CallHelper { .. } | Op::ExitIf { .. } => break,
            op if may_fault(op) => break,
            op => {
                if let Some(r) = state_read(op).or_else(|| state_write(op)) {
                    seen.push(r);
                }
            }
        }
    }
    if !any {
        return;
    }
    let mut stays = scratch::filled(block.temps as usize, false);
    stays[cond.0 as usize] = true;
    for (i, op) in block.ops.iter().enumerate().rev() {
        if !moves[i] && deferred::describable(op) && op.dst().is_some_and(|d| !stays[d.0 as usize]) {
            moves[i] = true;
        }
        if !moves[i] {
            op.for_each_src(|t| stays[t.0 as usize] = true);
        }
    }
    if let Some(i) = cond_op {
        if let Op::Cmp { op, .. } = &mut block.ops[i] {
            *op = op.inverse();
        }
    }
    let ops = std::mem::take(&mut block.ops);
    let mut moved = Vec::new();
    block.ops = Vec::with_capacity(n + 1);
    for (i, op) in ops.into_iter().enumerate() {
        if moves[i] {
            moved.push(op);
        } else {
            block.ops.push(op);
        }
    }
    block.ops.push(Op::ExitIf { cond, exit: Exit::Jump(x) });
    block.ops.extend(moved);
    block.exit = Exit::Jump(y);
}

/// Moves each one-byte state store (the flags of both guests) up to just after the op that
/// computes its value, across pure scalar ops and state reads and stores of other bytes only:
/// nothing between can observe the byte (no guest memory access, helper call, exit, fence or
/// guest instruction boundary), so every state any observer sees is unchanged. Frontends
/// compute all the flags of an instruction and then store them, which keeps each value live
/// (in a host register, or spilled) until the end of the instruction; stored at once, a flag
/// frees its register for the next one. One pass: each store goes after the latest of its
/// value's op, the last op nothing crosses and the last access of its byte.
pub fn store_bytes_at_their_values(block: &mut Block) {
    const NOWHERE: usize = usize::MAX;
    let n = block.ops.len();
    let mut def_at = scratch::filled(block.temps as usize, NOWHERE);
    // Moved stores: (the op they follow, their index).
    let mut moved: Vec<(usize, usize)> = Vec::new();
    let mut barrier = NOWHERE;
    // State accesses since the barrier: (where they stand: after that op, offset, length).
    let mut recent: Vec<(usize, u32, u32)> = Vec::new();
    for (i, op) in block.ops.iter().enumerate() {
        match *op {
            Op::StoreState { offset, src, width: Width::W8 } if def_at[src.0 as usize] != NOWHERE => {
                let last_access = recent
                    .iter()
                    .filter(|&&(_, o, len)| (o..o + len).contains(&offset.0))
                    .map(|&(at, ..)| at)
                    .max();
                let after =
                    [Some(def_at[src.0 as usize]), (barrier != NOWHERE).then_some(barrier), last_access]
                        .into_iter()
                        .flatten()
                        .max()
                        .unwrap_or(NOWHERE);
                if after + 1 < i {
                    moved.push((after, i));
                    recent.push((after, offset.0, 1));
                } else {
                    recent.push((i, offset.0, 1));
                }
            }
            Op::Const { .. }
            | Op::Bin { .. }
            | Op::Un { .. }
            | Op::Ext { .. }
            | Op::Cmp { .. }
            | Op::Select { .. } => {}
            Op::LoadState { .. } | Op::StoreState { .. } | Op::VLoadState { .. } | Op::VStoreState { .. } => {
                if let Some((o, len)) = state_read(op).or_else(|| state_write(op)) {
                    recent.push((i, o, len));
                }
            }
            _ => {
                barrier = i;
                recent.clear();
            }
        }
        if let Some(d) = op.dst() {
            def_at[d.0 as usize] = i;
        }
    }
    if moved.is_empty() {
        return;
    }
    // Stores that follow the same op keep their order.
    moved.sort_unstable();
    let mut is_moved = scratch::filled(n, false);
    moved.iter().for_each(|&(_, i)| is_moved[i] = true);
    let stores: Vec<(usize, Op)> = moved.iter().map(|&(after, i)| (after, block.ops[i].clone())).collect();
    let mut old = std::mem::replace(&mut block.ops, scratch::ops(n));
    let mut next = stores.into_iter().peekable();
    for (i, op) in old.drain(..).enumerate() {
        if !is_moved[i] {
            block.ops.push(op);
        }
        while let Some((_, store)) = next.next_if(|&(after, _)| after == i) {
            block.ops.push(store);
        }
    }
    scratch::recycle_ops(old);
}

/// Dead code: marks in `deleted` the pure ops whose result nobody reads, of `block`'s ops
/// less those already `deleted` and with each of `inserted` (sorted by index) after the op at
/// its index. One backward walk.
fn mark_dead_code(block: &Block, deleted: &mut [bool], inserted: &[(usize, Op)]) {
    let mut used = scratch::filled(block.temps as usize, false);
    block.exit.for_each_src(|t| used[t.0 as usize] = true);
    let mut k = inserted.len();
    for (i, op) in block.ops.iter().enumerate().rev() {
        while k > 0 && inserted[k - 1].0 == i {
            inserted[k - 1].1.for_each_src(|t| used[t.0 as usize] = true);
            k -= 1;
        }
        if deleted[i] {
            continue;
        }
        if op.is_pure() && !op.dst().is_some_and(|d| used[d.0 as usize]) {
            deleted[i] = true;
            continue;
        }
        op.for_each_src(|t| used[t.0 as usize] = true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::testgen::{random_block, Layout, Rng};

    #[test]
    fn dead_flag_stores_go_and_live_ones_stay() {
        let mut b = Builder::new();
        let x = b.load_state(StateOffset(40), Width::W64);
        let one = b.constant(1);
        let s1 = b.bin(BinOp::Add, x, one, Width::W64);
        let f1 = b.cmp_imm(CmpOp::Eq, s1, 0, Width::W64);
        b.store_state(StateOffset(33), f1, Width::W8); // dead: overwritten below
        let s2 = b.bin(BinOp::Sub, s1, one, Width::W64);
        let f2 = b.cmp_imm(CmpOp::Eq, s2, 0, Width::W64);
        b.store_state(StateOffset(33), f2, Width::W8);
        b.store_state(StateOffset(40), s2, Width::W64);
        let mut block = b.finish(GuestAddr(0), 0, 0, Exit::Jump(GuestAddr(4)));
        optimize(&mut block);
        verify(&block).unwrap();
        let stores = block.ops.iter().filter(|o| matches!(o, Op::StoreState { .. })).count();
        assert_eq!(stores, 2);
        assert!(!block.ops.iter().any(|o| matches!(o, Op::Cmp { dst, .. } if *dst == f1)));
    }

    /// A flag store moves up to its value across pure ops and other state bytes, but not
    /// across a guest memory access (a fault there must see the state before the store) or a
    /// read of its own byte.
    #[test]
    fn byte_stores_move_up_to_their_values_but_not_past_an_observer() {
        let mut b = Builder::new();
        let x = b.load_state(StateOffset(40), Width::W64);
        let y = b.load_state(StateOffset(48), Width::W64);
        let s = b.bin(BinOp::Add, x, y, Width::W64);
        let zf = b.cmp_imm(CmpOp::Eq, s, 0, Width::W64);
        let cf = b.cmp(CmpOp::Ult, s, x, Width::W64);
        let sf = b.cmp_imm(CmpOp::Slt, s, 0, Width::W64);
        b.store_state(StateOffset(40), s, Width::W64);
        b.store_state(StateOffset(33), zf, Width::W8);
        let loaded = b.load(y, Width::W64);
        b.store_state(StateOffset(32), cf, Width::W8);
        let again = b.load_state(StateOffset(34), Width::W8);
        b.store_state(StateOffset(34), sf, Width::W8);
        b.store_state(StateOffset(48), loaded, Width::W64);
        b.store_state(StateOffset(35), again, Width::W8);
        let mut block = b.finish(GuestAddr(0), 0, 0, Exit::Jump(GuestAddr(4)));
        let before = block.clone();
        store_bytes_at_their_values(&mut block);
        verify(&block).unwrap();
        let at = |t: Temp| block.ops.iter().position(|o| o.dst() == Some(t)).unwrap();
        let store_of = |t: Temp| {
            let is_store = |o: &Op| matches!(o, Op::StoreState { src, .. } if *src == t);
            block.ops.iter().position(is_store).unwrap()
        };
        assert_eq!(store_of(zf), at(zf) + 1, "{block:?}");
        assert_eq!(store_of(cf), at(loaded) + 1, "stopped by the load: {block:?}");
        assert_eq!(store_of(again), at(again) + 1, "across other bytes: {block:?}");
        assert_eq!(store_of(sf), at(again) + 2, "stopped by the read of its byte: {block:?}");
        assert_eq!(block.ops.len(), before.ops.len());
    }

    #[test]
    fn forwarding_reads_a_stored_register_back_without_memory() {
        let mut b = Builder::new();
        let x = b.load_state(StateOffset(40), Width::W64);
        b.store_state(StateOffset(48), x, Width::W64);
        let y = b.load_state(StateOffset(48), Width::W64);
        let mut block = b.finish(GuestAddr(0), 0, 0, Exit::Indirect(y));
        optimize(&mut block);
        assert_eq!(block.exit, Exit::Indirect(x));
        assert_eq!(block.ops.iter().filter(|o| matches!(o, Op::LoadState { .. })).count(), 1);
    }

    /// Memory accesses are never moved, merged or deleted (even an unread load: it orders
    /// the accesses after it), and each keeps its order.
    #[test]
    fn ordered_accesses_stay_in_place_with_their_orders() {
        let mut b = Builder::with_memory_model(MemoryModel::Tso);
        let a = b.load_state(StateOffset(40), Width::W64);
        let v = b.load_state(StateOffset(48), Width::W64);
        b.store(a, v, Width::W32);
        let _unread = b.load(a, Width::W32);
        let again = b.load(a, Width::W32);
        b.store_ordered(a, again, Width::W64, MemOrder::SeqCst);
        let _sc = b.load_ordered(a, Width::W8, MemOrder::SeqCst);
        let mut block = b.finish(GuestAddr(0), 0, 0, Exit::Jump(GuestAddr(4)));
        optimize(&mut block);
        verify(&block).unwrap();
        let orders: Vec<(bool, MemOrder)> = block
            .ops
            .iter()
            .filter_map(|o| match o {
                Op::Load { order, .. } => Some((true, *order)),
                Op::Store { order, .. } => Some((false, *order)),
                _ => None,
            })
            .collect();
        use MemOrder::*;
        assert_eq!(
            orders,
            [(false, Release), (true, Acquire), (true, Acquire), (false, SeqCst), (true, SeqCst)]
        );
    }

    #[test]
    fn the_verifier_refuses_a_release_load_and_an_acquire_store() {
        let mut b = Builder::new();
        let a = b.constant(0x1000);
        b.load_ordered(a, Width::W64, MemOrder::Release);
        let block = b.finish(GuestAddr(0), 0, 0, Exit::Jump(GuestAddr(4)));
        assert!(verify(&block).unwrap_err().contains("Release load"));
        let mut b = Builder::new();
        let a = b.constant(0x1000);
        b.store_ordered(a, a, Width::W64, MemOrder::Acquire);
        let block = b.finish(GuestAddr(0), 0, 0, Exit::Jump(GuestAddr(4)));
        assert!(verify(&block).unwrap_err().contains("Acquire store"));
    }

    /// The optimised block must leave exactly the state, memory and exit of the original.
    #[test]
    fn optimized_random_blocks_match_the_original() {
        check_random_blocks(99, 3000, Layout::default(), false);
    }

    /// With random bytes dead on entry at the exits' targets (as a frontend's lookahead
    /// records them), the optimised block must leave the state of the original but for the
    /// bytes dead at the target it left to, and the same memory and exit. A small state, so
    /// that the random state ops hit the 16 dead-able bytes often.
    #[test]
    fn optimized_random_blocks_with_dead_bytes_at_exits_match_on_the_live_bytes() {
        check_random_blocks(7, 100000, Layout { state_len: 64, ..Layout::default() }, true);
    }

    /// The same for blocks of vector ops, whose state accesses overlap scalar ones (a small
    /// state, so that they often do).
    #[test]
    fn optimized_vector_blocks_match_the_original() {
        let layout = Layout { state_len: 96, ..Layout::default() };
        check_blocks(crate::ir::testgen::vector_block, 5, 3000, layout, false);
    }

    fn check_random_blocks(seed: u64, cases: u64, base: Layout, dead_exits: bool) {
        check_blocks(random_block, seed, cases, base, dead_exits)
    }

    fn check_blocks(
        generate: fn(&mut Rng, &Layout) -> Block,
        seed: u64,
        cases: u64,
        base: Layout,
        dead_exits: bool,
    ) {
        let mut rng = Rng::new(seed);
        let mut dead_rng = Rng::new(seed ^ 0xdead);
        let mut deleted = 0;
        let mut split = 0;
        for case in 0..cases {
            let mut mem_a = vec![0u64; base.mem_len as usize / 8];
            let mut init = Rng::new(case);
            for a in mem_a.iter_mut() {
                *a = init.interesting();
            }
            let layout = Layout { mem_base: mem_a.as_mut_ptr() as u64, ..base.clone() };
            let mut block = generate(&mut rng, &layout);
            if dead_exits {
                crate::ir::testgen::random_dead_on_entry(&mut dead_rng, &mut block);
            }
            let mut opt = block.clone();
            optimize(&mut opt);
            verify(&opt).unwrap_or_else(|e| panic!("case {case}: {e}\n{block:?}"));
            let mut without = block.clone();
            without.dead_on_entry.clear();
            optimize(&mut without);
            let stores = |b: &Block| b.ops.iter().filter(|o| matches!(o, Op::StoreState { .. })).count();
            deleted += stores(&without) - stores(&opt);
            let side_exits = |b: &Block| b.ops.iter().filter(|o| matches!(o, Op::ExitIf { .. })).count();
            split += usize::from(side_exits(&opt) > side_exits(&without));

            let mut state_a = vec![0u64; base.state_len as usize / 8];
            for v in state_a.iter_mut() {
                *v = init.interesting();
            }
            let mut state_b = state_a.clone();
            let snapshot: Vec<u64> = mem_a.clone();
            // SAFETY: the block touches only its state buffer and mem_a.
            let out_a = unsafe { interp::run_block(&block, state_a.as_mut_ptr() as *mut u8) };
            let after_a = mem_a.clone();
            mem_a.copy_from_slice(&snapshot);
            // SAFETY: as above.
            let out_b = unsafe { interp::run_block(&opt, state_b.as_mut_ptr() as *mut u8) };
            assert_eq!(out_a, out_b, "case {case}: exit differs\n{block:?}\n{opt:?}");
            if out_a.reason == crate::ir::protocol::ExitReason::Chain {
                let dead = block.dead_on_entry.iter().find(|d| d.target == out_a.next_pc);
                for b in dead.map_or(&[][..], |d| &d.bytes[..]) {
                    let (word, shift) = (b.0 as usize / 8, b.0 % 8 * 8);
                    state_a[word] &= !(0xff << shift);
                    state_b[word] &= !(0xff << shift);
                }
            }
            assert_eq!(state_a, state_b, "case {case}: state differs\n{block:?}\n{opt:?}");
            assert_eq!(after_a, mem_a, "case {case}: memory differs");
        }
        // The dead bytes must delete stores, or the check above checks nothing.
        assert_eq!(deleted > 0, dead_exits, "{deleted} stores deleted by dead bytes at exits");
        // And some branches must be split at them (`split_branch_at_dead_bytes`).
        assert_eq!(split > 0, dead_exits, "{split} branches split at dead bytes");
    }
}
