//! [`Guest`]: what the runtime needs to know about a guest ISA, implemented once per guest.

use super::StateHeader;
use crate::frontend::Frontend;
use crate::ir::GuestAddr;

/// A guest ISA: its state struct, its frontend, and where its syscall arguments live.
pub trait Guest {
    /// The guest state struct: `#[repr(C)]`, with a [`super::StateHeader`] at offset 0.
    type State: Default + Clone + 'static;
    type Frontend: Frontend;

    /// A short name for messages ("x86-64", "aarch64").
    const NAME: &'static str;

    fn frontend() -> Self::Frontend;

    /// The state at process start: `pc` at the entry point, stack pointer at `sp`, everything
    /// else as the Linux ABI of this guest promises (zero registers, default FP control).
    fn initial_state(pc: GuestAddr, sp: u64) -> Self::State;

    fn pc(state: &Self::State) -> GuestAddr;
    fn set_pc(state: &mut Self::State, pc: GuestAddr);

    /// The [`StateHeader`] at the start of the state, where a block that returns to the
    /// dispatcher says why (usually just `&mut state.header`).
    fn header(state: &mut Self::State) -> &mut StateHeader;
}
