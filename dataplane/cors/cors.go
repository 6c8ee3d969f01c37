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

// Package cors is an API's CORS policy, as Amazon API Gateway HTTP APIs apply it: the
// gateway answers preflight requests itself, before authorization (browsers send no
// credentials with them), and sets the Access-Control-* headers of actual responses, ignoring
// any its backends send.
//
// The headers follow the Fetch standard's rules: "*" is never sent with credentials (the
// origin, method or headers requested are echoed instead), Authorization is never covered by
// a "*" of allowed headers, and an origin the policy does not allow gets no CORS headers at
// all, which makes the browser refuse the response; it is not an error of the gateway's.
package cors

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
)

// Request and response headers of the CORS protocol.
const (
	HeaderOrigin           = "Origin"
	HeaderRequestMethod    = "Access-Control-Request-Method"
	HeaderRequestHeaders   = "Access-Control-Request-Headers"
	HeaderAllowOrigin      = "Access-Control-Allow-Origin"
	HeaderAllowCredentials = "Access-Control-Allow-Credentials"
	HeaderAllowMethods     = "Access-Control-Allow-Methods"
	HeaderAllowHeaders     = "Access-Control-Allow-Headers"
	HeaderExposeHeaders    = "Access-Control-Expose-Headers"
	HeaderMaxAge           = "Access-Control-Max-Age"
	headerVary             = "Vary"
)

// Policy is a compiled CORS policy. It is immutable and safe for concurrent use.
type Policy struct {
	// anyOrigin is set by "*" in allowOrigins. With credentials it still admits every
	// origin, but only without credentials: listed origins alone get them.
	anyOrigin bool
	// exact holds the listed origins, lower case.
	exact map[string]struct{}
	// wildcards are the "scheme://*.domain[:port]" origins.
	wildcards []wildcard

	methods   string // allowMethods joined, without "*"
	anyMethod bool
	headers   string // allowHeaders joined, without "*"
	anyHeader bool
	expose    string
	maxAge    string // empty: no Access-Control-Max-Age
	creds     bool
}

// wildcard matches the origins prefix + one or more DNS labels + suffix, where prefix is
// "scheme://" and suffix ".domain[:port]".
type wildcard struct {
	prefix, suffix string
}

// Compile checks and compiles c. It fails on an origin that is neither "*", nor
// scheme://host[:port], nor scheme://*.domain[:port], on a method or header name that is not
// an HTTP token, and on a negative max age.
func Compile(c *xdsv1alpha1.Cors) (*Policy, error) {
	if c == nil {
		return nil, fmt.Errorf("no CORS policy")
	}
	p := &Policy{exact: map[string]struct{}{}, creds: c.GetAllowCredentials()}
	for _, o := range c.GetAllowOrigins() {
		if err := p.addOrigin(o); err != nil {
			return nil, err
		}
	}
	var err error
	if p.methods, p.anyMethod, err = tokenList("method", c.GetAllowMethods(), true); err != nil {
		return nil, err
	}
	if p.headers, p.anyHeader, err = tokenList("allowed header", c.GetAllowHeaders(), false); err != nil {
		return nil, err
	}
	var anyExpose bool
	if p.expose, anyExpose, err = tokenList("exposed header", c.GetExposeHeaders(), false); err != nil {
		return nil, err
	}
	if anyExpose && !p.creds {
		// "*" exposes every header only to requests without credentials, the only ones it
		// can be sent to; with credentials it would name a header called "*".
		p.expose = joinNonEmpty("*", p.expose)
	}
	if c.MaxAgeSeconds != nil {
		if c.GetMaxAgeSeconds() < 0 {
			return nil, fmt.Errorf("CORS max age %d is negative", c.GetMaxAgeSeconds())
		}
		p.maxAge = strconv.Itoa(int(c.GetMaxAgeSeconds()))
	}
	return p, nil
}

func (p *Policy) addOrigin(o string) error {
	if o == "*" {
		p.anyOrigin = true
		return nil
	}
	lower := strings.ToLower(strings.TrimSuffix(o, "/"))
	scheme, rest, ok := strings.Cut(lower, "://")
	if !ok || scheme == "" || rest == "" || strings.ContainsAny(rest, "/?#@ \t\r\n") || strings.ContainsAny(scheme, "*/ \t\r\n") {
		return fmt.Errorf("CORS origin %q is not \"*\", scheme://host[:port] or scheme://*.domain[:port]", o)
	}
	if !strings.Contains(rest, "*") {
		p.exact[lower] = struct{}{}
		return nil
	}
	suffix, ok := strings.CutPrefix(rest, "*")
	if !ok || !strings.HasPrefix(suffix, ".") || len(suffix) < 2 || strings.Contains(suffix, "*") || strings.HasPrefix(suffix, "..") {
		return fmt.Errorf("CORS origin %q: a wildcard origin is scheme://*.domain[:port]", o)
	}
	p.wildcards = append(p.wildcards, wildcard{prefix: scheme + "://", suffix: suffix})
	return nil
}

// tokenList joins the tokens of list with ", ", apart from "*", which it reports.
func tokenList(what string, list []string, upper bool) (string, bool, error) {
	var b strings.Builder
	star := false
	for _, t := range list {
		t = strings.TrimSpace(t)
		if t == "*" {
			star = true
			continue
		}
		if !isToken(t) {
			return "", false, fmt.Errorf("CORS %s %q is not an HTTP token", what, t)
		}
		if upper {
			t = strings.ToUpper(t)
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t)
	}
	return b.String(), star, nil
}

// isToken reports whether s is an RFC 9110 token, as header names and methods are.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + ", " + b
}

// grant is what a policy grants one origin.
type grant int

const (
	// denied: no CORS headers.
	denied grant = iota
	// anyone: Access-Control-Allow-Origin: *, never with credentials.
	anyone
	// echoed: the origin itself, with credentials when the policy allows them.
	echoed
)

// Match reports whether the policy allows origin, as a browser sends it in Origin.
func (p *Policy) Match(origin string) bool { return p.grant(origin) != denied }

func (p *Policy) grant(origin string) grant {
	if origin == "" {
		return denied
	}
	if p.anyOrigin && !p.creds {
		return anyone
	}
	if p.listed(origin) {
		return echoed
	}
	if p.anyOrigin {
		// "*" with credentials: any origin, but without them, so that a page of any site
		// cannot make credentialed calls.
		return anyone
	}
	return denied
}

// listed reports whether origin is one of the exact or wildcard origins.
func (p *Policy) listed(origin string) bool {
	lower := strings.ToLower(origin)
	if _, ok := p.exact[lower]; ok {
		return true
	}
	for _, w := range p.wildcards {
		if w.match(lower) {
			return true
		}
	}
	return false
}

// match reports whether origin, in lower case, is prefix + labels + suffix.
func (w wildcard) match(origin string) bool {
	if len(origin) <= len(w.prefix)+len(w.suffix) || !strings.HasPrefix(origin, w.prefix) || !strings.HasSuffix(origin, w.suffix) {
		return false
	}
	host := origin[len(w.prefix) : len(origin)-len(w.suffix)]
	prev := byte('.')
	for i := 0; i < len(host); i++ {
		c := host[i]
		switch {
		case c == '.':
			if prev == '.' {
				return false // an empty label
			}
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false // a port, a path, credentials or anything else that is not a host
		}
		prev = c
	}
	return prev != '.'
}

// dependsOnOrigin reports whether responses differ by Origin, so that caches must be told.
func (p *Policy) dependsOnOrigin() bool { return !p.anyOrigin || p.creds }

// IsPreflight reports whether r is a CORS preflight request: OPTIONS with Origin and
// Access-Control-Request-Method.
func IsPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get(HeaderOrigin) != "" && r.Header.Get(HeaderRequestMethod) != ""
}

// Preflight answers r when it is a preflight request and reports whether it did: 204 with
// the Access-Control-Allow-* headers for an allowed origin, and 204 without them for another,
// which the browser then refuses. It writes nothing and returns false for other requests.
func (p *Policy) Preflight(w http.ResponseWriter, r *http.Request) bool {
	if !IsPreflight(r) {
		return false
	}
	h := w.Header()
	dropCORSHeaders(h)
	origin := r.Header.Get(HeaderOrigin)
	g := p.grant(origin)
	if p.dependsOnOrigin() {
		addVary(h, HeaderOrigin)
	}
	if g == denied {
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	creds := p.setOrigin(h, g, origin)
	switch {
	case p.anyMethod && creds:
		// "*" would name a method called "*" here: echo the one requested.
		addVary(h, HeaderRequestMethod)
		if m := strings.TrimSpace(r.Header.Get(HeaderRequestMethod)); isToken(m) {
			h[HeaderAllowMethods] = []string{m}
		} else if p.methods != "" {
			h[HeaderAllowMethods] = []string{p.methods}
		}
	case p.anyMethod:
		h[HeaderAllowMethods] = []string{"*"}
	case p.methods != "":
		h[HeaderAllowMethods] = []string{p.methods}
	}
	switch {
	case p.anyHeader && creds:
		addVary(h, HeaderRequestHeaders)
		if req := requestedHeaders(r); req != "" {
			h[HeaderAllowHeaders] = []string{req}
		} else if p.headers != "" {
			h[HeaderAllowHeaders] = []string{p.headers}
		}
	case p.anyHeader:
		// "*" covers every header but Authorization, which is always named.
		h[HeaderAllowHeaders] = []string{"*, Authorization"}
	case p.headers != "":
		h[HeaderAllowHeaders] = []string{p.headers}
	}
	if p.maxAge != "" {
		h[HeaderMaxAge] = []string{p.maxAge}
	}
	w.WriteHeader(http.StatusNoContent)
	return true
}

// requestedHeaders returns the Access-Control-Request-Headers of r, when they are a list of
// tokens: they are echoed, so nothing else may pass.
func requestedHeaders(r *http.Request) string {
	var out []string
	for _, v := range r.Header.Values(HeaderRequestHeaders) {
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimSpace(t)
			if t == "" {
				continue
			}
			if !isToken(t) {
				return ""
			}
			out = append(out, strings.ToLower(t))
		}
	}
	return strings.Join(out, ", ")
}

// The response headers are set as h[name] = []string{value}: the names are canonical
// constants, and this path runs on every response of an API with CORS.

// Decorate sets the CORS headers of an actual (not preflight) response to a request from
// origin (its Origin header, possibly empty) in h, replacing any a backend set.
func (p *Policy) Decorate(h http.Header, origin string) {
	dropCORSHeaders(h)
	if p.dependsOnOrigin() {
		addVary(h, HeaderOrigin)
	}
	g := p.grant(origin)
	if g == denied && !p.dependsOnOrigin() {
		// "*" without credentials: every answer says so, with an Origin or without, as it
		// sends no Vary: a cache may hand a browser the answer fetched without one.
		g = anyone
	}
	if g == denied {
		return
	}
	p.setOrigin(h, g, origin)
	if p.expose != "" {
		h[HeaderExposeHeaders] = []string{p.expose}
	}
}

// setOrigin sets Access-Control-Allow-Origin and, when granted, Allow-Credentials. It
// reports whether credentials were allowed.
func (p *Policy) setOrigin(h http.Header, g grant, origin string) bool {
	if g == anyone {
		h[HeaderAllowOrigin] = []string{"*"}
		return false
	}
	h[HeaderAllowOrigin] = []string{origin}
	if p.creds {
		h[HeaderAllowCredentials] = []string{"true"}
	}
	return p.creds
}

// dropCORSHeaders deletes the CORS response headers already in h (a backend's): the API's
// policy alone decides, as in Amazon API Gateway.
func dropCORSHeaders(h http.Header) {
	// The names are canonical already: delete skips canonicalizing them per request.
	for _, k := range responseHeaders {
		delete(h, k)
	}
}

var responseHeaders = [...]string{HeaderAllowOrigin, HeaderAllowCredentials, HeaderExposeHeaders, HeaderAllowMethods, HeaderAllowHeaders, HeaderMaxAge}

// addVary adds name to Vary unless it is there.
func addVary(h http.Header, name string) {
	for _, v := range h[headerVary] {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f == "*" || strings.EqualFold(f, name) {
				return
			}
		}
	}
	h[headerVary] = append(h[headerVary], name)
}
