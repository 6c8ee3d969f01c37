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

package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testInvokeFiles(t *testing.T, backend string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "api.yaml"), fmt.Sprintf(`apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: pets}
spec: {}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: get-pet}
spec:
  restApiRef: {name: pets}
  path: /pets/{petId}
  methods: [GET, POST]
  authorization: {apiKeyRequired: true}
  integration: {type: HTTP_PROXY, uri: "%s/v1/pets/{petId}"}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: fn}
spec:
  restApiRef: {name: pets}
  path: /fn
  methods: [GET]
  integration: {type: LAMBDA_PROXY, uri: "%s/fn"}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: prod}
spec:
  restApiRef: {name: pets}
  methodSettings:
    "*/*": {logging: {level: "OFF"}}
`, backend, backend))
	return dir
}

func TestTestInvoke(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/fn" { // a function's answer to its event
			_, _ = fmt.Fprint(w, `{"statusCode": 200, "body": "from the function"}`)
			return
		}
		w.Header().Set("X-Backend", "yes")
		_, _ = fmt.Fprintf(w, "backend saw %s %s %s", r.Method, r.URL.Path, b)
	}))
	defer backend.Close()
	dir := testInvokeFiles(t, backend.URL)

	// The API key runs as for a real request: none given, 403, and still exit 0.
	out, err := run(t, "test-invoke", "-f", dir, "--api", "pets", "--stage", "prod", "--path", "/pets/7")
	if err != nil {
		t.Fatalf("test-invoke: %v\n%s", err, out)
	}
	if !strings.HasPrefix(out, "Status: 403\n") || !strings.Contains(out, `"step":"api key"`) {
		t.Errorf("without a key:\n%s", out)
	}

	out, err = run(t, "test-invoke", "-f", dir, "--api", "pets", "--stage", "prod", "-X", "POST", "--path", "/pets/7?x=1",
		"-H", "X-Api-Key: s3cr3t", "-d", `{"name":"Rex"}`, "--skip-authorization")
	if err != nil {
		t.Fatalf("test-invoke: %v\n%s", err, out)
	}
	for _, want := range []string{
		"Status: 200\n", "Latency: ", "  X-Backend: yes\n", "Body:\nbackend saw POST /v1/pets/7 {\"name\":\"Rex\"}\n",
		"Execution log:\n", `"step":"method request"`, `"step":"endpoint request"`, `"step":"endpoint response"`, `"step":"method completed"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "s3cr3t") {
		t.Errorf("the API key reached the output:\n%s", out)
	}
	// A function's route without -d: the event is sent with no body (the request had none).
	out, err = run(t, "test-invoke", "-f", dir, "--api", "pets", "--stage", "prod", "--path", "/fn")
	if err != nil || !strings.HasPrefix(out, "Status: 200\n") {
		t.Errorf("a LAMBDA_PROXY route without a body: %v\n%s", err, out)
	}
}

func TestTestInvokeCannotRun(t *testing.T) {
	dir := testInvokeFiles(t, "http://127.0.0.1:1")
	for _, tc := range []struct {
		args []string
		want string // in the error
	}{
		{[]string{"-f", dir, "--api", "pets", "--stage", "nope"}, `no stage "nope"`},
		{[]string{"-f", dir, "--api", "cats", "--stage", "prod"}, "no RestApi cats in namespace default (it has pets)"},
		{[]string{"-f", dir, "--api", "pets", "--stage", "prod", "--revision", "2"}, "keeps no revisions to test"},
		{[]string{"-f", filepath.Join(dir, "missing.yaml"), "--api", "pets", "--stage", "prod"}, "missing.yaml"},
	} {
		out, err := run(t, append([]string{"test-invoke"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error saying %q:\n%s", tc.args, err, tc.want, out)
		}
	}
}

// A stage that cannot run says why, whether --stage names its object or its stageName (from
// files, a --revision: files keep none but the one they make).
func TestTestInvokeSaysWhyByEitherName(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "api.yaml"), `apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: pets}
spec: {}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: get}
spec: {restApiRef: {name: pets}, path: /pets, methods: [GET], integration: {type: MOCK, mock: {statusCode: 200}}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: pets-v1}
spec: {restApiRef: {name: pets}, stageName: v1}
`)
	for _, stage := range []string{"pets-v1", "v1"} {
		out, err := run(t, "test-invoke", "-f", dir, "--api", "pets", "--stage", stage, "--path", "/pets", "--revision", "99")
		if err == nil || !strings.Contains(err.Error()+out, "RestApi default/pets keeps no revisions to test") {
			t.Errorf("--stage %s: %v\n%s", stage, err, out)
		}
	}
}

// Request validation has its execution log line, passed or failed.
func TestTestInvokeValidationLine(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "created") }))
	defer backend.Close()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "api.yaml"), fmt.Sprintf(`apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: pets}
spec:
  models:
    Pet:
      contentType: application/json
      schema: {type: object, required: [name], properties: {name: {type: string}}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: create-pet}
spec:
  restApiRef: {name: pets}
  path: /pets
  methods: [POST]
  requestValidation: {body: Pet}
  integration: {type: HTTP_PROXY, uri: "%s/pets"}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: prod}
spec:
  restApiRef: {name: pets}
`, backend.URL))
	args := []string{"test-invoke", "-f", dir, "--api", "pets", "--stage", "prod", "-X", "POST", "--path", "/pets", "-H", "Content-Type: application/json"}
	out, err := run(t, append(args, "-d", `{"name":"Rex"}`)...)
	if err != nil || !strings.Contains(out, `"step":"validation","message":"Request validation succeeded"`) || !strings.Contains(out, `"body":"created"`) {
		t.Errorf("valid body (%v):\n%s", err, out)
	}
	// Each step's line at or after the one before: the validation line is not stamped
	// with the request's end, after the endpoint's lines.
	var last time.Time
	for _, l := range strings.Split(out, "\n") {
		var line struct {
			Time time.Time `json:"time"`
			Step string    `json:"step"`
		}
		if json.Unmarshal([]byte(l), &line) != nil || line.Step == "" {
			continue
		}
		if line.Time.Before(last) {
			t.Errorf("%s at %s, before the line above (%s):\n%s", line.Step, line.Time, last, out)
		}
		last = line.Time
	}
	out, err = run(t, append(args, "-d", `{"tag":"x"}`)...)
	if err != nil || !strings.HasPrefix(out, "Status: 400\n") || !strings.Contains(out, `"level":"ERROR","requestId"`) || !strings.Contains(out, `"message":"Request validation failed: `) {
		t.Errorf("invalid body (%v):\n%s", err, out)
	}
}

// An API served only through its custom domains (disableDefaultEndpoint) is tested all the
// same: AWS's TestInvokeMethod does not go through an endpoint either.
func TestTestInvokeDisabledDefaultEndpoint(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "pets") }))
	defer backend.Close()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "api.yaml"), fmt.Sprintf(`apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: pets}
spec: {disableDefaultEndpoint: true}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: list-pets}
spec:
  restApiRef: {name: pets}
  path: /pets
  methods: [GET]
  integration: {type: HTTP_PROXY, uri: "%s/pets"}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: prod}
spec:
  restApiRef: {name: pets}
`, backend.URL))
	out, err := run(t, "test-invoke", "-f", dir, "--api", "pets", "--stage", "prod", "--path", "/pets")
	if err != nil || !strings.HasPrefix(out, "Status: 200\n") || !strings.Contains(out, "Body:\npets\n") {
		t.Errorf("test-invoke (%v):\n%s", err, out)
	}
}
