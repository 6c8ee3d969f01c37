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
)

func TestTemplates(t *testing.T) {
	body := `{"m":"$context.error.validationErrorString"}`
	s, err := Compile(map[string]*xdsv1alpha1.GatewayResponse{
		"BAD_REQUEST_BODY": {Templates: map[string]string{
			"application/json": `{"error": $context.error.messageString, "type": "$context.error.responseType", "why": "$util.escapeJavaScript($context.error.validationErrorString)", "id": "$context.requestId"}`,
			"text/plain":       `$context.error.message#if($context.error.validationErrorString != "") ($context.error.validationErrorString)#end`,
			"application/xml":  `#set($s = "a")#set($x = $s.nope())$x`, // fails at run time: strings have no nope()
		}},
		"DEFAULT_4XX": {Body: &body},
	})
	if err != nil {
		t.Fatal(err)
	}
	write := func(typ Type, accept string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set("Accept", accept)
		rc := &reqctx.Request{ID: "id-1", Error: reqctx.Error{ValidationErrorString: "[at '': missing property 'name']"}}
		r = r.WithContext(reqctx.With(r.Context(), rc))
		w := httptest.NewRecorder()
		Write(w, r, typ, s, "")
		return w
	}
	w := write(BadRequestBody, "")
	if want := `{"error": "Invalid request body", "type": "BAD_REQUEST_BODY", "why": "[at \'\': missing property \'name\']", "id": "id-1"}`; w.Body.String() != want || w.Code != 400 {
		t.Errorf("json: %d %s\nwant %s", w.Code, w.Body, want)
	}
	w = write(BadRequestBody, "text/plain, */*")
	if w.Body.String() != "Invalid request body ([at '': missing property 'name'])" || w.Header().Get("Content-Type") != "text/plain" {
		t.Errorf("text: %v %s", w.Header(), w.Body)
	}
	// A template failing at run time falls back to the default body.
	if w = write(BadRequestBody, "application/xml"); w.Body.String() != `{"message":"Invalid request body"}` {
		t.Errorf("failing template: %s", w.Body)
	}
	// The body form gets validationErrorString too.
	if w = write(BadRequestParameters, ""); w.Body.String() != `{"m":"[at '': missing property 'name']"}` {
		t.Errorf("body form: %s", w.Body)
	}
	if _, err := Compile(map[string]*xdsv1alpha1.GatewayResponse{"THROTTLED": {Templates: map[string]string{"application/json": "#if("}}}); err == nil {
		t.Error("a template that does not parse compiled")
	}
}

// A gateway response template reads $stageVariables and the canary's context variables, as
// AWS's do (its own example reads $stageVariables.a).
func TestTemplatesStageVariablesAndCanary(t *testing.T) {
	s, err := Compile(map[string]*xdsv1alpha1.GatewayResponse{"THROTTLED": {Templates: map[string]string{
		"application/json": `{"sv":"$stageVariables.hv","v":"$context.canaryVariant","ic":$context.isCanaryRequest,"dp":"$context.domainPrefix"}`,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	rc := &reqctx.Request{ID: "id-1", Host: "api.example.com", Variant: "canary", Variables: map[string]string{"hv": "s"}}
	r = r.WithContext(reqctx.With(r.Context(), rc))
	w := httptest.NewRecorder()
	Write(w, r, Throttled, s, "")
	if want := `{"sv":"s","v":"canary","ic":true,"dp":"api"}`; w.Body.String() != want {
		t.Errorf("got %s, want %s", w.Body, want)
	}
}
