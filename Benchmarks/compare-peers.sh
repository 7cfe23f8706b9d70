#!/usr/bin/env bash
# Runs the M/M/10 and serverless keep-alive workloads in Headroom and in the Python peer
# simulators of ../shared/peers (SimPy, plain-Python heapq, SimFaaS) in one go, and prints
# speed (simulated requests per second, wall-clock of the simulation only), peak memory and
# the agreement of their results (mean wait; cold-start probability; mean instances).
#
#   Benchmarks/compare-peers.sh [REQUESTS]      (default 1000000)
#
# The peers are installed once from PyPI into .venv-peers/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-1000000}
peers=../shared/peers
[ -d "$peers" ] || { echo "compare-peers: $peers not found (shared/ must sit beside the checkout)" >&2; exit 2; }
venv=.venv-peers
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r "$peers/requirements.txt"
fi
swift build -c release --product headroom-bench >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

run() {  # name, command...: JSON on stdout, peak RSS (KB) of the process in $out/name.rss
  local name=$1; shift
  /usr/bin/time -f "%M" -o "$out/$name.rss" "$@" > "$out/$name.json"
}
echo "running: Headroom (release), SimPy, heapq, SimFaaS — $requests requests each" >&2
run headroom-mmc .build/release/headroom-bench --only mmc --requests "$requests" --repeat 1 --json
run headroom-sls .build/release/headroom-bench --only serverless --requests "$requests" --repeat 1 --json
run simpy-mmc "$venv/bin/python" "$peers/mmc/mmc_simpy.py" --requests "$requests"
run heapq-mmc "$venv/bin/python" "$peers/mmc/mmc_heapq.py" --requests "$requests"
run simfaas-sls "$venv/bin/python" "$peers/serverless/sls_simfaas.py" --requests "$requests"
run simpy-sls "$venv/bin/python" "$peers/serverless/sls_simpy.py" --requests "$requests"

python3 - "$out" <<'PY'
import json, os, sys
d = sys.argv[1]
def load(name):
    with open(os.path.join(d, name + ".json")) as f:
        rows = [json.loads(l) for l in f if l.strip().startswith("{")]
    with open(os.path.join(d, name + ".rss")) as f:
        rss = int(f.read().split()[-1]) / 1024
    return rows[-1], rss
hm, hm_rss = load("headroom-mmc"); hs, hs_rss = load("headroom-sls")
rows = [("M/M/10", "Headroom", hm["requests_per_s"], hm_rss, f'mean wait {hm["mean wait s"]:.4f} s', None),
        ("M/M/10", "yardstick (Swift loop)", hm["yardstick_requests_per_s"], None, f'mean wait {hm["yardstick mean wait s"]:.4f} s', None)]
for name, label in [("simpy-mmc", "SimPy"), ("heapq-mmc", "Python heapq")]:
    r, rss = load(name)
    rows.append(("M/M/10", label, r["req_per_s_sim"], rss, f'mean wait {r["mean_wait"]:.4f} s',
                 (r["mean_wait"] / hm["mean wait s"] - 1) * 100))
rows.append(("serverless", "Headroom", hs["requests_per_s"], hs_rss,
             f'cold {hs["cold-start probability"]:.5f}, instances {hs["mean instances"]:.3f}', None))
rows.append(("serverless", "yardstick (Swift loop)", hs["yardstick_requests_per_s"], None,
             f'cold {hs["yardstick cold-start probability"]:.5f}, instances {hs["yardstick mean instances"]:.3f}', None))
for name, label in [("simfaas-sls", "SimFaaS"), ("simpy-sls", "SimPy")]:
    r, rss = load(name)
    rows.append(("serverless", label, r["req_per_s_sim"], rss, f'cold {r["prob_cold"]:.5f}, instances {r["inst_count_avg"]:.3f}',
                 (r["prob_cold"] / hs["cold-start probability"] - 1) * 100))
print(f'{"workload":<11} {"engine":<23} {"req/s":>12} {"Headroom is":>12} {"peak RSS":>9}  {"results":<38} {"vs Headroom":>11}')
for w, e, rate, rss, res, diff in rows:
    head = next(r[2] for r in rows if r[0] == w and r[1] == "Headroom")
    speed = "—" if e == "Headroom" else f"{head / rate:.2f}x"
    print(f'{w:<11} {e:<23} {rate:>12,.0f} {speed:>12} {"" if rss is None else f"{rss:.0f} MB":>9}  {res:<38} {"" if diff is None else f"{diff:+.1f} %":>11}')
print("req/s: simulated requests per wall-clock second of the simulation (peers: their own sim_s; Headroom: scenario text to CSV text);")
print("'vs Headroom': relative difference of the peer's mean wait (M/M/10) or cold-start probability (serverless) to Headroom's;")
print("the serverless peers draw a cold request's whole time from one exponential (mean 2.244 s), Headroom as a 253 ms init plus the warm time.")
PY
