//! The reserved-NOP space, walked systematically: each opcode 0F 18 to 0F 1F (and the memory
//! forms of 0F 0D), times the ModRM classes (register, [base], [base+disp8],
//! [base+index*4+disp32], [disp32] through a SIB byte, [rip+disp32]) with every reg field,
//! times the prefix combinations (none, 66, F2, F3, REX.W, each mandatory prefix with REX.W,
//! 66 F3, REX.B). Every memory operand names an unmapped address: the instructions must not
//! touch memory. Then the instructions the SDM defines in the space one by one (ENDBR, RDSSP,
//! CLDEMOTE, the prefetches, the MPX forms), LOCK-prefixed forms (#UD), BND-prefixed
//! branches, and the CET instructions outside the space (#UD without shadow stacks).
//!
//! What the SDM says these do (Intel SDM vol. 2, and the opcode map of its appendix A):
//! - NOP (0F 1F /0): "The multi-byte NOP instruction does not alter the content of a register
//!   and will not issue a memory operation"; "#UD If the LOCK prefix is used."
//! - The rest of 0F 19 to 0F 1F where no instruction is defined: the two-byte opcode map
//!   lists them as NOP Ev (reserved NOPs). On a processor without MPX, 0F 1A and 0F 1B (the
//!   MPX instructions) are such NOPs too.
//! - RDSSPD/RDSSPQ (F3 0F 1E /1, mod=11): "This opcode is a NOP when CET shadow stacks are not
//!   enabled and on processors that do not support CET." ENDBR32/ENDBR64 (F3 0F 1E FB/FA) are
//!   NOPs likewise when indirect-branch tracking is not enabled.
//! - PREFETCHh (0F 18 /0-/3), PREFETCHW (0F 0D /1), CLDEMOTE (0F 1C /0): hints with no
//!   architectural effect; prefetches do not fault.
//! - INCSSP, SAVEPREVSSP, RSTORSSP, WRSS, WRUSS, SETSSBSY, CLRSSBSY: "#UD ... If CR4.CET = 0.
//!   IF CPL = 3 and IA32_U_CET.SH_STK_EN = 0." (user shadow stacks are not enabled here).
//!
//! Left out, because processors differ (`excluded`):
//! - 0F 0D with a register operand (mod=11): the SDM's opcode map gives 0F 0D only as a
//!   prefetch of a memory operand (NOP Ev on Intel processors); AMD processors raise #UD for
//!   the register forms (this host, an AMD EPYC, does: SIGILL for every reg field and
//!   prefix). xlate executes them as NOPs, as the Intel processor its cpuid describes does.
//! - RIP-relative memory forms of BNDLDX (NP 0F 1A), BNDSTX (NP 0F 1B) and BNDMK (F3 0F 1B):
//!   their SDM pages list "#UD If ModRM is RIP relative" among the 64-bit mode exceptions, so a
//!   processor that implements MPX may raise #UD for them, while one without MPX executes a
//!   NOP. xlate executes them as NOPs (its cpuid has no MPX).

use crate::case::{Case, Rng, CODE_PC};

const RAX: usize = 0;
const RSI: usize = 6;
const RDI: usize = 7;
const R14: usize = 14;
const R15: usize = 15;

/// The unmapped address the memory forms' base registers hold (page zero is never mapped),
/// and the index register's value (small, so base + index*4 + disp stays canonical and
/// unmapped).
const UNMAPPED: u64 = 0x40;
const INDEX: u64 = 0x100;

/// The prefix combinations of the walk.
const PREFIXES: &[(&str, &[u8])] = &[
    ("np", &[]),
    ("66", &[0x66]),
    ("f2", &[0xf2]),
    ("f3", &[0xf3]),
    ("rexw", &[0x48]),
    ("66-rexw", &[0x66, 0x48]),
    ("f2-rexw", &[0xf2, 0x48]),
    ("f3-rexw", &[0xf3, 0x48]),
    ("66-f3", &[0x66, 0xf3]),
    ("rexb", &[0x41]),
];

/// The ModRM (and SIB and displacement) bytes of one class for a reg field.
type ModRm = fn(u8) -> Vec<u8>;

/// The ModRM classes of the walk: a name and the bytes after the opcode for reg field `reg`.
/// The register class varies rm with reg, so all eight r/m registers occur.
const CLASSES: &[(&str, ModRm)] = &[
    ("reg", |reg| vec![0xc0 | reg << 3 | (reg * 3 + 1) & 7]),
    ("base", |reg| vec![reg << 3 | 6]), // [rsi] (r14 with REX.B)
    ("disp8", |reg| vec![0x40 | reg << 3 | 6, 0x38]), // [rsi + 0x38]
    ("sib-disp32", |reg| vec![0x80 | reg << 3 | 4, 0xbe, 0x00, 0x10, 0, 0]), // [rsi + rdi*4 + 0x1000]
    ("abs", |reg| vec![reg << 3 | 4, 0x25, 0x10, 0, 0, 0]), // [0x10]
    ("rip", |reg| vec![reg << 3 | 5, 0, 0, 0, 0x20]), // [rip + 0x2000_0000]
];

/// Whether the walk leaves an encoding out because processors differ on it (see the module
/// docs: 0F 0D register forms; RIP-relative BNDLDX, BNDSTX and BNDMK).
fn excluded(op: u8, prefix: &[u8], class: &str) -> bool {
    let mandatory = prefix.iter().rev().find(|&&p| matches!(p, 0x66 | 0xf2 | 0xf3)).copied();
    (op == 0x0d && class == "reg")
        || (class == "rip"
            && ((op == 0x1a && mandatory.is_none())
                || (op == 0x1b && matches!(mandatory, None | Some(0xf3)))
                // 66 F3: which of the two selects the MPX form is itself model-specific.
                || ((op == 0x1a || op == 0x1b) && prefix.contains(&0x66) && prefix.contains(&0xf3))))
}

/// A random state with the memory operands' registers pointing at unmapped memory.
fn state(c: Case, rng: &mut Rng) -> Case {
    c.random_state(rng, &[]).gpr(RSI, UNMAPPED).gpr(R14, UNMAPPED).gpr(RDI, INDEX).gpr(R15, INDEX)
}

pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let mut rng = Rng::new(0x0f18_0f1f);
    for op in [0x0d, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f] {
        for (pname, prefix) in PREFIXES {
            for (cname, modrm) in CLASSES {
                if excluded(op, prefix, cname) {
                    continue;
                }
                // All eight reg fields, one after the other: each must leave the state as it
                // was for the next.
                let mut code = Vec::new();
                for reg in 0..8 {
                    code.extend_from_slice(prefix);
                    code.extend_from_slice(&[0x0f, op]);
                    code.extend(modrm(reg));
                }
                let name = format!("walk/0f{op:02x}/{pname}/{cname}");
                out.push(state(Case::new(name, code), &mut rng));
            }
        }
    }

    // The defined instructions one by one, with random registers (RDSSP's destination keeps
    // all 64 bits, also the 32-bit form).
    let singles: &[(&str, &[u8])] = &[
        ("endbr64", &[0xf3, 0x0f, 0x1e, 0xfa]),
        ("endbr32", &[0xf3, 0x0f, 0x1e, 0xfb]),
        ("rdsspq-rax", &[0xf3, 0x48, 0x0f, 0x1e, 0xc8]),
        ("rdsspq-r9", &[0xf3, 0x49, 0x0f, 0x1e, 0xc9]),
        ("rdsspd-eax", &[0xf3, 0x0f, 0x1e, 0xc8]),
        ("rdsspd-edi", &[0xf3, 0x0f, 0x1e, 0xcf]),
        ("nop-eax", &[0x0f, 0x1f, 0xc0]),
        ("nop-mem", &[0x66, 0x0f, 0x1f, 0x84, 0x00, 0, 0, 0, 0]),
        ("prefetchnta", &[0x0f, 0x18, 0x06]),
        ("prefetcht0", &[0x0f, 0x18, 0x0e]),
        ("prefetcht1", &[0x0f, 0x18, 0x16]),
        ("prefetcht2", &[0x0f, 0x18, 0x1e]),
        ("prefetch", &[0x0f, 0x0d, 0x06]),
        ("prefetchw", &[0x0f, 0x0d, 0x0e]),
        ("prefetchwt1", &[0x0f, 0x0d, 0x16]),
        ("prefetchit0", &[0x0f, 0x18, 0x3d, 0, 0, 0, 0x20]),
        ("prefetchit1", &[0x0f, 0x18, 0x35, 0, 0, 0, 0x20]),
        ("cldemote", &[0x0f, 0x1c, 0x06]),
        ("bndmov-reg", &[0x66, 0x0f, 0x1a, 0xc1]),
        ("bndcl", &[0xf3, 0x0f, 0x1a, 0x06]),
        ("bndcu", &[0xf2, 0x0f, 0x1a, 0x06]),
        ("bndcn", &[0xf2, 0x0f, 0x1b, 0x06]),
        ("bndmk", &[0xf3, 0x0f, 0x1b, 0x06]),
        ("bndldx", &[0x0f, 0x1a, 0x06]),
        ("bndstx", &[0x0f, 0x1b, 0x06]),
        ("fs-prefetch", &[0x64, 0x0f, 0x18, 0x06]),
    ];
    for (name, code) in singles {
        for i in 0..2 {
            out.push(state(Case::new(format!("{name}/{i}"), code.to_vec()), &mut rng));
        }
    }
    // A memory form naming mapped scratch memory does not write it either.
    out.push(
        Case::new("prefetchw-scratch", vec![0x0f, 0x0d, 0x0e]).ptr(RSI, 0x100).mem(0x100, &[1, 2, 3, 4]),
    );

    // LOCK makes every form #UD (SIGILL).
    for (name, code) in [
        ("lock-nop", &[0xf0, 0x0f, 0x1f, 0x06][..]),
        ("lock-prefetch", &[0xf0, 0x0f, 0x18, 0x06]),
        ("lock-0f19", &[0xf0, 0x0f, 0x19, 0x06]),
        ("lock-0f1e", &[0xf0, 0x0f, 0x1e, 0x06]),
        ("lock-endbr64", &[0xf0, 0xf3, 0x0f, 0x1e, 0xfa]),
    ] {
        out.push(state(Case::new(name, code.to_vec()), &mut rng));
    }

    // BND-prefixed branches: plain branches without MPX.
    // bnd call L; jmp end; L: bnd ret; end:
    out.push(Case::new("bnd-call-ret", vec![0xf2, 0xe8, 0x02, 0, 0, 0, 0xeb, 0x02, 0xf2, 0xc3]));
    out.push(Case::new("bnd-jmp", vec![0xf2, 0xeb, 0x01, 0xcc]));
    out.push(Case::new("bnd-jmp-rel32", vec![0xf2, 0xe9, 0x01, 0, 0, 0, 0xcc]));
    out.push(Case::new("bnd-jmp-reg", vec![0xf2, 0xff, 0xe0, 0xcc]).gpr(RAX, CODE_PC + 4));
    // bnd je +1 over an int3, taken and not taken (then the int3 stops the case).
    out.push(Case::new("bnd-je-taken", vec![0xf2, 0x74, 0x01, 0xcc]).flags(0x40));
    out.push(Case::new("bnd-je-not-taken", vec![0xf2, 0x74, 0x01, 0xcc]));
    out.push(Case::new("bnd-jne-rel32", vec![0xf2, 0x0f, 0x85, 0x01, 0, 0, 0, 0xcc]));

    // The CET instructions outside the space: #UD, shadow stacks are not enabled.
    for (name, code) in [
        ("incsspd", &[0xf3, 0x0f, 0xae, 0xe8][..]),
        ("incsspq", &[0xf3, 0x48, 0x0f, 0xae, 0xe8]),
        ("saveprevssp", &[0xf3, 0x0f, 0x01, 0xea]),
        ("rstorssp", &[0xf3, 0x0f, 0x01, 0x2e]),
        ("setssbsy", &[0xf3, 0x0f, 0x01, 0xe8]),
        ("clrssbsy", &[0xf3, 0x0f, 0xae, 0x36]),
        ("wrssd", &[0x0f, 0x38, 0xf6, 0x37]),
        ("wrssq", &[0x48, 0x0f, 0x38, 0xf6, 0x37]),
        ("wrussd", &[0x66, 0x0f, 0x38, 0xf5, 0x37]),
        ("wrussq", &[0x66, 0x48, 0x0f, 0x38, 0xf5, 0x37]),
    ] {
        out.push(Case::new(name, code.to_vec()).ptr(RSI, 0x100).ptr(RDI, 0x200));
    }
    out
}
