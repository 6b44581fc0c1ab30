//! Exact instruction counts from qemu-user's log: run a program under
//! `qemu-<arch> -d nochain,exec,in_asm -D FIFO` and feed the FIFO to this tool. Every
//! translated block qemu logs (`IN:` and one line per instruction) gives the instruction
//! count of the block starting at that address; every execution qemu logs (`Trace ...
//! [flags/PC/...] SYMBOL`, one per block run, since `nochain` sends every block through the
//! main loop) adds that count. The result is exact up to blocks cut short by a fault.
//!
//! Each execution is attributed to a class by the symbol qemu names (from the ELF symbol table
//! of the program it runs): `--class NAME=SUBSTRING[,SUBSTRING...]` rules are tried in order;
//! code without a symbol (JIT output: xlate's code cache, Box64's dynarec blocks) is class
//! `translated`; anything else is `other`.
//!
//! Output: one line per class, `CLASS COUNT`, then `total COUNT`, then `blocks-unknown N` (block
//! executions without a preceding `IN:`, which should be 0).
//!
//! `--by-symbol FILE` also writes every symbol's count to FILE (`COUNT EXECUTIONS SYMBOL`, largest
//! first), translated code per block (`translated@ADDRESS`): where a class's instructions go.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};

fn main() {
    let mut rules: Vec<(String, Vec<String>)> = Vec::new();
    let mut input: Option<String> = None;
    let mut by_symbol: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--class" => {
                let spec = args.next().unwrap_or_else(|| usage("--class needs NAME=SUBSTRINGS"));
                let (name, subs) =
                    spec.split_once('=').unwrap_or_else(|| usage("--class needs NAME=SUBSTRINGS"));
                rules.push((name.to_string(), subs.split(',').map(str::to_string).collect()));
            }
            "--by-symbol" => by_symbol = Some(args.next().unwrap_or_else(|| usage("--by-symbol needs FILE"))),
            "-h" | "--help" => usage(""),
            _ if input.is_none() => input = Some(a),
            _ => usage("one input only"),
        }
    }
    let file = std::fs::File::open(input.as_deref().unwrap_or_else(|| usage("no input")))
        .unwrap_or_else(|e| fail(&format!("cannot open the log: {e}")));
    let counts = count(BufReader::with_capacity(1 << 20, file), &rules, by_symbol.is_some());
    if let Some(path) = &by_symbol {
        let mut rows: Vec<_> = counts.by_symbol.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let text: String = rows.iter().map(|(s, (n, e))| format!("{n} {e} {s}\n")).collect();
        std::fs::write(path, text).unwrap_or_else(|e| fail(&format!("cannot write {path}: {e}")));
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut total = 0u64;
    for (class, n) in &counts.by_class {
        let _ = writeln!(out, "{class} {n}");
        total += n;
    }
    let _ = writeln!(out, "total {total}");
    let _ = writeln!(out, "blocks-unknown {}", counts.unknown);
}

fn usage(why: &str) -> ! {
    if !why.is_empty() {
        eprintln!("insn-count: {why}");
    }
    eprintln!("usage: insn-count [--class NAME=SUB1,SUB2]... QEMU_LOG");
    std::process::exit(2)
}

fn fail(why: &str) -> ! {
    eprintln!("insn-count: {why}");
    std::process::exit(1)
}

/// The counts of one log.
#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    /// Instructions per class, in the order of the rules, then `translated` and `other`.
    by_class: Vec<(String, u64)>,
    /// Block executions whose block was never logged.
    unknown: u64,
    /// With `--by-symbol`: instructions and block executions per symbol (translated code per
    /// block address).
    by_symbol: HashMap<String, (u64, u64)>,
}

fn count(input: impl BufRead, rules: &[(String, Vec<String>)], per_symbol: bool) -> Counts {
    let mut by_symbol: HashMap<String, (u64, u64)> = HashMap::new();
    let mut block_len: HashMap<u64, u64> = HashMap::new();
    let mut classes: Vec<(String, u64)> = rules.iter().map(|(n, _)| (n.clone(), 0)).collect();
    classes.push(("translated".into(), 0));
    classes.push(("other".into(), 0));
    let translated = classes.len() - 2;
    let other = classes.len() - 1;
    // Class index by symbol, memoised (a log names few symbols many times).
    let mut class_of: HashMap<String, usize> = HashMap::new();
    let mut unknown = 0;
    // The block being read after an `IN:` line: its first address and its length so far.
    let mut reading: Option<(u64, u64)> = None;
    for line in input.split(b'\n') {
        let Ok(line) = line else { break };
        if let Some((start, len)) = reading {
            if line.starts_with(b"0x") {
                let addr = parse_hex(line[2..].split(|&b| b == b':').next().unwrap_or(b""));
                reading = Some((if len == 0 { addr.unwrap_or(0) } else { start }, len + 1));
                continue;
            }
            if len > 0 {
                block_len.insert(start, len);
            }
            reading = None;
        }
        if line.starts_with(b"IN:") {
            reading = Some((0, 0));
        } else if line.starts_with(b"Trace ") {
            let Some(open) = line.iter().position(|&b| b == b'[') else { continue };
            let Some(close) = line.iter().position(|&b| b == b']') else { continue };
            let fields: Vec<&[u8]> = line[open + 1..close].split(|&b| b == b'/').collect();
            let Some(pc) = fields.get(1).and_then(|f| parse_hex(f)) else { continue };
            let symbol = String::from_utf8_lossy(line[close + 1..].trim_ascii()).into_owned();
            let Some(&n) = block_len.get(&pc) else {
                unknown += 1;
                continue;
            };
            if per_symbol {
                let key = if symbol.is_empty() { format!("translated@{pc:#x}") } else { symbol.clone() };
                let e = by_symbol.entry(key).or_default();
                e.0 += n;
                e.1 += 1;
            }
            let class = *class_of.entry(symbol).or_insert_with_key(|s| {
                if s.is_empty() {
                    return translated;
                }
                rules
                    .iter()
                    .position(|(_, subs)| subs.iter().any(|sub| s.contains(sub.as_str())))
                    .unwrap_or(other)
            });
            classes[class].1 += n;
        }
    }
    Counts { by_class: classes, unknown, by_symbol }
}

fn parse_hex(s: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(s).ok()?.trim();
    u64::from_str_radix(s.trim_start_matches("0x"), 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
IN: _start
0x0000000000401000:  d503201f  nop
0x0000000000401004:  d280001d  movz x29, #0

Trace 0: 0x7fff00 [00000000/0000000000401000/00000000/00000000] _start
IN: helper_fn
0x0000000000402000:  d65f03c0  ret

Trace 0: 0x7fff80 [00000000/0000000000402000/00000000/00000000] xlate_sse_helper
IN:
0x0000007f00001000:  8b010000  add x0, x0, x1
0x0000007f00001004:  8b010000  add x0, x0, x1
0x0000007f00001008:  d65f03c0  ret

Trace 0: 0x7fffa0 [00000000/0000007f00001000/00000000/00000000] 
Trace 0: 0x7fffa0 [00000000/0000007f00001000/00000000/00000000] 
Trace 0: 0x7fffa0 [00000000/0000000000401000/00000000/00000000] _start
Trace 0: 0x7fffa0 [00000000/0000000000500000/00000000/00000000] nowhere
";

    #[test]
    fn counts_block_executions_by_class() {
        let rules = vec![("helpers".to_string(), vec!["helper".to_string()])];
        let c = count(LOG.as_bytes(), &rules, true);
        assert_eq!(c.by_class, vec![("helpers".into(), 1), ("translated".into(), 6), ("other".into(), 4)]);
        assert_eq!(c.unknown, 1);
        assert_eq!(c.by_symbol["translated@0x7f00001000"], (6, 2));
        assert_eq!(c.by_symbol["_start"], (4, 2));
        assert_eq!(c.by_symbol["xlate_sse_helper"], (1, 1));
    }
}
