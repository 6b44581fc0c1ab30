//! Counting block executions for `--report`: the one instruction pair a block starts with when
//! the report is asked for (see `Backend::set_entry_counter`); normal runs emit nothing.

use super::Asm;
use dynasmrt::{dynasm, DynasmApi};

/// Adds one to the `u64` at `counter`. Emitted first in the block, where no host register or
/// flag is live yet (rax is a per-op scratch register, and the host flags never carry a value
/// into a block), so it needs no save or restore: `mov rax, imm64; inc qword [rax]`.
pub(super) fn count_entry(asm: &mut Asm, counter: usize) {
    let counter = counter as i64;
    dynasm!(asm ; .arch x64 ; mov rax, QWORD counter ; inc QWORD [rax]);
}
