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

package usage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/internal/quota"
)

// DefaultRefreshEvery is how many intervals an unchanged summary waits before its
// observedAt is rewritten anyway.
const DefaultRefreshEvery = 10

// passTimeout is the least time a refresh pass gets, however short the interval.
const passTimeout = 10 * time.Second

// Counts reads quota counters: the Redis store is one, and reads them in batches.
type Counts = quota.Reader

// StatusWriter writes a plan's status.usage; status.Writer is one.
type StatusWriter interface {
	WriteUsage(ctx context.Context, plan types.NamespacedName, usage *apiv1.UsageSummary, refreshAfter time.Duration) (bool, error)
}

// Refresher writes status.usage of every UsagePlan with a quota every Interval. It is a
// manager.Runnable that needs leader election: only the leader writes statuses.
type Refresher struct {
	// Client reads UsagePlans, Stages and API key Secrets (the manager's cached client).
	Client client.Reader
	Store  Counts
	Status StatusWriter
	// Interval between two reads of the counts.
	Interval time.Duration
	// RefreshEvery intervals, an unchanged summary is written again for its observedAt;
	// DefaultRefreshEvery when zero.
	RefreshEvery int
	// Now is the clock of the quota windows and observedAt; time.Now when nil.
	Now func() time.Time
	Log logr.Logger

	// failing is set while the store does not answer, so that an outage is logged once.
	failing bool
}

var _ manager.LeaderElectionRunnable = (*Refresher)(nil)

// NeedLeaderElection makes the manager run the refresher on the leader only.
func (r *Refresher) NeedLeaderElection() bool { return true }

// Start refreshes every Interval until ctx ends. The first refresh waits one interval, so
// that a new leader's caches are synced and a restart loop does not hammer the store.
func (r *Refresher) Start(ctx context.Context) error {
	t := time.NewTicker(r.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			// A pass gets one interval (and at least passTimeout): a pass stuck on a dead
			// connection must not hold back the next one, which reads newer counts anyway.
			pctx, cancel := context.WithTimeout(ctx, max(r.Interval, passTimeout))
			if err := r.Refresh(pctx); err != nil && ctx.Err() == nil {
				r.Log.Error(err, "refreshing UsagePlan usage")
			}
			cancel()
		}
	}
}

// Refresh reads the counts of every plan with a quota and writes the summaries that
// changed. When the store does not answer, no summary is written (the last ones stay, with
// their observedAt telling their age), the outage is logged once, and the next call tries
// again. Summaries of plans that lost their quota are cleared.
func (r *Refresher) Refresh(ctx context.Context) error {
	now := time.Now()
	if r.Now != nil {
		now = r.Now()
	}
	var (
		plans   apiv1.UsagePlanList
		stages  apiv1.StageList
		secrets corev1.SecretList
	)
	if err := errors.Join(
		r.Client.List(ctx, &plans),
		r.Client.List(ctx, &stages),
		// "type" is both the manager cache's index of Secrets and the API server's field.
		r.Client.List(ctx, &secrets, client.MatchingFields{"type": apiv1.APIKeySecretType}),
	); err != nil {
		return err
	}
	quotas := compile.PlanQuotas(compile.Inputs{UsagePlans: plans.Items, Stages: stages.Items, Secrets: secrets.Items})
	summaries, err := r.read(ctx, quotas, now)
	if err != nil {
		if !r.failing {
			r.Log.Error(err, "cannot read the quota counters; UsagePlan usage keeps its last values until the store answers")
		}
		r.failing = true
		return nil
	}
	if r.failing {
		r.Log.Info("quota counters readable again; UsagePlan usage refreshed")
		r.failing = false
	}
	every := r.RefreshEvery
	if every <= 0 {
		every = DefaultRefreshEvery
	}
	var errs []error
	for _, p := range plans.Items {
		key := types.NamespacedName{Namespace: p.Namespace, Name: p.Name}
		s, ok := summaries[key]
		if !ok && p.Status.Usage == nil {
			continue // no quota, nothing to clear
		}
		if _, err := r.Status.WriteUsage(ctx, key, s, time.Duration(every)*r.Interval); err != nil {
			errs = append(errs, fmt.Errorf("usage of UsagePlan %s: %w", key, err))
		}
	}
	return errors.Join(errs...)
}

// read reads every counter of every plan. It stops at the first error: with Redis down each
// read would wait for its own timeout, and a partial pass would write sums that are too low.
func (r *Refresher) read(ctx context.Context, quotas []compile.PlanQuota, now time.Time) (map[types.NamespacedName]*apiv1.UsageSummary, error) {
	out := make(map[types.NamespacedName]*apiv1.UsageSummary, len(quotas))
	for _, pq := range quotas {
		window, err := quota.WindowAt(pq.Quota.Period, pq.Quota.Offset, now)
		if err != nil {
			// The CRD's validation makes this unreachable; skip rather than stop the others.
			r.Log.Error(err, "UsagePlan quota has no window", "usagePlan", pq.Namespace+"/"+pq.Name)
			continue
		}
		keys := make([]string, len(pq.KeyIDs))
		for i, id := range pq.KeyIDs {
			keys[i] = quota.Key(pq.Namespace, pq.Name, id)
		}
		used, err := quota.UsedMany(ctx, r.Store, keys, window)
		if err != nil {
			return nil, err
		}
		out[types.NamespacedName{Namespace: pq.Namespace, Name: pq.Name}] = Summarize(pq, used, window, now)
	}
	return out, nil
}
