//! The special cases of the fused multiply-add reference. The x86 expectations were read from
//! this host's VFMADD231SD/VFMSUB231SD/VFNMADD231SD (and the conformance suite compares every
//! case with the FMA unit when the host has one); the A64 ones follow `FPMulAdd` and were
//! checked against qemu-aarch64 (tests/a64_diff.rs runs them as guest code).

use super::*;

const ONE: u64 = 0x3ff0_0000_0000_0000;
const TWO: u64 = 0x4000_0000_0000_0000;
const INF: u64 = 0x7ff0_0000_0000_0000;
const NEG_ZERO: u64 = 0x8000_0000_0000_0000;
const Q1: u64 = 0x7ff8_0000_0000_0001;
const Q2: u64 = 0x7ff8_0000_0000_0002;
const Q3: u64 = 0x7ff8_0000_0000_0003;
const S2: u64 = 0x7ff0_0000_0000_0002;
const S3: u64 = 0x7ff0_0000_0000_0003;
const PLAIN: FmaNeg = FmaNeg { product: false, addend: false };
const MXCSR: u64 = 0x1f80;

fn x86(neg: FmaNeg, a: u64, b: u64, c: u64, mxcsr: u64) -> (u64, u64) {
    let v = eval(FpPrec::F64, FpRule::X86Sse, FpResult::Value, neg, a, b, c, mxcsr);
    (v, eval(FpPrec::F64, FpRule::X86Sse, FpResult::Flags, neg, a, b, c, mxcsr))
}

fn a64(neg: FmaNeg, a: u64, b: u64, c: u64, fpcr: u64) -> (u64, u64) {
    let v = eval(FpPrec::F64, FpRule::A64, FpResult::Value, neg, a, b, c, fpcr);
    (v, eval(FpPrec::F64, FpRule::A64, FpResult::Flags, neg, a, b, c, fpcr))
}

#[test]
fn x86_nan_priority_and_invalid() {
    // vfmadd231sd: a = src2, b = src3, c = dst.
    assert_eq!(x86(PLAIN, Q2, Q3, Q1, MXCSR), (Q2, 0));
    assert_eq!(x86(PLAIN, ONE, Q3, Q1, MXCSR), (Q3, 0));
    assert_eq!(x86(PLAIN, S2, S3, Q1, MXCSR), (0x7ff8_0000_0000_0002, fp::IE as u64));
    // inf * 0 + qNaN: the NaN, no invalid; inf * 0 + 1: invalid.
    assert_eq!(x86(PLAIN, INF, 0, Q1, MXCSR), (Q1, 0));
    assert_eq!(x86(PLAIN, INF, 0, ONE, MXCSR), (0xfff8_0000_0000_0000, fp::IE as u64));
    // vfnmadd231sd with a negative NaN addend: returned as read.
    let nm = FmaNeg { product: true, addend: false };
    assert_eq!(x86(nm, ONE, ONE, Q1 | NEG_ZERO, MXCSR), (Q1 | NEG_ZERO, 0));
    // vfmsub231sd inf * inf - inf: invalid.
    let ms = FmaNeg { product: false, addend: true };
    assert_eq!(x86(ms, INF, ONE, INF, MXCSR), (0xfff8_0000_0000_0000, fp::IE as u64));
    // A denormal addend: DE, and inexact; with DAZ it reads as zero.
    assert_eq!(x86(PLAIN, ONE, ONE, 1, MXCSR), (ONE, (fp::DE | fp::PE) as u64));
    assert_eq!(x86(PLAIN, ONE, ONE, 1, MXCSR | 0x40), (ONE, 0));
}

#[test]
fn signed_zeros() {
    for (neg, a, b, c, want) in [
        (PLAIN, NEG_ZERO, 0, NEG_ZERO, NEG_ZERO),
        (FmaNeg { product: false, addend: true }, 0, 0, 0, 0),
        (FmaNeg { product: true, addend: false }, 0, 0, 0, 0),
        (FmaNeg { product: true, addend: true }, 0, 0, 0, NEG_ZERO),
        // 1 * 1 - 1: an exact zero of nonzero terms.
        (FmaNeg { product: false, addend: true }, ONE, ONE, ONE, 0),
    ] {
        assert_eq!(x86(neg, a, b, c, MXCSR), (want, 0));
        assert_eq!(a64(neg, a, b, c, 0), (want, 0));
    }
    // Rounding down, opposite zeros or an exact cancellation give -0.
    let down_x86 = MXCSR | 1 << 13;
    let down_a64 = 2 << 22;
    let ms = FmaNeg { product: false, addend: true };
    assert_eq!(x86(ms, ONE, ONE, ONE, down_x86), (NEG_ZERO, 0));
    assert_eq!(a64(ms, ONE, ONE, ONE, down_a64), (NEG_ZERO, 0));
    assert_eq!(a64(PLAIN, 0, ONE, NEG_ZERO, down_a64), (NEG_ZERO, 0));
    assert_eq!(a64(PLAIN, 0, ONE, NEG_ZERO, 0), (0, 0));
}

#[test]
fn a64_nans() {
    // FPProcessNaNs3 over (addend, op1, op2): a signalling NaN first, then the addend.
    assert_eq!(a64(PLAIN, Q2, Q3, Q1, 0), (Q1, 0));
    assert_eq!(a64(PLAIN, Q2, S3, Q1, 0), (0x7ff8_0000_0000_0003, IOC as u64));
    // inf * 0 + qNaN: the default NaN and invalid; + sNaN: the sNaN quietened.
    assert_eq!(a64(PLAIN, INF, 0, Q1, 0), (0x7ff8_0000_0000_0000, IOC as u64));
    assert_eq!(a64(PLAIN, 0, INF, S3, 0), (0x7ff8_0000_0000_0003, IOC as u64));
    // FMSUB negates op1 before the NaN rules: the NaN's sign flips.
    let ms = FmaNeg { product: true, addend: false };
    assert_eq!(a64(ms, Q2, ONE, ONE, 0), (Q2 | NEG_ZERO, 0));
    // DN: the default NaN.
    assert_eq!(a64(PLAIN, Q2, ONE, ONE, FPCR_DN as u64), (0x7ff8_0000_0000_0000, 0));
    // inf * 2 - inf: invalid.
    let nsub = FmaNeg { product: false, addend: true };
    assert_eq!(a64(nsub, INF, TWO, INF, 0), (0x7ff8_0000_0000_0000, IOC as u64));
}

#[test]
fn rounding_once() {
    // (1 + 2^-52)^2 - 1 = 2^-51 + 2^-104: exact in fused arithmetic.
    let a = 0x3ff0_0000_0000_0001;
    let ms = FmaNeg { product: false, addend: true };
    let want = (2f64.powi(-51) + 2f64.powi(-104)).to_bits();
    assert_eq!(x86(ms, a, a, ONE, MXCSR).0, want);
    assert_eq!(a64(ms, a, a, ONE, 0).0, want);
    // 1 + 2^-60: inexact; rounds up to the next double towards +inf only.
    let tiny = 2f64.powi(-60).to_bits();
    assert_eq!(x86(PLAIN, tiny, ONE, ONE, MXCSR), (ONE, fp::PE as u64));
    assert_eq!(x86(PLAIN, tiny, ONE, ONE, MXCSR | 2 << 13), (ONE + 1, fp::PE as u64));
    assert_eq!(a64(PLAIN, tiny, ONE, ONE, 1 << 22), (ONE + 1, IXC as u64));
    assert_eq!(
        a64(FmaNeg { product: true, addend: true }, tiny, ONE, ONE, 3 << 22),
        (ONE | NEG_ZERO, IXC as u64)
    );
    // A product far below the addend's last bit, subtracted: towards zero steps down.
    let sub_tiny = FmaNeg { product: true, addend: false };
    assert_eq!(a64(sub_tiny, 1, 1, ONE, 3 << 22), (ONE - 1, IXC as u64));
    assert_eq!(a64(sub_tiny, 1, 1, ONE, 0), (ONE, IXC as u64));
}

#[test]
fn overflow_and_underflow() {
    let max = f64::MAX.to_bits();
    assert_eq!(x86(PLAIN, max, TWO, 0, MXCSR), (INF, (fp::OE | fp::PE) as u64));
    assert_eq!(a64(PLAIN, max, TWO, 0, 3 << 22), (max, (OFC | IXC) as u64));
    // (2^-1022 (1 - 2^-52)) * (1 + 2^-52): tiny before rounding, rounds to the smallest
    // normal: A64 raises UFC; x86 (tininess after rounding) does not.
    let (a, b) = (0x000f_ffff_ffff_ffff, 0x3ff0_0000_0000_0001);
    let min_normal = 0x0010_0000_0000_0000;
    assert_eq!(a64(PLAIN, a, b, 0, 0), (min_normal, (UFC | IXC) as u64));
    assert_eq!(x86(PLAIN, a, b, 0, MXCSR), (min_normal, (fp::DE | fp::PE) as u64));
    // Under FZ: operands flushed (IDC), a tiny exact result flushed with UFC only.
    assert_eq!(a64(PLAIN, a, b, 0, FPCR_FZ as u64), (0, IDC as u64));
    let (x, half) = (0x0018_0000_0000_0000, 0x3fe0_0000_0000_0000); // 1.5 * 2^-1022, 0.5
    assert_eq!(a64(PLAIN, x, half, 0, FPCR_FZ as u64), (0, UFC as u64));
    assert_eq!(a64(PLAIN, x, half, 0, 0), (0x000c_0000_0000_0000, 0));
}

#[test]
fn f32_and_denormals() {
    let f = |x: f32| x.to_bits() as u64;
    let v = |a, b, c| eval(FpPrec::F32, FpRule::A64, FpResult::Value, PLAIN, a, b, c, 0);
    assert_eq!(v(f(3.0), f(5.0), f(-15.0)), 0);
    assert_eq!(v(f(1.5), f(2.0), f(0.25)), f(3.25));
    // Upper bits of f32 operands are not read.
    assert_eq!(v(f(1.5) | 0xdead << 32, f(2.0), f(0.25)), f(3.25));
    // The smallest denormal squared plus itself: inexact, tiny.
    let flags = eval(FpPrec::F32, FpRule::A64, FpResult::Flags, PLAIN, 1, 1, 1, 0);
    assert_eq!(flags, (UFC | IXC) as u64);
    assert_eq!(v(1, 1, 1), 1);
}

#[test]
fn verified_printed_and_folded() {
    use crate::ir::{opt, verify, Builder, Exit, GuestAddr, Op, StateOffset, Temp, Width};
    let mut b = Builder::new();
    let x = b.constant(TWO);
    let y = b.constant(0x4008_0000_0000_0000); // 3.0
    let z = b.load_state(StateOffset(40), Width::W64);
    let ctrl = b.constant(0);
    let neg = FmaNeg { product: true, addend: false };
    let r = b.fp_fma(FpPrec::F64, FpRule::A64, FpResult::Value, neg, x, y, z, ctrl);
    b.store_state(StateOffset(48), r, Width::W64);
    let mut block = b.finish(GuestAddr(0), 4, 1, Exit::Jump(GuestAddr(4)));
    verify(&block).unwrap();
    assert!(
        format!("{}", block.ops[4]).contains("ffma.f64.a64.negprod t0, t1, t2 ctrl t3"),
        "{}",
        block.ops[4]
    );
    // The addend is read: a block that defines it after the op does not verify.
    let mut bad = block.clone();
    if let Op::FpFma { c, .. } = &mut bad.ops[4] {
        *c = Temp(5);
    }
    bad.temps = 6;
    assert!(verify(&bad).unwrap_err().contains("used before it is defined"));
    // With a constant addend, the op folds to the reference's value: -(2 * 3) + 1.
    block.ops[2] = Op::Const { dst: z, value: ONE };
    opt::optimize(&mut block);
    let stored = block.ops.iter().find_map(|o| match o {
        Op::StoreState { src, .. } => Some(*src),
        _ => None,
    });
    let value = block.ops.iter().find_map(|o| match o {
        Op::Const { dst, value } if Some(*dst) == stored => Some(*value),
        _ => None,
    });
    assert_eq!(value, Some((-5.0f64).to_bits()));
}
