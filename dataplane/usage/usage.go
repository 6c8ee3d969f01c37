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

// Package usage reports API key usage on the admin endpoint (/usage): for every plan with a
// quota and every key of it, the current period, the requests counted and those remaining.
// A key's count covers every stage of its plan, as Amazon API Gateway counts a usage plan's
// quota. Keys are named by their id (the Secret's name), never by value. Counts come from
// the same store the quota step counts in, so they survive restarts as the counts do.
package usage

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/dataplane/limits"
	"github.com/portico-dev/portico/internal/quota"
)

// Entry is the usage of one key in one plan.
type Entry struct {
	Namespace string `json:"namespace"`
	Plan      string `json:"plan"`
	KeyID     string `json:"keyId"`
	// Stages are the plan's stages this proxy serves with the key ("<namespace>/<Stage>");
	// the count is the key's on all the plan's stages.
	Stages      []string  `json:"stages"`
	Period      string    `json:"period"`
	PeriodStart time.Time `json:"periodStart"`
	PeriodEnd   time.Time `json:"periodEnd"`
	Limit       int64     `json:"limit"`
	// Used and Remaining are null when the store could not be read (Redis down; Error says
	// why): not a confident "nothing used" a script would act on.
	Used      *int64 `json:"used"`
	Remaining *int64 `json:"remaining"`
	Error     string `json:"error,omitempty"`
}

// planKeys is one plan as the stages' snapshots carry it: each stage has a copy, with the
// keys bound to the plan on that stage.
type planKeys struct {
	quota  *xdsv1alpha1.Quota
	stages map[string][]string // key id -> stage keys
}

// Report computes the usage of every key of cfg at now.
func Report(r *http.Request, cfg *config.Config, store limits.Store, now time.Time) []Entry {
	var out []Entry
	if cfg == nil {
		return out
	}
	plans := map[[2]string]*planKeys{}
	for key, st := range cfg.Stages {
		for _, p := range st.GetUsagePlans() {
			if p.GetQuota() == nil {
				continue
			}
			id := [2]string{st.GetNamespace(), p.GetName()}
			pk := plans[id]
			if pk == nil {
				pk = &planKeys{quota: p.GetQuota(), stages: map[string][]string{}}
				plans[id] = pk
			}
			for _, k := range p.GetKeys() {
				pk.stages[k.GetId()] = append(pk.stages[k.GetId()], key)
			}
		}
	}
	for id, pk := range plans {
		q := pk.quota
		window, err := quota.WindowAt(q.GetPeriod(), q.GetOffset(), now)
		if err != nil {
			continue
		}
		keys := make([]string, 0, len(pk.stages))
		for k := range pk.stages {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		counters := make([]string, len(keys))
		for i, k := range keys {
			counters[i] = quota.Key(id[0], id[1], k)
		}
		// One round trip per plan with a Redis store, not one per key.
		used, err := quota.UsedMany(r.Context(), store, counters, window)
		for i, k := range keys {
			stages := pk.stages[k]
			slices.Sort(stages)
			e := Entry{Namespace: id[0], Plan: id[1], KeyID: k, Stages: stages, Period: q.GetPeriod(),
				PeriodStart: window.Start, PeriodEnd: window.End, Limit: q.GetLimit()}
			if err != nil {
				e.Error = err.Error()
			} else {
				u, rem := used[i], max(q.GetLimit()-used[i], 0)
				e.Used, e.Remaining = &u, &rem
			}
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Plan, b.Plan), cmp.Compare(a.KeyID, b.KeyID))
	})
	return out
}

// Handler serves Report as JSON.
func Handler(current func() *config.Config, store limits.Store, now func() time.Time) http.Handler {
	if now == nil {
		now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(map[string]any{"usage": Report(r, current(), store, now())})
	})
}
