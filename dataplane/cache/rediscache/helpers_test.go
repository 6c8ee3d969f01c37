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

package rediscache

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/cache"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/internal/redisconn"
	"github.com/portico-dev/portico/internal/redistest"
	"github.com/portico-dev/portico/internal/testkit"
)

// TestMain quiets go-redis, which logs every refused dial of the outage tests.
func TestMain(m *testing.M) {
	goredis.SetLogger(quiet{})
	os.Exit(m.Run())
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// replica is one proxy's response cache: its own Store and clock, and its own connection to
// the shared Redis.
type replica struct {
	clock  *testkit.Clock
	shared *Cache
	store  *cache.Store
	step   proxy.Step
}

func newReplica(t testing.TB, srv *redistest.Server, log logr.Logger) *replica {
	t.Helper()
	c := testkit.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	shared, err := New(Options{Config: redisconn.Config{URL: srv.URL(), Log: log, Now: c.Now, Registerer: prometheus.NewRegistry()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shared.Close() })
	store := cache.NewStore(cache.StoreOptions{Now: c.Now, Shared: shared})
	return &replica{clock: c, shared: shared, store: store, step: cache.NewStep(store, cache.Options{})}
}

// handler builds the cache step of route /pets (cache key: querystring.id) of stage key
// and the API named api in namespace ns, in front of b.
func (p *replica) handler(t testing.TB, key, api string, b http.Handler) http.Handler {
	t.Helper()
	s := &xdsv1alpha1.StageSnapshot{
		Key: key, Namespace: "ns", StageName: "prod", RestApi: api,
		Cache: &xdsv1alpha1.Cache{Enabled: true, CapacityBytes: 1 << 20, TtlSeconds: 300},
	}
	r := &xdsv1alpha1.Route{Name: "pets", Path: "/pets", Methods: []string{"GET"}, CacheKeyParameters: []string{"querystring.id"}}
	h, err := p.step(&proxy.Route{Stage: s, Route: r, Variant: proxy.VariantStable}, b)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// get serves one GET as the proxy would, reqctx in the context; maxAge0 asks, as an
// authorized caller, for a fresh answer.
func get(h http.Handler, target string, maxAge0 bool) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", target, nil)
	rc := &reqctx.Request{ID: "req"}
	if maxAge0 {
		req.Header.Set("Cache-Control", "max-age=0")
		rc.Authorizer.Authorized = true
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req.WithContext(reqctx.With(req.Context(), rc)))
	return w
}

// backend counts its calls and answers 200 "body <n>", n the call number, so that a refetch
// is visible.
type backend struct{ calls atomic.Int64 }

func (b *backend) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	n := b.calls.Add(1)
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Add("X-Backend", "a")
	w.Header().Add("X-Backend", "b")
	_, _ = w.Write([]byte("body " + strconv.FormatInt(n, 10)))
}

// expect checks a response's status, body and x-cache, and the backend's calls so far.
func expect(t testing.TB, w *httptest.ResponseRecorder, body, xcache string, b *backend, calls int64) {
	t.Helper()
	if w.Code != 200 || w.Body.String() != body || w.Header().Get(cache.HeaderCache) != xcache || b.calls.Load() != calls {
		t.Fatalf("got %d %q x-cache %q after %d backend calls; want 200 %q x-cache %q after %d",
			w.Code, w.Body.String(), w.Header().Get(cache.HeaderCache), b.calls.Load(), body, xcache, calls)
	}
}

// until polls cond until it holds, for at most testkit.WaitTimeout.
func until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testkit.Eventually(t, what, cond)
}
