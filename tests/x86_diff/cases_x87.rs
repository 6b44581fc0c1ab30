//! Cases for the x87 family: short programs that load operands from memory, compute, and store
//! every result back to memory (the harness compares memory, GPRs and RFLAGS, not the x87
//! registers), leaving the x87 stack empty. Operands are doubles, floats, integers and 80-bit
//! values, with the edge values of `Rng::interesting_f64`.

use crate::case::{encode, generate, Case, Rng};
use crate::int_forms::code;
use iced_x86::{Instruction, MemoryOperand, Register};

const PER_PROGRAM: usize = 8;

/// `[rbx + displ]`: operands at 0..0x40, results from 0x100.
fn at(displ: i64) -> MemoryOperand {
    MemoryOperand::with_base_displ(Register::RBX, displ)
}

fn i0(name: &str) -> Instruction {
    Instruction::with(code(name))
}
fn im(name: &str, displ: i64) -> Instruction {
    crate::case::built(Instruction::with1(code(name), at(displ)))
}
fn ir(name: &str, r: Register) -> Instruction {
    crate::case::built(Instruction::with1(code(name), r))
}
fn irr(name: &str, a: Register, b: Register) -> Instruction {
    crate::case::built(Instruction::with2(code(name), a, b))
}

/// An 80-bit value with an explicit integer bit matching its exponent (no unnormals, which
/// the hardware rejects as invalid operands).
fn f80(rng: &mut Rng) -> [u8; 10] {
    let exp = match rng.below(4) {
        0 => 0x3fff + rng.below(130) - 65,
        1 => [0, 0x7fff, 1, 0x7ffe][rng.below(4) as usize],
        _ => 0x3fff + rng.below(0x800) - 0x400,
    } as u16;
    let sign = (rng.below(2) as u16) << 15;
    let mut mant = rng.next();
    if exp == 0 {
        mant &= !(1 << 63);
    } else {
        mant |= 1 << 63;
    }
    let mut b = [0u8; 10];
    b[..8].copy_from_slice(&mant.to_le_bytes());
    b[8..].copy_from_slice(&(sign | exp).to_le_bytes());
    b
}

/// A case running `program` on random operands: doubles at 0, 8, 16, floats at 0x18 and
/// 0x1c, small integers at 0x20 (16-bit), 0x24 (32-bit), 0x28 (64-bit), an 80-bit value at
/// 0x30.
fn cases_for(name: &str, program: &[Instruction]) -> Vec<Case> {
    cases_for_bytes(name, encode(program))
}

fn cases_for_bytes(name: &str, code_bytes: Vec<u8>) -> Vec<Case> {
    generate(&format!("x87/{name}"), PER_PROGRAM, |rng| {
        let mut mem = Vec::new();
        for _ in 0..3 {
            mem.extend_from_slice(&rng.interesting_f64().to_le_bytes());
        }
        mem.extend_from_slice(&rng.interesting_f32().to_le_bytes());
        mem.extend_from_slice(&rng.interesting_f32().to_le_bytes());
        mem.extend_from_slice(&((rng.next() as i16) >> rng.below(16)).to_le_bytes());
        mem.extend_from_slice(&[0, 0]);
        mem.extend_from_slice(&((rng.next() as i32) >> rng.below(32)).to_le_bytes());
        mem.extend_from_slice(&((rng.next() as i64) >> rng.below(64)).to_le_bytes());
        mem.extend_from_slice(&f80(rng));
        Case::new("", code_bytes.clone()).ptr(3, 0x200).mem(0x200, &mem).mem_seed(rng.next())
    })
}

pub fn cases() -> Vec<Case> {
    use Register::{AX, ST0, ST1, ST2};
    let mut cases = Vec::new();
    let mut add = |name: &str, program: Vec<Instruction>| cases.extend(cases_for(name, &program));
    // Loads and stores of every format.
    add("fld-m64-fstp-m80", vec![im("Fld_m64fp", 0), im("Fstp_m80fp", 0x100)]);
    add("fld-m32-fstp-m64", vec![im("Fld_m32fp", 0x18), im("Fstp_m64fp", 0x100)]);
    add("fld-m80-fstp-m64-m32", vec![im("Fld_m80fp", 0x30), im("Fst_m64fp", 0x100), im("Fstp_m32fp", 0x108)]);
    add("fld-m80-fstp-m80", vec![im("Fld_m80fp", 0x30), im("Fstp_m80fp", 0x100)]);
    add(
        "fild-m16-m32-m64",
        vec![
            im("Fild_m16int", 0x20),
            im("Fild_m32int", 0x24),
            im("Fild_m64int", 0x28),
            im("Fstp_m80fp", 0x100),
            im("Fstp_m80fp", 0x110),
            im("Fstp_m80fp", 0x120),
        ],
    );
    add(
        "fist-fistp",
        vec![
            im("Fld_m64fp", 0),
            im("Fist_m16int", 0x100),
            im("Fist_m32int", 0x108),
            im("Fistp_m64int", 0x110),
            im("Fld_m80fp", 0x30),
            im("Fistp_m32int", 0x118),
            im("Fld_m32fp", 0x18),
            im("Fistp_m16int", 0x120),
        ],
    );
    add(
        "fisttp",
        vec![
            im("Fld_m64fp", 0),
            im("Fisttp_m16int", 0x100),
            im("Fld_m64fp", 8),
            im("Fisttp_m32int", 0x108),
            im("Fld_m80fp", 0x30),
            im("Fisttp_m64int", 0x110),
        ],
    );
    add(
        "constants",
        vec![
            i0("Fldz"),
            i0("Fld1"),
            i0("Fldpi"),
            i0("Fldl2t"),
            i0("Fldl2e"),
            i0("Fldlg2"),
            i0("Fldln2"),
            im("Fstp_m80fp", 0x100),
            im("Fstp_m80fp", 0x110),
            im("Fstp_m80fp", 0x120),
            im("Fstp_m80fp", 0x130),
            im("Fstp_m80fp", 0x140),
            im("Fstp_m80fp", 0x150),
            im("Fstp_m80fp", 0x160),
        ],
    );
    // Arithmetic: memory operands of each format, and every register form.
    for op in ["Fadd", "Fmul", "Fsub", "Fsubr", "Fdiv", "Fdivr"] {
        let fi = op.replacen('F', "Fi", 1);
        add(
            &format!("{op}-m64"),
            vec![im("Fld_m64fp", 0), im(&format!("{op}_m64fp"), 8), im("Fstp_m80fp", 0x100)],
        );
        add(
            &format!("{op}-m32"),
            vec![im("Fld_m80fp", 0x30), im(&format!("{op}_m32fp"), 0x1c), im("Fstp_m80fp", 0x100)],
        );
        add(
            &format!("{fi}-m16-m32"),
            vec![
                im("Fld_m64fp", 0),
                im(&format!("{fi}_m16int"), 0x20),
                im(&format!("{fi}_m32int"), 0x24),
                im("Fstp_m80fp", 0x100),
            ],
        );
        let load2 = [im("Fld_m64fp", 8), im("Fld_m80fp", 0x30)];
        let store2 = [im("Fstp_m80fp", 0x100), im("Fstp_m80fp", 0x110)];
        let st0_sti = irr(&format!("{op}_st0_sti"), ST0, ST1);
        add(&format!("{op}-st0-st1"), [&load2[..], &[st0_sti], &store2[..]].concat());
        let sti_st0 = irr(&format!("{op}_sti_st0"), ST1, ST0);
        add(&format!("{op}-st1-st0"), [&load2[..], &[sti_st0], &store2[..]].concat());
        let popping = irr(&format!("{op}p_sti_st0"), ST1, ST0);
        add(&format!("{op}p-st1-st0"), [&load2[..], &[popping], &[im("Fstp_m80fp", 0x100)][..]].concat());
    }
    // Comparisons into RFLAGS and into C3 C2 C0 (read with fnstsw; exception flags masked off).
    for (name, pops) in
        [("Fcomi_st0_sti", 0), ("Fucomi_st0_sti", 0), ("Fcomip_st0_sti", 1), ("Fucomip_st0_sti", 1)]
    {
        let mut p = vec![im("Fld_m64fp", 8), im("Fld_m64fp", 0), irr(name, ST0, ST1)];
        for _ in pops..2 {
            p.push(ir("Fstp_sti", ST0));
        }
        add(name, p);
    }
    let cc_of_sw = crate::case::built(Instruction::with2(code("And_EAX_imm32"), Register::EAX, 0x4500i32));
    let sw = ir("Fnstsw_AX", AX);
    add("fucompp-fnstsw", vec![im("Fld_m64fp", 8), im("Fld_m64fp", 0), i0("Fucompp"), sw, cc_of_sw]);
    // The whole status word (exception flags included) after ordered and unordered compares.
    add("fucompp-full-sw", vec![im("Fld_m64fp", 8), im("Fld_m64fp", 0), i0("Fucompp"), sw]);
    add("fcompp-full-sw", vec![im("Fld_m64fp", 16), im("Fld_m64fp", 0), i0("Fcompp"), sw]);
    add(
        "fcomip-full-sw",
        vec![
            im("Fld_m64fp", 8),
            im("Fld_m80fp", 0x30),
            irr("Fcomip_st0_sti", ST0, ST1),
            ir("Fstp_sti", ST0),
            sw,
        ],
    );
    add("fcompp-fnstsw", vec![im("Fld_m64fp", 8), im("Fld_m64fp", 0), i0("Fcompp"), sw, cc_of_sw]);
    add(
        "ficom-m16-fnstsw",
        vec![im("Fld_m64fp", 0), im("Ficom_m16int", 0x20), sw, cc_of_sw, ir("Fstp_sti", ST0)],
    );
    add(
        "ffreep",
        vec![im("Fld_m64fp", 0), im("Fld_m64fp", 8), ir("Ffreep_sti", ST0), im("Fstp_m64fp", 0x100)],
    );
    add("fcom-m64-fnstsw", vec![im("Fld_m64fp", 0), im("Fcom_m64fp", 8), sw, cc_of_sw, ir("Fstp_sti", ST0)]);
    add("fcomp-m32-fnstsw", vec![im("Fld_m32fp", 0x18), im("Fcomp_m32fp", 0x1c), sw, cc_of_sw]);
    add("ficom-m32-fnstsw", vec![im("Fld_m64fp", 0), im("Ficomp_m32int", 0x24), sw, cc_of_sw]);
    add(
        "fucom-st2-fnstsw",
        vec![
            im("Fld_m64fp", 16),
            im("Fld_m64fp", 8),
            im("Fld_m64fp", 0),
            irr("Fucom_st0_sti", ST0, ST2),
            sw,
            cc_of_sw,
            irr("Fucomp_st0_sti", ST0, ST1),
            ir("Fstp_sti", ST0),
            ir("Fstp_sti", ST0),
        ],
    );
    let store_ax =
        |displ| crate::case::built(Instruction::with2(code("Mov_rm16_r16"), at(displ), Register::AX));
    add(
        "ftst-fxam",
        vec![
            im("Fld_m64fp", 0),
            i0("Ftst"),
            sw,
            cc_of_sw,
            store_ax(0x100),
            i0("Fxam"),
            sw,
            cc_of_sw,
            store_ax(0x102),
            ir("Fstp_sti", ST0),
            im("Fld_m80fp", 0x30),
            i0("Fxam"),
            sw,
            cc_of_sw,
            store_ax(0x104),
            ir("Fstp_sti", ST0),
            // fxam of an empty register.
            i0("Fxam"),
            sw,
            cc_of_sw,
            store_ax(0x106),
        ],
    );
    for op in ["Fchs", "Fabs", "Frndint", "Fsqrt"] {
        add(
            op,
            vec![
                im("Fld_m80fp", 0x30),
                i0(op),
                im("Fstp_m80fp", 0x100),
                im("Fld_m64fp", 0),
                i0(op),
                im("Fstp_m64fp", 0x110),
            ],
        );
    }
    add(
        "fscale",
        vec![
            im("Fild_m16int", 0x20),
            im("Fld_m64fp", 0),
            i0("Fscale"),
            im("Fstp_m80fp", 0x100),
            ir("Fstp_sti", ST0),
        ],
    );
    add(
        "fxch-fld-fst-sti",
        vec![
            im("Fld_m64fp", 0),
            im("Fld_m64fp", 8),
            im("Fld_m64fp", 16),
            irr("Fxch_st0_sti", ST0, ST2),
            ir("Fld_sti", ST1),
            ir("Fst_sti", ST2),
            ir("Fstp_sti", ST1),
            im("Fstp_m64fp", 0x100),
            im("Fstp_m64fp", 0x108),
            im("Fstp_m64fp", 0x110),
        ],
    );
    add(
        "ffree-fincstp-fdecstp",
        vec![
            im("Fld_m64fp", 0),
            im("Fld_m64fp", 8),
            i0("Fdecstp"),
            i0("Fincstp"),
            ir("Ffree_sti", ST0),
            i0("Fincstp"),
            im("Fstp_m64fp", 0x100),
            i0("Wait"),
        ],
    );
    add(
        "fninit-fnclex",
        vec![
            im("Fld_m64fp", 0),
            im("Fdiv_m64fp", 8),
            i0("Fnclex"),
            sw,
            store_ax(0x100),
            i0("Fninit"),
            sw,
            store_ax(0x102),
        ],
    );
    // fnstenv/fldenv; the instruction and operand pointers (bytes 12..28), which xlate does
    // not track, are overwritten with zeros before the comparison.
    let zero_at = |displ| crate::case::built(Instruction::with2(code("Mov_rm32_imm32"), at(displ), 0i32));
    let hide_pointers = [zero_at(0x10c), zero_at(0x110), zero_at(0x114), zero_at(0x118)];
    let mut p =
        vec![im("Fld_m64fp", 0), im("Fld_m80fp", 0x30), im("Fdiv_m64fp", 8), im("Fnstenv_m28byte", 0x100)];
    p.extend(hide_pointers);
    p.extend([im("Fstp_m80fp", 0x120), im("Fstp_m80fp", 0x130), sw]);
    add("fnstenv", p);
    let mut p = vec![im("Fld_m64fp", 0), i0("Fldz"), im("Fnstenv_m28byte", 0x100)];
    p.extend([
        ir("Fstp_sti", ST0),
        ir("Fstp_sti", ST0),
        im("Fldenv_m28byte", 0x100),
        im("Fstp_m80fp", 0x120),
        im("Fstp_m80fp", 0x130),
    ]);
    p.extend(hide_pointers);
    add("fnstenv-fldenv", p);
    // The waiting forms (iced decodes them as wait + the no-wait instruction).
    let mut p = vec![
        im("Fld_m64fp", 0),
        im("Fdiv_m64fp", 8),
        ir("Fstsw_AX", AX),
        store_ax(0x140),
        i0("Fclex"),
        im("Fstenv_m28byte", 0x100),
        i0("Finit"),
        ir("Fstsw_AX", AX),
    ];
    p.extend(hide_pointers);
    add("waiting-forms", p);
    // Rounding control (fldcw with each RC) for integer stores, frndint, arithmetic and
    // narrowing stores; the control word is at 0x3c.
    for (k, cw) in [0x037fu16, 0x077f, 0x0b7f, 0x0f7f].into_iter().enumerate() {
        let program = vec![
            im("Fldcw_m2byte", 0x3c),
            im("Fld_m64fp", 0),
            im("Fist_m32int", 0x100),
            im("Fistp_m64int", 0x108),
            im("Fld_m80fp", 0x30),
            i0("Frndint"),
            im("Fstp_m80fp", 0x110),
            im("Fld_m64fp", 0),
            im("Fdiv_m64fp", 8),
            im("Fst_m32fp", 0x120),
            im("Fstp_m80fp", 0x130),
            im("Fld_m80fp", 0x30),
            im("Fstp_m64fp", 0x140),
            im("Fld_m80fp", 0x30),
            i0("Fabs"),
            i0("Fsqrt"),
            im("Fstp_m80fp", 0x150),
        ];
        let bytes = encode(&program);
        let cases_k: Vec<Case> = cases_for_bytes(&format!("rounding-{k}"), bytes)
            .into_iter()
            .map(|c| c.mem(0x23c, &cw.to_le_bytes()))
            .collect();
        cases.extend(cases_k);
    }
    // fprem/fprem1 loops until C2 reports a complete remainder (the hardware reduces at most
    // 2^63 per step): L: fpremX; fnstsw ax; test ah, 4; jnz L
    for (op, opcode) in [("Fprem", 0xf8u8), ("Fprem1", 0xf5)] {
        let mut bytes = encode(&[im("Fld_m64fp", 8), im("Fld_m64fp", 0)]);
        bytes.extend_from_slice(&[0xd9, opcode, 0xdf, 0xe0, 0xf6, 0xc4, 0x04, 0x75, 0xf7]);
        bytes.extend(encode(&[im("Fstp_m80fp", 0x100), ir("Fstp_sti", ST0)]));
        cases.extend(cases_for_bytes(op, bytes));
    }
    cases
}
