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
	"strconv"
	"testing"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/config"
)

// An endpoint change builds nothing but its cluster: what it allocates does not grow with the
// stages and routes served (each apply once walked every string of every stage, 141,000
// allocations at 100 stages of 100 routes; BenchmarkApplyEndpointChange times it).
func TestEndpointChangeAllocatesNothingPerStage(t *testing.T) {
	allocs := func(stages int) float64 {
		p := newBenchProxy()
		cfg := &config.Config{
			Stages:    map[string]*xdsv1alpha1.StageSnapshot{},
			Endpoints: map[string]*endpointv3.ClusterLoadAssignment{},
			Versions:  map[string]map[string]string{xdsv1alpha1.StageSnapshotTypeURL: {}},
		}
		for i := range stages {
			key, cluster := "default/s"+strconv.Itoa(i), "default/svc"+strconv.Itoa(i)+":80"
			cfg.Stages[key] = benchStage(key, "s"+strconv.Itoa(i), 20, cluster)
			cfg.Versions[xdsv1alpha1.StageSnapshotTypeURL][key] = "1"
			cfg.Endpoints[cluster] = cla(cluster, 8080)
		}
		if err := p.Apply(cfg); err != nil {
			t.Fatal(err)
		}
		next := [2]*config.Config{}
		for i := range next {
			next[i] = &config.Config{Stages: cfg.Stages, Versions: cfg.Versions, Endpoints: map[string]*endpointv3.ClusterLoadAssignment{}}
			for k, v := range cfg.Endpoints {
				next[i].Endpoints[k] = v
			}
			next[i].Endpoints["default/svc0:80"] = cla("default/svc0:80", uint32(9000+i))
		}
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
