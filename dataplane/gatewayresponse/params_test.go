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

package gatewayresponse

import (
	"net/http/httptest"
	"testing"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/dataplane/router"
)

// responseParameters set headers from the request refused, in AWS's syntax and Routes'
// alike; a value the request has not got, or that cannot be a header's, leaves its header out.
func TestResponseParameters(t *testing.T) {
	s, err := Compile(map[string]*xdsv1alpha1.GatewayResponse{
		"DEFAULT_4XX": {ResponseParameters: map[string]string{
			"header.x-origin":   "method.request.header.Origin",
			"header.x-all":      "method.request.multivalueheader.X-Tag",
			"header.x-q":        "method.request.querystring.q",
			"header.x-qs":       "$request.multivaluequerystring.q",
			"header.x-pet":      "method.request.path.petId",
			"header.x-env":      "stageVariables.env",
			"header.x-stage":    "$context.stage",
			"header.x-api":      "context.apiId",
			"header.x-fixed":    "'on'",
			"header.x-missing":  "method.request.header.X-Nothing",
			"header.x-injected": "method.request.querystring.bad",
		}},
		"THROTTLED": {Headers: map[string]string{"X-Own": "t", "Transfer-Encoding": "chunked"}, ResponseParameters: map[string]string{"header.connection": "'close'"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tree, err := router.New([]router.Route{{Path: "/pets/{petId}", Methods: []string{"ANY"}}})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/prod/pets/7?q=1&q=2&bad=a%0D%0AX-Evil:%201", nil)
	r.Header.Set("Origin", "https://app.example.com")
	r.Header.Add("X-Tag", "a")
	r.Header.Add("X-Tag", "b")
	rc := &reqctx.Request{ID: "id-1", Stage: "prod", API: "shop/pets", Variables: map[string]string{"env": "test"}}
	if tree.Lookup("GET", "/pets/7", &rc.Params) != router.Found {
		t.Fatal("no route")
	}
	r = r.WithContext(reqctx.With(r.Context(), rc))

	w := httptest.NewRecorder()
	Write(w, r, InvalidAPIKey, s, "")
	for name, want := range map[string]string{
		"X-Origin": "https://app.example.com", "X-All": "a,b", "X-Q": "2", "X-Qs": "1,2", "X-Pet": "7",
		"X-Env": "test", "X-Stage": "prod", "X-Api": "pets", "X-Fixed": "on",
	} {
		if got := w.Header().Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	for _, name := range []string{"X-Missing", "X-Injected", "X-Evil"} {
		if vv, ok := w.Header()[name]; ok {
			t.Errorf("%s set: %q", name, vv)
		}
	}
	// A type with an entry of its own does not take DEFAULT_4XX's.
	w = httptest.NewRecorder()
	Write(w, r, Throttled, s, "")
	if w.Header().Get("X-Origin") != "" || w.Header().Get("X-Own") != "t" {
		t.Errorf("THROTTLED: %v", w.Header())
	}
	// Headers the proxy writes itself (framing, connection) are never set from the override.
	if w.Header().Get("Transfer-Encoding") != "" || w.Header().Get("Connection") != "" {
		t.Errorf("THROTTLED set a reserved header: %v", w.Header())
	}
	// Refused before the request's state exists (no route, no stage): the request's own
	// values still map; the rest are left out.
	bare := httptest.NewRequest("GET", "/nowhere", nil)
	bare.Header.Set("Origin", "https://b.example.com")
	w = httptest.NewRecorder()
	Write(w, bare, ResourceNotFound, s, "id-2")
	if w.Header().Get("X-Origin") != "https://b.example.com" || w.Header().Get("X-Fixed") != "on" || w.Header().Get("X-Pet") != "" {
		t.Errorf("without reqctx: %v", w.Header())
	}
	if _, err := Compile(map[string]*xdsv1alpha1.GatewayResponse{"THROTTLED": {ResponseParameters: map[string]string{"header.x": "method.request.body"}}}); err == nil {
		t.Error("a body source compiled")
	}
}
