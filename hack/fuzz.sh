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
      # and none was written.
      if ! grep -q 'Failing input written' /tmp/portico-fuzz.log && grep -q 'context deadline exceeded' /tmp/portico-fuzz.log && (( try < 3 )); then
        echo "fuzz: ${target}: the coordinator's deadline passed with no failing input; again"
        continue
      fi
      # On a loaded machine a worker can die while minimizing ("terminated unexpectedly" or
      # "hung"), and the input it held is written as if it failed. A real crasher fails
      # again when run alone; one that passes is removed and the target fuzzed again.
      input=$(grep -oE 'Failing input written to testdata/fuzz/[^ ]+' /tmp/portico-fuzz.log | head -1 | sed 's/^Failing input written to //' || true)
      if [[ -n "${input}" ]] && grep -qE 'terminated unexpectedly|fuzzing process hung' /tmp/portico-fuzz.log && (( try < 3 )) \
        && go test "${pkg}" -run "^${target}\$/^$(basename "${input}")\$" > /tmp/portico-fuzz-again.log 2>&1; then
        echo "fuzz: ${target}: a worker died on ${input}, which passes alone; removed, again"
        rm -f "${pkg}/${input}"
        continue
      fi
      cat /tmp/portico-fuzz.log
      exit 1
    done
  done
done
echo "fuzz: every target ran ${FUZZTIME} without a failure"
