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

package openapi

import (
	"testing"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
)

// importRoutes imports doc and returns its routes by "METHOD /path".
func importRoutes(t *testing.T, doc string) (map[string]apiv1.RouteSpec, *Result) {
	t.Helper()
	res, err := Import("doc.yaml", []byte(doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string]apiv1.RouteSpec{}
	for _, r := range res.Routes {
		routes[string(r.Spec.Methods[0])+" "+r.Spec.Path] = r.Spec
	}
	return routes, res
}

// AWS exports a method's protections as separate security requirements and applies them
// all: an API key listed first does not drop the authorizer listed after it, nor the
// reverse.
func TestSecurityRequirementsAllApply(t *testing.T) {
	routes, _ := importRoutes(t, `openapi: 3.0.1
info: {title: t, version: '1'}
components:
  securitySchemes:
    api_key: {type: apiKey, name: x-api-key, in: header}
    tok:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer: {type: token, authorizerUri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:auth/invocations'}
    other:
      type: apiKey
      name: X-Other
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer: {type: token, authorizerUri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:other/invocations'}
paths:
  /a:
    get:
      security: [{api_key: []}, {tok: []}]
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET, uri: 'http://b.example/a'}
    post:
      security: [{tok: []}, {api_key: []}]
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: POST, uri: 'http://b.example/a'}
    put:
      security: [{tok: []}, {other: []}]
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: PUT, uri: 'http://b.example/a'}
`)
	for _, k := range []string{"GET /a", "POST /a"} {
		if a := routes[k].Authorization; a == nil || a.AuthorizerRef == nil || a.AuthorizerRef.Name != "tok" || !a.APIKeyRequired {
			t.Errorf("%s: authorization %+v, want the authorizer and the API key", k, a)
		}
	}
	if _, ok := routes["PUT /a"]; ok {
		t.Error("a method with two authorizers was imported with one of them")
	}
}

// A MOCK whose request template picks the status per request keeps its templates and
// responses (AWS's example: 200 for scope=internal, 500 otherwise); one that always answers
// the same becomes a plain mock answer.
func TestMockImports(t *testing.T) {
	routes, _ := importRoutes(t, `openapi: 3.0.1
info: {title: t, version: '1'}
paths:
  /dyn:
    get:
      x-amazon-apigateway-integration:
        type: mock
        passthroughBehavior: when_no_templates
        requestTemplates:
          application/json: "{\n #if( $input.params('scope') == \"internal\" )\n \"statusCode\": 200\n #else\n \"statusCode\": 500\n #end\n}"
        responses:
          '5\d{2}': {statusCode: '500', responseTemplates: {application/json: '{"m": "no"}'}}
          default: {statusCode: '200', responseTemplates: {application/json: '{"m": "yes"}'}}
  /static:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": "404"}'}
        responses:
          '4\d{2}': {statusCode: '404', responseParameters: {method.response.header.x-a: "'b'"}, responseTemplates: {application/json: '{"m": "$context.stage"}'}}
          default: {statusCode: '200'}
  /twobodies:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default: {statusCode: '200', responseTemplates: {application/json: '{}', application/xml: '<a/>'}}
`)
	dyn := routes["GET /dyn"].Integration
	if dyn.Mock != nil || len(dyn.RequestTemplates) != 1 || len(dyn.Responses) != 2 || dyn.PassthroughBehavior != apiv1.PassthroughWhenNoTemplates {
		t.Errorf("a MOCK choosing its status per request: %+v", dyn)
	}
	st := routes["GET /static"].Integration
	if m := st.Mock; m == nil || m.StatusCode != 404 || m.Headers["x-a"] != "b" || m.Body != `{"m": "$context.stage"}` || len(st.Responses) != 0 {
		t.Errorf("a MOCK answering the same: %+v %+v", st, st.Mock)
	}
	if two := routes["GET /twobodies"].Integration; two.Mock != nil || len(two.Responses) != 1 || len(two.Responses[0].ResponseTemplates) != 2 {
		t.Errorf("a MOCK with a body per Accept type: %+v", two)
	}
}
