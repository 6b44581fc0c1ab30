//! Instruction-cache maintenance after code is written or patched. AArch64 requires it
//! (`dc cvau`, `ic ivau` and barriers over the written bytes); x86-64 keeps its caches
//! coherent, so there it does nothing.

/// Makes `code`, just written, visible to instruction fetch on this core and every other.
pub fn synchronize(code: &[u8]) {
    dynasmrt::cache_control::synchronize_icache(code);
}
