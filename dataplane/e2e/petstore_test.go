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
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// The pet store sample as shipped (config/samples), with its JWT issuer and backends
// pointed at test servers: create-pet's requestValidation is enforced (an invalid body and a
// missing parameter never reach the backend), and the templated pet-summary route maps the
// backend's answers.
func TestPetStoreSample(t *testing.T) {
	idp := newIssuer(t)
	token := idp.sign(map[string]any{
		"iss": "https://idp.example.com/", "aud": "pets", "sub": "alice", "scope": "pets:write",
		"exp": time.Now().Add(time.Hour).Unix(),
	})

	var created []string
	pets := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch {
		case r.Method == http.MethodPost:
			created = append(created, r.Header.Get("x-user")+" "+string(body))
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write(body)
		case r.URL.Path == "/pets/7":
			// The templated route: only what is mapped reaches the backend.
			if r.URL.RawQuery != "" || r.Header.Get("X-Client") != "" || r.Header.Get("X-Request-Id") == "" {
				http.Error(w, "leaked: "+r.URL.RawQuery+r.Header.Get("X-Client"), http.StatusTeapot)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"id": 7, "name": "Rex \"the dog\"", "tag": "dog"}`)
		case r.URL.Path == "/pets/8":
			w.WriteHeader(http.StatusNotFound)
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer pets.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(pets.URL, "http://"))

	read := func(name string) string {
		b, err := os.ReadFile("../../config/samples/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	authorizers := strings.Replace(read("02-authorizers.yaml"), "https://idp.example.com/.well-known/jwks.json", idp.url, 1)
	g := startGateway(t, seeded(1))
	g.deploy(read("01-restapi.yaml") + "\n---\n" + authorizers + "\n---\n" + read("03-routes.yaml") + fmt.Sprintf(`
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: prod}
spec:
  restApiRef: {name: pets}
  variables: {backend: "127.0.0.1:%s"}
---
apiVersion: v1
kind: Service
metadata: {name: pets-svc}
spec: {ports: [{name: http, port: 8080}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: pets-1, labels: {kubernetes.io/service-name: pets-svc}}
addressType: IPv4
ports: [{name: http, port: %s}]
endpoints: [{addresses: ["127.0.0.1"]}]
`, port, port))
	g.programmed("default/prod")
	eventually(t, "the endpoints reached the proxy", func() bool {
		cla := g.client.Current()
		return cla != nil && len(cla.Endpoints["default/pets-svc:8080"].GetEndpoints()) > 0
	})

	auth := "Bearer " + token
	for _, tc := range []struct {
		name, body string
		header     []string
		status     int
		errType    string
		message    string
	}{
		{"valid", `{"name": "Rex", "tag": "dog"}`, []string{"Authorization", auth, "Content-Type", "application/json"}, 201, "", ""},
		{"missing name", `{"tag": "dog"}`, []string{"Authorization", auth, "Content-Type", "application/json"}, 400, "BAD_REQUEST_BODY", "Invalid request body"},
		{"empty name", `{"name": ""}`, []string{"Authorization", auth, "Content-Type", "application/json"}, 400, "BAD_REQUEST_BODY", "Invalid request body"},
		{"not JSON", `{"name": "Rex"`, []string{"Authorization", auth, "Content-Type", "application/json"}, 400, "BAD_REQUEST_BODY", "Invalid request body"},
		{"no content type", `{"name": "Rex"}`, []string{"Authorization", auth}, 400, "BAD_REQUEST_PARAMETERS", "Missing required request parameters: [content-type]"},
		{"not authorized first", `{"tag": "dog"}`, []string{"Content-Type", "application/json"}, 401, "UNAUTHORIZED", "Unauthorized"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := g.do("POST", "/prod/pets", strings.NewReader(tc.body), tc.header...)
			if r.status != tc.status || r.header.Get("X-Portico-Error-Type") != tc.errType {
				t.Fatalf("got %d %s %q", r.status, r.header.Get("X-Portico-Error-Type"), r.body)
			}
			if tc.message != "" && r.body != fmt.Sprintf(`{"message":%q}`, tc.message) {
				t.Errorf("body %s", r.body)
			}
		})
	}
	if len(created) != 1 || created[0] != `alice {"name": "Rex", "tag": "dog"}` {
		t.Errorf("the backend saw %q; only the valid request should reach it", created)
	}

	r := g.do("GET", "/prod/pets/7/summary?secret=1", nil, "X-Client", "leak")
	if r.status != 200 || r.body != `{"id": "7", "name": "Rex \"the dog\"", "summary": "Rex \"the dog\" (dog)"}`+"\n" {
		t.Errorf("summary: %d %q", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("summary content type %q", ct)
	}
	r = g.do("GET", "/prod/pets/8/summary", nil)
	if r.status != 404 || r.body != `{"message": "No pet 8"}` {
		t.Errorf("a 404 from the backend: %d %q", r.status, r.body)
	}
	r = g.do("GET", "/prod/pets/9/summary", nil)
	if r.status != 502 || r.header.Get("Cache-Control") != "no-store" || r.body != `{"message": "The pet store is unavailable"}` {
		t.Errorf("a 503 from the backend: %d %v %q", r.status, r.header, r.body)
	}
}
