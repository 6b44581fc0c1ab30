//! The guest descriptions agree with the layers they tie together.

use super::*;

#[test]
fn each_guest_is_found_by_its_elf_machine() {
    for arch in GuestArch::ALL {
        assert_eq!(GuestArch::from_elf_machine(arch.info().elf_machine), Some(arch));
    }
    assert_eq!(GuestArch::from_elf_machine(object::elf::EM_386), None);
}

#[test]
fn descriptions_name_their_guest() {
    let x86 = GuestArch::X86_64.info();
    assert_eq!((x86.name(), x86.platform(), x86.min_signal_stack_size()), ("x86-64", "x86_64", 2048));
    let a64 = GuestArch::Aarch64.info();
    assert_eq!((a64.name(), a64.platform(), a64.min_signal_stack_size()), ("aarch64", "aarch64", 5120));
}

/// Not a check: prints the IR and the host code of a small block of each guest, for looking
/// at codegen (`cargo test show_frontend_block_code -- --ignored --nocapture`). It lives here,
/// above both frontends and backends, because it uses both.
#[cfg(target_arch = "x86_64")]
#[test]
#[ignore]
fn show_frontend_block_code() {
    use crate::backend::x86_64::tests::show;
    use crate::frontend::SliceCode;
    // add rax, rbx ; mov [rsp+8], rax ; shl rcx, 3 ; cmp rax, 10 ; jne +0
    let bytes: &[u8] = &[
        0x48, 0x01, 0xd8, 0x48, 0x89, 0x44, 0x24, 0x08, 0x48, 0xc1, 0xe1, 0x03, 0x48, 0x83, 0xf8, 0x0a, 0x75,
        0x00,
    ];
    let mut fe = x86_64::X86_64Guest::frontend();
    let mut block = fe.translate(&SliceCode { base: GuestAddr(0x1000), bytes }, GuestAddr(0x1000));
    crate::ir::opt::optimize(&mut block);
    show(&block);
    // add x0, x1, x2 ; subs x3, x0, #1 ; ldr x4, [x3, #8] ; b.ne .-12
    let words: [u32; 4] = [0x8b02_0020, 0xf100_0403, 0xf940_0464, 0x54ff_ffa1];
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let mut fe = aarch64::Aarch64Guest::frontend();
    let mut block = fe.translate(&SliceCode { base: GuestAddr(0x1000), bytes: &bytes }, GuestAddr(0x1000));
    crate::ir::opt::optimize(&mut block);
    show(&block);
}
