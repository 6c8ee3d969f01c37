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
	"net/url"
	"strings"
)

// A uri template is parsed in two steps. ParseTemplate checks its syntax once per API
// revision: ${stageVariables.x} references and {param} references to the route's path
// parameters. Bind then substitutes the stage variables of one variant (they are fixed for a
// configuration), which leaves only path parameters to substitute per request.

type tkind uint8

const (
	tLiteral tkind = iota
	tStageVar
	tParam
)

type tpart struct {
	kind    tkind
	text    string // literal text, stage variable or parameter name
	greedy  bool   // the route's parameter of this name is greedy
	inQuery bool   // the part comes after the template's '?'
}

// Template is a parsed uri template.
type Template struct {
	raw   string
	parts []tpart
}

// ParseTemplate parses uri. params maps the route's path parameter names to whether each is
// greedy; a greedy {proxy+} may be written {proxy} or {proxy+}.
func ParseTemplate(uri string, params map[string]bool) (*Template, error) {
	t := &Template{raw: uri}
	var lit strings.Builder
	inQuery := false
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, tpart{kind: tLiteral, text: lit.String(), inQuery: inQuery})
			lit.Reset()
		}
	}
	for i := 0; i < len(uri); {
		c := uri[i]
		switch {
		case c == '$' && i+1 < len(uri) && uri[i+1] == '{':
			end := strings.IndexByte(uri[i+2:], '}')
			if end < 0 {
				return nil, fmt.Errorf("uri %q: unclosed ${", uri)
			}
			ref := uri[i+2 : i+2+end]
			name, ok := strings.CutPrefix(ref, "stageVariables.")
			if !ok || !validStageVar(name) {
				return nil, fmt.Errorf("uri %q: ${%s} is not a stage variable reference; write ${stageVariables.<name>}", uri, ref)
			}
			flush()
			t.parts = append(t.parts, tpart{kind: tStageVar, text: name, inQuery: inQuery})
			i += 2 + end + 1
		case c == '{':
			end := strings.IndexByte(uri[i+1:], '}')
			if end < 0 {
				return nil, fmt.Errorf("uri %q: unclosed {", uri)
			}
			name := strings.TrimSuffix(uri[i+1:i+1+end], "+")
			greedy, ok := params[name]
			if !ok {
				return nil, fmt.Errorf("uri %q: {%s} is not a parameter of the route's path", uri, uri[i+1:i+1+end])
			}
			flush()
			t.parts = append(t.parts, tpart{kind: tParam, text: name, greedy: greedy, inQuery: inQuery})
			i += 1 + end + 1
		case c == '}':
			return nil, fmt.Errorf("uri %q: unbalanced }", uri)
		default:
			if c == '?' && !inQuery {
				flush()
				inQuery = true
			}
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	// The shape is checked with stand-ins; Bind checks it again with the real variables.
	if _, err := t.bind(func(string) string { return "x" }); err != nil {
		return nil, err
	}
	return t, nil
}

func validStageVar(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '_' && (c < '0' || c > '9') && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// String returns the template as written.
func (t *Template) String() string { return t.raw }

// Bound is a template with a variant's stage variables substituted.
type Bound struct {
	parts []tpart
}

// Bind substitutes vars (a missing variable is empty, as in Amazon API Gateway) and checks
// that the result is an absolute http or https URL whatever the path parameters are.
func (t *Template) Bind(vars map[string]string) (*Bound, error) {
	return t.bind(func(name string) string { return vars[name] })
}

func (t *Template) bind(get func(string) string) (*Bound, error) {
	b := &Bound{}
	for _, p := range t.parts {
		if p.kind == tStageVar {
			p = tpart{kind: tLiteral, text: get(p.text), inQuery: p.inQuery}
		}
		if n := len(b.parts); p.kind == tLiteral && n > 0 && b.parts[n-1].kind == tLiteral && b.parts[n-1].inQuery == p.inQuery {
			b.parts[n-1].text += p.text
			continue
		}
		b.parts = append(b.parts, p)
	}
	sample := b.expand(func(tpart) string { return "x" })
	u, err := url.Parse(sample)
	if err != nil {
		return nil, fmt.Errorf("uri %q does not parse: %w", t.raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("uri %q must be an absolute http:// or https:// URL, got %q", t.raw, sample)
	}
	return b, nil
}

// Values gives the per-request value of each path parameter: the decoded value, and for a
// greedy parameter its escaped form as the client sent it.
type Values interface {
	Get(name string) (string, bool)
	GreedyRaw() string
}

// Expand substitutes the path parameters. Values are escaped for where they stand: a
// {param} as one path segment, a greedy {proxy} as the path it matched (slashes kept), and
// either as a query value after the '?'.
func (b *Bound) Expand(v Values, overrides map[string]string) string {
	return b.expand(func(p tpart) string {
		if o, ok := overrides[p.text]; ok {
			switch {
			case p.inQuery:
				return url.QueryEscape(o)
			case p.greedy:
				return escapeGreedy(o)
			}
			return url.PathEscape(o)
		}
		val, ok := v.Get(p.text)
		switch {
		case !ok:
			return ""
		case p.inQuery:
			return url.QueryEscape(val)
		case p.greedy:
			return v.GreedyRaw()
		}
		return url.PathEscape(val)
	})
}

func (b *Bound) expand(param func(tpart) string) string {
	if len(b.parts) == 1 && b.parts[0].kind == tLiteral {
		return b.parts[0].text
	}
	var s strings.Builder
	n := 0
	for _, p := range b.parts {
		n += len(p.text) + 8
	}
	s.Grow(n)
	for _, p := range b.parts {
		if p.kind == tLiteral {
			s.WriteString(p.text)
			continue
		}
		s.WriteString(param(p))
	}
	return s.String()
}

// escapeGreedy escapes each segment of a decoded path, keeping its slashes.
func escapeGreedy(s string) string {
	segs := strings.Split(s, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	return strings.Join(segs, "/")
}
