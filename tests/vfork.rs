//! vfork of an AArch64 guest, against Linux's own behaviour.
//!
//! guest-bins runs `vfork.c` for every target against its oracle, but the AArch64 oracle,
//! qemu-aarch64-static, runs vfork as a fork (the parent does not wait and the child's writes
//! are lost: its recording in guest-bins/expected/aarch64-glibc/vfork.stdout says so), so
//! those pairs stay pending there. The program prints nothing that depends on the ISA, so the
//! native x86-64 run of the same source, which is Linux's behaviour, is the oracle here.
//!
//! x86-64 hosts only: the AArch64 build of xlate is tested under qemu-user, which turns xlate's
//! own host vfork into a fork in the same way.
#![cfg(target_arch = "x86_64")]

mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};

fn guest_bins() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("guest-bins")
}

fn check(case: &str, args: &[&str]) {
    let test = format!("vfork::{case}");
    if support::tool(&test, "aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu").is_none() {
        return;
    }
    let built = Command::new("bash")
        .arg(guest_bins().join("build.sh"))
        .arg("aarch64-glibc")
        .stdin(Stdio::null())
        .output()
        .expect("run guest-bins/build.sh");
    assert!(built.status.success(), "build.sh failed: {}", String::from_utf8_lossy(&built.stderr));
    let expected = std::fs::read(guest_bins().join(format!("expected/x86_64-glibc/{case}.stdout")))
        .expect("the native x86-64 recording");
    let out = support::xlate_command()
        .arg(guest_bins().join("build/aarch64-glibc/vfork"))
        .args(args)
        .env_clear()
        .stdin(Stdio::null())
        .output()
        .expect("run xlate");
    assert!(out.status.success(), "{case}: {:?}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&expected),
        "{case}: the AArch64 guest's output differs from the native x86-64 run"
    );
}

#[test]
fn aarch64_guest_vfork_matches_linux() {
    check("vfork", &[]);
}

#[test]
fn aarch64_guest_vfork_with_threads_matches_linux() {
    check("vfork-threaded", &["threaded"]);
}
