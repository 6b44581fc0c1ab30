//! Guest memory: [`GuestMemory`] owns the guest's address space and is the only place that
//! maps, unmaps or re-protects guest pages.
//!
//! Guest address = host address: a guest page at `a` is a host mapping at `a`. The guest
//! therefore shares one address space with xlate itself (its code, heap, thread stacks and
//! code cache). `GuestMemory` keeps a table of every guest mapping (start, end, guest-visible
//! protection) and forwards the guest's memory syscalls to the host kernel with one rule on
//! top of Linux semantics: **a guest request never replaces memory that is not the guest's.**
//!
//! * `MAP_FIXED` (and an `mremap` target) may replace guest mappings; the parts of the range
//!   that are not guest memory are first claimed with `MAP_FIXED_NOREPLACE`, so if xlate owns
//!   any byte there the request fails with `ENOMEM` (as if that address space were
//!   unavailable) and nothing changes. The claim is atomic in the kernel, so no other xlate
//!   allocation can slip in between the check and the mapping.
//! * `MAP_FIXED_NOREPLACE` and hint-only requests go straight to the kernel, which never
//!   replaces an existing mapping for them.
//! * `munmap` only unmaps the guest parts of its range (unmapping a hole is not an error in
//!   Linux either); `mprotect` of a range that is not entirely guest memory fails with
//!   `ENOMEM` (the guest sees an unmapped page there).
//!
//! Protections: the table records what the guest asked for. Host pages are never executable
//! (translated code runs from the code cache); a guest page with any access at all is host
//! readable, so the frontends can read guest code through [`code::CodeSource`] even when the guest
//! asked for execute-only.
//!
//! Invalidation of translations: every operation that unmaps, re-protects or replaces guest
//! memory that was executable (guest view) increments [`GuestMemory::code_generation`] and
//! records the address range; after each memory syscall the syscall layer drains the ranges
//! with [`GuestMemory::take_invalidated`] and reports them, and the dispatcher drops the
//! translations of that range from the code cache. The methods return nothing extra for this,
//! so the syscall layer only forwards results.
//!
//! Guest *writes* to code (a JIT, a patcher) are caught by write protection (`protect.rs`,
//! `code_pages.rs`): a page that code is read from is read-only on the host from then on,
//! whatever the guest's protection; the runtime's signal handler lifts that on a write and
//! marks the page written, and the dispatcher drops its translations
//! ([`GuestMemory::take_written_code`]). With protection on, an `mprotect` that keeps a
//! page executable keeps its translations (and the page protected); only losing PROT_EXEC
//! drops them. `mprotect` with `PROT_GROWSDOWN` is forwarded but the table records only the
//! range given.
//!
//! Errors are positive host errno values (`Err(libc::ENOMEM)`); the syscall layer negates
//! them for the guest. `prot` and `flags` use the Linux generic values, identical for the
//! x86-64 and AArch64 ABIs.
//!
//! Guest code is read through [`code::CodeSource`], which [`GuestMemory`] implements.
//!
//! SysV shared memory (`shmat`, `shmdt`) follows the same rules (`shm.rs`).
//!
//! Pages are 4 KiB (the guest's `AT_PAGESZ`); a host with larger pages is not supported yet.

pub mod code;
pub mod code_pages;
pub mod protect;
mod shm;

use std::collections::BTreeMap;
use std::ops::Range;

/// The guest page size, also passed to the guest as `AT_PAGESZ`.
pub const PAGE_SIZE: u64 = 4096;

/// Lowest address a guest may map: Linux's default `vm.mmap_min_addr` (64 KiB). Requests below
/// it fail with `EPERM`, as for an unprivileged process, even when xlate runs as root: a guest
/// page at address 0 would make null host pointers valid guest memory.
pub const MIN_GUEST_ADDR: u64 = 0x10000;

/// The protection bits a guest may record (`PROT_READ | PROT_WRITE | PROT_EXEC`).
const PROT_RWX: i32 = libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC;
/// Every bit Linux accepts in `prot` for mmap/mprotect.
const PROT_VALID: i32 = PROT_RWX | libc::PROT_GROWSDOWN | libc::PROT_GROWSUP | 0x8 /* PROT_SEM */;

const MREMAP_MAYMOVE: i32 = 1;
const MREMAP_FIXED: i32 = 2;
const MREMAP_DONTUNMAP: i32 = 4;

/// Rounds `v` up to a page boundary; `None` on overflow.
pub fn page_up(v: u64) -> Option<u64> {
    v.checked_add(PAGE_SIZE - 1).map(|x| x & !(PAGE_SIZE - 1))
}

/// Rounds `v` down to a page boundary.
pub fn page_down(v: u64) -> u64 {
    v & !(PAGE_SIZE - 1)
}

/// One guest mapping (or a piece of one) as the guest sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub start: u64,
    /// Exclusive.
    pub end: u64,
    /// Guest-visible protection: a combination of `PROT_READ`, `PROT_WRITE`, `PROT_EXEC`.
    pub prot: i32,
}

impl Region {
    pub fn is_exec(&self) -> bool {
        self.prot & libc::PROT_EXEC != 0
    }
}

/// The guest's address space. See the module documentation.
pub struct GuestMemory {
    /// start -> (end, guest prot). Entries never overlap; adjacent entries with the same
    /// protection are merged.
    regions: BTreeMap<u64, (u64, i32)>,
    /// Lowest program break (page aligned, set by the loader).
    brk_start: u64,
    /// Current program break (what `brk(0)` returns).
    brk: u64,
    code_generation: u64,
    invalidated: Vec<Range<u64>>,
    unmap_on_drop: bool,
    /// SysV shared memory attached by the guest: start -> end (see `shm.rs`).
    shm: BTreeMap<u64, u64>,
    /// The pages translated code was read from, write-protected on the host (see
    /// [`code_pages`]); `None` until [`GuestMemory::enable_code_protection`].
    code_pages: Option<&'static code_pages::CodePages>,
    /// The page numbers protected since they were last found written or unprotected: where
    /// [`GuestMemory::take_written_code`] looks for written pages (a superset: pages whose
    /// protection was lifted otherwise leave it there). Filled while code is read, through
    /// `&self` (the world's lock holder is the only user).
    protected: std::cell::RefCell<hashbrown::HashSet<u64>>,
    /// Every page number entered in `code_pages`, for range queries without a table scan.
    known: std::cell::RefCell<std::collections::BTreeSet<u64>>,
    /// MAP_SHARED file mappings: start -> (end, device, inode, file offset of `start`), so that
    /// protecting a page also protects the other guest views of the same file page.
    shared: BTreeMap<u64, SharedFile>,
}

/// One MAP_SHARED mapping of a file (see [`GuestMemory::shared`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SharedFile {
    end: u64,
    dev: u64,
    ino: u64,
    offset: u64,
}

impl Default for GuestMemory {
    fn default() -> Self {
        Self::new()
    }
}

/// The host protection for a guest protection: never executable; readable whenever the
/// guest has any access, so that guest code can be read by the frontends.
fn host_prot(guest_prot: i32) -> i32 {
    let extra = guest_prot & !PROT_RWX & !libc::PROT_EXEC;
    if guest_prot & PROT_RWX == 0 {
        libc::PROT_NONE | extra
    } else {
        libc::PROT_READ | (guest_prot & libc::PROT_WRITE) | extra
    }
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EINVAL)
}

/// `mmap` on the host; `Err(errno)` on failure.
fn host_mmap(addr: u64, len: u64, prot: i32, flags: i32, fd: i32, offset: u64) -> Result<u64, i32> {
    // SAFETY: mapping memory has no effect on Rust-visible memory unless MAP_FIXED replaces
    // something; callers only pass MAP_FIXED for ranges that are guest memory or that they
    // have just claimed with MAP_FIXED_NOREPLACE.
    let p = unsafe {
        libc::mmap(addr as *mut libc::c_void, len as usize, prot, flags, fd, offset as libc::off_t)
    };
    if p == libc::MAP_FAILED {
        Err(last_errno())
    } else {
        Ok(p as u64)
    }
}

fn host_munmap(addr: u64, len: u64) -> Result<(), i32> {
    // SAFETY: callers only unmap guest memory (or their own fresh claims); Rust code holds no
    // references into guest memory.
    let r = unsafe { libc::munmap(addr as *mut libc::c_void, len as usize) };
    if r != 0 {
        Err(last_errno())
    } else {
        Ok(())
    }
}

fn host_mprotect(addr: u64, len: u64, prot: i32) -> Result<(), i32> {
    // SAFETY: callers only re-protect guest memory, which Rust code holds no references into.
    let r = unsafe { libc::mprotect(addr as *mut libc::c_void, len as usize, prot) };
    if r != 0 {
        Err(last_errno())
    } else {
        Ok(())
    }
}

/// Maps fresh anonymous memory at exactly `[start, end)` with host protection `prot`, failing
/// with `EEXIST` if any byte of it is already mapped. An inaccessible claim does not reserve
/// swap (it is only a placeholder).
fn host_claim(start: u64, end: u64, prot: i32) -> Result<(), i32> {
    let mut flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE;
    if prot == libc::PROT_NONE {
        flags |= libc::MAP_NORESERVE;
    }
    let got = host_mmap(start, end - start, prot, flags, -1, 0)?;
    if got != start {
        // A kernel older than 4.17 treats MAP_FIXED_NOREPLACE as a hint: it placed the
        // mapping elsewhere because the range was taken.
        let _ = host_munmap(got, end - start);
        return Err(libc::EEXIST);
    }
    Ok(())
}

impl GuestMemory {
    /// An empty guest address space. Its mappings outlive it unless
    /// [`GuestMemory::set_unmap_on_drop`] is set (the process normally ends with the guest).
    pub fn new() -> GuestMemory {
        GuestMemory {
            regions: BTreeMap::new(),
            brk_start: 0,
            brk: 0,
            code_generation: 0,
            invalidated: Vec::new(),
            unmap_on_drop: false,
            shm: BTreeMap::new(),
            code_pages: None,
            protected: Default::default(),
            known: Default::default(),
            shared: BTreeMap::new(),
        }
    }

    /// When set, dropping this `GuestMemory` unmaps every guest mapping (for tests, which
    /// share one address space).
    pub fn set_unmap_on_drop(&mut self, on: bool) {
        self.unmap_on_drop = on;
    }

    /// Unmaps every guest mapping and forgets the program break.
    pub fn unmap_all(&mut self) {
        for (&start, &(end, _)) in &self.regions {
            let _ = host_munmap(start, end - start);
        }
        if self.regions.values().any(|&(_, p)| p & libc::PROT_EXEC != 0) {
            self.code_generation += 1;
            self.invalidated.push(0..u64::MAX);
        }
        self.regions.clear();
        self.brk_start = 0;
        self.brk = 0;
    }

    // ----- the region table -----

    /// The guest mappings, in address order (adjacent mappings with the same protection appear
    /// as one region).
    pub fn regions(&self) -> impl Iterator<Item = Region> + '_ {
        self.regions.iter().map(|(&start, &(end, prot))| Region { start, end, prot })
    }

    /// The pieces of guest mappings inside `[start, end)`, clipped to it.
    pub fn regions_in(&self, start: u64, end: u64) -> Vec<Region> {
        let mut out = Vec::new();
        if start >= end {
            return out;
        }
        if let Some((&s, &(e, prot))) = self.regions.range(..start).next_back() {
            if e > start {
                out.push(Region { start: start.max(s), end: e.min(end), prot });
            }
        }
        for (&s, &(e, prot)) in self.regions.range(start..end) {
            out.push(Region { start: s, end: e.min(end), prot });
        }
        out
    }

    /// The guest mapping containing `addr`.
    pub fn region_at(&self, addr: u64) -> Option<Region> {
        let (&start, &(end, prot)) = self.regions.range(..=addr).next_back()?;
        (addr < end).then_some(Region { start, end, prot })
    }

    /// Whether all of `[start, end)` is guest memory.
    pub fn is_guest(&self, start: u64, end: u64) -> bool {
        self.gaps(start, end).is_empty()
    }

    /// The parts of `[start, end)` that are not guest memory.
    fn gaps(&self, start: u64, end: u64) -> Vec<Range<u64>> {
        let mut gaps = Vec::new();
        let mut at = start;
        for r in self.regions_in(start, end) {
            if r.start > at {
                gaps.push(at..r.start);
            }
            at = r.end;
        }
        if at < end {
            gaps.push(at..end);
        }
        gaps
    }

    /// Removes `[start, end)` from the table (splitting entries at the edges); returns the
    /// removed pieces.
    fn table_remove(&mut self, start: u64, end: u64) -> Vec<Region> {
        self.sync_code_pages(start, end, None);
        self.forget_shared(start, end);
        let pieces = self.regions_in(start, end);
        for p in &pieces {
            // The entry holding this piece starts at or before it.
            let (&s, &(e, prot)) = self.regions.range(..=p.start).next_back().expect("piece");
            self.regions.remove(&s);
            if s < p.start {
                self.regions.insert(s, (p.start, prot));
            }
            if p.end < e {
                self.regions.insert(p.end, (e, prot));
            }
        }
        pieces
    }

    /// Records `[start, end)` as guest memory with `prot`, replacing whatever the table held
    /// there (and noting executable memory replaced).
    fn table_set(&mut self, start: u64, end: u64, prot: i32) {
        let old = self.table_remove(start, end);
        self.note_exec_touched(&old);
        self.table_insert(start, end, prot);
    }

    /// Inserts `[start, end)` (which must be free in the table), merging it with neighbours of
    /// the same protection.
    fn table_insert(&mut self, mut start: u64, mut end: u64, prot: i32) {
        let prot = prot & PROT_RWX;
        if start >= end {
            return;
        }
        self.sync_code_pages(start, end, Some(prot));
        if let Some((&s, &(e, p))) = self.regions.range(..start).next_back() {
            if e == start && p == prot {
                self.regions.remove(&s);
                start = s;
            }
        }
        if let Some(&(e, p)) = self.regions.get(&end) {
            if p == prot {
                self.regions.remove(&end);
                end = e;
            }
        }
        self.regions.insert(start, (end, prot));
    }

    fn note_exec_touched(&mut self, pieces: &[Region]) -> bool {
        let mut touched = false;
        for p in pieces.iter().filter(|p| p.is_exec()) {
            self.invalidated.push(p.start..p.end);
            touched = true;
        }
        if touched {
            self.code_generation += 1;
        }
        touched
    }

    // ----- translation invalidation -----

    /// Incremented each time executable guest memory is unmapped, re-protected or replaced.
    /// Translations made before the current value may be stale for the ranges reported by
    /// [`GuestMemory::take_invalidated`].
    pub fn code_generation(&self) -> u64 {
        self.code_generation
    }

    /// The guest address ranges whose executable memory changed since the last call.
    pub fn take_invalidated(&mut self) -> Vec<Range<u64>> {
        std::mem::take(&mut self.invalidated)
    }

    // ----- guest syscalls -----

    /// Linux `mmap`. Returns the address of the new mapping.
    pub fn mmap(
        &mut self,
        addr: u64,
        len: u64,
        prot: i32,
        flags: i32,
        fd: i32,
        offset: u64,
    ) -> Result<u64, i32> {
        if len == 0 || prot & !PROT_VALID != 0 {
            return Err(libc::EINVAL);
        }
        let len = page_up(len).ok_or(libc::ENOMEM)?;
        let fixed = flags & libc::MAP_FIXED != 0;
        let noreplace = flags & libc::MAP_FIXED_NOREPLACE != 0;
        if (fixed || noreplace) && !addr.is_multiple_of(PAGE_SIZE) {
            return Err(libc::EINVAL);
        }
        if (fixed || noreplace) && addr < MIN_GUEST_ADDR {
            return Err(libc::EPERM);
        }
        let shared_file = flags & libc::MAP_SHARED != 0 && flags & libc::MAP_ANONYMOUS == 0;
        if fixed && !noreplace {
            let end = addr.checked_add(len).ok_or(libc::ENOMEM)?;
            self.map_fixed(addr, end, host_prot(prot), flags, fd, offset)?;
            self.table_set(addr, end, prot);
            if shared_file {
                self.note_shared(addr, end, fd, offset);
            }
            return Ok(addr);
        }
        // The kernel never replaces an existing mapping for a hint or MAP_FIXED_NOREPLACE.
        let got = host_mmap(addr, len, host_prot(prot), flags, fd, offset)?;
        self.table_set(got, got + len, prot);
        if shared_file {
            self.note_shared(got, got + len, fd, offset);
        }
        Ok(got)
    }

    /// Maps `[start, end)` with MAP_FIXED after making sure every non-guest byte of it is free
    /// (claimed by us); `ENOMEM` if some of it belongs to xlate.
    fn map_fixed(
        &mut self,
        start: u64,
        end: u64,
        host_prot: i32,
        flags: i32,
        fd: i32,
        offset: u64,
    ) -> Result<(), i32> {
        let claims = self.claim_gaps(start, end)?;
        match host_mmap(start, end - start, host_prot, flags, fd, offset) {
            Ok(_) => Ok(()),
            Err(e) => {
                for c in claims {
                    let _ = host_munmap(c.start, c.end - c.start);
                }
                Err(e)
            }
        }
    }

    /// Claims the non-guest parts of `[start, end)`; `ENOMEM` (and no change) if any of them
    /// is in use by xlate.
    fn claim_gaps(&self, start: u64, end: u64) -> Result<Vec<Range<u64>>, i32> {
        let gaps = self.gaps(start, end);
        for (i, g) in gaps.iter().enumerate() {
            if let Err(e) = host_claim(g.start, g.end, libc::PROT_NONE) {
                for done in &gaps[..i] {
                    let _ = host_munmap(done.start, done.end - done.start);
                }
                return Err(if e == libc::EEXIST { libc::ENOMEM } else { e });
            }
        }
        Ok(gaps)
    }

    /// Linux `munmap`. Only the guest parts of the range are unmapped.
    pub fn munmap(&mut self, addr: u64, len: u64) -> Result<u64, i32> {
        if !addr.is_multiple_of(PAGE_SIZE) || len == 0 {
            return Err(libc::EINVAL);
        }
        let end = page_up(len).and_then(|l| addr.checked_add(l)).ok_or(libc::EINVAL)?;
        for p in self.regions_in(addr, end) {
            host_munmap(p.start, p.end - p.start)?;
        }
        let old = self.table_remove(addr, end);
        self.note_exec_touched(&old);
        Ok(0)
    }

    /// Linux `mprotect`. `ENOMEM` unless the whole range is guest memory.
    pub fn mprotect(&mut self, addr: u64, len: u64, prot: i32) -> Result<u64, i32> {
        if !addr.is_multiple_of(PAGE_SIZE) || prot & !PROT_VALID != 0 {
            return Err(libc::EINVAL);
        }
        if len == 0 {
            return Ok(0);
        }
        let end = page_up(len).and_then(|l| addr.checked_add(l)).ok_or(libc::ENOMEM)?;
        if !self.is_guest(addr, end) {
            return Err(libc::ENOMEM);
        }
        host_mprotect(addr, end - addr, host_prot(prot))?;
        // With code pages write-protected, translations stay right while the pages stay
        // executable (a write to them is caught anyway): only losing PROT_EXEC drops them.
        // Without, any change of an executable page's protection does.
        let protecting = self.code_pages.is_some();
        let changed: Vec<Region> = self
            .regions_in(addr, end)
            .into_iter()
            .filter(|p| p.prot != prot & PROT_RWX && (!protecting || prot & libc::PROT_EXEC == 0))
            .collect();
        self.note_exec_touched(&changed);
        let kept = if prot & libc::PROT_EXEC != 0 { self.protected_pages(addr, end) } else { Vec::new() };
        let _ = self.table_remove(addr, end);
        self.table_insert(addr, end, prot);
        self.protect_again(&kept, prot);
        Ok(0)
    }

    /// Linux `mremap`. The old range must be guest memory (`EFAULT` otherwise); a
    /// `MREMAP_FIXED` target may only replace guest memory or free space (`ENOMEM`).
    pub fn mremap(
        &mut self,
        old_addr: u64,
        old_len: u64,
        new_len: u64,
        flags: i32,
        new_addr: u64,
    ) -> Result<u64, i32> {
        if flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) != 0
            || !old_addr.is_multiple_of(PAGE_SIZE)
            || (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP) != 0 && flags & MREMAP_MAYMOVE == 0)
        {
            return Err(libc::EINVAL);
        }
        let old_len = page_up(old_len).ok_or(libc::EINVAL)?;
        let new_len = page_up(new_len).ok_or(libc::EINVAL)?;
        if new_len == 0 {
            return Err(libc::EINVAL);
        }
        let old_end = old_addr.checked_add(old_len).ok_or(libc::EFAULT)?;
        // old_len == 0 duplicates a shared mapping: the old address must still be guest's.
        let old_ok =
            if old_len == 0 { self.region_at(old_addr).is_some() } else { self.is_guest(old_addr, old_end) };
        if !old_ok {
            return Err(libc::EFAULT);
        }
        let fixed = flags & MREMAP_FIXED != 0;
        let mut claims = Vec::new();
        if fixed {
            if !new_addr.is_multiple_of(PAGE_SIZE) {
                return Err(libc::EINVAL);
            }
            if new_addr < MIN_GUEST_ADDR {
                return Err(libc::EPERM);
            }
            let new_end = new_addr.checked_add(new_len).ok_or(libc::EINVAL)?;
            claims = self.claim_gaps(new_addr, new_end)?;
        }
        let old_pieces = if old_len == 0 {
            vec![self.region_at(old_addr).expect("checked above")]
        } else {
            self.regions_in(old_addr, old_end)
        };
        // SAFETY: the old range is guest memory and the target (if fixed) is guest memory or
        // our own fresh claims; a kernel-chosen target never replaces anything.
        let r = unsafe {
            libc::syscall(
                libc::SYS_mremap,
                old_addr as usize,
                old_len as usize,
                new_len as usize,
                flags as libc::c_long,
                new_addr as usize,
            )
        };
        if r == -1 {
            let e = last_errno();
            for c in claims {
                let _ = host_munmap(c.start, c.end - c.start);
            }
            return Err(e);
        }
        let got = r as u64;
        let last_prot = old_pieces.last().map_or(0, |p| p.prot);
        if got == old_addr {
            // Resized in place.
            if new_len < old_len {
                let old = self.table_remove(old_addr + new_len, old_end);
                self.note_exec_touched(&old);
            } else if new_len > old_len {
                self.table_set(old_end, old_addr + new_len, last_prot);
            }
            return Ok(got);
        }
        // Moved: the pages keep their protections at the same offsets.
        let moved_len = old_len.min(new_len);
        let keep_old = flags & MREMAP_DONTUNMAP != 0 || old_len == 0;
        if !keep_old {
            let old = self.table_remove(old_addr, old_end);
            self.note_exec_touched(&old);
        }
        let target_old = self.table_remove(got, got + new_len);
        self.note_exec_touched(&target_old);
        if old_len == 0 {
            self.table_insert(got, got + new_len, last_prot);
            return Ok(got);
        }
        for p in old_pieces.iter().filter(|p| p.start - old_addr < moved_len) {
            let (off, end) = (p.start - old_addr, (p.end - old_addr).min(moved_len));
            self.table_insert(got + off, got + end, p.prot);
        }
        if new_len > old_len {
            self.table_insert(got + old_len, got + new_len, last_prot);
        }
        Ok(got)
    }

    /// Linux `brk`: returns the new break, or the current one if `new` is out of range or the
    /// memory is not available (also for `brk(0)`, the query).
    pub fn brk(&mut self, new: u64) -> u64 {
        if self.brk_start == 0 || new < self.brk_start {
            return self.brk;
        }
        let (Some(cur_top), Some(new_top)) = (page_up(self.brk), page_up(new)) else {
            return self.brk;
        };
        if new_top > cur_top {
            let rw = libc::PROT_READ | libc::PROT_WRITE;
            if host_claim(cur_top, new_top, rw).is_err() {
                return self.brk;
            }
            self.table_set(cur_top, new_top, rw);
        } else if new_top < cur_top {
            if host_munmap(new_top, cur_top - new_top).is_err() {
                return self.brk;
            }
            let old = self.table_remove(new_top, cur_top);
            self.note_exec_touched(&old);
        }
        self.brk = new;
        self.brk
    }

    /// Sets the initial program break (the loader calls this once, with a page-aligned
    /// address just above the highest segment).
    pub fn set_brk_start(&mut self, start: u64) {
        self.brk_start = start;
        self.brk = start;
    }

    /// The initial program break.
    pub fn brk_start(&self) -> u64 {
        self.brk_start
    }

    // ----- for the loader -----

    /// Maps fresh zeroed anonymous memory at exactly `[start, start + len)` (`len` rounded up
    /// to pages) with guest protection `prot`. Fails with `EEXIST` if any of it is already
    /// mapped, by the guest or by xlate: the loader's check that an executable's segments do
    /// not overlap xlate's own memory.
    pub fn map_segment(&mut self, start: u64, len: u64, prot: i32) -> Result<u64, i32> {
        if !start.is_multiple_of(PAGE_SIZE) || len == 0 || prot & !PROT_RWX != 0 {
            return Err(libc::EINVAL);
        }
        let end = page_up(len).and_then(|l| start.checked_add(l)).ok_or(libc::ENOMEM)?;
        if start < MIN_GUEST_ADDR {
            return Err(libc::EPERM);
        }
        host_claim(start, end, host_prot(prot))?;
        self.table_set(start, end, prot);
        Ok(start)
    }

    /// Maps `len` bytes of inaccessible guest memory wherever the kernel finds room, aligned
    /// to `align` (a power of two, at least a page); the loader carves segments or the stack
    /// out of it with [`GuestMemory::mprotect`].
    pub fn reserve(&mut self, len: u64, align: u64) -> Result<u64, i32> {
        if len == 0 || !align.is_power_of_two() {
            return Err(libc::EINVAL);
        }
        let align = align.max(PAGE_SIZE);
        let len = page_up(len).ok_or(libc::ENOMEM)?;
        let padded = len.checked_add(align - PAGE_SIZE).ok_or(libc::ENOMEM)?;
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
        let raw = host_mmap(0, padded, libc::PROT_NONE, flags, -1, 0)?;
        let start = raw.checked_add(align - 1).ok_or(libc::ENOMEM)? & !(align - 1);
        if start > raw {
            let _ = host_munmap(raw, start - raw);
        }
        if raw + padded > start + len {
            let _ = host_munmap(start + len, raw + padded - (start + len));
        }
        self.table_set(start, start + len, libc::PROT_NONE);
        Ok(start)
    }

    /// Copies `bytes` into guest memory at `addr`. `EFAULT` unless the whole range is guest
    /// memory the guest may write.
    pub fn write_bytes(&mut self, addr: u64, bytes: &[u8]) -> Result<(), i32> {
        let end = addr.checked_add(bytes.len() as u64).ok_or(libc::EFAULT)?;
        if !self.is_guest(addr, end)
            || self.regions_in(addr, end).iter().any(|p| p.prot & libc::PROT_WRITE == 0)
        {
            return Err(libc::EFAULT);
        }
        // SAFETY: the range is guest memory mapped host-writable (guest PROT_WRITE implies
        // host PROT_WRITE) and no Rust reference points into guest memory.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), addr as *mut u8, bytes.len()) };
        Ok(())
    }

    /// Copies guest memory at `addr` into `buf`. `EFAULT` unless the whole range is guest
    /// memory with some access (readable on the host).
    pub fn read_bytes(&self, addr: u64, buf: &mut [u8]) -> Result<(), i32> {
        let end = addr.checked_add(buf.len() as u64).ok_or(libc::EFAULT)?;
        if !self.is_guest(addr, end) || self.regions_in(addr, end).iter().any(|p| p.prot == 0) {
            return Err(libc::EFAULT);
        }
        // SAFETY: the range is guest memory mapped host-readable (any guest access implies
        // host PROT_READ). A guest file mapping past the end of its file could still raise
        // SIGBUS; the loader never reads such memory.
        unsafe { std::ptr::copy_nonoverlapping(addr as *const u8, buf.as_mut_ptr(), buf.len()) };
        Ok(())
    }
}

impl Drop for GuestMemory {
    fn drop(&mut self) {
        if self.unmap_on_drop {
            self.unmap_all();
        }
    }
}

/// The host address for a helper's access to the guest bytes `[addr, addr + len)` of a guest
/// whose data addresses must be canonical at `bits` bits (x86-64: 48, `Guest::
/// canonical_address_bits`): `addr` itself when both ends are canonical, else an address that
/// faults. An x86-64 host faults on non-canonical addresses by itself (SI_KERNEL, classified by
/// `Guest::kernel_fault_signal`), so there it is always `addr`; an AArch64 host ignores the top
/// byte and maps user memory up to 2^48, so there a non-canonical end ORs into the address
/// what the AArch64 backend's check ORs into translated code's ([`faulting_bits`]), which
/// puts it above every user mapping.
pub fn helper_address(addr: u64, len: u64, bits: u32) -> u64 {
    if !cfg!(target_arch = "aarch64") {
        return addr;
    }
    addr | faulting_bits(addr, bits) | faulting_bits(addr.wrapping_add(len.max(1) - 1), bits)
}

/// 0 if `a` is canonical at `bits` bits, else bits 63 to 69-bits set and bits 3..0 clear (see
/// [`helper_address`]; the AArch64 backend's `data_address` emits the same computation).
pub fn faulting_bits(a: u64, bits: u32) -> u64 {
    let x = a ^ ((a as i64) >> 63) as u64;
    (x >> (bits - 1)).wrapping_neg() << 4
}

#[cfg(test)]
mod tests;
