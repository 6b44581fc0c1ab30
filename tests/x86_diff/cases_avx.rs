//! AVX and AVX2 cases: every VEX vector form of iced's code list that the frontend translates
//! (`implemented_vex_codes`), built from the code's operand words (`VEX_Vpaddb_ymm_ymm_ymmm256`:
//! ymm, ymm, ymm or m256), with distinct registers, with the destination also a source (the
//! lowering's scratch path), and with a memory operand; registers, upper ymm halves, memory
//! and immediates generated from a fixed seed. Hand-written cases add the alignment rules
//! (only the aligned moves fault on a misaligned operand, at 32 bytes for VEX.256).

use crate::case::{generate, mem, Case, CODE_PC};
use crate::cases_sse::RSI;
use iced_x86::{Code, Instruction, OpKind, Register};
use xlate::frontend::x86_64::X86Frontend;
use xlate::frontend::{Frontend, SliceCode};
use xlate::ir::{Exit, GuestAddr};

/// Generated cases per variant (distinct registers, aliased, memory).
const N: usize = 3;
/// rdi, vmaskmovdqu's implicit address.
const RDI: usize = 7;
/// The memory operand's displacement from rsi (32-aligned, as rsi is).
const DISP: i64 = 0x40;

/// What one operand word asks for.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Word {
    /// A vector register (ymm when `wide`).
    Vec {
        wide: bool,
    },
    /// A vector register or memory.
    VecOrMem {
        wide: bool,
    },
    Mem,
    /// A GPR of `bits`.
    Gpr {
        bits: u32,
    },
    GprOrMem {
        bits: u32,
    },
    Imm8,
    /// A VSIB memory operand (the gathers) with an xmm or (`wide`) ymm index.
    Vsib {
        wide: bool,
    },
    /// [rdi] (vmaskmovdqu).
    Rdi,
}

fn word(w: &str) -> Option<Word> {
    Some(match w {
        "xmm" => Word::Vec { wide: false },
        "ymm" => Word::Vec { wide: true },
        "r32" => Word::Gpr { bits: 32 },
        "r64" => Word::Gpr { bits: 64 },
        "imm8" => Word::Imm8,
        "rDI" => Word::Rdi,
        w if w.starts_with("vm") && w.ends_with('x') => Word::Vsib { wide: false },
        w if w.starts_with("vm") && w.ends_with('y') => Word::Vsib { wide: true },
        w if w.starts_with("xmmm") => Word::VecOrMem { wide: false },
        w if w.starts_with("ymmm") => Word::VecOrMem { wide: true },
        w if w.starts_with("rm32") || w.starts_with("r32m") => Word::GprOrMem { bits: 32 },
        w if w.starts_with("rm64") || w.starts_with("r64m") => Word::GprOrMem { bits: 64 },
        w if w.starts_with('m') && w[1..].chars().all(|c| c.is_ascii_digit()) => Word::Mem,
        _ => return None,
    })
}

/// The operand words of a VEX code (None if one is not understood: vsib, is4, ...).
fn words(code: Code) -> Option<Vec<Word>> {
    let name = format!("{code:?}");
    let rest = name.strip_prefix("VEX_V")?;
    rest.split('_').skip(1).filter(|w| !w.starts_with(|c: char| c.is_ascii_digit())).map(word).collect()
}

/// How a case names its operands.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Variant {
    /// Vector registers 1, 2, 3, ... in operand order.
    Distinct,
    /// The last vector source is the destination register.
    Aliased,
    /// Memory for the register-or-memory operand.
    Memory,
}

fn vec_reg(n: usize, wide: bool) -> Register {
    let base = if wide { Register::YMM0 } else { Register::XMM0 };
    Register::values().nth(base as usize + n).expect("register")
}

/// The instruction of `code` for `variant` with immediate `imm` (None if the variant does not
/// apply: no memory operand, or too few vector registers to alias).
fn build(code: Code, variant: Variant, imm: u8) -> Option<Instruction> {
    let ws = words(code)?;
    let mut insn = Instruction::default();
    insn.set_code(code);
    let vec_count = ws.iter().filter(|w| matches!(w, Word::Vec { .. } | Word::VecOrMem { .. })).count();
    let has_mem = ws.iter().any(|w| {
        matches!(w, Word::VecOrMem { .. } | Word::GprOrMem { .. } | Word::Mem | Word::Vsib { .. } | Word::Rdi)
    });
    let needs_mem = ws.iter().any(|w| matches!(w, Word::Mem | Word::Vsib { .. } | Word::Rdi));
    match variant {
        Variant::Memory if !has_mem => return None,
        Variant::Distinct | Variant::Aliased if needs_mem => return None,
        Variant::Aliased if vec_count < 2 => return None,
        _ => {}
    }
    let mut next_vec = 1;
    for (i, w) in ws.iter().enumerate() {
        let i = i as u32;
        let use_mem = variant == Variant::Memory;
        match *w {
            Word::Vec { wide } | Word::VecOrMem { wide }
                if !(use_mem && matches!(w, Word::VecOrMem { .. })) =>
            {
                let is_last = ws[i as usize + 1..]
                    .iter()
                    .all(|w| !matches!(w, Word::Vec { .. } | Word::VecOrMem { .. }));
                let n = if variant == Variant::Aliased && is_last && i > 0 { 1 } else { next_vec };
                next_vec += 1;
                insn.set_op_kind(i, OpKind::Register);
                insn.set_op_register(i, vec_reg(n, wide));
            }
            Word::Gpr { bits } | Word::GprOrMem { bits }
                if !(use_mem && matches!(w, Word::GprOrMem { .. })) =>
            {
                insn.set_op_kind(i, OpKind::Register);
                insn.set_op_register(i, if bits == 64 { Register::RCX } else { Register::ECX });
            }
            Word::Imm8 => {
                insn.set_op_kind(i, OpKind::Immediate8);
                insn.set_immediate8(imm);
            }
            Word::Vsib { wide } => {
                // base rsi, index the next vector register, scale 4.
                insn.set_op_kind(i, OpKind::Memory);
                insn.set_memory_base(Register::RSI);
                insn.set_memory_index(vec_reg(next_vec, wide));
                next_vec += 1;
                insn.set_memory_index_scale(4);
                insn.set_memory_displacement64(DISP as u64);
                insn.set_memory_displ_size(1);
            }
            Word::Rdi => insn.set_op_kind(i, OpKind::MemorySegRDI),
            _ => {
                insn.set_op_kind(i, OpKind::Memory);
                insn.set_memory_base(Register::RSI);
                insn.set_memory_displacement64(DISP as u64);
                insn.set_memory_displ_size(1);
            }
        }
    }
    Some(insn)
}

/// Whether the frontend translates the instruction (its block does not trap at it).
fn translates(insn: &Instruction) -> bool {
    let bytes = crate::case::encode(&[*insn]);
    let block = X86Frontend::new()
        .translate(&SliceCode { base: GuestAddr(CODE_PC), bytes: &bytes }, GuestAddr(CODE_PC));
    !matches!(&block.exit, Exit::Trap { pc, message: Some(m), .. } if pc.0 == CODE_PC && m.contains("unimplemented"))
}

/// The immediates a form is tested with: any byte, but a compare predicate (0-31; the higher
/// bits are reserved).
fn immediate(code: Code, r: u64) -> u8 {
    let name = format!("{code:?}");
    if name.starts_with("VEX_Vcmp") {
        (r & 31) as u8
    } else {
        r as u8
    }
}

/// Every VEX vector code the frontend translates, with `wide` telling VEX.256 ones apart.
pub fn implemented_vex_codes() -> Vec<(Code, bool)> {
    Code::values()
        .filter(|&code| {
            [Variant::Distinct, Variant::Memory]
                .iter()
                .any(|&v| build(code, v, 0).is_some_and(|i| translates(&i)))
        })
        .map(|code| (code, format!("{code:?}").contains("ymm")))
        .collect()
}

/// The VEX vector codes iced knows (by their operand words) that the frontend does not
/// translate, with the CPUID feature they need.
pub fn unimplemented_vex_codes() -> Vec<Code> {
    Code::values()
        .filter(|&code| format!("{code:?}").starts_with("VEX_V"))
        .filter(|&code| {
            ![Variant::Distinct, Variant::Memory]
                .iter()
                .any(|&v| build(code, v, 0).is_some_and(|i| translates(&i)))
        })
        .collect()
}

/// Whether a translated form's result is implementation-specific, so that no processor is its
/// oracle: the reciprocal estimates (unit tests in `frontend::x86_64::sse_recip`).
fn not_native(code: Code) -> bool {
    let name = format!("{code:?}");
    name.starts_with("VEX_Vrcp") || name.starts_with("VEX_Vrsqrt")
}

fn cases_of(code: Code) -> Vec<Case> {
    let mut out = Vec::new();
    if not_native(code) {
        return out;
    }
    for variant in [Variant::Distinct, Variant::Aliased, Variant::Memory] {
        if build(code, variant, 0).is_none() {
            continue;
        }
        out.extend(generate(&format!("{code:?}/{variant:?}"), N, |rng| {
            let imm = immediate(code, rng.next());
            let insn = build(code, variant, imm).expect("built above");
            let mut c = Case::insns("", &[insn]).random_state(rng, &[RSI]);
            c.init.gpr[RSI] &= !31;
            for x in 0..16 {
                c.init.ymm_hi[x] = [rng.interesting_u64(), rng.interesting_u64()];
            }
            if rng.below(4) == 0 {
                c.init.xmm[2] = c.init.xmm[1];
                c.init.ymm_hi[2] = c.init.ymm_hi[1];
            }
            fit_memory(code, &mut c, rng);
            c
        }));
    }
    out
}

/// Keeps the implicit and vector-indexed memory operands in scratch memory: vmaskmovdqu's
/// rdi at the memory operand the others use; a gather's indices (register 2, see [`build`])
/// small, some negative, so that every element is in scratch memory.
fn fit_memory(code: Code, c: &mut Case, rng: &mut crate::case::Rng) {
    let name = format!("{code:?}");
    if name.contains("maskmovdqu") {
        c.init.gpr[RDI] = c.init.gpr[RSI] + DISP as u64;
    }
    if name.contains("gather") {
        let qword_index = name.contains("gatherq");
        let mut words = [0u64; 4];
        for w in &mut words {
            let mut small = || (rng.below(72) as i64 - 8) as u64;
            *w = if qword_index { small() } else { small() & 0xffff_ffff | small() << 32 };
        }
        c.init.xmm[2] = [words[0], words[1]];
        c.init.ymm_hi[2] = [words[2], words[3]];
    }
}

/// The VEX.128 (and scalar, and no-operand) forms.
pub fn vex128() -> Vec<Case> {
    let mut out: Vec<Case> = implemented_vex_codes()
        .into_iter()
        .filter(|&(_, wide)| !wide)
        .flat_map(|(c, _)| cases_of(c))
        .collect();
    out.extend(alignment(false));
    out
}

/// The VEX.256 forms.
pub fn vex256() -> Vec<Case> {
    let mut out: Vec<Case> = implemented_vex_codes()
        .into_iter()
        .filter(|&(_, wide)| wide)
        .flat_map(|(c, _)| cases_of(c))
        .collect();
    out.extend(alignment(true));
    out
}

/// Misaligned memory operands: a fault for the aligned moves only (16 bytes suffice for
/// VEX.128, VEX.256 needs 32), none for the other forms.
fn alignment(wide: bool) -> Vec<Case> {
    use Code::*;
    let codes: &[(Code, bool)] = if wide {
        &[
            (VEX_Vmovdqa_ymm_ymmm256, true),
            (VEX_Vmovaps_ymm_ymmm256, true),
            (VEX_Vmovdqu_ymm_ymmm256, true),
            (VEX_Vmovdqa_ymmm256_ymm, false),
            (VEX_Vmovdqu_ymmm256_ymm, false),
            (VEX_Vpaddb_ymm_ymm_ymmm256, true),
        ]
    } else {
        &[
            (VEX_Vmovdqa_xmm_xmmm128, true),
            (VEX_Vmovapd_xmm_xmmm128, true),
            (VEX_Vmovdqu_xmm_xmmm128, true),
            (VEX_Vmovaps_xmmm128_xmm, false),
            (VEX_Vpaddb_xmm_xmm_xmmm128, true),
            (VEX_Vpshufb_xmm_xmm_xmmm128, true),
        ]
    };
    let mut out = Vec::new();
    for &(code, load) in codes {
        let reg = |n| vec_reg(n, wide);
        for displ in [4i64, 16, 32] {
            let m = mem(Register::RSI, displ);
            let insn = if code_op_count(code) == 3 {
                crate::case::built(Instruction::with3(code, reg(1), reg(2), m))
            } else if load {
                crate::case::built(Instruction::with2(code, reg(1), m))
            } else {
                crate::case::built(Instruction::with2(code, m, reg(1)))
            };
            out.push(
                Case::insns(format!("{code:?}/align{displ}"), &[insn]).ptr(RSI, 0x100).ymm(1, [1, 2, 3, 4]),
            );
        }
    }
    out
}

fn code_op_count(code: Code) -> u32 {
    let mut i = Instruction::default();
    i.set_code(code);
    i.op_count()
}

/// The generated instructions decode back to the codes they were built from.
#[test]
fn built_instructions_decode_to_their_codes() {
    for (code, _) in implemented_vex_codes() {
        for v in [Variant::Distinct, Variant::Aliased, Variant::Memory] {
            if let Some(i) = build(code, v, 1) {
                let bytes = crate::case::encode(&[i]);
                let d =
                    iced_x86::Decoder::with_ip(64, &bytes, CODE_PC, iced_x86::DecoderOptions::NONE).decode();
                assert_eq!(d.code(), code, "{v:?}");
            }
        }
    }
}

/// Lists the VEX codes the frontend does not translate (`-- --nocapture --ignored`).
#[test]
#[ignore]
fn list_unimplemented_vex_codes() {
    for c in unimplemented_vex_codes() {
        let mut i = Instruction::default();
        i.set_code(c);
        eprintln!("{c:?} {:?}", i.cpuid_features());
    }
}
