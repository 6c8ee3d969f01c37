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

// Package mapping holds the expression grammar both planes read: requestParameters targets
// and sources, authorizer identity sources, the $context variables Portico provides, integration
// uri templates, and the guard every value substituted into a backend path goes through. The
// compiler parses with it to refuse, with a condition, what the proxy would refuse; the proxy
// parses with it to build. It is pure: no I/O, no request types.
package mapping

import (
	"fmt"
	"net/textproto"
	"regexp"
	"slices"
	"strings"
)

// SourceKind is where a value is read from.
type SourceKind uint8

// Source kinds.
const (
	Static        SourceKind = iota // 'value'
	Header                          // $request.header.<name>
	QueryString                     // $request.querystring.<name>
	PathParameter                   // $request.path.<name>
	StageVariable                   // $stageVariables.<name>
	Context                         // $context.<variable>
	// The multi-value forms, read by gateway responses' headers: every value, joined with
	// commas.
	MultiValueHeader      // $request.multivalueheader.<name>
	MultiValueQueryString // $request.multivaluequerystring.<name>
)

// Source is a parsed source expression.
type Source struct {
	Kind SourceKind
	// Name is the header name (canonical), the query string, path parameter or stage variable
	// name, the static value, or the $context variable as written ("identity.sourceIp").
	Name string
	// Var is the $context variable; Key is its key for $context.authorizer.<key>.
	Var ContextVar
	Key string
}

// ContextVar is a $context variable Portico provides.
type ContextVar uint8

// The $context variables.
const (
	ContextNone ContextVar = iota
	ContextRequestID
	ContextExtendedRequestID
	ContextSourceIP
	ContextUserAgent
	ContextHTTPMethod
	ContextStage
	ContextPath
	ContextResourcePath
	ContextDomainName
	ContextDomainPrefix
	ContextAPIKeyID
	ContextProtocol
	ContextRequestTimeEpoch
	ContextAPIID
	ContextAccountID
	ContextRouteKey
	// ContextAuthorizer is $context.authorizer.<key>: what the authorizer returned, so it
	// exists only after the authorizer ran and is no identity source.
	ContextAuthorizer
)

var contextVars = map[string]ContextVar{
	"requestId":          ContextRequestID,
	"extendedRequestId":  ContextExtendedRequestID,
	"identity.sourceIp":  ContextSourceIP,
	"identity.userAgent": ContextUserAgent,
	"identity.apiKeyId":  ContextAPIKeyID,
	"httpMethod":         ContextHTTPMethod,
	"stage":              ContextStage,
	"path":               ContextPath,
	"resourcePath":       ContextResourcePath,
	"domainName":         ContextDomainName,
	"domainPrefix":       ContextDomainPrefix,
	"protocol":           ContextProtocol,
	"requestTimeEpoch":   ContextRequestTimeEpoch,
	"apiId":              ContextAPIID,
	"accountId":          ContextAccountID,
	"routeKey":           ContextRouteKey,
}

// LookupContext returns the $context variable name names ("identity.sourceIp",
// "authorizer.principalId" with its key).
func LookupContext(name string) (v ContextVar, key string, ok bool) {
	if key, ok := strings.CutPrefix(name, "authorizer."); ok && key != "" {
		return ContextAuthorizer, key, true
	}
	v, ok = contextVars[name]
	return v, "", ok
}

// ContextNames lists the $context variables, for documentation and error messages.
func ContextNames() []string {
	out := make([]string, 0, len(contextVars)+1)
	for n := range contextVars {
		out = append(out, n)
	}
	out = append(out, "authorizer.<key>")
	slices.Sort(out)
	return out
}

// ParseSource parses a requestParameters source: 'static', $request.header.<name>,
// $request.querystring.<name>, $request.path.<name> (a parameter of the route's path, whose
// names are pathParams' keys), $stageVariables.<name> or $context.<variable>.
func ParseSource(src string, pathParams map[string]bool) (Source, error) {
	if v, ok, err := cutStatic(src); ok {
		if err != nil {
			return Source{}, err
		}
		return Source{Kind: Static, Name: v}, nil
	}
	if name, ok := strings.CutPrefix(src, "$request.path."); ok && name != "" {
		if _, ok := pathParams[name]; !ok {
			return Source{}, fmt.Errorf("%s: %q is not a parameter of the route's path", src, name)
		}
		return Source{Kind: PathParameter, Name: name}, nil
	}
	s, err := parseCommon(src, src)
	if err != nil {
		return Source{}, err
	}
	if s == nil {
		return Source{}, fmt.Errorf("%q is not $context.<var>, $request.header|querystring|path.<name>, $stageVariables.<name> or a 'static' value", src)
	}
	return *s, nil
}

// FromRESTSyntax writes a source in the REST API syntax of AWS's exports and consoles
// (method.request.header.x, stageVariables.x, context.x) as Routes write it
// ($request.header.x, $stageVariables.x, $context.x); anything else as it is.
func FromRESTSyntax(s string) string {
	switch {
	case strings.HasPrefix(s, "method.request."):
		return "$request." + strings.TrimPrefix(s, "method.request.")
	case strings.HasPrefix(s, "stageVariables."), strings.HasPrefix(s, "context."):
		return "$" + s
	}
	return s
}

// cutStatic reads a 'static' value: ok is false when src is none (it does not begin with a
// quote), err set when its closing quote is missing.
func cutStatic(src string) (v string, ok bool, err error) {
	if !strings.HasPrefix(src, "'") {
		return "", false, nil
	}
	if len(src) < 2 || !strings.HasSuffix(src, "'") {
		return "", true, fmt.Errorf("static value %s needs a closing quote", src)
	}
	return src[1 : len(src)-1], true, nil
}

// parseCommon parses what requestParameters and identity sources share: $request.header,
// $request.querystring, $stageVariables and $context, all with the "$request." or "$" cut
// already when expr is the REST API syntax. It returns nil for none of them.
func parseCommon(expr, orig string) (*Source, error) {
	if name, ok := strings.CutPrefix(expr, "$request.header."); ok && name != "" {
		if !ValidHeaderName(name) {
			return nil, fmt.Errorf("%s: %q is not a header name", orig, name)
		}
		return &Source{Kind: Header, Name: textproto.CanonicalMIMEHeaderKey(name)}, nil
	}
	if name, ok := strings.CutPrefix(expr, "$request.querystring."); ok && name != "" {
		return &Source{Kind: QueryString, Name: name}, nil
	}
	if name, ok := strings.CutPrefix(expr, "$stageVariables."); ok && name != "" {
		return &Source{Kind: StageVariable, Name: name}, nil
	}
	if name, ok := strings.CutPrefix(expr, "$context."); ok && name != "" {
		v, key, ok := LookupContext(name)
		if !ok {
			return nil, fmt.Errorf("$context.%s is not a context variable Portico provides (%s)", name, strings.Join(ContextNames(), ", "))
		}
		return &Source{Kind: Context, Name: name, Var: v, Key: key}, nil
	}
	return nil, nil
}

// ValidHeaderName reports whether name is an HTTP token, so that a lookup can match it.
func ValidHeaderName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return name != ""
}

// ValidHeaderValue reports whether v can be sent as a header's value: no CR, LF or NUL,
// which would end the header, or the message, early.
func ValidHeaderValue(v string) bool { return !strings.ContainsAny(v, "\r\n\x00") }

// CompileIdentityValidation compiles a TOKEN authorizer's identityValidationExpression as
// the proxy matches tokens with it: Go's regexp (RE2: no lookarounds or backreferences),
// anchored, so that an unanchored expression is not satisfied by a token that merely
// contains a valid one.
func CompileIdentityValidation(expr string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(`^(?:` + expr + `)$`)
	if err != nil {
		return nil, fmt.Errorf("identityValidationExpression: %w", err)
	}
	return re, nil
}
