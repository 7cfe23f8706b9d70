#!/usr/bin/env bash
# Cold-start overhead of `headroom serve` itself (not a test): the same worker's start-up
# measured directly (spawn, then a TCP connect tried every 0.5 ms until accepted) and as the
# runtime measures it (core's startInstance → ready, "ready in" in serve's output, readiness
# by TCP), over N cold starts each, alternating; prints the medians and the difference.
# Loopback only; every process it starts is stopped on exit.
#
#   Benchmarks/serve-cold-start.sh [N]      (default 15)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-15}
swift build -c release --product headroom >/dev/null
out=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$out"; }
trap cleanup EXIT
# The same interpreter, by absolute path, on both sides: `python3` on PATH may be a shim
# (pyenv's is a shell script that adds ~70 ms to every start), and a Python that runs under
# it sees another PATH than the server does.
python=$(python3 -c 'import sys; print(sys.executable)')
cat > "$out/cold.json" <<JSON
{ "name": "cold-start", "seed": 1, "duration": "1m",
  "hardware": { "cpu": { "vcpus": 2, "memoryGiB": 4, "pricePerHour": 0.1, "boot": "0s" } },
  "models": { "echo": { "requires": { "vcpus": 0.5, "memoryGiB": 0.5 }, "service": "1ms",
              "worker": { "contract": "http", "command": ["$python", "$PWD/Scenarios/workers/echo.py"], "readiness": "tcp", "stopGrace": "1s" } } },
  "workload": [ { "kind": "poisson", "target": "echo", "rate": 1 } ],
  "slo": { "timeout": "30s" },
  "plans": { "sls": { "policy": "serverless", "hosting": "self", "keepAlive": "1s", "nodes": { "cpu": { "min": 1, "max": 1 } } } } }
JSON
port=$(python3 Scripts/free-port.py)
.build/release/headroom serve "$out/cold.json" --plan sls --listen "127.0.0.1:$port" > "$out/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q "^serving " "$out/serve.log" && break; sleep 0.1; done
"$python" - "$port" "$n" "$PWD/Scenarios/workers/echo.py" "$out/serve.log" "$python" <<'PY'
import os, re, socket, statistics, subprocess, sys, time, urllib.request
port, n, worker, log, python = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
def direct():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]
    t0 = time.monotonic()
    proc = subprocess.Popen([python, worker], env=dict(os.environ, PORT=str(p)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            socket.create_connection(("127.0.0.1", p), timeout=1).close(); break
        except OSError:
            time.sleep(0.0005)
    t = time.monotonic() - t0
    proc.terminate(); proc.wait()
    return t
def through():
    t0 = time.monotonic()
    urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:%d/v2/models/echo/infer" % port, data=b"{}", method="POST")).read()
    return time.monotonic() - t0
def ready_lines():
    return [float(m.group(1)) / (1000 if m.group(2) == "ms" else 1) for m in
            re.finditer(r"ready in ([0-9.]+) (ms|s):", open(log).read())]
direct_t, first_call = [], []
for k in range(n):
    direct_t.append(direct())
    time.sleep(2.2)                     # the previous instance's keep-alive (1 s) has expired
    first_call.append(through())
runtime_t = ready_lines()
def ms(x): return "%.1f ms" % (x * 1000)
print("cold starts: %d direct, %d through headroom" % (len(direct_t), len(runtime_t)))
print("worker's own start-up (spawn -> accepts TCP), median %s  [min %s, max %s]" % (ms(statistics.median(direct_t)), ms(min(direct_t)), ms(max(direct_t))))
print("headroom: startInstance -> ready,             median %s  [min %s, max %s]" % (ms(statistics.median(runtime_t)), ms(min(runtime_t)), ms(max(runtime_t))))
print("runtime's own cold-start overhead (median difference): %s" % ms(statistics.median(runtime_t) - statistics.median(direct_t)))
print("first (cold) request end to end, median %s" % ms(statistics.median(first_call)))
PY
