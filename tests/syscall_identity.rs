//! Identity, privilege and IPC calls on whole guest programs (static C, built here for both
//! guests), compared with the oracles: the native run for x86-64, qemu-aarch64-static for
//! AArch64. The privilege drop needs root (CI runs as root): elsewhere it is skipped with a
//! note, and fails under CI=true. `XLATE_RUNNER` prefixes the xlate command, as in
//! tests/guest_bins.rs.

mod support;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Drops every privilege the way a daemon does, checking each step: supplementary groups,
/// gid, a temporary fsuid, uid; then a root-only file must be out of reach and uid 0 out of
/// reach for good. Capabilities are printed before and after.
const PRIVDROP: &str = r#"
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

static void try_open(const char *what, const char *path) {
    int fd = open(path, O_RDONLY);
    printf("%s: %s\n", what, fd >= 0 ? "opened" : strerror(errno));
    if (fd >= 0) close(fd);
}

/* A result and, for a failure, its errno (read after the call, not in printf's arguments,
   whose order of evaluation is unspecified). */
static void report(const char *what, int r) {
    printf("%s: %d %s\n", what, r, r < 0 ? strerror(errno) : "");
}

static void caps(const char *when) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    long r = syscall(SYS_capget, &h, d);
    printf("capget %s: %ld effective %08x %08x permitted %08x %08x\n", when, r,
           d[0].effective, d[1].effective, d[0].permitted, d[1].permitted);
}

int main(int argc, char **argv) {
    const char *secret = argv[1];
    uid_t r, e, s;
    gid_t gr, ge, gs;
    caps("as root");
    try_open("open as root", secret);
    printf("setgroups: %d\n", setgroups(0, NULL));
    printf("getgroups: %d\n", getgroups(0, NULL));
    printf("setresgid: %d\n", setresgid(65534, 65534, 65534));
    getresgid(&gr, &ge, &gs);
    printf("gids %u %u %u egid %u\n", gr, ge, gs, getegid());
    printf("setfsuid(65534) was %d\n", setfsuid(65534));
    try_open("open with fsuid 65534", secret);
    printf("setfsuid(0) was %d\n", setfsuid(0));
    try_open("open with fsuid 0", secret);
    printf("setresuid: %d\n", setresuid(65534, 65534, 65534));
    getresuid(&r, &e, &s);
    printf("uids %u %u %u euid %u uid %u\n", r, e, s, geteuid(), getuid());
    try_open("open after the drop", secret);
    report("setuid(0)", setuid(0));
    report("setreuid(0, 0)", setreuid(0, 0));
    report("setregid(0, 0)", setregid(0, 0));
    report("setgid(0)", setgid(0));
    int was = setfsgid(0);
    printf("setfsgid(0) was %d, now %d\n", was, setfsgid(-1));
    report("chroot", chroot("/"));
    report("pivot_root", (int)syscall(SYS_pivot_root, "/", "/"));
    caps("after the drop");
    /* Asking for every capability back: the permitted set is empty now. */
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct all[2] = {{~0u, ~0u, 0}, {~0u, ~0u, 0}};
    report("capset", (int)syscall(SYS_capset, &h, all));
    return 0;
}
"#;

/// SysV shared memory, semaphores and message queues, and a POSIX message queue, each used
/// for one round trip and removed.
const IPC: &str = r#"
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    int shm = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
    char *p = shmat(shm, NULL, 0);
    char *q = shmat(shm, NULL, SHM_RDONLY);
    strcpy(p, "through shared memory");
    printf("shm: %s\n", q);
    struct shmid_ds ds;
    shmctl(shm, IPC_STAT, &ds);
    printf("shm size %zu attached %lu\n", (size_t)ds.shm_segsz, (unsigned long)ds.shm_nattch);
    printf("shmdt: %d %d\n", shmdt(p), shmdt(q));
    int r = shmdt(p);
    printf("shmdt again: %d %s\n", r, strerror(errno));
    printf("shm rmid: %d\n", shmctl(shm, IPC_RMID, NULL));

    int sem = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
    struct sembuf up = {1, 3, 0};
    r = semop(sem, &up, 1);
    printf("semop: %d value %d\n", r, semctl(sem, 1, GETVAL));
    struct sembuf down = {1, -3, 0}, more = {1, -1, 0};
    struct timespec brief = {0, 1000000};
    r = semtimedop(sem, &down, 1, &brief);
    printf("semtimedop: %d value %d\n", r, semctl(sem, 1, GETVAL));
    r = semtimedop(sem, &more, 1, &brief);
    printf("semtimedop on 0: %d %s\n", r, r < 0 ? strerror(errno) : "");
    printf("sem rmid: %d\n", semctl(sem, 0, IPC_RMID));

    int msq = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    struct { long type; char text[32]; } out = {7, "a message"}, in = {0, ""};
    printf("msgsnd: %d\n", msgsnd(msq, &out, sizeof out.text, 0));
    ssize_t n = msgrcv(msq, &in, sizeof in.text, 0, 0);
    printf("msgrcv: %zd type %ld %s\n", n, in.type, in.text);
    printf("msg rmid: %d\n", msgctl(msq, IPC_RMID, NULL));

    char name[64];
    snprintf(name, sizeof name, "/xlate-test-%d", (int)getpid());
    struct mq_attr attr = {0, 4, 64, 0};
    mqd_t mq = mq_open(name, O_CREAT | O_RDWR, 0600, &attr);
    printf("mq_open: %s\n", mq == (mqd_t)-1 ? strerror(errno) : "ok");
    if (mq != (mqd_t)-1) {
        char buf[64] = "";
        unsigned prio = 0;
        printf("mq_send: %d\n", mq_send(mq, "queued", 7, 5));
        n = mq_receive(mq, buf, sizeof buf, &prio);
        printf("mq_receive: %zd %s prio %u\n", n, buf, prio);
        mq_getattr(mq, &attr);
        printf("mq maxmsg %ld msgsize %ld\n", attr.mq_maxmsg, attr.mq_msgsize);
        printf("mq_unlink: %d\n", mq_unlink(name));
    }
    return 0;
}
"#;

/// openat2 (open flags inside a struct), execveat through fexecve and with a directory fd,
/// mlock2 (the last two only where every run is native: see the comment in `main`).
const NEWER: &str = r#"
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void run(const char *what, int dirfd, const char *path, int flags, char *self) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = {"child", (char *)what, NULL};
        int fd = dirfd == -2 ? open(self, O_RDONLY | O_CLOEXEC) : dirfd;
        if (dirfd == -2) fexecve(fd, argv, environ);
        else syscall(SYS_execveat, fd, path, argv, environ, flags);
        printf("%s failed: %s\n", what, strerror(errno));
        _exit(1);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("%s status %d\n", what, WEXITSTATUS(status));
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[0], "child") == 0) {
        printf("child runs for %s\n", argv[1]);
        return 0;
    }
    struct open_how how = {O_RDONLY | O_DIRECTORY, 0, RESOLVE_NO_SYMLINKS};
    int fd = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how);
    printf("openat2 dir: %s\n", fd >= 0 ? "ok" : strerror(errno));
    how.flags = O_RDONLY | O_DIRECTORY;
    int bad = syscall(SYS_openat2, AT_FDCWD, argv[1], &how, sizeof how);
    printf("openat2 file as dir: %s\n", bad >= 0 ? "opened" : strerror(errno));
    bad = syscall(SYS_openat2, AT_FDCWD, "/", &how, 8);
    printf("openat2 short how: %s\n", bad >= 0 ? "opened" : strerror(errno));
    /* qemu-user, the AArch64 oracle, cannot exec an AArch64 program (no binfmt_misc here)
       and does not implement mlock2: those checks run where the oracle is native. */
    if (argc > 2) {
    run("fexecve", -2, "", 0, argv[1]);
    char dir[4096];
    strcpy(dir, argv[1]);
    char *slash = strrchr(dir, '/');
    *slash = 0;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    run("execveat dirfd", dfd, slash + 1, 0, argv[1]);
    run("execveat nofollow", dfd, slash + 1, AT_SYMLINK_NOFOLLOW, argv[1]);
    run("execveat missing", dfd, "no-such-program", 0, argv[1]);
    static char page[8192] __attribute__((aligned(4096)));
    printf("mlock2: %ld\n", syscall(SYS_mlock2, page, 4096, 0));
    printf("munlock: %d\n", munlock(page, 4096));
    }
    return 0;
}
"#;

fn scratch() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("syscall-identity");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Builds `source` with `cc -static -O2`; `None` (after a note, or a failure under CI) if the
/// compiler is missing.
fn build(cc: &str, package: &str, name: &str, source: &str) -> Option<PathBuf> {
    support::tool("syscall_identity", cc, package)?;
    let src = scratch().join(format!("{name}.c"));
    let exe = scratch().join(name);
    std::fs::write(&src, source).unwrap();
    let out = Command::new(cc).args(["-static", "-O2", "-o"]).arg(&exe).arg(&src).output().unwrap();
    assert!(out.status.success(), "{cc}: {}", String::from_utf8_lossy(&out.stderr));
    Some(exe)
}

fn xlate(exe: &Path, args: &[&str]) -> Output {
    let runner = std::env::var("XLATE_RUNNER").unwrap_or_default();
    let mut words: Vec<String> = runner.split_whitespace().map(String::from).collect();
    words.push(env!("CARGO_BIN_EXE_xlate").to_string());
    Command::new(&words[0])
        .args(&words[1..])
        .arg(exe)
        .args(args)
        .env_remove("QEMU_STRACE")
        .output()
        .expect("xlate runs")
}

/// The oracle for `guest`: the native run for x86-64 (this machine is x86-64 when a runner
/// is set, or xlate itself is an x86-64 build), qemu-aarch64-static for AArch64.
fn oracle(guest: &str, exe: &Path, args: &[&str]) -> Option<Output> {
    if guest == "x86_64" {
        let native = cfg!(target_arch = "x86_64") || std::env::var_os("XLATE_RUNNER").is_some();
        if !native {
            support::missing("syscall_identity", "a native x86-64 oracle", "(an x86-64 machine)");
            return None;
        }
        return Some(Command::new(exe).args(args).output().unwrap());
    }
    let qemu = support::tool("syscall_identity", "qemu-aarch64-static", "qemu-user-static")?;
    Some(Command::new(qemu).arg(exe).args(args).env_remove("QEMU_STRACE").output().unwrap())
}

fn ending(o: &Output) -> String {
    match (o.status.code(), o.status.signal()) {
        (Some(c), _) => format!("exit {c}"),
        (_, Some(s)) => format!("signal {s}"),
        _ => unreachable!(),
    }
}

/// Runs `source` for both guests under the oracle and xlate; stdout and the ending must be
/// the same. Returns xlate's stdout per guest that ran.
fn same_as_oracles(name: &str, source: &str, args: &[&str]) -> Vec<String> {
    same_as_oracles_with(name, source, &|_, _| args.iter().map(|s| s.to_string()).collect())
}

/// [`same_as_oracles`] with arguments that depend on the guest and the program's path.
fn same_as_oracles_with(name: &str, source: &str, args: &dyn Fn(&str, &Path) -> Vec<String>) -> Vec<String> {
    let mut outputs = Vec::new();
    for (guest, cc, package) in
        [("x86_64", "gcc", "gcc"), ("aarch64", "aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu")]
    {
        let Some(exe) = build(cc, package, &format!("{name}-{guest}"), source) else { continue };
        let args = args(guest, &exe);
        let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        let Some(want) = oracle(guest, &exe, &args) else { continue };
        let got = xlate(&exe, &args);
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        assert_eq!(
            text(&got.stdout),
            text(&want.stdout),
            "{guest} {name}: stdout differs from the oracle's; xlate stderr:\n{}",
            text(&got.stderr)
        );
        assert_eq!(ending(&got), ending(&want), "{guest} {name}: {}", text(&got.stderr));
        outputs.push(text(&got.stdout));
    }
    outputs
}

#[test]
fn privilege_drop_matches_the_oracles() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        support::missing("syscall_identity", "root (the privilege drop needs it)", "(run as root)");
        return;
    }
    let secret = scratch().join("root-only");
    std::fs::write(&secret, "secret\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let secret = secret.to_str().unwrap();
    for out in same_as_oracles("privdrop", PRIVDROP, &[secret]) {
        // The oracles agree with these; they are here so that a drop that silently did
        // nothing in both runs cannot pass.
        assert!(out.contains("setresuid: 0\nuids 65534 65534 65534 euid 65534 uid 65534\n"), "{out}");
        assert!(out.contains("open as root: opened\n"), "{out}");
        assert!(out.contains("open after the drop: Permission denied\n"), "{out}");
        assert!(out.contains("setuid(0): -1 Operation not permitted\n"), "{out}");
        assert!(out.contains("chroot: -1 Operation not permitted\n"), "{out}");
        assert!(out.contains("pivot_root: -1 Operation not permitted\n"), "{out}");
        assert!(out.contains("capset: -1 Operation not permitted\n"), "{out}");
    }
}

#[test]
fn sysv_and_posix_ipc_match_the_oracles() {
    for out in same_as_oracles("ipc", IPC, &[]) {
        assert!(out.contains("shm: through shared memory\n"), "{out}");
        assert!(out.contains("msgrcv: 32 type 7 a message\n"), "{out}");
        assert!(out.contains("shmdt again: -1 Invalid argument\n"), "{out}");
        assert!(out.contains("semop: 0 value 3\n"), "{out}");
        assert!(out.contains("mq_receive: 7 queued prio 5\n"), "{out}");
        assert!(out.contains("semtimedop: 0 value 0\n"), "{out}");
        assert!(out.contains("semtimedop on 0: -1 Resource temporarily unavailable\n"), "{out}");
    }
}

#[test]
fn openat2_execveat_and_mlock2_match_the_oracles() {
    let args = |guest: &str, exe: &Path| {
        let mut a = vec![exe.to_str().unwrap().to_string()];
        // Where qemu runs xlate itself (the AArch64 build, `XLATE_RUNNER`), qemu's gaps
        // (exec of an AArch64 program, mlock2) are xlate's too.
        if guest == "x86_64" && std::env::var_os("XLATE_RUNNER").is_none() {
            a.push("exec".into());
        }
        a
    };
    let outs = same_as_oracles_with("newer", NEWER, &args);
    for out in &outs {
        assert!(out.contains("openat2 dir: ok\nopenat2 file as dir: Not a directory\n"), "{out}");
        assert!(out.contains("openat2 short how: Invalid argument\n"), "{out}");
    }
    if let Some(x86) = outs.first().filter(|o| o.contains("fexecve")) {
        assert!(x86.contains("child runs for fexecve\nfexecve status 0\n"), "{x86}");
        assert!(x86.contains("child runs for execveat dirfd\nexecveat dirfd status 0\n"), "{x86}");
        assert!(x86.contains("mlock2: 0\n"), "{x86}");
    }
}
