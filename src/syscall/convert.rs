//! Struct layouts and flag encodings that differ between the x86-64 ABI and the asm-generic
//! ABI that AArch64 uses, each written as an explicit `#[repr(C)]` struct from the kernel's
//! uapi headers, and the conversions between them through one canonical form.
//!
//! The same on both (so forwarded unchanged, no converter): `struct statfs` (both use
//! asm-generic/statfs.h with 64-bit words), `struct sigaction` as the kernel takes it
//! (handler, flags, restorer, mask on both), `stack_t`, `timespec`, `timeval`, `rlimit`,
//! `termios`, `struct flock`, `struct statx`, `linux_dirent64`, signal numbers, errno values,
//! `fcntl` commands and `ioctl` terminal requests.
//!
//! Different: `struct stat` ([`X86Stat`] vs [`GenericStat`]), `struct epoll_event` (packed on
//! x86-64 only), four open flags ([`OpenFlagBits`]), and `clone`'s argument order (in
//! [`crate::syscall::AbiInfo`]).

use std::mem::size_of;

/// Which `struct stat` an ABI uses.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum StatLayout {
    /// arch/x86/include/uapi/asm/stat.h (x86-64 branch): 144 bytes.
    X86_64,
    /// include/uapi/asm-generic/stat.h: 128 bytes (AArch64, RISC-V, ...).
    Generic,
}

/// `struct stat` of x86-64 (asm/stat.h, `#else /* __i386__ */` branch).
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct X86Stat {
    pub st_dev: u64,
    pub st_ino: u64,
    pub st_nlink: u64,
    pub st_mode: u32,
    pub st_uid: u32,
    pub st_gid: u32,
    pub pad0: u32,
    pub st_rdev: u64,
    pub st_size: i64,
    pub st_blksize: i64,
    pub st_blocks: i64,
    pub st_atime: u64,
    pub st_atime_nsec: u64,
    pub st_mtime: u64,
    pub st_mtime_nsec: u64,
    pub st_ctime: u64,
    pub st_ctime_nsec: u64,
    pub unused: [i64; 3],
}

/// `struct stat` of asm-generic/stat.h with 64-bit `long` (AArch64).
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct GenericStat {
    pub st_dev: u64,
    pub st_ino: u64,
    pub st_mode: u32,
    pub st_nlink: u32,
    pub st_uid: u32,
    pub st_gid: u32,
    pub st_rdev: u64,
    pub pad1: u64,
    pub st_size: i64,
    pub st_blksize: i32,
    pub pad2: i32,
    pub st_blocks: i64,
    pub st_atime: i64,
    pub st_atime_nsec: u64,
    pub st_mtime: i64,
    pub st_mtime_nsec: u64,
    pub st_ctime: i64,
    pub st_ctime_nsec: u64,
    pub unused4: u32,
    pub unused5: u32,
}

const _: () = assert!(size_of::<X86Stat>() == 144);
const _: () = assert!(size_of::<GenericStat>() == 128);

/// The union of both `struct stat`s' information, at the widest types.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub mode: u32,
    pub nlink: u64,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: i64,
    pub blksize: i64,
    pub blocks: i64,
    /// (seconds, nanoseconds) of access, modification and status change.
    pub atime: (i64, u64),
    pub mtime: (i64, u64),
    pub ctime: (i64, u64),
}

impl From<X86Stat> for Stat {
    fn from(s: X86Stat) -> Stat {
        Stat {
            dev: s.st_dev,
            ino: s.st_ino,
            mode: s.st_mode,
            nlink: s.st_nlink,
            uid: s.st_uid,
            gid: s.st_gid,
            rdev: s.st_rdev,
            size: s.st_size,
            blksize: s.st_blksize,
            blocks: s.st_blocks,
            atime: (s.st_atime as i64, s.st_atime_nsec),
            mtime: (s.st_mtime as i64, s.st_mtime_nsec),
            ctime: (s.st_ctime as i64, s.st_ctime_nsec),
        }
    }
}

impl From<Stat> for X86Stat {
    fn from(s: Stat) -> X86Stat {
        X86Stat {
            st_dev: s.dev,
            st_ino: s.ino,
            st_nlink: s.nlink,
            st_mode: s.mode,
            st_uid: s.uid,
            st_gid: s.gid,
            st_rdev: s.rdev,
            st_size: s.size,
            st_blksize: s.blksize,
            st_blocks: s.blocks,
            st_atime: s.atime.0 as u64,
            st_atime_nsec: s.atime.1,
            st_mtime: s.mtime.0 as u64,
            st_mtime_nsec: s.mtime.1,
            st_ctime: s.ctime.0 as u64,
            st_ctime_nsec: s.ctime.1,
            ..X86Stat::default()
        }
    }
}

impl From<GenericStat> for Stat {
    fn from(s: GenericStat) -> Stat {
        Stat {
            dev: s.st_dev,
            ino: s.st_ino,
            mode: s.st_mode,
            nlink: s.st_nlink as u64,
            uid: s.st_uid,
            gid: s.st_gid,
            rdev: s.st_rdev,
            size: s.st_size,
            blksize: s.st_blksize as i64,
            blocks: s.st_blocks,
            atime: (s.st_atime, s.st_atime_nsec),
            mtime: (s.st_mtime, s.st_mtime_nsec),
            ctime: (s.st_ctime, s.st_ctime_nsec),
        }
    }
}

impl From<Stat> for GenericStat {
    /// `nlink` and `blksize` are 32-bit here; the kernel's own cp_new_stat returns EOVERFLOW
    /// where they do not fit, which [`Stat::to_layout`] does before calling this.
    fn from(s: Stat) -> GenericStat {
        GenericStat {
            st_dev: s.dev,
            st_ino: s.ino,
            st_mode: s.mode,
            st_nlink: s.nlink as u32,
            st_uid: s.uid,
            st_gid: s.gid,
            st_rdev: s.rdev,
            st_size: s.size,
            st_blksize: s.blksize as i32,
            st_blocks: s.blocks,
            st_atime: s.atime.0,
            st_atime_nsec: s.atime.1,
            st_mtime: s.mtime.0,
            st_mtime_nsec: s.mtime.1,
            st_ctime: s.ctime.0,
            st_ctime_nsec: s.ctime.1,
            ..GenericStat::default()
        }
    }
}

/// The host kernel's `struct stat`.
#[cfg(target_arch = "x86_64")]
pub type HostStat = X86Stat;
#[cfg(target_arch = "aarch64")]
pub type HostStat = GenericStat;

impl Stat {
    /// The bytes of this stat in `layout`, or EOVERFLOW where a field does not fit (as the
    /// kernel does for a narrower `struct stat`).
    pub fn to_layout(&self, layout: StatLayout) -> Result<Vec<u8>, super::Errno> {
        Ok(match layout {
            StatLayout::X86_64 => bytes_of(&X86Stat::from(*self)).to_vec(),
            StatLayout::Generic => {
                if self.nlink > u32::MAX as u64 || i32::try_from(self.blksize).is_err() {
                    return Err(libc::EOVERFLOW);
                }
                bytes_of(&GenericStat::from(*self)).to_vec()
            }
        })
    }
}

/// Plain-data `#[repr(C)]` structs of this module, which may be viewed as bytes and built from
/// any bytes.
///
/// # Safety
/// Implementors must be `#[repr(C)]`, have no padding the compiler may leave uninitialised
/// (every byte belongs to a field), and accept any bit pattern in every field.
pub unsafe trait Pod: Copy + Default {}
// SAFETY: both stat structs are repr(C) made of integers only, with explicit padding fields
// and sizes that are multiples of their 8-byte alignment (checked above).
unsafe impl Pod for X86Stat {}
// SAFETY: as above.
unsafe impl Pod for GenericStat {}
// SAFETY: repr(C) integers with explicit padding, 16 bytes.
unsafe impl Pod for EpollEventGeneric {}
// SAFETY: repr(C, packed) integers: no padding at all, 12 bytes.
unsafe impl Pod for EpollEventX86 {}

/// The bytes of a [`Pod`] value.
pub fn bytes_of<T: Pod>(v: &T) -> &[u8] {
    // SAFETY: `T: Pod` has no uninitialised bytes; the slice covers exactly `*v` and lives as
    // long as the borrow.
    unsafe { std::slice::from_raw_parts((v as *const T).cast::<u8>(), size_of::<T>()) }
}

/// A [`Pod`] value from the first `size_of::<T>()` bytes of `b` (which must be that long).
pub fn from_bytes<T: Pod>(b: &[u8]) -> T {
    assert!(b.len() >= size_of::<T>(), "from_bytes: short buffer");
    // SAFETY: the length was checked; `T: Pod` accepts any bytes; read_unaligned has no
    // alignment requirement.
    unsafe { std::ptr::read_unaligned(b.as_ptr().cast::<T>()) }
}

/// `struct epoll_event` on x86-64: `__attribute__((packed))` (linux/eventpoll.h).
#[repr(C, packed)]
#[derive(Clone, Copy, Default, Debug)]
pub struct EpollEventX86 {
    pub events: u32,
    pub data: u64,
}

/// `struct epoll_event` everywhere else: naturally aligned.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct EpollEventGeneric {
    pub events: u32,
    pub pad: u32,
    pub data: u64,
}

const _: () = assert!(size_of::<EpollEventX86>() == 12);
const _: () = assert!(size_of::<EpollEventGeneric>() == 16);

/// The size of one `epoll_event` in an ABI.
pub fn epoll_event_size(packed: bool) -> usize {
    if packed {
        size_of::<EpollEventX86>()
    } else {
        size_of::<EpollEventGeneric>()
    }
}

/// Reads one epoll_event (events, data) from bytes in an ABI's layout.
pub fn epoll_event_read(packed: bool, b: &[u8]) -> (u32, u64) {
    if packed {
        let e: EpollEventX86 = from_bytes(b);
        (e.events, e.data)
    } else {
        let e: EpollEventGeneric = from_bytes(b);
        (e.events, e.data)
    }
}

/// Writes one epoll_event in an ABI's layout.
pub fn epoll_event_bytes(packed: bool, events: u32, data: u64) -> Vec<u8> {
    if packed {
        bytes_of(&EpollEventX86 { events, data }).to_vec()
    } else {
        bytes_of(&EpollEventGeneric { events, pad: 0, data }).to_vec()
    }
}

/// The open(2) flags whose values differ between architectures. x86-64 uses the asm-generic
/// values; arm64 overrides four of them (arch/arm64/include/uapi/asm/fcntl.h). All other
/// O_* bits are the same.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct OpenFlagBits {
    pub directory: u32,
    pub nofollow: u32,
    pub direct: u32,
    pub largefile: u32,
}

impl OpenFlagBits {
    /// asm-generic/fcntl.h (used by x86-64).
    pub const X86_64: OpenFlagBits =
        OpenFlagBits { directory: 0o200000, nofollow: 0o400000, direct: 0o40000, largefile: 0o100000 };
    /// arch/arm64/include/uapi/asm/fcntl.h.
    pub const AARCH64: OpenFlagBits =
        OpenFlagBits { directory: 0o40000, nofollow: 0o100000, direct: 0o200000, largefile: 0o400000 };

    fn pairs(&self) -> [u32; 4] {
        [self.directory, self.nofollow, self.direct, self.largefile]
    }

    /// Re-encodes `flags` from this ABI's encoding into `to`'s.
    pub fn convert(&self, to: &OpenFlagBits, flags: u64) -> u64 {
        if self == to {
            return flags;
        }
        let from_bits = self.pairs();
        let to_bits = to.pairs();
        let moving: u32 = from_bits.iter().fold(0, |m, b| m | b);
        let mut out = flags & !(moving as u64);
        for (f, t) in from_bits.iter().zip(to_bits) {
            if flags & *f as u64 != 0 {
                out |= t as u64;
            }
        }
        out
    }
}
