//! Reading guest code: [`CodeSource`], what a frontend translates from, implemented by
//! [`GuestMemory`] (executable guest mappings only) and by [`SliceCode`] (a byte slice placed
//! at a guest address, for tests); [`ReadAhead`] reads it in larger pieces.

use super::{GuestMemory, Region, PAGE_SIZE};
use crate::ir::GuestAddr;
use std::cell::{Cell, RefCell};

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

/// How many bytes [`ReadAhead`] reads at once.
const READ_AHEAD: usize = 128;

/// A [`CodeSource`] that reads ahead, for one translation: a read it cannot serve fetches up
/// to [`READ_AHEAD`] bytes from `addr` (not past the end of `addr`'s page) from the source,
/// and the reads that follow inside those bytes are served from the copy. A frontend reads
/// one instruction at a time, and each read of guest memory costs a region lookup and a
/// page-protection check. The results are the source's: a read is served only when all its
/// bytes were readable, and every byte served lies in the page that the fetch protected,
/// as the source would have for that read (a read that the rest of its page cannot hold goes
/// to the source), so what wraps it (the persistent cache's recorder, the lookahead's
/// capture) sees the same reads.
pub struct ReadAhead<'a> {
    code: &'a dyn CodeSource,
    /// The copy: `len` bytes from guest address `start`.
    start: Cell<u64>,
    len: Cell<usize>,
    bytes: RefCell<[u8; READ_AHEAD]>,
}

impl<'a> ReadAhead<'a> {
    pub fn new(code: &'a dyn CodeSource) -> Self {
        ReadAhead { code, start: Cell::new(0), len: Cell::new(0), bytes: RefCell::new([0; READ_AHEAD]) }
    }
}

impl CodeSource for ReadAhead<'_> {
    fn read_code(&self, addr: GuestAddr, buf: &mut [u8]) -> usize {
        let want = buf.len();
        let mut bytes = self.bytes.borrow_mut();
        let (start, len) = (self.start.get(), self.len.get());
        if let Some(at) = addr.0.checked_sub(start).filter(|&at| at < len as u64) {
            let at = at as usize;
            if len - at >= want {
                buf.copy_from_slice(&bytes[at..at + want]);
                return want;
            }
        }
        let page_rest = PAGE_SIZE - (addr.0 & (PAGE_SIZE - 1));
        let fetch = page_rest.min(READ_AHEAD as u64) as usize;
        if fetch < want {
            return self.code.read_code(addr, buf);
        }
        let got = self.code.read_code(addr, &mut bytes[..fetch]);
        self.start.set(addr.0);
        self.len.set(got);
        let n = got.min(want);
        buf[..n].copy_from_slice(&bytes[..n]);
        n
    }

    fn is_mapped(&self, addr: GuestAddr) -> bool {
        self.code.is_mapped(addr)
    }

    fn read_code_unprotected(&self, addr: GuestAddr, buf: &mut [u8]) -> usize {
        self.code.read_code_unprotected(addr, buf)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A slice that counts the reads made of it.
    struct Counted<'a>(SliceCode<'a>, Cell<usize>);

    impl CodeSource for Counted<'_> {
        fn read_code(&self, addr: GuestAddr, buf: &mut [u8]) -> usize {
            self.1.set(self.1.get() + 1);
            self.0.read_code(addr, buf)
        }
    }

    /// Every read through a `ReadAhead` returns what the source returns (count and bytes,
    /// the rest of the buffer untouched), near page ends and the end of the code too, and
    /// one instruction after another costs one read of the source per 128 bytes.
    #[test]
    fn reading_ahead_returns_what_the_source_returns() {
        let bytes: Vec<u8> = (0..3 * PAGE_SIZE as usize - 100).map(|i| (i * 7 + i / 251) as u8).collect();
        let base = GuestAddr(0x10000 - 40);
        let code = Counted(SliceCode { base, bytes: &bytes }, Cell::new(0));
        let ahead = ReadAhead::new(&code);
        let mut rng = 0x1234_5678u64;
        let end = base.0 + bytes.len() as u64;
        let mut addr = base.0 - 3;
        while addr < end + 20 {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let want = 1 + (rng >> 33) as usize % 15;
            let (mut a, mut b) = ([0xaau8; 15], [0xaau8; 15]);
            let n = ahead.read_code(GuestAddr(addr), &mut a[..want]);
            assert_eq!(n, code.0.read_code(GuestAddr(addr), &mut b[..want]), "at {addr:#x}");
            assert_eq!(a, b, "at {addr:#x}");
            // Mostly forward by an instruction, sometimes back or far ahead.
            addr = match (rng >> 40) % 16 {
                0 => addr.saturating_sub(30),
                1 => addr + 300,
                _ => addr + 1 + (rng >> 50) % 15,
            };
        }
        let fresh = Counted(SliceCode { base, bytes: &bytes }, Cell::new(0));
        let ahead = ReadAhead::new(&fresh);
        let mut buf = [0u8; 4];
        for a in (0x10000..0x10000 + 1024).step_by(4) {
            assert_eq!(ahead.read_code(GuestAddr(a), &mut buf), 4);
        }
        assert_eq!(fresh.1.get(), 1024 / 128);
    }
}
