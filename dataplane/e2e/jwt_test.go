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
	"testing"
	"time"
)

// A JWT authorizer through the whole path: keys from a JWKS server, scopes on the route,
// claims to the integration.
func TestJWTAuthorizer(t *testing.T) {
	idp := newIssuer(t)
	sign := idp.sign
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "sub=%s", r.Header.Get("x-sub"))
	}))
	defer backend.Close()

	g := startGateway(t, seeded(1))
	g.deploy(fmt.Sprintf(`
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: pets}
spec: {}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Authorizer
metadata: {name: jwt}
spec:
  type: JWT
  jwt: {issuer: "https://idp.test/", audiences: [pets], jwksUri: "%s"}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: write}
spec:
  restApiRef: {name: pets}
  path: /pets
  methods: [POST]
  authorization: {authorizerRef: {name: jwt}, scopes: ["pets:write"]}
  integration: {type: HTTP, uri: "%s/pets", requestParameters: {"header.x-sub": "$context.authorizer.principalId"}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: prod}
spec: {restApiRef: {name: pets}}
`, idp.url, backend.URL))
	g.programmed("default/prod")

	exp := time.Now().Add(time.Hour).Unix()
	good := sign(map[string]any{"iss": "https://idp.test/", "aud": "pets", "sub": "alice", "scope": "pets:read pets:write", "exp": exp})
	cases := []struct {
		name, auth string
		status     int
		errType    string
	}{
		{"valid token with the scope", "Bearer " + good, 200, ""},
		{"without the Bearer prefix", good, 200, ""},
		{"missing scope", "Bearer " + sign(map[string]any{"iss": "https://idp.test/", "aud": "pets", "sub": "bob", "scope": "pets:read", "exp": exp}), 403, "ACCESS_DENIED"},
		{"wrong audience", "Bearer " + sign(map[string]any{"iss": "https://idp.test/", "aud": "other", "sub": "eve", "scope": "pets:write", "exp": exp}), 401, "UNAUTHORIZED"},
		{"expired", "Bearer " + sign(map[string]any{"iss": "https://idp.test/", "aud": "pets", "sub": "old", "scope": "pets:write", "exp": time.Now().Add(-time.Hour).Unix()}), 401, "EXPIRED_TOKEN"},
		{"no token", "", 401, "UNAUTHORIZED"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var header []string
			if tc.auth != "" {
				header = []string{"Authorization", tc.auth}
			}
			r := g.do("POST", "/prod/pets", http.NoBody, header...)
			if r.status != tc.status || r.header.Get("x-portico-error-type") != tc.errType {
				t.Fatalf("%d %s %q; want %d %s", r.status, r.header.Get("x-portico-error-type"), r.body, tc.status, tc.errType)
			}
			if tc.status == 200 && r.body != "sub=alice" {
				t.Fatalf("the principal did not reach the backend: %q", r.body)
			}
		})
	}
}
