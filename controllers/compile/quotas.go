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

// PlanQuota is a UsagePlan with a quota and the counters the proxies keep for it: one per
// key, for every stage of the plan, as Amazon API Gateway counts a plan's quota.
type PlanQuota struct {
	Namespace, Name string
	Quota           ir.Quota
	// KeyIDs are the keys bound to the plan on at least one of its stages (the API key
	// Secrets' names), sorted: quota.Key(Namespace, Name, id) is what the proxies count under.
	KeyIDs []string
}

// PlanQuotas returns every UsagePlan of in that has a quota, with its keys, bound exactly as
// Compile binds plans to stages: the same stage lookup, the same valid and enabled keys, and
// a key another plan already holds on a stage left out there. Only UsagePlans, Stages and
// Secrets are read. A stage that exists but is not served (its API does not compile) still
// binds keys: what the proxies counted there in this period was counted.
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
			for _, plan := range bound[s.Namespace+"/"+s.Name] {
				if plan.Name != p.Name {
					continue
				}
				for _, k := range plan.Keys {
					pq.KeyIDs = append(pq.KeyIDs, k.ID)
				}
			}
		}
		slices.Sort(pq.KeyIDs)
		pq.KeyIDs = slices.Compact(pq.KeyIDs)
		out = append(out, pq)
	}
	slices.SortFunc(out, func(a, b PlanQuota) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}
