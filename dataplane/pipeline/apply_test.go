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

package pipeline

import (
	"testing"

	"github.com/portico-dev/portico/dataplane/config"
)

// An endpoint change builds nothing but its cluster: what it allocates does not grow with the
// stages and routes served (each apply once walked every string of every stage, 141,000
// allocations at 100 stages of 100 routes; BenchmarkApplyEndpointChange times it).
func TestEndpointChangeAllocatesNothingPerStage(t *testing.T) {
	allocs := func(stages int) float64 {
		p := newBenchProxy()
		cfg := benchConfig(stages, 20)
		if err := p.Apply(cfg); err != nil {
			t.Fatal(err)
		}
		next := [2]*config.Config{endpointChanged(cfg, "default/svc0:80", 9000), endpointChanged(cfg, "default/svc0:80", 9001)}
		turn := 0
		n := testing.AllocsPerRun(20, func() {
			turn++
			if err := p.Apply(next[turn%2]); err != nil {
				t.Fatal(err)
			}
		})
		if p.WantsHeaderNames() {
			t.Error("no event or template carries header names, and the proxy keeps them")
		}
		return n
	}
	few, many := allocs(2), allocs(40)
	if many > few+5 || many > 100 {
		t.Errorf("an endpoint change allocates %.0f objects at 40 stages, %.0f at 2: it should not grow with them", many, few)
	}
}
