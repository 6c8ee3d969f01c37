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

package openapi

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
)

// A model's contentType is where the export lists a Route's body model, and the import gives
// a model the one media type the document validates with it.
func TestModelContentType(t *testing.T) {
	api := &apiv1.RestApi{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "notes"}, Spec: apiv1.RestApiSpec{
		Models: map[string]apiv1.Model{
			"Note": {ContentType: "text/plain", Schema: runtime.RawExtension{Raw: []byte(`{"type":"string"}`)}},
			"Pet":  {Schema: runtime.RawExtension{Raw: []byte(`{"type":"object"}`)}},
		},
	}}
	route := func(name, path, model string) apiv1.Route {
		return apiv1.Route{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
			Spec: apiv1.RouteSpec{
				RestApiRef: apiv1.LocalObjectReference{Name: "notes"}, Path: path, Methods: []apiv1.HTTPMethod{apiv1.MethodPost},
				RequestValidation: &apiv1.RequestValidation{Body: model},
				Integration:       apiv1.Integration{Type: apiv1.IntegrationHTTPProxy, URI: "http://backend.example" + path},
			},
		}
	}
	out, err := Export(ExportInput{RestApi: api, Routes: []apiv1.Route{route("add-note", "/notes", "Note"), route("add-pet", "/pets", "Pet")}, StageName: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]any `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{"/notes": "text/plain", "/pets": "application/json"} {
		content := doc.Paths[path]["post"].RequestBody.Content
		if _, ok := content[want]; !ok || len(content) != 1 {
			t.Errorf("%s: request body content %v, want %s only", path, content, want)
		}
	}

	back, err := Import("export.yaml", out, Options{Name: "notes", Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for name, m := range back.RestApi.Spec.Models {
		got[name] = m.ContentType
	}
	if want := map[string]string{"Note": "text/plain", "Pet": "application/json"}; !cmp.Equal(got, want) {
		t.Errorf("imported models' content types %v, want %v", got, want)
	}
}

// An API whose models are not JSON exports, and its export imports back to the same API:
// a body model for its own media type only (bodies), one for any (body) beside another's
// bodies, and a model no route uses keep their forms and content types.
func TestExportNonJSONModels(t *testing.T) {
	api := &apiv1.RestApi{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "edge"}, Spec: apiv1.RestApiSpec{
		Models: map[string]apiv1.Model{
			"A":      {Schema: runtime.RawExtension{Raw: []byte(`{"type":"object"}`)}},
			"B":      {ContentType: "application/vnd.b+json", Schema: runtime.RawExtension{Raw: []byte(`{"type":"object","required":["b"]}`)}},
			"Unused": {ContentType: "application/vnd.u+json", Schema: runtime.RawExtension{Raw: []byte(`{"type":"object"}`)}},
		},
	}}
	route := func(name, path string, v *apiv1.RequestValidation) apiv1.Route {
		return apiv1.Route{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
			Spec: apiv1.RouteSpec{
				RestApiRef: apiv1.LocalObjectReference{Name: "edge"}, Path: path, Methods: []apiv1.HTTPMethod{apiv1.MethodPost},
				RequestValidation: v,
				Integration:       apiv1.Integration{Type: apiv1.IntegrationHTTPProxy, URI: "http://backend.example" + path},
			},
		}
	}
	routes := []apiv1.Route{
		route("own", "/own", &apiv1.RequestValidation{Bodies: map[string]apiv1.ModelName{"application/vnd.b+json": "B"}}),
		route("both", "/both", &apiv1.RequestValidation{Body: "A", Bodies: map[string]apiv1.ModelName{"application/vnd.b+json": "B"}}),
	}
	out, err := Export(ExportInput{RestApi: api, Routes: routes})
	if err != nil {
		t.Fatal(err)
	}
	back, err := Import("export.yaml", out, Options{Name: "edge", Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range api.Spec.Models {
		if got := back.RestApi.Spec.Models[name].ContentType; got != want.ContentType && (got != "application/json" || want.ContentType != "") {
			t.Errorf("model %s: content type %q, want %q", name, got, want.ContentType)
		}
	}
	for _, r := range back.Routes {
		for _, o := range routes {
			if o.Name == r.Name && !cmp.Equal(o.Spec.RequestValidation, r.Spec.RequestValidation) {
				t.Errorf("%s: validation %+v, want %+v", r.Name, r.Spec.RequestValidation, o.Spec.RequestValidation)
			}
		}
	}
}
