//! Executable memory for the code cache: one RWX mapping, or where the host refuses that, a
//! memfd mapped read-write and read-execute.

use super::{BlockEntry, HostCode, JumpTable};
use crate::ir::GuestAddr;
use std::io;
use std::sync::atomic::{AtomicU32, Ordering};

/// A bump allocator over executable memory (see [`CodeCache::new`]).
pub struct CodeCache {
    /// Read-write view (written and patched by backends).
    rw: *mut u8,
    /// Read-execute view (what runs). Same pages as `rw`; the same address when the host
    /// allows RWX pages.
    rx: *mut u8,
    size: usize,
    used: usize,
    /// The table that translated code probes on indirect branches (see [`JumpTable`]).
    jump_table: JumpTable,
    /// Moves on each time translations are dropped (see [`CodeCache::generation`]).
    generation: u64,
    /// Set once a second guest thread exists: from then on code is never rewritten, so a
    /// flush moves to a new region and jump table instead of rewinding (see [`Self::flush`]).
    threaded: bool,
    /// Regions and jump tables left by flushes in threaded mode, still mapped (other threads
    /// may be running their code): (rw, rx, size, table).
    retired: Vec<(*mut u8, *mut u8, usize, JumpTable)>,
}

// SAFETY: the cache owns its two mappings; they are only touched through `&mut self` (writes)
// or by running code, and xlate runs guest code on one thread per cache.
unsafe impl Send for CodeCache {}

impl CodeCache {
    /// Default size of the cache. AArch64 direct branches reach +-128 MiB, so the whole cache
    /// must stay within that for chaining.
    pub const DEFAULT_SIZE: usize = 64 << 20;

    /// Maps a cache of `size` bytes.
    ///
    /// One read-write-execute mapping where the host allows it, so that writes to code are
    /// plain stores to the addresses that run: emulators and debuggers that watch code pages
    /// for self-modification (qemu-user, under which the AArch64 build is tested) see every
    /// patch. Where the host refuses W+X pages, two views of one memfd instead: read-write
    /// for writing, read-execute for running, and no page is ever both.
    pub fn new(size: usize) -> io::Result<CodeCache> {
        // SAFETY: an anonymous private mapping that nothing else refers to; the result is
        // checked, and the mapping is owned by the returned CodeCache (unmapped in Drop).
        let rwx = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if rwx != libc::MAP_FAILED {
            return Ok(CodeCache {
                rw: rwx as *mut u8,
                rx: rwx as *mut u8,
                size,
                used: 0,
                jump_table: JumpTable::default(),
                generation: 0,
                threaded: false,
                retired: Vec::new(),
            });
        }
        Self::new_double_mapped(size)
    }

    /// The W^X form: a memfd mapped twice.
    pub fn new_double_mapped(size: usize) -> io::Result<CodeCache> {
        // SAFETY: plain system calls; every result is checked before use. The two mappings are
        // owned by the returned CodeCache and unmapped in Drop.
        unsafe {
            let fd = libc::memfd_create(c"xlate-code-cache".as_ptr(), libc::MFD_CLOEXEC);
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            if libc::ftruncate(fd, size as libc::off_t) != 0 {
                let e = io::Error::last_os_error();
                libc::close(fd);
                return Err(e);
            }
            let rw = libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            );
            if rw == libc::MAP_FAILED {
                let e = io::Error::last_os_error();
                libc::close(fd);
                return Err(e);
            }
            let rx = libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_EXEC,
                libc::MAP_SHARED,
                fd,
                0,
            );
            let e = io::Error::last_os_error();
            libc::close(fd);
            if rx == libc::MAP_FAILED {
                libc::munmap(rw, size);
                return Err(e);
            }
            Ok(CodeCache {
                rw: rw as *mut u8,
                rx: rx as *mut u8,
                size,
                used: 0,
                jump_table: JumpTable::default(),
                generation: 0,
                threaded: false,
                retired: Vec::new(),
            })
        }
    }

    /// Address in the executable view where the next allocation will start.
    pub fn next_code(&self) -> HostCode {
        HostCode(self.rx as usize + self.used)
    }

    /// Bytes still free.
    pub fn free(&self) -> usize {
        self.size - self.used
    }

    /// Bytes in use.
    pub fn used(&self) -> usize {
        self.used
    }

    /// The executable view's address range.
    pub fn exec_range(&self) -> std::ops::Range<usize> {
        self.rx as usize..self.rx as usize + self.size
    }

    /// Appends `code` (assembled to run at [`Self::next_code`]), aligned to 16 bytes, and
    /// returns where it runs. `None` when the cache is full.
    pub fn append(&mut self, code: &[u8]) -> Option<HostCode> {
        let start = self.used;
        let end = start.checked_add(code.len())?;
        if end > self.size {
            return None;
        }
        // SAFETY: start..end is inside the rw mapping (checked above) and no other reference
        // to these bytes exists (they were free).
        unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), self.rw.add(start), code.len()) };
        self.used = (end + 15) & !15;
        self.used = self.used.min(self.size);
        Some(HostCode(self.rx as usize + start))
    }

    /// Overwrites the 32-bit field of already emitted code at executable-view address `at`
    /// (for chaining) with one atomic store, so that another thread running that code sees the
    /// old field or the new one, never a mix: a 32-bit store when `at` is 4-aligned, else a
    /// 16-byte compare-and-swap of the aligned 16 bytes that hold the field, which must not
    /// straddle a 16-byte boundary (the x86-64 backend places its rel32 fields so).
    pub fn patch_u32(&mut self, at: HostCode, value: u32) {
        let off = at.0.checked_sub(self.rx as usize).expect("patch address below the code cache");
        assert!(off + 4 <= self.used, "patch beyond emitted code");
        if off.is_multiple_of(4) {
            // SAFETY: the word is inside emitted code of the rw mapping and 4-aligned (the
            // mapping is page-aligned), so it is a valid AtomicU32; every write to code goes
            // through this cache under `&mut self`, and readers are instruction fetches.
            unsafe { (*(self.rw.add(off) as *const AtomicU32)).store(value, Ordering::Release) };
            return;
        }
        let base = off & !15;
        assert!(off + 4 <= base + 16, "a patched field must not straddle a 16-byte boundary");
        assert!(base + 16 <= self.size, "patch beyond the cache");
        let shift = 8 * (off - base) as u32;
        let mask = !(u128::from(u32::MAX) << shift);
        let p = self.rw.wrapping_add(base) as *mut u128;
        // SAFETY: `p` is 16-aligned (the mapping is page-aligned) and inside the rw mapping
        // (checked above); the 16 bytes are emitted code (the rest of them, possibly free
        // cache space, keeps its bytes), written only through this cache under `&mut self`.
        let mut old = unsafe { p.read_volatile() };
        loop {
            let new = (old & mask) | (u128::from(value) << shift);
            // SAFETY: as above.
            let seen = unsafe { crate::host::atomic::cas128(p, old, new) };
            if seen == old {
                break;
            }
            old = seen;
        }
    }

    /// Reads back emitted code (for disassembly in tests and `--stats` listings).
    pub fn bytes(&self, at: HostCode, len: usize) -> &[u8] {
        let off = at.0 - self.rx as usize;
        assert!(off + len <= self.used);
        // SAFETY: inside emitted code of the rw mapping; the shared borrow of self prevents
        // concurrent writes through this CodeCache.
        unsafe { std::slice::from_raw_parts(self.rw.add(off), len) }
    }

    /// From now on, other threads may run code of this cache while it is changed: a flush
    /// keeps the old code mapped and unchanged (see [`Self::flush`]), and the jump table only
    /// fills empty entries (see [`JumpTable::set_write_once`]).
    pub fn set_threaded(&mut self) {
        self.threaded = true;
        self.jump_table.set_write_once();
    }

    /// Forgets every block (the caller also clears its [`super::BlockMap`]). Single-threaded,
    /// the region is rewound. Threaded ([`Self::set_threaded`]), another thread may be running
    /// the old code: the cache moves to a fresh region and a fresh jump table, and the old ones
    /// stay mapped and unchanged for the rest of the process (the old code never jumps into
    /// the new region by itself: its chain sites are never linked again, as the generation
    /// moved on, and it probes its own jump table). Panics if no new region can be mapped
    /// (the address space is exhausted).
    pub fn flush(&mut self) {
        self.generation += 1;
        if !self.threaded {
            self.used = 0;
            self.jump_table.clear();
            return;
        }
        let double_mapped = self.rw != self.rx;
        let fresh = if double_mapped { Self::new_double_mapped(self.size) } else { Self::new(self.size) };
        let fresh = fresh.unwrap_or_else(|e| panic!("cannot map a new code cache region: {e}"));
        let mut fresh = std::mem::ManuallyDrop::new(fresh);
        let mut table = std::mem::take(&mut fresh.jump_table);
        table.set_write_once();
        let old_table = std::mem::replace(&mut self.jump_table, table);
        self.retired.push((self.rw, self.rx, self.size, old_table));
        self.rw = fresh.rw;
        self.rx = fresh.rx;
        self.used = 0;
    }

    /// Forgets the blocks the caller removed from its [`super::BlockMap`]: translated code no
    /// longer finds them through the jump table. Their host code stays until the next flush,
    /// unreachable. The caller has pointed the chains into them back at their stubs.
    pub fn retire(&mut self, blocks: &[(GuestAddr, BlockEntry)]) {
        for (pc, entry) in blocks {
            self.jump_table.remove(*pc, entry.code);
        }
        self.generation += 1;
    }

    /// The cache's generation: it moves on whenever translations are dropped ([`Self::flush`],
    /// [`Self::retire`]). Host code and chain sites obtained in an older generation may be
    /// gone; the dispatcher links a chain site only if the generation did not move since the
    /// site's block exited.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The jump table for indirect branches; it belongs to the cache so that a flush empties
    /// both together.
    pub fn jump_table(&self) -> &JumpTable {
        &self.jump_table
    }

    pub fn jump_table_mut(&mut self) -> &mut JumpTable {
        &mut self.jump_table
    }
}

impl Drop for CodeCache {
    fn drop(&mut self) {
        let regions = self.retired.iter().map(|r| (r.0, r.1, r.2)).chain([(self.rw, self.rx, self.size)]);
        for (rw, rx, size) in regions {
            // SAFETY: the mappings were created in `new` with `size` bytes and are not used
            // after this (a threaded cache is never dropped while the process runs guest code).
            unsafe {
                libc::munmap(rw as *mut libc::c_void, size);
                if rx != rw {
                    libc::munmap(rx as *mut libc::c_void, size);
                }
            }
        }
    }
}
