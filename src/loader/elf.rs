//! ELF parsing without side effects: [`parse`] checks that a file is an ELF64 little-endian
//! x86-64 or AArch64 executable (or dynamic loader) and describes what to map. It reads only
//! the headers it needs through [`FileBytes`] (the ELF header, the program header table and
//! PT_INTERP), never the segments, and it never panics on any input (a fuzz-style test feeds
//! it truncated and corrupted headers).
//!
//! Its checks are the ones Linux's `load_elf_binary` makes before the point of no return
//! (which fail the execve with ENOEXEC); the checks the kernel makes while mapping (after it)
//! are the loader's.

use super::error::LoadErrorKind;
use super::GuestArch;
use crate::memory::PAGE_SIZE;
use object::elf;
use object::pod;
use object::read::elf::{FileHeader, ProgramHeader};
use object::LittleEndian as LE;

/// Whether the executable is loaded at its own addresses or at a base of our choosing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfKind {
    /// ET_EXEC: loaded at its link addresses.
    Exec,
    /// ET_DYN (static-pie, PIE, or a dynamic loader): loaded at a base xlate picks.
    Dyn,
}

/// One PT_LOAD segment, as the program header gives it (addresses before relocation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub vaddr: u64,
    pub memsz: u64,
    /// File offset and size of the bytes copied to `vaddr`; the rest up to `memsz` is zero.
    pub offset: u64,
    pub filesz: u64,
    /// Guest protection (`PROT_*`) from `p_flags`.
    pub prot: i32,
    pub align: u64,
}

impl Segment {
    pub fn end(&self) -> u64 {
        // The loader maps nothing when a segment lies outside the address space
        // (`ElfImage::unmappable`), so this cannot overflow where it is used.
        self.vaddr + self.memsz
    }
}

/// What the loader needs from an executable's headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElfImage {
    pub arch: GuestArch,
    pub kind: ElfKind,
    pub entry: u64,
    /// `e_phoff`, `e_phnum` (program headers are `ProgramHeader64`, 56 bytes each).
    pub phoff: u64,
    pub phnum: u64,
    /// PT_LOAD segments with a non-zero `p_memsz`, in program-header order.
    pub segments: Vec<Segment>,
    /// PT_GNU_STACK asks for an executable stack (PF_X). Without PT_GNU_STACK, 64-bit Linux
    /// gives a non-executable stack.
    pub exec_stack: bool,
    /// PT_INTERP: the dynamic loader the program asks for (up to its NUL), if any.
    pub interpreter: Option<Vec<u8>>,
    /// The first PT_LOAD Linux could not map (it kills the process after the point of no
    /// return; the loader reports this after every check that fails the execve itself).
    pub unmappable: Option<LoadErrorKind>,
}

/// Size of `ProgramHeader64`, also `AT_PHENT`.
pub const PHDR_SIZE: u64 = 56;

fn prot_of(flags: u32) -> i32 {
    let mut prot = 0;
    if flags & elf::PF_R != 0 {
        prot |= libc::PROT_READ;
    }
    if flags & elf::PF_W != 0 {
        prot |= libc::PROT_WRITE;
    }
    if flags & elf::PF_X != 0 {
        prot |= libc::PROT_EXEC;
    }
    prot
}

/// Where [`parse_file`] reads an executable's headers from: the whole file in memory (for
/// [`parse`], tests and the fuzzer) or an open file (the loader).
pub trait FileBytes {
    /// The file's size in bytes.
    fn size(&self) -> u64;
    /// Up to `len` bytes at `offset` (fewer at the end of the file); an errno on failure.
    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, i32>;
}

impl FileBytes for [u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }
    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, i32> {
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(self.len());
        Ok(self[start..start.saturating_add(len).min(self.len())].to_vec())
    }
}

impl FileBytes for std::fs::File {
    fn size(&self) -> u64 {
        self.metadata().map_or(0, |m| m.len())
    }
    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, i32> {
        use std::os::unix::fs::FileExt;
        let mut buf = vec![0u8; len];
        let mut got = 0;
        while got < len {
            match FileExt::read_at(self, &mut buf[got..], offset + got as u64) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.raw_os_error().unwrap_or(libc::EIO)),
            }
        }
        buf.truncate(got);
        Ok(buf)
    }
}

/// Linux's limit on the program header table (`load_elf_phdrs`: more is ENOEXEC).
const MAX_PHDR_TABLE: u64 = 65536;
/// Linux's limit on PT_INTERP (PATH_MAX; `load_elf_binary`: more, or fewer than 2 bytes, is
/// ENOEXEC).
const MAX_INTERP: u64 = 4096;

/// Checks and describes an executable. `data` is the whole file.
pub fn parse(data: &[u8]) -> Result<ElfImage, LoadErrorKind> {
    parse_file(data)
}

/// Checks and describes an executable, reading only its headers from `file`.
pub fn parse_file(file: &(impl FileBytes + ?Sized)) -> Result<ElfImage, LoadErrorKind> {
    let file_size = file.size();
    let truncated = |what| LoadErrorKind::Truncated { what, file_size };
    let io = LoadErrorKind::Io;
    let data = file.read_at(0, std::mem::size_of::<elf::FileHeader64<LE>>()).map_err(io)?;
    if data.len() < 4 || data[..4] != elf::ELFMAG {
        return Err(LoadErrorKind::NotElf { script: data.starts_with(b"#!") });
    }
    // e_ident: class at 4, data encoding at 5, version at 6.
    let class = *data.get(4).ok_or(truncated("the ELF header"))?;
    if class != elf::ELFCLASS64 {
        return Err(LoadErrorKind::WrongClass(class));
    }
    let encoding = *data.get(5).ok_or(truncated("the ELF header"))?;
    if encoding != elf::ELFDATA2LSB {
        return Err(LoadErrorKind::WrongEndianness(encoding));
    }
    if data.len() < std::mem::size_of::<elf::FileHeader64<LE>>() {
        return Err(truncated("the ELF header"));
    }
    let header = elf::FileHeader64::<LE>::parse(&*data)
        .map_err(|_| LoadErrorKind::BadHeader("unsupported ELF version"))?;
    let endian = LE;

    let kind = match header.e_type(endian) {
        elf::ET_EXEC => ElfKind::Exec,
        elf::ET_DYN => ElfKind::Dyn,
        other => return Err(LoadErrorKind::NotExecutable(other)),
    };
    let machine = header.e_machine(endian);
    let arch = GuestArch::from_elf_machine(machine).ok_or(LoadErrorKind::UnsupportedMachine(machine))?;

    let phoff = header.e_phoff(endian);
    let phnum = u64::from(header.e_phnum(endian));
    if phnum == u64::from(elf::PN_XNUM) {
        // Linux does not support the extended numbering for executables either.
        return Err(LoadErrorKind::BadHeader("too many program headers (PN_XNUM)"));
    }
    if phnum == 0 || phoff == 0 {
        return Err(LoadErrorKind::NoLoadableSegments);
    }
    if u64::from(header.e_phentsize(endian)) != PHDR_SIZE {
        return Err(LoadErrorKind::BadHeader("program header size (e_phentsize) is not 56"));
    }
    let table_size = phnum * PHDR_SIZE;
    if table_size > MAX_PHDR_TABLE {
        return Err(LoadErrorKind::BadHeader("the program header table is larger than 64 KiB"));
    }
    let ph_end = phoff.checked_add(table_size);
    if ph_end.is_none_or(|e| e > file_size) {
        return Err(truncated("the program header table"));
    }
    let table = file.read_at(phoff, table_size as usize).map_err(io)?;
    if (table.len() as u64) < table_size {
        return Err(truncated("the program header table"));
    }
    let phdrs: &[elf::ProgramHeader64<LE>] =
        pod::slice_from_all_bytes(&table).map_err(|_| truncated("the program header table"))?;

    let mut segments = Vec::new();
    let mut exec_stack = false;
    let mut interpreter = None;
    let mut unmappable = None;
    for (i, ph) in phdrs.iter().enumerate() {
        match ph.p_type(endian) {
            // Linux uses the first PT_INTERP only.
            elf::PT_INTERP if interpreter.is_none() => {
                let size = ph.p_filesz(endian);
                if !(2..=MAX_INTERP).contains(&size) {
                    return Err(LoadErrorKind::BadHeader(
                        "the PT_INTERP path is shorter than 2 or longer than 4096 bytes",
                    ));
                }
                let bytes = file.read_at(ph.p_offset(endian), size as usize).map_err(io)?;
                if (bytes.len() as u64) < size {
                    return Err(truncated("the PT_INTERP path"));
                }
                if bytes.last() != Some(&0) {
                    return Err(LoadErrorKind::BadHeader("the PT_INTERP path does not end with a NUL byte"));
                }
                interpreter = Some(bytes.split(|&b| b == 0).next().unwrap_or(&[]).to_vec());
            }
            elf::PT_GNU_STACK => exec_stack = ph.p_flags(endian) & elf::PF_X != 0,
            elf::PT_LOAD => {
                let seg = Segment {
                    vaddr: ph.p_vaddr(endian),
                    memsz: ph.p_memsz(endian),
                    offset: ph.p_offset(endian),
                    filesz: ph.p_filesz(endian),
                    prot: prot_of(ph.p_flags(endian)),
                    align: ph.p_align(endian),
                };
                if unmappable.is_none() {
                    unmappable = mapping_problem(i, &seg, arch);
                }
                if seg.memsz > 0 {
                    segments.push(seg);
                }
            }
            _ => {}
        }
    }
    if segments.is_empty() {
        return Err(LoadErrorKind::NoLoadableSegments);
    }
    Ok(ElfImage {
        arch,
        kind,
        entry: header.e_entry(endian),
        phoff,
        phnum,
        segments,
        exec_stack,
        interpreter,
        unmappable,
    })
}

/// The highest user address plus one (Linux's TASK_SIZE) for the guest: 47-bit on x86-64
/// (minus the guard page), 48-bit on AArch64.
pub fn task_size(arch: GuestArch) -> u64 {
    match arch {
        GuestArch::X86_64 => (1 << 47) - PAGE_SIZE,
        GuestArch::Aarch64 => 1 << 48,
    }
}

/// Why Linux could not map PT_LOAD number `index` (as `elf_load` and the checks after it in
/// `load_elf_binary` find, after the point of no return), if it could not.
fn mapping_problem(index: usize, seg: &Segment, arch: GuestArch) -> Option<LoadErrorKind> {
    let killed = |problem: String| {
        Some(LoadErrorKind::Killed { index, vaddr: seg.vaddr, problem, errno: libc::EINVAL })
    };
    // mmap of the file pages needs a page-aligned offset; no file pages, no mmap.
    if seg.filesz > 0 && (seg.vaddr ^ seg.offset) & (PAGE_SIZE - 1) != 0 {
        return Some(LoadErrorKind::NotCongruent { index, vaddr: seg.vaddr, offset: seg.offset });
    }
    if seg.filesz > seg.memsz {
        return killed(format!("file size {:#x} exceeds memory size {:#x}", seg.filesz, seg.memsz));
    }
    let limit = task_size(arch);
    if seg.vaddr >= limit || seg.memsz > limit || limit - seg.memsz < seg.vaddr {
        return killed(format!("size {:#x} puts it outside the user address space", seg.memsz));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal valid x86-64 ET_EXEC header with one PT_LOAD covering the whole file.
    fn tiny_elf() -> Vec<u8> {
        let mut f = vec![0u8; 64 + 56 + 16];
        f[..4].copy_from_slice(&elf::ELFMAG);
        f[4] = elf::ELFCLASS64;
        f[5] = elf::ELFDATA2LSB;
        f[6] = elf::EV_CURRENT;
        let put16 = |f: &mut Vec<u8>, at: usize, v: u16| f[at..at + 2].copy_from_slice(&v.to_le_bytes());
        let put32 = |f: &mut Vec<u8>, at: usize, v: u32| f[at..at + 4].copy_from_slice(&v.to_le_bytes());
        let put64 = |f: &mut Vec<u8>, at: usize, v: u64| f[at..at + 8].copy_from_slice(&v.to_le_bytes());
        put16(&mut f, 16, elf::ET_EXEC);
        put16(&mut f, 18, elf::EM_X86_64);
        put32(&mut f, 20, 1);
        put64(&mut f, 24, 0x400078); // entry
        put64(&mut f, 32, 64); // phoff
        put16(&mut f, 52, 64); // ehsize
        put16(&mut f, 54, 56); // phentsize
        put16(&mut f, 56, 1); // phnum
        put32(&mut f, 64, elf::PT_LOAD);
        put32(&mut f, 68, elf::PF_R | elf::PF_X);
        put64(&mut f, 72, 0); // offset
        put64(&mut f, 80, 0x400000); // vaddr
        put64(&mut f, 88, 0x400000); // paddr
        put64(&mut f, 96, 136); // filesz
        put64(&mut f, 104, 0x2000); // memsz
        put64(&mut f, 112, 0x1000); // align
        f
    }

    #[test]
    fn tiny_elf_parses() {
        let img = parse(&tiny_elf()).unwrap();
        assert_eq!(img.arch, GuestArch::X86_64);
        assert_eq!(img.kind, ElfKind::Exec);
        assert_eq!(img.entry, 0x400078);
        assert_eq!(img.phoff, 64);
        assert_eq!(img.phnum, 1);
        assert_eq!(
            img.segments,
            vec![Segment {
                vaddr: 0x400000,
                memsz: 0x2000,
                offset: 0,
                filesz: 136,
                prot: libc::PROT_READ | libc::PROT_EXEC,
                align: 0x1000
            }]
        );
        assert!(!img.exec_stack);
    }

    /// Cut anywhere in the headers, the file is refused; cut in the segment's bytes, it is
    /// not (Linux maps file pages past the end of the file too).
    #[test]
    fn every_truncation_of_the_headers_is_an_error() {
        let f = tiny_elf();
        let headers = 64 + 56;
        for n in 0..headers {
            assert!(parse(&f[..n]).is_err(), "prefix of {n} bytes parsed");
        }
        for n in headers..f.len() {
            assert!(parse(&f[..n]).is_ok(), "prefix of {n} bytes refused");
        }
    }

    /// Random byte flips (fixed seed) in the headers: parse must return, never panic.
    #[test]
    fn corrupted_headers_never_panic() {
        let base = tiny_elf();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut ok = 0;
        for _ in 0..20_000 {
            let mut f = base.clone();
            for _ in 0..(next() % 6 + 1) {
                let at = (next() % f.len() as u64) as usize;
                f[at] = next() as u8;
            }
            let cut = if next() % 4 == 0 { (next() % f.len() as u64) as usize } else { f.len() };
            if parse(&f[..cut]).is_ok() {
                ok += 1;
            }
        }
        // Some mutations (e.g. in padding or the entry point) keep the file valid.
        assert!(ok > 0);
    }
}
