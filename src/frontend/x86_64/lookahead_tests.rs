//! The x86-64 frontend's lookahead (`frontend::lookahead`): which status flags a block's exit
//! leaves dead because the code at its target overwrites them before reading them. Each case
//! is a block ending in a jump (`jmp` to the next byte unless said) followed by the code at
//! its target; the expected flags are those the SDM says the target writes before reading,
//! less what xlate runs in a helper (a helper may read any state) and what lies beyond the
//! lookahead's reach.

use super::flags::STATUS_FLAGS;
use super::state::off;
use super::X86Frontend;
use crate::frontend::lookahead::LOOKAHEAD_INSNS;
use crate::frontend::{Frontend, SliceCode};
use crate::ir::{liveness, Block, Exit, GuestAddr, StateOffset};

const BASE: u64 = 0x40_1000;
/// `add eax, ebx`: writes all six flags.
const ADD: [u8; 2] = [0x01, 0xd8];
/// `jmp` to the next instruction.
const JMP_NEXT: [u8; 5] = [0xe9, 0, 0, 0, 0];

fn translate_at(fe: &mut X86Frontend, base: u64, bytes: &[u8]) -> Block {
    fe.translate(&SliceCode { base: GuestAddr(base), bytes }, GuestAddr(base))
}

/// The flags dead at the final exit of the block at the start of `bytes`, by name.
fn dead_at(base: u64, bytes: &[u8]) -> String {
    names(&translate_at(&mut X86Frontend::new(), base, bytes))
}

fn names(block: &Block) -> String {
    let dead = liveness::dead_at_exit(block, &block.exit);
    let name = |o: StateOffset| match o {
        o if o == off::CF => "CF",
        o if o == off::PF => "PF",
        o if o == off::AF => "AF",
        o if o == off::ZF => "ZF",
        o if o == off::SF => "SF",
        o if o == off::OF => "OF",
        _ => "?",
    };
    STATUS_FLAGS.iter().filter(|(_, o)| dead.contains(o)).map(|&(_, o)| name(o)).collect::<Vec<_>>().join(" ")
}

/// `add eax, ebx; jmp next` followed by `successor`.
fn then(successor: &[u8]) -> String {
    let mut bytes = [&ADD[..], &JMP_NEXT].concat();
    bytes.extend_from_slice(successor);
    dead_at(BASE, &bytes)
}

const ALL: &str = "CF PF AF ZF SF OF";

#[test]
fn a_successor_that_writes_every_flag_first_leaves_all_dead() {
    assert_eq!(then(&ADD), ALL);
    // cmp rcx, rdx; test eax, eax; xor eax, eax; sub; and: each writes all six (AF of the
    // logical ones is undefined, which xlate writes as 0).
    for insn in [&[0x48, 0x39, 0xd1][..], &[0x85, 0xc0], &[0x31, 0xc0], &[0x29, 0xd8], &[0x21, 0xd8]] {
        assert_eq!(then(insn), ALL, "{insn:02x?}");
    }
    // Instructions that touch no flag come first: mov, lea, a load, a store.
    let movs = [0x48, 0x89, 0xd8, 0x48, 0x8d, 0x04, 0x8b, 0x48, 0x8b, 0x06, 0x48, 0x89, 0x07];
    assert_eq!(then(&[&movs[..], &ADD].concat()), ALL);
}

#[test]
fn each_reader_keeps_the_flags_it_reads() {
    let with_add = |reader: &[u8]| then(&[reader, &ADD].concat());
    assert_eq!(with_add(&[0x74, 0x00]), ""); // jz: reads ZF, and the block ends there
    assert_eq!(with_add(&[0x0f, 0x94, 0xc0]), "CF PF AF SF OF"); // setz al
    assert_eq!(with_add(&[0x0f, 0x4c, 0xc3]), "CF PF AF ZF"); // cmovl eax, ebx: SF OF
    assert_eq!(with_add(&[0x0f, 0x4a, 0xc3]), "CF AF ZF SF OF"); // cmovp eax, ebx: PF
    assert_eq!(with_add(&[0x11, 0xd8]), "PF AF ZF SF OF"); // adc eax, ebx: CF
    assert_eq!(with_add(&[0x19, 0xd8]), "PF AF ZF SF OF"); // sbb eax, ebx: CF
    assert_eq!(with_add(&[0x9f]), "OF"); // lahf: SF ZF AF PF CF
    assert_eq!(with_add(&[0x9c]), ""); // pushfq: all
    assert_eq!(with_add(&[0xf5]), "PF AF ZF SF OF"); // cmc: CF
                                                     // rcl eax, 1 reads CF; xlate runs rcl/rcr in a helper, which keeps everything live.
    assert_eq!(with_add(&[0xd1, 0xd0]), "");
}

#[test]
fn partial_writers_leave_the_flags_they_keep_to_what_follows() {
    // inc/dec keep CF: with a jc after, CF is live and the rest dead.
    assert_eq!(then(&[0xff, 0xc1, 0x72, 0x00]), "PF AF ZF SF OF");
    assert_eq!(then(&[0xff, 0xc9, 0x72, 0x00]), "PF AF ZF SF OF");
    // inc, then add: all dead.
    assert_eq!(then(&[0xff, 0xc1, 0x01, 0xd8]), ALL);
    // clc / stc write CF only.
    assert_eq!(then(&[0xf8, 0x74, 0x00]), "CF");
    // bt eax, 3 writes CF (the others are undefined: xlate keeps them).
    assert_eq!(then(&[0x0f, 0xba, 0xe0, 0x03, 0x74, 0x00]), "CF");
}

#[test]
fn shifts_by_a_count_that_may_be_zero_write_nothing_for_sure() {
    // shl eax, cl; jz: with cl = 0 no flag changes, so ZF must come from before, and every
    // other flag too (the jz ends the lookahead).
    assert_eq!(then(&[0xd3, 0xe0, 0x74, 0x00]), "");
    // shl eax, cl; add: the add writes them all, but the shift reads the old flags to keep
    // them when cl is 0 (a select in the IR): conservatively live.
    assert_eq!(then(&[0xd3, 0xe0, 0x01, 0xd8]), "");
    // shl eax, 32: the count is masked to 0, no flag changes.
    assert_eq!(then(&[0xc1, 0xe0, 0x20, 0x74, 0x00]), "");
    // shl eax, 1; jz: CF PF ZF SF OF written, and AF (undefined) which xlate writes as 0.
    assert_eq!(then(&[0xd1, 0xe0, 0x74, 0x00]), ALL);
}

#[test]
fn the_lookahead_stops_at_exits_helpers_and_its_instruction_limit() {
    let mov = [0x48, 0x89, 0xd8]; // mov rax, rbx
    let movs = |n: u32| mov.repeat(n as usize);
    assert_eq!(then(&[&movs(LOOKAHEAD_INSNS - 1)[..], &ADD].concat()), ALL);
    assert_eq!(then(&[&movs(LOOKAHEAD_INSNS)[..], &ADD].concat()), "");
    assert_eq!(then(&[&[0xff, 0xe0][..], &ADD].concat()), ""); // jmp rax
    assert_eq!(then(&[&[0xc3][..], &ADD].concat()), ""); // ret
                                                         // syscall reads RFLAGS into r11.
    assert_eq!(then(&[&[0x0f, 0x05][..], &ADD].concat()), "");
    // A direct jump or call goes on at its target (here over two `jz +0`, which would read
    // ZF), and to the next instruction it is straight-line code...
    let jz_jz = [0x74, 0x00, 0x74, 0x00];
    assert_eq!(then(&[&[0xe8, 4, 0, 0, 0][..], &jz_jz, &ADD].concat()), ALL);
    assert_eq!(then(&[&[0xeb, 0x04][..], &jz_jz, &ADD].concat()), ALL);
    assert_eq!(then(&[&[0xeb, 0x00][..], &ADD].concat()), ALL);
    assert_eq!(then(&[&[0xe8, 0, 0, 0, 0][..], &ADD].concat()), ALL);
    // ... and what the target reads stays live; the jumps count towards the limit.
    assert_eq!(then(&[&[0xeb, 0x00][..], &[0x0f, 0x94, 0xc0], &ADD].concat()), "CF PF AF SF OF");
    let jmps = |n: u32| [0xeb, 0x00].repeat(n as usize);
    assert_eq!(then(&[&jmps(LOOKAHEAD_INSNS - 1)[..], &ADD].concat()), ALL);
    assert_eq!(then(&[&jmps(LOOKAHEAD_INSNS)[..], &ADD].concat()), "");
    // The branch and the jump back to the start of the block: a jcc ends the lookahead, and
    // a jump back to the block's own start scans it again (here its add writes them all).
    assert_eq!(then(&[&[0x74, 0x02, 0x90, 0x90][..], &ADD].concat()), "");
    assert_eq!(then(&[0xe9, 0xf4, 0xff, 0xff, 0xff]), ALL); // jmp -12: to the add
    assert_eq!(then(&[&[0x0f, 0xa2][..], &ADD].concat()), ""); // cpuid: a helper
    assert_eq!(then(&[&[0x0f, 0x0b][..], &ADD].concat()), ""); // ud2: a trap sees everything
                                                               // vpaddb zmm0, zmm1, zmm2: not implemented, a trap.
    assert_eq!(then(&[&[0x62, 0xf1, 0x75, 0x48, 0xfc, 0xc2][..], &ADD].concat()), "");
    assert_eq!(then(&[]), ""); // no code there
}

#[test]
fn a_branch_keeps_what_either_side_reads() {
    // cmp eax, ebx; jz +2 (over "jb +0"); at the fall-through: jb; at the target: add.
    let bytes = [0x39, 0xd8, 0x74, 0x02, 0x72, 0x00, 0x01, 0xd8];
    let block = translate_at(&mut X86Frontend::new(), BASE, &bytes);
    assert!(matches!(block.exit, Exit::Branch { .. }));
    assert_eq!(names(&block), "");
    let at_target = liveness::dead_at_exit(&block, &Exit::Jump(GuestAddr(BASE + 6)));
    assert_eq!(at_target.len(), 6);
    // Fall-through: cmp; jz +0 to the add: both sides write all flags.
    let bytes = [0x39, 0xd8, 0x74, 0x00, 0x01, 0xd8];
    assert_eq!(dead_at(BASE, &bytes), ALL);
}

#[test]
fn the_lookahead_reads_only_the_pages_of_the_block_itself() {
    // The block's last byte is the last of its page: the target, on the next page, is not
    // looked at.
    let base = 0x40_1000 - 7;
    let bytes = [&ADD[..], &JMP_NEXT, &ADD].concat();
    assert_eq!(dead_at(base, &bytes), "");
    // The same bytes one byte earlier: the target is the page's last byte, and the add there
    // runs into the next page, which is not read either.
    assert_eq!(dead_at(base - 1, &[&ADD[..], &JMP_NEXT, &[0x90], &ADD].concat()), "");
    // A block straddling two pages looks at both.
    let base = 0x40_1000 - 3;
    assert_eq!(dead_at(base, &bytes), ALL);
}

#[test]
fn exact_flags_and_single_instruction_blocks_do_not_look_ahead() {
    let bytes = [&ADD[..], &JMP_NEXT, &ADD].concat();
    let mut fe = X86Frontend::new();
    assert_eq!(names(&translate_at(&mut fe, BASE, &bytes)), ALL);
    fe.set_exact_flags(true);
    assert!(translate_at(&mut fe, BASE, &bytes).dead_on_entry.is_empty());
    fe.set_exact_flags(false);
    fe.set_max_block_insns(1);
    assert!(translate_at(&mut fe, BASE, &bytes).dead_on_entry.is_empty());
}

#[test]
fn kept_summaries_answer_as_a_fresh_translation_and_new_bytes_at_an_address_are_scanned_again() {
    // Successors of every kind above, each placed after `add; jmp next` at the same address,
    // so that one frontend finds other bytes where it kept a summary, and on the second
    // round the bytes it summarised.
    let successors: [&[u8]; 10] = [
        &[0x01, 0xd8],
        &[0x74, 0x00, 0x01, 0xd8],
        &[0x0f, 0x94, 0xc0, 0x01, 0xd8],
        &[0xff, 0xc1, 0x72, 0x00],
        &[0xf8, 0x74, 0x00],
        &[0xd3, 0xe0, 0x01, 0xd8],
        &[0xd1, 0xe0, 0x74, 0x00],
        &[0xd1, 0xd0, 0x01, 0xd8],
        &[0x48, 0x89, 0xd8, 0x48, 0x8d, 0x04, 0x8b, 0x01, 0xd8],
        &[0x0f, 0x0b],
    ];
    let mut fe = X86Frontend::new();
    for round in 0..2 {
        for successor in successors {
            let bytes = [&ADD[..], &JMP_NEXT, successor].concat();
            let fresh = dead_at(BASE, &bytes);
            assert_eq!(names(&translate_at(&mut fe, BASE, &bytes)), fresh, "round {round}: {successor:02x?}");
        }
    }
}
