//! Unit tests of [`GuestMemory`]: each runs real host mappings, placed by the kernel (so tests
//! running in parallel threads never collide), and unmaps them on drop.

use super::code::CodeSource;
use super::*;
use crate::ir::GuestAddr;
use libc::{MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_PRIVATE, PROT_EXEC, PROT_READ};
use libc::{PROT_NONE, PROT_WRITE};

const RW: i32 = PROT_READ | PROT_WRITE;
const RX: i32 = PROT_READ | PROT_EXEC;
const ANON: i32 = MAP_PRIVATE | MAP_ANONYMOUS;
const P: u64 = PAGE_SIZE;

fn mem() -> GuestMemory {
    let mut m = GuestMemory::new();
    m.set_unmap_on_drop(true);
    m
}

fn table(m: &GuestMemory) -> Vec<(u64, u64, i32)> {
    m.regions().map(|r| (r.start, r.end, r.prot)).collect()
}

/// What the host kernel says about `addr` (from /proc/self/maps): its permission string.
fn host_perms(addr: u64) -> Option<String> {
    host_perms_in(&std::fs::read_to_string("/proc/self/maps").unwrap(), addr)
}

fn host_perms_in(maps: &str, addr: u64) -> Option<String> {
    maps.lines().find_map(|l| {
        let mut f = l.split_whitespace();
        let (range, perms) = (f.next()?, f.next()?);
        let (a, b) = range.split_once('-')?;
        let (a, b) = (u64::from_str_radix(a, 16).ok()?, u64::from_str_radix(b, 16).ok()?);
        (a <= addr && addr < b).then(|| perms[..3].to_string())
    })
}

#[test]
fn anonymous_mmap_is_recorded_and_usable() {
    let mut m = mem();
    let a = m.mmap(0, 3 * P - 5, RW, ANON, -1, 0).unwrap();
    assert_eq!(a % P, 0);
    assert_eq!(table(&m), vec![(a, a + 3 * P, RW)]);
    m.write_bytes(a + 10, b"hello").unwrap();
    let mut buf = [0u8; 5];
    m.read_bytes(a + 10, &mut buf).unwrap();
    assert_eq!(&buf, b"hello");
    assert_eq!(host_perms(a).as_deref(), Some("rw-"));
}

#[test]
fn bad_arguments_give_linux_errors() {
    let mut m = mem();
    assert_eq!(m.mmap(0, 0, RW, ANON, -1, 0), Err(libc::EINVAL));
    assert_eq!(m.mmap(123, P, RW, ANON | MAP_FIXED, -1, 0), Err(libc::EINVAL));
    assert_eq!(m.mmap(0, P, 0x100, ANON, -1, 0), Err(libc::EINVAL));
    assert_eq!(m.mmap(0, u64::MAX - 10, RW, ANON, -1, 0), Err(libc::ENOMEM));
    assert_eq!(m.munmap(5, P), Err(libc::EINVAL));
    assert_eq!(m.munmap(P, 0), Err(libc::EINVAL));
    assert_eq!(m.mprotect(5, P, RW), Err(libc::EINVAL));
    assert!(m.regions().next().is_none());
}

#[test]
fn exec_pages_are_not_host_executable_but_are_readable_code() {
    let mut m = mem();
    let a = m.mmap(0, 2 * P, RW, ANON, -1, 0).unwrap();
    m.write_bytes(a, &[0x90, 0xc3]).unwrap();
    // Execute-only in the guest's view.
    m.mprotect(a, P, PROT_EXEC).unwrap();
    assert_eq!(host_perms(a).as_deref(), Some("r--"));
    let mut buf = [0u8; 16];
    assert_eq!(m.read_code(GuestAddr(a), &mut buf), 16);
    assert_eq!(&buf[..2], &[0x90, 0xc3]);
    // Code reads stop where executable memory stops.
    assert_eq!(m.read_code(GuestAddr(a + P - 4), &mut buf), 4);
    assert_eq!(m.read_code(GuestAddr(a + P), &mut buf), 0);
    assert_eq!(m.read_code(GuestAddr(u64::MAX - 3), &mut buf), 0);
}

#[test]
fn read_code_crosses_adjacent_exec_regions() {
    let mut m = mem();
    let a = m.mmap(0, 3 * P, RX, ANON, -1, 0).unwrap();
    m.mprotect(a + P, P, PROT_READ | PROT_WRITE | PROT_EXEC).unwrap();
    assert_eq!(m.regions().count(), 3);
    let mut buf = vec![0u8; (3 * P) as usize + 8];
    assert_eq!(m.read_code(GuestAddr(a), &mut buf), (3 * P) as usize);
}

#[test]
fn partial_munmap_and_mprotect_split_regions() {
    let mut m = mem();
    let a = m.mmap(0, 4 * P, RW, ANON, -1, 0).unwrap();
    m.mprotect(a + P, P, PROT_READ).unwrap();
    assert_eq!(table(&m), vec![(a, a + P, RW), (a + P, a + 2 * P, PROT_READ), (a + 2 * P, a + 4 * P, RW)]);
    assert_eq!(host_perms(a + P).as_deref(), Some("r--"));
    m.munmap(a + 2 * P, P).unwrap();
    assert_eq!(table(&m), vec![(a, a + P, RW), (a + P, a + 2 * P, PROT_READ), (a + 3 * P, a + 4 * P, RW)]);
    // (Not checked on the host: a parallel test's mapping may already have taken the hole.)
    assert!(m.region_at(a + 2 * P).is_none());
    // mprotect over the hole: ENOMEM, nothing changes.
    assert_eq!(m.mprotect(a, 4 * P, PROT_NONE), Err(libc::ENOMEM));
    assert_eq!(host_perms(a).as_deref(), Some("rw-"));
    // munmap over the hole is fine.
    m.munmap(a, 4 * P).unwrap();
    assert!(m.regions().next().is_none());
}

#[test]
fn map_fixed_replaces_guest_memory() {
    let mut m = mem();
    let a = m.mmap(0, 4 * P, RW, ANON, -1, 0).unwrap();
    m.write_bytes(a + P, &[7]).unwrap();
    let b = m.mmap(a + P, 2 * P, PROT_READ, ANON | MAP_FIXED, -1, 0).unwrap();
    assert_eq!(b, a + P);
    let mut x = [1u8];
    m.read_bytes(a + P, &mut x).unwrap();
    assert_eq!(x, [0], "MAP_FIXED gave fresh zero pages");
    assert_eq!(table(&m), vec![(a, a + P, RW), (a + P, a + 3 * P, PROT_READ), (a + 3 * P, a + 4 * P, RW)]);
}

#[test]
fn map_fixed_never_clobbers_xlate_memory() {
    static XLATE_DATA: [u8; 64] = [0x5a; 64];
    let heap = vec![0xa5u8; 3 * P as usize];
    let mut m = mem();
    for target in [
        XLATE_DATA.as_ptr() as u64,
        heap.as_ptr() as u64,
        host_perms as fn(u64) -> Option<String> as usize as u64,
    ] {
        let page = page_down(target);
        assert_eq!(m.mmap(page, P, RW, ANON | MAP_FIXED, -1, 0), Err(libc::ENOMEM));
        assert_eq!(m.mmap(page, P, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0), Err(libc::EEXIST));
        assert_eq!(m.mprotect(page, P, PROT_NONE), Err(libc::ENOMEM));
        assert_eq!(m.munmap(page, P), Ok(0));
        assert_eq!(m.map_segment(page, P, RW), Err(libc::EEXIST));
    }
    // A fixed mapping that is half guest memory and half xlate's fails as a whole.
    let g = m.mmap(0, P, RW, ANON, -1, 0).unwrap();
    let _blocker = m.mmap(0, P, RW, ANON, -1, 0).unwrap();
    assert!(XLATE_DATA.iter().all(|&b| b == 0x5a));
    assert!(heap.iter().all(|&b| b == 0xa5));
    assert!(m.is_guest(g, g + P));
    assert!(!m.is_guest(page_down(heap.as_ptr() as u64), page_down(heap.as_ptr() as u64) + P));
}

#[test]
fn map_fixed_over_a_gap_claims_free_space() {
    let mut m = mem();
    // A fixed address no other test uses, so that nothing else can take the hole.
    let a = 0x3e7e_0000_0000;
    assert_eq!(m.mmap(a, 3 * P, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0), Ok(a));
    m.munmap(a + P, P).unwrap();
    // The hole is free host space: a fixed mapping over all three pages succeeds.
    m.mmap(a, 3 * P, RX, ANON | MAP_FIXED, -1, 0).unwrap();
    assert_eq!(table(&m), vec![(a, a + 3 * P, RX)]);
    assert_eq!(host_perms(a + P).as_deref(), Some("r--"));
}

#[test]
fn exec_changes_bump_the_code_generation() {
    let mut m = mem();
    let a = m.mmap(0, 4 * P, RX, ANON, -1, 0).unwrap();
    let d = m.mmap(0, P, RW, ANON, -1, 0).unwrap();
    assert_eq!(m.code_generation(), 0);
    // Non-executable memory changes: no invalidation.
    m.mprotect(d, P, PROT_READ).unwrap();
    m.munmap(d, P).unwrap();
    // Same prot again: nothing to invalidate.
    m.mprotect(a, P, RX).unwrap();
    assert_eq!(m.code_generation(), 0);
    assert!(m.take_invalidated().is_empty());

    m.mprotect(a, P, RW).unwrap();
    assert_eq!(m.code_generation(), 1);
    assert_eq!(m.take_invalidated(), vec![a..a + P]);
    m.munmap(a + 3 * P, P).unwrap();
    assert_eq!(m.code_generation(), 2);
    assert_eq!(m.take_invalidated(), vec![a + 3 * P..a + 4 * P]);
    m.mmap(a + P, P, RW, ANON | MAP_FIXED, -1, 0).unwrap();
    assert_eq!(m.code_generation(), 3);
    assert_eq!(m.take_invalidated(), vec![a + P..a + 2 * P]);
    let moved = m.mremap(a + 2 * P, P, 2 * P, MREMAP_MAYMOVE, 0).unwrap();
    assert!(m.code_generation() >= 3);
    if moved != a + 2 * P {
        assert_eq!(m.code_generation(), 4);
    }
}

#[test]
fn mremap_grow_shrink_and_move_keep_the_table_right() {
    let mut m = mem();
    let a = m.mmap(0, 2 * P, RW, ANON, -1, 0).unwrap();
    m.write_bytes(a, b"abc").unwrap();
    m.mprotect(a + P, P, PROT_READ).unwrap();
    // Shrink in place.
    assert_eq!(m.mremap(a, 2 * P, P, 0, 0), Ok(a));
    assert_eq!(table(&m), vec![(a, a + P, RW)]);
    // Move to a fixed target inside our own mapping-to-be.
    let t = m.mmap(0, 8 * P, PROT_NONE, ANON, -1, 0).unwrap();
    let got = m.mremap(a, P, 3 * P, MREMAP_MAYMOVE | MREMAP_FIXED, t + 2 * P).unwrap();
    assert_eq!(got, t + 2 * P);
    assert_eq!(
        table(&m),
        vec![(t, t + 2 * P, PROT_NONE), (t + 2 * P, t + 5 * P, RW), (t + 5 * P, t + 8 * P, PROT_NONE)]
    );
    let mut buf = [0u8; 3];
    m.read_bytes(t + 2 * P, &mut buf).unwrap();
    assert_eq!(&buf, b"abc");
    assert!(m.region_at(a).is_none());
    // The old range must be guest memory.
    assert_eq!(m.mremap(a, P, 2 * P, MREMAP_MAYMOVE, 0), Err(libc::EFAULT));
    // A fixed target over xlate's memory fails.
    let heap = vec![1u8; 2 * P as usize];
    let hp = page_up(heap.as_ptr() as u64).unwrap();
    assert_eq!(m.mremap(t + 2 * P, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, hp), Err(libc::ENOMEM));
    assert!(heap.iter().all(|&b| b == 1));
    assert_eq!(m.mremap(t, P, P, MREMAP_FIXED, t + 6 * P), Err(libc::EINVAL));
}

#[test]
fn brk_grows_shrinks_and_reports_failure_as_the_old_break() {
    let mut m = mem();
    // Far below where the kernel places mappings (top-down from the stack) and far above
    // xlate's image, so no other test's mapping can appear there meanwhile.
    let base = 0x3a5a_0000_0000;
    assert_eq!(host_perms(base), None);
    m.set_brk_start(base);
    assert_eq!(m.brk(0), base);
    assert_eq!(m.brk(base - 1), base);
    assert_eq!(m.brk(base + 10), base + 10);
    assert_eq!(table(&m), vec![(base, base + P, RW)]);
    m.write_bytes(base, &[1; 10]).unwrap();
    assert_eq!(m.brk(base + 3 * P + 1), base + 3 * P + 1);
    assert_eq!(table(&m).last().unwrap().1, base + 4 * P);
    assert_eq!(m.brk(base + P), base + P);
    assert!(m.is_guest(base, base + P));
    assert!(!m.is_guest(base + P, base + 2 * P));
    assert_eq!(host_perms(base + P), None);
    // Growing into memory that is not free fails and returns the current break.
    let blocker = m.map_segment(base + 8 * P, P, RW).unwrap();
    assert_eq!(m.brk(base + 10 * P), base + P);
    m.munmap(blocker, P).unwrap();
}

#[test]
fn map_segment_and_reserve() {
    let mut m = mem();
    let r = m.reserve(10 * P, 1 << 20).unwrap();
    assert_eq!(r % (1 << 20), 0);
    assert_eq!(table(&m), vec![(r, r + 10 * P, PROT_NONE)]);
    assert_eq!(m.write_bytes(r, &[1]), Err(libc::EFAULT));
    m.mprotect(r, 2 * P, RW).unwrap();
    m.write_bytes(r, &[1]).unwrap();
    // map_segment refuses to replace guest memory too.
    assert_eq!(m.map_segment(r, P, RW), Err(libc::EEXIST));
    m.unmap_all();
    assert!(m.regions().next().is_none());
    // A fixed address no other test uses (the kernel allocates top down, far above).
    let fixed = 0x3d7d_0000_0000;
    assert_eq!(m.map_segment(fixed, 2 * P, RX), Ok(fixed));
    assert_eq!(host_perms(fixed).as_deref(), Some("r--"));
    assert_eq!(m.map_segment(P, P, RX), Err(libc::EPERM), "below mmap_min_addr");
    assert_eq!(m.mmap(0, P, RW, ANON | MAP_FIXED, -1, 0), Err(libc::EPERM));
}

/// Random mmap/munmap/mprotect/mremap/brk-free sequences (fixed seed) inside one arena,
/// checked after every step against a page-by-page model and against the host kernel's own
/// view (/proc/self/maps): the region table must always be exactly right.
#[test]
fn random_operations_match_a_page_model_and_the_host() {
    const PAGES: u64 = 48;
    // A fixed address far from where the kernel puts other tests' mappings (it allocates top
    // down from the stack), so holes we punch are not filled by them meanwhile.
    let base: u64 = 0x3b5b_0000_0000;
    let mut m = mem();
    assert_eq!(m.mmap(base, PAGES * P, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0), Ok(base));
    let mut model: Vec<Option<i32>> = vec![Some(RW); PAGES as usize];
    let mut seed = 0x1234_5678_9abc_def1u64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let prots = [PROT_NONE, PROT_READ, RW, RX, PROT_EXEC, PROT_READ | PROT_WRITE | PROT_EXEC];
    for step in 0..400 {
        let start = next(PAGES);
        let len = 1 + next(PAGES - start);
        let (addr, bytes) = (base + start * P, len * P);
        let range = start as usize..(start + len) as usize;
        let prot = prots[next(prots.len() as u64) as usize];
        let what = match next(4) {
            0 => {
                assert_eq!(m.mmap(addr, bytes, prot, ANON | MAP_FIXED, -1, 0), Ok(addr));
                model[range].iter_mut().for_each(|p| *p = Some(prot));
                "mmap"
            }
            1 => {
                assert_eq!(m.munmap(addr, bytes), Ok(0));
                model[range].iter_mut().for_each(|p| *p = None);
                "munmap"
            }
            2 => {
                let r = m.mprotect(addr, bytes, prot);
                if model[range.clone()].iter().all(|p| p.is_some()) {
                    assert_eq!(r, Ok(0), "step {step}");
                    model[range].iter_mut().for_each(|p| *p = Some(prot));
                } else {
                    assert_eq!(r, Err(libc::ENOMEM), "step {step}");
                }
                "mprotect"
            }
            _ => {
                // Move a run of pages that the kernel sees as one mapping (same prot, all
                // mapped) to a non-overlapping place in the arena.
                let first = model[start as usize];
                let run = model[range.clone()].iter().take_while(|&&p| p.is_some() && p == first).count();
                let dest = next(PAGES);
                let n = run as u64;
                let overlaps = dest < start + n && start < dest + n;
                if run == 0 || dest + n > PAGES || overlaps {
                    continue;
                }
                // The kernel may have merged the run with neighbours of the same prot: fine
                // for mremap, which takes part of a mapping.
                let r = m.mremap(addr, n * P, n * P, MREMAP_MAYMOVE | MREMAP_FIXED, base + dest * P);
                assert_eq!(r, Ok(base + dest * P), "step {step}");
                let moved: Vec<Option<i32>> = model[start as usize..(start + n) as usize].to_vec();
                model[start as usize..(start + n) as usize].iter_mut().for_each(|p| *p = None);
                model[dest as usize..(dest + n) as usize].copy_from_slice(&moved);
                "mremap"
            }
        };
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        for (i, want) in model.iter().enumerate() {
            let a = base + i as u64 * P;
            let got = m.region_at(a).map(|r| r.prot);
            assert_eq!(got, *want, "step {step} ({what}): page {i}");
            let host = host_perms_in(&maps, a);
            let want_host = want.map(|p| {
                let h = host_prot(p);
                format!(
                    "{}{}-",
                    if h & PROT_READ != 0 { 'r' } else { '-' },
                    if h & PROT_WRITE != 0 { 'w' } else { '-' }
                )
            });
            assert_eq!(host, want_host, "step {step} ({what}): host view of page {i}");
        }
        let n = m.regions().count();
        let merged = m
            .regions()
            .collect::<Vec<_>>()
            .windows(2)
            .filter(|w| w[0].end == w[1].start && w[0].prot == w[1].prot)
            .count();
        assert_eq!(merged, 0, "step {step}: {n} regions, adjacent equal ones are merged");
    }
}

/// Guest-controlled arguments, including absurd ones (fixed seed): every call returns (no
/// overflow panic), xlate's own memory survives, and the table stays consistent with the host.
#[test]
fn hostile_arguments_never_panic_or_clobber() {
    static CANARY: [u8; 8192] = [0x77; 8192];
    let canary_page = page_up(CANARY.as_ptr() as u64).unwrap();
    let heap = vec![0x66u8; 1 << 16];
    let mut m = mem();
    // Above every fixed address the other tests use: the break only grows upwards.
    m.set_brk_start(0x3f8f_0000_0000);
    let mut seed = 0xdead_beef_cafe_f00du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let addrs = |r: u64| -> u64 {
        match r % 9 {
            0 => 0,
            1 => canary_page,
            2 => page_down(heap.as_ptr() as u64) + P,
            3 => u64::MAX - P + 1,
            4 => 1 << 47,
            // User space below the fixed addresses other tests use (even with a 1 TiB length).
            5 => 0x1000_0000_0000 + (((r >> 8) % 0x2000_0000_0000) & !(P - 1)),
            6 => 0x4000_0000_1234,
            7 => page_down(host_perms as fn(u64) -> Option<String> as usize as u64),
            _ => r,
        }
    };
    let lens = |r: u64| -> u64 {
        match r % 7 {
            0 => 0,
            1 => 1,
            2 => P,
            3 => 5 * P + 3,
            4 => u64::MAX,
            5 => 1 << 40,
            _ => r >> 40,
        }
    };
    for _ in 0..3000 {
        let (a, l) = (addrs(next()), lens(next()));
        let prot = [RW, RX, PROT_NONE, PROT_EXEC, -1, 0x40, PROT_READ][(next() % 7) as usize];
        let flags =
            [ANON, ANON | MAP_FIXED, ANON | MAP_FIXED_NOREPLACE, MAP_ANONYMOUS, -1][(next() % 5) as usize];
        match next() % 6 {
            0 => {
                let _ = m.mmap(a, l, prot, flags, -1, next() % 3 * P);
            }
            1 => {
                let _ = m.munmap(a, l);
            }
            2 => {
                let _ = m.mprotect(a, l, prot);
            }
            3 => {
                let _ = m.mremap(a, l, lens(next()), (next() % 8) as i32, addrs(next()));
            }
            4 => {
                let _ = m.brk(a);
            }
            _ => {
                let mut buf = [0u8; 32];
                let _ = m.read_code(GuestAddr(a), &mut buf);
                let _ = m.read_bytes(a, &mut buf);
            }
        }
    }
    assert!(CANARY.iter().all(|&b| b == 0x77));
    assert!(heap.iter().all(|&b| b == 0x66));
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let regions: Vec<Region> = m.regions().collect();
    for w in regions.windows(2) {
        assert!(w[0].end <= w[1].start, "sorted, disjoint");
    }
    for r in &regions {
        assert!(r.start < r.end);
        let want = if r.prot == 0 {
            "---"
        } else if r.prot & PROT_WRITE != 0 {
            "rw-"
        } else {
            "r--"
        };
        for a in [r.start, r.end - P] {
            assert_eq!(host_perms_in(&maps, a).as_deref(), Some(want), "{r:?}");
        }
    }
}

#[test]
fn code_pages_are_write_protected_until_written() {
    let mut m = mem();
    m.enable_code_protection();
    let rwx = RW | PROT_EXEC;
    let a = m.mmap(0, 2 * P, rwx, ANON, -1, 0).unwrap();
    assert_eq!(host_perms(a).as_deref(), Some("rw-"));
    let mut buf = [0u8; 16];
    assert_eq!(m.read_code(GuestAddr(a), &mut buf), 16);
    assert_eq!(host_perms(a).as_deref(), Some("r--"), "read-only once code was read from it");
    assert_eq!(host_perms(a + P).as_deref(), Some("rw-"), "the next page held no code");
    // The guest's view is its own.
    assert_eq!(table(&m), [(a, a + 2 * P, rwx)]);
    // An mprotect that keeps it executable keeps the protection and the translations.
    m.mprotect(a, P, rwx).unwrap();
    assert_eq!(host_perms(a).as_deref(), Some("r--"));
    assert!(m.take_invalidated().is_empty());
    assert!(m.take_written_code().is_empty());
    // A system call about to write there takes the protection off and reports the page.
    m.prepare_kernel_write(a + 8, a + 9);
    assert_eq!(host_perms(a).as_deref(), Some("rw-"));
    assert_eq!(m.take_written_code(), vec![(a..a + P)]);
    assert!(m.take_written_code().is_empty());
    // Protected again when code is read again; unmapping forgets it.
    m.read_code(GuestAddr(a), &mut buf);
    assert_eq!(host_perms(a).as_deref(), Some("r--"));
    m.munmap(a, 2 * P).unwrap();
    let b = m.mmap(a, P, RW, ANON | MAP_FIXED, -1, 0).unwrap();
    assert_eq!(host_perms(b).as_deref(), Some("rw-"));
    m.prepare_kernel_write(b, b + P);
    assert!(m.take_written_code().is_empty());
}

#[test]
fn a_write_to_a_shared_view_reports_the_executable_view() {
    let mut m = mem();
    m.enable_code_protection();
    // SAFETY: a plain memfd of one page, closed at the end of the test.
    let fd = unsafe { libc::memfd_create(c"xlate-test".as_ptr(), 0) };
    assert!(fd >= 0);
    // SAFETY: as above.
    assert_eq!(unsafe { libc::ftruncate(fd, P as libc::off_t) }, 0);
    let w = m.mmap(0, P, RW, libc::MAP_SHARED, fd, 0).unwrap();
    let x = m.mmap(0, P, RX, libc::MAP_SHARED, fd, 0).unwrap();
    let mut buf = [0u8; 4];
    m.read_code(GuestAddr(x), &mut buf);
    assert_eq!(host_perms(w).as_deref(), Some("r--"), "the writable view is protected too");
    m.prepare_kernel_write(w, w + 4);
    assert_eq!(host_perms(w).as_deref(), Some("rw-"));
    let mut written = m.take_written_code();
    written.sort_by_key(|r| r.start);
    let mut want = vec![w..w + P, x..x + P];
    want.sort_by_key(|r| r.start);
    assert_eq!(written, want);
    // SAFETY: the fd is ours.
    unsafe { libc::close(fd) };
}

/// The canonical-address rule of x86-64 guests (48 bits) that helpers and the AArch64
/// backend's check share: canonical addresses of both halves are themselves, every other one
/// gets bits 55..48 set, above an AArch64 host's 48-bit user address space (its top byte is
/// ignored, so those are the bits that must change).
#[test]
fn non_canonical_addresses_get_bits_above_the_user_address_space() {
    for a in [0, 0x1000, 0x7fff_ffff_ffff, 0xffff_8000_0000_0000, 0xffff_ffff_ff60_0000, u64::MAX] {
        assert_eq!(super::faulting_bits(a, 48), 0, "{a:#x} is canonical");
    }
    for a in [
        0x8000_0000_0000,
        0xffff_ffff_ffff,
        0x0100_0000_0000_1000,
        0x8000_0000_0000_0000,
        0x7fff_ffff_ffff_ffff,
        0xfeff_8000_0000_0000,
        0xffff_7fff_ffff_ffff,
    ] {
        let bits = super::faulting_bits(a, 48);
        assert_eq!(bits & u64::MAX << 21, u64::MAX << 21, "{a:#x} is not canonical: bits 63..21");
        assert_eq!(bits & 15, 0, "{a:#x}: alignment kept");
        assert_ne!((a | bits) >> 48 & 0xff, 0, "{a:#x}: bits 55..48 set");
    }
    let helper = super::helper_address(0x7fff_ffff_fff0, 0x20, 48);
    if cfg!(target_arch = "aarch64") {
        assert_ne!(helper >> 48 & 0xff, 0, "a range whose end is not canonical faults");
    } else {
        assert_eq!(helper, 0x7fff_ffff_fff0, "an x86-64 host checks by itself");
    }
}
