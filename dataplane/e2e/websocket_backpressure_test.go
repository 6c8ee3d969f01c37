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
	"context"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	ws "github.com/portico-dev/portico/dataplane/websocket"
)

// TestWebSocketSlowClient: a client that never reads cannot make the proxy hold its messages
// without bound. @connections keeps posting to it; once the kernel's socket buffers are full
// the writer blocks, the bounded send queue fills, and the proxy closes the connection with
// 1008 (policy violation, "Client too slow"), answers 410 to the next post, runs $disconnect
// with that code and counts the slow client. What the proxy accepted before closing is at
// most the socket buffers plus the queue bound: asserted in bytes, not in time.
func TestWebSocketSlowClient(t *testing.T) {
	const queueBytes, msgBytes = 256 << 10, 64 << 10
	fn, authz := chatFunction(t), allowAuthorizer(t)
	_, httpBackend := httpRecorder(t)
	g := startGatewayWith(t, nil, pipelineOpts())
	g.deploy(chatManifests(fn.srv.URL, authz.URL, httpBackend.URL, false))
	g.programmed("default/live")
	wp := startWSProxyWith(t, g, wsProxyOptions{steps: pipelineOpts(), server: func(o *ws.Options) {
		o.SendQueueMessages, o.SendQueueBytes = 64, queueBytes
	}})
	eventually(t, "the ws proxy serves the stage", func() bool { return wp.proxy.WebSocketStage("default/live", "stable") != nil })

	// The client's receive buffer is small, so that the kernel holds little on its side.
	const rcvBuf = 16 << 10
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		nd := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvBuf) })
			if err != nil {
				return err
			}
			return serr
		}}
		return nd.DialContext(ctx, network, addr)
	}}
	c, resp, err := d.Dial(wp.url+"/live?token=good", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	_ = resp.Body.Close()
	defer c.Close()
	if err := c.WriteMessage(websocket.TextMessage, []byte(`{"action":"whoami"}`)); err != nil {
		t.Fatal(err)
	}
	id := strings.Fields(readMessage(t, c))[0]
	// From here on the client reads nothing.

	// The most the kernel can hold for this connection: the proxy's send buffer (tcp_wmem's
	// maximum) and the client's receive buffer (the kernel doubles what was asked).
	limit := int64(4 << 20)
	if b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_wmem"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 3 {
			if v, err := strconv.ParseInt(f[2], 10, 64); err == nil {
				limit = v
			}
		}
	}
	bound := limit + 2*rcvBuf + queueBytes + 2*msgBytes
	body := strings.Repeat("x", msgBytes)
	var accepted int64
	closedAt := -1
	for i := 0; int64(i)*msgBytes < 4*bound; i++ {
		code, _ := wp.manage(t, http.MethodPost, "/live/@connections/"+id, mgmtKey, body)
		if code == http.StatusOK {
			accepted += msgBytes
			continue
		}
		if code != http.StatusGone {
			t.Fatalf("post %d: %d, want 200 or 410", i, code)
		}
		closedAt = i
		break
	}
	if closedAt < 0 {
		t.Fatalf("the proxy accepted %d MB for a client that reads nothing and never closed it", accepted>>20)
	}
	if accepted > bound {
		t.Errorf("the proxy accepted %d KB before closing the slow client, more than the socket buffers and the queue hold (%d KB)", accepted>>10, bound>>10)
	}
	t.Logf("closed after %d messages (%d KB accepted, bound %d KB)", closedAt, accepted>>10, bound>>10)

	eventually(t, "$disconnect for the slow client", func() bool { return len(fn.find("DISCONNECT", id)) == 1 })
	if dc := fn.find("DISCONNECT", id)[0].RequestContext; dc.DisconnectStatusCode != websocket.ClosePolicyViolation || dc.DisconnectReason == nil || *dc.DisconnectReason != "Client too slow" {
		t.Errorf("DISCONNECT = code %d reason %v, want 1008 Client too slow", dc.DisconnectStatusCode, dc.DisconnectReason)
	}
	if n := counter(t, wp, "portico_websocket_errors_total", map[string]string{"reason": "slow_client"}); n != 1 {
		t.Errorf("portico_websocket_errors_total{reason=slow_client} = %v, want 1", n)
	}
	eventually(t, "the connection is gone", func() bool { return wp.ws.Len() == 0 })
	if n := counter(t, wp, "portico_websocket_connections", nil); n != 0 {
		t.Errorf("portico_websocket_connections = %v, want 0", n)
	}
	if code, _ := wp.manage(t, http.MethodGet, "/live/@connections/"+id, mgmtKey, ""); code != http.StatusGone {
		t.Errorf("GET after the slow client was closed: %d, want 410", code)
	}
}
