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

#[repr(C)]
#[derive(Clone, Copy)]
struct Entry {
    guest_pc: u64,
    host_code: u64,
}

pub struct JumpTable {
    entries: Box<[Entry]>,
}

impl Default for JumpTable {
    fn default() -> Self {
        let mut t = JumpTable { entries: Vec::new().into_boxed_slice() };
        t.entries = (0..ENTRIES).map(|i| Entry { guest_pc: empty_pc(i), host_code: 0 }).collect();
        t
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

    pub fn insert(&mut self, pc: GuestAddr, code: HostCode) {
        self.entries[Self::index(pc.0)] = Entry { guest_pc: pc.0, host_code: code.0 as u64 };
    }

    pub fn get(&self, pc: GuestAddr) -> Option<HostCode> {
        let e = self.entries[Self::index(pc.0)];
        (e.guest_pc == pc.0).then_some(HostCode(e.host_code as usize))
    }

    /// Empties the entry of `pc` if it still leads to `code`.
    pub fn remove(&mut self, pc: GuestAddr, code: HostCode) {
        if self.get(pc) == Some(code) {
            let index = Self::index(pc.0);
            self.entries[index] = Entry { guest_pc: empty_pc(index), host_code: 0 };
        }
    }

    pub fn clear(&mut self) {
        for (i, e) in self.entries.iter_mut().enumerate() {
            *e = Entry { guest_pc: empty_pc(i), host_code: 0 };
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
        assert_ne!(JumpTable::index(t.entries[index].guest_pc), index, "left as an empty entry");
    }

    #[test]
    fn empty_entries_match_no_address() {
        let t = JumpTable::default();
        for i in 0..ENTRIES {
            let e = t.entries[i];
            assert_ne!(JumpTable::index(e.guest_pc), i, "entry {i}");
        }
        for pc in [0, 4, u64::MAX, 1 << 63, 0x401000] {
            assert_eq!(t.get(GuestAddr(pc)), None);
        }
    }
}
