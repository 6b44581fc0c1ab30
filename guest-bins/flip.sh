#!/usr/bin/env bash
# Marks as `pass` in status.txt every (case, configuration) pair that the last run of
# tests/guest_bins.rs reported as newly passing (from the reports it leaves in
# target/tmp/ and target/cross/*/tmp/). Review with `git diff guest-bins/status.txt`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
status=guest-bins/status.txt
shopt -s nullglob
reports=(target/tmp/guest-bins-*.txt target/cross/*/tmp/guest-bins-*.txt)
flips=$(cat "${reports[@]}" /dev/null |
  awk '/flip these in guest-bins\/status.txt:/ { on = 1; next } on && /^  [^ ]+ +[^ ]+@[^ ]+ pass$/ { print $1, $2; next } { on = 0 }')
if [ -z "$flips" ]; then
  echo "flip.sh: nothing newly passing in the last reports"
  exit 0
fi
while read -r case config; do
  # drop any earlier line for the pair (e.g. a pending reason), then add the pass line
  awk -v c="$case" -v k="$config" '!($1 == c && $2 == k)' "$status" >"$status.tmp"
  mv "$status.tmp" "$status"
  printf '%-18s %-22s pass\n' "$case" "$config" >>"$status"
  echo "flip.sh: $case $config -> pass"
done <<<"$flips"
