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
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/portico-dev/portico/controllers/xds"
)

const (
	// DefaultHeartbeat is how often a replica rewrites its report when nothing changed.
	DefaultHeartbeat = 10 * time.Second
	// DefaultDebounce is the least time between two writes of a report: a rollout to many
	// proxies is a burst of acknowledgements, written as a few reports rather than one each.
	DefaultDebounce = 500 * time.Millisecond
	// removeTimeout bounds the deletion of the report on shutdown.
	removeTimeout = 5 * time.Second
)

// Source is a replica's own view of its proxies: the xDS server.
type Source interface {
	// ProgrammedStages is the number of connected proxies and each served stage's state.
	ProgrammedStages() (proxies int, stages map[string]xds.ProgrammedStatus)
	// Subscribe signals when ProgrammedStages may have changed.
	Subscribe() <-chan struct{}
}

// Publisher keeps the replica's report (its own proxies' view of each stage it serves) in a
// ConfigMap of Namespace, for the leader. It runs on every replica, leader or not. It writes
// when the report changed, at most once per Debounce, and rewrites it every Heartbeat so that
// it stays fresh; it deletes it on a clean stop. Nothing is written between heartbeats while
// nothing changes.
type Publisher struct {
	Client    client.Client
	Namespace string
	Identity  string
	Source    Source
	// Debounce and Heartbeat default to DefaultDebounce and DefaultHeartbeat.
	Debounce, Heartbeat time.Duration
	// Now stamps reports; time.Now when nil.
	Now func() time.Time
	Log logr.Logger
}

var _ manager.LeaderElectionRunnable = (*Publisher)(nil)

// NeedLeaderElection is false: every replica reports its own proxies.
func (*Publisher) NeedLeaderElection() bool { return false }

// Start publishes until ctx ends, then deletes the report.
func (p *Publisher) Start(ctx context.Context) error {
	debounce, heartbeat := p.Debounce, p.Heartbeat
	if debounce <= 0 {
		debounce = DefaultDebounce
	}
	if heartbeat <= 0 {
		heartbeat = DefaultHeartbeat
	}
	// A failed write is retried once soon, then every heartbeat: an API server that refuses
	// (a missing Role, say) is not hammered.
	retry := min(time.Second, heartbeat)
	changed := p.Source.Subscribe()
	var (
		last      []byte    // the content last written, without UpdatedAt
		lastWrite time.Time // monotonic: when the last write was attempted
		failures  int
	)
	for {
		report, content := p.current()
		since := time.Since(lastWrite)
		var due bool
		switch failures {
		case 0: // the first write, a change, or the heartbeat
			due = last == nil || !bytes.Equal(content, last) || since >= heartbeat
		case 1: // one retry soon, whatever changed meanwhile
			due = since >= retry
		default: // then every heartbeat only, changes or not
			due = since >= heartbeat
		}
		if due {
			lastWrite = time.Now()
			if err := p.write(ctx, report); err != nil {
				if ctx.Err() != nil {
					break
				}
				if failures == 0 {
					p.Log.Error(err, "writing this replica's xDS report; the leader counts its proxies from the last one written until it goes stale", "namespace", p.Namespace)
				}
				failures++
			} else {
				if failures > 0 {
					p.Log.Info("writing this replica's xDS report works again")
				}
				failures, last = 0, content
			}
		}
		wait := heartbeat - time.Since(lastWrite)
		if failures == 1 {
			wait = retry - time.Since(lastWrite)
		}
		if !p.wait(ctx, changed, wait) {
			break
		}
		// At most one write per debounce: changes arriving meanwhile are written together.
		if !p.wait(ctx, nil, debounce-time.Since(lastWrite)) {
			break
		}
	}
	p.remove()
	return nil
}

// wait returns after d, or at a signal on changed, or false when ctx ends.
func (p *Publisher) wait(ctx context.Context, changed <-chan struct{}, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-changed:
	case <-t.C:
	}
	return true
}

// current is the report as it stands, and its content without the time, to tell changes.
func (p *Publisher) current() (Report, []byte) {
	proxies, stages := p.Source.ProgrammedStages()
	r := NewReport(p.Identity, proxies, stages)
	content, _ := json.Marshal(r) // plain data: cannot fail
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	r.UpdatedAt = now().UTC()
	return r, content
}

// write replaces the report, creating it the first time (or after the leader removed it as
// stale). The update is unconditional: this replica is the report's only writer.
func (p *Publisher) write(ctx context.Context, r Report) error {
	cm, err := ToConfigMap(p.Namespace, r)
	if err != nil {
		return err
	}
	err = p.Client.Update(ctx, cm)
	if apierrors.IsNotFound(err) {
		err = p.Client.Create(ctx, cm)
	}
	return err
}

// remove deletes the report, best effort: its proxies are gone with this replica, and a
// report left behind only counts until it goes stale.
func (p *Publisher) remove() {
	ctx, cancel := context.WithTimeout(context.Background(), removeTimeout)
	defer cancel()
	cm, err := ToConfigMap(p.Namespace, Report{Identity: p.Identity})
	if err == nil {
		err = client.IgnoreNotFound(p.Client.Delete(ctx, cm))
	}
	if err != nil {
		p.Log.Error(err, "deleting this replica's xDS report; it goes stale on its own")
	}
}
