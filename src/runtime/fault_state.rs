//! The host registers and stack of translated code at its last fault, and the guest state
//! fields they complete.
//!
//! `ir::opt` defers state stores past guest memory accesses (see `ir::deferred`): when an
//! access faults, some fields of the guest state in memory are older than the state at the
//! start of the faulting instruction, and the block's fault table says where the right
//! values were (host registers, spill slots) or how to compute them from there. The host
//! signal handler saves the interrupted registers and the top of the host stack here
//! ([`save`], async-signal-safe: atomics in a thread-local) before it sends the context to
//! the fault exit; the dispatcher then evaluates the table with them and writes the fields
//! ([`complete_state`]) before it delivers the guest's signal or resumes the guest.

use crate::ir::deferred::{eval, FaultField, FaultNode};
use crate::ir::Width;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes of host stack saved from the interrupted stack pointer up: both backends' spill
/// areas (a block whose slots go beyond has those fields left as they are in memory).
const STACK_BYTES: usize = 4096;

thread_local! {
    /// The interrupted context's general registers by host register number (x86-64: rax = 0
    /// .. r15 = 15; AArch64: x0 .. x30).
    static REGS: [AtomicU64; 32] = const { [const { AtomicU64::new(0) }; 32] };
    /// `STACK_BYTES` from the interrupted stack pointer.
    static STACK: [AtomicU64; STACK_BYTES / 8] = const { [const { AtomicU64::new(0) }; STACK_BYTES / 8] };
}

/// Saves the registers and the top of the stack of a fault in translated code.
///
/// # Safety
/// `ctx` is the `ucontext_t` the kernel passed to an SA_SIGINFO handler for a fault of this
/// thread while translated code ran (its stack pointer is translated code's, with the entry
/// trampoline's frame and the dispatcher's frames above it, so `STACK_BYTES` from it are
/// mapped stack).
pub unsafe fn save(ctx: *mut libc::c_void) {
    let uc = ctx as *const libc::ucontext_t;
    let mut regs = [0u64; 32];
    let sp: usize;
    #[cfg(target_arch = "x86_64")]
    {
        use libc::*;
        let order = [
            REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI, REG_R8, REG_R9, REG_R10,
            REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
        ];
        // SAFETY: per the contract, `uc` is a valid ucontext_t.
        let gregs = unsafe { (*uc).uc_mcontext.gregs };
        for (n, &g) in order.iter().enumerate() {
            regs[n] = gregs[g as usize] as u64;
        }
        sp = gregs[REG_RSP as usize] as usize;
    }
    #[cfg(target_arch = "aarch64")]
    {
        // SAFETY: per the contract, `uc` is a valid ucontext_t.
        let mc = unsafe { &(*uc).uc_mcontext };
        regs[..31].copy_from_slice(&mc.regs);
        sp = mc.sp as usize;
    }
    REGS.with(|r| r.iter().zip(regs).for_each(|(slot, v)| slot.store(v, Ordering::Relaxed)));
    STACK.with(|s| {
        for (i, slot) in s.iter().enumerate() {
            // SAFETY: per the contract, `sp .. sp + STACK_BYTES` is this thread's mapped stack.
            let v = unsafe { ((sp + 8 * i) as *const u64).read() };
            slot.store(v, Ordering::Relaxed);
        }
    });
}

/// The value of a host location at the last [`save`] on this thread.
fn saved(node: FaultNode) -> Option<u64> {
    match node {
        FaultNode::Reg(r) => REGS.with(|regs| regs.get(r as usize).map(|v| v.load(Ordering::Relaxed))),
        FaultNode::Stack(off) if off % 8 == 0 => {
            STACK.with(|s| s.get(off as usize / 8).map(|v| v.load(Ordering::Relaxed)))
        }
        _ => None,
    }
}

/// The deferred fields' values at the last [`save`]: (state offset, width, value).
pub fn deferred_values(fields: &[FaultField]) -> Vec<(u32, Width, u64)> {
    fields.iter().filter_map(|f| Some((f.offset, f.width, eval(&f.value, &saved)?))).collect()
}

/// Writes `values` (from [`deferred_values`]) into the guest state at `state`.
///
/// # Safety
/// `state` points to the guest state struct of the block the values come from, which no one
/// else accesses meanwhile; the offsets and widths are fields of it (the frontend's).
pub unsafe fn complete_state(state: *mut u8, values: &[(u32, Width, u64)]) {
    for &(offset, width, value) in values {
        let bytes = value.to_le_bytes();
        // SAFETY: per the contract, `offset .. offset + width` lies in the state struct.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), state.add(offset as usize), width.bytes() as usize)
        };
    }
}
