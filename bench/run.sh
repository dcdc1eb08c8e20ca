#!/usr/bin/env bash
# Issue 6: runs the peer comparison, the scaling benchmarks and the memory
# example, then writes their tables into docs/benchmarks.md (between the
# `issue-6 peers` and `issue-6 scaling` marker comments, so a rerun replaces
# them). The peers take minutes to compile the first time. Run from anywhere:
#   bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bench-issue6
mkdir -p "$out"

{
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "rustc: $(rustc --version)"
  echo "date: $(date -u +%Y-%m-%d)"
} > "$out/machine.txt"

cargo bench -p bench --features peers --bench peers 2>&1 | tee "$out/peers.txt"
cargo bench -p bench --bench scaling 2>&1 | tee "$out/scaling.txt"
cargo run --release -p bench --example memory 2>&1 | tee "$out/memory.txt"
cargo run --release -p bench --example report -- "$out" docs/benchmarks.md
