//! The report as one self-contained HTML page: inline CSS, charts as inline SVG drawn here,
//! and one small inline script that only checks the page (it records script errors and whether
//! every chart drew bars into `#selfcheck`, which the headless-browser test reads). A content
//! security policy forbids every network request, so the page works from any disk.

use super::disasm::Line;
use super::{percent, Bucket, HotBlock, Isa, Report, HOT_BLOCKS};
use std::fmt::Write as _;
use std::time::Duration;

const STYLE: &str = "
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1180px;color:#1d2330;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d5d9e0}
table{border-collapse:collapse;margin:6px 0}td,th{padding:2px 10px 2px 0;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}tr:nth-child(even) td{background:#f4f6f9}
ul.findings li{margin:4px 0}.sub{color:#5b6473}code,pre{font:12px/1.35 ui-monospace,monospace}
.code{display:grid;grid-template-columns:1fr 1fr;gap:12px}pre{background:#f4f6f9;padding:8px;overflow-x:auto;margin:4px 0}
details{margin:6px 0}summary{cursor:pointer}svg.chart{display:block;margin:6px 0 14px}
svg text{font:12px system-ui,sans-serif;fill:#1d2330}.grid{display:grid;grid-template-columns:1fr 1fr;gap:16px}";

/// Script errors and console errors, recorded from the start.
const HEAD_SCRIPT: &str = "window.xlateErrors=[];\
window.addEventListener('error',function(e){window.xlateErrors.push(String(e.message))});\
(function(){var f=console.error;console.error=function(){\
window.xlateErrors.push(Array.prototype.join.call(arguments,' '));f.apply(console,arguments)}})();";

/// After the page: every `svg.chart` must have drawn at least one bar of non-zero size.
const CHECK_SCRIPT: &str = "(function(){var charts=document.querySelectorAll('svg.chart'),empty=[];\
charts.forEach(function(s){var n=0;s.querySelectorAll('rect.bar').forEach(function(r){\
var b=r.getBBox();if(b.width>0&&b.height>0)n++});if(n===0)empty.push(s.id)});\
var o=document.getElementById('selfcheck');\
o.textContent=JSON.stringify({charts:charts.length,empty:empty,errors:window.xlateErrors});\
o.setAttribute('data-status',charts.length>0&&empty.length===0&&window.xlateErrors.length===0?'ok':'bad')})();";

const COLORS: [&str; 6] = ["#3b6fd4", "#e0803a", "#3aa37a", "#b04fb4", "#c9a227", "#6b7280"];

pub fn render(r: &Report) -> String {
    let mut h = String::new();
    let program = r.run.command.first().map(String::as_str).unwrap_or("?");
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; \
         script-src 'unsafe-inline'\">\
         <title>xlate report: {}</title><style>{STYLE}</style><script>{HEAD_SCRIPT}</script></head><body>\n",
        esc(program)
    );
    let _ = writeln!(
        h,
        "<h1>xlate report: {}</h1><div class=\"sub\">{} guest on {} host, xlate {}</div>",
        esc(program),
        r.run.guest_name,
        r.run.host_name,
        env!("CARGO_PKG_VERSION")
    );
    run_section(&mut h, r);
    findings_section(&mut h, r);
    hot_section(&mut h, r);
    by_time_section(&mut h, r);
    distributions_section(&mut h, r);
    counting_section(&mut h, r);
    let _ = writeln!(
        h,
        "<pre id=\"selfcheck\" data-status=\"pending\"></pre><script>{CHECK_SCRIPT}</script></body></html>"
    );
    h
}

fn run_section(h: &mut String, r: &Report) {
    let wall = r.run.wall;
    let running = r.running_time();
    h.push_str("<section id=\"run\"><h2>The run</h2><table>");
    let mut row = |k: &str, v: String| {
        let _ = write!(h, "<tr><th>{k}</th><td>{v}</td></tr>");
    };
    row("command", format!("<code>{}</code>", esc(&r.run.command.join(" "))));
    row("guest / host", format!("{} / {}", r.run.guest_name, r.run.host_name));
    row("wall time", secs(wall));
    row(
        "CPU time",
        format!(
            "{} user + {} system (the whole xlate process, getrusage)",
            secs(r.run.cpu.user),
            secs(r.run.cpu.system)
        ),
    );
    row("translating", share(r.stats.translate_time, wall));
    row("running translated code (and its helpers)", share(running, wall));
    row("in the dispatcher (lookups, linking, signal delivery)", share(r.dispatcher_time(), wall));
    row("in system calls (syscall layer and kernel)", share(r.stats.syscall_time, wall));
    row(
        "overhead xlate added, measured",
        format!(
            "{} translating {} blocks ({} guest instructions into {} host bytes); {} in the dispatcher \
             ({} returns to it; the clock is read on each return and before each entry into translated code)",
            secs(r.stats.translate_time),
            r.stats.blocks_translated,
            r.stats.guest_insns,
            r.stats.host_bytes,
            secs(r.dispatcher_time()),
            r.stats.dispatcher_entries
        ),
    );
    row("block entries counted", format!("{} ({} guest instructions)", r.executions, r.guest_insns_executed));
    h.push_str("</table>");
    let parts = [
        ("translating", r.stats.translate_time),
        ("running", running),
        ("dispatcher", r.dispatcher_time()),
        ("syscalls", r.stats.syscall_time),
    ];
    stacked_bar(h, "chart-time", "Where the wall time went", &parts);
    h.push_str("</section>\n");
}

fn findings_section(h: &mut String, r: &Report) {
    h.push_str("<section id=\"findings\"><h2>Findings</h2><ul class=\"findings\">");
    if r.findings.is_empty() {
        h.push_str("<li>No figure was out of the ordinary.</li>");
    }
    for f in &r.findings {
        let _ = write!(h, "<li>{}</li>", esc(f));
    }
    h.push_str("</ul></section>\n");
}

fn hot_section(h: &mut String, r: &Report) {
    let hot: Vec<&HotBlock> = r.blocks.iter().take(HOT_BLOCKS).filter(|b| b.executions > 0).collect();
    let _ = write!(
        h,
        "<section id=\"hot-blocks\"><h2>Hottest blocks</h2><p class=\"sub\">By entries into the block's host \
         code; share = guest instructions it ran (entries &times; length) out of {}.</p>",
        r.guest_insns_executed
    );
    if hot.is_empty() {
        h.push_str("<p>No block ran.</p></section>\n");
        return;
    }
    let bars: Vec<(String, f64, String)> =
        hot.iter().map(|b| (b.symbol.clone(), b.executions as f64, b.executions.to_string())).collect();
    bar_chart(h, "chart-hot", "Entries of the hottest blocks", &bars);
    h.push_str(
        "<table><tr><th>#</th><th>guest address</th><th>symbol</th><th class=n>entries</th><th class=n>share</th>\
         <th class=n>guest insns</th><th class=n>host insns</th><th class=n>host/guest</th><th class=n>host bytes</th>\
         <th>exit</th><th>helpers</th></tr>",
    );
    for (i, b) in hot.iter().enumerate() {
        let _ = write!(
            h,
            "<tr><td>{}</td><td><code>{:#x}</code></td><td><code>{}</code></td><td class=n>{}</td>\
             <td class=n>{:.1}%</td><td class=n>{}</td><td class=n>{}</td><td class=n>{:.1}</td><td class=n>{}</td>\
             <td>{}{}</td><td>{}</td></tr>",
            i + 1,
            b.guest_addr,
            esc(&b.symbol),
            b.executions,
            percent(b.guest_insns_executed() as f64, r.guest_insns_executed as f64),
            b.guest_insns,
            b.host_insns,
            b.host_insns_per_guest_insn(),
            b.host_bytes,
            b.exit.name(),
            if b.side_exits > 0 { format!(" (+{} side)", b.side_exits) } else { String::new() },
            esc(&helper_summary(&b.helpers))
        );
    }
    h.push_str("</table>");
    for (i, b) in hot.iter().enumerate() {
        let _ = write!(
            h,
            "<details class=\"block\"{}><summary><code>{:#x} {}</code>: {} entries, {} guest &rarr; {} host \
             instructions, exit: {}{}</summary><div class=\"code\"><div>guest ({})<pre class=\"guest\">{}</pre></div>\
             <div>host ({}, as emitted, before chain links)<pre class=\"host\">{}</pre></div></div></details>",
            if i < 3 { " open" } else { "" },
            b.guest_addr,
            esc(&b.symbol),
            b.executions,
            b.guest_insns,
            b.host_insns,
            b.exit.explain(),
            if b.translations > 1 { format!("; translated {} times", b.translations) } else { String::new() },
            r.run.guest_name,
            listing(&b.guest_asm),
            r.run.host_name,
            listing(&b.host_asm)
        );
    }
    h.push_str("</section>\n");
}

fn distributions_section(h: &mut String, r: &Report) {
    h.push_str("<section id=\"distributions\"><h2>Distributions</h2><div class=\"grid\"><div>");
    bucket_chart(h, "chart-sizes", "Block size (guest instructions), by entries", &r.block_sizes);
    bucket_table(h, "guest insns", &r.block_sizes);
    h.push_str("</div><div>");
    bucket_chart(h, "chart-expansion", "Host bytes per guest instruction, by entries", &r.expansion);
    bucket_table(h, "host bytes / guest insn", &r.expansion);
    h.push_str("</div><div>");
    let exits: Vec<(String, f64, String)> =
        r.exits.iter().map(|(k, _, e)| (k.name().to_string(), *e as f64, e.to_string())).collect();
    bar_chart(h, "chart-exits", "How blocks end, by entries", &exits);
    let s = &r.stats;
    h.push_str("<table>");
    let mut row = |k: &str, v: String| {
        let _ = write!(h, "<tr><th>{k}</th><td class=n>{v}</td></tr>");
    };
    row("dispatcher lookups (block map)", s.lookups.to_string());
    row(
        "lookup hits",
        format!("{} ({:.1}%)", s.lookup_hits, percent(s.lookup_hits as f64, s.lookups as f64)),
    );
    row("chain links made", s.chain_links.to_string());
    row(
        "entries not from the dispatcher (chains, jump table)",
        format!(
            "{:.1}%",
            percent(r.executions.saturating_sub(s.dispatcher_entries) as f64, r.executions as f64)
        ),
    );
    row("code cache flushes", s.flushes.to_string());
    row("range invalidations (blocks)", format!("{} ({})", s.range_invalidations, s.blocks_invalidated));
    h.push_str("</table></div><div>");
    let syscalls: Vec<(String, f64, String)> = r
        .syscalls
        .iter()
        .take(15)
        .map(|(n, c, t)| (n.clone(), *c as f64, format!("{c} ({:.3} ms)", t.as_secs_f64() * 1e3)))
        .collect();
    if syscalls.is_empty() {
        h.push_str("<p>No system calls.</p>");
    } else {
        bar_chart(h, "chart-syscalls", "System calls by count (time in the syscall layer)", &syscalls);
    }
    h.push_str("</div></div>");
    classes_table(h, r);
    h.push_str("</section>\n");
}

/// Expansion per guest instruction class: a chart of executed host instructions per executed
/// guest instruction, and the table behind it.
fn classes_table(h: &mut String, r: &Report) {
    if r.by_class.is_empty() {
        return;
    }
    let rows: Vec<(String, f64, String)> = r
        .by_class
        .iter()
        .map(|c| {
            let v = c.host_insns_per_executed_insn();
            (c.class.to_string(), v, format!("{v:.1}"))
        })
        .collect();
    bar_chart(h, "chart-classes", "Host instructions per guest instruction, by class, as executed", &rows);
    h.push_str(
        "<table><tr><th>class</th><th>guest insns translated</th><th>host bytes / insn</th>\
         <th>host insns / insn</th><th>guest insns executed</th><th>host insns / insn, executed</th>\
         <th>share of host insns executed</th></tr>",
    );
    let total: u64 = r.by_class.iter().map(|c| c.host_insns_executed).sum();
    for c in &r.by_class {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=n>{}</td><td class=n>{:.1}</td><td class=n>{:.1}</td>\
             <td class=n>{}</td><td class=n>{:.1}</td><td class=n>{:.1}%</td></tr>",
            esc(c.class),
            c.guest_insns,
            c.host_bytes_per_insn(),
            c.host_insns_per_insn(),
            c.guest_insns_executed,
            c.host_insns_per_executed_insn(),
            percent(c.host_insns_executed as f64, total as f64)
        );
    }
    h.push_str(
        "</table><p class=\"sub\">Each guest instruction's host code runs from where the backend \
         started it to where the next one starts; the counter, frame and exit code of a block \
         are \u{201c}block entry and exits\u{201d} (its guest instructions column counts blocks).</p>",
    );
}

fn counting_section(h: &mut String, r: &Report) {
    let per_entry = r.counting_insns as f64 / r.executions.max(1) as f64;
    let _ = writeln!(
        h,
        "<section id=\"counting\"><h2>How this was counted</h2><p>Each translated block starts with an \
         increment of its own 64-bit counter ({per_entry:.1} host instructions per entry on this host: {}), compiled only \
         because <code>--report</code> was given; a normal run compiles none. Every entry counts, whether \
         from the dispatcher, a chained jump or the jump table. In this run the counters executed {} host \
         instructions. Times come from the dispatcher's clocks around translation and system calls; the rest \
         of the wall time is running translated code and the dispatcher. Host code is shown as emitted, \
         before chained exits were patched.</p></section>",
        if Isa::HOST == Isa::X86_64 {
            "<code>mov rax, imm64; inc qword [rax]</code>"
        } else {
            "address, load, add, store"
        },
        r.counting_insns
    );
}

/// Helper names with their number of calls: `a64_fmul_d ×3, a64_fsqrt_d`.
pub(super) fn helper_summary(helpers: &[&str]) -> String {
    let mut counted: Vec<(&str, usize)> = Vec::new();
    for h in helpers {
        match counted.iter_mut().find(|(n, _)| n == h) {
            Some((_, c)) => *c += 1,
            None => counted.push((h, 1)),
        }
    }
    let parts: Vec<String> =
        counted.iter().map(|&(n, c)| if c > 1 { format!("{n} ×{c}") } else { n.to_string() }).collect();
    parts.join(", ")
}

fn listing(lines: &[Line]) -> String {
    let mut s = String::new();
    for l in lines {
        let bytes: String = l.bytes.iter().map(|b| format!("{b:02x}")).collect();
        let _ = writeln!(s, "{:x}  {:<20} {}", l.addr, bytes, esc(&l.text));
    }
    s
}

fn bucket_chart(h: &mut String, id: &str, title: &str, buckets: &[Bucket]) {
    let bars: Vec<(String, f64, String)> = buckets
        .iter()
        .map(|b| (b.label.to_string(), b.executions as f64, b.executions.to_string()))
        .collect();
    bar_chart(h, id, title, &bars);
}

fn bucket_table(h: &mut String, what: &str, buckets: &[Bucket]) {
    let _ = write!(h, "<table><tr><th>{what}</th><th class=n>blocks</th><th class=n>entries</th></tr>");
    for b in buckets {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
            esc(b.label),
            b.blocks,
            b.executions
        );
    }
    h.push_str("</table>");
}

/// A horizontal bar chart: one row per `(label, value, value text)`.
/// The hottest blocks by estimated time (entries times host instructions).
fn by_time_section(h: &mut String, r: &Report) {
    let _ = write!(
        h,
        "<section id=\"hot-by-time\"><h2>Hottest blocks by estimated time</h2><p class=\"sub\">Estimated time \
         = entries &times; host instructions of the block (its counter included); share of the {} host \
         instructions all blocks ran by this estimate. Helper calls, side exits and the dispatcher are not \
         in it.</p>",
        r.host_insns_executed
    );
    if r.by_time.is_empty() {
        h.push_str("<p>No block ran.</p></section>\n");
        return;
    }
    let bars: Vec<(String, f64, String)> = r
        .by_time
        .iter()
        .map(|&i| {
            let b = &r.blocks[i];
            let share = percent(b.host_insns_executed() as f64, r.host_insns_executed as f64);
            (b.symbol.clone(), b.host_insns_executed() as f64, format!("{share:.1}%"))
        })
        .collect();
    bar_chart(h, "chart-hot-time", "Estimated time of the hottest blocks", &bars);
    h.push_str(
        "<table><tr><th>#</th><th>guest address</th><th>symbol</th><th class=n>entries</th>\
         <th class=n>host insns</th><th class=n>est. host insns run</th><th class=n>share</th>\
         <th class=n>rank by entries</th><th>helpers</th></tr>",
    );
    for (rank, &i) in r.by_time.iter().enumerate() {
        let b = &r.blocks[i];
        let _ = write!(
            h,
            "<tr><td>{}</td><td><code>{:#x}</code></td><td><code>{}</code></td><td class=n>{}</td>\
             <td class=n>{}</td><td class=n>{}</td><td class=n>{:.1}%</td><td class=n>{}</td><td>{}</td></tr>",
            rank + 1,
            b.guest_addr,
            esc(&b.symbol),
            b.executions,
            b.host_insns,
            b.host_insns_executed(),
            percent(b.host_insns_executed() as f64, r.host_insns_executed as f64),
            i + 1,
            esc(&helper_summary(&b.helpers))
        );
    }
    h.push_str("</table></section>\n");
}

fn bar_chart(h: &mut String, id: &str, title: &str, rows: &[(String, f64, String)]) {
    const LABEL_W: f64 = 190.0;
    const BAR_W: f64 = 300.0;
    const ROW_H: f64 = 18.0;
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    let height = 24.0 + ROW_H * rows.len() as f64;
    let _ = write!(
        h,
        "<svg class=\"chart\" id=\"{id}\" width=\"{}\" height=\"{height}\" role=\"img\" aria-label=\"{}\">\
         <text x=\"0\" y=\"14\" font-weight=\"600\">{}</text>",
        LABEL_W + BAR_W + 150.0,
        esc(title),
        esc(title)
    );
    for (i, (label, value, text)) in rows.iter().enumerate() {
        let y = 22.0 + ROW_H * i as f64;
        let w = if max > 0.0 && *value > 0.0 { (BAR_W * value / max).max(1.0) } else { 0.0 };
        let short: String = if label.chars().count() > 28 {
            label.chars().take(27).chain(std::iter::once('…')).collect()
        } else {
            label.clone()
        };
        let _ = write!(
            h,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect class=\"bar\" x=\"{LABEL_W}\" y=\"{y}\" \
             width=\"{w:.1}\" height=\"{}\" fill=\"{}\"><title>{}: {}</title></rect>\
             <text x=\"{:.1}\" y=\"{}\">{}</text>",
            LABEL_W - 6.0,
            y + 12.0,
            esc(&short),
            ROW_H - 4.0,
            COLORS[0],
            esc(label),
            esc(text),
            LABEL_W + w + 4.0,
            y + 12.0,
            esc(text)
        );
    }
    h.push_str("</svg>");
}

/// One bar split into `parts`, with a legend.
fn stacked_bar(h: &mut String, id: &str, title: &str, parts: &[(&str, Duration)]) {
    const WIDTH: f64 = 640.0;
    let total: f64 = parts.iter().map(|p| p.1.as_secs_f64()).sum();
    let _ = write!(
        h,
        "<svg class=\"chart\" id=\"{id}\" width=\"{}\" height=\"76\" role=\"img\" aria-label=\"{}\">\
         <text x=\"0\" y=\"14\" font-weight=\"600\">{}</text>",
        WIDTH + 20.0,
        esc(title),
        esc(title)
    );
    let mut x = 0.0;
    for (i, (name, d)) in parts.iter().enumerate() {
        let w = if total > 0.0 { WIDTH * d.as_secs_f64() / total } else { 0.0 };
        let color = COLORS[i % COLORS.len()];
        let _ = write!(
            h,
            "<rect class=\"bar\" x=\"{x:.1}\" y=\"22\" width=\"{w:.1}\" height=\"22\" fill=\"{color}\">\
             <title>{name}: {}</title></rect><rect x=\"{}\" y=\"54\" width=\"10\" height=\"10\" fill=\"{color}\"/>\
             <text x=\"{}\" y=\"63\">{name} {:.1}%</text>",
            secs(*d),
            160.0 * i as f64,
            160.0 * i as f64 + 14.0,
            percent(d.as_secs_f64(), total)
        );
        x += w;
    }
    h.push_str("</svg>");
}

fn secs(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn share(d: Duration, whole: Duration) -> String {
    format!("{} ({:.1}%)", secs(d), percent(d.as_secs_f64(), whole.as_secs_f64()))
}

/// Escapes text for HTML content and attribute values.
pub(super) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
