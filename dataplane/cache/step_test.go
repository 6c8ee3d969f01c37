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

package cache

import (
	"bytes"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

var getOnly = []string{"GET"}

func TestHitAndMiss(t *testing.T) {
	f := newFixture()
	b := &backend{}
	r := route("/pets", getOnly)
	h := f.build(t, stageSnap("ns/prod", "pets"), r, proxy.VariantStable, b)

	w := call(t, h, r, "GET", "/pets")
	expect(t, w, 200, "body 1", "Miss")
	w = call(t, h, r, "GET", "/pets?unrelated=1")
	expect(t, w, 200, "body 1", "Hit")
	if w.Header().Get("X-Backend") != "yes" || w.Header().Get("Content-Type") != "text/plain" {
		t.Errorf("hit lost the backend's headers: %v", w.Header())
	}
	// The request id is the request's, not the one of the request that filled the entry.
	if got := w.Header().Get("X-Request-Id"); got != "req-GET/pets?unrelated=1" {
		t.Errorf("x-request-id %q", got)
	}
	if b.calls.Load() != 1 {
		t.Errorf("backend calls %d, want 1", b.calls.Load())
	}
	// HEAD is its own entry, served through the GET route as the router does.
	// (The recorder keeps what the backend writes for HEAD; a server drops it.)
	expect(t, call(t, h, r, "HEAD", "/pets"), 200, "body 2", "Miss")
	expect(t, call(t, h, r, "HEAD", "/pets"), 200, "", "Hit")

	for result, want := range map[string]float64{"hit": 2, "miss": 2, "bypass": 0} {
		got := f.metric(t, "ns/pets", "prod", result)
		if got != want {
			t.Errorf("portico_cache_requests_total{result=%q} = %v, want %v", result, got, want)
		}
	}
}

// metric reads portico_cache_requests_total{api, stage, result} from the fixture's registry.
func (f *fixture) metric(t testing.TB, api, stage, result string) float64 {
	t.Helper()
	families, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() != "portico_cache_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["api"] == api && labels["stage"] == stage && labels["result"] == result {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func TestTTL(t *testing.T) {
	f := newFixture()
	b := &backend{}
	r := route("/pets", getOnly)
	h := f.build(t, stageSnap("ns/prod", "pets"), r, proxy.VariantStable, b)
	expect(t, call(t, h, r, "GET", "/pets"), 200, "body 1", "Miss")
	f.clock.Advance(299 * time.Second)
	expect(t, call(t, h, r, "GET", "/pets"), 200, "body 1", "Hit")
	f.clock.Advance(time.Second)
	expect(t, call(t, h, r, "GET", "/pets"), 200, "body 2", "Miss")
}

// A hit has an Age, the seconds since the answer was stored, and not the backend's Date of
// then (the server writes the current one), as RFC 9111 has a cache answer.
func TestHitAgeAndDate(t *testing.T) {
	f := newFixture()
	b := &backend{respond: func(w http.ResponseWriter, r *http.Request, n int64) {
		w.Header().Set("Date", "Thu, 01 Jan 2026 00:00:00 GMT")
		w.Header().Set("Age", "7")
		_, _ = io.WriteString(w, "body")
	}}
	r := route("/pets", getOnly)
	h := f.build(t, stageSnap("ns/prod", "pets"), r, proxy.VariantStable, b)
	if w := call(t, h, r, "GET", "/pets"); w.Header().Get("Date") == "" || w.Header().Get("X-Cache") != "Miss" {
		t.Fatalf("miss: %v", w.Header())
	}
	f.clock.Advance(90 * time.Second)
	w := call(t, h, r, "GET", "/pets")
	if w.Header().Get("X-Cache") != "Hit" || w.Header().Get("Age") != "90" || w.Header().Get("Date") != "" {
		t.Errorf("hit 90 s later: %v", w.Header())
	}
	// Counted to the request's arrival, when the request path read it.
	f.clock.Advance(100 * time.Second)
	arrived := func(_ *http.Request, rc *reqctx.Request) { rc.Start = f.clock.Now().Add(-time.Second) }
	if w := call(t, h, r, "GET", "/pets", arrived); w.Header().Get("X-Cache") != "Hit" || w.Header().Get("Age") != "189" {
		t.Errorf("hit 190 s later, arrived a second before: %v", w.Header())
	}
}

func TestMethodSettings(t *testing.T) {
	ttl := int32(60)
	s := stageSnap("ns/prod", "pets")
	s.MethodSettings = []*xdsv1alpha1.MethodSetting{
		{Path: "/pets", Method: "GET", Caching: &xdsv1alpha1.MethodCaching{Enabled: proto.Bool(true), TtlSeconds: &ttl}},
		// A throttle-only setting does not hide the broader caching settings.
		{Path: "/pets/{id}", Method: "GET", Throttle: &xdsv1alpha1.Throttle{}},
		{Path: "*", Method: "*", Caching: &xdsv1alpha1.MethodCaching{Enabled: proto.Bool(false)}},
	}
	f := newFixture()

	b := &backend{}
	r := route("/pets", getOnly)
	h := f.build(t, s, r, proxy.VariantStable, b)
	expect(t, call(t, h, r, "GET", "/pets"), 200, "body 1", "Miss")
	f.clock.Advance(59 * time.Second)
	expect(t, call(t, h, r, "GET", "/pets"), 200, "body 1", "Hit")
	f.clock.Advance(time.Second)
	expect(t, call(t, h, r, "GET", "/pets"), 200, "body 2", "Miss")

	// "*/*" turns caching off for the other routes: the step is not there at all.
	other := &backend{}
	r2 := route("/pets/{id}", getOnly, "path.id")
	h2 := f.build(t, s, r2, proxy.VariantStable, other)
	if h2 != http.Handler(other) {
		t.Fatal("step kept for a route whose caching is off")
	}

	// A TTL of 0 turns caching off too.
	zero := int32(0)
	s.MethodSettings = []*xdsv1alpha1.MethodSetting{{Path: "*", Method: "*", Caching: &xdsv1alpha1.MethodCaching{Enabled: proto.Bool(true), TtlSeconds: &zero}}}
	if h := f.build(t, s, r, proxy.VariantStable, other); h != http.Handler(other) {
		t.Fatal("step kept with a TTL of 0")
	}
	// Each field from the most specific setting that sets it: a TTL alone keeps caching on
	// (the stage's), whatever a broader setting says of the TTL; an enabled alone keeps the
	// broader TTL.
	s.MethodSettings = []*xdsv1alpha1.MethodSetting{
		{Path: "/pets", Method: "GET", Caching: &xdsv1alpha1.MethodCaching{TtlSeconds: &ttl}},
		{Path: "*", Method: "*", Caching: &xdsv1alpha1.MethodCaching{TtlSeconds: &zero}},
	}
	got := methodTTLs(s, r)
	s.MethodSettings = []*xdsv1alpha1.MethodSetting{
		{Path: "/pets", Method: "*", Caching: &xdsv1alpha1.MethodCaching{Enabled: proto.Bool(true)}},
		{Path: "*", Method: "*", Caching: &xdsv1alpha1.MethodCaching{Enabled: proto.Bool(false), TtlSeconds: &ttl}},
	}
	got2 := methodTTLs(s, r)
	if got[http.MethodGet] != time.Minute || got2[http.MethodGet] != time.Minute {
		t.Errorf("inherited fields: TTL alone %v, enabled alone %v; want 1m both", got, got2)
	}
	// So does a disabled stage cache.
	s = stageSnap("ns/prod", "pets")
	s.Cache.Enabled = false
	if h := f.build(t, s, r, proxy.VariantStable, other); h != http.Handler(other) {
		t.Fatal("step kept with the stage cache off")
	}
}

// Settings keyed "/path/ANY" are the ANY route's, ranked as the throttle ranks them: an
// exact method beats ANY, which beats "/path/*"; a [GET] route beside the ANY route on the
// same path does not take the ANY setting.
func TestMethodSettingsANY(t *testing.T) {
	ttl := func(n int32) *int32 { return &n }
	s := stageSnap("ns/prod", "pets")
	caching := func(path, method string, secs int32) *xdsv1alpha1.MethodSetting {
		return &xdsv1alpha1.MethodSetting{Path: path, Method: method, Caching: &xdsv1alpha1.MethodCaching{Enabled: proto.Bool(true), TtlSeconds: ttl(secs)}}
	}
	for _, tc := range []struct {
		name     string
		settings []*xdsv1alpha1.MethodSetting
		route    *xdsv1alpha1.Route
		want     map[string]time.Duration
	}{
		{"ANY on an ANY route", []*xdsv1alpha1.MethodSetting{caching("/pets", "ANY", 60)}, route("/pets", []string{"ANY"}),
			map[string]time.Duration{"GET": time.Minute, "HEAD": time.Minute}},
		{"ANY beats *", []*xdsv1alpha1.MethodSetting{caching("/pets", "*", 10), caching("/pets", "ANY", 60)}, route("/pets", []string{"ANY"}),
			map[string]time.Duration{"GET": time.Minute, "HEAD": time.Minute}},
		{"GET beats ANY", []*xdsv1alpha1.MethodSetting{caching("/pets", "ANY", 60), caching("/pets", "GET", 20)}, route("/pets", []string{"ANY"}),
			map[string]time.Duration{"GET": 20 * time.Second, "HEAD": time.Minute}},
		{"not a [GET] route's", []*xdsv1alpha1.MethodSetting{caching("/pets", "ANY", 60)}, route("/pets", getOnly),
			map[string]time.Duration{"GET": 300 * time.Second, "HEAD": 300 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.MethodSettings = tc.settings
			if got := methodTTLs(s, tc.route); !maps.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestOnlyGETAndHEAD(t *testing.T) {
	f := newFixture()
	s := stageSnap("ns/prod", "pets")
	b := &backend{}
	post := route("/pets", []string{"POST"})
	if h := f.build(t, s, post, proxy.VariantStable, b); h != http.Handler(b) {
		t.Fatal("step kept for a POST route")
	}
	r := route("/pets", []string{"ANY"})
	h := f.build(t, s, r, proxy.VariantStable, b)
	expect(t, call(t, h, r, "POST", "/pets"), 200, "body 1", "Miss")
	expect(t, call(t, h, r, "POST", "/pets"), 200, "body 2", "Miss")
	if got := f.metric(t, "ns/pets", "prod", "bypass"); got != 2 {
		t.Errorf("bypass = %v, want 2", got)
	}
}

func TestNotCacheable(t *testing.T) {
	for name, respond := range map[string]func(w http.ResponseWriter, r *http.Request, n int64){
		"404":      func(w http.ResponseWriter, _ *http.Request, _ int64) { w.WriteHeader(404) },
		"500":      func(w http.ResponseWriter, _ *http.Request, _ int64) { w.WriteHeader(500) },
		"no-store": cacheControl("public, no-store"),
		"private":  cacheControl(`private="x-user"`),
		"cookie": func(w http.ResponseWriter, _ *http.Request, _ int64) {
			w.Header().Set("Set-Cookie", "session=1")
		},
		"short body": func(w http.ResponseWriter, _ *http.Request, _ int64) {
			w.Header().Set("Content-Length", "10")
			_, _ = w.Write([]byte("abc"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture()
			b := &backend{respond: respond}
			r := route("/pets", getOnly)
			h := f.build(t, stageSnap("ns/prod", "pets"), r, proxy.VariantStable, b)
			call(t, h, r, "GET", "/pets")
			if w := call(t, h, r, "GET", "/pets"); w.Header().Get(HeaderCache) != "Miss" {
				t.Errorf("x-cache %q", w.Header().Get(HeaderCache))
			}
			if b.calls.Load() != 2 {
				t.Errorf("backend calls %d, want 2", b.calls.Load())
			}
			if n, _ := f.store.Bytes("ns/prod", "ns/pets"); n != 0 {
				t.Errorf("store holds %d bytes", n)
			}
		})
	}
}

func cacheControl(v string) func(w http.ResponseWriter, r *http.Request, n int64) {
	return func(w http.ResponseWriter, _ *http.Request, _ int64) {
		w.Header().Set("Cache-Control", v)
		_, _ = w.Write([]byte("secret"))
	}
}

func TestLargeResponseStreamedNotCached(t *testing.T) {
	big := bytes.Repeat([]byte("x"), MaxItemBytes+1)
	b := &backend{respond: func(w http.ResponseWriter, _ *http.Request, _ int64) {
		// In pieces, as a proxied body arrives.
		for i := 0; i < len(big); i += 32 << 10 {
			_, _ = w.Write(big[i:min(i+32<<10, len(big))])
		}
	}}
	f := newFixture()
	r := route("/big", getOnly)
	h := f.build(t, stageSnap("ns/prod", "pets"), r, proxy.VariantStable, b)
	for range 2 {
		if w := call(t, h, r, "GET", "/big"); !bytes.Equal(w.Body.Bytes(), big) {
			t.Fatalf("body of %d bytes, want %d", w.Body.Len(), len(big))
		}
	}
	if b.calls.Load() != 2 {
		t.Errorf("backend calls %d, want 2", b.calls.Load())
	}
}

func TestCacheKeyParameters(t *testing.T) {
	f := newFixture()
	b := &backend{}
	// Unsorted on purpose: the order does not matter.
	r := route("/pets/{petId}", getOnly, "querystring.lang", "path.petId", "header.accept-language")
	h := f.build(t, stageSnap("ns/prod", "pets"), r, proxy.VariantStable, b)

	expect(t, call(t, h, r, "GET", "/pets/1?lang=en"), 200, "body 1", "Miss")
	expect(t, call(t, h, r, "GET", "/pets/1?page=2&lang=en"), 200, "body 1", "Hit")
	expect(t, call(t, h, r, "GET", "/pets/1?lang=fr"), 200, "body 2", "Miss")
	expect(t, call(t, h, r, "GET", "/pets/2?lang=en"), 200, "body 3", "Miss")
	expect(t, call(t, h, r, "GET", "/pets/1?lang=en", header("Accept-Language", "de")), 200, "body 4", "Miss")
	expect(t, call(t, h, r, "GET", "/pets/1?lang=en", header("accept-language", "de")), 200, "body 4", "Hit")
	// Values cannot run into each other: "a,b" is not "a" then "b".
	expect(t, call(t, h, r, "GET", "/pets/1?lang=a&lang=b"), 200, "body 5", "Miss")
	expect(t, call(t, h, r, "GET", "/pets/1?lang=a,b"), 200, "body 6", "Miss")
	expect(t, call(t, h, r, "GET", "/pets/1"), 200, "body 7", "Miss")
}

func TestVariants(t *testing.T) {
	for _, shared := range []bool{false, true} {
		f := newFixture()
		s := stageSnap("ns/prod", "pets")
		s.Canary = &xdsv1alpha1.Canary{PercentTraffic: 10, UseStageCache: shared}
		r := route("/pets", getOnly)
		stable, canary := &backend{}, &backend{}
		hs := f.build(t, s, r, proxy.VariantStable, stable)
		hc := f.build(t, s, r, proxy.VariantCanary, canary)
		expect(t, call(t, hs, r, "GET", "/pets"), 200, "body 1", "Miss")
		w := call(t, hc, r, "GET", "/pets")
		if shared {
			expect(t, w, 200, "body 1", "Hit")
		} else {
			expect(t, w, 200, "body 1", "Miss")
			if canary.calls.Load() != 1 {
				t.Errorf("canary backend calls %d", canary.calls.Load())
			}
		}
	}
}

// A stage that starts serving another revision (a promotion, a pin, a rollback) never answers
// with an entry another revision produced; going back finds the earlier entries.
func TestEntriesPerRevision(t *testing.T) {
	f := newFixture()
	r := route("/pets", getOnly)
	b := &backend{}
	at := func(rev int64) http.Handler {
		s := stageSnap("ns/prod", "pets")
		s.Revision = rev
		return f.build(t, s, r, proxy.VariantStable, b)
	}
	expect(t, call(t, at(3), r, "GET", "/pets"), 200, "body 1", "Miss")
	expect(t, call(t, at(3), r, "GET", "/pets"), 200, "body 1", "Hit")
	expect(t, call(t, at(4), r, "GET", "/pets"), 200, "body 2", "Miss")
	expect(t, call(t, at(3), r, "GET", "/pets"), 200, "body 1", "Hit")

	// A canary with entries of its own keys them by its revision; sharing the stage's
	// entries, it reads the stage revision's.
	for _, shared := range []bool{false, true} {
		s := stageSnap("ns/prod", "pets")
		s.Revision = 3
		s.Canary = &xdsv1alpha1.Canary{PercentTraffic: 10, Revision: 4, UseStageCache: shared}
		w := call(t, f.build(t, s, r, proxy.VariantCanary, b), r, "GET", "/pets")
		if shared {
			expect(t, w, 200, "body 1", "Hit")
		} else {
			expect(t, w, 200, "body 3", "Miss")
		}
	}
}

func TestStageAndAPIIsolation(t *testing.T) {
	f := newFixture()
	r := route("/pets", getOnly)
	b1, b2, b3 := &backend{}, &backend{}, &backend{}
	h1 := f.build(t, stageSnap("ns/prod", "pets"), r, proxy.VariantStable, b1)
	h2 := f.build(t, stageSnap("ns/beta", "pets"), r, proxy.VariantStable, b2)
	h3 := f.build(t, stageSnap("ns/prod", "shop"), r, proxy.VariantStable, b3)
	for _, h := range []http.Handler{h1, h2, h3} {
		expect(t, call(t, h, r, "GET", "/pets"), 200, "body 1", "Miss")
		expect(t, call(t, h, r, "GET", "/pets"), 200, "body 1", "Hit")
	}
	if n, _ := f.store.Bytes("ns/prod", "ns/shop"); n == 0 {
		t.Error("no bytes under ns/prod ns/shop")
	}
}

func TestAuthorizationStepsStillApply(t *testing.T) {
	f := newFixture()
	b := &backend{}
	r := route("/pets", getOnly)
	r.Authorization = &xdsv1alpha1.Authorization{Authorizer: "jwt", ApiKeyRequired: true}
	h := f.build(t, stageSnap("ns/prod", "pets"), r, proxy.VariantStable, b)
	ok := func(_ *http.Request, rc *reqctx.Request) { rc.Authorizer.Authorized, rc.APIKeyID = true, "k" }
	expect(t, call(t, h, r, "GET", "/pets", ok), 200, "body 1", "Miss")
	expect(t, call(t, h, r, "GET", "/pets", ok), 200, "body 1", "Hit")
	// Without the authorization steps' marks, the request goes on to be refused.
	expect(t, call(t, h, r, "GET", "/pets", authorized), 200, "body 2", "Miss")
	expect(t, call(t, h, r, "GET", "/pets"), 200, "body 3", "Miss")
}

// TestThroughReverseProxy caches what an HTTP backend answers through a reverse proxy, as
// the integration does, with its streaming flushes.
func TestThroughReverseProxy(t *testing.T) {
	b := &backend{}
	srv := httptest.NewServer(b)
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	next := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(u) }, FlushInterval: -1}
	f := newFixture()
	r := route("/pets", getOnly)
	h := f.build(t, stageSnap("ns/prod", "pets"), r, proxy.VariantStable, next)
	expect(t, call(t, h, r, "GET", "/pets"), 200, "body 1", "Miss")
	w := call(t, h, r, "GET", "/pets")
	expect(t, w, 200, "body 1", "Hit")
	if w.Header().Get("Content-Length") != "6" || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		t.Errorf("headers %v", w.Header())
	}
}

func TestUnknownStrategy(t *testing.T) {
	f := newFixture()
	s := stageSnap("ns/prod", "pets")
	s.Cache.UnauthorizedCacheControlHeaderStrategy = "IGNORE"
	if _, err := f.step(&proxy.Route{Stage: s, Route: route("/pets", getOnly)}, &backend{}); err == nil {
		t.Fatal("no error for an unknown strategy")
	}
}

// TestAbortedResponseNotCached checks that a response the integration aborts (a proxied body
// that broke off) stores nothing and leaves no flight behind for the next request to wait on.
func TestAbortedResponseNotCached(t *testing.T) {
	f := newFixture()
	b := &backend{respond: func(w http.ResponseWriter, _ *http.Request, n int64) {
		_, _ = w.Write([]byte("partial"))
		if n == 1 {
			panic(http.ErrAbortHandler)
		}
	}}
	r := route("/pets", getOnly)
	h := f.build(t, stageSnap("ns/prod", "pets"), r, proxy.VariantStable, b)
	func() {
		defer func() {
			if recover() != http.ErrAbortHandler { //nolint:errorlint // the value panicked with
				t.Error("the abort did not go through")
			}
		}()
		call(t, h, r, "GET", "/pets")
	}()
	expect(t, call(t, h, r, "GET", "/pets"), 200, "partial", "Miss")
	expect(t, call(t, h, r, "GET", "/pets"), 200, "partial", "Hit")
}
