//! The reserved-NOP space: the legacy two-byte opcodes 0F 0D and 0F 18 to 0F 1F, in every
//! ModRM form and with any 66/F2/F3/REX prefix, and the CET instructions outside it.
//!
//! The SDM reserves this space for hints, so that code using a newer hint still runs on an
//! older processor: whatever a processor does not implement there executes as a NOP. What it
//! defines there executes here as on a processor that advertises neither CET nor MPX in CPUID
//! (xlate's cpuid does not, see `system::cpuid`):
//! - 0F 1F /0 (the multi-byte NOP) and every other reserved form: NOP;
//! - 0F 0D and 0F 18 memory forms (PREFETCH, PREFETCHW, PREFETCHWT1, PREFETCHh, PREFETCHIT0/1
//!   and the reserved prefetch hints): hints with no architectural effect, NOP;
//! - 0F 1C /0 memory form (CLDEMOTE): a hint, NOP;
//! - 0F 1A and 0F 1B (MPX: BNDLDX, BNDSTX, BNDMOV, BNDCL, BNDCU, BNDCN, BNDMK): NOP without MPX;
//! - F3 0F 1E FA/FB (ENDBR64/ENDBR32): NOP without indirect-branch tracking;
//! - F3 0F 1E /1 with a register (RDSSPD/RDSSPQ): NOP while shadow stacks are off; the
//!   destination keeps its value (this is how libgcc's unwinder tells that they are off).
//!
//! A memory operand in this space is decoded (by iced, for the length) but never accessed:
//! a prefetch of an unmapped address does not fault. With a LOCK prefix every form is #UD;
//! iced decodes those as invalid, and the block loop turns them into SIGILL.
//!
//! The space is dispatched by opcode (iced's [`Code`]), not by mnemonic, before the mnemonic
//! table: iced names these encodings after the extensions that define them (nop, prefetch*,
//! endbr*, rdssp*, cldemote, "reservednop"), but here they all are one family with one
//! behaviour, decided at translation time.
//!
//! The CET instructions outside the space (INCSSP, SAVEPREVSSP, RSTORSSP, WRSS, WRUSS,
//! SETSSBSY, CLRSSBSY) raise #UD (SIGILL) when shadow stacks are not enabled, as the SDM says;
//! they are in [`lookup`].
//!
//! BND-prefixed branches (F2 before call, ret, jmp, jcc) need nothing here: without MPX the
//! prefix is ignored, and the control family ignores it.

use super::{Ctx, Handler, Unsupported};
use crate::ir::{Exit, GuestAddr, TrapKind};
use iced_x86::{Code, Instruction, Mnemonic};

/// Whether iced's decoding `code` is an encoding of the reserved-NOP space (0F 0D, 0F 18 to
/// 0F 1F; legacy encoding). `DecoderOptions::NONE` gives exactly these codes there; the unit
/// test below walks the space and checks both directions.
pub fn covers(code: Code) -> bool {
    use Code::*;
    matches!(
        code,
        Nop_rm16
            | Nop_rm32
            | Nop_rm64
            | Reservednop_rm16_r16_0F0D
            | Reservednop_rm32_r32_0F0D
            | Reservednop_rm64_r64_0F0D
            | Reservednop_rm16_r16_0F18
            | Reservednop_rm32_r32_0F18
            | Reservednop_rm64_r64_0F18
            | Reservednop_rm16_r16_0F19
            | Reservednop_rm32_r32_0F19
            | Reservednop_rm64_r64_0F19
            | Reservednop_rm16_r16_0F1A
            | Reservednop_rm32_r32_0F1A
            | Reservednop_rm64_r64_0F1A
            | Reservednop_rm16_r16_0F1B
            | Reservednop_rm32_r32_0F1B
            | Reservednop_rm64_r64_0F1B
            | Reservednop_rm16_r16_0F1C
            | Reservednop_rm32_r32_0F1C
            | Reservednop_rm64_r64_0F1C
            | Reservednop_rm16_r16_0F1D
            | Reservednop_rm32_r32_0F1D
            | Reservednop_rm64_r64_0F1D
            | Reservednop_rm16_r16_0F1E
            | Reservednop_rm32_r32_0F1E
            | Reservednop_rm64_r64_0F1E
            | Reservednop_rm16_r16_0F1F
            | Reservednop_rm32_r32_0F1F
            | Reservednop_rm64_r64_0F1F
            | Prefetch_m8
            | Prefetchw_m8
            | Prefetchwt1_m8
            | Prefetchreserved3_m8
            | Prefetchreserved4_m8
            | Prefetchreserved5_m8
            | Prefetchreserved6_m8
            | Prefetchreserved7_m8
            | Prefetchnta_m8
            | Prefetcht0_m8
            | Prefetcht1_m8
            | Prefetcht2_m8
            | Prefetchit0_m8
            | Prefetchit1_m8
            | Cldemote_m8
            | Endbr32
            | Endbr64
            | Rdsspd_r32
            | Rdsspq_r64
    )
}

/// The one handler of the space: nothing to do. No register is written (RDSSP keeps its
/// destination), no flag changes, and the memory operand is not accessed.
pub fn reserved_nop(_: &mut Ctx, _: &Instruction) -> Result<(), Unsupported> {
    Ok(())
}

/// The CET instructions outside the reserved-NOP space, by mnemonic (the dispatch table).
pub fn lookup(m: Mnemonic) -> Option<Handler> {
    use Mnemonic as M;
    Some(match m {
        M::Incsspd
        | M::Incsspq
        | M::Saveprevssp
        | M::Rstorssp
        | M::Wrssd
        | M::Wrssq
        | M::Wrussd
        | M::Wrussq
        | M::Setssbsy
        | M::Clrssbsy => shadow_stack_disabled,
        _ => return None,
    })
}

/// A shadow-stack instruction while shadow stacks are disabled: #UD (SIGILL), the architected
/// behaviour, so without an "unimplemented" message.
fn shadow_stack_disabled(ctx: &mut Ctx, _: &Instruction) -> Result<(), Unsupported> {
    ctx.exit = Some(Exit::Trap { kind: TrapKind::IllegalInstruction, pc: GuestAddr(ctx.pc), message: None });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::x86_64::state::reg;
    use crate::frontend::x86_64::testutil::run;
    use crate::frontend::x86_64::X86State;
    use crate::ir::protocol::ExitReason;
    use iced_x86::{Decoder, DecoderOptions};

    /// Walks 0F 0D and 0F 18-1F with every ModRM byte after each prefix combination: every
    /// decoding is covered, and every covered code occurs; outside the space nothing is
    /// covered (the opcodes next to it).
    #[test]
    fn the_covered_codes_are_exactly_the_space() {
        let prefixes: [&[u8]; 10] = [
            &[],
            &[0x66],
            &[0xf2],
            &[0xf3],
            &[0x48],
            &[0x66, 0x48],
            &[0xf2, 0x48],
            &[0xf3, 0x48],
            &[0x66, 0xf3],
            &[0x41],
        ];
        let mut seen = std::collections::BTreeSet::new();
        for p in prefixes {
            for op in [0x0d, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x0c, 0x17, 0x20] {
                for modrm in 0..=255u8 {
                    let mut bytes = p.to_vec();
                    bytes.extend_from_slice(&[0x0f, op, modrm, 0x24, 1, 2, 3, 4, 5, 6, 7, 8]);
                    let insn = Decoder::with_ip(64, &bytes, 0x1000, DecoderOptions::NONE).decode();
                    let in_space = op == 0x0d || (0x18..=0x1f).contains(&op);
                    if in_space {
                        assert!(covers(insn.code()), "{bytes:02x?} decodes as {:?}", insn.code());
                        seen.insert(format!("{:?}", insn.code()));
                    } else {
                        assert!(!covers(insn.code()), "{bytes:02x?} decodes as {:?}", insn.code());
                    }
                }
            }
        }
        let all: Vec<Code> = Code::values().filter(|&c| covers(c)).collect();
        for c in all {
            assert!(seen.contains(&format!("{c:?}")), "{c:?} never decoded in the walk");
        }
    }

    #[test]
    fn rdssp_keeps_its_destination_and_memory_forms_do_not_fault() {
        let mut st = X86State::default();
        st.gpr[reg::RAX] = 0x1234_5678_9abc_def0;
        st.gpr[reg::RBX] = 0xffff_ffff_8765_4321;
        // rdsspq rax; rdsspd ebx; prefetchw [0x10]; nop [0x10]; bndmov bnd0, [0x10] (66 0f 1a);
        // then ud2 to stop.
        let code = [
            0xf3, 0x48, 0x0f, 0x1e, 0xc8, 0xf3, 0x0f, 0x1e, 0xcb, 0x0f, 0x0d, 0x0c, 0x25, 0x10, 0, 0, 0,
            0x0f, 0x1f, 0x04, 0x25, 0x10, 0, 0, 0, 0x66, 0x0f, 0x1a, 0x04, 0x25, 0x10, 0, 0, 0, 0x0f, 0x0b,
        ];
        let out = run(&code, &mut st);
        assert_eq!(out.reason, ExitReason::Trap);
        assert_eq!(out.trap, Some(TrapKind::IllegalInstruction));
        assert_eq!(st.gpr[reg::RAX], 0x1234_5678_9abc_def0);
        assert_eq!(st.gpr[reg::RBX], 0xffff_ffff_8765_4321);
    }
}
