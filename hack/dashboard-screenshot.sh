#!/usr/bin/env bash
# dashboard-screenshot.sh: the picture in docs/observability.md. Runs `portico standalone -f
# config/samples` under load, Debian's prometheus scraping its /metrics, and renders the
# Grafana dashboard's queries (taken from charts/portico/dashboards/portico.json) in
# Prometheus's graph page with headless Chromium, into docs/images/dashboard-queries.png.
#
# Needs: go, jq, curl, prometheus and chromium (apt-get install prometheus chromium).
# The window is as tall as the page: Prometheus focuses the last query's input, and a shorter
# window would scroll to it. Not part of CI: it takes about two minutes and its output is a picture for people.
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-${ROOT}/docs/images/dashboard-queries.png}"
LOAD_SECONDS="${LOAD_SECONDS:-90}"
WORK="$(mktemp -d)"
# Ports of their own, away from the e2e's (21xxx) and the benchmarks'.
HTTP=22080 HTTPS=22443 ADMIN=22901 CONNS=22902 PROM=22090 BACKEND=22081 CANARY=22082
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "${pid}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "${WORK}"
}
trap cleanup EXIT
until_ok() { # SECONDS COMMAND...
  local deadline=$(($(date +%s) + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [[ $(date +%s) -lt ${deadline} ]] || { echo "timed out: $*" >&2; exit 1; }
    sleep 0.2
  done
}
for tool in go jq curl prometheus chromium; do
  command -v "${tool}" >/dev/null || { echo "${tool} is missing (apt-get install prometheus chromium jq curl)" >&2; exit 1; }
done

go build -o "${WORK}/portico" "${ROOT}"
go build -o "${WORK}/e2ekit" "${ROOT}/hack/e2ekit"

# The samples, with the stage's backends moved to this script's ports.
cp -r "${ROOT}/config/samples" "${WORK}/samples"
sed -i "s/127.0.0.1:9080/127.0.0.1:${BACKEND}/; s/127.0.0.1:9082/127.0.0.1:${CANARY}/" "${WORK}/samples/05-stage.yaml"
grep -rl '127.0.0.1:9080' "${WORK}/samples" | xargs -r sed -i "s/127.0.0.1:9080/127.0.0.1:${BACKEND}/"

"${WORK}/e2ekit" backend "127.0.0.1:${BACKEND}=v1" "127.0.0.1:${CANARY}=v2" >"${WORK}/backend.log" 2>&1 &
PIDS+=($!)
"${WORK}/portico" standalone -f "${WORK}/samples" --http-addr "127.0.0.1:${HTTP}" --https-addr "127.0.0.1:${HTTPS}" \
  --admin-addr "127.0.0.1:${ADMIN}" --connections-addr "127.0.0.1:${CONNS}" --state-dir "${WORK}/state" >"${WORK}/portico.log" 2>&1 &
PIDS+=($!)
until_ok 60 curl -fs "http://127.0.0.1:${ADMIN}/readyz"

cat >"${WORK}/prometheus.yml" <<YAML
global: {scrape_interval: 2s, evaluation_interval: 2s}
scrape_configs:
  - job_name: portico
    static_configs: [{targets: ["127.0.0.1:${ADMIN}"]}]
YAML
prometheus --config.file "${WORK}/prometheus.yml" --storage.tsdb.path "${WORK}/tsdb" \
  --web.listen-address "127.0.0.1:${PROM}" --enable-feature=exemplar-storage >"${WORK}/prometheus.log" 2>&1 &
PIDS+=($!)
until_ok 60 curl -fs "http://127.0.0.1:${PROM}/-/ready"

# The load: a mock route, a cached route with customer-a's key past its usage plan's
# per-method rate (5/s), the same without a key (403), and a proxied route with a canary.
KEY_A="demo-key-customer-a-0123456789abcdef"
base="http://127.0.0.1:${HTTP}"
load=("${WORK}/e2ekit" hit -duration "${LOAD_SECONDS}s")
"${load[@]}" -rate 50 "${base}/prod/pets" >/dev/null &
PIDS+=($!)
"${load[@]}" -rate 20 -H "x-api-key:${KEY_A}" "${base}/prod/pets/1" >/dev/null &
PIDS+=($!)
"${load[@]}" -rate 10 "${base}/prod/pets/2" >/dev/null &
PIDS+=($!)
"${load[@]}" -rate 20 "${base}/prod/toys" >/dev/null &
PIDS+=($!)
echo "load for ${LOAD_SECONDS}s; prometheus on http://127.0.0.1:${PROM}"
sleep "${LOAD_SECONDS}"

# The dashboard's queries, by panel title and target, its variables set to "everything" and
# 30s rates.
query() { # TITLE TARGET_INDEX
  jq -r --arg t "$1" --argjson i "$2" '.panels[] | select(.title == $t) | .targets[$i].expr' "${ROOT}/charts/portico/dashboards/portico.json" |
    sed 's/\$__rate_interval/30s/g; s/\$api/.*/g; s/\$stage/.*/g'
}
url="http://127.0.0.1:${PROM}/graph?"
i=0
for panel in "Requests per second by route and variant|0" "Request latency p50 / p90 / p99 by route and variant|2" \
  "Cache hit ratio|0" "Gateway responses by type|0"; do
  title=${panel%|*}
  expr=$(query "${title}" "${panel##*|}")
  [[ -n "${expr}" ]] || { echo "no panel ${title} in the dashboard" >&2; exit 1; }
  url+="g${i}.expr=$(jq -rn --arg e "${expr}" '$e|@uri')&g${i}.tab=0&g${i}.range_input=$((LOAD_SECONDS / 60 + 1))m&g${i}.stacked=0&g${i}.show_exemplars=1&"
  i=$((i + 1))
done
mkdir -p "$(dirname "${OUT}")"
chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --disable-sync --hide-scrollbars --window-size=1400,3400 --virtual-time-budget=20000 \
  --screenshot="${OUT}" "${url}" 2>"${WORK}/chromium.log" || { cat "${WORK}/chromium.log" >&2; exit 1; }
echo "wrote ${OUT}"
