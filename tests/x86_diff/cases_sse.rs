//! SSE/SSE2 cases: every move, integer, arithmetic, compare and conversion form, with
//! register and memory operands, generated states full of special values (NaNs of both kinds
//! and signs, infinities, zeros, denormals, conversion limits), random rounding modes and
//! DAZ/FTZ, and hand-written edge cases (alignment faults, unmasked exceptions).

use crate::case::{generate, mem, Case, Rng, SCRATCH_BASE};
use iced_x86::{Code, Instruction, Register};

pub(crate) const RSI: usize = 6;
/// The memory operand every form uses: 16-aligned, since rsi is.
const DISP: i64 = 0x20;

/// What kind of values the registers and memory of a case hold.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Val {
    Int,
    F32,
    F64,
}

fn xmm_value(rng: &mut Rng, v: Val) -> [u64; 2] {
    match v {
        Val::Int => [rng.interesting_u64(), rng.interesting_u64()],
        Val::F32 => rng.xmm_f32(),
        Val::F64 => rng.xmm_f64(),
    }
}

/// `n` generated cases of `insn`: random state, xmm1/xmm2 and the memory operand filled with
/// values of kind `v`; for float kinds a random rounding mode and sometimes DAZ/FTZ.
pub(crate) fn gen(prefix: String, insn: Instruction, v: Val, n: usize) -> Vec<Case> {
    generate(&prefix, n, |rng| {
        let mut c = Case::insns("", &[insn]).random_state(rng, &[RSI]);
        for x in [1, 2] {
            c.init.xmm[x] = xmm_value(rng, v);
        }
        if rng.below(4) == 0 {
            // Same value in both operands (equal compares, x - x, ...).
            c.init.xmm[2] = c.init.xmm[1];
        }
        let off = (c.init.gpr[RSI] - SCRATCH_BASE) as u32 + DISP as u32;
        let m = xmm_value(rng, v);
        let mut bytes = m[0].to_le_bytes().to_vec();
        bytes.extend_from_slice(&m[1].to_le_bytes());
        c = c.mem(off, &bytes);
        if v != Val::Int && rng.below(2) == 0 {
            let rc = rng.below(4) as u32;
            let daz_ftz = if rng.below(4) == 0 {
                (rng.below(4) as u32 & 1) << 6 | (rng.below(2) as u32) << 15
            } else {
                0
            };
            c.init.mxcsr = 0x1f80 | rc << 13 | daz_ftz;
        }
        c
    })
}

pub(crate) fn m() -> iced_x86::MemoryOperand {
    mem(Register::RSI, DISP)
}

pub(crate) fn x(n: usize) -> Register {
    crate::case::xmm(n)
}

pub(crate) fn b2(r: Result<Instruction, iced_x86::IcedError>) -> Instruction {
    crate::case::built(r)
}

/// Register and memory cases of a `xmm, xmm/m` form.
pub(crate) fn xx_xm(code: Code, v: Val, n: usize) -> Vec<Case> {
    let mut out = gen(format!("{code:?}/reg"), b2(Instruction::with2(code, x(1), x(2))), v, n);
    out.extend(gen(format!("{code:?}/mem"), b2(Instruction::with2(code, x(1), m())), v, n));
    out
}

/// Register and memory cases of a `xmm, xmm/m, imm8` form, for each immediate.
pub(crate) fn xx_xm_imm(code: Code, v: Val, n: usize, imms: &[u32]) -> Vec<Case> {
    let mut out = Vec::new();
    for &imm in imms {
        out.extend(gen(format!("{code:?}/reg/{imm}"), b2(Instruction::with3(code, x(1), x(2), imm)), v, n));
        out.extend(gen(format!("{code:?}/mem/{imm}"), b2(Instruction::with3(code, x(1), m(), imm)), v, n));
    }
    out
}

/// Cases of a store form `m, xmm` (and `xmm, xmm` where the form allows a register).
pub(crate) fn store(code: Code, v: Val, n: usize, reg_too: bool) -> Vec<Case> {
    let mut out = gen(format!("{code:?}/mem"), b2(Instruction::with2(code, m(), x(1))), v, n);
    if reg_too {
        out.extend(gen(format!("{code:?}/reg"), b2(Instruction::with2(code, x(2), x(1))), v, n));
    }
    out
}

/// A misaligned 16-byte operand of a legacy SSE instruction faults (SIGSEGV).
pub(crate) fn misaligned(code: Code, load: bool) -> Case {
    let mm = mem(Register::RSI, DISP + 4);
    let insn =
        if load { b2(Instruction::with2(code, x(1), mm)) } else { b2(Instruction::with2(code, mm, x(1))) };
    Case::insns(format!("{code:?}/misaligned"), &[insn]).ptr(RSI, 0x100)
}

pub fn moves() -> Vec<Case> {
    const N: usize = 6;
    let mut out = Vec::new();
    for code in [
        Code::Movaps_xmm_xmmm128,
        Code::Movapd_xmm_xmmm128,
        Code::Movdqa_xmm_xmmm128,
        Code::Movups_xmm_xmmm128,
        Code::Movupd_xmm_xmmm128,
        Code::Movdqu_xmm_xmmm128,
        Code::Movq_xmm_xmmm64,
        Code::Movss_xmm_xmmm32,
        Code::Movsd_xmm_xmmm64,
    ] {
        out.extend(xx_xm(code, Val::Int, N));
    }
    for code in [
        Code::Movaps_xmmm128_xmm,
        Code::Movapd_xmmm128_xmm,
        Code::Movdqa_xmmm128_xmm,
        Code::Movups_xmmm128_xmm,
        Code::Movupd_xmmm128_xmm,
        Code::Movdqu_xmmm128_xmm,
        Code::Movq_xmmm64_xmm,
        Code::Movss_xmmm32_xmm,
        Code::Movsd_xmmm64_xmm,
    ] {
        out.extend(store(code, Val::Int, N, true));
    }
    for code in [
        Code::Movntdq_m128_xmm,
        Code::Movntps_m128_xmm,
        Code::Movntpd_m128_xmm,
        Code::Movlps_m64_xmm,
        Code::Movhps_m64_xmm,
        Code::Movlpd_m64_xmm,
        Code::Movhpd_m64_xmm,
    ] {
        out.extend(store(code, Val::Int, N, false));
    }
    for code in [Code::Movlps_xmm_m64, Code::Movhps_xmm_m64, Code::Movlpd_xmm_m64, Code::Movhpd_xmm_m64] {
        out.extend(gen(format!("{code:?}"), b2(Instruction::with2(code, x(1), m())), Val::Int, N));
    }
    for code in [Code::Movhlps_xmm_xmm, Code::Movlhps_xmm_xmm] {
        out.extend(gen(format!("{code:?}"), b2(Instruction::with2(code, x(1), x(2))), Val::Int, N));
    }
    // movd/movq with general registers and memory.
    for (code, r) in [(Code::Movd_xmm_rm32, Register::EBX), (Code::Movq_xmm_rm64, Register::R9)] {
        out.extend(gen(format!("{code:?}/reg"), b2(Instruction::with2(code, x(1), r)), Val::Int, N));
        out.extend(gen(format!("{code:?}/mem"), b2(Instruction::with2(code, x(1), m())), Val::Int, N));
    }
    for (code, r) in [(Code::Movd_rm32_xmm, Register::EBX), (Code::Movq_rm64_xmm, Register::R9)] {
        out.extend(gen(format!("{code:?}/reg"), b2(Instruction::with2(code, r, x(1))), Val::Int, N));
        out.extend(gen(format!("{code:?}/mem"), b2(Instruction::with2(code, m(), x(1))), Val::Int, N));
    }
    for (code, r) in [(Code::Movnti_m32_r32, Register::ECX), (Code::Movnti_m64_r64, Register::R10)] {
        out.extend(gen(format!("{code:?}"), b2(Instruction::with2(code, m(), r)), Val::Int, N));
    }
    out.push(misaligned(Code::Movaps_xmm_xmmm128, true));
    out.push(misaligned(Code::Movdqa_xmmm128_xmm, false));
    out.push(misaligned(Code::Movntdq_m128_xmm, false));
    // Unaligned forms do not fault.
    out.push(misaligned(Code::Movdqu_xmm_xmmm128, true));
    out.push(misaligned(Code::Movups_xmmm128_xmm, false));
    out
}

pub fn integer() -> Vec<Case> {
    const N: usize = 8;
    let mut out = Vec::new();
    use Code::*;
    for code in [
        Pand_xmm_xmmm128,
        Pandn_xmm_xmmm128,
        Por_xmm_xmmm128,
        Pxor_xmm_xmmm128,
        Andps_xmm_xmmm128,
        Andnps_xmm_xmmm128,
        Orps_xmm_xmmm128,
        Xorps_xmm_xmmm128,
        Andpd_xmm_xmmm128,
        Andnpd_xmm_xmmm128,
        Orpd_xmm_xmmm128,
        Xorpd_xmm_xmmm128,
        Paddb_xmm_xmmm128,
        Paddw_xmm_xmmm128,
        Paddd_xmm_xmmm128,
        Paddq_xmm_xmmm128,
        Psubb_xmm_xmmm128,
        Psubw_xmm_xmmm128,
        Psubd_xmm_xmmm128,
        Psubq_xmm_xmmm128,
        Paddusb_xmm_xmmm128,
        Paddusw_xmm_xmmm128,
        Psubusb_xmm_xmmm128,
        Psubusw_xmm_xmmm128,
        Paddsb_xmm_xmmm128,
        Paddsw_xmm_xmmm128,
        Psubsb_xmm_xmmm128,
        Psubsw_xmm_xmmm128,
        Pcmpeqb_xmm_xmmm128,
        Pcmpeqw_xmm_xmmm128,
        Pcmpeqd_xmm_xmmm128,
        Pcmpgtb_xmm_xmmm128,
        Pcmpgtw_xmm_xmmm128,
        Pcmpgtd_xmm_xmmm128,
        Pminub_xmm_xmmm128,
        Pmaxub_xmm_xmmm128,
        Pminsw_xmm_xmmm128,
        Pmaxsw_xmm_xmmm128,
        Pavgb_xmm_xmmm128,
        Pavgw_xmm_xmmm128,
        Pmullw_xmm_xmmm128,
        Pmulhw_xmm_xmmm128,
        Pmulhuw_xmm_xmmm128,
        Pmuludq_xmm_xmmm128,
        Pmaddwd_xmm_xmmm128,
        Psadbw_xmm_xmmm128,
        Punpcklbw_xmm_xmmm128,
        Punpcklwd_xmm_xmmm128,
        Punpckldq_xmm_xmmm128,
        Punpcklqdq_xmm_xmmm128,
        Punpckhbw_xmm_xmmm128,
        Punpckhwd_xmm_xmmm128,
        Punpckhdq_xmm_xmmm128,
        Punpckhqdq_xmm_xmmm128,
        Unpcklps_xmm_xmmm128,
        Unpcklpd_xmm_xmmm128,
        Unpckhps_xmm_xmmm128,
        Unpckhpd_xmm_xmmm128,
        Packsswb_xmm_xmmm128,
        Packssdw_xmm_xmmm128,
        Packuswb_xmm_xmmm128,
        Psllw_xmm_xmmm128,
        Pslld_xmm_xmmm128,
        Psllq_xmm_xmmm128,
        Psrlw_xmm_xmmm128,
        Psrld_xmm_xmmm128,
        Psrlq_xmm_xmmm128,
        Psraw_xmm_xmmm128,
        Psrad_xmm_xmmm128,
    ] {
        out.extend(xx_xm(code, Val::Int, N));
    }
    // Shift counts in xmm: small ones, as generated values are mostly huge.
    for code in [Psllw_xmm_xmmm128, Psrlq_xmm_xmmm128, Psrad_xmm_xmmm128] {
        for count in [0u64, 1, 7, 15, 16, 31, 32, 63, 64] {
            out.push(
                Case::insns(format!("{code:?}/count{count}"), &[b2(Instruction::with2(code, x(1), x(2)))])
                    .xmm(1, 0x8123_4567_89ab_cdef, 0xfedc_ba98_7654_3210)
                    .xmm(2, count, 0),
            );
        }
    }
    for code in [
        Psllw_xmm_imm8,
        Pslld_xmm_imm8,
        Psllq_xmm_imm8,
        Psrlw_xmm_imm8,
        Psrld_xmm_imm8,
        Psrlq_xmm_imm8,
        Psraw_xmm_imm8,
        Psrad_xmm_imm8,
        Pslldq_xmm_imm8,
        Psrldq_xmm_imm8,
    ] {
        for imm in [0u32, 1, 3, 8, 15, 16, 31, 33, 63, 64, 200] {
            out.extend(gen(format!("{code:?}/{imm}"), b2(Instruction::with2(code, x(1), imm)), Val::Int, 2));
        }
    }
    for code in [
        Pshufd_xmm_xmmm128_imm8,
        Pshuflw_xmm_xmmm128_imm8,
        Pshufhw_xmm_xmmm128_imm8,
        Shufps_xmm_xmmm128_imm8,
        Shufpd_xmm_xmmm128_imm8,
    ] {
        // Dword pairs from one half in and out of order, from both halves, broadcasts.
        out.extend(xx_xm_imm(
            code,
            Val::Int,
            3,
            &[0x00, 0x1b, 0x4e, 0xe4, 0xb1, 0xff, 0x93, 0x0c, 0xd8, 0x27, 0x72],
        ));
    }
    for (code, r) in [
        (Pmovmskb_r32_xmm, Register::EDX),
        (Pmovmskb_r64_xmm, Register::R11),
        (Movmskps_r32_xmm, Register::EAX),
        (Movmskps_r64_xmm, Register::RAX),
        (Movmskpd_r32_xmm, Register::ECX),
        (Movmskpd_r64_xmm, Register::R12),
    ] {
        out.extend(gen(format!("{code:?}"), b2(Instruction::with2(code, r, x(1))), Val::Int, N));
    }
    for imm in [0u32, 3, 7, 9] {
        out.extend(gen(
            format!("Pextrw_r32/{imm}"),
            b2(Instruction::with3(Pextrw_r32_xmm_imm8, Register::ESI, x(1), imm)),
            Val::Int,
            3,
        ));
        out.extend(gen(
            format!("Pextrw_r64/{imm}"),
            b2(Instruction::with3(Pextrw_r64_xmm_imm8, Register::R13, x(1), imm)),
            Val::Int,
            3,
        ));
        out.extend(gen(
            format!("Pinsrw_reg/{imm}"),
            b2(Instruction::with3(Pinsrw_xmm_r32m16_imm8, x(1), Register::EDI, imm)),
            Val::Int,
            3,
        ));
        out.extend(gen(
            format!("Pinsrw_mem/{imm}"),
            b2(Instruction::with3(Pinsrw_xmm_r32m16_imm8, x(1), m(), imm)),
            Val::Int,
            3,
        ));
    }
    // Bytes from a small alphabet, so that lanes are often equal or one apart (random 64-bit
    // values almost never have equal bytes).
    for code in [
        Pcmpeqb_xmm_xmmm128,
        Pcmpeqw_xmm_xmmm128,
        Pcmpeqd_xmm_xmmm128,
        Pcmpgtb_xmm_xmmm128,
        Pminub_xmm_xmmm128,
        Pmaxub_xmm_xmmm128,
        Psubusb_xmm_xmmm128,
        Paddusb_xmm_xmmm128,
    ] {
        let insn = b2(Instruction::with2(code, x(1), x(2)));
        out.extend(generate(&format!("{code:?}/alphabet"), 16, |rng| {
            const ALPHABET: [u64; 8] = [0, 1, 2, 0x7f, 0x80, 0x81, 0xfe, 0xff];
            let mut c = Case::insns("", &[insn]).random_state(rng, &[RSI]);
            for r in [1, 2] {
                for half in 0..2 {
                    c.init.xmm[r][half] =
                        (0..8).fold(0, |v, k| v | ALPHABET[rng.below(8) as usize] << (8 * k));
                }
            }
            c
        }));
    }
    out.push(misaligned(Pcmpeqb_xmm_xmmm128, true));
    out.push(misaligned(Pxor_xmm_xmmm128, true));
    out
}

/// Pairs of special values for lane 0 of hand-written float cases.
const SPECIAL_F64: [u64; 12] = [
    0x7ff8_0000_0000_0000,
    0xfff0_0000_0000_0001,
    0x7ff0_0000_0000_0000,
    0xfff0_0000_0000_0000,
    0,
    0x8000_0000_0000_0000,
    1,
    0x800f_ffff_ffff_ffff,
    0x7fef_ffff_ffff_ffff,
    0x3ff0_0000_0000_0000,
    0xbff8_0000_0000_0000,
    0x4340_0000_0000_0001,
];
const SPECIAL_F32: [u32; 12] = [
    0x7fc0_0000,
    0xff80_0001,
    0x7f80_0000,
    0xff80_0000,
    0,
    0x8000_0000,
    1,
    0x807f_ffff,
    0x7f7f_ffff,
    0x3f80_0000,
    0xbfc0_0000,
    0x4b00_0001,
];

/// Every pair of special values (in lane 0 and, swapped, lane 1) for a `xmm, xmm` form.
fn special_pairs(code: Code, double: bool, extra: Option<u32>) -> Vec<Case> {
    let insn = match extra {
        Some(imm) => b2(Instruction::with3(code, x(1), x(2), imm)),
        None => b2(Instruction::with2(code, x(1), x(2))),
    };
    let mut out = Vec::new();
    for i in 0..12 {
        for j in 0..12 {
            let (a, b) = if double {
                ([SPECIAL_F64[i], SPECIAL_F64[j]], [SPECIAL_F64[j], SPECIAL_F64[i]])
            } else {
                let f = |p: u32, q: u32| p as u64 | (q as u64) << 32;
                (
                    [f(SPECIAL_F32[i], SPECIAL_F32[j]), f(SPECIAL_F32[j], 0x3f80_0000)],
                    [f(SPECIAL_F32[j], SPECIAL_F32[i]), f(SPECIAL_F32[i], 0x4000_0000)],
                )
            };
            let name =
                format!("{code:?}/special{}/{i}-{j}", extra.map(|e| format!("/{e}")).unwrap_or_default());
            out.push(Case::insns(name, &[insn]).xmm(1, a[0], a[1]).xmm(2, b[0], b[1]));
        }
    }
    out
}

pub fn arith() -> Vec<Case> {
    const N: usize = 10;
    use Code::*;
    let mut out = Vec::new();
    let forms: [(Code, Val); 28] = [
        (Addps_xmm_xmmm128, Val::F32),
        (Addpd_xmm_xmmm128, Val::F64),
        (Addss_xmm_xmmm32, Val::F32),
        (Addsd_xmm_xmmm64, Val::F64),
        (Subps_xmm_xmmm128, Val::F32),
        (Subpd_xmm_xmmm128, Val::F64),
        (Subss_xmm_xmmm32, Val::F32),
        (Subsd_xmm_xmmm64, Val::F64),
        (Mulps_xmm_xmmm128, Val::F32),
        (Mulpd_xmm_xmmm128, Val::F64),
        (Mulss_xmm_xmmm32, Val::F32),
        (Mulsd_xmm_xmmm64, Val::F64),
        (Divps_xmm_xmmm128, Val::F32),
        (Divpd_xmm_xmmm128, Val::F64),
        (Divss_xmm_xmmm32, Val::F32),
        (Divsd_xmm_xmmm64, Val::F64),
        (Sqrtps_xmm_xmmm128, Val::F32),
        (Sqrtpd_xmm_xmmm128, Val::F64),
        (Sqrtss_xmm_xmmm32, Val::F32),
        (Sqrtsd_xmm_xmmm64, Val::F64),
        (Minps_xmm_xmmm128, Val::F32),
        (Minpd_xmm_xmmm128, Val::F64),
        (Minss_xmm_xmmm32, Val::F32),
        (Minsd_xmm_xmmm64, Val::F64),
        (Maxps_xmm_xmmm128, Val::F32),
        (Maxpd_xmm_xmmm128, Val::F64),
        (Maxss_xmm_xmmm32, Val::F32),
        (Maxsd_xmm_xmmm64, Val::F64),
    ];
    for (code, v) in forms {
        out.extend(xx_xm(code, v, N));
        out.extend(special_pairs(code, v == Val::F64, None));
    }
    for (code, v) in [
        (Cmpps_xmm_xmmm128_imm8, Val::F32),
        (Cmppd_xmm_xmmm128_imm8, Val::F64),
        (Cmpss_xmm_xmmm32_imm8, Val::F32),
        (Cmpsd_xmm_xmmm64_imm8, Val::F64),
    ] {
        out.extend(xx_xm_imm(code, v, 3, &[0, 1, 2, 3, 4, 5, 6, 7]));
        for imm in 0..8 {
            out.extend(special_pairs(code, v == Val::F64, Some(imm)));
        }
    }
    for (code, v) in [
        (Comiss_xmm_xmmm32, Val::F32),
        (Comisd_xmm_xmmm64, Val::F64),
        (Ucomiss_xmm_xmmm32, Val::F32),
        (Ucomisd_xmm_xmmm64, Val::F64),
    ] {
        out.extend(xx_xm(code, v, N));
        out.extend(special_pairs(code, v == Val::F64, None));
    }
    // Unmasked exceptions trap with SIGFPE and leave the destination alone.
    let div = b2(Instruction::with2(Divsd_xmm_xmmm64, x(1), x(2)));
    out.push(Case::insns("divsd/unmasked-ze", &[div]).xmm(1, 1.0f64.to_bits(), 5).mxcsr(0x1f80 & !(1 << 9)));
    out.push(Case::insns("divsd/masked-ze", &[div]).xmm(1, 1.0f64.to_bits(), 5).mxcsr(0x1f80));
    out.push(
        Case::insns("divsd/unmasked-pe", &[div])
            .xmm(1, 1.0f64.to_bits(), 5)
            .xmm(2, 3.0f64.to_bits(), 0)
            .mxcsr(0x1f80 & !(1 << 12)),
    );
    // Underflow (SDM vol. 1, 11.5.2.4): masked, a tiny result raises UE only when it is also
    // inexact; unmasked, tininess alone traps, exact or not, and FTZ does not apply.
    let mul = b2(Instruction::with2(Mulsd_xmm_xmmm64, x(1), x(2)));
    let mulps = b2(Instruction::with2(Mulps_xmm_xmmm128, x(1), x(2)));
    let tiny_exact = (2f64.powi(-1000).to_bits(), 2f64.powi(-60).to_bits());
    let tiny_inexact = (2f64.powi(-1000).to_bits(), (2f64.powi(-60) * 3.0).to_bits() | 1);
    let (f, g) = (2f32.powi(-100).to_bits() as u64, 2f32.powi(-30).to_bits() as u64);
    for (mxcsr, name) in [
        (0x1f80, "masked"),
        (0x1f80 & !(1 << 11), "unmasked-ue"),
        (0x9f80 & !(1 << 11), "unmasked-ue-ftz"),
        (0x9f80, "masked-ftz"),
    ] {
        for ((a, b), kind) in [(tiny_exact, "exact"), (tiny_inexact, "inexact")] {
            let case = Case::insns(format!("mulsd/{name}-tiny-{kind}"), &[mul]);
            out.push(case.xmm(1, a, 5).xmm(2, b, 0).mxcsr(mxcsr));
        }
        // A denormal operand (DE) whose sum with zero is exact and tiny; min of two denormals
        // (DE only: min returns an operand, no rounding, no underflow).
        let add = b2(Instruction::with2(Addsd_xmm_xmmm64, x(1), x(2)));
        let min = b2(Instruction::with2(Minsd_xmm_xmmm64, x(1), x(2)));
        for (insn, op, b) in [(add, "addsd", 0), (min, "minsd", 0x0008_0000_0000_0000)] {
            let case = Case::insns(format!("{op}/{name}-denormal-operand"), &[insn]);
            out.push(case.xmm(1, 0x000f_0000_0000_0001, 5).xmm(2, b, 0).mxcsr(mxcsr));
        }
        // Lanes 0 and 2 exact and tiny, lanes 1 and 3 normal.
        let case = Case::insns(format!("mulps/{name}-tiny-exact"), &[mulps]);
        let one = 1f32.to_bits() as u64;
        out.push(case.xmm(1, f | one << 32, f | one << 32).xmm(2, g | one << 32, g | one << 32).mxcsr(mxcsr));
    }
    out.push(misaligned(Addps_xmm_xmmm128, true));
    out
}

pub fn convert() -> Vec<Case> {
    const N: usize = 12;
    use Code::*;
    let mut out = Vec::new();
    for (code, v) in [
        (Cvtss2sd_xmm_xmmm32, Val::F32),
        (Cvtsd2ss_xmm_xmmm64, Val::F64),
        (Cvtdq2ps_xmm_xmmm128, Val::Int),
        (Cvtdq2pd_xmm_xmmm64, Val::Int),
        (Cvtps2dq_xmm_xmmm128, Val::F32),
        (Cvttps2dq_xmm_xmmm128, Val::F32),
        (Cvtpd2dq_xmm_xmmm128, Val::F64),
        (Cvttpd2dq_xmm_xmmm128, Val::F64),
        (Cvtps2pd_xmm_xmmm64, Val::F32),
        (Cvtpd2ps_xmm_xmmm128, Val::F64),
    ] {
        out.extend(xx_xm(code, v, N));
    }
    for (code, r) in [
        (Cvtsi2ss_xmm_rm32, Register::EDX),
        (Cvtsi2ss_xmm_rm64, Register::RDX),
        (Cvtsi2sd_xmm_rm32, Register::EDX),
        (Cvtsi2sd_xmm_rm64, Register::RDX),
    ] {
        out.extend(gen(format!("{code:?}/reg"), b2(Instruction::with2(code, x(1), r)), Val::F64, N));
        out.extend(gen(format!("{code:?}/mem"), b2(Instruction::with2(code, x(1), m())), Val::F64, N));
    }
    for (code, r, v) in [
        (Cvtss2si_r32_xmmm32, Register::EAX, Val::F32),
        (Cvtss2si_r64_xmmm32, Register::RAX, Val::F32),
        (Cvttss2si_r32_xmmm32, Register::EAX, Val::F32),
        (Cvttss2si_r64_xmmm32, Register::RAX, Val::F32),
        (Cvtsd2si_r32_xmmm64, Register::R8D, Val::F64),
        (Cvtsd2si_r64_xmmm64, Register::R8, Val::F64),
        (Cvttsd2si_r32_xmmm64, Register::R8D, Val::F64),
        (Cvttsd2si_r64_xmmm64, Register::R8, Val::F64),
    ] {
        out.extend(gen(format!("{code:?}/reg"), b2(Instruction::with2(code, r, x(2))), v, N));
        out.extend(gen(format!("{code:?}/mem"), b2(Instruction::with2(code, r, m())), v, N));
        // Every special value, and the halfway points, in every rounding mode.
        let double = v == Val::F64;
        let mut values: Vec<u64> =
            if double { SPECIAL_F64.to_vec() } else { SPECIAL_F32.iter().map(|&s| s as u64).collect() };
        for f in [
            0.5f64,
            1.5,
            2.5,
            -0.5,
            -2.5,
            2147483647.5,
            -2147483648.5,
            2147483648.0,
            9_223_372_036_854_774_784.0,
            -9_223_372_036_854_775_808.0,
        ] {
            values.push(if double { f.to_bits() } else { (f as f32).to_bits() as u64 });
        }
        for (i, &val) in values.iter().enumerate() {
            for rc in 0..4u32 {
                out.push(
                    Case::insns(
                        format!("{code:?}/special/{i}/rc{rc}"),
                        &[b2(Instruction::with2(code, r, x(2)))],
                    )
                    .xmm(2, val, 0)
                    .mxcsr(0x1f80 | rc << 13),
                );
            }
        }
    }
    // Narrowed to an exact single-precision denormal: UE only when unmasked.
    let cvt = b2(Instruction::with2(Cvtsd2ss_xmm_xmmm64, x(1), x(2)));
    for (mxcsr, name) in [(0x1f80, "masked"), (0x1f80 & !(1 << 11), "unmasked-ue")] {
        let case = Case::insns(format!("cvtsd2ss/{name}-tiny-exact"), &[cvt]);
        out.push(case.xmm(1, 5, 5).xmm(2, 2f64.powi(-130).to_bits(), 0).mxcsr(mxcsr));
    }
    out
}
