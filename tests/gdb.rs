//! `-g PORT` as a user sees it: Debian's gdb-multiarch, in batch mode, debugs a guest program
//! (with its symbols, from guest-bins/build/) through xlate's stub, and says exactly what it
//! says through QEMU's own stub (`qemu-<isa>-static -g PORT`, the oracle) running the same
//! program with the same commands: breakpoints, the PC at main (also checked against the ELF
//! symbol), single steps, registers and memory read and written, a memory error, and the
//! guest's exit status.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

/// One guest ISA: where its programs are, its QEMU, and gdb's names for main's argc and argv.
struct Guest {
    target: &'static str,
    qemu: &'static str,
    pc: &'static str,
    argc: &'static str,
    argv: &'static str,
    flags: &'static str,
}

const X86_64: Guest = Guest {
    target: "x86_64-glibc",
    qemu: "qemu-x86_64-static",
    pc: "rip",
    argc: "$rdi",
    argv: "$rsi",
    flags: "eflags",
};
const AARCH64: Guest = Guest {
    target: "aarch64-glibc",
    qemu: "qemu-aarch64-static",
    pc: "pc",
    argc: "$x0",
    argv: "$x1",
    flags: "cpsr",
};

fn guest_bins() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("guest-bins")
}

/// guest-bins/build.sh for the two glibc targets, once per test process (the programs keep
/// their symbols there, unlike the stripped prebuilt ones).
fn program(guest: &Guest, name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let out = Command::new("bash")
            .arg(guest_bins().join("build.sh"))
            .args([X86_64.target, AARCH64.target])
            .stdin(Stdio::null())
            .output()
            .expect("guest-bins/build.sh runs");
        assert!(out.status.success(), "build.sh failed: {}", String::from_utf8_lossy(&out.stderr));
    });
    guest_bins().join("build").join(guest.target).join(name)
}

/// The address of `symbol` in the ELF file `exe`.
fn symbol(exe: &Path, symbol: &str) -> u64 {
    use object::{Object, ObjectSymbol};
    let data = std::fs::read(exe).unwrap();
    let file = object::File::parse(&*data).unwrap();
    let found = file.symbols().find(|s| s.name() == Ok(symbol));
    found.unwrap_or_else(|| panic!("no {symbol} in {}", exe.display())).address()
}

/// A TCP port free now on 127.0.0.1 (the stub under test binds it a moment later).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `xlate -g PORT ARGS...` started.
fn start_xlate(port: u16, args: &[&str]) -> Child {
    let mut command = xlate();
    command.arg("-g").arg(port.to_string()).args(args);
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("xlate starts")
}

/// The `xlate` under test ([`support::xlate_command`]).
fn xlate() -> Command {
    support::xlate_command()
}

fn start_qemu(qemu: &Path, port: u16, args: &[&str]) -> Child {
    let mut command = Command::new(qemu);
    command.arg("-g").arg(port.to_string()).args(args);
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("qemu starts")
}

/// What one debugging session showed: gdb's transcript (with what differs between any two
/// runs, the process id and stack addresses, taken out), and the guest's stdout and status.
#[derive(Debug, PartialEq)]
struct Session {
    transcript: String,
    stdout: String,
    status: Option<i32>,
}

/// Runs gdb with `commands` (one `-ex` each, so that one failing does not stop the rest)
/// against the stub that `server` starts on `port`, then waits for the server.
fn debug(gdb: &Path, exe: &Path, port: u16, commands: &[String], server: Child) -> Session {
    let mut args = vec!["120".to_string(), gdb.display().to_string(), "-batch".into(), "-nx".into()];
    // The program's files come from here, never from the stub (QEMU's would serve them).
    let setup = [
        "set confirm off",
        "set pagination off",
        "set width 0",
        "set tcp connect-timeout 60",
        "set sysroot /",
    ];
    let connect = format!("target remote 127.0.0.1:{port}");
    for c in setup.iter().map(|s| s.to_string()).chain([connect]).chain(commands.iter().cloned()) {
        args.push("-ex".into());
        args.push(c);
    }
    args.push(exe.display().to_string());
    // `timeout`: a stub that never answers must fail the test, not hang it.
    let out = Command::new("timeout").args(&args).stdin(Stdio::null()).output().expect("gdb runs");
    let mut server = server;
    let mut waited = None;
    for _ in 0..600 {
        if let Some(status) = server.try_wait().unwrap() {
            waited = Some(status);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let status = match waited {
        Some(status) => status,
        None => {
            let _ = server.kill();
            panic!("the stub did not end after gdb: {}", String::from_utf8_lossy(&out.stdout));
        }
    };
    let mut stdout = String::new();
    use std::io::Read;
    server.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    let transcript = String::from_utf8_lossy(&out.stdout)
        .lines()
        .chain(String::from_utf8_lossy(&out.stderr).lines())
        .map(normalize)
        .collect::<Vec<_>>()
        .join("\n");
    Session { transcript, stdout, status: status.code() }
}

/// A transcript line without what differs between runs: the process id gdb names, and the
/// address of a string on the stack in `x/s` output.
fn normalize(line: &str) -> String {
    if let Some(at) = line.find("(process ") {
        let end = line[at..].find(')').map_or(line.len(), |e| at + e);
        return format!("{}(process N{}", &line[..at], &line[end..]);
    }
    if let (true, Some(at)) = (line.starts_with("0x7"), line.find(":\t")) {
        return format!("STACK{}", &line[at..]);
    }
    line.to_string()
}

/// Runs `commands` on `program ARGS` under QEMU's stub and under xlate's, and returns both.
fn both(test: &str, guest: &Guest, args: &[&str], commands: &[String]) -> Option<(Session, Session)> {
    let gdb = support::tool(test, "gdb-multiarch", "gdb-multiarch")?;
    let qemu = support::tool(test, guest.qemu, "qemu-user-static")?;
    let exe = program(guest, "exitcode");
    let mut argv = vec![exe.to_str().unwrap()];
    argv.extend_from_slice(args);
    let port = free_port();
    let oracle = debug(&gdb, &exe, port, commands, start_qemu(&qemu, port, &argv));
    let port = free_port();
    let xlate = debug(&gdb, &exe, port, commands, start_xlate(port, &argv));
    Some((oracle, xlate))
}

/// Break at main, read the PC, a register and a string, set argc to 1, step, continue: the
/// program then prints its usage line and exits 2.
fn registers_and_steps(test: &str, guest: &Guest) {
    let main = symbol(&program(guest, "exitcode"), "main");
    let commands: Vec<String> = [
        "break *main".to_string(),
        "continue".into(),
        "printf \"T: pc=%#lx\\n\", $pc".into(),
        format!("info registers {}", guest.pc),
        format!("x/s *(char **)({} + 8)", guest.argv),
        format!("printf \"T: argc=%ld\\n\", {}", guest.argc),
        format!("set var {} = 1", guest.argc),
        format!("printf \"T: argc=%ld\\n\", {}", guest.argc),
        "stepi".into(),
        "printf \"T: pc=%#lx\\n\", $pc".into(),
        "stepi".into(),
        "printf \"T: pc=%#lx\\n\", $pc".into(),
        // The value only: gdb draws the bits by the stub's target description, QEMU's and
        // xlate's name different sets of them.
        format!("printf \"T: flags=%#x\\n\", ${}", guest.flags),
        "x/4xb 0".into(),
        "continue".into(),
    ]
    .into();
    let Some((oracle, xlate)) = both(test, guest, &["ret", "7"], &commands) else { return };
    // What makes this session a real one, not two that failed alike.
    assert!(xlate.transcript.contains(&format!("T: pc={main:#x}")), "{}", xlate.transcript);
    assert!(xlate.transcript.contains("T: argc=3\n"), "{}", xlate.transcript);
    assert!(xlate.transcript.contains("STACK:\t\"ret\""), "{}", xlate.transcript);
    assert!(xlate.transcript.contains("Cannot access memory at address 0x0"), "{}", xlate.transcript);
    assert!(xlate.transcript.contains("exited with code 02"), "{}", xlate.transcript);
    assert!(xlate.stdout.starts_with("usage:"), "{xlate:?}");
    assert_eq!(xlate.status, Some(2));
    assert_eq!(xlate, oracle);
}

/// Break at main, write the exit status digit in argv[2] (guest memory), break in printf,
/// continue: the program prints and exits with the new status. Writing the program's code
/// is refused (xlate's rule: the guest may not write it, and neither may gdb).
fn memory_and_breakpoints(test: &str, guest: &Guest) {
    let printf = symbol(&program(guest, "exitcode"), "printf");
    let commands: Vec<String> = [
        "break *main".to_string(),
        "continue".into(),
        format!("set var *(char *)(*(char **)({} + 16)) = '9'", guest.argv),
        format!("x/s *(char **)({} + 16)", guest.argv),
        "break *printf".into(),
        "continue".into(),
        "printf \"T: pc=%#lx\\n\", $pc".into(),
        "delete".into(),
        "continue".into(),
    ]
    .into();
    let Some((oracle, xlate)) = both(test, guest, &["ret", "7"], &commands) else { return };
    assert!(xlate.transcript.contains(&format!("T: pc={printf:#x}")), "{}", xlate.transcript);
    assert!(xlate.transcript.contains("STACK:\t\"9\""), "{}", xlate.transcript);
    assert!(xlate.transcript.contains("exited with code 011"), "{}", xlate.transcript);
    assert_eq!(xlate.stdout, "mode=ret status=9\n");
    assert_eq!(xlate.status, Some(9));
    assert_eq!(xlate, oracle);
}

#[test]
fn x86_64_registers_and_steps() {
    registers_and_steps("x86_64_registers_and_steps", &X86_64);
}

#[test]
fn aarch64_registers_and_steps() {
    registers_and_steps("aarch64_registers_and_steps", &AARCH64);
}

#[test]
fn x86_64_memory_and_breakpoints() {
    memory_and_breakpoints("x86_64_memory_and_breakpoints", &X86_64);
}

#[test]
fn aarch64_memory_and_breakpoints() {
    memory_and_breakpoints("aarch64_memory_and_breakpoints", &AARCH64);
}

/// gdb may not write the program's code: xlate keeps breakpoints to itself and refuses a
/// write where the guest could not write either. (The port comes from XLATE_GDB here.)
#[test]
fn code_is_not_writable_from_gdb() {
    let test = "code_is_not_writable_from_gdb";
    let Some(gdb) = support::tool(test, "gdb-multiarch", "gdb-multiarch") else { return };
    let exe = program(&X86_64, "exitcode");
    let main = symbol(&exe, "main");
    let commands: Vec<String> =
        ["break *main", "continue", "set var *(char *)main = 0", "continue"].map(String::from).into();
    let port = free_port();
    let mut command = xlate();
    command.env("XLATE_GDB", port.to_string()).args([exe.to_str().unwrap(), "ret", "7"]);
    let server = command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let s = debug(&gdb, &exe, port, &commands, server);
    assert!(s.transcript.contains(&format!("Cannot access memory at address {main:#x}")), "{}", s.transcript);
    assert_eq!(s.status, Some(7), "{s:?}");
}

#[test]
fn a_bad_port_is_one_line() {
    let hello = guest_bins().join("prebuilt/x86_64-musl/hello");
    let out = xlate().env("XLATE_GDB", "12x").arg(&hello).stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "the guest must not have run");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "xlate: XLATE_GDB=12x: not a TCP port\n");

    // A port that is taken: one line, and the guest does not run.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = xlate().args(["-g", &port]).arg(&hello).stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "the guest must not have run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with(&format!("xlate: -g {port}: cannot listen on 127.0.0.1:{port}: ")), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
