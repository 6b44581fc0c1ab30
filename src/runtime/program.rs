//! Running one guest program from start to end: load the ELF, pick the guest by its machine,
//! build the initial state, run the dispatcher, report. This is everything the `xlate` command
//! does besides parsing its command line.

use super::gdb::GdbStub;
use super::perfmap::PerfMap;
use super::report::{Isa, Profile, Report, ReportFormat, RunInfo, SyscallTally};
use super::{lock, run_thread, DebugAction, Dispatcher, GuestEnv, Outcome, SyscallAction, World};
use crate::backend::HostBackend;
use crate::cache::CodeCache;
use crate::frontend::Frontend;
use crate::guest::{GuestArch, LinuxGuest, WithGuest};
use crate::ir::{GuestAddr, MemoryModel};
use crate::loader::symbols::Symbols;
use crate::loader::{self, LoadedProgram};
use crate::memory::code::CodeSource;
use crate::memory::GuestMemory;
use crate::syscall::process::Vfork;
use crate::syscall::procfs::{ImageFile, ProcView};
use crate::syscall::signal::{Delivered, SavedDispositions};
use crate::syscall::thread::{self as guest_thread, NewThread};
use crate::syscall::{ForwardedCall, GuestAbi, GuestRegs, SyscallLayer, SyscallOutcome};
use std::cell::Cell;
use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

/// What the command line asked for.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The guest's argv; `argv[0]` is the program's path as given.
    pub argv: Vec<OsString>,
    /// Log each guest syscall on stderr.
    pub strace: bool,
    /// Print the translation statistics on stderr at the end, in this form.
    pub stats: Option<StatsFormat>,
    /// Write `/tmp/perf-PID.map` for host profilers (`--perfmap`).
    pub perf_map: bool,
    /// Write the translation report here when the guest ends (`--report`): HTML or JSON by
    /// the file's extension.
    pub report: Option<PathBuf>,
    /// The guest's `argv[0]` when it is not the program's path (`--argv0`, which the syscall
    /// layer passes when a guest's execve starts a new xlate).
    pub argv0: Option<OsString>,
    /// The guest's sysroot (`-L`, XLATE_LD_PREFIX, QEMU_LD_PREFIX): where its dynamic loader
    /// and the absolute paths it names are looked up first. `None`: the loader's
    /// [`loader::default_sysroot`] for the guest's ISA.
    pub sysroot: Option<PathBuf>,
    /// `-g PORT`: wait for gdb on 127.0.0.1:PORT before the first guest instruction (0: any
    /// free port, said on stderr).
    pub gdb_port: Option<u16>,
    /// `--memory-model` (XLATE_MEMORY_MODEL): the order of the guest's ordinary loads and
    /// stores. `None`: the guest's own (x86-64: TSO).
    pub memory_model: Option<MemoryModel>,
    /// `--exact-flags` (XLATE_EXACT_FLAGS): every block exit keeps every guest flag, as the
    /// architecture defines it there (no lookahead: see `frontend::lookahead`).
    pub exact_flags: bool,
    /// `--exact-addresses` (XLATE_EXACT_ADDRESSES): every non-canonical x86-64 data access
    /// faults, on a host that does not check it itself (`Backend::set_canonical_addresses`).
    pub exact_addresses: bool,
    /// `--no-cache` (XLATE_NO_CACHE): neither read nor write the persistent translation
    /// cache (`runtime::persist`).
    pub no_cache: bool,
}

/// The form of the `--stats` report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatsFormat {
    /// Lines for people.
    Text,
    /// One JSON object with stable field names (the README lists them), for CI to track.
    Json,
}

/// Why a program could not be started. Printed as one line, `xlate: <message>`.
#[derive(Debug)]
pub struct StartError {
    pub message: String,
    /// The exit status: 127 for a missing program, 126 for one that cannot be run.
    pub exit_code: i32,
    /// The signal to die by instead, where Linux kills the process during exec.
    pub signal: Option<i32>,
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Loads and runs the program `options.argv[0]` to its end: the guest's exit status or the
/// signal it must die by. Prints the `--stats` report (if asked) before returning.
pub fn run_program(options: &Options) -> Result<Outcome, StartError> {
    let path = PathBuf::from(options.argv.first().cloned().unwrap_or_default());
    let env: Vec<OsString> = std::env::vars_os()
        .map(|(name, value)| {
            let mut entry = name;
            entry.push("=");
            entry.push(value);
            entry
        })
        .collect();
    let mut memory = GuestMemory::new();
    // Guest code pages are write-protected once translated (self-modifying code).
    memory.enable_code_protection();
    let argv = guest_argv(options);
    let hwcap = |arch: GuestArch| arch.info().hwcap;
    // A report that cannot be written is refused before the guest runs, not after.
    let report = match &options.report {
        Some(path) => Some(open_report(path)?),
        None => None,
    };
    let program = loader::load(&path, &argv, &env, &mut memory, hwcap, options.sysroot.as_deref())
        .map_err(|e| StartError { message: e.to_string(), exit_code: e.exit_code(), signal: e.signal() })?;
    program.arch.with_guest(RunGuest { program: &program, memory, options, report })
}

/// The guest's argv: the program and its arguments, with `--argv0` in place of the first.
fn guest_argv(options: &Options) -> Vec<OsString> {
    let mut argv = options.argv.clone();
    if let (Some(argv0), Some(first)) = (&options.argv0, argv.first_mut()) {
        *first = argv0.clone();
    }
    argv
}

/// The report file, created now, and its format.
fn open_report(path: &std::path::Path) -> Result<(std::fs::File, ReportFormat), StartError> {
    let format = ReportFormat::of_path(path).ok_or_else(|| StartError {
        message: format!("--report {}: the file name must end in .html or .json", path.display()),
        exit_code: 2,
        signal: None,
    })?;
    let file = std::fs::File::create(path).map_err(|e| StartError {
        message: format!("cannot create the report {}: {e}", path.display()),
        exit_code: 1,
        signal: None,
    })?;
    Ok((file, format))
}

/// [`run_guest`] for the guest that [`GuestArch::with_guest`] picks.
struct RunGuest<'a> {
    program: &'a LoadedProgram,
    memory: GuestMemory,
    options: &'a Options,
    report: Option<(std::fs::File, ReportFormat)>,
}

impl WithGuest for RunGuest<'_> {
    type Output = Result<Outcome, StartError>;
    fn call<G: LinuxGuest>(self) -> Self::Output {
        run_guest::<G>(self.program, self.memory, self.options, self.report)
    }
}

/// The host ISA, for the `--stats` title and `--version`.
pub const HOST_NAME: &str = if cfg!(target_arch = "aarch64") { "aarch64" } else { "x86-64" };

/// Runs a loaded program of guest `G` on the host backend.
fn run_guest<G: LinuxGuest>(
    program: &LoadedProgram,
    memory: GuestMemory,
    options: &Options,
    report: Option<(std::fs::File, ReportFormat)>,
) -> Result<Outcome, StartError> {
    let internal = |what: String| StartError { message: what, exit_code: 126, signal: None };
    let cache = CodeCache::new(CodeCache::DEFAULT_SIZE)
        .map_err(|e| internal(format!("cannot create the code cache: {e}")))?;
    super::signals::install(cache.exec_range());
    let mut frontend = G::frontend();
    if let Some(model) = options.memory_model {
        frontend.set_memory_model(model);
    }
    frontend.set_exact_flags(options.exact_flags);
    let mut dispatcher = Dispatcher::<G, HostBackend>::new(frontend, cache)
        .map_err(|e| internal(format!("cannot emit the backend's fixed code: {e:?}")))?;
    dispatcher.set_exact_addresses(options.exact_addresses);
    if options.perf_map {
        let path = PerfMap::default_path();
        let symbols = Symbols::read(&program.exe_path, program.load_bias);
        let map = PerfMap::create(&path, symbols)
            .map_err(|e| internal(format!("cannot create the perf map {}: {e}", path.display())))?;
        dispatcher.set_perf_map(map);
    }
    if report.is_some() {
        dispatcher.set_profile(Profile::default());
    }
    // The persistent translation cache: not under a debugger (one instruction per block) or
    // a report (which is about translating).
    if !options.no_cache && options.gdb_port.is_none() && report.is_none() {
        if let Some(config) = super::persist::Config::from_env(options.stats.is_some()) {
            // Every option that changes what the frontend and the optimiser make.
            let translation =
                format!("memory model {:?}, exact flags {}", options.memory_model, options.exact_flags);
            let key =
                super::persist::CacheKey::new(G::INFO.name(), HOST_NAME, &translation, &program.exe_path);
            dispatcher.set_persist(super::persist::Persist::open(config, key));
        }
    }
    let debugger = match options.gdb_port {
        Some(port) => {
            dispatcher.set_debugged();
            Some(GdbStub::<G>::wait_for_gdb(port).map_err(|message| StartError {
                message,
                exit_code: 1,
                signal: None,
            })?)
        }
        None => None,
    };
    let mut state = G::initial_state(GuestAddr(program.start), program.stack_pointer);
    let mut syscalls = SyscallLayer::new(&program.exe_path, options.strace);
    syscalls.set_sysroot(Some(&program.sysroot), options.sysroot.is_some());
    syscalls.set_proc_view(ProcView {
        argv: guest_argv(options).iter().map(|a| a.as_encoded_bytes().to_vec()).collect(),
        auxv: program.auxv.clone(),
        stack: program.stack.clone(),
        brk_start: program.brk_start,
        image: std::fs::metadata(&program.exe_path).ok().map(|meta| ImageFile {
            path: program.exe_path.as_os_str().as_encoded_bytes().to_vec(),
            dev: std::os::unix::fs::MetadataExt::dev(&meta),
            inode: std::os::unix::fs::MetadataExt::ino(&meta),
            pages: program.file_pages.clone(),
        }),
    });
    let env = SyscallEnv::<G> {
        memory,
        syscalls,
        tally: report.as_ref().map(|_| SyscallTally::default()),
        debugger,
        world: None,
        vfork_saved_signals: None,
    };
    // The world lives as long as the process: other guest threads may still run translated
    // code (and hold references into it) while the main thread reports and exits.
    let world: &'static GuestWorld<G> = Box::leak(Box::new(Mutex::new(World {
        dispatcher: Box::leak(Box::new(dispatcher)),
        env: Box::leak(Box::new(env)),
    })));
    lock(world).env.world = Some(world);
    let started = Instant::now();
    let pid = std::process::id();
    let (outcome, mut w) = run_thread(world, &mut state);
    if let Outcome::ThreadExit(status) = outcome {
        // The main thread ends alone; the process goes on with the others (the kernel keeps
        // it alive until the last thread ends).
        drop(w);
        exit_this_thread(status);
    }
    let World { dispatcher, env } = &mut *w;
    let wall = started.elapsed();
    // (A forked child writes too: what it translated is merged into the file.)
    dispatcher.save_persist();
    if let Some(debugger) = &mut env.debugger {
        debugger.guest_ended(outcome);
    }
    match options.stats {
        Some(StatsFormat::Text) => {
            let what = format!("{} guest on {HOST_NAME} host", G::INFO.name());
            eprint!("{}", dispatcher.stats().report(wall, &what));
        }
        Some(StatsFormat::Json) => {
            eprintln!("{}", dispatcher.stats().json(wall, G::INFO.name(), HOST_NAME));
        }
        None => {}
    }
    // A child the guest forked ends here too, holding the parent's report file: only the
    // process that started the guest writes the report.
    let report = report.filter(|_| std::process::id() == pid);
    if let (Some((file, format)), Some(profile), Some(tally)) =
        (report, dispatcher.take_profile(), &env.tally)
    {
        let run = RunInfo {
            command: options.argv.iter().map(|a| a.to_string_lossy().into_owned()).collect(),
            guest: if G::INFO.elf_machine == object::elf::EM_AARCH64 { Isa::Aarch64 } else { Isa::X86_64 },
            guest_name: G::INFO.name(),
            host_name: HOST_NAME,
            wall,
            cpu: crate::host::rusage::cpu_time(),
        };
        let symbols = Symbols::read(&program.exe_path, program.load_bias);
        let text = Report::build(run, dispatcher.stats(), &profile, tally, &symbols).render(format);
        write_report(file, &text, options.report.as_deref().unwrap_or(std::path::Path::new("?")));
    }
    // Other guest threads stay stopped at their next return to the dispatcher until the
    // process ends.
    std::mem::forget(w);
    Ok(outcome)
}

/// What all threads of a guest of type `G` share (see [`World`]).
type GuestWorld<G> = Mutex<World<'static, G, HostBackend, SyscallEnv<G>>>;

/// The guest's world as the dispatcher sees it: code read from guest memory, syscalls run by
/// the syscall layer with guest `G`'s ABI.
struct SyscallEnv<G: LinuxGuest> {
    memory: GuestMemory,
    syscalls: SyscallLayer,
    /// `--report`: the guest's syscalls by name, count and time.
    tally: Option<SyscallTally>,
    /// `-g`: the gdb connection, asked before every guest instruction.
    debugger: Option<GdbStub<G>>,
    /// The world this environment is part of, for the threads it starts.
    world: Option<&'static GuestWorld<G>>,
    /// The parent's signal dispositions while a vfork child runs (see `vfork_child`).
    vfork_saved_signals: Option<SavedDispositions>,
}

thread_local! {
    /// `--report`: the number and start of this thread's syscall that runs unlocked.
    static FORWARDED_START: Cell<Option<(u64, Instant)>> = const { Cell::new(None) };
}

/// Host stack of each guest thread's host thread (xlate's own frames: the dispatcher, the
/// translator, helpers; the guest's stack is its own memory). The main thread's default.
const THREAD_STACK: usize = 8 << 20;

/// Ends this host thread alone (exit, not exit_group): the process goes on while other
/// threads run.
fn exit_this_thread(status: i32) -> ! {
    // SAFETY: the exit syscall ends only the calling thread; nothing of it is used after
    // (its stack is not freed: the host thread of main is never joined).
    unsafe { libc::syscall(libc::SYS_exit, status as libc::c_long) };
    unreachable!("exit returned")
}

/// A guest thread's host thread, after its loop ended: the thread ends, or the process.
fn finish_thread<G: LinuxGuest>(
    outcome: Outcome,
    w: MutexGuard<'_, World<'static, G, HostBackend, SyscallEnv<G>>>,
) {
    match outcome {
        Outcome::ThreadExit(_) => drop(w),
        // The world stays locked: no thread translates or runs a syscall through xlate again.
        Outcome::Exit(status) => {
            let mut w = w;
            w.dispatcher.save_persist();
            std::process::exit(status)
        }
        Outcome::Signal(sig) => die_by_signal(sig),
    }
}

impl<G: LinuxGuest> SyscallEnv<G>
where
    G::State: GuestRegs + Send,
{
    /// clone of a thread: a host thread runs the child's guest state; returns its tid, or
    /// -errno.
    fn spawn_thread(&mut self, parent: &G::State, request: NewThread) -> i64 {
        let Some(world) = self.world else { return -i64::from(libc::ENOSYS) };
        let mut child = parent.clone();
        child.set_syscall_result(0);
        if request.stack != 0 {
            child.set_stack_pointer(request.stack);
        }
        if request.has(libc::CLONE_SETTLS) {
            child.set_thread_pointer(request.tls);
        }
        let (tid_sender, tid) = std::sync::mpsc::sync_channel(1);
        guest_thread::thread_created();
        let held = crate::syscall::signal::held();
        let spawned = std::thread::Builder::new().stack_size(THREAD_STACK).spawn(move || {
            crate::syscall::signal::release_inherited(held);
            let _ = tid_sender.send(guest_thread::start_thread(&request));
            // Waits here for the world's lock until the parent's clone has returned.
            let (outcome, w) = run_thread(world, &mut child);
            finish_thread::<G>(outcome, w);
        });
        if spawned.is_err() {
            guest_thread::thread_not_created();
            return -i64::from(libc::EAGAIN);
        }
        let tid = tid.recv().unwrap_or(-i64::from(libc::EAGAIN));
        guest_thread::write_tids(&self.memory, &request, tid);
        tid
    }

    fn action(&mut self, state: &mut G::State, outcome: SyscallOutcome) -> SyscallAction {
        match outcome {
            SyscallOutcome::Continue => SyscallAction::Continue,
            SyscallOutcome::Exit(status) => SyscallAction::Exit(status),
            SyscallOutcome::ExitThread(status) => SyscallAction::ExitThread(status),
            SyscallOutcome::NewThread(request) => {
                let tid = self.spawn_thread(state, request);
                state.set_syscall_result(tid as u64);
                if tid > 0 {
                    SyscallAction::ContinueThreaded
                } else {
                    SyscallAction::Continue
                }
            }
            SyscallOutcome::CodeModified { addr, len } => {
                SyscallAction::InvalidateTranslations { start: addr, end: addr.saturating_add(len) }
            }
            SyscallOutcome::Vfork(request) => SyscallAction::Vfork(request),
        }
    }

    fn tally(&mut self, number: u64, started: Instant) {
        if let Some(tally) = &mut self.tally {
            match <G::Abi as GuestAbi>::INFO.table.sysno(number) {
                Some(sys) => tally.record(sys.name(), started.elapsed()),
                None => tally.record(&format!("unknown ({number})"), started.elapsed()),
            }
        }
    }
}

/// Writes the finished report; a failure is one line on stderr (the guest's own exit status
/// stands).
fn write_report(mut file: std::fs::File, text: &str, path: &std::path::Path) {
    use std::io::Write;
    if let Err(e) = file.write_all(text.as_bytes()) {
        eprintln!("xlate: cannot write the report {}: {e}", path.display());
    }
}

impl<G: LinuxGuest> GuestEnv<G::State> for SyscallEnv<G>
where
    G::State: GuestRegs + Send,
{
    fn code(&self) -> &dyn CodeSource {
        &self.memory
    }

    fn take_written_code(&mut self) -> Vec<std::ops::Range<u64>> {
        self.memory.take_written_code()
    }

    fn sees_code_writes(&self) -> bool {
        self.memory.sees_code_writes()
    }

    fn syscall(&mut self, state: &mut G::State) -> SyscallAction {
        match self.begin_syscall(state) {
            Ok(action) => action,
            Err(call) => {
                let ret = call.issue(&G::header(state).signal_pending);
                self.finish_syscall(state, call, ret)
            }
        }
    }

    fn begin_syscall(&mut self, state: &mut G::State) -> Result<SyscallAction, ForwardedCall> {
        let started = (state.syscall_number(), Instant::now());
        match self.syscalls.begin::<G::Abi>(state, &mut self.memory) {
            Ok(outcome) => {
                if self.tally.is_some() {
                    self.tally(started.0, started.1);
                }
                Ok(self.action(state, outcome))
            }
            Err(call) => {
                if self.tally.is_some() {
                    FORWARDED_START.with(|c| c.set(Some(started)));
                }
                Err(call)
            }
        }
    }

    fn vfork_child(&mut self, parent: &G::State, request: &Vfork) -> G::State {
        let mut child = parent.clone();
        child.set_syscall_result(0);
        if request.stack != 0 {
            child.set_stack_pointer(request.stack);
        }
        guest_thread::set_in_vfork_child(true);
        self.vfork_saved_signals = Some(self.syscalls.signals.save_dispositions());
        child
    }

    fn vfork_done(&mut self, state: &mut G::State, pid: i64) {
        guest_thread::set_in_vfork_child(false);
        if let Some(saved) = self.vfork_saved_signals.take() {
            self.syscalls.signals.restore_dispositions(&saved);
        }
        state.set_syscall_result(pid as u64);
    }

    fn debug_stop(&mut self, state: &mut G::State) -> DebugAction {
        match &mut self.debugger {
            Some(debugger) => debugger.before_insn(state, &mut self.memory),
            None => DebugAction::Run,
        }
    }

    fn finish_syscall(&mut self, state: &mut G::State, call: ForwardedCall, result: i64) -> SyscallAction {
        if let Some((number, started)) = FORWARDED_START.with(|c| c.take()) {
            self.tally(number, started);
        }
        let outcome = self.syscalls.finish(state, &mut self.memory, call, result);
        self.action(state, outcome)
    }

    fn deliver_signal(
        &mut self,
        state: &mut G::State,
        sig: i32,
        info: &[u8; 128],
        blocked_here: &mut u64,
    ) -> Option<Outcome> {
        match self.syscalls.deliver_signal::<G::Abi>(state, &mut self.memory, sig, info, blocked_here) {
            Delivered::Entered | Delivered::NotNow => None,
            Delivered::Die(sig) => Some(Outcome::Signal(sig)),
        }
    }

    fn deliver_fault(&mut self, state: &mut G::State, sig: i32, info: &[u8; 128]) -> Option<Outcome> {
        match self.syscalls.deliver_fault::<G::Abi>(state, &mut self.memory, sig, info) {
            Delivered::Entered | Delivered::NotNow => None,
            Delivered::Die(sig) => Some(Outcome::Signal(sig)),
        }
    }
}

/// Ends xlate by `signal` with the host's default action, the way the native program would
/// die: default disposition, unblocked, raised. Falls back to exit status `128 + signal` in
/// the unexpected case that the signal does not kill.
pub fn die_by_signal(signal: i32) -> ! {
    // SAFETY: plain signal syscalls on this thread's own signal state; no Rust memory is
    // touched except the local `set`.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, signal);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(signal);
    }
    std::process::exit(128 + signal)
}
