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

// Package usage reports API key usage on the admin endpoint (/usage): for every stage, plan
// with a quota, and key, the current period, the requests counted and those remaining. Keys
// are named by their id (the Secret's name), never by value. Counts come from the same store
// the quota step counts in, so they survive restarts as the counts do.
package usage

import (
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/dataplane/limits"
	"github.com/portico-dev/portico/internal/quota"
)

// Entry is the usage of one key in one plan on one stage.
type Entry struct {
	Stage       string    `json:"stage"`
	Plan        string    `json:"plan"`
	KeyID       string    `json:"keyId"`
	Period      string    `json:"period"`
	PeriodStart time.Time `json:"periodStart"`
	PeriodEnd   time.Time `json:"periodEnd"`
	Limit       int64     `json:"limit"`
	Used        int64     `json:"used"`
	Remaining   int64     `json:"remaining"`
	// Error is set when the store could not be read (Redis down): the numbers are then zero.
	Error string `json:"error,omitempty"`
}

// Report computes the usage of every key of cfg at now.
func Report(r *http.Request, cfg *config.Config, store limits.Store, now time.Time) []Entry {
	var out []Entry
	if cfg == nil {
		return out
	}
	for key, st := range cfg.Stages {
		for _, p := range st.GetUsagePlans() {
			q := p.GetQuota()
			if q == nil {
				continue
			}
			window, err := quota.WindowAt(q.GetPeriod(), q.GetOffset(), now)
			if err != nil {
				continue
			}
			counters := make([]string, len(p.GetKeys()))
			for i, k := range p.GetKeys() {
				counters[i] = quota.Key(key, p.GetName(), k.GetId())
			}
			// One round trip per plan with a Redis store, not one per key.
			used, err := quota.UsedMany(r.Context(), store, counters, window)
			for i, k := range p.GetKeys() {
				e := Entry{Stage: key, Plan: p.GetName(), KeyID: k.GetId(), Period: q.GetPeriod(),
					PeriodStart: window.Start, PeriodEnd: window.End, Limit: q.GetLimit()}
				if err != nil {
					e.Error = err.Error()
				} else {
					e.Used = used[i]
				}
				e.Remaining = max(q.GetLimit()-e.Used, 0)
				out = append(out, e)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Stage != b.Stage {
			return a.Stage < b.Stage
		}
		if a.Plan != b.Plan {
			return a.Plan < b.Plan
		}
		return a.KeyID < b.KeyID
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
