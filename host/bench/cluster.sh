#!/usr/bin/env bash
# Benchmarks of several nodes on PostgreSQL (issue 17), bounded in time:
#
#   host/bench/cluster.sh [SECONDS] [PUBLISHES]     # default 10 s per load run, 100 publishes
#
# Needs wrk (apt-get install wrk), psql and the local PostgreSQL (PG_TEST_URL,
# default postgres://postgres@127.0.0.1:5432/postgres); a database of its own
# is created and dropped.
#   1. publish → in force on all three nodes: PUBLISHES publishes, spread over
#      the three nodes; each answer's `cluster.in_force_after_ms` (from the
#      commit until every live node has applied it) → p50, p99, max;
#   2. requests/s of `POST /v1/policies/hz.residence_permit/evaluate` (durable
#      decision log) on one node on SQLite, one node on PostgreSQL and two
#      nodes on PostgreSQL (wrk on both at once), beside the parse-only floor;
#   3. decision-log rows/s: rows in the decisions table over the run.
# Prints Markdown for docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN="${1:-10}"
PUBLISHES="${2:-100}"
CONNECTIONS="${CONNECTIONS:-16}"
ADMIN="${PG_TEST_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
DB="yici_bench_$$"
URL="${ADMIN%/*}/$DB"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
cargo build --release -p host --quiet
psql "$ADMIN" -qc "CREATE DATABASE $DB" >/dev/null

start() { # name port [store url]
  local name=$1 port=$2 url=${3:-}
  # Publishes directly: this measures the publish path an approval runs.
  if [[ -n "$url" ]]; then
    YICI_STORE_URL="$url" YICI_NODE_ID="$name" YICI_EXPOSE_PARSE_FLOOR=true YICI_LOG=warn \
      YICI_PUBLISHING__REVIEW_REQUIRED=false target/release/yici serve --addr "127.0.0.1:$port" --data-dir "$WORK/$name" --config yici.toml \
      2>"$WORK/$name.log" &
  else
    YICI_EXPOSE_PARSE_FLOOR=true YICI_LOG=warn \
      YICI_PUBLISHING__REVIEW_REQUIRED=false target/release/yici serve --addr "127.0.0.1:$port" --data-dir "$WORK/$name" --config yici.toml \
      2>"$WORK/$name.log" &
  fi
  PIDS+=($!)
  for _ in $(seq 600); do curl -sf "127.0.0.1:$port/healthz" >/dev/null && return; sleep 0.1; done
  echo "node $name did not start:" >&2; cat "$WORK/$name.log" >&2; exit 1
}
stop_all() {
  for pid in "${PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}

# 1. Publish → in force on three nodes.
start a 18181 "$URL"
start b 18182 "$URL"
start c 18183 "$URL"
sleep 1.5   # every node has reported itself
SOURCE=policies/hz-residence-permit/policy.rules
python3 - "$SOURCE" "$PUBLISHES" > "$WORK/publish.txt" <<'PY'
import json, sys, time, urllib.request
source = open(sys.argv[1], encoding="utf-8").read()
count = int(sys.argv[2])
waits, rounds = [], []
for i in range(count):
    version = 3 + i
    body = json.dumps({"source": f"# bench {version}\n" + source.replace("  version 2\n", f"  version {version}\n")}).encode()
    port = 18181 + i % 3
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/policies/hz.residence_permit/versions", data=body, method="POST",
        headers={"Authorization": "Bearer demo-hz-public-security-token", "Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request) as response:
        answer = json.load(response)
    rounds.append((time.perf_counter() - started) * 1000)
    cluster = answer["cluster"]
    assert not cluster["lagging"] and len(cluster["in_force_on"]) == 3, cluster
    waits.append(cluster["in_force_after_ms"])
def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]
print(f"| publish → in force on 3 nodes (`in_force_after_ms`, {count} publishes) | {pct(waits,50):.1f} ms | {pct(waits,99):.1f} ms | {max(waits):.1f} ms |")
print(f"| whole publish answered (check, compile, scenarios, store, wait) | {pct(rounds,50):.1f} ms | {pct(rounds,99):.1f} ms | {max(rounds):.1f} ms |")
PY
stop_all

# 2. Requests per second.
LUA="$WORK/evaluate.lua"
cat > "$LUA" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer demo-platform-token"
local f = io.open("host/tests/http/residence_permit_eligible.json", "rb"); wrk.body = f:read("*a"); f:close()
LUA
rps() { # port path connections → requests/s
  wrk -t2 -c"$3" -d"${SECONDS_PER_RUN}s" -s "$LUA" "http://127.0.0.1:$1$2" | awk '/Requests\/sec/ {print $2}'
}
rows() { psql "$URL" -Atc "SELECT count(*) FROM decisions"; }
EVALUATE=/v1/policies/hz.residence_permit/evaluate

start solo 18190
FLOOR=$(rps 18190 /v1/_floor/parse "$CONNECTIONS")
SQLITE=$(rps 18190 "$EVALUATE" "$CONNECTIONS")
stop_all

start a 18181 "$URL"
BEFORE=$(rows)
PG_ONE=$(rps 18181 "$EVALUATE" "$CONNECTIONS")
AFTER=$(rows)
LOG_ONE=$(( (AFTER - BEFORE) / SECONDS_PER_RUN ))
start b 18182 "$URL"
BEFORE=$(rows)
rps 18181 "$EVALUATE" $((CONNECTIONS / 2)) > "$WORK/a.rps" &
WRK=$!
rps 18182 "$EVALUATE" $((CONNECTIONS / 2)) > "$WORK/b.rps"
wait "$WRK"
AFTER=$(rows)
PG_TWO=$(python3 -c "print(round($(cat "$WORK/a.rps") + $(cat "$WORK/b.rps"), 1))")
LOG_TWO=$(( (AFTER - BEFORE) / SECONDS_PER_RUN ))
stop_all

echo "| measure | p50 | p99 | max |"
echo "|---|---|---|---|"
cat "$WORK/publish.txt"
echo
echo "| ${CONNECTIONS} connections, ${SECONDS_PER_RUN} s each | requests/s | of SQLite | decision-log rows/s |"
echo "|---|---|---|---|"
ratio() { python3 -c "print(f'{$1 / $2 * 100:.0f} %')"; }
echo "| floor (parse only, one node) | $FLOOR | | |"
echo "| one node, SQLite, durable log | $SQLITE | 100 % | |"
echo "| one node, PostgreSQL, durable log | $PG_ONE | $(ratio "$PG_ONE" "$SQLITE") | $LOG_ONE |"
echo "| two nodes, PostgreSQL (wrk on both, the same machine's 2 cores) | $PG_TWO | $(ratio "$PG_TWO" "$SQLITE") | $LOG_TWO |"
