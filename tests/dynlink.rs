//! Dynamically linked AArch64 guests with a sysroot (`xlate -L DIR`, XLATE_LD_PREFIX,
//! QEMU_LD_PREFIX): C, C++ with libstdc++ and exceptions, dlopen of a library built here,
//! TLS and an IFUNC, built with Debian's cross compilers against the cross sysroot
//! /usr/aarch64-linux-gnu; and busybox, coreutils and python3.11 from Debian's arm64
//! packages unpacked with `dpkg-deb -x` into a sysroot of their own (.ci/install-deps makes
//! it). Each program's stdout and exit status are compared with qemu-aarch64-static's given
//! the same sysroot (the oracle, run here). Also run with the AArch64 build of xlate under
//! `XLATE_RUNNER`, where the AArch64 guest is the host's own ISA.
//!
//! Dynamically linked x86-64 guests, the same programs built with x86_64-linux-gnu-gcc/g++
//! (and lazy binding forced, so that ld.so's fxsave trampoline runs), and Debian's own x86-64
//! programs (coreutils, python3), against the oracle: the program run natively on an x86-64
//! host, qemu-x86_64-static elsewhere. xlate runs them with its default sysroot (`/` on an
//! x86-64 host; Debian's libc6-amd64-cross, /usr/x86_64-linux-gnu, on an AArch64 host).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Debian's AArch64 cross sysroot (libc6-arm64-cross, with libstdc++6-arm64-cross).
const CROSS_SYSROOT: &str = "/usr/aarch64-linux-gnu";
/// Debian arm64 packages (busybox, libc6) unpacked by .ci/install-deps.
const PACKAGE_SYSROOT: &str = "/opt/xlate/sysroot-arm64";

fn xlate_command() -> Command {
    let mut command = support::xlate_command();
    clean_env(&mut command);
    command
}

/// The guest (and qemu) get the same small environment: no XLATE_* or QEMU_* settings.
fn clean_env(command: &mut Command) {
    command.env_clear().env("PATH", "/usr/bin:/bin").env("XL_GREETING", "hi there");
}

/// The directory the test programs are built into.
fn build_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dynlink");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Builds `tests/dynlink/SOURCE` with the AArch64 cross compiler `compiler` (and `flags`)
/// into `OUT` in the build directory; `None` (failing under CI) if the compiler is missing.
fn build(
    test: &str,
    compiler: &str,
    package: &str,
    source: &str,
    out: &str,
    flags: &[&str],
) -> Option<PathBuf> {
    let cc = support::tool(test, compiler, package)?;
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dynlink").join(source);
    let dest = build_dir().join(out);
    let tmp = dest.with_extension(format!("tmp{}", std::process::id()));
    let status = Command::new(cc).args(["-O2", "-o"]).arg(&tmp).arg(&src).args(flags).status().unwrap();
    assert!(status.success(), "{compiler} {source} failed");
    std::fs::rename(&tmp, &dest).unwrap();
    Some(dest)
}

fn qemu(test: &str) -> Option<PathBuf> {
    support::tool(test, "qemu-aarch64-static", "qemu-user-static")
}

/// Whether Debian's AArch64 cross sysroot is installed (failing under CI if not).
fn cross_sysroot(test: &str) -> bool {
    let ok = Path::new(CROSS_SYSROOT).join("lib/ld-linux-aarch64.so.1").exists();
    if !ok {
        support::missing(test, CROSS_SYSROOT, "libc6-arm64-cross");
    }
    ok
}

/// Runs `program args` under xlate and under qemu with the sysroot `root`, and asserts the
/// same stdout and status. Returns xlate's output.
fn same_as_qemu(qemu: &Path, root: &str, program: &Path, args: &[&str]) -> Output {
    let mut oracle = Command::new(qemu);
    clean_env(&mut oracle);
    let want = oracle.arg("-L").arg(root).arg(program).args(args).output().unwrap();
    let got = xlate_command().arg("-L").arg(root).arg(program).args(args).output().unwrap();
    assert_same_as_oracle(program, args, &got, &want);
    got
}

/// Asserts that xlate's run `got` of `program args` has the oracle's (`want`) stdout and exit
/// status, and that the oracle printed something.
fn assert_same_as_oracle(program: &Path, args: &[&str], got: &Output, want: &Output) {
    let show = |o: &Output| {
        format!(
            "status {:?}\n--- stdout\n{}--- stderr\n{}",
            o.status,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    assert!(!want.stdout.is_empty(), "the oracle printed nothing: {}", show(want));
    assert_eq!(
        (got.status.code(), &got.stdout),
        (want.status.code(), &want.stdout),
        "{} {args:?}\n=== xlate: {}\n=== oracle: {}",
        program.display(),
        show(got),
        show(want)
    );
}

#[test]
fn c_hello_matches_qemu() {
    let t = "c_hello_matches_qemu";
    let (Some(qemu), true) = (qemu(t), cross_sysroot(t)) else { return };
    let Some(p) = build(t, "aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu", "hello.c", "hello", &[]) else {
        return;
    };
    let out = same_as_qemu(&qemu, CROSS_SYSROOT, &p, &["one", "two words"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("/proc/self/exe ends in hello\n"));
}

#[test]
fn cxx_exceptions_and_libstdcxx_match_qemu() {
    let t = "cxx_exceptions_and_libstdcxx_match_qemu";
    let (Some(qemu), true) = (qemu(t), cross_sysroot(t)) else { return };
    let Some(p) = build(t, "aarch64-linux-gnu-g++", "g++-aarch64-linux-gnu", "cxx.cc", "cxx", &[]) else {
        return;
    };
    let out = same_as_qemu(&qemu, CROSS_SYSROOT, &p, &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("outer caught: reached the bottom"));
}

#[test]
fn dlopen_matches_qemu() {
    let t = "dlopen_matches_qemu";
    let (Some(qemu), true) = (qemu(t), cross_sysroot(t)) else { return };
    let cc = ("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu");
    let Some(lib) = build(t, cc.0, cc.1, "plugin.c", "libplugin.so", &["-shared", "-fPIC"]) else { return };
    let Some(p) = build(t, cc.0, cc.1, "dlopen.c", "dlopen", &[]) else { return };
    let out = same_as_qemu(&qemu, CROSS_SYSROOT, &p, &[lib.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("plugin_value(6) = 44\n"));
}

#[test]
fn tls_and_ifunc_match_qemu() {
    let t = "tls_and_ifunc_match_qemu";
    let (Some(qemu), true) = (qemu(t), cross_sysroot(t)) else { return };
    let cc = ("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu");
    let Some(p) = build(t, cc.0, cc.1, "tls_ifunc.c", "tls_ifunc", &[]) else { return };
    same_as_qemu(&qemu, CROSS_SYSROOT, &p, &[]);
}

/// The sysroot from XLATE_LD_PREFIX or QEMU_LD_PREFIX; `-L` wins over both; a sysroot
/// without the loader is one clear line.
#[test]
fn sysroot_from_the_environment_and_the_flag() {
    let t = "sysroot_from_the_environment_and_the_flag";
    let (Some(qemu), true) = (qemu(t), cross_sysroot(t)) else { return };
    let cc = ("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu");
    let Some(p) = build(t, cc.0, cc.1, "hello.c", "hello-env", &[]) else { return };
    let mut oracle = Command::new(&qemu);
    clean_env(&mut oracle);
    let want = oracle.arg("-L").arg(CROSS_SYSROOT).arg(&p).output().unwrap();
    for var in ["XLATE_LD_PREFIX", "QEMU_LD_PREFIX"] {
        let got = xlate_command().env(var, CROSS_SYSROOT).arg(&p).output().unwrap();
        assert_eq!((got.status.code(), &got.stdout), (want.status.code(), &want.stdout), "{var}");
    }
    // A sysroot whose loader is an x86-64 program: refused in one line, naming it.
    let wrong = build_dir().join("wrong-sysroot");
    std::fs::create_dir_all(wrong.join("lib")).unwrap();
    let x86 = Path::new(env!("CARGO_MANIFEST_DIR")).join("guest-bins/prebuilt/x86_64-glibc/hello");
    std::fs::copy(x86, wrong.join("lib/ld-linux-aarch64.so.1")).unwrap();
    let good = xlate_command().env("XLATE_LD_PREFIX", &wrong).arg("-L").arg(CROSS_SYSROOT).arg(&p).output();
    let good = good.unwrap();
    assert_eq!((good.status.code(), &good.stdout), (want.status.code(), &want.stdout), "-L wins");
    let bad = xlate_command().env("XLATE_LD_PREFIX", &wrong).arg(&p).output().unwrap();
    let stderr = String::from_utf8_lossy(&bad.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.starts_with("qemu: ")).collect();
    assert_eq!(bad.status.code(), Some(126), "{stderr}");
    assert!(bad.stdout.is_empty());
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("its loader /lib/ld-linux-aarch64.so.1 ("), "{stderr}");
    assert!(lines[0].ends_with(") is for x86-64, not aarch64"), "{stderr}");
}

/// Without -L, an AArch64 guest on an x86-64 host runs with the default sysroot
/// (`loader::default_sysroot`: the host's multiarch arm64 libraries or Debian's cross
/// sysroot) as qemu runs it with the cross sysroot.
#[test]
fn default_sysroot_for_a_foreign_guest() {
    let t = "default_sysroot_for_a_foreign_guest";
    if !cfg!(target_arch = "x86_64") {
        // The AArch64 build: the AArch64 guest is the host's own ISA, whose sysroot is /.
        return;
    }
    let (Some(qemu), true) = (qemu(t), cross_sysroot(t)) else { return };
    let cc = ("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu");
    let Some(p) = build(t, cc.0, cc.1, "hello.c", "hello-default", &[]) else { return };
    let mut oracle = Command::new(&qemu);
    clean_env(&mut oracle);
    let want = oracle.arg("-L").arg(CROSS_SYSROOT).arg(&p).output().unwrap();
    let got = xlate_command().arg(&p).output().unwrap();
    assert_eq!((got.status.code(), &got.stdout), (want.status.code(), &want.stdout));
}

/// --strace shows which paths the sysroot redirected: the loader's open of libc (which the
/// package sysroot has at /lib/aarch64-linux-gnu/libc.so.6).
#[test]
fn strace_shows_the_redirected_path() {
    let t = "strace_shows_the_redirected_path";
    let busybox = Path::new(PACKAGE_SYSROOT).join("bin/busybox");
    if !busybox.exists() {
        support::missing(t, &busybox.display().to_string(), "busybox:arm64 and libc6:arm64, unpacked");
        return;
    }
    let out =
        xlate_command().args(["--strace", "-L", PACKAGE_SYSROOT]).arg(&busybox).arg("true").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line =
        stderr.lines().find(|l| l.contains("openat(") && l.contains("libc.so.6\",") && l.contains(" = 3"));
    let line = line.unwrap_or_else(|| panic!("no successful openat of libc.so.6:\n{stderr}"));
    assert!(
        line.ends_with(&format!("[path in the sysroot: {PACKAGE_SYSROOT}/lib/aarch64-linux-gnu/libc.so.6]")),
        "{line}"
    );
    // /proc is the kernel's, never the sysroot's.
    assert!(!stderr.contains(&format!("[path in the sysroot: {PACKAGE_SYSROOT}/proc")), "{stderr}");
}

/// busybox from Debian's arm64 packages (dynamically linked against the package's libc6),
/// unpacked into a sysroot of its own, on real work: sorting, hashing, counting, a shell
/// script with arithmetic and a loop, sed.
#[test]
fn debian_busybox_matches_qemu() {
    let t = "debian_busybox_matches_qemu";
    let Some(qemu) = qemu(t) else { return };
    let busybox = Path::new(PACKAGE_SYSROOT).join("bin/busybox");
    if !busybox.exists() {
        support::missing(t, &busybox.display().to_string(), "busybox:arm64 and libc6:arm64, unpacked");
        return;
    }
    let input = build_dir().join("busybox-input.txt");
    std::fs::write(&input, "pear 3\napple 10\nfig 7\napple 10\nbanana 1\n").unwrap();
    let input = input.to_str().unwrap();
    let cases: &[&[&str]] = &[
        &["sort", input],
        &["sort", "-k2", "-n", input],
        &["uniq", "-c", input],
        &["sha256sum", input],
        &["md5sum", input],
        &["wc", input],
        &["sed", "s/a/A/g", input],
        &["sh", "-c", "i=0; while [ $i -lt 5 ]; do echo $((i * i)); i=$((i + 1)); done; exit 7"],
        &["awk", "{ s += $2 } END { print s, NR }", input],
    ];
    for args in cases {
        same_as_qemu(&qemu, PACKAGE_SYSROOT, &busybox, args);
    }
}

/// coreutils and python3.11 from Debian's arm64 packages in the same package sysroot, as the
/// x86-64 ones below: listing, sorting, hashing, counting, arithmetic, and Python.
#[test]
fn debian_arm64_coreutils_and_python_match_qemu() {
    let t = "debian_arm64_coreutils_and_python_match_qemu";
    let Some(qemu) = qemu(t) else { return };
    let root = Path::new(PACKAGE_SYSROOT);
    let what = "coreutils and python3.11-minimal (arm64) with their libraries, unpacked";
    if !sysroot_has(t, root, &["bin/ls", "usr/bin/python3.11"], what) {
        return;
    }
    for (program, args) in coreutils_and_python_cases(&fruit_input("arm64-input.txt")) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        same_as_qemu(&qemu, PACKAGE_SYSROOT, &root.join(program), &args);
    }
}

/// Whether the package sysroot `root` holds each of `needed` (failing under CI, with `what`
/// as the missing packages, if not).
fn sysroot_has(test: &str, root: &Path, needed: &[&str], what: &str) -> bool {
    for needed in needed {
        if !root.join(needed).exists() {
            support::missing(test, &root.join(needed).display().to_string(), what);
            return false;
        }
    }
    true
}

/// A small text file for the sorting, hashing and counting runs, in the build directory.
fn fruit_input(name: &str) -> String {
    let input = build_dir().join(name);
    std::fs::write(&input, "pear 3\napple 10\nfig 7\napple 10\nbanana 1\n").unwrap();
    input.to_str().unwrap().to_string()
}

/// The coreutils and python3.11 runs of both package sysroots (program paths relative to the
/// sysroot): listing, sorting, hashing, counting, arithmetic, and Python.
fn coreutils_and_python_cases(input: &str) -> Vec<(&'static str, Vec<String>)> {
    let perf = format!("{}/perf", env!("CARGO_MANIFEST_DIR"));
    let words = |args: &[&str]| args.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    vec![
        ("bin/ls", words(&["-l", "--time-style=+", &perf])),
        ("usr/bin/sort", words(&["-k2", "-n", input])),
        ("usr/bin/sha256sum", words(&[input])),
        ("usr/bin/wc", words(&[input])),
        ("usr/bin/expr", words(&["6", "*", "7"])),
        ("usr/bin/python3.11", words(&["-S", "-c", PYTHON_SCRIPT])),
    ]
}

/// What python3.11 -S runs in the package sysroots: integer, big-integer and float
/// arithmetic, sorting, and where it found its standard library.
const PYTHON_SCRIPT: &str = "print(sum(x ** 3 for x in range(1000)), 2 ** 100, 1 / 3, sorted('the quick brown fox'.split()))\n\
     import sys; print(sys.prefix.endswith('/usr'), sys.prefix.startswith('/opt/xlate/sysroot-'), len(sys.argv))";

/// The oracle for an x86-64 guest: the program itself on an x86-64 host, qemu-x86_64-static
/// (with the x86-64 sysroot) on other hosts; `None` (failing under CI) if qemu is missing.
fn x86_oracle(test: &str, program: &Path) -> Option<Command> {
    if cfg!(target_arch = "x86_64") {
        return Some(Command::new(program));
    }
    let qemu = support::tool(test, "qemu-x86_64-static", "qemu-user-static")?;
    let mut c = Command::new(qemu);
    c.arg(program);
    Some(c)
}

/// Runs the x86-64 `program args` under xlate (default sysroot, `env` added) and under the
/// oracle, and asserts the same stdout and status. Returns xlate's output.
fn same_as_x86_oracle(test: &str, program: &Path, args: &[&str], env: &[(&str, &str)]) -> Option<Output> {
    let mut oracle = x86_oracle(test, program)?;
    clean_env(&mut oracle);
    let want = oracle.args(args).envs(env.iter().copied()).output().unwrap();
    let got = xlate_command().arg(program).args(args).envs(env.iter().copied()).output().unwrap();
    assert_same_as_oracle(program, args, &got, &want);
    Some(got)
}

const X86_CC: (&str, &str) = ("x86_64-linux-gnu-gcc", "gcc-x86-64-linux-gnu");
const X86_CXX: (&str, &str) = ("x86_64-linux-gnu-g++", "g++-x86-64-linux-gnu");
/// Linked for lazy binding: the first call through each PLT slot goes through ld.so's
/// `_dl_runtime_resolve`, which saves the vector registers with fxsave (xlate reports no XSAVE).
const LAZY: &str = "-Wl,-z,lazy";

#[test]
fn x86_64_c_hello_matches_native() {
    let t = "x86_64_c_hello_matches_native";
    let Some(p) = build(t, X86_CC.0, X86_CC.1, "hello.c", "x86-hello", &[LAZY]) else { return };
    let Some(out) = same_as_x86_oracle(t, &p, &["one", "two words"], &[]) else { return };
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("/proc/self/exe ends in x86-hello\n"));
}

#[test]
fn x86_64_cxx_exceptions_and_libstdcxx_match_native() {
    let t = "x86_64_cxx_exceptions_and_libstdcxx_match_native";
    let Some(p) = build(t, X86_CXX.0, X86_CXX.1, "cxx.cc", "x86-cxx", &[LAZY]) else { return };
    let Some(out) = same_as_x86_oracle(t, &p, &[], &[]) else { return };
    assert!(String::from_utf8_lossy(&out.stdout).contains("outer caught: reached the bottom"));
}

#[test]
fn x86_64_dlopen_matches_native() {
    let t = "x86_64_dlopen_matches_native";
    let Some(lib) = build(t, X86_CC.0, X86_CC.1, "plugin.c", "libx86-plugin.so", &["-shared", "-fPIC"])
    else {
        return;
    };
    let Some(p) = build(t, X86_CC.0, X86_CC.1, "dlopen.c", "x86-dlopen", &[LAZY]) else { return };
    let Some(out) = same_as_x86_oracle(t, &p, &[lib.to_str().unwrap()], &[]) else { return };
    assert!(String::from_utf8_lossy(&out.stdout).contains("plugin_value(6) = 44\n"));
}

#[test]
fn x86_64_tls_and_ifunc_match_native() {
    let t = "x86_64_tls_and_ifunc_match_native";
    let Some(p) = build(t, X86_CC.0, X86_CC.1, "tls_ifunc.c", "x86-tls_ifunc", &[]) else { return };
    same_as_x86_oracle(t, &p, &[], &[]);
}

/// Debian's own dynamically linked x86-64 programs doing real work, where they are installed
/// (on an x86-64 host they always are: coreutils is essential). Not built for AArch64 hosts:
/// their /bin holds AArch64 programs, and the x86-64 ones would need a package sysroot of
/// their own.
#[cfg(target_arch = "x86_64")]
#[test]
fn debian_x86_64_programs_match_native() {
    let t = "debian_x86_64_programs_match_native";
    let input = build_dir().join("x86-input.txt");
    std::fs::write(&input, "pear 3\napple 10\nfig 7\napple 10\nbanana 1\n").unwrap();
    let input = input.to_str().unwrap();
    let dir = env!("CARGO_MANIFEST_DIR");
    let cases: &[(&str, &[&str])] = &[
        ("/bin/ls", &["-l", "--time-style=+", dir]),
        ("/usr/bin/sort", &["-k2", "-n", input]),
        ("/usr/bin/uniq", &["-c", input]),
        ("/usr/bin/sha256sum", &[input]),
        ("/usr/bin/wc", &[input]),
        ("/bin/sed", &["s/a/A/g", input]),
        ("/usr/bin/expr", &["6", "*", "7"]),
        ("/bin/sh", &["-c", "i=0; while [ $i -lt 5 ]; do echo $((i * i)); i=$((i + 1)); done; exit 7"]),
    ];
    for (program, args) in cases {
        same_as_x86_oracle(t, Path::new(program), args, &[]);
    }
    let python = Path::new("/usr/bin/python3");
    if python.exists() {
        let script = "import json, hashlib, re\n\
                      d = {'k': [i * i for i in range(10)], 'h': hashlib.sha1(b'xlate').hexdigest()}\n\
                      print(json.dumps(d, sort_keys=True))\n\
                      print(sorted(re.findall(r'[a-z]+', 'the quick brown fox')))\n\
                      print(sum(x ** 3 for x in range(1000)), 2 ** 100, 1 / 3)";
        same_as_x86_oracle(t, python, &["-c", script], &[]);
    }
}

/// Debian amd64 packages (busybox, coreutils, python3.11-minimal and the libraries they link)
/// unpacked by .ci/install-deps.
const AMD64_PACKAGE_SYSROOT: &str = "/opt/xlate/sysroot-amd64";

/// The oracle for an x86-64 program from the amd64 package sysroot: on an x86-64 host the
/// program run natively through the sysroot's own loader and libraries (not the host's: their
/// versions may differ); elsewhere qemu-x86_64-static with the same sysroot.
fn amd64_sysroot_oracle(test: &str, program: &Path) -> Option<Command> {
    let root = AMD64_PACKAGE_SYSROOT;
    if cfg!(target_arch = "x86_64") {
        let mut c = Command::new(format!("{root}/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"));
        c.arg("--library-path")
            .arg(format!("{root}/lib/x86_64-linux-gnu:{root}/usr/lib/x86_64-linux-gnu"))
            .arg("--argv0")
            .arg(program)
            .arg(program);
        return Some(c);
    }
    let qemu = support::tool(test, "qemu-x86_64-static", "qemu-user-static")?;
    let mut c = Command::new(qemu);
    c.arg("-L").arg(root).arg(program);
    Some(c)
}

/// Debian's amd64 busybox, coreutils and python3 from a package sysroot of their own, run
/// with `-L`: in both builds of xlate (on the AArch64 build this is the x86-64 sysroot an
/// AArch64 host needs; its /lib64/ld-linux-x86-64.so.2 is an absolute symlink, which xlate
/// follows inside the sysroot).
#[test]
fn debian_amd64_packages_in_a_sysroot_match_the_oracle() {
    let t = "debian_amd64_packages_in_a_sysroot_match_the_oracle";
    let root = Path::new(AMD64_PACKAGE_SYSROOT);
    let what = "busybox, coreutils and python3.11-minimal (amd64) with their libraries, unpacked";
    if !sysroot_has(t, root, &["bin/busybox", "bin/ls", "usr/bin/python3.11"], what) {
        return;
    }
    let input = fruit_input("amd64-input.txt");
    let busybox = |args: &[&str]| ("bin/busybox", args.iter().map(|a| a.to_string()).collect::<Vec<_>>());
    let mut cases = vec![
        busybox(&["sort", "-k2", "-n", &input]),
        busybox(&["sha256sum", &input]),
        busybox(&["sh", "-c", "i=0; while [ $i -lt 5 ]; do echo $((i * i)); i=$((i + 1)); done; exit 7"]),
        busybox(&["awk", "{ s += $2 } END { print s, NR }", &input]),
    ];
    cases.extend(coreutils_and_python_cases(&input));
    for (program, args) in cases {
        let program = root.join(program);
        let Some(mut oracle) = amd64_sysroot_oracle(t, &program) else { return };
        clean_env(&mut oracle);
        let want = oracle.args(&args).output().unwrap();
        let got = xlate_command().arg("-L").arg(root).arg(&program).args(&args).output().unwrap();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_same_as_oracle(&program, &args, &got, &want);
    }
}
