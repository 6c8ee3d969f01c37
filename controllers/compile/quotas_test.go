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
// counters PlanQuotas names for the controller's usage summary are those the compiled
// snapshots make the proxies count under (one per namespace, plan and key, whatever the
// stage): one binding, two readers, no drift. A stage that is not served still binds keys,
// so PlanQuotas may name more only when one is not.
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
			var compiled []string
			out := compile.Compile(step)
			for _, s := range out.Stages {
				for _, p := range s.UsagePlans {
					if p.Quota == nil {
						continue
					}
					for _, k := range p.Keys {
						compiled = append(compiled, s.Namespace+" "+p.Name+" "+k.ID)
					}
				}
			}
			var named []string
			for _, pq := range compile.PlanQuotas(step) {
				for _, id := range pq.KeyIDs {
					named = append(named, pq.Namespace+" "+pq.Name+" "+id)
				}
			}
			slices.Sort(compiled)
			compiled = slices.Compact(compiled)
			for _, c := range compiled {
				if !slices.Contains(named, c) {
					t.Errorf("%s step %d: the proxies count %q, PlanQuotas does not name it (%q)", gc.name, i, c, named)
				}
			}
			if len(out.Stages) == len(step.Stages) && len(named) != len(compiled) {
				t.Errorf("%s step %d: every stage is served; compiled counters %q, PlanQuotas names %q", gc.name, i, compiled, named)
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
