#!/usr/bin/env bash
# Runs every Go fuzz target of the module for FUZZTIME each (default 5s): the parsers that read
# user input (route paths, templates, tokens, policies, identity sources, origins, CIDRs,
# access log formats) must never panic. New crashers land in testdata/fuzz and fail the run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
FUZZTIME="${FUZZTIME:-5s}"
for file in $(grep -rl '^func Fuzz' --include='*_test.go' . | sort); do
  pkg="./$(dirname "${file#./}")"
  for target in $(grep -oE '^func Fuzz[A-Za-z0-9_]+' "${file}" | sed 's/^func //'); do
    echo "fuzz: ${pkg} ${target} for ${FUZZTIME}"
    go test "${pkg}" -run '^$' -fuzz "^${target}\$" -fuzztime "${FUZZTIME}" > /tmp/portico-fuzz.log 2>&1 || { cat /tmp/portico-fuzz.log; exit 1; }
  done
done
echo "fuzz: every target ran ${FUZZTIME} without a failure"
