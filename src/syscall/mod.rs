//! The syscall layer: a guest's system call, in the guest's numbering and struct layouts, is
//! run on the host kernel.
//!
//! ```text
//!  guest state ──GuestRegs─> (number, 6 args) ──abi table──> Sysno (canonical, Linux names)
//!                                                              │
//!        ┌───────────────────────────┬─────────────────────────┼──────────────────────┐
//!        v                           v                         v                      v
//!  owned by xlate              layout converters         forwarded as-is       host lacks it:
//!  (memory.rs, signal.rs,      (convert.rs, fs.rs:       (host.rs: the host's  compat.rs emulates
//!   process.rs: brk, mmap,      stat, epoll_event,        number from the       it with the *at /
//!   arch_prctl, exit, ...)      open flags, getdents)     host's table)         2 / 3 / p calls
//! ```
//!
//! Which of those a call gets, or that it is refused on purpose (its errno and the reason,
//! shown by `--strace`), is one table: [`treatment::treatment`]. Every number of both guest
//! ABIs' kernel tables is a [`Sysno`] with a treatment (`tests/syscall_tables.rs`).
//!
//! Each guest ABI ([`abi::x86_64`], [`abi::aarch64`]) is data: a number table checked against
//! the kernel's headers and the struct layouts it uses. Where a call's number and arguments
//! live in the guest's registers the layer asks the guest state through [`GuestRegs`]; it
//! knows no guest's state struct. The host
//! side is the same data for the ISA xlate is compiled for ([`host::HOST`]), so a cross pair
//! (x86-64 guest on an AArch64 host, or the reverse) differs from the same-ISA pair only in the
//! tables and layouts chosen, never in special cases here.
//!
//! Guest addresses are host addresses, so pointers are forwarded unchanged wherever the
//! layouts agree; before a call reaches a handler, the pointer arguments that
//! [`abi::pointers`] describes are checked against the guest's mappings (EFAULT otherwise), so
//! that the kernel never reads or writes xlate's own memory for the guest.

pub mod abi;
pub mod compat;
pub mod convert;
pub mod fs;
pub mod host;
pub mod ipc;
pub mod memory;
pub mod paths;
pub mod process;
pub mod procfs;
pub mod signal;
pub mod strace;
pub mod thread;
pub mod treatment;

pub use abi::AbiInfo;
pub use memory::GuestMm;

use crate::ir::protocol::SignalFlag;
use std::path::{Path, PathBuf};

/// A (positive) errno value, identical on x86-64 and asm-generic (AArch64) Linux for every
/// value the layer produces.
pub type Errno = i32;

macro_rules! sysnos {
    ($($name:ident)*) => {
        /// The system calls xlate knows, named as Linux names them. Guest ABIs map their numbers
        /// to these; the host side maps them back to host numbers.
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
        pub enum Sysno { $($name),* }

        impl Sysno {
            /// Every known syscall, in declaration order.
            pub const ALL: &'static [Sysno] = &[$(Sysno::$name),*];
            /// How many there are (the size of tables indexed by `Sysno as usize`).
            pub const COUNT: usize = Self::ALL.len();

            /// The Linux name (`"newfstatat"`), as in `__NR_newfstatat`.
            pub fn name(self) -> &'static str {
                match self { $(Sysno::$name => stringify!($name)),* }
            }
        }
    };
}

sysnos! {
    read write open close stat fstat lstat poll lseek mmap mprotect munmap brk rt_sigaction
    rt_sigprocmask rt_sigreturn ioctl pread64 pwrite64 readv writev access pipe select
    sched_yield mremap msync mincore madvise dup dup2 pause nanosleep getitimer alarm setitimer
    getpid sendfile socket connect accept sendto recvfrom sendmsg recvmsg shutdown bind listen
    getsockname getpeername socketpair setsockopt getsockopt clone fork vfork execve exit wait4
    kill uname fcntl flock fsync fdatasync truncate ftruncate getdents getcwd chdir fchdir
    rename mkdir rmdir creat link unlink symlink readlink chmod fchmod chown fchown lchown umask
    gettimeofday getrlimit getrusage sysinfo times getuid getgid setuid setgid geteuid getegid
    setpgid getppid getpgrp setsid setreuid setregid getgroups setgroups getresuid getresgid
    getpgid getsid rt_sigpending rt_sigtimedwait rt_sigsuspend sigaltstack utime statfs fstatfs
    getpriority setpriority sched_getparam sched_getscheduler sched_get_priority_max
    sched_get_priority_min prctl arch_prctl setrlimit sync gettid readahead tkill time futex
    sched_setaffinity sched_getaffinity epoll_create getdents64 set_tid_address fadvise64
    timer_create timer_settime timer_gettime timer_delete clock_gettime clock_getres
    clock_nanosleep exit_group epoll_wait epoll_ctl tgkill utimes waitid inotify_init
    inotify_add_watch inotify_rm_watch openat mkdirat mknodat fchownat futimesat newfstatat
    unlinkat renameat linkat symlinkat readlinkat fchmodat faccessat pselect6 ppoll
    set_robust_list get_robust_list splice tee sync_file_range utimensat epoll_pwait
    timerfd_create eventfd fallocate timerfd_settime timerfd_gettime accept4 eventfd2
    epoll_create1 dup3 pipe2 inotify_init1 preadv pwritev prlimit64 syncfs getcpu renameat2
    getrandom memfd_create copy_file_range preadv2 pwritev2 statx rseq clone3 close_range
    faccessat2 epoll_pwait2 mknod
    mlock munlock mlockall munlockall membarrier capget capset personality sendmmsg recvmmsg
    getxattr lgetxattr fgetxattr setxattr lsetxattr fsetxattr listxattr llistxattr flistxattr
    removexattr lremovexattr fremovexattr signalfd signalfd4 rt_sigqueueinfo rt_tgsigqueueinfo
    pidfd_open pidfd_send_signal sched_setscheduler sched_setparam sched_rr_get_interval
    timer_getoverrun
    shmget shmat shmctl semget semop semctl shmdt msgget msgsnd msgrcv msgctl ptrace syslog
    setresuid setresgid setfsuid setfsgid uselib ustat sysfs vhangup modify_ldt pivot_root _sysctl
    adjtimex chroot acct settimeofday mount umount2 swapon swapoff reboot sethostname setdomainname
    iopl ioperm create_module init_module delete_module get_kernel_syms query_module quotactl
    nfsservctl getpmsg putpmsg afs_syscall tuxcall security set_thread_area io_setup io_destroy
    io_getevents io_submit io_cancel get_thread_area lookup_dcookie epoll_ctl_old epoll_wait_old
    remap_file_pages restart_syscall semtimedop clock_settime vserver mbind set_mempolicy
    get_mempolicy mq_open mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr kexec_load
    add_key request_key keyctl ioprio_set ioprio_get migrate_pages unshare vmsplice move_pages
    perf_event_open fanotify_init fanotify_mark name_to_handle_at open_by_handle_at clock_adjtime
    setns process_vm_readv process_vm_writev kcmp finit_module sched_setattr sched_getattr seccomp
    kexec_file_load bpf execveat userfaultfd mlock2 pkey_mprotect pkey_alloc pkey_free io_pgetevents
    io_uring_setup io_uring_enter io_uring_register open_tree move_mount fsopen fsconfig fsmount
    fspick openat2 pidfd_getfd process_madvise mount_setattr quotactl_fd landlock_create_ruleset
    landlock_add_rule landlock_restrict_self memfd_secret process_mrelease futex_waitv
    set_mempolicy_home_node
}

/// What the runtime must do after a guest system call.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SyscallOutcome {
    /// The result is in the guest's registers; continue at the guest's PC.
    Continue,
    /// The guest process ends with this status (exit_group, or exit of the only thread).
    Exit(i32),
    /// This guest thread ends (exit with other threads alive); its CLONE_CHILD_CLEARTID word
    /// has been cleared and woken already.
    ExitThread(i32),
    /// clone of a thread: the runtime starts it ([`thread::NewThread`]) and writes the result.
    NewThread(thread::NewThread),
    /// vfork: the runtime runs the child ([`process::Vfork`]) and writes the result.
    Vfork(process::Vfork),
    /// Guest memory in `[addr, addr + len)` that may hold translated code was unmapped,
    /// remapped or made non-executable: translations of it must be dropped, then continue.
    CodeModified { addr: u64, len: u64 },
}

/// A guest ISA's syscall ABI as data: the number table and struct layouts its calls use
/// ([`AbiInfo`]). One per ABI in [`abi`].
pub trait GuestAbi {
    const INFO: &'static AbiInfo;
}

/// A guest's registers as the syscall layer sees them: where a system call's number,
/// arguments and result live, and the few registers some calls read or write besides their
/// arguments. Each guest's state struct implements it, with the guest's description.
pub trait GuestRegs {
    fn syscall_number(&self) -> u64;
    fn syscall_args(&self) -> [u64; 6];
    /// Writes the result register, and whatever else the syscall instruction changes. Called
    /// with the guest PC already after the syscall instruction.
    fn set_syscall_result(&mut self, value: u64);
    /// The kernel's restart of a call interrupted by a signal: the PC back at the syscall
    /// instruction (from after it), with whatever the syscall instruction itself changes
    /// changed; the call's number and arguments stay in their registers (no result is
    /// written), so the guest issues the same call again.
    fn rewind_syscall(&mut self);
    /// Whether the host handler has raised this thread's signal flag (a signal recorded for
    /// delivery to a guest handler, not yet taken by the dispatcher).
    fn signal_recorded(&self) -> bool;
    /// The fs/gs segment base (x86-64 `arch_prctl`), `None` on guests without segments.
    fn segment_base(&mut self, segment: Segment) -> Option<&mut u64>;
    /// The stack pointer (sigaltstack tells whether it is on the alternate stack).
    fn stack_pointer(&self) -> u64;
    /// The stack pointer that signal delivery tests against the alternate stack, as the
    /// kernel does for this ISA (x86-64: below the red zone).
    fn signal_stack_pointer(&self) -> u64 {
        self.stack_pointer()
    }
    /// Sets the stack pointer (the child side of `clone` with a new stack).
    fn set_stack_pointer(&mut self, sp: u64);
    /// Sets the thread pointer (`clone` with CLONE_SETTLS): x86-64's fs base, AArch64's
    /// TPIDR_EL0.
    fn set_thread_pointer(&mut self, tp: u64);
    /// Delivers a signal to a guest handler: writes the guest's own `rt_sigframe` (the kernel's
    /// layout for this ISA: siginfo, ucontext with the registers, FP/SIMD state and the mask
    /// in `d.old_mask`) below the stack pointer or at the top of `d.stack`, and sets the
    /// registers (PC included) to enter `d.handler` as the kernel would.
    fn push_signal_frame(&mut self, mem: &dyn GuestMm, d: &signal::SignalDelivery) -> Result<(), Errno>;
    /// rt_sigreturn: restores every register (PC included) from the frame that
    /// [`Self::push_signal_frame`] wrote, found from the stack pointer as the kernel finds it;
    /// returns the signal mask and the alternate stack saved in the frame.
    fn pop_signal_frame(&mut self, mem: &dyn GuestMm) -> Result<signal::PoppedFrame, Errno>;
}

/// An x86 segment register with a base the guest can set.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Segment {
    Fs,
    Gs,
}

/// What one handler decided: a result for the guest, or an outcome for the runtime.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Action {
    /// The raw kernel-style result: a value, or `-errno`.
    Ret(i64),
    /// A result, and translations of this range must be dropped.
    RetCodeModified { ret: i64, addr: u64, len: u64 },
    /// The process ends; nothing is returned to the guest.
    Exit(i32),
    /// This thread ends; nothing is returned to the guest.
    ExitThread(i32),
    /// A new thread is to be started by the runtime.
    NewThread(thread::NewThread),
    /// A vfork child is to be run by the runtime.
    Vfork(process::Vfork),
    /// The call rewrote the guest's registers itself (rt_sigreturn): no result is written.
    RegistersRestored,
    /// A signal recorded for this thread is to be delivered before the call runs: the PC goes
    /// back to the syscall instruction (no result), so the guest issues the call again after
    /// its handler returns (see `thread::exit`).
    Rewind,
}

/// `Ret(-errno)`.
pub(crate) fn err(e: Errno) -> Action {
    Action::Ret(-(e as i64))
}

/// What the handlers of one call can reach: the guest ABI's data, its memory and registers.
pub(crate) struct Ctx<'a> {
    pub abi: &'static AbiInfo,
    pub mem: &'a mut dyn GuestMm,
    pub regs: &'a mut dyn GuestRegs,
}

/// The syscall layer of one guest process: its options and what it records for the guest.
pub struct SyscallLayer {
    strace: bool,
    /// The guest program's absolute path: the answer to readlink("/proc/self/exe").
    exe_path: PathBuf,
    /// The xlate binary to re-execute for a guest execve.
    translator: Option<PathBuf>,
    /// Where the guest's absolute paths are looked up first ([`paths`]); `None`: nowhere.
    sysroot: Option<paths::Sysroot>,
    /// Whether the sysroot was chosen by the user (`-L` or the environment), so that a
    /// guest's execve passes it on; the default one is the new xlate's own choice.
    sysroot_explicit: bool,
    pub(crate) signals: signal::SignalState,
    /// What the guest's /proc/self files show (argv, auxv, stack, heap).
    proc_view: procfs::ProcView,
}

impl SyscallLayer {
    /// `exe_path` is the guest program as named on the command line; it is made absolute here
    /// (against the current directory) so that later `chdir`s do not change the answer.
    ///
    /// The guest starts with SIGPIPE at SIG_DFL, as a program started from a shell does (so
    /// `xlate prog | head` ends the guest as it would end natively): Rust's runtime set it to
    /// SIG_IGN for xlate itself.
    pub fn new(exe_path: &Path, strace: bool) -> SyscallLayer {
        let exe_path = std::path::absolute(exe_path).unwrap_or_else(|_| exe_path.to_path_buf());
        signal::reset_sigpipe();
        // The guest's main thread starts without a robust list (see `thread::set_robust_list`).
        thread::register_with_host(0);
        SyscallLayer {
            strace,
            exe_path,
            translator: std::env::current_exe().ok(),
            sysroot: None,
            sysroot_explicit: false,
            signals: signal::SignalState::default(),
            proc_view: procfs::ProcView::default(),
        }
    }

    /// Sets what the guest's /proc/self/{cmdline,auxv,maps,smaps} show of its start-up.
    pub fn set_proc_view(&mut self, view: procfs::ProcView) {
        self.proc_view = view;
    }

    /// The xlate binary that a guest `execve` starts to run the new program (by default the
    /// running one; tests point it at the built `xlate`).
    pub fn set_translator(&mut self, path: PathBuf) {
        self.translator = Some(path);
    }

    /// The guest's sysroot (`/` or `None`: none); `explicit` when the user named it, so
    /// that the xlate a guest execve starts gets it too.
    pub fn set_sysroot(&mut self, root: Option<&Path>, explicit: bool) {
        self.sysroot = root.and_then(paths::Sysroot::new);
        self.sysroot_explicit = explicit;
    }

    pub fn exe_path(&self) -> &Path {
        &self.exe_path
    }

    /// Runs the system call the guest made in `state` and writes its result back, or tells the
    /// runtime that the guest exited. Never panics on guest input: an unknown number returns
    /// -ENOSYS (and says so with `--strace`).
    pub fn handle<A: GuestAbi>(
        &mut self,
        state: &mut impl GuestRegs,
        memory: &mut dyn GuestMm,
    ) -> SyscallOutcome {
        match self.begin::<A>(state, memory) {
            Ok(outcome) => outcome,
            Err(call) => {
                // No signal delivery watches this caller's flag: one that is never raised.
                static UNWATCHED: SignalFlag = SignalFlag::new();
                let ret = call.issue(&UNWATCHED);
                self.finish(state, memory, call, ret)
            }
        }
    }

    /// The first half of [`Self::handle`]: runs the call, or for a call that is forwarded to
    /// the same host call unchanged (and may block: read, futex, wait4, ...), returns it as
    /// `Err` so that the runtime can issue it ([`ForwardedCall::issue`]) with no lock held,
    /// then pass its result to [`Self::finish`].
    pub fn begin<A: GuestAbi>(
        &mut self,
        state: &mut impl GuestRegs,
        memory: &mut dyn GuestMm,
    ) -> Result<SyscallOutcome, ForwardedCall> {
        let nr = state.syscall_number();
        let args = state.syscall_args();
        let action = {
            let mut cx = Ctx { abi: A::INFO, mem: memory, regs: state };
            self.run(&mut cx, nr, args)?
        };
        Ok(Self::outcome(state, action))
    }

    /// The second half of [`Self::handle`] for a call [`Self::begin`] handed out.
    pub fn finish(
        &mut self,
        state: &mut impl GuestRegs,
        memory: &mut dyn GuestMm,
        call: ForwardedCall,
        ret: i64,
    ) -> SyscallOutcome {
        if ret == crate::host::syscall::RESTART {
            // Interrupted by a signal for a guest handler, to be restarted: the handler runs
            // first (the signal is recorded), then the guest issues the call again, as the
            // kernel does for ERESTARTSYS with SA_RESTART (and ERESTARTNOINTR).
            if self.strace {
                strace::restarted();
            }
            state.rewind_syscall();
            return SyscallOutcome::Continue;
        }
        let ret = match call.epoll {
            Some(wait) => wait.finish(&*memory, ret),
            None => ret,
        };
        let ret = match call.timeout {
            Some(timeout) => timeout.finish(&*memory, ret),
            None => ret,
        };
        let action = Action::Ret(ret);
        if self.strace {
            strace::result(call.sys, &action, None, None);
        }
        Self::outcome(state, action)
    }

    fn outcome(state: &mut impl GuestRegs, action: Action) -> SyscallOutcome {
        match action {
            Action::Ret(ret) => {
                state.set_syscall_result(ret as u64);
                SyscallOutcome::Continue
            }
            Action::RetCodeModified { ret, addr, len } => {
                state.set_syscall_result(ret as u64);
                SyscallOutcome::CodeModified { addr, len }
            }
            Action::Exit(status) => SyscallOutcome::Exit(status),
            Action::ExitThread(status) => SyscallOutcome::ExitThread(status),
            Action::NewThread(request) => SyscallOutcome::NewThread(request),
            Action::Vfork(request) => SyscallOutcome::Vfork(request),
            Action::RegistersRestored => SyscallOutcome::Continue,
            Action::Rewind => {
                state.rewind_syscall();
                SyscallOutcome::Continue
            }
        }
    }

    /// Delivers signal `sig`, with the host's siginfo bytes `info`, to the guest handler the
    /// guest set for it, unless a handler entered at the same stop blocks it (see
    /// [`signal::SignalState::deliver_recorded`]).
    pub fn deliver_signal<A: GuestAbi>(
        &mut self,
        state: &mut impl GuestRegs,
        memory: &mut dyn GuestMm,
        sig: i32,
        info: &[u8; 128],
        blocked_here: &mut u64,
    ) -> signal::Delivered {
        let mut to = signal::DeliveryContext { abi: A::INFO, regs: state, mem: memory, strace: self.strace };
        self.signals.deliver_recorded(&mut to, sig, info, blocked_here)
    }

    /// Delivers a synchronous signal (fault or trap) to the guest (see
    /// [`signal::SignalState::deliver_forced`]).
    pub fn deliver_fault<A: GuestAbi>(
        &mut self,
        state: &mut impl GuestRegs,
        memory: &mut dyn GuestMm,
        sig: i32,
        info: &[u8; 128],
    ) -> signal::Delivered {
        let mut to = signal::DeliveryContext { abi: A::INFO, regs: state, mem: memory, strace: self.strace };
        self.signals.deliver_forced(&mut to, sig, info)
    }

    /// The sysroot as execve needs it: where to look for the new program, and whether to name
    /// it to the new xlate.
    fn exec_sysroot(&self) -> (Option<&paths::Sysroot>, bool) {
        (self.sysroot.as_ref(), self.sysroot_explicit)
    }

    /// Looks the number up, traces, and dispatches; `Err` for a call to forward unchanged to
    /// the same host call (see [`Self::begin`]).
    fn run(&mut self, cx: &mut Ctx, nr: u64, args: [u64; 6]) -> Result<Action, ForwardedCall> {
        let Some(sys) = cx.abi.table.sysno(nr) else {
            if self.strace {
                strace::unknown(nr);
            }
            return Ok(err(libc::ENOSYS));
        };
        if self.strace {
            strace::call(sys, &args, cx.abi, &*cx.mem);
        }
        let mut redirected = None;
        let (action, refused) = match treatment::for_call(sys, &args) {
            treatment::Treatment::Refused { errno, reason } => (err(errno), Some(reason)),
            // A signal to a guest thread that has exited while its host thread still ends.
            _ if thread::signals_exited_thread(sys, &args) => (err(libc::ESRCH), None),
            t => match memory::check_pointers(&*cx.mem, sys, &args) {
                Ok(()) => {
                    memory::prepare_outputs(cx.mem, sys, &args);
                    let mut args = args;
                    redirected = paths::redirect(self.sysroot.as_ref(), sys, &mut args, &*cx.mem);
                    // A redirected path lives in `redirected`: such a call runs here, under
                    // the lock, not as a forwarded call after it.
                    // An epoll wait blocks, so it is forwarded (unlocked) too: as it is when the
                    // event layout is the host's, else on a host buffer converted after.
                    let epoll_wait =
                        matches!(sys, Sysno::epoll_wait | Sysno::epoll_pwait | Sysno::epoll_pwait2);
                    let same_layout = cx.abi.epoll_packed == host::HOST.epoll_packed;
                    match (t, host::number(sys), &redirected) {
                        (treatment::Treatment::Forwarded, Some(host_nr), None) => {
                            return Err(ForwardedCall { sys, host_nr, args, epoll: None, timeout: None })
                        }
                        (treatment::Treatment::Converted, Some(host_nr), None)
                            if epoll_wait && same_layout =>
                        {
                            fs::prepare_epoll_events(cx, &args);
                            return Err(ForwardedCall { sys, host_nr, args, epoll: None, timeout: None });
                        }
                        (treatment::Treatment::Converted, _, None) if epoll_wait => {
                            match fs::epoll_wait_call(cx, sys, args) {
                                Ok((host_sys, host_args, wait)) => {
                                    if let Some(host_nr) = host::number(host_sys) {
                                        return Err(ForwardedCall {
                                            sys,
                                            host_nr,
                                            args: host_args,
                                            epoll: Some(wait),
                                            timeout: None,
                                        });
                                    }
                                    (Action::Ret(host::call(host_sys, host_args)), None)
                                }
                                Err(action) => (action, None),
                            }
                        }
                        // A blocking call the host lacks: its replacement is forwarded
                        // (unlocked) too.
                        (treatment::Treatment::Forwarded, None, None) => {
                            match compat::blocking_call(cx, sys, args) {
                                Some(Ok(call)) => match host::number(call.sys) {
                                    Some(host_nr) => {
                                        return Err(ForwardedCall {
                                            sys,
                                            host_nr,
                                            args: call.args,
                                            epoll: None,
                                            timeout: Some(call.timeout),
                                        })
                                    }
                                    None => (self.dispatch(cx, sys, args), None),
                                },
                                Some(Err(e)) => (Action::Ret(e), None),
                                None => (self.dispatch(cx, sys, args), None),
                            }
                        }
                        _ => (self.dispatch(cx, sys, args), None),
                    }
                }
                Err(e) => (err(e), None),
            },
        };
        if self.strace {
            strace::result(sys, &action, refused, redirected.as_ref().map(|r| r.path.as_bytes()));
        }
        Ok(action)
    }

    /// One arm per group of calls that share a handler; everything not listed is forwarded
    /// with its arguments unchanged (or emulated where the host lacks the call). Refused calls
    /// ([`treatment::treatment`]) never get here.
    fn dispatch(&mut self, cx: &mut Ctx, sys: Sysno, a: [u64; 6]) -> Action {
        use Sysno::*;
        match sys {
            brk | mmap | munmap | mprotect | mremap => memory::handle(cx, sys, a),
            exit_group => thread::exit_group(cx, a[0] as i32),
            exit => thread::exit(cx, a[0] as i32),
            set_tid_address => thread::set_tid_address(a[0]),
            arch_prctl => process::arch_prctl(cx, a),
            uname => process::uname(cx, a),
            clone | fork | vfork | clone3 => process::spawn(cx, sys, a),
            execve | execveat => {
                let exec = process::Exec {
                    translator: self.translator.as_deref(),
                    exe: &self.exe_path,
                    strace: self.strace,
                    sysroot: self.exec_sysroot(),
                };
                if sys == execve {
                    process::execve(cx, a, &exec)
                } else {
                    process::execveat(cx, a, &exec)
                }
            }
            shmat | shmdt => memory::handle(cx, sys, a),
            // Without protection keys, pkey_mprotect with no key (-1) is mprotect.
            pkey_mprotect if a[3] as i32 == -1 => memory::handle(cx, mprotect, a),
            pkey_mprotect => err(libc::EINVAL),
            set_robust_list | get_robust_list => self.signals.robust_list(cx, sys, a),
            // rt_sigprocmask is forwarded (the default arm): the guest's mask is the
            // process's mask, so blocked signals stay pending and sigwait-style code works.
            rt_sigaction | sigaltstack | rt_sigreturn => self.signals.handle(cx, sys, a),
            stat | lstat | fstat | newfstatat => fs::stat(cx, sys, a),
            open | openat | creat | openat2 | open_by_handle_at | fanotify_init => {
                fs::open(cx, sys, a, &self.exe_path, &self.proc_view)
            }
            fcntl => fs::fcntl(cx, a),
            readlink | readlinkat => fs::readlink(cx, sys, a, &self.exe_path),
            epoll_ctl | epoll_wait | epoll_pwait | epoll_pwait2 => fs::epoll(cx, sys, a),
            semctl => ipc::semctl(cx, a),
            _ => Action::Ret(forward(cx, sys, a)),
        }
    }
}

/// A guest call forwarded unchanged to the same host call, or an epoll wait on a host buffer
/// converted after: see [`SyscallLayer::begin`].
#[derive(Debug)]
pub struct ForwardedCall {
    sys: Sysno,
    host_nr: u32,
    args: [u64; 6],
    /// Set for an epoll wait across layouts: converts the host's events into the guest's.
    epoll: Option<fs::EpollWait>,
    /// Set for a blocking call the host lacks (pause, poll, select on an AArch64 host): the
    /// host timeout its replacement reads, and what goes back to the guest after.
    timeout: Option<compat::HostTimeout>,
}

impl ForwardedCall {
    /// Issues the host call; its result or -errno, or [`crate::host::syscall::RESTART`] when
    /// a signal for a guest handler interrupted it and the kernel would restart it, or came
    /// before it started: `interrupt` is the calling thread's signal flag, raised when a
    /// signal was recorded that the guest's handler has not yet run for; then the call is not
    /// made (see [`Self::finish`]). Touches nothing of xlate's own state.
    pub fn issue(&self, interrupt: &SignalFlag) -> i64 {
        host::forwarded(self.host_nr, self.args, interrupt)
    }
}

/// Issues `sys` on the host with the guest's arguments unchanged: the host's own call when it
/// has one, else the emulation in [`compat`].
pub(crate) fn forward(cx: &mut Ctx, sys: Sysno, a: [u64; 6]) -> i64 {
    match host::number(sys) {
        Some(nr) => host::syscall(nr, a),
        None => compat::emulate(cx, sys, a),
    }
}
