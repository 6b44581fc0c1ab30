//! System and miscellaneous instructions: cpuid, rdtsc, syscall, int 0x80 and int n, int3,
//! ud2, the privileged and I/O instructions (hlt, cli, in, rdmsr, lgdt, mov to cr, ...), fences,
//! clflush, stmxcsr/ldmxcsr, fnstcw/fldcw, fwait. (nop and pause are in `mov`; the multi-byte
//! nops, endbr64 and the prefetches in `nop_space`.)
//!
//! cpuid reports exactly what xlate implements (the bit constants live in the parent module
//! next to the families that implement them), as a "GenuineIntel" CPU so that glibc takes its
//! Intel path for cache sizes: leaf 2 says "see leaf 4", and leaf 4 describes a plausible
//! 32K L1d / 32K L1i / 1M L2 / 8M L3 hierarchy that glibc's memcpy tunables are derived from.

use super::state::{off, reg};
use super::{Ctx, Handler, Unsupported};
use crate::frontend::x86_64::X86State;
use crate::ir::{BinOp, CmpOp, Exit, GuestAddr, Helper, TrapKind, Width};
use iced_x86::{Code, Instruction, Mnemonic};

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    Some(match m {
        Mnemonic::Cpuid => |c, _| {
            c.call_void(CPUID_HELPER, &[]);
            Ok(())
        },
        Mnemonic::Rdtsc => |c, _| {
            c.call_void(RDTSC_HELPER, &[]);
            Ok(())
        },
        Mnemonic::Syscall => syscall,
        Mnemonic::Int3 => |c, _| trap(c, TrapKind::Breakpoint),
        Mnemonic::Ud2 => |c, _| trap(c, TrapKind::IllegalInstruction),
        // Privileged (CPL 0) and I/O instructions (IOPL 0 in user mode): #GP, which Linux
        // reports as SIGSEGV SI_KERNEL with no address.
        Mnemonic::Hlt
        | Mnemonic::Cli
        | Mnemonic::Sti
        | Mnemonic::In
        | Mnemonic::Out
        | Mnemonic::Insb
        | Mnemonic::Insw
        | Mnemonic::Insd
        | Mnemonic::Outsb
        | Mnemonic::Outsw
        | Mnemonic::Outsd
        | Mnemonic::Rdmsr
        | Mnemonic::Wrmsr
        | Mnemonic::Lgdt
        | Mnemonic::Lidt
        | Mnemonic::Lldt
        | Mnemonic::Ltr
        | Mnemonic::Lmsw
        | Mnemonic::Invlpg
        | Mnemonic::Invd
        | Mnemonic::Wbinvd
        | Mnemonic::Clts
        | Mnemonic::Swapgs
        | Mnemonic::Sysret
        | Mnemonic::Sysexit => |c, _| trap(c, TrapKind::GeneralProtection),
        Mnemonic::Int => int,
        Mnemonic::Lfence | Mnemonic::Sfence | Mnemonic::Mfence => |c, _| {
            c.fence();
            Ok(())
        },
        Mnemonic::Clflush => clflush,
        Mnemonic::Stmxcsr => stmxcsr,
        Mnemonic::Ldmxcsr => ldmxcsr,
        Mnemonic::Fnstcw => fnstcw,
        // fwait: xlate has no x87 arithmetic, so no x87 exception is ever pending.
        Mnemonic::Wait => |_, _| Ok(()),
        Mnemonic::Fldcw => fldcw,
        _ => return None,
    })
}

/// mov to or from a control or debug register: privileged, #GP in user mode.
pub fn is_privileged_mov(insn: &Instruction) -> bool {
    matches!(insn.code(), Code::Mov_r64_cr | Code::Mov_cr_r64 | Code::Mov_r64_dr | Code::Mov_dr_r64)
}

/// #GP at this instruction (see [`is_privileged_mov`]).
pub fn general_protection(ctx: &mut Ctx, _: &Instruction) -> Result<(), Unsupported> {
    trap(ctx, TrapKind::GeneralProtection)
}

/// `int n`: vector 0x80 is the 32-bit system call entry, which Linux leaves open to user mode
/// in 64-bit processes too: the ia32 call runs (`syscall::abi::ia32`), changing only rax. Every
/// other vector's gate is kernel-only: #GP (SIGSEGV SI_KERNEL, no address). (int3 and int1
/// have their own mnemonics.)
fn int(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    if insn.immediate8() != 0x80 {
        return trap(ctx, TrapKind::GeneralProtection);
    }
    let one = ctx.constant(1);
    ctx.store_state(off::IA32_SYSCALL, one, Width::W8);
    ctx.exit = Some(Exit::Syscall { next: GuestAddr(ctx.next_pc) });
    Ok(())
}

/// Ends the block with a trap at this instruction.
fn trap(ctx: &mut Ctx, kind: TrapKind) -> Result<(), Unsupported> {
    ctx.exit = Some(Exit::Trap { kind, pc: GuestAddr(ctx.pc), message: None });
    Ok(())
}

/// syscall: rcx = the next rip, r11 = RFLAGS (IF set, as in user mode), then the syscall
/// layer takes over and execution continues at the next instruction.
fn syscall(ctx: &mut Ctx, _: &Instruction) -> Result<(), Unsupported> {
    let next = ctx.next_pc;
    let rip = ctx.constant(next);
    ctx.store_state(off::gpr(reg::RCX), rip, Width::W64);
    // RFLAGS: reserved bit 1 and IF, plus each flag at its position.
    let mut rflags = ctx.constant(0x202);
    for (bit, slot) in
        [(0, off::CF), (2, off::PF), (4, off::AF), (6, off::ZF), (7, off::SF), (10, off::DF), (11, off::OF)]
    {
        let f = ctx.load_state(slot, Width::W8);
        let f = ctx.bin_imm(BinOp::Shl, f, bit, Width::W64);
        rflags = ctx.bin(BinOp::Or, rflags, f, Width::W64);
    }
    ctx.store_state(off::gpr(reg::R11), rflags, Width::W64);
    ctx.exit = Some(Exit::Syscall { next: GuestAddr(next) });
    Ok(())
}

/// clflush m8: no cache to flush; the access still faults on a bad address, so load a byte.
fn clflush(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let addr = ctx.mem_addr(insn)?;
    ctx.load(addr, Width::W8);
    ctx.fence();
    Ok(())
}

fn stmxcsr(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let addr = ctx.mem_addr(insn)?;
    let v = ctx.load_state(off::MXCSR, Width::W32);
    ctx.store(addr, v, Width::W32);
    Ok(())
}

/// ldmxcsr m32: setting a reserved bit (16-31) raises #GP (SIGSEGV).
fn ldmxcsr(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let addr = ctx.mem_addr(insn)?;
    let v = ctx.load(addr, Width::W32);
    let reserved = ctx.bin_imm(BinOp::Lshr, v, 16, Width::W32);
    let bad = ctx.cmp_imm(CmpOp::Ne, reserved, 0, Width::W32);
    let exit = Exit::Trap { kind: TrapKind::GeneralProtection, pc: GuestAddr(ctx.pc), message: None };
    ctx.exit_if(bad, exit);
    ctx.store_state(off::MXCSR, v, Width::W32);
    Ok(())
}

/// fnstcw m16 (fstcw is fwait + fnstcw): the stored x87 control word (xlate has no x87 arithmetic; the word is
/// kept so that code saving and restoring it sees its own value).
fn fnstcw(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    if insn.code() != Code::Fnstcw_m2byte {
        return Err(Unsupported);
    }
    let addr = ctx.mem_addr(insn)?;
    let v = ctx.load_state(off::FPU_CW, Width::W16);
    ctx.store(addr, v, Width::W16);
    Ok(())
}

fn fldcw(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let addr = ctx.mem_addr(insn)?;
    let v = ctx.load(addr, Width::W16);
    ctx.store_state(off::FPU_CW, v, Width::W16);
    Ok(())
}

const CPUID_HELPER: Helper = Helper { name: "cpuid", func: cpuid_helper, touches_memory: false };
const RDTSC_HELPER: Helper = Helper { name: "rdtsc", func: rdtsc_helper, touches_memory: false };

/// Leaf 1 ECX bit 13: cmpxchg16b (implemented in `atomic`).
pub const CPUID_1_ECX_CX16: u32 = 1 << 13;
/// Leaf 0x8000_0001 ECX bit 0: lahf/sahf in 64-bit mode (implemented in `mov`).
pub const LAHF_LM: u32 = 1;
/// Highest basic leaf reported.
const MAX_BASIC_LEAF: u32 = 0xd;
/// Highest extended leaf reported.
const MAX_EXT_LEAF: u32 = 0x8000_0008;

/// Packs 4 ASCII bytes as cpuid returns them (first byte lowest).
const fn ascii(s: &[u8; 4]) -> u32 {
    u32::from_le_bytes(*s)
}

/// A leaf-4 cache descriptor: (type, level, ways, sets, threads sharing) with 64-byte lines.
const fn cache_leaf(kind: u32, level: u32, ways: u32, sets: u32, sharing: u32) -> [u32; 4] {
    [kind | level << 5 | 1 << 8 | (sharing - 1) << 14, (ways - 1) << 22 | 63, sets - 1, 0]
}

/// The cpuid result (eax, ebx, ecx, edx) for `leaf`/`subleaf`. Leaves above the maximum
/// return zeros.
pub fn cpuid(leaf: u32, subleaf: u32) -> [u32; 4] {
    const BRAND: &[u8; 48] = b"xlate x86-64-v3 translated CPU\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
    let brand = |i: usize| -> [u32; 4] {
        let b = &BRAND[16 * i..16 * i + 16];
        [0, 1, 2, 3].map(|k| u32::from_le_bytes([b[4 * k], b[4 * k + 1], b[4 * k + 2], b[4 * k + 3]]))
    };
    match leaf {
        0 => [MAX_BASIC_LEAF, ascii(b"Genu"), ascii(b"ntel"), ascii(b"ineI")],
        // Family 6 model 0x3a stepping 9; 64-byte clflush line, one logical processor.
        1 => [0x0003_06a9, 8 << 8 | 1 << 16, super::CPUID_1_ECX | CPUID_1_ECX_CX16, super::CPUID_1_EDX],
        // One round; descriptor 0xff: "use leaf 4".
        2 => [0x0000_ff01, 0, 0, 0],
        4 => match subleaf {
            0 => cache_leaf(1, 1, 8, 64, 1),
            1 => cache_leaf(2, 1, 8, 64, 1),
            2 => cache_leaf(3, 2, 16, 1024, 1),
            3 => cache_leaf(3, 3, 16, 8192, 16),
            _ => [0; 4],
        },
        7 if subleaf == 0 => [0, super::CPUID_7_EBX, 0, 0],
        // XSAVE: the components of XCR0 and their layout (`xsave`).
        0xd => super::xsave::cpuid_leaf_d(subleaf),
        0x8000_0000 => [MAX_EXT_LEAF, 0, 0, 0],
        // LAHF/LZCNT as implemented; SYSCALL, NX, long mode.
        0x8000_0001 => [0, 0, super::CPUID_80000001_ECX | LAHF_LM, 1 << 11 | 1 << 20 | 1 << 29],
        0x8000_0002 => brand(0),
        0x8000_0003 => brand(1),
        0x8000_0004 => brand(2),
        // L2: 1024 KB, 8-way (code 6), 64-byte lines.
        0x8000_0006 => [0, 0, 1024 << 16 | 6 << 12 | 64, 0],
        // 39 physical, 48 virtual address bits.
        0x8000_0008 => [0x3027, 0, 0, 0],
        _ => [0; 4],
    }
}

/// cpuid: eax/ebx/ecx/edx from leaf eax and subleaf ecx (32-bit writes zero the upper halves).
pub extern "C" fn cpuid_helper(state: *mut u8, _: u64, _: u64, _: u64, _: u64) -> u64 {
    // SAFETY: translated code passes its live X86State.
    let st = unsafe { &mut *(state as *mut X86State) };
    let r = cpuid(st.gpr[reg::RAX] as u32, st.gpr[reg::RCX] as u32);
    st.gpr[reg::RAX] = r[0] as u64;
    st.gpr[reg::RBX] = r[1] as u64;
    st.gpr[reg::RCX] = r[2] as u64;
    st.gpr[reg::RDX] = r[3] as u64;
    0
}

/// rdtsc: edx:eax = a time stamp counter, here the host's monotonic clock in nanoseconds (a
/// 1 GHz TSC that never goes backwards).
pub extern "C" fn rdtsc_helper(state: *mut u8, _: u64, _: u64, _: u64, _: u64) -> u64 {
    // SAFETY: translated code passes its live X86State.
    let st = unsafe { &mut *(state as *mut X86State) };
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    let t = (ts.tv_sec as u64).wrapping_mul(1_000_000_000).wrapping_add(ts.tv_nsec as u64);
    st.gpr[reg::RAX] = t & 0xffff_ffff;
    st.gpr[reg::RDX] = t >> 32;
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::{Frontend, SliceCode};

    #[test]
    fn cpuid_reports_intel_with_x86_64_v3() {
        let v = cpuid(0, 0);
        let vendor: Vec<u8> = [v[1], v[3], v[2]].iter().flat_map(|r| r.to_le_bytes()).collect();
        assert_eq!(&vendor, b"GenuineIntel");
        let l1 = cpuid(1, 0);
        assert_ne!(l1[3] & (1 << 26), 0, "SSE2");
        assert_eq!(l1[2] & (1 << 28 | 1 << 27), 1 << 28 | 1 << 27, "AVX, OSXSAVE");
        assert_eq!(l1[2] & (1 << 3), 0, "no MONITOR");
        // Leaf 4: L1d is 32 KiB.
        let c = cpuid(4, 0);
        let size = ((c[1] >> 22) + 1) * ((c[1] >> 12 & 0x3ff) + 1) * ((c[1] & 0xfff) + 1) * (c[2] + 1);
        assert_eq!(size, 32 * 1024);
        assert_eq!(cpuid(4, 4)[0] & 31, 0, "leaf 4 ends");
    }

    /// The extensions are reported exactly as implemented: SSE3, SSSE3, FMA, SSE4.1, SSE4.2,
    /// MOVBE, POPCNT, CX16, XSAVE, OSXSAVE, AVX, F16C, RDRAND (leaf 1 ECX), BMI1, AVX2, BMI2,
    /// RDSEED, ADX (leaf 7 EBX), LZCNT (0x8000_0001 ECX); not AES, PCLMULQDQ, AVX-512.
    #[test]
    fn cpuid_reports_x86_64_v3_and_the_scalar_extensions() {
        let ecx = cpuid(1, 0)[2];
        for (bit, name) in [
            (0, "SSE3"),
            (9, "SSSE3"),
            (12, "FMA"),
            (19, "SSE4.1"),
            (20, "SSE4.2"),
            (22, "MOVBE"),
            (23, "POPCNT"),
            (13, "CX16"),
            (26, "XSAVE"),
            (27, "OSXSAVE"),
            (28, "AVX"),
            (29, "F16C"),
            (30, "RDRAND"),
        ] {
            assert_ne!(ecx & 1 << bit, 0, "{name}");
        }
        for (bit, name) in [(1, "PCLMULQDQ"), (3, "MONITOR"), (25, "AES")] {
            assert_eq!(ecx & 1 << bit, 0, "{name}");
        }
        let ebx = cpuid(7, 0)[1];
        assert_eq!(
            ebx,
            1 << 3 | 1 << 5 | 1 << 8 | 1 << 18 | 1 << 19,
            "BMI1, AVX2, BMI2, RDSEED, ADX and nothing else (no AVX-512)"
        );
        assert_ne!(cpuid(0x8000_0001, 0)[2] & 1 << 5, 0, "LZCNT");
    }

    /// Leaf 0xD agrees with XCR0 (x87, SSE, AVX) and with the standard-format area of the
    /// signal frame: 832 bytes, the upper ymm halves 256 bytes at 576; sub-leaf 1 reports no
    /// XSAVEOPT, XSAVEC, XGETBV with ECX = 1 or XSAVES.
    #[test]
    fn cpuid_leaf_d_describes_the_xsave_area() {
        use super::super::state::xsave;
        assert_eq!(cpuid(0xd, 0), [7, 832, 832, 0]);
        assert_eq!(xsave::SIZE, 832);
        assert_eq!(cpuid(0xd, 1), [0; 4]);
        assert_eq!(cpuid(0xd, 2), [256, 576, 0, 0]);
        assert_eq!(cpuid(0xd, 3), [0; 4]);
    }

    /// The reserved-NOP space executes as on a processor without CET and MPX (`nop_space`):
    /// cpuid must say so. Leaf 7: EBX bit 14 MPX, ECX bit 7 CET_SS, EDX bit 20 CET_IBT; leaf
    /// 0xD has no MPX (3, 4) or CET (11, 12) components.
    #[test]
    fn cpuid_advertises_neither_cet_nor_mpx() {
        let l7 = cpuid(7, 0);
        assert_eq!(l7[1] & (1 << 14), 0, "MPX");
        assert_eq!(l7[2] & (1 << 7), 0, "CET_SS");
        assert_eq!(l7[3] & (1 << 20), 0, "CET_IBT");
        assert_eq!(cpuid(0xd, 0)[0] & (1 << 3 | 1 << 4 | 1 << 11 | 1 << 12), 0);
        for sub in [3, 4, 11, 12] {
            assert_eq!(cpuid(0xd, sub), [0; 4]);
        }
    }

    #[test]
    fn syscall_sets_rcx_r11_and_exits() {
        let code = [0x0f, 0x05];
        let src = SliceCode { base: GuestAddr(0x1000), bytes: &code };
        let block = super::super::X86Frontend::new().translate(&src, GuestAddr(0x1000));
        assert_eq!(block.exit, Exit::Syscall { next: GuestAddr(0x1002) });
        let mut st = X86State { cf: 1, zf: 1, ..Default::default() };
        // SAFETY: the block touches only the state.
        unsafe { crate::ir::interp::run_block(&block, &mut st as *mut X86State as *mut u8) };
        assert_eq!(st.gpr[reg::RCX], 0x1002);
        assert_eq!(st.gpr[reg::R11], 0x202 | 1 | 1 << 6);
    }

    #[test]
    fn hlt_traps_and_cpuid_runs() {
        let code = [0xf4];
        let src = SliceCode { base: GuestAddr(0x1000), bytes: &code };
        let block = super::super::X86Frontend::new().translate(&src, GuestAddr(0x1000));
        assert_eq!(
            block.exit,
            Exit::Trap { kind: TrapKind::GeneralProtection, pc: GuestAddr(0x1000), message: None }
        );
        let code = [0x0f, 0xa2];
        let src = SliceCode { base: GuestAddr(0x1000), bytes: &code };
        let block = super::super::X86Frontend::new().translate(&src, GuestAddr(0x1000));
        let mut st = X86State::default();
        st.gpr[reg::RAX] = 0xffff_ffff_0000_0001;
        // SAFETY: the block touches only the state.
        unsafe { crate::ir::interp::run_block(&block, &mut st as *mut X86State as *mut u8) };
        assert_eq!(st.gpr[reg::RDX], super::super::CPUID_1_EDX as u64);
        assert_eq!(st.gpr[reg::RCX], (super::super::CPUID_1_ECX | CPUID_1_ECX_CX16) as u64);
    }

    /// Privileged and I/O instructions, mov to/from cr/dr and `int n` (n != 0x80) are #GP at
    /// the instruction; `int 0x80` marks the ia32 call and leaves by the syscall exit,
    /// changing no register itself.
    #[test]
    fn privileged_instructions_trap_and_int80_is_a_syscall() {
        let gp = |code: &[u8]| {
            let src = SliceCode { base: GuestAddr(0x1000), bytes: code };
            let block = super::super::X86Frontend::new().translate(&src, GuestAddr(0x1000));
            assert_eq!(
                block.exit,
                Exit::Trap { kind: TrapKind::GeneralProtection, pc: GuestAddr(0x1000), message: None },
                "{code:02x?}"
            );
        };
        for code in [
            &[0xfa][..],         // cli
            &[0xfb],             // sti
            &[0xec],             // in al, dx
            &[0xe6, 0x80],       // out 0x80, al
            &[0x0f, 0x32],       // rdmsr
            &[0x0f, 0x30],       // wrmsr
            &[0x0f, 0x01, 0x10], // lgdt [rax]
            &[0x0f, 0x01, 0x38], // invlpg [rax]
            &[0x0f, 0x20, 0xc0], // mov rax, cr0
            &[0x0f, 0x22, 0xd8], // mov cr3, rax
            &[0x0f, 0x21, 0xf8], // mov rax, dr7
            &[0x0f, 0x09],       // wbinvd
            &[0xcd, 0x21],       // int 0x21
        ] {
            gp(code);
        }
        let code = [0xcd, 0x80];
        let src = SliceCode { base: GuestAddr(0x1000), bytes: &code };
        let block = super::super::X86Frontend::new().translate(&src, GuestAddr(0x1000));
        assert_eq!(block.exit, Exit::Syscall { next: GuestAddr(0x1002) });
        let mut st = X86State::default();
        st.gpr[reg::RCX] = 7;
        // SAFETY: the block touches only the state.
        unsafe { crate::ir::interp::run_block(&block, &mut st as *mut X86State as *mut u8) };
        assert_eq!(st.ia32_syscall, 1);
        assert_eq!(st.gpr[reg::RCX], 7, "int 0x80 is not syscall: rcx is kept");
    }
}
