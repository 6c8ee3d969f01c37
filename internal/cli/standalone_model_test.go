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
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// requestModelManifests exercise the request and response model's rules: a model referring
// to another ($ref as AWS writes it), a MOCK run as AWS runs one (the request template decides
// the status, integration responses map it), and an HTTP integration whose response header
// comes from the backend's JSON body (integration.response.body.<JSONPath>).
func requestModelManifests(backend string) string {
	return fmt.Sprintf(`apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: shop}
spec:
  models:
    Pet: {schema: {type: object, required: [name], properties: {name: {type: string, minLength: 1}}}}
    Order: {schema: {type: object, required: [pet], properties: {pet: {$ref: "https://apigateway.amazonaws.com/restapis/shop/models/Pet"}, qty: {type: integer, minimum: 1}}}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: shop-prod}
spec: {restApiRef: {name: shop}, stageName: prod}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: orders}
spec:
  restApiRef: {name: shop}
  path: /orders/{id}
  methods: [POST]
  authorization: {type: NONE}
  requestValidation: {body: Order}
  integration:
    type: MOCK
    requestTemplates: {application/json: '#if($input.params(''id'') == "0"){"statusCode": 404}#else{"statusCode": 200}#end'}
    responses:
      - {selectionPattern: "404", statusCode: 404, responseTemplates: {application/json: '{"message": "no order $input.params(''id'')"}'}}
      - {statusCode: 201, responseParameters: {header.x-order: "'accepted'"}, responseTemplates: {application/json: '{"id": "$input.params(''id'')", "stage": "$context.stage"}'}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: stock}
spec:
  restApiRef: {name: shop}
  path: /stock
  methods: [GET]
  authorization: {type: NONE}
  integration:
    type: HTTP
    uri: %s/stock
    responses:
      - statusCode: 200
        responseParameters: {header.x-sku: "integration.response.body.items[0].sku", header.x-count: "integration.response.body.count"}
`, backend)
}

// stockBackend answers the stock route's backend.
func stockBackend(t *testing.T) string {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"count": 2, "items": [{"sku": "a-1"}, {"sku": "b-2"}]}`)
	}))
	t.Cleanup(s.Close)
	return s.URL
}

func post(t *testing.T, url, body string) response {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return response{status: -1, body: err.Error()}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// TestStandaloneRequestModel runs the request model's rules through `portico standalone`.
func TestStandaloneRequestModel(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "shop.yaml"), requestModelManifests(stockBackend(t)))
	httpLis, adminLis := listenLoopback(t), listenLoopback(t)
	base := "http://" + httpLis.Addr().String()
	opts := standaloneOptions{files: []string{dir}, httpAddr: httpLis.Addr().String(), reload: 20 * time.Millisecond,
		drain: 2 * time.Second, stateDir: t.TempDir(), log: logOptions{level: "error", format: "json"}}
	startStandalone(t, opts, &standaloneHooks{httpListener: httpLis, adminListener: adminLis})

	if r := post(t, base+"/prod/orders/7", `{"pet": {"name": "Rex"}, "qty": 2}`); r.status != 201 ||
		r.header.Get("X-Order") != "accepted" || r.body != `{"id": "7", "stage": "prod"}` {
		t.Errorf("valid order: %d %v %q", r.status, r.header, r.body)
	}
	// The referenced model's rule holds: a pet without a name is refused.
	if r := post(t, base+"/prod/orders/7", `{"pet": {"name": ""}}`); r.status != 400 || r.header.Get("X-Portico-Error-Type") != "BAD_REQUEST_BODY" {
		t.Errorf("invalid order: %d %v %q", r.status, r.header, r.body)
	}
	if r := post(t, base+"/prod/orders/0", `{"pet": {"name": "Rex"}}`); r.status != 404 || r.body != `{"message": "no order 0"}` {
		t.Errorf("MOCK 404: %d %q", r.status, r.body)
	}
	if r := get(t, "GET", base+"/prod/stock"); r.status != 200 || r.header.Get("X-Sku") != "a-1" || r.header.Get("X-Count") != "2" {
		t.Errorf("body path headers: %d %v %q", r.status, r.header, r.body)
	}
}
