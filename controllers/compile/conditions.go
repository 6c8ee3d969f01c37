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

package compile

import (
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
)

// statuses collects the status of every object the compile touches.
type statuses map[objectKey]*ObjectStatus

type objectKey struct{ kind, namespace, name string }

func (s statuses) of(kind string, obj metav1.Object) *ObjectStatus {
	k := objectKey{kind, obj.GetNamespace(), obj.GetName()}
	st, ok := s[k]
	if !ok {
		st = &ObjectStatus{Kind: kind, Namespace: k.namespace, Name: k.name, Generation: obj.GetGeneration()}
		s[k] = st
	}
	return st
}

// set records a condition, replacing one of the same type.
func (st *ObjectStatus) set(condType string, ok bool, reason, message string) {
	status := metav1.ConditionFalse
	if ok {
		status = metav1.ConditionTrue
	}
	c := metav1.Condition{Type: condType, Status: status, Reason: reason, Message: message, ObservedGeneration: st.Generation}
	for i := range st.Conditions {
		if st.Conditions[i].Type == condType {
			st.Conditions[i] = c
			return
		}
	}
	st.Conditions = append(st.Conditions, c)
}

func (st *ObjectStatus) condition(condType string) *metav1.Condition {
	for i := range st.Conditions {
		if st.Conditions[i].Type == condType {
			return &st.Conditions[i]
		}
	}
	return nil
}

// accept records Accepted and Ready as True, unless a problem was recorded before.
func (st *ObjectStatus) accept(acceptedMsg, readyMsg string) {
	if st.condition(apiv1.ConditionAccepted) == nil {
		st.set(apiv1.ConditionAccepted, true, apiv1.ReasonAccepted, acceptedMsg)
	}
	if st.condition(apiv1.ConditionReady) == nil {
		st.set(apiv1.ConditionReady, true, apiv1.ReasonReady, readyMsg)
	}
}

// refuse records that the object is not served, for reason.
func (st *ObjectStatus) refuse(reason, message string) {
	st.set(apiv1.ConditionAccepted, false, reason, message)
	st.set(apiv1.ConditionReady, false, reason, message)
}

// problems accumulates messages of one object, first reason wins.
type problems struct {
	reason   string
	messages []string
}

func (p *problems) add(reason, msg string) {
	if p.reason == "" {
		p.reason = reason
	}
	p.messages = append(p.messages, msg)
}

func (p *problems) String() string { return strings.Join(p.messages, "; ") }
