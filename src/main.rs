//! The `xlate` command line: parses the options and hands the program to the library
//! ([`xlate::runtime::run_program`]), then exits the way the guest did.

use clap::Parser;
use std::ffi::OsString;
use xlate::runtime::{die_by_signal, run_program, Options, Outcome, StatsFormat};

/// The forms of `--stats`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum StatsArg {
    Text,
    Json,
}

/// Runs a statically linked x86-64 or AArch64 Linux program by dynamic binary translation.
#[derive(Parser, Debug)]
#[command(name = "xlate", version, override_usage = "xlate [OPTIONS] PROGRAM [ARGS]...")]
struct Cli {
    /// Log each guest system call with its arguments and result on stderr.
    #[arg(long)]
    strace: bool,

    /// Print translation statistics on stderr when the guest ends: `--stats` as text,
    /// `--stats=json` as one JSON object.
    #[arg(long, value_name = "FORMAT", num_args = 0..=1, require_equals = true, default_missing_value = "text")]
    stats: Option<StatsArg>,

    /// Write /tmp/perf-PID.map, naming each translated block after its guest function, for
    /// host profilers (perf record / perf report).
    #[arg(long)]
    perfmap: bool,

    /// Give the guest NAME as its argv[0] instead of PROGRAM (as qemu-user's -0).
    #[arg(long, value_name = "NAME")]
    argv0: Option<OsString>,

    /// The program to run, then its arguments, passed unchanged (even ones that look like
    /// options).
    #[arg(value_name = "PROGRAM", required = true, num_args = 1.., trailing_var_arg = true)]
    command: Vec<OsString>,
}

fn main() {
    let cli = Cli::parse();
    let stats = cli.stats.map(|s| match s {
        StatsArg::Text => StatsFormat::Text,
        StatsArg::Json => StatsFormat::Json,
    });
    let options =
        Options { argv: cli.command, strace: cli.strace, stats, perf_map: cli.perfmap, argv0: cli.argv0 };
    match run_program(&options) {
        Ok(Outcome::Exit(status)) => std::process::exit(status),
        Ok(Outcome::Signal(signal)) => die_by_signal(signal),
        Err(e) => {
            eprintln!("xlate: {e}");
            std::process::exit(e.exit_code)
        }
    }
}
