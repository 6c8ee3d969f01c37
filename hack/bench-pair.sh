#!/usr/bin/env bash
# Compares two running servers' CPU per request under load at the same moment, for judging a
# change of a few percent on a machine whose speed swings by more than that from one minute
# to the next (see docs/benchmarks.md, "Measuring a change of a few percent").
#
#   hack/bench-pair.sh PID_A URL_A PID_B URL_B [wrk args...]
#
# Both servers should be pinned to the same CPU (taskset); two wrk processes, pinned to
# CPU_LOAD (0), load them together for DURATION (3s) with CONNECTIONS (32) each, and the CPU
# each server spent over the requests it answered (/proc/<pid>/stat) gives its CPU time per
# request. Both run through the same moments of the machine, so the ratio B/A holds still
# where either figure alone moves by half. Prints each of ROUNDS (8) rounds, then the median
# and range of B/A. Needs wrk and taskset.
set -euo pipefail

if [[ $# -lt 4 ]]; then
  sed -n '2,12p' "$0" >&2
  exit 2
fi
pid_a=$1 url_a=$2 pid_b=$3 url_b=$4
shift 4
ROUNDS="${ROUNDS:-8}"
DURATION="${DURATION:-3s}"
CONNECTIONS="${CONNECTIONS:-32}"
CPU_LOAD="${CPU_LOAD:-0}"
hz=$(getconf CLK_TCK)
tmp=$(mktemp -d)
trap 'rm -rf "${tmp}"' EXIT

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
requests() { awk '/requests in/ {print $1}' "$1"; }

printf '%-6s %12s %12s %10s %10s %7s\n' round "A us/req" "B us/req" "A req" "B req" "B/A"
for round in $(seq 1 "${ROUNDS}"); do
  a0=$(cpu "${pid_a}") b0=$(cpu "${pid_b}")
  taskset -c "${CPU_LOAD}" wrk -t1 -c"${CONNECTIONS}" -d"${DURATION}" "$@" "${url_a}" >"${tmp}/a" &
  wa=$!
  taskset -c "${CPU_LOAD}" wrk -t1 -c"${CONNECTIONS}" -d"${DURATION}" "$@" "${url_b}" >"${tmp}/b" &
  wb=$!
  wait "${wa}" "${wb}"
  a1=$(cpu "${pid_a}") b1=$(cpu "${pid_b}")
  awk -v r="${round}" -v ca=$((a1 - a0)) -v cb=$((b1 - b0)) -v na="$(requests "${tmp}/a")" -v nb="$(requests "${tmp}/b")" -v hz="${hz}" \
    'BEGIN { ua = ca * 1e6 / hz / na; ub = cb * 1e6 / hz / nb; printf "%-6s %12.2f %12.2f %10d %10d %7.3f\n", r, ua, ub, na, nb, ub / ua }'
done | tee "${tmp}/rounds"
awk '{print $6}' "${tmp}/rounds" | sort -n |
  awk '{v[NR] = $1} END {printf "B/A over %d rounds: median %.3f, range %.3f-%.3f\n", NR, v[int((NR + 1) / 2)], v[1], v[NR]}'
