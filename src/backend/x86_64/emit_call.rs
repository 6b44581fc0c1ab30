//! Helper calls (`Op::CallHelper`): a SysV call of `extern "C" fn(state, a0, a1, a2, a3)`.
//!
//! `rdi` = the state pointer (`r15`), `rsi rdx rcx r8` = the arguments (zero when absent),
//! result in `rax`. Temporaries live in callee-saved registers or in the frame, so nothing
//! needs saving around the call; `rsp` is 16-byte aligned at every point of a block (see
//! [`super::abi`]), as the SysV ABI requires at a call.

use super::abi::{R8, RAX, RCX, RDI, RDX, RSI, STATE};
use super::Emitter;
use crate::ir::{Helper, Temp};
use dynasmrt::{dynasm, DynasmApi};

/// Argument registers of the helper's `a0 .. a3`, in order.
const ARG_REGS: [u8; 4] = [RSI, RDX, RCX, R8];

pub(super) fn call_helper(e: &mut Emitter, dst: Option<Temp>, helper: &Helper, args: &[Temp]) {
    for (i, &reg) in ARG_REGS.iter().enumerate() {
        match args.get(i) {
            // Sources are callee-saved registers or frame slots, never an argument register,
            // so the order of these moves does not matter.
            Some(&t) => e.load(reg, t),
            None => dynasm!(e.asm ; .arch x64 ; xor Rd(reg), Rd(reg)),
        }
    }
    let func = helper.func as usize as i64;
    dynasm!(e.asm
        ; .arch x64
        ; mov Rq(RDI), Rq(STATE)
        ; mov rax, QWORD func
        ; call rax
    );
    if let Some(dst) = dst {
        e.store(dst, RAX);
    }
}
