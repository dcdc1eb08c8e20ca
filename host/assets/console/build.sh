#!/usr/bin/env bash
# Bundles CodeMirror 6 for the console into vendor/codemirror.js (committed,
# so cargo build and yici serve need no Node). The first line of the bundle
# records the SHA-256 of its inputs (package-lock.json, src/codemirror.js and
# this script); host/tests/console.rs checks the record against the files, and
# scripts/test.sh runs this script with --check, which rebuilds and fails
# when the committed bundle differs from what the sources build.
set -euo pipefail
cd "$(dirname "$0")"
inputs=$(cat package-lock.json src/codemirror.js build.sh | sha256sum | cut -d' ' -f1)
[[ -d node_modules ]] || npm ci --no-audit --no-fund --silent
out=$(mktemp)
trap 'rm -f "$out"' EXIT
{
  echo "/* yici console vendor bundle: CodeMirror 6 (MIT), built by host/assets/console/build.sh; inputs-sha256: $inputs */"
  node_modules/.bin/esbuild src/codemirror.js --bundle --format=esm --minify --legal-comments=none \
    --target=es2020 --log-level=warning
} >"$out"
if [[ "${1:-}" == "--check" ]]; then
  if ! cmp -s "$out" vendor/codemirror.js; then
    echo "host/assets/console/vendor/codemirror.js does not match its sources: run host/assets/console/build.sh and commit it" >&2
    exit 1
  fi
  echo "host/assets/console/vendor/codemirror.js matches its sources"
else
  mkdir -p vendor
  cp "$out" vendor/codemirror.js
  echo "wrote vendor/codemirror.js ($(wc -c <vendor/codemirror.js) bytes)"
fi
