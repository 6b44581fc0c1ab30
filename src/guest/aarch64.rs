//! The AArch64 guest: [`A64State`] and [`A64Frontend`], the asm-generic Linux syscall ABI
//! ([`crate::syscall::abi::aarch64`] for numbers and layouts; the register convention below),
//! and what the loader tells the program about its CPU.

use super::sigframe::{get_stack_t, put_stack_t, FrameBuf};
use super::{GdbRegisters, Guest, GuestInfo, LinuxGuest, SyncSignal};
use crate::frontend::aarch64::{A64Frontend, A64State, HWCAP, ISA_NAME};
use crate::ir::protocol::StateHeader;
use crate::ir::{GuestAddr, TrapKind};
use crate::memory::code::CodeSource;
use crate::syscall::abi::aarch64::{Aarch64, INFO as ABI};
use crate::syscall::signal::{PoppedFrame, SignalDelivery, SA_SIGINFO};
use crate::syscall::{Errno, GuestMm, GuestRegs, Segment};

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
        // pointer for static binaries), FPCR 0 and the given stack pointer, and PSTATE.SSBS
        // set on a CPU with SSBS (spectre_v4_enable_task_mitigation under the default dynamic
        // mitigation: no TIF_SSBD at exec). qemu-user starts with SSBS 0.
        A64State { sp, pc: pc.0, ssbs: 1, ..A64State::default() }
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

    /// As arch/arm64/kernel/traps.c and debug-monitors.c raise them: every signal names the
    /// faulting instruction in si_addr and the saved PC (BRK included: a handler that returns
    /// runs the BRK again unless it moves the PC). UNDEFINED is SIGILL ILL_ILLOPC, BRK SIGTRAP
    /// TRAP_BRKPT, a PC alignment fault SIGBUS BUS_ADRALN, an instruction abort SIGSEGV.
    /// A64 has no divide trap; the x86-only kinds get the nearest Linux equivalent. A data
    /// alignment fault names the data address (the FAR, untagged as `do_mem_abort` gives
    /// it): the instructions that raise it (the 128-bit LDXP/STXP family and CASP) address
    /// memory by their base register Xn|SP alone, which the state still holds.
    fn trap_signal(state: &A64State, source: &dyn CodeSource, kind: TrapKind, pc: GuestAddr) -> SyncSignal {
        use super::si_code::*;
        let (sig, code) = match kind {
            TrapKind::IllegalInstruction => (libc::SIGILL, ILL_ILLOPC),
            TrapKind::DivideError => (libc::SIGFPE, FPE_INTDIV),
            TrapKind::Breakpoint => (libc::SIGTRAP, TRAP_BRKPT),
            TrapKind::GeneralProtection => (libc::SIGSEGV, SI_KERNEL),
            TrapKind::CodeFetch => (libc::SIGSEGV, SEGV_MAPERR),
            TrapKind::CodeFetchDenied => (libc::SIGSEGV, SEGV_ACCERR),
            TrapKind::MisalignedPc | TrapKind::MisalignedData => (libc::SIGBUS, BUS_ADRALN),
        };
        let addr = match kind {
            TrapKind::MisalignedData => {
                let mut word = [0u8; 4];
                let rn = if source.read_code(pc, &mut word) == 4 {
                    (u32::from_le_bytes(word) >> 5) & 31
                } else {
                    31
                };
                let base = if rn == 31 { state.sp } else { state.x[rn as usize] };
                base & crate::frontend::aarch64::DATA_ADDR_MASK
            }
            _ => pc.0,
        };
        SyncSignal { sig, code, addr, pc }
    }
}

impl LinuxGuest for Aarch64Guest {
    type Abi = Aarch64;
    const INFO: &'static GuestInfo = &INFO;
    type GdbArch = A64Gdb;

    fn gdb_registers(state: &A64State) -> GdbRegisters<Self> {
        GdbRegisters::<Self> {
            x: state.x,
            sp: state.sp,
            pc: state.pc,
            // EL0t: the mode bits are zero; only the flags are shown. (Not SSBS, which Linux's
            // ptrace would show: the oracle, qemu's gdbstub, runs with SSBS 0.)
            cpsr: state.nzcv() as u32,
            v: state.vreg.map(|[lo, hi]| u128::from(lo) | u128::from(hi) << 64),
            // Swapped on purpose: gdbstub_arch 0.3 writes (and reads) its `fpcr` field where
            // gdb numbers fpsr (register 66) and `fpsr` where gdb numbers fpcr (67).
            fpcr: state.fpsr,
            fpsr: state.fpcr,
        }
    }

    fn set_gdb_registers(state: &mut A64State, regs: &GdbRegisters<Self>) {
        state.x = regs.x;
        state.sp = regs.sp;
        state.pc = regs.pc;
        state.set_nzcv(regs.cpsr.into());
        for (v, &value) in state.vreg.iter_mut().zip(regs.v.iter()) {
            *v = [value as u64, (value >> 64) as u64];
        }
        // Swapped on purpose, as in `gdb_registers`.
        state.fpsr = regs.fpcr;
        state.fpcr = regs.fpsr;
    }
}

/// gdb's view of the AArch64 guest: gdbstub_arch's register file (x0-x30, sp, pc, cpsr,
/// v0-v31, fpsr, fpcr, gdb's numbers 0-67) under a target description that names only the
/// architecture, so that gdb takes its own description of exactly those registers (core and
/// FP/SIMD). gdbstub_arch's description also lists every system register, which gdb would
/// then show as unavailable.
pub enum A64Gdb {}

impl gdbstub::arch::Arch for A64Gdb {
    type Usize = u64;
    type Registers = gdbstub_arch::aarch64::reg::AArch64CoreRegs;
    type RegId = gdbstub_arch::aarch64::reg::id::AArch64RegId;
    type BreakpointKind = usize;

    fn target_description_xml() -> Option<&'static str> {
        Some(r#"<target version="1.0"><architecture>aarch64</architecture></target>"#)
    }
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

    /// `svc #0` is 4 bytes and changes no register of its own.
    fn rewind_syscall(&mut self) {
        self.pc -= 4;
    }

    fn signal_recorded(&self) -> bool {
        self.header.signal_pending.is_raised()
    }

    /// AArch64 has no segment registers (its thread pointer is TPIDR_EL0, written by `msr`).
    fn segment_base(&mut self, _segment: Segment) -> Option<&mut u64> {
        None
    }

    fn stack_pointer(&self) -> u64 {
        self.sp
    }

    fn set_stack_pointer(&mut self, sp: u64) {
        self.sp = sp;
    }

    fn set_thread_pointer(&mut self, tp: u64) {
        self.tpidr_el0 = tp;
    }

    fn push_signal_frame(&mut self, mem: &dyn GuestMm, d: &SignalDelivery) -> Result<(), Errno> {
        use frame::*;
        // arch/arm64/kernel/signal.c get_sigframe: a frame record {x29, x30} at the top, the
        // rt_sigframe below it, both 16-aligned.
        let top = d.stack_top.unwrap_or(self.sp);
        let record = (top - 16) & !15;
        let base = record - FRAME_SIZE as u64;
        let mut rec = FrameBuf::zeroed(16);
        rec.put_u64(0, self.x[29]);
        rec.put_u64(8, self.x[30]);
        rec.write_to(mem, record)?;

        let mut f = FrameBuf::zeroed(FRAME_SIZE);
        f.put_bytes(INFO, &d.info);
        put_stack_t(&mut f, UC_STACK, d.altstack);
        f.put_u64(UC_SIGMASK, d.old_mask);
        if d.sig == libc::SIGSEGV || d.sig == libc::SIGBUS {
            f.put_u64(SC_FAULT_ADDRESS, u64::from_le_bytes(d.info[16..24].try_into().unwrap()));
        }
        for (i, &x) in self.x.iter().enumerate() {
            f.put_u64(SC_REGS + 8 * i, x);
        }
        f.put_u64(SC_SP, self.sp);
        f.put_u64(SC_PC, self.pc);
        f.put_u64(SC_PSTATE, self.pstate());
        f.put_u32(FPSIMD, FPSIMD_MAGIC);
        f.put_u32(FPSIMD + 4, FPSIMD_SIZE);
        f.put_u32(FPSIMD + 8, self.fpsr);
        f.put_u32(FPSIMD + 12, self.fpcr);
        for (i, v) in self.vreg.iter().enumerate() {
            f.put_u128(FPSIMD + 16 + 16 * i, *v);
        }
        // The terminator record after fpsimd_context is all zeroes already.
        f.write_to(mem, base)?;

        // setup_return: x0 = signal, x1/x2 = siginfo/ucontext with SA_SIGINFO, sp = frame,
        // x29 = the frame record, lr = the restorer, pc = the handler.
        self.x[0] = d.sig as u64;
        if d.flags & SA_SIGINFO != 0 {
            self.x[1] = base + INFO as u64;
            self.x[2] = base + UC as u64;
        }
        self.sp = base;
        self.x[29] = record;
        self.x[30] = d.restorer;
        self.pc = d.handler;
        self.header.next_pc = d.handler;
        Ok(())
    }

    fn pop_signal_frame(&mut self, mem: &dyn GuestMm) -> Result<PoppedFrame, Errno> {
        use frame::*;
        let base = self.sp;
        let f = FrameBuf::read(mem, base, FRAME_SIZE)?;
        if f.u32(FPSIMD) != FPSIMD_MAGIC || f.u32(FPSIMD + 4) != FPSIMD_SIZE {
            return Err(libc::EFAULT);
        }
        for i in 0..31 {
            self.x[i] = f.u64(SC_REGS + 8 * i);
        }
        self.sp = f.u64(SC_SP);
        self.pc = f.u64(SC_PC);
        self.header.next_pc = self.pc;
        self.set_pstate(f.u64(SC_PSTATE));
        self.fpsr = f.u32(FPSIMD + 8);
        self.fpcr = f.u32(FPSIMD + 12);
        for i in 0..32 {
            self.vreg[i] = f.u128(FPSIMD + 16 + 16 * i);
        }
        Ok(PoppedFrame { mask: f.u64(UC_SIGMASK), altstack: get_stack_t(&f, UC_STACK) })
    }
}

/// The AArch64 `struct rt_sigframe` (arch/arm64/kernel/signal.c: siginfo, then ucontext) with
/// `struct sigcontext` and its `fpsimd_context` record (arch/arm64/include/uapi/asm/
/// sigcontext.h). Byte offsets from the frame's start.
mod frame {
    pub const INFO: usize = 0;
    /// `struct ucontext`: uc_flags, uc_link, uc_stack, uc_sigmask (padded to 128 bytes for a
    /// 1024-bit sigset), uc_mcontext (16-aligned).
    pub const UC: usize = 128;
    pub const UC_STACK: usize = UC + 16;
    pub const UC_SIGMASK: usize = UC + 40;
    pub const UC_MCONTEXT: usize = UC + 176;
    pub const SC_FAULT_ADDRESS: usize = UC_MCONTEXT;
    pub const SC_REGS: usize = UC_MCONTEXT + 8;
    pub const SC_SP: usize = SC_REGS + 31 * 8;
    pub const SC_PC: usize = SC_SP + 8;
    pub const SC_PSTATE: usize = SC_PC + 8;
    /// `__reserved[4096]`, 16-aligned, holding the records; fpsimd_context first.
    pub const SC_RESERVED: usize = UC_MCONTEXT + 288;
    pub const FPSIMD: usize = SC_RESERVED;
    pub const FPSIMD_MAGIC: u32 = 0x4650_8001;
    pub const FPSIMD_SIZE: u32 = 528;
    pub const FRAME_SIZE: usize = SC_RESERVED + 4096;
}
