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

package integration

import (
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// requestParameters maps values of the request and its context onto the integration request:
// the target (header.X, querystring.X or path.X) gets the source's value. A mapping whose
// value is empty removes the target rather than leave what the client sent: a header meant to
// carry the authorizer's principal must never carry a client's guess instead.

type targetKind uint8

const (
	targetHeader targetKind = iota
	targetQuery
	targetPath
)

type sourceKind uint8

const (
	srcStatic sourceKind = iota
	srcHeader
	srcQuery
	srcPath
	srcContext
)

type mapping struct {
	target     targetKind
	name       string // header names canonical
	source     sourceKind
	arg        string // header/query/path name, static value, or context variable
	contextVar contextVar
}

type contextVar uint8

const (
	ctxRequestID contextVar = iota
	ctxSourceIP
	ctxUserAgent
	ctxHTTPMethod
	ctxStage
	ctxPath
	ctxResourcePath
	ctxDomainName
	ctxProtocol
	ctxRequestTimeEpoch
	ctxAPIID
	ctxAuthorizer // arg is the key
)

var contextVars = map[string]contextVar{
	"requestId":          ctxRequestID,
	"extendedRequestId":  ctxRequestID,
	"identity.sourceIp":  ctxSourceIP,
	"identity.userAgent": ctxUserAgent,
	"httpMethod":         ctxHTTPMethod,
	"stage":              ctxStage,
	"path":               ctxPath,
	"resourcePath":       ctxResourcePath,
	"domainName":         ctxDomainName,
	"protocol":           ctxProtocol,
	"requestTimeEpoch":   ctxRequestTimeEpoch,
	"apiId":              ctxAPIID,
}

// mappings are a route's compiled requestParameters, sorted by target.
type mappings struct {
	list    []mapping
	hasPath bool
}

// compileMappings compiles requestParameters. Stage variables are substituted now: they are
// fixed for a variant.
func compileMappings(in map[string]string, vars map[string]string, pathParams map[string]bool) (*mappings, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := &mappings{}
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, target := range keys {
		src := in[target]
		var m mapping
		kind, name, ok := strings.Cut(target, ".")
		if !ok || name == "" {
			return nil, fmt.Errorf("requestParameters: target %q is not header.<name>, querystring.<name> or path.<name>", target)
		}
		switch kind {
		case "header":
			if !validHeaderName(name) {
				return nil, fmt.Errorf("requestParameters: %q is not a header name", name)
			}
			m.target, m.name = targetHeader, textproto.CanonicalMIMEHeaderKey(name)
		case "querystring":
			m.target, m.name = targetQuery, name
		case "path":
			m.target, m.name = targetPath, name
			out.hasPath = true
		default:
			return nil, fmt.Errorf("requestParameters: target %q is not header.<name>, querystring.<name> or path.<name>", target)
		}
		if err := m.parseSource(src, vars, pathParams); err != nil {
			return nil, fmt.Errorf("requestParameters[%s]: %w", target, err)
		}
		out.list = append(out.list, m)
	}
	return out, nil
}

func (m *mapping) parseSource(src string, vars map[string]string, pathParams map[string]bool) error {
	if strings.HasPrefix(src, "'") {
		if len(src) < 2 || !strings.HasSuffix(src, "'") {
			return fmt.Errorf("static value %s needs a closing quote", src)
		}
		m.source, m.arg = srcStatic, src[1:len(src)-1]
		return nil
	}
	if name, ok := strings.CutPrefix(src, "$stageVariables."); ok && name != "" {
		m.source, m.arg = srcStatic, vars[name]
		return nil
	}
	if name, ok := strings.CutPrefix(src, "$request.header."); ok && name != "" {
		m.source, m.arg = srcHeader, textproto.CanonicalMIMEHeaderKey(name)
		return nil
	}
	if name, ok := strings.CutPrefix(src, "$request.querystring."); ok && name != "" {
		m.source, m.arg = srcQuery, name
		return nil
	}
	if name, ok := strings.CutPrefix(src, "$request.path."); ok && name != "" {
		if _, ok := pathParams[name]; !ok {
			return fmt.Errorf("%s: %q is not a parameter of the route's path", src, name)
		}
		m.source, m.arg = srcPath, name
		return nil
	}
	if name, ok := strings.CutPrefix(src, "$context."); ok && name != "" {
		if key, ok := strings.CutPrefix(name, "authorizer."); ok && key != "" {
			m.source, m.contextVar, m.arg = srcContext, ctxAuthorizer, key
			return nil
		}
		v, ok := contextVars[name]
		if !ok {
			return fmt.Errorf("$context.%s is not a context variable Portico provides", name)
		}
		m.source, m.contextVar = srcContext, v
		return nil
	}
	return fmt.Errorf("%q is not $context.<var>, $request.header|querystring|path.<name>, $stageVariables.<name> or a 'static' value", src)
}

func validHeaderName(k string) bool {
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return k != ""
}

// value evaluates a mapping's source for the inbound request in.
func (m *mapping) value(in *http.Request, rc *reqctx.Request, query *url.Values) string {
	switch m.source {
	case srcStatic:
		return m.arg
	case srcHeader:
		return in.Header.Get(m.arg)
	case srcQuery:
		if *query == nil {
			*query = in.URL.Query()
		}
		return query.Get(m.arg)
	case srcPath:
		v, _ := rc.Params.Get(m.arg)
		return v
	}
	switch m.contextVar {
	case ctxRequestID:
		return rc.ID
	case ctxSourceIP:
		return rc.SourceIP
	case ctxUserAgent:
		return in.UserAgent()
	case ctxHTTPMethod:
		return in.Method
	case ctxStage:
		return rc.Stage
	case ctxPath:
		return rc.Path
	case ctxResourcePath:
		return rc.ResourcePath
	case ctxDomainName:
		return rc.Host
	case ctxProtocol:
		return in.Proto
	case ctxRequestTimeEpoch:
		return strconv.FormatInt(rc.Start.UnixMilli(), 10)
	case ctxAPIID:
		return rc.API
	case ctxAuthorizer:
		return rc.Authorizer.Get(m.arg)
	}
	return ""
}

// pathOverrides returns the values of path.X targets, which replace {X} in the uri template.
func (ms *mappings) pathOverrides(in *http.Request, rc *reqctx.Request) map[string]string {
	if ms == nil || !ms.hasPath {
		return nil
	}
	var q url.Values
	out := map[string]string{}
	for i := range ms.list {
		if m := &ms.list[i]; m.target == targetPath {
			out[m.name] = m.value(in, rc, &q)
		}
	}
	return out
}

// apply sets the header and query string targets on the outbound request.
func (ms *mappings) apply(out, in *http.Request, rc *reqctx.Request) {
	if ms == nil {
		return
	}
	var inQuery, outQuery url.Values
	for i := range ms.list {
		m := &ms.list[i]
		switch m.target {
		case targetHeader:
			if v := m.value(in, rc, &inQuery); v != "" {
				out.Header[m.name] = []string{v}
			} else {
				delete(out.Header, m.name)
			}
		case targetQuery:
			if outQuery == nil {
				outQuery = out.URL.Query()
			}
			if v := m.value(in, rc, &inQuery); v != "" {
				outQuery.Set(m.name, v)
			} else {
				outQuery.Del(m.name)
			}
		}
	}
	if outQuery != nil {
		out.URL.RawQuery = outQuery.Encode()
	}
}
