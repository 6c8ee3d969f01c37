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
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/internal/mapping"
	"github.com/portico-dev/portico/internal/vtl"
)

// Integration responses map a non-proxy backend's answer to the client's: the first whose
// selectionPattern matches the backend's whole status code, else the default (the one
// without a pattern). Patterns are compiled once per build; per request only Match runs.

type integrationResponse struct {
	pattern   *regexp.Regexp // nil for the default
	status    int
	params    []mapping.ResponseMapping
	templates *templates
}

type integrationResponses struct {
	list []integrationResponse // with patterns, in order
	def  *integrationResponse
}

func compileResponses(in []*xdsv1alpha1.IntegrationResponse) (*integrationResponses, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := &integrationResponses{}
	for i, r := range in {
		field := fmt.Sprintf("responses[%d]", i)
		ir := integrationResponse{status: int(r.GetStatusCode())}
		if ir.status == 0 {
			ir.status = http.StatusOK
		}
		if ir.status < 100 || ir.status > 599 {
			return nil, fmt.Errorf("%s: status code %d is not an HTTP status", field, ir.status)
		}
		for _, k := range slices.Sorted(maps.Keys(r.GetResponseParameters())) {
			m, err := mapping.ParseResponseMapping(k, r.GetResponseParameters()[k])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", field, err)
			}
			ir.params = append(ir.params, m)
		}
		var err error
		if ir.templates, err = compileTemplates(field+".responseTemplates", r.GetResponseTemplates()); err != nil {
			return nil, err
		}
		if r.GetSelectionPattern() == "" {
			if out.def != nil {
				return nil, fmt.Errorf("%s: a second response without selectionPattern", field)
			}
			out.def = &ir
			continue
		}
		if ir.pattern, err = mapping.CompileSelectionPattern(r.GetSelectionPattern()); err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		out.list = append(out.list, ir)
	}
	return out, nil
}

// selectResponse returns the integration response for a backend status, or nil to pass the
// answer through.
func (rs *integrationResponses) selectResponse(status int) *integrationResponse {
	if rs == nil {
		return nil
	}
	code := strconv.Itoa(status)
	for i := range rs.list {
		if rs.list[i].pattern.MatchString(code) {
			return &rs.list[i]
		}
	}
	return rs.def
}

// headers sets the response's mapped headers from the backend's answer. The body is read
// as JSON once, and only when a parameter takes a JSONPath of it; a body that is not JSON
// maps no header from it.
func (ir *integrationResponse) headers(h http.Header, backend http.Header, body []byte) {
	var doc any
	parsed := false
	for _, m := range ir.params {
		var v string
		switch m.Kind {
		case mapping.ResponseStatic:
			v = m.Name
		case mapping.ResponseHeader:
			v = backend.Get(m.Name)
		case mapping.ResponseBody:
			v = headerSafe(body)
		case mapping.ResponseBodyPath:
			if !parsed {
				parsed = true
				doc, _ = vtl.ParseJSON(string(body))
			}
			if doc != nil {
				s, _ := m.Path.Text(doc)
				v = headerSafe([]byte(s))
			}
		}
		if v != "" {
			h[m.Header] = []string{v}
		}
	}
}

// headerSafe is body as a header value: line breaks and control characters become spaces,
// so that a backend's body cannot add headers of its own; long bodies are cut at 8 KB.
func headerSafe(body []byte) string {
	if len(body) > 8<<10 {
		body = body[:8<<10]
	}
	b := make([]byte, len(body))
	for i, c := range body {
		if c < ' ' && c != '\t' || c == 0x7f {
			c = ' '
		}
		b[i] = c
	}
	return string(b)
}
