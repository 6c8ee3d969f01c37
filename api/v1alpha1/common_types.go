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

// LocalObjectReference names another object in the same namespace.
type LocalObjectReference struct {
	// name of the referenced object, in the same namespace. Example: pets.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`
}

// BackendRef names a Service port in the same namespace. The proxy sends traffic straight to
// the Service's ready endpoints (from its EndpointSlices), with round-robin balancing.
type BackendRef struct {
	// name of the Service. Example: pets-svc.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// port of the Service to send traffic to. Example: 8080.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +required
	Port int32 `json:"port"`

	// Added for Lambda fidelity (issue 15).

	// path is the path called on the Service: the invocation path of a function (the Lambda
	// Runtime Interface Emulator's is /2015-03-31/functions/function/invocations) for
	// LAMBDA_PROXY integrations and function authorizers, a prefix of the path under the
	// stage for HTTP integrations. Unset means "/" (no prefix).
	// Example: /2015-03-31/functions/function/invocations.
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:Pattern=`^/[A-Za-z0-9._~/-]*$`
	// +kubebuilder:validation:XValidation:rule="!self.split('/').exists(s, s == '.' || s == '..')",message="path has no . or .. segments"
	// +optional
	Path string `json:"path,omitempty"`
}

// ThrottleSettings is a token bucket: requests are admitted at rateLimit per second on
// average, with bursts of up to burstLimit requests. Requests over the limit get 429
// THROTTLED with a Retry-After header.
type ThrottleSettings struct {
	// rateLimit is the steady-state rate, in requests per second. Fractions are allowed
	// (0.5 is one request every two seconds). 0 admits no request.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000000
	// +required
	RateLimit float64 `json:"rateLimit"`

	// burstLimit is the bucket size: how many requests may arrive at once.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000000
	// +required
	BurstLimit int32 `json:"burstLimit"`
}

// HTTPMethod is an HTTP method a route answers, or ANY for every method.
// +kubebuilder:validation:Enum=GET;POST;PUT;PATCH;DELETE;HEAD;OPTIONS;ANY
type HTTPMethod string

// HTTP methods a Route may name.
const (
	MethodGet     HTTPMethod = "GET"
	MethodPost    HTTPMethod = "POST"
	MethodPut     HTTPMethod = "PUT"
	MethodPatch   HTTPMethod = "PATCH"
	MethodDelete  HTTPMethod = "DELETE"
	MethodHead    HTTPMethod = "HEAD"
	MethodOptions HTTPMethod = "OPTIONS"
	MethodAny     HTTPMethod = "ANY"
)

// CommonStatus is the status every Portico resource shares.
type CommonStatus struct {
	// observedGeneration is the metadata.generation the controller last acted on.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions describe the state of the object. Every kind has Accepted (the spec is valid
	// and its references resolve) and Ready; a Stage also has Programmed (every connected proxy
	// applied it).
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}
