#!/usr/bin/env bash
# Regenerates the accuracy envelope in docs/accuracy.md: runs `headroom calibrate` on each
# calibrate-*.json scenario (real workers on this machine, each under two minutes), then
# replaces the table between the accuracy markers with the errors measured now and the
# machine they were measured on. Reports go to Reports/accuracy/<scenario>/.
#
#   Scripts/accuracy.sh [SCENARIO ...]     (default: Scenarios/calibrate-*.json)
#   RUNS=n Scripts/accuracy.sh              measured runs pooled per scenario (default 3)
#   TABLE_ONLY=1 Scripts/accuracy.sh        rebuild the table from the reports already there
#                                           (after fixing one scenario and measuring it alone)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product headroom >/dev/null
bin=.build/release/headroom
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(Scenarios/calibrate-*.json)

# A scenario whose workers run in the project's virtual environment needs it before twenty
# minutes of measuring the others are spent.
if [ -z "${TABLE_ONLY:-}" ]; then
  for s in "${scenarios[@]}"; do
    if grep -q '\.venv/bin/python3' "$s" && ! [ -x .venv/bin/python3 ]; then
      echo "accuracy: $s runs its workers with .venv/bin/python3, which is not there: run Scripts/ci-tools.sh first (it installs scikit-learn and the other Python packages into .venv)" >&2
      exit 1
    fi
  done
fi
mkdir -p Reports/accuracy
table=$(mktemp)
trap 'rm -f "$table"' EXIT
for s in "${scenarios[@]}"; do
  name=$(basename "$s" .json)
  out=Reports/accuracy/$name
  start=$(date +%s)
  # Exit 1 is a failed accuracy gate: the table shows it; anything else is an error.
  if [ -z "${TABLE_ONLY:-}" ]; then
    "$bin" calibrate "$s" --runs "${RUNS:-3}" --out "$out" >"$out.txt" 2>"$out.err" || [ $? -eq 1 ] || { cat "$out.err" >&2; exit 1; }
  elif [ ! -f "$out/accuracy.csv" ]; then
    echo "accuracy: no $out/accuracy.csv to rebuild the table from: measure $s first (Scripts/accuracy.sh $s)" >&2
    exit 1
  fi
  secs=$(( $(date +%s) - start ))
  # One row per plan-wide metric: target, simulated, measured, error, measured 95 % interval.
  awk -F, -v scenario="$name" -v secs="$secs" '
    function ms(x) { return x == "" ? "–" : (x >= 1 ? sprintf("%.2f s", x) : sprintf("%.1f ms", x * 1000)) }
    function num(x) { return x == "" ? "–" : (x == int(x) ? sprintf("%d", x) : sprintf("%.1f", x)) }
    function pct(x) { return x == "" ? "–" : sprintf("%+.1f %%", x * 100) }
    function abs(x) { return x < 0 ? -x : x }
    # The CPU measured of each model (and the load beside the workers): measured only.
    NR > 1 && ($3 == "cpu_per_request_s" || $3 == "cpu_per_start_s" || $3 == "background_vcpus") {
      what = $3 == "background_vcpus" ? "background_vcpus" : $3 " (" $2 ")"
      shown = $3 == "background_vcpus" ? sprintf("%.2f cores", $5) : ms($5)
      printf "| %s | %s | – | %s | | | | | | measured |\n", scenario, what, shown
      next
    }
    # The service times of requests that shared their worker process (a model held to its
    # cores below its requests'"'"' threads): where that sharing is modelled, not judged.
    NR > 1 && $3 ~ /^shared_service_p/ {
      ci = ($7 != "") ? ms($7) " – " ms($8) : ""
      printf "| %s | %s (%s) | %s | %s | %s | %s | | %s | %s | not judged |\n", scenario, $3, $2, ms($4), ms($5), pct($6), ci, ($11 == "" ? "" : ms($11)), ($12 == "" ? "" : pct($12))
      next
    }
    NR == 1 || $2 != "" { next }
    $3 == "requests" || $3 == "cold_starts" || $3 ~ /^latency_p/ || $3 ~ /^(ttft|tpot)_p/ || $3 == "instance_seconds" || $3 == "throttled_per_request_s" {
      bound = ""; verdict = ""
      # The contention issue'"'"'s targets: p50 5 %, p95 10 %, p99 15 %, cold starts 10 % or 2;
      # an LLM'"'"'s medians as latency'"'"'s, its 90th percentiles 10 %.
      if ($3 == "latency_p50_s" || $3 == "ttft_p50_s" || $3 == "tpot_p50_s") bound = 0.05
      else if ($3 == "latency_p95_s" || $3 == "ttft_p90_s" || $3 == "tpot_p90_s") bound = 0.10
      else if ($3 == "latency_p99_s") bound = 0.15
      else if ($3 == "instance_seconds") bound = 0.05
      else if ($3 == "cold_starts") bound = ($5 < 20 ? "abs2" : 0.10)
      # Judged on the drawn simulations and, where there are some, on the replayed ones.
      replayed = verdict = ""
      if (bound == "abs2") { verdict = (abs($4 - $5) <= 2 ? "met" : "missed"); if ($11 != "") replayed = (abs($11 - $5) <= 2 ? "met" : "missed") }
      else if (bound != "") {
        if ($6 != "") verdict = (abs($6) <= bound ? "met" : "missed")
        if ($12 != "") replayed = (abs($12) <= bound ? "met" : "missed")
      }
      noise = ""
      if (verdict == "missed" && $9 != "" && $5 >= $9 && $5 <= $10) noise = ", measured inside the simulated runs'"'"' range"
      if (replayed == "") judged = verdict (noise == "" ? "" : " (" substr(noise, 3) ")")
      else if (replayed == verdict) judged = verdict
      else judged = "replayed " replayed "; drawn " verdict noise
      lat = ($3 ~ /_s$/)
      v = lat ? ms($4) " | " ms($5) : num($4) " | " num($5)
      ci = ($7 != "") ? ms($7) " – " ms($8) : ""
      runs = ($9 != "") ? (lat ? ms($9) " – " ms($10) : num($9) " – " num($10)) : ""
      rv = ($11 == "") ? "" : (lat ? ms($11) : num($11))
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", scenario, $3, v, pct($6), ci, runs, rv, ($12 == "" ? "" : pct($12)), judged
    }' "$out/accuracy.csv" >>"$table"
  echo "$name: ${secs} s, $(head -1 "$out.txt")" >&2
done

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
machine="$(nproc) cores ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(swift --version 2>&1 | head -1 | sed 's/ (.*//'), $(python3 --version 2>&1)"
generated=$(mktemp)
{
  echo "<!-- accuracy:begin (generated by Scripts/accuracy.sh; edit outside the markers) -->"
  echo
  echo "Measured $(date -u +%Y-%m-%d) on $machine."
  echo "Measured: ${RUNS:-3} runs of each scenario with real workers, pooled (latencies pooled, counts averaged)."
  echo "Simulated (drawn): the calibrated scenario, 20 replications with the same arrivals and independent draws of service and start times, pooled the same way."
  echo "Replayed: the calibrated scenario driven by each measured run's own requests, each with the service time measured of it, each cold start with the time measured of the run's start of the same number ($(( (20 + ${RUNS:-3} - 1) / ${RUNS:-3} )) simulations a run, pooled; requests that shared their worker process, and an LLM engine's or a pipeline's, drawn)."
  echo "Measured 95 % interval: of the pooled measured percentile, from its order statistics. Simulated runs: the metric's 2.5th–97.5th percentile over the 20 replications (how much one run varies)."
  echo
  echo "| scenario | metric | simulated | measured | error | measured 95 % interval | simulated runs | replayed | replayed error | target |"
  echo "| --- | --- | ---: | ---: | ---: | --- | --- | ---: | ---: | --- |"
  cat "$table"
  echo
  echo "<!-- accuracy:end -->"
} >"$generated"
doc=docs/accuracy.md
if grep -q '<!-- accuracy:begin' "$doc" 2>/dev/null; then
  awk -v gen="$generated" '
    /<!-- accuracy:begin/ { while ((getline line < gen) > 0) print line; skip = 1; next }
    /<!-- accuracy:end/ { skip = 0; next }
    !skip { print }' "$doc" >"$doc.tmp" && mv "$doc.tmp" "$doc"
else
  cat "$generated" >>"$doc"
fi
rm -f "$generated"
echo "updated $doc" >&2
