//! String instructions: movs, stos, lods, cmps, scas in byte/word/dword/qword sizes, with and
//! without rep/repe/repne, honouring DF.
//!
//! Design: one helper, [`string_helper`], runs the whole instruction, all iterations included,
//! and updates rcx/rsi/rdi/rax and (for cmps/scas) the six status flags. An IR block has no
//! loops, and the alternative (one iteration per block, jumping back to itself) would cost a
//! dispatcher round trip per element; `rep movsb`/`rep stosb` are glibc's large-copy and
//! large-fill paths. Non-overlapping forward copies and fills use host memmove/memset; every
//! other case runs element by element exactly as the CPU does (overlapping forward copies
//! replicate, as on hardware).
//!
//! A fault (an unmapped page) is delivered as SIGSEGV at the instruction, to a guest handler
//! too (its guest address is stored before the call: `ir::Helper::touches_memory`), with the state as at
//! the instruction's start: the helper writes registers and flags only after its last memory
//! access. In the middle of a rep that differs from the hardware, whose registers show the
//! elements already done; only a guest SIGSEGV handler could observe it, and a restart
//! redoes those elements.

use super::{Ctx, Handler, Unsupported};
use crate::frontend::x86_64::state::reg;
use crate::frontend::x86_64::X86State;
use crate::ir::Helper;
use iced_x86::{Code, Instruction, Mnemonic, Register};

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

/// Runs a string instruction: `sel = op | size << 8 | rep << 16`.
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
                // where the hardware's would.)
                let canonical = |a: u64| crate::memory::helper_address(a, bytes, 48) == a;
                if st.df == 0
                    && rep != 0
                    && (disjoint || di <= si)
                    && bytes < (1 << 47)
                    && canonical(si)
                    && canonical(di)
                {
                    std::ptr::copy(si as *const u8, di as *mut u8, bytes as usize);
                    si = si.wrapping_add(bytes);
                    di = di.wrapping_add(bytes);
                    count = 0;
                } else {
                    while count != 0 {
                        store(di, load(si, size), size);
                        si = si.wrapping_add(step);
                        di = di.wrapping_add(step);
                        count -= 1;
                    }
                }
            }
            StrOp::Stos => {
                let v = st.gpr[reg::RAX] & mask;
                let bytes = count.saturating_mul(size);
                if st.df == 0
                    && size == 1
                    && bytes < (1 << 47)
                    && crate::memory::helper_address(di, bytes, 48) == di
                {
                    std::ptr::write_bytes(di as *mut u8, v as u8, bytes as usize);
                    di = di.wrapping_add(bytes);
                    count = 0;
                }
                while count != 0 {
                    store(di, v, size);
                    di = di.wrapping_add(step);
                    count -= 1;
                }
            }
            StrOp::Lods => {
                let mut rax = st.gpr[reg::RAX];
                while count != 0 {
                    let v = load(si, size);
                    rax = match size {
                        4 => v,
                        8 => v,
                        _ => (rax & !mask) | v,
                    };
                    si = si.wrapping_add(step);
                    count -= 1;
                }
                st.gpr[reg::RAX] = rax;
            }
            StrOp::Cmps | StrOp::Scas => {
                let mut compared = None;
                while count != 0 {
                    let (a, b) = if op == StrOp::Cmps {
                        let a = load(si, size);
                        si = si.wrapping_add(step);
                        (a, load(di, size))
                    } else {
                        (st.gpr[reg::RAX] & mask, load(di, size))
                    };
                    di = di.wrapping_add(step);
                    count -= 1;
                    compared = Some((a, b));
                    // repe stops on a difference, repne on equality.
                    if (rep == REP && a != b) || (rep == REPNE && a == b) {
                        break;
                    }
                }
                if let Some((a, b)) = compared {
                    set_sub_flags(st, a, b, size);
                }
            }
        }
    }
    st.gpr[reg::RSI] = si;
    st.gpr[reg::RDI] = di;
    if rep != 0 {
        st.gpr[reg::RCX] = count;
    }
    0
}
