//! The inline lookup for indirect exits (`Exit::Indirect`, `Exit::Return`): a probe of the
//! code cache's jump table ([`crate::cache::JumpTable`]), so that an indirect jump or return
//! to an already translated block goes straight there instead of through the dispatcher
//! (which costs a return from `enter`, a hash map lookup and a new `enter`). The runtime
//! fills the table; a flush of the cache empties it.

use super::Asm;
use crate::cache::jump_table;
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};

/// The probe, in the fixed code, called (not jumped to) by each indirect exit: with the
/// guest address in `rax`, returns in `rcx` where to go: the block's host code if the table
/// has it, else `miss` (the `Lookup` exit routine, which expects the guest address in `rax`).
/// Clobbers `rdx`. Each exit then does its own `jmp rcx`, so that the host's branch predictor
/// learns every indirect exit's targets separately (one shared `jmp` in the probe would
/// mispredict on almost every return).
pub fn emit_probe(asm: &mut Asm, table: usize, miss: DynamicLabel) {
    const { assert!(jump_table::ENTRIES.is_power_of_two()) };
    let mask = (jump_table::ENTRIES - 1) as i32;
    // The entry index is `JumpTable::index`: ((pc >> 2) ^ (pc >> 14)) mod ENTRIES. An empty
    // entry holds an address of another index, so it never matches. The pc is read before the
    // code (x86 keeps loads in order): another thread may be filling the entry (see
    // `crate::cache::jump_table`).
    dynasm!(asm
        ; .arch x64
        ; mov rcx, rax
        ; shr rcx, 2
        ; mov rdx, rax
        ; shr rdx, 14
        ; xor rcx, rdx
        ; and ecx, mask
        ; shl ecx, 4
        ; mov rdx, QWORD table as i64
        ; add rdx, rcx
        ; cmp rax, [rdx]
        ; jne >not_found
        ; mov rcx, [rdx + 8]
        ; ret
        ; not_found:
        ; lea rcx, [=>miss]
        ; ret
    );
}
