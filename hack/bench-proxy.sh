#!/usr/bin/env bash
# Measures Portico's proxy against nginx as a plain reverse proxy, in the same run, on the same
# core: each proxy under test is pinned to CPU 1 (nginx with one worker, Portico with
# GOMAXPROCS=1); wrk and the backend (an nginx answering "ok") share CPU 0. Prints requests/s
# and the ratios. Needs nginx and wrk (Debian: nginx-light, wrk); .ci/run installs them.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DURATION="${DURATION:-5s}"
CONNECTIONS="${CONNECTIONS:-64}"
PORTICO="${PORTICO:-${ROOT}/bin/portico}"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "${WORK}"
}
trap cleanup EXIT

for tool in nginx wrk taskset curl; do
  command -v "$tool" >/dev/null || { echo "bench-proxy: $tool is missing (apt-get install nginx-light wrk)" >&2; exit 1; }
done
cpu_test=1; cpu_load=0
if [[ "$(nproc)" -lt 2 ]]; then cpu_test=0; fi

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

wait_for() { # url
  for _ in $(seq 1 200); do
    if curl -fs -o /dev/null "$1"; then return 0; fi
    sleep 0.05
  done
  echo "bench-proxy: $1 never answered" >&2; exit 1
}

nginx_conf backend 127.0.0.1:18091 'return 200 "ok\n";'
nginx_conf proxy 127.0.0.1:18092 'proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection "";'
taskset -c "${cpu_load}" nginx -p "${WORK}/backend" -c "${WORK}/backend/nginx.conf" & PIDS+=($!)
taskset -c "${cpu_test}" nginx -p "${WORK}/proxy" -c "${WORK}/proxy/nginx.conf" & PIDS+=($!)

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
YAML
GOMAXPROCS=1 taskset -c "${cpu_test}" "${PORTICO}" standalone -f "${WORK}/api.yaml" \
  --http-addr 127.0.0.1:18093 --admin-addr 127.0.0.1:18094 --log-level error > "${WORK}/portico.log" 2>&1 & PIDS+=($!)

wait_for http://127.0.0.1:18091/
wait_for http://127.0.0.1:18092/
wait_for http://127.0.0.1:18094/readyz
wait_for http://127.0.0.1:18093/bench/ok

rps() { # url [wrk args...]
  local url="$1"; shift
  taskset -c "${cpu_load}" wrk -t1 -c"${CONNECTIONS}" -d1s "$@" "${url}" >/dev/null # warm up
  taskset -c "${cpu_load}" wrk -t1 -c"${CONNECTIONS}" -d"${DURATION}" "$@" "${url}" | awk '/Requests\/sec/ {print $2}'
}
echo "bench-proxy: ${DURATION} per run, ${CONNECTIONS} connections, proxies on CPU ${cpu_test}, wrk and backend on CPU ${cpu_load}"
nginx_rps=$(rps http://127.0.0.1:18092/)
proxy_rps=$(rps http://127.0.0.1:18093/bench/ok)
mock_rps=$(rps http://127.0.0.1:18093/bench/mock)
keyed_rps=$(rps http://127.0.0.1:18093/bench/keyed -H "x-api-key: bench-key-0123456789012345678901234")
curl -fs -o /dev/null http://127.0.0.1:18093/bench/cached   # fill the cache
cached_rps=$(rps http://127.0.0.1:18093/bench/cached)
ratio() { echo "$1 / $2" | bc -l; }
printf '%-52s %12s %8s\n' "what" "requests/s" "ratio"
printf '%-52s %12.0f %8s\n' "nginx reverse proxy -> backend" "${nginx_rps}" "1.00"
printf '%-52s %12.0f %8.2f\n' "portico HTTP_PROXY -> backend" "${proxy_rps}" "$(ratio "${proxy_rps}" "${nginx_rps}")"
printf '%-52s %12.0f %8.2f\n' "portico MOCK (no backend)" "${mock_rps}" "$(ratio "${mock_rps}" "${nginx_rps}")"
printf '%-52s %12.0f %8.2f\n' "portico cache hit (HTTP_PROXY route, cached)" "${cached_rps}" "$(ratio "${cached_rps}" "${nginx_rps}")"
echo
printf '%-52s %12s %8s\n' "throttled route with an API key, against" "requests/s" "ratio"
printf '%-52s %12.0f %8s\n' "portico MOCK, no key, no plan" "${mock_rps}" "1.00"
printf '%-52s %12.0f %8.2f\n' "portico MOCK, API key + usage plan throttle + quota" "${keyed_rps}" "$(ratio "${keyed_rps}" "${mock_rps}")"
