//! Guest state fields (`[r15 + offset]`), guest memory (identity-mapped: the guest address is
//! the host address), atomics and fences.
//!
//! x86-64 loads and stores may be unaligned and are little-endian, exactly what the IR asks
//! for. Every `lock`-prefixed instruction and `xchg` with memory is a full barrier on x86, so
//! the IR's sequentially consistent atomics need no extra fences.
//!
//! Memory orders: x86 keeps loads in order and stores in order (TSO), so `Acquire`,
//! `Release` and `SeqCst` loads and `Release` stores are plain `mov`s. The one reordering x86
//! makes is a store passing a later load; a `SeqCst` store (A64 STLR) must not pass a later
//! `SeqCst` load (LDAR), so it is followed by `mfence` (the C++11 mapping of a seq_cst store).

use super::abi::{RAX, RCX, RDX, RSI};
use super::emit_alu::{mov_imm, zext_rax};
use super::{Asm, Emitter, Operand};
use crate::ir::{MemOrder, RmwOp, Temp, Width};
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};

pub(super) fn load_state(e: &mut Emitter, dst: Temp, offset: u32, w: Width) {
    let off = offset as i32;
    let d = e.dst_reg(dst, RAX);
    let asm = &mut e.asm;
    // movzx / a 32-bit mov zero-extend, as the IR wants.
    match w {
        Width::W8 => dynasm!(asm ; .arch x64 ; movzx Rd(d), BYTE [r15 + off]),
        Width::W16 => dynasm!(asm ; .arch x64 ; movzx Rd(d), WORD [r15 + off]),
        Width::W32 => dynasm!(asm ; .arch x64 ; mov Rd(d), DWORD [r15 + off]),
        Width::W64 => dynasm!(asm ; .arch x64 ; mov Rq(d), QWORD [r15 + off]),
    }
    e.store(dst, d);
}

pub(super) fn store_state(e: &mut Emitter, offset: u32, src: Temp, w: Width) {
    let off = offset as i32;
    if let Operand::Imm(v) = e.operand(src) {
        let asm = &mut e.asm;
        match w {
            Width::W8 => dynasm!(asm ; .arch x64 ; mov BYTE [r15 + off], v as i8),
            Width::W16 => dynasm!(asm ; .arch x64 ; mov WORD [r15 + off], v as i16),
            Width::W32 => dynasm!(asm ; .arch x64 ; mov DWORD [r15 + off], v as u32 as i32),
            Width::W64 if v as i64 == v as i32 as i64 => {
                dynasm!(asm ; .arch x64 ; mov QWORD [r15 + off], v as i32)
            }
            Width::W64 => {
                mov_imm(asm, RAX, v);
                dynasm!(asm ; .arch x64 ; mov QWORD [r15 + off], rax);
            }
        }
        return;
    }
    let r = e.src_reg(src, RAX);
    let asm = &mut e.asm;
    match w {
        Width::W8 => dynasm!(asm ; .arch x64 ; mov BYTE [r15 + off], Rb(r)),
        Width::W16 => dynasm!(asm ; .arch x64 ; mov WORD [r15 + off], Rw(r)),
        Width::W32 => dynasm!(asm ; .arch x64 ; mov DWORD [r15 + off], Rd(r)),
        Width::W64 => dynasm!(asm ; .arch x64 ; mov QWORD [r15 + off], Rq(r)),
    }
}

pub(super) fn load(e: &mut Emitter, dst: Temp, addr: Temp, w: Width) {
    let a = e.src_reg(addr, RCX);
    let d = e.dst_reg(dst, RAX);
    let asm = &mut e.asm;
    match w {
        Width::W8 => dynasm!(asm ; .arch x64 ; movzx Rd(d), BYTE [Rq(a)]),
        Width::W16 => dynasm!(asm ; .arch x64 ; movzx Rd(d), WORD [Rq(a)]),
        Width::W32 => dynasm!(asm ; .arch x64 ; mov Rd(d), DWORD [Rq(a)]),
        Width::W64 => dynasm!(asm ; .arch x64 ; mov Rq(d), QWORD [Rq(a)]),
    }
    e.store(dst, d);
}

pub(super) fn store(e: &mut Emitter, addr: Temp, src: Temp, w: Width, order: MemOrder) {
    store_plain(e, addr, src, w);
    if order == MemOrder::SeqCst {
        fence(e);
    }
}

fn store_plain(e: &mut Emitter, addr: Temp, src: Temp, w: Width) {
    let a = e.src_reg(addr, RCX);
    if let Operand::Imm(v) = e.operand(src) {
        let asm = &mut e.asm;
        match w {
            Width::W8 => dynasm!(asm ; .arch x64 ; mov BYTE [Rq(a)], v as i8),
            Width::W16 => dynasm!(asm ; .arch x64 ; mov WORD [Rq(a)], v as i16),
            Width::W32 => dynasm!(asm ; .arch x64 ; mov DWORD [Rq(a)], v as u32 as i32),
            Width::W64 if v as i64 == v as i32 as i64 => {
                dynasm!(asm ; .arch x64 ; mov QWORD [Rq(a)], v as i32)
            }
            Width::W64 => {
                mov_imm(asm, RAX, v);
                dynasm!(asm ; .arch x64 ; mov QWORD [Rq(a)], rax);
            }
        }
        return;
    }
    let r = e.src_reg(src, RAX);
    let asm = &mut e.asm;
    match w {
        Width::W8 => dynasm!(asm ; .arch x64 ; mov BYTE [Rq(a)], Rb(r)),
        Width::W16 => dynasm!(asm ; .arch x64 ; mov WORD [Rq(a)], Rw(r)),
        Width::W32 => dynasm!(asm ; .arch x64 ; mov DWORD [Rq(a)], Rd(r)),
        Width::W64 => dynasm!(asm ; .arch x64 ; mov QWORD [Rq(a)], Rq(r)),
    }
}

/// `lock cmpxchg [rcx], <rdx at width>`: compares with `rax` at the width, on a mismatch
/// loads the current value into `al`/`ax`/`eax`/`rax` (the bits of `rax` above a W8/W16
/// width are left as they were: callers look only at the low bits and zero-extend at the end).
fn lock_cmpxchg_rcx_rdx(asm: &mut Asm, w: Width) {
    match w {
        Width::W8 => dynasm!(asm ; .arch x64 ; lock cmpxchg BYTE [rcx], dl),
        Width::W16 => dynasm!(asm ; .arch x64 ; lock cmpxchg WORD [rcx], dx),
        Width::W32 => dynasm!(asm ; .arch x64 ; lock cmpxchg DWORD [rcx], edx),
        Width::W64 => dynasm!(asm ; .arch x64 ; lock cmpxchg QWORD [rcx], rdx),
    }
}

/// Extends the low `w` bits of `reg` (rdx or rsi) to 64 bits for a min/max comparison.
fn extend_for_compare(asm: &mut Asm, reg_is_rsi: bool, w: Width, signed: bool) {
    match (reg_is_rsi, w, signed) {
        (_, Width::W64, _) => {}
        (false, Width::W8, true) => dynasm!(asm ; .arch x64 ; movsx rdx, dl),
        (false, Width::W8, false) => dynasm!(asm ; .arch x64 ; movzx edx, dl),
        (false, Width::W16, true) => dynasm!(asm ; .arch x64 ; movsx rdx, dx),
        (false, Width::W16, false) => dynasm!(asm ; .arch x64 ; movzx edx, dx),
        (false, Width::W32, true) => dynasm!(asm ; .arch x64 ; movsxd rdx, edx),
        (false, Width::W32, false) => dynasm!(asm ; .arch x64 ; mov edx, edx),
        (true, Width::W8, true) => dynasm!(asm ; .arch x64 ; movsx rsi, sil),
        (true, Width::W8, false) => dynasm!(asm ; .arch x64 ; movzx esi, sil),
        (true, Width::W16, true) => dynasm!(asm ; .arch x64 ; movsx rsi, si),
        (true, Width::W16, false) => dynasm!(asm ; .arch x64 ; movzx esi, si),
        (true, Width::W32, true) => dynasm!(asm ; .arch x64 ; movsxd rsi, esi),
        (true, Width::W32, false) => dynasm!(asm ; .arch x64 ; mov esi, esi),
    }
}

pub(super) fn atomic_rmw(e: &mut Emitter, op: RmwOp, dst: Temp, addr: Temp, src: Temp, w: Width) {
    e.load(RCX, addr);
    match op {
        RmwOp::Xchg | RmwOp::Add => {
            e.load(RAX, src);
            let asm = &mut e.asm;
            // xchg with a memory operand is locked without the prefix.
            match (op, w) {
                (RmwOp::Xchg, Width::W8) => dynasm!(asm ; .arch x64 ; xchg BYTE [rcx], al),
                (RmwOp::Xchg, Width::W16) => dynasm!(asm ; .arch x64 ; xchg WORD [rcx], ax),
                (RmwOp::Xchg, Width::W32) => dynasm!(asm ; .arch x64 ; xchg DWORD [rcx], eax),
                (RmwOp::Xchg, Width::W64) => dynasm!(asm ; .arch x64 ; xchg QWORD [rcx], rax),
                (_, Width::W8) => dynasm!(asm ; .arch x64 ; lock xadd BYTE [rcx], al),
                (_, Width::W16) => dynasm!(asm ; .arch x64 ; lock xadd WORD [rcx], ax),
                (_, Width::W32) => dynasm!(asm ; .arch x64 ; lock xadd DWORD [rcx], eax),
                (_, Width::W64) => dynasm!(asm ; .arch x64 ; lock xadd QWORD [rcx], rax),
            }
        }
        _ => {
            // No single x86 instruction returns the old value for these: a compare-exchange
            // loop. rax = the value seen, rdx = the value to store, rsi = the operand.
            e.load(RSI, src);
            let asm = &mut e.asm;
            let minmax_signed = match op {
                RmwOp::SMax | RmwOp::SMin => Some(true),
                RmwOp::UMax | RmwOp::UMin => Some(false),
                _ => None,
            };
            if let Some(signed) = minmax_signed {
                extend_for_compare(asm, true, w, signed);
            }
            match w {
                Width::W8 => dynasm!(asm ; .arch x64 ; movzx eax, BYTE [rcx]),
                Width::W16 => dynasm!(asm ; .arch x64 ; movzx eax, WORD [rcx]),
                Width::W32 => dynasm!(asm ; .arch x64 ; mov eax, DWORD [rcx]),
                Width::W64 => dynasm!(asm ; .arch x64 ; mov rax, QWORD [rcx]),
            }
            dynasm!(asm ; .arch x64 ; retry: ; mov rdx, rax);
            match op {
                RmwOp::And => dynasm!(asm ; .arch x64 ; and rdx, rsi),
                RmwOp::Or => dynasm!(asm ; .arch x64 ; or rdx, rsi),
                RmwOp::Xor => dynasm!(asm ; .arch x64 ; xor rdx, rsi),
                RmwOp::AndNot => dynasm!(asm ; .arch x64 ; mov rdx, rsi ; not rdx ; and rdx, rax),
                _ => {
                    // Compare the extended old value with the extended operand; take the
                    // operand when it wins.
                    extend_for_compare(asm, false, w, minmax_signed == Some(true));
                    dynasm!(asm ; .arch x64 ; cmp rdx, rsi);
                    match op {
                        RmwOp::SMax => dynasm!(asm ; .arch x64 ; cmovl rdx, rsi),
                        RmwOp::SMin => dynasm!(asm ; .arch x64 ; cmovg rdx, rsi),
                        RmwOp::UMax => dynasm!(asm ; .arch x64 ; cmovb rdx, rsi),
                        _ => dynasm!(asm ; .arch x64 ; cmova rdx, rsi),
                    }
                }
            }
            lock_cmpxchg_rcx_rdx(asm, w);
            dynasm!(asm ; .arch x64 ; jnz <retry);
        }
    }
    zext_rax(&mut e.asm, w);
    e.store(dst, RAX);
}

pub(super) fn compare_exchange(e: &mut Emitter, dst: Temp, addr: Temp, expected: Temp, new: Temp, w: Width) {
    e.load(RCX, addr);
    e.load(RAX, expected);
    e.load(RDX, new);
    lock_cmpxchg_rcx_rdx(&mut e.asm, w);
    // On success rax still holds `expected`, whose bits above the width may be anything.
    zext_rax(&mut e.asm, w);
    e.store(dst, RAX);
}

/// `Op::ProbeWrite`: when the range crosses a 4 KiB boundary, `lock or byte [addr], 0`, then
/// the same on the next page's first byte; a compare and a branch otherwise.
pub(super) fn probe_write(e: &mut Emitter, addr: Temp, len: u8) {
    let a = e.src_reg(addr, RCX);
    let (limit, last) = (0x1000 - len as i32, len as i32 - 1);
    let asm = &mut e.asm;
    dynasm!(asm
        ; .arch x64
        ; mov eax, Rd(a)
        ; and eax, 0xfff
        ; cmp eax, limit
        ; jbe >done
        ; lock or BYTE [Rq(a)], 0
        ; lea rax, [Rq(a) + last]
        ; and rax, -0x1000
        ; lock or BYTE [rax], 0
        ; done:
    );
}

pub(super) fn fence(e: &mut Emitter) {
    dynasm!(e.asm ; .arch x64 ; mfence);
}
