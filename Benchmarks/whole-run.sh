#!/usr/bin/env bash
# Whole-run speed: `headroom run` as a user runs it (start-up, simulation, every report file
# written) beside a hand-written C loop doing the same M/M/c work (Benchmarks/yardstick/mmc.c,
# built here with the system C compiler), as whole processes, alternating, three pairs (or --pairs N).
# After one untimed run of each, prints each pair's rates and ratio, the median ratio, both mean waits (they agree to three
# digits: the same random streams) and Headroom's peak resident memory. Then the same for the
# serverless keep-alive workload (Scenarios/simfaas-reference.json, 5 M requests) beside
# Benchmarks/yardstick/serverless.c.
#
#   Benchmarks/whole-run.sh [HOURS] [--pairs N]
#     HOURS      simulated hours of M/M/10 at λ 9/s (default 300: ~9.7 M requests)
#     --pairs N  alternating pairs per workload (default 3, the goal's measure). On a shared VM
#                whose speed drifts by a third within minutes, three pairs resolve a ratio to
#                about ±0.05; with more, the quartiles of the ratios are printed too.
set -euo pipefail
cd "$(dirname "$0")/.."
hours=300
count=3
while [ $# -gt 0 ]; do
  case $1 in
    --pairs) [ $# -ge 2 ] && [ "$2" -ge 1 ] 2>/dev/null || { echo "Error: --pairs needs a count of 1 or more" >&2; exit 64; }
             count=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) [ "$1" -gt 0 ] 2>/dev/null || { echo "Error: '$1' is not a number of hours; usage: Benchmarks/whole-run.sh [HOURS] [--pairs N]" >&2; exit 64; }
       hours=$1; shift ;;
  esac
done
swift build -c release --product headroom >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The faster of two builds: on some machines -march=native is four times slower (on this
# project's 2-core VM, glibc's log pays an AVX-SSE transition on every call: 2.8 M req/s
# against 11.2 M with plain -O3). A yardstick is as fast as C gets.
cc -O3 -o "$work/mmc-o3" Benchmarks/yardstick/mmc.c -lm
cc -O3 -march=native -o "$work/mmc-native" Benchmarks/yardstick/mmc.c -lm
best=0
for build in o3 native; do
  rate=$("$work/mmc-$build" 2000000 10 9 1 42 | awk '/^requests_per_s/ { print $2 }')
  if [ "${rate%.*}" -gt "$best" ]; then best=${rate%.*}; cp "$work/mmc-$build" "$work/mmc"; chosen=$build; fi
done
echo "C yardstick: cc -O3$([ "$chosen" = native ] && echo " -march=native") (the faster build here)"
cc -O3 -o "$work/serverless" Benchmarks/yardstick/serverless.c -lm
bin=.build/release/headroom
now() { date +%s.%N; }
field() { awk -F, -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i } NR == 2 { print $c }' "$1"; }

# pairs NAME SCENARIO DURATION C_COMMAND... : $count alternating pairs of whole processes.
pairs() {
  local name=$1 scenario=$2 duration=$3; shift 3
  local ratios=()
  # One untimed run of each first, as headroom-bench warms up: the first pair of a cold start
  # (binary and libraries not yet in the page cache) measured slowest in every session.
  "$bin" run "$scenario" --set "duration=$duration" --out "$work/report" >/dev/null 2>&1 || [ $? -eq 1 ]
  "$@" 1000000 >/dev/null
  for pair in $(seq "$count"); do
    local start; start=$(now)
    # Exit 1 is a gate of the scenario failing at another duration: the run itself is whole.
    /usr/bin/time -f "%M %U %S" -o "$work/rss" "$bin" run "$scenario" --set "duration=$duration" --out "$work/report" >/dev/null 2>&1 || [ $? -eq 1 ]
    local h_s; h_s=$(echo "$(now) - $start" | bc -l)
    local requests; requests=$(field "$work/report/summary.csv" requests)
    start=$(now)
    "$@" "$requests" >"$work/c.txt"
    local c_s; c_s=$(echo "$(now) - $start" | bc -l)
    local h_rate c_rate ratio
    h_rate=$(echo "$requests / $h_s" | bc -l); c_rate=$(echo "$requests / $c_s" | bc -l); ratio=$(echo "$h_rate / $c_rate" | bc -l)
    ratios+=("$ratio")
    # CPU time beside wall time: a one-plan run draws its arrivals and service-time uniforms
    # ahead on a second thread (SourcePrefetch, StreamPrefetch), so it may use more CPU than
    # wall time; the ratio is of wall times, what a user waits for.
    read -r rss user sys < <(tail -1 "$work/rss")
    printf "%s pair %d: %d requests; headroom run %.2f s = %.2f M req/s (CPU %.2f s, peak RSS %d MB); C yardstick %.2f s = %.2f M req/s; ratio %.3f\n" \
      "$name" "$pair" "$requests" "$h_s" "$(echo "$h_rate / 1000000" | bc -l)" "$(echo "$user + $sys" | bc -l)" "$(( rss / 1024 ))" \
      "$c_s" "$(echo "$c_rate / 1000000" | bc -l)" "$ratio"
  done
  case $name in
    mmc) echo "  mean wait: headroom $(field "$work/report/summary.csv" wait_mean_s), C $(awk '/^wait_mean_s/ { print $2 }' "$work/c.txt")" ;;
    serverless) echo "  cold starts: headroom $(field "$work/report/summary.csv" cold_starts), C $(awk '/^cold_starts/ { print $2 }' "$work/c.txt");" \
                     "mean instances: headroom $(field "$work/report/summary.csv" instances_mean), C $(awk '/^instances_mean/ { print $2 }' "$work/c.txt")" ;;
  esac
  # The median (the mean of the middle two for an even count); quartiles from four pairs on.
  printf "%s\n" "${ratios[@]}" | sort -g | awk -v name="$name" '
    { r[NR] = $1 }
    END {
      median = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
      printf "%s median ratio (headroom run / C yardstick) of %d pairs: %.3f", name, NR, median
      if (NR >= 4) printf " (quartiles %.3f-%.3f)", r[int((NR + 3) / 4)], r[int((3 * NR + 3) / 4)]
      printf "\n"
    }'

}

# The C program takes the request count last: the same arrivals as the run's.
mmc() { "$work/mmc" "$1" 10 9 1 42; }
serverless() { "$work/serverless" "$1" 0.9 1.991 0.253 600 42; }
pairs mmc Scenarios/mmc-validation.json "${hours}h" mmc
pairs serverless Scenarios/simfaas-reference.json 5555556s serverless
