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
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
)

func summary(observed time.Time, used int64) *apiv1.UsageSummary {
	return &apiv1.UsageSummary{
		ObservedAt:  metav1.NewTime(observed),
		PeriodStart: metav1.NewTime(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)),
		PeriodEnd:   metav1.NewTime(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)),
		Used:        used,
		Keys:        []apiv1.KeyUsage{{Name: "customer-a", Used: used, Remaining: 100 - used}},
	}
}

func TestUsageDue(t *testing.T) {
	at := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	const every = 10 * time.Minute
	newPeriod := summary(at.Add(time.Minute), 0)
	newPeriod.PeriodStart = metav1.NewTime(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	for _, tc := range []struct {
		name      string
		old, next *apiv1.UsageSummary
		want      bool
	}{
		{"nothing to nothing", nil, nil, false},
		{"first summary", nil, summary(at, 3), true},
		{"cleared", summary(at, 3), nil, true},
		{"count changed", summary(at, 3), summary(at.Add(time.Minute), 4), true},
		{"only observedAt, recently", summary(at, 3), summary(at.Add(9*time.Minute), 3), false},
		{"only observedAt, at the refresh age", summary(at, 3), summary(at.Add(every), 3), true},
		{"new period, same count", summary(at, 0), newPeriod, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := usageDue(tc.old, tc.next, every); got != tc.want {
				t.Errorf("usageDue = %v, want %v", got, tc.want)
			}
		})
	}
}

// The compiler's status write leaves the usage alone: the refresher owns it.
func TestSetStatusKeepsUsage(t *testing.T) {
	plan := &apiv1.UsagePlan{Status: apiv1.UsagePlanStatus{Usage: summary(t0.Time, 7)}}
	setStatusOrFail(t, plan, compile.ObjectStatus{Generation: 3, APIKeys: new(int32)}, nil)
	if plan.Status.Usage == nil || plan.Status.Usage.Used != 7 || plan.Status.ObservedGeneration != 3 {
		t.Errorf("status after the compiler's write: %+v", plan.Status)
	}
}

// WriteUsage writes the usage and leaves the conditions; an unchanged count is not written
// again until the refresh age; nil clears.
func TestWriteUsage(t *testing.T) {
	f := newFixture(t, "status-usage")
	plan := f.create(compile.KindUsagePlan, "gold")
	f.write([]compile.ObjectStatus{statusFor(plan, accepted)}, nil)
	key := types.NamespacedName{Namespace: f.ns, Name: "gold"}
	at := t0.Time
	write := func(u *apiv1.UsageSummary, want bool) {
		t.Helper()
		wrote, err := f.w.WriteUsage(f.ctx, key, u, 10*time.Minute)
		if err != nil || wrote != want {
			t.Fatalf("WriteUsage wrote=%v err=%v, want wrote=%v", wrote, err, want)
		}
	}
	write(summary(at, 3), true)
	write(summary(at.Add(time.Minute), 3), false)
	write(summary(at.Add(2*time.Minute), 4), true)
	got := f.get(plan).(*apiv1.UsagePlan)
	if got.Status.Usage == nil || got.Status.Usage.Used != 4 || !got.Status.Usage.ObservedAt.Time.Equal(at.Add(2*time.Minute)) {
		t.Errorf("usage = %+v", got.Status.Usage)
	}
	checkCondition(t, got, apiv1.ConditionAccepted, metav1.ConditionTrue, 1, t0)
	write(nil, true)
	if got := f.get(plan).(*apiv1.UsagePlan); got.Status.Usage != nil || len(got.Status.Conditions) == 0 {
		t.Errorf("after clearing: %+v", got.Status)
	}
	// A deleted plan is no error.
	if wrote, err := f.w.WriteUsage(f.ctx, types.NamespacedName{Namespace: f.ns, Name: "gone"}, summary(at, 1), time.Minute); err != nil || wrote {
		t.Errorf("WriteUsage of a missing plan: wrote=%v err=%v", wrote, err)
	}
}
