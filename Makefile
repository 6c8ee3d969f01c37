# Portico's Makefile. `make help` lists the targets. Tools are pinned here and installed into
# bin/ on first use, so a fresh clone needs nothing but Go (and apt-get for etcd).

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

# Versions. Bump deliberately: CI fails when generated files drift.
KUBE_VERSION            ?= v1.36.3
CONTROLLER_TOOLS_VERSION ?= v0.21.0
GOLANGCI_LINT_VERSION   ?= v2.15.0
HELM_VERSION            ?= v3.22.0
BUF_VERSION             ?= v1.70.0
PROTOC_GEN_GO_VERSION   ?= v1.36.12

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X github.com/portico-dev/portico/internal/version.Version=$(VERSION) \
           -X github.com/portico-dev/portico/internal/version.Commit=$(COMMIT)

LOCALBIN := $(CURDIR)/bin
CONTROLLER_GEN := $(LOCALBIN)/controller-gen-$(CONTROLLER_TOOLS_VERSION)
GOLANGCI_LINT  := $(LOCALBIN)/golangci-lint-$(GOLANGCI_LINT_VERSION)
KUBE_ASSETS    := $(LOCALBIN)/k8s/$(KUBE_VERSION)
HELM           := $(LOCALBIN)/helm-$(HELM_VERSION)
BUF            := $(LOCALBIN)/buf-$(BUF_VERSION)
PROTOC_GEN_GO  := $(LOCALBIN)/protoc-gen-go-$(PROTOC_GEN_GO_VERSION)

CRD_DIRS := config/crd/bases charts/portico/crds

# Pinned tools are built once per machine into TOOLCACHE and copied into bin/, so that fresh
# clones (CI) do not build them again, as hack/kube-assets.sh does for the API server.
TOOLCACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/portico/tools

# go-install-tool installs package $(1) (at its pinned version), whose binary is named $(2),
# as $@ through TOOLCACHE.
define go-install-tool
@mkdir -p $(TOOLCACHE) $(LOCALBIN)
@if [ ! -x $(TOOLCACHE)/$(notdir $@) ]; then \
  GOBIN=$(TOOLCACHE)/.build go install $(1) && mv $(TOOLCACHE)/.build/$(2) $(TOOLCACHE)/$(notdir $@); fi
cp $(TOOLCACHE)/$(notdir $@) $@
endef

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make \033[36m<target>\033[0m\n"} \
	  /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2 } \
	  /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: generate
generate: $(CONTROLLER_GEN) $(BUF) $(PROTOC_GEN_GO) ## Generate code: deepcopy functions, xDS protobuf Go.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./api/...
	$(BUF) generate

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate CRDs (config/crd/bases and the chart), RBAC, and docs/api.md.
	$(CONTROLLER_GEN) crd:allowDangerousTypes=true paths=./api/... output:crd:artifacts:config=config/crd/bases
	$(CONTROLLER_GEN) rbac:roleName=portico-controller paths=./controllers/... output:rbac:artifacts:config=config/rbac
	rm -f charts/portico/crds/*.yaml && cp config/crd/bases/*.yaml charts/portico/crds/
	go run ./hack/docgen -crds config/crd/bases -samples config/samples -out docs/api.md

.PHONY: fmt
fmt: ## Run gofmt on the tree.
	gofmt -l -w $$(git ls-files '*.go')

.PHONY: vet
vet: ## Run go vet.
	go vet ./...

.PHONY: lint
lint: $(GOLANGCI_LINT) ## Run golangci-lint (configuration in .golangci.yml).
	$(GOLANGCI_LINT) run ./...

.PHONY: test
test: kube-assets helm lambda-rie ## Run every test; integration tests use a real kube-apiserver and etcd.
	KUBEBUILDER_ASSETS=$(KUBE_ASSETS) PORTICO_LAMBDA_RIE=$$(hack/lambda-rie.sh) go test -race -count=1 ./...
	# Without the race detector too: under it, rawio's system calls go through package syscall.
	go test -count=1 ./internal/rawio/ ./dataplane/h1/ ./dataplane/upstream/ ./dataplane/proxy/

.PHONY: test-short
test-short: ## Run the unit tests only (no API server).
	go test -short -count=1 ./...

.PHONY: import-corpus
import-corpus: ## Print the OpenAPI import corpus report (imported fully / with omissions / refused).
	@go test ./internal/openapi/ -run '^TestCorpusReport$$' -count=1 -v | grep -v -e '^=== RUN' -e '^--- PASS' -e '^PASS' -e '^ok '

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME (default 5s) each.
	hack/fuzz.sh

.PHONY: bench-proxy
bench-proxy: build ## Proxy requests/s against nginx on the same core (needs nginx and wrk).
	hack/bench-proxy.sh | tee bin/bench-proxy.txt

.PHONY: bench-tls
bench-tls: build ## HTTPS handshakes/s and kept-alive TLS requests/s against nginx, same certificate, same core.
	hack/bench-tls.sh | tee bin/bench-tls.txt

.PHONY: bench
.PHONY: e2e
e2e: build helm kube-assets e2e-lambda ## Walk the user's path end to end: chart manifests, 2 controllers, 2 proxies, canary, failover.
	hack/e2e.sh

bench: kube-assets bench-proxy bench-tls ## Run every benchmark: compile, change-to-push at 10,000 routes, proxy vs nginx.
	go test ./controllers/compile/ -run '^$$' -bench . -benchmem -benchtime 20x | tee bin/bench-compile.txt
	go test ./dataplane/proxy/ ./dataplane/router/ -run '^$$' -bench . -benchmem | tee bin/bench-dataplane.txt
	@echo "transform targets (issue 13): validating a 1 KB body and a 20-line template on a 4 KB body, each under 20 us of CPU per request on one core"
	go test ./dataplane/validate/ ./dataplane/integration/ -run '^$$' -bench 'Validate1KB|RequestTemplate4KB' -benchmem -cpu 1 -benchtime 20000x | tee bin/bench-transform.txt
	@echo "apply targets (issue 11): ApplyEndpointChange under 2 ms and 1 MB per op (100 stages x 100 routes); ApplyStageWithKeys under 20 ms per op (10,000 keys in 10 plans)"
	go test ./dataplane/pipeline/ -run '^$$' -bench Apply -benchmem -benchtime 20x | tee bin/bench-apply.txt
	KUBEBUILDER_ASSETS=$(KUBE_ASSETS) PORTICO_BENCH_ROUTES_PER_API=100 \
	  go test ./controllers/ -run '^$$' -bench ChangeToPush -benchtime 50x -timeout 20m | tee bin/bench-controller.txt

.PHONY: verify
verify: generate manifests ## Fail when generated files or go.mod differ from what is committed.
	go mod tidy
	@if [ -n "$$(git status --porcelain -- . ':!bin')" ]; then \
	  echo "generated files are stale; run 'make generate manifests' and commit:"; \
	  git status --porcelain -- . ':!bin'; git --no-pager diff --stat; exit 1; fi

##@ Build and run

.PHONY: build
build: ## Build bin/portico.
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(LOCALBIN)/portico .

.PHONY: run
run: build ## Run Portico standalone, serving config/samples.
	$(LOCALBIN)/portico standalone -f config/samples

##@ Dependencies

.PHONY: lambda-rie
lambda-rie: ## Provide AWS's Lambda Runtime Interface Emulator under bin/rie (cached), for the Lambda tests.
	hack/lambda-rie.sh >/dev/null

.PHONY: e2e-lambda
e2e-lambda: lambda-rie ## Run real aws-lambda-go handlers under the emulator behind Portico.
	PORTICO_LAMBDA_RIE=$$(hack/lambda-rie.sh) go test -count=1 ./test/lambda/...

.PHONY: kube-assets
kube-assets: ## Build kube-apiserver and provide etcd under bin/k8s (cached).
	KUBE_VERSION=$(KUBE_VERSION) hack/kube-assets.sh >/dev/null

$(CONTROLLER_GEN):
	$(call go-install-tool,sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION),controller-gen)

$(GOLANGCI_LINT):
	$(call go-install-tool,github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION),golangci-lint)

$(BUF):
	$(call go-install-tool,github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION),buf)

$(PROTOC_GEN_GO):
	$(call go-install-tool,google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION),protoc-gen-go)

.PHONY: helm
helm: $(HELM) ## Build the pinned helm into bin/ (the chart tests use bin/helm).
	ln -sf $(notdir $(HELM)) $(LOCALBIN)/helm

$(HELM):
	$(call go-install-tool,helm.sh/helm/v3/cmd/helm@$(HELM_VERSION),helm)

.PHONY: tools
tools: $(CONTROLLER_GEN) $(GOLANGCI_LINT) $(HELM) $(BUF) $(PROTOC_GEN_GO) ## Install the pinned tools into bin/.
