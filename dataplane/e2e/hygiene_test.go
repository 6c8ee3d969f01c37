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
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
)

// Path and header hygiene through the whole path, with requests written byte for byte on the
// wire: no value a client controls (a path parameter, a greedy path, a header or query value
// mapped into the path) moves a request elsewhere on the backend, and an identity source sent
// twice is refused before the authorizer or the backend sees it. The backend records every
// request it gets; none may reach its /admin.
func TestPathAndHeaderHygiene(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.RequestURI+" auth="+strings.Join(r.Header.Values("Authorization"), "|"))
		mu.Unlock()
		_, _ = io.WriteString(w, r.RequestURI)
	}))
	defer echo.Close()
	authz := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"isAuthorized": true})
	}))
	defer authz.Close()

	g := startGateway(t, seeded(1))
	out := g.deploy(fmt.Sprintf(api, "hi") +
		route("files", "/files/{proxy+}", `{type: HTTP_PROXY, uri: "http://${stageVariables.echo}/store/{proxy}"}`) +
		route("pet", "/pets/{id}", `{type: HTTP_PROXY, uri: "http://${stageVariables.echo}/pets/{id}"}`) +
		route("by-header", "/h/{id}", `{type: HTTP, uri: "http://${stageVariables.echo}/pets/{id}", requestParameters: {"path.id": "$request.header.x-pet"}}`) +
		route("by-query", "/q/{id}", `{type: HTTP, uri: "http://${stageVariables.echo}/pets/{id}", requestParameters: {"path.id": "$request.querystring.pet"}}`) +
		route("host-param", "/hosts/{id}", `{type: HTTP_PROXY, uri: "http://{id}/pets"}`) +
		`---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Authorizer
metadata: {name: fn}
spec:
  type: REQUEST
  identitySources: ["$request.header.Authorization"]
  function: {uri: "` + authz.URL + `", payloadFormatVersion: "2.0", enableSimpleResponses: true}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: private}
spec:
  restApiRef: {name: pets}
  path: /private
  authorization: {authorizerRef: {name: fn}}
  integration: {type: HTTP_PROXY, uri: "http://${stageVariables.echo}/private"}
` + stage("echo: "+hostPort(echo), ""))
	g.programmed("default/prod")

	// The compiler refused the route whose uri lets a client choose the host.
	for _, st := range out.Statuses {
		if st.Kind == "Route" && st.Name == "host-param" {
			if c := st.Conditions[0]; c.Type != apiv1.ConditionAccepted || c.Status != "False" || c.Reason != apiv1.ReasonInvalidTemplate {
				t.Errorf("host-param: %+v", c)
			}
		}
	}

	type want struct {
		status  int
		errType string
	}
	bad := want{400, "BAD_REQUEST_PARAMETERS"}
	for _, c := range []struct {
		target string
		header []string
		want   want
	}{
		{"/prod/files/a/b.txt", nil, want{200, ""}},
		{"/prod/files/a/..;/..;/admin", nil, bad},
		{"/prod/files/..;/admin", nil, bad},
		{"/prod/files/..%5C..%5Cadmin", nil, bad},
		{"/prod/files/..%5c..%5cadmin", nil, bad},
		{`/prod/files/..\..\admin`, nil, bad},
		{"/prod/files/a%2F..%2F..%2Fadmin", nil, want{404, "RESOURCE_NOT_FOUND"}}, // no route matches a dot segment
		{"/prod/files/x/%252e%252e/%252e%252e/admin", nil, bad},
		{"/prod/files/x/%252F..%252F..%252Fadmin", nil, bad},
		{"/prod/files/a%00/admin", nil, bad},
		{"/prod/pets/7", nil, want{200, ""}},
		{"/prod/pets/..;", nil, bad},
		{"/prod/pets/..%2Fadmin", nil, bad},
		{"/prod/pets/..%2fadmin", nil, bad},
		{"/prod/pets/%2e%2e", nil, want{404, "RESOURCE_NOT_FOUND"}},
		{"/prod/h/7", []string{"X-Pet", "8"}, want{200, ""}},
		{"/prod/h/7", []string{"X-Pet", ".."}, bad},
		{"/prod/h/7", []string{"X-Pet", "../../admin"}, bad},
		{"/prod/h/7", []string{"X-Pet", "..;"}, bad},
		{"/prod/h/7", []string{"X-Pet", `..\..\admin`}, bad},
		{"/prod/h/7", []string{"X-Pet", "%2e%2e"}, bad},
		{"/prod/q/7?pet=9", nil, want{200, ""}},
		{"/prod/q/7?pet=..", nil, bad},
		{"/prod/q/7?pet=..%2F..%2Fadmin", nil, bad},
		{"/prod/q/7?pet=%2e%2e", nil, bad},
		{"/prod/private", []string{"Authorization", "a"}, want{200, ""}},
		{"/prod/private", []string{"Authorization", "a", "Authorization", "b"}, bad},
		{"/prod/hosts/evil.example", nil, want{404, "RESOURCE_NOT_FOUND"}}, // refused by the compiler, not served
	} {
		status, errType := rawGet(t, g.url, c.target, c.header...)
		if status != c.want.status || errType != c.want.errType {
			t.Errorf("GET %s %v: %d %q, want %d %q", c.target, c.header, status, errType, c.want.status, c.want.errType)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, s := range seen {
		if strings.Contains(s, "admin") || strings.Contains(s, "..") || strings.Contains(s, "|") {
			t.Errorf("the backend saw %s", s)
		}
	}
	if len(seen) != 5 {
		t.Errorf("the backend saw %d requests, want the 5 valid ones: %v", len(seen), seen)
	}
}

// rawGet writes a GET request line as is (no client-side cleaning or escaping) with the header
// pairs, repeated names kept, and returns the status and gateway response type.
func rawGet(t *testing.T, base, target string, header ...string) (int, string) {
	t.Helper()
	host := strings.TrimPrefix(base, "http://")
	conn, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", target, host)
	for i := 0; i+1 < len(header); i += 2 {
		fmt.Fprintf(&b, "%s: %s\r\n", header[i], header[i+1])
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, res.Header.Get("X-Portico-Error-Type")
}
