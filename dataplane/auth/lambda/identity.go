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
	"net/url"

	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/internal/mapping"
)

// source is one parsed identity source, in internal/mapping's grammar.
type source = mapping.Source

// parseSource parses an identity source with the grammar the compiler checks Authorizers
// with (internal/mapping): the HTTP API syntax of API.md ($request.header.Authorization) and
// the REST API syntax AWS users also know (method.request.header.Authorization). A $context
// variable must exist before the authorizer runs; others are refused when the step is built
// rather than answering 401 to every request.
func parseSource(s string) (source, error) { return mapping.ParseIdentitySource(s) }

// repeated returns the name of a header or query string parameter of sources that the
// request carries more than once; "" when none. Such a request is refused (400 BAD_REQUEST_PARAMETERS)
// before the function is called: the function would judge the joined values while the
// backend, which receives the request as sent, may read only one of them, maybe not the one
// the caller proved.
func repeated(sources []source, r *http.Request) string {
	var query url.Values
	for _, s := range sources {
		switch s.Kind {
		case mapping.Header:
			if len(r.Header[s.Name]) > 1 {
				return s.Name
			}
		case mapping.QueryString:
			if query == nil {
				query = r.URL.Query()
			}
			if len(query[s.Name]) > 1 {
				return s.Name
			}
		}
	}
	return ""
}

// sourceValue reads the source from a request; "" means missing. Repeated headers and query
// parameters are joined with commas, as Amazon API Gateway passes them in identitySource;
// the step refuses such requests first (repeated). Stage variables and $context variables
// are the request's, as every other source reads them (reqctx.Request.Value).
func sourceValue(s source, r *http.Request, rc *reqctx.Request, query *url.Values) string {
	switch s.Kind {
	case mapping.Header:
		s.Kind = mapping.MultiValueHeader
	case mapping.QueryString:
		s.Kind = mapping.MultiValueQueryString
	}
	return rc.Value(s, r, query)
}
