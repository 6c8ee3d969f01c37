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

package validate

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

const petSchema = `{"type":"object","required":["name"],"properties":{"name":{"type":"string","minLength":1},"tag":{"type":"string"}}}`

func newValidator(t *testing.T, v *xdsv1alpha1.RequestValidation, models ...*xdsv1alpha1.Model) (http.Handler, *[]string) {
	t.Helper()
	var seen []string
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The integration reads the body the step kept, as the client sent it.
		b, _ := io.ReadAll(r.Body)
		seen = append(seen, string(b))
		w.WriteHeader(http.StatusCreated)
	})
	rt := &proxy.Route{
		API:   &xdsv1alpha1.Api{Models: models},
		Route: &xdsv1alpha1.Route{Name: "r", Validation: v},
		Scope: &proxy.Scope{},
	}
	h, err := NewStep()(rt, next)
	if err != nil {
		t.Fatal(err)
	}
	return h, &seen
}

func serve(h http.Handler, method, target, body string, header ...string) (*httptest.ResponseRecorder, *reqctx.Request) {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	rc := &reqctx.Request{ID: "req-1"}
	r = r.WithContext(reqctx.With(r.Context(), rc))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w, rc
}

func TestRequiredParameters(t *testing.T) {
	h, _ := newValidator(t, &xdsv1alpha1.RequestValidation{RequiredParameters: []string{"querystring.page", "header.x-trace"}})
	w, rc := serve(h, "GET", "/pets?page=", "")
	if w.Code != 400 || w.Header().Get("X-Portico-Error-Type") != "BAD_REQUEST_PARAMETERS" {
		t.Fatalf("got %d %v", w.Code, w.Header())
	}
	if want := `{"message":"Missing required request parameters: [page, x-trace]"}`; w.Body.String() != want {
		t.Errorf("body %s, want %s", w.Body, want)
	}
	if rc.Error.ValidationErrorString != "Missing required request parameters: [page, x-trace]" {
		t.Errorf("validationErrorString %q", rc.Error.ValidationErrorString)
	}
	w, _ = serve(h, "GET", "/pets?page=2", "", "X-Trace", "abc")
	if w.Code != 201 {
		t.Errorf("complete request: got %d", w.Code)
	}
}

func TestBodyModel(t *testing.T) {
	pet := &xdsv1alpha1.Model{Name: "Pet", ContentType: "application/json", Schema: petSchema}
	h, seen := newValidator(t, &xdsv1alpha1.RequestValidation{BodyModel: "Pet"}, pet)
	for _, tc := range []struct {
		name, body, ct string
		status         int
		errString      string
	}{
		{"valid", `{"name":"Rex"}`, "application/json", 201, ""},
		{"valid, no content type", `{"name":"Rex","tag":"dog"}`, "", 201, ""},
		{"missing property", `{"tag":"dog"}`, "application/json", 400, "missing property 'name'"},
		{"wrong type", `{"name":7}`, "application/json; charset=utf-8", 400, "at '/name'"},
		{"not JSON", `{"name":`, "application/json", 400, "Invalid JSON"},
		{"empty body is {}", ``, "application/json", 400, "missing property"},
		{"other content type still validated by body", `name=Rex`, "application/x-www-form-urlencoded", 400, "Invalid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, rc := serve(h, "POST", "/pets", tc.body, "Content-Type", tc.ct)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if tc.status == 400 {
				if w.Body.String() != `{"message":"Invalid request body"}` || w.Header().Get("X-Portico-Error-Type") != "BAD_REQUEST_BODY" {
					t.Errorf("answer %v %s", w.Header(), w.Body)
				}
				if !strings.Contains(rc.Error.ValidationErrorString, tc.errString) {
					t.Errorf("validationErrorString %q lacks %q", rc.Error.ValidationErrorString, tc.errString)
				}
			}
		})
	}
	if len(*seen) != 2 || (*seen)[0] != `{"name":"Rex"}` {
		t.Errorf("the integration saw %q", *seen)
	}
}

func TestBodiesByContentType(t *testing.T) {
	pet := &xdsv1alpha1.Model{Name: "Pet", Schema: petSchema}
	text := &xdsv1alpha1.Model{Name: "Text", Schema: `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","maxLength":3}`}
	h, _ := newValidator(t, &xdsv1alpha1.RequestValidation{BodyModels: map[string]string{"application/json": "Pet", "application/vnd.text+json": "Text"}}, pet, text)
	if w, _ := serve(h, "POST", "/", `"abcd"`, "Content-Type", "application/VND.text+json"); w.Code != 400 {
		t.Errorf("a 2020-12 model: got %d", w.Code)
	}
	if w, _ := serve(h, "POST", "/", `"abc"`, "Content-Type", "application/vnd.text+json"); w.Code != 201 {
		t.Errorf("a valid string: got %d", w.Code)
	}
	// No model for the content type, and no body fallback: not validated, as in AWS.
	if w, _ := serve(h, "POST", "/", `<pet/>`, "Content-Type", "application/xml"); w.Code != 201 {
		t.Errorf("unlisted content type: got %d", w.Code)
	}
}

func TestCompressedBodies(t *testing.T) {
	pet := &xdsv1alpha1.Model{Name: "Pet", Schema: petSchema}
	h, seen := newValidator(t, &xdsv1alpha1.RequestValidation{BodyModel: "Pet"}, pet)
	gz := func(s string) string {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write([]byte(s))
		_ = zw.Close()
		return b.String()
	}
	if w, _ := serve(h, "POST", "/", gz(`{"name":"Rex"}`), "Content-Encoding", "gzip"); w.Code != 201 {
		t.Fatalf("valid gzip body: got %d %s", w.Code, w.Body)
	}
	// The integration gets the body as sent, still compressed (with its Content-Encoding).
	if got := (*seen)[0]; got != gz(`{"name":"Rex"}`) {
		t.Errorf("integration saw %q", got)
	}
	if w, _ := serve(h, "POST", "/", gz(`{"tag":"x"}`), "Content-Encoding", "gzip"); w.Code != 400 {
		t.Errorf("invalid gzip body: got %d", w.Code)
	}
	if w, _ := serve(h, "POST", "/", "not gzip", "Content-Encoding", "gzip"); w.Code != 400 {
		t.Errorf("corrupt gzip body: got %d", w.Code)
	}
	// A bomb: 11 MB of zeros compress to about 11 KB.
	bomb := gz(`{"name":"` + strings.Repeat("0", 11<<20) + `"}`)
	if len(bomb) > 1<<20 {
		t.Fatalf("bomb is %d bytes", len(bomb))
	}
	if w, _ := serve(h, "POST", "/", bomb, "Content-Encoding", "gzip"); w.Code != 413 || w.Header().Get("X-Portico-Error-Type") != "REQUEST_TOO_LARGE" {
		t.Errorf("decompression bomb: got %d", w.Code)
	}
}

func TestBuildErrors(t *testing.T) {
	rt := &proxy.Route{API: &xdsv1alpha1.Api{}, Route: &xdsv1alpha1.Route{Validation: &xdsv1alpha1.RequestValidation{BodyModel: "Nope"}}}
	if _, err := NewStep()(rt, http.NotFoundHandler()); err == nil {
		t.Error("a missing model built")
	}
	rt.API.Models = []*xdsv1alpha1.Model{{Name: "Nope", Schema: `{"$ref":"file:///etc/passwd"}`}}
	if _, err := NewStep()(rt, http.NotFoundHandler()); err == nil || !strings.Contains(err.Error(), "outside the API's models") {
		t.Errorf("a model reading a file built: %v", err)
	}
	rt.Route.Validation = nil
	if h, err := NewStep()(rt, http.NotFoundHandler()); err != nil || h == nil {
		t.Errorf("no validation: %v", err)
	}
}

// A model refers to another of the same API as AWS writes it; each is compiled once per
// build, and a $ref to a model the API lacks fails the build.
func TestModelReferences(t *testing.T) {
	order := &xdsv1alpha1.Model{Name: "Order", Schema: `{"type": "object", "required": ["pet"], "properties": {
		"pet": {"$ref": "https://apigateway.amazonaws.com/restapis/a1b2c3/models/Pet"},
		"others": {"type": "array", "items": {"$ref": "https://apigateway.amazonaws.com/restapis/a1b2c3/models/Pet#"}}}}`}
	h, _ := newValidator(t, &xdsv1alpha1.RequestValidation{BodyModel: "Order"}, order, &xdsv1alpha1.Model{Name: "Pet", Schema: petSchema})
	if w, _ := serve(h, "POST", "/orders", `{"pet": {"name": "Rex"}, "others": [{"name": "Tom"}]}`); w.Code != 201 {
		t.Errorf("valid order: %d %s", w.Code, w.Body)
	}
	w, rc := serve(h, "POST", "/orders", `{"pet": {"name": "Rex"}, "others": [{"tag": "cat"}]}`)
	if w.Code != 400 || !strings.Contains(rc.Error.ValidationErrorString, "at '/others/0': missing property 'name'") {
		t.Errorf("invalid order: %d %s %q", w.Code, w.Body, rc.Error.ValidationErrorString)
	}

	_, err := CompileModels([]*xdsv1alpha1.Model{order})
	if err == nil || !strings.Contains(err.Error(), "model Order: $ref names model Pet: the API does not define it") {
		t.Errorf("missing model: %v", err)
	}
	_, err = CompileModels([]*xdsv1alpha1.Model{{Name: "A", Schema: `{"$ref": "https://example.com/schema.json"}`}})
	if err == nil || !strings.Contains(err.Error(), "references outside the API's models are not supported") {
		t.Errorf("external $ref: %v", err)
	}
}
