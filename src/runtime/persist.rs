//! The persistent translation cache: optimised IR blocks kept in a file between runs, so that
//! a program's second run skips the frontend and the optimiser for the code it ran before
//! (the backend still compiles each block: see docs/ARCHITECTURE.md, "Persistent
//! translation cache").
//!
//! One file per (xlate build, guest ISA, host, translation options, main executable), named
//! by a hash of that key ([`CacheKey`]). Each record is one block: its guest address, every
//! guest code byte the frontend read to make it (and where its reads stopped short, and what
//! it asked `is_mapped` about), and the block ([`crate::ir::codec`]). A record is used only if
//! those bytes read the same now, through the same [`CodeSource`] (which write-protects them
//! as a translation would): changed code, another library at that address, or a JIT that
//! wrote new code there get a fresh translation.
//!
//! Files are written whole, to a temporary name then renamed: a reader sees an old file or a
//! new one. A file whose checksum, magic or key does not match is ignored. A process writes
//! when it ends, only if it translated something new, merging the file as it is then (another
//! process may have written it meanwhile) with what it loaded and what it made. After a
//! write, the oldest files (by modification time; a run that uses a file touches it) go until
//! the directory is under its size limit.

use crate::ir::{self, Block, GuestAddr};
use crate::memory::code::CodeSource;
use hashbrown::{HashMap, HashSet};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The file format's version: part of every key, so a format change misses old files.
const FORMAT: u32 = 1;
const MAGIC: &[u8; 8] = b"XLATEIRC";
const SUFFIX: &str = ".xirc";
/// A record not used by the runs that wrote the file this many times goes at the next write
/// (code at addresses that change from run to run: libraries the kernel placed elsewhere).
pub const KEEP_WRITES: u64 = 16;
/// The default size limit of the cache directory.
pub const DEFAULT_LIMIT: u64 = 256 << 20;

/// Where the cache lives and how big it may grow (from the environment: [`Config::from_env`]).
#[derive(Clone, Debug)]
pub struct Config {
    pub dir: PathBuf,
    pub limit: u64,
    /// Say on stderr (one line) why a cache file was ignored or could not be written.
    pub verbose: bool,
}

impl Config {
    /// `XLATE_CACHE_DIR`, else `$XDG_CACHE_HOME/xlate`, else `$HOME/.cache/xlate`;
    /// `XLATE_CACHE_SIZE` in MiB, or with a `K`, `M` or `G` suffix (default 256M). `None`
    /// when no directory can be named.
    pub fn from_env(verbose: bool) -> Option<Config> {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let dir = var("XLATE_CACHE_DIR")
            .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("xlate")))
            .or_else(|| var("HOME").map(|d| d.join(".cache").join("xlate")))?;
        let limit =
            std::env::var("XLATE_CACHE_SIZE").ok().and_then(|v| parse_size(&v)).unwrap_or(DEFAULT_LIMIT);
        Some(Config { dir, limit, verbose })
    }
}

/// `256`, `256M`, `300K`, `1G`: a size in bytes (a bare number is MiB).
fn parse_size(text: &str) -> Option<u64> {
    let (number, shift) = match text.as_bytes().last()? {
        b'K' | b'k' => (&text[..text.len() - 1], 10),
        b'M' | b'm' => (&text[..text.len() - 1], 20),
        b'G' | b'g' => (&text[..text.len() - 1], 30),
        _ => (text, 20),
    };
    number.parse::<u64>().ok()?.checked_mul(1 << shift)
}

/// Everything a translation depends on besides guest bytes: written into a string, hashed
/// into the file name, and kept whole in the file (a hash collision reads as a miss).
#[derive(Clone, Debug)]
pub struct CacheKey(String);

impl CacheKey {
    /// This xlate (its version, and its executable's identity: a rebuild changes its
    /// modification time), the guest and host ISAs, `options` (every option that changes
    /// translation, spelled by the caller), and the main executable's identity (path,
    /// device, inode, size, modification time: which file of blocks to look in; the blocks
    /// themselves are checked byte by byte).
    pub fn new(guest: &str, host: &str, options: &str, exe: &Path) -> CacheKey {
        let file_id = |p: &Path| match std::fs::metadata(p) {
            Ok(m) => {
                use std::os::unix::fs::MetadataExt;
                format!(
                    "{}:{}:{}:{}:{}.{}",
                    p.display(),
                    m.dev(),
                    m.ino(),
                    m.size(),
                    m.mtime(),
                    m.mtime_nsec()
                )
            }
            Err(_) => format!("{}:?", p.display()),
        };
        let exe = exe.canonicalize().unwrap_or_else(|_| exe.to_path_buf());
        CacheKey(format!(
            "xlate {} format {FORMAT} [{}] guest {guest} host {host} options [{options}] program [{}]",
            env!("CARGO_PKG_VERSION"),
            file_id(
                Path::new("/proc/self/exe").read_link().as_deref().unwrap_or(Path::new("/proc/self/exe"))
            ),
            file_id(&exe),
        ))
    }

    fn file_name(&self) -> String {
        format!("{:016x}{SUFFIX}", fnv(self.0.as_bytes()))
    }
}

/// The cache of one run: the records of its file, and the blocks translated since.
pub struct Persist {
    config: Config,
    key: CacheKey,
    path: PathBuf,
    /// The file's records as loaded: guest address -> record (dependencies, then the
    /// encoded block).
    loaded: Records,
    /// Records loaded that this run used: written back as used by the newest write.
    used: HashSet<u64>,
    /// Records loaded whose bytes had changed: not written back.
    stale: HashSet<u64>,
    /// Records made in this run.
    new: HashMap<u64, Vec<u8>>,
}

/// What the frontend read while translating one block ([`Persist::recorder`]).
pub struct Recorder<'a> {
    code: &'a dyn CodeSource,
    reads: RefCell<Vec<(u64, Vec<u8>, bool)>>,
    mapped: RefCell<Vec<(u64, bool)>>,
}

impl CodeSource for Recorder<'_> {
    fn read_code(&self, addr: GuestAddr, buf: &mut [u8]) -> usize {
        let n = self.code.read_code(addr, buf);
        self.reads.borrow_mut().push((addr.0, buf[..n].to_vec(), n < buf.len()));
        n
    }
    fn is_mapped(&self, addr: GuestAddr) -> bool {
        let mapped = self.code.is_mapped(addr);
        self.mapped.borrow_mut().push((addr.0, mapped));
        mapped
    }
    fn read_code_unprotected(&self, addr: GuestAddr, buf: &mut [u8]) -> usize {
        // A translation that reads without protecting is not kept: poison the record.
        self.mapped.borrow_mut().push((u64::MAX, true));
        self.code.read_code_unprotected(addr, buf)
    }
}

impl Recorder<'_> {
    /// The record of the block translated through this recorder: its dependencies, merged
    /// into byte intervals, then `block`. `None` if it cannot be kept (it calls a helper,
    /// read without protecting, or read two different values of a byte).
    fn into_record(self, block: &Block) -> Option<Vec<u8>> {
        let mut reads = self.reads.into_inner();
        let mapped = self.mapped.into_inner();
        if mapped.iter().any(|&(a, _)| a == u64::MAX) {
            return None;
        }
        reads.sort_by_key(|r| r.0);
        // Merged intervals of bytes read, and the addresses where a read stopped short.
        let mut intervals: Vec<(u64, Vec<u8>)> = Vec::new();
        let mut stops: Vec<u64> = Vec::new();
        for (addr, bytes, short) in reads {
            if short {
                stops.push(addr + bytes.len() as u64);
            }
            if bytes.is_empty() {
                continue;
            }
            match intervals.last_mut() {
                Some((start, have)) if addr <= *start + have.len() as u64 => {
                    let at = (addr - *start) as usize;
                    let overlap = (have.len() - at).min(bytes.len());
                    if have[at..at + overlap] != bytes[..overlap] {
                        return None;
                    }
                    have.extend_from_slice(&bytes[overlap..]);
                }
                _ => intervals.push((addr, bytes)),
            }
        }
        stops.sort_unstable();
        stops.dedup();
        let mut out = Vec::new();
        put(&mut out, intervals.len() as u64);
        for (addr, bytes) in &intervals {
            put(&mut out, *addr);
            put(&mut out, bytes.len() as u64);
            out.extend_from_slice(bytes);
        }
        put(&mut out, stops.len() as u64);
        for s in &stops {
            put(&mut out, *s);
        }
        put(&mut out, mapped.len() as u64);
        for (addr, m) in &mapped {
            put(&mut out, *addr);
            put(&mut out, u64::from(*m));
        }
        ir::codec::encode(block, &mut out).then_some(out)
    }
}

/// Whether the dependencies at the start of `record` hold in `code` now; the encoded block
/// after them if so.
fn check<'r>(record: &'r [u8], code: &dyn CodeSource) -> Option<&'r [u8]> {
    let mut r = Cursor { bytes: record, at: 0 };
    let mut buf = Vec::new();
    for _ in 0..r.get()? {
        let addr = r.get()?;
        let len = usize::try_from(r.get()?).ok()?;
        let want = record.get(r.at..r.at.checked_add(len)?)?;
        r.at += len;
        buf.clear();
        buf.resize(len, 0);
        if code.read_code(GuestAddr(addr), &mut buf) != len || buf != want {
            return None;
        }
    }
    for _ in 0..r.get()? {
        let stop = r.get()?;
        if code.read_code(GuestAddr(stop), &mut [0u8]) != 0 {
            return None;
        }
    }
    for _ in 0..r.get()? {
        let addr = r.get()?;
        if code.is_mapped(GuestAddr(addr)) != (r.get()? == 1) {
            return None;
        }
    }
    record.get(r.at..)
}

impl Persist {
    /// The cache for `key` in `config.dir`: its file's records if it has a valid one.
    pub fn open(config: Config, key: CacheKey) -> Persist {
        let path = config.dir.join(key.file_name());
        let loaded = match read_file(&path, &key) {
            Ok(records) => {
                // Used now: the size limit evicts it last.
                if let Ok(f) = std::fs::File::options().append(true).open(&path) {
                    let _ = f.set_modified(SystemTime::now());
                }
                records
            }
            Err(None) => Records::default(),
            Err(Some(why)) => {
                if config.verbose {
                    eprintln!("xlate: translation cache {}: ignored ({why})", path.display());
                }
                Records::default()
            }
        };
        Persist {
            config,
            key,
            path,
            loaded,
            used: HashSet::new(),
            stale: HashSet::new(),
            new: HashMap::new(),
        }
    }

    /// Blocks in the file when the run started.
    pub fn loaded(&self) -> u64 {
        self.loaded.map.len() as u64
    }

    /// The stored block at `pc`, if there is one and every guest byte it was made from reads
    /// the same in `code` now: `Ok(Some)`; `Err(())` if there was one whose bytes changed.
    #[allow(clippy::result_unit_err)]
    pub fn lookup(&mut self, pc: GuestAddr, code: &dyn CodeSource) -> Result<Option<Block>, ()> {
        let Some(record) = self.new.get(&pc.0).or_else(|| self.loaded.map.get(&pc.0).map(|(_, r)| r)) else {
            return Ok(None);
        };
        match check(record, code).and_then(ir::codec::decode) {
            Some(block) if block.start == pc => {
                self.used.insert(pc.0);
                Ok(Some(block))
            }
            _ => {
                self.stale.insert(pc.0);
                self.new.remove(&pc.0);
                Err(())
            }
        }
    }

    /// A [`CodeSource`] over `code` that records what the frontend reads, for [`Self::keep`].
    pub fn recorder(code: &dyn CodeSource) -> Recorder<'_> {
        Recorder { code, reads: RefCell::new(Vec::new()), mapped: RefCell::new(Vec::new()) }
    }

    /// Keeps `block` (optimised), translated through `recorder`, to be written at the end.
    pub fn keep(&mut self, recorder: Recorder<'_>, block: &Block) {
        if let Some(record) = recorder.into_record(block) {
            self.new.insert(block.start.0, record);
        }
    }

    /// Writes the file if this run made new blocks: the file as it is now, merged with what
    /// was loaded (less what was found stale) and what was made, less the records that the
    /// last [`KEEP_WRITES`] writes did not use. Returns how many blocks were new. Then keeps
    /// the directory under its size limit.
    pub fn save(&mut self) -> u64 {
        if self.new.is_empty() {
            return 0;
        }
        let stored = self.new.len() as u64;
        let mut all = read_file(&self.path, &self.key).unwrap_or_default();
        let loaded = std::mem::take(&mut self.loaded);
        all.generation = all.generation.max(loaded.generation) + 1;
        let now = all.generation;
        for (pc, (stamp, record)) in loaded.map {
            let stamp = if self.used.contains(&pc) { now } else { stamp };
            let entry = all.map.entry(pc).or_insert((stamp, record));
            entry.0 = entry.0.max(stamp);
        }
        for pc in &self.stale {
            all.map.remove(pc);
        }
        all.map.extend(self.new.drain().map(|(pc, record)| (pc, (now, record))));
        all.map.retain(|_, (stamp, _)| *stamp + KEEP_WRITES > now);
        if let Err(e) = self.write(&all) {
            if self.config.verbose {
                eprintln!("xlate: translation cache {}: not written ({e})", self.path.display());
            }
            return 0;
        }
        evict(&self.config.dir, self.config.limit, &self.path);
        stored
    }

    fn write(&self, records: &Records) -> std::io::Result<()> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        put(&mut out, self.key.0.len() as u64);
        out.extend_from_slice(self.key.0.as_bytes());
        put(&mut out, records.generation);
        put(&mut out, records.map.len() as u64);
        let mut pcs: Vec<&u64> = records.map.keys().collect();
        pcs.sort_unstable();
        for pc in pcs {
            let (stamp, record) = &records.map[pc];
            put(&mut out, *pc);
            put(&mut out, *stamp);
            put(&mut out, record.len() as u64);
            out.extend_from_slice(record);
        }
        let sum = checksum(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        if out.len() as u64 > self.config.limit {
            return Err(std::io::Error::other("larger than the cache's size limit"));
        }
        std::fs::create_dir_all(&self.config.dir)?;
        let tmp = self.path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, &out)?;
        std::fs::rename(&tmp, &self.path).inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
    }
}

/// The records of one cache file: guest address -> (the write that last used or made it,
/// record), and the number of writes the file has seen.
#[derive(Default)]
struct Records {
    generation: u64,
    map: HashMap<u64, (u64, Vec<u8>)>,
}

/// The records of the cache file at `path` if it is a valid file for `key`; `Err(None)` if
/// there is none, `Err(Some(why))` if it is not valid.
fn read_file(path: &Path, key: &CacheKey) -> Result<Records, Option<&'static str>> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(None),
        Err(_) => return Err(Some("unreadable")),
    };
    let Some(body_len) = bytes.len().checked_sub(8) else { return Err(Some("truncated")) };
    let (body, sum) = bytes.split_at(body_len);
    if sum != checksum(body).to_le_bytes() {
        return Err(Some("truncated or corrupt: bad checksum"));
    }
    if !body.starts_with(MAGIC) {
        return Err(Some("not a translation cache file"));
    }
    let mut r = Cursor { bytes: body, at: MAGIC.len() };
    let parse = |r: &mut Cursor| -> Option<Records> {
        let key_len = usize::try_from(r.get()?).ok()?;
        if r.take(key_len)? != key.0.as_bytes() {
            return None;
        }
        let generation = r.get()?;
        let n = r.get()?;
        let mut map = HashMap::new();
        for _ in 0..n {
            let pc = r.get()?;
            let stamp = r.get()?;
            let len = usize::try_from(r.get()?).ok()?;
            map.insert(pc, (stamp, r.take(len)?.to_vec()));
        }
        (r.at == body.len()).then_some(Records { generation, map })
    };
    parse(&mut r).ok_or(Some("made for another key, or malformed"))
}

/// Deletes the least recently used cache files of `dir` (oldest modification time first,
/// never `keep`) until their total size is at most `limit`.
fn evict(dir: &Path, limit: u64, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut files: Vec<(SystemTime, u64, PathBuf)> = entries
        .filter_map(|e| {
            let e = e.ok()?;
            let path = e.path();
            let meta = e.metadata().ok()?;
            let ours = path.to_str()?.ends_with(SUFFIX) && meta.is_file();
            ours.then_some((meta.modified().ok()?, meta.len(), path))
        })
        .collect();
    let mut total: u64 = files.iter().map(|f| f.1).sum();
    files.sort();
    for (_, len, path) in files {
        if total <= limit {
            break;
        }
        if path != keep && std::fs::remove_file(&path).is_ok() {
            total -= len;
        }
    }
}

fn put(out: &mut Vec<u8>, v: u64) {
    ir::codec::put_uleb(out, v);
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn get(&mut self) -> Option<u64> {
        ir::codec::get_uleb(self.bytes, &mut self.at)
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
}

/// FNV-1a, for the file name.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// A checksum of a whole file, eight bytes at a time (it runs over every byte loaded).
fn checksum(bytes: &[u8]) -> u64 {
    let mut chunks = bytes.chunks_exact(8);
    let mut h = 0x9e37_79b9_7f4a_7c15u64 ^ bytes.len() as u64;
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h ^ w).wrapping_mul(0xff51_afd7_ed55_8ccd).rotate_left(29);
    }
    for &b in chunks.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(0xc4ce_b9fe_1a85_ec53).rotate_left(29);
    }
    h ^ (h >> 32)
}

#[cfg(test)]
mod tests;
