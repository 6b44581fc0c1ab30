#!/usr/bin/env bash
# Builds xlate's fuzz targets with libFuzzer's coverage instrumentation on the stable
# toolchain (the flags cargo-fuzz passes, without a sanitizer) and runs each for a bounded
# time, starting from the committed corpus in fuzz/corpus/TARGET (new inputs go to a scratch
# copy under fuzz/target, so a run never changes the tree; crashes are written to
# fuzz/artifacts/TARGET and fail the run).
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     default: 30 s, every target
#
# Used by .ci/test with a short time; run it longer by hand before closing fuzzing work.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

secs="${1:-30}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(elf_parse translate_x86_64 translate_aarch64 abi_convert)
host="$(rustc -vV | sed -n 's/^host: //p')"

flags=(--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4
  -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table
  -Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks)
# --target keeps the instrumentation off build scripts and proc macros.
RUSTFLAGS="${flags[*]}" cargo build --release --quiet --target "$host" --bins

# Seeds for the loader: tiny static programs of both guest ISAs (a missing compiler fails
# under CI=true, which has them all; elsewhere that seed is left out with a note).
mkdir -p target/seeds
for cc in gcc aarch64-linux-gnu-gcc; do
  if command -v "$cc" > /dev/null; then
    "$cc" -static -nostdlib -Os -fno-pie -no-pie -Wl,--build-id=none -o "target/seeds/tiny-$cc" seeds/tiny.c
  elif [ "${CI:-}" = true ]; then
    echo "fuzz/run.sh: $cc is missing (CI=true)" >&2
    exit 1
  else
    echo "fuzz/run.sh: $cc is missing; its seed is left out" >&2
  fi
done

status=0
for t in "${targets[@]}"; do
  work="target/corpus/$t"
  rm -rf "$work"
  mkdir -p "$work" "artifacts/$t"
  [ -d "corpus/$t" ] && cp -r "corpus/$t/." "$work/"
  [ "$t" = elf_parse ] && cp target/seeds/tiny-* "$work/" 2> /dev/null || true
  echo "==> fuzzing $t for $secs s"
  if ! "target/$host/release/$t" "$work" -max_total_time="$secs" -max_len=16384 \
      -artifact_prefix="artifacts/$t/" -print_final_stats=1 2> "target/$t.log"; then
    status=1
    echo "fuzz target $t found a crash (fuzz/artifacts/$t/):" >&2
    grep -v '^#' "target/$t.log" | tail -30 >&2
  fi
  grep -E '^stat::number_of_executed_units|^stat::new_units_added|cov: ' "target/$t.log" | tail -3 | sed 's/^/    /'
done
exit $status
