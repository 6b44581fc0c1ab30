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
//! [`plan`] picks them before register allocation with [`flag_readers::plan`] and this host's
//! rules ([`Eflags`]). Unlike AArch64, nearly every x86 ALU
//! instruction writes the flags, so only ops whose code is `mov`s may lie between a
//! producer and its readers: constants, state loads and stores, `Ext`, the readers
//! themselves and the ops they make unnecessary. A reader after any other op is not taken.

use super::{Asm, Emitter};
use crate::ir::flag_readers::{self, Between, Cond, Host, Plan, Reader};
use crate::ir::{BinOp, Block, CmpOp, Op, Temp, UnOp};
use dynasmrt::{dynasm, DynasmApi};

/// The x86-64 host's rules for [`flag_readers::plan`].
struct Eflags<'a> {
    only: &'a [bool],
}

impl Host for Eflags<'_> {
    fn free(&self, t: Temp) -> bool {
        !self.only[t.0 as usize]
    }

    fn producer(&self, _: Temp, _: Temp) -> bool {
        true
    }

    /// Every condition: SF, ZF, PF, CF and OF are all in EFLAGS.
    fn reads(&self, _: Cond, _: &Op) -> bool {
        true
    }

    /// Only `mov`s leave the flags alone; the xors, ands and popcounts of an overflow or
    /// parity computation set them unless a reader makes them unnecessary.
    fn between(&self, op: &Op) -> Between {
        match op {
            Op::GuestInsn { .. } | Op::Const { .. } | Op::LoadState { .. } | Op::StoreState { .. } => {
                Between::Keep
            }
            Op::Ext { .. } => Between::Keep,
            Op::Bin { op: BinOp::Xor | BinOp::And, .. } | Op::Un { op: UnOp::Popcnt, .. } => Between::Clobber,
            _ => Between::End,
        }
    }

    /// Host instructions saved: a comparison's `cmp`/`test`, the skipped ops (about two
    /// each); `mov` + `add` may cost one more than a `lea`.
    fn worth(&self, kind: BinOp, readers: &[Reader], skipped: usize) -> bool {
        let compares = readers.iter().filter(|rd| matches!(rd.cond, Cond::Cmp(_) | Cond::Carry(_))).count();
        compares + 2 * skipped > usize::from(kind == BinOp::Add)
    }
}

/// Finds the adds and subs (32 or 64 bits, `a` not a bare constant) whose flag computations
/// can read the host flags. `uses` counts every reader, `imms` are the constants without a
/// location, `only` the fault-only temporaries.
pub(super) fn plan(block: &Block, uses: &[u32], imms: &[Option<u64>], only: &[bool]) -> Plan {
    flag_readers::plan(block, uses, imms, only, &Eflags { only })
}

/// The carry out of `add` is CF: `b`, the condition of `cmp` for `Ult`.
const CARRY: CmpOp = CmpOp::Ult;

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
    if let (Some(c), true) = (cond.as_cmp(CARRY), e.fuse_next_cmp) {
        e.fused_cmp = Some((dst, c));
        return;
    }
    let d = e.dst_reg(dst, super::abi::RAX);
    let asm = &mut e.asm;
    match cond {
        Cond::Sign(true) => dynasm!(asm ; .arch x64 ; sets Rb(d)),
        Cond::Sign(false) => dynasm!(asm ; .arch x64 ; setns Rb(d)),
        Cond::Overflow => dynasm!(asm ; .arch x64 ; seto Rb(d)),
        Cond::Parity => dynasm!(asm ; .arch x64 ; setp Rb(d)),
        Cond::Cmp(_) | Cond::Carry(_) => {
            if let Some(c) = cond.as_cmp(CARRY) {
                setcc(asm, c, d)
            }
        }
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
