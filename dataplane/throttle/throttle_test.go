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

package throttle

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/limits"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// recorder is a limits.Store that records which buckets and counters the step used and
// answers as told: the step's logic is which limit applies, in which order.
type recorder struct {
	times    []time.Time // the now of each Take
	takes    []take
	consumes []string
	refuse   map[string]time.Duration // bucket key -> retry-after when refused
	overQ    bool
	err      error
}

type take struct {
	key   string
	rate  float64
	burst int64
}

func (r *recorder) Take(_ context.Context, key string, rate float64, burst int64, now time.Time) (bool, time.Duration, error) {
	r.takes = append(r.takes, take{key, rate, burst})
	r.times = append(r.times, now)
	if r.err != nil {
		return false, 0, r.err
	}
	if d, ok := r.refuse[key]; ok {
		return false, d, nil
	}
	return true, 0, nil
}

func (r *recorder) Consume(_ context.Context, key string, w limits.Window, limit int64) (bool, int64, error) {
	r.consumes = append(r.consumes, key)
	return !r.overQ, 0, r.err
}

func (r *recorder) Used(context.Context, string, limits.Window) (int64, error) { return 0, nil }

var now = time.Date(2027, 2, 28, 23, 59, 0, 0, time.UTC)

func stage() *xdsv1alpha1.StageSnapshot {
	return &xdsv1alpha1.StageSnapshot{
		Key:       "shop/prod",
		Namespace: "shop",
		Throttle:  &xdsv1alpha1.Throttle{RateLimit: 10000, BurstLimit: 5000},
		MethodSettings: []*xdsv1alpha1.MethodSetting{
			{Path: "/pets/{id}", Method: "POST", Throttle: &xdsv1alpha1.Throttle{RateLimit: 5, BurstLimit: 5}},
			{Path: "/pets/{id}", Method: "*", Throttle: &xdsv1alpha1.Throttle{RateLimit: 50, BurstLimit: 50}},
			{Path: "*", Method: "*", Caching: &xdsv1alpha1.MethodCaching{Enabled: proto.Bool(true)}},
		},
		UsagePlans: []*xdsv1alpha1.UsagePlan{{
			Name:            "gold",
			Throttle:        &xdsv1alpha1.Throttle{RateLimit: 100, BurstLimit: 200},
			Quota:           &xdsv1alpha1.Quota{Limit: 10, Period: "MONTH"},
			MethodThrottles: []*xdsv1alpha1.MethodThrottle{{Path: "/pets/{id}", Method: "GET", Throttle: &xdsv1alpha1.Throttle{RateLimit: 1, BurstLimit: 2}}},
			Keys:            []*xdsv1alpha1.ApiKey{{Id: "alice"}},
		}},
	}
}

func serve(t *testing.T, store limits.Store, path string, methods []string, method, keyID string) *httptest.ResponseRecorder {
	t.Helper()
	return serveStage(t, stage(), store, path, methods, method, keyID)
}

func serveStage(t *testing.T, s *xdsv1alpha1.StageSnapshot, store limits.Store, path string, methods []string, method, keyID string) *httptest.ResponseRecorder {
	t.Helper()
	var called bool
	next := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { called = true })
	h, err := NewStep(Options{Store: store, Now: func() time.Time { return now }})(&proxy.Route{
		Stage: s, API: &xdsv1alpha1.Api{}, Route: &xdsv1alpha1.Route{Path: path, Methods: methods},
	}, next)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(method, "http://gw"+path, nil)
	req = req.WithContext(reqctx.With(req.Context(), &reqctx.Request{ID: "rid", APIKeyID: keyID}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if (w.Code == http.StatusOK) != called {
		t.Fatalf("status %d but next called: %v", w.Code, called)
	}
	return w
}

// AWS's precedence: plan per-method, then plan (per key); stage method setting, then stage
// (shared); then the quota.
func TestPrecedence(t *testing.T) {
	for _, tc := range []struct {
		name, path, method, key string
		methods                 []string
		want                    []take
		quota                   bool
	}{
		{"plan method throttle and stage method setting", "/pets/{id}", "GET", "alice", []string{"GET", "POST"},
			[]take{{"key/shop/prod/gold//pets/{id}/GET/alice", 1, 2}, {"stage/shop/prod//pets/{id}/GET", 50, 50}}, true},
		{"the POST of the same route has its own settings", "/pets/{id}", "POST", "alice", []string{"GET", "POST"},
			[]take{{"plan/shop/gold/alice", 100, 200}, {"stage/shop/prod//pets/{id}/POST", 5, 5}}, true},
		{"HEAD counts as GET", "/pets/{id}", "HEAD", "alice", []string{"GET"},
			[]take{{"key/shop/prod/gold//pets/{id}/GET/alice", 1, 2}, {"stage/shop/prod//pets/{id}/GET", 50, 50}}, true},
		{"plan throttle and stage default on another path", "/orders", "GET", "alice", []string{"ANY"},
			[]take{{"plan/shop/gold/alice", 100, 200}, {"stage/shop/prod", 10000, 5000}}, true},
		{"no key: the stage only, no quota", "/orders", "GET", "", []string{"ANY"},
			[]take{{"stage/shop/prod", 10000, 5000}}, false},
		{"a key of no plan of this stage", "/orders", "GET", "mallory", []string{"ANY"},
			[]take{{"stage/shop/prod", 10000, 5000}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{}
			if w := serve(t, r, tc.path, tc.methods, tc.method, tc.key); w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			if len(r.takes) != len(tc.want) {
				t.Fatalf("buckets %v, want %v", r.takes, tc.want)
			}
			for i := range tc.want {
				if r.takes[i] != tc.want[i] {
					t.Errorf("bucket %d = %+v, want %+v", i, r.takes[i], tc.want[i])
				}
			}
			if got := len(r.consumes) == 1 && r.consumes[0] == "quota/shop/gold/alice"; got != tc.quota {
				t.Errorf("quota counted %v (%v), want %v", got, r.consumes, tc.quota)
			}
		})
	}
}

func TestThrottledAndQuotaResponses(t *testing.T) {
	r := &recorder{refuse: map[string]time.Duration{"stage/shop/prod": 1500 * time.Millisecond}}
	w := serve(t, r, "/orders", []string{"GET"}, "GET", "alice")
	if w.Code != 429 || w.Header().Get("x-portico-error-type") != "THROTTLED" || w.Header().Get("Retry-After") != "2" {
		t.Fatalf("throttled: %d %s Retry-After %q", w.Code, w.Header().Get("x-portico-error-type"), w.Header().Get("Retry-After"))
	}
	if len(r.consumes) != 0 {
		t.Fatalf("a throttled request was counted against the quota: %v", r.consumes)
	}

	r = &recorder{overQ: true}
	w = serve(t, r, "/orders", []string{"GET"}, "GET", "alice")
	if w.Code != 429 || w.Header().Get("x-portico-error-type") != "QUOTA_EXCEEDED" {
		t.Fatalf("quota: %d %s", w.Code, w.Header().Get("x-portico-error-type"))
	}

	// The limiter being unavailable lets requests through, as Amazon API Gateway does.
	r = &recorder{err: errors.New("store down")}
	if w := serve(t, r, "/orders", []string{"GET"}, "GET", "alice"); w.Code != http.StatusOK {
		t.Fatalf("store down: %d", w.Code)
	}
}

// Without a clock of its own, the step counts a request at the time the proxy received it.
func TestRequestTime(t *testing.T) {
	r := &recorder{}
	h, err := NewStep(Options{Store: r})(&proxy.Route{
		Stage: stage(), API: &xdsv1alpha1.Api{}, Route: &xdsv1alpha1.Route{Path: "/orders", Methods: []string{"GET"}},
	}, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "http://gw/orders", nil)
	h.ServeHTTP(httptest.NewRecorder(), req.WithContext(reqctx.With(req.Context(), &reqctx.Request{ID: "rid", APIKeyID: "alice", Start: now})))
	before := time.Now()
	h.ServeHTTP(httptest.NewRecorder(), req) // no reqctx: the clock
	if len(r.times) != 3 || !r.times[0].Equal(now) || !r.times[1].Equal(now) || r.times[2].Before(before) {
		t.Fatalf("times %v, want %v twice then the clock", r.times, now)
	}
}

// One ranking for the stage's method settings and the plan's method throttles, whatever
// their order in the snapshot: "/path/METHOD", then "/path/ANY" (the ANY route's only), then
// "/path/*", then "*/*".
func TestMostSpecificWins(t *testing.T) {
	th := func(n float64) *xdsv1alpha1.Throttle {
		return &xdsv1alpha1.Throttle{RateLimit: n, BurstLimit: int32(n)}
	}
	s := stage()
	s.MethodSettings = []*xdsv1alpha1.MethodSetting{
		{Path: "*", Method: "*", Throttle: th(1000)},
		{Path: "/p", Method: "*", Throttle: th(300)},
		{Path: "/p", Method: "ANY", Throttle: th(200)},
		{Path: "/p", Method: "GET", Throttle: th(100)},
	}
	s.UsagePlans[0].MethodThrottles = []*xdsv1alpha1.MethodThrottle{
		{Path: "/p", Method: "*", Throttle: th(30)},
		{Path: "/p", Method: "ANY", Throttle: th(20)},
		{Path: "/p", Method: "GET", Throttle: th(10)},
	}
	for _, tc := range []struct {
		name, method string
		methods      []string
		want         []take
	}{
		{"GET beats ANY and * on the ANY route", "GET", []string{"ANY"},
			[]take{{"key/shop/prod/gold//p/GET/alice", 10, 10}, {"stage/shop/prod//p/GET", 100, 100}}},
		{"ANY beats * on the ANY route", "POST", []string{"ANY"},
			[]take{{"key/shop/prod/gold//p/POST/alice", 20, 20}, {"stage/shop/prod//p/POST", 200, 200}}},
		{"GET on a [GET] route", "GET", []string{"GET"},
			[]take{{"key/shop/prod/gold//p/GET/alice", 10, 10}, {"stage/shop/prod//p/GET", 100, 100}}},
		{"ANY is not a [POST] route's", "POST", []string{"POST"},
			[]take{{"key/shop/prod/gold//p/POST/alice", 30, 30}, {"stage/shop/prod//p/POST", 300, 300}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{}
			if w := serveStage(t, s, r, "/p", tc.methods, tc.method, "alice"); w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			if !slices.Equal(r.takes, tc.want) {
				t.Errorf("buckets %v, want %v", r.takes, tc.want)
			}
		})
	}
}

// The plan's throttle limits each key across the plan: one bucket for every route of every
// stage of the plan, as Amazon API Gateway applies a usage plan's throttle per API key. A
// per-method throttle is per key, stage, path and method.
func TestPlanThrottlePerKey(t *testing.T) {
	dev := stage()
	dev.Key = "shop/dev"
	r := &recorder{}
	serve(t, r, "/orders", []string{"GET"}, "GET", "alice")
	serve(t, r, "/orders", []string{"POST"}, "POST", "alice")
	serve(t, r, "/pets/{id}", []string{"POST"}, "POST", "alice")
	serveStage(t, dev, r, "/orders", []string{"GET"}, "GET", "alice")
	serve(t, r, "/orders", []string{"GET"}, "GET", "bob") // no plan of the stage: no key bucket
	serve(t, r, "/pets/{id}", []string{"GET"}, "GET", "alice")
	serveStage(t, dev, r, "/pets/{id}", []string{"GET"}, "GET", "alice")
	var keyBuckets []string
	for _, tk := range r.takes {
		if !strings.HasPrefix(tk.key, "stage/") {
			keyBuckets = append(keyBuckets, tk.key)
		}
	}
	want := []string{
		"plan/shop/gold/alice", "plan/shop/gold/alice", "plan/shop/gold/alice", "plan/shop/gold/alice",
		"key/shop/prod/gold//pets/{id}/GET/alice", "key/shop/dev/gold//pets/{id}/GET/alice",
	}
	if !slices.Equal(keyBuckets, want) {
		t.Errorf("key buckets %v, want %v", keyBuckets, want)
	}
	// The quota too: one counter per key for the plan, on every stage.
	wantQ := slices.Repeat([]string{"quota/shop/gold/alice"}, 6)
	if !slices.Equal(r.consumes, wantQ) {
		t.Errorf("quota counters %v, want %v", r.consumes, wantQ)
	}
}

// A stage method setting is a limit for each method it covers, as Amazon API Gateway's
// "default method throttling" ("*/*") is: every route and method has a bucket of its own,
// with the setting's rate. The stage's throttling is one bucket for the whole stage.
func TestStageMethodSettingPerMethod(t *testing.T) {
	s := stage()
	s.MethodSettings = []*xdsv1alpha1.MethodSetting{{Path: "*", Method: "*", Throttle: &xdsv1alpha1.Throttle{RateLimit: 10, BurstLimit: 20}}}
	r := &recorder{}
	serveStage(t, s, r, "/orders", []string{"GET", "POST"}, "GET", "")
	serveStage(t, s, r, "/orders", []string{"GET", "POST"}, "POST", "")
	serveStage(t, s, r, "/pets/{id}", []string{"GET"}, "GET", "")
	serveStage(t, s, r, "/pets/{id}", []string{"GET"}, "HEAD", "")
	want := []take{
		{"stage/shop/prod//orders/GET", 10, 20}, {"stage/shop/prod//orders/POST", 10, 20},
		{"stage/shop/prod//pets/{id}/GET", 10, 20}, {"stage/shop/prod//pets/{id}/GET", 10, 20},
	}
	if !slices.Equal(r.takes, want) {
		t.Errorf("buckets %v, want %v", r.takes, want)
	}

	// WEBSOCKET routes have no path: a bucket per route key.
	r = &recorder{}
	for _, key := range []string{"$connect", "send", "$default"} {
		h, err := NewStep(Options{Store: r, Now: func() time.Time { return now }})(&proxy.Route{
			Stage: s, API: &xdsv1alpha1.Api{}, Route: &xdsv1alpha1.Route{RouteKey: key},
		}, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		if err != nil {
			t.Fatal(err)
		}
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "http://gw/", nil))
	}
	want = []take{{"stage/shop/prod/$connect/POST", 10, 20}, {"stage/shop/prod/send/POST", 10, 20}, {"stage/shop/prod/$default/POST", 10, 20}}
	if !slices.Equal(r.takes, want) {
		t.Errorf("WEBSOCKET buckets %v, want %v", r.takes, want)
	}

	s.MethodSettings = nil
	r = &recorder{}
	serveStage(t, s, r, "/orders", []string{"GET"}, "GET", "")
	serveStage(t, s, r, "/pets/{id}", []string{"POST"}, "POST", "")
	if want := []take{{"stage/shop/prod", 10000, 5000}, {"stage/shop/prod", 10000, 5000}}; !slices.Equal(r.takes, want) {
		t.Errorf("buckets %v, want %v", r.takes, want)
	}
}
