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
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
)

// WriteUsage sets a UsagePlan's status.usage (nil clears it), leaving its conditions and key
// count to Write, as Write leaves the usage alone: the two never undo each other. The write is
// skipped when usageDue says the status has it already, so that reading the counts every
// minute does not rewrite every plan every minute. It reports whether it wrote.
func (w *Writer) WriteUsage(ctx context.Context, plan types.NamespacedName, usage *apiv1.UsageSummary, refreshAfter time.Duration) (bool, error) {
	backoff := w.Backoff
	if backoff.Steps == 0 {
		backoff = retry.DefaultRetry
	}
	wrote := false
	err := retry.RetryOnConflict(backoff, func() error {
		var p apiv1.UsagePlan
		if err := w.Client.Get(ctx, plan, &p); err != nil {
			if apierrors.IsNotFound(err) {
				return nil
			}
			return err
		}
		if !usageDue(p.Status.Usage, usage, refreshAfter) {
			return nil
		}
		p.Status.Usage = usage.DeepCopy()
		if err := w.Client.Status().Update(ctx, &p); err != nil {
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

// usageDue reports whether the usage next should replace old: when anything but observedAt
// differs, or when only observedAt does and old is at least refreshAfter older, so that the
// status still shows, now and then, that the counts were read. Pure, for the table test.
func usageDue(old, next *apiv1.UsageSummary, refreshAfter time.Duration) bool {
	if old == nil || next == nil {
		return old != next
	}
	a, b := old.DeepCopy(), next.DeepCopy()
	a.ObservedAt = b.ObservedAt
	if !equality.Semantic.DeepEqual(a, b) {
		return true
	}
	return next.ObservedAt.Sub(old.ObservedAt.Time) >= refreshAfter
}
