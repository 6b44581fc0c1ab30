//! ELF loader: maps a guest executable (and its dynamic loader) into [`GuestMemory`] and
//! builds its initial stack. The one entry point is [`load`].
//!
//! What it accepts: ELF64 little-endian executables for x86-64 or AArch64 (`e_machine` picks
//! the [`GuestArch`], hence the frontend), either ET_EXEC (mapped at its link addresses) or
//! ET_DYN (static-pie or PIE, mapped at a base xlate picks: [`PIE_BASE`] if free, else
//! wherever the kernel finds room, aligned to the largest `p_align`). Anything else is a
//! [`LoadError`] with one clear line and exit status 126 (127 if the file is missing).
//!
//! A dynamically linked program (PT_INTERP) gets its loader mapped too, like a static-pie
//! (at [`PIE_BASE`] if the program left it free, else where the kernel finds room, as Linux
//! mmaps it), looked up in the sysroot first ([`crate::syscall::paths`]; the default is
//! [`default_sysroot`]); the guest starts at the loader's entry point, with AT_BASE the
//! loader's base and AT_ENTRY, AT_PHDR and AT_PHNUM the program's, as Linux does. Linux loads
//! a PIE at ELF_ET_DYN_BASE (0x5555_5555_4000 on x86-64 without randomization); xlate itself
//! sits there, so a PIE goes to [`PIE_BASE`].
//!
//! How segments are mapped (the result is what Linux's `load_elf_binary` produces):
//! * the segments' pages are claimed with `MAP_FIXED_NOREPLACE` (for ET_EXEC each run of
//!   touching segments, for static-pie the whole span, which is what gets relocated), so an
//!   executable whose addresses overlap xlate's own memory is refused
//!   ([`LoadErrorKind::Overlap`], naming the mapping in the way) instead of clobbering it;
//! * the file is never read whole: [`parse_file`] reads the headers, and each segment's file
//!   pages are a private mapping of the file (`MAP_FIXED` over the claim, offset rounded down
//!   to the page), so a huge sparse executable loads at once and costs no memory;
//! * past `p_filesz`, as Linux's `elf_load`: a writable segment's last file page is zeroed
//!   from there to its end (`padzero`); a read-only or executable one keeps the file's bytes
//!   there; further pages up to `p_memsz` are anonymous, read-write (and executable if the
//!   segment is) whatever the segment's flags, as `vm_brk_flags` maps them;
//! * segments are mapped in program-header order, so a page shared by two segments is the
//!   later one's (file bytes and protection), as with the kernel's `MAP_FIXED`; the space
//!   between segments is unmapped again;
//! * the checks: what Linux's execve refuses (ENOEXEC: a program header table over 64 KiB or
//!   truncated, a PT_INTERP shorter than 2 bytes, longer than PATH_MAX or without its NUL) is
//!   exit status 126 with the reason; what the kernel finds only after its point of no return
//!   (a segment whose offset and address are not congruent modulo the page size, `p_filesz >
//!   p_memsz`, a segment outside the user address space, a writable segment whose bss page is
//!   past the end of the file, a failed mapping, no PT_LOAD at all) is the reason on stderr and
//!   death by SIGSEGV, as the kernel kills the process. A segment whose file bytes extend past
//!   the end of the file is mapped as Linux maps it (its pages past the end give SIGBUS when
//!   touched);
//! * pages are 4 KiB on both sides: a host with larger pages (16K or 64K AArch64 kernels) is
//!   refused with one line ([`LoadErrorKind::HostPageSize`]), as the guest's 4 KiB-aligned
//!   segments cannot be mapped from the file there;
//! * the program break starts at the first page above the highest segment (Linux with address
//!   randomization off; with it on, Linux moves the break a random distance up).
//!
//! PT_TLS needs nothing from the loader (the guest's libc sets up TLS from the program
//! headers via AT_PHDR). PT_GNU_STACK only decides whether the stack is executable (PF_X),
//! as in Linux; without it the stack is not executable (64-bit Linux). PT_GNU_PROPERTY (IBT,
//! BTI) is ignored.
//!
//! The stack: a fresh mapping of the host's RLIMIT_STACK soft limit (8 MiB if unlimited,
//! at most 256 MiB) with a 1 MiB inaccessible guard below it, placed by the kernel (so never
//! over xlate's memory), laid out by [`stack::build`] exactly as Linux does.

mod elf;
mod error;
pub mod stack;
pub mod symbols;

pub use elf::{parse, parse_file, task_size, ElfImage, ElfKind, FileBytes, Segment, PHDR_SIZE};
pub use error::{machine_name, LoadError, LoadErrorKind};

use crate::memory::{page_down, page_up, GuestMemory, PAGE_SIZE};
use stack::{at, AuxValue, StackContents};
use std::ffi::OsString;
use std::ops::Range;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The guest instruction set, from `e_machine`: one of the guests described in
/// [`crate::guest`], which also says what the auxiliary vector tells the program about it.
pub use crate::guest::GuestArch;

/// Preferred load address of a static-pie executable: low in the address space, away from
/// where the kernel places xlate (a PIE itself, around 0x5555_5555_0000 without ASLR) and its
/// mmaps (top down from the stack).
pub const PIE_BASE: u64 = 0x40_0000_0000;

/// Size of the inaccessible gap below the stack (Linux's stack_guard_gap is 1 MiB).
const STACK_GUARD: u64 = 1 << 20;
const DEFAULT_STACK: u64 = 8 << 20;
const MAX_STACK: u64 = 256 << 20;

/// A loaded program, ready to run.
#[derive(Clone, Debug)]
pub struct LoadedProgram {
    pub arch: GuestArch,
    /// The program's entry point (e_entry plus `load_bias`; AT_ENTRY).
    pub entry: u64,
    /// The guest's first instruction: `entry`, or the dynamic loader's entry point.
    pub start: u64,
    /// The sysroot in effect: the one asked for, else [`default_sysroot`] for the guest.
    pub sysroot: PathBuf,
    /// The initial stack pointer: points at argc, 16-byte aligned.
    pub stack_pointer: u64,
    /// The initial program break (also set in the `GuestMemory`).
    pub brk_start: u64,
    /// The executable's absolute, canonical path: what /proc/self/exe must answer.
    pub exe_path: PathBuf,
    /// Added to every ELF address: 0 for ET_EXEC.
    pub load_bias: u64,
    /// The guest stack mapping (without its guard gap).
    pub stack: Range<u64>,
    /// The auxiliary vector as written to the stack, ending with (AT_NULL, 0): for
    /// /proc/self/auxv and the like.
    pub auxv: Vec<(u64, u64)>,
    /// The pages of each PT_LOAD segment that hold bytes of the file, with the file offset of
    /// their first byte: what Linux maps from the file (for the guest's /proc/self/maps).
    pub file_pages: Vec<(Range<u64>, u64)>,
}

/// Loads the static executable at `path` into `memory` and builds its initial stack.
///
/// `args` is the guest's argv (`args[0]` is conventionally the path as the user gave it);
/// `env` its environment as `NAME=value` strings. `hwcap` gives AT_HWCAP and AT_HWCAP2 for
/// the guest architecture: the runtime passes the guest description's
/// ([`crate::guest::GuestInfo::hwcap`]), tests their own. AT_EXECFN is `path` as given.
pub fn load(
    path: &Path,
    args: &[OsString],
    env: &[OsString],
    memory: &mut GuestMemory,
    hwcap: impl Fn(GuestArch) -> (u64, u64),
    sysroot: Option<&Path>,
) -> Result<LoadedProgram, LoadError> {
    let fail = |kind| LoadError { path: path.to_path_buf(), kind };
    let file = open_executable(path).map_err(fail)?;
    let image = parse_file(&file).map_err(fail)?;
    let exe_path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let sysroot = sysroot.map_or_else(|| default_sysroot(image.arch), Path::to_path_buf);
    let interpreter = match &image.interpreter {
        Some(name) => Some(open_interpreter(name, &image, &sysroot).map_err(fail)?),
        None => None,
    };
    // Linux's point of no return: what fails from here on kills the process instead of
    // failing the execve.
    if let Some(problem) = image.unmappable.clone() {
        return Err(fail(problem));
    }
    let host_page = host_page_size();
    if host_page != PAGE_SIZE {
        return Err(fail(LoadErrorKind::HostPageSize(host_page)));
    }

    let (load_bias, brk_start) = map_segments(&image, &file, memory).map_err(fail)?;
    memory.set_brk_start(brk_start);
    // A dynamically linked program starts in its loader, mapped like a static-pie; the
    // program's own entry goes to the loader in AT_ENTRY, the loader's base in AT_BASE.
    let (interp_base, start) = match interpreter {
        Some(interp) => map_interpreter(interp, memory).map_err(fail)?,
        None => (0, image.entry.wrapping_add(load_bias)),
    };

    let guest = image.arch.info();
    let (hwcap1, hwcap2) = hwcap(image.arch);
    let phdr = phdr_address(&image) + load_bias;
    let entry = image.entry.wrapping_add(load_bias);
    // SAFETY: these getters cannot fail and touch no memory.
    let (uid, euid, gid, egid) =
        unsafe { (libc::getuid(), libc::geteuid(), libc::getgid(), libc::getegid()) };
    let v = AuxValue::Value;
    let auxv = [
        (at::MINSIGSTKSZ, v(guest.min_signal_stack_size())),
        (at::HWCAP, v(hwcap1)),
        (at::PAGESZ, v(PAGE_SIZE)),
        (at::CLKTCK, v(100)),
        (at::PHDR, v(phdr)),
        (at::PHENT, v(PHDR_SIZE)),
        (at::PHNUM, v(image.phnum)),
        (at::BASE, v(interp_base)),
        (at::FLAGS, v(0)),
        (at::ENTRY, v(entry)),
        (at::UID, v(uid.into())),
        (at::EUID, v(euid.into())),
        (at::GID, v(gid.into())),
        (at::EGID, v(egid.into())),
        (at::SECURE, v(0)),
        (at::RANDOM, AuxValue::Random),
        (at::HWCAP2, v(hwcap2)),
        (at::EXECFN, AuxValue::ExecFn),
        (at::PLATFORM, AuxValue::Platform),
    ];

    // Linux (since 5.18) gives a program started with an empty argv one empty argument, so
    // that argv[0] always exists.
    let mut argv: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    if argv.is_empty() {
        argv.push(b"");
    }
    let envp: Vec<&[u8]> = env.iter().map(|e| e.as_bytes()).collect();
    let contents = StackContents {
        argv: &argv,
        envp: &envp,
        execfn: path.as_os_str().as_bytes(),
        platform: Some(guest.platform().as_bytes()),
        random: random_bytes().map_err(|e| fail(LoadErrorKind::Stack(e)))?,
        auxv: &auxv,
    };
    let stack_prot = libc::PROT_READ | libc::PROT_WRITE | if image.exec_stack { libc::PROT_EXEC } else { 0 };
    let (stack, built) = map_stack(memory, &contents, stack_prot).map_err(fail)?;
    let file_pages = image
        .segments
        .iter()
        .filter(|s| s.filesz > 0)
        .map(|s| {
            let start = page_down(s.vaddr + load_bias);
            let into_page = s.vaddr + load_bias - start;
            (
                start..page_up(s.vaddr + load_bias + s.filesz).unwrap_or(u64::MAX),
                s.offset.saturating_sub(into_page),
            )
        })
        .collect();
    Ok(LoadedProgram {
        arch: image.arch,
        entry,
        start,
        sysroot,
        stack_pointer: built.sp,
        brk_start,
        exe_path,
        load_bias,
        stack,
        auxv: built.auxv,
        file_pages,
    })
}

/// The sysroot used when none is given (`-L`, XLATE_LD_PREFIX, QEMU_LD_PREFIX): `/` for a
/// guest of the host's own ISA (its libraries are the host's). For the other ISA: `/` when
/// the host has that ISA's C library installed the multiarch way (Debian's `libc6:arm64` gives
/// /lib/ld-linux-aarch64.so.1 and /usr/lib/aarch64-linux-gnu), because the guest's loader
/// then reads the host's /etc/ld.so.cache, which names those libraries, and a loader from
/// elsewhere would be paired with a libc of another build; else Debian's cross sysroot
/// (`/usr/aarch64-linux-gnu`, from libc6-arm64-cross, for AArch64 guests on x86-64;
/// `/usr/x86_64-linux-gnu`, from libc6-amd64-cross, for x86-64 guests on AArch64) if it holds
/// the guest's loader; else `/`, as in qemu-user.
pub fn default_sysroot(arch: GuestArch) -> PathBuf {
    let own = if cfg!(target_arch = "aarch64") { GuestArch::Aarch64 } else { GuestArch::X86_64 };
    if arch == own {
        return PathBuf::from("/");
    }
    let (dir, loader, multiarch) = match arch {
        GuestArch::Aarch64 => {
            ("/usr/aarch64-linux-gnu", "lib/ld-linux-aarch64.so.1", "/usr/lib/aarch64-linux-gnu/libc.so.6")
        }
        GuestArch::X86_64 => {
            ("/usr/x86_64-linux-gnu", "lib64/ld-linux-x86-64.so.2", "/usr/lib/x86_64-linux-gnu/libc.so.6")
        }
    };
    if Path::new("/").join(loader).exists() && Path::new(multiarch).exists() {
        PathBuf::from("/")
    } else if Path::new(dir).join(loader).exists() {
        PathBuf::from(dir)
    } else {
        PathBuf::from("/")
    }
}

/// The dynamic loader a program asks for, opened and checked (before Linux's point of no
/// return, as `load_elf_binary` checks it) but not yet mapped.
struct Interpreter {
    file: std::fs::File,
    image: ElfImage,
    /// Its name as PT_INTERP gives it, escaped for messages, and the host file it names.
    name: String,
    host_path: PathBuf,
}

/// Opens and checks the dynamic loader `name` (PT_INTERP), found in `sysroot` first.
fn open_interpreter(name: &[u8], program: &ElfImage, sysroot: &Path) -> Result<Interpreter, LoadErrorKind> {
    let interpreter = error::escape(name);
    let bad = |problem: String| LoadErrorKind::BadInterpreter { interpreter: interpreter.clone(), problem };
    // In the sysroot as a chroot sees it first (absolute links staying inside), then as
    // qemu-user resolves it (links followed on the host), then on the host.
    let root = crate::syscall::paths::Sysroot::new(sysroot);
    let host_path = root
        .as_ref()
        .and_then(|root| root.resolve_as_root(name).or_else(|| root.resolve(name)))
        .unwrap_or_else(|| name.to_vec());
    let host_path = PathBuf::from(std::ffi::OsStr::from_bytes(&host_path));
    let file = match open_executable(&host_path) {
        Ok(f) => f,
        Err(LoadErrorKind::NotFound) => {
            return Err(bad(format!(
            "is neither in the sysroot {} nor on the host; name a sysroot with -L DIR (or XLATE_LD_PREFIX)",
            sysroot.display()
        )))
        }
        Err(e) => return Err(bad(format!("({}): {e}", host_path.display()))),
    };
    let image = parse_file(&file).map_err(|e| bad(format!("({}): {e}", host_path.display())))?;
    if image.arch != program.arch {
        return Err(bad(format!(
            "({}) is for {}, not {}",
            host_path.display(),
            image.arch.info().name(),
            program.arch.info().name()
        )));
    }
    if image.interpreter.is_some() || image.kind != ElfKind::Dyn {
        return Err(bad(format!(
            "({}) is not a dynamic loader (ET_DYN without PT_INTERP)",
            host_path.display()
        )));
    }
    Ok(Interpreter { file, image, name: interpreter, host_path })
}

/// Maps the dynamic loader; returns its load bias (AT_BASE) and entry point.
fn map_interpreter(interp: Interpreter, memory: &mut GuestMemory) -> Result<(u64, u64), LoadErrorKind> {
    let bad = |e: LoadErrorKind| LoadErrorKind::BadInterpreter {
        interpreter: interp.name.clone(),
        problem: format!("({}): {e}", interp.host_path.display()),
    };
    if let Some(problem) = interp.image.unmappable.clone() {
        return Err(bad(problem));
    }
    let (bias, _) = map_segments(&interp.image, &interp.file, memory).map_err(bad)?;
    Ok((bias, interp.image.entry.wrapping_add(bias)))
}

/// Opens the file, with the checks `execve` makes first.
fn open_executable(path: &Path) -> Result<std::fs::File, LoadErrorKind> {
    let io_kind = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => LoadErrorKind::NotFound,
        std::io::ErrorKind::PermissionDenied => LoadErrorKind::PermissionDenied,
        _ => LoadErrorKind::Io(e.raw_os_error().unwrap_or(libc::EIO)),
    };
    let meta = std::fs::metadata(path).map_err(io_kind)?;
    if meta.is_dir() {
        return Err(LoadErrorKind::IsDirectory);
    }
    if !meta.is_file() {
        return Err(LoadErrorKind::NotRegularFile);
    }
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(|_| LoadErrorKind::NotFound)?;
    // SAFETY: access() only reads the NUL-terminated path.
    if unsafe { libc::access(c_path.as_ptr(), libc::X_OK) } != 0 {
        return Err(LoadErrorKind::PermissionDenied);
    }
    std::fs::File::open(path).map_err(io_kind)
}

/// The host's page size.
fn host_page_size() -> u64 {
    // SAFETY: sysconf reads a constant.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(size).unwrap_or(PAGE_SIZE)
}

/// Address of the program headers in guest memory before relocation, as Linux computes
/// AT_PHDR: inside the PT_LOAD segment whose file bytes contain them; failing that, at
/// `e_phoff` past the first segment's file-offset origin (what older kernels did).
fn phdr_address(image: &ElfImage) -> u64 {
    let inside = image.segments.iter().find(|s| s.offset <= image.phoff && image.phoff - s.offset < s.filesz);
    let s = inside.unwrap_or(&image.segments[0]);
    s.vaddr.wrapping_sub(s.offset).wrapping_add(image.phoff)
}

/// The page range `[start, end)` a segment occupies.
fn page_range(s: &Segment, bias: u64) -> (u64, u64) {
    // `parse` checked that vaddr + memsz < 2^63; the bias keeps the sum in range (the mapping
    // would have failed otherwise).
    let start = page_down(s.vaddr.wrapping_add(bias));
    let end = page_up(s.end().wrapping_add(bias)).unwrap_or(!(PAGE_SIZE - 1));
    (start, end)
}

/// Maps the PT_LOAD segments; returns the load bias and the initial break.
fn map_segments(
    image: &ElfImage,
    file: &std::fs::File,
    memory: &mut GuestMemory,
) -> Result<(u64, u64), LoadErrorKind> {
    let lo = image.segments.iter().map(|s| page_down(s.vaddr)).min().unwrap_or(0);
    let hi = image.segments.iter().map(|s| page_range(s, 0).1).max().unwrap_or(0);
    let bias = match image.kind {
        ElfKind::Exec => {
            claim_runs(memory, image)?;
            0
        }
        ElfKind::Dyn => pie_bias(memory, image, lo, hi)?,
    };

    // Each segment as Linux's `elf_load` maps it, in program-header order (a later segment
    // replaces what an earlier one mapped on the same page, as MAP_FIXED does in the kernel).
    for (index, s) in image.segments.iter().enumerate() {
        map_one_segment(s, index, bias, file, memory)?;
    }
    let mut ranges: Vec<(u64, u64)> = image.segments.iter().map(|s| page_range(s, bias)).collect();
    ranges.sort();
    // Unmap what lies between segments, as Linux never maps it.
    let mut at = lo + bias;
    for &(start, end) in &ranges {
        if start > at {
            memory.munmap(at, start - at).map_err(|errno| LoadErrorKind::MapFailed {
                start: at,
                end: start,
                errno,
            })?;
        }
        at = at.max(end);
    }
    Ok((bias, hi + bias))
}

/// Maps one PT_LOAD over the claimed pages as Linux's `elf_load` does: the pages holding file
/// bytes are a private mapping of the file (so the bytes after `p_filesz` on the last of them
/// are the file's); in a writable segment with `p_memsz > p_filesz` that page's tail is zeroed
/// (`padzero`; Linux tries it for any segment but the write fails on a read-only one and is
/// ignored); pages beyond are fresh anonymous memory, readable and writable (and executable
/// if the segment is), as `vm_brk_flags` maps them whatever the segment's other flags.
fn map_one_segment(
    s: &Segment,
    index: usize,
    bias: u64,
    file: &std::fs::File,
    memory: &mut GuestMemory,
) -> Result<(), LoadErrorKind> {
    use std::os::unix::io::AsRawFd;
    let map_err = |start: u64, end: u64| move |errno| LoadErrorKind::MapFailed { start, end, errno };
    let at = s.vaddr + bias;
    let start = page_down(at);
    let mut zero_start = start;
    if s.filesz > 0 {
        let end = page_up(at + s.filesz).ok_or(LoadErrorKind::MapFailed {
            start,
            end: u64::MAX,
            errno: libc::ENOMEM,
        })?;
        // `parse` checked that offset and address are congruent modulo the page size.
        let offset = s.offset - (at - start);
        let flags = libc::MAP_PRIVATE | libc::MAP_FIXED;
        memory
            .mmap(start, end - start, s.prot, flags, file.as_raw_fd(), offset)
            .map_err(map_err(start, end))?;
        zero_start = at + s.filesz;
        let tail = zero_start % PAGE_SIZE;
        if s.memsz > s.filesz && tail != 0 && s.prot & libc::PROT_WRITE != 0 {
            // A page past the end of the file cannot be written (SIGBUS): Linux's padzero
            // fails with EFAULT and, the segment being writable, the exec with it.
            let page_offset = page_down(s.offset + s.filesz);
            if page_offset >= file.size() {
                return Err(LoadErrorKind::Killed {
                    index,
                    vaddr: s.vaddr,
                    problem: format!(
                        "its last file page (offset {page_offset:#x}) is past the end of the file, so its bss cannot be zeroed"
                    ),
                    errno: libc::EFAULT,
                });
            }
            let zeros = vec![0u8; (PAGE_SIZE - tail) as usize];
            memory.write_bytes(zero_start, &zeros).map_err(map_err(zero_start, end))?;
        }
    }
    if s.memsz > s.filesz {
        let anon_start = page_up(zero_start).unwrap_or(u64::MAX);
        let anon_end = page_range(s, bias).1;
        if anon_end > anon_start {
            let prot = libc::PROT_READ | libc::PROT_WRITE | (s.prot & libc::PROT_EXEC);
            let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED;
            memory
                .mmap(anon_start, anon_end - anon_start, prot, flags, -1, 0)
                .map_err(map_err(anon_start, anon_end))?;
        }
    }
    Ok(())
}

/// Claims the pages of an ET_EXEC's segments (each run of touching or overlapping segments
/// at once), refusing if any of it is in use. On failure nothing stays mapped.
fn claim_runs(memory: &mut GuestMemory, image: &ElfImage) -> Result<(), LoadErrorKind> {
    let mut ranges: Vec<(u64, u64)> = image.segments.iter().map(|s| page_range(s, 0)).collect();
    ranges.sort();
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for (start, end) in ranges {
        match runs.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => runs.push((start, end)),
        }
    }
    for (i, &(start, end)) in runs.iter().enumerate() {
        let err = match memory.map_segment(start, end - start, libc::PROT_NONE) {
            Ok(_) => continue,
            Err(libc::EEXIST) => LoadErrorKind::Overlap { start, end, used_by: host_mapping_in(start, end) },
            Err(errno) => LoadErrorKind::MapFailed { start, end, errno },
        };
        for &(s, e) in &runs[..i] {
            let _ = memory.munmap(s, e - s);
        }
        return Err(err);
    }
    Ok(())
}

/// Claims the whole span `[lo, hi)` of a static-pie's segments at [`PIE_BASE`] if it is free,
/// else where the kernel finds room, aligned to the largest power-of-two `p_align` (at most
/// 1 GiB); returns the load bias.
fn pie_bias(memory: &mut GuestMemory, image: &ElfImage, lo: u64, hi: u64) -> Result<u64, LoadErrorKind> {
    let align = image
        .segments
        .iter()
        .map(|s| s.align)
        .filter(|a| a.is_power_of_two())
        .max()
        .unwrap_or(PAGE_SIZE)
        .clamp(PAGE_SIZE, 1 << 30);
    let span = hi - lo;
    let preferred = PIE_BASE.next_multiple_of(align);
    if memory.map_segment(preferred, span, libc::PROT_NONE).is_ok() {
        return Ok(preferred - lo);
    }
    match memory.reserve(span, align) {
        Ok(start) => Ok(start - lo),
        Err(errno) => Err(LoadErrorKind::MapFailed { start: lo, end: hi, errno }),
    }
}

/// Names the first host mapping overlapping `[start, end)` (from /proc/self/maps), for the
/// overlap error message.
fn host_mapping_in(start: u64, end: u64) -> String {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let Some((a, b)) = fields.next().and_then(|r| r.split_once('-')) else { continue };
        let (Ok(a), Ok(b)) = (u64::from_str_radix(a, 16), u64::from_str_radix(b, 16)) else {
            continue;
        };
        if a < end && start < b {
            let name = fields.nth(4).unwrap_or("anonymous memory");
            return format!("{a:#x}-{b:#x} {name}");
        }
    }
    "memory already mapped".to_string()
}

/// Maps the guest stack and writes the initial contents; returns the stack range and the
/// built stack.
fn map_stack(
    memory: &mut GuestMemory,
    contents: &StackContents,
    prot: i32,
) -> Result<(Range<u64>, stack::BuiltStack), LoadErrorKind> {
    let size = stack_size();
    let strings: u64 = contents.argv.iter().chain(contents.envp).map(|s| s.len() as u64 + 1 + 8).sum();
    if strings > size / 4 {
        return Err(LoadErrorKind::ArgumentListTooLong);
    }
    let base = memory.reserve(STACK_GUARD + size, PAGE_SIZE).map_err(LoadErrorKind::Stack)?;
    let (lo, top) = (base + STACK_GUARD, base + STACK_GUARD + size);
    memory.mprotect(lo, size, libc::PROT_READ | libc::PROT_WRITE).map_err(LoadErrorKind::Stack)?;
    let built = stack::build(top, contents).ok_or(LoadErrorKind::Stack(libc::ENOMEM))?;
    memory.write_bytes(built.sp, &built.bytes).map_err(LoadErrorKind::Stack)?;
    if prot != libc::PROT_READ | libc::PROT_WRITE {
        memory.mprotect(lo, size, prot).map_err(LoadErrorKind::Stack)?;
    }
    Ok((lo..top, built))
}

/// The stack size: the host's RLIMIT_STACK soft limit, 8 MiB if unlimited, at most 256 MiB.
fn stack_size() -> u64 {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes only into `lim`.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_STACK, &mut lim) } == 0;
    if !ok || lim.rlim_cur == libc::RLIM_INFINITY {
        return DEFAULT_STACK;
    }
    page_up(lim.rlim_cur).unwrap_or(DEFAULT_STACK).clamp(128 << 10, MAX_STACK)
}

/// 16 bytes from the kernel's random source, for AT_RANDOM.
fn random_bytes() -> Result<[u8; 16], i32> {
    let mut buf = [0u8; 16];
    let mut got = 0;
    while got < buf.len() {
        // SAFETY: getrandom writes at most `len - got` bytes into the rest of `buf`.
        let n = unsafe { libc::getrandom(buf[got..].as_mut_ptr().cast(), buf.len() - got, 0) };
        if n < 0 {
            let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO);
            if e == libc::EINTR {
                continue;
            }
            return Err(e);
        }
        got += n as usize;
    }
    Ok(buf)
}
