//! Test support: translate guest bytes with the x86-64 frontend and run the blocks with the IR
//! interpreter, for unit tests of things the native differential tests (tests/x86_diff)
//! cannot set up, such as FS-relative addressing.

use super::{X86Frontend, X86State};
use crate::frontend::{Frontend, SliceCode};
use crate::ir::protocol::ExitReason;
use crate::ir::{interp, Block, GuestAddr};

/// Where test code is placed.
pub const BASE: u64 = 0x40_0000;

/// Translates the first block of `bytes` at [`BASE`].
pub fn block(bytes: &[u8]) -> Block {
    X86Frontend::new().translate(&SliceCode { base: GuestAddr(BASE), bytes }, GuestAddr(BASE))
}

/// Runs `bytes` from [`BASE`] until control reaches their end or leaves them; returns how the
/// last block left.
pub fn run(bytes: &[u8], state: &mut X86State) -> interp::Outcome {
    let code = SliceCode { base: GuestAddr(BASE), bytes };
    let end = BASE + bytes.len() as u64;
    let mut fe = X86Frontend::new();
    let mut pc = BASE;
    loop {
        let block = fe.translate(&code, GuestAddr(pc));
        // SAFETY: `state` is a live X86State; test code only touches memory the test owns.
        let out = unsafe { interp::run_block(&block, state as *mut X86State as *mut u8) };
        match out.reason {
            ExitReason::Chain | ExitReason::Lookup if (BASE..end).contains(&out.next_pc.0) => {
                pc = out.next_pc.0
            }
            _ => return out,
        }
    }
}
