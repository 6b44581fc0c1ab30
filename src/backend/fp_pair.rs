//! The two ops of one guest floating-point operation (`Op::Fp`, `Op::FpFma`, `Op::FpCmp`, `Op::FpCvt`):
//! the frontends emit the op for its value and, straight after, the same op for its exception
//! flags. A backend computes both in one go (one MXCSR switch on x86-64, one native operation
//! and one FPSR read on AArch64).

use crate::ir::{FpResult, Op, Temp};

/// The destinations of one floating-point operation: an op for its value, one for its
/// flags, or both when the two ops are adjacent with the same inputs.
#[derive(Clone, Copy, Default)]
pub(crate) struct FpDsts {
    pub value: Option<Temp>,
    pub flags: Option<Temp>,
}

impl FpDsts {
    pub fn of(result: FpResult, dst: Temp) -> FpDsts {
        match result {
            FpResult::Value => FpDsts { value: Some(dst), flags: None },
            FpResult::Flags => FpDsts { value: None, flags: Some(dst) },
        }
    }
}

/// The flags op that may be computed with `value` (the op after it), if it is one: the same
/// kind of op with the same operation and inputs, asking for the flags.
pub(crate) fn flags_partner(value: &Op, next: Option<&Op>) -> Option<Temp> {
    let flags_dst = match next? {
        Op::Fp { result: FpResult::Flags, dst, .. }
        | Op::FpFma { result: FpResult::Flags, dst, .. }
        | Op::FpCmp { result: FpResult::Flags, dst, .. }
        | Op::FpCvt { result: FpResult::Flags, dst, .. } => *dst,
        _ => return None,
    };
    let mut twin = value.clone();
    match &mut twin {
        Op::Fp { result: result @ FpResult::Value, dst, .. }
        | Op::FpFma { result: result @ FpResult::Value, dst, .. }
        | Op::FpCmp { result: result @ FpResult::Value, dst, .. }
        | Op::FpCvt { result: result @ FpResult::Value, dst, .. } => {
            *result = FpResult::Flags;
            *dst = flags_dst;
        }
        _ => return None,
    }
    (Some(&twin) == next).then_some(flags_dst)
}
