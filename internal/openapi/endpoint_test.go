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
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
)

// AWS's x-amazon-apigateway-endpoint-configuration (on servers[] in OpenAPI 3, at the root
// in Swagger 2.0): disableExecuteApiEndpoint is disableDefaultEndpoint, the rest reported.
func TestImportEndpointConfiguration(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		disable   bool
		omitted   []string
	}{{
		name: "OpenAPI 3, on the server",
		doc: `openapi: 3.0.1
info: {title: pets, version: '1'}
servers:
  - url: 'https://x.execute-api.us-east-1.amazonaws.com/{basePath}'
    variables: {basePath: {default: /prod}}
    x-amazon-apigateway-endpoint-configuration: {disableExecuteApiEndpoint: true, vpcEndpointIds: [vpce-1]}
paths: {}
`,
		disable: true,
		omitted: []string{"#/servers/0/x-amazon-apigateway-endpoint-configuration/vpcEndpointIds"},
	}, {
		name: "OpenAPI 3, on a later server, kept enabled",
		doc: `openapi: 3.0.1
info: {title: pets, version: '1'}
servers:
  - url: /
  - url: /
    x-amazon-apigateway-endpoint-configuration: {disableExecuteApiEndpoint: false}
paths: {}
`,
	}, {
		name: "Swagger 2.0, at the root",
		doc: `swagger: '2.0'
info: {title: pets, version: '1'}
basePath: /prod
x-amazon-apigateway-endpoint-configuration: {disableExecuteApiEndpoint: true, types: [PRIVATE], vpcEndpointIds: [vpce-1]}
paths: {}
`,
		disable: true,
		omitted: []string{
			"#/x-amazon-apigateway-endpoint-configuration/types",
			"#/x-amazon-apigateway-endpoint-configuration/vpcEndpointIds",
		},
	}, {
		name: "Portico's earlier export form",
		doc: `openapi: 3.0.1
info: {title: pets, version: '1'}
x-amazon-apigateway-disable-execute-api-endpoint: true
paths: {}
`,
		disable: true,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Import("pets.yaml", []byte(tc.doc), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.RestApi.Spec.DisableDefaultEndpoint != tc.disable {
				t.Errorf("disableDefaultEndpoint = %v, want %v", res.RestApi.Spec.DisableDefaultEndpoint, tc.disable)
			}
			var got []string
			for _, o := range res.Omissions {
				got = append(got, o.Pointer)
			}
			if diff := cmp.Diff(tc.omitted, got); diff != "" {
				t.Errorf("omissions (-want +got):\n%s\n%s", diff, res.Summary())
			}
		})
	}

	_, err := Import("pets.yaml", []byte(`openapi: 3.0.1
info: {title: pets, version: '1'}
servers: [{url: /, x-amazon-apigateway-endpoint-configuration: {disableExecuteApiEndpoint: 'yes'}}]
paths: {}
`), Options{})
	var e *Error
	if !errors.As(err, &e) || e.Pointer != "#/servers/0/x-amazon-apigateway-endpoint-configuration" {
		t.Errorf("a disableExecuteApiEndpoint that is not a boolean: %v", err)
	}
}

// The export writes disableDefaultEndpoint in AWS's form, and imports it back.
func TestExportEndpointConfiguration(t *testing.T) {
	api := &apiv1.RestApi{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "pets"}, Spec: apiv1.RestApiSpec{DisableDefaultEndpoint: true}}
	routes := []apiv1.Route{{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "list-pets"},
		Spec: apiv1.RouteSpec{
			RestApiRef: apiv1.LocalObjectReference{Name: "pets"}, Path: "/pets", Methods: []apiv1.HTTPMethod{apiv1.MethodGet},
			Integration: apiv1.Integration{Type: apiv1.IntegrationHTTPProxy, URI: "http://backend.example/pets"},
		},
	}}
	for _, stage := range []string{"prod", ""} {
		out, err := Export(ExportInput{RestApi: api, Routes: routes, StageName: stage})
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Servers []map[string]any `json:"servers"`
		}
		if err := yaml.Unmarshal(out, &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Servers) != 1 || !cmp.Equal(doc.Servers[0][xEndpointConfig], map[string]any{"disableExecuteApiEndpoint": true}) ||
			strings.Contains(string(out), xLegacyDisableEndpoint) || strings.Contains(string(out), xPorticoAPI) {
			t.Errorf("stage %q: export:\n%s", stage, out)
		}
		back, err := Import("export.yaml", out, Options{Name: "pets", Namespace: "default"})
		if err != nil {
			t.Fatal(err)
		}
		if !back.RestApi.Spec.DisableDefaultEndpoint || len(back.Omissions) > 0 {
			t.Errorf("stage %q: import of the export: disableDefaultEndpoint %v, omissions %v", stage, back.RestApi.Spec.DisableDefaultEndpoint, back.Omissions)
		}
		if want := "prod"; back.Stage.Spec.StageName != want {
			t.Errorf("stage %q: imported stage %q", stage, back.Stage.Spec.StageName)
		}
	}
	roundTrip(t, api, routes, nil)
}

// Tags (where AWS exports them: the document's tags, each with x-amazon-apigateway-tag-value)
// and extensions Portico does not know are reported, each with a reason; in Swagger 2.0 too.
func TestImportReportsTagsAndUnknownExtensions(t *testing.T) {
	for name, doc := range map[string]string{
		"OpenAPI 3": `openapi: 3.0.1
info: {title: pets, version: '1'}
tags: [{name: team, x-amazon-apigateway-tag-value: payments}, {name: plain}]
x-amazon-apigateway-future-thing: {a: 1}
paths: {}
`,
		"Swagger 2.0": `swagger: '2.0'
info: {title: pets, version: '1'}
tags: [{name: team, x-amazon-apigateway-tag-value: payments}, {name: plain}]
x-amazon-apigateway-future-thing: {a: 1}
paths: {}
`,
	} {
		t.Run(name, func(t *testing.T) {
			res, err := Import("pets.yaml", []byte(doc), Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, o := range res.Omissions {
				got[o.Pointer] = o.Why
			}
			want := map[string]string{
				"#/tags/0/x-amazon-apigateway-tag-value": "tags are AWS resource tags; use Kubernetes labels",
				"#/x-amazon-apigateway-future-thing":     "not an extension Portico knows",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("omissions (-want +got):\n%s", diff)
			}
		})
	}
}
