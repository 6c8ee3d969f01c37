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

package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/redistest"
)

// gateway is one standalone gateway a test runs.
type gateway struct{ base, admin string }

// startGateways runs n standalone gateways on the manifests in dir, with the data-plane
// flags dp, until the test ends, and waits until each is ready.
func startGateways(t *testing.T, n int, dir string, dp dataPlaneFlags) []gateway {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var out []gateway
	for i := 0; i < n; i++ {
		httpLis, adminLis := listenLoopback(t), listenLoopback(t)
		ready := make(chan struct{})
		o := standaloneOptions{files: []string{dir}, httpAddr: httpLis.Addr().String(), reload: time.Second,
			drain: time.Second, log: logOptions{level: "error", format: "json"}, dp: dp}
		go func() {
			_ = runStandalone(ctx, o, &standaloneHooks{httpListener: httpLis, adminListener: adminLis, ready: ready})
		}()
		<-ready
		g := gateway{base: "http://" + httpLis.Addr().String(), admin: "http://" + adminLis.Addr().String()}
		until(t, fmt.Sprintf("gateway %d ready", i), func() bool { return get(t, "GET", g.admin+"/readyz").status == 200 })
		out = append(out, g)
	}
	return out
}

// Two standalone gateways with --cache-redis share cached responses: the backend is called
// once for both, and an invalidation through one reaches the other.
func TestTwoProxiesShareCachedResponses(t *testing.T) {
	redis := redistest.Start(t).URL()
	var calls atomic.Int64
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, fmt.Sprintf(`{"pet":%q,"call":%d}`, r.URL.Query().Get("id"), n))
	}))
	defer backend.Close()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "api.yaml"), fmt.Sprintf(`apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: pets}
spec: {}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: pets}
spec:
  restApiRef: {name: pets}
  path: /pets
  methods: [GET]
  authorization: {type: NONE}
  cacheKeyParameters: [querystring.id]
  integration: {type: HTTP_PROXY, uri: "%s/pets"}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: prod}
spec:
  restApiRef: {name: pets}
  cache: {enabled: true, capacity: 1Mi, ttlSeconds: 300, requireAuthorizationForCacheControl: false}
`, backend.URL))
	gws := startGateways(t, 2, dir, dataPlaneFlags{redis: redisFlags{cache: redis}})
	a, b := gws[0], gws[1]

	first := get(t, "GET", a.base+"/prod/pets?id=7")
	if first.status != 200 || first.header.Get("X-Cache") != "Miss" || first.body != `{"pet":"7","call":1}` {
		t.Fatalf("first request through A: %d %q x-cache %q", first.status, first.body, first.header.Get("X-Cache"))
	}
	for i, g := range []gateway{b, a, b} {
		r := get(t, "GET", g.base+"/prod/pets?id=7")
		if r.status != 200 || r.header.Get("X-Cache") != "Hit" || r.body != first.body || r.header.Get("Content-Type") != "application/json" {
			t.Fatalf("request %d: %d %q x-cache %q", i+2, r.status, r.body, r.header.Get("X-Cache"))
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("the backend was called %d times for one key through two gateways, want once", n)
	}

	// Cache-Control: max-age=0 through B refetches, and A serves the new answer too.
	if r := getHeader(t, b.base+"/prod/pets?id=7", "Cache-Control", "max-age=0"); r.body != `{"pet":"7","call":2}` {
		t.Fatalf("invalidation through B: %d %q", r.status, r.body)
	}
	until(t, "A serves the refetched answer", func() bool {
		return get(t, "GET", a.base+"/prod/pets?id=7").body == `{"pet":"7","call":2}`
	})
	if n := calls.Load(); n != 2 {
		t.Errorf("%d backend calls after one invalidation, want 2", n)
	}
	if m := get(t, "GET", a.admin+"/metrics"); !strings.Contains(m.body, "portico_cache_redis_healthy 1") ||
		!strings.Contains(m.body, `portico_cache_redis_errors_total{op="get"} 0`) {
		t.Errorf("A's metrics lack a healthy shared cache")
	}
}

// --cache-redis is a flag of both data-plane commands, and a URL that is not Redis's is the
// user's to fix at start-up, not a cache that silently never shares.
func TestCacheRedisFlag(t *testing.T) {
	for _, name := range []string{"proxy", "standalone"} {
		cmd, _, err := NewRootCommand().Find([]string{name})
		if err != nil {
			t.Fatal(err)
		}
		if cmd.Flags().Lookup("cache-redis") == nil {
			t.Errorf("portico %s has no --cache-redis", name)
		}
	}
	_, err := run(t, "proxy", "--xds-server", "127.0.0.1:1", "--http-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0",
		"--cache-redis", "http://cache:6379")
	if err == nil || !strings.Contains(err.Error(), "--cache-redis:") {
		t.Errorf("portico proxy --cache-redis http://...: err = %v", err)
	}
}
