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

/// A signal frame as a handler sees it and as rt_sigreturn reads it back: the handler is
/// entered with the kernel's argument registers, the frame holds the interrupted registers at
/// the kernel's offsets, and an edit of the saved PC is what rt_sigreturn resumes at.
mod signal_frames {
    use crate::frontend::aarch64::A64State;
    use crate::frontend::x86_64::state::reg;
    use crate::frontend::x86_64::X86State;
    use crate::syscall::memory::TestMm;
    use crate::syscall::signal::{SignalDelivery, SA_SIGINFO};
    use crate::syscall::GuestRegs;

    fn delivery(stack_top: Option<u64>) -> SignalDelivery {
        let mut info = [0u8; 128];
        info[0] = 10; // si_signo
        SignalDelivery {
            sig: 10,
            info,
            handler: 0x40_1000,
            flags: SA_SIGINFO,
            restorer: 0x40_2000,
            old_mask: 0x5a5a,
            altstack: (0, 2, 0),
            stack_top,
        }
    }

    fn word(addr: u64) -> u64 {
        // SAFETY: test stacks are live heap buffers and `addr` lies inside one.
        unsafe { (addr as *const u64).read_unaligned() }
    }

    fn set_word(addr: u64, v: u64) {
        // SAFETY: as in `word`.
        unsafe { (addr as *mut u64).write_unaligned(v) }
    }

    #[test]
    fn x86_64_frame_round_trips_and_its_rip_can_be_edited() {
        let stack = vec![0u8; 64 * 1024];
        let sp = (stack.as_ptr() as u64 + stack.len() as u64 - 256) & !15;
        let mut s = X86State::default();
        for (i, r) in s.gpr.iter_mut().enumerate() {
            *r = 0x1111 * (i as u64 + 1);
        }
        s.gpr[reg::RSP] = sp;
        s.rip = 0x40_0123;
        s.header.next_pc = s.rip;
        (s.cf, s.zf, s.mxcsr) = (1, 1, 0x1f80 | 0x6000);
        s.xmm[3] = [0xdead, 0xbeef];
        s.ymm_hi[5] = [0xfeed, 0xf00d];
        let before = s.clone();
        s.push_signal_frame(&TestMm, &delivery(None)).unwrap();

        let base = s.gpr[reg::RSP];
        assert_eq!(base % 16, 8, "the handler's rsp is 8 off 16, as after a call");
        assert!(base < sp - 128, "below the red zone");
        assert_eq!((s.rip, s.header.next_pc, s.gpr[reg::RDI]), (0x40_1000, 0x40_1000, 10));
        assert_eq!((s.gpr[reg::RSI], s.gpr[reg::RDX]), (base + 312, base + 8));
        assert_eq!(word(base), 0x40_2000, "pretcode: the restorer");
        assert_eq!(word(base + 48 + 128), 0x40_0123, "uc_mcontext.rip");
        assert_eq!(word(base + 48 + 15 * 8), sp, "uc_mcontext.rsp");
        assert_eq!(word(base + 48 + 13 * 8), before.gpr[reg::RAX], "uc_mcontext.rax");
        assert_eq!(word(base + 304), 0x5a5a, "uc_sigmask");
        assert_eq!(s.xmm[3], [0, 0], "the handler starts with a fresh FP state");
        assert_eq!(s.ymm_hi[5], [0, 0], "the handler starts with a fresh FP state");
        // The XSAVE-format FP state: FP_XSTATE flag, magics, XSTATE_BV, the ymm upper halves.
        let fpstate = word(base + 48 + 184);
        assert_eq!(fpstate % 64, 0);
        assert_eq!(word(base + 8) & 1, 1, "uc_flags has UC_FP_XSTATE");
        assert_eq!(word(fpstate + 464) as u32, 0x4650_5853, "FP_XSTATE_MAGIC1");
        assert_eq!(word(fpstate + 464) >> 32, 836, "extended_size");
        assert_eq!((word(fpstate + 472), word(fpstate + 480) as u32), (7, 832), "xfeatures, xstate_size");
        assert_eq!(word(fpstate + 832) as u32, 0x4650_5845, "FP_XSTATE_MAGIC2");
        assert_eq!(word(fpstate + 512), 7, "XSTATE_BV");
        assert_eq!((word(fpstate + 576 + 80), word(fpstate + 584 + 80)), (0xfeed, 0xf00d));

        // The handler changes an upper ymm half in the frame, skips an instruction, clobbers
        // registers, and returns (ret pops pretcode).
        set_word(fpstate + 576 + 80, 0xcafe);
        set_word(base + 48 + 128, 0x40_0125);
        s.gpr = [7; 16];
        s.gpr[reg::RSP] = base + 8;
        let popped = s.pop_signal_frame(&TestMm).unwrap();
        assert_eq!(popped.mask, 0x5a5a);
        assert_eq!(popped.altstack, (0, 2, 0), "uc_stack as delivered: SS_DISABLE");
        let mut expected = before;
        expected.rip = 0x40_0125;
        expected.header.next_pc = 0x40_0125;
        expected.ymm_hi[5][0] = 0xcafe;
        assert_eq!(format!("{s:?}"), format!("{expected:?}"));

        // Without the magics (an FXSAVE-only frame), the upper halves get their initial state.
        s.push_signal_frame(&TestMm, &delivery(None)).unwrap();
        let base = s.gpr[reg::RSP];
        let fpstate = word(base + 48 + 184);
        set_word(fpstate + 464, 0);
        s.gpr[reg::RSP] = base + 8;
        s.pop_signal_frame(&TestMm).unwrap();
        assert_eq!(s.ymm_hi[5], [0, 0]);
        assert_eq!(s.xmm[3], [0xdead, 0xbeef]);
    }

    #[test]
    fn aarch64_frame_round_trips_on_the_alternate_stack() {
        let stack = vec![0u8; 64 * 1024];
        let alt = vec![0u8; 64 * 1024];
        let alt_top = (alt.as_ptr() as u64 + alt.len() as u64) & !15;
        let mut s = A64State::default();
        for (i, r) in s.x.iter_mut().enumerate() {
            *r = 0x2222 * (i as u64 + 1);
        }
        s.sp = (stack.as_ptr() as u64 + 4096) & !15;
        s.pc = 0x40_0400;
        (s.n, s.c, s.ssbs, s.fpcr, s.fpsr) = (1, 1, 1, 0x0040_0000, 0x10);
        s.vreg[31] = [1, 2];
        let before = s.clone();
        s.push_signal_frame(&TestMm, &delivery(Some(alt_top))).unwrap();

        let base = s.sp;
        assert!(base < alt_top && base > alt_top - 8192, "the frame is on the alternate stack");
        assert_eq!(base % 16, 0);
        assert_eq!((s.pc, s.x[0], s.x[1], s.x[2]), (0x40_1000, 10, base, base + 128));
        assert_eq!((s.x[30], s.x[29]), (0x40_2000, (alt_top - 16) & !15));
        let sc = base + 128 + 176;
        assert_eq!(word(sc + 8 + 8 * 5), before.x[5], "regs[5]");
        assert_eq!((word(sc + 256), word(sc + 264)), (before.sp, 0x40_0400), "sp, pc");
        assert_eq!(word(sc + 272), 0xa000_1000, "pstate: N, C and SSBS");
        assert_eq!(word(sc + 288) as u32, 0x4650_8001, "fpsimd_context magic");
        assert_eq!(word(base + 128 + 40), 0x5a5a, "uc_sigmask");

        set_word(sc + 264, 0x40_0404);
        s.x = [9; 31];
        s.vreg = [[0; 2]; 32];
        s.ssbs = 0;
        assert_eq!(s.pop_signal_frame(&TestMm).unwrap().mask, 0x5a5a);
        let mut expected = before;
        expected.pc = 0x40_0404;
        expected.header.next_pc = 0x40_0404;
        assert_eq!(format!("{s:?}"), format!("{expected:?}"));
    }
}
