#!/usr/bin/env bash
# Exact AArch64 instruction counts for x86-64 programs on an AArch64 host, measured here on
# x86-64: the AArch64 build of xlate (and Box64, the peer) runs under qemu-aarch64-static, whose
# `-d nochain,exec,in_asm` log, read through a FIFO by perf/insn-count, gives every AArch64
# instruction executed (translator, helpers and translated code, split by the symbol qemu
# names). The x86-64 instructions of the same run come the same way from qemu-x86_64-static.
# Each workload runs at two sizes: the slope between them is the steady-state cost per x86-64
# instruction (start-up and translation drop out), and what remains at the small size is the
# fixed cost. The environment is fixed and ASLR off (setarch -R), so counts repeat to ~1e-5.
#
# Usage: perf/count.sh [WORKLOAD...]      (default: all; see WORKLOADS below)
#   BOX64=path/to/box64-aarch64           the peer (default: ../shared/anchors/box64/box64-aarch64
#                                         if present; BOX64=none skips it)
#   COUNT_OUT=file.md                     where the table goes (default: target/perf-count/table.md)
#   XLATE_ENV="XLATE_EXACT_ADDRESSES=1"   more environment for the xlate runs (an option to measure)
#   XLATE=path/to/aarch64/xlate           count this AArch64 build instead of building the tree's
#                                         (a "before" binary, kept while the tree moves on)
#   COUNT_BY_SYMBOL=dir                   also write dir/WORKLOAD-ARG.txt per xlate run: AArch64
#                                         instructions and executions per symbol, largest first,
#                                         translated code per block (translated@HOST_ADDRESS)
# Writes the markdown table to COUNT_OUT and prints it.
#   XLATE_NO_CACHE=0                      let xlate use its persistent translation cache (off
#                                         here by default: the counts include translating)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
out_dir=target/perf-count
mkdir -p "$out_dir"
table="${COUNT_OUT:-$out_dir/table.md}"

# name | source | cc flags | libraries | small args | large args
WORKLOADS=(
  "sha256-scalar|perf/kernels/sha256.c|-O2 -fno-tree-vectorize -fno-tree-slp-vectorize||16|48"
  "sha256-O3|perf/kernels/sha256.c|-O3||16|48"
  "interp|perf/kernels/interp.c|-O2||20|60"
  "nbody|guest-bins/src/nbody.c|-O2|-lm|2000|6000"
)
selected=("$@")

box64="${BOX64:-}"
if [ -z "$box64" ] && [ -x ../shared/anchors/box64/box64-aarch64 ]; then
  box64="$(cd ../shared/anchors/box64 && pwd)/box64-aarch64"
fi
[ "$box64" = none ] && box64=""

need() { command -v "$1" >/dev/null || { echo "count.sh: $1 is missing (bash .ci/install-deps)" >&2; exit 1; }; }
need qemu-aarch64-static
need qemu-x86_64-static
need gcc

what=" and the AArch64 build of xlate"
[ -z "${XLATE:-}" ] || what=" (counting $XLATE)"
echo "count.sh: building insn-count$what" >&2
cargo build --release --quiet --manifest-path perf/insn-count/Cargo.toml
counter="$root/perf/insn-count/target/release/insn-count"
if [ -n "${XLATE:-}" ]; then
  xlate="$(cd "$(dirname "$XLATE")" && pwd)/$(basename "$XLATE")"
else
  RUSTC=/usr/bin/rustc CARGO_TARGET_DIR=target/cross cargo build --release --quiet --target aarch64-unknown-linux-gnu
  xlate="$root/target/cross/aarch64-unknown-linux-gnu/release/xlate"
fi
by_symbol="${COUNT_BY_SYMBOL:-}"
[ -z "$by_symbol" ] || mkdir -p "$by_symbol"

fifo="$out_dir/qemu.fifo"
rm -f "$fifo"
mkfifo "$fifo"
trap 'rm -f "$fifo"' EXIT

# Runs "$@" (a qemu command line without -d/-D) with its log into the counter; prints the
# counter's lines (CLASS COUNT). The program's stdout goes to $out_dir/stdout.
counted() {
  local classes=("${@:1:1}")
  shift
  "$counter" $classes "$fifo" >"$out_dir/counts" &
  local pid=$!
  env -i PATH=/usr/bin:/bin HOME=/nonexistent LANG=C $COUNT_ENV setarch -R "$@" >"$out_dir/stdout" 2>"$out_dir/stderr" || {
    echo "count.sh: run failed: $* ($(head -c 300 "$out_dir/stderr"))" >&2
    wait "$pid" || true
    return 1
  }
  wait "$pid"
  cat "$out_dir/counts"
}
get() { awk -v k="$1" '$1 == k { print $2 }'; }

# xlate's own symbols by role: helpers called from translated code; the rest of xlate
# (translator, dispatcher, syscall layer, libc) is `other`, reported as translator.
xlate_classes="--class helpers=helper,sse_int,sse_float,x87,simd,apfloat,unaligned,cas128,2ir2fp"
box64_env="BOX64_NORCFILES=1 BOX64_SYSINFO_CACHED=1 BOX64_SYSINFO_NCPU=1 BOX64_SYSINFO_CPUNAME=generic BOX64_SYSINFO_FREQUENCY=2000000000 BOX64_LOG=0"
box64_exact="BOX64_DYNAREC_FASTNAN=0 BOX64_DYNAREC_FASTROUND=0"

{
  echo "| workload | x86 insns (small / large) | xlate: per x86 insn | translated | helpers | translator | xlate fixed (M) | Box64 per x86 insn | Box64 exact-FP | xlate / Box64 | Box64 fixed (M) |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
} >"$table"

for w in "${WORKLOADS[@]}"; do
  IFS='|' read -r name src flags libs small large <<<"$w"
  if [ ${#selected[@]} -gt 0 ] && [[ " ${selected[*]} " != *" $name "* ]]; then continue; fi
  exe="$root/$out_dir/$name"
  # shellcheck disable=SC2086
  gcc -static $flags -o "$exe" "$src" $libs
  declare -A c=()
  for size in small large; do
    arg=$small; [ $size = large ] && arg=$large
    want="$("$exe" "$arg")"
    COUNT_ENV="" counted "" qemu-x86_64-static -d nochain,exec,in_asm -D "$fifo" "$exe" "$arg" >"$out_dir/c"
    c[g_$size]=$(get total <"$out_dir/c")
    classes="$xlate_classes"
    [ -z "$by_symbol" ] || classes="$classes --by-symbol $by_symbol/$name-$arg.txt"
    COUNT_ENV="XLATE_NO_CACHE=${XLATE_NO_CACHE-1} ${XLATE_ENV:-}" counted "$classes" qemu-aarch64-static -d nochain,exec,in_asm -D "$fifo" "$xlate" "$exe" "$arg" >"$out_dir/c"
    [ "$(cat "$out_dir/stdout")" = "$want" ] || { echo "count.sh: $name: xlate printed something else" >&2; exit 1; }
    for k in total translated helpers other; do c[x_${k}_$size]=$(get $k <"$out_dir/c"); done
    if [ -n "$box64" ]; then
      for mode in default exact; do
        envs="$box64_env"; [ $mode = exact ] && envs="$envs $box64_exact"
        COUNT_ENV="$envs" counted "" qemu-aarch64-static -L /usr/aarch64-linux-gnu -d nochain,exec,in_asm -D "$fifo" "$box64" "$exe" "$arg" >"$out_dir/c"
        [ "$(cat "$out_dir/stdout")" = "$want" ] || { echo "count.sh: $name: Box64 printed something else" >&2; exit 1; }
        c[b_${mode}_$size]=$(get total <"$out_dir/c")
      done
    fi
    echo "count.sh: $name $arg: x86 ${c[g_$size]}, xlate ${c[x_total_$size]}${box64:+, Box64 ${c[b_default_$size]} / exact ${c[b_exact_$size]}}" >&2
  done
  slope() { awk -v a="$1" -v b="$2" -v ga="${c[g_small]}" -v gb="${c[g_large]}" 'BEGIN { s = (b - a) / (gb - ga); if (s < 0.005 && s > -0.005) s = 0; printf "%.2f", s }'; }
  fixed() { awk -v a="$1" -v b="$2" -v ga="${c[g_small]}" -v gb="${c[g_large]}" 'BEGIN { s = (b - a) / (gb - ga); printf "%.1f", (a - s * ga) / 1e6 }'; }
  xs=$(slope "${c[x_total_small]}" "${c[x_total_large]}")
  row="| $name | ${c[g_small]} / ${c[g_large]} | $xs | $(slope "${c[x_translated_small]}" "${c[x_translated_large]}") | $(slope "${c[x_helpers_small]}" "${c[x_helpers_large]}") | $(slope "${c[x_other_small]}" "${c[x_other_large]}") | $(fixed "${c[x_total_small]}" "${c[x_total_large]}")"
  if [ -n "$box64" ]; then
    bs=$(slope "${c[b_default_small]}" "${c[b_default_large]}")
    be=$(slope "${c[b_exact_small]}" "${c[b_exact_large]}")
    ratio=$(awk -v x="$xs" -v b="$be" 'BEGIN { printf "%.1fx", x / b }')
    row="$row | $bs | $be | $ratio | $(fixed "${c[b_default_small]}" "${c[b_default_large]}") |"
  else
    row="$row | - | - | - | - |"
  fi
  echo "$row" >>"$table"
  unset c
done
cat "$table"
