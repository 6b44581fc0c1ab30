//! The AArch64 guest state: what translated A64 code reads and writes through `StateOffset`s,
//! and what the runtime and the syscall layer see of an AArch64 guest thread.
//!
//! Syscall ABI (Linux arm64): number in `x[8]`, arguments in `x[0] ..= x[5]`, result in `x[0]`.

use crate::ir::protocol::StateHeader;
use crate::ir::StateOffset;
use std::mem::offset_of;

/// Architectural state of one AArch64 guest thread.
///
/// NZCV is kept one flag per byte (0 or 1) so that each flag can be written and read on its
/// own and dead flag stores can be deleted one by one.
#[repr(C, align(16))]
/// `Default` is all zero, which is also what Linux gives a new process (FPCR 0: round to
/// nearest, no flush-to-zero, default-NaN off, all traps disabled).
#[derive(Clone, Debug, Default)]
pub struct A64State {
    pub header: StateHeader,
    /// x0 .. x30 (x30 is the link register). Register number 31 is SP or XZR depending on the
    /// instruction, so it is not in this array.
    pub x: [u64; 31],
    pub sp: u64,
    /// Address of the next instruction when the guest is stopped (set by the dispatcher).
    pub pc: u64,
    pub n: u8,
    pub z: u8,
    pub c: u8,
    pub v: u8,
    /// PSTATE.SSBS (0 or 1): speculative store bypass safe. Linux starts a process with it set
    /// (see `guest::aarch64`); `MSR SSBS` changes it, signal frames save it in `pstate`.
    pub ssbs: u8,
    pub _pad0: [u8; 3],
    /// TPIDR_EL0, the user thread pointer (glibc keeps its TCB here).
    pub tpidr_el0: u64,
    /// FPCR: rounding mode (bits 23:22), flush-to-zero (24), default NaN (25), ...
    pub fpcr: u32,
    /// FPSR: cumulative exception flags (IOC, DZC, OFC, UFC, IXC, IDC) and QC.
    pub fpsr: u32,
    /// v0 .. v31 (`vreg`; `v` is the V flag), each as two little-endian 64-bit halves (low half first).
    pub vreg: [[u64; 2]; 32],
    /// Exclusive monitor: address recorded by the last load-exclusive.
    pub excl_addr: u64,
    /// Exclusive monitor: value(s) the last load-exclusive read (second only for pairs).
    pub excl_value: [u64; 2],
    /// Exclusive monitor: access size in bytes of the last load-exclusive (pairs: total).
    pub excl_size: u64,
    /// Exclusive monitor: 1 while a load-exclusive is open (cleared by a store-exclusive,
    /// CLREX, and by the runtime on signals/context switches).
    pub excl_valid: u64,
    /// Staging area of the interleaving structure loads and stores (LD2-LD4, ST2-ST4): the
    /// memory image of the access, filled or emptied by IR loads and stores while a helper
    /// moves the elements between it and the vector registers.
    pub simd_scratch: [u64; 8],
}

/// Offsets of state fields, for IR `LoadState`/`StoreState`.
pub mod off {
    use super::*;

    /// General register `n` (0 ..= 30). Register 31 is SP or XZR and has no slot here.
    pub const fn x(n: usize) -> StateOffset {
        StateOffset((offset_of!(A64State, x) + 8 * n) as u32)
    }
    /// Low 64 bits of vector register `n`.
    pub const fn v(n: usize) -> StateOffset {
        StateOffset((offset_of!(A64State, vreg) + 16 * n) as u32)
    }
    /// High 64 bits of vector register `n`.
    pub const fn v_hi(n: usize) -> StateOffset {
        StateOffset((offset_of!(A64State, vreg) + 16 * n + 8) as u32)
    }
    pub const SP: StateOffset = StateOffset(offset_of!(A64State, sp) as u32);
    pub const PC: StateOffset = StateOffset(offset_of!(A64State, pc) as u32);
    pub const N: StateOffset = StateOffset(offset_of!(A64State, n) as u32);
    pub const Z: StateOffset = StateOffset(offset_of!(A64State, z) as u32);
    pub const C: StateOffset = StateOffset(offset_of!(A64State, c) as u32);
    pub const V: StateOffset = StateOffset(offset_of!(A64State, v) as u32);
    pub const SSBS: StateOffset = StateOffset(offset_of!(A64State, ssbs) as u32);
    pub const TPIDR_EL0: StateOffset = StateOffset(offset_of!(A64State, tpidr_el0) as u32);
    pub const FPCR: StateOffset = StateOffset(offset_of!(A64State, fpcr) as u32);
    pub const FPSR: StateOffset = StateOffset(offset_of!(A64State, fpsr) as u32);
    pub const EXCL_ADDR: StateOffset = StateOffset(offset_of!(A64State, excl_addr) as u32);
    pub const EXCL_VALUE0: StateOffset = StateOffset(offset_of!(A64State, excl_value) as u32);
    pub const EXCL_VALUE1: StateOffset = StateOffset(offset_of!(A64State, excl_value) as u32 + 8);
    pub const EXCL_SIZE: StateOffset = StateOffset(offset_of!(A64State, excl_size) as u32);
    pub const EXCL_VALID: StateOffset = StateOffset(offset_of!(A64State, excl_valid) as u32);
    pub const fn simd_scratch(k: usize) -> StateOffset {
        StateOffset((offset_of!(A64State, simd_scratch) + 8 * k) as u32)
    }
}

impl A64State {
    /// The NZCV system register value (flags in bits 31..28).
    pub fn nzcv(&self) -> u64 {
        (self.n as u64) << 31 | (self.z as u64) << 30 | (self.c as u64) << 29 | (self.v as u64) << 28
    }

    /// PSTATE.SSBS as a signal frame's `pstate` and the SSBS system register show it.
    pub const SSBS_BIT: u64 = 1 << 12;

    /// The EL0 PSTATE bits a signal frame (and ptrace) shows: NZCV and SSBS.
    pub fn pstate(&self) -> u64 {
        self.nzcv() | (self.ssbs as u64) << 12
    }

    /// Sets NZCV and SSBS from a `pstate` value (sigreturn keeps both from the frame).
    pub fn set_pstate(&mut self, p: u64) {
        self.set_nzcv(p);
        self.ssbs = (p >> 12 & 1) as u8;
    }

    /// Sets the four flags from an NZCV system register value.
    pub fn set_nzcv(&mut self, f: u64) {
        self.n = (f >> 31 & 1) as u8;
        self.z = (f >> 30 & 1) as u8;
        self.c = (f >> 29 & 1) as u8;
        self.v = (f >> 28 & 1) as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_first_and_vectors_aligned() {
        assert_eq!(offset_of!(A64State, header), 0);
        assert_eq!(off::v(0).0 % 16, 0);
        assert_eq!(std::mem::align_of::<A64State>(), 16);
        assert_eq!(off::x(30).0 + 8, off::SP.0);
    }

    #[test]
    fn nzcv_round_trips() {
        let mut s = A64State::default();
        for f in 0..16u64 {
            s.set_nzcv(f << 28);
            assert_eq!(s.nzcv(), f << 28);
        }
    }
}
