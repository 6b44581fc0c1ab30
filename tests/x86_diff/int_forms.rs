//! Generated cases for the integer families: every encoding form (iced `Code`) of a mnemonic,
//! found by name, instantiated with random registers, memory operands and immediates.
//!
//! A `Code`'s name lists its operands (`Add_rm32_imm8`, `Shld_rm64_r64_CL`, `Imul_r16_rm16_imm8`);
//! [`forms`] keeps the forms whose operands are all of the kinds below and that encode in 64-bit
//! mode, and [`instantiate`] fills them in. Memory operands always point into the first
//! scratch page, so a wrong address in the translation shows up as a wrong value rather than a
//! crash of the test process.

use crate::case::{Case, CpuState, Rng, FLAGS_MASK, SCRATCH_BASE, STACK_TOP};
use iced_x86::{Code, Decoder, DecoderOptions, Encoder, Instruction, MemoryOperand, Mnemonic, Register};

/// An operand slot in a `Code` name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// A general register of this many bytes.
    Reg(u8),
    /// A register or memory operand of this many bytes.
    RegOrMem(u8),
    /// A memory operand (`m`, as in `Lea_r64_m`).
    Mem,
    /// A fixed register (`AL`, `CL`, `EAX`, ...).
    Fixed(Register),
    /// An immediate of this many bytes.
    Imm(u8),
    /// The implicit count 1 of `shl r/m, 1`.
    One,
}

fn parse_slot(tok: &str) -> Option<Slot> {
    Some(match tok {
        "r8" => Slot::Reg(1),
        "r16" => Slot::Reg(2),
        "r32" => Slot::Reg(4),
        "r64" => Slot::Reg(8),
        "rm8" => Slot::RegOrMem(1),
        "rm16" => Slot::RegOrMem(2),
        "rm32" => Slot::RegOrMem(4),
        "rm64" => Slot::RegOrMem(8),
        "m" | "m8" | "m16" | "m32" | "m64" => Slot::Mem,
        "imm8" => Slot::Imm(1),
        "imm16" => Slot::Imm(2),
        "imm32" => Slot::Imm(4),
        "imm64" => Slot::Imm(8),
        "1" => Slot::One,
        "AL" => Slot::Fixed(Register::AL),
        "CL" => Slot::Fixed(Register::CL),
        "AX" => Slot::Fixed(Register::AX),
        "EAX" => Slot::Fixed(Register::EAX),
        "RAX" => Slot::Fixed(Register::RAX),
        _ => return None,
    })
}

/// The operand slots of `code`, if all are kinds this generator knows.
pub fn slots(code: Code) -> Option<Vec<Slot>> {
    let name = format!("{code:?}");
    let mut parts = name.split('_').peekable();
    // VEX-encoded forms (BMI1, BMI2) are named `VEX_<mnemonic>_<operands>`.
    parts.next_if_eq(&"VEX");
    parts.next()?;
    parts.map(parse_slot).collect()
}

/// Every form of `m` the generator can instantiate and that encodes in 64-bit mode.
pub fn forms(m: Mnemonic) -> Vec<Code> {
    let mut rng = Rng::new(1);
    Code::values()
        .filter(|c| c.mnemonic() == m)
        // bswap of a 16-bit register is undefined (SDM) and left unimplemented (SIGILL).
        .filter(|&c| c != Code::Bswap_r16)
        .filter(|&c| slots(c).is_some())
        .filter(|&c| (0..16).any(|_| instantiate(c, &mut rng, &Tweaks::default()).is_some()))
        .collect()
}

/// Registers that register operands are drawn from (never rsp, never a memory base).
const VALUE_REGS: [usize; 8] = [0, 1, 2, 3, 8, 9, 10, 11];
/// Registers memory operands use as base and index.
const BASE_REGS: [usize; 6] = [5, 6, 7, 12, 13, 14];

fn gpr_reg(n: usize, bytes: u8, high8: bool) -> Register {
    let base = match bytes {
        1 if high8 => return [Register::AH, Register::CH, Register::DH, Register::BH][n],
        1 => Register::AL as usize,
        2 => Register::AX as usize,
        4 => Register::EAX as usize,
        _ => Register::RAX as usize,
    };
    // iced's GPR enums are in encoding order, except the 8-bit one (AH..BH sit at 4..8).
    let idx = if bytes == 1 && n >= 4 { n + 4 } else { n };
    Register::values().nth(base + idx).expect("register index")
}

/// Adjustments a family makes to generated states.
#[derive(Default)]
pub struct Tweaks {
    /// Called with the instruction and the state drawn for it (e.g. to bound a shift count);
    /// returning false rejects the draw (e.g. a count whose result the SDM leaves undefined).
    pub fixup: Option<fn(&Instruction, &mut Rng, &mut CpuState) -> bool>,
    /// Registers a family needs to keep for itself (not drawn as operands or bases).
    pub reserved: &'static [usize],
}

enum Opnd {
    R(Register),
    M(MemoryOperand),
    I(i64),
}

/// Fills in the operands of `code` at random; returns the encoded bytes and the state
/// (registers that are memory bases point into scratch memory).
pub fn instantiate(code: Code, rng: &mut Rng, tweaks: &Tweaks) -> Option<(Vec<u8>, CpuState)> {
    let slots = slots(code)?;
    let mut st = CpuState::default();
    for r in 0..16 {
        st.gpr[r] = rng.interesting_u64();
    }
    st.gpr[4] = STACK_TOP;
    st.rflags = rng.next() & FLAGS_MASK & !0x400;
    let free = |r: &usize| !tweaks.reserved.contains(r);
    let value_regs: Vec<usize> = VALUE_REGS.iter().copied().filter(free).collect();
    let base_regs: Vec<usize> = BASE_REGS.iter().copied().filter(free).collect();
    let mut ops = Vec::new();
    for slot in &slots {
        let reg_of = |rng: &mut Rng, bytes: u8| {
            let n = value_regs[rng.below(value_regs.len() as u64) as usize];
            let high8 = bytes == 1 && n < 4 && rng.below(4) == 0;
            gpr_reg(n, bytes, high8)
        };
        let op = match *slot {
            Slot::Reg(b) => Opnd::R(reg_of(rng, b)),
            Slot::RegOrMem(b) if rng.below(2) == 0 => Opnd::R(reg_of(rng, b)),
            Slot::RegOrMem(_) | Slot::Mem => {
                let base = base_regs[rng.below(base_regs.len() as u64) as usize];
                let off = rng.below(0x40) * 16;
                st.gpr[base] = SCRATCH_BASE + off;
                let displ = rng.below(0x600) as i64;
                let base_reg = gpr_reg(base, 8, false);
                if rng.below(3) == 0 {
                    let index = base_regs[rng.below(base_regs.len() as u64) as usize];
                    if index == base {
                        Opnd::M(MemoryOperand::with_base_displ(base_reg, displ))
                    } else {
                        let scale = 1 << rng.below(4);
                        st.gpr[index] = rng.below(16);
                        Opnd::M(MemoryOperand::with_base_index_scale_displ_size(
                            base_reg,
                            gpr_reg(index, 8, false),
                            scale,
                            displ,
                            4,
                        ))
                    }
                } else {
                    Opnd::M(MemoryOperand::with_base_displ(base_reg, displ))
                }
            }
            Slot::Fixed(r) => Opnd::R(r),
            Slot::One => Opnd::I(1),
            Slot::Imm(b) => {
                let v = rng.interesting_u64();
                Opnd::I(match b {
                    1 => v as i8 as i64,
                    2 => v as i16 as i64,
                    4 => v as i32 as i64,
                    _ => v as i64,
                })
            }
        };
        ops.push(op);
    }
    let insn = build(code, &ops)?;
    let bytes = encode_one(&insn)?;
    if let Some(f) = tweaks.fixup {
        if !f(&insn, rng, &mut st) {
            return None;
        }
    }
    Some((bytes, st))
}

fn build(code: Code, ops: &[Opnd]) -> Option<Instruction> {
    use Opnd::*;
    let r = match ops {
        [] => Ok(Instruction::with(code)),
        [R(a)] => Instruction::with1(code, *a),
        [M(a)] => Instruction::with1(code, *a),
        [I(a)] => Instruction::with1(code, *a as i32),
        [R(a), R(b)] => Instruction::with2(code, *a, *b),
        [R(a), M(b)] => Instruction::with2(code, *a, *b),
        [M(a), R(b)] => Instruction::with2(code, *a, *b),
        [R(a), I(b)] => Instruction::with2(code, *a, *b),
        [M(a), I(b)] => Instruction::with2(code, *a, *b as i32),
        [R(a), R(b), R(c)] => Instruction::with3(code, *a, *b, *c),
        [M(a), R(b), R(c)] => Instruction::with3(code, *a, *b, *c),
        [R(a), R(b), I(c)] => Instruction::with3(code, *a, *b, *c as i32),
        [R(a), M(b), I(c)] => Instruction::with3(code, *a, *b, *c as i32),
        [M(a), R(b), I(c)] => Instruction::with3(code, *a, *b, *c as i32),
        _ => return None,
    };
    r.ok()
}

/// Encodes one instruction at the case address, and checks it decodes back to the same form.
pub fn encode_one(insn: &Instruction) -> Option<Vec<u8>> {
    let mut enc = Encoder::new(64);
    enc.encode(insn, crate::case::CODE_PC).ok()?;
    let bytes = enc.take_buffer();
    let back = Decoder::with_ip(64, &bytes, crate::case::CODE_PC, DecoderOptions::NONE).decode();
    (back.code() == insn.code()).then_some(bytes)
}

/// `count` generated cases for each form of each mnemonic in `mnemonics`, named
/// `<prefix>/<Code>/<i>`.
pub fn generate_forms(prefix: &str, mnemonics: &[Mnemonic], count: usize, tweaks: &Tweaks) -> Vec<Case> {
    let mut out = Vec::new();
    for &m in mnemonics {
        let forms = forms(m);
        assert!(!forms.is_empty(), "no generatable form of {m:?}");
        for code in forms {
            let mut cases = crate::case::generate(&format!("{prefix}/{code:?}"), count, |rng| {
                for _ in 0..64 {
                    if let Some((bytes, st)) = instantiate(code, rng, tweaks) {
                        let mut c = Case::new("", bytes);
                        c.init = st;
                        c.mem.seed = rng.next();
                        return c;
                    }
                }
                panic!("cannot instantiate {code:?}");
            });
            out.append(&mut cases);
        }
    }
    out
}

/// The iced `Code` with this name (a mistake in a case list if there is none).
pub fn code(name: &str) -> Code {
    Code::values().find(|c| format!("{c:?}") == name).unwrap_or_else(|| panic!("no iced Code {name}"))
}

/// The general register `n` (encoding order) at `bytes` bytes (low byte for 1).
pub fn reg(n: usize, bytes: u8) -> Register {
    gpr_reg(n, bytes, false)
}

/// The scratch-memory offset a memory operand of `insn` addresses in state `st`.
pub fn mem_offset(insn: &Instruction, st: &CpuState) -> u64 {
    let val = |r: Register| {
        if r == Register::None {
            0
        } else {
            st.gpr[r.full_register() as usize - Register::RAX as usize]
        }
    };
    let addr = val(insn.memory_base())
        .wrapping_add(val(insn.memory_index()).wrapping_mul(insn.memory_index_scale() as u64))
        .wrapping_add(insn.memory_displacement64());
    addr.wrapping_sub(SCRATCH_BASE)
}
