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

// Package v1alpha1 holds the custom resources of Portico's API group
// apigateway.portico.dev: RestApi, Route, Authorizer, UsagePlan, Stage and DomainName. They are the
// user-facing contract (shared/API.md), modelled on Amazon API Gateway. The package depends on
// apimachinery only, so any client can import it.
//
// +kubebuilder:object:generate=true
// +groupName=apigateway.portico.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the API group and version of every Portico resource.
	GroupVersion = schema.GroupVersion{Group: "apigateway.portico.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the Portico types with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the Portico types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(GroupVersion,
		&RestApi{}, &RestApiList{},
		&Route{}, &RouteList{},
		&Authorizer{}, &AuthorizerList{},
		&UsagePlan{}, &UsagePlanList{},
		&Stage{}, &StageList{},
		&DomainName{}, &DomainNameList{},
	)
	metav1.AddToGroupVersion(scheme, GroupVersion)
	return nil
}
