//! AArch64 guests where the usual oracle, qemu-aarch64-static, is not Linux.
//!
//! guest-bins runs every program for every target against its oracle, but qemu-user differs
//! from the kernel in a few places that xlate gets right, so those AArch64 pairs stay pending
//! there, and their recordings in guest-bins/expected/aarch64-glibc/ show qemu's behaviour:
//!
//! * `vfork.c`: qemu runs vfork as a fork (the parent does not wait and the child's writes are
//!   lost, so posix_spawn cannot report a failed exec);
//! * `robust.c`: qemu refuses set_robust_list, so a robust mutex whose owner died (its thread,
//!   or its process by exit_group, by a signal, or a thread by another's execve) is never
//!   marked EOWNERDEAD (the program's bounded lock times out).
//! * `sighandler.c` (`autodisarm`): qemu refuses sigaltstack's SS_AUTODISARM flag (EINVAL).
//! * `sigexit.c` (`segv-racing`): qemu loses a SIGSEGV or SIGBUS sent with kill() while a
//!   thread ends.
//! * `clone3.c`: qemu refuses clone3 (ENOSYS), so its recording shows none of the kernel's
//!   argument checks, and glibc's pthread_create falls back to clone there.
//!
//! These programs print nothing that depends on the ISA, so the native x86-64 run of the same
//! source, which is Linux's behaviour, is the oracle here.
//!
//! x86-64 hosts only: the AArch64 build of xlate is tested under qemu-user, which turns xlate's
//! own host vfork into a fork.
#![cfg(target_arch = "x86_64")]

mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};

fn guest_bins() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("guest-bins")
}

fn check(program: &str, case: &str, args: &[&str]) {
    let test = format!("qemu_differs::{case}");
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
        .arg(guest_bins().join("build/aarch64-glibc").join(program))
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
    check("vfork", "vfork", &[]);
}

#[test]
fn aarch64_guest_vfork_with_threads_matches_linux() {
    check("vfork", "vfork-threaded", &["threaded"]);
}

#[test]
fn aarch64_guest_robust_mutex_matches_linux() {
    check("robust", "robust", &[]);
}

#[test]
fn aarch64_guest_robust_mutex_with_a_waiter_matches_linux() {
    check("robust", "robust-waiting", &["waiting"]);
}

#[test]
fn aarch64_guest_robust_mutex_of_an_exit_group_matches_linux() {
    check("robust", "robust-exit-group", &["exit-group"]);
}

#[test]
fn aarch64_guest_robust_mutex_of_a_process_killed_by_sigkill_matches_linux() {
    check("robust", "robust-kill", &["kill"]);
}

#[test]
fn aarch64_guest_robust_mutex_of_a_process_killed_by_a_fault_matches_linux() {
    check("robust", "robust-segv", &["segv"]);
}

#[test]
fn aarch64_guest_robust_mutex_of_a_thread_ended_by_execve_matches_linux() {
    check("robust", "robust-exec", &["exec"]);
}

#[test]
fn aarch64_guest_clone3_matches_linux() {
    check("clone3", "clone3", &[]);
}

#[test]
fn aarch64_guest_altstack_autodisarm_matches_linux() {
    check("sighandler", "sighandler-autodisarm", &["autodisarm"]);
}

/// `sigexit.c` (`segv-racing`): qemu-user loses every SIGSEGV and SIGBUS sent with kill()
/// while a thread that unblocked them ends (300 of 300; Linux hands them to the process).
/// Repeated 5 times (the program itself runs 300 rounds).
#[test]
fn aarch64_guest_segv_sent_while_a_thread_exits_matches_linux() {
    for _ in 0..5 {
        check("sigexit", "sigexit-segv-racing", &["segv-racing"]);
    }
}
