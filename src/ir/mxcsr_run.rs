//! MXCSR runs: the rule that lets consecutive x86 SSE floating-point instructions of a block
//! share one switch of the host's MXCSR ([`Op::MxcsrRun`]).
//!
//! The x86 frontend gives every SSE floating-point instruction the same shape: its
//! [`FpRule::X86Sse`] ops read the guest's MXCSR `m` as their control input, the exception
//! flags `f` they raise (ORed over the lanes) are merged into it (`m' = m | f`, stored to
//! MXCSR), and the instruction leaves with #XM when one of them is unmasked (`t = (f & (m >>
//! 7)) ^ f`, `if t: exit trap`). The next instruction reads `m'`. When `m` has all six mask
//! bits (7..12) set, `m >> 7` has bits 0..5 set, every `f` (bounded to bits 0..5 by the
//! rule) gives `t = 0`, and every merge leaves bits 6..31 as they were: the controls are the
//! same for the whole chain, and its last merge is `m` ORed with every flag raised, which is
//! what a processor's sticky flags accumulate.
//!
//! [`mark`] (the last pass of `ir::opt`) finds maximal runs of such ops and puts an
//! [`Op::MxcsrRun`] naming the run's first MXCSR value before the run's first floating-point
//! op. A run holds, besides the floating-point ops whose control input is in the chain:
//! the merges (`or.w32` of a chain value and a flag word) and the ORs of flag words, the
//! trap checks (`lshr.w32 m, 7`; `and.w32` of a flag word and such masks; `xor.w32` of that
//! and the same flag word; `if: exit trap DivideError`), the stores of chain values to the
//! MXCSR field (the field the first value was loaded from), and ops that neither read those
//! temporaries nor touch that field, guest memory, a helper or an exit (state loads and
//! stores of other fields, constants, pure integer and vector ops). It ends before anything
//! else, and where nothing after it reads a flag word, a trap-check temporary or a merge but
//! the last (the only chain value a backend must produce), where the last MXCSR store in it
//! (if any) stores the last merge, and never between a value op and the flags op of the
//! same operation right after it (backends emit those as one instruction). It has at least
//! two flags ops: one instruction's run saves less than its check costs.
//!
//! [`roles`] tells a backend what each op of a run is: the bookkeeping a fast path skips
//! (flags ops, merges, flag ORs, trap checks, MXCSR stores), the floating-point values it
//! computes under the loaded MXCSR, and the plain ops it emits as ever.

use super::regalloc;
use super::*;

/// What an op of an MXCSR run is to a backend's fast path (see [`roles`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    /// Emitted as ever.
    Plain,
    /// A floating-point op's value, computed under the run's MXCSR (its control input is
    /// not read).
    Value,
    /// A flags op, a merge, an OR of flag words, a trap check or an MXCSR store: nothing to
    /// do while the host accumulates the flags.
    Bookkeeping,
}

/// What a temporary is to the run being scanned.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Not the run's bookkeeping: any op may read it.
    Other,
    /// The first MXCSR value or a merge.
    Chain,
    /// A floating-point op's flags, or an OR of such.
    Flags,
    /// `chain >> 7`.
    Masks,
    /// `flags & masks` of this flag word.
    Unmasked(Temp),
    /// `unmasked ^ flags`: the trap condition.
    Trap,
}

/// A run being scanned from its first floating-point op.
struct Scan<'a> {
    kind: &'a mut Vec<Kind>,
    consts: &'a [Option<u64>],
    /// The MXCSR field (where the first value was loaded from).
    field: StateOffset,
    /// The last chain value defined.
    last: Temp,
    /// The last chain value stored to MXCSR.
    stored: Option<Temp>,
    /// Flags ops seen.
    flag_ops: usize,
    /// Temporaries set in `kind` (reset after the scan).
    touched: Vec<Temp>,
}

impl Scan<'_> {
    fn k(&self, t: Temp) -> Kind {
        self.kind[t.0 as usize]
    }

    fn set(&mut self, t: Temp, k: Kind) {
        self.kind[t.0 as usize] = k;
        self.touched.push(t);
    }

    fn overlaps(&self, offset: StateOffset, bytes: u32) -> bool {
        offset.0 < self.field.0 + 4 && self.field.0 < offset.0 + bytes
    }

    /// Whether `op` belongs to the run, and its role; `None` ends the run before it.
    fn admit(&mut self, op: &Op) -> Option<Role> {
        use Kind::*;
        let w32 = |w: &Width| *w == Width::W32;
        match op {
            Op::Fp { rule, result, dst, a, b, ctrl, .. }
            | Op::FpCmp { rule, result, dst, a, b, ctrl, .. } => {
                self.fp(*rule, *result, *dst, &[*a, *b], *ctrl)
            }
            Op::FpCvt { rule, result, dst, a, ctrl, .. } => self.fp(*rule, *result, *dst, &[*a], *ctrl),
            Op::FpFma { rule, result, dst, a, b, c, ctrl, .. } => {
                self.fp(*rule, *result, *dst, &[*a, *b, *c], *ctrl)
            }
            Op::Bin { op: BinOp::Or, dst, a, b, width } if w32(width) => match (self.k(*a), self.k(*b)) {
                (Chain, Flags) | (Flags, Chain) => {
                    self.set(*dst, Chain);
                    self.last = *dst;
                    Some(Role::Bookkeeping)
                }
                (Flags, Flags) => {
                    self.set(*dst, Flags);
                    Some(Role::Bookkeeping)
                }
                _ => self.plain(op),
            },
            Op::Bin { op: BinOp::Lshr, dst, a, b, width }
                if w32(width) && self.k(*a) == Chain && self.consts[b.0 as usize] == Some(7) =>
            {
                self.set(*dst, Masks);
                Some(Role::Bookkeeping)
            }
            Op::Bin { op: BinOp::And, dst, a, b, width } if w32(width) => match (self.k(*a), self.k(*b)) {
                (Flags, Masks) => {
                    self.set(*dst, Unmasked(*a));
                    Some(Role::Bookkeeping)
                }
                (Masks, Flags) => {
                    self.set(*dst, Unmasked(*b));
                    Some(Role::Bookkeeping)
                }
                _ => self.plain(op),
            },
            Op::Bin { op: BinOp::Xor, dst, a, b, width } if w32(width) => match (self.k(*a), self.k(*b)) {
                (Unmasked(f), Flags) if f == *b => {
                    self.set(*dst, Trap);
                    Some(Role::Bookkeeping)
                }
                (Flags, Unmasked(f)) if f == *a => {
                    self.set(*dst, Trap);
                    Some(Role::Bookkeeping)
                }
                _ => self.plain(op),
            },
            Op::ExitIf { cond, exit: Exit::Trap { kind: TrapKind::DivideError, .. } }
                if self.k(*cond) == Trap =>
            {
                Some(Role::Bookkeeping)
            }
            Op::StoreState { offset, src, width }
                if *offset == self.field && w32(width) && self.k(*src) == Chain =>
            {
                self.stored = Some(*src);
                Some(Role::Bookkeeping)
            }
            _ => self.plain(op),
        }
    }

    /// A floating-point op: in the run when its control input is in the chain.
    fn fp(&mut self, rule: FpRule, result: FpResult, dst: Temp, srcs: &[Temp], ctrl: Temp) -> Option<Role> {
        if rule != FpRule::X86Sse
            || self.k(ctrl) != Kind::Chain
            || srcs.iter().any(|&t| self.k(t) != Kind::Other)
        {
            return None;
        }
        Some(match result {
            FpResult::Value => Role::Value,
            FpResult::Flags => {
                self.set(dst, Kind::Flags);
                self.flag_ops += 1;
                Role::Bookkeeping
            }
        })
    }

    /// An op that is not the run's bookkeeping: in the run when it reads none of it and
    /// neither touches MXCSR, guest memory or a helper nor leaves.
    fn plain(&self, op: &Op) -> Option<Role> {
        let mut reads_run = false;
        op.for_each_src(|t| reads_run |= self.k(t) != Kind::Other);
        if reads_run {
            return None;
        }
        let fits = match op {
            Op::GuestInsn { .. } | Op::Const { .. } => true,
            Op::LoadState { offset, width, .. } | Op::StoreState { offset, width, .. } => {
                !self.overlaps(*offset, width.bytes())
            }
            Op::VLoadState { offset, .. } | Op::VStoreState { offset, .. } => !self.overlaps(*offset, 16),
            Op::Bin { .. }
            | Op::Un { .. }
            | Op::Ext { .. }
            | Op::Cmp { .. }
            | Op::Select { .. }
            | Op::Lanes { .. }
            | Op::VPack { .. }
            | Op::VHalf { .. }
            | Op::VBit { .. }
            | Op::VLanes { .. }
            | Op::VShift { .. } => true,
            _ => false,
        };
        fits.then_some(Role::Plain)
    }
}

/// The floating-point op that may start a run: an `X86Sse` op's control input.
fn x86_ctrl(op: &Op) -> Option<Temp> {
    match *op {
        Op::Fp { rule: FpRule::X86Sse, ctrl, .. }
        | Op::FpCmp { rule: FpRule::X86Sse, ctrl, .. }
        | Op::FpCvt { rule: FpRule::X86Sse, ctrl, .. }
        | Op::FpFma { rule: FpRule::X86Sse, ctrl, .. } => Some(ctrl),
        _ => None,
    }
}

/// Whether `op` is a floating-point value op and `next` a flags op (perhaps of the same
/// operation, which backends emit with it as one instruction: a run never ends between).
fn splits_pair(op: &Op, next: Option<&Op>) -> bool {
    let result = |op: &Op| match op {
        Op::Fp { result, .. }
        | Op::FpCmp { result, .. }
        | Op::FpCvt { result, .. }
        | Op::FpFma { result, .. } => Some(*result),
        _ => None,
    };
    result(op) == Some(FpResult::Value) && next.and_then(result) == Some(FpResult::Flags)
}

/// Puts an [`Op::MxcsrRun`] before every run (see the module doc).
pub fn mark(block: &mut Block) {
    let starts_run = |op: &Op| matches!(op, Op::Fp { result: FpResult::Flags, rule: FpRule::X86Sse, .. });
    if block.ops.iter().filter(|op| starts_run(op)).take(2).count() < 2 {
        return;
    }
    let n = block.temps as usize;
    let mut consts = vec![None; n];
    let mut def = vec![usize::MAX; n];
    for (i, op) in block.ops.iter().enumerate() {
        if let Op::Const { dst, value } = op {
            consts[dst.0 as usize] = Some(*value);
        }
        if let Some(d) = op.dst() {
            def[d.0 as usize] = i;
        }
    }
    let (last_use, _) = regalloc::last_uses(block);
    let mut kind = vec![Kind::Other; n];
    let mut marks: Vec<(usize, Temp, usize)> = Vec::new();
    let mut i = 0;
    while i < block.ops.len() {
        let root = x86_ctrl(&block.ops[i]).filter(|r| {
            matches!(block.ops.get(def[r.0 as usize]), Some(Op::LoadState { width: Width::W32, .. }))
        });
        let Some(root) = root else {
            i += 1;
            continue;
        };
        let Some(&Op::LoadState { offset: field, .. }) = block.ops.get(def[root.0 as usize]) else {
            unreachable!("checked above")
        };
        let mut scan = Scan {
            kind: &mut kind,
            consts: &consts,
            field,
            last: root,
            stored: None,
            flag_ops: 0,
            touched: Vec::new(),
        };
        scan.set(root, Kind::Chain);
        // The latest read of a temporary the run defines, the last chain value excepted.
        let mut internal_use = 0usize;
        let mut end = None;
        let mut j = i;
        while j < block.ops.len() {
            let before = scan.last;
            if scan.admit(&block.ops[j]).is_none() {
                break;
            }
            if let Some(d) = block.ops[j].dst() {
                if scan.k(d) != Kind::Other && d != scan.last {
                    internal_use = internal_use.max(last_use[d.0 as usize].unwrap_or(0));
                }
            }
            if scan.last != before && before != root {
                internal_use = internal_use.max(last_use[before.0 as usize].unwrap_or(0));
            }
            j += 1;
            let complete = internal_use < j
                && scan.last != root
                && scan.stored.is_none_or(|s| s == scan.last)
                && !splits_pair(&block.ops[j - 1], block.ops.get(j));
            if complete && scan.flag_ops >= 2 {
                end = Some(j);
            }
        }
        for t in std::mem::take(&mut scan.touched) {
            kind[t.0 as usize] = Kind::Other;
        }
        match end {
            Some(end) => {
                marks.push((i, root, end - i));
                i = end;
            }
            None => i += 1,
        }
    }
    if marks.is_empty() {
        return;
    }
    let mut ops = Vec::with_capacity(block.ops.len() + marks.len());
    let mut next = marks.iter().peekable();
    for (i, op) in std::mem::take(&mut block.ops).into_iter().enumerate() {
        if let Some(&&(at, mxcsr, len)) = next.peek() {
            if at == i {
                ops.push(Op::MxcsrRun { mxcsr, len: len as u32 });
                next.next();
            }
        }
        ops.push(op);
    }
    block.ops = ops;
}

/// The roles of the `len` ops after an [`Op::MxcsrRun`] at `at`, and the run's last merge
/// (the chain value a fast path must define at the end); `None` when they are not a run
/// (which [`mark`] never writes).
pub fn roles(block: &Block, at: usize) -> Option<(Vec<Role>, Temp)> {
    let Some(&Op::MxcsrRun { mxcsr, len }) = block.ops.get(at) else { return None };
    let ops = block.ops.get(at + 1..at + 1 + len as usize)?;
    let field = block.ops.iter().take(at).find_map(|op| match op {
        Op::LoadState { dst, offset, width: Width::W32 } if *dst == mxcsr => Some(*offset),
        _ => None,
    })?;
    let n = block.temps as usize;
    let mut consts = vec![None; n];
    for op in &block.ops[..at + 1 + len as usize] {
        if let Op::Const { dst, value } = op {
            consts[dst.0 as usize] = Some(*value);
        }
    }
    let mut kind = vec![Kind::Other; n];
    let mut scan = Scan {
        kind: &mut kind,
        consts: &consts,
        field,
        last: mxcsr,
        stored: None,
        flag_ops: 0,
        touched: Vec::new(),
    };
    scan.set(mxcsr, Kind::Chain);
    let roles = ops.iter().map(|op| scan.admit(op)).collect::<Option<Vec<Role>>>()?;
    (scan.last != mxcsr).then_some((roles, scan.last))
}

/// For tests: what the x86 frontend emits after an SSE instruction's floating-point ops
/// (`frontend::x86_64::sse_arith::raise_flags`): the merge of `flags` into the MXCSR value `m`,
/// its store to `field` and the #XM check. Returns the merge.
#[cfg(test)]
pub(crate) fn merge_and_check(b: &mut super::Builder, field: StateOffset, m: Temp, flags: Temp) -> Temp {
    let merged = b.bin(BinOp::Or, m, flags, Width::W32);
    b.store_state(field, merged, Width::W32);
    let masks = b.bin_imm(BinOp::Lshr, m, 7, Width::W32);
    let unmasked = b.bin(BinOp::And, flags, masks, Width::W32);
    let unmasked = b.bin(BinOp::Xor, unmasked, flags, Width::W32);
    b.exit_if(unmasked, Exit::Trap { kind: TrapKind::DivideError, pc: GuestAddr(0x1000), message: None });
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Builder;

    const FIELD: StateOffset = StateOffset(192);

    /// One SSE instruction as the x86 frontend emits it (see the module doc).
    fn insn(b: &mut Builder, m: Temp, x: Temp) -> Temp {
        let v = b.fp(FpOp::Mul, FpPrec::F64, FpRule::X86Sse, FpResult::Value, x, x, m);
        let f = b.fp(FpOp::Mul, FpPrec::F64, FpRule::X86Sse, FpResult::Flags, x, x, m);
        let merged = merge_and_check(b, FIELD, m, f);
        b.store_state(StateOffset(200), v, Width::W64);
        merged
    }

    fn marks(block: &Block) -> Vec<u32> {
        block
            .ops
            .iter()
            .filter_map(|op| if let Op::MxcsrRun { len, .. } = op { Some(*len) } else { None })
            .collect()
    }

    #[test]
    fn runs_cover_instructions_and_end_at_memory_and_calls() {
        let mut b = Builder::new();
        let x = b.load_state(StateOffset(208), Width::W64);
        let m = b.load_state(FIELD, Width::W32);
        let m = insn(&mut b, m, x);
        let m = insn(&mut b, m, x);
        let m = insn(&mut b, m, x);
        // A guest load ends the run; one instruction after it is no run.
        let addr = b.constant(0x5000);
        let y = b.load(addr, Width::W64);
        insn(&mut b, m, y);
        let mut block = b.finish(GuestAddr(0x1000), 4, 1, Exit::Jump(GuestAddr(0x1004)));
        crate::ir::opt::optimize(&mut block);
        assert_eq!(marks(&block).len(), 1, "{block}");
        let at = block.ops.iter().position(|op| matches!(op, Op::MxcsrRun { .. })).unwrap_or(0);
        let (roles, _) = roles(&block, at).unwrap_or_else(|| panic!("not a run:\n{block}"));
        assert_eq!(roles.iter().filter(|r| **r == Role::Value).count(), 3, "{block}");
        let run_end = at + 1 + roles.len();
        assert!(matches!(block.ops[run_end], Op::Const { .. } | Op::Load { .. }), "{block}");
        assert!(super::super::verify::verify(&block).is_ok());
    }

    #[test]
    fn a_new_mxcsr_or_a_later_reader_of_a_merge_ends_or_refuses_the_run() {
        let mut b = Builder::new();
        let x = b.load_state(StateOffset(208), Width::W64);
        let m0 = b.load_state(FIELD, Width::W32);
        let m1 = insn(&mut b, m0, x);
        insn(&mut b, m1, x);
        // The first merge read after the run: no backend could give it.
        b.store_state(StateOffset(216), m1, Width::W32);
        let mut block = b.finish(GuestAddr(0x1000), 4, 1, Exit::Jump(GuestAddr(0x1004)));
        crate::ir::opt::optimize(&mut block);
        assert!(marks(&block).is_empty(), "{block}");
    }
}
