#!/usr/bin/env bash
# Measures Portico's HTTPS listener against nginx with the same certificate (ECDSA P-256), in
# the same run, on the same core: each server under test is pinned to CPU 1 (nginx with one
# worker, Portico's proxy with GOMAXPROCS=1) and answers "ok" itself (a MOCK route; nginx's
# `return 200`), so that TLS is what is measured. The load generator (hack/benchtls) runs on
# CPU 0. Two figures per server:
#   - new TLS handshakes per second: full handshakes, TLS 1.3, no resumption, 16 at a time;
#   - requests per second over kept-alive TLS: HTTP/1.1 GETs on 64 connections.
# On a 2-core machine the load generator's own handshakes cost about what the server's do,
# so the handshake figure is a floor for both; the ratio is what to read. Needs nginx,
# openssl, taskset and Go.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DURATION="${DURATION:-5s}"
PORTICO="${PORTICO:-${ROOT}/bin/portico}"
# shellcheck source=hack/benchlib.sh
source "${ROOT}/hack/benchlib.sh"

require_tools bench-tls "apt-get install nginx-light openssl" nginx openssl taskset curl go

# One CA and one certificate for bench.example.com, served by both.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench-ca \
  -keyout "${WORK}/ca.key" -out "${WORK}/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=bench.example.com \
  -keyout "${WORK}/tls.key" -out "${WORK}/tls.csr" 2>/dev/null
openssl x509 -req -in "${WORK}/tls.csr" -CA "${WORK}/ca.crt" -CAkey "${WORK}/ca.key" -CAcreateserial -days 2 \
  -extfile <(printf 'subjectAltName=DNS:bench.example.com\nextendedKeyUsage=serverAuth\n') -out "${WORK}/tls.crt" 2>/dev/null

mkdir -p "${WORK}/nginx"
cat > "${WORK}/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid ${WORK}/nginx/nginx.pid;
error_log ${WORK}/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:28492 ssl reuseport backlog=4096;
    server_name bench.example.com;
    ssl_certificate ${WORK}/tls.crt;
    ssl_certificate_key ${WORK}/tls.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { return 200 "ok\n"; }
  }
}
CONF
taskset -c "${cpu_test}" nginx -p "${WORK}/nginx" -c "${WORK}/nginx/nginx.conf" & PIDS+=($!)
nginx_pid=$!

b64() { base64 -w0 < "$1"; }
cat > "${WORK}/api.yaml" <<YAML
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: bench}
spec: {}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: mock}
spec:
  restApiRef: {name: bench}
  path: /
  methods: [GET]
  integration: {type: MOCK, mock: {statusCode: 200, body: "ok\n"}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: bench}
spec:
  restApiRef: {name: bench}
  # As in bench-proxy.sh: above the default stage throttle (10,000 requests/s, AWS's account
  # default) Portico would answer 429, which is not what is measured.
  throttling: {rateLimit: 1000000, burstLimit: 1000000}
---
apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata: {name: bench-tls}
data: {tls.crt: $(b64 "${WORK}/tls.crt"), tls.key: $(b64 "${WORK}/tls.key")}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: DomainName
metadata: {name: bench}
spec:
  domainName: bench.example.com
  certificateRef: {name: bench-tls}
  mappings: [{basePath: "", restApiRef: {name: bench}, stage: bench}]
YAML
(cd "${ROOT}" && CGO_ENABLED=0 go build -o "${WORK}/benchtls" ./hack/benchtls)
# As in bench-proxy.sh: standalone compiles on the load CPU and pushes to a `portico proxy`
# pinned to the test CPU.
taskset -c "${cpu_load}" "${PORTICO}" standalone -f "${WORK}/api.yaml" --xds-addr 127.0.0.1:28496 \
  --http-addr 127.0.0.1:28497 --admin-addr 127.0.0.1:28498 --connections-addr 127.0.0.1:28499 --https-addr 127.0.0.1:28500 \
  --log-level error > "${WORK}/standalone.log" 2>&1 & PIDS+=($!)
GOMAXPROCS=1 taskset -c "${cpu_test}" "${PORTICO}" proxy --xds-server 127.0.0.1:28496 --node-id bench-tls \
  --http-addr 127.0.0.1:28493 --admin-addr 127.0.0.1:28494 --connections-addr 127.0.0.1:28495 --https-addr 127.0.0.1:28491 \
  --log-level error > "${WORK}/portico.log" 2>&1 & PIDS+=($!)
portico_pid=$!

ready() { # name address
  for _ in $(seq 1 200); do
    if curl -fs -o /dev/null --cacert "${WORK}/ca.crt" --resolve "bench.example.com:${2##*:}:127.0.0.1" "https://bench.example.com:${2##*:}/"; then return 0; fi
    sleep 0.05
  done
  echo "bench-tls: $1 never answered over HTTPS" >&2; cat "${WORK}"/*.log >&2; exit 1
}
ready nginx 127.0.0.1:28492
ready portico 127.0.0.1:28491

# The load generator is one Go process on one core, and is itself near its limit at nginx's rates:
# the rate ratio then understates the faster server. CPU time per operation of the server under
# test (its user + system time over the run, divided by the operations it served) does not.
run() { # addr mode conns server-pid...: prints "rate/s cpu-µs-per-operation"
  local addr="$1" mode="$2" conns="$3"; shift 3
  local before after out
  before=$(cpu_ticks "$@")
  out=$(GOMAXPROCS=1 taskset -c "${cpu_load}" "${WORK}/benchtls" -addr "${addr}" -sni bench.example.com -cacert "${WORK}/ca.crt" \
    -mode "${mode}" -c "${conns}" -d "${DURATION}")
  after=$(cpu_ticks "$@")
  # "N per second (DONE in Ts, F failed)": a failed operation means the figure is not the cost
  # of the operation measured.
  if [[ "$(awk '{print $7}' <<<"${out}")" != 0 ]]; then echo "bench-tls: ${mode} against ${addr}: ${out}" >&2; exit 1; fi
  awk -v ticks="$((after - before))" -v hz="$(getconf CLK_TCK)" '{ n = substr($4, 2); printf "%s %.1f\n", $1, (n > 0 ? ticks * 1e6 / hz / n : 0) }' <<<"${out}"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

echo "TLS on one core (${DURATION} each; ECDSA P-256, TLS 1.3; load generator on another core)"
nginx_pids=("${nginx_pid}" $(pgrep -P "${nginx_pid}"))
report() { # label nginx-result portico-result
  local nr nc pr pc
  read -r nr nc <<<"$2"; read -r pr pc <<<"$3"
  printf '%-30s nginx %7s/s %7s µs   portico %7s/s %7s µs   portico/nginx: rate %s, CPU %s\n' \
    "$1" "${nr}" "${nc}" "${pr}" "${pc}" "$(ratio "${pr}" "${nr}")" "$(ratio "${nc}" "${pc}")"
}
echo "(rate: operations per second; µs: the server's CPU time per operation; CPU ratio: nginx's over Portico's)"
nginx_result=$(run 127.0.0.1:28492 handshake 16 "${nginx_pids[@]}")
portico_result=$(run 127.0.0.1:28491 handshake 16 "${portico_pid}")
report "new TLS handshakes" "${nginx_result}" "${portico_result}"
nginx_result=$(run 127.0.0.1:28492 keepalive 64 "${nginx_pids[@]}")
portico_result=$(run 127.0.0.1:28491 keepalive 64 "${portico_pid}")
report "requests over kept-alive TLS" "${nginx_result}" "${portico_result}"
