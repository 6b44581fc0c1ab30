#!/usr/bin/env bash
# Times the CPU-heavy guest programs: the x86-64 build natively and under xlate, the AArch64
# build under qemu-aarch64-static and under xlate; several runs each; prints the median wall
# time of each and the ratios side by side. Every run's stdout is checked against the
# reference run (native, or qemu for AArch64): a wrong answer shows as "wrong", a failed run
# as "fail", never as a time.
#
# Usage: perf/run.sh [RUNS]            (default 5 runs per cell)
#   PERF_SCALE=small perf/run.sh 1     quick smoke run with small inputs
#   XLATE=path/to/xlate perf/run.sh    time another xlate build (default: cargo build --release)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs="${1:-5}"
scale="${PERF_SCALE:-full}"

# program and arguments per benchmark
if [ "$scale" = small ]; then
  benches=("digest 4" "nbody 100000" "sortints 200000")
else
  benches=("digest 64" "nbody 5000000" "sortints 3000000")
fi

bash guest-bins/build.sh x86_64-glibc aarch64-glibc >/dev/null
if [ -z "${XLATE:-}" ]; then
  cargo build --release --quiet
  XLATE=target/release/xlate
fi
qemu="$(command -v qemu-aarch64-static || true)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# median_time REFERENCE_OUTPUT COMMAND... -> prints the median seconds, "fail" or "wrong"
median_time() {
  local ref="$1"; shift
  local times=() i t0 t1
  for ((i = 0; i < runs; i++)); do
    t0=$(date +%s%N)
    if ! "$@" >"$tmp/out" 2>/dev/null; then echo fail; return; fi
    t1=$(date +%s%N)
    if ! cmp -s "$tmp/out" "$ref"; then echo wrong; return; fi
    times+=($(( (t1 - t0) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n |
    awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f\n", m / 1000 }'
}

ratio() {
  case "$1$2" in
    *fail* | *wrong* | *-*) echo "-" ;;
    *) awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx\n", a / b; else print "-" }' ;;
  esac
}

echo "xlate perf: median wall seconds of $runs runs ($(uname -m) host, $(nproc) cores, scale $scale)"
printf '%-18s | %9s %9s %7s | %9s %9s %7s %9s\n' "benchmark" "x86 nat" "x86 xlate" "ratio" \
  "a64 qemu" "a64 xlate" "ratio" "xl/qemu"
printf '%s\n' "-------------------+-----------------------------+----------------------------------------"
for b in "${benches[@]}"; do
  set -- $b
  prog="$1"; shift
  x86="guest-bins/build/x86_64-glibc/$prog"
  a64="guest-bins/build/aarch64-glibc/$prog"
  native=- xl86=- qm=- xl64=-
  if [ "$(uname -m)" = x86_64 ]; then
    "$x86" "$@" >"$tmp/ref86"
    native=$(median_time "$tmp/ref86" "$x86" "$@")
  fi
  if [ -f "$tmp/ref86" ]; then xl86=$(median_time "$tmp/ref86" "$XLATE" "$x86" "$@"); fi
  if [ -n "$qemu" ]; then
    "$qemu" "$a64" "$@" >"$tmp/ref64"
    qm=$(median_time "$tmp/ref64" "$qemu" "$a64" "$@")
    xl64=$(median_time "$tmp/ref64" "$XLATE" "$a64" "$@")
  fi
  printf '%-18s | %9s %9s %7s | %9s %9s %7s %9s\n' "$prog $*" "$native" "$xl86" \
    "$(ratio "$xl86" "$native")" "$qm" "$xl64" "$(ratio "$xl64" "$native")" "$(ratio "$xl64" "$qm")"
done
echo "ratio: xlate time / native x86-64 time; xl/qemu: xlate time / qemu time for the AArch64 build (below 1.00x: xlate is faster)"
