//! ARM ARM C4.1.96 "Data Processing -- Scalar Floating-Point and Advanced SIMD" (the vector
//! part): three same, three different, two-register miscellaneous (and their FP16 classes),
//! across lanes, copy (DUP,
//! INS, UMOV, SMOV), permute (ZIP/UZP/TRN), EXT, TBL/TBX, modified immediate (MOVI, MVNI,
//! ORR, BIC, FMOV), shift by immediate, vector-by-element multiplies, three-register
//! extension (SQRDMLAH, SDOT, ...), and the scalar forms of three same, three different,
//! three-register extension, two-register miscellaneous, pairwise, DUP, shift by immediate
//! and by element; and the cryptographic AES and SHA1/SHA256 classes ([`super::crypto`]).
//! `tests/a64_coverage.rs` checks these classes against what qemu allocates.
//!
//! The forms hot loops use are lowered to inline IR by [`super::simd_ir`], FMLA/FMLS by
//! [`super::simd_fma`]; every other row
//! lowers to one call of the AdvSIMD helper with the form [`super::simd_form::decode`] made of
//! the word (row, operation, fields; the saturating, doubling, dot-product and polynomial
//! rows run in [`super::simd_sat`], the cryptographic ones in [`super::crypto`], FRINT*,
//! FCVT*, the fixed-point conversions, FACGE/FACGT, FRECPS and FMULX in [`super::simd_fp`]);
//! the helper works on the vector registers in the guest state. `decode` returns a form only
//! for an encoding the helper implements, so any other becomes a SIGILL trap at translation
//! time, never a silent no-op.

use super::decode::{row, Row};
use super::simd_form::{self, SimdForm};
use super::{simd_fma, simd_ir};
use super::{A64State, Ctx, Flow};
use crate::ir::Helper;

pub const ROWS: &[Row] = &[
    row!(SIMD_3same, "AdvSIMD three same", "0QU01110 ss 1 mmmmm ooooo 1 nnnnn ddddd", simd),
    row!(
        SIMD_3ext,
        "AdvSIMD three-register extension (SQRDMLAH, SQRDMLSH, SDOT, UDOT)",
        "0QU01110 ss 0 mmmmm 1 oooo 1 nnnnn ddddd",
        simd
    ),
    row!(SIMD_3diff, "AdvSIMD three different", "0QU01110 ss 1 mmmmm oooo 00 nnnnn ddddd", simd),
    row!(SIMD_2misc, "AdvSIMD two-register miscellaneous", "0QU01110 ss 10000 ooooo 10 nnnnn ddddd", simd),
    row!(SIMD_across, "AdvSIMD across lanes", "0QU01110 ss 11000 ooooo 10 nnnnn ddddd", simd),
    row!(SIMD_3same_fp16, "AdvSIMD three same (FP16)", "0QU01110 a 10 mmmmm 00 ooo 1 nnnnn ddddd", simd),
    row!(
        SIMD_2misc_fp16,
        "AdvSIMD two-register miscellaneous (FP16)",
        "0QU01110 a 1111 00 ooooo 10 nnnnn ddddd",
        simd
    ),
    row!(SIMD_copy, "AdvSIMD copy (DUP, INS, SMOV, UMOV)", "0Qo01110000 iiiii 0 jjjj 1 nnnnn ddddd", simd),
    row!(SIMD_permute, "AdvSIMD permute (UZP, TRN, ZIP)", "0Q001110 ss 0 mmmmm 0 ooo 10 nnnnn ddddd", simd),
    row!(SIMD_ext, "AdvSIMD extract (EXT)", "0Q101110 000 mmmmm 0 iiii 0 nnnnn ddddd", simd),
    row!(SIMD_tbl, "AdvSIMD table lookup (TBL, TBX)", "0Q001110 000 mmmmm 0 ll o 00 nnnnn ddddd", simd),
    row!(
        SIMD_modimm,
        "AdvSIMD modified immediate (MOVI, MVNI, ORR, BIC, FMOV)",
        "0Qo0111100000 abc cccc o 1 fffff ddddd",
        simd
    ),
    row!(SIMD_shift, "AdvSIMD shift by immediate", "0QU011110 hhhh bbb ooooo 1 nnnnn ddddd", simd),
    row!(SIMD_elem, "AdvSIMD vector x indexed element", "0QU01111 ss L M mmmm oooo H 0 nnnnn ddddd", simd),
    row!(SIMD_s3same, "AdvSIMD scalar three same", "01U11110 ss 1 mmmmm ooooo 1 nnnnn ddddd", simd),
    row!(
        SIMD_s3same_fp16,
        "AdvSIMD scalar three same FP16",
        "01U11110 a 10 mmmmm 00 ooo 1 nnnnn ddddd",
        simd
    ),
    row!(
        SIMD_s2misc_fp16,
        "AdvSIMD scalar two-register miscellaneous FP16",
        "01U11110 a 1111 00 ooooo 10 nnnnn ddddd",
        simd
    ),
    row!(
        SIMD_s3ext,
        "AdvSIMD scalar three-register extension (SQRDMLAH, SQRDMLSH)",
        "01U11110 ss 0 mmmmm 1 oooo 1 nnnnn ddddd",
        simd
    ),
    row!(
        SIMD_s3diff,
        "AdvSIMD scalar three different (SQDMLAL, SQDMLSL, SQDMULL)",
        "01U11110 ss 1 mmmmm oooo 00 nnnnn ddddd",
        simd
    ),
    row!(SIMD_selem, "AdvSIMD scalar x indexed element", "01U11111 ss L M mmmm oooo H 0 nnnnn ddddd", simd),
    row!(
        SIMD_s2misc,
        "AdvSIMD scalar two-register miscellaneous",
        "01U11110 ss 10000 ooooo 10 nnnnn ddddd",
        simd
    ),
    row!(
        SIMD_spair,
        "AdvSIMD scalar pairwise (ADDP, FADDP, FMAXP, ...)",
        "01U11110 ss 11000 ooooo 10 nnnnn ddddd",
        simd
    ),
    row!(
        SIMD_scopy,
        "AdvSIMD scalar copy (DUP element, MOV)",
        "01011110000 iiiii 0 0000 1 nnnnn ddddd",
        simd
    ),
    row!(Crypto_AES, "Cryptographic AES", "01001110 ss 10100 ooooo 10 nnnnn ddddd", simd),
    row!(Crypto_SHA3, "Cryptographic three-register SHA", "01011110 ss 0 mmmmm 0 ooo 00 nnnnn ddddd", simd),
    row!(Crypto_SHA2, "Cryptographic two-register SHA", "01011110 ss 10100 ooooo 10 nnnnn ddddd", simd),
    row!(SIMD_sshift, "AdvSIMD scalar shift by immediate", "01U111110 hhhh bbb ooooo 1 nnnnn ddddd", simd),
];

extern "C" fn simd_helper(state: *mut u8, form: u64, _: u64, _: u64, _: u64) -> u64 {
    // SAFETY: translated code passes the live A64State it runs on.
    let st = unsafe { &mut *(state as *mut A64State) };
    // The argument is a form `simd` packed from `simd_form::decode`, so it unpacks and runs.
    if let Some(f) = SimdForm::unpack(form) {
        simd_form::run(st, f);
    }
    0
}

fn simd(cx: &mut Ctx, w: u32) -> Flow {
    // FMLA/FMLS are IR only: the helper does not implement them.
    let mark = cx.b.len();
    if simd_fma::try_inline(cx, w) {
        return Flow::Next;
    }
    cx.b.truncate(mark);
    let Some(form) = simd_form::decode(w) else {
        return Flow::Unimplemented("AdvSIMD form not implemented");
    };
    let mark = cx.b.len();
    if simd_ir::try_inline(cx, w) {
        return Flow::Next;
    }
    cx.b.truncate(mark);
    let form = cx.imm(form.pack());
    cx.b.call_void(Helper { name: "a64_simd", func: simd_helper, touches_memory: false }, &[form]);
    Flow::Next
}
