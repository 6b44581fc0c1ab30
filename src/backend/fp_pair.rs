//! The two `Op::Fp` of one guest floating-point operation: the frontends emit the op for its
//! value and, straight after, the same op for its exception flags. A backend computes both
//! in one go (one MXCSR switch on x86-64, one native operation and one FPSR read on AArch64).

use crate::ir::{FpResult, Op, Temp};

/// The destinations of one floating-point operation: an `Op::Fp` for its value, one for its
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

/// The flags op that may be computed with `value` (the op after it), if it is one.
pub(crate) fn flags_partner(value: &Op, next: Option<&Op>) -> Option<Temp> {
    match (value, next) {
        (
            Op::Fp { op, prec, rule, result: FpResult::Value, a, b, ctrl, .. },
            Some(Op::Fp {
                op: op2,
                prec: prec2,
                rule: rule2,
                result: FpResult::Flags,
                dst,
                a: a2,
                b: b2,
                ctrl: ctrl2,
            }),
        ) if (op, prec, rule, a, b, ctrl) == (op2, prec2, rule2, a2, b2, ctrl2) => Some(*dst),
        _ => None,
    }
}
