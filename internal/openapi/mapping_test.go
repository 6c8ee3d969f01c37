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
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
)

// An OpenAPI 3.1 REST API export using every extension the importer maps.
const everything = `openapi: 3.1.0
info: {title: Every Extension, version: '1'}
servers: [{url: 'https://x.execute-api.us-east-1.amazonaws.com/{basePath}', variables: {basePath: {default: /v1}}}]
x-amazon-apigateway-api-key-source: AUTHORIZER
x-amazon-apigateway-binary-media-types: [image/png]
x-amazon-apigateway-minimum-compression-size: 1024
x-amazon-apigateway-request-validators:
  all: {validateRequestBody: true, validateRequestParameters: true}
x-amazon-apigateway-gateway-responses:
  THROTTLED: {statusCode: 429, responseParameters: {gatewayresponse.header.Retry-After: "'1'", gatewayresponse.header.x-from: method.request.header.Origin, gatewayresponse.querystring.q: "'x'"}, responseTemplates: {application/json: '{"m":"slow"}'}}
  WAF_FILTERED: {statusCode: 403}
x-amazon-apigateway-cors: {allowOrigins: ['https://a.example'], allowMethods: ['*'], maxAge: 60}
x-amazon-apigateway-policy:
  Version: '2012-10-17'
  Statement:
    - {Effect: Allow, Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/*'}
    - {Effect: Deny, Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/*', Condition: {NotIpAddress: {'aws:SourceIp': ['10.0.0.0/8']}}}
    - {Effect: Deny, Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/*', Condition: {StringNotEquals: {'aws:SourceVpce': vpce-1}}}
components:
  schemas:
    Pet: {type: object, required: [name], properties: {name: {type: [string, 'null']}, owner: {$ref: '#/components/schemas/Owner'}}}
    Owner: {type: object}
  securitySchemes:
    api_key: {type: apiKey, name: x-api-key, in: header}
    tok:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer: {type: token, authorizerUri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:auth/invocations', authorizerResultTtlInSeconds: 0, identityValidationExpression: '^Bearer .+$'}
    pool:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: cognito_user_pools
      x-amazon-apigateway-authorizer: {type: cognito_user_pools, providerARNs: ['arn:aws:cognito-idp:eu-west-1:1:userpool/eu-west-1_abc']}
    iam: {type: apiKey, name: Authorization, in: header, x-amazon-apigateway-authtype: awsSigv4}
paths:
  /pets:
    post:
      security: [{tok: [], api_key: []}]
      parameters: [{name: page, in: query, required: true, schema: {type: string}}]
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}
      x-amazon-apigateway-request-validator: all
      x-amazon-apigateway-integration:
        type: http
        httpMethod: PUT
        uri: 'http://backend.example/pets'
        passthroughBehavior: when_no_templates
        requestTemplates: {application/json: '{"n": $input.json(''$.name'')}'}
        requestParameters: {integration.request.header.x-user: context.authorizer.principalId, integration.request.querystring.p: method.request.querystring.page}
        responses:
          '4\d{2}': {statusCode: '400', responseParameters: {method.response.header.x-err: integration.response.header.x-e}}
          default: {statusCode: '201', responseTemplates: {application/json: '{}'}}
        cacheKeyParameters: [method.request.querystring.page]
    get:
      security: [{pool: [pets/read]}]
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 202}'}
        responses:
          '2\d{2}': {statusCode: '202', responseParameters: {method.response.header.Content-Type: "'application/json'"}, responseTemplates: {application/json: '[]'}}
          default: {statusCode: '500'}
    delete:
      security: [{iam: []}]
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: DELETE, uri: 'http://backend.example/pets'}
  /pets/{id}:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:pets:live/invocations', timeoutInMillis: 10, requestParameters: {integration.request.header.x-id: method.request.path.id}}
`

func TestImportEveryExtension(t *testing.T) {
	res, err := Import("every.yaml", []byte(everything), Options{Functions: map[string]string{"pets": "http://pets-fn:8080/2015-03-31/functions/function/invocations"}})
	if err != nil {
		t.Fatal(err)
	}
	api := res.RestApi.Spec
	size, maxAge := int32(1024), int32(60)
	want := apiv1.RestApiSpec{
		Description: "Every Extension", APIKeySource: apiv1.APIKeySourceAuthorizer, BinaryMediaTypes: []string{"image/png"},
		MinimumCompressionSize: &size,
		CORS:                   &apiv1.CORSPolicy{AllowOrigins: []string{"https://a.example"}, AllowMethods: []apiv1.HTTPMethod{apiv1.MethodAny}, MaxAgeSeconds: &maxAge},
		Policy:                 &apiv1.ResourcePolicy{SourceIPs: &apiv1.SourceIPPolicy{Allow: []string{"10.0.0.0/8"}}},
	}
	code := int32(429)
	want.GatewayResponses = map[apiv1.GatewayResponseType]apiv1.GatewayResponse{apiv1.GatewayResponseThrottled: {
		StatusCode: &code, Headers: map[string]string{"Retry-After": "1"},
		ResponseParameters: map[string]apiv1.ParameterSource{"header.x-from": "method.request.header.Origin"}, Templates: map[string]apiv1.GatewayResponseTemplate{"application/json": `{"m":"slow"}`},
	}}
	got := api.DeepCopy()
	got.Models = nil
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("RestApi spec (-want +got):\n%s", diff)
	}
	if s := string(api.Models["Pet"].Schema.Raw); !strings.Contains(s, `"owner":{"type":"object"}`) || !strings.Contains(s, `["string","null"]`) {
		t.Errorf("Pet model = %s, want Owner inlined and the 3.1 type list kept", s)
	}
	if res.Stage.Spec.StageName != "v1" {
		t.Errorf("stage %q, want v1 (the basePath)", res.Stage.Spec.StageName)
	}
	routes := map[string]apiv1.RouteSpec{}
	for _, r := range res.Routes {
		routes[string(r.Spec.Methods[0])+" "+r.Spec.Path] = r.Spec
	}
	if _, ok := routes["DELETE /pets"]; ok {
		t.Error("the IAM-protected route was imported (unprotected)")
	}
	post := routes["POST /pets"]
	if a := post.Authorization; a == nil || a.AuthorizerRef == nil || a.AuthorizerRef.Name != "tok" || !a.APIKeyRequired {
		t.Errorf("POST authorization = %+v", a)
	}
	if v := post.RequestValidation; v == nil || v.Body != "Pet" || !cmp.Equal(v.RequiredParameters, []string{"querystring.page"}) {
		t.Errorf("POST validation = %+v", v)
	}
	in := post.Integration
	if in.Type != apiv1.IntegrationHTTP || in.HTTPMethod != "PUT" || in.PassthroughBehavior != apiv1.PassthroughWhenNoTemplates ||
		in.RequestParameters["header.x-user"] != "$context.authorizer.principalId" || in.RequestParameters["querystring.p"] != "$request.querystring.page" ||
		len(in.Responses) != 2 || in.Responses[0].SelectionPattern != `4\d{2}` || in.Responses[0].StatusCode != 400 ||
		in.Responses[0].ResponseParameters["header.x-err"] != "integration.response.header.x-e" || in.Responses[1].StatusCode != 201 {
		t.Errorf("POST integration = %+v", in)
	}
	if !cmp.Equal(post.CacheKeyParameters, []string{"querystring.page"}) {
		t.Errorf("cache keys %v", post.CacheKeyParameters)
	}
	get := routes["GET /pets"]
	if m := get.Integration.Mock; m == nil || m.StatusCode != 202 || m.Body != "[]" || m.Headers["Content-Type"] != "application/json" {
		t.Errorf("GET mock = %+v", m)
	}
	if a := get.Authorization; a == nil || a.AuthorizerRef == nil || a.AuthorizerRef.Name != "pool" || !cmp.Equal(a.Scopes, []string{"pets/read"}) {
		t.Errorf("GET authorization = %+v", a)
	}
	anyRoute := routes["ANY /pets/{id}"]
	if in := anyRoute.Integration; in.Type != apiv1.IntegrationLambdaProxy || in.URI != "http://pets-fn:8080/2015-03-31/functions/function/invocations" || in.TimeoutMillis != 50 {
		t.Errorf("ANY integration = %+v", in)
	}
	authz := map[string]apiv1.AuthorizerSpec{}
	for _, a := range res.Authorizers {
		authz[a.Name] = a.Spec
	}
	if a := authz["tok"]; a.Type != apiv1.AuthorizerToken || a.ResultTTLSeconds == nil || *a.ResultTTLSeconds != 0 ||
		a.IdentityValidationExpression != "^Bearer .+$" || a.Function == nil || !strings.HasPrefix(a.Function.URI, "http://PORTICO_FUNCTION_AUTH/") {
		t.Errorf("tok = %+v", a)
	}
	if a := authz["pool"]; a.Type != apiv1.AuthorizerJWT || a.JWT == nil || a.JWT.Issuer != "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc" {
		t.Errorf("pool = %+v", a)
	}
	// Each thing not carried over is reported where it is.
	for _, ptr := range []string{
		"#/x-amazon-apigateway-gateway-responses/WAF_FILTERED",
		"#/x-amazon-apigateway-gateway-responses/THROTTLED/responseParameters/gatewayresponse.querystring.q",
		"#/x-amazon-apigateway-policy/Statement/2/Condition/StringNotEquals",
		"#/components/securitySchemes/iam",
		"#/paths/~1pets/delete",
		"#/paths/~1pets~1{id}/x-amazon-apigateway-any-method/x-amazon-apigateway-integration/timeoutInMillis",
		"#/paths/~1pets~1{id}/x-amazon-apigateway-any-method/x-amazon-apigateway-integration/requestParameters",
		"#/components/securitySchemes/pool/x-amazon-apigateway-authorizer",
	} {
		found := false
		for _, o := range res.Omissions {
			found = found || o.Pointer == ptr
		}
		if !found {
			t.Errorf("no omission at %s; got:\n%s", ptr, res.Summary())
		}
	}
	// And the whole compiles, every object accepted.
	out := compile.Compile(inputs(res))
	for _, st := range out.Statuses {
		for _, c := range st.Conditions {
			if c.Type == apiv1.ConditionAccepted && c.Status != "True" {
				t.Errorf("%s %s: %s", st.Kind, st.Name, c.Message)
			}
		}
	}
	// Import is stable: the same names and objects on a second run.
	again, _ := Import("every.yaml", []byte(everything), Options{Functions: map[string]string{"pets": "http://pets-fn:8080/2015-03-31/functions/function/invocations"}})
	a, _ := res.Manifests()
	b, _ := again.Manifests()
	if string(a) != string(b) {
		t.Error("two imports of the same document differ")
	}
	roundTrip(t, res.RestApi, res.Routes, res.Authorizers)

	// A --function no integration or authorizer names (a typo) is reported, not ignored.
	typo, err := Import("every.yaml", []byte(everything), Options{Functions: map[string]string{"pets": "http://pets-fn/", "pest": "http://typo/"}})
	if err != nil {
		t.Fatal(err)
	}
	if n := slices.IndexFunc(typo.Omissions, func(o Omission) bool { return o.What == "--function pest" }); n < 0 {
		t.Errorf("an unused --function is not reported: %+v", typo.Omissions)
	} else if slices.ContainsFunc(typo.Omissions, func(o Omission) bool { return o.What == "--function pets" }) {
		t.Error("a used --function is reported")
	}
}

// --function names a function by its ARN (qualified or not) or its name; an alias-qualified
// ARN in the document takes what the unqualified ARN or the name is given, unless its own
// qualified ARN is given too.
func TestFunctionURLs(t *testing.T) {
	const (
		fn       = "arn:aws:lambda:us-east-1:123456789012:function:orders"
		uri      = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + fn + ":live/invocations"
		byARN    = "http://by-arn/2015-03-31/functions/function/invocations"
		byAlias  = "http://by-alias/2015-03-31/functions/function/invocations"
		byName   = "http://by-name/2015-03-31/functions/function/invocations"
		fallback = "http://PORTICO_FUNCTION_ORDERS/2015-03-31/functions/function/invocations"
	)
	for _, c := range []struct {
		functions map[string]string
		want      string
	}{
		{map[string]string{fn: byARN}, byARN},
		{map[string]string{fn: byARN, fn + ":live": byAlias}, byAlias},
		{map[string]string{"orders": byName}, byName},
		{map[string]string{"orders": byName, "orders:live": byAlias}, byAlias},
		{map[string]string{fn + ":other": byAlias}, fallback},
		{nil, fallback},
	} {
		im := &importer{opts: Options{Functions: c.functions}, placeholder: map[string]bool{}, usedFunctions: map[string]bool{}}
		if got, why := im.functionURL(uri); got != c.want || why != "" {
			t.Errorf("%v: %q %q, want %q", c.functions, got, why, c.want)
		}
	}
}
