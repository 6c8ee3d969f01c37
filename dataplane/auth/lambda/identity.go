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
	"net/http"
	"strconv"
	"strings"

	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/internal/mapping"
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

// parseSource parses an identity source with the grammar the compiler checks Authorizers
// with (internal/mapping): the HTTP API syntax of API.md ($request.header.Authorization) and
// the REST API syntax AWS users also know (method.request.header.Authorization). A $context
// variable must exist before the authorizer runs; others are refused when the step is built
// rather than answering 401 to every request.
func parseSource(s string) (source, error) {
	src, err := mapping.ParseIdentitySource(s)
	if err != nil {
		return source{}, err
	}
	switch src.Kind {
	case mapping.Header:
		return source{kind: fromHeader, name: src.Name}, nil
	case mapping.QueryString:
		return source{kind: fromQuery, name: src.Name}, nil
	case mapping.StageVariable:
		return source{kind: fromStageVariable, name: src.Name}, nil
	}
	return source{kind: fromContext, name: src.Name}, nil
}

// repeated returns the name of a header or query string parameter of sources that the
// request carries more than once; "" when none. Such a request is refused (400 BAD_REQUEST_PARAMETERS)
// before the function is called: the function would judge the joined values while the
// backend, which receives the request as sent, may read only one of them, maybe not the one
// the caller proved.
func repeated(sources []source, r *http.Request) string {
	var query map[string][]string
	for _, s := range sources {
		switch s.kind {
		case fromHeader:
			if len(r.Header[s.name]) > 1 {
				return s.name
			}
		case fromQuery:
			if query == nil {
				query = r.URL.Query()
			}
			if len(query[s.name]) > 1 {
				return s.name
			}
		}
	}
	return ""
}

// value reads the source from a request; "" means missing. Repeated headers and query
// parameters are joined with commas, as Amazon API Gateway passes them in identitySource;
// the step refuses such requests first (repeated).
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
	case "requestId", "extendedRequestId":
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
