#!/usr/bin/env bash
# The README's test command. On a fresh machine it installs and starts what
# the tests need, then runs every test of the workspace:
#   - PostgreSQL: the store tests run on SQLite and on PostgreSQL. The server
#     is PG_TEST_URL (default postgres://postgres@127.0.0.1:5432/postgres);
#     each test creates its own database there and drops it afterwards. A
#     local Debian cluster that is stopped is started; an unreachable server
#     fails the run (no test is skipped).
#   - Chromium (Debian's package, nothing downloaded), its driver and a CJK
#     font for the browser tests of /console/ and /guide/; the test tools
#     from npm (axe-core) under tests/browser-tools.
# Extra arguments go to `cargo test` (e.g. `scripts/test.sh -p host`).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
fc-list 2>/dev/null | grep -qi 'wenquanyi\|wqy' || need_apt+=(fonts-wqy-microhei)
command -v psql >/dev/null || need_apt+=(postgresql-client)
# The cluster tests run docs/deploy/nginx.conf in front of three nodes.
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need_apt+=(nginx-light)
if ((${#need_apt[@]})); then
  echo "installing ${need_apt[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [[ -f tests/browser-tools/package.json && ! -d tests/browser-tools/node_modules ]]; then
  (cd tests/browser-tools && npm ci --no-audit --no-fund --silent)
fi

# The console's CodeMirror bundle is committed (cargo build needs no Node);
# it must be exactly what its sources build.
command -v node >/dev/null || { echo "node and npm are needed to check the console's bundle (apt-get install -y nodejs npm)" >&2; exit 1; }
host/assets/console/build.sh --check

export PG_TEST_URL="${PG_TEST_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if ! psql "$PG_TEST_URL" -Atc 'select 1' >/dev/null 2>&1; then
  if command -v pg_lsclusters >/dev/null; then
    pg_lsclusters -h | while read -r ver name _; do
      pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start || true
    done
  fi
  for _ in $(seq 1 30); do
    psql "$PG_TEST_URL" -Atc 'select 1' >/dev/null 2>&1 && break
    sleep 1
  done
  psql "$PG_TEST_URL" -Atc 'select 1' >/dev/null || {
    echo "PostgreSQL is not reachable at $PG_TEST_URL: start it or set PG_TEST_URL" >&2
    exit 1
  }
fi

export PATH="$PATH:/usr/sbin"
exec cargo test --workspace --locked "$@"
