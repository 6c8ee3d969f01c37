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
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/ir"
)

// compilePlans binds every UsagePlan to its stages and returns the plans per stage key.
// Plans are taken oldest first: when a key is in two plans for one stage, the older plan
// keeps it, and the newer one reports APIKeyConflict.
func (w *world) compilePlans(st statuses) map[string][]ir.UsagePlan {
	byStage := map[string][]ir.UsagePlan{}
	claimed := map[string]string{} // stage key + "|" + key hash -> plan name
	for _, p := range w.plans {
		status := st.of(KindUsagePlan, p)
		var probs problems
		keys := w.planKeys(p, &probs)
		n := int32(len(keys))
		status.APIKeys = &n
		for _, as := range p.Spec.APIStages {
			stage := w.findStage(p.Namespace, as.RestApiRef.Name, as.Stage)
			if stage == nil {
				probs.add(apiv1.ReasonStageNotFound, fmt.Sprintf("RestApi %s has no stage %q", as.RestApiRef.Name, as.Stage))
				continue
			}
			stageKey := stage.Namespace + "/" + stage.Name
			plan := ir.UsagePlan{Name: p.Name, Throttle: throttle(p.Spec.Throttle)}
			if q := p.Spec.Quota; q != nil {
				plan.Quota = &ir.Quota{Limit: q.Limit, Period: string(q.Period), Offset: q.Offset}
			}
			for _, key := range sortedKeys(as.Throttle) {
				path, method, ok := splitMethodKey(key)
				if !ok {
					probs.add(apiv1.ReasonInvalidMethodSetting, fmt.Sprintf("throttle key %q is not \"/path/METHOD\"", key))
					continue
				}
				t := as.Throttle[key]
				plan.MethodThrottles = append(plan.MethodThrottles, ir.MethodThrottle{Path: path, Method: method, Throttle: *throttle(&t)})
			}
			for _, k := range keys {
				claim := stageKey + "|" + k.SHA256
				if other, taken := claimed[claim]; taken && other != p.Name {
					probs.add(apiv1.ReasonAPIKeyConflict, fmt.Sprintf("API key %s is already in UsagePlan %s for stage %s; a key is in one plan per stage", k.ID, other, as.Stage))
					continue
				}
				claimed[claim] = p.Name
				plan.Keys = append(plan.Keys, k)
			}
			byStage[stageKey] = append(byStage[stageKey], plan)
		}
		status.set(apiv1.ConditionAccepted, true, apiv1.ReasonAccepted, "the plan is valid")
		if probs.reason != "" {
			status.set(apiv1.ConditionReady, false, probs.reason, probs.String())
		} else {
			status.set(apiv1.ConditionReady, true, apiv1.ReasonReady, fmt.Sprintf("%d API keys on %d stages", n, len(p.Spec.APIStages)))
		}
	}
	for k := range byStage {
		sort.Slice(byStage[k], func(i, j int) bool { return byStage[k][i].Name < byStage[k][j].Name })
	}
	return byStage
}

func (w *world) findStage(namespace, restApi, name string) *apiv1.Stage {
	for _, s := range w.stages[nsName{namespace, restApi}] {
		if stageName(s) == name {
			return s
		}
	}
	return nil
}

// planKeys resolves a plan's keys: those it names and those its selector matches, valid and
// enabled, sorted by ID. Problems are reported; a Secret awaiting its generated key is not one.
func (w *world) planKeys(p *apiv1.UsagePlan, probs *problems) []ir.APIKey {
	selected := map[string]*corev1.Secret{}
	for _, ref := range p.Spec.APIKeys {
		s := w.secrets[nsName{p.Namespace, ref.Name}]
		switch {
		case s == nil:
			probs.add(apiv1.ReasonInvalidAPIKey, fmt.Sprintf("Secret %s does not exist", ref.Name))
		case s.Type != apiv1.APIKeySecretType:
			probs.add(apiv1.ReasonInvalidAPIKey, fmt.Sprintf("Secret %s is of type %q, not %s", ref.Name, s.Type, apiv1.APIKeySecretType))
		default:
			selected[s.Name] = s
		}
	}
	if sel := p.Spec.APIKeySelector; sel != nil {
		selector, err := metav1.LabelSelectorAsSelector(sel)
		if err != nil {
			probs.add(apiv1.ReasonRejected, "apiKeySelector: "+err.Error())
		} else {
			for _, s := range w.apiKeys[p.Namespace] {
				if selector.Matches(labels.Set(s.Labels)) {
					selected[s.Name] = s
				}
			}
		}
	}
	var out []ir.APIKey
	for _, name := range sortedKeys(selected) {
		s := selected[name]
		if s.Annotations[apiv1.APIKeyEnabledAnnotation] == "false" {
			continue
		}
		value, ok := apiKeyValue(s)
		switch {
		case !ok:
			continue // empty: the controller generates a key into it
		case len(value) < apiv1.APIKeyMinLength || len(value) > apiv1.APIKeyMaxLength:
			probs.add(apiv1.ReasonInvalidAPIKey, fmt.Sprintf("Secret %s holds a key of %d characters; keys have %d to %d", name, len(value), apiv1.APIKeyMinLength, apiv1.APIKeyMaxLength))
			continue
		}
		sum := sha256.Sum256([]byte(value))
		out = append(out, ir.APIKey{ID: name, SHA256: hex.EncodeToString(sum[:])})
	}
	return out
}

// apiKeyValue reads the key of an API key Secret from data or, as a file source leaves
// it, stringData.
func apiKeyValue(s *corev1.Secret) (string, bool) {
	if v, ok := s.Data[apiv1.APIKeySecretKey]; ok && len(v) > 0 {
		return string(v), true
	}
	if v, ok := s.StringData[apiv1.APIKeySecretKey]; ok && v != "" {
		return v, true
	}
	return "", false
}
