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
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The request and response model through the compiler, xDS and the proxy: a model referring
// to another ($ref as AWS writes it), a MOCK run as AWS runs one (the request template
// decides the status, integration responses map it), and response headers from the
// backend's JSON body (integration.response.body.<JSONPath>). internal/cli's
// TestStandaloneRequestModel runs the same rules through `portico standalone`.
func TestRequestModelRules(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"count": 2, "items": [{"sku": "a-1"}, {"sku": "b-2"}]}`)
	}))
	defer be.Close()
	g := startGateway(t, seeded(1))
	g.deploy(fmt.Sprintf(`apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: shop}
spec:
  models:
    Pet: {schema: {type: object, required: [name], properties: {name: {type: string, minLength: 1}}}}
    Order: {schema: {type: object, required: [pet], properties: {pet: {$ref: "https://apigateway.amazonaws.com/restapis/shop/models/Pet"}, qty: {type: integer, minimum: 1}}}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: prod}
spec: {restApiRef: {name: shop}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: orders}
spec:
  restApiRef: {name: shop}
  path: /orders/{id}
  methods: [POST]
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
  integration:
    type: HTTP
    uri: %s/stock
    responses:
      - statusCode: 200
        responseParameters: {header.x-sku: "integration.response.body.items[0].sku", header.x-count: "integration.response.body.count"}
`, be.URL))
	g.programmed("default/prod")
	ct := []string{"Content-Type", "application/json"}
	if r := g.do("POST", "/prod/orders/7", strings.NewReader(`{"pet": {"name": "Rex"}, "qty": 2}`), ct...); r.status != 201 ||
		r.header.Get("X-Order") != "accepted" || r.body != `{"id": "7", "stage": "prod"}` {
		t.Errorf("valid order: %d %v %q", r.status, r.header, r.body)
	}
	if r := g.do("POST", "/prod/orders/7", strings.NewReader(`{"pet": {"name": ""}}`), ct...); r.status != 400 || r.header.Get("X-Portico-Error-Type") != "BAD_REQUEST_BODY" {
		t.Errorf("invalid order: %d %v %q", r.status, r.header, r.body)
	}
	if r := g.do("POST", "/prod/orders/0", strings.NewReader(`{"pet": {"name": "Rex"}}`), ct...); r.status != 404 || r.body != `{"message": "no order 0"}` {
		t.Errorf("MOCK 404: %d %q", r.status, r.body)
	}
	if r := g.do("GET", "/prod/stock", nil); r.status != 200 || r.header.Get("X-Sku") != "a-1" || r.header.Get("X-Count") != "2" {
		t.Errorf("body path headers: %d %v %q", r.status, r.header, r.body)
	}
}
