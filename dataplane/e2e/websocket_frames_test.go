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
	"encoding/base64"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// maskedFrame is a client frame: FIN, the opcode (and reserved bits) in first, the payload
// masked with a fixed key.
func maskedFrame(first byte, payload []byte) []byte {
	key := [4]byte{1, 2, 3, 4}
	out := []byte{first, 0x80 | byte(len(payload))}
	out = append(out, key[:]...)
	for i, b := range payload {
		out = append(out, b^key[i%4])
	}
	return out
}

// readCloseFrame reads the server's frames until a close frame and returns its code.
func readCloseFrame(t *testing.T, c net.Conn) int {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var h [2]byte
		if _, err := io.ReadFull(c, h[:]); err != nil {
			t.Fatalf("reading a frame: %v", err)
		}
		n := int(h[1] & 0x7f)
		switch n {
		case 126:
			var l [2]byte
			_, _ = io.ReadFull(c, l[:])
			n = int(binary.BigEndian.Uint16(l[:]))
		case 127:
			var l [8]byte
			_, _ = io.ReadFull(c, l[:])
			n = int(binary.BigEndian.Uint64(l[:]))
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(c, payload); err != nil {
			t.Fatalf("reading a frame's payload: %v", err)
		}
		if h[0]&0x0f == websocket.CloseMessage {
			if n < 2 {
				return websocket.CloseNoStatusReceived
			}
			return int(binary.BigEndian.Uint16(payload))
		}
	}
}

// TestWebSocketBadFrames: frames that break RFC 6455 close the connection with the code the
// RFC names, $disconnect runs with it, and the proxy serves on. A binary message reaches a
// function base64-encoded, as AWS sends it.
func TestWebSocketBadFrames(t *testing.T) {
	fn, authz := chatFunction(t), allowAuthorizer(t)
	_, httpBackend := httpRecorder(t)
	g := startGatewayWith(t, nil, pipelineOpts())
	g.deploy(chatManifests(fn.srv.URL, authz.URL, httpBackend.URL, true))
	g.programmed("default/live")
	wp := startWSProxy(t, g, nil)
	eventually(t, "the ws proxy serves the stage", func() bool { return wp.proxy.WebSocketStage("default/live", "stable") != nil })
	addr := strings.TrimPrefix(wp.url, "ws://")

	for _, tc := range []struct {
		name  string
		frame []byte
		code  int
	}{
		{"unmasked client frame", []byte{0x81, 0x02, 'h', 'i'}, websocket.CloseProtocolError},
		{"reserved bit without an extension", maskedFrame(0xC1, []byte("hi")), websocket.CloseProtocolError},
		{"unknown opcode", maskedFrame(0x83, []byte("hi")), websocket.CloseProtocolError},
		{"fragmented ping", maskedFrame(0x09, []byte("hi")), websocket.CloseProtocolError},
		{"text that is not UTF-8", maskedFrame(0x81, []byte{0xff, 0xfe, 0xfd}), websocket.CloseInvalidFramePayloadData},
	} {
		before := len(fn.find("DISCONNECT", ""))
		c, err := rawDialPath(addr, "/live?token=good")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if _, err := c.Write(tc.frame); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if code := readCloseFrame(t, c); code != tc.code {
			t.Errorf("%s: closed with %d, want %d", tc.name, code, tc.code)
		}
		_ = c.Close()
		eventually(t, tc.name+": $disconnect", func() bool { return len(fn.find("DISCONNECT", "")) == before+1 })
		if d := fn.find("DISCONNECT", "")[before].RequestContext; d.DisconnectStatusCode != int64(tc.code) {
			t.Errorf("%s: $disconnect with %d, want %d", tc.name, d.DisconnectStatusCode, tc.code)
		}
	}
	if n := counter(t, wp, "portico_websocket_errors_total", map[string]string{"reason": "protocol"}); n != 4 {
		t.Errorf("portico_websocket_errors_total{reason=protocol} = %v, want 4", n)
	}

	// The proxy serves on; a binary message is base64 in the function's event.
	c, _ := wp.dial(t, "/live?token=good", nil)
	msg := []byte(`{"action":"whoami"}`)
	if err := c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
		t.Fatal(err)
	}
	id := strings.Fields(readMessage(t, c))[0]
	ev := fn.find("MESSAGE", id)
	if len(ev) != 1 || !ev[0].IsBase64Encoded || ev[0].Body != base64.StdEncoding.EncodeToString(msg) {
		t.Errorf("binary MESSAGE event = %+v", ev)
	}
}
