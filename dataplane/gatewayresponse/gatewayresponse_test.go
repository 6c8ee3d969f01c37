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
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"testing"

	"google.golang.org/protobuf/proto"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// The table of API.md, "What clients see".
var table = []struct {
	name    string
	status  int
	message string
}{
	{"RESOURCE_NOT_FOUND", 404, "Not Found"},
	{"MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token"},
	{"INVALID_API_KEY", 403, "Forbidden"},
	{"ACCESS_DENIED", 403, "User is not authorized to access this resource"},
	{"UNAUTHORIZED", 401, "Unauthorized"},
	{"EXPIRED_TOKEN", 401, "Unauthorized"},
	{"AUTHORIZER_FAILURE", 500, "Authorizer error"},
	{"THROTTLED", 429, "Too Many Requests"},
	{"QUOTA_EXCEEDED", 429, "Limit Exceeded"},
	{"BAD_REQUEST_BODY", 400, "Invalid request body"},
	{"BAD_REQUEST_PARAMETERS", 400, "Missing required request parameters: []"},
	{"REQUEST_TOO_LARGE", 413, "Request Too Long (10 MB limit)"},
	{"UNSUPPORTED_MEDIA_TYPE", 415, "Unsupported Media Type"},
	{"INTEGRATION_FAILURE", 502, "Internal server error"},
	{"INTEGRATION_TIMEOUT", 504, "Endpoint request timed out"},
	// Beyond API.md's table: AWS's type for a mapping template that fails at run time.
	{"API_CONFIGURATION_ERROR", 500, "Internal server error"},
}

func TestDefaults(t *testing.T) {
	if len(Types()) != len(table) {
		t.Fatalf("%d types, API.md has %d", len(Types()), len(table))
	}
	for _, row := range table {
		typ, ok := Parse(row.name)
		if !ok {
			t.Fatalf("%s does not parse", row.name)
		}
		r := httptest.NewRequest("GET", "/", nil)
		rc := &reqctx.Request{ID: "rid"}
		r = r.WithContext(reqctx.With(r.Context(), rc))
		w := httptest.NewRecorder()
		Write(w, r, typ, nil, "rid-1")
		if w.Code != row.status {
			t.Errorf("%s: status %d, want %d", row.name, w.Code, row.status)
		}
		var body map[string]string
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || len(body) != 1 || body["message"] != row.message {
			t.Errorf("%s: body %s", row.name, w.Body)
		}
		h := w.Header()
		if h.Get("X-Portico-Error-Type") != row.name || h.Get("Content-Type") != "application/json" || h.Get("X-Request-Id") != "rid-1" {
			t.Errorf("%s: headers %v", row.name, h)
		}
		if h.Get("Content-Length") != strconv.Itoa(w.Body.Len()) {
			t.Errorf("%s: content-length %s for %d bytes", row.name, h.Get("Content-Length"), w.Body.Len())
		}
		if got := h.Get("Retry-After"); (row.name == "THROTTLED") != (got == "1") {
			t.Errorf("%s: Retry-After %q", row.name, got)
		}
		if rc.Error.Type != row.name || rc.Error.Message != row.message {
			t.Errorf("%s: recorded %+v", row.name, rc.Error)
		}
		if typ.String() != row.name || typ.Status() != row.status || typ.Message() != row.message {
			t.Errorf("%s: accessors", row.name)
		}
	}
}

func TestOverrides(t *testing.T) {
	set, err := Compile(map[string]*xdsv1alpha1.GatewayResponse{
		"THROTTLED":   {StatusCode: 503, Headers: map[string]string{"Retry-After": "7", "x-extra": "a"}, Body: proto.String(`{"error":"slow down"}`)},
		"DEFAULT_4XX": {Headers: map[string]string{"Access-Control-Allow-Origin": "*"}, Body: proto.String(`{"msg":$context.error.messageString,"type":"$context.error.responseType","id":"$context.requestId"}`)},
		"DEFAULT_5XX": {StatusCode: 500},
	})
	if err != nil {
		t.Fatal(err)
	}
	write := func(typ Type, msg string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		WriteMessage(w, httptest.NewRequest("GET", "/", nil), typ, msg, set, "rid")
		return w
	}

	// Exact type: status, headers added (and replacing the default Retry-After), body replaced.
	w := write(Throttled, "")
	if w.Code != 503 || w.Body.String() != `{"error":"slow down"}` || w.Header().Get("Retry-After") != "7" || w.Header().Get("X-Extra") != "a" {
		t.Errorf("THROTTLED: %d %v %s", w.Code, w.Header(), w.Body)
	}
	if w.Header().Get("X-Portico-Error-Type") != "THROTTLED" || w.Header().Get("X-Request-Id") != "rid" {
		t.Errorf("THROTTLED: lost default headers %v", w.Header())
	}
	if w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("THROTTLED: DEFAULT_4XX applied on top of its own override")
	}

	// DEFAULT_4XX: the type keeps its status, takes the headers and the templated body.
	w = write(ResourceNotFound, "")
	if w.Code != 404 || w.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("RESOURCE_NOT_FOUND: %d %v", w.Code, w.Header())
	}
	if want := `{"msg":"Not Found","type":"RESOURCE_NOT_FOUND","id":"rid"}`; w.Body.String() != want {
		t.Errorf("RESOURCE_NOT_FOUND: body %s, want %s", w.Body, want)
	}
	w = write(BadRequestParameters, `Missing required request parameters: [header.x-"trace"]`)
	if want := `{"msg":"Missing required request parameters: [header.x-\"trace\"]","type":"BAD_REQUEST_PARAMETERS","id":"rid"}`; w.Body.String() != want || w.Code != 400 {
		t.Errorf("BAD_REQUEST_PARAMETERS: %d %s", w.Code, w.Body)
	}

	// DEFAULT_5XX: status only; the default body stays.
	w = write(IntegrationTimeout, "")
	if w.Code != 500 || w.Body.String() != `{"message":"Endpoint request timed out"}` {
		t.Errorf("INTEGRATION_TIMEOUT: %d %s", w.Code, w.Body)
	}
	if set.Status(IntegrationTimeout) != 500 || (*Set)(nil).Status(IntegrationTimeout) != 504 {
		t.Error("Status")
	}
}

func TestCompileErrors(t *testing.T) {
	for name, o := range map[string]map[string]*xdsv1alpha1.GatewayResponse{
		"unknown type":  {"WAF_FILTERED": {}},
		"status":        {"THROTTLED": {StatusCode: 700}},
		"header name":   {"THROTTLED": {Headers: map[string]string{"bad header": "x"}}},
		"header value":  {"THROTTLED": {Headers: map[string]string{"X-A": "a\r\nb"}}},
		"empty header":  {"THROTTLED": {Headers: map[string]string{"": "x"}}},
		"negative code": {"DEFAULT_4XX": {StatusCode: -1}},
	} {
		if _, err := Compile(o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if s, err := Compile(nil); err != nil || s.Status(Throttled) != 429 {
		t.Errorf("empty overrides: %v", err)
	}
}
