//! The inline lookup for indirect exits (`Exit::Indirect`, `Exit::Return`): a direct-mapped
//! table from guest address to host code, probed by a routine in the fixed code, so that an
//! indirect jump or return to an already translated block goes straight there instead of
//! through the dispatcher (which costs a return from `enter`, a hash map lookup and a new
//! `enter`).
//!
//! The backend owns the table and fills it as it compiles blocks; a block that lands in an
//! occupied bucket replaces the one there (that one is then found through the dispatcher).
//! [`super::X86_64Backend::reset`] (after the code cache is flushed) empties it. An empty
//! bucket holds guest address 0 and the `Lookup` exit routine, so that even a jump to guest
//! address 0 that "hits" an empty bucket just returns to the dispatcher.
//!
//! NOTE: the table knows no other invalidation than the flush of the whole cache, which is
//! the only one the runtime does. A runtime that drops single blocks must also drop them
//! here.

use super::Asm;
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};

/// Number of buckets (a power of two): 4096 x 16 bytes = 64 KiB.
const BUCKETS: usize = 4096;

/// `[guest address, host code address]` per bucket.
pub struct LookupTable {
    entries: Box<[[u64; 2]]>,
}

/// The bucket of guest address `pc`: `((pc ^ (pc >> 12)) >> 2) mod BUCKETS`. The low two
/// bits carry no information for AArch64 guests and little for x86-64 ones; mixing in the
/// bits above the page offset spreads code from different pages. [`emit_probe`] computes the
/// same.
fn bucket(pc: u64) -> usize {
    (((pc ^ (pc >> 12)) >> 2) as usize) & (BUCKETS - 1)
}

impl LookupTable {
    pub fn new() -> LookupTable {
        LookupTable { entries: vec![[0, 0]; BUCKETS].into_boxed_slice() }
    }

    /// Address of the first bucket; stable for the table's life (the boxed slice never moves).
    pub fn address(&self) -> usize {
        self.entries.as_ptr() as usize
    }

    /// Empties every bucket: guest address 0, host code `miss` (the `Lookup` exit routine).
    pub fn clear(&mut self, miss: usize) {
        self.entries.fill([0, miss as u64]);
    }

    pub fn insert(&mut self, pc: u64, host: usize) {
        self.entries[bucket(pc)] = [pc, host as u64];
    }
}

/// The probe, in the fixed code, called (not jumped to) by each indirect exit: with the
/// guest address in `rax`, returns in `rcx` where to go: the block's host code if the table
/// has it, else `miss` (the `Lookup` exit routine, which expects the guest address in `rax`).
/// Clobbers `rdx`. Each exit then does its own `jmp rcx`, so that the host's branch predictor
/// learns every indirect exit's targets separately (one shared `jmp` in the probe would
/// mispredict on almost every return).
pub fn emit_probe(asm: &mut Asm, table: usize, miss: DynamicLabel) {
    let mask = (BUCKETS - 1) as i32;
    dynasm!(asm
        ; .arch x64
        ; mov rcx, rax
        ; shr rcx, 12
        ; xor rcx, rax
        ; shr rcx, 2
        ; and ecx, mask
        ; shl ecx, 4
        ; mov rdx, QWORD table as i64
        ; add rdx, rcx
        ; mov rcx, [rdx + 8]
        ; cmp rax, [rdx]
        ; jne >not_found
        ; ret
        ; not_found:
        ; lea rcx, [=>miss]
        ; ret
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_stay_in_range_and_spread_neighbours() {
        for pc in [0u64, 4, 8, 0x40_0000, 0xffff_ffff_ffff_fffc, u64::MAX] {
            assert!(bucket(pc) < BUCKETS);
        }
        assert_ne!(bucket(0x40_1000), bucket(0x40_1004));
        assert_ne!(bucket(0x40_1000), bucket(0x40_2000));
    }
}
