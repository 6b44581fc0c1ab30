//! x86-64 guest frontend: iced-x86 decodes, a table maps each mnemonic to a family handler,
//! handlers write IR through [`Ctx`] (a [`Builder`] plus the current instruction's addresses).
//!
//! Layout:
//! - [`operand`]: the only code that knows operands (registers with partial-register rules,
//!   immediates, memory addressing with RIP-relative and FS/GS).
//! - [`flags`]: flag rules shared by all families, and condition codes.
//! - family files (`alu`, `shift`, `muldiv`, `bits`, `bmi`, `crc32`, `rdrand`, `control`,
//!   `stack`, `mov`, `x87`, the SSE families, x86-64-v2's `sse3`, `ssse3`, `sse41_int`,
//!   `sse41_fp`, `sse42_string`, and string, atomic, system and `fxsr`): each exposes
//!   `lookup(Mnemonic) -> Option<Handler>`; [`lookup`] asks them in turn. Rare instructions
//!   call Rust helpers (`shift_helpers`, `div_helpers`, `x87_helpers`, `vec_helper`).
//! - [`mmx`]: instructions with an MMX register operand, and emms, dispatched by operand
//!   before the mnemonic table (their mnemonics are the SSE integer family's).
//! - [`vex`]: VEX vector forms (AVX, AVX2), dispatched before the mnemonic table: rewritten to
//!   the legacy-SSE instruction and run through its handler (per 128-bit half for VEX.256),
//!   or, for the cross-lane forms, [`avx2_lanes`]; FMA3 in [`fma`], F16C in [`f16c`], the
//!   masked moves and gathers in [`masked`] (with legacy maskmovdqu).
//! - [`xsave`]: xgetbv, xsave/xrstor (standard format) and what cpuid leaf 0xD says of them.
//! - [`nop_space`]: the reserved-NOP space (0F 0D, 0F 18-1F), dispatched by opcode before the
//!   mnemonic table, and the CET instructions outside it.
//! - the `CPUID_*` constants: the features these families implement, which cpuid reports.
//!
//! An instruction that decodes but has no handler, or whose form the handler rejects, ends the
//! block before it with a SIGILL trap naming the address, bytes and disassembly.

pub mod alu;
pub mod atomic;
pub mod avx2_lanes;
pub mod avx2_select;
pub mod bits;
pub mod bmi;
pub mod control;
pub mod crc32;
mod div_helpers;
pub mod f16c;
pub mod flags;
pub mod fma;
pub mod fxsr;
#[cfg(test)]
mod lookahead_tests;
pub mod masked;
pub mod mmx;
pub mod mov;
pub mod muldiv;
pub mod nop_space;
pub mod operand;
pub mod rdrand;
pub mod shift;
mod shift_helpers;
pub mod sse3;
pub mod sse41_fp;
pub mod sse41_int;
pub mod sse42_string;
pub mod sse_arith;
pub mod sse_convert;
pub mod sse_int;
pub mod sse_move;
pub mod sse_recip;
pub mod sse_shuffle;
pub mod ssse3;
pub mod stack;
pub mod state;
pub mod string;
pub mod system;
pub mod vec_helper;
pub mod vex;
mod vex_table;
pub mod x87;
mod x87_helpers;
mod x87_transcend;
pub mod xsave;

#[cfg(test)]
pub(crate) mod testutil;

pub use state::X86State;

use crate::frontend::{lookahead, CodeSource, Frontend, MAX_BLOCK_INSNS};
use crate::ir::{Block, Builder, Exit, GuestAddr, MemoryModel, TrapKind};
use iced_x86::{Decoder, DecoderOptions, FlowControl, Formatter, Instruction, IntelFormatter, Mnemonic};
use std::ops::{Deref, DerefMut};

/// The longest x86 instruction.
const MAX_INSN_LEN: usize = 15;

/// The ISA's name in messages (the guest description uses it too).
pub const ISA_NAME: &str = "x86-64";

/// A handler rejected the instruction's form (or no handler exists): it becomes a SIGILL trap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsupported;

/// A family handler: emits the IR of one instruction into `ctx`.
pub type Handler = fn(&mut Ctx, &Instruction) -> Result<(), Unsupported>;

/// Translation context of one block: the IR builder plus what handlers need to know about the
/// instruction being translated. Derefs to the [`Builder`].
pub struct Ctx {
    pub b: Builder,
    /// Address of the instruction being translated.
    pub pc: u64,
    /// Address of the instruction after it.
    pub next_pc: u64,
    /// Set by a handler that ends the block (branches, syscall, traps).
    pub exit: Option<Exit>,
    /// Set by the VEX lowering while it runs a legacy-SSE handler for a VEX form whose memory
    /// operand has no alignment rule (all but the aligned moves): `sse_mem_addr` then skips
    /// the legacy 16-byte check.
    pub vex_unaligned: bool,
    /// Set by the VEX lowering while it runs a legacy-SSE handler: compare immediates have
    /// VEX's 5-bit predicates (the legacy encodings read bits 2:0).
    pub vex_predicates: bool,
}

impl Deref for Ctx {
    type Target = Builder;
    fn deref(&self) -> &Builder {
        &self.b
    }
}
impl DerefMut for Ctx {
    fn deref_mut(&mut self) -> &mut Builder {
        &mut self.b
    }
}

impl Ctx {
    /// A context whose ordinary loads and stores keep x86's TSO.
    pub fn new() -> Ctx {
        Ctx::with_memory_model(MemoryModel::Tso)
    }

    pub fn with_memory_model(model: MemoryModel) -> Ctx {
        Ctx {
            b: Builder::with_memory_model(model),
            pc: 0,
            next_pc: 0,
            exit: None,
            vex_unaligned: false,
            vex_predicates: false,
        }
    }
}

impl Default for Ctx {
    fn default() -> Self {
        Ctx::new()
    }
}

/// The dispatch table: one line per family module. Each family's `lookup` is a `match` over
/// the mnemonics it implements, returning the handler with its parameters bound.
pub fn lookup(m: Mnemonic) -> Option<Handler> {
    None.or_else(|| alu::lookup(m))
        .or_else(|| shift::lookup(m))
        .or_else(|| muldiv::lookup(m))
        .or_else(|| bits::lookup(m))
        .or_else(|| bmi::lookup(m))
        .or_else(|| crc32::lookup(m))
        .or_else(|| rdrand::lookup(m))
        .or_else(|| control::lookup(m))
        .or_else(|| x87::lookup(m))
        .or_else(|| stack::lookup(m))
        .or_else(|| mov::lookup(m))
        .or_else(|| sse_move::lookup(m))
        .or_else(|| sse_int::lookup(m))
        .or_else(|| sse_arith::lookup(m))
        .or_else(|| sse_recip::lookup(m))
        .or_else(|| sse_convert::lookup(m))
        .or_else(|| sse3::lookup(m))
        .or_else(|| ssse3::lookup(m))
        .or_else(|| sse41_int::lookup(m))
        .or_else(|| sse41_fp::lookup(m))
        .or_else(|| sse42_string::lookup(m))
        .or_else(|| string::lookup(m))
        .or_else(|| atomic::lookup(m))
        .or_else(|| system::lookup(m))
        .or_else(|| fxsr::lookup(m))
        .or_else(|| masked::lookup(m))
        .or_else(|| xsave::lookup(m))
        .or_else(|| nop_space::lookup(m))
}

/// Translates one decoded instruction (no block bookkeeping): used by the block loop and by
/// tests.
pub fn translate(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    // VEX vector forms: lowered to the legacy handlers or handled as cross-lane forms.
    if vex::covers(insn) {
        return vex::translate(ctx, insn);
    }
    translate_legacy(ctx, insn)
}

/// Translates a non-VEX-vector instruction (also the legacy-SSE instructions `vex` rewrites
/// VEX forms to).
pub fn translate_legacy(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    // The reserved-NOP space goes by opcode: iced gives its encodings many mnemonics (see
    // `nop_space`), and one of them, nop, also names 0x90.
    if nop_space::covers(insn.code()) {
        return nop_space::reserved_nop(ctx, insn);
    }
    // mov to or from cr/dr shares its mnemonic with mov: privileged, by opcode.
    if system::is_privileged_mov(insn) {
        return system::general_protection(ctx, insn);
    }
    // MMX forms share their mnemonics with the SSE integer family: they go by operand.
    if mmx::covers(insn) {
        return mmx::lookup(insn.mnemonic()).ok_or(Unsupported)?(ctx, insn);
    }
    let handler = lookup(insn.mnemonic()).ok_or(Unsupported)?;
    handler(ctx, insn)
}

/// The x86-64 frontend.
pub struct X86Frontend {
    /// Guest instructions per block at most (see [`Frontend::set_max_block_insns`]).
    max_insns: u32,
    /// The order of ordinary loads and stores (see [`Frontend::set_memory_model`]).
    model: MemoryModel,
    /// Whether every exit keeps every flag (see [`Frontend::set_exact_flags`]).
    exact_flags: bool,
    /// What each instruction the lookahead scanned does to the flags.
    summaries: lookahead::Summaries,
}

impl Default for X86Frontend {
    fn default() -> Self {
        Self::new()
    }
}

impl X86Frontend {
    pub fn new() -> X86Frontend {
        X86Frontend {
            max_insns: MAX_BLOCK_INSNS,
            model: MemoryModel::Tso,
            exact_flags: false,
            summaries: lookahead::Summaries::default(),
        }
    }
}

fn hex_bytes(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
}

/// Intel-syntax disassembly of `insn` (for trap messages).
pub fn disassemble(insn: &Instruction) -> String {
    let mut text = String::new();
    IntelFormatter::new().format(insn, &mut text);
    text
}

impl Frontend for X86Frontend {
    fn set_max_block_insns(&mut self, max: u32) {
        self.max_insns = max.clamp(1, MAX_BLOCK_INSNS);
    }

    fn set_memory_model(&mut self, model: MemoryModel) {
        self.model = model;
        self.summaries.clear();
    }

    fn set_exact_flags(&mut self, exact: bool) {
        self.exact_flags = exact;
    }

    /// The block, and which status flags the code at its known targets overwrites first
    /// (`frontend::lookahead`), unless flags are exact or blocks are single instructions (a
    /// debugger sees the flags at every instruction).
    fn translate(&mut self, code: &dyn CodeSource, pc: GuestAddr) -> Block {
        let mut block = self.translate_insns(code, pc, self.max_insns);
        if !self.exact_flags && self.max_insns > 1 {
            let flags = flags::STATUS_FLAGS.map(|(_, slot)| slot);
            let mut summaries = std::mem::take(&mut self.summaries);
            lookahead::look_ahead(&mut block, code, &flags, &mut summaries, |code, pc, max| {
                self.translate_insns(code, pc, max)
            });
            self.summaries = summaries;
        }
        block
    }
}

impl X86Frontend {
    /// The block at `pc` of at most `max_insns` instructions, without looking ahead.
    fn translate_insns(&self, code: &dyn CodeSource, pc: GuestAddr, max_insns: u32) -> Block {
        let mut ctx = Ctx::with_memory_model(self.model);
        ctx.b.reserve_for_insns(max_insns);
        let mut addr = pc.0;
        let mut insns = 0u32;
        let exit = loop {
            if insns >= max_insns {
                break Exit::Jump(GuestAddr(addr));
            }
            let mut buf = [0u8; MAX_INSN_LEN];
            let avail = code.read_code(GuestAddr(addr), &mut buf);
            if avail == 0 {
                break crate::frontend::unreadable_code_trap(code, addr);
            }
            // Decode from the zero-padded buffer, so that an instruction cut off by the end of
            // readable code is told apart from invalid bytes by its length.
            let mut decoder = Decoder::with_ip(64, &buf, addr, DecoderOptions::NONE);
            let insn = decoder.decode();
            if insn.is_invalid() || insn.len() > avail {
                let (kind, what) = if insn.is_invalid() {
                    (TrapKind::IllegalInstruction, "invalid instruction")
                } else {
                    (TrapKind::CodeFetch, "instruction runs into unmapped or non-executable memory:")
                };
                let message = format!("{addr:#x}: {what} {}", hex_bytes(&buf[..avail]));
                break Exit::Trap { kind, pc: GuestAddr(addr), message: Some(message) };
            }
            let len = insn.len();
            let mark = ctx.len();
            ctx.pc = addr;
            ctx.next_pc = insn.next_ip();
            ctx.guest_insn(GuestAddr(addr), len as u8);
            if translate(&mut ctx, &insn).is_err() {
                ctx.truncate(mark);
                ctx.exit = None;
                let message = crate::frontend::unimplemented_message(
                    ISA_NAME,
                    addr,
                    &hex_bytes(&buf[..len]),
                    &disassemble(&insn),
                );
                break Exit::Trap {
                    kind: TrapKind::IllegalInstruction,
                    pc: GuestAddr(addr),
                    message: Some(message),
                };
            }
            insns += 1;
            addr = insn.next_ip();
            if let Some(exit) = ctx.exit.take() {
                break exit;
            }
            if insn.flow_control() != FlowControl::Next {
                // A control-flow instruction whose handler did not choose an exit: continue at
                // the next instruction through the dispatcher.
                break Exit::Jump(GuestAddr(addr));
            }
        };
        let block = ctx.b.finish(pc, (addr - pc.0) as u32, insns, exit);
        debug_assert_eq!(crate::ir::verify(&block), Ok(()), "{block:?}");
        block
    }
}

/// CPU features xlate's cpuid reports in leaf 1 EDX (also the AT_HWCAP the loader puts in the
/// auxv): FPU, TSC, CX8, CMOV, MMX, FXSR, SSE, SSE2, exactly what the families implement. (glibc's
/// dynamic loader needs all of them but TSC: its x86-64 baseline ISA level.)
pub const CPUID_1_EDX: u32 = 1 << 0 // FPU (x87: the `x87` family)
    | 1 << 4 // TSC (rdtsc)
    | 1 << 8 // CX8 (cmpxchg8b)
    | 1 << 15 // CMOV
    | 1 << 23 // MMX (the `mmx` family)
    | 1 << 24 // FXSR (fxsave/fxrstor: the `fxsr` family)
    | 1 << 25 // SSE
    | 1 << 26; // SSE2

/// Leaf 1 ECX: SSE3 (`sse3`, fisttp in `x87`), SSSE3 (`ssse3`, mm forms in `mmx`), FMA (`fma`),
/// SSE4.1 (`sse41_int`, `sse41_fp`), SSE4.2 (`sse42_string`, pcmpgtq in `sse41_int`, crc32 in
/// `crc32`), MOVBE (`mov`), POPCNT (`bits`), XSAVE and OSXSAVE (`xsave`: XCR0 = x87 | SSE |
/// AVX), AVX (`vex` and the families it dispatches to), F16C (`f16c`), RDRAND (`rdrand`):
/// with CX16 (cmpxchg16b in `atomic`, added by the cpuid handler) and LAHF_LM, x86-64-v2, and
/// with AVX2, BMI1, BMI2 (leaf 7) and LZCNT, x86-64-v3. Not MONITOR, AES, PCLMULQDQ.
pub const CPUID_1_ECX: u32 = 1 // SSE3
    | 1 << 9 // SSSE3
    | 1 << 12 // FMA
    | 1 << 19 // SSE4.1
    | 1 << 20 // SSE4.2
    | 1 << 22 // MOVBE
    | 1 << 23 // POPCNT
    | 1 << 26 // XSAVE
    | 1 << 27 // OSXSAVE
    | 1 << 28 // AVX
    | 1 << 29 // F16C
    | 1 << 30; // RDRAND

/// Leaf 0x8000_0001 ECX: LZCNT (ABM, implemented in `bits`).
pub const CPUID_80000001_ECX: u32 = 1 << 5;

/// Leaf 7 subleaf 0 EBX: BMI1 (`bmi`, and tzcnt in `bits`), AVX2 (`vex`, `avx2_lanes`,
/// `avx2_select`, the gathers in `masked`), BMI2 (`bmi`), RDSEED (`rdrand`), ADX (adcx/adox in
/// `alu`).
pub const CPUID_7_EBX: u32 = 1 << 3 // BMI1
    | 1 << 5 // AVX2
    | 1 << 8 // BMI2
    | 1 << 18 // RDSEED
    | 1 << 19; // ADX

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::SliceCode;

    fn block_of(bytes: &[u8]) -> Block {
        X86Frontend::new().translate(&SliceCode { base: GuestAddr(0x1000), bytes }, GuestAddr(0x1000))
    }

    #[test]
    fn unimplemented_instruction_ends_the_block_before_it() {
        // add eax, ebx; vpaddb zmm0, zmm1, zmm2 (AVX-512 is not implemented)
        let block = block_of(&[0x01, 0xd8, 0x62, 0xf1, 0x75, 0x48, 0xfc, 0xc2]);
        assert_eq!(block.guest_insns, 1);
        assert_eq!(block.guest_len, 2);
        match &block.exit {
            Exit::Trap { kind: TrapKind::IllegalInstruction, pc, message: Some(m) } => {
                assert_eq!(*pc, GuestAddr(0x1002));
                assert_eq!(
                    m,
                    "0x1002: unimplemented x86-64 instruction 62 f1 75 48 fc c2 (vpaddb zmm0,zmm1,zmm2); \
                     please report it to the xlate project with this line"
                );
            }
            e => panic!("unexpected exit {e:?}"),
        }
        assert!(!block
            .ops
            .iter()
            .any(|op| matches!(op, crate::ir::Op::GuestInsn { pc: GuestAddr(0x1002), .. })));
    }

    #[test]
    fn invalid_and_unreadable_bytes_trap() {
        // 0x06 (push es) is invalid in 64-bit mode.
        let block = block_of(&[0x06]);
        assert!(
            matches!(
                block.exit,
                Exit::Trap { kind: TrapKind::IllegalInstruction, pc: GuestAddr(0x1000), .. }
            ),
            "{:?}",
            block.exit
        );
        // A truncated instruction at the end of readable code: mov eax, imm32 missing bytes.
        let block = block_of(&[0xb8, 0x01]);
        assert!(matches!(block.exit, Exit::Trap { kind: TrapKind::CodeFetch, pc: GuestAddr(0x1000), .. }));
        let block = block_of(&[]);
        assert!(matches!(block.exit, Exit::Trap { kind: TrapKind::CodeFetch, .. }));
    }

    #[test]
    fn block_ends_at_the_limit_and_at_branches() {
        let nops = vec![0x90u8; MAX_BLOCK_INSNS as usize + 5];
        let block = block_of(&nops);
        assert_eq!(block.guest_insns, MAX_BLOCK_INSNS);
        assert_eq!(block.exit, Exit::Jump(GuestAddr(0x1000 + MAX_BLOCK_INSNS as u64)));
        // nop; jmp -2 (to itself)
        let block = block_of(&[0x90, 0xeb, 0xfe, 0x90]);
        assert_eq!(block.guest_insns, 2);
        assert_eq!(block.exit, Exit::Jump(GuestAddr(0x1001)));
    }
}

#[cfg(test)]
mod semantics_tests {
    //! What the native differential tests cannot check: FS/GS bases, atomicity of locked
    //! forms (which ops are emitted), #DE leaving state untouched.
    use super::state::reg;
    use super::testutil::{block, run, BASE};
    use super::*;
    use crate::ir::protocol::ExitReason;
    use crate::ir::{Op, RmwOp};

    #[test]
    fn fs_and_gs_overrides_add_the_segment_base() {
        let data: Vec<u64> = (0..8).map(|i| 0x1111_1111_1111_1111u64.wrapping_mul(i + 1)).collect();
        let mut st = X86State {
            fs_base: data.as_ptr() as u64,
            gs_base: data.as_ptr() as u64 + 16,
            ..X86State::default()
        };
        // mov rax, fs:[0x28]; mov rcx, gs:[8]
        let out = run(
            &[0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0, 0x65, 0x48, 0x8b, 0x0c, 0x25, 8, 0, 0, 0],
            &mut st,
        );
        assert_eq!(out.reason, ExitReason::Trap);
        assert_eq!(st.gpr[reg::RAX], data[5]);
        assert_eq!(st.gpr[reg::RCX], data[3]);
    }

    #[test]
    fn locked_read_modify_writes_are_atomic_ops() {
        let rmw = |bytes: &[u8]| -> Vec<RmwOp> {
            block(bytes)
                .ops
                .iter()
                .filter_map(|op| if let Op::AtomicRmw { op, .. } = op { Some(*op) } else { None })
                .collect()
        };
        // lock add [rdi], eax
        assert_eq!(rmw(&[0xf0, 0x01, 0x07]), vec![RmwOp::Add]);
        // lock bts dword [rdi], eax
        assert_eq!(rmw(&[0xf0, 0x0f, 0xab, 0x07]), vec![RmwOp::Or]);
        // xchg [rdi], eax (implicitly locked)
        assert_eq!(rmw(&[0x87, 0x07]), vec![RmwOp::Xchg]);
        // lock adc [rdi], eax: a compare-exchange that retries the instruction.
        let b = block(&[0xf0, 0x11, 0x07]);
        assert!(b.ops.iter().any(|op| matches!(op, Op::CompareExchange { .. })));
        assert!(b.ops.iter().any(|op| matches!(op, Op::ExitIf { exit: Exit::Jump(GuestAddr(BASE)), .. })));
    }

    #[test]
    fn divide_error_leaves_registers_alone() {
        // div rcx with rcx = 0, then idiv ecx with edx:eax = INT_MIN, ecx = -1.
        for (bytes, rax, rdx, rcx) in [
            (&[0x48, 0xf7, 0xf1][..], 5u64, 0u64, 0u64),
            (&[0xf7, 0xf9][..], 0x8000_0000, 0xffff_ffff, 0xffff_ffff),
        ] {
            let mut st = X86State::default();
            st.gpr[reg::RAX] = rax;
            st.gpr[reg::RDX] = rdx;
            st.gpr[reg::RCX] = rcx;
            let before = st.gpr;
            let out = run(bytes, &mut st);
            assert_eq!(
                (out.reason, out.trap, out.next_pc),
                (ExitReason::Trap, Some(TrapKind::DivideError), GuestAddr(BASE))
            );
            assert_eq!(st.gpr, before);
        }
    }

    #[test]
    fn address_size_prefix_on_call_is_ignored() {
        // addr32 call +0 (glibc's _start does this)
        let b = block(&[0x67, 0xe8, 0, 0, 0, 0]);
        assert_eq!(b.exit, Exit::Jump(GuestAddr(BASE + 6)));
    }
}

#[cfg(test)]
mod robustness_tests {
    use super::*;
    use crate::frontend::SliceCode;

    /// Guest bytes never panic the frontend and always give a block the IR verifier accepts:
    /// random byte strings from a fixed seed, plus every one-byte opcode after each prefix.
    #[test]
    fn random_bytes_translate_to_valid_blocks() {
        let mut seed = 0x243f_6a88_85a3_08d3u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        for _ in 0..20_000 {
            let len = (next() % 24) as usize;
            inputs.push((0..len).map(|_| next() as u8).collect());
        }
        for prefix in [
            &[][..],
            &[0x66],
            &[0xf0],
            &[0xf2],
            &[0xf3],
            &[0x48],
            &[0x0f],
            &[0x66, 0x0f],
            &[0xf3, 0x0f],
            &[0x67],
            // VEX: two-byte forms (0F map) with each pp and L, three-byte forms (0F38, 0F3A
            // maps, W0 and W1), other vvvv registers.
            &[0xc5, 0xf8],
            &[0xc5, 0xf9],
            &[0xc5, 0xfa],
            &[0xc5, 0xfb],
            &[0xc5, 0xfc],
            &[0xc5, 0xfd],
            &[0xc5, 0xc9],
            &[0xc5, 0x4d],
            &[0xc4, 0xe2, 0x79],
            &[0xc4, 0xe2, 0x7d],
            &[0xc4, 0xe2, 0xf9],
            &[0xc4, 0xe2, 0xfd],
            &[0xc4, 0xe3, 0x79],
            &[0xc4, 0xe3, 0x7d],
            &[0xc4, 0xe3, 0xfd],
            &[0xc4, 0x42, 0x35],
        ] {
            for op in 0..=255u8 {
                for modrm in [0x00u8, 0x05, 0x44, 0xc0, 0xd1, 0xff] {
                    let mut v = prefix.to_vec();
                    v.extend_from_slice(&[op, modrm, 0x24, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66]);
                    inputs.push(v);
                }
            }
        }
        let mut frontend = X86Frontend::new();
        for bytes in &inputs {
            let block = frontend.translate(&SliceCode { base: GuestAddr(0x7000), bytes }, GuestAddr(0x7000));
            assert_eq!(crate::ir::verify(&block), Ok(()), "bytes {bytes:02x?}");
            assert!(block.guest_len as usize <= bytes.len(), "bytes {bytes:02x?}");
        }
    }
}
