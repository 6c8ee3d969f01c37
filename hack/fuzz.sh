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
    for try in 1 2 3; do
      if go test "${pkg}" -run '^$' -fuzz "^${target}\$" -fuzztime "${FUZZTIME}" > /tmp/portico-fuzz.log 2>&1; then
        break
      fi
      # Go's fuzzing coordinator can report "context deadline exceeded" when -fuzztime ends
      # (a race in its own shutdown, golang/go#75804, fixed in Go 1.27): no input failed
      # and none was written. Anything else, or three of those in a row, fails the run.
      if grep -q 'Failing input written' /tmp/portico-fuzz.log || ! grep -q 'context deadline exceeded' /tmp/portico-fuzz.log || (( try == 3 )); then
        cat /tmp/portico-fuzz.log
        exit 1
      fi
      echo "fuzz: ${target}: the coordinator's deadline passed with no failing input; again"
    done
  done
done
echo "fuzz: every target ran ${FUZZTIME} without a failure"
