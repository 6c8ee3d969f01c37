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
	"net/textproto"
	"regexp"
	"strings"

	"github.com/portico-dev/portico/internal/vtl"
)

// The grammar of integration responses, which the compiler checks and the proxy builds
// from: selection patterns on the backend's status, and responseParameters mapping the
// backend's answer onto the client's response headers.

// MaxSelectionPattern is the longest selectionPattern accepted.
const MaxSelectionPattern = 256

// CompileSelectionPattern compiles an integration response's selectionPattern: a regular
// expression (RE2) that must match the backend's whole status code, as Java's
// String.matches does in Amazon API Gateway.
func CompileSelectionPattern(p string) (*regexp.Regexp, error) {
	if p == "" {
		return nil, fmt.Errorf("selectionPattern is empty")
	}
	if len(p) > MaxSelectionPattern {
		return nil, fmt.Errorf("selectionPattern is longer than %d characters", MaxSelectionPattern)
	}
	// Alone first: a pattern such as ")|(" is not one, but would compile once wrapped, and
	// match partly.
	if _, err := regexp.Compile(p); err != nil {
		return nil, fmt.Errorf("selectionPattern %q is not a regular expression: %w", p, err)
	}
	re, err := regexp.Compile(`^(?:` + p + `)$`)
	if err != nil {
		return nil, fmt.Errorf("selectionPattern %q is not a regular expression: %w", p, err)
	}
	return re, nil
}

// ResponseSourceKind is where a response header's value comes from.
type ResponseSourceKind uint8

// Response parameter sources.
const (
	ResponseStatic   ResponseSourceKind = iota // 'value'
	ResponseHeader                             // integration.response.header.<name>
	ResponseBody                               // integration.response.body
	ResponseBodyPath                           // integration.response.body.<JSONPath>
)

// ResponseMapping is one responseParameters entry: the client's response header Header
// (canonical) gets the value of the source.
type ResponseMapping struct {
	Header string
	Kind   ResponseSourceKind
	// Name is the backend header (canonical) for ResponseHeader, the value for ResponseStatic,
	// the JSONPath as written for ResponseBodyPath.
	Name string
	// Path is the compiled JSONPath of ResponseBodyPath.
	Path *vtl.JSONPath
}

// ParseResponseMapping parses one responseParameters entry: header.<name> from
// integration.response.header.<name>, integration.response.body,
// integration.response.body.<JSONPath> (the backend's JSON body, "a.b" read as "$.a.b", as
// Amazon API Gateway reads it) or a 'static' value.
func ParseResponseMapping(target, source string) (ResponseMapping, error) {
	name, ok := strings.CutPrefix(target, "header.")
	if !ok || !ValidHeaderName(name) {
		return ResponseMapping{}, fmt.Errorf("responseParameters: target %q is not header.<name>", target)
	}
	out := ResponseMapping{Header: textproto.CanonicalMIMEHeaderKey(name)}
	switch {
	case source == "integration.response.body":
		out.Kind = ResponseBody
	case strings.HasPrefix(source, "integration.response.body."):
		p := strings.TrimPrefix(source, "integration.response.body.")
		jp, err := vtl.CompileJSONPath(p)
		if err != nil {
			return ResponseMapping{}, fmt.Errorf("responseParameters[%s]: %q is not a JSONPath: %w", target, p, err)
		}
		out.Kind, out.Name, out.Path = ResponseBodyPath, p, jp
	case strings.HasPrefix(source, "integration.response.header."):
		h := strings.TrimPrefix(source, "integration.response.header.")
		if !ValidHeaderName(h) {
			return ResponseMapping{}, fmt.Errorf("responseParameters[%s]: %q is not a header name", target, h)
		}
		out.Kind, out.Name = ResponseHeader, textproto.CanonicalMIMEHeaderKey(h)
	case len(source) >= 2 && strings.HasPrefix(source, "'") && strings.HasSuffix(source, "'"):
		v := source[1 : len(source)-1]
		if strings.ContainsAny(v, "\r\n\x00") {
			return ResponseMapping{}, fmt.Errorf("responseParameters[%s]: a header value cannot hold line breaks", target)
		}
		out.Kind, out.Name = ResponseStatic, v
	default:
		return ResponseMapping{}, fmt.Errorf("responseParameters[%s]: %q is not integration.response.header.<name>, integration.response.body, integration.response.body.<JSONPath> or a 'static' value", target, source)
	}
	return out, nil
}

// GatewayResponseMapping is one entry of a gateway response's responseParameters: the
// response header Header (canonical) gets the value of Source for the request refused.
type GatewayResponseMapping struct {
	Header string
	Source Source
}

// ParseGatewayResponseMapping parses one entry of a gateway response's responseParameters:
// header.<name> from 'static', a request's header, multivalueheader, querystring,
// multivaluequerystring or path parameter, a stage variable or a $context variable, in the
// REST API syntax of AWS's exports (method.request.header.Origin, stageVariables.x,
// context.requestId) or the one Routes use ($request.header.Origin, $stageVariables.x,
// $context.requestId). A gateway response is no route's, so a path parameter of any name is
// taken: a request whose route has none (or that matched no route) leaves the header out.
func ParseGatewayResponseMapping(target, source string) (GatewayResponseMapping, error) {
	name, ok := strings.CutPrefix(target, "header.")
	if !ok || !ValidHeaderName(name) {
		return GatewayResponseMapping{}, fmt.Errorf("responseParameters: target %q is not header.<name>", target)
	}
	out := GatewayResponseMapping{Header: textproto.CanonicalMIMEHeaderKey(name)}
	expr := FromRESTSyntax(source)
	bad := func(why string) error {
		return fmt.Errorf("responseParameters[%s]: %s", target, why)
	}
	if n, ok := strings.CutPrefix(expr, "$request.multivalueheader."); ok && n != "" {
		if !ValidHeaderName(n) {
			return GatewayResponseMapping{}, bad(fmt.Sprintf("%q is not a header name", n))
		}
		out.Source = Source{Kind: MultiValueHeader, Name: textproto.CanonicalMIMEHeaderKey(n)}
		return out, nil
	}
	if n, ok := strings.CutPrefix(expr, "$request.multivaluequerystring."); ok && n != "" {
		out.Source = Source{Kind: MultiValueQueryString, Name: n}
		return out, nil
	}
	if n, ok := strings.CutPrefix(expr, "$request.path."); ok && n != "" {
		out.Source = Source{Kind: PathParameter, Name: n}
		return out, nil
	}
	if v, ok, err := cutStatic(expr); ok {
		switch {
		case err != nil:
			return GatewayResponseMapping{}, bad(err.Error())
		case !ValidHeaderValue(v):
			return GatewayResponseMapping{}, bad("a header value cannot hold CR, LF or NUL")
		}
		out.Source = Source{Kind: Static, Name: v}
		return out, nil
	}
	s, err := parseCommon(expr, source)
	switch {
	case err != nil:
		return GatewayResponseMapping{}, bad(err.Error())
	case s == nil:
		return GatewayResponseMapping{}, bad(fmt.Sprintf("%q is not method.request.header|multivalueheader|querystring|multivaluequerystring|path.<name>, stageVariables.<name>, context.<variable> or a 'static' value", source))
	}
	out.Source = *s
	return out, nil
}

// Expr is the source as Routes write it ($request.header.Origin, $stageVariables.x,
// $context.requestId, 'static'): one spelling for each source, whichever the user wrote.
func (s Source) Expr() string {
	switch s.Kind {
	case Static:
		return "'" + s.Name + "'"
	case Header:
		return "$request.header." + s.Name
	case QueryString:
		return "$request.querystring." + s.Name
	case PathParameter:
		return "$request.path." + s.Name
	case MultiValueHeader:
		return "$request.multivalueheader." + s.Name
	case MultiValueQueryString:
		return "$request.multivaluequerystring." + s.Name
	case StageVariable:
		return "$stageVariables." + s.Name
	}
	return "$context." + s.Name
}
