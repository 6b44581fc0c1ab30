//! Reading guest code: [`CodeSource`], what a frontend translates from, implemented by
//! [`GuestMemory`] (executable guest mappings only) and by [`SliceCode`] (a byte slice placed
//! at a guest address, for tests).

use super::{GuestMemory, Region};
use crate::ir::GuestAddr;

/// Where a frontend reads guest code from.
pub trait CodeSource {
    /// Copies guest code bytes starting at `addr` into `buf`; returns how many bytes could be
    /// read (fewer than `buf.len()` when the executable mapping ends, zero if `addr` is not
    /// executable guest memory).
    fn read_code(&self, addr: GuestAddr, buf: &mut [u8]) -> usize;
    /// Whether `addr` is mapped guest memory at all (executable or not): a fetch there that
    /// fails is an access error (SEGV_ACCERR), not a missing mapping (SEGV_MAPERR).
    fn is_mapped(&self, _addr: GuestAddr) -> bool {
        false
    }

    /// [`Self::read_code`] without write-protecting what is read (for a translation that
    /// runs once and is not kept: see [`Unprotected`]).
    fn read_code_unprotected(&self, addr: GuestAddr, buf: &mut [u8]) -> usize {
        self.read_code(addr, buf)
    }
}

/// A [`CodeSource`] that reads without protecting: the one-instruction block the dispatcher
/// runs after a store into the block it was running (a store that may write its own page
/// again, which must not fault forever).
pub struct Unprotected<'a>(pub &'a dyn CodeSource);

impl CodeSource for Unprotected<'_> {
    fn read_code(&self, addr: GuestAddr, buf: &mut [u8]) -> usize {
        self.0.read_code_unprotected(addr, buf)
    }

    fn is_mapped(&self, addr: GuestAddr) -> bool {
        self.0.is_mapped(addr)
    }
}

/// A byte slice placed at a guest address: the [`CodeSource`] of unit tests.
pub struct SliceCode<'a> {
    pub base: GuestAddr,
    pub bytes: &'a [u8],
}

impl CodeSource for SliceCode<'_> {
    fn read_code(&self, addr: GuestAddr, buf: &mut [u8]) -> usize {
        let Some(off) = addr.0.checked_sub(self.base.0) else {
            return 0;
        };
        let Some(rest) = self.bytes.get(off as usize..) else {
            return 0;
        };
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        n
    }
}

impl CodeSource for GuestMemory {
    fn is_mapped(&self, addr: GuestAddr) -> bool {
        self.region_at(addr.0).is_some()
    }

    /// Reads from guest memory that is mapped with guest `PROT_EXEC`, across adjacent
    /// executable mappings; stops at the first byte that is not.
    fn read_code(&self, addr: GuestAddr, buf: &mut [u8]) -> usize {
        // Protected before it is read, so that a write from now on (by another thread too)
        // is seen (see `protect.rs`).
        self.protect_code(addr.0, addr.0.saturating_add(buf.len() as u64));
        self.read_code_unprotected(addr, buf)
    }

    fn read_code_unprotected(&self, addr: GuestAddr, buf: &mut [u8]) -> usize {
        let start = addr.0;
        let Some(want_end) = start.checked_add(buf.len() as u64) else {
            return 0;
        };
        // Called for every block translated: walk the table without allocating.
        let Some(first) = self.region_at(start).filter(Region::is_exec) else {
            return 0;
        };
        let mut end = first.end.min(want_end);
        let rest = if end < want_end { end..want_end } else { end..end };
        for (&s, &(e, prot)) in self.regions.range(rest) {
            if s != end || prot & libc::PROT_EXEC == 0 {
                break;
            }
            end = e.min(want_end);
        }
        let n = (end - start) as usize;
        // SAFETY: [start, end) is guest memory with guest PROT_EXEC, which is host-readable.
        unsafe { std::ptr::copy_nonoverlapping(start as *const u8, buf.as_mut_ptr(), n) };
        n
    }
}
