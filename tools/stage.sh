#!/usr/bin/env bash
# Time one stage of the test run, or report them all.
#
#   tools/stage.sh NAME COMMAND [ARG ...]   run COMMAND, append "NAME<TAB>seconds<TAB>ok|failed"
#                                           to $CNN_LABS_STAGES, exit with COMMAND's status
#   tools/stage.sh --report                 the table of the stages so far, their total and
#                                           the kind of CPU they ran on
#
# $CNN_LABS_STAGES defaults to build/stages.tsv; `make test` starts it afresh, .ci/run adds the
# Python 3.13 leg and prints the report last, so CI's log ends with its time per stage.
set -uo pipefail
log=${CNN_LABS_STAGES:-build/stages.tsv}

if [ "${1:-}" = "--report" ]; then
  [ -s "$log" ] || { echo "no stages timed yet ($log)"; exit 0; }
  python=${PY:-.venv/bin/python}
  cpu=$("$python" -c 'from helpers.machine import cpu_kind, cpu_model, speed_flags, usable_cpus
flags = " ".join(speed_flags()) or "none"
print(f"{cpu_model()} — {cpu_kind()}; flags: {flags}; {usable_cpus()} CPUs")' 2>/dev/null || echo unknown)
  echo
  echo "time per stage ($log):"
  awk -F'\t' '{ printf "  %-28s %8.1f s  %6.1f min  %s\n", $1, $2, $2 / 60, $3; total += $2 }
              END { printf "  %-28s %8.1f s  %6.1f min\n", "total", total, total / 60 }' "$log"
  echo "CPU: $cpu"
  exit 0
fi

[ $# -ge 2 ] || { echo "usage: tools/stage.sh NAME COMMAND [ARG ...] | --report" >&2; exit 2; }
name=$1
shift
mkdir -p "$(dirname "$log")"
echo "=== stage: $name"
start=$(date +%s.%N)
"$@"
status=$?
end=$(date +%s.%N)
result=$([ $status -eq 0 ] && echo ok || echo "failed (exit $status)")
seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
printf '%s\t%s\t%s\n' "$name" "$seconds" "$result" >>"$log"
echo "=== stage: $name: $result in $seconds s"
exit $status
