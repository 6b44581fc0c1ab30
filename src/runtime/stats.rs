//! Translation statistics: plain counters the dispatcher bumps as it works, and the `--stats`
//! report printed on stderr when the guest ends.
//!
//! The counters are ordinary `u64` fields of one struct owned by the dispatcher (no atomics, no
//! indirection), so counting costs an add per event. Times are measured with [`Instant`](std::time::Instant) only
//! around translation and syscalls, never per block run; the time spent running translated
//! code is what remains of the total. (`--report` also times each return to the dispatcher:
//! `outside_code_time`.)

use std::fmt::Write as _;
use std::time::Duration;

/// What the dispatcher counted during one guest run.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Blocks translated (frontend + optimiser + backend), including re-translations after
    /// a flush.
    pub blocks_translated: u64,
    /// Guest instructions covered by the translated blocks.
    pub guest_insns: u64,
    /// Guest code bytes covered by the translated blocks.
    pub guest_bytes: u64,
    /// Host code bytes the backend emitted for those blocks.
    pub host_bytes: u64,
    /// Time spent translating and compiling blocks.
    pub translate_time: Duration,
    /// Time spent in the syscall layer (including the host kernel).
    pub syscall_time: Duration,
    /// Returns from translated code to the dispatcher.
    pub dispatcher_entries: u64,
    /// Block lookups the dispatcher made in the block map.
    pub lookups: u64,
    /// Lookups that found a translated block.
    pub lookup_hits: u64,
    /// Direct exits patched to jump straight to their target block.
    pub chain_links: u64,
    /// Times the whole code cache was flushed (full cache, or modified guest code that could
    /// not be dropped by range).
    pub flushes: u64,
    /// Times the translations of a changed guest range were dropped without a flush.
    pub range_invalidations: u64,
    /// Blocks dropped by those range invalidations.
    pub blocks_invalidated: u64,
    /// Times guest code pages were found written (a store to a write-protected code page, or
    /// a system call writing there), each dropping the translations of the pages written.
    pub code_writes: u64,
    /// Chain sites restored to their exit stubs because their target block was dropped.
    pub chains_unlinked: u64,
    /// Guest system calls handled.
    pub syscalls: u64,
    /// Time outside translated code once the guest started (the dispatcher, translating,
    /// syscalls, signal delivery): measured only with `--report`, which reads the clock on
    /// every return to the dispatcher and before every entry into translated code; zero
    /// otherwise.
    pub outside_code_time: Duration,
    /// The persistent translation cache (`runtime::persist`): blocks its file held when the
    /// guest started, blocks taken from it (their guest bytes the same: no frontend or
    /// optimiser ran), blocks it held whose guest bytes had changed (translated again), and
    /// blocks written to it when the process ended.
    pub cache_loaded: u64,
    pub cache_used: u64,
    pub cache_rejected: u64,
    pub cache_stored: u64,
}

impl Stats {
    /// The `--stats` report: several lines, each ending in a newline. `total` is the wall time
    /// of the whole guest run; `what` says which guest and host ("x86-64 guest on x86-64 host").
    pub fn report(&self, total: Duration, what: &str) -> String {
        let running = total.saturating_sub(self.translate_time).saturating_sub(self.syscall_time);
        // Writing into a String cannot fail.
        let mut out = format!("xlate stats ({what}):\n");
        let mut line = |label: &str, value: String| {
            let _ = writeln!(out, "  {label:<28}{value}");
        };
        line("blocks translated", self.blocks_translated.to_string());
        line("guest instructions", self.guest_insns.to_string());
        line("guest bytes", self.guest_bytes.to_string());
        line("host bytes emitted", self.host_bytes.to_string());
        line("host bytes per guest insn", ratio(self.host_bytes, self.guest_insns));
        line("time total", millis(total));
        line("time translating", with_share(self.translate_time, total));
        line("time running", with_share(running, total));
        line("time in syscalls", with_share(self.syscall_time, total));
        line("dispatcher entries", self.dispatcher_entries.to_string());
        line("cache lookups", self.lookups.to_string());
        line("cache hits", format!("{} ({})", self.lookup_hits, percent(self.lookup_hits, self.lookups)));
        line("chain links", self.chain_links.to_string());
        line("cache flushes", self.flushes.to_string());
        line(
            "range invalidations",
            format!("{} ({} blocks)", self.range_invalidations, self.blocks_invalidated),
        );
        line("code page writes", self.code_writes.to_string());
        line("chains unlinked", self.chains_unlinked.to_string());
        line("syscalls", self.syscalls.to_string());
        line(
            "translation cache file",
            format!(
                "{} loaded, {} used, {} rejected, {} stored",
                self.cache_loaded, self.cache_used, self.cache_rejected, self.cache_stored
            ),
        );
        out
    }
}

impl Stats {
    /// The `--stats=json` report: one JSON object on one line. The field names are stable
    /// (README, "--stats=json"); times are in seconds, and `time_running_s` is what remains
    /// of the total after translating and syscalls.
    pub fn json(&self, total: Duration, guest: &str, host: &str) -> String {
        let running = total.saturating_sub(self.translate_time).saturating_sub(self.syscall_time);
        let fields: [(&str, String); 24] = [
            ("guest", format!("\"{guest}\"")),
            ("host", format!("\"{host}\"")),
            ("blocks_translated", self.blocks_translated.to_string()),
            ("guest_insns", self.guest_insns.to_string()),
            ("guest_bytes", self.guest_bytes.to_string()),
            ("host_bytes", self.host_bytes.to_string()),
            ("time_total_s", seconds(total)),
            ("time_translating_s", seconds(self.translate_time)),
            ("time_running_s", seconds(running)),
            ("time_syscalls_s", seconds(self.syscall_time)),
            ("dispatcher_entries", self.dispatcher_entries.to_string()),
            ("lookups", self.lookups.to_string()),
            ("lookup_hits", self.lookup_hits.to_string()),
            ("chain_links", self.chain_links.to_string()),
            ("flushes", self.flushes.to_string()),
            ("range_invalidations", self.range_invalidations.to_string()),
            ("blocks_invalidated", self.blocks_invalidated.to_string()),
            ("syscalls", self.syscalls.to_string()),
            ("cache_loaded", self.cache_loaded.to_string()),
            ("cache_used", self.cache_used.to_string()),
            ("cache_rejected", self.cache_rejected.to_string()),
            ("cache_stored", self.cache_stored.to_string()),
            ("xlate_version", format!("\"{}\"", env!("CARGO_PKG_VERSION"))),
            ("format", "1".to_string()),
        ];
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        format!("{{{}}}", body.join(","))
    }
}

fn seconds(d: Duration) -> String {
    format!("{:.6}", d.as_secs_f64())
}

fn ratio(a: u64, b: u64) -> String {
    if b == 0 {
        "-".to_string()
    } else {
        format!("{:.1}", a as f64 / b as f64)
    }
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".to_string()
    } else {
        format!("{:.1}%", 100.0 * part as f64 / whole as f64)
    }
}

fn millis(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn with_share(d: Duration, total: Duration) -> String {
    let share = if total.is_zero() { 0.0 } else { 100.0 * d.as_secs_f64() / total.as_secs_f64() };
    format!("{} ({share:.1}%)", millis(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_lists_every_counter() {
        let stats = Stats {
            blocks_translated: 3,
            guest_insns: 10,
            guest_bytes: 35,
            host_bytes: 250,
            translate_time: Duration::from_millis(2),
            syscall_time: Duration::from_millis(1),
            dispatcher_entries: 7,
            lookups: 8,
            lookup_hits: 6,
            chain_links: 2,
            flushes: 0,
            range_invalidations: 1,
            blocks_invalidated: 3,
            code_writes: 5,
            chains_unlinked: 6,
            syscalls: 4,
            outside_code_time: Duration::ZERO,
            cache_loaded: 9,
            cache_used: 8,
            cache_rejected: 1,
            cache_stored: 2,
        };
        let text = stats.report(Duration::from_millis(10), "x86-64 guest on x86-64 host");
        assert!(text.starts_with("xlate stats (x86-64 guest on x86-64 host):\n"));
        for (label, value) in [
            ("blocks translated", "3"),
            ("guest instructions", "10"),
            ("guest bytes", "35"),
            ("host bytes emitted", "250"),
            ("host bytes per guest insn", "25.0"),
            ("time translating", "2.000 ms (20.0%)"),
            ("time running", "7.000 ms (70.0%)"),
            ("time in syscalls", "1.000 ms (10.0%)"),
            ("dispatcher entries", "7"),
            ("cache lookups", "8"),
            ("cache hits", "6 (75.0%)"),
            ("chain links", "2"),
            ("cache flushes", "0"),
            ("range invalidations", "1 (3 blocks)"),
            ("code page writes", "5"),
            ("chains unlinked", "6"),
            ("syscalls", "4"),
            ("translation cache file", "9 loaded, 8 used, 1 rejected, 2 stored"),
        ] {
            let found =
                text.lines().any(|l| l.trim_start().starts_with(label) && l.trim_end().ends_with(value));
            assert!(found, "no line `{label} ... {value}` in\n{text}");
        }
    }

    #[test]
    fn empty_run_has_no_division_by_zero() {
        let text = Stats::default().report(Duration::ZERO, "t");
        assert!(text.contains("host bytes per guest insn   -"));
    }
}
