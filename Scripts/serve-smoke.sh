#!/usr/bin/env bash
# End-to-end check of `headroom serve` on the bundled demo, as a user runs it: every model of
# Scenarios/serve-demo.json served with its real worker (Python stdlib, a Lambda handler
# through awslambdaric, scikit-learn, a shell script), each target called over HTTP, the live
# /metrics checked by promtool (the audit log's counters included), SIGTERM, the audit log
# verified and the decision log replayed. Loopback only; every process it starts is stopped
# on exit.
#
#   Scripts/serve-smoke.sh [PLAN] [HEADROOM]    (default: reserved, .build/debug/headroom)
set -euo pipefail
cd "$(dirname "$0")/.."
plan=${1:-reserved}
headroom=${2:-.build/debug/headroom}
out=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$out"; }
trap cleanup EXIT
# Port 0: serve binds a port of the kernel's choice and says which (a port chosen here and
# bound later could be taken in between).
"$headroom" serve Scenarios/serve-demo.json --plan "$plan" --listen "127.0.0.1:0" --decision-log "$out/decisions.jsonl" \
  --audit-log "$out/audit.jsonl" > "$out/serve.log" 2>"$out/serve.err" &
pid=$!
for _ in $(seq 1 600); do grep -q "^serving " "$out/serve.log" 2>/dev/null && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
grep -q "^serving " "$out/serve.log" || { echo "serve-smoke: serve did not start"; cat "$out/serve.log" "$out/serve.err"; exit 1; }
port=$(sed -n 's|^serving .* on http://127\.0\.0\.1:\([0-9][0-9]*\)$|\1|p' "$out/serve.log" | head -1)
[ -n "$port" ] || { echo "serve-smoke: serve did not say its port"; cat "$out/serve.log"; exit 1; }
fail=0
call() {  # path body expected-substring
  local got
  got=$(curl -sS --max-time 60 -X POST "http://127.0.0.1:$port$1" -H 'Content-Type: application/json' -d "$2" -w ' HTTP%{http_code}') || got="curl failed"
  if [[ "$got" == *"$3"* && "$got" == *HTTP200 ]]; then echo "ok    POST $1 -> ${got:0:100}"; else echo "FAIL  POST $1 -> $got"; fail=1; fi
}
call /v2/models/echo/infer '{"text":"great"}' '"echo": {"text": "great"}'
call /2015-03-31/functions/upper/invocations '{"text":"great"}' '"upper": "GREAT"'
call /v2/models/iris/infer '{"features":[6.7,3.0,5.2,2.3]}' '"species": "virginica"'
call /v2/models/shout/infer '{"x":1}' '"model": "shout"'
call /v2/models/echo-upper/infer '{"text":"pipe"}' '"upper":'
call /v2/models/fan-in/infer '{"text":"fan"}' '"upper": "{\"ECHO\": {\"MODEL\": \"ECHO\"'
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/v2/models/nope/infer")
[ "$code" = 404 ] && echo "ok    unknown target -> 404" || { echo "FAIL  unknown target -> $code"; fail=1; }
curl -s "http://127.0.0.1:$port/metrics" > "$out/metrics.txt"
if command -v promtool >/dev/null 2>&1; then
  if promtool check metrics < "$out/metrics.txt"; then echo "ok    promtool check metrics ($(grep -c '^headroom_' "$out/metrics.txt") samples)"; else echo "FAIL  promtool check metrics"; fail=1; fi
else
  echo "skip  promtool not installed: metrics format not checked"
fi
children=$(pgrep -P "$pid" || true)   # the workers: this server's own child processes
kill -TERM "$pid"
wait "$pid" && status=0 || status=$?
pid=""
[ "$status" = 0 ] && echo "ok    SIGTERM -> drained, exit 0 ($(grep -E '^stopped [0-9]+ worker' "$out/serve.log"))" || { echo "FAIL  serve exited $status"; fail=1; }
grep -E "ready in" "$out/serve.log" | sed 's/^/      /'
# Every request above (the 404 too) has its record, and the chain holds.
if "$headroom" audit verify "$out/audit.jsonl" > "$out/verify.txt" 2>&1; then echo "ok    audit: $(head -1 "$out/verify.txt")"; else echo "FAIL  audit: $(cat "$out/verify.txt")"; fail=1; fi
if "$headroom" replay "$out/decisions.jsonl" > "$out/replay.txt"; then echo "ok    $(cat "$out/replay.txt")"; else echo "FAIL  $(cat "$out/replay.txt")"; fail=1; fi
leftover=""
for c in $children; do kill -0 "$c" 2>/dev/null && leftover="$leftover $c"; done
[ -z "$leftover" ] && echo "ok    none of its $(echo $children | wc -w) worker processes left" || { echo "FAIL  worker processes left:$leftover"; fail=1; }
[ "$fail" = 0 ] && echo "serve-smoke: passed" || { echo "serve-smoke: FAILED"; tail -20 "$out/serve.err"; exit 1; }
