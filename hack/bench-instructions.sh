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
  local ng_pid px_pid off_pid
  # nginx in one process (no master), so the process under callgrind is the one doing the work.
  nginx_conf cgnginx 127.0.0.1:18088 'proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection "";'
  sed -i 's/^daemon off;/daemon off;\nmaster_process off;/' "${WORK}/cgnginx/nginx.conf"
  (cd "${WORK}" && exec taskset -c "${cpu_test}" valgrind --tool=callgrind -q \
    --callgrind-out-file="${WORK}/callgrind.out.%p" nginx -p "${WORK}/cgnginx" -c "${WORK}/cgnginx/nginx.conf") & PIDS+=($!); ng_pid=$!
  callgrind_portico 18083 "" & PIDS+=($!); px_pid=$!
  # The same with the collector off: one window holds a collection or none, which moves the
  # figure above by a few thousand instructions between runs; this one is steady, and is the
  # one to compare changes to the request path by.
  callgrind_portico 18183 off & PIDS+=($!); off_pid=$!
  wait_for http://127.0.0.1:18088/ 1200
  wait_for http://127.0.0.1:18083/bench/ok 1200
  wait_for http://127.0.0.1:18183/bench/ok 1200
  curl -fs -o /dev/null http://127.0.0.1:18083/bench/cached # fill the cache
  local ng mock cached proxied steady bearing jwt
  ng=$(instructions_of nginx "${ng_pid}" http://127.0.0.1:18088/)
  mock=$(instructions_of mock "${px_pid}" http://127.0.0.1:18083/bench/mock)
  cached=$(instructions_of cached "${px_pid}" http://127.0.0.1:18083/bench/cached)
  proxied=$(instructions_of proxied "${px_pid}" http://127.0.0.1:18083/bench/ok)
  steady=$(instructions_of steady "${off_pid}" http://127.0.0.1:18183/bench/ok)
  # The JWT route's request to the plain route, then to the JWT route: the authorizer's own
  # instructions, the token's bytes in both.
  bearing=$(instructions_of bearing "${off_pid}" http://127.0.0.1:18183/bench/ok -H "${bearer}")
  jwt=$(instructions_of jwt "${off_pid}" http://127.0.0.1:18183/bench/jwtok -H "${bearer}")
  kill "${ng_pid}" "${px_pid}" "${off_pid}" 2>/dev/null || true
  echo
  echo "user-space instructions per request (callgrind, ${INSTRUCTIONS_DURATION} of wrk over 8 connections; the kernel's share not counted)"
  printf '  %-52s %10s %6s\n' "" "instr/req" "ratio"
  printf '  %-52s %10d %6s\n' "nginx reverse proxy -> backend" "${ng}" "1.00"
  printf '  %-52s %10d %6.2f\n' "portico HTTP_PROXY -> backend" "${proxied}" "$(echo "${ng} / ${proxied}" | bc -l)"
  printf '  %-52s %10d %6.2f\n' "portico HTTP_PROXY -> backend, collector off" "${steady}" "$(echo "${ng} / ${steady}" | bc -l)"
  printf '  %-52s %10d %6.2f\n' "portico MOCK" "${mock}" "$(echo "${ng} / ${mock}" | bc -l)"
  printf '  %-52s %10d %6.2f\n' "portico cache hit" "${cached}" "$(echo "${ng} / ${cached}" | bc -l)"
  echo "  ratio: nginx's instructions per request over this one's"
  printf '  %-52s %10d %6s\n' "HTTP_PROXY, bearer token unread, collector off" "${bearing}" "1.00"
  printf '  %-52s %10d %6.2f\n' "HTTP_PROXY, JWT authorizer, collector off" "${jwt}" "$(echo "${bearing} / ${jwt}" | bc -l)"
  echo "  ratio: the plain route's instructions over the JWT route's, for the same request"
}

# callgrind_portico PORT GOGC: a portico proxy under callgrind on the test CPU, its HTTP
# listener on PORT and the next three ports for the others; GOGC "" is the proxy's own
# --gc-percent, as deployed.
callgrind_portico() {
  local port="$1" gogc="$2"
  # Go preempts goroutines with signals, which callgrind cannot follow; and reads the clock
  # with RDTSCP where the CPU has it, an instruction valgrind 3.19 (Debian 12) cannot run.
  cd "${WORK}" && GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off exec env ${gogc:+GOGC="${gogc}"} taskset -c "${cpu_test}" \
    valgrind --tool=callgrind -q --callgrind-out-file="${WORK}/callgrind.out.%p" "${PORTICO}" proxy \
    --xds-server 127.0.0.1:18096 --node-id "bench-${port}" --http-addr "127.0.0.1:${port}" \
    --admin-addr "127.0.0.1:$((port + 1))" --connections-addr "127.0.0.1:$((port + 2))" \
    --https-addr "127.0.0.1:$((port + 3))" --log-level error > "${WORK}/portico-callgrind-${port}.log" 2>&1
}
