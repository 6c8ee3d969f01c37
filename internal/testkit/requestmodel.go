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

package testkit

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// RequestModelManifests exercise the request and response model's rules: a model referring to
// another ($ref as AWS writes it), required parameters, a MOCK run as AWS runs one (the
// request template decides the status, integration responses map it), and an HTTP
// integration to stockURL (a StockBackend) whose response headers come from the backend's
// JSON body (integration.response.body.<JSONPath>). The stage is prod; RequestModelCases are what it
// answers. Standalone and controller + proxy tests run the same manifests and cases.
func RequestModelManifests(stockURL string) string {
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
metadata: {name: search}
spec:
  restApiRef: {name: shop}
  path: /search
  methods: [GET]
  authorization: {type: NONE}
  requestValidation: {requiredParameters: [querystring.page, header.x-trace]}
  integration: {type: MOCK, mock: {statusCode: 200, body: found}}
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
`, stockURL)
}

// StockBackend serves the stock route's backend until the test ends and returns its URL.
func StockBackend(t testing.TB) string {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"count": 2, "items": [{"sku": "a-1"}, {"sku": "b-2"}]}`)
	}))
	t.Cleanup(s.Close)
	return s.URL
}

// RequestModelCase is one request to RequestModelManifests' stage and what it must answer.
type RequestModelCase struct {
	Name, Method, Path, Body string
	Status                   int
	Header                   map[string]string // each must be present with this value
	Want                     string            // the body, when not empty
}

// RequestModelCases are the requests RequestModelManifests' stage answers, paths under /prod.
var RequestModelCases = []RequestModelCase{
	{Name: "valid order", Method: "POST", Path: "/prod/orders/7", Body: `{"pet": {"name": "Rex"}, "qty": 2}`,
		Status: 201, Header: map[string]string{"X-Order": "accepted"}, Want: `{"id": "7", "stage": "prod"}`},
	// The referenced model's rule holds: a pet without a name is refused.
	{Name: "invalid order", Method: "POST", Path: "/prod/orders/7", Body: `{"pet": {"name": ""}}`,
		Status: 400, Header: map[string]string{"X-Portico-Error-Type": "BAD_REQUEST_BODY"}},
	{Name: "MOCK 404", Method: "POST", Path: "/prod/orders/0", Body: `{"pet": {"name": "Rex"}}`,
		Status: 404, Want: `{"message": "no order 0"}`},
	// Missing parameters are named in the route's order.
	{Name: "missing parameters", Method: "GET", Path: "/prod/search",
		Status: 400, Want: `{"message":"Missing required request parameters: [page, x-trace]"}`},
	{Name: "body path headers", Method: "GET", Path: "/prod/stock",
		Status: 200, Header: map[string]string{"X-Sku": "a-1", "X-Count": "2"}},
}

// Check reports what in a response to c differs from what c wants.
func (c RequestModelCase) Check(t testing.TB, status int, header http.Header, body string) {
	t.Helper()
	ok := status == c.Status && (c.Want == "" || body == c.Want)
	for k, v := range c.Header {
		ok = ok && header.Get(k) == v
	}
	if !ok {
		t.Errorf("%s: %d %v %q; want %d %v %q", c.Name, status, header, body, c.Status, c.Header, c.Want)
	}
}
