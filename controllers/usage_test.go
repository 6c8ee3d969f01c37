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

package controllers_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/usage"
	"github.com/portico-dev/portico/controllers/xds/xdstest"
	limitsredis "github.com/portico-dev/portico/dataplane/limits/redis"
	"github.com/portico-dev/portico/internal/quota"
	"github.com/portico-dev/portico/internal/redisconn"
	"github.com/portico-dev/portico/internal/redistest"
)

const usageCase = `
apiVersion: v1
kind: Secret
type: apigateway.portico.dev/api-key
metadata: {name: customer-a}
stringData: {key: "usage-test-key-customer-a-0123456789"}
---
apiVersion: v1
kind: Secret
type: apigateway.portico.dev/api-key
metadata: {name: customer-b}
stringData: {key: "usage-test-key-customer-b-0123456789"}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: pets}
spec: {}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: r}
spec: {restApiRef: {name: pets}, path: /pets, integration: {type: MOCK, mock: {}}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: live}
spec: {restApiRef: {name: pets}, stageName: usage} # a name no other test's stage serves on the default endpoint
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: UsagePlan
metadata: {name: gold}
spec:
  apiStages: [{restApiRef: {name: pets}, stage: usage}]
  quota: {limit: 5, period: MONTH}
  apiKeys: [{name: customer-a}, {name: customer-b}]
`

// The controller reads the counts the proxies left in Redis, under the counter names the
// proxies use, into UsagePlan.status.usage; kubectl shows them; a Redis outage leaves them as
// they were, and so does the reconciler's next status write.
func TestUsageInStatus(t *testing.T) {
	needEnv(t)
	ns := "usage"
	newNamespace(t, ns)
	apply(t, ns, decode(t, usageCase))
	plan := &apiv1.UsagePlan{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gold"}}
	condition(t, plan, func() []metav1.Condition { return plan.Status.Conditions }, apiv1.ConditionReady, metav1.ConditionTrue, apiv1.ReasonReady)

	srv := redistest.Start(t)
	store, err := limitsredis.New(limitsredis.Options{Config: redisconn.Config{URL: srv.URL(), Log: logr.Discard()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	// The real clock, not a fixed date: the Redis store expires a counter at the end of its
	// window, so counts seeded in a window already over are gone at once (a fixed date in
	// November 2026 failed this test from December on). Seconds, as the status keeps them.
	now := time.Now().UTC().Truncate(time.Second)
	window, err := quota.WindowAt(quota.Month, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	// What two proxies would have counted: customer-a used its 5, customer-b 2.
	ctx := context.Background()
	for key, n := range map[string]int{"customer-a": 5, "customer-b": 2} {
		for range n {
			if ok, _, err := store.Consume(ctx, quota.Key(ns, "gold", key), window, 5); err != nil || !ok {
				t.Fatalf("seeding %s: ok=%v err=%v", key, ok, err)
			}
		}
	}

	// The controller's own refresher (see TestMain) reads this Redis from now on.
	usageCounts.use(store, now)
	t.Cleanup(func() { usageCounts.use(nil, time.Time{}) })

	want := &apiv1.UsageSummary{
		ObservedAt:  metav1.NewTime(now),
		PeriodStart: metav1.NewTime(window.Start),
		PeriodEnd:   metav1.NewTime(window.End),
		Used:        7,
		KeysAtLimit: 1,
		Keys: []apiv1.KeyUsage{
			{Name: "customer-a", Used: 5, Remaining: 0},
			{Name: "customer-b", Used: 2, Remaining: 3},
		},
	}
	xdstest.Eventually(t, "status.usage shows the counts in Redis", func() bool {
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(plan), plan); err != nil {
			return false
		}
		return equality.Semantic.DeepEqual(plan.Status.Usage, want)
	})
	if used := usedColumn(t, ns, "gold"); used != "7" {
		t.Errorf("kubectl get uplan column Used = %q, want 7", used)
	}

	// A Redis outage: the refresher keeps failing and writes nothing, so the summary stays
	// as it was; the reconciler's next status write (a new generation) keeps it too.
	srv.Stop()
	xdstest.Eventually(t, "the refresher failed on the stopped Redis", func() bool { return usageCounts.failures() > 0 })
	update(t, plan, func(p *apiv1.UsagePlan) { p.Spec.Description = "gold customers" })
	gen := plan.Generation
	xdstest.Eventually(t, "the reconciler wrote the plan's new generation", func() bool {
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(plan), plan); err != nil {
			return false
		}
		return plan.Status.ObservedGeneration == gen
	})
	if !equality.Semantic.DeepEqual(plan.Status.Usage, want) {
		t.Errorf("after the reconciler's write, status.usage = %+v, want %+v", plan.Status.Usage, want)
	}
	if plan.Status.APIKeys != 2 {
		t.Errorf("status.apiKeys = %d, want 2", plan.Status.APIKeys)
	}
}

// usedColumn returns the Used column of a UsagePlan as the API server prints it for kubectl
// get (a Table).
func usedColumn(t *testing.T, ns, name string) string {
	t.Helper()
	hc, err := rest.HTTPClientFor(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.JoinPath(env.Config.Host, "apis", apiv1.GroupVersion.Group, apiv1.GroupVersion.Version, "namespaces", ns, "usageplans", name)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var table metav1.Table
	if err := json.Unmarshal(body, &table); err != nil {
		t.Fatalf("%v: %s %s", err, resp.Status, body)
	}
	for i, c := range table.ColumnDefinitions {
		if c.Name == "Used" && len(table.Rows) == 1 {
			b, _ := json.Marshal(table.Rows[0].Cells[i])
			return string(b)
		}
	}
	t.Fatalf("no Used column in %+v", table.ColumnDefinitions)
	return ""
}

// usageCounts is the controller's usage store in this package's tests: no counts (an error,
// so nothing is written) until a test plugs a store in.
var usageCounts = &pluggableCounts{}

func usageClock() time.Time { return usageCounts.now() }

type pluggableCounts struct {
	mu    sync.Mutex
	store usage.Counts
	at    time.Time
	fails int
}

func (p *pluggableCounts) use(s usage.Counts, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.store, p.at, p.fails = s, at, 0
}

func (p *pluggableCounts) now() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.at.IsZero() {
		return time.Now()
	}
	return p.at
}

func (p *pluggableCounts) failures() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fails
}

func (p *pluggableCounts) Used(ctx context.Context, key string, w quota.Window) (int64, error) {
	p.mu.Lock()
	s := p.store
	p.mu.Unlock()
	if s == nil {
		return 0, errors.New("no usage store in this test")
	}
	n, err := s.Used(ctx, key, w)
	if err != nil {
		p.mu.Lock()
		p.fails++
		p.mu.Unlock()
	}
	return n, err
}
