//! The guest's sysroot (`xlate -L DIR`, `XLATE_LD_PREFIX`, `QEMU_LD_PREFIX`): absolute paths
//! the guest names are looked up in the sysroot first, as qemu-user does, so that a
//! dynamically linked guest's loader finds its own ISA's libraries (`/lib/libc.so.6` is
//! `SYSROOT/lib/libc.so.6` when that exists) and falls back to the host's file otherwise.
//!
//! This is the one place that decides: the loader asks [`Sysroot::resolve`] for the program's
//! interpreter, the syscall layer calls [`redirect`] on every call that takes a path (the
//! table [`path_argument`]) before its handler runs, and execve resolves the new program's
//! path with [`Sysroot::resolve`].
//!
//! Not redirected: relative paths (the guest's working directory is the host's), `/` itself,
//! and the guest's view of the kernel, `/proc`, `/dev` and `/sys`. A sysroot of `/` redirects
//! nothing. An entry counts as present when `lstat` finds it (a dangling symlink too, as in
//! qemu-user); an absolute symlink inside the sysroot is resolved by the host kernel against
//! the host's root, as under qemu-user, except for the program's interpreter, which the
//! loader finds with [`Sysroot::resolve_as_root`] (links followed inside the sysroot).

use super::memory::{read_cstr, GuestMm};
use super::Sysno;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// A directory that stands for `/` when the guest names an absolute path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sysroot {
    root: PathBuf,
}

impl Sysroot {
    /// The sysroot `root`; `None` for `/` (or an empty path), which redirects nothing.
    pub fn new(root: &Path) -> Option<Sysroot> {
        let trimmed = root.as_os_str().as_bytes();
        let trimmed = &trimmed[..trimmed.len() - trimmed.iter().rev().take_while(|&&b| b == b'/').count()];
        if trimmed.is_empty() {
            return None;
        }
        Some(Sysroot { root: PathBuf::from(std::ffi::OsStr::from_bytes(trimmed)) })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The host path for the guest's `path`: `SYSROOT/path` if `path` is absolute, not under
    /// /proc, /dev or /sys, and present in the sysroot; `None` (use `path` itself) otherwise.
    pub fn resolve(&self, path: &[u8]) -> Option<Vec<u8>> {
        if !path.starts_with(b"/") || path.iter().all(|&b| b == b'/') {
            return None;
        }
        let first = path.split(|&b| b == b'/').find(|c| !c.is_empty()).unwrap_or(b"");
        if [&b"proc"[..], b"dev", b"sys"].contains(&first) {
            return None;
        }
        let mut full = self.root.as_os_str().as_bytes().to_vec();
        full.extend_from_slice(path);
        let present = std::fs::symlink_metadata(std::ffi::OsStr::from_bytes(&full)).is_ok();
        present.then_some(full)
    }

    /// The host path of the guest's `path` as if the sysroot were the root directory (as a
    /// chroot or a container sees it): symbolic links met on the way are followed inside the
    /// sysroot, an absolute target starting again at the sysroot. `None` if that does not
    /// reach an existing file.
    ///
    /// For the program's interpreter: Debian's `/lib64/ld-linux-x86-64.so.2` is an absolute
    /// symlink to `/lib/x86_64-linux-gnu/...`, which [`Self::resolve`] (like qemu-user) would
    /// follow on the host, where a host of the other ISA has no such file, or has a loader of
    /// another libc version than the sysroot's.
    pub fn resolve_as_root(&self, path: &[u8]) -> Option<Vec<u8>> {
        /// Links followed before giving up (Linux's limit, MAXSYMLINKS).
        const MAX_LINKS: usize = 40;
        let mut links = 0;
        // Components still to walk (reversed), and the resolved host path so far.
        let mut todo: Vec<Vec<u8>> = Vec::new();
        let push_path = |todo: &mut Vec<Vec<u8>>, p: &[u8]| {
            for c in p.split(|&b| b == b'/').rev().filter(|c| !c.is_empty()) {
                todo.push(c.to_vec());
            }
        };
        if !path.starts_with(b"/") {
            return None;
        }
        push_path(&mut todo, path);
        let root = self.root.as_os_str().as_bytes().to_vec();
        let mut at: Vec<Vec<u8>> = Vec::new(); // components below the root
        while let Some(c) = todo.pop() {
            match &c[..] {
                b"." => continue,
                b".." => {
                    at.pop();
                    continue;
                }
                _ => {}
            }
            at.push(c);
            let mut host = root.clone();
            for part in &at {
                host.push(b'/');
                host.extend_from_slice(part);
            }
            let host_path = Path::new(std::ffi::OsStr::from_bytes(&host));
            let meta = std::fs::symlink_metadata(host_path).ok()?;
            if meta.file_type().is_symlink() {
                links += 1;
                if links > MAX_LINKS {
                    return None;
                }
                let target = std::fs::read_link(host_path).ok()?;
                let target = target.as_os_str().as_bytes();
                at.pop();
                if target.starts_with(b"/") {
                    at.clear();
                }
                push_path(&mut todo, target);
            }
        }
        let mut host = root;
        for part in &at {
            host.push(b'/');
            host.extend_from_slice(part);
        }
        Path::new(std::ffi::OsStr::from_bytes(&host)).is_file().then_some(host)
    }
}

/// The argument of `sys` that holds a path (the one that gets redirected), if any. execve and
/// execveat are not listed: their handler resolves the program's path itself (it reads the
/// path to start a new xlate on it).
pub fn path_argument(sys: Sysno) -> Option<usize> {
    use Sysno::*;
    match sys {
        open | creat | stat | lstat | access | readlink | uselib | statfs | truncate | getxattr
        | lgetxattr | listxattr | llistxattr | utime | utimes => Some(0),
        openat | openat2 | newfstatat | statx | faccessat | faccessat2 | readlinkat | futimesat
        | utimensat | name_to_handle_at => Some(1),
        _ => None,
    }
}

/// A path argument the layer replaced: the host string (which must outlive the call) and the
/// argument it stands in.
pub struct Redirected {
    pub slot: usize,
    pub path: CString,
}

/// If `sys` takes a path that the sysroot redirects, puts the sysroot's path in its place in
/// `args` (a pointer to xlate's own copy, valid while the returned value lives).
///
/// The handlers that look at a path themselves (open and readlink, for /proc/self/exe) read
/// it from guest memory: xlate's copy is not guest memory, so they see no /proc path, which is
/// right, since a redirected path is never under /proc.
pub fn redirect(
    sysroot: Option<&Sysroot>,
    sys: Sysno,
    args: &mut [u64; 6],
    mem: &dyn GuestMm,
) -> Option<Redirected> {
    let root = sysroot?;
    let slot = path_argument(sys)?;
    if args[slot] == 0 {
        return None;
    }
    let path = read_cstr(mem, args[slot], 4096).ok()?;
    let full = root.resolve(&path)?;
    let path = CString::new(full).ok()?;
    args[slot] = path.as_ptr() as u64;
    Some(Redirected { slot, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_absolute_paths_present_in_the_sysroot_only() {
        let dir = std::env::temp_dir().join(format!("xlate-paths-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("lib")).unwrap();
        std::fs::write(dir.join("lib/libfoo.so"), b"x").unwrap();
        std::fs::create_dir_all(dir.join("proc")).unwrap();
        let root = Sysroot::new(&dir).unwrap();
        let inside = |p: &str| format!("{}{p}", dir.display()).into_bytes();
        assert_eq!(root.resolve(b"/lib/libfoo.so"), Some(inside("/lib/libfoo.so")));
        assert_eq!(root.resolve(b"/lib"), Some(inside("/lib")));
        assert_eq!(root.resolve(b"/lib/missing.so"), None);
        assert_eq!(root.resolve(b"lib/libfoo.so"), None, "relative");
        assert_eq!(root.resolve(b"/"), None);
        assert_eq!(root.resolve(b"/proc"), None, "the guest's /proc is the kernel's");
        assert_eq!(root.resolve(b"//proc/self/maps"), None);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(Sysroot::new(Path::new("/")), None);
        assert_eq!(Sysroot::new(Path::new("")), None);
        assert_eq!(Sysroot::new(Path::new("/usr/x/")).unwrap().root(), Path::new("/usr/x"));
    }

    #[test]
    fn resolve_as_root_follows_links_inside_the_sysroot() {
        let dir = std::env::temp_dir().join(format!("xlate-paths-root-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("lib/x86_64-linux-gnu")).unwrap();
        std::fs::create_dir_all(dir.join("lib64")).unwrap();
        std::fs::write(dir.join("lib/x86_64-linux-gnu/ld-test.so"), b"x").unwrap();
        // Absolute, as Debian's /lib64/ld-linux-x86-64.so.2; and relative, with `..`.
        let abs = dir.join("lib64/ld-abs.so");
        let rel = dir.join("lib64/ld-rel.so");
        let _ = std::fs::remove_file(&abs);
        let _ = std::fs::remove_file(&rel);
        std::os::unix::fs::symlink("/lib/x86_64-linux-gnu/ld-test.so", &abs).unwrap();
        std::os::unix::fs::symlink("../lib/./x86_64-linux-gnu/ld-test.so", &rel).unwrap();
        let loop_link = dir.join("lib64/loop");
        let _ = std::fs::remove_file(&loop_link);
        std::os::unix::fs::symlink("/lib64/loop", &loop_link).unwrap();
        let root = Sysroot::new(&dir).unwrap();
        let target = format!("{}/lib/x86_64-linux-gnu/ld-test.so", dir.display()).into_bytes();
        assert_eq!(root.resolve_as_root(b"/lib64/ld-abs.so"), Some(target.clone()));
        assert_eq!(root.resolve_as_root(b"/lib64/ld-rel.so"), Some(target.clone()));
        assert_eq!(root.resolve_as_root(b"/../../lib64/ld-abs.so"), Some(target), "`..` stops at the root");
        assert_eq!(root.resolve_as_root(b"/lib64/loop"), None, "a link loop ends");
        assert_eq!(root.resolve_as_root(b"/lib64/missing"), None);
        assert_eq!(root.resolve_as_root(b"/lib64"), None, "a directory is not a program");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn every_listed_call_takes_a_string_there() {
        for &sys in Sysno::ALL {
            if let Some(slot) = path_argument(sys) {
                let ptrs = super::super::abi::pointers::pointers(sys);
                assert!(
                    ptrs.contains(&super::super::abi::pointers::Ptr::Str(slot)),
                    "{sys:?}: argument {slot} is not described as a string"
                );
            }
        }
    }
}
