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

package integration

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// A JWT authorizer's claims and scopes are where aws-lambda-go's types read them:
// authorizer.claims (1.0, as Cognito user pool authorizers) and authorizer.jwt (2.0).
func TestJWTClaimsInEvents(t *testing.T) {
	a := reqctx.Authorizer{
		Authorized: true, PrincipalID: "user-1", JWT: true, Scopes: []string{"pets/read"},
		Context: map[string]string{"claims.sub": "user-1", "claims.email": "a@example.com"},
	}
	b, _ := json.Marshal(map[string]any{"requestContext": map[string]any{"authorizer": AuthorizerV1(&a)}})
	var v1 events.APIGatewayProxyRequest
	if err := json.Unmarshal(b, &v1); err != nil {
		t.Fatal(err)
	}
	if _, ok := v1.RequestContext.Authorizer["integrationLatency"]; ok {
		t.Errorf("a JWT authorizer's 1.0 authorizer has integrationLatency: %s", b)
	}
	claims, _ := v1.RequestContext.Authorizer["claims"].(map[string]any)
	if claims["sub"] != "user-1" || claims["email"] != "a@example.com" {
		t.Errorf("1.0 authorizer %s", b)
	}

	b, _ = json.Marshal(map[string]any{"requestContext": map[string]any{"authorizer": authorizerV2Of(&a)}})
	var v2 events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &v2); err != nil {
		t.Fatal(err)
	}
	jwt := v2.RequestContext.Authorizer.JWT
	if jwt.Claims["sub"] != "user-1" || len(jwt.Scopes) != 1 || jwt.Scopes[0] != "pets/read" {
		t.Errorf("2.0 authorizer %s", b)
	}
}

// A function authorizer's decision time is authorizer.integrationLatency, in milliseconds.
func TestAuthorizerLatencyInEvents(t *testing.T) {
	a := reqctx.Authorizer{Authorized: true, PrincipalID: "user-1", Latency: 42*time.Millisecond + 900*time.Microsecond}
	b, _ := json.Marshal(AuthorizerV1(&a))
	if !strings.Contains(string(b), `"integrationLatency":42`) {
		t.Errorf("1.0 authorizer %s", b)
	}
}

func TestRouteKeyAsDeclared(t *testing.T) {
	for _, c := range []struct {
		method  string
		methods []string
		want    string
	}{
		{"GET", []string{"ANY"}, "ANY /pets/{proxy+}"},
		{"GET", []string{"GET", "POST"}, "GET /pets/{proxy+}"},
		{"HEAD", []string{"GET"}, "GET /pets/{proxy+}"},
	} {
		rc := &reqctx.Request{ResourcePath: "/pets/{proxy+}", RouteMethods: c.methods}
		if got := rc.RouteKey(httptest.NewRequest(c.method, "/x", nil)); got != c.want {
			t.Errorf("%s %v: %q, want %q", c.method, c.methods, got, c.want)
		}
	}
}

// The 1.0 event's path comes from the routing, not from trimming the stage's name off the
// request path: on the default endpoint it is the path under the stage; through a domain name
// (no stage in the path) it is the request's path, base path included, as AWS sends it.
// requestContext.path is the request's path either way. Both keep the client's escapes, as
// REST APIs send them.
func TestEventV1Path(t *testing.T) {
	for _, c := range []struct {
		name                  string
		path, stagePath       string
		stage                 string
		domain                bool
		wantPath, wantCtxPath string
	}{
		{"default endpoint", "/prod/products/1", "/products/1", "prod", false, "/products/1", "/prod/products/1"},
		{"default endpoint, stage root", "/prod", "", "prod", false, "/", "/prod"},
		{"default endpoint, escaped", "/prod/a%20b/c%2Fd", "/a%20b/c%2Fd", "prod", false, "/a%20b/c%2Fd", "/prod/a%20b/c%2Fd"},
		{"domain, stage name a prefix of the path", "/products/1", "/products/1", "prod", true, "/products/1", "/products/1"},
		{"domain, base path named as the stage", "/orders/v1/items", "/items", "orders", true, "/orders/v1/items", "/orders/v1/items"},
		{"domain, root", "/", "/", "prod", true, "/", "/"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "https://api.example.com"+c.path, nil)
			rc := &reqctx.Request{ID: "rid", Host: "api.example.com", Path: c.path, StagePath: c.stagePath, Stage: c.stage, Domain: c.domain, API: "ns/pets"}
			b, err := (&lambda{version: "1.0"}).event(r, rc, nil)
			if err != nil {
				t.Fatal(err)
			}
			var ev events.APIGatewayProxyRequest
			if err := json.Unmarshal(b, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Path != c.wantPath || ev.RequestContext.Path != c.wantCtxPath {
				t.Errorf("path %q requestContext.path %q, want %q and %q", ev.Path, ev.RequestContext.Path, c.wantPath, c.wantCtxPath)
			}
		})
	}
}
