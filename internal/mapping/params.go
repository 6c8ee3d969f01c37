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
	"maps"
	"net/textproto"
	"strings"
)

// TargetKind is what a requestParameters mapping sets on the integration request.
type TargetKind uint8

// Target kinds.
const (
	TargetHeader      TargetKind = iota // header.<name>
	TargetQueryString                   // querystring.<name>
	TargetPath                          // path.<name>: replaces {name} in the uri
)

// Target is a parsed requestParameters key.
type Target struct {
	Kind TargetKind
	Name string // canonical for a header
}

// reservedHeaders are the headers a mapping may not set, as Amazon API Gateway reserves
// them: the proxy writes them itself, so a mapped value would be dropped, or would frame the
// request otherwise than the proxy sends it.
var reservedHeaders = map[string]bool{
	"Host": true, "Content-Length": true, "Transfer-Encoding": true, "Trailer": true, "Te": true,
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Upgrade": true,
}

// ReservedHeader reports whether name (canonical) is a header the proxy writes itself, which
// no mapping or gateway response may set: framing and connection headers, and Host.
func ReservedHeader(name string) bool { return reservedHeaders[name] }

// ParseTarget parses a requestParameters key: header.<name>, querystring.<name> or
// path.<name>.
func ParseTarget(target string) (Target, error) {
	kind, name, ok := strings.Cut(target, ".")
	if ok && name != "" {
		switch kind {
		case "header":
			if !ValidHeaderName(name) {
				return Target{}, fmt.Errorf("requestParameters: %q is not a header name", name)
			}
			name = textproto.CanonicalMIMEHeaderKey(name)
			if reservedHeaders[name] {
				return Target{}, fmt.Errorf("requestParameters: header %s cannot be mapped: the proxy writes it (the Host comes from the integration's uri; framing and connection headers from the request it sends)", name)
			}
			return Target{Kind: TargetHeader, Name: name}, nil
		case "querystring":
			return Target{Kind: TargetQueryString, Name: name}, nil
		case "path":
			return Target{Kind: TargetPath, Name: name}, nil
		}
	}
	return Target{}, fmt.Errorf("requestParameters: target %q is not header.<name>, querystring.<name> or path.<name>", target)
}

// Mapping is one requestParameters entry.
type Mapping struct {
	Target Target
	Source Source
}

// ParseMapping parses one requestParameters entry. pathParams maps the route's path parameter
// names to whether each is greedy. A static value set on a path target is checked with the
// path guard now: it would be refused on every request.
func ParseMapping(target, source string, pathParams map[string]bool) (Mapping, error) {
	t, err := ParseTarget(target)
	if err != nil {
		return Mapping{}, err
	}
	s, err := ParseSource(source, pathParams)
	if err != nil {
		return Mapping{}, fmt.Errorf("requestParameters[%s]: %w", target, err)
	}
	if t.Kind == TargetPath && s.Kind == Static {
		check := CheckSegment
		if pathParams[t.Name] {
			check = CheckPath
		}
		if err := check(s.Name); err != nil {
			return Mapping{}, fmt.Errorf("requestParameters[%s]: %w", target, err)
		}
	}
	return Mapping{Target: t, Source: s}, nil
}

// Authorizer types, as the Authorizer CRD spells them.
const (
	AuthorizerJWT     = "JWT"
	AuthorizerToken   = "TOKEN"
	AuthorizerRequest = "REQUEST"
)

// DefaultIdentitySource is where an authorizer that names none reads its caller's identity.
const DefaultIdentitySource = "$request.header.Authorization"

// ParseIdentitySource parses an authorizer's identity source. Both the HTTP API syntax of
// API.md ($request.header.Authorization) and the REST API syntax AWS users also know
// (method.request.header.Authorization, stageVariables.x, context.x) are read. A $context
// variable must exist before the authorizer runs: $context.authorizer.<key> is refused.
func ParseIdentitySource(s string) (Source, error) {
	src, err := parseCommon(FromRESTSyntax(s), s)
	switch {
	case err != nil:
		return Source{}, fmt.Errorf("identity source %q: %w", s, err)
	case src == nil:
		return Source{}, fmt.Errorf("identity source %q is not $request.header.x, $request.querystring.x, $stageVariables.x or $context.x", s)
	case src.Var == ContextAuthorizer:
		return Source{}, fmt.Errorf("identity source %q: $context.%s is not available to authorizers: it is what they return", s, src.Name)
	}
	return *src, nil
}

// CheckIdentitySources parses an authorizer's identity sources as the proxy reads them for
// authorizerType: a JWT authorizer reads its token from exactly one, a header or a query
// string parameter; a TOKEN authorizer reads exactly one header; a REQUEST authorizer reads
// them all. No sources means DefaultIdentitySource for JWT and TOKEN authorizers.
func CheckIdentitySources(authorizerType string, sources []string) ([]Source, error) {
	switch authorizerType {
	case AuthorizerJWT:
		// One, as Amazon API Gateway's JWT authorizers take: the proxy reads one token, and
		// a second source it would not read must not look like it is checked.
		if len(sources) > 1 {
			return nil, fmt.Errorf("a JWT authorizer reads its token from exactly one identity source, not %q", sources)
		}
		raw := DefaultIdentitySource
		if len(sources) > 0 {
			raw = strings.TrimSpace(sources[0])
		}
		s, err := ParseIdentitySource(raw)
		if err != nil {
			return nil, err
		}
		if s.Kind != Header && s.Kind != QueryString {
			return nil, fmt.Errorf("identity source %q is not $request.header.<name> or $request.querystring.<name>", raw)
		}
		return []Source{s}, nil
	case AuthorizerToken:
		if len(sources) == 0 {
			sources = []string{DefaultIdentitySource}
		}
	}
	out := make([]Source, 0, len(sources))
	for _, raw := range sources {
		s, err := ParseIdentitySource(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if authorizerType == AuthorizerToken && (len(out) != 1 || out[0].Kind != Header) {
		return nil, fmt.Errorf("a TOKEN authorizer reads exactly one header, not %q", sources)
	}
	return out, nil
}

// URIParams returns the names an integration uri's {name} may stand for: the route's path
// parameters (pathParams, each greedy or not) and the names requestParameters' path.<name>
// targets fill, as AWS's integration.request.path.<name> may come from a header or the query
// (not greedy unless the route's parameter of that name is). pathParams is returned as it
// is when no mapping adds a name.
func URIParams[V any](pathParams map[string]bool, requestParameters map[string]V) map[string]bool {
	out, copied := pathParams, false
	for target := range requestParameters {
		name, ok := strings.CutPrefix(target, "path.")
		if _, known := out[name]; !ok || name == "" || known {
			continue
		}
		if !copied {
			out, copied = make(map[string]bool, len(pathParams)+1), true
			maps.Copy(out, pathParams)
		}
		out[name] = false
	}
	return out
}
