//! Struct and flag converters between the x86-64 and asm-generic (AArch64) layouts: round
//! trips, and field values checked against a real `fstat` of a file.

// libc::stat's field types differ per host (st_nlink is u64 on x86-64, u32 on AArch64): the
// casts are needed on one of them.
#![allow(clippy::unnecessary_cast)]

use xlate::syscall::convert::{
    bytes_of, epoll_event_bytes, epoll_event_read, from_bytes, GenericStat, OpenFlagBits, Stat, StatLayout,
    X86Stat,
};

fn host_fstat_of_temp_file() -> (libc::stat, std::path::PathBuf) {
    // One file per call: tests run in parallel threads of one process, and each removes its
    // file when done.
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("xlate-convert-{}-{n}", std::process::id()));
    std::fs::write(&path, vec![1u8; 5000]).unwrap();
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: libc::stat is plain data (all-zero is a valid value) and `c` is a NUL-terminated
    // path that outlives the call.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: as above; `st` is a valid, writable struct stat.
    assert_eq!(unsafe { libc::stat(c.as_ptr(), &mut st) }, 0);
    (st, path)
}

/// The canonical form of a host `struct stat`, field by field from libc's definition (which
/// is the kernel's layout on both 64-bit hosts).
fn canonical(st: &libc::stat) -> Stat {
    Stat {
        dev: st.st_dev,
        ino: st.st_ino,
        mode: st.st_mode,
        nlink: st.st_nlink as u64,
        uid: st.st_uid,
        gid: st.st_gid,
        rdev: st.st_rdev,
        size: st.st_size,
        blksize: st.st_blksize as i64,
        blocks: st.st_blocks,
        atime: (st.st_atime, st.st_atime_nsec as u64),
        mtime: (st.st_mtime, st.st_mtime_nsec as u64),
        ctime: (st.st_ctime, st.st_ctime_nsec as u64),
    }
}

#[test]
fn host_stat_bytes_are_the_host_layout() {
    let (st, path) = host_fstat_of_temp_file();
    // SAFETY: reading the bytes of a plain C struct.
    let raw = unsafe {
        std::slice::from_raw_parts((&st as *const libc::stat).cast::<u8>(), size_of::<libc::stat>())
    };
    let ours: Stat = if cfg!(target_arch = "x86_64") {
        from_bytes::<X86Stat>(raw).into()
    } else {
        from_bytes::<GenericStat>(raw).into()
    };
    assert_eq!(ours, canonical(&st));
    assert_eq!(ours.size, 5000);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn stat_round_trips_through_both_layouts() {
    let (st, path) = host_fstat_of_temp_file();
    let s = canonical(&st);
    let x86 = X86Stat::from(s);
    let generic = GenericStat::from(s);
    assert_eq!(Stat::from(x86), s);
    assert_eq!(Stat::from(generic), s);
    assert_eq!(X86Stat::from(Stat::from(generic)), x86);
    assert_eq!(GenericStat::from(Stat::from(x86)), generic);
    assert_eq!(s.to_layout(StatLayout::X86_64).unwrap(), bytes_of(&x86));
    assert_eq!(s.to_layout(StatLayout::Generic).unwrap(), bytes_of(&generic));
    // Where they differ: st_nlink is the third field on x86-64 (offset 16, 64-bit) and the
    // fourth on asm-generic (offset 20, 32-bit).
    let xb = bytes_of(&x86);
    let gb = bytes_of(&generic);
    assert_eq!(u64::from_le_bytes(xb[16..24].try_into().unwrap()), st.st_nlink as u64);
    assert_eq!(u32::from_le_bytes(gb[20..24].try_into().unwrap()) as u64, st.st_nlink as u64);
    assert_eq!(u32::from_le_bytes(xb[24..28].try_into().unwrap()), st.st_mode);
    assert_eq!(u32::from_le_bytes(gb[16..20].try_into().unwrap()), st.st_mode);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn stat_that_does_not_fit_asm_generic_is_eoverflow() {
    let s = Stat { nlink: 1 << 32, ..Stat::default() };
    assert_eq!(s.to_layout(StatLayout::Generic), Err(libc::EOVERFLOW));
    assert!(s.to_layout(StatLayout::X86_64).is_ok());
}

#[test]
fn epoll_event_layouts() {
    let packed = epoll_event_bytes(true, 0x8000_0001, 0x1122_3344_5566_7788);
    assert_eq!(packed.len(), 12);
    assert_eq!(&packed[4..12], &0x1122_3344_5566_7788u64.to_le_bytes());
    let natural = epoll_event_bytes(false, 0x8000_0001, 0x1122_3344_5566_7788);
    assert_eq!(natural.len(), 16);
    assert_eq!(&natural[8..16], &0x1122_3344_5566_7788u64.to_le_bytes());
    assert_eq!(epoll_event_read(true, &packed), (0x8000_0001, 0x1122_3344_5566_7788));
    assert_eq!(epoll_event_read(false, &natural), (0x8000_0001, 0x1122_3344_5566_7788));
    // The host's own struct is the host ABI's.
    let host_size = size_of::<libc::epoll_event>();
    assert_eq!(host_size, if cfg!(target_arch = "x86_64") { 12 } else { 16 });
}

#[test]
fn open_flags_convert_both_ways() {
    let (x, a) = (OpenFlagBits::X86_64, OpenFlagBits::AARCH64);
    // The host's libc constants are the host ABI's encoding.
    let host = if cfg!(target_arch = "x86_64") { x } else { a };
    assert_eq!(host.directory, libc::O_DIRECTORY as u32);
    assert_eq!(host.nofollow, libc::O_NOFOLLOW as u32);
    assert_eq!(host.direct, libc::O_DIRECT as u32);
    // (The libc crate's O_LARGEFILE is glibc's, 0 on x86-64, not the kernel's bit.)
    let common = (libc::O_RDWR | libc::O_CREAT | libc::O_CLOEXEC | libc::O_NONBLOCK) as u64;
    for (fx, fa) in [
        (x.directory, a.directory),
        (x.nofollow, a.nofollow),
        (x.direct, a.direct),
        (x.largefile, a.largefile),
    ] {
        assert_eq!(x.convert(&a, common | fx as u64), common | fa as u64);
        assert_eq!(a.convert(&x, common | fa as u64), common | fx as u64);
    }
    let all_x = (x.directory | x.nofollow | x.direct | x.largefile) as u64 | common;
    assert_eq!(a.convert(&x, x.convert(&a, all_x)), all_x);
    assert_eq!(x.convert(&x, all_x), all_x);
}
