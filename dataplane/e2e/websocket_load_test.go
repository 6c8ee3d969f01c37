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
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/portico-dev/portico/internal/testkit"
)

const loadManifests = `
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: load}
spec: {protocol: WEBSOCKET, routeSelectionExpression: $request.body.action}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: default}
spec: {restApiRef: {name: load}, routeKey: $default, routeResponseSelectionExpression: $default, integration: {type: MOCK, mock: {body: pong}}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: live}
spec: {restApiRef: {name: load}, throttling: {rateLimit: 1000000, burstLimit: 1000000}}
`

// rawDial opens a WebSocket with a bare TCP connection: the client side holds no buffers
// or goroutines, so the process's memory growth is (an upper bound of) the proxy's.
func rawDial(addr string) (net.Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	_, err = fmt.Fprintf(c, "GET /live HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", addr)
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReaderSize(c, 256), nil)
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("upgrade: %w", err)
	}
	_ = resp.Body.Close() // a 101 has no body; the connection stays
	if resp.StatusCode != http.StatusSwitchingProtocols {
		_ = c.Close()
		return nil, fmt.Errorf("upgrade: %s", resp.Status)
	}
	return c, nil
}

func heap() uint64 {
	for range 3 {
		runtime.GC()
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

// TestWebSocketLoad opens many idle connections on one proxy (2,000 by default;
// PORTICO_WS_CONNECTIONS=10000 for the figure in docs/benchmarks.md), reports memory per idle
// connection (target under 20 KB), pushes messages through a MOCK two-way route, then closes
// everything and checks that no goroutine is left behind.
func TestWebSocketLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("PORTICO_WS_CONNECTIONS")); err == nil && v > 0 {
		n = v
	}
	g := startGatewayWith(t, nil, pipelineOpts())
	g.deploy(loadManifests)
	g.programmed("default/live")
	wp := startWSProxy(t, g, nil)
	eventually(t, "the ws proxy serves the stage", func() bool { return wp.proxy.WebSocketStage("default/live", "stable") != nil })
	addr := strings.TrimPrefix(wp.url, "ws://")

	baseGoroutines := runtime.NumGoroutine()
	before := heap()
	conns := make([]net.Conn, 0, n)
	for i := range n {
		c, err := rawDial(addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	eventually(t, "every connection registered", func() bool { return wp.ws.Len() == n })
	after := heap()
	perConn := float64(after-before) / float64(n)
	t.Logf("%d idle connections: %.1f KB each (heap+stacks, client side included), %d goroutines", n, perConn/1024, runtime.NumGoroutine()-baseGoroutines)
	if perConn > 20*1024 {
		t.Errorf("%.1f KB per idle connection, want under 20 KB", perConn/1024)
	}

	// Messages through a MOCK two-way route, from 8 clients at once.
	const clients, each = 8, 1000
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, _, err := websocket.DefaultDialer.Dial(wp.url+"/live", nil) //nolint:bodyclose // closed by the dialer on success
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			for range each {
				if err := c.WriteMessage(websocket.TextMessage, []byte(`{"action":"ping"}`)); err != nil {
					t.Error(err)
					return
				}
				if _, b, err := c.ReadMessage(); err != nil || string(b) != "pong" {
					t.Errorf("answer %q %v", b, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	t.Logf("%d messages through MOCK two-way in %v: %.0f messages/s", clients*each, elapsed.Round(time.Millisecond), float64(clients*each)/elapsed.Seconds())

	for _, c := range conns {
		_ = c.Close()
	}
	eventually(t, "every connection gone", func() bool { return wp.ws.Len() == 0 })
	deadline := time.Now().Add(testkit.WaitTimeout)
	for runtime.NumGoroutine() > baseGoroutines+5 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines: %d, started with %d\n%s", runtime.NumGoroutine(), baseGoroutines, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
