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

// API keys are Secrets of this type, holding the key under APIKeySecretKey.
const (
	// APIKeySecretType is the type of a Secret that holds an API key.
	APIKeySecretType = "apigateway.portico.dev/api-key"
	// APIKeySecretKey is the data key of the API key value.
	APIKeySecretKey = "key"
	// APIKeyMinLength and APIKeyMaxLength bound an API key's length, as in Amazon API Gateway.
	APIKeyMinLength = 30
	APIKeyMaxLength = 128
	// APIKeyEnabledAnnotation set to "false" disables a key without deleting it.
	APIKeyEnabledAnnotation = "apigateway.portico.dev/enabled"
)

// QuotaPeriod is the window a quota counts in.
// +kubebuilder:validation:Enum=DAY;WEEK;MONTH
type QuotaPeriod string

// Quota periods. Windows are in UTC.
const (
	QuotaDay   QuotaPeriod = "DAY"
	QuotaWeek  QuotaPeriod = "WEEK"
	QuotaMonth QuotaPeriod = "MONTH"
)

// UsagePlanSpec binds API keys to stages with per-key throttling and quotas.
//
// +kubebuilder:validation:XValidation:rule="has(self.apiKeys) || has(self.apiKeySelector)",message="name the plan's keys with apiKeys, apiKeySelector, or both"
type UsagePlanSpec struct {
	// description of the plan, for people.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Description string `json:"description,omitempty"`

	// apiStages are the stages this plan applies to. A key may be in several plans, but in
	// only one plan per stage.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:XValidation:rule="self.all(a, self.exists_one(b, b.restApiRef.name == a.restApiRef.name && b.stage == a.stage))",message="each restApiRef and stage pair may appear only once"
	// +required
	APIStages []UsagePlanAPIStage `json:"apiStages"`

	// throttle limits each key across the plan's stages, in requests per second.
	// Example: {rateLimit: 100, burstLimit: 200}.
	// +optional
	Throttle *ThrottleSettings `json:"throttle,omitempty"`

	// quota caps each key's requests per period, across the plan's stages (one count per
	// key for the whole plan, as Amazon API Gateway counts it). Only allowed requests count.
	// +optional
	Quota *Quota `json:"quota,omitempty"`

	// apiKeys names API key Secrets (type apigateway.portico.dev/api-key) in the same namespace.
	// Example: [{name: customer-a}].
	// +kubebuilder:validation:MaxItems=1000
	// +optional
	APIKeys []LocalObjectReference `json:"apiKeys,omitempty"`

	// apiKeySelector selects API key Secrets in the same namespace by label.
	// Example: {matchLabels: {tier: gold}}.
	// +optional
	APIKeySelector *metav1.LabelSelector `json:"apiKeySelector,omitempty"`
}

// UsagePlanAPIStage is one stage a plan applies to.
type UsagePlanAPIStage struct {
	// restApiRef names the RestApi.
	// +required
	RestApiRef LocalObjectReference `json:"restApiRef"`

	// stage is the stage's stageName.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_-]+$`
	// +required
	Stage string `json:"stage"`

	// throttle limits each key per method of this stage, keyed by "/path/METHOD"; on a
	// WEBSOCKET API, by route key ("sendmessage").
	// Example: {"/pets/{petId}/GET": {rateLimit: 5, burstLimit: 10}}.
	// +kubebuilder:validation:MaxProperties=256
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^/[^\\\\s]*/(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY|[*])$') || k.matches('^[^/\\\\s]+$'))",message="each key is \"/path/METHOD\", as in \"/pets/{petId}/GET\", or a WebSocket route key"
	// +optional
	Throttle map[string]ThrottleSettings `json:"throttle,omitempty"`
}

// Quota is a request allowance per key and period.
//
// +kubebuilder:validation:XValidation:rule="self.period != 'DAY' || self.offset == 0",message="a DAY quota has offset 0"
// +kubebuilder:validation:XValidation:rule="self.period != 'WEEK' || self.offset <= 6",message="a WEEK quota's offset is a weekday, 0 (Sunday) to 6 (Saturday)"
// +kubebuilder:validation:XValidation:rule="self.period != 'MONTH' || self.offset <= 27",message="a MONTH quota's offset is 0 (the 1st) to 27 (the 28th)"
type Quota struct {
	// limit is the number of requests allowed per period.
	// +kubebuilder:validation:Minimum=0
	// +required
	Limit int64 `json:"limit"`

	// period of the quota window: DAY, WEEK or MONTH, in UTC.
	// +required
	Period QuotaPeriod `json:"period"`

	// offset moves the start of the window: for WEEK the weekday (0 is Sunday), for MONTH the
	// day of the month counting from 0. DAY windows start at midnight UTC.
	// +kubebuilder:default=0
	// +kubebuilder:validation:Minimum=0
	// +optional
	Offset int32 `json:"offset"`
}

// UsagePlanStatus is the observed state of a UsagePlan.
type UsagePlanStatus struct {
	CommonStatus `json:",inline"`

	// apiKeys counts the valid, enabled keys in the plan. Example: 2.
	// +optional
	APIKeys int32 `json:"apiKeys,omitempty"`

	// usage sums the plan's quota counters in the current period, as the proxies count them.
	// Set only when the plan has a quota and the controller reads the proxies' shared store
	// (portico controller --state-redis); otherwise each proxy reports its own counts on its
	// admin endpoint's /usage.
	// +optional
	Usage *UsageSummary `json:"usage,omitempty"`
}

// UsageSummary is a plan's usage in the current quota period, read from the store the
// proxies count in, like Amazon API Gateway's GetUsage.
type UsageSummary struct {
	// observedAt is when the counts were last read. The controller reads them every
	// --usage-interval but rewrites the status only when a count changes, and otherwise at
	// most every ten intervals, so that an idle plan costs the API server nothing.
	// Example: "2026-11-21T08:15:00Z".
	// +required
	ObservedAt metav1.Time `json:"observedAt"`

	// periodStart is the start of the current quota period, in UTC. Example: "2026-11-01T00:00:00Z".
	// +required
	PeriodStart metav1.Time `json:"periodStart"`

	// periodEnd is the end of the current quota period (exclusive), in UTC.
	// Example: "2026-12-01T00:00:00Z".
	// +required
	PeriodEnd metav1.Time `json:"periodEnd"`

	// used counts the requests of every key of the plan in the current period.
	// Example: 12840.
	// +required
	Used int64 `json:"used"`

	// keysAtLimit counts the keys with nothing remaining. Example: 1.
	// +optional
	KeysAtLimit int32 `json:"keysAtLimit,omitempty"`

	// keys are the most used keys, at most 10, most used first.
	// Example: [{name: customer-a, used: 10000, remaining: 0}].
	// +kubebuilder:validation:MaxItems=10
	// +listType=atomic
	// +optional
	Keys []KeyUsage `json:"keys,omitempty"`
}

// KeyUsage is one API key's count in the current period: its requests on every stage of the
// plan, as Amazon API Gateway counts a usage plan's quota.
type KeyUsage struct {
	// name is the API key Secret's name (never the key). Example: customer-a.
	// +required
	Name string `json:"name"`

	// used counts the key's requests on the plan's stages in the current period. Example: 10000.
	// +required
	Used int64 `json:"used"`

	// remaining is the quota limit minus used, at least 0. Example: 0.
	// +required
	Remaining int64 `json:"remaining"`
}

// UsagePlan gives API keys access to stages, with throttling and a quota per key.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=uplan,categories=portico
// +kubebuilder:printcolumn:name="Rate",type=number,JSONPath=`.spec.throttle.rateLimit`
// +kubebuilder:printcolumn:name="Burst",type=integer,JSONPath=`.spec.throttle.burstLimit`
// +kubebuilder:printcolumn:name="Quota",type=integer,JSONPath=`.spec.quota.limit`
// +kubebuilder:printcolumn:name="Period",type=string,JSONPath=`.spec.quota.period`
// +kubebuilder:printcolumn:name="Keys",type=integer,JSONPath=`.status.apiKeys`
// +kubebuilder:printcolumn:name="Used",type=integer,JSONPath=`.status.usage.used`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type UsagePlan struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec describes the plan.
	// +required
	Spec UsagePlanSpec `json:"spec"`

	// status is written by the controller.
	// +optional
	Status UsagePlanStatus `json:"status,omitempty"`
}

// UsagePlanList is a list of UsagePlans.
//
// +kubebuilder:object:root=true
type UsagePlanList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []UsagePlan `json:"items"`
}
