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
	"k8s.io/apimachinery/pkg/runtime"
)

// Protocol is the protocol an API speaks.
// +kubebuilder:validation:Enum=HTTP;WEBSOCKET
type Protocol string

// Protocols.
const (
	ProtocolHTTP      Protocol = "HTTP"
	ProtocolWebSocket Protocol = "WEBSOCKET"
)

// APIKeySource says where the proxy reads a request's API key.
// +kubebuilder:validation:Enum=HEADER;AUTHORIZER
type APIKeySource string

// API key sources.
const (
	// APIKeySourceHeader reads the key from the x-api-key request header.
	APIKeySourceHeader APIKeySource = "HEADER"
	// APIKeySourceAuthorizer takes the usageIdentifierKey a function authorizer returned.
	APIKeySourceAuthorizer APIKeySource = "AUTHORIZER"
)

// GatewayResponseType names an error the gateway itself answers. See docs/api.md for the
// status code and message of each. (The valid names are checked by a rule on
// RestApiSpec.gatewayResponses: OpenAPI cannot put an enum on map keys.)
type GatewayResponseType string

// Gateway response types, as in Amazon API Gateway.
const (
	GatewayResponseDefault4XX                 GatewayResponseType = "DEFAULT_4XX"
	GatewayResponseDefault5XX                 GatewayResponseType = "DEFAULT_5XX"
	GatewayResponseResourceNotFound           GatewayResponseType = "RESOURCE_NOT_FOUND"
	GatewayResponseMissingAuthenticationToken GatewayResponseType = "MISSING_AUTHENTICATION_TOKEN"
	GatewayResponseInvalidAPIKey              GatewayResponseType = "INVALID_API_KEY"
	GatewayResponseAccessDenied               GatewayResponseType = "ACCESS_DENIED"
	GatewayResponseUnauthorized               GatewayResponseType = "UNAUTHORIZED"
	GatewayResponseExpiredToken               GatewayResponseType = "EXPIRED_TOKEN"
	GatewayResponseAuthorizerFailure          GatewayResponseType = "AUTHORIZER_FAILURE"
	GatewayResponseThrottled                  GatewayResponseType = "THROTTLED"
	GatewayResponseQuotaExceeded              GatewayResponseType = "QUOTA_EXCEEDED"
	GatewayResponseBadRequestBody             GatewayResponseType = "BAD_REQUEST_BODY"
	GatewayResponseBadRequestParameters       GatewayResponseType = "BAD_REQUEST_PARAMETERS"
	GatewayResponseRequestTooLarge            GatewayResponseType = "REQUEST_TOO_LARGE"
	GatewayResponseUnsupportedMediaType       GatewayResponseType = "UNSUPPORTED_MEDIA_TYPE"
	GatewayResponseIntegrationFailure         GatewayResponseType = "INTEGRATION_FAILURE"
	GatewayResponseIntegrationTimeout         GatewayResponseType = "INTEGRATION_TIMEOUT"
	// GatewayResponseAPIConfigurationError is AWS's answer to an API it cannot run as
	// configured: a mapping template that fails at run time.
	GatewayResponseAPIConfigurationError GatewayResponseType = "API_CONFIGURATION_ERROR"
)

// RestApiSpec describes one API: its hosts, how it authenticates by default, its CORS and
// resource policies, error responses and request models. Its Routes, Authorizers and models
// compile into revisions that Stages deploy.
//
// +kubebuilder:validation:XValidation:rule="!has(self.routeSelectionExpression) || self.protocol == 'WEBSOCKET'",message="routeSelectionExpression applies to WEBSOCKET APIs only"
// +kubebuilder:validation:XValidation:rule="self.protocol != 'WEBSOCKET' || has(self.routeSelectionExpression)",message="a WEBSOCKET API needs routeSelectionExpression, for example $request.body.action"
// +kubebuilder:validation:XValidation:rule="!has(self.websocket) || self.protocol == 'WEBSOCKET'",message="websocket applies to WEBSOCKET APIs only"
// +kubebuilder:validation:XValidation:rule="!has(self.apiKeySelectionExpression) || self.protocol == 'WEBSOCKET'",message="apiKeySelectionExpression applies to WEBSOCKET APIs only; HTTP APIs use apiKeySource"
// +kubebuilder:validation:XValidation:rule="self.protocol != 'WEBSOCKET' || !has(self.cors)",message="cors applies to HTTP APIs only: browsers send no CORS preflight for a WebSocket, and a $connect authorizer decides who connects"
// +kubebuilder:validation:XValidation:rule="self.protocol != 'WEBSOCKET' || !has(self.binaryMediaTypes)",message="binaryMediaTypes applies to HTTP APIs only: a WEBSOCKET API's binary messages reach functions base64-encoded whatever their type"
// +kubebuilder:validation:XValidation:rule="self.protocol != 'WEBSOCKET' || !has(self.minimumCompressionSize)",message="minimumCompressionSize applies to HTTP APIs only: WEBSOCKET messages are sent as the integration answered"
// +kubebuilder:validation:XValidation:rule="self.protocol != 'WEBSOCKET' || !has(self.models)",message="models apply to HTTP APIs only: WEBSOCKET routes do not validate messages"
type RestApiSpec struct {
	// description of the API, for people.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Description string `json:"description,omitempty"`

	// protocol of the API: HTTP (REST and HTTP APIs) or WEBSOCKET.
	// +kubebuilder:default=HTTP
	// +optional
	Protocol Protocol `json:"protocol,omitempty"`

	// hostnames this API answers for, matched against the request's Host header. Empty means
	// every host. A leading "*." matches any one or more labels, as in "*.example.com".
	// Example: ["pets.example.com", "*.pets.example.com"].
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=253
	// +kubebuilder:validation:items:Pattern=`^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +listType=set
	// +optional
	Hostnames []string `json:"hostnames,omitempty"`

	// apiKeySource says where API keys come from: HEADER reads the x-api-key header;
	// AUTHORIZER takes the usageIdentifierKey that a TOKEN or REQUEST authorizer returned.
	// +kubebuilder:default=HEADER
	// +optional
	APIKeySource APIKeySource `json:"apiKeySource,omitempty"`

	// defaultAuthorization applies to every Route that does not set its own authorization.
	// Example: {authorizerRef: {name: jwt}, apiKeyRequired: false}.
	// +optional
	DefaultAuthorization *Authorization `json:"defaultAuthorization,omitempty"`

	// cors, when set, makes the gateway answer CORS preflight requests (before
	// authorization, as browsers send no credentials with them) and add CORS headers to
	// actual responses.
	// +optional
	CORS *CORSPolicy `json:"cors,omitempty"`

	// binaryMediaTypes are content types whose bodies are passed as base64 to LAMBDA_PROXY
	// integrations, as Amazon API Gateway does. "*/*" treats every body as binary.
	// Example: ["image/png", "application/octet-stream"].
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=256
	// +listType=set
	// +optional
	BinaryMediaTypes []string `json:"binaryMediaTypes,omitempty"`

	// minimumCompressionSize turns on response compression for bodies of at least this many
	// bytes: gzip or deflate, by the client's Accept-Encoding and its q-values, unless the
	// response is already encoded. Request bodies sent with Content-Encoding gzip or deflate
	// are decompressed for validation and mapping templates whether or not it is set. Unset
	// means no response compression.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=10485760
	// +optional
	MinimumCompressionSize *int32 `json:"minimumCompressionSize,omitempty"`

	// policy is the subset of an API Gateway resource policy that Portico enforces: source
	// IP allow and deny lists.
	// +optional
	Policy *ResourcePolicy `json:"policy,omitempty"`

	// gatewayResponses override the responses the gateway itself sends, by response type.
	// DEFAULT_4XX and DEFAULT_5XX apply to every type of that class without an entry.
	// Example: {THROTTLED: {statusCode: 429, headers: {Retry-After: "1"}, body: '{"error":"slow down"}'}}.
	// +kubebuilder:validation:MaxProperties=18
	// +kubebuilder:validation:XValidation:rule="self.all(k, k in ['DEFAULT_4XX', 'DEFAULT_5XX', 'RESOURCE_NOT_FOUND', 'MISSING_AUTHENTICATION_TOKEN', 'INVALID_API_KEY', 'ACCESS_DENIED', 'UNAUTHORIZED', 'EXPIRED_TOKEN', 'AUTHORIZER_FAILURE', 'THROTTLED', 'QUOTA_EXCEEDED', 'BAD_REQUEST_BODY', 'BAD_REQUEST_PARAMETERS', 'REQUEST_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'INTEGRATION_FAILURE', 'INTEGRATION_TIMEOUT', 'API_CONFIGURATION_ERROR'])",message="gateway response types are DEFAULT_4XX, DEFAULT_5XX, RESOURCE_NOT_FOUND, MISSING_AUTHENTICATION_TOKEN, INVALID_API_KEY, ACCESS_DENIED, UNAUTHORIZED, EXPIRED_TOKEN, AUTHORIZER_FAILURE, THROTTLED, QUOTA_EXCEEDED, BAD_REQUEST_BODY, BAD_REQUEST_PARAMETERS, REQUEST_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, INTEGRATION_FAILURE, INTEGRATION_TIMEOUT, API_CONFIGURATION_ERROR"
	// +optional
	GatewayResponses map[GatewayResponseType]GatewayResponse `json:"gatewayResponses,omitempty"`

	// models are JSON Schemas (draft 4 or later) that Routes name in
	// requestValidation.body, keyed by model name (letters and digits).
	// Example: {Pet: {contentType: application/json, schema: {type: object, required: [name]}}}.
	// +kubebuilder:validation:MaxProperties=128
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^[A-Za-z0-9]{1,64}$'))",message="model names are 1 to 64 letters and digits"
	// +optional
	Models map[string]Model `json:"models,omitempty"`

	// routeSelectionExpression picks the route of each WEBSOCKET message, from a JSON
	// field of its body. WEBSOCKET only. Example: $request.body.action.
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^\$request\.body\.[A-Za-z0-9_.]+$`
	// +optional
	RouteSelectionExpression string `json:"routeSelectionExpression,omitempty"`

	// WEBSOCKET APIs (API.md, Part 2, "WebSocket APIs").

	// apiKeySelectionExpression says where a WEBSOCKET API's $connect reads the API key, for
	// a $connect route with apiKeyRequired: $request.header.<name>,
	// $request.querystring.<name> (browsers cannot set headers on a WebSocket), or
	// $context.authorizer.usageIdentifierKey (what a function authorizer returned).
	// WEBSOCKET only; unset reads the x-api-key header. Example: $request.header.x-api-key.
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^(\$request\.header\.[A-Za-z0-9!#$%&'*+.^_|~-]+|\$request\.querystring\.[A-Za-z0-9_.~-]+|\$context\.authorizer\.usageIdentifierKey)$`
	// +optional
	APIKeySelectionExpression string `json:"apiKeySelectionExpression,omitempty"`

	// websocket holds the connection limits of a WEBSOCKET API and the API keys allowed to
	// call its @connections management API. WEBSOCKET only.
	// Example: {idleTimeoutSeconds: 600, managementApiKeys: [{name: chat-backend}]}.
	// +optional
	WebSocket *WebSocketSettings `json:"websocket,omitempty"`
	// disableDefaultEndpoint serves the API only through the DomainNames that map it: the
	// default endpoint, http(s)://<gateway>/{stageName}/, answers 403 {"message": "Forbidden"}
	// for it, as AWS does.
	// +optional
	DisableDefaultEndpoint bool `json:"disableDefaultEndpoint,omitempty"`

	// revisionHistoryLimit is how many of the latest revisions to keep. Older ones are
	// pruned, except any a Stage deploys (or its canary), which are kept beyond the limit.
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	// +optional
	RevisionHistoryLimit *int32 `json:"revisionHistoryLimit,omitempty"`
}

// WebSocketSettings are the limits of a WEBSOCKET API's connections and who may manage them.
// Unset fields take Amazon API Gateway's values.
type WebSocketSettings struct {
	// idleTimeoutSeconds closes a connection that neither sent nor received a message for
	// this long, after which $disconnect runs. 10 to 7200; AWS's is 600 (10 minutes).
	// +kubebuilder:default=600
	// +kubebuilder:validation:Minimum=10
	// +kubebuilder:validation:Maximum=7200
	// +optional
	IdleTimeoutSeconds int32 `json:"idleTimeoutSeconds,omitempty"`

	// maxConnectionSeconds closes every connection this long after it opened, after which
	// $disconnect runs. 60 to 86400; AWS's is 7200 (2 hours).
	// +kubebuilder:default=7200
	// +kubebuilder:validation:Minimum=60
	// +kubebuilder:validation:Maximum=86400
	// +optional
	MaxConnectionSeconds int32 `json:"maxConnectionSeconds,omitempty"`

	// maxMessageBytes is the largest message a client may send; a larger one closes the
	// connection with close code 1009 (message too big). 1024 to 1048576; AWS's is 131072
	// (128 KB).
	// +kubebuilder:default=131072
	// +kubebuilder:validation:Minimum=1024
	// +kubebuilder:validation:Maximum=1048576
	// +optional
	MaxMessageBytes int32 `json:"maxMessageBytes,omitempty"`

	// managementApiKeys name API key Secrets (type apigateway.portico.dev/api-key, in the
	// same namespace) whose keys may call this API's @connections management API, sent in
	// x-api-key. Without any, every @connections call is refused with 403.
	// Example: [{name: chat-backend}].
	// +kubebuilder:validation:MaxItems=16
	// +listType=map
	// +listMapKey=name
	// +optional
	ManagementAPIKeys []LocalObjectReference `json:"managementApiKeys,omitempty"`
}

// AuthorizationType says whether a route is open or protected by an authorizer.
// +kubebuilder:validation:Enum=NONE;AUTHORIZER
type AuthorizationType string

// Authorization types.
const (
	AuthorizationNone       AuthorizationType = "NONE"
	AuthorizationAuthorizer AuthorizationType = "AUTHORIZER"
)

// Authorization says how requests are authenticated and authorized.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.type) && self.type == 'NONE' && has(self.authorizerRef))",message="type NONE cannot name an authorizerRef"
// +kubebuilder:validation:XValidation:rule="!(has(self.type) && self.type == 'AUTHORIZER' && !has(self.authorizerRef))",message="type AUTHORIZER needs authorizerRef"
// +kubebuilder:validation:XValidation:rule="!has(self.scopes) || has(self.authorizerRef)",message="scopes need an authorizerRef"
type Authorization struct {
	// type is NONE for an open route, overriding the API's defaultAuthorization, or
	// AUTHORIZER; it is inferred from authorizerRef when omitted. A route's authorization
	// with neither (only apiKeyRequired) keeps the default's authorizer and scopes: only
	// type NONE drops them.
	// +optional
	Type AuthorizationType `json:"type,omitempty"`

	// authorizerRef names the Authorizer, in the same namespace.
	// +optional
	AuthorizerRef *LocalObjectReference `json:"authorizerRef,omitempty"`

	// scopes the JWT must carry (in its scope or scp claim), any one of them. JWT
	// authorizers only. Example: ["pets:read"].
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=256
	// +listType=set
	// +optional
	Scopes []string `json:"scopes,omitempty"`

	// apiKeyRequired requires a valid API key of a UsagePlan bound to the stage.
	// +optional
	APIKeyRequired bool `json:"apiKeyRequired,omitempty"`
}

// CORSPolicy is the CORS configuration of an API.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.allowCredentials) && self.allowCredentials && has(self.allowOrigins) && '*' in self.allowOrigins)",message="allowCredentials cannot be used with the wildcard origin \"*\" (the Fetch standard forbids it); list the origins"
type CORSPolicy struct {
	// allowOrigins are the origins allowed, as scheme://host[:port], or "*" for any.
	// Example: ["https://app.example.com"].
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="self.all(o, o == '*' || o.matches('^https?://[^/*]+$') || o.matches('^https?://\\\\*\\\\.[^/*]+$'))",message="each origin is \"*\" or scheme://host[:port], optionally with a \"*.\" host prefix, and no path"
	// +listType=set
	// +optional
	AllowOrigins []string `json:"allowOrigins,omitempty"`

	// allowMethods are the methods allowed for cross-origin requests. Example: [GET, POST].
	// +kubebuilder:validation:MaxItems=8
	// +listType=set
	// +optional
	AllowMethods []HTTPMethod `json:"allowMethods,omitempty"`

	// allowHeaders are the request headers allowed, or "*". Example: [authorization, content-type].
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=256
	// +listType=set
	// +optional
	AllowHeaders []string `json:"allowHeaders,omitempty"`

	// exposeHeaders are the response headers browsers may read. Example: [x-request-id].
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=256
	// +listType=set
	// +optional
	ExposeHeaders []string `json:"exposeHeaders,omitempty"`

	// maxAgeSeconds is how long browsers may cache a preflight answer.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=86400
	// +optional
	MaxAgeSeconds *int32 `json:"maxAgeSeconds,omitempty"`

	// allowCredentials lets browsers send cookies and authorization headers.
	// +optional
	AllowCredentials bool `json:"allowCredentials,omitempty"`
}

// ResourcePolicy restricts who may call the API.
type ResourcePolicy struct {
	// sourceIPs allows or denies clients by address. Deny wins over allow.
	// +optional
	SourceIPs *SourceIPPolicy `json:"sourceIPs,omitempty"`
}

// SourceIPPolicy lists client addresses or CIDR ranges, IPv4 or IPv6. A request from a
// denied address, or from one outside a non-empty allow list, gets 403 ACCESS_DENIED.
type SourceIPPolicy struct {
	// allow lists the only addresses allowed, when not empty. Example: ["10.0.0.0/8"].
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.all(c, isCIDR(c) || isIP(c))",message="each entry is an IP address or a CIDR range such as 10.0.0.0/8"
	// +listType=set
	// +optional
	Allow []string `json:"allow,omitempty"`

	// deny lists addresses refused. Example: ["10.1.2.0/24"].
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.all(c, isCIDR(c) || isIP(c))",message="each entry is an IP address or a CIDR range such as 10.0.0.0/8"
	// +listType=set
	// +optional
	Deny []string `json:"deny,omitempty"`
}

// GatewayResponse replaces a response the gateway sends.
type GatewayResponse struct {
	// statusCode replaces the status code (a final one, 200 to 599: an interim 1xx would
	// not end the answer). Unset keeps the type's own.
	// +kubebuilder:validation:Minimum=200
	// +kubebuilder:validation:Maximum=599
	// +optional
	StatusCode *int32 `json:"statusCode,omitempty"`

	// headers are added to the response. Example: {Retry-After: "1"}.
	// +kubebuilder:validation:MaxProperties=32
	// +optional
	Headers map[string]string `json:"headers,omitempty"`

	// body replaces the JSON body. Unset keeps {"message": "..."}.
	// +kubebuilder:validation:MaxLength=65536
	// +optional
	Body *string `json:"body,omitempty"`

	// responseParameters set headers of the response from the request it answers, keyed
	// header.<name>, as Amazon API Gateway's gatewayresponse.header.<name>:
	// method.request.header.<name>, method.request.multivalueheader.<name>,
	// method.request.querystring.<name>, method.request.multivaluequerystring.<name>,
	// method.request.path.<name>, stageVariables.<name>, context.<variable> (or the
	// $request., $stageVariables. and $context. forms Routes use), or a 'static' value. A
	// value the request has not got (a header it did not send, a path parameter before a
	// route matched) leaves the header out; a repeated header or parameter gives its last
	// value, the multivalue forms all of them joined with commas. A header named in headers
	// too is refused here.
	// Example: {"header.x-request-origin": "method.request.header.Origin", "header.x-stage": "context.stage"}.
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^header\\\\.[A-Za-z0-9!#$%&*+.^_|~-]+$'))",message="each key is header.<name>"
	// +kubebuilder:validation:XValidation:rule="self.all(k, self[k].matches('^((method\\\\.request|\\\\$request)\\\\.(header|multivalueheader|querystring|multivaluequerystring|path)\\\\.[^\\\\s]+|\\\\$?(stageVariables|context)\\\\.[A-Za-z0-9_.]+|\\'[^\\']*\\')$'))",message="each value is method.request.header|multivalueheader|querystring|multivaluequerystring|path.<name>, stageVariables.<name>, context.<variable>, or a 'static' string in single quotes"
	// +optional
	ResponseParameters map[string]ParameterSource `json:"responseParameters,omitempty"`

	// --- request and response model (templates) ---

	// templates are mapping templates of the body by content type, chosen by the client's
	// Accept header (application/json otherwise), with $context.error.message,
	// $context.error.messageString (the message as a quoted JSON string),
	// $context.error.responseType and $context.error.validationErrorString, and the other
	// $context variables. A template replaces body for its content type.
	// Example: {application/json: '{"error": $context.error.messageString, "type": "$context.error.responseType"}'}.
	// +kubebuilder:validation:MaxProperties=8
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+$'))",message="each key is a content type such as application/json"
	// +optional
	Templates map[string]GatewayResponseTemplate `json:"templates,omitempty"`
}

// GatewayResponseTemplate is a gateway response's mapping template.
// +kubebuilder:validation:MaxLength=65536
type GatewayResponseTemplate string

// Model is a JSON Schema for request bodies.
type Model struct {
	// contentType is the media type the model describes, as an Amazon API Gateway model
	// has one: `kubectl portico export` lists a Route's requestValidation.body under it.
	// Which requests a model validates is the Route's choice (body for any content type
	// that bodies does not list, bodies by content type), not this field's.
	// +kubebuilder:default="application/json"
	// +kubebuilder:validation:MaxLength=256
	// +optional
	ContentType string `json:"contentType,omitempty"`

	// schema is a JSON Schema, draft 4 or later. Example: {type: object, required: [name]}.
	// +kubebuilder:pruning:PreserveUnknownFields
	// +required
	Schema runtime.RawExtension `json:"schema"`
}

// RestApiStatus is the observed state of a RestApi.
type RestApiStatus struct {
	CommonStatus `json:",inline"`

	// revision is the number of the newest revision: the latest compiled form of this API.
	// +optional
	Revision int64 `json:"revision,omitempty"`

	// routes counts the Routes accepted into the latest revision.
	// +optional
	Routes int32 `json:"routes,omitempty"`
}

// RestApi is an API: the unit that Routes, Authorizers and models belong to, and that Stages
// deploy. It maps to an Amazon API Gateway REST, HTTP or WebSocket API.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=rapi,categories=portico
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63",message="a RestApi name is at most 63 characters: it labels the API's revisions"
// +kubebuilder:printcolumn:name="Protocol",type=string,JSONPath=`.spec.protocol`
// +kubebuilder:printcolumn:name="Hostnames",type=string,JSONPath=`.spec.hostnames`
// +kubebuilder:printcolumn:name="Revision",type=integer,JSONPath=`.status.revision`
// +kubebuilder:printcolumn:name="Accepted",type=string,JSONPath=`.status.conditions[?(@.type=="Accepted")].status`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type RestApi struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec describes the API.
	// +required
	Spec RestApiSpec `json:"spec"`

	// status is written by the controller.
	// +optional
	Status RestApiStatus `json:"status,omitempty"`
}

// RestApiList is a list of RestApis.
//
// +kubebuilder:object:root=true
type RestApiList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []RestApi `json:"items"`
}
