//! Running one guest program from start to end: load the ELF, pick the guest by its machine,
//! build the initial state, run the dispatcher, report. This is everything the `xlate` command
//! does besides parsing its command line.

use std::ffi::OsString;
use std::fmt;

/// What the command line asked for.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The guest's argv; `argv[0]` is the program's path as given.
    pub argv: Vec<OsString>,
    /// Log each guest syscall on stderr.
    pub strace: bool,
    /// Print the translation statistics on stderr at the end.
    pub stats: bool,
}

/// Why a program could not be started. Printed as one line, `xlate: <message>`.
#[derive(Debug)]
pub struct StartError {
    pub message: String,
    /// The exit status: 127 for a missing program, 126 for one that cannot be run.
    pub exit_code: i32,
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Loads and runs the program `options.argv[0]` to its end.
pub fn run_program(options: &Options) -> Result<super::Outcome, StartError> {
    let path = options.argv.first().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
    Err(StartError {
        message: format!("{path}: the translation pipeline is not wired up yet"),
        exit_code: 126,
    })
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
