//! SysV shared memory in the guest's address space: `shmat` maps a segment like `mmap` does
//! (so it is recorded as guest memory and never replaces xlate's own), `shmdt` unmaps what
//! `shmat` attached at an address. The segment's size comes from `IPC_STAT`.
//!
//! Known gap: after the guest unmaps or replaces part of an attachment with munmap or
//! mmap(MAP_FIXED), a later `shmdt` of it drops the whole original range from the table.

use super::{host_munmap, last_errno, page_up, GuestMemory, MIN_GUEST_ADDR, PAGE_SIZE};

/// SHMLBA: the attach-address alignment `SHM_RND` rounds to; one page on x86-64 and arm64.
const SHMLBA: u64 = PAGE_SIZE;

impl GuestMemory {
    /// Linux `shmat(id, addr, flags)`: returns the address the segment was attached at.
    pub fn shmat(&mut self, id: i32, addr: u64, flags: i32) -> Result<u64, i32> {
        // SAFETY: an all-zero shmid_ds is a valid value of this plain C struct.
        let mut ds: libc::shmid_ds = unsafe { std::mem::zeroed() };
        // SAFETY: IPC_STAT writes one shmid_ds into `ds`, which lives across the call.
        if unsafe { libc::shmctl(id, libc::IPC_STAT, &mut ds) } != 0 {
            return Err(last_errno());
        }
        let len = page_up(ds.shm_segsz as u64).ok_or(libc::EINVAL)?;
        // Host memory is never executable (translated code runs from the code cache).
        let host_flags = flags & !SHM_EXEC;
        let got = if addr == 0 {
            host_shmat(id, 0, host_flags)?
        } else {
            let addr = if flags & SHM_RND != 0 { addr & !(SHMLBA - 1) } else { addr };
            if !addr.is_multiple_of(SHMLBA) || addr < MIN_GUEST_ADDR {
                return Err(libc::EINVAL);
            }
            let end = addr.checked_add(len).ok_or(libc::EINVAL)?;
            // Without SHM_REMAP Linux refuses a range that overlaps a mapping.
            if flags & SHM_REMAP == 0 && !self.regions_in(addr, end).is_empty() {
                return Err(libc::EINVAL);
            }
            let claims = self.claim_gaps(addr, end)?;
            match host_shmat(id, addr, host_flags | SHM_REMAP) {
                Ok(got) => got,
                Err(e) => {
                    for c in claims {
                        let _ = host_munmap(c.start, c.end - c.start);
                    }
                    return Err(e);
                }
            }
        };
        let mut prot = libc::PROT_READ;
        if flags & libc::SHM_RDONLY == 0 {
            prot |= libc::PROT_WRITE;
        }
        if flags & SHM_EXEC != 0 {
            prot |= libc::PROT_EXEC;
        }
        self.table_set(got, got + len, prot);
        self.shm.insert(got, got + len);
        Ok(got)
    }

    /// Linux `shmdt(addr)`: EINVAL unless a segment was attached at `addr`.
    pub fn shmdt(&mut self, addr: u64) -> Result<u64, i32> {
        let Some(&end) = self.shm.get(&addr) else {
            return Err(libc::EINVAL);
        };
        // SAFETY: `addr` is where shmat attached guest memory; Rust holds no references into it.
        if unsafe { libc::shmdt(addr as *const libc::c_void) } != 0 {
            return Err(last_errno());
        }
        self.shm.remove(&addr);
        let old = self.table_remove(addr, end);
        self.note_exec_touched(&old);
        Ok(0)
    }
}

/// SHM_RND, SHM_REMAP, SHM_EXEC: the same in every Linux ABI (linux/shm.h).
const SHM_RND: i32 = 0o20000;
const SHM_REMAP: i32 = 0o40000;
const SHM_EXEC: i32 = 0o100000;

fn host_shmat(id: i32, addr: u64, flags: i32) -> Result<u64, i32> {
    // SAFETY: with an address, the caller has made sure `[addr, addr + size)` holds only guest
    // memory or its own fresh claims, which SHM_REMAP may replace; without one the kernel picks
    // free address space.
    let p = unsafe { libc::shmat(id, addr as *const libc::c_void, flags) };
    if p as isize == -1 {
        Err(last_errno())
    } else {
        Ok(p as u64)
    }
}
