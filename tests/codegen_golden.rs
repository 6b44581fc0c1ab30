//! Codegen golden files: for common guest instructions and short sequences, the real frontend
//! builds the IR block and each backend emits its host code, listed under
//! `tests/data/codegen/<host>/<family>.txt` (guest instructions, IR, host disassembly with
//! offsets, host instruction count). Both backends emit on any host (only running the code
//! needs the host), so the files are the same on every machine. Every change to emitted
//! code is then a reviewed diff: `XLATE_BLESS=1 cargo test --test codegen_golden` rewrites
//! the files; without it a difference fails and prints the cases that changed.
//!
//! Stability: the x86-64 backend is pinned to [`HostFeatures::ALL`] (not this CPU's), each
//! case compiles into a fresh code cache (so branches to the fixed code have fixed offsets),
//! and absolute addresses (helper entry points, the jump table) show as `<addr>`: an
//! immediate is one when it falls inside a mapping of this process.

use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};
use std::fmt::Write as _;
use std::path::PathBuf;
use xlate::backend::aarch64::Aarch64Backend;
use xlate::backend::x86_64::{HostFeatures, X86_64Backend};
use xlate::backend::Backend;
use xlate::cache::CodeCache;
use xlate::frontend::aarch64::A64Frontend;
use xlate::frontend::x86_64::X86Frontend;
use xlate::frontend::{Frontend, SliceCode};
use xlate::guest::aarch64::Aarch64Guest;
use xlate::guest::x86_64::X86_64Guest;
use xlate::guest::Guest;
use xlate::ir::{Block, GuestAddr, MemoryModel};
use yaxpeax_arch::{Decoder as _, U8Reader};
use yaxpeax_arm::armv8::a64::InstDecoder;

/// Where the guest bytes of every case sit.
const GUEST_BASE: u64 = 0x40_1000;

#[derive(Clone, Copy, PartialEq)]
enum Isa {
    X86_64,
    Aarch64,
}

/// One case: a name and the guest bytes of one block (ending in a branch, so the block ends
/// as real blocks do).
struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    /// The frontend's memory model (`--memory-model`): TSO unless the case says relaxed.
    model: MemoryModel,
    /// Guest code placed right after `bytes`, where the case's block jumps (its appended
    /// `jmp`, or a `jcc +0`): not compiled, but the frontend looks ahead into it to find
    /// the flags it overwrites before reading them (`frontend::lookahead`). Empty for most
    /// cases: the block's exits then lead to no readable code, and keep every flag.
    successor: Vec<u8>,
    /// `--exact-addresses`: the guest's canonical-address rule is checked on every access
    /// (`Backend::set_canonical_addresses`).
    exact_addresses: bool,
}

/// The canonical-address bits the dispatcher gives the backend for `case`.
fn canonical_bits(guest: Isa, case: &Case) -> Option<u32> {
    let bits = match guest {
        Isa::X86_64 => <X86_64Guest as Guest>::canonical_address_bits(),
        Isa::Aarch64 => <Aarch64Guest as Guest>::canonical_address_bits(),
    };
    bits.filter(|_| case.exact_addresses)
}

/// `jmp` to the next instruction: ends an x86-64 case's block with a chainable jump.
const X86_JMP_NEXT: [u8; 5] = [0xe9, 0, 0, 0, 0];

fn x86(name: &'static str, bytes: &[u8]) -> Case {
    let ends_block = name == "ret" || name.contains("jcc") || name.starts_with("call");
    let mut all = bytes.to_vec();
    if !ends_block {
        all.extend_from_slice(&X86_JMP_NEXT);
    }
    Case { name, bytes: all, model: MemoryModel::Tso, successor: Vec::new(), exact_addresses: false }
}

/// An x86-64 case whose block jumps to `successor` (see [`Case::successor`]).
fn x86_then(name: &'static str, bytes: &[u8], successor: &[u8]) -> Case {
    Case { successor: successor.to_vec(), ..x86(name, bytes) }
}

/// An x86-64 case translated with `--exact-addresses`.
fn x86_exact(name: &'static str, bytes: &[u8]) -> Case {
    Case { exact_addresses: true, ..x86(name, bytes) }
}

/// An x86-64 case translated with `--memory-model=relaxed`.
fn x86_relaxed(name: &'static str, bytes: &[u8]) -> Case {
    Case { model: MemoryModel::Relaxed, ..x86(name, bytes) }
}

/// `b` to the next instruction: ends an A64 case's block.
const A64_B_NEXT: u32 = 0x1400_0001;

fn a64(name: &'static str, words: &[u32]) -> Case {
    let mut all: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    if !name.contains("b.cond") && !name.contains("ret") {
        all.extend_from_slice(&A64_B_NEXT.to_le_bytes());
    }
    Case { name, bytes: all, model: MemoryModel::Tso, successor: Vec::new(), exact_addresses: false }
}

fn x86_integer() -> Vec<Case> {
    vec![
        x86("mov rax, rbx", &[0x48, 0x89, 0xd8]),
        x86("mov eax, imm32", &[0xb8, 0x78, 0x56, 0x34, 0x12]),
        x86("mov rax, imm64", &[0x48, 0xb8, 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01]),
        x86("xor eax, eax", &[0x31, 0xc0]),
        x86("add rax, rbx", &[0x48, 0x01, 0xd8]),
        x86("add eax, 1", &[0x83, 0xc0, 0x01]),
        x86("sub rcx, rdx", &[0x48, 0x29, 0xd1]),
        x86("inc rax", &[0x48, 0xff, 0xc0]),
        x86("cmp rax, rbx + jcc jne", &[0x48, 0x39, 0xd8, 0x75, 0x00]),
        x86("cmp eax, 10 + jcc jl", &[0x83, 0xf8, 0x0a, 0x7c, 0x00]),
        x86("test rax, rax + jcc je", &[0x48, 0x85, 0xc0, 0x74, 0x00]),
        x86("sub + jcc jb (carry after subtraction)", &[0x48, 0x29, 0xd1, 0x72, 0x00]),
        x86("lea rax, [rbx+rcx*4+8]", &[0x48, 0x8d, 0x44, 0x8b, 0x08]),
        x86("imul rax, rbx", &[0x48, 0x0f, 0xaf, 0xc3]),
        x86("imul eax, ecx, 100", &[0x6b, 0xc1, 0x64]),
        x86("shl rcx, 3", &[0x48, 0xc1, 0xe1, 0x03]),
        x86("sar rax, cl", &[0x48, 0xd3, 0xf8]),
        x86("shr edx, 1", &[0xd1, 0xea]),
        x86("cmp + sete al", &[0x48, 0x39, 0xd8, 0x0f, 0x94, 0xc0]),
        x86("cmp + cmovl rax, rbx", &[0x48, 0x39, 0xd8, 0x48, 0x0f, 0x4c, 0xc3]),
        x86(
            "loop: add rax, [rsi+rcx*8]; inc rcx; cmp rcx, rdx; jcc jne",
            &[0x48, 0x03, 0x04, 0xce, 0x48, 0xff, 0xc1, 0x48, 0x39, 0xd1, 0x75, 0xf4],
        ),
        x86(
            "add rax, rbx; sub rcx, rdx (the sub overwrites every flag)",
            &[0x48, 0x01, 0xd8, 0x48, 0x29, 0xd1],
        ),
        x86(
            "inc rcx; add rax, rbx (inc keeps CF, the add overwrites all)",
            &[0x48, 0xff, 0xc1, 0x48, 0x01, 0xd8],
        ),
        x86_then(
            "add rax, rbx; successor: add rcx, rdx (every flag dead at the exit)",
            &[0x48, 0x01, 0xd8],
            &[0x48, 0x01, 0xd1],
        ),
        x86_then(
            "add rax, rbx; successor: sete al; add rcx, rdx (only ZF live)",
            &[0x48, 0x01, 0xd8],
            &[0x0f, 0x94, 0xc0, 0x48, 0x01, 0xd1],
        ),
        x86_then(
            "add rax, rbx; successor: inc rcx; jb (only CF live)",
            &[0x48, 0x01, 0xd8],
            &[0x48, 0xff, 0xc1, 0x72, 0x00],
        ),
        x86_then(
            "cmp rax, rbx + jcc jne; successor on both sides: add rcx, rdx",
            &[0x48, 0x39, 0xd8, 0x75, 0x00],
            &[0x48, 0x01, 0xd1],
        ),
        x86_then(
            "loop: add rax, [rsi+rcx*8]; inc rcx; cmp rcx, rdx; jcc jne; after the loop: add rcx, rdx",
            &[0x48, 0x03, 0x04, 0xce, 0x48, 0xff, 0xc1, 0x48, 0x39, 0xd1, 0x75, 0xf4],
            &[0x48, 0x01, 0xd1],
        ),
    ]
}

fn x86_memory() -> Vec<Case> {
    vec![
        x86("mov rax, [rbx]", &[0x48, 0x8b, 0x03]),
        x86("mov rax, [rbx+rcx*8+0x10]", &[0x48, 0x8b, 0x44, 0xcb, 0x10]),
        x86("mov [rsp+8], rax", &[0x48, 0x89, 0x44, 0x24, 0x08]),
        x86("mov dword [rdi+4], 7", &[0xc7, 0x47, 0x04, 0x07, 0x00, 0x00, 0x00]),
        x86("movzx eax, byte [rsi]", &[0x0f, 0xb6, 0x06]),
        x86("movsxd rax, dword [rdi]", &[0x48, 0x63, 0x07]),
        x86("add [rbx], eax", &[0x01, 0x03]),
        x86("mov rax, [rip+0x100]", &[0x48, 0x8b, 0x05, 0x00, 0x01, 0x00, 0x00]),
        x86("push rbx", &[0x53]),
        x86("pop rbx", &[0x5b]),
        x86("call rel32", &[0xe8, 0x00, 0x00, 0x00, 0x00]),
        x86("ret", &[0xc3]),
    ]
}

fn x86_sse() -> Vec<Case> {
    vec![
        x86("addsd xmm0, xmm1", &[0xf2, 0x0f, 0x58, 0xc1]),
        x86("mulsd xmm0, xmm1", &[0xf2, 0x0f, 0x59, 0xc1]),
        x86("divsd xmm0, xmm1", &[0xf2, 0x0f, 0x5e, 0xc1]),
        x86("sqrtsd xmm0, xmm1", &[0xf2, 0x0f, 0x51, 0xc1]),
        x86("minsd xmm0, xmm1", &[0xf2, 0x0f, 0x5d, 0xc1]),
        x86("maxsd xmm0, xmm1", &[0xf2, 0x0f, 0x5f, 0xc1]),
        x86("subsd xmm2, [rax]", &[0xf2, 0x0f, 0x5c, 0x10]),
        x86("addss xmm0, xmm1", &[0xf3, 0x0f, 0x58, 0xc1]),
        x86("mulsd xmm0, xmm1; addsd xmm2, xmm0", &[0xf2, 0x0f, 0x59, 0xc1, 0xf2, 0x0f, 0x58, 0xd0]),
        x86("movsd xmm0, [rax]", &[0xf2, 0x0f, 0x10, 0x00]),
        x86("movsd [rax], xmm0", &[0xf2, 0x0f, 0x11, 0x00]),
        x86("vmovdqu [rax], ymm0 (256-bit store: both halves loaded first)", &[0xc5, 0xfe, 0x7f, 0x00]),
        x86("paddd xmm0, xmm1", &[0x66, 0x0f, 0xfe, 0xc1]),
        x86(
            "pshufd xmm0, xmm1, 0x1b; paddd xmm0, xmm2; pcmpeqb xmm0, xmm3",
            &[0x66, 0x0f, 0x70, 0xc1, 0x1b, 0x66, 0x0f, 0xfe, 0xc2, 0x66, 0x0f, 0x74, 0xc3],
        ),
        x86(
            "pslld xmm1, 25; psrld xmm0, 7; por xmm0, xmm1 (rotate)",
            &[0x66, 0x0f, 0x72, 0xf1, 0x19, 0x66, 0x0f, 0x72, 0xd0, 0x07, 0x66, 0x0f, 0xeb, 0xc1],
        ),
        x86("movdqa xmm0, xmm1", &[0x66, 0x0f, 0x6f, 0xc1]),
        x86("movdqa xmm0, [rax]", &[0x66, 0x0f, 0x6f, 0x00]),
        x86("ucomisd xmm0, xmm1; ja", &[0x66, 0x0f, 0x2e, 0xc1, 0x77, 0x10]),
        x86("cmpltsd xmm0, xmm1", &[0xf2, 0x0f, 0xc2, 0xc1, 0x01]),
        x86("cvttsd2si eax, xmm0", &[0xf2, 0x0f, 0x2c, 0xc0]),
        x86("cvtsi2sd xmm0, rax", &[0xf2, 0x48, 0x0f, 0x2a, 0xc0]),
        x86("cvtss2sd xmm0, xmm1", &[0xf3, 0x0f, 0x5a, 0xc1]),
        x86("pshufb xmm0, xmm1 (SSSE3, helper)", &[0x66, 0x0f, 0x38, 0x00, 0xc1]),
        x86(
            "pminud xmm0, xmm1; pmulld xmm0, xmm2 (SSE4.1, lane ops)",
            &[0x66, 0x0f, 0x38, 0x3b, 0xc1, 0x66, 0x0f, 0x38, 0x40, 0xc2],
        ),
    ]
}

fn x86_ordering() -> Vec<Case> {
    vec![
        x86("lock add [rdi], eax", &[0xf0, 0x01, 0x07]),
        x86("lock xadd [rdi], eax", &[0xf0, 0x0f, 0xc1, 0x07]),
        x86("xchg [rdi], rax", &[0x48, 0x87, 0x07]),
        x86("lock cmpxchg [rdi], rcx", &[0xf0, 0x48, 0x0f, 0xb1, 0x0f]),
        x86("mfence", &[0x0f, 0xae, 0xf0]),
        x86("store; mfence; load", &[0x89, 0x07, 0x0f, 0xae, 0xf0, 0x8b, 0x06]),
        // TSO: every ordinary load is acquire, every store release (message passing).
        x86("mov [rdi], eax; mov [rsi], ecx (data, flag)", &[0x89, 0x07, 0x89, 0x0e]),
        x86("mov eax, [rsi]; mov ecx, [rdi] (flag, data)", &[0x8b, 0x06, 0x8b, 0x0f]),
        x86("add [rdi], eax (load and store)", &[0x01, 0x07]),
        x86("lfence; sfence", &[0x0f, 0xae, 0xe8, 0x0f, 0xae, 0xf8]),
        // The same under --memory-model=relaxed: plain accesses.
        x86_relaxed("relaxed: mov [rdi], eax; mov [rsi], ecx", &[0x89, 0x07, 0x89, 0x0e]),
        x86_relaxed("relaxed: mov eax, [rsi]; mov ecx, [rdi]", &[0x8b, 0x06, 0x8b, 0x0f]),
        x86_relaxed("relaxed: add [rdi], eax", &[0x01, 0x07]),
        x86_relaxed("relaxed: store; mfence; load", &[0x89, 0x07, 0x0f, 0xae, 0xf0, 0x8b, 0x06]),
        x86_relaxed("relaxed: lock add [rdi], eax", &[0xf0, 0x01, 0x07]),
    ]
}

/// `--exact-addresses`: every x86-64 data access checks its address is canonical on the
/// AArch64 host (which ignores the top byte); the x86-64 host's hardware checks it.
fn x86_exact_addresses() -> Vec<Case> {
    vec![
        x86_exact("mov rax, [rbx]", &[0x48, 0x8b, 0x03]),
        x86_exact("mov rax, [rbx+rcx*8+0x10]", &[0x48, 0x8b, 0x44, 0xcb, 0x10]),
        x86_exact("mov [rsp+8], rdi", &[0x48, 0x89, 0x7c, 0x24, 0x08]),
        x86_exact("push rax; pop rcx", &[0x50, 0x59]),
        x86_exact("lock add [rdi], eax", &[0xf0, 0x01, 0x07]),
        x86_exact("lock cmpxchg [rdi], rcx", &[0xf0, 0x48, 0x0f, 0xb1, 0x0f]),
        x86_exact("movdqu xmm0, [rsi]", &[0xf3, 0x0f, 0x6f, 0x06]),
        x86_exact("movdqu [rdi], xmm0", &[0xf3, 0x0f, 0x7f, 0x07]),
    ]
}

fn a64_cases() -> Vec<Case> {
    vec![
        a64("add x0, x1, x2", &[0x8b02_0020]),
        a64("subs x0, x1, #1", &[0xf100_0420]),
        a64("cmp x0, x1 + b.cond ne", &[0xeb01_001f, 0x5400_0021]),
        a64("ldr x0, [x1, #8]", &[0xf940_0420]),
        a64("str w0, [x1, x2, lsl #2]", &[0xb822_7820]),
        a64("ldp x0, x1, [sp, #16]", &[0xa941_07e0]),
        a64("mul x0, x1, x2", &[0x9b02_7c20]),
        a64("lsl x0, x1, #3", &[0xd37d_f020]),
        a64("csel x0, x1, x2, eq", &[0x9a82_0020]),
        a64("fadd d0, d1, d2", &[0x1e62_2820]),
        a64("fadd d0, d1, d2; fmadd d3, d4, d5, d6", &[0x1e62_2820, 0x1f45_1883]),
        a64("fnmsub s0, s1, s2, s3", &[0x1f22_8c20]),
        a64("fadd h0, h1, h2 (half: the reference call)", &[0x1ee2_2820]),
        a64(
            "scvtf d0, x1; fcvtzs x0, d0; frintx d0, d1 (one helper call each, which ORs the FPSR flags)",
            &[0x9e62_0020, 0x9e78_0000, 0x1e67_4020],
        ),
        a64("fmla v0.4s, v1.4s, v2.4s", &[0x4e22_cc20]),
        a64("fmls v0.2d, v1.2d, v2.d[1]", &[0x4fc2_5820]),
        a64("add v0.4s, v1.4s, v2.4s; cmeq v0.16b, v1.16b, v2.16b", &[0x4ea2_8420, 0x6e22_8c20]),
        a64("ushr v3.4s, v0.4s, #7; zip1 v0.16b, v1.16b, v2.16b", &[0x6f39_0403, 0x4e02_3820]),
        a64("ldaxr x0, [x1]", &[0xc85f_fc20]),
        a64("stlxr w2, x0, [x1]", &[0xc802_fc20]),
        a64("ldar x0, [x1]", &[0xc8df_fc20]),
        a64("ldapr x0, [x1]", &[0xf8bf_c020]),
        a64("stlr x0, [x1]", &[0xc89f_fc20]),
        a64("stlr w0, [x1]; ldar w2, [x3] (RCsc)", &[0x889f_fc20, 0x88df_fc62]),
        a64("ldaprb w0, [x1]", &[0x38bf_c020]),
        a64("stlr x0, [x1]; ldapr x2, [x3] (RCpc)", &[0xc89f_fc20, 0xf8bf_c062]),
        a64("ldaxp x0, x1, [x2]", &[0xc87f_8440]),
        a64("stlxp w3, x0, x1, [x2]", &[0xc823_8440]),
        a64("caspal x0, x1, x2, x3, [x4]", &[0x4860_fc82]),
        a64("crc32cx w0, w1, x2", &[0x9ac2_5c20]),
        a64("ldaddal w0, w1, [x2]", &[0xb8e0_0041]),
        a64("dmb ish", &[0xd503_3bbf]),
        a64("dmb ishld", &[0xd503_39bf]),
        a64("dmb ishst", &[0xd503_3abf]),
        a64("ret", &[0xd65f_03c0]),
        // A SHA-256 round as rustc compiles the sha2 crate's portable compress256 (perf/README.md,
        // rust-sha2): rotates, shifted-register EOR, BIC, 32-bit adds, a constant, LDP and STR.
        a64(
            "sha256 round (sha2 compress256, 26 insns)",
            &[
                0x138d_19ac,
                0x0a0d_01d1,
                0x0b0a_0129,
                0x0a2d_036a,
                0x5294_3986,
                0x4acd_2d8c,
                0x1389_0932,
                0x2a0a_022a,
                0x2944_ebe0,
                0x0b0a_01ea,
                0x4acd_658c,
                0x72a4_8186,
                0x2a02_03e1,
                0x1382_1c42,
                0x4ac9_3652,
                0x0b06_014a,
                0x1385_1cb5,
                0x4a10_016f,
                0x0b0c_014a,
                0x139a_1f4c,
                0x0a10_0171,
                0x0a0f_012f,
                0x4ac9_5a52,
                0x2a01_03e8,
                0xb900_17e1,
                0x4ac1_4841,
            ],
        ),
    ]
}

/// The address ranges mapped in this process now (absolute addresses in host code point
/// there: read while the case's code cache is mapped).
fn mappings() -> Vec<(u64, u64)> {
    let maps = std::fs::read_to_string("/proc/self/maps").expect("/proc/self/maps");
    maps.lines()
        .filter_map(|line| {
            let range = line.split_whitespace().next()?;
            let (lo, hi) = range.split_once('-')?;
            Some((u64::from_str_radix(lo, 16).ok()?, u64::from_str_radix(hi, 16).ok()?))
        })
        .collect()
}

fn is_address(maps: &[(u64, u64)], v: u64) -> bool {
    v >= 0x1_0000 && maps.iter().any(|&(lo, hi)| (lo..hi).contains(&v))
}

/// `text` with every hex number that is a mapped address replaced by `<addr>`.
fn mask_addresses(maps: &[(u64, u64)], text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("0x") {
        out.push_str(&rest[..at]);
        let digits = rest[at + 2..].chars().take_while(|c| c.is_ascii_hexdigit()).count();
        let number = &rest[at..at + 2 + digits];
        match u64::from_str_radix(&number[2..], 16) {
            Ok(v) if is_address(maps, v) => out.push_str("<addr>"),
            _ => out.push_str(number),
        }
        rest = &rest[at + 2 + digits..];
    }
    out.push_str(rest);
    out
}

fn x86_lines(code: &[u8], maps: &[(u64, u64)]) -> Vec<String> {
    let mut decoder = Decoder::with_ip(64, code, 0, DecoderOptions::NONE);
    let mut formatter = IntelFormatter::new();
    formatter.options_mut().set_hex_prefix("0x");
    formatter.options_mut().set_hex_suffix("");
    formatter.options_mut().set_rip_relative_addresses(false);
    let mut lines = Vec::new();
    for insn in &mut decoder {
        let mut text = String::new();
        formatter.format(&insn, &mut text);
        lines.push(format!("{:04x}: {}", insn.ip(), mask_addresses(maps, &text)));
    }
    lines
}

/// A 64-bit `movz`/`movn` (starts a constant) or `movk` (patches 16 bits of one): the
/// register, the 16-bit chunk, its shift, and whether it is a `movk`.
fn wide_move(word: u32) -> Option<(u32, u64, u32, bool)> {
    let (rd, imm, shift) = (word & 31, ((word >> 5) & 0xffff) as u64, ((word >> 21) & 3) * 16);
    match word & 0xff80_0000 {
        0xd280_0000 => Some((rd, imm << shift, shift, false)),
        0x9280_0000 => Some((rd, !(imm << shift), shift, false)),
        0xf280_0000 => Some((rd, imm, shift, true)),
        _ => None,
    }
}

/// `msr fpsr, xzr`.
const MSR_FPSR_XZR: u32 = 0xd51b_443f;

fn a64_lines(code: &[u8], maps: &[(u64, u64)]) -> Vec<String> {
    let words: Vec<u32> =
        code.chunks_exact(4).map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]])).collect();
    let decoder = InstDecoder::default();
    let mut lines: Vec<String> = words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let bytes = w.to_le_bytes();
            let mut reader = U8Reader::new(&bytes);
            let text = match decoder.decode(&mut reader) {
                // yaxpeax-arm 0.3 shows this one's xzr as x15.
                Ok(_) if *w == MSR_FPSR_XZR => "msr fpsr, xzr".to_string(),
                Ok(insn) => insn.to_string(),
                Err(_) => format!(".inst {w:#010x}"),
            };
            format!("{:04x}: {}", i * 4, text)
        })
        .collect();
    // A movz/movn followed by movk's into the same register builds a constant: if it is a
    // mapped address, each of those instructions shows as a part of `<addr>`.
    let mut i = 0;
    while i < words.len() {
        let Some((rd, mut value, _, false)) = wide_move(words[i]) else {
            i += 1;
            continue;
        };
        let mut end = i + 1;
        while let Some((rd2, chunk, shift, true)) = words.get(end).and_then(|&w| wide_move(w)) {
            if rd2 != rd {
                break;
            }
            value = (value & !(0xffff << shift)) | (chunk << shift);
            end += 1;
        }
        if is_address(maps, value) {
            for (j, line) in lines.iter_mut().enumerate().take(end).skip(i) {
                let mnemonic = if j == i { "mov" } else { "movk" };
                *line = format!("{:04x}: {mnemonic} x{rd}, <addr part {}>", j * 4, j - i);
            }
        }
        i = end;
    }
    lines
}

/// The static size of a case's body: the host instructions emitted for its own guest
/// instructions, without the block's exit (the appended `jmp`/`b` to the next instruction and
/// its exit stub). `None` for a case that ends the block with its own branch.
struct Body {
    guest_insns: u32,
    host_insns: usize,
}

/// The listing of one case on one host backend, and its body's size.
fn listing(guest: Isa, host: Isa, case: &Case) -> (String, Option<Body>) {
    let all = [&case.bytes[..], &case.successor].concat();
    let code = SliceCode { base: GuestAddr(GUEST_BASE), bytes: &all };
    let mut block: Block = match guest {
        Isa::X86_64 => {
            let mut frontend = X86Frontend::new();
            frontend.set_memory_model(case.model);
            frontend.translate(&code, GuestAddr(GUEST_BASE))
        }
        Isa::Aarch64 => A64Frontend::new().translate(&code, GuestAddr(GUEST_BASE)),
    };
    // What the dispatcher compiles: the frontend's block after the IR passes.
    xlate::ir::verify(&block).expect("the frontend's block verifies");
    xlate::ir::opt::optimize(&mut block);
    xlate::ir::verify(&block).expect("the optimised block verifies");
    let mut cache = CodeCache::new(1 << 20).expect("code cache");
    let (bytes, lines, starts) = match host {
        Isa::X86_64 => {
            let mut backend =
                X86_64Backend::with_features(&mut cache, HostFeatures::ALL).expect("fixed code");
            backend.set_canonical_addresses(canonical_bits(guest, case));
            let c = backend.compile(&block, &mut cache).expect("compiles");
            let bytes = cache.bytes(c.entry, c.host_len).to_vec();
            let lines = x86_lines(&bytes, &mappings());
            (bytes, lines, c.insn_starts)
        }
        Isa::Aarch64 => {
            let mut backend = Aarch64Backend::new(&mut cache).expect("fixed code");
            // The guest's state registers, as the dispatcher sets them.
            let fields = match guest {
                Isa::X86_64 => <X86_64Guest as Guest>::register_fields(),
                Isa::Aarch64 => <Aarch64Guest as Guest>::register_fields(),
            };
            backend.set_state_registers(&mut cache, &fields).expect("state registers");
            backend.set_canonical_addresses(canonical_bits(guest, case));
            let c = backend.compile(&block, &mut cache).expect("compiles");
            let bytes = cache.bytes(c.entry, c.host_len).to_vec();
            let lines = a64_lines(&bytes, &mappings());
            (bytes, lines, c.insn_starts)
        }
    };
    let mut out = String::new();
    let _ = writeln!(out, "== {}", case.name);
    let _ = writeln!(out, "guest:");
    for line in guest_lines(guest, GUEST_BASE, &case.bytes) {
        let _ = writeln!(out, "  {line}");
    }
    if !case.successor.is_empty() {
        let _ = writeln!(out, "successor (looked ahead into, not compiled here):");
        for line in guest_lines(guest, GUEST_BASE + case.bytes.len() as u64, &case.successor) {
            let _ = writeln!(out, "  {line}");
        }
    }
    let _ = writeln!(out, "ir:");
    for line in block.to_string().lines() {
        let _ = writeln!(out, "  {line}");
    }
    let _ = writeln!(out, "host: {} instructions, {} bytes", lines.len(), bytes.len());
    for line in &lines {
        let _ = writeln!(out, "  {line}");
    }
    // The appended block end is the last guest instruction; the body is what comes before it.
    let appended = match guest {
        Isa::X86_64 => case.bytes.ends_with(&X86_JMP_NEXT),
        Isa::Aarch64 => case.bytes.ends_with(&A64_B_NEXT.to_le_bytes()),
    };
    // A case whose own instruction ends the block (one that exits to the runtime) has none.
    let end_pc = GUEST_BASE + case.bytes.len() as u64 - if guest == Isa::X86_64 { 5 } else { 4 };
    let end = starts.iter().find(|s| s.pc.0 == end_pc).filter(|_| appended);
    let body = end.map(|end| {
        let end = end.offset as usize;
        let host_insns = lines
            .iter()
            .filter(|l| usize::from_str_radix(l.split_once(':').expect("offset").0, 16).expect("hex") < end)
            .count();
        Body { guest_insns: block.guest_insns - 1, host_insns }
    });
    (out, body)
}

fn guest_lines(guest: Isa, base: u64, bytes: &[u8]) -> Vec<String> {
    let no_maps: [(u64, u64); 0] = [];
    match guest {
        Isa::X86_64 => {
            let mut decoder = Decoder::with_ip(64, bytes, base, DecoderOptions::NONE);
            let mut formatter = IntelFormatter::new();
            formatter.options_mut().set_hex_prefix("0x");
            formatter.options_mut().set_hex_suffix("");
            let mut lines = Vec::new();
            for insn in &mut decoder {
                let mut text = String::new();
                formatter.format(&insn, &mut text);
                lines.push(format!("{:x}: {text}", insn.ip()));
            }
            lines
        }
        Isa::Aarch64 => a64_lines(bytes, &no_maps)
            .into_iter()
            .map(|l| {
                let (off, text) = l.split_once(": ").expect("listing line");
                format!("{:x}: {text}", base + u64::from_str_radix(off, 16).expect("offset"))
            })
            .collect(),
    }
}

fn golden_path(host: Isa, family: &str) -> PathBuf {
    let dir = match host {
        Isa::X86_64 => "x86_64-host",
        Isa::Aarch64 => "aarch64-host",
    };
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/codegen")
        .join(dir)
        .join(format!("{family}.txt"))
}

/// The cases of `text` by name (each starts with a `== name` line).
fn split_cases(text: &str) -> Vec<(String, String)> {
    let mut cases: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("== ") {
            cases.push((name.to_string(), String::new()));
        }
        if let Some((_, body)) = cases.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    cases
}

/// A readable report of what differs between `expected` and `actual`: the cases that changed,
/// each with its lines marked `-` (golden) and `+` (now).
fn differences(expected: &str, actual: &str) -> String {
    let old = split_cases(expected);
    let new = split_cases(actual);
    let mut report = String::new();
    for (name, body) in &new {
        match old.iter().find(|(n, _)| n == name) {
            Some((_, old_body)) if old_body == body => {}
            Some((_, old_body)) => {
                let _ = writeln!(report, "changed: {name}");
                let (o, n): (Vec<&str>, Vec<&str>) = (old_body.lines().collect(), body.lines().collect());
                for line in o.iter().filter(|l| !n.contains(l)) {
                    let _ = writeln!(report, "  - {line}");
                }
                for line in n.iter().filter(|l| !o.contains(l)) {
                    let _ = writeln!(report, "  + {line}");
                }
            }
            None => {
                let _ = writeln!(report, "new case: {name}");
            }
        }
    }
    for (name, _) in &old {
        if !new.iter().any(|(n, _)| n == name) {
            let _ = writeln!(report, "case gone: {name}");
        }
    }
    if report.is_empty() {
        report.push_str("the files differ in layout only\n");
    }
    report
}

fn check_family(guest: Isa, family: &str, cases: Vec<Case>) {
    let bless = std::env::var_os("XLATE_BLESS").is_some_and(|v| v == "1");
    let mut failures = String::new();
    for host in [Isa::X86_64, Isa::Aarch64] {
        let mut listings = String::new();
        let (mut guest_insns, mut host_insns, mut measured) = (0u32, 0usize, 0usize);
        for case in &cases {
            let (text, body) = listing(guest, host, case);
            listings.push_str(&text);
            listings.push('\n');
            if let Some(body) = body {
                guest_insns += body.guest_insns;
                host_insns += body.host_insns;
                measured += 1;
            }
        }
        let text = format!(
            "# Codegen golden file: {family} on the {} backend (tests/codegen_golden.rs;\n\
             # XLATE_BLESS=1 rewrites it). The IR is the frontend's block after the IR passes\n\
             # (what the dispatcher compiles). Host instruction counts are static (slow paths\n\
             # included).\n\
             # Bodies (host code before the appended block end, {measured} cases): {host_insns} host\n\
             # instructions for {guest_insns} guest instructions, {:.2} per guest instruction.\n\n\
             {listings}",
            if host == Isa::X86_64 { "x86-64" } else { "AArch64" },
            host_insns as f64 / f64::from(guest_insns.max(1)),
        );
        let path = golden_path(host, family);
        if bless {
            std::fs::create_dir_all(path.parent().expect("parent")).expect("create golden dir");
            std::fs::write(&path, &text).expect("write golden file");
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(expected) if expected == text => {}
            Ok(expected) => {
                let _ = write!(
                    failures,
                    "{} differs from the code emitted now:\n{}",
                    path.display(),
                    differences(&expected, &text)
                );
            }
            Err(e) => {
                let _ = writeln!(failures, "{}: {e}", path.display());
            }
        }
    }
    assert!(failures.is_empty(), "{failures}(if the change is intended: XLATE_BLESS=1 cargo test --test codegen_golden, then review the diff)");
}

#[test]
fn x86_integer_codegen() {
    check_family(Isa::X86_64, "x86-integer", x86_integer());
}

#[test]
fn x86_memory_codegen() {
    check_family(Isa::X86_64, "x86-memory", x86_memory());
}

#[test]
fn x86_sse_codegen() {
    check_family(Isa::X86_64, "x86-sse", x86_sse());
}

#[test]
fn x86_memory_ordering_codegen() {
    check_family(Isa::X86_64, "x86-ordering", x86_ordering());
}

#[test]
fn x86_exact_addresses_codegen() {
    check_family(Isa::X86_64, "x86-exact-addresses", x86_exact_addresses());
}

#[test]
fn a64_codegen() {
    check_family(Isa::Aarch64, "a64", a64_cases());
}
