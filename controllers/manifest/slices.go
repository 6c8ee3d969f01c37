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

package manifest

import (
	"cmp"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/portico-dev/portico/controllers/compile"
)

// ServicesForSlices adds, for every Service that EndpointSlices name
// (kubernetes.io/service-name) but no manifest defines, a Service whose ports are the
// slices' ports: in files, EndpointSlice manifests suffice to reach a backend (API.md), so
// a backendRef's port is then the EndpointSlice port of the same number, matched by name as
// the compiler matches Service and slice ports. Call it once, after every file's AddTo.
func ServicesForSlices(in *compile.Inputs) {
	type key struct{ namespace, name string }
	defined := map[key]bool{}
	for i := range in.Services {
		defined[key{in.Services[i].Namespace, in.Services[i].Name}] = true
	}
	made := map[key]*corev1.Service{}
	var order []key
	for i := range in.EndpointSlices {
		es := &in.EndpointSlices[i]
		name := es.Labels[discoveryv1.LabelServiceName]
		k := key{es.Namespace, name}
		if name == "" || defined[k] {
			continue
		}
		svc := made[k]
		if svc == nil {
			svc = &corev1.Service{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
				ObjectMeta: metav1.ObjectMeta{Namespace: es.Namespace, Name: name},
			}
			made[k] = svc
			order = append(order, k)
		}
		for _, p := range es.Ports {
			if p.Port == nil {
				continue
			}
			pname := ""
			if p.Name != nil {
				pname = *p.Name
			}
			// One port per name: a Service's port names are unique, and the compiler finds
			// the slice port by the Service port's name.
			if slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool { return sp.Name == pname }) {
				continue
			}
			sp := corev1.ServicePort{Name: pname, Port: *p.Port}
			if p.Protocol != nil {
				sp.Protocol = *p.Protocol
			}
			svc.Spec.Ports = append(svc.Spec.Ports, sp)
		}
	}
	for _, k := range order {
		svc := made[k]
		slices.SortFunc(svc.Spec.Ports, func(a, b corev1.ServicePort) int { return cmp.Compare(a.Name, b.Name) })
		in.Services = append(in.Services, *svc)
	}
}
