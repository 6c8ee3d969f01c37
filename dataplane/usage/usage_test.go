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
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/dataplane/limits"
)

// counts is a limits.Store answering fixed counts: the report's logic is which counters it
// reads, for which period, and what it makes of them.
type counts map[string]int64

func (c counts) Take(context.Context, string, float64, int64, time.Time) (bool, time.Duration, error) {
	return true, 0, nil
}
func (c counts) Consume(context.Context, string, limits.Window, int64) (bool, int64, error) {
	return true, 0, nil
}
func (c counts) Used(_ context.Context, key string, w limits.Window) (int64, error) {
	if key == "quota/shop/silver/broken" {
		return 0, errors.New("redis: connection refused")
	}
	if !w.Start.Equal(time.Date(2028, 2, 1, 0, 0, 0, 0, time.UTC)) {
		return 0, errors.New("wrong window")
	}
	return c[key], nil
}

func TestReport(t *testing.T) {
	gold := &xdsv1alpha1.Quota{Limit: 100, Period: "MONTH"}
	cfg := &config.Config{Stages: map[string]*xdsv1alpha1.StageSnapshot{"shop/prod": {
		Key: "shop/prod", Namespace: "shop",
		UsagePlans: []*xdsv1alpha1.UsagePlan{
			{Name: "gold", Quota: gold,
				Keys: []*xdsv1alpha1.ApiKey{{Id: "bob", Sha256: strings.Repeat("b", 64)}, {Id: "alice", Sha256: strings.Repeat("a", 64)}}},
			// A plan whose counters cannot be read reports the error on each of its keys.
			{Name: "silver", Quota: &xdsv1alpha1.Quota{Limit: 100, Period: "MONTH"}, Keys: []*xdsv1alpha1.ApiKey{{Id: "broken"}}},
			{Name: "free", Keys: []*xdsv1alpha1.ApiKey{{Id: "carol"}}}, // no quota: nothing to report
		},
	}, "shop/dev": {
		// The plan's second stage: alice's one count covers both.
		Key: "shop/dev", Namespace: "shop",
		UsagePlans: []*xdsv1alpha1.UsagePlan{{Name: "gold", Quota: gold, Keys: []*xdsv1alpha1.ApiKey{{Id: "alice"}}}},
	}}}
	store := counts{"quota/shop/gold/alice": 30, "quota/shop/gold/bob": 120}
	now := time.Date(2028, 2, 29, 12, 0, 0, 0, time.UTC) // a leap day
	rec := httptest.NewRecorder()
	Handler(func() *config.Config { return cfg }, store, func() time.Time { return now }).ServeHTTP(rec, httptest.NewRequest("GET", "/usage", nil))
	if strings.Contains(rec.Body.String(), strings.Repeat("a", 64)) {
		t.Fatal("/usage shows a key hash")
	}
	var got struct{ Usage []Entry }
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		plan, key       string
		stages          string
		used, remaining int64
		err             bool
	}{{"gold", "alice", "shop/dev shop/prod", 30, 70, false}, {"gold", "bob", "shop/prod", 120, 0, false}, {"silver", "broken", "shop/prod", -1, -1, true}}
	if len(got.Usage) != len(want) {
		t.Fatalf("entries %+v", got.Usage)
	}
	for i, w := range want {
		e := got.Usage[i]
		if e.KeyID != w.key || e.Namespace != "shop" || strings.Join(e.Stages, " ") != w.stages || orNone(e.Used) != w.used || orNone(e.Remaining) != w.remaining || (e.Error != "") != w.err || e.Plan != w.plan ||
			!e.PeriodStart.Equal(time.Date(2028, 2, 1, 0, 0, 0, 0, time.UTC)) || !e.PeriodEnd.Equal(time.Date(2028, 3, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("entry %d = %+v, want %+v", i, e, w)
		}
	}
}

// orNone is *p, or -1 for nil (a count the store could not give).
func orNone(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}
