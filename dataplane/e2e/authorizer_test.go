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
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// Function authorizers through the whole path: a REQUEST authorizer with simple responses
// whose context reaches the backend, and a TOKEN authorizer answering a policy for the
// methodArn it was given, written as AWS's blueprints do.
func TestFunctionAuthorizers(t *testing.T) {
	var calls atomic.Int32
	simple := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		var ev struct {
			Version string            `json:"version"`
			Headers map[string]string `json:"headers"`
		}
		_ = json.NewDecoder(r.Body).Decode(&ev)
		ok := ev.Version == "2.0" && ev.Headers["authorization"] == "Bearer good"
		_ = json.NewEncoder(w).Encode(map[string]any{"isAuthorized": ok, "context": map[string]any{"user": "alice"}})
	}))
	defer simple.Close()
	var mu sync.Mutex
	var arns []string
	token := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Type, AuthorizationToken, MethodArn string
		}
		_ = json.NewDecoder(r.Body).Decode(&ev)
		mu.Lock()
		arns = append(arns, ev.MethodArn)
		mu.Unlock()
		if ev.AuthorizationToken != "allow-me" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"message":"Unauthorized"}`)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"principalId": "bob",
			"policyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{
				map[string]any{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": ev.MethodArn},
			}},
		})
	}))
	defer token.Close()
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "user=%s", r.Header.Get("x-user"))
	}))
	defer backend.Close()

	g := startGateway(t, seeded(1))
	g.deploy(fmt.Sprintf(`
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: shop}
spec: {}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Authorizer
metadata: {name: simple}
spec:
  type: REQUEST
  identitySources: ["$request.header.Authorization"]
  function: {uri: "%s", payloadFormatVersion: "2.0", enableSimpleResponses: true}
  resultTtlSeconds: 300
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Authorizer
metadata: {name: token}
spec:
  type: TOKEN
  identitySources: ["$request.header.X-Token"]
  function: {uri: "%s"}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: orders}
spec:
  restApiRef: {name: shop}
  path: /orders
  methods: [GET]
  authorization: {authorizerRef: {name: simple}}
  integration: {type: HTTP, uri: "%s/orders", requestParameters: {"header.x-user": "$context.authorizer.user"}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: items}
spec:
  restApiRef: {name: shop}
  path: /items/{id}
  methods: [GET]
  authorization: {authorizerRef: {name: token}}
  integration: {type: MOCK, mock: {statusCode: 200, body: "item"}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: shop}
spec: {restApiRef: {name: shop}, stageName: live}
`, simple.URL, token.URL, backend.URL))
	g.programmed("default/shop")

	if r := g.do("GET", "/live/orders", nil, "Authorization", "Bearer good"); r.status != 200 || r.body != "user=alice" {
		t.Fatalf("allowed request: %d %q", r.status, r.body)
	}
	if r := g.do("GET", "/live/orders", nil, "Authorization", "Bearer good"); r.status != 200 || calls.Load() != 1 {
		t.Fatalf("second request: %d, %d authorizer calls, want a cache hit", r.status, calls.Load())
	}
	if r := g.do("GET", "/live/orders", nil, "Authorization", "Bearer bad"); r.status != 403 || r.header.Get("x-portico-error-type") != "ACCESS_DENIED" {
		t.Fatalf("denied request: %d %s", r.status, r.header.Get("x-portico-error-type"))
	}
	before := calls.Load()
	if r := g.do("GET", "/live/orders", nil); r.status != 401 || r.header.Get("x-portico-error-type") != "UNAUTHORIZED" || calls.Load() != before {
		t.Fatalf("no identity source: %d %s, calls %d -> %d (want no call)", r.status, r.header.Get("x-portico-error-type"), before, calls.Load())
	}

	if r := g.do("GET", "/live/items/7", nil, "X-Token", "allow-me"); r.status != 200 || r.body != "item" {
		t.Fatalf("TOKEN allowed: %d %q", r.status, r.body)
	}
	if r := g.do("GET", "/live/items/8", nil, "X-Token", "nope"); r.status != 401 {
		t.Fatalf("TOKEN Unauthorized: %d", r.status)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := "arn:aws:execute-api:eu-west-1:default:shop/live/GET/items/7"; len(arns) == 0 || arns[0] != want {
		t.Fatalf("methodArn = %v, want %s", arns, want)
	}
}
