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
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/portico-dev/portico/dataplane/integration"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// The events below follow Amazon API Gateway's Lambda authorizer input formats, so that
// authorizers written for AWS (and the libraries that decode these exact shapes) run
// unchanged. The account is the API's namespace and the API id its name, as in methodArn.

type tokenEvent struct {
	Type               string `json:"type"`
	AuthorizationToken string `json:"authorizationToken"`
	MethodArn          string `json:"methodArn"`
}

type requestEventV1 struct {
	Type                            string              `json:"type"`
	MethodArn                       string              `json:"methodArn"`
	Resource                        string              `json:"resource"`
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	StageVariables                  map[string]string   `json:"stageVariables"`
	RequestContext                  requestContextV1    `json:"requestContext"`
}

type requestContextV1 struct {
	AccountID         string                 `json:"accountId"`
	APIID             string                 `json:"apiId"`
	DomainName        string                 `json:"domainName"`
	DomainPrefix      string                 `json:"domainPrefix"`
	ExtendedRequestID string                 `json:"extendedRequestId"`
	HTTPMethod        string                 `json:"httpMethod"`
	Identity          integration.IdentityV1 `json:"identity"`
	Path              string                 `json:"path"`
	Protocol          string                 `json:"protocol"`
	RequestID         string                 `json:"requestId"`
	RequestTime       string                 `json:"requestTime"`
	RequestTimeEpoch  int64                  `json:"requestTimeEpoch"`
	ResourceID        string                 `json:"resourceId"`
	ResourcePath      string                 `json:"resourcePath"`
	Stage             string                 `json:"stage"`
}

// webSocketEvent is the input of a REQUEST authorizer on a WebSocket API's $connect, as AWS
// sends it: the upgrade's headers and query string, and a requestContext of the connection
// (routeKey, eventType, connectionId, connectedAt) rather than of an HTTP method.
type webSocketEvent struct {
	Type                            string                       `json:"type"`
	MethodArn                       string                       `json:"methodArn"`
	Headers                         map[string]string            `json:"headers"`
	MultiValueHeaders               map[string][]string          `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string            `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string          `json:"multiValueQueryStringParameters"`
	StageVariables                  map[string]string            `json:"stageVariables"`
	RequestContext                  integration.WebSocketContext `json:"requestContext"`
}

func webSocketEventJSON(in *eventInput, ev *proxy.Event) ([]byte, error) {
	r, rc := in.r, in.rc
	out := webSocketEvent{
		Type: "REQUEST", MethodArn: in.arn, StageVariables: integration.NilIfEmpty(rc.Variables),
		RequestContext: integration.WebSocketContext{
			RouteKey: proxy.RouteConnect, EventType: ev.Type, ExtendedRequestID: rc.ID,
			RequestTime: rc.Start.Format(integration.RequestTimeLayout), MessageDirection: "IN",
			Stage: rc.Stage, ConnectedAt: ev.ConnectedAt.UnixMilli(), RequestTimeEpoch: rc.Start.UnixMilli(),
			Identity: integration.WebSocketIdentity{SourceIP: ev.SourceIP, UserAgent: ev.UserAgent}, RequestID: rc.ID,
			DomainName: rc.Host, ConnectionID: ev.ConnectionID, APIID: in.restAPI, AccountID: in.namespace,
		},
	}
	out.Headers, out.MultiValueHeaders = integration.HeadersV1(r)
	out.QueryStringParameters, out.MultiValueQueryStringParameters = integration.QueryV1(r)
	return json.Marshal(&out)
}

type requestEventV2 struct {
	Version               string            `json:"version"`
	Type                  string            `json:"type"`
	RouteArn              string            `json:"routeArn"`
	IdentitySource        []string          `json:"identitySource"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	RequestContext        requestContextV2  `json:"requestContext"`
	PathParameters        map[string]string `json:"pathParameters,omitempty"`
	StageVariables        map[string]string `json:"stageVariables,omitempty"`
}

type requestContextV2 struct {
	AccountID      string                        `json:"accountId"`
	APIID          string                        `json:"apiId"`
	Authentication *integration.AuthenticationV2 `json:"authentication,omitempty"`
	DomainName     string                        `json:"domainName"`
	DomainPrefix   string                        `json:"domainPrefix"`
	HTTP           integration.HTTPV2            `json:"http"`
	RequestID      string                        `json:"requestId"`
	RouteKey       string                        `json:"routeKey"`
	Stage          string                        `json:"stage"`
	Time           string                        `json:"time"`
	TimeEpoch      int64                         `json:"timeEpoch"`
}

// methodArn is arn:aws:execute-api:{region}:{namespace}:{restApi}/{stage}/{METHOD}/{path},
// the path without its leading slash, as AWS writes it (".../prod/GET/pets/7").
func methodArn(region, namespace, restAPI, stage, method, stagePath string) string {
	return "arn:aws:execute-api:" + region + ":" + namespace + ":" + restAPI + "/" + stage + "/" +
		method + "/" + arnPath(stagePath)
}

// arnPath is the path under the stage as it appears in methodArn: each segment decoded, so
// that a policy on "admin/*" also covers a client's "adm%69n/x", which routes the same, but
// with '%' and an encoded '/' kept escaped, so that "a%2Fb" stays one segment and cannot
// pass for a deeper path.
func arnPath(stagePath string) string {
	p := strings.TrimPrefix(stagePath, "/")
	if !strings.Contains(p, "%") {
		return p
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		d, err := url.PathUnescape(s)
		if err != nil {
			continue
		}
		d = strings.ReplaceAll(d, "%", "%25")
		segs[i] = strings.ReplaceAll(d, "/", "%2F")
	}
	return strings.Join(segs, "/")
}

// eventInput is what every event is built from.
type eventInput struct {
	r         *http.Request
	rc        *reqctx.Request
	arn       string
	namespace string
	restAPI   string
	// resourceID names the route, standing in for AWS's resource id.
	resourceID string
	identity   []string
}

func tokenEventJSON(in *eventInput) ([]byte, error) {
	return json.Marshal(&tokenEvent{Type: "TOKEN", AuthorizationToken: in.identity[0], MethodArn: in.arn})
}

func requestEventV1JSON(in *eventInput) ([]byte, error) {
	r, rc := in.r, in.rc
	if ev := proxy.EventFrom(r.Context()); ev != nil {
		return webSocketEventJSON(in, ev)
	}
	path, stagePath := integration.Paths(rc)
	ev := requestEventV1{
		Type: "REQUEST", MethodArn: in.arn, Resource: rc.ResourcePath, Path: stagePath, HTTPMethod: r.Method,
		PathParameters: rc.Params.Map(), StageVariables: integration.NilIfEmpty(rc.Variables),
		RequestContext: requestContextV1{
			AccountID: in.namespace, APIID: in.restAPI, DomainName: rc.Host,
			DomainPrefix: rc.DomainPrefix(), ExtendedRequestID: rc.ID, HTTPMethod: r.Method,
			Identity: integration.NewIdentityV1(r, rc),
			Path:     path, Protocol: r.Proto, RequestID: rc.ID,
			RequestTime: rc.Start.Format(integration.RequestTimeLayout), RequestTimeEpoch: rc.Start.UnixMilli(),
			ResourceID: in.resourceID, ResourcePath: rc.ResourcePath, Stage: rc.Stage,
		},
	}
	ev.Headers, ev.MultiValueHeaders = integration.HeadersV1(r)
	ev.QueryStringParameters, ev.MultiValueQueryStringParameters = integration.QueryV1(r)
	return json.Marshal(&ev)
}

func requestEventV2JSON(in *eventInput) ([]byte, error) {
	r, rc := in.r, in.rc
	decoded := integration.DecodedPath(r, rc)
	routeKey := rc.RouteKey(r)
	ev := requestEventV2{
		Version: "2.0", Type: "REQUEST", RouteArn: in.arn, IdentitySource: in.identity,
		RouteKey: routeKey, RawPath: rc.Path, RawQueryString: r.URL.RawQuery,
		Headers: make(map[string]string, len(r.Header)+1),
		RequestContext: requestContextV2{
			AccountID: in.namespace, APIID: in.restAPI, DomainName: rc.Host,
			Authentication: integration.NewAuthenticationV2(rc),
			DomainPrefix:   rc.DomainPrefix(),
			HTTP:           integration.NewHTTPV2(r, rc, decoded),
			RequestID:      rc.ID, RouteKey: routeKey, Stage: rc.Stage,
			Time: rc.Start.Format(integration.RequestTimeLayout), TimeEpoch: rc.Start.UnixMilli(),
		},
		PathParameters: rc.Params.Map(), StageVariables: integration.NilIfEmpty(rc.Variables),
	}
	ev.Headers, ev.Cookies = integration.HeadersV2(r)
	ev.QueryStringParameters = integration.QueryV2(r)
	return json.Marshal(&ev)
}
