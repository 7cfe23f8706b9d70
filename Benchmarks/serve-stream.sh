#!/usr/bin/env bash
# Streaming benchmark of `headroom serve` (not a test): server-sent events from an asyncio
# worker (Benchmarks/stream_worker.py), read by an asyncio client (Benchmarks/stream_client.py),
# first directly from the worker, then through Headroom serving one instance of it. The
# worker stamps each event with CLOCK_MONOTONIC as it writes it; the client notes when each
# arrives. Loopback only; every process it starts is stopped on exit.
#
#   Benchmarks/serve-stream.sh [STREAMS] [EVENTS] [GAP_MS]
#
# Two passes, each direct and through Headroom:
#   1. one stream of 100 events 20 ms apart, after a warm-up stream (a warm instance, its
#      connection open): each event's delay from the worker's write to the client's read
#      (median, p99), and the time to the first byte and first event;
#   2. STREAMS concurrent streams (default 500) of EVENTS events (default 200) GAP_MS apart
#      (default 50): whether every event of every stream came, in order, with each stream's
#      last chunk; the delays; how long the slowest stream took against the ideal; and
#      `headroom serve`'s peak resident memory (VmHWM) over the run.
set -euo pipefail
cd "$(dirname "$0")/.."
streams=${1:-500}
events=${2:-200}
gap=${3:-50}
swift build -c release --product headroom >/dev/null
out=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$out"; }
trap cleanup EXIT
ulimit -n 8192 2>/dev/null || true
free_port() { python3 Scripts/free-port.py; }
wait_port() { for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; exit 1; }
client() { python3 Benchmarks/stream_client.py "$@"; }
show() {  # label, client JSON
  python3 -c '
import json, sys
r = json.loads(sys.argv[2])
d, b, e = r["delay_ms"], r["ttfb_ms"], r["ttfe_ms"]
f = lambda x: "-" if x is None else "%.3f" % x
print("%-26s streams %d/%d  every event in order: %s  events %d  delay ms p50 %s p90 %s p99 %s max %s  first byte p50 %s ms  first event p50 %s ms  slowest stream %.2f s (ideal %.2f s)%s" % (
    sys.argv[1], r["finished"], r["streams"], "yes" if r["all_events_in_order"] else "NO", r["events"], f(d["p50"]), f(d["p90"]), f(d["p99"]), f(d["max"]),
    f(b["p50"]), f(e["p50"]), r["slowest_stream_s"] or 0, r["ideal_stream_s"], "" if not r["errors"] else "  errors %d: %s" % (r["errors"], r["first_error"])))
' "$1" "$2"
}

port=$(free_port)
(cd Benchmarks && PORT=$port exec python3 stream_worker.py) & pids+=($!)
wait_port "$port"
direct_url="http://127.0.0.1:$port/v2/models/stream/infer"
echo "direct: one stream of 100 events 20 ms apart, then $streams streams of $events events $gap ms apart" >&2
client "$direct_url" 1 5 1 > /dev/null   # a warm-up: the first stream opens the connections
one_direct=$(client "$direct_url" 1 100 20)
many_direct=$(client "$direct_url" "$streams" "$events" "$gap" 300)
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()

port=$(free_port)
.build/release/headroom serve Benchmarks/serve-stream.json --plan reserved --listen "127.0.0.1:$port" > "$out/serve.log" & pids+=($!)
serve_pid=$!
wait_port "$port"
url="http://127.0.0.1:$port/v2/models/stream/infer"
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/v2/models/stream/ready" >/dev/null && break; sleep 0.1; done
echo "through headroom serve: the same" >&2
client "$url" 1 5 1 > /dev/null
one_through=$(client "$url" 1 100 20)
rss_before=$(awk '/VmRSS/ { print $2 }' /proc/$serve_pid/status)
many_through=$(client "$url" "$streams" "$events" "$gap" 300)
hwm=$(awk '/VmHWM/ { print $2 }' /proc/$serve_pid/status)
curl -s "http://127.0.0.1:$port/metrics" > "$out/metrics.txt" || true
kill -TERM "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; pids=()

echo "one stream, 100 events 20 ms apart:"
show direct "$one_direct"
show "through headroom" "$one_through"
python3 -c '
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print("added by headroom: %.3f ms median per event, %.3f ms to the first byte, %.3f ms to the first event" % (
    b["delay_ms"]["p50"] - a["delay_ms"]["p50"], b["ttfb_ms"]["p50"] - a["ttfb_ms"]["p50"], b["ttfe_ms"]["p50"] - a["ttfe_ms"]["p50"]))
' "$one_direct" "$one_through"
echo "$streams concurrent streams, $events events $gap ms apart:"
show direct "$many_direct"
show "through headroom" "$many_through"
echo "headroom serve resident memory: $((rss_before / 1024)) MB before the streams, peak $((hwm / 1024)) MB"
echo "headroom's own count:"
grep -E '^headroom_streams_total|^headroom_requests_total' "$out/metrics.txt" || true
