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
	"net/url"
	"slices"
	"strings"

	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/internal/mapping"
)

// requestParameters maps values of the request and its context onto the integration request:
// the target (header.X, querystring.X or path.X) gets the source's value. A mapping whose
// value is empty removes the target rather than leave what the client sent: a header meant to
// carry the authorizer's principal must never carry a client's guess instead.

// entry is one compiled requestParameters entry: the shared grammar's parse, with stage
// variables already substituted (as static values: they are fixed for a variant).
type entry struct {
	target mapping.Target
	source mapping.Source
}

// mappings are a route's compiled requestParameters, sorted by target.
type mappings struct {
	list    []entry
	hasPath bool
	// badStatic is why a path.X mapping's fixed value (a literal, or a stage variable's)
	// cannot stand in the path: the operator's value, so its requests answer 502, not the
	// 400 a client's value the guard refuses gets.
	badStatic error
}

// compileMappings compiles requestParameters with the grammar the compiler checks them with.
// pathParams maps the route's path parameters to whether each is greedy.
func compileMappings(in map[string]string, vars map[string]string, pathParams map[string]bool) (*mappings, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := &mappings{}
	for _, target := range slices.Sorted(maps.Keys(in)) {
		m, err := mapping.ParseMapping(target, in[target], pathParams)
		if err != nil {
			return nil, err
		}
		if m.Source.Kind == mapping.StageVariable {
			m.Source = mapping.Source{Kind: mapping.Static, Name: vars[m.Source.Name]}
		}
		out.hasPath = out.hasPath || m.Target.Kind == mapping.TargetPath
		if m.Target.Kind == mapping.TargetPath && m.Source.Kind == mapping.Static && out.badStatic == nil {
			if err := mapping.CheckSegment(m.Source.Name); err != nil {
				out.badStatic = fmt.Errorf("requestParameters[%s]: %s", target, err.Error())
			}
		}
		out.list = append(out.list, entry{target: m.Target, source: m.Source})
	}
	return out, nil
}

// value evaluates a mapping's source for the inbound request in.
func (m *entry) value(in *http.Request, rc *reqctx.Request, query *url.Values) string {
	return rc.Value(m.source, in, query)
}

// pathOverrides returns the values of path.X targets, which replace {X} in the uri template,
// or badStatic.
func (ms *mappings) pathOverrides(in *http.Request, rc *reqctx.Request) (map[string]string, error) {
	if ms == nil || !ms.hasPath {
		return nil, nil
	}
	if ms.badStatic != nil {
		return nil, ms.badStatic
	}
	var q url.Values
	out := map[string]string{}
	for i := range ms.list {
		if m := &ms.list[i]; m.target.Kind == mapping.TargetPath {
			out[m.target.Name] = m.value(in, rc, &q)
		}
	}
	return out, nil
}

// apply sets the header and query string targets on the outbound request.
func (ms *mappings) apply(out, in *http.Request, rc *reqctx.Request) {
	if ms == nil {
		return
	}
	var inQuery url.Values
	for i := range ms.list {
		m := &ms.list[i]
		switch m.target.Kind {
		case mapping.TargetHeader:
			if v := m.value(in, rc, &inQuery); v != "" {
				out.Header[m.target.Name] = []string{v}
			} else {
				delete(out.Header, m.target.Name)
			}
		case mapping.TargetQueryString:
			v := m.value(in, rc, &inQuery)
			out.URL.RawQuery = setQueryParam(out.URL.RawQuery, m.target.Name, v)
		}
	}
}

// setQueryParam returns the raw query with the parameter name set to value (removed when
// value is empty): its pairs taken out and one added at the end. Every other pair stays as
// the client wrote it, in its place and encoding (HTTP_PROXY passes the query through; a
// decode and re-encode would reorder it, change %20 to +, and drop what does not decode).
func setQueryParam(raw, name, value string) string {
	var b strings.Builder
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		k, _, _ := strings.Cut(pair, "=")
		if dk, err := url.QueryUnescape(k); err == nil && dk == name {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(pair)
	}
	if value != "" {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(name))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(value))
	}
	return b.String()
}
