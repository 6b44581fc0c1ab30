//! The loader against the kernel on crafted x86-64 executables: each case is a tiny ELF made
//! here byte by byte (headers, a few instructions ending in `exit`) that probes one rule of
//! Linux's binfmt_elf, and xlate must end the way the native run ends.
//!
//! The oracle is the native run: on an x86-64 machine (also when the AArch64 build of xlate is
//! tested under qemu there, since the crafted program itself runs natively) each case is run
//! natively and must end as recorded in its `native` field (recorded from a native run on
//! Linux 6.18); xlate must then end the same way. On an AArch64 machine, and for the execve
//! refusals under qemu-user (which does not report a child's failed execve), the recording is
//! the reference.

mod support;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How a run ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    Exit(i32),
    Signal(i32),
    /// execve itself failed with this errno (xlate: exit status 126 and the errno's text).
    Refused(i32),
}

/// One PT_LOAD or other program header: (p_type, p_flags, p_offset, p_vaddr, p_filesz,
/// p_memsz).
type Phdr = (u32, u32, u64, u64, u64, u64);

const PT_LOAD: u32 = 1;
const PT_INTERP: u32 = 3;
const PT_NOTE: u32 = 4;
const R: u32 = 4;
const W: u32 = 2;
const X: u32 = 1;

/// `mov edi, 7; mov eax, 60; syscall`: exit(7).
const EXIT_7: &[u8] = &[0xbf, 7, 0, 0, 0, 0xb8, 60, 0, 0, 0, 0x0f, 0x05];

/// An ET_EXEC for x86-64 of `size` bytes with the program headers `phdrs` right after the
/// ELF header, and `extra` bytes written at their offsets.
fn elf(phdrs: &[Phdr], entry: u64, size: usize, extra: &[(usize, &[u8])]) -> Vec<u8> {
    let mut f = vec![0u8; size];
    f[..4].copy_from_slice(b"\x7fELF");
    f[4..7].copy_from_slice(&[2, 1, 1]); // ELFCLASS64, little-endian, version 1
    let mut put = |at: usize, bytes: &[u8]| f[at..at + bytes.len()].copy_from_slice(bytes);
    put(16, &2u16.to_le_bytes()); // ET_EXEC
    put(18, &62u16.to_le_bytes()); // EM_X86_64
    put(20, &1u32.to_le_bytes());
    put(24, &entry.to_le_bytes());
    put(32, &64u64.to_le_bytes()); // e_phoff
    put(52, &64u16.to_le_bytes()); // e_ehsize
    put(54, &56u16.to_le_bytes()); // e_phentsize
    put(56, &(phdrs.len() as u16).to_le_bytes());
    for (i, &(kind, flags, offset, vaddr, filesz, memsz)) in phdrs.iter().enumerate() {
        let at = 64 + 56 * i;
        put(at, &kind.to_le_bytes());
        put(at + 4, &flags.to_le_bytes());
        for (k, v) in [offset, vaddr, vaddr, filesz, memsz, 0x1000].iter().enumerate() {
            put(at + 8 + 8 * k, &v.to_le_bytes());
        }
    }
    for &(at, bytes) in extra {
        put(at, bytes);
    }
    f
}

fn write(name: &str, data: &[u8]) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("crafted-elf");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

fn end_of(status: std::process::ExitStatus) -> End {
    match status.signal() {
        Some(sig) => End::Signal(sig),
        None => End::Exit(status.code().unwrap()),
    }
}

/// Whether this machine runs x86-64 executables natively (the oracle).
fn native_available() -> bool {
    cfg!(target_arch = "x86_64") || std::env::var_os("XLATE_RUNNER").is_some()
}

/// `path` run natively (through `sh -c` with `shell_prefix` first when given).
fn run_native(path: &Path, shell_prefix: Option<&str>) -> End {
    // ETXTBSY: a child that another test thread forked while `write` still had this file
    // open for writing holds that descriptor until it execs; the kernel then refuses to
    // execute the file. That is the test harness's race, not the file's verdict: try again.
    for _ in 0..100 {
        let result = match shell_prefix {
            Some(prefix) => {
                Command::new("sh").arg("-c").arg(format!("{prefix}; exec \"$0\"")).arg(path).output()
            }
            None => Command::new(path).output(),
        };
        match result {
            Ok(out)
                if out.status.code() == Some(126)
                    && String::from_utf8_lossy(&out.stderr).contains("busy") =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            Ok(out) if shell_prefix.is_some() && out.status.code() == Some(126) => {
                return End::Refused(libc::ENOEXEC)
            }
            Ok(out) => return end_of(out.status),
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            Err(e) => return End::Refused(e.raw_os_error().unwrap()),
        }
    }
    panic!("{}: ETXTBSY for a second", path.display())
}

/// `path` run by xlate; its end and its stderr without qemu's own line (under a runner).
fn run_xlate(path: &Path, shell_prefix: Option<&str>) -> (End, String) {
    let out = match shell_prefix {
        Some(prefix) => {
            let xlate = support::xlate_command();
            let words: Vec<String> = std::iter::once(xlate.get_program())
                .chain(xlate.get_args())
                .map(|w| w.to_string_lossy().into_owned())
                .collect();
            Command::new("sh")
                .arg("-c")
                .arg(format!("{prefix}; exec {} \"$0\"", words.join(" ")))
                .arg(path)
                .output()
                .unwrap()
        }
        None => support::xlate_command().arg(path).output().unwrap(),
    };
    assert!(out.stdout.is_empty(), "xlate wrote to stdout");
    let stderr: String = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.starts_with("qemu: uncaught target signal "))
        .map(|l| format!("{l}\n"))
        .collect();
    (end_of(out.status), stderr)
}

/// Checks one case: native (where available) ends as recorded, xlate ends the same way; when
/// xlate refuses or is killed, it says why in one line containing `says`.
fn check(name: &str, data: &[u8], native: End, says: &str) {
    check_with(name, data, native, says, None)
}

fn check_with(name: &str, data: &[u8], native: End, says: &str, shell_prefix: Option<&str>) {
    let path = write(name, data);
    // Under a runner (qemu-user running this test's AArch64 build), a failed execve of the
    // child is not reported as such: there the recording stands for the refusals.
    let runner = std::env::var_os("XLATE_RUNNER").is_some();
    if native_available() && !(runner && matches!(native, End::Refused(_))) {
        assert_eq!(run_native(&path, shell_prefix), native, "{name}: the native run (the oracle)");
    }
    let (got, stderr) = run_xlate(&path, shell_prefix);
    match native {
        End::Refused(errno) => {
            assert_eq!(got, End::Exit(126), "{name}: {stderr}");
            let text = std::io::Error::from_raw_os_error(errno).to_string();
            let text = text.split(" (os error").next().unwrap();
            assert!(stderr.contains(text), "{name}: {stderr:?} lacks {text:?}");
        }
        _ => assert_eq!(got, native, "{name}: {stderr}"),
    }
    if matches!(native, End::Refused(_) | End::Signal(_)) {
        assert_eq!(stderr.lines().count(), 1, "{name}: one line: {stderr:?}");
    }
    assert!(stderr.contains(says), "{name}: {stderr:?} lacks {says:?}");
}

/// After the headers of two program headers: where the code goes.
const CODE2: usize = 64 + 56 * 2;

/// The bytes after `p_filesz` on a segment's last file page: a read-only, executable segment
/// keeps the file's bytes there, a writable one gets zeros (padzero), and the pages past the
/// file pages are anonymous and writable even in a read-only segment (vm_brk_flags). The
/// program exits with file byte 0x5a (kept) + 1 (written to the anonymous page) + 0 (zeroed
/// byte of the writable segment, 0x77 in the file).
#[test]
fn last_file_page_is_what_linux_maps() {
    let code: &[u8] = &[
        0x0f, 0xb6, 0x3c, 0x25, 0x00, 0x08, 0x40, 0x00, // movzx edi, byte [0x400800]
        0xc6, 0x04, 0x25, 0x00, 0x10, 0x40, 0x00, 0x01, // mov byte [0x401000], 1
        0x0f, 0xb6, 0x04, 0x25, 0x00, 0x10, 0x40, 0x00, // movzx eax, byte [0x401000]
        0x01, 0xc7, // add edi, eax
        0x0f, 0xb6, 0x04, 0x25, 0x00, 0x08, 0x60, 0x00, // movzx eax, byte [0x600800]
        0x01, 0xc7, // add edi, eax
        0xb8, 60, 0, 0, 0, 0x0f, 0x05, // exit(edi)
    ];
    let phdrs =
        [(PT_LOAD, R | X, 0, 0x40_0000, 0x100, 0x3000), (PT_LOAD, R | W, 0x1000, 0x60_0000, 0x10, 0x2000)];
    let extra: &[(usize, &[u8])] = &[(CODE2, code), (0x800, &[0x5a]), (0x1800, &[0x77])];
    check("last-page", &elf(&phdrs, 0x40_0000 + CODE2 as u64, 0x2000, extra), End::Exit(0x5b), "");
}

/// Two segments on one page: the later one's mapping replaces the earlier's (MAP_FIXED), so
/// the code page ends up read-only and the first instruction faults.
#[test]
fn later_segment_on_a_shared_page_wins() {
    let phdrs = [(PT_LOAD, R | X, 0, 0x40_0000, 0x200, 0x200), (PT_LOAD, R, 0x100, 0x40_0100, 0x10, 0x10)];
    let data = elf(&phdrs, 0x40_0000 + CODE2 as u64, 0x1000, &[(CODE2, EXIT_7)]);
    check("shared-page", &data, End::Signal(libc::SIGSEGV), "");
}

/// Segments in descending address order and a segment whose file bytes extend past the end
/// of the file are mapped, as Linux maps them.
#[test]
fn descending_and_past_the_end_segments_load() {
    let phdrs =
        [(PT_LOAD, R | W, 0x1000, 0x60_0000, 0x10, 0x10), (PT_LOAD, R | X, 0, 0x40_0000, 0x200, 0x200)];
    check("descending", &elf(&phdrs, 0x40_0000 + CODE2 as u64, 0x2000, &[(CODE2, EXIT_7)]), End::Exit(7), "");
    let phdrs = [(PT_LOAD, R | X, 0, 0x40_0000, 0x3000, 0x3000)];
    let at = 64 + 56;
    check("past-the-end", &elf(&phdrs, 0x40_0000 + at as u64, 0x1000, &[(at, EXIT_7)]), End::Exit(7), "");
}

/// What the kernel finds after its point of no return kills the process with SIGSEGV.
#[test]
fn unmappable_segments_die_by_sigsegv() {
    let at = 64 + 56;
    let one = |name: &str, phdr: Phdr, says: &str| {
        let data = elf(&[phdr], 0x40_0000 + at as u64, 0x1000, &[(at, EXIT_7)]);
        check(name, &data, End::Signal(libc::SIGSEGV), says);
    };
    one("filesz-over-memsz", (PT_LOAD, R | X, 0, 0x40_0000, 0x200, 0x100), "exceeds memory size");
    one("not-congruent", (PT_LOAD, R | X, 0x10, 0x40_0000, 0x200, 0x200), "not congruent");
    one(
        "kernel-half",
        (PT_LOAD, R | X, 0, 0xffff_8000_0000_0000, 0x200, 0x200),
        "outside the user address space",
    );
    one("no-load", (PT_NOTE, R, 0, 0, 0, 0), "no loadable segment");
    // A writable segment with bss whose last file page is past the end of the file.
    let phdrs =
        [(PT_LOAD, R | X, 0, 0x40_0000, 0x200, 0x200), (PT_LOAD, R | W, 0x1000, 0x60_0000, 0x1800, 0x3000)];
    let data = elf(&phdrs, 0x40_0000 + CODE2 as u64, 0x1000, &[(CODE2, EXIT_7)]);
    check("bss-page-past-the-end", &data, End::Signal(libc::SIGSEGV), "Bad address");
}

/// What execve refuses (ENOEXEC) xlate refuses with exit status 126 and the errno's text.
#[test]
fn malformed_headers_are_refused_like_execve() {
    // A program header table of 1170 entries (65520 bytes) is accepted, 1171 is over 64 KiB.
    for (n, native) in [(1170usize, End::Exit(7)), (1171, End::Refused(libc::ENOEXEC))] {
        let mut phdrs = vec![(PT_LOAD, R | X, 0, 0x40_0000, 0x2_0000, 0x2_0000)];
        phdrs.resize(n, (PT_NOTE, R, 0, 0, 0, 0));
        let code = 64 + 56 * n;
        let data = elf(&phdrs, 0x40_0000 + code as u64, 0x2_0000, &[(code, EXIT_7)]);
        check(&format!("phdrs-{n}"), &data, native, "");
    }
    let enoexec = End::Refused(libc::ENOEXEC);
    let load = (PT_LOAD, R | X, 0, 0x40_0000, 0x400, 0x400);
    let truncated = elf(&[load], 0x40_0078, 0x1000, &[]);
    check("truncated-phdrs", &truncated[..64 + 30], enoexec, "program header table");
    let interp = |filesz| [(PT_INTERP, R, 0x300, 0, filesz, filesz), load];
    check("interp-1-byte", &elf(&interp(1), 0x40_0078, 0x1000, &[]), enoexec, "PT_INTERP");
    check("interp-no-nul", &elf(&interp(4), 0x40_0078, 0x1000, &[(0x300, b"/abc")]), enoexec, "NUL");
    check("header-40-bytes", &truncated[..40], enoexec, "ELF header");
}

/// A 768 MiB sparse executable under a 1 GiB address-space limit: mapped from the file, it
/// loads at once (reading it whole needed 768 MiB of memory and failed).
#[test]
fn large_sparse_executable_loads_under_an_address_space_limit() {
    let size: u64 = 768 << 20;
    let at = 64 + 56;
    let phdrs = [(PT_LOAD, R | X, 0, 0x40_0000, size, size)];
    let path = write("sparse", &elf(&phdrs, 0x40_0000 + at as u64, 0x1000, &[(at, EXIT_7)]));
    std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(size).unwrap();
    // qemu-user (the runner of the AArch64 build) reserves more than 1 GiB for itself.
    let limit = std::env::var_os("XLATE_RUNNER").is_none().then_some("ulimit -v 1048576");
    if native_available() {
        assert_eq!(run_native(&path, limit), End::Exit(7), "the native run (the oracle)");
    }
    let (got, stderr) = run_xlate(&path, limit);
    assert_eq!(got, End::Exit(7), "{stderr}");
}
