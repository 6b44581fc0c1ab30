//! The runtime, the top layer: running a program from start to end ([`run_program`]: load,
//! pick the guest, run, report), the dispatcher loop that finds or translates the block at
//! the guest's PC and runs it ([`Dispatcher`]), the translation statistics ([`stats`]), the
//! perf map for host profilers ([`perfmap`]), the translation report ([`report`]) and the gdb
//! stub (`gdb`, for `-g PORT`).

pub mod binfmt;
mod dispatcher;
mod fault_state;
mod gdb;
pub mod perfmap;
pub mod persist;
mod program;
pub mod report;
pub mod signals;
pub mod stats;

pub use dispatcher::{lock, run_thread, DebugAction, Dispatcher, GuestEnv, Outcome, SyscallAction, World};
pub use program::{die_by_signal, run_program, Options, StartError, StatsFormat, HOST_NAME};

// What a program embedding the runtime also names: the exit reasons of translated code and
// the guest memory it runs with (they live in the layers below).
pub use crate::ir::protocol::ExitReason;
pub use crate::memory;
