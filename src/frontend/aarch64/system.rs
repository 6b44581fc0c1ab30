//! ARM ARM C4.1.93 "System instructions" and "Exception generation": SVC, BRK, hints, barriers,
//! CLREX, MRS/MSR of the registers EL0 code uses, and the cache maintenance SYS aliases.
//!
//! Values reported for identification registers:
//! - `CTR_EL0` = 0x8444c004: 64-byte I and D cache lines (as on Neoverse cores), DIC=0 IDC=0.
//! - `DCZID_EL0` = 4: DC ZVA permitted with 64-byte blocks; `DC ZVA` is implemented here (it
//!   zeroes the aligned 64-byte block), so glibc's memset may use it.
//! - `MIDR_EL1` (Linux emulates the read for EL0) = 0x414fd0c1, a Neoverse-N1 r4p1: the CPU
//!   whose feature set (ARMv8.2 with LSE, no PAC, BTI or SVE) is closest to what xlate
//!   implements, and the `-cpu` the differential tests give qemu.
//! - FPCR keeps bits 26:16 (AHP, DN, FZ, RMode, FZ16, and the RES0-but-stored Len/Stride
//!   bits, as qemu's Neoverse-N1 does); FPSR keeps QC and the cumulative exception bits
//!   (and the AArch32 NZCV bits 31:28), mask 0xf800009f.
//! - `CNTFRQ_EL0` = 1 GHz and `CNTVCT_EL0` counts host monotonic nanoseconds.
//!
//! `IC IVAU` ends the block with `Exit::Invalidate`: the dispatcher drops the translations of
//! the code pages written since (write protection saw every write) before the guest goes on,
//! so its following `DSB ISH; ISB` and the new code run as written.

use super::decode::{row, Row};
use super::state::off;
use super::{bits, Ctx, Flow, DATA_ADDR_MASK};
use crate::ir::{BinOp, Exit, GuestAddr, Helper, TrapKind, Width};
use std::sync::OnceLock;
use std::time::Instant;

pub const ROWS: &[Row] = &[
    row!(SVC, "SVC", "11010100000 iiiiiiiiiiiiiiii 00001", svc),
    row!(BRK, "BRK", "11010100001 iiiiiiiiiiiiiiii 00000", brk),
    row!(HINT, "HINT (NOP, YIELD, PACIASP, AUTIASP, BTI, ...)", "11010101000000110010 mmmm ooo 11111", hint),
    row!(BARRIER, "CLREX/DSB/DMB/ISB/SB", "11010101000000110011 mmmm ooo 11111", barrier),
    row!(SYS, "SYS (DC, IC)", "1101010100001 ooo nnnn mmmm ooo ttttt", sys),
    row!(MSR_reg, "MSR (register)", "1101010100011 ooo nnnn mmmm ooo ttttt", msr),
    row!(MRS, "MRS", "1101010100111 ooo nnnn mmmm ooo ttttt", mrs),
];

/// The 15-bit `o0:op1:CRn:CRm:op2` key of a system register with `op0` = 2 or 3.
const fn sysreg(op0: u32, op1: u32, crn: u32, crm: u32, op2: u32) -> u32 {
    ((op0 - 2) << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2
}

const NZCV: u32 = sysreg(3, 3, 4, 2, 0);
const FPCR: u32 = sysreg(3, 3, 4, 4, 0);
const FPSR: u32 = sysreg(3, 3, 4, 4, 1);
const TPIDR_EL0: u32 = sysreg(3, 3, 13, 0, 2);
const TPIDRRO_EL0: u32 = sysreg(3, 3, 13, 0, 3);
const CTR_EL0: u32 = sysreg(3, 3, 0, 0, 1);
const DCZID_EL0: u32 = sysreg(3, 3, 0, 0, 7);
const MIDR_EL1: u32 = sysreg(3, 0, 0, 0, 0);
const MPIDR_EL1: u32 = sysreg(3, 0, 0, 0, 5);
const REVIDR_EL1: u32 = sysreg(3, 0, 0, 0, 6);
const CNTFRQ_EL0: u32 = sysreg(3, 3, 14, 0, 0);
const CNTVCT_EL0: u32 = sysreg(3, 3, 14, 0, 2);
const CNTVCTSS_EL0: u32 = sysreg(3, 3, 14, 0, 6);

pub const CTR_EL0_VALUE: u64 = 0x8444_c004;
pub const DCZID_EL0_VALUE: u64 = 4;
pub const MIDR_EL1_VALUE: u64 = 0x414f_d0c1;
/// Bits of FPCR and FPSR that MSR writes (the rest read as zero).
pub const FPCR_MASK: u64 = 0x07ff_0000;
pub const FPSR_MASK: u64 = 0xf800_009f;
pub const CNTFRQ_VALUE: u64 = 1_000_000_000;
/// Bytes zeroed by `DC ZVA` (4 << DCZID.BS).
pub const DC_ZVA_BYTES: u64 = 4 << DCZID_EL0_VALUE;

fn svc(cx: &mut Ctx, _w: u32) -> Flow {
    Flow::End(Exit::Syscall { next: GuestAddr(cx.pc + 4) })
}

fn brk(cx: &mut Ctx, _w: u32) -> Flow {
    Flow::End(Exit::Trap { kind: TrapKind::Breakpoint, pc: GuestAddr(cx.pc), message: None })
}

fn hint(_cx: &mut Ctx, _w: u32) -> Flow {
    // NOP, YIELD, WFE/WFI/SEV (harmless at user level as no-ops), ESB, PSB, CSDB, BTI and the
    // pointer-authentication hints: xlate reports no PAC and no BTI, so a PACIASP/AUTIASP
    // pair leaves the link register unchanged, which is what these hints do on such a CPU.
    Flow::Next
}

fn barrier(cx: &mut Ctx, w: u32) -> Flow {
    match bits(w, 5, 3) {
        0b010 => {
            let zero = cx.imm(0);
            cx.b.store_state(off::EXCL_VALID, zero, Width::W64);
            Flow::Next
        }
        // DSB, DMB: a full fence (the strongest ordering covers every option).
        0b100 | 0b101 => {
            cx.b.fence();
            Flow::Next
        }
        // ISB, SB: no memory effect for translated code.
        0b110 | 0b111 => Flow::Next,
        _ => Flow::Unimplemented("unallocated barrier"),
    }
}

fn sys(cx: &mut Ctx, w: u32) -> Flow {
    let (op1, crn, crm, op2) = (bits(w, 16, 3), bits(w, 12, 4), bits(w, 8, 4), bits(w, 5, 3));
    let rt = bits(w, 0, 5);
    match (op1, crn, crm, op2) {
        // DC ZVA: zero the naturally aligned block.
        (3, 7, 4, 1) => {
            let a = cx.xr(rt, Width::W64);
            // The tag goes with the block's low bits (top-byte-ignore, as for loads).
            let base = cx.b.bin_imm(BinOp::And, a, !(DC_ZVA_BYTES - 1) & DATA_ADDR_MASK, Width::W64);
            let zero = cx.imm(0);
            for i in 0..DC_ZVA_BYTES / 8 {
                let p = if i == 0 { base } else { cx.b.bin_imm(BinOp::Add, base, i * 8, Width::W64) };
                cx.b.store(p, zero, Width::W64);
            }
            Flow::Next
        }
        // DC CVAC, CVAU, CIVAC, CVAP, CVADP: data cache maintenance has no effect on the
        // translated program's view of memory.
        (3, 7, 10, 1) | (3, 7, 11, 1) | (3, 7, 14, 1) | (3, 7, 12, 1) | (3, 7, 13, 1) => Flow::Next,
        // IC IVAU: the guest changed code; the dispatcher drops translations (see the module
        // doc).
        (3, 7, 5, 1) => Flow::End(Exit::Invalidate { next: GuestAddr(cx.pc + 4) }),
        _ => Flow::Unimplemented("system instruction"),
    }
}

fn counter_base() -> &'static Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    BASE.get_or_init(Instant::now)
}

extern "C" fn cntvct_helper(_state: *mut u8, _: u64, _: u64, _: u64, _: u64) -> u64 {
    // Nanoseconds since the first read: with CNTFRQ = 1 GHz one tick is one nanosecond. The
    // +1 keeps the first value non-zero.
    counter_base().elapsed().as_nanos() as u64 + 1
}

fn mrs(cx: &mut Ctx, w: u32) -> Flow {
    let rt = bits(w, 0, 5);
    let key = bits(w, 5, 15);
    let v = match key {
        NZCV => {
            let mut acc = cx.imm(0);
            for (slot, shift) in [(off::N, 31), (off::Z, 30), (off::C, 29), (off::V, 28)] {
                let f = cx.b.load_state(slot, Width::W8);
                let f = cx.b.bin_imm(BinOp::Shl, f, shift, Width::W64);
                acc = cx.b.bin(BinOp::Or, acc, f, Width::W64);
            }
            acc
        }
        FPCR => cx.b.load_state(off::FPCR, Width::W32),
        FPSR => cx.b.load_state(off::FPSR, Width::W32),
        TPIDR_EL0 => cx.b.load_state(off::TPIDR_EL0, Width::W64),
        TPIDRRO_EL0 => cx.imm(0),
        CTR_EL0 => cx.imm(CTR_EL0_VALUE),
        DCZID_EL0 => cx.imm(DCZID_EL0_VALUE),
        MIDR_EL1 => cx.imm(MIDR_EL1_VALUE),
        // Linux reports MPIDR as "uniprocessor affinity 0" to EL0 and REVIDR as 0.
        MPIDR_EL1 => cx.imm(0x8000_0000),
        REVIDR_EL1 => cx.imm(0),
        CNTFRQ_EL0 => cx.imm(CNTFRQ_VALUE),
        CNTVCT_EL0 | CNTVCTSS_EL0 => {
            cx.b.call(Helper { name: "a64_cntvct", func: cntvct_helper, touches_memory: false }, &[])
        }
        _ => return Flow::Unimplemented("MRS of an unsupported system register"),
    };
    cx.set_x(rt, v, Width::W64);
    Flow::Next
}

fn msr(cx: &mut Ctx, w: u32) -> Flow {
    let rt = bits(w, 0, 5);
    let v = cx.xr(rt, Width::W64);
    match bits(w, 5, 15) {
        NZCV => {
            for (slot, shift) in [(off::N, 31), (off::Z, 30), (off::C, 29), (off::V, 28)] {
                let f = cx.b.bit(v, shift);
                cx.b.store_state(slot, f, Width::W8);
            }
        }
        FPCR => {
            let m = cx.b.bin_imm(BinOp::And, v, FPCR_MASK, Width::W64);
            cx.b.store_state(off::FPCR, m, Width::W32)
        }
        FPSR => {
            let m = cx.b.bin_imm(BinOp::And, v, FPSR_MASK, Width::W64);
            cx.b.store_state(off::FPSR, m, Width::W32)
        }
        TPIDR_EL0 => cx.b.store_state(off::TPIDR_EL0, v, Width::W64),
        _ => return Flow::Unimplemented("MSR of an unsupported system register"),
    }
    Flow::Next
}
