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
