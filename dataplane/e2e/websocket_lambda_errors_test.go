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
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/gorilla/websocket"
)

// throwingFunction answers as the Lambda invoke API (and AWS's Runtime Interface Emulator)
// does for a function that throws: 200, X-Amz-Function-Error and the runtime's error object.
// It throws on $connect when the query says throw=1 (throw=body: the error object without
// the header, as a plain HTTP shim answers), and on a message whose body has "throw".
func throwingFunction(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e events.APIGatewayWebsocketProxyRequest
		if err := json.NewDecoder(r.Body).Decode(&e); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		throw := e.QueryStringParameters["throw"]
		if e.RequestContext.EventType == "MESSAGE" && strings.Contains(e.Body, "throw") {
			throw = "1"
		}
		switch throw {
		case "1":
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			_, _ = io.WriteString(w, `{"errorMessage":"secret detail","errorType":"Error","stackTrace":["at handler"]}`)
		case "body":
			_, _ = io.WriteString(w, `{"errorMessage":"secret detail","errorType":"Error"}`)
		default:
			_, _ = io.WriteString(w, `{"statusCode":200,"body":"fine"}`)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// A function error is INTEGRATION_FAILURE on WebSocket routes as on REST ones: a $connect
// function that throws refuses the upgrade with 502 instead of admitting the client, and a
// message's function that throws sends the error message, never the function's text.
func TestWebSocketLambdaFunctionErrors(t *testing.T) {
	fn, authz := throwingFunction(t), allowAuthorizer(t)
	_, httpBackend := httpRecorder(t)
	g := startGatewayWith(t, nil, pipelineOpts())
	g.deploy(chatManifests(fn.URL, authz.URL, httpBackend.URL, false))
	g.programmed("default/live")
	wp := startWSProxy(t, g, nil)
	eventually(t, "the ws proxy serves the stage", func() bool { return wp.proxy.WebSocketStage("default/live", "stable") != nil })

	for _, throw := range []string{"1", "body"} {
		if c, status := wp.dial(t, "/live?token=good&throw="+throw, nil); status != http.StatusBadGateway {
			if c != nil {
				_ = c.Close()
			}
			t.Errorf("$connect function error (throw=%s): %d, want 502", throw, status)
		}
	}
	if n := counter(t, wp, "portico_websocket_connections", nil); n != 0 {
		t.Errorf("portico_websocket_connections = %v after refused upgrades, want 0", n)
	}

	c, status := wp.dial(t, "/live?token=good", nil)
	if status != http.StatusSwitchingProtocols {
		t.Fatalf("connect: %d", status)
	}
	_ = c.WriteMessage(websocket.TextMessage, []byte(`{"action":"whoami","throw":true}`))
	got := readMessage(t, c)
	var answer map[string]string
	if err := json.Unmarshal([]byte(got), &answer); err != nil || answer["message"] != "Internal server error" || answer["connectionId"] == "" {
		t.Errorf("a message's function error sent %q, want the Internal server error message", got)
	}
	if strings.Contains(got, "secret detail") {
		t.Errorf("the function's error text reached the client: %q", got)
	}
	// The connection stays, and the next message's answer goes back.
	_ = c.WriteMessage(websocket.TextMessage, []byte(`{"action":"whoami"}`))
	if got := readMessage(t, c); got != "fine" {
		t.Errorf("after a function error: %q, want the function's answer", got)
	}
}
