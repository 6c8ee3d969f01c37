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
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/dataplane/router"
	"github.com/portico-dev/portico/internal/testkit"
)

// fixture is a store and a step sharing a clock and a registry.
type fixture struct {
	clock *testkit.Clock
	store *Store
	reg   *prometheus.Registry
	step  proxy.Step
}

func newFixture() *fixture {
	c := testkit.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	f := &fixture{clock: c, store: NewStore(StoreOptions{Now: c.Now}), reg: prometheus.NewRegistry()}
	f.step = NewStep(f.store, Options{Registerer: f.reg})
	return f
}

// backend counts its calls and answers with what respond writes (200 "body <n>" by
// default, n the call number, so that a refetch is visible).
type backend struct {
	calls   atomic.Int64
	respond func(w http.ResponseWriter, r *http.Request, n int64)
}

func (b *backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := b.calls.Add(1)
	if b.respond != nil {
		b.respond(w, r, n)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("X-Backend", "yes")
	_, _ = w.Write([]byte("body " + strconv.FormatInt(n, 10)))
}

// stageSnap is a stage with its cache on, default settings.
func stageSnap(key, api string) *xdsv1alpha1.StageSnapshot {
	return &xdsv1alpha1.StageSnapshot{
		Key: key, Namespace: "ns", StageName: "prod", RestApi: api,
		Cache: &xdsv1alpha1.Cache{
			Enabled: true, CapacityBytes: 1 << 20, TtlSeconds: 300,
			RequireAuthorizationForCacheControl:    true,
			UnauthorizedCacheControlHeaderStrategy: SucceedWithResponseHeader,
		},
	}
}

func route(path string, methods []string, params ...string) *xdsv1alpha1.Route {
	return &xdsv1alpha1.Route{Name: "r", Path: path, Methods: methods, CacheKeyParameters: params}
}

// build runs the step for stage s, route r and variant.
func (f *fixture) build(t testing.TB, s *xdsv1alpha1.StageSnapshot, r *xdsv1alpha1.Route, variant string, next http.Handler) http.Handler {
	t.Helper()
	h, err := f.step(&proxy.Route{Stage: s, API: s.GetApi(), Route: r, Variant: variant}, next)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// call serves one request to h as the proxy would: reqctx in the context with the route's
// path parameters, x-request-id already set. edit may change the request and its reqctx.
func call(t testing.TB, h http.Handler, r *xdsv1alpha1.Route, method, target string, edit ...func(*http.Request, *reqctx.Request)) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	rc := &reqctx.Request{ID: "req-" + method + target}
	tree, err := router.New([]router.Route{{Path: r.GetPath(), Methods: []string{"ANY"}}})
	if err != nil {
		t.Fatal(err)
	}
	if res := tree.Lookup(method, req.URL.EscapedPath(), &rc.Params); res != router.Found {
		t.Fatalf("%s does not match %s", target, r.GetPath())
	}
	for _, e := range edit {
		e(req, rc)
	}
	req = req.WithContext(reqctx.With(req.Context(), rc))
	w := httptest.NewRecorder()
	w.Header().Set("X-Request-Id", rc.ID)
	h.ServeHTTP(w, req)
	return w
}

func header(k, v string) func(*http.Request, *reqctx.Request) {
	return func(r *http.Request, _ *reqctx.Request) { r.Header.Add(k, v) }
}

func authorized(_ *http.Request, rc *reqctx.Request) { rc.Authorizer.Authorized = true }

// expect checks a response's status, body and x-cache.
func expect(t testing.TB, w *httptest.ResponseRecorder, status int, body, xcache string) {
	t.Helper()
	if w.Code != status || w.Body.String() != body || w.Header().Get(HeaderCache) != xcache {
		t.Fatalf("got %d %q x-cache %q; want %d %q x-cache %q", w.Code, w.Body.String(), w.Header().Get(HeaderCache), status, body, xcache)
	}
}
