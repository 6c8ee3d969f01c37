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
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Compression through the whole path: a gzip request body is decompressed for validation
// and the request template; responses of at least minimumCompressionSize are compressed by
// Accept-Encoding; a gateway response template says what validation found.
func TestCompressionAndTemplates(t *testing.T) {
	big := strings.Repeat("a pet, ", 400)
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"got": %q, "pad": %q}`, b, big)
	}))
	defer be.Close()
	g := startGateway(t, seeded(1))
	g.deploy(fmt.Sprintf(`
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: pets}
spec:
  minimumCompressionSize: 1024
  models:
    Pet: {schema: {type: object, required: [name]}}
  gatewayResponses:
    BAD_REQUEST_BODY:
      templates:
        application/json: '{"error": $context.error.messageString, "details": "$util.escapeJavaScript($context.error.validationErrorString)"}'
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: create}
spec:
  restApiRef: {name: pets}
  path: /pets
  methods: [POST]
  requestValidation: {body: Pet}
  integration:
    type: HTTP
    uri: %s/pets
    requestTemplates:
      application/json: '{"name": $input.json(''$.name'')}'
`, be.URL) + stage("", ""))
	g.programmed("default/prod")

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = io.WriteString(zw, `{"name": "Rex", "tag": "dog"}`)
	_ = zw.Close()
	req, _ := http.NewRequest("POST", g.url+"/prod/pets", bytes.NewReader(gz.Bytes()))
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "gzip" || res.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("got %d %v", res.StatusCode, res.Header)
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(zr)
	if !strings.HasPrefix(string(body), `{"got": "{\"name\": \"Rex\"}"`) {
		t.Errorf("body %.80s", body)
	}

	r := g.do("POST", "/prod/pets", strings.NewReader(`{"tag": "dog"}`), "Content-Type", "application/json")
	if r.status != 400 || r.body != `{"error": "Invalid request body", "details": "[at \'\': missing property \'name\']"}` {
		t.Errorf("gateway response template: %d %s", r.status, r.body)
	}
}
