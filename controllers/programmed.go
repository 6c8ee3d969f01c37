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

package controllers

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/xds"
)

// Defaults of ProgrammedRefresher.
const (
	// DefaultProgrammedDebounce gathers the acknowledgements of a fleet of proxies, which
	// arrive within milliseconds of each other, into one pass.
	DefaultProgrammedDebounce = 100 * time.Millisecond
	// DefaultProgrammedRetry is how long a failed write waits before the next pass.
	DefaultProgrammedRetry = 2 * time.Second
)

// ServedStage is a stage this replica serves: its Stage object, and the generation of it that
// the served snapshot was compiled from.
type ServedStage struct {
	Stage      types.NamespacedName
	Generation int64
}

// ProgrammedWriter writes a Stage's Programmed condition; status.Writer is one.
type ProgrammedWriter interface {
	WriteProgrammed(ctx context.Context, stage types.NamespacedName, generation int64, programmed func() *metav1.Condition) (bool, error)
}

// ProgrammedRefresher keeps the Stages' Programmed conditions up to date with what the proxies
// acknowledged or rejected. On a signal (a proxy connected, went away, acknowledged or
// rejected; another replica's report changed), debounced, it looks at every served stage and
// writes the condition of those whose programmed state changed since it last wrote it: one
// status write per affected Stage, and no compile. The reconciler still writes the condition
// with the rest of a Stage's status when it compiles a new generation.
//
// It is a manager.Runnable that needs leader election: only the leader writes statuses.
type ProgrammedRefresher struct {
	// Served lists the stages this replica serves, by stage key (the reconciler's view).
	Served func() map[string]ServedStage
	// Programmed is what the proxies acknowledged of a stage: the xDS server's own proxies, or
	// with several replicas every replica's (the fleet view).
	Programmed func(stageKey string) xds.ProgrammedStatus
	Status     ProgrammedWriter
	// Signals each receive a value when Programmed may have changed.
	Signals []<-chan struct{}
	// Condition turns a programmed state into the condition written; ProgrammedCondition
	// (a Stage's) when nil.
	Condition func(p xds.ProgrammedStatus, generation int64) *metav1.Condition
	// Debounce and Retry default to DefaultProgrammedDebounce and DefaultProgrammedRetry.
	Debounce, Retry time.Duration
	Log             logr.Logger

	// seen is each stage's programmed state as last written, with the generation it was
	// written for; only the Start goroutine uses it.
	seen map[string]writtenProgrammed
}

var _ manager.LeaderElectionRunnable = (*ProgrammedRefresher)(nil)

// NeedLeaderElection makes the manager run the refresher on the leader only.
func (p *ProgrammedRefresher) NeedLeaderElection() bool { return true }

// Start refreshes once, then after every signal until ctx ends. The first pass writes what a
// new leader's predecessor may have left unwritten.
func (p *ProgrammedRefresher) Start(ctx context.Context) error {
	debounce := cmp.Or(p.Debounce, DefaultProgrammedDebounce)
	retryAfter := cmp.Or(p.Retry, DefaultProgrammedRetry)
	// One receiver for every source: a signal means "look again", so they coalesce.
	wake := make(chan struct{}, 1)
	poke := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	for _, ch := range p.Signals {
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case _, open := <-ch:
					if !open {
						return
					}
					poke()
				}
			}
		}()
	}
	poke()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		}
		// Signals during the debounce join this pass.
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(debounce):
		}
		select {
		case <-wake:
		default:
		}
		if !p.Refresh(ctx) && ctx.Err() == nil {
			time.AfterFunc(retryAfter, poke)
		}
	}
}

// writtenProgrammed is what a Programmed condition was written from.
type writtenProgrammed struct {
	status     xds.ProgrammedStatus
	generation int64
}

// Refresh writes the Programmed condition of every served stage whose programmed state
// changed since it was last written, and reports whether every write succeeded. A stage
// whose write failed is tried again at the next pass.
func (p *ProgrammedRefresher) Refresh(ctx context.Context) bool {
	if p.seen == nil {
		p.seen = map[string]writtenProgrammed{}
	}
	served := p.Served()
	condition := p.Condition
	if condition == nil {
		condition = ProgrammedCondition
	}
	ok := true
	for _, key := range slices.Sorted(maps.Keys(served)) {
		st := served[key]
		// A new generation is written even when the proxies' state reads the same: the
		// condition names the generation it speaks for.
		now := writtenProgrammed{p.Programmed(key), st.Generation}
		if last, had := p.seen[key]; had && last == now {
			continue
		}
		wrote, err := p.Status.WriteProgrammed(ctx, st.Stage, st.Generation, func() *metav1.Condition {
			// Read again at each try: a retry after a conflict writes the latest state.
			return condition(p.Programmed(key), st.Generation)
		})
		if err != nil {
			if ctx.Err() != nil {
				return false
			}
			p.Log.Error(err, "writing the Programmed condition", "stage", st.Stage)
			ok = false
			continue
		}
		if wrote {
			p.Log.V(1).Info("Programmed refreshed", "stage", st.Stage, "generation", st.Generation)
		}
		p.seen[key] = now
	}
	for key := range p.seen {
		if _, ok := served[key]; !ok {
			delete(p.seen, key)
		}
	}
	return ok
}

// ProgrammedCondition turns what the proxies acknowledged of a stage, compiled from
// generation of its Stage, into the Stage's Programmed condition.
func ProgrammedCondition(p xds.ProgrammedStatus, generation int64) *metav1.Condition {
	return programmedCondition(p, generation, "stage")
}

// DomainProgrammedCondition is ProgrammedCondition for a DomainName: what the proxies
// acknowledged of its snapshot and its certificate and truststore, compiled from generation.
func DomainProgrammedCondition(p xds.ProgrammedStatus, generation int64) *metav1.Condition {
	return programmedCondition(p, generation, "domain")
}

func programmedCondition(p xds.ProgrammedStatus, generation int64, what string) *metav1.Condition {
	c := &metav1.Condition{Type: apiv1.ConditionProgrammed, Status: metav1.ConditionFalse, ObservedGeneration: generation}
	switch {
	case p.Version == "":
		c.Reason, c.Message = apiv1.ReasonNotServed, "the "+what+" is not served; its Ready condition says why"
	case p.Error != "":
		c.Reason = apiv1.ReasonRejected
		c.Message = fmt.Sprintf("proxy %s rejected generation %d: %s; proxies keep serving the last configuration they accepted", p.ErrorNode, generation, p.Error)
	case p.PeersPending:
		c.Status, c.Reason, c.Message = metav1.ConditionUnknown, apiv1.ReasonPending, "reading the other controller replicas' reports of their proxies"
	case p.Proxies == 0:
		c.Status, c.Reason, c.Message = metav1.ConditionUnknown, apiv1.ReasonPending, "no proxy is connected"
	case !p.Programmed:
		c.Reason, c.Message = apiv1.ReasonPending, fmt.Sprintf("%d of %d connected proxies applied generation %d", p.Acked, p.Proxies, generation)
	default:
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, apiv1.ReasonProgrammed, fmt.Sprintf("all %d connected proxies applied generation %d", p.Proxies, generation)
	}
	return c
}

// servedStage names the Stage object of a stage key, "<namespace>/<name>".
func servedStage(key string, generation int64) ServedStage {
	ns, name, _ := strings.Cut(key, "/")
	return ServedStage{Stage: types.NamespacedName{Namespace: ns, Name: name}, Generation: generation}
}
