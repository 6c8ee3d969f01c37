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

// Condition types. Every kind carries Accepted and Ready; a Stage also carries Programmed.
const (
	// ConditionAccepted is True when the spec is valid and every reference resolves.
	ConditionAccepted = "Accepted"
	// ConditionReady is True when the object is part of a compiled, servable configuration.
	ConditionReady = "Ready"
	// ConditionProgrammed is True when every connected proxy has applied the Stage's current
	// generation, and False with the proxy's error when one rejected it.
	ConditionProgrammed = "Programmed"
)

// ConditionCacheKeyedByCaller is set on a Route that a stage caches while an authorizer or an
// API key guards it: True when its cacheKeyParameters name the caller, so that each caller
// gets its own cached answers; False, with reason CacheNotKeyedByCaller, when one caller's
// cached answer is served to the others. It is a warning: the route is served either way.
// Absent on routes no stage caches, or that nothing guards.
const (
	ConditionCacheKeyedByCaller = "CacheKeyedByCaller"
	ReasonCacheKeyedByCaller    = "CacheKeyedByCaller"
	ReasonCacheNotKeyedByCaller = "CacheNotKeyedByCaller"
)

// Condition reasons. A reason names the cause so that a user can look it up in the
// troubleshooting guide (docs/troubleshooting.md).
const (
	ReasonAccepted             = "Accepted"
	ReasonReady                = "Ready"
	ReasonProgrammed           = "Programmed"
	ReasonPending              = "Pending"
	ReasonRestApiNotFound      = "RestApiNotFound"
	ReasonAuthorizerNotFound   = "AuthorizerNotFound"
	ReasonModelNotFound        = "ModelNotFound"
	ReasonRouteConflict        = "RouteConflict"
	ReasonRevisionNotFound     = "RevisionNotFound"
	ReasonInvalidTemplate      = "InvalidTemplate"
	ReasonBackendNotFound      = "BackendNotFound"
	ReasonProtocolMismatch     = "ProtocolMismatch"
	ReasonInvalidAPIKey        = "InvalidAPIKey"
	ReasonAPIKeyConflict       = "APIKeyConflict"
	ReasonStageNotFound        = "StageNotFound"
	ReasonStageConflict        = "StageConflict"
	ReasonInvalidModel         = "InvalidModel"
	ReasonInvalidMethodSetting = "InvalidMethodSetting"
	ReasonRejected             = "Rejected"
	ReasonNotServed            = "NotServed"
)

// ReasonInvalidIdentitySource says an Authorizer's identity sources are not what its type
// reads (an unknown $context variable, a TOKEN authorizer without exactly one header); the
// Authorizer and the Routes that name it are refused.
const ReasonInvalidIdentitySource = "InvalidIdentitySource"

// ReasonInvalidJWKSURI says a JWT authorizer's jwksUri, or the address derived from its issuer, is
// not an http(s) URL the proxy could fetch keys from.
const ReasonInvalidJWKSURI = "InvalidJWKSURI"

// ReasonUnsupported says a field the CRD accepts has no effect in this context (a request
// mapping on a WEBSOCKET route, say): the object is refused rather than served without it.
const ReasonUnsupported = "Unsupported"
