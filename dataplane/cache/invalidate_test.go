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
	"net/http"
	"runtime"
	"sync"
	"testing"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

var maxAge0 = header("Cache-Control", "no-cache, max-age=0")

func TestInvalidationWithoutAuthorizationRequired(t *testing.T) {
	f := newFixture()
	s := stageSnap("ns/prod", "pets")
	s.Cache.RequireAuthorizationForCacheControl = false
	b := &backend{}
	r := route("/pets", getOnly)
	h := f.build(t, s, r, proxy.VariantStable, b)
	expect(t, call(t, h, r, "GET", "/pets"), 200, "body 1", "Miss")
	expect(t, call(t, h, r, "GET", "/pets", maxAge0), 200, "body 2", "Miss")
	// The refetched answer replaced the entry.
	expect(t, call(t, h, r, "GET", "/pets"), 200, "body 2", "Hit")
}

// guarded is r behind an authorizer named "authz".
func guarded(r *xdsv1alpha1.Route) *xdsv1alpha1.Route {
	r.Authorization = &xdsv1alpha1.Authorization{Authorizer: "authz"}
	return r
}

// mayInvalidate is a caller whose authorizer granted execute-api:InvalidateCache.
func mayInvalidate(_ *http.Request, rc *reqctx.Request) {
	rc.Authorizer.Authorized, rc.Authorizer.InvalidateCache = true, true
}

// TestInvalidationWithPermission: a caller whose authorizer granted the permission
// invalidates, whatever the strategy for the others.
func TestInvalidationWithPermission(t *testing.T) {
	for _, strategy := range []string{FailWith403, SucceedWithResponseHeader, SucceedWithoutResponseHeader} {
		t.Run(strategy, func(t *testing.T) {
			f := newFixture()
			s := stageSnap("ns/prod", "pets")
			s.Cache.UnauthorizedCacheControlHeaderStrategy = strategy
			b := &backend{}
			r := guarded(route("/pets", getOnly))
			h := f.build(t, s, r, proxy.VariantStable, b)
			expect(t, call(t, h, r, "GET", "/pets", authorized), 200, "body 1", "Miss")
			w := call(t, h, r, "GET", "/pets", maxAge0, mayInvalidate)
			expect(t, w, 200, "body 2", "Miss")
			if got := w.Header().Get("Warning"); got != "" {
				t.Errorf("warning header %q on a permitted invalidation", got)
			}
			// The refetched answer replaced the entry, for every caller.
			expect(t, call(t, h, r, "GET", "/pets", authorized), 200, "body 2", "Hit")
		})
	}
}

// TestUnauthorizedCacheControl: without the permission, Cache-Control: max-age=0 gets what
// the strategy says and the entry stays, for a caller its authorizer let through without
// the permission, for one of a route whose only guard is an API key, and for one of an open
// route (nobody may invalidate there, as in AWS), even one the context claims may.
func TestUnauthorizedCacheControl(t *testing.T) {
	for _, tc := range []struct {
		strategy string
		status   int
		warning  bool
	}{
		{FailWith403, 403, false},
		{SucceedWithResponseHeader, 200, true},
		{SucceedWithoutResponseHeader, 200, false},
	} {
		for _, rk := range []struct {
			name   string
			route  func() *xdsv1alpha1.Route
			caller func(*http.Request, *reqctx.Request)
		}{
			{"authorizer without permission", func() *xdsv1alpha1.Route { return guarded(route("/pets", getOnly)) }, authorized},
			{"api key", func() *xdsv1alpha1.Route {
				r := route("/pets", getOnly)
				r.Authorization = &xdsv1alpha1.Authorization{ApiKeyRequired: true}
				return r
			}, func(_ *http.Request, rc *reqctx.Request) { rc.APIKeyID = "customer-a" }},
			{"no authorizer", func() *xdsv1alpha1.Route { return route("/pets", getOnly) }, mayInvalidate},
		} {
			t.Run(tc.strategy+"/"+rk.name, func(t *testing.T) {
				f := newFixture()
				s := stageSnap("ns/prod", "pets")
				s.Cache.UnauthorizedCacheControlHeaderStrategy = tc.strategy
				b := &backend{}
				r := rk.route()
				h := f.build(t, s, r, proxy.VariantStable, b)
				expect(t, call(t, h, r, "GET", "/pets", rk.caller), 200, "body 1", "Miss")

				w := call(t, h, r, "GET", "/pets", maxAge0, rk.caller)
				if w.Code != tc.status {
					t.Fatalf("status %d, want %d", w.Code, tc.status)
				}
				if tc.status == 403 {
					if got := w.Header().Get(gatewayresponse.HeaderErrorType); got != "ACCESS_DENIED" {
						t.Errorf("error type %q", got)
					}
				} else {
					expect(t, w, 200, "body 1", "Hit")
				}
				if got := w.Header().Get("Warning") != ""; got != tc.warning {
					t.Errorf("warning header %q", w.Header().Get("Warning"))
				}
				// In every case the entry stays.
				expect(t, call(t, h, r, "GET", "/pets", rk.caller), 200, "body 1", "Hit")
				if b.calls.Load() != 1 {
					t.Errorf("backend calls %d, want 1", b.calls.Load())
				}
			})
		}
	}
}

// waiting counts the requests waiting on a flight of the stage's cache.
func waiting(s *Store, key, api string) int {
	s.mu.Lock()
	c := s.caches[cacheID{key, api}].Value()
	s.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, f := range c.flights {
		n += f.waiters
	}
	return n
}

// concurrentMisses sends n requests for one key at once, holding the first backend call
// until the others wait for it, and returns the responses' bodies and x-cache values.
func concurrentMisses(t *testing.T, n int, respond func(w http.ResponseWriter)) (b *backend, bodies, xcache []string) {
	f := newFixture()
	entered, release := make(chan struct{}), make(chan struct{})
	b = &backend{respond: func(w http.ResponseWriter, _ *http.Request, call int64) {
		if call == 1 {
			close(entered)
			<-release
		}
		respond(w)
	}}
	r := route("/pets", getOnly)
	h := f.build(t, stageSnap("ns/prod", "pets"), r, proxy.VariantStable, b)
	bodies, xcache = make([]string, n), make([]string, n)
	var wg sync.WaitGroup
	start := func(i int) {
		wg.Go(func() {
			w := call(t, h, r, "GET", "/pets")
			bodies[i], xcache[i] = w.Body.String(), w.Header().Get(HeaderCache)
		})
	}
	start(0)
	<-entered
	for i := 1; i < n; i++ {
		start(i)
	}
	for waiting(f.store, "ns/prod", "ns/pets") < n-1 {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	return b, bodies, xcache
}

func TestConcurrentMissesOneBackendCall(t *testing.T) {
	b, bodies, xcache := concurrentMisses(t, 50, func(w http.ResponseWriter) { _, _ = w.Write([]byte("pets")) })
	if b.calls.Load() != 1 {
		t.Fatalf("backend calls %d, want 1", b.calls.Load())
	}
	hits := 0
	for i := range bodies {
		if bodies[i] != "pets" {
			t.Fatalf("response %d: %q", i, bodies[i])
		}
		if xcache[i] == "Hit" {
			hits++
		}
	}
	if hits != 49 {
		t.Errorf("%d hits, want 49", hits)
	}
}

func TestConcurrentMissesNotCacheable(t *testing.T) {
	b, bodies, _ := concurrentMisses(t, 50, func(w http.ResponseWriter) {
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte("fresh"))
	})
	// The followers do not get the leader's answer: each asks the backend.
	if b.calls.Load() != 50 {
		t.Fatalf("backend calls %d, want 50", b.calls.Load())
	}
	for i, body := range bodies {
		if body != "fresh" {
			t.Fatalf("response %d: %q", i, body)
		}
	}
}
