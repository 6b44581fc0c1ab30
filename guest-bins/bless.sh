#!/usr/bin/env bash
# Rewrites guest-bins/expected/<target>/<case>.{stdout,status} from ORACLE runs: native
# execution for x86-64 builds (so run this on an x86-64 host), qemu-aarch64-static for AArch64
# builds. Never edit an expectation by hand: change the program or cases.txt and bless again,
# then review the diff (git diff guest-bins/expected) for sanity before committing.
# Usage: guest-bins/bless.sh [TARGET]   (default: every target)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ "$(uname -m)" != x86_64 ]; then
  echo "bless.sh: x86-64 expectations come from native runs; run this on an x86-64 host" >&2
  exit 1
fi
bash guest-bins/build.sh
if [ $# -gt 0 ]; then export BLESS_TARGET="$1"; fi
cargo test --quiet --test guest_bins -- --ignored --exact bless --nocapture

# The committed binaries: hello for every target (the README's first command) and every x86-64
# musl program (an AArch64 host has no x86-64 musl compiler). Stripped to keep them small.
for t in x86_64-glibc x86_64-musl aarch64-glibc; do
  mkdir -p "guest-bins/prebuilt/$t"
  case "$t" in
    aarch64-*) strip=aarch64-linux-gnu-strip ;;
    *) strip=strip ;;
  esac
  if [ "$t" = x86_64-musl ]; then progs=(guest-bins/build/$t/*); else progs=("guest-bins/build/$t/hello"); fi
  for p in "${progs[@]}"; do
    "$strip" -o "guest-bins/prebuilt/$t/$(basename "$p")" "$p"
  done
done
echo "bless.sh: done; review 'git diff --stat guest-bins/expected guest-bins/prebuilt' before committing"
