//! What `--report` records while the guest runs: one execution counter per translated block,
//! incremented by the block's own code at its entry (`Backend::set_entry_counter`), and a
//! copy of each block's guest and host code taken when it is compiled; plus the guest's
//! system calls by name, count and time.
//!
//! Counters live in chunks of [`CHUNK`] that never move, so the address compiled into a block
//! stays valid for the life of the profile. They are atomics only so that Rust may read what
//! translated code wrote behind its back (interior mutability); translated code increments
//! them with a plain load-add-store.

use crate::backend::{CompiledBlock, InsnStart};
use crate::ir::{self, Exit, Op};
use crate::memory::code::CodeSource;
use hashbrown::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Counters per allocation.
const CHUNK: usize = 4096;

/// How a block ends, in the report's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExitKind {
    /// `Jump`: chainable (a direct host jump once linked).
    Jump,
    /// `Branch`: two chainable targets.
    Branch,
    /// `Indirect`: jump-table probe in host code, else a lookup in the dispatcher.
    Indirect,
    /// `Return`: as `Indirect`.
    Return,
    Syscall,
    /// `Invalidate`: flushes translations (A64 `IC IVAU`).
    Invalidate,
    Trap,
}

impl ExitKind {
    pub fn of(exit: &Exit) -> ExitKind {
        match exit {
            Exit::Jump(_) => ExitKind::Jump,
            Exit::Branch { .. } => ExitKind::Branch,
            Exit::Indirect(_) => ExitKind::Indirect,
            Exit::Return(_) => ExitKind::Return,
            Exit::Syscall { .. } => ExitKind::Syscall,
            Exit::Invalidate { .. } => ExitKind::Invalidate,
            Exit::Trap { .. } => ExitKind::Trap,
        }
    }

    /// The stable name (JSON) and label (HTML).
    pub fn name(self) -> &'static str {
        match self {
            ExitKind::Jump => "jump",
            ExitKind::Branch => "branch",
            ExitKind::Indirect => "indirect",
            ExitKind::Return => "return",
            ExitKind::Syscall => "syscall",
            ExitKind::Invalidate => "invalidate",
            ExitKind::Trap => "trap",
        }
    }

    /// What the exit costs, for people.
    pub fn explain(self) -> &'static str {
        match self {
            ExitKind::Jump => "direct jump, chained to the target once taken",
            ExitKind::Branch => "conditional branch, both sides chained once taken",
            ExitKind::Indirect => "indirect jump: jump-table probe, dispatcher lookup on a miss",
            ExitKind::Return => "return: jump-table probe, dispatcher lookup on a miss",
            ExitKind::Syscall => "system call: back to the dispatcher and the syscall layer",
            ExitKind::Invalidate => "cache maintenance: drops translations of written code",
            ExitKind::Trap => "trap: the guest dies by a signal",
        }
    }
}

/// One translation of one block, as compiled.
#[derive(Clone, Debug)]
pub struct BlockRecord {
    pub guest_addr: u64,
    pub guest_code: Vec<u8>,
    pub guest_insns: u32,
    /// Where the host code ran, and its bytes as emitted (before any chain link was patched).
    pub host_addr: u64,
    pub host_code: Vec<u8>,
    pub exit: ExitKind,
    /// Side exits (`ExitIf`) before the final exit.
    pub side_exits: u32,
    /// Helper calls in the block, by helper name.
    pub helpers: Vec<&'static str>,
    /// Where each guest instruction's host code starts, and where the exit code starts
    /// ([`crate::backend::CompiledBlock`]).
    pub insn_starts: Vec<InsnStart>,
    pub exits_at: u32,
}

/// The recorder: execution counters and block copies, in translation order.
#[derive(Default)]
pub struct Profile {
    counters: Vec<Box<[AtomicU64]>>,
    blocks: Vec<BlockRecord>,
}

impl Profile {
    /// The address of the counter for the next block [`Self::record`] will be given.
    pub fn next_counter(&mut self) -> usize {
        let index = self.blocks.len();
        while self.counters.len() * CHUNK <= index {
            self.counters.push((0..CHUNK).map(|_| AtomicU64::new(0)).collect());
        }
        self.counters[index / CHUNK][index % CHUNK].as_ptr() as usize
    }

    /// Records the block just compiled with the counter of [`Self::next_counter`]; its guest
    /// code is read from `code`, its host code is `host_code` at `host_addr`.
    pub fn record(
        &mut self,
        block: &ir::Block,
        code: &dyn CodeSource,
        host_addr: u64,
        host_code: &[u8],
        compiled: &CompiledBlock,
    ) {
        let mut guest_code = vec![0; block.guest_len as usize];
        let read = code.read_code(block.start, &mut guest_code);
        guest_code.truncate(read);
        let mut side_exits = 0;
        let mut helpers = Vec::new();
        for op in &block.ops {
            match op {
                Op::ExitIf { .. } => side_exits += 1,
                Op::CallHelper { helper, .. } => helpers.push(helper.name),
                _ => {}
            }
        }
        self.blocks.push(BlockRecord {
            guest_addr: block.start.0,
            guest_code,
            guest_insns: block.guest_insns,
            host_addr,
            host_code: host_code.to_vec(),
            exit: ExitKind::of(&block.exit),
            side_exits,
            helpers,
            insn_starts: compiled.insn_starts.clone(),
            exits_at: compiled.exits_at,
        });
    }

    /// The counter at `addr` (an address [`Self::next_counter`] gave), for tests that play
    /// translated code.
    #[cfg(test)]
    pub fn counter_at(&self, addr: usize) -> Option<&AtomicU64> {
        self.counters.iter().flat_map(|c| c.iter()).find(|c| c.as_ptr() as usize == addr)
    }

    /// Every translation with how often its code was entered.
    pub fn blocks(&self) -> impl Iterator<Item = (&BlockRecord, u64)> {
        self.blocks
            .iter()
            .enumerate()
            .map(|(i, b)| (b, self.counters[i / CHUNK][i % CHUNK].load(Ordering::Relaxed)))
    }
}

/// The guest's system calls by name: how many, and the time in the syscall layer.
#[derive(Default, Debug)]
pub struct SyscallTally {
    by_name: HashMap<String, (u64, Duration)>,
}

impl SyscallTally {
    pub fn record(&mut self, name: &str, time: Duration) {
        let entry = self.by_name.entry_ref(name).or_default();
        entry.0 += 1;
        entry.1 += time;
    }

    /// (name, count, time), most frequent first (then by name).
    pub fn sorted(&self) -> Vec<(String, u64, Duration)> {
        let mut all: Vec<_> = self.by_name.iter().map(|(n, &(c, t))| (n.clone(), c, t)).collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        all
    }
}
