#!/usr/bin/env bash
# Instructions per proxied request of `headroom serve` (not a test): serve runs under
# valgrind's callgrind while wrk (16 connections, one thread) sends requests to one instance
# of the trivial worker, twice, for SHORT and LONG seconds; the difference of the two runs'
# instruction counts over the difference of their request counts is what one request costs,
# start-up and shutdown cancelling out. A count of instructions, unlike a rate, hardly moves
# with the machine's load: it is the figure to compare before and after a change to the
# request path. Loopback only; every process it starts is stopped.
#
#   Benchmarks/serve-instructions.sh [SHORT] [LONG]      defaults 4 and 12 seconds
set -euo pipefail
cd "$(dirname "$0")/.."
short=${1:-4}
long=${2:-12}
command -v valgrind >/dev/null || { echo "serve-instructions: valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "serve-instructions: wrk is not installed (apt-get install wrk)" >&2; exit 2; }
swift build -c release --product headroom >/dev/null
out=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$out"; }
trap cleanup EXIT
# Valgrind 3.19 cannot read the DWARF 5 of the statically linked release binary ("possibly
# corrupted debuginfo"): it runs a copy without debug information, the same code.
strip --strip-debug -o "$out/headroom" .build/release/headroom
cat > "$out/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1.0]}]}'
wrk.headers["Content-Type"] = "application/json"
LUA
free_port() { python3 Scripts/free-port.py; }
measure() {   # seconds -> "requests instructions"
  local port; port=$(free_port)
  valgrind --tool=callgrind --callgrind-out-file="$out/cg.$1" "$out/headroom" serve Benchmarks/serve-bench.json \
    --plan reserved --listen "127.0.0.1:$port" > "$out/serve.$1.log" 2>&1 & pid=$!
  for _ in $(seq 1 600); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  sleep 1
  wrk -t1 -c16 -d"$1s" -s "$out/post.lua" "http://127.0.0.1:$port/v2/models/trivial/infer" > /dev/null
  local requests; requests=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^headroom_requests_total/ { s += $2 } END { print s }')
  kill -INT "$pid"; wait "$pid" || true; pid=""
  echo "$requests $(awk '/^(summary|totals):/ { print $2; exit }' "$out/cg.$1")"
}
read -r r1 i1 < <(measure "$short")
read -r r2 i2 < <(measure "$long")
echo "short run: $r1 requests, $i1 instructions"
echo "long run:  $r2 requests, $i2 instructions"
awk -v r1="$r1" -v i1="$i1" -v r2="$r2" -v i2="$i2" 'BEGIN { printf "instructions per proxied request: %.0f\n", (i2 - i1) / (r2 - r1) }'
