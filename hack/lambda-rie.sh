#!/usr/bin/env bash
# Provides the AWS Lambda Runtime Interface Emulator (aws-lambda-rie), which the Lambda
# fidelity tests run real aws-lambda-go handlers under, behind Portico. Built from the Go
# module proxy once and cached under ${XDG_CACHE_HOME:-~/.cache}/portico/rie/<version>/, as
# hack/kube-assets.sh caches the kube binaries (there, worktrees and fresh clones share it);
# a second run only checks that it is there. Prints the binary's path (PORTICO_LAMBDA_RIE).
set -euo pipefail

RIE_VERSION="${RIE_VERSION:-latest}"
CACHE="${XDG_CACHE_HOME:-${HOME}/.cache}/portico/rie/${RIE_VERSION}"
mkdir -p "${CACHE}"

if [[ ! -x "${CACHE}/aws-lambda-rie" ]]; then
  echo "lambda-rie: building aws-lambda-rie@${RIE_VERSION} from the Go module proxy (once)" >&2
  GOBIN="${CACHE}" go install "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@${RIE_VERSION}"
fi
echo "${CACHE}/aws-lambda-rie"
