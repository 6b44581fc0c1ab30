//! Real crates' own test suites, built by Debian's rustc for a guest target and run under
//! xlate, compared with the same test binaries run by the oracle (qemu-aarch64-static for
//! aarch64 binaries, native execution for x86-64 binaries): each test must have the same
//! outcome. This is what a cross-architecture CI job does with xlate as its cargo runner, on
//! code nobody here wrote (SIMD string search, a regex parser, a JSON library, a deflate
//! implementation, integer formatting).
//!
//! The crates are pinned in tests/data/real_crates (its Cargo.lock); `cargo fetch` downloads
//! their sources, each is copied out of cargo's registry and built with its own Cargo.lock
//! and dev-dependencies, in release mode, statically linked (no sysroot needed).
//!
//! Which guests run depends on the build of xlate under test:
//! - x86-64 build: aarch64 test binaries (oracle qemu) and x86-64 ones (the same-ISA path,
//!   oracle native);
//! - AArch64 build (run here under `XLATE_RUNNER=qemu-aarch64-static`): x86-64 test binaries,
//!   the mirror of cargo's runner on an ARM machine, oracle native execution of the same
//!   binaries on this x86-64 machine.
//!
//! A test binary whose outcome is known to differ is listed in [`PENDING`] with the reason;
//! it is still run, and the test says when it now agrees (then take it off the list).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

/// Test binaries (crate, binary name without cargo's hash, guest target) whose outcome under
/// xlate is known to differ from the oracle's, and why.
const PENDING: &[(&str, &str, &str, &str)] = &[];

/// The crates (name and version, as pinned in tests/data/real_crates) and whether each runs
/// for x86-64 guests on the AArch64 build (double emulation here: the heavy suites are left
/// to the x86-64 build).
const CRATES: &[(&str, &str, bool)] = &[
    ("itoa", "1.0.18", true),
    ("memchr", "2.8.3", false),
    ("miniz_oxide", "0.8.9", true),
    ("regex-syntax", "0.8.12", false),
    ("serde_json", "1.0.151", true),
];

/// How long one test binary may run under xlate or its oracle.
const TIMEOUT: Duration = Duration::from_secs(600);

struct Guest {
    /// Rust's target triple.
    triple: &'static str,
    /// The short name used in [`PENDING`].
    name: &'static str,
}

const AARCH64: Guest = Guest { triple: "aarch64-unknown-linux-gnu", name: "aarch64" };
const X86_64: Guest = Guest { triple: "x86_64-unknown-linux-gnu", name: "x86_64" };

fn cargo() -> Command {
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.env("RUSTC", "/usr/bin/rustc")
        .env("RUSTDOC", "/usr/bin/rustdoc")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET");
    c
}

fn run_ok(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The source directories of the pinned crates, from `cargo metadata` after `cargo fetch`.
fn crate_sources(pins: &Path) -> Vec<(String, PathBuf)> {
    let manifest = pins.join("Cargo.toml");
    run_ok(cargo().arg("fetch").arg("--manifest-path").arg(&manifest), "cargo fetch of the pinned crates");
    let meta = run_ok(
        cargo().args(["metadata", "--format-version", "1", "--manifest-path"]).arg(&manifest),
        "cargo metadata",
    );
    CRATES
        .iter()
        .map(|(name, version, _)| {
            // A package entry (a dependency entry has no "version" right after its name).
            let key = format!("\"name\":\"{name}\",\"version\":\"{version}\",\"id\"");
            let at = meta.find(&key).unwrap_or_else(|| panic!("{name} {version} in cargo metadata"));
            let rest = &meta[at..];
            let mp = rest.find("\"manifest_path\":\"").expect("manifest_path") + "\"manifest_path\":\"".len();
            let dir =
                Path::new(&rest[mp..mp + rest[mp..].find('"').unwrap()]).parent().unwrap().to_path_buf();
            assert!(dir.ends_with(format!("{name}-{version}")), "{name}: source in {}", dir.display());
            (name.to_string(), dir)
        })
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dst = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dst);
        } else {
            std::fs::copy(entry.path(), &dst).unwrap();
        }
    }
}

/// Builds the crate's tests for `guest` and returns the test executables (name, path).
fn build_tests(src: &Path, target_dir: &Path, guest: &Guest) -> Vec<(String, PathBuf)> {
    let mut cmd = cargo();
    cmd.current_dir(src)
        .args(["test", "--release", "--no-run", "--message-format=json", "--target", guest.triple])
        .env("CARGO_TARGET_DIR", target_dir)
        .env("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER", "aarch64-linux-gnu-gcc")
        .env("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS", "-C target-feature=+crt-static")
        .env("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS", "-C target-feature=+crt-static");
    let json = run_ok(&mut cmd, &format!("cargo test --no-run in {}", src.display()));
    let mut exes = Vec::new();
    for line in json.lines() {
        if !line.contains("\"reason\":\"compiler-artifact\"") || !line.contains("\"test\":true") {
            continue;
        }
        let Some(at) = line.find("\"executable\":\"") else { continue };
        let rest = &line[at + "\"executable\":\"".len()..];
        let path = PathBuf::from(&rest[..rest.find('"').unwrap()]);
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let name = file.rsplit_once('-').map_or(file.clone(), |(n, _)| n.to_string());
        exes.push((name, path));
    }
    assert!(!exes.is_empty(), "no test executables in {}", src.display());
    exes
}

/// Runs `cmd` with a time limit; kills it past [`TIMEOUT`].
fn run_limited(cmd: &mut Command) -> Output {
    use std::io::Read;
    use std::process::Stdio;
    let mut child =
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            break child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output { status, stdout: out.join().unwrap(), stderr: err.join().unwrap() }
}

/// What a test run is made of: each test's result, sorted, and the summary without its time.
fn outcome(stdout: &str) -> Vec<String> {
    let mut lines: Vec<String> = stdout
        .lines()
        .filter(|l| {
            (l.starts_with("test ") && !l.contains("has been running for")) || l.starts_with("running ")
        })
        .map(|l| l.split("; finished in").next().unwrap().to_string())
        .collect();
    lines.sort();
    lines
}

fn describe(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = err.lines().rev().take(5).collect();
    format!("{} (stderr ends: {})", out.status, tail.into_iter().rev().collect::<Vec<_>>().join(" | "))
}

/// Runs every test binary of every crate for `guest`; returns the disagreements that are not
/// pending, and prints a summary.
fn check_guest(t: &str, guest: &Guest, oracle: Option<&Path>, mirror: bool) -> Vec<String> {
    let pins = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/real_crates");
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("real-crates");
    let mut failures = Vec::new();
    for ((name, src), (_, _, in_mirror)) in crate_sources(&pins).into_iter().zip(CRATES) {
        if mirror && !in_mirror {
            note(format_args!(
                "{t}: {name}: not run for x86-64 guests on the AArch64 build (its suite is too slow under double emulation)"
            ));
            continue;
        }
        let copy = work.join("src").join(src.file_name().unwrap());
        let _ = std::fs::remove_dir_all(&copy);
        copy_dir(&src, &copy);
        for (bin, exe) in build_tests(&copy, &work.join(format!("target-{}", guest.name)), guest) {
            let oracle_cmd = || {
                let mut c = match oracle {
                    Some(q) => {
                        let mut c = Command::new(q);
                        c.arg(&exe);
                        c
                    }
                    None => Command::new(&exe),
                };
                c.current_dir(&copy);
                c
            };
            let want = run_limited(&mut oracle_cmd());
            let mut x = support::xlate_command();
            x.arg(&exe).current_dir(&copy);
            let got = run_limited(&mut x);
            let (w, g) = (String::from_utf8_lossy(&want.stdout), String::from_utf8_lossy(&got.stdout));
            let passed = |s: &str| {
                s.lines()
                    .filter(|l| l.starts_with("test result:"))
                    .map(|l| l.split("; finished in").next().unwrap().to_string())
                    .collect::<Vec<_>>()
            };
            let agree = outcome(&w) == outcome(&g) && want.status.code() == got.status.code();
            let pending = PENDING.iter().find(|p| p.0 == name && p.1 == bin && p.2 == guest.name);
            note(format_args!(
                "{t}: {name} {bin} ({}): {} oracle {:?}, xlate {:?}{}",
                guest.name,
                if agree { "agrees" } else { "DIFFERS" },
                passed(&w),
                passed(&g),
                match pending {
                    Some(p) if agree => format!(" (listed as pending: {}; it agrees now, take it off)", p.3),
                    Some(p) => format!(" (pending: {})", p.3),
                    None => String::new(),
                }
            ));
            assert!(want.status.success(), "{name} {bin}: the oracle's run failed: {}", describe(&want));
            if !agree && pending.is_none() {
                failures.push(format!(
                    "{name} {bin} ({}): oracle {}, xlate {}",
                    guest.name,
                    describe(&want),
                    describe(&got)
                ));
            }
        }
    }
    failures
}

/// A line on the stderr file descriptor itself: libtest captures `eprintln!` of a passing
/// test, and these lines are the test's report.
fn note(line: std::fmt::Arguments) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn have_std(t: &str, guest: &Guest) -> bool {
    let dir = format!("/usr/lib/rustlib/{}/lib", guest.triple);
    let ok = Path::new(&dir).is_dir();
    if !ok {
        support::missing(t, &dir, "libstd-rust-dev (and :arm64 for aarch64)");
    }
    ok
}

#[test]
fn real_crates_test_suites_agree_with_the_oracle() {
    let t = "real_crates_test_suites_agree_with_the_oracle";
    let mut failures = Vec::new();
    let aarch64_build = std::env::var_os("XLATE_RUNNER").is_some() || cfg!(target_arch = "aarch64");
    if !aarch64_build {
        let (Some(qemu), Some(_)) = (
            support::tool(t, "qemu-aarch64-static", "qemu-user-static"),
            support::tool(t, "aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"),
        ) else {
            return;
        };
        if !have_std(t, &AARCH64) {
            return;
        }
        failures.extend(check_guest(t, &AARCH64, Some(&qemu), false));
    }
    // x86-64 test binaries run natively here only on an x86-64 machine (the AArch64 build is
    // tested on one, under qemu).
    if !cfg!(target_arch = "x86_64") && std::env::var_os("XLATE_RUNNER").is_none() {
        return note(format_args!("{t}: x86-64 guests: skipped, no native oracle on this machine"));
    }
    if !have_std(t, &X86_64) {
        return;
    }
    failures.extend(check_guest(t, &X86_64, None, aarch64_build));
    assert!(failures.is_empty(), "outcomes differ:\n{}", failures.join("\n"));
}
