//! `xlate --strace` on whole programs: the committed hello guest-bins. The oracle for the
//! sequence of calls is the same program traced natively by strace(1) (x86-64) or by
//! `qemu-aarch64-static -strace` (AArch64); either is skipped with a note where the tool is
//! missing. `XLATE_RUNNER` (e.g. `qemu-aarch64-static`, for the AArch64 build of xlate on an
//! x86-64 machine) prefixes the xlate command, as in tests/guest_bins.rs.

mod support;

use std::process::Command;
use xlate::syscall::abi::aarch64;

/// The guest's stdout, and the syscall names of `xlate --strace` in order, after checking that
/// every trace line starts with one and the same pid.
fn xlate_trace(program: &str) -> (Vec<u8>, Vec<String>) {
    let runner = std::env::var("XLATE_RUNNER").unwrap_or_default();
    let mut command: Vec<String> = runner.split_whitespace().map(String::from).collect();
    command.extend([env!("CARGO_BIN_EXE_xlate").to_string(), "--strace".into(), program.into()]);
    let out = Command::new(&command[0]).args(&command[1..]).output().expect("run xlate");
    assert!(out.status.success(), "{program}: {:?}", out.status);
    let stderr = String::from_utf8(out.stderr).unwrap();
    let mut pids = Vec::new();
    let mut names = Vec::new();
    for line in stderr.lines() {
        let (pid, rest) = line.split_once(' ').expect("pid, then the call");
        pids.push(pid.to_string());
        names.push(rest.split('(').next().unwrap().to_string());
    }
    assert!(pids.windows(2).all(|w| w[0] == w[1]), "one pid: {pids:?}");
    assert_eq!(stderr.lines().last(), Some(format!("{} exit_group(0)", pids[0]).as_str()));
    (out.stdout, names)
}

fn tool(name: &str) -> bool {
    let package = if name == "strace" { "strace" } else { "qemu-user-static" };
    support::tool("syscall_strace_run", name, package).is_some()
}

#[test]
fn x86_64_hello_trace_matches_native_strace() {
    let program = "guest-bins/prebuilt/x86_64-glibc/hello";
    let (stdout, names) = xlate_trace(program);
    assert_eq!(stdout, b"Hello, world!\n");
    if !cfg!(target_arch = "x86_64") || !tool("strace") {
        return;
    }
    let log = std::env::temp_dir().join(format!("xlate-strace-{}", std::process::id()));
    let st = Command::new("strace")
        .args(["-qq", "-o", log.to_str().unwrap(), program])
        .output()
        .expect("run strace");
    assert!(st.status.success());
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::remove_file(&log).unwrap();
    let native: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with("+++"))
        .map(|l| l.split('(').next().unwrap().to_string())
        .filter(|n| n != "execve")
        .collect();
    assert_eq!(names, native);
}

#[test]
fn aarch64_hello_trace_matches_qemu() {
    let program = "guest-bins/prebuilt/aarch64-glibc/hello";
    let (stdout, names) = xlate_trace(program);
    assert_eq!(stdout, b"Hello, world!\n");
    if !tool("qemu-aarch64-static") {
        return;
    }
    let q = Command::new("qemu-aarch64-static").args(["-strace", program]).output().expect("run qemu");
    assert!(q.status.success());
    let text = String::from_utf8(q.stderr).unwrap();
    let qemu: Vec<String> = text
        .lines()
        .map(|l| l.split_once(' ').unwrap().1)
        .map(|l| match l.strip_prefix("Unknown syscall ") {
            // qemu does not name some calls (rseq); the kernel's table does.
            Some(nr) => aarch64::TABLE.sysno(nr.parse().unwrap()).unwrap().name().to_string(),
            None => l.split('(').next().unwrap().to_string(),
        })
        .collect();
    assert_eq!(names, qemu);
}

/// A call xlate refuses on purpose (glibc's rseq registration, in both builds of hello) is
/// marked with the reason; no other call of hello is.
#[test]
fn refused_calls_are_marked() {
    for program in ["guest-bins/prebuilt/x86_64-glibc/hello", "guest-bins/prebuilt/aarch64-glibc/hello"] {
        let runner = std::env::var("XLATE_RUNNER").unwrap_or_default();
        let mut command: Vec<String> = runner.split_whitespace().map(String::from).collect();
        command.extend([env!("CARGO_BIN_EXE_xlate").to_string(), "--strace".into(), program.into()]);
        let out = Command::new(&command[0]).args(&command[1..]).output().expect("run xlate");
        let stderr = String::from_utf8(out.stderr).unwrap();
        let marked: Vec<&str> = stderr.lines().filter(|l| l.contains("[refused by xlate: ")).collect();
        assert_eq!(marked.len(), 1, "{program}:\n{stderr}");
        assert!(marked[0].contains(" rseq(") && marked[0].contains(" = -1 errno=38 "), "{}", marked[0]);
    }
}

/// A read() that SIGALRM interrupts, with an SA_RESTART handler that feeds the pipe: the
/// kernel restarts the call after the handler, and so does xlate (the handler runs between
/// the two reads, not after the first one completes). The same calls in the same order as
/// native strace (x86-64 musl, whose start-up makes few calls), the interrupted read shown
/// as `= ? ERESTARTSYS` by both, before the handler's write and rt_sigreturn.
#[test]
fn an_interrupted_read_restarts_after_the_handler() {
    let program = "guest-bins/prebuilt/x86_64-musl/sigasync";
    let (stdout, names, lines) = {
        let runner = std::env::var("XLATE_RUNNER").unwrap_or_default();
        let mut command: Vec<String> = runner.split_whitespace().map(String::from).collect();
        command.extend([env!("CARGO_BIN_EXE_xlate").to_string(), "--strace".into(), program.into()]);
        command.push("restart-read".into());
        let out = Command::new(&command[0]).args(&command[1..]).output().expect("run xlate");
        assert!(out.status.success(), "{program}: {:?}", out.status);
        let stderr = String::from_utf8(out.stderr).unwrap();
        // (Without xlate's `--- signal ... ---` lines, as without strace's own below.)
        let lines: Vec<String> = stderr
            .lines()
            .map(|l| l.split_once(' ').unwrap().1.to_string())
            .filter(|l| !l.starts_with("---"))
            .collect();
        let names: Vec<String> = lines.iter().map(|l| l.split('(').next().unwrap().to_string()).collect();
        (out.stdout, names, lines)
    };
    assert_eq!(stdout, b"restart-read: read returned 1, errno -, byte 'x', handler ran: yes\n");
    let restarted = lines.iter().position(|l| {
        l.starts_with("read(") && l.ends_with("= ? ERESTARTSYS (To be restarted if SA_RESTART is set)")
    });
    let restarted = restarted.unwrap_or_else(|| panic!("no restarted read: {lines:#?}"));
    assert_eq!(names[restarted + 1..restarted + 4], ["write", "rt_sigreturn", "read"], "{lines:#?}");
    assert!(lines[restarted + 3].ends_with(" = 1"), "{lines:#?}");
    if !cfg!(target_arch = "x86_64") || !tool("strace") {
        return;
    }
    let log = std::env::temp_dir().join(format!("xlate-strace-restart-{}", std::process::id()));
    let st = Command::new("strace")
        .args(["-qq", "-o", log.to_str().unwrap(), program, "restart-read"])
        .output()
        .expect("run strace");
    assert!(st.status.success());
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::remove_file(&log).unwrap();
    let native: Vec<&str> = text.lines().filter(|l| !l.starts_with("+++") && !l.starts_with("---")).collect();
    assert!(native.iter().any(|l| l.starts_with("read(") && l.contains("= ? ERESTARTSYS")), "{text}");
    let native: Vec<String> =
        native.iter().map(|l| l.split('(').next().unwrap().to_string()).filter(|n| n != "execve").collect();
    assert_eq!(names, native);
}
