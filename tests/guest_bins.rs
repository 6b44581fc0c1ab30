//! Runs the project's own guest programs (guest-bins/) under xlate and compares each run's
//! stdout (byte for byte) and exit status or fatal signal with the oracle's: the recorded
//! expectation in guest-bins/expected/ (written by `guest-bins/bless.sh` from oracle runs) and,
//! where the oracle can run here, a live oracle run (native execution for a guest of the
//! host's ISA, qemu-aarch64-static for an AArch64 guest on an x86-64 host).
//!
//! The cases are data: guest-bins/cases.txt. Which (case, configuration) pairs are expected to
//! pass under xlate is guest-bins/status.txt; a pair not listed there as `pass` is pending: it
//! still runs and is reported, but does not fail the test, and a pending pair that passes is
//! reported so that someone flips it to `pass`. A configuration is `<target>@<host ISA>`, e.g.
//! `x86_64-glibc@x86_64` (the same-ISA test bench) or `x86_64-musl@aarch64` (the AArch64 build
//! of xlate, run here under qemu-aarch64-static via the `XLATE_RUNNER` environment variable).
//!
//! Reports are also written to `$CARGO_TARGET_TMPDIR/guest-bins-<config>.txt`; the test script
//! (.ci/test) prints their summary lines.

mod support;

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Targets, ISAs and outcomes

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Isa {
    X86_64,
    Aarch64,
}

impl Isa {
    fn name(self) -> &'static str {
        match self {
            Isa::X86_64 => "x86_64",
            Isa::Aarch64 => "aarch64",
        }
    }

    fn parse(s: &str) -> Option<Isa> {
        match s {
            "x86_64" => Some(Isa::X86_64),
            "aarch64" => Some(Isa::Aarch64),
            _ => None,
        }
    }

    /// The ISA this test binary (and so the xlate under test) was built for.
    fn host() -> Isa {
        if cfg!(target_arch = "aarch64") {
            Isa::Aarch64
        } else {
            Isa::X86_64
        }
    }
}

/// A guest build flavour: a directory under guest-bins/build/ and guest-bins/expected/.
#[derive(Clone, Copy, Debug)]
struct Target {
    name: &'static str,
    isa: Isa,
}

const TARGETS: &[Target] = &[
    Target { name: "x86_64-glibc", isa: Isa::X86_64 },
    Target { name: "x86_64-musl", isa: Isa::X86_64 },
    Target { name: "aarch64-glibc", isa: Isa::Aarch64 },
];

fn target(name: &str) -> Target {
    *TARGETS.iter().find(|t| t.name == name).expect("known target")
}

/// Whether this target's guests are available here: guest-bins/build.sh cannot build the
/// x86-64 musl ones on an AArch64 machine (see the script's header). Under `XLATE_RUNNER` the
/// machine is really x86-64 and the binaries exist, so the check is on the files.
fn available_here(t: Target) -> bool {
    !(t.name == "x86_64-musl" && Isa::host() == Isa::Aarch64) || binary(t, "hello").exists()
}

/// How a process ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Status {
    Exit(i32),
    Signal(i32),
}

const SIGNALS: &[(&str, i32)] = &[
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("ILL", 4),
    ("TRAP", 5),
    ("ABRT", 6),
    ("BUS", 7),
    ("FPE", 8),
    ("KILL", 9),
    ("USR1", 10),
    ("SEGV", 11),
    ("PIPE", 13),
    ("ALRM", 14),
    ("TERM", 15),
    ("SYS", 31),
];

fn signal_name(n: i32) -> &'static str {
    SIGNALS.iter().find(|s| s.1 == n).map(|s| s.0).unwrap_or("?")
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Status::Exit(c) => write!(f, "exit {c}"),
            Status::Signal(s) => write!(f, "signal {s} (SIG{})", signal_name(*s)),
        }
    }
}

impl Status {
    /// The form stored in `<case>.status` files: `exit N` or `signal N`.
    fn record(&self) -> String {
        match self {
            Status::Exit(c) => format!("exit {c}\n"),
            Status::Signal(s) => format!("signal {s}\n"),
        }
    }

    fn parse_record(s: &str) -> Option<Status> {
        let mut w = s.split_whitespace();
        let kind = w.next()?;
        let n: i32 = w.next()?.parse().ok()?;
        match kind {
            "exit" => Some(Status::Exit(n)),
            "signal" => Some(Status::Signal(n)),
            _ => None,
        }
    }

    /// The cases file's intent form: `exit:N` or `signal:NAME`.
    fn parse_intent(s: &str) -> Option<Status> {
        let (kind, v) = s.split_once(':')?;
        match kind {
            "exit" => v.parse().ok().map(Status::Exit),
            "signal" => SIGNALS.iter().find(|x| x.0 == v).map(|x| Status::Signal(x.1)),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The cases and status files

#[derive(Clone, Debug)]
struct Case {
    id: String,
    program: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    /// Per guest ISA (None: every ISA), what the oracle run must show.
    intent: Vec<(Option<Isa>, Status)>,
    /// The intent word `stderr`: the guest's stderr is recorded and compared too (for
    /// messages that are part of the behaviour, like std::terminate's).
    stderr: bool,
    /// Guest ISAs for which the case does not exist (intent `ISA=none`): no oracle can run
    /// it here (qemu-user does not follow an execve into another guest program without
    /// binfmt_misc).
    absent: Vec<Isa>,
}

impl Case {
    fn intent_for(&self, isa: Isa) -> Option<Status> {
        self.intent
            .iter()
            .find(|(i, _)| *i == Some(isa))
            .or_else(|| self.intent.iter().find(|(i, _)| i.is_none()))
            .map(|(_, s)| *s)
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn guest_bins() -> PathBuf {
    root().join("guest-bins")
}

/// Splits on whitespace; "double quotes" group (and may be empty); no escapes.
fn split_words(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut in_quotes = false;
    for c in s.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                in_word = true;
            }
            c if c.is_whitespace() && !in_quotes => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_quotes {
        return Err(format!("unterminated quote in {s:?}"));
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

fn parse_cases(text: &str) -> Result<Vec<Case>, String> {
    let mut cases = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let where_ = format!("cases.txt line {}", n + 1);
        let cols: Vec<&str> = line.split('|').map(str::trim).collect();
        if cols.len() != 5 {
            return Err(format!("{where_}: expected 5 '|'-separated columns, got {}", cols.len()));
        }
        let words = |s: &str| -> Result<Vec<String>, String> {
            if s == "-" {
                Ok(Vec::new())
            } else {
                split_words(s).map_err(|e| format!("{where_}: {e}"))
            }
        };
        let args = words(cols[2])?;
        let mut env = Vec::new();
        for w in words(cols[3])? {
            let (k, v) = w.split_once('=').ok_or_else(|| format!("{where_}: env {w:?} lacks '='"))?;
            env.push((k.to_string(), v.to_string()));
        }
        let mut intent = Vec::new();
        let mut stderr = false;
        let mut absent = Vec::new();
        for w in cols[4].split_whitespace() {
            if w == "stderr" {
                stderr = true;
                continue;
            }
            if let Some(isa) = w.strip_suffix("=none") {
                absent.push(Isa::parse(isa).ok_or_else(|| format!("{where_}: ISA {isa:?}"))?);
                continue;
            }
            let (isa, st) = match w.split_once('=') {
                Some((isa, st)) => {
                    (Some(Isa::parse(isa).ok_or_else(|| format!("{where_}: ISA {isa:?}"))?), st)
                }
                None => (None, w),
            };
            let st = Status::parse_intent(st).ok_or_else(|| format!("{where_}: intent {w:?}"))?;
            intent.push((isa, st));
        }
        cases.push(Case {
            id: cols[0].to_string(),
            program: cols[1].to_string(),
            args,
            env,
            intent,
            stderr,
            absent,
        });
    }
    Ok(cases)
}

fn cases() -> &'static [Case] {
    static CASES: OnceLock<Vec<Case>> = OnceLock::new();
    CASES.get_or_init(|| {
        let text = std::fs::read_to_string(guest_bins().join("cases.txt")).expect("read cases.txt");
        parse_cases(&text).unwrap_or_else(|e| panic!("{e}"))
    })
}

/// What status.txt says about one (case, configuration) pair.
#[derive(Clone, Debug, PartialEq)]
enum Expectation {
    Pass,
    Pending(String),
}

/// status.txt: `<case> <config> pass` or `<case> <config> pending: <reason>` per line.
fn parse_status(text: &str) -> Result<HashMap<(String, String), Expectation>, String> {
    let mut map = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut it = line.split_whitespace();
        let (case, config) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
        let rest = it.collect::<Vec<_>>().join(" ");
        let e = if rest == "pass" {
            Expectation::Pass
        } else if let Some(reason) = rest.strip_prefix("pending:") {
            Expectation::Pending(reason.trim().to_string())
        } else {
            return Err(format!("status.txt line {}: expected 'pass' or 'pending: <reason>'", n + 1));
        };
        if map.insert((case.to_string(), config.to_string()), e).is_some() {
            return Err(format!("status.txt line {}: duplicate {case} {config}", n + 1));
        }
    }
    Ok(map)
}

fn status_map() -> &'static HashMap<(String, String), Expectation> {
    static MAP: OnceLock<HashMap<(String, String), Expectation>> = OnceLock::new();
    MAP.get_or_init(|| {
        let text = std::fs::read_to_string(guest_bins().join("status.txt")).expect("read status.txt");
        parse_status(&text).unwrap_or_else(|e| panic!("{e}"))
    })
}

fn expectation(case: &str, config: &str) -> Expectation {
    status_map()
        .get(&(case.to_string(), config.to_string()))
        .cloned()
        .unwrap_or_else(|| Expectation::Pending("not yet passing".into()))
}

// ---------------------------------------------------------------------------------------------
// Building and running

/// Runs guest-bins/build.sh once per test process (the script itself takes a lock, so several
/// test processes may call it at once).
fn build() {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let r = BUILT.get_or_init(|| {
        let out = Command::new("bash")
            .arg(guest_bins().join("build.sh"))
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run build.sh: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "guest-bins/build.sh failed ({}):\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    });
    // A partial build still lets the other targets run; a missing binary is reported per case.
    if let Err(e) = r {
        eprintln!("{e}");
    }
}

/// The source file of a program: `src/<program>.c`, `.cc` (C++), `.rs` (Rust) or `.go` (Go).
fn source(program: &str) -> Option<PathBuf> {
    ["c", "cc", "rs", "go"]
        .iter()
        .map(|ext| guest_bins().join("src").join(format!("{program}.{ext}")))
        .find(|p| p.exists())
}

/// Whether build.sh builds `program` for target `t`: C programs for every target, C++, Rust
/// and Go programs for the glibc targets only (see the script's header).
fn built_for(t: Target, program: &str) -> bool {
    let is_c = source(program).is_some_and(|p| p.extension().is_some_and(|e| e == "c"));
    is_c || t.name.ends_with("-glibc")
}

/// Whether case `c` exists for target `t`: its program is built for it, and the case is not
/// `ISA=none` for the target's ISA.
fn exists_for(t: Target, c: &Case) -> bool {
    built_for(t, &c.program) && !c.absent.contains(&t.isa)
}

fn binary(t: Target, program: &str) -> PathBuf {
    guest_bins().join("build").join(t.name).join(program)
}

struct Run {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// None: it did not finish (timeout or spawn error; see `problem`).
    status: Option<Status>,
    problem: Option<String>,
}

fn which(cmd: &str) -> Option<PathBuf> {
    if cmd.contains('/') {
        return Some(PathBuf::from(cmd));
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(cmd)).find(|p| p.is_file())
}

fn timeout() -> Duration {
    let default = if runner().is_empty() { 30 } else { 180 };
    let secs = std::env::var("XLATE_TEST_TIMEOUT").ok().and_then(|s| s.parse().ok()).unwrap_or(default);
    Duration::from_secs(secs)
}

/// Runs `prefix... program args...` with only the case's environment, stdin from /dev/null,
/// no core dumps, in the crate root, killed after `limit`.
fn run(prefix: &[PathBuf], program: &Path, case: &Case, limit: Duration) -> Run {
    let mut argv: Vec<&std::ffi::OsStr> = prefix.iter().map(|p| p.as_os_str()).collect();
    argv.push(program.as_os_str());
    let mut cmd = Command::new(argv[0]);
    cmd.args(&argv[1..])
        .args(&case.args)
        .env_clear()
        .envs(case.env.iter().map(|(k, v)| (k, v)))
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe and touches no memory of the parent; this runs in
    // the forked child before exec. Core dumps of the SIGSEGV/SIGFPE cases would only litter.
    unsafe {
        cmd.pre_exec(|| {
            let zero = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
            libc::setrlimit(libc::RLIMIT_CORE, &zero);
            Ok(())
        });
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Run {
                stdout: Vec::new(),
                stderr: Vec::new(),
                status: None,
                problem: Some(format!("cannot start {}: {e}", argv[0].to_string_lossy())),
            }
        }
    };
    let mut out_pipe = child.stdout.take().expect("stdout piped");
    let mut err_pipe = child.stderr.take().expect("stderr piped");
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out_pipe.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err_pipe.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let mut problem = None;
    let exit = loop {
        match child.try_wait() {
            Ok(Some(st)) => break Some(st),
            Ok(None) if start.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                problem = Some(format!("timed out after {} s", limit.as_secs()));
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => {
                problem = Some(format!("wait failed: {e}"));
                break None;
            }
        }
    };
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    let status = exit.map(|st| match st.signal() {
        Some(sig) => Status::Signal(sig),
        None => Status::Exit(st.code().unwrap_or(-1)),
    });
    Run { stdout, stderr, status, problem }
}

/// The command prefix that runs a guest of `isa` the trusted way here, if there is one:
/// natively for the host's own ISA, qemu-aarch64-static for an AArch64 guest elsewhere.
fn oracle_prefix(isa: Isa) -> Option<Vec<PathBuf>> {
    let qemu =
        || support::tool("guest_bins oracle", "qemu-aarch64-static", "qemu-user-static").map(|q| vec![q]);
    match (isa, Isa::host()) {
        // Under XLATE_RUNNER this test binary is itself emulated and cannot exec AArch64
        // binaries directly (no binfmt_misc): ask qemu.
        (Isa::Aarch64, Isa::Aarch64) if !runner().is_empty() => qemu(),
        (g, h) if g == h => Some(Vec::new()),
        (Isa::Aarch64, Isa::X86_64) => qemu(),
        _ => None,
    }
}

/// `XLATE_RUNNER`: a command (with arguments) that prefixes every xlate invocation, e.g.
/// `qemu-aarch64-static` when xlate is the AArch64 build run on an x86-64 machine.
fn runner() -> Vec<PathBuf> {
    std::env::var("XLATE_RUNNER")
        .ok()
        .map(|r| {
            r.split_whitespace()
                .enumerate()
                .map(|(i, w)| if i == 0 { which(w).unwrap_or_else(|| w.into()) } else { w.into() })
                .collect()
        })
        .unwrap_or_default()
}

fn xlate_prefix() -> Vec<PathBuf> {
    let mut p = runner();
    p.push(PathBuf::from(env!("CARGO_BIN_EXE_xlate")));
    p
}

// ---------------------------------------------------------------------------------------------
// Expectations and comparison

struct Recorded {
    stdout: Vec<u8>,
    status: Status,
    /// The guest's stderr, for the cases that record it (`<id>.stderr`).
    stderr: Option<Vec<u8>>,
}

fn expected_dir(t: Target) -> PathBuf {
    guest_bins().join("expected").join(t.name)
}

fn recorded(t: Target, id: &str) -> Result<Recorded, String> {
    let dir = expected_dir(t);
    let stdout = std::fs::read(dir.join(format!("{id}.stdout")))
        .map_err(|e| format!("no recorded stdout for {id} ({}): {e}; run guest-bins/bless.sh", t.name))?;
    let st = std::fs::read_to_string(dir.join(format!("{id}.status")))
        .map_err(|e| format!("no recorded status for {id} ({}): {e}; run guest-bins/bless.sh", t.name))?;
    let status =
        Status::parse_record(&st).ok_or_else(|| format!("bad status file for {id} ({}): {st:?}", t.name))?;
    let stderr = std::fs::read(dir.join(format!("{id}.stderr"))).ok();
    Ok(Recorded { stdout, status, stderr })
}

/// A short line-oriented diff: the first differing line with a little context.
fn diff(expected_label: &str, expected: &[u8], actual_label: &str, actual: &[u8]) -> String {
    let e = String::from_utf8_lossy(expected);
    let a = String::from_utf8_lossy(actual);
    let el: Vec<&str> = e.split_inclusive('\n').collect();
    let al: Vec<&str> = a.split_inclusive('\n').collect();
    let first = el.iter().zip(al.iter()).take_while(|(x, y)| x == y).count();
    let mut s = format!(
        "    --- {expected_label} ({} bytes, {} lines)\n    +++ {actual_label} ({} bytes, {} lines)\n    @@ line {} @@\n",
        expected.len(),
        el.len(),
        actual.len(),
        al.len(),
        first + 1
    );
    let ctx = first.saturating_sub(2);
    for l in &el[ctx..first] {
        s += &format!("     {}\n", l.trim_end_matches('\n'));
    }
    for l in el.iter().skip(first).take(6) {
        s += &format!("    -{}\n", l.trim_end_matches('\n'));
    }
    for l in al.iter().skip(first).take(6) {
        s += &format!("    +{}\n", l.trim_end_matches('\n'));
    }
    s
}

/// Compares one run with a reference; None when they agree.
fn compare(label: &str, reference_label: &str, reference: &Recorded, got: &Run) -> Option<String> {
    let mut msg = String::new();
    if let Some(p) = &got.problem {
        msg += &format!("  {label}: {p}\n");
    } else if got.status != Some(reference.status) {
        msg += &format!(
            "  status: {reference_label} {} but {label} {}\n",
            reference.status,
            got.status.map(|s| s.to_string()).unwrap_or_default()
        );
    }
    if got.stdout != reference.stdout {
        msg += "  stdout differs:\n";
        msg += &diff(reference_label, &reference.stdout, label, &got.stdout);
    }
    if let Some(stderr) = reference.stderr.as_ref().filter(|e| **e != guest_stderr(&got.stderr)) {
        msg += "  stderr differs:\n";
        msg += &diff(reference_label, stderr, label, &guest_stderr(&got.stderr));
    }
    if msg.is_empty() {
        None
    } else {
        if !got.stderr.is_empty() {
            let err = String::from_utf8_lossy(&got.stderr);
            let lines: Vec<&str> = err.lines().take(8).collect();
            msg += &format!("  {label} stderr: {}\n", lines.join("\n    "));
        }
        Some(msg)
    }
}

/// `xlate: 0x4344fe: unimplemented ...` -> `xlate: unimplemented ...`
fn without_address(line: &str) -> String {
    line.split(": ").filter(|part| !part.starts_with("0x")).collect::<Vec<_>>().join(": ")
}

/// What the guest wrote on stderr: without the line qemu-user adds when the process it runs
/// dies of a signal (the AArch64 oracle here, and the AArch64 build of xlate run through
/// qemu), which no guest writes.
fn guest_stderr(raw: &[u8]) -> Vec<u8> {
    raw.split_inclusive(|&b| b == b'\n')
        .filter(|l| !l.starts_with(b"qemu: uncaught target signal "))
        .flatten()
        .copied()
        .collect()
}

fn as_recorded(r: &Run, case: &Case) -> Option<Recorded> {
    let stderr = case.stderr.then(|| guest_stderr(&r.stderr));
    Some(Recorded { stdout: r.stdout.clone(), status: r.status?, stderr })
}

// ---------------------------------------------------------------------------------------------
// Work items: cases plus the committed prebuilt binaries

struct Item<'a> {
    case: &'a Case,
    /// The id shown in reports; the status file is looked up by `case.id`.
    label: String,
    binary: PathBuf,
}

/// The cases of target `t`, followed by the committed prebuilt copies of their programs: all
/// of them (`every_prebuilt`, for the oracle check that they are current) or only hello (the
/// README's first command; the other prebuilt programs are the same bytes as their builds on
/// the hosts that use them).
fn items(t: Target, every_prebuilt: bool) -> Vec<Item<'static>> {
    let mut v: Vec<Item> = cases()
        .iter()
        .filter(|c| exists_for(t, c))
        .map(|c| Item { case: c, label: c.id.clone(), binary: binary(t, &c.program) })
        .collect();
    for c in cases() {
        let prebuilt = guest_bins().join("prebuilt").join(t.name).join(&c.program);
        if prebuilt.exists() && (every_prebuilt || c.id == "hello") {
            v.push(Item { case: c, label: format!("{}(prebuilt)", c.id), binary: prebuilt });
        }
    }
    v
}

/// Runs `f` over the items on a few threads; results in item order.
fn parallel_map<T: Send>(items: &[Item], f: impl Fn(&Item) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).min(4);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<T>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= items.len() {
                    break;
                }
                let r = f(&items[i]);
                results.lock().unwrap()[i] = Some(r);
            });
        }
    });
    results.into_inner().unwrap().into_iter().map(|r| r.expect("every item ran")).collect()
}

fn write_report(config: &str, text: &str) {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("guest-bins-{config}.txt"));
    let _ = std::fs::write(path, text);
}

// ---------------------------------------------------------------------------------------------
// The tests

/// Runs every case of target `t` under xlate and compares it with the recorded expectation and
/// the live oracle. Fails only for pairs marked `pass` in status.txt.
fn xlate_target(t: Target) {
    let config = format!("{}@{}", t.name, Isa::host().name());
    build();
    if !available_here(t) {
        let msg = format!("{config}: SKIPPED: this host cannot build {} guests\n", t.name);
        print!("{msg}");
        write_report(&config, &msg);
        return;
    }
    let items = items(t, false);
    let oracle = oracle_prefix(t.isa);
    let xlate = xlate_prefix();
    let limit = timeout();

    enum Verdict {
        Pass,
        /// The mismatch report, and xlate's first stderr line (usually the reason).
        Fail(String, Option<String>),
    }
    let verdicts = parallel_map(&items, |item| {
        if !item.binary.exists() {
            return Verdict::Fail(format!("  {} was not built\n", item.binary.display()), None);
        }
        let rec = match recorded(t, &item.case.id) {
            Ok(r) => r,
            Err(e) => return Verdict::Fail(format!("  {e}\n"), None),
        };
        let got = run(&xlate, &item.binary, item.case, limit);
        let mut msg = String::new();
        if let Some(m) = compare("xlate", "expected", &rec, &got) {
            msg += &m;
        } else if let Some(prefix) = &oracle {
            // Agreeing with the recording, check the live oracle too (it may have drifted;
            // the oracle test reports that separately).
            let live = run(prefix, &item.binary, item.case, limit);
            if let Some(live) = as_recorded(&live, item.case) {
                if let Some(m) = compare("xlate", "oracle", &live, &got) {
                    msg += &m;
                }
            }
        }
        if msg.is_empty() {
            Verdict::Pass
        } else {
            let stderr = String::from_utf8_lossy(&got.stderr);
            Verdict::Fail(msg, stderr.lines().next().map(str::to_string))
        }
    });

    let mut report = String::new();
    let (mut pass, mut fail, mut pending) = (0, 0, 0);
    let mut flipped = std::collections::BTreeSet::new();
    let mut failures = String::new();
    // What stops the failing cases, most common first: the first stderr line of xlate, with
    // the guest address left out so that the same missing instruction counts once.
    let mut blockers: HashMap<String, usize> = HashMap::new();
    for (item, v) in items.iter().zip(verdicts) {
        let exp = expectation(&item.case.id, &config);
        if let Verdict::Fail(_, Some(line)) = &v {
            *blockers.entry(without_address(line)).or_default() += 1;
        }
        match (exp, v) {
            (Expectation::Pass, Verdict::Pass) => {
                pass += 1;
                report += &format!("PASS     {}\n", item.label);
            }
            (Expectation::Pass, Verdict::Fail(m, _)) => {
                fail += 1;
                report += &format!("FAIL     {}\n{m}", item.label);
                failures += &format!("FAIL {} [{config}]\n{m}", item.label);
            }
            (Expectation::Pending(why), Verdict::Pass) => {
                flipped.insert(item.case.id.clone());
                report += &format!("NOW PASSES (pending: {why}) {}\n", item.label);
            }
            (Expectation::Pending(why), Verdict::Fail(m, err)) => {
                pending += 1;
                let first = m.lines().next().unwrap_or("").trim().to_string();
                let err = err.map(|e| format!(" | {e}")).unwrap_or_default();
                report += &format!("pending  {} ({why}): {first}{err}\n", item.label);
            }
        }
    }
    let mut summary = format!(
        "guest-bins {config}: {pass} pass, {fail} fail, {pending} pending, {} newly passing (of {})\n",
        flipped.len(),
        items.len()
    );
    if !flipped.is_empty() {
        summary += "  flip these in guest-bins/status.txt:\n";
        for id in &flipped {
            summary += &format!("  {id:<18} {config} pass\n");
        }
    }
    if !blockers.is_empty() {
        let mut b: Vec<(String, usize)> = blockers.into_iter().collect();
        b.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        summary += "  what stops the failing runs (xlate's first stderr line, count):\n";
        for (line, n) in b.iter().take(12) {
            summary += &format!("  {n:>4}  {line}\n");
        }
    }
    report = summary.clone() + &report;
    print!("{report}");
    write_report(&config, &report);
    assert!(fail == 0, "{summary}{failures}");
}

#[test]
fn xlate_runs_x86_64_glibc_guests() {
    xlate_target(target("x86_64-glibc"));
}

#[test]
fn xlate_runs_x86_64_musl_guests() {
    xlate_target(target("x86_64-musl"));
}

#[test]
fn xlate_runs_aarch64_glibc_guests() {
    xlate_target(target("aarch64-glibc"));
}

/// How many times [`concurrency_cases_repeated`] runs each concurrency case per target: 20,
/// or 5 under `XLATE_RUNNER` (the AArch64 build of xlate, a debug build under
/// qemu-aarch64-static, takes seconds per run there).
fn concurrency_repeats() -> usize {
    if runner().is_empty() {
        20
    } else {
        5
    }
}

/// The multithreaded cases (`threads-*`, `rthreads`, `panic-thread`, `smc-threads`,
/// `sigexit-*`), the asynchronous
/// signal cases (`sigasync-*` but the one-second alarm) and the Go programs (`go*`:
/// goroutines on several threads, timers, signals, exec) run [`concurrency_repeats`] times
/// each under xlate on every target built here, each run compared with the recorded oracle
/// output: a race in xlate (translation, chaining, the jump table, thread start and exit, a
/// signal arriving anywhere in a loop or a blocking call) shows up as a wrong count, a hang or
/// a crash in some run.
/// Only pairs marked `pass` in status.txt are repeated.
#[test]
fn concurrency_cases_repeated() {
    build();
    let xlate = xlate_prefix();
    let limit = timeout();
    let mut failures = String::new();
    let mut runs = 0;
    let repeats = concurrency_repeats();
    for &t in TARGETS {
        if !available_here(t) {
            continue;
        }
        let config = format!("{}@{}", t.name, Isa::host().name());
        let repeated: Vec<Item> = items(t, false)
            .into_iter()
            .filter(|i| {
                let id = &i.case.id;
                (id.starts_with("threads-")
                    || id == "rthreads"
                    || id == "panic-thread"
                    || id == "smc-threads"
                    || id.starts_with("sigexit-")
                    || id.starts_with("go")
                    // (alarm-spin waits a whole second for its alarm: run once is enough.)
                    || (id.starts_with("sigasync-") && id != "sigasync-alarm-spin"))
                    && expectation(id, &config) == Expectation::Pass
            })
            .flat_map(|i| {
                (0..repeats).map(move |n| Item {
                    case: i.case,
                    label: format!("{} #{n}", i.label),
                    binary: i.binary.clone(),
                })
            })
            .collect();
        let results = parallel_map(&repeated, |item| {
            let rec = match recorded(t, &item.case.id) {
                Ok(r) => r,
                Err(e) => return Some(format!("  {e}\n")),
            };
            compare("xlate", "expected", &rec, &run(&xlate, &item.binary, item.case, limit))
        });
        for (item, r) in repeated.iter().zip(results) {
            runs += 1;
            if let Some(m) = r {
                failures += &format!("FAIL {} [{config}]\n{m}", item.label);
            }
        }
    }
    println!("{runs} runs of the concurrency cases ({repeats} each per target)");
    assert!(failures.is_empty(), "{failures}");
}

/// The live oracle agrees with every recorded expectation (a stale recording, or a guest
/// program whose output is not deterministic, fails here, independent of xlate).
#[test]
fn oracle_runs_match_recorded_expectations() {
    build();
    let mut failures = String::new();
    let mut checked = 0;
    for &t in TARGETS {
        let Some(prefix) = oracle_prefix(t.isa) else {
            println!("{}: no oracle on this host; recorded expectations used as they are", t.name);
            continue;
        };
        if !available_here(t) {
            continue;
        }
        let items = items(t, true);
        let results = parallel_map(&items, |item| {
            if !item.binary.exists() {
                return Some(format!("  {} was not built\n", item.binary.display()));
            }
            let rec = match recorded(t, &item.case.id) {
                Ok(r) => r,
                Err(e) => return Some(format!("  {e}\n")),
            };
            compare("oracle", "recorded", &rec, &run(&prefix, &item.binary, item.case, timeout()))
        });
        for (item, r) in items.iter().zip(results) {
            checked += 1;
            if let Some(m) = r {
                failures += &format!("{} [{}]\n{m}", item.label, t.name);
            }
        }
    }
    assert!(failures.is_empty(), "oracle runs disagree with guest-bins/expected/:\n{failures}");
    println!("{checked} oracle runs agree with their recordings");
}

/// cases.txt, status.txt and expected/ are consistent with each other and with src/.
#[test]
fn cases_status_and_expectations_are_consistent() {
    let mut problems = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for c in cases() {
        if !ids.insert(c.id.as_str()) {
            problems.push(format!("duplicate case id {}", c.id));
        }
        if source(&c.program).is_none() {
            problems.push(format!("{}: no source src/{}.{{c,cc,rs,go}}", c.id, c.program));
        }
        for &t in TARGETS {
            if !exists_for(t, c) {
                continue;
            }
            match recorded(t, &c.id) {
                Err(e) => problems.push(e),
                Ok(r) => {
                    if c.intent_for(t.isa) != Some(r.status) {
                        problems.push(format!(
                            "{} ({}): recorded {} but cases.txt intends {:?}",
                            c.id,
                            t.name,
                            r.status,
                            c.intent_for(t.isa)
                        ));
                    }
                }
            }
        }
    }
    let configs: Vec<String> =
        TARGETS.iter().flat_map(|t| ["x86_64", "aarch64"].map(|h| format!("{}@{h}", t.name))).collect();
    for (case, config) in status_map().keys() {
        if !ids.contains(case.as_str()) {
            problems.push(format!("status.txt names unknown case {case}"));
        }
        if !configs.contains(config) {
            problems.push(format!("status.txt names unknown configuration {config}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn word_splitting_follows_the_documented_rules() {
    assert_eq!(split_words(r#"a "b c" "" d=e"#).unwrap(), vec!["a", "b c", "", "d=e"]);
    assert_eq!(split_words(r#""X=a b""#).unwrap(), vec!["X=a b"]);
    assert!(split_words(r#"a "b"#).is_err());
}

#[test]
fn status_lines_parse_with_any_spacing() {
    let m = parse_status("# c\nhello   x86_64-glibc@x86_64    pass\nenv a@b pending:  no  env\n").unwrap();
    assert_eq!(m[&("hello".into(), "x86_64-glibc@x86_64".into())], Expectation::Pass);
    assert_eq!(m[&("env".into(), "a@b".into())], Expectation::Pending("no env".into()));
    assert!(parse_status("hello x passes\n").is_err());
    assert!(parse_status("a b pass\na b pass\n").is_err());
}

/// Rewrites guest-bins/expected/ from oracle runs (run by guest-bins/bless.sh; ignored
/// otherwise). Each run must show the status cases.txt intends, or nothing is written for it.
#[test]
#[ignore = "writes guest-bins/expected/; run through guest-bins/bless.sh"]
fn bless() {
    build();
    let mut problems = String::new();
    let only: Option<String> = std::env::var("BLESS_TARGET").ok();
    for &t in TARGETS {
        if only.as_deref().is_some_and(|o| o != t.name) {
            continue;
        }
        let Some(prefix) = oracle_prefix(t.isa) else {
            problems += &format!("{}: no oracle on this host; not blessed\n", t.name);
            continue;
        };
        let dir = expected_dir(t);
        std::fs::create_dir_all(&dir).expect("create expected dir");
        for c in cases().iter().filter(|c| exists_for(t, c)) {
            let bin = binary(t, &c.program);
            let r = run(&prefix, &bin, c, timeout());
            let Some(status) = r.status else {
                problems += &format!("{} ({}): {}\n", c.id, t.name, r.problem.unwrap_or_default());
                continue;
            };
            if c.intent_for(t.isa) != Some(status) {
                problems += &format!(
                    "{} ({}): oracle gave {status}, cases.txt intends {:?}; not recorded\n",
                    c.id,
                    t.name,
                    c.intent_for(t.isa)
                );
                continue;
            }
            std::fs::write(dir.join(format!("{}.stdout", c.id)), &r.stdout).expect("write");
            std::fs::write(dir.join(format!("{}.status", c.id)), status.record()).expect("write");
            let stderr_file = dir.join(format!("{}.stderr", c.id));
            if c.stderr {
                std::fs::write(&stderr_file, guest_stderr(&r.stderr)).expect("write");
            } else if stderr_file.exists() {
                std::fs::remove_file(&stderr_file).expect("remove");
            }
            println!("blessed {} ({}): {status}, {} bytes", c.id, t.name, r.stdout.len());
        }
    }
    assert!(problems.is_empty(), "{problems}");
}
