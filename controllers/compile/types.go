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

// Package compile turns Portico's resources into servable configuration: a pure function
// from plain objects to per-stage IR, API revisions, endpoint sets and the conditions of every
// object. It has no client, no clock and no randomness; its output is sorted, so equal inputs
// give equal bytes. One bad object yields a condition on that object, never a dead API.
package compile

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/ir"
)

// Inputs is everything the compiler reads. The Kubernetes source and the file source of
// `portico standalone` fill it the same way.
type Inputs struct {
	RestApis    []apiv1.RestApi
	Routes      []apiv1.Route
	Authorizers []apiv1.Authorizer
	UsagePlans  []apiv1.UsagePlan
	Stages      []apiv1.Stage
	// Secrets may hold any Secrets; only those of type apigateway.portico.dev/api-key count.
	Secrets        []corev1.Secret
	Services       []corev1.Service
	EndpointSlices []discoveryv1.EndpointSlice
	// DomainNames are compiled after the stages they map; ConfigMaps hold their truststores.
	DomainNames []apiv1.DomainName
	ConfigMaps  []corev1.ConfigMap
	// Revisions are the revisions stored so far, of every RestApi.
	Revisions []Revision
	// Scope limits the compile to these RestApis (with their Routes and Stages); empty
	// compiles every one. The other inputs are still read for cross-API checks.
	Scope   []NamespacedName
	Options Options
}

// Options are install-wide settings.
type Options struct {
	// GatewayURL is the base URL clients reach the proxies at, used in Stage.status.url for
	// APIs without hostnames. Example: http://localhost:8080.
	GatewayURL string
	// Now is when certificates are checked for expiry; zero skips the check, so that the
	// compile stays a pure function of its inputs.
	Now time.Time
	// NoKeyGenerator says that nothing fills empty API key Secrets (standalone mode, which
	// reads them from files): a plan's empty key is reported rather than awaited.
	NoKeyGenerator bool
}

// Revision is one stored, immutable compiled form of a RestApi.
type Revision struct {
	Namespace string `json:"namespace"`
	RestApi   string `json:"restApi"`
	Number    int64  `json:"number"`
	// Hash is the hex SHA-256 of the API's canonical JSON.
	Hash string  `json:"hash"`
	API  *ir.API `json:"api,omitempty"`
}

// Output is what one compile produces.
type Output struct {
	// Stages are the servable stages, sorted by key.
	Stages []ir.Stage `json:"stages,omitempty"`
	// Endpoints are the endpoint sets of every backend the stages use, sorted by cluster.
	Endpoints []ir.Endpoints `json:"endpoints,omitempty"`
	// Domains are the servable DomainNames, sorted by key.
	Domains []ir.Domain `json:"domains,omitempty"`
	// Secrets are the certificates and truststores the domains name, sorted by name.
	Secrets []ir.Secret `json:"secrets,omitempty"`
	// NewRevisions must be stored before the stages are served; numbers continue each API's
	// sequence.
	NewRevisions []Revision `json:"newRevisions,omitempty"`
	// PrunedRevisions may be deleted: past revisionHistoryLimit and deployed by no Stage.
	PrunedRevisions []Revision `json:"prunedRevisions,omitempty"`
	// Statuses are the statuses of every input object of a Portico kind, sorted by kind,
	// namespace and name.
	Statuses []ObjectStatus `json:"statuses,omitempty"`
}

// ObjectStatus is the status the compiler computed for one object. Conditions carry type,
// status, reason, message and observedGeneration; the status writer stamps transition times.
// Programmed is not among them: it comes from the proxies' acknowledgements.
type ObjectStatus struct {
	Kind       string             `json:"kind"`
	Namespace  string             `json:"namespace"`
	Name       string             `json:"name"`
	Generation int64              `json:"generation"`
	Conditions []metav1.Condition `json:"conditions"`

	// RestApi: the revision the current spec compiles to, and its accepted routes.
	Revision int64  `json:"revision,omitempty"`
	Routes   *int32 `json:"routes,omitempty"`
	// Stage.
	URL              string `json:"url,omitempty"`
	DeployedRevision int64  `json:"deployedRevision,omitempty"`
	CanaryRevision   int64  `json:"canaryRevision,omitempty"`
	// UsagePlan: valid, enabled keys.
	APIKeys *int32 `json:"apiKeys,omitempty"`
	// DomainName: what the certificate says.
	Certificate *apiv1.CertificateStatus `json:"certificate,omitempty"`
	// StageKey is set on Stages: the name of the stage's xDS resource.
	StageKey string `json:"stageKey,omitempty"`
}

// Kinds of ObjectStatus.
const (
	KindRestApi    = "RestApi"
	KindRoute      = "Route"
	KindAuthorizer = "Authorizer"
	KindUsagePlan  = "UsagePlan"
	KindStage      = "Stage"
	KindDomainName = "DomainName"
)
