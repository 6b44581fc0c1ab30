//! The intermediate representation shared by every frontend and every backend.
//!
//! A frontend turns the guest instructions of one basic block into a [`Block`]: a straight-line
//! list of [`Op`]s over SSA temporaries ([`Temp`]) followed by one [`Exit`]. A backend turns a
//! [`Block`] into host code. Neither side knows the other; this module is the whole contract.
//!
//! # Value model
//! Every temporary holds a `u64`. An op with a [`Width`] reads only the low `width` bits of its
//! inputs and writes its result **zero-extended** to 64 bits. So a `W32` add of
//! `0xffff_ffff + 1` yields `0`, and a `W8` load of `0x80` yields `0x80`, never a sign-extended
//! value ([`Op::Ext`] does sign extension explicitly).
//!
//! # Guest state
//! The guest's architectural state (registers, flags, vector registers, ...) lives in a
//! `#[repr(C)]` struct that the frontend defines (see `frontend::*::state`). The IR names a
//! field by its byte offset ([`StateOffset`]); backends keep a pointer to the state in a fixed
//! host register and never interpret the layout. The first bytes of every state struct are a
//! [`protocol::StateHeader`], which is how a block tells the dispatcher where to go next.
//!
//! # Guest memory
//! Guest address = host address. [`Op::Load`] and [`Op::Store`] are little-endian host
//! accesses of the given width; they may be unaligned. A fault in one is the guest's fault.
//! Each carries a [`MemOrder`]: what other threads may see of its order against the block's
//! other accesses. A guest whose memory model is stronger than the host's (x86-64's TSO on an
//! AArch64 host) says so on every access ([`MemoryModel::Tso`]); the backend picks the host
//! instructions. No pass moves, merges or deletes a memory access.
//!
//! # Flags
//! There are no implicit flags. A frontend computes each guest flag it must write with ordinary
//! ops and stores it to its state slot; [`opt`] deletes stores that a later store in the same
//! block overwrites before anything reads them (dead-flag elimination), or that every exit
//! after them leaves to code which overwrites them first ([`Block::dead_on_entry`], filled by
//! a frontend that looked ahead: see [`liveness`]).
//!
//! # Block exits
//! A block ends in exactly one [`Exit`]; [`Op::ExitIf`] leaves early. Every exit first makes
//! the guest state complete in memory (the backend flushes anything it holds in registers) and
//! tells the dispatcher why, as [`protocol`] lays down.

pub mod bits;
pub mod builder;
pub mod codec;
pub mod deferred;
pub mod flag_readers;
pub mod fma;
pub mod fp;
pub mod fp_a64;
pub mod fp_a64_cvt;
pub mod fp_cmp;
pub mod fp_cvt;
pub mod fp_half;
pub mod interp;
pub mod lanes;
pub mod liveness;
pub mod mxcsr_run;
pub mod opt;
pub mod print;
pub mod protocol;
pub mod regalloc;
pub mod scratch;
pub mod simplify;
pub mod testgen;
pub mod vector;
mod verify;

pub use builder::Builder;
pub use fma::FmaNeg;
pub use fp_cmp::FpCmpOp;
pub use fp_cvt::{CvtRound, NumFormat};
pub use lanes::LaneOp;
pub use vector::VBitOp;
pub use verify::verify;

use std::fmt;

/// An address in the guest's address space. xlate maps guest memory at the same host address,
/// so a `GuestAddr` can be dereferenced by the host (inside the modules allowed to do so).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct GuestAddr(pub u64);

impl fmt::Debug for GuestAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}
impl fmt::Display for GuestAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// An SSA temporary: written by exactly one op of its block, read by later ops.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Temp(pub u32);

impl fmt::Debug for Temp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t{}", self.0)
    }
}

/// Byte offset of a field in the guest state struct.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct StateOffset(pub u32);

/// The ordering of one [`Op::Load`] or [`Op::Store`] against the other memory accesses of the
/// same thread, as other threads observe it. Atomics ([`Op::AtomicRmw`],
/// [`Op::CompareExchange`]) and [`Op::Fence`] are always sequentially consistent.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum MemOrder {
    /// No ordering: the host may reorder it with any other plain access.
    #[default]
    Plain,
    /// A load that no later load or store moves before (an acquire; RCpc: it may move before
    /// an earlier `Release` or `SeqCst` store, like A64 LDAPR).
    Acquire,
    /// A store that no earlier store moves after. Earlier loads are ordered before it only if
    /// they are `Acquire` or `SeqCst` themselves; with every load `Acquire` and every store
    /// `Release`, the block is TSO (x86-64's model: only a store followed by a load may be
    /// reordered). This is weaker than a C++ release store: a release in that sense (A64
    /// STLR) is `SeqCst`.
    Release,
    /// A load that is an acquire, or a store that no earlier load or store moves after; and a
    /// `SeqCst` store is never reordered with a later `SeqCst` load (RCsc: A64 LDAR/STLR).
    SeqCst,
}

impl MemOrder {
    /// Whether the order is one a load may carry (`Release` is for stores only).
    pub fn fits_load(self) -> bool {
        self != MemOrder::Release
    }

    /// Whether the order is one a store may carry (`Acquire` is for loads only).
    pub fn fits_store(self) -> bool {
        self != MemOrder::Acquire
    }
}

/// The order a frontend gives its guest's ordinary loads and stores ([`Builder::load`],
/// [`Builder::store`]); accesses with an order of their own (A64 LDAR, STLR) name it
/// explicitly.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum MemoryModel {
    /// Ordinary accesses are `Plain` (the guest orders memory with its own barriers and
    /// acquire/release instructions, as AArch64 does; or an x86-64 guest relaxed on purpose).
    #[default]
    Relaxed,
    /// Ordinary loads are `Acquire` and stores `Release`: x86-64's total store order.
    Tso,
}

impl MemoryModel {
    /// Parses `tso` or `relaxed` (the command line's and the environment's spelling).
    pub fn parse(text: &str) -> Option<MemoryModel> {
        match text {
            "tso" => Some(MemoryModel::Tso),
            "relaxed" => Some(MemoryModel::Relaxed),
            _ => None,
        }
    }

    /// The order of an ordinary load under this model.
    pub fn load_order(self) -> MemOrder {
        match self {
            MemoryModel::Relaxed => MemOrder::Plain,
            MemoryModel::Tso => MemOrder::Acquire,
        }
    }

    /// The order of an ordinary store under this model.
    pub fn store_order(self) -> MemOrder {
        match self {
            MemoryModel::Relaxed => MemOrder::Plain,
            MemoryModel::Tso => MemOrder::Release,
        }
    }
}

/// Operand width of an op, in bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Width {
    W8,
    W16,
    W32,
    W64,
}

impl Width {
    pub const fn bits(self) -> u32 {
        match self {
            Width::W8 => 8,
            Width::W16 => 16,
            Width::W32 => 32,
            Width::W64 => 64,
        }
    }
    pub const fn bytes(self) -> u32 {
        self.bits() / 8
    }
    /// All-ones mask of this width.
    pub const fn mask(self) -> u64 {
        match self {
            Width::W64 => u64::MAX,
            w => (1u64 << w.bits()) - 1,
        }
    }
    /// The sign bit of this width.
    pub const fn sign_bit(self) -> u64 {
        1u64 << (self.bits() - 1)
    }
    pub fn from_bytes(bytes: u32) -> Option<Width> {
        match bytes {
            1 => Some(Width::W8),
            2 => Some(Width::W16),
            4 => Some(Width::W32),
            8 => Some(Width::W64),
            _ => None,
        }
    }
}

/// Two-input integer operations. `dst = a OP b` over the low `width` bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum BinOp {
    Add,
    Sub,
    And,
    Or,
    Xor,
    /// Shift left. The count is `b mod width.bits()`.
    Shl,
    /// Logical shift right. The count is `b mod width.bits()`.
    Lshr,
    /// Arithmetic shift right. The count is `b mod width.bits()`.
    Ashr,
    /// Rotate right. The count is `b mod width.bits()`.
    Rotr,
    /// Low `width` bits of the product.
    Mul,
    /// High `width` bits of the unsigned `2*width`-bit product.
    MulHiU,
    /// High `width` bits of the signed `2*width`-bit product.
    MulHiS,
    /// Unsigned division. Never traps: `a / 0 = 0` (AArch64 UDIV).
    DivU,
    /// Signed division, truncating. Never traps: `a / 0 = 0`, `MIN / -1 = MIN` (AArch64 SDIV).
    DivS,
    /// Unsigned remainder, `a - (a DivU b) * b`: `a % 0 = a`.
    RemU,
    /// Signed remainder with the sign of `a`, `a - (a DivS b) * b`: `a % 0 = a`, `MIN % -1 = 0`.
    RemS,
}

impl BinOp {
    /// Every operation, for tests that cover them all.
    pub const ALL: [BinOp; 16] = [
        BinOp::Add,
        BinOp::Sub,
        BinOp::And,
        BinOp::Or,
        BinOp::Xor,
        BinOp::Shl,
        BinOp::Lshr,
        BinOp::Ashr,
        BinOp::Rotr,
        BinOp::Mul,
        BinOp::MulHiU,
        BinOp::MulHiS,
        BinOp::DivU,
        BinOp::DivS,
        BinOp::RemU,
        BinOp::RemS,
    ];
}

/// One-input integer operations over the low `width` bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum UnOp {
    Not,
    Neg,
    /// Count leading zeros; `width.bits()` for zero.
    Clz,
    /// Count trailing zeros; `width.bits()` for zero.
    Ctz,
    /// Number of one bits.
    Popcnt,
    /// Reverse the byte order (W16, W32, W64; W8 is the identity).
    Bswap,
    /// Reverse the bit order.
    Rbit,
}

impl UnOp {
    /// Every operation, for tests that cover them all.
    pub const ALL: [UnOp; 7] =
        [UnOp::Not, UnOp::Neg, UnOp::Clz, UnOp::Ctz, UnOp::Popcnt, UnOp::Bswap, UnOp::Rbit];
}

/// Comparisons over the low `width` bits; the result is 1 or 0.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum CmpOp {
    Eq,
    Ne,
    /// unsigned <
    Ult,
    /// unsigned <=
    Ule,
    /// unsigned >
    Ugt,
    /// unsigned >=
    Uge,
    /// signed <
    Slt,
    /// signed <=
    Sle,
    /// signed >
    Sgt,
    /// signed >=
    Sge,
}

impl CmpOp {
    /// The comparison that holds exactly when `self` does not.
    pub fn inverse(self) -> CmpOp {
        match self {
            CmpOp::Eq => CmpOp::Ne,
            CmpOp::Ne => CmpOp::Eq,
            CmpOp::Ult => CmpOp::Uge,
            CmpOp::Uge => CmpOp::Ult,
            CmpOp::Ule => CmpOp::Ugt,
            CmpOp::Ugt => CmpOp::Ule,
            CmpOp::Slt => CmpOp::Sge,
            CmpOp::Sge => CmpOp::Slt,
            CmpOp::Sle => CmpOp::Sgt,
            CmpOp::Sgt => CmpOp::Sle,
        }
    }

    /// The comparison of the swapped operands: `a self b` is `b self.swapped() a`.
    pub fn swapped(self) -> CmpOp {
        match self {
            CmpOp::Eq | CmpOp::Ne => self,
            CmpOp::Ult => CmpOp::Ugt,
            CmpOp::Ugt => CmpOp::Ult,
            CmpOp::Ule => CmpOp::Uge,
            CmpOp::Uge => CmpOp::Ule,
            CmpOp::Slt => CmpOp::Sgt,
            CmpOp::Sgt => CmpOp::Slt,
            CmpOp::Sle => CmpOp::Sge,
            CmpOp::Sge => CmpOp::Sle,
        }
    }

    /// Whether the comparison is signed.
    pub fn is_signed(self) -> bool {
        matches!(self, CmpOp::Slt | CmpOp::Sle | CmpOp::Sgt | CmpOp::Sge)
    }

    /// Every operation, for tests that cover them all.
    pub const ALL: [CmpOp; 10] = [
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Ult,
        CmpOp::Ule,
        CmpOp::Ugt,
        CmpOp::Uge,
        CmpOp::Slt,
        CmpOp::Sle,
        CmpOp::Sgt,
        CmpOp::Sge,
    ];
}

/// Read-modify-write operations done atomically on guest memory (sequentially consistent).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum RmwOp {
    /// Store the operand, return the old value.
    Xchg,
    Add,
    And,
    Or,
    Xor,
    /// `old & !operand` (AArch64 LDCLR).
    AndNot,
    /// Signed / unsigned max and min (AArch64 LDSMAX, LDUMAX, LDSMIN, LDUMIN).
    SMax,
    SMin,
    UMax,
    UMin,
}

impl RmwOp {
    /// Every operation, for tests that cover them all.
    pub const ALL: [RmwOp; 10] = [
        RmwOp::Xchg,
        RmwOp::Add,
        RmwOp::And,
        RmwOp::Or,
        RmwOp::Xor,
        RmwOp::AndNot,
        RmwOp::SMax,
        RmwOp::SMin,
        RmwOp::UMax,
        RmwOp::UMin,
    ];
}

/// Scalar floating-point operations ([`Op::Fp`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum FpOp {
    Add,
    Sub,
    Mul,
    Div,
    /// `sqrt(b)`; `a` is not read (frontends pass `b` for it).
    Sqrt,
    /// The guest's minimum / maximum (see [`FpRule`] for NaN and signed-zero operands).
    Min,
    Max,
    /// IEEE 754-2008 minNum / maxNum (A64 FMINNM / FMAXNM: a quiet NaN loses to a number).
    /// x86 has no such instruction: under [`FpRule::X86Sse`] they are [`FpOp::Min`] /
    /// [`FpOp::Max`].
    MinNum,
    MaxNum,
}

impl FpOp {
    /// Every operation, for tests that cover them all.
    pub const ALL: [FpOp; 9] = [
        FpOp::Add,
        FpOp::Sub,
        FpOp::Mul,
        FpOp::Div,
        FpOp::Sqrt,
        FpOp::Min,
        FpOp::Max,
        FpOp::MinNum,
        FpOp::MaxNum,
    ];
}

/// IEEE 754 binary formats: `F32` reads the low 32 bits of its inputs and writes a
/// zero-extended 32-bit result; `F64` uses all 64 bits; `F16` (half precision, A64 only:
/// [`FpRule::A64`] with FPCR.FZ16 in place of FZ, see [`fp_a64::eval_a64`]) the low 16 bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum FpPrec {
    F32,
    F64,
    F16,
}

/// Whose rules an [`Op::Fp`] follows where IEEE 754 leaves a choice or the guests differ:
/// which NaN a NaN operand produces, the default NaN, min/max of NaNs and zeros, denormal
/// operands and results, the rounding mode, and which exception flags are raised. The op's
/// `ctrl` input is the guest's control register under that rule.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum FpRule {
    /// x86 SSE (Intel SDM vol. 1, 4.8.3 and 11.5): `ctrl` is MXCSR (RC rounding, DAZ, FTZ;
    /// the mask bits are ignored, the flags raised are those of a masked response). A NaN
    /// operand gives the first NaN operand (`a` first) made quiet; an invalid operation
    /// gives the default NaN `0xfff8..` (negative, quiet); min/max give `b` when either is
    /// NaN or both are zero. Exception flags in MXCSR bit order: IE DE ZE OE UE PE = bits 0..5.
    /// The reference is [`fp`].
    X86Sse,
    /// A64 (Arm ARM `FPAdd`, `FPMax`, `FPRound`, ... with FPCR.AH = 0): `ctrl` is FPCR
    /// (RMode bits 23:22, FZ bit 24, DN bit 25; the trap enables are ignored). A NaN operand
    /// gives the first signalling NaN, else the first quiet NaN (`a` first), made quiet, or
    /// with DN the default NaN; an invalid operation gives the default NaN `0x7ff8..`
    /// (positive); min/max propagate NaNs and order -0 below +0; minNum/maxNum let a quiet
    /// NaN lose to a number; FZ flushes denormal operands (IDC) and results tiny before
    /// rounding (UFC only). Exception flags in FPSR bit order: IOC DZC OFC UFC IXC = bits
    /// 0..4, IDC = bit 7. The reference is [`fp_a64`].
    A64,
}

/// What an [`Op::Fp`] yields.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum FpResult {
    /// The result's bits.
    Value,
    /// The exception flags the operation raises, in the rule's flag layout.
    Flags,
}

/// A Rust function that translated code calls for work too large or rare to express in ops
/// (128-bit division, cpuid, SSE and FP arithmetic with exact NaN rules, ...).
///
/// Every helper has the same host signature, `extern "C" fn(state, a0, a1, a2, a3) -> u64`,
/// where `state` points at the guest state struct. A helper may read and write guest state
/// through that pointer; the backend flushes every state field it holds in host registers
/// before the call and reloads them after it. Unused arguments are zero.
///
/// A helper that reads or writes guest memory (`touches_memory`: x86-64 string instructions,
/// fxsave/fxrstor, cmpxchg16b) may fault there for the guest. Before each call of one, the
/// builder stores the calling guest instruction's address in the state header's `next_pc`
/// ([`Builder::call`]), where the host fault handler finds it: the guest instruction the
/// fault belongs to, with no search of the host stack.
#[derive(Clone, Copy)]
pub struct Helper {
    pub name: &'static str,
    pub func: HelperFn,
    pub touches_memory: bool,
}

/// The host signature of every [`Helper`].
pub type HelperFn = extern "C" fn(state: *mut u8, a0: u64, a1: u64, a2: u64, a3: u64) -> u64;

impl fmt::Debug for Helper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}
impl PartialEq for Helper {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && std::ptr::fn_addr_eq(self.func, other.func)
    }
}

/// The signal a [`Exit::Trap`] delivers to the guest.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TrapKind {
    /// Undefined or unimplemented instruction (SIGILL). The frontend has already chosen the
    /// stderr message; see [`Exit::Trap`].
    IllegalInstruction,
    /// Integer divide error (SIGFPE), e.g. x86 #DE.
    DivideError,
    /// Breakpoint / int3 (SIGTRAP).
    Breakpoint,
    /// A fault the frontend can see statically (e.g. `hlt`, privileged instruction): SIGSEGV.
    GeneralProtection,
    /// The instruction at `pc` cannot be fetched (unmapped or unreadable code): SIGSEGV with
    /// the fetch address, as the kernel reports an instruction abort / code page fault.
    CodeFetch,
    /// The instruction at `pc` is in mapped guest memory without execute permission: SIGSEGV
    /// SEGV_ACCERR with the fetch address.
    CodeFetchDenied,
    /// A64 PC alignment fault: a branch to an address that is not a multiple of 4 (SIGBUS,
    /// BUS_ADRALN, as Linux delivers it).
    MisalignedPc,
    /// A data access that the guest's ISA requires to be aligned is not (A64's 128-bit pair
    /// exclusives and CASP): SIGBUS BUS_ADRALN with the data address in si_addr, which the
    /// guest description finds from the instruction at `pc` and the state at its start
    /// (`Guest::trap_signal`), so the exit carries nothing more and costs no code.
    MisalignedData,
}

/// How a block (or an [`Op::ExitIf`]) leaves.
#[derive(Clone, Debug, PartialEq)]
pub enum Exit {
    /// Continue at a known guest address. Chainable: the backend may patch this exit into a
    /// direct host jump to the target's code.
    Jump(GuestAddr),
    /// Continue at `taken` if `cond != 0`, else at `not_taken`. Both sides are chainable.
    Branch { cond: Temp, taken: GuestAddr, not_taken: GuestAddr },
    /// Continue at a computed guest address (indirect jump or call through a register).
    Indirect(Temp),
    /// A function return to a computed address: like `Indirect`, but a hint for
    /// return-address prediction.
    Return(Temp),
    /// The guest executes a system call; the syscall layer runs it and execution continues
    /// at `next`.
    Syscall { next: GuestAddr },
    /// Guest code may have changed (e.g. A64 `IC IVAU`): the dispatcher drops the
    /// translations of guest code written since (every translation where it cannot know
    /// what was written), then execution continues at `next`.
    Invalidate { next: GuestAddr },
    /// The guest instruction at `pc` traps. `message` (when present) is printed on stderr
    /// before the signal is raised, e.g. for an unimplemented instruction.
    Trap { kind: TrapKind, pc: GuestAddr, message: Option<String> },
}

/// One IR operation. `dst` temporaries are written, all other temporaries are read.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// Marks the start of a guest instruction (for listings, statistics and fault reports).
    /// Backends emit nothing for it.
    GuestInsn { pc: GuestAddr, len: u8 },
    /// `dst = value`.
    Const { dst: Temp, value: u64 },
    /// `dst = zero_extend(state[offset .. offset + width/8])`.
    LoadState { dst: Temp, offset: StateOffset, width: Width },
    /// `state[offset .. offset + width/8] = low width bits of src`.
    StoreState { offset: StateOffset, src: Temp, width: Width },
    /// `dst = zero_extend(mem[addr .. addr + width/8])`, little endian, any alignment
    /// (`SeqCst`: aligned to its width, as the guest instructions that ask for it require).
    Load { dst: Temp, addr: Temp, width: Width, order: MemOrder },
    /// `mem[addr .. addr + width/8] = low width bits of src`, little endian, any alignment
    /// (`SeqCst`: aligned to its width).
    Store { addr: Temp, src: Temp, width: Width, order: MemOrder },
    /// `dst = a op b` (see [`BinOp`]).
    Bin { op: BinOp, dst: Temp, a: Temp, b: Temp, width: Width },
    /// `dst = op a` (see [`UnOp`]).
    Un { op: UnOp, dst: Temp, a: Temp, width: Width },
    /// `dst = a`'s low `from` bits extended to 64 bits, with sign if `signed`.
    Ext { dst: Temp, a: Temp, from: Width, signed: bool },
    /// `dst = (a cmp b) ? 1 : 0` (see [`CmpOp`]).
    Cmp { op: CmpOp, dst: Temp, a: Temp, b: Temp, width: Width },
    /// `dst = cond != 0 ? if_true : if_false` (all 64 bits).
    Select { dst: Temp, cond: Temp, if_true: Temp, if_false: Temp },
    /// Atomically: `dst = mem[addr]; mem[addr] = dst op src`. Sequentially consistent.
    AtomicRmw { op: RmwOp, dst: Temp, addr: Temp, src: Temp, width: Width },
    /// Atomically: `dst = mem[addr]; if dst == expected { mem[addr] = new }`. Sequentially
    /// consistent. The caller compares `dst` with `expected` to learn whether it stored.
    CompareExchange { dst: Temp, addr: Temp, expected: Temp, new: Temp, width: Width },
    /// A full memory barrier.
    Fence,
    /// `dst = a op b` in floating point under `rule` with the guest control register `ctrl`
    /// (see [`FpRule`]): the result's bits, or the exception flags the operation raises
    /// ([`FpResult`]). Pure: both are functions of `a`, `b` and `ctrl`.
    Fp { op: FpOp, prec: FpPrec, rule: FpRule, result: FpResult, dst: Temp, a: Temp, b: Temp, ctrl: Temp },
    /// `dst = (±a * b) ± c` rounded once (fused multiply-add) under `rule` with control
    /// register `ctrl`, negating as `neg` says: the result's bits or the exception flags
    /// ([`FpResult`]). Pure; the reference is [`fma`], which says where the rules differ
    /// (NaN priority: x86 `a`, `b`, `c`; A64 `c`, `a`, `b`, signalling first, with `neg`
    /// flipping a NaN operand's sign).
    FpFma {
        prec: FpPrec,
        rule: FpRule,
        result: FpResult,
        neg: FmaNeg,
        dst: Temp,
        a: Temp,
        b: Temp,
        c: Temp,
        ctrl: Temp,
    },
    /// `dst = a op b` compared in floating point under `rule` with control register `ctrl`: a
    /// predicate's mask or the rule's flag word ([`FpCmpOp`]), or the exception flags the
    /// compare raises. Pure, like [`Op::Fp`]; the reference is [`fp_cmp`].
    FpCmp {
        op: FpCmpOp,
        prec: FpPrec,
        rule: FpRule,
        result: FpResult,
        dst: Temp,
        a: Temp,
        b: Temp,
        ctrl: Temp,
    },
    /// `dst = a` converted from `from` to `to` ([`NumFormat`]: f32, f64, i32, i64; at least one
    /// a float) under `rule` with control register `ctrl`, rounding as `round` says: the
    /// result's bits or the exception flags the conversion raises. Pure; the reference is
    /// [`fp_cvt`].
    FpCvt {
        from: NumFormat,
        to: NumFormat,
        round: CvtRound,
        rule: FpRule,
        result: FpResult,
        dst: Temp,
        a: Temp,
        ctrl: Temp,
    },
    /// `dst = a op b` on each `lane`-bit lane of the 64-bit values independently (see
    /// [`LaneOp`]; [`LaneOp::has_lane`] says which lane widths exist).
    Lanes { op: LaneOp, lane: Width, dst: Temp, a: Temp, b: Temp },
    /// `dst = helper(state, args...)`; at most four arguments.
    CallHelper { dst: Option<Temp>, helper: Helper, args: Vec<Temp> },
    /// If `cond != 0`, leave the block by `exit`. `exit` is never [`Exit::Branch`].
    ExitIf { cond: Temp, exit: Exit },
    /// Written only by `ir::opt`, right after a guest memory access (or after another
    /// `StateAtFault` there): if that access faults, `state[offset .. offset + width/8]`
    /// must read `src` for the guest's signal handler, because the store that put it there
    /// was deleted (overwritten later in the block). Backends emit no code for it; they
    /// record where `src` (or what `src` is computed from, see `ir::deferred`) lives at the
    /// access, and the runtime writes it into the state when the access faults.
    StateAtFault { offset: StateOffset, src: Temp, width: Width },
    /// Writes nothing, but faults as a store of `mem[addr .. addr + len]` would before any of
    /// its bytes is written: when the range crosses a 4 KiB boundary (`(addr & 0xfff) >
    /// 0x1000 - len`, also right for larger host pages), an atomic OR of zero into the byte
    /// at `addr`, then into the first byte of the next page (so a fault has the address a
    /// processor reports: the start, or the second page's first byte); otherwise nothing (a
    /// store within one page faults whole). `2 <= len <= 64`. For guest stores made of
    /// several IR stores (an x86 256-bit store).
    ProbeWrite { addr: Temp, len: u8 },
    /// Written only by `ir::opt` ([`mxcsr_run`]): the next `len` ops are an MXCSR run, x86
    /// SSE floating-point ops under [`FpRule::X86Sse`] whose control input is `mxcsr` (the
    /// guest's MXCSR as loaded from the state) or a merge of their own exception flags into
    /// it, with the merges stored to MXCSR and their #XM trap checks, and nothing else that
    /// reads or writes MXCSR, calls a function, touches guest memory or leaves the block.
    /// It computes nothing: the ops that follow keep their meaning (the interpreter runs
    /// them as ever). It tells a backend that when `mxcsr` has all six exception mask bits
    /// (7..12) set and its reserved bits (16..31) clear, no trap check of the run can fire
    /// and no merge changes a control bit, so the run may execute with that MXCSR loaded
    /// once, flags included (the host accumulates the sticky flags), and its last merge
    /// read back once at the end.
    MxcsrRun { mxcsr: Temp, len: u32 },
    /// `dst = state[offset .. offset + 16]`, a 128-bit vector temporary (see [`vector`]:
    /// the ops from here on define or read vector temporaries).
    VLoadState { dst: Temp, offset: StateOffset },
    /// `state[offset .. offset + 16] = src` (a vector).
    VStoreState { offset: StateOffset, src: Temp },
    /// `dst = mem[addr .. addr + 16]`, little endian, any alignment, with the rules of
    /// [`Op::Load`] (`SeqCst` excepted: see [`vector::check`]).
    VLoad { dst: Temp, addr: Temp, order: MemOrder },
    /// `mem[addr .. addr + 16] = src` (a vector), with the rules of [`Op::Store`]; a store
    /// that faults writes none of its bytes (as one x86 instruction; an AArch64 host's
    /// `str q` that crosses a page may write its first part, so that backend probes the
    /// second page first, as [`Op::ProbeWrite`] does).
    VStore { addr: Temp, src: Temp, order: MemOrder },
    /// `dst = hi:lo`, a vector from two 64-bit temporaries.
    VPack { dst: Temp, lo: Temp, hi: Temp },
    /// `dst` = the high (`high`) or low 64 bits of the vector `src`.
    VHalf { dst: Temp, src: Temp, high: bool },
    /// `dst = a op b` over 128 bits (see [`VBitOp`]).
    VBit { op: VBitOp, dst: Temp, a: Temp, b: Temp },
    /// `dst = a op b` on each `lane`-bit lane of two vectors ([`vector::has_vlane`] says
    /// which exist; each half as [`Op::Lanes`]).
    VLanes { op: LaneOp, lane: Width, dst: Temp, a: Temp, b: Temp },
    /// Every `lane`-bit lane of the vector `a` shifted by `count` ([`LaneOp::Shl`],
    /// [`LaneOp::Lshr`], [`LaneOp::Ashr`]; [`vector::has_vshift`]).
    VShift { op: LaneOp, lane: Width, dst: Temp, a: Temp, count: u8 },
}

/// A translated basic block: the unit a frontend produces and a backend compiles.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    /// Guest address of the first instruction.
    pub start: GuestAddr,
    /// Bytes of guest code covered, from `start`.
    pub guest_len: u32,
    /// Number of guest instructions covered.
    pub guest_insns: u32,
    pub ops: Vec<Op>,
    pub exit: Exit,
    /// Number of temporaries (`Temp(0) .. Temp(temps)`).
    pub temps: u32,
    /// For known exit targets (of the final exit or a side exit): state bytes that the guest
    /// code there certainly overwrites before anything can observe them, so that no exit to
    /// that target observes them either (see [`liveness`]). Empty unless a frontend looked
    /// ahead; a target not listed keeps every byte live.
    pub dead_on_entry: Vec<DeadOnEntry>,
}

/// State bytes that the guest code at `target` overwrites before anything reads them (one
/// byte each: `bytes` are offsets of single bytes, sorted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadOnEntry {
    pub target: GuestAddr,
    pub bytes: Vec<StateOffset>,
}

impl Op {
    /// Whether the op only computes its result from its inputs (state loads included): one
    /// whose result nobody reads may be deleted.
    pub fn is_pure(&self) -> bool {
        matches!(
            self,
            Op::Const { .. }
                | Op::LoadState { .. }
                | Op::Bin { .. }
                | Op::Un { .. }
                | Op::Ext { .. }
                | Op::Cmp { .. }
                | Op::Select { .. }
                | Op::Fp { .. }
                | Op::FpFma { .. }
                | Op::FpCmp { .. }
                | Op::FpCvt { .. }
                | Op::Lanes { .. }
                | Op::VLoadState { .. }
                | Op::VPack { .. }
                | Op::VHalf { .. }
                | Op::VBit { .. }
                | Op::VLanes { .. }
                | Op::VShift { .. }
        )
    }

    /// The temporary this op writes, if any.
    pub fn dst(&self) -> Option<Temp> {
        match *self {
            Op::Const { dst, .. }
            | Op::LoadState { dst, .. }
            | Op::Load { dst, .. }
            | Op::Bin { dst, .. }
            | Op::Un { dst, .. }
            | Op::Ext { dst, .. }
            | Op::Cmp { dst, .. }
            | Op::Select { dst, .. }
            | Op::Fp { dst, .. }
            | Op::FpFma { dst, .. }
            | Op::FpCmp { dst, .. }
            | Op::FpCvt { dst, .. }
            | Op::Lanes { dst, .. }
            | Op::AtomicRmw { dst, .. }
            | Op::CompareExchange { dst, .. }
            | Op::VLoadState { dst, .. }
            | Op::VLoad { dst, .. }
            | Op::VPack { dst, .. }
            | Op::VHalf { dst, .. }
            | Op::VBit { dst, .. }
            | Op::VLanes { dst, .. }
            | Op::VShift { dst, .. } => Some(dst),
            Op::CallHelper { dst, .. } => dst,
            Op::GuestInsn { .. }
            | Op::VStoreState { .. }
            | Op::VStore { .. }
            | Op::ProbeWrite { .. }
            | Op::StoreState { .. }
            | Op::Store { .. }
            | Op::Fence
            | Op::ExitIf { .. }
            | Op::MxcsrRun { .. }
            | Op::StateAtFault { .. } => None,
        }
    }

    /// Calls `f` on every temporary this op reads.
    pub fn for_each_src(&self, mut f: impl FnMut(Temp)) {
        match self {
            Op::GuestInsn { .. }
            | Op::Const { .. }
            | Op::LoadState { .. }
            | Op::Fence
            | Op::VLoadState { .. } => {}
            Op::StoreState { src, .. } | Op::StateAtFault { src, .. } | Op::VStoreState { src, .. } => {
                f(*src)
            }
            Op::MxcsrRun { mxcsr, .. } => f(*mxcsr),
            Op::Load { addr, .. } | Op::VLoad { addr, .. } | Op::ProbeWrite { addr, .. } => f(*addr),
            Op::Store { addr, src, .. } | Op::VStore { addr, src, .. } => {
                f(*addr);
                f(*src)
            }
            Op::VPack { lo, hi, .. } => {
                f(*lo);
                f(*hi)
            }
            Op::Bin { a, b, .. }
            | Op::Cmp { a, b, .. }
            | Op::Lanes { a, b, .. }
            | Op::VBit { a, b, .. }
            | Op::VLanes { a, b, .. } => {
                f(*a);
                f(*b)
            }
            Op::Un { a, .. } | Op::Ext { a, .. } | Op::VShift { a, .. } | Op::VHalf { src: a, .. } => f(*a),
            Op::Select { cond, if_true, if_false, .. } => {
                f(*cond);
                f(*if_true);
                f(*if_false)
            }
            Op::Fp { a, b, ctrl, .. } | Op::FpCmp { a, b, ctrl, .. } => {
                f(*a);
                f(*b);
                f(*ctrl)
            }
            Op::FpFma { a, b, c, ctrl, .. } => {
                f(*a);
                f(*b);
                f(*c);
                f(*ctrl)
            }
            Op::FpCvt { a, ctrl, .. } => {
                f(*a);
                f(*ctrl)
            }
            Op::AtomicRmw { addr, src, .. } => {
                f(*addr);
                f(*src)
            }
            Op::CompareExchange { addr, expected, new, .. } => {
                f(*addr);
                f(*expected);
                f(*new)
            }
            Op::CallHelper { args, .. } => args.iter().copied().for_each(f),
            Op::ExitIf { cond, exit } => {
                f(*cond);
                exit.for_each_src(f)
            }
        }
    }

    /// Rewrites every temporary this op reads through `f`.
    pub fn map_srcs(&mut self, mut f: impl FnMut(Temp) -> Temp) {
        match self {
            Op::GuestInsn { .. }
            | Op::Const { .. }
            | Op::LoadState { .. }
            | Op::Fence
            | Op::VLoadState { .. } => {}
            Op::StoreState { src, .. } | Op::StateAtFault { src, .. } | Op::VStoreState { src, .. } => {
                *src = f(*src)
            }
            Op::MxcsrRun { mxcsr, .. } => *mxcsr = f(*mxcsr),
            Op::Load { addr, .. } | Op::VLoad { addr, .. } | Op::ProbeWrite { addr, .. } => *addr = f(*addr),
            Op::Store { addr, src, .. } | Op::AtomicRmw { addr, src, .. } | Op::VStore { addr, src, .. } => {
                *addr = f(*addr);
                *src = f(*src)
            }
            Op::VPack { lo, hi, .. } => {
                *lo = f(*lo);
                *hi = f(*hi)
            }
            Op::Bin { a, b, .. }
            | Op::Cmp { a, b, .. }
            | Op::Lanes { a, b, .. }
            | Op::VBit { a, b, .. }
            | Op::VLanes { a, b, .. } => {
                *a = f(*a);
                *b = f(*b)
            }
            Op::Un { a, .. } | Op::Ext { a, .. } | Op::VShift { a, .. } | Op::VHalf { src: a, .. } => {
                *a = f(*a)
            }
            Op::Select { cond, if_true, if_false, .. } => {
                *cond = f(*cond);
                *if_true = f(*if_true);
                *if_false = f(*if_false)
            }
            Op::Fp { a, b, ctrl, .. } | Op::FpCmp { a, b, ctrl, .. } => {
                *a = f(*a);
                *b = f(*b);
                *ctrl = f(*ctrl)
            }
            Op::FpFma { a, b, c, ctrl, .. } => {
                *a = f(*a);
                *b = f(*b);
                *c = f(*c);
                *ctrl = f(*ctrl)
            }
            Op::FpCvt { a, ctrl, .. } => {
                *a = f(*a);
                *ctrl = f(*ctrl)
            }
            Op::CompareExchange { addr, expected, new, .. } => {
                *addr = f(*addr);
                *expected = f(*expected);
                *new = f(*new)
            }
            Op::CallHelper { args, .. } => args.iter_mut().for_each(|a| *a = f(*a)),
            Op::ExitIf { cond, exit } => {
                *cond = f(*cond);
                exit.map_srcs(f)
            }
        }
    }
}

impl Exit {
    /// Rewrites every temporary this exit reads through `f`.
    pub fn map_srcs(&mut self, mut f: impl FnMut(Temp) -> Temp) {
        match self {
            Exit::Branch { cond, .. } => *cond = f(*cond),
            Exit::Indirect(t) | Exit::Return(t) => *t = f(*t),
            Exit::Jump(_) | Exit::Syscall { .. } | Exit::Invalidate { .. } | Exit::Trap { .. } => {}
        }
    }

    /// Calls `f` on every temporary this exit reads.
    pub fn for_each_src(&self, mut f: impl FnMut(Temp)) {
        match self {
            Exit::Branch { cond, .. } => f(*cond),
            Exit::Indirect(t) | Exit::Return(t) => f(*t),
            Exit::Jump(_) | Exit::Syscall { .. } | Exit::Invalidate { .. } | Exit::Trap { .. } => {}
        }
    }
}
