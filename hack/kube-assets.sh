#!/usr/bin/env bash
# Provides the control-plane binaries the integration tests run against: kube-apiserver, built
# from the Go module proxy (envtest's usual download is unreachable here), and etcd, from
# Debian's etcd-server package. Both are cached under bin/k8s/<version>/, so a second run only
# checks that they are there. Prints the assets folder on the last line (KUBEBUILDER_ASSETS).
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.36.3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ASSETS="${ROOT}/bin/k8s/${KUBE_VERSION}"
mkdir -p "${ASSETS}"

log() { echo "kube-assets: $*" >&2; }

build_apiserver() {
  local minor staging work
  minor="$(echo "${KUBE_VERSION}" | cut -d. -f2)"
  staging="v0.${minor}.$(echo "${KUBE_VERSION}" | cut -d. -f3)"
  work="$(mktemp -d)"
  trap 'rm -rf "${work}"' RETURN
  log "building kube-apiserver ${KUBE_VERSION} from the Go module proxy (several minutes, once)"
  export GONOSUMDB="k8s.io" GOFLAGS="-mod=mod"
  # k8s.io/kubernetes points every staging module at ./staging; pin each to its published
  # v0.Y.Z instead. The list comes from the kubernetes go.mod itself, so new staging modules
  # need no edit here.
  local kmod
  kmod="$(go mod download -json "k8s.io/kubernetes@${KUBE_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')"
  {
    echo "module portico.dev/kube-apiserver-build"
    echo
    echo "go $(go env GOVERSION | sed 's/^go//; s/\([0-9]*\.[0-9]*\).*/\1/')"
    echo
    echo "require k8s.io/kubernetes ${KUBE_VERSION}"
    echo
    grep -oE 'k8s.io/[a-z0-9-]+ => \./staging/src/k8s.io/[a-z0-9-]+' "${kmod}" |
      awk -v v="${staging}" '{print "replace " $1 " => " $1 " " v}'
  } > "${work}/go.mod"
  echo 'package tools' > "${work}/tools.go"
  echo 'import _ "k8s.io/kubernetes/cmd/kube-apiserver"' >> "${work}/tools.go"
  (
    cd "${work}"
    go mod tidy >&2
    local pkg=k8s.io/component-base/version
    go build -trimpath -o "${ASSETS}/kube-apiserver.tmp" \
      -ldflags "-s -w -X ${pkg}.gitVersion=${KUBE_VERSION} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${minor} -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z" \
      k8s.io/kubernetes/cmd/kube-apiserver
  )
  mv "${ASSETS}/kube-apiserver.tmp" "${ASSETS}/kube-apiserver"
}

provide_etcd() {
  local etcd
  etcd="$(command -v etcd || true)"
  if [[ -z "${etcd}" ]]; then
    log "installing Debian's etcd-server"
    if [[ "$(id -u)" == 0 ]]; then SUDO=""; else SUDO="sudo"; fi
    ${SUDO} apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive ${SUDO} apt-get install -y -qq etcd-server >&2
    # Debian starts a system etcd on :2379; the tests run their own on free ports.
    ${SUDO} systemctl disable --now etcd >/dev/null 2>&1 || ${SUDO} service etcd stop >/dev/null 2>&1 || true
    etcd="$(command -v etcd)"
  fi
  ln -sf "${etcd}" "${ASSETS}/etcd"
}

if [[ ! -x "${ASSETS}/kube-apiserver" ]] || ! "${ASSETS}/kube-apiserver" --version 2>/dev/null | grep -q "${KUBE_VERSION}"; then
  build_apiserver
fi
if [[ ! -x "${ASSETS}/etcd" ]]; then
  provide_etcd
fi
log "$("${ASSETS}/kube-apiserver" --version), etcd $("${ASSETS}/etcd" --version | head -1 | awk '{print $3}')"
echo "${ASSETS}"
