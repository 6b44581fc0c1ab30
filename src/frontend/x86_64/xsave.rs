//! The XSAVE feature set as a user program sees it (Intel SDM Vol. 1 chapter 13): xgetbv,
//! xsave/xsave64 and xrstor/xrstor64 in the standard format, with XCR0 = x87 | SSE | AVX
//! (`state::xsave::FEATURES`, the components the signal frame holds too), and what cpuid
//! leaf 0xD reports of them. Not XSAVEOPT, XSAVEC, XSAVES or xgetbv with ECX = 1 (cpuid leaf
//! 0xD sub-leaf 1 says so: they stay SIGILL).
//!
//! xsave and xrstor are helpers (large, rare: glibc's lazy-binding trampoline, user-space
//! context switches); each checks what the SDM checks before it touches the state and
//! returns non-zero for #GP (SIGSEGV), which the IR turns into the trap:
//! - both: an area not 64-byte aligned;
//! - xrstor: XCOMP_BV bit 63 (the compacted form: XSAVEC is not reported), XSTATE_BV bits
//!   outside XCR0, header bytes 8..24 not zero, an MXCSR image with a reserved bit when
//!   RFBM has SSE or AVX.
//!
//! RFBM = XCR0 & EDX:EAX. xsave writes the components in RFBM (MXCSR when RFBM has SSE or
//! AVX) and sets XSTATE_BV's RFBM bits to XINUSE (a component in its initial configuration
//! reports 0, which the SDM allows either way), leaving the rest of the header and the
//! software bytes as they were; xrstor loads each component in RFBM whose XSTATE_BV bit is
//! set and gives the others in RFBM their initial state, reading only the bytes those
//! components occupy.

use super::state::{fxsave, off, reg, xsave, X86State};
use super::{Ctx, Handler, Unsupported};
use crate::ir::{CmpOp, Exit, GuestAddr, Helper, TrapKind, Width};
use iced_x86::{Instruction, Mnemonic};

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    Some(match m {
        Mnemonic::Xgetbv => xgetbv,
        Mnemonic::Xsave | Mnemonic::Xsave64 => |c, i| call(c, i, SAVE_HELPER),
        Mnemonic::Xrstor | Mnemonic::Xrstor64 => |c, i| call(c, i, RESTORE_HELPER),
        _ => return None,
    })
}

/// What cpuid leaf 0xD sub-leaf `subleaf` reports: the components of XCR0 and the standard
/// area's size (0), no XSAVEOPT/XSAVEC/XGETBV1/XSAVES (1), the AVX component's size and
/// offset (2).
pub fn cpuid_leaf_d(subleaf: u32) -> [u32; 4] {
    let size = xsave::SIZE as u32;
    match subleaf {
        0 => [xsave::FEATURES as u32, size, size, 0],
        2 => [256, xsave::YMM_HI as u32, 0, 0],
        _ => [0; 4],
    }
}

fn gp(ctx: &Ctx) -> Exit {
    Exit::Trap { kind: TrapKind::GeneralProtection, pc: GuestAddr(ctx.pc), message: None }
}

/// xgetbv: edx:eax = XCR0 for ECX = 0; any other ECX is #GP (XCR1, XINUSE, is not reported).
fn xgetbv(ctx: &mut Ctx, _: &Instruction) -> Result<(), Unsupported> {
    let ecx = ctx.read_gpr(reg::RCX, Width::W32);
    let bad = ctx.cmp_imm(CmpOp::Ne, ecx, 0, Width::W32);
    let exit = gp(ctx);
    ctx.exit_if(bad, exit);
    let lo = ctx.constant(xsave::FEATURES & 0xffff_ffff);
    let hi = ctx.constant(xsave::FEATURES >> 32);
    ctx.store_state(off::gpr(reg::RAX), lo, Width::W64);
    ctx.store_state(off::gpr(reg::RDX), hi, Width::W64);
    Ok(())
}

const SAVE_HELPER: Helper = Helper { name: "xsave", func: xsave_helper, touches_memory: true };
const RESTORE_HELPER: Helper = Helper { name: "xrstor", func: xrstor_helper, touches_memory: true };

fn call(ctx: &mut Ctx, insn: &Instruction, helper: Helper) -> Result<(), Unsupported> {
    let addr = ctx.mem_addr(insn)?;
    let fault = ctx.call(helper, &[addr]);
    let bad = ctx.cmp_imm(CmpOp::Ne, fault, 0, Width::W64);
    let exit = gp(ctx);
    ctx.exit_if(bad, exit);
    Ok(())
}

/// The requested-feature bitmap: XCR0 & EDX:EAX.
fn rfbm(st: &X86State) -> u64 {
    (st.gpr[reg::RDX] << 32 | st.gpr[reg::RAX] & 0xffff_ffff) & xsave::FEATURES
}

/// The byte ranges of the area each part of the state occupies: x87 (FCW..FDP and ST0-7),
/// MXCSR with MXCSR_MASK, the XMM registers, the upper ymm halves.
const X87_RANGES: [(usize, usize); 2] = [(0, fxsave::MXCSR), (fxsave::ST, fxsave::XMM)];
const MXCSR_RANGE: (usize, usize) = (fxsave::MXCSR, fxsave::ST);
const XMM_RANGE: (usize, usize) = (fxsave::XMM, fxsave::WRITTEN);
const YMM_RANGE: (usize, usize) = (xsave::YMM_HI, xsave::SIZE);

/// The ranges RFBM `rfbm` covers.
fn ranges(rfbm: u64) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if rfbm & xsave::X87 != 0 {
        out.extend(X87_RANGES);
    }
    if rfbm & (xsave::SSE | xsave::AVX) != 0 {
        out.push(MXCSR_RANGE);
    }
    if rfbm & xsave::SSE != 0 {
        out.push(XMM_RANGE);
    }
    if rfbm & xsave::AVX != 0 {
        out.push(YMM_RANGE);
    }
    out
}

/// XINUSE: the components not in their initial configuration.
fn in_use(st: &X86State) -> u64 {
    let x87_init = st.fpu_cw == 0x37f && st.fpu_sw == 0 && st.fpu_tags == 0 && st.fpr == [[0; 2]; 8];
    let mut bits = 0;
    if !x87_init {
        bits |= xsave::X87;
    }
    if st.xmm != [[0; 2]; 16] {
        bits |= xsave::SSE;
    }
    if st.ymm_hi != [[0; 2]; 16] {
        bits |= xsave::AVX;
    }
    bits
}

/// Reads 8 bytes of guest memory.
///
/// # Safety
/// `addr` is guest memory the instruction reads (a fault there is the guest's).
unsafe fn read_u64(addr: u64) -> u64 {
    // SAFETY: per the contract.
    unsafe { (addr as *const u64).read_unaligned() }
}

/// xsave: 1 (#GP) for a misaligned area, else the RFBM components and XSTATE_BV's RFBM bits.
pub extern "C" fn xsave_helper(state: *mut u8, addr: u64, _: u64, _: u64, _: u64) -> u64 {
    // SAFETY: translated code passes its live X86State.
    let st = unsafe { &*(state as *const X86State) };
    if addr & 63 != 0 {
        return 1;
    }
    let rfbm = rfbm(st);
    let mut area = [0u8; xsave::SIZE];
    st.write_xsave(&mut area);
    for (from, to) in ranges(rfbm) {
        // SAFETY: the instruction writes these bytes of guest memory (identity-mapped); a
        // fault is the guest's.
        unsafe {
            std::ptr::copy_nonoverlapping(area[from..to].as_ptr(), (addr + from as u64) as *mut u8, to - from)
        };
    }
    let at = addr + xsave::XSTATE_BV as u64;
    // SAFETY: the XSTATE_BV field, which the instruction reads and writes.
    unsafe {
        let bv = read_u64(at);
        (at as *mut u64).write_unaligned(bv & !rfbm | in_use(st) & rfbm);
    }
    0
}

/// xrstor (standard form): 1 (#GP) for a misaligned area or a header or MXCSR the SDM
/// refuses, else the RFBM components loaded or initialised.
pub extern "C" fn xrstor_helper(state: *mut u8, addr: u64, _: u64, _: u64, _: u64) -> u64 {
    // SAFETY: translated code passes its live X86State.
    let st = unsafe { &mut *(state as *mut X86State) };
    if addr & 63 != 0 {
        return 1;
    }
    let rfbm = rfbm(st);
    let header = addr + xsave::HEADER as u64;
    // SAFETY: the header, which the instruction reads.
    let (bv, comp, reserved) = unsafe { (read_u64(header), read_u64(header + 8), read_u64(header + 16)) };
    if bv & !xsave::FEATURES != 0 || comp != 0 || reserved != 0 {
        return 1;
    }
    let mut area = [0u8; xsave::SIZE];
    for (from, to) in ranges(rfbm) {
        // SAFETY: the instruction reads these bytes of guest memory; a fault is the guest's.
        unsafe {
            std::ptr::copy_nonoverlapping(
                (addr + from as u64) as *const u8,
                area[from..to].as_mut_ptr(),
                to - from,
            )
        };
    }
    let mxcsr = u32::from_le_bytes(area[fxsave::MXCSR..fxsave::MXCSR + 4].try_into().expect("4 bytes"));
    if rfbm & (xsave::SSE | xsave::AVX) != 0 && mxcsr & !fxsave::MXCSR_MASK_VALUE != 0 {
        return 1;
    }
    // Everything in the area, components outside XSTATE_BV initial; then the RFBM parts.
    area[xsave::XSTATE_BV..xsave::XSTATE_BV + 8].copy_from_slice(&bv.to_le_bytes());
    let mut loaded = st.clone();
    loaded.read_xsave(&area);
    if rfbm & xsave::X87 != 0 {
        (st.fpu_cw, st.fpu_sw, st.fpu_tags, st.fpr) =
            (loaded.fpu_cw, loaded.fpu_sw, loaded.fpu_tags, loaded.fpr);
    }
    if rfbm & (xsave::SSE | xsave::AVX) != 0 {
        st.mxcsr = mxcsr;
    }
    if rfbm & xsave::SSE != 0 {
        st.xmm = loaded.xmm;
    }
    if rfbm & xsave::AVX != 0 {
        st.ymm_hi = loaded.ymm_hi;
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[repr(C, align(64))]
    struct Area([u8; xsave::SIZE]);

    /// xgetbv with ECX = 0 gives XCR0 (7) in edx:eax; ECX = 1 (XINUSE, which cpuid leaf 0xD
    /// sub-leaf 1 does not report) is #GP at the instruction, nothing written. (The native
    /// differential case masks XCR0 to these bits; a processor with XGETBV_ECX1 answers 1.)
    #[test]
    fn xgetbv_reads_xcr0_and_refuses_other_registers() {
        use super::super::testutil::{run, BASE};
        use crate::ir::protocol::ExitReason;
        let xgetbv = [0x0f, 0x01, 0xd0];
        let mut st = X86State::default();
        st.gpr[reg::RAX] = u64::MAX;
        st.gpr[reg::RDX] = u64::MAX;
        run(&xgetbv, &mut st);
        assert_eq!((st.gpr[reg::RAX], st.gpr[reg::RDX]), (7, 0));
        st.gpr[reg::RCX] = 1;
        st.gpr[reg::RAX] = 5;
        let out = run(&xgetbv, &mut st);
        assert_eq!(
            (out.reason, out.trap, out.next_pc),
            (ExitReason::Trap, Some(TrapKind::GeneralProtection), GuestAddr(BASE))
        );
        assert_eq!(st.gpr[reg::RAX], 5);
    }

    /// xsave of RFBM = SSE | AVX leaves the x87 bytes and the software bytes alone; xrstor of
    /// the area into another state restores those components and initialises an AVX state
    /// whose XSTATE_BV bit is clear; misaligned areas and bad headers are #GP.
    #[test]
    fn save_and_restore_follow_rfbm_and_xstate_bv() {
        let mut st = X86State { mxcsr: 0x1fa0, fpu_cw: 0x27f, ..Default::default() };
        st.xmm[3] = [1, 2];
        st.ymm_hi[7] = [3, 4];
        st.gpr[reg::RAX] = 6;
        let mut area = Area([0xa5; xsave::SIZE]);
        area.0[xsave::HEADER..xsave::YMM_HI].fill(0);
        let save = |st: &mut X86State, area: &mut Area, off: u64| {
            xsave_helper(st as *mut X86State as *mut u8, area.0.as_mut_ptr() as u64 + off, 0, 0, 0)
        };
        let restore = |st: &mut X86State, area: &mut Area| {
            xrstor_helper(st as *mut X86State as *mut u8, area.0.as_mut_ptr() as u64, 0, 0, 0)
        };
        assert_eq!(save(&mut st, &mut area, 16), 1);
        assert_eq!(save(&mut st, &mut area, 0), 0);
        assert_eq!(area.0[..2], [0xa5, 0xa5], "x87 not in RFBM");
        assert_eq!(area.0[fxsave::MXCSR..fxsave::MXCSR + 4], 0x1fa0u32.to_le_bytes());
        assert_eq!(area.0[xsave::XSTATE_BV], 6);
        assert_eq!(area.0[500], 0xa5);
        let mut back = X86State::default();
        back.gpr[reg::RAX] = 7;
        back.ymm_hi[1] = [9, 9];
        // x87 in RFBM but not in XSTATE_BV: initialised.
        back.fpu_cw = 0x7f;
        assert_eq!(restore(&mut back, &mut area), 0);
        assert_eq!(
            (back.xmm[3], back.ymm_hi[7], back.ymm_hi[1], back.mxcsr),
            ([1, 2], [3, 4], [0, 0], 0x1fa0)
        );
        assert_eq!(back.fpu_cw, 0x37f);
        area.0[xsave::XSTATE_BV] = 2;
        back.ymm_hi[1] = [9, 9];
        assert_eq!(restore(&mut back, &mut area), 0);
        assert_eq!(back.ymm_hi, [[0; 2]; 16], "AVX not in XSTATE_BV: initial");
        for (at, v) in [(xsave::XSTATE_BV, 8u8), (xsave::XCOMP_BV + 7, 0x80), (xsave::HEADER + 16, 1)] {
            let old = area.0[at];
            area.0[at] = v;
            assert_eq!(restore(&mut back, &mut area), 1, "header byte {at}");
            area.0[at] = old;
        }
        area.0[fxsave::MXCSR + 2] = 1;
        assert_eq!(restore(&mut back, &mut area), 1, "MXCSR reserved bit");
        back.gpr[reg::RAX] = 1;
        assert_eq!(restore(&mut back, &mut area), 0, "MXCSR not loaded for RFBM = x87");
    }
}
