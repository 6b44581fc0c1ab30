use super::*;
use crate::frontend::aarch64::A64Frontend;
use crate::frontend::x86_64::X86Frontend;
use crate::frontend::{Frontend, SliceCode};
use crate::ir::Exit;

const BASE: u64 = 0x40_1000;
/// `add eax, ebx; jmp +0` then, at the jump's target, `add eax, ebx; ret`: the first block's
/// lookahead reads the second (its flags are dead at the exit).
const ADD_JMP_ADD_RET: [u8; 10] = [0x01, 0xd8, 0xe9, 0, 0, 0, 0, 0x01, 0xd8, 0xc3];

/// A fresh cache directory under the test target directory.
fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xlate-persist-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn config(dir: &Path) -> Config {
    Config { dir: dir.to_path_buf(), limit: DEFAULT_LIMIT, verbose: false }
}

fn key(options: &str) -> CacheKey {
    CacheKey::new("x86-64", "test", options, Path::new("/nonexistent/program"))
}

/// The optimised block at `pc`, translated through a recorder that `persist` keeps.
fn translate_into(persist: &mut Persist, fe: &mut impl Frontend, code: &dyn CodeSource, pc: u64) -> Block {
    let recorder = Persist::recorder(code);
    let mut block = fe.translate(&recorder, GuestAddr(pc));
    crate::ir::opt::optimize(&mut block);
    persist.keep(recorder, &block);
    block
}

#[test]
fn a_saved_block_is_found_again_while_every_byte_it_read_is_the_same() {
    let d = dir("same");
    let code = SliceCode { base: GuestAddr(BASE), bytes: &ADD_JMP_ADD_RET };
    let mut first = Persist::open(config(&d), key(""));
    assert_eq!(first.loaded(), 0);
    let block = translate_into(&mut first, &mut X86Frontend::new(), &code, BASE);
    // The lookahead did its work: the block's exit has dead flags.
    assert!(!block.dead_on_entry.is_empty());
    assert_eq!(first.save(), 1);
    let mut second = Persist::open(config(&d), key(""));
    assert_eq!(second.loaded(), 1);
    assert_eq!(second.lookup(GuestAddr(BASE), &code), Ok(Some(block)));
    assert_eq!(second.lookup(GuestAddr(BASE + 7), &code), Ok(None));
    // Nothing new: nothing written.
    assert_eq!(second.save(), 0);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_changed_byte_in_the_block_or_in_what_its_lookahead_read_rejects_it() {
    let d = dir("changed");
    let code = SliceCode { base: GuestAddr(BASE), bytes: &ADD_JMP_ADD_RET };
    let mut first = Persist::open(config(&d), key(""));
    translate_into(&mut first, &mut X86Frontend::new(), &code, BASE);
    first.save();
    // The block's own add becomes a sub; the successor's add (read only by the lookahead)
    // becomes `inc eax` (which leaves CF live); the bytes after the end are cut off (the
    // successor then traps as unreadable).
    let mut own = ADD_JMP_ADD_RET;
    own[0] = 0x29;
    let mut successor = ADD_JMP_ADD_RET;
    successor[7..9].copy_from_slice(&[0xff, 0xc0]);
    for bytes in [&own[..], &successor[..], &ADD_JMP_ADD_RET[..8]] {
        let mut p = Persist::open(config(&d), key(""));
        let changed = SliceCode { base: GuestAddr(BASE), bytes };
        assert_eq!(p.lookup(GuestAddr(BASE), &changed), Err(()), "{bytes:02x?}");
        // The fresh translation differs from the stored one, and replaces it.
        let fresh = translate_into(&mut p, &mut X86Frontend::new(), &changed, BASE);
        assert_eq!(p.lookup(GuestAddr(BASE), &changed), Ok(Some(fresh)));
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_read_that_stopped_at_the_end_of_code_must_stop_there_again() {
    let d = dir("stop");
    // A64 `add x0, x1, x2` at the end of the code: the block ends by a fetch trap after it.
    let short: [u8; 4] = 0x8b02_0020u32.to_le_bytes();
    let mut longer = short.to_vec();
    longer.extend_from_slice(&0xd65f_03c0u32.to_le_bytes()); // ret
    let mut first = Persist::open(config(&d), key(""));
    let block = translate_into(
        &mut first,
        &mut A64Frontend::new(),
        &SliceCode { base: GuestAddr(BASE), bytes: &short },
        BASE,
    );
    assert!(matches!(block.exit, Exit::Trap { .. }), "{block:?}");
    first.save();
    let mut p = Persist::open(config(&d), key(""));
    let now = SliceCode { base: GuestAddr(BASE), bytes: &longer };
    assert_eq!(p.lookup(GuestAddr(BASE), &now), Err(()));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn another_key_is_another_file() {
    let d = dir("key");
    let code = SliceCode { base: GuestAddr(BASE), bytes: &ADD_JMP_ADD_RET };
    let mut first = Persist::open(config(&d), key("exact flags false"));
    translate_into(&mut first, &mut X86Frontend::new(), &code, BASE);
    first.save();
    assert_eq!(Persist::open(config(&d), key("exact flags true")).loaded(), 0);
    assert_eq!(Persist::open(config(&d), key("exact flags false")).loaded(), 1);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn two_processes_writing_at_once_lose_neither_ones_blocks() {
    let d = dir("merge");
    let code = SliceCode { base: GuestAddr(BASE), bytes: &ADD_JMP_ADD_RET };
    // Both open the (empty) file, then each translates another block and writes.
    let mut a = Persist::open(config(&d), key(""));
    let mut b = Persist::open(config(&d), key(""));
    let block_a = translate_into(&mut a, &mut X86Frontend::new(), &code, BASE);
    let block_b = translate_into(&mut b, &mut X86Frontend::new(), &code, BASE + 7);
    assert_eq!(a.save(), 1);
    assert_eq!(b.save(), 1);
    let mut c = Persist::open(config(&d), key(""));
    assert_eq!(c.loaded(), 2);
    assert_eq!(c.lookup(GuestAddr(BASE), &code), Ok(Some(block_a)));
    assert_eq!(c.lookup(GuestAddr(BASE + 7), &code), Ok(Some(block_b)));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_truncated_or_corrupt_file_is_ignored_and_then_rewritten() {
    let d = dir("corrupt");
    let code = SliceCode { base: GuestAddr(BASE), bytes: &ADD_JMP_ADD_RET };
    let mut first = Persist::open(config(&d), key(""));
    translate_into(&mut first, &mut X86Frontend::new(), &code, BASE);
    translate_into(&mut first, &mut X86Frontend::new(), &code, BASE + 7);
    first.save();
    let path = d.join(key("").file_name());
    let good = std::fs::read(&path).unwrap();
    for cut in 0..good.len() {
        std::fs::write(&path, &good[..cut]).unwrap();
        assert_eq!(Persist::open(config(&d), key("")).loaded(), 0, "cut at {cut}");
    }
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x10;
        std::fs::write(&path, &bad).unwrap();
        assert_eq!(Persist::open(config(&d), key("")).loaded(), 0, "byte {i} flipped");
    }
    let mut p = Persist::open(config(&d), key(""));
    translate_into(&mut p, &mut X86Frontend::new(), &code, BASE);
    assert_eq!(p.save(), 1);
    assert_eq!(Persist::open(config(&d), key("")).loaded(), 1);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_write_over_the_size_limit_evicts_the_least_recently_used_files() {
    let d = dir("evict");
    std::fs::create_dir_all(&d).unwrap();
    let old = |name: &str, secs: u64| {
        let p = d.join(name);
        std::fs::write(&p, vec![0u8; 4000]).unwrap();
        let f = std::fs::File::options().append(true).open(&p).unwrap();
        f.set_modified(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs)).unwrap();
        p
    };
    let oldest = old("1.xirc", 1000);
    let older = old("2.xirc", 2000);
    let other = old("not-ours.txt", 10);
    let code = SliceCode { base: GuestAddr(BASE), bytes: &ADD_JMP_ADD_RET };
    let mut p = Persist::open(Config { limit: 6000, ..config(&d) }, key(""));
    translate_into(&mut p, &mut X86Frontend::new(), &code, BASE);
    assert_eq!(p.save(), 1);
    assert!(!oldest.exists());
    assert!(older.exists());
    assert!(other.exists());
    assert!(d.join(key("").file_name()).exists());
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn sizes_read_with_their_units() {
    assert_eq!(parse_size("256"), Some(256 << 20));
    assert_eq!(parse_size("300K"), Some(300 << 10));
    assert_eq!(parse_size("2m"), Some(2 << 20));
    assert_eq!(parse_size("1G"), Some(1 << 30));
    assert_eq!(parse_size("lots"), None);
    assert_eq!(parse_size(""), None);
}

#[test]
fn records_no_write_used_for_keep_writes_writes_go() {
    for use_it in [false, true] {
        let d = dir(&format!("expire-{use_it}"));
        let code = SliceCode { base: GuestAddr(BASE), bytes: &ADD_JMP_ADD_RET };
        let mut first = Persist::open(config(&d), key(""));
        translate_into(&mut first, &mut X86Frontend::new(), &code, BASE);
        first.save();
        // Each later run makes the other block anew (as a library at a new address would).
        for run in 1..=KEEP_WRITES {
            let mut p = Persist::open(config(&d), key(""));
            // Still there after KEEP_WRITES - 1 writes that did not use it.
            assert!(p.lookup(GuestAddr(BASE), &code).unwrap().is_some(), "run {run}");
            if !use_it {
                // Looked up but not used: forget that it was.
                p.used.clear();
            }
            p.new.clear();
            translate_into(&mut p, &mut X86Frontend::new(), &code, BASE + 7);
            assert_eq!(p.save(), 1);
        }
        // Gone after the KEEP_WRITES-th, unless a run used it.
        let p = Persist::open(config(&d), key(""));
        assert_eq!(p.loaded(), if use_it { 2 } else { 1 });
        let _ = std::fs::remove_dir_all(&d);
    }
}
