//! AArch64 (A64) guest frontend: decodes 4-byte A64 words with the pattern table in
//! [`decode`] and lowers each instruction to IR with the handler of its row. Handlers live in
//! files named after the ARM ARM sections they implement (`dp_imm`, `dp_reg`, `loadstore`,
//! `atomic`, `branch`, `system`, `fp`, `simd`); [`flags`] holds the NZCV and condition code
//! helpers they share, and [`Ctx`] the register access rules (register 31 is SP or XZR).

pub mod atomic;
pub mod branch;
pub mod crypto;
pub mod decode;
pub mod dp_imm;
pub mod dp_reg;
pub mod flags;
pub mod fp;
pub mod fp_half;
pub mod fp_helpers;
pub mod ldst_simd;
pub mod loadstore;
pub mod simd;
pub mod simd_estimate;
pub mod simd_fma;
pub mod simd_form;
pub mod simd_fp;
pub mod simd_fparith;
pub mod simd_helpers;
pub mod simd_ir;
pub mod simd_sat;
pub mod state;
pub mod system;

pub use state::A64State;

/// The AT_HWCAP bits of Linux arm64 (arch/arm64/include/uapi/asm/hwcap.h) that xlate can
/// advertise.
pub mod hwcap {
    pub const FP: u64 = 1 << 0;
    pub const ASIMD: u64 = 1 << 1;
    pub const AES: u64 = 1 << 3;
    pub const PMULL: u64 = 1 << 4;
    pub const SHA1: u64 = 1 << 5;
    pub const SHA2: u64 = 1 << 6;
    pub const CRC32: u64 = 1 << 7;
    pub const ATOMICS: u64 = 1 << 8;
    pub const FPHP: u64 = 1 << 9;
    pub const ASIMDHP: u64 = 1 << 10;
    pub const CPUID: u64 = 1 << 11;
    pub const ASIMDRDM: u64 = 1 << 12;
    pub const LRCPC: u64 = 1 << 15;
    pub const DCPOP: u64 = 1 << 16;
    pub const ASIMDDP: u64 = 1 << 20;
    pub const SSBS: u64 = 1 << 28;
}

/// What the guest is told it may use in AT_HWCAP: the Neoverse-N1 features (what qemu
/// `-cpu neoverse-n1` reports, 0x119ffb) that this frontend implements and the tests check
/// against qemu: FP and AdvSIMD (every Linux arm64 CPU has both and glibc assumes them; no
/// AdvSIMD form is pending), FPHP and ASIMDHP (FEAT_FP16, scalar and AdvSIMD), AES, PMULL,
/// SHA1, SHA2, CRC32, the LSE atomics, CPUID (EL0 reads of the ID registers,
/// `system::id_register`, which agree with these bits), RDM (SQRDMLAH/SQRDMLSH), LRCPC
/// (LDAPR), DCPOP (DC CVAP), the dot product and SSBS (PSTATE.SSBS, `MSR SSBS`; Linux
/// reports it on N1, qemu 7.2 does not). Nothing in AT_HWCAP2. `tests/a64_coverage.rs` checks that no form of
/// an advertised feature is pending.
pub const HWCAP: u64 = hwcap::FP
    | hwcap::ASIMD
    | hwcap::FPHP
    | hwcap::ASIMDHP
    | hwcap::AES
    | hwcap::PMULL
    | hwcap::SHA1
    | hwcap::SHA2
    | hwcap::CRC32
    | hwcap::ATOMICS
    | hwcap::CPUID
    | hwcap::ASIMDRDM
    | hwcap::LRCPC
    | hwcap::DCPOP
    | hwcap::ASIMDDP
    | hwcap::SSBS;

/// The ISA's name in messages (the guest description uses it too).
pub const ISA_NAME: &str = "aarch64";

use crate::frontend::{CodeSource, Frontend, MAX_BLOCK_INSNS};
use crate::ir::{BinOp, Block, Builder, Exit, GuestAddr, Temp, TrapKind, Width};
use state::off;

/// The A64 frontend. Stateless apart from the decode table it builds once.
pub struct A64Frontend {
    table: &'static decode::Table,
    /// Guest instructions per block at most (see [`Frontend::set_max_block_insns`]).
    max_insns: u32,
}

impl Default for A64Frontend {
    fn default() -> Self {
        Self::new()
    }
}

impl A64Frontend {
    pub fn new() -> Self {
        A64Frontend { table: decode::table(), max_insns: MAX_BLOCK_INSNS }
    }
}

/// What a handler did with its instruction.
pub enum Flow {
    /// Translated; the block continues with the next instruction.
    Next,
    /// Translated; the block ends with this exit.
    End(Exit),
    /// Not translated (an encoding this frontend does not implement or that is unallocated);
    /// the block ends before it with a SIGILL trap. The string says which form.
    Unimplemented(&'static str),
}

/// Bits 0-55 of a data address: what top-byte-ignore leaves of it ([`Ctx::data_addr`]).
pub const DATA_ADDR_MASK: u64 = 0x00ff_ffff_ffff_ffff;

/// Translation context of one instruction: the block's builder and the instruction's address.
pub struct Ctx<'a> {
    pub b: &'a mut Builder,
    pub pc: u64,
}

/// `W32` or `W64` from an `sf` bit.
pub fn width_of(sf: bool) -> Width {
    if sf {
        Width::W64
    } else {
        Width::W32
    }
}

impl Ctx<'_> {
    /// Register `n` as a source where 31 means XZR, read at `w` (W32 reads the low half).
    pub fn xr(&mut self, n: u32, w: Width) -> Temp {
        if n == 31 {
            self.b.constant(0)
        } else {
            self.load_low(off::x(n as usize), w)
        }
    }

    /// The low `w` bits of a 64-bit state field, zero-extended. Always read as 64 bits and
    /// narrowed, so the IR's state forwarding (which matches offset and width) finds the
    /// value a previous 64-bit write or read left in a temporary instead of reloading it.
    pub fn load_low(&mut self, slot: crate::ir::StateOffset, w: Width) -> Temp {
        let v = self.b.load_state(slot, Width::W64);
        if w == Width::W64 {
            v
        } else {
            self.b.ext(v, w, false)
        }
    }

    /// Register `n` as a source where 31 means SP.
    pub fn xsp(&mut self, n: u32, w: Width) -> Temp {
        let slot = if n == 31 { off::SP } else { off::x(n as usize) };
        self.load_low(slot, w)
    }

    /// Writes `v` to register `n` (31 = XZR: discarded). A 32-bit write clears the upper half.
    pub fn set_x(&mut self, n: u32, v: Temp, w: Width) {
        if n != 31 {
            let v = self.clip(v, w);
            self.b.store_state(off::x(n as usize), v, Width::W64);
        }
    }

    /// Writes `v` to register `n` where 31 means SP.
    pub fn set_xsp(&mut self, n: u32, v: Temp, w: Width) {
        let v = self.clip(v, w);
        let slot = if n == 31 { off::SP } else { off::x(n as usize) };
        self.b.store_state(slot, v, Width::W64);
    }

    /// The value `base` of base register `rn` as a data address: Linux runs user space with
    /// top-byte-ignore (TCR_EL1.TBI0), so bits 56-63 of a load or store address are a tag the
    /// memory system does not see (a program may keep one there, as HWASan and some
    /// allocators do). For an immediate offset the tag is cleared from the base, before the
    /// offset is added: that differs from clearing it from the sum only when the sum carries
    /// across bit 56, where both addresses are far outside user space and fault, and it lets
    /// the optimiser share one AND among the accesses of a block that use the same base. A
    /// register offset is added first (the base register may hold the small negative
    /// operand, see `load_store_reg`). A written-back base
    /// keeps its tag. SP-based addresses are left as they are: compilers never tag the stack
    /// pointer, and leaving them saves an AND on every stack access (a tagged SP would fault
    /// here where the hardware ignores the tag).
    pub fn data_addr(&mut self, base: Temp, rn: u32) -> Temp {
        if rn == 31 {
            base
        } else {
            self.b.bin_imm(BinOp::And, base, DATA_ADDR_MASK, Width::W64)
        }
    }

    /// `v` zero-extended from `w` (no op for W64).
    pub fn clip(&mut self, v: Temp, w: Width) -> Temp {
        if w == Width::W64 {
            v
        } else {
            self.b.ext(v, w, false)
        }
    }

    pub fn imm(&mut self, v: u64) -> Temp {
        self.b.constant(v)
    }

    /// The SIGILL exit for the instruction at this context's pc.
    pub fn trap_illegal(&self, word: u32, name: &str) -> Exit {
        illegal(self.pc, word, name)
    }
}

fn illegal(pc: u64, word: u32, name: &str) -> Exit {
    Exit::Trap {
        kind: TrapKind::IllegalInstruction,
        pc: GuestAddr(pc),
        message: Some(crate::frontend::unimplemented_message(ISA_NAME, pc, &format!("{word:08x}"), name)),
    }
}

/// Bits `lo .. lo + len` of `word`.
#[inline]
pub const fn bits(word: u32, lo: u32, len: u32) -> u32 {
    (word >> lo) & ((1u32 << len) - 1)
}

/// Bit `n` of `word` as a bool.
#[inline]
pub const fn bit(word: u32, n: u32) -> bool {
    (word >> n) & 1 != 0
}

/// Sign-extends the low `len` bits of `v`.
#[inline]
pub const fn sext(v: u64, len: u32) -> i64 {
    ((v << (64 - len)) as i64) >> (64 - len)
}

impl Frontend for A64Frontend {
    fn set_max_block_insns(&mut self, max: u32) {
        self.max_insns = max.clamp(1, MAX_BLOCK_INSNS);
    }

    /// A64's ordinary accesses are unordered under either model; LDAR, STLR and the
    /// barriers carry their own order.
    fn set_memory_model(&mut self, _model: crate::ir::MemoryModel) {}

    fn translate(&mut self, code: &dyn CodeSource, pc: GuestAddr) -> Block {
        let mut b = Builder::new();
        b.reserve_for_insns(self.max_insns);
        let start = pc.0;
        let mut pc = start;
        let mut insns = 0u32;
        let exit = loop {
            if !pc.is_multiple_of(4) {
                // Only a branch to a register can get here (BR, BLR, RET and their
                // authenticated forms): a PC alignment fault on the target, before any fetch.
                break Exit::Trap { kind: TrapKind::MisalignedPc, pc: GuestAddr(pc), message: None };
            }
            if insns >= self.max_insns {
                break Exit::Jump(GuestAddr(pc));
            }
            let mut buf = [0u8; 4];
            if code.read_code(GuestAddr(pc), &mut buf) < 4 {
                break crate::frontend::unreadable_code_trap(code, pc);
            }
            let word = u32::from_le_bytes(buf);
            if word >> 16 == 0 {
                // UDF #imm16: permanently UNDEFINED by the architecture (a deliberate SIGILL,
                // not a gap in xlate), so no "unimplemented" line.
                break Exit::Trap { kind: TrapKind::IllegalInstruction, pc: GuestAddr(pc), message: None };
            }
            let mark = b.len();
            b.guest_insn(GuestAddr(pc), 4);
            let (flow, name) = match self.table.lookup(word) {
                Some(row) => ((row.handler)(&mut Ctx { b: &mut b, pc }, word), row.name),
                None => (Flow::Unimplemented("unallocated or unknown encoding"), ""),
            };
            match flow {
                Flow::Next => {
                    insns += 1;
                    pc += 4;
                }
                Flow::End(exit) => {
                    insns += 1;
                    pc += 4;
                    break exit;
                }
                Flow::Unimplemented(why) => {
                    b.truncate(mark);
                    let label = if name.is_empty() { why.to_string() } else { format!("{name}: {why}") };
                    break illegal(pc, word, &label);
                }
            }
        };
        b.finish(GuestAddr(start), (pc - start) as u32, insns, exit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::SliceCode;

    /// Every 32-bit word translates without a panic into a block the IR verifier accepts.
    #[test]
    fn random_words_never_panic() {
        let mut fe = A64Frontend::new();
        let mut s = 0x1234_5678_9abc_def0u64;
        for _ in 0..200_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let bytes = (s as u32).to_le_bytes();
            let code = SliceCode { base: GuestAddr(0x40_0000), bytes: &bytes };
            let block = fe.translate(&code, GuestAddr(0x40_0000));
            if let Err(e) = crate::ir::verify(&block) {
                panic!("{:08x}: {e}", s as u32);
            }
        }
    }
}

#[cfg(test)]
mod listing {
    use super::*;
    use crate::frontend::SliceCode;

    /// A small block (SUBS, ADD shifted, LDR, CMP, B.NE) ends at the branch with both
    /// targets, stays valid IR after the optimiser, and loads memory once. Run with
    /// --nocapture to see its IR.
    #[test]
    fn sample_block_shape() {
        let words: [u32; 5] = [0x71000420, 0x8b030842, 0xb9400844, 0x6b00009f, 0x54000001];
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        let code = SliceCode { base: GuestAddr(0x1000), bytes: &bytes };
        let mut block = A64Frontend::new().translate(&code, GuestAddr(0x1000));
        crate::ir::opt::optimize(&mut block);
        println!("{block}");
        crate::ir::verify(&block).unwrap();
        assert_eq!((block.guest_insns, block.guest_len), (5, 20));
        assert!(matches!(
            block.exit,
            crate::ir::Exit::Branch { taken: GuestAddr(0x1010), not_taken: GuestAddr(0x1014), .. }
        ));
        let loads = block.ops.iter().filter(|op| matches!(op, crate::ir::Op::Load { .. })).count();
        assert_eq!(loads, 1);
    }

    /// Top-byte-ignore: two loads off x1 share one AND that clears its tag (the optimiser's
    /// common subexpressions), and an SP-based load has none.
    #[test]
    fn tagged_base_is_cleared_once_per_block() {
        // ldr x0, [x1]; ldr x2, [x1, #8]; ldr x3, [sp, #16]; ret
        let words: [u32; 4] = [0xf9400020, 0xf9400422, 0xf9400be3, 0xd65f03c0];
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        let code = SliceCode { base: GuestAddr(0x1000), bytes: &bytes };
        let mut block = A64Frontend::new().translate(&code, GuestAddr(0x1000));
        crate::ir::opt::optimize(&mut block);
        let masks =
            block.ops.iter().filter(|op| matches!(op, crate::ir::Op::Bin { op: BinOp::And, .. })).count();
        assert_eq!(masks, 1, "{block}");
    }

    /// A branch to a register holding an address that is not a multiple of 4 faults at that
    /// address before anything is fetched there.
    #[test]
    fn misaligned_pc_is_an_alignment_fault() {
        let bytes = [0u8; 16];
        let code = SliceCode { base: GuestAddr(0x1000), bytes: &bytes };
        let block = A64Frontend::new().translate(&code, GuestAddr(0x1002));
        assert!(matches!(
            block.exit,
            Exit::Trap { kind: TrapKind::MisalignedPc, pc: GuestAddr(0x1002), message: None }
        ));
        assert_eq!(block.guest_insns, 0);
    }
}
