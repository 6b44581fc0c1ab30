//! System and miscellaneous cases that can run natively: MXCSR and x87 control word
//! loads/stores, fences, pause, prefetches, clflush, nops, endbr64, and the traps of int3, ud2
//! and a reserved MXCSR bit. (cpuid, rdtsc and syscall are checked by frontend unit tests:
//! their native results are the host's, not the guest's.)

use crate::case::{generate, mem, Case, SCRATCH_BASE};
use iced_x86::{Code, Instruction, Register};

const RSI: usize = 6;

fn b(r: Result<Instruction, iced_x86::IcedError>) -> Instruction {
    crate::case::built(r)
}

pub fn cases() -> Vec<Case> {
    use Code::*;
    let mut out = Vec::new();
    let m = |d| mem(Register::RSI, d);
    let st = b(Instruction::with1(Stmxcsr_m32, m(0x20)));
    let ld = b(Instruction::with1(Ldmxcsr_m32, m(0x20)));
    out.extend(generate("stmxcsr", 4, |rng| {
        let mut c = Case::insns("", &[st]).random_state(rng, &[RSI]);
        c.init.mxcsr = 0x1f80 | (rng.below(4) as u32) << 13 | rng.below(64) as u32;
        c
    }));
    out.extend(generate("ldmxcsr", 6, |rng| {
        let c = Case::insns("", &[ld]).random_state(rng, &[RSI]);
        let off = (c.init.gpr[RSI] - SCRATCH_BASE) as u32 + 0x20;
        let v = 0x1f80 | (rng.below(4) as u32) << 13 | rng.below(64) as u32 | (rng.below(2) as u32) << 6;
        c.mem(off, &v.to_le_bytes())
    }));
    out.push(Case::insns("ldmxcsr/reserved", &[ld]).ptr(RSI, 0x100).mem(0x120, &0x1_1f80u32.to_le_bytes()));
    let fnstcw = b(Instruction::with1(Fnstcw_m2byte, m(0x20)));
    let fstcw = b(Instruction::with1(Fstcw_m2byte, m(0x24)));
    let fldcw = b(Instruction::with1(Fldcw_m2byte, m(0x20)));
    out.push(Case::insns("fnstcw", &[fnstcw]).ptr(RSI, 0x100));
    out.push(Case::insns("fstcw", &[fstcw]).ptr(RSI, 0x100));
    out.push(
        Case::insns("fldcw-fnstcw", &[fldcw, b(Instruction::with1(Fnstcw_m2byte, m(0x30)))])
            .ptr(RSI, 0x100)
            .mem(0x120, &0x027fu16.to_le_bytes()),
    );
    let no_ops = [
        Instruction::with(Lfence),
        Instruction::with(Mfence),
        Instruction::with(Sfence),
        Instruction::with(Pause),
        Instruction::with(Nopd),
        Instruction::with(Endbr64),
        b(Instruction::with1(Nop_rm32, m(0x10))),
        b(Instruction::with1(Nop_rm16, Register::AX)),
        b(Instruction::with1(Prefetchnta_m8, m(0x10))),
        b(Instruction::with1(Prefetcht0_m8, m(0x10))),
        b(Instruction::with1(Prefetcht1_m8, m(0x10))),
        b(Instruction::with1(Prefetcht2_m8, m(0x10))),
        b(Instruction::with1(Clflush_m8, m(0x10))),
    ];
    for insn in no_ops {
        out.extend(generate(&format!("{:?}", insn.code()), 2, |rng| {
            Case::insns("", &[insn]).random_state(rng, &[RSI])
        }));
    }
    out.push(Case::insns("int3", &[Instruction::with(Int3)]));
    out.push(Case::insns("ud2", &[Instruction::with(Ud2)]));
    // hlt is privileged: #GP, SIGSEGV.
    out.push(Case::insns("hlt", &[Instruction::with(Hlt)]));
    out
}
