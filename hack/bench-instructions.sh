# shellcheck shell=bash
# Sourced by bench-proxy.sh once its servers run: user-space instructions per request, counted
# by callgrind, of nginx as a reverse proxy and of a Portico proxy on its MOCK, cache hit and
# HTTP_PROXY routes. Unlike CPU time, the count does not move with the machine's load, so it
# shows what a change to the request path saves on a machine too noisy for wall or CPU time
# to show it. The kernel's share (syscalls, the loopback) is not counted: nginx and Portico pay
# it alike. Skipped without valgrind (Debian: valgrind).

# instructions_of LABEL PID URL [wrk args...]: zeroes PID's counters (callgrind_control), sends
# load for INSTRUCTIONS_DURATION, dumps the counters and prints instructions per request.
instructions_of() {
  local label="$1" pid="$2" url="$3" out n ir file
  shift 3
  taskset -c "${cpu_load}" wrk -t1 -c8 -d2s "$@" "${url}" >/dev/null # warm up, under valgrind
  callgrind_control -z "${pid}" >/dev/null
  out=$(taskset -c "${cpu_load}" wrk -t1 -c8 -d"${INSTRUCTIONS_DURATION}" "$@" "${url}")
  callgrind_control -d "${label}" "${pid}" >/dev/null
  n=$(awk '/requests in/ {print $1}' <<<"${out}")
  for _ in $(seq 1 100); do
    file=$(ls -t "${WORK}"/callgrind.out.* 2>/dev/null | head -1)
    [[ -n "${file}" ]] && break
    sleep 0.1
  done
  ir=$(callgrind_annotate --auto=no "${file}" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
  rm -f "${WORK}"/callgrind.out.*
  echo $((ir / n))
}

instructions_section() {
  command -v valgrind >/dev/null && command -v callgrind_control >/dev/null || {
    echo; echo "instructions per request: skipped (valgrind is missing; Debian: valgrind)"; return 0; }
  local ng_pid px_pid
  # nginx in one process (no master), so the process under callgrind is the one doing the work.
  nginx_conf cgnginx 127.0.0.1:18088 'proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection "";'
  sed -i 's/^daemon off;/daemon off;\nmaster_process off;/' "${WORK}/cgnginx/nginx.conf"
  (cd "${WORK}" && exec taskset -c "${cpu_test}" valgrind --tool=callgrind -q \
    --callgrind-out-file="${WORK}/callgrind.out.%p" nginx -p "${WORK}/cgnginx" -c "${WORK}/cgnginx/nginx.conf") & PIDS+=($!); ng_pid=$!
  # Go preempts goroutines with signals, which callgrind cannot follow; and reads the clock
  # with RDTSCP where the CPU has it, an instruction valgrind 3.19 (Debian 12) cannot run.
  (cd "${WORK}" && GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off exec taskset -c "${cpu_test}" valgrind --tool=callgrind -q \
    --callgrind-out-file="${WORK}/callgrind.out.%p" "${PORTICO}" proxy --xds-server 127.0.0.1:18096 --node-id bench \
    --http-addr 127.0.0.1:18083 --admin-addr 127.0.0.1:18084 --connections-addr 127.0.0.1:18085 --https-addr 127.0.0.1:18086 \
    --log-level error > "${WORK}/portico-callgrind.log" 2>&1) & PIDS+=($!); px_pid=$!
  wait_for http://127.0.0.1:18088/ 1200
  wait_for http://127.0.0.1:18083/bench/ok 1200
  curl -fs -o /dev/null http://127.0.0.1:18083/bench/cached # fill the cache
  local ng mock cached proxied
  ng=$(instructions_of nginx "${ng_pid}" http://127.0.0.1:18088/)
  mock=$(instructions_of mock "${px_pid}" http://127.0.0.1:18083/bench/mock)
  cached=$(instructions_of cached "${px_pid}" http://127.0.0.1:18083/bench/cached)
  proxied=$(instructions_of proxied "${px_pid}" http://127.0.0.1:18083/bench/ok)
  kill "${ng_pid}" "${px_pid}" 2>/dev/null || true
  echo
  echo "user-space instructions per request (callgrind, ${INSTRUCTIONS_DURATION} of wrk over 8 connections; the kernel's share not counted)"
  printf '  %-52s %10s %6s\n' "" "instr/req" "ratio"
  printf '  %-52s %10d %6s\n' "nginx reverse proxy -> backend" "${ng}" "1.00"
  printf '  %-52s %10d %6.2f\n' "portico HTTP_PROXY -> backend" "${proxied}" "$(echo "${ng} / ${proxied}" | bc -l)"
  printf '  %-52s %10d %6.2f\n' "portico MOCK" "${mock}" "$(echo "${ng} / ${mock}" | bc -l)"
  printf '  %-52s %10d %6.2f\n' "portico cache hit" "${cached}" "$(echo "${ng} / ${cached}" | bc -l)"
  echo "  ratio: nginx's instructions per request over this one's"
}
