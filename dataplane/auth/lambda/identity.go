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

package lambda

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// sourceKind is where an identity source is read from.
type sourceKind int

const (
	fromHeader sourceKind = iota
	fromQuery
	fromStageVariable
	fromContext
)

// source is one parsed identity source.
type source struct {
	kind sourceKind
	// name is the header (canonical), query parameter, stage variable or $context variable.
	name string
}

// contextVariables are the $context variables an identity source may name: the ones that
// exist before the authorizer runs. Others are refused when the step is built rather than
// answering 401 to every request.
var contextVariables = map[string]bool{
	"requestId": true, "identity.sourceIp": true, "identity.userAgent": true,
	"httpMethod": true, "stage": true, "resourcePath": true, "path": true,
	"domainName": true, "apiId": true, "accountId": true, "protocol": true,
	"routeKey": true, "requestTimeEpoch": true,
}

// parseSource parses an identity source. Both the HTTP API syntax of API.md
// ($request.header.Authorization) and the REST API syntax AWS users also know
// (method.request.header.Authorization) are accepted.
func parseSource(s string) (source, error) {
	rest := s
	switch {
	case strings.HasPrefix(rest, "$request."):
		rest = strings.TrimPrefix(rest, "$request.")
	case strings.HasPrefix(rest, "method.request."):
		rest = strings.TrimPrefix(rest, "method.request.")
	case strings.HasPrefix(rest, "$stageVariables."), strings.HasPrefix(rest, "stageVariables."):
		_, name, _ := strings.Cut(rest, ".")
		if name == "" {
			return source{}, fmt.Errorf("identity source %q names no stage variable", s)
		}
		return source{kind: fromStageVariable, name: name}, nil
	case strings.HasPrefix(rest, "$context."), strings.HasPrefix(rest, "context."):
		_, name, _ := strings.Cut(rest, ".")
		if !contextVariables[name] {
			return source{}, fmt.Errorf("identity source %q: $context.%s is not available to authorizers", s, name)
		}
		return source{kind: fromContext, name: name}, nil
	default:
		return source{}, fmt.Errorf("identity source %q is not $request.header.x, $request.querystring.x, $stageVariables.x or $context.x", s)
	}
	where, name, _ := strings.Cut(rest, ".")
	if name == "" {
		return source{}, fmt.Errorf("identity source %q names no parameter", s)
	}
	switch where {
	case "header":
		if !validHeaderName(name) {
			return source{}, fmt.Errorf("identity source %q: %q is not a header name", s, name)
		}
		return source{kind: fromHeader, name: http.CanonicalHeaderKey(name)}, nil
	case "querystring":
		return source{kind: fromQuery, name: name}, nil
	}
	return source{}, fmt.Errorf("identity source %q is not $request.header.x or $request.querystring.x", s)
}

// validHeaderName reports whether name is an HTTP token, so that a lookup can match it.
func validHeaderName(name string) bool {
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

// value reads the source from a request; "" means missing. Repeated headers and query
// parameters are joined with commas, as Amazon API Gateway passes them in identitySource.
func (s source) value(r *http.Request, rc *reqctx.Request, query func() map[string][]string) string {
	switch s.kind {
	case fromHeader:
		return strings.Join(r.Header.Values(s.name), ",")
	case fromQuery:
		return strings.Join(query()[s.name], ",")
	case fromStageVariable:
		return rc.Variables[s.name]
	}
	switch s.name {
	case "requestId":
		return rc.ID
	case "identity.sourceIp":
		return rc.SourceIP
	case "identity.userAgent":
		return r.UserAgent()
	case "httpMethod":
		return r.Method
	case "stage":
		return rc.Stage
	case "resourcePath":
		return rc.ResourcePath
	case "path":
		return rc.Path
	case "domainName":
		return rc.Host
	case "apiId":
		_, api, _ := strings.Cut(rc.API, "/")
		return api
	case "accountId":
		ns, _, _ := strings.Cut(rc.API, "/")
		return ns
	case "protocol":
		return r.Proto
	case "routeKey":
		return r.Method + " " + rc.ResourcePath
	case "requestTimeEpoch":
		return strconv.FormatInt(rc.Start.UnixMilli(), 10)
	}
	return ""
}
