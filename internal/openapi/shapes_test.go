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
	"errors"
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

// An HTTP API export's operations name shared integrations with a $ref, as AWS writes them;
// the integrations no operation names, fields Portico does not know and a base path that is
// no stage name are reported; an integration type AWS has not, or an HTTP one without a uri,
// makes the document invalid, with where.
func TestIntegrationShapes(t *testing.T) {
	routes, res := importRoutes(t, `openapi: 3.0.1
info: {title: t, version: '1'}
servers: [{url: 'https://x.execute-api.us-east-2.amazonaws.com/{basePath}', variables: {basePath: {default: example/path}}}]
paths:
  /a:
    get:
      x-amazon-apigateway-integration: {$ref: '#/components/x-amazon-apigateway-integrations/shared'}
  /b:
    get:
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET, uri: 'http://b.example/b', unknownField: 1, responseTransferMode: STREAM}
components:
  x-amazon-apigateway-integrations:
    shared: {type: http_proxy, httpMethod: GET, uri: 'http://b.example/a', payloadFormatVersion: '1.0'}
    unused: {type: http_proxy, httpMethod: GET, uri: 'http://b.example/u'}
`)
	if in := routes["GET /a"].Integration; in.Type != apiv1.IntegrationHTTPProxy || in.URI != "http://b.example/a" {
		t.Errorf("GET /a: %+v", in)
	}
	reported := map[string]bool{}
	for _, o := range res.Omissions {
		reported[o.Pointer] = true
	}
	for _, ptr := range []string{
		"#/components/x-amazon-apigateway-integrations/unused",
		"#/paths/~1b/get/x-amazon-apigateway-integration/unknownField",
		"#/paths/~1b/get/x-amazon-apigateway-integration/responseTransferMode",
		"#/servers/0/variables/basePath/default",
	} {
		if !reported[ptr] {
			t.Errorf("%s not reported; omissions %v", ptr, res.Omissions)
		}
	}
	if reported["#/components/x-amazon-apigateway-integrations/shared"] {
		t.Error("the integration an operation names is reported")
	}
	for doc, ptr := range map[string]string{
		"/a: {get: {x-amazon-apigateway-integration: {type: carrier_pigeon}}}":                 "#/paths/~1a/get/x-amazon-apigateway-integration/type",
		"/a: {get: {x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET}}}":    "#/paths/~1a/get/x-amazon-apigateway-integration",
		"/a: {get: {x-amazon-apigateway-integration: {$ref: '#/components/schemas/Nothing'}}}": "#/paths/~1a/get/x-amazon-apigateway-integration/$ref",
	} {
		_, err := Import("bad.yaml", []byte("openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  "+doc+"\n"), Options{})
		var e *Error
		if !errors.As(err, &e) || e.Pointer != ptr {
			t.Errorf("%s: %v, want an error at %s", doc, err, ptr)
		}
	}
}

// What the API server or the compiler would refuse is found at import: a selection pattern
// Go's regular expressions do not read leaves its route out, reported; a CORS policy AWS
// refuses too makes the document invalid.
func TestImportChecksWhatApplyRefuses(t *testing.T) {
	routes, res := importRoutes(t, `openapi: 3.0.1
info: {title: t, version: '1'}
paths:
  /a:
    get:
      x-amazon-apigateway-integration:
        type: http
        httpMethod: GET
        uri: 'http://b.example/a'
        responses: {'(?!2)\d{3}': {statusCode: '400'}, default: {statusCode: '200'}}
  /b:
    get:
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET, uri: 'http://b.example/b'}
`)
	if _, ok := routes["GET /a"]; ok || len(routes) != 1 {
		t.Errorf("routes %v: want GET /a left out", routes)
	}
	found := false
	for _, o := range res.Omissions {
		found = found || o.Pointer == "#/paths/~1a/get"
	}
	if !found {
		t.Errorf("GET /a not reported: %v", res.Omissions)
	}
	_, err := Import("cors.yaml", []byte(`openapi: 3.0.1
info: {title: t, version: '1'}
x-amazon-apigateway-cors: {allowOrigins: ['*'], allowCredentials: true}
paths:
  /b:
    get:
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET, uri: 'http://b.example/b'}
`), Options{})
	if err == nil {
		t.Error("a CORS policy with credentials for any origin imported")
	}
}

// A JSON document's syntax error is at the line it is on (the YAML reader named the line
// of the object it is in).
func TestJSONSyntaxErrorLine(t *testing.T) {
	doc := "{\n  \"openapi\": \"3.0.1\",\n  \"paths\": {\n    \"/a\": {\n      \"get\": {\"x\": 1 \"y\": 2}\n    }\n  }\n}\n"
	_, err := Import("doc.json", []byte(doc), Options{})
	var e *Error
	if !errors.As(err, &e) || e.Line != 5 {
		t.Errorf("%v, want an error on line 5", err)
	}
}
