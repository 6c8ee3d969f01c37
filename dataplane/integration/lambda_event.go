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
	"cmp"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/portico-dev/portico/dataplane/proxy/rawheader"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// The events below follow Amazon API Gateway's proxy integration input formats, so that
// functions written for AWS (and their libraries, which decode these exact shapes) run
// unchanged. Nil maps marshal as null, as AWS sends absent maps.

type eventV1 struct {
	Version                         string              `json:"version"`
	Resource                        string              `json:"resource"`
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	RequestContext                  contextV1           `json:"requestContext"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	StageVariables                  map[string]string   `json:"stageVariables"`
	Body                            *string             `json:"body"`
	IsBase64Encoded                 bool                `json:"isBase64Encoded"`
}

type contextV1 struct {
	AccountID         string         `json:"accountId"`
	APIID             string         `json:"apiId"`
	Authorizer        map[string]any `json:"authorizer"`
	DomainName        string         `json:"domainName"`
	DomainPrefix      string         `json:"domainPrefix"`
	ExtendedRequestID string         `json:"extendedRequestId"`
	HTTPMethod        string         `json:"httpMethod"`
	Identity          IdentityV1     `json:"identity"`
	Path              string         `json:"path"`
	Protocol          string         `json:"protocol"`
	RequestID         string         `json:"requestId"`
	RequestTime       string         `json:"requestTime"`
	RequestTimeEpoch  int64          `json:"requestTimeEpoch"`
	ResourceID        string         `json:"resourceId"`
	ResourcePath      string         `json:"resourcePath"`
	Stage             string         `json:"stage"`
}

// IdentityV1 is requestContext.identity of the payload 1.0 events: the Lambda proxy
// integration's and the REQUEST authorizer's. The fields AWS fills from IAM and Cognito
// are null, as AWS sends them without those.
type IdentityV1 struct {
	APIKey    *string `json:"apiKey"`
	APIKeyID  *string `json:"apiKeyId"`
	SourceIP  string  `json:"sourceIp"`
	UserAgent string  `json:"userAgent"`
	// ClientCert is the mutual TLS client certificate; null without one, as AWS sends it.
	ClientCert *ClientCert `json:"clientCert"`
}

// ClientCert is a mutual TLS client certificate as the events carry it:
// requestContext.identity.clientCert (1.0) and requestContext.authentication.clientCert
// (2.0), with aws-lambda-go's field names.
type ClientCert struct {
	ClientCertPem string   `json:"clientCertPem"`
	SubjectDN     string   `json:"subjectDN"`
	IssuerDN      string   `json:"issuerDN"`
	SerialNumber  string   `json:"serialNumber"`
	Validity      Validity `json:"validity"`
}

// Validity is a client certificate's validity, as AWS writes the dates.
type Validity struct {
	NotBefore string `json:"notBefore"`
	NotAfter  string `json:"notAfter"`
}

// AuthenticationV2 is requestContext.authentication of the payload 2.0 events, present
// only for a request with a client certificate.
type AuthenticationV2 struct {
	ClientCert *ClientCert `json:"clientCert"`
}

// NewClientCert is c as the events carry it; nil for nil.
func NewClientCert(c *reqctx.ClientCert) *ClientCert {
	if c == nil {
		return nil
	}
	return &ClientCert{
		ClientCertPem: c.ClientCertPem, SubjectDN: c.SubjectDN, IssuerDN: c.IssuerDN,
		SerialNumber: c.SerialNumber, Validity: Validity{NotBefore: c.NotBefore, NotAfter: c.NotAfter},
	}
}

// NewAuthenticationV2 is the payload 2.0 authentication of a request: nil without a client
// certificate.
func NewAuthenticationV2(rc *reqctx.Request) *AuthenticationV2 {
	if rc.ClientCert == nil {
		return nil
	}
	return &AuthenticationV2{ClientCert: NewClientCert(rc.ClientCert)}
}

type eventV2 struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	PathParameters        map[string]string `json:"pathParameters,omitempty"`
	StageVariables        map[string]string `json:"stageVariables,omitempty"`
	RequestContext        contextV2         `json:"requestContext"`
	Body                  *string           `json:"body,omitempty"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
}

type contextV2 struct {
	AccountID      string            `json:"accountId"`
	APIID          string            `json:"apiId"`
	Authentication *AuthenticationV2 `json:"authentication,omitempty"`
	Authorizer     *authorizerV2     `json:"authorizer,omitempty"`
	DomainName     string            `json:"domainName"`
	DomainPrefix   string            `json:"domainPrefix"`
	HTTP           HTTPV2            `json:"http"`
	RequestID      string            `json:"requestId"`
	RouteKey       string            `json:"routeKey"`
	Stage          string            `json:"stage"`
	Time           string            `json:"time"`
	TimeEpoch      int64             `json:"timeEpoch"`
}

type authorizerV2 struct {
	PrincipalID string         `json:"principalId,omitempty"`
	JWT         *jwtV2         `json:"jwt,omitempty"`
	Lambda      map[string]any `json:"lambda,omitempty"`
}

// jwtV2 is requestContext.authorizer.jwt of a payload 2.0 event.
type jwtV2 struct {
	Claims map[string]string `json:"claims"`
	Scopes []string          `json:"scopes"`
}

// HTTPV2 is requestContext.http of the payload 2.0 events.
type HTTPV2 struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// RequestTimeLayout is how the events write the request time (requestTime, time).
const RequestTimeLayout = "02/Jan/2006:15:04:05 -0700"

// Paths returns requestContext.path and the payload 1.0 event's path, escaped as the client
// sent them, as REST APIs send them (HTTP APIs decode; the 2.0 events' http.path is
// DecodedPath): the 1.0 path is, on the default endpoint, the path under the stage ("/" at
// the stage's root), through a domain name the request's path, base path included, as AWS
// sends it. Both come from the routing (StagePath, Domain): the path need not begin with the
// stage's name, and one that does (a base path "orders" in front of stage "orders") keeps it.
func Paths(rc *reqctx.Request) (ctxPath, eventPath string) {
	if rc.Domain {
		return rc.Path, rc.Path
	}
	eventPath = rc.StagePath
	if eventPath == "" {
		eventPath = "/"
	}
	return rc.Path, eventPath
}

// DecodedPath is the request's path decoded, as the payload 2.0 events' http.path has it.
func DecodedPath(r *http.Request, rc *reqctx.Request) string {
	decoded, err := url.PathUnescape(rc.Path)
	if err != nil {
		decoded = r.URL.Path
	}
	return decoded
}

// NewIdentityV1 is the payload 1.0 identity of r.
func NewIdentityV1(r *http.Request, rc *reqctx.Request) IdentityV1 {
	id := IdentityV1{SourceIP: rc.SourceIP, UserAgent: r.UserAgent(), ClientCert: NewClientCert(rc.ClientCert)}
	if rc.APIKeyID != "" {
		id.APIKey, id.APIKeyID = &rc.APIKey, &rc.APIKeyID
	}
	return id
}

// AuthorizerV1 is requestContext.authorizer of a payload 1.0 event: the principal, a
// function authorizer's context with its JSON types, or a JWT's claims under "claims".
func AuthorizerV1(a *reqctx.Authorizer) map[string]any {
	if !a.Authorized {
		return nil
	}
	out := map[string]any{"principalId": a.PrincipalID}
	if a.JWT {
		out["claims"] = jwtClaims(a)
		return out
	}
	out["integrationLatency"] = a.Latency.Milliseconds()
	for k, v := range a.Context {
		out[k] = v
	}
	for k, v := range a.Values {
		out[k] = v
	}
	return out
}

// jwtClaims are a JWT's claims, from $context.authorizer.claims.<name>.
func jwtClaims(a *reqctx.Authorizer) map[string]string {
	claims := make(map[string]string, len(a.Context))
	for k, v := range a.Context {
		if name, ok := a.Claim(k); ok {
			claims[name] = v
		}
	}
	return claims
}

func authorizerV2Of(a *reqctx.Authorizer) *authorizerV2 {
	if !a.Authorized {
		return nil
	}
	if a.JWT {
		return &authorizerV2{JWT: &jwtV2{Claims: jwtClaims(a), Scopes: a.Scopes}}
	}
	out := &authorizerV2{PrincipalID: a.PrincipalID, Lambda: make(map[string]any, len(a.Context))}
	for k, v := range a.Context {
		out.Lambda[k] = v
	}
	for k, v := range a.Values {
		out.Lambda[k] = v
	}
	return out
}

// NewHTTPV2 is the payload 2.0 http context of r, whose decoded path Paths gave.
func NewHTTPV2(r *http.Request, rc *reqctx.Request, decodedPath string) HTTPV2 {
	return HTTPV2{Method: r.Method, Path: decodedPath, Protocol: r.Proto, SourceIP: rc.SourceIP, UserAgent: r.UserAgent()}
}

// event builds the JSON event for r.
func (l *lambda) event(r *http.Request, rc *reqctx.Request, body []byte) ([]byte, error) {
	var bodyStr *string
	b64 := false
	if len(body) > 0 {
		s := string(body)
		if !utf8.Valid(body) || isBinary(r.Header.Get("Content-Type"), l.binary) {
			s = base64.StdEncoding.EncodeToString(body)
			b64 = true
		}
		bodyStr = &s
	}
	routeKey := rc.RouteKey(r)
	account, api := rc.AccountAndAPI()
	if l.version == "1.0" {
		ctxPath, stagePath := Paths(rc)
		ev := eventV1{
			Version:    "1.0",
			Resource:   rc.ResourcePath,
			Path:       stagePath,
			HTTPMethod: r.Method,
			RequestContext: contextV1{
				AccountID: account, APIID: api, Authorizer: AuthorizerV1(&rc.Authorizer),
				DomainName: rc.Host, DomainPrefix: rc.DomainPrefix(), ExtendedRequestID: rc.ID,
				HTTPMethod: r.Method, Identity: NewIdentityV1(r, rc),
				Path: ctxPath, Protocol: r.Proto, RequestID: rc.ID,
				RequestTime: rc.Start.Format(RequestTimeLayout), RequestTimeEpoch: rc.Start.UnixMilli(),
				ResourceID: rc.RouteName, ResourcePath: rc.ResourcePath, Stage: rc.Stage,
			},
			PathParameters:  rc.Params.Map(),
			StageVariables:  NilIfEmpty(rc.Variables),
			Body:            bodyStr,
			IsBase64Encoded: b64,
		}
		ev.Headers, ev.MultiValueHeaders = HeadersV1(r)
		ev.QueryStringParameters, ev.MultiValueQueryStringParameters = QueryV1(r)
		return json.Marshal(&ev)
	}

	rawPath := rc.Path
	if rc.Domain {
		// AWS: through an API mapping, rawPath leaves out the mapping's base path.
		rawPath = cmp.Or(rc.StagePath, "/")
	}
	ev := eventV2{
		Version:        "2.0",
		RouteKey:       routeKey,
		RawPath:        rawPath,
		RawQueryString: r.URL.RawQuery,
		PathParameters: rc.Params.Map(),
		StageVariables: NilIfEmpty(rc.Variables),
		RequestContext: contextV2{
			AccountID: account, APIID: api, Authorizer: authorizerV2Of(&rc.Authorizer),
			Authentication: NewAuthenticationV2(rc),
			DomainName:     rc.Host, DomainPrefix: rc.DomainPrefix(),
			HTTP:      NewHTTPV2(r, rc, DecodedPath(r, rc)),
			RequestID: rc.ID, RouteKey: routeKey, Stage: rc.Stage,
			Time: rc.Start.Format(RequestTimeLayout), TimeEpoch: rc.Start.UnixMilli(),
		},
		Body:            bodyStr,
		IsBase64Encoded: b64,
	}
	ev.Headers, ev.Cookies = HeadersV2(r)
	ev.QueryStringParameters = QueryV2(r)
	return json.Marshal(&ev)
}

// forwarded returns the X-Forwarded-For, -Port and -Proto headers Amazon API Gateway adds
// to the request's: the client's address appended to the For list, the port and scheme
// the client connected to (kept as a trusted proxy in front says them).
func forwarded(r *http.Request) http.Header {
	h := http.Header{}
	peer, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		peer = r.RemoteAddr
	}
	xff := strings.Join(r.Header.Values("X-Forwarded-For"), ", ")
	switch {
	case xff == "":
		xff = peer
	case peer != "":
		xff += ", " + peer
	}
	if xff != "" {
		h.Set("X-Forwarded-For", xff)
	}
	rc := reqctx.From(r.Context())
	trusted := rc != nil && rc.PeerTrusted
	proto, port := "http", forwardedPort(r)
	if r.TLS != nil {
		proto = "https"
	}
	if v := r.Header.Get("X-Forwarded-Proto"); trusted && v != "" {
		proto = v
	}
	if v := r.Header.Get("X-Forwarded-Port"); trusted && v != "" {
		port = v
	}
	h.Set("X-Forwarded-Proto", proto)
	h.Set("X-Forwarded-Port", port)
	return h
}

// withForwarded is the request's headers with those forwarded adds, r's left unchanged.
func withForwarded(r *http.Request) http.Header {
	h := make(http.Header, len(r.Header)+3)
	for k, vs := range r.Header {
		h[k] = vs
	}
	for k, vs := range forwarded(r) {
		h[k] = vs
	}
	return h
}

// HeadersV1 returns a request's headers as a payload 1.0 event has them: the last value of
// each name, and all values, with the Host and the X-Forwarded-* headers. Names are spelled
// as the client sent them (see package rawheader): "HeaderAuth1", not net/http's
// "Headerauth1"; lower case from HTTP/2 clients. The X-Forwarded-* headers the gateway adds
// keep their canonical spelling unless the client sent them.
func HeadersV1(r *http.Request) (single map[string]string, multi map[string][]string) {
	hdr := withForwarded(r)
	names := rawheader.From(r)
	single = make(map[string]string, len(hdr)+1)
	multi = make(map[string][]string, len(hdr)+1)
	for k, vs := range hdr {
		if len(vs) == 0 {
			continue
		}
		if _, sent := r.Header[k]; sent {
			k = names.Spell(k)
		}
		single[k] = vs[len(vs)-1]
		multi[k] = vs
	}
	if r.Host != "" {
		host := names.Spell("Host")
		if single[host] == "" {
			single[host], multi[host] = r.Host, []string{r.Host}
		}
	}
	return single, multi
}

// HeadersV2 returns a request's headers as a payload 2.0 event has them: lower-case names,
// values joined with commas, the Host, and cookies apart. The Lambda proxy integration and the
// REQUEST authorizer's 2.0 event both use it.
func HeadersV2(r *http.Request) (headers map[string]string, cookies []string) {
	hdr := withForwarded(r)
	headers = make(map[string]string, len(hdr)+1)
	for k, vs := range hdr {
		lk := strings.ToLower(k)
		if lk == "cookie" {
			for _, v := range vs {
				for c := range strings.SplitSeq(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[lk] = strings.Join(vs, ",")
	}
	if r.Host != "" {
		headers["host"] = r.Host
	}
	return headers, cookies
}

// QueryV1 returns a request's query string as a payload 1.0 event has it: the last value of
// each name, and all values; nil maps when there is none.
func QueryV1(r *http.Request) (single map[string]string, multi map[string][]string) {
	q := r.URL.Query()
	if len(q) == 0 {
		return nil, nil
	}
	single = make(map[string]string, len(q))
	for k, vs := range q {
		single[k] = vs[len(vs)-1]
	}
	return single, q
}

// QueryV2 returns a request's query string as a payload 2.0 event has it: values joined with
// commas; nil when there is none.
func QueryV2(r *http.Request) map[string]string {
	q := r.URL.Query()
	if len(q) == 0 {
		return nil
	}
	out := make(map[string]string, len(q))
	for k, vs := range q {
		out[k] = strings.Join(vs, ",")
	}
	return out
}

// NilIfEmpty is m, or nil when it is empty: events write null, not {}, for absent maps.
func NilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// isBinary reports whether a content type is one of the API's binary media types, which may
// be wildcards ("image/*", "*/*").
func isBinary(contentType string, types []string) bool {
	if contentType == "" || len(types) == 0 {
		return false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	for _, t := range types {
		t = strings.ToLower(t)
		if t == mt || t == "*/*" {
			return true
		}
		if prefix, ok := strings.CutSuffix(t, "/*"); ok && strings.HasPrefix(mt, prefix+"/") {
			return true
		}
	}
	return false
}
