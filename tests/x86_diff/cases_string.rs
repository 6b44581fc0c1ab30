//! String instruction cases: movs/stos/lods/cmps/scas in every size, with no prefix, rep,
//! repe and repne, both directions (DF set by `std` before and cleared by `cld` after, so the
//! host sees DF=0 again), overlapping copies, and counts of zero.

use crate::case::{generate, Case};
use iced_x86::{Code, Instruction, Register, RepPrefixKind};

const RCX: usize = 1;
const RSI: usize = 6;
const RDI: usize = 7;

fn b(r: Result<Instruction, iced_x86::IcedError>) -> Instruction {
    crate::case::built(r)
}

/// Builds the string instruction `op` of `size` bytes with a repeat prefix.
fn insn(op: &str, size: u32, rep: RepPrefixKind) -> Instruction {
    let seg = Register::None;
    b(match (op, size) {
        ("movs", 1) => Instruction::with_movsb(64, seg, rep),
        ("movs", 2) => Instruction::with_movsw(64, seg, rep),
        ("movs", 4) => Instruction::with_movsd(64, seg, rep),
        ("movs", _) => Instruction::with_movsq(64, seg, rep),
        ("stos", 1) => Instruction::with_stosb(64, rep),
        ("stos", 2) => Instruction::with_stosw(64, rep),
        ("stos", 4) => Instruction::with_stosd(64, rep),
        ("stos", _) => Instruction::with_stosq(64, rep),
        ("lods", 1) => Instruction::with_lodsb(64, seg, rep),
        ("lods", 2) => Instruction::with_lodsw(64, seg, rep),
        ("lods", 4) => Instruction::with_lodsd(64, seg, rep),
        ("lods", _) => Instruction::with_lodsq(64, seg, rep),
        ("cmps", 1) => Instruction::with_cmpsb(64, seg, rep),
        ("cmps", 2) => Instruction::with_cmpsw(64, seg, rep),
        ("cmps", 4) => Instruction::with_cmpsd(64, seg, rep),
        ("cmps", _) => Instruction::with_cmpsq(64, seg, rep),
        ("scas", 1) => Instruction::with_scasb(64, rep),
        ("scas", 2) => Instruction::with_scasw(64, rep),
        ("scas", 4) => Instruction::with_scasd(64, rep),
        (_, _) => Instruction::with_scasq(64, rep),
    })
}

pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let std = Instruction::with(Code::Std);
    let cld = Instruction::with(Code::Cld);
    for op in ["movs", "stos", "lods", "cmps", "scas"] {
        for size in [1u32, 2, 4, 8] {
            for (rep_name, rep) in
                [("none", RepPrefixKind::None), ("rep", RepPrefixKind::Repe), ("repne", RepPrefixKind::Repne)]
            {
                if rep_name == "repne" && !matches!(op, "cmps" | "scas") {
                    continue;
                }
                for backwards in [false, true] {
                    let i = insn(op, size, rep);
                    let seq: Vec<Instruction> = if backwards { vec![std, i, cld] } else { vec![i] };
                    let prefix = format!("{op}{size}/{rep_name}/{}", if backwards { "down" } else { "up" });
                    out.extend(generate(&prefix, 6, |rng| {
                        let mut c = Case::insns("", &seq).random_state(rng, &[]);
                        // Source and destination inside the first page, far enough from its
                        // ends for 64 elements either way.
                        c.init.gpr[RSI] = crate::case::SCRATCH_BASE + 0x200 + rng.below(0x100);
                        c.init.gpr[RDI] = crate::case::SCRATCH_BASE + 0x600 + rng.below(0x100);
                        c.init.gpr[RCX] = match rng.below(4) {
                            0 => 0,
                            1 => 1,
                            _ => rng.below(40),
                        };
                        if matches!(op, "cmps" | "scas") && rng.below(2) == 0 {
                            // Mostly equal data so repe runs for a while.
                            let off = (c.init.gpr[RSI] - crate::case::SCRATCH_BASE) as u32 - 0x180;
                            let bytes: Vec<u8> = (0..0x300).map(|k| (k % 3) as u8).collect();
                            c = c.mem(off, &bytes);
                            let di = (c.init.gpr[RDI] - crate::case::SCRATCH_BASE) as u32 - 0x180;
                            let mut other = bytes.clone();
                            other[0x180 + rng.below(0x100) as usize] ^= 0x40;
                            c = c.mem(di, &other);
                            c.init.gpr[0] = 0x0101_0101_0101_0101 * rng.below(3);
                        }
                        c
                    }));
                }
            }
        }
    }
    // Overlapping forward copies replicate the pattern, as on hardware.
    for (size, delta) in [(1u32, 1u64), (1, 3), (2, 1), (4, 2), (8, 3), (8, 8)] {
        let i = insn("movs", size, RepPrefixKind::Repe);
        out.push(
            Case::insns(format!("movs{size}/overlap+{delta}"), &[i])
                .ptr(RSI, 0x300)
                .ptr(RDI, 0x300 + delta)
                .gpr(RCX, 50)
                .mem_seed(size as u64 * 100 + delta),
        );
        out.push(
            Case::insns(format!("movs{size}/overlap-{delta}"), &[i])
                .ptr(RSI, 0x300 + delta)
                .ptr(RDI, 0x300)
                .gpr(RCX, 50)
                .mem_seed(size as u64 * 100 + delta),
        );
    }
    out
}
