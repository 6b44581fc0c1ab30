//! Smoke test of the benchmark harness (perf/bench.sh): its quick mode on one real workload
//! (Debian's busybox sha256sum, x86-64 and AArch64 builds) must run all five ways, find every
//! output equal to its reference (native x86-64, or qemu-aarch64 for the AArch64 build) and
//! write a well-formed markdown table. It checks the harness, not the speed: no figure is
//! compared with anything. The full measurement is `perf/bench.sh` by hand (perf/README.md).
//!
//! x86-64 hosts only: the harness's reference is the native x86-64 run.
#![cfg(target_arch = "x86_64")]

mod support;

use std::path::PathBuf;
use std::process::Command;

#[test]
fn quick_mode_runs_checks_outputs_and_writes_the_table() {
    let test = "perf_harness";
    for (tool, package) in [
        ("qemu-x86_64-static", "qemu-user-static"),
        ("qemu-aarch64-static", "qemu-user-static"),
        ("python3", "python3"),
        ("apt-get", "apt"),
    ] {
        if support::tool(test, tool, package).is_none() {
            return;
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = root.join("target/tmp/perf-harness-smoke.md");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&out);
    let run = Command::new("bash")
        .arg(root.join("perf/bench.sh"))
        .env("PERF_QUICK", "1")
        .env("PERF_ONLY", "sha256sum")
        .env("PERF_OUT", &out)
        .env("XLATE", env!("CARGO_BIN_EXE_xlate"))
        .output()
        .expect("bash perf/bench.sh");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "perf/bench.sh failed: {}\n{stderr}", run.status);
    let table = std::fs::read_to_string(&out).expect("the harness writes PERF_OUT");
    assert_eq!(String::from_utf8_lossy(&run.stdout), table, "stdout is the table");

    let row = |name: &str| -> Vec<String> {
        let line = table
            .lines()
            .find(|l| l.starts_with(&format!("| {name} |")))
            .unwrap_or_else(|| panic!("no row {name} in\n{table}"));
        line.trim_matches('|').split('|').map(|c| c.trim().to_string()).collect()
    };
    let header = row("workload");
    assert_eq!(header.len(), 9, "columns: {header:?}");
    assert_eq!(header[2], "x86-64 xlate / native");
    assert_eq!(header[7], "AArch64 xlate / qemu");
    let is_ratio = |c: &str| c.strip_suffix('x').and_then(|n| n.parse::<f64>().ok()).is_some_and(|x| x > 0.0);
    let sha = row("sha256sum");
    assert!(sha[1].parse::<f64>().is_ok(), "native seconds: {sha:?}");
    for cell in &sha[2..8] {
        assert!(is_ratio(cell), "every way ran and matched its reference: {sha:?}\n{table}");
    }
    assert_eq!(sha[8], "yes", "Debian's two builds print the same digest");
    let geo = row("**geomean**");
    for cell in &geo[2..8] {
        assert!(is_ratio(cell), "geomean: {geo:?}");
    }
    assert!(table.contains("Load average before"), "{table}");
    assert!(!table.contains("wrong") && !table.contains("fail ("), "{table}");
}
