#!/usr/bin/env bash
# LLM engine speed: `headroom run` as a user runs it (start-up, simulation, every report file
# written), as whole processes, three runs each, on
#   1. Vidur's workload (../shared/reference/llm-vidur.md): Llama-2-7B on one A100, vLLM
#      scheduler, batch cap 128, 4,096 tokens per batch, 1,000 Poisson arrivals of 512 + 128
#      tokens at 8 req/s (the middle of Vidur's three load levels);
#   2. one hour of the Azure LLM conversation trace on a 1-16 GPU elastic plan
#      (Benchmarks/llm-elastic-16.json), as recorded and 16 times as fast, looped for the hour;
#   3. one hour of the Mooncake conversation trace (bundled) on eight H100s with prefix caching
#      behind the cache-aware router (Benchmarks/llm-mooncake-8.json);
#   4. the same hour on eight H100s disaggregated: four prefill instances, four decode
#      instances pulling the KV caches over the network (Benchmarks/llm-mooncake-pd-8.json).
# Prints the median wall time, requests, iterations per second and peak resident memory.
#
#   Benchmarks/llm-speed.sh
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product headroom >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=.build/release/headroom
trace=../shared/traces/AzureLLMInferenceTrace_conv.csv
[ -f "$trace" ] || { echo "llm-speed: $trace is missing (../shared beside the checkout)" >&2; exit 1; }
cat > "$work/vidur.json" <<'JSON'
{ "name": "vidur-workload", "seed": 42, "duration": 125,
  "hardware": { "gpu.a100": { "vcpus": 12, "memoryGiB": 85, "gpus": 1, "pricePerHour": 3.67 } },
  "models": { "llama": { "requires": { "vcpus": 8, "memoryGiB": 64, "gpus": 1 },
              "engine": { "kind": "continuous-batching", "profile": "vidur/llama-2-7b/a100", "maxSequences": 128, "maxBatchTokens": 4096 } } },
  "workload": [ { "kind": "poisson", "rate": 8, "target": "llama", "tokens": { "input": 512, "output": 128 } } ],
  "slo": { "timeout": "1h" },
  "plans": { "vidur": { "policy": "traditional", "nodes": { "gpu.a100": 1 }, "instances": { "llama": 1 } } } }
JSON
now() { date +%s.%N; }
field() { awk -F, -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i } NR == 2 { print $c }' "$1"; }

# three NAME SCENARIO [--set ...]: three whole runs; the median wall time.
three() {
  local name=$1 scenario=$2; shift 2
  local walls=()
  for k in 1 2 3; do
    local start; start=$(now)
    /usr/bin/time -f "%M" -o "$work/rss" "$bin" run "$scenario" "$@" --out "$work/report" >/dev/null 2>&1
    walls+=("$(echo "$(now) - $start" | bc -l)")
  done
  local wall; wall=$(printf "%s\n" "${walls[@]}" | sort -g | sed -n 2p)
  local requests; requests=$(field "$work/report/summary.csv" requests)
  local tokens; tokens=$(field "$work/report/summary.csv" output_tokens_per_s)
  local end; end=$(field "$work/report/summary.csv" end_time_s)
  printf "%s: %d requests, %.0f output tokens simulated, median wall %.3f s of (%s) = %.0f requests/s; peak RSS %d MB\n" \
    "$name" "$requests" "$(echo "$tokens * $end" | bc -l)" "$wall" "$(printf "%.3f " "${walls[@]}")" \
    "$(echo "$requests / $wall" | bc -l)" "$(( $(cat "$work/rss") / 1024 ))"
}

three "Vidur workload (8 req/s)" "$work/vidur.json"
three "Azure conv, 1 h, 16-GPU elastic" Benchmarks/llm-elastic-16.json
three "Azure conv x16, looped 1 h, 16-GPU elastic" Benchmarks/llm-elastic-16.json --set 'workload[0].speed=16' --set 'workload[0].loop=true'
three "Mooncake conv, 1 h, 8 H100, cache-aware" Benchmarks/llm-mooncake-8.json
three "Mooncake conv, 1 h, 8 H100 disaggregated 4P/4D" Benchmarks/llm-mooncake-pd-8.json
