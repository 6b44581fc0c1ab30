//! Disassembly for the report: x86-64 with iced-x86's Intel formatter (the decoder the x86
//! frontend already uses), A64 with yaxpeax-arm. yaxpeax-arm is pure Rust (no C library, no
//! build script, so it builds offline and for both hosts like the rest of xlate), decodes the
//! whole A64 base ISA with SIMD/FP, is maintained as part of the yaxpeax disassemblers, and
//! its `Display` prints the Arm ARM's assembly syntax. (bad64 and capstone bind C code.)

use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};
use yaxpeax_arch::{Decoder as _, U8Reader};
use yaxpeax_arm::armv8::a64::InstDecoder;

/// An instruction set the report can disassemble.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    X86_64,
    Aarch64,
}

impl Isa {
    /// The host xlate was built for.
    pub const HOST: Isa = if cfg!(target_arch = "aarch64") { Isa::Aarch64 } else { Isa::X86_64 };
}

/// One decoded instruction: its address, bytes and text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub addr: u64,
    pub bytes: Vec<u8>,
    pub text: String,
}

/// Disassembles `code`, which runs at `addr`. Bytes that do not decode become one `.byte` (x86)
/// or `.inst` (A64) line each, so the listing always covers every byte.
pub fn disassemble(isa: Isa, code: &[u8], addr: u64) -> Vec<Line> {
    match isa {
        Isa::X86_64 => x86_64(code, addr),
        Isa::Aarch64 => aarch64(code, addr),
    }
}

/// How many instructions `code` holds ([`disassemble`]'s line count, without formatting).
pub fn count(isa: Isa, code: &[u8]) -> usize {
    match isa {
        Isa::X86_64 => Decoder::new(64, code, DecoderOptions::NONE).into_iter().count(),
        Isa::Aarch64 => code.len().div_ceil(4),
    }
}

/// How many instructions the execution counter at the start of a block's host code takes:
/// `mov rax, imm64; inc qword [rax]` on x86-64; on AArch64 the `movz`/`movk` that build the
/// address (1 to 4), then `ldr`/`add`/`str`, which ends with `str x17, [x16]`.
pub fn counter_insns(isa: Isa, code: &[u8]) -> u64 {
    const STR_X17_X16: u32 = 0xf900_0211;
    match isa {
        Isa::X86_64 => 2,
        Isa::Aarch64 => code
            .chunks_exact(4)
            .take(8)
            .position(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]) == STR_X17_X16)
            .map_or(0, |i| i as u64 + 1),
    }
}

fn x86_64(code: &[u8], addr: u64) -> Vec<Line> {
    let mut decoder = Decoder::with_ip(64, code, addr, DecoderOptions::NONE);
    let mut formatter = IntelFormatter::new();
    formatter.options_mut().set_hex_prefix("0x");
    formatter.options_mut().set_hex_suffix("");
    formatter.options_mut().set_first_operand_char_index(8);
    let mut lines = Vec::new();
    for insn in &mut decoder {
        let at = (insn.ip() - addr) as usize;
        let bytes = code[at..at + insn.len()].to_vec();
        let text = if insn.is_invalid() {
            format!(".byte 0x{:02x}", bytes[0])
        } else {
            let mut text = String::new();
            formatter.format(&insn, &mut text);
            text
        };
        lines.push(Line { addr: insn.ip(), bytes, text });
    }
    lines
}

fn aarch64(code: &[u8], addr: u64) -> Vec<Line> {
    let decoder = InstDecoder::default();
    code.chunks(4)
        .enumerate()
        .map(|(i, word)| {
            let mut reader = U8Reader::new(word);
            let text = match decoder.decode(&mut reader) {
                Ok(insn) if word.len() == 4 => insn.to_string(),
                _ => format!(".inst 0x{}", word.iter().rev().map(|b| format!("{b:02x}")).collect::<String>()),
            };
            Line { addr: addr + 4 * i as u64, bytes: word.to_vec(), text }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x86_instructions_in_intel_syntax() {
        // mov rax, rbx; add eax, 1; ret; then a lone 0x0f that does not decode.
        let lines = disassemble(Isa::X86_64, &[0x48, 0x89, 0xd8, 0x83, 0xc0, 0x01, 0xc3, 0x0f], 0x1000);
        let texts: Vec<String> =
            lines.iter().map(|l| l.text.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
        assert_eq!(texts, ["mov rax,rbx", "add eax,1", "ret", ".byte 0x0f"]);
        assert_eq!(lines[1].addr, 0x1003);
        assert_eq!(lines[1].bytes, [0x83, 0xc0, 0x01]);
        assert_eq!(count(Isa::X86_64, &[0x48, 0x89, 0xd8, 0x83, 0xc0, 0x01, 0xc3, 0x0f]), 4);
    }

    #[test]
    fn a64_instructions_in_arm_syntax() {
        // add x0, x1, #1; ret; an undefined word (udf #0); a trailing half word.
        let code = [0x20, 0x04, 0x00, 0x91, 0xc0, 0x03, 0x5f, 0xd6, 0, 0, 0, 0, 0x1f, 0x20];
        let lines = disassemble(Isa::Aarch64, &code, 0x400000);
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0].text, "add x0, x1, #0x1");
        assert_eq!(lines[1].text, "ret");
        assert_eq!(lines[1].addr, 0x400004);
        assert_eq!(lines[3].text, ".inst 0x201f");
        assert_eq!(count(Isa::Aarch64, &code), 4);
    }

    #[test]
    fn a64_counter_length_ends_at_its_store() {
        // mov x16, #0x56e0; movk x16, #0x2f, lsl #16; ldr x17, [x16]; add x17, x17, #1;
        // str x17, [x16]; then the block.
        let words: [u32; 6] = [0xd28adc10, 0xf2a005f0, 0xf9400211, 0x91000631, 0xf9000211, 0xf9406f93];
        let code: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        assert_eq!(counter_insns(Isa::Aarch64, &code), 5);
        assert_eq!(disassemble(Isa::Aarch64, &code, 0)[4].text, "str x17, [x16]");
        assert_eq!(counter_insns(Isa::Aarch64, &code[20..]), 0, "no counter");
        assert_eq!(counter_insns(Isa::X86_64, &[]), 2);
    }
}
