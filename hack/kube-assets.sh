#!/usr/bin/env bash
# Provides the binaries the integration tests run against: kube-apiserver and kubectl, built
# from the Go module proxy (envtest's usual download is unreachable here), and etcd, from
# Debian's etcd-server package. They are cached under bin/k8s/<version>/ and, so that fresh
# clones (CI) reuse them, under ${XDG_CACHE_HOME:-~/.cache}/portico/k8s/<version>/. A second
# run only checks that they are there. Prints the assets folder (KUBEBUILDER_ASSETS).
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.36.3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ASSETS="${ROOT}/bin/k8s/${KUBE_VERSION}"
CACHE="${XDG_CACHE_HOME:-${HOME}/.cache}/portico/k8s/${KUBE_VERSION}"
BINARIES=(kube-apiserver kubectl)
mkdir -p "${ASSETS}" "${CACHE}"

log() { echo "kube-assets: $*" >&2; }

# fresh BINARY: whether BINARY is there and reports KUBE_VERSION (kubectl through `version
# --client`, the API server through `--version`). The output is captured before it is matched:
# under pipefail, `| grep -q` stopping at kubectl's first line would fail the check whenever
# kubectl's second write then met a closed pipe (about one check in three), and rebuild it.
fresh() {
  [[ -x "$1" ]] || return 1
  local out
  out="$("$1" version --client 2>/dev/null || true)"
  [[ "${out}" == *"${KUBE_VERSION}"* ]] && return 0
  out="$("$1" --version 2>/dev/null || true)"
  [[ "${out}" == *"${KUBE_VERSION}"* ]]
}

build_kube() {
  local minor patch staging work kmod
  minor="$(echo "${KUBE_VERSION}" | cut -d. -f2)"
  patch="$(echo "${KUBE_VERSION}" | cut -d. -f3)"
  staging="v0.${minor}.${patch}"
  work="$(mktemp -d)"
  trap 'rm -rf "${work}"' RETURN
  log "building $* ${KUBE_VERSION} from the Go module proxy (about 5 minutes on 2 cores, once)"
  export GONOSUMDB="k8s.io" GOFLAGS="-mod=mod"
  # k8s.io/kubernetes points every staging module at ./staging; pin each to its published
  # v0.Y.Z instead. The list comes from the kubernetes go.mod itself, so new staging modules
  # need no edit here.
  kmod="$(go mod download -json "k8s.io/kubernetes@${KUBE_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')"
  {
    echo "module portico.dev/kube-build"
    echo
    echo "go $(go env GOVERSION | sed 's/^go//; s/^\([0-9]*\.[0-9]*\).*/\1/')"
    echo
    echo "require k8s.io/kubernetes ${KUBE_VERSION}"
    echo
    grep -oE 'k8s.io/[a-z0-9-]+ => \./staging/src/k8s.io/[a-z0-9-]+' "${kmod}" |
      awk -v v="${staging}" '{print "replace " $1 " => " $1 " " v}'
  } > "${work}/go.mod"
  {
    echo 'package tools'
    echo 'import ('
    echo '  _ "k8s.io/kubernetes/cmd/kube-apiserver"'
    echo '  _ "k8s.io/kubernetes/cmd/kubectl"'
    echo ')'
  } > "${work}/tools.go"
  local pkg=k8s.io/component-base/version
  local ldflags="-s -w -X ${pkg}.gitVersion=${KUBE_VERSION} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${minor} -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=${KUBE_VERSION} -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=${minor}"
  (
    cd "${work}"
    go mod tidy >&2
    for bin in "$@"; do
      go build -trimpath -o "${CACHE}/${bin}.tmp" -ldflags "${ldflags}" "k8s.io/kubernetes/cmd/${bin}"
      mv "${CACHE}/${bin}.tmp" "${CACHE}/${bin}"
    done
  )
}

provide_etcd() {
  local etcd
  etcd="$(command -v etcd || true)"
  if [[ -z "${etcd}" ]]; then
    log "installing Debian's etcd-server"
    local sudo=""
    [[ "$(id -u)" == 0 ]] || sudo="sudo"
    ${sudo} apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive ${sudo} apt-get install -y -qq etcd-server >&2
    # The package may start a system etcd on :2379; the tests run their own on free ports.
    ${sudo} systemctl disable --now etcd >/dev/null 2>&1 || ${sudo} service etcd stop >/dev/null 2>&1 || true
    etcd="$(command -v etcd)"
  fi
  ln -sf "${etcd}" "${ASSETS}/etcd"
}

missing=()
for bin in "${BINARIES[@]}"; do
  fresh "${CACHE}/${bin}" || missing+=("${bin}")
done
if (( ${#missing[@]} > 0 )); then
  build_kube "${missing[@]}"
fi
for bin in "${BINARIES[@]}"; do
  fresh "${ASSETS}/${bin}" || cp "${CACHE}/${bin}" "${ASSETS}/${bin}"
done
[[ -x "${ASSETS}/etcd" ]] || provide_etcd
log "$("${ASSETS}/kube-apiserver" --version), kubectl ${KUBE_VERSION}, etcd $("${ASSETS}/etcd" --version | head -1 | awk '{print $3}')"
echo "${ASSETS}"
