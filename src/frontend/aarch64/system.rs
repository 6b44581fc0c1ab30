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
//! - The AArch64 ID registers (op0 3, op1 0, CRn 0, CRm 4-7: ID_AA64PFR*, ID_AA64DFR*,
//!   ID_AA64AFR*, ID_AA64ISAR*, ID_AA64MMFR* and the reserved ones), which Linux traps and
//!   emulates for EL0 (HWCAP_CPUID) with only the user-visible fields: [`id_register`], the
//!   values qemu-aarch64 `-cpu neoverse-n1` reports (as the kernel sanitises them) for
//!   exactly the features xlate implements and advertises in AT_HWCAP (ID_AA64PFR0.FP and
//!   .AdvSIMD 1: FEAT_FP16, scalar and AdvSIMD). ID_AA64PFR1.SSBS is 2 as qemu's (FEAT_SSBS2: MSR/MRS SSBS). The AArch32 ID
//!   registers (CRm 1-3) and the other CRm 0 registers are UNDEFINED (SIGILL), as under qemu.
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
    row!(MSR_imm, "MSR (immediate) (SSBS)", "1101010100000 ooo 0100 mmmm ooo 11111", msr_imm),
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
const SSBS: u32 = sysreg(3, 3, 4, 2, 6);
const TPIDR_EL0: u32 = sysreg(3, 3, 13, 0, 2);
const TPIDRRO_EL0: u32 = sysreg(3, 3, 13, 0, 3);
const CTR_EL0: u32 = sysreg(3, 3, 0, 0, 1);
const DCZID_EL0: u32 = sysreg(3, 3, 0, 0, 7);
/// `S3_0_C0_C0_0`, the first of the ID register space (CRm and op2 in the low 6 bits).
const ID_SPACE: u32 = sysreg(3, 0, 0, 0, 0);
const CNTFRQ_EL0: u32 = sysreg(3, 3, 14, 0, 0);
const CNTVCT_EL0: u32 = sysreg(3, 3, 14, 0, 2);
const CNTVCTSS_EL0: u32 = sysreg(3, 3, 14, 0, 6);

/// ID_AA64ISAR0_EL1: AES 2 (with PMULL), SHA1 1, SHA2 1 (SHA256), CRC32 1, Atomic 2 (LSE),
/// RDM 1, DP 1.
pub const ID_AA64ISAR0_VALUE: u64 = 0x0000_1000_1021_1120;
/// ID_AA64ISAR1_EL1: DPB 1 (DC CVAP), LRCPC 1 (LDAPR).
pub const ID_AA64ISAR1_VALUE: u64 = 0x0010_0001;
/// ID_AA64PFR0_EL1: EL0 and EL1 AArch64 only (the kernel's safe value for the hidden
/// fields), FP 1 and AdvSIMD 1 (implemented, with half precision: FEAT_FP16).
pub const ID_AA64PFR0_VALUE: u64 = 0x0011_0011;
/// ID_AA64PFR1_EL1: SSBS 2 (PSTATE.SSBS with the MRS/MSR register forms; HWCAP_SSBS).
pub const ID_AA64PFR1_VALUE: u64 = 0x20;
/// ID_AA64DFR0_EL1: DebugVer 6 (the kernel's safe value for the hidden field).
pub const ID_AA64DFR0_VALUE: u64 = 6;
/// ID_AA64MMFR0_EL1: TGran4 and TGran64 0xf (the kernel's safe values for the hidden fields).
pub const ID_AA64MMFR0_VALUE: u64 = 0xff00_0000;

/// The value an EL0 `MRS` of the ID register `S3_0_C0_C<crm>_<op2>` reads under Linux (see
/// the module doc), or `None` where the read is UNDEFINED.
pub const fn id_register(crm: u32, op2: u32) -> Option<u64> {
    Some(match (crm, op2) {
        (0, 0) => MIDR_EL1_VALUE,
        // Linux reports MPIDR as "uniprocessor affinity 0" to EL0 and REVIDR as 0.
        (0, 5) => 0x8000_0000,
        (0, 6) => 0,
        (4, 0) => ID_AA64PFR0_VALUE,
        (4, 1) => ID_AA64PFR1_VALUE,
        (5, 0) => ID_AA64DFR0_VALUE,
        (6, 0) => ID_AA64ISAR0_VALUE,
        (6, 1) => ID_AA64ISAR1_VALUE,
        (7, 0) => ID_AA64MMFR0_VALUE,
        (4..=7, 0..=7) => 0,
        _ => return None,
    })
}

pub const CTR_EL0_VALUE: u64 = 0x8444_c004;
pub const DCZID_EL0_VALUE: u64 = 4;
pub const MIDR_EL1_VALUE: u64 = 0x414f_d0c1;
/// Bits of FPCR and FPSR that MSR writes (the rest read as zero).
pub const FPCR_MASK: u64 = 0x07ff_0000;
pub const FPSR_MASK: u64 = 0xf800_009f;
pub const CNTFRQ_VALUE: u64 = 1_000_000_000;
/// The smallest data cache line (CTR_EL0.DminLine, in words: 4 << 4 bytes).
pub const CACHE_LINE_BYTES: u64 = 4 << (CTR_EL0_VALUE >> 16 & 0xf);
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
        // DC CVAP (FEAT_DPB, advertised as HWCAP_DCPOP): no effect on the translated
        // program's view of memory, but, as on the hardware and under qemu, it faults where
        // the cache line is not readable (si_addr the line's start, as qemu reports it): a
        // one-byte load of the line, the value unused (an unread load stays, see `ir::opt`).
        (3, 7, 12, 1) => {
            let a = cx.xr(rt, Width::W64);
            let line = cx.b.bin_imm(BinOp::And, a, !(CACHE_LINE_BYTES - 1) & DATA_ADDR_MASK, Width::W64);
            let _ = cx.b.load(line, Width::W8);
            Flow::Next
        }
        // DC CVAC, CVAU, CIVAC: data cache maintenance has no effect on the translated
        // program's view of memory. (DC CVADP is FEAT_DPB2, which Neoverse-N1 lacks: SIGILL.)
        (3, 7, 10, 1) | (3, 7, 11, 1) | (3, 7, 14, 1) => Flow::Next,
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
        SSBS => {
            let f = cx.b.load_state(off::SSBS, Width::W8);
            cx.b.bin_imm(BinOp::Shl, f, 12, Width::W64)
        }
        TPIDR_EL0 => cx.b.load_state(off::TPIDR_EL0, Width::W64),
        TPIDRRO_EL0 => cx.imm(0),
        CTR_EL0 => cx.imm(CTR_EL0_VALUE),
        DCZID_EL0 => cx.imm(DCZID_EL0_VALUE),
        _ if key & !0x3f == ID_SPACE => match id_register(key >> 3 & 7, key & 7) {
            Some(v) => cx.imm(v),
            None => return Flow::Unimplemented("MRS of an AArch32 or reserved ID register"),
        },
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
        SSBS => {
            let f = cx.b.bit(v, 12);
            cx.b.store_state(off::SSBS, f, Width::W8);
        }
        TPIDR_EL0 => cx.b.store_state(off::TPIDR_EL0, v, Width::W64),
        _ => return Flow::Unimplemented("MSR of an unsupported system register"),
    }
    Flow::Next
}

/// MSR (immediate) to a PSTATE field: only SSBS (op1 3, op2 1; the new value is CRm bit 0).
/// The others EL0 may write (DIT, TCO, SVCR, ...) are features xlate does not present; UAO,
/// PAN, SPSel and DAIF are EL1's (under Linux EL0 writes to DAIF trap to SIGILL).
fn msr_imm(cx: &mut Ctx, w: u32) -> Flow {
    match (bits(w, 16, 3), bits(w, 5, 3)) {
        (3, 1) => {
            let f = cx.imm(bits(w, 8, 1) as u64);
            cx.b.store_state(off::SSBS, f, Width::W8);
            Flow::Next
        }
        _ => Flow::Unimplemented("MSR (immediate) to a PSTATE field other than SSBS"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::aarch64::{hwcap, HWCAP};

    fn field(v: u64, shift: u32) -> u64 {
        v >> shift & 0xf
    }

    /// The ID register fields and AT_HWCAP say the same thing, field by field as the kernel
    /// derives the hwcaps from them (arm64_elf_hwcaps in arch/arm64/kernel/cpufeature.c).
    #[test]
    fn id_registers_agree_with_hwcap() {
        let has = |bit: u64| HWCAP & bit != 0;
        let isar0 = id_register(6, 0).unwrap();
        let isar1 = id_register(6, 1).unwrap();
        let pfr0 = id_register(4, 0).unwrap();
        let pfr1 = id_register(4, 1).unwrap();
        let checks = [
            ("AES", field(isar0, 4) >= 1, has(hwcap::AES)),
            ("PMULL", field(isar0, 4) >= 2, has(hwcap::PMULL)),
            ("SHA1", field(isar0, 8) >= 1, has(hwcap::SHA1)),
            ("SHA2", field(isar0, 12) >= 1, has(hwcap::SHA2)),
            ("CRC32", field(isar0, 16) >= 1, has(hwcap::CRC32)),
            ("ATOMICS", field(isar0, 20) >= 2, has(hwcap::ATOMICS)),
            ("ASIMDRDM", field(isar0, 28) >= 1, has(hwcap::ASIMDRDM)),
            ("ASIMDDP", field(isar0, 44) >= 1, has(hwcap::ASIMDDP)),
            ("DCPOP", field(isar1, 0) >= 1, has(hwcap::DCPOP)),
            ("LRCPC", field(isar1, 20) >= 1, has(hwcap::LRCPC)),
            ("FP", field(pfr0, 16) != 0xf, has(hwcap::FP)),
            ("FPHP", field(pfr0, 16) == 1, has(hwcap::FPHP)),
            ("ASIMD", field(pfr0, 20) != 0xf, has(hwcap::ASIMD)),
            ("ASIMDHP", field(pfr0, 20) == 1, has(hwcap::ASIMDHP)),
            ("SSBS", field(pfr1, 4) >= 2, has(hwcap::SSBS)),
        ];
        for (name, id, cap) in checks {
            assert_eq!(id, cap, "{name}: ID register field and AT_HWCAP disagree");
        }
        assert!(has(hwcap::CPUID), "the ID registers are emulated: HWCAP_CPUID");
        // Every other field of these registers is one the kernel hides: no stray feature.
        assert_eq!(isar0 & !0x0000_f000_f0ff_fff0, 0);
        assert_eq!(isar1 & !0x00f0_000f, 0);
    }

    #[test]
    fn id_space_is_what_qemu_neoverse_n1_allows() {
        for crm in 0..8 {
            for op2 in 0..8 {
                let defined = matches!((crm, op2), (0, 0) | (0, 5) | (0, 6) | (4..=7, _));
                assert_eq!(id_register(crm, op2).is_some(), defined, "C0_C{crm}_{op2}");
            }
        }
    }
}
