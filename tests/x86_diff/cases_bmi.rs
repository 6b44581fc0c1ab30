//! Cases for the scalar ISA extensions: BMI1 (andn bextr blsi blsmsk blsr; tzcnt is in
//! `bits`), BMI2 (bzhi mulx pdep pext rorx sarx shlx shrx), MOVBE, ADX (adcx adox) and SSE4.2's
//! crc32. Every encoding form generated from random states ([`crate::int_forms`], register
//! and memory operands), plus edge values at 32 and 64 bits: zero and all-ones inputs, MIN and
//! MAX, counts and indexes of 0, 1, width-1, width and beyond (up to 255, and control bits
//! above the ones used), both carries in, both destinations of mulx in one register.
//!
//! The host that records or checks these must have the features: the native re-run of a case
//! is skipped on a host without them (see `host_has` in main.rs), and its recording stays
//! the oracle.

use crate::case::{encode, Case};
use crate::int_forms::{code, generate_forms, reg, Tweaks};
use iced_x86::{Instruction, MemoryOperand, Mnemonic, Register};

/// Generated cases per form (the recorded CI default).
const PER_FORM: usize = 8;

/// Edge values at `bytes` (4 or 8): 0, 1, all ones, MIN, MAX, alternating bits, a lone high
/// bit pattern.
fn edges(bytes: u8) -> [u64; 7] {
    let bits = bytes as u32 * 8;
    let mask = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
    let min = 1u64 << (bits - 1);
    [0, 1, mask, min, min - 1, 0x5555_5555_aaaa_aaaa & mask, 0x0000_f0f0_0f00_8001 & mask]
}

/// Upper-half garbage for 32-bit register inputs (a 32-bit operand must ignore it, a 32-bit
/// destination must clear it).
const HIGH: u64 = 0xa5a5_a5a5_0000_0000;

fn with_insn(name: String, insns: &[Instruction]) -> Case {
    Case::new(name, encode(insns))
}

fn build(r: Result<Instruction, iced_x86::IcedError>) -> Instruction {
    crate::case::built(r)
}

/// `[rsi + displ]`.
fn m(displ: i64) -> MemoryOperand {
    MemoryOperand::with_base_displ(Register::RSI, displ)
}

pub fn cases() -> Vec<Case> {
    use Mnemonic::*;
    let mut cases = generate_forms(
        "bmi",
        &[
            Andn, Bextr, Blsi, Blsmsk, Blsr, Bzhi, Mulx, Pdep, Pext, Rorx, Sarx, Shlx, Shrx, Movbe, Adcx,
            Adox, Crc32,
        ],
        PER_FORM,
        &Tweaks::default(),
    );
    for bytes in [4u8, 8] {
        let bits = bytes as u32 * 8;
        let r = |n: usize| reg(n, bytes);
        let e = edges(bytes);
        let high = if bytes == 4 { HIGH } else { 0 };
        // Two-source ops over pairs of edge values: dst rax, sources rcx and rdx.
        for op in ["Andn", "Pdep", "Pext", "Mulx"] {
            let insn = build(Instruction::with3(
                code(&format!("VEX_{op}_r{bits}_r{bits}_rm{bits}")),
                r(0),
                r(1),
                r(3),
            ));
            for (i, &a) in e.iter().enumerate() {
                for (j, &b) in e.iter().enumerate() {
                    // mulx reads rdx as its implicit source: give it `a` there too.
                    cases.push(
                        with_insn(format!("bmi/edge/{op}{bits}/{i}-{j}"), &[insn])
                            .gpr(0, 0xdead_beef_cafe_f00d)
                            .gpr(1, a | high)
                            .gpr(2, a | high)
                            .gpr(3, b | high)
                            .flags(0x8d5),
                    );
                }
            }
        }
        // pdep/pext over masks that are single bits, the top bit, runs, and sparse patterns.
        for op in ["Pdep", "Pext"] {
            let insn = build(Instruction::with3(
                code(&format!("VEX_{op}_r{bits}_r{bits}_rm{bits}")),
                r(0),
                r(1),
                r(3),
            ));
            let masks =
                [1u64 << (bits - 1), 0xff00, 0x8000_0001, 0x1248_1248_1248_1248, 0xf0f0_0000_0000_f0f0];
            for (k, &mask) in masks.iter().enumerate() {
                cases.push(
                    with_insn(format!("bmi/mask/{op}{bits}/{k}"), &[insn])
                        .gpr(1, 0x0123_4567_89ab_cdef)
                        .gpr(3, mask),
                );
            }
        }
        // mulx with both destinations in one register keeps the high half.
        let insn =
            build(Instruction::with3(code(&format!("VEX_Mulx_r{bits}_r{bits}_rm{bits}")), r(0), r(0), r(3)));
        cases.push(
            with_insn(format!("bmi/mulx-same/{bits}"), &[insn])
                .gpr(2, 0xffff_ffff_ffff_fffb)
                .gpr(3, 0x7777_7777_7777_7777),
        );
        // The lowest-set-bit ops over every edge value.
        for op in ["Blsi", "Blsmsk", "Blsr"] {
            let insn = build(Instruction::with2(code(&format!("VEX_{op}_r{bits}_rm{bits}")), r(0), r(1)));
            for (i, &a) in e.iter().enumerate() {
                for flags in [0u64, 0x8d5] {
                    cases.push(
                        with_insn(format!("bmi/edge/{op}{bits}/{i}-f{flags:x}"), &[insn])
                            .gpr(0, 0xdead_beef_cafe_f00d)
                            .gpr(1, a | high)
                            .flags(flags),
                    );
                }
            }
        }
        // bextr: start and length at 0, 1, inside, at and beyond the width, garbage above bit 15.
        let starts = [0u64, 1, 5, bits as u64 - 1, bits as u64, bits as u64 + 3, 63, 64, 200, 255];
        let lens = [0u64, 1, 7, bits as u64 - 1, bits as u64, 64, 65, 255];
        let insn =
            build(Instruction::with3(code(&format!("VEX_Bextr_r{bits}_rm{bits}_r{bits}")), r(0), r(1), r(3)));
        for (i, &start) in starts.iter().enumerate() {
            for (j, &len) in lens.iter().enumerate() {
                for (k, src) in [e[2], 0x8765_4321_fedc_ba98u64].into_iter().enumerate() {
                    cases.push(
                        with_insn(format!("bmi/edge/Bextr{bits}/{i}-{j}-{k}"), &[insn])
                            .gpr(1, src)
                            .gpr(3, 0x1234_0000 | len << 8 | start)
                            .flags(0x8d5),
                    );
                }
            }
        }
        // bzhi: index 0, 1, width-1, width, width+1, 63, 64, 255, with bits above bit 7.
        let insn =
            build(Instruction::with3(code(&format!("VEX_Bzhi_r{bits}_rm{bits}_r{bits}")), r(0), r(1), r(3)));
        let indexes = [0u64, 1, bits as u64 - 1, bits as u64, bits as u64 + 1, 63, 64, 255, 0xffff_ff05];
        for (i, &n) in indexes.iter().enumerate() {
            for (j, &a) in e.iter().enumerate() {
                cases.push(
                    with_insn(format!("bmi/edge/Bzhi{bits}/{i}-{j}"), &[insn])
                        .gpr(1, a | high)
                        .gpr(3, n)
                        .flags(if j % 2 == 0 { 0 } else { 0x8d5 }),
                );
            }
        }
        // The flagless shifts: counts 0, 1, width-1, width, width+1, 63, 64, 0xff (masked).
        let counts =
            [0u64, 1, bits as u64 - 1, bits as u64, bits as u64 + 1, 63, 64, 0xff, 0xffff_ffff_ffff_ffe1];
        for op in ["Sarx", "Shlx", "Shrx"] {
            let insn = build(Instruction::with3(
                code(&format!("VEX_{op}_r{bits}_rm{bits}_r{bits}")),
                r(0),
                r(1),
                r(3),
            ));
            for (i, &n) in counts.iter().enumerate() {
                for (j, a) in [e[3], e[2], 0x8123_4567_89ab_cdefu64 & e[2]].into_iter().enumerate() {
                    cases.push(
                        with_insn(format!("bmi/edge/{op}{bits}/{i}-{j}"), &[insn])
                            .gpr(1, a | high)
                            .gpr(3, n)
                            .flags(0x8d5),
                    );
                }
            }
        }
        let rorx = code(&format!("VEX_Rorx_r{bits}_rm{bits}_imm8"));
        for (i, imm) in [0u32, 1, bits - 1, bits, bits + 5, 255].into_iter().enumerate() {
            let insn = build(Instruction::with3(rorx, r(0), r(1), imm));
            cases.push(with_insn(format!("bmi/edge/Rorx{bits}/{i}"), &[insn]).gpr(1, 0x8123_4567_89ab_cdef));
        }
        // adcx/adox over edge pairs with each carry in; the other flags must not move.
        for (op, carry) in [("Adcx", 0x1u64), ("Adox", 0x800)] {
            let insn = build(Instruction::with2(code(&format!("{op}_r{bits}_rm{bits}")), r(0), r(1)));
            for (i, &a) in e.iter().enumerate() {
                for (j, &b) in e.iter().enumerate() {
                    for c in [0, carry] {
                        cases.push(
                            with_insn(format!("bmi/edge/{op}{bits}/{i}-{j}-c{c:x}"), &[insn])
                                .gpr(0, a | high)
                                .gpr(1, b | high)
                                .flags(c | (0x8d5 & !carry)),
                        );
                    }
                }
            }
        }
        // Two interleaved carry chains, as in a mulx/adcx/adox multiply.
        let chain = [
            build(Instruction::with3(code(&format!("VEX_Mulx_r{bits}_r{bits}_rm{bits}")), r(8), r(9), r(3))),
            build(Instruction::with2(code(&format!("Adcx_r{bits}_rm{bits}")), r(0), r(9))),
            build(Instruction::with2(code(&format!("Adox_r{bits}_rm{bits}")), r(1), r(8))),
            build(Instruction::with2(code(&format!("Adcx_r{bits}_rm{bits}")), r(10), r(8))),
            build(Instruction::with2(code(&format!("Adox_r{bits}_rm{bits}")), r(11), r(9))),
        ];
        for (k, flags) in [0u64, 0x801, 0x1, 0x800].into_iter().enumerate() {
            cases.push(
                with_insn(format!("bmi/chain/{bits}/{k}"), &chain)
                    .gpr(0, e[2])
                    .gpr(1, e[4])
                    .gpr(2, 0xfedc_ba98_7654_3210)
                    .gpr(3, 0xffff_ffff_ffff_ff01)
                    .gpr(10, e[3])
                    .gpr(11, e[2])
                    .flags(flags),
            );
        }
    }
    // Memory operands of each width for the three-operand forms (rsi points at scratch).
    for bytes in [4u8, 8] {
        let bits = bytes as u32 * 8;
        for op in ["Andn", "Pdep", "Pext", "Mulx"] {
            let insn = build(Instruction::with3(
                code(&format!("VEX_{op}_r{bits}_r{bits}_rm{bits}")),
                reg(0, bytes),
                reg(1, bytes),
                m(0x48),
            ));
            cases.push(
                with_insn(format!("bmi/mem/{op}{bits}"), &[insn])
                    .ptr(6, 0x100)
                    .gpr(1, 0x0ff0_f00f_1234_8765)
                    .gpr(2, 0x1_0000_0003),
            );
        }
        for op in ["Bextr", "Bzhi", "Sarx", "Shlx", "Shrx"] {
            let insn = build(Instruction::with3(
                code(&format!("VEX_{op}_r{bits}_rm{bits}_r{bits}")),
                reg(0, bytes),
                m(0x20),
                reg(3, bytes),
            ));
            cases.push(with_insn(format!("bmi/mem/{op}{bits}"), &[insn]).ptr(6, 0x100).gpr(3, 0x0b07));
        }
        for op in ["Blsi", "Blsmsk", "Blsr"] {
            let insn = build(Instruction::with2(
                code(&format!("VEX_{op}_r{bits}_rm{bits}")),
                reg(0, bytes),
                m(0x10),
            ));
            cases.push(with_insn(format!("bmi/mem/{op}{bits}"), &[insn]).ptr(6, 0x100));
        }
        let insn = build(Instruction::with3(
            code(&format!("VEX_Rorx_r{bits}_rm{bits}_imm8")),
            reg(0, bytes),
            m(0x18),
            13,
        ));
        cases.push(with_insn(format!("bmi/mem/Rorx{bits}"), &[insn]).ptr(6, 0x100));
        for op in ["Adcx", "Adox"] {
            let insn =
                build(Instruction::with2(code(&format!("{op}_r{bits}_rm{bits}")), reg(0, bytes), m(0x28)));
            cases.push(
                with_insn(format!("bmi/mem/{op}{bits}"), &[insn]).ptr(6, 0x100).gpr(0, u64::MAX).flags(0x801),
            );
        }
    }
    // movbe both ways at 16, 32 and 64 bits: a 16-bit load keeps the register's upper bits,
    // a 32-bit load clears them; stores write exactly the operand's bytes.
    for bytes in [2u8, 4, 8] {
        let bits = bytes as u32 * 8;
        let load = build(Instruction::with2(code(&format!("Movbe_r{bits}_m{bits}")), reg(0, bytes), m(0x31)));
        let store =
            build(Instruction::with2(code(&format!("Movbe_m{bits}_r{bits}")), m(0x43), reg(1, bytes)));
        cases.push(
            with_insn(format!("bmi/edge/Movbe{bits}"), &[load, store])
                .ptr(6, 0x100)
                .gpr(0, 0x1122_3344_5566_7788)
                .gpr(1, 0x8877_6655_4433_2211)
                .mem(0x131, &[0x80, 1, 2, 3, 4, 5, 6, 0xff]),
        );
    }
    // crc32 of every source width into both destination widths, from the edge accumulators,
    // register and memory sources.
    for (form, sbytes) in [
        ("Crc32_r32_rm8", 1u8),
        ("Crc32_r32_rm16", 2),
        ("Crc32_r32_rm32", 4),
        ("Crc32_r64_rm8", 1),
        ("Crc32_r64_rm64", 8),
    ] {
        let dbytes = if form.starts_with("Crc32_r64") { 8 } else { 4 };
        let insn = build(Instruction::with2(code(form), reg(0, dbytes), reg(1, sbytes)));
        for (i, &acc) in edges(8).iter().enumerate() {
            for (j, &v) in [0u64, u64::MAX, 0x0123_4567_89ab_cdef].iter().enumerate() {
                cases.push(
                    with_insn(format!("bmi/edge/{form}/{i}-{j}"), &[insn]).gpr(0, acc).gpr(1, v).flags(0x8d5),
                );
            }
        }
        let insn = build(Instruction::with2(code(form), reg(0, dbytes), m(0x57)));
        cases.push(with_insn(format!("bmi/mem/{form}"), &[insn]).ptr(6, 0x100).gpr(0, 0xffff_ffff_0000_ffff));
    }
    // A CRC over a buffer, eight bytes at a time then byte by byte (as software does).
    let insns = [
        build(Instruction::with2(code("Crc32_r64_rm64"), Register::RAX, m(0))),
        build(Instruction::with2(code("Crc32_r64_rm64"), Register::RAX, m(8))),
        build(Instruction::with2(code("Crc32_r32_rm16"), Register::EAX, m(16))),
        build(Instruction::with2(code("Crc32_r32_rm8"), Register::EAX, m(18))),
    ];
    cases.push(with_insn("bmi/crc-buffer".into(), &insns).ptr(6, 0x200).gpr(0, 0xffff_ffff));
    cases
}
