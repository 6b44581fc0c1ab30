//! The syscall number tables against the kernel's own numbering, read from the uapi headers
//! installed on this machine (x86-64: linux-libc-dev's asm/unistd_64.h; AArch64: the
//! libc6-dev-arm64-cross package's asm-generic/unistd.h). A missing header skips its test
//! with a note.

mod support;

use std::collections::HashMap;
use xlate::syscall::abi::{aarch64, x86_64, SyscallTable};
use xlate::syscall::Sysno;

const X86_64_HEADER: &str = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h";
const AARCH64_ARCH_HEADER: &str = "/usr/aarch64-linux-gnu/include/asm/unistd.h";
const GENERIC_HEADER: &str = "/usr/aarch64-linux-gnu/include/asm-generic/unistd.h";

fn read(path: &str) -> Option<String> {
    let package = if path.starts_with("/usr/aarch64") { "libc6-dev-arm64-cross" } else { "linux-libc-dev" };
    support::file("syscall_tables", path, package)
}

/// `#define __NR_<name> <number>` lines, plus (asm-generic) `#define __NR_<name>
/// __NR3264_<base>` aliases resolved through `#define __NR3264_<base> <number>`, in the parts
/// of the header that the preprocessor keeps for a 64-bit build with the macros in `defined`
/// (arm64's `__ARCH_WANT_*` choices): the 32-bit-only calls (fcntl64, clock_gettime64, ...)
/// are left out, as the kernel leaves them out of arm64's table.
fn parse_defines(text: &str, defined: &[&str]) -> HashMap<String, u32> {
    let mut defined: std::collections::HashSet<String> = defined.iter().map(|s| s.to_string()).collect();
    let mut numbers = HashMap::new();
    let mut nr3264 = HashMap::new();
    // One entry per open #if: whether its branch is kept.
    let mut kept: Vec<bool> = Vec::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let Some(directive) = words.next() else { continue };
        match directive {
            "#ifdef" => kept.push(defined.contains(words.next().unwrap_or(""))),
            "#ifndef" => kept.push(!defined.contains(words.next().unwrap_or(""))),
            "#if" => kept.push(condition(line.trim()[3..].trim(), &defined)),
            "#else" => {
                let top = kept.last_mut().expect("#else without #if");
                *top = !*top;
            }
            "#endif" => {
                kept.pop().expect("#endif without #if");
            }
            _ if !kept.iter().all(|&k| k) => {}
            "#undef" => {
                defined.remove(words.next().unwrap_or(""));
            }
            "#define" => {
                let Some(name) = words.next() else { continue };
                defined.insert(name.split('(').next().unwrap().to_string());
                let Some(value) = words.next() else { continue };
                if let Some(base) = name.strip_prefix("__NR3264_") {
                    nr3264.insert(base.to_string(), value.parse::<u32>().expect("a number"));
                } else if let Some(name) = name.strip_prefix("__NR_") {
                    let n = match value.strip_prefix("__NR3264_") {
                        Some(base) => nr3264[base],
                        None => match value.parse() {
                            Ok(n) => n,
                            Err(_) => continue,
                        },
                    };
                    numbers.insert(name.to_string(), n);
                }
            }
            _ => {}
        }
    }
    assert!(kept.is_empty(), "unbalanced #if");
    // The count, and the first number of the range asm-generic reserves for per-architecture
    // calls (arm64 has none), are not calls.
    numbers.remove("syscalls");
    numbers.remove("arch_specific_syscall");
    numbers
}

/// The `#if` conditions the uapi unistd headers use: `||` or `&&` of `defined(X)`,
/// `!defined(X)` and `__BITS_PER_LONG ==/!= N`, for a 64-bit build.
fn condition(expr: &str, defined: &std::collections::HashSet<String>) -> bool {
    if let Some((a, b)) = expr.split_once("||") {
        return condition(a, defined) || condition(b, defined);
    }
    if let Some((a, b)) = expr.split_once("&&") {
        return condition(a, defined) && condition(b, defined);
    }
    let expr = expr.trim();
    if let Some(rest) = expr.strip_prefix('!') {
        return !condition(rest, defined);
    }
    if let Some(name) = expr.strip_prefix("defined") {
        return defined.contains(name.trim_matches(|c: char| c == '(' || c == ')' || c.is_whitespace()));
    }
    if let Some(rest) = expr.strip_prefix("__BITS_PER_LONG") {
        let rest = rest.trim();
        let (equal, n) = match (rest.strip_prefix("=="), rest.strip_prefix("!=")) {
            (Some(n), _) => (true, n),
            (_, Some(n)) => (false, n),
            _ => panic!("unexpected condition {expr}"),
        };
        return (n.trim() == "64") == equal;
    }
    panic!("unexpected condition {expr}")
}

/// Every number of the kernel's table is in ours (known to xlate, so it has a treatment:
/// forwarded, converted, emulated or refused on purpose; see `syscall::treatment`).
fn check_complete(table: &SyscallTable, kernel: &HashMap<String, u32>, abi: &str) {
    let mut missing: Vec<_> = kernel
        .iter()
        .filter(|&(name, &nr)| table.sysno(nr as u64).map(|s| s.name()) != Some(name.as_str()))
        .map(|(name, nr)| format!("{nr} {name}"))
        .collect();
    missing.sort();
    assert!(missing.is_empty(), "{abi}: kernel calls missing from our table:\n{}", missing.join("\n"));
}

/// Every row matches the kernel, no number or call appears twice, and every call xlate knows
/// that the kernel's table has is in ours.
fn check_table(table: &SyscallTable, kernel: &HashMap<String, u32>, abi: &str) {
    let mut bad = Vec::new();
    let mut seen_numbers = HashMap::new();
    for &(nr, sys) in table.entries() {
        match kernel.get(sys.name()) {
            Some(&k) if k == nr => {}
            Some(&k) => bad.push(format!("{}: ours {nr}, kernel {k}", sys.name())),
            None => bad.push(format!("{}: not in the kernel's {abi} table", sys.name())),
        }
        if let Some(other) = seen_numbers.insert(nr, sys) {
            bad.push(format!("number {nr} twice: {} and {}", other.name(), sys.name()));
        }
        assert_eq!(table.sysno(nr as u64), Some(sys));
        assert_eq!(table.number(sys), Some(nr), "{} listed twice?", sys.name());
    }
    for &sys in Sysno::ALL {
        if kernel.contains_key(sys.name()) && table.number(sys).is_none() {
            bad.push(format!("{}: the kernel has it, our {abi} table lacks it", sys.name()));
        }
    }
    assert!(bad.is_empty(), "{abi} table disagrees with the kernel:\n{}", bad.join("\n"));
}

#[test]
fn x86_64_table_matches_kernel_headers() {
    let Some(text) = read(X86_64_HEADER) else { return };
    let kernel = parse_defines(&text, &[]);
    assert!(kernel.len() > 300, "parsed only {} numbers", kernel.len());
    check_table(&x86_64::TABLE, &kernel, "x86-64");
    check_complete(&x86_64::TABLE, &kernel, "x86-64");
}

#[test]
fn aarch64_table_matches_kernel_headers() {
    let (Some(arch), Some(text)) = (read(AARCH64_ARCH_HEADER), read(GENERIC_HEADER)) else {
        return;
    };
    // arm64's choices among asm-generic's optional calls, which our table relies on.
    for want in ["__ARCH_WANT_RENAMEAT", "__ARCH_WANT_NEW_STAT", "__ARCH_WANT_SET_GET_RLIMIT"] {
        assert!(arch.contains(want), "{AARCH64_ARCH_HEADER} no longer defines {want}");
    }
    // What arm64's asm/unistd.h defines before it includes asm-generic/unistd.h.
    let wants: Vec<&str> = arch
        .lines()
        .filter_map(|l| l.strip_prefix("#define "))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert!(wants.contains(&"__ARCH_WANT_SYS_CLONE3"), "{wants:?}");
    let kernel = parse_defines(&text, &wants);
    assert!(kernel.len() > 250, "parsed only {} numbers", kernel.len());
    for name in ["fcntl64", "clock_gettime64", "mmap2", "sync_file_range2"] {
        assert!(!kernel.contains_key(name), "a 64-bit arm64 build has no {name}");
    }
    // Calls AArch64 does not have must not be in its table.
    for name in ["open", "stat", "fork", "pipe", "dup2", "arch_prctl", "getdents", "select"] {
        assert!(!kernel.contains_key(name), "asm-generic has {name}?");
    }
    check_table(&aarch64::TABLE, &kernel, "aarch64");
    check_complete(&aarch64::TABLE, &kernel, "aarch64");
}

/// The host table (the one of the ISA this test is compiled for) agrees with the libc crate's
/// `SYS_*` constants for this target.
#[test]
fn host_table_matches_libc_constants() {
    use xlate::syscall::host;
    let pairs: &[(Sysno, libc::c_long)] = &[
        (Sysno::read, libc::SYS_read),
        (Sysno::write, libc::SYS_write),
        (Sysno::openat, libc::SYS_openat),
        (Sysno::close, libc::SYS_close),
        (Sysno::fstat, libc::SYS_fstat),
        (Sysno::newfstatat, libc::SYS_newfstatat),
        (Sysno::mmap, libc::SYS_mmap),
        (Sysno::brk, libc::SYS_brk),
        (Sysno::rt_sigaction, libc::SYS_rt_sigaction),
        (Sysno::ioctl, libc::SYS_ioctl),
        (Sysno::clone, libc::SYS_clone),
        (Sysno::execve, libc::SYS_execve),
        (Sysno::exit_group, libc::SYS_exit_group),
        (Sysno::getdents64, libc::SYS_getdents64),
        (Sysno::faccessat, libc::SYS_faccessat),
        (Sysno::pipe2, libc::SYS_pipe2),
        (Sysno::dup3, libc::SYS_dup3),
        (Sysno::ppoll, libc::SYS_ppoll),
        (Sysno::pselect6, libc::SYS_pselect6),
        (Sysno::prlimit64, libc::SYS_prlimit64),
        (Sysno::getrandom, libc::SYS_getrandom),
        (Sysno::statx, libc::SYS_statx),
        (Sysno::rseq, libc::SYS_rseq),
        (Sysno::tgkill, libc::SYS_tgkill),
        (Sysno::futex, libc::SYS_futex),
        (Sysno::renameat, libc::SYS_renameat),
    ];
    for &(sys, nr) in pairs {
        assert_eq!(host::number(sys), Some(nr as u32), "{}", sys.name());
    }
    #[cfg(target_arch = "x86_64")]
    for &(sys, nr) in &[
        (Sysno::open, libc::SYS_open),
        (Sysno::stat, libc::SYS_stat),
        (Sysno::arch_prctl, libc::SYS_arch_prctl),
        (Sysno::fork, libc::SYS_fork),
    ] {
        assert_eq!(host::number(sys), Some(nr as u32), "{}", sys.name());
    }
    #[cfg(target_arch = "aarch64")]
    for sys in [Sysno::open, Sysno::stat, Sysno::arch_prctl, Sysno::fork] {
        assert_eq!(host::number(sys), None, "{}", sys.name());
    }
}

/// `#define NAME <number>` lines whose name starts with `prefix`.
fn numeric_defines(text: &str, prefix: &str) -> HashMap<String, i64> {
    let mut out = HashMap::new();
    for line in text.lines() {
        let mut w = line.split_whitespace();
        if w.next() != Some("#define") {
            continue;
        }
        if let (Some(name), Some(value)) = (w.next(), w.next()) {
            if name.starts_with(prefix) {
                let v = match value.strip_prefix("0x") {
                    Some(hex) => i64::from_str_radix(hex, 16),
                    None => value.parse(),
                };
                if let Ok(v) = v {
                    out.insert(name.to_string(), v);
                }
            }
        }
    }
    out
}

/// The layer passes errno values and signal numbers through unchanged between the x86-64 and
/// AArch64 ABIs: both take errno from asm-generic, and their signal numbers agree.
#[test]
fn errno_and_signal_numbers_agree_between_abis() {
    let (Some(x_errno), Some(a_errno)) = (
        read("/usr/include/x86_64-linux-gnu/asm/errno.h"),
        read("/usr/aarch64-linux-gnu/include/asm/errno.h"),
    ) else {
        return;
    };
    for text in [&x_errno, &a_errno] {
        assert_eq!(text.trim(), "#include <asm-generic/errno.h>");
    }
    let (Some(x_sig), Some(a_sig)) = (
        read("/usr/include/x86_64-linux-gnu/asm/signal.h"),
        read("/usr/aarch64-linux-gnu/include/asm-generic/signal.h"),
    ) else {
        return;
    };
    let (x, a) = (numeric_defines(&x_sig, "SIG"), numeric_defines(&a_sig, "SIG"));
    let names = [
        "SIGHUP",
        "SIGINT",
        "SIGILL",
        "SIGABRT",
        "SIGBUS",
        "SIGUSR1",
        "SIGSEGV",
        "SIGPIPE",
        "SIGCHLD",
        "SIGSTOP",
        "SIGSYS",
        "SIGPWR",
        "SIGIO",
        "SIGWINCH",
        "SIGSTKFLT",
    ];
    for name in names {
        assert!(x.contains_key(name), "{name}");
        assert_eq!(x.get(name), a.get(name), "{name}");
    }
    // Flags of sigaction that the layer passes to the host.
    for name in ["SA_NOCLDSTOP", "SA_NOCLDWAIT", "SA_SIGINFO"] {
        let xs = numeric_defines(&x_sig, "SA_");
        let generic = read("/usr/aarch64-linux-gnu/include/asm-generic/signal-defs.h").unwrap();
        let gs = numeric_defines(&generic, "SA_");
        let gx = read("/usr/include/asm-generic/signal-defs.h").map(|t| numeric_defines(&t, "SA_"));
        let xv = xs.get(name).or(gx.as_ref().and_then(|g| g.get(name)));
        assert!(xv.is_some(), "{name} not found for x86-64");
        assert_eq!(xv, gs.get(name), "{name}");
    }
}

/// The ia32 calls of `int 0x80` (`syscall::abi::ia32`): each row's number is the kernel's for
/// that call in asm/unistd_32.h (the uid/gid getters are its 32-bit-id forms, getuid32 and
/// friends), and each names a call the x86-64 table has, which runs it.
#[test]
fn ia32_int80_table_matches_kernel_header() {
    use xlate::syscall::abi::ia32;
    let Some(text) = read("/usr/include/x86_64-linux-gnu/asm/unistd_32.h") else { return };
    let kernel = parse_defines(&text, &[]);
    let mut bad = Vec::new();
    for &(nr, sys) in ia32::ENTRIES {
        let name = match sys.name() {
            n @ ("getuid" | "getgid" | "geteuid" | "getegid") => format!("{n}32"),
            n => n.to_string(),
        };
        if kernel.get(&name) != Some(&nr) {
            bad.push(format!("{name}: ours {nr}, kernel {:?}", kernel.get(&name)));
        }
        let x86 = ia32::x86_64_number(nr);
        if x86_64::TABLE.sysno(x86) != Some(sys) {
            bad.push(format!("{name}: no x86-64 number"));
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
    // Everything else is refused: marked so that no table knows it.
    let refused = ia32::x86_64_number(500);
    assert_ne!(refused & ia32::REFUSED, 0);
    assert_eq!(x86_64::TABLE.sysno(refused), None);
}
