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
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strconv"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/ir"
)

// Compile compiles inputs. It is pure: the same inputs give the same output.
//
// RestApis are compiled to revisions first (new content gets the next number), then each
// Stage takes its revision, and usage plans and endpoints are bound to the stages. A broken
// object is left out with a condition that says why; everything else is still served.
func Compile(in Inputs) Output {
	w := newWorld(&in)
	st := statuses{}
	var out Output
	plans := w.compilePlans(st)
	conflicts := w.stageConflicts()
	clusters := map[string]bool{}
	inScope := scope(in.Scope)
	callers := callerCaching{}

	for _, api := range w.sortedRestApis() {
		key := nsName{api.Namespace, api.Name}
		if !inScope(key) {
			continue
		}
		compiled := w.compileAPI(st, api)
		rev, isNew := w.revisionFor(api, compiled, HashAPI(compiled))
		rev.API = compiled
		if isNew {
			out.NewRevisions = append(out.NewRevisions, rev)
		}
		apiStatus := st.of(KindRestApi, api)
		apiStatus.Revision = rev.Number
		apiStatus.accept("the API is valid", "compiled to revision "+itoa(rev.Number))
		refused := firstRefusedRoute(st, w.routesOf(api.Namespace, api.Name))
		for _, s := range w.stages[key] {
			stage := w.compileStage(st, s, api, &rev, conflicts)
			if stage != nil && refused != nil && stage.Revision == rev.Number {
				c := refused.condition(apiv1.ConditionAccepted)
				st.of(KindStage, s).set(apiv1.ConditionReady, false, c.Reason, fmt.Sprintf(
					"Route %s is not served: %s; the stage serves the API's other routes", refused.Name, c.Message))
			}
			if stage == nil {
				continue
			}
			stage.DisableDefaultEndpoint = api.Spec.DisableDefaultEndpoint
			callers.note(w, stage)
			stage.UsagePlans = plans[stage.Key]
			collectClusters(stage.API, clusters)
			if stage.Canary != nil && stage.Canary.API != nil {
				collectClusters(stage.Canary.API, clusters)
			}
			out.Stages = append(out.Stages, *stage)
		}
		out.PrunedRevisions = append(out.PrunedRevisions, w.prune(api, rev.Number)...)
	}

	callers.apply(st)
	w.served = map[string]bool{}
	for i := range out.Stages {
		w.served[out.Stages[i].Key] = true
	}
	w.reportUnservedPlanStages(st, inScope)

	// Routes and Stages naming a RestApi that does not exist.
	for key, routes := range w.routes {
		if w.restApis[key] == nil && inScope(key) {
			for _, r := range routes {
				st.of(KindRoute, r).refuse(apiv1.ReasonRestApiNotFound, "RestApi "+key.name+" does not exist in namespace "+key.namespace)
			}
		}
	}
	for key, stages := range w.stages {
		if w.restApis[key] == nil && inScope(key) {
			for _, s := range stages {
				w.compileStage(st, s, nil, nil, conflicts)
			}
		}
	}
	// Authorizers no route uses still get a status.
	for i := range in.Authorizers {
		a := &in.Authorizers[i]
		if _, done := st[objectKey{KindAuthorizer, a.Namespace, a.Name}]; !done {
			w.compileAuthorizer(st, a)
			if c := st.of(KindAuthorizer, a).condition(apiv1.ConditionReady); c.Reason == apiv1.ReasonReady {
				c.Message = "no route uses it"
			}
		}
	}

	// Domains span APIs: a compile scoped to some APIs leaves them to Domains.
	if len(in.Scope) == 0 {
		out.Domains, out.Secrets = w.compileDomains(st)
	}

	for _, c := range sortedKeys(clusters) {
		out.Endpoints = append(out.Endpoints, w.endpoints(c))
	}
	slices.SortFunc(out.Stages, func(a, b ir.Stage) int { return cmp.Compare(a.Key, b.Key) })
	for _, s := range st {
		out.Statuses = append(out.Statuses, *s)
	}
	slices.SortFunc(out.Statuses, func(a, b ObjectStatus) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// firstRefusedRoute returns the status of the first of routes (sorted by name) that was
// refused, or nil.
func firstRefusedRoute(st statuses, routes []*apiv1.Route) *ObjectStatus {
	for _, r := range routes {
		if c := st.of(KindRoute, r).condition(apiv1.ConditionAccepted); c != nil && c.Status != "True" {
			return st.of(KindRoute, r)
		}
	}
	return nil
}

// scope returns whether a RestApi is to be compiled: every one when the scope is empty.
func scope(only []NamespacedName) func(nsName) bool {
	if len(only) == 0 {
		return func(nsName) bool { return true }
	}
	set := map[nsName]bool{}
	for _, n := range only {
		set[nsName{n.Namespace, n.Name}] = true
	}
	return func(k nsName) bool { return set[k] }
}

// NamespacedName names a RestApi in Inputs.Scope.
type NamespacedName struct{ Namespace, Name string }

func collectClusters(api *ir.API, into map[string]bool) {
	if api == nil {
		return
	}
	for _, r := range api.Routes {
		if b := r.Integration.Backend; b != nil {
			into[b.Cluster] = true
		}
	}
	for _, a := range api.Authorizers {
		if a.Function != nil && a.Function.Backend != nil {
			into[a.Function.Backend.Cluster] = true
		}
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orDefaultInt(v, def int32) int32 {
	if v == 0 {
		return def
	}
	return v
}

func sortedCopy(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := slices.Clone(in)
	sort.Strings(out)
	return slices.Compact(out)
}

// uniqueCopy is in without repeats, in its order: for lists whose order shows, such as
// requiredParameters, which the BAD_REQUEST_PARAMETERS message names as the route lists them.
func uniqueCopy(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, 0, len(in))
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
