//! `--report FILE.html` / `--report FILE.json`: where a translated run's time went, block by
//! block. The runtime records a [`Profile`] while the guest runs (execution counters compiled
//! into each block, copies of guest and host code, syscalls by name) and, when the guest ends,
//! builds a [`Report`] from it and the dispatcher's [`Stats`], which [`html`] renders as one
//! self-contained page (inline CSS and SVG drawn here, one small inline script that only checks
//! the page rendered) and [`json`] as one object with stable field names (README).
//!
//! Nothing here runs unless `--report` is given: normal runs compile no counters.

mod classes;
mod disasm;
mod findings;
mod html;
mod json;
mod profile;

pub use disasm::Isa;
pub use profile::{ExitKind, Profile, SyscallTally};

use super::stats::Stats;
use crate::host::rusage::CpuTime;
use crate::loader::symbols::Symbols;
use disasm::Line;
use hashbrown::HashMap;
use std::path::Path;
use std::time::Duration;

/// Hottest blocks listed (with their code) in the report.
pub const HOT_BLOCKS: usize = 20;

/// The two forms of the report, chosen by the file name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    Html,
    Json,
}

impl ReportFormat {
    /// `.html`/`.htm` or `.json`; `None` for anything else.
    pub fn of_path(path: &Path) -> Option<ReportFormat> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "html" | "htm" => Some(ReportFormat::Html),
            "json" => Some(ReportFormat::Json),
            _ => None,
        }
    }
}

/// The run as a whole.
#[derive(Clone, Debug)]
pub struct RunInfo {
    /// The guest program and its arguments.
    pub command: Vec<String>,
    pub guest: Isa,
    /// Names for people: "x86-64", "aarch64".
    pub guest_name: &'static str,
    pub host_name: &'static str,
    /// Wall time of the guest's run (after loading).
    pub wall: Duration,
    /// CPU time of the whole xlate process.
    pub cpu: CpuTime,
}

/// One guest block: all its translations (more than one after a flush) summed.
#[derive(Clone, Debug)]
pub struct HotBlock {
    pub guest_addr: u64,
    /// `NAME+0xOFF` from the guest's symbol table, or `0xADDR`.
    pub symbol: String,
    /// Entries into the block's host code.
    pub executions: u64,
    pub translations: u32,
    pub guest_insns: u32,
    pub guest_bytes: u32,
    pub host_bytes: u32,
    pub host_insns: u32,
    pub exit: ExitKind,
    pub side_exits: u32,
    pub helpers: Vec<&'static str>,
    /// Filled for the hottest [`HOT_BLOCKS`] only.
    pub guest_asm: Vec<Line>,
    pub host_asm: Vec<Line>,
}

impl HotBlock {
    /// Guest instructions this block ran (block entries times its length: a side exit taken
    /// part-way counts the whole block).
    pub fn guest_insns_executed(&self) -> u64 {
        self.executions * u64::from(self.guest_insns)
    }

    /// The block's estimated time, in host instructions: entries times the host instructions
    /// of its code (counter included). A model, not a measurement: it takes every host
    /// instruction as one unit of time, follows no side exit (the whole block counts), and
    /// leaves out the helpers the block calls (their names are listed) and the dispatcher.
    pub fn host_insns_executed(&self) -> u64 {
        self.executions * u64::from(self.host_insns)
    }

    pub fn host_insns_per_guest_insn(&self) -> f64 {
        f64::from(self.host_insns) / f64::from(self.guest_insns.max(1))
    }
}

/// A histogram bucket: how many distinct blocks fall in it, and how often they ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bucket {
    pub label: &'static str,
    pub blocks: u64,
    pub executions: u64,
}

/// Everything the report shows.
#[derive(Clone, Debug)]
pub struct Report {
    pub run: RunInfo,
    pub stats: Stats,
    /// Every distinct guest block, most executed first.
    pub blocks: Vec<HotBlock>,
    /// Indices into `blocks` of the [`HOT_BLOCKS`] with the most estimated time
    /// ([`HotBlock::host_insns_executed`]), most first.
    pub by_time: Vec<usize>,
    /// The estimated time of all blocks, in host instructions.
    pub host_insns_executed: u64,
    /// Block entries in total, and the guest instructions they ran.
    pub executions: u64,
    pub guest_insns_executed: u64,
    /// Host instructions the execution counters ran (per entry: 2 on x86-64, 4 to 7 on
    /// AArch64, by the counter's address), for the cost paragraph.
    pub counting_insns: u64,
    /// Guest instructions per block.
    pub block_sizes: Vec<Bucket>,
    /// Host bytes per guest instruction.
    pub expansion: Vec<Bucket>,
    /// Host code per guest instruction class (and the blocks' own entry and exit code).
    pub by_class: Vec<classes::ClassExpansion>,
    pub exits: Vec<(ExitKind, u64, u64)>,
    /// (name, count, time), most frequent first.
    pub syscalls: Vec<(String, u64, Duration)>,
    pub findings: Vec<String>,
}

impl Report {
    /// Builds the report of a finished run.
    pub fn build(
        run: RunInfo,
        stats: &Stats,
        profile: &Profile,
        syscalls: &SyscallTally,
        symbols: &Symbols,
    ) -> Report {
        let mut by_addr: HashMap<u64, HotBlock> = HashMap::new();
        let mut latest: HashMap<u64, &profile::BlockRecord> = HashMap::new();
        let mut counting_insns = 0;
        for (record, executions) in profile.blocks() {
            counting_insns += executions * disasm::counter_insns(Isa::HOST, &record.host_code);
            let host_insns = disasm::count(Isa::HOST, &record.host_code) as u32;
            let block = by_addr.entry(record.guest_addr).or_insert_with(|| HotBlock {
                guest_addr: record.guest_addr,
                symbol: symbols.describe(record.guest_addr),
                executions: 0,
                translations: 0,
                guest_insns: 0,
                guest_bytes: 0,
                host_bytes: 0,
                host_insns: 0,
                exit: record.exit,
                side_exits: 0,
                helpers: Vec::new(),
                guest_asm: Vec::new(),
                host_asm: Vec::new(),
            });
            block.executions += executions;
            block.translations += 1;
            block.guest_insns = record.guest_insns;
            block.guest_bytes = record.guest_code.len() as u32;
            block.host_bytes = record.host_code.len() as u32;
            block.host_insns = host_insns;
            block.exit = record.exit;
            block.side_exits = record.side_exits;
            block.helpers = record.helpers.clone();
            latest.insert(record.guest_addr, record);
        }
        let mut blocks: Vec<HotBlock> = by_addr.into_values().collect();
        blocks.sort_by(|a, b| b.executions.cmp(&a.executions).then(a.guest_addr.cmp(&b.guest_addr)));
        let mut by_time: Vec<usize> = (0..blocks.len()).filter(|&i| blocks[i].executions > 0).collect();
        by_time.sort_by(|&a, &b| {
            let (a, b) = (&blocks[a], &blocks[b]);
            b.host_insns_executed().cmp(&a.host_insns_executed()).then(a.guest_addr.cmp(&b.guest_addr))
        });
        by_time.truncate(HOT_BLOCKS);
        for block in blocks.iter_mut().take(HOT_BLOCKS) {
            let record = latest[&block.guest_addr];
            block.guest_asm = disasm::disassemble(run.guest, &record.guest_code, record.guest_addr);
            block.host_asm = disasm::disassemble(Isa::HOST, &record.host_code, record.host_addr);
        }

        let executions: u64 = blocks.iter().map(|b| b.executions).sum();
        let guest_insns_executed = blocks.iter().map(HotBlock::guest_insns_executed).sum();
        let host_insns_executed = blocks.iter().map(HotBlock::host_insns_executed).sum();
        let block_sizes = buckets(
            &blocks,
            &[
                ("1", 1.0),
                ("2", 2.0),
                ("3-4", 4.0),
                ("5-8", 8.0),
                ("9-16", 16.0),
                ("17-32", 32.0),
                ("33+", f64::MAX),
            ],
            |b| f64::from(b.guest_insns),
        );
        let expansion = buckets(
            &blocks,
            &[
                ("< 5", 5.0),
                ("5-10", 10.0),
                ("10-20", 20.0),
                ("20-40", 40.0),
                ("40-80", 80.0),
                ("80+", f64::MAX),
            ],
            |b| f64::from(b.host_bytes) / f64::from(b.guest_insns.max(1)),
        );
        let mut exits: Vec<(ExitKind, u64, u64)> = Vec::new();
        for b in &blocks {
            match exits.iter_mut().find(|e| e.0 == b.exit) {
                Some(e) => {
                    e.1 += 1;
                    e.2 += b.executions;
                }
                None => exits.push((b.exit, 1, b.executions)),
            }
        }
        exits.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(&a.1)));
        let by_class = classes::by_class(run.guest, profile.blocks());
        let mut report = Report {
            run,
            stats: stats.clone(),
            blocks,
            by_time,
            host_insns_executed,
            executions,
            guest_insns_executed,
            counting_insns,
            block_sizes,
            expansion,
            by_class,
            exits,
            syscalls: syscalls.sorted(),
            findings: Vec::new(),
        };
        report.findings = findings::findings(&report);
        report
    }

    /// Time in the dispatcher on its own: the time outside translated code, less translating
    /// and syscalls (so: block lookups, chain linking, jump-table refills, signal delivery).
    pub fn dispatcher_time(&self) -> Duration {
        self.stats
            .outside_code_time
            .saturating_sub(self.stats.translate_time)
            .saturating_sub(self.stats.syscall_time)
    }

    /// Time running translated code (and the helpers it calls): what remains of the wall time.
    pub fn running_time(&self) -> Duration {
        self.run
            .wall
            .saturating_sub(self.stats.translate_time)
            .saturating_sub(self.stats.syscall_time)
            .saturating_sub(self.dispatcher_time())
    }

    /// The report in `format`.
    pub fn render(&self, format: ReportFormat) -> String {
        match format {
            ReportFormat::Html => html::render(self),
            ReportFormat::Json => json::render(self),
        }
    }
}

/// Sorts `blocks` into buckets by `value`: a block goes to the first bucket whose bound is at
/// least its value.
fn buckets(
    blocks: &[HotBlock],
    bounds: &[(&'static str, f64)],
    value: impl Fn(&HotBlock) -> f64,
) -> Vec<Bucket> {
    let mut out: Vec<Bucket> =
        bounds.iter().map(|&(label, _)| Bucket { label, blocks: 0, executions: 0 }).collect();
    for b in blocks {
        let v = value(b);
        let i = bounds.iter().position(|&(_, bound)| v <= bound).unwrap_or(bounds.len() - 1);
        out[i].blocks += 1;
        out[i].executions += b.executions;
    }
    out
}

/// `part` as a percentage of `whole` (0 when `whole` is 0).
fn percent(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        100.0 * part / whole
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests;
