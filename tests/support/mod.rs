//! What the integration tests share about the tools they need (qemu-aarch64-static, cross
//! compilers, strace, the AArch64 sysroot's headers).
//!
//! A missing tool never turns a test into a silent pass. Under CI (`CI=true`, which
//! `.ci/test` sets after installing everything) it fails the test with a message naming the
//! tool and the Debian package that provides it; elsewhere the test is skipped, and says so on
//! stderr.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Whether this run is CI's (or `.ci/test`'s): `CI` set to `true` or `1`.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A test cannot run because `what` is missing (installed by `package`): fails under CI,
/// otherwise prints a note on stderr. The caller returns after this.
pub fn missing(test: &str, what: &str, package: &str) {
    let msg =
        format!("{test}: {what} is missing (Debian package {package}; `bash .ci/install-deps` installs it)");
    if under_ci() {
        panic!("{msg}: a test whose tool is missing fails under CI=true");
    }
    // Straight to the stderr file descriptor: libtest captures eprintln! of passing tests, and
    // a skip must be seen.
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "note: skipped: {msg}");
}

/// The full path of the command `name` on PATH, if any.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The command `name` if it is installed; otherwise [`missing`] and `None`.
pub fn tool(test: &str, name: &str, package: &str) -> Option<PathBuf> {
    let found = which(name);
    if found.is_none() {
        missing(test, name, package);
    }
    found
}

/// The text of the file `path` if it is readable; otherwise [`missing`] and `None`.
pub fn file(test: &str, path: &str, package: &str) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(s) => Some(s),
        Err(e) => {
            missing(test, &format!("{path} ({e})"), package);
            None
        }
    }
}

/// The `xlate` under test, started through `XLATE_RUNNER` when that is set (a command and its
/// arguments, e.g. `qemu-aarch64-static` for the AArch64 build of xlate on an x86-64 machine).
#[allow(dead_code)] // Not every test file starts xlate.
pub fn xlate_command() -> std::process::Command {
    use std::process::Command;
    let runner = std::env::var("XLATE_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    match words.next() {
        Some(program) => {
            let mut c = Command::new(program);
            c.args(words).arg(env!("CARGO_BIN_EXE_xlate"));
            c
        }
        None => Command::new(env!("CARGO_BIN_EXE_xlate")),
    }
}

/// `attempt` (an exec of a file this test process has just written) tried again while it
/// fails with ETXTBSY, for up to a second.
///
/// Writing a file opens it for writing; if another test thread forks at that moment, its child
/// holds that descriptor until it execs, and meanwhile the kernel refuses to execute the file.
/// That is the test harness's race, not the file's verdict.
pub fn retry_while_text_busy<T>(mut attempt: impl FnMut() -> std::io::Result<T>) -> std::io::Result<T> {
    for _ in 0..100 {
        match attempt() {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            done => return done,
        }
    }
    attempt()
}
