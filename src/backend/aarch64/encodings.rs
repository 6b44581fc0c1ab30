//! The instruction words of the immediate, bit-field and compare-and-branch forms, against
//! the GNU assembler's encodings (`aarch64-linux-gnu-as`, words listed by objdump). Runs on
//! every host: emitting code is only writing bytes.

use super::Aarch64Backend;
use crate::backend::Backend;
use crate::cache::CodeCache;
use crate::ir::{BinOp, Block, Builder, CmpOp, Exit, GuestAddr, StateOffset, Temp, UnOp, Width};

/// The words of a block: `t0 = state.w64[64]` (in x19), `t1 = make(t0)` (in x20), stored,
/// and `exit` (given t1).
fn words(make: impl FnOnce(&mut Builder, Temp) -> Temp, exit: impl FnOnce(Temp) -> Exit) -> Vec<u32> {
    let mut b = Builder::new();
    let t0 = b.load_state(StateOffset(64), Width::W64);
    let t1 = make(&mut b, t0);
    let e = exit(t1);
    if !matches!(e, Exit::Branch { .. }) {
        b.store_state(StateOffset(72), t1, Width::W64);
    }
    let block: Block = b.finish(GuestAddr(0x1000), 4, 1, e);
    let mut cache = CodeCache::new(1 << 20).expect("code cache");
    let mut backend = Aarch64Backend::new(&mut cache).expect("backend");
    let compiled = backend.compile(&block, &mut cache).expect("compile");
    let bytes = cache.bytes(compiled.entry, compiled.host_len);
    bytes.chunks(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

fn jump(_: Temp) -> Exit {
    Exit::Jump(GuestAddr(0x2000))
}

fn branch(cond: Temp) -> Exit {
    Exit::Branch { cond, taken: GuestAddr(0x2000), not_taken: GuestAddr(0x3000) }
}

/// Asserts that the block `make` builds contains `want` (compared under `mask`).
#[track_caller]
fn has(make: impl FnOnce(&mut Builder, Temp) -> Temp, exit: fn(Temp) -> Exit, want: u32, mask: u32) {
    let got = words(make, exit);
    assert!(got.iter().any(|w| w & mask == want & mask), "{want:#010x} not among {:x?}", got);
}

const ALL: u32 = u32::MAX;

#[test]
fn logical_immediates() {
    has(|b, t| b.bin_imm(BinOp::And, t, 0xff, Width::W64), jump, 0x92401e74, ALL); // and x20, x19, #0xff
    has(|b, t| b.bin_imm(BinOp::Or, t, 0xff00, Width::W32), jump, 0x32181e74, ALL); // orr w20, w19, #0xff00
    let v = 0x5555_5555_5555_5555;
    has(|b, t| b.bin_imm(BinOp::Xor, t, v, Width::W64), jump, 0xd200f274, ALL); // eor x20, x19, #0x55..
}

#[test]
fn arithmetic_immediates() {
    has(|b, t| b.bin_imm(BinOp::Add, t, 0xfff, Width::W64), jump, 0x913ffe74, ALL); // add x20, x19, #0xfff
                                                                                    // sub w20, w19, #0x1, lsl #12 (an add of -0x1000)
    has(|b, t| b.bin_imm(BinOp::Add, t, 0xffff_f000, Width::W32), jump, 0x51400674, ALL);
    has(|b, t| b.cmp_imm(CmpOp::Slt, t, 10, Width::W32), jump, 0x71002a7f, ALL); // cmp w19, #0xa
    has(|b, t| b.cmp_imm(CmpOp::Eq, t, u64::MAX, Width::W64), jump, 0xb100067f, ALL);
    // cmn x19, #0x1
}

#[test]
fn shifts_by_constants() {
    has(|b, t| b.bin_imm(BinOp::Shl, t, 3, Width::W32), jump, 0x531d7274, ALL); // lsl w20, w19, #3
    has(|b, t| b.bin_imm(BinOp::Lshr, t, 63, Width::W64), jump, 0xd37ffe74, ALL); // lsr x20, x19, #63
    has(|b, t| b.bin_imm(BinOp::Ashr, t, 31, Width::W32), jump, 0x131f7e74, ALL); // asr w20, w19, #31
    has(|b, t| b.bin_imm(BinOp::Rotr, t, 6, Width::W32), jump, 0x13931a74, ALL); // ror w20, w19, #6
    has(|b, t| b.bin_imm(BinOp::Lshr, t, 3, Width::W8), jump, 0x53031e74, ALL); // ubfx w20, w19, #3, #5
    has(|b, t| b.bin_imm(BinOp::Ashr, t, 1, Width::W16), jump, 0x13013e74, ALL);
    // sbfx w20, w19, #1, #15
}

/// Branches: the offset fields are masked out.
#[test]
fn compare_and_branch() {
    const TB: u32 = 0xfff8_001f;
    const CB: u32 = 0xff00_001f;
    // Taken when the bit is set: tbz skips the taken exit when it is clear.
    has(|b, t| b.bin_imm(BinOp::Lshr, t, 63, Width::W64), branch, 0xb6f80053, TB); // tbz x19, #63
    has(|b, t| b.bin_imm(BinOp::And, t, 0x20, Width::W32), branch, 0x36280053, TB); // tbz w19, #5
    has(|b, t| b.cmp_imm(CmpOp::Ne, t, 0, Width::W32), branch, 0x34000053, CB); // cbz w19
    has(|b, t| b.cmp_imm(CmpOp::Eq, t, 0, Width::W64), branch, 0xb5000053, CB); // cbnz x19
    has(|b, t| b.cmp_imm(CmpOp::Slt, t, 5, Width::W64), branch, 0x5400004a, CB);
    // b.ge
}

#[test]
fn moves_and_stores() {
    // mov x19, #0x5555555555555555 (orr x19, xzr, #...), the destination masked: each
    // reader of the constant builds it in a scratch register.
    let v = 0x5555_5555_5555_5555;
    has(
        |b, _| {
            let c = b.constant(v);
            b.bin(BinOp::Mul, c, c, Width::W64)
        },
        jump,
        0xb200f3f3,
        !0x1f,
    );
    has(
        |b, t| {
            let zero = b.constant(0);
            b.store_state(StateOffset(0xb8), zero, Width::W8);
            b.un(UnOp::Not, t, Width::W64)
        },
        jump,
        0x3902e39f, // strb wzr, [x28, #0xb8]
        ALL,
    );
}

#[test]
fn shifted_register_operands() {
    use super::fold::shifted_register;
    assert_eq!(shifted_register(BinOp::Add, true, 20, 19, 21, BinOp::Shl, 3), 0x8b150e74); // add x20, x19, x21, lsl #3
    assert_eq!(shifted_register(BinOp::Sub, false, 20, 19, 21, BinOp::Lshr, 5), 0x4b551674); // sub w20, w19, w21, lsr #5
    assert_eq!(shifted_register(BinOp::Xor, false, 20, 19, 21, BinOp::Rotr, 11), 0x4ad52e74); // eor w20, w19, w21, ror #11
    assert_eq!(shifted_register(BinOp::And, true, 20, 19, 21, BinOp::Ashr, 63), 0x8a95fe74); // and x20, x19, x21, asr #63
    assert_eq!(shifted_register(BinOp::Or, false, 20, 19, 21, BinOp::Shl, 1), 0x2a150674); // orr w20, w19, w21, lsl #1
    assert_eq!(shifted_register(BinOp::Xor, false, 12, 19, 19, BinOp::Lshr, 4), 0x4a53126c); // eor w12, w19, w19, lsr #4
    assert_eq!(shifted_register(BinOp::Xor, true, 12, 19, 19, BinOp::Lshr, 32), 0xca53826c); // eor x12, x19, x19, lsr #32
                                                                                             // In a block: t0 ^ (t0 >> 7), one instruction.
    has(
        |b, t| {
            let s = b.bin_imm(BinOp::Lshr, t, 7, Width::W64);
            b.bin(BinOp::Xor, t, s, Width::W64)
        },
        jump,
        0xca531e74, // eor x20, x19, x19, lsr #7
        ALL,
    );
}

#[test]
fn register_and_immediate_offsets() {
    use super::fold::register_offset;
    assert_eq!(register_offset(true, Width::W64, 20, 19, 21, 3), 0xf8757a74); // ldr x20, [x19, x21, lsl #3]
    assert_eq!(register_offset(true, Width::W32, 20, 19, 21, 2), 0xb8757a74); // ldr w20, [x19, x21, lsl #2]
    assert_eq!(register_offset(true, Width::W16, 20, 19, 21, 1), 0x78757a74); // ldrh w20, [x19, x21, lsl #1]
    assert_eq!(register_offset(true, Width::W8, 20, 19, 21, 0), 0x38756a74); // ldrb w20, [x19, x21]
    assert_eq!(register_offset(true, Width::W64, 20, 19, 21, 0), 0xf8756a74); // ldr x20, [x19, x21]
    assert_eq!(register_offset(false, Width::W64, 20, 19, 21, 3), 0xf8357a74); // str x20, [x19, x21, lsl #3]
    assert_eq!(register_offset(false, Width::W8, 20, 19, 21, 0), 0x38356a74); // strb w20, [x19, x21]
    has(
        |b, t| {
            let a = b.bin_imm(BinOp::Add, t, 0x10, Width::W64);
            b.load(a, Width::W64)
        },
        jump,
        0xf9400a74, // ldr x20, [x19, #16]
        ALL,
    );
}

#[test]
fn bit_fields() {
    has(
        |b, t| {
            let s = b.bin_imm(BinOp::Lshr, t, 4, Width::W64);
            b.bin_imm(BinOp::And, s, 1, Width::W64)
        },
        jump,
        0xd3441274, // ubfx x20, x19, #4, #1
        ALL,
    );
    has(
        |b, t| {
            let s = b.bin_imm(BinOp::Lshr, t, 8, Width::W64);
            b.bin_imm(BinOp::And, s, 0xff, Width::W16)
        },
        jump,
        0xd3483e74, // ubfx x20, x19, #8, #8
        ALL,
    );
}

#[test]
fn inverted_operands() {
    use super::fold::inverted_register;
    assert_eq!(inverted_register(BinOp::And, false, 20, 19, 21), 0x0a350274); // bic w20, w19, w21
    assert_eq!(inverted_register(BinOp::Or, true, 20, 19, 21), 0xaa350274); // orn x20, x19, x21
    assert_eq!(inverted_register(BinOp::Xor, false, 20, 19, 21), 0x4a350274); // eon w20, w19, w21
    assert_eq!(inverted_register(BinOp::Or, false, 12, 31, 21), 0x2a3503ec); // mvn w12, w21
    has(
        |b, t| {
            let n = b.un(UnOp::Not, t, Width::W32);
            b.bin(BinOp::And, t, n, Width::W32)
        },
        jump,
        0x0a330274, // bic w20, w19, w19
        ALL,
    );
}
