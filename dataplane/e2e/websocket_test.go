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

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/go-logr/logr"
	"github.com/gorilla/websocket"

	"github.com/portico-dev/portico/dataplane/pipeline"
)

const mgmtKey = "mgmt-key-0123456789abcdef"

// chatManifests is a WEBSOCKET API: $connect behind a REQUEST authorizer, a function for
// $connect, $disconnect and a two-way "whoami", a MOCK two-way "echo", an HTTP_PROXY "http",
// and, with withDefault, a $default.
func chatManifests(fn, authz, httpBackend string, withDefault bool) string {
	m := fmt.Sprintf(`
apiVersion: v1
kind: Secret
metadata: {name: backend-key}
type: apigateway.portico.dev/api-key
stringData: {key: %s}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: chat}
spec:
  protocol: WEBSOCKET
  routeSelectionExpression: $request.body.action
  websocket: {idleTimeoutSeconds: 30, maxConnectionSeconds: 3600, maxMessageBytes: 2048, managementApiKeys: [{name: backend-key}]}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Authorizer
metadata: {name: ws-auth}
spec: {type: REQUEST, identitySources: [$request.querystring.token], resultTtlSeconds: 0, function: {uri: "%s"}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: connect}
spec: {restApiRef: {name: chat}, routeKey: $connect, authorization: {authorizerRef: {name: ws-auth}}, integration: {type: LAMBDA_PROXY, uri: "%s"}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: disconnect}
spec: {restApiRef: {name: chat}, routeKey: $disconnect, integration: {type: LAMBDA_PROXY, uri: "%s"}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: whoami}
spec: {restApiRef: {name: chat}, routeKey: whoami, routeResponseSelectionExpression: $default, integration: {type: LAMBDA_PROXY, uri: "%s"}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: echo}
spec: {restApiRef: {name: chat}, routeKey: echo, routeResponseSelectionExpression: $default, integration: {type: MOCK, mock: {body: '{"echo":true}'}}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: http}
spec: {restApiRef: {name: chat}, routeKey: http, integration: {type: HTTP_PROXY, uri: "%s"}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: live}
spec: {restApiRef: {name: chat}, variables: {color: blue}}
`, mgmtKey, authz, fn, fn, fn, httpBackend)
	if withDefault {
		m += `---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: default}
spec: {restApiRef: {name: chat}, routeKey: $default, routeResponseSelectionExpression: $default, integration: {type: MOCK, mock: {body: default}}}
`
	}
	return m
}

// chatFunction answers $connect 200 unless the query says deny=1, and "whoami" with the
// event's connection id and authorizer principal.
func chatFunction(t *testing.T) *function {
	return newFunction(t, func(e events.APIGatewayWebsocketProxyRequest) map[string]any {
		switch e.RequestContext.RouteKey {
		case "$connect":
			if e.QueryStringParameters["deny"] == "1" {
				return map[string]any{"statusCode": 403}
			}
		case "whoami":
			if strings.Contains(e.Body, `"fail"`) {
				return map[string]any{"statusCode": 500, "body": "function trouble"}
			}
			a, _ := e.RequestContext.Authorizer.(map[string]any)
			return map[string]any{"statusCode": 200, "body": e.RequestContext.ConnectionID + " " + fmt.Sprint(a["principalId"])}
		}
		return map[string]any{"statusCode": 200}
	})
}

// allowAuthorizer allows token "good" as principal "alice", with context user=alice.
func allowAuthorizer(t *testing.T) *httptest.Server {
	s, _ := recordingAuthorizer(t)
	return s
}

// recordingAuthorizer is allowAuthorizer, and the events it was sent.
func recordingAuthorizer(t *testing.T) (*httptest.Server, func() []map[string]any) {
	var mu sync.Mutex
	var seen []map[string]any
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var raw map[string]any
		_ = json.Unmarshal(body, &raw)
		mu.Lock()
		seen = append(seen, raw)
		mu.Unlock()
		var e events.APIGatewayCustomAuthorizerRequestTypeRequest
		_ = json.Unmarshal(body, &e)
		effect := "Deny"
		if e.QueryStringParameters["token"] == "good" {
			effect = "Allow"
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"principalId": "alice",
			"policyDocument": map[string]any{"Version": "2012-10-17", "Statement": []map[string]any{
				{"Action": "execute-api:Invoke", "Effect": effect, "Resource": e.MethodArn},
			}},
			"context": map[string]any{"user": "alice"},
		})
	}))
	t.Cleanup(s.Close)
	return s, func() []map[string]any { mu.Lock(); defer mu.Unlock(); return slices.Clone(seen) }
}

type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
	body []string
}

func httpRecorder(t *testing.T) (*recorder, *httptest.Server) {
	rec := &recorder{}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, r)
		rec.body = append(rec.body, string(b))
		rec.mu.Unlock()
		if strings.Contains(string(b), `"fail"`) {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, "backend trouble")
		}
	}))
	t.Cleanup(s.Close)
	return rec, s
}

func (r *recorder) len() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.reqs) }

// TestWebSocket walks API.md's WebSocket rows through a real xDS server and proxy with a real
// WebSocket client.
func TestWebSocket(t *testing.T) {
	fn := chatFunction(t)
	authz, authzEvents := recordingAuthorizer(t)
	rec, httpBackend := httpRecorder(t)
	g := startGatewayWith(t, nil, pipelineOpts())
	g.deploy(chatManifests(fn.srv.URL, authz.URL, httpBackend.URL, false))
	g.programmed("default/live")
	wp := startWSProxy(t, g, nil)
	eventually(t, "the ws proxy serves the stage", func() bool { return wp.proxy.WebSocketStage("default/live", "stable") != nil })

	// The authorizer refuses, then $connect's function refuses with its status.
	if _, status := wp.dial(t, "/live?token=bad", nil); status != http.StatusForbidden {
		t.Fatalf("bad token: %d, want 403", status)
	}
	if _, status := wp.dial(t, "/live", nil); status != http.StatusUnauthorized {
		t.Fatalf("no token: %d, want 401", status)
	}
	if _, status := wp.dial(t, "/live?token=good&deny=1", nil); status != http.StatusForbidden {
		t.Fatalf("function refusal: %d, want 403", status)
	}
	c, status := wp.dial(t, "/live?token=good", http.Header{"X-Custom": {"v"}})
	if status != http.StatusSwitchingProtocols {
		t.Fatalf("connect: %d", status)
	}

	// Two-way LAMBDA_PROXY: the answer names the connection and the $connect principal.
	_ = c.WriteMessage(websocket.TextMessage, []byte(`{"action":"whoami"}`))
	who := strings.Fields(readMessage(t, c))
	if len(who) != 2 || who[1] != "alice" {
		t.Fatalf("whoami = %q", who)
	}
	id := who[0]

	// The CONNECT event: headers and query string, identity, authorizer; MESSAGE events
	// carry the authorizer too.
	connects := fn.find("CONNECT", id)
	if len(connects) != 1 {
		t.Fatalf("%d CONNECT events", len(connects))
	}
	ce := connects[0]
	rc := ce.RequestContext
	if rc.RouteKey != "$connect" || rc.Stage != "live" || rc.APIID != "chat" || rc.AccountID != "default" || rc.Identity.SourceIP != "127.0.0.1" ||
		rc.ConnectedAt == 0 || rc.RequestTimeEpoch == 0 || rc.RequestID == "" || rc.DomainName != "127.0.0.1" || rc.MessageDirection != "IN" {
		t.Errorf("CONNECT requestContext = %+v", rc)
	}
	if ce.Headers["X-Custom"] != "v" || ce.QueryStringParameters["token"] != "good" || ce.StageVariables["color"] != "blue" {
		t.Errorf("CONNECT headers %v query %v vars %v", ce.Headers, ce.QueryStringParameters, ce.StageVariables)
	}
	// As AWS's $connect event and the REST 1.0 event have them: the Host and this hop's
	// X-Forwarded-* fields.
	if ce.Headers["Host"] == "" || ce.Headers["X-Forwarded-Proto"] != "http" || !strings.HasSuffix(ce.Headers["X-Forwarded-For"], "127.0.0.1") ||
		ce.Headers["X-Forwarded-Port"] == "" || len(ce.MultiValueHeaders["Host"]) != 1 {
		t.Errorf("CONNECT headers %v", ce.Headers)
	}
	if a, _ := rc.Authorizer.(map[string]any); a["principalId"] != "alice" || a["user"] != "alice" {
		t.Errorf("CONNECT authorizer = %v", rc.Authorizer)
	}
	// The REQUEST authorizer got AWS's WebSocket input: the connection's requestContext.
	var authorized map[string]any
	for _, e := range authzEvents() {
		if c, _ := e["requestContext"].(map[string]any); c["connectionId"] == id {
			authorized = c
		}
	}
	if authorized == nil || authorized["routeKey"] != "$connect" || authorized["eventType"] != "CONNECT" ||
		authorized["messageDirection"] != "IN" || authorized["apiId"] != "chat" || authorized["connectedAt"] == nil {
		t.Errorf("the authorizer's requestContext for %s: %v (all: %v)", id, authorized, authzEvents())
	}
	msg := fn.find("MESSAGE", id)[0]
	if msg.Body != `{"action":"whoami"}` || msg.IsBase64Encoded || msg.RequestContext.MessageID == nil || msg.RequestContext.ConnectedAt != rc.ConnectedAt {
		t.Errorf("MESSAGE event = %+v", msg)
	}
	if a, _ := msg.RequestContext.Authorizer.(map[string]any); a["principalId"] != "alice" {
		t.Errorf("MESSAGE authorizer = %v", msg.RequestContext.Authorizer)
	}

	// MOCK two-way; HTTP_PROXY one-way with the x-portico headers.
	_ = c.WriteMessage(websocket.TextMessage, []byte(`{"action":"echo"}`))
	if got := readMessage(t, c); got != `{"echo":true}` {
		t.Fatalf("echo = %q", got)
	}
	_ = c.WriteMessage(websocket.TextMessage, []byte(`{"action":"http","x":1}`))
	eventually(t, "the HTTP backend got the message", func() bool { return rec.len() == 1 })
	rec.mu.Lock()
	h, body := rec.reqs[0].Header, rec.body[0]
	rec.mu.Unlock()
	if h.Get("X-Portico-Connection-Id") != id || h.Get("X-Portico-Route-Key") != "http" || h.Get("X-Portico-Event-Type") != "MESSAGE" || body != `{"action":"http","x":1}` {
		t.Errorf("HTTP_PROXY request: %v %q", h, body)
	}

	// A backend's own 5xx is no gateway error: a one-way route sends nothing (the echo's
	// answer is the next message), a two-way route sends the function's body.
	_ = c.WriteMessage(websocket.TextMessage, []byte(`{"action":"http","fail":1}`))
	eventually(t, "the HTTP backend got the failing message", func() bool { return rec.len() == 2 })
	_ = c.WriteMessage(websocket.TextMessage, []byte(`{"action":"echo"}`))
	if got := readMessage(t, c); got != `{"echo":true}` {
		t.Fatalf("after a one-way 500: %q, want the echo", got)
	}
	_ = c.WriteMessage(websocket.TextMessage, []byte(`{"action":"whoami","fail":1}`))
	if got := readMessage(t, c); got != "function trouble" {
		t.Fatalf("two-way 500: %q, want the function's body", got)
	}

	// No route and no $default: Forbidden, and the connection stays.
	_ = c.WriteMessage(websocket.TextMessage, []byte(`{"action":"nope"}`))
	var forbidden map[string]string
	if err := json.Unmarshal([]byte(readMessage(t, c)), &forbidden); err != nil || forbidden["message"] != "Forbidden" || forbidden["connectionId"] != id || forbidden["requestId"] == "" {
		t.Fatalf("forbidden = %v (%v)", forbidden, err)
	}
	// It is still an event: one access log line, and counted as an error (route "none").
	eventually(t, "the unrouted message is logged", func() bool { return strings.Contains(wp.log.String(), "MESSAGE nope "+id+" 403\n") })
	if n := strings.Count(wp.log.String(), "MESSAGE nope "); n != 1 {
		t.Errorf("%d access log lines for the unrouted message, want 1", n)
	}
	if n := counter(t, wp, "portico_requests_total", map[string]string{"stage": "live", "route": "none", "status_class": "4xx"}); n != 1 {
		t.Errorf("portico_requests_total{route=none,4xx} = %v, want 1", n)
	}
	if n := counter(t, wp, "portico_websocket_errors_total", map[string]string{"reason": "forbidden"}); n != 1 {
		t.Errorf("portico_websocket_errors_total{reason=forbidden} = %v, want 1", n)
	}

	// A configuration change (a $default route) keeps the connection; the next message uses it.
	g.deploy(chatManifests(fn.srv.URL, authz.URL, httpBackend.URL, true))
	eventually(t, "$default is served", func() bool { return wp.proxy.WebSocketStage("default/live", "stable").Has("$default") })
	_ = c.WriteMessage(websocket.TextMessage, []byte(`not json`))
	if got := readMessage(t, c); got != "default" {
		t.Fatalf("$default = %q", got)
	}

	// @connections: 403 without or with a wrong key; GET, POST, DELETE; 410 after.
	path := "/live/@connections/" + id
	if code, _ := wp.manage(t, "GET", path, "", ""); code != http.StatusForbidden {
		t.Errorf("no key: %d", code)
	}
	if code, _ := wp.manage(t, "GET", path, "wrong-key-0123456789", ""); code != http.StatusForbidden {
		t.Errorf("wrong key: %d", code)
	}
	code, info := wp.manage(t, "GET", path, mgmtKey, "")
	var got struct {
		ConnectedAt, LastActiveAt string
		Identity                  struct{ SourceIP, UserAgent string }
	}
	if err := json.Unmarshal([]byte(info), &got); code != 200 || err != nil || got.ConnectedAt == "" || got.LastActiveAt == "" || got.Identity.SourceIP != "127.0.0.1" {
		t.Errorf("GET: %d %s", code, info)
	}
	if code, _ := wp.manage(t, "POST", path, mgmtKey, "hello"); code != http.StatusOK {
		t.Errorf("POST: %d", code)
	}
	if got := readMessage(t, c); got != "hello" {
		t.Errorf("posted message = %q", got)
	}
	if code, _ := wp.manage(t, "DELETE", path, mgmtKey, ""); code != http.StatusNoContent {
		t.Errorf("DELETE: %d", code)
	}
	if code := readClose(t, c); code != websocket.CloseNormalClosure {
		t.Errorf("close code after DELETE = %d", code)
	}
	eventually(t, "$disconnect after DELETE", func() bool { return len(fn.find("DISCONNECT", id)) == 1 })
	d := fn.find("DISCONNECT", id)[0].RequestContext
	if d.DisconnectStatusCode != 1000 || d.DisconnectReason == nil {
		t.Errorf("DISCONNECT = %+v", d)
	}
	for _, m := range []string{"GET", "POST", "DELETE"} {
		if code, body := wp.manage(t, m, path, mgmtKey, "x"); code != http.StatusGone || !strings.Contains(body, `"Gone"`) {
			t.Errorf("%s after close: %d %s", m, code, body)
		}
	}
	// The error types AWS's SDKs raise by (GoneException, ForbiddenException).
	for key, want := range map[string]string{mgmtKey: "GoneException", "": "ForbiddenException"} {
		req, _ := http.NewRequest("POST", wp.mgmt+path, strings.NewReader("x"))
		if key != "" {
			req.Header.Set("X-Api-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if got := resp.Header.Get("X-Amzn-ErrorType"); got != want {
			t.Errorf("x-amzn-ErrorType %q, want %q", got, want)
		}
	}

	// Access log lines for connect, message and disconnect; the disconnect's is written once
	// its integration answered, which may be after the backend recorded the event.
	for _, want := range []string{"CONNECT $connect " + id + " 200", "MESSAGE whoami " + id + " 200", "DISCONNECT $disconnect " + id} {
		eventually(t, "the access log has "+want, func() bool { return strings.Contains(wp.log.String(), want) })
	}
}

// TestWebSocketLimits: a client close, the idle time, the maximum time and an oversized
// message each end a connection, with $disconnect.
func TestWebSocketLimits(t *testing.T) {
	fn, authz := chatFunction(t), allowAuthorizer(t)
	_, httpBackend := httpRecorder(t)
	g := startGatewayWith(t, nil, pipelineOpts())
	g.deploy(chatManifests(fn.srv.URL, authz.URL, httpBackend.URL, true))
	g.programmed("default/live")
	wp := startWSProxy(t, g, nil)
	eventually(t, "the ws proxy serves the stage", func() bool { return wp.proxy.WebSocketStage("default/live", "stable") != nil })

	whoami := func(c *websocket.Conn) string {
		_ = c.WriteMessage(websocket.TextMessage, []byte(`{"action":"whoami"}`))
		return strings.Fields(readMessage(t, c))[0]
	}

	// Client close.
	c, _ := wp.dial(t, "/live?token=good", nil)
	id := whoami(c)
	_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4000, "bye"), time.Now().Add(time.Second))
	eventually(t, "$disconnect after the client closed", func() bool { return len(fn.find("DISCONNECT", id)) == 1 })
	if d := fn.find("DISCONNECT", id)[0].RequestContext; d.DisconnectStatusCode != 4000 || *d.DisconnectReason != "bye" {
		t.Errorf("client close: %+v", d)
	}
	// Gone once the client closed, too, on every @connections call.
	for _, m := range []string{"GET", "POST", "DELETE"} {
		if code, body := wp.manage(t, m, "/live/@connections/"+id, mgmtKey, "x"); code != http.StatusGone || !strings.Contains(body, `"Gone"`) {
			t.Errorf("%s after the client closed: %d %s", m, code, body)
		}
	}

	// Idle: 30s without a message.
	c, _ = wp.dial(t, "/live?token=good", nil)
	id = whoami(c)
	wp.clock.Advance(29 * time.Second)
	wp.ws.Sweep()
	_ = c.WriteMessage(websocket.TextMessage, []byte(`{"action":"echo"}`))
	readMessage(t, c) // still open, and active again
	wp.clock.Advance(30 * time.Second)
	wp.ws.Sweep()
	if code := readClose(t, c); code != websocket.CloseGoingAway {
		t.Errorf("idle close code %d", code)
	}
	eventually(t, "$disconnect after idle", func() bool { return len(fn.find("DISCONNECT", id)) == 1 })

	// Maximum duration, however active.
	c, _ = wp.dial(t, "/live?token=good", nil)
	id = whoami(c)
	for range 2 {
		wp.clock.Advance(25 * time.Minute)
		_ = c.WriteMessage(websocket.TextMessage, []byte(`{"action":"echo"}`))
		readMessage(t, c)
		wp.ws.Sweep()
	}
	wp.clock.Advance(10 * time.Minute)
	wp.ws.Sweep()
	if code := readClose(t, c); code != websocket.CloseGoingAway {
		t.Errorf("max duration close code %d", code)
	}
	eventually(t, "$disconnect after the maximum time", func() bool { return len(fn.find("DISCONNECT", id)) == 1 })

	// A message over maxMessageBytes (2048): 1009.
	c, _ = wp.dial(t, "/live?token=good", nil)
	id = whoami(c)
	_ = c.WriteMessage(websocket.TextMessage, []byte(strings.Repeat("x", 4096)))
	if code := readClose(t, c); code != websocket.CloseMessageTooBig {
		t.Errorf("oversized message close code %d", code)
	}
	eventually(t, "$disconnect after 1009", func() bool { return len(fn.find("DISCONNECT", id)) == 1 })
	if d := fn.find("DISCONNECT", id)[0].RequestContext; d.DisconnectStatusCode != 1009 {
		t.Errorf("1009: %+v", d)
	}

	// The API goes away: its connections close (1001) and $disconnect still runs.
	c, _ = wp.dial(t, "/live?token=good", nil)
	id = whoami(c)
	g.deploy(`
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: other}
spec: {}
`)
	eventually(t, "the stage is gone", func() bool { return wp.proxy.WebSocketStage("default/live", "stable") == nil })
	wp.ws.Sweep()
	if code := readClose(t, c); code != websocket.CloseGoingAway {
		t.Errorf("API removed: close code %d", code)
	}
	eventually(t, "$disconnect after the API went away", func() bool { return len(fn.find("DISCONNECT", id)) == 1 })
	eventually(t, "no connection left", func() bool { return wp.ws.Len() == 0 })
}

func pipelineOpts() pipeline.Options {
	return pipeline.Options{Region: "eu-west-1", Log: logr.Discard()}
}
