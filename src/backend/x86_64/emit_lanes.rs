//! Lane-wise integer ops (`Op::Lanes`) as SSE2 packed-integer instructions on the low 64
//! bits of `xmm0` (SSE2 only: every x86-64 host has it, so no CPU check; the forms SSE2
//! lacks, such as 32-bit min/max, unsigned compares and 32-bit multiplies, are a few SSE2
//! instructions each).
//!
//! Scratch: `rax` (result, constants), `rcx` and `rdx` (operands), `xmm0` (`a`, then the
//! result), `xmm1` (`b`), `xmm2`..`xmm4`.

use super::abi::{RAX, RCX, RDX};
use super::{Emitter, Operand};
use crate::ir::{LaneOp, Temp, Width};
use dynasmrt::{dynasm, DynasmApi};

/// The sign bit of every `lane`-bit lane of a 64-bit value.
fn sign_bits(lane: Width) -> u64 {
    match lane {
        Width::W8 => 0x8080_8080_8080_8080,
        Width::W16 => 0x8000_8000_8000_8000,
        _ => 0x8000_0000_8000_0000,
    }
}

/// `xmm4 = value` in its low 64 bits.
fn xmm4_const(e: &mut Emitter, value: u64) {
    super::emit_alu::mov_imm(&mut e.asm, RAX, value);
    dynasm!(e.asm ; .arch x64 ; movq xmm4, rax);
}

/// `Op::Lanes`: `a` and `b` in `xmm0` and `xmm1`, the SSE2 instruction(s), the low 64 bits of
/// `xmm0` back in a general register.
pub(super) fn lanes(e: &mut Emitter, op: LaneOp, lane: Width, dst: Temp, a: Temp, b: Temp) {
    use LaneOp::*;
    use Width::*;
    if let (Shl | Lshr | Ashr, W16 | W32 | W64, Operand::Imm(count)) = (op, lane, e.operand(b)) {
        return shift_imm(e, op, lane, dst, a, count);
    }
    if (op, lane) == (Ashr, W64) {
        // SSE2 has no 64-bit arithmetic shift: the general-register one, count clamped to 63.
        e.load(RCX, b);
        e.load(RAX, a);
        dynasm!(e.asm
            ; .arch x64
            ; mov edx, 63
            ; cmp rcx, rdx
            ; cmova rcx, rdx
            ; sar rax, cl
        );
        e.store(dst, RAX);
        return;
    }
    e.load(RCX, a);
    e.load(RDX, b);
    dynasm!(e.asm ; .arch x64 ; movq xmm0, rcx ; movq xmm1, rdx);
    match (op, lane) {
        (Add, W8) => dynasm!(e.asm ; .arch x64 ; paddb xmm0, xmm1),
        (Add, W16) => dynasm!(e.asm ; .arch x64 ; paddw xmm0, xmm1),
        (Add, _) => dynasm!(e.asm ; .arch x64 ; paddd xmm0, xmm1),
        (Sub, W8) => dynasm!(e.asm ; .arch x64 ; psubb xmm0, xmm1),
        (Sub, W16) => dynasm!(e.asm ; .arch x64 ; psubw xmm0, xmm1),
        (Sub, _) => dynasm!(e.asm ; .arch x64 ; psubd xmm0, xmm1),
        (AddSatU, W8) => dynasm!(e.asm ; .arch x64 ; paddusb xmm0, xmm1),
        (AddSatU, _) => dynasm!(e.asm ; .arch x64 ; paddusw xmm0, xmm1),
        (AddSatS, W8) => dynasm!(e.asm ; .arch x64 ; paddsb xmm0, xmm1),
        (AddSatS, _) => dynasm!(e.asm ; .arch x64 ; paddsw xmm0, xmm1),
        (SubSatU, W8) => dynasm!(e.asm ; .arch x64 ; psubusb xmm0, xmm1),
        (SubSatU, _) => dynasm!(e.asm ; .arch x64 ; psubusw xmm0, xmm1),
        (SubSatS, W8) => dynasm!(e.asm ; .arch x64 ; psubsb xmm0, xmm1),
        (SubSatS, _) => dynasm!(e.asm ; .arch x64 ; psubsw xmm0, xmm1),
        (CmpEq, W8) => dynasm!(e.asm ; .arch x64 ; pcmpeqb xmm0, xmm1),
        (CmpEq, W16) => dynasm!(e.asm ; .arch x64 ; pcmpeqw xmm0, xmm1),
        (CmpEq, _) => dynasm!(e.asm ; .arch x64 ; pcmpeqd xmm0, xmm1),
        (CmpGtS | CmpGtU, _) => {
            if op == CmpGtU {
                // Unsigned order is signed order with the sign bits flipped.
                xmm4_const(e, sign_bits(lane));
                dynasm!(e.asm ; .arch x64 ; pxor xmm0, xmm4 ; pxor xmm1, xmm4);
            }
            match lane {
                W8 => dynasm!(e.asm ; .arch x64 ; pcmpgtb xmm0, xmm1),
                W16 => dynasm!(e.asm ; .arch x64 ; pcmpgtw xmm0, xmm1),
                _ => dynasm!(e.asm ; .arch x64 ; pcmpgtd xmm0, xmm1),
            }
        }
        (MinU, W8) => dynasm!(e.asm ; .arch x64 ; pminub xmm0, xmm1),
        (MaxU, W8) => dynasm!(e.asm ; .arch x64 ; pmaxub xmm0, xmm1),
        (MinS, W16) => dynasm!(e.asm ; .arch x64 ; pminsw xmm0, xmm1),
        (MaxS, W16) => dynasm!(e.asm ; .arch x64 ; pmaxsw xmm0, xmm1),
        (MinS | MaxS, W8) | (MinU | MaxU, W16) => {
            // The other signedness's instruction on sign-flipped lanes, flipped back.
            xmm4_const(e, sign_bits(lane));
            dynasm!(e.asm ; .arch x64 ; pxor xmm0, xmm4 ; pxor xmm1, xmm4);
            match (op, lane) {
                (MinS, _) => dynasm!(e.asm ; .arch x64 ; pminub xmm0, xmm1),
                (MaxS, _) => dynasm!(e.asm ; .arch x64 ; pmaxub xmm0, xmm1),
                (MinU, _) => dynasm!(e.asm ; .arch x64 ; pminsw xmm0, xmm1),
                _ => dynasm!(e.asm ; .arch x64 ; pmaxsw xmm0, xmm1),
            }
            dynasm!(e.asm ; .arch x64 ; pxor xmm0, xmm4);
        }
        (MinS | MaxS | MinU | MaxU, _) => {
            // 32-bit lanes: mask = a > b (sign-flipped copies for unsigned), then select.
            dynasm!(e.asm ; .arch x64 ; movdqa xmm2, xmm0 ; movdqa xmm3, xmm1);
            if matches!(op, MinU | MaxU) {
                xmm4_const(e, sign_bits(lane));
                dynasm!(e.asm ; .arch x64 ; pxor xmm2, xmm4 ; pxor xmm3, xmm4);
            }
            dynasm!(e.asm ; .arch x64 ; pcmpgtd xmm2, xmm3);
            if matches!(op, MinS | MinU) {
                // b where a > b, else a.
                dynasm!(e.asm ; .arch x64 ; pand xmm1, xmm2 ; pandn xmm2, xmm0 ; por xmm2, xmm1);
            } else {
                dynasm!(e.asm ; .arch x64 ; pand xmm0, xmm2 ; pandn xmm2, xmm1 ; por xmm2, xmm0);
            }
            dynasm!(e.asm ; .arch x64 ; movdqa xmm0, xmm2);
        }
        (AvgU, W8) => dynasm!(e.asm ; .arch x64 ; pavgb xmm0, xmm1),
        (AvgU, _) => dynasm!(e.asm ; .arch x64 ; pavgw xmm0, xmm1),
        (MulLo, W16) => dynasm!(e.asm ; .arch x64 ; pmullw xmm0, xmm1),
        (MulLo, _) => {
            // pmuludq multiplies lane 0 of each 64-bit half: once as is, once shifted down;
            // the low 32 bits of the two products interleaved.
            dynasm!(e.asm
                ; .arch x64
                ; movdqa xmm2, xmm0
                ; psrlq xmm2, 32
                ; movdqa xmm3, xmm1
                ; psrlq xmm3, 32
                ; pmuludq xmm2, xmm3
                ; pmuludq xmm0, xmm1
                ; punpckldq xmm0, xmm2
            );
        }
        (MulHiS, _) => dynasm!(e.asm ; .arch x64 ; pmulhw xmm0, xmm1),
        (MulHiU, _) => dynasm!(e.asm ; .arch x64 ; pmulhuw xmm0, xmm1),
        (Shl | Lshr | Ashr, W8) => {
            // Bytes widened to words, shifted as words, narrowed back: Ashr puts each byte in
            // the high byte of its word (whose sign it then is), the others zero-extend.
            if op == Ashr {
                dynasm!(e.asm
                    ; .arch x64
                    ; punpcklbw xmm0, xmm0
                    ; psraw xmm0, xmm1
                    ; psraw xmm0, 8
                    ; packsswb xmm0, xmm0
                );
            } else {
                dynasm!(e.asm ; .arch x64 ; pxor xmm2, xmm2 ; punpcklbw xmm0, xmm2);
                if op == Shl {
                    dynasm!(e.asm
                        ; .arch x64
                        ; psllw xmm0, xmm1
                        ; pcmpeqw xmm2, xmm2
                        ; psrlw xmm2, 8
                        ; pand xmm0, xmm2
                    );
                } else {
                    dynasm!(e.asm ; .arch x64 ; psrlw xmm0, xmm1);
                }
                dynasm!(e.asm ; .arch x64 ; packuswb xmm0, xmm0);
            }
        }
        // The xmm-count shifts take the whole low quadword as the count, as the op does.
        (Shl, W16) => dynasm!(e.asm ; .arch x64 ; psllw xmm0, xmm1),
        (Shl, W32) => dynasm!(e.asm ; .arch x64 ; pslld xmm0, xmm1),
        (Shl, _) => dynasm!(e.asm ; .arch x64 ; psllq xmm0, xmm1),
        (Lshr, W16) => dynasm!(e.asm ; .arch x64 ; psrlw xmm0, xmm1),
        (Lshr, W32) => dynasm!(e.asm ; .arch x64 ; psrld xmm0, xmm1),
        (Lshr, _) => dynasm!(e.asm ; .arch x64 ; psrlq xmm0, xmm1),
        (Ashr, W16) => dynasm!(e.asm ; .arch x64 ; psraw xmm0, xmm1),
        (Ashr, _) => dynasm!(e.asm ; .arch x64 ; psrad xmm0, xmm1),
        (ZipLo | ZipHi, _) => {
            match lane {
                W8 => dynasm!(e.asm ; .arch x64 ; punpcklbw xmm0, xmm1),
                W16 => dynasm!(e.asm ; .arch x64 ; punpcklwd xmm0, xmm1),
                _ => dynasm!(e.asm ; .arch x64 ; punpckldq xmm0, xmm1),
            }
            if op == ZipHi {
                dynasm!(e.asm ; .arch x64 ; psrldq xmm0, 8);
            }
        }
        (UzpEven | UzpOdd | NarrowSatS | NarrowSatSU | NarrowSatU, _) => {
            // The 128-bit value `b:a`, narrowed or unzipped into its low quadword.
            dynasm!(e.asm ; .arch x64 ; punpcklqdq xmm0, xmm1);
            narrow(e, op, lane);
        }
    }
    dynasm!(e.asm ; .arch x64 ; movq rax, xmm0);
    e.store(dst, RAX);
}

/// The 128 bits of `xmm0` narrowed or unzipped (see [`LaneOp`]) into its low quadword.
fn narrow(e: &mut Emitter, op: LaneOp, lane: Width) {
    use LaneOp::*;
    use Width::*;
    match (op, lane) {
        (UzpEven, W8) => dynasm!(e.asm
            ; .arch x64
            ; pcmpeqw xmm2, xmm2
            ; psrlw xmm2, 8
            ; pand xmm0, xmm2
            ; packuswb xmm0, xmm0
        ),
        (UzpOdd, W8) => dynasm!(e.asm ; .arch x64 ; psrlw xmm0, 8 ; packuswb xmm0, xmm0),
        (UzpEven, W16) => dynasm!(e.asm
            ; .arch x64
            ; pslld xmm0, 16
            ; psrad xmm0, 16
            ; packssdw xmm0, xmm0
        ),
        (UzpOdd, W16) => dynasm!(e.asm ; .arch x64 ; psrad xmm0, 16 ; packssdw xmm0, xmm0),
        (UzpEven, _) => dynasm!(e.asm ; .arch x64 ; pshufd xmm0, xmm0, BYTE 0x88u8 as i8),
        (UzpOdd, _) => dynasm!(e.asm ; .arch x64 ; pshufd xmm0, xmm0, BYTE 0xddu8 as i8),
        (NarrowSatS, W8) => dynasm!(e.asm ; .arch x64 ; packsswb xmm0, xmm0),
        (NarrowSatS, _) => dynasm!(e.asm ; .arch x64 ; packssdw xmm0, xmm0),
        (NarrowSatSU, _) => dynasm!(e.asm ; .arch x64 ; packuswb xmm0, xmm0),
        _ => {
            // NarrowSatU (bytes): min(x, 255) = x - saturating(x - 255), then packuswb.
            dynasm!(e.asm
                ; .arch x64
                ; pcmpeqw xmm3, xmm3
                ; psrlw xmm3, 8
                ; movdqa xmm2, xmm0
                ; psubusw xmm2, xmm3
                ; psubw xmm0, xmm2
                ; packuswb xmm0, xmm0
            );
        }
    }
}

/// A shift of 16-, 32- or 64-bit lanes by a constant count: the immediate form (a count of
/// the lane width or more gives 0 or sign fill there too).
fn shift_imm(e: &mut Emitter, op: LaneOp, lane: Width, dst: Temp, a: Temp, count: u64) {
    let n = count.min(64) as i8;
    e.load(RCX, a);
    if (op, lane) == (LaneOp::Ashr, Width::W64) {
        let n = n.min(63);
        dynasm!(e.asm ; .arch x64 ; sar rcx, n);
        e.store(dst, RCX);
        return;
    }
    dynasm!(e.asm ; .arch x64 ; movq xmm0, rcx);
    match (op, lane) {
        (LaneOp::Shl, Width::W16) => dynasm!(e.asm ; .arch x64 ; psllw xmm0, n),
        (LaneOp::Shl, Width::W32) => dynasm!(e.asm ; .arch x64 ; pslld xmm0, n),
        (LaneOp::Shl, _) => dynasm!(e.asm ; .arch x64 ; psllq xmm0, n),
        (LaneOp::Lshr, Width::W16) => dynasm!(e.asm ; .arch x64 ; psrlw xmm0, n),
        (LaneOp::Lshr, Width::W32) => dynasm!(e.asm ; .arch x64 ; psrld xmm0, n),
        (LaneOp::Lshr, _) => dynasm!(e.asm ; .arch x64 ; psrlq xmm0, n),
        (LaneOp::Ashr, Width::W16) => dynasm!(e.asm ; .arch x64 ; psraw xmm0, n),
        _ => dynasm!(e.asm ; .arch x64 ; psrad xmm0, n),
    }
    dynasm!(e.asm ; .arch x64 ; movq rax, xmm0);
    e.store(dst, RAX);
}
