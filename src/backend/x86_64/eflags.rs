//! Flags of an add or sub read from the host's own EFLAGS: the frontends compute a guest's
//! flags in the IR as comparisons and bit arithmetic on an add's or sub's operands and result
//! (A64: N `r <s 0`, Z `r == 0`, C `a >=u b` or `r <u a`, V the sign of `(a ^ b) & (a ^ r)`;
//! x86-64: SF `r >> (bits - 1)`, ZF, PF `popcnt8(r) & 1 ^ 1`, CF, OF as a shift of the same
//! and). Where such readers follow the add or sub with nothing between them that sets the
//! host flags, the backend emits the op as `add`/`sub` (never `lea`), whose SF, ZF, PF, CF
//! and OF hold those conditions exactly at the op's 32 or 64 bits, and each reader becomes
//! `setcc` + `movzx` (or the exit's `jcc`); the overflow's xors and and, and the parity's
//! popcount, are not emitted at all.
//!
//! [`plan`] picks them before register allocation. Unlike AArch64, nearly every x86 ALU
//! instruction writes the flags, so only ops whose code is `mov`s may lie between a
//! producer and its readers: constants, state loads and stores, `Ext`, the readers
//! themselves and the ops they make unnecessary. A reader after any other op is not taken.

use super::{Asm, Emitter};
use crate::ir::scratch::{filled, Lent};
use crate::ir::{BinOp, Block, CmpOp, Op, Temp, UnOp, Width};
use dynasmrt::{dynasm, DynasmApi};

/// How many ops after an add or sub [`plan`] looks at for readers of its flags (an x86-64
/// instruction's flag computations take about 30).
const READERS_REACH: usize = 48;

/// A condition on the host flags of `add r, b` or `sub r, b` (`r` holding `a`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cond {
    /// The comparison's own condition code, as after `cmp` (`Ult` is CF).
    Cmp(CmpOp),
    /// SF (`sets`), or its negation.
    Sign(bool),
    /// OF (`seto`).
    Overflow,
    /// PF (`setp`): an even number of ones in the result's low byte.
    Parity,
}

impl Cond {
    fn code(self) -> u32 {
        let n = CmpOp::ALL.len() as u32;
        match self {
            Cond::Cmp(c) => 1 + CmpOp::ALL.iter().position(|&x| x == c).unwrap_or(0) as u32,
            Cond::Sign(true) => n + 1,
            Cond::Sign(false) => n + 2,
            Cond::Overflow => n + 3,
            Cond::Parity => n + 4,
        }
    }

    fn from_code(code: u32) -> Option<Cond> {
        let n = CmpOp::ALL.len();
        match code as usize {
            0 => None,
            i if i <= n => Some(Cond::Cmp(CmpOp::ALL[i - 1])),
            i if i == n + 1 => Some(Cond::Sign(true)),
            i if i == n + 2 => Some(Cond::Sign(false)),
            i if i == n + 3 => Some(Cond::Overflow),
            _ => Some(Cond::Parity),
        }
    }
}

/// What [`plan`] decided, by temporary (no tables: nothing).
#[derive(Default)]
pub(super) struct Plan {
    /// The add or sub defining this temporary leaves its flags for readers (no `lea`).
    sets: Option<Lent<bool>>,
    /// This reader is a condition on the host flags: 0 for none, else [`Cond::code`].
    reads: Option<Lent<u32>>,
    /// Computed only for a flag read from the host's: not emitted, no location.
    skipped: Option<Lent<bool>>,
}

impl Plan {
    pub fn sets(&self, t: Temp) -> bool {
        self.sets.as_ref().is_some_and(|v| v[t.0 as usize])
    }

    pub fn reads(&self, t: Temp) -> Option<Cond> {
        self.reads.as_ref().and_then(|v| Cond::from_code(v[t.0 as usize]))
    }

    pub fn skipped(&self, t: Temp) -> bool {
        self.skipped.as_ref().is_some_and(|v| v[t.0 as usize])
    }
}

/// A reader found after a producer: its position, temporary, condition and the ops it makes
/// unnecessary when they have no other reader (`None` for none).
struct Reader {
    at: usize,
    dst: Temp,
    cond: Cond,
    chain: [Option<Temp>; 3],
}

/// Finds the adds and subs (32 or 64 bits, `a` not a bare constant) whose flag computations
/// can read the host flags. `uses` counts every reader, `imms` are the constants without a
/// location, `only` the fault-only temporaries.
pub(super) fn plan(block: &Block, uses: &[u32], imms: &[Option<u64>], only: &[bool]) -> Plan {
    let n = block.temps as usize;
    let producer =
        |op: &Op| matches!(op, Op::Bin { op: BinOp::Add | BinOp::Sub, width: Width::W32 | Width::W64, .. });
    if !block.ops.iter().any(producer) {
        return Plan::default();
    }
    let (mut sets, mut reads_of, mut skipped) = (filled(n, false), filled(n, 0u32), filled(n, false));
    let mut def_at = filled(n, None::<usize>);
    for (i, op) in block.ops.iter().enumerate() {
        if let Some(d) = op.dst() {
            def_at[d.0 as usize] = Some(i);
        }
    }
    let def = |t: Temp| def_at[t.0 as usize].map(|i| &block.ops[i]);
    let free = |t: Temp| !only[t.0 as usize];
    let imm = |t: Temp| imms[t.0 as usize];
    let alone = |t: Temp| uses[t.0 as usize] == 1 && free(t);
    // Reused for every producer (this runs on every block translated).
    let (mut readers, mut clobbers, mut skip) =
        (Vec::<Reader>::new(), Vec::<(usize, Temp)>::new(), Vec::new());
    for (i, op) in block.ops.iter().enumerate() {
        let Op::Bin { op: kind @ (BinOp::Add | BinOp::Sub), dst: r, a, b, width } = *op else { continue };
        if !matches!(width, Width::W32 | Width::W64) || !free(r) || imm(a).is_some() {
            continue;
        }
        let mask = width.mask();
        let top = u64::from(width.bits() - 1);
        let same =
            |x: Temp, y: Temp| x == y || imm(x).is_some_and(|v| imm(y).is_some_and(|w| v & mask == w & mask));
        let zero = |x: Temp| imm(x).is_some_and(|v| v & mask == 0);
        let condition = |c: CmpOp, x: Temp, y: Temp| -> Option<Cond> {
            let (c, x, y) = if zero(x) { (c.swapped(), y, x) } else { (c, x, y) };
            if x == r && zero(y) {
                return match c {
                    CmpOp::Eq | CmpOp::Ne => Some(Cond::Cmp(c)),
                    CmpOp::Slt => Some(Cond::Sign(true)),
                    CmpOp::Sge => Some(Cond::Sign(false)),
                    _ => None,
                };
            }
            match kind {
                // The carry out of `a + b` is `r <u a` (or `r <u b`): CF.
                BinOp::Add if x == r && (y == a || y == b) => {
                    matches!(c, CmpOp::Ult | CmpOp::Uge).then_some(Cond::Cmp(c))
                }
                BinOp::Add if y == r && (x == a || x == b) => match c {
                    CmpOp::Ugt => Some(Cond::Cmp(CmpOp::Ult)),
                    CmpOp::Ule => Some(Cond::Cmp(CmpOp::Uge)),
                    _ => None,
                },
                // Any comparison of `a` with `b` is the condition of `cmp a, b`.
                BinOp::Sub if same(x, a) && same(y, b) => Some(Cond::Cmp(c)),
                BinOp::Sub if same(x, b) && same(y, a) => Some(Cond::Cmp(c.swapped())),
                _ => None,
            }
        };
        let xor_of = |t: Temp, p: Temp, q: Temp| match def(t) {
            Some(&Op::Bin { op: BinOp::Xor, a: x, b: y, width: w, .. }) if w == width => {
                (x == p && y == q) || (x == q && y == p)
            }
            _ => false,
        };
        // `(a ^ r) & (b ^ r)` for an add, `(a ^ b) & (a ^ r)` for a sub (either order): the
        // and and its xors, if `m` is that and.
        let overflow_and = |m: Temp| -> Option<[Temp; 3]> {
            let &Op::Bin { op: BinOp::And, a: m1, b: m2, width: w, .. } = def(m)? else {
                return None;
            };
            let (p, q) = match kind {
                BinOp::Add => ((a, r), (b, r)),
                _ => ((a, b), (a, r)),
            };
            let pair = |x: Temp, y: Temp| xor_of(x, p.0, p.1) && xor_of(y, q.0, q.1);
            (w == width && (pair(m1, m2) || pair(m2, m1))).then_some([m, m1, m2])
        };
        // `x >> (bits - 1)` at the op's width or wider: the sign bit of `x`.
        let sign_of = |t: Temp| -> Option<Temp> {
            match *def(t)? {
                Op::Bin { op: BinOp::Lshr, a: x, b: k, width: wl, .. }
                    if matches!(wl, Width::W32 | Width::W64)
                        && wl.bits() >= width.bits()
                        && imm(k) == Some(top) =>
                {
                    Some(x)
                }
                _ => None,
            }
        };
        // `(popcnt.w8 r & 1) ^ 1` (all at 8 bits): the xor's and and popcount.
        let parity = |t: Temp| -> Option<[Temp; 2]> {
            let one = |x: Temp| imm(x) == Some(1);
            let &Op::Bin { op: BinOp::Xor, a: p, b: k, width: Width::W8, .. } = def(t)? else { return None };
            let &Op::Bin { op: BinOp::And, a: c, b: k1, width: Width::W8, .. } = def(p)? else { return None };
            let &Op::Un { op: UnOp::Popcnt, a: x, width: Width::W8, .. } = def(c)? else { return None };
            (one(k) && one(k1) && x == r).then_some([p, c])
        };
        readers.clear();
        // Ops that set the host flags unless a reader makes them unnecessary.
        clobbers.clear();
        let mut end = block.ops.len();
        for (j, later) in block.ops.iter().enumerate().skip(i + 1).take(READERS_REACH) {
            if later.dst().is_some_and(|d| only[d.0 as usize]) {
                continue;
            }
            let reader = |cond, chain| Some(Reader { at: j, dst: later.dst().unwrap_or(r), cond, chain });
            let found = match *later {
                Op::Cmp { op: c, a: x, b: y, width: w, .. } if w == width => {
                    match (condition(c, x, y), c, zero(y)) {
                        (Some(cond), ..) => reader(cond, [None; 3]),
                        (None, CmpOp::Slt, true) => match overflow_and(x) {
                            Some([m, m1, m2]) => reader(Cond::Overflow, [Some(m), Some(m1), Some(m2)]),
                            None => None,
                        },
                        _ => None,
                    }
                }
                Op::Bin { op: BinOp::Lshr, dst, .. } if free(dst) => match sign_of(dst) {
                    Some(x) if x == r => reader(Cond::Sign(true), [None; 3]),
                    Some(m) => overflow_and(m)
                        .and_then(|[m, m1, m2]| reader(Cond::Overflow, [Some(m), Some(m1), Some(m2)])),
                    None => None,
                },
                Op::Bin { op: BinOp::Xor, dst, width: Width::W8, .. } if free(dst) => {
                    parity(dst).and_then(|[p, c]| reader(Cond::Parity, [Some(p), Some(c), None]))
                }
                _ => None,
            };
            if let Some(found) = found {
                readers.push(found);
                continue;
            }
            match *later {
                Op::GuestInsn { .. } | Op::Const { .. } | Op::LoadState { .. } | Op::StoreState { .. } => {}
                Op::Ext { .. } => {}
                Op::Bin { op: BinOp::Add | BinOp::Sub, .. } | Op::Cmp { .. } => {
                    end = j;
                    break;
                }
                // Possibly part of an overflow or parity computation a later reader skips.
                Op::Bin { op: BinOp::Xor | BinOp::And, dst, .. } | Op::Un { op: UnOp::Popcnt, dst, .. } => {
                    clobbers.push((j, dst))
                }
                _ => {
                    end = j;
                    break;
                }
            }
        }
        // Keep the readers before the first op that still sets the flags, given what the
        // kept readers skip; fewer readers skip less, so repeat until nothing changes.
        let chain_skips = |readers: &[Reader], skip: &mut Vec<Temp>| {
            skip.clear();
            for rd in readers {
                // The first of the chain is read only by the reader; the others only by it.
                if let Some(first) = rd.chain[0].filter(|&t| alone(t)) {
                    skip.push(first);
                    let distinct = rd.chain[1].is_none() || rd.chain[1] != rd.chain[2];
                    skip.extend(rd.chain[1..].iter().flatten().filter(|&&t| alone(t) && distinct));
                }
            }
        };
        loop {
            chain_skips(&readers, &mut skip);
            let first_clobber =
                clobbers.iter().filter(|(_, t)| !skip.contains(t)).map(|&(j, _)| j).min().unwrap_or(end);
            let before = readers.len();
            readers.retain(|rd| rd.at < first_clobber);
            if readers.len() == before {
                break;
            }
        }
        // Host instructions saved: a comparison's `cmp`/`test`, the chain's ops (about two
        // each); `mov` + `add` may cost one more than a `lea`.
        let saved: usize =
            readers.iter().map(|rd| usize::from(matches!(rd.cond, Cond::Cmp(_)))).sum::<usize>()
                + 2 * skip.len();
        let cost = usize::from(kind == BinOp::Add);
        if saved > cost {
            sets[r.0 as usize] = true;
            for rd in &readers {
                reads_of[rd.dst.0 as usize] = rd.cond.code();
            }
            for t in &skip {
                skipped[t.0 as usize] = true;
            }
        }
    }
    Plan { sets: Some(sets), reads: Some(reads_of), skipped: Some(skipped) }
}

/// `setcc reg8` for the comparison `op` on the flags of `cmp`.
pub(super) fn setcc(asm: &mut Asm, op: CmpOp, d: u8) {
    match op {
        CmpOp::Eq => dynasm!(asm ; .arch x64 ; sete Rb(d)),
        CmpOp::Ne => dynasm!(asm ; .arch x64 ; setne Rb(d)),
        CmpOp::Ult => dynasm!(asm ; .arch x64 ; setb Rb(d)),
        CmpOp::Ule => dynasm!(asm ; .arch x64 ; setbe Rb(d)),
        CmpOp::Ugt => dynasm!(asm ; .arch x64 ; seta Rb(d)),
        CmpOp::Uge => dynasm!(asm ; .arch x64 ; setae Rb(d)),
        CmpOp::Slt => dynasm!(asm ; .arch x64 ; setl Rb(d)),
        CmpOp::Sle => dynasm!(asm ; .arch x64 ; setle Rb(d)),
        CmpOp::Sgt => dynasm!(asm ; .arch x64 ; setg Rb(d)),
        CmpOp::Sge => dynasm!(asm ; .arch x64 ; setge Rb(d)),
    }
}

/// `dst = cond ? 1 : 0` from the flags of the add or sub before it (only `setcc`, `movzx`
/// and `mov`: the flags survive for the next reader), or the condition left for the exit
/// right after.
pub(super) fn read(e: &mut Emitter, dst: Temp, cond: Cond) {
    if let (Cond::Cmp(c), true) = (cond, e.fuse_next_cmp) {
        e.fused_cmp = Some((dst, c));
        return;
    }
    let d = e.dst_reg(dst, super::abi::RAX);
    let asm = &mut e.asm;
    match cond {
        Cond::Cmp(c) => setcc(asm, c, d),
        Cond::Sign(true) => dynasm!(asm ; .arch x64 ; sets Rb(d)),
        Cond::Sign(false) => dynasm!(asm ; .arch x64 ; setns Rb(d)),
        Cond::Overflow => dynasm!(asm ; .arch x64 ; seto Rb(d)),
        Cond::Parity => dynasm!(asm ; .arch x64 ; setp Rb(d)),
    }
    dynasm!(asm ; .arch x64 ; movzx Rd(d), Rb(d));
    e.store(dst, d);
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use crate::backend::conformance::blocks_match_the_interpreter;
    use crate::backend::conformance_flags::flags_block;

    /// The flags read from the host's equal the interpreter's computation of them.
    #[test]
    fn flags_of_adds_and_subs_match_the_interpreter() {
        blocks_match_the_interpreter::<super::super::X86_64Backend>(flags_block, 12, 4000, true);
        blocks_match_the_interpreter::<super::super::X86_64Backend>(flags_block, 13, 1000, false);
    }
}
