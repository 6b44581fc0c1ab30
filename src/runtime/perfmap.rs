//! `--perfmap`: the perf map of translated code. Linux `perf` names the samples that fall in
//! JIT-generated code from `/tmp/perf-PID.map`, one line per code range: `START SIZE NAME`
//! (hexadecimal, no 0x). xlate writes a line for every block it translates, named after the
//! guest function it comes from (`guest:NAME+0xOFF`, or `guest:0xADDR` without symbols), so
//! `perf record` / `perf report` on the host show where guest time goes, the convention of
//! QEMU, Box64, FEX and the JVM. A line is written when its block is compiled; perf takes the
//! last line for an address, so retranslations after a flush stay right.

use crate::loader::symbols::Symbols;
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;

/// The open perf map of this process.
pub struct PerfMap {
    file: File,
    symbols: Symbols,
}

impl PerfMap {
    /// The conventional path for this process: `/tmp/perf-PID.map`.
    pub fn default_path() -> PathBuf {
        PathBuf::from(format!("/tmp/perf-{}.map", std::process::id()))
    }

    /// Creates (truncates) the map at `path`; guest code is named with `symbols`.
    pub fn create(path: &std::path::Path, symbols: Symbols) -> std::io::Result<PerfMap> {
        Ok(PerfMap { file: File::create(path)?, symbols })
    }

    /// Records a translated block: host code at `host`, `len` bytes, from guest code at
    /// `guest`. One write per line, so the map is complete whenever the process ends.
    pub fn block(&mut self, host: u64, len: usize, guest: u64) {
        let line = format!("{host:x} {len:x} guest:{}\n", self.symbols.describe(guest));
        // A perf map that cannot be written must not stop the guest: perf will just not name
        // those samples.
        let _ = self.file.write_all(line.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_name_guest_functions() {
        let path = std::env::temp_dir().join(format!("xlate-perfmap-test-{}", std::process::id()));
        let syms = Symbols::from_entries(vec![(0x401000, 0x40, "main".into())]);
        let mut map = PerfMap::create(&path, syms).unwrap();
        map.block(0x7f00_0000_1000, 0x80, 0x401010);
        map.block(0x7f00_0000_1080, 0x20, 0x500000);
        drop(map);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(text, "7f0000001000 80 guest:main+0x10\n7f0000001080 20 guest:0x500000\n");
    }
}
