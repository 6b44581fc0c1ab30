//! `--strace` lines against qemu-user's. The expected strings are lines that
//! `qemu-aarch64-static -strace` (QEMU 10.0) printed for a static glibc program on this
//! machine, with only the pointer values substituted by ours.

use std::ffi::CString;
use std::ops::Range;
use xlate::syscall::abi::{aarch64, x86_64};
use xlate::syscall::strace::{format_call, format_result};
use xlate::syscall::{GuestMm, Sysno};

struct Mem;
impl GuestMm for Mem {
    fn brk(&mut self, _: u64) -> u64 {
        0
    }
    fn mmap(&mut self, _: u64, _: u64, _: u64, _: u64, _: u64, _: u64) -> i64 {
        -12
    }
    fn munmap(&mut self, _: u64, _: u64) -> i64 {
        -22
    }
    fn mprotect(&mut self, _: u64, _: u64, _: u64) -> i64 {
        -22
    }
    fn mremap(&mut self, _: u64, _: u64, _: u64, _: u64, _: u64) -> i64 {
        -22
    }
    fn take_invalidated(&mut self) -> Vec<Range<u64>> {
        Vec::new()
    }
    fn is_accessible(&self, addr: u64, _: u64, _: bool) -> bool {
        addr >= 4096
    }
}

fn line(sys: Sysno, args: &[u64], ret: Option<i64>) -> String {
    let mut a = [0u64; 6];
    a[..args.len()].copy_from_slice(args);
    format!("{}{}", format_call(sys, &a, &aarch64::INFO, &Mem), format_result(sys, ret))
}

const AT_FDCWD: u64 = -100i64 as u64;

#[test]
fn lines_match_qemu() {
    let nonexist = CString::new("/nonexist").unwrap();
    let exe = CString::new("/proc/self/exe").unwrap();
    let tmp = CString::new("/tmp").unwrap();
    let empty = CString::new("").unwrap();
    let p = |c: &CString| c.as_ptr() as u64;
    let cases: Vec<(String, &str)> = vec![
        (line(Sysno::brk, &[0], Some(0x498000)), "brk(NULL) = 0x0000000000498000"),
        (line(Sysno::brk, &[0x498af0], Some(0x498af0)), "brk(0x0000000000498af0) = 0x0000000000498af0"),
        (line(Sysno::set_tid_address, &[0x4980d0], Some(7549)), "set_tid_address(0x4980d0) = 7549"),
        (
            line(Sysno::set_robust_list, &[0x4980e0, 24], Some(-38)),
            "set_robust_list(0x4980e0,24) = -1 errno=38 (Function not implemented)",
        ),
        (
            line(Sysno::prlimit64, &[0, 3, 0, 0x7f67abbfe788], Some(0)),
            "prlimit64(0,RLIMIT_STACK,NULL,0x00007f67abbfe788) = 0",
        ),
        (
            line(Sysno::readlinkat, &[AT_FDCWD, p(&exe), 0x7f67abbfd6f0, 4096], Some(15)),
            "readlinkat(AT_FDCWD,\"/proc/self/exe\",0x00007f67abbfd6f0,4096) = 15",
        ),
        (line(Sysno::getrandom, &[0x496f40, 8, 1], Some(8)), "getrandom(0x496f40,8,1) = 8"),
        (
            line(Sysno::mprotect, &[0x48c000, 16384, 1], Some(0)),
            "mprotect(0x000000000048c000,16384,PROT_READ) = 0",
        ),
        (
            line(Sysno::newfstatat, &[1, p(&empty), 0x7f67abbfe428, 0x1000], Some(0)),
            "newfstatat(1,\"\",0x00007f67abbfe428,0x1000) = 0",
        ),
        (
            line(Sysno::openat, &[AT_FDCWD, p(&nonexist), 0, 0], Some(-2)),
            "openat(AT_FDCWD,\"/nonexist\",O_RDONLY) = -1 errno=2 (No such file or directory)",
        ),
        (
            line(Sysno::newfstatat, &[AT_FDCWD, p(&tmp), 0x7f67abbfe610, 0], Some(0)),
            "newfstatat(AT_FDCWD,\"/tmp\",0x00007f67abbfe610,0) = 0",
        ),
        (
            line(Sysno::rt_sigaction, &[2, 0x7f67abbfe2f8, 0x7f67abbfe390], Some(0)),
            "rt_sigaction(SIGINT,0x00007f67abbfe2f8,0x00007f67abbfe390) = 0",
        ),
        (line(Sysno::write, &[1, 0x457578, 2], Some(2)), "write(1,0x457578,2) = 2"),
        (line(Sysno::exit_group, &[3], None), "exit_group(3)"),
    ];
    for (got, want) in cases {
        assert_eq!(got, want);
    }
}

#[test]
fn flags_are_shown_in_the_guests_encoding() {
    let path = CString::new("/d").unwrap();
    let pp = path.as_ptr() as u64;
    // O_DIRECTORY | O_CLOEXEC differs between the two ABIs; O_CREAT shows the mode.
    let x86 = format_call(Sysno::openat, &[AT_FDCWD, pp, 0o2200000, 0, 0, 0], &x86_64::INFO, &Mem);
    assert_eq!(x86, "openat(AT_FDCWD,\"/d\",O_RDONLY|O_DIRECTORY|O_CLOEXEC)");
    let a64 = format_call(Sysno::openat, &[AT_FDCWD, pp, 0o2040000, 0, 0, 0], &aarch64::INFO, &Mem);
    assert_eq!(a64, "openat(AT_FDCWD,\"/d\",O_RDONLY|O_DIRECTORY|O_CLOEXEC)");
    let creat = format_call(Sysno::openat, &[AT_FDCWD, pp, 0o1101, 0o644, 0, 0], &x86_64::INFO, &Mem);
    assert_eq!(creat, "openat(AT_FDCWD,\"/d\",O_WRONLY|O_CREAT|O_TRUNC,0644)");
    let mmap = format_call(Sysno::mmap, &[0, 8192, 3, 0x22, -1i64 as u64, 0], &x86_64::INFO, &Mem);
    assert_eq!(mmap, "mmap(NULL,8192,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0)");
    assert_eq!(format_result(Sysno::mmap, Some(0x7f0000001000)), " = 0x00007f0000001000");
    // An unreadable string argument is shown as its address.
    let bad = format_call(Sysno::unlink, &[16, 0, 0, 0, 0, 0], &x86_64::INFO, &Mem);
    assert_eq!(bad, "unlink(0x10)");
}
