//! Cases for the data-movement, stack and control-flow families of the x86-64 frontend: mov
//! forms, xchg, lea, cmovcc/setcc, nops and flag instructions; push/pop, pushf/popf,
//! enter/leave; jmp/jcc/call/ret/jrcxz/loop as small programs whose branches stay inside the
//! case's bytes.

use crate::case::{encode, Case, CODE_PC, SCRATCH_BASE, STACK_TOP};
use crate::int_forms::{code, generate_forms, Tweaks};
use iced_x86::{Instruction, MemoryOperand, Mnemonic, Register};

const PER_FORM: usize = 6;

fn build(r: Result<Instruction, iced_x86::IcedError>) -> Instruction {
    crate::case::built(r)
}

const CMOVS: [Mnemonic; 16] = [
    Mnemonic::Cmovo,
    Mnemonic::Cmovno,
    Mnemonic::Cmovb,
    Mnemonic::Cmovae,
    Mnemonic::Cmove,
    Mnemonic::Cmovne,
    Mnemonic::Cmovbe,
    Mnemonic::Cmova,
    Mnemonic::Cmovs,
    Mnemonic::Cmovns,
    Mnemonic::Cmovp,
    Mnemonic::Cmovnp,
    Mnemonic::Cmovl,
    Mnemonic::Cmovge,
    Mnemonic::Cmovle,
    Mnemonic::Cmovg,
];
const SETS: [Mnemonic; 16] = [
    Mnemonic::Seto,
    Mnemonic::Setno,
    Mnemonic::Setb,
    Mnemonic::Setae,
    Mnemonic::Sete,
    Mnemonic::Setne,
    Mnemonic::Setbe,
    Mnemonic::Seta,
    Mnemonic::Sets,
    Mnemonic::Setns,
    Mnemonic::Setp,
    Mnemonic::Setnp,
    Mnemonic::Setl,
    Mnemonic::Setge,
    Mnemonic::Setle,
    Mnemonic::Setg,
];
/// jcc condition suffixes in iced's Code names, in condition-code order.
const CONDS: [&str; 16] =
    ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"];

pub fn mov() -> Vec<Case> {
    use Mnemonic::*;
    let mut mnemonics = vec![
        Mov,
        Xchg,
        Lea,
        Nop,
        Endbr64,
        Endbr32,
        Pause,
        Prefetchnta,
        Prefetcht0,
        Prefetcht1,
        Prefetcht2,
        Prefetchw,
        Clc,
        Stc,
        Cmc,
        Cld,
        Std,
        Lahf,
        Sahf,
    ];
    mnemonics.extend(CMOVS);
    mnemonics.extend(SETS);
    let mut cases = generate_forms("mov", &mnemonics, PER_FORM, &Tweaks::default());
    // moffs forms: absolute 64-bit addresses.
    for (k, (name, r)) in [
        ("Mov_AL_moffs8", Register::AL),
        ("Mov_AX_moffs16", Register::AX),
        ("Mov_EAX_moffs32", Register::EAX),
        ("Mov_RAX_moffs64", Register::RAX),
    ]
    .into_iter()
    .enumerate()
    {
        let mem = MemoryOperand::with_displ(SCRATCH_BASE + 0x101 + k as u64, 8);
        let load = build(Instruction::with2(code(name), r, mem));
        cases.push(
            Case::insns(format!("mov/{name}"), &[load]).gpr(0, 0x1111_2222_3333_4444).mem_seed(k as u64),
        );
        let store_name = name
            .replace("AL_moffs8", "moffs8_AL")
            .replace("AX_moffs16", "moffs16_AX")
            .replace("EAX_moffs32", "moffs32_EAX");
        let store_name = store_name.replace("RAX_moffs64", "moffs64_RAX");
        let store = build(Instruction::with2(code(&store_name), mem, r));
        cases.push(Case::insns(format!("mov/{store_name}"), &[store]).gpr(0, 0x8899_aabb_ccdd_eeff));
    }
    cases
}

pub fn stack() -> Vec<Case> {
    use Mnemonic::*;
    let mut cases = generate_forms("stack", &[Push, Pop, Pushf, Pushfq, Leave], PER_FORM, &Tweaks::default());
    for c in cases.iter_mut().filter(|c| c.name.contains("Leave")) {
        // leave pops from where rbp points: keep that inside the scratch stack.
        c.init.gpr[5] = STACK_TOP - 0x40;
    }
    // popf of each status flag and DF (other bits, e.g. TF and AC, would change how the native
    // side runs).
    for (k, flags) in [0u64, 0x1, 0x4, 0x10, 0x40, 0x80, 0x400, 0x800, 0xcd5, 0x8d5].into_iter().enumerate() {
        let push = build(Instruction::with1(code("Pushq_imm32"), flags as i32));
        let popf = Instruction::with(code("Popfq"));
        cases.push(Case::insns(format!("stack/popfq/{k}"), &[push, popf]).flags(0x8d5 ^ flags));
        let popfw = Instruction::with(code("Popfw"));
        let push16 = build(Instruction::with1(code("Push_imm16"), flags as i32));
        cases.push(Case::insns(format!("stack/popfw/{k}"), &[push16, popfw]).flags(0x8d5 ^ flags));
    }
    for (k, size) in [0i32, 8, 0x40, 0x123].into_iter().enumerate() {
        let enter = build(Instruction::with2(code("Enterq_imm16_imm8"), size, 0i32));
        cases.push(Case::insns(format!("stack/enter/{k}"), &[enter]).gpr(5, 0x1234_5678_9abc_def0));
        let leave = Instruction::with(code("Leaveq"));
        cases.push(
            Case::insns(format!("stack/enter-leave/{k}"), &[enter, leave]).gpr(5, 0x1234_5678_9abc_def0),
        );
    }
    cases
}

/// One instruction of a [`program`], built from the addresses of all its parts.
type Part<'a> = dyn Fn(&[u64]) -> Instruction + 'a;

/// A case whose code is `parts` laid out from `CODE_PC`, where each part is built knowing the
/// addresses of every part (so branches can target later parts or the end).
fn program(name: String, parts: &[&Part<'_>]) -> Case {
    // Two passes: lay out with placeholder targets, then with the real addresses (branch
    // forms here have fixed lengths, so the layout does not change).
    let mut addrs = vec![CODE_PC; parts.len() + 1];
    for _ in 0..2 {
        let mut pc = CODE_PC;
        for (i, p) in parts.iter().enumerate() {
            addrs[i] = pc;
            pc += encode_at(&p(&addrs), pc).len() as u64;
        }
        addrs[parts.len()] = pc;
    }
    let insns: Vec<Instruction> = parts.iter().map(|p| p(&addrs)).collect();
    Case::new(name, encode(&insns))
}

fn encode_at(insn: &Instruction, pc: u64) -> Vec<u8> {
    let mut enc = iced_x86::Encoder::new(64);
    enc.encode(insn, pc).unwrap_or_else(|e| panic!("cannot encode {:?}: {e}", insn.code()));
    enc.take_buffer()
}

fn branch(name: &str, target: u64) -> Instruction {
    build(Instruction::with_branch(code(name), target))
}

fn mov_eax(v: i32) -> Instruction {
    build(Instruction::with2(code("Mov_r32_imm32"), Register::EAX, v))
}

pub fn control() -> Vec<Case> {
    let mut cases = Vec::new();
    // jcc rel8 and rel32 over a mov, for flag patterns that make each condition true and false.
    for cc in CONDS {
        for form in ["rel8_64", "rel32_64"] {
            let name = format!("J{cc}_{form}");
            for (k, flags) in
                [0u64, 0x1, 0x40, 0x41, 0x80, 0x800, 0x880, 0x4, 0xc0, 0x8d5].into_iter().enumerate()
            {
                let j = |a: &[u64]| branch(&name, a[2]);
                let mv = |_: &[u64]| mov_eax(1);
                cases.push(program(format!("control/{name}/{k}"), &[&j, &mv]).flags(flags));
            }
        }
    }
    // jmp rel8/rel32, through a register and through memory.
    for form in ["Jmp_rel8_64", "Jmp_rel32_64"] {
        let j = |a: &[u64]| branch(form, a[2]);
        let mv = |_: &[u64]| mov_eax(1);
        cases.push(program(format!("control/{form}"), &[&j, &mv]));
    }
    let jr = |_: &[u64]| build(Instruction::with1(code("Jmp_rm64"), Register::RCX));
    let mv = |_: &[u64]| mov_eax(1);
    let mut c = program("control/Jmp_rm64/reg".into(), &[&jr, &mv]);
    let end = CODE_PC + c.code.len() as u64;
    c = c.gpr(1, end);
    cases.push(c);
    let jm = |_: &[u64]| {
        build(Instruction::with1(code("Jmp_rm64"), MemoryOperand::with_base_displ(Register::RBX, 8)))
    };
    let mut c = program("control/Jmp_rm64/mem".into(), &[&jm, &mv]);
    let end = CODE_PC + c.code.len() as u64;
    c = c.ptr(3, 0x100).mem(0x108, &end.to_le_bytes());
    cases.push(c);
    // call / ret: call L; jmp END; L: ret [imm16]
    for (k, ret) in ["Retnq", "Retnq_imm16"].into_iter().enumerate() {
        let call = |a: &[u64]| branch("Call_rel32_64", a[2]);
        let jmp = |a: &[u64]| branch("Jmp_rel8_64", a[3]);
        let r = |_: &[u64]| {
            if k == 0 {
                Instruction::with(code(ret))
            } else {
                build(Instruction::with1(code(ret), 0x18i32))
            }
        };
        cases.push(program(format!("control/call-{ret}"), &[&call, &jmp, &r]));
        // Indirect calls through a register and memory.
        let call_r = |_: &[u64]| build(Instruction::with1(code("Call_rm64"), Register::RDX));
        let c = program(format!("control/call-reg-{ret}"), &[&call_r, &jmp, &r]);
        let target = CODE_PC + c.code.len() as u64 - encode_at(&r(&[]), 0).len() as u64;
        cases.push(c.gpr(2, target));
        let call_m = |_: &[u64]| {
            build(Instruction::with1(code("Call_rm64"), MemoryOperand::with_base_displ(Register::RSI, 0x20)))
        };
        let c = program(format!("control/call-mem-{ret}"), &[&call_m, &jmp, &r]);
        let target = CODE_PC + c.code.len() as u64 - encode_at(&r(&[]), 0).len() as u64;
        cases.push(c.ptr(6, 0x300).mem(0x320, &target.to_le_bytes()));
    }
    // jrcxz / jecxz.
    for (form, rcx_values) in
        [("Jrcxz_rel8_64", [0u64, 1, 0x1_0000_0000]), ("Jecxz_rel8_64", [0, 1, 0x1_0000_0000])]
    {
        for (k, rcx) in rcx_values.into_iter().enumerate() {
            let j = |a: &[u64]| branch(form, a[2]);
            cases.push(program(format!("control/{form}/{k}"), &[&j, &mv]).gpr(1, rcx));
        }
    }
    // loop / loope / loopne, with rcx and (address-size prefix) ecx as the counter:
    // L: add eax, 1; cmp eax, 3; loopX L
    for form in [
        "Loop_rel8_64_RCX",
        "Loop_rel8_64_ECX",
        "Loope_rel8_64_RCX",
        "Loope_rel8_64_ECX",
        "Loopne_rel8_64_RCX",
        "Loopne_rel8_64_ECX",
    ] {
        for (k, (rcx, eax)) in
            [(5u64, 0u64), (1, 0), (0x1_0000_0004, 0), (7, 2), (9, 0xffff_fff0)].into_iter().enumerate()
        {
            // A plain `loop` on rcx would run 2^32 times from this one.
            if form == "Loop_rel8_64_RCX" && rcx > 100 {
                continue;
            }
            let add = |_: &[u64]| build(Instruction::with2(code("Add_rm32_imm8"), Register::EAX, 1i32));
            let cmp = |_: &[u64]| build(Instruction::with2(code("Cmp_rm32_imm8"), Register::EAX, 3i32));
            let lp = |a: &[u64]| branch(form, a[0]);
            cases.push(program(format!("control/{form}/{k}"), &[&add, &cmp, &lp]).gpr(1, rcx).gpr(0, eax));
        }
    }
    cases
}
