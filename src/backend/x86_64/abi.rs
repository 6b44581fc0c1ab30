//! The register convention of the x86-64 backend, in one place, and the fixed code that
//! enters and leaves translated code (the trampoline).
//!
//! # Registers while translated code runs
//!
//! | host register            | role                                                        |
//! |--------------------------|-------------------------------------------------------------|
//! | `r15`                    | [`STATE`]: pointer to the guest state struct, for the whole  |
//! |                          | time translated code runs (callee-saved, so helper calls    |
//! |                          | keep it)                                                    |
//! | `rbx rbp r12 r13 r14`    | [`ALLOCATABLE`] (first five): IR temporaries placed by the   |
//! |                          | register allocator. Callee-saved: they survive helper calls |
//! | `r9 r10 r11 rdi`         | [`ALLOCATABLE`] (last four): more temporaries. Caller-saved, |
//! |                          | so around each helper call the backend saves those holding  |
//! |                          | a temp that lives past the call ([`CALLER_SAVED_FROM`]).    |
//! |                          | A call writes `rdi` (the state pointer) after loading the   |
//! |                          | arguments, so an argument may come from `rdi`               |
//! | `rsp`                    | the frame: spill slots at `[rsp + 8*slot]`                   |
//! | `rax rcx rdx rsi r8`     | scratch: live only within the code of one IR op (`rsi rdx   |
//! |                          | rcx r8` also carry helper arguments)                        |
//! | `xmm5` .. `xmm15`        | [`VECTOR_REGS`]: 128-bit vector temporaries, in blocks that  |
//! |                          | call nothing (all xmm registers are caller-saved); in other |
//! |                          | blocks they live in 16-byte slots after the spill slots     |
//! | `xmm0` .. `xmm4`         | scratch within one op (FP, lanes, a spilled vector)          |
//!
//! The allocator hands out registers in [`ALLOCATABLE`] order, so the caller-saved ones are
//! used only when the five callee-saved ones are all taken.
//!
//! # The frame
//!
//! [`emit_trampoline`] emits `enter(state, code)` as a SysV function: it pushes the six
//! callee-saved registers, reserves [`SPILL_AREA_BYTES`] (+8 so that `rsp` is 16-byte aligned:
//! every helper call then sees the alignment the SysV ABI requires; those 8 bytes keep the
//! host's MXCSR, [`HOST_MXCSR`]), loads [`STATE`] from
//! `rdi` and jumps to `code` (`rsi`). Blocks run with exactly that `rsp`; chained blocks jump
//! to each other with it. The shared exit path releases the frame, pops the registers and
//! returns to the dispatcher.
//!
//! A block that needs more spill slots than the fixed area holds (very unusual) lowers `rsp`
//! by a multiple of 16 at its entry ([`crate::backend::x86_64::Emitter::frame_extra`]) and
//! raises it again on every way out (exits and chain sites), so every block boundary sees the
//! frame as the trampoline made it.

use super::Asm;
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};

/// Host register numbers as x86 encodes them (ModRM/REX order).
pub const RAX: u8 = 0;
pub const RCX: u8 = 1;
pub const RDX: u8 = 2;
pub const RBX: u8 = 3;
pub const RBP: u8 = 5;
pub const RSI: u8 = 6;
pub const RDI: u8 = 7;
pub const R8: u8 = 8;
pub const R9: u8 = 9;
pub const R10: u8 = 10;
pub const R11: u8 = 11;
pub const R12: u8 = 12;
pub const R13: u8 = 13;
pub const R14: u8 = 14;
pub const R15: u8 = 15;

/// The guest state pointer. Also written in the `dynasm!` blocks as `r15`.
pub const STATE: u8 = R15;

/// Host registers the register allocator may give to IR temporaries (`Loc::Reg(i)` is
/// `ALLOCATABLE[i]`). Callee-saved first; see [`CALLER_SAVED_FROM`].
pub const ALLOCATABLE: [u8; 9] = [RBX, RBP, R12, R13, R14, R9, R10, R11, RDI];

/// `ALLOCATABLE[CALLER_SAVED_FROM..]` are caller-saved: a helper call may clobber them, so
/// the backend saves the live ones to the frame before a call and reloads them after it.
pub const CALLER_SAVED_FROM: usize = 5;

/// The xmm registers the allocator may give to vector temporaries (`Loc::Reg(i)` of the
/// vector allocation is `xmm(VECTOR_REGS[i])`), in blocks that call no function.
pub const VECTOR_REGS: [u8; 11] = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/// Bytes of spill slots the trampoline reserves (256 slots of 8 bytes).
pub const SPILL_AREA_BYTES: i32 = 2048;

/// `rsp` adjustment the trampoline makes below its pushes: the spill area plus 8 bytes, so
/// that `rsp` is 16-byte aligned (6 pushes + the return address = 56 bytes).
const FRAME_BYTES: i32 = SPILL_AREA_BYTES + 8;

/// `[rsp + HOST_MXCSR]` (the 8 bytes of alignment after the spill area) holds the host's
/// MXCSR as the trampoline found it: translated code reloads it when it leaves the guest's
/// MXCSR ([`super::emit_fp`]), and so does the fault exit.
pub const HOST_MXCSR: i32 = SPILL_AREA_BYTES;

/// Where an IR temporary lives while its block runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum HostLoc {
    /// In this host register (one of [`ALLOCATABLE`]).
    Reg(u8),
    /// In the spill slot at `[rsp + disp]`.
    Stack(i32),
}

/// `dst_reg = temp` (all 64 bits).
pub fn load_loc(asm: &mut Asm, dst: u8, loc: HostLoc) {
    match loc {
        HostLoc::Reg(r) if r == dst => {}
        HostLoc::Reg(r) => dynasm!(asm ; .arch x64 ; mov Rq(dst), Rq(r)),
        HostLoc::Stack(d) => dynasm!(asm ; .arch x64 ; mov Rq(dst), QWORD [rsp + d]),
    }
}

/// `temp = src_reg` (all 64 bits).
pub fn store_loc(asm: &mut Asm, loc: HostLoc, src: u8) {
    match loc {
        HostLoc::Reg(r) if r == src => {}
        HostLoc::Reg(r) => dynasm!(asm ; .arch x64 ; mov Rq(r), Rq(src)),
        HostLoc::Stack(d) => dynasm!(asm ; .arch x64 ; mov QWORD [rsp + d], Rq(src)),
    }
}

/// Addresses of the fixed code in the executable view.
#[derive(Clone, Copy, Debug)]
pub struct FixedCode {
    /// `extern "C" fn(state: *mut u8, code: usize, sp_slot: *mut usize)`: stores its stack
    /// pointer at `sp_slot` ([`crate::backend::entry_sp`]).
    pub enter: usize,
    /// The fault exit ([`crate::backend::Backend::fault_exit`]).
    pub fault_exit: usize,
    /// Exit routines, indexed by `ExitReason as usize`: each stores `next_pc` = `rax`, its
    /// reason, and `exit_arg` (`rcx` for `Chain` and `Trap`, 0 for the others) into the state
    /// header and continues to the shared exit path, which restores the registers and
    /// returns from `enter`. Blocks jump to them so that every exit in a block
    /// costs a few bytes, not three 64-bit stores.
    pub exit_with: [usize; 5],
    /// The inline lookup probe ([`super::lookup::emit_probe`]): a function returning in
    /// `rcx` where to go for the guest address in `rax` (its block, or the `Lookup` exit).
    pub lookup: usize,
    /// Bytes of fixed code.
    pub len: usize,
}

/// Emits the fixed code (trampoline, exit path, exit routines, lookup probe over the table
/// at `lookup_table`) for code that will start at `base`; returns its bytes and the
/// addresses of its parts.
pub fn emit_trampoline(base: usize, lookup_table: usize) -> (Vec<u8>, FixedCode) {
    use crate::ir::protocol::{header, ExitReason};
    let mut asm = Asm::new(base);
    let enter = asm.offset().0;
    dynasm!(asm
        ; .arch x64
        ; push rbx
        ; push rbp
        ; push r12
        ; push r13
        ; push r14
        ; push r15
        ; sub rsp, FRAME_BYTES
        ; stmxcsr [rsp + HOST_MXCSR]
        ; mov [rdx], rsp
        ; mov r15, rdi
        ; jmp rsi
    );
    let exit_label = asm.new_dynamic_label();
    dynasm!(asm
        ; .arch x64
        ; =>exit_label
        ; add rsp, FRAME_BYTES
        ; pop r15
        ; pop r14
        ; pop r13
        ; pop r12
        ; pop rbp
        ; pop rbx
        ; ret
    );
    let (next_pc, reason_at, arg_at) =
        (header::NEXT_PC as i32, header::EXIT_REASON as i32, header::EXIT_ARG as i32);
    let mut exit_with = [0; 5];
    let exit_lookup = asm.new_dynamic_label();
    for reason in
        [ExitReason::Lookup, ExitReason::Chain, ExitReason::Syscall, ExitReason::Trap, ExitReason::Invalidate]
    {
        exit_with[reason as usize] = base + asm.offset().0;
        if reason == ExitReason::Lookup {
            dynasm!(asm ; .arch x64 ; =>exit_lookup);
        }
        let code = reason as i32;
        dynasm!(asm
            ; .arch x64
            ; mov QWORD [r15 + next_pc], rax
            ; mov QWORD [r15 + reason_at], code
        );
        match reason {
            ExitReason::Chain | ExitReason::Trap => {
                dynasm!(asm ; .arch x64 ; mov QWORD [r15 + arg_at], rcx)
            }
            ExitReason::Lookup | ExitReason::Syscall | ExitReason::Invalidate => {
                dynasm!(asm ; .arch x64 ; mov QWORD [r15 + arg_at], 0)
            }
            ExitReason::Fault => unreachable!("the fault exit is emitted below"),
        }
        dynasm!(asm ; .arch x64 ; jmp =>exit_label);
    }
    // Entered from the host signal handler with rsp = the entry's and r15 = the state.
    let fault_exit = base + asm.offset().0;
    let fault = ExitReason::Fault as i32;
    // The fault may have come while the guest's MXCSR was loaded (see `emit_fp`).
    dynasm!(asm
        ; .arch x64
        ; ldmxcsr [rsp + HOST_MXCSR]
        ; mov QWORD [r15 + reason_at], fault
        ; jmp =>exit_label
    );
    let lookup = base + asm.offset().0;
    super::lookup::emit_probe(&mut asm, lookup_table, exit_lookup);
    let bytes = asm.finalize().expect("fixed code relocations are local");
    let len = bytes.len();
    (bytes, FixedCode { enter: base + enter, fault_exit, exit_with, lookup, len })
}
