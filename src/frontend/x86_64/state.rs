//! The x86-64 guest state: what translated code reads and writes through `StateOffset`s.

use crate::ir::protocol::StateHeader;
use crate::ir::StateOffset;
use std::mem::offset_of;

/// Architectural state of one x86-64 guest thread.
///
/// Flags are kept one per byte (0 or 1) so that each can be written and read on its own and
/// dead flag stores can be deleted one by one.
#[repr(C, align(16))]
#[derive(Clone, Debug)]
pub struct X86State {
    pub header: StateHeader,
    /// rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8 .. r15 (the encoding order).
    pub gpr: [u64; 16],
    /// Address of the next instruction when the guest is stopped (set by the dispatcher).
    pub rip: u64,
    pub fs_base: u64,
    pub gs_base: u64,
    pub cf: u8,
    pub pf: u8,
    pub af: u8,
    pub zf: u8,
    pub sf: u8,
    pub of: u8,
    /// Direction flag (string instructions decrement when set).
    pub df: u8,
    /// Set by `int 0x80` before its syscall exit: the call uses the ia32 numbering and
    /// registers (see `syscall::abi::ia32`); the syscall layer's result clears it.
    pub ia32_syscall: u8,
    pub mxcsr: u32,
    pub _pad1: u32,
    /// xmm0 .. xmm15, each as two little-endian 64-bit halves.
    pub xmm: [[u64; 2]; 16],
    /// Bits 128..256 of ymm0 .. ymm15 (AVX), two halves each. Directly after `xmm`: vector
    /// slot `n` (see [`off::xmm`]) is xmm`n` for `n` < 16 and this array's `n - 16` after.
    pub ymm_hi: [[u64; 2]; 16],
    /// A scratch vector slot ([`SCRATCH_SLOT`]) for the VEX lowering (`vex`), directly after
    /// `ymm_hi`; not architectural.
    pub vex_scratch: [u64; 2],
    /// x87 control word (rounding control is honoured by the x87 helpers; precision control
    /// is not: x87 arithmetic is always done in extended precision).
    pub fpu_cw: u16,
    pub _pad2: [u16; 3],
    /// x87 status word: exception flags, condition codes C0..C3, TOP in bits 11..14.
    pub fpu_sw: u16,
    /// x87 tags, one bit per physical register: set when it holds a value.
    pub fpu_tags: u8,
    pub _pad3: [u8; 5],
    /// x87 physical registers R0..R7, each an 80-bit value in the low bytes of two u64.
    pub fpr: [[u64; 2]; 8],
    /// Where x87 helpers leave an 80-bit value for translated code to store to memory.
    pub fpu_scratch: [u64; 2],
}

impl Default for X86State {
    fn default() -> Self {
        X86State {
            header: StateHeader::default(),
            gpr: [0; 16],
            rip: 0,
            fs_base: 0,
            gs_base: 0,
            cf: 0,
            pf: 0,
            af: 0,
            zf: 0,
            sf: 0,
            of: 0,
            df: 0,
            ia32_syscall: 0,
            // All exceptions masked, round to nearest: the value Linux gives a new process.
            mxcsr: 0x1f80,
            _pad1: 0,
            xmm: [[0; 2]; 16],
            ymm_hi: [[0; 2]; 16],
            vex_scratch: [0; 2],
            fpu_cw: 0x37f,
            _pad2: [0; 3],
            fpu_sw: 0,
            fpu_tags: 0,
            _pad3: [0; 5],
            fpr: [[0; 2]; 8],
            fpu_scratch: [0; 2],
        }
    }
}

/// Vector slots: 0-15 are xmm0-15, 16-31 the upper halves of ymm0-15, 32 the VEX lowering's
/// scratch. They are contiguous in [`X86State`], 16 bytes each.
pub const VECTOR_SLOTS: usize = 33;
/// The scratch vector slot.
pub const SCRATCH_SLOT: usize = 32;
const _: () = assert!(
    offset_of!(X86State, ymm_hi) == offset_of!(X86State, xmm) + 256
        && offset_of!(X86State, vex_scratch) == offset_of!(X86State, ymm_hi) + 256
);

/// Register numbers in `gpr` (the x86 encoding order).
pub mod reg {
    pub const RAX: usize = 0;
    pub const RCX: usize = 1;
    pub const RDX: usize = 2;
    pub const RBX: usize = 3;
    pub const RSP: usize = 4;
    pub const RBP: usize = 5;
    pub const RSI: usize = 6;
    pub const RDI: usize = 7;
    pub const R8: usize = 8;
    pub const R9: usize = 9;
    pub const R10: usize = 10;
    pub const R11: usize = 11;
}

/// Offsets of state fields, for IR `LoadState`/`StoreState`.
pub mod off {
    use super::*;

    pub const fn gpr(n: usize) -> StateOffset {
        StateOffset((offset_of!(X86State, gpr) + 8 * n) as u32)
    }
    /// Vector slot `n` (xmm`n` for `n` < 16; see [`VECTOR_SLOTS`]).
    pub const fn xmm(n: usize) -> StateOffset {
        assert!(n < VECTOR_SLOTS);
        StateOffset((offset_of!(X86State, xmm) + 16 * n) as u32)
    }
    /// High 64 bits of vector slot `n`.
    pub const fn xmm_hi(n: usize) -> StateOffset {
        StateOffset((offset_of!(X86State, xmm) + 16 * n + 8) as u32)
    }
    pub const RIP: StateOffset = StateOffset(offset_of!(X86State, rip) as u32);
    pub const FS_BASE: StateOffset = StateOffset(offset_of!(X86State, fs_base) as u32);
    pub const GS_BASE: StateOffset = StateOffset(offset_of!(X86State, gs_base) as u32);
    pub const CF: StateOffset = StateOffset(offset_of!(X86State, cf) as u32);
    pub const PF: StateOffset = StateOffset(offset_of!(X86State, pf) as u32);
    pub const AF: StateOffset = StateOffset(offset_of!(X86State, af) as u32);
    pub const ZF: StateOffset = StateOffset(offset_of!(X86State, zf) as u32);
    pub const SF: StateOffset = StateOffset(offset_of!(X86State, sf) as u32);
    pub const OF: StateOffset = StateOffset(offset_of!(X86State, of) as u32);
    pub const DF: StateOffset = StateOffset(offset_of!(X86State, df) as u32);
    pub const IA32_SYSCALL: StateOffset = StateOffset(offset_of!(X86State, ia32_syscall) as u32);
    pub const MXCSR: StateOffset = StateOffset(offset_of!(X86State, mxcsr) as u32);
    pub const FPU_CW: StateOffset = StateOffset(offset_of!(X86State, fpu_cw) as u32);
    pub const FPU_SW: StateOffset = StateOffset(offset_of!(X86State, fpu_sw) as u32);
    pub const FPU_TAGS: StateOffset = StateOffset(offset_of!(X86State, fpu_tags) as u32);
    /// Physical x87 register `n` (its low 64 bits: an MMX register's value).
    pub const fn fpr(n: usize) -> StateOffset {
        StateOffset((offset_of!(X86State, fpr) + 16 * n) as u32)
    }
    /// The sign and exponent (bits 64..80) of physical x87 register `n`.
    pub const fn fpr_exp(n: usize) -> StateOffset {
        StateOffset((offset_of!(X86State, fpr) + 16 * n + 8) as u32)
    }
    pub const FPU_SCRATCH: StateOffset = StateOffset(offset_of!(X86State, fpu_scratch) as u32);
}

impl X86State {
    /// Vector slot `n` (see [`VECTOR_SLOTS`]); out-of-range numbers wrap into the slots, so
    /// that helpers given a slot number by translated code never index outside the state.
    pub fn vector_slot(&mut self, n: u64) -> &mut [u64; 2] {
        let n = n as usize % VECTOR_SLOTS;
        if n < 16 {
            &mut self.xmm[n]
        } else if n < 32 {
            &mut self.ymm_hi[n - 16]
        } else {
            &mut self.vex_scratch
        }
    }

    /// The RFLAGS value these flags stand for (bit 1 always set).
    pub fn rflags(&self) -> u64 {
        (self.cf as u64)
            | 1 << 1
            | (self.pf as u64) << 2
            | (self.af as u64) << 4
            | (self.zf as u64) << 6
            | (self.sf as u64) << 7
            | (self.df as u64) << 10
            | (self.of as u64) << 11
    }

    /// Sets the six status flags and DF from an RFLAGS value.
    pub fn set_rflags(&mut self, f: u64) {
        self.cf = (f & 1) as u8;
        self.pf = (f >> 2 & 1) as u8;
        self.af = (f >> 4 & 1) as u8;
        self.zf = (f >> 6 & 1) as u8;
        self.sf = (f >> 7 & 1) as u8;
        self.df = (f >> 10 & 1) as u8;
        self.of = (f >> 11 & 1) as u8;
    }
}

/// The FXSAVE image (Intel SDM Vol. 1 10.5.1, Table 10-2 and 10-3): the one definition of its
/// layout, used by fxsave/fxrstor and by the x86-64 signal frame's FP state. Byte offsets.
pub mod fxsave {
    /// Bytes of the image.
    pub const SIZE: usize = 512;
    /// FXSAVE writes bytes 0..416; 416..464 are reserved and 464..512 are for software, and
    /// the processor leaves both as they were.
    pub const WRITTEN: usize = 416;
    pub const FCW: usize = 0;
    pub const FSW: usize = 2;
    /// The abridged tag byte: bit i set when physical register i is not empty.
    pub const FTW: usize = 4;
    /// FOP (6), FIP (8) and FDP (16): the last x87 instruction's opcode and addresses, which
    /// xlate does not keep; stored as zero, as AMD processors store them while no unmasked x87
    /// exception is pending.
    pub const MXCSR: usize = 24;
    pub const MXCSR_MASK: usize = 28;
    /// ST0..ST7 in stack order, 16 bytes each: the 80-bit value, then 6 reserved bytes written
    /// as zero.
    pub const ST: usize = 32;
    pub const XMM: usize = 160;
    /// The MXCSR bits that exist (DAZ included); setting another one is #GP.
    pub const MXCSR_MASK_VALUE: u32 = 0xffff;
}

impl X86State {
    /// Writes the FXSAVE image of this state into `image[..fxsave::WRITTEN]` (reserved bytes
    /// in that range zero, as processors write them); `image[WRITTEN..]` is left as it was.
    pub fn write_fxsave(&self, image: &mut [u8; fxsave::SIZE]) {
        use fxsave::*;
        image[..WRITTEN].fill(0);
        image[FCW..FCW + 2].copy_from_slice(&self.fpu_cw.to_le_bytes());
        image[FSW..FSW + 2].copy_from_slice(&self.fpu_sw.to_le_bytes());
        image[FTW] = self.fpu_tags;
        image[MXCSR..MXCSR + 4].copy_from_slice(&self.mxcsr.to_le_bytes());
        image[MXCSR_MASK..MXCSR_MASK + 4].copy_from_slice(&MXCSR_MASK_VALUE.to_le_bytes());
        let top = usize::from(self.fpu_sw >> 11 & 7);
        for i in 0..8 {
            let [mantissa, exponent] = self.fpr[(top + i) & 7];
            let at = ST + 16 * i;
            image[at..at + 8].copy_from_slice(&mantissa.to_le_bytes());
            image[at + 8..at + 10].copy_from_slice(&(exponent as u16).to_le_bytes());
        }
        for (i, [lo, hi]) in self.xmm.iter().enumerate() {
            let at = XMM + 16 * i;
            image[at..at + 8].copy_from_slice(&lo.to_le_bytes());
            image[at + 8..at + 16].copy_from_slice(&hi.to_le_bytes());
        }
    }

    /// Loads the state an FXSAVE image holds (what FXRSTOR restores). MXCSR bits outside
    /// [`fxsave::MXCSR_MASK_VALUE`] are dropped: FXRSTOR faults on them before getting here,
    /// and the kernel's sigreturn clears them.
    pub fn read_fxsave(&mut self, image: &[u8; fxsave::SIZE]) {
        use fxsave::*;
        let u16_at = |at: usize| u16::from_le_bytes([image[at], image[at + 1]]);
        let u64_at = |at: usize| u64::from_le_bytes(image[at..at + 8].try_into().unwrap());
        self.fpu_cw = u16_at(FCW);
        self.fpu_sw = u16_at(FSW);
        self.fpu_tags = image[FTW];
        self.mxcsr = u32::from_le_bytes(image[MXCSR..MXCSR + 4].try_into().unwrap()) & MXCSR_MASK_VALUE;
        let top = usize::from(self.fpu_sw >> 11 & 7);
        for i in 0..8 {
            let at = ST + 16 * i;
            self.fpr[(top + i) & 7] = [u64_at(at), u64::from(u16_at(at + 8))];
        }
        for i in 0..16 {
            let at = XMM + 16 * i;
            self.xmm[i] = [u64_at(at), u64_at(at + 8)];
        }
    }
}

/// The standard (non-compacted) XSAVE area of the features xlate has: x87 and SSE in the
/// FXSAVE image, the XSAVE header, and the upper ymm halves (AVX) at the offset CPUID leaf
/// 0xD sub-leaf 2 gives (Intel SDM Vol. 1 13.4 and 13.5.3). Byte offsets.
pub mod xsave {
    /// The XSAVE header: XSTATE_BV, then XCOMP_BV (zero: standard format), then reserved.
    pub const HEADER: usize = 512;
    pub const XSTATE_BV: usize = HEADER;
    pub const XCOMP_BV: usize = HEADER + 8;
    /// YMM_Hi128: bits 128..256 of ymm0-15, 16 bytes each.
    pub const YMM_HI: usize = 576;
    /// Bytes of the area with every feature xlate has.
    pub const SIZE: usize = YMM_HI + 256;
    /// State-component bits: x87, SSE, AVX (XCR0 and XSTATE_BV).
    pub const X87: u64 = 1;
    pub const SSE: u64 = 2;
    pub const AVX: u64 = 4;
    /// The components xlate has: its XCR0.
    pub const FEATURES: u64 = X87 | SSE | AVX;
}

impl X86State {
    /// Writes the standard-format XSAVE area of this state with every component in
    /// XSTATE_BV (what the kernel's signal frame holds): the FXSAVE image, the header, the
    /// upper ymm halves. `area[WRITTEN..512]` (the software bytes) is left as it was.
    pub fn write_xsave(&self, area: &mut [u8; xsave::SIZE]) {
        use xsave::*;
        let mut image = [0u8; fxsave::SIZE];
        image.copy_from_slice(&area[..fxsave::SIZE]);
        self.write_fxsave(&mut image);
        area[..fxsave::SIZE].copy_from_slice(&image);
        area[HEADER..YMM_HI].fill(0);
        area[XSTATE_BV..XSTATE_BV + 8].copy_from_slice(&FEATURES.to_le_bytes());
        for (i, [lo, hi]) in self.ymm_hi.iter().enumerate() {
            let at = YMM_HI + 16 * i;
            area[at..at + 8].copy_from_slice(&lo.to_le_bytes());
            area[at + 8..at + 16].copy_from_slice(&hi.to_le_bytes());
        }
    }

    /// Loads the state a standard-format XSAVE area holds, as XRSTOR of every component
    /// does: a component whose XSTATE_BV bit is clear gets its initial state (MXCSR is
    /// loaded either way).
    pub fn read_xsave(&mut self, area: &[u8; xsave::SIZE]) {
        use xsave::*;
        let bv = u64::from_le_bytes(area[XSTATE_BV..XSTATE_BV + 8].try_into().expect("8 bytes"));
        let image: &[u8; fxsave::SIZE] = area[..fxsave::SIZE].try_into().expect("512 bytes");
        self.read_fxsave(image);
        let fresh = X86State::default();
        if bv & X87 == 0 {
            (self.fpu_cw, self.fpu_sw, self.fpu_tags, self.fpr) = (fresh.fpu_cw, 0, 0, fresh.fpr);
        }
        if bv & SSE == 0 {
            self.xmm = fresh.xmm;
        }
        for (i, half) in self.ymm_hi.iter_mut().enumerate() {
            let at = YMM_HI + 16 * i;
            let word = |k: usize| u64::from_le_bytes(area[at + k..at + k + 8].try_into().expect("8 bytes"));
            *half = if bv & AVX != 0 { [word(0), word(8)] } else { [0, 0] };
        }
    }
}
