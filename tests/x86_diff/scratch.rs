//! The scratch memory at [`SCRATCH_BASE`]: one shared mapping (so a forked native run's
//! writes are seen by the parent) used by both the native and the translated runs, one case
//! at a time.

use crate::case::{SCRATCH_BASE, SCRATCH_LEN};
use std::sync::{Mutex, MutexGuard, OnceLock};

static LOCK: Mutex<()> = Mutex::new(());
static MAPPED: OnceLock<()> = OnceLock::new();

/// Maps the scratch memory (once) and takes the lock that serialises its users.
pub fn lock() -> MutexGuard<'static, ()> {
    let guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    MAPPED.get_or_init(|| {
        // SAFETY: maps fresh memory at a fixed address that nothing else in the test process
        // uses (MAP_FIXED_NOREPLACE fails rather than clobber a mapping); it stays mapped for
        // the life of the process.
        let p = unsafe {
            libc::mmap(
                SCRATCH_BASE as *mut libc::c_void,
                SCRATCH_LEN,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE,
                -1,
                0,
            )
        };
        assert_eq!(p as u64, SCRATCH_BASE, "mmap of the scratch memory at {SCRATCH_BASE:#x}");
    });
    guard
}

fn slice() -> &'static mut [u8] {
    // SAFETY: mapped by `lock` (which every caller holds) for the life of the process.
    unsafe { std::slice::from_raw_parts_mut(SCRATCH_BASE as *mut u8, SCRATCH_LEN) }
}

/// Sets the whole scratch memory.
pub fn set(bytes: &[u8]) {
    slice().copy_from_slice(bytes);
}

/// The bytes that differ from `init`, as (offset, current byte).
pub fn diff(init: &[u8]) -> Vec<(u32, u8)> {
    slice()
        .iter()
        .zip(init)
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .map(|(i, (a, _))| (i as u32, *a))
        .collect()
}
