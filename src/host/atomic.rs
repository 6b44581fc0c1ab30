//! Atomics that stable Rust's `core::sync::atomic` does not offer, as inline assembly per
//! host: [`cas128`], the 128-bit compare-and-swap behind x86 `cmpxchg16b` (a frontend helper)
//! and the unaligned atomics of the AArch64 backend.

/// Atomically: `old = *p; if old == expected { *p = new }; old` (sequentially consistent).
///
/// # Safety
/// `p` must be 16-byte aligned and valid for reads and writes.
#[cfg(target_arch = "x86_64")]
pub unsafe fn cas128(p: *mut u128, expected: u128, new: u128) -> u128 {
    let (old_lo, old_hi): (u64, u64);
    // SAFETY: per the contract. rbx is reserved by the compiler (and may even hold a generic
    // register operand), so the operands use fixed registers and the new low half is swapped
    // into rbx around the instruction.
    unsafe {
        core::arch::asm!(
            "xchg rsi, rbx",
            "lock cmpxchg16b [rdi]",
            "mov rbx, rsi",
            in("rdi") p,
            inout("rsi") new as u64 => _,
            in("rcx") (new >> 64) as u64,
            inout("rax") expected as u64 => old_lo,
            inout("rdx") (expected >> 64) as u64 => old_hi,
            options(nostack),
        );
    }
    old_lo as u128 | (old_hi as u128) << 64
}

/// Atomically: `old = *p; if old == expected { *p = new }; old` (sequentially consistent).
///
/// # Safety
/// `p` must be 16-byte aligned and valid for reads and writes.
#[cfg(target_arch = "aarch64")]
pub unsafe fn cas128(p: *mut u128, expected: u128, new: u128) -> u128 {
    let (old_lo, old_hi): (u64, u64);
    // SAFETY: per the contract. A load-acquire/store-release exclusive pair loop; on a
    // mismatch the old value is stored back so that the 128-bit read was atomic.
    unsafe {
        core::arch::asm!(
            "2:",
            "ldaxp {olo}, {ohi}, [{p}]",
            "cmp {olo}, {elo}",
            "ccmp {ohi}, {ehi}, #0, eq",
            "b.ne 3f",
            "stlxp {st:w}, {nlo}, {nhi}, [{p}]",
            "cbnz {st:w}, 2b",
            "b 4f",
            "3:",
            "stlxp {st:w}, {olo}, {ohi}, [{p}]",
            "cbnz {st:w}, 2b",
            "4:",
            p = in(reg) p,
            elo = in(reg) expected as u64,
            ehi = in(reg) (expected >> 64) as u64,
            nlo = in(reg) new as u64,
            nhi = in(reg) (new >> 64) as u64,
            olo = out(reg) old_lo,
            ohi = out(reg) old_hi,
            st = out(reg) _,
            options(nostack),
        );
    }
    old_lo as u128 | (old_hi as u128) << 64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cas128_swaps_only_on_match() {
        let v = 0x1111_2222_3333_4444_5555_6666_7777_8888u128;
        let mut cell = Box::new(v);
        let p = &mut *cell as *mut u128;
        // SAFETY: a live, aligned u128.
        unsafe {
            assert_eq!(cas128(p, 1, 2), v);
            assert_eq!(*p, v);
            assert_eq!(cas128(p, v, 7), v);
            assert_eq!(*p, 7);
        }
    }
}
