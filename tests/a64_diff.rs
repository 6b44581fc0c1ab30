//! Differential tests of the A64 frontend against qemu-aarch64-static.
//!
//! Each case is a short A64 instruction sequence and an initial state (x0-x30, sp, NZCV,
//! v0-v31 and 1 KiB of scratch memory) drawn from a per-case seed. The reference side is a
//! static AArch64 program generated from all cases (see [`build_program`]) and run under
//! qemu-aarch64-static; its final states are recorded, as differences from the initial
//! state, in `tests/data/a64_diff/<suite>.ref`, so the suite runs without qemu. The xlate
//! side translates the same words with the A64 frontend and runs the blocks in the IR
//! interpreter (`ir::interp`) from the same initial state, at the same addresses.
//!
//! `XLATE_BLESS=1 cargo test --test a64_diff` regenerates the references (needs
//! qemu-aarch64-static and aarch64-linux-gnu-gcc). A reference whose case list no longer
//! matches the cases in this file fails the test and asks for a bless.

#[path = "a64_cases.rs"]
mod a64_cases;
#[path = "a64_cases/fp16.rs"]
mod a64_cases_fp16;
#[path = "a64_cases/fp16v.rs"]
mod a64_cases_fp16v;
#[path = "a64_cases/fpestimate.rs"]
mod a64_cases_fpestimate;
#[path = "a64_cases/generated.rs"]
mod a64_cases_generated;
#[path = "a64_cases/intcvt.rs"]
mod a64_cases_intcvt;
#[path = "a64_cases/satqc.rs"]
mod a64_cases_satqc;
#[path = "a64_cases/satrows.rs"]
mod a64_cases_satrows;
#[path = "a64_cases/simdarith.rs"]
mod a64_cases_simdarith;
#[path = "a64_cases/simdcmp.rs"]
mod a64_cases_simdcmp;

use a64_cases::{hand_cases, CaseSrc};
use a64_cases_generated::{
    generated_cases, generated_cases_with, generated_fcvt_cases, generated_fma_cases,
    generated_fp_special_cases, generated_rounding_cases,
};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use xlate::frontend::aarch64::{A64Frontend, A64State};
use xlate::frontend::{CodeSource, Frontend};
use xlate::ir::{self, GuestAddr};
use xlate::runtime::ExitReason;

/// Where the reference program's case code lives (and where the xlate side maps it): above
/// the reference program's .bss, which holds a record per case and seed.
const CODE_BASE: u64 = 0x0300_0000;
/// Where the scratch memory lives on both sides.
const SCRATCH: u64 = 0x0200_0000;
pub const MEM_BYTES: usize = 1024;
/// Bytes reserved per case in the code region.
const SLOT: u64 = 128;
/// Registers x20 .. x27 and sp point into the scratch memory in every case.
pub const PTR_REGS: std::ops::Range<usize> = 20..28;

/// Record layout shared by the reference program and this file.
const OFF_SP: usize = 248;
const OFF_NZCV: usize = 256;
const OFF_FPCR: usize = 264;
const OFF_V: usize = 272;
const OFF_MEM: usize = OFF_V + 512;
const RECORD: usize = OFF_MEM + MEM_BYTES;

/// An architectural state as the tests see it.
#[derive(Clone, PartialEq, Debug)]
struct Snap {
    x: [u64; 31],
    sp: u64,
    nzcv: u64,
    fpcr: u64,
    v: [[u64; 2]; 32],
    mem: Vec<u8>,
}

fn splitmix(s: &mut u64) -> u64 {
    *s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *s;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A register value with a bias towards edge cases.
fn interesting(s: &mut u64) -> u64 {
    let r = splitmix(s);
    match r % 12 {
        0 => 0,
        1 => 1,
        2 => u64::MAX,
        3 => 0x7fff_ffff_ffff_ffff,
        4 => 0x8000_0000_0000_0000,
        5 => 0xffff_ffff,
        6 => 0x8000_0000,
        7 => 0x7fff_ffff,
        8 => splitmix(s) % 256,
        9 => splitmix(s) & 0xffff_ffff,
        10 => (splitmix(s) as i8) as i64 as u64,
        _ => splitmix(s),
    }
}

/// The initial state of a case: drawn from its seed, then its fixed register values.
fn initial_of(case: &CaseSrc) -> Snap {
    let mut s = initial(case.seed);
    for &(r, v) in &case.fixed {
        s.x[r] = v;
    }
    s
}

fn initial(seed: u64) -> Snap {
    let mut s = seed;
    let mut x = [0u64; 31];
    for (i, r) in x.iter_mut().enumerate() {
        *r = if PTR_REGS.contains(&i) {
            (SCRATCH + 512 - 128) + (splitmix(&mut s) % 16) * 16
        } else {
            interesting(&mut s)
        };
    }
    let mut v = [[0u64; 2]; 32];
    for r in v.iter_mut() {
        // Mix in some ordinary doubles and floats so FP cases see numbers, not only NaNs.
        *r = match splitmix(&mut s) % 4 {
            0 => [
                ((splitmix(&mut s) % 2000) as f64 / 16.0 - 60.0).to_bits(),
                (0.5f64 + (splitmix(&mut s) % 64) as f64).to_bits(),
            ],
            1 => {
                let f = |s: &mut u64| ((splitmix(s) % 1000) as f32 / 8.0 - 60.0).to_bits() as u64;
                [f(&mut s) | f(&mut s) << 32, f(&mut s) | f(&mut s) << 32]
            }
            _ => [interesting(&mut s), interesting(&mut s)],
        };
    }
    let mut mem = vec![0u8; MEM_BYTES];
    for chunk in mem.chunks_mut(8) {
        chunk.copy_from_slice(&interesting(&mut s).to_le_bytes());
    }
    Snap { x, sp: SCRATCH + 512, nzcv: (splitmix(&mut s) & 0xf) << 28, fpcr: 0, v, mem }
}

fn to_record(s: &Snap) -> Vec<u8> {
    let mut r = vec![0u8; RECORD];
    for (i, x) in s.x.iter().enumerate() {
        r[i * 8..i * 8 + 8].copy_from_slice(&x.to_le_bytes());
    }
    r[OFF_SP..OFF_SP + 8].copy_from_slice(&s.sp.to_le_bytes());
    r[OFF_NZCV..OFF_NZCV + 8].copy_from_slice(&s.nzcv.to_le_bytes());
    r[OFF_FPCR..OFF_FPCR + 8].copy_from_slice(&s.fpcr.to_le_bytes());
    for (i, v) in s.v.iter().enumerate() {
        r[OFF_V + i * 16..OFF_V + i * 16 + 8].copy_from_slice(&v[0].to_le_bytes());
        r[OFF_V + i * 16 + 8..OFF_V + i * 16 + 16].copy_from_slice(&v[1].to_le_bytes());
    }
    r[OFF_MEM..].copy_from_slice(&s.mem);
    r
}

fn from_record(r: &[u8]) -> Snap {
    let q = |o: usize| u64::from_le_bytes(r[o..o + 8].try_into().unwrap());
    let mut x = [0u64; 31];
    for (i, v) in x.iter_mut().enumerate() {
        *v = q(i * 8);
    }
    let mut v = [[0u64; 2]; 32];
    for (i, r) in v.iter_mut().enumerate() {
        *r = [q(OFF_V + i * 16), q(OFF_V + i * 16 + 8)];
    }
    Snap {
        x,
        sp: q(OFF_SP),
        nzcv: q(OFF_NZCV),
        fpcr: q(OFF_FPCR),
        v,
        mem: r[OFF_MEM..OFF_MEM + MEM_BYTES].to_vec(),
    }
}

/// The final state as differences from the initial one: the text recorded and compared.
fn diff(init: &Snap, fin: &Snap) -> String {
    let mut out = String::new();
    for i in 0..31 {
        if init.x[i] != fin.x[i] {
            let _ = write!(out, " x{i}={:#x}", fin.x[i]);
        }
    }
    if init.sp != fin.sp {
        let _ = write!(out, " sp={:#x}", fin.sp);
    }
    if init.nzcv != fin.nzcv {
        let _ = write!(out, " nzcv={:x}", fin.nzcv >> 28);
    }
    for i in 0..32 {
        if init.v[i] != fin.v[i] {
            let _ = write!(out, " v{i}={:#x}:{:#x}", fin.v[i][1], fin.v[i][0]);
        }
    }
    for (k, (a, b)) in init.mem.chunks(8).zip(fin.mem.chunks(8)).enumerate() {
        if a != b {
            let _ = write!(out, " m{:x}={:#x}", k * 8, u64::from_le_bytes(b.try_into().unwrap()));
        }
    }
    if out.is_empty() {
        out.push_str(" (no change)");
    }
    out.trim_start().to_string()
}

/// One case as recorded: where its code sits, its words, its seed and the reference result.
struct Recorded {
    name: String,
    addr: u64,
    words: Vec<u32>,
    expect: String,
}

fn suite_hash(cases: &[CaseSrc]) -> u64 {
    // FNV-1a over a text form of the cases: stable across Rust versions, unlike std's hasher.
    let mut text = format!("record {RECORD}\n");
    for c in cases {
        let _ = writeln!(text, "{}\t{}\t{:#x}\t{:?}", c.name, c.asm, c.seed, c.fixed);
    }
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in text.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
    }
    h
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/a64_diff")
}

// ---------------------------------------------------------------------------------------
// The reference side: a generated AArch64 program run under qemu.

/// Assembly of a static program that runs every case and writes, to stdout, a table of
/// `(code start, code end)` per case, the code bytes, then one final-state record per case.
fn build_program(cases: &[CaseSrc]) -> String {
    let mut s = String::new();
    let n = cases.len();
    s.push_str(".text\n.global _start\n_start:\n");
    for (i, _) in cases.iter().enumerate() {
        let _ = write!(
            s,
            "    adrp x0, init_{i}\n    add x0, x0, :lo12:init_{i}\n    bl copy_in\n    mov x30, x0\n"
        );
        for r in 0..16 {
            let _ = writeln!(s, "    ldp q{}, q{}, [x30, #{}]", 2 * r, 2 * r + 1, OFF_V + 32 * r);
        }
        let _ = write!(
            s,
            "    ldr x1, [x30, #{OFF_NZCV}]\n    msr nzcv, x1\n    ldr x1, [x30, #{OFF_FPCR}]\n    msr fpcr, x1\n    msr fpsr, xzr\n    ldr x1, [x30, #{OFF_SP}]\n    mov sp, x1\n"
        );
        for r in 0..15 {
            let _ = writeln!(s, "    ldp x{}, x{}, [x30, #{}]", 2 * r, 2 * r + 1, 16 * r);
        }
        let _ = write!(s, "    ldr x30, [x30, #240]\n    clrex\n    b code_{i}\nret_{i}:\n    msr tpidr_el0, x0\n    adrp x0, out_{i}\n    add x0, x0, :lo12:out_{i}\n");
        for r in 1..31 {
            let _ = writeln!(s, "    str x{r}, [x0, #{}]", r * 8);
        }
        let _ = write!(
            s,
            "    mrs x1, tpidr_el0\n    str x1, [x0]\n    mov x1, sp\n    str x1, [x0, #{OFF_SP}]\n    mrs x1, nzcv\n    str x1, [x0, #{OFF_NZCV}]\n    mrs x1, fpsr\n    str x1, [x0, #{OFF_FPCR}]\n"
        );
        for r in 0..16 {
            let _ = writeln!(s, "    stp q{}, q{}, [x0, #{}]", 2 * r, 2 * r + 1, OFF_V + 32 * r);
        }
        s.push_str("    bl copy_out\n");
    }
    // write(1, table, ...) then write(1, code, ...) then write(1, out, ...), exit(0).
    let _ = write!(
        s,
        "    adrp x1, table\n    add x1, x1, :lo12:table\n    mov x2, #{tb}\n    bl write_all\n    \
         movz x1, #{c0}\n    movk x1, #{c1}, lsl #16\n    movz x2, #{cb0}\n    movk x2, #{cb1}, lsl #16\n    bl write_all\n    \
         adrp x1, out_0\n    add x1, x1, :lo12:out_0\n    movz x2, #{o0}\n    movk x2, #{o1}, lsl #16\n    bl write_all\n    \
         mov x0, #0\n    mov x8, #93\n    svc #0\n",
        tb = n * 16,
        c0 = CODE_BASE & 0xffff,
        c1 = CODE_BASE >> 16,
        cb0 = (n as u64 * SLOT) & 0xffff,
        cb1 = (n as u64 * SLOT) >> 16,
        o0 = (n * RECORD) & 0xffff,
        o1 = (n * RECORD) >> 16,
    );
    // copy_in: x0 = record; copies its memory image into the scratch area.
    let _ = write!(
        s,
        "copy_in:\n    add x1, x0, #{OFF_MEM}\n    movz x2, #{s0}\n    movk x2, #{s1}, lsl #16\n    mov x3, #{MEM_BYTES}\n1:  ldr x4, [x1], #8\n    str x4, [x2], #8\n    subs x3, x3, #8\n    b.ne 1b\n    ret\n\
         copy_out:\n    add x1, x0, #{OFF_MEM}\n    movz x2, #{s0}\n    movk x2, #{s1}, lsl #16\n    mov x3, #{MEM_BYTES}\n1:  ldr x4, [x2], #8\n    str x4, [x1], #8\n    subs x3, x3, #8\n    b.ne 1b\n    ret\n\
         write_all:\n1:  mov x0, #1\n    mov x8, #64\n    svc #0\n    cmp x0, #0\n    b.le 2f\n    add x1, x1, x0\n    subs x2, x2, x0\n    b.ne 1b\n    ret\n2:  mov x0, #1\n    mov x8, #93\n    svc #0\n",
        s0 = SCRATCH & 0xffff,
        s1 = SCRATCH >> 16,
    );
    s.push_str(".section .casecode,\"ax\"\n");
    for (i, c) in cases.iter().enumerate() {
        let _ = write!(s, ".balign {SLOT}\ncode_{i}:\n");
        for line in c.asm.split(';') {
            let _ = writeln!(s, "    {}", line.trim());
        }
        let _ = write!(s, "end_{i}:\n    b ret_{i}\n");
    }
    let _ = writeln!(s, ".balign {SLOT}");
    s.push_str(".data\n.balign 16\ntable:\n");
    for i in 0..n {
        let _ = writeln!(s, "    .quad code_{i}, end_{i}");
    }
    for (i, c) in cases.iter().enumerate() {
        let rec = to_record(&initial_of(c));
        let _ = write!(s, ".balign 16\ninit_{i}:\n");
        for chunk in rec.chunks(8) {
            let _ = writeln!(s, "    .quad {:#x}", u64::from_le_bytes(chunk.try_into().unwrap()));
        }
    }
    s.push_str(".bss\n.balign 16\n");
    for i in 0..n {
        let _ = write!(s, "out_{i}:\n    .space {RECORD}\n");
    }
    let _ = write!(s, ".section .scratch,\"aw\",@nobits\n.balign 16\n    .space {MEM_BYTES}\n");
    s
}

/// Builds and runs the reference program; returns the recorded cases.
fn run_reference(suite: &str, cases: &[CaseSrc]) -> Vec<Recorded> {
    let dir = std::env::temp_dir().join(format!("xlate-a64diff-{suite}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("prog.S");
    let exe = dir.join("prog");
    std::fs::write(&src, build_program(cases)).unwrap();
    let out = Command::new("aarch64-linux-gnu-gcc")
        .args(["-nostdlib", "-static", "-no-pie", "-march=armv8.2-a+lse+crypto+fp16+dotprod+rcpc+crc"])
        .arg(format!("-Wl,--section-start=.casecode={CODE_BASE:#x}"))
        .arg(format!("-Wl,--section-start=.scratch={SCRATCH:#x}"))
        .arg("-o")
        .arg(&exe)
        .arg(&src)
        .output()
        .expect("aarch64-linux-gnu-gcc");
    assert!(
        out.status.success(),
        "assembling the reference program failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new("qemu-aarch64-static")
        .args(["-cpu", "neoverse-n1"])
        .arg(&exe)
        .output()
        .expect("qemu-aarch64-static");
    let run_ok = run.status.success();
    assert!(run_ok, "reference program {} failed under qemu: {:?}", exe.display(), run.status);
    let data = run.stdout;
    let n = cases.len();
    let code_len = n * SLOT as usize;
    assert_eq!(data.len(), n * 16 + code_len + n * RECORD, "reference output size");
    let q = |o: usize| u64::from_le_bytes(data[o..o + 8].try_into().unwrap());
    let code = &data[n * 16..n * 16 + code_len];
    if run_ok {
        let _ = std::fs::remove_dir_all(&dir);
    }
    cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (start, end) = (q(i * 16), q(i * 16 + 8));
            let off = (start - CODE_BASE) as usize;
            let words = code[off..off + (end - start) as usize]
                .chunks(4)
                .map(|w| u32::from_le_bytes(w.try_into().unwrap()))
                .collect();
            let rec = &data[n * 16 + code_len + i * RECORD..][..RECORD];
            let mut fin = from_record(rec);
            let init = initial_of(c);
            fin.fpcr = init.fpcr; // the slot holds FPSR on output; FPSR is not compared yet
            Recorded { name: c.name.clone(), addr: start, words, expect: diff(&init, &fin) }
        })
        .collect()
}

fn write_ref(path: &Path, hash: u64, recs: &[Recorded]) {
    let mut s = format!("# A64 differential references from qemu-aarch64-static; suite hash {hash:016x}\n");
    for r in recs {
        let words: Vec<String> = r.words.iter().map(|w| format!("{w:08x}")).collect();
        let _ = writeln!(s, "{}\t{:#x}\t{}\t{}", r.name, r.addr, words.join(","), r.expect);
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, s).unwrap();
}

fn read_ref(path: &Path, hash: u64) -> Result<Vec<Recorded>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = text.lines();
    let header = lines.next().unwrap_or("");
    if !header.ends_with(&format!("{hash:016x}")) {
        return Err(format!(
            "{}: case list changed; rerun with XLATE_BLESS=1 (needs qemu-aarch64-static)",
            path.display()
        ));
    }
    let parse_hex = |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap();
    Ok(lines
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Recorded {
                name: f[0].to_string(),
                addr: parse_hex(f[1]),
                words: if f[2].is_empty() {
                    vec![]
                } else {
                    f[2].split(',').map(|w| parse_hex(w) as u32).collect()
                },
                expect: f[3].to_string(),
            }
        })
        .collect())
}

fn have_tools() -> bool {
    let ok = |c: &str| Command::new(c).arg("--version").output().map(|o| o.status.success()).unwrap_or(false);
    ok("qemu-aarch64-static") && ok("aarch64-linux-gnu-gcc")
}

/// The recorded cases of a suite, blessing them first when asked or when none exist yet.
fn references(suite: &str, cases: &[CaseSrc]) -> Vec<Recorded> {
    let path = data_dir().join(format!("{suite}.ref"));
    let hash = suite_hash(cases);
    let bless = std::env::var_os("XLATE_BLESS").is_some_and(|v| v != "0");
    if bless || (!path.exists() && have_tools()) {
        let recs = run_reference(suite, cases);
        write_ref(&path, hash, &recs);
    }
    match read_ref(&path, hash) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    }
}

// ---------------------------------------------------------------------------------------
// The xlate side: A64 frontend -> IR -> interpreter, at the same addresses.

/// Guest memory for the tests: the code and scratch regions mapped at their fixed addresses
/// once per process; the mutex serialises the suites that share them.
static REGIONS: Mutex<bool> = Mutex::new(false);

fn map_fixed(addr: u64, len: usize) {
    // SAFETY: mapping fresh anonymous memory at an address nothing else in this test process
    // uses (MAP_FIXED_NOREPLACE fails instead of replacing an existing mapping).
    let p = unsafe {
        libc::mmap(
            addr as *mut libc::c_void,
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE,
            -1,
            0,
        )
    };
    assert_eq!(p as u64, addr, "cannot map test memory at {addr:#x}");
}

/// The mapped code region up to the end of the case: translation stops there, so a block
/// never runs past the case (its last exit is a fetch fault at `end`, taken as "done").
struct MemCode {
    end: u64,
}
impl CodeSource for MemCode {
    fn read_code(&self, addr: GuestAddr, buf: &mut [u8]) -> usize {
        let end = self.end;
        if addr.0 < CODE_BASE || addr.0 >= end {
            return 0;
        }
        let n = buf.len().min((end - addr.0) as usize);
        // SAFETY: [addr, addr + n) lies in the mapped code region.
        unsafe { std::ptr::copy_nonoverlapping(addr.0 as *const u8, buf.as_mut_ptr(), n) };
        n
    }
}

/// Runs one recorded case through xlate and returns its diff text (or what went wrong).
fn run_xlate(rec: &Recorded, case: &CaseSrc, optimize: bool) -> String {
    let init = initial_of(case);
    // SAFETY: the code region is mapped (REGIONS is held by the caller) and the case's words
    // fit in its slot.
    unsafe {
        std::ptr::write_bytes(CODE_BASE as *mut u8, 0, 1 << 20);
        for (i, w) in rec.words.iter().enumerate() {
            std::ptr::write_unaligned((rec.addr + 4 * i as u64) as *mut u32, *w);
        }
        std::ptr::copy_nonoverlapping(init.mem.as_ptr(), SCRATCH as *mut u8, MEM_BYTES);
    }
    let mut st = A64State {
        x: init.x,
        sp: init.sp,
        pc: rec.addr,
        vreg: init.v,
        fpcr: init.fpcr as u32,
        ..Default::default()
    };
    st.set_nzcv(init.nzcv);
    let end = rec.addr + 4 * rec.words.len() as u64;
    let mut fe = A64Frontend::new();
    let mut pc = rec.addr;
    let mut blocks = 0;
    while pc != end {
        blocks += 1;
        if blocks > 64 {
            return format!("did not reach the end (pc {pc:#x})");
        }
        let mut block = fe.translate(&MemCode { end }, GuestAddr(pc));
        if let Err(e) = ir::verify(&block) {
            return format!("IR verify failed: {e}");
        }
        if optimize {
            ir::opt::optimize(&mut block);
        }
        if let ir::Exit::Trap { message, .. } = &block.exit {
            if block.guest_insns == 0 {
                return format!("trap: {}", message.clone().unwrap_or_default());
            }
        }
        // SAFETY: `st` is a live A64State and the block touches only the mapped regions (the
        // case's addresses all point into scratch memory, as under qemu).
        let out = unsafe { ir::interp::run_block(&block, &mut st as *mut A64State as *mut u8) };
        match out.reason {
            ExitReason::Chain | ExitReason::Lookup => pc = out.next_pc.0,
            ExitReason::Trap if out.next_pc.0 == end => pc = end,
            r => return format!("block exit {r:?} at {:#x}", out.next_pc.0),
        }
    }
    let mut mem = vec![0u8; MEM_BYTES];
    // SAFETY: the scratch region is mapped.
    unsafe { std::ptr::copy_nonoverlapping(SCRATCH as *const u8, mem.as_mut_ptr(), MEM_BYTES) };
    let fin = Snap { x: st.x, sp: st.sp, nzcv: st.nzcv(), fpcr: init.fpcr, v: st.vreg, mem };
    diff(&init, &fin)
}

fn check_suite(suite: &str, cases: &[CaseSrc]) {
    let recs = references(suite, cases);
    check_recorded(suite, cases, &recs);
}

fn check_recorded(suite: &str, cases: &[CaseSrc], recs: &[Recorded]) {
    let mut guard = REGIONS.lock().unwrap_or_else(|e| e.into_inner());
    if !*guard {
        map_fixed(CODE_BASE, 1 << 20);
        map_fixed(SCRATCH, 1 << 16);
        *guard = true;
    }
    let mut failures = Vec::new();
    assert_eq!(recs.len(), cases.len());
    for (rec, case) in recs.iter().zip(cases) {
        for optimize in [false, true] {
            let got = run_xlate(rec, case, optimize);
            if got != rec.expect {
                failures.push(format!(
                    "{} [{}{}]\n    expected: {}\n    got:      {}",
                    rec.name,
                    rec.words.iter().map(|w| format!("{w:08x}")).collect::<Vec<_>>().join(" "),
                    if optimize { ", optimized" } else { "" },
                    rec.expect,
                    got
                ));
                break;
            }
        }
    }
    drop(guard);
    assert!(
        failures.is_empty(),
        "{} of {} {suite} cases differ from qemu:\n{}",
        failures.len(),
        recs.len(),
        failures.join("\n")
    );
    eprintln!("{suite}: {} cases match qemu", recs.len());
}

#[test]
fn a64_hand_cases_match_qemu() {
    check_suite("hand", &hand_cases());
}

#[test]
fn a64_generated_cases_match_qemu() {
    check_suite("generated", &generated_cases());
}

/// More generated cases on demand, compared with a live qemu run (nothing is recorded):
/// `XLATE_A64_LIVE=<words per row>[,<seed>] cargo test --test a64_diff -- --ignored`.
#[test]
#[ignore]
fn a64_generated_cases_live() {
    let Ok(spec) = std::env::var("XLATE_A64_LIVE") else { return };
    let mut parts = spec.split(',');
    let per_row = parts.next().and_then(|p| p.parse().ok()).unwrap_or(200);
    let seed =
        parts.next().and_then(|p| u64::from_str_radix(p.trim_start_matches("0x"), 16).ok()).unwrap_or(0x11fe);
    let cases = generated_cases_with(per_row, seed);
    for chunk in cases.chunks(1500) {
        let recs = run_reference("live", chunk);
        check_recorded("live", chunk, &recs);
    }
}

#[test]
fn a64_generated_fp_rounding_cases_match_qemu() {
    check_suite("rounding", &generated_rounding_cases());
}

#[test]
fn a64_fma_cases_match_qemu() {
    check_suite("fma", &generated_fma_cases());
}

#[test]
fn a64_fcvt_cases_match_qemu() {
    check_suite("fcvt", &generated_fcvt_cases());
}

#[test]
fn a64_fp_special_operand_cases_match_qemu() {
    check_suite("fpspecial", &generated_fp_special_cases());
}

#[test]
fn a64_int_conversion_and_frint_cases_match_qemu() {
    check_suite("intcvt", &a64_cases_intcvt::generated_intcvt_cases());
}

#[test]
fn a64_simd_fp_compare_cases_match_qemu() {
    check_suite("simdcmp", &a64_cases_simdcmp::generated_simdcmp_cases());
}

#[test]
fn a64_fp16_scalar_cases_match_qemu() {
    check_suite("fp16", &a64_cases_fp16::generated_fp16_cases());
}

#[test]
fn a64_simd_fp_arithmetic_flags_match_qemu() {
    check_suite("simdarith", &a64_cases_simdarith::generated_simdarith_cases());
}

#[test]
fn a64_fp16_vector_cases_match_qemu() {
    check_suite("fp16v", &a64_cases_fp16v::generated_fp16v_cases());
}

#[test]
fn a64_estimate_step_and_fcvtxn_flags_match_qemu() {
    check_suite("fpestimate", &a64_cases_fpestimate::generated_fpestimate_cases());
}

#[test]
fn a64_saturating_qc_matches_qemu() {
    check_suite("satqc", &a64_cases_satqc::generated_satqc_cases());
}

#[test]
fn a64_saturating_and_crypto_rows_match_qemu() {
    check_suite("satrows", &a64_cases_satrows::generated_satrows_cases());
}

/// Every row of the decode table has at least one differential case (so "implemented" and
/// "tested against qemu" are the same list), except the rows listed here with the reason.
#[test]
fn a64_every_row_has_a_differential_case() {
    const EXEMPT: &[(&str, &str)] = &[
        ("SVC", "a system call leaves the case; covered by every guest-bin"),
        ("BRK", "raises SIGTRAP; covered by the segv-trap guest-bin"),
    ];
    let mut seen = std::collections::HashSet::new();
    let table = xlate::frontend::aarch64::decode::table();
    // fp16v: the FEAT_FP16 AdvSIMD classes' rows.
    for suite in ["hand", "generated", "fp16v"] {
        let path = data_dir().join(format!("{suite}.ref"));
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for line in text.lines().skip(1) {
            let Some(words) = line.split('\t').nth(2) else { continue };
            for w in words.split(',').filter(|w| !w.is_empty()) {
                if let Some(row) = u32::from_str_radix(w, 16).ok().and_then(|w| table.lookup(w)) {
                    seen.insert(row.name);
                }
            }
        }
    }
    let missing: Vec<&str> = table
        .rows()
        .map(|r| r.2.name)
        .filter(|n| !seen.contains(n) && !EXEMPT.iter().any(|(e, _)| e == n))
        .collect();
    assert!(missing.is_empty(), "decode rows without a differential case: {missing:?}");
}
