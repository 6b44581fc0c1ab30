//! The `xlate` command line, run as a user would: options, exit statuses, what goes to stdout
//! and stderr.

mod support;

use std::process::{Command, Output};

/// The `xlate` under test ([`support::xlate_command`]), without qemu's own tracing.
fn xlate_command() -> Command {
    let mut command = support::xlate_command();
    command.env_remove("QEMU_STRACE");
    command
}

fn xlate(args: &[&str]) -> Output {
    xlate_command().args(args).output().expect("xlate runs")
}

/// Whether x86-64 programs can run natively here (the oracle of the x86-64 guest tests): on an
/// x86-64 machine, also when xlate itself is the AArch64 build run under qemu.
fn x86_64_runs_natively() -> bool {
    cfg!(target_arch = "x86_64") || std::env::var_os("XLATE_RUNNER").is_some()
}

/// Runs an AArch64 program the trusted way: natively on an AArch64 machine, else under
/// qemu-aarch64-static.
fn aarch64_oracle(exe: &Path) -> Output {
    let native = cfg!(target_arch = "aarch64") && std::env::var_os("XLATE_RUNNER").is_none();
    let mut command = if native { Command::new(exe) } else { Command::new("qemu-aarch64-static") };
    if !native {
        command.arg(exe);
    }
    command.output().expect("the AArch64 oracle runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_goes_to_stdout_and_exits_0() {
    let out = xlate(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    assert!(help.contains("Usage: xlate [OPTIONS] PROGRAM [ARGS]..."), "{help}");
    for option in ["--strace", "--stats", "--help", "--version"] {
        assert!(help.contains(option), "--help does not mention {option}:\n{help}");
    }
    assert!(out.stderr.is_empty(), "stderr: {}", text(&out.stderr));
}

#[test]
fn version_goes_to_stdout_and_exits_0() {
    let out = xlate(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    // The version, the host backend (this build's architecture) and the guest ISAs.
    let host = if cfg!(target_arch = "aarch64") { "aarch64" } else { "x86-64" };
    assert_eq!(
        text(&out.stdout),
        format!("xlate {} (host backend: {host}; guests: x86-64, aarch64)\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn no_program_is_a_usage_error() {
    let out = xlate(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("Usage:"));
}

#[test]
fn unknown_option_before_the_program_is_a_usage_error() {
    let out = xlate(&["--no-such-option", "/bin/true"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

// ---- running programs ----

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;

/// A scratch directory for this test binary's files.
fn scratch() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Compiles `source` (C or assembly, by `ext`) with `gcc -static` and `flags` into the scratch
/// directory; returns the executable.
fn build(name: &str, ext: &str, source: &str, flags: &[&str]) -> PathBuf {
    build_with("gcc", name, ext, source, flags)
}

/// [`build`] with the compiler `cc`.
fn build_with(cc: &str, name: &str, ext: &str, source: &str, flags: &[&str]) -> PathBuf {
    let dir = scratch();
    let src = dir.join(format!("{name}.{ext}"));
    let exe = dir.join(name);
    std::fs::write(&src, source).unwrap();
    let out = Command::new(cc)
        .args(["-static", "-O2", "-o"])
        .arg(&exe)
        .arg(&src)
        .args(flags)
        .output()
        .expect("gcc runs");
    assert!(out.status.success(), "{cc} failed for {name}:\n{}", text(&out.stderr));
    exe
}

/// Exit status or signal, for comparing runs.
fn ending(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit {code}"),
        (None, Some(signal)) => format!("signal {signal}"),
        _ => format!("{status:?}"),
    }
}

fn native(exe: &Path, args: &[&str]) -> Output {
    Command::new(exe).args(args).output().expect("native run")
}

fn translated(options: &[&str], exe: &Path, args: &[&str]) -> Output {
    xlate_command().args(options).arg(exe).args(args).output().expect("xlate runs")
}

/// Runs `exe` natively and under xlate with the same arguments; stdout and the way it ended
/// must be the same. Returns xlate's output.
fn same_as_native(options: &[&str], exe: &Path, args: &[&str]) -> Output {
    let want = native(exe, args);
    let got = translated(options, exe, args);
    assert_eq!(text(&got.stdout), text(&want.stdout), "stdout differs; xlate stderr:\n{}", text(&got.stderr));
    assert_eq!(ending(got.status), ending(want.status), "xlate stderr:\n{}", text(&got.stderr));
    got
}

const NO_LIBC_HELLO: &str = r#"
    .globl _start
    .text
_start:
    mov $1, %eax
    mov $1, %edi
    lea msg(%rip), %rsi
    mov $len, %edx
    syscall
    mov $60, %eax
    mov $42, %edi
    syscall
    .section .rodata
msg: .ascii "hello without libc\n"
    len = . - msg
"#;

/// Loops, calls, returns and calls through a function pointer, without libc: the
/// dispatcher's lookup, chaining and indirect paths with only integer instructions.
const NO_LIBC_LOOPS: &str = r#"
typedef unsigned long u64;
static long sys3(long n, long a, long b, long c) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}
static u64 collatz_steps(u64 n) {
    u64 steps = 0;
    while (n != 1) {
        n = (n & 1) ? 3 * n + 1 : n / 2;
        steps++;
    }
    return steps;
}
static u64 twice(u64 x) { return 2 * x; }
static u64 plus_one(u64 x) { return x + 1; }
static u64 (*const ops[2])(u64) = {twice, plus_one};
__attribute__((noinline)) static u64 apply(int which, u64 x) { return ops[which & 1](x); }

static void put_number(u64 v) {
    char buf[24];
    int i = 23;
    buf[i] = '\n';
    do {
        buf[--i] = '0' + v % 10;
        v /= 10;
    } while (v);
    sys3(1, 1, (long)(buf + i), 24 - i);
}

void _start(void) {
    u64 total = 0;
    for (u64 n = 1; n < 3000; n++)
        total += collatz_steps(n);
    put_number(total);
    u64 x = 1;
    for (int i = 0; i < 40; i++)
        x = apply(i * 7 / 3, x);
    put_number(x);
    sys3(60, (long)(total % 200), 0, 0);
    for (;;) {}
}
"#;

/// Writes through a null-ish pointer: the guest dies by SIGSEGV, as natively.
const NO_LIBC_SEGV: &str = r#"
static long sys3(long n, long a, long b, long c) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}
void _start(void) {
    sys3(1, 1, (long)"before\n", 7);
    *(volatile int *)16 = 1;
    sys3(1, 1, (long)"after\n", 6);
    sys3(60, 0, 0, 0);
}
"#;

/// Writes one line to stdout and exits 3 if the write failed, 4 if it worked; with stdout a
/// pipe nobody reads, it dies by SIGPIPE before it can exit.
const NO_LIBC_WRITE: &str = r#"
static long sys3(long n, long a, long b, long c) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}
void _start(void) {
    long r = sys3(1, 1, (long)"x\n", 2);
    sys3(60, r < 0 ? 3 : 4, 0, 0);
}
"#;

/// Flags for the programs above that bring their own `_start` and syscalls.
const NO_LIBC: &[&str] = &["-nostdlib", "-fno-builtin", "-fno-stack-protector"];

const HELLO_ARGS: &str = r#"
#include <stdio.h>
int main(int argc, char **argv) {
    printf("hello, %d args:", argc - 1);
    for (int i = 1; i < argc; i++)
        printf(" [%s]", argv[i]);
    printf("\n");
    return argc + 2;
}
"#;

const DIVIDE: &str = r#"
#include <stdio.h>
int main(int argc, char **argv) {
    volatile int zero = argc - 1;
    printf("about to divide\n");
    fflush(stdout);
    return 10 / zero;
}
"#;

#[test]
fn program_without_libc_runs_translated() {
    if !x86_64_runs_natively() {
        return eprintln!("skipped: no native x86-64 oracle here");
    }
    let exe = build("no_libc_hello", "s", NO_LIBC_HELLO, &["-nostdlib"]);
    let out = same_as_native(&[], &exe, &[]);
    assert!(out.stderr.is_empty(), "stderr: {}", text(&out.stderr));
}

#[test]
fn program_without_libc_loops_and_calls_like_native() {
    if !x86_64_runs_natively() {
        return eprintln!("skipped: no native x86-64 oracle here");
    }
    let exe =
        build("no_libc_loops", "c", NO_LIBC_LOOPS, &["-nostdlib", "-fno-builtin", "-fno-stack-protector"]);
    let out = same_as_native(&["--stats"], &exe, &[]);
    let report = text(&out.stderr);
    assert!(report.contains("chain links"), "{report}");
}

#[test]
fn hello_gets_its_arguments_unchanged_with_glibc_and_musl() {
    if !x86_64_runs_natively() {
        return eprintln!("skipped: no native x86-64 oracle here");
    }
    for cc in ["gcc", "musl-gcc"] {
        let exe = build_with(cc, &format!("hello_args_{cc}"), "c", HELLO_ARGS, &[]);
        let args = ["--stats", "-x", "--", "two words", "--help"];
        let out = same_as_native(&[], &exe, &args);
        assert!(out.stderr.is_empty(), "{cc}: stderr: {}", text(&out.stderr));
    }
}

#[test]
fn stats_go_to_stderr_and_show_translation() {
    if !x86_64_runs_natively() {
        return eprintln!("skipped: no native x86-64 oracle here");
    }
    let exe = build("no_libc_loops", "c", NO_LIBC_LOOPS, NO_LIBC);
    let out = same_as_native(&["--stats"], &exe, &[]);
    let report = text(&out.stderr);
    let blocks: u64 = report
        .lines()
        .find_map(|l| l.trim().strip_prefix("blocks translated"))
        .unwrap_or_else(|| panic!("no blocks line in\n{report}"))
        .trim()
        .parse()
        .unwrap();
    assert!(blocks > 0, "{report}");
}

#[test]
fn divide_by_zero_dies_by_sigfpe_like_native() {
    if !x86_64_runs_natively() {
        return eprintln!("skipped: no native x86-64 oracle here");
    }
    let exe = build("divide", "c", DIVIDE, &[]);
    let out = same_as_native(&[], &exe, &[]);
    assert_eq!(out.status.signal(), Some(libc::SIGFPE));
}

#[test]
fn missing_program_exits_127_with_one_line() {
    let out = xlate(&["/no/such/program"]);
    assert_eq!(out.status.code(), Some(127));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("xlate: /no/such/program: "), "{err}");
}

#[test]
fn non_elf_file_exits_126_with_one_line() {
    let path = scratch().join("not-an-elf");
    std::fs::write(&path, "#!/bin/sh\necho hi\n").unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = xlate(&[path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(126));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with(&format!("xlate: {}: ", path.display())), "{err}");
}

#[test]
fn guest_fault_dies_by_sigsegv_like_native() {
    if !x86_64_runs_natively() {
        return eprintln!("skipped: no native x86-64 oracle here");
    }
    let exe = build("no_libc_segv", "c", NO_LIBC_SEGV, NO_LIBC);
    let out = same_as_native(&[], &exe, &[]);
    assert_eq!(out.status.signal(), Some(libc::SIGSEGV));
    assert_eq!(text(&out.stdout), "before\n");
}

/// How `exe` ends when its stdout is a pipe whose reader is gone.
fn ending_with_broken_stdout(mut command: Command) -> String {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let status = command.stdout(writer).status().unwrap();
    ending(status)
}

#[test]
fn write_to_a_broken_pipe_dies_by_sigpipe_like_native() {
    if !x86_64_runs_natively() {
        return eprintln!("skipped: no native x86-64 oracle here");
    }
    let exe = build("no_libc_write", "c", NO_LIBC_WRITE, NO_LIBC);
    let native = ending_with_broken_stdout(Command::new(&exe));
    let mut xlate = xlate_command();
    xlate.arg(&exe);
    assert_eq!(ending_with_broken_stdout(xlate), native);
    assert_eq!(native, format!("signal {}", libc::SIGPIPE));
}

/// AArch64 hello without libc: write and exit_group through `svc`.
const A64_NO_LIBC_HELLO: &str = r#"
    .globl _start
    .text
_start:
    mov x0, #1
    adr x1, msg
    mov x2, #len
    mov x8, #64
    svc #0
    mov x0, #42
    mov x8, #93
    svc #0
    .section .rodata
msg: .ascii "hello from aarch64\n"
    len = . - msg
"#;

#[test]
fn aarch64_program_runs_translated_like_its_oracle() {
    let exe = build_with("aarch64-linux-gnu-gcc", "a64_hello", "s", A64_NO_LIBC_HELLO, &["-nostdlib"]);
    let want = aarch64_oracle(&exe);
    let got = translated(&["--stats"], &exe, &[]);
    assert_eq!(text(&got.stdout), text(&want.stdout));
    assert_eq!(text(&want.stdout), "hello from aarch64\n");
    assert_eq!(ending(got.status), ending(want.status));
    let report = text(&got.stderr);
    assert!(report.contains("xlate stats (aarch64 guest on "), "{report}");
}

#[test]
fn strace_logs_syscalls_on_stderr_only() {
    let exe = build_with("aarch64-linux-gnu-gcc", "a64_hello", "s", A64_NO_LIBC_HELLO, &["-nostdlib"]);
    let out = translated(&["--strace"], &exe, &[]);
    assert_eq!(text(&out.stdout), "hello from aarch64\n");
    assert_eq!(out.status.code(), Some(42));
    let log = text(&out.stderr);
    let calls: Vec<&str> = log.lines().map(|l| l.split_once(' ').map_or(l, |(_pid, call)| call)).collect();
    // The message's address depends on the linker; the rest is fixed.
    assert_eq!(calls.len(), 2, "{log}");
    assert!(calls[0].starts_with("write(1,0x") && calls[0].ends_with(",19) = 19"), "{log}");
    assert_eq!(calls[1], "exit(42)", "{log}");
}

/// AArch64: one line, then `last` (an instruction word that ends the program).
fn a64_write_then(last: &str) -> String {
    format!(
        r#"
    .globl _start
    .text
_start:
    mov x0, #1
    adr x1, msg
    mov x2, #len
    mov x8, #64
    svc #0
    {last}
    .section .rodata
msg: .ascii "before it\n"
    len = . - msg
"#
    )
}

/// An encoding xlate does not know (here an unallocated one, which the hardware refuses too):
/// SIGILL after one stderr line naming the address and the word.
#[test]
fn undefined_instruction_prints_one_line_and_dies_by_sigill() {
    let source = a64_write_then(".inst 0x02000000");
    let exe = build_with("aarch64-linux-gnu-gcc", "a64_unallocated", "s", &source, &["-nostdlib"]);
    let want = aarch64_oracle(&exe);
    let got = translated(&[], &exe, &[]);
    assert_eq!(text(&got.stdout), text(&want.stdout));
    assert_eq!(ending(got.status), ending(want.status));
    assert_eq!(got.status.signal(), Some(libc::SIGILL));
    // The word is the sixth instruction after _start, the entry point.
    let entry = entry_point(&exe);
    let err = xlate_stderr(&got);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with(&format!("xlate: {:#x}: ", entry + 5 * 4)), "{err}");
    assert!(err.contains("02000000"), "the message names the encoding: {err}");
}

/// UDF is an instruction xlate implements: it raises SIGILL as the hardware does (a guest
/// handler would get ILL_ILLOPC), so there is nothing to report on stderr.
#[test]
fn permanently_undefined_instruction_dies_by_sigill_silently() {
    let source = a64_write_then("udf #0");
    let exe = build_with("aarch64-linux-gnu-gcc", "a64_udf", "s", &source, &["-nostdlib"]);
    let want = aarch64_oracle(&exe);
    let got = translated(&[], &exe, &[]);
    assert_eq!(text(&got.stdout), text(&want.stdout));
    assert_eq!(ending(got.status), ending(want.status));
    assert_eq!(got.status.signal(), Some(libc::SIGILL));
    assert_eq!(xlate_stderr(&got), "");
}

/// xlate's stderr without what an `XLATE_RUNNER` qemu adds when xlate dies by a signal.
fn xlate_stderr(out: &Output) -> String {
    text(&out.stderr).lines().filter(|l| !l.starts_with("qemu: ")).map(|l| format!("{l}\n")).collect()
}

/// e_entry of an ELF64 file.
fn entry_point(exe: &Path) -> u64 {
    let bytes = std::fs::read(exe).unwrap();
    u64::from_le_bytes(bytes[24..32].try_into().unwrap())
}

/// Prints the host's /proc/self/maps: opened relative to a descriptor of /proc/self, which
/// xlate does not replace with the guest's view (a plain "/proc/self/maps" shows guest
/// protections, in which guest code is executable).
const PRINT_MAPS: &str = r#"
#include <fcntl.h>
#include <stdio.h>
int main(void) {
    FILE *f = fdopen(openat(open("/proc/self", O_RDONLY | O_DIRECTORY), "maps", O_RDONLY), "r");
    if (!f) return 1;
    int c;
    while ((c = getc(f)) != EOF) putchar(c);
    return 0;
}
"#;

/// The rule of same-ISA translation: guest code never runs natively. Guest pages are mapped
/// without host execute permission, so the mapping that holds the guest's entry point must not
/// be executable (natively it is).
#[test]
fn guest_code_is_never_mapped_executable() {
    if !cfg!(target_arch = "x86_64") || std::env::var_os("XLATE_RUNNER").is_some() {
        // Under qemu, /proc/self/maps is qemu's rendering of the emulated process.
        return eprintln!("skipped: needs a native x86-64 build of xlate");
    }
    let exe = build("print_maps", "c", PRINT_MAPS, &[]);
    let entry = entry_point(&exe);
    let holding_entry = |maps: &str| -> String {
        maps.lines()
            .find(|l| {
                let range = l.split_whitespace().next().unwrap_or("");
                let (lo, hi) = range.split_once('-').unwrap_or(("0", "0"));
                let (lo, hi) = (u64::from_str_radix(lo, 16).unwrap(), u64::from_str_radix(hi, 16).unwrap());
                (lo..hi).contains(&entry)
            })
            .unwrap_or_else(|| panic!("no mapping holds {entry:#x} in\n{maps}"))
            .to_string()
    };
    let native_line = holding_entry(&text(&native(&exe, &[]).stdout));
    let translated_out = translated(&[], &exe, &[]);
    assert_eq!(translated_out.status.code(), Some(0), "{}", text(&translated_out.stderr));
    let translated_line = holding_entry(&text(&translated_out.stdout));
    let perms = |line: &str| line.split_whitespace().nth(1).unwrap().to_string();
    assert!(perms(&native_line).contains('x'), "natively the code is executable: {native_line}");
    assert!(!perms(&translated_line).contains('x'), "guest code mapped executable: {translated_line}");
}

/// `--stats=json`: one JSON object on stderr with the documented fields; stdout is the guest's
/// alone; a bare `--stats` before the program still means text (the value needs `=`).
#[test]
fn stats_json_is_one_object_on_stderr() {
    let hello = "guest-bins/prebuilt/aarch64-glibc/hello";
    let out = xlate(&["--stats=json", hello]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Hello, world!\n");
    let err = text(&out.stderr);
    let line = err.lines().find(|l| l.starts_with('{')).expect("a JSON line");
    assert!(line.ends_with('}'), "{line}");
    for field in [
        "\"guest\":\"aarch64\"",
        "\"blocks_translated\":",
        "\"time_total_s\":",
        "\"syscalls\":",
        "\"format\":1",
    ] {
        assert!(line.contains(field), "{field} missing in {line}");
    }
    let insns: u64 =
        line.split("\"guest_insns\":").nth(1).unwrap().split(',').next().unwrap().parse().unwrap();
    assert!(insns > 100, "{line}");
    let text_form = xlate(&["--stats", hello]);
    assert!(text(&text_form.stderr).contains("blocks translated"), "{}", text(&text_form.stderr));
    assert!(!xlate(&["--stats=xml", hello]).status.success());
}

/// `--perfmap`: /tmp/perf-PID.map gets one `START SIZE NAME` line per translated block, in
/// the format perf reads, with the guest address when the program has no symbols.
#[test]
fn perfmap_lists_translated_blocks() {
    let hello = "guest-bins/prebuilt/x86_64-glibc/hello";
    let child = xlate_command()
        .args(["--perfmap", "--stats", hello])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("xlate runs");
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let path = format!("/tmp/perf-{pid}.map");
    let map = std::fs::read_to_string(&path).expect("the perf map");
    std::fs::remove_file(&path).unwrap();
    let blocks: usize = text(&out.stderr)
        .lines()
        .find_map(|l| l.trim().strip_prefix("blocks translated"))
        .and_then(|v| v.trim().parse().ok())
        .expect("the stats line");
    assert_eq!(map.lines().count(), blocks, "one line per translated block");
    for line in map.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        assert_eq!(f.len(), 3, "{line}");
        assert!(u64::from_str_radix(f[0], 16).is_ok() && u64::from_str_radix(f[1], 16).is_ok(), "{line}");
        assert!(f[2].starts_with("guest:0x"), "{line}");
    }
}

/// `--perfmap` names blocks after the guest's own symbols when it has them.
#[test]
fn perfmap_names_guest_functions() {
    let src = "#include <stdio.h>\nint square(int x) { return x * x; }\nint main(int c, char **v) { printf(\"%d\\n\", square(c + 6)); return 0; }\n";
    let exe = build_with("aarch64-linux-gnu-gcc", "perfmap_symbols", "c", src, &["-fno-inline"]);
    let child = xlate_command()
        .arg("--perfmap")
        .arg(&exe)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("xlate runs");
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert_eq!(text(&out.stdout), "49\n", "{}", text(&out.stderr));
    let path = format!("/tmp/perf-{pid}.map");
    let map = std::fs::read_to_string(&path).expect("the perf map");
    std::fs::remove_file(&path).unwrap();
    for name in [" guest:main", " guest:square", " guest:_start"] {
        assert!(map.lines().any(|l| l.contains(name)), "no block of {name} in:\n{map}");
    }
}

/// XLATE_STRACE and XLATE_STATS turn the options on, as QEMU_STRACE does for qemu-user.
#[test]
fn environment_turns_options_on() {
    let hello = "guest-bins/prebuilt/aarch64-glibc/hello";
    let out =
        xlate_command().env("XLATE_STRACE", "1").env("XLATE_STATS", "json").arg(hello).output().unwrap();
    assert_eq!(text(&out.stdout), "Hello, world!\n");
    let err = text(&out.stderr);
    assert!(err.contains("exit_group(0)"), "{err}");
    assert!(err.lines().any(|l| l.starts_with("{\"guest\":\"aarch64\"")), "{err}");
    let quiet = xlate_command().env("XLATE_STRACE", "0").arg(hello).output().unwrap();
    assert!(quiet.stderr.is_empty(), "{}", text(&quiet.stderr));
}

/// `--exact-flags` and XLATE_EXACT_FLAGS turn the x86-64 flag lookahead off: the same
/// output, and more host code (without the lookahead, a block computes every flag it sets
/// that no later instruction of the block overwrites).
#[test]
fn exact_flags_turns_the_flag_lookahead_off() {
    let hello = "guest-bins/prebuilt/x86_64-glibc/hello";
    let host_bytes = |cmd: &mut Command| -> u64 {
        let out = cmd.arg("--stats=json").arg(hello).output().unwrap();
        assert_eq!(text(&out.stdout), "Hello, world!\n", "{}", text(&out.stderr));
        let err = text(&out.stderr);
        let field = err.split("\"host_bytes\":").nth(1).unwrap_or_else(|| panic!("no host_bytes in {err}"));
        field.split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap()
    };
    let lookahead = host_bytes(&mut xlate_command());
    let exact = host_bytes(xlate_command().arg("--exact-flags"));
    assert!(exact > lookahead, "{exact} host bytes with --exact-flags, {lookahead} without");
    // The guest sees the variable in its environment, which changes the code it runs: the
    // comparison is between two runs with the same environment size.
    let env_off = host_bytes(xlate_command().env("XLATE_EXACT_FLAGS", "0"));
    let env_on = host_bytes(xlate_command().env("XLATE_EXACT_FLAGS", "1"));
    assert!(env_on > env_off, "{env_on} host bytes with XLATE_EXACT_FLAGS=1, {env_off} with 0");
}

/// A64 programs for the fault and address rules of issue 10: each writes what it reached
/// with `write` and exits, or dies by the signal its oracle shows.
const A64_MISALIGNED_BRANCH: &str = r#"
    .globl _start
    .text
_start:
    adr x0, target
    add x0, x0, #2
    br x0
    .balign 16
target:
    mov x0, #0
    mov x8, #93
    svc #0
"#;

#[test]
fn a64_branch_to_a_misaligned_address_dies_by_sigbus_like_qemu() {
    let exe =
        build_with("aarch64-linux-gnu-gcc", "a64_misaligned", "s", A64_MISALIGNED_BRANCH, &["-nostdlib"]);
    let want = aarch64_oracle(&exe);
    let got = translated(&[], &exe, &[]);
    assert_eq!(want.status.signal(), Some(libc::SIGBUS), "the oracle's PC alignment fault");
    assert_eq!(ending(got.status), ending(want.status), "xlate stderr:\n{}", text(&got.stderr));
    assert_eq!(xlate_stderr(&got), "", "a fault the guest ISA defines needs no message");
}

/// Loads and stores through pointers whose top byte holds a tag (0x5a): plain, pair,
/// register-offset, pre-index with write-back (the base keeps its tag), exclusive and LSE
/// forms. Prints the eight bytes it built and the tag left in the written-back base.
const A64_TAGGED_POINTERS: &str = r#"
    .globl _start
    .text
_start:
    adr x1, buf
    mov x9, #0x5a00000000000000
    orr x1, x1, x9              // tagged pointer to buf
    mov w2, #0x41
    strb w2, [x1]               // 'A'
    mov w2, #0x42
    mov x3, #1
    strb w2, [x1, x3]           // 'B'
    mov w2, #0x43
    mov w4, #0x44
    stp w2, w4, [x1, #4]        // 'C' at 4, 'D' at 8
    ldrb w5, [x1, #4]
    strb w5, [x1, #2]           // 'C'
    ldp w5, w6, [x1, #4]
    strb w6, [x1, #3]           // 'D'
    add x7, x1, #4
1:  ldxr w5, [x7]
    add w5, w5, #2              // 'E'
    stxr w8, w5, [x7]
    cbnz w8, 1b
    mov w5, #1
    ldaddb w5, w6, [x1]         // LSE: 'A' + 1
    mov w5, #0x46
    strb w5, [x1, #5]!          // pre-index with write-back: 'F' at 5
    mov w5, #0x0a
    strb w5, [x1, #2]           // newline at 7
    lsr x10, x1, #56            // the tag is still in the base
    adr x1, buf
    ldrb w5, [x1]
    sub w5, w5, #1              // undo the ldaddb
    strb w5, [x1]
    strb w10, [x1, #6]          // 0x5a 'Z'
    mov x0, #1
    mov x2, #8
    mov x8, #64
    svc #0
    mov x0, #0
    mov x8, #93
    svc #0
    .data
    .balign 16
buf: .skip 16
"#;

#[test]
fn a64_tagged_pointers_load_and_store_like_qemu() {
    let exe = build_with(
        "aarch64-linux-gnu-gcc",
        "a64_tbi",
        "s",
        A64_TAGGED_POINTERS,
        &["-nostdlib", "-march=armv8.1-a"],
    );
    let want = aarch64_oracle(&exe);
    let got = translated(&[], &exe, &[]);
    assert_eq!(text(&want.stdout), "ABCDEFZ\n", "the oracle ran the whole program");
    assert_eq!(text(&got.stdout), text(&want.stdout), "xlate stderr:\n{}", text(&got.stderr));
    assert_eq!(ending(got.status), ending(want.status));
}

/// Jumps to `target`, an address with no executable guest memory: SIGSEGV like the oracle,
/// plus xlate's one line naming the address.
fn jump_to_nowhere(exe: &Path, want: Output, target: u64) {
    let got = translated(&[], exe, &[]);
    assert_eq!(want.status.signal(), Some(libc::SIGSEGV));
    assert_eq!(ending(got.status), ending(want.status), "xlate stderr:\n{}", text(&got.stderr));
    let err = xlate_stderr(&got);
    assert_eq!(
        err,
        format!(
            "xlate: {target:#x}: the guest jumped to or ran into memory that is unmapped or not executable\n"
        )
    );
}

#[test]
fn jump_to_unmapped_or_data_memory_dies_by_sigsegv_with_one_line() {
    let x86 = |name: &str, how: &str| {
        let source = format!(".globl _start\n.text\n_start:\n{how}\n.data\n.globl data\ndata: .quad 0\n");
        build(name, "s", &source, &["-nostdlib", "-no-pie"])
    };
    let a64 = |name: &str, how: &str| {
        let source = format!(".globl _start\n.text\n_start:\n{how}\n.data\n.globl data\ndata: .quad 0\n");
        build_with("aarch64-linux-gnu-gcc", name, "s", &source, &["-nostdlib", "-no-pie"])
    };
    if x86_64_runs_natively() {
        let exe = x86("x86_jump_unmapped", "mov $0x100000000, %rax\njmp *%rax");
        jump_to_nowhere(&exe, native(&exe, &[]), 0x1_0000_0000);
        let exe = x86("x86_jump_data", "lea data(%rip), %rax\njmp *%rax");
        jump_to_nowhere(&exe, native(&exe, &[]), symbol(&exe, "data"));
    }
    let exe = a64("a64_jump_unmapped", "mov x0, #0x100000000\nbr x0");
    jump_to_nowhere(&exe, aarch64_oracle(&exe), 0x1_0000_0000);
    let exe = a64("a64_jump_data", "adrp x0, data\nadd x0, x0, :lo12:data\nbr x0");
    jump_to_nowhere(&exe, aarch64_oracle(&exe), symbol(&exe, "data"));
}

/// The address of the global symbol `name` in the ELF file `exe` (from `nm`).
fn symbol(exe: &Path, name: &str) -> u64 {
    let out = Command::new("nm").arg(exe).output().expect("nm runs");
    let listing = text(&out.stdout);
    let line = listing.lines().find(|l| l.ends_with(&format!(" {name}"))).expect("symbol in nm output");
    u64::from_str_radix(line.split_whitespace().next().unwrap(), 16).unwrap()
}

/// `cargo install --path .` gives a working xlate: installed into a directory of its own
/// (debug profile, offline: the dependencies are the ones this test build already fetched),
/// it reports its version and runs the committed guest programs as the xlate under test does.
/// Not under `XLATE_RUNNER`: cargo there builds for the machine, not for the build under test.
#[test]
fn cargo_install_gives_a_working_xlate() {
    if std::env::var_os("XLATE_RUNNER").is_some() {
        eprintln!("not run: under XLATE_RUNNER the installed xlate would not be the build under test");
        return;
    }
    let t = "cargo_install_gives_a_working_xlate";
    let Some(cargo) = support::tool(t, "cargo", "cargo (rustup)") else { return };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cargo-install");
    let status = Command::new(cargo)
        .args(["install", "--quiet", "--debug", "--locked", "--offline", "--force", "--path"])
        .arg(env!("CARGO_MANIFEST_DIR"))
        .arg("--root")
        .arg(dir.join("root"))
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo install --path . failed");
    let installed = dir.join("root/bin/xlate");
    let version = Command::new(&installed).arg("--version").output().expect("the installed xlate runs");
    assert_eq!(text(&version.stdout), text(&xlate(&["--version"]).stdout));
    let prebuilt = Path::new(env!("CARGO_MANIFEST_DIR")).join("guest-bins/prebuilt");
    for guest in ["aarch64-glibc/hello", "x86_64-glibc/hello", "x86_64-musl/hello"] {
        let program = prebuilt.join(guest);
        let got = Command::new(&installed).arg(&program).output().expect("the installed xlate runs");
        let want = xlate_command().arg(&program).output().expect("xlate runs");
        assert_eq!(
            (got.status.code(), text(&got.stdout)),
            (want.status.code(), text(&want.stdout)),
            "{guest}"
        );
        assert!(!got.stdout.is_empty(), "{guest} printed nothing");
    }
}
