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
	"testing"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/filesource"
	"github.com/portico-dev/portico/controllers/schema"
)

// TestSamplesRoundTrip exports every HTTP RestApi of config/samples and imports it back:
// the same revision.
func TestSamplesRoundTrip(t *testing.T) {
	validator, err := schema.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"../../config/samples", "../../config/samples/standalone"} {
		src := &filesource.Source{Paths: []string{dir}, Validator: validator, Namespace: "default"}
		in, _, _, err := src.Load()
		if err != nil {
			t.Fatal(err)
		}
		for i := range in.RestApis {
			api := &in.RestApis[i]
			if api.Spec.Protocol == apiv1.ProtocolWebSocket {
				continue
			}
			var routes []apiv1.Route
			for _, r := range in.Routes {
				if r.Namespace == api.Namespace && r.Spec.RestApiRef.Name == api.Name {
					routes = append(routes, r)
				}
			}
			t.Run(dir+"/"+api.Name, func(t *testing.T) {
				roundTrip(t, api, routes, in.Authorizers)
			})
		}
	}
}

// TestWebSocketNotExported: OpenAPI has no WebSocket APIs; export says so.
func TestWebSocketNotExported(t *testing.T) {
	_, err := Export(ExportInput{RestApi: &apiv1.RestApi{Spec: apiv1.RestApiSpec{Protocol: apiv1.ProtocolWebSocket}}})
	if err == nil {
		t.Fatal("a WEBSOCKET API was exported")
	}
}

// TestInvalidLocations: invalid documents are refused with where the problem is.
func TestInvalidLocations(t *testing.T) {
	for _, tc := range []struct {
		doc, want string
	}{
		{"openapi: 3.0.1\ninfo: {title: x\n", "in.yaml:2"},
		{"{\"openapi\": \"3.0.1\",\n \"paths\": {\n", "in.yaml:"},
		{"swagger: \"1.2\"\n", "in.yaml#/swagger"},
		{"hello: world\n", "in.yaml#"},
		{"openapi: 3.0.1\ninfo: {title: x, version: '1'}\npaths: {}\nx-amazon-apigateway-minimum-compression-size: -4\n", "in.yaml#/x-amazon-apigateway-minimum-compression-size"},
		{"openapi: 3.0.1\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      x-amazon-apigateway-integration: [1]\n", "in.yaml#/paths/~1a/get/x-amazon-apigateway-integration"},
	} {
		_, err := Import("in.yaml", []byte(tc.doc), Options{})
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: err = %v, want an *Error", tc.doc, err)
			continue
		}
		if got := e.Error(); len(got) < len(tc.want) || got[:len(tc.want)] != tc.want {
			t.Errorf("%q: %q does not start with %q", tc.doc, got, tc.want)
		}
	}
}

// FuzzImport: no input panics, and an error is always an *Error with a location.
func FuzzImport(f *testing.F) {
	for _, e := range loadCorpus(f) {
		data, _ := readCorpus(e.file)
		f.Add(data)
	}
	f.Add([]byte("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Import("fuzz.yaml", data, Options{})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || (e.Line == 0 && e.Pointer == "") {
				t.Fatalf("error without a location: %v", err)
			}
			return
		}
		if _, err := res.Manifests(); err != nil {
			t.Fatal(err)
		}
	})
}
