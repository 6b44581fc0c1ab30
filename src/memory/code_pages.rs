//! The guest pages that translated code was read from, in a table the host signal handler can
//! read without a lock (see "Self-modifying code" in docs/ARCHITECTURE.md).
//!
//! Each entry is one atomic word: the page number and three bits. `PROTECTED`: the host
//! mapping of the page is read-only because translations were made from it (whatever the
//! guest's protection is). `DIRTY`: a write reached the page since (the signal handler, or the
//! syscall layer before a call that writes there, took the protection off): the translations
//! of the page must be dropped. `GUEST_WRITABLE`: the guest's own protection allows writes
//! (kept in step by [`super::GuestMemory`] whenever its region table changes), so a write
//! fault on a protected page is the translator's and not the guest's.
//!
//! One writer at a time changes entries' pages (the world's lock: [`super::GuestMemory`]);
//! signal handlers on any thread only read entries and set `DIRTY`. Entries are never removed
//! (a page stays known once it held code), so a lookup never misses a page that was
//! protected: open addressing with linear probing, no tombstones. When the table is full, new
//! pages are not protected and [`CodePages::overflowed`] says so (their changes go unseen,
//! as before this table existed).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// How many pages the table holds (256 MiB of guest code).
pub const CAPACITY: usize = 1 << 16;

/// The host mapping is read-only because of translations.
pub const PROTECTED: u64 = 1;
/// Written since it was protected: its translations must be dropped.
pub const DIRTY: u64 = 2;
/// The guest's protection allows writes.
pub const GUEST_WRITABLE: u64 = 4;
const FLAGS: u64 = 0xfff;

/// The lock-free page table (see the module documentation).
pub struct CodePages {
    entries: Box<[AtomicU64]>,
    /// Set by a handler that marked a page `DIRTY`; the dispatcher takes it at its next
    /// return from translated code ([`CodePages::take_dirty_flag`]).
    dirty: AtomicBool,
    overflowed: AtomicBool,
}

impl Default for CodePages {
    fn default() -> Self {
        Self::new()
    }
}

impl CodePages {
    pub fn new() -> CodePages {
        CodePages {
            entries: (0..CAPACITY).map(|_| AtomicU64::new(0)).collect(),
            dirty: AtomicBool::new(false),
            overflowed: AtomicBool::new(false),
        }
    }

    fn slot(page: u64) -> usize {
        // Fibonacci hashing of the page number.
        (page.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - CAPACITY.trailing_zeros())) as usize
    }

    /// The entry of `page` (a page number: address / 4096), if the page is known.
    /// Async-signal-safe.
    pub fn get(&self, page: u64) -> Option<&AtomicU64> {
        let mut i = Self::slot(page);
        for _ in 0..CAPACITY {
            let e = &self.entries[i];
            let v = e.load(Ordering::Acquire);
            if v == 0 {
                return None;
            }
            if v >> 12 == page {
                return Some(e);
            }
            i = (i + 1) & (CAPACITY - 1);
        }
        None
    }

    /// The entry of `page`, made (with no flags) if it is new; `None` if the table is full.
    /// Only the world's lock holder calls this.
    pub fn get_or_insert(&self, page: u64) -> Option<&AtomicU64> {
        let mut i = Self::slot(page);
        for _ in 0..CAPACITY {
            let e = &self.entries[i];
            let v = e.load(Ordering::Acquire);
            if v == 0 {
                e.store(page << 12, Ordering::Release);
                return Some(e);
            }
            if v >> 12 == page {
                return Some(e);
            }
            i = (i + 1) & (CAPACITY - 1);
        }
        self.overflowed.store(true, Ordering::Relaxed);
        None
    }

    /// Whether some page could not be entered (the table is full).
    pub fn overflowed(&self) -> bool {
        self.overflowed.load(Ordering::Relaxed)
    }

    /// The flags of an entry.
    pub fn flags(entry: &AtomicU64) -> u64 {
        entry.load(Ordering::Acquire) & FLAGS
    }

    /// Sets and clears flags of an entry (atomically: a handler may set `DIRTY` meanwhile).
    pub fn update(entry: &AtomicU64, set: u64, clear: u64) -> u64 {
        let old = entry.fetch_or(set, Ordering::SeqCst);
        if clear != 0 {
            entry.fetch_and(!clear, Ordering::SeqCst);
        }
        old & FLAGS
    }

    /// Marks a page written (async-signal-safe): its entry `DIRTY`, not `PROTECTED`, and the
    /// table's dirty flag raised. The caller has made the host page writable first.
    pub fn mark_dirty(&self, entry: &AtomicU64) {
        Self::update(entry, DIRTY, PROTECTED);
        self.dirty.store(true, Ordering::SeqCst);
    }

    /// Lowers the dirty flag and says whether it was raised (then some entry may be `DIRTY`).
    pub fn take_dirty_flag(&self) -> bool {
        self.dirty.load(Ordering::Relaxed) && self.dirty.swap(false, Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_found_after_insertion_and_keep_their_flags() {
        let t = CodePages::new();
        assert!(t.get(0x401).is_none());
        let e = t.get_or_insert(0x401).unwrap();
        CodePages::update(e, PROTECTED | GUEST_WRITABLE, 0);
        // A colliding page lands in another slot.
        let mut other = 0x402;
        while CodePages::slot(other) != CodePages::slot(0x401) {
            other += 1;
        }
        t.get_or_insert(other).unwrap();
        assert_eq!(CodePages::flags(t.get(0x401).unwrap()), PROTECTED | GUEST_WRITABLE);
        assert_eq!(CodePages::flags(t.get(other).unwrap()), 0);
        assert!(!t.take_dirty_flag());
        t.mark_dirty(t.get(0x401).unwrap());
        assert_eq!(CodePages::flags(t.get(0x401).unwrap()), DIRTY | GUEST_WRITABLE);
        assert!(t.take_dirty_flag());
        assert!(!t.take_dirty_flag());
    }
}
