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
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers"
	"github.com/portico-dev/portico/controllers/xds"
	"github.com/portico-dev/portico/controllers/xds/xdstest"
)

// fleetState is what the proxies acknowledged, by stage key, as the refresher reads it.
type fleetState struct {
	mu     sync.Mutex
	stages map[string]xds.ProgrammedStatus
}

func (f *fleetState) set(key string, p xds.ProgrammedStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stages[key] = p
}

func (f *fleetState) Programmed(key string) xds.ProgrammedStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stages[key]
}

// write is one WriteProgrammed call, with the condition it computed.
type write struct {
	stage      types.NamespacedName
	generation int64
	cond       metav1.Condition
}

// recorder is a ProgrammedWriter that records writes, failing while fail is set.
type recorder struct {
	mu       sync.Mutex
	writes   []write
	fail     bool
	failures int
}

func (r *recorder) WriteProgrammed(_ context.Context, stage types.NamespacedName, generation int64, programmed func() *metav1.Condition) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		r.failures++
		return false, errors.New("API server unreachable")
	}
	r.writes = append(r.writes, write{stage, generation, *programmed()})
	return true, nil
}

func (r *recorder) take() []write {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.writes
	r.writes = nil
	return w
}

func (r *recorder) failed() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failures
}

func (r *recorder) setFail(v bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = v
}

func programmedFixture(t *testing.T) (*controllers.ProgrammedRefresher, *fleetState, *recorder) {
	fleet := &fleetState{stages: map[string]xds.ProgrammedStatus{
		"shop/prod": {Version: "v1", Proxies: 2, Acked: 2, Programmed: true},
		"blog/prod": {Version: "v7", Proxies: 2, Acked: 1},
	}}
	rec := &recorder{}
	r := &controllers.ProgrammedRefresher{
		Served: func() map[string]controllers.ServedStage {
			return map[string]controllers.ServedStage{
				"shop/prod": {Stage: types.NamespacedName{Namespace: "shop", Name: "prod"}, Generation: 3},
				"blog/prod": {Stage: types.NamespacedName{Namespace: "blog", Name: "prod"}, Generation: 1},
			}
		},
		Programmed: fleet.Programmed,
		Status:     rec,
		Debounce:   time.Millisecond,
		Retry:      time.Millisecond,
		Log:        testr.New(t),
	}
	return r, fleet, rec
}

// A pass writes only the stages whose programmed state changed since the last write, at the
// generation they were compiled from, without a compile.
func TestProgrammedRefresherWritesChangesOnly(t *testing.T) {
	r, fleet, rec := programmedFixture(t)
	if !r.NeedLeaderElection() {
		t.Error("the refresher runs on every replica; only the leader may write")
	}
	ctx := t.Context()
	if !r.Refresh(ctx) {
		t.Fatal("first pass failed")
	}
	first := rec.take()
	if len(first) != 2 || first[0].stage.Namespace != "blog" || first[1].stage.Namespace != "shop" {
		t.Fatalf("first pass wrote %+v, want both stages in key order", first)
	}
	if w := first[1]; w.generation != 3 || w.cond.Status != metav1.ConditionTrue || w.cond.ObservedGeneration != 3 ||
		w.cond.Message != "all 2 connected proxies applied generation 3" {
		t.Errorf("shop/prod: %+v", w)
	}
	if w := first[0]; w.cond.Reason != apiv1.ReasonPending || w.cond.Message != "1 of 2 connected proxies applied generation 1" {
		t.Errorf("blog/prod: %+v", w)
	}

	r.Refresh(ctx)
	if w := rec.take(); len(w) != 0 {
		t.Errorf("nothing changed, yet %d writes", len(w))
	}

	fleet.set("blog/prod", xds.ProgrammedStatus{Version: "v7", Proxies: 2, Acked: 1, Error: "stage blog/prod: bad identity source", ErrorNode: "proxy-b"})
	r.Refresh(ctx)
	w := rec.take()
	if len(w) != 1 || w[0].stage.Namespace != "blog" {
		t.Fatalf("after blog's NACK, writes %+v, want blog/prod only", w)
	}
	if c := w[0].cond; c.Reason != apiv1.ReasonRejected || !strings.Contains(c.Message, "proxy-b") || !strings.Contains(c.Message, "bad identity source") {
		t.Errorf("NACK condition %+v", c)
	}
}

// Start writes at once, then after signals, debounced; a failed write is tried again without
// another signal.
func TestProgrammedRefresherRuns(t *testing.T) {
	r, fleet, rec := programmedFixture(t)
	signal := make(chan struct{}, 1)
	r.Signals = []<-chan struct{}{signal}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Start: %v", err)
		}
	})
	var got []write
	xdstest.Eventually(t, "the first pass", func() bool {
		got = append(got, rec.take()...)
		return len(got) == 2
	})

	rec.setFail(true)
	fleet.set("shop/prod", xds.ProgrammedStatus{Version: "v2", Proxies: 2, Acked: 1})
	signal <- struct{}{}
	// The failing write is tried again every Retry, with no signal; then it goes through.
	xdstest.Eventually(t, "the write tried again", func() bool { return rec.failed() >= 2 })
	rec.setFail(false)
	got = nil
	xdstest.Eventually(t, "the retried write", func() bool {
		got = append(got, rec.take()...)
		return len(got) > 0
	})
	if got[0].stage.Namespace != "shop" || got[0].cond.Message != "1 of 2 connected proxies applied generation 3" {
		t.Errorf("retried write %+v", got[0])
	}
}

func TestProgrammedCondition(t *testing.T) {
	for _, tc := range []struct {
		p      xds.ProgrammedStatus
		status metav1.ConditionStatus
		reason string
		msg    string
	}{
		{xds.ProgrammedStatus{}, metav1.ConditionFalse, apiv1.ReasonNotServed, "the stage is not served; its Ready condition says why"},
		{xds.ProgrammedStatus{Version: "v", Proxies: 3, Acked: 2, Error: "boom", ErrorNode: "p1"}, metav1.ConditionFalse, apiv1.ReasonRejected,
			"proxy p1 rejected generation 4: boom; proxies keep serving the last configuration they accepted"},
		{xds.ProgrammedStatus{Version: "v", Proxies: 1, Acked: 1, PeersPending: true}, metav1.ConditionUnknown, apiv1.ReasonPending,
			"reading the other controller replicas' reports of their proxies"},
		{xds.ProgrammedStatus{Version: "v"}, metav1.ConditionUnknown, apiv1.ReasonPending, "no proxy is connected"},
		{xds.ProgrammedStatus{Version: "v", Proxies: 3, Acked: 2}, metav1.ConditionFalse, apiv1.ReasonPending, "2 of 3 connected proxies applied generation 4"},
		{xds.ProgrammedStatus{Version: "v", Proxies: 3, Acked: 3, Programmed: true}, metav1.ConditionTrue, apiv1.ReasonProgrammed, "all 3 connected proxies applied generation 4"},
	} {
		c := controllers.ProgrammedCondition(tc.p, 4)
		if c.Type != apiv1.ConditionProgrammed || c.Status != tc.status || c.Reason != tc.reason || c.Message != tc.msg || c.ObservedGeneration != 4 {
			t.Errorf("%+v: got %s %s %q (generation %d), want %s %s %q", tc.p, c.Status, c.Reason, c.Message, c.ObservedGeneration, tc.status, tc.reason, tc.msg)
		}
	}
}

// compiles counts the reconciler's compiles by RestApi ("namespace/name"), from its
// "compiled" log lines, so that a test can show what does not compile.
var compiles = &compileCounts{n: map[string]int{}}

type compileCounts struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *compileCounts) of(api string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[api]
}

// compileCounter is a log sink that counts "compiled" lines and passes everything on to
// inner (none when nil).
type compileCounter struct {
	inner  logr.LogSink
	counts *compileCounts
}

func (s *compileCounter) Init(info logr.RuntimeInfo) {
	if s.inner != nil {
		s.inner.Init(info)
	}
}

// Enabled lets the reconciler's V(1) "compiled" line through to Info, which passes on only
// what inner wants.
func (s *compileCounter) Enabled(level int) bool {
	return level <= 1 || (s.inner != nil && s.inner.Enabled(level))
}

func (s *compileCounter) Info(level int, msg string, kv ...any) {
	if msg == "compiled" {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == "restApi" {
				s.counts.mu.Lock()
				s.counts.n[fmt.Sprint(kv[i+1])]++
				s.counts.mu.Unlock()
			}
		}
	}
	if s.inner != nil && s.inner.Enabled(level) {
		s.inner.Info(level, msg, kv...)
	}
}

func (s *compileCounter) Error(err error, msg string, kv ...any) {
	if s.inner != nil {
		s.inner.Error(err, msg, kv...)
	}
}

func (s *compileCounter) WithValues(kv ...any) logr.LogSink {
	if s.inner == nil {
		return s
	}
	return &compileCounter{inner: s.inner.WithValues(kv...), counts: s.counts}
}

func (s *compileCounter) WithName(name string) logr.LogSink {
	if s.inner == nil {
		return s
	}
	return &compileCounter{inner: s.inner.WithName(name), counts: s.counts}
}

// What proxies acknowledge, reject, or connecting and leaving, shows on the Stage's
// Programmed condition without compiling the API again.
func TestProgrammedWithoutCompiling(t *testing.T) {
	needEnv(t)
	ns := "programmed"
	newNamespace(t, ns)
	startProxy(t, "proxy-programmed-1", nil)
	apply(t, ns, decode(t, `
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
spec: {restApiRef: {name: pets}, stageName: programmed}
`))
	api := &apiv1.RestApi{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pets"}}
	xdstest.Eventually(t, "the RestApi counts its route", func() bool {
		return env.Client.Get(context.Background(), client.ObjectKeyFromObject(api), api) == nil && api.Status.Routes == 1
	})
	programmedWith := func(status metav1.ConditionStatus, reason, msg string) {
		t.Helper()
		xdstest.Eventually(t, "Programmed "+reason+": "+msg, func() bool {
			s := &apiv1.Stage{}
			if env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "live"}, s) != nil {
				return false
			}
			c := meta.FindStatusCondition(s.Status.Conditions, apiv1.ConditionProgrammed)
			return c != nil && c.Status == status && c.Reason == reason && c.ObservedGeneration == s.Generation &&
				strings.Contains(c.Message, msg)
		})
	}
	programmedWith(metav1.ConditionTrue, apiv1.ReasonProgrammed, "all 1 connected proxies applied generation 1")
	key := ns + "/pets"
	before := compiles.of(key)

	p2 := startProxy(t, "proxy-programmed-2", nil)
	programmedWith(metav1.ConditionTrue, apiv1.ReasonProgrammed, "all 2 connected proxies applied generation 1")
	p3 := startProxy(t, "proxy-programmed-3", func(r *discoveryv3.DeltaDiscoveryResponse) string {
		for _, res := range r.GetResources() {
			if res.GetName() == ns+"/live" {
				return "stage " + ns + "/live: no thanks"
			}
		}
		return ""
	})
	programmedWith(metav1.ConditionFalse, apiv1.ReasonRejected, "proxy proxy-programmed-3 rejected generation 1: stage "+ns+"/live: no thanks")
	p3.Close()
	p2.Close()
	programmedWith(metav1.ConditionTrue, apiv1.ReasonProgrammed, "all 1 connected proxies applied generation 1")

	// The creates' events may not all have been handled when counting began: the compile that
	// made the stage Programmed can have read the Route and the Stage from the cache before their
	// events enqueued the API, so one compile may be running and one queued (the workqueue
	// keeps one of each per key). The refresh through compiles this replaces made two or more
	// per change, eight or more for these four.
	if n := compiles.of(key) - before; n > 2 {
		t.Errorf("the API compiled %d times while only its proxies changed", n)
	}
}
