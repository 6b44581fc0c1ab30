//! MMX cases: every MMX form the frontend implements (register and memory sources, the
//! immediate shifts at their edge counts, pshufw's selectors, the moves to and from GPRs,
//! memory and xmm registers), each loading its operands into mm registers from memory, storing
//! the result back and ending with emms; and the x87 state MMX leaves (TOP 0, every register
//! valid, exponents all ones; emms: every register empty) seen through fxsave.

use crate::case::{encode, generate, mem, Case};
use iced_x86::{Code, Instruction, MemoryOperand, Register};

const RSI: usize = 6;
/// Operands at 0 and 8, results from 0x100.
const A: i64 = 0;
const B: i64 = 8;
const OUT: i64 = 0x100;

fn b(r: Result<Instruction, iced_x86::IcedError>) -> Instruction {
    crate::case::built(r)
}

fn m(displ: i64) -> MemoryOperand {
    mem(Register::RSI, displ)
}

fn load(reg: Register, displ: i64) -> Instruction {
    b(Instruction::with2(Code::Movq_mm_mmm64, reg, m(displ)))
}

fn store(reg: Register, displ: i64) -> Instruction {
    b(Instruction::with2(Code::Movq_mmm64_mm, m(displ), reg))
}

/// Cases for `body`, run between loads of mm0 (from A) and mm1 (from B) and a store of mm0 and
/// mm1, with interesting operand values and random GPRs and xmm registers.
fn program(name: &str, body: &[Instruction]) -> Vec<Case> {
    let mut insns = vec![load(Register::MM0, A), load(Register::MM1, B)];
    insns.extend_from_slice(body);
    insns.extend([store(Register::MM0, OUT), store(Register::MM1, OUT + 8), Instruction::with(Code::Emms)]);
    let code = encode(&insns);
    generate(name, 6, |rng| {
        let (a, bv) = (rng.interesting_u64(), rng.interesting_u64());
        Case::new("", code.clone())
            .random_state(rng, &[])
            .ptr(RSI, 0)
            .mem(A as u32, &a.to_le_bytes())
            .mem(B as u32, &bv.to_le_bytes())
    })
}

pub fn cases() -> Vec<Case> {
    use Code::*;
    use Register::{EAX, MM0, MM1, MM2, RAX, XMM3, XMM4};
    let mut out = Vec::new();
    let implemented = |c: &Code| xlate::frontend::x86_64::mmx::lookup(c.mnemonic()).is_some();
    // Every `mm, mm/m64` form: register and memory source.
    for code in Code::values().filter(|c| format!("{c:?}").ends_with("_mm_mmm64") && implemented(c)) {
        if code == Movq_mm_mmm64 {
            continue;
        }
        out.extend(program(&format!("{code:?}/reg"), &[b(Instruction::with2(code, MM0, MM1))]));
        out.extend(program(&format!("{code:?}/mem"), &[b(Instruction::with2(code, MM0, m(B)))]));
    }
    // Shifts by an immediate, at the edges of every lane width.
    for code in Code::values().filter(|c| { let n = format!("{c:?}"); n.starts_with("Ps") && n.ends_with("_mm_imm8") } && implemented(c)) {
        for count in [0u32, 1, 7, 15, 16, 31, 32, 63, 64, 255] {
            out.extend(program(&format!("{code:?}/{count}"), &[b(Instruction::with2(code, MM0, count))]));
        }
    }
    for sel in [0u32, 0x1b, 0xe4, 0xff, 0x4e] {
        out.extend(program(
            &format!("pshufw/reg/{sel:#x}"),
            &[b(Instruction::with3(Pshufw_mm_mmm64_imm8, MM0, MM1, sel))],
        ));
        out.extend(program(
            &format!("pshufw/mem/{sel:#x}"),
            &[b(Instruction::with3(Pshufw_mm_mmm64_imm8, MM0, m(B), sel))],
        ));
    }
    for imm in [0u32, 1, 3, 7, 8, 9, 15, 16, 255] {
        out.extend(program(
            &format!("palignr/reg/{imm}"),
            &[b(Instruction::with3(Palignr_mm_mmm64_imm8, MM0, MM1, imm))],
        ));
        out.extend(program(
            &format!("palignr/mem/{imm}"),
            &[b(Instruction::with3(Palignr_mm_mmm64_imm8, MM0, m(B), imm))],
        ));
    }
    for lane in 0..5u32 {
        out.extend(program(
            &format!("pextrw/{lane}"),
            &[b(Instruction::with3(Pextrw_r32_mm_imm8, EAX, MM1, lane))],
        ));
        out.extend(program(
            &format!("pinsrw/reg/{lane}"),
            &[b(Instruction::with3(Pinsrw_mm_r32m16_imm8, MM0, EAX, lane))],
        ));
        out.extend(program(
            &format!("pinsrw/mem/{lane}"),
            &[b(Instruction::with3(Pinsrw_mm_r32m16_imm8, MM0, m(B + 2), lane))],
        ));
    }
    out.extend(program("pmovmskb", &[b(Instruction::with2(Pmovmskb_r32_mm, EAX, MM1))]));
    // Moves.
    out.extend(program("movd/from-gpr", &[b(Instruction::with2(Movd_mm_rm32, MM0, EAX))]));
    out.extend(program("movd/to-gpr", &[b(Instruction::with2(Movd_rm32_mm, EAX, MM1))]));
    out.extend(program("movd/from-mem", &[b(Instruction::with2(Movd_mm_rm32, MM0, m(B + 4)))]));
    out.extend(program("movd/to-mem", &[b(Instruction::with2(Movd_rm32_mm, m(OUT + 0x20), MM1))]));
    out.extend(program("movq/from-gpr", &[b(Instruction::with2(Movq_mm_rm64, MM0, RAX))]));
    out.extend(program("movq/to-gpr", &[b(Instruction::with2(Movq_rm64_mm, RAX, MM1))]));
    out.extend(program("movq/reg", &[b(Instruction::with2(Movq_mm_mmm64, MM0, MM1))]));
    out.extend(program("movntq", &[b(Instruction::with2(Movntq_m64_mm, m(OUT + 0x20), MM1))]));
    out.extend(program("movq2dq", &[b(Instruction::with2(Movq2dq_xmm_mm, XMM3, MM1))]));
    out.extend(program("movdq2q", &[b(Instruction::with2(Movdq2q_mm_xmm, MM0, XMM4))]));
    // Conversions between MMX integers and floats / doubles in xmm registers (or memory), with
    // special values and every rounding mode.
    let convs = [
        b(Instruction::with2(Cvtpi2ps_xmm_mmm64, XMM3, MM1)),
        b(Instruction::with2(Cvtpi2ps_xmm_mmm64, XMM3, m(B))),
        b(Instruction::with2(Cvtpi2pd_xmm_mmm64, XMM3, MM1)),
        b(Instruction::with2(Cvtpi2pd_xmm_mmm64, XMM3, m(B))),
        b(Instruction::with2(Cvtps2pi_mm_xmmm64, MM0, XMM4)),
        b(Instruction::with2(Cvtps2pi_mm_xmmm64, MM0, m(0x20))),
        b(Instruction::with2(Cvttps2pi_mm_xmmm64, MM0, XMM4)),
        b(Instruction::with2(Cvttps2pi_mm_xmmm64, MM0, m(0x20))),
        b(Instruction::with2(Cvtpd2pi_mm_xmmm128, MM0, XMM4)),
        b(Instruction::with2(Cvtpd2pi_mm_xmmm128, MM0, m(0x20))),
        b(Instruction::with2(Cvttpd2pi_mm_xmmm128, MM0, XMM4)),
        b(Instruction::with2(Cvttpd2pi_mm_xmmm128, MM0, m(0x20))),
    ];
    for (k, conv) in convs.into_iter().enumerate() {
        let single = matches!(conv.code(), Cvtps2pi_mm_xmmm64 | Cvttps2pi_mm_xmmm64);
        for mut c in program(&format!("{:?}/{k}", conv.code()), &[conv]) {
            let mut rng = crate::case::Rng::new(c.mem.seed);
            c.init.mxcsr = 0x1f80 | (rng.below(4) as u32) << 13;
            let v = if single {
                [rng.interesting_f32() as u64 | (rng.interesting_f32() as u64) << 32, rng.next()]
            } else {
                [rng.interesting_f64(), rng.interesting_f64()]
            };
            c.init.xmm[4] = v;
            let bytes: Vec<u8> = v.iter().flat_map(|h| h.to_le_bytes()).collect();
            out.push(c.mem(0x20, &bytes));
        }
    }
    out.push(
        Case::insns("cvtpd2pi/misaligned", &[b(Instruction::with2(Cvtpd2pi_mm_xmmm128, MM0, m(0x28)))])
            .ptr(RSI, 0),
    );
    // The x87 state around MMX, through fxsave: after an x87 load and an MMX write, and after
    // emms.
    let fx = |extra: &[Instruction]| {
        let mut insns = vec![Instruction::with(Fninit), Instruction::with(Fld1), Instruction::with(Fldpi)];
        insns.push(b(Instruction::with2(Movq_mm_mmm64, MM2, m(A))));
        insns.extend_from_slice(extra);
        insns.push(b(Instruction::with1(Fxsave64_m512byte, m(0x200))));
        insns.push(Instruction::with(Emms));
        encode(&insns)
    };
    for (name, code) in [("fxsave-after-mmx", fx(&[])), ("fxsave-after-emms", fx(&[Instruction::with(Emms)]))]
    {
        out.extend(generate(name, 3, |rng| Case::new("", code.clone()).random_state(rng, &[]).ptr(RSI, 0)));
    }
    out
}
