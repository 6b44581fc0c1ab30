//! Operands: the only place that knows how x86 operands map to guest state and memory.
//!
//! - General registers with the partial-register rules: 8-bit writes (including AH/CH/DH/BH)
//!   and 16-bit writes merge into the old value, 32-bit writes zero the upper half, 64-bit
//!   writes replace. Reads of any width yield the value zero-extended.
//! - Immediates as iced gives them (already sign-extended where the encoding says so).
//! - Memory: base + index*scale + displacement, RIP-relative (iced resolves the absolute
//!   address), 32-bit address size (0x67), FS/GS segment bases from the state.

use super::state::off;
use super::{Ctx, Unsupported};
use crate::ir::{BinOp, Temp, Width};
use iced_x86::{Instruction, OpKind, Register};

/// One operand of the instruction being translated, resolved once (a memory operand's address
/// is computed when the operand is resolved, so a read-modify-write uses it twice).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operand {
    /// General register `index` (encoding order), accessed at `width`; `high_byte` selects
    /// bits 8..16 (AH, CH, DH, BH).
    Gpr { index: usize, width: Width, high_byte: bool },
    /// Guest memory at `addr` (segment base included).
    Mem { addr: Temp, width: Width },
    /// An immediate (already extended as the encoding says).
    Imm { value: u64, width: Width },
}

impl Operand {
    pub fn width(&self) -> Width {
        match *self {
            Operand::Gpr { width, .. } | Operand::Mem { width, .. } | Operand::Imm { width, .. } => width,
        }
    }
    pub fn is_mem(&self) -> bool {
        matches!(self, Operand::Mem { .. })
    }
}

/// The general register `reg` names: (index, width, high byte).
pub fn gpr(reg: Register) -> Option<(usize, Width, bool)> {
    let r = reg as usize;
    if reg.is_gpr8() {
        let i = r - Register::AL as usize;
        // AL CL DL BL AH CH DH BH SPL BPL SIL DIL R8L .. R15L
        return Some(match i {
            0..=3 => (i, Width::W8, false),
            4..=7 => (i - 4, Width::W8, true),
            _ => (i - 4, Width::W8, false),
        });
    }
    let width = if reg.is_gpr16() {
        Width::W16
    } else if reg.is_gpr32() {
        Width::W32
    } else if reg.is_gpr64() {
        Width::W64
    } else {
        return None;
    };
    Some((reg.full_register() as usize - Register::RAX as usize, width, false))
}

/// Width of a memory operand of `insn` (None for sizes that are not 1/2/4/8 bytes).
pub fn mem_width(insn: &Instruction) -> Option<Width> {
    Width::from_bytes(insn.memory_size().size() as u32)
}

fn imm_width(kind: OpKind) -> Width {
    match kind {
        OpKind::Immediate8 | OpKind::Immediate8_2nd => Width::W8,
        OpKind::Immediate16 | OpKind::Immediate8to16 => Width::W16,
        OpKind::Immediate32 | OpKind::Immediate8to32 => Width::W32,
        _ => Width::W64,
    }
}

impl Ctx {
    /// Reads general register `index` at `width` (zero-extended).
    pub fn read_gpr(&mut self, index: usize, width: Width) -> Temp {
        self.load_state(off::gpr(index), width)
    }

    /// Writes general register `index` at `width` with the x86 rules: 8/16-bit writes merge,
    /// 32-bit writes zero bits 32..64.
    pub fn write_gpr(&mut self, index: usize, width: Width, value: Temp) {
        match width {
            Width::W8 | Width::W16 => self.store_state(off::gpr(index), value, width),
            Width::W32 => {
                let zext = self.ext(value, Width::W32, false);
                self.store_state(off::gpr(index), zext, Width::W64)
            }
            Width::W64 => self.store_state(off::gpr(index), value, Width::W64),
        }
    }

    /// Resolves operand `i` of `insn` (computing a memory operand's address).
    pub fn operand(&mut self, insn: &Instruction, i: u32) -> Result<Operand, Unsupported> {
        let kind = insn.op_kind(i);
        Ok(match kind {
            OpKind::Register => {
                let (index, width, high_byte) = gpr(insn.op_register(i)).ok_or(Unsupported)?;
                Operand::Gpr { index, width, high_byte }
            }
            OpKind::Memory => {
                let width = mem_width(insn).ok_or(Unsupported)?;
                let addr = self.mem_addr(insn)?;
                Operand::Mem { addr, width }
            }
            OpKind::Immediate8
            | OpKind::Immediate8_2nd
            | OpKind::Immediate16
            | OpKind::Immediate32
            | OpKind::Immediate64
            | OpKind::Immediate8to16
            | OpKind::Immediate8to32
            | OpKind::Immediate8to64
            | OpKind::Immediate32to64 => Operand::Imm { value: insn.immediate(i), width: imm_width(kind) },
            _ => return Err(Unsupported),
        })
    }

    /// Reads an operand's value (zero-extended from its width).
    pub fn read(&mut self, op: Operand) -> Temp {
        match op {
            Operand::Gpr { index, width, high_byte: false } => self.read_gpr(index, width),
            Operand::Gpr { index, high_byte: true, .. } => {
                let o = off::gpr(index);
                self.load_state(crate::ir::StateOffset(o.0 + 1), Width::W8)
            }
            Operand::Mem { addr, width } => self.load(addr, width),
            Operand::Imm { value, width } => self.constant(value & width.mask()),
        }
    }

    /// Writes `value` (its low `op.width()` bits) to an operand.
    pub fn write(&mut self, op: Operand, value: Temp) -> Result<(), Unsupported> {
        match op {
            Operand::Gpr { index, width, high_byte: false } => self.write_gpr(index, width, value),
            Operand::Gpr { index, high_byte: true, .. } => {
                let o = off::gpr(index);
                self.store_state(crate::ir::StateOffset(o.0 + 1), value, Width::W8)
            }
            Operand::Mem { addr, width } => self.store(addr, value, width),
            Operand::Imm { .. } => return Err(Unsupported),
        }
        Ok(())
    }

    /// Resolves operand `i` and reads it.
    pub fn read_operand(&mut self, insn: &Instruction, i: u32) -> Result<Temp, Unsupported> {
        let op = self.operand(insn, i)?;
        Ok(self.read(op))
    }

    /// The effective address of the memory operand (no segment base): what `lea` computes.
    pub fn effective_addr(&mut self, insn: &Instruction) -> Result<Temp, Unsupported> {
        let base = insn.memory_base();
        let index = insn.memory_index();
        if base == Register::RIP || base == Register::EIP {
            // iced already resolved the RIP-relative target (truncated for EIP).
            return Ok(self.constant(insn.memory_displacement64()));
        }
        let addr32 = base.is_gpr32() || index.is_gpr32();
        let aw = if addr32 { Width::W32 } else { Width::W64 };
        let disp = insn.memory_displacement64();
        let mut sum: Option<Temp> = None;
        if base != Register::None {
            let (b, _, _) = gpr(base).ok_or(Unsupported)?;
            sum = Some(self.read_gpr(b, aw));
        }
        if index != Register::None {
            let (x, _, _) = gpr(index).ok_or(Unsupported)?;
            let xv = self.read_gpr(x, aw);
            let scaled = match insn.memory_index_scale() {
                1 => xv,
                s => self.bin_imm(BinOp::Shl, xv, s.trailing_zeros() as u64, aw),
            };
            sum = Some(match sum {
                Some(s) => self.bin(BinOp::Add, s, scaled, aw),
                None => scaled,
            });
        }
        Ok(match sum {
            None => self.constant(disp & aw.mask()),
            Some(s) if disp & aw.mask() == 0 => s,
            Some(s) => self.bin_imm(BinOp::Add, s, disp, aw),
        })
    }

    /// The linear address of the memory operand: effective address plus the FS/GS base.
    pub fn mem_addr(&mut self, insn: &Instruction) -> Result<Temp, Unsupported> {
        let ea = self.effective_addr(insn)?;
        let seg_base = match insn.memory_segment() {
            Register::FS => off::FS_BASE,
            Register::GS => off::GS_BASE,
            _ => return Ok(ea),
        };
        let base = self.load_state(seg_base, Width::W64);
        Ok(self.bin(BinOp::Add, ea, base, Width::W64))
    }
}
