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
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/controllers/ir"
	"github.com/portico-dev/portico/internal/quota"
)

func TestSummarize(t *testing.T) {
	now := time.Date(2026, 11, 21, 8, 15, 30, 999_000_000, time.UTC)
	window := quota.Window{Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	k := func(name string, used, remaining int64) apiv1.KeyUsage {
		return apiv1.KeyUsage{Name: name, Used: used, Remaining: remaining}
	}
	var many []string
	var manyUsed []int64
	var manyTop []apiv1.KeyUsage
	for i := range 12 {
		many = append(many, fmt.Sprintf("key-%02d", i))
		manyUsed = append(manyUsed, int64(i))
	}
	for i := 11; i >= 2; i-- {
		manyTop = append(manyTop, k(fmt.Sprintf("key-%02d", i), int64(i), int64(100-i)))
	}
	for _, tc := range []struct {
		name     string
		limit    int64
		keyIDs   []string
		used     []int64
		wantUsed int64
		atLimit  int32
		keys     []apiv1.KeyUsage
	}{
		{name: "no keys", limit: 100},
		{
			name: "most used first, over the limit counts as at it", limit: 100,
			keyIDs: []string{"alice", "bob", "carol"}, used: []int64{30, 120, 0}, wantUsed: 150, atLimit: 1,
			keys: []apiv1.KeyUsage{k("bob", 120, 0), k("alice", 30, 70), k("carol", 0, 100)},
		},
		{
			name: "ties by name", limit: 10,
			keyIDs: []string{"bob", "alice", "carol"}, used: []int64{10, 10, 4}, wantUsed: 24, atLimit: 2,
			keys: []apiv1.KeyUsage{k("alice", 10, 0), k("bob", 10, 0), k("carol", 4, 6)},
		},
		{name: "ten at most, all summed", limit: 100, keyIDs: many, used: manyUsed, wantUsed: 66, keys: manyTop},
		{
			name: "a zero quota: every key is at its limit", limit: 0,
			keyIDs: []string{"alice"}, used: []int64{0}, atLimit: 1,
			keys: []apiv1.KeyUsage{k("alice", 0, 0)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := compile.PlanQuota{Namespace: "shop", Name: "gold", Quota: ir.Quota{Limit: tc.limit, Period: quota.Month}, KeyIDs: tc.keyIDs}
			got := Summarize(p, tc.used, window, now)
			want := &apiv1.UsageSummary{
				ObservedAt:  metav1.NewTime(time.Date(2026, 11, 21, 8, 15, 30, 0, time.UTC)),
				PeriodStart: metav1.NewTime(window.Start), PeriodEnd: metav1.NewTime(window.End),
				Used: tc.wantUsed, KeysAtLimit: tc.atLimit, Keys: tc.keys,
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
		})
	}
}
