//! The code cache: executable memory for translated blocks, and the map from guest address to
//! host code ([`BlockMap`]).
//!
//! Translated code lives in one region. Backends write and patch it only through
//! [`CodeCache`] (`append`, `patch`), which keeps a write view and an execute view: the same
//! RWX mapping where the host allows it, or two views of one memfd where the host enforces
//! W^X (see [`CodeCache::new`]).

pub mod jump_table;
mod memory;

pub use jump_table::JumpTable;
pub use memory::CodeCache;

use crate::ir::GuestAddr;
use hashbrown::HashMap;

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
    pub fn len(&self) -> usize {
        self.blocks.len()
    }
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }
}
