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

package status

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
)

// newObject returns an empty object of a compiler kind, to get into.
func newObject(kind string) (client.Object, error) {
	switch kind {
	case compile.KindRestApi:
		return &apiv1.RestApi{}, nil
	case compile.KindRoute:
		return &apiv1.Route{}, nil
	case compile.KindAuthorizer:
		return &apiv1.Authorizer{}, nil
	case compile.KindUsagePlan:
		return &apiv1.UsagePlan{}, nil
	case compile.KindStage:
		return &apiv1.Stage{}, nil
	case compile.KindDomainName:
		return &apiv1.DomainName{}, nil
	}
	return nil, fmt.Errorf("unknown kind %q", kind)
}

// statusOf returns a deep copy of obj's status, to compare before and after a change.
func statusOf(obj client.Object) any {
	switch o := obj.(type) {
	case *apiv1.RestApi:
		return *o.Status.DeepCopy()
	case *apiv1.Route:
		return *o.Status.DeepCopy()
	case *apiv1.Authorizer:
		return *o.Status.DeepCopy()
	case *apiv1.UsagePlan:
		return *o.Status.DeepCopy()
	case *apiv1.Stage:
		return *o.Status.DeepCopy()
	case *apiv1.DomainName:
		return *o.Status.DeepCopy()
	}
	return nil
}

// setStatus writes st into obj's status. programmed, when not nil, is the Stage's Programmed
// condition; now stamps the conditions whose status changes. Pure, so the rules are tested
// without an API server.
func setStatus(obj client.Object, st compile.ObjectStatus, programmed *metav1.Condition, now metav1.Time) error {
	// Copying every kind-specific field, zero included, makes the status mirror the latest
	// compile: a RestApi that stops compiling must not keep showing its old route count.
	switch o := obj.(type) {
	case *apiv1.RestApi:
		setCommon(&o.Status.CommonStatus, st, nil, now)
		o.Status.Revision = st.Revision
		o.Status.Routes = ptr.Deref(st.Routes, 0)
	case *apiv1.Route:
		setCommon(&o.Status.CommonStatus, st, nil, now)
	case *apiv1.Authorizer:
		setCommon(&o.Status.CommonStatus, st, nil, now)
	case *apiv1.UsagePlan:
		setCommon(&o.Status.CommonStatus, st, nil, now)
		o.Status.APIKeys = ptr.Deref(st.APIKeys, 0)
	case *apiv1.Stage:
		setCommon(&o.Status.CommonStatus, st, programmed, now)
		o.Status.URL = st.URL
		o.Status.DeployedRevision = st.DeployedRevision
		o.Status.CanaryRevision = st.CanaryRevision
	case *apiv1.DomainName:
		// Programmed is the proxies' to report, as for a Stage; it is kept here.
		setCommon(&o.Status.CommonStatus, st, programmed, now)
		o.Status.URL = st.URL
		o.Status.Certificate = st.Certificate.DeepCopy()
	default:
		return fmt.Errorf("no status for %T", obj)
	}
	return nil
}

// setCommon applies the conditions and observed generation of st. Conditions keep their
// lastTransitionTime while their status stays the same (meta.SetStatusCondition), so that the
// time says when the object last changed state, not when the controller last compiled.
func setCommon(s *apiv1.CommonStatus, st compile.ObjectStatus, programmed *metav1.Condition, now metav1.Time) {
	s.ObservedGeneration = st.Generation
	// Programmed comes from the proxies' acknowledgements, not the compiler, so the compiler
	// never reporting it must not remove it.
	reported := map[string]bool{apiv1.ConditionProgrammed: true}
	for _, c := range st.Conditions {
		reported[c.Type] = true
		c.ObservedGeneration = st.Generation
		if c.LastTransitionTime.IsZero() {
			c.LastTransitionTime = now
		}
		meta.SetStatusCondition(&s.Conditions, c)
	}
	if programmed != nil {
		setProgrammed(&s.Conditions, *programmed, st.Generation, now)
	}
	s.Conditions = slices.DeleteFunc(s.Conditions, func(c metav1.Condition) bool { return !reported[c.Type] })
}
