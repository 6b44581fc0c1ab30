//! fxsave/fxrstor cases (both operand sizes): the image of a state built by x87 loads and the
//! case's random xmm registers and MXCSR; images of random valid states restored and saved
//! again (which also checks the xmm registers and MXCSR fxrstor loads); and the faults: a
//! misaligned operand and, for fxrstor, a reserved MXCSR bit (#GP, SIGSEGV).
//!
//! What is left to the processor is masked by the undefined walk: FOP, FIP and FDP (xlate keeps
//! no last-instruction pointers), MXCSR_MASK (which MXCSR bits exist differs by vendor), and the
//! x87 condition codes the loads leave undefined.

use crate::case::{encode, generate, mem, Case, Rng, SCRATCH_BASE};
use iced_x86::{Code, Instruction, Register};

const RSI: usize = 6;
/// Where the saved image goes (16-aligned), and where a restored one comes from.
const SAVE_AT: i64 = 0x200;
const LOAD_AT: i64 = 0x400;

fn b(r: Result<Instruction, iced_x86::IcedError>) -> Instruction {
    crate::case::built(r)
}

fn at(code: Code, displ: i64) -> Instruction {
    b(Instruction::with1(code, mem(Register::RSI, displ)))
}

/// A random 80-bit value with the integer bit set (a normal number or zero exponent aside).
fn f80(rng: &mut Rng) -> [u8; 10] {
    let mut v = [0u8; 10];
    v[..8].copy_from_slice(&(rng.next() | 1 << 63).to_le_bytes());
    let exp = (0x3fff + rng.below(0x100) as u16 - 0x80) | (rng.below(2) as u16) << 15;
    v[8..].copy_from_slice(&exp.to_le_bytes());
    v
}

/// A random MXCSR without reserved bits (DAZ included).
fn mxcsr(rng: &mut Rng) -> u32 {
    (rng.next() & 0xffff) as u32
}

/// A random valid FXSAVE image: all exceptions masked (no pending x87 exception), random
/// rounding and precision control, TOP, condition codes, sticky flags and tags, ST values,
/// MXCSR and XMM registers; the reserved and software bytes random too (fxrstor ignores them).
fn image(rng: &mut Rng) -> Vec<u8> {
    let mut img: Vec<u8> = (0..512).map(|_| rng.next() as u8).collect();
    let fcw: u16 = (0x037f & !0x0f00) | (rng.below(16) as u16) << 8;
    let fsw: u16 = (rng.below(8) as u16) << 11 | (rng.next() as u16 & 0x4700) | (rng.next() as u16 & 0x3f);
    // A flag set with every exception masked raises no summary bit.
    let fsw = fsw & !(1 << 7 | 1 << 15);
    img[0..2].copy_from_slice(&fcw.to_le_bytes());
    img[2..4].copy_from_slice(&fsw.to_le_bytes());
    img[4] = rng.next() as u8;
    img[24..28].copy_from_slice(&mxcsr(rng).to_le_bytes());
    for i in 0..8 {
        img[32 + 16 * i..42 + 16 * i].copy_from_slice(&f80(rng));
    }
    img
}

pub fn cases() -> Vec<Case> {
    use Code::*;
    let mut out = Vec::new();
    for (name, save, restore) in
        [("fxsave64", Fxsave64_m512byte, Fxrstor64_m512byte), ("fxsave", Fxsave_m512byte, Fxrstor_m512byte)]
    {
        // The image of x87 registers loaded from memory (0..3 values), the case's xmm and MXCSR.
        out.extend(generate(&format!("{name}/after-loads"), 8, |rng| {
            let loads = rng.below(4) as usize;
            let mut insns = vec![Instruction::with(Fninit)];
            for i in 0..loads {
                insns.push(at(Fld_m80fp, 0x40 + 16 * i as i64));
            }
            insns.push(at(save, SAVE_AT));
            let mut c = Case::new("", encode(&insns)).random_state(rng, &[]).ptr(RSI, 0);
            c.init.mxcsr = mxcsr(rng);
            for i in 0..loads {
                c = c.mem(0x40 + 16 * i as u32, &f80(rng));
            }
            c
        }));
        // Restore a random image, then save it again.
        out.extend(generate(&format!("{name}/restore-save"), 8, |rng| {
            let insns = [at(restore, LOAD_AT), at(save, SAVE_AT), Instruction::with(Fninit)];
            let img = image(rng);
            Case::new("", encode(&insns)).random_state(rng, &[]).ptr(RSI, 0).mem(LOAD_AT as u32, &img)
        }));
        // Faults: a misaligned save or restore, a reserved MXCSR bit in a restored image.
        out.push(Case::insns(format!("{name}/misaligned"), &[at(save, SAVE_AT + 8)]).ptr(RSI, 0));
        out.push(Case::insns(format!("{name}/restore-misaligned"), &[at(restore, LOAD_AT + 4)]).ptr(RSI, 0));
        let mut bad = vec![0u8; 512];
        bad[0..2].copy_from_slice(&0x037fu16.to_le_bytes());
        bad[24..28].copy_from_slice(&0x0001_1f80u32.to_le_bytes());
        out.push(
            Case::insns(format!("{name}/restore-reserved-mxcsr"), &[at(restore, LOAD_AT)])
                .ptr(RSI, 0)
                .mem(LOAD_AT as u32, &bad),
        );
    }
    debug_assert!(out.iter().all(|c| c.init.gpr[RSI] == SCRATCH_BASE));
    out
}
