//! x87 family: the loads, stores, arithmetic, comparisons and stack operations that compiled
//! C uses for `long double` (musl's printf formats every float through `long double`).
//! The arithmetic runs in helpers ([`super::x87_helpers`]); this file decodes operands, does
//! the memory accesses in IR (so that a fault is the guest's, at the right instruction) and
//! moves results into RFLAGS or registers. fnstcw/fldcw are in the system family.

use super::state::off;
use super::x87_helpers::{self as h, kind, op, unary};
use super::x87_transcend::{tr, x87_transcend};
use super::{Ctx, Handler, Unsupported};
use crate::ir::{BinOp, Helper, HelperFn, StateOffset, Temp, Width};
use iced_x86::{Instruction, MemorySize, Mnemonic, OpKind, Register};

const fn helper(name: &'static str, func: HelperFn) -> Helper {
    Helper { name, func, touches_memory: false }
}
const LOAD: Helper = helper("x87_load", h::x87_load);
const STORE: Helper = helper("x87_store", h::x87_store);
const ARITH: Helper = helper("x87_arith", h::x87_arith);
const ARITH_MEM: Helper = helper("x87_arith_mem", h::x87_arith_mem);
const COMPARE: Helper = helper("x87_compare", h::x87_compare);
const UNARY: Helper = helper("x87_unary", h::x87_unary);
const STORE_ENV: Helper = helper("x87_store_env", h::x87_store_env);
const LOAD_ENV: Helper = helper("x87_load_env", h::x87_load_env);
const TRANSCEND: Helper = helper("x87_transcend", x87_transcend);

/// Compare mode bit: an ordered comparison (see `x87_helpers::x87_compare`).
const ORDERED: u64 = 0x100;

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    use Mnemonic as M;
    Some(match m {
        M::Fld | M::Fild => load,
        M::Fst | M::Fist => |c, i| store(c, i, false),
        M::Fstp | M::Fistp | M::Fisttp => |c, i| store(c, i, true),
        M::Fldz => |c, _| load_const(c, 0),
        M::Fld1 => |c, _| load_const(c, 1),
        M::Fldpi => |c, _| load_const(c, 2),
        M::Fldl2t => |c, _| load_const(c, 3),
        M::Fldl2e => |c, _| load_const(c, 4),
        M::Fldlg2 => |c, _| load_const(c, 5),
        M::Fldln2 => |c, _| load_const(c, 6),
        M::Fadd | M::Faddp | M::Fiadd => |c, i| arith(c, i, op::ADD),
        M::Fmul | M::Fmulp | M::Fimul => |c, i| arith(c, i, op::MUL),
        M::Fsub | M::Fsubp | M::Fisub => |c, i| arith(c, i, op::SUB),
        M::Fsubr | M::Fsubrp | M::Fisubr => |c, i| arith(c, i, op::SUBR),
        M::Fdiv | M::Fdivp | M::Fidiv => |c, i| arith(c, i, op::DIV),
        M::Fdivr | M::Fdivrp | M::Fidivr => |c, i| arith(c, i, op::DIVR),
        // Compare modes: pops in the low byte, ORDERED for the comparisons that flag invalid
        // for quiet NaNs too.
        M::Fcomi => |c, i| compare_flags(c, i, ORDERED),
        M::Fucomi => |c, i| compare_flags(c, i, 0),
        M::Fcomip => |c, i| compare_flags(c, i, ORDERED | 1),
        M::Fucomip => |c, i| compare_flags(c, i, 1),
        M::Fcom | M::Ficom => |c, i| compare(c, i, ORDERED),
        M::Fucom => |c, i| compare(c, i, 0),
        M::Fcomp | M::Ficomp => |c, i| compare(c, i, ORDERED | 1),
        M::Fucomp => |c, i| compare(c, i, 1),
        M::Fcompp => |c, i| compare(c, i, ORDERED | 2),
        M::Fucompp => |c, i| compare(c, i, 2),
        M::Ftst => |c, _| simple(c, unary::TST, 0),
        M::Fxam => |c, _| simple(c, unary::XAM, 0),
        M::Fchs => |c, _| simple(c, unary::CHS, 0),
        M::Fabs => |c, _| simple(c, unary::ABS, 0),
        M::Fsqrt => |c, _| simple(c, unary::SQRT, 0),
        M::Frndint => |c, _| simple(c, unary::RNDINT, 0),
        M::Fprem => |c, _| transcend(c, tr::PREM),
        M::Fprem1 => |c, _| transcend(c, tr::PREM1),
        M::Fsin => |c, _| transcend(c, tr::SIN),
        M::Fcos => |c, _| transcend(c, tr::COS),
        M::Fsincos => |c, _| transcend(c, tr::SINCOS),
        M::Fptan => |c, _| transcend(c, tr::PTAN),
        M::Fpatan => |c, _| transcend(c, tr::PATAN),
        M::F2xm1 => |c, _| transcend(c, tr::F2XM1),
        M::Fyl2x => |c, _| transcend(c, tr::YL2X),
        M::Fyl2xp1 => |c, _| transcend(c, tr::YL2XP1),
        M::Fxtract => |c, _| transcend(c, tr::XTRACT),
        M::Fscale => |c, _| simple(c, unary::SCALE, 0),
        M::Fincstp => |c, _| simple(c, unary::INCSTP, 0),
        M::Fdecstp => |c, _| simple(c, unary::DECSTP, 0),
        M::Fninit => |c, _| simple(c, unary::INIT, 0),
        M::Fnclex => |c, _| simple(c, unary::CLEX, 0),
        M::Fxch => |c, i| with_st_index(c, i, unary::XCH),
        M::Ffree => |c, i| with_st_index(c, i, unary::FREE),
        M::Ffreep => |c, i| {
            with_st_index(c, i, unary::FREE)?;
            simple(c, unary::POP, 0)
        },
        M::Fnstsw => fnstsw,
        M::Fnstenv => fnstenv,
        M::Fldenv => fldenv,
        M::Wait => |_, _| Ok(()),
        _ => return None,
    })
}

/// The stack index of a register operand (`st(i)`), if operand `n` is one.
fn st_index(insn: &Instruction, n: u32) -> Option<u64> {
    if n >= insn.op_count() || insn.op_kind(n) != OpKind::Register {
        return None;
    }
    let r = insn.op_register(n);
    (Register::ST0..=Register::ST7).contains(&r).then(|| (r as u64) - (Register::ST0 as u64))
}

/// The format of the instruction's memory operand and its width in bytes.
fn mem_kind(insn: &Instruction, truncate: bool) -> Result<(u64, Width), Unsupported> {
    Ok(match (insn.memory_size(), truncate) {
        (MemorySize::Float32, _) => (kind::F32, Width::W32),
        (MemorySize::Float64, _) => (kind::F64, Width::W64),
        (MemorySize::Float80, _) => (kind::F80, Width::W64),
        (MemorySize::Int16, false) => (kind::I16, Width::W16),
        (MemorySize::Int32, false) => (kind::I32, Width::W32),
        (MemorySize::Int64, false) => (kind::I64, Width::W64),
        (MemorySize::Int16, true) => (kind::I16_TRUNC, Width::W16),
        (MemorySize::Int32, true) => (kind::I32_TRUNC, Width::W32),
        (MemorySize::Int64, true) => (kind::I64_TRUNC, Width::W64),
        _ => return Err(Unsupported),
    })
}

/// Loads the memory operand: (format, low 64 bits, top 16 bits of an 80-bit value).
fn load_mem(ctx: &mut Ctx, insn: &Instruction) -> Result<(u64, Temp, Temp), Unsupported> {
    let (k, w) = mem_kind(insn, false)?;
    let addr = ctx.mem_addr(insn)?;
    let lo = ctx.load(addr, w);
    let hi = if k == kind::F80 {
        let hi_addr = ctx.bin_imm(BinOp::Add, addr, 8, Width::W64);
        ctx.load(hi_addr, Width::W16)
    } else {
        ctx.constant(0)
    };
    Ok((k, lo, hi))
}

fn load(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let (k, lo, hi) = match st_index(insn, 0) {
        Some(i) => (kind::ST, ctx.constant(i), ctx.constant(0)),
        None => load_mem(ctx, insn)?,
    };
    let k = ctx.constant(k);
    ctx.call_void(LOAD, &[k, lo, hi]);
    Ok(())
}

fn load_const(ctx: &mut Ctx, which: u64) -> Result<(), Unsupported> {
    let k = ctx.constant(kind::CONST);
    let v = ctx.constant(which);
    let zero = ctx.constant(0);
    ctx.call_void(LOAD, &[k, v, zero]);
    Ok(())
}

fn store(ctx: &mut Ctx, insn: &Instruction, pop: bool) -> Result<(), Unsupported> {
    let pop_t = ctx.constant(pop as u64);
    if let Some(i) = st_index(insn, 0) {
        let k = ctx.constant(kind::ST);
        let index = ctx.constant(i);
        ctx.call_void(STORE, &[k, pop_t, index]);
        return Ok(());
    }
    let (k, w) = mem_kind(insn, insn.mnemonic() == Mnemonic::Fisttp)?;
    // The helper converts without changing guest state; the memory store comes next (a fault
    // there leaves the x87 state as it was, and an 80-bit store, two IR stores, is probed
    // first so that it cannot tear), and then the status word and the pop are committed.
    let addr = ctx.mem_addr(insn)?;
    let k_t = ctx.constant(k);
    let zero = ctx.constant(0);
    let value = ctx.call(STORE, &[k_t, pop_t, zero]);
    let scratch = |at: u32| StateOffset(off::FPU_SCRATCH.0 + at);
    if k == kind::F80 {
        ctx.probe_write(addr, 10);
    }
    ctx.store(addr, value, w);
    if k == kind::F80 {
        let hi = ctx.load_state(scratch(8), Width::W16);
        let hi_addr = ctx.bin_imm(BinOp::Add, addr, 8, Width::W64);
        ctx.store(hi_addr, hi, Width::W16);
    }
    let sw = ctx.load_state(scratch(h::STORE_COMMIT_SW), Width::W16);
    ctx.store_state(off::FPU_SW, sw, Width::W16);
    if pop {
        let tags = ctx.load_state(scratch(h::STORE_COMMIT_TAGS), Width::W8);
        ctx.store_state(off::FPU_TAGS, tags, Width::W8);
    }
    Ok(())
}

fn arith(ctx: &mut Ctx, insn: &Instruction, operation: u64) -> Result<(), Unsupported> {
    let op_t = ctx.constant(operation);
    if insn.op_count() == 1 && insn.op_kind(0) == OpKind::Memory {
        let (k, lo, _) = load_mem(ctx, insn)?;
        if k == kind::F80 {
            return Err(Unsupported);
        }
        let k = ctx.constant(k);
        ctx.call_void(ARITH_MEM, &[op_t, k, lo]);
        return Ok(());
    }
    let (dst, src) = match (st_index(insn, 0), st_index(insn, 1)) {
        (Some(d), Some(s)) => (d, s),
        // `faddp` with no operands means st(1), st(0).
        (None, None) if insn.op_count() == 0 => (1, 0),
        _ => return Err(Unsupported),
    };
    let pop = matches!(
        insn.mnemonic(),
        Mnemonic::Faddp
            | Mnemonic::Fmulp
            | Mnemonic::Fsubp
            | Mnemonic::Fsubrp
            | Mnemonic::Fdivp
            | Mnemonic::Fdivrp
    );
    let dst = ctx.constant(dst);
    let src = ctx.constant(src);
    let pop = ctx.constant(pop as u64);
    ctx.call_void(ARITH, &[op_t, dst, src, pop]);
    Ok(())
}

/// The compared operand: a stack register (default st(1)) or memory.
fn compare_operand(ctx: &mut Ctx, insn: &Instruction) -> Result<[Temp; 3], Unsupported> {
    let n = insn.op_count();
    let last = n.saturating_sub(1);
    if n > 0 && insn.op_kind(last) == OpKind::Memory {
        let (k, lo, _) = load_mem(ctx, insn)?;
        if k == kind::F80 {
            return Err(Unsupported);
        }
        let zero = ctx.constant(0);
        let k = ctx.constant(k);
        return Ok([zero, k, lo]);
    }
    let i = if n == 0 { 1 } else { st_index(insn, last).ok_or(Unsupported)? };
    let index = ctx.constant(i);
    let k = ctx.constant(kind::ST);
    let zero = ctx.constant(0);
    Ok([index, k, zero])
}

fn compare_flags(ctx: &mut Ctx, insn: &Instruction, mode: u64) -> Result<(), Unsupported> {
    let [index, k, bits] = compare_operand(ctx, insn)?;
    let mode = ctx.constant(mode | 0x200);
    let rflags = ctx.call(COMPARE, &[index, k, bits, mode]);
    let zero = ctx.constant(0);
    let cf = ctx.bit(rflags, 0);
    let pf = ctx.bit(rflags, 2);
    let zf = ctx.bit(rflags, 6);
    ctx.set_flags(&super::flags::Flags {
        cf: Some(cf),
        pf: Some(pf),
        af: Some(zero),
        zf: Some(zf),
        sf: Some(zero),
        of: Some(zero),
    });
    Ok(())
}

fn compare(ctx: &mut Ctx, insn: &Instruction, mode: u64) -> Result<(), Unsupported> {
    let [index, k, bits] = compare_operand(ctx, insn)?;
    let mode = ctx.constant(mode);
    ctx.call(COMPARE, &[index, k, bits, mode]);
    Ok(())
}

fn simple(ctx: &mut Ctx, what: u64, index: u64) -> Result<(), Unsupported> {
    let what = ctx.constant(what);
    let index = ctx.constant(index);
    ctx.call_void(UNARY, &[what, index]);
    Ok(())
}

fn transcend(ctx: &mut Ctx, what: u64) -> Result<(), Unsupported> {
    let what = ctx.constant(what);
    ctx.call_void(TRANSCEND, &[what]);
    Ok(())
}

fn with_st_index(ctx: &mut Ctx, insn: &Instruction, what: u64) -> Result<(), Unsupported> {
    // fxch st(i) lists st(0) and st(i) or just st(i); ffree lists st(i).
    let n = insn.op_count();
    let i = if n == 0 { 1 } else { st_index(insn, n - 1).ok_or(Unsupported)? };
    simple(ctx, what, i)
}

fn fnstsw(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let dst = ctx.operand(insn, 0)?;
    let sw = ctx.load_state(off::FPU_SW, Width::W16);
    ctx.write(dst, sw)
}

/// The 28-byte environment of 32/64-bit operand size (the 14-byte 16-bit one is not
/// supported). The instruction and operand pointers (FIP, FCS, FOP, FDP, FDS) are not
/// tracked: they are stored as zero.
fn env_addr(ctx: &mut Ctx, insn: &Instruction) -> Result<Temp, Unsupported> {
    if insn.memory_size() != MemorySize::FpuEnv28 {
        return Err(Unsupported);
    }
    ctx.mem_addr(insn)
}

fn fnstenv(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let addr = env_addr(ctx, insn)?;
    // Seven IR stores: probed first, so that a fault (the environment crossing into a page it
    // cannot write) writes nothing and leaves the control word unmasked.
    ctx.probe_write(addr, 28);
    let packed = ctx.call(STORE_ENV, &[]);
    let zero = ctx.constant(0);
    // Each 16-bit field sits in a 32-bit slot whose upper half reads as ones.
    let ones = ctx.constant(0xffff_0000);
    for (i, shift) in [0u64, 16, 32].into_iter().enumerate() {
        let field = ctx.bin_imm(BinOp::Lshr, packed, shift, Width::W64);
        let field = ctx.bin_imm(BinOp::And, field, 0xffff, Width::W64);
        let slot = ctx.bin(BinOp::Or, field, ones, Width::W64);
        let at = ctx.bin_imm(BinOp::Add, addr, 4 * i as u64, Width::W64);
        ctx.store(at, slot, Width::W32);
    }
    for offset in [12u64, 16, 20, 24] {
        let at = ctx.bin_imm(BinOp::Add, addr, offset, Width::W64);
        ctx.store(at, zero, Width::W32);
    }
    // Stored: now mask every exception in the control word, as the instruction does.
    let cw = ctx.load_state(off::FPU_CW, Width::W16);
    let cw = ctx.bin_imm(BinOp::Or, cw, 0x3f, Width::W16);
    ctx.store_state(off::FPU_CW, cw, Width::W16);
    Ok(())
}

fn fldenv(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let addr = env_addr(ctx, insn)?;
    let mut words = Vec::new();
    for offset in [0u64, 4, 8] {
        let at = ctx.bin_imm(BinOp::Add, addr, offset, Width::W64);
        words.push(ctx.load(at, Width::W16));
    }
    ctx.call_void(LOAD_ENV, &words);
    Ok(())
}
