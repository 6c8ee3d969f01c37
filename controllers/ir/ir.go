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

// Package ir is the intermediate representation between the compiler and the xDS
// translator: plain, sorted, JSON-serializable structs with no Kubernetes types.
//
// Two levels matter. An API is one compiled revision of a RestApi (its routes, authorizers,
// models and API-wide settings): what Amazon API Gateway calls a deployment. It is stored
// once per distinct content as a ControllerRevision. A Stage is what one stage serves: an API
// revision (and a canary's), plus stage variables, limits, cache settings and the usage plans
// bound to it, with API keys as SHA-256 hashes only.
package ir

// API is one compiled revision of a RestApi. Everything in it is sorted, so that equal APIs
// serialize to equal bytes and hash to the same revision.
type API struct {
	Protocol                 string                     `json:"protocol"`
	Hostnames                []string                   `json:"hostnames,omitempty"`
	APIKeySource             string                     `json:"apiKeySource"`
	CORS                     *CORS                      `json:"cors,omitempty"`
	BinaryMediaTypes         []string                   `json:"binaryMediaTypes,omitempty"`
	MinimumCompressionSize   *int32                     `json:"minimumCompressionSize,omitempty"`
	SourceIPs                *SourceIPs                 `json:"sourceIPs,omitempty"`
	GatewayResponses         map[string]GatewayResponse `json:"gatewayResponses,omitempty"`
	Models                   []Model                    `json:"models,omitempty"`
	RouteSelectionExpression string                     `json:"routeSelectionExpression,omitempty"`
	Routes                   []Route                    `json:"routes,omitempty"`
	Authorizers              []Authorizer               `json:"authorizers,omitempty"`

	// WEBSOCKET APIs.

	// APIKeySelectionExpression is where $connect reads the API key: $request.header.<name>
	// or $request.querystring.<name>; empty reads x-api-key. The authorizer's key is
	// APIKeySource AUTHORIZER instead.
	APIKeySelectionExpression string     `json:"apiKeySelectionExpression,omitempty"`
	WebSocket                 *WebSocket `json:"websocket,omitempty"`
}

// WebSocket are a WEBSOCKET API's connection limits, defaults applied.
type WebSocket struct {
	IdleTimeoutSeconds   int32 `json:"idleTimeoutSeconds"`
	MaxConnectionSeconds int32 `json:"maxConnectionSeconds"`
	MaxMessageBytes      int32 `json:"maxMessageBytes"`
}

// CORS is a RestApi's CORS policy.
type CORS struct {
	AllowOrigins     []string `json:"allowOrigins,omitempty"`
	AllowMethods     []string `json:"allowMethods,omitempty"`
	AllowHeaders     []string `json:"allowHeaders,omitempty"`
	ExposeHeaders    []string `json:"exposeHeaders,omitempty"`
	MaxAgeSeconds    *int32   `json:"maxAgeSeconds,omitempty"`
	AllowCredentials bool     `json:"allowCredentials,omitempty"`
}

// SourceIPs are CIDR ranges (single addresses normalized to /32 or /128).
type SourceIPs struct {
	Allow []string `json:"allow,omitempty"`
	Deny  []string `json:"deny,omitempty"`
}

// GatewayResponse overrides one gateway response type.
type GatewayResponse struct {
	StatusCode int32             `json:"statusCode,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
	// ResponseParameters map headers from the request: header.<name> to a source as Routes
	// write it ($request.header.Origin).
	ResponseParameters map[string]string `json:"responseParameters,omitempty"`
	Body               *string           `json:"body,omitempty"`
	// Templates are mapping templates of the body by content type.
	Templates map[string]string `json:"templates,omitempty"`
}

// Model is a request body schema, as canonical JSON.
type Model struct {
	Name        string `json:"name"`
	ContentType string `json:"contentType"`
	Schema      string `json:"schema"`
}

// Route is one accepted route. Routes are sorted by path (or route key), then by the first
// method.
type Route struct {
	// Name is the Route object's name, for metrics and logs.
	Name string `json:"name"`
	// Path in Route syntax ("/pets/{petId}", "/files/{proxy+}"); empty for WEBSOCKET routes.
	Path string `json:"path,omitempty"`
	// Methods are sorted; ["ANY"] answers every method.
	Methods            []string           `json:"methods,omitempty"`
	RouteKey           string             `json:"routeKey,omitempty"`
	Authorization      Authorization      `json:"authorization"`
	Validation         *RequestValidation `json:"validation,omitempty"`
	Integration        Integration        `json:"integration"`
	CacheKeyParameters []string           `json:"cacheKeyParameters,omitempty"`
	// RouteResponseSelectionExpression is "$default" for a two-way WEBSOCKET route.
	RouteResponseSelectionExpression string `json:"routeResponseSelectionExpression,omitempty"`
}

// Authorization of a route, after applying the API's default.
type Authorization struct {
	// Authorizer names one of the API's Authorizers; empty means none.
	Authorizer     string   `json:"authorizer,omitempty"`
	Scopes         []string `json:"scopes,omitempty"`
	APIKeyRequired bool     `json:"apiKeyRequired,omitempty"`
}

// RequestValidation of a route.
type RequestValidation struct {
	// BodyModel names one of the API's models.
	BodyModel          string   `json:"bodyModel,omitempty"`
	RequiredParameters []string `json:"requiredParameters,omitempty"`
	// BodyModels name models by request content type; BodyModel applies to the others.
	BodyModels map[string]string `json:"bodyModels,omitempty"`
}

// Integration is where a route's requests go.
type Integration struct {
	Type string `json:"type"`
	// URI is a template: ${stageVariables.x} and {param} are substituted per request.
	URI string `json:"uri,omitempty"`
	// Backend is set for a backendRef.
	Backend              *Backend          `json:"backend,omitempty"`
	TimeoutMillis        int32             `json:"timeoutMillis"`
	PayloadFormatVersion string            `json:"payloadFormatVersion,omitempty"`
	Mock                 *Mock             `json:"mock,omitempty"`
	RequestParameters    map[string]string `json:"requestParameters,omitempty"`

	// The request and response model of HTTP integrations.
	HTTPMethod          string                `json:"httpMethod,omitempty"`
	PassthroughBehavior string                `json:"passthroughBehavior,omitempty"`
	RequestTemplates    map[string]string     `json:"requestTemplates,omitempty"`
	ContentHandling     string                `json:"contentHandling,omitempty"`
	Responses           []IntegrationResponse `json:"responses,omitempty"`
}

// IntegrationResponse maps a backend answer to the client's response.
type IntegrationResponse struct {
	SelectionPattern   string            `json:"selectionPattern,omitempty"`
	StatusCode         int32             `json:"statusCode"`
	ResponseParameters map[string]string `json:"responseParameters,omitempty"`
	ResponseTemplates  map[string]string `json:"responseTemplates,omitempty"`
}

// Backend is a Service port, reached through the endpoints of Cluster.
type Backend struct {
	// Cluster names the endpoint set: "<namespace>/<service>:<port>", the name of its EDS
	// ClusterLoadAssignment.
	Cluster string `json:"cluster"`

	// Path is the path called on the Service (backendRef.path); empty for "/".
	Path string `json:"path,omitempty"`
}

// Mock is a MOCK integration's answer.
type Mock struct {
	StatusCode int32             `json:"statusCode"`
	Headers    map[string]string `json:"headers,omitempty"`
	Body       string            `json:"body,omitempty"`
}

// Authorizer is one of an API's authorizers.
type Authorizer struct {
	Name                         string              `json:"name"`
	Type                         string              `json:"type"`
	IdentitySources              []string            `json:"identitySources,omitempty"`
	JWT                          *JWT                `json:"jwt,omitempty"`
	Function                     *AuthorizerFunction `json:"function,omitempty"`
	IdentityValidationExpression string              `json:"identityValidationExpression,omitempty"`
	ResultTTLSeconds             int32               `json:"resultTtlSeconds"`
}

// JWT configures a JWT authorizer.
type JWT struct {
	Issuer           string   `json:"issuer"`
	Audiences        []string `json:"audiences"`
	JWKSURI          string   `json:"jwksUri"`
	ClockSkewSeconds int32    `json:"clockSkewSeconds"`
}

// AuthorizerFunction is the HTTP service behind a TOKEN or REQUEST authorizer.
type AuthorizerFunction struct {
	URI                   string   `json:"uri,omitempty"`
	Backend               *Backend `json:"backend,omitempty"`
	TimeoutMillis         int32    `json:"timeoutMillis"`
	PayloadFormatVersion  string   `json:"payloadFormatVersion"`
	EnableSimpleResponses bool     `json:"enableSimpleResponses,omitempty"`
}

// Stage is everything one stage serves. Its xDS resource name is Key.
type Stage struct {
	// Key is "<namespace>/<stage object name>".
	Key       string `json:"key"`
	Namespace string `json:"namespace"`
	// StageName is the path prefix, /{StageName}/.
	StageName string `json:"stageName"`
	RestApi   string `json:"restApi"`
	// Generation is the Stage object's metadata.generation, so that proxies acknowledge the
	// generation they applied.
	Generation      int64             `json:"generation"`
	Revision        int64             `json:"revision"`
	API             *API              `json:"api"`
	Variables       map[string]string `json:"variables,omitempty"`
	Throttle        *Throttle         `json:"throttle,omitempty"`
	MethodSettings  []MethodSetting   `json:"methodSettings,omitempty"`
	Cache           *Cache            `json:"cache,omitempty"`
	Canary          *Canary           `json:"canary,omitempty"`
	AccessLogFormat string            `json:"accessLogFormat,omitempty"`
	Tracing         bool              `json:"tracing,omitempty"`
	// TracingSamplingRatio is the share of requests without a traceparent that are traced.
	TracingSamplingRatio *float64    `json:"tracingSamplingRatio,omitempty"`
	UsagePlans           []UsagePlan `json:"usagePlans,omitempty"`
	// WebSocketManagementKeys may call the stage's @connections API (hashes only). They
	// live on the stage, not in the API revision, so that rotating a key makes no revision.
	WebSocketManagementKeys []APIKey `json:"websocketManagementKeys,omitempty"`
	// DisableDefaultEndpoint: the stage is served only through the domains that map it.
	DisableDefaultEndpoint bool `json:"disableDefaultEndpoint,omitempty"`
}

// Throttle is a token bucket.
type Throttle struct {
	RateLimit  float64 `json:"rateLimit"`
	BurstLimit int32   `json:"burstLimit"`
}

// MethodSetting applies to Path and Method; "*" matches any path or any method. Settings are
// sorted from most to least specific: exact path and method, exact path and any method,
// then */*.
type MethodSetting struct {
	Path     string         `json:"path"`
	Method   string         `json:"method"`
	Throttle *Throttle      `json:"throttle,omitempty"`
	Caching  *MethodCaching `json:"caching,omitempty"`
	// Logging is the execution log setting; nil keeps the broader one's.
	Logging *MethodLogging `json:"logging,omitempty"`
}

// MethodLogging is an execution log setting: Level is INFO, ERROR or OFF.
type MethodLogging struct {
	Level     string `json:"level"`
	DataTrace bool   `json:"dataTrace,omitempty"`
}

// MethodCaching overrides the stage cache.
type MethodCaching struct {
	Enabled    *bool  `json:"enabled,omitempty"` // nil: a broader setting's, else on
	TTLSeconds *int32 `json:"ttlSeconds,omitempty"`
}

// Cache is a stage's response cache.
type Cache struct {
	Enabled                                bool   `json:"enabled"`
	CapacityBytes                          int64  `json:"capacityBytes"`
	TTLSeconds                             int32  `json:"ttlSeconds"`
	RequireAuthorizationForCacheControl    bool   `json:"requireAuthorizationForCacheControl"`
	UnauthorizedCacheControlHeaderStrategy string `json:"unauthorizedCacheControlHeaderStrategy"`
	// InvalidationScope is the JWT scope that lets a caller invalidate entries.
	InvalidationScope string `json:"invalidationScope,omitempty"`
}

// Canary is a stage's canary.
type Canary struct {
	PercentTraffic float64 `json:"percentTraffic"`
	Revision       int64   `json:"revision"`
	// API is set when the canary runs another revision than the stage.
	API *API `json:"api,omitempty"`
	// Variables are the stage's variables with the canary's overrides applied.
	Variables     map[string]string `json:"variables,omitempty"`
	UseStageCache bool              `json:"useStageCache,omitempty"`
}

// UsagePlan is a plan as bound to one stage.
type UsagePlan struct {
	Name            string           `json:"name"`
	Throttle        *Throttle        `json:"throttle,omitempty"`
	Quota           *Quota           `json:"quota,omitempty"`
	MethodThrottles []MethodThrottle `json:"methodThrottles,omitempty"`
	// Keys are the plan's enabled, valid keys, sorted by ID.
	Keys []APIKey `json:"keys,omitempty"`
}

// Quota is a per-key allowance per period.
type Quota struct {
	Limit  int64  `json:"limit"`
	Period string `json:"period"`
	Offset int32  `json:"offset"`
}

// MethodThrottle is a plan's per-key throttle for one path and method.
type MethodThrottle struct {
	Path     string   `json:"path"`
	Method   string   `json:"method"`
	Throttle Throttle `json:"throttle"`
}

// APIKey identifies a key without its value.
type APIKey struct {
	// ID is the Secret's name: what usage reports and logs show.
	ID string `json:"id"`
	// SHA256 is the hex SHA-256 of the key value.
	SHA256 string `json:"sha256"`
}

// Endpoints is the endpoint set of one backend cluster.
type Endpoints struct {
	// Cluster is "<namespace>/<service>:<port>".
	Cluster string `json:"cluster"`
	// Addresses are "ip:port", sorted; only ready endpoints.
	Addresses []string `json:"addresses,omitempty"`
}

// Domain is one DomainName as the proxies serve it. Its xDS resource name is Key. It names
// its key material by Secret resource name, so that a certificate rotation re-sends one
// Secret and leaves the Domain as it is.
type Domain struct {
	// Key is "<namespace>/<DomainName object name>".
	Key        string `json:"key"`
	Generation int64  `json:"generation"`
	// DomainName is the host served, possibly a wildcard ("*.example.com").
	DomainName     string `json:"domainName"`
	SecurityPolicy string `json:"securityPolicy"`
	// Certificate names the Secret resource with the certificate and key.
	Certificate string `json:"certificate"`
	// Truststore, when set, names the Secret resource with the CAs client certificates must
	// chain to (mutual TLS).
	Truststore string `json:"truststore,omitempty"`
	// Mappings are sorted longest base path first, the order they are matched in.
	Mappings []BasePathMapping `json:"mappings,omitempty"`
	// HTTPRedirect redirects plain HTTP requests for DomainName to HTTPS.
	HTTPRedirect bool `json:"httpRedirect,omitempty"`
}

// BasePathMapping serves a stage under a base path of a domain.
type BasePathMapping struct {
	// BasePath has no leading or trailing slash; empty maps the root.
	BasePath string `json:"basePath"`
	// Stage is the stage's Key.
	Stage string `json:"stage"`
}

// Secret is key material. Its name is CertificateSecretName or TruststoreSecretName.
// PrivateKey is never serialized to JSON, so that no dump of the IR shows it.
type Secret struct {
	Name string `json:"name"`
	// Certificate is the PEM chain, leaf first (certificate Secrets).
	Certificate []byte `json:"certificate,omitempty"`
	PrivateKey  []byte `json:"-"`
	// TrustedCA is a PEM bundle (truststore Secrets).
	TrustedCA []byte `json:"trustedCa,omitempty"`
}

// CertificateSecretName names the Secret resource of a kubernetes.io/tls Secret.
func CertificateSecretName(namespace, name string) string {
	return "tls/" + namespace + "/" + name
}

// TruststoreSecretName names the Secret resource of a truststore ConfigMap key.
func TruststoreSecretName(namespace, configMap, key string) string {
	return "ca/" + namespace + "/" + configMap + "/" + key
}
