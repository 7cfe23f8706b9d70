#!/usr/bin/env bash
# Whole-run speed: `headroom run` as a user runs it (start-up, simulation, every report file
# written) beside a hand-written C loop doing the same M/M/c work (Benchmarks/yardstick/mmc.c,
# built here with the system C compiler), as whole processes, alternating, three pairs.
# Prints each pair's rates and ratio, the median ratio, both mean waits (they agree to three
# digits: the same random streams) and Headroom's peak resident memory.
#
#   Benchmarks/whole-run.sh [HOURS]     simulated hours of M/M/10 at λ 9/s (default 300: ~9.7 M requests)
set -euo pipefail
cd "$(dirname "$0")/.."
hours=${1:-300}
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
bin=.build/release/headroom
scenario=Scenarios/mmc-validation.json
now() { date +%s.%N; }
ratios=()
for pair in 1 2 3; do
  start=$(now)
  /usr/bin/time -f "%M" -o "$work/rss" "$bin" run "$scenario" --set "duration=${hours}h" --out "$work/report" >/dev/null
  headroom_s=$(echo "$(now) - $start" | bc -l)
  requests=$(awk -F, 'NR == 2 { print $4 }' "$work/report/summary.csv")
  wait_h=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "wait_mean_s") c = i } NR == 2 { print $c }' "$work/report/summary.csv")
  start=$(now)
  "$work/mmc" "$requests" 10 9 1 42 >"$work/c.txt"
  c_s=$(echo "$(now) - $start" | bc -l)
  wait_c=$(awk '/^wait_mean_s/ { print $2 }' "$work/c.txt")
  h_rate=$(echo "$requests / $headroom_s" | bc -l)
  c_rate=$(echo "$requests / $c_s" | bc -l)
  ratio=$(echo "$h_rate / $c_rate" | bc -l)
  ratios+=("$ratio")
  printf "pair %d: %d requests; headroom run %.2f s = %.2f M req/s (peak RSS %d MB); C yardstick %.2f s = %.2f M req/s; ratio %.3f; mean wait %s vs %s\n" \
    "$pair" "$requests" "$headroom_s" "$(echo "$h_rate / 1000000" | bc -l)" "$(( $(cat "$work/rss") / 1024 ))" \
    "$c_s" "$(echo "$c_rate / 1000000" | bc -l)" "$ratio" "$wait_h" "$wait_c"
done
median=$(printf "%s\n" "${ratios[@]}" | sort -g | sed -n 2p)
printf "median ratio (headroom run / C yardstick): %.3f\n" "$median"
