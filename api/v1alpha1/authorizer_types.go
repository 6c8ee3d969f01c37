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

// AuthorizerType is the kind of authorizer.
// +kubebuilder:validation:Enum=JWT;TOKEN;REQUEST
type AuthorizerType string

// Authorizer types.
const (
	// AuthorizerJWT verifies a JSON Web Token against an issuer's JWKS.
	AuthorizerJWT AuthorizerType = "JWT"
	// AuthorizerToken calls a function with one bearer token (Lambda TOKEN authorizer).
	AuthorizerToken AuthorizerType = "TOKEN"
	// AuthorizerRequest calls a function with the request's identity sources (Lambda REQUEST
	// authorizer).
	AuthorizerRequest AuthorizerType = "REQUEST"
)

// AuthorizerSpec describes how requests are authenticated: a JWT check, or a call to an
// HTTP service speaking the Amazon API Gateway Lambda authorizer contract.
//
// +kubebuilder:validation:XValidation:rule="self.type != 'JWT' || (has(self.jwt) && !has(self.function))",message="a JWT authorizer needs jwt, and no function"
// +kubebuilder:validation:XValidation:rule="self.type == 'JWT' || (has(self.function) && !has(self.jwt))",message="TOKEN and REQUEST authorizers need function, and no jwt"
// +kubebuilder:validation:XValidation:rule="self.type != 'TOKEN' || (size(self.identitySources) == 1 && self.identitySources[0].startsWith('$request.header.'))",message="a TOKEN authorizer has exactly one identity source, a header such as $request.header.Authorization"
// +kubebuilder:validation:XValidation:rule="!has(self.identityValidationExpression) || self.type == 'TOKEN'",message="identityValidationExpression applies to TOKEN authorizers only"
// +kubebuilder:validation:XValidation:rule="self.type != 'JWT' || self.identitySources.all(s, s.startsWith('$request.header.') || s.startsWith('$request.querystring.'))",message="a JWT authorizer reads its token from $request.header.<name> or $request.querystring.<name>"
// +kubebuilder:validation:XValidation:rule="self.type != 'JWT' || size(self.identitySources) == 1",message="a JWT authorizer reads its token from exactly one identity source, as in Amazon API Gateway"
// +kubebuilder:validation:XValidation:rule="self.type != 'TOKEN' || !has(self.function) || !has(self.function.payloadFormatVersion) || self.function.payloadFormatVersion == '1.0'",message="a TOKEN authorizer gets the 1.0 event and answers a policy, as in Amazon API Gateway: payloadFormatVersion \"2.0\" is for REQUEST authorizers"
type AuthorizerSpec struct {
	// type of authorizer: JWT, TOKEN or REQUEST.
	// +required
	Type AuthorizerType `json:"type"`

	// identitySources are where the identity comes from: $request.header.<name>,
	// $request.querystring.<name>, $stageVariables.<name> or $context.<var>. A request
	// missing any of them gets 401 without the authorizer being called; their values key the
	// result cache. TOKEN and JWT authorizers take exactly one.
	// +kubebuilder:default={"$request.header.Authorization"}
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=256
	// +kubebuilder:validation:items:Pattern=`^\$(request\.(header|querystring)\.[A-Za-z0-9_.~-]+|stageVariables\.[A-Za-z0-9_]+|context\.[A-Za-z0-9_.]+)$`
	// +optional
	IdentitySources []string `json:"identitySources,omitempty"`

	// jwt configures a JWT authorizer.
	// +optional
	JWT *JWTConfig `json:"jwt,omitempty"`

	// function configures a TOKEN or REQUEST authorizer: an HTTP service that receives the
	// Lambda authorizer event as a JSON POST and answers with the Lambda authorizer response.
	// +optional
	Function *AuthorizerFunction `json:"function,omitempty"`

	// identityValidationExpression is a regular expression the token must match before the
	// function is called; a token that does not match gets 401. TOKEN only.
	// Example: "^Bearer [-0-9a-zA-Z._]+$".
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	IdentityValidationExpression string `json:"identityValidationExpression,omitempty"`

	// resultTtlSeconds is how long a decision is cached, keyed by the identity source
	// values. 0 turns the cache off. For a JWT authorizer it is how long a token's verified
	// signature is reused (never past the token's exp); 0 verifies every request.
	// +kubebuilder:default=300
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=3600
	// +optional
	ResultTTLSeconds *int32 `json:"resultTtlSeconds,omitempty"`
}

// JWTConfig says which tokens a JWT authorizer accepts.
type JWTConfig struct {
	// issuer must equal the token's iss claim. Example: https://idp.example.com/.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +required
	Issuer string `json:"issuer"`

	// audiences the token's aud (or client_id) claim must contain one of.
	// Example: [pets].
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=1024
	// +listType=set
	// +required
	Audiences []string `json:"audiences"`

	// jwksUri is where the issuer's signing keys are published. Unset means
	// <issuer>/.well-known/jwks.json. Example: https://idp.example.com/.well-known/jwks.json.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.startsWith('https://') || self.startsWith('http://')",message="jwksUri must be an http:// or https:// URL"
	// +optional
	JWKSURI string `json:"jwksUri,omitempty"`

	// clockSkewSeconds is the leeway allowed when checking exp and nbf.
	// +kubebuilder:default=60
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=600
	// +optional
	ClockSkewSeconds *int32 `json:"clockSkewSeconds,omitempty"`
}

// AuthorizerFunction is the HTTP service behind a TOKEN or REQUEST authorizer.
//
// +kubebuilder:validation:XValidation:rule="has(self.uri) != has(self.backendRef)",message="set exactly one of uri and backendRef"
// +kubebuilder:validation:XValidation:rule="!(has(self.enableSimpleResponses) && self.enableSimpleResponses) || self.payloadFormatVersion == '2.0'",message="enableSimpleResponses needs payloadFormatVersion \"2.0\""
type AuthorizerFunction struct {
	// backendRef names a Service port in the same namespace. Example: {name: authz, port: 8080}.
	// +optional
	BackendRef *BackendRef `json:"backendRef,omitempty"`

	// uri the event is POSTed to. It may hold ${stageVariables.<name>} as an integration uri
	// does: a whole host (or host:port), or in the path or query, each stage calling its own.
	// Example: http://authz.auth.svc:8080/authorize.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.startsWith('http://') || self.startsWith('https://')",message="uri must start with http:// or https://"
	// +optional
	URI string `json:"uri,omitempty"`

	// timeoutMillis bounds the call; past it the client gets 500 AUTHORIZER_FAILURE.
	// +kubebuilder:default=10000
	// +kubebuilder:validation:Minimum=50
	// +kubebuilder:validation:Maximum=29000
	// +optional
	TimeoutMillis int32 `json:"timeoutMillis,omitempty"`

	// payloadFormatVersion of the event and response: "1.0" (policy documents) or "2.0".
	// +kubebuilder:default="1.0"
	// +kubebuilder:validation:Enum="1.0";"2.0"
	// +optional
	PayloadFormatVersion string `json:"payloadFormatVersion,omitempty"`

	// enableSimpleResponses lets a "2.0" function answer {isAuthorized, context} instead of
	// a policy document.
	// +optional
	EnableSimpleResponses bool `json:"enableSimpleResponses,omitempty"`
}

// AuthorizerStatus is the observed state of an Authorizer.
type AuthorizerStatus struct {
	CommonStatus `json:",inline"`
}

// Authorizer authenticates requests to the Routes that name it: by JWT, or by calling an
// HTTP service that speaks the Lambda authorizer contract, so authorizers written for Amazon
// API Gateway run unchanged.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=authz,categories=portico
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="TTL",type=integer,JSONPath=`.spec.resultTtlSeconds`
// +kubebuilder:printcolumn:name="Accepted",type=string,JSONPath=`.status.conditions[?(@.type=="Accepted")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Authorizer struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec describes the authorizer.
	// +required
	Spec AuthorizerSpec `json:"spec"`

	// status is written by the controller.
	// +optional
	Status AuthorizerStatus `json:"status,omitempty"`
}

// AuthorizerList is a list of Authorizers.
//
// +kubebuilder:object:root=true
type AuthorizerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Authorizer `json:"items"`
}
