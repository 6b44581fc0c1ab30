//! The AArch64 host register convention, in one place.
//!
//! | register | use |
//! | --- | --- |
//! | x28 | pointer to the guest state struct, for as long as translated code runs |
//! | [`STATE_REGS`] | guest state fields that live in host registers (see below), else temporaries |
//! | x19 - x27 | IR temporaries ([`TEMP_REGS`]): callee-saved, so they survive helper calls |
//! | x0 - x8, x14, x15 | more IR temporaries in blocks that call nothing ([`MORE_TEMP_REGS`]) |
//! | x9 - x13 | scratch within one op ([`S0`] .. [`S4`]) |
//! | x16, x17 | scratch for addresses of helpers and far state offsets |
//! | x0 - x4 | helper arguments (x0 = state pointer) and result, in blocks that call |
//! | sp | the frame made by the entry trampoline: spill slots at `[sp + 8*slot]` |
//! | v0 | scratch for `cnt` (population count) |
//! | v0 - v2 | scratch for the vector ops (a spilled destination or source) |
//! | v16 - v31 | 128-bit vector temporaries ([`VECTOR_REGS`]) in blocks that call nothing: the AAPCS64 keeps none of them across a call, and only the low 64 bits of v8 - v15; in blocks that call, vector temporaries live in 16-byte slots after the spill slots |
//!
//! The entry trampoline saves x19-x30 and reserves [`SPILL_BYTES`]; the shared exit path
//! undoes that and returns to the dispatcher.
//!
//! State registers: the guest description names up to 16 eight-byte state fields (the x86-64
//! guest: its 16 GPRs) that live in [`STATE_REGS`], in order, across chained blocks
//! (`Backend::set_state_registers`; the AArch64 guest names none). Inside translated code the
//! host register is the field's value; the state struct is made current where something reads
//! it: the trampoline loads them, the shared exit path (every exit, the fault exit included)
//! stores them, and a helper call stores them before and loads them after (a call into a
//! reference that reads only its arguments keeps just the caller-saved ones). The registers
//! they take are not temporaries: a block has [`TEMP_REGS`] / [`MORE_TEMP_REGS`] without them.

/// The guest state pointer.
pub const STATE: u8 = 28;
/// Host registers for IR temporaries, indexed by `regalloc::Loc::Reg`.
pub const TEMP_REGS: [u8; 9] = [19, 20, 21, 22, 23, 24, 25, 26, 27];
/// The registers for IR temporaries of a block that calls no helper (no op of it reaches a
/// `blr`): [`TEMP_REGS`] first, then caller-saved registers that no op uses as scratch.
/// Nothing lives in them from one block to the next, so the trampoline need not save them.
pub const MORE_TEMP_REGS: [u8; 20] = [19, 20, 21, 22, 23, 24, 25, 26, 27, 0, 1, 2, 3, 4, 5, 6, 7, 8, 14, 15];
/// The host registers of the state fields a guest keeps in registers, in the order of its
/// list: every register here is free of other uses in translated code except x0-x4 (helper
/// arguments and result, around which they are saved) and x29/x30 (saved by the trampoline;
/// `blr` writes x30, also around a call).
pub const STATE_REGS: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 18, 26, 27, 29, 30];
/// Whether a call may change `reg` (AAPCS64: x0-x18 and the link register).
pub const fn caller_saved(reg: u8) -> bool {
    reg <= 18 || reg == 30
}
/// Scratch registers within one op.
pub const S0: u8 = 9;
pub const S1: u8 = 10;
pub const S2: u8 = 11;
pub const S3: u8 = 12;
pub const S4: u8 = 13;
/// Register number 31 where an instruction reads it as the zero register (`xzr`/`wzr`: the
/// source of a store, an operand of a data-processing instruction).
pub const ZR: u8 = 31;
/// Scratch for far addresses (helper entry points, state offsets beyond the immediate range).
pub const FAR: u8 = 16;
/// Bytes reserved for spill slots: 16-byte aligned so helper calls see an aligned stack, and
/// at most 4095 so one `sub sp` immediate reserves it.
pub const SPILL_BYTES: u32 = 4080;
/// Number of 8-byte spill slots.
pub const SPILL_SLOTS: u16 = (SPILL_BYTES / 8) as u16;
/// Host vector registers for 128-bit vector temporaries of a block that calls no helper,
/// indexed by the vector allocation's `regalloc::Loc::Reg` (see `vector`).
pub const VECTOR_REGS: [u8; 16] = [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31];
