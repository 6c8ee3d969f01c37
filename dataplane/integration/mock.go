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
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/internal/mapping"
	"github.com/portico-dev/portico/internal/vtl"
)

// mock answers with a response prepared once; its body and header values are mapping
// templates, evaluated per request only when they hold a reference or a directive (a plain
// body costs nothing per request).
type mock struct {
	status  int
	headers http.Header
	body    []byte
	length  []string

	shared    *Shared
	responses *gatewayresponse.Set
	vars      *vtl.Map
	bodyTmpl  *vtl.Template
	headerTpl []headerTemplate
}

type headerTemplate struct {
	name string
	tmpl *vtl.Template
}

// isTemplate reports whether s needs evaluating: Velocity treats text without '$' or '#'
// as itself.
func isTemplate(s string) bool { return strings.ContainsAny(s, "$#") }

func newMock(m *xdsv1alpha1.Mock, s *Shared, spec Spec) (*mock, error) {
	if m == nil {
		return nil, fmt.Errorf("a MOCK integration needs mock")
	}
	status := int(m.GetStatusCode())
	if status == 0 {
		status = http.StatusOK
	}
	if status < 200 || status > 599 {
		return nil, fmt.Errorf("mock status code %d is not a final HTTP status", status)
	}
	out := &mock{status: status, headers: http.Header{}, body: []byte(m.GetBody()), shared: s, responses: spec.Responses}
	for _, k := range slices.Sorted(maps.Keys(m.GetHeaders())) {
		v := m.GetHeaders()[k]
		if !mapping.ValidHeaderName(k) {
			return nil, fmt.Errorf("mock header %q is not a header name", k)
		}
		if isTemplate(v) {
			t, err := vtl.Parse(v)
			if err != nil {
				return nil, fmt.Errorf("mock header %s: %w", k, err)
			}
			out.headerTpl = append(out.headerTpl, headerTemplate{name: http.CanonicalHeaderKey(k), tmpl: t})
			continue
		}
		out.headers.Set(k, v)
	}
	if isTemplate(m.GetBody()) {
		t, err := vtl.Parse(m.GetBody())
		if err != nil {
			return nil, fmt.Errorf("mock body: %w", err)
		}
		out.bodyTmpl = t
	}
	if out.bodyTmpl != nil || out.headerTpl != nil {
		out.vars = stageVariables(spec.Variables)
	}
	out.length = []string{strconv.Itoa(len(out.body))}
	return out, nil
}

// mockContentType is a MOCK answer's Content-Type when it names none: AWS's, whose method
// responses default to application/json (not a type sniffed from the body, which would
// make {"a":1} text/plain).
var mockContentType = []string{"application/json"}

func (m *mock) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if m.bodyTmpl == nil && m.headerTpl == nil && r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		// The whole request arrives before the answer, as a MOCK's does in AWS, which
		// receives a request before it runs it: a body cut short (the client stopped before
		// its length, a broken chunk) is the client's 400, an oversized one 413, not a 200
		// to a request that never came whole. (The templates' path reads it anyway.)
		if _, ok := readBody(w, r, reqctx.From(r.Context()), m.responses); !ok {
			return
		}
	}
	h := w.Header()
	for k, v := range m.headers {
		if k == "X-Request-Id" {
			continue // the gateway's request id stays
		}
		h[k] = v
	}
	body, length, status := m.body, m.length, m.status
	if m.bodyTmpl != nil || m.headerTpl != nil {
		var ok bool
		if body, status, ok = m.render(w, r); !ok {
			return
		}
		length = []string{strconv.Itoa(len(body))}
	}
	if status != http.StatusNoContent && status != http.StatusNotModified {
		h["Content-Length"] = length
		if h["Content-Type"] == nil {
			h["Content-Type"] = mockContentType
		}
	}
	if r.Method == http.MethodHead {
		// The head a GET gets, without its body (RFC 9110 9.3.2).
		w.WriteHeader(status)
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// render evaluates the templated body and headers; it answers the client itself and returns
// ok false on failure.
func (m *mock) render(w http.ResponseWriter, r *http.Request) ([]byte, int, bool) {
	rc := reqctx.From(r.Context())
	b, ok := readBody(w, r, rc, m.responses)
	if !ok {
		return nil, 0, false
	}
	e := env(r, rc, b, m.vars, nil) // several templates read it
	body, status := m.body, m.status
	h := w.Header()
	for _, ht := range m.headerTpl {
		res, err := ht.tmpl.Eval(r.Context(), &e, nil)
		if err != nil {
			templateFailed(w, r, rc, m.shared, m.responses, "mock header "+ht.name, err)
			return nil, 0, false
		}
		if ht.name != "X-Request-Id" && validHeaderValue(ht.name, res.Output) {
			h[ht.name] = []string{res.Output}
		}
	}
	if m.bodyTmpl != nil {
		res, err := m.bodyTmpl.Eval(r.Context(), &e, nil)
		if err != nil {
			templateFailed(w, r, rc, m.shared, m.responses, "mock body", err)
			return nil, 0, false
		}
		body = []byte(res.Output)
		for k, v := range res.ResponseOverride.Header {
			if validHeaderValue(k, v) {
				h.Set(k, v)
			}
		}
		if s := res.ResponseOverride.Status; s >= 200 && s <= 599 {
			status = s
		}
	}
	return body, status, true
}

// readBody reads the client's body for a MOCK, answering the client itself and returning ok
// false when it is too large (413) or could not be read to its end (400).
func readBody(w http.ResponseWriter, r *http.Request, rc *reqctx.Request, responses *gatewayresponse.Set) (*reqctx.Body, bool) {
	b, err := rc.ReadBody(r, MaxBodyBytes)
	if err != nil {
		if errors.Is(err, reqctx.ErrBodyTooLarge) {
			gatewayresponse.Write(w, r, gatewayresponse.RequestTooLarge, responses, rc.ID)
		} else {
			badClientBody(w, r, responses, rc)
		}
		return nil, false
	}
	return b, true
}
