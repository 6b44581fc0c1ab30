//! Write protection of the guest pages that translated code was read from (see "Self-modifying
//! code" in docs/ARCHITECTURE.md): [`GuestMemory`] protects a page when a frontend reads code
//! from it, keeps the protection across changes of the region table, takes it off before a
//! system call writes there, and hands the runtime the ranges written since
//! ([`GuestMemory::take_written_code`]). The host signal handler takes the protection off
//! a page on a guest store ([`unprotect_written_page`]).

use super::code_pages::{CodePages, DIRTY, GUEST_WRITABLE, PROTECTED};
use super::{host_prot, GuestMemory, SharedFile, PAGE_SIZE};
use std::ops::Range;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

/// The process's table, for the host signal handler (null until protection is enabled).
static GLOBAL: AtomicPtr<CodePages> = AtomicPtr::new(std::ptr::null_mut());

/// The table of the guest memory that enabled protection, if any (async-signal-safe).
pub fn global() -> Option<&'static CodePages> {
    let p = GLOBAL.load(Ordering::Acquire);
    // SAFETY: a non-null GLOBAL was leaked by `enable_code_protection` and is never freed.
    (!p.is_null()).then(|| unsafe { &*p })
}

/// The host signal handler's half: a write fault at `addr`. If `addr` is in a page that is
/// write-protected because of translations and the guest may write it, makes the page
/// writable on the host, marks it written ([`CodePages::mark_dirty`]) and returns true: the
/// faulting access can run again. False for every other fault (the guest's own).
/// Async-signal-safe.
pub fn unprotect_written_page(addr: u64) -> bool {
    global().is_some_and(|pages| unprotect_page_in(pages, addr))
}

/// [`unprotect_written_page`] with the table given.
fn unprotect_page_in(pages: &CodePages, addr: u64) -> bool {
    let Some(entry) = pages.get(addr / PAGE_SIZE) else { return false };
    if CodePages::flags(entry) & GUEST_WRITABLE == 0 {
        return false;
    }
    let page = addr & !(PAGE_SIZE - 1);
    // SAFETY: the page is guest memory the guest may write (its entry says so); making it
    // host-writable gives it the protection the guest asked for (host_prot of a writable
    // guest page is read-write).
    unsafe {
        libc::mprotect(page as *mut libc::c_void, PAGE_SIZE as usize, libc::PROT_READ | libc::PROT_WRITE)
    };
    pages.mark_dirty(entry);
    true
}

impl GuestMemory {
    /// From now on, pages that code is read from ([`super::code::CodeSource`]) are
    /// write-protected on the host, and the host signal handler finds them (one table per
    /// process: the runtime's guest memory).
    pub fn enable_code_protection(&mut self) {
        let pages: &'static CodePages = Box::leak(Box::new(CodePages::new()));
        self.code_pages = Some(pages);
        GLOBAL.store(std::ptr::from_ref(pages).cast_mut(), Ordering::Release);
    }

    /// Whether every page code was read from is write-protected: protection is enabled and
    /// its table never overflowed.
    pub fn sees_code_writes(&self) -> bool {
        self.code_pages.is_some_and(|p| !p.overflowed())
    }

    /// The known code pages (entries) in `[start, end)`.
    fn known_pages(&self, start: u64, end: u64) -> Vec<(u64, &AtomicU64)> {
        let Some(pages) = self.code_pages else { return Vec::new() };
        let (first, last) = (start / PAGE_SIZE, end.div_ceil(PAGE_SIZE));
        let known = self.known.borrow();
        known.range(first..last).filter_map(|&p| pages.get(p).map(|e| (p, e))).collect()
    }

    /// The region table changed over `[start, end)`: `Some(prot)`, the pages now have guest
    /// protection `prot` (their host mapping as `host_prot(prot)` made it); `None`, they are
    /// gone or replaced. Either way the host mapping is no longer protected by us.
    pub(super) fn sync_code_pages(&mut self, start: u64, end: u64, prot: Option<i32>) {
        let writable = prot.is_some_and(|p| p & libc::PROT_WRITE != 0);
        for (_, e) in self.known_pages(start, end) {
            let set = if writable { GUEST_WRITABLE } else { 0 };
            CodePages::update(e, set, PROTECTED | (GUEST_WRITABLE & !set));
        }
    }

    /// mprotect kept translations of `pages` (their protection still has PROT_EXEC, now
    /// `prot`): protects them again on the host.
    pub(super) fn protect_again(&self, pages: &[u64], prot: i32) {
        for &p in pages {
            self.protect_page(p * PAGE_SIZE, prot);
        }
    }

    /// The pages of `[start, end)` that are protected now.
    pub(super) fn protected_pages(&self, start: u64, end: u64) -> Vec<u64> {
        self.known_pages(start, end)
            .into_iter()
            .filter(|(_, e)| CodePages::flags(e) & PROTECTED != 0)
            .map(|(p, _)| p)
            .collect()
    }

    /// Code is about to be read from `[start, end)`: protects its pages that are executable
    /// guest memory, and the other guest views of the same shared file pages.
    pub(super) fn protect_code(&self, start: u64, end: u64) {
        if self.code_pages.is_none() || start >= end {
            return;
        }
        let mut page = start & !(PAGE_SIZE - 1);
        while page < end {
            if let Some(r) = self.region_at(page).filter(|r| r.is_exec()) {
                if self.protect_page(page, r.prot) {
                    for alias in self.aliases(page) {
                        if let Some(a) = self.region_at(alias) {
                            self.protect_page(alias, a.prot);
                        }
                    }
                }
            }
            page += PAGE_SIZE;
        }
    }

    /// Protects one page with guest protection `prot`; true if it was not protected before.
    /// The entry says PROTECTED before the host mapping is made read-only, so a write fault
    /// always finds it.
    fn protect_page(&self, page: u64, prot: i32) -> bool {
        let Some(pages) = self.code_pages else { return false };
        let Some(entry) = pages.get_or_insert(page / PAGE_SIZE) else { return false };
        let flags = CodePages::flags(entry);
        if flags & PROTECTED != 0 {
            return false;
        }
        self.known.borrow_mut().insert(page / PAGE_SIZE);
        let writable = prot & libc::PROT_WRITE != 0;
        let set = PROTECTED | if writable { GUEST_WRITABLE } else { 0 };
        CodePages::update(entry, set, if writable { 0 } else { GUEST_WRITABLE });
        self.protected.borrow_mut().insert(page / PAGE_SIZE);
        if writable {
            // SAFETY: the page is guest memory; read-only on the host is a stricter
            // protection than the guest's, and the signal handler lifts it on a write.
            unsafe {
                libc::mprotect(
                    page as *mut libc::c_void,
                    PAGE_SIZE as usize,
                    host_prot(prot) & !libc::PROT_WRITE,
                )
            };
        }
        true
    }

    /// The kernel is about to write `[start, end)` for the guest (a system call's output
    /// buffer): takes the protection off the code pages there and marks them written, so the
    /// call does not fail with EFAULT and the translations of what it writes are dropped.
    pub fn prepare_kernel_write(&mut self, start: u64, end: u64) {
        let Some(pages) = self.code_pages else { return };
        for (p, e) in self.known_pages(start, end) {
            if CodePages::flags(e) & (PROTECTED | GUEST_WRITABLE) == PROTECTED | GUEST_WRITABLE {
                unprotect_page_in(pages, p * PAGE_SIZE);
            }
        }
    }

    /// The guest ranges written since the last call whose translations must be dropped (pages
    /// a write fault or a system call unprotected, and their other views of shared file
    /// pages); empty at the cost of one load when nothing was written.
    pub fn take_written_code(&mut self) -> Vec<Range<u64>> {
        let Some(pages) = self.code_pages else { return Vec::new() };
        if !pages.take_dirty_flag() {
            return Vec::new();
        }
        let mut out = Vec::new();
        // Only protected pages can be written with translations still alive (see
        // `protected`): no scan of the whole table.
        self.protected.borrow_mut().retain(|&p| {
            let Some(e) = pages.get(p) else { return false };
            let flags = CodePages::flags(e);
            if flags & DIRTY != 0 {
                CodePages::update(e, 0, DIRTY);
                let page = p * PAGE_SIZE;
                out.push(page..page + PAGE_SIZE);
                out.extend(self.aliases(page).into_iter().map(|a| a..a + PAGE_SIZE));
            }
            flags & PROTECTED != 0 && flags & DIRTY == 0
        });
        out
    }

    /// Records a MAP_SHARED mapping of `fd` at `[start, end)` from file offset `offset`.
    pub(super) fn note_shared(&mut self, start: u64, end: u64, fd: i32, offset: u64) {
        if self.code_pages.is_none() {
            return;
        }
        // SAFETY: fstat fills a local struct of the right type (all-zero is a valid stat).
        let st = unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            if libc::fstat(fd, &mut st) != 0 {
                return;
            }
            st
        };
        self.shared.insert(start, SharedFile { end, dev: st.st_dev, ino: st.st_ino, offset });
    }

    /// Forgets the shared-file records of `[start, end)` (splitting records at its edges).
    pub(super) fn forget_shared(&mut self, start: u64, end: u64) {
        if self.shared.is_empty() {
            return;
        }
        let hit: Vec<u64> =
            self.shared.range(..end).filter(|(&s, f)| s < end && start < f.end).map(|(&s, _)| s).collect();
        for s in hit {
            let f = self.shared.remove(&s).expect("listed");
            if s < start {
                self.shared.insert(s, SharedFile { end: start, ..f });
            }
            if end < f.end {
                self.shared.insert(end, SharedFile { offset: f.offset + (end - s), ..f });
            }
        }
    }

    /// The other guest pages that map the same shared file page as `page`.
    fn aliases(&self, page: u64) -> Vec<u64> {
        if self.shared.is_empty() {
            return Vec::new();
        }
        let Some((&s, f)) = self.shared.range(..=page).next_back() else { return Vec::new() };
        if page >= f.end {
            return Vec::new();
        }
        let file_offset = f.offset + (page - s);
        self.shared
            .iter()
            .filter(|(&s2, g)| s2 != s && g.dev == f.dev && g.ino == f.ino)
            .filter_map(|(&s2, g)| {
                let off = file_offset.checked_sub(g.offset)?;
                (off < g.end - s2).then_some(s2 + off)
            })
            .collect()
    }
}
