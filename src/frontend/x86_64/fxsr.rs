//! fxsave/fxrstor (and their REX.W forms fxsave64/fxrstor64): the x87, MXCSR and XMM state to
//! and from the 512-byte FXSAVE image whose layout is [`super::state::fxsave`].
//!
//! Both checks the SDM makes before touching memory are IR: a memory operand that is not
//! 16-byte aligned, and (fxrstor) an MXCSR image with a reserved bit set, raise #GP, which
//! Linux reports as SIGSEGV. The image itself is built or read by a helper: it is large, rare
//! (ld.so's lazy-binding trampoline, context switches in user-space threading) and needs the
//! x87 stack rotated by TOP.
//!
//! The two operand sizes differ only in how FIP and FDP are stored (64-bit offsets, or 32-bit
//! offsets with selectors); xlate keeps neither and stores zeros there, so their images agree.

use super::state::{fxsave, X86State};
use super::{Ctx, Handler, Unsupported};
use crate::ir::{BinOp, CmpOp, Exit, GuestAddr, Helper, TrapKind, Width};
use iced_x86::{Instruction, Mnemonic};

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    Some(match m {
        Mnemonic::Fxsave | Mnemonic::Fxsave64 => save,
        Mnemonic::Fxrstor | Mnemonic::Fxrstor64 => restore,
        _ => return None,
    })
}

const SAVE_HELPER: Helper = Helper { name: "fxsave", func: fxsave_helper, touches_memory: true };
const RESTORE_HELPER: Helper = Helper { name: "fxrstor", func: fxrstor_helper, touches_memory: true };

fn save(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let addr = ctx.sse_mem_addr(insn, true)?;
    ctx.call_void(SAVE_HELPER, &[addr]);
    Ok(())
}

fn restore(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let addr = ctx.sse_mem_addr(insn, true)?;
    let at = ctx.bin_imm(BinOp::Add, addr, fxsave::MXCSR as u64, Width::W64);
    let mxcsr = ctx.load(at, Width::W32);
    let reserved = ctx.bin_imm(BinOp::And, mxcsr, !u64::from(fxsave::MXCSR_MASK_VALUE), Width::W32);
    let bad = ctx.cmp_imm(CmpOp::Ne, reserved, 0, Width::W32);
    let exit = Exit::Trap { kind: TrapKind::GeneralProtection, pc: GuestAddr(ctx.pc), message: None };
    ctx.exit_if(bad, exit);
    ctx.call_void(RESTORE_HELPER, &[addr]);
    Ok(())
}

/// fxsave: the image of the state into guest memory at `addr` (16-aligned; checked).
pub extern "C" fn fxsave_helper(state: *mut u8, addr: u64, _: u64, _: u64, _: u64) -> u64 {
    // SAFETY: translated code passes its live X86State.
    let st = unsafe { &*(state as *const X86State) };
    let mut image = [0u8; fxsave::SIZE];
    st.write_fxsave(&mut image);
    let addr = crate::memory::helper_address(addr, fxsave::WRITTEN as u64, 48);
    // SAFETY: guest memory is identity-mapped; an unwritable address faults here as the
    // guest's store would (a fault in a helper is the guest's fault). Only the bytes FXSAVE
    // writes are written.
    unsafe { std::ptr::copy_nonoverlapping(image.as_ptr(), addr as *mut u8, fxsave::WRITTEN) };
    0
}

/// fxrstor: the state from the image at guest address `addr` (16-aligned, MXCSR checked).
pub extern "C" fn fxrstor_helper(state: *mut u8, addr: u64, _: u64, _: u64, _: u64) -> u64 {
    // SAFETY: translated code passes its live X86State.
    let st = unsafe { &mut *(state as *mut X86State) };
    let mut image = [0u8; fxsave::SIZE];
    let addr = crate::memory::helper_address(addr, fxsave::WRITTEN as u64, 48);
    // SAFETY: guest memory is identity-mapped; an unreadable address faults here as the
    // guest's load would. Bytes from WRITTEN on are not part of the state.
    unsafe { std::ptr::copy_nonoverlapping(addr as *const u8, image.as_mut_ptr(), fxsave::WRITTEN) };
    st.read_fxsave(&image);
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_round_trips_through_the_state() {
        let mut st = X86State { fpu_sw: 5 << 11 | 0x41, fpu_tags: 0b1110_0000, ..Default::default() };
        st.fpr[5] = [0x8000_0000_0000_0001, 0x3fff];
        st.fpr[6] = [0xc90f_daa2_2168_c235, 0x4000];
        st.xmm[15] = [1, 2];
        st.mxcsr = 0x9fc0;
        let mut image = [0xa5u8; fxsave::SIZE];
        st.write_fxsave(&mut image);
        // ST0 is physical register TOP (5); its reserved bytes are zero.
        assert_eq!(
            image[fxsave::ST..fxsave::ST + 16],
            [1, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(image[fxsave::FTW], 0b1110_0000);
        assert_eq!(image[fxsave::WRITTEN..], [0xa5; fxsave::SIZE - fxsave::WRITTEN]);
        let mut back = X86State::default();
        back.read_fxsave(&image);
        assert_eq!(
            (back.fpu_sw, back.fpu_tags, back.fpr, back.xmm, back.mxcsr),
            (st.fpu_sw, st.fpu_tags, st.fpr, st.xmm, st.mxcsr)
        );
    }
}
