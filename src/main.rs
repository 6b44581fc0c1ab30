//! The `xlate` command line: parses the options and hands the program to the library
//! ([`xlate::runtime::run_program`]), then exits the way the guest did. Also the two ways
//! xlate is started without its own options: by binfmt_misc (`--binfmt install` registers it),
//! and `--binfmt` itself.

use clap::{CommandFactory, FromArgMatches, Parser};
use std::ffi::OsString;
use std::path::PathBuf;
use xlate::ir::MemoryModel;
use xlate::runtime::binfmt::{self, BinfmtAction};
use xlate::runtime::{die_by_signal, run_program, Options, Outcome, StatsFormat, HOST_NAME};

/// Runs an x86-64 or AArch64 Linux program (static, or dynamically linked with a sysroot) by
/// dynamic binary translation.
#[derive(Parser, Debug)]
#[command(
    name = "xlate",
    override_usage = "xlate [OPTIONS] PROGRAM [ARGS]...\n       xlate --binfmt install|uninstall|status"
)]
struct Cli {
    /// Log each guest system call with its arguments and result on stderr (also:
    /// XLATE_STRACE=1).
    #[arg(long)]
    strace: bool,

    /// Print translation statistics on stderr when the guest ends: `--stats` as text,
    /// `--stats=json` as one JSON object (also: XLATE_STATS=text|json).
    #[arg(long, value_name = "FORMAT", num_args = 0..=1, require_equals = true, default_missing_value = "text")]
    stats: Option<StatsArg>,

    /// Write /tmp/perf-PID.map, naming each translated block after its guest function, for
    /// host profilers (perf record / perf report) (also: XLATE_PERFMAP=1).
    #[arg(long)]
    perfmap: bool,

    /// Write a translation report when the guest ends: FILE.html (one self-contained page:
    /// time split, hottest blocks with guest and host code, distributions, findings) or
    /// FILE.json (the same figures). Compiles an execution counter into every block.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,

    /// Wait for gdb on TCP 127.0.0.1:PORT before the guest's first instruction (0: any free
    /// port, said on stderr) and let it debug the guest: registers, memory, breakpoints,
    /// single steps (also: XLATE_GDB=PORT). Runs one guest instruction per block.
    #[arg(short = 'g', value_name = "PORT")]
    gdb: Option<u16>,

    /// Give the guest NAME as its argv[0] instead of PROGRAM (as qemu-user's -0).
    #[arg(long, value_name = "NAME")]
    argv0: Option<OsString>,

    /// The guest's sysroot: its dynamic loader, and every absolute path it names, are looked
    /// up under DIR first (as qemu-user's -L; also: XLATE_LD_PREFIX, QEMU_LD_PREFIX). Default:
    /// / for a guest of the host's ISA, Debian's cross sysroot (/usr/aarch64-linux-gnu or
    /// /usr/x86_64-linux-gnu) for the other one when installed, else /.
    #[arg(short = 'L', long = "sysroot", value_name = "DIR")]
    sysroot: Option<PathBuf>,

    /// How the guest's ordinary loads and stores are ordered: tso keeps x86-64's total store
    /// order on a weaker host (the default for x86-64 guests; costs a barrier per access on
    /// AArch64 hosts), relaxed drops it (faster; only for programs whose threads share memory
    /// through locked instructions and fences alone, or single-threaded ones). AArch64 guests
    /// order memory with their own instructions under either (also: XLATE_MEMORY_MODEL).
    #[arg(long, value_name = "MODEL")]
    memory_model: Option<MemoryModelArg>,

    /// Keep every guest flag exact at every block exit (also: XLATE_EXACT_FLAGS=1). By
    /// default a block skips the x86-64 flags that the code it jumps to overwrites before
    /// reading them, so a signal handler may find stale ones in its ucontext between the two.
    #[arg(long)]
    exact_flags: bool,

    /// Make every non-canonical x86-64 data address fault as on x86 (also:
    /// XLATE_EXACT_ADDRESSES=1). Only an AArch64 host needs it: it ignores an address's top
    /// byte, so without it an x86-64 address whose top byte alone is wrong reaches the memory
    /// its low bytes name, and one in [2^47, 2^48) may too. Costs three instructions per access.
    #[arg(long)]
    exact_addresses: bool,

    /// Neither read nor write the persistent translation cache (also: XLATE_NO_CACHE=1). By
    /// default the optimised translation of the code a program ran is kept in
    /// XLATE_CACHE_DIR, else $XDG_CACHE_HOME/xlate, else ~/.cache/xlate (at most
    /// XLATE_CACHE_SIZE MiB, 256 by default), and its next run uses it where the code's bytes
    /// are unchanged.
    #[arg(long)]
    no_cache: bool,

    /// Register (as root) xlate with binfmt_misc for the guest ISAs this host cannot run, so
    /// that their programs run through xlate when executed directly; remove it; or show it.
    #[arg(long, value_name = "ACTION", conflicts_with_all = ["strace", "stats", "perfmap", "report", "gdb", "argv0", "sysroot", "memory_model", "exact_flags", "exact_addresses", "no_cache", "command"])]
    binfmt: Option<BinfmtArg>,

    /// The binfmt_misc file system `--binfmt` works in.
    #[arg(long, value_name = "DIR", default_value = binfmt::DEFAULT_DIR, requires = "binfmt")]
    binfmt_dir: PathBuf,

    /// The program to run, then its arguments, passed unchanged (even ones that look like
    /// options).
    #[arg(value_name = "PROGRAM", required_unless_present = "binfmt", num_args = 1.., trailing_var_arg = true)]
    command: Vec<OsString>,
}

/// The forms of `--stats`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum StatsArg {
    Text,
    Json,
}

/// The forms of `--memory-model`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum MemoryModelArg {
    Tso,
    Relaxed,
}

/// The actions of `--binfmt`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum BinfmtArg {
    Install,
    Uninstall,
    Status,
}

fn main() {
    let options = if xlate::host::auxv::started_by_binfmt_preserving_argv0() {
        binfmt_options()
    } else {
        command_line_options()
    };
    match run_program(&options) {
        Ok(Outcome::Exit(status) | Outcome::ThreadExit(status)) => std::process::exit(status),
        Ok(Outcome::Signal(signal)) => die_by_signal(signal),
        Err(e) => {
            eprintln!("xlate: {e}");
            if let Some(signal) = e.signal {
                die_by_signal(signal);
            }
            std::process::exit(e.exit_code)
        }
    }
}

/// The options of a run started by hand (or by another xlate for a guest's execve).
fn command_line_options() -> Options {
    let version: &'static str = Box::leak(
        format!(
            "{} (host backend: {HOST_NAME}; guests: {})",
            env!("CARGO_PKG_VERSION"),
            xlate::guest::GuestArch::ALL.map(|g| g.info().name()).join(", ")
        )
        .into_boxed_str(),
    );
    let matches = Cli::command().version(version).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if let Some(action) = cli.binfmt {
        run_binfmt(action, &cli.binfmt_dir);
    }
    let mut options = from_environment();
    options.argv = cli.command;
    options.argv0 = cli.argv0;
    options.strace |= cli.strace;
    options.perf_map |= cli.perfmap;
    options.report = cli.report;
    if cli.sysroot.is_some() {
        options.sysroot = cli.sysroot;
    }
    options.gdb_port = cli.gdb.or(options.gdb_port);
    if let Some(model) = cli.memory_model {
        options.memory_model = Some(match model {
            MemoryModelArg::Tso => MemoryModel::Tso,
            MemoryModelArg::Relaxed => MemoryModel::Relaxed,
        });
    }
    options.exact_flags |= cli.exact_flags;
    options.exact_addresses |= cli.exact_addresses;
    options.no_cache |= cli.no_cache;
    if let Some(s) = cli.stats {
        options.stats = Some(match s {
            StatsArg::Text => StatsFormat::Text,
            StatsArg::Json => StatsFormat::Json,
        });
    }
    options
}

/// The options of a run that binfmt_misc started through an entry with the P flag: argv is
/// `[xlate, full path of the program, its argv[0], its arguments...]`, none of them xlate's
/// own options, which come from the environment only.
fn binfmt_options() -> Options {
    let mut args = std::env::args_os().skip(1);
    let (Some(program), Some(argv0)) = (args.next(), args.next()) else {
        eprintln!("xlate: started by binfmt_misc without a program");
        std::process::exit(126);
    };
    let mut options = from_environment();
    options.argv = std::iter::once(program).chain(args).collect();
    options.argv0 = Some(argv0);
    options
}

/// The options the environment gives, as qemu-user's QEMU_STRACE: XLATE_STRACE,
/// XLATE_STATS (text or json), XLATE_PERFMAP, XLATE_GDB (a port, as QEMU_GDB), and the sysroot
/// XLATE_LD_PREFIX (else qemu-user's QEMU_LD_PREFIX), XLATE_MEMORY_MODEL (tso or relaxed).
/// Set, non-empty and not "0" turns a switch on.
fn from_environment() -> Options {
    let on = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
    let stats = match std::env::var("XLATE_STATS").as_deref() {
        Ok("json") => Some(StatsFormat::Json),
        Ok("") | Ok("0") | Err(_) => None,
        Ok(_) => Some(StatsFormat::Text),
    };
    let sysroot = ["XLATE_LD_PREFIX", "QEMU_LD_PREFIX"]
        .iter()
        .find_map(|name| std::env::var_os(name).filter(|v| !v.is_empty()))
        .map(PathBuf::from);
    let gdb_port = match std::env::var_os("XLATE_GDB") {
        Some(port) if !port.is_empty() => match port.to_str().and_then(|p| p.parse::<u16>().ok()) {
            Some(port) => Some(port),
            None => {
                eprintln!("xlate: XLATE_GDB={}: not a TCP port", port.to_string_lossy());
                std::process::exit(2);
            }
        },
        _ => None,
    };
    let memory_model = match std::env::var_os("XLATE_MEMORY_MODEL") {
        Some(model) if !model.is_empty() => match model.to_str().and_then(MemoryModel::parse) {
            Some(model) => Some(model),
            None => {
                eprintln!("xlate: XLATE_MEMORY_MODEL={}: not tso or relaxed", model.to_string_lossy());
                std::process::exit(2);
            }
        },
        _ => None,
    };
    Options {
        strace: on("XLATE_STRACE"),
        memory_model,
        exact_flags: on("XLATE_EXACT_FLAGS"),
        exact_addresses: on("XLATE_EXACT_ADDRESSES"),
        no_cache: on("XLATE_NO_CACHE"),
        stats,
        perf_map: on("XLATE_PERFMAP"),
        sysroot,
        gdb_port,
        ..Options::default()
    }
}

/// `--binfmt ACTION`: does it and exits (the status lines go to stdout, like `--version`).
fn run_binfmt(action: BinfmtArg, dir: &std::path::Path) -> ! {
    let action = match action {
        BinfmtArg::Install => BinfmtAction::Install,
        BinfmtArg::Uninstall => BinfmtAction::Uninstall,
        BinfmtArg::Status => BinfmtAction::Status,
    };
    let result = binfmt::this_xlate().and_then(|xlate| binfmt::run(action, dir, &xlate));
    match result {
        Ok(lines) => {
            for l in lines {
                println!("{l}");
            }
            std::process::exit(0)
        }
        Err(e) => {
            eprintln!("xlate: {e}");
            std::process::exit(1)
        }
    }
}
