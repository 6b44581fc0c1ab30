//! Guest memory as the syscall layer sees it: the [`GuestMm`] interface to the runtime's guest
//! memory (which owns brk, mmap and the map of what is guest memory), the handlers of the
//! memory-management calls, and checked copies between guest memory and the layer's buffers.
//!
//! The layer never maps or unmaps memory itself: mmap and friends must never hand out or
//! clobber xlate's own memory, and only the runtime knows where that is.

use super::{err, Action, Ctx, Errno, Sysno};

/// What the syscall layer needs from the runtime's guest memory. Results are raw kernel-style
/// values (an address or 0, or `-errno`), as the guest receives them.
pub trait GuestMm {
    /// brk(2) as the kernel does it: moves the break to `addr` if it can, and returns the
    /// (new or unchanged) break; `brk(0)` returns the current break.
    fn brk(&mut self, addr: u64) -> u64;
    fn mmap(&mut self, addr: u64, len: u64, prot: u64, flags: u64, fd: u64, offset: u64) -> i64;
    fn munmap(&mut self, addr: u64, len: u64) -> i64;
    fn mprotect(&mut self, addr: u64, len: u64, prot: u64) -> i64;
    fn mremap(&mut self, old: u64, old_len: u64, new_len: u64, flags: u64, new: u64) -> i64;
    /// Whether `[addr, addr + len)` overlaps guest memory that is (or was) executable, so that
    /// translations may exist for it.
    fn may_hold_code(&self, addr: u64, len: u64) -> bool;
    /// Whether the guest may read (or, with `write`, write) all of `[addr, addr + len)`.
    fn is_accessible(&self, addr: u64, len: u64, write: bool) -> bool;
}

/// brk, mmap, munmap, mprotect, mremap: done by the runtime's guest memory; a call that
/// changes memory that may hold translated code also tells the runtime to drop translations.
pub(crate) fn handle(cx: &mut Ctx, sys: Sysno, a: [u64; 6]) -> Action {
    let mem = &mut *cx.mem;
    let (code_range, ret) = match sys {
        Sysno::brk => return Action::Ret(mem.brk(a[0]) as i64),
        Sysno::mmap => {
            // Only a fixed mapping can land on top of existing (code) memory.
            let fixed = a[3] & (libc::MAP_FIXED | libc::MAP_FIXED_NOREPLACE) as u64 != 0;
            let range = (fixed && mem.may_hold_code(a[0], a[1])).then_some((a[0], a[1]));
            (range, mem.mmap(a[0], a[1], a[2], a[3], a[4], a[5]))
        }
        Sysno::munmap => {
            let range = mem.may_hold_code(a[0], a[1]).then_some((a[0], a[1]));
            (range, mem.munmap(a[0], a[1]))
        }
        Sysno::mprotect => {
            let range = mem.may_hold_code(a[0], a[1]).then_some((a[0], a[1]));
            (range, mem.mprotect(a[0], a[1], a[2]))
        }
        Sysno::mremap => {
            let range = mem.may_hold_code(a[0], a[1]).then_some((a[0], a[1]));
            (range, mem.mremap(a[0], a[1], a[2], a[3], a[4]))
        }
        _ => return err(libc::ENOSYS),
    };
    match code_range {
        Some((addr, len)) if !(-4095..0).contains(&ret) => Action::RetCodeModified { ret, addr, len },
        _ => Action::Ret(ret),
    }
}

/// Copies `len` guest bytes at `addr`, or EFAULT if the guest may not read them.
pub(crate) fn read_bytes(mem: &dyn GuestMm, addr: u64, len: usize) -> Result<Vec<u8>, Errno> {
    if len == 0 {
        return Ok(Vec::new());
    }
    if !mem.is_accessible(addr, len as u64, false) {
        return Err(libc::EFAULT);
    }
    // SAFETY: guest addresses are host addresses, and the runtime's guest memory says all of
    // `[addr, addr + len)` is mapped readable guest memory.
    Ok(unsafe { std::slice::from_raw_parts(addr as *const u8, len) }.to_vec())
}

/// Copies `bytes` to guest memory at `addr`, or EFAULT if the guest may not write there.
pub(crate) fn write_bytes(mem: &dyn GuestMm, addr: u64, bytes: &[u8]) -> Result<(), Errno> {
    if bytes.is_empty() {
        return Ok(());
    }
    if !mem.is_accessible(addr, bytes.len() as u64, true) {
        return Err(libc::EFAULT);
    }
    // SAFETY: guest addresses are host addresses; the runtime's guest memory says the whole
    // destination is mapped writable guest memory, which never overlaps xlate's own buffers
    // (`bytes`).
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), addr as *mut u8, bytes.len()) };
    Ok(())
}

/// Reads a NUL-terminated guest string of at most `max` bytes (without the NUL); EFAULT if it
/// runs into memory the guest may not read, ENAMETOOLONG if it is longer.
pub(crate) fn read_cstr(mem: &dyn GuestMm, addr: u64, max: usize) -> Result<Vec<u8>, Errno> {
    const PAGE: u64 = 4096;
    let mut out = Vec::new();
    let mut at = addr;
    loop {
        // Check a page at a time (so that a string ending just before an unreadable page is
        // still read), but read no byte past the NUL.
        let page_end = (at | (PAGE - 1)).wrapping_add(1);
        if !mem.is_accessible(at, page_end.wrapping_sub(at), false) {
            return Err(libc::EFAULT);
        }
        while at != page_end {
            // SAFETY: guest addresses are host addresses, and the runtime's guest memory says
            // this page is readable guest memory.
            let b = unsafe { std::ptr::read_volatile(at as *const u8) };
            if b == 0 {
                return Ok(out);
            }
            if out.len() == max {
                return Err(libc::ENAMETOOLONG);
            }
            out.push(b);
            at += 1;
        }
    }
}

/// Writes a plain-data value to guest memory.
pub(crate) fn write_u64(mem: &dyn GuestMm, addr: u64, v: u64) -> Result<(), Errno> {
    write_bytes(mem, addr, &v.to_le_bytes())
}
