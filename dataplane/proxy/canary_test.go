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

package proxy

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
)

func TestCanarySplit(t *testing.T) {
	for _, pct := range []float64{0, 10, 37.5, 100} {
		rng := rand.New(rand.NewPCG(1, uint64(pct)))
		f := newFixture(t, Options{Rand: rng.Float64})
		st := stageOf("prod", "prod", apiOf(nil, mockRoute("r", "/pets", "GET", "stable")))
		st.Canary = &xdsv1alpha1.Canary{PercentTraffic: pct, Revision: 2, Api: apiOf(nil, mockRoute("r", "/pets", "GET", "canary"))}
		f.apply(t, st)
		const n = 10000
		canary := 0
		for range n {
			switch b := f.do("GET", "/prod/pets", nil).Body.String(); b {
			case "canary":
				canary++
			case "stable":
			default:
				t.Fatalf("body %q", b)
			}
		}
		got := 100 * float64(canary) / n
		if math.Abs(got-pct) > 3 {
			t.Errorf("%v%% canary: got %.2f%%", pct, got)
		}
		if pct == 0 && canary != 0 || pct == 100 && canary != n {
			t.Errorf("%v%%: %d canary requests", pct, canary)
		}
	}
}

func TestCanaryVariables(t *testing.T) {
	stable, canary := echoServer(t, "stable"), echoServer(t, "canary")
	// Rand alternates below and above the threshold: every other request is a canary.
	flip := 0.0
	f := newFixture(t, Options{Rand: func() float64 { flip = 0.9 - flip; return flip }})
	st := stageOf("prod", "prod", apiOf(nil, uriRoute("r", "/pets/{petId}", "GET", "http://${stageVariables.backend}/pets/{petId}?tier=${stageVariables.tier}")))
	st.Variables = map[string]string{"backend": strings.TrimPrefix(stable.URL, "http://"), "tier": "gold"}
	// No canary API: the canary serves the stage's revision with its own variables.
	st.Canary = &xdsv1alpha1.Canary{PercentTraffic: 50, Revision: 1, Variables: map[string]string{
		"backend": strings.TrimPrefix(canary.URL, "http://"), "tier": "gold",
	}}
	st.AccessLogFormat = "$context.canaryVariant"
	f.apply(t, st)
	got := map[string]int{}
	for range 10 {
		e := decodeEcho(t, f.do("GET", "/prod/pets/7", nil))
		if e.Path != "/pets/7" || e.Query != "tier=gold" {
			t.Fatalf("backend saw %s?%s", e.Path, e.Query)
		}
		got[e.Server]++
	}
	if got["stable"] != 5 || got["canary"] != 5 {
		t.Errorf("split %v", got)
	}
	lines := f.log.Lines()
	if len(lines) != 10 || lines[0] != "stable" || lines[1] != "canary" {
		t.Errorf("access log %q", lines)
	}
}
