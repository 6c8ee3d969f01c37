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
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// StageVariableValue is the value of a stage variable: 1 to 512 letters, digits and
// -._~:/?#&=, characters, as Amazon API Gateway takes them (a host and port, a path, a query
// string, a list). A value is substituted into uris, paths and headers, so the characters
// that would need escaping there (spaces, quotes, %, braces, control characters) are refused
// rather than sent as they are.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=512
// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z0-9._~:/?#&=,-]*$')",message="stage variable values are letters, digits and the characters -._~:/?#&=, as in Amazon API Gateway"
type StageVariableValue string

// StageVariables are name/value pairs that Route uris, requestParameters and authorizers read
// as ${stageVariables.name}: at most 100, names of letters, digits and underscores up to 64
// characters, values of 1 to 512 letters, digits and -._~:/?#&=, characters (AWS's set).
// +kubebuilder:validation:MaxProperties=100
// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) <= 64)",message="stage variable names are at most 64 characters"
// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^[A-Za-z0-9_]+$'))",message="stage variable names are letters, digits and underscores"
type StageVariables map[string]StageVariableValue

// CacheControlStrategy says what happens to a Cache-Control: max-age=0 request from a client
// that may not invalidate the cache.
// +kubebuilder:validation:Enum=FAIL_WITH_403;SUCCEED_WITH_RESPONSE_HEADER;SUCCEED_WITHOUT_RESPONSE_HEADER
type CacheControlStrategy string

// Strategies for unauthorized cache invalidation, as in Amazon API Gateway.
const (
	CacheControlFailWith403                  CacheControlStrategy = "FAIL_WITH_403"
	CacheControlSucceedWithResponseHeader    CacheControlStrategy = "SUCCEED_WITH_RESPONSE_HEADER"
	CacheControlSucceedWithoutResponseHeader CacheControlStrategy = "SUCCEED_WITHOUT_RESPONSE_HEADER"
)

// StageSpec deploys a revision of a RestApi under /{stageName}/, with variables, limits,
// caching, a canary, access logs and tracing.
//
// +kubebuilder:validation:XValidation:rule="!has(self.canary) || has(self.canary.percentTraffic)",message="canary needs percentTraffic, the share of requests (0 to 100) the canary serves"
type StageSpec struct {
	// restApiRef names the RestApi this stage deploys.
	// +required
	RestApiRef LocalObjectReference `json:"restApiRef"`

	// stageName is the first path segment the stage is served under. Defaults to
	// metadata.name. Example: prod.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_-]+$`
	// +optional
	StageName string `json:"stageName,omitempty"`

	// deployment pins a revision of the RestApi. Omitted, the stage follows the latest
	// revision (auto-deploy).
	// +optional
	Deployment *StageDeployment `json:"deployment,omitempty"`

	// variables of the stage. Example: {backend: "pets-v1.shop.svc:8080"}.
	// +optional
	Variables StageVariables `json:"variables,omitempty"`

	// throttling is the stage-wide token bucket, shared by every client.
	// +kubebuilder:default={rateLimit: 10000, burstLimit: 5000}
	// +optional
	Throttling *ThrottleSettings `json:"throttling,omitempty"`

	// methodSettings override throttling and caching per method, keyed by "/path/METHOD",
	// "/path/*" for every method of a path, or "*/*" for every method; on a WEBSOCKET API, a
	// route key ("sendmessage", "$default"), as AWS's RouteSettings.
	// Example: {"/pets/{petId}/GET": {throttling: {rateLimit: 50, burstLimit: 100}}}.
	// +kubebuilder:validation:MaxProperties=256
	// +kubebuilder:validation:XValidation:rule="self.all(k, k == '*/*' || k.matches('^/[^\\\\s]*/(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY|[*])$') || k.matches('^[^/\\\\s]+$'))",message="each key is \"/path/METHOD\", \"/path/*\", \"*/*\", or a WebSocket route key"
	// +optional
	MethodSettings map[string]MethodSetting `json:"methodSettings,omitempty"`

	// cache is the stage's response cache. Answers carry X-Cache: Hit or Miss; a hit has an Age
	// (seconds since it was stored) and the current Date, as RFC 9111 has a cache answer.
	// +optional
	Cache *StageCache `json:"cache,omitempty"`

	// canary sends a share of requests to another revision or with other variables.
	// +optional
	Canary *Canary `json:"canary,omitempty"`

	// accessLog writes one line per request in the given format.
	// +optional
	AccessLog *AccessLog `json:"accessLog,omitempty"`

	// tracing sends OpenTelemetry traces.
	// +optional
	Tracing *Tracing `json:"tracing,omitempty"`
}

// StageDeployment pins a revision.
type StageDeployment struct {
	// revision number of the RestApi (see kubectl get restapi, column Revision). Example: 7.
	// +kubebuilder:validation:Minimum=1
	// +required
	Revision int64 `json:"revision"`
}

// MethodSetting overrides stage settings for some methods.
type MethodSetting struct {
	// throttling limits each method it covers: every route's path and request method has a
	// token bucket of its own with these limits, shared by every client, as Amazon API
	// Gateway applies "*/*" (its default method throttling) to each method. The Stage's
	// throttling, by contrast, is one bucket for the whole stage.
	// +optional
	Throttling *ThrottleSettings `json:"throttling,omitempty"`

	// caching for these methods.
	// +optional
	Caching *MethodCaching `json:"caching,omitempty"`

	// logging writes execution logs for these methods, as Amazon API Gateway's.
	// +optional
	Logging *MethodLogging `json:"logging,omitempty"`
}

// MethodLogging configures execution logs: one structured line per step of a request (method
// request, authorizer, endpoint request, endpoint response, method completed), with the
// request id, and credentials and API keys redacted.
type MethodLogging struct {
	// level is INFO (every step), ERROR (the steps of failed requests) or OFF. Quote "OFF"
	// in YAML.
	// +kubebuilder:validation:Enum=INFO;ERROR;OFF
	// +kubebuilder:default=OFF
	// +optional
	Level string `json:"level,omitempty"`

	// dataTrace adds the request and response bodies and headers (credentials redacted)
	// to the lines. It can log personal data: keep it for debugging.
	// +optional
	DataTrace bool `json:"dataTrace,omitempty"`
}

// MethodCaching overrides the stage cache for some methods.
type MethodCaching struct {
	// enabled turns caching on or off for these methods, where the stage's cache is enabled
	// (a setting with caching on a stage without one is reported, and has no effect).
	// Omitted, it is the next broader setting's that sets it ("/path/*", then "*/*"), else
	// on, as the stage cache caches every GET: {caching: {ttlSeconds: 60}} changes the TTL
	// alone. Only GET and HEAD answers are cached; a setting that turns caching on for
	// another method is reported.
	// +optional
	Enabled *bool `json:"enabled,omitempty"`

	// ttlSeconds overrides the stage cache's time to live. 0 means do not cache.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=3600
	// +optional
	TTLSeconds *int32 `json:"ttlSeconds,omitempty"`
}

// StageCache configures a stage's response cache. Only GET and HEAD responses with a 2xx
// status are cached, up to 1 MiB each.
type StageCache struct {
	// enabled turns the cache on.
	// +optional
	Enabled bool `json:"enabled,omitempty"`

	// capacity is the most memory the cache may use per proxy. Example: 512Mi.
	// +kubebuilder:default="512Mi"
	// +kubebuilder:validation:XValidation:rule="quantity(string(self)).isGreaterThan(quantity('0')) && quantity(string(self)).compareTo(quantity('64Gi')) <= 0",message="capacity is more than 0 and at most 64Gi"
	// +optional
	Capacity *resource.Quantity `json:"capacity,omitempty"`

	// ttlSeconds is how long responses are cached. 0 means do not cache.
	// +kubebuilder:default=300
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=3600
	// +optional
	TTLSeconds *int32 `json:"ttlSeconds,omitempty"`

	// requireAuthorizationForCacheControl lets only clients with the permission invalidate an
	// entry with Cache-Control: max-age=0: a TOKEN or REQUEST authorizer's policy allowing
	// execute-api:InvalidateCache on the method's ARN, or a JWT carrying invalidationScope.
	// On a route without an authorizer nobody may, as in AWS.
	// +kubebuilder:default=true
	// +optional
	RequireAuthorizationForCacheControl *bool `json:"requireAuthorizationForCacheControl,omitempty"`

	// unauthorizedCacheControlHeaderStrategy is what an unauthorized invalidation gets:
	// FAIL_WITH_403, SUCCEED_WITH_RESPONSE_HEADER (served from cache, with a warning header)
	// or SUCCEED_WITHOUT_RESPONSE_HEADER.
	// +kubebuilder:default=SUCCEED_WITH_RESPONSE_HEADER
	// +optional
	UnauthorizedCacheControlHeaderStrategy CacheControlStrategy `json:"unauthorizedCacheControlHeaderStrategy,omitempty"`

	// invalidationScope is the scope (in the scope or scp claim) a JWT must carry for its
	// caller to invalidate an entry with Cache-Control: max-age=0 on routes behind a JWT
	// authorizer, which return no policy to grant execute-api:InvalidateCache. Unset, no JWT
	// caller may invalidate while requireAuthorizationForCacheControl is true.
	// Example: pets:invalidate.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^[\x21-\x7E]+$`
	// +optional
	InvalidationScope string `json:"invalidationScope,omitempty"`
}

// Canary sends a share of a stage's requests to another revision, or with other variables.
// Promote it by setting the stage's deployment.revision to the canary's and dropping canary.
type Canary struct {
	// percentTraffic is the share of requests, 0.0 to 100.0, the canary serves, chosen per
	// request.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	PercentTraffic *float64 `json:"percentTraffic,omitempty"`

	// deployment pins the canary's revision. Omitted, the canary runs the stage's revision.
	// +optional
	Deployment *StageDeployment `json:"deployment,omitempty"`

	// variables override the stage's variables for canary requests.
	// Example: {backend: "pets-v2.shop.svc:8080"}.
	// +optional
	Variables StageVariables `json:"variables,omitempty"`

	// useStageCache lets canary requests share the stage's cache entries.
	// +optional
	UseStageCache bool `json:"useStageCache,omitempty"`
}

// AccessLog configures per-request log lines.
// +kubebuilder:validation:XValidation:rule="self.format.contains('$context.requestId') || self.format.contains('$context.extendedRequestId')",message="format must include $context.requestId or $context.extendedRequestId, as AWS requires: a line without it cannot be matched to its request"
type AccessLog struct {
	// format of each line, with $context variables substituted (see docs/observability.md).
	// It must include $context.requestId or $context.extendedRequestId.
	// Example: '{"id":"$context.requestId","status":"$context.status"}'.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	// +required
	Format string `json:"format"`
}

// Tracing configures OpenTelemetry traces.
type Tracing struct {
	// enabled turns tracing on for the stage.
	// +optional
	Enabled bool `json:"enabled,omitempty"`

	// samplingRatio is the share of requests traced, from 0 to 1, when the client sent no
	// traceparent; a client's traceparent decides for its request (parent-based sampling).
	// Example: 0.05.
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1
	// +optional
	SamplingRatio *float64 `json:"samplingRatio,omitempty"`
}

// StageStatus is the observed state of a Stage.
type StageStatus struct {
	CommonStatus `json:",inline"`

	// url the stage is served at: on the API's first exact hostname, else on the gateway's
	// URL (--gateway-url); ws:// or wss:// for a WEBSOCKET API.
	// Example: http://localhost:8080/prod/.
	// +optional
	URL string `json:"url,omitempty"`

	// deployedRevision is the revision serving the stage's requests.
	// +optional
	DeployedRevision int64 `json:"deployedRevision,omitempty"`

	// canaryRevision is the revision serving canary requests.
	// +optional
	CanaryRevision int64 `json:"canaryRevision,omitempty"`
}

// Stage deploys a revision of a RestApi under a path prefix, with variables, throttling,
// a response cache and an optional canary: Amazon API Gateway's stage.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=stg,categories=portico
// +kubebuilder:printcolumn:name="API",type=string,JSONPath=`.spec.restApiRef.name`
// +kubebuilder:printcolumn:name="Revision",type=integer,JSONPath=`.status.deployedRevision`
// +kubebuilder:printcolumn:name="Canary %",type=number,JSONPath=`.spec.canary.percentTraffic`
// +kubebuilder:printcolumn:name="Canary Rev",type=integer,JSONPath=`.status.canaryRevision`,priority=1
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=`.status.url`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Programmed",type=string,JSONPath=`.status.conditions[?(@.type=="Programmed")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Stage struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec describes the stage.
	// +required
	Spec StageSpec `json:"spec"`

	// status is written by the controller.
	// +optional
	Status StageStatus `json:"status,omitempty"`
}

// StageList is a list of Stages.
//
// +kubebuilder:object:root=true
type StageList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Stage `json:"items"`
}
