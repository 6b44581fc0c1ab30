//! A byte buffer for building and reading a guest's signal frame: little-endian fields at
//! byte offsets, as the kernel's frame layouts are given. Each guest's module holds its own
//! layout (the offsets); this is only the writing and reading.

use crate::syscall::memory::{read_bytes, write_bytes};
use crate::syscall::{Errno, GuestMm};

/// A frame being built, written to guest memory at once.
pub struct FrameBuf(pub Vec<u8>);

impl FrameBuf {
    pub fn zeroed(len: usize) -> FrameBuf {
        FrameBuf(vec![0; len])
    }

    /// Reads `len` bytes of guest memory at `addr`.
    pub fn read(mem: &dyn GuestMm, addr: u64, len: usize) -> Result<FrameBuf, Errno> {
        read_bytes(mem, addr, len).map(FrameBuf)
    }

    pub fn write_to(&self, mem: &dyn GuestMm, addr: u64) -> Result<(), Errno> {
        write_bytes(mem, addr, &self.0)
    }

    pub fn put_u64(&mut self, off: usize, v: u64) {
        self.0[off..off + 8].copy_from_slice(&v.to_le_bytes());
    }
    pub fn put_u32(&mut self, off: usize, v: u32) {
        self.0[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }
    pub fn put_u16(&mut self, off: usize, v: u16) {
        self.0[off..off + 2].copy_from_slice(&v.to_le_bytes());
    }
    pub fn put_bytes(&mut self, off: usize, b: &[u8]) {
        self.0[off..off + b.len()].copy_from_slice(b);
    }
    /// A 128-bit register as two little-endian words, low first.
    pub fn put_u128(&mut self, off: usize, v: [u64; 2]) {
        self.put_u64(off, v[0]);
        self.put_u64(off + 8, v[1]);
    }

    pub fn u64(&self, off: usize) -> u64 {
        u64::from_le_bytes(self.0[off..off + 8].try_into().unwrap())
    }
    pub fn u32(&self, off: usize) -> u32 {
        u32::from_le_bytes(self.0[off..off + 4].try_into().unwrap())
    }
    pub fn u16(&self, off: usize) -> u16 {
        u16::from_le_bytes(self.0[off..off + 2].try_into().unwrap())
    }
    pub fn u128(&self, off: usize) -> [u64; 2] {
        [self.u64(off), self.u64(off + 8)]
    }
}

/// `stack_t` (ss_sp, ss_flags, ss_size): 24 bytes on both 64-bit ABIs.
/// A `stack_t` (ss_sp, ss_flags, ss_size) read from the frame at `off`.
pub fn get_stack_t(f: &FrameBuf, off: usize) -> (u64, i32, u64) {
    (f.u64(off), f.u32(off + 8) as i32, f.u64(off + 16))
}

pub fn put_stack_t(f: &mut FrameBuf, off: usize, (sp, flags, size): (u64, i32, u64)) {
    f.put_u64(off, sp);
    f.put_u32(off + 8, flags as u32);
    f.put_u64(off + 16, size);
}
