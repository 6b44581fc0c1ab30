//! Cases for the integer families of the x86-64 frontend (alu, shift, muldiv, bits, mov, stack,
//! control): every form generated from random states ([`crate::int_forms`]) plus hand-written
//! edge cases (0, 1, -1, MIN, MAX and carries at each width, counts 0/1/width, #DE).

use crate::case::{encode, Case, CpuState, Rng, SCRATCH_BASE};
use crate::int_forms::{code, generate_forms, mem_offset, reg, Tweaks};
use iced_x86::{Instruction, MemoryOperand, Mnemonic, OpKind, Register};

/// Generated cases per form (the recorded CI default).
const PER_FORM: usize = 6;

const WIDTHS: [u8; 4] = [1, 2, 4, 8];

/// Edge values at a width of `bytes`: 0, 1, all ones, MIN, MAX, and a value with a carry out
/// of bit 3.
fn edges(bytes: u8) -> [u64; 6] {
    let bits = bytes as u32 * 8;
    let mask = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
    let min = 1u64 << (bits - 1);
    [0, 1, mask, min, min - 1, 0x0f0f_0f0f_0f0f_0f0f & mask]
}

fn with_insn(name: String, insns: &[Instruction]) -> Case {
    Case::new(name, encode(insns))
}

fn build(r: Result<Instruction, iced_x86::IcedError>) -> Instruction {
    crate::case::built(r)
}

// ---------------------------------------------------------------------------------------------
// alu

pub fn alu() -> Vec<Case> {
    use Mnemonic::*;
    let mut cases = generate_forms(
        "alu",
        &[Add, Adc, Sub, Sbb, And, Or, Xor, Cmp, Test, Inc, Dec, Neg, Not],
        PER_FORM,
        &Tweaks::default(),
    );
    // Every op at every width over pairs of edge values (and both carries for adc/sbb).
    for op in ["Add", "Adc", "Sub", "Sbb", "And", "Or", "Xor", "Cmp", "Test"] {
        for bytes in WIDTHS {
            let bits = bytes as u32 * 8;
            let c = code(&format!("{op}_rm{bits}_r{bits}"));
            let insn = build(Instruction::with2(c, reg(0, bytes), reg(1, bytes)));
            let carries: &[u64] = if op == "Adc" || op == "Sbb" { &[0, 1] } else { &[0] };
            for (i, &a) in edges(bytes).iter().enumerate() {
                for (j, &b) in edges(bytes).iter().enumerate() {
                    for &cf in carries {
                        cases.push(
                            with_insn(format!("alu/edge/{op}{bits}/{i}-{j}-c{cf}"), &[insn])
                                .gpr(0, a | 0x5a5a_5a5a_5a5a_5a5a & !mask(bytes))
                                .gpr(1, b)
                                .flags(cf),
                        );
                    }
                }
            }
        }
    }
    for op in ["Inc", "Dec", "Neg", "Not"] {
        for bytes in WIDTHS {
            let bits = bytes as u32 * 8;
            let insn = build(Instruction::with1(code(&format!("{op}_rm{bits}")), reg(2, bytes)));
            for (i, &a) in edges(bytes).iter().enumerate() {
                for cf in [0, 1] {
                    cases.push(
                        with_insn(format!("alu/edge/{op}{bits}/{i}-c{cf}"), &[insn])
                            .gpr(2, a)
                            .flags(cf | 0x800),
                    );
                }
            }
        }
    }
    // High-byte registers: add ah, ch; sub bh, dl.
    let ah = build(Instruction::with2(code("Add_rm8_r8"), Register::AH, Register::CH));
    cases.push(
        with_insn("alu/ah-ch".into(), &[ah]).gpr(0, 0x1122_3344_5566_f788).gpr(1, 0x99aa_bbcc_ddee_9f00),
    );
    let bh = build(Instruction::with2(code("Sub_rm8_r8"), Register::BH, Register::DL));
    cases.push(with_insn("alu/bh-dl".into(), &[bh]).gpr(3, 0x8000).gpr(2, 0x7f01));
    // lock forms on memory.
    for op in ["Add", "Adc", "Sub", "Sbb", "And", "Or", "Xor"] {
        for bytes in WIDTHS {
            let bits = bytes as u32 * 8;
            let mut insn =
                build(Instruction::with2(code(&format!("{op}_rm{bits}_r{bits}")), m(6, 8), reg(1, bytes)));
            insn.set_has_lock_prefix(true);
            cases.push(
                with_insn(format!("alu/lock/{op}{bits}"), &[insn])
                    .ptr(6, 0x40)
                    .gpr(1, 0x8765_4321_fedc_ba98)
                    .flags(1)
                    .mem_seed(bits as u64),
            );
        }
    }
    for op in ["Inc", "Dec", "Neg", "Not"] {
        for bytes in WIDTHS {
            let bits = bytes as u32 * 8;
            let mut insn = build(Instruction::with1(code(&format!("{op}_rm{bits}")), m(7, 0x10)));
            insn.set_has_lock_prefix(true);
            cases.push(
                with_insn(format!("alu/lock/{op}{bits}"), &[insn]).ptr(7, 0x80).mem_seed(bits as u64 + 1),
            );
        }
    }
    // RIP-relative memory operand: add eax, [rip + x] where x is in scratch memory.
    let rip = build(Instruction::with2(
        code("Add_r32_rm32"),
        Register::EAX,
        MemoryOperand::with_base_displ(Register::RIP, (SCRATCH_BASE + 0x123) as i64),
    ));
    cases.push(with_insn("alu/rip-relative".into(), &[rip]).gpr(0, 5).mem_seed(7));
    cases
}

fn mask(bytes: u8) -> u64 {
    if bytes == 8 {
        u64::MAX
    } else {
        (1u64 << (bytes * 8)) - 1
    }
}

/// `[reg + displ]` (reg in encoding order).
fn m(base: usize, displ: i64) -> MemoryOperand {
    MemoryOperand::with_base_displ(reg(base, 8), displ)
}

// ---------------------------------------------------------------------------------------------
// shift

/// Interesting shift counts (before masking).
const COUNTS: [u64; 16] = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 0xe1];

/// Operand width of the first operand.
fn op0_bytes(insn: &Instruction) -> u8 {
    match insn.op0_kind() {
        OpKind::Register => insn.op0_register().size() as u8,
        _ => insn.memory_size().size() as u8,
    }
}

fn shift_fixup(insn: &Instruction, rng: &mut Rng, st: &mut CpuState) -> bool {
    let cl = COUNTS[rng.below(COUNTS.len() as u64) as usize];
    st.gpr[1] = (st.gpr[1] & !0xff) | cl;
    // shld/shrd of 16-bit operands by more than 16: result undefined (SDM).
    let double = matches!(insn.mnemonic(), Mnemonic::Shld | Mnemonic::Shrd);
    if double && op0_bytes(insn) == 2 {
        let count =
            if insn.op_count() == 3 && insn.op2_kind() != OpKind::Register { insn.immediate(2) } else { cl };
        return count & 31 <= 16;
    }
    true
}

pub fn shift() -> Vec<Case> {
    use Mnemonic::*;
    let tweaks = Tweaks { fixup: Some(shift_fixup), reserved: &[] };
    let mut cases =
        generate_forms("shift", &[Shl, Sal, Shr, Sar, Rol, Ror, Rcl, Rcr, Shld, Shrd], PER_FORM, &tweaks);
    for op in ["Shl", "Shr", "Sar", "Rol", "Ror", "Rcl", "Rcr"] {
        for bytes in WIDTHS {
            let bits = bytes as u32 * 8;
            let insn =
                build(Instruction::with2(code(&format!("{op}_rm{bits}_CL")), reg(0, bytes), Register::CL));
            // All ones, MIN, MAX and a mixed pattern: enough to see every bit move out.
            for (i, &a) in edges(bytes).iter().enumerate().skip(2) {
                for count in COUNTS {
                    cases.push(
                        with_insn(format!("shift/edge/{op}{bits}/{i}-n{count}"), &[insn])
                            .gpr(0, a)
                            .gpr(1, count)
                            .flags(if count % 2 == 0 { 0x8d5 } else { 0 }),
                    );
                }
            }
        }
    }
    for op in ["Shld", "Shrd"] {
        for bytes in [2u8, 4, 8] {
            let bits = bytes as u32 * 8;
            let insn = build(Instruction::with3(
                code(&format!("{op}_rm{bits}_r{bits}_CL")),
                reg(0, bytes),
                reg(2, bytes),
                Register::CL,
            ));
            for count in COUNTS.into_iter().filter(|&c| bytes != 2 || c & 31 <= 16) {
                cases.push(
                    with_insn(format!("shift/edge/{op}{bits}/n{count}"), &[insn])
                        .gpr(0, 0x8123_4567_89ab_cdef)
                        .gpr(2, 0xfedc_ba98_7654_3210)
                        .gpr(1, count)
                        .flags(0x8d5),
                );
            }
        }
    }
    cases
}

// ---------------------------------------------------------------------------------------------
// muldiv

fn div_fixup(insn: &Instruction, rng: &mut Rng, st: &mut CpuState) -> bool {
    if matches!(insn.mnemonic(), Mnemonic::Div | Mnemonic::Idiv) && rng.below(4) != 0 {
        // Mostly dividends whose quotient fits: rdx = 0 or the sign of rax.
        st.gpr[2] = if insn.mnemonic() == Mnemonic::Idiv && (st.gpr[0] as i64) < 0 { u64::MAX } else { 0 };
    }
    true
}

pub fn muldiv() -> Vec<Case> {
    use Mnemonic::*;
    let tweaks = Tweaks { fixup: Some(div_fixup), reserved: &[] };
    let mut cases = generate_forms("muldiv", &[Mul, Imul, Div, Idiv], PER_FORM * 2, &tweaks);
    for bytes in WIDTHS {
        let bits = bytes as u32 * 8;
        let e = edges(bytes);
        for op in ["Mul", "Imul"] {
            let insn = build(Instruction::with1(code(&format!("{op}_rm{bits}")), reg(3, bytes)));
            for (i, &a) in e.iter().enumerate() {
                for (j, &b) in e.iter().enumerate() {
                    cases.push(
                        with_insn(format!("muldiv/edge/{op}{bits}/{i}-{j}"), &[insn])
                            .gpr(0, a)
                            .gpr(3, b)
                            .gpr(2, 0x1234),
                    );
                }
            }
        }
        if bytes > 1 {
            let insn = build(Instruction::with2(
                code(&format!("Imul_r{bits}_rm{bits}")),
                reg(0, bytes),
                reg(3, bytes),
            ));
            for (i, &a) in e.iter().enumerate() {
                for (j, &b) in e.iter().enumerate() {
                    cases.push(
                        with_insn(format!("muldiv/edge/Imul2_{bits}/{i}-{j}"), &[insn]).gpr(0, a).gpr(3, b),
                    );
                }
            }
        }
        // Division: by zero, MIN / -1, quotient overflow, and ordinary ones.
        let min = 1u64 << (bits - 1);
        let m_ = mask(bytes);
        // Bits of rax above the dividend that the division must keep (bytes) or clear (32).
        let garbage = if bytes < 8 { 0xabcd_0000_0000_0000 } else { 0 };
        for op in ["Div", "Idiv"] {
            let insn = build(Instruction::with1(code(&format!("{op}_rm{bits}")), reg(3, bytes)));
            let trials: [(u64, u64, u64); 7] = [
                (100, 0, 0),
                (min, if bytes == 1 { 0xff } else { m_ }, m_),
                (0, 1, 1),
                (12345 & m_, 0, 7),
                (m_, if bytes == 1 { 0 } else { m_ }, 3),
                (min, 0, 2),
                (7, if bytes == 1 { 0 } else { m_ >> 1 }, m_),
            ];
            for (k, (lo, hi, d)) in trials.into_iter().enumerate() {
                // For bytes the dividend is ax: hi goes into ah.
                let (rax, rdx) = if bytes == 1 { (lo | hi << 8, 0x77) } else { (lo, hi) };
                cases.push(
                    with_insn(format!("muldiv/edge/{op}{bits}/{k}"), &[insn])
                        .gpr(0, rax | garbage)
                        .gpr(2, rdx)
                        .gpr(3, d),
                );
            }
        }
    }
    cases
}

// ---------------------------------------------------------------------------------------------
// bits

fn bits_fixup(insn: &Instruction, rng: &mut Rng, st: &mut CpuState) -> bool {
    let bt = matches!(insn.mnemonic(), Mnemonic::Bt | Mnemonic::Bts | Mnemonic::Btr | Mnemonic::Btc);
    if bt && insn.op0_kind() == OpKind::Memory && insn.op1_kind() == OpKind::Register {
        // A register bit offset may leave the operand: keep the byte it reaches inside the
        // first scratch page, on either side of the operand.
        let at = mem_offset(insn, st) as i64;
        // (The access is a whole operand at an aligned step from the address: keep a margin.)
        let lo = -(at - 16).max(0) * 8;
        let hi = (0xfe0 - at) * 8;
        let bit = lo + rng.below((hi - lo) as u64) as i64;
        let r = insn.op1_register().full_register() as usize - Register::RAX as usize;
        st.gpr[r] = bit as u64;
        // A 16/32-bit offset register is sign-extended from its own width.
        let bytes = insn.op1_register().size();
        if bytes < 8 && (bit < -(1i64 << (bytes * 8 - 1)) || bit >= 1i64 << (bytes * 8 - 1)) {
            return false;
        }
    }
    true
}

pub fn bits() -> Vec<Case> {
    use Mnemonic::*;
    let tweaks = Tweaks { fixup: Some(bits_fixup), reserved: &[] };
    let mut cases = generate_forms(
        "bits",
        &[
            Bt, Bts, Btr, Btc, Bsf, Bsr, Tzcnt, Lzcnt, Popcnt, Bswap, Movzx, Movsx, Movsxd, Cbw, Cwde, Cdqe,
            Cwd, Cdq, Cqo,
        ],
        PER_FORM,
        &tweaks,
    );
    for op in ["Bsf", "Bsr", "Tzcnt", "Lzcnt", "Popcnt"] {
        for bytes in [2u8, 4, 8] {
            let bits = bytes as u32 * 8;
            let insn = build(Instruction::with2(
                code(&format!("{op}_r{bits}_rm{bits}")),
                reg(0, bytes),
                reg(1, bytes),
            ));
            for (i, &v) in edges(bytes).iter().enumerate() {
                cases.push(
                    with_insn(format!("bits/edge/{op}{bits}/{i}"), &[insn])
                        .gpr(0, 0xdead_beef_cafe_f00d)
                        .gpr(1, v)
                        .flags(0x8d5),
                );
            }
        }
    }
    // Lock forms of bts/btr/btc with a register offset reaching outside the operand.
    for op in ["Bts", "Btr", "Btc"] {
        for bytes in [2u8, 4, 8] {
            let bits = bytes as u32 * 8;
            let mut insn = build(Instruction::with2(
                code(&format!("{op}_rm{bits}_r{bits}")),
                m(6, 0x100),
                reg(1, bytes),
            ));
            insn.set_has_lock_prefix(true);
            for (k, off) in [-77i64, 5, 300].into_iter().enumerate() {
                cases.push(
                    with_insn(format!("bits/lock/{op}{bits}/{k}"), &[insn])
                        .ptr(6, 0x200)
                        .gpr(1, off as u64)
                        .mem_seed(k as u64),
                );
            }
        }
    }
    cases
}
