#!/usr/bin/env bash
# End to end, as a user walks it: a real etcd and kube-apiserver, the chart's rendered CRDs and
# RBAC, two `portico controller`s (leader election) and two `portico proxy`s run as processes
# with the chart's flags (quotas in a shared Redis), a real backend; then kubectl apply the
# samples, call the API through both proxies, read the usage, run a canary release (split,
# promote, roll back by pinning), and stop the leader and one proxy under load. Prints each
# step; any failed check stops the run with the logs.
#
# Needs: bin/portico (make build), bin/helm (make helm), the kube assets (make kube-assets),
# openssl, curl, jq, redis-server. `make e2e` provides the first three; .ci/run installs the rest.
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KUBE_VERSION="${KUBE_VERSION:-v1.36.3}"
ASSETS="${KUBEBUILDER_ASSETS:-${ROOT}/bin/k8s/${KUBE_VERSION}}"
PORTICO="${PORTICO:-${ROOT}/bin/portico}"
HELM="${HELM:-${ROOT}/bin/helm}"
NS=portico-system
WORK="$(mktemp -d)"
START=$(date +%s)

# Ports: one range, away from the benchmarks' (1809x) and the ephemeral range tests draw from.
ETCD_PORT=21379 API_PORT=21443 XDS_SERVICE=21000 REDIS_PORT=21390
CTRL_XDS=(21001 21002) CTRL_METRICS=(21011 21012) CTRL_HEALTH=(21021 21022)
PROXY_HTTP=(21081 21082) PROXY_ADMIN=(21091 21092) PROXY_CONNECTIONS=(21095 21096) PROXY_HTTPS=(21083 21084)
declare -A PIDS=()

# --- output -------------------------------------------------------------------------------

STEP=0
step() { STEP=$((STEP + 1)); printf '\n\033[1m== %d. %s\033[0m\n' "${STEP}" "$*"; }
say() { printf '   %s\n' "$*"; }
run() { printf '   $ %s\n' "$*"; "$@" 2>&1 | sed 's/^/     /'; }
fail() {
  printf '\n\033[1;31mE2E FAILED at step %d: %s\033[0m\n' "${STEP}" "$*" >&2
  for log in "${WORK}"/*.log; do
    [[ -f "${log}" ]] || continue
    printf '\n--- last lines of %s ---\n' "$(basename "${log}")" >&2
    tail -n 25 "${log}" >&2
  done
  # What the API server holds of the objects, when it still answers: their conditions say
  # where a wait stopped.
  if [[ -f "${WORK}/admin.kubeconfig" ]]; then
    printf '\n--- the API objects ---\n' >&2
    k get restapis,stages,domainnames -A -o jsonpath='{range .items[*]}{.kind} {.metadata.namespace}/{.metadata.name} generation {.metadata.generation}{"\n"}{range .status.conditions[*]}  {.type}={.status} ({.reason}, generation {.observedGeneration}): {.message}{"\n"}{end}{end}' --request-timeout 5s >&2 || true
    # The replicas' reports of their proxies, which the leader counts.
    k get configmaps -n portico-system -o jsonpath='{range .items[*]}{.metadata.name}: {.data}{"\n"}{end}' --request-timeout 5s 2>&1 | grep '^portico-xds' >&2 || true
  fi
  exit 1
}
cleanup() {
  local rc=$?
  for name in "${!PIDS[@]}"; do kill "${PIDS[${name}]}" 2>/dev/null || true; done
  # Ten seconds to exit on SIGTERM, then SIGKILL: a teardown never hangs the run.
  for _ in $(seq 1 50); do
    local alive=0
    for name in "${!PIDS[@]}"; do kill -0 "${PIDS[${name}]}" 2>/dev/null && alive=1; done
    [[ ${alive} == 0 ]] && break
    sleep 0.2
  done
  for name in "${!PIDS[@]}"; do kill -KILL "${PIDS[${name}]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ ${rc} -ne 0 && -n "${E2E_KEEP:-}" ]]; then echo "e2e: logs kept in ${WORK}" >&2; else rm -rf "${WORK}"; fi
}
trap cleanup EXIT
trap 'fail "command failed (line ${LINENO}): ${BASH_COMMAND}"' ERR

# until DESCRIPTION SECONDS COMMAND...: polls COMMAND every 0.2s until it succeeds.
until_ok() {
  local what="$1" secs="$2"; shift 2
  local deadline=$(($(date +%s) + secs))
  until "$@" >/dev/null 2>&1; do
    if [[ $(date +%s) -ge ${deadline} ]]; then fail "${what}: not within ${secs}s"; fi
    sleep 0.2
  done
}

# start NAME COMMAND...: runs COMMAND in the background, output in NAME.log.
start() {
  local name="$1"; shift
  "$@" >"${WORK}/${name}.log" 2>&1 &
  PIDS[${name}]=$!
}
stop() { # NAME: SIGTERM, as the kubelet stops a pod, and wait for the exit
  kill -TERM "${PIDS[$1]}" 2>/dev/null || true
  wait "${PIDS[$1]}" 2>/dev/null || true
  unset "PIDS[$1]"
}

k() { "${ASSETS}/kubectl" --kubeconfig "${WORK}/admin.kubeconfig" "$@"; }
field() { k get "$1" -o "jsonpath={$2}"; } # OBJECT JSONPATH: one field, for the checks below
# kp: `kubectl portico`, found by kubectl on PATH as the plugin kubectl-portico (the portico
# binary under that name), with kubectl_complete-portico for its shell completion.
kp() { KUBECONFIG="${WORK}/admin.kubeconfig" PATH="${WORK}/plugins:${PATH}" "${ASSETS}/kubectl" portico "$@"; }

# programmed WANT: the Stage's Programmed condition is True for its current generation, and
# counts WANT proxies.
programmed() {
  local gen observed status msg
  IFS=/ read -r gen observed status msg < <(field stage/prod '.metadata.generation}/{.status.conditions[?(@.type=="Programmed")].observedGeneration}/{.status.conditions[?(@.type=="Programmed")].status}/{.status.conditions[?(@.type=="Programmed")].message')
  [[ ${gen} == "${observed}" && ${status} == True && ${msg} == "all $1 connected proxies applied generation "* ]]
}
# wait_programmed: programmed, counting every running proxy, wherever it is connected: the
# leader counts the proxies of every controller replica, not only its own.
wait_programmed() {
  local want=0 name
  for name in "${!PIDS[@]}"; do
    if [[ ${name} == proxy-* ]]; then want=$((want + 1)); fi
  done
  until_ok "Stage prod Programmed, counting ${want} proxies" 60 programmed "${want}"
  say "Stage prod: $(field stage/prod '.status.conditions[?(@.type=="Programmed")].message')"
}

# hits PROXY_INDEX PATH [e2ekit hit flags...]: paced GETs through one proxy, a JSON summary.
hits() {
  local i="$1" path="$2"; shift 2
  "${WORK}/e2ekit" hit -rate 200 "$@" "http://127.0.0.1:${PROXY_HTTP[$i]}${path}"
}
# expect_all JSON BACKEND_PATH: every answer was a 200 from BACKEND_PATH ("v1 /toys").
expect_all() {
  local sent
  sent=$(jq -r .sent <<<"$1")
  [[ "$(jq -r '.status["200"] // 0' <<<"$1")" == "${sent}" ]] || fail "not every request answered 200: $1"
  [[ "$(jq -r --arg b "$2" '.backends[$b] // 0' <<<"$1")" == "${sent}" ]] || fail "expected every answer from \"$2\": $1"
  say "${sent}/${sent} answered 200 by \"$2\""
}

for tool in openssl curl jq redis-server; do
  command -v "${tool}" >/dev/null || fail "${tool} is missing (.ci/run installs it: apt-get install ${tool})"
done
for bin in "${ASSETS}/etcd" "${ASSETS}/kube-apiserver" "${ASSETS}/kubectl" "${PORTICO}" "${HELM}"; do
  [[ -x "${bin}" ]] || fail "${bin} is missing: run make build helm kube-assets (or make e2e)"
done
go build -o "${WORK}/e2ekit" "${ROOT}/hack/e2ekit"
mkdir -p "${WORK}/plugins"
ln -s "${PORTICO}" "${WORK}/plugins/kubectl-portico"
cp "${ROOT}/hack/kubectl_complete-portico" "${WORK}/plugins/"

# --- the cluster --------------------------------------------------------------------------

step "Start etcd and kube-apiserver ${KUBE_VERSION} (no scheduler, no kubelet: Portico runs as processes)"
ADMIN_TOKEN=$(openssl rand -hex 24)
echo "${ADMIN_TOKEN},e2e-admin,e2e-admin,system:masters" >"${WORK}/tokens.csv"
openssl genrsa -out "${WORK}/sa.key" 2048 2>/dev/null
start etcd "${ASSETS}/etcd" --data-dir "${WORK}/etcd" --name e2e \
  --listen-client-urls "http://127.0.0.1:${ETCD_PORT}" --advertise-client-urls "http://127.0.0.1:${ETCD_PORT}" \
  --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
  --initial-cluster "e2e=http://127.0.0.1:$((ETCD_PORT + 1))"
start kube-apiserver "${ASSETS}/kube-apiserver" --etcd-servers "http://127.0.0.1:${ETCD_PORT}" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "${API_PORT}" --cert-dir "${WORK}/pki" \
  --token-auth-file "${WORK}/tokens.csv" --authorization-mode RBAC \
  --service-account-issuer https://kubernetes.default.svc --service-account-key-file "${WORK}/sa.key" \
  --service-account-signing-key-file "${WORK}/sa.key" --service-cluster-ip-range 10.96.0.0/16
until_ok "kube-apiserver serving certificate" 90 test -s "${WORK}/pki/apiserver.crt"
kubeconfig() { # FILE TOKEN
  local kc=("${ASSETS}/kubectl" --kubeconfig "$1" config)
  "${kc[@]}" set-cluster e2e --server "https://127.0.0.1:${API_PORT}" --certificate-authority "${WORK}/pki/apiserver.crt" --embed-certs >/dev/null
  "${kc[@]}" set-credentials user --token "$2" >/dev/null
  "${kc[@]}" set-context e2e --cluster e2e --user user --namespace default >/dev/null
  "${kc[@]}" use-context e2e >/dev/null
}
kubeconfig "${WORK}/admin.kubeconfig" "${ADMIN_TOKEN}"
until_ok "kube-apiserver ready" 60 k get --raw /readyz
until_ok "default namespace" 90 k get namespace default
run k version

step "Install the chart's CRDs, RBAC, Services, Secrets (helm template | kubectl apply), with quotas in Redis"
say "helm values: redis.state.url=redis://127.0.0.1:${REDIS_PORT}/0 (one Redis for every proxy's throttles and quotas),"
say "controller.usageInterval=2s (the default, 1m, would make a slow walkthrough)"
start redis "$(command -v redis-server)" --port "${REDIS_PORT}" --bind 127.0.0.1 --save "" --appendonly no --dir "${WORK}"
"${HELM}" template portico "${ROOT}/charts/portico" --namespace "${NS}" --include-crds \
  --set "redis.state.url=redis://127.0.0.1:${REDIS_PORT}/0" --set controller.usageInterval=2s >"${WORK}/rendered.yaml"
run k create namespace "${NS}"
run k apply --server-side -f "${WORK}/rendered.yaml"
say "(the Deployments stay without pods here: the same binaries run below with the chart's flags)"
until_ok "CRDs established" 90 k wait --for condition=Established --timeout 1s crd --all
for f in ca.crt tls.crt tls.key client.crt client.key; do
  k get secret -n "${NS}" portico-xds-tls -o "jsonpath={.data.${f//./\\.}}" | base64 -d >"${WORK}/${f}"
done
# What the kubelet passes the pods from the chart's Secret: the environment variable
# PORTICO_STATE_REDIS, which keeps the URL (and a password in it) off the command line.
STATE_REDIS=$(k get secret -n "${NS}" portico-redis -o jsonpath='{.data.state-url}' | base64 -d)
# The controllers act as their ServiceAccount, so the chart's RBAC is what they may do.
kubeconfig "${WORK}/controller.kubeconfig" "$(k create token portico-controller -n "${NS}" --duration 2h)"
run k auth can-i --as "system:serviceaccount:${NS}:portico-controller" update stages.apigateway.portico.dev --subresource status
say "and may not delete Secrets: $(k auth can-i --as "system:serviceaccount:${NS}:portico-controller" delete secrets || true)"

step "Run two controllers (leader election) behind a Service-like balancer, and two proxies"
for i in 0 1; do
  POD_NAMESPACE="${NS}" PORTICO_STATE_REDIS="${STATE_REDIS}" start "controller-$i" "${PORTICO}" controller --kubeconfig "${WORK}/controller.kubeconfig" \
    --xds-addr "127.0.0.1:${CTRL_XDS[$i]}" --metrics-addr "127.0.0.1:${CTRL_METRICS[$i]}" \
    --health-addr "127.0.0.1:${CTRL_HEALTH[$i]}" --leader-elect=true --gateway-url "http://127.0.0.1:${PROXY_HTTP[0]}" \
    --log-level "${E2E_CONTROLLER_LOG_LEVEL:-info}" --xds-tls-cert "${WORK}/tls.crt" --xds-tls-key "${WORK}/tls.key" --xds-tls-ca "${WORK}/ca.crt" \
    --usage-interval 2s --redis-prefix "portico:"
done
# portico-controller-xds: connections go to the controllers in turn, skipping a dead one.
start service "${WORK}/e2ekit" service "127.0.0.1:${XDS_SERVICE}" "127.0.0.1:${CTRL_XDS[0]}" "127.0.0.1:${CTRL_XDS[1]}"
for i in 0 1; do
  PORTICO_STATE_REDIS="${STATE_REDIS}" start "proxy-$i" "${PORTICO}" proxy --xds-server "127.0.0.1:${XDS_SERVICE}" --node-id "portico-proxy-$i" \
    --http-addr "127.0.0.1:${PROXY_HTTP[$i]}" --admin-addr "127.0.0.1:${PROXY_ADMIN[$i]}" --connections-addr "127.0.0.1:${PROXY_CONNECTIONS[$i]}" --drain-timeout 5s \
    --https-addr "127.0.0.1:${PROXY_HTTPS[$i]}" --region us-east-1 --log-level info --xds-tls-ca "${WORK}/ca.crt" --xds-tls-cert "${WORK}/client.crt" \
    --xds-tls-key "${WORK}/client.key" --xds-tls-server-name "portico-controller-xds.${NS}.svc" \
    --redis-prefix "portico:"
done
for i in 0 1; do
  until_ok "controller-$i ready" 60 curl -fs "http://127.0.0.1:${CTRL_HEALTH[$i]}/readyz"
done
# has_metric PORT LINE_REGEX: the metrics on that loopback port have a matching line. (Read
# first, then grep: `curl | grep -q` fails under pipefail when grep stops reading early.)
has_metric() {
  local metrics
  metrics=$(curl -fs "http://127.0.0.1:$1/metrics" 2>/dev/null) || return 1
  grep -q "$2" <<<"${metrics}"
}
leader() { # prints the index of the controller holding the lease
  for i in 0 1; do
    if has_metric "${CTRL_METRICS[$i]}" '^leader_election_master_status{.*} 1'; then
      echo "$i"; return 0
    fi
  done
  return 1
}
until_ok "a leader elected" 60 leader
LEADER=$(leader)
say "controller-${LEADER} holds the lease: $(k get lease -n "${NS}" portico-controller.apigateway.portico.dev -o jsonpath='{.spec.holderIdentity}')"
for i in 0 1; do
  until_ok "proxy-$i connected over xDS/mTLS" 90 has_metric "${PROXY_ADMIN[$i]}" '^portico_proxy_xds_connected 1'
done
say "both proxies connected to the xDS Service over mutual TLS"
say "backends: 127.0.0.1:9080 answers as v1, 127.0.0.1:9082 as v2 (the samples' stage variables)"
start backend "${WORK}/e2ekit" backend 127.0.0.1:9080=v1 127.0.0.1:9082=v2
until_ok "backend up" 10 curl -fs http://127.0.0.1:9080/

# --- as a user ------------------------------------------------------------------------------

step "kubectl apply -f config/samples, and wait for the Stage to be Programmed"
run k apply -f "${ROOT}/config/samples"
wait_programmed
run k get portico
key_generated() { [[ -n "$(field secret/customer-b .data.key)" ]]; }
until_ok "customer-b's key generated by the controller" 90 key_generated
KEY_A="demo-key-customer-a-0123456789abcdef"
KEY_B=$(k get secret customer-b -o jsonpath='{.data.key}' | base64 -d)
say "customer-b's Secret had no key: the controller generated one (${#KEY_B} characters)"

step "Call the API through both proxies"
for i in 0 1; do
  url="http://127.0.0.1:${PROXY_HTTP[$i]}"
  code=$(curl -s -o "${WORK}/body" -w '%{http_code}' "${url}/prod/pets")
  [[ "${code}" == 200 ]] || fail "GET /prod/pets via proxy-$i: ${code}"
  say "proxy-$i GET /prod/pets -> ${code} $(cat "${WORK}/body")"
  code=$(curl -s -o "${WORK}/body" -w '%{http_code}' "${url}/prod/pets/1")
  [[ "${code}" == 403 ]] || fail "GET /prod/pets/1 without a key via proxy-$i: ${code}"
  say "proxy-$i GET /prod/pets/1 without x-api-key -> ${code} $(cat "${WORK}/body")"
  for key in "${KEY_A}" "${KEY_B}"; do
    code=$(curl -s -o "${WORK}/body" -w '%{http_code}' -H "x-api-key: ${key}" "${url}/prod/pets/1")
    [[ "${code}" == 200 ]] || fail "GET /prod/pets/1 with a key via proxy-$i: ${code} $(cat "${WORK}/body")"
  done
  say "proxy-$i GET /prod/pets/1 with customer-a's and customer-b's keys -> 200 $(cat "${WORK}/body")"
done

step "HTTPS: a DomainName with a certificate made by openssl, through both proxies (SNI, mutual TLS, redirect)"
# issue NAME CA SUBJECT_ALT_NAME USAGE: a P-256 key and a certificate signed by CA (self-signed
# when CA is "-").
issue() {
  local ext="subjectAltName=$3"$'\n'"extendedKeyUsage=$4"
  if [[ "$2" == - ]]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$1" \
      -keyout "${WORK}/$1.key" -out "${WORK}/$1.crt" 2>/dev/null
    return
  fi
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" -keyout "${WORK}/$1.key" -out "${WORK}/$1.csr" 2>/dev/null
  openssl x509 -req -in "${WORK}/$1.csr" -CA "${WORK}/$2.crt" -CAkey "${WORK}/$2.key" -CAcreateserial -days 2 \
    -extfile <(printf '%s\n' "${ext}") -out "${WORK}/$1.crt" 2>/dev/null
}
issue domain-ca - "" ""
issue api-example domain-ca "DNS:api.example.test,DNS:partners.example.test" serverAuth
issue partners-ca - "" ""
issue partner partners-ca "DNS:partner" clientAuth
issue stranger-ca - "" ""
issue stranger stranger-ca "DNS:stranger" clientAuth
run k create secret tls api-example-tls --cert "${WORK}/api-example.crt" --key "${WORK}/api-example.key"
run k create configmap partners-ca --from-file "ca.crt=${WORK}/partners-ca.crt"
k apply -f - >/dev/null <<'YAML'
apiVersion: apigateway.portico.dev/v1alpha1
kind: DomainName
metadata: {name: api-example}
spec:
  domainName: api.example.test
  certificateRef: {name: api-example-tls}
  httpRedirect: true
  mappings: [{basePath: "", restApiRef: {name: pets}, stage: prod}]
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: DomainName
metadata: {name: partners}
spec:
  domainName: partners.example.test
  certificateRef: {name: api-example-tls}
  securityPolicy: TLS_1_2
  mutualTLS: {truststoreRef: {name: partners-ca}}
  mappings: [{basePath: v1, restApiRef: {name: pets}, stage: prod}]
YAML
dn_programmed() { [[ "$(field "domainname/$1" '.status.conditions[?(@.type=="Programmed")].status')" == True ]]; }
domains_programmed() { dn_programmed api-example && dn_programmed partners; }
until_ok "both DomainNames Programmed (every proxy has the domains and the certificate)" 60 domains_programmed
run k get domainname
for i in 0 1; do
  port=${PROXY_HTTPS[$i]}
  https() { # SNI PATH [curl flags...]: curl to this proxy's HTTPS port with the name resolved to it
    local sni=$1 path=$2; shift 2
    curl -s -o "${WORK}/body" -w '%{http_code}' --cacert "${WORK}/domain-ca.crt" --resolve "${sni}:${port}:127.0.0.1" "$@" "https://${sni}:${port}${path}"
  }
  code=$(https api.example.test /pets) || true
  [[ "${code}" == 200 ]] || fail "GET https://api.example.test/pets via proxy-$i: ${code}"
  say "proxy-$i curl --cacert domain-ca.crt https://api.example.test/pets -> ${code} (no stage in the path: the base path is)"
  out=$(openssl s_client -connect "127.0.0.1:${port}" -servername api.example.test -CAfile "${WORK}/domain-ca.crt" -brief </dev/null 2>&1) || true
  grep -q "Verification: OK" <<<"${out}" || fail "openssl s_client -servername api.example.test via proxy-$i: ${out}"
  say "proxy-$i openssl s_client -servername api.example.test -> $(grep -m1 'Protocol version' <<<"${out}"), verified"
  if openssl s_client -connect "127.0.0.1:${port}" -servername unknown.example.test -brief </dev/null >"${WORK}/sclient" 2>&1; then
    fail "a handshake for an unknown name succeeded via proxy-$i: $(cat "${WORK}/sclient")"
  fi
  say "proxy-$i openssl s_client -servername unknown.example.test -> handshake refused"
  code=$(https partners.example.test /v1/pets --cert "${WORK}/partner.crt" --key "${WORK}/partner.key") || true
  [[ "${code}" == 200 ]] || fail "mutual TLS with the partner's certificate via proxy-$i: ${code}"
  for who in none stranger; do
    flags=(); [[ "${who}" == stranger ]] && flags=(--cert "${WORK}/stranger.crt" --key "${WORK}/stranger.key")
    code=$(https partners.example.test /v1/pets "${flags[@]}") || true
    [[ "${code}" == 000 ]] || fail "mutual TLS with ${who} certificate via proxy-$i answered ${code}"
  done
  say "proxy-$i mutual TLS: curl --cert partner.crt -> 200; no certificate, or a stranger's -> handshake refused"
  loc=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H 'Host: api.example.test' "http://127.0.0.1:${PROXY_HTTP[$i]}/pets?limit=1")
  [[ "${loc}" == "301 https://api.example.test/pets?limit=1" ]] || fail "http://api.example.test/pets via proxy-$i: ${loc}"
  say "proxy-$i http://api.example.test/pets?limit=1 -> ${loc} (httpRedirect)"
done

# The Stage's accessLog: one JSON line per request, in its format, carrying the request id.
rid=$(curl -s -o /dev/null -D - "http://127.0.0.1:${PROXY_HTTP[0]}/prod/pets" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-request-id" {print $2}')
until_ok "the access log line of request ${rid}" 10 grep -q "\"id\":\"${rid}\"" "${WORK}/proxy-0.log"
say "proxy-0's access log, one line per request in the Stage's format:"
say "  $(grep "\"id\":\"${rid}\"" "${WORK}/proxy-0.log")"

step "Usage plans: both proxies count in one Redis, and the leader writes the usage into the plan"
for i in 0 1; do
  out=$(hits "$i" /prod/pets/1 -n 4 -rate 20 -H "x-api-key:${KEY_A}")
  [[ "$(jq -r '.status["200"] // 0' <<<"${out}")" == 4 ]] || fail "4 calls with customer-a's key via proxy-$i: ${out}"
done
say "customer-a: 1 + 4 calls through each proxy; customer-b: 1 through each"
used_by() { # PROXY KEY_ID: what that proxy's /usage says the key used
  curl -fs "http://127.0.0.1:${PROXY_ADMIN[$1]}/usage" | jq -r --arg k "$2" '[.usage[] | select(.keyId == $k) | .used] | add // 0'
}
for i in 0 1; do
  [[ "$(used_by "$i" customer-a)" == 10 ]] || fail "proxy-$i /usage: customer-a used $(used_by "$i" customer-a), want 10 (shared)"
done
say "each proxy's /usage reads customer-a: 10 of 10,000 this month (one shared counter, not 5 per proxy)"
usage_is() { [[ "$(field uplan/gold .status.usage.used)" == "$1" ]]; }
until_ok "status.usage.used of plan gold reaching 12" 90 usage_is 12
run k get uplan gold
run kp usage gold
[[ "$(kp usage gold -o json | jq -r '.usage.keys[] | select(.name == "customer-a") | .used')" == 10 ]] ||
  fail "kubectl portico usage gold -o json: customer-a did not use 10"

step "Canary release: pin the stable revision (the samples' canary goes; the stage cache stays on, its entries are per revision)"
R1=$(k get stage prod -o jsonpath='{.status.deployedRevision}')
run k patch stage prod --type json -p "[{\"op\":\"add\",\"path\":\"/spec/deployment\",\"value\":{\"revision\":${R1}}},{\"op\":\"remove\",\"path\":\"/spec/canary\"}]"
wait_programmed
expect_all "$(hits 0 /prod/toys -n 50)" "v1 /toys"

step "Change the API: list-toys calls /v2/toys; the pinned stage keeps serving revision ${R1}"
run k patch route list-toys --type merge -p '{"spec":{"integration":{"uri":"http://${stageVariables.backend}/v2/toys"}}}'
revision_after() { [[ "$(field restapi/pets .status.revision)" -gt "$1" ]]; }
until_ok "a new revision" 90 revision_after "${R1}"
R2=$(k get restapi pets -o jsonpath='{.status.revision}')
run kp revisions pets
run kp revisions pets --diff "${R1}" "${R2}"
grep -q '/v2/toys' <<<"$(kp revisions pets --diff "${R1}" "${R2}")" || fail "revisions --diff ${R1} ${R2} does not show the new uri"
expect_all "$(hits 1 /prod/toys -n 50)" "v1 /toys"

step "Try revision ${R2} before any stage serves it: kubectl portico test-invoke --revision"
run kp test-invoke --api pets --stage prod --path /toys --revision "${R2}"
grep -q '"path":"/v2/toys"' <<<"$(kp test-invoke --api pets --stage prod --path /toys --revision "${R2}")" ||
  fail "test-invoke --revision ${R2} did not call /v2/toys"
grep -q '"path":"/toys"' <<<"$(kp test-invoke --api pets --stage prod --path /toys)" ||
  fail "test-invoke of the stage as deployed did not call /toys"
say "test-invoke ran the request in process: revision ${R2} calls /v2/toys, the stage as deployed /toys"

step "Send 10% to revision ${R2} as a canary"
run k patch stage prod --type merge -p "{\"spec\":{\"canary\":{\"percentTraffic\":10,\"deployment\":{\"revision\":${R2}}}}}"
wait_programmed
run k get stage prod -o wide
canary=0 total=0
for i in 0 1; do
  out=$(hits "$i" /prod/toys -n 500)
  [[ "$(jq -r '.status["200"] // 0' <<<"${out}")" == 500 ]] || fail "not every request answered 200: ${out}"
  canary=$((canary + $(jq -r '.backends["v1 /v2/toys"] // 0' <<<"${out}")))
  total=$((total + 500))
done
say "${canary} of ${total} requests went to the canary ($(echo "scale=1; 100 * ${canary} / ${total}" | bc)%, expected 10%)"
# 1,000 draws of p = 0.1: the standard deviation is 0.95 points; 6% to 14% is over 4 of them.
[[ ${canary} -ge 60 && ${canary} -le 140 ]] || fail "canary share ${canary}/${total} is not about 10%"

step "Promote the canary with kubectl portico: revision ${R2} becomes the stage's"
# What the shell asks kubectl on `kubectl portico promote <TAB>`: kubectl runs
# kubectl_complete-portico, which asks the plugin.
completion=$(KUBECONFIG="${WORK}/admin.kubeconfig" PATH="${WORK}/plugins:${PATH}" "${ASSETS}/kubectl" __complete portico promote "" 2>/dev/null)
grep -qx prod <<<"${completion}" || fail "kubectl's completion of kubectl portico promote does not offer prod: ${completion}"
say "kubectl portico promote <TAB> offers: $(grep -v '^:' <<<"${completion}" | tr '\n' ' ')"
run kp promote prod
wait_programmed
expect_all "$(hits 0 /prod/toys -n 50)" "v1 /v2/toys"
expect_all "$(hits 1 /prod/toys -n 50)" "v1 /v2/toys"

step "Roll back to revision ${R1} with kubectl portico"
run kp rollback prod --to "${R1}"
wait_programmed
expect_all "$(hits 0 /prod/toys -n 50)" "v1 /toys"
expect_all "$(hits 1 /prod/toys -n 50)" "v1 /toys"
xcache=$(curl -s -o /dev/null -D - "http://127.0.0.1:${PROXY_HTTP[0]}/prod/toys" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-cache" {print $2}')
[[ "${xcache}" == Hit ]] || fail "after the rollback, x-cache: ${xcache}, want Hit"
say "x-cache: Hit: the stage cache kept revision ${R1}'s answers, and serves them again (entries are per revision)"

step "Move the API out and back: kubectl portico export openapi from the cluster, import it, server-side dry run"
kp export openapi --api pets --stage prod >"${WORK}/pets-openapi.yaml"
grep -q 'x-amazon-apigateway-integration' "${WORK}/pets-openapi.yaml" || fail "the export carries no x-amazon-apigateway-integration"
say "exported $(grep -c 'x-portico-route' "${WORK}/pets-openapi.yaml") operations as OpenAPI 3.0 with AWS's extensions"
kp import openapi "${WORK}/pets-openapi.yaml" --name pets-imported -o "${WORK}/imported" 2>"${WORK}/import-summary.txt" ||
  fail "import of the export failed: $(cat "${WORK}/import-summary.txt")"
say "$(grep '^imported' "${WORK}/import-summary.txt")"
grep -q 'everything in the document was carried over' "${WORK}/import-summary.txt" || fail "the import left something out: $(cat "${WORK}/import-summary.txt")"
run k apply --dry-run=server -f "${WORK}/imported"

step "Under load, stop the leader controller and the proxy on the other controller"
LEADER=$(leader)
OTHER=$((1 - LEADER))
# The proxy to keep is the one on the leader: it must fail over to the other controller.
grep -h '"proxy connected"' "${WORK}/controller-${LEADER}.log" >"${WORK}/connected" || true
KEEP=$(grep -o 'portico-proxy-[01]' "${WORK}/connected" | tail -n 1 | cut -d- -f3)
KEEP=${KEEP:-0}
GONE=$((1 - KEEP))
say "controller-${LEADER} leads; proxy-${KEEP} keeps serving under load, proxy-${GONE} and controller-${LEADER} stop"
hits "${KEEP}" /prod/pets -duration 12s >"${WORK}/load.json" &
LOAD=$!
until_ok "load under way" 10 curl -fs "http://127.0.0.1:${PROXY_HTTP[$KEEP]}/prod/health"
sleep 2 # let the load run before the stop: the point is requests crossing it
T0=$(date +%s)
stop "controller-${LEADER}"
stop "proxy-${GONE}"
say "stopped controller-${LEADER} and proxy-${GONE}"
until_ok "controller-${OTHER} takes the lease" 45 has_metric "${CTRL_METRICS[$OTHER]}" '^leader_election_master_status{.*} 1'
say "controller-${OTHER} took over in $(($(date +%s) - T0))s: $(k get lease -n "${NS}" portico-controller.apigateway.portico.dev -o jsonpath='{.spec.holderIdentity}')"
until_ok "proxy-${KEEP} reconnected" 90 has_metric "${PROXY_ADMIN[$KEEP]}" '^portico_proxy_xds_connected 1'
wait "${LOAD}" || fail "load client failed"
load=$(cat "${WORK}/load.json")
sent=$(jq -r .sent <<<"${load}")
[[ "$(jq -r '.status["200"] // 0' <<<"${load}")" == "${sent}" && "$(jq -r '.errors // [] | length' <<<"${load}")" == 0 ]] ||
  fail "proxy-${KEEP} did not answer every request during the stop: ${load}"
say "proxy-${KEEP} answered ${sent}/${sent} requests with 200 while the leader and the other proxy stopped"

step "The new leader programs a change: promote revision ${R2} again"
run k patch stage prod --type merge -p "{\"spec\":{\"deployment\":{\"revision\":${R2}}}}"
wait_programmed
expect_all "$(hits "${KEEP}" /prod/toys -n 50)" "v1 /v2/toys"
run k get portico

printf '\n\033[1;32mE2E PASSED: %d steps in %ds\033[0m\n' "${STEP}" "$(($(date +%s) - START))"
