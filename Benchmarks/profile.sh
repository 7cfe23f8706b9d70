#!/usr/bin/env bash
# Regenerates Benchmarks/profile/headroom.profdata, the execution profile that release builds
# of the engine (SchedulerCore, Planning, Simulator) are optimised with (LLVM's IR-level
# profile-guided optimisation: Package.swift passes -ir-profile-use). Run it after changing
# the engine: a function whose control flow changed since the profile was taken is compiled
# as if it had none (silently), so the speed it gave fades with each change.
#
# It builds an instrumented `headroom` (HEADROOM_PROFILE_USE=0: no profile used while
# taking one), runs every bundled scenario with `headroom run` (those that replay the real
# trace only when ../shared/traces is beside the checkout) and the two whole-run benchmark
# workloads (M/M/10 for 100 simulated hours, the serverless keep-alive scenario), merges the
# counts, and records which engine sources they came from (SOURCES.sha256, which `.ci/run`
# compares with the tree). The outputs of the runs are thrown away.
#
#   Benchmarks/profile.sh            regenerate
#   Benchmarks/profile.sh --check    only say whether the profile matches the engine sources
set -euo pipefail
cd "$(dirname "$0")/.."
folder=Benchmarks/profile
sources_hash() { cat $(ls Sources/SchedulerCore/*.swift Sources/Planning/*.swift Sources/Simulator/*.swift | LC_ALL=C sort) | sha256sum | cut -d' ' -f1; }
if [ "${1:-}" = --check ]; then
  if [ "$(cat "$folder/SOURCES.sha256" 2>/dev/null)" = "$(sources_hash)" ]; then
    echo "profile: taken from the current engine sources"
  else
    echo "profile: the engine sources changed since it was taken; run Benchmarks/profile.sh to regenerate it (release builds are slower until then)"
  fi
  exit 0
fi
[ $# -eq 0 ] || { echo "Error: unknown argument '$1'; usage: Benchmarks/profile.sh [--check]" >&2; exit 64; }

toolchain=$(dirname "$(readlink -f "$(command -v swiftc)")")
profdata=$toolchain/llvm-profdata
[ -x "$profdata" ] || profdata=$(command -v llvm-profdata) || { echo "Error: llvm-profdata not found beside swiftc or on PATH" >&2; exit 1; }
runtime=$(ls "$toolchain"/../lib/clang/*/lib/linux/libclang_rt.profile-x86_64.a 2>/dev/null | head -1)
[ -n "$runtime" ] || { echo "Error: the toolchain's profile runtime (libclang_rt.profile-x86_64.a) was not found under $toolchain/../lib/clang" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "building an instrumented headroom (about two minutes)"
HEADROOM_PROFILE_USE=0 swift build -c release --product headroom --build-path "$work/build" \
  -Xswiftc -Xfrontend -Xswiftc -ir-profile-generate="$work/raw" \
  -Xlinker "$runtime" -Xlinker -u -Xlinker __llvm_profile_runtime > "$work/build.log" 2>&1 \
  || { cat "$work/build.log"; exit 1; }
bin=$work/build/release/headroom

# run NAME ARGS...: one profiled run; exit 1 is a gate of the scenario failing, not an error.
run() {
  local name=$1; shift
  LLVM_PROFILE_FILE="$work/raw/$name-%p.profraw" "$bin" run "$@" --out "$work/out" > /dev/null 2> "$work/err" \
    || [ $? -eq 1 ] || { echo "Error: headroom run $* failed:" >&2; cat "$work/err" >&2; exit 1; }
}
runs=0
for scenario in Scenarios/*.json; do
  [ "$(basename "$scenario")" = schema.json ] && continue
  if grep -q '\.\./shared/traces\|\.\./\.\./shared/traces' "$scenario" && [ ! -d ../shared/traces ]; then
    echo "  left out $(basename "$scenario"): ../shared/traces is not beside the checkout"
    continue
  fi
  run "$(basename "$scenario" .json)" "$scenario"
  runs=$((runs + 1))
done
run whole-run-mmc Scenarios/mmc-validation.json --set duration=100h
run whole-run-serverless Scenarios/simfaas-reference.json
runs=$((runs + 2))

mkdir -p "$folder"
# Sparse: functions no run reached are left out (compiled as without a profile, not as
# cold code), and the file is a fifth of the size.
"$profdata" merge --sparse -o "$work/headroom.profdata" "$work"/raw/*.profraw
mv "$work/headroom.profdata" "$folder/headroom.profdata"
sources_hash > "$folder/SOURCES.sha256"
# SwiftPM does not know that the engine's objects depend on the profile: the release build
# folder goes, so the next release build compiles everything with the new one (debug builds,
# which use no profile, are kept).
rm -rf .build/*/release
echo "profile: $runs runs merged into $folder/headroom.profdata ($(du -k "$folder/headroom.profdata" | cut -f1) KB)"
