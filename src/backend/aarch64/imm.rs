//! Which constants fit the immediate fields of A64 instructions.
//!
//! * Arithmetic (`add`, `sub`, `cmp`, `cmn`): a 12-bit unsigned value, optionally shifted
//!   left by 12.
//! * Logical (`and`, `orr`, `eor`, `tst`): a bitmask immediate, a rotated run of ones
//!   repeated in 2-, 4-, ..., 64-bit elements (never 0 or all-ones). The encoding (N, immr,
//!   imms) is dynasmrt's `encode_logical_immediate_*`, which the assembler itself uses.
//! * Moves: one `movz` or `movn` (a single non-trivial 16-bit chunk) or one `orr` from the
//!   zero register with a bitmask immediate.

/// `value` as an arithmetic immediate: `(imm12, shifted)`, meaning `imm12 << (12 if shifted)`.
pub(super) fn arith(value: u64) -> Option<(u32, bool)> {
    if value < 0x1000 {
        Some((value as u32, false))
    } else if value & 0xfff == 0 && value < 0x100_0000 {
        Some(((value >> 12) as u32, true))
    } else {
        None
    }
}

/// Whether `value` is a bitmask immediate of a 64-bit (`w64`) or 32-bit instruction (for
/// 32 bits, `value` must fit in 32 bits).
pub(super) fn logical(value: u64, w64: bool) -> bool {
    if w64 {
        dynasmrt::aarch64::encode_logical_immediate_64bit(value).is_some()
    } else {
        u32::try_from(value).is_ok_and(|v| dynasmrt::aarch64::encode_logical_immediate_32bit(v).is_some())
    }
}

/// Whether one `movz` or `movn` sets a register to `value`.
pub(super) fn wide_move(value: u64) -> bool {
    let chunks = (0..4).map(|i| (value >> (16 * i)) & 0xffff);
    let zero = chunks.clone().filter(|&c| c == 0).count();
    let ones = chunks.filter(|&c| c == 0xffff).count();
    zero >= 3 || ones >= 3
}

/// Whether one instruction sets a register to `value` (see [`super::Emitter::mov_imm`]).
pub(super) fn one_move(value: u64) -> bool {
    wide_move(value) || logical(value, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_immediates() {
        assert_eq!(arith(0), Some((0, false)));
        assert_eq!(arith(0xfff), Some((0xfff, false)));
        assert_eq!(arith(0x1000), Some((1, true)));
        assert_eq!(arith(0xfff000), Some((0xfff, true)));
        assert_eq!(arith(0x1001), None);
        assert_eq!(arith(0x100_0000), None);
        assert_eq!(arith(u64::MAX), None);
    }

    #[test]
    fn logical_immediates() {
        for v in
            [1, 0xff, 0xffff_0000, 0x5555_5555_5555_5555, 0x8000_0000_0000_0000, !1u64, 0x0f0f_0f0f_0f0f_0f0f]
        {
            assert!(logical(v, true), "{v:#x}");
        }
        for v in [0, u64::MAX, 0x1234, 0x8000_0000_0000_0005] {
            assert!(!logical(v, true), "{v:#x}");
        }
        assert!(logical(0xffff_fffe, false));
        assert!(!logical(0xffff_ffff, false));
        assert!(!logical(0x1_0000_0000, false), "wider than 32 bits");
    }

    #[test]
    fn single_moves() {
        for v in [0, 0x1234, 0x1234_0000, 0xffff_ffff_ffff_edcb, 0xff, 0x5555_5555_5555_5555] {
            assert!(one_move(v), "{v:#x}");
        }
        assert!(!one_move(0x12_3456));
    }
}
