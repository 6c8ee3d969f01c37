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

// What the proxy would refuse, failing the whole stage (a NACK: none of its routes update),
// is refused by the compiler on the one object instead: a TOKEN authorizer's
// identityValidationExpression RE2 does not compile, a MOCK header name that is not an HTTP
// token, and a gateway response header that is not one. The stage is programmed and serves
// the rest of the API.
func TestProxyRefusalsAreConditions(t *testing.T) {
	g := startGateway(t, seeded(1))
	g.deploy(`
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: pets}
spec:
  gatewayResponses:
    RESOURCE_NOT_FOUND: {statusCode: 404, headers: {"Not A Header": "x", X-Kept: "yes"}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Authorizer
metadata: {name: lookahead}
spec:
  type: TOKEN
  identityValidationExpression: "^Bearer (?!null$).+$"
  function: {uri: "http://127.0.0.1:1/"}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: guarded}
spec:
  restApiRef: {name: pets}
  path: /guarded
  methods: [GET]
  authorization: {authorizerRef: {name: lookahead}}
  integration: {type: MOCK, mock: {statusCode: 200, body: guarded}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: bad-header}
spec:
  restApiRef: {name: pets}
  path: /bad-header
  methods: [GET]
  integration: {type: MOCK, mock: {statusCode: 200, headers: {"x bad": "1"}, body: bad}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: pets}
spec:
  restApiRef: {name: pets}
  path: /pets
  methods: [GET]
  integration: {type: MOCK, mock: {statusCode: 200, headers: {x-mock: "1"}, body: pets}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: prod}
spec: {restApiRef: {name: pets}}
`)
	g.programmed("default/prod")
	if r := g.do("GET", "/prod/pets", http.NoBody); r.status != 200 || r.body != "pets" || r.header.Get("X-Mock") != "1" {
		t.Fatalf("the valid route: %d %q %v", r.status, r.body, r.header)
	}
	for _, path := range []string{"/prod/guarded", "/prod/bad-header"} {
		r := g.do("GET", path, http.NoBody)
		if r.status != 404 || r.header.Get("x-portico-error-type") != "RESOURCE_NOT_FOUND" || r.header.Get("X-Kept") != "yes" {
			t.Errorf("%s, refused: %d %q %v; want the API's RESOURCE_NOT_FOUND with its valid header", path, r.status, r.body, r.header)
		}
	}
}

// cors.allowMethods ANY allows every method: a browser's preflight for PUT, PATCH or DELETE
// is answered with that method allowed (echoed with credentials, "*" without), not with a
// method called "ANY".
func TestCORSAllowMethodsAny(t *testing.T) {
	g := startGateway(t, seeded(1))
	const origin = "https://app.example.com"
	g.deploy(`
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: creds}
spec:
  cors: {allowOrigins: ["https://app.example.com"], allowMethods: [ANY], allowCredentials: true}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: open}
spec:
  cors: {allowOrigins: ["*"], allowMethods: [ANY]}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: creds}
spec:
  restApiRef: {name: creds}
  path: /pets
  integration: {type: MOCK, mock: {statusCode: 200}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: open}
spec:
  restApiRef: {name: open}
  path: /pets
  integration: {type: MOCK, mock: {statusCode: 200}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: creds}
spec: {restApiRef: {name: creds}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: open}
spec: {restApiRef: {name: open}}
`)
	g.programmed("default/creds")
	g.programmed("default/open")
	for _, m := range []string{"PUT", "PATCH", "DELETE"} {
		for stage, want := range map[string]string{"creds": m, "open": "*"} {
			r := g.do("OPTIONS", "/"+stage+"/pets", http.NoBody, "Origin", origin, "Access-Control-Request-Method", m)
			if r.status != 204 || r.header.Get("Access-Control-Allow-Methods") != want || r.header.Get("Access-Control-Allow-Origin") == "" {
				t.Errorf("%s preflight for %s: %d, Access-Control-Allow-Methods %q, want %q (%v)", stage, m, r.status, r.header.Get("Access-Control-Allow-Methods"), want, r.header)
			}
		}
	}
}
