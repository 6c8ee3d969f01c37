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

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RouteSpec is one resource and its methods (HTTP APIs), or one route key (WEBSOCKET APIs),
// with how requests are authorized, validated, cached and integrated.
//
// +kubebuilder:validation:XValidation:rule="has(self.path) != has(self.routeKey)",message="set exactly one of path (HTTP APIs) and routeKey (WEBSOCKET APIs)"
// +kubebuilder:validation:XValidation:rule="!has(self.routeKey) || !has(self.methods) || self.methods == ['ANY']",message="methods apply to path routes; a routeKey route answers every message of its key"
// +kubebuilder:validation:XValidation:rule="!has(self.routeKey) || self.routeKey == '$connect' || !has(self.authorization) || (!has(self.authorization.authorizerRef) && !(has(self.authorization.apiKeyRequired) && self.authorization.apiKeyRequired))",message="on a WEBSOCKET API only $connect is authorized (authorizerRef, apiKeyRequired): later messages carry the connection's identity"
// +kubebuilder:validation:XValidation:rule="!has(self.routeResponseSelectionExpression) || has(self.routeKey)",message="routeResponseSelectionExpression applies to WEBSOCKET routes (routeKey) only"
// +kubebuilder:validation:XValidation:rule="!has(self.routeResponseSelectionExpression) || !has(self.routeKey) || (self.routeKey != '$connect' && self.routeKey != '$disconnect')",message="$connect and $disconnect cannot be two-way routes: there is no open connection to answer on"
type RouteSpec struct {
	// restApiRef names the RestApi this route belongs to, in the same namespace.
	// +required
	RestApiRef LocalObjectReference `json:"restApiRef"`

	// path is the resource path: "/" for the root, or "/"-separated segments, each a literal
	// or a {param}, and optionally a greedy {name+} as the last segment, which matches the
	// rest of the path. Served under /{stageName}. Example: /pets/{petId}.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self == '/' || self.matches('^(/([A-Za-z0-9._~!$&\\'()*,;=:@-]+|[{][A-Za-z_][A-Za-z0-9_]*[}]))*(/[{][A-Za-z_][A-Za-z0-9_]*[+][}])?$')",message="path must be \"/\" or \"/\"-separated segments, each a literal (letters, digits and ._~!$&'()*,;=:@-) or a {param}; a greedy {name+} may only be the last segment; no trailing slash"
	// +optional
	Path string `json:"path,omitempty"`

	// methods this route answers. ANY (the default) answers every method and cannot be
	// combined with others. Example: [GET, HEAD].
	// +kubebuilder:default={ANY}
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:validation:XValidation:rule="!('ANY' in self) || size(self) == 1",message="ANY already covers every method; list it alone"
	// +listType=set
	// +optional
	Methods []HTTPMethod `json:"methods,omitempty"`

	// routeKey is the WEBSOCKET route this Route serves: $connect, $disconnect, $default, or
	// the value of the API's routeSelectionExpression. Example: sendMessage.
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^(\$connect|\$disconnect|\$default|[A-Za-z0-9_.:-]+)$`
	// +optional
	RouteKey string `json:"routeKey,omitempty"`

	// routeResponseSelectionExpression makes a WEBSOCKET route two-way: the integration's
	// response body is sent back on the connection as one message. The only value is
	// $default, as in Amazon API Gateway. Not for $connect or $disconnect.
	// +kubebuilder:validation:Enum=$default
	// +optional
	RouteResponseSelectionExpression string `json:"routeResponseSelectionExpression,omitempty"`

	// authorization of this route. Unset uses the RestApi's defaultAuthorization.
	// Example: {authorizerRef: {name: jwt}, scopes: ["pets:read"], apiKeyRequired: true}, or
	// {type: NONE} for an open route.
	// +optional
	Authorization *Authorization `json:"authorization,omitempty"`

	// requestValidation checks requests before the integration is called.
	// +optional
	RequestValidation *RequestValidation `json:"requestValidation,omitempty"`

	// integration is where requests go.
	// +required
	Integration Integration `json:"integration"`

	// cacheKeyParameters are the request values, besides method and resource path, that make
	// up the response cache key: path.<name>, querystring.<name>, header.<name>, and, beyond
	// AWS, the caller as the authorizer and the API key step verified it,
	// context.authorizer.principalId and context.identity.apiKeyId, so that each caller of a
	// route behind an authorizer or an API key gets its own cached answers. A path.<name>
	// must be a parameter of the route's path (the Route is refused otherwise).
	// Example: ["path.petId", "querystring.lang", "context.authorizer.principalId"].
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=256
	// +kubebuilder:validation:items:Pattern=`^((path|querystring|header)\.[A-Za-z0-9_.~-]+|context\.authorizer\.principalId|context\.identity\.apiKeyId)$`
	// +listType=set
	// +optional
	CacheKeyParameters []string `json:"cacheKeyParameters,omitempty"`
}

// ModelName names a model of the RestApi: 1 to 64 letters and digits. (A schema on the
// value, rather than a CEL rule over the map, keeps the API server's rule cost in budget.)
// +kubebuilder:validation:Pattern=`^[A-Za-z0-9]{1,64}$`
// +kubebuilder:validation:MaxLength=64
type ModelName string

// RequestValidation checks requests against a model and required parameters. A failing
// request gets 400 BAD_REQUEST_BODY or BAD_REQUEST_PARAMETERS.
type RequestValidation struct {
	// body names a model of the RestApi that request bodies must satisfy, whatever their
	// content type (bodies, when it names the request's content type, takes precedence). A
	// body that is not JSON, or does not satisfy the model, is refused with 400
	// BAD_REQUEST_BODY. Example: Pet.
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9]{1,64}$`
	// +optional
	Body string `json:"body,omitempty"`

	// bodies names a model of the RestApi per request content type (the media type without
	// parameters, lower case). A request whose content type is not listed is validated
	// against body, if set, and otherwise not at all, as in Amazon API Gateway.
	// Example: {application/json: Pet, application/vnd.pet+json: PetV2}.
	// +kubebuilder:validation:MaxProperties=16
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+$'))",message="each key is a content type such as application/json"
	// +optional
	Bodies map[string]ModelName `json:"bodies,omitempty"`

	// requiredParameters must be present, as querystring.<name>, header.<name> or
	// path.<name> (a parameter of the route's path; the Route is refused otherwise).
	// Example: ["querystring.page", "header.x-trace"].
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=256
	// +kubebuilder:validation:items:Pattern=`^(path|querystring|header)\.[A-Za-z0-9_.~-]+$`
	// +listType=set
	// +optional
	RequiredParameters []string `json:"requiredParameters,omitempty"`
}

// IntegrationType says how a route reaches its backend.
// +kubebuilder:validation:Enum=HTTP_PROXY;HTTP;MOCK;LAMBDA_PROXY
type IntegrationType string

// Integration types.
const (
	// IntegrationHTTPProxy passes the request through and the response back, unchanged.
	IntegrationHTTPProxy IntegrationType = "HTTP_PROXY"
	// IntegrationHTTP calls an HTTP backend with mapped request parameters.
	IntegrationHTTP IntegrationType = "HTTP"
	// IntegrationMock answers from the gateway without a backend.
	IntegrationMock IntegrationType = "MOCK"
	// IntegrationLambdaProxy POSTs the Lambda proxy event to an HTTP service and maps its
	// Lambda proxy response back.
	IntegrationLambdaProxy IntegrationType = "LAMBDA_PROXY"
)

// Integration is the backend of a route.
//
// +kubebuilder:validation:XValidation:rule="self.type != 'MOCK' || ((has(self.mock) || has(self.requestTemplates) || has(self.responses)) && !has(self.uri) && !has(self.backendRef))",message="a MOCK integration needs mock (or requestTemplates and responses), and no uri or backendRef"
// +kubebuilder:validation:XValidation:rule="self.type == 'MOCK' || has(self.uri) != has(self.backendRef)",message="HTTP_PROXY, HTTP and LAMBDA_PROXY integrations need exactly one of uri and backendRef"
// +kubebuilder:validation:XValidation:rule="!has(self.mock) || self.type == 'MOCK'",message="mock applies to MOCK integrations only"
// +kubebuilder:validation:XValidation:rule="!has(self.payloadFormatVersion) || self.type == 'LAMBDA_PROXY'",message="payloadFormatVersion applies to LAMBDA_PROXY integrations only"
// +kubebuilder:validation:XValidation:rule="self.type == 'HTTP' || (self.type == 'MOCK' && !has(self.httpMethod) && !has(self.contentHandling)) || (!has(self.httpMethod) && !has(self.passthroughBehavior) && !has(self.requestTemplates) && !has(self.contentHandling) && !has(self.responses))",message="passthroughBehavior, requestTemplates and responses apply to HTTP and MOCK integrations only; httpMethod and contentHandling to HTTP only"
type Integration struct {
	// type of integration: HTTP_PROXY, HTTP, MOCK or LAMBDA_PROXY.
	// +required
	Type IntegrationType `json:"type"`

	// backendRef sends requests to a Service port in the same namespace, keeping the
	// request's path under the route. Example: {name: pets-svc, port: 8080}.
	// +optional
	BackendRef *BackendRef `json:"backendRef,omitempty"`

	// uri is the backend URL, with ${stageVariables.name} and {param} path parameters
	// substituted per request (a greedy {proxy+} is written {proxy} here).
	// Example: http://${stageVariables.backend}/pets/{petId}.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.startsWith('http://') || self.startsWith('https://')",message="uri must start with http:// or https://"
	// +optional
	URI string `json:"uri,omitempty"`

	// timeoutMillis bounds the backend call; past it the client gets 504 INTEGRATION_TIMEOUT.
	// +kubebuilder:default=29000
	// +kubebuilder:validation:Minimum=50
	// +kubebuilder:validation:Maximum=29000
	// +optional
	TimeoutMillis int32 `json:"timeoutMillis,omitempty"`

	// payloadFormatVersion of the Lambda proxy event and response: "1.0" or "2.0".
	// LAMBDA_PROXY only; unset means "1.0", what REST APIs send. Example: "2.0".
	// +kubebuilder:validation:Enum="1.0";"2.0"
	// +optional
	PayloadFormatVersion string `json:"payloadFormatVersion,omitempty"`

	// mock is the response of a MOCK integration.
	// +optional
	Mock *MockResponse `json:"mock,omitempty"`

	// requestParameters map values into the integration request, keyed by target
	// (header.<name>, querystring.<name> or path.<name>, which fills the uri's {name}). A
	// value is a $context.<var>, $request.header|querystring|path.<name>,
	// $stageVariables.<name>, or a static string in single quotes. HTTP and HTTP_PROXY only:
	// a LAMBDA_PROXY function gets the request in its event, a MOCK calls nothing (refused,
	// reason Unsupported). Example: {"header.x-user": "$context.authorizer.principalId"}.
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^(header|querystring|path)\\\\.[A-Za-z0-9_.~-]+$'))",message="each key is header.<name>, querystring.<name> or path.<name>"
	// +kubebuilder:validation:XValidation:rule="self.all(k, self[k].matches('^(\\\\$(context|request|stageVariables)\\\\.[A-Za-z0-9_.~-]+|\\'[^\\']*\\')$'))",message="each value is $context.<var>, $request.<location>.<name>, $stageVariables.<name>, or a 'static' string in single quotes"
	// +optional
	RequestParameters map[string]ParameterSource `json:"requestParameters,omitempty"`

	// --- request and response model (HTTP integrations) ---

	// httpMethod is the method of the backend request. HTTP only; unset sends the
	// client's method.
	// +kubebuilder:validation:Enum=GET;POST;PUT;PATCH;DELETE;HEAD;OPTIONS
	// +optional
	HTTPMethod string `json:"httpMethod,omitempty"`

	// passthroughBehavior says what happens to a request body whose content type has no
	// request template: WHEN_NO_MATCH (the default) sends it unchanged; WHEN_NO_TEMPLATES
	// sends it unchanged only when no template is defined at all, and answers 415
	// UNSUPPORTED_MEDIA_TYPE otherwise; NEVER answers 415. HTTP and MOCK.
	// +optional
	PassthroughBehavior PassthroughBehavior `json:"passthroughBehavior,omitempty"`

	// requestTemplates are mapping templates (API Gateway's Velocity subset, see
	// docs/transform.md) that render the backend request's body, by the request's content
	// type (application/json when it sends none). HTTP and MOCK: a MOCK's template decides
	// its status, as in AWS ({"statusCode": 200}).
	// Example: {application/json: '{"petId": "$input.params(''petId'')", "name": $input.json(''$.name'')}'}.
	// +kubebuilder:validation:MaxProperties=16
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+$'))",message="each key is a content type such as application/json (no wildcard: the request's content type selects its template exactly)"
	// +optional
	RequestTemplates map[string]MappingTemplate `json:"requestTemplates,omitempty"`

	// contentHandling converts the request body before the template or pass-through:
	// CONVERT_TO_TEXT base64-encodes a binary body (one of the API's binaryMediaTypes),
	// CONVERT_TO_BINARY base64-decodes a body that is not of a binary media type (a binary
	// one passes as it is, as in AWS). Unset leaves it as it is. HTTP only.
	// +optional
	ContentHandling ContentHandling `json:"contentHandling,omitempty"`

	// responses are the integration responses: the first whose selectionPattern (a regular
	// expression matching the whole status code) matches the backend's status is used,
	// else the one without a selectionPattern. Each sets the status, headers and body
	// template of the client's response. Unset passes the backend's status, content type
	// and body through. HTTP and MOCK (a MOCK's status is its request template's statusCode).
	// Example: [{selectionPattern: "4\\d{2}", statusCode: 400}, {statusCode: 200}].
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:XValidation:rule="self.filter(r, !has(r.selectionPattern)).size() <= 1",message="at most one response is the default (without selectionPattern)"
	// +listType=atomic
	// +optional
	Responses []IntegrationResponse `json:"responses,omitempty"`
}

// MappingTemplate is a mapping template, at most 300 KB as in Amazon API Gateway.
// +kubebuilder:validation:MaxLength=307200
type MappingTemplate string

// PassthroughBehavior says what to do with a request body no template maps.
// +kubebuilder:validation:Enum=WHEN_NO_MATCH;WHEN_NO_TEMPLATES;NEVER
type PassthroughBehavior string

// Passthrough behaviours.
const (
	PassthroughWhenNoMatch     PassthroughBehavior = "WHEN_NO_MATCH"
	PassthroughWhenNoTemplates PassthroughBehavior = "WHEN_NO_TEMPLATES"
	PassthroughNever           PassthroughBehavior = "NEVER"
)

// ContentHandling converts a body between binary and base64 text.
// +kubebuilder:validation:Enum=CONVERT_TO_TEXT;CONVERT_TO_BINARY
type ContentHandling string

// Content handling conversions.
const (
	ConvertToText   ContentHandling = "CONVERT_TO_TEXT"
	ConvertToBinary ContentHandling = "CONVERT_TO_BINARY"
)

// IntegrationResponse maps a backend answer to the client's response.
type IntegrationResponse struct {
	// selectionPattern is a regular expression (RE2 syntax) that must match the backend's
	// whole status code. Unset marks the default response. Example: "4\\d{2}".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +optional
	SelectionPattern string `json:"selectionPattern,omitempty"`

	// statusCode of the client's response.
	// +kubebuilder:default=200
	// +kubebuilder:validation:Minimum=200
	// +kubebuilder:validation:Maximum=599
	// +optional
	StatusCode int32 `json:"statusCode,omitempty"`

	// responseParameters set headers of the client's response, keyed header.<name>, from
	// integration.response.header.<name>, integration.response.body (the whole body),
	// integration.response.body.<JSONPath> (a value of the JSON body: "error.code" reads
	// "$.error.code"; a string as it is, anything else as JSON) or a static string in single
	// quotes.
	// Example: {"header.x-reason": "integration.response.header.x-error", "header.cache-control": "'no-store'"}.
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^header\\\\.[A-Za-z0-9!#$%&*+.^_|~-]+$'))",message="each key is header.<name>"
	// +kubebuilder:validation:XValidation:rule="self.all(k, self[k].matches('^(integration\\\\.response\\\\.header\\\\.[A-Za-z0-9!#$%&*+.^_|~-]+|integration\\\\.response\\\\.body(\\\\..+)?|\\'[^\\']*\\')$'))",message="each value is integration.response.header.<name>, integration.response.body, integration.response.body.<JSONPath>, or a 'static' string in single quotes"
	// +optional
	ResponseParameters map[string]ParameterSource `json:"responseParameters,omitempty"`

	// responseTemplates render the client's response body by content type, chosen by the
	// client's Accept header (application/json otherwise); $input is the backend's body.
	// Unset passes the backend's body through.
	// Example: {application/json: '{"id": $input.json(''$.id'')}'}.
	// +kubebuilder:validation:MaxProperties=16
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+$'))",message="each key is a content type such as application/json"
	// +optional
	ResponseTemplates map[string]MappingTemplate `json:"responseTemplates,omitempty"`
}

// ParameterSource is where a mapped request parameter's value comes from.
// +kubebuilder:validation:MaxLength=512
type ParameterSource string

// MockResponse is the fixed answer of a MOCK integration.
type MockResponse struct {
	// statusCode of the response: a final status, 200 to 599.
	// +kubebuilder:default=200
	// +kubebuilder:validation:Minimum=200
	// +kubebuilder:validation:Maximum=599
	// +optional
	StatusCode int32 `json:"statusCode,omitempty"`

	// headers of the response. Example: {content-type: application/json}.
	// +kubebuilder:validation:MaxProperties=32
	// +optional
	Headers map[string]string `json:"headers,omitempty"`

	// body of the response. Example: '{"id": 1}'.
	// +kubebuilder:validation:MaxLength=65536
	// +optional
	Body string `json:"body,omitempty"`
}

// RouteStatus is the observed state of a Route.
type RouteStatus struct {
	CommonStatus `json:",inline"`
}

// Route is a resource path and its methods (or a WEBSOCKET route key) of a RestApi, with its
// integration. Two Routes of one API with the same path and method conflict: both are
// refused, with a condition naming the other, and the rest of the API keeps working.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=rte,categories=portico
// +kubebuilder:printcolumn:name="API",type=string,JSONPath=`.spec.restApiRef.name`
// +kubebuilder:printcolumn:name="Methods",type=string,JSONPath=`.spec.methods`
// +kubebuilder:printcolumn:name="Path",type=string,JSONPath=`.spec.path`
// +kubebuilder:printcolumn:name="Route Key",type=string,JSONPath=`.spec.routeKey`,priority=1
// +kubebuilder:printcolumn:name="Integration",type=string,JSONPath=`.spec.integration.type`
// +kubebuilder:printcolumn:name="Route Response",type=string,JSONPath=`.spec.routeResponseSelectionExpression`,priority=1
// +kubebuilder:printcolumn:name="Accepted",type=string,JSONPath=`.status.conditions[?(@.type=="Accepted")].status`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Route struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec describes the route.
	// +required
	Spec RouteSpec `json:"spec"`

	// status is written by the controller.
	// +optional
	Status RouteStatus `json:"status,omitempty"`
}

// RouteList is a list of Routes.
//
// +kubebuilder:object:root=true
type RouteList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Route `json:"items"`
}
