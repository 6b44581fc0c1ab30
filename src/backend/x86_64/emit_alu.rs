//! Constants, two- and one-input arithmetic, extensions, comparisons and select.
//!
//! IR values are 64-bit with every result zero-extended from its op width (see
//! `crate::ir`). W8 and W16 ops are computed in 32-bit registers and then zero-extended with
//! `movzx`; W32 ops use 32-bit instructions, which zero the upper half on x86-64 by
//! themselves; W64 ops use 64-bit instructions. Inputs are not cleaned first where the low
//! result bits depend only on the low input bits (add, sub, logic, mul, shl); they are where
//! they do not (right shifts, divisions, high multiplies, bit counts).
//!
//! Operands: `a` in `rax`, `b` in `rcx` (so a shift count is in `cl`), result from `rax`.

use super::abi::{RAX, RCX};
use super::{Asm, Emitter};
use crate::ir::{BinOp, CmpOp, Temp, UnOp, Width};
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};

/// Zero-extends the low `w` bits of `rax` to all 64 bits.
pub(super) fn zext_rax(asm: &mut Asm, w: Width) {
    match w {
        Width::W8 => dynasm!(asm ; .arch x64 ; movzx eax, al),
        Width::W16 => dynasm!(asm ; .arch x64 ; movzx eax, ax),
        Width::W32 => dynasm!(asm ; .arch x64 ; mov eax, eax),
        Width::W64 => {}
    }
}

/// Sign-extends the low `w` bits of `rax` to all 64 bits.
fn sext_rax(asm: &mut Asm, w: Width) {
    match w {
        Width::W8 => dynasm!(asm ; .arch x64 ; movsx rax, al),
        Width::W16 => dynasm!(asm ; .arch x64 ; movsx rax, ax),
        Width::W32 => dynasm!(asm ; .arch x64 ; movsxd rax, eax),
        Width::W64 => {}
    }
}

/// Zero-extends the low `w` bits of `rcx` to all 64 bits.
fn zext_rcx(asm: &mut Asm, w: Width) {
    match w {
        Width::W8 => dynasm!(asm ; .arch x64 ; movzx ecx, cl),
        Width::W16 => dynasm!(asm ; .arch x64 ; movzx ecx, cx),
        Width::W32 => dynasm!(asm ; .arch x64 ; mov ecx, ecx),
        Width::W64 => {}
    }
}

/// Sign-extends the low `w` bits of `rcx` to all 64 bits.
fn sext_rcx(asm: &mut Asm, w: Width) {
    match w {
        Width::W8 => dynasm!(asm ; .arch x64 ; movsx rcx, cl),
        Width::W16 => dynasm!(asm ; .arch x64 ; movsx rcx, cx),
        Width::W32 => dynasm!(asm ; .arch x64 ; movsxd rcx, ecx),
        Width::W64 => {}
    }
}

/// `reg = value` in the shortest form.
pub(super) fn mov_imm(asm: &mut Asm, reg: u8, value: u64) {
    if value <= u32::MAX as u64 {
        // A 32-bit move zero-extends.
        dynasm!(asm ; .arch x64 ; mov Rd(reg), value as u32 as i32);
    } else if value as i64 == value as i32 as i64 {
        dynasm!(asm ; .arch x64 ; mov Rq(reg), value as i32);
    } else {
        dynasm!(asm ; .arch x64 ; mov Rq(reg), QWORD value as i64);
    }
}

pub(super) fn constant(e: &mut Emitter, dst: Temp, value: u64) {
    match e.loc(dst) {
        super::abi::HostLoc::Reg(r) => mov_imm(&mut e.asm, r, value),
        super::abi::HostLoc::Stack(d) if value as i64 == value as i32 as i64 => {
            dynasm!(e.asm ; .arch x64 ; mov QWORD [rsp + d], value as i32)
        }
        super::abi::HostLoc::Stack(_) => {
            mov_imm(&mut e.asm, RAX, value);
            e.store(dst, RAX);
        }
    }
}

pub(super) fn bin(e: &mut Emitter, op: BinOp, dst: Temp, a: Temp, b: Temp, w: Width) {
    e.load(RAX, a);
    e.load(RCX, b);
    let asm = &mut e.asm;
    let q = w == Width::W64;
    match op {
        BinOp::Add | BinOp::Sub | BinOp::And | BinOp::Or | BinOp::Xor | BinOp::Mul => {
            // Low result bits depend only on low input bits: compute at 32 or 64 bits.
            match (op, q) {
                (BinOp::Add, true) => dynasm!(asm ; .arch x64 ; add rax, rcx),
                (BinOp::Add, false) => dynasm!(asm ; .arch x64 ; add eax, ecx),
                (BinOp::Sub, true) => dynasm!(asm ; .arch x64 ; sub rax, rcx),
                (BinOp::Sub, false) => dynasm!(asm ; .arch x64 ; sub eax, ecx),
                (BinOp::And, true) => dynasm!(asm ; .arch x64 ; and rax, rcx),
                (BinOp::And, false) => dynasm!(asm ; .arch x64 ; and eax, ecx),
                (BinOp::Or, true) => dynasm!(asm ; .arch x64 ; or rax, rcx),
                (BinOp::Or, false) => dynasm!(asm ; .arch x64 ; or eax, ecx),
                (BinOp::Xor, true) => dynasm!(asm ; .arch x64 ; xor rax, rcx),
                (BinOp::Xor, false) => dynasm!(asm ; .arch x64 ; xor eax, ecx),
                (_, true) => dynasm!(asm ; .arch x64 ; imul rax, rcx),
                (_, false) => dynasm!(asm ; .arch x64 ; imul eax, ecx),
            }
            zext_rax(asm, w);
        }
        BinOp::Shl | BinOp::Lshr | BinOp::Ashr | BinOp::Rotr => shift(asm, op, w),
        BinOp::MulHiU | BinOp::MulHiS => mul_high(asm, op == BinOp::MulHiS, w),
        BinOp::DivU | BinOp::RemU => div_unsigned(asm, op == BinOp::RemU, w),
        BinOp::DivS | BinOp::RemS => div_signed(asm, op == BinOp::RemS, w),
    }
    e.store(dst, RAX);
}

/// Shifts and rotates of `rax` by `cl`. The IR count is `b mod width`. x86 masks the count
/// to 5 bits (6 for 64-bit operands), which is `mod width` for W32 and W64 only, so W8 and
/// W16 mask it explicitly (a W8 shift by 9 must shift by 1, where x86 would shift by 9).
fn shift(asm: &mut Asm, op: BinOp, w: Width) {
    match w {
        Width::W8 => dynasm!(asm ; .arch x64 ; and ecx, 7),
        Width::W16 => dynasm!(asm ; .arch x64 ; and ecx, 15),
        Width::W32 | Width::W64 => {}
    }
    match (op, w) {
        (BinOp::Shl, Width::W64) => dynasm!(asm ; .arch x64 ; shl rax, cl),
        (BinOp::Shl, _) => dynasm!(asm ; .arch x64 ; shl eax, cl),
        (BinOp::Lshr, Width::W64) => dynasm!(asm ; .arch x64 ; shr rax, cl),
        (BinOp::Lshr, _) => {
            // Bits above the width must not shift in.
            zext_rax(asm, w);
            dynasm!(asm ; .arch x64 ; shr eax, cl);
        }
        (BinOp::Ashr, Width::W64) => dynasm!(asm ; .arch x64 ; sar rax, cl),
        (BinOp::Ashr, _) => {
            // The width's sign bit must be what shifts in.
            sext_rax(asm, w);
            dynasm!(asm ; .arch x64 ; sar eax, cl);
        }
        // Rotates must run at the op width itself (a 32-bit rotate of a W8 value would bring
        // in the wrong bits).
        (_, Width::W8) => dynasm!(asm ; .arch x64 ; ror al, cl),
        (_, Width::W16) => dynasm!(asm ; .arch x64 ; ror ax, cl),
        (_, Width::W32) => dynasm!(asm ; .arch x64 ; ror eax, cl),
        (_, Width::W64) => dynasm!(asm ; .arch x64 ; ror rax, cl),
    }
    zext_rax(asm, w);
}

/// High half of the double-width product of `rax` and `rcx`.
fn mul_high(asm: &mut Asm, signed: bool, w: Width) {
    match w {
        Width::W64 => {
            // One-operand mul/imul: rdx:rax = rax * rcx.
            if signed {
                dynasm!(asm ; .arch x64 ; imul rcx ; mov rax, rdx);
            } else {
                dynasm!(asm ; .arch x64 ; mul rcx ; mov rax, rdx);
            }
        }
        _ => {
            // Extend both inputs to 64 bits; the 2w-bit product then fits in 64 bits (w <= 32)
            // and its high half is a shift away.
            if signed {
                sext_rax(asm, w);
                sext_rcx(asm, w);
            } else {
                zext_rax(asm, w);
                zext_rcx(asm, w);
            }
            let bits = w.bits() as i8;
            dynasm!(asm ; .arch x64 ; imul rax, rcx ; shr rax, bits);
            zext_rax(asm, w);
        }
    }
}

/// Unsigned `rax / rcx` or `rax % rcx`. The IR never traps: `a / 0 = 0`, `a % 0 = a`, so the
/// host `div` (which raises #DE on zero) is skipped for a zero divisor.
fn div_unsigned(asm: &mut Asm, rem: bool, w: Width) {
    zext_rax(asm, w);
    zext_rcx(asm, w);
    dynasm!(asm
        ; .arch x64
        ; test rcx, rcx
        ; jz >zero
        ; xor edx, edx
    );
    if w == Width::W64 {
        dynasm!(asm ; .arch x64 ; div rcx);
    } else {
        // Zero-extended W8/W16/W32 values divide exactly in 32 bits.
        dynasm!(asm ; .arch x64 ; div ecx);
    }
    if rem {
        dynasm!(asm ; .arch x64 ; mov rax, rdx);
    }
    dynasm!(asm ; .arch x64 ; jmp >done ; zero:);
    if !rem {
        dynasm!(asm ; .arch x64 ; xor eax, eax);
    }
    // (remainder by zero: rax still holds a)
    dynasm!(asm ; .arch x64 ; done:);
}

/// Signed `rax / rcx` or `rax % rcx`, truncating. The IR never traps: `a / 0 = 0`,
/// `a % 0 = a`, `MIN / -1 = MIN`, `MIN % -1 = 0`; the host `idiv` raises #DE on zero and on
/// MIN / -1, so both divisors are handled before it: for -1, `a / -1 = -a` (wrapping, which
/// gives MIN for MIN) and `a % -1 = 0` hold for every `a`.
fn div_signed(asm: &mut Asm, rem: bool, w: Width) {
    sext_rax(asm, w);
    sext_rcx(asm, w);
    dynasm!(asm
        ; .arch x64
        ; test rcx, rcx
        ; jz >zero
        ; cmp rcx, -1
        ; je >minus_one
    );
    if w == Width::W64 {
        dynasm!(asm ; .arch x64 ; cqo ; idiv rcx);
    } else {
        // Sign-extended W8/W16/W32 values divide exactly in 32 bits (MIN / -1 is handled
        // above, and W8/W16 quotients fit anyway).
        dynasm!(asm ; .arch x64 ; cdq ; idiv ecx);
    }
    if rem {
        dynasm!(asm ; .arch x64 ; mov rax, rdx);
    }
    dynasm!(asm ; .arch x64 ; jmp >done ; minus_one:);
    if rem {
        dynasm!(asm ; .arch x64 ; xor eax, eax);
    } else {
        dynasm!(asm ; .arch x64 ; neg rax);
    }
    dynasm!(asm ; .arch x64 ; jmp >done ; zero:);
    if !rem {
        dynasm!(asm ; .arch x64 ; xor eax, eax);
    }
    // (remainder by zero: rax still holds a)
    dynasm!(asm ; .arch x64 ; done:);
    zext_rax(asm, w);
}

pub(super) fn un(e: &mut Emitter, op: UnOp, dst: Temp, a: Temp, w: Width) {
    e.load(RAX, a);
    let features = e.features;
    let asm = &mut e.asm;
    let q = w == Width::W64;
    match op {
        UnOp::Not if q => dynasm!(asm ; .arch x64 ; not rax),
        UnOp::Not => dynasm!(asm ; .arch x64 ; not eax),
        UnOp::Neg if q => dynasm!(asm ; .arch x64 ; neg rax),
        UnOp::Neg => dynasm!(asm ; .arch x64 ; neg eax),
        UnOp::Clz => clz(asm, w, features.lzcnt),
        UnOp::Ctz => ctz(asm, w, features.tzcnt),
        UnOp::Popcnt => {
            zext_rax(asm, w);
            if features.popcnt {
                dynasm!(asm ; .arch x64 ; popcnt rax, rax);
            } else {
                popcount_swar(asm);
            }
        }
        UnOp::Bswap => match w {
            // W8: the identity (only the zero-extension below).
            Width::W8 => {}
            // There is no 16-bit bswap (its result is undefined): swap the two bytes by a
            // rotate.
            Width::W16 => dynasm!(asm ; .arch x64 ; rol ax, 8),
            Width::W32 => dynasm!(asm ; .arch x64 ; bswap eax),
            Width::W64 => dynasm!(asm ; .arch x64 ; bswap rax),
        },
        UnOp::Rbit => rbit(asm, w),
    }
    zext_rax(asm, w);
    e.store(dst, RAX);
}

/// Count leading zeros of the low `w` bits of `rax`; `w.bits()` for zero.
fn clz(asm: &mut Asm, w: Width, has_lzcnt: bool) {
    zext_rax(asm, w);
    if has_lzcnt {
        // lzcnt of zero is the operand size, as the IR wants; count in 64 bits, then remove
        // the 64 - w leading zeros the zero-extension added.
        dynasm!(asm ; .arch x64 ; lzcnt rax, rax);
        let above = 64 - w.bits() as i32;
        if above != 0 {
            dynasm!(asm ; .arch x64 ; sub eax, above);
        }
    } else {
        // bsr gives the index of the highest set bit and leaves its destination undefined
        // (ZF set) for zero: make that index -1, then clz = (w - 1) - index.
        let top = w.bits() as i32 - 1;
        dynasm!(asm
            ; .arch x64
            ; mov rcx, -1
            ; bsr rax, rax
            ; cmovz rax, rcx
            ; mov edx, top
            ; sub rdx, rax
            ; mov rax, rdx
        );
    }
}

/// Count trailing zeros of the low `w` bits of `rax`; `w.bits()` for zero.
fn ctz(asm: &mut Asm, w: Width, has_tzcnt: bool) {
    if w != Width::W64 {
        // Set bit `w` above the value: the count stops there when the value is zero, which
        // gives `w` without a branch, for tzcnt and bsf alike.
        zext_rax(asm, w);
        let bit = w.bits() as i8;
        dynasm!(asm ; .arch x64 ; bts rax, BYTE bit);
        if has_tzcnt {
            dynasm!(asm ; .arch x64 ; tzcnt rax, rax);
        } else {
            dynasm!(asm ; .arch x64 ; bsf rax, rax);
        }
    } else if has_tzcnt {
        dynasm!(asm ; .arch x64 ; tzcnt rax, rax);
    } else {
        // bsf leaves its destination undefined (ZF set) for zero.
        dynasm!(asm ; .arch x64 ; mov ecx, 64 ; bsf rax, rax ; cmovz rax, rcx);
    }
}

/// Population count of `rax` without the popcnt instruction: sums of bits in 2-, 4- and
/// 8-bit fields, then the byte sums added by one multiply into the top byte.
fn popcount_swar(asm: &mut Asm) {
    dynasm!(asm
        ; .arch x64
        ; mov rcx, rax
        ; shr rcx, 1
        ; mov rdx, QWORD 0x5555_5555_5555_5555
        ; and rcx, rdx
        ; sub rax, rcx
        ; mov rdx, QWORD 0x3333_3333_3333_3333
        ; mov rcx, rax
        ; shr rcx, 2
        ; and rax, rdx
        ; and rcx, rdx
        ; add rax, rcx
        ; mov rcx, rax
        ; shr rcx, 4
        ; add rax, rcx
        ; mov rdx, QWORD 0x0f0f_0f0f_0f0f_0f0f
        ; and rax, rdx
        ; mov rdx, QWORD 0x0101_0101_0101_0101
        ; imul rax, rdx
        ; shr rax, 56
    );
}

/// Reverses the low `w` bits of `rax`: reverse all 64 bits (bytes by bswap, then nibbles,
/// bit pairs and bits by masked swaps), then shift the reversed low `w` bits down from the
/// top. Bits above `w` in the input end up below and are shifted out.
fn rbit(asm: &mut Asm, w: Width) {
    dynasm!(asm ; .arch x64 ; bswap rax);
    for (shift, mask) in
        [(4i8, 0x0f0f_0f0f_0f0f_0f0fu64), (2, 0x3333_3333_3333_3333), (1, 0x5555_5555_5555_5555)]
    {
        dynasm!(asm
            ; .arch x64
            ; mov rdx, QWORD mask as i64
            ; mov rcx, rax
            ; shr rcx, shift
            ; and rcx, rdx
            ; and rax, rdx
            ; shl rax, shift
            ; or rax, rcx
        );
    }
    if w != Width::W64 {
        let down = 64 - w.bits() as i8;
        dynasm!(asm ; .arch x64 ; shr rax, down);
    }
}

pub(super) fn ext(e: &mut Emitter, dst: Temp, a: Temp, from: Width, signed: bool) {
    e.load(RAX, a);
    if signed {
        sext_rax(&mut e.asm, from);
    } else {
        zext_rax(&mut e.asm, from);
    }
    e.store(dst, RAX);
}

pub(super) fn cmp(e: &mut Emitter, op: CmpOp, dst: Temp, a: Temp, b: Temp, w: Width) {
    e.load(RAX, a);
    e.load(RCX, b);
    let asm = &mut e.asm;
    // Compare at the op width itself, so the host flags are those of the width's values.
    match w {
        Width::W8 => dynasm!(asm ; .arch x64 ; cmp al, cl),
        Width::W16 => dynasm!(asm ; .arch x64 ; cmp ax, cx),
        Width::W32 => dynasm!(asm ; .arch x64 ; cmp eax, ecx),
        Width::W64 => dynasm!(asm ; .arch x64 ; cmp rax, rcx),
    }
    match op {
        CmpOp::Eq => dynasm!(asm ; .arch x64 ; sete al),
        CmpOp::Ne => dynasm!(asm ; .arch x64 ; setne al),
        CmpOp::Ult => dynasm!(asm ; .arch x64 ; setb al),
        CmpOp::Ule => dynasm!(asm ; .arch x64 ; setbe al),
        CmpOp::Ugt => dynasm!(asm ; .arch x64 ; seta al),
        CmpOp::Uge => dynasm!(asm ; .arch x64 ; setae al),
        CmpOp::Slt => dynasm!(asm ; .arch x64 ; setl al),
        CmpOp::Sle => dynasm!(asm ; .arch x64 ; setle al),
        CmpOp::Sgt => dynasm!(asm ; .arch x64 ; setg al),
        CmpOp::Sge => dynasm!(asm ; .arch x64 ; setge al),
    }
    dynasm!(asm ; .arch x64 ; movzx eax, al);
    e.store(dst, RAX);
}

pub(super) fn select(e: &mut Emitter, dst: Temp, cond: Temp, if_true: Temp, if_false: Temp) {
    e.load(RAX, cond);
    dynasm!(e.asm ; .arch x64 ; test rax, rax);
    // Plain moves keep the flags of the test.
    e.load(RCX, if_true);
    e.load(RAX, if_false);
    dynasm!(e.asm ; .arch x64 ; cmovnz rax, rcx);
    e.store(dst, RAX);
}
