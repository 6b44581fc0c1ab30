//! The recording of native results: one text file per family under tests/data/x86_diff/, one
//! line per case, so that hosts that cannot run x86-64 code replay the cases against their
//! translation.
//!
//! A line is five tab-separated fields:
//! `name  code  initial-state  initial-memory  outcome`, where
//! - code is the instruction bytes in hex;
//! - a state is `g=<16 GPRs> f=<rflags> m=<mxcsr> x=<32 xmm halves, low first>`, then
//!   `y=<32 halves of the upper ymm halves>` when any is non-zero, each value in hex, lists
//!   comma-separated;
//! - initial memory is `<seed>` followed by `;<offset>:<hex bytes>` writes;
//! - the outcome is `sig=<signal number>` or `<final state> d=<offset>:<hex bytes>,...` (runs
//!   of scratch bytes that changed), where the final state leaves empty every value equal to
//!   the initial state's (`g=,,5,,...`), so that a line shows what the instruction changed and
//!   the large families stay small; a value written out is taken as it is.
//!
//! Lines starting with `#` are comments.

use crate::case::{Case, CpuState, MemInit, Outcome};
use std::collections::BTreeMap;
use std::fmt::Write;

/// A recorded case: what the case list said and what the native run gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub code: Vec<u8>,
    pub init: CpuState,
    pub mem: MemInit,
    pub outcome: Outcome,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err(format!("odd-length hex {s:?}"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| format!("{s:?}: {e}")))
        .collect()
}

fn num(s: &str) -> Result<u64, String> {
    u64::from_str_radix(s, 16).map_err(|e| format!("{s:?}: {e}"))
}

fn state_text(s: &CpuState) -> String {
    state_text_over(s, None)
}

/// `s` as a state text; with a `base`, each value equal to the base's is left empty.
fn state_text_over(s: &CpuState, base: Option<&CpuState>) -> String {
    let value = |v: u64, b: Option<u64>| if b == Some(v) { String::new() } else { format!("{v:x}") };
    let list = |vals: &mut dyn Iterator<Item = (u64, Option<u64>)>| {
        vals.map(|(v, b)| value(v, b)).collect::<Vec<_>>().join(",")
    };
    let halves = |r: &[[u64; 2]; 16], b: Option<&[[u64; 2]; 16]>| {
        list(&mut r.iter().flatten().enumerate().map(|(i, &v)| (v, b.map(|b| b[i / 2][i % 2]))))
    };
    let g = list(&mut s.gpr.iter().enumerate().map(|(i, &v)| (v, base.map(|b| b.gpr[i]))));
    let mut text = format!(
        "g={g} f={} m={} x={}",
        value(s.rflags, base.map(|b| b.rflags)),
        value(s.mxcsr as u64, base.map(|b| b.mxcsr as u64)),
        halves(&s.xmm, base.map(|b| &b.xmm))
    );
    // The upper ymm halves only when one is set (every recording before AVX has them zero).
    if s.ymm_hi.iter().flatten().any(|&v| v != 0) {
        let _ = write!(text, " y={}", halves(&s.ymm_hi, base.map(|b| &b.ymm_hi)));
    }
    text
}

/// A comma-separated list of `n` hex values; an empty one is `base`'s value at that index.
fn values(v: &str, n: usize, base: impl Fn(usize) -> u64, what: &str) -> Result<Vec<u64>, String> {
    let vals: Vec<&str> = v.split(',').collect();
    if vals.len() != n {
        return Err(format!("need {n} {what}"));
    }
    vals.iter().enumerate().map(|(i, t)| if t.is_empty() { Ok(base(i)) } else { num(t) }).collect()
}

/// 16 registers as 32 comma-separated 64-bit halves, low first.
fn halves(v: &str, base: &[[u64; 2]; 16], what: &str) -> Result<[[u64; 2]; 16], String> {
    let vals = values(v, 32, |i| base[i / 2][i % 2], what)?;
    let mut out = [[0u64; 2]; 16];
    for (i, pair) in vals.chunks(2).enumerate() {
        out[i] = [pair[0], pair[1]];
    }
    Ok(out)
}

/// A state text; empty values are `base`'s (the initial state, for an outcome). The upper ymm
/// halves are zero when `y=` is absent, whatever the base.
fn parse_state(words: &[&str], base: &CpuState) -> Result<CpuState, String> {
    let mut s = CpuState { ymm_hi: [[0; 2]; 16], ..base.clone() };
    for w in words {
        let (k, v) = w.split_once('=').ok_or_else(|| format!("bad state word {w:?}"))?;
        let one = |v: &str, b: u64| if v.is_empty() { Ok(b) } else { num(v) };
        match k {
            "g" => {
                let vals = values(v, 16, |i| base.gpr[i], "GPRs")?;
                s.gpr = vals.try_into().map_err(|_| "need 16 GPRs".to_string())?;
            }
            "f" => s.rflags = one(v, base.rflags)?,
            "m" => s.mxcsr = one(v, base.mxcsr as u64)? as u32,
            "x" => s.xmm = halves(v, &base.xmm, "xmm halves")?,
            "y" => s.ymm_hi = halves(v, &base.ymm_hi, "upper ymm halves")?,
            _ => return Err(format!("unknown state key {k:?}")),
        }
    }
    Ok(s)
}

fn mem_text(m: &MemInit) -> String {
    let mut s = format!("{:x}", m.seed);
    for (off, bytes) in &m.writes {
        let _ = write!(s, ";{off:x}:{}", hex(bytes));
    }
    s
}

fn parse_mem(s: &str) -> Result<MemInit, String> {
    let mut parts = s.split(';');
    let seed = num(parts.next().unwrap_or(""))?;
    let mut writes = Vec::new();
    for p in parts {
        let (off, bytes) = p.split_once(':').ok_or_else(|| format!("bad memory write {p:?}"))?;
        writes.push((num(off)? as u32, unhex(bytes)?));
    }
    Ok(MemInit { seed, writes })
}

fn outcome_text(o: &Outcome, init: &CpuState) -> String {
    match o {
        Outcome::Signal(sig) => format!("sig={sig}"),
        Outcome::Done { state, mem } => {
            let mut runs: Vec<(u32, Vec<u8>)> = Vec::new();
            for &(off, b) in mem {
                match runs.last_mut() {
                    Some((start, bytes)) if *start + bytes.len() as u32 == off => bytes.push(b),
                    _ => runs.push((off, vec![b])),
                }
            }
            let d: Vec<String> = runs.iter().map(|(o, b)| format!("{o:x}:{}", hex(b))).collect();
            format!("{} d={}", state_text_over(state, Some(init)), d.join(","))
        }
    }
}

fn parse_outcome(s: &str, init: &CpuState) -> Result<Outcome, String> {
    if let Some(sig) = s.strip_prefix("sig=") {
        return Ok(Outcome::Signal(sig.parse().map_err(|e| format!("{sig:?}: {e}"))?));
    }
    let words: Vec<&str> = s.split(' ').collect();
    let (d, state_words) = words.split_last().ok_or("empty outcome")?;
    let d = d.strip_prefix("d=").ok_or("outcome without d=")?;
    let mut mem = Vec::new();
    for run in d.split(',').filter(|r| !r.is_empty()) {
        let (off, bytes) = run.split_once(':').ok_or_else(|| format!("bad memory run {run:?}"))?;
        let off = num(off)? as u32;
        mem.extend(unhex(bytes)?.into_iter().enumerate().map(|(i, b)| (off + i as u32, b)));
    }
    Ok(Outcome::Done { state: parse_state(state_words, init)?, mem })
}

/// One recording line for `case` and its native outcome.
pub fn line(case: &Case, outcome: &Outcome) -> String {
    format!(
        "{}\t{}\t{}\t{}\t{}",
        case.name,
        hex(&case.code),
        state_text(&case.init),
        mem_text(&case.mem),
        outcome_text(outcome, &case.init)
    )
}

/// Parses a recording file's text into name -> recorded case.
pub fn parse(text: &str) -> Result<BTreeMap<String, Recorded>, String> {
    let mut map = BTreeMap::new();
    for (n, l) in text.lines().enumerate() {
        if l.starts_with('#') || l.trim().is_empty() {
            continue;
        }
        let err = |e: String| format!("line {}: {e}", n + 1);
        let f: Vec<&str> = l.split('\t').collect();
        if f.len() != 5 {
            return Err(err(format!("{} fields, want 5", f.len())));
        }
        let init = parse_state(&f[2].split(' ').collect::<Vec<_>>(), &CpuState::default()).map_err(err)?;
        let rec = Recorded {
            code: unhex(f[1]).map_err(err)?,
            mem: parse_mem(f[3]).map_err(err)?,
            outcome: parse_outcome(f[4], &init).map_err(err)?,
            init,
        };
        map.insert(f[0].to_string(), rec);
    }
    Ok(map)
}

/// The path of a family's recording.
pub fn path(family: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/x86_diff").join(format!("{family}.txt"))
}
