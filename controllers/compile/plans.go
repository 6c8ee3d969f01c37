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
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/controllers/ir"
)

// compilePlans binds every UsagePlan to its stages and returns the plans per stage key.
// Plans are taken oldest first: when a key is in two plans for one stage, the older plan
// keeps it, and the newer one reports APIKeyConflict. Throttle keys that name no route of a
// stage's deployed revision are reported later, by checkPlanThrottles, when the stage has
// its revision.
func (w *world) compilePlans(st statuses) map[string][]ir.UsagePlan {
	byStage := map[string][]ir.UsagePlan{}
	type claimant struct{ plan, key string }
	claimed := map[string]claimant{} // stage key + "|" + key hash -> the plan and key that took it
	inScope := scope(w.in.Scope)
	for _, p := range w.plans {
		status := st.of(KindUsagePlan, p)
		var probs problems
		keys := w.planKeys(p, &probs)
		n := int32(len(keys))
		status.APIKeys = &n
		for _, as := range p.Spec.APIStages {
			stage := w.findStage(p.Namespace, as.RestApiRef.Name, as.Stage)
			if stage == nil && w.restApis[nsName{p.Namespace, as.RestApiRef.Name}] == nil {
				probs.add(apiv1.ReasonStageNotFound, fmt.Sprintf("RestApi %s does not exist in namespace %s", as.RestApiRef.Name, p.Namespace))
				continue
			}
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
			// In the order the proxies rank them, as a Stage's method settings.
			sort.SliceStable(plan.MethodThrottles, func(i, j int) bool {
				a, b := plan.MethodThrottles[i], plan.MethodThrottles[j]
				return xdsv1alpha1.Specificity(a.Path, a.Method) < xdsv1alpha1.Specificity(b.Path, b.Method)
			})
			for _, k := range keys {
				claim := stageKey + "|" + k.SHA256
				other, taken := claimed[claim]
				switch {
				case taken && other.plan == p.Name:
					// Two Secrets of one plan with one value: a request with it is the
					// first's, and the second's usage would read 0 for ever.
					probs.add(apiv1.ReasonAPIKeyConflict, fmt.Sprintf("API key %s holds the same key as Secret %s in this plan; requests with it count as %s's", k.ID, other.key, other.key))
					continue
				case taken:
					what := "API key " + k.ID
					if other.key != k.ID {
						what += " holds the same key as Secret " + other.key + ", which"
					}
					probs.add(apiv1.ReasonAPIKeyConflict, fmt.Sprintf("%s is already in UsagePlan %s for stage %s; a key is in one plan per stage", what, other.plan, as.Stage))
					continue
				}
				claimed[claim] = claimant{p.Name, k.ID}
				plan.Keys = append(plan.Keys, k)
			}
			byStage[stageKey] = append(byStage[stageKey], plan)
		}
		status.set(apiv1.ConditionAccepted, true, apiv1.ReasonAccepted, "the plan is valid")
		// A compile scoped to some RestApis compiles only their stages, so only they report
		// their unmatched throttle keys: the other stages' reports, as this generation of the
		// plan had them written, are kept, or each API's compile would undo the others'.
		for _, as := range p.Spec.APIStages {
			if !inScope(nsName{p.Namespace, as.RestApiRef.Name}) {
				for _, msg := range writtenPlanThrottleWarnings(p, as) {
					addPlanThrottleWarning(status, msg)
				}
			}
		}
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

// planThrottlesIgnored ends the Accepted message of a plan with throttle keys that name no
// route: the rest of the plan applies.
const planThrottlesIgnored = "; the plan applies without those throttles"

// checkPlanThrottles reports, on the status of each plan bound to stage s, the
// apiStages[].throttle keys that match no route of api, the stage's deployed revision (as a
// Stage's methodSettings keys are reported). The proxies apply no such throttle, and the rest
// of the plan is in force.
func (w *world) checkPlanThrottles(st statuses, s *apiv1.Stage, restApi string, api *ir.API) {
	for _, p := range w.plans {
		if p.Namespace != s.Namespace {
			continue
		}
		for _, as := range p.Spec.APIStages {
			if as.RestApiRef.Name != restApi || as.Stage != stageName(s) {
				continue
			}
			for _, key := range sortedKeys(as.Throttle) {
				path, method, ok := splitMethodKey(key)
				if ok && !apiHasRoute(api, path, method) { // a key not "/path/METHOD" is compilePlans'
					addPlanThrottleWarning(st.of(KindUsagePlan, p), fmt.Sprintf("%sthrottle key %q matches no route of the deployed revision", planStagePrefix(as), key))
				}
			}
		}
	}
}

// planStagePrefix begins the messages about one of a plan's stages.
func planStagePrefix(as apiv1.UsagePlanAPIStage) string {
	return fmt.Sprintf("RestApi %s stage %s: ", as.RestApiRef.Name, as.Stage)
}

// addPlanThrottleWarning adds msg to the plan's Accepted condition, which says
// InvalidMethodSetting once there is one. Messages are sorted: stages report in the order
// they compile, and a scoped compile adds the other APIs' first, yet the status must not
// change with the order.
func addPlanThrottleWarning(status *ObjectStatus, msg string) {
	var msgs []string
	if c := status.condition(apiv1.ConditionAccepted); c != nil && c.Reason == apiv1.ReasonInvalidMethodSetting {
		msgs = strings.Split(strings.TrimSuffix(c.Message, planThrottlesIgnored), "; ")
	}
	if slices.Contains(msgs, msg) {
		return
	}
	msgs = append(msgs, msg)
	slices.Sort(msgs)
	status.set(apiv1.ConditionAccepted, false, apiv1.ReasonInvalidMethodSetting, strings.Join(msgs, "; ")+planThrottlesIgnored)
}

// writtenPlanThrottleWarnings returns the messages about stage as that the plan's status
// holds for its current generation.
func writtenPlanThrottleWarnings(p *apiv1.UsagePlan, as apiv1.UsagePlanAPIStage) []string {
	var out []string
	for _, c := range p.Status.Conditions {
		if c.Type != apiv1.ConditionAccepted || c.Reason != apiv1.ReasonInvalidMethodSetting || c.ObservedGeneration != p.Generation {
			continue
		}
		for _, msg := range strings.Split(strings.TrimSuffix(c.Message, planThrottlesIgnored), "; ") {
			if strings.HasPrefix(msg, planStagePrefix(as)) {
				out = append(out, msg)
			}
		}
	}
	return out
}

// reportUnservedPlanStages marks a plan not Ready when a stage of it exists but is not served
// (a missing RestApi or revision, a conflict): its keys get nothing there, and Ready said
// otherwise. A stage of an API outside the compile's scope is judged by its own Accepted
// condition, as that API's compile wrote it.
func (w *world) reportUnservedPlanStages(st statuses, inScope func(nsName) bool) {
	for _, p := range w.plans {
		var probs problems
		for _, as := range p.Spec.APIStages {
			s := w.findStage(p.Namespace, as.RestApiRef.Name, as.Stage)
			if s == nil {
				continue // reported as StageNotFound
			}
			served := w.served[s.Namespace+"/"+s.Name]
			if !inScope(nsName{p.Namespace, as.RestApiRef.Name}) {
				served = !writtenUnserved(s)
			}
			if !served {
				probs.add(apiv1.ReasonNotServed, fmt.Sprintf("Stage %s (RestApi %s, stage %q) is not served, so the plan's keys get nothing there; its conditions say why", s.Name, as.RestApiRef.Name, as.Stage))
			}
		}
		if probs.reason == "" {
			continue
		}
		status := st.of(KindUsagePlan, p)
		if c := status.condition(apiv1.ConditionReady); c != nil && c.Status == metav1.ConditionFalse {
			status.set(apiv1.ConditionReady, false, c.Reason, c.Message+"; "+probs.String())
		} else {
			status.set(apiv1.ConditionReady, false, probs.reason, probs.String())
		}
	}
}

// writtenUnserved reports whether a Stage's written status says it is not served: its
// Accepted condition refuses it for a missing RestApi or revision, or a conflict.
func writtenUnserved(s *apiv1.Stage) bool {
	for _, c := range s.Status.Conditions {
		if c.Type == apiv1.ConditionAccepted && c.Status == metav1.ConditionFalse {
			switch c.Reason {
			case apiv1.ReasonRestApiNotFound, apiv1.ReasonRevisionNotFound, apiv1.ReasonStageConflict:
				return true
			}
		}
	}
	return false
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
			// The controller lists only api-key Secrets: one of another type looks absent.
			probs.add(apiv1.ReasonInvalidAPIKey, fmt.Sprintf("Secret %s does not exist, or is not of type %s", ref.Name, apiv1.APIKeySecretType))
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
		if enabled, problem := keyEnabled(s); !enabled {
			if problem != "" {
				probs.add(apiv1.ReasonInvalidAPIKey, problem)
			}
			continue
		}
		value, ok := apiKeyValue(s)
		switch {
		case !ok && w.in.Options.NoKeyGenerator:
			probs.add(apiv1.ReasonInvalidAPIKey, fmt.Sprintf("Secret %s holds no key, and in standalone mode nothing generates one (the controller does in a cluster): write a key of %d to %d characters into its stringData.key", name, apiv1.APIKeyMinLength, apiv1.APIKeyMaxLength))
			continue
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

// apiKeyValue reads the key of an API key Secret from its data (a file source's stringData
// is merged into it on reading, as the API server stores it: manifest.AddTo).
func apiKeyValue(s *corev1.Secret) (string, bool) {
	v := s.Data[apiv1.APIKeySecretKey]
	return string(v), len(v) > 0
}

// keyEnabled reads a key Secret's enabled annotation: true, false, or (as
// strconv.ParseBool reads them) TRUE, False, 1, 0. Anything else disables the key, failing
// closed, with a problem that says so: a "disabled" or "no" that left the key working would be
// a key its owner believes is off.
func keyEnabled(s *corev1.Secret) (enabled bool, problem string) {
	v, set := s.Annotations[apiv1.APIKeyEnabledAnnotation]
	if !set {
		return true, ""
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return false, fmt.Sprintf("Secret %s: annotation %s=%q is neither true nor false; the key is disabled until it is", s.Name, apiv1.APIKeyEnabledAnnotation, v)
	}
	return b, ""
}
