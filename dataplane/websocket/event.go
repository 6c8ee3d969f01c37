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

package websocket

import (
	"encoding/base64"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/portico-dev/portico/dataplane/integration"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// lambdaEvent is Amazon API Gateway's WebSocket event, field for field as aws-lambda-go's
// events.APIGatewayWebsocketProxyRequest reads it (the tests decode it with that type).
type lambdaEvent struct {
	Headers                         map[string]string            `json:"headers,omitempty"`
	MultiValueHeaders               map[string][]string          `json:"multiValueHeaders,omitempty"`
	QueryStringParameters           map[string]string            `json:"queryStringParameters,omitempty"`
	MultiValueQueryStringParameters map[string][]string          `json:"multiValueQueryStringParameters,omitempty"`
	StageVariables                  map[string]string            `json:"stageVariables,omitempty"`
	RequestContext                  integration.WebSocketContext `json:"requestContext"`
	Body                            string                       `json:"body,omitempty"`
	IsBase64Encoded                 bool                         `json:"isBase64Encoded"`
}

// buildLambdaEvent builds the event of ev. r is the upgrade request for a CONNECT, whose
// headers and query string the event carries.
func buildLambdaEvent(ev *proxy.Event, rc *reqctx.Request, r *http.Request, now time.Time) *lambdaEvent {
	out := &lambdaEvent{StageVariables: rc.Variables}
	ctx := &out.RequestContext
	ctx.RouteKey, ctx.EventType, ctx.MessageID = ev.RouteKey, ev.Type, ev.MessageID
	ctx.ExtendedRequestID, ctx.RequestID = ev.RequestID, ev.RequestID
	ctx.RequestTime, ctx.RequestTimeEpoch = now.UTC().Format(integration.RequestTimeLayout), now.UnixMilli()
	ctx.MessageDirection = "IN"
	// The same accountId and apiId as the REST events and the authorizers' (the API's
	// namespace and name), so that a function serving both reads one API.
	ctx.AccountID, ctx.APIID = rc.AccountAndAPI()
	ctx.Stage, ctx.DomainName = rc.Stage, rc.Host
	ctx.ConnectedAt = ev.ConnectedAt.UnixMilli()
	ctx.ConnectionID = ev.ConnectionID
	ctx.Identity = integration.WebSocketIdentity{SourceIP: ev.SourceIP, UserAgent: ev.UserAgent, ClientCert: integration.NewClientCert(rc.ClientCert)}
	if rc.APIKeyID != "" {
		ctx.Identity.APIKey, ctx.Identity.APIKeyID = rc.APIKey, rc.APIKeyID
	}
	a := rc.Authorizer
	if ev.Type != proxy.EventConnect {
		a = ev.Authorizer
	}
	// As the REST 1.0 event has it: a function authorizer's context values keep their JSON
	// types (a number stays a number), a JWT's claims are under "claims".
	ctx.Authorizer = integration.AuthorizerV1(&a)
	switch ev.Type {
	case proxy.EventConnect:
		// The upgrade's headers as the REST 1.0 event has them: names as the client spelled
		// them, Host, and X-Forwarded-For/Port/Proto with this hop added.
		out.Headers, out.MultiValueHeaders = integration.HeadersV1(r)
		for k := range out.MultiValueHeaders {
			if strings.EqualFold(k, "X-Api-Key") {
				// A key never travels further than the proxy.
				delete(out.Headers, k)
				delete(out.MultiValueHeaders, k)
			}
		}
		out.QueryStringParameters, out.MultiValueQueryStringParameters = integration.QueryV1(r)
	case proxy.EventMessage:
		if ev.Binary || !utf8.Valid(ev.Body) {
			out.Body, out.IsBase64Encoded = base64.StdEncoding.EncodeToString(ev.Body), true
		} else {
			out.Body = string(ev.Body)
		}
	case proxy.EventDisconnect:
		ctx.DisconnectStatusCode = ev.DisconnectStatusCode
		reason := ev.DisconnectReason
		ctx.DisconnectReason = &reason
	}
	return out
}

// lambdaResponse is a function's answer: the Lambda proxy response.
type lambdaResponse struct {
	StatusCode      *int              `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}
