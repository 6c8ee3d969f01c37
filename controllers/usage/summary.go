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

// Package usage keeps UsagePlan.status.usage: every interval the elected controller reads the
// quota counters of every plan with a quota from the store the proxies share (Redis), sums
// them for the current period, and writes the summary, as Amazon API Gateway's GetUsage
// answers it. The counters are named with quota.Key (internal/quota) over the bindings
// compile.PlanQuotas resolves, the same the proxies count under.
package usage

import (
	"cmp"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/internal/quota"
)

// MaxKeys is how many counters a summary lists, the most used.
const MaxKeys = 10

// Summarize sums a plan's counters in window, read at now: used[i] is the count of
// p.KeyIDs[i]. Pure, so the rules (the top keys, ties, keys at the limit) are table tested.
func Summarize(p compile.PlanQuota, used []int64, window quota.Window, now time.Time) *apiv1.UsageSummary {
	s := &apiv1.UsageSummary{
		// The API server keeps seconds; a summary built with them compares equal to the one
		// read back.
		ObservedAt:  metav1.NewTime(now.UTC().Truncate(time.Second)),
		PeriodStart: metav1.NewTime(window.Start.UTC()),
		PeriodEnd:   metav1.NewTime(window.End.UTC()),
	}
	keys := make([]apiv1.KeyUsage, 0, len(p.KeyIDs))
	for i, id := range p.KeyIDs {
		n := used[i]
		remaining := max(p.Quota.Limit-n, 0)
		s.Used += n
		if remaining == 0 {
			s.KeysAtLimit++
		}
		keys = append(keys, apiv1.KeyUsage{Name: id, Used: n, Remaining: remaining})
	}
	// Most used first; ties by name, so that equal counts give equal statuses and an
	// unchanged plan is not rewritten.
	slices.SortFunc(keys, func(a, b apiv1.KeyUsage) int {
		return cmp.Or(cmp.Compare(b.Used, a.Used), cmp.Compare(a.Name, b.Name))
	})
	if len(keys) > MaxKeys {
		keys = keys[:MaxKeys]
	}
	if len(keys) > 0 {
		s.Keys = keys
	}
	return s
}
