//! The oracle: runs a case's bytes natively on an x86-64 host.
//!
//! The bytes are copied into a fresh code page between a prologue that loads every GPR,
//! RFLAGS, xmm0-15 and MXCSR from a context struct and an epilogue that stores them back, so
//! the snippet runs with exactly the case's initial state (its stack is inside the scratch
//! memory). Each run happens in a forked child so that a case that faults (#DE, a stray
//! access, ud2) kills only the child; the context and the scratch memory are shared mappings,
//! so the parent reads the child's results from them.

// dynasm's register macros convert their argument with `.into()`.
#![allow(clippy::useless_conversion)]

use crate::case::{Case, CpuState, Outcome, CODE_PC, FLAGS_MASK};
use crate::scratch;
use dynasmrt::x64::X64Relocation;
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi, VecAssembler};
use iced_x86::CpuidFeature;

/// Where the code page is mapped: fixed, so that `CODE_PC` is the guest bytes' real address.
const CODE_PAGE: u64 = CODE_PC & !0xfff;
const CODE_PAGE_LEN: usize = 0x2000;

/// The context the prologue loads from and the epilogue stores to.
#[repr(C, align(16))]
struct Ctx {
    gpr: [u64; 16],
    rflags: u64,
    mxcsr: u32,
    host_mxcsr: u32,
    host_rsp: u64,
    _pad: u64,
    xmm: [[u64; 2]; 16],
    ymm_hi: [[u64; 2]; 16],
}

const GPR: i32 = 0;
const RFLAGS: i32 = 128;
const MXCSR: i32 = 136;
const HOST_MXCSR: i32 = 140;
const HOST_RSP: i32 = 144;
const XMM: i32 = 160;
const YMM_HI: i32 = 416;

/// Builds prologue + case bytes + epilogue for a context at `ctx`. The case bytes start at
/// `CODE_PC`.
fn assemble(code: &[u8], ctx: u64) -> Vec<u8> {
    let mut a = VecAssembler::<X64Relocation>::new(CODE_PAGE as usize);
    dynasm!(a
        ; .arch x64
        ; push rbx ; push rbp ; push r12 ; push r13 ; push r14 ; push r15
        ; mov r15, rdi
        ; mov [r15 + HOST_RSP], rsp
        ; stmxcsr [r15 + HOST_MXCSR]
        ; ldmxcsr [r15 + MXCSR]
    );
    for x in 0..16u8 {
        dynasm!(a ; .arch x64 ; movdqu Rx(x), [r15 + XMM + 16 * x as i32]);
    }
    if has_avx() {
        for x in 0..16u8 {
            dynasm!(a ; .arch x64 ; vinsertf128 Ry(x), Ry(x), [r15 + YMM_HI + 16 * x as i32], 1);
        }
    }
    dynasm!(a ; .arch x64 ; push QWORD [r15 + RFLAGS] ; popfq);
    for r in 0..15u8 {
        dynasm!(a ; .arch x64 ; mov Rq(r), [r15 + GPR + 8 * r as i32]);
    }
    dynasm!(a ; .arch x64 ; mov r15, [r15 + GPR + 8 * 15] ; jmp ->guest);
    while a.offset().0 < (CODE_PC - CODE_PAGE) as usize {
        dynasm!(a ; .arch x64 ; int3);
    }
    dynasm!(a ; .arch x64 ; ->guest:);
    assert_eq!(CODE_PAGE as usize + a.offset().0, CODE_PC as usize);
    a.extend(code.iter().copied());
    dynasm!(a
        ; .arch x64
        ; mov [->slot_r15], r15
        ; mov r15, [->slot_ctx]
    );
    for r in 0..15u8 {
        dynasm!(a ; .arch x64 ; mov [r15 + GPR + 8 * r as i32], Rq(r));
    }
    dynasm!(a
        ; .arch x64
        ; mov rsp, [r15 + HOST_RSP]
        ; pushfq
        ; pop QWORD [r15 + RFLAGS]
        ; stmxcsr [r15 + MXCSR]
    );
    for x in 0..16u8 {
        dynasm!(a ; .arch x64 ; movdqu [r15 + XMM + 16 * x as i32], Rx(x));
    }
    if has_avx() {
        for x in 0..16u8 {
            dynasm!(a ; .arch x64 ; vextractf128 [r15 + YMM_HI + 16 * x as i32], Ry(x), 1);
        }
    }
    dynasm!(a
        ; .arch x64
        ; ldmxcsr [r15 + HOST_MXCSR]
        ; cld
        ; mov rax, [->slot_r15]
        ; mov [r15 + GPR + 8 * 15], rax
        ; pop r15 ; pop r14 ; pop r13 ; pop r12 ; pop rbp ; pop rbx
        ; ret
        ; .align 8
        ; ->slot_r15:
        ; .u64 0
        ; ->slot_ctx:
        ; .u64 ctx
    );
    a.finalize().expect("native harness assembles")
}

/// Runs `case` natively; the scratch memory must be set to the case's initial memory. On
/// return it holds the final memory.
pub fn run(case: &Case) -> Outcome {
    // SAFETY: a private shared anonymous mapping for the context, unmapped below.
    let ctx_ptr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            std::mem::size_of::<Ctx>(),
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(ctx_ptr, libc::MAP_FAILED, "mmap of the native context");
    let ctx = ctx_ptr as *mut Ctx;
    let init = &case.init;
    // SAFETY: ctx points at a fresh mapping large enough and aligned (page) for a Ctx.
    unsafe {
        ctx.write(Ctx {
            gpr: init.gpr,
            rflags: (init.rflags & FLAGS_MASK) | 2,
            mxcsr: init.mxcsr,
            host_mxcsr: 0,
            host_rsp: 0,
            _pad: 0,
            xmm: init.xmm,
            ymm_hi: init.ymm_hi,
        });
    }
    let bytes = assemble(&case.code, ctx as u64);
    assert!(bytes.len() <= CODE_PAGE_LEN, "case code too long");
    // SAFETY: maps fresh pages at a fixed address that nothing else in the test process uses
    // (MAP_FIXED_NOREPLACE fails rather than clobber a mapping); unmapped below. The page is
    // writable and executable because the epilogue stores r15 next to itself.
    let page = unsafe {
        libc::mmap(
            CODE_PAGE as *mut libc::c_void,
            CODE_PAGE_LEN,
            libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE,
            -1,
            0,
        )
    };
    assert_eq!(page as u64, CODE_PAGE, "mmap of the native code page");
    // SAFETY: the page is writable and `bytes` fits in it.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), page as *mut u8, bytes.len()) };

    // SAFETY: fork in a test process: the child only resets signal dispositions, calls the
    // generated code (which touches only the shared context, the scratch memory and its own
    // code page) and _exits, all async-signal-safe.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork");
    if pid == 0 {
        // SAFETY: see above; `entry` is the prologue of the code just written.
        unsafe {
            let no_core = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
            libc::setrlimit(libc::RLIMIT_CORE, &no_core);
            for sig in [libc::SIGSEGV, libc::SIGBUS, libc::SIGFPE, libc::SIGILL, libc::SIGTRAP] {
                libc::signal(sig, libc::SIG_DFL);
            }
            let entry: extern "C" fn(*mut Ctx) = std::mem::transmute(CODE_PAGE as usize);
            entry(ctx);
            libc::_exit(0);
        }
    }
    let mut status = 0;
    // SAFETY: waits for the child just forked.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid, "waitpid");
    let outcome = if libc::WIFSIGNALED(status) {
        Outcome::Signal(libc::WTERMSIG(status))
    } else {
        assert_eq!(libc::WEXITSTATUS(status), 0, "native child exit status");
        // SAFETY: the child wrote the context through the shared mapping and has exited.
        let c = unsafe { &*ctx };
        let state = CpuState {
            gpr: c.gpr,
            rflags: c.rflags & FLAGS_MASK,
            mxcsr: c.mxcsr,
            xmm: c.xmm,
            ymm_hi: if has_avx() { c.ymm_hi } else { init.ymm_hi },
        };
        Outcome::Done { state, mem: scratch::diff(&case.mem.build()) }
    };
    // SAFETY: both mappings were made above and nothing refers to them any more.
    unsafe {
        libc::munmap(page, CODE_PAGE_LEN);
        libc::munmap(ctx_ptr, std::mem::size_of::<Ctx>());
    }
    outcome
}

/// Whether this host has AVX (then the harness loads and stores the upper halves of ymm0-15;
/// without it, no case that touches them runs natively: see [`missing_feature`]).
fn has_avx() -> bool {
    std::is_x86_feature_detected!("avx")
}

/// The first CPU feature a case's instructions need that this host lacks (None: it has them
/// all). Only the optional scalar extensions are checked: every x86-64 processor has the
/// baseline the other families use, but CI may run on a processor of either vendor or an
/// older model without BMI1, BMI2, ADX, MOVBE, LZCNT (where `lzcnt` is `bsr`), POPCNT,
/// SSE4.2 (crc32), AVX, AVX2, FMA or F16C.
pub fn missing_feature(case: &Case) -> Option<CpuidFeature> {
    use iced_x86::{Decoder, DecoderOptions};
    let has = |f: CpuidFeature| match f {
        CpuidFeature::BMI1 => std::is_x86_feature_detected!("bmi1"),
        CpuidFeature::BMI2 => std::is_x86_feature_detected!("bmi2"),
        CpuidFeature::ADX => std::is_x86_feature_detected!("adx"),
        CpuidFeature::MOVBE => std::is_x86_feature_detected!("movbe"),
        CpuidFeature::LZCNT => std::is_x86_feature_detected!("lzcnt"),
        CpuidFeature::POPCNT => std::is_x86_feature_detected!("popcnt"),
        CpuidFeature::SSE3 => std::is_x86_feature_detected!("sse3"),
        CpuidFeature::SSSE3 => std::is_x86_feature_detected!("ssse3"),
        CpuidFeature::SSE4_1 => std::is_x86_feature_detected!("sse4.1"),
        CpuidFeature::SSE4_2 => std::is_x86_feature_detected!("sse4.2"),
        CpuidFeature::CMPXCHG16B => std::is_x86_feature_detected!("cmpxchg16b"),
        CpuidFeature::RDRAND => std::is_x86_feature_detected!("rdrand"),
        CpuidFeature::RDSEED => std::is_x86_feature_detected!("rdseed"),
        CpuidFeature::AVX => has_avx(),
        CpuidFeature::AVX2 => std::is_x86_feature_detected!("avx2"),
        CpuidFeature::FMA => std::is_x86_feature_detected!("fma"),
        CpuidFeature::F16C => std::is_x86_feature_detected!("f16c"),
        _ => true,
    };
    Decoder::with_ip(64, &case.code, CODE_PC, DecoderOptions::NONE)
        .into_iter()
        .flat_map(|insn| insn.cpuid_features().to_vec())
        .find(|&f| !has(f))
}
