//! Flags of an add or sub read from the host's own: an x86-64 `add`/`sub`/`cmp` computes its
//! ZF, CF and OF in the IR as separate comparisons and bit arithmetic on its operands and
//! result (`r == 0`, `r <u a`, `((a ^ r) & (b ^ r)) >> (bits - 1)`, ...). Where such readers
//! follow the add or sub with nothing in between that sets the host flags, the backend emits
//! the op as `adds` or `subs`, whose NZCV hold those conditions exactly (Z of the result, C
//! the carry out or the absence of a borrow, V the signed overflow, at the op's 32 or 64
//! bits), and each reader becomes one `cset` (or the exit's `b.cond`): the overflow's two
//! eors and its and are then not emitted at all.
//!
//! [`plan`] picks them before register allocation with [`flag_readers::plan`] and this host's
//! rules ([`Nzcv`]). Emission relies on the ops it lets lie between a producer and its readers
//! leaving NZCV alone: constants, state loads and stores, `Bin` other than add and sub
//! (another producer would overwrite the flags), `Un` and `Ext` (none of their AArch64
//! sequences sets flags), and the readers themselves.

use super::abi::*;
use super::fold::{shifted_register, Folded};
use super::{imm, Emitter, Fused};
use crate::ir::flag_readers::{self, Between, Cond, Host, Plan, Reader};
use crate::ir::{BinOp, Block, CmpOp, Op, Temp, Width};
use dynasmrt::{dynasm, DynasmApi};

/// The AArch64 host's rules for [`flag_readers::plan`].
struct Nzcv<'a> {
    block: &'a Block,
    uses: &'a [u32],
    imms: &'a [Option<u64>],
    only: &'a [bool],
    folded: &'a [Option<Folded>],
}

impl Host for Nzcv<'_> {
    fn free(&self, t: Temp) -> bool {
        self.folded[t.0 as usize].is_none() && !self.only[t.0 as usize]
    }

    fn producer(&self, a: Temp, b: Temp) -> bool {
        self.free(a) && self.free(b)
    }

    /// Comparisons (Z, C, the sub's conditions) and the overflow bit as a shift. The sign,
    /// and the overflow as a signed comparison (the A64 frontend's N and V), are not taken
    /// yet: `mi`/`pl`/`vs` would read them, but the code for AArch64 guests would change.
    fn reads(&self, cond: Cond, op: &Op) -> bool {
        match cond {
            Cond::Cmp(_) | Cond::Carry(_) => true,
            Cond::Overflow => matches!(op, Op::Bin { .. }),
            Cond::Sign(_) | Cond::Parity => false,
        }
    }

    /// None of the AArch64 sequences of `Bin` other than add and sub, `Un` and `Ext` sets
    /// flags.
    fn between(&self, op: &Op) -> Between {
        match op {
            Op::Bin { op: BinOp::Add | BinOp::Sub, .. } => Between::End,
            Op::GuestInsn { .. }
            | Op::Const { .. }
            | Op::LoadState { .. }
            | Op::StoreState { .. }
            | Op::Bin { .. }
            | Op::Un { .. }
            | Op::Ext { .. } => Between::Keep,
            _ => Between::End,
        }
    }

    /// Host instructions saved: a comparison's own `cmp` (none when it is a test against
    /// zero that the exit right after makes a `cbz`), the overflow's eors and and.
    fn worth(&self, _: BinOp, readers: &[Reader], skipped: usize) -> bool {
        let compares = readers.iter().filter(|rd| match self.block.ops[rd.at] {
            Op::Cmp { a, b, width, .. } => {
                let zero = |t: Temp| self.imms[t.0 as usize].is_some_and(|v| v & width.mask() == 0);
                !((zero(a) || zero(b)) && super::super::feeds_only_next_exit(self.block, rd.at, self.uses))
            }
            _ => false,
        });
        compares.count() + skipped > 0
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
    folded: &[Option<Folded>],
) -> Plan {
    flag_readers::plan(block, uses, imms, only, &Nzcv { block, uses, imms, only, folded })
}

/// The carry out of `adds` is C set: `hs`, the condition of `cmp` for `Uge`.
const CARRY: CmpOp = CmpOp::Uge;

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
        match cond.as_cmp(CARRY) {
            Some(c) if self.fuse_next => self.fused = Some((dst, Fused::Flags(c))),
            Some(c) => {
                let d = self.dst(dst, S0);
                self.cset(d, c);
                self.finish(dst, d);
            }
            // The overflow: the plan takes no sign or parity here (`Nzcv::reads`).
            None => {
                debug_assert_eq!(cond, Cond::Overflow);
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
