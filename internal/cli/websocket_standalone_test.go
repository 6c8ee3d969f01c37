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

package cli

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/portico-dev/portico/internal/testkit"
)

// TestStandaloneWebSocketChat walks docs/websocket.md with processes and a real WebSocket
// client: `portico standalone -f config/samples` and the chat backend of
// examples/websocket-chat. Two clients connect to /chat; one sends a message that the
// backend broadcasts to both through @connections; an unknown action gets the $default
// route's two-way answer; @connections refuses a call without the management key and
// answers 410 for a connection it does not hold.
func TestStandaloneWebSocketChat(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries and runs them as processes; runs without -short")
	}
	bin := buildPortico(t)
	chatBin := filepath.Join(t.TempDir(), "chat")
	build := exec.Command("go", "build", "-o", chatBin, "./examples/websocket-chat")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the chat backend: %v\n%s", err, out)
	}

	dir := copyDir(t, filepath.Join("..", "..", "config", "samples"))
	chatAddr := testkit.FreeAddr(t)
	_, chatPort, _ := strings.Cut(chatAddr, ":")
	eps := filepath.Join(dir, "websocket", "standalone-endpoints.yaml")
	data, err := os.ReadFile(eps)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, eps, strings.ReplaceAll(string(data), "9084", chatPort))

	httpAddr, adminAddr, connAddr := testkit.FreeAddr(t), testkit.FreeAddr(t), testkit.FreeAddr(t)
	const key = "chat-backend-key-change-me-0123456789" // the sample's management key
	start := func(name string, cmd *exec.Cmd) {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting %s: %v", name, err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	}
	chat := exec.Command(chatBin)
	chat.Env = append(os.Environ(), "LISTEN="+chatAddr,
		"PORTICO_CONNECTIONS_URL=http://"+connAddr+"/chat", "PORTICO_MANAGEMENT_KEY="+key)
	start("the chat backend", chat)
	start("portico standalone", exec.Command(bin, "standalone", "-f", dir, "--http-addr", httpAddr,
		"--admin-addr", adminAddr, "--connections-addr", connAddr, "--state-dir", t.TempDir(), "--log-level", "error"))

	dial := func() *websocket.Conn {
		var c *websocket.Conn
		testkit.Eventually(t, "a WebSocket connection to /chat", func() bool {
			conn, resp, err := websocket.DefaultDialer.Dial("ws://"+httpAddr+"/chat", nil)
			if resp != nil && resp.Body != nil {
				_ = resp.Body.Close()
			}
			c = conn
			return err == nil
		})
		return c
	}
	read := func(c *websocket.Conn) string {
		t.Helper()
		_ = c.SetReadDeadline(time.Now().Add(testkit.WaitTimeout))
		_, msg, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("reading a message: %v", err)
		}
		return string(msg)
	}
	a, b := dial(), dial()
	defer b.Close()

	// The $connect events reached the backend before the upgrades completed, so both
	// connections are known: a message from a reaches both.
	if err := a.WriteJSON(map[string]string{"action": "sendmessage", "data": "hello, chat"}); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*websocket.Conn{"sender": a, "other": b} {
		if got := read(c); got != "hello, chat" {
			t.Errorf("%s received %q", name, got)
		}
	}

	// No route for the action: the $default route's two-way MOCK answers.
	if err := b.WriteJSON(map[string]string{"action": "dance"}); err != nil {
		t.Fatal(err)
	}
	if got := read(b); !strings.Contains(got, "sendmessage") {
		t.Errorf("$default answered %q", got)
	}

	// @connections: only the management key may call it; an unknown connection is gone.
	status := func(method, path, key string) int {
		req, _ := http.NewRequest(method, "http://"+connAddr+path, nil)
		if key != "" {
			req.Header.Set("x-api-key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return -1
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := status("GET", "/chat/@connections/anything", ""); got != http.StatusForbidden {
		t.Errorf("@connections without a key: %d, want 403", got)
	}
	if got := status("GET", "/chat/@connections/no-such-connection", key); got != http.StatusGone {
		t.Errorf("@connections for an unknown connection: %d, want 410", got)
	}
	_ = a.Close()
}
