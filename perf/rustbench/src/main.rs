//! Rust workloads for perf/bench.sh, single-threaded (xlate does not run guest threads yet).
//! `rustbench sha MIB` hashes MIB MiB with sha2's portable SHA-256; `rustbench deflate MIB`
//! compresses and decompresses MIB MiB of generated text with miniz_oxide; `rustbench regex
//! LINES` searches generated log lines with the regex crate. Each prints a short digest of its
//! work, so that the harness can compare outputs across runs and ISAs.

use sha2::{Digest, Sha256};

/// Deterministic pseudo-random numbers (xorshift64), identical on every ISA.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const WORDS: [&str; 16] = [
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
    "kilo", "lima", "mike", "november", "oscar", "papa",
];

/// About `bytes` bytes of log-like text lines.
fn text(bytes: usize) -> Vec<u8> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::with_capacity(bytes + 128);
    let mut line = 0u64;
    while out.len() < bytes {
        let r = rng.next();
        let level = ["INFO", "WARN", "ERROR", "DEBUG"][(r & 3) as usize];
        let user = r >> 40 & 0xffff;
        let w1 = WORDS[(r >> 8 & 15) as usize];
        let w2 = WORDS[(r >> 12 & 15) as usize];
        let ms = r >> 20 & 0xfff;
        out.extend_from_slice(
            format!("2026-12-04T06:{:02}:{:02} {level} user{user} {w1} {w2} took {ms}ms line={line}\n",
                line / 60 % 60, line % 60).as_bytes(),
        );
        line += 1;
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha(mib: usize) {
    let mut rng = Rng(1);
    let block: Vec<u8> = (0..1 << 20).map(|_| rng.next() as u8).collect();
    let mut h = Sha256::new();
    for i in 0..mib {
        h.update(&block);
        h.update(i.to_le_bytes());
    }
    println!("sha256 {mib} MiB: {}", hex(&h.finalize()));
}

fn deflate(mib: usize) {
    let data = text(mib << 20);
    let packed = miniz_oxide::deflate::compress_to_vec(&data, 6);
    let unpacked = miniz_oxide::inflate::decompress_to_vec(&packed).expect("inflate");
    assert!(unpacked == data, "round trip differs");
    println!("deflate {} bytes -> {} bytes, round trip ok, sha256 {}", data.len(), packed.len(),
        hex(&Sha256::digest(&packed)));
}

fn regex(lines: usize) {
    let data = String::from_utf8(text(lines * 64)).expect("utf8");
    let slow = regex::Regex::new(r"(WARN|ERROR) user(\d+) (\w+) \w+ took (\d{3,})ms").unwrap();
    let (mut n, mut total, mut users) = (0u64, 0u64, 0u64);
    for c in slow.captures_iter(&data) {
        n += 1;
        users = users.wrapping_mul(31).wrapping_add(c[2].parse::<u64>().unwrap());
        total += c[4].parse::<u64>().unwrap();
    }
    let words = regex::Regex::new(r"\b[a-z]+o\b").unwrap().find_iter(&data).count();
    println!("regex: {n} slow warnings, {total} ms, users {users:x}, {words} words ending in o");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n = |i: usize| args.get(i).and_then(|s| s.parse().ok());
    match (args.get(1).map(String::as_str), n(2)) {
        (Some("sha"), Some(k)) => sha(k),
        (Some("deflate"), Some(k)) => deflate(k),
        (Some("regex"), Some(k)) => regex(k),
        _ => {
            eprintln!("usage: rustbench sha MIB | deflate MIB | regex LINES");
            std::process::exit(2);
        }
    }
}
