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

package compile

import (
	"cmp"
	"slices"

	"github.com/portico-dev/portico/controllers/ir"
)

// PlanQuota is a UsagePlan with a quota and the counters the proxies keep for it: one per key
// and stage.
type PlanQuota struct {
	Namespace, Name string
	Quota           ir.Quota
	// Counters are sorted by stage key, then key ID.
	Counters []QuotaCounter
}

// QuotaCounter is one key's quota counter on one stage, named as the stage's snapshot names
// them: quota.Key(StageKey, plan name, KeyID) is what the proxies count under.
type QuotaCounter struct {
	// StageKey is "<namespace>/<Stage object name>", the stage's xDS resource.
	StageKey string
	// RestApi and Stage are the stage as spec.apiStages names it: the RestApi and stageName.
	RestApi, Stage string
	// KeyID is the API key Secret's name.
	KeyID string
}

// PlanQuotas returns every UsagePlan of in that has a quota, with its counters, bound exactly
// as Compile binds plans to stages: the same stage lookup, the same valid and enabled keys,
// and a key another plan already holds on a stage left out. Only UsagePlans, Stages and
// Secrets are read. A stage that exists but is not served (its API does not compile) still
// has counters: what the proxies counted there in this period was counted.
func PlanQuotas(in Inputs) []PlanQuota {
	w := newWorld(&in)
	bound := w.compilePlans(statuses{})
	var out []PlanQuota
	for _, p := range w.plans {
		if p.Spec.Quota == nil {
			continue
		}
		q := p.Spec.Quota
		pq := PlanQuota{Namespace: p.Namespace, Name: p.Name, Quota: ir.Quota{Limit: q.Limit, Period: string(q.Period), Offset: q.Offset}}
		for _, as := range p.Spec.APIStages {
			s := w.findStage(p.Namespace, as.RestApiRef.Name, as.Stage)
			if s == nil {
				continue
			}
			stageKey := s.Namespace + "/" + s.Name
			for _, plan := range bound[stageKey] {
				if plan.Name != p.Name {
					continue
				}
				for _, k := range plan.Keys {
					pq.Counters = append(pq.Counters, QuotaCounter{StageKey: stageKey, RestApi: as.RestApiRef.Name, Stage: as.Stage, KeyID: k.ID})
				}
			}
		}
		slices.SortFunc(pq.Counters, func(a, b QuotaCounter) int {
			return cmp.Or(cmp.Compare(a.StageKey, b.StageKey), cmp.Compare(a.KeyID, b.KeyID))
		})
		out = append(out, pq)
	}
	slices.SortFunc(out, func(a, b PlanQuota) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}
