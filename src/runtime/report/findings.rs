//! The report's findings: a sentence for each figure that is out of the ordinary, most
//! important first. Each rule names its threshold; a figure below every threshold gives no
//! sentence, and a run with none says so.

use super::{percent, HotBlock, Report};

/// One block running more than this share of the guest's instructions is worth a look.
const ONE_BLOCK_SHARE: f64 = 20.0;
/// The three hottest blocks together.
const TOP3_SHARE: f64 = 50.0;
/// Blocks that call helpers (floating point, SIMD, rare instructions).
const HELPER_SHARE: f64 = 20.0;
/// Translating, or syscalls, as a share of the wall time.
const TRANSLATE_SHARE: f64 = 20.0;
const SYSCALL_SHARE: f64 = 30.0;
/// Block entries from the dispatcher (not through a chain link or the jump table).
const DISPATCH_SHARE: f64 = 5.0;
/// Host instructions per guest instruction of a hot block (with > 5% of the instructions).
const EXPANSION: f64 = 6.0;
const EXPANSION_MIN_SHARE: f64 = 5.0;
/// Host instructions the counters added, relative to the block code they counted.
const COUNTING_SHARE: f64 = 10.0;

pub fn findings(r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    let total = r.guest_insns_executed as f64;
    let share = |b: &HotBlock| percent(b.guest_insns_executed() as f64, total);
    let wall = r.run.wall.as_secs_f64();

    if let Some(top) = r.blocks.first().filter(|b| share(b) > ONE_BLOCK_SHARE) {
        out.push(format!(
            "{:.0}% of the guest instructions ran in one block, {}: {} entries of {} instructions.",
            share(top),
            name(top),
            top.executions,
            top.guest_insns
        ));
    }
    let top3: f64 = r.blocks.iter().take(3).map(share).sum();
    if r.blocks.len() > 3 && top3 > TOP3_SHARE {
        let names: Vec<&str> = r.blocks.iter().take(3).map(|b| b.symbol.as_str()).collect();
        out.push(format!(
            "The 3 hottest blocks ran {top3:.0}% of the guest instructions ({}).",
            names.join(", ")
        ));
    }
    let helper_blocks: Vec<&HotBlock> = r.blocks.iter().filter(|b| !b.helpers.is_empty()).collect();
    let helper_share: f64 = helper_blocks.iter().map(|b| share(b)).sum();
    if helper_share > HELPER_SHARE {
        let mut names: Vec<&str> = helper_blocks.iter().flat_map(|b| b.helpers.iter().copied()).collect();
        names.sort_unstable();
        names.dedup();
        names.truncate(5);
        out.push(format!(
            "{helper_share:.0}% of the guest instructions ran in {} blocks that call helpers ({}): \
             each call leaves translated code for Rust.",
            helper_blocks.len(),
            names.join(", ")
        ));
    }
    let translating = percent(r.stats.translate_time.as_secs_f64(), wall);
    if translating > TRANSLATE_SHARE {
        let per_block = r.executions as f64 / r.stats.blocks_translated.max(1) as f64;
        out.push(format!(
            "Translating took {translating:.0}% of the run ({} blocks, each entered {per_block:.0} times on \
             average): a short run pays mostly for translation.",
            r.stats.blocks_translated
        ));
    }
    let syscalls = percent(r.stats.syscall_time.as_secs_f64(), wall);
    if syscalls > SYSCALL_SHARE {
        let top = r.syscalls.iter().max_by_key(|s| s.2).map(|s| s.0.as_str()).unwrap_or("-");
        out.push(format!("System calls took {syscalls:.0}% of the run, most of it in {top}."));
    }
    if r.stats.flushes > 0 {
        out.push(format!(
            "The code cache was flushed {} times: every block was translated again after each.",
            r.stats.flushes
        ));
    }
    if r.stats.range_invalidations > 0 {
        out.push(format!(
            "Guest code changed {} times ({} blocks dropped): self-modifying or reloaded code.",
            r.stats.range_invalidations, r.stats.blocks_invalidated
        ));
    }
    let dispatched = percent(r.stats.dispatcher_entries as f64, r.executions as f64);
    if dispatched > DISPATCH_SHARE {
        out.push(format!(
            "{dispatched:.0}% of block entries came from the dispatcher rather than a chained jump or \
             the jump table ({} returns to the dispatcher, {} system calls).",
            r.stats.dispatcher_entries, r.stats.syscalls
        ));
    }
    for b in r.blocks.iter().take(super::HOT_BLOCKS) {
        if share(b) > EXPANSION_MIN_SHARE && b.host_insns_per_guest_insn() > EXPANSION {
            out.push(format!(
                "{}, with {:.0}% of the guest instructions, became {:.1} host instructions per guest \
                 instruction.",
                name(b),
                share(b),
                b.host_insns_per_guest_insn()
            ));
        }
    }
    let block_insns: u64 = r.blocks.iter().map(|b| b.executions * u64::from(b.host_insns)).sum();
    let counting = percent(r.counting_insns as f64, block_insns as f64);
    if counting > COUNTING_SHARE {
        out.push(format!(
            "The execution counters are {counting:.0}% of the host instructions run in blocks (the blocks \
             are short): running times in this report are inflated by about that much."
        ));
    }
    out
}

/// A block for people: its symbol and address, or its address alone without symbols.
fn name(b: &HotBlock) -> String {
    if b.symbol.starts_with("0x") {
        b.symbol.clone()
    } else {
        format!("{} ({:#x})", b.symbol, b.guest_addr)
    }
}
