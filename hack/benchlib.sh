# shellcheck shell=bash
# Sourced by the benchmark scripts (bench-proxy.sh, bench-tls.sh): one work folder and one list
# of started processes, both cleaned up at exit; the check for the tools a script needs; the
# CPUs (servers under test pinned to CPU 1, load generators and backends to CPU 0); and the CPU
# time of processes, from which the scripts derive CPU per request.

WORK="$(mktemp -d)"
PIDS=()
bench_cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "${WORK}"
}
trap bench_cleanup EXIT

# require_tools SCRIPT HINT TOOL...: exits with HINT when a tool is missing.
require_tools() {
  local script="$1" hint="$2" tool
  shift 2
  for tool in "$@"; do
    command -v "${tool}" >/dev/null || { echo "${script}: ${tool} is missing (${hint})" >&2; exit 1; }
  done
}

cpu_test=1; cpu_load=0
if [[ "$(nproc)" -lt 2 ]]; then cpu_test=0; fi

# stat_ticks EXPR PID[,PID...] [PID...]: EXPR of /proc/<pid>/stat's fields (an awk
# expression), summed over the processes.
stat_ticks() {
  local expr="$1" total=0 pid
  shift
  for pid in ${*//,/ }; do total=$((total + $(awk "{print ${expr}}" "/proc/${pid}/stat"))); done
  echo "${total}"
}

# cpu_ticks PID[,PID...] [PID...]: user + system time in clock ticks, summed over the processes.
cpu_ticks() { stat_ticks '$14 + $15' "$@"; }

# user_ticks PID[,PID...]: the user-space part of cpu_ticks; the rest is the kernel's.
user_ticks() { stat_ticks '$14' "$@"; }
