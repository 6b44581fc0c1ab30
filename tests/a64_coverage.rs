//! A coverage probe for the A64 frontend, run by hand: `A64_WORDS=file cargo test --test
//! a64_coverage -- --ignored --nocapture`, where `file` has one hex instruction word per line
//! (optionally followed by a tab and anything, e.g. objdump's mnemonic). Prints each word the
//! frontend does not translate, with the rest of its line, so that
//! `objdump -d prog | ...` tells which forms a real program needs.

use xlate::frontend::aarch64::A64Frontend;
use xlate::frontend::{Frontend, SliceCode};
use xlate::ir::{Exit, GuestAddr, TrapKind};

#[test]
#[ignore]
fn a64_words_from_file() {
    let Some(path) = std::env::var_os("A64_WORDS") else {
        return;
    };
    let text = std::fs::read_to_string(path).expect("A64_WORDS file");
    let mut fe = A64Frontend::new();
    let (mut total, mut missing) = (0, 0);
    for line in text.lines() {
        let Some(hex) = line.split('\t').next() else { continue };
        let Ok(w) = u32::from_str_radix(hex.trim(), 16) else { continue };
        total += 1;
        let bytes = w.to_le_bytes();
        let code = SliceCode { base: GuestAddr(0x40_0000), bytes: &bytes };
        let block = fe.translate(&code, GuestAddr(0x40_0000));
        if let Exit::Trap { kind: TrapKind::IllegalInstruction, message, .. } = &block.exit {
            if block.guest_insns == 0 {
                missing += 1;
                println!("MISSING\t{line}\t{}", message.clone().unwrap_or_default());
            }
        }
    }
    println!("{missing} of {total} words not translated");
}
