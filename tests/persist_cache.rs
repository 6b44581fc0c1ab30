//! The persistent translation cache (`runtime::persist`) from the outside: a second run takes
//! the first run's blocks and prints the same; an option that changes translation, a changed
//! program, new code written at the same address by a JIT, and a damaged cache file each get
//! fresh translations; `--no-cache` reads and writes nothing; runs at once leave a valid file.
//!
//! Every expected output is the oracle's: guest-bins/expected (native runs for x86-64
//! guests, qemu-aarch64 for AArch64 ones), and the native run of the crafted program. Each
//! test has a cache directory of its own under the test target directory.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

fn cache_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("persist-cache").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// xlate `args` with its cache in `dir`, the extra environment `env`, and `--stats=json`.
fn run(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = support::xlate_command();
    c.env("XLATE_CACHE_DIR", dir).env_remove("XLATE_NO_CACHE").env_remove("XLATE_CACHE_SIZE");
    c.envs(env.iter().copied()).arg("--stats=json").args(args);
    c.output().unwrap()
}

/// The translation cache counters of a run's `--stats=json` line: loaded, used, rejected,
/// stored.
fn counters(out: &Output) -> [u64; 4] {
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err.lines().find(|l| l.starts_with('{')).unwrap_or_else(|| panic!("no stats in {err}"));
    ["cache_loaded", "cache_used", "cache_rejected", "cache_stored"].map(|name| {
        let tail =
            line.split(&format!("\"{name}\":")).nth(1).unwrap_or_else(|| panic!("no {name} in {line}"));
        tail.split([',', '}']).next().unwrap().parse().unwrap()
    })
}

fn expected(target: &str, case: &str) -> String {
    std::fs::read_to_string(format!("guest-bins/expected/{target}/{case}.stdout")).unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn cache_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    v.sort();
    v
}

#[test]
fn a_second_run_takes_every_block_the_first_stored() {
    for target in ["x86_64-glibc", "aarch64-glibc"] {
        let dir = cache_dir(&format!("second-{target}"));
        let hello = format!("guest-bins/prebuilt/{target}/hello");
        let first = run(&dir, &[], &[&hello]);
        assert_eq!(stdout(&first), expected(target, "hello"));
        let [loaded, used, rejected, stored] = counters(&first);
        assert_eq!((loaded, used, rejected), (0, 0, 0));
        assert!(stored > 100, "{target}: {stored} blocks stored");
        let second = run(&dir, &[], &[&hello]);
        assert_eq!(stdout(&second), expected(target, "hello"));
        assert_eq!(counters(&second), [stored, stored, 0, 0], "{target}");
        assert_eq!(cache_files(&dir).len(), 1);
    }
}

#[test]
fn options_that_change_translation_miss_and_no_cache_touches_nothing() {
    let hello = "guest-bins/prebuilt/x86_64-glibc/hello";
    for (i, (env, args)) in [
        (&[][..], &["--exact-flags", hello][..]),
        (&[("XLATE_EXACT_FLAGS", "1")][..], &[hello][..]),
        (&[("XLATE_MEMORY_MODEL", "relaxed")][..], &[hello][..]),
        (&[][..], &["--memory-model=relaxed", hello][..]),
    ]
    .into_iter()
    .enumerate()
    {
        let dir = cache_dir(&format!("options-{i}"));
        assert!(counters(&run(&dir, &[], &[hello]))[3] > 0);
        let out = run(&dir, env, args);
        assert_eq!(stdout(&out), expected("x86_64-glibc", "hello"));
        let [loaded, used, _, stored] = counters(&out);
        assert_eq!((loaded, used), (0, 0), "{env:?} {args:?}");
        assert!(stored > 0);
        assert_eq!(cache_files(&dir).len(), 2);
    }
    let empty = cache_dir("options-none");
    for (env, args) in [(&[][..], &["--no-cache", hello][..]), (&[("XLATE_NO_CACHE", "1")][..], &[hello][..])]
    {
        let out = run(&empty, env, args);
        assert_eq!(stdout(&out), expected("x86_64-glibc", "hello"));
        assert_eq!(counters(&out), [0, 0, 0, 0]);
        assert!(cache_files(&empty).is_empty());
    }
}

/// A static x86-64 program of one page that exits with `status`: `mov edi, status;
/// mov eax, 60; syscall`, its file mapped read+execute at 0x400000.
fn exit_program(status: u8) -> Vec<u8> {
    let mut f = vec![0u8; 0x1000];
    let mut put = |at: usize, bytes: &[u8]| f[at..at + bytes.len()].copy_from_slice(bytes);
    put(0, b"\x7fELF\x02\x01\x01");
    put(16, &[2, 0, 62, 0, 1, 0, 0, 0]); // ET_EXEC, EM_X86_64, version 1
    put(24, &0x40_0078u64.to_le_bytes()); // e_entry
    put(32, &64u64.to_le_bytes()); // e_phoff
    put(52, &[64, 0, 56, 0, 1, 0]); // e_ehsize, e_phentsize, e_phnum
    put(64, &[1, 0, 0, 0, 5, 0, 0, 0]); // PT_LOAD, R+X
    for (k, v) in [0u64, 0x40_0000, 0x40_0000, 0x1000, 0x1000, 0x1000].iter().enumerate() {
        put(72 + 8 * k, &v.to_le_bytes());
    }
    put(0x78, &[0xbf, status, 0, 0, 0, 0xb8, 60, 0, 0, 0, 0x0f, 0x05]);
    f
}

/// The program rewritten in place with new code of the same size, its modification time set
/// back: the cache file it keys is the same, and only the blocks' own bytes tell.
#[test]
fn a_program_changed_in_place_is_translated_again() {
    use std::os::unix::fs::PermissionsExt;
    let dir = cache_dir("changed");
    let path = dir.join("program");
    std::fs::write(&path, exit_program(7)).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let cache = dir.join("cache");
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    let program = path.to_str().unwrap();
    let native = |status: i32| {
        if cfg!(target_arch = "x86_64") && std::env::var_os("XLATE_RUNNER").is_none() {
            let ran = support::retry_while_text_busy(|| std::process::Command::new(&path).status());
            assert_eq!(ran.unwrap().code(), Some(status));
        }
    };
    native(7);
    let first = run(&cache, &[], &[program]);
    assert_eq!(first.status.code(), Some(7));
    assert_eq!(counters(&first)[3], 1);
    assert_eq!(counters(&run(&cache, &[], &[program]))[..2], [1, 1]);
    // Rewritten in place (same inode and size), the old modification time restored.
    std::fs::write(&path, exit_program(9)).unwrap();
    std::fs::File::options().append(true).open(&path).unwrap().set_modified(mtime).unwrap();
    native(9);
    let changed = run(&cache, &[], &[program]);
    assert_eq!(changed.status.code(), Some(9));
    assert_eq!(counters(&changed), [1, 0, 1, 1]);
    assert_eq!(run(&cache, &[], &[program]).status.code(), Some(9));
    // With its new modification time it keys another file.
    std::fs::File::options()
        .append(true)
        .open(&path)
        .unwrap()
        .set_modified(std::time::SystemTime::now())
        .unwrap();
    let touched = run(&cache, &[], &[program]);
    assert_eq!(touched.status.code(), Some(9));
    assert_eq!(counters(&touched)[..2], [0, 0]);
}

/// guest-bins' smc program: code written, run, rewritten at the same address and run again,
/// by each path a JIT takes. The second run (with the first run's blocks at hand) must run
/// the new code each time too.
#[test]
fn code_rewritten_at_the_same_address_never_runs_the_stored_translation() {
    for target in ["x86_64-glibc", "aarch64-glibc"] {
        let smc = format!("guest-bins/build/{target}/smc");
        if !Path::new(&smc).exists() {
            let built = std::process::Command::new("bash").arg("guest-bins/build.sh").status();
            if !built.is_ok_and(|s| s.success()) || !Path::new(&smc).exists() {
                support::missing("persist_cache smc", &smc, "guest-bins/build.sh's cross compilers");
                return;
            }
        }
        for case in ["rwx", "next-insn", "memfd", "text", "read"] {
            let dir = cache_dir(&format!("smc-{target}-{case}"));
            let want = expected(target, &format!("smc-{case}"));
            let first = run(&dir, &[], &[&smc, case]);
            assert_eq!(stdout(&first), want, "{target} {case}, first run");
            assert!(first.status.success(), "{target} {case}");
            let second = run(&dir, &[], &[&smc, case]);
            assert_eq!(stdout(&second), want, "{target} {case}, second run");
            assert!(second.status.success(), "{target} {case}");
            assert!(counters(&second)[1] > 100, "{target} {case}: {:?}", counters(&second));
        }
    }
}

#[test]
fn a_damaged_cache_file_is_ignored_and_said_only_under_stats() {
    let dir = cache_dir("damaged");
    let hello = "guest-bins/prebuilt/x86_64-glibc/hello";
    let stored = counters(&run(&dir, &[], &[hello]))[3];
    let file = cache_files(&dir).pop().unwrap();
    let whole = std::fs::read(&file).unwrap();
    let half = &whole[..whole.len() / 2];
    let mut flipped = whole.clone();
    flipped[whole.len() / 3] ^= 4;
    for damaged in [half, &flipped[..], b"not a cache file"] {
        std::fs::write(&file, damaged).unwrap();
        let out = run(&dir, &[], &[hello]);
        assert_eq!(stdout(&out), expected("x86_64-glibc", "hello"));
        let err = String::from_utf8_lossy(&out.stderr);
        let said: Vec<&str> = err.lines().filter(|l| !l.starts_with('{')).collect();
        assert_eq!(said.len(), 1, "{err}");
        assert!(said[0].starts_with("xlate: translation cache ") && said[0].contains("ignored"), "{err}");
        assert_eq!(counters(&out), [0, 0, 0, stored]);
        // Without --stats: not a word.
        std::fs::write(&file, damaged).unwrap();
        let mut quiet = support::xlate_command();
        let quiet =
            quiet.env("XLATE_CACHE_DIR", &dir).env_remove("XLATE_NO_CACHE").arg(hello).output().unwrap();
        assert_eq!(stdout(&quiet), expected("x86_64-glibc", "hello"));
        assert_eq!(String::from_utf8_lossy(&quiet.stderr), "");
        // Each run wrote the file anew.
        assert_eq!(counters(&run(&dir, &[], &[hello]))[..2], [stored, stored]);
    }
}

#[test]
fn runs_at_once_leave_one_valid_file() {
    let dir = cache_dir("at-once");
    let hello = "guest-bins/prebuilt/x86_64-glibc/hello";
    let runs: Vec<_> = (0..6)
        .map(|_| {
            let mut c = support::xlate_command();
            c.env("XLATE_CACHE_DIR", &dir).env_remove("XLATE_NO_CACHE").arg("--stats=json").arg(hello);
            c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap()
        })
        .collect();
    let mut stored = 0;
    for child in runs {
        let out = child.wait_with_output().unwrap();
        assert_eq!(stdout(&out), expected("x86_64-glibc", "hello"));
        stored = stored.max(counters(&out)[3]);
    }
    assert_eq!(cache_files(&dir).len(), 1, "{:?}", cache_files(&dir));
    let after = run(&dir, &[], &[hello]);
    assert_eq!(counters(&after), [stored, stored, 0, 0]);
}

#[test]
fn the_size_limit_evicts_the_least_recently_used_file() {
    let dir = cache_dir("limit");
    let x86 = "guest-bins/prebuilt/x86_64-glibc/hello";
    let a64 = "guest-bins/prebuilt/aarch64-glibc/hello";
    run(&dir, &[], &[x86]);
    let x86_file = cache_files(&dir).pop().unwrap();
    let size = std::fs::metadata(&x86_file).unwrap().len();
    std::fs::File::options()
        .append(true)
        .open(&x86_file)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(60))
        .unwrap();
    // Room for the AArch64 hello's file but not for both.
    let scratch = cache_dir("limit-scratch");
    run(&scratch, &[], &[a64]);
    let a64_size = std::fs::metadata(cache_files(&scratch).pop().unwrap()).unwrap().len();
    let limit = format!("{}K", (size.max(a64_size) + size.min(a64_size) / 2) / 1024);
    let out = run(&dir, &[("XLATE_CACHE_SIZE", &limit)], &[a64]);
    assert!(counters(&out)[3] > 0);
    let files = cache_files(&dir);
    assert_eq!(files.len(), 1, "{files:?}");
    assert_ne!(files[0], x86_file);
}
