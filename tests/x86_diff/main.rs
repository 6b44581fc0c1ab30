//! Differential tests of the x86-64 frontend: each case (instruction bytes, initial GPRs,
//! flags, xmm registers, MXCSR and scratch memory) runs natively, the oracle, and translated
//! (frontend -> IR -> IR interpreter, and frontend -> IR -> optimiser -> host backend; select
//! with `XLATE_DIFF_ENGINES=interp,backend`), and everything is compared afterwards: every GPR,
//! the flags, xmm0-15, MXCSR and the scratch memory, except what the SDM leaves undefined for
//! those instructions and operands ([`undefined`]): that is masked out of every outcome, native,
//! recorded and translated alike, so that recordings hold only what the architecture defines
//! and do not depend on the processor that made them.
//!
//! Native results are recorded in tests/data/x86_diff/<family>.txt (see [`record`]). On an
//! x86-64 host the test also checks that the recording is what native execution gives
//! (`XLATE_BLESS=1` rewrites it); on other hosts, which cannot run x86 code, the recording is
//! the oracle. A case whose CPU feature (BMI1, BMI2, ADX, MOVBE, LZCNT, POPCNT, SSE3, SSSE3,
//! SSE4.1, SSE4.2, ...) the x86-64 host lacks is not run natively: its recording is the
//! oracle there too, and a note names it ([`native::missing_feature`]).
//!
//! Cases come from the per-family lists (`cases_*.rs`): hand-written ones for every form, and
//! generated ones from a fixed seed (`XLATE_DIFF_CASES=N` asks for N per generator instead
//! of the CI default; cases beyond the default are checked against native only, not
//! recorded). `every_implemented_mnemonic_has_a_case` keeps "implemented" and "tested" the
//! same list. `XLATE_DIFF_TRACE=1` names each case before it runs.
//!
//! On the AArch64 build (run here under qemu-aarch64-static:
//! `RUSTC=/usr/bin/rustc CARGO_TARGET_DIR=target/cross cargo test --target
//! aarch64-unknown-linux-gnu --test x86_diff`) the same cases replay the recordings through
//! the interpreter and the AArch64 backend.
//!
//! Adding a family: write `cases_<family>.rs` with `pub fn cases() -> Vec<Case>`, add it to
//! [`FAMILIES`] and a `#[test]` calling [`check_family`], then run once with `XLATE_BLESS=1`
//! on an x86-64 host and commit the recording.

mod case;
#[cfg(target_arch = "x86_64")]
mod native;
mod record;
mod scratch;
mod translated;
mod ulp;
mod undefined;

mod cases_atomic;
mod cases_avx;
mod cases_bmi;
mod cases_flow;
mod cases_fma;
mod cases_fxsr;
mod cases_int;
mod cases_mmx;
mod cases_nop;
mod cases_sse;
mod cases_string;
mod cases_system;
mod cases_v2;
mod cases_v3;
mod cases_x87;
mod cases_x87_exact;
mod cases_x87_transcend;
mod int_forms;

use case::{Case, Outcome};
use iced_x86::{Decoder, DecoderOptions, Mnemonic};
use std::collections::BTreeSet;
use undefined::Undefined;

/// A family's case list.
type CaseList = fn() -> Vec<Case>;
/// A frontend family's dispatch lookup.
type Lookup = fn(Mnemonic) -> Option<xlate::frontend::x86_64::Handler>;

/// Every family: its name (the recording's file name) and its case list.
pub const FAMILIES: &[(&str, CaseList)] = &[
    ("sse_move", cases_sse::moves),
    ("sse_int", cases_sse::integer),
    ("sse_arith", cases_sse::arith),
    ("sse_convert", cases_sse::convert),
    ("string", cases_string::cases),
    ("atomic", cases_atomic::cases),
    ("system", cases_system::cases),
    ("alu", cases_int::alu),
    ("shift", cases_int::shift),
    ("muldiv", cases_int::muldiv),
    ("bits", cases_int::bits),
    ("bmi", cases_bmi::cases),
    ("mov", cases_flow::mov),
    ("stack", cases_flow::stack),
    ("control", cases_flow::control),
    ("x87", cases_x87::cases),
    ("x87_exact", cases_x87_exact::cases),
    ("x87_transcend", cases_x87_transcend::cases),
    ("nop_space", cases_nop::cases),
    ("fxsr", cases_fxsr::cases),
    ("mmx", cases_mmx::cases),
    ("sse3", cases_v2::sse3),
    ("ssse3", cases_v2::ssse3),
    ("sse41", cases_v2::sse41),
    ("sse41_fp", cases_v2::sse41_fp),
    ("sse42_string", cases_v2::sse42_string),
    ("vex128", cases_avx::vex128),
    ("vex256", cases_avx::vex256),
    ("fma", cases_fma::cases),
    ("v3", cases_v3::cases),
];

/// Mnemonics the frontend implements that cannot be compared with native execution, and why
/// (each has its own test elsewhere).
const NOT_NATIVE: &[(Mnemonic, &str)] = &[
    (Mnemonic::Cpuid, "reports xlate's features, not the host's (frontend unit test)"),
    (Mnemonic::Rcpps, "implementation-specific estimate (unit tests in frontend::x86_64::sse_recip)"),
    (Mnemonic::Rcpss, "implementation-specific estimate (unit tests in frontend::x86_64::sse_recip)"),
    (Mnemonic::Rsqrtps, "implementation-specific estimate (unit tests in frontend::x86_64::sse_recip)"),
    (Mnemonic::Rsqrtss, "implementation-specific estimate (unit tests in frontend::x86_64::sse_recip)"),
    (Mnemonic::Rdtsc, "reads a clock"),
    (Mnemonic::Rdtscp, "reads a clock"),
    (Mnemonic::Rdrand, "random (frontend unit test: rdrand::tests)"),
    (Mnemonic::Rdseed, "random (frontend unit test: rdrand::tests)"),
    (Mnemonic::Syscall, "ends the block with a syscall exit (frontend unit test)"),
    (Mnemonic::Cli, "#GP in user mode: guest-bins faults2-priv compares the signal with native runs"),
    (Mnemonic::Sti, "#GP in user mode: guest-bins faults2-priv compares the signal with native runs"),
    (Mnemonic::In, "#GP in user mode: guest-bins faults2-priv compares the signal with native runs"),
    (Mnemonic::Out, "#GP in user mode: guest-bins faults2-priv compares the signal with native runs"),
    (Mnemonic::Insb, "#GP in user mode: guest-bins faults2-priv compares the signal with native runs"),
    (Mnemonic::Insw, "#GP in user mode: guest-bins faults2-priv compares the signal with native runs"),
    (Mnemonic::Insd, "#GP in user mode: guest-bins faults2-priv compares the signal with native runs"),
    (Mnemonic::Outsb, "#GP in user mode: guest-bins faults2-priv compares the signal with native runs"),
    (Mnemonic::Outsw, "#GP in user mode: guest-bins faults2-priv compares the signal with native runs"),
    (Mnemonic::Outsd, "#GP in user mode: guest-bins faults2-priv compares the signal with native runs"),
    (Mnemonic::Rdmsr, "#GP in user mode: guest-bins faults2-priv compares the signal with native runs"),
    (Mnemonic::Wrmsr, "#GP in user mode: guest-bins faults2-priv compares the signal with native runs"),
    (Mnemonic::Lgdt, "#GP in user mode: guest-bins faults2-priv compares the signal with native runs"),
    (Mnemonic::Lidt, "#GP in user mode: guest-bins faults2-priv compares the signal with native runs"),
    (Mnemonic::Lldt, "#GP in user mode: guest-bins faults2-priv compares the signal with native runs"),
    (Mnemonic::Ltr, "#GP in user mode: guest-bins faults2-priv compares the signal with native runs"),
    (Mnemonic::Lmsw, "#GP in user mode: guest-bins faults2-priv compares the signal with native runs"),
    (Mnemonic::Invlpg, "#GP in user mode: guest-bins faults2-priv compares the signal with native runs"),
    (Mnemonic::Invd, "#GP in user mode: guest-bins faults2-priv compares the signal with native runs"),
    (Mnemonic::Wbinvd, "#GP in user mode: guest-bins faults2-priv compares the signal with native runs"),
    (Mnemonic::Clts, "#GP in user mode: guest-bins faults2-priv compares the signal with native runs"),
    (Mnemonic::Swapgs, "#GP in user mode: guest-bins faults2-priv compares the signal with native runs"),
    (Mnemonic::Sysret, "#GP in user mode: guest-bins faults2-priv compares the signal with native runs"),
    (Mnemonic::Sysexit, "#GP in user mode: guest-bins faults2-priv compares the signal with native runs"),
    (Mnemonic::Int, "int 0x80 is a system call, other vectors #GP: guest-bins faults2-int80 and faults2-priv against native runs"),
];

const GPR_NAMES: [&str; 16] = [
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14",
    "r15",
];

/// What differs between the expected and the translated outcome (None if they agree).
/// Both outcomes are in canonical form ([`Undefined::apply`]): what the architecture leaves
/// undefined is already masked out.
fn compare(case: &Case, expected: &Outcome, got: &Outcome) -> Option<String> {
    let (e, g) = match (expected, got) {
        (Outcome::Done { state: e, mem: em }, Outcome::Done { state: g, mem: gm }) => {
            let mut diffs = Vec::new();
            for (r, name) in GPR_NAMES.iter().enumerate() {
                if e.gpr[r] != g.gpr[r] {
                    diffs.push(format!("{name}: want {:#x} got {:#x}", e.gpr[r], g.gpr[r]));
                }
            }
            if e.rflags != g.rflags {
                diffs.push(format!("rflags: want {:#x} got {:#x}", e.rflags, g.rflags));
            }
            if e.mxcsr & case.mxcsr_mask != g.mxcsr & case.mxcsr_mask {
                diffs.push(format!("mxcsr: want {:#x} got {:#x}", e.mxcsr, g.mxcsr));
            }
            for x in 0..16 {
                if e.xmm[x] != g.xmm[x] {
                    diffs.push(format!(
                        "xmm{x}: want {:016x}_{:016x} got {:016x}_{:016x}",
                        e.xmm[x][1], e.xmm[x][0], g.xmm[x][1], g.xmm[x][0]
                    ));
                }
                if e.ymm_hi[x] != g.ymm_hi[x] {
                    diffs.push(format!(
                        "ymm{x} upper half: want {:016x}_{:016x} got {:016x}_{:016x}",
                        e.ymm_hi[x][1], e.ymm_hi[x][0], g.ymm_hi[x][1], g.ymm_hi[x][0]
                    ));
                }
            }
            if em != gm {
                let first =
                    em.iter().zip(gm.iter()).position(|(a, b)| a != b).unwrap_or(em.len().min(gm.len()));
                diffs.push(format!(
                    "memory: {} changed bytes wanted, {} got; first difference: want {:x?} got {:x?}",
                    em.len(),
                    gm.len(),
                    em.get(first),
                    gm.get(first)
                ));
            }
            if diffs.is_empty() {
                return None;
            }
            return Some(diffs.join("; "));
        }
        (e, g) => (e, g),
    };
    if e == g {
        None
    } else {
        let short = |o: &Outcome| match o {
            Outcome::Signal(s) => format!("signal {s}"),
            Outcome::Done { .. } => "normal end".to_string(),
        };
        Some(format!("want {} got {}", short(e), short(g)))
    }
}

fn disassemble(code: &[u8]) -> String {
    use iced_x86::Formatter;
    let mut f = iced_x86::IntelFormatter::new();
    let mut out = Vec::new();
    for insn in Decoder::with_ip(64, code, case::CODE_PC, DecoderOptions::NONE) {
        let mut s = String::new();
        f.format(&insn, &mut s);
        out.push(s);
    }
    out.join("; ")
}

/// Runs every case of a family on both sides and compares; panics with the first failures.
pub fn check_family(family: &str, cases: Vec<Case>) {
    let _guard = scratch::lock();
    let path = record::path(family);
    let recorded = match std::fs::read_to_string(&path) {
        Ok(text) => record::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        Err(_) => Default::default(),
    };
    let mut names = BTreeSet::new();
    for c in &cases {
        assert!(names.insert(c.name.clone()), "duplicate case name {} in {family}", c.name);
    }
    let mut failures: Vec<String> = Vec::new();
    let mut checked = 0usize;
    // XLATE_DIFF_TRACE=1 names each case before it runs (to find one that crashes the test).
    let trace = std::env::var("XLATE_DIFF_TRACE").is_ok_and(|v| v == "1");
    let mut engines: Vec<Box<dyn translated::Engine>> = Vec::new();
    let wanted = std::env::var("XLATE_DIFF_ENGINES").unwrap_or_else(|_| "interp,backend".into());
    if wanted.split(',').any(|e| e == "interp") {
        engines.push(Box::new(translated::Interp));
    }
    if wanted.split(',').any(|e| e == "backend") {
        engines.push(Box::new(translated::Compiled::new()));
    }
    #[cfg(target_arch = "x86_64")]
    let bless = std::env::var("XLATE_BLESS").is_ok_and(|v| v == "1");
    #[cfg(target_arch = "x86_64")]
    let mut lines = Vec::new();
    #[cfg(target_arch = "x86_64")]
    let mut stale = Vec::new();
    // Masked values over the family's cases: flag bits, GPRs and memory bytes.
    let mut masked = (0u32, 0u32, 0u32);
    let mut ulps = ulp::Counts::default();
    for case in &cases {
        let init_mem = case.mem.build();
        let undefined = Undefined::of(case);
        let counts = undefined.counts();
        masked = (masked.0 + counts.0, masked.1 + counts.1, masked.2 + counts.2);
        let rec = recorded
            .get(&case.name)
            .filter(|r| r.code == case.code && r.init == case.init && r.mem == case.mem);
        // A case this host cannot run natively (a CPU feature it lacks: see
        // `native::missing_feature`) is checked against its recording alone.
        #[cfg(target_arch = "x86_64")]
        let lacking = native::missing_feature(case);
        #[cfg(target_arch = "x86_64")]
        if let Some(feature) = lacking {
            eprintln!("note: {}: this host lacks {feature:?}, so the recording is the oracle", case.name);
        }
        #[cfg(target_arch = "x86_64")]
        let expected = if lacking.is_some() {
            match rec {
                Some(r) => {
                    if case.record {
                        lines.push(record::line(case, &r.outcome));
                    }
                    undefined.apply(&r.outcome, &init_mem)
                }
                None if case.record => {
                    failures.push(format!(
                        "{}: not in {} and this host cannot run it natively",
                        case.name,
                        path.display()
                    ));
                    continue;
                }
                None => continue,
            }
        } else {
            scratch::set(&init_mem);
            let mut native = undefined.apply(&native::run(case), &init_mem);
            // Status-word bits the case lists as vendor-dependent come from the recording:
            // translation does what the recording's processor did, on any host.
            if let Some(r) = rec {
                native = ulp::with_vendor_ax_bits(case, &r.outcome, native);
            }
            if case.record {
                // Results defined to one ulp may differ from the recording by that much (a
                // processor of the other vendor): the recording still stands.
                let agrees = rec.is_some_and(|r| {
                    let mut unused = ulp::Counts::default();
                    ulp::tolerate(case, &init_mem, &r.outcome, native.clone(), &mut unused) == r.outcome
                });
                if !agrees {
                    stale.push(case.name.clone());
                }
                lines.push(record::line(case, &native));
            }
            native
        };
        #[cfg(not(target_arch = "x86_64"))]
        let expected = match rec {
            Some(r) => undefined.apply(&r.outcome, &init_mem),
            None if case.record => {
                failures.push(format!(
                    "{}: not in {} (or recorded with other inputs)",
                    case.name,
                    path.display()
                ));
                continue;
            }
            None => continue,
        };
        checked += 1;
        if trace {
            eprintln!("case {} [{}]", case.name, disassemble(&case.code));
        }
        for engine in engines.iter_mut() {
            scratch::set(&init_mem);
            let diff = match translated::run(case, engine.as_mut()) {
                Ok(got) => {
                    let got = undefined.apply(&got, &init_mem);
                    compare(case, &expected, &ulp::tolerate(case, &init_mem, &expected, got, &mut ulps))
                }
                Err(e) => Some(e),
            };
            if let Some(d) = diff {
                let line = format!("{} [{}] ({}): {d}", case.name, disassemble(&case.code), engine.name());
                eprintln!("FAIL {line}");
                failures.push(line);
            }
        }
    }
    #[cfg(target_arch = "x86_64")]
    {
        let recorded_names: BTreeSet<_> = recorded.keys().cloned().collect();
        let wanted: BTreeSet<_> = cases.iter().filter(|c| c.record).map(|c| c.name.clone()).collect();
        if bless {
            let mut text = format!(
                "# Native x86-64 results of the {family} differential cases (tests/x86_diff); \
                 regenerate with XLATE_BLESS=1 cargo test --test x86_diff\n"
            );
            for l in &lines {
                text.push_str(l);
                text.push('\n');
            }
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
        } else if !stale.is_empty() || recorded_names != wanted {
            failures.push(format!(
                "recording {} is out of date ({} cases differ or are missing, {} recorded cases no longer \
                 exist, e.g. {:?}): rerun with XLATE_BLESS=1 and commit it",
                path.display(),
                stale.len(),
                recorded_names.difference(&wanted).count(),
                stale.first()
            ));
        }
    }
    eprintln!(
        "{family}: {checked} cases checked, {} failures; undefined and masked: {} flag bits, {} GPRs, {} memory bytes",
        failures.len(),
        masked.0,
        masked.1,
        masked.2
    );
    if ulps.exact + ulps.one_ulp > 0 {
        eprintln!(
            "{family}: results defined to one ulp, over all engines: {} bit-exact, {} one ulp apart; {} \
             cases with equal results and C1 apart",
            ulps.exact, ulps.one_ulp, ulps.c1_only
        );
    }
    if !failures.is_empty() {
        let shown: Vec<&String> = failures.iter().take(25).collect();
        panic!(
            "{family}: {} of {} cases failed:\n{}",
            failures.len(),
            cases.len(),
            shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
        );
    }
}

#[test]
fn sse_move() {
    check_family("sse_move", cases_sse::moves());
}
#[test]
fn sse_int() {
    check_family("sse_int", cases_sse::integer());
}
#[test]
fn sse_arith() {
    check_family("sse_arith", cases_sse::arith());
}
#[test]
fn sse_convert() {
    check_family("sse_convert", cases_sse::convert());
}
#[test]
fn string() {
    check_family("string", cases_string::cases());
}
#[test]
fn atomic() {
    check_family("atomic", cases_atomic::cases());
}
#[test]
fn system() {
    check_family("system", cases_system::cases());
}
#[test]
fn alu() {
    check_family("alu", cases_int::alu());
}
#[test]
fn shift() {
    check_family("shift", cases_int::shift());
}
#[test]
fn muldiv() {
    check_family("muldiv", cases_int::muldiv());
}
#[test]
fn bits() {
    check_family("bits", cases_int::bits());
}
#[test]
fn bmi() {
    check_family("bmi", cases_bmi::cases());
}
#[test]
fn mov() {
    check_family("mov", cases_flow::mov());
}
#[test]
fn stack() {
    check_family("stack", cases_flow::stack());
}
#[test]
fn control() {
    check_family("control", cases_flow::control());
}
#[test]
fn x87() {
    check_family("x87", cases_x87::cases());
}
#[test]
fn x87_exact() {
    check_family("x87_exact", cases_x87_exact::cases());
}
#[test]
fn x87_transcend() {
    check_family("x87_transcend", cases_x87_transcend::cases());
}
#[test]
fn nop_space() {
    check_family("nop_space", cases_nop::cases());
}
#[test]
fn fxsr() {
    check_family("fxsr", cases_fxsr::cases());
}
#[test]
fn mmx() {
    check_family("mmx", cases_mmx::cases());
}

#[test]
fn sse3() {
    check_family("sse3", cases_v2::sse3());
}

#[test]
fn ssse3() {
    check_family("ssse3", cases_v2::ssse3());
}

#[test]
fn sse41() {
    check_family("sse41", cases_v2::sse41());
}

#[test]
fn sse41_fp() {
    check_family("sse41_fp", cases_v2::sse41_fp());
}

#[test]
fn sse42_string() {
    check_family("sse42_string", cases_v2::sse42_string());
}

#[test]
fn vex128() {
    check_family("vex128", cases_avx::vex128());
}

#[test]
fn vex256() {
    check_family("vex256", cases_avx::vex256());
}

#[test]
fn fma() {
    check_family("fma", cases_fma::cases());
}

#[test]
fn v3() {
    check_family("v3", cases_v3::cases());
}

/// CPUID advertises AVX (AVX2) only if every VEX form of that extension iced decodes is
/// translated (and so has cases: the VEX families are generated from the same list). Forms
/// that also need an extension cpuid does not report (AES, GFNI, SHA512, ...: `vaesenc xmm`
/// is AES and AVX) do not count.
#[test]
fn cpuid_avx_bits_match_the_implemented_vex_forms() {
    use iced_x86::CpuidFeature as F;
    let missing = cases_avx::unimplemented_vex_codes();
    let (ecx1, ebx7) = (xlate::frontend::x86_64::CPUID_1_ECX, xlate::frontend::x86_64::CPUID_7_EBX);
    let reported = |f: F| match f {
        F::AVX | F::AVX2 => true,
        F::FMA => ecx1 & 1 << 12 != 0,
        F::F16C => ecx1 & 1 << 29 != 0,
        F::AES => ecx1 & 1 << 25 != 0,
        F::PCLMULQDQ => ecx1 & 1 << 1 != 0,
        F::BMI1 => ebx7 & 1 << 3 != 0,
        F::BMI2 => ebx7 & 1 << 8 != 0,
        _ => false,
    };
    let lacks = |f: F| {
        let names: Vec<String> = missing
            .iter()
            .filter(|&&c| {
                let mut i = iced_x86::Instruction::default();
                i.set_code(c);
                let fs = i.cpuid_features();
                fs.contains(&f) && fs.iter().all(|&g| reported(g))
            })
            .map(|c| format!("{c:?}"))
            .collect();
        eprintln!("{f:?} forms not implemented: {names:?}");
        names.len()
    };
    let (avx, avx2, fma, f16c) = (lacks(F::AVX), lacks(F::AVX2), lacks(F::FMA), lacks(F::F16C));
    eprintln!(
        "VEX forms not implemented: {avx} of AVX, {avx2} of AVX2, {fma} of FMA, {f16c} of F16C ({} in all)",
        missing.len()
    );
    let ecx = xlate::frontend::x86_64::CPUID_1_ECX;
    let ebx = xlate::frontend::x86_64::CPUID_7_EBX;
    assert!(avx == 0 || ecx & 1 << 28 == 0, "cpuid reports AVX but {avx} AVX forms are not implemented");
    assert!(avx2 == 0 || ebx & 1 << 5 == 0, "cpuid reports AVX2 but {avx2} AVX2 forms are not implemented");
    assert!(fma == 0 || ecx & 1 << 12 == 0, "cpuid reports FMA but {fma} FMA forms are not implemented");
    assert!(f16c == 0 || ecx & 1 << 29 == 0, "cpuid reports F16C but {f16c} F16C forms are not implemented");
}

/// The frontend families whose every mnemonic must have a differential case. A family joins
/// this list together with its case list; the test also prints the implemented mnemonics of
/// other families that still lack cases.
const CHECKED_FAMILIES: &[(&str, Lookup)] = &[
    ("sse_move", xlate::frontend::x86_64::sse_move::lookup),
    ("sse_int", xlate::frontend::x86_64::sse_int::lookup),
    ("sse_arith", xlate::frontend::x86_64::sse_arith::lookup),
    ("sse_convert", xlate::frontend::x86_64::sse_convert::lookup),
    ("string", xlate::frontend::x86_64::string::lookup),
    ("atomic", xlate::frontend::x86_64::atomic::lookup),
    ("system", xlate::frontend::x86_64::system::lookup),
    ("alu", xlate::frontend::x86_64::alu::lookup),
    ("shift", xlate::frontend::x86_64::shift::lookup),
    ("muldiv", xlate::frontend::x86_64::muldiv::lookup),
    ("bits", xlate::frontend::x86_64::bits::lookup),
    ("bmi", xlate::frontend::x86_64::bmi::lookup),
    ("crc32", xlate::frontend::x86_64::crc32::lookup),
    ("rdrand", xlate::frontend::x86_64::rdrand::lookup),
    ("control", xlate::frontend::x86_64::control::lookup),
    ("stack", xlate::frontend::x86_64::stack::lookup),
    ("mov", xlate::frontend::x86_64::mov::lookup),
    ("x87", xlate::frontend::x86_64::x87::lookup),
    ("fxsr", xlate::frontend::x86_64::fxsr::lookup),
    ("mmx", xlate::frontend::x86_64::mmx::lookup),
    ("sse3", xlate::frontend::x86_64::sse3::lookup),
    ("ssse3", xlate::frontend::x86_64::ssse3::lookup),
    ("sse41", xlate::frontend::x86_64::sse41_int::lookup),
    ("sse41_fp", xlate::frontend::x86_64::sse41_fp::lookup),
    ("sse42_string", xlate::frontend::x86_64::sse42_string::lookup),
    ("masked", xlate::frontend::x86_64::masked::lookup),
    ("masked_vex", xlate::frontend::x86_64::masked::lookup_vex),
    ("xsave", xlate::frontend::x86_64::xsave::lookup),
];

/// Every mnemonic of the [`CHECKED_FAMILIES`] has at least one differential case (or is
/// listed in [`NOT_NATIVE`] with the reason).
#[test]
fn every_implemented_mnemonic_has_a_case() {
    let mut covered = BTreeSet::new();
    for (_, cases) in FAMILIES {
        for c in cases() {
            for insn in Decoder::with_ip(64, &c.code, case::CODE_PC, DecoderOptions::NONE) {
                covered.insert(insn.mnemonic());
            }
        }
    }
    let uncovered = |m: &Mnemonic| !covered.contains(m) && !NOT_NATIVE.iter().any(|(n, _)| n == m);
    let missing: Vec<(&str, Mnemonic)> = CHECKED_FAMILIES
        .iter()
        .flat_map(|(family, lookup)| {
            Mnemonic::values().filter(|&m| lookup(m).is_some()).map(move |m| (*family, m))
        })
        .filter(|(_, m)| uncovered(m))
        .collect();
    let elsewhere: Vec<Mnemonic> = Mnemonic::values()
        .filter(|&m| xlate::frontend::x86_64::lookup(m).is_some())
        .filter(uncovered)
        .collect();
    eprintln!(
        "implemented mnemonics without differential cases (outside the checked families): {elsewhere:?}"
    );
    let implemented = Mnemonic::values().filter(|&m| xlate::frontend::x86_64::lookup(m).is_some()).count();
    eprintln!("x86-64 mnemonics implemented: {implemented}");
    assert!(missing.is_empty(), "implemented mnemonics without a differential case: {missing:?}");
}

/// The harness itself: the recording format round-trips, and native runs see the state they
/// were given (a case of no instructions changes nothing).
#[test]
fn harness_round_trips() {
    let mut rng = case::Rng::new(7);
    let c = Case::new("empty", vec![]).random_state(&mut rng, &[6]).mem(0x10, &[1, 2, 3]);
    let out = Outcome::Done { state: c.init.clone(), mem: vec![(3, 9), (4, 10), (9, 1)] };
    let parsed = record::parse(&record::line(&c, &out)).unwrap();
    let r = &parsed["empty"];
    assert_eq!((&r.code, &r.init, &r.mem, &r.outcome), (&c.code, &c.init, &c.mem, &out));
    // An outcome is written as its changes from the initial state: values that changed, that
    // kept their value, and upper ymm halves that were set and became zero all come back.
    let mut ymm = c.clone();
    ymm.init.ymm_hi[4] = [1, 2];
    let mut state = ymm.init.clone();
    (state.gpr[3], state.xmm[2][1], state.rflags, state.ymm_hi) = (5, 7, 0x801, [[0; 2]; 16]);
    for state in [state.clone(), case::CpuState { ymm_hi: ymm.init.ymm_hi, ..state }] {
        let out = Outcome::Done { state, mem: vec![] };
        let line = record::line(&ymm, &out);
        assert!(line.len() < record::line(&ymm, &Outcome::Signal(11)).len() + 200, "{line}");
        assert_eq!(record::parse(&line).unwrap()["empty"].outcome, out);
    }
    #[cfg(target_arch = "x86_64")]
    {
        let _guard = scratch::lock();
        scratch::set(&c.mem.build());
        assert_eq!(native::run(&c), Outcome::Done { state: c.init.clone(), mem: vec![] });
    }
}
