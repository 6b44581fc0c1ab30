//! Masked moves and gathers: maskmovdqu and vmaskmovdqu (byte-masked store to [rdi]),
//! vmaskmovps/pd and vpmaskmovd/q (element-masked loads and stores), and the AVX2 gathers
//! vgatherdps/dpd/qps/qpd and vpgatherdd/dq/qd/qq (Intel SDM Vol. 2).
//!
//! Both families are one Rust helper each, not IR: an element whose mask bit is clear must
//! not be accessed at all (no fault, no write), and the IR has no conditional memory access
//! and no address that is always harmless to read or write (the guest state's address is not
//! an IR value, differs per thread and could not be kept in the persistent cache); and a
//! gather that faults must show the elements before the faulting one completed (destination
//! element written, mask element cleared), state changes that `ir::opt` deliberately sinks
//! past an instruction's memory accesses. A helper that writes each completed element into
//! the state before the next access gives exactly the SDM's state at a fault (the fault exit
//! keeps the state the helper left, see docs/ARCHITECTURE.md "Signals the runtime catches").
//! The instructions are rare in hot code (compilers keep gathers out of most loops, glibc
//! uses neither), so the call costs little.
//!
//! The masked loads write their destination after their last access, so a fault leaves it
//! as it was. A masked store that faults on an enabled element writes none of them, as the
//! processors do (guest-bins `storefault-masked`, against native runs; the SDM leaves the
//! order of the element accesses to the implementation): before the first write, every
//! enabled element is probed for write access in address order ([`probe_write`], at its
//! first byte and at the first byte of a page it runs into), so the fault comes first, at
//! the lowest inaccessible address, the one the processor reports.

use super::avx2_lanes::vreg;
use super::state::{off, reg};
use super::{Ctx, Handler, Unsupported};
use crate::frontend::x86_64::X86State;
use crate::ir::{BinOp, Exit, GuestAddr, Helper, TrapKind, Width};
use iced_x86::{Instruction, Mnemonic, OpKind, Register};
use std::sync::atomic::{AtomicU8, Ordering};

/// The legacy form (the mnemonic table).
pub fn lookup(m: Mnemonic) -> Option<Handler> {
    match m {
        Mnemonic::Maskmovdqu => Some(maskmovdqu),
        _ => None,
    }
}

/// The VEX forms (`vex::translate`).
pub fn lookup_vex(m: Mnemonic) -> Option<Handler> {
    Some(match m {
        Mnemonic::Vmaskmovdqu => maskmovdqu,
        Mnemonic::Vmaskmovps | Mnemonic::Vpmaskmovd => |c, i| maskmov(c, i, 4),
        Mnemonic::Vmaskmovpd | Mnemonic::Vpmaskmovq => |c, i| maskmov(c, i, 8),
        Mnemonic::Vgatherdps | Mnemonic::Vpgatherdd => |c, i| gather(c, i, 4, 4),
        Mnemonic::Vgatherdpd | Mnemonic::Vpgatherdq => |c, i| gather(c, i, 4, 8),
        Mnemonic::Vgatherqps | Mnemonic::Vpgatherqd => |c, i| gather(c, i, 8, 4),
        Mnemonic::Vgatherqpd | Mnemonic::Vpgatherqq => |c, i| gather(c, i, 8, 8),
        _ => return None,
    })
}

const MASKMOV_HELPER: Helper = Helper { name: "x86_maskmov", func: maskmov_helper, touches_memory: true };
const GATHER_HELPER: Helper = Helper { name: "x86_gather", func: gather_helper, touches_memory: true };

// The helpers' descriptor word: register numbers and the form.
const DESC_STORE: u64 = 1 << 12;
const DESC_WIDE: u64 = 1 << 13;
const DESC_QWORD: u64 = 1 << 14;
const DESC_BYTES: u64 = 1 << 15;
const DESC_INDEX_Q: u64 = 1 << 16;
const DESC_ADDR32: u64 = 1 << 17;

fn field(desc: u64, k: u32) -> usize {
    (desc >> (4 * k) & 15) as usize
}

/// (v)maskmovdqu xmm1, xmm2: the bytes of xmm1 whose byte in xmm2 has its top bit set, to
/// [rdi] (edi with 0x67; the DS segment may be overridden by FS or GS).
fn maskmovdqu(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let addr32 = match insn.op_kind(0) {
        OpKind::MemorySegRDI => false,
        OpKind::MemorySegEDI => true,
        _ => return Err(Unsupported),
    };
    let (src, mask) = (vreg(insn, 1)?, vreg(insn, 2)?);
    let mut addr = ctx.read_gpr(reg::RDI, if addr32 { Width::W32 } else { Width::W64 });
    let seg = match insn.memory_segment() {
        Register::FS => Some(off::FS_BASE),
        Register::GS => Some(off::GS_BASE),
        _ => None,
    };
    if let Some(seg) = seg {
        let base = ctx.load_state(seg, Width::W64);
        addr = ctx.bin(BinOp::Add, addr, base, Width::W64);
    }
    let desc = ctx.constant(src as u64 | (mask as u64) << 8 | DESC_STORE | DESC_BYTES);
    ctx.call_void(MASKMOV_HELPER, &[addr, desc]);
    Ok(())
}

/// vmaskmovps/pd, vpmaskmovd/q: a load (`dst, mask, m`) or a store (`m, mask, src`) of the
/// `size`-byte elements whose mask element has its top bit set.
fn maskmov(ctx: &mut Ctx, insn: &Instruction, size: u64) -> Result<(), Unsupported> {
    let store = insn.op_kind(0) == OpKind::Memory;
    let (data, mask) =
        if store { (vreg(insn, 2)?, vreg(insn, 1)?) } else { (vreg(insn, 0)?, vreg(insn, 1)?) };
    let wide = insn.op_register(1).is_ymm();
    let addr = ctx.mem_addr(insn)?;
    let mut desc = data as u64 | (mask as u64) << 8;
    if store {
        desc |= DESC_STORE;
    }
    if wide {
        desc |= DESC_WIDE;
    }
    if size == 8 {
        desc |= DESC_QWORD;
    }
    let desc = ctx.constant(desc);
    ctx.call_void(MASKMOV_HELPER, &[addr, desc]);
    Ok(())
}

/// The gathers: `dst, [base + index * scale + disp], mask` with `index_size`-byte indices
/// (sign-extended) and `size`-byte elements. Any two of the three registers the same is #UD.
fn gather(ctx: &mut Ctx, insn: &Instruction, index_size: u64, size: u64) -> Result<(), Unsupported> {
    if insn.op_kind(1) != OpKind::Memory {
        return Err(Unsupported);
    }
    let (dst, mask) = (vreg(insn, 0)?, vreg(insn, 2)?);
    let index = insn.memory_index();
    if !(index.is_xmm() || index.is_ymm()) || index.number() >= 16 {
        return Err(Unsupported);
    }
    let index_reg = index.number();
    if dst == mask || dst == index_reg || mask == index_reg {
        ctx.exit =
            Some(Exit::Trap { kind: TrapKind::IllegalInstruction, pc: GuestAddr(ctx.pc), message: None });
        return Ok(());
    }
    // base + disp (+ segment base); the helper adds the scaled indices.
    let base = insn.memory_base();
    let addr32 = base.is_gpr32();
    let aw = if addr32 { Width::W32 } else { Width::W64 };
    let disp = insn.memory_displacement64() & aw.mask();
    let partial = if base == Register::None {
        ctx.constant(disp)
    } else {
        let (b, _, _) = super::operand::gpr(base).ok_or(Unsupported)?;
        let v = ctx.read_gpr(b, aw);
        ctx.bin_imm(BinOp::Add, v, disp, Width::W64)
    };
    let seg = match insn.memory_segment() {
        Register::FS => Some(off::FS_BASE),
        Register::GS => Some(off::GS_BASE),
        _ => None,
    };
    let seg_base = match seg {
        Some(s) => ctx.load_state(s, Width::W64),
        None => ctx.constant(0),
    };
    // Any VEX.256 operand (the destination, or the index of the qd/qps forms) makes it wide.
    let wide = insn.op_register(0).is_ymm() || index.is_ymm();
    let mut desc = dst as u64
        | (index_reg as u64) << 4
        | (mask as u64) << 8
        | u64::from(insn.memory_index_scale().trailing_zeros()) << 20;
    if wide {
        desc |= DESC_WIDE;
    }
    if size == 8 {
        desc |= DESC_QWORD;
    }
    if index_size == 8 {
        desc |= DESC_INDEX_Q;
    }
    if addr32 {
        desc |= DESC_ADDR32;
    }
    let desc = ctx.constant(desc);
    ctx.call_void(GATHER_HELPER, &[partial, seg_base, desc]);
    Ok(())
}

/// The 32 bytes of ymm `n` (xmm and upper half).
fn ymm_bytes(st: &X86State, n: usize) -> [u8; 32] {
    let mut out = [0u8; 32];
    let words = [st.xmm[n][0], st.xmm[n][1], st.ymm_hi[n][0], st.ymm_hi[n][1]];
    for (chunk, w) in out.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&w.to_le_bytes());
    }
    out
}

fn set_ymm_bytes(st: &mut X86State, n: usize, bytes: &[u8; 32]) {
    let w = |k: usize| u64::from_le_bytes(bytes[8 * k..8 * k + 8].try_into().expect("8 bytes"));
    st.xmm[n] = [w(0), w(1)];
    st.ymm_hi[n] = [w(2), w(3)];
}

/// Element `i` of `size` bytes of `bytes`, zero-extended.
fn element(bytes: &[u8; 32], i: usize, size: usize) -> u64 {
    let mut w = [0u8; 8];
    w[..size].copy_from_slice(&bytes[i * size..(i + 1) * size]);
    u64::from_le_bytes(w)
}

fn set_element(bytes: &mut [u8; 32], i: usize, size: usize, v: u64) {
    bytes[i * size..(i + 1) * size].copy_from_slice(&v.to_le_bytes()[..size]);
}

/// Reads `size` (1, 4 or 8) bytes at guest address `addr`.
///
/// # Safety
/// `addr` must be readable guest memory (identity-mapped), or a fault there is the guest's.
unsafe fn read(addr: u64, size: usize) -> u64 {
    // SAFETY: per the contract; guest accesses may be unaligned.
    unsafe {
        match size {
            1 => u64::from((addr as *const u8).read_volatile()),
            4 => u64::from((addr as *const u32).read_unaligned()),
            _ => (addr as *const u64).read_unaligned(),
        }
    }
}

/// Writes the low `size` (1, 4 or 8) bytes of `v` at guest address `addr`.
///
/// # Safety
/// `addr` must be writable guest memory (identity-mapped), or a fault there is the guest's.
unsafe fn write(addr: u64, size: usize, v: u64) {
    // SAFETY: per the contract; guest accesses may be unaligned.
    unsafe {
        match size {
            1 => (addr as *mut u8).write_volatile(v as u8),
            4 => (addr as *mut u32).write_unaligned(v as u32),
            _ => (addr as *mut u64).write_unaligned(v),
        }
    }
}

/// Faults as a store to the byte at guest address `addr` would, without changing it: an
/// atomic OR of a zero the compiler cannot see (it would lower a visible one to a plain
/// load), so a concurrent store of another thread to the byte is never lost.
///
/// # Safety
/// `addr` must be a byte the instruction writes next (identity-mapped), or a fault there
/// is the guest's.
unsafe fn probe_write(addr: u64) {
    // SAFETY: per the contract; an AtomicU8 has no alignment requirement.
    unsafe { (*(addr as *const AtomicU8)).fetch_or(std::hint::black_box(0), Ordering::Relaxed) };
}

/// The masked moves: `desc` names the data register (bits 0-3), the mask register (8-11)
/// and the form; `addr` is the memory operand's address.
pub extern "C" fn maskmov_helper(state: *mut u8, addr: u64, desc: u64, _: u64, _: u64) -> u64 {
    // SAFETY: translated code passes its live X86State.
    let st = unsafe { &mut *(state as *mut X86State) };
    let (data, mask) = (field(desc, 0), field(desc, 2));
    let size = if desc & DESC_BYTES != 0 {
        1
    } else if desc & DESC_QWORD != 0 {
        8
    } else {
        4
    };
    let bytes = if desc & DESC_WIDE != 0 { 32 } else { 16 };
    let m = ymm_bytes(st, mask);
    let enabled = |i: usize| m[(i + 1) * size - 1] & 0x80 != 0;
    if desc & DESC_STORE != 0 {
        let v = ymm_bytes(st, data);
        for i in (0..bytes / size).filter(|&i| enabled(i)) {
            let first = addr.wrapping_add((i * size) as u64);
            let last_page = first.wrapping_add(size as u64 - 1) & !0xfff;
            // SAFETY: as for the write below: bytes the instruction writes.
            unsafe { probe_write(first) };
            if last_page != first & !0xfff {
                // SAFETY: as above.
                unsafe { probe_write(last_page) };
            }
        }
        for i in (0..bytes / size).filter(|&i| enabled(i)) {
            // SAFETY: an enabled element is an access the instruction makes; a fault is the
            // guest's (the caller stored its address for the fault handler).
            unsafe { write(addr.wrapping_add((i * size) as u64), size, element(&v, i, size)) };
        }
    } else {
        let mut out = [0u8; 32];
        for i in (0..bytes / size).filter(|&i| enabled(i)) {
            // SAFETY: as for the store.
            let e = unsafe { read(addr.wrapping_add((i * size) as u64), size) };
            set_element(&mut out, i, size, e);
        }
        // VEX.128 zeroes bits 128..256: `out` is zero there.
        set_ymm_bytes(st, data, &out);
    }
    0
}

/// The gathers: `desc` names the destination (bits 0-3), index (4-7) and mask (8-11)
/// registers, log2 of the scale (20-21) and the form; `partial` is base + displacement and
/// `seg_base` the FS/GS base (or 0). As the SDM's operation: the mask elements are made all
/// ones or all zeros and the mask's bits above the elements cleared; then each enabled
/// element in order is loaded into the destination and its mask element cleared, the state
/// written before the next access, so that a fault leaves the elements before it completed
/// and the instruction restartable; at the end the whole mask is zero and the destination's
/// bits above the elements are zero.
pub extern "C" fn gather_helper(state: *mut u8, partial: u64, seg_base: u64, desc: u64, _: u64) -> u64 {
    // SAFETY: translated code passes its live X86State.
    let st = unsafe { &mut *(state as *mut X86State) };
    let (dst, index, mask) = (field(desc, 0), field(desc, 1), field(desc, 2));
    let scale = (desc >> 20) & 3;
    let size = if desc & DESC_QWORD != 0 { 8 } else { 4 };
    let index_size = if desc & DESC_INDEX_Q != 0 { 8 } else { 4 };
    let vl = if desc & DESC_WIDE != 0 { 32 } else { 16 };
    let n = vl / size.max(index_size);
    let idx = ymm_bytes(st, index);
    let mut m = ymm_bytes(st, mask);
    let mut d = ymm_bytes(st, dst);
    for i in 0..32 / size {
        let on = i < n && m[(i + 1) * size - 1] & 0x80 != 0;
        set_element(&mut m, i, size, if on { u64::MAX } else { 0 });
    }
    set_ymm_bytes(st, mask, &m);
    for i in 0..n {
        if m[(i + 1) * size - 1] & 0x80 != 0 {
            let raw = element(&idx, i, index_size);
            let offset = if index_size == 4 { raw as u32 as i32 as i64 as u64 } else { raw };
            let mut ea = partial.wrapping_add(offset << scale);
            if desc & DESC_ADDR32 != 0 {
                ea &= 0xffff_ffff;
            }
            // SAFETY: an enabled element is an access the instruction makes; a fault is the
            // guest's (the caller stored its address for the fault handler).
            let v = unsafe { read(ea.wrapping_add(seg_base), size) };
            set_element(&mut d, i, size, v);
            set_ymm_bytes(st, dst, &d);
        }
        set_element(&mut m, i, size, 0);
        set_ymm_bytes(st, mask, &m);
    }
    d[n * size..].fill(0);
    set_ymm_bytes(st, dst, &d);
    set_ymm_bytes(st, mask, &[0; 32]);
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A gather whose indices reach an element the mask disables never touches it; the mask
    /// ends zero and the destination's upper bits are cleared (vpgatherdd xmm, qd xmm).
    #[test]
    fn gather_skips_disabled_elements_and_clears_the_mask() {
        let data: Vec<u32> = (0..16).map(|i| 0x1000 + i).collect();
        let mut st = X86State::default();
        // Indices 3, 1, a huge one (disabled), 0.
        st.xmm[1] = [0x1_0000_0003, 0x4000_0000];
        st.xmm[2] = [0x8000_0000_8000_0000, 0xffff_ffff_0000_0000];
        st.xmm[0] = [0x5555_5555_5555_5555, 0x6666_6666_6666_6666];
        st.ymm_hi[0] = [7, 7];
        st.ymm_hi[2] = [9, 9];
        let desc = 1 << 4 | 2 << 8 | 2 << 20;
        gather_helper(&mut st as *mut X86State as *mut u8, data.as_ptr() as u64, 0, desc, 0);
        assert_eq!(st.xmm[0], [0x1001_0000_1003, 0x1000_6666_6666]);
        assert_eq!((st.ymm_hi[0], st.xmm[2], st.ymm_hi[2]), ([0, 0], [0, 0], [0, 0]));
        // vpgatherqd xmm0, [vm64x], xmm2: two elements, the upper 64 bits zeroed.
        st.xmm[1] = [5, 0xffff_ffff_ffff_ffff];
        st.xmm[2] = [0x8000_0000_8000_0000, 0x8000_0000_8000_0000];
        let desc = 1 << 4 | 2 << 8 | 2 << 20 | DESC_INDEX_Q;
        gather_helper(&mut st as *mut X86State as *mut u8, data.as_ptr() as u64 + 8, 0, desc, 0);
        assert_eq!(st.xmm[0], [0x1001_0000_1007, 0]);
    }
}
