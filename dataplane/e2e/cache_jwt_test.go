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
	"time"
)

// Invalidation on a JWT route: the stage's invalidationScope travels from the Stage to the
// proxy, and only a token carrying it refreshes an entry.
func TestCacheInvalidationScope(t *testing.T) {
	idp := newIssuer(t)
	token := func(scope string) string {
		now := time.Now()
		return "Bearer " + idp.sign(map[string]any{
			"iss": "https://idp.test/", "aud": "docs", "sub": "someone", "scope": scope,
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		})
	}
	var calls atomic.Int32
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "call %d", calls.Add(1))
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
kind: Authorizer
metadata: {name: jwt}
spec:
  type: JWT
  jwt: {issuer: "https://idp.test/", audiences: [docs], jwksUri: "%s"}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: page}
spec:
  restApiRef: {name: docs}
  path: /page
  methods: [GET]
  authorization: {authorizerRef: {name: jwt}}
  integration: {type: HTTP_PROXY, uri: "%s/page"}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: docs}
spec:
  restApiRef: {name: docs}
  stageName: docs
  cache: {enabled: true, capacity: 1Mi, ttlSeconds: 60, invalidationScope: "docs:invalidate",
          unauthorizedCacheControlHeaderStrategy: SUCCEED_WITH_RESPONSE_HEADER}
`, idp.url, backend.URL))
	g.programmed("default/docs")

	reader, admin := token("docs:read"), token("docs:read docs:invalidate")
	if r := g.do("GET", "/docs/page", nil, "Authorization", reader); r.status != 200 || r.body != "call 1" {
		t.Fatalf("first: %d %q", r.status, r.body)
	}
	// Without the scope: the cached answer, with a Warning, and no backend call.
	r := g.do("GET", "/docs/page", nil, "Authorization", reader, "Cache-Control", "max-age=0")
	if r.status != 200 || r.body != "call 1" || r.header.Get("x-cache") != "Hit" || r.header.Get("Warning") == "" {
		t.Fatalf("invalidation without the scope: %d %q x-cache %q warning %q", r.status, r.body, r.header.Get("x-cache"), r.header.Get("Warning"))
	}
	// With it: a fresh answer.
	if r := g.do("GET", "/docs/page", nil, "Authorization", admin, "Cache-Control", "max-age=0"); r.body != "call 2" || r.header.Get("x-cache") != "Miss" {
		t.Fatalf("invalidation with the scope: %d %q x-cache %q", r.status, r.body, r.header.Get("x-cache"))
	}
	if r := g.do("GET", "/docs/page", nil, "Authorization", reader); r.body != "call 2" || r.header.Get("x-cache") != "Hit" {
		t.Fatalf("after the invalidation: %q x-cache %q", r.body, r.header.Get("x-cache"))
	}
}
