//! Flags of an add or sub read from the host's own: an x86-64 `add`/`sub`/`cmp` computes its
//! ZF, CF and OF in the IR as separate comparisons and bit arithmetic on its operands and
//! result (`r == 0`, `r <u a`, `((a ^ r) & (b ^ r)) >> (bits - 1)`, ...). Where such readers
//! follow the add or sub with nothing in between that sets the host flags, the backend emits
//! the op as `adds` or `subs`, whose NZCV hold those conditions exactly (Z of the result, C
//! the carry out or the absence of a borrow, V the signed overflow, at the op's 32 or 64
//! bits), and each reader becomes one `cset` (or the exit's `b.cond`): the overflow's two
//! eors and its and are then not emitted at all.
//!
//! [`plan`] picks them before register allocation. Emission relies on the ops it lets lie
//! between a producer and its readers leaving NZCV alone: constants, state loads and stores,
//! `Bin` other than add and sub (another producer would overwrite the flags), `Un` and `Ext`
//! (none of their AArch64 sequences sets flags), and the readers themselves.

use super::abi::*;
use super::fold::shifted_register;
use super::{imm, Emitter, Fused};
use crate::ir::scratch::{filled, Lent};
use crate::ir::{BinOp, Block, CmpOp, Op, Temp, Width};
use dynasmrt::{dynasm, DynasmApi};

/// How many ops after an add or sub [`plan`] looks at for readers of its flags (bounds its
/// cost; an x86-64 instruction's flag computations take about 30).
const READERS_REACH: usize = 48;

/// What [`plan`] decided, by temporary (no tables: nothing).
#[derive(Default)]
pub(super) struct Plan {
    /// The add or sub defining this temporary sets NZCV (`adds`/`subs`).
    sets: Option<Lent<bool>>,
    /// This comparison (or overflow bit) is a host condition on NZCV, read with `cset`:
    /// 0 for none, else [`Cond::code`].
    reads: Option<Lent<u32>>,
    /// Computed only for an overflow bit read from NZCV: not emitted, no location.
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

/// A condition on the flags of `adds r, a, b` or `subs r, a, b`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cond {
    /// The comparison's own condition code (`Uge` is "carry set", `Ult` "carry clear").
    Cmp(CmpOp),
    /// Signed overflow (`vs`).
    Overflow,
}

impl Cond {
    fn code(self) -> u32 {
        match self {
            Cond::Cmp(c) => 1 + CmpOp::ALL.iter().position(|&x| x == c).unwrap_or(0) as u32,
            Cond::Overflow => 1 + CmpOp::ALL.len() as u32,
        }
    }

    fn from_code(code: u32) -> Option<Cond> {
        match code as usize {
            0 => None,
            i if i <= CmpOp::ALL.len() => Some(Cond::Cmp(CmpOp::ALL[i - 1])),
            _ => Some(Cond::Overflow),
        }
    }
}

/// Finds the adds and subs (32 or 64 bits, operands in registers or an immediate second
/// operand) whose flag computations can read NZCV. `uses` counts every reader, `imms` are the
/// constants without a location, `only` the fault-only temporaries, `folded` the ops emitted
/// inside their reader (`fold::plan`).
pub(super) fn plan(
    block: &Block,
    uses: &[u32],
    imms: &[Option<u64>],
    only: &[bool],
    folded: &[Option<super::fold::Folded>],
) -> Plan {
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
    let free = |t: Temp| folded[t.0 as usize].is_none() && !only[t.0 as usize];
    for (i, op) in block.ops.iter().enumerate() {
        let Op::Bin { op: kind @ (BinOp::Add | BinOp::Sub), dst: r, a, b, width } = *op else { continue };
        if !matches!(width, Width::W32 | Width::W64)
            || !free(r)
            || !free(a)
            || !free(b)
            || imms[a.0 as usize].is_some()
        {
            continue;
        }
        let mask = width.mask();
        let same = |x: Temp, y: Temp| {
            x == y
                || imms[x.0 as usize]
                    .is_some_and(|v| imms[y.0 as usize].is_some_and(|w| v & mask == w & mask))
        };
        let zero = |x: Temp| imms[x.0 as usize].is_some_and(|v| v & mask == 0);
        // Which condition a comparison of the result or the operands is.
        let condition = |c: CmpOp, x: Temp, y: Temp| -> Option<CmpOp> {
            if matches!(c, CmpOp::Eq | CmpOp::Ne) && ((x == r && zero(y)) || (y == r && zero(x))) {
                return Some(c);
            }
            match kind {
                // Carry out of `a + b` is `r <u a` (or `r <u b`).
                BinOp::Add if x == r && (y == a || y == b) => match c {
                    CmpOp::Ult => Some(CmpOp::Uge),
                    CmpOp::Uge => Some(CmpOp::Ult),
                    _ => None,
                },
                BinOp::Add if y == r && (x == a || x == b) => match c {
                    CmpOp::Ugt => Some(CmpOp::Uge),
                    CmpOp::Ule => Some(CmpOp::Ult),
                    _ => None,
                },
                // Any comparison of `a` with `b` is the condition of `cmp a, b`.
                BinOp::Sub if same(x, a) && same(y, b) => Some(c),
                BinOp::Sub if same(x, b) && same(y, a) => Some(c.swapped()),
                _ => None,
            }
        };
        let xor_of = |t: Temp, p: Temp, q: Temp| match def(t) {
            Some(&Op::Bin { op: BinOp::Xor, a: x, b: y, width: w, .. }) if w == width => {
                (x == p && y == q) || (x == q && y == p)
            }
            _ => false,
        };
        // `((a ^ r) & (b ^ r)) >> (bits - 1)` for an add, `((a ^ b) & (a ^ r)) >> (bits - 1)`
        // for a sub: the chain's temporaries, if `t` is that overflow bit.
        let overflow = |t: Temp| -> Option<[Temp; 3]> {
            let &Op::Bin { op: BinOp::Lshr, a: m, b: k, width: wl, .. } = def(t)? else {
                return None;
            };
            let amount = u64::from(width.bits() - 1);
            if !matches!(wl, Width::W32 | Width::W64)
                || wl.bits() < width.bits()
                || imms[k.0 as usize] != Some(amount)
            {
                return None;
            }
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
        // Host instructions saved: a comparison's own `cmp` (none when it is a test against
        // zero that the exit right after makes a `cbz`), the overflow's eors and and.
        let mut saved = 0;
        let mut reads = Vec::new();
        for (j, later) in block.ops.iter().enumerate().skip(i + 1).take(READERS_REACH) {
            if later.dst().is_some_and(|d| only[d.0 as usize]) {
                continue;
            }
            match *later {
                Op::Cmp { op: c, dst, a: x, b: y, width: w } if w == width => match condition(c, x, y) {
                    Some(c) => {
                        let zero_test = zero(x) || zero(y);
                        saved +=
                            u32::from(!(zero_test && super::super::feeds_only_next_exit(block, j, uses)));
                        reads.push((dst, Cond::Cmp(c)));
                    }
                    None => break,
                },
                Op::Bin { op: BinOp::Lshr, dst, .. } if free(dst) && overflow(dst).is_some() => {
                    // The and, then each eor, is skipped if the chain is its only reader.
                    let [m, m1, m2] = overflow(dst).unwrap_or([dst; 3]);
                    let alone = |t: Temp| uses[t.0 as usize] == 1 && free(t);
                    if alone(m) {
                        for t in [m, m1, m2] {
                            if t == m || (alone(t) && m1 != m2) {
                                skipped[t.0 as usize] = true;
                                saved += 1;
                            }
                        }
                    }
                    reads.push((dst, Cond::Overflow));
                }
                Op::Bin { op: BinOp::Add | BinOp::Sub, .. } => break,
                Op::GuestInsn { .. }
                | Op::Const { .. }
                | Op::LoadState { .. }
                | Op::StoreState { .. }
                | Op::Bin { .. }
                | Op::Un { .. }
                | Op::Ext { .. } => {}
                _ => break,
            }
        }
        if saved > 0 {
            sets[r.0 as usize] = true;
            reads.into_iter().for_each(|(t, c)| reads_of[t.0 as usize] = c.code());
        }
    }
    Plan { sets: Some(sets), reads: Some(reads_of), skipped: Some(skipped) }
}

impl Emitter {
    /// `dst = a + b` as `adds`, or `a - b` as `subs`, at the op's width (the immediate form
    /// for a constant `b` that fits), leaving NZCV for the readers [`plan`] found.
    pub(super) fn bin_setting_nzcv(&mut self, op: BinOp, dst: Temp, a: Temp, b: Temp, width: Width) {
        let w64 = width == Width::W64;
        let d = self.dst(dst, S0);
        let x = self.src(a, S1);
        let sub = u32::from(op == BinOp::Sub);
        if let Some((imm12, shifted)) = self.imm(b).and_then(|v| imm::arith(v & width.mask())) {
            // ADDS/SUBS (immediate).
            self.a.push_u32(
                0x3100_0000
                    | u32::from(w64) << 31
                    | sub << 30
                    | u32::from(shifted) << 22
                    | imm12 << 10
                    | u32::from(x) << 5
                    | u32::from(d),
            );
        } else {
            let y = self.src(b, S2);
            // ADD/SUB (shifted register) with the S bit: ADDS/SUBS.
            self.a.push_u32(shifted_register(op, w64, d, x, y, BinOp::Shl, 0) | 1 << 29);
        }
        self.finish(dst, d);
    }

    /// `dst = cond ? 1 : 0` from the flags [`Self::bin_setting_nzcv`] set, or the condition
    /// left for the exit right after.
    pub(super) fn read_nzcv(&mut self, dst: Temp, cond: Cond) {
        match cond {
            Cond::Cmp(c) if self.fuse_next => self.fused = Some((dst, Fused::Flags(c))),
            Cond::Cmp(c) => {
                let d = self.dst(dst, S0);
                self.cset(d, c);
                self.finish(dst, d);
            }
            Cond::Overflow => {
                let d = self.dst(dst, S0);
                dynasm!(self.a ; .arch aarch64 ; cset X(d), vs);
                self.finish(dst, d);
            }
        }
    }
}

// Runs translated code: only on an AArch64 host (under qemu-aarch64-static here).
#[cfg(all(test, target_arch = "aarch64"))]
mod tests {
    use crate::backend::conformance::blocks_match_the_interpreter;
    use crate::backend::conformance_flags::flags_block;

    /// The flags read from NZCV equal the interpreter's computation of them, with the
    /// operands in state registers and in memory.
    #[test]
    fn flags_of_adds_and_subs_match_the_interpreter() {
        blocks_match_the_interpreter::<super::super::Aarch64Backend>(flags_block, 17, 3000, true);
        blocks_match_the_interpreter::<super::super::Aarch64Backend>(flags_block, 18, 1000, false);
    }
}
