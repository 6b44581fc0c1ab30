//! A coverage probe for the A64 frontend, run by hand: `A64_WORDS=file cargo test --test
//! a64_coverage -- --ignored --nocapture`, where `file` has one hex instruction word per line
//! (optionally followed by a tab and anything, e.g. objdump's mnemonic). Prints each word the
//! frontend does not translate, with the rest of its line, so that
//! `objdump -d prog | ...` tells which forms a real program needs.
//!
//! `a64_classes_match_qemu` checks every encoding of the AdvSIMD and crypto classes
//! against what qemu-aarch64-static `-cpu neoverse-n1` allocates (recorded in
//! `tests/data/a64_classes/`; `XLATE_BLESS=1` re-probes in a few seconds).

use xlate::frontend::aarch64::A64Frontend;
use xlate::frontend::{Frontend, SliceCode};
use xlate::ir::{Exit, GuestAddr, TrapKind};

#[test]
#[ignore]
fn a64_words_from_file() {
    let Some(path) = std::env::var_os("A64_WORDS") else {
        return;
    };
    let text = std::fs::read_to_string(path).expect("A64_WORDS file");
    let mut fe = A64Frontend::new();
    let (mut total, mut missing) = (0, 0);
    for line in text.lines() {
        let Some(hex) = line.split('\t').next() else { continue };
        let Ok(w) = u32::from_str_radix(hex.trim(), 16) else { continue };
        total += 1;
        let bytes = w.to_le_bytes();
        let code = SliceCode { base: GuestAddr(0x40_0000), bytes: &bytes };
        let block = fe.translate(&code, GuestAddr(0x40_0000));
        if let Exit::Trap { kind: TrapKind::IllegalInstruction, message, .. } = &block.exit {
            if block.guest_insns == 0 {
                missing += 1;
                println!("MISSING\t{line}\t{}", message.clone().unwrap_or_default());
            }
        }
    }
    println!("{missing} of {total} words not translated");
}

#[path = "support/mod.rs"]
mod support;

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

/// The AdvSIMD and cryptographic encoding classes of the Arm ARM (C4.1.96, "Data Processing
/// -- Scalar Floating-Point and Advanced SIMD"), by name and bit pattern (bit 31 first):
/// `0`/`1` fixed, `x` enumerated (Q, U, size, opcode and every other field that selects the
/// operation or its arrangement), `d`/`n`/`m`/`a` the registers (fixed to v0, v1, v2, v3),
/// `z` an immediate that only changes the operand (fixed to zero).
const CLASSES: &[(&str, &str)] = &[
    ("Crypto AES", "01001110 xx 10100 xxxxx 10 nnnnn ddddd"),
    ("Crypto three-register SHA", "01011110 xx 0 mmmmm 0 xxx 00 nnnnn ddddd"),
    ("Crypto two-register SHA", "01011110 xx 10100 xxxxx 10 nnnnn ddddd"),
    ("AdvSIMD scalar copy", "01x11110000 xxxxx 0 xxxx 1 nnnnn ddddd"),
    ("AdvSIMD scalar three same FP16", "01x11110 x10 mmmmm 00 xxx 1 nnnnn ddddd"),
    ("AdvSIMD scalar two-register miscellaneous FP16", "01x11110 x1111 00 xxxxx 10 nnnnn ddddd"),
    ("AdvSIMD scalar three same extra", "01x11110 xx 0 mmmmm 1 xxxx 1 nnnnn ddddd"),
    ("AdvSIMD scalar two-register miscellaneous", "01x11110 xx 10000 xxxxx 10 nnnnn ddddd"),
    ("AdvSIMD scalar pairwise", "01x11110 xx 11000 xxxxx 10 nnnnn ddddd"),
    ("AdvSIMD scalar three different", "01x11110 xx 1 mmmmm xxxx 00 nnnnn ddddd"),
    ("AdvSIMD scalar three same", "01x11110 xx 1 mmmmm xxxxx 1 nnnnn ddddd"),
    ("AdvSIMD scalar shift by immediate", "01x111110 xxxx zzz xxxxx 1 nnnnn ddddd"),
    ("AdvSIMD scalar x indexed element", "01x11111 xx x x mmmm xxxx x 0 nnnnn ddddd"),
    ("AdvSIMD table lookup", "0x001110 xx 0 mmmmm 0 xx x 00 nnnnn ddddd"),
    ("AdvSIMD permute", "0x001110 xx 0 mmmmm 0 xxx 10 nnnnn ddddd"),
    ("AdvSIMD extract", "0x101110 xx 0 mmmmm 0 xxxx 0 nnnnn ddddd"),
    ("AdvSIMD copy", "0xx01110000 xxxxx 0 xxxx 1 nnnnn ddddd"),
    ("AdvSIMD three same (FP16)", "0xx01110 x10 mmmmm 00 xxx 1 nnnnn ddddd"),
    ("AdvSIMD two-register miscellaneous (FP16)", "0xx01110 x1111 00 xxxxx 10 nnnnn ddddd"),
    ("AdvSIMD three-register extension", "0xx01110 xx 0 mmmmm 1 xxxx 1 nnnnn ddddd"),
    ("AdvSIMD two-register miscellaneous", "0xx01110 xx 10000 xxxxx 10 nnnnn ddddd"),
    ("AdvSIMD across lanes", "0xx01110 xx 11000 xxxxx 10 nnnnn ddddd"),
    ("AdvSIMD three different", "0xx01110 xx 1 mmmmm xxxx 00 nnnnn ddddd"),
    ("AdvSIMD three same", "0xx01110 xx 1 mmmmm xxxxx 1 nnnnn ddddd"),
    ("AdvSIMD modified immediate", "0xx0111100000 zzz xxxx x 1 zzzzz ddddd"),
    ("AdvSIMD shift by immediate", "0xx011110 xxxx zzz xxxxx 1 nnnnn ddddd"),
    ("AdvSIMD vector x indexed element", "0xx01111 xx x x mmmm xxxx x 0 nnnnn ddddd"),
    ("Crypto three-register, imm2", "11001110010 mmmmm 10 xx xx nnnnn ddddd"),
    ("Crypto three-register SHA512", "11001110011 mmmmm 1 x 00 xx nnnnn ddddd"),
    ("Crypto four-register", "110011100 xx mmmmm 0 aaaaa nnnnn ddddd"),
    ("Crypto XAR", "11001110100 mmmmm zzzzzz nnnnn ddddd"),
    ("Crypto two-register SHA512", "11001110110000001000 xx nnnnn ddddd"),
];

/// Every word of a class pattern, in enumeration order.
fn class_words(pattern: &str) -> Vec<u32> {
    let p: Vec<u8> = pattern.bytes().filter(|c| *c != b' ').collect();
    assert_eq!(p.len(), 32, "pattern {pattern}");
    let (mut base, mut free) = (0u32, vec![]);
    // Registers: the k-th bit (from the low end) of each register letter gets that bit of its
    // register number.
    let mut seen: BTreeMap<u8, u32> = BTreeMap::new();
    for (i, c) in p.iter().enumerate().rev() {
        let bit = 31 - i as u32;
        match c {
            b'1' => base |= 1 << bit,
            b'x' => free.push(bit),
            b'd' | b'n' | b'm' | b'a' => {
                let reg = match c {
                    b'd' => 0,
                    b'n' => 1,
                    b'm' => 2,
                    _ => 3,
                };
                let k = seen.entry(*c).or_insert(0);
                base |= ((reg >> *k) & 1) << bit;
                *k += 1;
            }
            _ => {}
        }
    }
    let shift_class = pattern.contains("xxxx zzz");
    (0..1u32 << free.len())
        .map(|v| free.iter().enumerate().fold(base, |w, (i, b)| w | ((v >> i) & 1) << b))
        // immh = 0 is the modified-immediate class, not a shift.
        .filter(|w| !shift_class || (w >> 19) & 0xf != 0)
        .collect()
}

fn classes_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/a64_classes")
}

fn enumeration_hash() -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for (name, pattern) in CLASSES {
        for b in name.bytes().chain(pattern.bytes()) {
            h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    h
}

/// Whether the A64 frontend translates `w` as one instruction (no execution).
fn implemented(w: u32) -> bool {
    let bytes = w.to_le_bytes();
    let code = SliceCode { base: GuestAddr(0x1000), bytes: &bytes };
    let block = A64Frontend::new().translate(&code, GuestAddr(0x1000));
    block.guest_insns == 1 && !matches!(block.exit, Exit::Trap { kind: TrapKind::IllegalInstruction, .. })
}

/// Runs the probe under `qemu-aarch64-static -cpu neoverse-n1`: the allocated words of each
/// class, with objdump's text for them.
fn probe_qemu() -> Vec<(String, u32, String)> {
    let dir = std::env::temp_dir().join(format!("xlate-a64classes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let exe = dir.join("probe");
    let out = Command::new("aarch64-linux-gnu-gcc")
        .args(["-O1", "-static", "-o"])
        .arg(&exe)
        .arg(classes_dir().join("probe.c"))
        .output()
        .expect("aarch64-linux-gnu-gcc");
    assert!(out.status.success(), "building the probe failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let all: Vec<(&str, u32)> =
        CLASSES.iter().flat_map(|(name, p)| class_words(p).into_iter().map(move |w| (*name, w))).collect();
    let bin = dir.join("words.bin");
    std::fs::write(&bin, all.iter().flat_map(|(_, w)| w.to_le_bytes()).collect::<Vec<u8>>()).unwrap();
    let run = Command::new("qemu-aarch64-static")
        .args(["-cpu", "neoverse-n1"])
        .arg(&exe)
        .arg(&bin)
        .output()
        .expect("qemu-aarch64-static");
    assert!(run.status.success(), "probe failed under qemu: {:?}", run.status);
    assert_eq!(run.stdout.len(), all.len(), "probe output length");
    let allocated: Vec<(&str, u32)> =
        all.iter().zip(&run.stdout).filter(|(_, r)| **r == b'1').map(|(c, _)| *c).collect();
    let abin = dir.join("allocated.bin");
    std::fs::write(&abin, allocated.iter().flat_map(|(_, w)| w.to_le_bytes()).collect::<Vec<u8>>()).unwrap();
    let dis = Command::new("aarch64-linux-gnu-objdump")
        .args(["-D", "-b", "binary", "-maarch64"])
        .arg(&abin)
        .output()
        .expect("aarch64-linux-gnu-objdump");
    let text = String::from_utf8_lossy(&dis.stdout);
    let mut names: BTreeMap<u32, String> = BTreeMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() >= 3 && f[0].trim_end().ends_with(':') {
            if let Ok(w) = u32::from_str_radix(f[1].trim(), 16) {
                names.insert(w, f[2..].join(" ").trim().to_string());
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    allocated
        .into_iter()
        .map(|(c, w)| (c.to_string(), w, names.get(&w).cloned().unwrap_or_default()))
        .collect()
}

/// Every encoding that qemu (`-cpu neoverse-n1`, the CPU xlate presents) allocates in the
/// AdvSIMD and crypto classes is translated by the frontend, except those listed in
/// `pending.txt` (which must really be missing), and no encoding qemu rejects is accepted.
/// `XLATE_BLESS=1` re-probes qemu (`qemu.ref`) and rewrites `pending.txt` from the frontend.
#[test]
fn a64_classes_match_qemu() {
    let dir = classes_dir();
    let ref_path = dir.join("qemu.ref");
    let pending_path = dir.join("pending.txt");
    let hash = enumeration_hash();
    let bless = std::env::var_os("XLATE_BLESS").is_some_and(|v| v != "0");
    if bless {
        let tools = [
            ("qemu-aarch64-static", "qemu-user-static"),
            ("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"),
            ("aarch64-linux-gnu-objdump", "binutils-aarch64-linux-gnu"),
        ];
        if tools.iter().any(|(t, p)| support::tool("a64_classes_match_qemu", t, p).is_none()) {
            return;
        }
        let mut s = format!(
            "# Allocated encodings of the AdvSIMD and crypto classes under qemu-aarch64-static -cpu neoverse-n1; enumeration hash {hash:016x}\n"
        );
        for (c, w, text) in probe_qemu() {
            let _ = writeln!(s, "{c}\t{w:08x}\t{text}");
        }
        std::fs::write(&ref_path, s).unwrap();
    }
    let text = std::fs::read_to_string(&ref_path).expect("qemu.ref");
    let mut lines = text.lines();
    assert!(
        lines.next().unwrap_or("").ends_with(&format!("{hash:016x}")),
        "{}: the class list changed; rerun with XLATE_BLESS=1",
        ref_path.display()
    );
    let allocated: Vec<(&str, u32, &str)> = lines
        .map(|l| {
            let f: Vec<&str> = l.splitn(3, '\t').collect();
            (f[0], u32::from_str_radix(f[1], 16).unwrap(), f.get(2).copied().unwrap_or(""))
        })
        .collect();
    if bless {
        let mut s = String::from(
            "# Encodings qemu allocates (qemu.ref) that the A64 frontend does not translate yet\n",
        );
        for (c, w, t) in &allocated {
            if !implemented(*w) {
                let _ = writeln!(s, "{w:08x}\t{c}\t{t}");
            }
        }
        std::fs::write(&pending_path, s).unwrap();
    }
    let pending: HashSet<u32> = std::fs::read_to_string(&pending_path)
        .expect("pending.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| u32::from_str_radix(l.split('\t').next().unwrap(), 16).unwrap())
        .collect();
    let alloc_set: HashSet<u32> = allocated.iter().map(|a| a.1).collect();
    let mut problems = vec![];
    let mut table = String::new();
    for (name, pattern) in CLASSES {
        let words = class_words(pattern);
        let (mut n_alloc, mut n_impl) = (0, 0);
        for w in &words {
            let ok = implemented(*w);
            if alloc_set.contains(w) {
                n_alloc += 1;
                n_impl += ok as usize;
                if !ok && !pending.contains(w) {
                    problems.push(format!("{w:08x} ({name}) is allocated but not translated"));
                }
                if ok && pending.contains(w) {
                    problems.push(format!("{w:08x} ({name}) is translated now: remove it from pending.txt"));
                }
            } else if ok {
                problems.push(format!("{w:08x} ({name}) is unallocated on neoverse-n1 but translated"));
            }
        }
        let _ =
            writeln!(table, "{name:50} {:6} words {n_alloc:6} allocated {n_impl:6} translated", words.len());
    }
    use std::io::Write;
    let _ = write!(std::io::stderr(), "{table}");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

/// The encodings outside the AdvSIMD and crypto classes of the features AT_HWCAP can
/// advertise: every encoding of each (register fields fixed), from the Arm ARM.
fn feature_words(bit: u64) -> Vec<u32> {
    use xlate::frontend::aarch64::hwcap;
    let mut v = vec![];
    match bit {
        hwcap::CRC32 => {
            // CRC32{B,H,W,X} and CRC32C{B,H,W,X}: sf = 1 only with size 3.
            for c in 0..2 {
                for size in 0..4u32 {
                    v.push(
                        ((size == 3) as u32) << 31 | 0x1ac0_4000 | 2 << 16 | c << 12 | size << 10 | 1 << 5,
                    );
                }
            }
        }
        hwcap::ATOMICS => {
            for size in 0..4u32 {
                for ar in 0..4u32 {
                    // LDADD .. LDUMIN (o3 = 0, opc 0-7) and SWP (o3 = 1, opc 0).
                    for op in (0..8u32).chain([8]) {
                        v.push(size << 30 | 0x3820_0000 | ar << 22 | 2 << 16 | op << 12 | 1 << 5 | 4);
                    }
                }
                // CAS{,A,L,AL}{B,H,,}.
                for lo in 0..4u32 {
                    v.push(
                        size << 30 | 0x08a0_7c00 | (lo >> 1) << 22 | 2 << 16 | (lo & 1) << 15 | 1 << 5 | 4,
                    );
                }
            }
            // CASP{,A,L,AL} of W and X pairs.
            for sz in 0..2u32 {
                for lo in 0..4u32 {
                    v.push(sz << 30 | 0x0820_7c00 | (lo >> 1) << 22 | 2 << 16 | (lo & 1) << 15 | 1 << 5 | 4);
                }
            }
        }
        // LDAPR, LDAPRB, LDAPRH.
        hwcap::LRCPC => v.extend((0..4u32).map(|size| size << 30 | 0x38bf_c000 | 1 << 5)),
        // DC CVAP.
        hwcap::DCPOP => v.push(0xd50b_7c20),
        // MSR SSBS, #0 and #1; MRS and MSR (register) of SSBS.
        hwcap::SSBS => v.extend([0xd503_403f, 0xd503_413f, 0xd53b_42c0, 0xd51b_42c0]),
        // MRS of MIDR_EL1, MPIDR_EL1, REVIDR_EL1 and every register of CRm 4-7.
        hwcap::CPUID => {
            v.extend([0, 5, 6].map(|op2| 0xd538_0000 | op2 << 5));
            v.extend((4..8u32).flat_map(|crm| (0..8u32).map(move |op2| 0xd538_0000 | crm << 8 | op2 << 5)));
        }
        _ => {}
    }
    v
}

/// Whether a qemu.ref form is half-precision arithmetic (FEAT_FP16: FPHP, ASIMDHP): an FP16
/// class, or an FP operation on H registers or .2h/.4h/.8h lanes. The conversions FCVTN and
/// FCVTL to and from the half-precision format are base AdvSIMD.
fn fp16_form(class: &str, text: &str) -> bool {
    let mnemonic = text.split_whitespace().next().unwrap_or("");
    let fp = mnemonic.starts_with('f') || mnemonic == "scvtf" || mnemonic == "ucvtf";
    let half = text.contains(".2h") || text.contains(".4h") || text.contains(".8h") || text.contains(" h");
    class.contains("FP16") || (fp && half && !mnemonic.starts_with("fcvtn") && !mnemonic.starts_with("fcvtl"))
}

/// Which qemu.ref forms (class, objdump text) belong to a feature of AT_HWCAP.
fn feature_form(bit: u64, class: &str, text: &str) -> bool {
    use xlate::frontend::aarch64::hwcap;
    let mnemonic = text.split_whitespace().next().unwrap_or("");
    match bit {
        hwcap::ASIMD => class.starts_with("AdvSIMD") && !fp16_form(class, text),
        hwcap::AES => class == "Crypto AES",
        hwcap::PMULL => mnemonic.starts_with("pmull") && text.contains(".1q"),
        hwcap::SHA1 => mnemonic.starts_with("sha1"),
        hwcap::SHA2 => mnemonic.starts_with("sha256"),
        hwcap::ASIMDRDM => mnemonic.starts_with("sqrdmlah") || mnemonic.starts_with("sqrdmlsh"),
        hwcap::ASIMDDP => mnemonic == "sdot" || mnemonic == "udot",
        hwcap::FPHP | hwcap::ASIMDHP => fp16_form(class, text),
        _ => false,
    }
}

/// Every feature advertised in AT_HWCAP is implemented: none of its forms in qemu.ref is
/// pending, and each of its other encodings translates. FP (the scalar floating point, which
/// qemu.ref does not enumerate) is checked by the a64_diff cases alone.
#[test]
fn advertised_hwcap_features_have_no_pending_forms() {
    use xlate::frontend::aarch64::{hwcap, HWCAP};
    let text = std::fs::read_to_string(classes_dir().join("qemu.ref")).expect("qemu.ref");
    let pending: HashSet<u32> = std::fs::read_to_string(classes_dir().join("pending.txt"))
        .expect("pending.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| u32::from_str_radix(l.split('\t').next().unwrap(), 16).unwrap())
        .collect();
    let forms: Vec<(&str, u32, &str)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.splitn(3, '\t').collect();
            (f[0], u32::from_str_radix(f[1], 16).unwrap(), f.get(2).copied().unwrap_or(""))
        })
        .collect();
    let features = [
        ("ASIMD", hwcap::ASIMD),
        ("AES", hwcap::AES),
        ("PMULL", hwcap::PMULL),
        ("SHA1", hwcap::SHA1),
        ("SHA2", hwcap::SHA2),
        ("CRC32", hwcap::CRC32),
        ("ATOMICS", hwcap::ATOMICS),
        ("FPHP", hwcap::FPHP),
        ("ASIMDHP", hwcap::ASIMDHP),
        ("CPUID", hwcap::CPUID),
        ("ASIMDRDM", hwcap::ASIMDRDM),
        ("LRCPC", hwcap::LRCPC),
        ("DCPOP", hwcap::DCPOP),
        ("ASIMDDP", hwcap::ASIMDDP),
        ("SSBS", hwcap::SSBS),
    ];
    let mut problems = vec![];
    for (name, bit) in features {
        let simd: Vec<u32> = forms.iter().filter(|(c, _, t)| feature_form(bit, c, t)).map(|f| f.1).collect();
        let other = feature_words(bit);
        assert!(!simd.is_empty() || !other.is_empty(), "{name}: no forms known");
        let missing: Vec<String> = simd
            .iter()
            .filter(|w| pending.contains(w))
            .chain(other.iter().filter(|w| !implemented(**w)))
            .map(|w| format!("{w:08x}"))
            .collect();
        if HWCAP & bit != 0 && !missing.is_empty() {
            problems.push(format!("{name} is advertised but not implemented: {}", missing.join(" ")));
        }
        if HWCAP & bit == 0 && missing.is_empty() {
            problems.push(format!("{name} is implemented: advertise it, or say here why not"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The advertised set is exactly these features plus FP.
    let listed = features.iter().fold(hwcap::FP, |a, f| a | f.1);
    assert_eq!(HWCAP & !listed, 0, "an advertised feature this test does not check");
}
