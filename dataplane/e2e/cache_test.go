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
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
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

// Invalidation through the whole path with a real function authorizer: Cache-Control:
// max-age=0 refreshes an entry only for a caller whose policy allows
// execute-api:InvalidateCache on the method's ARN; being allowed to invoke is not enough.
// Per-caller keys keep each principal's answer apart.
func TestCacheInvalidationPermission(t *testing.T) {
	var calls atomic.Int32
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s for %s, call %d", r.URL.Path, r.Header.Get("x-user"), calls.Add(1))
	}))
	defer backend.Close()
	// Tokens are principals: "admin" may invalidate the GETs of the stage, "user" only invoke.
	authz := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct{ AuthorizationToken, MethodArn string }
		_ = json.NewDecoder(r.Body).Decode(&ev)
		statements := []any{map[string]any{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": ev.MethodArn}}
		if ev.AuthorizationToken == "admin" {
			statements = append(statements, map[string]any{
				"Action": "execute-api:InvalidateCache", "Effect": "Allow", "Resource": "arn:aws:execute-api:*:default:docs/docs/GET/*",
			})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"principalId":    ev.AuthorizationToken,
			"policyDocument": map[string]any{"Version": "2012-10-17", "Statement": statements},
		})
	}))
	defer authz.Close()
	g := startGateway(t, seeded(1))
	g.deploy(fmt.Sprintf(`
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: docs}
spec: {}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Authorizer
metadata: {name: token}
spec:
  type: TOKEN
  identitySources: ["$request.header.Authorization"]
  function: {uri: "%s"}
  resultTtlSeconds: 0
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: page}
spec:
  restApiRef: {name: docs}
  path: /page
  methods: [GET]
  authorization: {authorizerRef: {name: token}}
  integration: {type: HTTP_PROXY, uri: "%s/page", requestParameters: {"header.x-user": "$context.authorizer.principalId"}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: mine}
spec:
  restApiRef: {name: docs}
  path: /mine
  methods: [GET]
  authorization: {authorizerRef: {name: token}}
  integration: {type: HTTP_PROXY, uri: "%s/mine", requestParameters: {"header.x-user": "$context.authorizer.principalId"}}
  cacheKeyParameters: [context.authorizer.principalId]
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: docs}
spec:
  restApiRef: {name: docs}
  stageName: docs
  cache: {enabled: true, capacity: 1Mi, ttlSeconds: 60, unauthorizedCacheControlHeaderStrategy: FAIL_WITH_403}
`, authz.URL, backend.URL, backend.URL))
	g.programmed("default/docs")

	first := g.do("GET", "/docs/page", nil, "Authorization", "user")
	if first.status != 200 || first.header.Get("x-cache") != "Miss" || first.body != "/page for user, call 1" {
		t.Fatalf("first: %d %q %q", first.status, first.header.Get("x-cache"), first.body)
	}
	// Allowed to invoke, not to invalidate: refused, and the entry stays.
	if r := g.do("GET", "/docs/page", nil, "Authorization", "user", "Cache-Control", "max-age=0"); r.status != 403 || calls.Load() != 1 {
		t.Fatalf("invalidation without the permission: %d %q, %d backend calls", r.status, r.body, calls.Load())
	}
	// With the permission: a fresh answer, which replaces the entry for everyone.
	if r := g.do("GET", "/docs/page", nil, "Authorization", "admin", "Cache-Control", "max-age=0"); r.status != 200 ||
		r.header.Get("x-cache") != "Miss" || r.body != "/page for admin, call 2" {
		t.Fatalf("invalidation with the permission: %d %q %q", r.status, r.header.Get("x-cache"), r.body)
	}
	if r := g.do("GET", "/docs/page", nil, "Authorization", "user"); r.header.Get("x-cache") != "Hit" || r.body != "/page for admin, call 2" {
		t.Fatalf("after the invalidation: %q %q", r.header.Get("x-cache"), r.body)
	}

	// Keyed by principal: each caller has its own entry.
	for _, who := range []string{"user", "admin", "user", "admin"} {
		r := g.do("GET", "/docs/mine", nil, "Authorization", who)
		if r.status != 200 || !strings.HasPrefix(r.body, "/mine for "+who+",") {
			t.Fatalf("%s got %d %q", who, r.status, r.body)
		}
	}
	if calls.Load() != 4 {
		t.Fatalf("%d backend calls, want 4 (one per principal on /mine)", calls.Load())
	}
}
