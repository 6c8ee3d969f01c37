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
	"fmt"
	"net/http"
	"strconv"
	"strings"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/internal/vtl"
)

// mappedMock is a MOCK integration with requestTemplates or responses, run as Amazon API
// Gateway runs one: the request template decides the status, {"statusCode": 404}, and the
// integration responses map that status to the client's answer (status, responseParameters,
// responseTemplates). mock, when given, is the integration's own answer before the
// integration responses: its statusCode when no request template applies, its headers as
// integration.response.header.*, its body as the response templates' $input.body.
type mappedMock struct {
	mock        *mock // nil: 200, no headers, an empty body
	passthrough string
	templates   *templates
	out         *mappedHTTP // the integration responses, shared with HTTP integrations
}

func (s *Shared) newMappedMock(in *xdsv1alpha1.Integration, spec Spec) (*mappedMock, error) {
	if in.GetHttpMethod() != "" || in.GetContentHandling() != "" {
		return nil, fmt.Errorf("httpMethod and contentHandling apply to HTTP integrations, not MOCK")
	}
	h := &mappedMock{passthrough: in.GetPassthroughBehavior()}
	switch h.passthrough {
	case "":
		h.passthrough = PassthroughWhenNoMatch
	case PassthroughWhenNoMatch, PassthroughWhenNoTemplates, PassthroughNever:
	default:
		return nil, fmt.Errorf("passthroughBehavior %q is not WHEN_NO_MATCH, WHEN_NO_TEMPLATES or NEVER", h.passthrough)
	}
	if in.GetMock() != nil {
		m, err := newMock(in.GetMock(), s, spec)
		if err != nil {
			return nil, err
		}
		h.mock = m
	}
	var err error
	if h.templates, err = compileTemplates("requestTemplates", in.GetRequestTemplates()); err != nil {
		return nil, err
	}
	h.out = &mappedHTTP{shared: s, responses: spec.Responses, vars: stageVariables(spec.Variables)}
	if h.out.integResps, err = compileResponses(in.GetResponses()); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *mappedMock) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc := reqctx.From(r.Context())
	body, ok := readBody(w, r, rc, h.out.responses)
	if !ok {
		return
	}
	answer := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}}
	var payload []byte
	if m := h.mock; m != nil {
		aw := &answerWriter{ResponseWriter: w, h: answer.Header}
		for k, v := range m.headers {
			answer.Header[k] = v
		}
		payload, answer.StatusCode = m.body, m.status
		if m.bodyTmpl != nil || m.headerTpl != nil {
			var ok bool
			if payload, answer.StatusCode, ok = m.render(aw, r); !ok {
				return
			}
		}
	}
	ct := MediaType(r.Header.Get("Content-Type"))
	var tmpl *vtl.Template
	if h.templates != nil {
		tmpl = h.templates.byType[ct]
	}
	if tmpl == nil {
		if h.passthrough == PassthroughNever || (h.passthrough == PassthroughWhenNoTemplates && h.templates != nil) {
			gatewayresponse.Write(w, r, gatewayresponse.UnsupportedMediaType, h.out.responses, rc.ID)
			return
		}
	} else {
		e := env(r, rc, body, h.out.vars, tmpl)
		res, err := tmpl.Eval(r.Context(), &e, nil)
		if err == nil {
			answer.StatusCode, err = mockStatus(res.Output)
		}
		if err != nil {
			templateFailed(w, r, rc, h.out.shared, h.out.responses, "request template "+ct, err)
			return
		}
	}
	h.out.respond(w, r, rc, answer, payload, "")
}

// mockStatus reads the status a MOCK request template decides: {"statusCode": 200}.
func mockStatus(out string) (int, error) {
	doc, err := vtl.ParseJSON(out)
	if err != nil {
		return 0, fmt.Errorf("the MOCK request template's output is not JSON: %w", err)
	}
	m, _ := doc.(*vtl.Map)
	var v any
	if m != nil {
		v, _ = m.Get("statusCode")
	}
	var code int
	switch v := v.(type) {
	case int64:
		code = int(v)
	case float64:
		code = int(v)
	case string:
		code, _ = strconv.Atoi(strings.TrimSpace(v))
	}
	if code < 100 || code > 599 {
		return 0, fmt.Errorf("unable to parse statusCode: the MOCK request template must give an integer status, as {\"statusCode\": 200}")
	}
	return code, nil
}

// answerWriter collects a mock's rendered headers as the integration's answer; a failure
// answered meanwhile goes to the client with the headers set for it.
type answerWriter struct {
	http.ResponseWriter
	h http.Header
}

func (a *answerWriter) Header() http.Header { return a.h }

func (a *answerWriter) WriteHeader(code int) {
	out := a.ResponseWriter.Header()
	for k, v := range a.h {
		out[k] = v
	}
	a.ResponseWriter.WriteHeader(code)
}
