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
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

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
	AccountID        string            `json:"accountId"`
	APIID            string            `json:"apiId"`
	Authorizer       map[string]string `json:"authorizer"`
	DomainName       string            `json:"domainName"`
	HTTPMethod       string            `json:"httpMethod"`
	Identity         IdentityV1        `json:"identity"`
	Path             string            `json:"path"`
	Protocol         string            `json:"protocol"`
	RequestID        string            `json:"requestId"`
	RequestTime      string            `json:"requestTime"`
	RequestTimeEpoch int64             `json:"requestTimeEpoch"`
	ResourcePath     string            `json:"resourcePath"`
	Stage            string            `json:"stage"`
}

// IdentityV1 is requestContext.identity of the payload 1.0 events: the Lambda proxy
// integration's and the REQUEST authorizer's.
type IdentityV1 struct {
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
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
	AccountID    string        `json:"accountId"`
	APIID        string        `json:"apiId"`
	Authorizer   *authorizerV2 `json:"authorizer,omitempty"`
	DomainName   string        `json:"domainName"`
	DomainPrefix string        `json:"domainPrefix"`
	HTTP         HTTPV2        `json:"http"`
	RequestID    string        `json:"requestId"`
	RouteKey     string        `json:"routeKey"`
	Stage        string        `json:"stage"`
	Time         string        `json:"time"`
	TimeEpoch    int64         `json:"timeEpoch"`
}

type authorizerV2 struct {
	PrincipalID string            `json:"principalId,omitempty"`
	Lambda      map[string]string `json:"lambda,omitempty"`
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

// Paths returns the request path decoded, as the events' path fields have it, and the part
// of it under the stage ("/" at the stage's root).
func Paths(r *http.Request, rc *reqctx.Request) (decoded, underStage string) {
	decoded, err := url.PathUnescape(rc.Path)
	if err != nil {
		decoded = r.URL.Path
	}
	underStage = strings.TrimPrefix(decoded, "/"+rc.Stage)
	if underStage == "" {
		underStage = "/"
	}
	return decoded, underStage
}

// NewIdentityV1 is the payload 1.0 identity of r.
func NewIdentityV1(r *http.Request, rc *reqctx.Request) IdentityV1 {
	return IdentityV1{SourceIP: rc.SourceIP, UserAgent: r.UserAgent()}
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
	decodedPath, stagePath := Paths(r, rc)
	routeKey := r.Method + " " + rc.ResourcePath
	if l.version == "1.0" {
		ev := eventV1{
			Version:    "1.0",
			Resource:   rc.ResourcePath,
			Path:       stagePath,
			HTTPMethod: r.Method,
			RequestContext: contextV1{
				AccountID: "portico", APIID: rc.API, DomainName: rc.Host, HTTPMethod: r.Method,
				Identity: NewIdentityV1(r, rc),
				Path:     decodedPath, Protocol: r.Proto, RequestID: rc.ID,
				RequestTime: rc.Start.Format(RequestTimeLayout), RequestTimeEpoch: rc.Start.UnixMilli(),
				ResourcePath: rc.ResourcePath, Stage: rc.Stage,
			},
			PathParameters:  rc.Params.Map(),
			StageVariables:  NilIfEmpty(rc.Variables),
			Body:            bodyStr,
			IsBase64Encoded: b64,
		}
		if rc.Authorizer.Authorized {
			ev.RequestContext.Authorizer = map[string]string{"principalId": rc.Authorizer.PrincipalID}
			for k, v := range rc.Authorizer.Context {
				ev.RequestContext.Authorizer[k] = v
			}
		}
		ev.Headers, ev.MultiValueHeaders = HeadersV1(r)
		ev.QueryStringParameters, ev.MultiValueQueryStringParameters = QueryV1(r)
		return json.Marshal(&ev)
	}

	ev := eventV2{
		Version:        "2.0",
		RouteKey:       routeKey,
		RawPath:        rc.Path,
		RawQueryString: r.URL.RawQuery,
		PathParameters: rc.Params.Map(),
		StageVariables: NilIfEmpty(rc.Variables),
		RequestContext: contextV2{
			AccountID: "portico", APIID: rc.API, DomainName: rc.Host,
			DomainPrefix: strings.Split(rc.Host, ".")[0],
			HTTP:         NewHTTPV2(r, rc, decodedPath),
			RequestID:    rc.ID, RouteKey: routeKey, Stage: rc.Stage,
			Time: rc.Start.Format(RequestTimeLayout), TimeEpoch: rc.Start.UnixMilli(),
		},
		Body:            bodyStr,
		IsBase64Encoded: b64,
	}
	if rc.Authorizer.Authorized {
		ev.RequestContext.Authorizer = &authorizerV2{PrincipalID: rc.Authorizer.PrincipalID, Lambda: rc.Authorizer.Context}
	}
	ev.Headers, ev.Cookies = HeadersV2(r)
	ev.QueryStringParameters = QueryV2(r)
	return json.Marshal(&ev)
}

// HeadersV1 returns a request's headers as a payload 1.0 event has them: the last value of
// each name, and all values, with the Host; nil maps when there is none.
func HeadersV1(r *http.Request) (single map[string]string, multi map[string][]string) {
	if len(r.Header) == 0 && r.Host == "" {
		return nil, nil
	}
	single = make(map[string]string, len(r.Header)+1)
	multi = make(map[string][]string, len(r.Header)+1)
	for k, vs := range r.Header {
		single[k] = vs[len(vs)-1]
		multi[k] = vs
	}
	if r.Host != "" && single["Host"] == "" {
		single["Host"], multi["Host"] = r.Host, []string{r.Host}
	}
	return single, multi
}

// HeadersV2 returns a request's headers as a payload 2.0 event has them: lower-case names,
// values joined with commas, the Host, and cookies apart. The Lambda proxy integration and the
// REQUEST authorizer's 2.0 event both use it.
func HeadersV2(r *http.Request) (headers map[string]string, cookies []string) {
	headers = make(map[string]string, len(r.Header)+1)
	for k, vs := range r.Header {
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
