#!/usr/bin/env bash
# Peak RSS ("Maximum resident set size" of /usr/bin/time -v) of the five queue_log reports,
# each in a fresh process: one line per report (peak RSS in KiB, wall time, load average).
#
#   bash benchmarks/report_memory.sh LABEL OUTDIR LOG [LOG ...]
#
# e.g. on the 273 MB demo log and on ten rotated months of it (benchmarks/rotated_months.py):
#   bash benchmarks/report_memory.sh 270MB /tmp/out /tmp/q30.log
#   bash benchmarks/report_memory.sh 2.7GB /tmp/out /tmp/big/queue_log.*
set -uo pipefail
label=$1; out=$2; shift 2
mkdir -p "$out"
run() {
  name=$1; shift
  /usr/bin/time -v python -m agentstats report "$@" > "$out/$name.stdout" 2> "$out/$name.time"
  rc=$?
  rss=$(awk '/Maximum resident/ {print $NF}' "$out/$name.time")
  wall=$(awk '/Elapsed/ {print $NF}' "$out/$name.time")
  echo "$label $name rc=$rc maxrss_kb=$rss elapsed=$wall load=$(cut -d' ' -f1-3 /proc/loadavg)"
}
run session "$@" -o "$out/s.csv"
run queue "$@" --by queue -o "$out/q.csv"
run queue15 "$@" --by queue --interval 15 -o "$out/q15.csv"
run agent "$@" --by agent -o "$out/a.csv"
run calls "$@" --by queue --calls "$out/c.csv" -o "$out/qc.csv"
