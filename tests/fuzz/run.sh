#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (default 60) with seeds from the
# repository; a finding fails the run and leaves its input under
# tests/fuzz/artifacts/. Needs the nightly toolchain and cargo-fuzz
# (installed when missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH="${1:-60}"
# FUZZ_DEV=1 builds without optimisation: a much shorter build for a short run (CI).
PROFILE=()
[ "${FUZZ_DEV:-0}" = 1 ] && PROFILE=(--dev)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# seed NAME FOLDER PATTERN [FOLDER PATTERN ...]: copies every matching file
# (numbered: many are named alike) into NAME's seed folder.
seed() {
  local name=$1 n=0; shift
  mkdir -p "$work/seed-$name" "$work/corpus-$name"
  while [ $# -ge 2 ]; do
    while IFS= read -r -d '' file; do
      n=$((n + 1)); cp "$file" "$work/seed-$name/$n"
    done < <(find "$1" -type f -path "$2" -print0)
    shift 2
  done
}
seed policy_front_end policies '*.rules' rules-dsl/tests/corpus '*.rules'
seed request_reader engine/tests/requests '*.json' host/tests/http '*.json'
seed scenario_reader policies '*/scenarios/*.toml'
for target in policy_front_end request_reader scenario_reader; do
  echo "fuzzing $target for ${SECONDS_EACH}s"
  cargo +nightly fuzz run "${PROFILE[@]}" --fuzz-dir tests/fuzz --sanitizer none "$target" \
    "$work/corpus-$target" "$work/seed-$target" -- \
    -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=10 -rss_limit_mb=4096 -print_final_stats=1
done
