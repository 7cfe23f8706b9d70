#!/usr/bin/env bash
# Load benchmark of `headroom serve` (not a test): wrk (Debian package) with 64 connections
# against a trivial HTTP worker, first directly, then through Headroom serving one instance
# of the same worker. Prints throughput, latency percentiles and errors of both, and the
# ratio. Loopback only; every process it starts is stopped on exit.
#
#   Benchmarks/serve-wrk.sh [SECONDS] [CONNECTIONS] [WORKER]
#
# Defaults: 30 s, 64 connections, WORKER asyncio. Workers (both trivial, both Python):
#   asyncio  Benchmarks/trivial_worker.py — a fixed answer from an asyncio loop (~75 k req/s
#            on 2 cores: the fastest Python gets; the runtime's overhead shows most here)
#   stdlib   Scenarios/workers/echo.py with MEAN_MS=0 — http.server, as simple model
#            servers are written
# Each is also measured on one connection (a third of SECONDS, at least 2 s): the latency a
# request sees when nothing queues, so the runtime's own added latency shows.
# When nginx is installed (Debian nginx-light), the same hop through nginx is measured too:
# the yardstick of what a production proxy costs on this machine (NO_NGINX=1 skips it).
# AUDIT=1 serves with --audit-log (and --audit-key): prints the records written per second
# and times `headroom audit verify` on the log the run wrote.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
connections=${2:-64}
worker=${3:-asyncio}
quiet=$(( seconds / 3 > 2 ? seconds / 3 : 2 ))   # the one-connection passes
nginx=""
[ -z "${NO_NGINX:-}" ] && nginx=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null || true)
case "$worker" in
  asyncio) worker_command=(python3 Benchmarks/trivial_worker.py) ;;
  stdlib) worker_command=(env MEAN_MS=0 python3 Scenarios/workers/echo.py) ;;
  *) echo "serve-wrk: unknown worker '$worker' (asyncio or stdlib)" >&2; exit 2 ;;
esac
command -v wrk >/dev/null || { echo "serve-wrk: wrk is not installed (apt-get install wrk)" >&2; exit 2; }
swift build -c release --product headroom >/dev/null
out=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$out"; }
trap cleanup EXIT
free_port() { python3 Scripts/free-port.py; }
wait_port() { for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; exit 1; }
cat > "$out/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1.0]}]}'
wrk.headers["Content-Type"] = "application/json"
LUA
summarise() {  # label, wrk output file
  awk -v label="$1" '
    /Requests\/sec/ { rps = $2 }
    /^ +50%/ { p50 = $2 } /^ +90%/ { p90 = $2 } /^ +99%/ { p99 = $2 }
    /requests in/ { total = $1 }
    /Non-2xx or 3xx responses/ { non2xx = $5 }
    /Socket errors/ { errors = $0 }
    END { printf "%-16s %10s req/s   p50 %8s   p90 %8s   p99 %8s   requests %s   non-2xx %s   %s\n", label, rps, p50, p90, p99, total, (non2xx == "" ? 0 : non2xx), (errors == "" ? "socket errors 0" : errors) }' "$2"
}

port=$(free_port)
PORT=$port "${worker_command[@]}" & pids+=($!)
worker_pid=$!
wait_port "$port"
worker_port=$port
echo "worker: $worker" >&2
echo "direct:  wrk -t2 -c$connections -d${seconds}s against the worker on :$port" >&2
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$out/post.lua" "http://127.0.0.1:$port/v2/models/trivial/infer" > "$out/direct.txt"
echo "direct, one connection: wrk -t1 -c1 -d${quiet}s" >&2
wrk -t1 -c1 -d"${quiet}s" --latency -s "$out/post.lua" "http://127.0.0.1:$port/v2/models/trivial/infer" > "$out/direct1.txt"
if [ -n "$nginx" ]; then
  # The same hop through a production proxy, as the yardstick of what any proxy costs here:
  # one nginx worker process, keep-alive to the worker, no access log.
  nport=$(free_port)
  mkdir -p "$out/nginx"
  cat > "$out/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $out/nginx/nginx.pid;
error_log $out/nginx/error.log;
daemon off;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $out/nginx/body;
  proxy_temp_path $out/nginx/proxy;
  upstream worker { server 127.0.0.1:$worker_port; keepalive 64; }
  server {
    listen 127.0.0.1:$nport;
    location / { proxy_pass http://worker; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
CONF
  "$nginx" -c "$out/nginx/nginx.conf" 2>/dev/null & pids+=($!)
  wait_port "$nport"
  echo "nginx:   wrk -t2 -c$connections -d${seconds}s against nginx on :$nport, proxying to the worker" >&2
  wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$out/post.lua" "http://127.0.0.1:$nport/v2/models/trivial/infer" > "$out/nginx.txt"
  wrk -t1 -c1 -d"${quiet}s" --latency -s "$out/post.lua" "http://127.0.0.1:$nport/v2/models/trivial/infer" > "$out/nginx1.txt"
fi
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()

port=$(free_port)
scenario=Benchmarks/serve-bench.json
if [ "$worker" = stdlib ]; then
  # The same plan with the standard-library worker (its path made absolute for the copy).
  sed -e "s|\"command\": \\[\"python3\", \"trivial_worker.py\"\\]|\"command\": [\"python3\", \"$PWD/Scenarios/workers/echo.py\"], \"env\": {\"MEAN_MS\": 0}|" \
    Benchmarks/serve-bench.json > "$out/serve-bench.json"
  grep -q echo.py "$out/serve-bench.json" || { echo "serve-wrk: could not make the stdlib scenario" >&2; exit 1; }
  scenario="$out/serve-bench.json"
fi
audit_args=()
[ -n "${AUDIT:-}" ] && audit_args=(--audit-log "$out/audit.jsonl" --audit-key "$out/audit.key")
.build/release/headroom serve "$scenario" --plan reserved --listen "127.0.0.1:$port" "${audit_args[@]}" > "$out/serve.log" & pids+=($!)
wait_port "$port"
echo "through: wrk -t2 -c$connections -d${seconds}s against headroom serve on :$port" >&2
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$out/post.lua" "http://127.0.0.1:$port/v2/models/trivial/infer" > "$out/headroom.txt"
echo "through, one connection: wrk -t1 -c1 -d${quiet}s" >&2
wrk -t1 -c1 -d"${quiet}s" --latency -s "$out/post.lua" "http://127.0.0.1:$port/v2/models/trivial/infer" > "$out/headroom1.txt"
curl -s "http://127.0.0.1:$port/metrics" > "$out/metrics.txt" || true
kill -TERM "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true; pids=()

echo "$connections connections:"
summarise direct "$out/direct.txt"
summarise "through headroom" "$out/headroom.txt"
[ -n "$nginx" ] && summarise "through nginx" "$out/nginx.txt"
direct=$(awk '/Requests\/sec/ { print $2 }' "$out/direct.txt")
through=$(awk '/Requests\/sec/ { print $2 }' "$out/headroom.txt")
awk -v d="$direct" -v t="$through" 'BEGIN { printf "ratio (through / direct): %.3f\n", t / d }'
if [ -n "$nginx" ]; then
  proxied=$(awk '/Requests\/sec/ { print $2 }' "$out/nginx.txt")
  awk -v d="$direct" -v t="$proxied" 'BEGIN { printf "ratio (nginx / direct):   %.3f\n", t / d }'
  # The same hop's yardstick: on a machine where wrk, the worker and the proxy share the
  # cores, no proxy reaches the direct rate, so this ratio is what carries from run to run.
  awk -v n="$proxied" -v t="$through" 'BEGIN { printf "ratio (through / nginx):  %.3f\n", t / n }'
fi
echo "one connection (unloaded):"
summarise direct "$out/direct1.txt"
summarise "through headroom" "$out/headroom1.txt"
[ -n "$nginx" ] && summarise "through nginx" "$out/nginx1.txt"
us() { awk '/^ +50%/ { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); print v } else if (v ~ /ms$/) { sub(/ms$/, "", v); print v * 1000 } else { sub(/s$/, "", v); print v * 1e6 } }' "$1"; }
awk -v a="$(us "$out/direct1.txt")" -v b="$(us "$out/headroom1.txt")" -v c="$(us "$out/direct.txt")" -v d="$(us "$out/headroom.txt")" \
  'BEGIN { printf "added median latency: %.0f us on one connection, %.0f us on %d\n", b - a, d - c, '"$connections"' }'
echo "headroom's own count of the requests it answered:"
grep -E '^headroom_requests_total|^headroom_rejections_total' "$out/metrics.txt" || true
if [ -n "${AUDIT:-}" ]; then
  records=$(grep -c '"type":"request"' "$out"/audit.jsonl* | awk -F: '{ s += $NF } END { print s }')
  echo "audit: $records records in $(ls "$out"/audit.jsonl* | wc -l) file(s), $(du -cb "$out"/audit.jsonl* | tail -1 | cut -f1) bytes; $(awk -v r="$records" -v s="$seconds" 'BEGIN { printf "%.0f", r / s }') records/s"
  start=$(date +%s.%N)
  .build/release/headroom audit verify "$out"/audit.jsonl* --audit-key "$out/audit.key"
  awk -v a="$start" -v b="$(date +%s.%N)" -v r="$records" 'BEGIN { printf "audit verify: %.2f s, %.0f records/s\n", b - a, r / (b - a) }'
fi
