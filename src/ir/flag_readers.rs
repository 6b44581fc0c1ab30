//! Which flag computations of an add or sub a backend may read from the host's own flags.
//!
//! The frontends compute a guest's flags as ordinary ops on an add's or sub's operands and
//! result: x86-64 ZF `r == 0`, CF `r <u a`, SF `r >> (bits - 1)`, PF `popcnt8(r) & 1 ^ 1`,
//! OF the top bit of `(a ^ r) & (b ^ r)` (add) or `(a ^ b) & (a ^ r)` (sub); A64 N `r <s 0`,
//! Z, C `a >=u b` or `r <u a`, V `that and <s 0`. Both hosts' add and sub set flags that hold
//! these conditions exactly at 32 and 64 bits (AArch64 `adds`/`subs` NZCV, x86-64 `add`/`sub`
//! EFLAGS), so a backend can emit the producer as the flag-setting instruction and each reader
//! as one `cset`/`setcc` (or the exit's branch), and leave out the overflow's xors and and and
//! the parity's popcount.
//!
//! [`plan`] finds, for each add or sub, its readers, a host-neutral [`Cond`] for each, and the
//! ops they make unnecessary; the backend's [`Host`] says which conditions it can read, what
//! the ops between a producer and its readers do to its flags, and whether reading them is
//! worth it. `backend::aarch64::nzcv` and `backend::x86_64::eflags` map the conditions to
//! their instructions.

use super::scratch::{filled, Lent};
use super::{BinOp, Block, CmpOp, Op, Temp, UnOp, Width};
use std::cell::OnceCell;

/// How many ops after an add or sub [`plan`] looks at for readers of its flags (bounds its
/// cost; an x86-64 instruction's flag computations take about 30).
pub const READERS_REACH: usize = 48;

/// A condition on the flags of the add or sub `r = a + b` or `r = a - b`, as both hosts' own
/// flag-setting add and sub leave them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cond {
    /// As after comparing `a` with `b` (a sub), or `r` with zero (`Eq`, `Ne`).
    Cmp(CmpOp),
    /// The carry out of an add (`true`), or its absence.
    Carry(bool),
    /// The sign of the result (`true`: negative), or its negation.
    Sign(bool),
    /// Signed overflow.
    Overflow,
    /// An even number of ones in the result's low byte (x86 PF).
    Parity,
}

impl Cond {
    /// The comparison whose condition code this is, on a host whose condition for an add's
    /// carry out is `carry` (x86-64 CF: `Ult`; AArch64 C set: `Uge`); `None` for the sign,
    /// overflow and parity.
    pub fn as_cmp(self, carry: CmpOp) -> Option<CmpOp> {
        match self {
            Cond::Cmp(c) => Some(c),
            Cond::Carry(true) => Some(carry),
            Cond::Carry(false) => Some(carry.inverse()),
            Cond::Sign(_) | Cond::Overflow | Cond::Parity => None,
        }
    }

    fn code(self) -> u8 {
        let n = CmpOp::ALL.len() as u8;
        match self {
            Cond::Cmp(c) => 1 + CmpOp::ALL.iter().position(|&x| x == c).unwrap_or(0) as u8,
            Cond::Carry(true) => n + 1,
            Cond::Carry(false) => n + 2,
            Cond::Sign(true) => n + 3,
            Cond::Sign(false) => n + 4,
            Cond::Overflow => n + 5,
            Cond::Parity => n + 6,
        }
    }

    fn from_code(code: u8) -> Option<Cond> {
        let n = CmpOp::ALL.len() as u8;
        Some(match code {
            0 => return None,
            i if i <= n => Cond::Cmp(CmpOp::ALL[usize::from(i) - 1]),
            i if i == n + 1 => Cond::Carry(true),
            i if i == n + 2 => Cond::Carry(false),
            i if i == n + 3 => Cond::Sign(true),
            i if i == n + 4 => Cond::Sign(false),
            i if i == n + 5 => Cond::Overflow,
            _ => Cond::Parity,
        })
    }
}

/// A temporary's entry in [`Plan`]'s table: the low bits a [`Cond::code`].
const CODE: u8 = 0x1f;
const SETS: u8 = 0x20;
const SKIPPED: u8 = 0x40;

/// What [`plan`] decided, by temporary; no table when it took nothing.
#[derive(Default)]
pub struct Plan(Option<Lent<u8>>);

impl Plan {
    fn get(&self, t: Temp) -> u8 {
        self.0.as_ref().map_or(0, |v| v[t.0 as usize])
    }

    /// The add or sub defining `t` leaves its flags for readers.
    pub fn sets(&self, t: Temp) -> bool {
        self.get(t) & SETS != 0
    }

    /// The condition on the host flags that `t` reads, if it reads one.
    pub fn reads(&self, t: Temp) -> Option<Cond> {
        Cond::from_code(self.get(t) & CODE)
    }

    /// `t` is computed only for a flag read from the host's: not emitted, no location.
    pub fn skipped(&self, t: Temp) -> bool {
        self.get(t) & SKIPPED != 0
    }
}

/// A reader found after a producer: its position, temporary, condition and the ops it makes
/// unnecessary when they have no other reader.
pub struct Reader {
    pub at: usize,
    pub dst: Temp,
    pub cond: Cond,
    chain: [Option<Temp>; 3],
}

/// What an op between a producer and its readers does to the host's flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Between {
    /// Leaves them alone.
    Keep,
    /// Sets them, unless a kept reader makes the op unnecessary.
    Clobber,
    /// Sets them, or the scan stops here.
    End,
}

/// One backend's rules for [`plan`].
pub trait Host {
    /// `t` may get no location and its op be left out or emitted differently (not a
    /// fault-only temporary, not emitted inside another op).
    fn free(&self, t: Temp) -> bool;
    /// The add or sub with these operands may be emitted as the flag-setting instruction.
    fn producer(&self, a: Temp, b: Temp) -> bool;
    /// The host reads `cond` for the reader `op`.
    fn reads(&self, cond: Cond, op: &Op) -> bool;
    /// An op between a producer and its readers that is not a reader.
    fn between(&self, op: &Op) -> Between;
    /// Reading these flags from the host's is worth it for the producer `kind`, given the
    /// readers and how many ops they make unnecessary.
    fn worth(&self, kind: BinOp, readers: &[Reader], skipped: usize) -> bool;
}

/// Finds the adds and subs (32 or 64 bits, `a` not a bare constant) whose flag computations
/// the host can read from its flags. `uses` counts every reader, `imms` are the constants
/// without a location, `only` the fault-only temporaries (never readers).
pub fn plan(block: &Block, uses: &[u32], imms: &[Option<u64>], only: &[bool], host: &impl Host) -> Plan {
    let producer =
        |op: &Op| matches!(op, Op::Bin { op: BinOp::Add | BinOp::Sub, width: Width::W32 | Width::W64, .. });
    if !block.ops.iter().any(producer) {
        return Plan::default();
    }
    let n = block.temps as usize;
    // Both tables are built only when needed: `def_at` for the first shift, xor or signed
    // comparison that may read a producer's flags, the plan for the first producer taken.
    let def_at = OnceCell::new();
    let def = |t: Temp| {
        let at = def_at.get_or_init(|| {
            let mut at = filled(n, None::<usize>);
            for (i, op) in block.ops.iter().enumerate() {
                if let Some(d) = op.dst() {
                    at[d.0 as usize] = Some(i);
                }
            }
            at
        });
        at[t.0 as usize].map(|i| &block.ops[i])
    };
    let mut table: Option<Lent<u8>> = None;
    let imm = |t: Temp| imms[t.0 as usize];
    let free = |t: Temp| host.free(t);
    let alone = |t: Temp| uses[t.0 as usize] == 1 && free(t);
    // Reused for every producer (this runs on every block translated).
    let (mut readers, mut clobbers, mut skip) =
        (Vec::<Reader>::new(), Vec::<(usize, Temp)>::new(), Vec::new());
    for (i, op) in block.ops.iter().enumerate() {
        let Op::Bin { op: kind @ (BinOp::Add | BinOp::Sub), dst: r, a, b, width } = *op else { continue };
        if !matches!(width, Width::W32 | Width::W64) || !free(r) || imm(a).is_some() || !host.producer(a, b) {
            continue;
        }
        let mask = width.mask();
        let top = u64::from(width.bits() - 1);
        let same =
            |x: Temp, y: Temp| x == y || imm(x).is_some_and(|v| imm(y).is_some_and(|w| v & mask == w & mask));
        let zero = |x: Temp| imm(x).is_some_and(|v| v & mask == 0);
        // Which condition the comparison `x c y` of the result or the operands is.
        let condition = |c: CmpOp, x: Temp, y: Temp| -> Option<Cond> {
            let (c, x, y) = if zero(x) { (c.swapped(), y, x) } else { (c, x, y) };
            if x == r && zero(y) {
                match c {
                    CmpOp::Eq | CmpOp::Ne => return Some(Cond::Cmp(c)),
                    CmpOp::Slt => return Some(Cond::Sign(true)),
                    CmpOp::Sge => return Some(Cond::Sign(false)),
                    _ => {}
                }
            }
            match kind {
                // The carry out of `a + b` is `r <u a` (or `r <u b`).
                BinOp::Add if x == r && (y == a || y == b) => match c {
                    CmpOp::Ult => Some(Cond::Carry(true)),
                    CmpOp::Uge => Some(Cond::Carry(false)),
                    _ => None,
                },
                BinOp::Add if y == r && (x == a || x == b) => match c {
                    CmpOp::Ugt => Some(Cond::Carry(true)),
                    CmpOp::Ule => Some(Cond::Carry(false)),
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
        for (j, later) in block.ops.iter().enumerate().skip(i + 1).take(READERS_REACH) {
            if later.dst().is_some_and(|d| only[d.0 as usize]) {
                continue;
            }
            let reader = |cond, chain| {
                host.reads(cond, later).then(|| Reader { at: j, dst: later.dst().unwrap_or(r), cond, chain })
            };
            let found = match *later {
                Op::Cmp { op: c, a: x, b: y, width: w, .. } if w == width => {
                    match (condition(c, x, y), c, zero(y)) {
                        (Some(cond), ..) => reader(cond, [None; 3]),
                        (None, CmpOp::Slt, true) => overflow_and(x)
                            .and_then(|[m, m1, m2]| reader(Cond::Overflow, [Some(m), Some(m1), Some(m2)])),
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
            match (host.between(later), later.dst()) {
                (Between::Keep, _) => {}
                (Between::Clobber, Some(dst)) => clobbers.push((j, dst)),
                _ => break,
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
            let Some(first_clobber) =
                clobbers.iter().filter(|(_, t)| !skip.contains(t)).map(|&(j, _)| j).min()
            else {
                break;
            };
            let before = readers.len();
            readers.retain(|rd| rd.at < first_clobber);
            if readers.len() == before {
                break;
            }
        }
        if !readers.is_empty() && host.worth(kind, &readers, skip.len()) {
            let table = table.get_or_insert_with(|| filled(n, 0u8));
            table[r.0 as usize] |= SETS;
            for rd in &readers {
                let entry = &mut table[rd.dst.0 as usize];
                *entry = (*entry & !CODE) | rd.cond.code();
            }
            for t in &skip {
                table[t.0 as usize] |= SKIPPED;
            }
        }
    }
    Plan(table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Builder, Exit, GuestAddr, StateOffset};

    /// Reads every condition, lets state accesses and constants lie between, takes every
    /// producer with a reader.
    struct AnyHost;

    impl Host for AnyHost {
        fn free(&self, _: Temp) -> bool {
            true
        }
        fn producer(&self, _: Temp, _: Temp) -> bool {
            true
        }
        fn reads(&self, cond: Cond, _: &Op) -> bool {
            cond != Cond::Parity
        }
        fn between(&self, op: &Op) -> Between {
            match op {
                Op::Const { .. } | Op::LoadState { .. } | Op::StoreState { .. } => Between::Keep,
                Op::Bin { op: BinOp::Xor | BinOp::And, .. } => Between::Clobber,
                _ => Between::End,
            }
        }
        fn worth(&self, _: BinOp, readers: &[Reader], _: usize) -> bool {
            !readers.is_empty()
        }
    }

    fn plan_of(block: &Block) -> Plan {
        let n = block.temps as usize;
        let (mut uses, mut imms) = (vec![0u32; n], vec![None; n]);
        for op in &block.ops {
            op.for_each_src(|t| uses[t.0 as usize] += 1);
            if let Op::Const { dst, value } = *op {
                imms[dst.0 as usize] = Some(value);
            }
        }
        plan(block, &uses, &imms, &vec![false; n], &AnyHost)
    }

    /// A sub's Z, borrow, N and V (as the A64 frontend computes them) become conditions of
    /// the sub, the overflow's xors and and are skipped; an add's carry is `Carry`.
    #[test]
    fn readers_of_a_sub_and_an_add() {
        let mut b = Builder::new();
        let (a, y) = (b.load_state(StateOffset(64), Width::W64), b.load_state(StateOffset(72), Width::W64));
        let r = b.bin(BinOp::Sub, a, y, Width::W32);
        let z = b.cmp_imm(CmpOp::Eq, r, 0, Width::W32);
        let lo = b.cmp(CmpOp::Ugt, y, a, Width::W32);
        let n = b.cmp_imm(CmpOp::Slt, r, 0, Width::W32);
        let x1 = b.bin(BinOp::Xor, a, y, Width::W32);
        let x2 = b.bin(BinOp::Xor, a, r, Width::W32);
        let m = b.bin(BinOp::And, x1, x2, Width::W32);
        let v = b.cmp_imm(CmpOp::Slt, m, 0, Width::W32);
        let s = b.bin(BinOp::Add, a, y, Width::W64);
        let c = b.cmp(CmpOp::Ult, s, y, Width::W64);
        let nc = b.cmp(CmpOp::Ule, a, s, Width::W64);
        for (i, t) in [z, lo, n, v, c, nc].into_iter().enumerate() {
            b.store_state(StateOffset(80 + i as u32), t, Width::W8);
        }
        let block = b.finish(GuestAddr(0x1000), 4, 1, Exit::Jump(GuestAddr(0x1004)));
        let p = plan_of(&block);
        assert!(p.sets(r) && p.sets(s));
        let reads: Vec<_> = [z, lo, n, v, c, nc].into_iter().map(|t| p.reads(t)).collect();
        let expected = [
            Cond::Cmp(CmpOp::Eq),
            Cond::Cmp(CmpOp::Ult),
            Cond::Sign(true),
            Cond::Overflow,
            Cond::Carry(true),
            Cond::Carry(false),
        ];
        assert_eq!(reads, expected.map(Some));
        assert!([x1, x2, m].iter().all(|&t| p.skipped(t)));
        assert!(![r, s, a, y, z].iter().any(|&t| p.skipped(t)));
    }

    /// A condition the host does not read is an ordinary op: here a comparison, which ends
    /// the scan; an xor read by something else still sets the flags (x86-64's rule), so the
    /// readers after it are not taken; a block without readers gets no table.
    #[test]
    fn unread_conditions_and_clobbers_end_the_readers() {
        let mut b = Builder::new();
        let (a, y) = (b.load_state(StateOffset(64), Width::W64), b.load_state(StateOffset(72), Width::W64));
        let r = b.bin(BinOp::Add, a, y, Width::W64);
        let z = b.cmp_imm(CmpOp::Eq, r, 0, Width::W64);
        let other = b.bin(BinOp::Xor, a, y, Width::W64);
        let nz = b.cmp_imm(CmpOp::Ne, r, 0, Width::W64);
        b.store_state(StateOffset(80), z, Width::W8);
        b.store_state(StateOffset(88), other, Width::W64);
        b.store_state(StateOffset(81), nz, Width::W8);
        let block = b.finish(GuestAddr(0x1000), 4, 1, Exit::Jump(GuestAddr(0x1004)));
        let p = plan_of(&block);
        assert_eq!((p.reads(z), p.reads(nz)), (Some(Cond::Cmp(CmpOp::Eq)), None));

        let mut b = Builder::new();
        let (a, y) = (b.load_state(StateOffset(64), Width::W64), b.load_state(StateOffset(72), Width::W64));
        let r = b.bin(BinOp::Sub, a, y, Width::W64);
        let one = b.constant(1);
        let pc = b.un(UnOp::Popcnt, r, Width::W8);
        let p1 = b.bin(BinOp::And, pc, one, Width::W8);
        let pf = b.bin(BinOp::Xor, p1, one, Width::W8);
        b.store_state(StateOffset(80), pf, Width::W8);
        let block = b.finish(GuestAddr(0x1000), 4, 1, Exit::Jump(GuestAddr(0x1004)));
        let p = plan_of(&block);
        assert!(p.0.is_none() && p.reads(pf).is_none() && !p.sets(r));
    }
}
