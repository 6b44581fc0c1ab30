//! The text form of IR blocks, for `--stats`-style listings, test failures and golden files.
//!
//! ```text
//! block 0x401000 (2 insns, 7 bytes)
//!   ; 0x401000 len 3
//!   t0 = state.w64[32]
//!   t1 = add.w32 t0, t2
//!   exit branch t3 ? 0x401010 : 0x401007
//! ```

use super::*;
use std::fmt::{self, Display, Formatter};

fn w(width: &Width) -> u32 {
    width.bits()
}

/// `""` for a plain access, else `.acq`, `.rel` or `.sc`.
fn order_suffix(order: MemOrder) -> &'static str {
    match order {
        MemOrder::Plain => "",
        MemOrder::Acquire => ".acq",
        MemOrder::Release => ".rel",
        MemOrder::SeqCst => ".sc",
    }
}

impl Display for Exit {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Exit::Jump(t) => write!(f, "jump {t}"),
            Exit::Branch { cond, taken, not_taken } => write!(f, "branch {cond:?} ? {taken} : {not_taken}"),
            Exit::Indirect(t) => write!(f, "indirect {t:?}"),
            Exit::Return(t) => write!(f, "return {t:?}"),
            Exit::Syscall { next } => write!(f, "syscall, then {next}"),
            Exit::Invalidate { next } => write!(f, "invalidate translations, then {next}"),
            Exit::Trap { kind, pc, message } => {
                write!(f, "trap {kind:?} at {pc}")?;
                if let Some(m) = message {
                    write!(f, " ({m})")?;
                }
                Ok(())
            }
        }
    }
}

impl Display for Op {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let lower = |d: &dyn fmt::Debug| format!("{d:?}").to_lowercase();
        match self {
            Op::GuestInsn { pc, len } => write!(f, "; {pc} len {len}"),
            Op::Const { dst, value } => write!(f, "{dst:?} = {value:#x}"),
            Op::LoadState { dst, offset, width } => write!(f, "{dst:?} = state.w{}[{}]", w(width), offset.0),
            Op::StoreState { offset, src, width } => write!(f, "state.w{}[{}] = {src:?}", w(width), offset.0),
            Op::StateAtFault { offset, src, width } => {
                write!(f, "at fault: state.w{}[{}] = {src:?}", w(width), offset.0)
            }
            Op::Load { dst, addr, width, order } => {
                write!(f, "{dst:?} = load{}.w{} [{addr:?}]", order_suffix(*order), w(width))
            }
            Op::Store { addr, src, width, order } => {
                write!(f, "store{}.w{} [{addr:?}] = {src:?}", order_suffix(*order), w(width))
            }
            Op::Bin { op, dst, a, b, width } => {
                write!(f, "{dst:?} = {}.w{} {a:?}, {b:?}", lower(op), w(width))
            }
            Op::Un { op, dst, a, width } => write!(f, "{dst:?} = {}.w{} {a:?}", lower(op), w(width)),
            Op::Ext { dst, a, from, signed } => {
                write!(f, "{dst:?} = {}ext.w{} {a:?}", if *signed { "s" } else { "z" }, w(from))
            }
            Op::Cmp { op, dst, a, b, width } => {
                write!(f, "{dst:?} = cmp.{}.w{} {a:?}, {b:?}", lower(op), w(width))
            }
            Op::Select { dst, cond, if_true, if_false } => {
                write!(f, "{dst:?} = select {cond:?} ? {if_true:?} : {if_false:?}")
            }
            Op::AtomicRmw { op, dst, addr, src, width } => {
                write!(f, "{dst:?} = atomic.{}.w{} [{addr:?}], {src:?}", lower(op), w(width))
            }
            Op::CompareExchange { dst, addr, expected, new, width } => {
                write!(f, "{dst:?} = cmpxchg.w{} [{addr:?}], {expected:?} -> {new:?}", w(width))
            }
            Op::Fence => write!(f, "fence"),
            Op::MxcsrRun { mxcsr, len } => write!(f, "mxcsr_run {mxcsr:?}, {len} ops"),
            Op::ProbeWrite { addr, len } => write!(f, "probe_write.{len} [{addr:?}]"),
            Op::VLoadState { dst, offset } => write!(f, "{dst:?} = state.v128[{}]", offset.0),
            Op::VStoreState { offset, src } => write!(f, "state.v128[{}] = {src:?}", offset.0),
            Op::VLoad { dst, addr, order } => {
                write!(f, "{dst:?} = load{}.v128 [{addr:?}]", order_suffix(*order))
            }
            Op::VStore { addr, src, order } => {
                write!(f, "store{}.v128 [{addr:?}] = {src:?}", order_suffix(*order))
            }
            Op::VPack { dst, lo, hi } => write!(f, "{dst:?} = v128 {hi:?}:{lo:?}"),
            Op::VHalf { dst, src, high } => {
                write!(f, "{dst:?} = {}.v128 {src:?}", if *high { "hi" } else { "lo" })
            }
            Op::VBit { op, dst, a, b } => write!(f, "{dst:?} = {}.v128 {a:?}, {b:?}", lower(op)),
            Op::VLanes { op, lane, dst, a, b } => {
                write!(f, "{dst:?} = vlanes.{}.w{} {a:?}, {b:?}", lower(op), w(lane))
            }
            Op::VShift { op, lane, dst, a, count } => {
                write!(f, "{dst:?} = vlanes.{}.w{} {a:?}, {count}", lower(op), w(lane))
            }
            Op::Lanes { op, lane, dst, a, b } => {
                write!(f, "{dst:?} = lanes.{}.w{} {a:?}, {b:?}", lower(op), w(lane))
            }
            Op::Fp { op, prec, rule, result, dst, a, b, ctrl } => {
                let flags = if *result == FpResult::Flags { ".flags" } else { "" };
                let (prec, rule) = (lower(prec), lower(rule));
                write!(f, "{dst:?} = f{}.{prec}.{rule}{flags} {a:?}, {b:?} ctrl {ctrl:?}", lower(op))
            }
            Op::FpFma { prec, rule, result, neg, dst, a, b, c, ctrl } => {
                let flags = if *result == FpResult::Flags { ".flags" } else { "" };
                let (prec, rule) = (lower(prec), lower(rule));
                let np = if neg.product { ".negprod" } else { "" };
                let na = if neg.addend { ".negadd" } else { "" };
                write!(f, "{dst:?} = ffma.{prec}.{rule}{np}{na}{flags} {a:?}, {b:?}, {c:?} ctrl {ctrl:?}")
            }
            Op::FpCmp { op, prec, rule, result, dst, a, b, ctrl } => {
                let flags = if *result == FpResult::Flags { ".flags" } else { "" };
                let (op, prec, rule) = (lower(op), lower(prec), lower(rule));
                write!(f, "{dst:?} = fcmp.{op}.{prec}.{rule}{flags} {a:?}, {b:?} ctrl {ctrl:?}")
            }
            Op::FpCvt { from, to, round, rule, result, dst, a, ctrl } => {
                let flags = if *result == FpResult::Flags { ".flags" } else { "" };
                let round = if *round == CvtRound::Zero { ".trunc" } else { "" };
                let (from, to, rule) = (lower(from), lower(to), lower(rule));
                write!(f, "{dst:?} = fcvt.{from}.{to}{round}.{rule}{flags} {a:?} ctrl {ctrl:?}")
            }
            Op::CallHelper { dst, helper, args } => {
                if let Some(d) = dst {
                    write!(f, "{d:?} = ")?;
                }
                write!(f, "call {}(", helper.name)?;
                for (i, a) in args.iter().enumerate() {
                    write!(f, "{}{a:?}", if i > 0 { ", " } else { "" })?;
                }
                write!(f, ")")
            }
            Op::ExitIf { cond, exit } => write!(f, "if {cond:?}: exit {exit}"),
        }
    }
}

impl Display for Block {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(f, "block {} ({} insns, {} bytes)", self.start, self.guest_insns, self.guest_len)?;
        for op in &self.ops {
            writeln!(f, "  {op}")?;
        }
        writeln!(f, "  exit {}", self.exit)?;
        for d in &self.dead_on_entry {
            let bytes: Vec<String> = d.bytes.iter().map(|b| b.0.to_string()).collect();
            writeln!(f, "  dead on entry at {}: state bytes {}", d.target, bytes.join(" "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_a_block() {
        let mut b = Builder::new();
        b.guest_insn(GuestAddr(0x1000), 3);
        let x = b.load_state(StateOffset(32), Width::W64);
        let y = b.bin_imm(BinOp::Add, x, 1, Width::W32);
        let block = b.finish(GuestAddr(0x1000), 3, 1, Exit::Indirect(y));
        assert_eq!(
            block.to_string(),
            "block 0x1000 (1 insns, 3 bytes)\n  ; 0x1000 len 3\n  t0 = state.w64[32]\n  t1 = 0x1\n  t2 = add.w32 t0, t1\n  exit indirect t2\n"
        );
    }
}
