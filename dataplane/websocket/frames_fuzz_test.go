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
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/dataplane/proxy"
)

// fuzzServer serves one WEBSOCKET stage, /live: "echo" and $default are two-way MOCK routes;
// messages are limited to 1 KiB.
func fuzzServer(f *testing.F) (*Server, string) {
	s := New(Options{SendQueueMessages: 8, SendQueueBytes: 8 << 10})
	p := proxy.New(proxy.Options{AccessLog: io.Discard, WebSocket: s})
	s.Attach(p)
	mock := func(name, key, body string) *xdsv1alpha1.Route {
		return &xdsv1alpha1.Route{Name: name, RouteKey: key, RouteResponseSelectionExpression: "$default",
			Integration: &xdsv1alpha1.Integration{Type: "MOCK", TimeoutMillis: 29000, Mock: &xdsv1alpha1.Mock{StatusCode: 200, Body: body}}}
	}
	if err := p.Apply(&config.Config{Stages: map[string]*xdsv1alpha1.StageSnapshot{"default/live": {
		Key: "default/live", Namespace: "default", StageName: "live", RestApi: "chat",
		Api: &xdsv1alpha1.Api{Protocol: "WEBSOCKET", RouteSelectionExpression: "$request.body.action",
			Websocket: &xdsv1alpha1.WebSocket{IdleTimeoutSeconds: 600, MaxConnectionSeconds: 7200, MaxMessageBytes: 1024},
			Routes:    []*xdsv1alpha1.Route{mock("echo", "echo", "e"), mock("default", "$default", "d")}},
	}}}); err != nil {
		f.Fatal(err)
	}
	// The proxy's own server, as `portico proxy` serves the upgrades.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	srv := proxy.NewServer(proxy.ServerOptions{Handler: p})
	go func() { _ = srv.Serve(lis) }()
	f.Cleanup(func() { _ = srv.Close() })
	return s, lis.Addr().String()
}

// FuzzFrames writes arbitrary bytes as a client's frames after a real upgrade: whatever they
// are (bad masks, opcodes, lengths, fragments, text that is not UTF-8, oversized messages,
// pings), the proxy must not panic, must close its side once the client's stream ends, and
// the connection must then be gone from the registry, its reader and $disconnect done.
func FuzzFrames(f *testing.F) {
	s, addr := fuzzServer(f)
	frame := func(first byte, payload string) []byte {
		key := []byte{7, 1, 3, 5}
		out := []byte{first, 0x80 | byte(len(payload))}
		out = append(out, key...)
		for i := range len(payload) {
			out = append(out, payload[i]^key[i%4])
		}
		return out
	}
	f.Add(frame(0x81, `{"action":"echo"}`))
	f.Add(frame(0x82, `{"action":"echo"}`))
	f.Add(frame(0x81, `not json`))
	f.Add(append(frame(0x01, `{"act`), frame(0x80, `ion":"echo"}`)...))
	f.Add(frame(0x89, "ping"))
	f.Add(frame(0x88, "\x03\xe8bye"))
	f.Add(frame(0x81, "\xff\xfe"))
	f.Add([]byte{0x81, 0x02, 'h', 'i'})
	f.Add([]byte{0x81, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET /live HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", addr)
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("upgrade: %s", resp.Status)
		}
		_, _ = c.Write(data)
		// The client's stream ends: the proxy must read what came, answer what it owes and
		// close its side.
		_ = c.(*net.TCPConn).CloseWrite()
		if _, err := io.Copy(io.Discard, br); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("the proxy did not close the connection after the client's end of stream")
			}
		}
		_ = c.Close()
		deadline := time.Now().Add(10 * time.Second)
		for s.Len() != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%d connections left after the client went", s.Len())
			}
			time.Sleep(time.Millisecond)
		}
	})
}
