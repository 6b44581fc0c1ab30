//! rcl/rcr as a Rust helper: a rotate through CF over `width + 1` bits, which needs 65-bit
//! arithmetic for 64-bit operands. Rare in compiled code, so clarity beats speed here.

use super::state::X86State;
use super::Ctx;
use crate::ir::{Helper, Temp, Width};

/// `helper(state, value, count, width_bits, left) -> result`. `count` is already masked to
/// 5 or 6 bits. Reads CF and, when the effective count is not zero, writes CF and OF.
extern "C" fn rcl_rcr(state: *mut u8, value: u64, count: u64, width_bits: u64, left: u64) -> u64 {
    // SAFETY: translated code passes the pointer to the live X86State it runs on (the helper
    // contract of `ir::Helper`); nothing else accesses that state during the call.
    let st = unsafe { &mut *(state as *mut X86State) };
    let w = width_bits as u32;
    let mask = if w == 64 { u64::MAX } else { (1u64 << w) - 1 };
    // Count modulo width+1 (only changes anything for 8- and 16-bit operands).
    let n = (count as u32) % (w + 1);
    if n == 0 {
        return value & mask;
    }
    // The (w+1)-bit value CF:value, rotated one bit at a time.
    let mut v = value & mask;
    let mut cf = st.cf as u64 & 1;
    for _ in 0..n {
        if left != 0 {
            let out = v >> (w - 1) & 1;
            v = (v << 1 | cf) & mask;
            cf = out;
        } else {
            let out = v & 1;
            v = v >> 1 | cf << (w - 1);
            cf = out;
        }
    }
    let msb = v >> (w - 1) & 1;
    st.of = if left != 0 { (msb ^ cf) as u8 } else { (msb ^ (v >> (w - 2) & 1)) as u8 };
    st.cf = cf as u8;
    v
}

const RCL_RCR: Helper = Helper { name: "x86_rcl_rcr", func: rcl_rcr, touches_memory: false };

/// Emits the helper call; returns the rotated value.
pub fn rotate_through_carry(ctx: &mut Ctx, left: bool, value: Temp, count: Temp, w: Width) -> Temp {
    let bits = ctx.constant(w.bits() as u64);
    let dir = ctx.constant(left as u64);
    ctx.call(RCL_RCR, &[value, count, bits, dir])
}
