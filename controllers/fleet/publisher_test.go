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

package fleet_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/portico-dev/portico/controllers/fleet"
	"github.com/portico-dev/portico/controllers/xds"
	"github.com/portico-dev/portico/controllers/xds/xdstest"
	"github.com/portico-dev/portico/internal/testenv"
)

var env *testenv.Env

// TestMain starts one API server for the package; without it (-short) only the pure tests run.
func TestMain(m *testing.M) {
	testenv.Main(m, func(e *testenv.Env) { env = e })
}

func needEnv(t *testing.T) {
	t.Helper()
	if env == nil {
		t.Skip("needs a kube-apiserver; runs without -short")
	}
}

// newNamespace creates a namespace named after prefix, new on each run (-count shares the
// API server), and returns its name.
func newNamespace(t *testing.T, prefix string) string {
	t.Helper()
	name := prefix + "-" + rand.String(5)
	if err := env.Client.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		t.Fatal(err)
	}
	return name
}

// source is a replica's xDS server as the publisher sees it.
type source struct {
	mu      sync.Mutex
	proxies int
	stages  map[string]xds.ProgrammedStatus
	ch      chan struct{}
}

func newSource() *source {
	return &source{ch: make(chan struct{}, 1), stages: map[string]xds.ProgrammedStatus{}}
}

func (s *source) ProgrammedStages() (int, map[string]xds.ProgrammedStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]xds.ProgrammedStatus, len(s.stages))
	for k, v := range s.stages {
		out[k] = v
	}
	return s.proxies, out
}

func (s *source) Subscribe() <-chan struct{} { return s.ch }

func (s *source) signal() {
	select {
	case s.ch <- struct{}{}:
	default:
	}
}

// set changes the state and signals, as the xDS server does.
func (s *source) set(proxies int, key string, st xds.ProgrammedStatus) {
	s.mu.Lock()
	s.proxies = proxies
	s.stages[key] = st
	s.mu.Unlock()
	s.signal()
}

// writes counts the report writes, with their times: every write starts with an update (a
// create follows when the report is missing).
type writes struct {
	client.Client
	mu    sync.Mutex
	times []time.Time
}

func (w *writes) record() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.times = append(w.times, time.Now())
}

func (w *writes) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	w.record()
	return w.Client.Update(ctx, obj, opts...)
}

func (w *writes) all() []time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Time(nil), w.times...)
}

// report reads the report of identity from ns, or reports that it does not exist.
func report(t *testing.T, ns, identity string) (fleet.Report, bool) {
	t.Helper()
	var cm corev1.ConfigMap
	err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: fleet.ConfigMapName(identity)}, &cm)
	if apierrors.IsNotFound(err) {
		return fleet.Report{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	r, err := fleet.FromConfigMap(&cm)
	if err != nil {
		t.Fatal(err)
	}
	return r, true
}

// startPublisher runs p until the returned stop is called, which waits for it to return.
func startPublisher(t *testing.T, p *fleet.Publisher) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := p.Start(ctx); err != nil {
			t.Errorf("publisher: %v", err)
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// The publisher writes the report at once, then on change only (signals without a change
// write nothing), at most once per debounce, and deletes it when stopped.
func TestPublisherWritesOnChange(t *testing.T) {
	needEnv(t)
	ns := newNamespace(t, "publish-change")
	src := newSource()
	src.set(1, "ns/a", xds.ProgrammedStatus{Version: "v1", Proxies: 1})
	w := &writes{Client: env.Client}
	const debounce = 150 * time.Millisecond
	stop := startPublisher(t, &fleet.Publisher{
		Client: w, Namespace: ns, Identity: "replica-1", Source: src,
		Debounce: debounce, Heartbeat: time.Hour, Log: logr.Discard(),
	})

	xdstest.Eventually(t, "the first report", func() bool {
		r, ok := report(t, ns, "replica-1")
		return ok && r.Proxies == 1 && r.Stages["ns/a"].Version == "v1"
	})
	// Signals without a change, then a change: the change is the second write.
	for range 5 {
		src.signal()
	}
	src.set(1, "ns/a", xds.ProgrammedStatus{Version: "v1", Proxies: 1, Acked: 1, Programmed: true})
	xdstest.Eventually(t, "the acknowledgement reported", func() bool {
		r, _ := report(t, ns, "replica-1")
		return r.Stages["ns/a"].Acked == 1
	})
	if n := len(w.all()); n != 2 {
		t.Errorf("%d writes, want 2: signals without a change must not write", n)
	}

	// A burst of changes: written together, never two writes closer than the debounce.
	for i := range 20 {
		src.set(2, "ns/a", xds.ProgrammedStatus{Version: fmt.Sprintf("v%d", i+2), Proxies: 2})
	}
	xdstest.Eventually(t, "the last change of the burst reported", func() bool {
		r, _ := report(t, ns, "replica-1")
		return r.Stages["ns/a"].Version == "v21" && r.Proxies == 2
	})
	times := w.all()
	if len(times) > 2+5 {
		t.Errorf("%d writes for a burst of 20 changes, want a few", len(times)-2)
	}
	for i := 1; i < len(times); i++ {
		// The times are taken a little after the publisher's own: allow for that.
		if gap := times[i].Sub(times[i-1]); gap < debounce-20*time.Millisecond {
			t.Errorf("writes %d and %d %s apart, under the debounce %s", i-1, i, gap, debounce)
		}
	}

	stop()
	if _, ok := report(t, ns, "replica-1"); ok {
		t.Error("the report is still there after the publisher stopped")
	}
}

// An API server that refuses the report (here: its namespace does not exist) gets one retry
// soon, then a write per heartbeat only: changes in between do not make it try again.
func TestPublisherBacksOffWhenRefused(t *testing.T) {
	needEnv(t)
	src := newSource()
	src.set(1, "ns/a", xds.ProgrammedStatus{Version: "v1", Proxies: 1})
	w := &writes{Client: env.Client}
	startPublisher(t, &fleet.Publisher{
		Client: w, Namespace: "no-such-namespace", Identity: "replica-1", Source: src,
		Debounce: 10 * time.Millisecond, Heartbeat: time.Hour, Log: logr.Discard(),
	})
	xdstest.Eventually(t, "the first write and its retry", func() bool { return len(w.all()) >= 2 })
	// Changes keep coming, each after the debounce: none may cause a write before the
	// heartbeat, an hour away.
	for i := range 10 {
		src.set(1, "ns/a", xds.ProgrammedStatus{Version: fmt.Sprintf("v%d", i+2), Proxies: 1})
		time.Sleep(20 * time.Millisecond) // let the publisher see each change on its own
	}
	if n := len(w.all()); n != 2 {
		t.Errorf("%d write attempts against a refusing API server, want 2 (the first and one retry)", n)
	}
}

// With nothing changing, the publisher rewrites the report every heartbeat with a new time,
// and recreates it if it was deleted.
func TestPublisherHeartbeat(t *testing.T) {
	needEnv(t)
	ns := newNamespace(t, "publish-heartbeat")
	src := newSource()
	src.set(3, "ns/a", xds.ProgrammedStatus{Version: "v1", Proxies: 3, Acked: 3, Programmed: true})
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func() time.Time { mu.Lock(); defer mu.Unlock(); now = now.Add(time.Minute); return now }
	startPublisher(t, &fleet.Publisher{
		Client: env.Client, Namespace: ns, Identity: "replica-2", Source: src,
		Debounce: 10 * time.Millisecond, Heartbeat: 50 * time.Millisecond, Now: clock, Log: logr.Discard(),
	})
	xdstest.Eventually(t, "the first report", func() bool { _, ok := report(t, ns, "replica-2"); return ok })

	later := advance()
	xdstest.Eventually(t, "a heartbeat with the new time", func() bool {
		r, _ := report(t, ns, "replica-2")
		return r.UpdatedAt.Equal(later)
	})
	r, _ := report(t, ns, "replica-2")
	if r.Proxies != 3 || r.Stages["ns/a"].Acked != 3 || r.Identity != "replica-2" {
		t.Errorf("report %+v", r)
	}

	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fleet.ConfigMapName("replica-2")}}
	if err := env.Client.Delete(context.Background(), cm); err != nil {
		t.Fatal(err)
	}
	xdstest.Eventually(t, "the report recreated", func() bool { _, ok := report(t, ns, "replica-2"); return ok })
}

// The leader deletes the report of a replica that has not written it for long (it crashed,
// so could not delete it), and leaves recent ones, stale or not, and its own.
func TestViewRemovesReportsOfReplicasGone(t *testing.T) {
	needEnv(t)
	ns := newNamespace(t, "reports-gone")
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	const heartbeat = 10 * time.Second
	v := &fleet.View{Self: "me", Namespace: ns, Client: env.Client, Heartbeat: heartbeat,
		Now: func() time.Time { return now }, Log: logr.Discard()}
	for _, r := range []fleet.Report{
		{Identity: "me", UpdatedAt: now.Add(-time.Hour)},
		{Identity: "crashed", UpdatedAt: now.Add(-time.Hour)},
		{Identity: "stale", UpdatedAt: now.Add(-time.Minute)},
		{Identity: "fresh", UpdatedAt: now},
	} {
		cm, err := fleet.ToConfigMap(ns, r)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.Client.Create(context.Background(), cm); err != nil {
			t.Fatal(err)
		}
		v.Set(cm) // as the informer would
	}
	v.Tick(context.Background())
	for id, want := range map[string]bool{"me": true, "crashed": false, "stale": true, "fresh": true} {
		if _, ok := report(t, ns, id); ok != want {
			t.Errorf("report of %s there: %v, want %v", id, ok, want)
		}
	}
	if peers := v.Peers(); len(peers) != 1 || peers[0].Identity != "fresh" {
		t.Errorf("peers %+v, want the fresh one alone", peers)
	}
}
