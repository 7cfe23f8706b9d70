#!/usr/bin/env bash
# Two builds of headroom compared as a user runs them: N back-to-back pairs of whole
# `headroom run` processes on the same scenario, the order alternating within each pair, and
# the median of B's wall time over A's with its quartiles. On a shared VM whose speed drifts
# by a third within minutes, a change of a few per cent shows only this way: the two runs of
# a pair see the same machine, and the median of many pairs discards the slow stretches.
# (Benchmarks/whole-run.sh measures one build against the C yardstick instead.)
#
#   Benchmarks/paired.sh A B [--pairs N] [--scenario FILE] [--duration D]
#     A, B        two headroom binaries (e.g. a copy of .build/release/headroom from before a
#                 change, and the one after)
#     --pairs N   pairs to run (default 15)
#     --scenario  the scenario (default Scenarios/mmc-validation.json)
#     --duration  its duration, as --set duration=D (default 100h: ~3.2 M M/M/10 requests)
#
# Both binaries must write the same summary.csv: a speed comparison of runs that differ is
# refused. Exit 0 after printing; 1 if the outputs differ; 64 for bad arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
usage() { echo "usage: Benchmarks/paired.sh A B [--pairs N] [--scenario FILE] [--duration D]" >&2; exit 64; }
[ $# -ge 2 ] || usage
a=$1 b=$2; shift 2
pairs=15 scenario=Scenarios/mmc-validation.json duration=100h
while [ $# -gt 0 ]; do
  case $1 in
    --pairs) [ $# -ge 2 ] && [ "$2" -ge 1 ] 2>/dev/null || { echo "Error: --pairs needs a count of 1 or more" >&2; exit 64; }; pairs=$2; shift 2 ;;
    --scenario) [ $# -ge 2 ] || usage; scenario=$2; shift 2 ;;
    --duration) [ $# -ge 2 ] || usage; duration=$2; shift 2 ;;
    *) echo "Error: unknown argument '$1'" >&2; usage ;;
  esac
done
for bin in "$a" "$b"; do [ -x "$bin" ] || { echo "Error: '$bin' is not an executable headroom binary" >&2; exit 64; }; done
[ -f "$scenario" ] || { echo "Error: no scenario file '$scenario'" >&2; exit 64; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run BIN TAG: one whole run; prints its wall time in ms. Exit 1 is a gate of the scenario
# failing at another duration: the run itself is whole.
run() {
  local start; start=$(date +%s%N)
  "$1" run "$scenario" --set "duration=$duration" --out "$work/$2" >/dev/null 2>"$work/$2.err" || [ $? -eq 1 ] \
    || { echo "Error: $1 failed:" >&2; cat "$work/$2.err" >&2; exit 1; }
  echo $(( ($(date +%s%N) - start) / 1000000 ))
}
# An untimed run of each first (page cache, CPU frequency), which also checks the outputs agree.
run "$a" a >/dev/null; run "$b" b >/dev/null
cmp -s "$work/a/summary.csv" "$work/b/summary.csv" || { echo "the two binaries' summary.csv differ: not the same simulation" >&2; exit 1; }
echo "$pairs pairs of '$scenario' at duration $duration: A = $a, B = $b"
for k in $(seq "$pairs"); do
  if [ $((k % 2)) = 1 ]; then ta=$(run "$a" a); tb=$(run "$b" b); else tb=$(run "$b" b); ta=$(run "$a" a); fi
  echo "$ta $tb" | awk -v k="$k" '{ printf "pair %d: A %d ms, B %d ms, B/A %.3f\n", k, $1, $2, $2 / $1 }'
  echo "$ta $tb" >> "$work/times"
done
# The median (the mean of the middle two for an even count) and quartiles, in plain awk.
awk '{ print $2 / $1, $1, $2 }' "$work/times" | sort -g | awk '
  { r[NR] = $1; sa += $2; sb += $3 }
  END {
    median = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
    printf "median B/A %.3f (quartiles %.3f-%.3f); mean A %.0f ms, B %.0f ms\n", median, r[int((NR + 3) / 4)], r[int((3 * NR + 3) / 4)], sa / NR, sb / NR
  }'
