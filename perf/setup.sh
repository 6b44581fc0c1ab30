#!/usr/bin/env bash
# Fetches and builds the real programs that perf/bench.sh measures, for x86-64 and AArch64,
# into target/perf/ (a cache outside git; nothing here is committed but our own drivers).
# Idempotent: a part that is already there is not fetched or built again.
#
# Usage: perf/setup.sh [PART...]     parts: busybox bash lua sqlite rust inputs (default: all)
#
#   busybox, bash  Debian's static builds of one source for amd64 and arm64 (apt-get download,
#                  dpkg-deb -x): busybox-static and bash-static.
#   lua            Lua 5.4's C sources from the lua-src crate (fetched by cargo from the
#                  registry) with our host perf/src/luarun.c, gcc -static -O2 both ISAs.
#   sqlite         SQLite's amalgamation from the libsqlite3-sys crate with our driver
#                  perf/src/sqlbench.c, gcc -static -O2 both ISAs, SQLITE_THREADSAFE=0.
#   rust           perf/rustbench (sha2, miniz_oxide, regex): rustup's rustc for x86-64,
#                  Debian's /usr/bin/rustc with its aarch64 std for AArch64, static crt.
#   inputs         generated text inputs for the busybox workloads.
# Binaries land in target/perf/bin/{x86_64,aarch64}/; inputs in target/perf/input/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
cache="$root/target/perf"
mkdir -p "$cache/bin/x86_64" "$cache/bin/aarch64" "$cache/deb" "$cache/input"

# Versions are pinned so that a figure always names the same program.
LUA_SRC_VERSION=551.1.0        # Lua 5.4.9 (directory lua-5.4.9 in the crate)
SQLITE_SYS_VERSION=0.40.0      # bundled SQLite amalgamation
CC_X86=gcc
CC_A64=aarch64-linux-gnu-gcc

log() { echo "perf/setup: $*" >&2; }

# deb_part PACKAGE BINARY: extract BINARY of Debian's PACKAGE for amd64 and arm64.
deb_part() {
  local pkg="$1" bin="$2" arch dir deb
  for arch in amd64 arm64; do
    dir=x86_64; [ "$arch" = arm64 ] && dir=aarch64
    [ -x "$cache/bin/$dir/$bin" ] && continue
    log "downloading $pkg:$arch"
    (cd "$cache/deb" && ls ${pkg}_*_"$arch".deb >/dev/null 2>&1 || apt-get download "$pkg:$arch" 2>/dev/null >&2) ||
      { log "apt-get download $pkg:$arch failed (needs 'dpkg --add-architecture arm64' and 'apt-get update')"; exit 1; }
    deb="$(ls "$cache/deb/${pkg}"_*_"$arch".deb | head -1)"
    rm -rf "$cache/deb/x-$pkg-$arch"
    dpkg-deb -x "$deb" "$cache/deb/x-$pkg-$arch"
    cp "$cache/deb/x-$pkg-$arch/bin/$bin" "$cache/bin/$dir/$bin"
    echo "$(basename "$deb")" >"$cache/bin/$dir/$bin.version"
  done
}

# crate_dir NAME VERSION: the unpacked sources of a registry crate (cargo fetch of a helper
# manifest in the cache; the crates are only read, never built by cargo).
crate_dir() {
  local m="$cache/srcfetch"
  if [ ! -f "$m/Cargo.toml" ] || ! grep -q "$LUA_SRC_VERSION" "$m/Cargo.toml" || ! grep -q "$SQLITE_SYS_VERSION" "$m/Cargo.toml"; then
    mkdir -p "$m/src"
    cat >"$m/Cargo.toml" <<TOML
[package]
name = "perf-sources"
version = "0.0.0"
edition = "2021"
publish = false
[workspace]
[dependencies]
lua-src = "=$LUA_SRC_VERSION"
libsqlite3-sys = { version = "=$SQLITE_SYS_VERSION", features = ["bundled"] }
TOML
    echo 'fn main() {}' >"$m/src/main.rs"
  fi
  cargo fetch --quiet --manifest-path "$m/Cargo.toml" >&2
  cargo metadata --quiet --format-version 1 --manifest-path "$m/Cargo.toml" 2>/dev/null |
    python3 -c 'import json, os, sys; n, v = sys.argv[1:]; print(next(os.path.dirname(p["manifest_path"]) for p in json.load(sys.stdin)["packages"] if p["name"] == n and p["version"] == v))' "$1" "$2"
}

part_lua() {
  [ -x "$cache/bin/x86_64/luarun" ] && [ -x "$cache/bin/aarch64/luarun" ] &&
    [ "$cache/bin/x86_64/luarun" -nt perf/src/luarun.c ] && return
  local src; src="$(crate_dir lua-src "$LUA_SRC_VERSION")/lua-5.4.9"
  local files=() f
  for f in "$src"/*.c; do files+=("$f"); done
  log "building Lua 5.4.9 for x86-64 and AArch64"
  $CC_X86 -static -O2 -DLUA_USE_POSIX -I"$src" -o "$cache/bin/x86_64/luarun" perf/src/luarun.c "${files[@]}" -lm
  $CC_A64 -static -O2 -DLUA_USE_POSIX -I"$src" -o "$cache/bin/aarch64/luarun" perf/src/luarun.c "${files[@]}" -lm
  echo "lua-src $LUA_SRC_VERSION (Lua 5.4.9)" >"$cache/bin/x86_64/luarun.version"
}

part_sqlite() {
  [ -x "$cache/bin/x86_64/sqlbench" ] && [ -x "$cache/bin/aarch64/sqlbench" ] &&
    [ "$cache/bin/x86_64/sqlbench" -nt perf/src/sqlbench.c ] && return
  local src; src="$(crate_dir libsqlite3-sys "$SQLITE_SYS_VERSION")/sqlite3"
  local flags=(-static -O2 -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -I"$src")
  log "building SQLite (libsqlite3-sys $SQLITE_SYS_VERSION amalgamation) for x86-64 and AArch64"
  $CC_X86 "${flags[@]}" -o "$cache/bin/x86_64/sqlbench" perf/src/sqlbench.c "$src/sqlite3.c" -lm &
  $CC_A64 "${flags[@]}" -o "$cache/bin/aarch64/sqlbench" perf/src/sqlbench.c "$src/sqlite3.c" -lm
  wait $!
  grep -m1 '#define SQLITE_VERSION ' "$src/sqlite3.h" | awk '{print "sqlite " $3}' >"$cache/bin/x86_64/sqlbench.version"
}

part_rust() {
  local newest; newest="$(find perf/rustbench/src perf/rustbench/Cargo.* -newer "$cache/bin/aarch64/rustbench" 2>/dev/null | head -1 || true)"
  [ -x "$cache/bin/x86_64/rustbench" ] && [ -x "$cache/bin/aarch64/rustbench" ] && [ -z "$newest" ] && return
  local m=perf/rustbench/Cargo.toml
  log "building perf/rustbench for x86-64 (rustup rustc) and AArch64 (Debian rustc)"
  RUSTFLAGS="-C target-feature=+crt-static" CARGO_TARGET_DIR="$cache/rust-x86_64" \
    cargo build --quiet --locked --release --manifest-path "$m" --target x86_64-unknown-linux-gnu
  RUSTC=/usr/bin/rustc RUSTFLAGS="-C target-feature=+crt-static -C linker=$CC_A64" \
    CARGO_TARGET_DIR="$cache/rust-aarch64" \
    cargo build --quiet --locked --release --manifest-path "$m" --target aarch64-unknown-linux-gnu
  cp "$cache/rust-x86_64/x86_64-unknown-linux-gnu/release/rustbench" "$cache/bin/x86_64/"
  cp "$cache/rust-aarch64/aarch64-unknown-linux-gnu/release/rustbench" "$cache/bin/aarch64/"
}

# Inputs for the text tools: LINES lines of words and numbers from a fixed LCG (host awk), and
# its gzip. Two sizes: small (the quick mode) and full.
part_inputs() {
  local size lines
  for size in small full; do
    lines=20000; [ "$size" = full ] && lines=100000
    [ -f "$cache/input/text-$size.txt.gz" ] && continue
    log "generating input text-$size ($lines lines)"
    awk -v n="$lines" 'BEGIN {
      split("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa", w, " ")
      s = 7
      for (i = 1; i <= n; i++) {
        s = (s * 1103515245 + 12345) % 2147483648; a = int(s / 65536)
        s = (s * 1103515245 + 12345) % 2147483648; b = int(s / 65536)
        printf "%s %d.%02d %s-%d %s %d\n", w[a % 16 + 1], b % 10000, a % 100, w[b % 16 + 1], a % 977, w[(a + b) % 16 + 1], i
      }
    }' >"$cache/input/text-$size.txt"
    gzip -9 -n -c "$cache/input/text-$size.txt" >"$cache/input/text-$size.txt.gz"
  done
}

parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(busybox bash lua sqlite rust inputs)
for p in "${parts[@]}"; do
  case "$p" in
    busybox) deb_part busybox-static busybox ;;
    bash) deb_part bash-static bash-static ;;
    lua) part_lua ;;
    sqlite) part_sqlite ;;
    rust) part_rust ;;
    inputs) part_inputs ;;
    *) echo "perf/setup: unknown part $p (busybox bash lua sqlite rust inputs)" >&2; exit 2 ;;
  esac
done
