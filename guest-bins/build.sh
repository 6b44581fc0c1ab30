#!/usr/bin/env bash
# Builds every guest program in src/ for each guest target into build/<target>/<name>:
#   x86_64-glibc   gcc -static -O2                      (x86_64-linux-gnu-gcc on an AArch64 host)
#   x86_64-musl    musl-gcc -static -O2                 (on an AArch64 host, which has no x86-64
#                                                        musl compiler, the committed copies in
#                                                        prebuilt/x86_64-musl/ are used)
#   aarch64-glibc  aarch64-linux-gnu-gcc -static -O2    (gcc on an AArch64 host)
# A C program whose first line is `// build-aarch64: FLAGS` is built for aarch64-glibc only,
# with FLAGS instead of -O2 (n1feat*: -O3 -mcpu=neoverse-n1+crypto, the atomics three ways);
# its cases are `x86_64=none`.
# A C program whose first line is `// build-x86_64: FLAGS` is built with FLAGS instead of -O2
# for the x86-64 targets (avx2loops: -O3 -march=x86-64-v3).
# C++ programs (src/*.cc) and Rust programs (src/*.rs) are built for the glibc targets only
# (musl-gcc has no C++ library, and no musl Rust standard library is installed):
#   x86_64-glibc   g++ -static -O2 / rustc -C target-feature=+crt-static (x86_64-linux-gnu-g++
#                  on an AArch64 host; Rust there needs an x86-64 standard library: skipped)
#   aarch64-glibc  aarch64-linux-gnu-g++ -static -O2 -mbranch-protection=standard /
#                  /usr/bin/rustc --target aarch64-unknown-linux-gnu -C linker=aarch64-linux-gnu-gcc
#                  -C target-feature=+crt-static (g++ and rustc on an AArch64 host)
# Go programs (src/*.go) are built for the glibc targets only (they link no C library at all:
# Go's own runtime, statically linked, CGO_ENABLED=0), with Debian's Go 1.23
# (/usr/lib/go-1.23/bin/go, from bookworm-backports) for GOARCH=amd64 (GOAMD64=v1) or arm64
# (GOARM64=v8.0): go build -trimpath -buildvcs=false -ldflags=-buildid=, offline
# (GOPROXY=off, GOTOOLCHAIN=local, standard library only), its cache under build/.go/.
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

# The C++ compiler and its target flags for a target ("" when C++ programs are not built).
cxx_for() {
  case "$1@$host" in
    x86_64-glibc@x86_64) echo g++ ;;
    aarch64-glibc@x86_64) echo "aarch64-linux-gnu-g++ -mbranch-protection=standard" ;;
    x86_64-glibc@aarch64) echo x86_64-linux-gnu-g++ ;;
    aarch64-glibc@aarch64) echo "g++ -mbranch-protection=standard" ;;
    *) echo "" ;;
  esac
}

# The Rust compiler and its target flags for a target ("" when Rust programs are not built).
rustc_for() {
  case "$1@$host" in
    x86_64-glibc@x86_64) echo "rustc --target x86_64-unknown-linux-gnu" ;;
    aarch64-glibc@x86_64)
      echo "/usr/bin/rustc --target aarch64-unknown-linux-gnu -C linker=aarch64-linux-gnu-gcc" ;;
    aarch64-glibc@aarch64) echo "rustc --target aarch64-unknown-linux-gnu" ;;
    *) echo "" ;;
  esac
}

all_targets=(x86_64-glibc x86_64-musl aarch64-glibc)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all_targets[@]}"); fi

# The GOARCH (and its level variable) for a target ("" when Go programs are not built).
goarch_for() {
  case "$1" in
    x86_64-glibc) echo "GOARCH=amd64 GOAMD64=v1" ;;
    aarch64-glibc) echo "GOARCH=arm64 GOARM64=v8.0" ;;
    *) echo "" ;;
  esac
}
go=/usr/lib/go-1.23/bin/go

# Install what is missing (once, before taking the lock, so the lock is never held for long
# by an apt run).
missing=0
for t in "${targets[@]}"; do
  cc="$(compiler_for "$t")"
  if [ -n "$cc" ] && [ "$cc" != prebuilt ] && ! command -v "$cc" >/dev/null; then missing=1; fi
  cxx="$(cxx_for "$t")"
  if [ -n "$cxx" ] && ! command -v "${cxx%% *}" >/dev/null; then missing=1; fi
  if [ -n "$(goarch_for "$t")" ] && [ ! -x "$go" ]; then missing=1; fi
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
    # AArch64-only programs: a first line `// build-aarch64: FLAGS` replaces -O2 with FLAGS.
    cflags=(-O2)
    a64flags="$(sed -n '1s|^// build-aarch64: ||p' "$src")"
    if [ -n "$a64flags" ]; then
      [ "$t" = aarch64-glibc ] || continue
      read -r -a cflags <<<"$a64flags"
      # A program that includes another (a second build of it) is rebuilt when that changes.
      inc="$(sed -n 's|^#include "\(.*\)"$|\1|p' "$src")"
      if [ -n "$inc" ] && [ "$here/src/$inc" -nt "$out" ]; then rm -f "$out"; fi
    fi
    if [ "$out" -nt "$src" ] && [ "$out" -nt "$here/build.sh" ]; then continue; fi
    # A first line `// build-x86_64: FLAGS` replaces -O2 for the x86-64 targets.
    case "$t" in
      x86_64-*) own="$(sed -n '1s|^// build-x86_64: ||p' "$src")"; if [ -n "$own" ]; then read -r -a cflags <<<"$own"; fi ;;
    esac
    if ! "$cc" -static "${cflags[@]}" -Wall -o "$out.tmp" "$src" -lm; then
      echo "build.sh: $cc failed on $src" >&2
      status=1
      continue
    fi
    mv "$out.tmp" "$out"
  done
  # C++ and Rust programs (glibc targets).
  cxx="$(cxx_for "$t")"
  for src in "$here"/src/*.cc; do
    [ -n "$cxx" ] || break
    name="$(basename "$src" .cc)"
    out="$build/$t/$name"
    if [ "$out" -nt "$src" ] && [ "$out" -nt "$here/build.sh" ]; then continue; fi
    # shellcheck disable=SC2086 # $cxx is a command with its flags
    if ! $cxx -static -O2 -Wall -o "$out.tmp" "$src"; then
      echo "build.sh: $cxx failed on $src" >&2
      status=1
      continue
    fi
    mv "$out.tmp" "$out"
  done
  rustc_cmd="$(rustc_for "$t")"
  if [ -z "$rustc_cmd" ] && compgen -G "$here/src/*.rs" >/dev/null && [ "$t" != x86_64-musl ]; then
    echo "build.sh: no Rust compiler for $t on a $host host; its Rust programs are not built" >&2
  fi
  for src in "$here"/src/*.rs; do
    [ -n "$rustc_cmd" ] || break
    name="$(basename "$src" .rs)"
    out="$build/$t/$name"
    if [ "$out" -nt "$src" ] && [ "$out" -nt "$here/build.sh" ]; then continue; fi
    # The source path is remapped so that panic locations read src/<name>.rs everywhere.
    # shellcheck disable=SC2086 # $rustc_cmd is a command with its flags
    if ! $rustc_cmd --edition 2021 -O -C target-feature=+crt-static --remap-path-prefix="$here/=" \
      -o "$out.tmp" "$src"; then
      echo "build.sh: $rustc_cmd failed on $src" >&2
      status=1
      continue
    fi
    mv "$out.tmp" "$out"
  done
  # Go programs (glibc targets).
  goarch="$(goarch_for "$t")"
  for src in "$here"/src/*.go; do
    [ -n "$goarch" ] || break
    name="$(basename "$src" .go)"
    out="$build/$t/$name"
    if [ "$out" -nt "$src" ] && [ "$out" -nt "$here/build.sh" ]; then continue; fi
    # shellcheck disable=SC2086 # $goarch is a list of NAME=value assignments
    if ! (cd "$here/src" && env -u GOFLAGS -u GOROOT CGO_ENABLED=0 GOOS=linux $goarch \
      GOCACHE="$build/.go/cache" GOPATH="$build/.go/path" GOENV=off GOPROXY=off GOTOOLCHAIN=local \
      GO111MODULE=off "$go" build -trimpath -buildvcs=false -ldflags=-buildid= -o "$out.tmp" "$name.go"); then
      echo "build.sh: go build failed on $src" >&2
      status=1
      continue
    fi
    mv "$out.tmp" "$out"
  done
done
exit $status
