//! The AArch64 guest: [`A64State`] and [`A64Frontend`], the asm-generic Linux syscall ABI
//! ([`crate::syscall::abi::aarch64`] for numbers and layouts; the register convention below),
//! and what the loader tells the program about its CPU.

use super::{Guest, GuestInfo, LinuxGuest};
use crate::frontend::aarch64::{A64Frontend, A64State, HWCAP, ISA_NAME};
use crate::ir::protocol::StateHeader;
use crate::ir::GuestAddr;
use crate::syscall::abi::aarch64::{Aarch64, INFO as ABI};
use crate::syscall::{GuestRegs, Segment};

/// The AArch64 guest.
pub struct Aarch64Guest;

/// The description of the AArch64 guest.
pub static INFO: GuestInfo =
    GuestInfo { name: ISA_NAME, elf_machine: object::elf::EM_AARCH64, hwcap: (HWCAP, 0), abi: &ABI };

impl Guest for Aarch64Guest {
    type State = A64State;
    type Frontend = A64Frontend;

    fn frontend() -> A64Frontend {
        A64Frontend::new()
    }

    fn initial_state(pc: GuestAddr, sp: u64) -> A64State {
        // Linux arm64 starts a process with every register zero (x0 is not an atexit
        // pointer for static binaries), FPCR 0 and the given stack pointer.
        A64State { sp, pc: pc.0, ..A64State::default() }
    }

    fn pc(state: &A64State) -> GuestAddr {
        GuestAddr(state.pc)
    }

    fn set_pc(state: &mut A64State, pc: GuestAddr) {
        state.pc = pc.0;
    }

    fn header(state: &mut A64State) -> &mut StateHeader {
        &mut state.header
    }
}

impl LinuxGuest for Aarch64Guest {
    type Abi = Aarch64;
    const INFO: &'static GuestInfo = &INFO;
}

/// The AArch64 syscall convention: `svc #0` with the number in x8, arguments in x0..x5, the
/// result in x0. Nothing else changes (the kernel preserves every other register).
impl GuestRegs for A64State {
    fn syscall_number(&self) -> u64 {
        self.x[8]
    }

    fn syscall_args(&self) -> [u64; 6] {
        [self.x[0], self.x[1], self.x[2], self.x[3], self.x[4], self.x[5]]
    }

    fn set_syscall_result(&mut self, value: u64) {
        self.x[0] = value;
    }

    /// AArch64 has no segment registers (its thread pointer is TPIDR_EL0, written by `msr`).
    fn segment_base(&mut self, _segment: Segment) -> Option<&mut u64> {
        None
    }

    fn set_stack_pointer(&mut self, sp: u64) {
        self.sp = sp;
    }
}
