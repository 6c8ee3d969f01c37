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

package cache_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/cache"
	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/dataplane/pipeline"
	"github.com/portico-dev/portico/dataplane/proxy"
)

// TestWiring runs the cache as the last of the data plane's steps in a Proxy, in front of an
// HTTP_PROXY integration: hits skip the backend and carry their own request id, and an
// unauthorized invalidation is refused under FAIL_WITH_403.
func TestWiring(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"`+r.URL.Query().Get("id")+`"}`)
	}))
	defer srv.Close()

	api := &xdsv1alpha1.Api{
		Protocol: "REST",
		Routes: []*xdsv1alpha1.Route{{
			Name: "pets", Path: "/pets", Methods: []string{"GET"},
			Integration:        &xdsv1alpha1.Integration{Type: "HTTP_PROXY", Uri: srv.URL + "/pets", TimeoutMillis: 29000},
			CacheKeyParameters: []string{"querystring.id"},
		}},
	}
	st := &xdsv1alpha1.StageSnapshot{Key: "default/prod", Namespace: "default", StageName: "prod", RestApi: "pets", Api: api,
		Cache: &xdsv1alpha1.Cache{Enabled: true, CapacityBytes: 1 << 20, TtlSeconds: 300, RequireAuthorizationForCacheControl: true,
			UnauthorizedCacheControlHeaderStrategy: cache.FailWith403}}
	store := cache.NewStore(cache.StoreOptions{})
	p := proxy.New(proxy.Options{
		AccessLog: io.Discard,
		Steps:     append(pipeline.Steps(pipeline.Options{}), cache.NewStep(store, cache.Options{})),
	})
	if err := p.Apply(&config.Config{Stages: map[string]*xdsv1alpha1.StageSnapshot{st.Key: st}}); err != nil {
		t.Fatal(err)
	}
	do := func(target string, headers ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", target, nil)
		for i := 0; i+1 < len(headers); i += 2 {
			r.Header.Set(headers[i], headers[i+1])
		}
		w := httptest.NewRecorder()
		p.ServeHTTP(w, r)
		return w
	}
	first := do("/prod/pets?id=7")
	second := do("/prod/pets?id=7")
	if first.Code != 200 || first.Header().Get(cache.HeaderCache) != "Miss" || second.Header().Get(cache.HeaderCache) != "Hit" {
		t.Fatalf("x-cache %q then %q", first.Header().Get(cache.HeaderCache), second.Header().Get(cache.HeaderCache))
	}
	if second.Body.String() != `{"id":"7"}` || second.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("hit: %q %v", second.Body, second.Header())
	}
	if a, b := first.Header().Get("X-Request-Id"), second.Header().Get("X-Request-Id"); a == "" || a == b || len(second.Header().Values("X-Request-Id")) != 1 {
		t.Fatalf("request ids %q and %q", a, b)
	}
	if w := do("/prod/pets?id=8"); w.Body.String() != `{"id":"8"}` || calls.Load() != 2 {
		t.Fatalf("another key: %q after %d calls", w.Body, calls.Load())
	}
	if w := do("/prod/pets?id=7", "Cache-Control", "max-age=0"); w.Code != 403 || w.Header().Get("X-Portico-Error-Type") != "ACCESS_DENIED" {
		t.Fatalf("unauthorized invalidation: %d %v", w.Code, w.Header())
	}
}
