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

package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// The stage cache through the whole path: a hit does not reach the backend, cache key
// parameters separate entries, and a client may not invalidate without authorization.
func TestResponseCache(t *testing.T) {
	var calls atomic.Int32
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		fmt.Fprintf(w, "lang=%s call=%d", r.URL.Query().Get("lang"), n)
	}))
	defer backend.Close()
	g := startGateway(t, seeded(1))
	g.deploy(fmt.Sprintf(`
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: docs}
spec: {}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: page}
spec:
  restApiRef: {name: docs}
  path: /page
  methods: [GET]
  integration: {type: HTTP_PROXY, uri: "%s/page"}
  cacheKeyParameters: [querystring.lang]
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: docs}
spec:
  restApiRef: {name: docs}
  stageName: docs
  cache: {enabled: true, capacity: 1Mi, ttlSeconds: 60, unauthorizedCacheControlHeaderStrategy: FAIL_WITH_403}
`, backend.URL))
	g.programmed("default/docs")

	first := g.do("GET", "/docs/page?lang=en", nil)
	second := g.do("GET", "/docs/page?lang=en&utm=x", nil)
	other := g.do("GET", "/docs/page?lang=fr", nil)
	if first.header.Get("x-cache") != "Miss" || second.header.Get("x-cache") != "Hit" || second.body != first.body {
		t.Fatalf("first %q %q, second %q %q", first.header.Get("x-cache"), first.body, second.header.Get("x-cache"), second.body)
	}
	if other.header.Get("x-cache") != "Miss" || other.body != "lang=fr call=2" || calls.Load() != 2 {
		t.Fatalf("another language: %q %q, %d backend calls", other.header.Get("x-cache"), other.body, calls.Load())
	}
	if r := g.do("GET", "/docs/page?lang=en", nil, "Cache-Control", "max-age=0"); r.status != 403 || calls.Load() != 2 {
		t.Fatalf("unauthorized invalidation: %d, %d backend calls", r.status, calls.Load())
	}
}
