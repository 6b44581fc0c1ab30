//! `--report` as a user sees it: the report of a real run counts what the program does, and
//! the HTML page renders in a real browser (headless Chromium) without a console error and
//! with every chart drawn.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The `xlate` under test ([`support::xlate_command`]), with no input.
fn xlate(args: &[&str]) -> Output {
    let mut command = support::xlate_command();
    command.args(args).stdin(Stdio::null()).output().expect("xlate runs")
}

fn guest_bins() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("guest-bins")
}

/// A fresh directory for one test's files.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xlate-report-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the committed x86-64 nbody (five bodies: ten pairs per step) for 1000 steps, the
/// guest-bins case nbody-small, with `--report` at `report`.
fn run_nbody(report: &Path) -> Output {
    let nbody = guest_bins().join("prebuilt/x86_64-musl/nbody");
    let out = xlate(&["--report", report.to_str().unwrap(), nbody.to_str().unwrap(), "1000"]);
    assert!(out.status.success(), "xlate failed: {}", String::from_utf8_lossy(&out.stderr));
    // The report changes nothing the guest does: its output is the oracle's.
    let expected = std::fs::read(guest_bins().join("expected/x86_64-musl/nbody-small.stdout")).unwrap();
    assert_eq!(out.stdout, expected, "guest stdout under --report");
    out
}

/// The value after `"key":` at or after `from` in `json` (a number or a string's contents).
fn field<'a>(json: &'a str, from: usize, key: &str) -> &'a str {
    let pat = format!("\"{key}\":");
    let at = json[from..].find(&pat).unwrap_or_else(|| panic!("no {key} in {json}")) + from + pat.len();
    let rest = json[at..].trim_start_matches('"');
    let end = rest.find(['"', ',', '}', ']']).unwrap();
    &rest[..end]
}

#[test]
fn json_report_counts_the_hottest_loop_exactly() {
    let dir = temp_dir("json");
    let report = dir.join("nbody.json");
    run_nbody(&report);
    let json = std::fs::read_to_string(&report).unwrap();
    assert!(json.starts_with("{\"format\":1,"));
    let hot = json.find("\"hot_blocks\":[").expect("hot_blocks");
    // The inner loop over pairs of bodies runs 10 times per step: 10 * 1000 entries.
    assert_eq!(field(&json, hot, "entries"), "10000", "{json}");
    // The loop's branch was split (`ir::opt::split_branch_at_dead_bytes`): the back edge,
    // whose code overwrites the flags that the way out reads, is a side exit taken before
    // they are stored, and the block's own exit is the jump out.
    assert_eq!(field(&json, hot, "exit"), "jump");
    // The loop's block jumps backwards, so its host code starts with the test of the thread's
    // signal flag (state header offset 0x18; see ARCHITECTURE.md, "Guest signal handlers"),
    // then its counter: the counter's address into a register.
    let host_code = json[hot..].find("\"host_code\":[\"").unwrap() + hot + "\"host_code\":[\"".len();
    let insns: Vec<&str> = json[host_code..].split("\",\"").take(4).collect();
    let (test, branch) = if cfg!(target_arch = "x86_64") {
        (["cmp", "[r15+0x18]"], "jne")
    } else {
        (["ldrb", "#0x18]"], "cbnz")
    };
    assert!(test.iter().all(|t| insns[0].contains(t)), "the signal flag test first: {insns:?}");
    assert!(insns[1].contains(branch), "then the branch out when it is raised: {insns:?}");
    assert!(insns[2].contains(" mov"), "then the block's counter: {insns:?}");
    assert_eq!(field(&json, 0, "guest"), "x86-64");
    assert!(json.contains("{\"name\":\"exit_group\",\"count\":1,"), "syscalls by name: {json}");
    // Expansion by instruction class: every host byte of every block belongs to exactly one
    // class, so the classes add up to the host bytes translated; nbody runs SSE arithmetic.
    let classes = json.find("\"expansion_by_class\":[").expect("expansion_by_class");
    let end = classes + json[classes..].find(']').unwrap();
    let mut bytes = 0u64;
    let mut at = classes;
    while let Some(next) = json[at..end].find("\"host_bytes\":") {
        at += next;
        bytes += field(&json, at, "host_bytes").parse::<u64>().unwrap();
        at += 1;
    }
    let stats = json.find("\"stats\":").unwrap();
    assert_eq!(bytes.to_string(), field(&json, stats, "host_bytes"), "{}", &json[classes..end]);
    let fp = json[classes..end].find("\"class\":\"floating point and SIMD\"").expect("an FP class");
    assert_ne!(field(&json, classes + fp, "guest_insns_executed"), "0");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a64_guest_report_shows_a64_code() {
    let dir = temp_dir("a64");
    let report = dir.join("hello.json");
    let hello = guest_bins().join("prebuilt/aarch64-glibc/hello");
    let out = xlate(&["--report", report.to_str().unwrap(), hello.to_str().unwrap()]);
    assert!(out.status.success(), "xlate failed: {}", String::from_utf8_lossy(&out.stderr));
    let json = std::fs::read_to_string(&report).unwrap();
    assert_eq!(field(&json, 0, "guest"), "aarch64");
    // The hottest blocks of the C library's start-up loops, in A64 assembly.
    let a64 = [" cbz ", " cbnz ", " b.ne ", " b.eq ", " ldrb w"];
    assert!(a64.iter().any(|m| json.contains(m)), "no A64 code in {json}");
    assert!(json.contains("{\"name\":\"exit_group\",\"count\":1,"), "{json}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn report_needs_an_html_or_json_name() {
    let hello = guest_bins().join("prebuilt/x86_64-musl/hello");
    let out = xlate(&["--report", "/tmp/report.txt", hello.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "the guest must not have run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err, "xlate: --report /tmp/report.txt: the file name must end in .html or .json\n");
}

/// Loads `page` in headless Chromium and returns its DOM after the scripts ran, or why the
/// page is not right: a console message (error, uncaught exception, blocked request), or a
/// self-check other than ok (a chart with no bar drawn, a script error).
fn check_in_chromium(test: &str, chromium: &Path, page: &Path) -> Result<String, String> {
    let profile = temp_dir(&format!("{test}-chromium-profile"));
    // Output to files, not pipes: a page's DOM is larger than a pipe's buffer, and chromium
    // would block writing it while this waits for it to exit.
    let (dom_path, log_path) = (profile.join("dom.html"), profile.join("stderr.txt"));
    let mut child = Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        .args(["--disable-component-update", "--no-first-run", "--enable-logging=stderr", "--v=0"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&dom_path).unwrap())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .expect("chromium starts");
    // Chromium that hangs must not hang the suite.
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err("chromium did not finish in 120 s".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = child.wait().unwrap();
    let dom = std::fs::read_to_string(&dom_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&log_path).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&profile);
    let console: Vec<&str> = stderr.lines().filter(|l| l.contains(":CONSOLE")).collect();
    if !console.is_empty() {
        return Err(format!("console messages:\n{}", console.join("\n")));
    }
    if !status.success() {
        return Err(format!("chromium failed ({status}): {stderr}"));
    }
    match dom.find("<pre id=\"selfcheck\" data-status=\"ok\">") {
        Some(_) => Ok(dom),
        None => {
            let at = dom.find("id=\"selfcheck\"").map(|i| &dom[i..(i + 300).min(dom.len())]);
            Err(format!("self-check not ok: {}", at.unwrap_or("no #selfcheck in the DOM")))
        }
    }
}

#[test]
fn html_report_renders_in_chromium() {
    let Some(chromium) = support::tool("html_report_renders_in_chromium", "chromium", "chromium") else {
        return;
    };
    let dir = temp_dir("html");
    let report = dir.join("nbody.html");
    run_nbody(&report);
    let dom = check_in_chromium("html", &chromium, &report).unwrap_or_else(|e| panic!("{e}"));
    assert!(dom.contains("\"charts\":8,\"empty\":[],\"errors\":[]"), "eight charts, all drawn");
    for section in ["run", "findings", "hot-blocks", "hot-by-time", "distributions", "counting"] {
        assert!(dom.contains(&format!("<section id=\"{section}\">")), "no section {section}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_chromium_check_catches_a_broken_page() {
    let Some(chromium) = support::tool("the_chromium_check_catches_a_broken_page", "chromium", "chromium")
    else {
        return;
    };
    let dir = temp_dir("broken");
    let empty_chart = dir.join("empty.html");
    std::fs::write(
        &empty_chart,
        "<html><body><svg class=\"chart\" id=\"c\"></svg><pre id=\"selfcheck\"></pre><script>\
         var n=document.querySelectorAll('svg.chart rect.bar').length;\
         document.getElementById('selfcheck').setAttribute('data-status', n ? 'ok' : 'bad');</script></body></html>",
    )
    .unwrap();
    let err = check_in_chromium("broken", &chromium, &empty_chart).unwrap_err();
    assert!(err.starts_with("self-check not ok"), "{err}");
    let script_error = dir.join("error.html");
    std::fs::write(
        &script_error,
        "<html><body><pre id=\"selfcheck\" data-status=\"ok\"></pre><script>nosuch();</script></body></html>",
    )
    .unwrap();
    let err = check_in_chromium("broken", &chromium, &script_error).unwrap_err();
    assert!(err.contains("nosuch is not defined"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A guest that forks: the child ends through the same path as the parent, holding the same
/// open report file, and must not write its own report into it.
#[test]
fn a_forked_child_leaves_the_report_to_its_parent() {
    let test = "a_forked_child_leaves_the_report_to_its_parent";
    let Some(gcc) = support::tool(test, "gcc", "gcc") else {
        return;
    };
    let dir = temp_dir("fork");
    let src = dir.join("fork.c");
    std::fs::write(
        &src,
        "#include <sys/wait.h>\n#include <unistd.h>\n\
         int main(void) { pid_t p = fork(); if (p == 0) { write(1, \"child\\n\", 6); return 0; }\n\
         int st; waitpid(p, &st, 0); write(1, \"parent\\n\", 7); return WEXITSTATUS(st); }\n",
    )
    .unwrap();
    let exe = dir.join("fork");
    let built = Command::new(gcc).args(["-static", "-O2", "-o"]).arg(&exe).arg(&src).output().unwrap();
    assert!(built.status.success(), "gcc: {}", String::from_utf8_lossy(&built.stderr));
    let report = dir.join("fork.json");
    let out = xlate(&["--report", report.to_str().unwrap(), exe.to_str().unwrap()]);
    assert!(out.status.success(), "xlate failed: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stdout, b"child\nparent\n");
    let json = std::fs::read_to_string(&report).unwrap();
    assert_eq!(json.matches("\"format\":1,").count(), 1, "one report, not two: {json}");
    assert!(json.ends_with("]}"), "{json}");
    // The parent's own calls: its fork (clone on glibc), wait4 and exit_group.
    assert!(json.contains("{\"name\":\"wait4\",\"count\":1,"), "the parent's report: {json}");
    let _ = std::fs::remove_dir_all(&dir);
}
