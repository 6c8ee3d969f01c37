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

package mapping

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// An integration uri template is parsed in two steps. ParseTemplate checks its syntax once per
// API revision: ${stageVariables.x} references and {param} references to the route's path
// parameters, and where each stands. Bind then substitutes the stage variables of one variant
// (they are fixed for a configuration), which leaves only path parameters to substitute per
// request, by Expand.
//
// Where a reference stands decides what it may be. Before the path (scheme, host, port) the
// request's destination is chosen, so a client's {param} may not stand there, and a stage
// variable only as the whole host or host:port (http://${stageVariables.backend}/pets, the
// AWS pattern for per-stage backends): a partial host (${stageVariables.env}.example.com)
// would let one value's text decide where another part ends. In the path, every substituted
// value goes through the path guard (CheckSegment, CheckPath, CheckEscapedPath). In the query
// string, values are query-escaped.

// Location is the part of a uri a template piece stands in.
type Location uint8

// Locations, in the order they appear in a uri.
const (
	InAuthority Location = iota // scheme, userinfo, host and port
	InPath
	InQuery
)

type pieceKind uint8

const (
	literal pieceKind = iota
	stageVar
	param
)

type piece struct {
	kind   pieceKind
	text   string // literal text, stage variable or parameter name
	greedy bool   // the route's parameter of this name is greedy
	loc    Location
}

// Template is a parsed uri template.
type Template struct {
	raw    string
	pieces []piece
}

// ParseTemplate parses uri. params maps the route's path parameter names to whether each is
// greedy; a greedy {proxy+} may be written {proxy} or {proxy+}.
func ParseTemplate(uri string, params map[string]bool) (*Template, error) {
	t := &Template{raw: uri}
	var lit strings.Builder
	loc := InAuthority
	flush := func() {
		if lit.Len() > 0 {
			t.pieces = append(t.pieces, piece{kind: literal, text: lit.String(), loc: loc})
			lit.Reset()
		}
	}
	// The authority ends at the first '/', '?' or '#' after "//"; before "://" is the scheme.
	schemeDone := false
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
			if !schemeDone {
				return nil, fmt.Errorf("uri %q: ${%s} stands in the scheme; the scheme is written out (http:// or https://)", uri, ref)
			}
			flush()
			t.pieces = append(t.pieces, piece{kind: stageVar, text: name, loc: loc})
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
			if loc == InAuthority {
				return nil, fmt.Errorf("uri %q: {%s} stands before the path, where a client would choose the backend; path parameters go in the path or the query string", uri, uri[i+1:i+1+end])
			}
			flush()
			t.pieces = append(t.pieces, piece{kind: param, text: name, greedy: greedy, loc: loc})
			i += 1 + end + 1
		case c == '}':
			return nil, fmt.Errorf("uri %q: unbalanced }", uri)
		default:
			switch {
			case !schemeDone && strings.HasPrefix(uri[i:], "://"):
				lit.WriteString("://")
				schemeDone = true
				i += 3
				continue
			case schemeDone && loc == InAuthority && (c == '/' || c == '?' || c == '#'):
				flush()
				loc = InPath
				if c != '/' {
					loc = InQuery
				}
			case c == '?' && loc == InPath:
				flush()
				loc = InQuery
			}
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	if err := t.checkAuthority(); err != nil {
		return nil, err
	}
	// The shape is checked with stand-ins; Bind checks it again with the real variables.
	if _, err := t.bind(func(string) string { return "x" }); err != nil {
		return nil, err
	}
	return t, nil
}

// checkAuthority allows a stage variable before the path only as the whole host or
// host:port: "scheme://" ${var} [":" digits].
func (t *Template) checkAuthority() error {
	var auth []piece
	for _, p := range t.pieces {
		if p.loc == InAuthority {
			auth = append(auth, p)
		}
	}
	vars := 0
	for _, p := range auth {
		if p.kind == stageVar {
			vars++
		}
	}
	if vars == 0 {
		return nil
	}
	ok := vars == 1 && len(auth) >= 2 && auth[0].kind == literal && strings.HasSuffix(auth[0].text, "://") &&
		!strings.Contains(strings.TrimSuffix(auth[0].text, "://"), "/") && auth[1].kind == stageVar
	if ok && len(auth) == 3 {
		port, found := strings.CutPrefix(auth[2].text, ":")
		ok = found && port != "" && strings.Trim(port, "0123456789") == ""
	}
	if !ok || len(auth) > 3 {
		return fmt.Errorf("uri %q: a stage variable before the path must be the whole host or host:port, as in http://${stageVariables.backend}/pets", t.raw)
	}
	return nil
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

// HasParam reports whether the template has a {name} for a request's parameter (or a
// path.name requestParameters override) to fill.
func (t *Template) HasParam(name string) bool {
	for _, p := range t.pieces {
		if p.kind == param && p.text == name {
			return true
		}
	}
	return false
}

// Bound is a template with a variant's stage variables substituted.
type Bound struct {
	pieces []piece
}

// Bind substitutes vars (a missing variable is empty, as in Amazon API Gateway) and checks
// that the result is an absolute http or https URL whatever the path parameters are, that a
// stage variable standing for the host is only a host[:port], and that stage variables in the
// path pass the path guard.
func (t *Template) Bind(vars map[string]string) (*Bound, error) {
	return t.bind(func(name string) string { return vars[name] })
}

func (t *Template) bind(get func(string) string) (*Bound, error) {
	b := &Bound{}
	for _, p := range t.pieces {
		if p.kind == stageVar {
			v := get(p.text)
			switch p.loc {
			case InAuthority:
				if err := checkHostValue(v); err != nil {
					return nil, fmt.Errorf("uri %q: stage variable %s: %w", t.raw, p.text, err)
				}
			case InPath:
				if err := CheckEscapedPath(v); err != nil {
					return nil, fmt.Errorf("uri %q: stage variable %s: %w", t.raw, p.text, err)
				}
			case InQuery:
				v = escapeQueryText(v)
			}
			p = piece{kind: literal, text: v, loc: p.loc}
		}
		if n := len(b.pieces); p.kind == literal && n > 0 && b.pieces[n-1].kind == literal && b.pieces[n-1].loc == p.loc {
			b.pieces[n-1].text += p.text
			continue
		}
		b.pieces = append(b.pieces, p)
	}
	sample := b.expand(func(piece) string { return "x" })
	u, err := url.Parse(sample)
	if err != nil {
		return nil, fmt.Errorf("uri %q does not parse: %w", t.raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("uri %q must be an absolute http:// or https:// URL, got %q", t.raw, sample)
	}
	return b, nil
}

// escapeQueryText percent-encodes what a URI's query may not hold (spaces, quotes, control
// and non-ASCII bytes...), keeping what it may (RFC 3986: unreserved, sub-delims, ":", "@",
// "/", "?", and "%" of escapes already written): a stage variable in the query string is
// the text of a query, "a=1&b=2" as much as one value.
func escapeQueryText(v string) string {
	const hex = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(v); i++ {
		c := v[i]
		if queryByte(c) {
			if b != nil {
				b = append(b, c)
			}
			continue
		}
		if b == nil {
			b = append(make([]byte, 0, len(v)+8), v[:i]...)
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	if b == nil {
		return v
	}
	return string(b)
}

func queryByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@/?%", c) >= 0
}

// checkHostValue checks a stage variable's value that stands for host[:port]: nothing that
// would end the authority or add credentials to it.
func checkHostValue(v string) error {
	if v == "" {
		return fmt.Errorf("the host is empty")
	}
	if strings.ContainsAny(v, "/?#@\\ %") {
		return fmt.Errorf("%q is not a host or host:port", v)
	}
	host := v
	if h, port, err := net.SplitHostPort(v); err == nil {
		if port == "" || strings.Trim(port, "0123456789") != "" {
			return fmt.Errorf("%q has no numeric port", v)
		}
		host = h
	}
	if host == "" {
		return fmt.Errorf("%q has no host", v)
	}
	return nil
}

// Values gives the per-request value of each path parameter: the decoded value, and for a
// greedy parameter its escaped form as the client sent it.
type Values interface {
	Get(name string) (string, bool)
	GreedyRaw() string
}

// Expand substitutes the path parameters, overrides (requestParameters path.X) first. Values
// are escaped for where they stand: a {param} as one path segment, a greedy {proxy} as the
// path it matched (slashes kept), and either as a query value after the '?'. A value in the
// path that the path guard refuses fails the expansion with an error wrapping ErrUnsafePath.
func (b *Bound) Expand(v Values, overrides map[string]string) (string, error) {
	var bad error
	s := b.expand(func(p piece) string {
		val, over := overrides[p.text]
		if !over {
			var ok bool
			if val, ok = v.Get(p.text); !ok {
				return ""
			}
		}
		var out string
		var err error
		switch {
		case p.loc == InQuery:
			return url.QueryEscape(val)
		case p.greedy && over:
			out, err = escapeGreedy(val), CheckPath(val)
		case p.greedy:
			raw := v.GreedyRaw()
			out, err = raw, CheckEscapedPath(raw)
		default:
			out, err = url.PathEscape(val), CheckSegment(val)
		}
		if err != nil && bad == nil {
			bad = fmt.Errorf("{%s}: %w", p.text, err)
		}
		return out
	})
	if bad != nil {
		return "", bad
	}
	return s, nil
}

// Static returns the URL when the template has no parameter to substitute, so that a caller
// may parse it once rather than per request.
func (b *Bound) Static() (string, bool) {
	for _, p := range b.pieces {
		if p.kind != literal {
			return "", false
		}
	}
	return b.expand(nil), true
}

func (b *Bound) expand(param func(piece) string) string {
	if len(b.pieces) == 1 && b.pieces[0].kind == literal {
		return b.pieces[0].text
	}
	var s strings.Builder
	n := 0
	for _, p := range b.pieces {
		n += len(p.text) + 8
	}
	s.Grow(n)
	for _, p := range b.pieces {
		if p.kind == literal {
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
