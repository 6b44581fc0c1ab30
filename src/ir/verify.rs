//! `ir::verify`: the rules every block a frontend makes must keep, checked on every block in
//! debug builds and by the fuzz targets.

use super::{vector, Block, Exit, FpOp, FpPrec, FpRule, Op, Temp};

/// Checks the rules every frontend output must keep: temps defined once and before use, at
/// most four helper arguments, `Sqrt` reading one operand (`a == b`), `FpCvt` between
/// formats that convert, lane ops only on their
/// lane widths, vector and 64-bit temporaries where each belongs ([`vector::check`]), no `Branch` in `ExitIf`, no `Release` load or `Acquire` store. Run on every block in debug builds.
pub fn verify(block: &Block) -> Result<(), String> {
    let mut defined = vec![false; block.temps as usize];
    let check_use = |t: Temp, defined: &[bool], at: usize| -> Result<(), String> {
        match defined.get(t.0 as usize) {
            Some(true) => Ok(()),
            _ => Err(format!("op {at}: {t:?} used before it is defined")),
        }
    };
    for (i, op) in block.ops.iter().enumerate() {
        let mut err = Ok(());
        op.for_each_src(|t| {
            if err.is_ok() {
                err = check_use(t, &defined, i);
            }
        });
        err?;
        if let Op::CallHelper { args, .. } = op {
            if args.len() > 4 {
                return Err(format!("op {i}: helper with {} arguments", args.len()));
            }
        }
        if let Op::Fp { op: FpOp::Sqrt, a, b, .. } = op {
            if a != b {
                return Err(format!("op {i}: Sqrt with a different `a` and `b`"));
            }
        }
        if let Op::Fp { prec: FpPrec::F16, rule: FpRule::X86Sse, .. }
        | Op::FpFma { prec: FpPrec::F16, rule: FpRule::X86Sse, .. }
        | Op::FpCmp { prec: FpPrec::F16, .. } = op
        {
            return Err(format!("op {i}: half precision is only defined under the A64 rule"));
        }
        if let Op::FpCmp { rule: FpRule::A64, .. } | Op::FpCvt { rule: FpRule::A64, .. } = op {
            // A64 compares and conversions are still helper calls: no reference yet.
            return Err(format!("op {i}: FpCmp/FpCvt under the A64 rule is not defined yet"));
        }
        if let Op::FpCvt { from, to, .. } = op {
            if !from.converts_to(*to) {
                return Err(format!("op {i}: no conversion from {from:?} to {to:?}"));
            }
        }
        if let Op::Lanes { op, lane, .. } = op {
            if !op.has_lane(*lane) {
                return Err(format!("op {i}: {op:?} has no {}-bit lanes", lane.bits()));
            }
        }
        if let Op::MxcsrRun { len, .. } = op {
            if i + *len as usize >= block.ops.len() {
                return Err(format!("op {i}: MxcsrRun of {len} ops past the block's end"));
            }
        }
        if let Op::ProbeWrite { len, .. } = op {
            if !(2..=64).contains(len) {
                return Err(format!("op {i}: ProbeWrite of {len} bytes"));
            }
        }
        if let Op::ExitIf { exit: Exit::Branch { .. }, .. } = op {
            return Err(format!("op {i}: ExitIf with a Branch exit"));
        }
        match op {
            Op::Load { order, .. } | Op::VLoad { order, .. } if !order.fits_load() => {
                return Err(format!("op {i}: a {order:?} load"))
            }
            Op::Store { order, .. } | Op::VStore { order, .. } if !order.fits_store() => {
                return Err(format!("op {i}: a {order:?} store"))
            }
            _ => {}
        }
        if let Some(d) = op.dst() {
            match defined.get_mut(d.0 as usize) {
                Some(slot) if !*slot => *slot = true,
                Some(_) => return Err(format!("op {i}: {d:?} defined twice")),
                None => return Err(format!("op {i}: {d:?} beyond block.temps {}", block.temps)),
            }
        }
    }
    let mut err = Ok(());
    block.exit.for_each_src(|t| {
        if err.is_ok() {
            err = check_use(t, &defined, block.ops.len());
        }
    });
    err?;
    vector::check(block)
}
