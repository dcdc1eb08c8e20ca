#!/usr/bin/env bash
# Load benchmark of `yici serve` on loopback (issue 5), bounded in time.
#
#   host/bench/load.sh [SECONDS]      # default 10 s per run
#
# Starts the release binary on a fresh data directory with the shipped
# policies and the demo tokens of yici.toml, then with wrk (apt-get install wrk):
#   1. the floor: `POST /v1/_floor/parse`, which only parses the same JSON body;
#   2. `POST /v1/policies/hz.residence_permit/evaluate` with that body;
# and times publish-to-in-force: a publish answered, then the next evaluation
# answered by the new version. Prints a Markdown table for docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN="${1:-10}"
CONNECTIONS="${CONNECTIONS:-16}"   # wrk connections (requests in flight)
PORT=18080
DATA="$(mktemp -d)"
rm -f /tmp/yici-load-floor.rows /tmp/yici-load-evaluate.rows
BODY=host/tests/http/residence_permit_eligible.json
cargo build --release -p host --quiet
YICI_EXPOSE_PARSE_FLOOR=true YICI_KEEP_FACTS=false YICI_LOG=warn,host::service::publish=info \
  # Publishes directly: this measures the publish path an approval runs.
  YICI_PUBLISHING__REVIEW_REQUIRED=false target/release/yici serve --addr "127.0.0.1:$PORT" --data-dir "$DATA" --config yici.toml &
SERVER=$!
trap 'kill -INT $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 100); do curl -sf "127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done

LUA="$(mktemp)"
cat > "$LUA" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer demo-platform-token"
local f = io.open("$BODY", "rb"); wrk.body = f:read("*a"); f:close()
LUA

# The server's CPU time (user + system), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
TICK=$(getconf CLK_TCK)

run() { # name path
  local before after requests cpu_us
  before=$(cpu_ticks)
  wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -s "$LUA" "http://127.0.0.1:$PORT$2" > "/tmp/yici-load-$1.txt"
  after=$(cpu_ticks)
  requests=$(awk '/requests in/ {print $1}' "/tmp/yici-load-$1.txt")
  cpu_us=$(python3 -c "print(round(($after - $before) / $TICK * 1e6 / $requests, 1))")
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' "/tmp/yici-load-$1.txt")
  p50=$(awk '$1 == "50%" {print $2}' "/tmp/yici-load-$1.txt")
  p99=$(awk '$1 == "99%" {print $2}' "/tmp/yici-load-$1.txt")
  errors=$(awk '/Non-2xx/ {print $5}' "/tmp/yici-load-$1.txt"); errors=${errors:-0}
  echo "$1 $rps $p50 $p99 $errors $cpu_us"
}
# Three rounds, alternating, so both endpoints see the same drift of a shared machine;
# each figure is the median of its three runs.
for round in 1 2 3; do
  run floor /v1/_floor/parse >> /tmp/yici-load-floor.rows
  run evaluate /v1/policies/hz.residence_permit/evaluate >> /tmp/yici-load-evaluate.rows
done
median() { sort -g | sed -n 2p; }
floor_rps=$(awk '{print $2}' /tmp/yici-load-floor.rows | median)
eval_rps=$(awk '{print $2}' /tmp/yici-load-evaluate.rows | median)
floor_p50=$(awk '{print $3}' /tmp/yici-load-floor.rows | tr '\n' ' ')
eval_p50=$(awk '{print $3}' /tmp/yici-load-evaluate.rows | tr '\n' ' ')
floor_p99=$(awk '{print $4}' /tmp/yici-load-floor.rows | tr '\n' ' ')
eval_p99=$(awk '{print $4}' /tmp/yici-load-evaluate.rows | tr '\n' ' ')
floor_err=$(awk '{s+=$5} END {print s+0}' /tmp/yici-load-floor.rows)
eval_err=$(awk '{s+=$5} END {print s+0}' /tmp/yici-load-evaluate.rows)
floor_cpu=$(awk '{print $6}' /tmp/yici-load-floor.rows | median)
eval_cpu=$(awk '{print $6}' /tmp/yici-load-evaluate.rows | median)
ratios=$(paste /tmp/yici-load-floor.rows /tmp/yici-load-evaluate.rows | awk '{printf "%.0f%% ", $8 / $2 * 100}')

# Publish to in force: versions 3..7 of the residence permit, each a new hash.
SOURCE=policies/hz-residence-permit/policy.rules
TIMES=()
for v in 3 4 5 6 7; do
  python3 - "$SOURCE" "$v" > /tmp/yici-publish.json <<'PY'
import json, sys
source = open(sys.argv[1], encoding="utf-8").read().replace("  version 2\n", f"  version {sys.argv[2]}\n")
print(json.dumps({"source": f"# load benchmark, version {sys.argv[2]}\n" + source}))
PY
  publish=$(curl -s -o /tmp/yici-publish.out -w '%{http_code} %{time_total}' -H 'Authorization: Bearer demo-hz-public-security-token' \
    -H 'Content-Type: application/json' --data-binary @/tmp/yici-publish.json \
    "127.0.0.1:$PORT/v1/policies/hz.residence_permit/versions")
  evaluate=$(curl -s -o /tmp/yici-evaluate.out -w '%{time_total}' -H 'Authorization: Bearer demo-platform-token' \
    -H 'Content-Type: application/json' --data-binary @"$BODY" "127.0.0.1:$PORT/v1/policies/hz.residence_permit/evaluate")
  version=$(python3 -c 'import json,sys; print(json.load(open("/tmp/yici-evaluate.out"))["policy"]["version"])')
  read -r code publish_s <<< "$publish"
  [ "$code" = 201 ] && [ "$version" = "$v" ] || { echo "publish $v failed: $code, served $version" >&2; cat /tmp/yici-publish.out >&2; exit 1; }
  TIMES+=($(python3 -c "print(round(($publish_s + $evaluate) * 1000))"))
done
SORTED=$(printf '%s\n' "${TIMES[@]}" | sort -n | tr '\n' ' ')
MEDIAN=$(printf '%s\n' "${TIMES[@]}" | sort -n | sed -n 3p)

ratio=$(python3 -c "print(f'{$eval_rps / $floor_rps * 100:.0f}')")
cat <<TABLE
| endpoint (wrk -t1 -c$CONNECTIONS, 3 × ${SECONDS_PER_RUN} s, alternating) | requests/s (median) | server CPU per request (median) | p50 of each run | p99 of each run | non-2xx |
|---|---:|---:|---:|---:|---:|
| floor: \`POST /v1/_floor/parse\` (parse the same body) | $floor_rps | $floor_cpu µs | $floor_p50 | $floor_p99 | $floor_err |
| \`POST /v1/policies/hz.residence_permit/evaluate\` | $eval_rps | $eval_cpu µs | $eval_p50 | $eval_p99 | $eval_err |

Evaluate is **${ratio} %** of the floor's requests per second (median over median; the three
back-to-back pairs: ${ratios}).
Publish to in force (publish answered + the next evaluation answered by the new version), 5 publishes: ${SORTED}ms; median **${MEDIAN} ms**.
Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(rustc --version).
TABLE
