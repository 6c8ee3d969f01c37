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

package status

import (
	"context"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
)

// WriteProgrammed sets the Programmed condition of one Stage, and nothing else of its status,
// as Write would for generation: what the proxies acknowledged changes more often than what
// the compiler says, and refreshing it needs no compile. programmed is called after each get
// (nil leaves the condition as it is), so that a write retried after a conflict carries the
// proxies' state as of the retry, never an older one that a concurrent writer already
// replaced. A Stage at another generation is skipped: the compile of its generation writes
// the condition with the rest of the status. It reports whether it wrote.
func (w *Writer) WriteProgrammed(ctx context.Context, stage types.NamespacedName, generation int64, programmed func() *metav1.Condition) (bool, error) {
	return w.writeProgrammed(ctx, func() client.Object { return &apiv1.Stage{} }, stage, generation, programmed)
}

// DomainProgrammed writes the Programmed condition of DomainNames, as WriteProgrammed does
// of Stages: a ProgrammedWriter for a second refresher.
type DomainProgrammed struct{ *Writer }

// WriteProgrammed sets the Programmed condition of one DomainName, and nothing else.
func (d DomainProgrammed) WriteProgrammed(ctx context.Context, domain types.NamespacedName, generation int64, programmed func() *metav1.Condition) (bool, error) {
	return d.writeProgrammed(ctx, func() client.Object { return &apiv1.DomainName{} }, domain, generation, programmed)
}

// writeProgrammed is WriteProgrammed for the kind newObject makes, Stage or DomainName.
func (w *Writer) writeProgrammed(ctx context.Context, newObject func() client.Object, key types.NamespacedName, generation int64, programmed func() *metav1.Condition) (bool, error) {
	backoff := w.Backoff
	if backoff.Steps == 0 {
		backoff = retry.DefaultRetry
	}
	now := metav1.Now()
	if w.Now != nil {
		now = w.Now()
	}
	reader := w.Reader
	if reader == nil {
		reader = w.Client
	}
	wrote := false
	err := retry.RetryOnConflict(backoff, func() error {
		wrote = false
		obj := newObject()
		if err := reader.Get(ctx, key, obj); err != nil {
			if apierrors.IsNotFound(err) {
				return nil
			}
			return err
		}
		if obj.GetGeneration() != generation {
			return nil
		}
		c := programmed()
		if c == nil {
			return nil
		}
		conds := programmedConditions(obj)
		if conds == nil {
			return fmt.Errorf("no Programmed condition on %T", obj)
		}
		before := slices.Clone(*conds)
		setProgrammed(conds, *c, generation, now)
		if equality.Semantic.DeepEqual(before, *conds) {
			return nil
		}
		if err := w.Client.Status().Update(ctx, obj); err != nil {
			if apierrors.IsNotFound(err) {
				return nil
			}
			return err // a conflict makes RetryOnConflict get again
		}
		wrote = true
		return nil
	})
	return wrote, err
}

// programmedConditions returns the conditions of a Stage or DomainName status, nil for another kind.
func programmedConditions(obj client.Object) *[]metav1.Condition {
	switch o := obj.(type) {
	case *apiv1.Stage:
		return &o.Status.Conditions
	case *apiv1.DomainName:
		return &o.Status.Conditions
	}
	return nil
}

// setProgrammed sets the Programmed condition c, at generation unless c says otherwise,
// keeping its lastTransitionTime while its status stays the same.
func setProgrammed(conds *[]metav1.Condition, c metav1.Condition, generation int64, now metav1.Time) {
	if c.ObservedGeneration == 0 {
		c.ObservedGeneration = generation
	}
	if c.LastTransitionTime.IsZero() {
		c.LastTransitionTime = now
	}
	meta.SetStatusCondition(conds, c)
}
