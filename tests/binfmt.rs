//! `xlate --binfmt`: registering xlate with binfmt_misc, then running a foreign program by
//! executing it directly, as a user (or docker with `--platform`) does. Tested in a private
//! user and mount namespace (`unshare --user --map-root-user --mount`): since Linux 6.7 each
//! user namespace has its own binfmt_misc, so the test changes nothing outside it. Where the
//! kernel cannot (older kernels, user namespaces disabled), the test says so and skips; where
//! a tool is missing it fails under CI.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

/// A foreign program of our own: prints its argv, one per line.
const ARGS_C: &str = r#"#include <stdio.h>
int main(int argc, char **argv) { for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]); return 3; }
"#;

fn build_foreign(dir: &Path) -> Option<PathBuf> {
    let cc = support::tool("binfmt", "aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu")?;
    let src = dir.join("args.c");
    let exe = dir.join("args-aarch64");
    std::fs::write(&src, ARGS_C).unwrap();
    let st = Command::new(cc).args(["-static", "-O2", "-o"]).arg(&exe).arg(&src).status().unwrap();
    assert!(st.success());
    Some(exe)
}

#[test]
fn registered_xlate_runs_foreign_programs_executed_directly() {
    if !cfg!(target_arch = "x86_64") || std::env::var_os("XLATE_RUNNER").is_some() {
        // The kernel would have to exec the AArch64 build of xlate itself, which only qemu can
        // run here.
        return eprintln!("skipped: the kernel cannot exec this build of xlate directly here");
    }
    let Some(unshare) = support::tool("binfmt", "unshare", "util-linux") else { return };
    let Some(perl) = support::tool("binfmt", "perl", "perl-base") else { return };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("binfmt");
    std::fs::create_dir_all(&dir).unwrap();
    let Some(exe) = build_foreign(&dir) else { return };
    let mnt = dir.join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    let xlate = env!("CARGO_BIN_EXE_xlate");
    // Can this kernel give a user namespace its own binfmt_misc?
    let probe = Command::new(&unshare)
        .args(["--user", "--map-root-user", "--mount", "sh", "-c"])
        .arg(format!("mount -t binfmt_misc binfmt_misc {}", mnt.display()))
        .output()
        .unwrap();
    if !probe.status.success() {
        return eprintln!(
            "skipped: this kernel cannot mount binfmt_misc in a user namespace (Linux 6.7+): {}",
            String::from_utf8_lossy(&probe.stderr).trim()
        );
    }
    let m = mnt.display();
    let e = exe.display();
    // In the namespace: install, show, run directly (with an argv[0] of its own, through
    // perl's exec), uninstall, run again.
    let script = format!(
        "set -e; mount -t binfmt_misc binfmt_misc {m}
         {xlate} --binfmt install --binfmt-dir {m}
         {xlate} --binfmt status --binfmt-dir {m}
         set +e
         {perl} -e 'exec {{\"{e}\"}} \"custom0\", \"one\", \"two words\"'; echo \"status $?\"
         {xlate} --binfmt uninstall --binfmt-dir {m}
         {e} 2>/dev/null; echo \"after uninstall $?\"
         {xlate} --binfmt status --binfmt-dir {m}",
        perl = perl.display()
    );
    let out = Command::new(&unshare)
        .args(["--user", "--map-root-user", "--mount", "sh", "-c", &script])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!("xlate-aarch64: registered ({})", std::fs::canonicalize(xlate).unwrap().display())
    );
    assert!(
        lines[1].starts_with("xlate-aarch64: enabled, interpreter ") && lines[1].ends_with("flags PF"),
        "{}",
        lines[1]
    );
    // The oracle: the same program and argv under qemu-aarch64-static.
    let Some(qemu) = support::tool("binfmt", "qemu-aarch64-static", "qemu-user-static") else { return };
    let want =
        Command::new(qemu).args(["-0", "custom0"]).arg(&exe).args(["one", "two words"]).output().unwrap();
    let want = format!("{}status {}", String::from_utf8_lossy(&want.stdout), want.status.code().unwrap());
    assert_eq!(lines[2..6].join("\n"), want.trim_end());
    assert_eq!(lines[6], "xlate-aarch64: removed");
    // ENOEXEC from the shell: 126.
    assert_eq!(lines[7], "after uninstall 126");
    assert_eq!(lines[8], "xlate-aarch64: not registered");
}

#[test]
fn binfmt_outside_binfmt_misc_is_one_line() {
    let mut cmd = match std::env::var("XLATE_RUNNER") {
        Ok(r) if !r.is_empty() => {
            let mut w = r.split_whitespace();
            let mut c = Command::new(w.next().unwrap());
            c.args(w).arg(env!("CARGO_BIN_EXE_xlate"));
            c
        }
        _ => Command::new(env!("CARGO_BIN_EXE_xlate")),
    };
    let out = cmd.args(["--binfmt", "status", "--binfmt-dir", "/tmp"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("xlate: /tmp is not a binfmt_misc file system"), "{err}");
    assert!(out.stdout.is_empty());
}
