#!/usr/bin/env bash
# How much slower than native, and than qemu-user? Builds xlate (cargo build --release) and the
# real programs (perf/setup.sh, cached in target/perf/), then runs perf/bench.py: every workload
# natively, under xlate and under qemu-user, x86-64 and AArch64 builds, round-robin, outputs
# checked, a markdown table of median per-round ratios and geomeans (see perf/README.md).
#
# Usage: perf/bench.sh                     full inputs, PERF_RUNS rounds (default 3)
#        PERF_QUICK=1 perf/bench.sh        small inputs, one round (a smoke test)
#        PERF_ONLY=sort,lua perf/bench.sh  some workloads only
#        perf/bench.sh --counts            callgrind instruction counts and --stats figures
#        XLATE=path/to/xlate perf/bench.sh another build of xlate (then nothing is built)
# PERF_OUT names the markdown file (default target/perf/results.md, or counts.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# Every run translates (as before xlate had a persistent translation cache): the figures
# include translation. XLATE_NO_CACHE=0 measures runs that use the cache.
export XLATE_NO_CACHE="${XLATE_NO_CACHE-1}"
for t in qemu-x86_64-static qemu-aarch64-static python3; do
  command -v "$t" >/dev/null || { echo "perf/bench: $t is missing (bash .ci/install-deps)" >&2; exit 1; }
done
if [ "${1:-}" = --counts ] && ! command -v valgrind >/dev/null; then
  echo "perf/bench: --counts needs valgrind (apt-get install valgrind)" >&2
  exit 1
fi
if [ "$(uname -m)" != x86_64 ]; then
  echo "perf/bench: the harness compares against native x86-64 runs: run it on an x86-64 host" >&2
  exit 1
fi
if [ -z "${XLATE:-}" ] && [ "${1:-}" = --counts ]; then
  # Valgrind loads a PIE at 0x108000, where an xlate of more than about 3 MB of code and data
  # reaches 0x400000, the address static x86-64 guests are linked at, and xlate refuses to
  # load them over itself. This build puts xlate's image at 4 GiB: same code, other addresses.
  RUSTFLAGS="${RUSTFLAGS:-} -C link-arg=-Wl,--image-base=0x100000000" \
    CARGO_TARGET_DIR=target/counts cargo build --release --quiet
  export XLATE="$PWD/target/counts/release/xlate"
elif [ -z "${XLATE:-}" ]; then
  cargo build --release --quiet
  export XLATE="$PWD/target/release/xlate"
fi
# shellcheck disable=SC2046 # the part names are single words
bash perf/setup.sh $(python3 perf/bench.py --parts) >&2  # stdout is the table alone
exec python3 perf/bench.py "$@"
