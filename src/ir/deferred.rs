//! State stores deferred past guest memory accesses, and how a fault gets them back.
//!
//! `ir::opt` deletes a state store that a later store overwrites even when guest memory
//! accesses lie between the two; after each such access it puts an [`Op::StateAtFault`]
//! naming the field and the temporary whose value the state must show if that access
//! faults. This module is what the register allocator, the backends and the runtime share
//! about those ops:
//!
//! * [`fault_only`]: the pure ops (constants, arithmetic, comparisons, selects) whose results
//!   only `StateAtFault` ops read, directly or through other such ops. Backends emit no code
//!   for them (a flag that is overwritten before the block ends costs nothing on the fast
//!   path); the value is described instead as an expression over the temporaries it is
//!   computed from (its *leaves*, [`leaves`]), which the register allocator keeps alive up to
//!   the `StateAtFault`.
//! * [`FaultSite`]: per host instruction range of a memory access, each deferred field and
//!   its value as a small postfix program ([`FaultNode`]) over constants and host locations
//!   (a register, or a stack slot relative to the stack pointer at the fault). Backends
//!   record them while they emit a block; the runtime evaluates them ([`eval`]) with the
//!   host registers and stack the signal handler saved, and writes the fields into the guest
//!   state before the guest's handler sees it.

use super::interp::{eval_bin, eval_cmp, eval_ext, eval_un};
use super::scratch::Lent;
use super::{BinOp, Block, CmpOp, Op, Temp, UnOp, Width};

/// One step of a deferred value's postfix program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultNode {
    Const(u64),
    /// A host register, by the host's own register number (x86: rax = 0 .. r15 = 15;
    /// AArch64: x0 .. x30).
    Reg(u8),
    /// The 8 bytes at this offset from the host stack pointer at the fault.
    Stack(u32),
    Bin(BinOp, Width),
    Un(UnOp, Width),
    Ext(Width, bool),
    Cmp(CmpOp, Width),
    /// Pops if_false, if_true, cond (pushed in that order: cond first).
    Select,
}

/// A deferred state field at one memory access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultField {
    pub offset: u32,
    pub width: Width,
    pub value: Vec<FaultNode>,
}

/// The host code of one guest memory access (byte offsets from the block's entry) and the
/// state fields whose stores were deferred past it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultSite {
    pub start: u32,
    pub end: u32,
    pub fields: Vec<FaultField>,
}

/// Whether `op` accesses guest memory, so that it may fault.
pub fn may_fault(op: &Op) -> bool {
    matches!(
        op,
        Op::Load { .. }
            | Op::Store { .. }
            | Op::AtomicRmw { .. }
            | Op::CompareExchange { .. }
            | Op::VLoad { .. }
            | Op::VStore { .. }
            | Op::ProbeWrite { .. }
    )
}

/// Ops a backend may leave out when only `StateAtFault`s read their result: the pure scalar
/// ops that read no state (`ir::opt` also moves them freely past a side exit).
pub(super) fn describable(op: &Op) -> bool {
    matches!(
        op,
        Op::Const { .. }
            | Op::Bin { .. }
            | Op::Un { .. }
            | Op::Ext { .. }
            | Op::Cmp { .. }
            | Op::Select { .. }
    )
}

/// The most nodes a fault-only value's description ([`describe`]) may have. A description
/// is a tree, and a chain of ops that each read the one before twice (`adc` after `adc`:
/// the sum and its carry) would make it exponential in the chain's length; a value whose
/// tree could be larger is computed in host code instead.
const MAX_DESCRIPTION: u32 = 64;

/// For each temporary: whether its op emits no code because only `StateAtFault`s (directly
/// or through other such ops) read it.
pub fn fault_only(block: &Block) -> Lent<bool> {
    let n = block.temps as usize;
    let (mut real, mut described) = (super::scratch::filled(n, false), super::scratch::filled(n, false));
    // An upper bound of each value's description size: as if every describable op were
    // fault-only (a value computed in code is one leaf, never more).
    let mut size = super::scratch::filled(n, 1u32);
    for op in &block.ops {
        if let Some(d) = op.dst() {
            if describable(op) {
                let mut total = 1u32;
                op.for_each_src(|t| total = total.saturating_add(size[t.0 as usize]));
                size[d.0 as usize] = total;
            }
        }
    }
    let mut only = super::scratch::filled(n, false);
    block.exit.for_each_src(|t| real[t.0 as usize] = true);
    for op in block.ops.iter().rev() {
        if let Op::StateAtFault { src, .. } = op {
            described[src.0 as usize] = true;
            continue;
        }
        if let Some(d) = op.dst() {
            let d = d.0 as usize;
            if describable(op) && !real[d] && described[d] && size[d] <= MAX_DESCRIPTION {
                only[d] = true;
                op.for_each_src(|t| described[t.0 as usize] = true);
                continue;
            }
        }
        op.for_each_src(|t| real[t.0 as usize] = true);
    }
    only
}

/// The op defining each temporary (index into `block.ops`).
pub fn definitions(block: &Block) -> Lent<Option<usize>> {
    let mut def = super::scratch::filled(block.temps as usize, None);
    for (i, op) in block.ops.iter().enumerate() {
        if let Some(d) = op.dst() {
            def[d.0 as usize] = Some(i);
        }
    }
    def
}

/// The temporaries in host locations that a `StateAtFault` of `t` reads at the fault: `t`
/// itself unless it is fault-only (or a constant), else the leaves of its operands.
pub fn leaves(block: &Block, def: &[Option<usize>], only: &[bool], t: Temp, out: &mut Vec<Temp>) {
    let op = def[t.0 as usize].map(|i| &block.ops[i]);
    if let Some(Op::Const { .. }) = op {
        return;
    }
    if !only[t.0 as usize] {
        out.push(t);
        return;
    }
    if let Some(op) = op {
        op.for_each_src(|s| leaves(block, def, only, s, out));
    }
}

/// `t`'s value as a postfix program, with `loc` naming where a leaf lives.
pub fn describe(
    block: &Block,
    def: &[Option<usize>],
    only: &[bool],
    t: Temp,
    loc: &dyn Fn(Temp) -> FaultNode,
    out: &mut Vec<FaultNode>,
) {
    let op = def[t.0 as usize].map(|i| &block.ops[i]);
    if let Some(&Op::Const { value, .. }) = op {
        out.push(FaultNode::Const(value));
        return;
    }
    if !only[t.0 as usize] {
        out.push(loc(t));
        return;
    }
    let Some(op) = op else { return };
    op.for_each_src(|s| describe(block, def, only, s, loc, out));
    out.push(match *op {
        Op::Bin { op, width, .. } => FaultNode::Bin(op, width),
        Op::Un { op, width, .. } => FaultNode::Un(op, width),
        Op::Ext { from, signed, .. } => FaultNode::Ext(from, signed),
        Op::Cmp { op, width, .. } => FaultNode::Cmp(op, width),
        Op::Select { .. } => FaultNode::Select,
        _ => unreachable!("fault_only marks only describable ops"),
    });
}

/// Records a block's fault sites while a backend emits it.
pub struct SiteRecorder {
    pub only: Lent<bool>,
    def: Lent<Option<usize>>,
    pub sites: Vec<FaultSite>,
}

impl SiteRecorder {
    pub fn new(block: &Block) -> SiteRecorder {
        SiteRecorder { only: fault_only(block), def: definitions(block), sites: Vec::new() }
    }

    /// Whether the op at `op` emits no code (its result is only described).
    pub fn skips(&self, op: &Op) -> bool {
        op.dst().is_some_and(|d| self.skips_temp(d))
    }

    /// Whether temporary `t` is fault-only (no code computes it).
    pub fn skips_temp(&self, t: Temp) -> bool {
        self.only[t.0 as usize]
    }

    /// A memory access was emitted at host offsets `start..end`.
    pub fn access(&mut self, start: u32, end: u32) {
        self.sites.push(FaultSite { start, end, fields: Vec::new() });
    }

    /// A `StateAtFault` for the last access.
    pub fn field(
        &mut self,
        block: &Block,
        offset: u32,
        width: Width,
        src: Temp,
        loc: &dyn Fn(Temp) -> FaultNode,
    ) {
        let mut value = Vec::new();
        describe(block, &self.def, &self.only, src, loc, &mut value);
        if let Some(site) = self.sites.last_mut() {
            site.fields.push(FaultField { offset, width, value });
        }
    }

    /// The sites that have fields.
    pub fn finish(self) -> Vec<FaultSite> {
        self.sites.into_iter().filter(|s| !s.fields.is_empty()).collect()
    }
}

/// Runs a postfix program; `read` gives a host location's value (`None`: not saved).
pub fn eval(program: &[FaultNode], read: &dyn Fn(FaultNode) -> Option<u64>) -> Option<u64> {
    let mut stack: Vec<u64> = Vec::with_capacity(8);
    for &node in program {
        let v = match node {
            FaultNode::Const(v) => v,
            FaultNode::Reg(_) | FaultNode::Stack(_) => read(node)?,
            FaultNode::Bin(op, w) => {
                let b = stack.pop()?;
                let a = stack.pop()?;
                eval_bin(op, a, b, w)
            }
            FaultNode::Un(op, w) => eval_un(op, stack.pop()?, w),
            FaultNode::Ext(from, signed) => eval_ext(stack.pop()?, from, signed),
            FaultNode::Cmp(op, w) => {
                let b = stack.pop()?;
                let a = stack.pop()?;
                eval_cmp(op, a, b, w)
            }
            FaultNode::Select => {
                let if_false = stack.pop()?;
                let if_true = stack.pop()?;
                let cond = stack.pop()?;
                if cond != 0 {
                    if_true
                } else {
                    if_false
                }
            }
        };
        stack.push(v);
    }
    stack.pop()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::regalloc::{allocate, Loc};
    use crate::ir::{opt::optimize, verify, Builder, Exit, GuestAddr, StateOffset};

    /// A flag computed before a load and overwritten after it: its store goes, the load
    /// carries it for a fault, its comparison emits nothing and what it compares stays live
    /// up to there; evaluating the description gives the flag's value.
    #[test]
    fn a_flag_overwritten_after_a_load_is_deferred_past_it() {
        let mut b = Builder::new();
        b.guest_insn(GuestAddr(0), 3);
        let x = b.load_state(StateOffset(40), Width::W64);
        let one = b.constant(1);
        let sum = b.bin(BinOp::Add, x, one, Width::W64);
        let zf = b.cmp_imm(CmpOp::Eq, sum, 0, Width::W64);
        b.store_state(StateOffset(40), sum, Width::W64);
        b.store_state(StateOffset(33), zf, Width::W8);
        b.guest_insn(GuestAddr(3), 3);
        let addr = b.constant(0x1000);
        let v = b.load(addr, Width::W64);
        b.store_state(StateOffset(48), v, Width::W64);
        b.guest_insn(GuestAddr(6), 3);
        let zf2 = b.cmp_imm(CmpOp::Eq, v, 0, Width::W64);
        b.store_state(StateOffset(33), zf2, Width::W8);
        let mut block = b.finish(GuestAddr(0), 9, 3, Exit::Jump(GuestAddr(9)));
        optimize(&mut block);
        verify(&block).unwrap();
        let stores = |off| {
            block.ops.iter().filter(|o| matches!(o, Op::StoreState { offset, .. } if offset.0 == off)).count()
        };
        assert_eq!(stores(33), 1, "{block:?}");
        let load = block.ops.iter().position(|o| matches!(o, Op::Load { .. })).unwrap();
        assert_eq!(
            block.ops[load + 1],
            Op::StateAtFault { offset: StateOffset(33), src: zf, width: Width::W8 }
        );
        let only = fault_only(&block);
        assert!(only[zf.0 as usize] && !only[sum.0 as usize]);
        let alloc = allocate(&block, 8);
        let (sum_loc, v_loc) = (alloc.loc(sum), alloc.loc(v));
        assert_ne!(sum_loc, v_loc, "the sum stays live through the load");
        let mut value = Vec::new();
        let loc = |t: Temp| match alloc.loc(t) {
            Loc::Reg(r) => FaultNode::Reg(r),
            Loc::Spill(s) => FaultNode::Stack(8 * u32::from(s)),
        };
        describe(&block, &definitions(&block), &only, zf, &loc, &mut value);
        let read = |n: FaultNode| (n == loc(sum)).then_some(0u64);
        assert_eq!(eval(&value, &read), Some(1));
        let read = |n: FaultNode| (n == loc(sum)).then_some(5u64);
        assert_eq!(eval(&value, &read), Some(0));
    }

    /// A chain of values that each read the one before twice (a run of `adc`: the sum and
    /// its carry), described only for a fault: each description stays within
    /// `MAX_DESCRIPTION` nodes instead of doubling per link (the fuzzer found 64 `adc`s
    /// taking gigabytes), and the long tail is computed in code.
    #[test]
    fn descriptions_of_shared_chains_stay_small() {
        let mut b = Builder::new();
        b.guest_insn(GuestAddr(0), 3);
        let mut x = b.load_state(StateOffset(40), Width::W64);
        let short = b.cmp_imm(CmpOp::Eq, x, 0, Width::W64);
        b.store_state(StateOffset(34), short, Width::W8);
        for _ in 0..64 {
            let y = b.bin(BinOp::Add, x, x, Width::W64);
            x = b.bin(BinOp::Xor, y, x, Width::W64);
        }
        // A flag byte (only those are deferred past accesses).
        let flag = b.cmp_imm(CmpOp::Eq, x, 0, Width::W64);
        b.store_state(StateOffset(33), flag, Width::W8);
        b.guest_insn(GuestAddr(3), 3);
        let addr = b.constant(0x1000);
        let v = b.load(addr, Width::W64);
        b.store_state(StateOffset(48), v, Width::W64);
        let flag2 = b.cmp_imm(CmpOp::Eq, v, 0, Width::W64);
        b.store_state(StateOffset(33), flag2, Width::W8);
        b.store_state(StateOffset(34), flag2, Width::W8);
        let mut block = b.finish(GuestAddr(0), 6, 2, Exit::Jump(GuestAddr(6)));
        optimize(&mut block);
        verify(&block).unwrap();
        assert!(block.ops.iter().any(|o| matches!(o, Op::StateAtFault { .. })), "{block:?}");
        let only = fault_only(&block);
        assert!(only[short.0 as usize], "a short description is still deferred");
        let def = definitions(&block);
        for op in &block.ops {
            if let Op::StateAtFault { src, .. } = *op {
                let mut value = Vec::new();
                describe(&block, &def, &only, src, &|t| FaultNode::Reg(t.0 as u8), &mut value);
                assert!(value.len() <= MAX_DESCRIPTION as usize, "{} nodes", value.len());
            }
        }
    }

    /// A store partly overwritten before an access is observed by it and stays; the store
    /// over it is deferred.
    #[test]
    fn a_store_partly_overwritten_before_an_access_stays() {
        let mut b = Builder::new();
        let x = b.load_state(StateOffset(40), Width::W64);
        b.store_state(StateOffset(40), x, Width::W64);
        let y = b.constant(7);
        b.store_state(StateOffset(40), y, Width::W8);
        let addr = b.constant(0x1000);
        let _ = b.load(addr, Width::W64);
        b.store_state(StateOffset(40), addr, Width::W64);
        let mut block = b.finish(GuestAddr(0), 0, 0, Exit::Jump(GuestAddr(4)));
        eliminate_dead_state_stores_only(&mut block);
        let kept: Vec<Width> = block
            .ops
            .iter()
            .filter_map(|o| match o {
                Op::StoreState { width, .. } => Some(*width),
                _ => None,
            })
            .collect();
        assert_eq!(kept, [Width::W64, Width::W64], "{block:?}");
        let load = block.ops.iter().position(|o| matches!(o, Op::Load { .. })).unwrap();
        assert_eq!(
            block.ops[load + 1],
            Op::StateAtFault { offset: StateOffset(40), src: y, width: Width::W8 }
        );
    }

    fn eliminate_dead_state_stores_only(block: &mut Block) {
        crate::ir::opt::eliminate_dead_state_stores(block);
    }
}
