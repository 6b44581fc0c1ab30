//! Raw system calls of the host kernel: the one place xlate issues a system call by number.
//! Which number to issue, and whether a call may be issued at all, is the syscall layer's
//! business ([`crate::syscall`]'s host table); this module only performs it.

/// Issues host syscall `nr` with six arguments; returns the kernel's raw result (a value, or
/// `-errno`).
///
/// # Safety
/// The call must not unmap, overwrite or re-protect memory that xlate uses, nor end or
/// reshape the process behind Rust's back: any pointer among the arguments must be valid for
/// what the call does with it (the kernel answers EFAULT for unmapped ones, but not for
/// mapped memory that belongs to someone else).
pub unsafe fn syscall6(nr: u32, a: [u64; 6]) -> i64 {
    // SAFETY: per the contract.
    let r = unsafe {
        libc::syscall(
            nr as libc::c_long,
            a[0] as libc::c_long,
            a[1] as libc::c_long,
            a[2] as libc::c_long,
            a[3] as libc::c_long,
            a[4] as libc::c_long,
            a[5] as libc::c_long,
        )
    };
    if r == -1 {
        -(std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::ENOSYS) as i64)
    } else {
        r as i64
    }
}

/// A result [`forwarded_syscall`] returns when the call was interrupted by a signal and the
/// kernel was about to restart it (SA_RESTART, or a call that always restarts), or when a
/// signal came before the call started: the kernel's own `ERESTARTSYS`, which never reaches
/// user space otherwise. The signal's host handler turns the restart into this result
/// ([`in_restart_window`]), so that the guest's handler runs first and the guest then issues
/// the call again, as the kernel would have.
pub const RESTART: i64 = -512;

// `xlate_forwarded_syscall(nr, args: *const [u64; 6], interrupt: *const u64) -> i64`: the raw
// call, unless `*interrupt` is non-zero (then RESTART without the call). The restart window
// runs from the global label `xlate_forwarded_syscall_window` (the load of `*interrupt`) to
// the syscall instruction at `xlate_forwarded_syscall_insn`, inclusive: a signal handler that
// interrupts the routine there returns RESTART from it, so a signal that comes after the test
// of `*interrupt` cannot leave the call blocking with the signal taken.
#[cfg(target_arch = "x86_64")]
std::arch::global_asm!(
    ".text",
    ".globl xlate_forwarded_syscall",
    ".globl xlate_forwarded_syscall_window",
    ".globl xlate_forwarded_syscall_insn",
    ".p2align 4",
    "xlate_forwarded_syscall:",
    "mov rax, rdi",
    "mov r11, rdx",
    "mov rdx, [rsi + 16]",
    "mov r10, [rsi + 24]",
    "mov r8, [rsi + 32]",
    "mov r9, [rsi + 40]",
    "mov rdi, [rsi]",
    "mov rsi, [rsi + 8]",
    "xlate_forwarded_syscall_window:",
    "cmp qword ptr [r11], 0",
    "jne .Lxlate_forwarded_syscall_interrupted",
    "xlate_forwarded_syscall_insn:",
    "syscall",
    "ret",
    ".Lxlate_forwarded_syscall_interrupted:",
    "mov rax, -512",
    "ret",
);
#[cfg(target_arch = "aarch64")]
std::arch::global_asm!(
    ".text",
    ".globl xlate_forwarded_syscall",
    ".globl xlate_forwarded_syscall_window",
    ".globl xlate_forwarded_syscall_insn",
    ".p2align 4",
    "xlate_forwarded_syscall:",
    "mov x8, x0",
    "mov x9, x1",
    "mov x10, x2",
    "ldp x0, x1, [x9]",
    "ldp x2, x3, [x9, #16]",
    "ldp x4, x5, [x9, #32]",
    "xlate_forwarded_syscall_window:",
    "ldr x11, [x10]",
    "cbnz x11, .Lxlate_forwarded_syscall_interrupted",
    "xlate_forwarded_syscall_insn:",
    "svc #0",
    "ret",
    ".Lxlate_forwarded_syscall_interrupted:",
    "mov x0, #-512",
    "ret",
);

extern "C" {
    fn xlate_forwarded_syscall(nr: u64, args: *const [u64; 6], interrupt: *const u64) -> i64;
    fn xlate_forwarded_syscall_window();
    fn xlate_forwarded_syscall_insn();
}

/// Whether a signal handler interrupted [`forwarded_syscall`] at `pc` before its call started
/// (after its test of the interrupt word) or at its syscall instruction (the kernel moves the
/// PC back there to restart the call). Such a handler may return [`RESTART`] from the call
/// instead ([`restart_return`]).
pub fn in_restart_window(pc: usize) -> bool {
    let window = xlate_forwarded_syscall_window as *const () as usize;
    (window..=xlate_forwarded_syscall_insn as *const () as usize).contains(&pc)
}

/// Where [`forwarded_syscall`] returns from a call that was issued: the PC after its syscall
/// instruction, where a handler that returns [`RESTART`] ([`in_restart_window`]) resumes it
/// with the result register (`rax` / `x0`) set to [`RESTART`].
pub fn restart_return() -> usize {
    xlate_forwarded_syscall_insn as *const () as usize + SYSCALL_INSN_LEN
}

/// Bytes of the host's syscall instruction (`syscall` / `svc #0`).
const SYSCALL_INSN_LEN: usize = if cfg!(target_arch = "x86_64") { 2 } else { 4 };

/// [`syscall6`] for a call that the syscall layer forwards unchanged and that may block: the
/// kernel's result, or [`RESTART`] (see there). `interrupt` is the word the host signal
/// handler sets when it records a signal for the calling thread: non-zero before the call
/// starts, the call is not made and the result is [`RESTART`].
///
/// # Safety
/// As [`syscall6`]; `interrupt` is readable for the whole call.
pub unsafe fn forwarded_syscall(nr: u32, a: [u64; 6], interrupt: *const u64) -> i64 {
    // SAFETY: per the contract; the routine follows the kernel's syscall convention and the
    // C ABI (it clobbers only caller-saved registers: rcx and r11 on x86-64, x8 to x11 on
    // AArch64).
    unsafe { xlate_forwarded_syscall(u64::from(nr), &a, interrupt) }
}

/// fork(2) of xlate itself, through libc so that xlate's own libc state (its cached thread
/// id, at-fork handlers, stdio locks) stays right in the child. Returns the child's pid, 0 in
/// the child, or `-errno`.
pub fn fork() -> i64 {
    // SAFETY: xlate runs the guest on one thread, so the child is a complete copy with no
    // lock held by a thread that does not exist in it.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        -(std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EAGAIN) as i64)
    } else {
        pid as i64
    }
}

/// The host stack a vfork child runs xlate on (its translator and dispatcher frames).
const VFORK_STACK: usize = 8 << 20;

/// clone(CLONE_VM | CLONE_VFORK | SIGCHLD) with `child` as the child's body: a new process
/// that shares every byte of this one's memory runs `child` on a host stack of its own, while
/// the kernel keeps the calling thread suspended until the child execs or exits; `child`'s
/// result is the child's exit status (libc's clone ends the child with the exit syscall when
/// the body returns). Returns the child's pid, or `-errno`.
///
/// # Safety
/// The child shares the calling thread's memory, its thread-local storage included (libc's
/// clone does not give the child a thread pointer of its own): `child` may use what the
/// calling thread holds, because that thread does not run until the child is gone, but it
/// must leave all of it consistent for the calling thread to go on with, must not call libc
/// functions that act on "the current thread" by its cached thread id (raise, pthread_kill),
/// and must not unwind out of the body.
pub unsafe fn vfork_run(child: &mut dyn FnMut() -> i32) -> i64 {
    extern "C" fn body(arg: *mut libc::c_void) -> libc::c_int {
        // SAFETY: `arg` is the `&mut &mut dyn FnMut` below, alive in the suspended caller's
        // frame for as long as the child runs.
        let child = unsafe { &mut *(arg as *mut &mut dyn FnMut() -> i32) };
        child()
    }
    // SAFETY: a fresh private anonymous mapping, used only as the child's stack and unmapped
    // below, after the child is gone (it exec'd, so its memory is another, or it exited).
    unsafe {
        let stack = libc::mmap(
            std::ptr::null_mut(),
            VFORK_STACK,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
            -1,
            0,
        );
        if stack == libc::MAP_FAILED {
            return -i64::from(libc::ENOMEM);
        }
        let top = stack.cast::<u8>().add(VFORK_STACK).cast::<libc::c_void>();
        let mut arg: &mut dyn FnMut() -> i32 = child;
        let pid = libc::clone(
            body,
            top,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            (&mut arg as *mut &mut dyn FnMut() -> i32).cast(),
        );
        let result = if pid < 0 {
            -(std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EAGAIN) as i64)
        } else {
            pid as i64
        };
        libc::munmap(stack, VFORK_STACK);
        result
    }
}

/// Ends this process by `signal`'s default action with raw system calls only (the signal's
/// disposition reset, unblocked, sent to the process): usable in a vfork child, where libc's
/// raise would read the suspended parent thread's cached thread id. Exits with 128 + signal
/// if the signal does not end the process.
pub fn die_by_signal_raw(signal: i32) -> ! {
    // SAFETY: signal-state syscalls on this process and its calling thread; the only memory
    // touched is the local `set`.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, signal);
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_UNBLOCK,
            &set as *const libc::sigset_t,
            0usize,
            8usize,
        );
        libc::syscall(libc::SYS_kill, libc::syscall(libc::SYS_getpid), signal);
        libc::syscall(libc::SYS_exit_group, 128 + signal);
    }
    unreachable!("exit_group returned")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raised_interrupt_word_returns_restart_without_the_call() {
        let getpid = libc::SYS_getpid as u32;
        let pid = i64::from(std::process::id());
        let lowered = 0u64;
        let raised = 1u64;
        // SAFETY: getpid touches no memory; the words are live locals.
        unsafe {
            assert_eq!(forwarded_syscall(getpid, [0; 6], &lowered), pid);
            assert_eq!(forwarded_syscall(getpid, [0; 6], &raised), RESTART);
        }
    }

    #[test]
    fn the_restart_window_ends_at_the_syscall_instruction() {
        let window = xlate_forwarded_syscall_window as *const () as usize;
        let insn = xlate_forwarded_syscall_insn as *const () as usize;
        assert!(window < insn);
        assert!(in_restart_window(window) && in_restart_window(insn));
        assert!(!in_restart_window(window - 1), "before the test of the word: the word says it");
        assert!(!in_restart_window(restart_return()), "the call was made");
    }
}
