//! Constants, two- and one-input arithmetic, extensions, comparisons and select.
//!
//! IR values are 64-bit with every result zero-extended from its op width (see
//! `crate::ir`). W8 and W16 ops are computed in 32-bit registers and then zero-extended with
//! `movzx`; W32 ops use 32-bit instructions, which zero the upper half on x86-64 by
//! themselves; W64 ops use 64-bit instructions. Inputs are not cleaned first where the low
//! result bits depend only on the low input bits (add, sub, logic, mul, shl); they are where
//! they do not (right shifts, divisions, high multiplies, bit counts).
//!
//! Registers: the common ops (add, sub, logic, mul, shifts, comparisons, extensions, select)
//! compute straight in the destination's home register and read a source from its home
//! register or spill slot; the rarer ones (high multiplies, divisions, bit counts) copy `a` to
//! `rax` and `b` to `rcx` and compute there. A shift count is always in `cl`.

use super::abi::{RAX, RCX};
use super::Operand;
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

/// Zero-extends the low `w` bits of `reg` to all 64 bits.
pub(super) fn zext_reg(asm: &mut Asm, w: Width, reg: u8) {
    match w {
        Width::W8 => dynasm!(asm ; .arch x64 ; movzx Rd(reg), Rb(reg)),
        Width::W16 => dynasm!(asm ; .arch x64 ; movzx Rd(reg), Rw(reg)),
        Width::W32 => dynasm!(asm ; .arch x64 ; mov Rd(reg), Rd(reg)),
        Width::W64 => {}
    }
}

/// Sign-extends the low `w` bits of `reg` to 32 bits (for W8/W16 work in 32-bit registers).
fn sext_reg_to_32(asm: &mut Asm, w: Width, reg: u8) {
    match w {
        Width::W8 => dynasm!(asm ; .arch x64 ; movsx Rd(reg), Rb(reg)),
        Width::W16 => dynasm!(asm ; .arch x64 ; movsx Rd(reg), Rw(reg)),
        Width::W32 | Width::W64 => {}
    }
}

/// Whether `v` survives as a sign-extended 32-bit immediate of a 64-bit instruction.
fn fits_i32(v: u64) -> bool {
    v as i64 == v as i32 as i64
}

/// Whether `v` survives as a sign-extended 8-bit immediate of a 64-bit instruction.
fn fits_i8(v: u64) -> bool {
    v as i64 == v as i8 as i64
}

/// `op dst, src` at 64 bits (`q`) or 32 bits; `src` a register, a spill slot or an
/// immediate. A 32-bit op reads only the low 32 bits of an immediate, so any value fits; a
/// 64-bit one sign-extends a 32-bit immediate, so larger values go through `rcx`.
macro_rules! alu_rm {
    ($asm:expr, $mnemonic:ident, $q:expr, $dst:expr, $src:expr) => {
        match ($q, $src) {
            (true, Operand::Reg(r)) => dynasm!($asm ; .arch x64 ; $mnemonic Rq($dst), Rq(r)),
            (false, Operand::Reg(r)) => dynasm!($asm ; .arch x64 ; $mnemonic Rd($dst), Rd(r)),
            (true, Operand::Stack(d)) => {
                dynasm!($asm ; .arch x64 ; $mnemonic Rq($dst), QWORD [rsp + d])
            }
            (false, Operand::Stack(d)) => {
                dynasm!($asm ; .arch x64 ; $mnemonic Rd($dst), DWORD [rsp + d])
            }
            // The sign-extended imm8 forms are 3 bytes shorter.
            (true, Operand::Imm(v)) if fits_i8(v) => {
                dynasm!($asm ; .arch x64 ; $mnemonic Rq($dst), BYTE v as i8)
            }
            (false, Operand::Imm(v)) if fits_i8(v as u32 as i32 as i64 as u64) => {
                dynasm!($asm ; .arch x64 ; $mnemonic Rd($dst), BYTE v as i8)
            }
            (true, Operand::Imm(v)) if fits_i32(v) => {
                dynasm!($asm ; .arch x64 ; $mnemonic Rq($dst), v as i32)
            }
            (true, Operand::Imm(v)) => {
                mov_imm($asm, RCX, v);
                dynasm!($asm ; .arch x64 ; $mnemonic Rq($dst), rcx)
            }
            (false, Operand::Imm(v)) => {
                dynasm!($asm ; .arch x64 ; $mnemonic Rd($dst), v as u32 as i32)
            }
        }
    };
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
    let q = w == Width::W64;
    match op {
        // An add whose flags are read (`eflags`) must be an `add`.
        BinOp::Add if !e.flags.sets(dst) && add_as_lea(e, op, dst, a, b, w) => {}
        BinOp::Add | BinOp::Sub | BinOp::And | BinOp::Or | BinOp::Xor | BinOp::Mul => {
            // Low result bits depend only on low input bits: compute at 32 or 64 bits, in the
            // destination's register. A commutative op whose destination took `b`'s register
            // (`x86_64::reusable_source`) reads its operands the other way round.
            let (a, b) = if op != BinOp::Sub && a != b && e.operand(b) == Operand::Reg(e.dst_reg(dst, RAX)) {
                (b, a)
            } else {
                (a, b)
            };
            let d = e.dst_reg(dst, RAX);
            e.load(d, a);
            let src = e.operand(b);
            let asm = &mut e.asm;
            match (op, src) {
                (BinOp::Add, _) => alu_rm!(asm, add, q, d, src),
                (BinOp::Sub, _) => alu_rm!(asm, sub, q, d, src),
                (BinOp::And, _) => alu_rm!(asm, and, q, d, src),
                (BinOp::Or, _) => alu_rm!(asm, or, q, d, src),
                (BinOp::Xor, _) => alu_rm!(asm, xor, q, d, src),
                // imul's immediate form has three operands.
                (_, Operand::Imm(v)) if q && fits_i32(v) => {
                    dynasm!(asm ; .arch x64 ; imul Rq(d), Rq(d), v as i32)
                }
                (_, Operand::Imm(v)) if !q => {
                    dynasm!(asm ; .arch x64 ; imul Rd(d), Rd(d), v as u32 as i32)
                }
                (_, Operand::Imm(v)) => {
                    mov_imm(asm, RCX, v);
                    dynasm!(asm ; .arch x64 ; imul Rq(d), rcx)
                }
                (_, Operand::Reg(r)) if q => dynasm!(asm ; .arch x64 ; imul Rq(d), Rq(r)),
                (_, Operand::Reg(r)) => dynasm!(asm ; .arch x64 ; imul Rd(d), Rd(r)),
                (_, Operand::Stack(s)) if q => {
                    dynasm!(asm ; .arch x64 ; imul Rq(d), QWORD [rsp + s])
                }
                (_, Operand::Stack(s)) => dynasm!(asm ; .arch x64 ; imul Rd(d), DWORD [rsp + s]),
            }
            // An `and` with a constant inside the width already cleared the bits above it.
            let zero_extended = matches!((op, src), (BinOp::And, Operand::Imm(v)) if v & !w.mask() == 0);
            if matches!(w, Width::W8 | Width::W16) && !zero_extended {
                zext_reg(asm, w, d);
            }
            e.store(dst, d);
        }
        BinOp::Shl | BinOp::Lshr | BinOp::Ashr | BinOp::Rotr => {
            let count = match e.operand(b) {
                // The IR count is `b mod width`; every width is a power of two.
                Operand::Imm(v) => Some((v % w.bits() as u64) as i8),
                _ => {
                    e.load(RCX, b);
                    None
                }
            };
            let d = e.dst_reg(dst, RAX);
            e.load(d, a);
            shift(&mut e.asm, op, w, d, count);
            e.store(dst, d);
        }
        _ => {
            e.load(RAX, a);
            e.load(RCX, b);
            let asm = &mut e.asm;
            match op {
                BinOp::MulHiU | BinOp::MulHiS => mul_high(asm, op == BinOp::MulHiS, w),
                BinOp::DivU | BinOp::RemU => div_unsigned(asm, op == BinOp::RemU, w),
                _ => div_signed(asm, op == BinOp::RemS, w),
            }
            e.store(dst, RAX);
        }
    }
}

/// `dst = a + b` as one `lea` (three operands, so no copy of `a` first) when both are in
/// registers; returns false (emitting nothing) otherwise. A 32-bit `lea` zero-extends like any
/// 32-bit result. (With an immediate, `mov` + `add r, imm8` is shorter than the `lea` with
/// a 32-bit displacement that dynasm emits for a displacement known only at run time.)
fn add_as_lea(e: &mut Emitter, op: BinOp, dst: Temp, a: Temp, b: Temp, w: Width) -> bool {
    let (BinOp::Add, Operand::Reg(ra), Operand::Reg(rb)) = (op, e.operand(a), e.operand(b)) else {
        return false;
    };
    let d = e.dst_reg(dst, RAX);
    let asm = &mut e.asm;
    if w == Width::W64 {
        dynasm!(asm ; .arch x64 ; lea Rq(d), [Rq(ra) + Rq(rb)]);
    } else {
        dynasm!(asm ; .arch x64 ; lea Rd(d), [Rq(ra) + Rq(rb)]);
    }
    if matches!(w, Width::W8 | Width::W16) {
        zext_reg(asm, w, d);
    }
    e.store(dst, d);
    true
}

/// Shifts and rotates of `reg` by the constant `count` (already `mod width`) or else by `cl`.
/// The IR count is `b mod width`. x86 masks a count to 5 bits (6 for 64-bit operands), which
/// is `mod width` for W32 and W64 only, so W8 and W16 mask `cl` explicitly (a W8 shift by 9
/// must shift by 1, where x86 would shift by 9).
fn shift(asm: &mut Asm, op: BinOp, w: Width, reg: u8, count: Option<i8>) {
    if count.is_none() {
        match w {
            Width::W8 => dynasm!(asm ; .arch x64 ; and ecx, 7),
            Width::W16 => dynasm!(asm ; .arch x64 ; and ecx, 15),
            Width::W32 | Width::W64 => {}
        }
    }
    // Prepare the value for the 32-bit right shifts of W8/W16.
    match (op, w) {
        // Bits above the width must not shift in.
        (BinOp::Lshr, Width::W8 | Width::W16) => zext_reg(asm, w, reg),
        // The width's sign bit must be what shifts in.
        (BinOp::Ashr, Width::W8 | Width::W16) => sext_reg_to_32(asm, w, reg),
        _ => {}
    }
    let q = w == Width::W64;
    match (op, w, count) {
        // A shift by zero is the identity (only the zero-extension below).
        (_, _, Some(0)) => {}
        (BinOp::Shl, _, Some(c)) if q => dynasm!(asm ; .arch x64 ; shl Rq(reg), c),
        (BinOp::Shl, _, Some(c)) => dynasm!(asm ; .arch x64 ; shl Rd(reg), c),
        (BinOp::Shl, _, None) if q => dynasm!(asm ; .arch x64 ; shl Rq(reg), cl),
        (BinOp::Shl, _, None) => dynasm!(asm ; .arch x64 ; shl Rd(reg), cl),
        (BinOp::Lshr, _, Some(c)) if q => dynasm!(asm ; .arch x64 ; shr Rq(reg), c),
        (BinOp::Lshr, _, Some(c)) => dynasm!(asm ; .arch x64 ; shr Rd(reg), c),
        (BinOp::Lshr, _, None) if q => dynasm!(asm ; .arch x64 ; shr Rq(reg), cl),
        (BinOp::Lshr, _, None) => dynasm!(asm ; .arch x64 ; shr Rd(reg), cl),
        (BinOp::Ashr, _, Some(c)) if q => dynasm!(asm ; .arch x64 ; sar Rq(reg), c),
        (BinOp::Ashr, _, Some(c)) => dynasm!(asm ; .arch x64 ; sar Rd(reg), c),
        (BinOp::Ashr, _, None) if q => dynasm!(asm ; .arch x64 ; sar Rq(reg), cl),
        (BinOp::Ashr, _, None) => dynasm!(asm ; .arch x64 ; sar Rd(reg), cl),
        // Rotates must run at the op width itself (a 32-bit rotate of a W8 value would bring
        // in the wrong bits).
        (_, Width::W8, Some(c)) => dynasm!(asm ; .arch x64 ; ror Rb(reg), c),
        (_, Width::W16, Some(c)) => dynasm!(asm ; .arch x64 ; ror Rw(reg), c),
        (_, Width::W32, Some(c)) => dynasm!(asm ; .arch x64 ; ror Rd(reg), c),
        (_, Width::W64, Some(c)) => dynasm!(asm ; .arch x64 ; ror Rq(reg), c),
        (_, Width::W8, None) => dynasm!(asm ; .arch x64 ; ror Rb(reg), cl),
        (_, Width::W16, None) => dynasm!(asm ; .arch x64 ; ror Rw(reg), cl),
        (_, Width::W32, None) => dynasm!(asm ; .arch x64 ; ror Rd(reg), cl),
        (_, Width::W64, None) => dynasm!(asm ; .arch x64 ; ror Rq(reg), cl),
    }
    // Zero-extend W8/W16 results, and W32 ones shifted by `cl` or by zero: a 32-bit shift by
    // a count of zero in `cl` (or the identity above) leaves the register unwritten, upper
    // half included; by a nonzero constant it writes all 64 bits (upper half zero).
    if !(w == Width::W32 && matches!(count, Some(c) if c != 0)) {
        zext_reg(asm, w, reg);
    }
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
    if matches!(op, UnOp::Not | UnOp::Neg) && matches!(w, Width::W32 | Width::W64) {
        // In the destination's register; a 32-bit result clears the upper half itself.
        let d = e.dst_reg(dst, RAX);
        e.load(d, a);
        let asm = &mut e.asm;
        match (op, w) {
            (UnOp::Not, Width::W64) => dynasm!(asm ; .arch x64 ; not Rq(d)),
            (UnOp::Not, _) => dynasm!(asm ; .arch x64 ; not Rd(d)),
            (_, Width::W64) => dynasm!(asm ; .arch x64 ; neg Rq(d)),
            _ => dynasm!(asm ; .arch x64 ; neg Rd(d)),
        }
        e.store(dst, d);
        return;
    }
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
    let src = e.src_reg(a, RAX);
    let d = e.dst_reg(dst, RAX);
    let asm = &mut e.asm;
    match (from, signed) {
        (Width::W8, false) => dynasm!(asm ; .arch x64 ; movzx Rd(d), Rb(src)),
        (Width::W16, false) => dynasm!(asm ; .arch x64 ; movzx Rd(d), Rw(src)),
        (Width::W32, false) => dynasm!(asm ; .arch x64 ; mov Rd(d), Rd(src)),
        (Width::W8, true) => dynasm!(asm ; .arch x64 ; movsx Rq(d), Rb(src)),
        (Width::W16, true) => dynasm!(asm ; .arch x64 ; movsx Rq(d), Rw(src)),
        (Width::W32, true) => dynasm!(asm ; .arch x64 ; movsxd Rq(d), Rd(src)),
        (Width::W64, _) => {
            if d != src {
                dynasm!(asm ; .arch x64 ; mov Rq(d), Rq(src));
            }
        }
    }
    e.store(dst, d);
}

pub(super) fn cmp(e: &mut Emitter, op: CmpOp, dst: Temp, a: Temp, b: Temp, w: Width) {
    let ra = e.src_reg(a, RAX);
    let src = e.operand(b);
    let asm = &mut e.asm;
    // Compare at the op width itself, so the host flags are those of the width's values.
    match (w, src) {
        (Width::W8, Operand::Reg(r)) => dynasm!(asm ; .arch x64 ; cmp Rb(ra), Rb(r)),
        (Width::W16, Operand::Reg(r)) => dynasm!(asm ; .arch x64 ; cmp Rw(ra), Rw(r)),
        (Width::W32, Operand::Reg(r)) => dynasm!(asm ; .arch x64 ; cmp Rd(ra), Rd(r)),
        (Width::W64, Operand::Reg(r)) => dynasm!(asm ; .arch x64 ; cmp Rq(ra), Rq(r)),
        (Width::W8, Operand::Stack(s)) => dynasm!(asm ; .arch x64 ; cmp Rb(ra), BYTE [rsp + s]),
        (Width::W16, Operand::Stack(s)) => dynasm!(asm ; .arch x64 ; cmp Rw(ra), WORD [rsp + s]),
        (Width::W32, Operand::Stack(s)) => {
            dynasm!(asm ; .arch x64 ; cmp Rd(ra), DWORD [rsp + s])
        }
        (Width::W64, Operand::Stack(s)) => {
            dynasm!(asm ; .arch x64 ; cmp Rq(ra), QWORD [rsp + s])
        }
        (Width::W8, Operand::Imm(v)) => dynasm!(asm ; .arch x64 ; cmp Rb(ra), v as i8),
        (Width::W16, Operand::Imm(v)) => dynasm!(asm ; .arch x64 ; cmp Rw(ra), v as i16),
        // Against zero, `test` is shorter and sets the same ZF/SF (CF = OF = 0 as for cmp 0).
        (Width::W64, Operand::Imm(0)) => dynasm!(asm ; .arch x64 ; test Rq(ra), Rq(ra)),
        (Width::W32, Operand::Imm(v)) if v as u32 == 0 => {
            dynasm!(asm ; .arch x64 ; test Rd(ra), Rd(ra))
        }
        (Width::W32, Operand::Imm(v)) => dynasm!(asm ; .arch x64 ; cmp Rd(ra), v as u32 as i32),
        (Width::W64, Operand::Imm(v)) if fits_i32(v) => {
            dynasm!(asm ; .arch x64 ; cmp Rq(ra), v as i32)
        }
        (Width::W64, Operand::Imm(v)) => {
            mov_imm(asm, RCX, v);
            dynasm!(asm ; .arch x64 ; cmp Rq(ra), rcx)
        }
    }
    if e.fuse_next_cmp {
        // The next op (a branch or ExitIf, the only reader of `dst`) jumps on these flags.
        e.fused_cmp = Some((dst, op));
        return;
    }
    let d = e.dst_reg(dst, RAX);
    let asm = &mut e.asm;
    super::eflags::setcc(asm, op, d);
    dynasm!(asm ; .arch x64 ; movzx Rd(d), Rb(d));
    e.store(dst, d);
}

pub(super) fn select(e: &mut Emitter, dst: Temp, cond: Temp, if_true: Temp, if_false: Temp) {
    let d = e.dst_reg(dst, RAX);
    match e.operand(cond) {
        // A constant condition chooses at compile time.
        Operand::Imm(c) => {
            e.load(d, if c != 0 { if_true } else { if_false });
            e.store(dst, d);
            return;
        }
        Operand::Reg(r) => dynasm!(e.asm ; .arch x64 ; test Rq(r), Rq(r)),
        Operand::Stack(s) => dynasm!(e.asm ; .arch x64 ; cmp QWORD [rsp + s], 0),
    }
    // From here on only `mov`s until the cmov: they keep the flags of the test.
    e.load(d, if_false);
    match e.operand(if_true) {
        Operand::Reg(r) => dynasm!(e.asm ; .arch x64 ; cmovnz Rq(d), Rq(r)),
        Operand::Stack(s) => dynasm!(e.asm ; .arch x64 ; cmovnz Rq(d), QWORD [rsp + s]),
        Operand::Imm(v) => {
            mov_imm(&mut e.asm, RCX, v);
            dynasm!(e.asm ; .arch x64 ; cmovnz Rq(d), rcx);
        }
    }
    e.store(dst, d);
}
