#!/usr/bin/env bash
# /healthz while heavy work runs (issue 12): the release binary on a fresh
# store; the residence permit is published with 5,000 more rules (version
# 3), then four batches of 1,000 evaluations against it and a publish of
# another 5,000-rule version (4) are sent at once, while /healthz is probed
# every 10 ms. Prints the probes' latencies and what each heavy request
# answered, in how long.
#   host/bench/heavy.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
PORT=18090
DATA="$(mktemp -d)"
cargo build --release -p host --quiet
YICI_BATCH_LIMIT=1000 YICI_BODY_LIMIT_BYTES=16777216 YICI_KEEP_FACTS=false YICI_LOG=warn \
  # Publishes directly: this measures the publish path an approval runs.
  YICI_PUBLISHING__REVIEW_REQUIRED=false target/release/yici serve --addr "127.0.0.1:$PORT" --data-dir "$DATA" --config yici.toml &
SERVER=$!
trap 'kill -INT $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 300); do curl -sf "127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
python3 - "$PORT" "$SERVER" <<'PY'
import json, sys, threading, time, urllib.request, urllib.error
port = sys.argv[1]
base = f"http://127.0.0.1:{port}"
request = json.load(open("host/tests/http/residence_permit_eligible.json"))
request["policy"] = "hz.residence_permit"
batch = json.dumps({"evaluations": [request] * 1000}).encode()
source = open("policies/hz-residence-permit/policy.rules", encoding="utf-8").read()
extra = "".join(f'rule extra_{i} "附加检查{i}" cite "测试":\n  months_resident >= {i % 100}\n\n' for i in range(5000))
source = source.replace("eligible when", extra + "eligible when", 1)
def version(n):
    return json.dumps({"source": source.replace("  version 2\n", f"  version {n}\n")}).encode()
results = []
def send(path, body, token):
    started = time.perf_counter()
    req = urllib.request.Request(base + path, data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            size = len(r.read()); status = r.status
    except urllib.error.HTTPError as e:
        size = len(e.read()); status = e.code
    results.append((path, status, size, time.perf_counter() - started))
send("/v1/policies/hz.residence_permit/versions", version(3), "demo-hz-public-security-token")
print(f"first 5,000-rule publish: {results[0][1]} in {results[0][3]:.2f} s")
results.clear()
threads = [threading.Thread(target=send, args=("/v1/evaluate/batch", batch, "demo-platform-token")) for _ in range(4)]
threads.append(threading.Thread(target=send, args=("/v1/policies/hz.residence_permit/versions", version(4), "demo-hz-public-security-token")))
for t in threads: t.start()
probes = []
while any(t.is_alive() for t in threads):
    started = time.perf_counter()
    with urllib.request.urlopen(base + "/healthz", timeout=30) as r:
        assert r.status == 200
    probes.append(time.perf_counter() - started)
    time.sleep(0.01)
probes.sort()
q = lambda p: probes[min(len(probes) - 1, int(len(probes) * p))] * 1000
print(f"/healthz: {len(probes)} probes, p50 {q(0.5):.2f} ms, p99 {q(0.99):.2f} ms, max {probes[-1]*1000:.2f} ms")
for path, status, size, seconds in sorted(results):
    print(f"  {path}: {status}, {size/1e6:.1f} MB in {seconds:.2f} s")
rss = [l for l in open(f"/proc/{sys.argv[2]}/status") if l.startswith(("VmRSS", "VmHWM"))]
print("  server " + ", ".join(l.split()[0] + " " + l.split()[1] + " kB" for l in rss))
PY
