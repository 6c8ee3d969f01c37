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

package compile_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/portico-dev/portico/controllers/compile"
)

// TestPlanQuotasMatchCompile checks, on every golden input and the samples, that the quota
// counters PlanQuotas names for the controller's usage summary are exactly those the
// compiled snapshots make the proxies count under, on every served stage: one binding, two
// readers, no drift.
func TestPlanQuotasMatchCompile(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := []goldenCase{samplesCase(t)}
	for _, in := range inputs {
		cases = append(cases, readCase(t, in))
	}
	withCounters := 0
	for _, gc := range cases {
		for i, step := range gc.steps {
			step.Scope = nil // every API, as the controller reads every plan
			served := map[string]bool{}
			var compiled []string
			for _, s := range compile.Compile(step).Stages {
				served[s.Key] = true
				for _, p := range s.UsagePlans {
					if p.Quota == nil {
						continue
					}
					for _, k := range p.Keys {
						compiled = append(compiled, s.Namespace+" "+p.Name+" "+s.Key+" "+k.ID)
					}
				}
			}
			var named []string
			for _, pq := range compile.PlanQuotas(step) {
				for _, c := range pq.Counters {
					if served[c.StageKey] {
						named = append(named, pq.Namespace+" "+pq.Name+" "+c.StageKey+" "+c.KeyID)
					}
				}
			}
			slices.Sort(compiled)
			slices.Sort(named)
			if !slices.Equal(compiled, named) {
				t.Errorf("%s step %d: compiled counters %q, PlanQuotas names %q", gc.name, i, compiled, named)
			}
			if len(named) > 0 {
				withCounters++
			}
		}
	}
	if withCounters < 3 {
		t.Errorf("only %d cases have quota counters: the test checks little", withCounters)
	}
}
