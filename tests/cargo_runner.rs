//! xlate as cargo's runner for another architecture's test binaries, the way cross-arch CI
//! uses qemu-user: `CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER=xlate cargo test --target
//! aarch64-unknown-linux-gnu`. A small crate of our own (libtest's harness on threads, a
//! panicking test, files, the environment) is built by Debian's rustc (which has the aarch64
//! standard library) and its tests run under xlate, dynamically linked (the default sysroot)
//! and static (crt-static); the oracle is the same `cargo test` with qemu-aarch64-static as
//! the runner: the same tests must pass.
//!
//! x86-64 hosts only: on an AArch64 host the foreign target is x86-64, which this test does
//! not build yet (dynamically linked x86-64 guests run: tests/dynlink.rs).
#![cfg(target_arch = "x86_64")]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

const CARGO_TOML: &str = r#"[package]
name = "runner_probe"
version = "0.1.0"
edition = "2021"

[lib]
path = "lib.rs"
"#;

const LIB_RS: &str = r#"
pub fn add(a: u64, b: u64) -> u64 { a + b }

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn adds() { assert_eq!(add(2, 2), 4); }
    #[test]
    fn threads_join() {
        let handles: Vec<_> = (0..8).map(|i| std::thread::spawn(move || add(i, i))).collect();
        assert_eq!(handles.into_iter().map(|h| h.join().unwrap()).sum::<u64>(), 56);
    }
    #[test]
    #[should_panic(expected = "on purpose")]
    fn panics() { panic!("on purpose"); }
    #[test]
    fn reads_its_manifest() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
        assert!(text.contains("runner_probe"));
    }
    #[test]
    #[ignore]
    fn ignored() { unreachable!() }
}
"#;

/// `cargo test` of the probe crate for aarch64 with `runner`; returns its stdout.
fn cargo_test(dir: &Path, runner: &Path, static_crt: bool) -> String {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(dir)
        .args(["test", "--offline", "--quiet", "--target", "aarch64-unknown-linux-gnu"])
        .env("RUSTC", "/usr/bin/rustc")
        .env("RUSTDOC", "/usr/bin/rustdoc")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env("CARGO_TARGET_DIR", dir.join(if static_crt { "target-static" } else { "target-dynamic" }))
        .env("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER", "aarch64-linux-gnu-gcc")
        .env("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER", runner);
    if static_crt {
        cmd.env("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS", "-C target-feature=+crt-static");
    }
    let out = cmd.output().expect("cargo runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "cargo test with {}: {stdout}\n{}",
        runner.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The lines a run's outcome is made of: each test's result and the summary without its time.
fn outcome(stdout: &str) -> Vec<String> {
    let mut lines: Vec<String> = stdout
        .lines()
        .filter(|l| l.starts_with("test ") || l.starts_with("running "))
        .map(|l| l.split("; finished in").next().unwrap().to_string())
        .collect();
    lines.sort();
    lines
}

#[test]
fn cargo_test_runs_aarch64_test_binaries_through_xlate() {
    let t = "cargo_test_runs_aarch64_test_binaries_through_xlate";
    if std::env::var_os("XLATE_RUNNER").is_some() {
        // Under the AArch64 build of xlate, aarch64 binaries are the host's own.
        return eprintln!("{t}: skipped: the runner case is the x86-64 build's");
    }
    let (Some(qemu), Some(_)) = (
        support::tool(t, "qemu-aarch64-static", "qemu-user-static"),
        support::tool(t, "aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"),
    ) else {
        return;
    };
    let std_lib = "/usr/lib/rustlib/aarch64-unknown-linux-gnu/lib";
    if !Path::new(std_lib).is_dir() {
        return support::missing(t, std_lib, "libstd-rust-web-dev:arm64");
    }
    let dir: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cargo-runner");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("Cargo.toml"), CARGO_TOML).unwrap();
    std::fs::write(dir.join("lib.rs"), LIB_RS).unwrap();
    let xlate = PathBuf::from(env!("CARGO_BIN_EXE_xlate"));
    for static_crt in [false, true] {
        let got = cargo_test(&dir, &xlate, static_crt);
        let want = cargo_test(&dir, &qemu, static_crt);
        assert!(got.contains("test result: ok. 4 passed; 0 failed; 1 ignored"), "{got}");
        assert_eq!(outcome(&got), outcome(&want), "static: {static_crt}");
    }
}
