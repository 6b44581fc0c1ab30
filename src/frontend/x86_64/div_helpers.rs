//! 128-by-64-bit division (`div r/m64`, `idiv r/m64`) as a Rust helper: the IR has no
//! 128-bit values, and these instructions are rare enough that a call costs nothing that
//! matters.

use super::state::{reg, X86State};
use super::Ctx;
use crate::ir::{Helper, Temp};

/// `helper(state, divisor, signed) -> fault`. Divides rdx:rax by `divisor`; on success writes
/// the quotient to rax and the remainder to rdx and returns 0. Returns 1 without touching the
/// state when the divisor is zero or the quotient does not fit in 64 bits (#DE).
extern "C" fn div128(state: *mut u8, divisor: u64, signed: u64, _: u64, _: u64) -> u64 {
    // SAFETY: translated code passes the pointer to the live X86State it runs on (the helper
    // contract of `ir::Helper`); nothing else accesses that state during the call.
    let st = unsafe { &mut *(state as *mut X86State) };
    let dividend = (st.gpr[reg::RDX] as u128) << 64 | st.gpr[reg::RAX] as u128;
    if divisor == 0 {
        return 1;
    }
    let (q, r) = if signed != 0 {
        let n = dividend as i128;
        let d = divisor as i64 as i128;
        // i128::MIN / -1 wraps to i128::MIN, which the range check below rejects.
        let (q, r) = (n.wrapping_div(d), n.wrapping_rem(d));
        if q < i64::MIN as i128 || q > i64::MAX as i128 {
            return 1;
        }
        (q as i64 as u64, r as i64 as u64)
    } else {
        let q = dividend / divisor as u128;
        if q > u64::MAX as u128 {
            return 1;
        }
        (q as u64, (dividend % divisor as u128) as u64)
    };
    st.gpr[reg::RAX] = q;
    st.gpr[reg::RDX] = r;
    0
}

const DIV128: Helper = Helper { name: "x86_div128", func: div128, touches_memory: false };

/// Emits the division; returns a temporary that is non-zero when it must raise #DE.
pub fn divide_128(ctx: &mut Ctx, divisor: Temp, signed: bool) -> Temp {
    let s = ctx.constant(signed as u64);
    ctx.call(DIV128, &[divisor, s])
}
