//! String instructions: movs, stos, lods, cmps, scas in byte/word/dword/qword sizes, with and
//! without rep/repe/repne, honouring DF.
//!
//! Design: one helper, [`string_helper`], runs the whole instruction, all iterations included,
//! and updates rcx/rsi/rdi/rax and (for cmps/scas) the six status flags. An IR block has no
//! loops, and the alternative (one iteration per block, jumping back to itself) would cost a
//! dispatcher round trip per element; `rep movsb`/`rep stosb` are glibc's large-copy and
//! large-fill paths. Forward copies whose destination is apart from or below the source, and
//! forward byte fills, use host memmove/memset a page at a time; every other case runs element
//! by element exactly as the CPU does (overlapping forward copies replicate, as on hardware).
//!
//! A fault (an unmapped or read-only page) is delivered as SIGSEGV at the instruction, to a
//! guest handler too (its guest address is stored before the call:
//! `ir::Helper::touches_memory`), with the state the helper left in the state struct. Before
//! each access that may fault, the helper writes rcx, rsi and rdi (rax for lods; for cmps/scas
//! the flags of each compare as it is done) as they are after the elements already done, and
//! memory holds exactly those elements: the memmove/memset blocks end at page boundaries of
//! both source and destination and start with their first element done on its own, so a block
//! faults at its first access, having written nothing, at the address the CPU reports. That is
//! the state a processor shows when it stops a repeated string instruction between iterations
//! (the SDM's REP entry; for repe/repne cmps/scas the flags of the last compare done, as
//! processors show them): a handler that fixes the page and returns resumes the instruction
//! where it stopped. guest-bins `repfault` checks every form against native runs.

use super::{Ctx, Handler, Unsupported};
use crate::frontend::x86_64::state::reg;
use crate::frontend::x86_64::X86State;
use crate::ir::Helper;
use crate::memory::PAGE_SIZE;
use iced_x86::{Code, Instruction, Mnemonic, Register};
use std::sync::atomic::{compiler_fence, Ordering};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
enum StrOp {
    Movs,
    Stos,
    Lods,
    Cmps,
    Scas,
}

const OPS: [StrOp; 5] = [StrOp::Movs, StrOp::Stos, StrOp::Lods, StrOp::Cmps, StrOp::Scas];

/// Repeat prefix, as the selector's bits 16..18.
const REP: u64 = 1;
const REPNE: u64 = 2;

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    use StrOp::*;
    macro_rules! h {
        ($op:expr, $size:expr) => {
            |c, i| string(c, i, $op, $size)
        };
    }
    Some(match m {
        Mnemonic::Movsb => h!(Movs, 1),
        Mnemonic::Movsw => h!(Movs, 2),
        Mnemonic::Movsq => h!(Movs, 8),
        Mnemonic::Movsd => |c, i| {
            if i.code() == Code::Movsd_m32_m32 {
                string(c, i, Movs, 4)
            } else {
                super::sse_move::movsd_sse(c, i)
            }
        },
        Mnemonic::Stosb => h!(Stos, 1),
        Mnemonic::Stosw => h!(Stos, 2),
        Mnemonic::Stosd => h!(Stos, 4),
        Mnemonic::Stosq => h!(Stos, 8),
        Mnemonic::Lodsb => h!(Lods, 1),
        Mnemonic::Lodsw => h!(Lods, 2),
        Mnemonic::Lodsd => h!(Lods, 4),
        Mnemonic::Lodsq => h!(Lods, 8),
        Mnemonic::Cmpsb => h!(Cmps, 1),
        Mnemonic::Cmpsw => h!(Cmps, 2),
        Mnemonic::Cmpsq => h!(Cmps, 8),
        Mnemonic::Cmpsd => |c, i| {
            if i.code() == Code::Cmpsd_m32_m32 {
                string(c, i, Cmps, 4)
            } else {
                super::sse_arith::cmpsd_sse(c, i)
            }
        },
        Mnemonic::Scasb => h!(Scas, 1),
        Mnemonic::Scasw => h!(Scas, 2),
        Mnemonic::Scasd => h!(Scas, 4),
        Mnemonic::Scasq => h!(Scas, 8),
        _ => return None,
    })
}

const STRING_HELPER: Helper = Helper { name: "string", func: string_helper, touches_memory: true };

fn string(ctx: &mut Ctx, insn: &Instruction, op: StrOp, size: u64) -> Result<(), Unsupported> {
    // 32-bit addressing (0x67) and segment overrides on the source are not implemented.
    let addr32 = [Register::ESI, Register::EDI].contains(&insn.memory_base());
    let seg = insn.segment_prefix();
    if addr32 || (seg != Register::None && seg != Register::DS) {
        return Err(Unsupported);
    }
    let rep = if insn.has_repne_prefix() {
        // repne means "repeat" for the instructions that do not compare, as on hardware.
        if matches!(op, StrOp::Cmps | StrOp::Scas) {
            REPNE
        } else {
            REP
        }
    } else if insn.has_rep_prefix() || insn.has_repe_prefix() {
        REP
    } else {
        0
    };
    let sel = ctx.constant(op as u64 | size << 8 | rep << 16);
    ctx.call_void(STRING_HELPER, &[sel]);
    Ok(())
}

/// Reads `size` bytes little-endian at guest address `addr`.
///
/// # Safety
/// `addr` must be readable guest memory (identity-mapped).
unsafe fn load(addr: u64, size: u64) -> u64 {
    let addr = crate::memory::helper_address(addr, size, 48);
    // SAFETY: per the contract; guest accesses may be unaligned.
    unsafe {
        match size {
            1 => *(addr as *const u8) as u64,
            2 => (addr as *const u16).read_unaligned() as u64,
            4 => (addr as *const u32).read_unaligned() as u64,
            _ => (addr as *const u64).read_unaligned(),
        }
    }
}

/// Writes the low `size` bytes of `v` at guest address `addr`.
///
/// # Safety
/// `addr` must be writable guest memory (identity-mapped).
unsafe fn store(addr: u64, v: u64, size: u64) {
    let addr = crate::memory::helper_address(addr, size, 48);
    // SAFETY: per the contract; guest accesses may be unaligned.
    unsafe {
        match size {
            1 => *(addr as *mut u8) = v as u8,
            2 => (addr as *mut u16).write_unaligned(v as u16),
            4 => (addr as *mut u32).write_unaligned(v as u32),
            _ => (addr as *mut u64).write_unaligned(v),
        }
    }
}

/// The flags of `a - b` at `size` bytes, stored into the state (as `cmp` sets them).
fn set_sub_flags(st: &mut X86State, a: u64, b: u64, size: u64) {
    let bits = size * 8;
    let mask = u64::MAX >> (64 - bits);
    let r = a.wrapping_sub(b) & mask;
    let sign = 1u64 << (bits - 1);
    st.cf = (a < b) as u8;
    st.zf = (r == 0) as u8;
    st.sf = (r & sign != 0) as u8;
    st.of = ((a ^ b) & (a ^ r) & sign != 0) as u8;
    st.af = ((a ^ b ^ r) & 0x10 != 0) as u8;
    st.pf = (r as u8).count_ones().is_multiple_of(2) as u8;
}

/// Makes the registers as they stand after the elements done so far visible in the state,
/// before an access that may fault: a fault inside the helper is delivered with the state as
/// the helper left it (see the module doc). The compiler fence keeps these stores ahead of
/// the guest access that follows (a fault is a signal on this thread).
fn publish(st: &mut X86State, rep: u64, count: u64, si: u64, di: u64) {
    st.gpr[reg::RSI] = si;
    st.gpr[reg::RDI] = di;
    if rep != 0 {
        st.gpr[reg::RCX] = count;
    }
    compiler_fence(Ordering::SeqCst);
}

/// How many whole elements of `size` bytes, at most `count`, lie before the next page boundary
/// of both `si` and `di` going up: a block of them cannot fault part-way, because every access
/// to the source is in one page and every one to the destination in one page. At least 1 (a
/// single element may straddle a boundary; one access, which faults before it has any effect).
/// `count` is at least 1.
fn elements_in_page(si: u64, di: u64, size: u64, count: u64) -> u64 {
    let to_boundary = |a: u64| PAGE_SIZE - (a & (PAGE_SIZE - 1));
    (to_boundary(si).min(to_boundary(di)) / size).clamp(1, count)
}

/// Runs a string instruction: `sel = op | size << 8 | rep << 16`.
///
/// Before each access that may fault, the state holds rcx, rsi, rdi (and rax for lods, the
/// flags of the last compare for cmps/scas) as they are after the elements already done, and
/// memory holds exactly those elements: a fault leaves the state the hardware shows when it
/// stops a repeated string instruction between iterations.
pub extern "C" fn string_helper(state: *mut u8, sel: u64, _: u64, _: u64, _: u64) -> u64 {
    // SAFETY: translated code passes its live X86State.
    let st = unsafe { &mut *(state as *mut X86State) };
    let Some(&op) = OPS.get((sel & 0xff) as usize) else { return 0 };
    let size = (sel >> 8) & 0xff;
    let rep = (sel >> 16) & 3;
    let mask = u64::MAX >> (64 - 8 * size);
    let step = if st.df != 0 { size.wrapping_neg() } else { size };
    let (mut si, mut di) = (st.gpr[reg::RSI], st.gpr[reg::RDI]);
    let mut count = if rep != 0 { st.gpr[reg::RCX] } else { 1 };
    // SAFETY (every access below): the guest's own string instruction touches exactly these
    // guest addresses; a fault is the guest's fault, as it would be natively.
    unsafe {
        match op {
            StrOp::Movs => {
                let bytes = count.saturating_mul(size);
                let disjoint = di.abs_diff(si) >= bytes;
                // (A range with a non-canonical end goes element by element: the fault comes
                // where the hardware's would.) A forward copy with the destination below the
                // source, or apart from it, is a memmove: done a page at a time, in the order
                // the elements go, it moves what the CPU's element-by-element copy would.
                let canonical = |a: u64| crate::memory::helper_address(a, bytes, 48) == a;
                let fast = st.df == 0
                    && rep != 0
                    && (disjoint || di <= si)
                    && bytes < (1 << 47)
                    && canonical(si)
                    && canonical(di);
                while count != 0 {
                    publish(st, rep, count, si, di);
                    let n = if fast { elements_in_page(si, di, size, count) } else { 1 };
                    // The first element on its own: if a page is inaccessible, the fault is
                    // at the first byte the CPU would touch there (where memmove's first
                    // access is its own choice); the rest of the block then cannot fault.
                    store(di, load(si, size), size);
                    if n > 1 {
                        let rest = ((n - 1) * size) as usize;
                        std::ptr::copy((si + size) as *const u8, (di + size) as *mut u8, rest);
                    }
                    si = si.wrapping_add(step.wrapping_mul(n));
                    di = di.wrapping_add(step.wrapping_mul(n));
                    count -= n;
                }
            }
            StrOp::Stos => {
                let v = st.gpr[reg::RAX] & mask;
                let bytes = count.saturating_mul(size);
                let fast = st.df == 0
                    && size == 1
                    && bytes < (1 << 47)
                    && crate::memory::helper_address(di, bytes, 48) == di;
                while count != 0 {
                    publish(st, rep, count, si, di);
                    let n = if fast { elements_in_page(di, di, 1, count) } else { 1 };
                    // The first element on its own, as for movs.
                    store(di, v, size);
                    if n > 1 {
                        std::ptr::write_bytes((di + 1) as *mut u8, v as u8, (n - 1) as usize);
                    }
                    di = di.wrapping_add(step.wrapping_mul(n));
                    count -= n;
                }
            }
            StrOp::Lods => {
                while count != 0 {
                    publish(st, rep, count, si, di);
                    let v = load(si, size);
                    let rax = st.gpr[reg::RAX];
                    st.gpr[reg::RAX] = match size {
                        4 | 8 => v,
                        _ => (rax & !mask) | v,
                    };
                    si = si.wrapping_add(step);
                    count -= 1;
                }
            }
            StrOp::Cmps | StrOp::Scas => {
                // The flags are those of the last compare done, at a fault too (as a
                // processor shows them); before the first, they are untouched.
                while count != 0 {
                    publish(st, rep, count, si, di);
                    let (a, b) = if op == StrOp::Cmps {
                        let a = load(si, size);
                        si = si.wrapping_add(step);
                        (a, load(di, size))
                    } else {
                        (st.gpr[reg::RAX] & mask, load(di, size))
                    };
                    di = di.wrapping_add(step);
                    count -= 1;
                    set_sub_flags(st, a, b, size);
                    // repe stops on a difference, repne on equality.
                    if (rep == REP && a != b) || (rep == REPNE && a == b) {
                        break;
                    }
                }
            }
        }
    }
    publish(st, rep, count, si, di);
    0
}
