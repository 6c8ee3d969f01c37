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

package helm

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// The WebSocket @connections listener (API.md, "WebSocket APIs") is exposed in the cluster,
// and only there: a ClusterIP Service on the proxy's connections port, which the proxy
// listens on for every address of its pod (backends call it from other pods).
func TestConnectionsService(t *testing.T) {
	out := helm(t, "template", "p", "charts/portico", "--set", "proxy.connectionsPort=9911")
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(out), 4096)
	var svc *corev1.Service
	var proxy *appsv1.Deployment
	for {
		var u unstructured.Unstructured
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatal(err)
		}
		var into any
		switch {
		case u.GetKind() == "Service" && u.GetName() == "p-portico-proxy-connections":
			svc = &corev1.Service{}
			into = svc
		case u.GetKind() == "Deployment" && u.GetName() == "p-portico-proxy":
			proxy = &appsv1.Deployment{}
			into = proxy
		default:
			continue
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into); err != nil {
			t.Fatal(err)
		}
	}
	if svc == nil || proxy == nil {
		t.Fatalf("rendered: connections Service %v, proxy Deployment %v", svc != nil, proxy != nil)
	}
	if svc.Spec.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("connections Service type %q, want ClusterIP", svc.Spec.Type)
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 9911 || svc.Spec.Ports[0].TargetPort != intstr.FromString("connections") {
		t.Errorf("connections Service ports %+v, want 9911 -> connections", svc.Spec.Ports)
	}
	if svc.Spec.Selector["app.kubernetes.io/component"] != "proxy" {
		t.Errorf("connections Service selects %v, want the proxy pods", svc.Spec.Selector)
	}
	c := proxy.Spec.Template.Spec.Containers[0]
	if !slices.Contains(c.Args, "--connections-addr=:9911") {
		t.Errorf("proxy args %v lack --connections-addr=:9911", c.Args)
	}
	if !slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Name == "connections" && p.ContainerPort == 9911 }) {
		t.Errorf("proxy ports %+v lack connections 9911", c.Ports)
	}
}
