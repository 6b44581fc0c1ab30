//! Atomic read-modify-writes and compare-exchanges at addresses not aligned to their size.
//!
//! x86 allows a `lock`ed instruction (and `xchg` with memory) at any address; A64's exclusive
//! loads and stores fault unless aligned. Translated code tests the alignment and calls these
//! helpers for the rare unaligned case:
//! - an access inside one aligned 16-byte granule is done atomically with a 128-bit
//!   compare-and-swap on that granule (a load-exclusive/store-exclusive pair loop), so it is
//!   atomic against every other access, aligned or not;
//! - an access that crosses a 16-byte boundary cannot be covered by any A64 exclusive. It is
//!   serialised by a process-wide lock between full barriers: atomic against other such
//!   accesses and other unaligned atomics through this path, but not against a concurrent
//!   plain store by another thread to the same bytes (the price x86 split locks have on every
//!   ARM translator; single-threaded guests are exact).

use crate::host::atomic::cas128;
use crate::ir::{interp, RmwOp, Width};
use std::sync::atomic::{fence, Ordering};
use std::sync::Mutex;

/// The third argument of [`rmw`]: the operation and the access size.
pub(super) fn rmw_kind(op: RmwOp, width: Width) -> u64 {
    let index = RmwOp::ALL.iter().position(|&o| o == op).expect("RmwOp::ALL lists every op");
    (index as u64) << 8 | width.bytes() as u64
}

fn width_of(bytes: u64) -> Width {
    match bytes {
        1 => Width::W8,
        2 => Width::W16,
        4 => Width::W32,
        _ => Width::W64,
    }
}

/// `old = mem[addr]; mem[addr] = op(old, src); old` for an unaligned `addr`, atomically (see
/// the module doc). `kind` comes from [`rmw_kind`].
pub(super) extern "C" fn rmw(addr: u64, src: u64, kind: u64) -> u64 {
    let op = RmwOp::ALL[(kind >> 8) as usize % RmwOp::ALL.len()];
    let width = width_of(kind & 0xff);
    // SAFETY: `addr` is the guest's operand of an atomic instruction: guest memory is host
    // memory, and a fault there is the guest's fault (it ends the process as natively).
    unsafe { update(addr, width, |old| Some(interp::eval_rmw(op, old, src, width))) }
}

/// `old = mem[addr]; if old == expected { mem[addr] = new }; old` for an unaligned `addr`,
/// atomically (see the module doc); `bytes` is the access size.
pub(super) extern "C" fn compare_exchange(addr: u64, expected: u64, new: u64, bytes: u64) -> u64 {
    let width = width_of(bytes);
    let m = width.mask();
    // SAFETY: as in `rmw`.
    unsafe { update(addr, width, |old| (old == expected & m).then_some(new & m)) }
}

/// Atomically replaces the `width` value at `addr` by `next(old)` (or leaves it if `None`) and
/// returns `old`.
///
/// # Safety
/// The bytes at `addr` (and, for an access inside one granule, its whole aligned 16-byte
/// granule) must be readable and writable, or the fault is taken as the guest's.
unsafe fn update(addr: u64, width: Width, next: impl Fn(u64) -> Option<u64>) -> u64 {
    let size = width.bytes() as u64;
    let mask = width.mask() as u128;
    let offset = addr & 15;
    if offset + size <= 16 {
        let granule = (addr - offset) as *mut u128;
        let shift = offset * 8;
        // A first guess (possibly torn): the compare-and-swap below checks it atomically.
        // SAFETY: per the contract; the granule is 16-byte aligned.
        let mut cur = unsafe { granule.read_volatile() };
        loop {
            let old = ((cur >> shift) & mask) as u64;
            let new = match next(old) {
                Some(v) => (cur & !(mask << shift)) | ((v as u128 & mask) << shift),
                // Writing back what was read makes the read atomic, as a failed x86
                // cmpxchg's locked read is.
                None => cur,
            };
            // SAFETY: per the contract; aligned, readable and writable.
            let seen = unsafe { cas128(granule, cur, new) };
            if seen == cur {
                return old;
            }
            cur = seen;
        }
    }
    static SPLIT_LOCK: Mutex<()> = Mutex::new(());
    let _guard = SPLIT_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    fence(Ordering::SeqCst);
    let p = addr as *mut u8;
    let mut bytes = [0u8; 8];
    // SAFETY: per the contract; byte copies have no alignment requirement.
    unsafe { std::ptr::copy_nonoverlapping(p, bytes.as_mut_ptr(), size as usize) };
    let old = u64::from_le_bytes(bytes);
    if let Some(v) = next(old) {
        let new = v.to_le_bytes();
        // SAFETY: as above.
        unsafe { std::ptr::copy_nonoverlapping(new.as_ptr(), p, size as usize) };
    }
    fence(Ordering::SeqCst);
    old
}
