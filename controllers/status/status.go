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

// Package status writes the statuses the compiler computes back to Portico's objects. It is
// the one writer of their status (after Contour's internal/k8s/status.go): for each object it
// gets the current version, applies the computed status, skips the write when nothing
// changed, and updates with the object's resourceVersion, retrying on conflict. Skipping
// unchanged statuses matters: every status write is a watch event, and a write on every
// compile would feed the controller its own output forever.
package status

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/portico-dev/portico/controllers/compile"
)

// ProgrammedFunc returns the Programmed condition of the Stage whose xDS resource is
// stageKey (of a DomainName: "<namespace>/<name>"), at the given generation of the Stage, or nil to leave the condition as it is
// (for example while no proxy has answered yet).
type ProgrammedFunc func(stageKey string, generation int64) *metav1.Condition

// Writer writes statuses. Use one per controller: several writers of one object would undo
// each other's conditions.
type Writer struct {
	Client client.Client
	// Reader reads the object WriteProgrammed compares its condition with; Client when nil.
	// The manager's is the API server's (GetAPIReader): Client reads the informers' cache,
	// which may lag the last writes, and a condition found there already as it should be is
	// not written; the Programmed refresher has no event of the object to try again on (a
	// reconciler has the cache's own), so the Stage would keep the older condition the
	// server has.
	Reader client.Reader
	Log    logr.Logger
	// Now stamps the lastTransitionTime of conditions that change status. metav1.Now when
	// nil; tests set a fixed clock.
	Now func() metav1.Time
	// Backoff paces the retries after a conflict; retry.DefaultRetry when zero.
	Backoff wait.Backoff
}

// NewWriter returns a Writer with the real clock.
func NewWriter(c client.Client, log logr.Logger) *Writer {
	return &Writer{Client: c, Log: log}
}

// Result counts what one Write did.
type Result struct {
	// Updated objects had their status written.
	Updated int
	// Unchanged objects already had the computed status.
	Unchanged int
	// Skipped objects are gone, or at another generation than the one compiled: a newer
	// compile will come.
	Skipped int
	// Failed objects could not be written; Write's error says why. When the context ends,
	// Write stops, and the objects left are counted nowhere.
	Failed int
}

// outcome is what happened to one object.
type outcome int

const (
	updated outcome = iota
	unchanged
	skipped
)

// Write writes each status to its object. programmed, which may be nil, gives Stages their
// Programmed condition. One object's failure does not stop the others: the errors are
// returned joined, each naming its object.
func (w *Writer) Write(ctx context.Context, statuses []compile.ObjectStatus, programmed ProgrammedFunc) (Result, error) {
	now := metav1.Now()
	if w.Now != nil {
		now = w.Now()
	}
	var res Result
	var errs []error
	for _, st := range statuses {
		if err := ctx.Err(); err != nil {
			// The rest would fail the same way; the next compile writes them.
			errs = append(errs, err)
			break
		}
		out, err := w.write(ctx, st, programmed, now)
		if err != nil {
			res.Failed++
			errs = append(errs, fmt.Errorf("status of %s %s/%s: %w", st.Kind, st.Namespace, st.Name, err))
			continue
		}
		switch out {
		case updated:
			res.Updated++
		case unchanged:
			res.Unchanged++
		case skipped:
			res.Skipped++
		}
	}
	return res, errors.Join(errs...)
}

// write writes one status: get, mutate, compare, update, and again from the get on conflict,
// so that a change made meanwhile (by a user or another controller) is never overwritten.
//
// The Programmed condition is computed after the get, as WriteProgrammed's is: whichever of
// the two writes last carries the proxies' state as of its own get.
func (w *Writer) write(ctx context.Context, st compile.ObjectStatus, programmed ProgrammedFunc, now metav1.Time) (outcome, error) {
	backoff := w.Backoff
	if backoff.Steps == 0 {
		backoff = retry.DefaultRetry
	}
	key := types.NamespacedName{Namespace: st.Namespace, Name: st.Name}
	log := w.Log.WithValues("kind", st.Kind, "object", key)
	var out outcome
	err := retry.RetryOnConflict(backoff, func() error {
		obj, err := newObject(st.Kind)
		if err != nil {
			return err
		}
		if err := w.Client.Get(ctx, key, obj); err != nil {
			if apierrors.IsNotFound(err) {
				log.V(1).Info("Skipping the status of a deleted object")
				out = skipped
				return nil
			}
			return err
		}
		// A newer generation will be compiled and written soon; an older one means the object
		// was deleted and created again since the compile read it.
		if g := obj.GetGeneration(); g != st.Generation {
			log.V(1).Info("Skipping the status of another generation", "generation", g, "compiled", st.Generation)
			out = skipped
			return nil
		}
		var cond *metav1.Condition
		switch {
		case programmed == nil:
		case st.Kind == compile.KindStage:
			cond = programmed(st.StageKey, st.Generation)
		case st.Kind == compile.KindDomainName:
			cond = programmed(st.Namespace+"/"+st.Name, st.Generation)
		}
		before := statusOf(obj)
		if err := setStatus(obj, st, cond, now); err != nil {
			return err
		}
		if equality.Semantic.DeepEqual(before, statusOf(obj)) {
			out = unchanged
			return nil
		}
		if err := w.Client.Status().Update(ctx, obj); err != nil {
			if apierrors.IsNotFound(err) {
				out = skipped
				return nil
			}
			return err // a conflict makes RetryOnConflict get again
		}
		out = updated
		return nil
	})
	return out, err
}
