//! What one differential case is: instruction bytes, the initial registers, flags, xmm, MXCSR
//! and scratch memory, and what running them gave ([`Outcome`]). Also the builders that the
//! per-family case lists use, and a small seeded PRNG for generated cases.

use iced_x86::{Encoder, Instruction, MemoryOperand, Register};

/// Where the scratch memory that cases read and write is mapped, on every host. Memory
/// operands reach it through a register the case points at it.
pub const SCRATCH_BASE: u64 = 0x1000_0000;
/// Bytes of scratch memory: data in the first page, the snippet's own stack in the second.
pub const SCRATCH_LEN: usize = 0x2000;
/// The stack pointer cases start with (inside the scratch memory, so pushes are compared too).
pub const STACK_TOP: u64 = SCRATCH_BASE + 0x1800;
/// The guest address of the case's first instruction, on both the native and the translated
/// side (it matters for RIP-relative operands).
pub const CODE_PC: u64 = 0x1100_0800;

/// The register file a case starts from and ends with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuState {
    /// rax .. r15 in encoding order.
    pub gpr: [u64; 16],
    /// CF PF AF ZF SF DF OF in their RFLAGS positions (other bits zero; bit 1 left out).
    pub rflags: u64,
    pub mxcsr: u32,
    /// xmm0 .. xmm15 as (low, high) 64-bit halves.
    pub xmm: [[u64; 2]; 16],
    /// Bits 128..256 of ymm0 .. ymm15, the same way.
    pub ymm_hi: [[u64; 2]; 16],
}

/// The RFLAGS bits the state model holds.
pub const FLAGS_MASK: u64 = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x400 | 0x800;

impl Default for CpuState {
    fn default() -> Self {
        CpuState { gpr: [0; 16], rflags: 0, mxcsr: 0x1f80, xmm: [[0; 2]; 16], ymm_hi: [[0; 2]; 16] }
    }
}

/// How the scratch memory starts: a pseudo-random fill from `seed`, then `writes`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MemInit {
    pub seed: u64,
    pub writes: Vec<(u32, Vec<u8>)>,
}

impl MemInit {
    pub fn build(&self) -> Vec<u8> {
        let mut rng = Rng::new(self.seed ^ 0x5eed_0f5c_4a7c);
        let mut mem = vec![0u8; SCRATCH_LEN];
        for chunk in mem.chunks_mut(8) {
            chunk.copy_from_slice(&rng.next().to_le_bytes()[..chunk.len()]);
        }
        for (off, bytes) in &self.writes {
            mem[*off as usize..*off as usize + bytes.len()].copy_from_slice(bytes);
        }
        mem
    }
}

/// What running a case gave.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Ran to the end of the bytes: the final registers and the bytes of scratch memory that
    /// differ from the initial memory, as (offset, new byte).
    Done { state: CpuState, mem: Vec<(u32, u8)> },
    /// Stopped by a signal (native) or a trap exit (translated), as the host signal number.
    Signal(i32),
}

/// One differential case.
#[derive(Clone, Debug)]
pub struct Case {
    /// Unique within its family; the key of the recording.
    pub name: String,
    pub code: Vec<u8>,
    pub init: CpuState,
    pub mem: MemInit,
    /// Compare only these MXCSR bits (the control bits and the exception flags the frontend
    /// computes); all by default.
    pub mxcsr_mask: u32,
    /// Part of the recording (false for generated cases beyond the CI default count).
    pub record: bool,
    /// Scratch offsets of 80-bit results defined only to within one ulp ([`crate::ulp`]).
    pub ulp_slots: Vec<u32>,
    /// Bits of the x87 status word the case stores to ax that processors of the other vendor
    /// may set otherwise (recorded on AMD; see `cases_x87_transcend`): ignored only when a
    /// recording is checked against this host's native run, never in the translated check.
    pub vendor_ax_bits: u64,
}

impl Case {
    /// A case with all-zero registers (rsp at [`STACK_TOP`]), no flags, default MXCSR.
    pub fn new(name: impl Into<String>, code: Vec<u8>) -> Case {
        let mut init = CpuState::default();
        init.gpr[4] = STACK_TOP;
        Case {
            name: name.into(),
            code,
            init,
            mem: MemInit::default(),
            mxcsr_mask: u32::MAX,
            record: true,
            ulp_slots: Vec::new(),
            vendor_ax_bits: 0,
        }
    }
    /// A case built from iced instructions.
    pub fn insns(name: impl Into<String>, insns: &[Instruction]) -> Case {
        Case::new(name, encode(insns))
    }
    pub fn gpr(mut self, reg: usize, value: u64) -> Case {
        self.init.gpr[reg] = value;
        self
    }
    /// Points `reg` at scratch memory offset `off`.
    pub fn ptr(self, reg: usize, off: u64) -> Case {
        self.gpr(reg, SCRATCH_BASE + off)
    }
    pub fn xmm(mut self, reg: usize, lo: u64, hi: u64) -> Case {
        self.init.xmm[reg] = [lo, hi];
        self
    }
    /// Sets ymm register `reg` from four 64-bit words, lowest first.
    pub fn ymm(mut self, reg: usize, v: [u64; 4]) -> Case {
        self.init.xmm[reg] = [v[0], v[1]];
        self.init.ymm_hi[reg] = [v[2], v[3]];
        self
    }
    pub fn flags(mut self, rflags: u64) -> Case {
        self.init.rflags = rflags & FLAGS_MASK;
        self
    }
    pub fn mxcsr(mut self, mxcsr: u32) -> Case {
        self.init.mxcsr = mxcsr;
        self
    }
    pub fn mem(mut self, off: u32, bytes: &[u8]) -> Case {
        self.mem.writes.push((off, bytes.to_vec()));
        self
    }
    pub fn mem_seed(mut self, seed: u64) -> Case {
        self.mem.seed = seed;
        self
    }
    /// Random GPRs (rsp kept at the stack), flags and xmm registers from `rng`; registers
    /// listed in `ptrs` point into the first scratch page at a random 16-aligned offset
    /// below 0x800 so that 0x800 bytes after them are in scratch memory.
    pub fn random_state(mut self, rng: &mut Rng, ptrs: &[usize]) -> Case {
        for r in 0..16 {
            self.init.gpr[r] = rng.interesting_u64();
        }
        self.init.gpr[4] = STACK_TOP;
        for &r in ptrs {
            self.init.gpr[r] = SCRATCH_BASE + (rng.next() % 0x80) * 16;
        }
        self.init.rflags = rng.next() & FLAGS_MASK & !0x400;
        for x in 0..16 {
            self.init.xmm[x] = [rng.interesting_u64(), rng.interesting_u64()];
        }
        self.mem.seed = rng.next();
        self
    }
    /// Ignores MXCSR bits outside `mask` in the comparison.
    pub fn mxcsr_mask(mut self, mask: u32) -> Case {
        self.mxcsr_mask = mask;
        self
    }
}

/// Encodes instructions one after the other (at [`CODE_PC`]); panics with the instruction
/// if iced cannot encode it (a mistake in a case list, not in the translator).
pub fn encode(insns: &[Instruction]) -> Vec<u8> {
    let mut enc = Encoder::new(64);
    let mut pc = CODE_PC;
    for i in insns {
        let n = enc.encode(i, pc).unwrap_or_else(|e| panic!("cannot encode {:?}: {e}", i.code()));
        pc += n as u64;
    }
    enc.take_buffer()
}

/// Unwraps an iced instruction builder; a failure is a mistake in a case list.
pub fn built(r: Result<Instruction, iced_x86::IcedError>) -> Instruction {
    r.unwrap_or_else(|e| panic!("cannot build an instruction: {e}"))
}

/// `[base + displ]`.
pub fn mem(base: Register, displ: i64) -> MemoryOperand {
    MemoryOperand::with_base_displ(base, displ)
}

/// The xmm register number `n` as an iced register.
pub fn xmm(n: usize) -> Register {
    const X: [Register; 16] = [
        Register::XMM0,
        Register::XMM1,
        Register::XMM2,
        Register::XMM3,
        Register::XMM4,
        Register::XMM5,
        Register::XMM6,
        Register::XMM7,
        Register::XMM8,
        Register::XMM9,
        Register::XMM10,
        Register::XMM11,
        Register::XMM12,
        Register::XMM13,
        Register::XMM14,
        Register::XMM15,
    ];
    X[n]
}

/// xorshift64*: a small deterministic PRNG, so generated cases are the same on every host.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Mostly random bits, sometimes a value at an edge (0, all ones, sign bits, small).
    pub fn interesting_u64(&mut self) -> u64 {
        const EDGES: [u64; 10] = [
            0,
            1,
            u64::MAX,
            0x8000_0000_0000_0000,
            0x7fff_ffff_ffff_ffff,
            0x8000_0000,
            0x7fff_ffff,
            0xffff_ffff,
            0x80,
            0xff,
        ];
        match self.below(8) {
            0 => EDGES[self.below(EDGES.len() as u64) as usize],
            1 => self.below(256),
            _ => self.next(),
        }
    }
    /// A double with an even chance of being special: NaNs (quiet and signalling, both
    /// signs), infinities, zeros, denormals, the largest and smallest normals, small
    /// integers, or random bits.
    pub fn interesting_f64(&mut self) -> u64 {
        const SPECIAL: [u64; 14] = [
            0x7ff8_0000_0000_0000,
            0xfff8_0000_0000_0001,
            0x7ff0_0000_0000_0001,
            0xfff4_0000_0000_0000,
            0x7ff0_0000_0000_0000,
            0xfff0_0000_0000_0000,
            0,
            0x8000_0000_0000_0000,
            0x0000_0000_0000_0001,
            0x800f_ffff_ffff_ffff,
            0x7fef_ffff_ffff_ffff,
            0x0010_0000_0000_0000,
            0x3ff0_0000_0000_0000,
            0xc1e0_0000_0000_0000,
        ];
        match self.below(6) {
            0 | 1 => SPECIAL[self.below(SPECIAL.len() as u64) as usize],
            2 => ((self.below(2001) as i64 - 1000) as f64).to_bits(),
            3 => (self.next() as i64 as f64 / 4096.0).to_bits(),
            4 => {
                // Near the integer-conversion limits.
                let e = 1020 + self.below(25);
                (e << 52) | (self.next() >> 12) | (self.next() & 0x8000_0000_0000_0000)
            }
            _ => self.next(),
        }
    }
    /// The `f32` counterpart of [`Rng::interesting_f64`].
    pub fn interesting_f32(&mut self) -> u32 {
        const SPECIAL: [u32; 14] = [
            0x7fc0_0000,
            0xffc0_0001,
            0x7f80_0001,
            0xffa0_0000,
            0x7f80_0000,
            0xff80_0000,
            0,
            0x8000_0000,
            0x0000_0001,
            0x807f_ffff,
            0x7f7f_ffff,
            0x0080_0000,
            0x3f80_0000,
            0xcf00_0000,
        ];
        match self.below(6) {
            0 | 1 => SPECIAL[self.below(SPECIAL.len() as u64) as usize],
            2 => ((self.below(2001) as i32 - 1000) as f32).to_bits(),
            3 => (self.next() as i32 as f32 / 64.0).to_bits(),
            4 => {
                let e = 120 + self.below(40) as u32;
                (e << 23) | (self.next() as u32 >> 9) | (self.next() as u32 & 0x8000_0000)
            }
            _ => self.next() as u32,
        }
    }
    /// Two doubles in one xmm register.
    pub fn xmm_f64(&mut self) -> [u64; 2] {
        [self.interesting_f64(), self.interesting_f64()]
    }
    /// Four floats in one xmm register.
    pub fn xmm_f32(&mut self) -> [u64; 2] {
        let mut v = [0u64; 2];
        for half in &mut v {
            *half = self.interesting_f32() as u64 | (self.interesting_f32() as u64) << 32;
        }
        v
    }
}

/// `count` generated cases named `<prefix>/<i>`, from a PRNG seeded by `prefix`: `make` builds
/// case `i` (its name is replaced). `default` cases are made and recorded unless
/// `XLATE_DIFF_CASES` asks for another number; those beyond `default` are not recorded.
pub fn generate(prefix: &str, default: usize, mut make: impl FnMut(&mut Rng) -> Case) -> Vec<Case> {
    let seed =
        prefix.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
    let mut rng = Rng::new(seed);
    (0..generated_count(default))
        .map(|i| {
            let mut c = make(&mut rng);
            c.name = format!("{prefix}/{i}");
            c.record = i < default;
            c
        })
        .collect()
}

/// Cases per generated family: `XLATE_DIFF_CASES` or the CI default (which is also what the
/// recording holds).
pub fn generated_count(default: usize) -> usize {
    std::env::var("XLATE_DIFF_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
