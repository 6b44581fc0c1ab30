#!/usr/bin/env bash
# Builds every guest program in src/ for each guest target into build/<target>/<name>:
#   x86_64-glibc   gcc -static -O2                      (x86_64-linux-gnu-gcc on an AArch64 host)
#   x86_64-musl    musl-gcc -static -O2                 (on an AArch64 host, which has no x86-64
#                                                        musl compiler, the committed copies in
#                                                        prebuilt/x86_64-musl/ are used)
#   aarch64-glibc  aarch64-linux-gnu-gcc -static -O2    (gcc on an AArch64 host)
# Usage: guest-bins/build.sh [TARGET...]   (default: every target this host can build)
# Incremental (a program is rebuilt when its source or this script is newer than the binary)
# and safe to run from several processes at once (flock on build/.lock). Installs missing
# compilers through .ci/install-deps.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
build="$here/build"
mkdir -p "$build"

host="$(uname -m)"
compiler_for() {
  case "$1@$host" in
    x86_64-glibc@x86_64) echo gcc ;;
    x86_64-musl@x86_64) echo musl-gcc ;;
    aarch64-glibc@x86_64) echo aarch64-linux-gnu-gcc ;;
    x86_64-glibc@aarch64) echo x86_64-linux-gnu-gcc ;;
    x86_64-musl@aarch64) echo prebuilt ;;
    aarch64-glibc@aarch64) echo gcc ;;
    *) echo "" ;;
  esac
}

all_targets=(x86_64-glibc x86_64-musl aarch64-glibc)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all_targets[@]}"); fi

# Install what is missing (once, before taking the lock, so the lock is never held for long
# by an apt run).
missing=0
for t in "${targets[@]}"; do
  cc="$(compiler_for "$t")"
  if [ -n "$cc" ] && [ "$cc" != prebuilt ] && ! command -v "$cc" >/dev/null; then missing=1; fi
done
if [ $missing -eq 1 ]; then
  bash "$root/.ci/install-deps"
fi

exec 9>"$build/.lock"
flock 9

status=0
for t in "${targets[@]}"; do
  cc="$(compiler_for "$t")"
  if [ -z "$cc" ]; then
    echo "build.sh: $t cannot be built on a $host host; skipped" >&2
    continue
  fi
  if [ "$cc" = prebuilt ]; then
    mkdir -p "$build/$t"
    cp -p "$here/prebuilt/$t"/* "$build/$t/"
    continue
  fi
  if ! command -v "$cc" >/dev/null; then
    echo "build.sh: $cc not found; $t not built" >&2
    status=1
    continue
  fi
  mkdir -p "$build/$t"
  for src in "$here"/src/*.c; do
    name="$(basename "$src" .c)"
    out="$build/$t/$name"
    if [ "$out" -nt "$src" ] && [ "$out" -nt "$here/build.sh" ]; then continue; fi
    if ! "$cc" -static -O2 -Wall -o "$out.tmp" "$src" -lm; then
      echo "build.sh: $cc failed on $src" >&2
      status=1
      continue
    fi
    mv "$out.tmp" "$out"
  done
done
exit $status
