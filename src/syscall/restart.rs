//! Restarting a call interrupted by a guest handler (SA_RESTART), as the kernel does.
//!
//! The runtime's host handler for guest signals is installed without SA_RESTART: a blocking
//! host call that it interrupts returns EINTR at once, so that the guest's handler runs now
//! (with SA_RESTART on the host the kernel would restart the call itself, and the handler
//! would wait until the call completed, possibly forever: a futex wait for what the handler
//! does). The guest then sees what the kernel gives it: when the call is one the kernel
//! restarts (`-ERESTARTSYS`: [`restartable`]) and the handler has SA_RESTART, the call runs
//! again after the handler returns (the frame holds the PC of the syscall instruction and the
//! call's number and arguments); otherwise EINTR.
//!
//! The interrupted call is a per-thread record, set when a call returns EINTR, taken by the
//! delivery that follows on that thread ([`super::signal::SignalState::deliver`]) and dropped
//! by the runtime when no signal is pending after the call ([`forget_interrupted`]).

use super::Sysno;
use std::cell::Cell;

thread_local! {
    /// The number and arguments of this thread's last call, when it returned EINTR and the
    /// kernel would restart it under SA_RESTART.
    static INTERRUPTED: Cell<Option<(u64, [u64; 6])>> = const { Cell::new(None) };
}

const FUTEX_CMD_MASK: u64 = 0x7f; // without FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME
const FUTEX_WAIT: u64 = 0;
const FUTEX_WAIT_BITSET: u64 = 9;
const F_SETLKW: u64 = 7;
const F_OFD_SETLKW: u64 = 38;

/// Whether the kernel restarts `sys` with these arguments after a handler with SA_RESTART
/// (signal(7) "Interruption of system calls and library functions by signal handlers"):
/// reads and writes, ioctl, open, the waits, socket calls, file locks, POSIX message queues,
/// untimed futex waits and getrandom. The others (sleeps, poll/select/epoll, timed futex
/// waits, sigsuspend, ...) return EINTR whatever the flags. A socket call under
/// SO_RCVTIMEO/SO_SNDTIMEO returns EINTR in the kernel; here it is restarted (not checked).
pub(crate) fn restartable(sys: Sysno, args: &[u64; 6]) -> bool {
    use Sysno::*;
    match sys {
        read | readv | write | writev | pread64 | pwrite64 | preadv | pwritev | preadv2 | pwritev2
        | ioctl | open | openat | creat | openat2 | wait4 | waitid | accept | accept4 | connect
        | recvfrom | recvmsg | recvmmsg | sendto | sendmsg | sendmmsg | flock | mq_timedsend
        | mq_timedreceive | getrandom => true,
        fcntl => matches!(args[1], F_SETLKW | F_OFD_SETLKW),
        futex => matches!(args[1] & FUTEX_CMD_MASK, FUTEX_WAIT | FUTEX_WAIT_BITSET) && args[3] == 0,
        _ => false,
    }
}

/// Records (or clears) this thread's last call after it returned `ret`.
pub(crate) fn note_result(sys: Sysno, nr: u64, args: [u64; 6], ret: i64) {
    let restart = ret == -(libc::EINTR as i64) && restartable(sys, &args);
    INTERRUPTED.with(|c| c.set(if restart { Some((nr, args)) } else { None }));
}

/// Takes this thread's interrupted call, if its last call was one.
pub(crate) fn take_interrupted() -> Option<(u64, [u64; 6])> {
    INTERRUPTED.with(|c| c.take())
}

/// Drops the record of an interrupted call: no signal is pending after it (the runtime calls
/// this after a call when none is), so no delivery may restart it later.
pub fn forget_interrupted() {
    INTERRUPTED.with(|c| c.set(None));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untimed_futex_waits_and_reads_restart_timed_waits_and_sleeps_do_not() {
        assert!(restartable(Sysno::futex, &[0x1000, 0x80, 0, 0, 0, 0]));
        assert!(restartable(Sysno::futex, &[0x1000, 9 | 0x100, 0, 0, 0, u64::MAX as u32 as u64]));
        assert!(!restartable(Sysno::futex, &[0x1000, 0x80, 0, 0x7000, 0, 0]));
        assert!(!restartable(Sysno::futex, &[0x1000, 0x81, 1, 0, 0, 0]));
        assert!(restartable(Sysno::read, &[0; 6]));
        assert!(restartable(Sysno::fcntl, &[3, F_SETLKW, 0, 0, 0, 0]));
        assert!(!restartable(Sysno::fcntl, &[3, 6, 0, 0, 0, 0]));
        assert!(!restartable(Sysno::nanosleep, &[0; 6]));
        assert!(!restartable(Sysno::epoll_pwait, &[0; 6]));
    }

    #[test]
    fn only_an_eintr_of_a_restartable_call_is_kept_and_taken_once() {
        note_result(Sysno::read, 0, [1, 2, 3, 0, 0, 0], -(libc::EINTR as i64));
        assert_eq!(take_interrupted(), Some((0, [1, 2, 3, 0, 0, 0])));
        assert_eq!(take_interrupted(), None);
        note_result(Sysno::read, 0, [0; 6], -(libc::EAGAIN as i64));
        assert_eq!(take_interrupted(), None);
        note_result(Sysno::nanosleep, 35, [0; 6], -(libc::EINTR as i64));
        assert_eq!(take_interrupted(), None);
        note_result(Sysno::write, 1, [0; 6], -(libc::EINTR as i64));
        forget_interrupted();
        assert_eq!(take_interrupted(), None);
    }
}
