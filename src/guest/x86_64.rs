//! The x86-64 guest: [`X86State`] and [`X86Frontend`], the x86-64 Linux syscall ABI
//! ([`crate::syscall::abi::x86_64`] for numbers and layouts; the register convention below),
//! and what the loader tells the program about its CPU.

use super::{Guest, GuestInfo, LinuxGuest};
use crate::frontend::x86_64::state::reg;
use crate::frontend::x86_64::{X86Frontend, X86State, CPUID_1_EDX, ISA_NAME};
use crate::ir::protocol::StateHeader;
use crate::ir::GuestAddr;
use crate::syscall::abi::x86_64::{INFO as ABI, X86_64};
use crate::syscall::{GuestRegs, Segment};

/// The x86-64 guest.
pub struct X86_64Guest;

/// The description of the x86-64 guest. AT_HWCAP is CPUID.1:EDX, as Linux reports it on
/// x86-64: the features the frontend implements, which its cpuid also reports.
pub static INFO: GuestInfo = GuestInfo {
    name: ISA_NAME,
    elf_machine: object::elf::EM_X86_64,
    hwcap: (CPUID_1_EDX as u64, 0),
    abi: &ABI,
};

impl Guest for X86_64Guest {
    type State = X86State;
    type Frontend = X86Frontend;

    fn frontend() -> X86Frontend {
        X86Frontend::new()
    }

    fn initial_state(pc: GuestAddr, sp: u64) -> X86State {
        // Default: GPRs zero, flags clear (RFLAGS 0x202: only the reserved bit and IF, which we
        // do not model), MXCSR 0x1f80, x87 control word 0x37f.
        let mut state = X86State::default();
        state.header.next_pc = pc.0;
        state.rip = pc.0;
        state.gpr[reg::RSP] = sp;
        state
    }

    fn pc(state: &X86State) -> GuestAddr {
        GuestAddr(state.header.next_pc)
    }

    fn set_pc(state: &mut X86State, pc: GuestAddr) {
        state.header.next_pc = pc.0;
        state.rip = pc.0;
    }

    fn header(state: &mut X86State) -> &mut StateHeader {
        &mut state.header
    }
}

impl LinuxGuest for X86_64Guest {
    type Abi = X86_64;
    const INFO: &'static GuestInfo = &INFO;
}

/// The x86-64 syscall convention: `syscall` with the number in rax, arguments in rdi, rsi,
/// rdx, r10, r8, r9, the result in rax.
impl GuestRegs for X86State {
    fn syscall_number(&self) -> u64 {
        self.gpr[reg::RAX]
    }

    fn syscall_args(&self) -> [u64; 6] {
        let g = &self.gpr;
        [g[reg::RDI], g[reg::RSI], g[reg::RDX], g[reg::R10], g[reg::R8], g[reg::R9]]
    }

    /// The `syscall` instruction itself leaves the return address in rcx and RFLAGS in r11
    /// (Intel SDM, SYSCALL), and the kernel returns with them unchanged. User code always runs
    /// with IF (bit 9) set, so r11 has it too.
    fn set_syscall_result(&mut self, value: u64) {
        const RFLAGS_IF: u64 = 1 << 9;
        self.gpr[reg::RAX] = value;
        self.gpr[reg::RCX] = self.rip;
        self.gpr[reg::R11] = self.rflags() | RFLAGS_IF;
    }

    fn segment_base(&mut self, segment: Segment) -> Option<&mut u64> {
        Some(match segment {
            Segment::Fs => &mut self.fs_base,
            Segment::Gs => &mut self.gs_base,
        })
    }

    fn set_stack_pointer(&mut self, sp: u64) {
        self.gpr[reg::RSP] = sp;
    }
}
