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

package integration

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/dataplane/router"
)

// echo is a backend that answers what it received, and the status asked in x-status.
func echo(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("X-Error", "backend-error")
		if st := r.URL.Query().Get("status"); st != "" {
			var code int
			_, _ = fmt.Sscan(st, &code)
			w.WriteHeader(code)
		}
		fmt.Fprintf(w, "%s %s ct=%s client=%s user=%s body=%s", r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type"), r.Header.Get("X-Client"), r.Header.Get("X-User"), b)
	}))
	t.Cleanup(s.Close)
	return s
}

func build(t *testing.T, in *xdsv1alpha1.Integration) http.Handler {
	t.Helper()
	h, warn, err := NewShared(Shared{}).Build(Spec{Integration: in, Params: map[string]bool{"id": false}, Variables: map[string]string{"env": "test"}})
	if err != nil || warn != nil {
		t.Fatal(err, warn)
	}
	return h
}

func call(h http.Handler, method, target, body string, header ...string) *httptest.ResponseRecorder {
	tree, err := router.New([]router.Route{{Path: "/pets/{id}", Methods: []string{"ANY"}}})
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	rc := &reqctx.Request{ID: "req-1", Stage: "prod", ResourcePath: "/pets/{id}", Host: "other.example.com"}
	tree.Lookup(method, r.URL.Path, &rc.Params)
	r = r.WithContext(reqctx.With(r.Context(), rc))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestMappedHTTPRequest(t *testing.T) {
	be := echo(t)
	h := build(t, &xdsv1alpha1.Integration{
		Type: TypeHTTP, Uri: be.URL + "/v2/{id}", HttpMethod: "PUT",
		RequestParameters: map[string]string{"header.x-user": "$request.querystring.user"},
		RequestTemplates: map[string]string{"application/json": `#set($context.requestOverride.querystring.mapped = "yes")` +
			`{"id": "$input.params('id')", "name": $input.json('$.name'), "env": "$stageVariables.env"}`},
	})
	w := call(h, "POST", "/pets/7?user=ann&secret=1", `{"name": "Rex"}`, "Content-Type", "application/json", "X-Client", "leak")
	want := `PUT /v2/7?mapped=yes ct=application/json client= user=ann body={"id": "7", "name": "Rex", "env": "test"}`
	if w.Code != 200 || w.Body.String() != want {
		t.Errorf("got %d %q\nwant %q", w.Code, w.Body, want)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/plain" {
		t.Errorf("pass-through content type %q", ct)
	}
}

func TestPassthroughBehavior(t *testing.T) {
	be := echo(t)
	tmpl := map[string]string{"application/json": `{"wrapped": $input.body}`}
	for _, tc := range []struct {
		behavior  string
		templates map[string]string
		ct        string
		status    int
		body      string
	}{
		{"", tmpl, "application/json", 200, `body={"wrapped": {"a":1}}`},
		{"", tmpl, "text/plain", 200, `body={"a":1}`},
		{"WHEN_NO_TEMPLATES", tmpl, "text/plain", 415, `{"message":"Unsupported Media Type"}`},
		{"WHEN_NO_TEMPLATES", nil, "text/plain", 200, `body={"a":1}`},
		{"NEVER", nil, "text/plain", 415, `{"message":"Unsupported Media Type"}`},
		{"NEVER", tmpl, "", 200, `body={"wrapped": {"a":1}}`}, // no content type reads as JSON
	} {
		t.Run(tc.behavior+" "+tc.ct, func(t *testing.T) {
			h := build(t, &xdsv1alpha1.Integration{Type: TypeHTTP, Uri: be.URL + "/", PassthroughBehavior: tc.behavior, RequestTemplates: tc.templates})
			w := call(h, "POST", "/pets/1", `{"a":1}`, "Content-Type", tc.ct)
			if w.Code != tc.status || !strings.HasSuffix(w.Body.String(), tc.body) {
				t.Errorf("got %d %q, want %d ...%q", w.Code, w.Body, tc.status, tc.body)
			}
		})
	}
}

// TestContentHandling follows AWS's table of request payload conversions: CONVERT_TO_TEXT
// base64-encodes a body of a binary media type only, CONVERT_TO_BINARY base64-decodes a text
// body and passes a binary one as it is.
func TestContentHandling(t *testing.T) {
	be := echo(t)
	for _, tc := range []struct {
		handling, ct, in string
		status           int
		body             string
	}{
		{ConvertToText, "image/png", "\x89PNG", 200, "body=iVBORw=="},
		{ConvertToText, "text/plain", "hello", 200, "body=hello"},
		{ConvertToBinary, "text/plain", "aGVsbG8=", 200, "body=hello"},
		{ConvertToBinary, "text/plain", "not base64!", 400, `{"message":"Invalid request body"}`},
		{ConvertToBinary, "image/png", "\x89PNG", 200, "body=\x89PNG"},
	} {
		t.Run(tc.handling+" "+tc.ct, func(t *testing.T) {
			h, _, err := NewShared(Shared{}).Build(Spec{
				Integration:      &xdsv1alpha1.Integration{Type: TypeHTTP, Uri: be.URL + "/", ContentHandling: tc.handling},
				Params:           map[string]bool{"id": false},
				BinaryMediaTypes: []string{"image/png"},
			})
			if err != nil {
				t.Fatal(err)
			}
			w := call(h, "POST", "/pets/1", tc.in, "Content-Type", tc.ct)
			if w.Code != tc.status || !strings.HasSuffix(w.Body.String(), tc.body) {
				t.Errorf("got %d %q, want %d ...%q", w.Code, w.Body, tc.status, tc.body)
			}
		})
	}
}

func TestIntegrationResponses(t *testing.T) {
	be := echo(t)
	h := build(t, &xdsv1alpha1.Integration{
		Type: TypeHTTP, Uri: be.URL + "/",
		RequestParameters: map[string]string{"querystring.status": "$request.querystring.status"},
		Responses: []*xdsv1alpha1.IntegrationResponse{
			{SelectionPattern: `4\d{2}`, StatusCode: 400,
				ResponseParameters: map[string]string{"header.x-reason": "integration.response.header.x-error", "header.cache-control": "'no-store'"},
				ResponseTemplates:  map[string]string{"application/json": `{"error": "$util.escapeJavaScript($input.body)"}`, "text/html": "<p>$input.body</p>"}},
			{SelectionPattern: `5\d{2}`, StatusCode: 502, ResponseTemplates: map[string]string{"application/json": `$input.body.nope()`}},
			{SelectionPattern: `201`, StatusCode: 200, ResponseTemplates: map[string]string{"application/json": `#set($context.responseOverride.status = 202)#set($context.responseOverride.header.x-over = "1")ok`}},
			{StatusCode: 200, ResponseParameters: map[string]string{"header.x-body": "integration.response.body"}},
		},
	})
	w := call(h, "GET", "/pets/1?status=404", "")
	if w.Code != 400 || w.Header().Get("X-Reason") != "backend-error" || w.Header().Get("Cache-Control") != "no-store" ||
		w.Header().Get("Content-Type") != "application/json" || !strings.HasPrefix(w.Body.String(), `{"error": "GET \/?status=404`) {
		t.Errorf("4xx: %d %v %q", w.Code, w.Header(), w.Body)
	}
	if w := call(h, "GET", "/pets/1?status=404", "", "Accept", "text/html"); w.Header().Get("Content-Type") != "text/html" || !strings.HasPrefix(w.Body.String(), "<p>") {
		t.Errorf("Accept picks the template: %v %q", w.Header(), w.Body)
	}
	// A template that fails at run time (a method strings do not have): 500, not the
	// backend's, the gateway response API_CONFIGURATION_ERROR as AWS answers it.
	if w := call(h, "GET", "/pets/1?status=503", ""); w.Code != 500 || w.Body.String() != `{"message":"Internal server error"}` ||
		w.Header().Get("X-Portico-Error-Type") != "API_CONFIGURATION_ERROR" {
		t.Errorf("template failure: %d %v %q", w.Code, w.Header(), w.Body)
	}
	if w := call(h, "GET", "/pets/1?status=201", ""); w.Code != 202 || w.Header().Get("X-Over") != "1" || w.Body.String() != "ok" {
		t.Errorf("responseOverride: %d %v %q", w.Code, w.Header(), w.Body)
	}
	// 2021 does not match "201": patterns match the whole status.
	if w := call(h, "GET", "/pets/1?status=200", ""); w.Code != 200 || !strings.HasPrefix(w.Header().Get("X-Body"), "GET /?status=200") {
		t.Errorf("default: %d %v", w.Code, w.Header())
	}
}

// A response template that fails answers 500 without the selected response's mapped headers,
// but keeps those the steps before the integration set (CORS, Vary).
func TestResponseTemplateFailureKeepsOuterHeaders(t *testing.T) {
	be := echo(t)
	h := build(t, &xdsv1alpha1.Integration{
		Type: TypeHTTP, Uri: be.URL + "/",
		Responses: []*xdsv1alpha1.IntegrationResponse{{
			ResponseParameters: map[string]string{"header.x-reason": "integration.response.header.x-error"},
			ResponseTemplates:  map[string]string{"application/json": `$input.body.nope()`},
		}},
	})
	outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Vary", "Accept-Encoding")
		h.ServeHTTP(w, r)
	})
	w := call(outer, "GET", "/pets/1", "")
	if w.Code != 500 || w.Header().Get("X-Reason") != "" {
		t.Errorf("template failure: %d %v %q", w.Code, w.Header(), w.Body)
	}
	if w.Header().Get("Access-Control-Allow-Origin") != "*" || w.Header().Get("Vary") != "Accept-Encoding" {
		t.Errorf("the outer steps' headers are gone: %v", w.Header())
	}
}

// integration.response.body.<JSONPath> maps a value of the backend's JSON body to a header:
// a string as it is, anything else as JSON; nothing when the path or the JSON is missing.
func TestResponseParametersFromBodyPath(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("text") != "" {
			_, _ = io.WriteString(w, "not json")
			return
		}
		_, _ = io.WriteString(w, `{"error": {"code": "E42", "detail": {"a": 1}}, "id": 7, "items": [{"n": "x"}, {"n": "y"}]}`)
	}))
	t.Cleanup(be.Close)
	h := build(t, &xdsv1alpha1.Integration{
		Type: TypeHTTP, Uri: be.URL + "/",
		RequestParameters: map[string]string{"querystring.text": "$request.querystring.text"},
		Responses: []*xdsv1alpha1.IntegrationResponse{{StatusCode: 200, ResponseParameters: map[string]string{
			"header.x-code":   "integration.response.body.error.code",
			"header.x-detail": "integration.response.body.error.detail",
			"header.x-id":     "integration.response.body.$.id",
			"header.x-first":  "integration.response.body.items[0].n",
			"header.x-none":   "integration.response.body.nothing.here",
		}}},
	})
	w := call(h, "GET", "/pets/1", "")
	for k, want := range map[string]string{"X-Code": "E42", "X-Detail": `{"a":1}`, "X-Id": "7", "X-First": "x", "X-None": ""} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s: got %q, want %q", k, got, want)
		}
	}
	if w := call(h, "GET", "/pets/1?text=1", ""); w.Code != 200 || w.Header().Get("X-Code") != "" || w.Body.String() != "not json" {
		t.Errorf("a body that is not JSON: %d %v %q", w.Code, w.Header(), w.Body)
	}
}

func TestMockTemplates(t *testing.T) {
	h := build(t, &xdsv1alpha1.Integration{Type: TypeMock, Mock: &xdsv1alpha1.Mock{
		StatusCode: 200,
		Headers:    map[string]string{"content-type": "application/json", "x-id": "$input.params('id')"},
		Body:       `{"id": "$input.params('id')", "name": $input.json('$.name'), "stage": "$context.stage"}#if($input.params('id') == "0")#set($context.responseOverride.status = 404)#end`,
	}})
	w := call(h, "POST", "/pets/7", `{"name": "Rex"}`)
	if w.Code != 200 || w.Header().Get("X-Id") != "7" || w.Body.String() != `{"id": "7", "name": "Rex", "stage": "prod"}` {
		t.Errorf("got %d %v %q", w.Code, w.Header(), w.Body)
	}
	if w := call(h, "GET", "/pets/0", ""); w.Code != 404 {
		t.Errorf("responseOverride.status: %d", w.Code)
	}
	h = build(t, &xdsv1alpha1.Integration{Type: TypeMock, Mock: &xdsv1alpha1.Mock{Body: `$context.domainName $context.domainPrefix`}})
	if w := call(h, "GET", "/pets/1", ""); w.Body.String() != "other.example.com other" {
		t.Errorf("domainName and domainPrefix: %q", w.Body)
	}
	h = build(t, &xdsv1alpha1.Integration{Type: TypeMock, Mock: &xdsv1alpha1.Mock{Body: `$input.body.nope()`}})
	if w := call(h, "POST", "/pets/1", `not json`); w.Code != 500 {
		t.Errorf("failing mock template: %d", w.Code)
	}
}

// A MOCK integration as AWS users write one: the request template decides the status, the
// integration responses map it to the answer.
func TestMockRequestTemplatesAndResponses(t *testing.T) {
	h := build(t, &xdsv1alpha1.Integration{
		Type: TypeMock,
		RequestTemplates: map[string]string{
			"application/json": `#if($input.params('id') == "0"){"statusCode": 404}#elseif($input.path('$.fail') == true){"statusCode": "500"}#else{"statusCode": 200}#end`,
			"text/plain":       `not json`,
		},
		PassthroughBehavior: PassthroughWhenNoTemplates,
		Responses: []*xdsv1alpha1.IntegrationResponse{
			{SelectionPattern: "404", StatusCode: 404, ResponseTemplates: map[string]string{"application/json": `{"message": "no pet $input.params('id')"}`}},
			{SelectionPattern: `5\d{2}`, StatusCode: 503, ResponseParameters: map[string]string{"header.retry-after": "'5'"}},
			{StatusCode: 200, ResponseParameters: map[string]string{"header.x-stage": "'static'"},
				ResponseTemplates: map[string]string{"application/json": `{"id": "$input.params('id')", "stage": "$context.stage", "mock": "$input.body"}`}},
		},
	})
	w := call(h, "POST", "/pets/7", `{"name": "Rex"}`)
	if w.Code != 200 || w.Header().Get("X-Stage") != "static" || w.Header().Get("Content-Type") != "application/json" ||
		w.Body.String() != `{"id": "7", "stage": "prod", "mock": ""}` {
		t.Errorf("200: %d %v %q", w.Code, w.Header(), w.Body)
	}
	if w := call(h, "GET", "/pets/0", ""); w.Code != 404 || w.Body.String() != `{"message": "no pet 0"}` {
		t.Errorf("404: %d %q", w.Code, w.Body)
	}
	if w := call(h, "POST", "/pets/1", `{"fail": true}`); w.Code != 503 || w.Header().Get("Retry-After") != "5" {
		t.Errorf("5xx: %d %v", w.Code, w.Header())
	}
	// A template whose output has no statusCode fails as AWS's does: 500.
	if w := call(h, "POST", "/pets/1", "x", "Content-Type", "text/plain"); w.Code != 500 || w.Body.String() != `{"message":"Internal server error"}` {
		t.Errorf("no statusCode: %d %q", w.Code, w.Body)
	}
	// WHEN_NO_TEMPLATES with templates: another content type is refused with 415.
	if w := call(h, "POST", "/pets/1", "<a/>", "Content-Type", "application/xml"); w.Code != 415 {
		t.Errorf("passthrough: %d", w.Code)
	}

	// mock is the integration's own answer: its status when no template decides, its headers
	// for responseParameters, its body for the response templates.
	h = build(t, &xdsv1alpha1.Integration{
		Type: TypeMock,
		Mock: &xdsv1alpha1.Mock{StatusCode: 201, Headers: map[string]string{"x-from": "$input.params('id')"}, Body: `{"pet": "$input.params('id')"}`},
		Responses: []*xdsv1alpha1.IntegrationResponse{{SelectionPattern: "201", StatusCode: 202,
			ResponseParameters: map[string]string{"header.x-mapped": "integration.response.header.x-from", "header.x-pet": "integration.response.body.pet"},
			ResponseTemplates:  map[string]string{"application/json": `{"wrapped": $input.json('$')}`}}},
	})
	if w := call(h, "POST", "/pets/9", ""); w.Code != 202 || w.Header().Get("X-Mapped") != "9" || w.Header().Get("X-Pet") != "9" ||
		w.Header().Get("X-From") != "" || w.Body.String() != `{"wrapped": {"pet":"9"}}` {
		t.Errorf("mock answer through responses: %d %v %q", w.Code, w.Header(), w.Body)
	}
}

func TestMappedBuildErrors(t *testing.T) {
	for _, in := range []*xdsv1alpha1.Integration{
		{Type: TypeHTTP, Uri: "http://b/", PassthroughBehavior: "SOMETIMES"},
		{Type: TypeHTTP, Uri: "http://b/", ContentHandling: "CONVERT_TO_XML"},
		{Type: TypeHTTP, Uri: "http://b/", RequestTemplates: map[string]string{"application/json": "#if("}},
		{Type: TypeHTTP, Uri: "http://b/", Responses: []*xdsv1alpha1.IntegrationResponse{{SelectionPattern: "4("}}},
		{Type: TypeHTTP, Uri: "http://b/", Responses: []*xdsv1alpha1.IntegrationResponse{{}, {}}},
		{Type: TypeHTTP, Uri: "http://b/", Responses: []*xdsv1alpha1.IntegrationResponse{{ResponseParameters: map[string]string{"header.x": "body"}}}},
		{Type: TypeMock, Mock: &xdsv1alpha1.Mock{Body: "#foreach("}},
		{Type: TypeMock, HttpMethod: "GET", RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}},
		{Type: TypeMock, ContentHandling: ConvertToText, Responses: []*xdsv1alpha1.IntegrationResponse{{}}},
		{Type: TypeMock, PassthroughBehavior: "SOMETIMES"},
		{Type: TypeMock, RequestTemplates: map[string]string{"application/json": "#if("}},
	} {
		if _, _, err := NewShared(Shared{}).Build(Spec{Integration: in}); err == nil {
			t.Errorf("%v built", in)
		}
	}
}

// A template failing at run time is the gateway response API_CONFIGURATION_ERROR, which the
// API's DEFAULT_5XX overrides as AWS's does (CORS headers on every error, say); the template's
// error stays out of the answer.
func TestTemplateFailureIsAGatewayResponse(t *testing.T) {
	responses, err := gatewayresponse.Compile(map[string]*xdsv1alpha1.GatewayResponse{
		"DEFAULT_5XX": {Headers: map[string]string{"Access-Control-Allow-Origin": "*"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string]*xdsv1alpha1.Integration{
		"mock body":        {Type: TypeMock, Mock: &xdsv1alpha1.Mock{StatusCode: 200, Body: `$input.body.nope()`}},
		"request template": {Type: TypeMock, RequestTemplates: map[string]string{"application/json": `$input.body.nope()`}},
	} {
		h, _, err := NewShared(Shared{}).Build(Spec{Integration: in, Responses: responses})
		if err != nil {
			t.Fatal(err)
		}
		w := call(h, "POST", "/pets/1", "not json", "Content-Type", "application/json")
		if w.Code != 500 || w.Header().Get("X-Portico-Error-Type") != "API_CONFIGURATION_ERROR" ||
			w.Header().Get("Access-Control-Allow-Origin") != "*" || w.Body.String() != `{"message":"Internal server error"}` {
			t.Errorf("%s: %d %v %q", name, w.Code, w.Header(), w.Body)
		}
	}
}

// A backend's answer compressed with gzip or deflate is decompressed before the integration
// response reads it (templates, responseParameters from the body) and sent as content (the
// client gets no Content-Encoding from a non-proxy integration); one in a coding the proxy
// cannot undo passes as it is, with its Content-Encoding. A binary answer (binaryMediaTypes)
// to a client whose first Accept type is binary skips the templates, and only the first
// Accept type chooses a template, as in Amazon API Gateway.
func TestMappedAnswerEncodingsAndBinary(t *testing.T) {
	gz := func(s string) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write([]byte(s))
		_ = zw.Close()
		return b.Bytes()
	}
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("as") {
		case "gzip":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write(gz(`{"code":"C7"}`))
		case "badgzip":
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write([]byte("not gzip"))
		case "br":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Encoding", "br")
			_, _ = w.Write([]byte("\x0b\x02\x80brotli"))
		case "png":
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write([]byte("\x89PNG\r\n"))
		}
	}))
	t.Cleanup(be.Close)
	responses := func(templated bool) []*xdsv1alpha1.IntegrationResponse {
		ir := &xdsv1alpha1.IntegrationResponse{StatusCode: 200, ResponseParameters: map[string]string{"header.x-code": "integration.response.body.code"}}
		if templated {
			ir.ResponseTemplates = map[string]string{"application/json": `code=$input.path('$.code')`, "text/html": "<p>$input.path('$.code')</p>"}
		}
		return []*xdsv1alpha1.IntegrationResponse{ir}
	}
	for _, tc := range []struct {
		name, as, accept string
		templated        bool
		status           int
		body, ct, enc    string
		code             string
	}{
		{"gzip, templated", "gzip", "", true, 200, "code=C7", "application/json", "", "C7"},
		{"gzip, passed", "gzip", "", false, 200, `{"code":"C7"}`, "application/json", "", "C7"},
		{"gzip that does not decompress", "badgzip", "", true, 502, `{"message":"Internal server error"}`, "application/json", "", ""},
		{"br passes encoded", "br", "", false, 200, "\x0b\x02\x80brotli", "application/json", "br", ""},
		{"only the first Accept type", "gzip", "application/xml, text/html", true, 200, "code=C7", "application/json", "", "C7"},
		{"the first Accept type", "gzip", "text/html, application/json", true, 200, "<p>C7</p>", "text/html", "", "C7"},
		{"binary to a binary Accept", "png", "image/png", true, 200, "\x89PNG\r\n", "image/png", "", ""},
		{"binary to a text Accept", "png", "application/json", true, 200, "code=", "application/json", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, _, err := NewShared(Shared{}).Build(Spec{
				Integration:      &xdsv1alpha1.Integration{Type: TypeHTTP, Uri: be.URL + "/?as=" + tc.as, Responses: responses(tc.templated)},
				Params:           map[string]bool{"id": false},
				BinaryMediaTypes: []string{"image/png"},
			})
			if err != nil {
				t.Fatal(err)
			}
			w := call(h, "GET", "/pets/1", "", "Accept", tc.accept)
			if w.Code != tc.status || w.Body.String() != tc.body || w.Header().Get("Content-Type") != tc.ct ||
				w.Header().Get("Content-Encoding") != tc.enc || w.Header().Get("X-Code") != tc.code {
				t.Errorf("got %d %q %v", w.Code, w.Body, w.Header())
			}
		})
	}
}

// A Content-Type the integration response maps is the client's (the usual way to serve HTML
// from a template, in AWS as here), from a static value or the backend's header; a response
// without a template or a content type answers application/json, as AWS's do.
func TestMappedContentType(t *testing.T) {
	h := build(t, &xdsv1alpha1.Integration{
		Type:             TypeMock,
		RequestTemplates: map[string]string{"application/json": `{"statusCode": $input.params('code')}`},
		Responses: []*xdsv1alpha1.IntegrationResponse{
			{SelectionPattern: "200", StatusCode: 200, ResponseParameters: map[string]string{"header.Content-Type": "'text/html'"},
				ResponseTemplates: map[string]string{"application/json": "<p>$context.stage</p>"}},
			{SelectionPattern: "201", StatusCode: 201, ResponseParameters: map[string]string{"header.content-type": "'text/plain'"}},
			{SelectionPattern: "202", StatusCode: 202, ResponseParameters: map[string]string{"header.content-type": "integration.response.header.x-none"}},
			{StatusCode: 404},
		},
	})
	for code, want := range map[string]string{"200": "text/html", "201": "text/plain", "202": "application/json", "404": "application/json"} {
		w := call(h, "GET", "/pets/1?code="+code, "")
		if got := w.Header().Values("Content-Type"); len(got) != 1 || got[0] != want {
			t.Errorf("%s: %d Content-Type %q, want %q (%q)", code, w.Code, got, want, w.Body)
		}
	}
}
