//! Exchange and compare-exchange cases: xchg, xadd, cmpxchg in every size with register and
//! memory destinations, with and without lock; cmpxchg8b/cmpxchg16b matching and not
//! matching, and cmpxchg16b's alignment fault.

use crate::case::{generate, mem, Case, Rng, SCRATCH_BASE};
use iced_x86::{Code, Instruction, Register};

const RAX: usize = 0;
const RCX: usize = 1;
const RDX: usize = 2;
const RBX: usize = 3;
const RSI: usize = 6;
const DISP: i64 = 0x20;

fn b(r: Result<Instruction, iced_x86::IcedError>) -> Instruction {
    crate::case::built(r)
}

fn locked(mut i: Instruction) -> Instruction {
    i.set_has_lock_prefix(true);
    i
}

/// Random state with rsi pointing at scratch memory whose operand bytes are `mem_val`;
/// with probability 1/2 the accumulator (rax, and rdx for the pair forms) matches memory.
fn state(rng: &mut Rng, insn: Instruction, mem_bytes: usize, pair: bool) -> Case {
    let mut c = Case::insns("", &[insn]).random_state(rng, &[RSI]);
    let lo = rng.interesting_u64();
    let hi = rng.interesting_u64();
    let off = (c.init.gpr[RSI] - SCRATCH_BASE) as u32 + DISP as u32;
    let mut bytes = lo.to_le_bytes().to_vec();
    bytes.extend_from_slice(&hi.to_le_bytes());
    c = c.mem(off, &bytes[..mem_bytes]);
    if rng.below(2) == 0 {
        match (pair, mem_bytes) {
            (true, 8) => {
                c.init.gpr[RAX] = (c.init.gpr[RAX] & !0xffff_ffff) | (lo & 0xffff_ffff);
                c.init.gpr[RDX] = (c.init.gpr[RDX] & !0xffff_ffff) | lo >> 32;
            }
            (true, _) => {
                c.init.gpr[RAX] = lo;
                c.init.gpr[RDX] = hi;
            }
            (false, n) => {
                let mask = if n == 8 { u64::MAX } else { (1u64 << (8 * n)) - 1 };
                c.init.gpr[RAX] = (c.init.gpr[RAX] & !mask) | (lo & mask);
            }
        }
    }
    c
}

pub fn cases() -> Vec<Case> {
    use Code::*;
    let mut out = Vec::new();
    let m = || mem(Register::RSI, DISP);
    let sizes: [(u32, Register, Register); 4] = [
        (1, Register::BL, Register::DH),
        (2, Register::BX, Register::R9W),
        (4, Register::EBX, Register::R9D),
        (8, Register::RBX, Register::R9),
    ];
    let xchg = [Xchg_rm8_r8, Xchg_rm16_r16, Xchg_rm32_r32, Xchg_rm64_r64];
    let xadd = [Xadd_rm8_r8, Xadd_rm16_r16, Xadd_rm32_r32, Xadd_rm64_r64];
    let cmpxchg = [Cmpxchg_rm8_r8, Cmpxchg_rm16_r16, Cmpxchg_rm32_r32, Cmpxchg_rm64_r64];
    for (k, &(size, r1, r2)) in sizes.iter().enumerate() {
        for (name, code) in [("xchg", xchg[k]), ("xadd", xadd[k]), ("cmpxchg", cmpxchg[k])] {
            let rr = b(Instruction::with2(code, r1, r2));
            let same = b(Instruction::with2(code, r1, r1));
            let mr = b(Instruction::with2(code, m(), r2));
            let variants = [("reg", rr), ("same", same), ("mem", mr), ("lock", locked(mr))];
            for (vname, insn) in variants {
                out.extend(generate(&format!("{name}{size}/{vname}"), 8, |rng| {
                    let mut c = state(rng, insn, size as usize, false);
                    if name == "cmpxchg" && vname != "mem" && vname != "lock" && rng.below(2) == 0 {
                        // Register destination equal to the accumulator.
                        c.init.gpr[RAX] = c.init.gpr[RBX];
                    }
                    c
                }));
            }
        }
    }
    // The short xchg forms with rax.
    for (code, r) in
        [(Xchg_r16_AX, Register::CX), (Xchg_r32_EAX, Register::ECX), (Xchg_r64_RAX, Register::R10)]
    {
        let insn = b(Instruction::with2(
            code,
            r,
            match code {
                Xchg_r16_AX => Register::AX,
                Xchg_r32_EAX => Register::EAX,
                _ => Register::RAX,
            },
        ));
        out.extend(generate(&format!("{code:?}"), 4, |rng| state(rng, insn, 8, false)));
    }
    let c8 = b(Instruction::with1(Cmpxchg8b_m64, m()));
    let c16 = b(Instruction::with1(Cmpxchg16b_m128, m()));
    for (name, insn, bytes) in [("cmpxchg8b", c8, 8), ("cmpxchg16b", c16, 16)] {
        out.extend(generate(&format!("{name}/plain"), 8, |rng| state(rng, insn, bytes, true)));
        out.extend(generate(&format!("{name}/lock"), 8, |rng| state(rng, locked(insn), bytes, true)));
    }
    let misaligned = b(Instruction::with1(Cmpxchg16b_m128, mem(Register::RSI, DISP + 8)));
    out.push(
        Case::insns("cmpxchg16b/misaligned", &[locked(misaligned)]).ptr(RSI, 0x100).gpr(RCX, 1).gpr(RBX, 2),
    );
    out
}
