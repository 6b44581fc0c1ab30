//! MXCSR runs ([`crate::ir::Op::MxcsrRun`], `ir::mxcsr_run`): one MXCSR switch for a run of
//! SSE floating-point ops when the guest masks every exception.
//!
//! At the marker the guard tests the run's first MXCSR value: all six mask bits set and the
//! reserved upper half clear (which `ldmxcsr` would refuse). Then the fast path loads that
//! value as it is, flags included, runs the floating-point ops without loading their
//! controls or reading their flags (every control input of the run has the same controls,
//! and none of its ops can trap), skips the run's bookkeeping (flags ops, merges, trap
//! checks, MXCSR stores), emits its other ops as ever, and reads MXCSR once at the end: the
//! processor's sticky flags are the guest's flags ORed with every flag the run raised, which
//! is the run's last merge, stored to the guest's MXCSR if the run stored it. It jumps over
//! the slow path, which is the run's ops emitted one by one as without the marker (each
//! with its precise #XM check), taken when an exception is unmasked.
//!
//! Both paths leave every temporary read after the run where the allocator put it (the
//! fast path does not define the bookkeeping temporaries, which nothing after the run
//! reads: `ir::mxcsr_run::mark` checks it), and both end with a guest MXCSR loaded, so
//! the code after the join starts in the guest's region. The fast path lies before the
//! slow path's instruction starts, so a listing attributes it to the instruction before
//! the run's first floating-point op; it has no fault site (the run touches no guest
//! memory).

use super::abi::RAX;
use super::emit_fp::keeps_guest_mxcsr;
use super::Emitter;
use crate::backend::fp_pair::{flags_partner, FpDsts};
use crate::ir::mxcsr_run::{roles, Role};
use crate::ir::{Block, CvtRound, NumFormat, Op};
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};

/// MXCSR bits the guard tests: the six masks and the reserved upper half.
const GUARD_BITS: u32 = 0xffff_1f80;
/// What they must be: every exception masked, nothing reserved set.
const ALL_MASKED: i32 = 0x1f80;

/// Emits the guard and the fast path of the run whose marker is `block.ops[at]`, and
/// places the slow path's label; returns the index of the first op after the run and the
/// label where both paths join. `None` (nothing emitted) when the run has an op this
/// backend cannot run under the loaded MXCSR.
pub(super) fn fast_path(
    e: &mut Emitter,
    block: &Block,
    at: usize,
    uses: &[u32],
) -> Option<(usize, DynamicLabel)> {
    let Op::MxcsrRun { mxcsr, len } = block.ops[at] else { return None };
    let (roles, last) = roles(block, at)?;
    let end = at + 1 + len as usize;
    let ops = &block.ops[at + 1..end];
    // (A conversion to a float rounding towards zero needs its own RC; cvtt* do not.)
    let fits = |op: &Op| {
        let own_rc =
            matches!(op, Op::FpCvt { round: CvtRound::Zero, to: NumFormat::F32 | NumFormat::F64, .. });
        keeps_guest_mxcsr(op, e.features) && !own_rc
    };
    // The slow path emits its last op with the next one in these two cases (see `compile`),
    // which would leave the next one's result undefined after the fast path.
    let (last_op, next) = (&ops[ops.len() - 1], block.ops.get(end));
    if !ops.iter().all(fits)
        || flags_partner(last_op, next).is_some()
        || super::narrow_state_load(last_op, next, uses).is_some()
    {
        return None;
    }
    let (slow, done) = (e.asm.new_dynamic_label(), e.asm.new_dynamic_label());
    let was_guest = e.guest_mxcsr;
    e.load(RAX, mxcsr);
    dynasm!(e.asm
        ; .arch x64
        ; mov [rsp - 8], eax
        ; and eax, GUARD_BITS as i32
        ; cmp eax, ALL_MASKED
        ; jne =>slow
        ; ldmxcsr [rsp - 8]
    );
    e.guest_mxcsr = true;
    e.mxcsr_run = true;
    let mut k = 0;
    while k < ops.len() {
        let op = &ops[k];
        e.op_index = at + 1 + k;
        match roles[k] {
            Role::Bookkeeping => {}
            Role::Value => {
                let dst = op.dst();
                // The flags op of the same operation right after it is bookkeeping.
                if flags_partner(op, ops.get(k + 1)).is_some() {
                    k += 1;
                }
                e.fp_family(op, FpDsts { value: dst, flags: None });
                if let Some(d) = dst {
                    e.defined[d.0 as usize] = true;
                }
            }
            Role::Plain => {
                // As the slow path does: a comparison that only the exit after the run
                // reads leaves its result in the host flags, which nothing after it here
                // changes (`stmxcsr`, `mov`s, `jmp`).
                e.fuse_next_cmp = matches!(op, Op::Cmp { .. })
                    && crate::backend::feeds_only_next_exit(block, at + 1 + k, uses);
                e.op(op);
                if let Some(d) = op.dst() {
                    e.defined[d.0 as usize] = true;
                }
            }
        }
        k += 1;
    }
    e.mxcsr_run = false;
    // The run's last merge, from the processor's sticky flags.
    let field = ops.iter().zip(&roles).find_map(|(op, role)| match (op, role) {
        (Op::StoreState { offset, .. }, Role::Bookkeeping) => Some(offset.0 as i32),
        _ => None,
    });
    dynasm!(e.asm ; .arch x64 ; stmxcsr [rsp - 8]);
    if e.last_use[last.0 as usize] >= end {
        // Read after the run: its location is its own until then.
        let r = e.dst_reg(last, RAX);
        dynasm!(e.asm ; .arch x64 ; mov Rd(r), [rsp - 8]);
        e.store(last, r);
        e.defined[last.0 as usize] = true;
        if let Some(off) = field {
            super::emit_mem::store_state(e, off as u32, last, crate::ir::Width::W32);
        }
    } else if let Some(off) = field {
        // Only the run reads it: straight to the state (its location may be another's by now).
        dynasm!(e.asm ; .arch x64 ; mov eax, [rsp - 8] ; mov [r15 + off], eax);
    }
    dynasm!(e.asm ; .arch x64 ; jmp =>done ; =>slow);
    e.guest_mxcsr = was_guest;
    Some((end, done))
}
