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
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// TestWebSocketThroughHTTPProxy: an HTTP API's HTTP_PROXY route passes a WebSocket upgrade
// to a backend that speaks WebSocket itself (httputil.ReverseProxy switches protocols, and
// the proxy's response writer unwraps to the connection), as Kong and Envoy Gateway do.
func TestWebSocketThroughHTTPProxy(t *testing.T) {
	up := websocket.Upgrader{}
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			kind, b, err := c.ReadMessage()
			if err != nil {
				return
			}
			_ = c.WriteMessage(kind, append([]byte(r.URL.Path+" "), b...))
		}
	}))
	t.Cleanup(echo.Close)
	g := startGateway(t, nil)
	g.deploy(`
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: pets}
spec: {}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: live-feed}
spec: {restApiRef: {name: pets}, path: /feed, methods: [GET], integration: {type: HTTP_PROXY, uri: "` + echo.URL + `/upstream/feed"}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: prod}
spec: {restApiRef: {name: pets}}
`)
	g.programmed("default/prod")
	c, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(g.url, "http")+"/prod/feed", nil) //nolint:bodyclose // a 101 has no body; the dialer owns the connection
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, resp)
	}
	defer c.Close()
	if resp.Header.Get("X-Request-Id") == "" {
		t.Errorf("no x-request-id on the upgrade")
	}
	for _, m := range []string{"one", "two"} {
		_ = c.WriteMessage(websocket.TextMessage, []byte(m))
		if got := readMessage(t, c); got != "/upstream/feed "+m {
			t.Fatalf("echo = %q", got)
		}
	}
}
