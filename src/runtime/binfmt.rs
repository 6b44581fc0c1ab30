//! `xlate --binfmt install|uninstall|status`: registering xlate with the kernel's binfmt_misc
//! as the interpreter of the guest ISAs this host cannot run, so that `./prog-arm64` (or a
//! container of the other architecture) runs through xlate without naming it, as
//! qemu-binfmt-conf.sh does for qemu-user.
//!
//! One entry per foreign guest ISA, named `xlate-<isa>`, matching ELF64 little-endian
//! executables and shared objects (ET_EXEC, ET_DYN: static-pie programs and dynamic
//! loaders) of that `e_machine`, with the flags:
//! - `F` (fix binary): the kernel opens xlate when the entry is registered and keeps it open,
//!   so chroots and containers need no xlate inside them;
//! - `P` (preserve argv[0]): the kernel passes the program's own argv[0]; xlate learns that it
//!   was started this way from AT_FLAGS ([`crate::host::auxv`]) and takes argv as
//!   `[xlate, full path of the program, argv[0], args...]`.
//!
//! `C` (credentials from the program, for setuid programs) and `O` (open the program for the
//! interpreter) are not used: xlate does not run setuid guests as such, and it opens the
//! program by the path the kernel passes.
//!
//! The guest ISA of the host's own architecture is never registered: the kernel runs those
//! natively.

use crate::guest::GuestArch;
use std::path::{Path, PathBuf};

/// Where binfmt_misc is normally mounted.
pub const DEFAULT_DIR: &str = "/proc/sys/fs/binfmt_misc";

/// What `--binfmt` was asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinfmtAction {
    Install,
    Uninstall,
    Status,
}

/// The guests this host cannot run natively: the ones to register.
pub fn foreign_guests() -> Vec<GuestArch> {
    GuestArch::ALL.into_iter().filter(|g| g.info().platform() != std::env::consts::ARCH).collect()
}

/// The entry name of a guest ISA ("xlate-aarch64").
pub fn entry_name(guest: GuestArch) -> String {
    format!("xlate-{}", guest.info().platform())
}

/// The registration line for `guest` with interpreter `xlate` (binfmt_misc's
/// `:name:type:offset:magic:mask:interpreter:flags` format; magic and mask as `\xHH`).
pub fn registration(guest: GuestArch, xlate: &Path) -> String {
    let machine = guest.info().elf_machine.to_le_bytes();
    // e_ident: ELFMAG, ELFCLASS64, ELFDATA2LSB, EV_CURRENT, then OSABI (any) and padding;
    // e_type 2 or 3 (mask 0xfe: ET_EXEC and ET_DYN), e_machine.
    let mut magic = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0];
    magic.extend_from_slice(&machine);
    let mut mask = vec![0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00];
    mask.extend_from_slice(&[0xff; 8]);
    mask.extend_from_slice(&[0xfe, 0xff, 0xff, 0xff]);
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("\\x{b:02x}")).collect::<String>();
    format!(":{}:M::{}:{}:{}:FP", entry_name(guest), hex(&magic), hex(&mask), xlate.display())
}

/// Carries out `action` in the binfmt_misc directory `dir`, with `xlate` as the interpreter.
/// Returns the lines to print (for `status`, one per foreign guest), or one line saying what
/// failed.
pub fn run(action: BinfmtAction, dir: &Path, xlate: &Path) -> Result<Vec<String>, String> {
    let register = dir.join("register");
    if !register.exists() {
        return Err(format!(
            "{} is not a binfmt_misc file system (mount it: mount -t binfmt_misc binfmt_misc {})",
            dir.display(),
            dir.display()
        ));
    }
    let mut out = Vec::new();
    for guest in foreign_guests() {
        let entry = dir.join(entry_name(guest));
        match action {
            BinfmtAction::Install => {
                if entry.exists() {
                    remove(&entry)?;
                }
                let line = registration(guest, xlate);
                std::fs::write(&register, &line).map_err(|e| {
                    format!("cannot register {} in {}: {e}", entry_name(guest), register.display())
                })?;
                out.push(format!("{}: registered ({})", entry_name(guest), xlate.display()));
            }
            BinfmtAction::Uninstall => {
                if entry.exists() {
                    remove(&entry)?;
                    out.push(format!("{}: removed", entry_name(guest)));
                } else {
                    out.push(format!("{}: not registered", entry_name(guest)));
                }
            }
            BinfmtAction::Status => match std::fs::read_to_string(&entry) {
                Ok(text) => {
                    let field = |name: &str| {
                        text.lines()
                            .find_map(|l| l.strip_prefix(name))
                            .map(str::trim)
                            .unwrap_or("?")
                            .to_string()
                    };
                    out.push(format!(
                        "{}: {}, interpreter {}, flags {}",
                        entry_name(guest),
                        text.lines().next().unwrap_or("?"),
                        field("interpreter"),
                        field("flags:")
                    ));
                }
                Err(_) => out.push(format!("{}: not registered", entry_name(guest))),
            },
        }
    }
    Ok(out)
}

/// Removes an entry (writing -1 to it, binfmt_misc's way).
fn remove(entry: &Path) -> Result<(), String> {
    std::fs::write(entry, "-1").map_err(|e| format!("cannot remove {}: {e}", entry.display()))
}

/// The interpreter to register: this xlate's own executable, canonical.
pub fn this_xlate() -> Result<PathBuf, String> {
    std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .map_err(|e| format!("cannot find xlate's own executable: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_matches_elf64_executables_of_the_guest() {
        let line = registration(GuestArch::Aarch64, Path::new("/usr/bin/xlate"));
        assert_eq!(
            line,
            ":xlate-aarch64:M::\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\
             \\x02\\x00\\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\
             \\xfe\\xff\\xff\\xff:/usr/bin/xlate:FP"
        );
        let x86 = registration(GuestArch::X86_64, Path::new("/x"));
        assert!(x86.starts_with(":xlate-x86_64:M::") && x86.contains("\\x02\\x00\\x3e\\x00:"), "{x86}");
    }

    #[test]
    fn only_foreign_guests_are_registered() {
        let foreign = foreign_guests();
        assert_eq!(foreign.len(), 1);
        assert_ne!(foreign[0].info().platform(), std::env::consts::ARCH);
    }

    #[test]
    fn a_directory_that_is_not_binfmt_misc_is_one_line() {
        let e = run(BinfmtAction::Status, Path::new("/tmp"), Path::new("/x")).unwrap_err();
        assert!(e.contains("not a binfmt_misc file system"), "{e}");
    }
}
