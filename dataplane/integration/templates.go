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
	"maps"
	"math/bits"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/proxy/rawheader"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/internal/vtl"
)

// Mapping templates run here: parsed once per route build (internal/vtl), evaluated per
// request against an environment built from the request's reqctx. A template that fails at
// run time answers 500 API_CONFIGURATION_ERROR, with the error in the log, as in Amazon API
// Gateway.

// templates are the mapping templates of one map, by media type.
type templates struct {
	byType map[string]*vtl.Template
	types  []string // sorted
}

func compileTemplates(field string, in map[string]string) (*templates, error) {
	if len(in) == 0 {
		return nil, nil
	}
	t := &templates{byType: make(map[string]*vtl.Template, len(in))}
	for _, ct := range slices.Sorted(maps.Keys(in)) {
		parsed, err := vtl.Parse(in[ct])
		if err != nil {
			return nil, fmt.Errorf("%s[%s]: %w", field, ct, err)
		}
		mt := MediaType(ct)
		t.byType[mt] = parsed
		t.types = append(t.types, mt)
	}
	return t, nil
}

// forAccept picks the template for a response: the one of the first media type of the
// client's Accept header (Amazon API Gateway honours only the first), else application/json,
// else the first by name.
func (t *templates) forAccept(accept string) (string, *vtl.Template) {
	return gatewayresponse.ForAccept(t.byType, t.types, accept)
}

// MediaType is a Content-Type's media type, lower case, without parameters; application/json
// for none, as Amazon API Gateway assumes.
func MediaType(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	if ct == "" {
		return "application/json"
	}
	return strings.ToLower(ct)
}

// stageVariables is $stageVariables for a variant, built once and frozen: every request
// shares it.
func stageVariables(vars map[string]string) *vtl.Map {
	return vtl.MapOf(vars).Freeze()
}

// env is the template environment of one request. body may be nil (no body read). $context
// holds what tmpl reads of it (vtl.Template.ContextKeys), everything for a nil tmpl.
//
// It is a value: the evaluation keeps none of it but what it holds, so that the caller's
// copy need not be allocated.
func env(r *http.Request, rc *reqctx.Request, body *reqctx.Body, vars *vtl.Map, tmpl *vtl.Template) vtl.Env {
	e := vtl.Env{
		Context:        contextMap(r, rc, contextWant(tmpl)),
		StageVariables: vars,
		// Built on the template's first $input.params: most templates read one parameter
		// or none, and sorting the headers and parsing the query string is a good part of
		// a small template's cost.
		Params: func() (path, query, header *vtl.Map) { return params(r, rc) },
		Param:  func(name string) (string, bool) { return param(r, rc, name) },
	}
	if body != nil {
		e.Body, e.JSON = body.Text, body.TemplateJSON
	}
	return e
}

// params is $input.params(): the path, query string and header parameters. A parameter sent
// several times is its last value, as in the Lambda 1.0 event (queryStringParameters,
// headers) and in AWS; the Host, which Go keeps apart from the header map, is a header.
func params(r *http.Request, rc *reqctx.Request) (path, query, header *vtl.Map) {
	path = vtl.NewMapSize(rc.Params.Len())
	for i := range rc.Params.Len() {
		path.Set(rc.Params.Name(i), rc.Params.Value(i))
	}
	if r.URL.RawQuery != "" {
		q, _ := url.ParseQuery(r.URL.RawQuery)
		query = vtl.NewMapSize(len(q))
		for _, k := range slices.Sorted(maps.Keys(q)) {
			query.Set(k, q[k][len(q[k])-1])
		}
	} else {
		query = vtl.NewMap()
	}
	header = vtl.NewMapSize(len(r.Header) + 1)
	keys := slices.Collect(maps.Keys(r.Header))
	if _, ok := r.Header["Host"]; !ok && r.Host != "" {
		keys = append(keys, "Host")
	}
	slices.Sort(keys)
	// Keyed by the names as the client spelled them, as AWS's templates see them: a lookup
	// of .get('x-custom-h') finds what was sent as x-custom-h.
	names := rawheader.From(r)
	for _, k := range keys {
		if vs, ok := r.Header[k]; !ok {
			header.Set(names.Spell(k), r.Host) // Host, which Go keeps apart
		} else if len(vs) > 0 {
			header.Set(names.Spell(k), vs[len(vs)-1])
		}
	}
	return path, query, header
}

// param is $input.params(name) as the maps params builds answer it: the path parameter,
// else the query string's (its last value), else the header's (its last value; the Host
// too), the header name matched exactly and then without regard to case (the first such
// name in sorted order, as the sorted header map is searched).
func param(r *http.Request, rc *reqctx.Request, name string) (string, bool) {
	v, found := "", false
	for i := range rc.Params.Len() {
		if rc.Params.Name(i) == name {
			v, found = rc.Params.Value(i), true // the last, as the map's Set keeps
		}
	}
	if found {
		return v, true
	}
	if r.URL.RawQuery != "" && inQuery(r.URL.RawQuery, name) {
		q, _ := url.ParseQuery(r.URL.RawQuery)
		if vs, ok := q[name]; ok {
			return vs[len(vs)-1], true
		}
	}
	if vs, ok := r.Header[name]; ok && len(vs) > 0 {
		return vs[len(vs)-1], true
	}
	best := ""
	for k, vs := range r.Header {
		if len(vs) > 0 && strings.EqualFold(k, name) && (!found || k < best) {
			best, v, found = k, vs[len(vs)-1], true
		}
	}
	if !found && r.Host != "" && strings.EqualFold(name, "Host") {
		return r.Host, true
	}
	return v, found
}

// inQuery is false when the query string has no parameter name (as url.ParseQuery reads
// it), without parsing it: a name the query holds is in its text, unless escaped (with %,
// or + for a space). The usual query has none of the name a template reads.
func inQuery(raw, name string) bool {
	return strings.Contains(raw, name) || strings.ContainsAny(raw, "%+")
}

// The entries of $context, in the order contextMap sets them.
const (
	ctxRequestID = iota
	ctxExtendedRequestID
	ctxAccountID
	ctxAPIID
	ctxStage
	ctxHTTPMethod
	ctxResourcePath
	ctxResourceID
	ctxPath
	ctxDomainName
	ctxDomainPrefix
	ctxProtocol
	ctxRequestTimeEpoch
	ctxRequestTime
	ctxIdentity
	ctxAuthorizer
	ctxError
	ctxCanaryVariant
	ctxIsCanaryRequest
	numContext
)

var contextNames = [numContext]string{
	"requestId", "extendedRequestId", "accountId", "apiId", "stage", "httpMethod", "resourcePath",
	"resourceId", "path", "domainName", "domainPrefix", "protocol", "requestTimeEpoch", "requestTime", "identity", "authorizer", "error",
	"canaryVariant", "isCanaryRequest",
}

// contextBits is each entry's bit in a set of them (contextWant's).
var contextBits = func() map[string]uint32 {
	m := make(map[string]uint32, numContext)
	for i, k := range contextNames {
		m[k] = 1 << i
	}
	return m
}()

// contextWant is the set of $context's entries tmpl reads (vtl.Template.ContextKeys), all
// of them for a nil tmpl: one lookup per name read, where asking for each entry whether
// it is read was as many comparisons of names as entries times names.
func contextWant(tmpl *vtl.Template) uint32 {
	if tmpl == nil {
		return 1<<numContext - 1
	}
	keys, all := tmpl.ContextKeys()
	if all {
		return 1<<numContext - 1
	}
	var want uint32
	for _, k := range keys {
		want |= contextBits[k]
	}
	return want
}

// contextMap is $context for templates: the variables API.md lists, with what the steps
// before recorded (the authorizer's, the validation error). It holds the entries of want
// (contextWant): building the rest (the nested maps, the formatted time) would be a good
// part of a small template's cost, for entries it never reads.
func contextMap(r *http.Request, rc *reqctx.Request, want uint32) *vtl.Map {
	// The account and API as the Lambda events name them (the namespace, the RestApi's
	// name): an ARN a template builds is the one an authorizer's methodArn has. resourceId is
	// the route's name, as requestContext.resourceId.
	account, api := rc.AccountAndAPI()
	c := vtl.NewMapSize(bits.OnesCount32(want))
	for i, v := range [...]string{
		ctxRequestID: rc.ID, ctxExtendedRequestID: rc.ID, ctxAccountID: account, ctxAPIID: api,
		ctxStage: rc.Stage, ctxHTTPMethod: r.Method, ctxResourcePath: rc.ResourcePath,
		ctxResourceID: rc.RouteName, ctxPath: rc.Path, ctxDomainName: rc.Host, ctxProtocol: r.Proto,
	} {
		if i == ctxDomainPrefix && want&(1<<i) != 0 {
			v = rc.DomainPrefix() // left out of the literal: computed only when read
		}
		if want&(1<<i) != 0 {
			c.Set(contextNames[i], v)
		}
	}
	// The rest cost something to build: only when read.
	if want&(1<<ctxRequestTimeEpoch) != 0 {
		c.Set(contextNames[ctxRequestTimeEpoch], rc.Start.UnixMilli())
	}
	if want&(1<<ctxRequestTime) != 0 {
		c.Set(contextNames[ctxRequestTime], rc.Start.UTC().Format("02/Jan/2006:15:04:05 -0700"))
	}
	if want&(1<<ctxIdentity) != 0 {
		c.Set(contextNames[ctxIdentity], identityMap(r, rc))
	}
	if want&(1<<ctxAuthorizer) != 0 {
		c.Set(contextNames[ctxAuthorizer], authorizerMap(rc))
	}
	if want&(1<<ctxError) != 0 {
		c.Set(contextNames[ctxError], errorMap(rc))
	}
	if want&(1<<ctxCanaryVariant) != 0 {
		c.Set(contextNames[ctxCanaryVariant], rc.Variant)
	}
	if want&(1<<ctxIsCanaryRequest) != 0 {
		c.Set(contextNames[ctxIsCanaryRequest], rc.Variant == "canary") // AWS's, a boolean
	}
	return c
}

func identityMap(r *http.Request, rc *reqctx.Request) *vtl.Map {
	identity := vtl.NewMapSize(4)
	identity.Set("sourceIp", rc.SourceIP)
	identity.Set("userAgent", r.UserAgent())
	identity.Set("apiKeyId", rc.APIKeyID)
	if c := rc.ClientCert; c != nil {
		cert, validity := vtl.NewMapSize(5), vtl.NewMapSize(2)
		cert.Set("clientCertPem", c.ClientCertPem)
		cert.Set("subjectDN", c.SubjectDN)
		cert.Set("issuerDN", c.IssuerDN)
		cert.Set("serialNumber", c.SerialNumber)
		validity.Set("notBefore", c.NotBefore)
		validity.Set("notAfter", c.NotAfter)
		cert.Set("validity", validity)
		identity.Set("clientCert", cert)
	}
	return identity
}

// authorizerMap is $context.authorizer: the principal and the authorizer's context. A JWT
// authorizer's claims, kept in the request as "claims.<name>" entries, are a map of their
// own, as AWS gives a Cognito user pool authorizer's: $context.authorizer.claims.sub is the
// template language's lookup of "sub" in "claims", which a flat "claims.sub" key would
// never answer.
func authorizerMap(rc *reqctx.Request) *vtl.Map {
	a := &rc.Authorizer
	if !a.Authorized {
		return vtl.NewMap()
	}
	authorizer := vtl.NewMapSize(1 + len(a.Context))
	authorizer.Set("principalId", a.PrincipalID)
	var claims *vtl.Map
	for _, k := range slices.Sorted(maps.Keys(a.Context)) {
		if name, ok := a.Claim(k); ok {
			if claims == nil {
				claims = vtl.NewMap()
				authorizer.Set("claims", claims)
			}
			claims.Set(name, a.Context[k])
			continue
		}
		authorizer.Set(k, a.Context[k])
	}
	return authorizer
}

func errorMap(rc *reqctx.Request) *vtl.Map {
	errMap := vtl.NewMapSize(3)
	errMap.Set("message", rc.Error.Message)
	errMap.Set("responseType", rc.Error.Type)
	errMap.Set("validationErrorString", rc.Error.ValidationErrorString)
	return errMap
}

// badClientBody answers a request whose body could not be read (or decoded): 400
// BAD_REQUEST_BODY. When the body broke while it was read (a malformed chunk, a client that
// stopped sending), the connection closes too: what follows on it cannot be trusted to start
// where the client meant, and nginx closes it alike.
func badClientBody(w http.ResponseWriter, r *http.Request, responses *gatewayresponse.Set, rc *reqctx.Request) {
	if rc.BodyBroken() {
		w.Header().Set("Connection", "close")
	}
	gatewayresponse.Write(w, r, gatewayresponse.BadRequestBody, responses, rc.ID)
}

// templateFailed answers a template that failed at run time as AWS does: the gateway
// response API_CONFIGURATION_ERROR (500 "Internal server error", which the API's
// DEFAULT_5XX overrides too), with the error in the log and in the access log's
// $context.error.message, never in the answer.
func templateFailed(w http.ResponseWriter, r *http.Request, rc *reqctx.Request, s *Shared, responses *gatewayresponse.Set, what string, err error) {
	s.Log.Info("mapping template failed", "route", rc.RouteName, "template", what, "error", err.Error(), "requestId", rc.ID)
	gatewayresponse.Write(w, r, gatewayresponse.APIConfigurationError, responses, rc.ID)
	rc.Error.Message = "Internal server error: " + what + ": " + err.Error()
}
