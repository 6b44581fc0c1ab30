#!/usr/bin/env python3
"""The benchmark harness behind perf/bench.sh (which builds xlate and the programs first).

Runs each workload (a real program built for both ISAs from one source, see perf/setup.sh)
five ways, round-robin, one run of each per round:

  nat86  the x86-64 build, natively              (the reference for the x86-64 columns)
  xl86   the x86-64 build under xlate            (same-ISA pipeline)
  qm86   the x86-64 build under qemu-x86_64-static
  qm64   the AArch64 build under qemu-aarch64-static (the reference for the AArch64 columns)
  xl64   the AArch64 build under xlate

Every run's stdout is compared byte for byte with the reference run's; a wrong or failed run
is reported as such and never as a time. The figure per run is the CPU time of the process
tree (user + system, from wait4's rusage), because this 2-core machine is shared with other
builders and wall time there measures the queue for the CPU; the wall times are reported too.
The table gives, per workload, the median over rounds of each run's ratio to the native
x86-64 run of the same round, and of xlate's ratio to qemu on the same binary; the last row
is the geometric mean over the workloads.

Environment: PERF_RUNS (rounds, default 3), PERF_QUICK=1 (small inputs, one round unless
PERF_RUNS says otherwise), PERF_ONLY (comma-separated workload names), PERF_OUT (markdown
file, default target/perf/results.md), XLATE (the xlate binary).

`bench.py --counts` instead gives deterministic figures for selected workloads (small inputs):
callgrind's total instruction count (Ir) of a whole run under xlate and under qemu, each run
twice to show how repeatable it is, plus xlate's --stats=json split of its time and its host
bytes per guest instruction.
"""

import json
import math
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(ROOT, "target", "perf")
BIN = {"x86_64": os.path.join(CACHE, "bin", "x86_64"), "aarch64": os.path.join(CACHE, "bin", "aarch64")}
# --counts always uses the quick inputs: callgrind runs some 50 times slower than native.
QUICK = os.environ.get("PERF_QUICK", "") not in ("", "0") or "--counts" in sys.argv
RUNS = int(os.environ.get("PERF_RUNS", "1" if QUICK else "3"))
XLATE = os.environ.get("XLATE", os.path.join(ROOT, "target", "release", "xlate"))
OUT = os.environ.get("PERF_OUT", os.path.join(CACHE, "results.md"))
SIZE = "small" if QUICK else "full"
TXT = os.path.join(CACHE, "input", f"text-{SIZE}.txt")
GZ = TXT + ".gz"

# name -> (what it exercises, program, arguments at full size, arguments in the quick mode).
# None of these programs creates a thread (xlate does not run guest threads yet).
BASH_LOOP = "i=0; s=0; while [ $i -lt {n} ]; do s=$(( (s + i * i) % 1000003 )); i=$((i + 1)); done; echo $s"
AWK_PROG = '{ s += $2 * 1.5; n[$1]++; if ($4 ~ /^(echo|kilo)-/) k += $5 } END { printf "%.2f %d %d\\n", s, n["alpha"], k }'
SED_PROG = r"s/\([a-z]*\) \([0-9]*\)\.\([0-9]*\)/\3.\2 \1/;s/o/0/g"
WORKLOADS = {
    "sha256sum": ("busybox: hashing", "busybox", ["sha256sum"] + [TXT] * 4, ["sha256sum", TXT]),
    "gzip": ("busybox: compression", "busybox", ["gzip", "-c", "-6", TXT], ["gzip", "-c", "-6", TXT]),
    "gunzip": ("busybox: decompression", "busybox", ["gunzip", "-c"] + [GZ] * 8, ["gunzip", "-c", GZ]),
    "sort": ("busybox: sorting", "busybox", ["sort", "-k3,3", "-k5,5n", TXT], ["sort", "-k3,3", "-k5,5n", TXT]),
    "awk": ("busybox: awk, floating point", "busybox", ["awk", AWK_PROG, TXT], ["awk", AWK_PROG, TXT]),
    "sed": ("busybox: regex substitution", "busybox", ["sed", "-e", SED_PROG, TXT], ["sed", "-e", SED_PROG, TXT]),
    "grep": ("busybox: regex search", "busybox", ["grep", "-c", "-E", r"(alpha|kilo) [0-9]+\.[0-9]+ [a-z]+-[0-9]*7 ", TXT] , ["grep", "-c", "-E", r"(alpha|kilo) [0-9]+\.[0-9]+ [a-z]+-[0-9]*7 ", TXT]),
    "bash-loop": ("bash: shell arithmetic loop, no forks", "bash-static", ["-c", BASH_LOOP.format(n=50000)], ["-c", BASH_LOOP.format(n=3000)]),
    "lua": ("Lua 5.4 interpreter: recursion, sort, strings, float", "luarun", [os.path.join(ROOT, "perf", "src", "bench.lua"), "2"], [os.path.join(ROOT, "perf", "src", "bench.lua"), "0"]),
    "sqlite": ("SQLite in memory: inserts, index, joins", "sqlbench", ["60000"], ["3000"]),
    "rust-sha2": ("Rust sha2 crate (portable)", "rustbench", ["sha", "32"], ["sha", "2"]),
    "rust-deflate": ("Rust miniz_oxide deflate+inflate", "rustbench", ["deflate", "2"], ["deflate", "1"]),
    "rust-regex": ("Rust regex crate", "rustbench", ["regex", "200000"], ["regex", "10000"]),
}
# Which program each setup part provides (perf/setup.sh PART).
PART_OF = {"busybox": "busybox", "bash-static": "bash", "luarun": "lua", "sqlbench": "sqlite", "rustbench": "rust"}

MODES = ["nat86", "xl86", "qm86", "qm64", "xl64"]
MODE_TITLE = {
    "nat86": "x86-64 native",
    "xl86": "x86-64 xlate",
    "qm86": "x86-64 qemu",
    "qm64": "AArch64 qemu",
    "xl64": "AArch64 xlate",
}


def selected():
    only = [w for w in os.environ.get("PERF_ONLY", "").split(",") if w]
    for w in only:
        if w not in WORKLOADS:
            sys.exit(f"perf/bench: unknown workload {w} (known: {', '.join(WORKLOADS)})")
    return only or list(WORKLOADS)


def command(mode, workload):
    _, prog, full, quick = WORKLOADS[workload]
    args = quick if QUICK else full
    isa = "aarch64" if mode.endswith("64") else "x86_64"
    exe = os.path.join(BIN[isa], prog)
    prefix = {
        "nat86": [],
        "xl86": [XLATE],
        "qm86": ["qemu-x86_64-static"],
        "qm64": ["qemu-aarch64-static"],
        "xl64": [XLATE],
    }[mode]
    return prefix + [exe] + args


def run(cmd, out_path, stderr=subprocess.DEVNULL):
    """Runs cmd with stdout to out_path; returns (exit status, wall s, cpu s of the tree)."""
    with open(out_path, "wb") as out:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=out, stderr=stderr, stdin=subprocess.DEVNULL)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, wall, ru.ru_utime + ru.ru_stime


def same_file(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(1 << 20), fb.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def fmt(x, suffix="x"):
    return "-" if x is None else f"{x:.2f}{suffix}"


def bench():
    names = selected()
    tmp = tempfile.mkdtemp(prefix="xlate-perf-")
    ref = {}
    agree = {}
    for w in names:  # reference outputs (untimed; also warms the page cache)
        for mode in ("nat86", "qm64"):
            path = os.path.join(tmp, f"{w}.{mode}.ref")
            rc, _, _ = run(command(mode, w), path)
            if rc != 0:
                sys.exit(f"perf/bench: reference run {mode} of {w} failed (exit {rc}): {shlex.join(command(mode, w))}")
            ref[(w, mode)] = path
        agree[w] = same_file(ref[(w, "nat86")], ref[(w, "qm64")])
    cpu = {(w, m): [] for w in names for m in MODES}
    wall = {(w, m): [] for w in names for m in MODES}
    bad = {}
    load_before = os.getloadavg()
    t_start = time.time()
    for r in range(RUNS):
        for i, w in enumerate(names):
            # rotate the order of the five ways each round so that none always goes first
            k = (r + i) % len(MODES)
            for mode in MODES[k:] + MODES[:k]:
                if (w, mode) in bad:
                    continue
                out = os.path.join(tmp, "out")
                rc, wl, c = run(command(mode, w), out)
                reference = ref[(w, "qm64" if mode.endswith("64") else "nat86")]
                if rc != 0:
                    bad[(w, mode)] = f"fail ({rc})"
                elif not same_file(out, reference):
                    bad[(w, mode)] = "wrong"
                else:
                    cpu[(w, mode)].append(c)
                    wall[(w, mode)].append(wl)
        print(f"perf/bench: round {r + 1}/{RUNS} done", file=sys.stderr)
    load_after = os.getloadavg()
    shutil.rmtree(tmp, ignore_errors=True)

    def ratios(w, a, b, table):
        if (w, a) in bad or (w, b) in bad:
            return None
        xs = [x / y for x, y in zip(table[(w, a)], table[(w, b)]) if y > 0]
        return statistics.median(xs) if xs else None

    cols = [("xl86", "nat86"), ("qm86", "nat86"), ("qm64", "nat86"), ("xl64", "nat86"), ("xl86", "qm86"), ("xl64", "qm64")]
    heads = ["x86-64 xlate / native", "x86-64 qemu / native", "AArch64 qemu / native x86-64",
             "AArch64 xlate / native x86-64", "x86-64 xlate / qemu", "AArch64 xlate / qemu"]
    lines = []
    lines.append(f"Medians over {RUNS} interleaved round(s) of per-round CPU-time ratios (user+system; "
                 f"{'quick inputs' if QUICK else 'full inputs'}); geomean over workloads in the last row. "
                 "Below 1.00x in the two `/ qemu` columns: xlate is faster.")
    lines.append("")
    lines.append("| workload | native x86-64 s | " + " | ".join(heads) + " | same output on both ISAs |")
    lines.append("| --- | ---: | " + " | ".join("---:" for _ in heads) + " | --- |")
    per_col = [[] for _ in cols]
    for w in names:
        native = statistics.median(cpu[(w, "nat86")]) if cpu[(w, "nat86")] else None
        cells = []
        for j, (a, b) in enumerate(cols):
            x = ratios(w, a, b, cpu)
            if x is None:
                cells.append(bad.get((w, a)) or bad.get((w, b)) or "-")
            else:
                per_col[j].append(x)
                cells.append(fmt(x))
        lines.append(f"| {w} | {'-' if native is None else f'{native:.3f}'} | " + " | ".join(cells) + f" | {'yes' if agree[w] else 'no'} |")
    geo = []
    for j in range(len(cols)):
        g = geomean(per_col[j])
        n = len(per_col[j])
        geo.append(fmt(g) + ("" if n == len(names) else f" ({n} of {len(names)})"))
    lines.append("| **geomean** | | " + " | ".join(geo) + " | |")
    lines.append("")
    wall_geo = []
    for a, b in cols[:4]:
        xs = [ratios(w, a, b, wall) for w in names]
        wall_geo.append(fmt(geomean([x for x in xs if x is not None])))
    lines.append("Wall-time geomeans over native x86-64 (same runs; inflated by the other processes on a "
                 "shared machine): " + ", ".join(f"{MODE_TITLE[a]} {g}" for (a, _), g in zip(cols[:4], wall_geo)) + ".")
    lines.append("")
    lines.append(f"Load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, after "
                 f"{load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f} ({os.cpu_count()} CPUs); "
                 f"{time.time() - t_start:.0f} s for the rounds.")
    if bad:
        lines.append("")
        lines.append("Runs that failed or printed something else than the reference (native x86-64, or "
                     "qemu-aarch64 for the AArch64 build): " + ", ".join(f"{w} {m}: {v}" for (w, m), v in sorted(bad.items())) + ".")
    lines.append("")
    lines.append("| workload | what | program |")
    lines.append("| --- | --- | --- |")
    for w in names:
        what, prog, _, _ = WORKLOADS[w]
        lines.append(f"| {w} | {what} | `{prog}` |")
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(OUT) or ".", exist_ok=True)
    with open(OUT, "w") as f:
        f.write(text)
    sys.stdout.write(text)
    # A wrong output is a bug in whatever produced it: the harness says so by its exit status.
    return 1 if any(v == "wrong" for v in bad.values()) else 0


def callgrind_ir(cmd, tmp):
    """Callgrind's total Ir for a whole run of cmd (children not traced)."""
    out = os.path.join(tmp, "cg.out")
    log = os.path.join(tmp, "cg.log")
    full = ["valgrind", "--tool=callgrind", "--smc-check=all", f"--callgrind-out-file={out}",
            f"--log-file={log}"] + cmd
    rc = subprocess.run(full, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    try:
        with open(log) as f:
            m = re.search(r"Collected\s*:\s*(\d+)", f.read())
    except OSError:
        m = None
    if rc != 0 or not m:
        # Say why: a figure left out silently reads as a harness bug.
        try:
            with open(log) as f:
                tail = [l.rstrip() for l in f.readlines() if not l.startswith("==")][-3:]
        except OSError:
            tail = []
        print(f"perf/counts: {' '.join(cmd[:2])}... failed under callgrind (exit {rc}): "
              + (" | ".join(tail) or "no log"), file=sys.stderr)
        return None
    return int(m.group(1))


def stats_json(cmd, tmp):
    err = os.path.join(tmp, "stats.err")
    with open(err, "wb") as e:
        run(cmd[:1] + ["--stats=json"] + cmd[1:], os.path.join(tmp, "stats.out"), stderr=e)
    with open(err) as f:
        for line in f:
            if line.startswith("{") and '"guest_insns"' in line:
                return json.loads(line)
    return None


def counts():
    names = [w for w in os.environ.get("PERF_ONLY", "sha256sum,sort,lua,sqlite,rust-sha2").split(",") if w]
    tmp = tempfile.mkdtemp(prefix="xlate-perf-counts-")
    lines = ["Callgrind total instruction counts (Ir, millions) of whole runs on the quick inputs (so "
             "start-up and translation weigh more than in the timed runs), each run twice (repeatability: the larger relative difference of the two runs); and xlate's "
             "`--stats=json`: share of its time spent translating and host code bytes per guest "
             "instruction. x86-64 xlate / native is the host instructions executed per guest instruction, "
             "translator included.", "",
             "| workload | native x86-64 Ir | x86-64 xlate Ir | xlate/native | x86-64 qemu Ir | xlate/qemu | AArch64 xlate Ir | "
             "AArch64 qemu Ir | xlate/qemu | repeatability | x86-64 translating | AArch64 translating | "
             "host bytes/guest insn x86-64 | AArch64 |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for w in names:
        irs = {}
        spread = 0.0
        for mode in ("nat86", "xl86", "qm86", "xl64", "qm64"):
            a = callgrind_ir(command(mode, w), tmp)
            b = callgrind_ir(command(mode, w), tmp)
            irs[mode] = a
            if a and b:
                spread = max(spread, abs(a - b) / a)
            print(f"perf/counts: {w} {mode}: {a} {b}", file=sys.stderr)
        st = {m: stats_json(command(m, w), tmp) for m in ("xl86", "xl64")}

        def ir(m):
            return "-" if irs[m] is None else f"{irs[m] / 1e6:.1f}"

        def rel(a, b):
            return "-" if not irs[a] or not irs[b] else f"{irs[a] / irs[b]:.2f}x"

        def share(m):
            s = st[m]
            return "-" if not s or not s["time_total_s"] else f"{100 * s['time_translating_s'] / s['time_total_s']:.0f}%"

        def density(m):
            s = st[m]
            return "-" if not s or not s["guest_insns"] else f"{s['host_bytes'] / s['guest_insns']:.1f}"

        lines.append(f"| {w} | {ir('nat86')} | {ir('xl86')} | {rel('xl86', 'nat86')} | {ir('qm86')} | {rel('xl86', 'qm86')} | {ir('xl64')} | {ir('qm64')} | "
                     f"{rel('xl64', 'qm64')} | {100 * spread:.3f}% | {share('xl86')} | {share('xl64')} | "
                     f"{density('xl86')} | {density('xl64')} |")
    shutil.rmtree(tmp, ignore_errors=True)
    text = "\n".join(lines) + "\n"
    out = os.environ.get("PERF_OUT", os.path.join(CACHE, "counts.md"))
    with open(out, "w") as f:
        f.write(text)
    sys.stdout.write(text)
    return 0


def main():
    if "--parts" in sys.argv:  # the setup parts that the selected workloads need
        print(" ".join(sorted({PART_OF[WORKLOADS[w][1]] for w in selected()} | {"inputs"})))
        return 0
    return counts() if "--counts" in sys.argv else bench()


if __name__ == "__main__":
    sys.exit(main())
