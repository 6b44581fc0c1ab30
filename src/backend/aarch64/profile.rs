//! Counting block executions for `--report`: the few instructions a block starts with when the
//! report is asked for (see `Backend::set_entry_counter`); normal runs emit nothing.

use super::abi::FAR;
use super::Emitter;
use dynasmrt::{dynasm, DynasmApi};

impl Emitter {
    /// Adds one to the `u64` at `counter`: its address into x16, then load, add, store
    /// through x17. Emitted first in the block, where the far-address scratch registers hold
    /// nothing, and `add` (not `adds`) leaves the host flags alone.
    pub(super) fn count_entry(&mut self, counter: usize) {
        self.mov_imm(FAR, counter as u64);
        dynasm!(self.a
            ; .arch aarch64
            ; ldr x17, [X(FAR)]
            ; add x17, x17, #1
            ; str x17, [X(FAR)]
        );
    }
}
