#!/usr/bin/env bash
# Schemathesis (PyPI) with all its checks against `yici serve` on a fresh
# store with the shipped policies, through GET /openapi.json: no 5xx, every
# answer documented, schema-valid requests accepted (see schemathesis.toml).
#   host/tests/schemathesis/run.sh [EXAMPLES_PER_OPERATION]   # default 30
set -euo pipefail
cd "$(dirname "$0")/../../.."
EXAMPLES="${1:-30}"
command -v st >/dev/null || python3 -m pip install --quiet schemathesis
cargo build -p host --quiet
DATA="$(mktemp -d)"
PORT=18282
YICI_LOG=warn target/debug/yici serve --addr "127.0.0.1:$PORT" --data-dir "$DATA" --config yici.toml &
SERVER=$!
trap 'kill -INT $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 300); do curl -sf "127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
# A department's token reaches every operation (the platform's is refused
# what it may not do before any work; schemathesis 4.32's generator failed
# internally on the batch operation with it: a KeyError in its own cache).
st --config-file host/tests/schemathesis/schemathesis.toml run \
  "http://127.0.0.1:$PORT/openapi.json" --checks all \
  -H "Authorization: Bearer demo-hz-public-security-token" \
  --max-examples "$EXAMPLES" --workers 2 --seed 7 --no-color
