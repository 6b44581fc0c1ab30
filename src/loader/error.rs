//! Why a program could not be loaded: [`LoadError`], one clear line for the user and the exit
//! status a shell would give (127 for a missing file, 126 for a file that cannot be run).

use std::fmt;
use std::path::PathBuf;

/// A program that could not be loaded. `Display` gives one line, `"<path>: <reason>"`.
#[derive(Debug)]
pub struct LoadError {
    /// The program's path as the user gave it.
    pub path: PathBuf,
    pub kind: LoadErrorKind,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadErrorKind {
    /// The file does not exist.
    NotFound,
    /// No permission to execute (or read) the file.
    PermissionDenied,
    IsDirectory,
    /// Not a regular file (a FIFO, a device, ...).
    NotRegularFile,
    /// Some other I/O error while reading the file: its errno.
    Io(i32),
    /// The file does not start with the ELF magic number. `script` is set when it starts with
    /// `#!`.
    NotElf {
        script: bool,
    },
    /// Part of the file that the ELF headers describe is missing: `what` names it.
    Truncated {
        what: &'static str,
        file_size: u64,
    },
    /// ELFCLASS32 (or an unknown class byte).
    WrongClass(u8),
    /// ELFDATA2MSB (or an unknown data-encoding byte).
    WrongEndianness(u8),
    /// The ELF header is malformed in some other way: `what` says how.
    BadHeader(&'static str),
    /// `e_type` is not ET_EXEC or ET_DYN.
    NotExecutable(u16),
    /// `e_machine` is neither EM_X86_64 nor EM_AARCH64.
    UnsupportedMachine(u16),
    /// The executable's dynamic loader (PT_INTERP) cannot be used: `problem` says why.
    BadInterpreter {
        interpreter: String,
        problem: String,
    },
    /// There is no PT_LOAD segment with memory.
    NoLoadableSegments,
    /// A segment's address range is already in use by xlate itself.
    Overlap {
        start: u64,
        end: u64,
        used_by: String,
    },
    /// The host refused to map a segment (outside the address space, below mmap_min_addr, over
    /// the address-space limit...). Linux fails such an exec after its point of no return and
    /// kills the process with SIGSEGV; xlate says why, then dies the same way.
    MapFailed {
        start: u64,
        end: u64,
        errno: i32,
    },
    /// A PT_LOAD whose file offset and address differ modulo the page size: Linux's exec
    /// cannot map it (mmap's EINVAL, after the point of no return) and kills the process
    /// with SIGSEGV; xlate says why, then dies the same way.
    NotCongruent {
        index: usize,
        vaddr: u64,
        offset: u64,
    },
    /// A PT_LOAD that Linux maps and then rejects after the point of no return (`errno`: what
    /// `load_elf_binary` fails with): the process is killed with SIGSEGV; xlate says why, then
    /// dies the same way.
    Killed {
        index: usize,
        vaddr: u64,
        problem: String,
        errno: i32,
    },
    /// The host's page size is not the guest's 4 KiB: segments cannot be mapped from the file
    /// at 4 KiB granularity.
    HostPageSize(u64),
    /// argv and envp do not fit in a quarter of the stack (Linux's E2BIG rule).
    ArgumentListTooLong,
    /// The guest stack could not be set up: an errno.
    Stack(i32),
}

impl LoadError {
    /// The signal xlate dies by after the message, where Linux kills the process during exec
    /// instead of failing the execve.
    pub fn signal(&self) -> Option<i32> {
        match self.kind {
            LoadErrorKind::NotCongruent { .. }
            | LoadErrorKind::Killed { .. }
            | LoadErrorKind::MapFailed { .. }
            | LoadErrorKind::NoLoadableSegments => Some(libc::SIGSEGV),
            _ => None,
        }
    }

    /// The exit status for this error: 127 if the file does not exist, 126 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self.kind {
            LoadErrorKind::NotFound => 127,
            _ => 126,
        }
    }
}

fn strerror(errno: i32) -> String {
    let s = std::io::Error::from_raw_os_error(errno).to_string();
    // "Operation not permitted (os error 1)" -> "Operation not permitted"
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// A name for an `e_machine` value, for messages.
pub fn machine_name(machine: u16) -> String {
    use object::elf::*;
    let name = match machine {
        EM_NONE => "none",
        EM_386 => "Intel 80386 (32-bit x86)",
        EM_68K => "Motorola 68000",
        EM_MIPS => "MIPS",
        EM_PARISC => "PA-RISC",
        EM_SPARC | EM_SPARC32PLUS => "SPARC",
        EM_SPARCV9 => "SPARC V9",
        EM_PPC => "PowerPC",
        EM_PPC64 => "PowerPC64",
        EM_S390 => "IBM S/390",
        EM_ARM => "ARM (32-bit)",
        EM_SH => "SuperH",
        EM_IA_64 => "Intel IA-64",
        EM_X86_64 => "x86-64",
        EM_AARCH64 => "AArch64",
        EM_RISCV => "RISC-V",
        EM_BPF => "eBPF",
        EM_LOONGARCH => "LoongArch",
        EM_ALPHA => "Alpha",
        _ => return format!("e_machine {machine}"),
    };
    format!("{name} (e_machine {machine})")
}

impl fmt::Display for LoadErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use LoadErrorKind::*;
        match self {
            NotFound => write!(f, "No such file or directory"),
            PermissionDenied => write!(f, "Permission denied"),
            IsDirectory => write!(f, "Is a directory"),
            NotRegularFile => write!(f, "not a regular file"),
            Io(e) => write!(f, "cannot read: {}", strerror(*e)),
            NotElf { script: true } => {
                write!(f, "not an ELF file (a #! script); xlate runs ELF executables only")
            }
            NotElf { script: false } => write!(f, "not an ELF file"),
            Truncated { what, file_size } => {
                write!(
                    f,
                    "truncated ELF file: {what} extends past the end of the file ({file_size} bytes; {})",
                    strerror(libc::ENOEXEC)
                )
            }
            WrongClass(1) => write!(f, "32-bit ELF file (ELFCLASS32); xlate runs 64-bit executables only"),
            WrongClass(c) => write!(f, "invalid ELF class {c}; xlate runs 64-bit executables only"),
            WrongEndianness(2) => {
                write!(f, "big-endian ELF file (ELFDATA2MSB); xlate runs little-endian executables only")
            }
            WrongEndianness(d) => write!(f, "invalid ELF data encoding {d}"),
            BadHeader(what) => write!(f, "malformed ELF header: {what} ({})", strerror(libc::ENOEXEC)),
            NotExecutable(t) => {
                let what = match *t {
                    object::elf::ET_REL => "a relocatable object file (ET_REL)".to_string(),
                    object::elf::ET_CORE => "a core dump (ET_CORE)".to_string(),
                    object::elf::ET_NONE => "an ELF file of type ET_NONE".to_string(),
                    t => format!("an ELF file of unknown type {t:#x}"),
                };
                write!(f, "not an executable: {what}")
            }
            UnsupportedMachine(m) => write!(
                f,
                "unsupported machine {}; xlate runs x86-64 and AArch64 executables",
                machine_name(*m)
            ),
            BadInterpreter { interpreter, problem } => {
                write!(f, "dynamically linked; its loader {interpreter} {problem}")
            }
            NotCongruent { index, vaddr, offset } => write!(
                f,
                "segment {index} at {vaddr:#x}: file offset {offset:#x} is not congruent to the address modulo the page size; Linux cannot map it ({}) and kills the process with SIGSEGV",
                strerror(libc::EINVAL)
            ),
            Killed { index, vaddr, problem, errno } => write!(
                f,
                "segment {index} at {vaddr:#x}: {problem}; Linux fails the exec after its point of no return ({}) and kills the process with SIGSEGV",
                strerror(*errno)
            ),
            HostPageSize(size) => write!(
                f,
                "the host's page size is {size} bytes; xlate maps guest segments in 4096-byte pages and needs a 4 KiB-page host"
            ),
            NoLoadableSegments => write!(
                f,
                "no loadable segment (PT_LOAD); Linux starts it with nothing mapped and it dies by SIGSEGV"
            ),
            Overlap { start, end, used_by } => write!(
                f,
                "segment {start:#x}-{end:#x} overlaps memory xlate itself uses ({used_by}); cannot load it"
            ),
            MapFailed { start, end, errno } => {
                write!(
                    f,
                    "cannot map segment {start:#x}-{end:#x}: {}; Linux kills the process with SIGSEGV",
                    strerror(*errno)
                )
            }
            ArgumentListTooLong => write!(f, "Argument list too long"),
            Stack(e) => write!(f, "cannot set up the guest stack: {}", strerror(*e)),
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use std::os::unix::ffi::OsStrExt;
        write!(f, "{}: {}", escape(self.path.as_os_str().as_bytes()), self.kind)
    }
}

/// `bytes` as text that is safe on a terminal: control characters (C0, DEL, C1) and bytes
/// that are not UTF-8 become `\xNN` (`\u{NN}` for C1), a backslash becomes `\\`; everything
/// else is kept. File names and PT_INTERP contents come from the user's files, and an escape
/// sequence in them must not reach the terminal.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 || c == '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
                c if ('\u{80}'..='\u{9f}').contains(&c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

impl std::error::Error for LoadError {}
