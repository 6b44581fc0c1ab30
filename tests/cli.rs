//! The `xlate` command line, run as a user would: options, exit statuses, what goes to stdout
//! and stderr.

use std::process::{Command, Output};

fn xlate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xlate")).args(args).output().expect("xlate runs")
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
    assert_eq!(text(&out.stdout), format!("xlate {}\n", env!("CARGO_PKG_VERSION")));
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
    let dir = scratch();
    let src = dir.join(format!("{name}.{ext}"));
    let exe = dir.join(name);
    std::fs::write(&src, source).unwrap();
    let out = Command::new("gcc")
        .args(["-static", "-O2", "-o"])
        .arg(&exe)
        .arg(&src)
        .args(flags)
        .output()
        .expect("gcc runs");
    assert!(out.status.success(), "gcc failed for {name}:\n{}", text(&out.stderr));
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
    Command::new(env!("CARGO_BIN_EXE_xlate")).args(options).arg(exe).args(args).output().expect("xlate runs")
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
#[ignore = "needs the loader and the whole pipeline on main"]
fn program_without_libc_runs_translated() {
    let exe = build("no_libc_hello", "s", NO_LIBC_HELLO, &["-nostdlib"]);
    let out = same_as_native(&[], &exe, &[]);
    assert!(out.stderr.is_empty(), "stderr: {}", text(&out.stderr));
}

#[test]
#[ignore = "needs the loader and the whole pipeline on main"]
fn glibc_hello_gets_its_arguments_unchanged() {
    let exe = build("hello_args", "c", HELLO_ARGS, &[]);
    let args = ["--stats", "-x", "--", "two words", "--help"];
    let out = same_as_native(&[], &exe, &args);
    assert!(out.stderr.is_empty(), "stderr: {}", text(&out.stderr));
}

#[test]
#[ignore = "needs the loader and the whole pipeline on main"]
fn stats_go_to_stderr_and_show_translation() {
    let exe = build("hello_args", "c", HELLO_ARGS, &[]);
    let out = same_as_native(&["--stats"], &exe, &["a"]);
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
#[ignore = "needs the loader and the whole pipeline on main"]
fn divide_by_zero_dies_by_sigfpe_like_native() {
    let exe = build("divide", "c", DIVIDE, &[]);
    let out = same_as_native(&[], &exe, &[]);
    assert_eq!(out.status.signal(), Some(libc::SIGFPE));
}

#[test]
#[ignore = "needs the loader and the whole pipeline on main"]
fn missing_program_exits_127_with_one_line() {
    let out = xlate(&["/no/such/program"]);
    assert_eq!(out.status.code(), Some(127));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("xlate: /no/such/program: "), "{err}");
}

#[test]
#[ignore = "needs the loader and the whole pipeline on main"]
fn non_elf_file_exits_126_with_one_line() {
    let path = scratch().join("not-an-elf");
    std::fs::write(&path, "#!/bin/sh\necho hi\n").unwrap();
    let out = xlate(&[path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(126));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with(&format!("xlate: {}: ", path.display())), "{err}");
}
