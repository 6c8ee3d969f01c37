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
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/gorilla/websocket"

	"github.com/portico-dev/portico/internal/testkit"
)

// A message naming $connect or $disconnect as its route does not run those routes' functions
// on a live connection: it goes to $default, as any key no route has.
func TestWebSocketMessageCannotSelectConnectOrDisconnect(t *testing.T) {
	fn, authz := chatFunction(t), allowAuthorizer(t)
	_, httpBackend := httpRecorder(t)
	g := startGatewayWith(t, nil, pipelineOpts())
	g.deploy(chatManifests(fn.srv.URL, authz.URL, httpBackend.URL, true))
	g.programmed("default/live")
	wp := startWSProxy(t, g, nil)
	eventually(t, "the ws proxy serves the stage", func() bool { return wp.proxy.WebSocketStage("default/live", "stable") != nil })

	c, status := wp.dial(t, "/live?token=good", nil)
	if status != http.StatusSwitchingProtocols {
		t.Fatalf("connect: %d", status)
	}
	defer func() { _ = c.Close() }()
	_ = c.WriteMessage(websocket.TextMessage, []byte(`{"action":"whoami"}`))
	id := strings.Fields(readMessage(t, c))[0]
	for _, key := range []string{"$disconnect", "$connect"} {
		_ = c.WriteMessage(websocket.TextMessage, []byte(`{"action":"`+key+`"}`))
		if got := readMessage(t, c); got != "default" {
			t.Errorf("a message naming %s: %q, want $default's answer", key, got)
		}
	}
	if n := len(fn.find("DISCONNECT", id)); n != 0 {
		t.Errorf("%d DISCONNECT events for a connection still open", n)
	}
	if n := len(fn.find("CONNECT", id)); n != 1 {
		t.Errorf("%d CONNECT events, want the opening's only", n)
	}
}

// backendRef.path is the path a WebSocket route's function is called on, as for the
// integrations of REST routes: a function under the Lambda Runtime Interface Emulator
// answers on /2015-03-31/functions/function/invocations only.
func TestWebSocketBackendRefPath(t *testing.T) {
	const invocations = "/2015-03-31/functions/function/invocations"
	var mu sync.Mutex
	var paths []string
	fn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.Method+" "+r.URL.Path)
		mu.Unlock()
		if r.URL.Path != invocations {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"statusCode": 200, "body": "from the function"})
	}))
	t.Cleanup(fn.Close)
	_, port, _ := net.SplitHostPort(hostPort(fn))

	g := startGatewayWith(t, nil, pipelineOpts())
	g.deploy(fmt.Sprintf(`
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: fnws}
spec: {protocol: WEBSOCKET, routeSelectionExpression: $request.body.action}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: fnws-default}
spec:
  restApiRef: {name: fnws}
  routeKey: $default
  routeResponseSelectionExpression: $default
  integration: {type: LAMBDA_PROXY, backendRef: {name: fn-svc, port: 80, path: %s}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: live}
spec: {restApiRef: {name: fnws}}
---
apiVersion: v1
kind: Service
metadata: {name: fn-svc}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: fn-svc-1, labels: {kubernetes.io/service-name: fn-svc}}
addressType: IPv4
ports: [{name: http, port: %s}]
endpoints: [{addresses: ["127.0.0.1"]}]
`, invocations, port))
	g.programmed("default/live")
	wp := startWSProxy(t, g, nil)
	eventually(t, "the ws proxy serves the stage", func() bool { return wp.proxy.WebSocketStage("default/live", "stable") != nil })
	eventually(t, "the function's endpoint reached the ws proxy", func() bool {
		cla := wp.client.Current()
		return cla != nil && len(cla.Endpoints["default/fn-svc:80"].GetEndpoints()) > 0
	})

	c, status := wp.dial(t, "/live", nil)
	if status != http.StatusSwitchingProtocols {
		t.Fatalf("connect: %d", status)
	}
	defer func() { _ = c.Close() }()
	_ = c.WriteMessage(websocket.TextMessage, []byte(`{"action":"anything"}`))
	if got := readMessage(t, c); got != "from the function" {
		t.Fatalf("message: %q, want the function's answer", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(paths) != 1 || paths[0] != "POST "+invocations {
		t.Errorf("the function was called as %q, want one POST %s", paths, invocations)
	}
}

// An API without $connect or $disconnect routes still writes the access log lines of its
// connections' opening and end, as AWS's does.
func TestWebSocketRoutelessConnectAndDisconnectAreLogged(t *testing.T) {
	g := startGatewayWith(t, nil, pipelineOpts())
	g.deploy(`
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: bare}
spec: {protocol: WEBSOCKET, routeSelectionExpression: $request.body.action}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: bare-default}
spec: {restApiRef: {name: bare}, routeKey: $default, routeResponseSelectionExpression: $default, integration: {type: MOCK, mock: {body: ok}}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: bare}
spec: {restApiRef: {name: bare}}
`)
	g.programmed("default/bare")
	wp := startWSProxy(t, g, nil)
	eventually(t, "the ws proxy serves the stage", func() bool { return wp.proxy.WebSocketStage("default/bare", "stable") != nil })
	c, status := wp.dial(t, "/bare", nil)
	if status != http.StatusSwitchingProtocols {
		t.Fatalf("connect: %d", status)
	}
	_ = c.WriteMessage(websocket.TextMessage, []byte(`{"action":"x"}`))
	if got := readMessage(t, c); got != "ok" {
		t.Fatalf("message: %q", got)
	}
	_ = c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"))
	_ = c.Close()
	eventually(t, "CONNECT, MESSAGE and DISCONNECT lines", func() bool {
		l := wp.log.String()
		return strings.Contains(l, "CONNECT $connect ") && strings.Contains(l, "MESSAGE $default ") && strings.Contains(l, "DISCONNECT $disconnect ")
	})
	for _, line := range strings.Split(strings.TrimSpace(wp.log.String()), "\n") {
		if !strings.HasSuffix(line, " 200") {
			t.Errorf("line %q, want status 200", line)
		}
	}
}

// A connection's messages are routed at once, as AWS invokes a route for each message without
// waiting for the one before: a slow function's answer does not hold the next message's,
// which comes first, and $disconnect comes after both were answered.
func TestWebSocketMessagesDoNotWaitForEachOther(t *testing.T) {
	release := make(chan struct{})
	fn := newFunction(t, func(e events.APIGatewayWebsocketProxyRequest) map[string]any {
		if strings.Contains(e.Body, "slow") {
			select {
			case <-release:
			case <-time.After(testkit.WaitTimeout):
			}
			return map[string]any{"statusCode": 200, "body": "slow answered"}
		}
		return map[string]any{"statusCode": 200, "body": "fast answered"}
	})
	g := startGatewayWith(t, nil, pipelineOpts())
	g.deploy(fmt.Sprintf(`
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: par}
spec: {protocol: WEBSOCKET, routeSelectionExpression: $request.body.action}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: par-default}
spec: {restApiRef: {name: par}, routeKey: $default, routeResponseSelectionExpression: $default, integration: {type: LAMBDA_PROXY, uri: "%s"}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: par-disconnect}
spec: {restApiRef: {name: par}, routeKey: $disconnect, integration: {type: LAMBDA_PROXY, uri: "%s"}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: live}
spec: {restApiRef: {name: par}}
`, fn.srv.URL, fn.srv.URL))
	g.programmed("default/live")
	wp := startWSProxy(t, g, nil)
	eventually(t, "the ws proxy serves the stage", func() bool { return wp.proxy.WebSocketStage("default/live", "stable") != nil })

	c, status := wp.dial(t, "/live", nil)
	if status != http.StatusSwitchingProtocols {
		t.Fatalf("connect: %d", status)
	}
	_ = c.WriteMessage(websocket.TextMessage, []byte(`{"action":"slow"}`))
	_ = c.WriteMessage(websocket.TextMessage, []byte(`{"action":"fast"}`))
	if got := readMessage(t, c); got != "fast answered" {
		t.Fatalf("first answer %q, want the fast message's while the slow one waits", got)
	}
	close(release)
	if got := readMessage(t, c); got != "slow answered" {
		t.Fatalf("second answer %q, want the slow message's", got)
	}
	_ = c.Close()
	eventually(t, "$disconnect", func() bool { return len(fn.find("DISCONNECT", "")) == 1 })
	if n := len(fn.find("MESSAGE", "")); n != 2 {
		t.Errorf("%d MESSAGE events, want 2", n)
	}
}
