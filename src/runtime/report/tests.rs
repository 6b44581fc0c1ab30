//! The report builder on a made-up profile: figures, findings, and well-formed HTML and JSON
//! with every section. (tests/report.rs renders the report of a real run in a browser.)

use super::*;
use crate::ir::{BinOp, Builder, Exit, GuestAddr, StateOffset, Width};
use crate::memory::code::CodeSource;

/// Guest code for the test blocks: `inc rax` (48 ff c0) repeated.
struct IncRax;

impl CodeSource for IncRax {
    fn read_code(&self, _addr: GuestAddr, buf: &mut [u8]) -> usize {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = [0x48, 0xff, 0xc0][i % 3];
        }
        buf.len()
    }
}

/// A block of `insns` x86 `inc rax` at `addr` ending with `exit`.
fn block(addr: u64, insns: u32, exit: Exit) -> crate::ir::Block {
    let mut b = Builder::new();
    let x = b.load_state(StateOffset(32), Width::W64);
    let y = b.bin_imm(BinOp::Add, x, u64::from(insns), Width::W64);
    b.store_state(StateOffset(32), y, Width::W64);
    b.finish(GuestAddr(addr), 3 * insns, insns, exit)
}

/// Three blocks entered 1000, 10 and 1 times (the counters written as translated code would),
/// the first one translated twice.
fn sample() -> Report {
    let mut profile = Profile::default();
    let host = [0x48, 0x83, 0xc0, 0x01, 0xc3]; // add rax, 1; ret
    let blocks = [
        (block(0x401000, 4, Exit::Jump(GuestAddr(0x401000))), 600),
        (block(0x401100, 2, Exit::Syscall { next: GuestAddr(0x401106) }), 10),
        (block(0x401000, 4, Exit::Jump(GuestAddr(0x401000))), 400),
        (block(0x402000, 1, Exit::Jump(GuestAddr(0x401000))), 1),
    ];
    for (i, (b, count)) in blocks.iter().enumerate() {
        let counter = profile.next_counter();
        // Stand-in for the block's own increments.
        let counter = counter_at(&profile, counter);
        counter.store(*count, std::sync::atomic::Ordering::Relaxed);
        profile.record(b, &IncRax, 0x7000_0000 + 0x100 * i as u64, &host, &compiled(&host));
    }
    let stats = Stats {
        blocks_translated: 4,
        guest_insns: 11,
        guest_bytes: 33,
        host_bytes: 20,
        translate_time: Duration::from_millis(1),
        syscall_time: Duration::from_millis(2),
        dispatcher_entries: 12,
        lookups: 14,
        lookup_hits: 10,
        chain_links: 3,
        flushes: 1,
        range_invalidations: 0,
        blocks_invalidated: 0,
        code_writes: 0,
        chains_unlinked: 0,
        syscalls: 10,
        outside_code_time: Duration::ZERO,
        ..Stats::default()
    };
    let mut tally = SyscallTally::default();
    for _ in 0..9 {
        tally.record("write", Duration::from_micros(100));
    }
    tally.record("exit_group", Duration::from_micros(5));
    let symbols = Symbols::from_entries(vec![
        (0x401000, 0x100, "hot_loop".into()),
        (0x401100, 0x100, "print<&'a>".into()),
    ]);
    let run = RunInfo {
        command: vec!["/bin/prog".into(), "a<b".into()],
        guest: Isa::X86_64,
        guest_name: "x86-64",
        host_name: "x86-64",
        wall: Duration::from_millis(10),
        cpu: CpuTime { user: Duration::from_millis(8), system: Duration::from_millis(1) },
    };
    Report::build(run, &stats, &profile, &tally, &symbols)
}

/// The counter at `addr`, found among the profile's own (tests write counts through it).
fn counter_at(profile: &Profile, addr: usize) -> &std::sync::atomic::AtomicU64 {
    profile.counter_at(addr).expect("the address next_counter gave")
}

#[test]
fn blocks_are_summed_per_guest_address_and_sorted_by_entries() {
    let r = sample();
    let got: Vec<(u64, &str, u64, u32)> =
        r.blocks.iter().map(|b| (b.guest_addr, b.symbol.as_str(), b.executions, b.translations)).collect();
    assert_eq!(
        got,
        [(0x401000, "hot_loop", 1000, 2), (0x401100, "print<&'a>", 10, 1), (0x402000, "0x402000", 1, 1)]
    );
    assert_eq!(r.executions, 1011);
    assert_eq!(r.guest_insns_executed, 4000 + 20 + 1);
    let hot = &r.blocks[0];
    assert_eq!((hot.guest_insns, hot.guest_bytes, hot.host_bytes, hot.host_insns), (4, 12, 5, 2));
    assert_eq!(hot.guest_asm.len(), 4);
    assert!(hot.guest_asm.iter().all(|l| l.text.starts_with("inc") && l.text.ends_with("rax")));
    assert_eq!(hot.host_asm.len(), 2);
    assert_eq!(r.syscalls[0].0, "write");
    assert_eq!(r.syscalls[0].1, 9);
}

#[test]
fn distributions_count_blocks_and_entries() {
    let r = sample();
    let sizes: Vec<(&str, u64, u64)> =
        r.block_sizes.iter().map(|b| (b.label, b.blocks, b.executions)).collect();
    assert_eq!(sizes[0], ("1", 1, 1));
    assert_eq!(sizes[1], ("2", 1, 10));
    assert_eq!(sizes[2], ("3-4", 1, 1000));
    assert_eq!(r.exits[0], (ExitKind::Jump, 2, 1001));
    assert_eq!(r.exits[1], (ExitKind::Syscall, 1, 10));
    // The sample's host code is x86-64 with no counter in it: 2 per entry on an x86-64 host
    // (fixed), none found in it on an AArch64 host.
    assert_eq!(r.counting_insns, if Isa::HOST == Isa::X86_64 { 2022 } else { 0 });
}

#[test]
fn findings_name_the_hot_block_and_the_flush() {
    let r = sample();
    assert!(
        r.findings[0].starts_with("99% of the guest instructions ran in one block, hot_loop (0x401000)"),
        "{:?}",
        r.findings
    );
    assert!(
        r.findings.iter().any(|f| f.starts_with("The code cache was flushed 1 times")),
        "{:?}",
        r.findings
    );
    assert!(!r.findings.iter().any(|f| f.contains("System calls took")), "20% is not out of the ordinary");
}

#[test]
fn html_is_well_formed_and_self_contained() {
    let html = sample().render(ReportFormat::Html);
    assert!(html.starts_with("<!DOCTYPE html>"));
    for section in ["run", "findings", "hot-blocks", "distributions", "counting"] {
        assert!(html.contains(&format!("<section id=\"{section}\">")), "no section {section}");
    }
    for chart in
        ["chart-time", "chart-hot", "chart-sizes", "chart-expansion", "chart-exits", "chart-syscalls"]
    {
        assert!(html.contains(&format!("<svg class=\"chart\" id=\"{chart}\"")), "no chart {chart}");
    }
    // The hottest block first in the table, its symbol escaped wherever it appears.
    let table = &html[html.find("<section id=\"hot-blocks\">").unwrap()..];
    assert!(table.find("hot_loop").unwrap() < table.find("print&lt;&amp;&#39;a&gt;").unwrap());
    assert!(!html.contains("print<&'a>") && !html.contains("a<b"));
    // Nothing fetched from anywhere: no URL and no external reference at all.
    for external in ["http:", "https:", "src=", "href=", "url(", "@import"] {
        assert!(!html.contains(external), "external reference {external}");
    }
    assert_balanced(&html);
}

/// Every element that is opened is closed, in order (void elements and `<!DOCTYPE>` aside);
/// no stray `<` or `>` is left in text (everything is escaped).
fn assert_balanced(html: &str) {
    const VOID: [&str; 2] = ["meta", "br"];
    let mut open: Vec<String> = Vec::new();
    let mut rest = html;
    let mut in_script = false;
    while let Some(lt) = rest.find('<') {
        let text = &rest[..lt];
        assert!(in_script || !text.contains('>'), "stray > in text: {text:?}");
        let gt = rest[lt..].find('>').expect("unclosed tag") + lt;
        let tag = &rest[lt + 1..gt];
        rest = &rest[gt + 1..];
        if in_script && tag != "/script" {
            continue;
        }
        if tag.starts_with('!') || tag.ends_with('/') {
            continue;
        }
        let name: String =
            tag.trim_start_matches('/').chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        if VOID.contains(&name.as_str()) {
            continue;
        }
        if let Some(closing) = tag.strip_prefix('/') {
            assert_eq!(open.pop().as_deref(), Some(closing), "</{closing}> closes the wrong element");
            in_script = false;
        } else {
            in_script = name == "script";
            open.push(name);
        }
    }
    assert!(open.is_empty(), "never closed: {open:?}");
}

#[test]
fn the_balance_check_can_fail() {
    for bad in ["<div><p></div></p>", "<div>", "<p>a > b</p>"] {
        assert!(std::panic::catch_unwind(|| assert_balanced(bad)).is_err(), "{bad}");
    }
}

#[test]
fn json_has_the_documented_fields() {
    let json = sample().render(ReportFormat::Json);
    assert!(json.starts_with("{\"format\":1,"));
    for field in [
        "\"command\":[\"/bin/prog\",\"a<b\"]",
        "\"guest\":\"x86-64\"",
        "\"time_wall_s\":0.010000",
        "\"time_cpu_user_s\":0.008000",
        "\"stats\":{\"guest\":\"x86-64\"",
        "\"counting\":{\"method\":\"entry_counters\",\"block_entries\":1011,\"guest_insns_executed\":4021,",
        "\"hot_blocks\":[{\"guest_addr\":\"0x401000\",\"symbol\":\"hot_loop\",\"entries\":1000,\"translations\":2,",
        "\"block_sizes\":[{\"range\":\"1\",\"blocks\":1,\"entries\":1}",
        "\"exits\":[{\"exit\":\"jump\",\"blocks\":2,\"entries\":1001}",
        "\"syscalls\":[{\"name\":\"write\",\"count\":9,\"time_s\":0.000900}",
        "\"findings\":[\"99% of the guest",
    ] {
        assert!(json.contains(field), "no {field} in {json}");
    }
    assert!(json.ends_with("]}"));
}

#[test]
fn report_file_names_pick_the_format() {
    assert_eq!(ReportFormat::of_path(Path::new("r.html")), Some(ReportFormat::Html));
    assert_eq!(ReportFormat::of_path(Path::new("/tmp/R.HTM")), Some(ReportFormat::Html));
    assert_eq!(ReportFormat::of_path(Path::new("r.json")), Some(ReportFormat::Json));
    assert_eq!(ReportFormat::of_path(Path::new("r.txt")), None);
    assert_eq!(ReportFormat::of_path(Path::new("report")), None);
}

#[test]
fn helper_calls_are_summarised_with_counts() {
    let names = ["a64_fmul_d", "a64_fsqrt_d", "a64_fmul_d", "a64_fmul_d"];
    assert_eq!(html::helper_summary(&names), "a64_fmul_d ×3, a64_fsqrt_d");
    assert_eq!(html::helper_summary(&[]), "");
}

#[test]
fn blocks_by_estimated_time_weigh_entries_by_host_instructions() {
    let mut profile = Profile::default();
    let short = [0x48, 0x83, 0xc0, 0x01, 0xc3]; // add rax, 1; ret: 2 instructions
    let long: Vec<u8> = [0x48, 0x83, 0xc0, 0x01].repeat(5).into_iter().chain([0xc3]).collect(); // 6
    let blocks = [(0x401000, 100, &short[..]), (0x402000, 60, &long[..]), (0x403000, 0, &long[..])];
    for (addr, count, host) in blocks {
        let counter = profile.next_counter();
        counter_at(&profile, counter).store(count, std::sync::atomic::Ordering::Relaxed);
        profile.record(
            &block(addr, 1, Exit::Jump(GuestAddr(addr))),
            &IncRax,
            0x7000_0000,
            host,
            &compiled(host),
        );
    }
    let run = RunInfo {
        command: vec!["/bin/prog".into()],
        guest: Isa::X86_64,
        guest_name: "x86-64",
        host_name: "x86-64",
        wall: Duration::from_millis(1),
        cpu: CpuTime::default(),
    };
    let symbols = Symbols::from_entries(Vec::new());
    let r = Report::build(run, &Stats::default(), &profile, &SyscallTally::default(), &symbols);
    // By entries 0x401000 leads; by estimated time (60 x 6 > 100 x 2) 0x402000 does, and a
    // block that never ran is not listed.
    assert_eq!(r.blocks[0].guest_addr, 0x401000);
    let by_time: Vec<(u64, u64)> =
        r.by_time.iter().map(|&i| (r.blocks[i].guest_addr, r.blocks[i].host_insns_executed())).collect();
    assert_eq!(by_time, [(0x402000, 360), (0x401000, 200)]);
    assert_eq!(r.host_insns_executed, 560);
    let json = r.render(ReportFormat::Json);
    assert!(json.contains("\"hot_blocks_by_time\":[{\"guest_addr\":\"0x402000\",\"symbol\":\"0x402000\",\"entries\":60,\"host_insns\":6,\"host_insns_executed\":360,\"share\":0.6429}"), "{json}");
    let html = r.render(ReportFormat::Html);
    assert!(html.contains("id=\"chart-hot-time\""));
}

#[test]
fn dispatcher_time_is_outside_code_less_translating_and_syscalls() {
    let mut r = sample();
    // Wall 10 ms: translating 1 ms, syscalls 2 ms, 5 ms outside translated code in all.
    r.stats.outside_code_time = Duration::from_millis(5);
    assert_eq!(r.dispatcher_time(), Duration::from_millis(2));
    assert_eq!(r.running_time(), Duration::from_millis(5));
    let json = r.render(ReportFormat::Json);
    assert!(json.contains("\"time_translated_code_s\":0.005000,\"time_dispatcher_s\":0.002000,"), "{json}");
    assert!(r.render(ReportFormat::Html).contains("dispatcher 20.0%"));
}

/// What a backend reports of `host`, one block without per-instruction starts.
fn compiled(host: &[u8]) -> crate::backend::CompiledBlock {
    crate::backend::CompiledBlock {
        entry: crate::cache::HostCode(0x7000_0000),
        host_len: host.len(),
        insn_starts: Vec::new(),
        exits_at: host.len() as u32,
        fault_sites: Vec::new(),
    }
}
