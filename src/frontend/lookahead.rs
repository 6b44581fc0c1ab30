//! Looking ahead past a block's exits: which of the guest's flag bytes the code at each known
//! target overwrites before it can read them ([`ir::liveness`](crate::ir::liveness)), so
//! that the block need not compute them for that exit.
//!
//! For every known target of the block's exits (a jump, both sides of a branch, a side
//! exit's jump), the frontend translates the instructions there one at a time into scratch
//! blocks (never compiled, never kept) and scans each (`ir::liveness::DeadScan`: a state
//! load whose value nothing uses, after constant folding, is not a read), until every
//! candidate byte is decided, something may read
//! them all (a helper, a side exit, any exit but to one known place: the next instruction or
//! a direct jump's target, followed on), or
//! [`LOOKAHEAD_INSNS`] instructions are scanned. The scratch translation reads
//! guest code only on the guest pages that hold the block's own bytes: a write to any of
//! those pages drops the block (translations are dropped by whole written pages, and a block
//! depends on every byte it covers: see `cache::BlockEntry::depends_on`), so the answer can
//! never outlive the bytes it was read from. A target on another page, or code that runs off
//! the allowed pages, keeps every byte live.
//!
//! What one instruction does to the candidate bytes depends only on its bytes and address, so
//! it is translated and scanned once: [`Summaries`] keeps, per guest address, the
//! instruction's bytes and which candidates it writes first, reads first, and where (if
//! anywhere) the scan goes on after it. A later lookahead reading the same bytes at that address (read
//! through the same bounded source, so the pages it protects and the bytes the persistent
//! cache records are the same) takes the summary instead of translating again; other bytes
//! there (code written since) are translated and summarised anew.

use super::CodeSource;
use crate::ir::{liveness, Block, Exit, GuestAddr, StateOffset};
use crate::memory::PAGE_SIZE;
use hashbrown::HashMap;

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

/// A code source that keeps a copy of the first read through it (up to
/// [`MAX_INSN_BYTES`] bytes, and how many were read).
struct Capture<'a> {
    code: &'a dyn CodeSource,
    first: std::cell::Cell<Option<([u8; MAX_INSN_BYTES], usize)>>,
}

impl CodeSource for Capture<'_> {
    fn read_code(&self, addr: GuestAddr, buf: &mut [u8]) -> usize {
        let n = self.code.read_code(addr, buf);
        if self.first.get().is_none() {
            let mut kept = [0u8; MAX_INSN_BYTES];
            let k = n.min(MAX_INSN_BYTES);
            kept[..k].copy_from_slice(&buf[..k]);
            self.first.set(Some((kept, k)));
        }
        n
    }

    fn is_mapped(&self, addr: GuestAddr) -> bool {
        self.code.is_mapped(addr)
    }

    fn read_code_unprotected(&self, addr: GuestAddr, buf: &mut [u8]) -> usize {
        self.code.read_code_unprotected(addr, buf)
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

/// The longest instruction a summary keeps the bytes of (x86's limit; A64's are 4).
const MAX_INSN_BYTES: usize = 15;

/// Summaries kept at most; the table is emptied when it would hold more.
const MAX_SUMMARIES: usize = 1 << 16;

/// What the one instruction at an address does to the candidate bytes (bit `i` stands for
/// `candidates[i]`), from its scratch translation.
#[derive(Clone, Copy)]
struct Summary {
    /// The instruction's bytes (`len` of them).
    bytes: [u8; MAX_INSN_BYTES],
    len: u8,
    /// Candidates it writes before anything reads them.
    written: u64,
    /// Candidates it reads (or may read) first.
    read: u64,
    /// Where the scan goes on after it, if anywhere: it called no helper and took no side
    /// exit, and it leaves to one known place, the next instruction or the target of a direct
    /// jump (a jump reads no state, and the code there runs next, whichever block holds it).
    /// Any other exit may read anything.
    next: Option<GuestAddr>,
}

/// Per-address [`Summary`]s of the instructions a frontend's lookahead scanned, for the
/// candidates it asked about (a different set empties the table).
#[derive(Default)]
pub struct Summaries {
    candidates: Vec<StateOffset>,
    at: HashMap<u64, Summary>,
    /// The scan of one scratch translation, its buffers kept from one to the next.
    scan: liveness::DeadScan,
}

impl Summaries {
    /// Forgets every summary (the frontend's translation of the same bytes changed).
    pub fn clear(&mut self) {
        self.at.clear();
    }

    /// The summary of the instruction at `pc`, translating and scanning it only when no
    /// summary of the same bytes there is kept. None when the instruction is not one whole
    /// translated instruction inside `code` (cut off by its bounds, invalid, unsupported):
    /// such a place is scanned afresh each time.
    fn get(
        &mut self,
        code: &Bounded,
        pc: GuestAddr,
        translate: &mut impl FnMut(&dyn CodeSource, GuestAddr, u32) -> Block,
    ) -> Option<Summary> {
        // A summary of the same bytes here answers; the read is the one the translation
        // would make first, through the same source.
        if let Some(s) = self.at.get(&pc.0) {
            let mut buf = [0u8; MAX_INSN_BYTES];
            let avail = code.read_code(pc, &mut buf);
            let len = usize::from(s.len);
            if avail >= len && buf[..len] == s.bytes[..len] {
                return Some(*s);
            }
        }
        // Else the translation's own first read gives the bytes to keep.
        let capture = Capture { code, first: std::cell::Cell::new(None) };
        let one = translate(&capture, pc, 1);
        let len = one.guest_len as usize;
        let whole =
            |&(_, avail): &([u8; MAX_INSN_BYTES], usize)| one.guest_insns == 1 && len > 0 && len <= avail;
        let Some((buf, _)) = capture.first.get().filter(whole) else {
            self.at.remove(&pc.0);
            return None;
        };
        let scan = &mut self.scan;
        scan.restart(&self.candidates);
        let scanning = scan.ops(&one);
        let bit = |b: &StateOffset| self.candidates.iter().position(|c| c == b).map_or(0, |i| 1u64 << i);
        let written = scan.dead().iter().map(bit).fold(0, |m, b| m | b);
        let undecided = scan.undecided().iter().map(bit).fold(0, |m, b| m | b);
        let all = self.candidates.iter().map(bit).fold(0, |m, b| m | b);
        let summary = Summary {
            bytes: buf,
            len: len as u8,
            written,
            read: all & !written & !undecided,
            next: match one.exit {
                Exit::Jump(to) if scanning => Some(to),
                _ => None,
            },
        };
        if self.at.len() >= MAX_SUMMARIES {
            self.at.clear();
        }
        self.at.insert(pc.0, summary);
        Some(summary)
    }
}

/// Fills `block.dead_on_entry` for the bytes of `candidates` (the guest's flags): `translate`
/// translates at most the given number of instructions at an address from a code source
/// (the frontend without lookahead of its own); `summaries` keeps what earlier calls learnt
/// of each instruction they scanned, for the same candidates.
pub fn look_ahead(
    block: &mut Block,
    code: &dyn CodeSource,
    candidates: &[StateOffset],
    summaries: &mut Summaries,
    mut translate: impl FnMut(&dyn CodeSource, GuestAddr, u32) -> Block,
) {
    assert!(candidates.len() <= 64, "at most 64 candidate bytes");
    if summaries.candidates != candidates {
        summaries.candidates = candidates.to_vec();
        summaries.clear();
    }
    let pages = own_pages(block);
    let bounded = Bounded { code, lo: pages.start, hi: pages.end };
    let all = if candidates.len() == 64 { u64::MAX } else { (1u64 << candidates.len()) - 1 };
    let targets = liveness::block_targets(block);
    for &target in targets.iter() {
        if !pages.contains(&target.0) {
            continue;
        }
        // One instruction at a time, so that the search stops as soon as every byte is
        // decided (mostly at the first or second instruction).
        let (mut undecided, mut dead) = (all, 0u64);
        let mut pc = target;
        for _ in 0..LOOKAHEAD_INSNS {
            // Not one whole instruction here: what a scratch block of it decides is nothing.
            let Some(s) = summaries.get(&bounded, pc, &mut translate) else { break };
            dead |= s.written & undecided;
            undecided &= !(s.written | s.read);
            match s.next {
                Some(next) if undecided != 0 => pc = next,
                _ => break,
            }
        }
        let mut bytes: Vec<StateOffset> =
            candidates.iter().enumerate().filter(|(i, _)| dead & (1 << i) != 0).map(|(_, &b)| b).collect();
        bytes.sort();
        liveness::record(block, target, bytes);
    }
}
