//! Guest memory as the syscall layer sees it: the [`GuestMm`] interface to the runtime's guest
//! memory (which owns brk, mmap and the map of what is guest memory), the handlers of the
//! memory-management calls, and checked copies between guest memory and the layer's buffers.
//!
//! The layer never maps or unmaps memory itself: mmap and friends must never hand out or
//! clobber xlate's own memory, and only the runtime's [`GuestMemory`] knows where that is.

use super::abi::pointers::{ioctl_output, ipc_ctl_output, pointers, Len, Ptr, STRUCTS_MAX};
use super::{err, Action, Ctx, Errno, Sysno};
use crate::memory::GuestMemory;
use std::ops::Range;

/// What the syscall layer needs from the runtime's guest memory. Results are raw kernel-style
/// values (an address or 0, or `-errno`), as the guest receives them.
pub trait GuestMm {
    /// brk(2) as the kernel does it: moves the break to `addr` if it can, and returns the
    /// (new or unchanged) break; `brk(0)` returns the current break.
    fn brk(&mut self, addr: u64) -> u64;
    fn mmap(&mut self, addr: u64, len: u64, prot: u64, flags: u64, fd: u64, offset: u64) -> i64;
    fn munmap(&mut self, addr: u64, len: u64) -> i64;
    fn mprotect(&mut self, addr: u64, len: u64, prot: u64) -> i64;
    fn mremap(&mut self, old: u64, old_len: u64, new_len: u64, flags: u64, new: u64) -> i64;
    fn shmat(&mut self, id: u64, addr: u64, flags: u64) -> i64;
    fn shmdt(&mut self, addr: u64) -> i64;
    /// The guest ranges whose executable memory was unmapped, replaced or re-protected since
    /// the last call (translations of them must be dropped).
    fn take_invalidated(&mut self) -> Vec<Range<u64>>;
    /// Whether the guest may read (or, with `write`, write) all of `[addr, addr + len)`.
    fn is_accessible(&self, addr: u64, len: u64, write: bool) -> bool;
    /// The guest's mappings in address order, with their guest protection (`PROT_*`).
    fn regions(&self) -> Vec<(Range<u64>, i32)>;
    /// The kernel is about to write `[addr, addr + len)` for the guest: guest code pages
    /// there that are write-protected for translation lose that protection (and their
    /// translations are dropped after the call), so the call does not fail with EFAULT.
    fn prepare_kernel_write(&mut self, addr: u64, len: u64) {
        let _ = (addr, len);
    }
}

/// brk, mmap, munmap, mprotect, mremap: done by the runtime's guest memory; a call that
/// changed executable guest memory also tells the runtime to drop translations of it.
pub(crate) fn handle(cx: &mut Ctx, sys: Sysno, a: [u64; 6]) -> Action {
    let mem = &mut *cx.mem;
    let ret = match sys {
        Sysno::brk => mem.brk(a[0]) as i64,
        Sysno::mmap => mem.mmap(a[0], a[1], a[2], a[3], a[4], a[5]),
        Sysno::munmap => mem.munmap(a[0], a[1]),
        Sysno::mprotect => mem.mprotect(a[0], a[1], a[2]),
        Sysno::mremap => mem.mremap(a[0], a[1], a[2], a[3], a[4]),
        Sysno::shmat => mem.shmat(a[0], a[1], a[2]),
        Sysno::shmdt => mem.shmdt(a[0]),
        _ => return err(libc::ENOSYS),
    };
    let touched = mem.take_invalidated();
    let start = touched.iter().map(|r| r.start).min();
    let end = touched.iter().map(|r| r.end).max();
    match (start, end) {
        (Some(start), Some(end)) => Action::RetCodeModified { ret, addr: start, len: end - start },
        _ => Action::Ret(ret),
    }
}

/// A `Result` from [`GuestMemory`] as a raw kernel-style value.
fn raw(r: Result<u64, i32>) -> i64 {
    match r {
        Ok(v) => v as i64,
        Err(e) => -(e as i64),
    }
}

impl GuestMm for GuestMemory {
    fn brk(&mut self, addr: u64) -> u64 {
        GuestMemory::brk(self, addr)
    }
    /// The kernel takes prot, flags and fd as `int`s: the upper halves of the registers are
    /// ignored.
    fn mmap(&mut self, addr: u64, len: u64, prot: u64, flags: u64, fd: u64, offset: u64) -> i64 {
        raw(GuestMemory::mmap(self, addr, len, prot as i32, flags as i32, fd as i32, offset))
    }
    fn munmap(&mut self, addr: u64, len: u64) -> i64 {
        raw(GuestMemory::munmap(self, addr, len))
    }
    fn mprotect(&mut self, addr: u64, len: u64, prot: u64) -> i64 {
        raw(GuestMemory::mprotect(self, addr, len, prot as i32))
    }
    fn mremap(&mut self, old: u64, old_len: u64, new_len: u64, flags: u64, new: u64) -> i64 {
        raw(GuestMemory::mremap(self, old, old_len, new_len, flags as i32, new))
    }
    /// The kernel takes the id and flags as `int`s.
    fn shmat(&mut self, id: u64, addr: u64, flags: u64) -> i64 {
        raw(GuestMemory::shmat(self, id as i32, addr, flags as i32))
    }
    fn shmdt(&mut self, addr: u64) -> i64 {
        raw(GuestMemory::shmdt(self, addr))
    }
    fn take_invalidated(&mut self) -> Vec<Range<u64>> {
        GuestMemory::take_invalidated(self)
    }
    /// Guest memory with the access asked for: writable for `write`, else any access (every
    /// guest page with some access is host-readable).
    fn is_accessible(&self, addr: u64, len: u64, write: bool) -> bool {
        let Some(end) = addr.checked_add(len) else {
            return false;
        };
        let need =
            if write { libc::PROT_WRITE } else { libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC };
        self.is_guest(addr, end) && self.regions_in(addr, end).iter().all(|r| r.prot & need != 0)
    }
    fn regions(&self) -> Vec<(Range<u64>, i32)> {
        GuestMemory::regions(self).map(|r| (r.start..r.end, r.prot)).collect()
    }
    fn prepare_kernel_write(&mut self, addr: u64, len: u64) {
        GuestMemory::prepare_kernel_write(self, addr, addr.saturating_add(len));
    }
}

/// Before a call whose output buffers ([`pointers`], already checked) the kernel writes:
/// takes the translator's write protection off guest code pages there
/// ([`GuestMm::prepare_kernel_write`]), so that the kernel's write does not fail with EFAULT
/// where the guest may write. ioctl's output is included, by its request's size.
pub(crate) fn prepare_outputs(mem: &mut dyn GuestMm, sys: Sysno, a: &[u64; 6]) {
    for p in active(pointers(sys), a) {
        prepare_output(mem, p, a);
    }
}

/// [`prepare_outputs`] for one pointer.
fn prepare_output(mem: &mut dyn GuestMm, p: Ptr, a: &[u64; 6]) {
    let ranges = match p {
        Ptr::Ioctl { req, arg } => vec![Span { addr: a[arg], len: ioctl_output(a[req] as u32), write: true }],
        Ptr::Struct { i, n, size, fields } => {
            for words in structs(&*mem, a, i, n, size).unwrap_or_default() {
                for f in active(fields, &words) {
                    prepare_output(mem, f, &words);
                }
            }
            Vec::new()
        }
        _ => covered(&*mem, p, a).unwrap_or_default(),
    };
    for r in ranges {
        if r.write && r.addr != 0 && r.len != 0 {
            mem.prepare_kernel_write(r.addr, r.len);
        }
    }
}

/// EFAULT unless every pointer argument of `sys` that [`pointers`] describes lies in guest
/// memory with the access the kernel needs (read for what it reads, write for what it
/// writes). Linux would copy what it can and fail at the first bad byte; a call refused here
/// touches nothing, which differs only for a buffer that is partly mapped.
pub(crate) fn check_pointers(mem: &dyn GuestMm, sys: Sysno, a: &[u64; 6]) -> Result<(), Errno> {
    active(pointers(sys), a).try_for_each(|p| check_pointer(mem, p, a))
}

/// [`check_pointers`] for one pointer.
fn check_pointer(mem: &dyn GuestMm, p: Ptr, a: &[u64; 6]) -> Result<(), Errno> {
    match p {
        Ptr::Str(i) => {
            if a[i] != 0 && read_cstr(mem, a[i], PATH_MAX) == Err(libc::EFAULT) {
                return Err(libc::EFAULT);
            }
        }
        Ptr::Ioctl { .. } => {}
        Ptr::Range(i, n) => {
            if a[n] != 0 && !all_guest(mem, a[i], a[n]) {
                return Err(libc::ENOMEM);
            }
        }
        Ptr::Struct { i, n, size, fields } => {
            for words in structs(mem, a, i, n, size)? {
                active(fields, &words).try_for_each(|f| check_pointer(mem, f, &words))?;
            }
        }
        _ => {
            for r in covered(mem, p, a)? {
                if r.addr != 0 && r.len != 0 && !mem.is_accessible(r.addr, r.len, r.write) {
                    return Err(libc::EFAULT);
                }
            }
        }
    }
    Ok(())
}

/// The first six 64-bit words of each struct a [`Ptr::Struct`] at argument `i` (`n`: the
/// argument giving how many, else one) covers, as the arguments of its fields; EFAULT when one
/// cannot be read. None for a null pointer, or for more than [`STRUCTS_MAX`] (the kernel's
/// EINVAL before it reads any).
fn structs(
    mem: &dyn GuestMm,
    a: &[u64; 6],
    i: usize,
    n: Option<usize>,
    size: u64,
) -> Result<Vec<[u64; 6]>, Errno> {
    let count = n.map_or(1, |j| a[j]);
    if a[i] == 0 || count > STRUCTS_MAX {
        return Ok(Vec::new());
    }
    (0..count)
        .map(|k| {
            let bytes = read_bytes(mem, a[i].wrapping_add(k * size), size as usize)?;
            let mut words = [0u64; 6];
            for (w, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
                *w = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
            }
            Ok(words)
        })
        .collect()
}

/// The pointers of `ptrs` with arguments `a`: [`Ptr::If`]s whose operation is not `a`'s left
/// out, the others replaced by what they stand for.
fn active<'a>(ptrs: &'static [Ptr], a: &'a [u64; 6]) -> impl Iterator<Item = Ptr> + 'a {
    ptrs.iter().filter_map(|&p| {
        let mut p = p;
        while let Ptr::If { arg, mask, ops, then } = p {
            if !ops.contains(&(a[arg] & mask)) {
                return None;
            }
            p = *then;
        }
        Some(p)
    })
}

/// Whether the whole pages of `[addr, addr + len)` are guest mappings, whatever their
/// protection (an unaligned `addr` is the kernel's EINVAL: not ours to refuse).
fn all_guest(mem: &dyn GuestMm, addr: u64, len: u64) -> bool {
    if !addr.is_multiple_of(4096) {
        return true;
    }
    let Some(end) = len.checked_next_multiple_of(4096).and_then(|l| addr.checked_add(l)) else {
        return true;
    };
    let mut at = addr;
    for (r, _) in mem.regions() {
        if r.start <= at && at < r.end {
            at = r.end;
        }
        if at >= end {
            return true;
        }
    }
    false
}

/// Guest memory a call's pointer covers; `write` when the kernel writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    addr: u64,
    len: u64,
    write: bool,
}

/// IOV_MAX (UIO_MAXIOV): more iovec entries than this is the kernel's EINVAL or EMSGSIZE,
/// not ours to check; recvmmsg takes at most this many messages.
const IOV_MAX: u64 = 1024;

/// The guest memory pointer `p` of a call with arguments `a` covers (a null pointer, or a
/// length of 0, covers nothing); EFAULT when what says where (an iovec array, a msghdr, an
/// optlen) cannot be read. Not for [`Ptr::Str`] and [`Ptr::Ioctl`].
fn covered(mem: &dyn GuestMm, p: Ptr, a: &[u64; 6]) -> Result<Vec<Span>, Errno> {
    let length = |len: Len| -> Result<u64, Errno> {
        Ok(match len {
            Len::Arg(j) => a[j],
            Len::Fixed(n) => n,
            Len::ArgTimes(j, size) => a[j].saturating_mul(size),
            Len::ArgPlus(j, header) => a[j].saturating_add(header),
            Len::FdSet(j) => u64::try_from(a[j] as i32).map_or(0, |n| n.min(65_536).div_ceil(64) * 8),
            Len::AtArg(j) if a[j] == 0 => 0,
            Len::AtArg(j) => u64::from(read_u32(mem, a[j])?),
            Len::IpcCtl(j, kind) => ipc_ctl_output(kind, a[j]),
            Len::CapData(j) => match read_u32(mem, a[j])? {
                0x1998_0330 => 12,
                0x2007_1026 | 0x2008_0522 => 24,
                _ => 0,
            },
            Len::ArgUpTo(j, max) => u64::try_from(a[j] as i32).ok().filter(|&n| n <= max).unwrap_or(0),
            Len::FileHandle(j) => match read_u32(mem, a[j])? {
                n @ 0..=128 => 8 + u64::from(n),
                _ => 8,
            },
            Len::SizeField { arg, at, zero } => match read_u32(mem, a[arg].wrapping_add(at))? {
                0 => zero,
                n if u64::from(n) > 4096 => 0,
                n => u64::from(n),
            },
            Len::Field { arg, .. } if a[arg] == 0 => 0,
            Len::Field { arg, at } => u64::from(read_u32(mem, a[arg].wrapping_add(at))?),
            Len::Pages(j) => a[j].div_ceil(4096),
            Len::NodeMask(j) => match a[j].saturating_sub(1) {
                bits if bits > 4096 * 8 => 0,
                bits => bits.div_ceil(64) * 8,
            },
        })
    };
    Ok(match p {
        Ptr::In(i, len) => vec![Span { addr: a[i], len: length(len)?, write: false }],
        Ptr::Out(i, len) => vec![Span { addr: a[i], len: length(len)?, write: true }],
        Ptr::Iov { i, n, write } => iovecs(mem, a[i], a[n], write)?,
        Ptr::Msg { i, vlen: None, write } => msghdrs(mem, a[i], 1, 56, write)?,
        Ptr::Msg { i, vlen: Some(j), write } => msghdrs(mem, a[i], a[j].min(IOV_MAX), 64, write)?,
        Ptr::Aio { i, n } => iocbs(mem, a[i], a[n])?,
        Ptr::RemoteIov { pid, i, n, write } if is_this_process(a[pid]) => iovecs(mem, a[i], a[n], write)?,
        Ptr::RemoteIov { i, n, .. } => vec![Span { addr: a[i], len: a[n].saturating_mul(16), write: false }],
        Ptr::Str(_) | Ptr::Ioctl { .. } | Ptr::If { .. } | Ptr::Range(..) | Ptr::Struct { .. } => Vec::new(),
    })
}

/// Whether `pid` (the kernel's `pid_t`) names this process or one of its threads, whose
/// memory is xlate's too.
fn is_this_process(pid: u64) -> bool {
    let pid = pid as i32;
    pid > 0
        && (pid as u32 == std::process::id()
            || std::path::Path::new(&format!("/proc/self/task/{pid}")).exists())
}

/// An iovec array at `addr` with `n` entries (read) and its buffers (`write` or read).
fn iovecs(mem: &dyn GuestMm, addr: u64, n: u64, write: bool) -> Result<Vec<Span>, Errno> {
    if addr == 0 || n == 0 || n > IOV_MAX {
        return Ok(Vec::new());
    }
    let array = read_bytes(mem, addr, n as usize * 16)?;
    let mut out = vec![Span { addr, len: n * 16, write: false }];
    for iov in array.chunks_exact(16) {
        let base = u64::from_le_bytes(iov[..8].try_into().expect("16 bytes"));
        let len = u64::from_le_bytes(iov[8..].try_into().expect("16 bytes"));
        out.push(Span { addr: base, len, write });
    }
    Ok(out)
}

/// `count` message headers at `addr`, `stride` bytes apart (struct msghdr, 56 bytes; struct
/// mmsghdr, 64; the same layout on both 64-bit ABIs), and each one's name, iovec buffers and
/// control buffer: all written by the kernel when receiving (`write`), all read when sending
/// but for an mmsghdr's msg_len, which it writes.
fn msghdrs(mem: &dyn GuestMm, addr: u64, count: u64, stride: u64, write: bool) -> Result<Vec<Span>, Errno> {
    let mut out = Vec::new();
    if addr == 0 {
        return Ok(out);
    }
    for k in 0..count {
        let at = addr.wrapping_add(k * stride);
        let h = read_bytes(mem, at, stride as usize)?;
        let word = |o: usize| u64::from_le_bytes(h[o..o + 8].try_into().expect("8 bytes"));
        out.push(Span { addr: at, len: stride, write });
        if !write && stride == 64 {
            out.push(Span { addr: at.wrapping_add(56), len: 4, write: true });
        }
        out.push(Span { addr: word(0), len: word(8) & 0xffff_ffff, write });
        out.extend(iovecs(mem, word(16), word(24), write)?);
        out.push(Span { addr: word(32), len: word(40), write });
    }
    Ok(out)
}

/// The most iocbs one io_submit looks at here (the kernel's default aio-max-nr); a larger
/// count only submits up to the context's size anyway.
const AIO_MAX: u64 = 65_536;

/// io_submit's array of `n` iocb pointers at `addr` (read), each `struct iocb` (64 bytes,
/// read; aio_key at byte 8 written) and the memory its opcode names: IOCB_CMD_PREAD writes
/// aio_buf for aio_nbytes, IOCB_CMD_PWRITE reads it, IOCB_CMD_PREADV and IOCB_CMD_PWRITEV
/// take an iovec array there (the same layout on both 64-bit ABIs).
fn iocbs(mem: &dyn GuestMm, addr: u64, n: u64) -> Result<Vec<Span>, Errno> {
    let n = n as i64;
    if addr == 0 || n <= 0 {
        return Ok(Vec::new());
    }
    let n = (n as u64).min(AIO_MAX);
    let array = read_bytes(mem, addr, n as usize * 8)?;
    let mut out = vec![Span { addr, len: n * 8, write: false }];
    for p in array.chunks_exact(8) {
        let at = u64::from_le_bytes(p.try_into().expect("8 bytes"));
        let cb = read_bytes(mem, at, 64)?;
        let word = |o: usize| u64::from_le_bytes(cb[o..o + 8].try_into().expect("8 bytes"));
        out.push(Span { addr: at.wrapping_add(8), len: 4, write: true });
        let (buf, len) = (word(24), word(32));
        match u16::from_le_bytes([cb[16], cb[17]]) {
            0 => out.push(Span { addr: buf, len, write: true }),
            1 => out.push(Span { addr: buf, len, write: false }),
            7 => out.extend(iovecs(mem, buf, len, true)?),
            8 => out.extend(iovecs(mem, buf, len, false)?),
            _ => {}
        }
    }
    Ok(out)
}

/// The 32-bit guest word at `addr`.
fn read_u32(mem: &dyn GuestMm, addr: u64) -> Result<u32, Errno> {
    Ok(u32::from_le_bytes(read_bytes(mem, addr, 4)?.try_into().expect("4 bytes")))
}

/// PATH_MAX: the kernel reads no more of a path than this.
const PATH_MAX: usize = 4096;

/// Copies `len` guest bytes at `addr`, or EFAULT if the guest may not read them.
pub(crate) fn read_bytes(mem: &dyn GuestMm, addr: u64, len: usize) -> Result<Vec<u8>, Errno> {
    if len == 0 {
        return Ok(Vec::new());
    }
    if !mem.is_accessible(addr, len as u64, false) {
        return Err(libc::EFAULT);
    }
    // SAFETY: guest addresses are host addresses, and the runtime's guest memory says all of
    // `[addr, addr + len)` is mapped readable guest memory.
    Ok(unsafe { std::slice::from_raw_parts(addr as *const u8, len) }.to_vec())
}

/// Copies `bytes` to guest memory at `addr`, or EFAULT if the guest may not write there.
pub(crate) fn write_bytes(mem: &dyn GuestMm, addr: u64, bytes: &[u8]) -> Result<(), Errno> {
    if bytes.is_empty() {
        return Ok(());
    }
    if !mem.is_accessible(addr, bytes.len() as u64, true) {
        return Err(libc::EFAULT);
    }
    // SAFETY: guest addresses are host addresses; the runtime's guest memory says the whole
    // destination is mapped writable guest memory, which never overlaps xlate's own buffers
    // (`bytes`).
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), addr as *mut u8, bytes.len()) };
    Ok(())
}

/// Reads a NUL-terminated guest string of at most `max` bytes (without the NUL); EFAULT if it
/// runs into memory the guest may not read, ENAMETOOLONG if it is longer.
pub(crate) fn read_cstr(mem: &dyn GuestMm, addr: u64, max: usize) -> Result<Vec<u8>, Errno> {
    const PAGE: u64 = 4096;
    let mut out = Vec::new();
    let mut at = addr;
    loop {
        // Check a page at a time (so that a string ending just before an unreadable page is
        // still read), but read no byte past the NUL.
        let page_end = (at | (PAGE - 1)).wrapping_add(1);
        if !mem.is_accessible(at, page_end.wrapping_sub(at), false) {
            return Err(libc::EFAULT);
        }
        while at != page_end {
            // SAFETY: guest addresses are host addresses, and the runtime's guest memory says
            // this page is readable guest memory.
            let b = unsafe { std::ptr::read_volatile(at as *const u8) };
            if b == 0 {
                return Ok(out);
            }
            if out.len() == max {
                return Err(libc::ENAMETOOLONG);
            }
            out.push(b);
            at = at.wrapping_add(1);
        }
    }
}

/// Atomically replaces the aligned guest word at `addr` with `new` if it holds `current`
/// (sequentially consistent, as the kernel's futex cmpxchg): `Ok(Ok(current))` if it did,
/// `Ok(Err(seen))` if it held `seen`; EFAULT if the guest may not write there, EINVAL if
/// `addr` is not 4-aligned.
pub(crate) fn compare_exchange_u32(
    mem: &dyn GuestMm,
    addr: u64,
    current: u32,
    new: u32,
) -> Result<Result<u32, u32>, Errno> {
    if addr & 3 != 0 {
        return Err(libc::EINVAL);
    }
    if !mem.is_accessible(addr, 4, true) {
        return Err(libc::EFAULT);
    }
    // SAFETY: guest addresses are host addresses; the runtime's guest memory says the aligned
    // word is mapped writable guest memory, which other guest threads access only atomically
    // or through their own translated code (never through a Rust reference).
    let word = unsafe { std::sync::atomic::AtomicU32::from_ptr(addr as *mut u32) };
    Ok(word.compare_exchange(
        current,
        new,
        std::sync::atomic::Ordering::SeqCst,
        std::sync::atomic::Ordering::SeqCst,
    ))
}

/// Writes a plain-data value to guest memory.
pub(crate) fn write_u64(mem: &dyn GuestMm, addr: u64, v: u64) -> Result<(), Errno> {
    write_bytes(mem, addr, &v.to_le_bytes())
}

/// A permissive guest memory for unit tests: every address from the second page up is
/// accessible (the first page gives EFAULT), and the memory-management calls fail.
#[cfg(test)]
// Its only users (compat.rs's tests) compare emulations with host calls only x86-64 hosts have.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) struct TestMm;

#[cfg(test)]
impl GuestMm for TestMm {
    fn brk(&mut self, _: u64) -> u64 {
        0
    }
    fn mmap(&mut self, _: u64, _: u64, _: u64, _: u64, _: u64, _: u64) -> i64 {
        -(libc::ENOMEM as i64)
    }
    fn munmap(&mut self, _: u64, _: u64) -> i64 {
        -(libc::EINVAL as i64)
    }
    fn mprotect(&mut self, _: u64, _: u64, _: u64) -> i64 {
        -(libc::EINVAL as i64)
    }
    fn mremap(&mut self, _: u64, _: u64, _: u64, _: u64, _: u64) -> i64 {
        -(libc::EINVAL as i64)
    }
    fn shmat(&mut self, _: u64, _: u64, _: u64) -> i64 {
        -(libc::EINVAL as i64)
    }
    fn shmdt(&mut self, _: u64) -> i64 {
        -(libc::EINVAL as i64)
    }
    fn take_invalidated(&mut self) -> Vec<Range<u64>> {
        Vec::new()
    }
    fn is_accessible(&self, addr: u64, _: u64, _: bool) -> bool {
        addr >= 4096
    }
    fn regions(&self) -> Vec<(Range<u64>, i32)> {
        vec![(4096..u64::MAX, libc::PROT_READ | libc::PROT_WRITE)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recvmsg_covers_the_header_its_buffers_and_the_iovec_array() {
        let buf = [0u8; 32];
        let name = [0u8; 16];
        let iov: [u64; 2] = [buf.as_ptr() as u64, 32];
        // struct msghdr: name, namelen, iov, iovlen, control, controllen, flags.
        let mut hdr: [u64; 7] = [name.as_ptr() as u64, 16, iov.as_ptr() as u64, 1, 0, 0, 0];
        let a = [3, hdr.as_ptr() as u64, 0, 0, 0, 0];
        let spans = covered(&TestMm, Ptr::Msg { i: 1, vlen: None, write: true }, &a).unwrap();
        let has = |addr: u64, len: u64, write: bool| spans.contains(&Span { addr, len, write });
        assert!(has(hdr.as_ptr() as u64, 56, true), "the header is written back: {spans:?}");
        assert!(has(name.as_ptr() as u64, 16, true));
        assert!(has(iov.as_ptr() as u64, 16, false), "the iovec array is read");
        assert!(has(buf.as_ptr() as u64, 32, true));
        assert_eq!(check_pointers(&TestMm, Sysno::recvmsg, &a), Ok(()));
        // A buffer the guest may not write (TestMm: the first page) is EFAULT before the call.
        let bad_iov: [u64; 2] = [16, 8];
        hdr[2] = bad_iov.as_ptr() as u64;
        let a = [3, hdr.as_ptr() as u64, 0, 0, 0, 0];
        assert_eq!(check_pointers(&TestMm, Sysno::recvmsg, &a), Err(libc::EFAULT));
    }

    #[test]
    fn an_fd_set_covers_whole_words_and_a_negative_count_none() {
        let set = [0u64; 2];
        let p = Ptr::Out(1, Len::FdSet(0));
        let spans = |n: i64| covered(&TestMm, p, &[n as u64, set.as_ptr() as u64, 0, 0, 0, 0]).unwrap();
        assert_eq!(spans(65)[0].len, 16);
        assert_eq!(spans(64)[0].len, 8);
        assert_eq!(spans(-1)[0].len, 0, "the kernel's EINVAL, not an EFAULT of ours");
    }

    #[test]
    fn ioctl_outputs_come_from_the_request_number_or_the_old_terminal_table() {
        use crate::syscall::abi::pointers::ioctl_output;
        // TIOCGPTN = _IOR('T', 0x30, unsigned int).
        assert_eq!(ioctl_output(0x8004_5430), 4);
        // TCGETS (struct termios), TIOCGWINSZ, FIONREAD.
        assert_eq!(ioctl_output(0x5401), 36);
        assert_eq!(ioctl_output(0x5413), 8);
        assert_eq!(ioctl_output(0x541b), 4);
        // TCSETS and FIONBIO only read; TIOCSPTLCK = _IOW('T', 0x31, int) too.
        assert_eq!(ioctl_output(0x5402), 0);
        assert_eq!(ioctl_output(0x5421), 0);
        assert_eq!(ioctl_output(0x4004_5431), 0);
    }

    /// EFAULT for each argument slot `bad` holding a pointer TestMm refuses (the first page),
    /// Ok with the good arguments `a`.
    fn refuses(sys: Sysno, a: [u64; 6], bad: usize) -> bool {
        assert_eq!(check_pointers(&TestMm, sys, &a), Ok(()), "{} with good pointers", sys.name());
        let mut b = a;
        b[bad] = 16;
        check_pointers(&TestMm, sys, &b) == Err(libc::EFAULT)
    }

    #[test]
    fn sendmsg_reads_its_buffers_and_sendmmsg_writes_msg_len() {
        let buf = [0u8; 32];
        let iov: [u64; 2] = [buf.as_ptr() as u64, 32];
        // struct mmsghdr: a msghdr, then msg_len.
        let mut hdr: [u64; 8] = [0, 0, iov.as_ptr() as u64, 1, 0, 0, 0, 0];
        let a = [3, hdr.as_ptr() as u64, 1, 0, 0, 0];
        let p = Ptr::Msg { i: 1, vlen: Some(2), write: false };
        let spans = covered(&TestMm, p, &a).unwrap();
        let at = hdr.as_ptr() as u64;
        assert!(spans.contains(&Span { addr: at, len: 64, write: false }), "{spans:?}");
        assert!(spans.contains(&Span { addr: at + 56, len: 4, write: true }), "{spans:?}");
        assert!(spans.contains(&Span { addr: buf.as_ptr() as u64, len: 32, write: false }));
        assert!(refuses(Sysno::sendmsg, a, 1));
        assert!(refuses(Sysno::sendmmsg, a, 1));
        hdr[2] = 16;
        let a = [3, hdr.as_ptr() as u64, 1, 0, 0, 0];
        assert_eq!(check_pointers(&TestMm, Sysno::sendmsg, &a), Err(libc::EFAULT), "the iovec array");
    }

    #[test]
    fn futex_checks_the_timeout_and_uaddr2_by_operation() {
        let word = [0u32; 2];
        let ts = [0u64; 2];
        let (w, t) = (word.as_ptr() as u64, ts.as_ptr() as u64);
        // FUTEX_WAIT | FUTEX_PRIVATE_FLAG: the timeout; FUTEX_WAKE: nothing but the word.
        assert!(refuses(Sysno::futex, [w, 128, 0, t, 0, 0], 3));
        assert!(!refuses(Sysno::futex, [w, 1, 1, t, 0, 0], 3), "WAKE has no timeout");
        // FUTEX_WAKE_OP writes uaddr2; argument 3 is a count there.
        assert!(refuses(Sysno::futex, [w, 5 | 128, 1, 16, w + 4, 0], 4));
        // FUTEX_CMP_REQUEUE: uaddr2 only for a shared futex.
        assert!(refuses(Sysno::futex, [w, 4, 1, 1, w + 4, 0], 4));
        assert!(!refuses(Sysno::futex, [w, 4 | 128, 1, 1, w + 4, 0], 4));
    }

    #[test]
    fn fcntl_prctl_and_syslog_pointers_depend_on_the_command() {
        let flock = [0u64; 4];
        let f = flock.as_ptr() as u64;
        // F_GETLK, F_OFD_SETLKW, F_GETOWN_EX; F_SETFD takes a value.
        assert!(refuses(Sysno::fcntl, [0, 5, f, 0, 0, 0], 2));
        assert!(refuses(Sysno::fcntl, [0, 38, f, 0, 0, 0], 2));
        assert!(refuses(Sysno::fcntl, [0, 16, f, 0, 0, 0], 2));
        assert!(!refuses(Sysno::fcntl, [0, 2, f, 0, 0, 0], 2));
        // PR_GET_NAME; PR_SET_PDEATHSIG takes a value.
        assert!(refuses(Sysno::prctl, [16, f, 0, 0, 0, 0], 1));
        assert!(!refuses(Sysno::prctl, [1, f, 0, 0, 0, 0], 1));
        // PR_SET_VMA_ANON_NAME's name (a nested operation).
        let name = b"heap\0";
        assert!(refuses(Sysno::prctl, [0x5356_4d41, 0, 8192, 4096, name.as_ptr() as u64, 0], 4));
        assert!(!refuses(Sysno::prctl, [0x5356_4d41, 1, 8192, 4096, name.as_ptr() as u64, 0], 4));
        // SYSLOG_ACTION_READ_ALL; a negative length is the kernel's EINVAL.
        assert!(refuses(Sysno::syslog, [3, f, 32, 0, 0, 0], 1));
        assert!(!refuses(Sysno::syslog, [3, f, (-1i64) as u64, 0, 0, 0], 1));
    }

    #[test]
    fn futex_waitv_checks_each_waiters_word() {
        let word = [0u32; 2];
        let w = word.as_ptr() as u64;
        // struct futex_waitv: val, uaddr, flags | __reserved (FUTEX2_SIZE_U32 | PRIVATE).
        let mut waiters: [u64; 6] = [0, w, 0x82, 0, w + 4, 0x82];
        let a = [waiters.as_ptr() as u64, 2, 0, 0, 1, 0];
        assert!(refuses(Sysno::futex_waitv, a, 0), "the array");
        waiters[4] = 16;
        let a = [waiters.as_ptr() as u64, 2, 0, 0, 1, 0];
        assert_eq!(check_pointers(&TestMm, Sysno::futex_waitv, &a), Err(libc::EFAULT), "the second word");
        // Only as many waiters as the count; more than FUTEX_WAITV_MAX is the kernel's EINVAL.
        let a1 = [waiters.as_ptr() as u64, 1, 0, 0, 1, 0];
        assert_eq!(check_pointers(&TestMm, Sysno::futex_waitv, &a1), Ok(()));
        let a129 = [waiters.as_ptr() as u64, 129, 0, 0, 1, 0];
        assert_eq!(check_pointers(&TestMm, Sysno::futex_waitv, &a129), Ok(()));
    }

    #[test]
    fn mq_notify_checks_the_sigev_thread_cookie() {
        let cookie = [0u8; 32];
        // struct sigevent: sigev_value, sigev_signo | sigev_notify << 32, then the union.
        let mut ev: [u64; 8] = [cookie.as_ptr() as u64, 2 << 32, 0, 0, 0, 0, 0, 0];
        let a = [3, ev.as_ptr() as u64, 0, 0, 0, 0];
        assert!(refuses(Sysno::mq_notify, a, 1), "the sigevent");
        ev[0] = 16;
        let a = [3, ev.as_ptr() as u64, 0, 0, 0, 0];
        assert_eq!(check_pointers(&TestMm, Sysno::mq_notify, &a), Err(libc::EFAULT), "the cookie");
        // SIGEV_SIGNAL: sigev_value is only a value.
        ev[1] = 10;
        let a = [3, ev.as_ptr() as u64, 0, 0, 0, 0];
        assert_eq!(check_pointers(&TestMm, Sysno::mq_notify, &a), Ok(()));
        // A null sigevent unregisters.
        assert_eq!(check_pointers(&TestMm, Sysno::mq_notify, &[3, 0, 0, 0, 0, 0]), Ok(()));
    }

    #[test]
    fn keyctl_dh_compute_and_pkey_operations_check_their_params() {
        let mem = [0u64; 16];
        let m = mem.as_ptr() as u64;
        // KEYCTL_DH_COMPUTE: params, buffer, and the kdf params with their hash name and
        // otherinfo.
        let name = b"sha256\0";
        let mut kdf: [u64; 7] = [name.as_ptr() as u64, m, 16, 0, 0, 0, 0];
        let k = kdf.as_ptr() as u64;
        assert!(refuses(Sysno::keyctl, [23, m, m, 64, k, 0], 1));
        assert!(refuses(Sysno::keyctl, [23, m, m, 64, k, 0], 2));
        assert!(refuses(Sysno::keyctl, [23, m, m, 64, k, 0], 4));
        kdf[1] = 16;
        let k = kdf.as_ptr() as u64;
        assert_eq!(check_pointers(&TestMm, Sysno::keyctl, &[23, m, m, 64, k, 0]), Err(libc::EFAULT));
        kdf[1] = m;
        kdf[0] = 16;
        let k = kdf.as_ptr() as u64;
        assert_eq!(check_pointers(&TestMm, Sysno::keyctl, &[23, m, m, 64, k, 0]), Err(libc::EFAULT));
        // KEYCTL_PKEY_QUERY: the info string and the result.
        let info = c"enc=pkcs1".as_ptr() as u64;
        assert!(refuses(Sysno::keyctl, [24, 5, 0, info, m, 0], 3));
        assert!(refuses(Sysno::keyctl, [24, 5, 0, info, m, 0], 4));
        // KEYCTL_PKEY_SIGN: in_len 8 at byte 4, out_len 16 at byte 8 of the params.
        let params: [u32; 10] = [5, 8, 16, 0, 0, 0, 0, 0, 0, 0];
        let p = params.as_ptr() as u64;
        for bad in [1, 2, 3, 4] {
            assert!(refuses(Sysno::keyctl, [27, p, info, m, m, 0], bad), "argument {bad}");
        }
        let spans =
            covered(&TestMm, Ptr::Out(4, Len::Field { arg: 1, at: 8 }), &[27, p, info, m, m, 0]).unwrap();
        assert_eq!(spans, [Span { addr: m, len: 16, write: true }]);
    }

    #[test]
    fn quotactl_checks_the_address_by_command() {
        let mem = [0u64; 32];
        let m = mem.as_ptr() as u64;
        let dev = c"/dev/null".as_ptr() as u64;
        // Q_GETQUOTA (user), Q_SETINFO (group), Q_XGETQSTATV, Q_XQUOTARM.
        for cmd in [0x8000_0700, 0x8000_0601, 0x58_0800, 0x58_0600] {
            assert!(refuses(Sysno::quotactl, [cmd, dev, 0, m, 0, 0], 3), "{cmd:#x}");
            assert!(refuses(Sysno::quotactl_fd, [3, cmd, 0, m, 0, 0], 3), "{cmd:#x}");
        }
        let len = |cmd: u64| {
            active(pointers(Sysno::quotactl), &[cmd, dev, 0, m, 0, 0])
                .filter_map(|p| covered(&TestMm, p, &[cmd, dev, 0, m, 0, 0]).ok()?.first().copied())
                .map(|s| (s.len, s.write))
                .collect::<Vec<_>>()
        };
        assert_eq!(len(0x8000_0700), [(72, true)]);
        assert_eq!(len(0x8000_0800), [(72, false)]);
        assert_eq!(len(0x58_0300), [(112, true)]);
        assert_eq!(len(0x58_0500), [(80, true)]);
        // Q_QUOTAON's path (quotactl's only), Q_SYNC's none.
        assert!(refuses(Sysno::quotactl, [0x8000_0200, dev, 0, dev, 0, 0], 3));
        assert!(!refuses(Sysno::quotactl_fd, [3, 0x8000_0200, 0, dev, 0, 0], 3));
        assert!(!refuses(Sysno::quotactl, [0x8000_0100, dev, 0, m, 0, 0], 3));
        assert!(refuses(Sysno::quotactl, [0x8000_0100, dev, 0, m, 0, 0], 1), "the device");
        // Every command xlate does not refuse is one of those described.
        for &cmd in crate::syscall::abi::pointers::QUOTA_CMDS {
            let a = [cmd, dev, 0, m, 0, 0];
            assert_eq!(
                crate::syscall::treatment::for_call(Sysno::quotactl, &a),
                crate::syscall::treatment::Treatment::Forwarded
            );
        }
    }

    #[test]
    fn io_submit_checks_the_iocbs_and_the_buffers_they_name() {
        let buf = [0u8; 64];
        // struct iocb: aio_data, aio_key | aio_rw_flags, opcode | reqprio | fildes, aio_buf,
        // aio_nbytes, offset, reserved, flags | resfd. IOCB_CMD_PREAD of 64 bytes.
        let mut cb: [u64; 8] = [0, 0, 0, buf.as_ptr() as u64, 64, 0, 0, 0];
        let list = [cb.as_ptr() as u64];
        let a = [1, 1, list.as_ptr() as u64, 0, 0, 0];
        let spans = covered(&TestMm, Ptr::Aio { i: 2, n: 1 }, &a).unwrap();
        assert!(spans.contains(&Span { addr: buf.as_ptr() as u64, len: 64, write: true }), "{spans:?}");
        assert!(spans.contains(&Span { addr: cb.as_ptr() as u64 + 8, len: 4, write: true }));
        assert!(refuses(Sysno::io_submit, a, 2));
        cb[3] = 16;
        let list = [cb.as_ptr() as u64];
        let a = [1, 1, list.as_ptr() as u64, 0, 0, 0];
        assert_eq!(check_pointers(&TestMm, Sysno::io_submit, &a), Err(libc::EFAULT), "the buffer");
        // IOCB_CMD_FSYNC names no buffer.
        cb[2] = 2;
        let list = [cb.as_ptr() as u64];
        let a = [1, 1, list.as_ptr() as u64, 0, 0, 0];
        assert_eq!(check_pointers(&TestMm, Sysno::io_submit, &a), Ok(()));
    }

    #[test]
    fn fixed_and_bounded_structs_of_the_newly_described_calls() {
        let mem = [0u64; 64];
        let m = mem.as_ptr() as u64;
        assert!(refuses(Sysno::setsockopt, [3, 1, 8, m, 4, 0], 3));
        assert!(refuses(Sysno::semop, [0, m, 3, 0, 0, 0], 1));
        assert!(refuses(Sysno::semtimedop, [0, m, 3, m, 0, 0], 3));
        assert!(refuses(Sysno::uname, [m, 0, 0, 0, 0, 0], 0));
        assert!(refuses(Sysno::rt_sigqueueinfo, [1, 10, m, 0, 0, 0], 2));
        assert!(refuses(Sysno::sched_setparam, [0, m, 0, 0, 0, 0], 1));
        assert!(refuses(Sysno::openat2, [0, m, m, 24, 0, 0], 2));
        assert!(refuses(Sysno::utimensat, [0, 0, m, 0, 0, 0], 2));
        assert!(refuses(Sysno::rt_sigsuspend, [m, 8, 0, 0, 0, 0], 0));
        assert!(!refuses(Sysno::rt_sigsuspend, [m, 16, 0, 0, 0, 0], 0), "the kernel's EINVAL");
        assert!(refuses(Sysno::mincore, [0, 8192, m, 0, 0, 0], 2));
        assert!(refuses(Sysno::get_mempolicy, [m, m, 65, 0, 0, 0], 1));
        assert!(refuses(Sysno::process_vm_writev, [1, m, 0, m, 1, 0], 3));
        // Aimed at this process, the remote buffers are its own memory.
        let me = u64::from(std::process::id());
        let bad_iov: [u64; 2] = [16, 8];
        let b = bad_iov.as_ptr() as u64;
        assert_eq!(
            check_pointers(&TestMm, Sysno::process_vm_writev, &[me, m, 0, b, 1, 0]),
            Err(libc::EFAULT)
        );
        assert_eq!(check_pointers(&TestMm, Sysno::process_vm_writev, &[1, m, 0, b, 1, 0]), Ok(()));
        assert!(refuses(Sysno::open_by_handle_at, [3, m, 0, 0, 0, 0], 1));
        assert!(refuses(Sysno::perf_event_open, [m, 0, 0, 0, 0, 0], 0));
        assert_eq!(
            covered(&TestMm, Ptr::In(0, Len::SizeField { arg: 0, at: 4, zero: 64 }), &[m, 0, 0, 0, 0, 0])
                .unwrap()[0]
                .len,
            64
        );
        // KEYCTL_READ writes the buffer; KEYCTL_REVOKE takes none.
        assert!(refuses(Sysno::keyctl, [11, 5, m, 64, 0, 0], 2));
        assert!(!refuses(Sysno::keyctl, [3, 5, m, 64, 0, 0], 2));
        // MADV_DONTNEED on memory that is not the guest's (TestMm: the first page) is ENOMEM,
        // as for unmapped memory; MADV_WILLNEED only hints.
        assert_eq!(check_pointers(&TestMm, Sysno::madvise, &[8192, 4096, 4, 0, 0, 0]), Ok(()));
        assert_eq!(check_pointers(&TestMm, Sysno::madvise, &[0, 8192, 4, 0, 0, 0]), Err(libc::ENOMEM));
        assert_eq!(check_pointers(&TestMm, Sysno::madvise, &[0, 8192, 3, 0, 0, 0]), Ok(()));
        assert!(refuses(Sysno::name_to_handle_at, [3, m, m, m, 0, 0], 3));
        let spans = |len, a| covered(&TestMm, Ptr::Out(2, len), &a).unwrap()[0].len;
        assert_eq!(spans(Len::Pages(1), [0, 4097, m, 0, 0, 0]), 2);
        assert_eq!(spans(Len::NodeMask(1), [0, 65, m, 0, 0, 0]), 8);
        assert_eq!(spans(Len::NodeMask(1), [0, 66, m, 0, 0, 0]), 16);
        assert_eq!(spans(Len::NodeMask(1), [0, 0, m, 0, 0, 0]), 0);
    }
}
