//! The guest's own view of `/proc/self`: `maps`, `smaps`, `auxv` and `cmdline` (also under
//! `/proc/thread-self/` and `/proc/<pid>/` of the guest's own pid) are generated from the
//! guest's mappings and start-up data, as qemu-user does, so that a guest reading them never
//! sees xlate's own memory, arguments or auxiliary vector. An open of one of them returns a
//! memfd holding the text, made at the open (as the kernel makes it at the first read).
//!
//! `maps` keeps the host's lines for the memory that is guest memory, clipped to the guest's
//! mappings, with the guest's protection (guest code is not executable on the host, see
//! docs/ARCHITECTURE.md "Executable memory"), and names the guest's stack `[stack]` and its
//! program break `[heap]`. `smaps` has the same header lines; a mapping that is one host
//! mapping keeps the host's figures, a clipped one reports its size and zero for the rest.

use super::memory::GuestMm;
use super::{err, host, Action, Sysno};
use std::ops::Range;

/// What the guest's /proc files show that the syscall layer cannot learn from guest memory:
/// set by the runtime after loading the program.
#[derive(Clone, Debug, Default)]
pub struct ProcView {
    /// The guest's argv, as it received it.
    pub argv: Vec<Vec<u8>>,
    /// The auxiliary vector as written to the guest's stack, ending with AT_NULL.
    pub auxv: Vec<(u64, u64)>,
    /// The guest's initial stack mapping.
    pub stack: Range<u64>,
    /// Where the guest's program break starts.
    pub brk_start: u64,
    /// The program file and the guest pages that hold its bytes (xlate copies them into
    /// anonymous memory; Linux maps them from the file, and maps name it).
    pub image: Option<ImageFile>,
}

/// A file whose bytes the guest's view shows as mapped from it.
#[derive(Clone, Debug, Default)]
pub struct ImageFile {
    pub path: Vec<u8>,
    /// `st_dev` and `st_ino` of the file.
    pub dev: u64,
    pub inode: u64,
    /// Guest page ranges and the file offset of each one's first byte.
    pub pages: Vec<(Range<u64>, u64)>,
}

/// A generated /proc file.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ProcFile {
    Maps,
    Smaps,
    Auxv,
    Cmdline,
}

/// The entry name after `/proc/self/`, `/proc/thread-self/` or `/proc/<our pid>/` in `path`.
pub fn self_entry(path: &[u8]) -> Option<&[u8]> {
    let rest = path.strip_prefix(b"/proc/")?;
    let slash = rest.iter().position(|&b| b == b'/')?;
    let (who, entry) = (&rest[..slash], &rest[slash + 1..]);
    let ours = who == b"self" || who == b"thread-self" || who == std::process::id().to_string().as_bytes();
    ours.then_some(entry)
}

/// Which generated file `path` names, if any.
pub fn which(path: &[u8]) -> Option<ProcFile> {
    match self_entry(path)? {
        b"maps" => Some(ProcFile::Maps),
        b"smaps" => Some(ProcFile::Smaps),
        b"auxv" => Some(ProcFile::Auxv),
        b"cmdline" => Some(ProcFile::Cmdline),
        _ => None,
    }
}

/// Opens the generated `file` for the guest: a memfd with its text, read-only as the kernel's
/// files are (a write access is EACCES). `guest_flags` are the open flags already converted
/// to the host's encoding.
pub(crate) fn open(file: ProcFile, host_flags: u64, view: &ProcView, mem: &mut dyn GuestMm) -> Action {
    if host_flags as i32 & libc::O_ACCMODE != libc::O_RDONLY {
        return err(libc::EACCES);
    }
    let text = render(file, view, mem);
    let cloexec = if host_flags as i32 & libc::O_CLOEXEC != 0 { libc::MFD_CLOEXEC } else { 0 };
    let name = c"xlate-proc";
    let fd = host::call(Sysno::memfd_create, [name.as_ptr() as u64, cloexec as u64, 0, 0, 0, 0]);
    if fd < 0 {
        return Action::Ret(fd);
    }
    let mut done = 0;
    while done < text.len() {
        let rest = &text[done..];
        let n = host::call(Sysno::write, [fd as u64, rest.as_ptr() as u64, rest.len() as u64, 0, 0, 0]);
        if n <= 0 {
            host::call(Sysno::close, [fd as u64, 0, 0, 0, 0, 0]);
            return err(libc::EIO);
        }
        done += n as usize;
    }
    host::call(Sysno::lseek, [fd as u64, 0, libc::SEEK_SET as u64, 0, 0, 0]);
    Action::Ret(fd)
}

/// The text of `file` now.
pub fn render(file: ProcFile, view: &ProcView, mem: &mut dyn GuestMm) -> Vec<u8> {
    match file {
        ProcFile::Cmdline => view.argv.iter().flat_map(|a| a.iter().copied().chain([0])).collect(),
        ProcFile::Auxv => {
            view.auxv.iter().flat_map(|&(k, v)| k.to_le_bytes().into_iter().chain(v.to_le_bytes())).collect()
        }
        ProcFile::Maps | ProcFile::Smaps => {
            let host_maps = std::fs::read("/proc/self/maps").unwrap_or_default();
            let host_smaps = if file == ProcFile::Smaps {
                std::fs::read("/proc/self/smaps").unwrap_or_default()
            } else {
                Vec::new()
            };
            let heap = view.brk_start..mem.brk(0);
            guest_maps(
                &String::from_utf8_lossy(&host_maps),
                &String::from_utf8_lossy(&host_smaps),
                &mem.regions(),
                view,
                heap,
            )
            .into_bytes()
        }
    }
}

/// A part of a host mapping that is guest memory, with its guest protection.
struct Piece<'a> {
    host: &'a HostLine<'a>,
    start: u64,
    end: u64,
    prot: i32,
}

/// One line of the host's /proc/self/maps.
struct HostLine<'a> {
    range: Range<u64>,
    shared: char,
    offset: u64,
    dev: &'a str,
    inode: &'a str,
    name: &'a str,
}

fn parse_line(line: &str) -> Option<HostLine<'_>> {
    let mut fields = line.splitn(6, ' ');
    let (start, end) = fields.next()?.split_once('-')?;
    let perms = fields.next()?;
    let offset = u64::from_str_radix(fields.next()?, 16).ok()?;
    let dev = fields.next()?;
    let inode = fields.next()?;
    let name = fields.next().unwrap_or("").trim_start();
    Some(HostLine {
        range: u64::from_str_radix(start, 16).ok()?..u64::from_str_radix(end, 16).ok()?,
        shared: perms.chars().nth(3)?,
        offset,
        dev,
        inode,
        name,
    })
}

/// The field lines of each mapping in the host's smaps, by the mapping's start.
fn smaps_fields(smaps: &str) -> hashbrown::HashMap<u64, Vec<&str>> {
    let mut out = hashbrown::HashMap::new();
    let mut current: Option<u64> = None;
    for line in smaps.lines() {
        match parse_line(line) {
            Some(h) if line.split(' ').nth(1).is_some_and(|p| p.len() == 4) => {
                current = Some(h.range.start);
                out.insert(h.range.start, Vec::new());
            }
            _ => {
                if let Some(start) = current {
                    out.get_mut(&start).expect("inserted at its header").push(line);
                }
            }
        }
    }
    out
}

/// The guest's maps (or, with `host_smaps`, smaps) text: the host's lines cut to the guest's
/// `regions` (start, end, guest protection), in address order.
fn guest_maps(
    host_maps: &str,
    host_smaps: &str,
    regions: &[(Range<u64>, i32)],
    view: &ProcView,
    heap: Range<u64>,
) -> String {
    let smaps = (!host_smaps.is_empty()).then(|| smaps_fields(host_smaps));
    let mut out = String::new();
    let host_lines: Vec<HostLine> = host_maps.lines().filter_map(parse_line).collect();
    let mut pieces = Vec::new();
    for h in &host_lines {
        for (region, prot) in regions {
            let start = h.range.start.max(region.start);
            let end = h.range.end.min(region.end);
            if start >= end {
                continue;
            }
            // The stack and the heap are mappings of their own in the guest's view, even where
            // the host merged them with their neighbours.
            let mut cuts = vec![start, end];
            let image_cuts =
                view.image.iter().flat_map(|i| i.pages.iter().flat_map(|(r, _)| [r.start, r.end]));
            for at in [view.stack.start, view.stack.end, heap.start, heap.end].into_iter().chain(image_cuts) {
                if start < at && at < end {
                    cuts.push(at);
                }
            }
            cuts.sort_unstable();
            for piece in cuts.windows(2) {
                let (start, end) = (piece[0], piece[1]);
                if start < end {
                    pieces.push(Piece { host: h, start, end, prot: *prot });
                }
            }
        }
    }
    for Piece { host: h, start, end, prot } in pieces {
        let file_backed = h.inode != "0";
        let mut offset = if file_backed { h.offset + (start - h.range.start) } else { h.offset };
        let (mut dev, mut inode) = (h.dev.to_string(), h.inode.to_string());
        let image_page = view.image.as_ref().and_then(|i| {
            i.pages.iter().find(|(r, _)| r.start <= start && end <= r.end).map(|(r, off)| (i, r.start, *off))
        });
        let image_name;
        let name = if let Some((image, first, file_offset)) = image_page {
            offset = file_offset + (start - first);
            dev = format!("{:02x}:{:02x}", libc::major(image.dev), libc::minor(image.dev));
            inode = image.inode.to_string();
            image_name = String::from_utf8_lossy(&image.path).into_owned();
            &image_name
        } else if view.stack.start <= start && end <= view.stack.end {
            "[stack]"
        } else if heap.start <= start && end <= heap.end {
            "[heap]"
        } else {
            h.name
        };
        let flag = |bit: i32, c: char| if prot & bit != 0 { c } else { '-' };
        let mut line = format!(
            "{start:08x}-{end:08x} {}{}{}{} {offset:08x} {} {} ",
            flag(libc::PROT_READ, 'r'),
            flag(libc::PROT_WRITE, 'w'),
            flag(libc::PROT_EXEC, 'x'),
            h.shared,
            dev,
            inode,
        );
        if !name.is_empty() {
            // The kernel pads the name to column 73 on 64-bit systems.
            while line.len() < 73 {
                line.push(' ');
            }
            line.push_str(name);
        }
        out.push_str(&line);
        out.push('\n');
        if let Some(smaps) = &smaps {
            let whole = start == h.range.start && end == h.range.end;
            for field in smaps.get(&h.range.start).map(Vec::as_slice).unwrap_or(&[]) {
                out.push_str(&smaps_field(field, whole, end - start, prot));
                out.push('\n');
            }
        }
    }
    out
}

/// One field line of smaps for a guest mapping of `len` bytes: the host's figure when the
/// mapping is the whole host mapping, else its size and zero for the rest; `VmFlags` with the
/// guest's read/write/execute.
fn smaps_field(field: &str, whole: bool, len: u64, prot: i32) -> String {
    let Some((key, value)) = field.split_once(':') else {
        return field.to_string();
    };
    if key == "VmFlags" {
        let mut flags: Vec<&str> = vec![];
        for (bit, name) in [(libc::PROT_READ, "rd"), (libc::PROT_WRITE, "wr"), (libc::PROT_EXEC, "ex")] {
            if prot & bit != 0 {
                flags.push(name);
            }
        }
        flags.extend(value.split_whitespace().filter(|f| !matches!(*f, "rd" | "wr" | "ex")));
        return format!("VmFlags: {} ", flags.join(" "));
    }
    let kb = match key {
        "Size" => Some(len / 1024),
        "KernelPageSize" | "MMUPageSize" => None,
        _ if whole || !value.ends_with(" kB") => None,
        _ => Some(0),
    };
    match kb {
        Some(v) => format!("{:<16}{v:>8} kB", format!("{key}:")),
        None => field.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST_MAPS: &str = "\
00400000-00402000 r--p 00000000 fe:00 1234                               /g/prog
00402000-00410000 rw-p 00000000 00:00 0 
55550000-55560000 r-xp 00000000 fe:00 99                                 /usr/bin/xlate
7ff000000000-7ff000020000 rw-p 00000000 00:00 0 
";

    fn view() -> ProcView {
        ProcView {
            argv: vec![],
            auxv: vec![],
            stack: 0x7ff000010000..0x7ff000020000,
            brk_start: 0x404000,
            image: Some(ImageFile {
                path: b"/g/prog".to_vec(),
                dev: libc::makedev(0xfe, 0),
                inode: 1234,
                pages: vec![(0x400000..0x402000, 0)],
            }),
        }
    }

    #[test]
    fn maps_keep_only_guest_memory_with_guest_protection_and_names() {
        let regions = [
            (0x400000..0x401000, libc::PROT_READ | libc::PROT_EXEC),
            (0x401000..0x402000, libc::PROT_READ),
            (0x402000..0x406000, libc::PROT_READ | libc::PROT_WRITE),
            (0x7ff000010000..0x7ff000020000, libc::PROT_READ | libc::PROT_WRITE),
        ];
        let text = guest_maps(HOST_MAPS, "", &regions, &view(), 0x404000..0x406000);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert!(lines[0].starts_with("00400000-00401000 r-xp 00000000 fe:00 1234 "), "{text}");
        assert!(lines[0].ends_with(" /g/prog") && lines[0].find("/g/prog") == Some(73), "{text}");
        assert!(lines[1].starts_with("00401000-00402000 r--p 00001000 fe:00 1234 "), "{text}");
        assert_eq!(lines[2], "00402000-00404000 rw-p 00000000 00:00 0 ");
        assert!(lines[3].starts_with("00404000-00406000 rw-p") && lines[3].ends_with(" [heap]"), "{text}");
        assert!(lines[4].starts_with("7ff000010000-7ff000020000 rw-p") && lines[4].ends_with(" [stack]"));
        assert!(!text.contains("xlate"), "{text}");
    }

    #[test]
    fn smaps_fields_follow_each_line() {
        let smaps = "\
00400000-00402000 r--p 00000000 fe:00 1234                               /g/prog
Size:                  8 kB
KernelPageSize:        4 kB
Rss:                   8 kB
VmFlags: rd mr mw me 
";
        let regions = [(0x400000..0x402000, libc::PROT_READ | libc::PROT_EXEC)];
        let text = guest_maps(HOST_MAPS, smaps, &regions, &view(), 0..0);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[1..],
            [
                "Size:                  8 kB",
                "KernelPageSize:        4 kB",
                "Rss:                   8 kB",
                "VmFlags: rd ex mr mw me "
            ]
        );
        let regions = [(0x400000..0x401000, libc::PROT_READ)];
        let text = guest_maps(HOST_MAPS, smaps, &regions, &view(), 0..0);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[1..],
            [
                "Size:                  4 kB",
                "KernelPageSize:        4 kB",
                "Rss:                   0 kB",
                "VmFlags: rd mr mw me "
            ]
        );
    }

    #[test]
    fn only_our_own_process_is_ours() {
        assert_eq!(which(b"/proc/self/maps"), Some(ProcFile::Maps));
        assert_eq!(which(b"/proc/thread-self/smaps"), Some(ProcFile::Smaps));
        assert_eq!(which(format!("/proc/{}/auxv", std::process::id()).as_bytes()), Some(ProcFile::Auxv));
        assert_eq!(which(b"/proc/1/cmdline"), None);
        assert_eq!(which(b"/proc/self/status"), None);
        assert_eq!(self_entry(b"/proc/self/exe"), Some(&b"exe"[..]));
    }
}
