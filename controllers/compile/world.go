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
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
)

// world indexes the inputs by namespace and name, so that the compile is linear in the
// number of objects.
type world struct {
	in          *Inputs
	restApis    map[nsName]*apiv1.RestApi
	routes      map[nsName][]*apiv1.Route // by RestApi
	authorizers map[nsName]*apiv1.Authorizer
	stages      map[nsName][]*apiv1.Stage // by RestApi
	plans       []*apiv1.UsagePlan
	apiKeys     map[string][]*corev1.Secret // by namespace
	secrets     map[nsName]*corev1.Secret
	services    map[nsName]*corev1.Service
	slices      map[nsName][]*discoveryv1.EndpointSlice // by Service
	revisions   map[nsName][]*Revision                  // by RestApi, by number
	// served holds the keys of the Stages this compile serves, once they are compiled.
	served map[string]bool
}

type nsName struct{ namespace, name string }

func newWorld(in *Inputs) *world {
	w := &world{
		in:          in,
		restApis:    map[nsName]*apiv1.RestApi{},
		routes:      map[nsName][]*apiv1.Route{},
		authorizers: map[nsName]*apiv1.Authorizer{},
		stages:      map[nsName][]*apiv1.Stage{},
		apiKeys:     map[string][]*corev1.Secret{},
		secrets:     map[nsName]*corev1.Secret{},
		services:    map[nsName]*corev1.Service{},
		slices:      map[nsName][]*discoveryv1.EndpointSlice{},
		revisions:   map[nsName][]*Revision{},
	}
	for i := range in.RestApis {
		a := &in.RestApis[i]
		w.restApis[nsName{a.Namespace, a.Name}] = a
	}
	for i := range in.Routes {
		r := &in.Routes[i]
		k := nsName{r.Namespace, r.Spec.RestApiRef.Name}
		w.routes[k] = append(w.routes[k], r)
	}
	for i := range in.Authorizers {
		a := &in.Authorizers[i]
		w.authorizers[nsName{a.Namespace, a.Name}] = a
	}
	for i := range in.Stages {
		s := &in.Stages[i]
		k := nsName{s.Namespace, s.Spec.RestApiRef.Name}
		w.stages[k] = append(w.stages[k], s)
	}
	for i := range in.UsagePlans {
		w.plans = append(w.plans, &in.UsagePlans[i])
	}
	for i := range in.Secrets {
		s := &in.Secrets[i]
		w.secrets[nsName{s.Namespace, s.Name}] = s
		if s.Type == apiv1.APIKeySecretType {
			w.apiKeys[s.Namespace] = append(w.apiKeys[s.Namespace], s)
		}
	}
	for i := range in.Services {
		s := &in.Services[i]
		w.services[nsName{s.Namespace, s.Name}] = s
	}
	for i := range in.EndpointSlices {
		es := &in.EndpointSlices[i]
		if svc := es.Labels[discoveryv1.LabelServiceName]; svc != "" {
			k := nsName{es.Namespace, svc}
			w.slices[k] = append(w.slices[k], es)
		}
	}
	for i := range in.Revisions {
		r := &in.Revisions[i]
		k := nsName{r.Namespace, r.RestApi}
		w.revisions[k] = append(w.revisions[k], r)
	}
	// Inputs come in any order; everything the compile iterates is sorted here once.
	for _, rs := range w.routes {
		slices.SortFunc(rs, func(a, b *apiv1.Route) int { return cmp.Compare(a.Name, b.Name) })
	}
	for _, ss := range w.stages {
		slices.SortFunc(ss, func(a, b *apiv1.Stage) int { return cmp.Compare(a.Name, b.Name) })
	}
	sort.Slice(w.plans, func(i, j int) bool { return olderFirst(w.plans[i], w.plans[j]) })
	for _, ks := range w.apiKeys {
		slices.SortFunc(ks, func(a, b *corev1.Secret) int { return cmp.Compare(a.Name, b.Name) })
	}
	for _, rs := range w.revisions {
		slices.SortFunc(rs, func(a, b *Revision) int { return cmp.Compare(a.Number, b.Number) })
	}
	return w
}

func (w *world) authorizer(namespace, name string) *apiv1.Authorizer {
	return w.authorizers[nsName{namespace, name}]
}

func (w *world) routesOf(namespace, api string) []*apiv1.Route {
	return w.routes[nsName{namespace, api}]
}

// sortedRestApis returns the RestApis in namespace, name order.
func (w *world) sortedRestApis() []*apiv1.RestApi {
	out := make([]*apiv1.RestApi, 0, len(w.restApis))
	for _, a := range w.restApis {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b *apiv1.RestApi) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// olderFirst orders objects by creation time, then namespace and name: where two objects
// claim the same thing, the older one keeps it, as Gateway API does.
func olderFirst(ma, mb metav1.Object) bool {
	ta, tb := ma.GetCreationTimestamp(), mb.GetCreationTimestamp()
	if !ta.Equal(&tb) {
		return ta.Before(&tb)
	}
	if ma.GetNamespace() != mb.GetNamespace() {
		return ma.GetNamespace() < mb.GetNamespace()
	}
	return ma.GetName() < mb.GetName()
}
