#!/usr/bin/env bash
# Measures Portico's proxy against nginx as a plain reverse proxy, in the same run, on the same
# core: each proxy under test is pinned to CPU 1 (nginx with one worker, Portico with
# GOMAXPROCS=1); wrk and the backend (an nginx answering "ok") share CPU 0. A bare net/http
# server (hack/benchserver, pinned and GOMAXPROCS=1 too) is the ceiling: what any handler on
# net/http's server can reach on that core. Prints requests/s and the ratios, per round;
# ROUNDS>1 repeats every measurement and ends with the range of each ratio, as the machine's
# noise moves absolute numbers a lot. Needs nginx and wrk (Debian: nginx-light, wrk) and Go;
# .ci/run installs them.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DURATION="${DURATION:-5s}"
# The compared servers and routes are measured in turns of SLICE (whole seconds), SLICES
# turns each way a round: 10 s of each per round.
SLICE="${SLICE:-1s}"
SLICES="${SLICES:-5}"
# The latency section: requests at a constant rate (hack/rategen), percentiles against the
# backend called directly.
LATENCY_RATE="${LATENCY_RATE:-2000}"
LATENCY_DURATION="${LATENCY_DURATION:-5s}"
ROUNDS="${ROUNDS:-1}"
# The instruction counts (hack/bench-instructions.sh): how long wrk runs against each process
# under callgrind, about 50 times slower than without.
INSTRUCTIONS_DURATION="${INSTRUCTIONS_DURATION:-5s}"
CONNECTIONS="${CONNECTIONS:-64}"
PORTICO="${PORTICO:-${ROOT}/bin/portico}"
# shellcheck source=hack/benchlib.sh
source "${ROOT}/hack/benchlib.sh"
# shellcheck source=hack/bench-instructions.sh
source "${ROOT}/hack/bench-instructions.sh"

require_tools bench-proxy "apt-get install nginx-light wrk" nginx wrk taskset chrt curl go

nginx_conf() { # name, listen, location body
  mkdir -p "${WORK}/$1"
  cat > "${WORK}/$1/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid ${WORK}/$1/nginx.pid;
error_log ${WORK}/$1/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  upstream backend { server 127.0.0.1:18091; keepalive 256; }
  server {
    listen $2 reuseport backlog=4096;
    location / { $3 }
  }
}
CONF
}

wait_for() { # url [tries, 50 ms apart]
  for _ in $(seq 1 "${2:-200}"); do
    if curl -fs -o /dev/null "$1"; then return 0; fi
    sleep 0.05
  done
  echo "bench-proxy: $1 never answered" >&2; exit 1
}

nginx_conf backend 127.0.0.1:18091 'return 200 "ok\n";'
nginx_conf proxy 127.0.0.1:18092 'proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection "";'
taskset -c "${cpu_load}" nginx -p "${WORK}/backend" -c "${WORK}/backend/nginx.conf" & PIDS+=($!); backend_pid=$!
taskset -c "${cpu_test}" nginx -p "${WORK}/proxy" -c "${WORK}/proxy/nginx.conf" & PIDS+=($!); nginx_pid=$!

cat > "${WORK}/api.yaml" <<'YAML'
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: bench}
spec: {}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: proxied}
spec:
  restApiRef: {name: bench}
  path: /ok
  methods: [GET]
  integration: {type: HTTP_PROXY, uri: "http://127.0.0.1:18091/"}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: mock}
spec:
  restApiRef: {name: bench}
  path: /mock
  methods: [GET]
  integration: {type: MOCK, mock: {statusCode: 200, body: "ok\n"}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: keyed}
spec:
  restApiRef: {name: bench}
  path: /keyed
  methods: [GET]
  authorization: {type: NONE, apiKeyRequired: true}
  integration: {type: MOCK, mock: {statusCode: 200, body: "ok\n"}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Authorizer
metadata: {name: jwt}
spec:
  type: JWT
  identitySources: ["$request.header.Authorization"]
  jwt: {issuer: "http://127.0.0.1:18099/", audiences: [bench], jwksUri: "http://127.0.0.1:18099/jwks.json"}
  resultTtlSeconds: 300
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: jwt}
spec:
  restApiRef: {name: bench}
  path: /jwt
  methods: [GET]
  authorization: {authorizerRef: {name: jwt}}
  integration: {type: MOCK, mock: {statusCode: 200, body: "ok\n"}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: keyed-proxied}
spec:
  restApiRef: {name: bench}
  path: /keyedok
  methods: [GET]
  authorization: {type: NONE, apiKeyRequired: true}
  integration: {type: HTTP_PROXY, uri: "http://127.0.0.1:18091/"}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: jwt-proxied}
spec:
  restApiRef: {name: bench}
  path: /jwtok
  methods: [GET]
  authorization: {authorizerRef: {name: jwt}}
  integration: {type: HTTP_PROXY, uri: "http://127.0.0.1:18091/"}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: cached}
spec:
  restApiRef: {name: bench}
  path: /cached
  methods: [GET]
  integration: {type: HTTP_PROXY, uri: "http://127.0.0.1:18091/"}
---
apiVersion: v1
kind: Secret
type: apigateway.portico.dev/api-key
metadata: {name: bench}
stringData: {key: "bench-key-0123456789012345678901234"}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: UsagePlan
metadata: {name: bench}
spec:
  apiStages: [{restApiRef: {name: bench}, stage: bench}]
  throttle: {rateLimit: 1000000, burstLimit: 1000000}
  quota: {limit: 1000000000, period: DAY}
  apiKeys: [{name: bench}]
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: bench}
spec:
  restApiRef: {name: bench}
  throttling: {rateLimit: 1000000, burstLimit: 1000000}
  cache: {enabled: true, capacity: 64Mi, ttlSeconds: 3600}
  methodSettings:
    "/cached/GET": {caching: {enabled: true, ttlSeconds: 3600}}
    "/ok/GET": {caching: {enabled: false}}
    "/mock/GET": {caching: {enabled: false}}
    "/keyed/GET": {caching: {enabled: false}}
    "/jwt/GET": {caching: {enabled: false}}
    "/keyedok/GET": {caching: {enabled: false}}
    "/jwtok/GET": {caching: {enabled: false}}
YAML
(cd "${ROOT}" && CGO_ENABLED=0 go build -o "${WORK}/benchserver" ./hack/benchserver && CGO_ENABLED=0 go build -o "${WORK}/rategen" ./hack/rategen)
# The bare server also plays the JWT route's identity provider: its JWKS is fetched once.
GOMAXPROCS=1 taskset -c "${cpu_test}" "${WORK}/benchserver" -addr 127.0.0.1:18095 \
  -jwks-addr 127.0.0.1:18099 -token-file "${WORK}/token" & PIDS+=($!); bare_pid=$!
# The proxy under test is a `portico proxy` process, as in production: the files are compiled by
# `portico standalone` on the load CPU, whose own proxy stays idle, and pushed over xDS. (Measuring
# standalone's proxy instead would charge the compiler's heap to the proxy's garbage collector.)
taskset -c "${cpu_load}" "${PORTICO}" standalone -f "${WORK}/api.yaml" --xds-addr 127.0.0.1:18096 \
  --http-addr 127.0.0.1:18097 --admin-addr 127.0.0.1:18098 --connections-addr 127.0.0.1:18191 --https-addr 127.0.0.1:18192 --log-level error > "${WORK}/standalone.log" 2>&1 & PIDS+=($!)
wait_for http://127.0.0.1:18098/readyz
GOMAXPROCS=1 taskset -c "${cpu_test}" "${PORTICO}" proxy --xds-server 127.0.0.1:18096 --node-id bench \
  --http-addr 127.0.0.1:18093 --admin-addr 127.0.0.1:18094 --connections-addr 127.0.0.1:18193 --https-addr 127.0.0.1:18194 --log-level error > "${WORK}/portico.log" 2>&1 & PIDS+=($!); portico_pid=$!

wait_for http://127.0.0.1:18091/
wait_for http://127.0.0.1:18092/
wait_for http://127.0.0.1:18095/
wait_for http://127.0.0.1:18094/readyz
wait_for http://127.0.0.1:18093/bench/ok
wait_for http://127.0.0.1:18099/jwks.json
# The authorized routes' credentials: the token the bare server signed, the Secret's key.
bearer="Authorization: Bearer $(cat "${WORK}/token")"
api_key="x-api-key: bench-key-0123456789012345678901234"
for check in "jwt|${bearer}" "jwtok|${bearer}" "keyed|${api_key}" "keyedok|${api_key}"; do
  curl -fs -o /dev/null -H "${check#*|}" "http://127.0.0.1:18093/bench/${check%%|*}" ||
    { echo "bench-proxy: the route /bench/${check%%|*} refused its credential" >&2; exit 1; }
done

# The worker does nginx's work; the master only waits.
nginx_worker=$(pgrep -P "${nginx_pid}" | head -1)

# warm PID URL [wrk args...]: a second of load, unmeasured.
warm() {
  local url="$2"; shift 2
  taskset -c "${cpu_load}" wrk -t1 -c"${CONNECTIONS}" -d1s "$@" "${url}" >/dev/null
}

# slice PID[,PID...] URL [wrk args...]: one run of SLICE; prints the requests answered, the
# CPU ticks PID spent, wrk's requests/s and the part of the ticks spent in user space.
slice() {
  local pid="$1" url="$2" before user out; shift 2
  before=$(cpu_ticks "${pid}") user=$(user_ticks "${pid}")
  out=$(taskset -c "${cpu_load}" wrk -t1 -c"${CONNECTIONS}" -d"${SLICE}" "$@" "${url}")
  awk -v ticks="$(($(cpu_ticks "${pid}") - before))" -v user="$(($(user_ticks "${pid}") - user))" '
    /requests in/ { n = $1 }
    /Requests\/sec/ { rps = $2 }
    END { print n, ticks, rps, user }' <<<"${out}"
}

# per_request TICKS REQUESTS: the CPU time per request in µs.
per_request() { echo "$1 * 1000000 / $(getconf CLK_TCK) / $2" | bc -l; }

# measure PID[,PID...] URL [wrk args...] prints requests/s and the CPU time PID spent per request in µs.
# CPU per request is the steadier figure on a shared machine: when another process takes the
# core, requests/s drop but each request costs what it did. When the server is not the
# bottleneck (nginx proxying while wrk and the backend share CPU 0), requests/s understate it
# and only CPU per request shows its cost.
measure() {
  local n ticks rps
  warm "$@"
  read -r n ticks rps _ < <(SLICE="${DURATION}" slice "$@")
  printf '%s %.2f\n' "${rps}" "$(per_request "${ticks}" "${n}")"
}
echo "bench-proxy: ${DURATION} per run (compared ones: ${SLICES} x 2 turns of ${SLICE}), ${CONNECTIONS} connections, ${ROUNDS} round(s), servers under test on CPU ${cpu_test}, wrk and backend on CPU ${cpu_load}"
curl -fs -o /dev/null http://127.0.0.1:18093/bench/cached   # fill the cache
ratio() { echo "$1 / $2" | bc -l; }
row() { # label requests/s cpu-µs [reference requests/s, reference cpu-µs]
  if [[ $# -eq 5 ]]; then
    printf '  %-52s %10.0f %6.2f %8.1f %6.2f\n' "$1" "$2" "$(ratio "$2" "$4")" "$3" "$(ratio "$5" "$3")"
  else
    printf '  %-52s %10.0f %6s %8.1f %6s\n' "$1" "$2" "1.00" "$3" "1.00"
  fi
}
RATIOS="${WORK}/ratios"
: > "${RATIOS}"
# Each compared server or route, run by FN (warm or slice) with its process and URL.
m_nginx() { "$1" "${nginx_worker}" http://127.0.0.1:18092/; }
m_proxy() { "$1" "${portico_pid}" http://127.0.0.1:18093/bench/ok; }
m_mock() { "$1" "${portico_pid}" http://127.0.0.1:18093/bench/mock; }
m_keyed() { "$1" "${portico_pid}" http://127.0.0.1:18093/bench/keyed -H "${api_key}"; }
m_jwt() { "$1" "${portico_pid}" http://127.0.0.1:18093/bench/jwt -H "${bearer}"; }
m_cached() { "$1" "${portico_pid}" http://127.0.0.1:18093/bench/cached; }
m_keyedok() { "$1" "${portico_pid}" http://127.0.0.1:18093/bench/keyedok -H "${api_key}"; }
m_jwtok() { "$1" "${portico_pid}" http://127.0.0.1:18093/bench/jwtok -H "${bearer}"; }
# The plain routes sent the JWT routes' request: the same bearer token, which no step reads.
# Against these the JWT rows show what the authorizer costs; against the bare request, that
# plus what the client's 650 more bytes cost any route (read, parsed, checked, forwarded).
m_mockb() { "$1" "${portico_pid}" http://127.0.0.1:18093/bench/mock -H "${bearer}"; }
m_proxyb() { "$1" "${portico_pid}" http://127.0.0.1:18093/bench/ok -H "${bearer}"; }

# mirrored NAME...: runs each m_NAME for a slice in order, then in the reverse order (A B C C
# B A), SLICES times, and sets NAME_rps, NAME_cpu, and NAME_user and NAME_kernel (its parts)
# from the requests and CPU time summed over its runs. The machine's noise switches between
# regimes within seconds (see docs/benchmarks.md): measured once each for five seconds, a
# switch fell on one side of a ratio, which read 0.67 to 0.96 over four rounds; alternated
# every second, both sides see the same regimes, and four rounds so read 0.78 to 0.80.
mirrored() {
  local names=("$@") order=("$@") n r c u i
  for ((i = ${#names[@]} - 1; i >= 0; i--)); do order+=("${names[$i]}"); done
  declare -A requests=() ticks=() user=()
  for n in "${names[@]}"; do "m_${n}" warm; done
  for _ in $(seq 1 "${SLICES}"); do
    for n in "${order[@]}"; do
      read -r r c _ u < <("m_${n}" slice)
      requests[$n]=$((${requests[$n]:-0} + r))
      ticks[$n]=$((${ticks[$n]:-0} + c))
      user[$n]=$((${user[$n]:-0} + u))
    done
  done
  for n in "${names[@]}"; do
    printf -v "${n}_rps" '%.2f' "$(echo "${requests[$n]} / (2 * ${SLICES} * ${SLICE%s})" | bc -l)"
    printf -v "${n}_cpu" '%.2f' "$(per_request "${ticks[$n]}" "${requests[$n]}")"
    printf -v "${n}_user" '%.2f' "$(per_request "${user[$n]}" "${requests[$n]}")"
    printf -v "${n}_kernel" '%.2f' "$(per_request "$((ticks[$n] - user[$n]))" "${requests[$n]}")"
  done
}

for round in $(seq 1 "${ROUNDS}"); do
  # Everything a target compares is measured in one mirrored sequence, turn by turn:
  # HTTP_PROXY, MOCK and the cache hit against nginx, the authorized routes against MOCK and
  # against HTTP_PROXY, the JWT routes also against those sent the same request.
  mirrored nginx proxy mock cached keyed jwt keyedok jwtok mockb proxyb
  read -r bare_rps bare_cpu < <(measure "${bare_pid}" http://127.0.0.1:18095/)
  echo
  printf '%-54s %10s %6s %8s %6s\n' "round ${round}/${ROUNDS}" "requests/s" "ratio" "cpu us/req" "ratio"
  echo "against nginx as a reverse proxy"
  row "nginx reverse proxy -> backend" "${nginx_rps}" "${nginx_cpu}"
  row "portico HTTP_PROXY -> backend" "${proxy_rps}" "${proxy_cpu}" "${nginx_rps}" "${nginx_cpu}"
  row "portico MOCK (no backend)" "${mock_rps}" "${mock_cpu}" "${nginx_rps}" "${nginx_cpu}"
  row "portico cache hit (HTTP_PROXY route, cached)" "${cached_rps}" "${cached_cpu}" "${nginx_rps}" "${nginx_cpu}"
  printf '  %-52s %s\n' "CPU us/req, user space + kernel" \
    "nginx ${nginx_user} + ${nginx_kernel}, HTTP_PROXY ${proxy_user} + ${proxy_kernel}"
  echo "against a bare net/http server (the ceiling on net/http)"
  row "bare net/http server answering ok" "${bare_rps}" "${bare_cpu}"
  row "portico MOCK (no backend)" "${mock_rps}" "${mock_cpu}" "${bare_rps}" "${bare_cpu}"
  row "portico cache hit" "${cached_rps}" "${cached_cpu}" "${bare_rps}" "${bare_cpu}"
  echo "authorized routes, against the same route without"
  row "portico MOCK, no key, no plan, no authorizer" "${mock_rps}" "${mock_cpu}"
  row "portico MOCK, API key + usage plan throttle + quota" "${keyed_rps}" "${keyed_cpu}" "${mock_rps}" "${mock_cpu}"
  row "portico MOCK, JWT authorizer" "${jwt_rps}" "${jwt_cpu}" "${mock_rps}" "${mock_cpu}"
  row "portico HTTP_PROXY, no key, no plan, no authorizer" "${proxy_rps}" "${proxy_cpu}"
  row "portico HTTP_PROXY, API key + usage plan" "${keyedok_rps}" "${keyedok_cpu}" "${proxy_rps}" "${proxy_cpu}"
  row "portico HTTP_PROXY, JWT authorizer" "${jwtok_rps}" "${jwtok_cpu}" "${proxy_rps}" "${proxy_cpu}"
  echo "the JWT routes against the same route sent the same request (its bearer token unread)"
  row "portico MOCK, the JWT request, no authorizer" "${mockb_rps}" "${mockb_cpu}"
  row "portico MOCK, JWT authorizer" "${jwt_rps}" "${jwt_cpu}" "${mockb_rps}" "${mockb_cpu}"
  row "portico HTTP_PROXY, the JWT request, no authorizer" "${proxyb_rps}" "${proxyb_cpu}"
  row "portico HTTP_PROXY, JWT authorizer" "${jwtok_rps}" "${jwtok_cpu}" "${proxyb_rps}" "${proxyb_cpu}"
  echo "$(ratio "${keyed_rps}" "${mock_rps}") $(ratio "${mock_cpu}" "${keyed_cpu}")" \
    "$(ratio "${jwt_rps}" "${mock_rps}") $(ratio "${mock_cpu}" "${jwt_cpu}")" \
    "$(ratio "${mock_rps}" "${nginx_rps}") $(ratio "${nginx_cpu}" "${mock_cpu}")" \
    "$(ratio "${cached_rps}" "${nginx_rps}") $(ratio "${nginx_cpu}" "${cached_cpu}")" \
    "$(ratio "${cached_rps}" "${bare_rps}") $(ratio "${bare_cpu}" "${cached_cpu}")" \
    "$(ratio "${mock_rps}" "${bare_rps}") $(ratio "${bare_cpu}" "${mock_cpu}")" \
    "$(ratio "${proxy_rps}" "${nginx_rps}") $(ratio "${nginx_cpu}" "${proxy_cpu}")" \
    "$(ratio "${keyedok_rps}" "${proxy_rps}") $(ratio "${proxy_cpu}" "${keyedok_cpu}")" \
    "$(ratio "${jwtok_rps}" "${proxy_rps}") $(ratio "${proxy_cpu}" "${jwtok_cpu}")" \
    "$(ratio "${jwt_rps}" "${mockb_rps}") $(ratio "${mockb_cpu}" "${jwt_cpu}")" \
    "$(ratio "${jwtok_rps}" "${proxyb_rps}") $(ratio "${proxyb_cpu}" "${jwtok_cpu}")" \
    "$(ratio "${nginx_user}" "${proxy_user}") $(ratio "${nginx_kernel}" "${proxy_kernel}")" >> "${RATIOS}"
done

# The system view: the backend moves to the core under test, as when the proxy and the app
# share a machine's CPU. Proxying then costs the backend's work too, and a cache hit saves
# it: this is what a cache is for. The CPU time per request is the proxy's and the backend's.
backend_worker=$(pgrep -P "${backend_pid}" | head -1)
taskset -pc "${cpu_test}" "${backend_pid}" >/dev/null
taskset -pc "${cpu_test}" "${backend_worker}" >/dev/null
read -r sys_nginx_rps sys_nginx_cpu < <(measure "${nginx_worker},${backend_worker}" http://127.0.0.1:18092/)
read -r sys_cached_rps sys_cached_cpu < <(measure "${portico_pid},${backend_worker}" http://127.0.0.1:18093/bench/cached)
read -r sys_proxy_rps sys_proxy_cpu < <(measure "${portico_pid},${backend_worker}" http://127.0.0.1:18093/bench/ok)
taskset -pc "${cpu_load}" "${backend_pid}" >/dev/null
taskset -pc "${cpu_load}" "${backend_worker}" >/dev/null
echo
echo "system view: the backend on CPU ${cpu_test} too (proxy and backend share one core; cpu is both)"
row "nginx reverse proxy -> backend" "${sys_nginx_rps}" "${sys_nginx_cpu}"
row "portico cache hit (the backend is not called)" "${sys_cached_rps}" "${sys_cached_cpu}" "${sys_nginx_rps}" "${sys_nginx_cpu}"
row "portico HTTP_PROXY -> backend" "${sys_proxy_rps}" "${sys_proxy_cpu}" "${sys_nginx_rps}" "${sys_nginx_cpu}"

# Latency at a constant rate, far below saturation: what each hop adds to a request. Each
# proxy is measured together with the backend called directly, their requests due in turn
# (hack/rategen with two URLs), so that both see the same moments of the machine; the added
# latency is the difference within that run: of the percentiles (+p50, +p99), and the
# percentiles of each request's latency less the backend's request due with it (paired), from
# which a stall of the host that holds both cancels out. The median of the rounds is printed.
#
# Three times: with the CPUs as they are, kept awake, and polling when idle. On this kind of VM
# an idle vCPU halts, and waking it (each hop from one CPU to the other: four for a proxied
# request) costs tens of microseconds, at times milliseconds, to nginx as to Portico. With an
# idle-priority spinner on each CPU (SCHED_IDLE: it runs only when nothing else can, and
# yields to a task that wakes) the vCPUs never halt, but a hop still sends the spinner's CPU a
# rescheduling interrupt to preempt it (about one a request on each CPU, by /proc/interrupts),
# which this VM takes tens of microseconds to deliver. With the CPUs' wake-up latency held
# at 0 µs (rategen -idle-poll: Linux's PM QoS, as tuned's latency-performance profile does) an
# idle CPU spins in the kernel's own idle loop, which notices a woken task without an
# interrupt: what is left is the proxies' own time, and that is the figure the target is read
# against; kept awake where the PM QoS device cannot be written, or where no cpuidle driver
# reads it (a kernel without one halts idle CPUs whatever the limit).
echo
echo "latency at ${LATENCY_RATE} requests/s for ${LATENCY_DURATION}, median of ${ROUNDS} rounds (hack/rategen, 32 connections per URL), µs;"
echo "added (+): over the backend called directly in the same run, requests due in turn;"
echo "paired: percentiles of each request's latency less the backend's request due with it"
latency_row='  %-40s %8s %8s %8s %12s %12s %8s %8s %12s %12s'
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)) }'; }
SPINNERS=()
spinners() { # on|off: an idle-priority busy loop on each CPU, or none
  local cpu p
  if [[ "$1" == on ]]; then
    for cpu in "${cpu_load}" "${cpu_test}"; do
      taskset -c "${cpu}" chrt --idle 0 sh -c 'while :; do :; done' & SPINNERS+=($!); PIDS+=($!)
    done
  else
    for p in "${SPINNERS[@]}"; do kill "${p}" 2>/dev/null || true; done
    SPINNERS=()
  fi
}
# latency_round FILE URL: one rategen run of the backend and URL, its figures appended to
# FILE as a line.
latency_round() {
  local file="$1" url="$2" b50 b99 berrs p50 p99 max perrs pair50 pair99
  { read -r b50 _ b99 _ _ berrs; read -r p50 _ p99 max _ perrs pair50 pair99; } < <(taskset -c "${cpu_load}" "${WORK}/rategen" \
    -url http://127.0.0.1:18091/ -url "${url}" -rate "${LATENCY_RATE}" -duration "${LATENCY_DURATION}" ${idle_poll:+"${idle_poll}"})
  echo "${p50} ${p99} ${max} ${b50} ${b99} $((p50 - b50)) $((p99 - b99)) ${pair50} ${pair99} $((berrs + perrs))" >> "${file}"
}
# latency_medians LABEL FILE: a row of the medians of FILE's rounds, and their errors.
latency_medians() {
  local label="$1" file="$2" errs medians=()
  for col in 1 2 3 4 5 6 7 8 9; do
    medians+=("$(cut -d' ' -f"${col}" "${file}" | median)")
  done
  errs=$(awk '{ n += $10 } END { print n + 0 }' "${file}")
  # shellcheck disable=SC2059
  printf "${latency_row}" "${label}" "${medians[@]}"
  if [[ "${errs}" -gt 0 ]]; then printf '  (%d errors)' "${errs}"; fi
  echo
}
# The proxies take turns round by round, as the CPU comparisons do, so that a slow minute of
# the machine falls on each of them about alike rather than on all of one's rounds.
latency_targets=("nginx reverse proxy -> backend|http://127.0.0.1:18092/"
  "portico HTTP_PROXY -> backend|http://127.0.0.1:18093/bench/ok" "portico MOCK|http://127.0.0.1:18093/bench/mock")
target_pass="polling when idle"
for cpus in "as they are" "kept awake" "polling when idle"; do
  echo "CPUs ${cpus}"
  idle_poll=""
  if [[ "${cpus}" == "polling when idle" ]]; then
    # rategen says whether the limit can hold: the device must be writable (root), and a
    # cpuidle driver must read it (without one, as on a microVM's kernel, an idle CPU halts
    # whatever it says, and this pass would repeat the first).
    if ! why=$("${WORK}/rategen" -idle-poll-check 2>&1); then
      echo "  skipped: ${why#idle polling: }; the target is read kept awake"
      target_pass="kept awake"
      continue
    fi
    idle_poll="-idle-poll"
  fi
  # shellcheck disable=SC2059 # the format is latency_row
  printf "${latency_row}\n" "" "p50" "p99" "max" "backend p50" "backend p99" "+p50" "+p99" "paired p50" "paired p99"
  if [[ "${cpus}" == "kept awake" ]]; then spinners on; fi
  for i in "${!latency_targets[@]}"; do : > "${WORK}/latency-${i}"; done
  for _ in $(seq 1 "${ROUNDS}"); do
    for i in "${!latency_targets[@]}"; do
      latency_round "${WORK}/latency-${i}" "${latency_targets[$i]#*|}"
    done
  done
  for i in "${!latency_targets[@]}"; do
    latency_medians "${latency_targets[$i]%%|*}" "${WORK}/latency-${i}"
  done
  # The rounds' own paired p99s, in order: how far the machine moves the median.
  for i in "${!latency_targets[@]}"; do
    printf '  %-40s %s\n' "${latency_targets[$i]%%|*}" "paired p99 by round: $(cut -d' ' -f9 "${WORK}/latency-${i}" | tr '\n' ' ')"
  done
  spinners off
done
echo "target: HTTP_PROXY's paired p99, CPUs ${target_pass}, under 300 µs"

instructions_section

echo
echo "ratio: requests/s over the reference's; the CPU ratio is the reference's CPU time per request over this one's"
if true; then
  echo
  printf '%-54s %6s %6s %6s  %s\n' "ratios over ${ROUNDS} rounds" "min" "median" "max" "target"
  names=("API key + plan / same route without" "JWT / same route without" "MOCK / nginx reverse proxy"
    "cache hit / nginx reverse proxy" "cache hit / bare net/http (ceiling)"
    "MOCK / bare net/http (ceiling)" "HTTP_PROXY / nginx reverse proxy"
    "API key + plan / HTTP_PROXY without" "JWT / HTTP_PROXY without"
    "JWT / MOCK without, same request" "JWT / HTTP_PROXY without, same request")
  targets=(">= 0.90" ">= 0.90" ">= 1.2" ">= 1.2" "" "" ">= 0.8" ">= 0.90" ">= 0.90" ">= 0.90" ">= 0.90")
  # spread FIELD LABEL [TARGET]: the min, median and max of the ratios' FIELDth column.
  spread() {
    cut -d' ' -f"$1" "${RATIOS}" | sort -g | awk -v name="$2" -v target="${3:-}" '
      { v[NR] = $1 }
      END { printf "  %-52s %6.2f %6.2f %6.2f  %s\n", name, v[1], (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[NR], target }'
  }
  for i in "${!names[@]}"; do
    spread $((2 * i + 1)) "${names[$i]}, requests/s" "${targets[$i]}"
    spread $((2 * i + 2)) "${names[$i]}, CPU per request" "${targets[$i]}"
  done
  # Where HTTP_PROXY's CPU goes against nginx's: the same ratio, user space and kernel apart.
  spread $((2 * ${#names[@]} + 1)) "HTTP_PROXY / nginx, CPU per request in user space"
  spread $((2 * ${#names[@]} + 2)) "HTTP_PROXY / nginx, CPU per request in the kernel"
fi
