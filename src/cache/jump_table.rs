//! The jump table: a direct-mapped table from guest address to host code that translated
//! code probes itself on an indirect branch or a return, so that the common case of a target
//! that is already translated never goes back to the dispatcher.
//!
//! Each entry is 16 bytes, `{ guest_pc: u64, host_code: u64 }`, at
//! `table + 16 * JumpTable::index(pc)`. An empty entry must match no guest address, and any
//! 64-bit value may reach the probe (a guest may jump anywhere, and must then fault), so an
//! empty entry holds a guest pc that hashes to a *different* index: no address that is looked
//! up in that entry can equal it. Backends emit the probe (hash, load, compare, branch) and fall
//! back to an `ExitReason::Lookup` exit on a miss; the dispatcher fills the entry for the
//! target then. Flushing the code cache clears the table.

use super::HostCode;
use crate::ir::GuestAddr;
use std::sync::atomic::{AtomicU64, Ordering};

/// Number of entries (a power of two).
pub const ENTRIES: usize = 4096;
/// The guest pc stored in empty entry `index`: an address whose own index differs.
const fn empty_pc(index: usize) -> u64 {
    if index == 0 {
        4
    } else {
        0
    }
}

/// One entry. Atomics, because translated code on other threads reads them while the
/// dispatcher writes: the probe reads `guest_pc` first (acquire on AArch64 hosts; x86 keeps
/// loads in order) and `host_code` after, and an insert writes `host_code` first and
/// `guest_pc` last (release), so a probe that sees the pc sees its code.
#[repr(C)]
struct Entry {
    guest_pc: AtomicU64,
    host_code: AtomicU64,
}

/// The table. Single-threaded, an insert overwrites whatever the entry held. With several
/// threads ([`JumpTable::set_write_once`]) an entry is filled at most once: a probe on another
/// thread that read an old `guest_pc` must not then read the `host_code` of a newer one, so
/// an entry that ever held code is only emptied (its `guest_pc`), never refilled; a later
/// target that maps there goes through the dispatcher.
pub struct JumpTable {
    entries: Box<[Entry]>,
    write_once: bool,
}

impl Default for JumpTable {
    fn default() -> Self {
        let entries = (0..ENTRIES)
            .map(|i| Entry { guest_pc: AtomicU64::new(empty_pc(i)), host_code: AtomicU64::new(0) })
            .collect();
        JumpTable { entries, write_once: false }
    }
}

impl JumpTable {
    /// The entry index of `pc`: `((pc >> 2) ^ (pc >> 14)) mod ENTRIES`. Backends emit
    /// exactly this computation.
    pub const fn index(pc: u64) -> usize {
        (((pc >> 2) ^ (pc >> 14)) as usize) & (ENTRIES - 1)
    }

    /// Address of the first entry, for the probes emitted by backends. Stable for the life of
    /// the table.
    pub fn address(&self) -> usize {
        self.entries.as_ptr() as usize
    }

    /// From now on, fill each entry at most once (see [`JumpTable`]).
    pub fn set_write_once(&mut self) {
        self.write_once = true;
    }

    pub fn insert(&mut self, pc: GuestAddr, code: HostCode) {
        let e = &self.entries[Self::index(pc.0)];
        if self.write_once && e.host_code.load(Ordering::Relaxed) != 0 {
            return;
        }
        // Emptied first, so that a probe never pairs the old pc with the new code.
        e.guest_pc.store(empty_pc(Self::index(pc.0)), Ordering::Relaxed);
        e.host_code.store(code.0 as u64, Ordering::Relaxed);
        e.guest_pc.store(pc.0, Ordering::Release);
    }

    pub fn get(&self, pc: GuestAddr) -> Option<HostCode> {
        let e = &self.entries[Self::index(pc.0)];
        (e.guest_pc.load(Ordering::Acquire) == pc.0)
            .then(|| HostCode(e.host_code.load(Ordering::Relaxed) as usize))
    }

    /// Empties the entry of `pc` if it still leads to `code` (its code word stays: with
    /// several threads, the entry is never filled again).
    pub fn remove(&mut self, pc: GuestAddr, code: HostCode) {
        if self.get(pc) == Some(code) {
            let index = Self::index(pc.0);
            self.entries[index].guest_pc.store(empty_pc(index), Ordering::Release);
        }
    }

    /// Empties every entry (single-threaded only: a threaded cache takes a new table).
    pub fn clear(&mut self) {
        for (i, e) in self.entries.iter().enumerate() {
            e.guest_pc.store(empty_pc(i), Ordering::Relaxed);
            e.host_code.store(0, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_get_clear() {
        let mut t = JumpTable::default();
        assert_eq!(t.get(GuestAddr(0x401000)), None);
        t.insert(GuestAddr(0x401000), HostCode(0x1234));
        assert_eq!(t.get(GuestAddr(0x401000)), Some(HostCode(0x1234)));
        t.clear();
        assert_eq!(t.get(GuestAddr(0x401000)), None);
    }

    #[test]
    fn remove_empties_only_the_entry_of_that_block() {
        let mut t = JumpTable::default();
        t.insert(GuestAddr(0x401000), HostCode(0x1234));
        t.remove(GuestAddr(0x401000), HostCode(0x9999));
        assert_eq!(t.get(GuestAddr(0x401000)), Some(HostCode(0x1234)), "another block's code");
        t.remove(GuestAddr(0x401000), HostCode(0x1234));
        assert_eq!(t.get(GuestAddr(0x401000)), None);
        let index = JumpTable::index(0x401000);
        let left = t.entries[index].guest_pc.load(Ordering::Relaxed);
        assert_ne!(JumpTable::index(left), index, "left as an empty entry");
    }

    #[test]
    fn write_once_entries_are_emptied_but_never_refilled() {
        let mut t = JumpTable::default();
        t.insert(GuestAddr(0x401000), HostCode(0x1234));
        t.set_write_once();
        let other = (1..)
            .map(|k| 0x401000 + 4 * k)
            .find(|&p| JumpTable::index(p) == JumpTable::index(0x401000))
            .unwrap();
        assert_eq!(JumpTable::index(other), JumpTable::index(0x401000));
        t.insert(GuestAddr(other), HostCode(0x5678));
        assert_eq!(t.get(GuestAddr(0x401000)), Some(HostCode(0x1234)), "not overwritten");
        t.remove(GuestAddr(0x401000), HostCode(0x1234));
        t.insert(GuestAddr(other), HostCode(0x5678));
        assert_eq!(t.get(GuestAddr(other)), None, "not refilled");
        let mut fresh = JumpTable::default();
        fresh.set_write_once();
        fresh.insert(GuestAddr(other), HostCode(0x5678));
        assert_eq!(fresh.get(GuestAddr(other)), Some(HostCode(0x5678)), "empty entries fill");
    }

    #[test]
    fn empty_entries_match_no_address() {
        let t = JumpTable::default();
        for i in 0..ENTRIES {
            let pc = t.entries[i].guest_pc.load(Ordering::Relaxed);
            assert_ne!(JumpTable::index(pc), i, "entry {i}");
        }
        for pc in [0, 4, u64::MAX, 1 << 63, 0x401000] {
            assert_eq!(t.get(GuestAddr(pc)), None);
        }
    }
}
