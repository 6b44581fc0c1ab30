//! What x86-64-v3 adds beyond the generated VEX cases (`cases_avx`, which covers every
//! translated VEX form, the masked moves and gathers included): legacy maskmovdqu; masked
//! loads and stores whose disabled elements lie on the unmapped page after scratch memory
//! (no fault, nothing written); gathers with a disabled element there, and with two
//! registers the same (#UD, SIGILL); vcvtps2ph of special singles under every
//! rounding control, DAZ, FTZ and unmasked exceptions; xgetbv (only XCR0's x87, SSE and AVX
//! bits, which every AVX2 machine sets: the rest is the host's), and xsave/xrstor of the SSE
//! and AVX components (RFBM = 6: the x87 component's XINUSE and pointers depend on the
//! process's history, not on the instruction) with their #GP checks.
//!
//! Memory faults cannot be cases here (the translated side runs without the runtime's
//! signal handler, see `translated::run`); an enabled element on an unmapped page, and a
//! gather's state at such a fault (the elements before it done), are left to a guest
//! program; the frontend's `masked::tests` check the helper's order.

use crate::case::{generate, mem, Case, Rng, SCRATCH_BASE, SCRATCH_LEN};
use iced_x86::{Code, Instruction, MemoryOperand, Register};

const RAX: usize = 0;
const RCX: usize = 1;
const RDX: usize = 2;
const RSI: usize = 6;
const RDI: usize = 7;

fn b(r: Result<Instruction, iced_x86::IcedError>) -> Instruction {
    crate::case::built(r)
}

fn x(n: usize) -> Register {
    crate::case::xmm(n)
}

fn y(n: usize) -> Register {
    Register::values().nth(Register::YMM0 as usize + n).expect("ymm")
}

/// Random masks with each element's top bit set or clear.
fn masks(rng: &mut Rng, c: &mut Case, reg: usize) {
    c.init.xmm[reg] = [rng.next(), rng.next()];
    c.init.ymm_hi[reg] = [rng.next(), rng.next()];
}

pub fn cases() -> Vec<Case> {
    use Code::*;
    let mut out = Vec::new();
    // maskmovdqu / vmaskmovdqu, random bytes and masks, rdi in scratch memory.
    for (name, insn) in [
        ("maskmovdqu", b(Instruction::with_maskmovdqu(64, x(1), x(2), Register::None))),
        ("vmaskmovdqu", b(Instruction::with_vmaskmovdqu(64, x(3), x(4), Register::None))),
    ] {
        out.extend(generate(name, 6, |rng| {
            let mut c = Case::insns("", &[insn]).random_state(rng, &[RDI]);
            for r in [2, 4] {
                masks(rng, &mut c, r);
            }
            c
        }));
    }
    // Masked loads and stores at the end of scratch memory: the elements past it disabled
    // (no fault, nothing written).
    let end = SCRATCH_BASE + SCRATCH_LEN as u64;
    for (code, size, store) in [
        (VEX_Vmaskmovps_ymm_ymm_m256, 4, false),
        (VEX_Vmaskmovpd_xmm_xmm_m128, 8, false),
        (VEX_Vpmaskmovd_xmm_xmm_m128, 4, false),
        (VEX_Vpmaskmovq_ymm_ymm_m256, 8, false),
        (VEX_Vmaskmovps_m256_ymm_ymm, 4, true),
        (VEX_Vmaskmovpd_m128_xmm_xmm, 8, true),
        (VEX_Vpmaskmovd_m256_ymm_ymm, 4, true),
        (VEX_Vpmaskmovq_m128_xmm_xmm, 8, true),
    ] {
        let wide = format!("{code:?}").contains("ymm");
        let bytes = if wide { 32u64 } else { 16 };
        let r = |n| if wide { y(n) } else { x(n) };
        let m = mem(Register::RSI, 0);
        let insn = if store {
            b(Instruction::with3(code, m, r(1), r(2)))
        } else {
            b(Instruction::with3(code, r(2), r(1), m))
        };
        let mut insides = vec![1u64, 2, bytes / size - 1];
        insides.retain(|&i| i < bytes / size);
        insides.dedup();
        for inside in insides {
            let name = format!("{code:?}/end{inside}");
            out.extend(generate(&name, 2, |rng| {
                let mut c = Case::insns("", &[insn]).random_state(rng, &[]);
                c.init.gpr[RSI] = end - inside * size;
                masks(rng, &mut c, 1);
                c.init.ymm_hi[2] = [rng.next(), rng.next()];
                // Element k's top bit: byte (k + 1) * size - 1 of the mask register.
                let mut m = [0u8; 32];
                for (i, w) in [c.init.xmm[1][0], c.init.xmm[1][1], c.init.ymm_hi[1][0], c.init.ymm_hi[1][1]]
                    .iter()
                    .enumerate()
                {
                    m[8 * i..8 * i + 8].copy_from_slice(&w.to_le_bytes());
                }
                for k in inside..bytes / size {
                    let top = ((k + 1) * size - 1) as usize;
                    m[top] &= 0x7f;
                }
                let w = |i: usize| u64::from_le_bytes(m[8 * i..8 * i + 8].try_into().expect("8"));
                c.init.xmm[1] = [w(0), w(1)];
                c.init.ymm_hi[1] = [w(2), w(3)];
                c
            }));
        }
    }
    // Gathers: a disabled element past the end of scratch memory does not fault; the
    // destination, index or mask register twice is #UD.
    for (code, dword_index) in [
        (VEX_Vpgatherdd_ymm_vm32y_ymm, true),
        (VEX_Vgatherdpd_xmm_vm32x_xmm, true),
        (VEX_Vpgatherqd_xmm_vm64y_xmm, false),
        (VEX_Vgatherqpd_ymm_vm64y_ymm, false),
    ] {
        let name = format!("{code:?}");
        let wide_dst = name.contains("_ymm_");
        let wide_index = name.contains("vm32y") || name.contains("vm64y");
        let d = |n| if wide_dst { y(n) } else { x(n) };
        let index = if wide_index { y(2) } else { x(2) };
        let m = MemoryOperand::new(Register::RSI, index, 8, 0, 1, false, Register::None);
        let insn = b(Instruction::with3(code, d(1), m, d(3)));
        out.extend(generate(&format!("{name}/far"), 2, |rng| {
            let mut c = Case::insns("", &[insn]).random_state(rng, &[RSI]);
            // Indices 0, 1, 2, ...; element 1 far away, enabled or not; others random.
            let far = (end - c.init.gpr[RSI]) / 8 + 64;
            let idx: Vec<u64> = (0..8u64).map(|k| if k == 1 { far } else { k }).collect();
            c.init.xmm[2] =
                if dword_index { [idx[0] | idx[1] << 32, idx[2] | idx[3] << 32] } else { [idx[0], idx[1]] };
            c.init.ymm_hi[2] =
                if dword_index { [idx[4] | idx[5] << 32, idx[6] | idx[7] << 32] } else { [idx[2], idx[3]] };
            masks(rng, &mut c, 3);
            // Element 1's top bit: bit 63 of dword 1 or of qword 1.
            let top = if name.contains("dd") || name.contains("qd") || name.contains("ps") {
                (0, 1u64 << 63)
            } else {
                (1, 1u64 << 63)
            };
            c.init.xmm[3][top.0] &= !top.1;
            c
        }));
        for (dst, idx, mask) in [(2, 2, 3), (1, 1, 1), (1, 2, 1)] {
            let index = if wide_index { y(idx) } else { x(idx) };
            let m = MemoryOperand::new(Register::RSI, index, 8, 0, 1, false, Register::None);
            let insn = b(Instruction::with3(code, d(dst), m, d(mask)));
            out.push(Case::insns(format!("{name}/ud{dst}{idx}{mask}"), &[insn]).ptr(RSI, 0x100));
        }
    }
    // vcvtps2ph: special singles under each imm8 rounding control and MXCSR's (imm8 bit 2),
    // with DAZ, FTZ, MXCSR rounding and unmasked exceptions from the MXCSR.
    for (code, wide, to_mem) in [
        (VEX_Vcvtps2ph_xmmm64_xmm_imm8, false, false),
        (VEX_Vcvtps2ph_xmmm128_ymm_imm8, true, false),
        (VEX_Vcvtps2ph_xmmm64_xmm_imm8, false, true),
        (VEX_Vcvtps2ph_xmmm128_ymm_imm8, true, true),
    ] {
        for imm in 0..8u32 {
            let src = if wide { y(2) } else { x(2) };
            let insn = if to_mem {
                b(Instruction::with3(code, mem(Register::RSI, 0x40), src, imm))
            } else {
                b(Instruction::with3(code, x(1), src, imm))
            };
            let name = format!("{code:?}/{}imm{imm}", if to_mem { "mem/" } else { "" });
            out.extend(generate(&name, 4, |rng| {
                let mut c = Case::insns("", &[insn]).random_state(rng, &[RSI]);
                for r in [2] {
                    for half in [&mut c.init.xmm[r], &mut c.init.ymm_hi[r]] {
                        for w in half.iter_mut() {
                            *w = u64::from(f16_interesting(rng)) | u64::from(f16_interesting(rng)) << 32;
                        }
                    }
                }
                // Rounding, DAZ, FTZ; sometimes one exception unmasked.
                let mut mxcsr = 0x1f80 | (rng.below(4) as u32) << 13 | (rng.below(2) as u32) << 6;
                mxcsr |= (rng.below(2) as u32) << 15;
                if rng.below(4) == 0 {
                    mxcsr &= !(1 << (7 + [0, 1, 3, 4, 5][rng.below(5) as usize]));
                }
                c.init.mxcsr = mxcsr;
                c
            }));
        }
    }
    // xgetbv: XCR0's x87, SSE and AVX bits (the host's others masked off by the and).
    let xgetbv = Instruction::with(Xgetbv);
    let and7 = b(Instruction::with2(And_rm32_imm8, Register::EAX, 7));
    out.push(Case::insns("xgetbv", &[xgetbv, and7]).gpr(RCX, 0));
    // xsave/xrstor with RFBM = SSE | AVX (eax = 6, edx = 0).
    let area = 0x100u64;
    let save = |c: Code, d: i64| b(Instruction::with1(c, mem(Register::RSI, d)));
    for (name, insns) in [
        ("xsave", vec![save(Xsave_mem, 0)]),
        ("xsave64", vec![save(Xsave64_mem, 0)]),
        (
            "xsave-clobber-xrstor",
            vec![
                save(Xsave_mem, 0),
                b(Instruction::with3(VEX_Vpxor_ymm_ymm_ymmm256, y(1), y(1), y(1))),
                b(Instruction::with3(VEX_Vpcmpeqb_ymm_ymm_ymmm256, y(9), y(9), y(9))),
                b(Instruction::with1(Ldmxcsr_m32, mem(Register::RSI, 0x400))),
                save(Xrstor_mem, 0),
            ],
        ),
        ("xrstor64", vec![save(Xrstor64_mem, 0)]),
    ] {
        out.extend(generate(name, 4, |rng| {
            let mut c = Case::insns("", &insns).random_state(rng, &[]).ptr(RSI, area).gpr(RAX, 6).gpr(RDX, 0);
            c.init.mxcsr = 0x1f80 | (rng.below(4) as u32) << 13;
            for r in 0..16 {
                c.init.ymm_hi[r] = [rng.next(), rng.next()];
            }
            // A clean header, a valid MXCSR image for the restores, and XSTATE_BV: SSE and
            // AVX, or SSE only (AVX then gets its initial state).
            let bv: u64 = if rng.below(2) == 0 { 6 } else { 2 };
            let mut c = c.mem(area as u32 + 512, &[0; 64]).mem(area as u32 + 512, &bv.to_le_bytes());
            c = c.mem(area as u32 + 24, &(0x1f80u32 | (rng.below(64) as u32)).to_le_bytes());
            c.mem(area as u32 + 0x400, &0x3f80u32.to_le_bytes())
        }));
    }
    // #GP: a misaligned area; an XSTATE_BV bit outside XCR0 (bit 62: reserved on every
    // processor, so outside the host's XCR0 too), a non-zero reserved header word, a reserved
    // MXCSR bit. (XCOMP_BV's compaction bit is #GP only without XSAVEC, which the host has:
    // `xsave::tests` in the frontend.)
    out.push(Case::insns("xsave/misaligned", &[save(Xsave_mem, 0x20)]).ptr(RSI, area).gpr(RAX, 6));
    out.push(Case::insns("xrstor/misaligned", &[save(Xrstor_mem, 0x10)]).ptr(RSI, area).gpr(RAX, 6));
    for (what, at, v) in [("bv62", 512u32, 1u64 << 62), ("reserved", 528, 1), ("mxcsr", 24, 1 << 20)] {
        let c = Case::insns(format!("xrstor/gp-{what}"), &[save(Xrstor_mem, 0)]).ptr(RSI, area).gpr(RAX, 6);
        let c = c.mem(area as u32 + 512, &[0; 64]).mem(area as u32 + 24, &0x1f80u32.to_le_bytes());
        out.push(c.mem(area as u32 + at, &v.to_le_bytes()));
    }
    out
}

/// A single near the half-precision edges: the largest half and the overflow point, the
/// normal/denormal boundary, the smallest denormal and below, halfway points for each
/// rounding, NaNs (quiet and signalling), infinities, zeros, single denormals; or random.
fn f16_interesting(rng: &mut Rng) -> u32 {
    const SPECIAL: [u32; 16] = [
        0x477f_e000, // 65504, the largest half
        0x477f_f000, // halfway to 65536
        0x4780_0000, // 65536: overflow
        0x3880_0000, // 2^-14, the smallest normal half
        0x387f_c000, // just below
        0x3380_0000, // 2^-24, the smallest denormal half
        0x3300_0000, // 2^-25: halfway to zero
        0x3300_0001,
        0x7fc0_0000,
        0x7f80_0001,
        0xff80_0000,
        0x8000_0000,
        0x0000_0001,
        0x3f80_1000, // 1 + 2^-11: halfway between halves
        0x3f80_3000, // 1 + 3 * 2^-11
        0xbf80_1000,
    ];
    match rng.below(3) {
        0 => SPECIAL[rng.below(SPECIAL.len() as u64) as usize],
        1 => {
            // Exponents around the half range, random fraction and sign.
            let e = 100 + rng.below(50) as u32;
            e << 23 | (rng.next() as u32 & 0x807f_ffff)
        }
        _ => rng.interesting_f32(),
    }
}
