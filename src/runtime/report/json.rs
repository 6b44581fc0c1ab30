//! The report as one JSON object (`--report FILE.json`), for CI to track over time. Field
//! names are stable and listed in the README ("--report"); times are in seconds. `stats` is
//! the `--stats=json` object of the same run.

use super::disasm::Line;
use super::{Bucket, HotBlock, Report, HOT_BLOCKS};
use std::fmt::Write as _;

pub fn render(r: &Report) -> String {
    let s = &r.stats;
    let mut o = String::from("{");
    let _ = write!(o, "\"format\":1,\"xlate_version\":{}", string(env!("CARGO_PKG_VERSION")));
    let command: Vec<String> = r.run.command.iter().map(|a| string(a)).collect();
    let _ = write!(o, ",\"command\":[{}]", command.join(","));
    let _ = write!(o, ",\"guest\":{},\"host\":{}", string(r.run.guest_name), string(r.run.host_name));
    let _ = write!(
        o,
        ",\"time_wall_s\":{:.6},\"time_cpu_user_s\":{:.6},\"time_cpu_system_s\":{:.6}",
        r.run.wall.as_secs_f64(),
        r.run.cpu.user.as_secs_f64(),
        r.run.cpu.system.as_secs_f64()
    );
    let _ = write!(
        o,
        ",\"time_translated_code_s\":{:.6},\"time_dispatcher_s\":{:.6}",
        r.running_time().as_secs_f64(),
        r.dispatcher_time().as_secs_f64()
    );
    let _ = write!(o, ",\"stats\":{}", s.json(r.run.wall, r.run.guest_name, r.run.host_name));
    let _ = write!(
        o,
        ",\"counting\":{{\"method\":\"entry_counters\",\"block_entries\":{},\"guest_insns_executed\":{},\
         \"counter_host_insns\":{},\"host_insns_executed\":{}}}",
        r.executions, r.guest_insns_executed, r.counting_insns, r.host_insns_executed
    );
    let hot: Vec<String> = r.blocks.iter().take(HOT_BLOCKS).map(block).collect();
    let _ = write!(o, ",\"hot_blocks\":[{}]", hot.join(","));
    let by_time: Vec<String> = r
        .by_time
        .iter()
        .map(|&i| {
            let b = &r.blocks[i];
            format!(
                "{{\"guest_addr\":\"{:#x}\",\"symbol\":{},\"entries\":{},\"host_insns\":{},\
                 \"host_insns_executed\":{},\"share\":{:.4}}}",
                b.guest_addr,
                string(&b.symbol),
                b.executions,
                b.host_insns,
                b.host_insns_executed(),
                super::percent(b.host_insns_executed() as f64, r.host_insns_executed as f64) / 100.0
            )
        })
        .collect();
    let _ = write!(o, ",\"hot_blocks_by_time\":[{}]", by_time.join(","));
    let _ = write!(o, ",\"block_sizes\":{}", buckets(&r.block_sizes));
    let _ = write!(o, ",\"host_bytes_per_guest_insn\":{}", buckets(&r.expansion));
    let classes: Vec<String> = r
        .by_class
        .iter()
        .map(|c| {
            format!(
                "{{\"class\":{},\"guest_insns\":{},\"host_bytes\":{},\"host_insns\":{},\
                 \"guest_insns_executed\":{},\"host_insns_executed\":{}}}",
                string(c.class),
                c.guest_insns,
                c.host_bytes,
                c.host_insns,
                c.guest_insns_executed,
                c.host_insns_executed
            )
        })
        .collect();
    let _ = write!(o, ",\"expansion_by_class\":[{}]", classes.join(","));
    let exits: Vec<String> = r
        .exits
        .iter()
        .map(|(k, blocks, entries)| {
            format!("{{\"exit\":{},\"blocks\":{blocks},\"entries\":{entries}}}", string(k.name()))
        })
        .collect();
    let _ = write!(o, ",\"exits\":[{}]", exits.join(","));
    let syscalls: Vec<String> = r
        .syscalls
        .iter()
        .map(|(n, c, t)| {
            format!("{{\"name\":{},\"count\":{c},\"time_s\":{:.6}}}", string(n), t.as_secs_f64())
        })
        .collect();
    let _ = write!(o, ",\"syscalls\":[{}]", syscalls.join(","));
    let findings: Vec<String> = r.findings.iter().map(|f| string(f)).collect();
    let _ = write!(o, ",\"findings\":[{}]}}", findings.join(","));
    o
}

fn block(b: &HotBlock) -> String {
    let helpers: Vec<String> = b.helpers.iter().map(|h| string(h)).collect();
    format!(
        "{{\"guest_addr\":\"{:#x}\",\"symbol\":{},\"entries\":{},\"translations\":{},\"guest_insns\":{},\
         \"guest_bytes\":{},\"host_insns\":{},\"host_insns_executed\":{},\"host_bytes\":{},\"exit\":{},\"side_exits\":{},\"helpers\":[{}],\
         \"guest_code\":{},\"host_code\":{}}}",
        b.guest_addr,
        string(&b.symbol),
        b.executions,
        b.translations,
        b.guest_insns,
        b.guest_bytes,
        b.host_insns,
        b.host_insns_executed(),
        b.host_bytes,
        string(b.exit.name()),
        b.side_exits,
        helpers.join(","),
        listing(&b.guest_asm),
        listing(&b.host_asm)
    )
}

fn listing(lines: &[Line]) -> String {
    let items: Vec<String> = lines.iter().map(|l| string(&format!("{:x} {}", l.addr, l.text))).collect();
    format!("[{}]", items.join(","))
}

fn buckets(buckets: &[Bucket]) -> String {
    let items: Vec<String> = buckets
        .iter()
        .map(|b| {
            format!("{{\"range\":{},\"blocks\":{},\"entries\":{}}}", string(b.label), b.blocks, b.executions)
        })
        .collect();
    format!("[{}]", items.join(","))
}

/// A JSON string literal.
pub(super) fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
