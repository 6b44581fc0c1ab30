//! The guests: one description per guest ISA, tying together everything xlate knows about it.
//!
//! A guest ISA is its state struct and frontend (from [`crate::frontend`]), its Linux syscall
//! ABI (the number table and struct layouts in [`crate::syscall::abi`], the register
//! convention here), and the facts the loader writes into the initial stack (ELF machine,
//! AT_PLATFORM, AT_HWCAP, AT_MINSIGSTKSZ). Each guest has one module here ([`x86_64`],
//! [`aarch64`]) that implements [`Guest`] and holds its [`GuestInfo`]; [`GuestArch`] lists the
//! guests, and is the only place that matches over them. Adding a guest ISA adds its frontend,
//! its syscall table, a module here and a [`GuestArch`] variant; nothing else branches on the
//! guest.
//!
//! This layer sits above the frontends and the syscall layer (it implements their traits for
//! its state types) and below the loader and the runtime (which read the descriptions).

pub mod aarch64;
pub mod sigframe;
pub mod x86_64;

use crate::frontend::Frontend;
use crate::ir::protocol::StateHeader;
use crate::ir::{GuestAddr, TrapKind};
use crate::memory::code::CodeSource;
use crate::syscall::{AbiInfo, GuestAbi, GuestRegs};

/// A guest ISA as the dispatcher and the syscall layer run it: its state struct, its frontend,
/// and its syscall ABI.
pub trait Guest: 'static {
    /// The guest state struct: `#[repr(C)]`, with a [`StateHeader`] at offset 0. `Send`: a
    /// new guest thread's state is made by its parent's thread.
    type State: Default + Clone + Send + 'static;
    /// `Send`: every guest thread may translate.
    type Frontend: Frontend + Send;

    fn frontend() -> Self::Frontend;

    /// The 8-byte state fields worth keeping in host registers across blocks, hottest first
    /// (`Backend::set_state_registers`); none by default.
    fn register_fields() -> Vec<crate::ir::StateOffset> {
        Vec::new()
    }

    /// The state at process start: `pc` at the entry point, stack pointer at `sp`, everything
    /// else as the Linux ABI of this guest promises (zero registers, default FP control).
    fn initial_state(pc: GuestAddr, sp: u64) -> Self::State;

    fn pc(state: &Self::State) -> GuestAddr;
    fn set_pc(state: &mut Self::State, pc: GuestAddr);

    /// The [`StateHeader`] at the start of the state, where a block that returns to the
    /// dispatcher says why (usually just `&mut state.header`).
    fn header(state: &mut Self::State) -> &mut StateHeader;
    /// The signal the kernel raises for a trap of this kind at the guest instruction at `pc`
    /// (its si_code, si_addr, and the PC the handler sees), as Linux does on this ISA; `state`
    /// is as of the instruction's start, `code` reads it (for a data address in si_addr).
    fn trap_signal(state: &Self::State, code: &dyn CodeSource, kind: TrapKind, pc: GuestAddr) -> SyncSignal;
    /// The bits of a canonical data address, if the guest's ISA faults on the others (x86-64:
    /// 48, bits 63..47 all equal); `None`: every address is an address (an AArch64 guest's top
    /// byte is ignored on purpose). A host that does not check it itself (AArch64) makes the
    /// others fault (`Backend::set_canonical_addresses`) and gives every fault of translated
    /// code to [`Self::kernel_fault_signal`].
    fn canonical_address_bits() -> Option<u32> {
        None
    }
    /// The signal for a memory access of the guest instruction at `pc` (state as of its
    /// start) that the host reported with si_code SI_KERNEL (an x86-64 host's #GP or #SS,
    /// which depend on the host instruction's registers, not the guest's), or any fault on a
    /// host that does not check [`Self::canonical_address_bits`]; `None` keeps the host's
    /// signal.
    fn kernel_fault_signal(
        _state: &Self::State,
        _code: &dyn CodeSource,
        _pc: GuestAddr,
    ) -> Option<SyncSignal> {
        None
    }
}

/// A synchronous signal as the kernel raises it for a guest instruction: the signal, the
/// siginfo's `si_code` and `si_addr`, and the PC saved in the signal frame (where a handler
/// that returns resumes).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SyncSignal {
    pub sig: i32,
    pub code: i32,
    pub addr: u64,
    pub pc: GuestAddr,
}

impl SyncSignal {
    /// The siginfo the kernel fills for it (64-bit Linux layout, the same on both guests:
    /// si_signo, si_errno, si_code, then si_addr at byte 16).
    pub fn siginfo(&self) -> [u8; 128] {
        let mut info = [0u8; 128];
        info[0..4].copy_from_slice(&self.sig.to_le_bytes());
        info[8..12].copy_from_slice(&self.code.to_le_bytes());
        info[16..24].copy_from_slice(&self.addr.to_le_bytes());
        info
    }
}

/// si_code values of the kernel's synchronous signals (uapi `asm-generic/siginfo.h`).
pub mod si_code {
    /// The kernel sent it with no more detail (x86 #GP and int3 use it).
    pub const SI_KERNEL: i32 = 0x80;
    pub const ILL_ILLOPC: i32 = 1;
    pub const ILL_ILLOPN: i32 = 2;
    pub const FPE_INTDIV: i32 = 1;
    pub const SEGV_MAPERR: i32 = 1;
    pub const SEGV_ACCERR: i32 = 2;
    pub const BUS_ADRALN: i32 = 1;
    pub const TRAP_BRKPT: i32 = 1;
}

/// A [`Guest`] that runs Linux programs: its state answers the syscall layer's questions
/// ([`GuestRegs`]), and it has a syscall ABI and a [`GuestInfo`].
pub trait LinuxGuest: Guest<State: GuestRegs> + Sized {
    /// The syscall number table and struct layouts.
    type Abi: GuestAbi;
    /// What the loader and the messages need to know.
    const INFO: &'static GuestInfo;
    /// How gdb sees this guest (`-g`): its target description and register file (from
    /// gdbstub_arch), filled from and written back to the state by the two functions below.
    type GdbArch: gdbstub::arch::Arch<Usize = u64, BreakpointKind = usize>;
    /// The state's registers as gdb numbers and sizes them.
    fn gdb_registers(state: &Self::State) -> GdbRegisters<Self>;
    /// Writes registers that gdb changed back to the state.
    fn set_gdb_registers(state: &mut Self::State, regs: &GdbRegisters<Self>);
}

/// A guest's register file as its gdb architecture lays it out.
pub type GdbRegisters<G> = <<G as LinuxGuest>::GdbArch as gdbstub::arch::Arch>::Registers;

/// The facts about one guest ISA that are data: what the loader writes into the auxiliary
/// vector and what messages call it. Its Linux ABI facts (uname machine, which is also
/// AT_PLATFORM, and MINSIGSTKSZ) live once, in the syscall ABI's [`AbiInfo`].
pub struct GuestInfo {
    /// For messages ("x86-64", "aarch64"): the frontend's name of its ISA.
    pub name: &'static str,
    /// ELF `e_machine` of this guest's executables.
    pub elf_machine: u16,
    /// AT_HWCAP and AT_HWCAP2: only the features the frontend implements.
    pub hwcap: (u64, u64),
    /// The guest's Linux syscall ABI.
    pub abi: &'static AbiInfo,
}

impl GuestInfo {
    /// A short name for messages ("x86-64", "aarch64").
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The AT_PLATFORM string Linux gives for this architecture (what `uname -m` says).
    pub fn platform(&self) -> &'static str {
        self.abi.machine
    }

    /// AT_MINSIGSTKSZ: the space a signal frame needs. Linux computes it from the CPU's
    /// register state size; xlate's guests have no AVX/SVE state, so this is the
    /// architecture's MINSIGSTKSZ constant from the uapi headers.
    pub fn min_signal_stack_size(&self) -> u64 {
        self.abi.min_sigstksz
    }
}

/// The guest ISAs xlate runs, as picked by an executable's `e_machine`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GuestArch {
    X86_64,
    Aarch64,
}

/// Something to do with a guest whose type is only known at run time: see
/// [`GuestArch::with_guest`].
pub trait WithGuest {
    type Output;
    fn call<G: LinuxGuest>(self) -> Self::Output;
}

impl GuestArch {
    /// Every guest, for lookups by a fact.
    pub const ALL: [GuestArch; 2] = [GuestArch::X86_64, GuestArch::Aarch64];

    /// The guest whose executables have this ELF `e_machine`.
    pub fn from_elf_machine(machine: u16) -> Option<GuestArch> {
        GuestArch::ALL.into_iter().find(|arch| arch.info().elf_machine == machine)
    }

    /// The guest's description.
    pub fn info(self) -> &'static GuestInfo {
        self.with_guest(Info)
    }

    /// Runs `f` with this guest's type: the one place that maps a run-time guest to its type.
    pub fn with_guest<F: WithGuest>(self, f: F) -> F::Output {
        match self {
            GuestArch::X86_64 => f.call::<x86_64::X86_64Guest>(),
            GuestArch::Aarch64 => f.call::<aarch64::Aarch64Guest>(),
        }
    }
}

/// [`GuestArch::info`] through [`GuestArch::with_guest`].
struct Info;

impl WithGuest for Info {
    type Output = &'static GuestInfo;
    fn call<G: LinuxGuest>(self) -> &'static GuestInfo {
        G::INFO
    }
}

#[cfg(test)]
mod tests;
