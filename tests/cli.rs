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
