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
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"github.com/gorilla/websocket"
	goredis "github.com/redis/go-redis/v9"

	ws "github.com/portico-dev/portico/dataplane/websocket"
	"github.com/portico-dev/portico/internal/redistest"
)

// TestWebSocketAcrossReplicas: two proxies share a real redis-server; an @connections call
// on the proxy that does not hold the connection reaches it, and a connection of a proxy
// that is gone answers 410.
func TestWebSocketAcrossReplicas(t *testing.T) {
	rs := redistest.Start(t)
	forwarder := func() ws.Forwarder {
		c := goredis.NewClient(&goredis.Options{Addr: rs.Addr(), ReadTimeout: -1})
		t.Cleanup(func() { _ = c.Close() })
		return ws.NewRedisForwarder(c, "e2e:", logr.Discard())
	}
	fn, authz := chatFunction(t), allowAuthorizer(t)
	_, httpBackend := httpRecorder(t)
	g := startGatewayWith(t, nil, pipelineOpts())
	g.deploy(chatManifests(fn.srv.URL, authz.URL, httpBackend.URL, true))
	g.programmed("default/live")
	a, b := startWSProxy(t, g, forwarder()), startWSProxy(t, g, forwarder())
	for _, p := range []*wsProxy{a, b} {
		eventually(t, "the proxies serve the stage", func() bool { return p.proxy.WebSocketStage("default/live", "stable") != nil })
	}

	c, _ := a.dial(t, "/live?token=good", nil)
	_ = c.WriteMessage(websocket.TextMessage, []byte(`{"action":"whoami"}`))
	id := strings.Fields(readMessage(t, c))[0]
	path := "/live/@connections/" + id

	if code, body := b.manage(t, "POST", path, mgmtKey, "via b"); code != http.StatusOK {
		t.Fatalf("POST through the other replica: %d %s", code, body)
	}
	if got := readMessage(t, c); got != "via b" {
		t.Fatalf("message = %q", got)
	}
	if code, body := b.manage(t, "GET", path, mgmtKey, ""); code != http.StatusOK || !strings.Contains(body, "connectedAt") {
		t.Errorf("GET through the other replica: %d %s", code, body)
	}
	if code, _ := b.manage(t, "GET", path, "", ""); code != http.StatusForbidden {
		t.Errorf("no key on the other replica: %d", code)
	}
	if code, _ := b.manage(t, "DELETE", path, mgmtKey, ""); code != http.StatusNoContent {
		t.Errorf("DELETE through the other replica: %d", code)
	}
	if code := readClose(t, c); code != websocket.CloseNormalClosure {
		t.Errorf("close code %d", code)
	}
	eventually(t, "$disconnect", func() bool { return len(fn.find("DISCONNECT", id)) == 1 })
	if code, _ := b.manage(t, "POST", path, mgmtKey, "x"); code != http.StatusGone {
		t.Errorf("POST after close, through the other replica: %d", code)
	}
	// A connection id naming a replica nobody runs.
	if code, _ := b.manage(t, "GET", "/live/@connections/ZZZZZZZZabcdefghijklmnop", mgmtKey, ""); code != http.StatusGone {
		t.Errorf("unknown replica: %d", code)
	}
}
