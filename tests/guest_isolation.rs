//! The guest cannot reach xlate's memory through system calls: a pointer into xlate's own
//! mappings gets EFAULT, as a pointer to unmapped memory does in a native run (x86-64) or
//! under qemu-aarch64-static (AArch64). Static C for both guests, built here.
//!
//! The guest finds xlate's mappings by the name of the xlate binary in the host's maps file,
//! which it opens relative to a directory descriptor of /proc/self (xlate gives the guest its
//! own view of "/proc/self/maps" by path, as qemu-user does; a descriptor-relative open is
//! the host's file); where there are none (the oracles) it probes an address it has just
//! unmapped. It prints one line per call with the distinct outcomes,
//! and on stderr how many of xlate's mappings it probed, which must be more than 0 under xlate.

mod support;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PROBE: &str = r#"
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

enum { CALLS = 19 };
static const char *names[CALLS] = {"write", "read", "readv", "openat", "clock_gettime",
                                   "getrandom", "pipe2", "uname", "setsockopt", "sendmsg",
                                   "fcntl F_GETLK", "sched_setparam", "semop",
                                   "rt_sigqueueinfo", "semctl GETALL", "madvise DONTNEED",
                                   "process_vm_writev self", "mq_notify SIGEV_THREAD cookie",
                                   "futex_waitv waiter"};
static int sock, semid;
/* The distinct errno values (0 for success) seen per call, in order of first sight. */
static int seen[CALLS][8], nseen[CALLS];

static void note(int call, long r) {
    int e = r < 0 ? errno : 0;
    for (int i = 0; i < nseen[call]; i++)
        if (seen[call][i] == e) return;
    if (nseen[call] < 8) seen[call][nseen[call]++] = e;
}

static void probe(char *p, int zero, int out) {
    note(0, write(out, p, 16));
    note(1, read(zero, p, 16));
    struct iovec iov = {p, 16};
    note(2, readv(zero, &iov, 1));
    note(3, syscall(SYS_openat, AT_FDCWD, p, O_RDONLY));
    note(4, syscall(SYS_clock_gettime, CLOCK_MONOTONIC, p));
    note(5, syscall(SYS_getrandom, p, 16, 0));
    note(6, syscall(SYS_pipe2, p, 0));
    note(7, syscall(SYS_uname, p));
    note(8, syscall(SYS_setsockopt, sock, SOL_SOCKET, SO_RCVBUF, p, 4));
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    note(9, syscall(SYS_sendmsg, sock, &msg, 0));
    note(10, syscall(SYS_fcntl, zero, F_GETLK, p));
    note(11, syscall(SYS_sched_setparam, 0, p));
    note(12, syscall(SYS_semop, semid, p, 1));
    /* Signal 0: nothing is delivered should the call succeed. */
    note(13, syscall(SYS_rt_sigqueueinfo, getpid(), 0, p));
    note(14, syscall(SYS_semctl, semid, 0, GETALL, p));
    /* Not a pointer the kernel copies, but it would zero xlate's memory: ENOMEM, as for
       memory that is not mapped. (Not on AArch64: qemu-user, the oracle there, answers 0.) */
#ifdef __x86_64__
    note(15, syscall(SYS_madvise, p, 4096, MADV_DONTNEED));
    /* Aimed at this process, the remote buffer is its own memory. */
    char local[16] = {0};
    struct iovec liov = {local, 16}, riov = {p, 16};
    note(16, syscall(SYS_process_vm_writev, getpid(), &liov, 1, &riov, 1, 0));
    /* (Neither is in qemu-user, the oracle on AArch64: ENOSYS there.)
       The kernel reads the 32-byte cookie before it looks the descriptor up. */
    struct sigevent ev = {.sigev_notify = SIGEV_THREAD, .sigev_value.sival_ptr = p};
    note(17, syscall(SYS_mq_notify, -1, &ev));
    /* A waiter's futex word; the timeout (absolute, CLOCK_MONOTONIC) has passed. */
    struct futex_waitv w = {.val = 0, .uaddr = (unsigned long)p, .flags = FUTEX_32 | FUTEX_PRIVATE_FLAG};
    struct timespec past = {0, 0};
    note(18, syscall(SYS_futex_waitv, &w, 1, 0, &past, CLOCK_MONOTONIC));
#endif
}

int main(int argc, char **argv) {
    const char *name = argv[1];
    int zero = open("/dev/zero", O_RDONLY);
    /* A pipe, not /dev/null: the kernel must read what is written. */
    int fds[2];
    pipe(fds);
    int out = fds[1];
    int pair[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, pair);
    sock = pair[0];
    semid = semget(IPC_PRIVATE, 1, 0600);
    int proc_self = open("/proc/self", O_RDONLY | O_DIRECTORY);
    FILE *maps = fdopen(openat(proc_self, "maps", O_RDONLY), "r");
    static char *starts[256];
    int n = 0;
    char line[4096];
    while (n < 256 && fgets(line, sizeof line, maps)) {
        char *path = strchr(line, '/');
        if (!path) continue;
        path[strcspn(path, "\n")] = 0;
        const char *base = strrchr(path, '/') + 1;
        if (strcmp(base, name) == 0) starts[n++] = (char *)strtoul(line, NULL, 16);
    }
    fclose(maps);
    for (int i = 0; i < n; i++) probe(starts[i], zero, out);
    if (n == 0) {
        char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        munmap(p, 4096);
        probe(p, zero, out);
    }
    for (int c = 0; c < CALLS; c++) {
        if (nseen[c] == 0) continue;
        printf("%s:", names[c]);
        for (int i = 0; i < nseen[c]; i++) printf(" %s", seen[c][i] ? strerror(seen[c][i]) : "ok");
        printf("\n");
    }
    semctl(semid, 0, IPC_RMID);
    fprintf(stderr, "probed %d mappings named %s\n", n, name);
    return 0;
}
"#;

fn scratch() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("guest-isolation");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The guests: name, C compiler and its package.
const GUESTS: [(&str, &str, &str); 2] =
    [("x86_64", "gcc", "gcc"), ("aarch64", "aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu")];

/// `source` built static as `name` (None when the compiler is missing, outside CI).
fn build(cc: &str, package: &str, name: &str, source: &str) -> Option<PathBuf> {
    support::tool("guest_isolation", cc, package)?;
    let src = scratch().join(format!("{name}.c"));
    let exe = scratch().join(name);
    std::fs::write(&src, source).unwrap();
    let out = Command::new(cc).args(["-static", "-O2", "-o"]).arg(&exe).arg(&src).output().unwrap();
    assert!(out.status.success(), "{cc}: {}", String::from_utf8_lossy(&out.stderr));
    Some(exe)
}

/// The oracle's run of `exe` with `arg`: native for x86-64, qemu-aarch64-static for AArch64
/// (None when it is missing, outside CI).
fn oracle(guest: &str, exe: &Path, arg: &str) -> Option<Output> {
    if guest == "x86_64" {
        if !(cfg!(target_arch = "x86_64") || std::env::var_os("XLATE_RUNNER").is_some()) {
            support::missing("guest_isolation", "a native x86-64 oracle", "(an x86-64 machine)");
            return None;
        }
        return Some(Command::new(exe).arg(arg).output().unwrap());
    }
    let qemu = support::tool("guest_isolation", "qemu-aarch64-static", "qemu-user-static")?;
    Some(Command::new(qemu).arg(exe).arg(arg).env_remove("QEMU_STRACE").output().unwrap())
}

fn ending(o: &Output) -> String {
    match (o.status.code(), o.status.signal()) {
        (Some(c), _) => format!("exit {c}"),
        (_, Some(s)) => format!("signal {s}"),
        _ => unreachable!(),
    }
}

#[test]
fn pointers_into_xlate_get_efault_like_unmapped_memory() {
    let xlate = Path::new(env!("CARGO_BIN_EXE_xlate"));
    let xlate_name = xlate.file_name().unwrap().to_str().unwrap();
    for (guest, cc, package) in GUESTS {
        let Some(exe) = build(cc, package, &format!("probe-{guest}"), PROBE) else { continue };
        let Some(want) = oracle(guest, &exe, xlate_name) else { continue };
        let runner = std::env::var("XLATE_RUNNER").unwrap_or_default();
        let mut words: Vec<String> = runner.split_whitespace().map(String::from).collect();
        words.push(xlate.to_str().unwrap().to_string());
        let got = Command::new(&words[0])
            .args(&words[1..])
            .arg(&exe)
            .arg(xlate_name)
            .env_remove("QEMU_STRACE")
            .output()
            .unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let want_out = text(&want.stdout);
        assert!(
            want_out
                .lines()
                .all(|l| l.ends_with(": Bad address") || l == "madvise DONTNEED: Cannot allocate memory"),
            "{guest}: the oracle should see EFAULT everywhere (madvise: ENOMEM):\n{want_out}"
        );
        assert_eq!(text(&got.stdout), want_out, "{guest}: xlate stderr:\n{}", text(&got.stderr));
        assert_eq!(ending(&got), ending(&want), "{guest}: {}", text(&got.stderr));
        let probed: u32 = text(&got.stderr)
            .lines()
            .find_map(|l| l.strip_prefix("probed ")?.split(' ').next()?.parse().ok())
            .expect("the probe's count on stderr");
        assert!(probed > 0, "{guest}: no mapping of xlate probed:\n{}", text(&got.stderr));
    }
}

/// Operations xlate refuses on purpose, because they would act on xlate itself: the errno of
/// the refusal (xlate's treatment table, not an oracle's: natively strict seccomp would kill
/// the process at its next call, and run as root bpf, kexec_load and PR_SET_MM would act), and
/// the process still makes calls afterwards. `--strace` names the refused prctl option.
const REFUSALS: &str = r#"
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/quota.h>
#include <sys/syscall.h>
#include <unistd.h>

static void show(const char *what, long r) {
    printf("%s: %s\n", what, r < 0 ? strerror(errno) : "ok");
}

int main(void) {
    static char buf[256], selector;
    show("prctl PR_SET_SECCOMP strict", prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT));
    /* Strict mode would allow only read, write, exit and sigreturn: the process would die here. */
    show("getppid after", syscall(SYS_getppid));
    show("open after", open("/dev/null", O_RDONLY));
    show("prctl PR_SET_SECCOMP filter", prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, buf));
    show("prctl PR_SET_SYSCALL_USER_DISPATCH",
         prctl(59, 1, 0, 0, &selector));
    show("prctl PR_SET_MM start_brk", prctl(PR_SET_MM, PR_SET_MM_START_BRK, (unsigned long)buf, 0, 0));
    show("bpf", syscall(SYS_bpf, 5, buf, 128));
    show("kexec_load", syscall(SYS_kexec_load, 0, 1, buf, 0));
    show("quotactl unknown command", quotactl(QCMD(0x800077, USRQUOTA), "/", 0, buf));
    return 0;
}
"#;

#[test]
fn refused_operations_do_not_take_effect() {
    let want = "prctl PR_SET_SECCOMP strict: Invalid argument\n\
                getppid after: ok\n\
                open after: ok\n\
                prctl PR_SET_SECCOMP filter: Invalid argument\n\
                prctl PR_SET_SYSCALL_USER_DISPATCH: Invalid argument\n\
                prctl PR_SET_MM start_brk: Operation not permitted\n\
                bpf: Function not implemented\n\
                kexec_load: Operation not permitted\n\
                quotactl unknown command: Invalid argument\n";
    for (guest, cc, package) in GUESTS {
        let Some(exe) = build(cc, package, &format!("refusals-{guest}"), REFUSALS) else { continue };
        let got = support::xlate_command().arg("--strace").arg(&exe).output().unwrap();
        let (stdout, stderr) = (String::from_utf8_lossy(&got.stdout), String::from_utf8_lossy(&got.stderr));
        assert_eq!(stdout, want, "{guest}: xlate stderr:\n{stderr}");
        assert_eq!(ending(&got), "exit 0", "{guest}: {stderr}");
        for reason in ["PR_SET_SECCOMP: ", "PR_SET_SYSCALL_USER_DISPATCH: ", "PR_SET_MM: "] {
            assert!(
                stderr
                    .lines()
                    .any(|l| l.contains(" prctl(") && l.contains(&format!("[refused by xlate: {reason}"))),
                "{guest}: no refused prctl line for {reason}in the strace:\n{stderr}"
            );
        }
        assert!(stderr.lines().any(|l| l.contains(" bpf(") && l.contains("[refused by xlate: ")), "{stderr}");
    }
}

/// The guest's /proc views: /proc/PID/ of its own pid shows what /proc/self/ does (maps,
/// smaps, exe, auxv, cmdline), smaps has the ranges of maps, and neither names the xlate
/// binary; the same lines as the oracle's.
const PROC_VIEWS: &str = r#"
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char a[1 << 20], b[1 << 20];

static long slurp(const char *path, char *buf) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    long n = 0, r;
    while ((r = read(fd, buf + n, (1 << 20) - 1 - n)) > 0) n += r;
    close(fd);
    buf[n] = 0;
    return n;
}

/* The address ranges of a maps or smaps text, one per line, in order. */
static void ranges(char *text, char *out) {
    *out = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *dash = strchr(line, '-'), *space = strchr(line, ' ');
        if (dash && space && dash < space && dash - line >= 8) {
            strncat(out, line, space - line);
            strcat(out, "\n");
        }
    }
}

int main(int argc, char **argv) {
    const char *xlate = argv[1];
    char path[64];
    static char ra[1 << 16], rb[1 << 16];
    snprintf(path, sizeof path, "/proc/%d/maps", getpid());
    slurp("/proc/self/maps", a);
    slurp(path, b);
    printf("/proc/PID/maps is /proc/self/maps: %s\n", strcmp(a, b) ? "no" : "yes");
    printf("maps free of xlate: %s\n", strstr(a, xlate) ? "no" : "yes");
    ranges(a, ra);
    slurp("/proc/self/smaps", b);
    printf("smaps free of xlate: %s\n", strstr(b, xlate) ? "no" : "yes");
    ranges(b, rb);
    printf("smaps ranges are maps': %s\n", strcmp(ra, rb) ? "no" : "yes");
    snprintf(path, sizeof path, "/proc/%d/smaps", getpid());
    slurp(path, a);
    ranges(a, ra);
    printf("/proc/PID/smaps ranges are maps': %s\n", strcmp(ra, rb) ? "no" : "yes");
    char e1[4096] = {0}, e2[4096] = {0};
    snprintf(path, sizeof path, "/proc/%d/exe", getpid());
    readlink("/proc/self/exe", e1, sizeof e1 - 1);
    readlink(path, e2, sizeof e2 - 1);
    printf("/proc/PID/exe is /proc/self/exe: %s\n", strcmp(e1, e2) ? "no" : "yes");
    printf("exe is argv[0]'s: %s\n", strcmp(strrchr(e1, '/'), strrchr(argv[0], '/')) ? "no" : "yes");
    long n1 = slurp("/proc/self/auxv", a), n2;
    snprintf(path, sizeof path, "/proc/%d/auxv", getpid());
    n2 = slurp(path, b);
    printf("/proc/PID/auxv is /proc/self/auxv: %s\n", n1 > 0 && n1 == n2 && !memcmp(a, b, n1) ? "yes" : "no");
    snprintf(path, sizeof path, "/proc/%d/cmdline", getpid());
    n1 = slurp(path, a);
    printf("/proc/PID/cmdline: %ld bytes, argv[1] %s\n", n1, n1 > 0 && strcmp(a + strlen(a) + 1, argv[1]) == 0 ? "second" : "not second");
    return 0;
}
"#;

#[test]
fn proc_pid_of_the_guest_is_its_own_view_like_proc_self() {
    let xlate = env!("CARGO_BIN_EXE_xlate");
    for (guest, cc, package) in GUESTS {
        let Some(exe) = build(cc, package, &format!("procview-{guest}"), PROC_VIEWS) else { continue };
        let Some(want) = oracle(guest, &exe, xlate) else { continue };
        let got = support::xlate_command().arg(&exe).arg(xlate).output().unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        assert!(!text(&want.stdout).contains(": no\n"), "{guest}: the oracle:\n{}", text(&want.stdout));
        assert_eq!(text(&got.stdout), text(&want.stdout), "{guest}: xlate stderr:\n{}", text(&got.stderr));
        assert_eq!(ending(&got), ending(&want), "{guest}");
    }
}
