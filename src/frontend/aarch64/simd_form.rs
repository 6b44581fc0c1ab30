//! The decoded form of a helper-lowered AdvSIMD instruction: [`decode`] walks the encoding
//! tree of ARM ARM C4.1.96 once, at translation time, and produces a [`SimdForm`] (the row of
//! the AdvSIMD encoding tables, the operation within it, Q/U/size and the register numbers,
//! and the row's immediate) that packs into the helper's one u64 argument. At run time
//! [`run`] matches on the row, and the row's function on its operation: no field of the
//! instruction word is extracted again.
//!
//! Whether an encoding is implemented is decided in one place, [`decode`] returning `Some`,
//! without running anything: the rows' field checks (Q, size, which opcodes a row has) are
//! decode's ([`allocated`]; the FP rows' are the `*_op` functions of [`super::simd_fparith`]
//! and [`super::simd_fp`], which map the fields to the operation), and the rows' functions
//! rely on them instead of checking again.
//!
//! The saturating, doubling, dot-product and polynomial rows ([`super::simd_sat::decode`]) and
//! the cryptographic ones ([`super::crypto::decode`]) are decoded by their modules, which
//! decide their allocation rules there, in `decode`, as [`super::simd_fp::decode`] does for
//! its rows.

use super::fp_helpers::Ty;
use super::simd_helpers as h;
use super::{bit, bits, crypto, simd_fp, simd_fparith as fparith, simd_sat, A64State};

/// Defines [`SimdRow`] and [`ROWS`], its variants in discriminant order (which `unpack`
/// indexes), from one list.
macro_rules! simd_rows {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// A row of the AdvSIMD and cryptographic encoding tables (ARM ARM C4.1.96).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u8)]
        pub enum SimdRow {
            $($(#[$doc])* $name,)*
        }

        const ROWS: &[SimdRow] = &[$(SimdRow::$name,)*];
    };
}

simd_rows! {
    /// Advanced SIMD three same (integer and bitwise opcodes).
    ThreeSame,
    /// Advanced SIMD scalar three same (integer opcodes).
    ScalarThreeSame,
    /// Advanced SIMD three different (the non-saturating ones).
    ThreeDifferent,
    /// Advanced SIMD two-register miscellaneous (integer opcodes).
    TwoRegMisc,
    /// Advanced SIMD scalar two-register miscellaneous (integer opcodes).
    ScalarTwoRegMisc,
    /// Advanced SIMD across lanes (integer opcodes).
    AcrossLanes,
    /// Advanced SIMD copy: DUP, INS, UMOV, SMOV.
    Copy,
    /// Advanced SIMD scalar copy: DUP (element).
    ScalarCopy,
    /// Advanced SIMD permute: UZP, TRN, ZIP.
    Permute,
    /// Advanced SIMD table lookup: TBL, TBX.
    TableLookup,
    /// Advanced SIMD extract: EXT.
    Extract,
    /// Advanced SIMD vector x indexed element: MUL, MLA, MLS, the long forms, FMUL.
    VectorXIndexedElement,
    /// Advanced SIMD modified immediate: MOVI, MVNI, ORR, BIC, FMOV.
    ModifiedImmediate,
    /// Advanced SIMD shift by immediate (the non-saturating ones).
    ShiftByImmediate,
    /// Advanced SIMD scalar shift by immediate (the non-saturating ones).
    ScalarShiftByImmediate,
    /// Advanced SIMD scalar pairwise: ADDP.
    ScalarPairwise,
    /// Three same and scalar three same, the saturating, rounding, halving-subtract,
    /// absolute-difference-accumulate and polynomial opcodes (`simd_sat`).
    SatThreeSame,
    /// Three different and scalar three different: SQDMLAL, SQDMLSL, SQDMULL, RADDHN,
    /// RSUBHN, PMULL (`simd_sat`).
    SatThreeDifferent,
    /// Two-register miscellaneous and its scalar row: SUQADD, USQADD, SQABS, SQNEG, scalar
    /// SQXTN/UQXTN/SQXTUN (`simd_sat`).
    SatTwoRegMisc,
    /// Advanced SIMD three same extra and its scalar row: SQRDMLAH, SQRDMLSH, SDOT, UDOT
    /// (`simd_sat`).
    ThreeSameExtra,
    /// Vector and scalar x indexed element: SQDMULH, SQRDMULH, SQRDMLAH, SQRDMLSH, SQDMLAL,
    /// SQDMLSL, SQDMULL, SDOT, UDOT, scalar FMUL (`simd_sat`).
    SatXIndexedElement,
    /// Shift by immediate and its scalar row, the saturating opcodes (`simd_sat`; `size`
    /// holds the element size from immh).
    SatShiftByImmediate,
    /// Cryptographic AES: AESE, AESD, AESMC, AESIMC (`crypto`).
    CryptoAes,
    /// Cryptographic three-register SHA: SHA1C/P/M/SU0, SHA256H/H2/SU1 (`crypto`).
    CryptoThreeRegSha,
    /// Cryptographic two-register SHA: SHA1H, SHA1SU1, SHA256SU0 (`crypto`).
    CryptoTwoRegSha,
    /// Three same and scalar three same, the floating-point opcodes `simd_fparith` has
    /// (with `half`, also the FP16 rows').
    FpThreeSame,
    /// Two-register miscellaneous (vector and scalar), floating-point opcodes.
    FpTwoRegMisc,
    /// Across lanes, floating-point opcodes.
    FpAcrossLanes,
    /// Scalar pairwise, floating-point opcodes.
    FpScalarPairwise,
    /// Three same and scalar three same (and FP16), the floating-point opcodes `simd_fp` has:
    /// FMULX, FRECPS, FRSQRTS, FACGE, FACGT.
    FpThreeSameStep,
    /// Two-register miscellaneous and its scalar row (and FP16), the floating-point opcodes
    /// `simd_fp` has: FRINT*, FCVT[NMAP][SU], FCVTXN, FRECPE, FRSQRTE, URECPE, URSQRTE, FRECPX.
    FpTwoRegMiscConvert,
    /// Vector and scalar x indexed element: FMULX (`simd_fp`).
    FpXIndexedElement,
    /// Shift by immediate and its scalar row, the conversions between floating point and
    /// fixed point: SCVTF, UCVTF, FCVTZS, FCVTZU (`simd_fp`).
    FpShiftByImmediate,
}

/// One decoded AdvSIMD instruction. `opc` is the row's opcode field (for permute the 3-bit
/// opcode, for modified immediate cmode, for table lookup the op bit), `u` the U bit (op for
/// copy and modified immediate), `scalar` the scalar bit (28). `imm` is the row's immediate:
/// immh:immb for the shifts, imm4:imm5 for copy, o2:imm8 for modified immediate, imm4 for
/// EXT, the table length for TBL/TBX, the element index for by element (whose `rm` is then
/// the register the index selects from).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimdForm {
    pub row: SimdRow,
    pub q: bool,
    pub u: bool,
    pub scalar: bool,
    pub size: u32,
    pub opc: u32,
    pub rd: u32,
    pub rn: u32,
    pub rm: u32,
    /// Half precision (FEAT_FP16) for the floating-point rows.
    pub half: bool,
    pub imm: u32,
}

impl SimdForm {
    /// The helper's argument: row in bits 0-5, Q, U, scalar in 6-8, size in 9-10, opc in
    /// 11-15, rd, rn, rm in 16-30, half in 31, imm in 32-63.
    pub fn pack(self) -> u64 {
        self.row as u64
            | (self.q as u64) << 6
            | (self.u as u64) << 7
            | (self.scalar as u64) << 8
            | (self.size as u64) << 9
            | (self.opc as u64) << 11
            | (self.rd as u64) << 16
            | (self.rn as u64) << 21
            | (self.rm as u64) << 26
            | (self.half as u64) << 31
            | (self.imm as u64) << 32
    }

    /// The inverse of [`SimdForm::pack`]; `None` for a row number that no form packs.
    pub fn unpack(x: u64) -> Option<SimdForm> {
        let field = |lo: u32, len: u32| (x >> lo) as u32 & ((1 << len) - 1);
        Some(SimdForm {
            row: *ROWS.get(field(0, 6) as usize)?,
            q: field(6, 1) == 1,
            u: field(7, 1) == 1,
            scalar: field(8, 1) == 1,
            size: field(9, 2),
            opc: field(11, 5),
            rd: field(16, 5),
            rn: field(21, 5),
            rm: field(26, 5),
            half: field(31, 1) == 1,
            imm: (x >> 32) as u32,
        })
    }
}

/// Decodes the AdvSIMD word `w` into the form the helper runs, or `None` for an encoding
/// that is not implemented or is unallocated.
pub fn decode(w: u32) -> Option<SimdForm> {
    if let Some(c) = fparith::half_form(w) {
        return half(c);
    }
    if let Some(form) = simd_sat::decode(w) {
        return Some(form);
    }
    if let Some(form) = simd_fp::decode(w) {
        return Some(form);
    }
    if let Some(form) = crypto::decode(w) {
        return Some(form);
    }
    let form = classify(w)?;
    allocated(form).then_some(form)
}

/// Whether the form [`classify`] or [`half`] made is an encoding its row implements: the
/// rows' field checks (Q, size, the opcodes each row has), which their functions rely on
/// (they do not check again; a form this rejects `decode` never produces).
fn allocated(f: SimdForm) -> bool {
    use SimdRow::*;
    let SimdForm { q, u, size, opc, imm, .. } = f;
    match f.row {
        ThreeSame | ScalarThreeSame => three_same_ok(f),
        ThreeDifferent => {
            size != 3
                && match opc {
                    0b0000..=0b0011 | 0b0101 | 0b0111 | 0b1000 | 0b1010 | 0b1100 => true,
                    // ADDHN, SUBHN (U set: the rounding RADDHN, RSUBHN are not here).
                    0b0100 | 0b0110 => !u,
                    _ => false,
                }
        }
        TwoRegMisc | ScalarTwoRegMisc => two_reg_misc_ok(f),
        // ADDV, SMAXV, UMAXV, SMINV, UMINV, SADDLV, UADDLV; no .2s and no 64-bit lanes.
        AcrossLanes => {
            size != 3
                && (size != 2 || q)
                && matches!((u, opc), (false, 0b11011) | (_, 0b01010 | 0b11010 | 0b00011))
        }
        Copy => copy_ok(f),
        ScalarCopy => h::imm5_elem(imm).is_some(),
        // UZP1/2, TRN1/2, ZIP1/2 (opcode bits 1:0 nonzero); no .1d.
        Permute => (size != 3 || q) && opc & 3 != 0,
        TableLookup => true,
        Extract => q || imm < 8,
        VectorXIndexedElement => by_element_ok(f),
        ModifiedImmediate => modified_imm_ok(f),
        ShiftByImmediate | ScalarShiftByImmediate => shift_ok(f),
        ScalarPairwise => size == 3 && opc == 0b11011,
        FpThreeSame => fparith::three_same_op(f).is_some(),
        FpTwoRegMisc => fparith::two_reg_misc_op(f).is_some(),
        FpAcrossLanes => fparith::across_lanes_op(f).is_some(),
        FpScalarPairwise => fparith::scalar_pairwise_op(f).is_some(),
        FpThreeSameStep | FpTwoRegMiscConvert | FpXIndexedElement | FpShiftByImmediate => {
            simd_fp::allocated(f)
        }
        // Made and checked by `simd_sat::decode` and `crypto::decode`, never by `classify`.
        SatThreeSame | SatThreeDifferent | SatTwoRegMisc | ThreeSameExtra | SatXIndexedElement
        | SatShiftByImmediate | CryptoAes | CryptoThreeRegSha | CryptoTwoRegSha => false,
    }
}

/// Whether the scalar group has three same opcode `opc` (the vector group has them all): it
/// has only some, with 64-bit elements where marked.
fn scalar_three_same_ok(f: SimdForm) -> bool {
    let SimdForm { u, size, opc, scalar, .. } = f;
    !scalar
        || match opc {
            0b10000 | 0b00110 | 0b00111 | 0b10001 | 0b01000 => size == 3,
            0b00001 | 0b00101 => true,
            0b11010 => u && size >= 2,
            0b11100 => size < 2 || u,
            _ => false,
        }
}

/// Whether the scalar group has two-register miscellaneous opcode `opc` (the vector group
/// has them all).
fn scalar_two_reg_misc_ok(f: SimdForm) -> bool {
    let SimdForm { u, size, opc, scalar, .. } = f;
    !scalar
        || match opc {
            0b01000..=0b01011 => size == 3 && !(u && opc == 0b01010),
            0b11011 | 0b01100 | 0b01101 | 0b01110 => size >= 2,
            0b11101 => size < 2,
            _ => false,
        }
}

/// Three same and scalar three same, the integer and bitwise opcodes `simd_helpers` has:
/// the scalar group's subset, no .1d, and the opcodes without 64-bit lanes.
fn three_same_ok(f: SimdForm) -> bool {
    let SimdForm { q, u, size, opc, scalar, .. } = f;
    if !scalar_three_same_ok(f) {
        return false;
    }
    // AND, BIC, ORR, ORN, EOR, BSL, BIT, BIF: any size, any Q.
    if opc == 0b00011 {
        return true;
    }
    if size == 3 && !q && !scalar {
        return false;
    }
    match (u, opc) {
        // ADD/SUB, CMGT/CMHI, CMGE/CMHS, CMTST/CMEQ, SSHL/USHL, ADDP, [SU]Q{ADD,SUB}.
        (_, 0b10000 | 0b00110 | 0b00111 | 0b10001 | 0b01000 | 0b00001 | 0b00101) | (false, 0b10111) => true,
        // MUL, [SU]MAXP/[SU]MINP, [SU]MAX/[SU]MIN, MLA/MLS, [SU]ABD, [SU]HADD, [SU]RHADD.
        (false, 0b10011)
        | (_, 0b10100 | 0b10101 | 0b01100 | 0b01101 | 0b10010 | 0b01110 | 0b00000 | 0b00010) => size != 3,
        _ => false,
    }
}

/// Two-register miscellaneous and its scalar row, the integer opcodes `simd_helpers` has.
fn two_reg_misc_ok(f: SimdForm) -> bool {
    let SimdForm { q, u, size, opc, scalar, .. } = f;
    if !scalar_two_reg_misc_ok(f) {
        return false;
    }
    // SHLL, SHLL2.
    if u && opc == 0b10011 && size != 3 {
        return true;
    }
    // No .1d, except for the narrowing forms (whose size is the narrow one).
    if size == 3 && !q && !scalar && !matches!(opc, 0b10010 | 0b10100) {
        return false;
    }
    match (u, opc) {
        // REV64, REV32, REV16: the elements smaller than the container.
        (false, 0b00000) => size < 3,
        (true, 0b00000) => size < 2,
        (false, 0b00001) => size == 0,
        // CNT; NOT (size 0), RBIT (size 1).
        (false, 0b00101) => size == 0,
        (true, 0b00101) => size <= 1,
        // CMGT, CMGE, CMEQ, CMLE, CMLT (zero), ABS, NEG.
        (_, 0b01000 | 0b01001 | 0b01011) | (false, 0b01010) => true,
        // CLS, CLZ, [SU]ADDLP, [SU]ADALP, XTN, SQXTUN, SQXTN, UQXTN.
        (_, 0b00100 | 0b00010 | 0b00110 | 0b10010 | 0b10100) => size != 3,
        _ => false,
    }
}

/// Copy: DUP (element, general) has no .1d, INS (general, element) and UMOV/SMOV's 64-bit
/// forms need Q set, SMOV's 32-bit ones Q clear with 8- or 16-bit elements.
fn copy_ok(f: SimdForm) -> bool {
    let (imm5, imm4, q) = (f.imm & 31, f.imm >> 5, f.q);
    let Some((esize, _)) = h::imm5_elem(imm5) else { return false };
    if f.u {
        // INS (element).
        return q;
    }
    match imm4 {
        0b0000 | 0b0001 => esize != 64 || q,
        0b0011 => q,
        // SMOV, UMOV.
        0b0101 => esize <= if q { 32 } else { 16 },
        0b0111 => {
            if q {
                esize == 64
            } else {
                esize <= 32
            }
        }
        _ => false,
    }
}

/// Vector x indexed element: FMUL (no .1d) and the integer MUL, MLA, MLS and long forms
/// (16- and 32-bit elements).
fn by_element_ok(f: SimdForm) -> bool {
    let SimdForm { q, u, size, opc, .. } = f;
    if !u && opc == 0b1001 && size != 1 {
        return size != 3 || q;
    }
    (size == 1 || size == 2)
        && matches!((u, opc), (false, 0b1000) | (true, 0b0000 | 0b0100) | (_, 0b1010 | 0b0010 | 0b0110))
}

/// Modified immediate: every cmode but 1111 with op set, which is FMOV (double) with Q set
/// only; o2 (`imm` bit 8) only with FMOV (half).
fn modified_imm_ok(f: SimdForm) -> bool {
    let (op, cmode, half) = (f.u, f.opc, f.imm >> 8 & 1 == 1);
    if half {
        return !op && cmode == 0b1111;
    }
    cmode != 0b1111 || !op || f.q
}

/// Shift by immediate and its scalar row, the opcodes `simd_helpers` has: SSHR/USHR,
/// SSRA/USRA, SRSHR/URSHR, SRSRA/URSRA, SHL, SLI, SRI (scalar: 64-bit only), SHRN/RSHRN and
/// SSHLL/USHLL (vector, not from 64-bit elements).
fn shift_ok(f: SimdForm) -> bool {
    let SimdForm { q, u, opc, scalar, imm, .. } = f;
    let immh = imm >> 3;
    let narrow_or_long = matches!(opc, 0b10000 | 0b10001 | 0b10100);
    if scalar && (immh < 8 || narrow_or_long) {
        return false;
    }
    if narrow_or_long {
        // SQSHRUN / SQRSHRUN (U set) are not here.
        return immh < 8 && (opc == 0b10100 || !u);
    }
    if immh >= 8 && !q && !scalar {
        return false;
    }
    matches!((u, opc), (_, 0b00000 | 0b00010 | 0b00100 | 0b00110 | 0b01010) | (true, 0b01000))
}

/// A FEAT_FP16 three same or two-register miscellaneous form, `c` its single-precision word
/// ([`fparith::half_form`]), with `half` set: FMULX, FRECPS, FRSQRTS, FACGE, FACGT and FRINT*,
/// FCVT*, the estimates and FRECPX are `simd_fp`'s rows, the rest the FP rows'; the scalar
/// classes have only some of the vector opcodes.
fn half(c: u32) -> Option<SimdForm> {
    use SimdRow::*;
    let (scalar, u, hi) = (bit(c, 28), bit(c, 29), bit(c, 23));
    let half = |row, opc| SimdForm { half: true, ..fields(c, row, opc, 0) };
    let form = if bit(c, 10) {
        let opc = bits(c, 11, 5);
        let step = half(FpThreeSameStep, opc);
        if simd_fp::allocated(step) {
            return Some(step);
        }
        // FABD, FCMEQ, FCMGE, FCMGT are the scalar forms here.
        if scalar && opc != 0b11100 && (u, hi, opc) != (true, true, 0b11010) {
            return None;
        }
        half(FpThreeSame, opc)
    } else {
        // No scalar FABS, FNEG, FSQRT (FP data-processing has them); FRECPX is scalar only.
        let opc = bits(c, 12, 5);
        if scalar && (opc == 0b01111 || (u && opc == 0b11111)) {
            return None;
        }
        let convert = half(FpTwoRegMiscConvert, opc);
        if simd_fp::allocated(convert) {
            return Some(convert);
        }
        half(FpTwoRegMisc, opc)
    };
    allocated(form).then_some(form)
}

/// The fields every row has in the same place, with the row's opcode and immediate.
pub(super) fn fields(w: u32, row: SimdRow, opc: u32, imm: u32) -> SimdForm {
    SimdForm {
        row,
        q: bit(w, 30),
        u: bit(w, 29),
        scalar: bit(w, 28),
        size: bits(w, 22, 2),
        opc,
        rd: bits(w, 0, 5),
        rn: bits(w, 5, 5),
        rm: bits(w, 16, 5),
        half: false,
        imm,
    }
}

/// The row of a word none of the family decoders (`simd_sat`, `simd_fp`, `crypto`) claimed,
/// with its fields.
fn classify(w: u32) -> Option<SimdForm> {
    use SimdRow::*;
    let f = |row, opc, imm| Some(fields(w, row, opc, imm));
    let scalar = bit(w, 28);
    let (u, size) = (bit(w, 29), bits(w, 22, 2));
    let three_same = || {
        let opc = bits(w, 11, 5);
        match (opc >= 0b11000, scalar) {
            (true, _) if !scalar_three_same_ok(fields(w, FpThreeSame, opc, 0)) => None,
            (true, _) => f(FpThreeSame, opc, 0),
            (false, false) => f(ThreeSame, opc, 0),
            (false, true) => f(ScalarThreeSame, opc, 0),
        }
    };
    let two_reg_misc = || {
        let opc = bits(w, 12, 5);
        let fp = opc >= 0b10110 || (0b01100..=0b01111).contains(&opc);
        match (fp, scalar) {
            (true, _) if !scalar_two_reg_misc_ok(fields(w, FpTwoRegMisc, opc, 0)) => None,
            (true, _) => f(FpTwoRegMisc, opc, 0),
            (false, false) => f(TwoRegMisc, opc, 0),
            (false, true) => f(ScalarTwoRegMisc, opc, 0),
        }
    };
    let shift = |row| f(row, bits(w, 11, 5), bits(w, 16, 7));
    match bits(w, 24, 5) {
        0b01110 => {
            if bit(w, 21) {
                match bits(w, 10, 2) {
                    0b01 | 0b11 => three_same(),
                    0b00 => f(ThreeDifferent, bits(w, 12, 4), 0),
                    _ => match bits(w, 17, 4) {
                        0b0000 => two_reg_misc(),
                        0b1000 => {
                            let opc = bits(w, 12, 5);
                            if matches!(opc, 0b01100 | 0b01111) && (u || size & 1 == 0) {
                                // U clear: half precision.
                                Some(SimdForm { half: !u, ..fields(w, FpAcrossLanes, opc, 0) })
                            } else {
                                f(AcrossLanes, opc, 0)
                            }
                        }
                        _ => None,
                    },
                }
            } else if bits(w, 21, 3) == 0 && bit(w, 10) && !bit(w, 15) {
                f(Copy, 0, bits(w, 11, 4) << 5 | bits(w, 16, 5))
            } else if !bit(w, 29) && !bit(w, 15) && bits(w, 10, 2) == 0b10 {
                f(Permute, bits(w, 12, 3), 0)
            } else if !bit(w, 29) && bits(w, 21, 3) == 0 && !bit(w, 15) && bits(w, 10, 2) == 0 {
                f(TableLookup, bits(w, 12, 1), bits(w, 13, 2) + 1)
            } else if bit(w, 29) && bits(w, 21, 3) == 0 && !bit(w, 15) && !bit(w, 10) {
                f(Extract, 0, bits(w, 11, 4))
            } else {
                None
            }
        }
        0b01111 => {
            if !bit(w, 10) {
                by_element(w)
            } else if bits(w, 19, 4) == 0 {
                f(
                    ModifiedImmediate,
                    bits(w, 12, 4),
                    bits(w, 11, 1) << 8 | bits(w, 16, 3) << 5 | bits(w, 5, 5),
                )
            } else {
                shift(ShiftByImmediate)
            }
        }
        0b11110 if bit(w, 30) && !bit(w, 31) => {
            if bit(w, 21) && bit(w, 10) {
                three_same()
            } else if bit(w, 21) && bits(w, 10, 2) == 0b10 && bits(w, 17, 4) == 0 {
                two_reg_misc()
            } else if bit(w, 21) && bits(w, 10, 2) == 0b10 && bits(w, 17, 4) == 0b1000 {
                // U clear with size<0> clear: half precision.
                let opc = bits(w, 12, 5);
                if u || size & 1 == 0 {
                    Some(SimdForm { half: !u, ..fields(w, FpScalarPairwise, opc, 0) })
                } else {
                    f(ScalarPairwise, opc, 0)
                }
            } else if bits(w, 21, 3) == 0 && !bit(w, 29) && bits(w, 10, 6) == 0b000001 {
                f(ScalarCopy, 0, bits(w, 16, 5))
            } else {
                None
            }
        }
        0b11111 if bit(w, 30) && !bit(w, 31) && bit(w, 10) && bits(w, 19, 4) != 0 => {
            shift(ScalarShiftByImmediate)
        }
        _ => None,
    }
}

/// Vector x indexed element: the element index and the register it selects from, which
/// depend on the element size (H:L:M with a 4-bit Rm for 16-bit elements, H:L with M:Rm
/// for 32-bit ones, H for FMUL's 64-bit ones).
fn by_element(w: u32) -> Option<SimdForm> {
    let (u, size, opc) = (bit(w, 29), bits(w, 22, 2), bits(w, 12, 4));
    let (l, m, rm4, hi) = (bits(w, 21, 1), bits(w, 20, 1), bits(w, 16, 4), bits(w, 11, 1));
    let (index, rm) = if !u && opc == 0b1001 && size != 1 {
        let (_, index, rm) = fparith::by_element_operand(w)?;
        (index, rm)
    } else {
        match size {
            1 => (hi << 2 | l << 1 | m, rm4),
            2 => (hi << 1 | l, m << 4 | rm4),
            _ => return None,
        }
    };
    Some(SimdForm { rm, ..fields(w, SimdRow::VectorXIndexedElement, opc, index) })
}

/// FMUL (by element)'s lane type from the size field [`by_element`] accepted.
pub(super) fn fmul_elem_ty(size: u32) -> Ty {
    match size {
        0 => Ty::H,
        2 => Ty::S,
        _ => Ty::D,
    }
}

/// Executes the decoded form on `st`. Returns false (having changed nothing) for a form the
/// row does not implement; [`decode`] only produces forms for which it returns true.
pub fn run(st: &mut A64State, f: SimdForm) -> bool {
    use SimdRow::*;
    match f.row {
        ThreeSame | ScalarThreeSame => h::three_same(st, f),
        ThreeDifferent => h::three_different(st, f),
        TwoRegMisc | ScalarTwoRegMisc => h::two_reg_misc(st, f),
        AcrossLanes => h::across_lanes(st, f),
        Copy => h::copy(st, f),
        ScalarCopy => h::scalar_dup(st, f),
        Permute => h::permute(st, f),
        TableLookup => h::table(st, f),
        Extract => h::extract(st, f),
        VectorXIndexedElement => h::by_element(st, f),
        ModifiedImmediate => h::modified_imm(st, f),
        ShiftByImmediate | ScalarShiftByImmediate => h::shift_imm(st, f),
        ScalarPairwise => h::scalar_pairwise(st, f),
        SatThreeSame | SatThreeDifferent | SatTwoRegMisc | ThreeSameExtra | SatXIndexedElement
        | SatShiftByImmediate => simd_sat::run(st, f),
        CryptoAes | CryptoThreeRegSha | CryptoTwoRegSha => crypto::run(st, f),
        FpThreeSame => fparith::three_same(st, f),
        FpTwoRegMisc => fparith::two_reg_misc(st, f),
        FpAcrossLanes => fparith::across_lanes(st, f),
        FpScalarPairwise => fparith::scalar_pairwise(st, f),
        FpThreeSameStep => simd_fp::three_same(st, f),
        FpTwoRegMiscConvert => simd_fp::two_reg_misc(st, f),
        FpXIndexedElement => simd_fp::by_element(st, f),
        FpShiftByImmediate => simd_fp::fixed_point(st, f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_packs_and_unpacks() {
        assert!(ROWS.len() <= 64, "the row number is packed in 6 bits");
        for (i, &row) in ROWS.iter().enumerate() {
            assert_eq!(row as usize, i);
            let f = SimdForm {
                row,
                q: i % 2 == 0,
                u: i % 3 == 0,
                scalar: i % 5 == 0,
                size: i as u32 & 3,
                opc: 31 - i as u32 % 32,
                rd: i as u32 % 32,
                rn: 31,
                rm: (i as u32 + 7) % 32,
                half: i % 7 == 0,
                imm: 0xdead_0000 | i as u32,
            };
            assert_eq!(SimdForm::unpack(f.pack()), Some(f));
        }
        assert_eq!(SimdForm::unpack(ROWS.len() as u64), None);
    }

    #[test]
    fn random_words_never_panic() {
        let mut st = A64State::default();
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..300_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            // Force the AdvSIMD data-processing space (vector, or scalar with bit 31 clear and
            // bit 30 set) so most words reach a row.
            let w = (s as u32 & !(0x1f << 24)) | if s >> 40 & 1 == 1 { 0b01110 << 24 } else { 0b01111 << 24 };
            let w = if s >> 41 & 3 == 0 { (w & !(1 << 31)) | 1 << 30 | 1 << 28 } else { w };
            for (i, r) in st.vreg.iter_mut().enumerate() {
                *r = [s.rotate_left(i as u32), !s];
            }
            if let Some(f) = decode(w) {
                assert_eq!(SimdForm::unpack(f.pack()), Some(f));
                assert!(run(&mut st, f), "{w:#010x} decoded to {f:?} but does not run");
            }
        }
    }
}
