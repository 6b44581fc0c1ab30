//! The guest executable's function symbols (`.symtab`, else `.dynsym`), for naming guest code
//! in host tools' views of it: the perf map (`--perfmap`) and reports. Read from the file on
//! demand, apart from loading, which needs none of it.

use object::read::elf::ElfFile64;
use object::{LittleEndian, Object, ObjectSymbol, SymbolKind};
use std::path::Path;

/// Function symbols sorted by address, with the load bias applied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Symbols {
    /// (start, size, name); sizes of 0 are extended to the next symbol.
    entries: Vec<(u64, u64, String)>,
}

impl Symbols {
    /// The function symbols of the ELF file at `path` (none if it has no symbol table or
    /// cannot be read: a stripped program is named by addresses alone).
    pub fn read(path: &Path, load_bias: u64) -> Symbols {
        let Ok(data) = std::fs::read(path) else { return Symbols::default() };
        let Ok(file) = ElfFile64::<LittleEndian>::parse(&*data) else { return Symbols::default() };
        let from = |syms: &mut dyn Iterator<Item = (u64, u64, String)>| syms.collect::<Vec<_>>();
        let mut entries = from(&mut file.symbols().filter_map(function));
        if entries.is_empty() {
            entries = from(&mut file.dynamic_symbols().filter_map(function));
        }
        Symbols::from_entries(
            entries.into_iter().map(|(a, s, n)| (a.wrapping_add(load_bias), s, n)).collect(),
        )
    }

    /// A table of the given (start, size, name) entries.
    pub fn from_entries(mut entries: Vec<(u64, u64, String)>) -> Symbols {
        entries.sort();
        entries.dedup_by_key(|e| e.0);
        for i in 0..entries.len() {
            if entries[i].1 == 0 {
                entries[i].1 = entries.get(i + 1).map_or(1, |next| next.0 - entries[i].0);
            }
        }
        Symbols { entries }
    }

    /// The symbol covering `addr` and the offset into it.
    pub fn lookup(&self, addr: u64) -> Option<(&str, u64)> {
        let i = self.entries.partition_point(|e| e.0 <= addr).checked_sub(1)?;
        let (start, size, name) = &self.entries[i];
        (addr - start < *size).then(|| (name.as_str(), addr - start))
    }

    /// `name+0xoff` (or `name`) for `addr`, or the address in hex.
    pub fn describe(&self, addr: u64) -> String {
        match self.lookup(addr) {
            Some((name, 0)) => name.to_string(),
            Some((name, off)) => format!("{name}+{off:#x}"),
            None => format!("{addr:#x}"),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A defined function symbol with a printable name: (address, size, name).
fn function<'d, S: ObjectSymbol<'d>>(sym: S) -> Option<(u64, u64, String)> {
    if sym.kind() != SymbolKind::Text || sym.is_undefined() || sym.address() == 0 {
        return None;
    }
    let name = sym.name().ok()?;
    // Names go into text files read by other tools: keep them to one printable line.
    let name: String = name.chars().map(|c| if c.is_control() || c == ' ' { '?' } else { c }).collect();
    (!name.is_empty()).then_some((sym.address(), sym.size(), name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_by_address() {
        let s = Symbols::from_entries(vec![
            (0x2000, 0x10, "b".into()),
            (0x1000, 0, "a".into()),
            (0x3000, 0x8, "c".into()),
        ]);
        assert_eq!(s.lookup(0x1000), Some(("a", 0)));
        assert_eq!(s.lookup(0x1fff), Some(("a", 0xfff)), "a size of 0 reaches the next symbol");
        assert_eq!(s.lookup(0x2010), None);
        assert_eq!(s.describe(0x3004), "c+0x4");
        assert_eq!(s.describe(0x500), "0x500");
    }

    #[test]
    fn reads_a_real_executable() {
        let hello = Path::new(env!("CARGO_MANIFEST_DIR")).join("guest-bins/prebuilt/x86_64-glibc/hello");
        // The committed hello is stripped: no symbols, and no error either.
        assert!(Symbols::read(&hello, 0).is_empty());
        assert!(Symbols::read(Path::new("/nonexistent"), 0).is_empty());
        // This test binary has a symbol table: this very function is in it.
        let me = std::env::current_exe().unwrap();
        let syms = Symbols::read(&me, 0);
        let here = reads_a_real_executable as fn() as usize as u64;
        // (A PIE test binary is loaded with a bias; find it from this function's own name.)
        let (addr, _, _) = syms
            .entries
            .iter()
            .find(|(_, _, n)| n.contains("reads_a_real_executable"))
            .expect("the test's own symbol");
        let bias = here.wrapping_sub(*addr);
        let biased = Symbols::read(&me, bias);
        assert!(biased.describe(here).contains("reads_a_real_executable"), "{}", biased.describe(here));
    }
}
