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
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/go-logr/logr"
	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico-dev/portico/dataplane/pipeline"
	"github.com/portico-dev/portico/dataplane/proxy"
	ws "github.com/portico-dev/portico/dataplane/websocket"
	"github.com/portico-dev/portico/dataplane/xdsclient"
)

// wsProxy is one more proxy of a gateway, serving WebSockets, with its @connections listener.
type wsProxy struct {
	proxy   *proxy.Proxy
	ws      *ws.Server
	url     string // ws://127.0.0.1:port
	mgmt    string // http://127.0.0.1:port
	log     *lockedBuf
	clock   *fakeClock
	metrics *prometheus.Registry
	// client is the proxy's own xDS client, whose Current is what this proxy has applied
	// (the gateway's client may have it first).
	client *xdsclient.Client
}

// fakeClock is the WebSocket server's clock: idle and maximum durations pass when a test says.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// wsProxyOptions change what startWSProxyWith builds.
type wsProxyOptions struct {
	forwarder ws.Forwarder
	// steps configure the proxy's steps (a limits store and clock for throttles).
	steps pipeline.Options
	// server changes the WebSocket server's options (send queue bounds).
	server func(*ws.Options)
}

// startWSProxy starts a proxy with a WebSocket server, fed by g's xDS server.
func startWSProxy(t *testing.T, g *gateway, fw ws.Forwarder) *wsProxy {
	t.Helper()
	return startWSProxyWith(t, g, wsProxyOptions{forwarder: fw, steps: pipelineOpts()})
}

// startWSProxyWith starts a proxy as startWSProxy does, with o; its metrics go to wp.metrics.
func startWSProxyWith(t *testing.T, g *gateway, o wsProxyOptions) *wsProxy {
	t.Helper()
	fw := o.forwarder
	wp := &wsProxy{log: &lockedBuf{}, clock: newFakeClock(), metrics: prometheus.NewRegistry()}
	wso := ws.Options{Now: wp.clock.Now, Log: logr.Discard(), Forwarder: fw, SweepInterval: time.Hour, Registerer: wp.metrics}
	if o.server != nil {
		o.server(&wso)
	}
	wp.ws = ws.New(wso)
	if o.steps.Region == "" {
		o.steps.Region = "eu-west-1"
	}
	wp.proxy = proxy.New(proxy.Options{
		Log: logr.Discard(), AccessLog: wp.log, Registerer: wp.metrics,
		DefaultAccessLogFormat: "$context.eventType $context.routeKey $context.connectionId $context.status",
		Guards:                 pipeline.Guards(),
		Steps:                  pipeline.Steps(o.steps),
		WebSocket:              wp.ws,
	})
	wp.ws.Attach(wp.proxy)
	client := xdsclient.New(xdsclient.Options{
		Server: g.xdsAddr, NodeID: "e2e-ws-" + wp.ws.Node(), Applier: wp.proxy, Logger: logr.Discard(),
		Backoff: xdsclient.Backoff{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond},
	})
	wp.client = client
	ctx, cancel := context.WithCancel(context.Background())
	var done sync.WaitGroup
	done.Add(2)
	go func() { defer done.Done(); _ = client.Run(ctx) }()
	go func() { defer done.Done(); _ = wp.ws.Run(ctx) }()
	mgmt := httptest.NewServer(wp.ws.ManagementHandler())
	t.Cleanup(func() { cancel(); done.Wait(); mgmt.Close() })
	wp.url = "ws" + strings.TrimPrefix(serveProxy(t, wp.proxy), "http")
	wp.mgmt = mgmt.URL
	eventually(t, "the proxy has a configuration", wp.proxy.Ready)
	return wp
}

// dial opens a connection to path; on a refused upgrade it returns the HTTP status.
func (wp *wsProxy) dial(t *testing.T, path string, header http.Header) (*websocket.Conn, int) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	c, resp, err := d.Dial(wp.url+path, header)
	if resp != nil && resp.Body != nil && err != nil {
		defer resp.Body.Close()
	}
	if err != nil {
		if resp != nil {
			return nil, resp.StatusCode
		}
		t.Fatalf("dial %s: %v", path, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, http.StatusSwitchingProtocols
}

// manage calls @connections.
func (wp *wsProxy) manage(t *testing.T, method, path, key, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, wp.mgmt+path, strings.NewReader(body))
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// readMessage reads one message with a deadline.
func readMessage(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("reading a message: %v", err)
	}
	return string(b)
}

// readClose reads until the connection closes and returns its close code.
func readClose(t *testing.T, c *websocket.Conn) int {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("the connection did not close: %v", err)
		}
		return websocket.CloseAbnormalClosure
	}
}

// function is a Lambda-style function recording the WebSocket events it receives.
type function struct {
	mu     sync.Mutex
	events []events.APIGatewayWebsocketProxyRequest
	// answer returns the function's response for an event.
	answer func(e events.APIGatewayWebsocketProxyRequest) map[string]any
	srv    *httptest.Server
}

func newFunction(t *testing.T, answer func(e events.APIGatewayWebsocketProxyRequest) map[string]any) *function {
	f := &function{answer: answer}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e events.APIGatewayWebsocketProxyRequest
		if err := json.NewDecoder(r.Body).Decode(&e); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.events = append(f.events, e)
		f.mu.Unlock()
		_ = json.NewEncoder(w).Encode(f.answer(e))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// find returns the events of a type, for a connection.
func (f *function) find(eventType, connectionID string) []events.APIGatewayWebsocketProxyRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []events.APIGatewayWebsocketProxyRequest
	for _, e := range f.events {
		if e.RequestContext.EventType == eventType && (connectionID == "" || e.RequestContext.ConnectionID == connectionID) {
			out = append(out, e)
		}
	}
	return out
}
