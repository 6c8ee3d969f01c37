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

package reqctx

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/portico-dev/portico/internal/mapping"
)

// What a request's parameter sources read (internal/mapping's grammar): requestParameters,
// authorizers' identity sources and gateway responses' headers read the same values, so that
// $context.apiId or $request.header.x means one thing wherever it is written.

// AccountAndAPI are $context.accountId and $context.apiId, as every Lambda event and
// authorizer's methodArn names them: the API's namespace and the RestApi's name.
func (r *Request) AccountAndAPI() (account, api string) {
	account, api, ok := strings.Cut(r.API, "/")
	if !ok {
		return "", r.API
	}
	return account, api
}

// DeclaredMethod is the method of the route key: "ANY" for a request an ANY route took,
// GET for a HEAD a GET route took, else the request's method.
func (r *Request) DeclaredMethod(req *http.Request) string {
	m := req.Method
	if len(r.RouteMethods) > 0 && !slices.Contains(r.RouteMethods, m) {
		switch {
		case slices.Contains(r.RouteMethods, "ANY"):
			m = "ANY"
		case m == http.MethodHead && slices.Contains(r.RouteMethods, http.MethodGet):
			m = http.MethodGet
		}
	}
	return m
}

// RouteKey is $context.routeKey: the route key as the route declares it ("ANY
// /pets/{proxy+}" for an ANY route, the request's method for a route that names it).
func (r *Request) RouteKey(req *http.Request) string {
	return r.DeclaredMethod(req) + " " + r.ResourcePath
}

// ContextValue is the $context variable v (with its key, for $context.authorizer.<key>) of
// the request req, as a string; "" for one the request has not got yet (the authorizer's
// before it ran).
func (r *Request) ContextValue(v mapping.ContextVar, key string, req *http.Request) string {
	switch v {
	case mapping.ContextRequestID, mapping.ContextExtendedRequestID:
		return r.ID
	case mapping.ContextSourceIP:
		return r.SourceIP
	case mapping.ContextUserAgent:
		return req.UserAgent()
	case mapping.ContextHTTPMethod:
		return req.Method
	case mapping.ContextStage:
		return r.Stage
	case mapping.ContextPath:
		return r.Path
	case mapping.ContextResourcePath:
		return r.ResourcePath
	case mapping.ContextDomainName:
		return r.Host
	case mapping.ContextDomainPrefix:
		return r.DomainPrefix()
	case mapping.ContextAPIKeyID:
		return r.APIKeyID // the key's id (its Secret's name), never its value
	case mapping.ContextProtocol:
		return req.Proto
	case mapping.ContextRequestTimeEpoch:
		return strconv.FormatInt(r.Start.UnixMilli(), 10)
	case mapping.ContextAPIID:
		_, api := r.AccountAndAPI()
		return api
	case mapping.ContextAccountID:
		account, _ := r.AccountAndAPI()
		return account
	case mapping.ContextRouteKey:
		return r.RouteKey(req)
	case mapping.ContextAuthorizer:
		return r.Authorizer.Get(key)
	}
	return ""
}

// Value is the value of the source src for the request req; "" when the request has none.
// A repeated header or query string parameter gives its last value, as AWS's single-value
// sources (and $input.params, and a Lambda proxy event's single-value maps) do; the
// multi-value sources join them with commas. query holds the parsed query once a source read
// it.
func (r *Request) Value(src mapping.Source, req *http.Request, query *url.Values) string {
	switch src.Kind {
	case mapping.Static:
		return src.Name
	case mapping.Header:
		return last(req.Header.Values(src.Name))
	case mapping.MultiValueHeader:
		return strings.Join(req.Header.Values(src.Name), ",")
	case mapping.QueryString:
		return last(queryOf(req, query)[src.Name])
	case mapping.MultiValueQueryString:
		return strings.Join(queryOf(req, query)[src.Name], ",")
	case mapping.PathParameter:
		v, _ := r.Params.Get(src.Name)
		return v
	case mapping.StageVariable:
		return r.Variables[src.Name]
	case mapping.Context:
		return r.ContextValue(src.Var, src.Key, req)
	}
	return ""
}

func queryOf(req *http.Request, query *url.Values) url.Values {
	if *query == nil {
		*query = req.URL.Query()
	}
	return *query
}

func last(vv []string) string {
	if len(vv) == 0 {
		return ""
	}
	return vv[len(vv)-1]
}
