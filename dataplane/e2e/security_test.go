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
	"net/http"
	"testing"
)

const securedAPI = `
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: shop}
spec:
  cors: {allowOrigins: ["https://app.example.com"], allowMethods: [GET], allowHeaders: [x-api-key], allowCredentials: true, maxAgeSeconds: 600}
  policy: {sourceIPs: {deny: ["10.0.0.0/8"]}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: orders}
spec:
  restApiRef: {name: shop}
  path: /orders
  methods: [GET]
  authorization: {type: NONE, apiKeyRequired: true}
  integration: {type: MOCK, mock: {statusCode: 200, body: "orders"}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: shop}
spec: {restApiRef: {name: shop}, stageName: shop}
---
apiVersion: v1
kind: Secret
type: apigateway.portico.dev/api-key
metadata: {name: alice}
stringData: {key: "alice-key-0123456789012345678901234"}
---
apiVersion: v1
kind: Secret
type: apigateway.portico.dev/api-key
metadata: {name: mallory}
stringData: {key: "mallory-key-012345678901234567890123"}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: UsagePlan
metadata: {name: basic}
spec:
  apiStages: [{restApiRef: {name: shop}, stage: shop}]
  apiKeys: [{name: alice}]
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: internal}
spec:
  policy: {sourceIPs: {allow: ["10.0.0.0/8"]}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: status}
spec:
  restApiRef: {name: internal}
  path: /status
  integration: {type: MOCK, mock: {statusCode: 200}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: internal}
spec: {restApiRef: {name: internal}, stageName: internal}
`

// API keys, the resource policy and CORS, as clients meet them through the whole path.
func TestKeysPolicyAndCORS(t *testing.T) {
	g := startGateway(t, seeded(1))
	g.deploy(securedAPI)
	g.programmed("default/shop")
	g.programmed("default/internal")
	origin := "https://app.example.com"

	cases := []struct {
		name, method, path string
		header             []string
		status             int
		errType, body      string
		cors               bool // Access-Control-Allow-Origin echoes the origin
	}{
		{"valid key", "GET", "/shop/orders", []string{"x-api-key", "alice-key-0123456789012345678901234", "Origin", origin}, 200, "", "orders", true},
		{"no key", "GET", "/shop/orders", []string{"Origin", origin}, 403, "INVALID_API_KEY", `{"message":"Forbidden"}`, true},
		{"unknown key", "GET", "/shop/orders", []string{"x-api-key", "nobody-key-0123456789012345678901234"}, 403, "INVALID_API_KEY", "", false},
		{"key in no plan of the stage", "GET", "/shop/orders", []string{"x-api-key", "mallory-key-012345678901234567890123"}, 403, "INVALID_API_KEY", "", false},
		// A browser's preflight: no key, and the route has no OPTIONS method.
		{"preflight", "OPTIONS", "/shop/orders", []string{"Origin", origin, "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "x-api-key"}, 204, "", "", true},
		// Answers without a route carry the headers too, for the page to read them.
		{"unknown path", "GET", "/shop/nothing", []string{"Origin", origin}, 404, "RESOURCE_NOT_FOUND", `{"message":"Not Found"}`, true},
		{"method no route has", "DELETE", "/shop/orders", []string{"Origin", origin}, 403, "MISSING_AUTHENTICATION_TOKEN", "", true},
		{"OPTIONS that is no preflight", "OPTIONS", "/shop/orders", []string{"Origin", origin}, 403, "MISSING_AUTHENTICATION_TOKEN", "", true},
		{"unknown path, another origin", "GET", "/shop/nothing", []string{"Origin", "https://evil.example"}, 404, "RESOURCE_NOT_FOUND", "", false},
		{"preflight from another origin", "OPTIONS", "/shop/orders", []string{"Origin", "https://evil.example", "Access-Control-Request-Method", "GET"}, 204, "", "", false},
		// 127.0.0.1 is not in the internal API's allow list: nothing answers, not even 404s.
		{"address not allowed", "GET", "/internal/status", nil, 403, "ACCESS_DENIED", `{"message":"User is not authorized to access this resource"}`, false},
		{"address not allowed, unknown path", "GET", "/internal/nothing", nil, 403, "ACCESS_DENIED", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := g.do(tc.method, tc.path, http.NoBody, tc.header...)
			if r.status != tc.status || r.header.Get("x-portico-error-type") != tc.errType || (tc.body != "" && r.body != tc.body) {
				t.Fatalf("%s %s = %d %q type %q; want %d %q type %q", tc.method, tc.path, r.status, r.body, r.header.Get("x-portico-error-type"), tc.status, tc.body, tc.errType)
			}
			if got := r.header.Get("Access-Control-Allow-Origin") == origin; got != tc.cors {
				t.Errorf("Access-Control-Allow-Origin = %q, want the origin echoed: %v", r.header.Get("Access-Control-Allow-Origin"), tc.cors)
			}
			if tc.cors && r.header.Get("Access-Control-Allow-Credentials") != "true" {
				t.Errorf("credentials not allowed: %v", r.header)
			}
		})
	}
}
