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
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
)

var (
	t0 = metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	t1 = metav1.NewTime(t0.Add(time.Hour))
)

func cond(typ string, status metav1.ConditionStatus, reason string) metav1.Condition {
	return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: reason + " message"}
}

// stamped is c as the writer stores it.
func stamped(c metav1.Condition, gen int64, at metav1.Time) metav1.Condition {
	c.ObservedGeneration = gen
	c.LastTransitionTime = at
	return c
}

func TestSetCommon(t *testing.T) {
	accepted := cond(apiv1.ConditionAccepted, metav1.ConditionTrue, apiv1.ReasonAccepted)
	ready := cond(apiv1.ConditionReady, metav1.ConditionTrue, apiv1.ReasonReady)
	notReady := cond(apiv1.ConditionReady, metav1.ConditionFalse, apiv1.ReasonBackendNotFound)
	programmed := cond(apiv1.ConditionProgrammed, metav1.ConditionTrue, apiv1.ReasonProgrammed)
	legacy := cond("Legacy", metav1.ConditionTrue, "Old")

	cases := []struct {
		name       string
		before     []metav1.Condition
		st         compile.ObjectStatus
		programmed *metav1.Condition
		want       []metav1.Condition
	}{{
		name: "first write stamps every condition",
		st:   compile.ObjectStatus{Generation: 2, Conditions: []metav1.Condition{accepted, ready}},
		want: []metav1.Condition{stamped(accepted, 2, t1), stamped(ready, 2, t1)},
	}, {
		name:   "same status keeps the transition time, takes the new generation",
		before: []metav1.Condition{stamped(accepted, 1, t0), stamped(ready, 1, t0)},
		st:     compile.ObjectStatus{Generation: 2, Conditions: []metav1.Condition{accepted, ready}},
		want:   []metav1.Condition{stamped(accepted, 2, t0), stamped(ready, 2, t0)},
	}, {
		name:   "a changed status moves the transition time of that condition only",
		before: []metav1.Condition{stamped(accepted, 1, t0), stamped(ready, 1, t0)},
		st:     compile.ObjectStatus{Generation: 1, Conditions: []metav1.Condition{accepted, notReady}},
		want:   []metav1.Condition{stamped(accepted, 1, t0), stamped(notReady, 1, t1)},
	}, {
		name:   "conditions no longer reported go, except Programmed",
		before: []metav1.Condition{stamped(legacy, 1, t0), stamped(programmed, 1, t0), stamped(ready, 1, t0)},
		st:     compile.ObjectStatus{Generation: 1, Conditions: []metav1.Condition{accepted}},
		want:   []metav1.Condition{stamped(programmed, 1, t0), stamped(accepted, 1, t1)},
	}, {
		name:       "Programmed from the proxies",
		before:     []metav1.Condition{stamped(accepted, 3, t0)},
		st:         compile.ObjectStatus{Generation: 3, Conditions: []metav1.Condition{accepted}},
		programmed: &programmed,
		want:       []metav1.Condition{stamped(accepted, 3, t0), stamped(programmed, 3, t1)},
	}, {
		name:   "compiler conditions with a time keep it",
		before: nil,
		st:     compile.ObjectStatus{Generation: 1, Conditions: []metav1.Condition{stamped(accepted, 0, t0)}},
		want:   []metav1.Condition{stamped(accepted, 1, t0)},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := apiv1.CommonStatus{ObservedGeneration: 1, Conditions: tc.before}
			setCommon(&s, tc.st, tc.programmed, t1)
			if s.ObservedGeneration != tc.st.Generation {
				t.Errorf("observedGeneration = %d, want %d", s.ObservedGeneration, tc.st.Generation)
			}
			if !equality.Semantic.DeepEqual(s.Conditions, tc.want) {
				t.Errorf("conditions:\n got %+v\nwant %+v", s.Conditions, tc.want)
			}
		})
	}
}

func TestSetStatusFields(t *testing.T) {
	st := compile.ObjectStatus{
		Generation: 4, Revision: 7, Routes: ptr.To[int32](12), APIKeys: ptr.To[int32](2),
		URL: "http://gw/prod/", DeployedRevision: 7, CanaryRevision: 8,
	}
	programmed := cond(apiv1.ConditionProgrammed, metav1.ConditionTrue, apiv1.ReasonProgrammed)

	api := &apiv1.RestApi{}
	plan := &apiv1.UsagePlan{}
	stage := &apiv1.Stage{}
	route := &apiv1.Route{}
	for _, obj := range []client.Object{api, plan, stage, route} {
		setStatusOrFail(t, obj, st, &programmed)
	}
	if api.Status.Revision != 7 || api.Status.Routes != 12 || api.Status.ObservedGeneration != 4 {
		t.Errorf("RestApi status = %+v", api.Status)
	}
	if plan.Status.APIKeys != 2 {
		t.Errorf("UsagePlan status = %+v", plan.Status)
	}
	if stage.Status.URL != "http://gw/prod/" || stage.Status.DeployedRevision != 7 || stage.Status.CanaryRevision != 8 {
		t.Errorf("Stage status = %+v", stage.Status)
	}
	// Programmed is a Stage's only.
	if len(stage.Status.Conditions) != 1 || len(api.Status.Conditions) != 0 || len(route.Status.Conditions) != 0 {
		t.Errorf("Programmed went to: stage %v, restapi %v, route %v",
			stage.Status.Conditions, api.Status.Conditions, route.Status.Conditions)
	}

	// Unset counts mean zero: the status mirrors the latest compile.
	setStatusOrFail(t, api, compile.ObjectStatus{Generation: 5}, nil)
	setStatusOrFail(t, plan, compile.ObjectStatus{Generation: 5}, nil)
	if api.Status.Routes != 0 || api.Status.Revision != 0 || plan.Status.APIKeys != 0 {
		t.Errorf("after a compile without counts: RestApi %+v, UsagePlan %+v", api.Status, plan.Status)
	}
}

func setStatusOrFail(t *testing.T, obj client.Object, st compile.ObjectStatus, programmed *metav1.Condition) {
	t.Helper()
	if err := setStatus(obj, st, programmed, t0); err != nil {
		t.Fatalf("%T: %v", obj, err)
	}
}

func TestNewObject(t *testing.T) {
	for _, kind := range []string{compile.KindRestApi, compile.KindRoute, compile.KindAuthorizer, compile.KindUsagePlan, compile.KindStage, compile.KindDomainName} {
		obj, err := newObject(kind)
		if err != nil {
			t.Fatal(err)
		}
		if statusOf(obj) == nil {
			t.Errorf("no status for %s", kind)
		}
	}
	if _, err := newObject("Gateway"); err == nil {
		t.Error("newObject accepted an unknown kind")
	}
}

func TestSetDomainNameStatus(t *testing.T) {
	notAfter := metav1.NewTime(t1.Time)
	st := compile.ObjectStatus{Generation: 2, URL: "https://api.example.com/",
		Certificate: &apiv1.CertificateStatus{NotAfter: &notAfter, DNSNames: []string{"api.example.com"}},
		Conditions:  []metav1.Condition{cond(apiv1.ConditionCertificateExpiring, metav1.ConditionFalse, apiv1.ReasonCertificateValid)}}
	programmed := cond(apiv1.ConditionProgrammed, metav1.ConditionTrue, apiv1.ReasonProgrammed)
	d := &apiv1.DomainName{}
	setStatusOrFail(t, d, st, &programmed)
	if d.Status.URL != st.URL || d.Status.Certificate.DNSNames[0] != "api.example.com" || len(d.Status.Conditions) != 2 {
		t.Errorf("DomainName status = %+v", d.Status)
	}
	// A certificate that no longer reads clears what the status showed of it.
	setStatusOrFail(t, d, compile.ObjectStatus{Generation: 3}, nil)
	if d.Status.Certificate != nil || d.Status.URL != "" {
		t.Errorf("DomainName status kept the old certificate: %+v", d.Status)
	}
}
