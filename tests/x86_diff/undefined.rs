//! What the architecture leaves undefined at the end of a case, so that neither a recording nor
//! a comparison holds it. Processors fill undefined flags, registers and x87 condition codes
//! differently by vendor and model (AF after a shift, SF/ZF/PF after MUL, the destination of
//! BSF with a zero source, ...); a recording that kept them would only replay on a processor
//! like the one that made it.
//!
//! [`Undefined::of`] walks a case's instructions from its initial state and follows
//! undefinedness like taint:
//! - a flag is undefined after an instruction that leaves it undefined (iced-x86's
//!   `rflags_undefined`, refined by the count- and operand-dependent rules below, each
//!   citing the Intel SDM), and defined again by a later instruction that writes it;
//! - an x87 condition code (C0-C3) likewise, by the per-instruction table in [`x87_cc`], and
//!   it reaches a register or memory through FNSTSW / FNSTENV / FNSAVE;
//! - a destination the SDM calls undefined (BSF/BSR with a zero source, BSWAP of a 16-bit
//!   register, SHLD/SHRD of a 16-bit operand by more than 16) is undefined;
//! - whatever an instruction computes from an undefined input is undefined (MOV copies the
//!   undefined bits exactly; other instructions make everything they write undefined).
//!
//! The walk follows the snippet's branches (a small data-flow analysis: where paths meet,
//! what is undefined on either is undefined, and loops are followed until nothing changes).
//! A branch that reads an undefined flag makes the case itself meaningless and fails it.
//!
//! [`Undefined::apply`] turns an outcome into its canonical form: undefined GPR and flag bits
//! zero, undefined memory bits as they were initially.

use crate::case::{Case, Outcome, SCRATCH_BASE, SCRATCH_LEN};
use iced_x86::{
    Decoder, DecoderOptions, FlowControl, Instruction, InstructionInfoFactory, Mnemonic, OpAccess, OpKind,
    Register, RflagsBits,
};
use std::collections::BTreeMap;

const CF: u64 = 1 << 0;
const PF: u64 = 1 << 2;
const AF: u64 = 1 << 4;
const ZF: u64 = 1 << 6;
const SF: u64 = 1 << 7;
const OF: u64 = 1 << 11;
/// The six status flags.
const STATUS: u64 = CF | PF | AF | ZF | SF | OF;

/// x87 status-word condition codes.
const C0: u16 = 1 << 8;
const C1: u16 = 1 << 9;
const C2: u16 = 1 << 10;
const C3: u16 = 1 << 14;
const ALL_CC: u16 = C0 | C1 | C2 | C3;

/// The undefined parts of a case's final state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Undefined {
    /// RFLAGS bits, in RFLAGS positions.
    pub flags: u64,
    /// Undefined bits of each GPR (rax .. r15).
    pub gpr: [u64; 16],
    /// Undefined bits of scratch-memory bytes, by offset.
    pub mem: BTreeMap<u32, u8>,
}

impl Undefined {
    /// What the SDM leaves undefined after running `case` from its initial state.
    pub fn of(case: &Case) -> Undefined {
        Walk::run(case)
    }

    /// `outcome` with the undefined bits in canonical form: zero in GPRs and flags, the
    /// initial value in memory (so a byte whose only change is undefined is no change).
    pub fn apply(&self, outcome: &Outcome, init_mem: &[u8]) -> Outcome {
        match outcome {
            Outcome::Signal(s) => Outcome::Signal(*s),
            Outcome::Done { state, mem } => {
                let mut state = state.clone();
                state.rflags &= !self.flags;
                for (v, m) in state.gpr.iter_mut().zip(self.gpr) {
                    *v &= !m;
                }
                let mem = mem
                    .iter()
                    .filter_map(|&(off, b)| {
                        let m = self.mem.get(&off).copied().unwrap_or(0);
                        let init = init_mem[off as usize];
                        let b = (b & !m) | (init & m);
                        (b != init).then_some((off, b))
                    })
                    .collect();
                Outcome::Done { state, mem }
            }
        }
    }

    /// How many values this masks: flag bits, GPRs and memory bytes that hold undefined bits.
    pub fn counts(&self) -> (u32, u32, u32) {
        (
            self.flags.count_ones(),
            self.gpr.iter().filter(|&&m| m != 0).count() as u32,
            self.mem.values().filter(|&&m| m != 0).count() as u32,
        )
    }
}

/// GPR index (rax = 0 .. r15 = 15) and the bits of it that `reg` names.
fn gpr_bits(reg: Register) -> Option<(usize, u64)> {
    if !reg.is_gpr() {
        return None;
    }
    let full = reg.full_register();
    let index = full as usize - Register::RAX as usize;
    let bits = match reg.size() {
        8 => u64::MAX,
        4 => 0xffff_ffff,
        2 => 0xffff,
        _ if matches!(reg, Register::AH | Register::CH | Register::DH | Register::BH) => 0xff00,
        _ => 0xff,
    };
    Some((index, bits))
}

/// The bits a write to `reg` defines (a 32-bit write also zeroes the upper half).
fn written_bits(reg: Register) -> u64 {
    match gpr_bits(reg) {
        Some((_, 0xffff_ffff)) => u64::MAX,
        Some((_, bits)) => bits,
        None => 0,
    }
}

fn rflags(bits: u32) -> u64 {
    const MAP: [(u32, u64); 7] = [
        (RflagsBits::CF, CF),
        (RflagsBits::PF, PF),
        (RflagsBits::AF, AF),
        (RflagsBits::ZF, ZF),
        (RflagsBits::SF, SF),
        (RflagsBits::DF, 1 << 10),
        (RflagsBits::OF, OF),
    ];
    MAP.iter().filter(|(b, _)| bits & b != 0).map(|(_, r)| r).sum()
}

/// What one instruction does to the flags: which it defines afresh and which it leaves
/// undefined (the rest keep their state).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FlagEffect {
    defined: u64,
    undefined: u64,
}

/// A shift or rotate count that the walk may or may not know.
type Count = Option<u64>;

/// SHL/SAL/SHR/SAR, ROL/ROR, RCL/RCR and SHLD/SHRD: their flags depend on the masked count,
/// and SHLD/SHRD's result on whether it exceeds a 16-bit operand. Returns the flag effect and
/// whether the destination is undefined; `None` for other instructions.
///
/// SDM Vol. 2B, SAL/SAR/SHL/SHR: "The count is masked to 5 bits (or 6 bits with a 64-bit
/// operand)"; "If the count is 0, the flags are not affected"; "The OF flag is affected only on
/// 1-bit shifts"; "For a non-zero count, the AF flag is undefined"; CF "is undefined for SHL and
/// SHR instructions where the count is greater than or equal to the size (in bits) of the
/// destination operand".
///
/// SDM Vol. 2B, RCL/RCR/ROL/ROR: "If the masked count is 0, the flags are not affected. If the
/// masked count is 1, then the OF flag is affected, otherwise (masked count is greater than 1)
/// the OF flag is undefined." RCL/RCR rotate by the masked count modulo 9 (8-bit) or 17
/// (16-bit); CF changes only when that is non-zero.
///
/// SDM Vol. 2B, SHLD/SHRD: "If the count operand is 0, the flags are not affected"; "For a
/// 1-bit shift, the OF flag is set if a sign change occurred; otherwise, it is cleared. For
/// shifts greater than 1 bit, the OF flag is undefined"; "The AF flag is undefined" (for a
/// non-zero count); "If the count is greater than the operand size, the result is undefined"
/// and "the flags are undefined".
fn shift_rule(insn: &Instruction, width: u32, count: Count) -> Option<(FlagEffect, bool)> {
    use Mnemonic::*;
    let m = insn.mnemonic();
    if !matches!(m, Shl | Sal | Shr | Sar | Rol | Ror | Rcl | Rcr | Shld | Shrd) {
        return None;
    }
    let unknown = FlagEffect { defined: 0, undefined: rflags(insn.rflags_modified()) };
    let Some(count) = count else {
        return Some((unknown, matches!(m, Shld | Shrd) && width == 16));
    };
    let c = count & if width == 64 { 63 } else { 31 };
    let none = FlagEffect { defined: 0, undefined: 0 };
    if c == 0 {
        return Some((none, false));
    }
    let of_if_not_one = if c == 1 { 0 } else { OF };
    Some(match m {
        Shl | Sal | Shr | Sar => {
            let cf = if m != Sar && c >= width as u64 { CF } else { 0 };
            let undefined = AF | of_if_not_one | cf;
            (FlagEffect { defined: STATUS & !undefined, undefined }, false)
        }
        Rol | Ror => (FlagEffect { defined: (CF | OF) & !of_if_not_one, undefined: of_if_not_one }, false),
        Rcl | Rcr => {
            let rotated = match width {
                8 => c % 9,
                16 => c % 17,
                _ => c,
            };
            let cf = if rotated == 0 { 0 } else { CF };
            (FlagEffect { defined: (cf | OF) & !of_if_not_one, undefined: of_if_not_one }, false)
        }
        _ if c > width as u64 => (FlagEffect { defined: 0, undefined: STATUS }, true),
        _ => {
            let undefined = AF | of_if_not_one;
            (FlagEffect { defined: STATUS & !undefined, undefined }, false)
        }
    })
}

/// The x87 condition codes an instruction defines and leaves undefined (the others keep their
/// state), from the "FPU Flags Affected" section of each instruction in SDM Vol. 2. `None`:
/// not an x87 instruction (or one that leaves the condition codes alone, like FXSAVE).
fn x87_cc(insn: &Instruction, bytes: &[u8]) -> Option<(u16, u16)> {
    use Mnemonic::*;
    // The opcode byte after the legacy prefixes and REX: D8-DF (x87 escape) or 9B (WAIT).
    let opcode = bytes.iter().copied().find(|b| {
        !matches!(b, 0x66 | 0x67 | 0xf0 | 0xf2 | 0xf3 | 0x26 | 0x2e | 0x36 | 0x3e | 0x64 | 0x65 | 0x40..=0x4f)
    });
    if !matches!(opcode, Some(0xd8..=0xdf | 0x9b)) {
        return None;
    }
    Some(match insn.mnemonic() {
        // Compares, FTST, FXAM, partial remainders: "C0, C2, C3 set/cleared" per the result,
        // C1 defined. FNINIT/FINIT clear them; FLDENV/FRSTOR load them.
        Fcom | Fcomp | Fcompp | Fucom | Fucomp | Fucompp | Ficom | Ficomp | Ftst | Fxam | Fprem | Fprem1
        | Fninit | Finit | Fldenv | Frstor | Fnsave | Fsave => (ALL_CC, 0),
        // FCOMI & co.: "C1 set to 0 ... C0, C2, C3 not affected".
        Fcomi | Fcomip | Fucomi | Fucomip => (C1, 0),
        // FPTAN, FSIN, FCOS, FSINCOS: C1 and C2 defined, "C0, C3 undefined".
        Fptan | Fsin | Fcos | Fsincos => (C1 | C2, C0 | C3),
        // FNCLEX, FLDCW, FNSTCW, FNSTSW, FNSTENV, FFREE, FNOP, WAIT: "The C0, C1, C2, and C3
        // flags are undefined." (FFREEP is undocumented; the same is assumed.)
        Fnclex | Fclex | Fldcw | Fnstcw | Fstcw | Fnstsw | Fstsw | Fnstenv | Fstenv | Ffree | Ffreep
        | Fnop | Wait => (0, ALL_CC),
        // Every other x87 instruction (loads, stores, arithmetic, FXCH, FINCSTP, FCMOVcc,
        // constants, ...): C1 defined (stack fault or rounding direction), "C0, C2, C3
        // undefined".
        _ => (C1, C0 | C2 | C3),
    })
}

/// The walk's state: what is undefined so far, and which register values it still knows.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Walk {
    undefined: Undefined,
    /// x87 condition codes that are undefined.
    fsw: u16,
    /// The GPR values the walk knows (initial values not yet overwritten).
    known: [Option<u64>; 16],
    /// The scratch memory is still as initialised (no write seen yet).
    mem_known: bool,
}

impl Walk {
    fn run(case: &Case) -> Undefined {
        let insns: Vec<Instruction> =
            Decoder::with_ip(64, &case.code, crate::case::CODE_PC, DecoderOptions::NONE)
                .into_iter()
                .collect();
        let init_mem = case.mem.build();
        let index_of = |addr: u64| insns.iter().position(|i| i.ip() == addr);
        let end = crate::case::CODE_PC + case.code.len() as u64;
        let after_calls: Vec<usize> = (0..insns.len())
            .filter(|&i| matches!(insns[i].flow_control(), FlowControl::Call | FlowControl::IndirectCall))
            .map(|i| i + 1)
            .collect();
        // The instructions control may reach next from instruction `i` (`insns.len()`: the end).
        let successors = |i: usize| -> Vec<usize> {
            let insn = &insns[i];
            let target = || {
                if insn.near_branch_target() == end {
                    Some(insns.len())
                } else {
                    index_of(insn.near_branch_target())
                }
            };
            match insn.flow_control() {
                FlowControl::Next | FlowControl::Interrupt | FlowControl::Exception => vec![i + 1],
                FlowControl::ConditionalBranch => [Some(i + 1), target()].into_iter().flatten().collect(),
                FlowControl::UnconditionalBranch | FlowControl::Call => target().into_iter().collect(),
                FlowControl::Return => {
                    let mut s = after_calls.clone();
                    s.push(insns.len());
                    s
                }
                // Anywhere in the snippet, or out of it.
                _ => (0..=insns.len()).collect(),
            }
        };
        // The state before each instruction (and at the end): the join of every path there.
        let mut before: Vec<Option<Walk>> = vec![None; insns.len() + 1];
        before[0] = Some(Walk {
            undefined: Undefined::default(),
            fsw: 0,
            known: case.init.gpr.map(Some),
            mem_known: true,
        });
        let mut work = vec![0usize];
        while let Some(i) = work.pop() {
            if i >= insns.len() {
                continue;
            }
            let mut walk = before[i].clone().expect("a reached instruction has a state");
            let at = (insns[i].ip() - crate::case::CODE_PC) as usize;
            walk.step(case, &init_mem, &insns[i], &case.code[at..at + insns[i].len()]);
            for next in successors(i) {
                let joined = match &before[next] {
                    None => walk.clone(),
                    Some(old) => old.join(&walk),
                };
                if before[next].as_ref() != Some(&joined) {
                    before[next] = Some(joined);
                    work.push(next);
                }
            }
        }
        before[insns.len()].take().map(|w| w.undefined).unwrap_or_default()
    }

    /// Where two paths meet: undefined on either is undefined; a value is known if both agree.
    fn join(&self, other: &Walk) -> Walk {
        let mut undefined = self.undefined.clone();
        undefined.flags |= other.undefined.flags;
        for (a, b) in undefined.gpr.iter_mut().zip(other.undefined.gpr) {
            *a |= b;
        }
        for (&off, &m) in &other.undefined.mem {
            *undefined.mem.entry(off).or_default() |= m;
        }
        let mut known = self.known;
        for (a, b) in known.iter_mut().zip(other.known) {
            if *a != b {
                *a = None;
            }
        }
        Walk { undefined, fsw: self.fsw | other.fsw, known, mem_known: self.mem_known && other.mem_known }
    }

    /// Are any of `bits` of GPR `index` undefined?
    fn gpr_undefined(&self, index: usize, bits: u64) -> bool {
        self.undefined.gpr[index] & bits != 0
    }

    /// The value of `reg` (sub-register view), if known and defined.
    fn value(&self, reg: Register) -> Option<u64> {
        let (index, bits) = gpr_bits(reg)?;
        if self.gpr_undefined(index, bits) {
            return None;
        }
        let v = self.known[index]?;
        Some(if bits == 0xff00 { (v >> 8) & 0xff } else { v & bits })
    }

    fn set_gpr(&mut self, reg: Register, undefined: u64) {
        if let Some((index, _)) = gpr_bits(reg) {
            let bits = written_bits(reg);
            self.known[index] = None;
            self.undefined.gpr[index] = (self.undefined.gpr[index] & !bits) | (undefined & bits);
        }
    }

    fn set_mem(&mut self, offset: u32, undefined: u8) {
        self.undefined.mem.insert(offset, undefined);
    }

    /// The scratch offsets (and sizes) an instruction's memory operands reach, with their
    /// access; `None` as the offset where the walk cannot compute the address.
    fn memory(
        &self,
        info: &iced_x86::InstructionInfo,
        insn: &Instruction,
    ) -> Vec<(Option<u32>, usize, OpAccess)> {
        info.used_memory()
            .iter()
            .map(|m| {
                let addr = m.virtual_address(0, |reg, _, _| match reg {
                    Register::None => Some(0),
                    Register::RIP => Some(insn.next_ip()),
                    Register::ES | Register::CS | Register::SS | Register::DS => Some(0),
                    r => self.value(r),
                });
                let off = addr
                    .and_then(|a| a.checked_sub(SCRATCH_BASE))
                    .filter(|&o| o < SCRATCH_LEN as u64)
                    .map(|o| o as u32);
                (off, m.memory_size().size(), m.access())
            })
            .collect()
    }

    fn step(&mut self, case: &Case, init_mem: &[u8], insn: &Instruction, bytes: &[u8]) {
        let mut factory = InstructionInfoFactory::new();
        let info = factory.info(insn).clone();
        let reads = |a: OpAccess| {
            matches!(a, OpAccess::Read | OpAccess::CondRead | OpAccess::ReadWrite | OpAccess::ReadCondWrite)
        };
        let writes = |a: OpAccess| {
            matches!(a, OpAccess::Write | OpAccess::CondWrite | OpAccess::ReadWrite | OpAccess::ReadCondWrite)
        };
        let memory = self.memory(&info, insn);
        let flags_read = rflags(insn.rflags_read());
        // Is any input undefined?
        let mut tainted = flags_read & self.undefined.flags != 0;
        for r in info.used_registers() {
            if reads(r.access()) {
                if let Some((index, bits)) = gpr_bits(r.register()) {
                    tainted |= self.gpr_undefined(index, bits);
                }
            }
        }
        for &(off, size, access) in &memory {
            if reads(access) {
                tainted |= match off {
                    Some(o) => {
                        (o..o + size as u32).any(|b| self.undefined.mem.get(&b).is_some_and(|&m| m != 0))
                    }
                    None => self.undefined.mem.values().any(|&m| m != 0),
                };
            }
        }
        if tainted && insn.flow_control() != FlowControl::Next && flags_read & self.undefined.flags != 0 {
            panic!(
                "{}: a branch reads an undefined flag ({:#x}): the case's path is undefined; change the case",
                case.name,
                flags_read & self.undefined.flags
            );
        }

        // The flags.
        let width = match insn.op0_kind() {
            OpKind::Register => insn.op0_register().size() as u32 * 8,
            OpKind::Memory => insn.memory_size().size() as u32 * 8,
            _ => 0,
        };
        let count: Count = match insn.mnemonic() {
            Mnemonic::Shld | Mnemonic::Shrd => self.count_operand(insn, 2),
            _ => self.count_operand(insn, 1),
        };
        let (mut effect, mut dest_undefined) = shift_rule(insn, width, count).unwrap_or((
            FlagEffect {
                defined: rflags(insn.rflags_modified()) & !rflags(insn.rflags_undefined()),
                undefined: rflags(insn.rflags_undefined()),
            },
            false,
        ));
        // SDM Vol. 2A, BSF/BSR: "If the content of the source operand is 0, the content of the
        // destination operand is undefined."
        if matches!(insn.mnemonic(), Mnemonic::Bsf | Mnemonic::Bsr) {
            let source = match insn.op1_kind() {
                OpKind::Register => self.value(insn.op1_register()),
                _ => match memory.first() {
                    Some(&(Some(o), size, _)) if self.mem_known => {
                        let bytes = &init_mem[o as usize..o as usize + size];
                        Some(bytes.iter().rev().fold(0u64, |v, &b| v << 8 | b as u64))
                    }
                    _ => None,
                },
            };
            dest_undefined |= source.is_none_or(|s| s == 0);
        }
        // SDM Vol. 2A, BSWAP: "When the BSWAP instruction references a 16-bit register, the
        // result is undefined."
        if insn.mnemonic() == Mnemonic::Bswap && insn.op0_register().size() == 2 {
            dest_undefined = true;
        }
        if tainted {
            effect = FlagEffect { defined: 0, undefined: effect.defined | effect.undefined };
        }
        self.undefined.flags = (self.undefined.flags & !effect.defined) | effect.undefined;

        // The x87 condition codes, and where the status word is stored.
        let fsw_before = self.fsw;
        if let Some((defined, undefined)) = x87_cc(insn, bytes) {
            self.fsw = (self.fsw & !defined) | undefined;
        }
        use Mnemonic::{Fnsave, Fnstenv, Fnstsw, Fsave, Fstenv, Fstsw, Fxsave, Fxsave64};
        let fxsave = matches!(insn.mnemonic(), Fxsave | Fxsave64);
        let stores_status =
            fxsave || matches!(insn.mnemonic(), Fnstsw | Fstsw | Fnstenv | Fstenv | Fnsave | Fsave);

        // Registers written.
        let mov = matches!(insn.mnemonic(), Mnemonic::Mov) && insn.op1_kind() == OpKind::Register;
        for r in info.used_registers() {
            if !writes(r.access()) || gpr_bits(r.register()).is_none() {
                continue;
            }
            let reg = r.register();
            let undefined = if stores_status && insn.op0_kind() == OpKind::Register {
                fsw_before as u64
            } else if mov {
                let (index, bits) = gpr_bits(insn.op1_register()).unwrap_or((0, 0));
                let u = self.undefined.gpr[index] & bits;
                if bits == 0xff00 {
                    u >> 8
                } else {
                    u
                }
            } else if tainted
                || (dest_undefined && reg.full_register() == insn.op0_register().full_register())
            {
                gpr_bits(reg).map_or(0, |(_, b)| b)
            } else {
                0
            };
            let conditional = matches!(r.access(), OpAccess::CondWrite | OpAccess::ReadCondWrite);
            if conditional && undefined == 0 {
                // Written or not: what was undefined may stay so.
                if let Some((index, _)) = gpr_bits(reg) {
                    self.known[index] = None;
                }
                continue;
            }
            let shifted =
                if gpr_bits(reg).is_some_and(|(_, b)| b == 0xff00) { undefined << 8 } else { undefined };
            self.set_gpr(reg, shifted);
        }
        // The stack pointer of pushes, pops, calls and returns stays known.
        if let Some(rsp) = self.known[4].filter(|_| insn.stack_pointer_increment() != 0) {
            self.known[4] = Some(rsp.wrapping_add(insn.stack_pointer_increment() as i64 as u64));
        }

        // Memory written.
        for &(off, size, access) in &memory {
            if !writes(access) {
                continue;
            }
            self.mem_known = false;
            // Which bits of the written bytes are undefined.
            let pattern: Vec<u8> = if stores_status {
                // FNSTSW m16 stores the status word; FNSTENV and FNSAVE store it at offset 4 of
                // their environment image, whose upper halves of the first three doublewords
                // are "Reserved" (SDM Vol. 1, Figure 8-9): what a processor writes there is
                // not defined.
                // FXSAVE stores it at offset 2 of its image; FOP, FIP and FDP (6..24) are the
                // last x87 instruction's, which processors store differently (AMD only with an
                // exception pending), and MXCSR_MASK (28..32) says which MXCSR bits this
                // processor has (SDM Vol. 1 11.6.6), which differs by vendor.
                let env = !fxsave && !matches!(insn.mnemonic(), Fnstsw | Fstsw);
                let at = if env {
                    4
                } else if fxsave {
                    2
                } else {
                    0
                };
                (0..size)
                    .map(|i| match i {
                        _ if fxsave && i == at => fsw_before as u8,
                        _ if fxsave && i == at + 1 => (fsw_before >> 8) as u8,
                        6..=23 | 28..=31 if fxsave => 0xff,
                        _ if fxsave => 0,
                        _ if i == at => fsw_before as u8,
                        _ if i == at + 1 => (fsw_before >> 8) as u8,
                        2 | 3 | 6 | 7 | 10 | 11 if env => 0xff,
                        _ => 0,
                    })
                    .collect()
            } else if mov {
                let (index, bits) = gpr_bits(insn.op1_register()).unwrap_or((0, 0));
                let u = self.undefined.gpr[index] & bits;
                let u = if bits == 0xff00 { u >> 8 } else { u };
                (0..size).map(|i| (u >> (8 * i)) as u8).collect()
            } else if tainted || (dest_undefined && insn.op0_kind() == OpKind::Memory) {
                vec![0xff; size]
            } else {
                vec![0; size]
            };
            // XSAVE's MXCSR_MASK (bytes 28..32, written with RFBM's SSE or AVX bit) differs by
            // vendor as FXSAVE's does.
            let pattern = if matches!(insn.mnemonic(), Mnemonic::Xsave | Mnemonic::Xsave64) {
                (0..size.max(32)).map(|i| if (28..32).contains(&i) { 0xff } else { 0 }).collect()
            } else {
                pattern
            };
            match off {
                Some(o) => {
                    for (i, &u) in pattern.iter().enumerate() {
                        self.set_mem(o + i as u32, u);
                    }
                }
                None if pattern.iter().any(|&u| u != 0) => panic!(
                    "{}: undefined bits are stored at an address the walk cannot compute ({insn}); \
                     change the case",
                    case.name
                ),
                None => {}
            }
        }
    }

    /// The count of a shift or rotate: an immediate, or CL if the walk knows it.
    fn count_operand(&self, insn: &Instruction, operand: u32) -> Count {
        if operand >= insn.op_count() {
            return None;
        }
        match insn.op_kind(operand) {
            OpKind::Register => self.value(insn.op_register(operand)),
            OpKind::Immediate8 => Some(insn.immediate(operand)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{encode, CpuState};
    use iced_x86::Code;

    fn undefined(insns: &[Instruction], setup: impl FnOnce(Case) -> Case) -> Undefined {
        Undefined::of(&setup(Case::new("t", encode(insns))))
    }
    fn i2(code: Code, a: Register, b: Register) -> Instruction {
        Instruction::with2(code, a, b).unwrap()
    }
    fn imm(code: Code, a: Register, n: u32) -> Instruction {
        Instruction::with2(code, a, n).unwrap()
    }

    #[test]
    fn shifts_by_count() {
        use Code::*;
        use Register::*;
        // shl al, 1: AF only. shl al, 2: OF and AF. shl al, 8: CF too. By 0 (or 32): nothing.
        assert_eq!(undefined(&[imm(Shl_rm8_imm8, AL, 1)], |c| c).flags, AF);
        assert_eq!(undefined(&[imm(Shl_rm8_imm8, AL, 2)], |c| c).flags, AF | OF);
        assert_eq!(undefined(&[imm(Shl_rm8_imm8, AL, 8)], |c| c).flags, AF | OF | CF);
        assert_eq!(undefined(&[imm(Sar_rm8_imm8, AL, 8)], |c| c).flags, AF | OF);
        assert_eq!(undefined(&[imm(Shl_rm32_imm8, EAX, 32)], |c| c).flags, 0);
        assert_eq!(undefined(&[imm(Shl_rm64_imm8, RAX, 32)], |c| c).flags, AF | OF);
        // By CL, from the initial state.
        let shl_cl = i2(Shl_rm16_CL, AX, CL);
        assert_eq!(undefined(&[shl_cl], |c| c.gpr(1, 0x100)).flags, 0);
        assert_eq!(undefined(&[shl_cl], |c| c.gpr(1, 1)).flags, AF);
        assert_eq!(undefined(&[shl_cl], |c| c.gpr(1, 17)).flags, AF | OF | CF);
        // Rotates: OF unless by 1; RCL r8 by 9 leaves CF alone.
        assert_eq!(undefined(&[imm(Rol_rm8_imm8, AL, 1)], |c| c).flags, 0);
        assert_eq!(undefined(&[imm(Rol_rm8_imm8, AL, 3)], |c| c).flags, OF);
        assert_eq!(undefined(&[imm(Rcl_rm8_imm8, AL, 9)], |c| c).flags, OF);
        // shld ax, dx, 17: result and flags undefined.
        let shld = Instruction::with3(Shld_rm16_r16_imm8, AX, DX, 17u32).unwrap();
        let u = undefined(&[shld], |c| c);
        assert_eq!((u.flags, u.gpr[0]), (STATUS, 0xffff));
        // A later instruction that writes the flags defines them again.
        let add = i2(Add_rm8_r8, AL, BL);
        assert_eq!(undefined(&[imm(Shl_rm8_imm8, AL, 2), add], |c| c).flags, 0);
    }

    #[test]
    fn destinations() {
        use Code::*;
        use Register::*;
        assert_eq!(undefined(&[i2(Bsf_r32_rm32, EAX, ECX)], |c| c.gpr(1, 0)).gpr[0], u64::MAX);
        assert_eq!(undefined(&[i2(Bsf_r16_rm16, AX, CX)], |c| c.gpr(1, 0x10000)).gpr[0], 0xffff);
        assert_eq!(undefined(&[i2(Bsr_r64_rm64, RAX, RCX)], |c| c.gpr(1, 4)).gpr[0], 0);
        assert_eq!(undefined(&[Instruction::with1(Bswap_r16, AX).unwrap()], |c| c).gpr[0], 0xffff);
        // MUL: SF, ZF, AF, PF; what is computed from them is undefined too.
        let mul = Instruction::with1(Mul_rm8, BL).unwrap();
        let setz = Instruction::with1(Sete_rm8, CL).unwrap();
        let u = undefined(&[mul, setz], |c| c);
        assert_eq!((u.flags, u.gpr[1]), (SF | ZF | AF | PF, 0xff));
    }

    #[test]
    fn x87_condition_codes() {
        use Code::*;
        use Register::*;
        let m = |code: Code| Instruction::with1(code, iced_x86::MemoryOperand::with_base(RBX)).unwrap();
        let fnstsw = Instruction::with1(Fnstsw_AX, AX).unwrap();
        // After a load, C0, C2 and C3 are undefined; after a compare, nothing.
        let u = undefined(&[m(Fld_m64fp), fnstsw], |c| c.ptr(3, 0));
        assert_eq!(u.gpr[0], (C0 | C2 | C3) as u64);
        let u = undefined(&[m(Fld_m64fp), Instruction::with(Ftst), fnstsw], |c| c.ptr(3, 0));
        assert_eq!(u.gpr[0], 0);
        // Stored to memory, then copied: the bits follow.
        let store = Instruction::with2(Mov_rm16_r16, iced_x86::MemoryOperand::with_base_displ(RBX, 0x10), AX)
            .unwrap();
        let u = undefined(&[Instruction::with(Fnclex), fnstsw, store], |c| c.ptr(3, 0x100));
        assert_eq!((u.mem.get(&0x110), u.mem.get(&0x111)), (Some(&0), Some(&0x47)));
    }

    #[test]
    fn loops_and_environment_images() {
        use Code::*;
        use Register::*;
        // L: fprem; fnstsw ax; test ah, 4; jnz L: FPREM defines C2 on every trip, so the
        // branch is defined; the final FNSTSW leaves the codes undefined, the stored AX is not.
        let mut code = vec![0xd9, 0xf8, 0xdf, 0xe0, 0xf6, 0xc4, 0x04, 0x75, 0xf7];
        let u = Undefined::of(&Case::new("loop", code.clone()));
        assert_eq!((u.gpr[0], u.flags), (0, AF));
        // The same loop around an FLD1 instead: its branch reads an undefined C2.
        code[0..2].copy_from_slice(&[0xd9, 0xe8]);
        let bad = std::panic::catch_unwind(|| Undefined::of(&Case::new("bad", code)));
        assert!(bad.is_err());
        // FNSTENV: the reserved halves and the undefined codes of the stored status word.
        let fnstenv = Instruction::with1(Fnstenv_m28byte, iced_x86::MemoryOperand::with_base(RBX)).unwrap();
        let u = undefined(&[Instruction::with(Fld1), fnstenv], |c| c.ptr(3, 0x100));
        let image: Vec<u8> = (0x100..0x11c).map(|o| u.mem.get(&o).copied().unwrap_or(0)).collect();
        assert_eq!(&image[..12], &[0, 0, 0xff, 0xff, 0, 0x45, 0xff, 0xff, 0, 0, 0xff, 0xff]);
    }

    #[test]
    fn canonical_outcomes() {
        let mut u = Undefined { flags: AF, ..Default::default() };
        u.gpr[0] = 0xff;
        u.mem.insert(1, 0x0f);
        let mut state = CpuState { rflags: AF | CF, ..Default::default() };
        state.gpr[0] = 0x1234;
        let init = [0u8, 0x50, 0];
        let out = Outcome::Done { state, mem: vec![(1, 0x5a), (2, 7)] };
        let Outcome::Done { state, mem } = u.apply(&out, &init) else { unreachable!() };
        assert_eq!((state.rflags, state.gpr[0], mem), (CF, 0x1200, vec![(2, 7)]));
    }
}
