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
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico-dev/portico/controllers/ir"
)

const api = `
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: pets}
spec:
  gatewayResponses:
    DEFAULT_4XX: {headers: {x-gateway: portico}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: hello}
spec:
  restApiRef: {name: pets}
  path: /hello
  methods: [GET]
  integration: {type: MOCK, mock: {statusCode: 200, body: '%s'}}
`

func stage(vars, extra string) string {
	return fmt.Sprintf(`---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: prod}
spec:
  restApiRef: {name: pets}
  variables: {%s}
%s`, vars, extra)
}

func route(name, path, integration string) string {
	return fmt.Sprintf(`---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: %s}
spec:
  restApiRef: {name: pets}
  path: %s
  integration: %s
`, name, path, integration)
}

// The canary serves its share of requests, chosen per request, within 3 percentage points
// over 10,000 requests with a seeded source; it uses its own stage variables.
func TestCanarySplit(t *testing.T) {
	stable, canary := backend(t, "stable"), backend(t, "canary")
	g := startGateway(t, seeded(42))
	g.deploy(fmt.Sprintf(api, "hi") +
		route("who", "/who", `{type: HTTP_PROXY, uri: "http://${stageVariables.backend}/who"}`) +
		stage("backend: "+hostPort(stable), fmt.Sprintf("  canary: {percentTraffic: 10, variables: {backend: %s}}\n", hostPort(canary))))
	g.programmed("default/prod")

	const n = 10000
	counts := map[string]int{}
	for i := 0; i < n; i++ {
		r := g.do("GET", "/prod/who", nil)
		if r.status != 200 {
			t.Fatalf("request %d: %d %s", i, r.status, r.body)
		}
		counts[r.header.Get("x-backend")]++
	}
	share := float64(counts["canary"]) / n * 100
	if share < 7 || share > 13 || counts["stable"]+counts["canary"] != n {
		t.Fatalf("canary served %.2f%% (%v), want 10%% within 3 points", share, counts)
	}
	t.Logf("canary share over %d requests: %.2f%%", n, share)
}

// Endpoints travel over EDS: a backendRef balances round robin over the Service's endpoints.
func TestBackendRefRoundRobin(t *testing.T) {
	var slices strings.Builder
	for i, name := range []string{"a", "b", "c"} {
		b := backend(t, name)
		_, port, _ := net.SplitHostPort(hostPort(b))
		fmt.Fprintf(&slices, `---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: pets-%d, labels: {kubernetes.io/service-name: pets-svc}}
addressType: IPv4
ports: [{name: http, port: %s}]
endpoints: [{addresses: ["127.0.0.1"]}]
`, i, port)
	}
	g := startGateway(t, seeded(1))
	g.deploy(fmt.Sprintf(api, "hi") + route("pets", "/pets/{proxy+}", `{type: HTTP_PROXY, backendRef: {name: pets-svc, port: 80}}`) + stage("", "") + `---
apiVersion: v1
kind: Service
metadata: {name: pets-svc}
spec: {ports: [{name: http, port: 80}]}
` + slices.String())
	g.programmed("default/prod")
	eventually(t, "all three endpoints reached the proxy", func() bool {
		cla := g.client.Current()
		return cla != nil && len(cla.Endpoints["default/pets-svc:80"].GetEndpoints()) > 0 &&
			len(cla.Endpoints["default/pets-svc:80"].GetEndpoints()[0].GetLbEndpoints()) == 3
	})
	counts := map[string]int{}
	for i := 0; i < 30; i++ {
		r := g.do("GET", "/prod/pets/7?x=1", nil)
		if r.status != 200 || !strings.HasSuffix(r.body, "GET /pets/7?x=1") {
			t.Fatalf("request %d: %d %q", i, r.status, r.body)
		}
		counts[r.header.Get("x-backend")]++
	}
	if counts["a"] != 10 || counts["b"] != 10 || counts["c"] != 10 {
		t.Fatalf("round robin over 3 endpoints: %v", counts)
	}
}

// A snapshot the proxy rejects is NACKed, the Stage's Programmed status says why, and the
// previous configuration keeps serving until a good one arrives.
func TestNackKeepsTheLastGoodConfig(t *testing.T) {
	g := startGateway(t, seeded(1))
	out := g.deploy(fmt.Sprintf(api, "v1") + stage("", ""))
	g.programmed("default/prod")
	if r := g.do("GET", "/prod/hello", nil); r.body != "v1" {
		t.Fatalf("v1 not served: %d %q", r.status, r.body)
	}

	// What the compiler would never produce: an integration type the proxy does not know.
	bad := out.Stages[0]
	broken := *bad.API
	broken.Routes = append([]ir.Route(nil), broken.Routes...)
	broken.Routes[0].Integration.Type = "SOAP"
	bad.API, bad.Generation = &broken, 2
	g.publish([]ir.Stage{bad}, out.Endpoints)
	eventually(t, "the NACK reached the control plane", func() bool {
		return strings.Contains(g.server.Programmed("default/prod").Error, "SOAP")
	})
	if r := g.do("GET", "/prod/hello", nil); r.status != 200 || r.body != "v1" {
		t.Fatalf("after the NACK: %d %q, want v1 still", r.status, r.body)
	}

	g.deploy(fmt.Sprintf(api, "v2") + stage("", ""))
	g.programmed("default/prod")
	if r := g.do("GET", "/prod/hello", nil); r.body != "v2" {
		t.Fatalf("v2 not served: %d %q", r.status, r.body)
	}
}

// The proxy keeps serving while the control plane is away, reconnects when it is back, and
// applies what changed meanwhile.
func TestReconnectAfterControlPlaneRestart(t *testing.T) {
	g := startGateway(t, seeded(1))
	g.deploy(fmt.Sprintf(api, "before") + stage("", ""))
	g.programmed("default/prod")

	g.stopXDS()
	if r := g.do("GET", "/prod/hello", nil); r.status != 200 || r.body != "before" {
		t.Fatalf("with the control plane down: %d %q", r.status, r.body)
	}
	if !g.client.Ready() {
		t.Fatal("the proxy is no longer ready while the control plane is away")
	}

	lis, err := net.Listen("tcp", g.xdsAddr)
	if err != nil {
		t.Fatalf("listening again on %s: %v", g.xdsAddr, err)
	}
	g.startXDS(lis)
	g.deploy(fmt.Sprintf(api, "after") + stage("", ""))
	eventually(t, "the new configuration is served", func() bool { return g.do("GET", "/prod/hello", nil).body == "after" })
	g.programmed("default/prod")
}

// Client-facing rules through the whole path: templates, timeouts, size limits, unreachable
// backends, forwarded headers, gateway responses and their overrides, request ids.
func TestClientFacingRules(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s|%s|%s", r.URL.RequestURI(), r.Header.Get("X-Forwarded-For"), r.Header.Get("X-Forwarded-Proto"))
	}))
	defer echo.Close()
	block := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer block.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	deadAddr := hostPort(dead)
	dead.Close()

	g := startGateway(t, seeded(1))
	g.deploy(fmt.Sprintf(api, "hi") +
		route("files", "/files/{proxy+}", `{type: HTTP_PROXY, uri: "http://${stageVariables.echo}/store/{proxy}"}`) +
		route("slow", "/slow", fmt.Sprintf(`{type: HTTP_PROXY, uri: "%s/", timeoutMillis: 100}`, block.URL)) +
		route("gone", "/gone", fmt.Sprintf(`{type: HTTP_PROXY, uri: "http://%s/"}`, deadAddr)) +
		route("upload", "/upload", `{type: HTTP_PROXY, uri: "http://${stageVariables.echo}/upload"}`) +
		stage("echo: "+hostPort(echo), ""))
	g.programmed("default/prod")

	cases := []struct {
		name, method, path string
		body               string
		status             int
		errType, contains  string
	}{
		{"mock", "GET", "/prod/hello", "", 200, "", "hi"},
		{"greedy template and query", "GET", "/prod/files/a/b.txt?v=2", "", 200, "", "/store/a/b.txt?v=2|127.0.0.1|http"},
		{"timeout", "GET", "/prod/slow", "", 504, "INTEGRATION_TIMEOUT", `{"message":"Endpoint request timed out"}`},
		{"unreachable backend", "GET", "/prod/gone", "", 502, "INTEGRATION_FAILURE", `{"message":"Internal server error"}`},
		{"unknown path", "GET", "/prod/nope", "", 404, "RESOURCE_NOT_FOUND", `{"message":"Not Found"}`},
		{"unknown stage", "GET", "/beta/hello", "", 404, "RESOURCE_NOT_FOUND", `{"message":"Not Found"}`},
		{"method not on the path", "DELETE", "/prod/hello", "", 403, "MISSING_AUTHENTICATION_TOKEN", `{"message":"Missing Authentication Token"}`},
		{"body over 10 MB", "POST", "/prod/upload", strings.Repeat("x", 10*1024*1024+1), 413, "REQUEST_TOO_LARGE", "Request Too Long"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := g.do(tc.method, tc.path, strings.NewReader(tc.body))
			if r.status != tc.status || !strings.Contains(r.body, tc.contains) || r.header.Get("x-portico-error-type") != tc.errType {
				t.Fatalf("%s %s = %d %q type %q; want %d %q type %q", tc.method, tc.path, r.status, r.body, r.header.Get("x-portico-error-type"), tc.status, tc.contains, tc.errType)
			}
			if r.header.Get("x-request-id") == "" {
				t.Error("no x-request-id")
			}
			// Overrides belong to an API: an unknown stage has none to apply.
			if tc.status >= 400 && tc.status < 500 && tc.name != "unknown stage" && r.header.Get("x-gateway") != "portico" {
				t.Errorf("the DEFAULT_4XX override's header is missing: %v", r.header)
			}
		})
	}
}
