//! Looking ahead past a block's exits: which of the guest's flag bytes the code at each known
//! target overwrites before it can read them ([`ir::liveness`](crate::ir::liveness)), so
//! that the block need not compute them for that exit.
//!
//! For every known target of the block's exits (a jump, both sides of a branch, a side
//! exit's jump), the frontend translates the instructions there one at a time into scratch
//! blocks (never compiled, never kept) and scans each (`ir::liveness::DeadScan`: a state
//! load whose value nothing uses, after constant folding, is not a read), until every candidate byte is decided, something may read
//! them all (a helper, a side exit, any exit but to one known place: the next instruction or
//! a direct jump's target, followed on), or
//! [`LOOKAHEAD_INSNS`] instructions are scanned. The scratch translation reads
//! guest code only on the guest pages that hold the block's own bytes: a write to any of
//! those pages drops the block (translations are dropped by whole written pages, and a block
//! depends on every byte it covers: see `cache::BlockEntry::depends_on`), so the answer can
//! never outlive the bytes it was read from. A target on another page, or code that runs off
//! the allowed pages, keeps every byte live.

use super::CodeSource;
use crate::ir::{liveness, Block, Exit, GuestAddr, StateOffset};
use crate::memory::PAGE_SIZE;

/// How many guest instructions at a target are translated to find the flags it overwrites.
/// Flags are mostly rewritten by the first or second instruction; a target that reads or
/// leaves first decides early, so the bound only limits straight-line code that ignores the
/// flags.
pub const LOOKAHEAD_INSNS: u32 = 8;

/// Guest code in `[lo, hi)` only: reads outside it find nothing (the scratch translation then
/// ends there with a trap, which keeps every byte live).
struct Bounded<'a> {
    code: &'a dyn CodeSource,
    lo: u64,
    hi: u64,
}

impl Bounded<'_> {
    fn bound(&self, addr: GuestAddr, len: usize) -> usize {
        if addr.0 < self.lo || addr.0 >= self.hi {
            return 0;
        }
        len.min((self.hi - addr.0) as usize)
    }
}

impl CodeSource for Bounded<'_> {
    fn read_code(&self, addr: GuestAddr, buf: &mut [u8]) -> usize {
        let n = self.bound(addr, buf.len());
        if n == 0 {
            return 0;
        }
        self.code.read_code(addr, &mut buf[..n])
    }

    fn is_mapped(&self, addr: GuestAddr) -> bool {
        self.code.is_mapped(addr)
    }

    fn read_code_unprotected(&self, addr: GuestAddr, buf: &mut [u8]) -> usize {
        let n = self.bound(addr, buf.len());
        if n == 0 {
            return 0;
        }
        self.code.read_code_unprotected(addr, &mut buf[..n])
    }
}

/// The guest pages holding `block`'s own bytes, as an address range (empty for a block of no
/// bytes).
pub fn own_pages(block: &Block) -> std::ops::Range<u64> {
    if block.guest_len == 0 {
        return 0..0;
    }
    let lo = block.start.0 & !(PAGE_SIZE - 1);
    let last = block.start.0.saturating_add(u64::from(block.guest_len) - 1);
    let hi = (last & !(PAGE_SIZE - 1)).saturating_add(PAGE_SIZE);
    lo..hi
}

/// Fills `block.dead_on_entry` for the bytes of `candidates` (the guest's flags): `translate`
/// translates at most the given number of instructions at an address from a code source
/// (the frontend without lookahead of its own).
pub fn look_ahead(
    block: &mut Block,
    code: &dyn CodeSource,
    candidates: &[StateOffset],
    mut translate: impl FnMut(&dyn CodeSource, GuestAddr, u32) -> Block,
) {
    let pages = own_pages(block);
    let bounded = Bounded { code, lo: pages.start, hi: pages.end };
    for target in liveness::block_targets(block) {
        if !pages.contains(&target.0) {
            continue;
        }
        // One instruction at a time, so that the search stops as soon as every byte is
        // decided (mostly at the first or second instruction).
        let mut scan = liveness::DeadScan::new(candidates);
        let mut pc = target;
        for _ in 0..LOOKAHEAD_INSNS {
            let one = translate(&bounded, pc, 1);
            if !scan.ops(&one) {
                break;
            }
            // On to where the instruction continues when that is one known place: the next
            // instruction, or the target of a direct jump (a jump reads no state, and the code
            // there runs next, whichever block holds it). Any other exit may read anything.
            match one.exit {
                Exit::Jump(to) if one.guest_insns == 1 => pc = to,
                _ => break,
            }
        }
        liveness::record(block, target, scan.finish());
    }
}
