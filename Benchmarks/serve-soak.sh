#!/usr/bin/env bash
# Soak benchmark of `headroom serve` (not a test): a steady open-loop rate with bursts that
# make the serverless plan scale up and keep-alive expiries that scale it down, for a fixed
# time; prints, at the start and at the end, the runtime's open file descriptors, threads,
# resident memory and the worker processes alive, and the requests by outcome.
# Loopback only; bounded in time; every process it starts is stopped on exit.
#
#   Benchmarks/serve-soak.sh [SECONDS] [RATE]      (default 600 s, 40 requests/s)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
rate=${2:-40}
swift build -c release --product headroom >/dev/null
out=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; if [ -n "${KEEP:-}" ]; then echo "logs kept in $out"; else rm -rf "$out"; fi; }
trap cleanup EXIT
port=$(python3 Scripts/free-port.py)
# serve-demo's echo model, serverless with a 5 s keep-alive so instances come and go.
sed -e 's/"keepAlive": "30s"/"keepAlive": "5s"/' -e "s|\"workers/|\"$PWD/Scenarios/workers/|g" -e "s|\"../.venv/|\"$PWD/.venv/|g" -e "s|\"directory\": \"workers\"|\"directory\": \"$PWD/Scenarios/workers\"|" \
  Scenarios/serve-demo.json > "$out/soak.json"
.build/release/headroom serve "$out/soak.json" --plan serverless --listen "127.0.0.1:$port" > "$out/serve.log" 2>"$out/serve.err" &
pid=$!
for _ in $(seq 1 300); do grep -q "^serving " "$out/serve.log" 2>/dev/null && break; sleep 0.1; done
snapshot() {  # label
  local fds threads rss workers
  fds=$(ls /proc/$pid/fd | wc -l)
  threads=$(ls /proc/$pid/task | wc -l)
  rss=$(awk '/VmRSS/ { print $2 " " $3 }' /proc/$pid/status)
  workers=$( (pgrep -f "Scenarios/workers/|awslambdaric" || true) | wc -l)
  printf "%-6s fds %4s   threads %4s   rss %10s   worker processes %3s\n" "$1" "$fds" "$threads" "$rss" "$workers"
}
# A warm-up call so the start snapshot counts a running worker's steady state.
curl -s -X POST "http://127.0.0.1:$port/v2/models/echo/infer" -d '{}' > /dev/null
sleep 6   # the warm-up instance expires: the start is scaled to zero
snapshot start
# Resident memory every 30 s during the load: growth that levels off is the allocator's
# arenas filling, growth that keeps on is a leak.
( while kill -0 "$pid" 2>/dev/null; do sleep 30; awk '/VmRSS/ { printf "%s ", $2 }' /proc/$pid/status 2>/dev/null; done ) > "$out/rss.txt" &
sampler=$!
python3 - "$port" "$seconds" "$rate" <<'PY' > "$out/load.txt"
# Open loop: Poisson arrivals at RATE/s, every 30 s a 5 s burst at 8x, each request on its
# own thread (bounded: at most 256 in flight; beyond that an arrival counts as dropped).
import http.client, json, random, sys, threading, time
port, seconds, rate = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
counts, lock, inflight = {}, threading.Lock(), threading.Semaphore(256)
def one(target):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("POST", "/v2/models/%s/infer" % target, body=b'{"text":"soak"}', headers={"Content-Type": "application/json"})
        status = c.getresponse().status
        c.close()
    except Exception as e:
        status = type(e).__name__
    with lock:
        counts[status] = counts.get(status, 0) + 1
    inflight.release()
start = time.monotonic(); t = 0.0; dropped = 0; sent = 0
while t < seconds:
    burst = (t % 30.0) < 5.0
    t += random.expovariate(rate * (8 if burst else 1))
    delay = start + t - time.monotonic()
    if delay > 0: time.sleep(delay)
    if not inflight.acquire(blocking=False): dropped += 1; continue
    sent += 1
    threading.Thread(target=one, args=(random.choice(["echo", "echo", "shout", "upper"]),), daemon=True).start()
for _ in range(256): inflight.acquire(timeout=35)
print(json.dumps({"sent": sent, "dropped_by_generator": dropped, "statuses": {str(k): v for k, v in counts.items()}}))
PY
sleep 7   # the last keep-alive expiries
kill "$sampler" 2>/dev/null || true
snapshot end
echo "rss every 30 s (kB): $(cat "$out/rss.txt")"
echo "load: $(cat "$out/load.txt")"
echo "instances started: $(grep -c ' starting on ' "$out/serve.log"), stopped: $(grep -c ' stopped$' "$out/serve.log")"
curl -s "http://127.0.0.1:$port/metrics" | grep -E '^headroom_(requests_total|worker_failures_total|cold_starts_total)' || true
kill -TERM "$pid"; wait "$pid"; pid=""
echo "after stop: worker processes $( (pgrep -f "Scenarios/workers/|awslambdaric" || true) | wc -l)"
