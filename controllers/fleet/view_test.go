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

package fleet

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	toolscache "k8s.io/client-go/tools/cache"

	"github.com/portico-dev/portico/controllers/xds"
)

// fixedLocal is a leader's own view that does not change.
type fixedLocal struct{ s xds.ProgrammedStatus }

func (f fixedLocal) Programmed(string) xds.ProgrammedStatus { return f.s }

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func configMap(t *testing.T, r Report) *corev1.ConfigMap {
	t.Helper()
	cm, err := ToConfigMap("ns", r)
	if err != nil {
		t.Fatal(err)
	}
	return cm
}

func signalled(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// The view counts a peer's report until it goes stale, ignores its own and other namespaces',
// and signals each change, including a report going stale with no event to say so.
func TestViewCountsFreshPeers(t *testing.T) {
	clk := &clock{now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	const key = "ns/prod"
	v := &View{
		Local:     fixedLocal{xds.ProgrammedStatus{Version: "v1", Proxies: 1, Acked: 1, Programmed: true}},
		Self:      "a",
		Namespace: "ns",
		Heartbeat: 10 * time.Second,
		Now:       clk.Now,
		Log:       logr.Discard(),
	}
	// Until the informer delivered the reports, the peers are unknown: never programmed.
	if got := v.Programmed(key); got.Programmed || !got.PeersPending {
		t.Fatalf("before the reports are read, Programmed = %+v, want pending on the peers", got)
	}
	v.synced.Store(true) // what Start does once the informer synced
	changed := v.Changed()
	peer := Report{Identity: "b", UpdatedAt: clk.Now(), Proxies: 1, Stages: map[string]StageReport{key: {Version: "v1", Acked: 0, Error: "no", ErrorNode: "proxy-b"}}}
	v.Set(configMap(t, peer))
	if !signalled(changed) {
		t.Error("a new report did not signal")
	}
	self := Report{Identity: "a", UpdatedAt: clk.Now(), Proxies: 5}
	v.Set(configMap(t, self))
	elsewhere := configMap(t, Report{Identity: "c", UpdatedAt: clk.Now(), Proxies: 7})
	elsewhere.Namespace = "other"
	v.Set(elsewhere)
	want := xds.ProgrammedStatus{Version: "v1", Proxies: 2, Acked: 1, Error: "no", ErrorNode: "proxy-b"}
	if got := v.Programmed(key); got != want {
		t.Fatalf("Programmed = %+v, want %+v", got, want)
	}

	// The peer heals and writes again.
	peer.Stages[key] = StageReport{Version: "v1", Acked: 1}
	v.Set(configMap(t, peer))
	if got := v.Programmed(key); !got.Programmed || got.Proxies != 2 {
		t.Errorf("Programmed = %+v, want 2 proxies programmed", got)
	}
	v.Tick(context.Background()) // records the fresh set
	_ = signalled(changed)

	// Three heartbeats without a write: the peer's proxies no longer count.
	clk.Add(StaleHeartbeats*10*time.Second + time.Second)
	v.Tick(context.Background())
	if !signalled(changed) {
		t.Error("a report going stale did not signal")
	}
	if got := v.Programmed(key); got.Proxies != 1 || !got.Programmed {
		t.Errorf("with the peer stale, Programmed = %+v, want the local proxy alone", got)
	}
	v.Tick(context.Background())
	if signalled(changed) {
		t.Error("a tick with nothing new signalled")
	}

	// Deleting the report (the peer stopped) forgets it.
	peer.UpdatedAt = clk.Now()
	v.Set(configMap(t, peer))
	if got := v.Programmed(key); got.Proxies != 2 {
		t.Errorf("Programmed = %+v, want the peer back", got)
	}
	_ = signalled(changed)
	v.Delete(toolscache.DeletedFinalStateUnknown{Obj: configMap(t, peer)})
	if !signalled(changed) {
		t.Error("a deletion did not signal")
	}
	if got := v.Programmed(key); got.Proxies != 1 {
		t.Errorf("Programmed = %+v, want the peer gone", got)
	}
}
