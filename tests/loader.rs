//! Loader tests: real static executables built here by gcc (skipped with a note if gcc is
//! missing) are loaded into a `GuestMemory` and their mapped segments and initial stack are
//! read back from guest memory. The stack is compared with what the kernel gives the same
//! program natively (the program prints its own argv/envp/auxv layout). Every bad input of
//! the loader's contract is made from a good binary and must give its error and exit status.
//!
//! Tests in this file share one address space and ET_EXEC binaries all want 0x400000, so
//! every load holds `LOAD_LOCK` and its `GuestMemory` unmaps everything when dropped.

mod support;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};

use object::read::elf::{FileHeader, ProgramHeader};
use xlate::loader::{self, GuestArch, LoadError, LoadErrorKind, LoadedProgram};
use xlate::runtime::memory::{GuestMemory, PAGE_SIZE};

static LOAD_LOCK: Mutex<()> = Mutex::new(());

fn lock() -> MutexGuard<'static, ()> {
    LOAD_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

const HWCAP: (u64, u64) = (0x0178_bfbf, 0x2);

/// Prints the layout of its own initial stack: argv/envp string positions relative to
/// AT_EXECFN, the auxv keys in order, and selected auxv values.
const STACK_DUMP_C: &str = r#"
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv, char **envp) {
    uintptr_t sp = (uintptr_t)(argv - 1);
    char **e = envp;
    while (*e) e++;
    Elf64_auxv_t *aux = (Elf64_auxv_t *)(e + 1), *a;
    uintptr_t execfn = 0, random = 0, platform = 0, aux_end;
    for (a = aux; a->a_type != AT_NULL; a++) {
        if (a->a_type == AT_EXECFN) execfn = a->a_un.a_val;
        if (a->a_type == AT_RANDOM) random = a->a_un.a_val;
        if (a->a_type == AT_PLATFORM) platform = a->a_un.a_val;
    }
    aux_end = (uintptr_t)(a + 1);
    printf("sp_mod16 %lu\n", (unsigned long)(sp % 16));
    printf("argc %d\n", argc);
    for (int i = 0; i < argc; i++) printf("arg %ld %s\n", (long)((uintptr_t)argv[i] - execfn), argv[i]);
    for (char **p = envp; *p; p++) printf("env %ld %s\n", (long)((uintptr_t)*p - execfn), *p);
    printf("keys");
    for (a = aux; a->a_type != AT_NULL; a++)
        if (a->a_type != 33 && a->a_type != 27 && a->a_type != 28) printf(" %lu", (unsigned long)a->a_type);
    printf("\n");
    for (a = aux; a->a_type != AT_NULL; a++) {
        unsigned long t = a->a_type;
        if (t == AT_PHDR || t == AT_PHENT || t == AT_PHNUM || t == AT_PAGESZ || t == AT_BASE ||
            t == AT_FLAGS || t == AT_ENTRY || t == AT_UID || t == AT_EUID || t == AT_GID ||
            t == AT_EGID || t == AT_SECURE || t == AT_CLKTCK)
            printf("aux %lu %#lx\n", t, (unsigned long)a->a_un.a_val);
    }
    printf("platform_minus_random %ld\n", (long)(platform - random));
    printf("random_gap_below_16 %d\n", random - aux_end < 16);
    printf("execfn %s\n", (char *)execfn);
    printf("platform %s\n", (char *)platform);
    printf("top_mod_page %lu\n", (unsigned long)((execfn + strlen((char *)execfn) + 1 + 8) % 4096));
    printf("end_marker %lu\n", (unsigned long)*(uint64_t *)(execfn + strlen((char *)execfn) + 1));
    return 0;
}
"#;

const HELLO_C: &str = r#"
#include <stdio.h>
int counter = 5;
char big[100000];
int main(void) { big[5] = 1; printf("hello %d\n", counter); return 0; }
"#;

/// Compiles `src` with `compiler` and `flags` into the test temp dir, once per test process
/// (tests run in parallel and must not read a binary while another rewrites it); `None` (with
/// a note on stderr) if the compiler is missing.
fn build(name: &str, src: &str, compiler: &str, flags: &[&str]) -> Option<PathBuf> {
    static BUILT: Mutex<Vec<(String, Option<PathBuf>)>> = Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, p)) = built.iter().find(|(n, _)| n == name) {
        return p.clone();
    }
    let p = compile(name, src, compiler, flags);
    built.push((name.to_string(), p.clone()));
    p
}

fn compile(name: &str, src: &str, compiler: &str, flags: &[&str]) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("loader");
    std::fs::create_dir_all(&dir).unwrap();
    let c = dir.join(format!("{name}.c"));
    let out = dir.join(name);
    std::fs::write(&c, src).unwrap();
    let status = match Command::new(compiler).args(flags).arg("-o").arg(&out).arg(&c).status() {
        Ok(s) => s,
        Err(_) => {
            let package = if compiler == "gcc" { "gcc" } else { "gcc-aarch64-linux-gnu" };
            support::missing(name, compiler, package);
            return None;
        }
    };
    assert!(status.success(), "{compiler} failed for {name}");
    Some(out)
}

fn static_hello() -> Option<PathBuf> {
    build("hello-static", HELLO_C, "gcc", &["-static", "-O2"])
}

fn new_memory() -> GuestMemory {
    let mut m = GuestMemory::new();
    m.set_unmap_on_drop(true);
    m
}

fn load_with(
    path: &Path,
    args: &[&str],
    env: &[&str],
    memory: &mut GuestMemory,
) -> Result<LoadedProgram, LoadError> {
    let args: Vec<OsString> = args.iter().map(OsString::from).collect();
    let env: Vec<OsString> = env.iter().map(OsString::from).collect();
    loader::load(path, &args, &env, memory, |_| HWCAP, None)
}

fn load_err(path: &Path) -> LoadError {
    let _g = lock();
    let mut m = new_memory();
    match load_with(path, &[path.to_str().unwrap()], &[], &mut m) {
        Ok(_) => panic!("{} loaded", path.display()),
        Err(e) => e,
    }
}

fn read_u64(m: &GuestMemory, addr: u64) -> u64 {
    let mut b = [0u8; 8];
    m.read_bytes(addr, &mut b).unwrap();
    u64::from_le_bytes(b)
}

fn read_cstr(m: &GuestMemory, addr: u64) -> String {
    let mut out = Vec::new();
    let mut b = [0u8; 1];
    for a in addr.. {
        m.read_bytes(a, &mut b).unwrap();
        if b[0] == 0 {
            break;
        }
        out.push(b[0]);
    }
    String::from_utf8(out).unwrap()
}

/// The initial stack read back from guest memory.
struct Stack {
    sp: u64,
    argv: Vec<u64>,
    envp: Vec<u64>,
    auxv: Vec<(u64, u64)>,
    /// Address just past the AT_NULL pair.
    aux_end: u64,
}

fn read_stack(m: &GuestMemory, sp: u64) -> Stack {
    let argc = read_u64(m, sp);
    let argv: Vec<u64> = (0..argc).map(|i| read_u64(m, sp + 8 + 8 * i)).collect();
    let mut at = sp + 8 + 8 * argc;
    assert_eq!(read_u64(m, at), 0, "argv ends with NULL");
    at += 8;
    let mut envp = Vec::new();
    while read_u64(m, at) != 0 {
        envp.push(read_u64(m, at));
        at += 8;
    }
    at += 8;
    let mut auxv = Vec::new();
    loop {
        let (k, v) = (read_u64(m, at), read_u64(m, at + 8));
        at += 16;
        if k == 0 {
            break;
        }
        auxv.push((k, v));
    }
    Stack { sp, argv, envp, auxv, aux_end: at }
}

impl Stack {
    fn aux(&self, key: u64) -> u64 {
        self.auxv.iter().find(|&&(k, _)| k == key).unwrap_or_else(|| panic!("no auxv {key}")).1
    }
    /// The same report the stack-dump program prints natively.
    fn report(&self, m: &GuestMemory) -> String {
        let execfn = self.aux(31);
        let mut s = format!("sp_mod16 {}\nargc {}\n", self.sp % 16, self.argv.len());
        for &a in &self.argv {
            s += &format!("arg {} {}\n", a as i64 - execfn as i64, read_cstr(m, a));
        }
        for &e in &self.envp {
            s += &format!("env {} {}\n", e as i64 - execfn as i64, read_cstr(m, e));
        }
        s += "keys";
        for &(k, _) in &self.auxv {
            s += &format!(" {k}");
        }
        s += "\n";
        for &(k, v) in &self.auxv {
            if [3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 23, 17].contains(&k) {
                s += &format!("aux {k} {v:#x}\n").replace(" 0x0\n", " 0\n");
            }
        }
        let (platform, random) = (self.aux(15), self.aux(25));
        s += &format!("platform_minus_random {}\n", platform as i64 - random as i64);
        s += &format!("random_gap_below_16 {}\n", ((random - self.aux_end) < 16) as i32);
        let execfn_str = read_cstr(m, execfn);
        s += &format!("execfn {execfn_str}\nplatform {}\n", read_cstr(m, platform));
        let marker = execfn + execfn_str.len() as u64 + 1;
        s += &format!("top_mod_page {}\n", (marker + 8) % PAGE_SIZE);
        s += &format!("end_marker {}\n", read_u64(m, marker));
        s
    }
}

/// The PT_LOAD segments of a file (parsed here with the object crate, independently of the
/// loader): (vaddr, memsz, offset, filesz, p_flags).
fn file_segments(data: &[u8]) -> Vec<(u64, u64, u64, u64, u32)> {
    let h = object::elf::FileHeader64::<object::LittleEndian>::parse(data).unwrap();
    let e = object::LittleEndian;
    h.program_headers(e, data)
        .unwrap()
        .iter()
        .filter(|p| p.p_type(e) == object::elf::PT_LOAD)
        .map(|p| (p.p_vaddr(e), p.p_memsz(e), p.p_offset(e), p.p_filesz(e), p.p_flags(e)))
        .collect()
}

fn check_segments(m: &GuestMemory, data: &[u8], bias: u64) {
    for (vaddr, memsz, offset, filesz, flags) in file_segments(data) {
        let at = vaddr + bias;
        let mut got = vec![0u8; memsz as usize];
        m.read_bytes(at, &mut got).unwrap();
        assert_eq!(&got[..filesz as usize], &data[offset as usize..(offset + filesz) as usize]);
        assert!(got[filesz as usize..].iter().all(|&b| b == 0), "bss at {at:#x} is zero");
        // The whole-page part of the segment has exactly the segment's protection.
        let page_start = (at + PAGE_SIZE - 1) & !(PAGE_SIZE - 1);
        if page_start < (at + memsz) & !(PAGE_SIZE - 1) {
            let r = m.region_at(page_start).unwrap();
            let want = (if flags & 4 != 0 { libc::PROT_READ } else { 0 })
                | (if flags & 2 != 0 { libc::PROT_WRITE } else { 0 })
                | (if flags & 1 != 0 { libc::PROT_EXEC } else { 0 });
            assert_eq!(r.prot, want, "protection of the segment at {at:#x}");
        }
    }
}

#[test]
fn static_x86_64_executable_loads_with_linux_stack() {
    let Some(path) = static_hello() else { return };
    let data = std::fs::read(&path).unwrap();
    let _g = lock();
    let mut m = new_memory();
    let p = path.to_str().unwrap();
    let prog = load_with(&path, &[p, "one", "two words"], &["A=1", "EMPTY="], &mut m).unwrap();
    assert_eq!(prog.arch, GuestArch::X86_64);
    assert_eq!(prog.load_bias, 0);
    let e_entry = u64::from_le_bytes(data[24..32].try_into().unwrap());
    assert_eq!(prog.entry, e_entry);
    assert_eq!(prog.exe_path, std::fs::canonicalize(&path).unwrap());
    check_segments(&m, &data, 0);
    let highest = file_segments(&data).iter().map(|s| s.0 + s.1).max().unwrap();
    assert_eq!(prog.brk_start, (highest + PAGE_SIZE - 1) & !(PAGE_SIZE - 1));
    assert_eq!(m.brk(0), prog.brk_start);

    let st = read_stack(&m, prog.stack_pointer);
    assert_eq!(st.sp % 16, 0);
    assert!(prog.stack.contains(&st.sp));
    let args: Vec<String> = st.argv.iter().map(|&a| read_cstr(&m, a)).collect();
    assert_eq!(args, [p, "one", "two words"]);
    let env: Vec<String> = st.envp.iter().map(|&a| read_cstr(&m, a)).collect();
    assert_eq!(env, ["A=1", "EMPTY="]);
    assert_eq!(st.auxv, prog.auxv[..prog.auxv.len() - 1]);
    // AT_PHDR points at the program headers as they are in the file.
    let phoff = u64::from_le_bytes(data[32..40].try_into().unwrap()) as usize;
    let phnum = u16::from_le_bytes(data[56..58].try_into().unwrap()) as usize;
    assert_eq!(st.aux(5), phnum as u64);
    assert_eq!(st.aux(4), 56);
    let mut phdrs = vec![0u8; phnum * 56];
    m.read_bytes(st.aux(3), &mut phdrs).unwrap();
    assert_eq!(phdrs, data[phoff..phoff + phnum * 56]);
    assert_eq!(st.aux(9), prog.entry);
    assert_eq!((st.aux(16), st.aux(26)), HWCAP);
    assert_eq!(st.aux(6), 4096);
    // AT_RANDOM: 16 readable bytes inside the stack, not all zero.
    let mut random = [0u8; 16];
    m.read_bytes(st.aux(25), &mut random).unwrap();
    assert!(prog.stack.contains(&st.aux(25)));
    assert_ne!(random, [0; 16]);
    assert_eq!(read_cstr(&m, st.aux(31)), p);
    assert_eq!(read_cstr(&m, st.aux(15)), "x86_64");
    // Guest code is readable as code, and never executable on the host.
    let mut code = [0u8; 4];
    use xlate::frontend::CodeSource;
    assert_eq!(m.read_code(xlate::ir::GuestAddr(prog.entry), &mut code), 4);
    assert_eq!(
        code,
        data[(prog.entry - 0x400000) as usize..][..4],
        "entry bytes (file offset = vaddr - 0x400000 in gcc's layout)"
    );
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    for line in maps.lines() {
        let start = u64::from_str_radix(line.split('-').next().unwrap(), 16).unwrap();
        if m.region_at(start).is_some() {
            assert!(!line.split_whitespace().nth(1).unwrap().contains('x'), "{line}");
        }
    }
}

/// The stack layout is the kernel's: the same program reports its own layout natively and
/// the loader's layout must give the same report (auxv keys the loader deliberately omits,
/// AT_SYSINFO_EHDR and the rseq pair, are filtered out on both sides).
#[test]
fn stack_layout_matches_the_kernel() {
    let Some(path) = build("stack-dump", STACK_DUMP_C, "gcc", &["-static", "-O2"]) else {
        return;
    };
    let p = path.to_str().unwrap();
    let native = Command::new(&path)
        .args(["x", "yz", ""])
        .env_clear()
        .env("A", "1")
        .env("LONGER", "hello world")
        .output()
        .unwrap();
    assert!(native.status.success());
    let native = String::from_utf8(native.stdout).unwrap();

    let _g = lock();
    let mut m = new_memory();
    let prog = load_with(&path, &[p, "x", "yz", ""], &["A=1", "LONGER=hello world"], &mut m).unwrap();
    let st = read_stack(&m, prog.stack_pointer);
    // AT_MINSIGSTKSZ (51) is first in both; its value is not compared (xlate's own signal
    // frame size).
    assert_eq!(st.report(&m), native);
}

/// A program started with an empty argv: the kernel gives it one empty argument.
#[test]
fn empty_argv_gets_an_empty_argv0_like_the_kernel() {
    const EXEC_EMPTY_C: &str = r#"
#include <unistd.h>
int main(int argc, char **argv) {
    char *args[] = {0};
    char *env[] = {"A=1", 0};
    execve(argv[1], args, env);
    return 127;
}
"#;
    let Some(dump) = build("stack-dump", STACK_DUMP_C, "gcc", &["-static", "-O2"]) else { return };
    let Some(launcher) = build("exec-empty", EXEC_EMPTY_C, "gcc", &["-O2"]) else { return };
    let native = Command::new(&launcher).arg(&dump).output().unwrap();
    assert!(native.status.success());
    let native = String::from_utf8(native.stdout).unwrap();
    assert!(native.contains("argc 1\n"), "{native}");

    let _g = lock();
    let mut m = new_memory();
    let prog = load_with(&dump, &[], &["A=1"], &mut m).unwrap();
    assert_eq!(read_stack(&m, prog.stack_pointer).report(&m), native);
}

#[test]
fn static_pie_loads_at_a_base() {
    let Some(path) = build("hello-static-pie", HELLO_C, "gcc", &["-static-pie", "-O2"]) else {
        return;
    };
    let data = std::fs::read(&path).unwrap();
    assert_eq!(u16::from_le_bytes([data[16], data[17]]), object::elf::ET_DYN);
    let _g = lock();
    let mut m = new_memory();
    let prog = load_with(&path, &["pie"], &[], &mut m).unwrap();
    assert_ne!(prog.load_bias, 0);
    assert_eq!(prog.load_bias % PAGE_SIZE, 0);
    let e_entry = u64::from_le_bytes(data[24..32].try_into().unwrap());
    assert_eq!(prog.entry, e_entry + prog.load_bias);
    check_segments(&m, &data, prog.load_bias);
    let st = read_stack(&m, prog.stack_pointer);
    assert_eq!(st.aux(9), prog.entry);
    assert_eq!(st.aux(7), 0, "AT_BASE is 0 without an interpreter");
    let phoff = u64::from_le_bytes(data[32..40].try_into().unwrap());
    let mut first = [0u8; 56];
    m.read_bytes(st.aux(3), &mut first).unwrap();
    assert_eq!(first, data[phoff as usize..phoff as usize + 56]);
    // A second copy cannot take the same base: it goes elsewhere.
    let mut m2 = new_memory();
    let prog2 = load_with(&path, &["pie"], &[], &mut m2).unwrap();
    assert_ne!(prog2.load_bias, prog.load_bias);
    check_segments(&m2, &data, prog2.load_bias);
}

#[test]
fn aarch64_executable_loads() {
    let Some(path) = build("hello-a64", HELLO_C, "aarch64-linux-gnu-gcc", &["-static", "-O2"]) else {
        return;
    };
    let data = std::fs::read(&path).unwrap();
    let _g = lock();
    let mut m = new_memory();
    let prog = load_with(&path, &["a64"], &["X=y"], &mut m).unwrap();
    assert_eq!(prog.arch, GuestArch::Aarch64);
    check_segments(&m, &data, prog.load_bias);
    let st = read_stack(&m, prog.stack_pointer);
    assert_eq!(read_cstr(&m, st.aux(15)), "aarch64");
    assert_eq!(st.sp % 16, 0);
}

// ----- bad inputs -----

fn variant(name: &str, data: &[u8], mode: u32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("loader");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    p
}

fn expect(path: &Path, kind: LoadErrorKind, code: i32, message_has: &str) {
    let e = load_err(path);
    assert_eq!(e.kind, kind, "{e}");
    assert_eq!(e.exit_code(), code);
    let msg = e.to_string();
    assert!(!msg.contains('\n'), "one line: {msg}");
    assert!(msg.starts_with(&path.display().to_string()), "{msg}");
    assert!(msg.contains(message_has), "{msg:?} lacks {message_has:?}");
}

#[test]
fn missing_file_is_127() {
    let p = Path::new("/nonexistent/xlate-test-program");
    expect(p, LoadErrorKind::NotFound, 127, "No such file or directory");
}

#[test]
fn files_that_cannot_run_are_126() {
    let Some(good) = static_hello() else { return };
    let data = std::fs::read(&good).unwrap();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    expect(&dir, LoadErrorKind::IsDirectory, 126, "Is a directory");
    let text = variant("not-elf", b"just some text\n", 0o755);
    expect(&text, LoadErrorKind::NotElf { script: false }, 126, "not an ELF file");
    let script = variant("script", b"#!/bin/sh\necho hi\n", 0o755);
    expect(&script, LoadErrorKind::NotElf { script: true }, 126, "#! script");
    let empty = variant("empty", b"", 0o755);
    expect(&empty, LoadErrorKind::NotElf { script: false }, 126, "not an ELF file");
    let noexec = variant("no-exec-bit", &data, 0o644);
    expect(&noexec, LoadErrorKind::PermissionDenied, 126, "Permission denied");

    let size = |n: usize| n as u64;
    let header = variant("trunc-header", &data[..40], 0o755);
    expect(&header, LoadErrorKind::Truncated { what: "the ELF header", file_size: 40 }, 126, "truncated");
    let phoff = u64::from_le_bytes(data[32..40].try_into().unwrap()) as usize;
    let ph = variant("trunc-phdrs", &data[..phoff + 30], 0o755);
    let what = "the program header table";
    expect(&ph, LoadErrorKind::Truncated { what, file_size: size(phoff + 30) }, 126, what);
    // Half the file: the writable segment's bss page is past its end (Linux: padzero fails
    // with EFAULT after the point of no return; crafted_elf.rs compares with a native run).
    let half = data.len() / 2;
    let e = load_err(&variant("trunc-segment", &data[..half], 0o755));
    assert!(matches!(e.kind, LoadErrorKind::Killed { errno: libc::EFAULT, .. }), "{e}");
    assert!(e.to_string().contains("past the end of the file"), "{e}");
    assert_eq!(e.signal(), Some(libc::SIGSEGV));

    let mut d = data.clone();
    d[4] = 1; // ELFCLASS32
    expect(&variant("elf32", &d, 0o755), LoadErrorKind::WrongClass(1), 126, "32-bit");
    let mut d = data.clone();
    d[5] = 2; // ELFDATA2MSB
    expect(&variant("big-endian", &d, 0o755), LoadErrorKind::WrongEndianness(2), 126, "big-endian");
    let mut d = data.clone();
    d[18..20].copy_from_slice(&object::elf::EM_RISCV.to_le_bytes());
    let riscv = variant("riscv", &d, 0o755);
    expect(&riscv, LoadErrorKind::UnsupportedMachine(object::elf::EM_RISCV), 126, "RISC-V");
    let mut d = data.clone();
    d[16..18].copy_from_slice(&object::elf::ET_REL.to_le_bytes());
    let rel = variant("relocatable", &d, 0o755);
    expect(&rel, LoadErrorKind::NotExecutable(object::elf::ET_REL), 126, "relocatable");

    // p_filesz > p_memsz in the first PT_LOAD.
    let mut d = data.clone();
    let first_load = (0..u16::from_le_bytes([d[56], d[57]]) as usize)
        .map(|i| phoff + 56 * i)
        .find(|&at| u32::from_le_bytes(d[at..at + 4].try_into().unwrap()) == object::elf::PT_LOAD)
        .unwrap();
    let memsz = u64::from_le_bytes(d[first_load + 40..first_load + 48].try_into().unwrap());
    d[first_load + 32..first_load + 40].copy_from_slice(&(memsz + 1).to_le_bytes());
    let e = load_err(&variant("filesz-gt-memsz", &d, 0o755));
    assert!(matches!(e.kind, LoadErrorKind::Killed { errno: libc::EINVAL, .. }), "{e}");
    assert!(e.to_string().contains("exceeds memory size"), "{e}");
    assert_eq!(e.signal(), Some(libc::SIGSEGV));
    // A segment in the kernel half of the address space.
    let mut d = data.clone();
    d[first_load + 16..first_load + 24].copy_from_slice(&0xffff_8000_0000_0000u64.to_le_bytes());
    let e = load_err(&variant("kernel-address", &d, 0o755));
    assert!(e.to_string().contains("outside the user address space"), "{e}");
    assert_eq!(e.signal(), Some(libc::SIGSEGV));
}

#[test]
fn missing_interpreter_is_named() {
    let Some(path) = build("hello-dynamic", HELLO_C, "gcc", &["-O2"]) else { return };
    let mut data = std::fs::read(&path).unwrap();
    // The interpreter path as the file's PT_INTERP gives it, replaced by one of the same
    // length that exists nowhere.
    let h = object::elf::FileHeader64::<object::LittleEndian>::parse(&*data).unwrap();
    let e = object::LittleEndian;
    let ph = h.program_headers(e, &*data).unwrap();
    let interp = ph.iter().find(|p| p.p_type(e) == object::elf::PT_INTERP).unwrap();
    let (at, len) = (interp.p_offset(e) as usize, interp.p_filesz(e) as usize - 1);
    let missing = format!("/nonexistent-{}", "x".repeat(len - 13));
    data[at..at + len].copy_from_slice(missing.as_bytes());
    let path = variant("hello-dynamic-missing-loader", &data, 0o755);
    // The default sysroot: / on an x86-64 host, Debian's x86-64 cross sysroot (if installed)
    // on an AArch64 one.
    let root = loader::default_sysroot(GuestArch::X86_64);
    let problem = format!(
        "is neither in the sysroot {} nor on the host; name a sysroot with -L DIR (or XLATE_LD_PREFIX)",
        root.display()
    );
    let want = format!("dynamically linked; its loader {missing} {problem}");
    let kind = LoadErrorKind::BadInterpreter { interpreter: missing.clone(), problem };
    expect(&path, kind, 126, &want);
}

#[test]
fn segment_over_xlate_memory_is_refused() {
    let Some(path) = static_hello() else { return };
    let _g = lock();
    // Memory that is not this GuestMemory's: another instance (standing in for xlate's own
    // mappings) holds 0x400000.
    let mut other = new_memory();
    load_with(&path, &["a"], &[], &mut other).unwrap();
    let mut m = new_memory();
    let e = load_with(&path, &["b"], &[], &mut m).unwrap_err();
    assert!(matches!(e.kind, LoadErrorKind::Overlap { .. }), "{e}");
    assert!(e.to_string().contains("overlaps memory xlate itself uses"), "{e}");
    assert_eq!(e.exit_code(), 126);
    // Nothing was mapped and the other image is intact.
    assert_eq!(m.regions().count(), 0);
    let data = std::fs::read(&path).unwrap();
    check_segments(&other, &data, 0);
}

/// An executable whose segments sit exactly on xlate's own data (here: this test binary's
/// statics) is refused, naming the mapping it would clobber, and that memory is untouched.
#[test]
fn segment_over_own_data_is_refused() {
    static OWN_DATA: [u8; 4096] = [0x3c; 4096];
    let Some(path) = static_hello() else { return };
    let mut d = std::fs::read(&path).unwrap();
    let target = OWN_DATA.as_ptr() as u64 & !(PAGE_SIZE - 1);
    let segs = file_segments(&d);
    let delta = target - (segs[0].0 & !(PAGE_SIZE - 1));
    // Shift every PT_LOAD (and the entry point) so the first segment lands on `target`.
    let phoff = u64::from_le_bytes(d[32..40].try_into().unwrap()) as usize;
    for i in 0..u16::from_le_bytes([d[56], d[57]]) as usize {
        let at = phoff + 56 * i;
        if u32::from_le_bytes(d[at..at + 4].try_into().unwrap()) == object::elf::PT_LOAD {
            let v = u64::from_le_bytes(d[at + 16..at + 24].try_into().unwrap()) + delta;
            d[at + 16..at + 24].copy_from_slice(&v.to_le_bytes());
        }
    }
    let e = u64::from_le_bytes(d[24..32].try_into().unwrap()) + delta;
    d[24..32].copy_from_slice(&e.to_le_bytes());
    let p = variant("over-own-data", &d, 0o755);
    let err = load_err(&p);
    let LoadErrorKind::Overlap { used_by, .. } = &err.kind else { panic!("{err}") };
    let me = std::env::current_exe().unwrap();
    assert!(used_by.contains(me.file_name().unwrap().to_str().unwrap()), "{err}");
    assert_eq!(err.exit_code(), 126);
    assert!(OWN_DATA.iter().all(|&b| b == 0x3c));
}

/// Fuzz-style: truncated prefixes and random byte flips (fixed seed) of a real executable's
/// headers never make the parser panic.
#[test]
fn parser_survives_corrupted_real_headers() {
    let Some(path) = static_hello() else { return };
    let data = std::fs::read(&path).unwrap();
    for n in 0..4096.min(data.len()) {
        let _ = loader::parse(&data[..n]);
    }
    let phoff = u64::from_le_bytes(data[32..40].try_into().unwrap()) as usize;
    let phnum = u16::from_le_bytes([data[56], data[57]]) as usize;
    let headers = phoff + 56 * phnum;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut d = data.clone();
    for _ in 0..5000 {
        d[..headers].copy_from_slice(&data[..headers]);
        for _ in 0..next() % 8 + 1 {
            let at = (next() % headers as u64) as usize;
            d[at] ^= 1 << (next() % 8);
        }
        let _ = loader::parse(&d);
    }
}

/// Bytes from the file (its PT_INTERP) and its name reach the terminal escaped: an escape
/// sequence or a newline in them is printed as `\xNN`, so the message stays one line and
/// cannot drive the terminal.
#[test]
fn control_characters_in_messages_are_escaped() {
    let Some(path) = build("hello-dynamic", HELLO_C, "gcc", &["-O2"]) else { return };
    let mut data = std::fs::read(&path).unwrap();
    let h = object::elf::FileHeader64::<object::LittleEndian>::parse(&*data).unwrap();
    let e = object::LittleEndian;
    let interp = h
        .program_headers(e, &*data)
        .unwrap()
        .iter()
        .find(|p| p.p_type(e) == object::elf::PT_INTERP)
        .map(|p| p.p_offset(e) as usize)
        .unwrap();
    data[interp..interp + 6].copy_from_slice(b"\x1b[2J\n\\");
    let evil = variant("evil\x1b]0;title\x07name", &data, 0o755);
    let msg = load_err(&evil).to_string();
    assert!(!msg.bytes().any(|b| b < 0x20 || b == 0x7f), "{msg:?}");
    assert!(
        msg.starts_with(&format!("{}/evil\\x1b]0;title\\x07name: ", evil.parent().unwrap().display())),
        "{msg}"
    );
    assert!(msg.contains("its loader \\x1b[2J\\x0a\\\\"), "{msg}");
}

/// A PT_LOAD whose file offset is not congruent to its address modulo the page size: Linux's
/// exec cannot map it and kills the process with SIGSEGV (the native run is the oracle);
/// xlate says why in one line and dies the same way.
#[test]
fn segment_offset_not_congruent_dies_like_linux() {
    let Some(path) = static_hello() else { return };
    let mut data = std::fs::read(&path).unwrap();
    let phoff = u64::from_le_bytes(data[32..40].try_into().unwrap()) as usize;
    let second_load = (0..u16::from_le_bytes([data[56], data[57]]) as usize)
        .map(|i| phoff + 56 * i)
        .filter(|&at| u32::from_le_bytes(data[at..at + 4].try_into().unwrap()) == object::elf::PT_LOAD)
        .nth(1)
        .unwrap();
    let offset = u64::from_le_bytes(data[second_load + 8..second_load + 16].try_into().unwrap());
    data[second_load + 8..second_load + 16].copy_from_slice(&(offset + 16).to_le_bytes());
    let bad = variant("not-congruent", &data, 0o755);
    let e = load_err(&bad);
    assert!(matches!(e.kind, LoadErrorKind::NotCongruent { .. }), "{e}");
    use std::os::unix::process::ExitStatusExt;
    if cfg!(target_arch = "x86_64") || std::env::var_os("XLATE_RUNNER").is_some() {
        let native = std::process::Command::new(&bad).output().unwrap();
        assert_eq!(native.status.signal(), Some(libc::SIGSEGV), "the oracle: {:?}", native.status);
    }
    let runner = std::env::var("XLATE_RUNNER").unwrap_or_default();
    let mut words: Vec<String> = runner.split_whitespace().map(String::from).collect();
    words.push(env!("CARGO_BIN_EXE_xlate").to_string());
    let got = std::process::Command::new(&words[0]).args(&words[1..]).arg(&bad).output().unwrap();
    let stderr = String::from_utf8_lossy(&got.stderr);
    // Under XLATE_RUNNER=qemu-aarch64-static, qemu adds its own line when xlate dies by the
    // signal; that one is not xlate's.
    let lines: Vec<&str> =
        stderr.lines().filter(|l| !l.starts_with("qemu: uncaught target signal ")).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(stderr.contains("is not congruent") && stderr.contains("Invalid argument"), "{stderr}");
    assert!(got.stdout.is_empty());
    assert_eq!(got.status.signal(), Some(libc::SIGSEGV), "{:?}", got.status);
}
