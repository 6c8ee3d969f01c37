/*
Copyright 2026 The Portico Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package fleet

import (
	"time"

	"github.com/portico-dev/portico/controllers/xds"
)

// StaleHeartbeats is how many heartbeats a report may miss before its replica's proxies stop
// counting: one missed write (an API server hiccup) is no reason to drop them.
const StaleHeartbeats = 3

// Stale reports whether r is too old to count at now: written more than staleAfter ago. A
// report from the future (clocks a little apart) is fresh.
func Stale(r Report, now time.Time, staleAfter time.Duration) bool {
	return now.Sub(r.UpdatedAt) > staleAfter
}

// Merge is a stage's programmed state across replicas: local is the leader's own view of the
// stage (xds.Server.Programmed), peers the other replicas' fresh reports (see Stale). The
// leader's version V is the one that counts, since it is what the leader reports in status:
//
//   - Proxies is the sum over all replicas (a proxy keeps one stream, so it counts once);
//   - Acked sums the leader's and the acknowledgements of V in peers' reports: a peer that
//     still serves another version has proxies that have not applied V;
//   - Error and ErrorNode are a rejection of V by any replica's proxy, the first node ID in
//     sort order, as each replica chooses among its own, so the condition does not flap;
//   - Programmed is true when there are proxies and every one applied V.
//
// A stage the leader does not serve (empty Version) is returned as local has it.
func Merge(stageKey string, local xds.ProgrammedStatus, peers []Report) xds.ProgrammedStatus {
	if local.Version == "" {
		return local
	}
	out := local
	for _, p := range peers {
		out.Proxies += p.Proxies
		s, ok := p.Stages[stageKey]
		if !ok || s.Version != local.Version {
			continue
		}
		out.Acked += s.Acked
		if s.ErrorNode != "" && (out.ErrorNode == "" || s.ErrorNode < out.ErrorNode) {
			out.Error, out.ErrorNode = s.Error, s.ErrorNode
		}
	}
	out.Programmed = out.Proxies > 0 && out.Acked == out.Proxies
	return out
}

// Fresh returns the reports that are not stale at now, leaving out self's own (the leader
// counts its proxies from its live view instead).
func Fresh(reports []Report, self string, now time.Time, staleAfter time.Duration) []Report {
	var out []Report
	for _, r := range reports {
		if r.Identity != self && !Stale(r, now, staleAfter) {
			out = append(out, r)
		}
	}
	return out
}
