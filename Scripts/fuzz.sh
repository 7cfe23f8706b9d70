#!/usr/bin/env bash
# Builds and runs one libFuzzer target over the project's parsers (not part of `swift test`).
#
#   Scripts/fuzz.sh TARGET [SECONDS]        (default 60 s; RUNS=N stops after N inputs instead)
#   Scripts/fuzz.sh list
#
# Targets (Fuzz/TARGET.swift, seed corpus Fuzz/corpus/TARGET/):
#   scenario   a scenario file's text: JSON reader and decoder
#   durations  duration / size / rate values, alone and inside a scenario
#   set        `--set`/`--vary` PATH=VALUE applied to a scenario
#   traces     a trace file in each of the five formats (`trace stats`)
#   http       the runtime's HTTP/1.1 request and response parser, whole vs cut in two
#   keys       an API keys file and an audit log (`serve --keys`, `audit verify`)
#
# The modules a target needs are compiled by swiftc with -sanitize=fuzzer,address (SwiftPM
# has no fuzzer mode) into .build/fuzz/, once per change of their sources. A run stops at the
# first crash, at an input slower than 1 s (-timeout=1), or past 512 MB (-rss_limit_mb), and
# leaves the input in .build/fuzz/artifacts/TARGET/; the corpus it grows is kept in
# .build/fuzz/corpus/TARGET/ (seeded from Fuzz/corpus/TARGET/). Exit status: libFuzzer's.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-}
seconds=${2:-60}
targets="scenario durations set traces http keys"
if [ -z "$target" ] || [ "$target" = list ]; then echo "$targets"; [ -n "$target" ]; exit; fi
case " $targets " in *" $target "*) ;; *) echo "fuzz: unknown target '$target' (one of: $targets)" >&2; exit 64 ;; esac

# Module build order, and each module's dependencies among them.
order="SchedulerCore Scenario Digest Planning Simulator Reports Sweep CEventLoop CWorkerSpawn Runtime"
case "$target" in
  scenario|durations) needs="Scenario" ;;
  set) needs="SchedulerCore Scenario Digest Planning Simulator Reports Sweep" ;;
  traces) needs="SchedulerCore Scenario Planning Simulator" ;;
  http|keys) needs="SchedulerCore Scenario Digest Planning CEventLoop CWorkerSpawn Runtime" ;;
esac

out=.build/fuzz
mkdir -p "$out/lib" "$out/artifacts/$target" "$out/corpus/$target"
flags=(-O -parse-as-library -enable-testing -sanitize=fuzzer,address -I "$out/lib" -I "$out/lib/CEventLoop" -I "$out/lib/CWorkerSpawn")
libs=()
built=""
for m in $order; do
  case " $needs " in *" $m "*) ;; *) continue ;; esac
  built="$built Sources/$m"
  stamp="$out/lib/$m.stamp"
  # The module's sources and those of every module before it: a change in a module it uses
  # (a changed signature) must rebuild it too, or the link fails on a stale symbol.
  sum=$(find $built -type f | sort | xargs cat | cksum | cut -d" " -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
    echo "fuzz: compiling $m" >&2
    if [ "$m" = CEventLoop ] || [ "$m" = CWorkerSpawn ]; then
      clang -O1 -g -fsanitize=fuzzer-no-link,address -I Sources/$m/include -c Sources/$m/$m.c -o "$out/lib/$m.o"
      ar rcs "$out/lib/lib$m.a" "$out/lib/$m.o"
      # A folder of its own for each C module's map (swiftc reads module.modulemap there).
      mkdir -p "$out/lib/$m"
      printf 'module %s {\n  header "%s/Sources/%s/include/%s.h"\n  export *\n}\n' "$m" "$PWD" "$m" "$m" > "$out/lib/$m/module.modulemap"
    else
      rm -f "$out/lib/lib$m.a"
      swiftc "${flags[@]}" -module-name "$m" -emit-module -emit-module-path "$out/lib/$m.swiftmodule" -emit-library -static \
        -o "$out/lib/lib$m.a" $(find Sources/"$m" -name "*.swift" | sort) 2>&1 | grep -E "error" >&2 || true
      [ -f "$out/lib/lib$m.a" ] || { echo "fuzz: $m did not compile" >&2; exit 1; }
    fi
    echo "$sum" > "$stamp"
  fi
  libs=("-l$m" "${libs[@]}")   # dependents before what they use, for the static linker
done
binary="$out/fuzz-$target"
echo "fuzz: linking $binary" >&2
swiftc "${flags[@]}" -L "$out/lib" "${libs[@]}" Fuzz/"$target".swift -o "$binary" 2>&1 | grep -E "error" >&2 || true
[ -x "$binary" ] || { echo "fuzz: $target did not link" >&2; exit 1; }
[ -d Fuzz/corpus/"$target" ] && cp -n Fuzz/corpus/"$target"/* "$out/corpus/$target/" 2>/dev/null || true
limit=(-max_total_time="$seconds")
[ -n "${RUNS:-}" ] && limit=(-runs="$RUNS")
# Swift's own crash reporter reads memory ASan has poisoned: off, so a trap shows as itself.
# Leak checks at exit are off: the Swift runtime's caches are never freed, by design.
export SWIFT_BACKTRACE=enable=no
# ASan keeps freed memory in quarantine (256 MB by default): less, so the 512 MB limit is the
# program's memory, not the sanitizer's.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=32:detect_leaks=0}
exec "$binary" "${limit[@]}" -detect_leaks=0 -timeout=1 -rss_limit_mb=512 -malloc_limit_mb=512 -max_len=8192 -print_final_stats=1 \
  -artifact_prefix="$out/artifacts/$target/" "$out/corpus/$target"
