//! Expansion per guest instruction class: how many host bytes and host instructions each kind
//! of guest instruction became, from where the backends say each guest instruction's host code
//! starts ([`crate::backend::InsnStart`]). The code before a block's first instruction (the
//! execution counter, a frame) and from its exit code on is a class of its own, so the
//! classes add up to all the host code.
//!
//! Classes follow each manual's top-level grouping: for A64 the Arm ARM's encoding groups
//! (bits 28:25: data processing immediate or register, branches and system, loads and
//! stores, SIMD and FP); for x86-64 what iced-x86 says of the instruction (flow control, x87
//! and SSE CPUID features, string instructions, memory operands).

use super::disasm::{self, Isa};
use super::profile::BlockRecord;
use iced_x86::{CpuidFeature, Decoder, DecoderOptions, FlowControl, OpKind};

/// The class of host code that belongs to no guest instruction.
pub const BLOCK_OVERHEAD: &str = "block entry and exits";

/// The classes, in the order the report lists them.
pub const CLASSES: [&str; 6] = [INTEGER, MEMORY, BRANCH, FP_SIMD, STRING, BLOCK_OVERHEAD];
const INTEGER: &str = "integer arithmetic and logic";
const MEMORY: &str = "loads and stores";
const BRANCH: &str = "branches and system";
const FP_SIMD: &str = "floating point and SIMD";
const STRING: &str = "string instructions (x86)";

/// Host code of one class, over every translation (static) and weighted by entries (executed).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClassExpansion {
    pub class: &'static str,
    /// Guest instructions translated, and executed (block entries times the instructions of
    /// the class in the block; for the overhead class, block entries).
    pub guest_insns: u64,
    pub guest_insns_executed: u64,
    pub host_bytes: u64,
    pub host_insns: u64,
    pub host_insns_executed: u64,
}

impl ClassExpansion {
    pub fn host_bytes_per_insn(&self) -> f64 {
        self.host_bytes as f64 / self.guest_insns.max(1) as f64
    }
    pub fn host_insns_per_insn(&self) -> f64 {
        self.host_insns as f64 / self.guest_insns.max(1) as f64
    }
    /// Host instructions per guest instruction, weighted by how often each ran.
    pub fn host_insns_per_executed_insn(&self) -> f64 {
        self.host_insns_executed as f64 / self.guest_insns_executed.max(1) as f64
    }
}

/// The class of the guest instruction `bytes` of ISA `guest`.
pub fn class_of(guest: Isa, bytes: &[u8]) -> &'static str {
    match guest {
        Isa::Aarch64 => {
            let Ok(word) = <[u8; 4]>::try_from(bytes.get(..4).unwrap_or(&[])).map(u32::from_le_bytes) else {
                return BRANCH;
            };
            match (word >> 25) & 0xf {
                0b1000 | 0b1001 | 0b0101 | 0b1101 => INTEGER,
                0b1010 | 0b1011 => BRANCH,
                0b0111 | 0b1111 => FP_SIMD,
                0b0100 | 0b0110 | 0b1100 | 0b1110 => MEMORY,
                _ => BRANCH,
            }
        }
        Isa::X86_64 => {
            let insn = Decoder::new(64, bytes, DecoderOptions::NONE).decode();
            let fp = insn.cpuid_features().iter().any(|f| {
                matches!(
                    f,
                    CpuidFeature::FPU
                        | CpuidFeature::MMX
                        | CpuidFeature::SSE
                        | CpuidFeature::SSE2
                        | CpuidFeature::SSE3
                        | CpuidFeature::SSSE3
                        | CpuidFeature::SSE4_1
                        | CpuidFeature::SSE4_2
                        | CpuidFeature::AVX
                        | CpuidFeature::AVX2
                        | CpuidFeature::FMA
                )
            });
            if insn.flow_control() != FlowControl::Next {
                BRANCH
            } else if insn.is_string_instruction() {
                STRING
            } else if fp {
                FP_SIMD
            } else if insn.op_kinds().any(|k| k == OpKind::Memory) || insn.is_stack_instruction() {
                MEMORY
            } else {
                INTEGER
            }
        }
    }
}

/// Sums every recorded translation, with how often it was entered, into one row per class
/// (classes with no host code left out), in [`CLASSES`] order.
pub fn by_class<'a>(guest: Isa, blocks: impl Iterator<Item = (&'a BlockRecord, u64)>) -> Vec<ClassExpansion> {
    let mut rows: Vec<ClassExpansion> =
        CLASSES.iter().map(|&class| ClassExpansion { class, ..Default::default() }).collect();
    let mut add = |class: &'static str, host: &[u8], insns: u64, entries: u64| {
        let row = rows.iter_mut().find(|r| r.class == class).expect("every class has a row");
        let host_insns = disasm::count(Isa::HOST, host) as u64;
        row.guest_insns += insns;
        row.guest_insns_executed += insns * entries;
        row.host_bytes += host.len() as u64;
        row.host_insns += host_insns;
        row.host_insns_executed += host_insns * entries;
    };
    for (record, entries) in blocks {
        let code = &record.host_code;
        let starts = &record.insn_starts;
        if starts.is_empty() {
            continue;
        }
        let clip = |o: u32| (o as usize).min(code.len());
        // Before the first instruction and from the exit code on: the block's own.
        let mut overhead = code[..clip(starts[0].offset)].to_vec();
        overhead.extend_from_slice(&code[clip(record.exits_at)..]);
        add(BLOCK_OVERHEAD, &overhead, 1, entries);
        for (i, start) in starts.iter().enumerate() {
            let end = starts.get(i + 1).map_or(record.exits_at, |next| next.offset);
            let from = (start.pc.0 - record.guest_addr) as usize;
            let bytes = record.guest_code.get(from..from + start.len as usize).unwrap_or(&[]);
            add(class_of(guest, bytes), &code[clip(start.offset)..clip(end)], 1, entries);
        }
    }
    rows.retain(|r| r.host_bytes > 0);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a64_classes_follow_the_encoding_groups() {
        let class = |w: u32| class_of(Isa::Aarch64, &w.to_le_bytes());
        assert_eq!(class(0x91000420), INTEGER); // add x0, x1, #1
        assert_eq!(class(0x8b020020), INTEGER); // add x0, x1, x2
        assert_eq!(class(0xf9400020), MEMORY); // ldr x0, [x1]
        assert_eq!(class(0x3d800020), MEMORY); // str q0, [x1]
        assert_eq!(class(0x14000001), BRANCH); // b .+4
        assert_eq!(class(0xd4000001), BRANCH); // svc #0
        assert_eq!(class(0x1e602820), FP_SIMD); // fadd d0, d1, d0
        assert_eq!(class(0x4e208420), FP_SIMD); // add v0.16b, v1.16b, v0.16b
    }

    #[test]
    fn x86_classes_from_iced() {
        let class = |b: &[u8]| class_of(Isa::X86_64, b);
        assert_eq!(class(&[0x48, 0x01, 0xd8]), INTEGER); // add rax, rbx
        assert_eq!(class(&[0x48, 0x8b, 0x03]), MEMORY); // mov rax, [rbx]
        assert_eq!(class(&[0x50]), MEMORY); // push rax
        assert_eq!(class(&[0x75, 0x00]), BRANCH); // jne
        assert_eq!(class(&[0x0f, 0x05]), BRANCH); // syscall
        assert_eq!(class(&[0xf2, 0x0f, 0x58, 0xc1]), FP_SIMD); // addsd xmm0, xmm1
        assert_eq!(class(&[0xf3, 0xa4]), STRING); // rep movsb
    }
}
