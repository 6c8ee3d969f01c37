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

package e2e

import (
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/portico-dev/portico/dataplane/limits"
	"github.com/portico-dev/portico/dataplane/pipeline"
	"github.com/portico-dev/portico/dataplane/usage"
)

const meteredAPI = `
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: meter}
spec: {}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: data}
spec:
  restApiRef: {name: meter}
  path: /data
  methods: [GET]
  authorization: {type: NONE, apiKeyRequired: true}
  integration: {type: MOCK, mock: {statusCode: 200, body: "data"}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: meter}
spec: {restApiRef: {name: meter}, stageName: v1}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: meter-beta}
spec: {restApiRef: {name: meter}, stageName: beta}
---
apiVersion: v1
kind: Secret
type: apigateway.portico.dev/api-key
metadata: {name: alice}
stringData: {key: "alice-key-0123456789012345678901234"}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: UsagePlan
metadata: {name: small}
spec:
  apiStages: [{restApiRef: {name: meter}, stage: v1}, {restApiRef: {name: meter}, stage: beta}]
  throttle: {rateLimit: 1, burstLimit: 2}
  quota: {limit: 5, period: DAY}
  apiKeys: [{name: alice}]
`

// clock is an injected clock tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration)     { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }
func newClock(t time.Time) *clock        { return &clock{now: t} }
func key() []string                      { return []string{"x-api-key", "alice-key-0123456789012345678901234"} }
func (g *gateway) get(path string) reply { return g.do("GET", path, http.NoBody, key()...) }

// Usage plan throttling and quotas through the whole path, exact with an injected clock, and
// kept across a restart by the state folder. The plan has two stages: the key's throttle and
// quota are its own across both, as Amazon API Gateway counts them.
func TestThrottleAndQuota(t *testing.T) {
	clk := newClock(time.Date(2028, 2, 29, 22, 0, 0, 0, time.UTC))
	store := limits.NewMemory(limits.MemoryOptions{Now: clk.Now})
	g := startGatewayWith(t, seeded(1), pipeline.Options{Log: logr.Discard(), Now: clk.Now, Store: store})
	g.deploy(meteredAPI)
	g.programmed("default/meter")
	g.programmed("default/meter-beta")
	stages := []string{"/v1/data", "/beta/data"}

	// The bucket holds 2: two pass, the third is throttled with the exact wait.
	for i := 0; i < 2; i++ {
		if r := g.get(stages[i%2]); r.status != 200 {
			t.Fatalf("request %d: %d %s", i, r.status, r.body)
		}
	}
	r := g.get("/v1/data")
	if r.status != 429 || r.header.Get("x-portico-error-type") != "THROTTLED" || r.header.Get("Retry-After") != "1" {
		t.Fatalf("third request: %d %s Retry-After %q", r.status, r.header.Get("x-portico-error-type"), r.header.Get("Retry-After"))
	}

	// One second later one token is back. Three more pass over three seconds: five counted,
	// the throttled one not.
	for i := 0; i < 3; i++ {
		clk.Add(time.Second)
		if r := g.get(stages[i%2]); r.status != 200 {
			t.Fatalf("after %d s: %d %s", i+1, r.status, r.header.Get("x-portico-error-type"))
		}
	}
	clk.Add(time.Second)
	if r := g.get("/beta/data"); r.status != 429 || r.header.Get("x-portico-error-type") != "QUOTA_EXCEEDED" {
		t.Fatalf("sixth allowed request: %d %s, want QUOTA_EXCEEDED", r.status, r.header.Get("x-portico-error-type"))
	}
	report := usage.Report(&http.Request{}, g.client.Current(), store, clk.Now())
	if len(report) != 1 || report[0].KeyID != "alice" || report[0].Used == nil || *report[0].Used != 5 || *report[0].Remaining != 0 ||
		!slices.Equal(report[0].Stages, []string{"default/meter", "default/meter-beta"}) {
		t.Fatalf("usage = %+v", report)
	}

	// A restart with the state folder keeps the count; the next UTC day starts afresh.
	path := filepath.Join(t.TempDir(), "quotas.json")
	if err := store.Save(path); err != nil {
		t.Fatal(err)
	}
	restored, err := limits.LoadMemory(path, limits.MemoryOptions{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	g2 := startGatewayWith(t, seeded(1), pipeline.Options{Log: logr.Discard(), Now: clk.Now, Store: restored})
	g2.deploy(meteredAPI)
	g2.programmed("default/meter")
	clk.Add(time.Minute)
	if r := g2.get("/v1/data"); r.status != 429 || r.header.Get("x-portico-error-type") != "QUOTA_EXCEEDED" {
		t.Fatalf("after a restart: %d %s, want the quota still used up", r.status, r.header.Get("x-portico-error-type"))
	}
	clk.Add(2 * time.Hour) // past midnight UTC: March 1st
	if r := g2.get("/v1/data"); r.status != 200 {
		t.Fatalf("on the next day: %d %s", r.status, r.header.Get("x-portico-error-type"))
	}
}
