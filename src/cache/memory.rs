//! Executable memory for the code cache: one RWX mapping, or where the host refuses that, a
//! memfd mapped read-write and read-execute.

use super::{BlockEntry, HostCode, JumpTable};
use crate::ir::GuestAddr;
use std::io;

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

    /// Overwrites already emitted code at executable-view address `at` (for chaining).
    pub fn patch(&mut self, at: HostCode, bytes: &[u8]) {
        let off = at.0.checked_sub(self.rx as usize).expect("patch address below the code cache");
        assert!(off + bytes.len() <= self.used, "patch beyond emitted code");
        // SAFETY: the range is inside emitted code of the rw mapping (asserted above). A block
        // that may be running on this thread is not running now: patches happen in the
        // dispatcher, between blocks.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.rw.add(off), bytes.len()) };
    }

    /// Reads back emitted code (for disassembly in tests and `--stats` listings).
    pub fn bytes(&self, at: HostCode, len: usize) -> &[u8] {
        let off = at.0 - self.rx as usize;
        assert!(off + len <= self.used);
        // SAFETY: inside emitted code of the rw mapping; the shared borrow of self prevents
        // concurrent writes through this CodeCache.
        unsafe { std::slice::from_raw_parts(self.rw.add(off), len) }
    }

    /// Forgets every block (the caller also clears its [`super::BlockMap`]).
    pub fn flush(&mut self) {
        self.used = 0;
        self.jump_table.clear();
        self.generation += 1;
    }

    /// Forgets the blocks the caller removed from its [`super::BlockMap`]: translated code no
    /// longer finds them through the jump table. Their host code stays until the next flush,
    /// unreachable. The caller has made sure no chain jumps into them.
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
        // SAFETY: the mappings were created in `new` with `size` bytes and are not used after
        // this.
        unsafe {
            libc::munmap(self.rw as *mut libc::c_void, self.size);
            if self.rx != self.rw {
                libc::munmap(self.rx as *mut libc::c_void, self.size);
            }
        }
    }
}
