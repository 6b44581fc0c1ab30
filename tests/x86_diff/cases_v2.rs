//! Cases for x86-64-v2's vector extensions: SSE3 (`sse3`), SSSE3 (`ssse3`) and SSE4.1 with
//! SSE4.2's pcmpgtq (`sse41`): every form with register and memory operands from generated
//! states, every immediate of the blends, mpsadbw and the lane selectors, edge values
//! (saturation limits, MIN for pabs/psign, pshufb's high bit), and NaNs, infinities and
//! rounding modes for the FP forms.

use crate::case::Case;
use crate::cases_sse::{b2, gen, m, misaligned, x, xx_xm, xx_xm_imm, Val};
use iced_x86::{Code, Instruction, Register};

const N: usize = 8;

pub fn sse3() -> Vec<Case> {
    use Code::*;
    let mut out = Vec::new();
    for code in [Movsldup_xmm_xmmm128, Movshdup_xmm_xmmm128, Movddup_xmm_xmmm64] {
        out.extend(xx_xm(code, Val::Int, N));
    }
    out.extend(gen("Lddqu/mem".into(), b2(Instruction::with2(Lddqu_xmm_m128, x(1), m())), Val::Int, N));
    // lddqu has no alignment rule.
    out.push(misaligned(Lddqu_xmm_m128, true));
    for (code, v) in [
        (Addsubps_xmm_xmmm128, Val::F32),
        (Haddps_xmm_xmmm128, Val::F32),
        (Hsubps_xmm_xmmm128, Val::F32),
        (Addsubpd_xmm_xmmm128, Val::F64),
        (Haddpd_xmm_xmmm128, Val::F64),
        (Hsubpd_xmm_xmmm128, Val::F64),
    ] {
        out.extend(xx_xm(code, v, 3 * N));
        // An unmasked exception (invalid: inf - inf) leaves the register alone.
        let inf = if v == Val::F32 { 0x7f80_0000_7f80_0000 } else { 0x7ff0_0000_0000_0000 };
        out.push(
            Case::insns(format!("{code:?}/unmasked"), &[b2(Instruction::with2(code, x(1), x(2)))])
                .xmm(1, inf, inf)
                .xmm(2, inf, inf)
                .mxcsr(0x1f00),
        );
    }
    out
}

pub fn ssse3() -> Vec<Case> {
    use Code::*;
    let mut out = Vec::new();
    for code in [
        Pshufb_xmm_xmmm128,
        Phaddw_xmm_xmmm128,
        Phaddd_xmm_xmmm128,
        Phaddsw_xmm_xmmm128,
        Phsubw_xmm_xmmm128,
        Phsubd_xmm_xmmm128,
        Phsubsw_xmm_xmmm128,
        Pmaddubsw_xmm_xmmm128,
        Pmulhrsw_xmm_xmmm128,
        Pabsb_xmm_xmmm128,
        Pabsw_xmm_xmmm128,
        Pabsd_xmm_xmmm128,
        Psignb_xmm_xmmm128,
        Psignw_xmm_xmmm128,
        Psignd_xmm_xmmm128,
    ] {
        out.extend(xx_xm(code, Val::Int, N));
        // Lanes at the limits: MIN, MAX, -1, 0, 1 and the byte patterns between.
        let edges =
            [0x8000_7fff_ffff_0001u64, 0x0000_8080_7f7f_ff01, 0x8000_0000_7fff_ffff, 0x0180_ff7f_00fe_8001];
        for (i, &e) in edges.iter().enumerate() {
            out.push(
                Case::insns(format!("{code:?}/edge{i}"), &[b2(Instruction::with2(code, x(1), x(2)))])
                    .xmm(1, e, e.rotate_left(16))
                    .xmm(2, e.rotate_left(8), !e),
            );
        }
    }
    for imm in [0u32, 1, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 255] {
        out.extend(xx_xm_imm(Palignr_xmm_xmmm128_imm8, Val::Int, 1, &[imm]));
    }
    out
}

pub fn sse41() -> Vec<Case> {
    use Code::*;
    let mut out = Vec::new();
    for code in [
        Pminsb_xmm_xmmm128,
        Pminsd_xmm_xmmm128,
        Pminuw_xmm_xmmm128,
        Pminud_xmm_xmmm128,
        Pmaxsb_xmm_xmmm128,
        Pmaxsd_xmm_xmmm128,
        Pmaxuw_xmm_xmmm128,
        Pmaxud_xmm_xmmm128,
        Pmulld_xmm_xmmm128,
        Pmuldq_xmm_xmmm128,
        Pcmpeqq_xmm_xmmm128,
        Pcmpgtq_xmm_xmmm128,
        Packusdw_xmm_xmmm128,
        Phminposuw_xmm_xmmm128,
        Pblendvb_xmm_xmmm128,
        Blendvps_xmm_xmmm128,
        Blendvpd_xmm_xmmm128,
        Ptest_xmm_xmmm128,
        Pmovsxbw_xmm_xmmm64,
        Pmovsxbd_xmm_xmmm32,
        Pmovsxbq_xmm_xmmm16,
        Pmovsxwd_xmm_xmmm64,
        Pmovsxwq_xmm_xmmm32,
        Pmovsxdq_xmm_xmmm64,
        Pmovzxbw_xmm_xmmm64,
        Pmovzxbd_xmm_xmmm32,
        Pmovzxbq_xmm_xmmm16,
        Pmovzxwd_xmm_xmmm64,
        Pmovzxwq_xmm_xmmm32,
        Pmovzxdq_xmm_xmmm64,
    ] {
        out.extend(xx_xm(code, Val::Int, N));
    }
    // ptest's flags over the four outcomes, with flags set before.
    for (i, (a, b)) in [(0u64, 0u64), (0xff, 0xff), (0xff, 0x0f), (0x0f, 0xf0), (u64::MAX, 1u64 << 63)]
        .into_iter()
        .enumerate()
    {
        out.push(
            Case::insns(format!("Ptest/flags{i}"), &[b2(Instruction::with2(Ptest_xmm_xmmm128, x(1), x(2)))])
                .xmm(1, a, a.rotate_left(32))
                .xmm(2, b, b.rotate_left(32))
                .flags(0x8d5),
        );
    }
    // phminposuw with equal minima (the lowest index wins).
    out.push(
        Case::insns("Phminposuw/ties", &[b2(Instruction::with2(Phminposuw_xmm_xmmm128, x(1), x(2)))]).xmm(
            2,
            0x0005_0003_0009_0003,
            0x0003_ffff_0003_0004,
        ),
    );
    for (code, imms) in [
        (Blendps_xmm_xmmm128_imm8, (0..16).collect::<Vec<u32>>()),
        (Blendpd_xmm_xmmm128_imm8, (0..4).collect()),
        (Pblendw_xmm_xmmm128_imm8, vec![0, 1, 0x0f, 0x5a, 0x80, 0xa5, 0xf0, 0xff]),
        (Mpsadbw_xmm_xmmm128_imm8, (0..8).chain([0xf8, 0xff]).collect()),
        (Insertps_xmm_xmmm32_imm8, vec![0, 0x10, 0x20, 0x30, 0x40, 0x80, 0xc0, 0xe5, 0x1f, 0x3a, 0x9c, 0x0f]),
    ] {
        out.extend(xx_xm_imm(code, Val::Int, 1, &imms));
    }
    out.extend(gen("Movntdqa/mem".into(), b2(Instruction::with2(Movntdqa_xmm_m128, x(1), m())), Val::Int, N));
    out.push(misaligned(Movntdqa_xmm_m128, true));
    // Lane inserts and extracts: every lane index (and one beyond, which wraps).
    for (code, reg, lanes) in [
        (Pinsrb_xmm_r32m8_imm8, Register::EBX, 17u32),
        (Pinsrb_xmm_r64m8_imm8, Register::RBX, 2),
        (Pinsrd_xmm_rm32_imm8, Register::EBX, 5),
        (Pinsrq_xmm_rm64_imm8, Register::R9, 3),
    ] {
        for imm in 0..lanes {
            let name = format!("{code:?}/{imm}");
            out.extend(gen(format!("{name}/reg"), b2(Instruction::with3(code, x(1), reg, imm)), Val::Int, 1));
            out.extend(gen(format!("{name}/mem"), b2(Instruction::with3(code, x(1), m(), imm)), Val::Int, 1));
        }
    }
    for (code, reg, lanes) in [
        (Pextrb_r32m8_xmm_imm8, Register::EBX, 17u32),
        (Pextrb_r64m8_xmm_imm8, Register::RBX, 2),
        (Pextrw_r32m16_xmm_imm8, Register::EBX, 9),
        (Pextrw_r64m16_xmm_imm8, Register::RBX, 2),
        (Pextrd_rm32_xmm_imm8, Register::EBX, 5),
        (Pextrq_rm64_xmm_imm8, Register::R9, 3),
        (Extractps_rm32_xmm_imm8, Register::EBX, 5),
        (Extractps_r64m32_xmm_imm8, Register::R9, 4),
    ] {
        for imm in 0..lanes {
            let name = format!("{code:?}/{imm}");
            out.extend(gen(format!("{name}/reg"), b2(Instruction::with3(code, reg, x(1), imm)), Val::Int, 1));
            out.extend(gen(format!("{name}/mem"), b2(Instruction::with3(code, m(), x(1), imm)), Val::Int, 1));
        }
    }
    out
}

pub fn sse41_fp() -> Vec<Case> {
    use Code::*;
    let mut out = Vec::new();
    let every_imm: Vec<u32> = (0..16).collect();
    for (code, v) in [
        (Roundps_xmm_xmmm128_imm8, Val::F32),
        (Roundpd_xmm_xmmm128_imm8, Val::F64),
        (Roundss_xmm_xmmm32_imm8, Val::F32),
        (Roundsd_xmm_xmmm64_imm8, Val::F64),
    ] {
        out.extend(xx_xm_imm(code, v, 3, &every_imm));
        // Precision exception unmasked: raised (and trapping) unless imm[3] suppresses it.
        let half = if v == Val::F32 { 0x3fc0_0000_3fc0_0000 } else { 0x3ff8_0000_0000_0000 };
        for imm in [0u32, 8] {
            out.push(
                Case::insns(
                    format!("{code:?}/pe-unmasked/{imm}"),
                    &[b2(Instruction::with3(code, x(1), x(2), imm))],
                )
                .xmm(2, half, half)
                .mxcsr(0x0f80),
            );
        }
    }
    let dpps: Vec<u32> = vec![0x00, 0xff, 0xf1, 0x31, 0x7f, 0x12, 0xe4, 0x1b, 0xf8, 0x8f, 0x55, 0xaa];
    out.extend(xx_xm_imm(Dpps_xmm_xmmm128_imm8, Val::F32, 4, &dpps));
    let dppd: Vec<u32> = vec![0x00, 0x33, 0x31, 0x13, 0x21, 0x32, 0x12, 0xff, 0x3c];
    out.extend(xx_xm_imm(Dppd_xmm_xmmm128_imm8, Val::F64, 4, &dppd));
    out
}

/// A 16-byte string from text, NUL-padded.
fn text(s: &[u8]) -> (u64, u64) {
    let mut b = [0u8; 16];
    b[..s.len().min(16)].copy_from_slice(&s[..s.len().min(16)]);
    (u64::from_le_bytes(b[..8].try_into().unwrap()), u64::from_le_bytes(b[8..].try_into().unwrap()))
}

pub fn sse42_string() -> Vec<Case> {
    use Code::*;
    let mut out = Vec::new();
    // (xmm1, xmm2) pairs: sets, ranges, needles against strings, with and without NULs,
    // equal, and full registers.
    let pairs: Vec<((u64, u64), (u64, u64))> = vec![
        (text(b"aeiou"), text(b"hello, world")),
        (text(b"azAZ09"), text(b"Mixed Case 123!")),
        (text(b"lo"), text(b"hello, world lo!")),
        (text(b"hello"), text(b"hello")),
        (text(b"abcdefghijklmnop"), text(b"abcdefghijklmnoq")),
        (text(b""), text(b"abc")),
        (text(b"abc"), text(b"")),
        (text(b"\x80\xff\x01\x7f"), text(b"\x7f\x80\x00\xff")),
        (text(b"op"), text(b"abcdefghijklmnop")),
        ((0x8000_7fff_0001_ffff, 0), (0x0000_7fff_8001_fffe, 0x1234_8000_ffff_0001)),
    ];
    for code in [
        Pcmpistri_xmm_xmmm128_imm8,
        Pcmpistrm_xmm_xmmm128_imm8,
        Pcmpestri_xmm_xmmm128_imm8,
        Pcmpestrm_xmm_xmmm128_imm8,
        Pcmpestri64_xmm_xmmm128_imm8,
        Pcmpestrm64_xmm_xmmm128_imm8,
    ] {
        // Every meaningful immediate (bit 7 is ignored): format, aggregation, polarity,
        // output selection.
        for imm in 0u32..128 {
            let insn = b2(Instruction::with3(code, x(1), x(2), imm));
            // Three of the pairs per immediate, a different three each time.
            for k in [imm as usize % 10, (imm as usize + 3) % 10, (imm as usize + 7) % 10] {
                let ((a0, a1), (b0, b1)) = pairs[k];
                // Explicit lengths: in range, negative, beyond the register, and with
                // garbage above 32 bits.
                let lens =
                    [(5u64, 12u64), (u64::MAX - 2, 3), (17, 100), (0xffff_ffff_0000_0004, 0x1_0000_0002)];
                let (la, lb) = lens[k % lens.len()];
                out.push(
                    Case::insns(format!("{code:?}/{imm:#x}/{k}"), &[insn])
                        .xmm(1, a0, a1)
                        .xmm(2, b0, b1)
                        .gpr(0, la)
                        .gpr(1, 0xdead_beef_dead_beef)
                        .gpr(2, lb)
                        .flags(0x8d5),
                );
            }
        }
        out.extend(xx_xm_imm(code, Val::Int, 2, &[0x0c, 0x44, 0x1a, 0x3b]));
    }
    // Unaligned memory operands are allowed.
    out.push(
        Case::insns(
            "Pcmpistri/unaligned",
            &[b2(Instruction::with3(
                Pcmpistri_xmm_xmmm128_imm8,
                x(1),
                crate::case::mem(Register::RSI, 0x23),
                0x0c,
            ))],
        )
        .ptr(crate::cases_sse::RSI, 0x100)
        .xmm(1, text(b"ab").0, 0),
    );
    out
}
