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

// Package validationcases is the table of invalid Portico objects and the messages that
// refuse them. The API server tests (api/v1alpha1) and the offline validator's tests
// (controllers/schema) run the same table, so standalone mode refuses exactly what a cluster
// refuses, with the same words.
package validationcases

import (
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

// ValidSpecs are minimal valid specs per kind; each invalid case patches one of them.
var ValidSpecs = map[string]string{
	"RestApi": `{}`,
	"Route": `
restApiRef: {name: pets}
path: /pets/{petId}
integration: {type: MOCK, mock: {statusCode: 200}}`,
	"Authorizer": `
type: JWT
jwt: {issuer: "https://idp.example.com/", audiences: [pets]}`,
	"UsagePlan": `
apiStages: [{restApiRef: {name: pets}, stage: prod}]
apiKeys: [{name: customer-a}]`,
	"Stage": `
restApiRef: {name: pets}`,
	"DomainName": `
domainName: api.example.com
certificateRef: {name: api-example-tls}
mappings: [{restApiRef: {name: pets}, stage: prod}, {basePath: orders, restApiRef: {name: orders}, stage: prod}]`,
}

// Object builds a Portico object of kind, named "test" in namespace "default", from its
// valid spec with patch merged in (a null in the patch deletes the field).
func Object(kind, patch string) (map[string]any, error) {
	var spec, p map[string]any
	if err := yaml.Unmarshal([]byte(ValidSpecs[kind]), &spec); err != nil {
		return nil, fmt.Errorf("base spec of %s: %w", kind, err)
	}
	if err := yaml.Unmarshal([]byte(patch), &p); err != nil {
		return nil, fmt.Errorf("patch %q: %w", patch, err)
	}
	if spec == nil {
		spec = map[string]any{}
	}
	Merge(spec, p)
	return map[string]any{
		"apiVersion": "apigateway.portico.dev/v1alpha1",
		"kind":       kind,
		"metadata":   map[string]any{"name": "test", "namespace": "default"},
		"spec":       spec,
	}, nil
}

// Merge merges src into dst: maps recursively, a nil value deletes.
func Merge(dst, src map[string]any) {
	for k, v := range src {
		switch v := v.(type) {
		case nil:
			delete(dst, k)
		case map[string]any:
			if d, ok := dst[k].(map[string]any); ok {
				Merge(d, v)
				continue
			}
			dst[k] = v
		default:
			dst[k] = v
		}
	}
}

// Case is one invalid object.
type Case struct {
	Name, Kind, Patch string
	// Want are substrings of the refusal: the field path and the reason.
	Want []string
}

// ObjectNames replace the object's name in the cases they name.
var ObjectNames = map[string]string{"name length": strings.Repeat("n", 64)}

// Cases returns the table: at least one case per validation marker and per CEL rule.
func Cases() []Case {
	long := strings.Repeat("a", 65)
	vars := make([]string, 101)
	for i := range vars {
		vars[i] = fmt.Sprintf("v%d: x", i)
	}
	return []Case{
		// RestApi: markers.
		{"protocol enum", "RestApi", `protocol: FTP`, []string{"spec.protocol", `Unsupported value: "FTP"`, `"HTTP"`, `"WEBSOCKET"`}},
		{"apiKeySource enum", "RestApi", `apiKeySource: QUERY`, []string{"spec.apiKeySource", `Unsupported value: "QUERY"`}},
		{"hostname syntax", "RestApi", `hostnames: ["Bad_Host"]`, []string{"spec.hostnames[0]", "should match"}},
		{"hostnames max items", "RestApi", `hostnames: [a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q]`, []string{"spec.hostnames", "must have at most 16 items"}},
		{"description length", "RestApi", `description: ` + strings.Repeat("d", 1025), []string{"spec.description", "may not be more than 1024"}},
		{"cors max age", "RestApi", `cors: {maxAgeSeconds: 90000}`, []string{"spec.cors.maxAgeSeconds", "less than or equal to 86400"}},
		{"cors methods enum", "RestApi", `cors: {allowMethods: [FETCH]}`, []string{"spec.cors.allowMethods[0]", `Unsupported value: "FETCH"`}},
		{"gateway response status", "RestApi", `gatewayResponses: {THROTTLED: {statusCode: 700}}`, []string{"spec.gatewayResponses.THROTTLED.statusCode", "less than or equal to 599"}},
		{"gateway response interim status", "RestApi", `gatewayResponses: {THROTTLED: {statusCode: 100}}`, []string{"spec.gatewayResponses.THROTTLED.statusCode", "greater than or equal to 200"}},
		{"gateway response type", "RestApi", `gatewayResponses: {SLOW_DOWN: {statusCode: 429}}`, []string{"spec.gatewayResponses", "gateway response types are DEFAULT_4XX"}},
		{"compression size", "RestApi", `minimumCompressionSize: -1`, []string{"spec.minimumCompressionSize", "greater than or equal to 0"}},
		{"revision history", "RestApi", `revisionHistoryLimit: 0`, []string{"spec.revisionHistoryLimit", "greater than or equal to 1"}},
		{"model needs schema", "RestApi", `models: {Pet: {contentType: application/json}}`, []string{"spec.models.Pet.schema", "Required value"}},
		{"name length", "RestApi", `{}`, []string{"at most 63 characters"}},
		{"route selection syntax", "RestApi", `{protocol: WEBSOCKET, routeSelectionExpression: "action"}`, []string{"spec.routeSelectionExpression", "should match"}},
		// RestApi: CEL.
		{"route selection on HTTP", "RestApi", `routeSelectionExpression: $request.body.action`, []string{"routeSelectionExpression applies to WEBSOCKET APIs only"}},
		{"websocket needs route selection", "RestApi", `protocol: WEBSOCKET`, []string{"a WEBSOCKET API needs routeSelectionExpression"}},
		{"websocket cors", "RestApi", `{protocol: WEBSOCKET, routeSelectionExpression: $request.body.action, cors: {allowOrigins: ["*"]}}`, []string{"cors applies to HTTP APIs only"}},
		{"websocket binary media types", "RestApi", `{protocol: WEBSOCKET, routeSelectionExpression: $request.body.action, binaryMediaTypes: [image/png]}`, []string{"binaryMediaTypes applies to HTTP APIs only"}},
		{"websocket compression", "RestApi", `{protocol: WEBSOCKET, routeSelectionExpression: $request.body.action, minimumCompressionSize: 0}`, []string{"minimumCompressionSize applies to HTTP APIs only"}},
		{"websocket models", "RestApi", `{protocol: WEBSOCKET, routeSelectionExpression: $request.body.action, models: {Msg: {schema: {type: object}}}}`, []string{"models apply to HTTP APIs only"}},
		{"cors credentials with wildcard", "RestApi", `cors: {allowOrigins: ["*"], allowCredentials: true}`, []string{"spec.cors", "allowCredentials cannot be used with the wildcard origin"}},
		{"cors origin syntax", "RestApi", `cors: {allowOrigins: ["https://app.example.com/path"]}`, []string{"spec.cors.allowOrigins", "scheme://host[:port]"}},
		{"source ip syntax", "RestApi", `policy: {sourceIPs: {allow: ["10.0.0.0/33"]}}`, []string{"spec.policy.sourceIPs.allow", "IP address or a CIDR range"}},
		{"source ip deny syntax", "RestApi", `policy: {sourceIPs: {deny: ["not-an-ip"]}}`, []string{"spec.policy.sourceIPs.deny", "IP address or a CIDR range"}},
		{"model names", "RestApi", `models: {bad-name: {schema: {type: object}}}`, []string{"spec.models", "model names are 1 to 64 letters and digits"}},
		{"authorization NONE with ref", "RestApi", `defaultAuthorization: {type: NONE, authorizerRef: {name: jwt}}`, []string{"spec.defaultAuthorization", "type NONE cannot name an authorizerRef"}},
		{"authorization AUTHORIZER without ref", "RestApi", `defaultAuthorization: {type: AUTHORIZER}`, []string{"type AUTHORIZER needs authorizerRef"}},
		{"scopes without authorizer", "RestApi", `defaultAuthorization: {scopes: ["a"]}`, []string{"scopes need an authorizerRef"}},

		// Route: markers.
		{"restApiRef required", "Route", `restApiRef: null`, []string{"spec.restApiRef", "Required value"}},
		{"restApiRef name", "Route", `restApiRef: {name: ""}`, []string{"spec.restApiRef.name", "at least 1 chars long"}},
		{"methods enum", "Route", `methods: [FETCH]`, []string{"spec.methods[0]", `Unsupported value: "FETCH"`}},
		{"methods not empty", "Route", `methods: []`, []string{"spec.methods", "at least 1 items"}},
		{"two-way path route", "Route", `routeResponseSelectionExpression: $default`, []string{"routeResponseSelectionExpression applies to WEBSOCKET routes (routeKey) only"}},
		{"methods unique", "Route", `methods: [GET, GET]`, []string{"spec.methods[1]", "Duplicate value"}},
		{"path not empty", "Route", `path: ""`, []string{"spec.path", "at least 1 chars long"}},
		{"route key syntax", "Route", `{path: null, routeKey: "bad key!"}`, []string{"spec.routeKey", "should match"}},
		{"integration required", "Route", `integration: null`, []string{"spec.integration", "Required value"}},
		{"integration type enum", "Route", `integration: {type: SOAP}`, []string{"spec.integration.type", `Unsupported value: "SOAP"`}},
		{"timeout minimum", "Route", `integration: {type: HTTP_PROXY, mock: null, uri: "http://b", timeoutMillis: 10}`, []string{"spec.integration.timeoutMillis", "greater than or equal to 50"}},
		{"timeout maximum", "Route", `integration: {type: HTTP_PROXY, mock: null, uri: "http://b", timeoutMillis: 30000}`, []string{"spec.integration.timeoutMillis", "less than or equal to 29000"}},
		{"payload format enum", "Route", `integration: {type: LAMBDA_PROXY, mock: null, uri: "http://b", payloadFormatVersion: "3.0"}`, []string{"spec.integration.payloadFormatVersion", `Unsupported value: "3.0"`}},
		{"backend port", "Route", `integration: {type: HTTP_PROXY, mock: null, backendRef: {name: svc, port: 0}}`, []string{"spec.integration.backendRef.port", "greater than or equal to 1"}},
		{"backend port required", "Route", `integration: {type: HTTP_PROXY, mock: null, backendRef: {name: svc}}`, []string{"spec.integration.backendRef.port", "Required value"}},
		{"mock status", "Route", `integration: {mock: {statusCode: 99}}`, []string{"spec.integration.mock.statusCode", "greater than or equal to 200"}},
		{"cache key parameters", "Route", `cacheKeyParameters: ["cookie.session"]`, []string{"spec.cacheKeyParameters[0]", "should match"}},
		{"cache key context parameters", "Route", `cacheKeyParameters: ["context.authorizer.principalId", "context.identity.sourceIp"]`, []string{"spec.cacheKeyParameters[1]", "should match"}},
		{"required parameters", "Route", `requestValidation: {requiredParameters: ["body.name"]}`, []string{"spec.requestValidation.requiredParameters[0]", "should match"}},
		{"validation model name", "Route", `requestValidation: {body: "bad-name"}`, []string{"spec.requestValidation.body", "should match"}},
		{"gateway response parameter target", "RestApi", `gatewayResponses: {THROTTLED: {responseParameters: {querystring.a: "'x'"}}}`, []string{"spec.gatewayResponses[THROTTLED].responseParameters", "each key is header.<name>"}},
		{"gateway response parameter source", "RestApi", `gatewayResponses: {THROTTLED: {responseParameters: {header.a: method.request.body}}}`, []string{"spec.gatewayResponses[THROTTLED].responseParameters", "each value is method.request.header|multivalueheader"}},
		{"gateway response template content type", "RestApi", `gatewayResponses: {THROTTLED: {templates: {json: "{}"}}}`, []string{"spec.gatewayResponses[THROTTLED].templates", "each key is a content type"}},
		// Route: the request and response model.
		{"bodies content type", "Route", `requestValidation: {bodies: {json: Pet}}`, []string{"spec.requestValidation.bodies", "each key is a content type"}},
		{"bodies model name", "Route", `requestValidation: {bodies: {application/json: "bad-name"}}`, []string{"spec.requestValidation.bodies", "should match"}},
		{"templates on HTTP_PROXY", "Route", `integration: {type: HTTP_PROXY, mock: null, uri: "http://b", requestTemplates: {application/json: "{}"}}`, []string{"spec.integration", "apply to HTTP and MOCK integrations only"}},
		{"passthrough enum", "Route", `integration: {type: HTTP, mock: null, uri: "http://b", passthroughBehavior: SOMETIMES}`, []string{"spec.integration.passthroughBehavior", `Unsupported value: "SOMETIMES"`}},
		{"httpMethod enum", "Route", `integration: {type: HTTP, mock: null, uri: "http://b", httpMethod: ANY}`, []string{"spec.integration.httpMethod", `Unsupported value: "ANY"`}},
		{"two default responses", "Route", `integration: {type: HTTP, mock: null, uri: "http://b", responses: [{statusCode: 200}, {statusCode: 201}]}`, []string{"spec.integration.responses", "at most one response is the default"}},
		{"response parameter source", "Route", `integration: {type: HTTP, mock: null, uri: "http://b", responses: [{responseParameters: {header.x: "method.request.header.x"}}]}`, []string{"spec.integration.responses[0].responseParameters", "integration.response.header"}},
		{"response parameter target", "Route", `integration: {type: HTTP, mock: null, uri: "http://b", responses: [{responseParameters: {querystring.x: "'a'"}}]}`, []string{"spec.integration.responses[0].responseParameters", "each key is header.<name>"}},
		// Route: CEL.
		{"path without slash", "Route", `path: pets`, []string{"spec.path", `path must be "/" or`}},
		{"path greedy not last", "Route", `path: "/pets/{proxy+}/photos"`, []string{"spec.path", "greedy {name+} may only be the last segment"}},
		{"path trailing slash", "Route", `path: "/pets/"`, []string{"spec.path", "no trailing slash"}},
		{"path partial param", "Route", `path: "/pets/id{petId}"`, []string{"spec.path", "each a literal"}},
		{"ANY with others", "Route", `methods: [GET, ANY]`, []string{"spec.methods", "ANY already covers every method"}},
		{"path and routeKey", "Route", `routeKey: $connect`, []string{"set exactly one of path (HTTP APIs) and routeKey (WEBSOCKET APIs)"}},
		{"neither path nor routeKey", "Route", `path: null`, []string{"set exactly one of path (HTTP APIs) and routeKey (WEBSOCKET APIs)"}},
		{"routeKey with methods", "Route", `{path: null, routeKey: $default, methods: [GET]}`, []string{"methods apply to path routes"}},
		{"MOCK with httpMethod", "Route", `integration: {httpMethod: GET, requestTemplates: {application/json: '{"statusCode": 200}'}}`, []string{"spec.integration", "httpMethod and contentHandling to HTTP only"}},
		{"MOCK needs mock", "Route", `integration: {mock: null}`, []string{"spec.integration", "a MOCK integration needs mock (or requestTemplates and responses), and no uri or backendRef"}},
		{"MOCK with uri", "Route", `integration: {uri: "http://b"}`, []string{"a MOCK integration needs mock (or requestTemplates and responses), and no uri or backendRef"}},
		{"HTTP_PROXY with both", "Route", `integration: {type: HTTP_PROXY, mock: null, uri: "http://b", backendRef: {name: s, port: 80}}`, []string{"need exactly one of uri and backendRef"}},
		{"HTTP with neither", "Route", `integration: {type: HTTP, mock: null}`, []string{"need exactly one of uri and backendRef"}},
		{"mock on HTTP_PROXY", "Route", `integration: {type: HTTP_PROXY, uri: "http://b"}`, []string{"mock applies to MOCK integrations only"}},
		{"payload format on HTTP", "Route", `integration: {type: HTTP, mock: null, uri: "http://b", payloadFormatVersion: "1.0"}`, []string{"payloadFormatVersion applies to LAMBDA_PROXY integrations only"}},
		{"uri scheme", "Route", `integration: {type: HTTP_PROXY, mock: null, uri: "ftp://b"}`, []string{"spec.integration.uri", "uri must start with http:// or https://"}},
		{"request parameter target", "Route", `integration: {type: HTTP, mock: null, uri: "http://b", requestParameters: {"body.x": "'a'"}}`, []string{"spec.integration.requestParameters", "each key is header.<name>"}},
		{"request parameter source", "Route", `integration: {type: HTTP, mock: null, uri: "http://b", requestParameters: {"header.x": "user"}}`, []string{"spec.integration.requestParameters", "each value is $context.<var>"}},
		{"route scopes without authorizer", "Route", `authorization: {scopes: ["a"]}`, []string{"spec.authorization", "scopes need an authorizerRef"}},

		// Authorizer: markers.
		{"authorizer type enum", "Authorizer", `type: OAUTH`, []string{"spec.type", `Unsupported value: "OAUTH"`}},
		{"token authorizer 2.0", "Authorizer", `{type: TOKEN, jwt: null, identitySources: [$request.header.Authorization], function: {uri: "http://authz/", payloadFormatVersion: "2.0"}}`, []string{"a TOKEN authorizer gets the 1.0 event", "is for REQUEST authorizers"}},
		{"ttl maximum", "Authorizer", `resultTtlSeconds: 4000`, []string{"spec.resultTtlSeconds", "less than or equal to 3600"}},
		{"ttl minimum", "Authorizer", `resultTtlSeconds: -1`, []string{"spec.resultTtlSeconds", "greater than or equal to 0"}},
		{"identity source syntax", "Authorizer", `identitySources: ["Authorization"]`, []string{"spec.identitySources[0]", "should match"}},
		{"jwt audiences required", "Authorizer", `jwt: {audiences: null}`, []string{"spec.jwt.audiences", "Required value"}},
		{"jwt issuer required", "Authorizer", `jwt: {issuer: ""}`, []string{"spec.jwt.issuer", "at least 1 chars long"}},
		{"clock skew", "Authorizer", `jwt: {clockSkewSeconds: 601}`, []string{"spec.jwt.clockSkewSeconds", "less than or equal to 600"}},
		{"function timeout", "Authorizer", `{type: REQUEST, jwt: null, function: {uri: "http://a", timeoutMillis: 30000}}`, []string{"spec.function.timeoutMillis", "less than or equal to 29000"}},
		{"function payload format", "Authorizer", `{type: REQUEST, jwt: null, function: {uri: "http://a", payloadFormatVersion: "3.0"}}`, []string{"spec.function.payloadFormatVersion", `Unsupported value: "3.0"`}},
		// Authorizer: CEL.
		{"JWT needs jwt", "Authorizer", `jwt: null`, []string{"a JWT authorizer needs jwt, and no function"}},
		{"JWT with function", "Authorizer", `function: {uri: "http://a"}`, []string{"a JWT authorizer needs jwt, and no function"}},
		{"TOKEN needs function", "Authorizer", `{type: TOKEN, jwt: null}`, []string{"TOKEN and REQUEST authorizers need function, and no jwt"}},
		{"REQUEST with jwt", "Authorizer", `{type: REQUEST, function: {uri: "http://a"}}`, []string{"TOKEN and REQUEST authorizers need function, and no jwt"}},
		{"TOKEN two sources", "Authorizer", `{type: TOKEN, jwt: null, function: {uri: "http://a"}, identitySources: ["$request.header.A", "$request.header.B"]}`, []string{"a TOKEN authorizer has exactly one identity source"}},
		{"TOKEN query source", "Authorizer", `{type: TOKEN, jwt: null, function: {uri: "http://a"}, identitySources: ["$request.querystring.token"]}`, []string{"a TOKEN authorizer has exactly one identity source, a header"}},
		{"validation expression on REQUEST", "Authorizer", `{type: REQUEST, jwt: null, function: {uri: "http://a"}, identityValidationExpression: "^x$"}`, []string{"identityValidationExpression applies to TOKEN authorizers only"}},
		{"function uri and backendRef", "Authorizer", `{type: REQUEST, jwt: null, function: {uri: "http://a", backendRef: {name: a, port: 80}}}`, []string{"spec.function", "set exactly one of uri and backendRef"}},
		{"simple responses need 2.0", "Authorizer", `{type: REQUEST, jwt: null, function: {uri: "http://a", enableSimpleResponses: true}}`, []string{"enableSimpleResponses needs payloadFormatVersion"}},
		{"jwks uri scheme", "Authorizer", `jwt: {jwksUri: "ftp://idp"}`, []string{"spec.jwt.jwksUri", "jwksUri must be an http:// or https:// URL"}},
		{"JWT from a stage variable", "Authorizer", `identitySources: ["$stageVariables.token"]`, []string{"a JWT authorizer reads its token from $request.header.<name>"}},
		{"JWT two sources", "Authorizer", `identitySources: ["$request.header.Authorization", "$request.querystring.token"]`, []string{"a JWT authorizer reads its token from exactly one identity source"}},
		{"function uri scheme", "Authorizer", `{type: REQUEST, jwt: null, function: {uri: "idp:80"}}`, []string{"spec.function.uri", "uri must start with http:// or https://"}},

		// UsagePlan: markers.
		{"quota period enum", "UsagePlan", `quota: {limit: 10, period: YEAR}`, []string{"spec.quota.period", `Unsupported value: "YEAR"`}},
		{"quota limit", "UsagePlan", `quota: {limit: -1, period: DAY}`, []string{"spec.quota.limit", "greater than or equal to 0"}},
		{"quota period required", "UsagePlan", `quota: {limit: 10}`, []string{"spec.quota.period", "Required value"}},
		{"rate limit", "UsagePlan", `throttle: {rateLimit: -1, burstLimit: 1}`, []string{"spec.throttle.rateLimit", "greater than or equal to 0"}},
		{"burst limit", "UsagePlan", `throttle: {rateLimit: 1, burstLimit: -1}`, []string{"spec.throttle.burstLimit", "greater than or equal to 0"}},
		{"api stages not empty", "UsagePlan", `apiStages: []`, []string{"spec.apiStages", "at least 1 items"}},
		{"api stage name", "UsagePlan", `apiStages: [{restApiRef: {name: pets}, stage: "prod/x"}]`, []string{"spec.apiStages[0].stage", "should match"}},
		// UsagePlan: CEL.
		{"DAY offset", "UsagePlan", `quota: {limit: 10, period: DAY, offset: 1}`, []string{"spec.quota", "a DAY quota has offset 0"}},
		{"WEEK offset", "UsagePlan", `quota: {limit: 10, period: WEEK, offset: 7}`, []string{"a WEEK quota's offset is a weekday"}},
		{"MONTH offset", "UsagePlan", `quota: {limit: 10, period: MONTH, offset: 28}`, []string{"a MONTH quota's offset is 0 (the 1st) to 27"}},
		{"api stages unique", "UsagePlan", `apiStages: [{restApiRef: {name: pets}, stage: prod}, {restApiRef: {name: pets}, stage: prod}]`, []string{"spec.apiStages", "each restApiRef and stage pair may appear only once"}},
		{"method throttle key", "UsagePlan", `apiStages: [{restApiRef: {name: pets}, stage: prod, throttle: {"pets/GET": {rateLimit: 1, burstLimit: 1}}}]`, []string{"spec.apiStages[0].throttle", `each key is "/path/METHOD"`}},
		{"plan needs keys", "UsagePlan", `apiKeys: null`, []string{"name the plan's keys with apiKeys, apiKeySelector, or both"}},

		// Stage: markers.
		{"stage name syntax", "Stage", `stageName: "prod/v1"`, []string{"spec.stageName", "should match"}},
		{"too many variables", "Stage", `variables: {` + strings.Join(vars, ", ") + `}`, []string{"spec.variables", "must have at most 100 items"}},
		{"variable value length", "Stage", `variables: {backend: ` + strings.Repeat("v", 513) + `}`, []string{"spec.variables.backend", "may not be more than 512"}},
		{"canary variable value length", "Stage", `canary: {percentTraffic: 5, variables: {backend: ` + strings.Repeat("v", 513) + `}}`, []string{"spec.canary.variables.backend", "may not be more than 512"}},
		{"revision minimum", "Stage", `deployment: {revision: 0}`, []string{"spec.deployment.revision", "greater than or equal to 1"}},
		{"percent maximum", "Stage", `canary: {percentTraffic: 100.5}`, []string{"spec.canary.percentTraffic", "less than or equal to 100"}},
		{"percent minimum", "Stage", `canary: {percentTraffic: -1}`, []string{"spec.canary.percentTraffic", "greater than or equal to 0"}},
		{"cache ttl", "Stage", `cache: {enabled: true, ttlSeconds: 3601}`, []string{"spec.cache.ttlSeconds", "less than or equal to 3600"}},
		{"cache strategy enum", "Stage", `cache: {unauthorizedCacheControlHeaderStrategy: IGNORE}`, []string{"spec.cache.unauthorizedCacheControlHeaderStrategy", `Unsupported value: "IGNORE"`}},
		{"cache invalidation scope syntax", "Stage", `cache: {invalidationScope: "pets invalidate"}`, []string{"spec.cache.invalidationScope", "should match"}},
		{"method cache ttl", "Stage", `methodSettings: {"*/*": {caching: {enabled: true, ttlSeconds: 3601}}}`, []string{"spec.methodSettings.*/*.caching.ttlSeconds", "less than or equal to 3600"}},
		{"stage throttle", "Stage", `throttling: {rateLimit: 10, burstLimit: -5}`, []string{"spec.throttling.burstLimit", "greater than or equal to 0"}},
		{"access log format", "Stage", `accessLog: {format: ""}`, []string{"spec.accessLog.format", "at least 1 chars long"}},
		{"access log format without the request id", "Stage", `accessLog: {format: "$context.status"}`, []string{"spec.accessLog", "must include $context.requestId"}},
		// Stage: CEL.
		{"canary needs percent", "Stage", `canary: {deployment: {revision: 2}}`, []string{"canary needs percentTraffic"}},
		{"variable name length", "Stage", `variables: {` + long + `: x}`, []string{"spec.variables", "stage variable names are at most 64 characters"}},
		{"variable name syntax", "Stage", `variables: {bad-name: x}`, []string{"spec.variables", "stage variable names are letters, digits and underscores"}},
		{"variable value empty", "Stage", `variables: {a: ""}`, []string{"spec.variables.a", "at least 1 chars long"}},
		{"variable value charset", "Stage", `variables: {a: "two words"}`, []string{"spec.variables[a]", "stage variable values are letters, digits and the characters -._~:/?#&=,"}},
		{"canary variable value charset", "Stage", `canary: {percentTraffic: 5, variables: {a: "50%"}}`, []string{"spec.canary.variables[a]", "stage variable values are letters"}},
		{"method settings key", "Stage", `methodSettings: {"pets/GET": {}}`, []string{"spec.methodSettings", `each key is "/path/METHOD", "/path/*", "*/*", or a WebSocket route key`}},
		{"cache capacity zero", "Stage", `cache: {capacity: "0"}`, []string{"spec.cache.capacity", "capacity is more than 0 and at most 64Gi"}},
		{"cache capacity huge", "Stage", `cache: {capacity: 100Gi}`, []string{"spec.cache.capacity", "capacity is more than 0 and at most 64Gi"}},
		// DomainName.
		{"domain syntax", "DomainName", `domainName: "API.example.com"`, []string{"spec.domainName", "should match"}},
		{"domain single label", "DomainName", `domainName: localhost`, []string{"spec.domainName", "should match"}},
		{"domain wildcard inside", "DomainName", `domainName: "api.*.example.com"`, []string{"spec.domainName", "should match"}},
		{"certificate ref name", "DomainName", `certificateRef: {name: ""}`, []string{"spec.certificateRef.name", "at least 1 chars long"}},
		{"security policy enum", "DomainName", `securityPolicy: TLS_1_1`, []string{"spec.securityPolicy", `Unsupported value: "TLS_1_1"`}},
		{"mutual TLS over TLS 1.0", "DomainName", `{securityPolicy: TLS_1_0, mutualTLS: {truststoreRef: {name: ca}}}`, []string{"spec", "mutualTLS needs securityPolicy TLS_1_2 or TLS_1_3"}},
		{"truststore key syntax", "DomainName", `mutualTLS: {truststoreRef: {name: ca, key: "a/b"}}`, []string{"spec.mutualTLS.truststoreRef.key", "should match"}},
		{"base path slashes", "DomainName", `mappings: [{basePath: "/orders", restApiRef: {name: pets}, stage: prod}]`, []string{"spec.mappings[0].basePath", "should match"}},
		{"base path trailing slash", "DomainName", `mappings: [{basePath: "orders/", restApiRef: {name: pets}, stage: prod}]`, []string{"spec.mappings[0].basePath", "should match"}},
		{"base path dot segment", "DomainName", `mappings: [{basePath: "orders/../admin", restApiRef: {name: pets}, stage: prod}]`, []string{"spec.mappings[0].basePath", "cannot be . or .."}},
		{"root twice, once omitted", "DomainName", `mappings: [{restApiRef: {name: a}, stage: prod}, {basePath: "", restApiRef: {name: b}, stage: prod}]`, []string{"spec.mappings", "each basePath may appear only once"}},
		{"base paths unique", "DomainName", `mappings: [{basePath: orders, restApiRef: {name: a}, stage: prod}, {basePath: orders, restApiRef: {name: b}, stage: prod}]`, []string{"spec.mappings", "each basePath may appear only once"}},
		{"mapping stage syntax", "DomainName", `mappings: [{basePath: "", restApiRef: {name: pets}, stage: "a/b"}]`, []string{"spec.mappings[0].stage", "should match"}},
	}
}
