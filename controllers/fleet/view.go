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
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/portico-dev/portico/controllers/xds"
)

// removeHeartbeats is how many heartbeats a report must have missed before the leader deletes
// it: a replica that crashed cannot delete its own, and each start names a new one. It is far
// beyond StaleHeartbeats, so that a replica cut off for a while finds its report in place (and
// recreates it if not).
const removeHeartbeats = 30

// Local is the leader's own view of its proxies: the xDS server.
type Local interface {
	Programmed(stageKey string) xds.ProgrammedStatus
}

// View is the leader's view of the whole fleet: its own proxies, live, and its peers', from
// their reports. Programmed is xds.Server.Programmed counted across replicas (see Merge).
//
// The View watches the reports only while it runs, which is on the leader (Start is a
// leader-only runnable); elsewhere Programmed is the local view. Changed signals when a
// report changed or went stale, so that the Stages' conditions are re-evaluated.
type View struct {
	Local Local
	// Self is this replica's identity: its own report is ignored in favour of Local.
	Self      string
	Namespace string
	// Informers is the manager's cache, restricted to the reports (Selector, Namespace).
	Informers cache.Informers
	// Client deletes the reports of replicas long gone.
	Client client.Client
	// Heartbeat is the publishers' (DefaultHeartbeat when zero): reports older than
	// StaleHeartbeats of them do not count.
	Heartbeat time.Duration
	// Now is the clock reports' ages are measured with; time.Now when nil.
	Now func() time.Time
	Log logr.Logger

	once    sync.Once
	changed chan struct{}
	// subs are Subscribe's channels, signalled with changed.
	subMu sync.Mutex
	subs  []chan struct{}
	// synced is set once the informer delivered every report that existed at Start.
	synced  atomic.Bool
	mu      sync.Mutex
	reports map[string]Report // by ConfigMap name
	fresh   string            // the fresh reports' names when last looked at, joined
}

func (v *View) init() {
	v.once.Do(func() {
		v.changed = make(chan struct{}, 1)
		v.reports = map[string]Report{}
	})
}

// Changed receives a value when the peers' reports changed: a write, a removal, or one going
// stale. Signals coalesce; the receiver re-reads Programmed.
func (v *View) Changed() <-chan struct{} {
	v.init()
	return v.changed
}

// Subscribe returns a new channel signalled as Changed is, for one more receiver.
func (v *View) Subscribe() <-chan struct{} {
	ch := make(chan struct{}, 1)
	v.subMu.Lock()
	defer v.subMu.Unlock()
	v.subs = append(v.subs, ch)
	return ch
}

func (v *View) notify() {
	select {
	case v.changed <- struct{}{}:
	default:
	}
	v.subMu.Lock()
	defer v.subMu.Unlock()
	for _, ch := range v.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (v *View) heartbeat() time.Duration {
	if v.Heartbeat <= 0 {
		return DefaultHeartbeat
	}
	return v.Heartbeat
}

func (v *View) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// Programmed is the stage's programmed state across the fleet.
func (v *View) Programmed(stageKey string) xds.ProgrammedStatus {
	v.init()
	local := v.Local.Programmed(stageKey)
	if local.Version == "" {
		return local
	}
	if !v.synced.Load() {
		// A new leader that has not read its peers' reports must not call a stage
		// programmed on the strength of its own proxies alone.
		local.Programmed, local.PeersPending = false, true
		return local
	}
	return Merge(stageKey, local, v.Peers())
}

// Peers are the fresh reports of the other replicas.
func (v *View) Peers() []Report {
	v.init()
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.reports) == 0 {
		return nil
	}
	all := make([]Report, 0, len(v.reports))
	for _, r := range v.reports {
		all = append(all, r)
	}
	return Fresh(all, v.Self, v.now(), StaleHeartbeats*v.heartbeat())
}

// Start watches the reports until ctx ends, and checks every heartbeat which went stale.
func (v *View) Start(ctx context.Context) error {
	v.init()
	inf, err := v.Informers.GetInformer(ctx, &corev1.ConfigMap{})
	if err != nil {
		return err
	}
	reg, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    v.Set,
		UpdateFunc: func(_, obj any) { v.Set(obj) },
		DeleteFunc: v.Delete,
	})
	if err != nil {
		return err
	}
	defer func() { _ = inf.RemoveEventHandler(reg) }()
	if !toolscache.WaitForCacheSync(ctx.Done(), reg.HasSynced) {
		return nil
	}
	v.synced.Store(true)
	v.notify()
	t := time.NewTicker(v.heartbeat())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			v.Tick(ctx)
		}
	}
}

// Set records the report a ConfigMap holds; the informer calls it.
func (v *View) Set(obj any) {
	v.init()
	cm, ok := obj.(*corev1.ConfigMap)
	if !ok || cm.Namespace != v.Namespace || cm.Labels[LabelReport] != "true" {
		return
	}
	r, err := FromConfigMap(cm)
	if err != nil {
		v.Log.Error(err, "ignoring an xDS report that does not decode")
		return
	}
	v.mu.Lock()
	v.reports[cm.Name] = r
	v.mu.Unlock()
	v.notify()
}

// Delete forgets the report of a deleted ConfigMap; the informer calls it.
func (v *View) Delete(obj any) {
	v.init()
	if tomb, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	cm, ok := obj.(*corev1.ConfigMap)
	if !ok {
		return
	}
	v.mu.Lock()
	_, had := v.reports[cm.Name]
	delete(v.reports, cm.Name)
	v.mu.Unlock()
	if had {
		v.notify()
	}
}

// Tick signals when the set of fresh reports changed since the last tick (a report went
// stale with no event to say so), and deletes the reports of replicas gone for
// removeHeartbeats.
func (v *View) Tick(ctx context.Context) {
	v.init()
	now, hb := v.now(), v.heartbeat()
	var fresh, gone []string
	v.mu.Lock()
	for name, r := range v.reports {
		switch {
		case r.Identity == v.Self:
		case Stale(r, now, removeHeartbeats*hb):
			gone = append(gone, name)
		case !Stale(r, now, StaleHeartbeats*hb):
			fresh = append(fresh, name)
		}
	}
	slices.Sort(fresh)
	key := strings.Join(fresh, ",")
	changed := key != v.fresh
	v.fresh = key
	v.mu.Unlock()
	if changed {
		v.notify()
	}
	for _, name := range gone {
		cm := &corev1.ConfigMap{}
		cm.Namespace, cm.Name = v.Namespace, name
		if err := client.IgnoreNotFound(v.Client.Delete(ctx, cm)); err != nil {
			v.Log.Error(err, "deleting the xDS report of a replica gone", "configMap", name)
			continue
		}
		v.Log.Info("deleted the xDS report of a replica gone", "configMap", name)
	}
}
