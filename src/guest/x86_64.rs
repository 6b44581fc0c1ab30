//! The x86-64 guest: [`X86State`] and [`X86Frontend`], the x86-64 Linux syscall ABI
//! ([`crate::syscall::abi::x86_64`] for numbers and layouts; the register convention below),
//! and what the loader tells the program about its CPU.

use super::sigframe::{get_stack_t, put_stack_t, FrameBuf};
use super::{GdbRegisters, Guest, GuestInfo, LinuxGuest, SyncSignal};
use crate::frontend::x86_64::state::{fxsave, reg, xsave};
use crate::frontend::x86_64::{X86Frontend, X86State, CPUID_1_EDX, ISA_NAME};
use crate::ir::protocol::StateHeader;
use crate::ir::{GuestAddr, TrapKind};
use crate::memory::code::CodeSource;
use crate::syscall::abi::x86_64::{INFO as ABI, X86_64};
use crate::syscall::signal::{PoppedFrame, SignalDelivery};
use crate::syscall::{Errno, GuestMm, GuestRegs, Segment};

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

    /// The 16 GPRs, rax .. r15.
    fn register_fields() -> Vec<crate::ir::StateOffset> {
        (0..16).map(crate::frontend::x86_64::state::off::gpr).collect()
    }

    fn canonical_address_bits() -> Option<u32> {
        Some(48)
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

    /// As arch/x86/kernel/traps.c raises them: #UD is SIGILL ILL_ILLOPN and #DE SIGFPE
    /// FPE_INTDIV at the instruction; #GP (privileged instructions, misaligned SSE operands)
    /// is a SIGSEGV with SI_KERNEL and no address; int3 is a SIGTRAP with SI_KERNEL whose
    /// saved PC is after the int3 (a handler that returns resumes there).
    fn trap_signal(_state: &X86State, _code: &dyn CodeSource, kind: TrapKind, pc: GuestAddr) -> SyncSignal {
        use super::si_code::*;
        let at = |sig, code| SyncSignal { sig, code, addr: pc.0, pc };
        match kind {
            TrapKind::IllegalInstruction => at(libc::SIGILL, ILL_ILLOPN),
            TrapKind::DivideError => at(libc::SIGFPE, FPE_INTDIV),
            TrapKind::Breakpoint => {
                SyncSignal { sig: libc::SIGTRAP, code: SI_KERNEL, addr: 0, pc: GuestAddr(pc.0 + 1) }
            }
            TrapKind::GeneralProtection => SyncSignal { sig: libc::SIGSEGV, code: SI_KERNEL, addr: 0, pc },
            TrapKind::CodeFetch => at(libc::SIGSEGV, SEGV_MAPERR),
            TrapKind::CodeFetchDenied => at(libc::SIGSEGV, SEGV_ACCERR),
            // (No x86-64 frontend raises these: a misaligned SSE operand is #GP.)
            TrapKind::MisalignedPc | TrapKind::MisalignedData => at(libc::SIGBUS, BUS_ADRALN),
        }
    }

    /// A non-canonical address is #GP (SIGSEGV) unless the access goes through the stack
    /// segment, which it does when its base register is rsp or rbp or it is an implicit stack
    /// access (push, pop, call, ret, ...): #SS, SIGBUS (arch/x86/kernel/traps.c,
    /// exc_stack_segment). Both with SI_KERNEL and no address.
    fn kernel_fault_signal(state: &X86State, code: &dyn CodeSource, pc: GuestAddr) -> Option<SyncSignal> {
        use iced_x86::{Decoder, DecoderOptions, OpKind, Register};
        let mut bytes = [0u8; 15];
        let n = code.read_code(pc, &mut bytes);
        let insn = Decoder::with_ip(64, &bytes[..n], pc.0, DecoderOptions::NONE).decode();
        if insn.is_invalid() {
            return None;
        }
        let value = |r: Register| -> Option<u64> {
            Some(match r {
                Register::FS => state.fs_base,
                Register::GS => state.gs_base,
                Register::ES | Register::CS | Register::SS | Register::DS | Register::None => 0,
                Register::RIP => insn.next_ip(),
                r if r.is_gpr64() => state.gpr[r.number()],
                r if r.is_gpr32() => state.gpr[r.number()] & 0xffff_ffff,
                _ => return None,
            })
        };
        let canonical = |a: u64| ((a as i64) << 16 >> 16) as u64 == a;
        // Every explicit memory operand (movs and cmps have two: either may be the bad one),
        // then the implicit stack access (push, pop, call, ret, ...).
        let memory = |k: OpKind| {
            use OpKind::*;
            matches!(
                k,
                Memory
                    | MemorySegSI
                    | MemorySegESI
                    | MemorySegRSI
                    | MemorySegDI
                    | MemorySegEDI
                    | MemorySegRDI
                    | MemoryESDI
                    | MemoryESEDI
                    | MemoryESRDI
            )
        };
        let explicit = (0..insn.op_count()).filter(|&i| memory(insn.op_kind(i))).find_map(|i| {
            let address = insn.virtual_address(i, 0, |r, _, _| value(r))?;
            let stack = insn.op_kind(i) == OpKind::Memory
                && matches!(
                    insn.memory_base(),
                    Register::RSP | Register::RBP | Register::ESP | Register::EBP
                );
            (!canonical(address)).then_some(stack)
        });
        let implicit = || {
            let rsp = state.gpr[reg::RSP];
            let address = rsp.wrapping_add(insn.stack_pointer_increment().min(0) as i64 as u64);
            (insn.stack_pointer_increment() != 0 && !canonical(address)).then_some(true)
        };
        let stack = explicit.or_else(implicit)?;
        let sig = if stack { libc::SIGBUS } else { libc::SIGSEGV };
        Some(SyncSignal { sig, code: super::si_code::SI_KERNEL, addr: 0, pc })
    }
}

impl LinuxGuest for X86_64Guest {
    type Abi = X86_64;
    const INFO: &'static GuestInfo = &INFO;
    type GdbArch = gdbstub_arch::x86::X86_64_SSE;

    fn gdb_registers(state: &X86State) -> GdbRegisters<Self> {
        let mut regs = GdbRegisters::<Self>::default();
        for (slot, &r) in regs.regs.iter_mut().zip(GDB_GPRS.iter()) {
            *slot = state.gpr[r];
        }
        // User code always runs with IF set (as the kernel shows it to ptrace).
        regs.eflags = (state.rflags() | 1 << 9) as u32;
        regs.rip = state.rip;
        regs.segments.cs = 0x33;
        regs.segments.ss = 0x2b;
        let top = usize::from(state.fpu_sw >> 11 & 7);
        for (i, st) in regs.st.iter_mut().enumerate() {
            let [lo, hi] = state.fpr[(top + i) & 7];
            st[..8].copy_from_slice(&lo.to_le_bytes());
            st[8..].copy_from_slice(&hi.to_le_bytes()[..2]);
        }
        regs.fpu.fctrl = state.fpu_cw.into();
        regs.fpu.fstat = state.fpu_sw.into();
        // The full tag word: 00 (valid) for a register in use, 11 (empty) otherwise.
        regs.fpu.ftag = (0..8).map(|i| if state.fpu_tags >> i & 1 == 0 { 3 << (2 * i) } else { 0 }).sum();
        for (x, &[lo, hi]) in regs.xmm.iter_mut().zip(state.xmm.iter()) {
            *x = u128::from(lo) | u128::from(hi) << 64;
        }
        regs.mxcsr = state.mxcsr;
        regs
    }

    fn set_gdb_registers(state: &mut X86State, regs: &GdbRegisters<Self>) {
        for (&value, &r) in regs.regs.iter().zip(GDB_GPRS.iter()) {
            state.gpr[r] = value;
        }
        state.set_rflags(regs.eflags.into());
        Self::set_pc(state, GuestAddr(regs.rip));
        state.fpu_cw = regs.fpu.fctrl as u16;
        state.fpu_sw = regs.fpu.fstat as u16;
        let top = usize::from(state.fpu_sw >> 11 & 7);
        for (i, st) in regs.st.iter().enumerate() {
            let lo = u64::from_le_bytes(st[..8].try_into().unwrap());
            let hi = u64::from(u16::from_le_bytes([st[8], st[9]]));
            state.fpr[(top + i) & 7] = [lo, hi];
        }
        for (x, &value) in state.xmm.iter_mut().zip(regs.xmm.iter()) {
            *x = [value as u64, (value >> 64) as u64];
        }
        state.mxcsr = regs.mxcsr;
    }
}

/// gdb's order of the general registers (rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp, r8-r15,
/// gdb/features/i386/64bit-core.xml) as indices of [`X86State::gpr`] (encoding order).
const GDB_GPRS: [usize; 16] = [
    reg::RAX,
    reg::RBX,
    reg::RCX,
    reg::RDX,
    reg::RSI,
    reg::RDI,
    reg::RBP,
    reg::RSP,
    8,
    9,
    10,
    11,
    12,
    13,
    14,
    15,
];

/// The x86-64 syscall convention: `syscall` with the number in rax, arguments in rdi, rsi,
/// rdx, r10, r8, r9, the result in rax.
/// `int 0x80` (see [`crate::syscall::abi::ia32`]): the 32-bit number in eax and arguments in
/// ebx, ecx, edx, esi, edi, ebp, each truncated to 32 bits.
impl GuestRegs for X86State {
    fn syscall_number(&self) -> u64 {
        if self.ia32_syscall != 0 {
            return crate::syscall::abi::ia32::x86_64_number(self.gpr[reg::RAX] as u32);
        }
        self.gpr[reg::RAX]
    }

    fn syscall_args(&self) -> [u64; 6] {
        let g = &self.gpr;
        if self.ia32_syscall != 0 {
            return [reg::RBX, reg::RCX, reg::RDX, reg::RSI, reg::RDI, reg::RBP]
                .map(|r| u64::from(g[r] as u32));
        }
        [g[reg::RDI], g[reg::RSI], g[reg::RDX], g[reg::R10], g[reg::R8], g[reg::R9]]
    }

    /// The `syscall` instruction itself leaves the return address in rcx and RFLAGS in r11
    /// (Intel SDM, SYSCALL), and the kernel returns with them unchanged. User code always runs
    /// with IF (bit 9) set, so r11 has it too. `int 0x80` changes only rax: the 32-bit
    /// result, sign-extended.
    fn set_syscall_result(&mut self, value: u64) {
        const RFLAGS_IF: u64 = 1 << 9;
        if self.ia32_syscall != 0 {
            self.ia32_syscall = 0;
            self.gpr[reg::RAX] = value as i32 as i64 as u64;
            return;
        }
        self.gpr[reg::RAX] = value;
        self.gpr[reg::RCX] = self.rip;
        self.gpr[reg::R11] = self.rflags() | RFLAGS_IF;
    }

    /// `syscall` (2 bytes) wrote rcx and r11 even when the kernel restarts the call; `int
    /// 0x80` (2 bytes too) wrote nothing, and sets the ia32 mark again when it runs again.
    fn rewind_syscall(&mut self) {
        if self.ia32_syscall != 0 {
            self.ia32_syscall = 0;
            self.rip -= 2;
            return;
        }
        let nr = self.gpr[reg::RAX];
        self.set_syscall_result(nr);
        self.rip -= 2;
    }

    fn signal_recorded(&self) -> bool {
        self.header.signal_pending.is_raised()
    }

    fn segment_base(&mut self, segment: Segment) -> Option<&mut u64> {
        Some(match segment {
            Segment::Fs => &mut self.fs_base,
            Segment::Gs => &mut self.gs_base,
        })
    }

    fn stack_pointer(&self) -> u64 {
        self.gpr[reg::RSP]
    }

    fn signal_stack_pointer(&self) -> u64 {
        self.gpr[reg::RSP].wrapping_sub(frame::RED_ZONE)
    }

    fn set_stack_pointer(&mut self, sp: u64) {
        self.gpr[reg::RSP] = sp;
    }

    fn set_thread_pointer(&mut self, tp: u64) {
        self.fs_base = tp;
    }

    fn push_signal_frame(&mut self, mem: &dyn GuestMm, d: &SignalDelivery) -> Result<(), Errno> {
        use frame::*;
        // arch/x86/kernel/signal.c get_sigframe: below the red zone (or at the top of the
        // alternate stack), the FP state 64-aligned, then the frame so that the handler's
        // stack pointer is 8 off 16 (as after a call).
        let top = d.stack_top.unwrap_or(self.gpr[reg::RSP] - RED_ZONE);
        let fpstate = (top - FPSTATE_SIZE as u64) & !63;
        let base = ((fpstate - FRAME_SIZE as u64) & !15) - 8;
        // The XSAVE-format FP state the kernel writes on a processor with XSAVE
        // (arch/x86/kernel/fpu/signal.c copy_fpstate_to_sigframe, save_sw_bytes): the
        // software bytes of the FXSAVE image describe it, FP_XSTATE_MAGIC2 follows it.
        let mut area = [0u8; xsave::SIZE];
        self.write_xsave(&mut area);
        let mut image = area.to_vec();
        image[SW_MAGIC1..SW_MAGIC1 + 4].copy_from_slice(&FP_XSTATE_MAGIC1.to_le_bytes());
        image[SW_EXTENDED_SIZE..SW_EXTENDED_SIZE + 4].copy_from_slice(&(FPSTATE_SIZE as u32).to_le_bytes());
        image[SW_XFEATURES..SW_XFEATURES + 8].copy_from_slice(&xsave::FEATURES.to_le_bytes());
        image[SW_XSTATE_SIZE..SW_XSTATE_SIZE + 4].copy_from_slice(&(xsave::SIZE as u32).to_le_bytes());
        image.extend_from_slice(&FP_XSTATE_MAGIC2.to_le_bytes());
        FrameBuf(image).write_to(mem, fpstate)?;

        let mut f = FrameBuf::zeroed(FRAME_SIZE);
        f.put_u64(PRETCODE, d.restorer);
        f.put_u64(UC_FLAGS, UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS);
        put_stack_t(&mut f, UC_STACK, d.altstack);
        for (i, &r) in SIGCONTEXT_GPRS.iter().enumerate() {
            f.put_u64(UC_MCONTEXT + 8 * i, self.gpr[r]);
        }
        f.put_u64(UC_MCONTEXT + SC_RIP, self.rip);
        f.put_u64(UC_MCONTEXT + SC_EFLAGS, self.rflags() | RFLAGS_IF);
        f.put_u16(UC_MCONTEXT + SC_CS, USER_CS);
        f.put_u16(UC_MCONTEXT + SC_SS, USER_DS);
        f.put_u64(UC_MCONTEXT + SC_FPSTATE, fpstate);
        f.put_u64(UC_SIGMASK, d.old_mask);
        f.put_bytes(INFO, &d.info);
        if d.sig == libc::SIGSEGV || d.sig == libc::SIGBUS {
            // cr2: the fault address, which siginfo's si_addr (offset 16) also holds.
            f.put_u64(UC_MCONTEXT + SC_CR2, u64::from_le_bytes(d.info[16..24].try_into().unwrap()));
        }
        f.write_to(mem, base)?;

        // The handler starts as the kernel starts it: arguments in rdi, rsi, rdx (the last two
        // point into the frame whatever SA_SIGINFO says), rax 0, DF clear, FP state reset.
        self.gpr[reg::RDI] = d.sig as u64;
        self.gpr[reg::RSI] = base + INFO as u64;
        self.gpr[reg::RDX] = base + UC_FLAGS as u64;
        self.gpr[reg::RAX] = 0;
        self.gpr[reg::RSP] = base;
        self.df = 0;
        let fresh = X86State::default();
        (self.mxcsr, self.fpu_cw, self.fpu_sw, self.fpu_tags) = (fresh.mxcsr, fresh.fpu_cw, 0, 0);
        self.xmm = [[0; 2]; 16];
        self.ymm_hi = [[0; 2]; 16];
        self.rip = d.handler;
        self.header.next_pc = d.handler;
        Ok(())
    }

    fn pop_signal_frame(&mut self, mem: &dyn GuestMm) -> Result<PoppedFrame, Errno> {
        use frame::*;
        // The handler's `ret` popped the return address (pretcode): the frame starts 8 below.
        let base = self.gpr[reg::RSP] - 8;
        let f = FrameBuf::read(mem, base, FRAME_SIZE)?;
        for (i, &r) in SIGCONTEXT_GPRS.iter().enumerate() {
            self.gpr[r] = f.u64(UC_MCONTEXT + 8 * i);
        }
        // restore_sigcontext keeps only the flags user code may change.
        self.set_rflags(f.u64(UC_MCONTEXT + SC_EFLAGS));
        let rip = f.u64(UC_MCONTEXT + SC_RIP);
        let fpstate = f.u64(UC_MCONTEXT + SC_FPSTATE);
        if fpstate != 0 {
            // arch/x86/kernel/fpu/signal.c __fpu_restore_sig: the XSAVE area when the
            // software bytes and FP_XSTATE_MAGIC2 say so (components outside their
            // xfeatures or XSTATE_BV get their initial state), else the FXSAVE image alone
            // with the other components initialised.
            let image = FrameBuf::read(mem, fpstate, FPSTATE_SIZE)?.0;
            let u32_at = |at: usize| u32::from_le_bytes(image[at..at + 4].try_into().expect("4 bytes"));
            let u64_at = |at: usize| u64::from_le_bytes(image[at..at + 8].try_into().expect("8 bytes"));
            let size = u32_at(SW_XSTATE_SIZE) as usize;
            let xstate = u32_at(SW_MAGIC1) == FP_XSTATE_MAGIC1
                && (xsave::YMM_HI..=xsave::SIZE).contains(&size)
                && size <= u32_at(SW_EXTENDED_SIZE) as usize
                && u32_at(size) == FP_XSTATE_MAGIC2;
            let mut area = [0u8; xsave::SIZE];
            area.copy_from_slice(&image[..xsave::SIZE]);
            let bv = if xstate {
                u64_at(xsave::XSTATE_BV) & u64_at(SW_XFEATURES)
            } else {
                xsave::X87 | xsave::SSE
            };
            area[xsave::XSTATE_BV..xsave::XSTATE_BV + 8].copy_from_slice(&bv.to_le_bytes());
            if !xstate {
                // FXRSTOR semantics for the legacy part whatever the header holds.
                let legacy: &[u8; fxsave::SIZE] = area[..fxsave::SIZE].try_into().expect("512 bytes");
                self.read_fxsave(legacy);
                self.ymm_hi = [[0; 2]; 16];
            } else {
                self.read_xsave(&area);
            }
        }
        self.rip = rip;
        self.header.next_pc = rip;
        Ok(PoppedFrame { mask: f.u64(UC_SIGMASK), altstack: get_stack_t(&f, UC_STACK) })
    }
}

/// The x86-64 `struct rt_sigframe` (arch/x86/include/asm/sigframe.h: pretcode, ucontext,
/// siginfo) with `struct sigcontext` (arch/x86/include/uapi/asm/sigcontext.h) and the
/// FXSAVE-format FP state it points at. Byte offsets from the frame's start.
mod frame {
    use crate::frontend::x86_64::state::{reg, xsave};

    pub const RED_ZONE: u64 = 128;
    pub const PRETCODE: usize = 0;
    /// `struct ucontext`: uc_flags, uc_link, uc_stack, uc_mcontext, uc_sigmask.
    pub const UC_FLAGS: usize = 8;
    pub const UC_STACK: usize = UC_FLAGS + 16;
    pub const UC_MCONTEXT: usize = UC_FLAGS + 40;
    pub const UC_SIGMASK: usize = UC_MCONTEXT + 256;
    pub const INFO: usize = UC_SIGMASK + 8;
    pub const FRAME_SIZE: usize = INFO + 128;
    /// uc_flags: the FP state is in XSAVE format (the kernel sets it when the CPU has XSAVE).
    pub const UC_FP_XSTATE: u64 = 1;
    pub const UC_SIGCONTEXT_SS: u64 = 2;
    /// The FP state's bytes: the XSAVE area and FP_XSTATE_MAGIC2 after it.
    pub const FPSTATE_SIZE: usize = xsave::SIZE + 4;
    /// `struct _fpx_sw_bytes` in the FXSAVE image's software bytes (464..512), and the magics
    /// (arch/x86/include/uapi/asm/sigcontext.h).
    pub const SW_MAGIC1: usize = 464;
    pub const SW_EXTENDED_SIZE: usize = 468;
    pub const SW_XFEATURES: usize = 472;
    pub const SW_XSTATE_SIZE: usize = 480;
    pub const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
    pub const FP_XSTATE_MAGIC2: u32 = 0x4650_5845;
    pub const UC_STRICT_RESTORE_SS: u64 = 4;
    /// sigcontext's r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp (then rip, eflags, ...).
    pub const SIGCONTEXT_GPRS: [usize; 16] = [
        reg::R8,
        reg::R9,
        reg::R10,
        reg::R11,
        12, // r12
        13, // r13
        14, // r14
        15, // r15
        reg::RDI,
        reg::RSI,
        reg::RBP,
        reg::RBX,
        reg::RDX,
        reg::RAX,
        reg::RCX,
        reg::RSP,
    ];
    pub const SC_RIP: usize = 128;
    pub const SC_EFLAGS: usize = 136;
    pub const SC_CS: usize = 144;
    pub const SC_SS: usize = 150;
    pub const SC_CR2: usize = 176;
    pub const SC_FPSTATE: usize = 184;
    pub const USER_CS: u16 = 0x33;
    pub const USER_DS: u16 = 0x2b;
    pub const RFLAGS_IF: u64 = 1 << 9;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::code::SliceCode;

    /// `int 0x80`'s registers: ia32 number and 32-bit arguments in, only rax out.
    #[test]
    fn ia32_syscall_registers() {
        let mut st = X86State { ia32_syscall: 1, ..Default::default() };
        st.gpr[reg::RAX] = 4; // ia32 write
        st.gpr[reg::RBX] = 1 | 1 << 32;
        st.gpr[reg::RCX] = 0x1234_5678_9abc;
        st.gpr[reg::RDX] = 28;
        st.gpr[reg::R11] = 11;
        assert_eq!(st.syscall_number(), 1, "x86-64 write");
        assert_eq!(st.syscall_args(), [1, 0x5678_9abc, 28, 0, 0, 0]);
        st.set_syscall_result(-9i64 as u64);
        assert_eq!(st.gpr[reg::RAX], -9i64 as u64);
        assert_eq!((st.gpr[reg::RCX], st.gpr[reg::R11], st.ia32_syscall), (0x1234_5678_9abc, 11, 0));
        st.ia32_syscall = 1;
        st.gpr[reg::RAX] = 500;
        assert_ne!(st.syscall_number() & crate::syscall::abi::ia32::REFUSED, 0);
    }

    /// A non-canonical address through rbp or rsp is #SS (SIGBUS), through another base #GP
    /// (SIGSEGV); a canonical one keeps the host's signal.
    #[test]
    fn non_canonical_stack_accesses_are_sigbus() {
        let signal = |code: &[u8], st: &X86State| {
            let src = SliceCode { base: GuestAddr(0x1000), bytes: code };
            X86_64Guest::kernel_fault_signal(st, &src, GuestAddr(0x1000)).map(|s| (s.sig, s.code, s.addr))
        };
        let mut st = X86State::default();
        let bad = 0x8000_0000_0000_0000u64;
        st.gpr[reg::RAX] = bad;
        st.gpr[reg::RBP] = bad;
        st.gpr[reg::RSP] = bad + 8;
        let si_kernel = super::super::si_code::SI_KERNEL;
        assert_eq!(signal(&[0x48, 0x8b, 0x00], &st), Some((libc::SIGSEGV, si_kernel, 0))); // mov rax, [rax]
        assert_eq!(signal(&[0x48, 0x8b, 0x45, 0x08], &st), Some((libc::SIGBUS, si_kernel, 0))); // mov rax, [rbp+8]
        assert_eq!(signal(&[0x48, 0x8b, 0x04, 0x24], &st), Some((libc::SIGBUS, si_kernel, 0))); // mov rax, [rsp]
        assert_eq!(signal(&[0x50], &st), Some((libc::SIGBUS, si_kernel, 0))); // push rax
        assert_eq!(signal(&[0xff, 0x30], &st), Some((libc::SIGSEGV, si_kernel, 0))); // push qword [rax]
        st.gpr[reg::RAX] = 0x1000;
        assert_eq!(signal(&[0x48, 0x8b, 0x00], &st), None, "canonical: the host's signal stands");
        assert_eq!(signal(&[0xff, 0x30], &st), Some((libc::SIGBUS, si_kernel, 0)), "push [rax]: the stack");
        // movsb: either operand; a top byte alone makes an address non-canonical.
        st.gpr[reg::RSP] = 0x7fff_0000;
        st.gpr[reg::RSI] = 0x1000;
        st.gpr[reg::RDI] = 0x0100_0000_0000_1000;
        assert_eq!(signal(&[0xa4], &st), Some((libc::SIGSEGV, si_kernel, 0)));
        st.gpr[reg::RSI] = 0x0000_8000_0000_0000;
        st.gpr[reg::RDI] = 0x1000;
        assert_eq!(signal(&[0xa4], &st), Some((libc::SIGSEGV, si_kernel, 0)));
        st.gpr[reg::RSI] = 0xffff_8000_0000_0000;
        assert_eq!(signal(&[0xa4], &st), None, "canonical (upper half)");
    }
}
