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

package compile_test

import (
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
)

// SyntheticInputs builds apis RestApis with routesPerAPI routes each (a mix of MOCK and
// HTTP_PROXY integrations, parameters and methods) and one stage per API.
func SyntheticInputs(apis, routesPerAPI int) compile.Inputs {
	var in compile.Inputs
	for a := 0; a < apis; a++ {
		api := fmt.Sprintf("api-%03d", a)
		in.RestApis = append(in.RestApis, apiv1.RestApi{ObjectMeta: meta(api)})
		in.Stages = append(in.Stages, apiv1.Stage{ObjectMeta: meta(api), Spec: apiv1.StageSpec{
			RestApiRef: apiv1.LocalObjectReference{Name: api},
			StageName:  api,
			Variables:  apiv1.StageVariables{"backend": "backend.example:8080"},
		}})
		for r := 0; r < routesPerAPI; r++ {
			route := apiv1.Route{ObjectMeta: meta(fmt.Sprintf("%s-r%04d", api, r)), Spec: apiv1.RouteSpec{
				RestApiRef: apiv1.LocalObjectReference{Name: api},
				Path:       fmt.Sprintf("/res%d/{id}/sub%d", r/4, r%4),
				Methods:    []apiv1.HTTPMethod{apiv1.MethodGet, apiv1.MethodPost},
			}}
			if r%2 == 0 {
				route.Spec.Integration = apiv1.Integration{Type: apiv1.IntegrationMock, Mock: &apiv1.MockResponse{StatusCode: 200, Body: `{"ok":true}`}}
			} else {
				route.Spec.Integration = apiv1.Integration{Type: apiv1.IntegrationHTTPProxy, URI: "http://${stageVariables.backend}/res/{id}"}
			}
			in.Routes = append(in.Routes, route)
		}
	}
	return in
}

func meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "bench", Generation: 1}
}

// BenchmarkCompile measures a full compile (every API) and a scoped one (one API changed,
// as the controller compiles on a change).
func BenchmarkCompile(b *testing.B) {
	for _, size := range []struct{ apis, routes int }{{100, 10}, {100, 100}} {
		in := SyntheticInputs(size.apis, size.routes)
		total := size.apis * size.routes
		// Revisions exist already: the steady state, where one change makes one revision.
		in.Revisions = compile.Compile(in).NewRevisions
		b.Run(fmt.Sprintf("all/routes=%d", total), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if out := compile.Compile(in); len(out.Stages) != size.apis {
					b.Fatalf("%d stages", len(out.Stages))
				}
			}
		})
		scoped := in
		scoped.Scope = []compile.NamespacedName{{Namespace: "bench", Name: "api-042"}}
		b.Run(fmt.Sprintf("one-api/routes=%d", total), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if out := compile.Compile(scoped); len(out.Stages) != 1 {
					b.Fatalf("%d stages", len(out.Stages))
				}
			}
		})
	}
}
