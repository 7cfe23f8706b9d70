#!/usr/bin/env bash
# A sharded sweep on a real batch scheduler: starts a one-node Slurm cluster from Debian's
# packages (munged, slurmctld, slurmd; one node, a debug partition, no cgroups and no
# accounting, all state in a temporary folder), runs `headroom sweep --shard I/N` as a job
# array (sbatch --wait --array=1-N, each task its SLURM_ARRAY_TASK_ID), merges the shards
# with `headroom merge`, and checks the merged sweep.csv is byte-identical to the unsharded
# sweep. Prints the time to start the cluster and to run the array; stops every daemon it
# started. Needs root (the daemons run as root here); without the packages it says so and
# exits 0. docs/ci-and-sweeps.md quotes the job script.
#
# Usage: Scripts/slurm-sweep.sh [HEADROOM] [SHARDS]   (default .build/release/headroom, 4)
set -euo pipefail
cd "$(dirname "$0")/.."
headroom=$(realpath "${1:-.build/release/headroom}")
shards=${2:-4}
for tool in munged slurmctld slurmd sbatch sinfo; do
  command -v "$tool" > /dev/null 2>&1 || { echo "slurm sweep skipped: $tool not installed (Debian slurmctld, slurmd, slurm-client, munge)"; exit 0; }
done
[ "$(id -u)" = 0 ] || { echo "slurm sweep skipped: the daemons need root"; exit 0; }

work=$(mktemp -d /tmp/headroom-slurm.XXXXXX)
chmod 755 "$work"
export SLURM_CONF="$work/slurm.conf"
cleanup() {
  for pid in "$work/slurmd.pid" "$work/slurmctld.pid" "$work/munged.pid"; do
    [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true
  done
  sleep 0.5
  for pid in "$work/slurmd.pid" "$work/slurmctld.pid" "$work/munged.pid"; do
    [ -f "$pid" ] && kill -9 "$(cat "$pid")" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# A daemon that will not start: say which, with its exit status and log, before the trap
# removes the folder holding them.
start() {
  local name=$1 log=$2
  shift 2
  "$@" && return 0
  local status=$?
  echo "slurm: $name did not start (exit $status)"
  tail -20 "$log" 2>/dev/null || true
  exit 1
}

started=$(date +%s.%N)
# munge: the key (made once, as the package's postinst would), a socket of our own.
[ -f /etc/munge/munge.key ] || mungekey --create --keyfile /etc/munge/munge.key
mkdir -p "$work/munge"
chown munge:munge "$work/munge" 2>/dev/null || true
start munged "$work/munged.log" munged --force --socket "$work/munge/munge.socket" --pid-file "$work/munged.pid" --log-file "$work/munged.log" --seed-file "$work/munge/seed"
mkdir -p "$work/state" "$work/spool"
cat > "$SLURM_CONF" <<CONF
# One node on this machine (k8s-and-batch.md §4: a Debian localhost configuration).
ClusterName=headroom
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$work/munge/munge.socket
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
NodeName=localhost CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
start slurmctld "$work/slurmctld.log" slurmctld -f "$SLURM_CONF"
start slurmd "$work/slurmd.log" slurmd -f "$SLURM_CONF" -N localhost
for _ in $(seq 1 300); do
  [ "$(sinfo -h -o %T 2>/dev/null | head -1)" = idle ] && break
  sleep 0.2
done
if [ "$(sinfo -h -o %T 2>/dev/null | head -1)" != idle ]; then
  echo "slurm: the node did not become idle within 60 s"; sinfo || true; tail -20 "$work/slurmctld.log" "$work/slurmd.log" || true; exit 1
fi
ready=$(date +%s.%N)

# The sweep: every plan of the quickstart at seven HPA targets and two seeds.
scenario=$(realpath Scenarios/quickstart.json)
vary=(--vary 'plans.autoscaled.target=0.3..0.9 step 0.1' --vary 'seed=7,8')
cat > "$work/sweep.sh" <<JOB
#!/bin/bash
#SBATCH --array=1-$shards
#SBATCH --output=$work/task-%a.out
#SBATCH --cpus-per-task=1
"$headroom" sweep "$scenario" ${vary[*]@Q} --shard "\${SLURM_ARRAY_TASK_ID}/$shards" --out "$work/shards"
JOB
sbatch --wait --quiet "$work/sweep.sh"
finished=$(date +%s.%N)
"$headroom" merge "$work"/shards/sweep.shard-*-of-"$shards".csv --out "$work/merged" > /dev/null
"$headroom" sweep "$scenario" "${vary[@]}" --out "$work/whole" > /dev/null
rows=$(($(wc -l < "$work/whole/sweep.csv") - 1))
if cmp -s "$work/merged/sweep.csv" "$work/whole/sweep.csv"; then
  awk -v a="$started" -v b="$ready" -v c="$finished" -v n="$shards" -v r="$rows" 'BEGIN {
    printf "slurm: cluster up in %.1f s; a %d-task array ran in %.1f s; the merged sweep.csv is byte-identical to the unsharded one (%d rows)\n", b - a, n, c - b, r }'
else
  echo "slurm: the merged sweep.csv differs from the unsharded one:"
  diff "$work/merged/sweep.csv" "$work/whole/sweep.csv" | head -20
  exit 1
fi
