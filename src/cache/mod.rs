//! The code cache: executable memory for translated blocks, and the map from guest address to
//! host code ([`BlockMap`]).
//!
//! Translated code lives in one region. Backends write and patch it only through
//! [`CodeCache`] (`append`, `patch`), which keeps a write view and an execute view: the same
//! RWX mapping where the host allows it, or two views of one memfd where the host enforces
//! W^X (see [`CodeCache::new`]).
//!
//! Dropping translations: [`CodeCache::flush`] drops all of them (a full cache, or a change
//! of guest code that is not a range); [`BlockMap::remove_overlapping`] and
//! [`CodeCache::retire`] drop the blocks whose guest bytes a changed range touches, leaving
//! their host code in place but unreachable (no map entry, no jump-table entry). A block that
//! other blocks jump to directly (a linked chain) needs those chain sites pointed back at
//! their exit stubs first, which the dispatcher does (it records every link). Either way the
//! cache's [`CodeCache::generation`] moves on, so that a chain site or host address obtained
//! before is known to be possibly dead.

pub mod jump_table;
mod memory;

pub use jump_table::JumpTable;
pub use memory::CodeCache;

#[cfg(test)]
mod tests;

use crate::ir::GuestAddr;
use hashbrown::HashMap;
use std::ops::Range;

/// How many bytes past its last instruction a block may have read to decide where it ends
/// (the instruction that ended it with a trap, up to 15 bytes on x86-64): a block depends on
/// `[pc, pc + guest_len + LOOKAHEAD)`.
pub const LOOKAHEAD: u64 = 16;

/// An address in the executable view of the code cache.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct HostCode(pub usize);

/// What the cache knows about one translated block.
#[derive(Clone, Copy, Debug)]
pub struct BlockEntry {
    pub code: HostCode,
    pub guest_len: u32,
    pub guest_insns: u32,
    pub host_len: u32,
    /// Whether some chain site has been linked to jump straight to this block.
    pub chained_into: bool,
}

impl BlockEntry {
    /// Whether the translation of the block at `pc` may depend on guest bytes in `range`:
    /// its own bytes, or those just past it that it read to decide where it ends.
    pub fn depends_on(&self, pc: GuestAddr, range: &Range<u64>) -> bool {
        let end = pc.0.saturating_add(u64::from(self.guest_len)).saturating_add(LOOKAHEAD);
        pc.0 < range.end && range.start < end
    }
}

/// Guest address -> translated block.
#[derive(Default)]
pub struct BlockMap {
    blocks: HashMap<GuestAddr, BlockEntry>,
}

impl BlockMap {
    pub fn get(&self, pc: GuestAddr) -> Option<&BlockEntry> {
        self.blocks.get(&pc)
    }
    pub fn insert(&mut self, pc: GuestAddr, entry: BlockEntry) {
        self.blocks.insert(pc, entry);
    }
    pub fn clear(&mut self) {
        self.blocks.clear();
    }
    /// Records that a chain site now jumps straight to the block at `pc`.
    pub fn mark_chained_into(&mut self, pc: GuestAddr) {
        if let Some(entry) = self.blocks.get_mut(&pc) {
            entry.chained_into = true;
        }
    }
    /// Removes and returns the blocks whose translation depends on guest bytes in `range`
    /// ([`BlockEntry::depends_on`]). The caller restores the chain sites linked into those
    /// that have some (`chained_into`) to their exit stubs.
    pub fn remove_overlapping(&mut self, range: &Range<u64>) -> Vec<(GuestAddr, BlockEntry)> {
        let removed: Vec<(GuestAddr, BlockEntry)> =
            self.blocks.iter().filter(|(pc, e)| e.depends_on(**pc, range)).map(|(pc, e)| (*pc, *e)).collect();
        for (pc, _) in &removed {
            self.blocks.remove(pc);
        }
        removed
    }
    pub fn len(&self) -> usize {
        self.blocks.len()
    }
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }
}
