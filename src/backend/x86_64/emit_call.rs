//! Helper calls (`Op::CallHelper`): a SysV call of `extern "C" fn(state, a0, a1, a2, a3)`.
//!
//! `rdi` = the state pointer (`r15`), `rsi rdx rcx r8` = the arguments (zero when absent),
//! result in `rax`. Temporaries in callee-saved registers or in the frame survive the call;
//! those in the caller-saved `r9 r10 r11` that are still needed after it are saved to the
//! frame before it and reloaded after it. `rsp` is 16-byte aligned at every point of a block
//! (see [`super::abi`]), as the SysV ABI requires at a call.

use super::abi::{R8, RAX, RCX, RDI, RDX, RSI, STATE};
use super::Emitter;
use crate::ir::{Helper, Temp};
use dynasmrt::{dynasm, DynasmApi};

/// Argument registers of the helper's `a0 .. a3`, in order.
const ARG_REGS: [u8; 4] = [RSI, RDX, RCX, R8];

pub(super) fn call_helper(e: &mut Emitter, dst: Option<Temp>, helper: &Helper, args: &[Temp]) {
    let saved = e.caller_saved_live_after_op();
    for &(reg, disp) in &saved {
        dynasm!(e.asm ; .arch x64 ; mov QWORD [rsp + disp], Rq(reg));
    }
    for (i, &reg) in ARG_REGS.iter().enumerate() {
        match args.get(i) {
            // Sources are temp homes (never an argument register) or immediates, so the
            // order of these moves does not matter.
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
    for &(reg, disp) in &saved {
        dynasm!(e.asm ; .arch x64 ; mov Rq(reg), QWORD [rsp + disp]);
    }
    // The destination is not among the saved (it is written here, not before), so the
    // reloads cannot overwrite it.
    if let Some(dst) = dst {
        e.store(dst, RAX);
    }
}
