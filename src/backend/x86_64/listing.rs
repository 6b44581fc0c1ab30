//! Host code listings: the x86-64 code of a block as Intel-syntax text, one instruction per
//! line with its address (for codegen tests and debugging output).

use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};
use std::fmt::Write;

/// Disassembles `code`, which runs at `address`, one instruction per line:
/// `<offset from address, 4 hex digits>: <instruction>`.
pub fn listing(code: &[u8], address: u64) -> String {
    let mut decoder = Decoder::with_ip(64, code, address, DecoderOptions::NONE);
    let mut formatter = IntelFormatter::new();
    formatter.options_mut().set_hex_prefix("0x");
    formatter.options_mut().set_hex_suffix("");
    formatter.options_mut().set_rip_relative_addresses(false);
    let mut text = String::new();
    let mut insn_text = String::new();
    for insn in &mut decoder {
        insn_text.clear();
        formatter.format(&insn, &mut insn_text);
        let _ = writeln!(text, "{:04x}: {}", insn.ip() - address, insn_text);
    }
    text
}
